"""Stored deadlines: every timer of the mechanism (hotline acknowledgements, protocol reminders and due
times) is a row, never a countdown in memory, so a restart at any moment loses none and a deadline that
fell due while no server ran fires as soon as one starts."""

from django.db import models
from django.db.models import Q


class DeadlineState(models.TextChoices):
    PENDING = "pending", "pending"
    FIRED = "fired", "fired"
    CANCELLED = "cancelled", "cancelled"
    FAILED = "failed", "failed"  # its handler kept failing: reported by `sulh hotline audit`, never dropped


class Deadline(models.Model):
    kind = models.CharField(max_length=40, help_text="Handler, e.g. hotline.ack or protocols.due")
    subject = models.CharField(max_length=64, help_text="Id of the message or task it is about")
    step = models.IntegerField(default=0, help_text="Ladder step (hotline) or 0")
    due_at = models.DateTimeField(help_text="The deadline itself (UTC)")
    run_at = models.DateTimeField(help_text="When to try next: due_at, or later after a failed attempt")
    state = models.CharField(max_length=16, choices=DeadlineState.choices, default=DeadlineState.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    fired_by = models.CharField(max_length=120, blank=True, help_text="host:pid of the process that fired it")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One timer per step: the database itself refuses a second escalation timer for a step.
            models.UniqueConstraint(fields=["kind", "subject", "step"], name="deadline_once_per_step"),
        ]
        indexes = [
            models.Index(fields=["run_at"], condition=Q(state="pending"), name="deadline_pending_run_at"),
            models.Index(fields=["subject"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} step {self.step} due {self.due_at:%Y-%m-%d %H:%M:%S}Z ({self.state})"

    @property
    def lateness_s(self) -> float | None:
        return (self.fired_at - self.due_at).total_seconds() if self.fired_at else None
