"""Verification cases (docs/verification.md): the mediators open a case on a complaint or on their own
initiative, staff it, and plan its steps — desk reviews, requests for information to a party, site visits,
interviews — each with the charter's deadline.

A request for information goes to the party on the hotline, from the mediators' cell to that party's top
desk; the party answers or refuses it, and a request left unanswered past its deadline is recorded as
ignored, against the party. A case whose finding is not published in time is marked overdue — never closed
silently. Every change is logged in the transaction that makes it."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.charter.schema import parse_duration
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from . import visibility
from .models import Case, CaseMember, CaseStage, FindingState, PlanItem, PlanKind, PlanState
from .services import SPEAKS_FOR_PARTY, _text, get_complaint

CASE_DUE = "verification.case_due"
PLAN_DUE = "verification.plan_due"
OPENS_CASES = (Role.MEDIATOR_LEAD, Role.VERIFIER)
MEMBER_ROLES = ("lead", "member")

__all__ = [
    "CASE_DUE", "PLAN_DUE", "answer_request", "assign", "board", "complete", "get_case", "get_plan_item",
    "open_case", "plan", "reopen_case",
]  # fmt: skip


# --- who may act ------------------------------------------------------------------------------------------


def _mediator(user, what: str) -> None:
    """Cases are the mediators' work: their leads and verifiers open, staff and plan them."""
    if not visibility.is_mediator(user) or user.role not in OPENS_CASES:
        raise PermissionDenied(f"only the mediators' leads and verifiers {what}")


def get_case(user, ref, *, for_update: bool = False) -> Case:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    found = visibility.visible_cases(user).filter(flt).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(f"no case {text!r}")
    qs = Case.objects.select_for_update() if for_update else Case.objects
    return qs.get(pk=found)


def get_plan_item(user, item_id, *, for_update: bool = False) -> PlanItem:
    """A plan item the user may see (visibility.visible_plan); NotFound for any other, existing or not."""
    try:
        pk = uuid.UUID(str(item_id))
    except ValueError:
        raise NotFound(f"no plan item {item_id!r}") from None
    item = PlanItem.objects.select_related("case").filter(pk=pk).first()
    if item is None or not visibility.visible_plan(user, item.case).filter(pk=pk).exists():
        raise NotFound(f"no plan item {item_id!r}")
    return PlanItem.objects.select_for_update().get(pk=pk) if for_update else item


def _verification():
    v = get_charter().verification
    if v is None:
        raise Conflict("the charter has no verification section: cases cannot be opened")
    return v


def _staff(username: str, field: str):
    """A member of a case's team: an active member of one of the mediators' organisations."""
    User = get_user_model()
    u = User.objects.select_related("organisation").filter(username=username, is_active=True).first()
    if u is None or u.organisation is None or u.organisation.kind != OrganisationKind.MEDIATOR:
        raise ValidationFailed(f"{username!r} is not one of the mediators' staff", field=field)
    return u


# --- opening ------------------------------------------------------------------------------------------------


def next_case_code(when: dt.datetime) -> str:
    from sulh.incidents.models import IncidentCodeCounter

    counter, _ = IncidentCodeCounter.objects.select_for_update().get_or_create(prefix="CASE", year=when.year, month=when.month)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"CASE-{when.year:04d}-{when.month:02d}-{counter.last:04d}"


def _incidents(user, refs: list[str]):
    from sulh.incidents.services import get_incident

    found = {}
    for ref in refs:
        try:
            i = get_incident(user, ref)
        except NotFound:
            raise NotFound(f"no incident {ref!r} that you may see", field="incidents") from None
        found[i.pk] = i
    return list(found.values())


