"""`sulh hotline`: the terminal client against a real `sulh serve` (a subprocess on a file SQLite database,
and on a scratch PostgreSQL database when one answers), and the server-side auditor.

The client runs as the `sulh` console command in a subprocess of its own, exactly as at a command post;
its exit status and output are what is checked. `tail` is also run through a proxy that cuts the stream
after each event, in the middle of the next one, to check that it resumes without a gap or a repeat."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline import services
from sulh.hotline.cli import _matches, format_event, sse_frames
from sulh.hotline.tests.live_server import ServeProcess, free_port, sulh_command

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / ".venv" / "bin"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"

# Users of the scratch server: name -> (organisation, role, post held). Tokens are issued by SETUP.
HOLDERS = {
    "afg_s2": ("AFG", "commander", "AFG-S2"),
    "pak_s2": ("PAK", "commander", "PAK-S2"),
    "pak_r_south": ("PAK", "commander", "PAK-R-SOUTH"),
}
SETUP = r"""
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
django.setup()
from sulh.accounts.models import ApiToken, Organisation, User
from sulh.hotline import services
holders = json.loads(sys.stdin.read())
orgs = {o.code: o for o in Organisation.objects.all()}
admin = User.objects.create(username="cli_admin", organisation=orgs["OPS"], role="administrator")
tokens = {}
for name, (org, role, post) in holders.items():
    user = User.objects.create(username=name, organisation=orgs[org], role=role)
    services.assign_holder(admin, post, user)
    tokens[name] = ApiToken.issue(user, "cli-test")[1]
print(json.dumps(tokens))
"""


_sulh = sulh_command


def _python() -> str:
    exe = VENV_BIN / "python"
    return str(exe) if exe.exists() else "python3"


def _pg_admin_url() -> str:
    """The maintenance database of the PostgreSQL server the tests use (or of the local default)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return PG_DEFAULT
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def _pg_reachable(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 -- any failure: no PostgreSQL here
        return False


class Server:
    """A migrated scratch database with three post holders and their tokens, and `sulh serve` on it."""

    def __init__(self, db: str, tmp: Path):
        self.db, self.dir = db, tmp
        drop = ("DATABASE_URL", "SULH_EVIDENCE_DIR", "SULH_STATIC_ROOT", "SULH_URL", "SULH_TOKEN")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            SULH_DATA_DIR=str(tmp / "data"), SULH_ALLOWED_HOSTS="127.0.0.1,localhost", SULH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="sulh.settings", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )  # fmt: skip
        self.pg_db = None
        self.server: ServeProcess | None = None

    def start(self) -> Server:
        if self.db == "postgres":
            import psycopg

            self.pg_db = f"sulh_cli_{secrets.token_hex(4)}"
            with psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"CREATE DATABASE {self.pg_db}")
            parts = urllib.parse.urlsplit(_pg_admin_url())
            self.env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_db))
        self._run(*_sulh(), "migrate", "--noinput")
        self.tokens = json.loads(self._run(_python(), "-c", SETUP, stdin=json.dumps(HOLDERS)).stdout)
        self.server = ServeProcess(self.env, self.dir).start()
        self.port, self.url = self.server.port, self.server.url
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()  # a scratch database needs no clean shutdown
        if self.pg_db:
            import psycopg

            with psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")

    def _run(self, *cmd: str, stdin: str | None = None, env: dict | None = None, timeout: float = 180):
        p = subprocess.run(  # noqa: S603 -- our own commands
            list(cmd),
            env=env or self.env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if env is None and p.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
            )
        return p

    def hl(
        self, user: str, *args: str, stdin: str | None = None, url: str | None = None, timeout: float = 60
    ):
        """`sulh hotline ARGS` as `user`, configured by the environment as at a command post."""
        env = {k: v for k, v in self.env.items() if k not in ("DATABASE_URL", "SULH_DATA_DIR")}
        env.update(SULH_URL=url or self.url, SULH_TOKEN=self.tokens[user])
        return self._run(*_sulh(), "hotline", *args, stdin=stdin, env=env, timeout=timeout)

    def post(self, user: str, path: str, payload: dict) -> dict:
        req = urllib.request.Request(  # noqa: S310 -- our scratch server
            f"{self.url}/api/v1/{path}", data=json.dumps(payload).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.tokens[user]}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return json.loads(resp.read())

    def get(self, user: str, path: str):
        auth = {"Authorization": f"Bearer {self.tokens[user]}"}
        req = urllib.request.Request(f"{self.url}/api/v1/{path}", headers=auth)  # noqa: S310 -- our scratch server
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 -- our scratch server
            return json.loads(resp.read())


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request):
    if request.param == "postgres" and not _pg_reachable(_pg_admin_url()):
        pytest.skip(f"PostgreSQL not reachable at {_pg_admin_url()}")
    tmp = Path(tempfile.mkdtemp(prefix=f"sulh-hotline-cli-{request.param}-"))
    srv = Server(request.param, tmp)
    try:
        yield srv.start()
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _send(server: Server, user: str, *args: str, body: str = "Hold fire at the Friendship Gate") -> dict:
    p = server.hl(user, "send", "--json", "--channel", "S2-CHAMAN", *args, body)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _event_seq(message: dict) -> int:
    """The `sent` event's seq: it is the leaf index of its log entry, which the receipts name."""
    return next(r["leaf_index"] for r in message["receipts"] if r["kind"] == "hotline.sent")


