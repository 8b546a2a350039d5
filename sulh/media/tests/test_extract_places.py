"""The gazetteer's coordinates: every place the extractor can name has a point inside the region, with its UCDP
GED location precision, and a few places lie where they are known to be."""

import math
from datetime import date

import pytest

from sulh.charter.schema import REGION_LAT, REGION_LON
from sulh.media import gazetteer
from sulh.media.extract import extract


@pytest.fixture(scope="module")
def gaz():
    return gazetteer.gazetteer()


def km(a, b):
    """Great-circle distance between two (lat, lon) points (haversine, mean Earth radius)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_every_place_has_a_point_in_the_region(gaz):
    assert len(gaz.places) > 300
    for name, place in gaz.places.items():
        assert place.lat is not None and place.lon is not None, name
        assert REGION_LAT[0] <= place.lat <= REGION_LAT[1], (name, place.lat)
        assert REGION_LON[0] <= place.lon <= REGION_LON[1], (name, place.lon)
        # tighter: inside Afghanistan and Pakistan's box (lat 23.6-38.5, lon 60.5-77.9)
        assert 23.6 <= place.lat <= 38.5 and 60.5 <= place.lon <= 77.9, name
        assert place.where_prec == gazetteer.WHERE_PREC[place.kind] or place.kind == "town", name
        assert 1 <= place.where_prec <= 4


def test_every_name_looks_up_to_a_located_place(gaz):
    """Every variant the matcher knows (the extractor outputs the gazetteer name it maps to) looks up."""
    for variant in gaz.names:
        place = gaz.lookup(variant)
        assert place is not None and place.lat is not None, variant
        assert gaz.lookup(place.name) == place


def test_known_positions(gaz):
    spin, chaman, torkham = gaz.lookup("Spin Boldak"), gaz.lookup("Chaman"), gaz.lookup("Torkham")
    gate = (30.95104, 66.42882)  # the Friendship Gate crossing point in the charter
    assert km((spin.lat, spin.lon), gate) < 15 and km((chaman.lat, chaman.lon), gate) < 15
    assert spin.lon < 66.45 and spin.lat > 30.95  # Spin Boldak is north-west of Chaman, across the line
    assert torkham.where_prec == 1 and km((torkham.lat, torkham.lon), (34.11, 71.09)) < 5
    landi = gaz.lookup("Landi Kotal")
    assert km((landi.lat, landi.lon), (torkham.lat, torkham.lon)) < 15
    wana, mir_ali = gaz.lookup("Wana"), gaz.lookup("Mir Ali")
    assert wana.where_prec == 2 and mir_ali.where_prec == 2
    assert km((mir_ali.lat, mir_ali.lon), (gaz.lookup("Miranshah").lat, gaz.lookup("Miranshah").lon)) < 30
    # a province is coarse, and its point lies among its districts
    khost, gurbuz = gaz.lookup("Khost"), gaz.lookup("Gurbuz")
    assert khost.kind == "province" and khost.where_prec == 4
    assert km((khost.lat, khost.lon), (gurbuz.lat, gurbuz.lon)) < 60
    assert gaz.lookup("Kurram").where_prec == 3
    # variants land on the same point
    assert gaz.lookup("Spinboldak") == spin and gaz.lookup("Kuram") == gaz.lookup("Kurram")


def test_places_are_hashable_and_frozen(gaz):
    place = gaz.lookup("Torkham")
    assert len({place, gaz.lookup("Torkhum")}) == 1
    with pytest.raises(AttributeError):
        place.lat = 0.0  # type: ignore[misc]
    # the old positional form still works; where_prec then follows the kind
    assert gazetteer.Place("X", "district", "PAK", "Kurram").where_prec == 3


def test_extracted_event_carries_its_most_precise_point():
    (e,) = extract("Pakistani jets bombed a house in Khost province, in Gurbuz district, killing two people.",
                   date(2025, 11, 25))["events"]  # fmt: skip
    g = gazetteer.gazetteer().lookup("Gurbuz")
    assert e["geo"] == {"lat": g.lat, "lon": g.lon, "where_prec": 3}
    (e,) = extract("Fighting broke out on Tuesday in Kandahar province, killing five people.",
                   date(2025, 11, 25))["events"]  # fmt: skip
    assert e["geo"]["where_prec"] == 4