def _create(user, *, complaint, incidents, reason: str, team, reopens=None, kind: str) -> Case:
    """Store a new case with its team and its finding deadline (in the caller's transaction)."""
    now = timezone.now()
    case = Case.objects.create(
        code=next_case_code(now), complaint=complaint, incident_ids=sorted(str(i.pk) for i in incidents),
        reason=reason, opened_by=user, opened_at=now, reopens=reopens,
        finding_due_at=now + parse_duration(_verification().finding_within),
    )  # fmt: skip
    case.incidents.set(incidents)
    ledger.record(case, kind, actor=user)
    # CaseMember is a tracked record type: each row's save is logged (case_member.created) with this actor.
    with ledger.acting_as(user):
        CaseMember.objects.create(case=case, user=user, role="lead", assigned_by=user, assigned_at=now)
        for member in team:
            if member.pk != user.pk:
                CaseMember.objects.create(case=case, user=member, role="member", assigned_by=user, assigned_at=now)
    deadlines.schedule(CASE_DUE, str(case.pk), case.finding_due_at)
    return case


def open_case(user, *, complaint: str | None = None, incidents: list[str] | None = None, reason: str,
              team: list[str] | None = None) -> Case:
    """Open a case: on a complaint (its incidents unless others are named) or on the mediators' own initiative
    (incidents required). The opener leads it; `team` names the other members (mediators' staff)."""
    _mediator(user, "open cases")
    _verification()
    found_complaint = None
    if complaint:
        try:
            found_complaint = get_complaint(user, complaint)
        except NotFound:
            raise NotFound(f"no complaint {complaint!r}", field="complaint") from None
    refs = list(incidents or [])
    if not refs and found_complaint is not None:
        refs = [str(pk) for pk in found_complaint.incident_ids]
    if not refs:
        raise ValidationFailed("name at least one incident, or the complaint the case is opened on", field="incidents")
    found = _incidents(user, refs)
    reason = _text(reason, "reason", "the reason for opening the case")
    members = [_staff(name, "team") for name in dict.fromkeys(team or [])]
    with transaction.atomic():
        return _create(user, complaint=found_complaint, incidents=found, reason=reason, team=members, kind="case.opened")


def reopen_case(user, case_ref, reason: str) -> Case:
    """Reopen a concluded case: a new case on the same complaint and incidents, `reopens` pointing at the old
    one. The old finding stays published until the new case's finding supersedes it."""
    _mediator(user, "reopen cases")
    reason = _text(reason, "reason", "the reason for reopening the case")
    with transaction.atomic():
        old = get_case(user, case_ref, for_update=True)
        concluded = old.stage == CaseStage.CLOSED or old.findings.filter(state=FindingState.PUBLISHED).exists()
        if not concluded:
            raise Conflict(f"{old.code} has no published finding yet: it is still open, there is nothing to reopen")
        again = Case.objects.filter(reopens=old).exclude(stage=CaseStage.CLOSED).first()
        if again is not None:
            raise Conflict(f"{old.code} is already reopened by {again.code}")
        return _create(user, complaint=old.complaint, incidents=list(old.incidents.all()), reason=reason, team=[],
                       reopens=old, kind="case.reopened")  # fmt: skip


def _open(case: Case) -> None:
    if case.stage == CaseStage.CLOSED:
        raise Conflict(f"{case.code} is closed: reopen it to investigate further")


def assign(user, case_ref, username: str, role: str = "member") -> CaseMember:
    """Put one of the mediators' staff on the case's team, or change their role on it."""
    _mediator(user, "staff cases")
    if role not in MEMBER_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(MEMBER_ROLES)}", field="role")
    member = _staff(username, "username")
    with transaction.atomic():
        case = get_case(user, case_ref, for_update=True)
        _open(case)
        row = CaseMember.objects.select_for_update().filter(case=case, user=member).first()
        if row is not None and row.role == role:
            raise Conflict(f"{username} is already on {case.code} as {role}")
        with ledger.acting_as(user):  # tracked: the save is logged as case_member.created / .updated
            if row is None:
                row = CaseMember.objects.create(case=case, user=member, role=role, assigned_by=user)
            else:
                row.role, row.assigned_by, row.assigned_at = role, user, timezone.now()
                row.save()
    return row


