"""REST endpoints of the media desk (/api/v1/media/…). Thin: parse, call intake/triage/services, shape.

Only the media desk (analysts; the mediators' verifiers and leads) may use them (403 for others); an article,
candidate or feed of another organisation's desk answers 404, like one that does not exist."""


import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field, model_validator

from sulh.core.errors import ValidationFailed
from sulh.core.idempotency import idempotent
from sulh.incidents.models import Audience
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services, triage
from .models import Article, ArticleSource, ArticleStatus, Candidate, Decision

router = Router(tags=["media"])

Pair = tuple[int, int | None] | None


# --- shapes ----------------------------------------------------------------------------------------------------


class FiguresIn(Schema):
    soldiers: Pair = Field(None, description="[low, high]; high null when open-ended ('at least 24')")
    militants: Pair = None
    civilians: Pair = None


class FiguresOut(Schema):
    soldiers: list[int | None] | None = None
    militants: list[int | None] | None = None
    civilians: list[int | None] | None = None


class EventOut(Schema):
    """One extracted event, in `sulh media extract`'s shape."""

    summary: str = ""
    date_start: str | None = None
    date_end: str | None = None
    date_prec: int | None = None
    locations: list[str] = Field(default_factory=list, description="Gazetteer names, most precise first")
    country: str | None = None
    event_type: str = ""
    sub_event_type: str = ""
    actors: list[str] = Field(default_factory=list)
    claimant: str | None = None
    killed: FiguresOut = Field(default_factory=FiguresOut)
    injured: FiguresOut = Field(default_factory=FiguresOut)
    background: bool = False
    evidence: dict[str, list[list[int]]] = Field(
        default_factory=dict, description="Per field ('event', 'date', 'locations', 'killed.soldiers' …): "
        "[start, end] character spans of the article text it came from",
    )  # fmt: skip


class EventEditsIn(Schema):
    """Corrections to an extracted event: only the fields sent are changed."""

    date_start: dt.date | None = None
    date_end: dt.date | None = None
    date_prec: int | None = Field(None, ge=1, le=5)
    locations: list[str] | None = Field(None, description="Gazetteer names; the first is where the claim is")
    country: str | None = Field(None, description="Party code of the side it happened on")
    event_type: str | None = None
    sub_event_type: str | None = None
    actors: list[str] | None = None
    claimant: str | None = Field(None, max_length=150)
    killed: FiguresIn | None = None
    injured: FiguresIn | None = None
    summary: str | None = Field(None, max_length=5000, description="Filed as the claim's notes")
    alleged_violator: str | None = Field(None, description="Party code; default: as the claim implies, or none")


class AcceptIn(Schema):
    edits: EventEditsIn = Field(default_factory=EventEditsIn)
    incident: str | None = Field(None, description="Attach to this incident (code or id); null: a new incident")
    audience: Audience | None = Field(None, description="Default: mediators only for a mediators' desk, else parties")
    title: str | None = Field(None, max_length=300, description="A new incident's title")


class RejectIn(Schema):
    reason: str = Field(max_length=triage.MAX_REASON)


class IncidentRefOut(Schema):
    id: UUID
    code: str
    title: str


class ReasonOut(Schema):
    feature: str = Field(description="What was compared: time, place, type, casualties, text, proposal …")
    score: float | None = Field(description="0–1; null when the feature could not be compared")
    detail: str


class ProposalOut(Schema):
    new_incident: bool = Field(description="True: linking proposes a new incident")
    incident: IncidentRefOut | None
    score: float | None
    reasons: list[ReasonOut]


class DecisionOut(Schema):
    id: UUID
    candidate: UUID
    action: str
    incident: str | None = Field(description="Code of the incident filed on")
    claim: str | None = Field(description="Code of the claim filed (INCIDENT/Cn)")
    proposed_incident: str | None
    values: dict
    corrected: list[str]
    reason: str
    decided_by: str
    decided_at: dt.datetime


class CandidateOut(Schema):
    id: UUID
    seq: int
    status: str
    event: EventOut
    proposal: ProposalOut
    decision: DecisionOut | None


class ArticleSummaryOut(Schema):
    id: UUID
    code: str
    source: str
    outlet: str
    url: str
    title: str
    filename: str
    published_on: dt.date
    published_at: dt.datetime | None
    language: str
    status: str
    refusal: str
    received_by: str
    received_at: dt.datetime
    pending: int = Field(description="Candidates awaiting a decision")
    candidates: int = Field(description="All candidates, background ones included")

    # Rows come annotated (triage.with_counts) or as dumps (an idempotent replay re-validates its stored body).
    @staticmethod
    def resolve_received_by(obj) -> str:
        return obj["received_by"] if isinstance(obj, dict) else obj.received_by.get_username()

    @staticmethod
    def resolve_candidates(obj) -> int:
        return obj["candidates"] if isinstance(obj, dict) else obj.total


