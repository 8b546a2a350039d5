"""Other processes against the test database: what the restart, race and live tests share.

The test database must be one that another process can open. On PostgreSQL it is: the test database itself
(a transactional test commits what it writes). On SQLite the test database lives in this process's memory,
so `SharedDatabase.push()` copies it to a file with SQLite's backup API before the other processes start,
and `pull()` copies the file back afterwards, so that the assertions read what those processes wrote with
the ORM as usual. The processes share this one's environment (data directory, keys), with DATABASE_URL
pointing at the shared database."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / ".venv" / "bin"


def python_exe() -> str:
    exe = VENV_BIN / "python"
    return str(exe) if exe.exists() else "python3"


def sulh_cmd() -> list[str]:
    exe = VENV_BIN / "sulh"
    return [str(exe)] if exe.exists() else [python_exe(), "-m", "sulh.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A snippet's prelude: Django set up against DATABASE_URL, connection open (so that a start barrier after it
# measures nothing but the work itself).
PRELUDE = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
import django
django.setup()
from django.db import connection
connection.ensure_connection()
"""


class SharedDatabase:
    def __init__(self, tmp: Path):
        self.vendor = connection.vendor
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.logs: dict[int, Path] = {}
        if self.vendor == "sqlite":
            self.file = tmp / "hotline.sqlite3"
            url = f"sqlite:///{self.file}"
        elif self.vendor == "postgresql":
            s = connection.settings_dict
            auth = urllib.parse.quote(s["USER"] or "")
            if s.get("PASSWORD"):
                auth += ":" + urllib.parse.quote(s["PASSWORD"])
            url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        else:
            pytest.skip(f"no way to share a {self.vendor} test database with another process")
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="sulh.settings",
            SULH_ALLOWED_HOSTS="127.0.0.1,localhost",
            SULH_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )

    # --- the data ---
    def push(self) -> None:
        """What this process wrote becomes visible to the others (SQLite: copied to the shared file)."""
        if self.vendor == "sqlite":
            connection.ensure_connection()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            dst = sqlite3.connect(self.file)
            try:
                connection.connection.backup(dst)
            finally:
                dst.close()

    def pull(self) -> None:
        """What the other processes wrote becomes visible to this one's ORM (SQLite: copied back)."""
        if self.vendor == "sqlite":
            connection.ensure_connection()
            src = sqlite3.connect(self.file, timeout=20)
            try:
                src.backup(connection.connection)
            finally:
                src.close()

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read the shared database as it is now, while other processes write to it."""
        if self.vendor == "sqlite":
            conn = sqlite3.connect(self.file, timeout=20)
            try:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                conn.close()
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    # --- processes ---
    def start(self, *cmd: str, name: str) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        with open(log, "w") as out:
            p = subprocess.Popen(  # noqa: S603 -- our own commands
                list(cmd), env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(p)
        self.logs[p.pid] = log
        return p

    def python(self, code: str, *args: str, name: str) -> subprocess.Popen:
        return self.start(python_exe(), "-c", PRELUDE + code, *args, name=name)

    def run_python(self, code: str, *args: str, timeout: float = 60) -> str:
        p = subprocess.run(  # noqa: S603 -- our own command
            [python_exe(), "-c", PRELUDE + code, *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        assert p.returncode == 0, f"exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        return p.stdout

    def output(self, p: subprocess.Popen) -> str:
        return self.logs[p.pid].read_text()

    def kill(self, p: subprocess.Popen) -> None:
        """SIGKILL the process group started for `p` (and only it): no shutdown handler runs."""
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def close(self) -> None:
        for p in self.procs:
            self.kill(p)


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    """Poll `check()` until it returns something true; fail with `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- a live server and a Server-Sent Events client --------------------------------------------------------


# What a server that cannot start on this machine says (as opposed to a server broken by the code under test).
ENVIRONMENT_FAILURES = ("No module named 'uvicorn'", "address already in use", "error while attempting to bind")


class Server:
    def __init__(self, shared: SharedDatabase, name: str, wait: bool = True):
        self.shared = shared
        self.port = free_port()
        self.proc = shared.start(
            *sulh_cmd(), "serve", "--no-ticker", "--host", "127.0.0.1", "--port", str(self.port), name=name
        )
        if wait:
            self.wait()

    def wait(self) -> None:
        """Until the server answers. Skipped (loudly, with its output) when the machine cannot run one: no
        uvicorn, no port to bind, no answer in 60 s. A server that dies of anything else fails the test."""
        shared = self.shared
        end = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                out = shared.output(self.proc)
                why = f"`sulh serve` exited {self.proc.returncode}:\n{out[-2000:]}"
                if any(s in out for s in ENVIRONMENT_FAILURES):
                    pytest.skip("SERVER COULD NOT START: " + why)
                pytest.fail(why)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > end:
                    pytest.skip(f"SERVER COULD NOT START: `sulh serve` did not answer in 60 s:\n{shared.output(self.proc)[-2000:]}")
                time.sleep(0.1)

    def request(self, method: str, path: str, token: str | None = None, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, h)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return resp.status, (json.loads(data) if data else None)


class Listener:
    """A client of GET /hotline/stream, reading `id:` / `data:` frames on a thread of its own."""

    def __init__(self, server: Server, token: str | None, last_event_id=None, headers=None, path="/hotline/stream"):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        h = {"Accept": "text/event-stream", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", path, headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.frames: queue.Queue = queue.Queue()
        self.ready = threading.Event()
        self.closed = False
        self.error: Exception | None = None
        if self.status == 200:
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()
            assert self.ready.wait(30), "the stream sent nothing"
        else:
            self.body = json.loads(self.resp.read() or b"null")
            self.conn.close()

    def _read(self) -> None:
        seq, data = None, []
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                if line.startswith("retry:"):
                    self.ready.set()  # the stream is subscribed: anything stored from now on reaches it
                elif line.startswith("id:"):
                    seq = int(line[3:].strip())
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "":
                    if data:
                        self.frames.put((seq, json.loads("\n".join(data))))
                    seq, data = None, []
        except Exception as exc:  # noqa: BLE001 -- after close() any error is the closing; before it, a failure
            if not self.closed:
                self.error = exc

    def take(self, n: int, timeout: float = 15) -> list[tuple[int, dict]]:
        out = []
        end = time.monotonic() + timeout
        while len(out) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(out)} of {n} events in {timeout} s: {out}")
            try:
                out.append(self.frames.get(timeout=min(left, 0.2)))
            except queue.Empty:
                if self.error is not None:
                    raise AssertionError(f"the stream broke after {out}: {self.error!r}") from self.error
                continue
        return out

    def nothing_more(self, wait: float = 0.5) -> None:
        try:
            extra = self.frames.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"an event arrived that should not have: {extra}")

    def close(self) -> None:
        self.closed = True
        if self.conn.sock is not None:
            with contextlib.suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
