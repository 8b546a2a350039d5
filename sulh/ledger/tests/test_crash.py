"""A real `sulh serve`, killed with SIGKILL in the middle of a burst of concurrent writes.

Afterwards every write the server acknowledged (201) is in the log with the entry hash its receipts gave,
its inclusion proof verifies against a checkpoint signed after the crash, `sulh log verify --database`
passes, and the Incident and Claim tables hold exactly the records the log holds: an append commits or
rolls back with the record it logs, whatever instant the process dies at.

Runs against SQLite, and against PostgreSQL in a scratch database when one answers. Marked `crash`
(about 15-20 s per database): `pytest -m "not crash"` leaves it out."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from sulh.conftest import CHAMAN, LANDI_KOTAL, PARACHINAR, incident_payload
from sulh.ledger import merkle, note, tlog

pytestmark = pytest.mark.crash

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / ".venv" / "bin"
THREADS = 12
KILL_AFTER = 30  # acknowledged writes before the kill; the other threads are mid-request by then
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"

DUMP = r"""
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
django.setup()
from sulh.incidents.models import Claim, Incident
from sulh.ledger import keys, services
from sulh.ledger.models import LogEntry
cp = services.latest_checkpoint()
wanted = json.loads(sys.stdin.read())
print(json.dumps({
    "size": services.tree_size(),
    "log_key": keys.log_verifier_key(),
    "checkpoint": cp.note,
    "entries": list(LogEntry.objects.order_by("index").values_list("index", "entry_hash", "record_type", "record_id", "kind")),
    "incidents": [str(pk) for pk in Incident.objects.values_list("pk", flat=True)],
    "claims": [str(pk) for pk in Claim.objects.values_list("pk", flat=True)],
    "proofs": {i: [h.hex() for h in services.inclusion(i, cp.size)["proof"]] for i in wanted},
}))
"""


def sulh_cmd() -> list[str]:
    exe = VENV_BIN / "sulh"
    return [str(exe)] if exe.exists() else [str(VENV_BIN / "python"), "-m", "sulh.cli"]


def python_exe() -> str:
    exe = VENV_BIN / "python"
    return str(exe) if exe.exists() else "python3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else PG_DEFAULT


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 -- any failure: no PostgreSQL here
        return False


class Scratch:
    """A data directory (and a PostgreSQL database) of its own, migrated, with a user and a token."""

    def __init__(self, db: str, tmp: Path):
        self.db = db
        self.dir = tmp
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SULH_EVIDENCE_DIR", "SULH_STATIC_ROOT")}
        self.env.update(
            SULH_DATA_DIR=str(tmp / "data"),
            SULH_ALLOWED_HOSTS="127.0.0.1,localhost",
            SULH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="sulh.settings",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        self.pg_db = None
        self.server: subprocess.Popen | None = None

    def __enter__(self):
        if self.db == "postgres":
            import psycopg

            admin = pg_admin_url()
            self.pg_db = f"sulh_crash_{secrets.token_hex(4)}"
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"CREATE DATABASE {self.pg_db}")
            parts = urllib.parse.urlsplit(admin)
            self.env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_db))
        self.run(*sulh_cmd(), "migrate", "--noinput")
        self.run(python_exe(), "-m", "bench.seed", "users")  # the benchmark's organisations and users
        self.token = self.run(*sulh_cmd(), "token", "create", "pak_liaison", "--name", "crash").strip().splitlines()[-1]
        assert self.token.startswith("sulh_"), self.token
        return self

    def __exit__(self, *exc):
        self.kill()
        if self.pg_db:
            import psycopg

            with psycopg.connect(pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")
        return False

    def run(self, *cmd: str, stdin: str | None = None, check: bool = True) -> str:
        p = subprocess.run(  # noqa: S603 -- our own commands
            list(cmd), env=self.env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180
        )
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        self.last_rc = p.returncode
        return p.stdout

    def serve(self) -> int:
        self.port = free_port()
        self.log = open(self.dir / "server.log", "w")  # noqa: SIM115 -- closed in kill()
        self.server = subprocess.Popen(  # noqa: S603
            [*sulh_cmd(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.dir / "server.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self.port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("sulh serve did not answer in 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush: the process is simply gone."""
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGKILL)  # the group of the server started above, and only it
            self.server.wait(timeout=10)
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None


