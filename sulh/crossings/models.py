"""The status of each border crossing over time, for trade and for travel separately (docs/crossings.md).

A `CrossingStatus` is one change, immutable and logged: which crossing (a code of the charter's `crossings`),
which mode (trade or travel), the new status (open, restricted, closed), when it took effect, why, with what
evidence, and the trucks or people waiting where known. The current state of a crossing is its newest record
per mode; `CrossingHead` keeps that as bookkeeping (one row per crossing and mode, locked while a record is
added, so records of one crossing and mode are numbered and ordered without gaps or races). The head can be
rebuilt from the records at any time and is not itself a logged record."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    TRADE = "trade", _("Trade")
    TRAVEL = "travel", _("Travel")


class Status(models.TextChoices):
    # The values are the charter's schema_commitments.CROSSING_STATUSES (checked by a test).
    OPEN = "open", _("Open")
    RESTRICTED = "restricted", _("Restricted")
    CLOSED = "closed", _("Closed")


class CrossingStatus(models.Model):
    """One change of a crossing's status for one mode: immutable once stored, logged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    crossing = models.CharField(max_length=40, help_text="Code of the crossing in the charter, e.g. TORKHAM")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    seq = models.PositiveIntegerField(help_text="1, 2, 3… per crossing and mode, in the order recorded")
    status = models.CharField(max_length=12, choices=Status.choices)
    effective_at = models.DateTimeField(help_text="When the status took effect (never in the future)")
    recorded_at = models.DateTimeField(default=timezone.now, help_text="Server time of recording")
    reason = models.TextField()
    evidence_ids = models.JSONField(default=list, blank=True)
    trucks_waiting = models.PositiveIntegerField(null=True, blank=True)
    people_waiting = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorder_org = models.CharField(max_length=16, help_text="Organisation code of who recorded it")
    batch = models.UUIDField(
        default=uuid.uuid4, help_text="Records made together (trade and travel in one change) share it"
    )

    class Meta:
        ordering = ["crossing", "mode", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["crossing", "mode", "seq"], name="crossing_status_one_seq"),
            models.CheckConstraint(
                condition=models.Q(trucks_waiting__isnull=True) | models.Q(trucks_waiting__gte=0),
                name="crossing_status_trucks_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(people_waiting__isnull=True) | models.Q(people_waiting__gte=0),
                name="crossing_status_people_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["crossing", "mode", "effective_at"], name="crossing_status_when")]

    def __str__(self) -> str:
        return f"{self.crossing}/{self.mode} #{self.seq}: {self.status}"


class CrossingHead(models.Model):
    """Bookkeeping: the newest record of one crossing and mode (the row locked while a record is added)."""

    crossing = models.CharField(max_length=40)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    current = models.ForeignKey(CrossingStatus, on_delete=models.PROTECT, null=True, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["crossing", "mode"], name="crossing_head_one")]

    def __str__(self) -> str:
        return f"{self.crossing}/{self.mode}"