# --- send, inbox, ack, show ---------------------------------------------------------------------------------


def test_send_inbox_acknowledge_show(server):
    p = server.hl("afg_s2", "send", "--channel", "S2-CHAMAN", "--type", "hold_fire_request", "--priority", "flash",
                  "--lat", "30.99", "--lon", "66.39", "-", stdin="Hold fire: rounds landing near the gate\nat 02:00")  # fmt: skip
    assert p.returncode == 0, p.stderr
    key = p.stderr.split("Idempotency-Key: ", 1)[1].split()[0]
    assert len(key) >= 20
    code = p.stdout.split()[0]
    assert code.startswith("HL-")
    assert "from AFG-S2 to PAK-S2 (hold_fire_request, flash)" in p.stdout
    assert "+04:30" in p.stdout  # the sender sees its own zone (Afghanistan)
    # The charter: a flash hold-fire request is acknowledged within PT2M.
    sent_at, due = (
        re.search(rf"^{label}\s+(\S+ \S+) ", p.stdout, re.M).group(1) for label in ("sent at", "ack due")
    )
    assert dt.datetime.fromisoformat(due) - dt.datetime.fromisoformat(sent_at) == dt.timedelta(minutes=2)
    assert re.search(r"^ack due .*, \d+ min \d+ s left$", p.stdout, re.M)
    assert "PAK-S2 -> PAK-R-SOUTH -> PAK-HQ -> MED-CELL -> MED-CELL" in p.stdout
    assert "hotline_message.sent" in p.stdout and "hotline.sent" in p.stdout  # the receipts

    p = server.hl("pak_s2", "inbox")
    assert p.returncode == 0, p.stderr
    line = next(x for x in p.stdout.splitlines() if x.startswith(code))
    assert "FLASH" in line and "AFG-S2 -> PAK-S2 (step 0, sent)" in line
    assert "+05:00" in p.stdout and " left" in p.stdout  # the receiver's zone (Pakistan), and the countdown
    assert "rounds landing near the gate at 02:00" in p.stdout  # the body on one line

    # Shown to the receiving post, it is read (as when its page opens in the console); to the sender, not.
    p = server.hl("pak_s2", "show", code)
    assert p.returncode == 0, p.stderr
    assert re.search(
        r"^state      read, step 0 of 4: PAK-S2 must acknowledge by .*\+05:00", p.stdout, re.M
    ), p.stdout

    p = server.hl("pak_s2", "ack", code, "--reply", "Orders passed to the posts")
    assert p.returncode == 0, p.stderr
    assert (
        f"{code}: acknowledged" in p.stdout and "by pak_s2" in p.stdout and "hotline.acknowledged" in p.stdout
    )
    assert code not in server.hl("pak_s2", "inbox").stdout

    p = server.hl("afg_s2", "show", code)
    assert p.returncode == 0, p.stderr
    assert "RESTRICTED" not in p.stdout and "location   30.99, 66.39" in p.stdout
    assert "  Hold fire: rounds landing near the gate\n  at 02:00" in p.stdout  # the body as written
    timeline = p.stdout.split("timeline", 1)[1].splitlines()[1:]
    kinds = [re.search(r"Z\)\s+(\S+)", row).group(1) for row in timeline]
    assert kinds == ["sent", "delivered", "read", "acknowledged"]  # reading implies delivery, recorded first
    assert "reply=Orders passed to the posts" in timeline[3] and "PAK-S2 (pak_s2)" in timeline[3]
    sent_row = timeline[0]
    assert "+04:30" in sent_row and "Z)" in sent_row  # local and UTC, side by side
    data = json.loads(server.hl("afg_s2", "show", code, "--json").stdout)
    assert data["message"]["state"] == "acknowledged" and [e["kind"] for e in data["events"]] == kinds


