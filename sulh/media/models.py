"""Media monitoring: articles in, candidate claims out, an analyst's decision on each.

An article belongs to the desk (organisation) that received it: what a party's analysts read is theirs, as
is what they decide. Everything that matters is logged: the article (its original's SHA-256 commits to the
stored bytes), each candidate as extracted, each decision. Nothing here enters the register by itself — a
`Decision` made by a person files the claim through the incidents services."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ArticleSource(models.TextChoices):
    FILE = "file", _("File")
    FEED = "feed", _("Feed")
    PASTE = "paste", _("Pasted")
    API = "api", _("API")


class ArticleStatus(models.TextChoices):
    EXTRACTED = "extracted", _("Extracted")  # candidates made (possibly none); awaiting triage while any pending
    TRIAGED = "triaged", _("Triaged")  # every candidate decided
    REFUSED = "refused", _("Refused")  # stored, but nothing could be extracted: `refusal` says why


class Feed(models.Model):
    """An RSS or Atom feed a desk polls. A feed *file* is read once and needs no row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=500)
    outlet = models.CharField(max_length=200)
    language = models.CharField(max_length=8, blank=True, help_text="Expected language; empty: identify per item.")
    active = models.BooleanField(default=True)
    etag = models.CharField(max_length=200, blank=True)
    modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "url"], name="media_feed_unique_url")]

    def __str__(self) -> str:
        return f"{self.outlet} <{self.url}>"


class Article(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. ART-2025-0042")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=ArticleSource.choices)
    feed = models.ForeignKey(Feed, on_delete=models.PROTECT, null=True, blank=True, related_name="articles")
    filename = models.CharField(max_length=300, blank=True, help_text="The file's name as received, for files.")
    outlet = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(help_text="Publication date: relative dates in the text are read against it.")
    published_at = models.DateTimeField(null=True, blank=True, help_text="Publication time, when the source gives one.")
    language = models.CharField(max_length=8, blank=True, help_text="ISO 639-1 code identified from the text.")
    content_type = models.CharField(max_length=40, help_text="text/plain, text/html or a feed item's type.")
    original = models.BinaryField(help_text="The bytes as received.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the original bytes.")
    text = models.TextField(blank=True, help_text="Plain text read from the original; extraction spans index it.")
    text_sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the text, whitespace folded.")
    status = models.CharField(max_length=12, choices=ArticleStatus.choices)
    refusal = models.TextField(blank=True)
    extractor = models.CharField(max_length=32, blank=True, help_text="Extractor version that made the candidates.")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sha256"], name="media_article_unique_original"),
        ]
        indexes = [
            models.Index(fields=["organisation", "text_sha256"], name="media_article_text"),
            models.Index(fields=["organisation", "url"], name="media_article_url"),
            models.Index(fields=["organisation", "status", "received_at"], name="media_article_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.outlet}: {self.title or self.filename}"


class CandidateStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting triage")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    BACKGROUND = "background", _("Background")  # recalled as context: shown, never queued


class CandidateGroup(models.Model):
    """Candidate claims, from one or more articles, that describe the same incident, and what linking proposes
    for them: attach to `incident`, or a new incident when it is null. Recomputed as articles arrive."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(null=True, blank=True, help_text="0–1: how well the group matches `incident`.")
    reasons = models.JSONField(default=list, blank=True, help_text="Why: one {feature, score, detail} per feature.")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"group {self.pk} → {self.incident_id or 'new incident'}"


class Candidate(models.Model):
    """One event extracted from an article, as a proposed claim (the extractor's output for it, unchanged)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="candidates")
    seq = models.PositiveIntegerField(help_text="1, 2, 3 … in the article")
    event = models.JSONField(help_text="The extracted event in `sulh media extract`'s shape, with evidence spans.")
    # The event's span, copied out of `event` so that linking finds the candidates of a period by index.
    date_start = models.DateField()
    date_end = models.DateField()
    status = models.CharField(max_length=12, choices=CandidateStatus.choices)
    group = models.ForeignKey(
        CandidateGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidates"
    )

    class Meta:
        ordering = ["article", "seq"]
        constraints = [models.UniqueConstraint(fields=["article", "seq"], name="media_candidate_unique_seq")]
        indexes = [models.Index(fields=["date_start", "date_end"], name="media_candidate_span")]

    def __str__(self) -> str:
        return f"{self.article_id} #{self.seq} ({self.status})"


class DecisionAction(models.TextChoices):
    NEW_INCIDENT = "new_incident", _("Filed as a new incident")
    ATTACH = "attach", _("Filed as a claim on an existing incident")
    REJECT = "reject", _("Rejected")


class Decision(models.Model):
    """An analyst's decision on a candidate: immutable, logged, one per candidate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="decision")
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    claim = models.ForeignKey("incidents.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="What linking proposed when the decision was made (null: a new incident).",
    )
    values = models.JSONField(default=dict, blank=True, help_text="The claim as filed, after corrections.")
    corrected = models.JSONField(default=list, blank=True, help_text="Fields the analyst changed.")
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.action} on candidate {self.candidate_id}"


class IncidentVector(models.Model):
    """The sentence embedding of a register incident's text (its title and place name: what every reader of
    the incident sees), kept so that linking embeds each incident once, not once per process or per article.
    Recomputed when the text changes (`text_sha256`)."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, primary_key=True, related_name="+")
    text_sha256 = models.CharField(max_length=64)
    model = models.CharField(max_length=64)
    vector = models.BinaryField(help_text="float32, little-endian, unit length")

    def __str__(self) -> str:
        return f"vector of {self.incident_id}"
