"""The hotline benchmark's clients, standard library only: Server-Sent Events listeners (asyncio, raw sockets,
one process for all of them) and a keep-alive HTTP/1.1 sender.

Times are `time.monotonic()`, CLOCK_MONOTONIC on Linux: one clock for every process of the machine, so a
send time taken in the benchmark's process and a receive time taken in the listeners' process subtract."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from dataclasses import dataclass, field

NONCE_MARK = b'"body":"hb '  # a benchmark message's body starts "hb <nonce> ..."
SENT_MARK = b'"kind":"sent"'


# --- HTTP ---------------------------------------------------------------------------------------------------


class HttpConn:
    """One keep-alive connection to the server; requests one at a time."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


# --- listeners ----------------------------------------------------------------------------------------------


@dataclass
class Listener:
    index: int
    port: int
    token: str
    post: str
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    seqs: list[int] = field(default_factory=list)
    # (seq, nonce, receive time) of each `sent` event of a benchmark message
    sent: list[tuple[int, int, float]] = field(default_factory=list)
    error: str | None = None
    frames: int = 0
    heartbeats: int = 0

    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 -- reported with the results
            self.error = f"{type(e).__name__}: {e}"
            self.connected.set()

    async def _run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 22)
        writer.write(
            f"GET /hotline/stream HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        status_line = await reader.readline()
        status = int(status_line.split()[1]) if status_line else 0
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            low = line.lower()
            if low.startswith(b"transfer-encoding:") and b"chunked" in low:
                chunked = True
        if status != 200:
            raise ConnectionError(f"GET /hotline/stream answered {status}: {(await reader.read(2000))!r}")
        buf = b""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                data = await reader.readexactly(size + 2)
                if size == 0:
                    raise ConnectionError("the stream ended")
                data = data[:-2]
            else:
                data = await reader.read(1 << 16)
                if not data:
                    raise ConnectionError("the stream ended")
            t = time.monotonic()
            buf += data
            while True:
                end = buf.find(b"\n\n")
                if end < 0:
                    break
                frame, buf = buf[:end], buf[end + 2 :]
                self._frame(frame, t)

    def _frame(self, frame: bytes, t: float) -> None:
        if frame.startswith(b"id: "):
            nl = frame.find(b"\n")
            seq = int(frame[4:nl])
            self.seqs.append(seq)
            self.frames += 1
            if frame.find(SENT_MARK, nl, nl + 200) >= 0:
                i = frame.find(NONCE_MARK)
                if i >= 0:
                    j = i + len(NONCE_MARK)
                    k = frame.find(b" ", j)
                    self.sent.append((seq, int(frame[j:k]), t))
        elif frame.startswith(b"retry:"):
            self.connected.set()  # the first frame: the server has subscribed this stream to the hub
        elif frame.startswith(b":"):
            self.heartbeats += 1

    def take(self, upto: int) -> tuple[list[int], list[tuple[int, int, float]]]:
        """Hand over what was received up to seq `upto`; keep the rest for the next phase."""
        seqs = [s for s in self.seqs if s <= upto]
        sent = [r for r in self.sent if r[0] <= upto]
        self.seqs = [s for s in self.seqs if s > upto]
        self.sent = [r for r in self.sent if r[0] > upto]
        return seqs, sent


def _check(listener: Listener, seqs: list[int], sent: list, expected: list[int], send_times: dict[int, float]) -> dict:
    """Lost, duplicated and out-of-order events of one listener in one phase, and its delivery latencies."""
    got = set(seqs)
    exp = set(expected)
    out_of_order = sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b <= a)
    latencies = []
    seen_nonces: set[int] = set()
    dup_nonces = 0
    for _, nonce, t in sent:
        if nonce in seen_nonces:
            dup_nonces += 1
            continue
        seen_nonces.add(nonce)
        t0 = send_times.get(nonce)
        if t0 is not None:
            latencies.append(t - t0)
    return {
        "received": len(seqs), "expected": len(exp), "lost": len(exp - got), "duplicated": len(seqs) - len(got),
        "unexpected": len(got - exp), "out_of_order": out_of_order, "latencies": latencies,
        "messages_missing": sum(1 for n in send_times if n not in seen_nonces), "messages_duplicated": dup_nonces,
    }  # fmt: skip


async def _listen_main(conn, specs: list[dict], connect_timeout: float) -> None:
    listeners = [Listener(i, s["port"], s["token"], s["post"]) for i, s in enumerate(specs)]
    tasks = []
    for ls in listeners:  # connect at a steady pace, not all in the same millisecond
        tasks.append(asyncio.create_task(ls.run()))
        await asyncio.sleep(0.002)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(ls.connected.wait() for ls in listeners)), connect_timeout)
    errors = [ls.error for ls in listeners if ls.error]
    connected = sum(1 for ls in listeners if ls.connected.is_set() and not ls.error)
    conn.send(("ready", {"connected": connected, "errors": errors[:5], "failed": len(errors)}))
    loop = asyncio.get_running_loop()
    while True:
        cmd, arg = await loop.run_in_executor(None, conn.recv)
        if cmd == "stop":
            break
        if cmd == "collect":
            upto, timeout = arg["upto"], arg["timeout"]
            expected: dict[str, list[int]] = arg["expected"]
            send_times: dict[int, float] = arg["send_times"]
            # Wait until every listener has its post's last expected event, or the timeout.
            t_end = time.monotonic() + timeout
            while time.monotonic() < t_end:
                if all(
                    ls.error or not expected.get(ls.post) or (ls.seqs and max(ls.seqs[-1], 0) >= expected[ls.post][-1])
                    for ls in listeners
                ):
                    break
                await asyncio.sleep(0.02)
            done_at = time.monotonic()
            last_recv = max((r[2] for ls in listeners for r in ls.sent if r[0] <= upto), default=math.nan)
            per = []
            for ls in listeners:
                seqs, sent = ls.take(upto)
                r = _check(ls, seqs, sent, expected.get(ls.post, []), send_times)
                r.update(index=ls.index, port=ls.port, post=ls.post, error=ls.error)
                per.append(r)
            conn.send(("results", {"listeners": per, "done_at": done_at, "last_recv": last_recv}))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def listen_process(conn, specs: list[dict], connect_timeout: float = 120.0) -> None:
    """Entry point of the listeners' process (multiprocessing, spawn): connect every listener, report
    ("ready", …), then answer ("collect", …) commands with ("results", …) until ("stop", None)."""
    threading.current_thread().name = "listeners"
    asyncio.run(_listen_main(conn, specs, connect_timeout))
