"""REST endpoints of findings, mediators' keys, signatures, dissents and penalty decisions. Thin: parse,
call sulh.verification.findings, shape. Published findings have no endpoint that changes them."""

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import findings as services
from .models import Finding, MediatorKey, Outcome
from .visibility import visible_findings

router = Router(tags=["verification"])


class KeyIn(Schema):
    public_key: str = Field(max_length=100, description="Your Ed25519 public key, base64 of its 32 raw bytes")


class KeyOut(Schema):
    id: str
    user: str
    public_key: str
    registered_at: dt.datetime
    revoked_at: dt.datetime | None


def key_out(k: MediatorKey) -> dict:
    return {"id": str(k.pk), "user": k.user.get_username(), "public_key": k.public_key,
            "registered_at": k.registered_at, "revoked_at": k.revoked_at}  # fmt: skip


class FindingIn(Schema):
    outcome: Literal[tuple(Outcome.values)]  # type: ignore[valid-type]
    responsible: str = Field("", max_length=16, description="Party found responsible (verified violations)")
    confidence: str = Field("", max_length=40, description="Charter confidence level code (verified violations)")
    clause: str = Field("", max_length=64, description="Charter clause, e.g. DOHA-2025/2 (verified violations)")
    date_start: dt.datetime | None = None
    date_end: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    place: str = Field("", max_length=200)
    deaths_low: int | None = Field(None, ge=0)
    deaths_best: int | None = Field(None, ge=0)
    deaths_high: int | None = Field(None, ge=0)
    injured_low: int | None = Field(None, ge=0)
    injured_best: int | None = Field(None, ge=0)
    injured_high: int | None = Field(None, ge=0)
    reasoning: str = Field(max_length=services.MAX_TEXT)


class SignatureIn(Schema):
    signature: str = Field(max_length=200, description="Ed25519 signature of GET /findings/{id}/statement, base64")


class DissentIn(Schema):
    text: str = Field(max_length=services.MAX_TEXT)


class DecisionIn(Schema):
    decision: Literal["imposed", "waived"]
    note: str = Field("", max_length=services.MAX_TEXT)


class SignatureOut(Schema):
    signer: str
    key: str = Field(description="The signer's public key, base64")
    signature: str
    signed_at: dt.datetime


class DissentOut(Schema):
    author: str
    text: str
    filed_at: dt.datetime


class PenaltyOut(Schema):
    id: str
    penalty: str
    party: str
    why: str
    decision: str
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str


class FindingOut(Schema):
    id: str
    case: str = Field(description="Code of the case")
    outcome: str
    responsible: str
    confidence: str
    clause: str
    date_start: dt.datetime | None
    date_end: dt.datetime | None
    latitude: float | None
    longitude: float | None
    place: str
    deaths_low: int | None
    deaths_best: int | None
    deaths_high: int | None
    injured_low: int | None
    injured_best: int | None
    injured_high: int | None
    reasoning: str
    drafted_by: str
    drafted_at: dt.datetime
    supersedes: str | None
    superseded_by: str | None
    statement_sha256: str
    state: str
    published_at: dt.datetime | None
    signatures: list[SignatureOut]
    dissents: list[DissentOut]
    penalties: list[PenaltyOut]


def penalty_out(p) -> dict:
    return {"id": str(p.pk), "penalty": p.penalty, "party": p.party, "why": p.why, "decision": p.decision,
            "decided_by": p.decided_by.get_username() if p.decided_by_id else None, "decided_at": p.decided_at,
            "note": p.note}  # fmt: skip


