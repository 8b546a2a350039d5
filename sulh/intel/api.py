"""REST endpoints of Intelligence exchange (/api/v1/intel/…). Thin: parse, call services, shape.

The server never sees a report's content: envelopes come sealed and signed from the desks (`sulh intel`)."""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.errors import NotFound
from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services

router = Router(tags=["intel"])


class KeyOut(Schema):
    org: str
    encryption: str = Field(description="X25519 public key, base64 (32 bytes)")
    signing: str = Field(description="Signed-note Ed25519 verifier key")


class KeysOut(Schema):
    charter: str
    suite: str
    envelope_version: int
    parties: list[str]
    mediators: list[str]
    classifications: list[str]
    keys: list[KeyOut]


class EnvelopeIn(Schema):
    envelope: dict = Field(description="The sealed, signed envelope made by `sulh intel` (docs/intel.md)")


class TimelineItem(Schema):
    at: dt.datetime
    event: str = Field(description="sent, acknowledged, answered, ack_missed, answer_missed")
    org: str
    late: bool
    detail: str


class AnswerOut(Schema):
    category: str
    at: dt.datetime
    late: bool
    by: str
    envelope_sha256: str
    size: int
    envelope: dict | None = None


class ReportOut(Schema):
    id: str
    code: str
    sender: str
    receiver: str
    classification: str
    sent_by: str
    sent_at: dt.datetime
    ack_due_at: dt.datetime
    answer_due_at: dt.datetime
    state: str
    ack_missed: bool
    answer_missed: bool
    envelope_sha256: str
    size: int
    acknowledged_at: dt.datetime | None
    ack_late: bool | None
    answer: AnswerOut | None
    timeline: list[TimelineItem]
    envelope: dict | None = Field(
        None, description="The sealed envelope (ciphertext): open it with `sulh intel open`"
    )


class Counts(Schema):
    on_time: int
    late: int
    missed: int
    awaiting: int


class PartyRecordOut(Schema):
    party: str
    received: int
    sent: int
    acknowledged: Counts
    answered: Counts
    by_category: dict[str, int]


def _guard(request) -> None:
    if not services.can_use(request.auth_user):
        raise NotFound("no intelligence exchange here")


@router.get(
    "/intel/keys", response=KeysOut, summary="The charter's intel keys (each organisation's public halves)"
)
def keys(request: HttpRequest):
    _guard(request)
    return services.keys_out()


@router.post(
    "/intel/reports", response={201: with_receipts(ReportOut)}, summary="Send a sealed threat report"
)
@idempotent
@answers_receipts(ReportOut)
def send(request: HttpRequest, payload: EnvelopeIn):
    _guard(request)
    r = services.send(request.auth_user, payload.envelope)
    return Status(201, services.report_out(r))


@router.get(
    "/intel/reports", response=list[ReportOut], summary="Exchanges you may see (metadata, no envelopes)"
)
def list_reports(request: HttpRequest, state: str | None = None, direction: str | None = None):
    _guard(request)
    qs = services.visible_reports(request.auth_user).select_related("sent_by")
    if state:
        qs = qs.filter(state=state)
    party = services.party_of(request.auth_user)
    if direction == "in" and party:
        qs = qs.filter(receiver=party)
    elif direction == "out" and party:
        qs = qs.filter(sender=party)
    return [services.report_out(r, with_envelope=False) for r in qs[:500]]


@router.get(
    "/intel/reports/{ref}", response=ReportOut, summary="One exchange: metadata, envelopes and timeline"
)
def get_report(request: HttpRequest, ref: str):
    _guard(request)
    return services.report_out(services.get_report(request.auth_user, ref))


@router.post(
    "/intel/reports/{ref}/ack",
    response={200: with_receipts(ReportOut)},
    summary="Acknowledge a report received",
)
@idempotent
@answers_receipts(ReportOut)
def acknowledge(request: HttpRequest, ref: str):
    _guard(request)
    ack = services.acknowledge(request.auth_user, ref)
    return Status(200, services.report_out(ack.report, with_envelope=False))


@router.post("/intel/reports/{ref}/answer", response={200: with_receipts(ReportOut)},
             summary="Answer a report: category in clear, detail sealed for the sender and the mediators")  # fmt: skip
@idempotent
@answers_receipts(ReportOut)
def answer(request: HttpRequest, ref: str, payload: EnvelopeIn):
    _guard(request)
    a = services.answer(request.auth_user, ref, payload.envelope)
    return Status(200, services.report_out(a.report, with_envelope=False))


@router.get(
    "/intel/compliance", response=list[PartyRecordOut], summary="Each party's record of answering reports"
)
def compliance(request: HttpRequest):
    return services.compliance(request.auth_user)
