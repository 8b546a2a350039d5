"""`commitment_warnings` on every console page: ceasefires about to lapse or lapsed, obligations overdue.

Cheap by design: nothing (no query) for an anonymous user or one without an organisation; otherwise one
lazy query, run only if the page shows it, which also checks that the reader may see commitments."""

from . import services

SHOWN = 5


def commitment_warnings(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "organisation_id", None) is None:
        return {"commitment_warnings": []}
    return {"commitment_warnings": services.active_warnings(user)[:SHOWN]}
