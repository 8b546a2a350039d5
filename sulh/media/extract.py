"""Candidate events from one news article, in the register's fields (the dev set's label shape).

    extract(text, published, outlet=None, charter=None) -> {"article", "published", "events": [...]}

Rule-based and offline; English only. The steps:

1. The text is split into paragraphs (a headline and datelines are set aside), sentences and clauses ("…, while
   the Taliban said …" is a clause of its own: it often carries a second version of the same night).
2. A clause that reports violence (a trigger word, not hypothetical, not a tally of weeks of fighting) is a
   *mention*: its dates (sulh.media.dates), places (sulh.media.gazetteer), casualty figures
   (sulh.media.numbers), claimant (sulh.media.claimants, carried from the sentence before for "it said"),
   background cues ("followed", "coincided with", "last month's", "earlier on Friday", a pluperfect outside
   reported speech) and the words that decide its type.
3. Mentions are merged into *events*: a mention joins the open event of its paragraph, or an earlier event of
   the article, unless it conflicts with it: dates that do not overlap, no shared place where both name
   places, claimants from opposite sides (one event per claim version), different figures for the same
   category, a different kind of violence (strike versus clash). A mention with no date of its own takes the
   date of the event before it; one without places inside a sentence that named places takes those.
4. Each event gets its ACLED type by the README's conventions, its country (the side its places are on; for a
   clash with places on both sides, the claimant's side), its actors, and `background`: true when a cue says it
   is context, or when it ended more than a day before the first news event of the article.
5. An event is kept only if it has a place, a figure or a date of its own: "the violence" with nothing else is
   not an event.

Every event carries `evidence`: field -> list of [start, end] character spans in the text it came from.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from . import claimants as cl
from . import dates as dt
from . import gazetteer as gz
from . import numbers as nb
from .text import InputError, Span, clauses, guess_language, paragraphs, sentences, strip_dateline

CATEGORIES = ("soldiers", "militants", "civilians")

TRIGGER = re.compile(
    r"\b(?:kill(?:ed|ing|s)?|died|dead|martyred|wound(?:ed|ing)|injur(?:ed|ing)|attack(?:ed|s|ing)?|"
    r"clash(?:es|ed)?|fighting|fought|firefight|gun\s?battle|shell(?:ing|ed)|mortars?|artillery|rockets?|"
    r"air\s?strikes?|airstrikes?|strikes?|struck|bomb(?:ed|ing|ings|s|ers?)?|explosions?|blasts?|IEDs?|"
    r"ambush(?:ed)?|fir(?:ed|ing)|opened\s+(?:up|fire)|shooting|shot\s+dead|stormed|assault|siege|"
    r"infiltrat\w+|repel\w*|beaten\s+back|threw\s+back|raids?|hit(?:s|ting)?|loss\s+of)\b",
    re.I,
)
MODAL = re.compile(
    r"\b(?:could|would|might|may|if|unless|threat(?:en\w*)?|warn\w*|risk\w*|prevent\w*|avoid|future|"
    r"possible|potential\w*|likely|vow\w*|to\s+stop|to\s+halt|to\s+curb|to\s+launch|to\s+carry\s+out|"
    r"against\s+any|demand\w*)\b",
    re.I,
)
AGGREGATE = re.compile(
    r"\b(?:weeks?|months?|years?|decades?)\s+of\b|\bwave\s+of\b|\bspate\s+of\b|\bsurge\b|\bsince\s+(?:the|its|"
    r"taking|\d{4})|\bsince\b|\bhundreds\s+of\b|\bso\s+far\b|\bin\s+recent\s+(?:weeks|months|years)\b|"
    r"\bha(?:ve|s)\s+(?:killed|left)\s+(?:hundreds|thousands|scores|dozens)\b|\bha(?:ve|s)\s+(?:waged|unleashed|"
    r"witnessed|increased)\b|\blong[\s-]running\b|\binsurgency\b|"
    r"\baccus\w+\s+\w+\s+of\s+(?:harbou?ring|sheltering|hosting)",
    re.I,
)
NEGATED = re.compile(r"\bno\s+(?:operation|casualties|one\s+was|injuries|deaths)\b|\bnot\s+(?:carried|launched)\b",
                     re.I)  # fmt: skip
BACKGROUND = re.compile(
    r"\b(?:followed|following|came\s+(?:only\s+|just\s+)?(?:(?:hours|days|weeks)\s+)?after|comes?\s+"
    r"(?:only\s+|just\s+)?(?:hours|days|weeks)\s+after|coincided\s+with|in\s+the\s+wake\s+of|previous|"
    r"earlier\s+(?:on|this|last|in)\b|last\s+(?:month|year)(?:'s|’s)?|tied\s+.{0,60}\bto\b|likened|reminder|"
    r"recalled|(?:days|weeks|months)\s+(?:ago|earlier|before)|had\s+been\s+building|trigger\s+for|"
    r"recent\s+violence\s+began|since|subsequently|the\s+(?:latest|recent)\s+(?:wave|spate)|ended\s+(?:a|the)\s+week)\b",
    re.I,
)
BEGAN = re.compile(r"\b(?:ending|ended|over)\b[^.;]{0,30}\b(?:began|started|begun)\b[^.;]*$", re.I)
PLUPERFECT = re.compile(r"\bhad\s+(?:been\s+)?\w+(?:ed|en|ht|un)\b", re.I)
REPORTED = re.compile(r"\b(?:said|says|told|claimed|added|alleged|accused|reported|confirmed|stated|wrote)\b",
                      re.I)  # fmt: skip

# --- type cues ---
SUICIDE = re.compile(r"\bsuicide\b", re.I)
IED = re.compile(r"roadside\s+bomb|\bIEDs?\b|improvised\s+explosive|landmine|\bmine\s+blast|remote[\s-]control",
                 re.I)  # fmt: skip
FIREFIGHT = re.compile(r"shot\s+dead|gun\s?battle|firefight|stormed|siege|clash\w*|ambush\w*|gunmen\s+were|"
                       r"exchange\s+of\s+fire", re.I)  # fmt: skip
AIR = re.compile(r"\bair\s?strikes?|\bairstrikes?|\bdrones?\b|\bjets\b|\baerial\b|\bbomb(?:ed|ing)\b|"
                 r"precision\s+strikes|\bstrikes?\s+(?:on|in|against|inside)\b|\bairspace\b|\braids?\b",
                 re.I)  # fmt: skip
BLAMED = re.compile(r"\b(?:blamed|accused)\b[^.]{0,40}\b(?:Pakistan|Islamabad)", re.I)
EXPLOSION = re.compile(r"\bexplosions?\b|\bblasts?\b|\bexplod\w+|\bbomb\b", re.I)
SHELL = re.compile(r"\bshell(?:ing|ed|s)?\b|\bmortars?\b|\bartillery\b|\brockets?\b|\bmissiles?\b|"
                   r"\bfir(?:ed|ing)\s+(?:on|at|across|into)\b|\bopened\s+(?:up|fire)\b|cross[\s-]border\s+fire|"
                   r"\bfiring\b|\bshooting\b|heavy\s+weapons", re.I)  # fmt: skip
RECIPROCAL = re.compile(r"hit\s+back|retaliat\w*|\brespon\w+|repl(?:ied|y)\b|return(?:ed)?\s+fire|clash\w*|"
                        r"\bfought\b|\bfighting\b|exchange[sd]?\s+of\s+fire|repel\w*|beaten\s+back|threw\s+back|"
                        r"\battack(?:ed|s)?\b", re.I)  # fmt: skip
UNANSWERED = re.compile(r"not\s+(?:been\s+)?answer\w*|unanswered|did\s+not\s+(?:respond|return|retaliate)|"
                        r"without\s+(?:responding|retaliating)|unprovoked", re.I)  # fmt: skip
MASSACRE = re.compile(r"\bmassacre\b|\bexecut\w+|\babduct\w+", re.I)

# --- casualty nouns ---
NOUNS = {
    "soldiers": r"soldiers?|troops|servicemen|personnel|paramilitar(?:y|ies)|policemen|police(?:men)?|officers|"
                r"sepoys|jawans|security\s+forces|guards|cadets",
    "militants": r"militants?|fighters?|attackers?|insurgents?|terrorists?|kh?wa?rij|infiltrators?|gunmen|"
                 r"bombers?|Taliban|assailants|commanders|members",
    "civilians": r"civilians?|people|persons|children|boys|girls|women|men|man|woman|residents|villagers|"
                 r"cricketers|students|worshippers|labou?rers|passengers|schoolchildren|pilgrims|child",
}  # fmt: skip
NOUN_RE = {c: re.compile(rf"^(?:{p})$", re.I) for c, p in NOUNS.items()}
ANY_NOUN = re.compile(rf"\b(?:{'|'.join(NOUNS.values())})\b", re.I)
AFTER_FIG = re.compile(
    r"^\s*(?:of\s+(?:the|its|their|his|her|them)\b\s*)?(?P<adj>(?:(?!(?:were|was|when|and|who|which|that|in|at|on|"
    r"by|after|before|wounded|killed|injured|dead|died|had|have|with)\b)[A-Za-z’'-]+\s+){0,3}?)"
    rf"(?P<noun>{'|'.join(NOUNS.values())})\b",
    re.I,
)
UNITS = re.compile(r"^\s*(?:-|–|%|per\s?cent|a\.m|p\.m|o'clock|minutes?|hours?|days?|weeks?|months?|years?|km|"
                   r"kilomet|miles?|points?|positions?|posts?|outposts?|tanks?|camps?|battalions?|trucks?|"
                   r"vehicles?|rounds?|nations?|countries|sides|times|places|areas|sq)", re.I)  # fmt: skip
# whole words: "two attempts" is not "two at …", "two infiltration bids" not "two in …"
BARE_OK = re.compile(r"^\s*(?:(?:were|was|had|have|killed|wounded|injured|dead|died|at|in|and|others?|more)\b|,|\.|;|$)",
                     re.I)  # fmt: skip
KILL_AFTER = re.compile(
    r"\b(?:killed|dead|died|die|martyred|lives|perished|slain|lost\s+their\s+lives)\b", re.I
)
INJ_AFTER = re.compile(r"\b(?:wounded|injured|hurt)\b", re.I)
KILL_BEFORE = re.compile(r"(?:killing|killed|kill|loss\s+of|losses\s+at|toll\s+(?:of|at|to)|rose\s+to|"
                         r"killed\s+at|dead\s+at|shot\s+dead|killing\s+of|left|leaving)\s*(?:all\s+)?$",
                         re.I)  # fmt: skip
INJ_BEFORE = re.compile(r"(?:wounding|wounded|injuring|injured)\s*(?:all\s+)?$", re.I)
SUB_BREAKDOWN = re.compile(r"^\s*of\s+them\b", re.I)


@dataclass
class Figure:
    kind: str  # killed | injured
    category: str
    value: nb.Range
    start: int
    end: int
    final: bool = False  # "all five attackers": a total that replaces an earlier figure


@dataclass
class Mention:
    para: int
    start: int
    end: int
    text: str
    sentence_places: list = field(default_factory=list)
    places: list = field(default_factory=list)  # gazetteer Mentions
    date: tuple[date, date] | None = None
    date_span: tuple[int, int] | None = None
    statement_date: date | None = None
    claimant: str | None = None
    claimant_span: tuple[int, int] | None = None
    figures: list[Figure] = field(default_factory=list)
    background_cue: tuple[int, int] | None = None
    kind: str = ""  # strike | clash | other: for merging
    clause: str = ""  # the whole clause when it told two events: who fought is said once for both


@dataclass
class Event:
    mentions: list[Mention] = field(default_factory=list)
    date: tuple[date, date] | None = None
    date_span: tuple[int, int] | None = None
    own_date: bool = False
    places: list = field(default_factory=list)
    claimant: str | None = None
    claimant_span: tuple[int, int] | None = None
    figures: dict[tuple[str, str], Figure] = field(default_factory=dict)
    background: bool = False
    kind: str = ""
    version_of: Event | None = None

    @property
    def side(self) -> str | None:
        return cl.side(self.claimant)


@dataclass
class Detail:
    """A sentence that names places but tells no violence of its own ("The first group was intercepted in the
    Spinwam area of North Waziristan on Friday"): where and when, for a lede that said neither."""

    para: int
    places: list
    date: tuple[date, date] | None
    date_span: tuple[int, int] | None
    claimant: str | None


# --- the charter --------------------------------------------------------------------------------------------------


def default_charter():
    """The configured charter when Django is set up (sulh.charter.loader.get_charter), else the bundled one."""
    from django.conf import settings

    from sulh.charter.loader import get_charter, load_charter

    if settings.configured:
        return get_charter()
    from pathlib import Path

    return _bundled(
        str(Path(__file__).resolve().parents[1] / "charter" / "charters" / "af-pak.yaml"), load_charter
    )


_BUNDLED: dict[str, Any] = {}


def _bundled(path, loader):
    if path not in _BUNDLED:
        _BUNDLED[path] = loader(path)
    return _BUNDLED[path]


# --- figures --------------------------------------------------------------------------------------------------------


def _category(adj: str, noun: str, before: str) -> str | None:
    if re.search(r"\b(?:Afghan|Taliban)\b", adj, re.I) and NOUN_RE["soldiers"].match(noun):
        return "militants"
    for cat, rx in NOUN_RE.items():
        if rx.match(noun):
            return cat
    return None


def find_figures(text: str, offset: int, skip: list[tuple[int, int]]) -> list[Figure]:
    """Casualty figures in one clause: (killed | injured, category, [low, high]) with their spans."""
    out: list[Figure] = []
    cands = []
    for m in nb.FIGURE.finditer(text):
        s, e = m.span("fig")
        if any(s < b - offset and a - offset < e for a, b in skip):
            continue
        if re.fullmatch(r"(?:19|20)\d\d", m.group("fig")):
            continue
        if text[e : e + 1] == "-" or UNITS.match(text[e:]):
            continue
        if SUB_BREAKDOWN.match(text[e:]) and text[:s].rstrip().endswith(","):
            continue
        cands.append(m)
    for i, m in enumerate(cands):
        s, e = m.span("fig")
        value = nb.figure_value(m)
        if value is None:
            continue
        nxt = cands[i + 1].start("fig") if i + 1 < len(cands) else len(text)
        after = text[e:]
        before = text[max(0, s - 30) : s]
        category = None
        noun_end = e
        fm = AFTER_FIG.match(after)
        if fm and not re.search(r"[,.;]", fm.group("adj")):
            category = _category(fm.group("adj"), fm.group("noun"), before)
            noun_end = e + fm.end()
        elif BARE_OK.match(after) or KILL_BEFORE.search(before) or INJ_BEFORE.search(before):
            if re.search(r"Pakistani\s+(?:losses|casualties|toll)", text[max(0, s - 40) : s], re.I):
                category = "soldiers"
            elif out:
                category = out[-1].category
            else:
                nouns = list(ANY_NOUN.finditer(text[:s]))
                nouns = [n for n in nouns if s - n.end() <= 60]  # a noun near enough to be what is counted
                if nouns:
                    category = _category(text[max(0, nouns[-1].start() - 20) : nouns[-1].start()],
                                         nouns[-1].group(0), before)  # fmt: skip
        if category is None:
            continue
        kind = None
        if KILL_BEFORE.search(before):
            kind = "killed"
        elif INJ_BEFORE.search(before):
            kind = "injured"
        else:
            for window in (text[noun_end:nxt], text[noun_end:]):
                k, j = KILL_AFTER.search(window), INJ_AFTER.search(window)
                if k or j:
                    kind = "killed" if k and (not j or k.start() < j.start()) else "injured"
                    break
        if kind is None:
            if out:
                kind = out[-1].kind
            else:
                continue
        end = noun_end
        # "nine children and a woman": one more of the same category
        extra = re.match(r"^\s+and\s+(?:a|an|one)\s+(?:\w+\s+)??(\w+)\b", text[noun_end:])
        if extra and _category("", extra.group(1), "") == category:
            value = nb.add(value, (1, 1))
            end = noun_end + extra.end()
        final = bool(re.search(r"\ball\s*$", before, re.I))
        out.append(Figure(kind, category, value, offset + s, offset + end, final))
    return out


def _sum_same(figures: list[Figure]) -> list[Figure]:
    """Figures of the same kind and category in one sentence add up (ten at Ghaki and fifteen at Spinwam)."""
    merged: dict[tuple[str, str], Figure] = {}
    for f in figures:
        key = (f.kind, f.category)
        if key in merged:
            g = merged[key]
            merged[key] = Figure(
                f.kind, f.category, nb.add(g.value, f.value), g.start, f.end, g.final or f.final
            )
        else:
            merged[key] = f
    return list(merged.values())


# --- mentions -------------------------------------------------------------------------------------------------------


BATTLE = re.compile(
    r"\bclash|\bfought\b|\bfighting\b|\bambush|\brepel|\bstorm|\bassault|\bsiege|\bfirefight|"
    r"\bgun\s?battle|\battack|\binfiltrat|beaten\s+back|threw\s+back|shot\s+dead",
    re.I,
)


def _kind(text: str) -> str:
    """strike | shelling | clash | other: what kind of violence a clause tells of, for merging."""
    if AIR.search(text) and not re.search(r"\bclash|\bfought|\bambush|\brepel", text, re.I):
        return "strike"
    if SHELL.search(text) and not RECIPROCAL.search(text):
        return "shelling"
    if BATTLE.search(text):
        return "clash"
    return "other"


LOCATIVE = re.compile(
    r"(?:\b(?:in|at|near|on|across|into|inside|outside|around|opposite|facing|over|of|to|including|hit|struck|"
    r"bombed|shelled)|capital,)\s+(?:the\s+)?(?:[A-Za-z-]+\s+){0,4}?$",
    re.I,
)
NOT_WHERE = re.compile(
    r"\b(?:spokes(?:man|person)|conference|talks|meeting|negotiations|delegation|visit|round|envoys|summit|"
    r"left\s+for|officer|native|resident\s+of|hails)\s+(?:\w+\s+)?(?:in|to|at|from|of)?\s*(?:the\s+)?$",
    re.I,
)
CAPITALS = ("Kabul", "Islamabad")


def _place_ok(text: str, m: gz.Mention, offset: int) -> bool:
    """A place named as where something happened, not as a seat of government speaking ("Islamabad said"),
    nor where a statement was made ("told a news conference in Kabul")."""
    s, e = m.start - offset, m.end - offset
    before = text[max(0, s - 40) : s]
    after = text[e : e + 25]
    if NOT_WHERE.search(before):
        return False
    locative = bool(re.search(r"\b(?:in|at|near|on|across|into|inside|outside|around|opposite|facing|over|of|"
                              r"including|hit|struck|bombed|shelled)\s+(?:the\s+)?(?:[A-Za-z’'-]+\s+){0,4}?$|"
                              r"capital,\s+$|,\s+$|\band\s+$|\(\s*$", before, re.I))  # fmt: skip
    if re.match(
        r"^\s+(?:explosions?|blasts?|attacks?|bombings?|strikes?|shelling|clash(?:es)?)\b", after, re.I
    ):
        return True  # "the Kabul blasts"
    if m.place.name in CAPITALS or m.place.kind == "province":
        if re.match(r"^(?:'s|’s)", after) and m.place.name in CAPITALS:
            return False
        if not locative:
            return False
    # "Islamabad said", "Kabul's delegation": a government, not a place
    return locative or not re.match(
        r"^(?:'s|’s)?\s+(?:said|says|denied|denies|dismissed|rejected|accused|accuses|alleges|alleged|blamed|"
        r"blames|wants|expected|replied|"
        r"responded|told|has|had|is|was|maintained|insists|quarrel|demand|government|regime|delegation|team|"
        r"authorities|side)\b",
        after,
    )


def _with_kind(text: str, m: gz.Mention) -> gz.Mention:
    """'Kandahar province', 'the province of Khost' -> a province; 'Kurram district' -> a district."""
    after = text[m.end : m.end + 12].lower()
    before = text[max(0, m.start - 20) : m.start].lower()
    kind = None
    if re.match(r"^\s+provinces?\b", after) or re.search(r"provinces?\s+of\s+$", before):
        kind = "province"
    elif re.match(r"^\s+district\b", after):
        kind = "district"
    if kind and kind != m.place.kind:
        place = dataclasses.replace(m.place, kind=kind, where_prec=gz.WHERE_PREC[kind])
        return gz.Mention(place, m.start, m.end, m.text)
    return m


NOT_EVENT_DATE = re.compile(
    r"\b(?:ceasefire|truce|talks|agreement|deal|round|negotiations|brokered|signed|agreed|opened|reached|"
    r"summit|meeting|pact)\b[^.;]{0,30}$",
    re.I,
)


def _nearest(dates: list, trigger_at: int):
    def dist(d):
        return trigger_at - d.end if d.end <= trigger_at else d.start - trigger_at

    return min(dates, key=dist) if dates else None


JOIN = re.compile(r",?\s+(?:and|while|whereas)\s+", re.I)


def _two_events(c: Span, s_start: int, places: list, sent_dates: list, figures: list[Figure]) -> list[Span]:
    """A clause that tells two events, cut at the "and"/"while" between them: by the README an event is a
    place and a time, so a second place with a time of its own is a second event.

    * both parts have a place and an event date: "struck Kabul on Thursday and Barmal on Friday";
    * both have a place and a figure, and the second a day counted from the first: "killed 15 to 20 at
      Spinboldak early that day, and 25 to 30 more in Kuram a day earlier".

    Two places with figures but one time ("fifteen at Spinwam and ten at Ghaki" the same night, "five soldiers
    in Angur Adda and Bajaur on Saturday") stay one event, as in the README's own example."""
    place_at = [x.start for x in places]
    figure_at = [f.start for f in figures]
    dated = [(s_start + d.start, d.kind) for d in sent_dates if not d.statement]
    taken = [(x.start, x.end) for x in places] + [(f.start, f.end) for f in figures]
    taken += [(s_start + d.start, s_start + d.end) for d in sent_dates]

    def within(points, a, b):
        return any(a <= x < b for x in points)

    parts, left = [], c.start
    for j in JOIN.finditer(c.text):
        at, after = c.start + j.start(), c.start + j.end()
        if any(a < after and at < b for a, b in taken):
            continue  # the "and" of "between 15 and 20" or of a date range
        if not (within(place_at, left, at) and within(place_at, after, c.end)):
            continue
        left_dated = within([x for x, _ in dated], left, at)
        right_dates = [k for x, k in dated if after <= x < c.end]
        figured = within(figure_at, left, at) and within(figure_at, after, c.end)
        if (left_dated and right_dates) or (figured and "relative_day" in right_dates):
            parts.append(Span(left, at, c.text[left - c.start : at - c.start]))
            left = after
    if not parts:
        return [c]
    parts.append(Span(left, c.end, c.text[left - c.start :]))
    return parts


def _detail_dates(sentence: str, sent_dates: list, statement: date | None, published: date):
    """The days a sentence without a mention gives for what it details: its event dates, a relative day
    counted from the date told before it ("on Friday …, and a second … the following day"); their union."""
    days: list[tuple[date, date]] = []
    for d in sent_dates:
        if d.statement:
            continue
        span = d.span
        if d.kind == "overnight":
            span = dt.overnight(statement or published)
        elif d.kind == "relative_day" and days:
            off = timedelta(days=dt.relative_offset(sentence[d.start : d.end]))
            day = (days[-1][0] if off.days < 0 else days[-1][1]) + off
            span = (day, day) if day <= published else None
        if span is not None:
            days.append(span)
    return (min(x[0] for x in days), max(x[1] for x in days)) if days else None


def _mentions(text: str, published: date, gaz: gz.Gazetteer, details: list[Detail] | None = None) -> list[Mention]:
    """The mentions of violence in the text; `details` (when given) receives the sentences that name places
    but hold no mention."""
    out: list[Mention] = []
    paras = paragraphs(text)
    if paras and not re.search(r"[.!?\"”]$", paras[0].text) and len(paras[0].text) < 200:
        paras = paras[1:]  # the headline repeats the lede
    last_claimant: tuple[str, tuple[int, int]] | None = None
    for pi, p in enumerate(paras):
        p = strip_dateline(p)
        para_claimant = None
        for s in sentences(p):
            sentence_places = [m for m in gaz.find(s.text)]
            sentence_places = [
                _with_kind(text, gz.Mention(m.place, m.start + s.start, m.end + s.start, m.text))
                for m in sentence_places
                if _place_ok(s.text, gz.Mention(m.place, m.start + s.start, m.end + s.start, m.text), s.start)
            ]
            sent_dates = [
                d for d in dt.find_dates(s.text, published) if not NOT_EVENT_DATE.search(s.text[: d.start])
            ]
            statement = next((d.first for d in sent_dates if d.statement and d.first), None)
            sentence_claimant = None
            told = len(out)
            for c in clauses(s):
                cue = cl.find_claimant(c.text)
                if cue:
                    claimant = (cue.claimant, (c.start + cue.start, c.start + cue.end))
                    sentence_claimant = para_claimant = last_claimant = claimant
                elif cl.has_pronoun_source(c.text) and (para_claimant or last_claimant):
                    claimant = para_claimant or last_claimant
                else:
                    claimant = sentence_claimant or para_claimant
                trig = TRIGGER.search(c.text)
                if not trig:
                    continue
                if MODAL.search(c.text[max(0, trig.start() - 40) : trig.start()]) or NEGATED.search(c.text):
                    continue
                cdates = [d for d in sent_dates if c.start - s.start <= d.start < c.end - s.start]
                day_level = any(d.kind in ("md", "dm", "night_md", "night_dm", "range_md", "range_dm")
                                for d in cdates)  # fmt: skip
                if AGGREGATE.search(c.text) and not day_level:
                    continue
                skip = [(s.start + d.start, s.start + d.end) for d in sent_dates]
                # figures over the whole clause: "and 25 to 30 more" takes its category from the figure before
                clause_figures = find_figures(c.text, c.start, skip)
                parts = _two_events(c, s.start, sentence_places, sent_dates, clause_figures)
                for part in parts:
                    m = Mention(pi, part.start, part.end, part.text)
                    m.places = [x for x in sentence_places if part.start <= x.start < part.end]
                    m.sentence_places = sentence_places
                    m.statement_date = statement
                    pdates = [d for d in cdates if part.start - s.start <= d.start < part.end - s.start]
                    event_dates = [d for d in pdates if not d.statement]
                    ptrig = TRIGGER.search(part.text)
                    trig_at = part.start - s.start + (ptrig.start() if ptrig else 0)
                    d = _nearest(event_dates, trig_at)
                    if d is not None:
                        if d.kind == "overnight":
                            other = next((x.first for x in event_dates if x.first), None)
                            m.date = dt.overnight(other or statement or published)
                        elif d.kind == "relative_day":
                            # counted from the date told just before it: in this clause, else the last
                            # mention's; after a split-off event with no date of its own, the statement's day
                            # (which that event's date then is too)
                            before = [x for x in event_dates if x.first and x.end <= d.start]
                            ref = before[-1].span if before else (out[-1].date if out and out[-1].date else None)
                            if ref is None and statement and len(parts) > 1 and part is not parts[0]:
                                ref = (statement, statement)
                            if ref is not None:
                                off = timedelta(days=dt.relative_offset(text[s.start + d.start : s.start + d.end]))
                                day = (ref[0] if off.days < 0 else ref[1]) + off
                                m.date = (day, day) if day <= published else None
                        else:
                            m.date = d.span
                            if (
                                d.span
                                and statement
                                and statement > d.span[1]
                                and BEGAN.search(s.text[max(0, d.start - 120) : d.start])
                            ):
                                # "ending an operation that began … on Monday", said on Wednesday: it ran
                                # from the day it began to the day it was said to be over
                                m.date = (d.span[0], statement)
                        m.date_span = (s.start + d.start, s.start + d.end)
                    if claimant:
                        m.claimant, m.claimant_span = claimant
                    m.figures = [f for f in clause_figures if part.start <= f.start < part.end]
                    bg = BACKGROUND.search(part.text)
                    if not bg:
                        pp = PLUPERFECT.search(part.text)
                        if pp and not REPORTED.search(s.text) and not day_level:
                            bg = pp
                    if bg:
                        m.background_cue = (part.start + bg.start(), part.start + bg.end())
                    m.kind = _kind(part.text if ptrig else c.text)
                    m.clause = c.text if len(parts) > 1 else ""
                    out.append(m)
            if details is not None and len(out) == told and sentence_places:
                span = next(((s.start + d.start, s.start + d.end) for d in sent_dates if not d.statement), None)
                details.append(Detail(pi, sentence_places, _detail_dates(s.text, sent_dates, statement, published),
                                      span, (sentence_claimant or para_claimant or (None,))[0]))  # fmt: skip
    return out


# --- events ---------------------------------------------------------------------------------------------------------


def _overlap(a, b) -> bool:
    return a is None or b is None or (a[0] <= b[1] and b[0] <= a[1])


def _names(places) -> set[str]:
    """Names of the places and of the provinces they lie in (Urgun is in Paktika)."""
    return {x.place.name for x in places} | {x.place.province for x in places if x.place.province}


def _intersect(a: nb.Range, b: nb.Range) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


def _compatible(ev: Event, m: Mention, same_para: bool, latest: bool = False, lede: bool = False) -> bool:
    """Whether mention `m` can be told of the same event, by the same claim version, as `ev`. `lede`: `ev` is
    the article's first news event."""
    if m.date is not None and ev.own_date and not _overlap(ev.date, m.date):
        return False
    side = cl.side(m.claimant)
    if side and ev.side and side != ev.side:
        return False
    names_m, names_e = _names(m.places), _names(ev.places)
    if names_m and names_e and not names_m & names_e:
        return False
    kinds = {m.kind, ev.kind} - {"other"}
    if "strike" in kinds and len(kinds) > 1:
        return False
    agree = 0
    for f in m.figures:
        g = ev.figures.get((f.kind, f.category))
        if g is not None and not f.final:
            if not _intersect(g.value, f.value):
                return False
            agree += 1
    if same_para:
        return True
    # across paragraphs a positive reason is needed: a shared place, or the same side's claim about that time
    if bool(m.background_cue) != ev.background:
        return False
    if names_m & names_e or (agree and agree == len(m.figures) and not (names_m and names_e)):
        return True
    if latest and not names_m and not m.figures and m.date is None and not ev.side:
        return True  # "Pakistan's army claimed that the attacks …": who stands behind the event just told
    if (
        lede
        and names_m
        and not names_e
        and m.para == ev.mentions[-1].para + 1
        and (ev.own_date or m.date is None or ev.date is None or m.date[1] <= ev.date[1])
    ):
        # a lede that names no place ("Nearly two dozen soldiers were killed along the border, the army said
        # on Sunday") and the paragraph after it that gives the places: one event, told twice. Without a date
        # of its own the lede is dated by its statement, so the detail's days need only come before it.
        return True
    return bool(side and side == ev.side and (m.date is None or m.date == ev.date))


def _add(ev: Event, m: Mention, context_date) -> None:
    ev.mentions.append(m)
    if m.date is not None and not ev.own_date:
        ev.date, ev.date_span, ev.own_date = m.date, m.date_span, True
    elif ev.date is None:
        ev.date = context_date
    if m.claimant and ev.claimant is None:
        ev.claimant, ev.claimant_span = m.claimant, m.claimant_span
    seen = {x.place.name for x in ev.places}
    for x in m.places:
        if x.place.name not in seen:
            ev.places.append(x)
            seen.add(x.place.name)
    for f in _sum_same(m.figures):
        key = (f.kind, f.category)
        if key not in ev.figures or f.final:
            ev.figures[key] = f
    if m.background_cue and len(ev.mentions) == 1:
        ev.background = True
    if ev.kind in ("", "other"):
        ev.kind = m.kind


def _events(mentions: list[Mention], published: date) -> list[Event]:
    events: list[Event] = []
    context = None
    context_background = False
    last_event: Event | None = None
    open_by_para: dict[int, Event] = {}
    for m in mentions:
        if m.date is None and not m.places and not m.figures and m.claimant is None and not events:
            pass
        target = None
        cur = open_by_para.get(m.para)
        if cur is not None and _compatible(cur, m, same_para=True):
            target = cur
        else:
            for ev in reversed(events):
                lede = ev is events[0] and not ev.background
                if ev is not cur and _compatible(ev, m, same_para=False, latest=ev is last_event, lede=lede):
                    target = ev
                    break
        if target is None:
            target = Event()
            if last_event is not None and cl.side(m.claimant) and last_event.side != cl.side(m.claimant):
                target.version_of = last_event  # another side's version of what was just told
            # a second version inside one sentence takes the sentence's places and date
            if (
                cur is not None
                and not m.places
                and m.sentence_places
                and cur.mentions[-1].end >= m.start - 400
            ):
                same_sentence = [x for x in cur.places if x in m.sentence_places]
                target.places = list(same_sentence)
            if m.date is None and cur is not None and cur.mentions[-1].para == m.para:
                target.date = cur.date
            events.append(target)
        fresh = not target.mentions
        _add(target, m, context)
        if fresh and m.date is None and not m.background_cue and context_background:
            target.background = True  # told in the time of a background event, with no date of its own
        if target.date is None:
            target.date = context or ((m.statement_date,) * 2 if m.statement_date else (published, published))
        context_background = target.background
        last_event = target
        context = target.date if (m.date is not None or target.own_date) else (context or target.date)
        open_by_para[m.para] = target
    return events


def _place_the_lede(events: list[Event], details: list[Detail]) -> None:
    """The first news event, told without a place, takes the places (and, lacking its own, the days) of the
    first sentence after it, in its paragraph or the next, that names places without telling violence of its
    own: "Five soldiers and 25 militants were killed as security forces foiled two attempts to infiltrate, the
    military said on Sunday. / The first group was intercepted in the Spinwam area of North Waziristan on
    Friday …". The same side's claim, and days that fit: within the lede's own days, or before its statement."""
    if not events or events[0].background or events[0].places:
        return
    ev = events[0]
    first, last = ev.mentions[0].para, ev.mentions[-1].para
    for d in details:
        if not first <= d.para <= last + 1:
            continue
        side = cl.side(d.claimant)
        if side and ev.side and side != ev.side:
            continue
        if d.date is not None and ev.date is not None:
            if ev.own_date and not _overlap(ev.date, d.date):
                continue
            if not ev.own_date and d.date[1] > ev.date[1]:
                continue
        ev.places = list(d.places)
        if d.date is not None and not ev.own_date:
            ev.date, ev.date_span, ev.own_date = d.date, d.date_span, True
        return


def _keep(ev: Event) -> bool:
    """An event needs a place, a figure or a date of its own, or to be a counter-claim about one that has."""
    if ev.places or ev.figures or ev.own_date:
        return True
    return ev.version_of is not None and ev.version_of is not ev and _keep(ev.version_of)


def _event_type(ev: Event) -> tuple[str, str]:
    t = " ".join(m.text for m in ev.mentions)
    if SUICIDE.search(t):
        return (
            ("Battles", "Armed clash")
            if FIREFIGHT.search(t)
            else ("Explosions/Remote violence", "Suicide bomb")
        )
    if IED.search(t):
        if FIREFIGHT.search(t):
            return "Battles", "Armed clash"
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    first = ev.mentions[0].text
    strike = ev.kind == "strike" or (EXPLOSION.search(first) and BLAMED.search(t)) or AIR.search(first)
    if strike and not re.search(
        r"\bclash|\bfought|\bambush|\brepel|\battack(?:ed|s)?\s+(?:on\s+)?\w*\s*posts", first, re.I
    ):
        return "Explosions/Remote violence", "Air/drone strike"
    if SHELL.search(t):
        if UNANSWERED.search(t) or not RECIPROCAL.search(t):
            return "Explosions/Remote violence", "Shelling/artillery/missile attack"
        return "Battles", "Armed clash"
    if MASSACRE.search(t):
        return "Violence against civilians", "Attack"
    if EXPLOSION.search(t) and not FIREFIGHT.search(t):
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    return "Battles", "Armed clash"


def _country(ev: Event, event_type: str) -> str | None:
    sides = [x.place.country for x in ev.places]
    text = " ".join(m.text for m in ev.mentions)
    if sides:
        if len(set(sides)) == 1:
            return sides[0]
        if event_type == "Battles" and ev.side in ("PAK", "AFG"):
            return ev.side
        return sides[0]
    if re.search(r"\b(?:on|in|inside|into)\s+(?:Afghan\s+(?:soil|territory)|Afghanistan)\b", text, re.I):
        return "AFG"
    if re.search(r"\b(?:into|inside|in)\s+Pakistan\b|Pakistani\s+(?:border\s+)?posts", text, re.I):
        return "PAK"
    return None


def _ordered_places(ev: Event) -> list[str]:
    ranked = sorted(enumerate(ev.places), key=lambda ix: (gz.RANK[_kind_in_text(ix[1])], ix[0]))
    return [x.place.name for _, x in ranked]


def _kind_in_text(m: gz.Mention) -> str:
    return m.place.kind


def _geo(ev: Event) -> dict[str, Any] | None:
    """The point of the event's most precise place, with its UCDP GED location precision."""
    ranked = sorted(enumerate(ev.places), key=lambda ix: (gz.RANK[ix[1].place.kind], ix[0]))
    for _, x in ranked:
        if x.place.lat is not None:
            return {"lat": x.place.lat, "lon": x.place.lon, "where_prec": x.place.where_prec}
    return None


def _summary(ev: Event, text: str) -> str:
    m = ev.mentions[0]
    s = " ".join(m.text.split())
    return s if len(s) <= 160 else s[:157] + "…"


def _figures_out(ev: Event, kind: str) -> dict[str, list | None]:
    out = {}
    for c in CATEGORIES:
        f = ev.figures.get((kind, c))
        out[c] = None if f is None else [f.value[0], f.value[1]]
    return out


def extract(text: str, published: date, outlet: str | None = None, *, charter=None,
            article: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The events one article reports, in the dev set's label shape (plus `evidence` spans per event)."""
    if not isinstance(published, date):
        raise InputError(f"published must be a date, got {published!r}")
    if not text or not text.strip():
        raise InputError("empty article: nothing to extract")
    lang = guess_language(text)
    if lang != "English":
        raise InputError(f"unsupported language: {lang} (only English is supported)")
    gaz = gz.gazetteer(charter)
    details: list[Detail] = []
    mentions = _mentions(text, published, gaz, details)
    events = _events(mentions, published)
    _place_the_lede(events, details)
    events = [e for e in events if _keep(e)]
    # the first news event: the earliest-placed event without a background cue, dated within a week
    anchor = next(
        (e for e in events if not e.background and e.date and e.date[1] >= published - timedelta(days=7)),
        None,
    )
    out = []
    for ev in events:
        background = ev.background
        if anchor is None or ev is not anchor and ev.date and ev.date[1] < anchor.date[0] - timedelta(days=1):
            background = True
        if ev.date and ev.date[1] < published - timedelta(days=21):
            background = True
        event_type, sub = _event_type(ev)
        first, last = ev.date or (published, published)
        civ = any(k[1] == "civilians" for k in ev.figures)
        all_text = " ".join(m.clause or m.text for m in ev.mentions)
        evidence: dict[str, list] = {"event": [[m.start, m.end] for m in ev.mentions]}
        if ev.date_span:
            evidence["date"] = [list(ev.date_span)]
        if ev.places:
            evidence["locations"] = [[x.start, x.end] for x in ev.places]
        if ev.claimant_span:
            evidence["claimant"] = [list(ev.claimant_span)]
        for (kind, cat), f in ev.figures.items():
            evidence[f"{kind}.{cat}"] = [[f.start, f.end]]
        bg_cue = next((m.background_cue for m in ev.mentions if m.background_cue), None)
        if background and bg_cue:
            evidence["background"] = [list(bg_cue)]
        out.append(
            {
                "summary": _summary(ev, text),
                "date_start": first.isoformat(),
                "date_end": last.isoformat(),
                "date_prec": dt.precision(first, last),
                "locations": _ordered_places(ev),
                "country": _country(ev, event_type),
                "geo": _geo(ev),
                "event_type": event_type,
                "sub_event_type": sub,
                "actors": cl.find_actors(all_text, event_type, sub, civ),
                "claimant": ev.claimant or "outlet",
                "killed": _figures_out(ev, "killed"),
                "injured": _figures_out(ev, "injured"),
                "background": background,
                "evidence": evidence,
            }
        )
    result: dict[str, Any] = {"article": article or "", "published": published.isoformat(), "events": out}
    if outlet:
        result["outlet"] = outlet
    return result


# --- files -------------------------------------------------------------------------------------------------------


def extract_file(path, published: date, outlet: str | None = None, *, charter=None) -> dict[str, Any]:
    """`extract` on an article file; InputError (with the file's name) for an empty, binary, undecodable or
    non-English file."""
    from pathlib import Path

    from .text import decode

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return extract(decode(data), published, outlet, charter=charter, article=path.name)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def render_text(result: dict[str, Any]) -> str:
    """A readable listing of one article's extracted events."""

    def fig(v):
        return (
            "-"
            if v is None
            else (f"{v[0]}+" if v[1] is None else str(v[0]) if v[0] == v[1] else f"{v[0]}-{v[1]}")
        )

    lines = [
        f"{result['article'] or '(text)'}  published {result['published']}  {len(result['events'])} events"
    ]
    for i, e in enumerate(result["events"]):
        span = e["date_start"] if e["date_start"] == e["date_end"] else f"{e['date_start']}..{e['date_end']}"
        lines += [
            f"#{i} {span} (prec {e['date_prec']})  {', '.join(e['locations']) or 'no place'}  [{e['country'] or '?'}]"
            f"{'  BACKGROUND' if e['background'] else ''}",
            f"   {e['event_type']} / {e['sub_event_type']}  actors: {', '.join(e['actors']) or '-'}  "
            f"claimant: {e['claimant']}",
            "   killed "
            + " ".join(f"{c}={fig(e['killed'][c])}" for c in CATEGORIES)
            + "  injured "
            + " ".join(f"{c}={fig(e['injured'][c])}" for c in CATEGORIES),
            f"   {e['summary']}",
        ]
    return "\n".join(lines) + "\n"
