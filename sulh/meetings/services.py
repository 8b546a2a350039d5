"""Meetings: scheduling and rescheduling, delegations, reminders, attendance, the held/missed bookkeeping, minutes
and decisions that create obligations (docs/meetings.md).

Who: the mediators' leads and verifiers convene meetings (schedule, reschedule, cancel) and record what happened
(attendance, minutes, decisions); each expected organisation enters its own delegation; every party, mediator
and monitor of the mechanism reads every meeting; the public and the operator's staff see none (404).

State (bookkeeping of the logged entries): scheduled → postponed (rescheduled to a later start) → held (every
expected organisation recorded present) or missed (an expected organisation recorded absent: missed by it; or
nothing recorded by the charter's `missed_after` past the end: missed, not recorded) or cancelled. A missed
meeting whose attendance is recorded later still says who was absent, and becomes held if everyone was present."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.charter.schema import parse_duration
from sulh.core import codes
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from .models import (
    OPEN_STATES,
    Attendance,
    Decision,
    DecisionObligation,
    Delegation,
    Meeting,
    MeetingChange,
    MeetingState,
    Minutes,
    Reminder,
)

MAX_TEXT = 20_000
MAX_AGENDA = 40
MAX_MEMBERS = 60
MAX_OBLIGATIONS = 20
REMINDER = "meeting_reminder"  # deadline: step = revision * 100 + i, for the charter's reminder i
MISSED = "meeting_missed"  # deadline: step = revision; the end plus the charter's missed_after
MEMBER_ROLES = {
    OrganisationKind.PARTY: (Role.LIAISON_OFFICER, Role.COMMANDER),
    OrganisationKind.MEDIATOR: (Role.MEDIATOR_LEAD, Role.VERIFIER),
    OrganisationKind.MONITORING: (Role.MONITOR,),
}


# --- who sees what ------------------------------------------------------------------------------------------


def _org(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def can_read(user) -> bool:
    """Every party, mediator and monitor of the mechanism reads every meeting; nobody else."""
    org = _org(user)
    return org is not None and org.kind in MEMBER_ROLES


def is_convener(user) -> bool:
    """The mediators' leads and verifiers convene meetings and record what happened at them."""
    org = _org(user)
    return org is not None and org.kind == OrganisationKind.MEDIATOR and user.role in MEMBER_ROLES[org.kind]


def speaks_for_org(user) -> bool:
    """Who may enter their organisation's delegation."""
    org = _org(user)
    return org is not None and org.kind in MEMBER_ROLES and user.role in MEMBER_ROLES[org.kind]


def _may_convene(user) -> None:
    if not is_convener(user):
        raise PermissionDenied("only the mediators' leads and verifiers convene meetings and record them")


def visible_meetings(user) -> QuerySet[Meeting]:
    return Meeting.objects.all() if can_read(user) else Meeting.objects.none()


def get_meeting(user, ref, *, for_update: bool = False) -> Meeting:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    pk = visible_meetings(user).filter(flt).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(f"no meeting {text!r}")
    qs = Meeting.objects.select_for_update() if for_update else Meeting.objects
    return qs.get(pk=pk)


