"""Scoring of media extraction against hand-labelled articles, by the rules of the development set's README.

No Django here: `python -m sulh.media.evaluate LABELS PREDICTIONS [--format json]` works on any machine, and
`sulh media evaluate` / `sulh media score` call the same functions.

Both directories hold one JSON file per article, under the same file names, in the label shape::

    {"article": "NAME.txt", "published": "YYYY-MM-DD", "events": [{...}, ...]}

The rules (README, "Scoring"), and how each is read here:

* **Match.** An extracted event matches a labelled one when their date spans overlap (inclusive: a span that
  ends on the day the other starts overlaps it) and they share a location, or both have none (both
  `locations` lists empty). Events are only ever compared within one article (the same file name).
* **Event recall** = labelled events with `background: false` that at least one extracted event matches /
  all labelled events with `background: false`. Labelled background events are neither required nor counted.
* **Event precision** = extracted events that match at least one labelled event / all extracted events. The
  README qualifies recall ("with `background: false`") and not precision, so *every* extracted event counts,
  whatever its own background flag, and it may match *any* labelled event, background ones included. Reading
  it the other way (dropping extracted `background: true` events from precision) would let an extractor emit
  unfounded events for free by flagging them background; and an extracted event that does find its labelled
  background event is not a false positive: whether it wrongly calls it news is the background-flag accuracy.
  Both counts are "any match": two extracted events that match the same labelled event both count for
  precision (a duplicate is not penalised there; it shows as an unpaired extracted event in the details).
* **F1** = the harmonic mean of precision and recall; 0 when either is 0; undefined (None) when either is
  undefined (no extracted events, or no labelled news events) and the other is not 0.
* **Field accuracy, per matched pair.** For the fields, events are paired one-to-one within each article:
  among the (labelled, extracted) pairs that match, the pairing with the most pairs is chosen, and among those
  the one with the most fields correct in total (an exact assignment, the Hungarian method, not a greedy
  pass). Labelled background events take part, otherwise the background flag could never be wrong. Each field
  is then reported as correct pairs / paired events:

  - `date`: same `date_start` and same `date_end`;
  - `location`: the first location equal (both lists empty counts as equal);
  - `event_type`, `sub_event_type`: each equal (two fields);
  - one field per casualty figure, `killed.soldiers` … `injured.civilians` (six), correct when the extracted
    figure is *within* the labelled range (see `within`): a null label (the text gives no figure) wants a null
    figure; a `[low, high]` label wants a `[low', high']` with low <= low' and high' <= high, and an open label
    `[low, null]` ("at least", "over", "dozens") accepts any figure whose low end is >= low, closed or open;
  - `claimant`: equal;
  - `background`: the flag equal.

  Strings (locations, event types, claimants) are compared after trimming, collapsing inner white space and
  case folding: "north waziristan" equals "North Waziristan", but variant spellings ("Kuram" for "Kurram") do
  not: the extractor must give the gazetteer's name.
* **Linking.** Which events, across all articles, are the same incident. Ground truth, first found of: an
  `incident` key on each label event; a sidecar file (`--incidents FILE`, JSON ``{"NAME.json": [key or null
  per label event, in order]}``; keys starting with "_" are comments); else a rule derived from the labels (two
  label events are one incident when they match by the README's rule: spans overlap and a location in common,
  or neither has one, across articles too; the groups are closed transitively). A null key means "not one
  incident" (e.g. a series of strikes recalled together): that event takes no part. The prediction is an
  incident or group key per extracted event (null or absent: not grouped, e.g. background events): from the
  predictions' `incident` keys, or from the linker when the extractor is run.
  The scored items are the one-to-one matched pairs (above) whose labelled event has a key and whose
  extracted event a group; over every unordered pair of such items across the whole set, "same incident" by
  the ground truth against "same group" by the prediction gives TP, FP, FN, TN, and
  **pairwise precision** = TP / (TP + FP), **recall** = TP / (TP + FN), **F1** their harmonic mean, and
  **linking accuracy** = (TP + TN) / all pairs: the fraction of pairs of matched events decided correctly.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

CATEGORIES = ("soldiers", "militants", "civilians")
FIGURES = tuple(f"{kind}.{cat}" for kind in ("killed", "injured") for cat in CATEGORIES)
FIELDS = ("date", "location", "event_type", "sub_event_type", *FIGURES, "claimant", "background")
LINKING_NOTE = (
    "not computed: the predictions carry no incident or group per event (run the extractor and linker on the "
    "articles, or save an \"incident\" key per event)"
)
DERIVED_RULE = (
    "derived from the labels: two label events are one incident when their date spans overlap and they share "
    "a location (or neither has one), across articles; closed transitively"
)

Range = tuple[int, int | None]


class LabelError(ValueError):
    """A file or directory that is not in the expected shape; the message names the file and the field."""

    def __init__(self, path: Path | str, field: str | None, message: str):
        self.path, self.field = str(path), field
        super().__init__(f"{path}: {field}: {message}" if field else f"{path}: {message}")


@dataclass(frozen=True)
class Event:
    index: int  # position in the file's `events` list
    summary: str
    start: date
    end: date
    locations: tuple[str, ...]  # normalised
    event_type: str | None
    sub_event_type: str | None
    claimant: str | None
    figures: dict[str, Range | None]  # "killed.soldiers" -> (low, high) or None
    background: bool
    place: str = ""  # the first location as written, for the report
    incident: str | None = None  # the event's "incident" key, when the file gives one
    has_incident: bool = False

    def describe(self) -> str:
        span = self.start.isoformat() if self.start == self.end else f"{self.start}..{self.end}"
        place = self.place or "no place"
        text = f' "{self.summary}"' if self.summary else ""
        return f"#{self.index} {span} {place}{' (background)' if self.background else ''}{text}"


@dataclass(frozen=True)
class Article:
    name: str  # the file name, NAME.json
    article: str
    published: date
    events: tuple[Event, ...]


# --- reading and checking the files ------------------------------------------------------------------------


def norm(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split()).casefold()


def _date(path, field, value) -> date:
    if not isinstance(value, str):
        raise LabelError(path, field, f"expected an ISO date string (YYYY-MM-DD), got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LabelError(path, field, f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def _opt_str(path, field, value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise LabelError(path, field, f"expected a string or null, got {value!r}")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range(path, field, value) -> Range | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise LabelError(path, field, f"expected null or a [low, high] pair, got {value!r}")
    low, high = value
    if not _is_int(low) or low < 0:
        raise LabelError(path, field, f"low end must be a whole number >= 0, got {low!r}")
    if high is not None and (not _is_int(high) or high < low):
        raise LabelError(path, field, f"high end must be null or a whole number >= low ({low}), got {high!r}")
    return (low, high)


def parse_event(path: Path | str, i: int, raw: Any) -> Event:
    where = f"events[{i}]"
    if not isinstance(raw, dict):
        raise LabelError(path, where, f"expected an object, got {type(raw).__name__}")
    for key in (
        "date_start",
        "date_end",
        "locations",
        "event_type",
        "sub_event_type",
        "claimant",
        "killed",
        "injured",
        "background",
    ):
        if key not in raw:
            raise LabelError(path, f"{where}.{key}", "missing")
    start = _date(path, f"{where}.date_start", raw["date_start"])
    end = _date(path, f"{where}.date_end", raw["date_end"])
    if end < start:
        raise LabelError(path, f"{where}.date_end", f"{end} is before date_start {start}")
    locations = raw["locations"]
    if not isinstance(locations, list) or not all(isinstance(x, str) and x.strip() for x in locations):
        raise LabelError(path, f"{where}.locations", f"expected a list of non-empty names, got {locations!r}")
    figures: dict[str, Range | None] = {}
    for kind in ("killed", "injured"):
        block = raw[kind]
        if not isinstance(block, dict):
            raise LabelError(
                path,
                f"{where}.{kind}",
                f"expected an object {{soldiers, militants, civilians}}, got {block!r}",
            )
        unknown = sorted(set(block) - set(CATEGORIES))
        if unknown:
            raise LabelError(
                path, f"{where}.{kind}.{unknown[0]}", f"unknown category (expected {CATEGORIES})"
            )
        for cat in CATEGORIES:
            if cat not in block:
                raise LabelError(
                    path, f"{where}.{kind}.{cat}", "missing (null when the text gives no figure)"
                )
            figures[f"{kind}.{cat}"] = _range(path, f"{where}.{kind}.{cat}", block[cat])
    if not isinstance(raw["background"], bool):
        raise LabelError(path, f"{where}.background", f"expected true or false, got {raw['background']!r}")
    summary = _opt_str(path, f"{where}.summary", raw.get("summary")) or ""
    for key in ("country", "incident"):
        _opt_str(path, f"{where}.{key}", raw.get(key))
    if (
        "date_prec" in raw
        and raw["date_prec"] is not None
        and not (_is_int(raw["date_prec"]) and 1 <= raw["date_prec"] <= 5)
    ):
        raise LabelError(path, f"{where}.date_prec", f"expected 1 to 5 or null, got {raw['date_prec']!r}")
    if "actors" in raw and not (
        isinstance(raw["actors"], list) and all(isinstance(a, str) for a in raw["actors"])
    ):
        raise LabelError(path, f"{where}.actors", f"expected a list of names, got {raw['actors']!r}")
    return Event(
        index=i,
        summary=summary,
        start=start,
        end=end,
        locations=tuple(norm(x) for x in locations),
        event_type=norm(_opt_str(path, f"{where}.event_type", raw["event_type"])),
        sub_event_type=norm(_opt_str(path, f"{where}.sub_event_type", raw["sub_event_type"])),
        claimant=norm(_opt_str(path, f"{where}.claimant", raw["claimant"])),
        figures=figures,
        background=raw["background"],
        place=" ".join(locations[0].split()) if locations else "",
        incident=raw.get("incident"),
        has_incident="incident" in raw,
    )


def parse_article(path: Path | str, raw: Any) -> Article:
    if not isinstance(raw, dict):
        raise LabelError(
            path, None, f"expected a JSON object {{article, published, events}}, got {type(raw).__name__}"
        )
    for key in ("article", "published", "events"):
        if key not in raw:
            raise LabelError(path, key, "missing")
    if not isinstance(raw["article"], str) or not raw["article"].strip():
        raise LabelError(path, "article", f"expected the article's file name, got {raw['article']!r}")
    published = _date(path, "published", raw["published"])
    if not isinstance(raw["events"], list):
        raise LabelError(path, "events", f"expected a list, got {type(raw['events']).__name__}")
    events = tuple(parse_event(path, i, e) for i, e in enumerate(raw["events"]))
    return Article(name=Path(path).name, article=raw["article"], published=published, events=events)


def load_file(path: Path) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(path, None, f"cannot read: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelError(path, None, f"not valid JSON: {exc}") from None
    return parse_article(path, raw)


def load_dir(directory: Path | str) -> dict[str, Article]:
    """Every NAME.json in `directory`, checked against the label shape, by file name."""
    directory = Path(directory)
    if not directory.exists():
        raise LabelError(directory, None, "no such directory")
    if not directory.is_dir():
        raise LabelError(directory, None, "not a directory")
    files = sorted(p for p in directory.iterdir() if p.suffix == ".json" and p.is_file())
    if not files:
        raise LabelError(directory, None, "holds no .json files")
    return {p.name: load_file(p) for p in files}


# --- the rules -----------------------------------------------------------------------------------------------


def spans_overlap(a: Event, b: Event) -> bool:
    return a.start <= b.end and b.start <= a.end


def matches(label: Event, extracted: Event) -> bool:
    """The README's match: date spans overlap, and a location in common or neither has one."""
    if not spans_overlap(label, extracted):
        return False
    if not label.locations and not extracted.locations:
        return True
    return bool(set(label.locations) & set(extracted.locations))


