"""A restart in the middle of a ladder: a real `sulh tick` fires the first escalation, is killed with SIGKILL,
a new one starts, and the ladder still completes with each step fired once, in order, after its deadline.

The ladder is made fast by editing the stored rows (a one-second acknowledgement deadline per step): the
clock is not ours to move, the deadlines are rows."""

import datetime as dt

from django.utils import timezone

from sulh.deadlines.models import Deadline
from sulh.hotline import services
from sulh.hotline.models import Event, Message, MessageState

from .conftest import outgoing
from .hotline_world import sulh_cmd, wait_for

STEP_S = 1


def test_a_restart_mid_ladder_loses_no_step_and_fires_none_twice(desks, shared_db):
    msg = services.send(desks["AFG-S2"], outgoing(body="Two rounds landed near the Chaman gate; hold fire"))
    steps = len(msg.ladder)
    assert steps == 5  # PAK-S2, PAK-R-SOUTH, PAK-HQ, MED-CELL, MED-CELL again
    Message.objects.filter(pk=msg.pk).update(ladder=[{**s, "ack_within_s": STEP_S} for s in msg.ladder])
    due = timezone.now() + dt.timedelta(seconds=1.5)  # the first tick is running by then
    assert Deadline.objects.filter(subject=str(msg.pk), state="pending").update(due_at=due, run_at=due) == 1
    shared_db.push()

    def fired_steps() -> list[int]:
        return [s for (s,) in shared_db.query(
            "SELECT step FROM hotline_event WHERE message_id = %s AND kind IN ('escalated', 'repeated', 'expired') ORDER BY seq",
            [msg.pk.hex if shared_db.vendor == "sqlite" else msg.pk],
        )]  # fmt: skip

    first = shared_db.start(*sulh_cmd(), "tick", name="tick-1")
    wait_for(lambda: fired_steps() or first.poll() is not None, 30, "the first tick to fire step 1")
    shared_db.kill(first)
    at_kill = fired_steps()
    assert at_kill and at_kill[-1] < steps - 1, f"killed too late to be mid-ladder: {at_kill}\n{shared_db.output(first)}"

    second = shared_db.start(*sulh_cmd(), "tick", name="tick-2")
    wait_for(lambda: len(fired_steps()) == steps or second.poll() is not None, 30, "the second tick to finish the ladder")
    shared_db.kill(second)
    shared_db.pull()

    msg.refresh_from_db()
    assert msg.state == MessageState.EXPIRED and msg.step == steps - 1
    events = list(Event.objects.filter(message=msg).order_by("seq").values_list("kind", "step", "at"))
    assert [(k, s) for k, s, _ in events] == [
        ("sent", 0), ("escalated", 1), ("escalated", 2), ("escalated", 3), ("repeated", 4), ("expired", 4),
    ]  # fmt: skip
    rows = list(Deadline.objects.filter(kind=services.ACK_DEADLINE, subject=str(msg.pk)).order_by("step"))
    assert [(d.step, d.state) for d in rows] == [(i, "fired") for i in range(steps)], "one timer per step, each fired"
    for d, (_, _, at) in zip(rows, events[1:], strict=True):
        assert d.fired_at >= d.due_at, d  # never early
        assert at >= d.due_at, (d, at)  # the step's event is stamped after its deadline
    for a, b in zip(rows, rows[1:], strict=False):
        # Each step's deadline runs from the moment the previous one fired (taken before its handler ran).
        step = dt.timedelta(seconds=STEP_S)
        assert a.due_at + step <= b.due_at <= a.fired_at + step, (a, b)
    pids = {d.fired_by.rsplit(":", 1)[1] for d in rows}
    assert pids <= {str(first.pid), str(second.pid)}
    assert rows[0].fired_by.endswith(f":{first.pid}") and rows[-1].fired_by.endswith(f":{second.pid}")
    assert not Deadline.objects.filter(state="pending", kind=services.ACK_DEADLINE).exists()
