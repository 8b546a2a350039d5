"""REST endpoints of verification cases and their plans (/api/v1/cases…, /api/v1/plan-items…). Thin: parse,
call sulh.verification.cases, shape. What a caller sees of a case's plan is visibility.visible_plan's."""

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import cases, services, visibility
from .models import Case, PlanItem, PlanKind

router = Router(tags=["verification"])
TEXT = services.MAX_TEXT


class CaseIn(Schema):
    complaint: str | None = Field(None, description="Code or id of the complaint the case is opened on")
    incidents: list[str] = Field(default_factory=list, description="Incident codes or ids; by default the complaint's")
    reason: str = Field(max_length=TEXT, description="Why the case is opened")
    team: list[str] = Field(default_factory=list, description="Usernames of the mediators' staff on the team")


class ReopenIn(Schema):
    reason: str = Field(max_length=TEXT)


class MemberIn(Schema):
    username: str
    role: Literal["lead", "member"] = "member"


class PlanIn(Schema):
    kind: Literal[tuple(PlanKind.values)]  # type: ignore[valid-type]
    description: str = Field(max_length=TEXT)
    party: str | None = Field(None, description="Requests for information: the party asked (its code)")


class AnswerIn(Schema):
    answer: str | None = Field(None, max_length=TEXT)
    refuse: bool = False
    reason: str = Field("", max_length=TEXT, description="Why the request is refused (with refuse)")


class CompleteIn(Schema):
    report: str = Field(max_length=TEXT)


class MemberOut(Schema):
    username: str
    role: str
    assigned_at: dt.datetime


class PlanItemOut(Schema):
    id: str
    case: str
    kind: str
    description: str
    party: str
    message: str | None = Field(description="Requests for information: code of the hotline message carrying it")
    planned_by: str
    planned_at: dt.datetime
    due_at: dt.datetime
    state: str
    done_at: dt.datetime | None
    done_by: str | None
    report: str


class CaseOut(Schema):
    id: str
    code: str
    complaint: str | None
    incidents: list[str]
    reason: str
    opened_by: str
    opened_at: dt.datetime
    finding_due_at: dt.datetime
    overdue_at: dt.datetime | None
    stage: str
    reopens: str | None
    team: list[MemberOut] = Field(description="The mediators' team (seen by the mediators only)")
    plan: list[PlanItemOut] = Field(description="The plan items you may see")


class BoardRow(Schema):
    code: str
    stage: str
    finding_due_at: dt.datetime
    overdue_at: dt.datetime | None
    next_due_at: dt.datetime | None = Field(description="The soonest deadline among the steps still planned")
    late_steps: int
    refused_or_ignored: int


def item_out(i: PlanItem) -> dict:
    return {
        "id": str(i.pk), "case": i.case.code, "kind": i.kind, "description": i.description, "party": i.party,
        "message": i.message.code if i.message_id else None, "planned_by": i.planned_by.get_username(),
        "planned_at": i.planned_at, "due_at": i.due_at, "state": i.state, "done_at": i.done_at,
        "done_by": i.done_by.get_username() if i.done_by_id else None, "report": i.report,
    }  # fmt: skip


def case_out(user, c: Case) -> dict:
    from sulh.incidents.models import visible_incidents

    mediator = visibility.is_mediator(user)
    plan = visibility.visible_plan(user, c).select_related("case", "message", "planned_by", "done_by")
    return {
        "id": str(c.pk), "code": c.code,
        "complaint": c.complaint.code if c.complaint_id and services.visible_complaints(user).filter(pk=c.complaint_id).exists() else None,
        "incidents": list(visible_incidents(user).filter(pk__in=c.incident_ids).values_list("code", flat=True)),
        "reason": c.reason, "opened_by": c.opened_by.get_username(), "opened_at": c.opened_at,
        "finding_due_at": c.finding_due_at, "overdue_at": c.overdue_at, "stage": c.stage,
        "reopens": c.reopens.code if c.reopens_id else None,
        "team": [{"username": m.user.get_username(), "role": m.role, "assigned_at": m.assigned_at}
                 for m in cases.team(c)] if mediator else [],
        "plan": [item_out(i) for i in plan],
    }  # fmt: skip


@router.get("/cases", response=list[CaseOut], summary="Verification cases you may see")
def list_cases(request: HttpRequest, stage: str | None = None):
    qs = visibility.visible_cases(request.auth_user).select_related("complaint", "opened_by", "reopens")
    if stage:
        qs = qs.filter(stage=stage)
    return [case_out(request.auth_user, c) for c in qs[:200]]


@router.post("/cases", response={201: with_receipts(CaseOut)}, summary="Open a case (mediators)")
@idempotent
@answers_receipts(CaseOut)
def open_case(request: HttpRequest, payload: CaseIn):
    c = cases.open_case(request.auth_user, **payload.model_dump())
    return Status(201, case_out(request.auth_user, c))


@router.get("/cases/board", response=list[BoardRow], summary="The verifier's board: open cases and their deadlines")
def board(request: HttpRequest):
    return [{**row, "code": row["case"].code} for row in cases.board(request.auth_user)]


@router.get("/cases/{ref}", response=CaseOut, summary="A case (by code or id) with the plan items you may see")
def get_case(request: HttpRequest, ref: str):
    return case_out(request.auth_user, cases.get_case(request.auth_user, ref))


@router.post("/cases/{ref}/team", response=with_receipts(CaseOut), summary="Put a mediator on the case's team")
@answers_receipts(CaseOut)
def assign(request: HttpRequest, ref: str, payload: MemberIn):
    cases.assign(request.auth_user, ref, payload.username, payload.role)
    return case_out(request.auth_user, cases.get_case(request.auth_user, ref))


@router.post("/cases/{ref}/plan", response={201: with_receipts(PlanItemOut)}, summary="Plan a step of the case")
@idempotent
@answers_receipts(PlanItemOut)
def plan(request: HttpRequest, ref: str, payload: PlanIn):
    item = cases.plan(request.auth_user, ref, **payload.model_dump())
    return Status(201, item_out(item))


@router.post("/cases/{ref}/reopen", response={201: with_receipts(CaseOut)}, summary="Reopen a concluded case")
@idempotent
@answers_receipts(CaseOut)
def reopen(request: HttpRequest, ref: str, payload: ReopenIn):
    c = cases.reopen_case(request.auth_user, ref, payload.reason)
    return Status(201, case_out(request.auth_user, c))


@router.post("/plan-items/{item_id}/answer", response=with_receipts(PlanItemOut),
             summary="Answer or refuse a request for information (the party asked)")  # fmt: skip
@answers_receipts(PlanItemOut)
def answer(request: HttpRequest, item_id: str, payload: AnswerIn):
    return item_out(cases.answer_request(request.auth_user, item_id, **payload.model_dump()))


@router.post("/plan-items/{item_id}/complete", response=with_receipts(PlanItemOut),
             summary="Record a desk review, site visit or interview as done (mediators)")  # fmt: skip
@answers_receipts(PlanItemOut)
def complete(request: HttpRequest, item_id: str, payload: CompleteIn):
    return item_out(cases.complete(request.auth_user, item_id, payload.report))
