"""Console pages of the media desk: the triage queue, adding an article, an article with its highlighted spans
and one card per candidate (accept as proposed, file as a new incident, attach to another, reject), and the
feeds. Thin: decisions are triage.py's, intake intake.py's. Those without a desk get 404, like a page that does
not exist; so does another desk's article."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from sulh.core.errors import DomainError, NotFound, ValidationFailed

from . import services, triage
from .forms import ArticleForm, CandidateForm, FeedForm, QueueFilterForm
from .models import Article, ArticleSource, CandidateStatus

PAGE_SIZE = 50

# Highlight classes per evidence field, in order of precedence where spans overlap (a figure inside the event's
# sentence shows as the figure), and the legend's words.
KINDS = [
    ("killed", gettext_lazy("Killed")),
    ("injured", gettext_lazy("Injured")),
    ("date", gettext_lazy("Date")),
    ("locations", gettext_lazy("Place")),
    ("claimant", gettext_lazy("Claimant")),
    ("background", gettext_lazy("Background cue")),
    ("event", gettext_lazy("Event sentence")),
]
_RANK = {k: i for i, (k, _label) in enumerate(KINDS)}


def _desk_or_404(user):
    if not services.can_use_media(user):
        raise Http404(_("No such page."))


def _article_or_404(user, ref) -> Article:
    try:
        return services.get_article(user, ref)
    except NotFound:
        raise Http404(_("No such article.")) from None


def highlighted(text: str, candidates) -> str:
    """The article text as HTML with each candidate's evidence spans marked: `<mark class="hl k-date"
    data-c="2 3">`. Written here because it is a few lines over the spans the extractor gives; every piece of
    text is escaped, and spans are cut at every boundary so overlapping ones never produce broken nesting."""
    marks: list[tuple[int, int, str, int]] = []
    n = len(text)
    for c in candidates:
        for field, spans in ((c.event or {}).get("evidence") or {}).items():
            kind = field.split(".")[0]
            if kind not in _RANK:
                continue
            for span in spans:
                if len(span) == 2 and isinstance(span[0], int) and isinstance(span[1], int):
                    start, end = max(0, span[0]), min(n, span[1])
                    if start < end:
                        marks.append((start, end, kind, c.seq))
    cuts = sorted({0, n, *(m[0] for m in marks), *(m[1] for m in marks)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = escape(text[a:b])
        over = [m for m in marks if m[0] <= a and b <= m[1]]
        if not over:
            out.append(piece)
            continue
        kinds = sorted({m[2] for m in over}, key=_RANK.get)
        seqs = " ".join(str(s) for s in sorted({m[3] for m in over}))
        classes = " ".join(f"k-{k}" for k in kinds)
        out.append(f'<mark class="hl {classes}" data-c="{seqs}">{piece}</mark>')
    return mark_safe("".join(out))  # noqa: S308 — built from escaped pieces and fixed markup only


# --- queue -----------------------------------------------------------------------------------------------------


@login_required
def queue(request):
    user = request.user
    _desk_or_404(user)
    form = QueueFilterForm(request.GET or None)
    status, q = "", ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"].strip()
    if status:
        qs = triage.with_counts(services.articles_of(user)).order_by("-received_at")
        if status != "all":
            qs = qs.filter(status=status)
    else:
        qs = triage.queue(user)
    if q:
        qs = qs.filter(Q(outlet__icontains=q) | Q(title__icontains=q) | Q(code__iexact=q))
    page = Paginator(qs.select_related("received_by"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": page, "query": params.urlencode(), "awaiting": not status}
    template = "media/_queue_table.html" if request.htmx and not request.htmx.boosted else "media/queue.html"
    return render(request, template, context)


# --- adding an article -----------------------------------------------------------------------------------------


@login_required
def add(request):
    from . import intake

    user = request.user
    _desk_or_404(user)
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            upload = d.get("file")
            try:
                if upload is not None:
                    got = intake.receive(
                        user, upload.read(), outlet=d["outlet"], published_on=d["published_on"], url=d["url"],
                        title=d["title"], filename=upload.name or "", content_type=upload.content_type,
                        source=ArticleSource.FILE,
                    )  # fmt: skip
                else:
                    got = intake.receive(
                        user, d["text"].encode("utf-8"), outlet=d["outlet"], published_on=d["published_on"],
                        url=d["url"], title=d["title"], content_type="text/plain; charset=utf-8",
                        source=ArticleSource.PASTE,
                    )  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                a = got.article
                if got.created:
                    messages.success(request, _("Article %(code)s received.") % {"code": a.code})
                else:
                    messages.warning(request, _(
                        "This article was already received (%(how)s) as %(code)s: nothing was added."
                    ) % {"how": _duplicate_words(got.duplicate), "code": a.code})  # fmt: skip
                return redirect("media:article", ref=a.code)
        else:
            status = 422
    else:
        form = ArticleForm()
    return render(request, "media/add.html", {"form": form}, status=status)


def _duplicate_words(how: str) -> str:
    return {
        "same bytes": _("the same file"), "same text": _("the same text"), "same url": _("the same URL"),
    }.get(how, how)  # fmt: skip


# --- an article and its candidates -----------------------------------------------------------------------------


def _cards(user, candidates, bound: dict | None = None):
    """One card per candidate: its proposal, its decision or (pending) its form."""
    bound = bound or {}
    cards = []
    for c in candidates:
        form = None
        if c.status == CandidateStatus.PENDING:
            form = bound.get(c.pk) or CandidateForm(prefix=f"c{c.seq}", event=c.event, user=user)
        cards.append({"c": c, "p": triage.proposal(c), "form": form,
                      "decision": getattr(c, "decision", None) if c.status in ("accepted", "rejected") else None})
    return cards


def _candidates(article):
    return list(article.candidates.select_related(
        "group__incident", "decision__incident", "decision__claim__incident", "decision__proposed_incident",
        "decision__decided_by",
    ).order_by("seq"))  # fmt: skip


def _next_article(user, article):
    """The next article in the queue (oldest first) after this one, else the queue's first, for `]`."""
    rest = triage.queue(user).exclude(pk=article.pk)
    after = rest.filter(Q(received_at__gt=article.received_at) | Q(received_at=article.received_at,
                                                                    code__gt=article.code))  # fmt: skip
    return after.values_list("code", flat=True).first() or rest.values_list("code", flat=True).first()


def _article_page(request, article, bound=None, status=200):
    user = request.user
    candidates = _candidates(article)
    context = {
        "a": article,
        "marked": highlighted(article.text, candidates),
        "cards": _cards(user, candidates, bound),
        "kinds": KINDS,
        "next_article": _next_article(user, article),
        "pending": sum(1 for c in candidates if c.status == CandidateStatus.PENDING),
    }
    return render(request, "media/article.html", context, status=status)


@login_required
def article(request, ref):
    user = request.user
    _desk_or_404(user)
    return _article_page(request, _article_or_404(user, ref))


@login_required
@require_POST
def decide(request, candidate_id):
    """One decision on one candidate. htmx gets the card back (decided, or with the refusal next to its field);
    a plain form post goes back to the article."""
    user = request.user
    _desk_or_404(user)
    try:
        candidate = services.get_candidate(user, candidate_id)
    except NotFound:
        raise Http404(_("No such candidate.")) from None
    article = candidate.article
    action = request.POST.get("action", "")
    form = CandidateForm(request.POST, prefix=f"c{candidate.seq}", event=candidate.event, user=user)
    status, error = 200, ""
    try:
        if action == "reject":
            triage.reject(user, candidate.pk, request.POST.get(f"c{candidate.seq}-reason", ""))
            done = _("Candidate %(n)s rejected.")
        elif action in ("accept", "new", "attach"):
            if not form.is_valid():
                status = 422
                raise _Invalid
            d = form.cleaned_data
            if action == "accept":
                proposed = candidate.group.incident if candidate.group_id and candidate.group.incident_id else None
                target = proposed.code if proposed else None
            elif action == "attach":
                target = (d.get("incident") or "").strip()
                if not target:
                    raise ValidationFailed(_("give the code of the incident to attach to"), field="incident")
            else:
                target = None
            triage.accept(user, candidate.pk, form.edits(), incident=target, audience=d["audience"],
                          title=d.get("title") or None)  # fmt: skip
            done = _("Candidate %(n)s filed.")
        else:
            return _render_card(request, article, candidate, form, 400)
    except _Invalid:
        pass
    except DomainError as exc:
        form.add_domain_error(exc)
        status, error = exc.status, exc.message
    if status != 200:
        if request.htmx:
            return _render_card(request, article, candidate, form, status, error)
        candidate.refresh_from_db(fields=["status"])
        if error and candidate.status != CandidateStatus.PENDING:  # no form left to show it on
            messages.error(request, error)
        return _article_page(request, article, {candidate.pk: form}, status=status)
    if request.htmx:
        return _render_card(request, article, candidate, None, 200)
    messages.success(request, done % {"n": candidate.seq})
    return redirect("media:article", ref=article.code)


class _Invalid(Exception):
    """The form did not validate: its errors are shown on the card."""


def _render_card(request, article, candidate, form, status, error=""):
    candidate = next(c for c in _candidates(article) if c.pk == candidate.pk)
    bound = {candidate.pk: form} if form is not None and candidate.status == CandidateStatus.PENDING else None
    card = _cards(request.user, [candidate], bound)[0]
    if card["form"] is None:  # decided meanwhile: the refusal has no form to sit on
        card["error"] = error
    response = render(request, "media/_candidate.html", {"card": card, "a": article}, status=status)
    if status == 200:
        response["HX-Trigger"] = "media-decided"  # media.js moves to the next pending candidate
    return response


# --- feeds -----------------------------------------------------------------------------------------------------


@login_required
def feeds(request):
    from . import intake

    user = request.user
    _desk_or_404(user)
    status = 200
    form = FeedForm()
    if request.method == "POST":
        form = FeedForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                feed = intake.add_feed(user, d["url"], d["outlet"], d["language"])
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Feed %(outlet)s added.") % {"outlet": feed.outlet})
                return redirect("media:feeds")
        else:
            status = 422
    return render(request, "media/feeds.html", {"form": form, "feeds": intake.feeds_of(user)}, status=status)


@login_required
@require_POST
def poll(request, feed_id):
    from . import intake

    user = request.user
    _desk_or_404(user)
    try:
        feed = intake.get_feed(user, feed_id)
    except NotFound:
        raise Http404(_("No such feed.")) from None
    result = intake.poll_feed(user, feed)
    if result.status == "failed":
        messages.error(request, _("Polling %(outlet)s failed: %(error)s") % {"outlet": feed.outlet,
                                                                               "error": result.error})  # fmt: skip
    elif result.status == "not modified":
        messages.info(request, _("%(outlet)s: nothing new.") % {"outlet": feed.outlet})
    else:
        received = sum(1 for o in result.outcomes if o.result == "received")
        messages.success(request, ngettext("%(outlet)s: %(n)s new article, %(m)s items in the feed.",
                                           "%(outlet)s: %(n)s new articles, %(m)s items in the feed.", received) % {
            "outlet": feed.outlet, "n": received, "m": len(result.outcomes)})  # fmt: skip
    return redirect(reverse("media:feeds"))