class ArticleOut(ArticleSummaryOut):
    content_type: str
    sha256: str
    feed: UUID | None
    text: str
    items: list[CandidateOut] = Field(description="The candidates, in article order")


class ReceivedOut(Schema):
    article: ArticleOut
    created: bool
    duplicate: str = Field(description="Empty for a new article; else how it was recognised "
                           "('same bytes', 'same text', 'same url')")  # fmt: skip


class ArticleIn(Schema):
    text: str | None = Field(None, description="The article as plain text (or give html)")
    html: str | None = Field(None, description="The article's web page")
    outlet: str = Field(max_length=200)
    url: str = Field("", max_length=1000)
    title: str = Field("", max_length=500)
    published_on: dt.date | None = Field(None, description="Relative dates in the text are read against it")
    published_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _one_body(self):
        if (self.text is None) == (self.html is None):
            raise ValueError("give the article as text or as html (one of them)")
        return self


class ArticleMetaIn(Schema):
    outlet: str = Field(max_length=200)
    url: str = Field("", max_length=1000)
    title: str = Field("", max_length=500)
    published_on: dt.date | None = None
    published_at: dt.datetime | None = None


class ArticleFilterIn(Schema):
    status: ArticleStatus | None = None


class FeedIn(Schema):
    url: str = Field(max_length=500, description="http or https")
    outlet: str = Field(max_length=200)
    language: str = Field("", max_length=8, description="Expected language; empty: identified per item")


class FeedOut(Schema):
    id: UUID
    url: str
    outlet: str
    language: str
    active: bool
    last_polled_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime


class OutcomeOut(Schema):
    name: str
    result: str = Field(description="received | duplicate | refused | skipped")
    message: str
    article: str | None = Field(description="The article's code")


class PollOut(Schema):
    feed: FeedOut
    status: str = Field(description="fetched | not modified | failed")
    error: str
    outcomes: list[OutcomeOut]


# --- shaping -------------------------------------------------------------------------------------------------


def decision_out(d: Decision) -> dict:
    return {
        "id": d.pk, "candidate": d.candidate_id, "action": d.action,
        "incident": d.incident.code if d.incident_id else None,
        "claim": d.claim.code if d.claim_id else None,
        "proposed_incident": d.proposed_incident.code if d.proposed_incident_id else None,
        "values": d.values, "corrected": d.corrected, "reason": d.reason,
        "decided_by": d.decided_by.get_username(), "decided_at": d.decided_at,
    }  # fmt: skip


def candidate_out(c: Candidate) -> dict:
    p = triage.proposal(c)
    inc = p["incident"]
    decision = getattr(c, "decision", None) if c.status in ("accepted", "rejected") else None
    return {
        "id": c.pk, "seq": c.seq, "status": c.status, "event": c.event,
        "proposal": {"new_incident": inc is None, "score": p["score"], "reasons": p["reasons"],
                     "incident": {"id": inc.pk, "code": inc.code, "title": inc.title} if inc else None},
        "decision": decision_out(decision) if decision else None,
    }  # fmt: skip


def candidates_of(article: Article):
    return article.candidates.select_related(
        "group__incident", "decision__incident", "decision__claim__incident", "decision__proposed_incident",
        "decision__decided_by",
    ).order_by("seq")  # fmt: skip


def summary_out(a: Article) -> dict:
    return ArticleSummaryOut.from_orm(a).model_dump()


def article_out(a: Article) -> dict:
    items = [candidate_out(c) for c in candidates_of(a)]
    a.pending, a.total = sum(1 for c in items if c["status"] == "pending"), len(items)
    out = summary_out(a)
    out.update(content_type=a.content_type, sha256=a.sha256, feed=a.feed_id, text=a.text, items=items)
    return out


def _desk(request):
    user = request.auth_user
    services.require_media(user)
    return user


def _received(got) -> Status:
    body = {"article": article_out(got.article), "created": got.created, "duplicate": got.duplicate or ""}
    return Status(201 if got.created else 200, body)


# --- articles --------------------------------------------------------------------------------------------------


