"""De-escalation protocols: a run of a charter playbook for one incident or message, and its tasks.

The run keeps a snapshot of the playbook as it stood when it started: a later charter edit never changes
the deadlines of a run in progress. Each task is one step for one responsible party (a `both` step makes
two tasks), so a breach is always on one party's record."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MEDIATORS = "MEDIATORS"


class ProtocolRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    protocol = models.CharField(max_length=40, help_text="Charter protocol code")
    name = models.CharField(max_length=200)
    definition = models.JSONField(help_text="The protocol as it stood when the run started")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="protocol_runs")
    message = models.ForeignKey("hotline.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="protocol_runs")
    affected = models.CharField(max_length=16, help_text="Party that was hit (or the sender)")
    counterpart = models.CharField(max_length=16, help_text="The other party")
    sector = models.CharField(max_length=32, blank=True)
    triggered_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_at"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "incident"], condition=Q(incident__isnull=False), name="one_run_per_incident"),
            models.UniqueConstraint(fields=["protocol", "message"], condition=Q(message__isnull=False), name="one_run_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} ({self.triggered_at:%Y-%m-%d %H:%M}Z)"


class TaskState(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier step")
    OPEN = "open", _("Open")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    MET_LATE = "met_late", _("Met late (breached)")


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(ProtocolRun, on_delete=models.PROTECT, related_name="tasks")
    step = models.CharField(max_length=40)
    step_index = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    party = models.CharField(max_length=16, help_text="Responsible party code, or MEDIATORS")
    post = models.ForeignKey("hotline.Post", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    done_kind = models.CharField(max_length=32)
    done_message_type = models.CharField(max_length=32, blank=True)
    done_report = models.CharField(max_length=40, blank=True)
    within_s = models.PositiveIntegerField()
    after = models.CharField(max_length=40, default="trigger")
    remind_before_s = models.PositiveIntegerField()
    due_at = models.DateTimeField(null=True, blank=True)
    # State (bookkeeping kept from the task's events, which the log holds).
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.WAITING)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    met_with = models.CharField(max_length=64, blank=True, help_text="Message code or report id that met it")

    class Meta:
        ordering = ["due_at", "step_index"]
        indexes = [models.Index(fields=["party", "state"])]

    def __str__(self) -> str:
        return f"{self.run.protocol}/{self.step} ({self.party})"


class ReportKind(models.TextChoices):
    REPORT = "report", _("Report")
    MEETING = "meeting", _("Meeting")


class TaskReport(models.Model):
    """A form filed or a meeting recorded to meet a task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=16, choices=ReportKind.choices)
    report = models.CharField(max_length=40, blank=True, help_text="Form code, for reports")
    text = models.TextField()
    held_at = models.DateTimeField(null=True, blank=True, help_text="Meetings: when it was held")
    place = models.CharField(max_length=200, blank=True)
    attendees = models.TextField(blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["filed_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.report} ({self.filed_at:%Y-%m-%d %H:%M}Z)"