def upcoming(user, *, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return visible_meetings(user).filter(state__in=OPEN_STATES, ends_at__gte=now).order_by("starts_at")


def past(user, *, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return (
        visible_meetings(user).filter(Q(ends_at__lt=now) | ~Q(state__in=OPEN_STATES)).order_by("-starts_at")
    )


def recent_reminders(user, *, now: dt.datetime | None = None) -> QuerySet[Reminder]:
    """Reminders of meetings still to come (the reminder of a meeting since moved is left out)."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(meeting__in=upcoming(user, now=now))
        .select_related("meeting")
        .filter(for_starts_at=F("meeting__starts_at"))
        .order_by("-at")
    )


# --- input --------------------------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationFailed(f"{field} must be text", field=field)
    if required and not text:
        raise ValidationFailed(f"{field} is empty", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} is {len(text)} characters long; at most {limit}", field=field)
    return text


def _times(starts_at, ends_at) -> tuple[dt.datetime, dt.datetime]:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime):
            raise ValidationFailed(f"{name} is not a date and time", field=name)
        if timezone.is_naive(value):
            raise ValidationFailed(f"{name} needs a UTC offset", field=name)
    if ends_at <= starts_at:
        raise ValidationFailed("ends_at must be after starts_at: a meeting cannot end before it starts",
                               field="ends_at")  # fmt: skip
    if ends_at - starts_at > dt.timedelta(days=31):
        raise ValidationFailed("a meeting lasts at most 31 days; schedule rounds as separate meetings",
                               field="ends_at")  # fmt: skip
    return starts_at, ends_at


def level_codes() -> list[str]:
    return [lv.code for lv in get_charter().commitments.meetings.levels]


def attendable_orgs() -> dict[str, str]:
    """Organisations that may be expected at a meeting (code → kind): parties, mediators, monitoring teams."""
    c = get_charter()
    out = {p.code: OrganisationKind.PARTY for p in c.parties}
    out.update({m.code: OrganisationKind.MEDIATOR for m in c.mediators})
    out.update({t.code: OrganisationKind.MONITORING for t in c.monitoring_teams})
    return out


def default_expected() -> list[str]:
    c = get_charter()
    return [p.code for p in c.parties] + [m.code for m in c.mediators]


def _expected(codes) -> list[str]:
    if codes is None:
        return default_expected()
    allowed = attendable_orgs()
    out: list[str] = []
    for i, code in enumerate(codes):
        code = str(code).strip().upper()
        if code not in allowed:
            raise ValidationFailed(f"{code!r} is not a party, mediator or monitoring team of the charter",
                                   field=f"expected.{i}")  # fmt: skip
        if code in out:
            raise ValidationFailed(f"{code} is named twice", field=f"expected.{i}")
        out.append(code)
    if not any(allowed[c] == OrganisationKind.PARTY for c in out):
        raise ValidationFailed("a meeting expects at least one party", field="expected")
    return out


def _agenda(items) -> list[str]:
    items = list(items or [])
    if len(items) > MAX_AGENDA:
        raise ValidationFailed(f"at most {MAX_AGENDA} agenda items", field="agenda")
    return [_text(t, f"agenda.{i}", limit=1000) for i, t in enumerate(items)]


def next_code(when: dt.datetime) -> str:
    return codes.next_code(Meeting, "MTG", when)


# --- scheduling ---------------------------------------------------------------------------------------------


def schedule(user, *, title: str, level: str, starts_at: dt.datetime, ends_at: dt.datetime, place: str,
             agenda: list[str] | None = None, expected: list[str] | None = None) -> Meeting:  # fmt: skip
    """Put a meeting on the schedule; its reminders and its missed-deadline are stored deadlines."""
    _may_convene(user)
    title = _text(title, "title", limit=300)
    if level not in level_codes():
        raise ValidationFailed(f"level must be one of {', '.join(level_codes())}", field="level")
    starts_at, ends_at = _times(starts_at, ends_at)
    place = _text(place, "place", limit=200)
    agenda = _agenda(agenda)
    expected = _expected(expected)
    now = timezone.now()
    with transaction.atomic():
        for attempt in range(5):  # two meetings scheduled at once draw the same code: the second tries again
            try:
                with transaction.atomic():
                    m = Meeting.objects.create(
                        code=next_code(starts_at), title=title, level=level, starts_at=starts_at, ends_at=ends_at,
                        place=place, agenda=agenda, expected=expected, scheduled_by=user, scheduled_at=now,
                    )  # fmt: skip
                break
            except IntegrityError:
                if attempt == 4:
                    raise
        ledger.record(m, "meeting.scheduled", actor=user)
        _schedule_deadlines(m, now)
    return m


def _schedule_deadlines(m: Meeting, now: dt.datetime) -> None:
    cfg = get_charter().commitments.meetings
    for i, text in enumerate(cfg.reminders):
        at = m.starts_at - parse_duration(text)
        if at > now:
            deadlines.schedule(REMINDER, str(m.pk), at, step=m.revision * 100 + i)
    deadlines.schedule(MISSED, str(m.pk), m.ends_at + parse_duration(cfg.missed_after), step=m.revision)


def _cancel_deadlines(m: Meeting, *, reminders: bool = True, missed: bool = True) -> None:
    if reminders:
        deadlines.cancel(REMINDER, str(m.pk))
    if missed:
        deadlines.cancel(MISSED, str(m.pk))


def _change(
    m: Meeting, kind: str, to_state: str, *, reason: str, by, at: dt.datetime, **extra
) -> MeetingChange:
    ch = MeetingChange.objects.create(meeting=m, kind=kind, from_state=m.state, to_state=to_state, reason=reason,
                                      by=by, at=at, **extra)  # fmt: skip
    m.state, m.state_changed_at = to_state, at
    m.save(
        update_fields=["state", "state_changed_at", "missed_by", "revision", "starts_at", "ends_at", "place"]
    )
    ledger.record(m, f"meeting.{kind}", actor=by)
    ledger.record(ch, f"meeting_change.{kind}", actor=by)
    return ch


def reschedule(user, ref, *, starts_at: dt.datetime, ends_at: dt.datetime, reason: str,
               place: str | None = None) -> MeetingChange:  # fmt: skip
    """Move a meeting to a new time (and place): a logged change with its reason; its reminders are cancelled
    and scheduled again for the new time. A later start makes it postponed."""
    _may_convene(user)
    reason = _text(reason, "reason")
    starts_at, ends_at = _times(starts_at, ends_at)
    now = timezone.now()
    if starts_at <= now:
        raise ValidationFailed("a meeting is rescheduled to a time still to come", field="starts_at")
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        new_place = m.place if place is None or not place.strip() else _text(place, "place", limit=200)
        if m.state not in OPEN_STATES:
            raise Conflict(
                f"{m.code} is {m.state}: only a meeting still to be held is rescheduled", field="starts_at"
            )
        if m.attendance.exists():
            raise Conflict(f"attendance of {m.code} is recorded: it took place and is not rescheduled",
                           field="starts_at")  # fmt: skip
        if (starts_at, ends_at, new_place) == (m.starts_at, m.ends_at, m.place):
            raise ValidationFailed("the new time and place are those already scheduled", field="starts_at")
        old = {"from_starts_at": m.starts_at, "from_ends_at": m.ends_at, "from_place": m.place}
        to_state = MeetingState.POSTPONED if starts_at > m.starts_at else m.state
        _cancel_deadlines(m)
        m.starts_at, m.ends_at, m.place, m.revision = starts_at, ends_at, new_place, m.revision + 1
        ch = _change(m, MeetingChange.Kind.RESCHEDULED, to_state, reason=reason, by=user, at=now, **old,
                     to_starts_at=starts_at, to_ends_at=ends_at, to_place=new_place)  # fmt: skip
        _schedule_deadlines(m, now)
    return ch


def cancel(user, ref, *, reason: str) -> MeetingChange:
    _may_convene(user)
    reason = _text(reason, "reason")
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        if m.state not in OPEN_STATES:
            raise Conflict(
                f"{m.code} is {m.state}: only a meeting still to be held is cancelled", field="reason"
            )
        if m.attendance.exists():
            raise Conflict(
                f"attendance of {m.code} is recorded: it took place and is not cancelled", field="reason"
            )
        _cancel_deadlines(m)
        return _change(m, MeetingChange.Kind.CANCELLED, MeetingState.CANCELLED, reason=reason, by=user,
                       at=timezone.now())  # fmt: skip


# --- delegations --------------------------------------------------------------------------------------------


def enter_delegation(user, ref, *, members: list[dict]) -> Delegation:
    """An organisation enters (or changes) its own delegation: [{name, title}]. Each version is logged."""
    if not speaks_for_org(user):
        raise PermissionDenied("an organisation's delegation is entered by its liaison officers, commanders, "
                               "mediators' leads and verifiers, or monitors")  # fmt: skip
    org = user.organisation.code
    members = list(members or [])
    if not members:
        raise ValidationFailed("a delegation has at least one member", field="members")
    if len(members) > MAX_MEMBERS:
        raise ValidationFailed(f"at most {MAX_MEMBERS} members", field="members")
    clean = []
    for i, mem in enumerate(members):
        if not isinstance(mem, dict):
            raise ValidationFailed("each member is {name, title}", field=f"members.{i}")
        clean.append({"name": _text(mem.get("name"), f"members.{i}.name", limit=200),
                      "title": _text(mem.get("title"), f"members.{i}.title", required=False, limit=200)})  # fmt: skip
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        if org not in m.expected:
            raise PermissionDenied(f"{org} is not expected at {m.code}")
        if m.state == MeetingState.CANCELLED:
            raise Conflict(f"{m.code} is cancelled", field="members")
        if m.attendance.filter(organisation=org).exists():
            raise Conflict(f"the attendance of {org} at {m.code} is recorded: its delegation is final",
                           field="members")  # fmt: skip
        d = Delegation.objects.filter(meeting=m, organisation=org).first()
        now = timezone.now()
        if d is None:
            d = Delegation.objects.create(
                meeting=m, organisation=org, members=clean, entered_by=user, entered_at=now
            )
            ledger.record(d, "delegation.entered", actor=user)
        else:
            if d.members == clean:
                raise ValidationFailed("the delegation is unchanged", field="members")
            d.members, d.entered_by, d.entered_at = clean, user, now
            d.save(update_fields=["members", "entered_by", "entered_at"])
            ledger.record(d, "delegation.changed", actor=user)
    return d


# --- attendance, held and missed ----------------------------------------------------------------------------


def record_attendance(user, ref, *, entries: list[dict]) -> list[Attendance]:
    """The mediators record, once the meeting has started, which expected organisations attended
    ([{organisation, present, note}]). An organisation recorded absent makes the meeting missed by it; every
    expected organisation present makes it held (obligations verified by the meeting being held are met)."""
    _may_convene(user)
    entries = list(entries or [])
    if not entries:
        raise ValidationFailed("record the attendance of at least one organisation", field="entries")
    clean = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ValidationFailed("each entry is {organisation, present, note}", field=f"entries.{i}")
        org = str(e.get("organisation") or "").strip().upper()
        if not isinstance(e.get("present"), bool):
            raise ValidationFailed("present is true or false", field=f"entries.{i}.present")
        if org in [c[0] for c in clean]:
            raise ValidationFailed(f"{org} is named twice", field=f"entries.{i}.organisation")
        clean.append(
            (org, e["present"], _text(e.get("note"), f"entries.{i}.note", required=False, limit=500))
        )
    now = timezone.now()
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        if m.state in (MeetingState.CANCELLED, MeetingState.HELD):
            raise Conflict(f"{m.code} is {m.state}: its attendance is closed", field="entries")
        if m.starts_at > now:
            raise Conflict(
                f"{m.code} has not started yet: attendance is recorded once it starts", field="entries"
            )
        recorded = set(m.attendance.values_list("organisation", flat=True))
        for i, (org, _present, _note) in enumerate(clean):
            if org not in m.expected:
                raise ValidationFailed(f"{org or '(none)'} is not expected at {m.code} "
                                       f"(expected: {', '.join(m.expected)})", field=f"entries.{i}.organisation")  # fmt: skip
            if org in recorded:
                raise Conflict(f"the attendance of {org} at {m.code} is recorded already",
                               field=f"entries.{i}.organisation")  # fmt: skip
        rows = []
        for org, present, note in clean:
            a = Attendance.objects.create(meeting=m, organisation=org, present=present, note=note, recorded_by=user,
                                          recorded_at=now)  # fmt: skip
            ledger.record(a, "attendance.recorded", actor=user)
            rows.append(a)
        _settle(m, by=user, now=now)
    return rows


def _settle(m: Meeting, *, by, now: dt.datetime) -> None:
    """Bring the state in line with the attendance recorded (m is locked)."""
    seen = dict(m.attendance.values_list("organisation", "present"))
    absent = sorted(o for o, present in seen.items() if not present)
    complete = all(o in seen for o in m.expected)
    if absent:
        if m.state != MeetingState.MISSED or m.missed_by != absent:
            m.missed_by = absent
            _change(m, MeetingChange.Kind.MISSED, MeetingState.MISSED, by=by, at=now, missed_by=absent,
                    reason=f"recorded absent: {', '.join(absent)}")  # fmt: skip
    elif complete:
        m.missed_by = []
        _change(m, MeetingChange.Kind.HELD, MeetingState.HELD, by=by, at=now,
                reason=f"every expected organisation recorded present: {', '.join(m.expected)}")  # fmt: skip
        from sulh.commitments import services as commitments

        commitments.observe("meeting_held", str(m.pk), source_record=f"meeting:{m.pk}",
                            reason=f"meeting {m.code} held: {', '.join(m.expected)} present", at=now)  # fmt: skip
    if complete:
        _cancel_deadlines(m)


@deadlines.handler(MISSED)
def meeting_missed(deadline, now: dt.datetime) -> None:
    """The end plus `missed_after` passed and the meeting is neither held nor missed by anyone: recorded missed,
    with the organisations whose attendance nobody recorded."""
    m = Meeting.objects.select_for_update().filter(pk=deadline.subject).first()
    if m is None or m.state not in OPEN_STATES or deadline.step != m.revision:
        return
    seen = set(m.attendance.values_list("organisation", flat=True))
    unrecorded = [o for o in m.expected if o not in seen]
    m.missed_by = []
    _change(m, MeetingChange.Kind.MISSED, MeetingState.MISSED, by=None, at=now,
            reason=f"attendance not recorded by {deadline.due_at:%Y-%m-%d %H:%M} UTC for: "
                   f"{', '.join(unrecorded)}")  # fmt: skip


@deadlines.handler(REMINDER)
def meeting_reminder(deadline, now: dt.datetime) -> None:
    m = Meeting.objects.select_for_update().filter(pk=deadline.subject).first()
    if m is None or m.state not in OPEN_STATES:
        return
    revision, step = divmod(deadline.step, 100)
    if revision != m.revision or m.starts_at <= now:
        return
    if Reminder.objects.filter(meeting=m, step=step, for_starts_at=m.starts_at).exists():
        return
    reminders = get_charter().commitments.meetings.reminders
    lead = (
        reminders[step]
        if step < len(reminders)
        else f"PT{int((m.starts_at - deadline.due_at).total_seconds())}S"
    )
    r = Reminder.objects.create(meeting=m, step=step, lead=lead, for_starts_at=m.starts_at, at=now)
    ledger.record(r, "meeting_reminder.fired")


def unrecorded(m: Meeting) -> list[str]:
    seen = set(m.attendance.values_list("organisation", flat=True))
    return [o for o in m.expected if o not in seen]


# --- minutes and decisions ----------------------------------------------------------------------------------


def _after_start(m: Meeting, field: str, what: str) -> None:
    if m.state == MeetingState.CANCELLED:
        raise Conflict(f"{m.code} is cancelled: it has no {what}", field=field)
    if m.state == MeetingState.MISSED:
        raise Conflict(f"{m.code} was missed ({', '.join(m.missed_by) or 'attendance not recorded'}): it has no "
                       f"{what}", field=field)  # fmt: skip
    if m.starts_at > timezone.now():
        raise Conflict(f"{m.code} has not started yet", field=field)


def record_minutes(user, ref, *, text: str, document_id=None) -> Minutes:
    """A new version of the minutes (the newest is current). `document_id`: the co-signed document they became."""
    _may_convene(user)
    text = _text(text, "text")
    doc = None
    if document_id not in (None, ""):
        try:
            doc = uuid.UUID(str(document_id))
        except ValueError:
            raise ValidationFailed("document_id is the id of a document", field="document_id") from None
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        _after_start(m, "text", "minutes")
        last = m.minutes.order_by("-version").first()
        mn = Minutes.objects.create(meeting=m, version=(last.version + 1) if last else 1, text=text, document_id=doc,
                                    recorded_by=user, recorded_at=timezone.now())  # fmt: skip
        ledger.record(mn, "minutes.recorded", actor=user)
    return mn


def outcome_agreement_code(m: Meeting) -> str:
    """The agreement a meeting's own decisions hang their obligations on: the meeting's code."""
    return m.code


def _obligation_spec(user, i: int, spec: dict) -> dict:
    if not isinstance(spec, dict):
        raise ValidationFailed("each obligation is an object", field=f"obligations.{i}")
    known = {"kind", "title", "obliged", "description", "due_at", "due_after", "due_offset", "starts_at", "ends_at",
             "verified_by", "subject", "subject_mode"}  # fmt: skip
    extra = set(spec) - known
    if extra:
        raise ValidationFailed(f"unknown fields {', '.join(sorted(extra))}", field=f"obligations.{i}")
    out = {k: v for k, v in spec.items() if v not in (None, "")}
    if out.get("verified_by") == "meeting_held" and out.get("subject"):
        # Name the meeting by its code or id; what is stored is its id.
        try:
            out["subject"] = str(get_meeting(user, out["subject"]).pk)
        except NotFound:
            raise ValidationFailed(
                f"no meeting {out['subject']!r}", field=f"obligations.{i}.subject"
            ) from None
    return out


def record_decision(user, ref, *, text: str, obligations: list[dict] | None = None, agreement: str | None = None,
                    clause: str | None = None) -> Decision:  # fmt: skip
    """Record the next numbered decision of a meeting, and the obligations it creates. Their agreement is
    `agreement` (and its `clause`) when the meeting produced one, e.g. a joint statement; otherwise the meeting's
    own outcome agreement (code: the meeting's code, entered with the first decision that creates obligations),
    whose clause of the same number is this decision."""
    from sulh.commitments import services as commitments
    from sulh.commitments.models import Agreement

    _may_convene(user)
    text = _text(text, "text")
    obligations = list(obligations or [])
    if len(obligations) > MAX_OBLIGATIONS:
        raise ValidationFailed(f"at most {MAX_OBLIGATIONS} obligations per decision", field="obligations")
    if clause and not agreement:
        raise ValidationFailed("a clause is named with its agreement", field="clause")
    specs = [_obligation_spec(user, i, s) for i, s in enumerate(obligations)]
    with transaction.atomic():
        m = get_meeting(user, ref, for_update=True)
        _after_start(m, "text", "decisions")
        last = m.decisions.order_by("-number").first()
        number = (last.number + 1) if last else 1
        agr, cl = None, None
        if agreement:
            try:
                agr = commitments.get_agreement(user, agreement)
            except NotFound:
                raise ValidationFailed(f"no agreement {agreement!r}", field="agreement") from None
            if clause:
                cl = agr.clauses.filter(number=str(clause).strip()).first()
                if cl is None:
                    raise ValidationFailed(f"{agr.code} has no clause {clause!r}", field="clause")
        elif specs:
            code = outcome_agreement_code(m)
            agr = Agreement.objects.filter(code=code).first()
            if agr is None:
                agr = commitments.enter_agreement(
                    user, code=code, title=f"Decisions of {m.title}"[:300], date=m.starts_at.date(), place=m.place,
                    clauses=[{"number": str(number), "text": text}],
                )  # fmt: skip
                cl = agr.clauses.get(number=str(number))
            else:
                if not Decision.objects.filter(meeting=m, agreement=agr).exists():
                    raise Conflict(
                        f"an agreement {code} exists that is not this meeting's", field="agreement"
                    )
                try:
                    cl = commitments.add_clause(user, agr, number=str(number), text=text)
                except Conflict as exc:
                    raise Conflict(exc.message, field="text") from None
        d = Decision.objects.create(meeting=m, number=number, text=text, agreement=agr, clause=cl, recorded_by=user,
                                    recorded_at=timezone.now())  # fmt: skip
        ledger.record(d, "decision.recorded", actor=user)
        for i, spec in enumerate(specs):
            try:
                ob = commitments.create_obligation(user, agr.code, clause=cl.number if cl else None, **spec)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    exc.message, field=f"obligations.{i}.{exc.field or ''}".rstrip(".")
                ) from None
            except TypeError as exc:
                raise ValidationFailed(str(exc), field=f"obligations.{i}") from None
            link = DecisionObligation.objects.create(decision=d, obligation=ob)
            ledger.record(link, "decision.obligation_created", actor=user)
    return d


def obligations_of(d: Decision):
    from sulh.commitments.models import Obligation

    return Obligation.objects.filter(pk__in=d.links.values("obligation_id")).order_by("code")
