"""Meetings of the mechanism: the schedule, each organisation's delegation, reminders, attendance, minutes and the
decisions taken (docs/meetings.md).

A meeting's `state`, `missed_by` and `revision` are bookkeeping of its logged entries (scheduled, rescheduled,
cancelled, held, missed); its times change only through a MeetingChange that says why, never silently. Attendance,
minutes, decisions and reminders are immutable rows, each logged when it is stored."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    HELD = "held", _("Held")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


# A meeting still to be held (or whose attendance is still to be recorded).
OPEN_STATES = (MeetingState.SCHEDULED, MeetingState.POSTPONED)


class Meeting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. MTG-2025-0003")
    title = models.CharField(max_length=300)
    level = models.CharField(max_length=16, help_text="Code of one of the charter's meeting levels")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    agenda = models.JSONField(default=list, help_text="The agenda items, in order (texts)")
    expected = models.JSONField(help_text="Codes of the organisations expected to attend")
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now)
    # Bookkeeping kept from the logged entries.
    state = models.CharField(max_length=16, choices=MeetingState.choices, default=MeetingState.SCHEDULED)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    missed_by = models.JSONField(default=list, blank=True, help_text="Organisations recorded absent")
    revision = models.PositiveIntegerField(default=0, help_text="How many times it was rescheduled")

    class Meta:
        ordering = ["starts_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class MeetingChange(models.Model):
    """Something that happened to a meeting's schedule or state: rescheduled (old and new times), cancelled,
    held, missed. Immutable, logged."""

    class Kind(models.TextChoices):
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")
        MISSED = "missed", _("Missed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_state = models.CharField(max_length=16, choices=MeetingState.choices)
    to_state = models.CharField(max_length=16, choices=MeetingState.choices)
    from_starts_at = models.DateTimeField(null=True, blank=True)
    from_ends_at = models.DateTimeField(null=True, blank=True)
    to_starts_at = models.DateTimeField(null=True, blank=True)
    to_ends_at = models.DateTimeField(null=True, blank=True)
    from_place = models.CharField(max_length=200, blank=True)
    to_place = models.CharField(max_length=200, blank=True)
    missed_by = models.JSONField(default=list, blank=True)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting.code}: {self.kind}"


class Delegation(models.Model):
    """Who an organisation sends, as that organisation enters it for itself: [{name, title}]. Changing it
    before the meeting is allowed (each version is in the log)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="delegations")
    organisation = models.CharField(max_length=16)
    members = models.JSONField(default=list)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "organisation"], name="one_delegation_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.meeting.code}/{self.organisation}"


class Attendance(models.Model):
    """Whether an expected organisation attended, as the mediators recorded it. Immutable: one per
    organisation and meeting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    organisation = models.CharField(max_length=16)
    present = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "organisation"], name="one_attendance_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.meeting.code}/{self.organisation}: {'present' if self.present else 'absent'}"


class Minutes(models.Model):
    """A version of the minutes (the newest is current). `document_id`: the co-signed document the minutes
    became, in the documents app (kept as an id, not a foreign key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes")
    version = models.PositiveIntegerField()
    text = models.TextField()
    document_id = models.UUIDField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "-version"]
        constraints = [models.UniqueConstraint(fields=["meeting", "version"], name="one_minutes_version")]

    def __str__(self) -> str:
        return f"{self.meeting.code} minutes v{self.version}"


class Decision(models.Model):
    """A numbered decision of a meeting. Its obligations (if any) hang on `agreement` (the meeting's own
    outcome agreement, whose clause `clause` is this decision, or an agreement the meeting produced)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    agreement = models.ForeignKey(
        "commitments.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clause = models.ForeignKey(
        "commitments.Clause", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="one_decision_number")]

    def __str__(self) -> str:
        return f"{self.meeting.code}/D{self.number}"


class DecisionObligation(models.Model):
    """An obligation a decision created. Immutable, logged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="links")
    obligation = models.OneToOneField("commitments.Obligation", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["decision", "obligation__code"]

    def __str__(self) -> str:
        return f"{self.decision}: {self.obligation_id}"


class Reminder(models.Model):
    """A reminder Sulh gave before a meeting: step i of the charter's reminders, for the start time then in
    force. One per step and start time: a rescheduled meeting is reminded again of its new time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reminders")
    step = models.PositiveSmallIntegerField()
    lead = models.CharField(max_length=32, help_text="How long before the start (ISO 8601 duration)")
    for_starts_at = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "step", "for_starts_at"], name="one_reminder_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.meeting.code} reminder {self.lead}"