def within(extracted: Range | None, label: Range | None) -> bool:
    """Whether an extracted casualty figure is within the labelled range.

    - label null (the text gives no figure): only a null figure is right; any number is an invented figure;
    - label given, extracted null: wrong (a missed figure);
    - label [lo, hi] closed: the extracted range must lie inside it, lo <= low and high <= hi; an open extracted
      range [low, null] is never inside a closed one;
    - label [lo, null] open ("at least N", "over N", "dozens"): the extracted low end must be >= lo; its high
      end may be anything (null, or any number >= its low end).
    So `within(x, x)` holds for every x, and an exact figure [n, n] is within any range that contains n.
    """
    if label is None or extracted is None:
        return label is None and extracted is None
    lo, hi = label
    low, high = extracted
    if low < lo:
        return False
    if hi is None:
        return True
    return high is not None and high <= hi


def field_checks(label: Event, extracted: Event) -> dict[str, bool]:
    first = lambda e: e.locations[0] if e.locations else None  # noqa: E731
    checks = {
        "date": label.start == extracted.start and label.end == extracted.end,
        "location": first(label) == first(extracted),
        "event_type": label.event_type == extracted.event_type,
        "sub_event_type": label.sub_event_type == extracted.sub_event_type,
    }
    for fig in FIGURES:
        checks[fig] = within(extracted.figures[fig], label.figures[fig])
    checks["claimant"] = label.claimant == extracted.claimant
    checks["background"] = label.background == extracted.background
    return checks