@router.post(
    "/media/articles", response={201: with_receipts(ReceivedOut), 200: with_receipts(ReceivedOut)},
    summary="Receive an article (text or html): 201 new, 200 recognised as a duplicate",
)  # fmt: skip
@idempotent
@answers_receipts(ReceivedOut)
def receive_article(request: HttpRequest, payload: ArticleIn):
    from . import intake

    user = _desk(request)
    if payload.text is not None:
        data, content_type = payload.text.encode("utf-8"), "text/plain; charset=utf-8"
    else:
        data, content_type = payload.html.encode("utf-8"), "text/html; charset=utf-8"
    got = intake.receive(
        user, data, outlet=payload.outlet, published_on=payload.published_on, published_at=payload.published_at,
        url=payload.url, title=payload.title, content_type=content_type, source=ArticleSource.API,
    )  # fmt: skip
    return _received(got)


@router.post(
    "/media/articles/upload", response={201: with_receipts(ReceivedOut), 200: with_receipts(ReceivedOut)},
    summary="Receive an article file (plain text or HTML, multipart)",
)  # fmt: skip
@idempotent
@answers_receipts(ReceivedOut)
def upload_article(request: HttpRequest, file: File[UploadedFile], meta: Form[ArticleMetaIn]):
    from . import intake

    user = _desk(request)
    limit = getattr(intake, "MAX_BYTES", 10 * 1024 * 1024)
    if file.size is not None and file.size > limit:
        raise ValidationFailed(f"article too large: {file.size} bytes (at most {limit})", field="file")
    got = intake.receive(
        user, file.read(), outlet=meta.outlet, published_on=meta.published_on, published_at=meta.published_at,
        url=meta.url, title=meta.title, filename=file.name or "", content_type=file.content_type,
        source=ArticleSource.FILE,
    )  # fmt: skip
    return _received(got)


@router.get("/media/articles", response=list[ArticleSummaryOut], summary="The desk's articles, newest first")
@paginate(LimitOffsetPagination)
def list_articles(request: HttpRequest, filters: Query[ArticleFilterIn]):
    user = _desk(request)
    qs = triage.with_counts(services.articles_of(user)).select_related("received_by").order_by("-received_at")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get(
    "/media/articles/{ref}", response=ArticleOut,
    summary="An article (code or id): text, candidates with their events, proposals and decisions",
)  # fmt: skip
def get_article(request: HttpRequest, ref: str):
    return article_out(services.get_article(_desk(request), ref))


@router.get("/media/queue", response=list[ArticleSummaryOut], summary="Articles awaiting triage, oldest first")
def queue(request: HttpRequest):
    return triage.queue(_desk(request)).select_related("received_by")[:500]


# --- decisions -------------------------------------------------------------------------------------------------


@router.post(
    "/media/candidates/{candidate_id}/accept", response={201: with_receipts(DecisionOut)},
    summary="File the candidate as a press claim: on a new incident, or attached to `incident`",
)  # fmt: skip
@idempotent
@answers_receipts(DecisionOut)
def accept(request: HttpRequest, candidate_id: str, payload: AcceptIn):
    d = triage.accept(
        request.auth_user, candidate_id, payload.edits.model_dump(exclude_unset=True), incident=payload.incident,
        audience=payload.audience, title=payload.title,
    )  # fmt: skip
    return Status(201, decision_out(d))


@router.post(
    "/media/candidates/{candidate_id}/reject", response={201: with_receipts(DecisionOut)},
    summary="Reject the candidate, with a reason: nothing is filed",
)  # fmt: skip
@idempotent
@answers_receipts(DecisionOut)
def reject(request: HttpRequest, candidate_id: str, payload: RejectIn):
    return Status(201, decision_out(triage.reject(request.auth_user, candidate_id, payload.reason)))


# --- feeds -----------------------------------------------------------------------------------------------------


@router.get("/media/feeds", response=list[FeedOut], summary="The desk's feeds")
def list_feeds(request: HttpRequest):
    from . import intake

    return list(intake.feeds_of(_desk(request)))


@router.post("/media/feeds", response={201: with_receipts(FeedOut)}, summary="Add a feed (http or https URL)")
@idempotent
@answers_receipts(FeedOut)
def add_feed(request: HttpRequest, payload: FeedIn):
    from . import intake

    feed = intake.add_feed(_desk(request), payload.url, payload.outlet, payload.language)
    return Status(201, FeedOut.from_orm(feed))


def poll_out(poll) -> dict:
    return {
        "feed": FeedOut.from_orm(poll.feed).model_dump(), "status": poll.status, "error": poll.error,
        "outcomes": [{"name": o.name, "result": o.result, "message": o.message,
                      "article": o.article.code if o.article else None} for o in poll.outcomes],
    }  # fmt: skip


@router.post("/media/feeds/{feed_id}/poll", response=with_receipts(PollOut), summary="Poll a feed now")
@answers_receipts(PollOut)
def poll_feed(request: HttpRequest, feed_id: str):
    from . import intake

    user = _desk(request)
    return poll_out(intake.poll_feed(user, intake.get_feed(user, feed_id)))

