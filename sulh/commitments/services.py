"""Agreements and obligations: entering them, changing an obligation's state under the charter's rules, the
records of Sulh that meet obligations by themselves, and the warnings of lapsing ceasefires
(docs/commitments.md).

Other apps call `observe()` when one of their records proves an obligation met (a crossing open, a meeting
held, an exchange reciprocal, a document agreed); the change is made in their transaction, so the record and
the obligation's new state commit together."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import Organisation, OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.charter.schema import parse_duration
from sulh.core import codes
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from .models import (
    Agreement,
    Clause,
    Obligation,
    ObligationChange,
    ObligationKind,
    ObligationState,
    VerifiedBy,
    Warning,
)

MAX_TEXT = 20_000
DUE = "obligation_due"  # deadline: the obligation's due time passed
EXPIRY = "obligation_expiry"  # deadline: step i of the charter's expiry warnings (step = i), or the end (step = 99)
LAPSE_STEP = 99
# The states an obligation may still leave. Met and breached are final only for Sulh's own observations: a
# mediator may still correct them (with a reason), and a party may dispute them.
OPEN_STATES = (ObligationState.PENDING, ObligationState.IN_PROGRESS, ObligationState.PARTLY_MET,
               ObligationState.DISPUTED)  # fmt: skip


READERS = (OrganisationKind.PARTY, OrganisationKind.MEDIATOR, OrganisationKind.MONITORING)


# --- who sees what ----------------------------------------------------------------------------------------------


def _org(user):
    return getattr(user, "organisation", None) if user is not None and user.is_authenticated else None


def can_read(user) -> bool:
    """Agreements and obligations are joint: every party, mediator and monitor of the mechanism reads them all
    (the evidence attached keeps its own visibility). The public and the operator's staff do not."""
    org = _org(user)
    return org is not None and org.kind in READERS


def visible_agreements(user) -> QuerySet[Agreement]:
    return Agreement.objects.all() if can_read(user) else Agreement.objects.none()


def visible_obligations(user) -> QuerySet[Obligation]:
    if not can_read(user):
        return Obligation.objects.none()
    # created_by: every answer names who entered it (one query per obligation otherwise: a list or the
    # dashboard made a query per row).
    return Obligation.objects.select_related("agreement", "clause", "created_by")


def get_agreement(user, ref) -> Agreement:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    a = visible_agreements(user).filter(flt).first()
    if a is None:
        raise NotFound(f"no agreement {text!r}")
    return a


def get_obligation(user, ref, *, for_update: bool = False) -> Obligation:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    pk = visible_obligations(user).filter(flt).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(f"no obligation {text!r}")
    # Lock the obligation row only: PostgreSQL refuses FOR UPDATE on the nullable side of the clause's join.
    qs = Obligation.objects.select_for_update(of=("self",)) if for_update else Obligation.objects
    return qs.select_related("agreement", "clause", "created_by", "due_after").get(pk=pk)


# --- agreements ---------------------------------------------------------------------------------------------


def _may_enter(user) -> None:
    """Agreements and obligations are entered by the mediators (who hold the texts both sides agreed)."""
    org = _org(user)
    if (
        org is None
        or org.kind != OrganisationKind.MEDIATOR
        or user.role not in (Role.MEDIATOR_LEAD, Role.VERIFIER)
    ):
        raise PermissionDenied("only the mediators' leads and verifiers enter agreements and obligations")


def _text(value, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} is empty", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} is {len(text)} characters long; at most {limit}", field=field)
    return text


