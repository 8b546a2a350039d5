"""Agreements, their clauses, and the obligations each clause yields (docs/commitments.md).

An obligation's state changes only through an ObligationChange: who, from which state to which, why, with
what evidence, at server time. The obligation row keeps the current state as bookkeeping of those changes;
the changes themselves are immutable and logged. A change made by Sulh itself (a crossing's record shows
it open, a meeting was held, an exchange became reciprocal, a document was agreed) names the record that
proves it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Agreement(models.Model):
    """An agreement or communiqué, as entered (or taken from the charter's `agreements`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=40, unique=True, help_text="e.g. DOHA-2025, ISTANBUL-2025-10-30")
    title = models.CharField(max_length=300)
    date = models.DateField()
    place = models.CharField(max_length=200, blank=True)
    from_charter = models.BooleanField(default=False, help_text="Taken from the charter's agreements")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "code"]

    def __str__(self) -> str:
        return self.code


class Clause(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="clauses")
    number = models.CharField(max_length=20)
    text = models.TextField()
    paraphrase = models.BooleanField(default=False, help_text="The text paraphrases public reporting")

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="one_clause_number")]

    def __str__(self) -> str:
        return f"{self.agreement.code}/{self.number}"


class ObligationKind(models.TextChoices):
    CEASEFIRE = "ceasefire", _("Ceasefire (or its extension)")
    CROSSING_REOPENING = "crossing_reopening", _("Crossing reopened")
    DETAINEE_RELEASE = "detainee_release", _("Detainees released")
    MEETING = "meeting", _("Meeting held")
    DOCUMENT = "document", _("Document agreed")
    OTHER = "other", _("Other")


class ObligationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    PARTLY_MET = "partly_met", _("Partly met")
    BREACHED = "breached", _("Breached")
    DISPUTED = "disputed", _("Disputed")


class VerifiedBy(models.TextChoices):
    EVIDENCE = "evidence", _("Evidence judged by the roles the charter names")
    CROSSING_OPEN = "crossing_open", _("The crossing's record shows it open")
    MEETING_HELD = "meeting_held", _("The meeting's record shows it held")
    EXCHANGE_RECIPROCAL = "exchange_reciprocal", _("The exchange is recorded reciprocal")
    DOCUMENT_AGREED = "document_agreed", _("The document carries every required signature")


class Obligation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. OBL-2025-0007")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="obligations")
    clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, null=True, blank=True, related_name="obligations"
    )
    kind = models.CharField(max_length=24, choices=ObligationKind.choices)
    title = models.CharField(max_length=300, help_text="What is to be done, in a line")
    description = models.TextField(blank=True)
    obliged = models.JSONField(
        help_text="Party codes that owe it (one party, or both for a mutual obligation)"
    )
    # When: a fixed date, or relative to another obligation being met (`due_after` + `due_offset_s`).
    due_at = models.DateTimeField(null=True, blank=True)
    due_after = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_offset_s = models.PositiveIntegerField(null=True, blank=True)
    # A time-limited obligation (a ceasefire extension): in force from `starts_at` until `ends_at`.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=24, choices=VerifiedBy.choices, default=VerifiedBy.EVIDENCE)
    # What record proves it when verified_by is not "evidence": a crossing code (+ "trade"/"travel"), a
    # meeting, exchange or document id.
    subject = models.CharField(max_length=64, blank=True)
    subject_mode = models.CharField(
        max_length=16, blank=True, help_text="For a crossing: trade, travel or both"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Bookkeeping kept from the logged changes.
    state = models.CharField(max_length=16, choices=ObligationState.choices, default=ObligationState.PENDING)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When it passed its due time unmet")
    lapsed_at = models.DateTimeField(null=True, blank=True, help_text="When a time-limited obligation ended")

    class Meta:
        ordering = ["due_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="obligation_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_closed(self) -> bool:
        return self.state in (ObligationState.MET, ObligationState.BREACHED)


class ObligationChange(models.Model):
    """One change of an obligation's state: immutable, logged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="changes")
    from_state = models.CharField(max_length=16, choices=ObligationState.choices)
    to_state = models.CharField(max_length=16, choices=ObligationState.choices)
    reason = models.TextField()
    evidence_ids = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    by_org = models.CharField(
        max_length=16, help_text="Organisation code of who changed it; OPS for Sulh itself"
    )
    as_actor = models.CharField(max_length=16, help_text="The charter actor the change was allowed as")
    source_record = models.CharField(max_length=80, blank=True, help_text="e.g. crossing_status:<id>")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.obligation.code}: {self.from_state} -> {self.to_state}"


class Warning(models.Model):
    """A warning Sulh gave about an obligation: a ceasefire about to lapse, lapsed, or an obligation overdue.
    Shown to every party and mediator on every console page and in the API; logged."""

    class Kind(models.TextChoices):
        EXPIRY = "expiry", _("About to lapse")
        LAPSED = "lapsed", _("Lapsed")
        OVERDUE = "overdue", _("Overdue")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="warnings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    step = models.PositiveSmallIntegerField(default=0, help_text="Which of the charter's expiry warnings")
    lead_s = models.PositiveIntegerField(default=0, help_text="How long before the end it was given")
    at = models.DateTimeField(default=timezone.now)
    messages = models.JSONField(default=list, help_text="Codes of the hotline messages that carried it")

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "kind", "step"], name="one_warning_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.obligation.code}: {self.kind}"
