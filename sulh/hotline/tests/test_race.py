"""Processes racing for the same deadlines: forty messages whose ladders are all due at once, and three
processes calling `fire_due()` at the same wall-clock instant. Every step of every ladder fires exactly once,
by one process, whichever it is (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED; SQLite: one writer at a time).

Each ladder's steps are given a zero acknowledgement time, so that firing one step makes the next due at
once: the processes race through all two hundred steps, not only the first forty."""

import json
import time
from collections import Counter

from sulh.deadlines.models import Deadline
from sulh.hotline import services
from sulh.hotline.models import Event, Message, MessageState

from .conftest import due_now, outgoing
from .hotline_world import wait_for

MESSAGES = 40
PROCESSES = 3

FIRE = """
from pathlib import Path
from sulh.deadlines import services as deadlines
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()  # Django set up, connected: ready
while not go.exists():
    time.sleep(0.005)
time.sleep(max(0.0, float(go.read_text()) - time.time()))  # the start barrier: all begin at this instant
start = time.time()
fired = []
while True:  # as a runner would: until nothing is due
    got = deadlines.fire_due()
    if not got:
        break
    fired += [[d.kind, d.subject, d.step, d.state, d.fired_by] for d in got]
print(json.dumps({"me": deadlines._me, "started": start, "fired": fired}))
"""


def test_processes_racing_for_the_same_deadlines_fire_each_step_once(desks, shared_db):
    ids = []
    for i in range(MESSAGES):
        sender, channel = ("AFG-S2", "S2-CHAMAN") if i % 2 else ("PAK-S2", "S2-CHAMAN")
        msg = services.send(desks[sender], outgoing(channel=channel, body=f"Hold fire at post {i}"))
        Message.objects.filter(pk=msg.pk).update(ladder=[{**s, "ack_within_s": 0} for s in msg.ladder])
        ids.append(str(msg.pk))
    steps = len(msg.ladder)
    assert due_now() == MESSAGES
    shared_db.push()

    go = shared_db.tmp / "go"
    ready = [shared_db.tmp / f"ready-{n}" for n in range(PROCESSES)]
    procs = [shared_db.python(FIRE, str(ready[n]), str(go), name=f"fire-{n}") for n in range(PROCESSES)]
    wait_for(lambda: all(r.exists() for r in ready) or any(p.poll() is not None for p in procs), 60, "the processes")
    tmp = go.with_suffix(".tmp")
    tmp.write_text(f"{time.time() + 0.2:.3f}")
    tmp.rename(go)  # atomically: nobody reads half a time
    results = []
    for p in procs:
        p.wait(timeout=120)
        out = shared_db.output(p)
        assert p.returncode == 0, out
        results.append(json.loads(out.strip().splitlines()[-1]))
    shared_db.pull()

    # What each process says it fired: no (message, step) twice, across all of them.
    said = Counter((s, st) for r in results for kind, s, st, state, _ in r["fired"] if kind == services.ACK_DEADLINE)
    assert set(said) == {(m, st) for m in ids for st in range(steps)}
    assert max(said.values()) == 1, [k for k, v in said.items() if v > 1]
    for r in results:
        assert all(state == "fired" and by == r["me"] for _, _, _, state, by in r["fired"]), r
    who = {r["me"] for r in results}
    assert len(who) == PROCESSES
    share = {r["me"]: len(r["fired"]) for r in results}
    if shared_db.vendor == "postgresql":
        # SKIP LOCKED lets them work side by side, so more than one takes a share.
        assert sum(1 for n in share.values() if n) >= 2, share

    # What the database holds: one row per step, fired once, by the process that said so.
    rows = Deadline.objects.filter(kind=services.ACK_DEADLINE, subject__in=ids)
    assert rows.count() == MESSAGES * steps
    assert set(rows.values_list("state", flat=True)) == {"fired"}
    by_row = {(d.subject, d.step): d.fired_by for d in rows}
    assert by_row == {(s, st): by for r in results for _, s, st, _, by in r["fired"]}
    for d in rows:
        assert d.fired_at >= d.due_at and d.attempts == 0, d

    # And the ladders: each climbed once per step, to the end, in order.
    for m in Message.objects.filter(pk__in=ids):
        assert m.state == MessageState.EXPIRED and m.step == steps - 1, m
        kinds = list(Event.objects.filter(message=m).order_by("seq").values_list("kind", "step"))
        assert kinds == [
            ("sent", 0), ("escalated", 1), ("escalated", 2), ("escalated", 3), ("repeated", 4), ("expired", 4),
        ], (m.code, kinds)  # fmt: skip
