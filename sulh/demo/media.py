"""The demonstration media desks: an analyst's queue with real candidates, groups and proposals.

Six short wire-style articles about the Afghanistan–Pakistan border in October–November 2025, WRITTEN FOR THE
DEMO in their own words (never copied from a published article; each says so in its first line) and stored
under sulh/demo/articles/. Their outlets are invented ("… (demo)"); the facts and figures come from the public
reporting named in SOURCES below. They are received through the media intake like any article, so extraction,
grouping and the proposals against the demo register are the real ones.

Türkiye's desk (tur.analyst) receives five, Qatar's desk (qat.analyst) three (one of them also on Türkiye's
desk: each desk keeps its own copy and sees only its own). Türkiye's analyst then decides twice: the placed
account of the 24–25 October infiltration bids is accepted onto the incident linking proposes (the demo's
Spinwam/Ghaki incident), and an unplaced candidate that only repeats the headline is rejected with a reason.
Everything else stays pending, so the queue has work.

SOURCES (the facts behind each article; the URLs are those listed in shared/eval/media-dev/SOURCES.md):
- 01, 11–12 October: Pakistan Today (ISPR: 23 soldiers killed, 29 wounded, more than 200 attackers killed;
  Angoor Adda, Bajaur, Kurram); The Tribune, India (Mujahid: 58 soldiers killed, 30 wounded, nine Afghan
  fighters killed; firing stopped about midnight at the request of Qatar and Saudi Arabia).
- 02, 15 October: AFP via Moneycontrol (local officials: 15 civilians killed, dozens wounded); Reuters via
  Lokmat Times (Mujahid: more than 12 civilians killed, over 100 wounded); Dawn and Business Recorder (ISPR:
  four points, 15–20 Afghan Taliban killed, "blatant lies").
- 03, 24–25 October: Dawn (ISPR: five soldiers, 25 militants; 15 near Spinwam, ten at Ghaki; the Doha
  commitments).
- 04, Torkham: AZERTAC (closed on the night of 11–12 October); Dawn (Torkham and Chaman closed since the
  fighting began, trucks stranded on both sides).
- 05, background: general history (the Durand Line of 1893, the Taliban's return in August 2021, the fencing
  begun in 2017); no event of the period.
- 06, 6 November: Al Jazeera (Mujahid; Pakistan's information ministry); AFP via Asianet Newsable and Al-Ahed
  (a hospital official: four women and a man killed, six wounded; firing of 10–15 minutes)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from importlib import resources

from django.db import transaction

from sulh.accounts.models import User
from sulh.incidents.models import Incident
from sulh.media import intake, triage
from sulh.media.models import Article, ArticleSource, Candidate, CandidateStatus

from .scenario import DemoError

TUR_DESK, QAT_DESK = "tur.analyst", "qat.analyst"


@dataclass(frozen=True)
class DemoArticle:
    file: str  # under sulh/demo/articles/
    outlet: str
    published_on: dt.date
    title: str
    desks: tuple[str, ...]
    source: str = ArticleSource.FILE


ARTICLES = (
    DemoArticle("01_border_posts_11_12_october.txt", "Frontier Wire (demo)", dt.date(2025, 10, 12),
                "Pakistan says 23 soldiers killed in overnight border fighting; Kabul gives far higher figures",
                (TUR_DESK,)),
    DemoArticle("02_spin_boldak_15_october.txt", "Gulf Desk News (demo)", dt.date(2025, 10, 15),
                "Civilians among dead as fighting flares at Spin Boldak crossing", (QAT_DESK,), ArticleSource.PASTE),
    DemoArticle("03_kurram_north_waziristan_24_25_october.txt", "Frontier Wire (demo)", dt.date(2025, 10, 26),
                "Five soldiers and 25 militants killed as army stops two border crossings, military says",
                (TUR_DESK, QAT_DESK)),
    DemoArticle("04_torkham_closure.txt", "Khyber Trade Report (demo)", dt.date(2025, 10, 21),
                "Trucks stranded as Torkham stays shut for a second week", (TUR_DESK,), ArticleSource.PASTE),
    DemoArticle("05_background_durand_line.txt", "Regional Review (demo)", dt.date(2025, 10, 28),
                "Explainer: why the Afghanistan-Pakistan frontier keeps erupting", (TUR_DESK,)),
    DemoArticle("06_spin_boldak_6_november.txt", "Gulf Desk News (demo)", dt.date(2025, 11, 6),
                "Five killed as fire crosses the border at Spin Boldak while talks open in Istanbul",
                (TUR_DESK, QAT_DESK)),
)  # fmt: skip
ACCEPT_FROM = "03_kurram_north_waziristan_24_25_october.txt"
# The demo register's incident for the same night, used when linking proposes none (the title is the scenario's).
ACCEPT_FALLBACK_TITLE = "Infiltration bids at Spinwam"
REJECT_REASON = (
    "No place of its own: it restates the article's headline or lede; the placed account of the same report "
    "is the one to file."
)


def article_bytes(item: DemoArticle) -> bytes:
    return (resources.files("sulh.demo") / "articles" / item.file).read_bytes()


def is_loaded() -> bool:
    """The first article is on Türkiye's desk (the same bytes are recognised, so this is exact)."""
    first = ARTICLES[0]
    sha = hashlib.sha256(article_bytes(first)).hexdigest()
    return Article.objects.filter(sha256=sha, received_by__username=first.desks[0]).exists()


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    if is_loaded():
        say("media: already loaded")
        return
    desks = {name: User.objects.get(username=name) for name in (TUR_DESK, QAT_DESK)}
    received: dict[tuple[str, str], Article] = {}
    with transaction.atomic():
        for item in ARTICLES:
            data = article_bytes(item)
            for desk in item.desks:
                got = intake.receive(
                    desks[desk], data, outlet=item.outlet, published_on=item.published_on, title=item.title,
                    filename=item.file if item.source == ArticleSource.FILE else "", source=item.source,
                    content_type="text/plain", language="en",
                )  # fmt: skip
                received[(desk, item.file)] = got.article
        tur = desks[TUR_DESK]
        accepted = _accept(tur, received[(TUR_DESK, ACCEPT_FROM)])
        ours = [a for (desk, _f), a in received.items() if desk == TUR_DESK]
        rejected = _reject(tur, received[(TUR_DESK, ACCEPT_FROM)], ours)
    for name, user in desks.items():
        mine = [a for (desk, _f), a in received.items() if desk == name]
        pending = Candidate.objects.filter(article__in=mine, status=CandidateStatus.PENDING).count()
        say(
            f"media: {user.organisation.code} desk ({name}): {len(mine)} articles, {pending} candidates pending"
        )
    say(
        f"media: {TUR_DESK} accepted a candidate onto {accepted.incident.code} and rejected "
        f"{'one' if rejected else 'none'} with a reason"
    )


def _pending(article: Article):
    return article.candidates.filter(status=CandidateStatus.PENDING).select_related("group").order_by("seq")


def _accept(user, article: Article):
    """The article's placed candidate, onto what linking proposes or else the demo register's incident."""
    placed = [c for c in _pending(article) if c.event.get("locations")]
    if not placed:
        raise DemoError(f"media demo: {article.code} has no placed candidate to accept")
    proposed = [c for c in placed if c.group_id and c.group.incident_id]
    candidate = (proposed or placed)[0]
    if candidate.group_id and candidate.group.incident_id:
        target = candidate.group.incident
    else:
        target = Incident.objects.filter(is_demo=True, title__contains=ACCEPT_FALLBACK_TITLE).first()
    return triage.accept(user, candidate.pk, incident=target.code if target else None)


def _reject(user, article: Article, desk_articles: list[Article]):
    """An unplaced candidate (one that cannot be filed as it is): of the accepted one's article if it has one,
    else of any of the desk's articles; none if the extractor placed them all."""
    for a in (article, *desk_articles):
        unplaced = [c for c in _pending(a) if not c.event.get("locations")]
        if unplaced:
            return triage.reject(user, unplaced[0].pk, REJECT_REASON)
    return None
