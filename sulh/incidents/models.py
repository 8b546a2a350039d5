"""The incident register: an incident (what happened, once) and the claims about it (what each source says).

Claims are never overwritten: a filed claim is frozen; a correction is a new claim that supersedes it.
Two sources that disagree (15–20 fighters killed, or 12 civilians killed and 100 injured, for the same
night in Spin Boldak) are two claims on one incident, shown side by side.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sulh.accounts.models import OrganisationKind

from . import taxonomy


class SourceKind(models.TextChoices):
    PARTY = "party", _("Party")
    MONITORING_POST = "monitoring_post", _("Joint monitoring post")
    MEDIATOR = "mediator", _("Mediator")
    PRESS = "press", _("Press")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FILED = "filed", _("Filed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Audience(models.TextChoices):
    """Who beyond the filing organisation may read a filed record. Mediators always may."""

    MEDIATORS = "mediators", _("Mediators only")
    PARTIES = "parties", _("Both parties, monitors and mediators")
    PUBLIC = "public", _("Public, once the incident is published")


# Audiences that parties and joint monitoring teams may read (besides their own organisation's claims).
SHARED_WITH_PARTIES = (Audience.PARTIES, Audience.PUBLIC)


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    UNDER_VERIFICATION = "under_verification", _("Under verification")
    VERIFIED = "verified", _("Verified violation")
    NOT_VERIFIED = "not_verified", _("No violation")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")
    CLOSED = "closed", _("Closed")


EVENT_TYPE_CHOICES = [(t, t) for t in taxonomy.EVENT_TYPES]
SUB_EVENT_TYPE_CHOICES = [(s, s) for subs in taxonomy.EVENT_TYPES.values() for s in subs]
DATE_PREC_CHOICES = list(taxonomy.DATE_PREC.items())
WHERE_PREC_CHOICES = list(taxonomy.WHERE_PREC.items())
INTER_CHOICES = list(taxonomy.INTER_CODES.items())


class EventFields(models.Model):
    """What happened, where and when, in ACLED's and UCDP GED's terms (shared by incidents and claims)."""

    event_type = models.CharField(max_length=40, choices=EVENT_TYPE_CHOICES)
    sub_event_type = models.CharField(max_length=60, choices=SUB_EVENT_TYPE_CHOICES)
    date_start = models.DateTimeField(help_text="UTC")
    date_end = models.DateTimeField(help_text="UTC")
    date_prec = models.PositiveSmallIntegerField(choices=DATE_PREC_CHOICES, default=1)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    where_prec = models.PositiveSmallIntegerField(choices=WHERE_PREC_CHOICES, default=2)
    location_name = models.CharField(max_length=200, blank=True)
    alleged_violator = models.CharField(max_length=16, blank=True, help_text="Party code, or empty if unknown.")
    clause = models.CharField(max_length=64, blank=True, help_text="Agreement clause violated, e.g. DOHA-2025/2")

    class Meta:
        abstract = True

    @property
    def time_precision(self) -> int:
        return taxonomy.acled_time_precision(self.date_prec)

    @property
    def geo_precision(self) -> int:
        return taxonomy.acled_geo_precision(self.where_prec)


class PlaceFields(models.Model):
    """Computed from the point and the charter's geometry; never typed in."""

    side = models.CharField(max_length=16, blank=True, help_text="Party whose territory holds the point.")
    sector = models.CharField(max_length=32, blank=True)
    province = models.CharField(max_length=32, blank=True)
    district = models.CharField(max_length=32, blank=True)
    distance_to_border_m = models.FloatField(null=True)

    class Meta:
        abstract = True


