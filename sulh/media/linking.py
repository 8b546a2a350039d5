"""Linking (issue 7, part 3): group candidates about the same incident, propose an incident for each group.

Two parts:

* **Pure** (no database): `event_features` / `incident_features` describe a candidate event or a register
  incident (date span, places, country, type, casualty ranges, claimant, a text and its embedding);
  `compare(a, b)` scores two of them 0..1 with structured reasons; `group_events(features)` clusters many
  (average linkage).
* **Database**: `link_candidates(candidates)` (called by services.process in the storing transaction) puts
  each new pending candidate in the best existing CandidateGroup of its organisation, or a new one, then
  `propose(group)` compares the group with the register incidents the receiving user may read and sets the
  group's proposal (incident or None for "new incident", score, reasons). `refresh_group(group)` re-proposes
  after a decision.

How compare decides (docs/media-linking.md gives the reasoning and the dev-set figures):

1. Gates, any of which means "not the same incident" (score 0): date spans more than GATE_DAYS apart; two
   events of one article with the same claimant (the extractor already merged what that source said about one
   incident, so two events are two incidents); places more than GATE_KM apart when both have coordinates.
2. Otherwise a weighted mean of the features both sides have: date, place, type, casualties, text.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from . import embeddings
from . import gazetteer as gz

# --- rules and thresholds ---------------------------------------------------------------------------------
GATE_DAYS = 2  # reports of one incident differ by a night or two ("Friday night" / "over the weekend"), not more
GATE_KM = 250  # beyond this, two places are two theatres (Kurram to Chaman is ~400 km)
WEIGHTS = {"date": 0.25, "place": 0.25, "type": 0.15, "casualties": 0.10, "text": 0.25}
# Two candidate events are one incident at or above LINK_THRESHOLD (their mean over a group, for a group);
# a group is proposed for a register incident at or above PROPOSE_THRESHOLD.
LINK_THRESHOLD = 0.6
PROPOSE_THRESHOLD = 0.6
# Cosine similarity of two MiniLM embeddings of news sentences: ~0.25 for unrelated border news (same vocabulary),
# ~0.7 and above for the same story told twice; mapped linearly onto 0..1 between these.
TEXT_FLOOR, TEXT_CEIL = 0.25, 0.75
MAX_SENTENCES = 3  # the evidence sentences that go into an event's text
# A group is compared through its most recent members only: a story repeated by dozens of outlets would
# otherwise make every new report cost as many comparisons as the group has members (and the mean of the most
# recent few is as good a witness as the mean of all).
REPRESENTATIVES = 8
# Against the register, a group speaks through its 3 most recent members: 8 × every incident of the period
# would dominate the cost of a busy day, and the proposal rarely turns on the sixth copy of a wire story.
PROPOSERS = 3

# Kinds of violence. One incident is often reported as different ACLED pairs by the two sides (README
# conventions: "a bomb followed by a firefight is Armed clash"; "cross-border fire the other side says went
# unanswered is Shelling"), so related kinds are compatible to a degree rather than different.
FAMILY = {
    "armed clash": "ground",
    "ground incursion": "ground",
    "government regains territory": "ground",
    "non-state actor overtakes territory": "ground",
    "shelling/artillery/missile attack": "fire",
    "cross-border fire": "fire",
    "air/drone strike": "air",
    "airspace violation": "air",
    "suicide bomb": "bomb",
    "remote explosive/landmine/ied": "bomb",
    "grenade": "bomb",
    "attack": "civilians",
    "abduction/forced disappearance": "civilians",
}
COMPATIBLE = {
    frozenset({"ground", "fire"}): 0.8,  # one side's clash is the other side's shelling
    frozenset({"ground", "bomb"}): 0.6,  # a bomb followed by a firefight
    frozenset({"fire", "air"}): 0.6,  # strikes across the border reported as shelling, or the reverse
    frozenset({"ground", "air"}): 0.35,
    frozenset({"bomb", "civilians"}): 0.5,
    frozenset({"ground", "civilians"}): 0.4,
    frozenset({"air", "civilians"}): 0.4,
    frozenset({"fire", "civilians"}): 0.4,
}
OTHER_KIND = 0.1
PROVINCE = 0.6  # the place score of a province in common (or a place inside the other's province)

CATEGORIES = ("soldiers", "militants", "civilians")
Range = tuple[int, int | None]


# --- features --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRef:
    name: str
    kind: str  # town | crossing | post | district | province | point (an incident's own point)
    country: str | None = None
    province: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass
class Features:
    label: str  # how the reasons name it: "ART-2025-0003 #2", an incident's code
    start: date
    end: date
    places: tuple[PlaceRef, ...] = ()
    country: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    figures: dict[str, Range] = field(default_factory=dict)  # "killed.soldiers", "killed.total", … -> range
    claimant: str | None = None
    source: str | None = None  # the article it came from (events of one article are compared by claimant)
    text: str = ""
    vector: np.ndarray | None = None

    def span(self) -> str:
        return _span(self.start, self.end)


def _span(start: date, end: date) -> str:
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"


def _place_ref(place) -> PlaceRef:
    return PlaceRef(
        name=place.name,
        kind=place.kind,
        country=place.country,
        province=place.province,
        lat=getattr(place, "lat", None),
        lon=getattr(place, "lon", None),
    )


def _range(value) -> Range | None:
    if not isinstance(value, list | tuple) or len(value) != 2 or value[0] is None:
        return None
    return (int(value[0]), None if value[1] is None else int(value[1]))


def _total(ranges: list[Range]) -> Range | None:
    """The sum of several categories' ranges: open when any is open."""
    if not ranges:
        return None
    low = sum(r[0] for r in ranges)
    high = None if any(r[1] is None for r in ranges) else sum(r[1] for r in ranges)
    return (low, high)


