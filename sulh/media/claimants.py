"""Who makes a claim (the README's claimant list) and who took part (actors, by canonical name and side).

Claimants are one of: ISPR, Pakistani security officials, Pakistani government, Taliban spokesman, Taliban
government, local officials, medical sources, outlet, TTP. Each has a side (PAK, AFG or None) so that two
versions of one night from opposite sides become two events. The patterns are tried in order; the first
cue in a clause names its claimant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLAIMANTS = (
    "ISPR",
    "Pakistani security officials",
    "Pakistani government",
    "Taliban spokesman",
    "Taliban government",
    "local officials",
    "medical sources",
    "outlet",
    "TTP",
)
SIDE = {
    "ISPR": "PAK",
    "Pakistani security officials": "PAK",
    "Pakistani government": "PAK",
    "Taliban spokesman": "AFG",
    "Taliban government": "AFG",
    "TTP": "TTP",
}

_PAK = r"(?:Pakistan(?:'s|’s|i)?|Islamabad(?:'s|’s)?)"
_AFG = r"(?:Afghan(?:istan(?:'s|’s)?)?|Taliban(?:'s|’s)?|Kabul(?:'s|’s)?|Islamic\s+Emirate(?:'s|’s)?)"
_MINISTRY = r"(?:(?:foreign|interior|defen[cs]e|information)\s+(?:ministry|office|minister)|ministry\s+of\s+\w+" \
            r"(?:\s+and\s+\w+)?|foreign\s+office|government|prime\s+minister|officials)"  # fmt: skip

# (claimant, pattern) in order of preference
_CUES: list[tuple[str, str]] = [
    (
        "ISPR",
        r"\bISPR\b|Inter[\s-]Services\s+Public\s+Relations|(?:military|army)(?:'s|’s)\s+media\s+wing|"
        r"\b(?:the|Pakistan(?:'s|’s|i))\s+(?:army|military)(?:'s|’s\s+spokesman)?\s+(?:said|says|claimed|"
        r"named|put|added|reported|accused|announced|statement)|\bthe\s+army\s+claims|"
        r"\b(?:army|military)\s+spokesman|\b(?:according\s+to|quoting)\s+the\s+(?:army|military)\b|"
        r"\b(?:the|Pakistan(?:'s|’s|i))\s+(?:army|military)\b(?=[^.]{0,80}\bsaid\b)|,\s+the\s+(?:army|"
        r"military)\s+said",
    ),
    (
        "Pakistani security officials",
        r"\bsecurity\s+(?:official|officials|sources?)\b|\bintelligence\s+"
        r"(?:officials|sources)\b",
    ),
    (
        "Taliban spokesman",
        r"\bZabihullah\s+Mujahid\b|\bMujahid\b|\bHamdullah\s+Fitrat\b|\bTaliban(?:'s|’s)?"
        r"\s+(?:[\w’']+\s+)?(?:chief\s+|deputy\s+)?spokes(?:man|person|woman)\b|"
        r"government(?:'s|’s)?\s+spokesman|spokes(?:man|person)\s+for\s+Afghanistan",
    ),
    (
        "medical sources",
        r"\bhospital\b|\bdoctors?\b(?=[^.]{0,40}\bsaid)|\bhealth\s+(?:official|officials|"
        r"department|ministry)\b|\bmedical\s+(?:sources?|officials?|staff)\b",
    ),
    (
        "local officials",
        r"\blocal\s+(?:officials?|authorities|administration|police)\b|\bprovincial\s+"
        r"(?:officials?|spokesman|governor|police|information|authorities)\b|\bdistrict\s+"
        r"(?:officials?|chief|governor|administration)\b|\bpolice\s+(?:said|say|officials?)\b|"
        r"\bofficials\s+in\s+the\s+border\b",
    ),
    (
        "Taliban government",
        r"\bTaliban[\s-](?:led\s+)?(?:government|regime|administration|authorities|"
        r"officials?)\b|\bTaliban(?:'s|’s)\s+(?:defen[cs]e|interior|foreign)\s+ministry\b|"
        r"\bIslamic\s+Emirate\b|\bAfghan\s+(?:officials|government|authorities|side|"
        r"defen[cs]e\s+ministry|ministry)\b|\bsenior\s+Taliban\s+official\b|"
        r"\bKabul\s+(?:said|blamed|accused|says)\b",
    ),
    (
        "Pakistani government",
        rf"\b{_PAK}\s+{_MINISTRY}\b|\b(?:Information|Interior|Defen[cs]e|Foreign)\s+"
        rf"Minister\b|\bForeign\s+Office\b|\bMinistry\s+of\s+Information\b|\bIslamabad\s+"
        rf"(?:said|says|replied|claimed|responded)\b|\baccording\s+to\s+Islamabad\b|"
        rf"\bPakistani\s+(?:officials|ministers|government)\b|\bwhat\s+it\s+called\b",
    ),
    ("TTP", r"\bTTP\s+(?:said|claimed)|\bclaimed\s+(?:by\s+the\s+TTP|responsibility)"),
]
# Words one of which every alternative of a cue contains (lower case): a clause with none of them cannot hold
# that cue, and a substring test is far cheaper than the pattern (most clauses name no source).
_NEEDS: dict[str, tuple[str, ...]] = {
    "ISPR": ("ispr", "inter", "army", "military"),
    "Pakistani security officials": ("security", "intelligence"),
    "Taliban spokesman": ("mujahid", "fitrat", "spokes"),
    "medical sources": ("hospital", "doctor", "health", "medical"),
    "local officials": ("local", "provincial", "district", "police", "officials"),
    "Taliban government": ("taliban", "islamic", "afghan", "kabul"),
    "Pakistani government": ("pakistan", "islamabad", "minister", "foreign", "what it called"),
    "TTP": ("ttp", "claimed"),
}
CUES = [(c, re.compile(p, re.I), _NEEDS[c]) for c, p in _CUES]
# letters that re.IGNORECASE matches to ASCII letters but str.lower() does not turn into them
_ODD_CASE = re.compile("[\u0130\u0131\u017f\u212a]")
# a pronoun that carries the claimant of the sentence before ("it said", "he said", "By his count")
PRONOUN = re.compile(r"\b(?:it|he|she|they)\s+(?:said|says|added|claimed|put)\b|\bby\s+(?:his|her|its)\s+"
                     r"count\b|\bthe\s+statement\s+said\b", re.I)  # fmt: skip


@dataclass(frozen=True)
class Cue:
    claimant: str
    start: int
    end: int


def find_claimant(text: str) -> Cue | None:
    """The earliest claimant cue in `text` (a clause or sentence), or None."""
    best = None
    low = None if _ODD_CASE.search(text) else text.lower()
    for claimant, rx, needs in CUES:
        if low is not None and not any(w in low for w in needs):
            continue
        m = rx.search(text)
        if m and (best is None or m.start() < best.start):
            best = Cue(claimant, m.start(), m.end())
    return best


def has_pronoun_source(text: str) -> bool:
    return bool(PRONOUN.search(text))


def side(claimant: str | None) -> str | None:
    return SIDE.get(claimant or "")


# --- actors ----------------------------------------------------------------------------------------------------

# canonical name -> pattern; canonical names as the register and the labels use them
ACTORS: list[tuple[str, re.Pattern]] = [
    (name, re.compile(p, re.I))
    for name, p in [
        (
            "TTP",
            r"\bTTP\b|Tehr(?:ee|i)k[\s-]+[ie][\s-]+Taliban[\s-]+Pakistan|Fitna[\s-]+al[\s-]+Khawarij|"
            r"\bkh?wa?rij\b|Pakistani\s+Taliban",
        ),
        ("Hafiz Gul Bahadur group", r"Gul\s+Bahadur"),
        ("BLA", r"\bBLA\b|Balochistan\s+Liberation\s+Army"),
        ("ISKP", r"\bISKP\b|\bIS-?K\b|Daesh|Islamic\s+State"),
        (
            "Afghan Taliban forces",
            r"Afghan\s+(?:Taliban\s+)?(?:forces|fighters|troops|units|soldiers|posts|side)|"
            r"Taliban\s+(?:forces|fighters|regime)|Afghan\s+Taliban\b|"
            r"\bAfghan\s+(?:border\s+)?(?:positions|guards)",
        ),
        ("Federal Constabulary", r"Federal\s+Constabulary"),
        ("Frontier Corps", r"Frontier\s+Corps|\bFC\b"),
        (
            "Pakistan Army",
            r"\bISPR\b|Pakistan(?:i)?\s+(?:army|forces|troops|soldiers|military|security\s+forces)|"
            r"\b(?:the\s+)?(?:army|military|troops|soldiers|security\s+forces)\b",
        ),
    ]
]
AIR = re.compile(r"\bair\s*strikes?|\bairstrikes?|\bdrones?\b|\bjets?\b|\bbomb(?:ed|ing)\b|precision\s+strikes",
                 re.I)  # fmt: skip
CIVILIAN_VICTIMS = re.compile(r"\b(?:civilians?|people|children|women|residents|villagers|cricketers|family|"
                              r"home|house|market|school|students)\b", re.I)  # fmt: skip


def find_actors(text: str, event_type: str, sub_event_type: str, civilians_hit: bool) -> list[str]:
    """Canonical actor names taking part, in a stable order: the attacker-side first where known."""
    found = [name for name, rx in ACTORS if rx.search(text)]
    if sub_event_type == "Air/drone strike" and re.search(r"Pakistan|Islamabad", text):
        found = ["Pakistan Air Force", *[a for a in found if a != "Pakistan Army"]]
    groups = ("TTP", "BLA", "ISKP", "Hafiz Gul Bahadur group")
    if sub_event_type == "Suicide bomb" and not any(a in found for a in groups):
        found = ["Unidentified militants", *[a for a in found if a != "Pakistan Army"]]
    if civilians_hit and "Civilians" not in found:
        found.append("Civilians")
    return found