def team(case: Case) -> QuerySet[CaseMember]:
    return case.members.select_related("user").order_by("-role", "assigned_at")


# --- the plan ------------------------------------------------------------------------------------------------


def _rfi_channel(party: str):
    """The line between the mediators' cell and the party's top desk (MED-AFG / MED-PAK in af-pak)."""
    from sulh.hotline.models import Channel, Post

    cell = Post.objects.filter(is_mediators_cell=True).first()
    desk = Post.objects.filter(organisation__code=party, is_mediators_cell=False).order_by("-level_rank").first()
    if cell is None or desk is None:
        return None, None, None
    channel = Channel.objects.filter(Q(end_a=cell, end_b=desk) | Q(end_a=desk, end_b=cell)).first()
    return channel, cell, desk


def plan(user, case_ref, kind: str, description: str, party: str | None = None) -> PlanItem:
    """Plan a step of the case, due within the charter's stage deadline. A request for information names
    the party asked; it goes out on the hotline at once and is due within `deadlines.rfi_answer`."""
    _mediator(user, "plan a case's steps")
    if kind not in PlanKind.values:
        raise ValidationFailed(f"kind must be one of {', '.join(PlanKind.values)}", field="kind")
    description = _text(description, "description", "the description of the step")
    charter = get_charter()
    verification = _verification()
    party = (party or "").strip()
    if kind == PlanKind.INFORMATION_REQUEST:
        codes = [p.code for p in charter.parties]
        if party not in codes:
            raise ValidationFailed(f"a request for information names the party asked ({', '.join(codes)})", field="party")
        channel, cell, desk = _rfi_channel(party)
        if channel is None:
            raise ValidationFailed(f"there is no hotline line between the mediators' cell and {party}'s desk", field="party")
        within = charter.deadline("rfi_answer")
    elif party:
        raise ValidationFailed("only a request for information names a party", field="party")
    else:
        within = verification.stage_within(kind)
    with transaction.atomic():
        case = get_case(user, case_ref, for_update=True)
        _open(case)
        now = timezone.now()
        item = PlanItem(case=case, kind=kind, description=description, party=party, planned_by=user,
                        planned_at=now, due_at=now + within)  # fmt: skip
        if kind == PlanKind.INFORMATION_REQUEST:
            item.message = _send_request(user, channel, cell, case, item)
        item.save()
        ledger.record(item, "plan_item.planned", actor=user)
        deadlines.schedule(PLAN_DUE, str(item.pk), item.due_at)
    return item


def _send_request(user, channel, cell, case: Case, item: PlanItem):
    from sulh.hotline import services as hotline

    body = (
        f"Request for information on verification case {case.code}: {item.description}\n"
        f"Your answer is due by {item.due_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC; answer it on the case."
    )
    return hotline.send_on_behalf(user, channel, cell, message_type="clarification_request", priority="routine",
                                  body=body)  # fmt: skip


def answer_request(user, item_id, *, answer: str | None = None, refuse: bool = False, reason: str = "") -> PlanItem:
    """The party asked answers a request for information, or refuses it with its reason. Server time;
    frozen once given. Only its liaison officers and commanders speak for it."""
    with transaction.atomic():
        item = get_plan_item(user, item_id, for_update=True)
        if item.kind != PlanKind.INFORMATION_REQUEST:
            raise Conflict("only a request for information is answered by a party")
        org = getattr(user, "organisation", None)
        if org is None or org.code != item.party or user.role not in SPEAKS_FOR_PARTY:
            raise PermissionDenied("only the liaison officers and commanders of the party asked answer a request")
        if item.state != PlanState.PLANNED:
            raise Conflict(f"the request is {item.get_state_display().lower()} and can no longer be answered")
        if refuse:
            text, state, kind = _text(reason, "reason", "the reason for refusing"), PlanState.REFUSED, "plan_item.refused"
        else:
            text, state, kind = _text(answer or "", "answer", "the answer"), PlanState.ANSWERED, "plan_item.answered"
        item.state, item.report, item.done_at, item.done_by = state, text, timezone.now(), user
        item.save(update_fields=["state", "report", "done_at", "done_by"])
        ledger.record(item, kind, actor=user)
        deadlines.cancel(PLAN_DUE, str(item.pk))
    return item