def evidence_text(event: dict, article_text: str) -> str:
    """The event's summary and the article sentences its evidence spans fall in (at most MAX_SENTENCES, in
    article order): what the embedding compares."""
    spans = [s for spans in (event.get("evidence") or {}).values() for s in spans if isinstance(s, list | tuple)]
    chosen: list[str] = []
    if article_text and spans:
        starts = sorted({int(s[0]) for s in spans if len(s) == 2})
        for s in _sentences(article_text):
            if any(s.start <= x < s.end for x in starts) and s.text not in chosen:
                chosen.append(s.text)
        chosen = chosen[:MAX_SENTENCES]
    summary = (event.get("summary") or "").strip()
    parts = [summary] if summary and not any(summary.rstrip("…") in c for c in chosen) else []
    return " ".join(parts + chosen)


@functools.lru_cache(maxsize=64)
def _sentences(article_text: str) -> tuple:
    """An article's sentences, split once for all its events."""
    from .text import paragraphs, sentences

    return tuple(s for p in paragraphs(article_text) for s in sentences(p))


def event_features(event: dict, *, article_text: str = "", source: str | None = None, label: str = "",
                   charter=None) -> Features:  # fmt: skip
    """Features of one extracted (or labelled) event, in `sulh media extract`'s shape."""
    gaz = gz.gazetteer(charter)
    places = []
    for name in event.get("locations") or ():
        place = gaz.lookup(name)
        places.append(_place_ref(place) if place else PlaceRef(name=name, kind="unknown", country=event.get("country")))
    figures: dict[str, Range] = {}
    for kind in ("killed", "injured"):
        block = event.get(kind) or {}
        got = []
        for cat in CATEGORIES:
            r = _range(block.get(cat))
            if r is not None:
                figures[f"{kind}.{cat}"] = r
                got.append(r)
        total = _total(got)
        if total is not None:
            figures[f"{kind}.total"] = total
    start = date.fromisoformat(event["date_start"])
    end = date.fromisoformat(event.get("date_end") or event["date_start"])
    return Features(
        label=label or (event.get("summary") or "")[:60],
        start=start,
        end=end,
        places=tuple(places),
        country=event.get("country"),
        event_type=event.get("event_type"),
        sub_event_type=event.get("sub_event_type"),
        figures=figures,
        claimant=event.get("claimant"),
        source=source,
        text=evidence_text(event, article_text),
    )


def _claim_range(low, best, high) -> Range | None:
    values = [v for v in (low, best, high) if v is not None]
    if not values:
        return None
    return (min(values), max(values))


