"""Place names in article text, matched to the charter's gazetteer.

Entries come from the charter (provinces, districts and their seats, crossings, posts; every language's name,
so local-script names match too) plus two small curated tables below: towns and tehsils the charter does not
list, and variant spellings. Matching ignores case, hyphens and spaces between the parts of a name
("Spinboldak", "Spin-Boldak" and "Spin Boldak" are one name), but a Latin-script match must start with a capital
letter, so "a tank" is not the district of Tank. Each place knows its side of the border (ISO alpha-3).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# how precise a place is: lower is more precise ("most precise first" in the label shape)
RANK = {"town": 0, "crossing": 0, "post": 0, "district": 1, "province": 2}


@dataclass(frozen=True)
class Place:
    name: str  # the gazetteer's name, as labels and the register give it
    kind: str  # town | crossing | post | district | province
    country: str  # AFG | PAK
    province: str = ""  # the province's name, "" for a province itself


# Towns and tehsils below district level that the charter does not list, and the undivided districts still
# used by the press (Dir, Chitral and South Waziristan were split in 2018-2022, the charter has the halves).
# name: (kind, country, province). Sources: Wikipedia articles on each place (tehsils of North Waziristan,
# Kurram, Khyber; Chagai district; Barmal district), and shared/notes/research.md ("missing and to add by hand").
TOWNS: dict[str, tuple[str, str, str]] = {
    "Dir": ("district", "PAK", "Khyber Pakhtunkhwa"),
    "Chitral": ("district", "PAK", "Khyber Pakhtunkhwa"),
    "South Waziristan": ("district", "PAK", "Khyber Pakhtunkhwa"),
    "Wana": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Mir Ali": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Miranshah": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Spinwam": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Razmak": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Datta Khel": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Parachinar": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Sadda": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Landi Kotal": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Jamrud": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Tirah": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Khar": ("town", "PAK", "Khyber Pakhtunkhwa"),
    "Bahram Chah": ("town", "PAK", "Balochistan"),
    "Dalbandin": ("town", "PAK", "Balochistan"),
    "Shkin": ("town", "AFG", "Paktika"),
}

# Variant spellings -> gazetteer name. Sources: the names' Wikipedia articles (alternative spellings listed
# there), the charter's own local-script names, and common press usage (Dawn, Reuters, TOLOnews house styles).
VARIANTS: dict[str, str] = {
    "Spinboldak": "Spin Boldak",
    "Spin Buldak": "Spin Boldak",
    "Kuram": "Kurram",
    "Bajour": "Bajaur",
    "Angur Adda": "Angoor Adda",
    "Angor Adda": "Angoor Adda",
    "Torkhum": "Torkham",
    "Torkhem": "Torkham",
    "Baramcha": "Bahram Chah",
    "Bahramcha": "Bahram Chah",
    "Gorbuz": "Gurbuz",
    "Gurbaz": "Gurbuz",
    "Argun": "Urgun",
    "Orgun": "Urgun",
    "Bermel": "Barmal",
    "Sharana": "Sharan",
    "Khowst": "Khost",
    "Konar": "Kunar",
    "Ningarhar": "Nangarhar",
    "Qandahar": "Kandahar",
    "Baluchistan": "Balochistan",
    "Khyber-Pakhtunkhwa": "Khyber Pakhtunkhwa",
    "Miran Shah": "Miranshah",
    "Orakzay": "Orakzai",
    "Spin Wam": "Spinwam",
    "Chagai": "Chagai",
}

_PAREN = re.compile(r"\s*\(([^)]*)\)\s*")
_DASHES = "-‐‑‒–—"


def normalise(name: str) -> str:
    """Case-folded, accents dropped, hyphens and apostrophes as spaces, white space collapsed."""
    t = unicodedata.normalize("NFKD", name)
    t = "".join(c for c in t if not unicodedata.combining(c))
    for d in _DASHES + "'’`":
        t = t.replace(d, " ")
    return " ".join(t.casefold().split())


def _pattern(variant: str) -> str:
    """A regex for one name: its parts may be joined by nothing, spaces or hyphens."""
    parts = normalise(variant).split()
    return r"[\s\-‐–]*".join(re.escape(p) for p in parts)


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int
    text: str


class Gazetteer:
    def __init__(self, places: dict[str, Place], names: dict[str, str]):
        self.places = places  # gazetteer name -> Place
        self.names = names  # normalised variant -> gazetteer name
        alts = sorted(names, key=len, reverse=True)
        body = "|".join(_pattern(v) for v in alts)
        self._re = re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.I)
        self._by_pattern = {}

    def lookup(self, text: str) -> Place | None:
        name = self.names.get(normalise(text))
        return self.places.get(name) if name else None

    def find(self, text: str) -> list[Mention]:
        """Every place named in `text`, with its character span, longest names first where they overlap."""
        out = []
        for m in self._re.finditer(text):
            raw = m.group(0)
            if raw[0].isascii() and raw[0].isalpha() and not raw[0].isupper():
                continue
            place = self.lookup(raw)
            if place is None:  # a spelling with no spaces matched a spaced pattern: normalise harder
                place = self.lookup(re.sub(r"[\s\-‐–]+", " ", raw)) or self._squeezed(raw)
            if place is not None:
                out.append(Mention(place, m.start(), m.end(), raw))
        return out

    def _squeezed(self, raw: str) -> Place | None:
        key = normalise(raw).replace(" ", "")
        for variant, name in self.names.items():
            if variant.replace(" ", "") == key:
                return self.places[name]
        return None


def _clean(name: str) -> tuple[str, str | None]:
    """'Khost (Matun)' -> ('Khost', 'Matun'); 'Landi Kotal (reference town)' -> ('Landi Kotal', None)."""
    m = _PAREN.search(name)
    if not m:
        return name.strip(), None
    alias = m.group(1).strip()
    base = _PAREN.sub(" ", name).strip()
    if any(w in alias for w in ("reference", "central", "proposed", "town", "point")):
        alias = None
    return base, alias


def build(charter) -> Gazetteer:
    places: dict[str, Place] = {}
    names: dict[str, str] = {}
    province_names = {p.code: _clean(p.name["en"])[0] for p in charter.provinces}

    def add(name: str, place: Place, aliases=()):
        old = places.get(name)
        # one name for a province and its district of the same name (Kabul, Khost): keep the more precise
        # a bare "Khost" or "Kandahar" in the press is the province unless the text says "district"
        if old is None or (RANK[place.kind] < RANK[old.kind] and old.kind != "province"):
            places[name] = place
        for variant in (name, *aliases):
            if variant:
                names.setdefault(normalise(variant), name)

    for p in charter.provinces:
        name = province_names[p.code]
        add(name, Place(name, "province", p.party), p.name.values())
    for d in charter.districts:
        name, alias = _clean(d.name["en"])
        prov = province_names.get(d.province, "")
        if alias in province_names.values():
            alias = None
        local = [v for k, v in d.name.items() if k != "en"]
        add(name, Place(name, "district", d.party, prov), [alias, *local])
        seat, _ = _clean(d.seat.name)
        if normalise(seat) not in names and len(seat) > 3:
            add(seat, Place(seat, "town", d.party, prov))
    for c in charter.crossings:
        name, _ = _clean(c.name["en"])
        if "–" in name or "-" in name:  # a crossing named after its two towns: the towns are the places
            continue
        side = "PAK" if "PAK" in c.towns and c.towns["PAK"].startswith(name) else "AFG"
        add(name, Place(name, "crossing", side), [v for k, v in c.name.items() if k != "en"])
    for post in charter.posts:
        name, _ = _clean(post.name["en"])
        add(name, Place(name, "post", "PAK" if "PAK" in post.code else "AFG"))
    for name, (kind, country, prov) in TOWNS.items():
        add(name, Place(name, kind, country, prov))
    for variant, name in VARIANTS.items():
        if name in places:
            names[normalise(variant)] = name
    return Gazetteer(places, names)


_CACHE: dict[int, tuple[object, Gazetteer]] = {}


def gazetteer(charter=None) -> Gazetteer:
    """The gazetteer of `charter`, or of the configured one (see extract.default_charter)."""
    if charter is None:
        from .extract import default_charter

        charter = default_charter()
    hit = _CACHE.get(id(charter))
    if hit is None or hit[0] is not charter:  # keyed by identity; the charter is kept so the id stays its own
        hit = _CACHE[id(charter)] = (charter, build(charter))
    return hit[1]
