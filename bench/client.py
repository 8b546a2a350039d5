"""HTTP load from the standard library: http.client keep-alive connections, one per thread, to 127.0.0.1 only."""

import csv
import http.client
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (p in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Conn:
    """One keep-alive connection with a bearer token; reconnects once if the server closed it."""

    def __init__(self, port: int, token: str, timeout: float = 120):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def _headers(self, extra: dict | None) -> dict:
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "Connection": "keep-alive"}
        if extra:
            h.update(extra)
        return h

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, stream=False):
        """Returns (status, body bytes, seconds to last byte, seconds to first body byte)."""
        h = self._headers(headers)
        if body is not None:
            h["Content-Type"] = "application/json"
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                if stream:
                    chunks, first = [], None
                    while True:
                        chunk = resp.read1(65536)
                        if not chunk:
                            break
                        if first is None:
                            first = time.perf_counter() - t0
                        chunks.append(chunk)
                    data = b"".join(chunks)
                else:
                    data = resp.read()
                    first = None
                elapsed = time.perf_counter() - t0
                return resp.status, data, elapsed, first if first is not None else elapsed
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def reset(self) -> None:
        """A fresh connection, after one broke mid-response."""
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)

    def close(self) -> None:
        self.conn.close()


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    wall_s: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else float("nan")

    def ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


def run_load(
    port: int,
    token: str,
    count: int,
    concurrency: int,
    make_request: Callable[[int], tuple[str, str, bytes | None, dict | None]],
    expect: int,
    max_seconds: float = 240,
) -> LoadResult:
    """Send `count` requests from `concurrency` threads, each on its own keep-alive connection.
    make_request(i) -> (method, path, body, headers). Stops early (and says so) after max_seconds."""
    lock = threading.Lock()
    state = {"next": 0}
    result = LoadResult(requests=0, concurrency=concurrency, wall_s=0.0)
    deadline = time.monotonic() + max_seconds

    def worker():
        conn = Conn(port, token)
        try:
            while True:
                with lock:
                    i = state["next"]
                    if i >= count or time.monotonic() > deadline:
                        return
                    state["next"] += 1
                method, path, body, headers = make_request(i)
                try:
                    status, data, elapsed, _ = conn.request(method, path, body, headers)
                except Exception as e:  # a refused or broken request is an error, not a crash
                    status, data, elapsed = 0, repr(e).encode(), 0.0
                with lock:
                    result.requests += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if status == expect:
                        result.latencies.append(elapsed)
                    else:
                        result.errors += 1
                        if not result.first_error:
                            result.first_error = f"{status}: {data[:300].decode(errors='replace')}"
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.perf_counter() - t0
    return result


@dataclass
class Timing:
    label: str
    latencies: list[float]
    count: int | None = None  # the list's total count, or the export's rows
    bytes: int = 0
    ttfb: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def ms(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


def time_get(
    conn: Conn, label: str, path: str, reps: int, warmups: int, max_seconds: float, stream: bool = False
) -> Timing:
    """GET `path` warmups + reps times, one after the other on one connection; stops after max_seconds
    (at least 5 measured repetitions, unless fewer were asked for)."""
    timing = Timing(label=label, latencies=[])

    def get():
        try:
            return conn.request("GET", path, stream=stream)
        except (http.client.HTTPException, OSError) as e:  # a response cut short is an error of this scenario
            conn.reset()
            return 0, repr(e).encode(), 0.0, 0.0

    for _ in range(warmups):
        status, data, _, _ = get()
        if status != 200:
            timing.errors += 1
            timing.first_error = timing.first_error or f"warm-up: {status}: {data[:300].decode(errors='replace')}"
    started = time.monotonic()
    for i in range(reps):
        status, data, elapsed, first = get()
        if status != 200:
            timing.errors += 1
            timing.first_error = timing.first_error or f"{status}: {data[:300].decode(errors='replace')}"
        else:
            timing.latencies.append(elapsed)
            timing.ttfb.append(first)
            timing.bytes = len(data)
            if timing.count is None:
                if stream:
                    rows = csv.reader(io.StringIO(data.decode("utf-8")))
                    timing.count = max(sum(1 for _ in rows) - 1, 0)  # without the header line
                else:
                    timing.count = json.loads(data).get("count")
        if time.monotonic() - started > max_seconds and i + 1 >= min(5, reps):
            break
    return timing