def incident_features(incident, claims=(), *, charter=None) -> Features:
    """Features of a register incident: its span and point (with location_name, district and province read
    through the gazetteer), its type, the casualty totals its readable claims give (`claims` must be the claims
    the asking user may read), and a text made of its title and place name. The text is the same for every
    reader, so its embedding is computed once per incident and kept (IncidentVector); the claims' own words
    stay out of it because which claims a desk may read differs from desk to desk."""
    gaz = gz.gazetteer(charter)
    places = [PlaceRef(name=incident.location_name or incident.code, kind="point", country=incident.side or None,
                       province=incident.province or "", lat=incident.latitude, lon=incident.longitude)]  # fmt: skip
    for name in (incident.location_name, incident.district, incident.province):
        place = gaz.lookup(name) if name else None
        if place is not None and all(p.name != place.name for p in places[1:]):
            places.append(_place_ref(place))
    killed, injured = [], []
    for c in claims:
        parts = [c.deaths_a, c.deaths_b, c.deaths_civilians, c.deaths_unknown]
        summed = sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
        r = _claim_range(c.deaths_low, c.deaths_best, c.deaths_high) or (None if summed is None else (summed, summed))
        if r:
            killed.append(r)
        r = _claim_range(c.injured_low, c.injured_best, c.injured_high)
        if r:
            injured.append(r)
    figures: dict[str, Range] = {}
    if killed:  # the claims' range: from the lowest figure any claim gives to the highest
        figures["killed.total"] = (min(r[0] for r in killed), max(r[1] for r in killed))
    if injured:
        figures["injured.total"] = (min(r[0] for r in injured), max(r[1] for r in injured))
    start, end = _utc_date(incident.date_start), _utc_date(incident.date_end)
    return Features(
        label=incident.code,
        start=start,
        end=max(start, end),
        places=tuple(places),
        country=incident.side or None,
        event_type=incident.event_type,
        sub_event_type=incident.sub_event_type,
        figures=figures,
        claimant=None,
        source=None,
        text=incident_text(incident),
    )


def incident_text(incident) -> str:
    return " ".join(" ".join(t.split()) for t in (incident.title, incident.location_name) if t)


def _utc_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value


def with_vectors(features: list[Features]) -> list[Features]:
    """Embed the texts of those without a vector, all in one batch."""
    todo = [f for f in features if f.vector is None]
    if todo:
        for f, v in zip(todo, embeddings.embed([f.text for f in todo]), strict=True):
            f.vector = v
    return features


# --- comparing two ---------------------------------------------------------------------------------------------


def _reason(feature: str, score: float, detail: str, **extra) -> dict[str, Any]:
    return {"feature": feature, "score": round(float(score), 3), "detail": detail, **extra}


def date_score(a: Features, b: Features) -> tuple[float | None, str]:
    """None when the gate applies. Overlapping spans score 0.5 plus half the share of the wider span they
    overlap (the same day: 1; a night against a month: about 0.5); spans a day or more apart score less the
    further apart they are."""
    gap = max((b.start - a.end).days, (a.start - b.end).days)
    if gap > GATE_DAYS:
        return None, f"{a.span()} and {b.span()}: more than {GATE_DAYS} days apart"
    if gap <= 0:
        overlap = (min(a.end, b.end) - max(a.start, b.start)).days + 1
        wider = max((a.end - a.start).days, (b.end - b.start).days) + 1
        if a.start == b.start and a.end == b.end:
            return 1.0, f"both {a.span()}"
        return 0.5 + 0.5 * overlap / wider, f"{a.span()} and {b.span()} overlap"
    return 0.6 - 0.2 * gap, f"{a.span()} and {b.span()}: {gap} day{'s' if gap > 1 else ''} apart"


