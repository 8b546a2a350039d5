"""REST endpoints of Meetings (/api/v1/meetings…). Thin: parse, call services, shape."""

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.errors import NotFound
from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import Meeting

router = Router(tags=["meetings"])


class MeetingIn(Schema):
    title: str = Field(max_length=300)
    level: str = Field(
        description="Code of one of the charter's meeting levels (PRINCIPALS, TECHNICAL, MILITARY)"
    )
    starts_at: dt.datetime = Field(description="With its UTC offset")
    ends_at: dt.datetime = Field(description="After starts_at")
    place: str = Field(max_length=200)
    agenda: list[str] = Field(default_factory=list, description="Agenda items, in order")
    expected: list[str] | None = Field(
        default=None, description="Organisations expected (default: every party and mediator)"
    )


class RescheduleIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str = Field(max_length=services.MAX_TEXT)
    place: str | None = Field(default=None, max_length=200, description="A new place, or the same")


class ReasonIn(Schema):
    reason: str = Field(max_length=services.MAX_TEXT)


class MemberIn(Schema):
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)


class DelegationIn(Schema):
    members: list[MemberIn]


class AttendanceEntryIn(Schema):
    organisation: str
    present: bool
    note: str = Field(default="", max_length=500)


class AttendanceIn(Schema):
    entries: list[AttendanceEntryIn]


class MinutesIn(Schema):
    text: str = Field(max_length=services.MAX_TEXT)
    document_id: uuid.UUID | None = Field(
        default=None, description="The co-signed document the minutes became"
    )


class ObligationIn(Schema):
    kind: str
    title: str = Field(max_length=300)
    obliged: list[str]
    description: str = ""
    due_at: dt.datetime | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    verified_by: str = "evidence"
    subject: str = Field(default="", description="For meeting_held: the meeting's code or id")
    subject_mode: str = ""


class DecisionIn(Schema):
    text: str = Field(max_length=services.MAX_TEXT)
    agreement: str | None = Field(
        default=None,
        description="An agreement the meeting produced; default: the meeting's own outcome agreement",
    )
    clause: str | None = None
    obligations: list[ObligationIn] = Field(default_factory=list)


class MemberOut(Schema):
    name: str
    title: str


class DelegationOut(Schema):
    organisation: str
    members: list[MemberOut]
    entered_by: str
    entered_at: dt.datetime


class AttendanceOut(Schema):
    organisation: str
    present: bool
    note: str
    recorded_by: str
    recorded_at: dt.datetime


class MinutesOut(Schema):
    version: int
    text: str
    document_id: uuid.UUID | None
    recorded_by: str
    recorded_at: dt.datetime


class ObligationRefOut(Schema):
    code: str
    title: str
    state: str


class DecisionOut(Schema):
    number: int
    text: str
    agreement: str | None
    clause: str | None
    obligations: list[ObligationRefOut]
    recorded_by: str
    recorded_at: dt.datetime


class ReminderOut(Schema):
    lead: str
    for_starts_at: dt.datetime
    at: dt.datetime


class ChangeOut(Schema):
    kind: str
    from_state: str
    to_state: str
    from_starts_at: dt.datetime | None
    to_starts_at: dt.datetime | None
    to_ends_at: dt.datetime | None
    to_place: str
    missed_by: list[str]
    reason: str
    by: str | None = Field(description="Who made it; null when Sulh did (a missed-meeting deadline)")
    at: dt.datetime


class MeetingSummaryOut(Schema):
    id: str
    code: str
    title: str
    level: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    expected: list[str]
    state: str
    missed_by: list[str]


class MeetingOut(MeetingSummaryOut):
    agenda: list[str]
    unrecorded: list[str] = Field(description="Expected organisations whose attendance is not recorded")
    revision: int
    scheduled_by: str
    scheduled_at: dt.datetime
    delegations: list[DelegationOut]
    attendance: list[AttendanceOut]
    minutes: list[MinutesOut] = Field(description="Every version, the newest first")
    decisions: list[DecisionOut]
    reminders: list[ReminderOut]
    changes: list[ChangeOut]


def summary(m: Meeting) -> dict:
    return {"id": str(m.pk), "code": m.code, "title": m.title, "level": m.level, "starts_at": m.starts_at,
            "ends_at": m.ends_at, "place": m.place, "expected": m.expected, "state": m.state, "missed_by": m.missed_by}  # fmt: skip


