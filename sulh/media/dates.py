"""Date expressions in English news text, resolved against the publication date.

Calendar dates ("October 15", "15 Oct", "December 2014") are read by `dateparser` with RELATIVE_BASE = the
publication date and PREFER_DATES_FROM = 'past'. Everything relative is resolved by the rules of the dev set's
README ("Dates"), which dateparser does not follow or does not know:

* a weekday ("on Wednesday", "Tuesday night", "late on Friday") is the most recent such day on or before
  publication ("said on Sunday" in a Sunday paper is that day); "last Sunday" is never the day itself;
* "X night" is day X; "overnight" spans the day before the reference day (the date the statement was made,
  else publication) and that day; "the night of October 14-15" spans both days;
* "over the weekend" is the most recent Saturday-Sunday before publication;
* "earlier this month" runs from the 1st to the day before publication; "early <month>" is the 1st-10th,
  "mid-<month>" the 11th-20th, "late <month>" / "late last month" the 21st to the month's end;
* "last month", "<Month>", "<Month> <year>" are the whole month; "in 2024" the whole year; "last week" the
  previous Monday-Sunday; "this week" Monday to publication; "yesterday", "today", "last night".

`date_prec` follows UCDP GED: 1 a day, 2 two to six days, 3 about a week, 4 a month, 5 a year.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}

_MON = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
       r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"  # fmt: skip
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_D = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DASH = r"\s*(?:-|–|—|to|and|/)\s*"
_YEAR = r"(?:19|20)\d\d"

# (name, pattern); tried in order, earlier ones win where two overlap
PATTERNS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(p, re.I))
    for name, p in [
        ("night_md", rf"\bnight\s+of\s+(?P<mon>{_MON})\s+(?P<d1>{_D}){_DASH}(?P<d2>{_D})\b"),
        ("night_dm", rf"\bnight\s+of\s+(?P<d1>{_D}){_DASH}(?P<d2>{_D})\s+(?P<mon>{_MON})"),
        ("range_md", rf"\b(?P<mon>{_MON})\s+(?P<d1>{_D}){_DASH}(?P<d2>{_D})\b(?:,?\s+(?P<year>{_YEAR}))?"),
        ("range_dm", rf"\b(?P<d1>{_D}){_DASH}(?P<d2>{_D})\s+(?P<mon>{_MON})(?:,?\s+(?P<year>{_YEAR}))?"),
        ("md", rf"\b(?P<mon>{_MON})\s+(?P<d1>{_D})\b(?:,?\s+(?P<year>{_YEAR}))?"),
        ("dm", rf"\b(?P<d1>{_D})\s+(?:of\s+)?(?P<mon>{_MON})(?:,?\s+(?P<year>{_YEAR}))?"),
        ("part_month", rf"\b(?P<part>early|mid|late)[\s-]+(?P<mon>{_MON})(?:\s+(?P<year>{_YEAR}))?"),
        ("part_rel", r"\b(?:in\s+)?(?P<part>early|mid|late)[\s-]+(?P<rel>this|last)\s+month\b"),
        ("earlier_month", r"\bearlier\s+(?:this|in\s+the)\s+month\b"),
        ("last_month", r"\blast\s+month(?:'s|’s)?"),
        ("this_month", r"\bthis\s+month\b"),
        ("earlier_week", r"\bearlier\s+this\s+week\b"),
        ("this_week", r"\bthis\s+week\b"),
        ("last_week", r"\blast\s+week(?:'s|’s)?"),
        ("weekend", r"\b(?:over|at|during)\s+the\s+weekend\b|\b(?:last|this)\s+weekend\b"),
        ("month_year", rf"\b(?P<mon>{_MON})\s+(?P<year>{_YEAR})\b"),
        (
            "month",
            r"\b(?:in|during|since|of|until)\s+(?P<mon>January|February|March|April|June|July|August|"
            r"September|October|November|December)\b",
        ),
        ("year", rf"\b(?:in|since|of|during)\s+(?P<year>{_YEAR})\b"),
        (
            "weekday_span",
            rf"\b(?P<w1>{_DAY})\b[^.;]{{0,40}}?\b(?:into|to|until|and)\s+(?:early\s+)?"
            rf"(?P<w2>{_DAY})\b",
        ),
        ("weekday", rf"\b(?P<last>last\s+)?(?P<w1>{_DAY})(?:'s|’s)?(?:\s+(?P<night>night))?\b"),
        ("yesterday", r"\byesterday\b"),
        ("today", r"\btoday\b|\btonight\b"),
        ("last_night", r"\blast\s+night\b"),
        ("overnight", r"\bovernight\b"),
        # a day counted from another date ("a day later", "the following day"); resolved by the caller against
        # the date told before it. "a day after <event>" is not one: there the other event is the reference.
        (
            "relative_day",
            r"\b(?P<count>a|one|two|three|four|five|six|\d)\s+days?\s+(?P<dir>earlier|later)\b|"
            r"\bthe\s+(?P<dir2>following|next|previous)\s+day\b",
        ),
    ]
]
_SPOKEN_AFTER = re.compile(
    r"[^.;,]{0,60}?\b(?:said|says|accused|claimed|told|announced|alleged|reported|confirmed|denied)\b", re.I
)
_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def relative_offset(m_text: str) -> int:
    """Days from the reference date that a relative_day expression stands for (negative: earlier)."""
    t = m_text.lower().split()
    if t[0] == "the":
        return -1 if t[1] == "previous" else 1
    n = int(t[0]) if t[0].isdigit() else _COUNTS[t[0]]
    return -n if t[-1] == "earlier" else n

SPEECH = re.compile(
    r"\b(?:said|says|told|announced|confirmed|reported|wrote|stated|added|claimed|accused\s+\w+|tweeted|"
    r"posted|alleged|denied|rejected|insisted|warned|quoted)\b[^.;,]{0,25}$",
    re.I,
)


@dataclass(frozen=True)
class DateMention:
    start: int  # character span in the text searched
    end: int
    first: date | None  # the span it stands for; None for "overnight" (needs a reference day)
    last: date | None
    kind: str  # the pattern's name
    statement: bool  # "said on Sunday": when something was said, not when it happened

    @property
    def span(self) -> tuple[date, date] | None:
        return None if self.first is None else (self.first, self.last)


def precision(first: date, last: date) -> int:
    """UCDP GED's date precision of a span."""
    days = (last - first).days + 1
    if days <= 1:
        return 1
    if days <= 6:
        return 2
    if days <= 9:
        return 3
    if days <= 31:
        return 4
    return 5


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _prev_month(d: date) -> tuple[int, int]:
    return (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)


