"""Verification, first part: a party's complaint against the other party, and the accused party's reply.

A complaint is immutable once lodged. The reply is the accused party's own: its draft is seen by that party
only (not the complainant, not the mediators); once submitted it is frozen and stamped with server time, so
it cannot be back-dated. Silence past the charter's deadline is recorded as silence, never as acceptance."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ComplaintState(models.TextChoices):
    AWAITING_REPLY = "awaiting_reply", _("Awaiting the accused party's reply")
    REPLIED = "replied", _("Replied")
    SILENT = "silent", _("No reply by the deadline")


class Complaint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. CMP-2025-11-0007")
    complainant = models.CharField(max_length=16, help_text="Party code of the complaining party")
    accused = models.CharField(max_length=16, help_text="Party code of the accused party")
    incidents = models.ManyToManyField("incidents.Incident", related_name="complaints")
    # The same references as plain columns, so that they are part of the logged content (the log commits to a
    # row's own columns; a many-to-many table is not one).
    incident_ids = models.JSONField(default=list, help_text="Ids of the incidents, as lodged")
    evidence_ids = models.JSONField(default=list, blank=True, help_text="Ids of the evidence cited, as lodged")
    clause = models.CharField(max_length=64, help_text="Charter clause said to be violated, e.g. DOHA-2025/2")
    account = models.TextField(help_text="What the complaining party says happened")
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(default=timezone.now)
    reply_due_at = models.DateTimeField()
    notification = models.ForeignKey(
        "hotline.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The hotline message that told the accused party",
    )
    # Bookkeeping kept from the log's entries (lodged, replied, silent).
    state = models.CharField(max_length=16, choices=ComplaintState.choices, default=ComplaintState.AWAITING_REPLY)
    silent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-lodged_at"]

    def __str__(self) -> str:
        return self.code


class ReplyPosition(models.TextChoices):
    ACCEPTS = "accepts", _("Accepts the complaint")
    DISPUTES = "disputes", _("Disputes the complaint")
    JOINT_INQUIRY = "joint_inquiry", _("Asks for a joint inquiry")


class Reply(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="reply")
    party = models.CharField(max_length=16)
    position = models.CharField(max_length=16, choices=ReplyPosition.choices)
    account = models.TextField(help_text="The accused party's own account")
    evidence_ids = models.JSONField(default=list, blank=True, help_text="Ids of the counter-evidence cited")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="Server time; never given by the client")
    late = models.BooleanField(default=False, help_text="Submitted after the deadline")

    def __str__(self) -> str:
        return f"reply to {self.complaint.code}"

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None
