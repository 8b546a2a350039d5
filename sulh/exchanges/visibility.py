"""Who sees what of a detainee exchange. Kept in one place: services, API, console and the log's record
openings ask these functions (docs/exchanges.md, "Who sees what").

- An exchange: both parties, the mediators, and the charter's observer organisations; anyone else 404.
- A draft list: only the releasing party (not even the mediators: like a draft claim, it is not said yet).
- A submitted list: in full (names and identity numbers decrypted) for the releasing party and the mediators;
  for the other party and the observers, the counts, each person's reference and the charter's
  `shared_identifiers`, never a name or an identity number.
- Releases and confirmations: whoever sees the exchange, each person shown as their list is."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter

from .models import Exchange, ReleaseList

FULL = "full"
SHARED = "shared"
SPEAKS_FOR_PARTY = (Role.LIAISON_OFFICER, Role.COMMANDER)
MEDIATOR_ROLES = (Role.MEDIATOR_LEAD, Role.VERIFIER)


def org_of(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def observers() -> list[str]:
    c = get_charter().commitments
    return list(c.exchanges.observers) if c is not None else []


def shared_identifiers() -> list[str]:
    c = get_charter().commitments
    return list(c.exchanges.shared_identifiers) if c is not None else ["reference"]


def is_mediator(user) -> bool:
    org = org_of(user)
    return org is not None and org.kind == OrganisationKind.MEDIATOR


def is_observer(user) -> bool:
    org = org_of(user)
    return org is not None and org.code in observers() and org.kind != OrganisationKind.PARTY


def visible_exchanges(user) -> QuerySet[Exchange]:
    org = org_of(user)
    if org is None:
        return Exchange.objects.none()
    if org.kind == OrganisationKind.MEDIATOR or is_observer(user):
        return Exchange.objects.all()
    if org.kind == OrganisationKind.PARTY:
        return Exchange.objects.filter(Q(party_a=org.code) | Q(party_b=org.code))
    return Exchange.objects.none()


def list_level(user, lst: ReleaseList) -> str | None:
    """FULL, SHARED, or None (the list is not the user's to see at all). Assumes the exchange is visible."""
    org = org_of(user)
    if org is None:
        return None
    if org.kind == OrganisationKind.PARTY and org.code == lst.party:
        return FULL
    if lst.is_draft:
        return None
    if org.kind == OrganisationKind.MEDIATOR:
        return FULL
    if org.kind == OrganisationKind.PARTY and org.code in lst.exchange.parties:
        return SHARED
    if is_observer(user):
        return SHARED
    return None


def may_witness(user) -> bool:
    """A mediator's lead or verifier, or a monitor of an observer organisation: the second confirmation."""
    org = org_of(user)
    if org is None:
        return False
    if org.kind == OrganisationKind.MEDIATOR:
        return user.role in MEDIATOR_ROLES
    return is_observer(user) and user.role == Role.MONITOR


def speaks_for(user, party: str) -> bool:
    org = org_of(user)
    return (
        org is not None
        and org.kind == OrganisationKind.PARTY
        and org.code == party
        and user.role in SPEAKS_FOR_PARTY
    )


def may_open(user) -> bool:
    org = org_of(user)
    return org is not None and org.kind == OrganisationKind.MEDIATOR and user.role in MEDIATOR_ROLES
