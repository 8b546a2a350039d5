"""Domain logic of the incident register: plain functions, no HTTP.

Every function takes the acting user first and enforces what that user may do; reads go through the
visibility rules in models.claim_visibility_q (models.incident_visibility_q for incidents, the same rule),
so a record the caller may not see is simply not found.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.geo.services import locate
from sulh.ledger import services as ledger

from . import signals
from .models import (
    Audience,
    Claim,
    ClaimStatus,
    Incident,
    IncidentCodeCounter,
    IncidentStatus,
    SourceKind,
    claim_visibility_q,
    refresh_claim_flags,
    visible_claims,
    visible_incidents,
)
from .schemas import ClaimIn, IncidentIn

FILING_ROLES = {Role.LIAISON_OFFICER, Role.COMMANDER, Role.MONITOR, Role.VERIFIER, Role.MEDIATOR_LEAD, Role.ANALYST}

CLAIM_EVENT_FIELDS = (
    "event_type", "sub_event_type", "date_prec", "latitude", "longitude", "where_prec", "location_name",
    "alleged_violator", "clause", "post_code", "audience", "actor1", "assoc_actor_1", "inter1", "actor2",
    "assoc_actor_2", "inter2", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "deaths_low",
    "deaths_best", "deaths_high", "injured_low", "injured_best", "injured_high", "notes", "narrative",
    "source_name",
)  # fmt: skip


def allowed_source_kinds(user) -> set[str]:
    """Which kinds of claim this user may file, from role and organisation."""
    org = getattr(user, "organisation", None)
    if not user.is_authenticated or org is None or user.role not in FILING_ROLES:
        return set()
    kinds: set[str] = set()
    if user.role in (Role.LIAISON_OFFICER, Role.COMMANDER) and org.kind == OrganisationKind.PARTY:
        kinds.add(SourceKind.PARTY)
    if user.role == Role.MONITOR and org.kind == OrganisationKind.MONITORING:
        kinds.add(SourceKind.MONITORING_POST)
    if user.role in (Role.VERIFIER, Role.MEDIATOR_LEAD) and org.kind == OrganisationKind.MEDIATOR:
        kinds |= {SourceKind.MEDIATOR, SourceKind.PRESS}
    if user.role == Role.ANALYST and org.kind in (
        OrganisationKind.PARTY, OrganisationKind.MEDIATOR, OrganisationKind.MONITORING
    ):
        kinds.add(SourceKind.PRESS)
    return kinds


def can_file(user) -> bool:
    return bool(allowed_source_kinds(user))


def can_publish(user) -> bool:
    org = getattr(user, "organisation", None)
    return bool(user.is_authenticated and org and org.kind == OrganisationKind.MEDIATOR and user.role == Role.MEDIATOR_LEAD)


def _default_source_kind(user) -> str:
    kinds = allowed_source_kinds(user)
    for kind in (SourceKind.PARTY, SourceKind.MONITORING_POST, SourceKind.MEDIATOR, SourceKind.PRESS):
        if kind in kinds:
            return kind
    raise PermissionDenied("your role may not file claims", field=None)


def _check_against_charter(data: ClaimIn) -> None:
    charter = get_charter()
    party_codes = {p.code for p in charter.parties}
    if data.alleged_violator and data.alleged_violator not in party_codes:
        raise ValidationFailed(
            f"alleged_violator {data.alleged_violator!r} is not a party of the charter; expected one of "
            f"{', '.join(sorted(party_codes))} or empty",
            field="alleged_violator",
        )
    if data.clause and data.clause not in {code for code, _text in charter.clauses()}:
        raise ValidationFailed(f"clause {data.clause!r} is not in the charter's agreements", field="clause")
    if data.post_code and data.post_code not in {p.code for p in charter.posts}:
        raise ValidationFailed(f"post_code {data.post_code!r} is not a joint monitoring post of the charter", field="post_code")


def _claim_values(user, data: ClaimIn) -> dict:
    _check_against_charter(data)
    try:
        start, end = data.utc_span(user.effective_timezone)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="date_end") from exc
    values = {f: getattr(data, f) for f in CLAIM_EVENT_FIELDS}
    values["audience"] = str(data.audience)
    values["source_url"] = str(data.source_url) if data.source_url else ""
    values["date_start"], values["date_end"] = start, end
    return values


def _source_kind_for(user, data: ClaimIn) -> str:
    kind = str(data.source_kind) if data.source_kind else _default_source_kind(user)
    if kind not in allowed_source_kinds(user):
        raise PermissionDenied(f"your role may not file claims of kind {kind!r}", field="source_kind")
    return kind


def _place(lat: float, lon: float) -> dict:
    loc = locate(lat, lon)
    return {
        "side": loc.side or "",
        "sector": loc.sector or "",
        "province": loc.province or "",
        "district": loc.district or "",
        "distance_to_border_m": round(loc.distance_to_border_m, 1),
    }


def next_incident_code(when: datetime) -> str:
    """AFPK-2025-10-0042: the charter's prefix, the year and month of the event, a number within the month.
    Must run inside a transaction: the counter row is locked until it commits."""
    prefix = get_charter().incident_code_prefix
    counter, _ = IncidentCodeCounter.objects.select_for_update().get_or_create(
        prefix=prefix, year=when.year, month=when.month
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{when.year:04d}-{when.month:02d}-{counter.last:04d}"


def _new_claim(user, incident: Incident, data: ClaimIn, values: dict, kind: str, supersedes=None) -> Claim:
    org = user.organisation
    last = incident.claims.order_by("-seq").values_list("seq", flat=True).first() or 0
    now = timezone.now()
    claim = Claim.objects.create(
        incident=incident,
        seq=last + 1,
        source_kind=kind,
        organisation=org,
        reporting_party=org.code if kind == SourceKind.PARTY else "",
        filed_by=user,
        status=ClaimStatus.FILED if data.file else ClaimStatus.DRAFT,
        filed_at=now if data.file else None,
        supersedes=supersedes,
        **values,
    )
    refresh_claim_flags(incident)
    action = "amended" if supersedes is not None else ("filed" if data.file else "drafted")
    ledger.record(claim, f"claim.{action}", actor=user)
    if claim.status == ClaimStatus.FILED:
        _announce_filed(claim, user)
    return claim


def _announce_filed(claim: Claim, user) -> None:
    """Tell listeners (de-escalation protocols) in the filing transaction: a protocol run starts with it."""
    signals.incident_filed.send(Incident, incident=claim.incident, claim=claim, actor=user)


def create_incident(user, data: IncidentIn, *, is_demo: bool = False) -> Claim:
    """Register a new incident with its first claim. Returns the claim (its incident attached)."""
    kind = _source_kind_for(user, data)
    values = _claim_values(user, data)
    place = _place(data.latitude, data.longitude)
    with transaction.atomic():
        incident = Incident.objects.create(
            code=next_incident_code(values["date_start"]),
            title=data.title,
            created_by=user,
            is_demo=is_demo,
            **{k: values[k] for k in (
                "event_type", "sub_event_type", "date_start", "date_end", "date_prec", "latitude",
                "longitude", "where_prec", "location_name", "alleged_violator", "clause",
            )},  # fmt: skip
            **place,
        )
        ledger.record(incident, "incident.registered", actor=user)
        return _new_claim(user, incident, data, values, kind)


def add_claim(user, incident: Incident, data: ClaimIn) -> Claim:
    """Another source's account of an incident the user can see."""
    kind = _source_kind_for(user, data)
    values = _claim_values(user, data)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        claim = _new_claim(user, incident, data, values, kind)
        _touch(incident)
        return claim


