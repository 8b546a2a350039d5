"""The escalation ladder end to end through the services: nobody acknowledges, it climbs to the mediators
and expires; an acknowledgement mid-ladder stops it."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline import services
from sulh.hotline.models import Event, MessageState

pytestmark = pytest.mark.django_db


@pytest.fixture
def desks(users, make_user):
    """AFG and PAK desks of sector S2 up to HQ, and the mediators' cell, each with one holder."""
    admin = users["ops_admin"]
    holders = {}
    for code, org, role in [
        ("AFG-S2", "AFG", "commander"), ("PAK-S2", "PAK", "commander"), ("AFG-R-SOUTH", "AFG", "commander"),
        ("PAK-R-SOUTH", "PAK", "commander"), ("AFG-HQ", "AFG", "commander"), ("PAK-HQ", "PAK", "commander"),
        ("MED-CELL", "QAT", "verifier"),
    ]:  # fmt: skip
        u = make_user(code.lower(), org, role)
        services.assign_holder(admin, code, u)
        holders[code] = u
    return holders


def _due_now():
    """Make every pending deadline due: the clock is not ours to move, the stored rows are."""
    Deadline.objects.filter(state="pending").update(due_at=timezone.now() - dt.timedelta(seconds=1), run_at=timezone.now())


def test_full_ladder_reaches_the_mediators_and_expires(desks):
    msg = services.send(desks["AFG-S2"], services.Outgoing(
        channel="S2-CHAMAN", message_type="incident_notification", priority="flash",
        body="Mortar fire from across the line at 02:00, two rounds near Spin Boldak bazaar",
        latitude=31.0, longitude=66.4,
    ))  # fmt: skip
    assert [s["to"] for s in msg.ladder] == ["PAK-S2", "PAK-R-SOUTH", "PAK-HQ", "MED-CELL", "MED-CELL"]
    assert msg.ladder[0]["ack_within_s"] == 300
    for expected_step in (1, 2, 3, 4):
        _due_now()
        fired = deadlines.fire_due()
        assert [d.state for d in fired] == ["fired"]
        msg.refresh_from_db()
        assert msg.step == expected_step and msg.state == MessageState.ESCALATED
    _due_now()
    deadlines.fire_due()
    msg.refresh_from_db()
    assert msg.state == MessageState.EXPIRED
    kinds = list(Event.objects.filter(message=msg).values_list("kind", "step"))
    assert kinds == [("sent", 0), ("escalated", 1), ("escalated", 2), ("escalated", 3), ("repeated", 4), ("expired", 4)]
    assert not deadlines.fire_due()  # nothing left to fire


def test_acknowledgement_mid_ladder_stops_it(desks):
    msg = services.send(desks["PAK-S2"], services.Outgoing(
        channel="S2-CHAMAN", message_type="hold_fire_request", priority="immediate", body="Hold fire at Chaman gate",
    ))  # fmt: skip
    _due_now()
    deadlines.fire_due()
    msg.refresh_from_db()
    assert msg.step == 1 and msg.ladder[1]["to"] == "AFG-R-SOUTH"
    # The regional desk answers for its side; the sector desk could too, having been reached first.
    services.acknowledge(desks["AFG-R-SOUTH"], msg.code, reply="Orders passed to the posts")
    msg.refresh_from_db()
    assert msg.state == MessageState.ACKNOWLEDGED
    assert Deadline.objects.filter(subject=str(msg.pk), state="pending").count() == 0
    _due_now()
    assert deadlines.fire_due() == []
    assert list(Event.objects.filter(message=msg).values_list("kind", flat=True)) == ["sent", "escalated", "acknowledged"]