def enter_agreement(user, *, code: str, title: str, date: dt.date, place: str = "",
                    clauses: list[dict]) -> Agreement:  # fmt: skip
    """Enter an agreement with its numbered clauses ([{number, text}]); logged, immutable afterwards."""
    _may_enter(user)
    code = _text(code, "code", limit=40).upper()
    if not all(c.isalnum() or c in "._-" for c in code):
        raise ValidationFailed("the code may hold letters, digits, '.', '_' and '-' only", field="code")
    if not clauses:
        raise ValidationFailed("an agreement needs at least one clause", field="clauses")
    numbers = []
    for i, c in enumerate(clauses):
        n = _text(c.get("number"), f"clauses.{i}.number", limit=20)
        if n in numbers:
            raise ValidationFailed(f"clause number {n!r} appears twice", field=f"clauses.{i}.number")
        numbers.append(n)
        _text(c.get("text"), f"clauses.{i}.text")
    with transaction.atomic():
        if Agreement.objects.filter(code=code).exists():
            raise Conflict(f"an agreement {code} exists already", field="code")
        a = Agreement.objects.create(code=code, title=_text(title, "title", limit=300), date=date,
                                     place=_text(place, "place", required=False, limit=200), entered_by=user)  # fmt: skip
        ledger.record(a, "agreement.entered", actor=user)
        for c in clauses:
            clause = Clause.objects.create(agreement=a, number=c["number"].strip(), text=c["text"].strip())
            ledger.record(clause, "clause.entered", actor=user)
    return a


def add_clause(user, agreement: Agreement, *, number: str, text: str) -> Clause:
    """Add a clause to an agreement that grows as a meeting decides (a meeting's outcome agreement): a clause is
    never changed once entered; a number already taken is refused."""
    _may_enter(user)
    number = _text(number, "number", limit=20)
    text = _text(text, "text")
    with transaction.atomic():
        if agreement.clauses.filter(number=number).exists():
            raise Conflict(f"{agreement.code} has a clause {number} already", field="number")
        clause = Clause.objects.create(agreement=agreement, number=number, text=text)
        ledger.record(clause, "clause.entered", actor=user)
    return clause


def sync_from_charter(charter=None) -> int:
    """Make sure each of the charter's agreements is entered (with its clauses); returns how many were new."""
    charter = charter or get_charter()
    made = 0
    for ca in charter.agreements:
        if Agreement.objects.filter(code=ca.code).exists():
            continue
        with transaction.atomic():
            a = Agreement.objects.create(code=ca.code, title=ca.title["en"], date=ca.date, place=ca.place or "",
                                         from_charter=True)  # fmt: skip
            ledger.record(a, "agreement.entered")
            for cl in ca.clauses:
                clause = Clause.objects.create(agreement=a, number=cl.number, text=cl.text["en"],
                                               paraphrase=cl.paraphrase)  # fmt: skip
                ledger.record(clause, "clause.entered")
        made += 1
    return made


# --- obligations ------------------------------------------------------------------------------------------


def next_code(when: dt.datetime) -> str:
    return codes.next_code(Obligation, "OBL", when)


def _check_subject(verified_by: str, subject: str, mode: str) -> tuple[str, str]:
    subject, mode = (subject or "").strip(), (mode or "").strip()
    if verified_by == VerifiedBy.EVIDENCE:
        if subject or mode:
            raise ValidationFailed(
                "an obligation verified by evidence names no subject record", field="subject"
            )
        return "", ""
    if not subject:
        raise ValidationFailed(f"an obligation verified by {verified_by} names its subject", field="subject")
    if verified_by == VerifiedBy.CROSSING_OPEN:
        try:
            crossing = get_charter().crossing(subject)
        except KeyError:
            raise ValidationFailed(f"no crossing {subject!r} in the charter", field="subject") from None
        mode = mode or "both"
        if mode not in ("trade", "travel", "both"):
            raise ValidationFailed("a crossing's mode is trade, travel or both", field="subject_mode")
        for m in ("trade", "travel"):
            if mode in (m, "both") and not getattr(crossing, m):
                raise ValidationFailed(f"the charter says {subject} does not serve {m}", field="subject_mode")
        return subject, mode
    try:
        uuid.UUID(subject)
    except ValueError:
        raise ValidationFailed(
            f"the subject of {verified_by} is the id of the record", field="subject"
        ) from None
    if mode:
        raise ValidationFailed("only a crossing has a mode", field="subject_mode")
    return subject, ""