def _hungarian_max(weight: list[list[int]]) -> list[tuple[int, int]]:
    """Maximum-weight assignment of rows to columns (weights >= 0; a 0 is "no pair"), rows <= columns.

    The classic O(n^2 m) shortest-augmenting-path Hungarian method on costs -weight; returns the pairs with
    a positive weight."""
    n = len(weight)
    m = len(weight[0]) if n else 0
    if n == 0 or m == 0:
        return []
    inf = float("inf")
    u, v = [0] * (n + 1), [0] * (m + 1)
    p, way = [0] * (m + 1), [0] * (m + 1)  # p[j]: row assigned to column j (1-based, 0 = none)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -weight[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return sorted((p[j] - 1, j - 1) for j in range(1, m + 1) if p[j] and weight[p[j] - 1][j - 1] > 0)


def pair_events(labels: tuple[Event, ...], extracted: tuple[Event, ...]) -> list[tuple[int, int]]:
    """One-to-one pairs (label index, extracted index) among matching events: the most pairs, then the most
    fields correct in total. Each pair weighs big + fields correct, big larger than any total of fields
    correct, so one pair more always outweighs any gain in agreement."""
    n, m = len(labels), len(extracted)
    if not n or not m:
        return []
    big = len(FIELDS) * min(n, m) + 1
    weight = [
        [big + sum(field_checks(lab, ext).values()) if matches(lab, ext) else 0 for ext in extracted]
        for lab in labels
    ]
    if n <= m:
        return _hungarian_max(weight)
    transposed = [list(col) for col in zip(*weight, strict=True)]
    return sorted((i, j) for j, i in _hungarian_max(transposed))