# --- refusals and failures ------------------------------------------------------------------------------------


def test_refusals_print_the_reason_and_exit_1_unreachable_exits_2(server):
    msg = _send(server, "afg_s2", "--type", "restraint_request", "--priority", "immediate")
    # The sender cannot acknowledge its own message.
    p = server.hl("afg_s2", "ack", msg["code"])
    assert p.returncode == 1
    assert p.stdout == ""
    assert "refused (HTTP 403)" in p.stderr and "only a holder of the receiving post (PAK-S2)" in p.stderr
    # Unknown channel: the API's detail and field.
    p = server.hl(
        "afg_s2", "send", "--channel", "S9-NOWHERE", "--type", "free_text", "--priority", "routine", "x"
    )
    assert p.returncode == 1
    assert "refused (HTTP 404): no hotline channel 'S9-NOWHERE' (field: channel)" in p.stderr
    # A second acknowledgement.
    assert server.hl("pak_s2", "ack", msg["code"]).returncode == 0
    p = server.hl("pak_s2", "ack", msg["code"])
    assert p.returncode == 1 and f"refused (HTTP 409): {msg['code']} is already acknowledged" in p.stderr
    # Malformed input is refused before it is sent; a usage error is a refusal too (1), not "retry" (2).
    p = server.hl("afg_s2", "send", "--channel", "S2-CHAMAN", "--type", "movement_notice", "--priority", "routine",
                  "--lat", "31", "--lon", "66.4", "--starts-at", "2030-01-01T10:00", "--ends-at", "2030-01-01T11:00", "x")  # fmt: skip
    assert p.returncode == 1 and "say which zone" in p.stderr
    # Nobody answers at that address: exit 2, and send says how to retry safely.
    dead = f"http://127.0.0.1:{free_port()}"
    p = server.hl("pak_s2", "inbox", url=dead)
    assert p.returncode == 2 and f"cannot reach {dead}" in p.stderr
    p = server.hl(
        "afg_s2",
        "send",
        "--channel",
        "S2-CHAMAN",
        "--type",
        "free_text",
        "--priority",
        "routine",
        "x",
        url=dead,
    )
    key = p.stderr.split("Idempotency-Key: ", 1)[1].split()[0]
    assert p.returncode == 2 and f"--idempotency-key {key}" in p.stderr
    # A bad token: the server's 401.
    server.tokens["nobody"] = "sulh_not-a-token"
    p = server.hl("nobody", "inbox")
    assert p.returncode == 1 and "refused (HTTP 401)" in p.stderr


def test_a_retry_with_the_same_idempotency_key_sends_once(server):
    body = f"Prior notice {secrets.token_hex(4)}: convoy on the Chaman road"
    args = (
        "send",
        "--channel",
        "S2-CHAMAN",
        "--type",
        "free_text",
        "--priority",
        "routine",
        "--idempotency-key",
    )
    first = server.hl("afg_s2", *args, "retry-test-1", body)
    again = server.hl("afg_s2", *args, "retry-test-1", body)
    assert first.returncode == again.returncode == 0, (first.stderr, again.stderr)
    code = first.stdout.split()[0]
    assert "Already sent with this key" not in first.stdout
    assert "Already sent with this key" in again.stdout and f"{code}  sent on S2-CHAMAN" in again.stdout
    assert [m["code"] for m in server.get("pak_s2", "hotline/messages?limit=500") if m["body"] == body] == [
        code
    ]
    # The same key for a different message is refused rather than silently ignored.
    other = server.hl("afg_s2", *args, "retry-test-1", body + "!")
    assert other.returncode == 1 and "already used for a different request" in other.stderr


