"""Casualty figures in English: digits and number words, ranges and the dev set's labelling conventions.

No installed package reads number words (the venv has neither `number-parser` nor `text2num`), and the
vocabulary needed here is small, so this is a little parser of its own.

Conventions (shared/eval/media-dev/README.md, "Ranges"):

* "five" -> (5, 5); "twenty-five" -> (25, 25); "1,200" -> (1200, 1200);
* "15 to 20", "15-20", "between 15 and 20" -> (15, 20);
* "at least N", "N or more" -> (N, None); "more than N", "over N" -> (N + 1, None);
* "dozens" -> (24, None), "scores" -> (40, None), "hundreds" -> (200, None);
* "several", "many", "a number of" -> None (no figure).
"""

from __future__ import annotations

import re

Range = tuple[int, int | None]

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a dozen": 12, "dozen": 12,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
VAGUE_OPEN = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000}
VAGUE_NONE = ("several", "many", "a number of", "a large number of", "some", "a few", "numerous")

_unit = "(?:" + "|".join(sorted((k for k in UNITS if " " not in k), key=len, reverse=True)) + ")"
_tens = "(?:" + "|".join(TENS) + ")"
# one number: digits (with thousands commas) or words up to the thousands
WORD_NUMBER = (
    rf"(?:(?:{_tens}(?:[\s-]{_unit})?|{_unit})(?:\s+hundred(?:\s+(?:and\s+)?(?:{_tens}(?:[\s-]{_unit})?"
    rf"|{_unit}))?)?|a\s+hundred|a\s+dozen)"
)
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{WORD_NUMBER})"
_NUM_RE = re.compile(rf"^{NUMBER}$", re.I)

# a figure: qualifier + number (+ range end), or a vague quantity word
# word boundaries on both sides: "often" holds "ten", "someone" "one", "F16" and "T-72" are no figures
FIGURE = re.compile(
    rf"""(?ix)
    (?<![\w-])
    (?P<fig>
      (?:between\s+(?P<b1>{NUMBER})\s+and\s+(?P<b2>{NUMBER}))
    | (?:(?P<q>at\s+least|no\s+fewer\s+than|not\s+less\s+than|more\s+than|over|upwards\s+of|nearly|almost|
            about|around|some|up\s+to|roughly|approximately|an\s+estimated)\s+)?
        (?P<n1>{NUMBER})(?:\s*(?:to|-|–|or)\s*(?P<n2>{NUMBER}))?(?P<plus>\s+or\s+more|\+)?
    | (?P<vague>dozens|scores|hundreds|thousands)
    | (?P<none>several|many|a\s+(?:large\s+)?number\s+of|numerous|a\s+few)
    )(?![\w-])
    """
)


def word_value(text: str) -> int | None:
    """The value of one number written in digits or words ("25", "twenty-five", "a hundred"), else None."""
    t = " ".join(text.lower().replace("-", " ").split())
    if not t:
        return None
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", t):
        return int(t.replace(",", ""))
    if t in UNITS:
        return UNITS[t]
    total, current = 0, 0
    words = t.replace(" and ", " ").split()
    if words and words[0] == "a":
        words[0] = "one"
    for w in words:
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return total + current


def figure_value(m: re.Match) -> Range | None:
    """The [low, high] of a FIGURE match, by the conventions above; None for "several", "many" …"""
    if m.group("b1"):
        lo, hi = word_value(m.group("b1")), word_value(m.group("b2"))
        return (min(lo, hi), max(lo, hi)) if lo is not None and hi is not None else None
    if m.group("vague"):
        return (VAGUE_OPEN[m.group("vague").lower()], None)
    if m.group("none"):
        return None
    n1 = word_value(m.group("n1"))
    if n1 is None:
        return None
    q = " ".join((m.group("q") or "").lower().split())
    if m.group("n2"):
        n2 = word_value(m.group("n2"))
        if n2 is None or n2 < n1:
            return (n1, n1)
        return (n1, None) if m.group("plus") else (n1, n2)
    if m.group("plus") or q in ("at least", "no fewer than", "not less than"):
        return (n1, None)
    if q in ("more than", "over", "upwards of"):
        return (n1 + 1, None)
    if q == "up to":
        return (0, n1)
    return (n1, n1)


def parse_figure(text: str) -> Range | None:
    """Read a whole phrase as one figure: parse_figure("over 200") == (201, None)."""
    m = FIGURE.fullmatch(text.strip())
    return figure_value(m) if m else None


def add(a: Range | None, b: Range | None) -> Range | None:
    """The sum of two figures (five boys and four girls: 9); open ends stay open."""
    if a is None or b is None:
        return a if b is None else b
    high = None if a[1] is None or b[1] is None else a[1] + b[1]
    return (a[0] + b[0], high)
