"""Live delivery through a real server (`sulh serve --no-ticker`, uvicorn) and GET /hotline/stream.

A listener receives messages sent through the API in order, each with its id; after a disconnect it sends
its last id and gets exactly what it missed, once, in order, then the live ones. Refusals: no post on duty
403, no credentials 401, a Last-Event-ID that is not a number 400. Across processes: a listener on one
server receives what was sent through another, and what a separate process stored without any server (the
database is the source, not the sending process's memory): LISTEN/NOTIFY on PostgreSQL, the hub's poll of
the newest seq on SQLite. Skipped, with the server's own output as the reason, only if a server cannot start."""

from sulh.accounts.models import ApiToken
from sulh.hotline import services

from .hotline_world import Listener, Server

SEND_IN_PROCESS = """
from sulh.accounts.models import User
from sulh.hotline import services
msg = services.send(User.objects.get(username="afg-s2"), services.Outgoing(
    channel="S2-CHAMAN", message_type="hold_fire_request", priority="flash", body=sys.argv[1]))
print(msg.code)
"""


def listen_pg(shared_db):
    """PostgreSQL: LISTEN on the hotline's channel now; returns a function giving the seqs notified since."""
    if shared_db.vendor != "postgresql":
        return None
    import psycopg
    from django.db import connection

    conn = psycopg.connect(**{
        k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")
    }, autocommit=True)  # fmt: skip
    conn.execute(f"LISTEN {services.NOTIFY_CHANNEL}")

    def seqs() -> set[int]:
        try:
            return {int(n.payload) for n in conn.notifies(timeout=5, stop_after=1)} | {
                int(n.payload) for n in conn.notifies(timeout=0.2)
            }
        finally:
            conn.close()

    return seqs


def token(user) -> str:
    return ApiToken.issue(user, "live")[1]


def send(server: Server, tok: str, body: str) -> dict:
    status, m = server.request("POST", "/api/v1/hotline/messages", tok, {
        "channel": "S2-CHAMAN", "message_type": "hold_fire_request", "priority": "flash", "body": body,
    })  # fmt: skip
    assert status == 201, m
    return m


def sent_codes(frames) -> list[str]:
    return [p["message"]["code"] for _, p in frames]


def check_frames(frames) -> None:
    for seq, payload in frames:
        assert seq == payload["seq"], (seq, payload)
    seqs = [s for s, _ in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs


def test_live_delivery_and_replay_after_a_reconnect(desks, users, shared_db):
    afg, pak = token(desks["AFG-S2"]), token(desks["PAK-S2"])
    analyst, off_duty = token(users["pak_analyst"]), token(desks["PAK-R-SOUTH"])
    services.set_duty(desks["PAK-R-SOUTH"], "PAK-R-SOUTH", False)
    shared_db.push()
    a = Server(shared_db, "server-a")

    # Refusals first: no post (or none on duty), no credentials, a cursor that is not a number.
    assert Listener(a, analyst).status == 403
    refused = Listener(a, off_duty)
    assert refused.status == 403 and "on duty" in refused.body["detail"]
    assert Listener(a, None).status == 401
    bad = Listener(a, pak, last_event_id="yesterday")
    assert bad.status == 400 and "Last-Event-ID" in bad.body["detail"]

    first = Listener(a, pak)
    live = [send(a, afg, f"Hold fire at post {i}") for i in range(3)]
    got = first.take(3)
    check_frames(got)
    assert sent_codes(got) == [m["code"] for m in live]
    assert all(p["kind"] == "sent" and p["post"] == "AFG-S2" for _, p in got)
    assert got[0][1]["message"]["body"] == "Hold fire at post 0"
    assert got[0][1]["at_local"].endswith("+05:00")  # Karachi time for a Pakistani desk
    first.nothing_more()
    last_seen = got[-1][0]
    first.close()

    missed = [send(a, afg, f"Hold fire at post {i}") for i in range(3, 6)]
    _, polled = a.request("GET", f"/api/v1/hotline/events?after={last_seen}", pak)
    assert [e["message"]["code"] for e in polled] == [m["code"] for m in missed]

    again = Listener(a, pak, last_event_id=last_seen)
    replay = again.take(3)
    check_frames(replay)
    assert [s for s, _ in replay] == [e["seq"] for e in polled]  # exactly the missed ones, in order
    assert sent_codes(replay) == [m["code"] for m in missed]
    again.nothing_more()  # and only once
    status, _ = a.request("POST", f"/api/v1/hotline/messages/{missed[0]['code']}/acknowledge", pak, {"reply": "Done"})
    assert status == 200
    more = again.take(1)
    assert more[0][1]["kind"] == "acknowledged" and more[0][0] > replay[-1][0]
    after = send(a, afg, "Hold fire at post 6")
    tail = again.take(1)
    assert sent_codes(tail) == [after["code"]] and tail[0][0] > more[0][0]
    again.nothing_more()

    again.close()

    # The query parameter works as the header does (for clients that cannot set headers).
    _, since = a.request("GET", f"/api/v1/hotline/events?after={last_seen}", pak)
    assert len(since) == 5  # three missed, the acknowledgement, one more
    by_param = Listener(a, pak, path=f"/hotline/stream?last_event_id={last_seen}")
    assert [s for s, _ in by_param.take(5)] == [e["seq"] for e in since]
    by_param.nothing_more()
    by_param.close()


def test_a_message_reaches_listeners_on_other_server_processes(desks, shared_db):
    afg, pak, med = token(desks["AFG-S2"]), token(desks["PAK-S2"]), token(desks["MED-CELL"])
    shared_db.push()
    a, b = Server(shared_db, "server-a", wait=False), Server(shared_db, "server-b", wait=False)
    a.wait()
    b.wait()
    on_b = Listener(b, pak)
    cell_on_a = Listener(a, med)

    m = send(a, afg, "Sent through server A")  # stored by A; the listener is on B
    got = on_b.take(1)
    assert sent_codes(got) == [m["code"]]
    assert sent_codes(cell_on_a.take(1)) == [m["code"]]

    # Stored by a process that serves nobody: the servers learn of it from the database alone.
    notified = listen_pg(shared_db)
    code = shared_db.run_python(SEND_IN_PROCESS, "Stored by a separate process").strip().splitlines()[-1]
    got_b, got_a = on_b.take(1), cell_on_a.take(1)
    assert sent_codes(got_b) == [code] == sent_codes(got_a)
    assert got_b[0][1]["message"]["body"] == "Stored by a separate process"
    assert got_b[0][0] > got[0][0]
    if notified is not None:
        # On PostgreSQL the wake-up is a NOTIFY, sent at commit, carrying the event's seq.
        assert got_b[0][0] in notified(), "the storing process sent no NOTIFY for its event"
    on_b.nothing_more()
    cell_on_a.nothing_more()
    on_b.close()
    cell_on_a.close()