def create_obligation(user, agreement_ref, *, kind: str, title: str, obliged: list[str], clause: str | None = None,
                      description: str = "", due_at: dt.datetime | None = None, due_after: str | None = None,
                      due_offset: str | None = None, starts_at: dt.datetime | None = None,
                      ends_at: dt.datetime | None = None, verified_by: str = VerifiedBy.EVIDENCE,
                      subject: str = "", subject_mode: str = "", _system: bool = False) -> Obligation:  # fmt: skip
    """Add an obligation under an agreement (and one of its clauses). `_system`: made by another record of
    Sulh on a person's action (a meeting's decision), whose own service checked that person's right."""
    if not _system:
        _may_enter(user)
    agreement = (
        get_agreement(user, agreement_ref)
        if not _system
        else Agreement.objects.get(
            Q(pk=agreement_ref) if isinstance(agreement_ref, uuid.UUID) else Q(code=str(agreement_ref))
        )
    )
    if kind not in ObligationKind.values:
        raise ValidationFailed(f"kind must be one of {', '.join(ObligationKind.values)}", field="kind")
    if verified_by not in VerifiedBy.values:
        raise ValidationFailed(
            f"verified_by must be one of {', '.join(VerifiedBy.values)}", field="verified_by"
        )
    parties = [p.code for p in get_charter().parties]
    obliged = sorted(set(obliged or []))
    if not obliged or any(p not in parties for p in obliged):
        raise ValidationFailed(
            f"obliged must name one or both parties ({', '.join(parties)})", field="obliged"
        )
    clause_row = None
    if clause:
        clause_row = agreement.clauses.filter(number=str(clause).strip()).first()
        if clause_row is None:
            raise ValidationFailed(f"{agreement.code} has no clause {clause!r}", field="clause")
    if (starts_at is None) != (ends_at is None) and kind == ObligationKind.CEASEFIRE:
        raise ValidationFailed("a time-limited ceasefire needs both starts_at and ends_at", field="ends_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed("ends_at must be after starts_at: an obligation cannot end before it starts",
                               field="ends_at")  # fmt: skip
    after_row, offset_s = None, None
    if due_after or due_offset:
        if due_at is not None:
            raise ValidationFailed("give due_at, or due_after with due_offset, not both", field="due_at")
        if not (due_after and due_offset):
            raise ValidationFailed("a relative due time needs due_after and due_offset", field="due_offset")
        after_row = get_obligation(user, due_after) if not _system else Obligation.objects.get(code=due_after)
        try:
            offset_s = int(parse_duration(due_offset).total_seconds())
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="due_offset") from None
    subject, subject_mode = _check_subject(verified_by, subject, subject_mode)
    now = timezone.now()
    with transaction.atomic():
        for attempt in range(5):  # two obligations entered at once draw the same code: the second tries again
            try:
                with transaction.atomic():
                    ob = Obligation.objects.create(
                        code=next_code(now), agreement=agreement, clause=clause_row, kind=kind,
                        title=_text(title, "title", limit=300), description=_text(description, "description", required=False),
                        obliged=obliged, due_at=due_at, due_after=after_row, due_offset_s=offset_s,
                        starts_at=starts_at, ends_at=ends_at, verified_by=verified_by, subject=subject,
                        subject_mode=subject_mode, created_by=user, created_at=now,
                    )  # fmt: skip
                break
            except IntegrityError:
                if attempt == 4:
                    raise
        ledger.record(ob, "obligation.created", actor=user)
        if after_row is not None and after_row.state == ObligationState.MET and after_row.state_changed_at:
            _set_due(ob, after_row.state_changed_at + dt.timedelta(seconds=offset_s))
        _schedule(ob, now)
    return ob


def _set_due(ob: Obligation, due_at: dt.datetime) -> None:
    ob.due_at = due_at
    ob.save(update_fields=["due_at"])
    ledger.record(ob, "obligation.due_set")


def _schedule_once(kind: str, subject: str, at: dt.datetime, step: int = 0) -> None:
    """A deadline per (kind, subject, step), as the deadlines table allows: a cancelled one is pending again
    (an obligation reopened after being met), one already fired is left alone."""
    from sulh.deadlines.models import Deadline, DeadlineState

    row = Deadline.objects.filter(kind=kind, subject=subject, step=step).first()
    if row is None:
        deadlines.schedule(kind, subject, at, step=step)
    elif row.state == DeadlineState.CANCELLED:
        row.state, row.due_at, row.run_at = DeadlineState.PENDING, at, at
        row.save(update_fields=["state", "due_at", "run_at"])


