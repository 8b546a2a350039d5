"""Evidence: files attached to an incident or a claim, stored once by content hash and never modified.

The file's bytes live in the content-addressed store (see storage.py); this row keeps what is said about
them (who uploaded, when and where it was captured, on what device), apart from the file itself.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sulh.incidents.models import Audience


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    DOCUMENT = "document", _("Document")


class Evidence(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="evidence")
    claim = models.ForeignKey(
        "incidents.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    audience = models.CharField(
        max_length=16, choices=Audience.choices, default=Audience.MEDIATORS,
        help_text="For evidence on a claim, the claim's own visibility applies as well.",
    )
    # The file, by content
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=100, help_text="Detected from the bytes, not from the name.")
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    original_name = models.CharField(max_length=255, blank=True, help_text="As uploaded; never used as a path.")
    # What is said about the file
    description = models.TextField(blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    capture_latitude = models.FloatField(null=True, blank=True)
    capture_longitude = models.FloatField(null=True, blank=True)
    device = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"