# --- scoring ---------------------------------------------------------------------------------------------------


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision == 0 or recall == 0:
        return 0.0
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall)


def _counts(found: int, news: int, matched: int, extracted: int) -> dict[str, Any]:
    precision, recall = ratio(matched, extracted), ratio(found, news)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1(precision, recall),
        "extracted": extracted,
        "extracted_matched": matched,
        "labelled_news": news,
        "labelled_news_found": found,
    }


def score_article(label: Article, predicted: Article) -> dict[str, Any]:
    labs, exts = label.events, predicted.events
    hit = [[matches(lab, ext) for ext in exts] for lab in labs]
    ext_matched = [any(hit[i][j] for i in range(len(labs))) for j in range(len(exts))]
    news = [i for i, lab in enumerate(labs) if not lab.background]
    found = [i for i in news if any(hit[i])]
    pairs = pair_events(labs, exts)
    paired_l, paired_e = {i for i, _ in pairs}, {j for _, j in pairs}
    fields = {f: 0 for f in FIELDS}
    pair_rows = []
    for i, j in pairs:
        checks = field_checks(labs[i], exts[j])
        for f, ok in checks.items():
            fields[f] += ok
        pair_rows.append(
            {
                "label": i,
                "extracted": j,
                "label_event": labs[i].describe(),
                "extracted_event": exts[j].describe(),
                "wrong": [f for f in FIELDS if not checks[f]],
            }
        )
    return {
        "article": label.article,
        "file": label.name,
        "labelled": len(labs),
        "labelled_background": len(labs) - len(news),
        **_counts(len(found), len(news), sum(ext_matched), len(exts)),
        "pairs": len(pairs),
        "labelled_news_paired": sum(1 for i in news if i in paired_l),
        "fields": {f: {"correct": fields[f], "matched": len(pairs)} for f in FIELDS},
        "pairing": pair_rows,
        "news_missed": [labs[i].describe() for i in news if i not in found],
        "extracted_unmatched": [exts[j].describe() for j in range(len(exts)) if not ext_matched[j]],
        "extracted_unpaired_but_matched": [
            exts[j].describe() for j in range(len(exts)) if ext_matched[j] and j not in paired_e
        ],
        "labelled_unpaired": [labs[i].describe() for i in range(len(labs)) if i not in paired_l],
        # found for recall (an extracted event matches it) but that event is paired with another labelled
        # event: e.g. one extracted event for two competing claims about the same incident
        "news_found_unpaired": [labs[i].describe() for i in found if i not in paired_l],
    }


