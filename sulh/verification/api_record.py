"""REST endpoints of corroboration (mediators only) and the parties' compliance records. Thin: call services."""

from django.http import HttpRequest
from ninja import Router

from sulh.core.errors import NotFound

from . import record
from . import visibility as v

router = Router(tags=["verification"])


@router.get("/cases/{ref}/corroboration", response=dict, summary="Corroboration of a case: advice to the verifiers (mediators only)")
def case_corroboration(request: HttpRequest, ref: str):
    return record.corroboration(request.auth_user, record.get_case(request.auth_user, ref))


@router.get("/incidents/{ref}/corroboration", response=dict, summary="Corroboration of one incident (mediators only)")
def incident_corroboration(request: HttpRequest, ref: str):
    from sulh.incidents.services import get_incident

    if not v.is_mediator(request.auth_user):
        raise NotFound("no such incident")
    return record.corroboration(request.auth_user, get_incident(request.auth_user, ref))


@router.get("/compliance/{party}", response=dict, summary="A party's compliance record (parties and mediators)")
def compliance_record(request: HttpRequest, party: str):
    return record.compliance_record(request.auth_user, party)
