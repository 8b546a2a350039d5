"""A real `sulh serve` in a process of its own, for the tests of the terminal clients (`sulh hotline`, `sulh
mediator`): started on a free port of 127.0.0.1 with a given environment, killed with its process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / ".venv" / "bin"


def sulh_command() -> list[str]:
    exe = VENV_BIN / "sulh"
    return [str(exe)] if exe.exists() else [str(VENV_BIN / "python"), "-m", "sulh.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`sulh serve --no-ticker` (no deadline fires behind a test's back) logging to DIR/server.log."""

    def __init__(self, env: dict, directory: Path):
        self.env, self.dir = env, directory
        self.proc: subprocess.Popen | None = None
        self.log = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> ServeProcess:
        self.log = open(self.dir / "server.log", "w")  # noqa: SIM115 -- closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 -- our own command
            [*sulh_command(), "serve", "--no-ticker", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        limit = time.monotonic() + timeout_s
        while time.monotonic() < limit:
            assert self.proc.poll() is None, (self.dir / "server.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"sulh serve did not answer in {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group of the server started above, and only it
            self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()
