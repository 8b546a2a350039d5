"""The REST API, /api/v1, with its OpenAPI schema at /api/v1/openapi.json."""

from django.http import HttpRequest
from ninja import NinjaAPI

from sulh import __version__
from sulh.core.auth import api_auth
from sulh.core.errors import DomainError

api = NinjaAPI(
    title="Sulh API",
    version=__version__,
    description=(
        "The incident register, evidence and accounts of a ceasefire monitoring and verification mechanism. "
        "Every record you cannot see answers 404, whether or not it exists. Errors answer "
        '`{"detail": "…", "field": "…"}` (or a list of field errors for malformed input).'
    ),
    auth=api_auth,
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _mount() -> None:
    from sulh.accounts.api import router as accounts_router
    from sulh.commitments.api import router as commitments_router
    from sulh.crossings.api import router as crossings_router
    from sulh.documents.api import router as documents_router
    from sulh.evidence.api import router as evidence_router
    from sulh.exchanges.api import router as exchanges_router
    from sulh.geo.api import router as geo_router
    from sulh.hotline.api import router as hotline_router
    from sulh.incidents.api import router as incidents_router
    from sulh.intel.api import router as intel_router
    from sulh.ledger.api import router as ledger_router
    from sulh.meetings.api import router as meetings_router
    from sulh.protocols.api import router as protocols_router
    from sulh.verification.api import router as verification_router
    from sulh.verification.api_cases import router as verification_cases_router
    from sulh.verification.api_findings import router as findings_router
    from sulh.verification.api_record import router as verification_record_router

    api.add_router("/", accounts_router)
    api.add_router("/", incidents_router)
    api.add_router("/", evidence_router)
    api.add_router("/", geo_router)
    api.add_router("/", ledger_router)
    api.add_router("/", hotline_router)
    api.add_router("/", protocols_router)
    api.add_router("/", verification_router)
    api.add_router("/", verification_cases_router)
    api.add_router("/", findings_router)
    api.add_router("/", verification_record_router)
    api.add_router("/", commitments_router)
    api.add_router("/", crossings_router)
    api.add_router("/", exchanges_router)
    api.add_router("/", meetings_router)
    api.add_router("/", documents_router)
    api.add_router("/", intel_router)
    api.add_router("/", "sulh.media.api.router")


_mount()
