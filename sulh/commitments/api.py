"""REST endpoints of Commitments (/api/v1/…): agreements, obligations, their state changes, warnings and the
dashboard. Thin: parse, call services, shape the answer. Who may see or do what is decided in services.py
(the public and the operator's staff get 404 for everything here)."""

import datetime as dt
import zoneinfo
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import record, services
from .models import (
    Agreement,
    Obligation,
    ObligationChange,
    ObligationKind,
    ObligationState,
    VerifiedBy,
    Warning,
)

router = Router(tags=["commitments"])


def _local(user, t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    try:
        tz = zoneinfo.ZoneInfo(user.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return t.astimezone(tz).isoformat(timespec="seconds")


# --- schemas ---------------------------------------------------------------------------------------------------


class ClauseIn(Schema):
    number: str = Field(max_length=20, description="Clause number as in the text, e.g. 3 or 2.b")
    text: str = Field(max_length=services.MAX_TEXT)


class AgreementIn(Schema):
    code: str = Field(max_length=40, description="e.g. ISTANBUL-2025-11-07")
    title: str = Field(max_length=300)
    date: dt.date
    place: str = Field("", max_length=200)
    clauses: list[ClauseIn] = Field(min_length=1)


class ClauseOut(Schema):
    number: str
    text: str
    paraphrase: bool
    obligations: list[str] = Field(description="Codes of the obligations this clause yields")


class AgreementOut(Schema):
    id: str
    code: str
    title: str
    date: dt.date
    place: str
    from_charter: bool
    entered_by: str | None
    entered_at: dt.datetime
    clauses: list[ClauseOut]


class ObligationIn(Schema):
    agreement: str = Field(description="Agreement code or id")
    clause: str | None = Field(None, description="Clause number within the agreement")
    kind: Literal[tuple(ObligationKind.values)]  # type: ignore[valid-type]
    title: str = Field(max_length=300)
    description: str = Field("", max_length=services.MAX_TEXT)
    obliged: list[str] = Field(description="Party codes that owe it: one, or both for a mutual obligation")
    due_at: dt.datetime | None = None
    due_after: str | None = Field(None, description="Code of the obligation whose meeting starts the clock")
    due_offset: str | None = Field(None, description="ISO 8601 duration after due_after is met, e.g. P7D")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    verified_by: Literal[tuple(VerifiedBy.values)] = VerifiedBy.EVIDENCE.value  # type: ignore[valid-type]
    subject: str = Field("", max_length=64, description="Crossing code, or meeting/exchange/document id")
    subject_mode: str = Field("", max_length=16, description="For a crossing: trade, travel or both")


class ObligationOut(Schema):
    id: str
    code: str
    agreement: str
    clause: str | None
    kind: str
    title: str
    description: str
    obliged: list[str]
    due_at: dt.datetime | None
    due_at_local: str | None
    due_after: str | None
    due_offset_s: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    verified_by: str
    subject: str
    subject_mode: str
    state: str
    state_changed_at: dt.datetime | None
    overdue_at: dt.datetime | None
    lapsed_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime


class ChangeOut(Schema):
    from_state: str
    to_state: str
    reason: str
    evidence_ids: list[str] = Field(description="The evidence cited that you may see")
    evidence_hidden: int = Field(description="How many cited evidence items you may not see")
    by: str | None = Field(description="Username; null when Sulh made the change from one of its records")
    by_org: str
    as_actor: str
    source_record: str
    at: dt.datetime = Field(description="Server time, UTC")
    at_local: str | None = Field(description="Server time in your own zone")


class WarningOut(Schema):
    obligation: str
    title: str
    kind: str
    step: int
    lead_s: int
    at: dt.datetime
    at_local: str | None


class ObligationDetailOut(ObligationOut):
    changes: list[ChangeOut]
    warnings: list[WarningOut]
    allowed_states: list[str] = Field(description="States the charter lets you move it to now")


class StateIn(Schema):
    to_state: Literal[tuple(s for s in ObligationState.values if s != "pending")]  # type: ignore[valid-type]
    reason: str = Field(max_length=services.MAX_TEXT)
    evidence_ids: list[str] = Field(default_factory=list, description="Ids of evidence you may see")


class ObligationFilter(Schema):
    state: str | None = None
    party: str | None = None
    kind: str | None = None
    agreement: str | None = None
    due: Literal["this_week", "overdue"] | None = None


class PartyCountsOut(Schema):
    """A party's record without the codes of its obligations (those are in GET /obligations?party=…)."""

    party: str
    owed: int
    met: int
    met_on_time: int
    met_late: int
    partly_met: int
    breached: int
    disputed: int
    open: int
    overdue: int
    judged: int
    on_time_rate: float | None = Field(
        description="Met in full by the due time / (met, partly met, breached, overdue)"
    )


class RecordOut(PartyCountsOut):
    obligations: dict[str, list[str]]


class DashboardOut(Schema):
    now: dt.datetime
    due_this_week: list[ObligationOut] = Field(description="The first 50, soonest due first")
    due_this_week_total: int
    overdue: list[ObligationOut] = Field(description="The first 50, longest overdue first")
    overdue_total: int
    warnings: list[WarningOut]
    records: list[PartyCountsOut]


# --- shaping ---------------------------------------------------------------------------------------------------


def agreement_out(user, a: Agreement) -> dict:
    obligations: dict = {}
    for clause_id, code in (
        services.visible_obligations(user).filter(agreement=a).values_list("clause_id", "code")
    ):
        obligations.setdefault(clause_id, []).append(code)
    return {
        "id": str(a.pk), "code": a.code, "title": a.title, "date": a.date, "place": a.place,
        "from_charter": a.from_charter, "entered_by": a.entered_by.get_username() if a.entered_by_id else None,
        "entered_at": a.entered_at,
        "clauses": [{"number": c.number, "text": c.text, "paraphrase": c.paraphrase,
                     "obligations": sorted(obligations.get(c.pk, []))} for c in a.clauses.order_by("number")],
    }  # fmt: skip


def obligation_out(user, o: Obligation) -> dict:
    return {
        "id": str(o.pk), "code": o.code, "agreement": o.agreement.code, "clause": o.clause.number if o.clause_id else None,
        "kind": o.kind, "title": o.title, "description": o.description, "obliged": o.obliged, "due_at": o.due_at,
        "due_at_local": _local(user, o.due_at), "due_after": o.due_after.code if o.due_after_id else None,
        "due_offset_s": o.due_offset_s, "starts_at": o.starts_at, "ends_at": o.ends_at, "verified_by": o.verified_by,
        "subject": o.subject, "subject_mode": o.subject_mode, "state": o.state, "state_changed_at": o.state_changed_at,
        "overdue_at": o.overdue_at, "lapsed_at": o.lapsed_at,
        "created_by": o.created_by.get_username() if o.created_by_id else None, "created_at": o.created_at,
    }  # fmt: skip


def warning_out(user, w: Warning) -> dict:
    return {"obligation": w.obligation.code, "title": w.obligation.title, "kind": w.kind, "step": w.step,
            "lead_s": w.lead_s, "at": w.at, "at_local": _local(user, w.at)}  # fmt: skip


def change_out(user, c: ObligationChange, seen: set[str]) -> dict:
    shown = [e for e in c.evidence_ids if e in seen]
    return {
        "from_state": c.from_state, "to_state": c.to_state, "reason": c.reason, "evidence_ids": shown,
        "evidence_hidden": len(c.evidence_ids) - len(shown), "by": c.by.get_username() if c.by_id else None,
        "by_org": c.by_org, "as_actor": c.as_actor, "source_record": c.source_record, "at": c.at,
        "at_local": _local(user, c.at),
    }  # fmt: skip


def seen_evidence(user, changes) -> set[str]:
    from sulh.evidence.services import visible_evidence

    ids = {e for c in changes for e in c.evidence_ids}
    if not ids:
        return set()
    return {str(pk) for pk in visible_evidence(user).filter(pk__in=ids).values_list("pk", flat=True)}


def detail_out(user, o: Obligation) -> dict:
    changes = list(services.changes_of(o))
    seen = seen_evidence(user, changes)
    return {
        **obligation_out(user, o),
        "changes": [change_out(user, c, seen) for c in changes],
        "warnings": [
            warning_out(user, w) for w in o.warnings.select_related("obligation").order_by("at", "step")
        ],
        "allowed_states": services.allowed_states(user, o),
    }


# --- endpoints -------------------------------------------------------------------------------------------------


@router.get("/agreements", response=list[AgreementOut], summary="Agreements and their clauses")
def list_agreements(request: HttpRequest):
    user = request.auth_user
    return [agreement_out(user, a) for a in services.visible_agreements(user).select_related("entered_by")]


@router.post(
    "/agreements", response={201: with_receipts(AgreementOut)}, summary="Enter an agreement (mediators)"
)
@idempotent
@answers_receipts(AgreementOut)
def enter_agreement(request: HttpRequest, payload: AgreementIn):
    data = payload.model_dump()
    a = services.enter_agreement(request.auth_user, **data)
    return Status(201, agreement_out(request.auth_user, a))


@router.get("/agreements/{code}", response=AgreementOut, summary="An agreement (by code or id)")
def get_agreement(request: HttpRequest, code: str):
    return agreement_out(request.auth_user, services.get_agreement(request.auth_user, code))


@router.get("/obligations", response=list[ObligationOut], summary="Obligations, filtered")
def list_obligations(request: HttpRequest, filters: Query[ObligationFilter]):
    user = request.auth_user
    return [obligation_out(user, o) for o in services.filter_obligations(user, **filters.model_dump())[:500]]


@router.post(
    "/obligations",
    response={201: with_receipts(ObligationDetailOut)},
    summary="Add an obligation (mediators)",
)
@idempotent
@answers_receipts(ObligationDetailOut)
def create_obligation(request: HttpRequest, payload: ObligationIn):
    data = payload.model_dump()
    agreement = data.pop("agreement")
    o = services.create_obligation(request.auth_user, agreement, **data)
    return Status(201, detail_out(request.auth_user, services.get_obligation(request.auth_user, o.code)))


@router.get(
    "/obligations/{code}", response=ObligationDetailOut, summary="An obligation with its changes and warnings"
)
def get_obligation(request: HttpRequest, code: str):
    return detail_out(request.auth_user, services.get_obligation(request.auth_user, code))


@router.post("/obligations/{code}/state", response={201: with_receipts(ObligationDetailOut)},
             summary="Change an obligation's state (as the charter allows)")  # fmt: skip
@idempotent
@answers_receipts(ObligationDetailOut)
def change_state(request: HttpRequest, code: str, payload: StateIn):
    user = request.auth_user
    services.change_state(
        user, code, payload.to_state, reason=payload.reason, evidence_ids=payload.evidence_ids
    )
    return Status(201, detail_out(user, services.get_obligation(user, code)))


@router.get(
    "/commitments/warnings",
    response=list[WarningOut],
    summary="Active warnings (lapsing ceasefires, overdue)",
)
def warnings(request: HttpRequest):
    user = request.auth_user
    return [warning_out(user, w) for w in services.active_warnings(user)[:200]]


@router.get(
    "/commitments/dashboard", response=DashboardOut, summary="Due this week, overdue, each party's record"
)
def dashboard(request: HttpRequest):
    user = request.auth_user
    if not services.can_read(user):
        from sulh.core.errors import NotFound

        raise NotFound("no commitments dashboard")
    d = record.dashboard(user)
    return {
        "now": d["now"],
        "due_this_week": [obligation_out(user, o) for o in d["due_this_week"]],
        "due_this_week_total": d["due_this_week_total"],
        "overdue": [obligation_out(user, o) for o in d["overdue"]],
        "overdue_total": d["overdue_total"],
        "warnings": [warning_out(user, w) for w in d["warnings"]],
        "records": [{k: v for k, v in r.as_dict().items() if k != "obligations"} for r in d["records"]],
    }