def test_posts_and_duty(server):
    p = server.hl("pak_r_south", "posts")
    assert p.returncode == 0 and "PAK-R-SOUTH" in p.stdout and "ON DUTY" in p.stdout and "+05:00" in p.stdout
    assert server.hl("pak_r_south", "duty", "PAK-R-SOUTH", "off").returncode == 0
    try:
        assert "off duty" in server.hl("pak_r_south", "posts").stdout
        # Off duty at every post: there is nothing to follow.
        p = server.hl("pak_r_south", "tail", timeout=30)
        assert p.returncode == 1 and "no hotline post on duty" in p.stderr
        p = server.hl("pak_r_south", "duty", "PAK-S2", "on")  # a post one does not hold
        assert p.returncode == 1 and "you do not hold PAK-S2" in p.stderr
    finally:
        assert server.hl("pak_r_south", "duty", "PAK-R-SOUTH", "on").returncode == 0


# --- tail --------------------------------------------------------------------------------------------------------


def test_tail_prints_events_and_resumes_from_since_without_duplicates(server):
    a = _send(server, "afg_s2", "--type", "hold_fire_request", "--priority", "flash", body="First: hold fire")
    b = _send(server, "afg_s2", "--type", "incident_notification", "--priority", "immediate",
              "--lat", "30.99", "--lon", "66.39", body="Second: mortar rounds near the bazaar")  # fmt: skip
    sa, sb = _event_seq(a), _event_seq(b)
    assert sb > sa

    p = server.hl("pak_s2", "tail", "--since", str(sa - 1), "--count", "2", timeout=30)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [int(x.split()[0]) for x in lines] == [sa, sb]
    first = lines[0]
    for part in (" sent ", a["code"], "S2-CHAMAN", "AFG-S2->PAK-S2", "flash", "First: hold fire", "+05:00"):
        assert part in first, (part, first)
    # The tail told the server this device has both messages, for the post they are addressed to.
    for m in (a, b):
        events = server.get("afg_s2", f"hotline/messages/{m['code']}/events")
        assert [(e["kind"], e["post"]) for e in events] == [("sent", "AFG-S2"), ("delivered", "PAK-S2")]

    # Resuming after `a`: `b` first, never `a` again, then the deliveries, each once and in order.
    p = server.hl("pak_s2", "tail", "--json", "--since", str(sa), "--count", "3", timeout=30)
    assert p.returncode == 0, p.stderr
    got = [json.loads(x) for x in p.stdout.splitlines()]
    assert [e["seq"] for e in got][0] == sb
    assert [(e["kind"], e["message"]["code"]) for e in got] == [
        ("sent", b["code"]),
        ("delivered", a["code"]),
        ("delivered", b["code"]),
    ]
    expected = [e["seq"] for e in server.get("pak_s2", f"hotline/events?after={sa}")][:3]
    assert [e["seq"] for e in got] == expected  # exactly what the poll endpoint has after `a`
    # A channel filter (client-side) that matches nothing of these prints nothing of them.
    assert not _matches(got[0], "S1-SOUTH") and _matches(got[0], "S2-CHAMAN")


def after_first_event(buf: bytes) -> int | None:
    """Cut a dozen bytes into the data of the event after the first one (or just after the first)."""
    start = buf.find(b"data:")
    end = buf.find(b"\n\n", start) if start >= 0 else -1
    if end < 0:
        return None  # hold it back until a whole event is there
    nxt = buf.find(b"data:", end)
    return end + 2 if nxt < 0 else nxt + 12


def after_the_cursor(buf: bytes) -> int | None:
    """Cut right after the stream's opening frame (its cursor), before any event."""
    start = buf.find(b"id:")
    end = buf.find(b"\n\n", start) if start >= 0 else -1
    return None if end < 0 else end + 2


