"""REST endpoints of co-signed documents (/api/v1/documents…). Thin: parse, call sulh.documents.services,
shape. The text to sign and the co-signed document are served as text/plain, byte for byte."""

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.errors import Conflict
from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from . import text as doctext
from .models import Document, DocumentKind, DocumentVersion

router = Router(tags=["documents"])


class DocumentIn(Schema):
    kind: Literal[tuple(DocumentKind.values)]  # type: ignore[valid-type]
    title: str = Field(max_length=doctext.MAX_TITLE)
    body: str = Field(max_length=doctext.MAX_BODY)
    agreement: str | None = Field(None, max_length=40, description="Code of the agreement it belongs to")
    meeting_id: uuid.UUID | None = Field(None, description="The meeting these are the minutes of")


class DraftIn(Schema):
    title: str = Field(max_length=doctext.MAX_TITLE)
    body: str = Field(max_length=doctext.MAX_BODY)


class AmendIn(Schema):
    title: str | None = Field(None, max_length=doctext.MAX_TITLE, description="Default: the newest version's")
    body: str | None = Field(None, max_length=doctext.MAX_BODY, description="Default: the newest version's")


class SignatureIn(Schema):
    signature: str = Field(
        max_length=600, description="A signature line '— name base64' from `sulh doc sign`"
    )


class SignatureOut(Schema):
    org: str
    office: str
    key_name: str
    verifier_key: str
    line: str
    signed_by: str
    at: dt.datetime


class OrgStatusOut(Schema):
    org: str
    office: str
    has_key: bool = Field(description="Whether the charter names a signing key for this organisation")
    signed: bool


class VersionOut(Schema):
    id: str
    document: str = Field(description="The document's code")
    number: int
    previous: int | None = Field(description="The number of the version this one amends")
    previous_sha256: str | None
    title: str
    body: str
    sha256: str = Field(description="SHA-256 of the text to sign (empty for a draft)")
    state: str
    drafted_by: str
    drafted_org: str
    drafted_at: dt.datetime
    frozen_at: dt.datetime | None
    agreed_at: dt.datetime | None
    signatures: list[SignatureOut]
    required: list[OrgStatusOut]


class DocumentOut(Schema):
    id: str
    code: str
    kind: str
    title: str = Field(description="The newest visible version's title")
    agreement: str | None
    meeting_id: str | None
    created_org: str
    created_at: dt.datetime
    state: str = Field(description="The newest visible version's state")
    versions: list[VersionOut]


def version_out(v: DocumentVersion) -> dict:
    sigs = list(v.signatures.select_related("signed_by").order_by("at"))
    return {
        "id": str(v.pk), "document": v.document.code, "number": v.number,
        "previous": v.previous.number if v.previous_id else None,
        "previous_sha256": v.previous.sha256 if v.previous_id else None, "title": v.title, "body": v.body,
        "sha256": v.sha256, "state": v.state, "drafted_by": v.drafted_by.get_username(), "drafted_org": v.drafted_org,
        "drafted_at": v.drafted_at, "frozen_at": v.frozen_at, "agreed_at": v.agreed_at,
        "signatures": [{"org": s.org, "office": s.office, "key_name": s.key_name, "verifier_key": s.verifier_key,
                        "line": s.line, "signed_by": s.signed_by.get_username(), "at": s.at} for s in sigs],
        "required": [{"org": r["org"], "office": r["office"], "has_key": r["has_key"],
                      "signed": r["signature"] is not None} for r in services.status_by_org(v)],
    }  # fmt: skip


def document_out(user, doc: Document) -> dict:
    versions = services.visible_history(user, doc)
    newest = versions[-1]
    return {
        "id": str(doc.pk), "code": doc.code, "kind": doc.kind, "title": newest.title,
        "agreement": doc.agreement.code if doc.agreement_id else None,
        "meeting_id": str(doc.meeting_id) if doc.meeting_id else None, "created_org": doc.created_org,
        "created_at": doc.created_at, "state": newest.state, "versions": [version_out(v) for v in versions],
    }  # fmt: skip


def _doc(request, ref) -> dict:
    return document_out(request.auth_user, services.get_document(request.auth_user, ref))


@router.get("/documents", response=list[DocumentOut], summary="Documents you may see")
def list_documents(request: HttpRequest, kind: str | None = None):
    qs = services.visible_documents(request.auth_user).select_related("agreement")
    if kind:
        qs = qs.filter(kind=kind)
    return [document_out(request.auth_user, d) for d in qs[:200]]


@router.post(
    "/documents", response={201: with_receipts(DocumentOut)}, summary="Open a document (a first draft)"
)
@idempotent
@answers_receipts(DocumentOut)
def create(request: HttpRequest, payload: DocumentIn):
    v = services.create_document(request.auth_user, **payload.model_dump())
    return Status(201, _doc(request, v.document_id))


@router.get("/documents/{ref}", response=DocumentOut, summary="A document with its versions and signatures")
def get(request: HttpRequest, ref: str):
    return _doc(request, ref)


@router.put(
    "/documents/{ref}/versions/{number}", response=with_receipts(DocumentOut), summary="Change a draft"
)
@answers_receipts(DocumentOut)
def update(request: HttpRequest, ref: str, number: int, payload: DraftIn):
    services.update_draft(request.auth_user, ref, number=number, **payload.model_dump())
    return _doc(request, ref)


@router.post("/documents/{ref}/versions/{number}/freeze", response=with_receipts(DocumentOut),
             summary="Freeze a draft: fix its text and hash for signing")  # fmt: skip
@answers_receipts(DocumentOut)
def freeze(request: HttpRequest, ref: str, number: int):
    services.freeze(request.auth_user, ref, number)
    return _doc(request, ref)


@router.get("/documents/{ref}/versions/{number}/text", summary="The exact text to sign (text/plain)")
def get_text(request: HttpRequest, ref: str, number: int):
    v = services.get_version(request.auth_user, ref, number)
    if not v.text:
        raise Conflict(f"{v} is a draft: freeze it first")
    resp = HttpResponse(v.text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{v.document.code}-v{v.number}.txt"'
    resp["X-Sulh-SHA256"] = v.sha256
    return resp


@router.post("/documents/{ref}/versions/{number}/signatures", response={201: with_receipts(VersionOut)},
             summary="Upload a signature line made offline with `sulh doc sign`")  # fmt: skip
@answers_receipts(VersionOut)
def sign(request: HttpRequest, ref: str, number: int, payload: SignatureIn):
    s = services.sign(request.auth_user, ref, payload.signature, number)
    v = DocumentVersion.objects.select_related("document", "previous", "drafted_by").get(pk=s.version_id)
    return Status(201, version_out(v))


@router.get("/documents/{ref}/versions/{number}/signed",
            summary="The co-signed document (text, blank line, signature lines), for `sulh doc verify`")  # fmt: skip
def get_signed(request: HttpRequest, ref: str, number: int):
    v = services.get_version(request.auth_user, ref, number)
    resp = HttpResponse(services.signed_note(v).encode("utf-8"), content_type="text/plain; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{v.document.code}-v{v.number}.signed.txt"'
    return resp


@router.post("/documents/{ref}/amendments", response={201: with_receipts(DocumentOut)},
             summary="Amend: a new draft version that references the newest one")  # fmt: skip
@answers_receipts(DocumentOut)
def amend(request: HttpRequest, ref: str, payload: AmendIn):
    services.amend(request.auth_user, ref, **payload.model_dump())
    return Status(201, _doc(request, ref))
