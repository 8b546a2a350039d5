"""Media monitoring: who may use the desk, what they see, and the pipeline an article goes through.

    receive (intake.py: bytes → Article, duplicates recognised)
      → process: extract (extract.py) → Candidate rows, logged
      → link (linking.py: groups across articles, proposals against the register)
      → triage (triage.py: a person's Decision; only then a claim in the register)

Intake, linking and triage live in their own modules; this one holds what they share."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import QuerySet

from sulh.accounts.models import OrganisationKind, Role
from sulh.core.errors import NotFound, PermissionDenied
from sulh.incidents.models import SourceKind
from sulh.incidents.services import allowed_source_kinds
from sulh.ledger import services as ledger

from . import extract as ex
from .models import Article, ArticleStatus, Candidate, CandidateStatus
from .text import InputError

# Bumped whenever the extractor's rules change what it extracts: an article records which version read it.
EXTRACTOR_VERSION = "rules-1"


def can_use_media(user) -> bool:
    """The media desk: those who may file press claims (analysts of any organisation, the mediators' verifiers
    and leads). Each organisation's desk is its own."""
    return bool(getattr(user, "is_authenticated", False)) and SourceKind.PRESS in allowed_source_kinds(user)


def require_media(user) -> None:
    if not can_use_media(user):
        raise PermissionDenied("the media desk is for analysts and the mediators' verification staff")


def articles_of(user) -> QuerySet[Article]:
    """Articles the user may read: their own organisation's desk, nobody else's (not even the mediators read
    what a party's analysts are reading)."""
    if not can_use_media(user):
        return Article.objects.none()
    return Article.objects.filter(organisation_id=user.organisation_id)


def get_article(user, ref) -> Article:
    """By id or code, among the articles the user may read; NotFound otherwise (no hint that it exists)."""
    qs = articles_of(user)
    ref = str(ref)
    article = qs.filter(code=ref).first()
    if article is None and _uuid(ref):
        article = qs.filter(pk=ref).first()
    if article is None:
        raise NotFound(f"no article {ref!r}")
    return article


def get_candidate(user, candidate_id, *, for_update: bool = False) -> Candidate:
    if not can_use_media(user) or not _uuid(str(candidate_id)):
        raise NotFound(f"no candidate {candidate_id!r}")
    qs = Candidate.objects.filter(article__organisation_id=user.organisation_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    candidate = qs.filter(pk=candidate_id).first()
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id!r}")
    return candidate


def _uuid(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


def process(article: Article, *, charter=None, result: dict | None = None,
            vectors: dict[int, bytes] | None = None) -> list[Candidate]:  # fmt: skip
    """Extract the article's events into logged candidates (in the caller's transaction), then link them.
    An article that cannot be read (no text, a language the extractor does not read) is marked refused, with
    the reason; it stays stored, so the same bytes are still recognised when they come again. `result` and
    `vectors` (event index -> embedding) are the extraction and embeddings already made for this very text
    (sulh.media.batch)."""
    from . import linking

    try:
        if result is None:
            result = ex.extract(article.text, article.published_on, article.outlet, charter=charter,
                                article=article.code)  # fmt: skip
        else:
            result = {**result, "article": article.code}
    except InputError as exc:
        article.status, article.refusal = ArticleStatus.REFUSED, str(exc)
        article.extractor = EXTRACTOR_VERSION
        article.save(update_fields=["status", "refusal", "extractor"])
        return []
    candidates = []
    with transaction.atomic():
        for seq, event in enumerate(result["events"], start=1):
            status = CandidateStatus.BACKGROUND if event.get("background") else CandidateStatus.PENDING
            start = dt.date.fromisoformat(event["date_start"])
            end = dt.date.fromisoformat(event.get("date_end") or event["date_start"])
            candidates.append(Candidate(article=article, seq=seq, event=event, status=status, date_start=start,
                                        date_end=end))  # fmt: skip
        Candidate.objects.bulk_create(candidates)
        # one append for all of them: one lock of the log's head, one update of its frontier
        ledger.append([ledger.pending(c, "media_candidate.extracted") for c in candidates])
        pending = any(c.status == CandidateStatus.PENDING for c in candidates)
        article.status = ArticleStatus.EXTRACTED if pending else ArticleStatus.TRIAGED
        article.refusal, article.extractor = "", EXTRACTOR_VERSION
        article.save(update_fields=["status", "refusal", "extractor"])
        given = {c.pk: vectors[i] for i, c in enumerate(candidates) if vectors and i in vectors}
        linking.link_candidates([c for c in candidates if c.status == CandidateStatus.PENDING], vectors=given)
    return candidates


def mediators_desk(user) -> bool:
    """The mediators' verification staff: their decisions default to the mediators-only audience."""
    org = getattr(user, "organisation", None)
    return bool(org and org.kind == OrganisationKind.MEDIATOR and user.role in (Role.VERIFIER, Role.MEDIATOR_LEAD, Role.ANALYST))