def _schedule(ob: Obligation, now: dt.datetime) -> None:
    """The stored deadlines of an obligation: its due time, and the charter's expiry warnings before its end.
    A warning whose time has already passed when the obligation is entered is not lost: the latest such step
    is given at once (entered 20 hours before the end, the 1-day warning is given now, not never). An
    obligation entered after its end (history entered late) is marked lapsed without a warning: nobody could
    have been warned in time, and a warning now would only be noise."""
    if ob.due_at is not None and ob.state in OPEN_STATES:
        _schedule_once(DUE, str(ob.pk), ob.due_at)
    if ob.ends_at is None or ob.lapsed_at is not None:
        return
    if ob.ends_at <= now:
        ob.lapsed_at = ob.ends_at
        ob.save(update_fields=["lapsed_at"])
        ledger.record(ob, "obligation.lapsed")
        return
    passed = None
    for i, text in enumerate(get_charter().commitments.obligations.expiry_warnings):
        at = ob.ends_at - parse_duration(text)
        if at > now:
            _schedule_once(EXPIRY, str(ob.pk), at, step=i)
        elif passed is None or at > passed[1]:
            passed = (i, at)
    if passed is not None:
        _schedule_once(EXPIRY, str(ob.pk), now, step=passed[0])
    _schedule_once(EXPIRY, str(ob.pk), ob.ends_at, step=LAPSE_STEP)


# --- state changes ------------------------------------------------------------------------------------------


def actors_of(user, ob: Obligation) -> set[str]:
    """The charter actors `user` is, for this obligation."""
    org = _org(user)
    if org is None:
        return set()
    if org.kind == OrganisationKind.MEDIATOR and user.role in (Role.MEDIATOR_LEAD, Role.VERIFIER):
        return {"mediators"}
    if org.kind == OrganisationKind.MONITORING and user.role == Role.MONITOR:
        return {"monitors"}
    if org.kind == OrganisationKind.PARTY and user.role in (Role.LIAISON_OFFICER, Role.COMMANDER):
        out = set()
        if org.code in ob.obliged:
            out.add("obliged_party")
        if any(p != org.code for p in ob.obliged) or org.code not in ob.obliged:
            out.add("other_party")
        return out
    return set()


def allowed_states(user, ob: Obligation) -> list[str]:
    rules = get_charter().commitments.obligations.state_changes
    mine = actors_of(user, ob)
    return [s for s, who in rules.items() if s != ob.state and mine & set(who)]


def change_state(
    user, ref, to_state: str, *, reason: str, evidence_ids: list | None = None
) -> ObligationChange:
    """Move an obligation to `to_state`, if the charter lets `user` do so; a reason is always required, and
    evidence for every state but `disputed` (a dispute says why the evidence is wrong)."""
    if to_state not in ObligationState.values or to_state == ObligationState.PENDING:
        allowed = [s for s in ObligationState.values if s != ObligationState.PENDING]
        raise ValidationFailed(f"to_state must be one of {', '.join(allowed)}", field="to_state")
    with transaction.atomic():
        ob = get_obligation(user, ref, for_update=True)  # NotFound first: a refusal never confirms it exists
        reason = _text(reason, "reason")
        who = get_charter().commitments.obligations.state_changes.get(to_state, [])
        mine = actors_of(user, ob) & set(who)
        if not mine:
            raise PermissionDenied(f"the charter lets only {', '.join(who) or 'nobody'} put an obligation in state "
                                   f"{to_state}")  # fmt: skip
        if ob.state == to_state:
            raise Conflict(f"{ob.code} is {to_state} already", field="to_state")
        evidence = _evidence(user, evidence_ids or [])
        if not evidence and to_state != ObligationState.DISPUTED:
            raise ValidationFailed("a change of state needs evidence: attach at least one evidence item",
                                   field="evidence_ids")  # fmt: skip
        return _change(ob, to_state, reason=reason, evidence_ids=evidence, by=user, as_actor=sorted(mine)[0])


def _evidence(user, ids: list) -> list[str]:
    from sulh.evidence.services import get_evidence

    out = []
    for i, ref in enumerate(ids):
        try:
            out.append(str(get_evidence(user, ref).pk))
        except NotFound:
            raise NotFound(f"no evidence {ref!r} that you may see", field=f"evidence_ids.{i}") from None
    return sorted(set(out))


