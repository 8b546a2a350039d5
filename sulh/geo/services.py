"""Where is a point? Side of the border, sector, district, province, distance to the border line.

Everything is computed from the charter's geometry (``sulh.charter``): prepared territories, an STRtree
of district polygons and a metric frame around the border line are built once per charter and cached.
Distances are geodesic metres on WGS 84 (see ``sulh.geo.projection``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass

import numpy as np
import shapely
from shapely.geometry import Point, mapping, shape
from shapely.strtree import STRtree

from .projection import GEOD, BorderFrame, reproject

__all__ = ["Location", "layers_geojson", "locate", "validate_coordinates"]


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    side: str | None  # party code whose territory contains the point; None if neither
    sector: str | None  # sector whose stretch of border is nearest, if within its depth_m
    district: str | None
    province: str | None
    distance_to_border_m: float
    near_border: bool
    nearest_place: str | None  # name of the nearest district seat or crossing
    nearest_place_m: float | None
    km_along_border: float  # position of the nearest border point, km from the line's start

    def to_dict(self) -> dict:
        d = asdict(self)
        d["distance_to_border_m"] = round(self.distance_to_border_m, 1)
        if self.nearest_place_m is not None:
            d["nearest_place_m"] = round(self.nearest_place_m, 1)
        d["km_along_border"] = round(self.km_along_border, 2)
        return d

    @property
    def nearest_place_label(self) -> str | None:
        if self.nearest_place is None or self.nearest_place_m is None:
            return None
        return f"{self.nearest_place} ({self.nearest_place_m / 1000:.1f} km)"


def validate_coordinates(lat, lon) -> tuple[float, float]:
    """Return (lat, lon) as floats or raise ValueError with a clear message."""
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValueError(f"coordinates must be numbers, got lat={lat!r}, lon={lon!r}") from None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise ValueError(f"coordinates must be finite, got lat={lat!r}, lon={lon!r}")
    if not -90.0 <= lat_f <= 90.0:
        raise ValueError(f"latitude {lat_f} is outside [-90, 90] (did you swap latitude and longitude?)")
    if not -180.0 <= lon_f <= 180.0:
        raise ValueError(f"longitude {lon_f} is outside [-180, 180]")
    return lat_f, lon_f


class _Index:
    def __init__(self, charter):
        self.charter = charter
        self.frame = BorderFrame.from_line(charter.border.line.coordinates)
        self.territories = [(p.code, shape(p.territory.model_dump())) for p in charter.parties]
        for _, g in self.territories:
            shapely.prepare(g)
        self.districts = [d for d in charter.districts if d.geometry is not None]
        self.district_geoms = [shape(d.geometry.model_dump()) for d in self.districts]
        self.district_tree = STRtree(self.district_geoms) if self.district_geoms else None
        self.provinces = [p for p in charter.provinces if p.geometry is not None]
        self.province_geoms = [shape(p.geometry.model_dump()) for p in self.provinces]
        self.province_tree = STRtree(self.province_geoms) if self.province_geoms else None
        self.province_of_district = {d.code: d.province for d in charter.districts}
        places = [(d.seat.name, d.seat.location) for d in charter.districts]
        places += [(c.name["en"], c.location) for c in charter.crossings]
        self.place_names = [n for n, _ in places]
        self.place_lon = np.array([loc[0] for _, loc in places], dtype=float)
        self.place_lat = np.array([loc[1] for _, loc in places], dtype=float)
        self.sectors = sorted(charter.sectors, key=lambda s: s.from_km)
        self._layers: dict | None = None

    def side(self, pt: Point) -> str | None:
        for code, geom in self.territories:
            if geom.covers(pt):
                return code
        return None

    def _pick(self, tree, items, geoms, pt, side):
        if tree is None:
            return None
        hits = [int(i) for i in tree.query(pt, predicate="intersects")]
        if not hits:
            return None
        hits.sort(key=lambda i: (getattr(items[i], "party", side) != side, i))
        return items[hits[0]]

    def locate(self, lat: float, lon: float):
        pt = Point(lon, lat)
        side = self.side(pt)
        dist, _, _ = self.frame.nearest(lon, lat)
        km = self.frame.km_along(lon, lat)
        district = self._pick(self.district_tree, self.districts, self.district_geoms, pt, side)
        province = self._pick(self.province_tree, self.provinces, self.province_geoms, pt, side)
        province_code = (
            province.code
            if province
            else (self.province_of_district.get(district.code) if district else None)
        )
        sector = None
        for s in self.sectors:
            if s.from_km <= km <= s.to_km and dist <= s.depth_m:
                sector = s.code
                break
        place, place_m = None, None
        if len(self.place_names):
            _, _, d = GEOD.inv(
                np.full(self.place_lon.shape, lon),
                np.full(self.place_lat.shape, lat),
                self.place_lon,
                self.place_lat,
            )
            i = int(np.argmin(d))
            place, place_m = self.place_names[i], float(d[i])
        return Location(
            lat=lat,
            lon=lon,
            side=side,
            sector=sector,
            district=district.code if district else None,
            province=province_code,
            distance_to_border_m=dist,
            near_border=dist <= self.charter.border.near_border_m,
            nearest_place=place,
            nearest_place_m=place_m,
            km_along_border=km,
        )


_CACHE: dict[int, tuple[object, _Index]] = {}
_LOCK = threading.Lock()


def _index(charter=None) -> _Index:
    if charter is None:
        from sulh.charter.loader import get_charter

        charter = get_charter()
    key = id(charter)
    entry = _CACHE.get(key)
    if entry is not None and entry[0] is charter:
        return entry[1]
    with _LOCK:
        entry = _CACHE.get(key)
        if entry is not None and entry[0] is charter:
            return entry[1]
        idx = _Index(charter)
        if len(_CACHE) >= 4:
            _CACHE.clear()
        _CACHE[key] = (charter, idx)
        return idx


def locate(lat: float, lon: float, charter=None) -> Location:
    """Locate a WGS 84 point against the charter's border geography. Raises ValueError for bad input."""
    lat, lon = validate_coordinates(lat, lon)
    return _index(charter).locate(lat, lon)


