"""REST endpoints of the incident register. Thin: parse, call services, shape the answer."""

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import export, services
from .schemas import ClaimIn, ClaimOut, IncidentDetailOut, IncidentIn, IncidentOut

router = Router(tags=["incidents"])


class IncidentFilterIn(Schema):
    since: datetime | None = Field(None, description="Incidents ending on or after this time")
    until: datetime | None = Field(None, description="Incidents starting on or before this time")
    sector: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    party: str | None = Field(None, description="Alleged violator or reporting party")
    alleged_violator: str | None = None
    reporting_party: str | None = None
    side: str | None = Field(None, description="Party whose territory holds the incident")
    district: str | None = None
    status: str | None = None
    published: bool | None = None
    q: str | None = Field(None, max_length=200, description="Text in the title, code or place name")

    def to_filter(self) -> services.IncidentFilter:
        return services.IncidentFilter(**self.model_dump())


class IncidentCreatedOut(Schema):
    incident: IncidentOut
    claim: ClaimOut


def _created(claim) -> IncidentCreatedOut:
    return IncidentCreatedOut(incident=IncidentOut.from_orm(claim.incident), claim=ClaimOut.from_orm(claim))


@router.get("/incidents", response=list[IncidentOut], summary="List incidents you may see")
@paginate(LimitOffsetPagination)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilterIn]):
    return services.search_incidents(request.auth_user, filters.to_filter())


@router.post(
    "/incidents", response={201: with_receipts(IncidentCreatedOut)}, summary="Register an incident with its first claim"
)
@idempotent
@answers_receipts(IncidentCreatedOut)
def create_incident(request: HttpRequest, payload: IncidentIn):
    return Status(201, _created(services.create_incident(request.auth_user, payload)))


@router.get("/incidents/export.csv", summary="Export as CSV in ACLED's columns", response={200: None})
def export_csv(request: HttpRequest, filters: Query[IncidentFilterIn]):
    qs = services.search_incidents(request.auth_user, filters.to_filter())
    return export.ExportResponse(export.acled_csv(request.auth_user, qs), "text/csv; charset=utf-8", "incidents-acled.csv")


@router.get("/incidents/export.geojson", summary="Export as a GeoJSON FeatureCollection", response={200: None})
def export_geojson(request: HttpRequest, filters: Query[IncidentFilterIn]):
    qs = services.search_incidents(request.auth_user, filters.to_filter())
    return export.ExportResponse(export.geojson(request.auth_user, qs), "application/geo+json", "incidents.geojson")


@router.get("/incidents/{ref}", response=IncidentDetailOut, summary="An incident (by UUID or code) with its claims")
def get_incident(request: HttpRequest, ref: str):
    incident = services.get_incident(request.auth_user, ref)
    out = IncidentOut.from_orm(incident).model_dump()
    out["claims"] = [ClaimOut.from_orm(c) for c in services.claims_of(request.auth_user, incident)]
    return out


@router.post(
    "/incidents/{ref}/claims", response={201: with_receipts(ClaimOut)}, summary="Add a source's claim to an incident"
)
@idempotent
@answers_receipts(ClaimOut)
def add_claim(request: HttpRequest, ref: str, payload: ClaimIn):
    incident = services.get_incident(request.auth_user, ref)
    return Status(201, ClaimOut.from_orm(services.add_claim(request.auth_user, incident, payload)))


@router.post(
    "/incidents/{ref}/publish", response=with_receipts(IncidentOut), summary="Publish an incident (mediator leads)"
)
@answers_receipts(IncidentOut)
def publish_incident(request: HttpRequest, ref: str):
    incident = services.get_incident(request.auth_user, ref)
    return services.publish_incident(request.auth_user, incident.pk)


@router.get("/claims/{claim_id}", response=ClaimOut, summary="One claim")
def get_claim(request: HttpRequest, claim_id: UUID):
    return services.get_claim(request.auth_user, claim_id)


@router.put(
    "/claims/{claim_id}", response=with_receipts(ClaimOut), summary="Change a draft claim (filed claims are frozen)"
)
@answers_receipts(ClaimOut)
def update_draft(request: HttpRequest, claim_id: UUID, payload: ClaimIn):
    return services.update_draft(request.auth_user, claim_id, payload)


@router.post(
    "/claims/{claim_id}/file", response=with_receipts(ClaimOut), summary="File a draft: it is frozen from then on"
)
@answers_receipts(ClaimOut)
def file_claim(request: HttpRequest, claim_id: UUID):
    return services.file_claim(request.auth_user, claim_id)


@router.post(
    "/claims/{claim_id}/amend", response={201: with_receipts(ClaimOut)}, summary="Correct a filed claim with a new one"
)
@idempotent
@answers_receipts(ClaimOut)
def amend_claim(request: HttpRequest, claim_id: UUID, payload: ClaimIn):
    return Status(201, ClaimOut.from_orm(services.amend_claim(request.auth_user, claim_id, payload)))


@router.post(
    "/claims/{claim_id}/withdraw", response=with_receipts(ClaimOut), summary="Withdraw a claim (kept, marked withdrawn)"
)
@answers_receipts(ClaimOut)
def withdraw_claim(request: HttpRequest, claim_id: UUID):
    return services.withdraw_claim(request.auth_user, claim_id)
