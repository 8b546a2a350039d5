"""REST endpoints of complaints and replies (/api/v1/complaints…). Thin: parse, call services, shape."""

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import Complaint, ReplyPosition

router = Router(tags=["verification"])


class ComplaintIn(Schema):
    incidents: list[str] = Field(description="Incident codes or ids (at least one)")
    clause: str = Field(description="Charter clause violated, e.g. DOHA-2025/2")
    account: str = Field(max_length=services.MAX_TEXT, description="What the complaining party says happened")
    evidence: list[str] = Field(default_factory=list, description="Ids of evidence you have filed")


class ReplyIn(Schema):
    position: Literal[tuple(ReplyPosition.values)]  # type: ignore[valid-type]
    account: str = Field(max_length=services.MAX_TEXT)
    evidence: list[str] = Field(default_factory=list, description="Ids of counter-evidence you have filed")


class ReplyOut(Schema):
    party: str
    position: str
    account: str
    evidence: list[str]
    draft: bool
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    late: bool


class ComplaintOut(Schema):
    id: str
    code: str
    complainant: str
    accused: str
    incidents: list[str]
    clause: str
    account: str
    evidence: list[str]
    lodged_by: str
    lodged_at: dt.datetime
    reply_due_at: dt.datetime
    state: str
    silent_at: dt.datetime | None
    notification: str | None = Field(description="Code of the hotline message that told the accused party")
    reply: ReplyOut | None = Field(description="The reply: a draft only for the accused party itself")


def complaint_out(user, c: Complaint) -> dict:
    from sulh.evidence.services import visible_evidence
    from sulh.incidents.models import visible_incidents

    reply = services.reply_for(user, c)
    seen_ev = {str(pk) for pk in visible_evidence(user).filter(pk__in=c.evidence_ids).values_list("pk", flat=True)}
    return {
        "id": str(c.pk), "code": c.code, "complainant": c.complainant, "accused": c.accused,
        "incidents": list(visible_incidents(user).filter(pk__in=c.incident_ids).values_list("code", flat=True)),
        "clause": c.clause, "account": c.account, "evidence": [e for e in c.evidence_ids if e in seen_ev],
        "lodged_by": c.lodged_by.get_username(), "lodged_at": c.lodged_at, "reply_due_at": c.reply_due_at,
        "state": c.state, "silent_at": c.silent_at, "notification": c.notification.code if c.notification_id else None,
        "reply": None if reply is None else {
            "party": reply.party, "position": reply.position, "account": reply.account, "evidence": reply.evidence_ids,
            "draft": reply.is_draft, "updated_at": reply.updated_at, "submitted_at": reply.submitted_at, "late": reply.late,
        },
    }  # fmt: skip


@router.get("/complaints", response=list[ComplaintOut], summary="Complaints you may see")
def list_complaints(request: HttpRequest, state: str | None = None):
    qs = services.visible_complaints(request.auth_user).select_related("lodged_by", "notification")
    if state:
        qs = qs.filter(state=state)
    return [complaint_out(request.auth_user, c) for c in qs[:200]]


@router.post("/complaints", response={201: with_receipts(ComplaintOut)}, summary="Lodge a complaint")
@idempotent
@answers_receipts(ComplaintOut)
def lodge(request: HttpRequest, payload: ComplaintIn):
    c = services.lodge(request.auth_user, **payload.model_dump())
    return Status(201, complaint_out(request.auth_user, c))


@router.get("/complaints/{ref}", response=ComplaintOut, summary="A complaint (by code or id) with its reply")
def get(request: HttpRequest, ref: str):
    return complaint_out(request.auth_user, services.get_complaint(request.auth_user, ref))


@router.put("/complaints/{ref}/reply", response=with_receipts(ComplaintOut), summary="Write the accused party's draft reply")
@answers_receipts(ComplaintOut)
def draft(request: HttpRequest, ref: str, payload: ReplyIn):
    services.save_draft(request.auth_user, ref, **payload.model_dump())
    return complaint_out(request.auth_user, services.get_complaint(request.auth_user, ref))


@router.post("/complaints/{ref}/reply/submit", response=with_receipts(ComplaintOut), summary="Submit the reply (frozen, server time)")
@answers_receipts(ComplaintOut)
def submit(request: HttpRequest, ref: str):
    services.submit(request.auth_user, ref)
    return complaint_out(request.auth_user, services.get_complaint(request.auth_user, ref))
