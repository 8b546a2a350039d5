"""Threat reports between the parties, their acknowledgements, answers and missed deadlines (docs/intel.md).

A report's content is an envelope the server cannot open (sulh/intel/crypto.py): the rows hold it as the
sender's desk sealed it, with who sent it to whom, when and under which classification in clear. Reports,
acknowledgements, answers and misses are immutable once stored; a report's state columns are bookkeeping
of them. The log commits to each envelope's SHA-256, never to its ciphertext."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportState(models.TextChoices):
    SENT = "sent", _("Sent, awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged, awaiting answer")
    ANSWERED = "answered", _("Answered")


class AnswerCategory(models.TextChoices):
    ACTION_TAKEN = "action_taken", _("Action taken")
    NOTHING_FOUND = "nothing_found", _("Nothing found")
    DECLINED = "declined", _("Declined")
    NEEDS_MORE_INFORMATION = "needs_more_information", _("Needs more information")


class Report(models.Model):
    # Chosen by the sender's desk (a UUID) so that it is bound into the envelope before the server sees it.
    id = models.UUIDField(primary_key=True, editable=False)
    code = models.CharField(max_length=24, unique=True, help_text="Readable code, e.g. INTEL-2025-0003")
    sender = models.CharField(max_length=16, help_text="Sending party (organisation code)")
    receiver = models.CharField(max_length=16, help_text="Receiving party (organisation code)")
    classification = models.CharField(max_length=40, help_text="A classification code of the charter")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField()
    envelope = models.TextField(help_text="The sealed envelope (canonical JSON): ciphertext only")
    envelope_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(help_text="Bytes of the envelope")
    # Bookkeeping kept from the acknowledgement, the answer and the misses.
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.SENT)
    answer_due_at = models.DateTimeField(
        help_text="From the acknowledgement, or from the acknowledgement deadline if it was late or missing"
    )
    ack_missed = models.BooleanField(default=False)
    answer_missed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["sender"]), models.Index(fields=["receiver"])]

    def __str__(self) -> str:
        return self.code


class Acknowledgement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="acknowledgement")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_org = models.CharField(max_length=16)
    at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"ack of {self.report_id}"


class Answer(models.Model):
    """What the receiving party did: the category in clear (it counts in the compliance record), the detail
    sealed for the sending party and the mediators like the report itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="answer")
    category = models.CharField(max_length=32, choices=AnswerCategory.choices)
    envelope = models.TextField()
    envelope_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_org = models.CharField(max_length=16)
    at = models.DateTimeField(default=timezone.now)
    late = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"answer to {self.report_id}: {self.category}"


class Miss(models.Model):
    """A deadline that passed unmet: a compliance fact, recorded once by Sulh itself."""

    class What(models.TextChoices):
        ACK = "ack", _("Acknowledgement missed")
        ANSWER = "answer", _("Answer missed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="misses")
    what = models.CharField(max_length=8, choices=What.choices)
    party = models.CharField(max_length=16, help_text="The party that missed it")
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "what"], name="intel_one_miss_each")]

    def __str__(self) -> str:
        return f"{self.what} missed on {self.report_id}"