def meeting_out(m: Meeting) -> dict:
    out = summary(m)
    out.update(
        agenda=m.agenda, unrecorded=services.unrecorded(m), revision=m.revision,
        scheduled_by=m.scheduled_by.get_username(), scheduled_at=m.scheduled_at,
        delegations=[{"organisation": d.organisation, "members": d.members, "entered_by": d.entered_by.get_username(),
                      "entered_at": d.entered_at} for d in m.delegations.select_related("entered_by")],
        attendance=[{"organisation": a.organisation, "present": a.present, "note": a.note,
                     "recorded_by": a.recorded_by.get_username(), "recorded_at": a.recorded_at}
                    for a in m.attendance.select_related("recorded_by")],
        minutes=[{"version": n.version, "text": n.text, "document_id": n.document_id,
                  "recorded_by": n.recorded_by.get_username(), "recorded_at": n.recorded_at}
                 for n in m.minutes.select_related("recorded_by")],
        decisions=[{"number": d.number, "text": d.text, "agreement": d.agreement.code if d.agreement_id else None,
                    "clause": d.clause.number if d.clause_id else None,
                    "obligations": [{"code": o.code, "title": o.title, "state": o.state}
                                    for o in services.obligations_of(d)],
                    "recorded_by": d.recorded_by.get_username(), "recorded_at": d.recorded_at}
                   for d in m.decisions.select_related("agreement", "clause", "recorded_by")],
        reminders=[{"lead": r.lead, "for_starts_at": r.for_starts_at, "at": r.at} for r in m.reminders.all()],
        changes=[{"kind": c.kind, "from_state": c.from_state, "to_state": c.to_state,
                  "from_starts_at": c.from_starts_at, "to_starts_at": c.to_starts_at, "to_ends_at": c.to_ends_at,
                  "to_place": c.to_place, "missed_by": c.missed_by, "reason": c.reason,
                  "by": c.by.get_username() if c.by_id else None, "at": c.at}
                 for c in m.changes.select_related("by")],
    )  # fmt: skip
    return out


def _reader(request):
    user = request.auth_user
    if not services.can_read(user):
        raise NotFound("no meetings")
    return user


@router.get("/meetings", response=list[MeetingSummaryOut], summary="Meetings: upcoming, past or all")
def list_meetings(request: HttpRequest, when: str = "all"):
    user = _reader(request)
    qs = {"upcoming": services.upcoming, "past": services.past}.get(when, services.visible_meetings)(user)
    return [summary(m) for m in qs[:500]]


@router.post("/meetings", response={201: with_receipts(MeetingOut)}, summary="Schedule a meeting (mediators)")
@idempotent
@answers_receipts(MeetingOut)
def schedule(request: HttpRequest, payload: MeetingIn):
    m = services.schedule(request.auth_user, **payload.model_dump())
    return Status(201, meeting_out(m))


@router.get(
    "/meetings/{ref}", response=MeetingOut, summary="A meeting (by code or id) with everything recorded"
)
def get(request: HttpRequest, ref: str):
    return meeting_out(services.get_meeting(request.auth_user, ref))


def _after(request, ref) -> dict:
    return meeting_out(services.get_meeting(request.auth_user, ref))


@router.post(
    "/meetings/{ref}/reschedule", response=with_receipts(MeetingOut), summary="Move it, with a reason"
)
@answers_receipts(MeetingOut)
def reschedule(request: HttpRequest, ref: str, payload: RescheduleIn):
    services.reschedule(request.auth_user, ref, **payload.model_dump())
    return _after(request, ref)


@router.post("/meetings/{ref}/cancel", response=with_receipts(MeetingOut), summary="Cancel it, with a reason")
@answers_receipts(MeetingOut)
def cancel(request: HttpRequest, ref: str, payload: ReasonIn):
    services.cancel(request.auth_user, ref, reason=payload.reason)
    return _after(request, ref)


@router.put(
    "/meetings/{ref}/delegation",
    response=with_receipts(MeetingOut),
    summary="Enter your organisation's delegation",
)
@answers_receipts(MeetingOut)
def delegation(request: HttpRequest, ref: str, payload: DelegationIn):
    services.enter_delegation(request.auth_user, ref, members=[m.model_dump() for m in payload.members])
    return _after(request, ref)


@router.post(
    "/meetings/{ref}/attendance", response=with_receipts(MeetingOut), summary="Record attendance (mediators)"
)
@answers_receipts(MeetingOut)
def attendance(request: HttpRequest, ref: str, payload: AttendanceIn):
    services.record_attendance(request.auth_user, ref, entries=[e.model_dump() for e in payload.entries])
    return _after(request, ref)


@router.post(
    "/meetings/{ref}/minutes", response=with_receipts(MeetingOut), summary="Record a version of the minutes"
)
@answers_receipts(MeetingOut)
def minutes(request: HttpRequest, ref: str, payload: MinutesIn):
    services.record_minutes(request.auth_user, ref, **payload.model_dump())
    return _after(request, ref)


@router.post(
    "/meetings/{ref}/decisions",
    response=with_receipts(MeetingOut),
    summary="Record a decision and its obligations",
)
@answers_receipts(MeetingOut)
def decision(request: HttpRequest, ref: str, payload: DecisionIn):
    data = payload.model_dump()
    data["obligations"] = [o.model_dump() for o in payload.obligations]
    services.record_decision(request.auth_user, ref, **data)
    return _after(request, ref)
