"""The charter's geography for maps and clients: layers and a point lookup."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from sulh.charter.loader import get_charter
from sulh.core.errors import ValidationFailed

from . import services

router = Router(tags=["geography"])


class PointIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


@router.get("/geo/locate", summary="Side, sector, district, province and distance to the border of a point")
def locate(request: HttpRequest, point: Query[PointIn]):
    try:
        return services.locate(point.lat, point.lon).to_dict()
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="lat") from exc


@router.get("/geo/layers", summary="The charter's map layers as GeoJSON FeatureCollections")
def layers(request: HttpRequest):
    return services.layers_geojson()


@router.get("/charter", summary="The charter in force: parties, mediators, sectors, posts, crossings, clauses")
def charter(request: HttpRequest):
    c = get_charter()
    return {
        "id": c.id,
        "version": c.version,
        "title": c.title,
        "origin": c.origin,
        "parties": [{"code": p.code, "name": p.name, "timezone": p.timezone} for p in c.parties],
        "mediators": [{"code": m.code, "name": m.name} for m in c.mediators],
        "monitoring_teams": [{"code": m.code, "name": m.name} for m in c.monitoring_teams],
        "sectors": [{"code": s.code, "name": s.name} for s in c.sectors],
        "posts": [{"code": p.code, "name": p.name, "location": p.location, "sector": p.sector} for p in c.posts],
        "crossings": [{"code": x.code, "name": x.name, "location": x.location} for x in c.crossings],
        "clauses": [{"code": code, "text": text} for code, text in c.clauses()],
    }
