"""A scratch Sulh: a temporary data directory (and a scratch PostgreSQL database), migrated, with users and
tokens, served by a real `sulh serve` process on 127.0.0.1. Everything is removed on exit."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = os.environ.get("SULH_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "sulh_bench"


def sulh_cmd() -> list[str]:
    exe = VENV_BIN / "sulh"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "sulh.cli"]


def python_exe() -> str:
    exe = VENV_BIN / "python"
    return str(exe) if exe.exists() else sys.executable


def pg_available(url: str = PG_ADMIN_URL) -> str | None:
    """The server's version if PostgreSQL answers, else None."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # any failure means: not available
        return None


def choose_databases(requested: str | None, log) -> tuple[list[str], list[str], str | None]:
    """Which databases a benchmark measures: (databases, notes for the report, PostgreSQL version).
    None measures both when PostgreSQL answers (saying loudly when it does not); 'both' or 'postgres' without
    an answering server exits with status 2."""
    pg_version = pg_available()
    if requested in (None, "both"):
        if pg_version:
            return ["sqlite", "postgres"], [], pg_version
        msg = (f"PostgreSQL did not answer at {PG_ADMIN_URL}: only SQLite was measured"
               if requested is None else f"--db both asked, but PostgreSQL did not answer at {PG_ADMIN_URL}")  # fmt: skip
        log("\n" + "!" * 78 + f"\n!!  {msg}.\n" + "!" * 78 + "\n")
        if requested == "both":
            raise SystemExit(2)
        return ["sqlite"], [msg + "."], None
    if requested == "postgres" and not pg_version:
        log(f"PostgreSQL does not answer at {PG_ADMIN_URL}")
        raise SystemExit(2)
    return [requested], [], pg_version


def _pg_bench_url() -> str:
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + PG_BENCH_DB))


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scratch:
    """`with Scratch("sqlite") as env:` a migrated, empty Sulh with the benchmark users; env.serve() starts
    the server; env.token(user) issues a bearer token with `sulh token create`."""

    def __init__(self, db: str, log=print):
        self.db = db
        self.log = log
        self.dir: Path | None = None
        self.server: subprocess.Popen | None = None
        self.port: int | None = None
        self._server_log = None

    # -- lifecycle --
    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix=f"sulh-bench-{self.db}-"))
        self.env = dict(os.environ)
        for var in ("DATABASE_URL", "SULH_EVIDENCE_DIR", "SULH_STATIC_ROOT", "SULH_DEBUG", "SULH_FAST_PASSWORD_HASHING"):
            self.env.pop(var, None)
        self.env.update(
            SULH_DATA_DIR=str(self.dir / "data"),
            SULH_ALLOWED_HOSTS="127.0.0.1,localhost",
            SULH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="sulh.settings",
            PYTHONPATH=str(ROOT) + os.pathsep + self.env.get("PYTHONPATH", ""),
        )
        if self.db == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            _pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
            self.env["DATABASE_URL"] = _pg_bench_url()
        self.run([*sulh_cmd(), "migrate", "--noinput"])
        self.seed("users")
        return self

    def __exit__(self, *exc):
        self.stop()
        if self.db == "postgres":
            try:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            except Exception as e:  # report, but still clean the directory
                self.log(f"  (could not drop {PG_BENCH_DB}: {e})")
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    # -- helpers --
    def run(self, cmd: list[str], timeout: float = 600) -> str:
        proc = subprocess.run(cmd, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc.stdout

    def seed(self, *args: str, timeout: float = 600) -> dict:
        out = self.run([python_exe(), "-m", "bench.seed", *args], timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def token(self, username: str) -> str:
        key = self.run([*sulh_cmd(), "token", "create", username, "--name", "bench"]).strip().splitlines()[-1]
        if not key.startswith("sulh_"):
            raise RuntimeError(f"unexpected token output for {username}: {key!r}")
        return key

    def serve(self, timeout: float = 60) -> int:
        self.port = free_port()
        self._server_log = open(self.dir / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.server = subprocess.Popen(
            [*sulh_cmd(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=self._server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"sulh serve exited with {self.server.returncode}:\n{self.server_log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self.port
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"sulh serve did not answer within {timeout:.0f} s:\n{self.server_log_tail()}")

    def server_log_tail(self, n: int = 3000) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=5)
        self.server = None
        if self._server_log is not None:
            self._server_log.close()
            self._server_log = None