def _year_for(month: int, day: int, published: date) -> int:
    """The year that puts month/day on or before publication (with a day's slack for time zones)."""
    year = published.year
    try:
        if date(year, month, day) > published + timedelta(days=1):
            year -= 1
    except ValueError:
        pass
    return year


@functools.lru_cache(maxsize=4096)
def parse_calendar(text: str, published: date) -> date | None:
    """A calendar date ('October 15', '15 Oct 2025') by dateparser, relative to the publication date."""
    import dateparser

    base = datetime(published.year, published.month, published.day, 12)
    got = dateparser.parse(
        text,
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]},
    )
    return got.date() if got else None


def weekday_on_or_before(published: date, weekday: int, strictly: bool = False) -> date:
    back = (published.weekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    return published - timedelta(days=back)


def _month_span(year: int, month: int, part: str | None = None) -> tuple[date, date]:
    if part == "early":
        return date(year, month, 1), date(year, month, 10)
    if part == "mid":
        return date(year, month, 11), date(year, month, 20)
    if part == "late":
        return date(year, month, 21), month_end(year, month)
    return date(year, month, 1), month_end(year, month)


def _resolve(name: str, m: re.Match, published: date) -> tuple[date, date] | None:
    g = m.groupdict()
    mon = MONTHS.get((g.get("mon") or "").lower().rstrip("."))
    year = int(g["year"]) if g.get("year") else None
    d1 = int(re.sub(r"\D", "", g["d1"])) if g.get("d1") else None
    d2 = int(re.sub(r"\D", "", g["d2"])) if g.get("d2") else None
    try:
        if name in ("night_md", "night_dm", "range_md", "range_dm"):
            y = year or _year_for(mon, d1, published)
            first, last = date(y, mon, d1), date(y, mon, d2)
            return (first, last) if last >= first else None
        if name in ("md", "dm"):
            text = f"{d1} {calendar.month_name[mon]}" + (f" {year}" if year else "")
            got = parse_calendar(text, published)
            if got and got > published + timedelta(days=1):  # dateparser read it as the coming one
                got = date(got.year - 1, got.month, got.day)
            return (got, got) if got else None
        if name == "part_month":
            return _month_span(year or _year_for(mon, 1, published), mon, g["part"].lower())
        if name == "part_rel":
            y, mo = (
                (published.year, published.month) if g["rel"].lower() == "this" else _prev_month(published)
            )
            return _month_span(y, mo, g["part"].lower())
        if name == "earlier_month":
            return date(published.year, published.month, 1), max(
                published - timedelta(days=1), date(published.year, published.month, 1)
            )
        if name == "last_month":
            return _month_span(*_prev_month(published))
        if name == "this_month":
            return date(published.year, published.month, 1), published
        if name in ("this_week", "earlier_week"):
            monday = published - timedelta(days=published.weekday())
            end = published - timedelta(days=1) if name == "earlier_week" else published
            return monday, max(monday, end)
        if name == "last_week":
            monday = published - timedelta(days=published.weekday() + 7)
            return monday, monday + timedelta(days=6)
        if name == "weekend":
            saturday = weekday_on_or_before(published - timedelta(days=1), 5)
            return saturday, min(saturday + timedelta(days=1), published)
        if name == "month_year":
            return _month_span(year, mon)
        if name == "month":
            return _month_span(_year_for(mon, 1, published), mon)
        if name == "year":
            return date(year, 1, 1), date(year, 12, 31)
        if name == "weekday_span":
            a = weekday_on_or_before(published, WEEKDAYS[g["w1"].lower()])
            b = weekday_on_or_before(published, WEEKDAYS[g["w2"].lower()])
            if b < a:
                a -= timedelta(days=7)
            return (a, b) if (b - a).days <= 6 else None
        if name == "weekday":
            d = weekday_on_or_before(published, WEEKDAYS[g["w1"].lower()], strictly=bool(g.get("last")))
            return d, d
        if name == "yesterday":
            d = published - timedelta(days=1)
            return d, d
        if name == "today":
            return published, published
        if name == "last_night":
            d = published - timedelta(days=1)
            return d, d
    except (ValueError, TypeError, KeyError):
        return None
    return None


# a text with none of these holds no date expression: skip the patterns (most sentences)
_GATE = re.compile(
    r"\d|day\b|night|week|month|year|today|tonight|overnight|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec",
    re.I,
)


_MONTH_WORDS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DIGITS = tuple("0123456789")
# what each pattern cannot match without (lower case; every tuple needs one of its words): a sentence lacking
# them skips the pattern, which is most of the cost of finding dates (most sentences name no month or day)
_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "night_md": (("night",), _MONTH_WORDS, _DIGITS),
    "night_dm": (("night",), _MONTH_WORDS, _DIGITS),
    "range_md": (_MONTH_WORDS, _DIGITS),
    "range_dm": (_MONTH_WORDS, _DIGITS),
    "md": (_MONTH_WORDS, _DIGITS),
    "dm": (_MONTH_WORDS, _DIGITS),
    "part_month": (("early", "mid", "late"), _MONTH_WORDS),
    "part_rel": (("early", "mid", "late"), ("month",)),
    "earlier_month": (("month",),),
    "last_month": (("month",),),
    "this_month": (("month",),),
    "earlier_week": (("week",),),
    "this_week": (("week",),),
    "last_week": (("week",),),
    "weekend": (("weekend",),),
    "month_year": (_MONTH_WORDS, _DIGITS),
    "month": (_MONTH_WORDS,),
    "year": (_DIGITS,),
    "weekday_span": (_DAY_WORDS,),
    "weekday": (_DAY_WORDS,),
    "yesterday": (("yesterday",),),
    "today": (("today", "tonight"),),
    "last_night": (("night",),),
    "overnight": (("overnight",),),
    "relative_day": (("earlier", "later", "following", "next", "previous"),),
}
# letters that re.IGNORECASE matches to ASCII letters but str.lower() does not turn into them
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")


def find_dates(text: str, published: date) -> list[DateMention]:
    """Every date expression in `text`, resolved, in text order; overlapping matches: the earlier pattern."""
    if not _GATE.search(text):
        return []
    low = None if _ODD_CASE.search(text) else text.lower()
    taken: list[tuple[int, int]] = []
    out = []
    for name, rx in PATTERNS:
        if low is not None and not all(any(w in low for w in ws) for ws in _NEEDS[name]):
            continue
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if name in ("overnight", "relative_day"):
                first = last = None
            else:
                got = _resolve(name, m, published)
                if got is None:
                    continue
                first, last = got
            taken.append((s, e))
            before = text[max(0, s - 60) : s]
            statement = bool(SPEECH.search(before)) and name in ("weekday", "today", "yesterday", "md", "dm")
            if name == "relative_day" and _SPOKEN_AFTER.match(text, e, e + 80):
                statement = True  # "A day later the ministry accused …": when it was said, not what happened
            out.append(DateMention(s, e, first, last, name, statement))
    return sorted(out, key=lambda d: d.start)


def overnight(reference: date) -> tuple[date, date]:
    return reference - timedelta(days=1), reference