class CuttingProxy:
    """A TCP proxy to the server that cuts event streams where `cut` says (what a poor link does), at most
    `max_cuts` of them, calling `before_cut` first. Other requests (the API) pass through untouched."""

    def __init__(self, port: int, cut, *, max_cuts: int | None = None, before_cut=None):
        self.upstream, self.cut, self.max_cuts, self.before_cut = port, cut, max_cuts, before_cut
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.cuts = self.streams = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket):
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)

    def _serve(self, client: socket.socket):
        up = socket.create_connection(("127.0.0.1", self.upstream))
        request = client.recv(65536)
        up.sendall(request)
        threading.Thread(target=self._pump, args=(client, up), daemon=True).start()
        is_stream = request.startswith(b"GET /hotline/stream")
        cutting = is_stream and (self.max_cuts is None or self.cuts < self.max_cuts)
        self.streams += is_stream
        buf = b""
        try:
            while chunk := up.recv(65536):
                if not cutting:
                    client.sendall(chunk)
                    continue
                buf += chunk
                at = self.cut(buf)
                if at is None:
                    continue
                client.sendall(buf[:at])
                if self.before_cut is not None:
                    self.before_cut()
                self.cuts += 1
                break
        except OSError:
            pass
        finally:
            for s in (client, up):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self):
        self.sock.close()


def test_tail_reconnects_after_a_dropped_connection_and_misses_nothing(server):
    sent = [
        _send(server, "afg_s2", "--type", "free_text", "--priority", "routine", body=f"Notice {i}")
        for i in range(3)
    ]
    since = _event_seq(sent[0]) - 1
    proxy = CuttingProxy(server.port, after_first_event)
    try:
        p = server.hl("pak_s2", "tail", "--json", "--since", str(since), "--count", "6",
                      url=f"http://127.0.0.1:{proxy.port}", timeout=90)  # fmt: skip
    finally:
        proxy.close()
    assert p.returncode == 0, p.stderr
    got = [json.loads(x) for x in p.stdout.splitlines()]
    seqs = [e["seq"] for e in got]
    assert seqs == sorted(set(seqs)), "in order, each once"
    expected = [e["seq"] for e in server.get("pak_s2", f"hotline/events?after={since}")][:6]
    assert seqs == expected, "nothing missed"
    assert [(e["kind"], e["message"]["code"]) for e in got[:3]] == [("sent", m["code"]) for m in sent]
    assert [(e["kind"], e["message"]["code"]) for e in got[3:]] == [("delivered", m["code"]) for m in sent]
    assert proxy.cuts >= 5 and proxy.streams >= 6
    assert (
        p.stderr.count("reconnecting in 1 s, after event") >= 5
    )  # the backoff restarts after each good connection
    assert "resuming after event" in p.stderr


def test_tail_resumes_from_the_streams_cursor_when_cut_before_any_event(server):
    """Started without --since, the link drops before the first event, and a message is sent in the gap:
    the stream's opening id (its cursor) makes the reconnection replay it."""
    sent = []

    def send_in_the_gap():
        sent.append(server.post("afg_s2", "hotline/messages", {
            "channel": "S2-CHAMAN", "message_type": "free_text", "priority": "routine", "body": "Sent in the gap",
        }))  # fmt: skip

    proxy = CuttingProxy(server.port, after_the_cursor, max_cuts=1, before_cut=send_in_the_gap)
    try:
        p = server.hl(
            "pak_s2", "tail", "--json", "--count", "1", url=f"http://127.0.0.1:{proxy.port}", timeout=60
        )
    finally:
        proxy.close()
    assert p.returncode == 0, p.stderr
    assert proxy.cuts == 1 and "reconnecting in 1 s, after event" in p.stderr
    assert json.loads(p.stdout)["seq"] == _event_seq(sent[0])


# --- pieces of the client, without a server ------------------------------------------------------------------


def test_sse_framing():
    raw = (
        b"retry: 3000\nid: 41\n\n"  # the server's cursor: an id without data
        b": keep-alive\n\n"
        b'id: 42\ndata: {"a":\n'
        b"data: 1}\n\n"
        b"event: resync\ndata: {}\n\n"
        b'id: 43\ndata: {"half'  # cut: no blank line, never a frame
    )
    frames = list(sse_frames(io.BytesIO(raw)))
    assert [(f.id, f.event, f.data) for f in frames] == [
        ("41", None, None), ("42", None, '{"a":\n1}'), (None, "resync", "{}"),
    ]  # fmt: skip


