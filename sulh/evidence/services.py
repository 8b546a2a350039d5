"""Evidence intake and reading: hash on arrival, store by content, keep the metadata apart, never modify."""

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import filetype
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from sulh.accounts.models import OrganisationKind
from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.incidents import services as incidents
from sulh.incidents.models import Audience, ClaimStatus, claim_visibility_q
from sulh.ledger import services as ledger

from .models import Evidence, EvidenceKind
from .storage import EvidenceStore

# Media types accepted, by what the bytes are (checked with `filetype`), and the kind each one is.
ACCEPTED: dict[str, str] = {
    "image/jpeg": EvidenceKind.PHOTO,
    "image/png": EvidenceKind.PHOTO,
    "image/webp": EvidenceKind.PHOTO,
    "image/heic": EvidenceKind.PHOTO,
    "image/tiff": EvidenceKind.PHOTO,
    "video/mp4": EvidenceKind.VIDEO,
    "video/quicktime": EvidenceKind.VIDEO,
    "video/webm": EvidenceKind.VIDEO,
    "video/x-matroska": EvidenceKind.VIDEO,
    "video/3gpp": EvidenceKind.VIDEO,
    "audio/mpeg": EvidenceKind.AUDIO,
    "audio/ogg": EvidenceKind.AUDIO,
    "audio/x-wav": EvidenceKind.AUDIO,
    "audio/mp4": EvidenceKind.AUDIO,
    "audio/amr": EvidenceKind.AUDIO,
    "audio/x-flac": EvidenceKind.AUDIO,
    "application/pdf": EvidenceKind.DOCUMENT,
    "text/plain": EvidenceKind.DOCUMENT,
}
SNIFF_BYTES = 8192


@dataclass
class EvidenceMeta:
    description: str = ""
    captured_at: datetime | None = None
    capture_latitude: float | None = None
    capture_longitude: float | None = None
    device: str = ""
    audience: str = Audience.MEDIATORS


def sniff_media_type(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the sniff boundary is still text
            if exc.start < len(head) - 4:
                return None
        return "text/plain"
    return None


def _validate_meta(meta: EvidenceMeta) -> None:
    if meta.audience not in Audience.values:
        raise ValidationFailed(f"audience must be one of {', '.join(Audience.values)}", field="audience")
    if (meta.capture_latitude is None) != (meta.capture_longitude is None):
        raise ValidationFailed("give both capture_latitude and capture_longitude, or neither", field="capture_latitude")
    if meta.capture_latitude is not None and not (-90 <= meta.capture_latitude <= 90):
        raise ValidationFailed("capture_latitude must be between -90 and 90", field="capture_latitude")
    if meta.capture_longitude is not None and not (-180 <= meta.capture_longitude <= 180):
        raise ValidationFailed("capture_longitude must be between -180 and 180", field="capture_longitude")
    if len(meta.device) > 200:
        raise ValidationFailed("device is longer than 200 characters", field="device")


def attach(user, upload, meta: EvidenceMeta, *, incident_ref=None, claim_id=None) -> Evidence:
    """Store an uploaded file (a Django UploadedFile) against an incident or one of the user's claims."""
    if (incident_ref is None) == (claim_id is None):
        raise ValidationFailed("attach evidence to exactly one incident or one claim", field="target")
    claim = None
    if claim_id is not None:
        claim = incidents.get_claim(user, claim_id)  # NotFound first: refusals never confirm a record exists
        if claim.organisation_id != user.organisation_id or claim.source_kind not in incidents.allowed_source_kinds(user):
            raise PermissionDenied("evidence can be attached only to claims your organisation filed in your role")
        if claim.status == ClaimStatus.WITHDRAWN:
            raise ValidationFailed("this claim is withdrawn", field="claim")
        incident = claim.incident
        audience = claim.audience
    else:
        incident = incidents.get_incident(user, incident_ref)
        audience = meta.audience
    if not incidents.can_file(user):
        raise PermissionDenied("your role may not attach evidence")
    _validate_meta(meta)
    captured_at = meta.captured_at
    if captured_at is not None:  # stored in UTC; a time without an offset is in the uploader's zone
        if captured_at.tzinfo is None:
            captured_at = captured_at.replace(tzinfo=ZoneInfo(user.effective_timezone))
        captured_at = captured_at.astimezone(UTC)
    limit = settings.SULH_EVIDENCE_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationFailed("the file is empty", field="file")
    if upload.size > limit:
        raise ValidationFailed(f"the file is {upload.size} bytes; the limit is {limit} bytes", field="file")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    media_type = sniff_media_type(head)
    if media_type not in ACCEPTED:
        accepted = ", ".join(sorted(ACCEPTED))
        raise ValidationFailed(
            f"files of type {media_type or 'unknown'} are not accepted as evidence; accepted: {accepted}", field="file"
        )

    def chunks():
        seen = 0
        for chunk in upload.chunks():
            seen += len(chunk)
            if seen > limit:
                raise ValidationFailed(f"the file exceeds the limit of {limit} bytes", field="file")
            yield chunk

    # The bytes are stored before the row: a crash in between leaves an unreferenced file (harmless,
    # content-addressed) but never a row pointing at missing bytes.
    sha256, size = EvidenceStore().put(chunks())
    with transaction.atomic():
        ev = Evidence.objects.create(
            incident=incident,
            claim=claim,
            organisation=user.organisation,
            uploaded_by=user,
            audience=audience,
            sha256=sha256,
            size=size,
            media_type=media_type,
            kind=ACCEPTED[media_type],
            original_name=(upload.name or "")[:255],
            description=meta.description,
            captured_at=captured_at,
            capture_latitude=meta.capture_latitude,
            capture_longitude=meta.capture_longitude,
            device=meta.device,
        )
        ledger.record(ev, "evidence.attached", actor=user)
        return ev


def evidence_visibility_q(user) -> Q:
    """Evidence on a claim follows the claim; evidence on an incident follows its own audience."""
    on_claim = Q(claim__isnull=False) & claim_visibility_q(user, prefix="claim__")
    public = Q(audience=Audience.PUBLIC, incident__published=True)
    org = getattr(user, "organisation", None) if user.is_authenticated else None
    on_incident = public
    if org is not None:
        on_incident |= Q(organisation=org)
        if org.kind == OrganisationKind.MEDIATOR:
            on_incident = Q(pk__isnull=False)
        elif org.kind in (OrganisationKind.PARTY, OrganisationKind.MONITORING):
            on_incident |= Q(audience__in=[Audience.PARTIES, Audience.PUBLIC])
    return on_claim | (Q(claim__isnull=True) & on_incident)


def visible_evidence(user):
    visible_incident_ids = incidents.search_incidents(user).values("pk")
    return Evidence.objects.filter(evidence_visibility_q(user), incident_id__in=visible_incident_ids)


def get_evidence(user, evidence_id) -> Evidence:
    try:
        pk = evidence_id if isinstance(evidence_id, UUID) else UUID(str(evidence_id))
        return visible_evidence(user).select_related("incident", "claim").get(pk=pk)
    except (ValueError, Evidence.DoesNotExist):
        raise NotFound("no such evidence") from None


def download_name(ev: Evidence) -> str:
    """A safe name for the download: the hash and an extension from the media type, never the upload's name."""
    ext = mimetypes.guess_extension(ev.media_type) or ".bin"
    return f"{ev.sha256}{ext}"
