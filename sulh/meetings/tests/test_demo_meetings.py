"""The demonstration meetings load on top of the demo scenario: three past meetings held with their decisions
and obligations (those verified by a later meeting being held are met), one upcoming with reminders pending."""

from io import StringIO

import pytest
from django.core.management import call_command

from sulh.commitments.models import Obligation
from sulh.deadlines.models import Deadline
from sulh.demo import meetings as demo_meetings
from sulh.ledger.models import LogEntry
from sulh.meetings import services
from sulh.meetings.models import Meeting

pytestmark = pytest.mark.django_db


def test_demo_meetings_load_on_top_of_the_demo():
    out = StringIO()
    call_command("demo", incidents=40, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… meetings:" in x]
    doha, ist1, ist2, nxt = Meeting.objects.order_by("starts_at")
    assert [m.state for m in (doha, ist1, ist2, nxt)] == ["held", "held", "held", "scheduled"]
    assert doha.starts_at.date().isoformat() == "2025-10-18" and ist2.place == "Istanbul"
    # Doha's follow-up obligation was met by Istanbul round 1 being held; round 1's by the principals' meeting.
    meet_again = services.obligations_of(doha.decisions.get(number=2)).get()
    assert (meet_again.state, meet_again.subject) == ("met", str(ist1.pk))
    assert services.obligations_of(ist1.decisions.get(number=3)).get().state == "met"
    titles = {o.title: o.state for d in ist1.decisions.all() for o in services.obligations_of(d)}
    # The ceasefire decisions create no second obligation: the commitments demo's carry the ceasefire's history.
    assert not services.obligations_of(ist1.decisions.get(number=1)).exists()
    assert titles["Set up the monitoring and verification mechanism"] == "pending"
    assert not ist2.decisions.exists() and ist2.minutes.get().text.startswith("DEMONSTRATION")
    # The upcoming meeting: reminders and the missed-deadline pending; JMT expected; everything logged.
    pending = Deadline.objects.filter(subject=str(nxt.pk), state="pending")
    assert sorted(pending.values_list("kind", flat=True)) == [
        "meeting_missed",
        "meeting_reminder",
        "meeting_reminder",
    ]
    assert "JMT" in nxt.expected
    upcoming = Obligation.objects.get(subject=str(nxt.pk))
    assert (upcoming.verified_by, upcoming.state, upcoming.due_at) == ("meeting_held", "pending", nxt.ends_at)
    assert LogEntry.objects.filter(kind="meeting.held").count() == 3
    assert said and nxt.code in said[-1]
    # A second load adds nothing.
    before = (Meeting.objects.count(), LogEntry.objects.count())
    demo_meetings.load()
    assert (Meeting.objects.count(), LogEntry.objects.count()) == before
