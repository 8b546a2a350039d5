"""Article text: reading it safely, telling its language, splitting it into paragraphs, sentences and clauses
(each with its character span in the original, for the triage console's highlights)."""

from __future__ import annotations

import re
from dataclasses import dataclass


class InputError(ValueError):
    """An article that cannot be extracted from; the message says why."""


def decode(data: bytes) -> str:
    """The text of an article file: UTF-8 (with or without BOM); refuses empty files and binary junk."""
    if not data.strip():
        raise InputError("empty article: nothing to extract")
    if b"\x00" in data:
        raise InputError("not a text file: it holds NUL bytes (binary data?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (undecodable byte at offset {exc.start})") from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(3, len(text) // 100):
        raise InputError("not a text file: too many control characters (binary data?)")
    if not text.strip():
        raise InputError("empty article: nothing to extract")
    return text


# --- language ---------------------------------------------------------------------------------------------------

_EN_STOP = set(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "on",
        "was",
        "with",
        "said",
        "by",
        "as",
        "at",
        "from",
        "it",
        "were",
        "his",
        "he",
        "have",
        "has",
        "are",
        "an",
        "be",
        "which",
        "who",
        "after",
        "had",
        "their",
        "they",
        "its",
        "this",
        "not",
        "but",
        "been",
    ]
)
_STOPWORDS = {
    "French": set(
        [
            "le",
            "la",
            "les",
            "des",
            "et",
            "est",
            "une",
            "dans",
            "pour",
            "que",
            "qui",
            "sur",
            "du",
            "au",
            "pas",
            "avec",
        ]
    ),
    "German": set(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "mit",
            "den",
            "dem",
            "zu",
            "von",
            "auf",
            "sich",
            "des",
            "im",
        ]
    ),
    "Spanish": set(
        ["el", "los", "las", "del", "que", "en", "por", "una", "con", "para", "es", "se", "al", "lo", "como"]
    ),
    "Turkish": set(["ve", "bir", "bu", "da", "de", "ile", "için", "olarak", "daha", "çok", "ama", "gibi"]),
    "Portuguese": set(
        ["o", "os", "da", "do", "das", "dos", "que", "em", "um", "uma", "para", "com", "não", "se"]
    ),
    "Italian": set(["il", "di", "che", "la", "è", "per", "un", "una", "con", "non", "gli", "del", "della"]),
}
_SCRIPTS = [
    ("Arabic script (Pashto, Dari, Urdu or Arabic)", 0x0600, 0x06FF),
    ("Cyrillic script (Russian?)", 0x0400, 0x04FF),
    ("Devanagari script (Hindi?)", 0x0900, 0x097F),
    ("Chinese", 0x4E00, 0x9FFF),
]


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def guess_language(text: str) -> str:
    """'English', or a guess at what else the text is written in (by script, then by stop words)."""
    text = text[:6000]  # enough to tell, and the cost stays flat for long articles
    # ASCII letters counted by one regex and only the other characters one by one: a loop over every
    # character was a tenth of the extraction time of an English article
    ascii_letters = len(_ASCII_LETTER.findall(text))
    other = [c for c in _NON_ASCII.findall(text) if c.isalpha()]
    n_letters = ascii_letters + len(other)
    if not n_letters:
        return "no letters"
    for name, lo, hi in _SCRIPTS:
        if sum(1 for c in other if lo <= ord(c) <= hi) > n_letters * 0.3:
            if name.startswith("Arabic"):
                if any(c in text for c in "ټډړږښځڅ"):
                    return "Pashto"
                if any(c in text for c in "ٹڈڑےں"):
                    return "Urdu"
                if any(c in text for c in "پچژگ"):
                    return "Persian (Dari)"
                return "Arabic"
            return name
    if ascii_letters < n_letters * 0.5:
        return "unknown (non-Latin script)"
    words = re.findall(r"[a-zà-ÿçğışöü]+", text.lower())
    if not words:
        return "unknown"
    en = sum(1 for w in words if w in _EN_STOP) / len(words)
    best, best_share = "English", en
    for lang, stop in _STOPWORDS.items():
        share = sum(1 for w in words if w in stop) / len(words)
        if share > best_share:
            best, best_share = lang, share
    if best == "English" and en < 0.05 and len(words) > 20:
        return "unknown (few English words)"
    return best


# --- splitting --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


_ABBREV = {
    "lt", "gen", "col", "maj", "capt", "mr", "mrs", "ms", "dr", "st", "no", "jr", "sr", "brig", "sgt", "u.s",
    "a.m", "p.m", "jan", "feb", "aug", "sep", "sept", "oct", "nov", "dec", "vs", "etc", "mt", "govt", "dept",
}  # fmt: skip
_SENT_END = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_DATELINE = re.compile(
    r"^[A-Z][A-Z/ .,'’-]{2,60}(?:,\s+[A-Z][\w .'-]{2,40})?\s+[-–—]\s+|^\([^)]{2,40}\)\s+[-–—]\s+"
)


def paragraphs(text: str) -> list[Span]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        s = line.strip()
        if s:
            start = pos + line.index(s[0])
            out.append(Span(start, start + len(s), s))
        pos += len(line)
    return out


def strip_dateline(p: Span) -> Span:
    m = _DATELINE.match(p.text)
    if not m:
        return p
    return Span(p.start + m.end(), p.end, p.text[m.end() :])


def sentences(p: Span) -> list[Span]:
    out, last = [], 0
    for m in _SENT_END.finditer(p.text):
        word = re.search(r"([\w.]+)$", p.text[last : m.start()])
        if word and (word.group(1).lower() in _ABBREV or len(word.group(1)) == 1 and word.group(1).isupper()):
            continue  # "Lt. Gen.", "U.S.", an initial
        seg = p.text[last : m.start() + 1].strip()
        if seg:
            out.append(Span(p.start + last, p.start + last + len(seg), seg))
        last = m.end()
    seg = p.text[last:].rstrip()
    if seg:
        out.append(Span(p.start + last, p.start + last + len(seg), seg))
    return out


# a clause that brings a second version or a second event: "…, while the Taliban said …", "…; Pakistan's
# military said …"
_CLAUSE = re.compile(
    r";\s+|,\s+(?=(?:while|whereas)\s)|,\s+and\s+(?=[A-Z][\w’']*(?:\s+[A-Za-z]+)?\s+(?:later|also|then|\w+ed)\b)"
)


def clauses(s: Span) -> list[Span]:
    out, last = [], 0
    for m in _CLAUSE.finditer(s.text):
        seg = s.text[last : m.start()]
        if seg.strip():
            out.append(Span(s.start + last, s.start + m.start(), seg))
        last = m.end()
    seg = s.text[last:]
    if seg.strip():
        out.append(Span(s.start + last, s.end, seg))
    return out