def test_format_event_of_a_task():
    line = format_event({
        "seq": 7, "kind": "task.breached", "at": "2025-11-20T00:00:00.000Z", "at_local": "2025-11-20T04:30:00+04:30",
        "post": "AFG-S2", "detail": {"protocol": "CROSS-BORDER-FIRE", "step": "NOTIFY", "party": "AFG",
                                     "name": "Notify the counterpart sector", "due_at": "2025-11-20T00:00:00Z"},
    })  # fmt: skip
    assert line.split() == ["7", "2025-11-20", "04:30:00", "+04:30", "task.breached", "CROSS-BORDER-FIRE/NOTIFY", "AFG",
                            "AFG-S2", "due", "2025-11-20", "00:00:00Z", "Notify", "the", "counterpart", "sector"]  # fmt: skip


# --- the auditor (server side, in-process) ---------------------------------------------------------------------


@pytest.fixture
def desks(users, make_user):
    holders = {}
    for code, org in [("AFG-S2", "AFG"), ("PAK-S2", "PAK"), ("PAK-R-SOUTH", "PAK")]:
        u = make_user(code.lower(), org, "commander")
        services.assign_holder(users["ops_admin"], code, u)
        holders[code] = u
    return holders


def _audit(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("hotline", "audit", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


@pytest.mark.django_db
def test_audit_reports_overdue_failed_and_untimed(desks):
    msg = services.send(desks["AFG-S2"], services.Outgoing(
        channel="S2-CHAMAN", message_type="hold_fire_request", priority="flash", body="Hold fire at the gate",
    ))  # fmt: skip
    code, out = _audit()
    assert code == 0, out
    assert "no deadline more than 5 s overdue, none failed" in out
    assert f"{msg.code}  flash" in out and "step 0/4 -> PAK-S2" in out and "left)" in out

    # The runner has not run for a minute: the ack deadline is overdue.
    Deadline.objects.filter(subject=str(msg.pk)).update(
        due_at=timezone.now() - dt.timedelta(seconds=60), run_at=timezone.now()
    )
    code, out = _audit()
    assert code == 1
    assert "1 deadline(s) overdue or failed" in out
    assert (
        "hotline.ack" in out
        and f"{msg.code} on S2-CHAMAN, step 0 (to PAK-S2), sent" in out
        and "past due" in out
    )
    code, _ = _audit("--grace", "120")  # within a larger grace it is not overdue yet
    assert code == 0

    # Once fired, it has climbed one step and nothing is overdue.
    assert [d.state for d in deadlines.fire_due()] == ["fired"]
    code, out = _audit()
    assert code == 0, out
    assert "step 1/4 -> PAK-R-SOUTH" in out and "last deadline fired" in out

    # A handler that kept failing.
    Deadline.objects.filter(subject=str(msg.pk), state="pending").update(
        state="failed", attempts=8, last_error="OperationalError: database is locked"
    )  # fmt: skip
    code, data = _audit("--json")
    report = json.loads(data)
    assert code == 1 and report["problems"] == 1
    assert report["overdue"][0]["state"] == "failed" and report["overdue"][0]["last_error"].startswith(
        "OperationalError"
    )
    assert report["awaiting"] == [{"code": msg.code, "channel": "S2-CHAMAN", "state": "escalated", "step": 1, "steps": 5,
                                   "to": "PAK-R-SOUTH", "ack_due_at": report["awaiting"][0]["ack_due_at"], "has_deadline": True}]  # fmt: skip

    # A message awaiting acknowledgement with no deadline at all would never escalate: reported.
    Deadline.objects.filter(subject=str(msg.pk)).delete()
    code, out = _audit()
    assert (
        code == 1
        and "with no live deadline (would never escalate)" in out
        and f"{msg.code} on S2-CHAMAN, step 1" in out
    )


def test_sulh_hotline_audit_is_routed_to_the_server_command(server):
    m = _send(server, "afg_s2", "--type", "free_text", "--priority", "routine", body="Awaiting for the audit")
    p = server._run(*_sulh(), "hotline", "audit", "--json", env=server.env)
    report = json.loads(p.stdout)
    assert p.returncode == (1 if report["problems"] else 0), p.stderr
    awaiting = {a["code"]: a for a in report["awaiting"]}
    assert awaiting[m["code"]] == {"code": m["code"], "channel": "S2-CHAMAN", "state": "sent", "step": 0, "steps": 5,
                                   "to": "PAK-S2", "ack_due_at": awaiting[m["code"]]["ack_due_at"], "has_deadline": True}  # fmt: skip
