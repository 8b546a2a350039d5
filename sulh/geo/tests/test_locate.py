"""locate() and layers_geojson() on the shipped charter."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from sulh.charter.loader import load_charter
from sulh.geo.projection import GEOD, BorderFrame
from sulh.geo.services import Location, layers_geojson, locate

SHIPPED = Path(__file__).resolve().parents[2] / "charter" / "charters" / "af-pak.yaml"
CHARTER = load_charter(SHIPPED)


def loc(lat, lon) -> Location:
    return locate(lat, lon, charter=CHARTER)


def test_torkham_is_at_the_border():
    r = loc(34.11, 71.09)
    assert r.distance_to_border_m < 5000
    assert r.near_border
    assert r.sector == "S6-KHYBER"
    assert r.nearest_place == "Torkham"


def test_parachinar():
    r = loc(33.89968, 70.10012)
    assert (r.side, r.district, r.province) == ("PAK", "PK-KURRAM", "PK-KP")


def test_spin_boldak():
    r = loc(31.00575, 66.40001)
    assert (r.side, r.district, r.province) == ("AFG", "AF-SPIN-BOLDAK", "AF-KAN")
    assert r.sector == "S2-CHAMAN"


def test_chaman():
    r = loc(30.91769, 66.45259)
    assert r.side == "PAK"
    assert r.district == "PK-CHAMAN"


def test_kabul_is_far_from_the_border():
    # Kabul is ~86 km from the nearest border point (the Kurram salient); it is never "near the border".
    r = loc(34.52813, 69.17233)
    assert r.side == "AFG"
    assert r.distance_to_border_m > 60_000
    assert not r.near_border
    assert r.sector is None


@pytest.mark.parametrize(
    "lat, lon, district, province",
    [
        # City centres (GeoNames): each must land in its own district, not in a border district's cell.
        (34.52813, 69.17233, "AF-KABUL", "AF-KAB"),
        (34.42647, 70.45153, "AF-JALALABAD", "AF-NAN"),
        (31.61332, 65.71013, "AF-KANDAHAR", "AF-KAN"),
        (34.00800, 71.57849, "PK-PESHAWAR", "PK-KP"),
        (30.18414, 67.00141, "PK-QUETTA", "PK-BA"),
    ],
)
def test_cities_behind_the_border_are_in_their_own_district(lat, lon, district, province):
    r = loc(lat, lon)
    assert (r.district, r.province) == (district, province)


def test_khost_and_miranshah():
    assert loc(33.33951, 69.92041).side == "AFG"
    r = loc(33.00059, 70.07117)
    assert (r.side, r.district, r.province) == ("PAK", "PK-NWAZ", "PK-KP")


def test_arabian_sea_is_nobodys():
    r = loc(24.0, 62.0)
    assert r.side is None and r.district is None and r.province is None and r.sector is None
    assert r.distance_to_border_m > 400_000


def test_one_km_off_the_line_is_about_1000_m():
    frame = BorderFrame.from_line(CHARTER.border.line.coordinates)
    coords = CHARTER.border.line.coordinates
    # Take the middle of a long segment and step 1 km perpendicular to it, on both sides.
    i = max(range(len(coords) - 1), key=lambda k: GEOD.inv(*coords[k], *coords[k + 1])[2])
    (x0, y0), (x1, y1) = coords[i], coords[i + 1]
    az, _, seg = GEOD.inv(x0, y0, x1, y1)
    mx, my, _ = GEOD.fwd(x0, y0, az, seg / 2)
    for turn in (90, -90):
        px, py, _ = GEOD.fwd(mx, my, az + turn, 1000)
        d = locate(py, px, charter=CHARTER).distance_to_border_m
        assert d == pytest.approx(1000, rel=0.05)
        assert frame.distance_m(px, py) == pytest.approx(d)


def test_distance_is_zero_on_the_line():
    x, y = CHARTER.border.line.coordinates[100]
    assert loc(y, x).distance_to_border_m < 1.0


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (91, 70),
        (-90.5, 70),
        (30, 181),
        (30, -180.01),
        (math.nan, 70),
        (30, math.inf),
        ("abc", 70),
        (None, 70),
    ],
)
def test_invalid_coordinates(lat, lon):
    with pytest.raises(ValueError):
        locate(lat, lon, charter=CHARTER)


def test_to_dict_is_plain():
    d = loc(34.11, 71.09).to_dict()
    assert set(d) >= {
        "side",
        "sector",
        "district",
        "province",
        "distance_to_border_m",
        "near_border",
        "nearest_place",
    }
    assert isinstance(d["distance_to_border_m"], float)


def test_every_crossing_and_post_is_near_the_line():
    for item in [*CHARTER.crossings, *CHARTER.posts]:
        lon, lat = item.location
        assert loc(lat, lon).distance_to_border_m < 4 * CHARTER.border.near_border_m, item.code


def test_each_district_seat_is_located_in_its_district():
    for d in CHARTER.districts:
        lon, lat = d.seat.location
        r = loc(lat, lon)
        assert r.side == d.party, d.code
        assert r.district == d.code, d.code
        assert r.province == d.province, d.code


def test_layers():
    layers = layers_geojson(CHARTER)
    assert set(layers) == {"border", "territories", "sectors", "provinces", "districts", "posts", "crossings"}
    for name, fc in layers.items():
        assert fc["type"] == "FeatureCollection"
        for f in fc["features"]:
            assert {"code", "name", "kind", "quality"} <= set(f["properties"]), name
            assert shape(f["geometry"]).is_valid, (name, f["properties"]["code"])
    assert len(layers["sectors"]["features"]) == len(CHARTER.sectors)
    assert layers["border"]["features"][0]["geometry"]["type"] == "LineString"
    import json

    assert len(json.dumps(layers)) < 500_000
    assert layers_geojson(CHARTER) is layers  # cached


_TERRITORIES = {p.code: shape(p.territory.model_dump()) for p in CHARTER.parties}


@settings(max_examples=150, deadline=None)
@given(lat=st.floats(min_value=23, max_value=40), lon=st.floats(min_value=55, max_value=80))
def test_property_locate_never_raises_and_side_matches_containment(lat, lon):
    r = loc(lat, lon)
    p = Point(lon, lat)
    if r.side is None:
        assert not any(g.contains(p) for g in _TERRITORIES.values())
    else:
        assert _TERRITORIES[r.side].covers(p)
        others = [g for code, g in _TERRITORIES.items() if code != r.side]
        assert not any(g.contains(p) for g in others)
    assert r.distance_to_border_m >= 0
    assert r.near_border == (r.distance_to_border_m <= CHARTER.border.near_border_m)