def _change(ob: Obligation, to_state: str, *, reason: str, evidence_ids: list, by, as_actor: str,
            source_record: str = "", at: dt.datetime | None = None) -> ObligationChange:  # fmt: skip
    at = at or timezone.now()
    org = _org(by)
    ch = ObligationChange.objects.create(
        obligation=ob, from_state=ob.state, to_state=to_state, reason=reason, evidence_ids=evidence_ids, by=by,
        by_org=org.code if org is not None else "OPS", as_actor=as_actor, source_record=source_record, at=at,
    )  # fmt: skip
    ob.state, ob.state_changed_at = to_state, at
    ob.save(update_fields=["state", "state_changed_at"])
    ledger.record(ch, f"obligation.{to_state}", actor=by)
    if to_state in (ObligationState.MET, ObligationState.BREACHED):
        deadlines.cancel(DUE, str(ob.pk))
    elif ch.from_state in (ObligationState.MET, ObligationState.BREACHED):
        _schedule(ob, timezone.now())  # reopened (a mediator's correction, a dispute): its clocks run again
    if to_state == ObligationState.MET:
        # Obligations due relative to this one get their due time now.
        for dep in Obligation.objects.select_for_update().filter(due_after=ob, due_at__isnull=True):
            _set_due(dep, at + dt.timedelta(seconds=dep.due_offset_s or 0))
            _schedule(dep, timezone.now())
    return ch


def observe(verified_by: str, subject: str, *, mode: str = "", source_record: str, reason: str,
            at: dt.datetime | None = None) -> list[ObligationChange]:  # fmt: skip
    """A record of Sulh proves obligations met: every open obligation verified by `verified_by` on `subject`
    (for a crossing, whose mode is covered by `mode`: "trade", "travel" or "both") is marked met, by Sulh
    itself, naming `source_record` ("crossing_status:<id>"). Call it inside the transaction that stores the
    record. Returns the changes made."""
    qs = Obligation.objects.select_for_update().filter(verified_by=verified_by, subject=subject,
                                                       state__in=OPEN_STATES)  # fmt: skip
    if verified_by == VerifiedBy.CROSSING_OPEN:
        modes = {"both": ["trade", "travel", "both"], "trade": ["trade"], "travel": ["travel"]}[
            mode or "both"
        ]
        qs = qs.filter(subject_mode__in=modes)
    return [
        _change(
            ob,
            ObligationState.MET,
            reason=reason,
            evidence_ids=[],
            by=None,
            as_actor="sulh",
            source_record=source_record,
            at=at,
        )  # fmt: skip
        for ob in qs.order_by("code")
    ]


# --- deadlines: overdue, expiry warnings, lapse ---------------------------------------------------------


@deadlines.handler(DUE)
def obligation_overdue(deadline, now: dt.datetime) -> None:
    """The due time passed with the obligation unmet: it is marked overdue and every side is warned. Its state
    is not changed: only the roles the charter names decide that an obligation is breached."""
    ob = Obligation.objects.select_for_update().filter(pk=deadline.subject).first()
    if ob is None or ob.state not in OPEN_STATES or ob.overdue_at is not None:
        return
    ob.overdue_at = deadline.due_at
    ob.save(update_fields=["overdue_at"])
    ledger.record(ob, "obligation.overdue")
    _warn(ob, Warning.Kind.OVERDUE, 0, 0, now)


def extension_of(ob: Obligation) -> Obligation | None:
    """A later obligation of the same kind, owed by the same parties, in force at `ob`'s end and beyond it
    (a ceasefire extended before it lapsed), unless breached."""
    if ob.ends_at is None:
        return None
    qs = (
        Obligation.objects.filter(kind=ob.kind, starts_at__isnull=False, starts_at__lte=ob.ends_at)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=ob.ends_at))
        .exclude(pk=ob.pk)
        .exclude(state=ObligationState.BREACHED)
        .order_by("starts_at", "code")
    )
    return next((o for o in qs if sorted(o.obliged) == sorted(ob.obliged)), None)


def _still_to_warn(ob: Obligation) -> bool:
    """Warnings of the end are for an obligation still running: not one the mediators closed early (met, or
    breached: the truce collapsed), nor one an extension already covers."""
    return ob.state in OPEN_STATES and extension_of(ob) is None