def _own_claim_for_update(user, claim_id) -> Claim:
    claim = get_claim(user, claim_id, for_update=True)
    if claim.organisation_id != user.organisation_id or claim.source_kind not in allowed_source_kinds(user):
        raise PermissionDenied("only the filing organisation, in a role that files such claims, may change it")
    return claim


def update_draft(user, claim_id, data: ClaimIn) -> Claim:
    """Change a draft. Filed claims are frozen: use amend_claim for a correction."""
    with transaction.atomic():
        claim = _own_claim_for_update(user, claim_id)
        if claim.status != ClaimStatus.DRAFT:
            raise ValidationFailed("this claim is filed and frozen; file a correction instead", field="status")
        kind = _source_kind_for(user, data)
        for field, value in _claim_values(user, data).items():
            setattr(claim, field, value)
        claim.source_kind = kind
        claim.version += 1
        if data.file:
            claim.status, claim.filed_at = ClaimStatus.FILED, timezone.now()
        claim.save()
        refresh_claim_flags(claim.incident)
        ledger.record(claim, "claim.filed" if data.file else "claim.draft_updated", actor=user)
        if data.file:
            _announce_filed(claim, user)
        return claim


def file_claim(user, claim_id) -> Claim:
    with transaction.atomic():
        claim = _own_claim_for_update(user, claim_id)
        if claim.status != ClaimStatus.DRAFT:
            raise ValidationFailed(f"only a draft can be filed; this claim is {claim.status}", field="status")
        claim.status, claim.filed_at = ClaimStatus.FILED, timezone.now()
        claim.version += 1
        claim.save(update_fields=["status", "filed_at", "version"])
        refresh_claim_flags(claim.incident)
        ledger.record(claim, "claim.filed", actor=user)
        _touch(claim.incident)
        _announce_filed(claim, user)
        return claim