def score(
    labels: dict[str, Article],
    predictions: dict[str, Article],
    *,
    labels_dir: str = "",
    predictions_dir: str = "",
    incidents: Keys | None = None,
    groups: Keys | None = None,
) -> dict[str, Any]:
    """Score predictions against labels (both by file name). Every label file needs a prediction file and
    every prediction file a label file; a prediction's `article` must name the label's article. Linking is
    scored against the ground truth (truth_keys, with `incidents` the sidecar) when the predictions have
    groups: `groups`, or their own "incident" keys."""
    missing = sorted(set(labels) - set(predictions))
    if missing:
        raise LabelError(
            Path(predictions_dir or "predictions") / missing[0],
            None,
            f"no prediction for labelled article {labels[missing[0]].article} "
            f"({len(missing)} missing in all)",
        )
    extra = sorted(set(predictions) - set(labels))
    if extra:
        raise LabelError(
            Path(predictions_dir or "predictions") / extra[0],
            None,
            f"no label file of that name in {labels_dir or 'the labels'}",
        )
    for name in labels:
        if Path(predictions[name].article).name != Path(labels[name].article).name:
            raise LabelError(
                Path(predictions_dir or "predictions") / name,
                "article",
                f"{predictions[name].article!r} is not the labelled article {labels[name].article!r}",
            )
    articles = [score_article(labels[name], predictions[name]) for name in sorted(labels)]
    total = lambda key: sum(a[key] for a in articles)  # noqa: E731
    pairs = total("pairs")
    fields = {}
    for f in FIELDS:
        correct = sum(a["fields"][f]["correct"] for a in articles)
        fields[f] = {"correct": correct, "matched": pairs, "accuracy": ratio(correct, pairs)}
    for a in articles:
        for row in a["fields"].values():
            row["accuracy"] = ratio(row["correct"], row["matched"])
    return {
        "labels": labels_dir,
        "predictions": predictions_dir,
        "articles_scored": len(articles),
        "events": {
            **_counts(
                total("labelled_news_found"),
                total("labelled_news"),
                total("extracted_matched"),
                total("extracted"),
            ),
            "labelled": total("labelled"),
            "labelled_background": total("labelled_background"),
        },
        "pairs": pairs,
        # a diagnostic, not a README figure: labelled news events that got a one-to-one partner (the README's
        # recall is "any match", so one extracted event can find two competing claims about one incident)
        "labelled_news_paired": total("labelled_news_paired"),
        "fields": fields,
        "linking": _linking(articles, labels, predictions, incidents, groups),
        "articles": articles,
    }


def _linking(articles, labels, predictions, incidents, groups) -> dict[str, Any]:
    groups = groups if groups is not None else predicted_keys(predictions)
    if groups is None:
        return {"accuracy": None, "note": LINKING_NOTE}
    truth, source = truth_keys(labels, incidents)
    return score_linking(articles, truth, groups, source)


def evaluate_dirs(
    labels_dir: Path | str, predictions_dir: Path | str, *, incidents: Path | str | None = None
) -> dict[str, Any]:
    labels = load_dir(labels_dir)
    return score(
        labels,
        load_dir(predictions_dir),
        labels_dir=str(labels_dir),
        predictions_dir=str(predictions_dir),
        incidents=None if incidents is None else load_incidents(incidents, labels),
    )


# --- linking ---------------------------------------------------------------------------------------------------

Keys = dict[str, list[str | None]]  # file name -> a key (or None) per event, in order