@deadlines.handler(EXPIRY)
def obligation_expiry(deadline, now: dt.datetime) -> None:
    ob = Obligation.objects.select_for_update().filter(pk=deadline.subject).first()
    if ob is None or ob.ends_at is None or ob.lapsed_at is not None:
        return
    if deadline.step == LAPSE_STEP:
        ob.lapsed_at = ob.ends_at
        ob.save(update_fields=["lapsed_at"])
        ledger.record(ob, "obligation.lapsed")
        if _still_to_warn(ob):
            _warn(ob, Warning.Kind.LAPSED, LAPSE_STEP, 0, now)
        return
    if ob.ends_at <= now or not _still_to_warn(ob):
        return
    lead = ob.ends_at - deadline.due_at
    _warn(ob, Warning.Kind.EXPIRY, deadline.step, int(lead.total_seconds()), now)


def _warn(ob: Obligation, kind: str, step: int, lead_s: int, now: dt.datetime) -> Warning | None:
    if Warning.objects.filter(obligation=ob, kind=kind, step=step).exists():
        return None
    w = Warning.objects.create(obligation=ob, kind=kind, step=step, lead_s=lead_s, at=now)
    ledger.record(w, f"obligation_warning.{kind}")
    return w


def active_warnings(user, *, now: dt.datetime | None = None) -> QuerySet[Warning]:
    """Warnings every party and mediator should see now: expiry warnings of obligations not yet lapsed, lapses
    and overdue obligations of the last week that are still open."""
    org_id = getattr(user, "organisation_id", None) if user is not None and user.is_authenticated else None
    if org_id is None:
        return Warning.objects.none()
    # Who may read is asked in the same query (no separate fetch of the user's organisation): the console
    # shows these on every page.
    may_read = Exists(Organisation.objects.filter(pk=org_id, kind__in=READERS))
    now = now or timezone.now()
    recent = now - dt.timedelta(days=7)
    return (
        Warning.objects.select_related("obligation")
        .filter(may_read, at__gte=recent)
        .filter(
            Q(kind=Warning.Kind.EXPIRY, obligation__lapsed_at__isnull=True)
            | Q(kind=Warning.Kind.LAPSED)
            | Q(kind=Warning.Kind.OVERDUE, obligation__state__in=OPEN_STATES)
        )  # fmt: skip
        .order_by("-at")
    )


# --- lists and the dashboard ---------------------------------------------------------------------------------

WEEK = dt.timedelta(days=7)
DUE_FILTERS = ("this_week", "overdue")


def filter_obligations(user, *, state: str | None = None, party: str | None = None, kind: str | None = None,
                       agreement: str | None = None, due: str | None = None,
                       now: dt.datetime | None = None) -> list[Obligation]:  # fmt: skip
    """The obligations `user` may see, filtered; unknown filter values are refused (422), not ignored."""
    now = now or timezone.now()
    qs = visible_obligations(user).select_related("due_after")
    if state:
        if state not in ObligationState.values:
            raise ValidationFailed(f"state must be one of {', '.join(ObligationState.values)}", field="state")
        qs = qs.filter(state=state)
    if kind:
        if kind not in ObligationKind.values:
            raise ValidationFailed(f"kind must be one of {', '.join(ObligationKind.values)}", field="kind")
        qs = qs.filter(kind=kind)
    if agreement:
        qs = qs.filter(agreement=get_agreement(user, agreement))
    if due:
        if due not in DUE_FILTERS:
            raise ValidationFailed(f"due must be one of {', '.join(DUE_FILTERS)}", field="due")
        qs = qs.filter(state__in=OPEN_STATES)
        qs = (
            qs.filter(due_at__lt=now)
            if due == "overdue"
            else qs.filter(
                Q(due_at__gte=now, due_at__lt=now + WEEK) | Q(ends_at__gte=now, ends_at__lt=now + WEEK)
            )
        )
    rows = list(qs.order_by("due_at", "code"))
    if party:
        parties = [p.code for p in get_charter().parties]
        if party not in parties:
            raise ValidationFailed(f"party must be one of {', '.join(parties)}", field="party")
        rows = [o for o in rows if party in o.obliged]  # JSON list: filtered here, the same on both databases
    return rows


def changes_of(ob: Obligation) -> QuerySet[ObligationChange]:
    return ob.changes.select_related("by").order_by("at", "id")
