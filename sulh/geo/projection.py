"""A metric frame around a border line: projection, geodesic distance and position along the line.

Nearest points are found in an azimuthal equidistant projection centred on the line (scale error under
0.5 % across the 2,000+ km of the Afghanistan–Pakistan border), then every distance that is reported is
measured on the WGS 84 ellipsoid with ``pyproj.Geod`` between the two lon/lat points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point
from shapely.ops import substring

GEOD = Geod(ellps="WGS84")


def reproject(geom, transformer: Transformer):
    """Apply a pyproj transformer (always_xy) to every coordinate of a shapely geometry."""

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


@dataclass(frozen=True)
class BorderFrame:
    line_lonlat: LineString
    line_m: LineString
    fwd: Transformer
    inv: Transformer
    cum_proj_m: np.ndarray  # projected distance along the line at each vertex
    cum_geod_m: np.ndarray  # geodesic distance along the line at each vertex

    @classmethod
    def from_line(cls, coords: Sequence[Sequence[float]]) -> BorderFrame:
        line = LineString([(float(x), float(y)) for x, y, *_ in coords])
        c = line.interpolate(0.5, normalized=True)
        crs = f"+proj=aeqd +lat_0={c.y:.4f} +lon_0={c.x:.4f} +datum=WGS84 +units=m +no_defs"
        fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        line_m = reproject(line, fwd)
        xy = np.asarray(line_m.coords)
        cum_proj = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        ll = np.asarray(line.coords)
        _, _, seg = GEOD.inv(ll[:-1, 0], ll[:-1, 1], ll[1:, 0], ll[1:, 1])
        cum_geod = np.concatenate([[0.0], np.cumsum(seg)])
        return cls(line, line_m, fwd, inv, cum_proj, cum_geod)

    @property
    def length_m(self) -> float:
        return float(self.cum_geod_m[-1])

    def to_m(self, lon: float, lat: float) -> Point:
        x, y = self.fwd.transform(lon, lat)
        return Point(x, y)

    def nearest(self, lon: float, lat: float) -> tuple[float, float, float]:
        """(distance in metres, lon, lat of the nearest point on the line) for a lon/lat point."""
        p = self.to_m(lon, lat)
        q = self.line_m.interpolate(self.line_m.project(p))
        qlon, qlat = self.inv.transform(q.x, q.y)
        _, _, d = GEOD.inv(lon, lat, qlon, qlat)
        return float(d), float(qlon), float(qlat)

    def distance_m(self, lon: float, lat: float) -> float:
        return self.nearest(lon, lat)[0]

    def km_along(self, lon: float, lat: float) -> float:
        """Geodesic distance in km from the start of the line to the point's nearest point on it."""
        s = self.line_m.project(self.to_m(lon, lat))
        return float(np.interp(s, self.cum_proj_m, self.cum_geod_m)) / 1000

    def proj_at_km(self, km: float) -> float:
        """Projected distance along the line at a geodesic distance (km) from the start."""
        return float(np.interp(km * 1000, self.cum_geod_m, self.cum_proj_m))

    def stretch_m(self, from_km: float, to_km: float) -> LineString:
        """The stretch of line between two geodesic positions, in projected metres."""
        return substring(self.line_m, self.proj_at_km(from_km), self.proj_at_km(to_km))