def load_incidents(path: Path | str, labels: dict[str, Article]) -> Keys:
    """The sidecar ground truth: {"NAME.json": [key or null per label event]}; "_…" keys are comments."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(path, None, f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LabelError(path, None, f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise LabelError(path, None, "expected a JSON object {\"NAME.json\": [incident key or null, ...]}")
    out: Keys = {}
    for name, keys in raw.items():
        if name.startswith("_"):
            continue
        if name not in labels:
            raise LabelError(path, name, "no label file of that name")
        n = len(labels[name].events)
        if not isinstance(keys, list) or len(keys) != n:
            raise LabelError(path, name, f"expected a list of {n} keys (one per label event), got {keys!r}")
        if not all(k is None or (isinstance(k, str) and k.strip()) for k in keys):
            raise LabelError(path, name, "each key must be a non-empty string or null")
        out[name] = list(keys)
    missing = sorted(set(labels) - set(out))
    if missing:
        raise LabelError(path, missing[0], f"missing: every label file needs its list ({len(missing)} missing)")
    return out


def derived_truth(labels: dict[str, Article]) -> Keys:
    """Incident keys by the README's match rule applied across articles, closed transitively (union-find)."""
    items = [(name, e) for name in sorted(labels) for e in labels[name].events]
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if matches(items[i][1], items[j][1]):
                parent[root(i)] = root(j)
    out: Keys = {name: [] for name in labels}
    for i, (name, _) in enumerate(items):
        out[name].append(f"derived-{root(i)}")
    return out


def truth_keys(labels: dict[str, Article], sidecar: Keys | None = None) -> tuple[Keys, str]:
    """The linking ground truth and where it came from (said in the report)."""
    if all(e.has_incident for a in labels.values() for e in a.events) and any(a.events for a in labels.values()):
        return {n: [e.incident for e in a.events] for n, a in labels.items()}, "the labels' \"incident\" keys"
    if sidecar is not None:
        return sidecar, "the --incidents file"
    return derived_truth(labels), DERIVED_RULE


def predicted_keys(predictions: dict[str, Article]) -> Keys | None:
    """The predictions' own "incident" keys, when any event carries one."""
    if not any(e.has_incident for a in predictions.values() for e in a.events):
        return None
    return {n: [e.incident for e in a.events] for n, a in predictions.items()}


