"""Evidence upload and download. Downloads carry the file's SHA-256 so the receiver can check it."""

import base64
from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from sulh.core.errors import org_code
from sulh.core.idempotency import idempotent
from sulh.incidents import services as incidents
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .storage import EvidenceStore

router = Router(tags=["evidence"])


class EvidenceMetaIn(Schema):
    description: str = Field("", max_length=5000)
    captured_at: datetime | None = None
    capture_latitude: float | None = Field(None, ge=-90, le=90)
    capture_longitude: float | None = Field(None, ge=-180, le=180)
    device: str = Field("", max_length=200)
    audience: str = Field("mediators", description="For evidence on an incident: mediators, parties or public")

    def to_meta(self) -> services.EvidenceMeta:
        return services.EvidenceMeta(**self.model_dump())


class EvidenceOut(Schema):
    id: UUID
    incident_id: UUID
    claim_id: UUID | None
    organisation: str
    audience: str
    sha256: str
    size: int
    media_type: str
    kind: str
    original_name: str
    description: str
    captured_at: datetime | None
    capture_latitude: float | None
    capture_longitude: float | None
    device: str
    uploaded_at: datetime
    download_url: str

    @staticmethod
    def resolve_organisation(obj) -> str:
        return org_code(obj)

    @staticmethod
    def resolve_download_url(obj) -> str:
        pk = obj["id"] if isinstance(obj, dict) else obj.id
        return f"/api/v1/evidence/{pk}/content"


@router.post(
    "/incidents/{ref}/evidence", response={201: with_receipts(EvidenceOut)}, summary="Attach evidence to an incident"
)
@idempotent
@answers_receipts(EvidenceOut)
def attach_to_incident(request: HttpRequest, ref: str, file: File[UploadedFile], meta: Form[EvidenceMetaIn]):
    ev = services.attach(request.auth_user, file, meta.to_meta(), incident_ref=ref)
    return Status(201, EvidenceOut.from_orm(ev))


@router.post(
    "/claims/{claim_id}/evidence", response={201: with_receipts(EvidenceOut)}, summary="Attach evidence to your claim"
)
@idempotent
@answers_receipts(EvidenceOut)
def attach_to_claim(request: HttpRequest, claim_id: UUID, file: File[UploadedFile], meta: Form[EvidenceMetaIn]):
    ev = services.attach(request.auth_user, file, meta.to_meta(), claim_id=claim_id)
    return Status(201, EvidenceOut.from_orm(ev))


@router.get("/incidents/{ref}/evidence", response=list[EvidenceOut], summary="Evidence on an incident you may see")
def list_for_incident(request: HttpRequest, ref: str):
    incident = incidents.get_incident(request.auth_user, ref)
    return services.visible_evidence(request.auth_user).filter(incident=incident).select_related("organisation")


@router.get("/evidence/{evidence_id}", response=EvidenceOut, summary="Evidence metadata")
def get_evidence(request: HttpRequest, evidence_id: UUID):
    return services.get_evidence(request.auth_user, evidence_id)


@router.get("/evidence/{evidence_id}/content", response={200: None}, summary="The file, with its SHA-256 in headers")
def download(request: HttpRequest, evidence_id: UUID):
    ev = services.get_evidence(request.auth_user, evidence_id)
    response = StreamingHttpResponse(EvidenceStore().iter_bytes(ev.sha256), content_type=ev.media_type)
    response["Content-Length"] = str(ev.size)
    response["Content-Disposition"] = f'attachment; filename="{services.download_name(ev)}"'
    response["X-Content-SHA256"] = ev.sha256
    # RFC 9530 Repr-Digest: the receiver's HTTP stack can check the bytes without knowing Sulh.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(ev.sha256)).decode()}:"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