def burst(port: int, token: str):
    """THREADS threads posting incidents until the server dies. Returns the acknowledged writes, the
    requests cut by the kill, any other answer, an event set once KILL_AFTER writes were acknowledged, and
    the threads."""
    acked: list[dict] = []
    cut: list[str] = []
    other: list[str] = []
    enough = threading.Event()
    lock = threading.Lock()
    counter = itertools.count()
    points = [LANDI_KOTAL, CHAMAN, PARACHINAR]

    def worker():
        while True:
            n = next(counter)
            payload = incident_payload(deaths_a=n % 90, point=points[n % 3], title=f"Burst {n}")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            if n % 2:
                headers["Idempotency-Key"] = f"crash-{n}"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", "/api/v1/incidents", json.dumps(payload), headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    cut.append(f"request {n}: {type(exc).__name__}: {exc}")
                return  # the server is gone
            finally:
                conn.close()
            with lock:
                if resp.status != 201:
                    other.append(f"request {n}: HTTP {resp.status} {body[:300]!r}")
                    continue
                acked.append({"n": n, "json": json.loads(body), "header": resp.getheader("Sulh-Receipt")})
                if len(acked) >= KILL_AFTER:
                    enough.set()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    return acked, cut, other, enough, threads


def parse_header(value: str) -> list[dict]:
    out = []
    for item in value.split(", "):
        index, *params = item.split("; ")
        fields = dict(p.split("=", 1) for p in params)
        out.append({"leaf_index": int(index), "entry_hash": fields["entry-hash"], "kind": fields["kind"], "record": fields["record"]})
    return out


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_sigkill_mid_burst_loses_no_acknowledged_write_and_leaves_no_orphan(db):
    if db == "postgres" and not pg_reachable(pg_admin_url()):
        pytest.skip(f"PostgreSQL not reachable at {pg_admin_url()}")
    tmp = Path(tempfile.mkdtemp(prefix=f"sulh-crash-{db}-"))
    try:
        with Scratch(db, tmp) as env:
            port = env.serve()
            acked, cut, other, enough, threads = burst(port, env.token)
            assert enough.wait(120), f"only {len(acked)} writes acknowledged:\n{(tmp / 'server.log').read_text()[-3000:]}"
            env.kill()
            for t in threads:
                t.join(timeout=30)
            assert not any(t.is_alive() for t in threads)
            assert len(acked) >= KILL_AFTER
            assert cut, "the kill was meant to cut requests in flight"
            assert not other, other

            # After the crash: a checkpoint signed by the restarted tools, and the full check.
            env.run(*sulh_cmd(), "log", "checkpoint")
            out = env.run(*sulh_cmd(), "log", "verify", "--database", check=False)
            assert env.last_rc == 0, out
            assert out.rstrip().endswith("VERIFIED: no problem found"), out

            receipts = [r for a in acked for r in a["json"]["receipts"]]
            dump = json.loads(env.run(python_exe(), "-c", DUMP, stdin=json.dumps([r["leaf_index"] for r in receipts])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    opened = tlog.open_checkpoint(dump["checkpoint"], [note.parse_verifier_key(dump["log_key"])])
    size, root = opened.checkpoint.size, opened.checkpoint.root
    assert size == dump["size"] == len(dump["entries"])
    entries = {i: (h, t, r, k) for i, h, t, r, k in dump["entries"]}
    assert sorted(entries) == list(range(size)), "leaf indices run 0 … size-1 without a gap"

    # Every acknowledged write: its receipts (JSON and header) name entries that are in the log, as given.
    for a in acked:
        body = a["json"]
        assert [r["kind"] for r in body["receipts"]] == ["incident.registered", "claim.filed"]
        assert parse_header(a["header"]) == body["receipts"]
        assert [r["record"] for r in body["receipts"]] == [f"incident:{body['incident']['id']}", f"claim:{body['claim']['id']}"]
        for r in body["receipts"]:
            h, rtype, rid, kind = entries[r["leaf_index"]]
            assert (h, f"{rtype}:{rid}", kind) == (r["entry_hash"], r["record"], r["kind"])
            proof = [bytes.fromhex(x) for x in dump["proofs"][str(r["leaf_index"])]]
            merkle.verify_inclusion(bytes.fromhex(r["entry_hash"]), r["leaf_index"], size, proof, root)
        assert body["incident"]["id"] in dump["incidents"] and body["claim"]["id"] in dump["claims"]
    indices = [r["leaf_index"] for a in acked for r in a["json"]["receipts"]]
    assert len(set(indices)) == len(indices), "no two acknowledged writes share a leaf"

    # No record without an entry, no entry without a record: the tables hold what the log holds.
    logged = {t: {r for _, _, tt, r, _ in dump["entries"] if tt == t} for t in ("incident", "claim")}
    assert set(dump["incidents"]) == logged["incident"]
    assert set(dump["claims"]) == logged["claim"]
    assert len(dump["incidents"]) == len(dump["claims"]) >= len(acked)