def finding_out(user, f: Finding) -> dict:
    nxt = Finding.objects.filter(supersedes=f).values_list("pk", flat=True).first()
    # A draft superseding this finding is the mediators' business until it is published.
    if nxt is not None and not visible_findings(user).filter(pk=nxt).exists():
        nxt = None
    out = {name: getattr(f, name) for name in services.CONTENT_FIELDS}
    out.update(
        id=str(f.pk), case=f.case.code, drafted_by=f.drafted_by.get_username(), drafted_at=f.drafted_at,
        supersedes=str(f.supersedes_id) if f.supersedes_id else None, superseded_by=str(nxt) if nxt else None,
        statement_sha256=f.statement_sha256, state=f.state, published_at=f.published_at,
        signatures=[{"signer": s.signer.get_username(), "key": s.key.public_key, "signature": s.signature,
                     "signed_at": s.signed_at} for s in f.signatures.select_related("signer", "key").order_by("signed_at")],
        dissents=[{"author": d.author.get_username(), "text": d.text, "filed_at": d.filed_at}
                  for d in f.dissents.select_related("author").order_by("filed_at")],
        penalties=[penalty_out(p) for p in f.penalties.select_related("decided_by").order_by("penalty")],
    )  # fmt: skip
    return out


def _finding(request, ref) -> dict:
    return finding_out(request.auth_user, services.get_finding(request.auth_user, ref))


@router.get("/mediator-keys", response=list[KeyOut], summary="The mediators' public signing keys")
def list_keys(request: HttpRequest):
    return [key_out(k) for k in services.mediator_keys()[:500]]


@router.post("/mediator-keys", response={201: with_receipts(KeyOut)}, summary="Register your own signing key")
@idempotent
@answers_receipts(KeyOut)
def register_key(request: HttpRequest, payload: KeyIn):
    return Status(201, key_out(services.register_key(request.auth_user, payload.public_key)))


@router.get("/findings", response=list[FindingOut], summary="Findings you may see")
def list_findings(request: HttpRequest, state: str | None = None, case: str | None = None):
    qs = visible_findings(request.auth_user).select_related("case", "drafted_by")
    if state:
        qs = qs.filter(state=state)
    if case:
        qs = qs.filter(case__code=case)
    return [finding_out(request.auth_user, f) for f in qs[:200]]


@router.post("/cases/{ref}/findings", response={201: with_receipts(FindingOut)}, summary="Draft a case's finding")
@idempotent
@answers_receipts(FindingOut)
def draft(request: HttpRequest, ref: str, payload: FindingIn):
    f = services.draft_finding(request.auth_user, ref, **payload.model_dump())
    return Status(201, finding_out(request.auth_user, f))


@router.get("/findings/{fid}", response=FindingOut, summary="A finding with its signatures, dissents and penalties")
def get(request: HttpRequest, fid: str):
    return _finding(request, fid)


@router.put("/findings/{fid}", response=with_receipts(FindingOut), summary="Change a draft finding")
@answers_receipts(FindingOut)
def update(request: HttpRequest, fid: str, payload: FindingIn):
    services.update_draft(request.auth_user, fid, **payload.model_dump())
    return _finding(request, fid)


@router.post("/findings/{fid}/submit", response=with_receipts(FindingOut), summary="Freeze the draft for signing")
@answers_receipts(FindingOut)
def submit(request: HttpRequest, fid: str):
    services.submit_for_signing(request.auth_user, fid)
    return _finding(request, fid)


@router.get("/findings/{fid}/statement", summary="The exact bytes the signers sign (RFC 8785 JSON)")
def get_statement(request: HttpRequest, fid: str):
    body = services.frozen_statement(services.get_finding(request.auth_user, fid))
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@router.post("/findings/{fid}/signatures", response={201: with_receipts(FindingOut)}, summary="Sign a finding")
@answers_receipts(FindingOut)
def sign(request: HttpRequest, fid: str, payload: SignatureIn):
    services.sign(request.auth_user, fid, payload.signature)
    return Status(201, _finding(request, fid))


@router.post("/findings/{fid}/dissents", response={201: with_receipts(FindingOut)}, summary="Attach a dissent")
@answers_receipts(FindingOut)
def dissent(request: HttpRequest, fid: str, payload: DissentIn):
    services.dissent(request.auth_user, fid, payload.text)
    return Status(201, _finding(request, fid))


@router.post("/penalties/{pid}/decision", response=with_receipts(PenaltyOut), summary="Impose or waive a proposed penalty")
@answers_receipts(PenaltyOut)
def decide(request: HttpRequest, pid: str, payload: DecisionIn):
    return penalty_out(services.decide_penalty(request.auth_user, pid, payload.decision, payload.note))
