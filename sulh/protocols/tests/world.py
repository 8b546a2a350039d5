"""Helpers of the protocols' tests: incidents filed through the incident register as they happen now (a
protocol is for what is happening, so the dates are recent), hotline messages about them, and stored
deadlines made due."""

import datetime as dt

from django.utils import timezone

from sulh.conftest import incident_payload
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline import services as hotline
from sulh.incidents import services as incidents
from sulh.incidents.schemas import IncidentIn


def recent(**overrides) -> IncidentIn:
    """An incident that happened an hour ago (the default payload: fire from Afghanistan on Landi Kotal)."""
    now = timezone.now()
    data = {"date_start": (now - dt.timedelta(hours=1)).isoformat(), "date_end": (now - dt.timedelta(minutes=30)).isoformat()}
    data.update(overrides)
    return IncidentIn(**incident_payload(**data))


def file_incident(user, **overrides):
    """Register and file an incident through the incident register; returns the incident."""
    return incidents.create_incident(user, recent(**overrides)).incident


def notify(desk_user, incident, *, channel="S6-KHYBER", message_type="incident_notification", **kw):
    data = {"channel": channel, "message_type": message_type, "priority": "flash", "incident": incident.code,
            "body": "Fire from across the line on the Landi Kotal post"}  # fmt: skip
    data.update(kw)
    return hotline.send(desk_user, hotline.Outgoing(**data))


def make_due(kind: str, subject) -> int:
    """Make the pending deadline(s) of `kind` for `subject` due now: the clock is not ours to move, the
    stored rows are. The task's own due_at stays as it was."""
    now = timezone.now()
    return Deadline.objects.filter(state="pending", kind=kind, subject=str(subject)).update(
        due_at=now - dt.timedelta(seconds=1), run_at=now
    )


def fire() -> list[Deadline]:
    return deadlines.fire_due()