class Incident(EventFields, PlaceFields):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. AFPK-2025-10-0042")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=32, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED)
    published = models.BooleanField(default=False, help_text="Published by the mediators: the public may read it.")
    is_demo = models.BooleanField(default=False, help_text="Demonstration data, not a real report.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # What the incident's claims say, kept by the services with every change of a claim (see
    # refresh_claim_flags), so that the list need not look through the claims of every incident it counts.
    has_filed_claim = models.BooleanField(
        default=False, editable=False, help_text="At least one of its claims is filed (mediators see it)."
    )
    has_shared_claim = models.BooleanField(
        default=False,
        editable=False,
        help_text="At least one of its claims is filed for the parties or the public (parties and monitors see it).",
    )

    class Meta:
        ordering = ["-date_start", "-code"]
        indexes = [
            models.Index(fields=["date_start", "code"]),  # the list's order, read backwards
            models.Index(fields=["sector", "date_start"]),
            models.Index(fields=["event_type", "date_start"]),
            models.Index(fields=["alleged_violator", "date_start"]),
            models.Index(fields=["status", "date_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Claim(EventFields):
    """What one source says about an incident. Frozen once filed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="claims")
    seq = models.PositiveIntegerField(help_text="1, 2, 3 … within the incident")
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="claims")
    reporting_party = models.CharField(max_length=16, blank=True, help_text="Party code for a party's claim.")
    source_name = models.CharField(max_length=200, help_text="Who says it: ISPR, a spokesman, an outlet, a post.")
    source_url = models.URLField(max_length=500, blank=True)
    post_code = models.CharField(max_length=32, blank=True, help_text="Joint monitoring post, for post reports.")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.MEDIATORS)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # ACLED actors
    actor1 = models.CharField(max_length=200, blank=True)
    assoc_actor_1 = models.CharField(max_length=200, blank=True)
    inter1 = models.PositiveSmallIntegerField(choices=INTER_CHOICES, null=True, blank=True)
    actor2 = models.CharField(max_length=200, blank=True)
    assoc_actor_2 = models.CharField(max_length=200, blank=True)
    inter2 = models.PositiveSmallIntegerField(choices=INTER_CHOICES, null=True, blank=True)
    # UCDP GED deaths: side a / side b are the charter's first and second party.
    deaths_a = models.PositiveIntegerField(null=True, blank=True)
    deaths_b = models.PositiveIntegerField(null=True, blank=True)
    deaths_civilians = models.PositiveIntegerField(null=True, blank=True)
    deaths_unknown = models.PositiveIntegerField(null=True, blank=True)
    deaths_low = models.PositiveIntegerField(null=True, blank=True)
    deaths_best = models.PositiveIntegerField(null=True, blank=True)
    deaths_high = models.PositiveIntegerField(null=True, blank=True)
    injured_low = models.PositiveIntegerField(null=True, blank=True)
    injured_best = models.PositiveIntegerField(null=True, blank=True)
    injured_high = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="Short ACLED-style notes.")
    narrative = models.TextField(blank=True, help_text="The source's account in full.")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    filed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["incident", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "seq"], name="claim_seq_unique_per_incident"),
            models.CheckConstraint(
                condition=Q(deaths_low__isnull=True) | Q(deaths_best__isnull=True) | Q(deaths_low__lte=models.F("deaths_best")),
                name="claim_deaths_low_le_best",
            ),
            models.CheckConstraint(
                condition=Q(deaths_high__isnull=True) | Q(deaths_best__isnull=True) | Q(deaths_best__lte=models.F("deaths_high")),
                name="claim_deaths_best_le_high",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            # For the list, once per incident: does the user's organisation have a claim on it
            # (incident_visibility_q); has a given party a claim on it that the user may read (the `party`
            # filter). Each covers its query, probed by incident (SQLite) or read once for a hash of incident
            # ids (PostgreSQL). No index on claims starts with their status: SQLite runs without ANALYZE
            # statistics and would take it for these probes, reading every filed claim for each incident.
            models.Index(fields=["organisation", "incident"]),
            models.Index(fields=["incident", "reporting_party", "status", "audience", "organisation"]),
        ]

    def __str__(self) -> str:
        return f"{self.incident.code}/C{self.seq} ({self.source_name})"

    @property
    def code(self) -> str:
        return f"{self.incident.code}/C{self.seq}"

    @property
    def fatalities(self) -> int:
        """ACLED's `fatalities`: the claim's best figure, 0 when it gives none."""
        return self.deaths_best or 0


class IncidentCodeCounter(models.Model):
    """Next readable number per prefix and month. Rows are locked while a code is taken."""

    prefix = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year", "month"], name="one_counter_per_month")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year:04d}-{self.month:02d}: {self.last}"


def claim_visibility_q(user, prefix: str = "", *, correlated: bool = False) -> Q:
    """Q selecting the claims `user` may read. `prefix` lets it run across relations (e.g. "claims__").

    - the filing organisation sees its own claims, drafts included;
    - mediators see every filed claim; never another organisation's draft;
    - parties and joint monitoring teams see filed claims shared with "parties" or "public";
    - everyone, signed in or not, sees public claims of published incidents.

    `correlated=True` is for a subquery on the claims of one incident of the outer query
    (`Exists(Claim.objects.filter(incident=OuterRef("pk"), ...))`): "published" is then read from that
    incident rather than through a join.
    """
    p = prefix
    filed = Q(**{f"{p}status": ClaimStatus.FILED})
    org = _organisation(user)
    own = Q(**{f"{p}organisation": org})
    # Mediators, parties and monitors read every filed public claim anyway: the published incident's
    # public claims need no term of their own (and the query no look at the incident).
    if org is not None and org.kind == OrganisationKind.MEDIATOR:
        return own | filed
    if org is not None and org.kind in (OrganisationKind.PARTY, OrganisationKind.MONITORING):
        return own | (filed & Q(**{f"{p}audience__in": SHARED_WITH_PARTIES}))
    published = Q(Exact(OuterRef("published"), True)) if correlated else Q(**{f"{p}incident__published": True})
    public = filed & Q(**{f"{p}audience": Audience.PUBLIC}) & published
    return public if org is None else public | own


def _organisation(user):
    return getattr(user, "organisation", None) if getattr(user, "is_authenticated", False) else None


def incident_visibility_q(user) -> Q:
    """Q selecting the incidents `user` may see: the published ones, and those with at least one claim the
    user may read (claim_visibility_q).

    The same rule in terms of the incident's own columns: a mediator reads some claim of it exactly when one
    is filed (has_filed_claim), a party or monitor exactly when one is filed for the parties or the public
    (has_shared_claim), and the public claims count only once the incident is published. What is left is
    the organisation's own claims (drafts, withdrawn, mediators-only), asked last: one indexed look-up per
    incident on SQLite, one pass over the organisation's claims on PostgreSQL.
    """
    q = Q(published=True)
    org = _organisation(user)
    if org is None:
        return q
    if org.kind == OrganisationKind.MEDIATOR:
        q |= Q(has_filed_claim=True)
    elif org.kind in (OrganisationKind.PARTY, OrganisationKind.MONITORING):
        q |= Q(has_shared_claim=True)
    return q | Exists(Claim.objects.filter(incident=OuterRef("pk"), organisation=org))


def visible_claims(user):
    return Claim.objects.filter(claim_visibility_q(user))


def visible_incidents(user):
    """Incidents with at least one claim the user may read, or published ones."""
    return Incident.objects.filter(incident_visibility_q(user))


def claim_flags() -> dict:
    """Incident.has_filed_claim and has_shared_claim as expressions over the incident's claims, for
    `Incident.objects.filter(...).update(**claim_flags())` (a bulk load, a repair)."""
    filed = Claim.objects.filter(incident=OuterRef("pk"), status=ClaimStatus.FILED)
    return {
        "has_filed_claim": Exists(filed),
        "has_shared_claim": Exists(filed.filter(audience__in=SHARED_WITH_PARTIES)),
    }


def refresh_claim_flags(incident: Incident) -> None:
    """Recompute the incident's claim flags after one of its claims was created, filed, changed or withdrawn,
    inside the transaction that changed the claim. The incident row is locked before the claims are read,
    so that of two transactions changing claims of one incident the second waits, then reads the first's."""
    with transaction.atomic():
        stored = (
            Incident.objects.select_for_update()
            .filter(pk=incident.pk)
            .values_list("has_filed_claim", "has_shared_claim")
            .get()
        )
        audiences = set(
            Claim.objects.filter(incident_id=incident.pk, status=ClaimStatus.FILED).values_list("audience", flat=True)
        )
        flags = (bool(audiences), any(a in SHARED_WITH_PARTIES for a in audiences))
        if flags != stored:
            Incident.objects.filter(pk=incident.pk).update(has_filed_claim=flags[0], has_shared_claim=flags[1])
    incident.has_filed_claim, incident.has_shared_claim = flags
