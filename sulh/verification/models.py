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


# --- cases ------------------------------------------------------------------------------------------------


class CaseStage(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    FINDING = "finding", _("Finding being signed")
    CLOSED = "closed", _("Closed (finding published)")


class Case(models.Model):
    """A verification case, opened by the mediators on a complaint or on their own initiative."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. CASE-2025-11-0003")
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    incidents = models.ManyToManyField("incidents.Incident", related_name="cases")
    incident_ids = models.JSONField(default=list, help_text="Ids of the incidents, as opened (logged)")
    reason = models.TextField(help_text="Why the case is opened (own initiative: what prompted it)")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    finding_due_at = models.DateTimeField(help_text="A published finding is due by then (charter)")
    reopens = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reopened_by")
    # Bookkeeping kept from the log's entries.
    stage = models.CharField(max_length=16, choices=CaseStage.choices, default=CaseStage.INVESTIGATING)
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When the finding deadline passed unmet")

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.code


class CaseMember(models.Model):
    """The case's team: mediators' verification staff assigned to it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_memberships")
    role = models.CharField(max_length=16, choices=[("lead", _("Lead")), ("member", _("Member"))], default="member")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="case_member_once")]

    def __str__(self) -> str:
        return f"{self.user} on {self.case}"


class PlanKind(models.TextChoices):
    DESK_REVIEW = "desk_review", _("Desk review")
    INFORMATION_REQUEST = "information_request", _("Request for information")
    SITE_VISIT = "site_visit", _("Site visit by a joint team")
    INTERVIEW = "interview", _("Interviews")


class PlanState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    ANSWERED = "answered", _("Answered")  # requests for information
    REFUSED = "refused", _("Refused")  # requests for information: recorded against the party
    IGNORED = "ignored", _("Not answered by the deadline")  # requests for information: against the party
    OVERDUE = "overdue", _("Not done by the deadline")


class PlanItem(models.Model):
    """One step of a case's plan, with its deadline from the charter's `verification.stages`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plan")
    kind = models.CharField(max_length=24, choices=PlanKind.choices)
    description = models.TextField()
    party = models.CharField(max_length=16, blank=True, help_text="Requests for information: the party asked")
    message = models.ForeignKey(
        "hotline.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Requests for information: the hotline message that carries it",
    )
    planned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    planned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    # Outcome (logged as the item's later versions).
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.PLANNED)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    report = models.TextField(blank=True, help_text="What was found / the party's answer")

    class Meta:
        ordering = ["planned_at"]

    def __str__(self) -> str:
        return f"{self.case.code} {self.kind}"


# --- findings -----------------------------------------------------------------------------------------------


class Outcome(models.TextChoices):
    VERIFIED = "verified", _("Verified violation")
    NO_VIOLATION = "no_violation", _("No violation")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class FindingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNING = "signing", _("Awaiting signatures")
    PUBLISHED = "published", _("Published")


class Finding(models.Model):
    """What the mediators found. Signed by the charter's number of mediators over `statement_sha256` (the
    canonical statement); published findings never change — a reopened case's finding supersedes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="findings")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    responsible = models.CharField(max_length=16, blank=True, help_text="Party found responsible (verified only)")
    confidence = models.CharField(max_length=40, blank=True, help_text="Charter confidence level code")
    clause = models.CharField(max_length=64, blank=True)
    date_start = models.DateTimeField(null=True, blank=True)
    date_end = models.DateTimeField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    deaths_low = models.PositiveIntegerField(null=True, blank=True)
    deaths_best = models.PositiveIntegerField(null=True, blank=True)
    deaths_high = models.PositiveIntegerField(null=True, blank=True)
    injured_low = models.PositiveIntegerField(null=True, blank=True)
    injured_best = models.PositiveIntegerField(null=True, blank=True)
    injured_high = models.PositiveIntegerField(null=True, blank=True)
    reasoning = models.TextField()
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(default=timezone.now)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    statement_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of what the signers sign")
    state = models.CharField(max_length=16, choices=FindingState.choices, default=FindingState.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-drafted_at"]

    def __str__(self) -> str:
        return f"finding on {self.case.code} ({self.outcome})"


class MediatorKey(models.Model):
    """A mediator's own Ed25519 public key: made and kept on their machine; they sign findings with it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediator_keys")
    public_key = models.CharField(max_length=64, help_text="Ed25519 public key, base64 (32 bytes)")
    registered_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} key {self.public_key[:8]}…"


class FindingSignature(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="signatures")
    key = models.ForeignKey(MediatorKey, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=100, help_text="Ed25519 signature of the statement, base64")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["finding", "signer"], name="one_signature_per_signer")]

    def __str__(self) -> str:
        return f"{self.signer} signed {self.finding_id}"


class Dissent(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="dissents")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    filed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"dissent by {self.author}"


class PenaltyDecision(models.Model):
    """A penalty the charter calls for on a verified finding (proposed by Sulh), and the mediators' decision."""

    class Decision(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        IMPOSED = "imposed", _("Imposed")
        WAIVED = "waived", _("Waived")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="penalties")
    penalty = models.CharField(max_length=40, help_text="Charter penalty code")
    party = models.CharField(max_length=16)
    why = models.TextField(help_text="Why the charter calls for it (severity, repetition)")
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PROPOSED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["finding", "penalty"], name="one_proposal_per_penalty")]

    def __str__(self) -> str:
        return f"{self.penalty} for {self.party} ({self.decision})"