def complete(user, item_id, report: str) -> PlanItem:
    """The mediators record a desk review, site visit or interview as done, with what it found. A step
    done after its deadline stays marked overdue in the log (plan_item.overdue before plan_item.done)."""
    _mediator(user, "record a step of a case as done")
    report = _text(report, "report", "the report")
    with transaction.atomic():
        item = get_plan_item(user, item_id, for_update=True)
        if item.kind == PlanKind.INFORMATION_REQUEST:
            raise ValidationFailed("a request for information is answered by the party asked, not completed",
                                   field="kind")  # fmt: skip
        if item.state not in (PlanState.PLANNED, PlanState.OVERDUE):
            raise Conflict(f"the step is already {item.get_state_display().lower()}")
        _open(Case.objects.get(pk=item.case_id))
        item.state, item.report, item.done_at, item.done_by = PlanState.DONE, report, timezone.now(), user
        item.save(update_fields=["state", "report", "done_at", "done_by"])
        ledger.record(item, "plan_item.done", actor=user)
        deadlines.cancel(PLAN_DUE, str(item.pk))
    return item


# --- the verifier's board -----------------------------------------------------------------------------------


def board(user) -> list[dict]:
    """Open cases, soonest finding deadline first, each with its next step deadline and late steps."""
    _mediator(user, "see the verification board")
    cases = (
        Case.objects.exclude(stage=CaseStage.CLOSED)
        .annotate(next_due=Min("plan__due_at", filter=Q(plan__state=PlanState.PLANNED)))
        .order_by("finding_due_at")
    )
    late = {}
    for case_id, state in PlanItem.objects.filter(
        case__in=cases.values("pk"), state__in=[PlanState.OVERDUE, PlanState.IGNORED, PlanState.REFUSED]
    ).values_list("case_id", "state"):
        late.setdefault(case_id, []).append(state)
    return [
        {"case": c, "stage": c.stage, "finding_due_at": c.finding_due_at, "overdue_at": c.overdue_at,
         "next_due_at": c.next_due, "late_steps": len(late.get(c.pk, [])), "refused_or_ignored":
             sum(1 for s in late.get(c.pk, []) if s != PlanState.OVERDUE)}
        for c in cases
    ]  # fmt: skip


# --- stored deadlines ----------------------------------------------------------------------------------------


@deadlines.handler(CASE_DUE)
def case_overdue(deadline, now: dt.datetime) -> None:
    """No published finding by the charter's deadline: the case is marked overdue and stays open."""
    case = Case.objects.select_for_update().filter(pk=deadline.subject).first()
    if case is None or case.stage == CaseStage.CLOSED or case.overdue_at is not None:
        return
    case.overdue_at = deadline.due_at
    case.save(update_fields=["overdue_at"])
    ledger.record(case, "case.overdue")


@deadlines.handler(PLAN_DUE)
def plan_item_overdue(deadline, now: dt.datetime) -> None:
    """A step past its deadline: an unanswered request is recorded as ignored (against the party asked),
    any other step as overdue."""
    item = PlanItem.objects.select_for_update().filter(pk=deadline.subject).first()
    if item is None or item.state != PlanState.PLANNED:
        return
    rfi = item.kind == PlanKind.INFORMATION_REQUEST
    item.state = PlanState.IGNORED if rfi else PlanState.OVERDUE
    item.save(update_fields=["state"])
    ledger.record(item, "plan_item.ignored" if rfi else "plan_item.overdue")