# --- map layers ----------------------------------------------------------------------------------


def _rounded(obj, nd: int):
    if isinstance(obj, float):
        return round(obj, nd)
    if isinstance(obj, list | tuple):
        return [_rounded(v, nd) for v in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v, nd) for k, v in obj.items()}
    return obj


def _feature(geom, nd=4, **props) -> dict:
    return {"type": "Feature", "geometry": _rounded(mapping(geom), nd), "properties": props}


def _collection(features) -> dict:
    return {"type": "FeatureCollection", "features": features}


def layers_geojson(charter=None) -> dict[str, dict]:
    """GeoJSON FeatureCollections for a map: border, territories, sectors, provinces, districts, posts, crossings.

    Geometry is simplified for display (about 0.5 km for lines and districts, 1 km for territories).
    Every feature has properties code, name (dict by language), kind and quality.
    """
    idx = _index(charter)
    if idx._layers is not None:
        return idx._layers
    c = idx.charter
    frame = idx.frame
    border = _feature(
        frame.line_lonlat.simplify(0.004),
        code="border",
        name=dict(c.border.name),
        kind="border",
        quality="natural-earth",
    )
    territories = [
        _feature(
            g.simplify(0.01),
            code=code,
            name=dict(c.party(code).name),
            kind="territory",
            quality="natural-earth",
        )
        for code, g in idx.territories
    ]
    sectors = []
    for s in idx.sectors:
        stretch = frame.stretch_m(s.from_km, s.to_km)
        poly = reproject(stretch.buffer(s.depth_m, quad_segs=4).simplify(1000), frame.inv)
        sectors.append(
            _feature(
                poly,
                code=s.code,
                name=dict(s.name),
                kind="sector",
                quality="derived",
                from_km=s.from_km,
                to_km=s.to_km,
                depth_m=s.depth_m,
            )
        )
    provinces = [
        _feature(
            g.simplify(0.005),
            code=p.code,
            name=dict(p.name),
            kind="province",
            quality="source",
            party=p.party,
        )
        for p, g in zip(idx.provinces, idx.province_geoms, strict=True)
    ]
    districts = [
        _feature(
            g.simplify(0.005),
            code=d.code,
            name=dict(d.name),
            kind="district",
            quality=d.geometry_quality,
            party=d.party,
            province=d.province,
            seat=d.seat.name,
        )
        for d, g in zip(idx.districts, idx.district_geoms, strict=True)
    ]
    posts = [
        _feature(
            Point(p.location),
            nd=5,
            code=p.code,
            name=dict(p.name),
            kind="post",
            quality="proposed",
            sector=p.sector,
        )
        for p in c.posts
    ]
    crossings = [
        _feature(
            Point(x.location),
            nd=5,
            code=x.code,
            name=dict(x.name),
            kind="crossing",
            quality=x.source,
            trade=x.trade,
            travel=x.travel,
            towns=dict(x.towns),
        )
        for x in c.crossings
    ]
    idx._layers = {
        "border": _collection([border]),
        "territories": _collection(territories),
        "sectors": _collection(sectors),
        "provinces": _collection(provinces),
        "districts": _collection(districts),
        "posts": _collection(posts),
        "crossings": _collection(crossings),
    }
    return idx._layers
