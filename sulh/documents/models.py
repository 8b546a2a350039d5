"""Co-signed documents: a joint statement, minutes or a communiqué, its versions and their signatures
(docs/documents.md).

A document is drafted as a version; freezing the version fixes its text (a C2SP signed-note text, see
text.py) and the SHA-256 of that text. Each signature is a signed-note signature line over that exact text,
made offline by an authorised signatory whose public key the charter names. The version is *agreed* when
every organisation the charter requires has signed it. An amendment is a new version that names the
previous version's hash in its own text; the old version stays as it was, marked superseded.

Versions and signatures are logged in the ledger; a version's `state` and `agreed_at` are bookkeeping of
those entries (frozen, signed, agreed)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    JOINT_STATEMENT = "joint_statement", _("Joint statement")
    MINUTES = "minutes", _("Minutes")
    COMMUNIQUE = "communique", _("Communiqué")
    OTHER = "other", _("Other")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FROZEN = "frozen", _("Frozen, awaiting signatures")
    AGREED = "agreed", _("Agreed")
    SUPERSEDED = "superseded", _("Superseded")


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. DOC-2025-0003")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    agreement = models.ForeignKey(
        "commitments.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    # The meeting these are the minutes of (sulh.meetings), by id: no foreign key, the apps stand apart.
    meeting_id = models.UUIDField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_org = models.CharField(max_length=16, help_text="Organisation code of who opened it")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "code"]

    def __str__(self) -> str:
        return self.code


class DocumentVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    title = models.CharField(max_length=300)
    body = models.TextField()
    # Fixed when frozen: the exact signed-note text the signatories sign, and its SHA-256 (hex).
    text = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_org = models.CharField(max_length=16)
    drafted_at = models.DateTimeField(default=timezone.now)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    # Bookkeeping kept from the logged entries.
    state = models.CharField(max_length=16, choices=VersionState.choices, default=VersionState.DRAFT)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_document_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.document.code} v{self.number}"


class Signature(models.Model):
    """One organisation's signature on a frozen version: immutable, logged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="signatures")
    org = models.CharField(max_length=16)
    office = models.CharField(max_length=300, help_text="The charter's signatory office the key belongs to")
    key_name = models.CharField(max_length=200)
    verifier_key = models.CharField(
        max_length=300, help_text="The charter's verifier key the line verified with"
    )
    line = models.CharField(max_length=600, help_text="The signature line, '— name base64', with its newline")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "at"]
        constraints = [models.UniqueConstraint(fields=["version", "org"], name="one_signature_per_org")]

    def __str__(self) -> str:
        return f"{self.version}: {self.org}"