def km(p: PlaceRef, q: PlaceRef) -> float | None:
    """Great-circle distance (haversine; a library for one formula would add nothing)."""
    if None in (p.lat, p.lon, q.lat, q.lon):
        return None
    la1, lo1, la2, lo2 = map(math.radians, (p.lat, p.lon, q.lat, q.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


@functools.lru_cache(maxsize=16384)
def _norm(name: str) -> str:
    return gz.normalise(name)  # the same few hundred names, compared millions of times on a busy day


def _pair_place(p: PlaceRef, q: PlaceRef) -> tuple[float, str, float | None]:
    d = km(p, q)
    best, why = 0.0, f"{p.name} and {q.name}"
    # a province is tens of thousands of km²: sharing one says less than sharing a district or a town
    if _norm(p.name) == _norm(q.name):
        return (PROVINCE if "province" in (p.kind, q.kind) else 1.0), f"both in {p.name}", d
    for inner, outer in ((p, q), (q, p)):
        if outer.kind == "province" and inner.province and _norm(inner.province) == _norm(outer.name):
            best, why = PROVINCE, f"{inner.name} is in {outer.name}"
    if best < 0.5 and p.province and q.province and p.kind != "province" and q.kind != "province" \
            and _norm(p.province) == _norm(q.province):  # fmt: skip
        best, why = 0.5, f"{p.name} and {q.name} are both in {p.province}"
    if d is not None:
        # within 10 km: the same place; then falling to 0 at 150 km (a district's width is 50-100 km)
        by_distance = 1.0 if d <= 10 else max(0.0, 1 - (d - 10) / 140)
        if by_distance > best:
            best, why = by_distance, f"{p.name} and {q.name} are {d:.0f} km apart"
    return best, why, d


def place_score(a: Features, b: Features) -> tuple[float | None, str, bool]:
    """(score or None when neither names a place, detail, gated)."""
    if not a.places and not b.places:
        return None, "neither names a place", False
    if not a.places or not b.places:
        named = a if a.places else b
        return 0.3, f"only {named.label or 'one'} names a place ({named.places[0].name})", False
    best, why, nearest = -1.0, "", None
    for p in a.places:
        for q in b.places:
            s, w, d = _pair_place(p, q)
            if d is not None:
                nearest = d if nearest is None else min(nearest, d)
            if s > best:
                best, why = s, w
    if best <= 0 and nearest is not None and nearest > GATE_KM:
        return 0.0, f"{a.places[0].name} and {b.places[0].name}: {nearest:.0f} km apart at the nearest", True
    if best <= 0:
        why = f"{', '.join(p.name for p in a.places[:3])} and {', '.join(q.name for q in b.places[:3])}: " \
              f"no place in common" + (f" (nearest {nearest:.0f} km)" if nearest is not None else "")  # fmt: skip
    return max(best, 0.0), why, False


def type_score(a: Features, b: Features) -> tuple[float | None, str]:
    if not a.sub_event_type or not b.sub_event_type:
        return None, "type not known on both sides"
    sa, sb = a.sub_event_type.casefold(), b.sub_event_type.casefold()
    if sa == sb:
        return 1.0, f"both {a.sub_event_type}"
    fa, fb = FAMILY.get(sa, sa), FAMILY.get(sb, sb)
    if fa == fb:
        return 0.9, f"{a.sub_event_type} and {b.sub_event_type}: the same kind of violence"
    s = COMPATIBLE.get(frozenset({fa, fb}), OTHER_KIND)
    return s, f"{a.sub_event_type} and {b.sub_event_type}" + (
        ": compatible (sides often report one incident as different types)" if s >= 0.5 else ": different kinds"
    )


def _range_text(r: Range) -> str:
    return f"{r[0]}+" if r[1] is None else (str(r[0]) if r[0] == r[1] else f"{r[0]}–{r[1]}")


def _figure_score(x: Range, y: Range) -> float:
    """1 when the ranges meet; else the ratio of the nearer ends, scaled down (sides give different figures
    for one incident, so a mismatch weighs little)."""
    xl, xh = x
    yl, yh = y
    if (xh is None or yl <= xh) and (yh is None or xl <= yh):
        return 1.0
    lo, hi = (xh, yl) if xh is not None and xh < yl else (yh, xl)
    return 0.7 * (lo / hi) if hi else 0.0


def casualty_score(a: Features, b: Features) -> tuple[float | None, str]:
    shared = [k for k in a.figures if k in b.figures and not k.endswith(".total")]
    if not shared:  # different categories, or an incident's totals: compare the totals
        shared = [k for k in ("killed.total", "injured.total") if k in a.figures and k in b.figures]
    if not shared:
        return None, "no casualty figure on both sides"
    scores = [_figure_score(a.figures[k], b.figures[k]) for k in shared]
    detail = "; ".join(f"{k.replace('.', ' ')} {_range_text(a.figures[k])} vs {_range_text(b.figures[k])}"
                       for k in shared)  # fmt: skip
    return sum(scores) / len(scores), detail


def text_score(a: Features, b: Features) -> tuple[float | None, str]:
    if a.vector is None or b.vector is None:
        with_vectors([f for f in (a, b) if f.vector is None])
    if not a.vector.any() or not b.vector.any():
        return None, "no text on one side"
    cos = float(np.dot(a.vector, b.vector))
    s = min(1.0, max(0.0, (cos - TEXT_FLOOR) / (TEXT_CEIL - TEXT_FLOOR)))
    return s, f"text similarity {cos:.2f} (cosine of the sentence embeddings)"


def gate(a: Features, b: Features) -> str | None:
    """Why the two can never be one incident, or None."""
    if a.source and a.source == b.source and a.claimant and a.claimant == b.claimant:
        return f"two events of one article with one claimant ({a.claimant})"
    gap = max((b.start - a.end).days, (a.start - b.end).days)
    if gap > GATE_DAYS:
        return f"{a.span()} and {b.span()}: more than {GATE_DAYS} days apart"
    return None


def _without_text(a: Features, b: Features) -> tuple[float, float, list[dict[str, Any]]] | None:
    """The weighted sum and weight of every feature but the text, with their reasons; None when gated."""
    why = gate(a, b)
    if why:
        return None
    ps, pd, gated = place_score(a, b)
    if gated:
        return None
    reasons, total, weight = [], 0.0, 0.0
    ds, dd = date_score(a, b)
    ts, td = type_score(a, b)
    cs, cd = casualty_score(a, b)
    for name, sc, d in (("date", ds, dd), ("place", ps, pd), ("type", ts, td), ("casualties", cs, cd)):
        if sc is None:
            reasons.append({"feature": name, "score": None, "detail": d})
            continue
        total += WEIGHTS[name] * sc
        weight += WEIGHTS[name]
        reasons.append(_reason(name, sc, d))
    return total, weight, reasons


def needs_text(a: Features, b: Features, floor: float) -> bool:
    """Whether the text could matter: not gated, and a perfect text score would lift the pair to `floor`."""
    part = _without_text(a, b)
    if part is None:
        return False
    total, weight, _ = part
    return (total + WEIGHTS["text"]) / (weight + WEIGHTS["text"]) >= floor


def compare(a: Features, b: Features, floor: float | None = None) -> tuple[float, list[dict[str, Any]]]:
    """How likely `a` and `b` report the same incident, 0..1, and why (one reason per feature).

    With `floor`, the text is compared only where it could lift the pair to `floor`; elsewhere it counts as
    no similarity (the pair stays below the floor either way), which spares embedding a text that cannot change
    any decision — most of the register's incidents near a candidate's dates, at most of a busy day's reports."""
    part = _without_text(a, b)
    if part is None:
        why = gate(a, b) or place_score(a, b)[1]
        return 0.0, [_reason("gate", 0.0, why)]
    total, weight, reasons = part
    if floor is not None and (total + WEIGHTS["text"]) / (weight + WEIGHTS["text"]) < floor:
        xs, xd = 0.0, "not compared: the other features rule the pair out"
    else:
        xs, xd = text_score(a, b)
    if xs is None:
        reasons.append({"feature": "text", "score": None, "detail": xd})
    else:
        total += WEIGHTS["text"] * xs
        weight += WEIGHTS["text"]
        reasons.append(_reason("text", xs, xd))
    return (total / weight if weight else 0.0), reasons


def embed_where_needed(pairs, floor: float) -> None:
    """One batch of embeddings for the features of the pairs whose text could matter (see compare's floor)."""
    todo, seen = [], set()
    for a, b in pairs:
        if (a.vector is None or b.vector is None) and needs_text(a, b, floor):
            for f in (a, b):
                if f.vector is None and id(f) not in seen:
                    seen.add(id(f))
                    todo.append(f)
    with_vectors(todo)


def similarity_matrix(features: list[Features]) -> np.ndarray:
    """compare() of every pair (1 on the diagonal); pairs the date gate rules out are not compared."""
    with_vectors(features)
    n = len(features)
    sim = np.eye(n)
    starts = np.array([f.start.toordinal() for f in features])
    ends = np.array([f.end.toordinal() for f in features])
    for i in range(n):
        gaps = np.maximum(starts[i + 1 :] - ends[i], starts[i] - ends[i + 1 :])
        for j in np.nonzero(gaps <= GATE_DAYS)[0] + i + 1:
            sim[i, j] = sim[j, i] = compare(features[i], features[j])[0]
    return sim


def group_events(features: list[Features], threshold: float = LINK_THRESHOLD) -> list[int]:
    """Group ids (0, 1, … in order of first appearance), one per event: average-linkage clustering of
    1 - compare(), cut where the mean similarity between two clusters falls below `threshold`."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(features)
    if n < 2:
        return [0] * n
    dist = 1.0 - similarity_matrix(features)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    raw = fcluster(tree, t=1.0 - threshold, criterion="distance")
    ids: dict[int, int] = {}
    return [ids.setdefault(int(c), len(ids)) for c in raw]


def combine(results: list[tuple[float, list[dict]]]) -> tuple[float, list[dict[str, Any]]]:
    """One member against many (a group): the mean score, and per feature the mean of its scores with the
    detail of the best-matching member."""
    if not results:
        return 0.0, []
    score = sum(s for s, _ in results) / len(results)
    best = max(results, key=lambda r: r[0])[1]
    out = []
    for r in best:
        scores = [x["score"] for _, rs in results for x in rs if x["feature"] == r["feature"] and x["score"] is not None]
        mean = round(sum(scores) / len(scores), 3) if scores else None
        out.append({**r, "score": mean if r["score"] is not None or mean is not None else None})
    return score, out


# --- the database part --------------------------------------------------------------------------------------


class _LRU:
    """A small thread-safe LRU map (functools.lru_cache cannot hold values computed in batches)."""

    def __init__(self, size: int):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


# candidate features by (candidate id, event hash); incident vectors by (incident id, version, updated_at,
# text hash): the text is made of the claims the asking user may read, so it is part of the key
_candidates = _LRU(50_000)
_incidents = _LRU(20_000)


def _event_key(candidate) -> tuple:
    import json

    digest = hashlib.sha256(json.dumps(candidate.event, sort_keys=True).encode()).hexdigest()
    return (str(candidate.pk), digest)


def candidate_label(candidate) -> str:
    return f"{candidate.article.code} #{candidate.seq}"


def candidate_features(candidates, *, charter=None) -> list[Features]:
    """Features of stored candidates, cached per process (article texts read in one query for those not
    cached); their vectors are added in place when a comparison needs them (embed_where_needed)."""
    from .models import Article

    keys = [_event_key(c) for c in candidates]
    out: list[Features | None] = [_candidates.get(k) for k in keys]
    missing = [i for i, f in enumerate(out) if f is None]
    if missing:
        texts = dict(Article.objects.filter(pk__in={candidates[i].article_id for i in missing}).values_list("pk", "text"))
        for i in missing:
            c = candidates[i]
            out[i] = event_features(c.event, article_text=texts.get(c.article_id, ""), source=str(c.article_id),
                                    label=candidate_label(c), charter=charter)  # fmt: skip
            _candidates.put(keys[i], out[i])
    return out  # type: ignore[return-value]


def _linked_statuses():
    from .models import CandidateStatus

    return [CandidateStatus.PENDING, CandidateStatus.ACCEPTED]


def link_candidates(candidates, *, charter=None, vectors: dict | None = None) -> None:
    """Group the new pending candidates (in the caller's transaction) and propose an incident per group.
    `vectors`: embeddings already made for some of them (candidate pk -> float32 bytes, sulh.media.batch)."""
    from django.utils import timezone

    from .models import Candidate, CandidateGroup, CandidateStatus

    new = [c for c in candidates if c.status == CandidateStatus.PENDING]
    if not new:
        return
    org_id = new[0].article.organisation_id
    new_f = candidate_features(new, charter=charter)
    for c, f in zip(new, new_f, strict=True):
        if vectors and c.pk in vectors and f.vector is None:
            f.vector = np.frombuffer(vectors[c.pk], dtype="<f4").copy()
    lo = min(f.start for f in new_f) - timedelta(days=GATE_DAYS)
    hi = max(f.end for f in new_f) + timedelta(days=GATE_DAYS)
    # The organisation's grouped candidates whose dates come within the gate of the new ones, most recent
    # first: ids only (an indexed range), then the rows of each group's REPRESENTATIVES.
    recent = (
        Candidate.objects.filter(article__organisation_id=org_id, status__in=_linked_statuses(), group__isnull=False,
                                 date_start__lte=hi, date_end__gte=lo)  # fmt: skip
        .exclude(pk__in=[c.pk for c in new])
        .order_by("-article__received_at", "-seq")
        .values_list("id", "group_id")
    )
    chosen: dict[Any, list] = {}
    for pk, gid in recent:
        rows = chosen.setdefault(gid, [])
        if len(rows) < REPRESENTATIVES:
            rows.append(pk)
    by_pk = {c.pk: c for c in Candidate.objects.filter(pk__in=[pk for ids in chosen.values() for pk in ids])
             .select_related("article").only("id", "seq", "event", "status", "group_id", "article_id", "article__code")}  # fmt: skip
    members: dict[Any, list[tuple[Any, Features]]] = {
        gid: [(by_pk[pk], None) for pk in reversed(ids)] for gid, ids in chosen.items()  # oldest first
    }
    kept = [c for rows in members.values() for c, _ in rows]
    feats = dict(zip((c.pk for c in kept), candidate_features(kept, charter=charter), strict=True))
    members = {gid: [(c, feats[c.pk]) for c, _ in rows] for gid, rows in members.items()}
    touched = {}
    # one batch of embeddings for every comparison below whose text could matter
    embed_where_needed([(f, g) for f in new_f for rows in members.values() for _, g in rows[-REPRESENTATIVES:]]
                       + [(f, g) for f in new_f for g in new_f if f is not g], LINK_THRESHOLD)  # fmt: skip
    for c, f in zip(new, new_f, strict=True):
        best, best_score = None, LINK_THRESHOLD
        for gid, rows in members.items():
            rows = rows[-REPRESENTATIVES:]
            embed_where_needed([(f, g) for _, g in rows], LINK_THRESHOLD)
            score = sum(compare(f, g, LINK_THRESHOLD)[0] for _, g in rows) / len(rows)
            if score >= best_score:
                best, best_score = gid, score
        if best is None:
            group = CandidateGroup.objects.create(organisation_id=org_id, updated_at=timezone.now())
            best = group.pk
            touched[best] = group
        c.group_id = best
        c.save(update_fields=["group"])
        members.setdefault(best, []).append((c, f))
        touched.setdefault(best, None)
    groups = {g.pk: g for g in CandidateGroup.objects.filter(pk__in=[k for k, v in touched.items() if v is None])}
    groups.update({k: v for k, v in touched.items() if v is not None})
    for gid in touched:
        propose(groups[gid], charter=charter)


def refresh_group(group, *, charter=None):
    """Re-propose after a decision (or anything else that changes the group or the register)."""
    return propose(group, charter=charter)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def propose(group, *, charter=None):
    """Compare the group's pending/accepted candidates with the register incidents the receiving user may
    read (within GATE_DAYS of their dates) and store the proposal: the best incident at or above
    PROPOSE_THRESHOLD, else none (a new incident) with the best rejected one named in the reasons. Once a
    candidate of the group has been filed on an incident, that incident is proposed, and the reasons say so."""
    from django.db.models import Count
    from django.utils import timezone

    from sulh.incidents.models import Claim, claim_visibility_q
    from sulh.incidents.services import IncidentFilter, search_incidents

    from .models import Candidate, Decision

    members = Candidate.objects.filter(group=group, status__in=_linked_statuses())
    size = members.aggregate(n=Count("id"), articles=Count("article", distinct=True))
    rows = list(  # the most recent members speak for the group (PROPOSERS)
        members.select_related("article", "article__received_by", "article__received_by__organisation")
        .defer("article__original", "article__text")
        .order_by("-article__received_at", "seq")[:PROPOSERS]
    )
    decisions = list(
        Decision.objects.filter(candidate__group=group, incident__isnull=False)
        .select_related("candidate__article").order_by("-decided_at")
    )  # fmt: skip
    if not rows:
        rows = [d.candidate for d in decisions]
    if not rows:
        group.incident, group.score, group.reasons = None, None, []
        group.updated_at = timezone.now()
        group.save(update_fields=["incident", "score", "reasons", "updated_at"])
        return group
    feats = candidate_features(rows[:PROPOSERS], charter=charter)
    user = rows[0].article.received_by
    lo = min(f.start for f in feats) - timedelta(days=GATE_DAYS)
    hi = max(f.end for f in feats) + timedelta(days=GATE_DAYS)
    visible = search_incidents(user, IncidentFilter(since=_day_start(lo), until=_day_start(hi + timedelta(days=1))))
    incidents = list(visible[:200])
    decided = [d for d in decisions if d.incident_id]
    known = {i.pk for i in incidents}
    missing = [d.incident_id for d in decided if d.incident_id not in known]
    if missing:  # a filed-on incident outside the window (its dates were corrected): still only if readable
        incidents += list(search_incidents(user).filter(pk__in=missing))
    claims: dict[Any, list] = {}
    for c in Claim.objects.filter(claim_visibility_q(user), incident__in=[i.pk for i in incidents]).only(
        "id", "version", "incident_id", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "deaths_low", "deaths_best",
        "deaths_high", "injured_low", "injured_best", "injured_high", "notes", "narrative",
    ):  # fmt: skip
        claims.setdefault(c.incident_id, []).append(c)
    inc_f = _incident_features(incidents, claims, charter)
    stored_vectors(incidents, inc_f)
    fresh = [(inc, f) for inc, f in zip(incidents, inc_f, strict=True) if f.vector is None]
    embed_where_needed([(m, f) for f in inc_f for m in feats], PROPOSE_THRESHOLD)
    keep_vectors([(inc, f) for inc, f in fresh if f.vector is not None])
    scored = []
    for inc, f in zip(incidents, inc_f, strict=True):
        score, reasons = combine([compare(m, f, PROPOSE_THRESHOLD) for m in feats])
        scored.append((score, inc, reasons))
    scored.sort(key=lambda x: -x[0])
    n, n_art = (size["n"], size["articles"]) if size["n"] else (len(rows), len({r.article_id for r in rows}))
    head = [_reason("group", 1.0, f"{n} candidate{'s' if n != 1 else ''} from {n_art} "
                                  f"article{'s' if n_art != 1 else ''}")]  # fmt: skip
    by_pk = {inc.pk: (score, inc, reasons) for score, inc, reasons in scored}
    filed = next((d for d in decided if d.incident_id in by_pk), None)
    if filed is not None:
        score, inc, reasons = by_pk[filed.incident_id]
        detail = f"{candidate_label(filed.candidate)} was filed on {inc.code} ({inc.title})"
        group.incident, group.score = inc, round(score, 3)
        group.reasons = [_reason("decision", 1.0, detail, incident=inc.code), *head, *reasons]
    elif scored and scored[0][0] >= PROPOSE_THRESHOLD:
        score, inc, reasons = scored[0]
        group.incident, group.score = inc, round(score, 3)
        group.reasons = [_reason("proposal", score, f"attach to {inc.code} ({inc.title})", incident=inc.code),
                         *head, *reasons]  # fmt: skip
    else:
        group.incident = None
        group.score = None
        why = [_reason("proposal", 0.0, "new incident: no readable incident in the register matches")]
        if scored:
            score, inc, reasons = scored[0]
            group.score = round(1 - score, 3)  # confidence that it is new: 1 minus the best match
            why = [_reason("proposal", 1 - score, f"new incident: the best match, {inc.code} ({inc.title}), "
                                                   f"scores {score:.2f}, below {PROPOSE_THRESHOLD}"),
                   _reason("best_rejected", score, f"{inc.code} ({inc.title})", incident=inc.code),
                   *[{**r, "rejected": inc.code} for r in reasons]]  # fmt: skip
        else:
            group.score = 1.0
        group.reasons = [why[0], *head, *why[1:]]
    group.updated_at = timezone.now()
    group.save(update_fields=["incident", "score", "reasons", "updated_at"])
    return group


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_vectors(incidents, feats: list[Features]) -> None:
    """Fill in the kept vectors of incidents whose text has not changed since (one query)."""
    from .models import IncidentVector

    want = {str(inc.pk): f for inc, f in zip(incidents, feats, strict=True) if f.vector is None}
    if not want:
        return
    for row in IncidentVector.objects.filter(incident_id__in=list(want), model=embeddings.MODEL_NAME):
        f = want[str(row.incident_id)]
        if row.text_sha256 == _text_hash(f.text):
            f.vector = np.frombuffer(bytes(row.vector), dtype="<f4").copy()


def keep_vectors(pairs) -> None:
    """Keep newly computed incident vectors (one statement; a concurrent writer's row is simply replaced)."""
    from .models import IncidentVector

    if pairs:
        IncidentVector.objects.bulk_create(
            [IncidentVector(incident_id=inc.pk, text_sha256=_text_hash(f.text), model=embeddings.MODEL_NAME,
                            vector=np.asarray(f.vector, dtype="<f4").tobytes()) for inc, f in pairs],
            update_conflicts=True, unique_fields=["incident"], update_fields=["text_sha256", "model", "vector"],
        )  # fmt: skip


def index_register(batch: int = 256) -> int:
    """Embed every register incident whose kept vector is missing or stale (`sulh media index`); returns how
    many were embedded. Linking does this lazily too; indexing ahead spares the first articles the cost."""
    from sulh.incidents.models import Incident

    from .models import IncidentVector

    kept = dict(IncidentVector.objects.filter(model=embeddings.MODEL_NAME).values_list("incident_id", "text_sha256"))
    todo = []
    done = 0
    for inc in Incident.objects.only("id", "title", "location_name").iterator(chunk_size=2000):
        text = incident_text(inc)
        if kept.get(inc.pk) != _text_hash(text):
            todo.append((inc, Features(label="", start=date.min, end=date.min, text=text)))
        if len(todo) >= batch:
            keep_vectors(with_vectors_pairs(todo))
            done, todo = done + len(todo), []
    if todo:
        keep_vectors(with_vectors_pairs(todo))
        done += len(todo)
    return done


def with_vectors_pairs(pairs):
    with_vectors([f for _, f in pairs])
    return pairs


def _incident_features(incidents, claims, charter) -> list[Features]:
    """Features of register incidents, cached per process by what they are made of: the incident's version and
    the readable claims' ids and versions (which claims a user may read is part of the key)."""
    feats, todo = [], []
    for inc in incidents:
        readable = claims.get(inc.pk, ())
        key = (str(inc.pk), inc.version, inc.updated_at.isoformat(), tuple(sorted((str(c.pk), c.version) for c in readable)))
        f = _incidents.get(key)
        if f is None:
            f = incident_features(inc, readable, charter=charter)
            todo.append((key, f))
        feats.append(f)
    for key, f in todo:  # vectors are added in place when a comparison needs them (embed_where_needed)
        _incidents.put(key, f)
    return feats