def pairwise(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Pairwise agreement of (truth, prediction) keys: over every unordered pair of items, same incident by the
    truth against same group by the prediction."""
    tp = fp = fn = tn = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            same_t, same_p = items[i][0] == items[j][0], items[i][1] == items[j][1]
            if same_t and same_p:
                tp += 1
            elif same_p:
                fp += 1
            elif same_t:
                fn += 1
            else:
                tn += 1
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "items": len(items),
        "pairs": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "recall": recall,
        "f1": f1(precision, recall),
        "accuracy": ratio(tp + tn, tp + fp + fn + tn),
    }


def score_linking(articles: list[dict[str, Any]], truth: Keys, groups: Keys, truth_source: str) -> dict[str, Any]:
    """Linking figures over the one-to-one matched pairs of `articles` (score_article's rows)."""
    items, rows = [], []
    for a in articles:
        name = a["file"]
        for p in a["pairing"]:
            t = truth.get(name, [])[p["label"]] if p["label"] < len(truth.get(name, [])) else None
            g = groups.get(name, [])[p["extracted"]] if p["extracted"] < len(groups.get(name, [])) else None
            if t is not None and g is not None:
                items.append((t, g))
                rows.append({"file": name, "label": p["label"], "extracted": p["extracted"], "incident": t, "group": g})
    out = pairwise(items)
    out.update(truth=truth_source, events=rows, note=(
        "over every pair of matched events (labelled event with an incident key, extracted event with a group): "
        "precision/recall/F1 of 'same incident'; accuracy = pairs decided correctly (same or not) / all pairs"
    ))
    return out


# --- output ------------------------------------------------------------------------------------------------------


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _pct(correct: int, matched: int) -> str:
    return "—" if not matched else f"{100 * correct / matched:.1f}%"


def render_text(report: dict[str, Any]) -> str:
    ev = report["events"]
    out = [
        "Media extraction evaluation (rules: shared/eval/media-dev/README.md, 'Scoring')",
        f"labels:      {report['labels']}  ({report['articles_scored']} articles, {ev['labelled']} labelled "
        f"events: {ev['labelled_news']} news, {ev['labelled_background']} background)",
        f"predictions: {report['predictions']}  ({ev['extracted']} extracted events)",
        "",
        "Events",
        f"  precision  {_num(ev['precision'])}  {ev['extracted_matched']}/{ev['extracted']} extracted events "
        "match a labelled event",
        f"  recall     {_num(ev['recall'])}  {ev['labelled_news_found']}/{ev['labelled_news']} labelled news "
        "events (background: false) found",
        f"  F1         {_num(ev['f1'])}",
        f"  (diagnostic, not a README figure: {report['labelled_news_paired']}/{ev['labelled_news']} labelled news "
        f"events and {report['pairs']}/{ev['extracted']} extracted events have a one-to-one partner)",
        "",
        f"Fields, over {report['pairs']} one-to-one matched pairs",
    ]
    for f, row in report["fields"].items():
        out.append(
            f"  {f:17} {row['correct']:>4}/{row['matched']:<4} {_pct(row['correct'], row['matched']):>7}"
        )
    out += ["", *render_linking(report["linking"]), "", "Per article"]
    width = max([len(a["file"]) for a in report["articles"]] + [7])
    out.append(
        f"  {'article':{width}}  news/bg  extr  found  match  prec   rec    F1     pairs  fields right"
    )
    for a in report["articles"]:
        right = sum(r["correct"] for r in a["fields"].values())
        possible = a["pairs"] * len(FIELDS)
        out.append(
            f"  {a['file']:{width}}  {a['labelled_news']:>3}/{a['labelled_background']:<3}  {a['extracted']:>4}"
            f"  {a['labelled_news_found']:>5}  {a['extracted_matched']:>5}  {_num(a['precision']):6} "
            f"{_num(a['recall']):6} {_num(a['f1']):6} {a['pairs']:>5}  {right}/{possible}"
        )
    details = []
    for a in report["articles"]:
        lines = [f"    missed news event: {d}" for d in a["news_missed"]]
        lines += [f"    news event found but left unpaired: {d}" for d in a["news_found_unpaired"]]
        lines += [f"    extracted, matches nothing: {d}" for d in a["extracted_unmatched"]]
        lines += [
            f"    extracted, matches but left unpaired: {d}" for d in a["extracted_unpaired_but_matched"]
        ]
        lines += [
            f"    pair label {p['label_event']}\n      with {p['extracted_event']}\n      wrong: {', '.join(p['wrong'])}"
            for p in a["pairing"]
            if p["wrong"]
        ]
        if lines:
            details += [f"  {a['file']}", *lines]
    out += ["", "Differences", *(details or ["  none"])]
    return "\n".join(out) + "\n"


def render_linking(lk: dict[str, Any]) -> list[str]:
    if lk.get("accuracy") is None and "pairs" not in lk:
        return [f"Linking accuracy: {lk['note']}."]
    return [
        f"Linking (same incident, pairwise over {lk['items']} matched events = {lk['pairs']} pairs)",
        f"  ground truth: {lk['truth']}",
        f"  precision  {_num(lk['precision'])}  {lk['tp']}/{lk['tp'] + lk['fp']} pairs put together are one incident",
        f"  recall     {_num(lk['recall'])}  {lk['tp']}/{lk['tp'] + lk['fn']} pairs of one incident put together",
        f"  F1         {_num(lk['f1'])}",
        f"  linking accuracy {_num(lk['accuracy'])}  {lk['tp'] + lk['tn']}/{lk['pairs']} pairs decided correctly "
        "(together or apart)",
    ]


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sulh.media.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("labels", type=Path, help="directory of label files (NAME.json)")
    parser.add_argument("predictions", type=Path, help="directory of extracted events, same names and shape")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--incidents", type=Path, help="linking ground truth: {NAME.json: [key or null, ...]}")
    args = parser.parse_args(argv)
    try:
        report = evaluate_dirs(args.labels, args.predictions, incidents=args.incidents)
    except LabelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(render_json(report) if args.format == "json" else render_text(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