def amend_claim(user, claim_id, data: ClaimIn) -> Claim:
    """A correction: a new claim that supersedes a filed one. The old claim stays, unchanged."""
    with transaction.atomic():
        old = _own_claim_for_update(user, claim_id)
        if old.status != ClaimStatus.FILED:
            raise ValidationFailed("only a filed claim can be corrected; edit the draft instead", field="status")
        if Claim.objects.filter(supersedes=old).exists():
            raise ValidationFailed("this claim was already corrected; correct the newest version", field="supersedes")
        kind = _source_kind_for(user, data)
        values = _claim_values(user, data)
        incident = Incident.objects.select_for_update().get(pk=old.incident_id)
        claim = _new_claim(user, incident, data, values, kind, supersedes=old)
        _touch(incident)
        return claim


def withdraw_claim(user, claim_id) -> Claim:
    """A draft or filed claim may be withdrawn by its organisation; it is kept, marked withdrawn."""
    with transaction.atomic():
        claim = _own_claim_for_update(user, claim_id)
        if claim.status == ClaimStatus.WITHDRAWN:
            raise ValidationFailed("this claim is already withdrawn", field="status")
        claim.status = ClaimStatus.WITHDRAWN
        claim.version += 1
        claim.save(update_fields=["status", "version"])
        refresh_claim_flags(claim.incident)
        ledger.record(claim, "claim.withdrawn", actor=user)
        return claim


def publish_incident(user, incident_id) -> Incident:
    """Mediator leads publish an incident: the public then sees it and its claims shared with the public."""
    if not can_publish(user):
        raise PermissionDenied("only a mediator lead may publish an incident")
    with transaction.atomic():
        incident = get_incident(user, incident_id, for_update=True)
        if incident.published:
            raise ValidationFailed("this incident is already published", field="published")
        incident.published = True
        _touch(incident, save_fields=["published"])
        ledger.record(incident, "incident.published", actor=user)
        return incident


def _touch(incident: Incident, save_fields=()) -> None:
    incident.version += 1
    incident.updated_at = timezone.now()
    incident.save(update_fields=["version", "updated_at", *save_fields])


# --- reading -----------------------------------------------------------------------------------------


def _parse_ref(ref) -> dict:
    if isinstance(ref, UUID):
        return {"pk": ref}
    text = str(ref)
    try:
        return {"pk": UUID(text)}
    except ValueError:
        return {"code": text}


def get_incident(user, ref, *, for_update: bool = False) -> Incident:
    """By UUID or readable code; NotFound for anything the user may not see."""
    qs = visible_incidents(user)
    if for_update:
        qs = Incident.objects.select_for_update().filter(pk__in=qs.values("pk"))
    try:
        return qs.get(**_parse_ref(ref))
    except Incident.DoesNotExist:
        raise NotFound("no such incident") from None


def get_claim(user, claim_id, *, for_update: bool = False) -> Claim:
    try:
        pk = claim_id if isinstance(claim_id, UUID) else UUID(str(claim_id))
    except ValueError:
        raise NotFound("no such claim") from None
    qs = visible_claims(user).select_related("incident", "organisation")
    if for_update:
        qs = Claim.objects.select_for_update().select_related("incident", "organisation").filter(
            pk__in=visible_claims(user).values("pk")
        )
    try:
        return qs.get(pk=pk)
    except Claim.DoesNotExist:
        raise NotFound("no such claim") from None


def claims_of(user, incident: Incident) -> QuerySet[Claim]:
    return (
        incident.claims.filter(claim_visibility_q(user))
        .select_related("organisation", "supersedes")
        .order_by("seq")
    )


@dataclass
class IncidentFilter:
    since: datetime | None = None
    until: datetime | None = None
    sector: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    party: str | None = None  # alleged violator or reporting party
    alleged_violator: str | None = None
    reporting_party: str | None = None
    side: str | None = None
    district: str | None = None
    status: str | None = None
    published: bool | None = None
    q: str | None = None


def _reported_by(user, party: str) -> Exists:
    """The incident has a claim of `party` that the user may read (one indexed probe per incident)."""
    return Exists(
        Claim.objects.filter(claim_visibility_q(user, correlated=True), incident=OuterRef("pk"), reporting_party=party)
    )


def search_incidents(user, f: IncidentFilter | None = None) -> QuerySet[Incident]:
    qs = visible_incidents(user)
    f = f or IncidentFilter()
    if f.since:
        qs = qs.filter(date_end__gte=f.since)
    if f.until:
        qs = qs.filter(date_start__lte=f.until)
    for field in ("sector", "event_type", "sub_event_type", "alleged_violator", "side", "district", "status"):
        value = getattr(f, field)
        if value:
            qs = qs.filter(**{field: value})
    if f.published is not None:
        qs = qs.filter(published=f.published)
    if f.reporting_party:
        qs = qs.filter(_reported_by(user, f.reporting_party))
    if f.party:
        qs = qs.filter(Q(alleged_violator=f.party) | _reported_by(user, f.party))
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(code__icontains=f.q) | Q(location_name__icontains=f.q))
    return qs.order_by("-date_start", "-code")


STATUS_CHOICES = IncidentStatus.values
AUDIENCE_CHOICES = Audience.values
