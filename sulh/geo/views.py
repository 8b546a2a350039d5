"""The map page (vector layers only, no tiles) and the small "where is this" partial of the claim form."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from sulh.incidents.services import IncidentFilter, search_incidents
from sulh.incidents.taxonomy import EVENT_TYPES

from .services import layers_geojson, locate

MAX_MAP_INCIDENTS = 5000
# One colour per event type, in taxonomy order (colour-blind-safe palette, then greys).
PALETTE = ["#0072b2", "#d55e00", "#cc79a7", "#009e73", "#e69f00", "#56b4e9", "#111111", "#666666"]


def event_colours() -> list[tuple[str, str]]:
    return [(t, PALETTE[i % len(PALETTE)]) for i, t in enumerate(EVENT_TYPES)]


def layer_names() -> dict[str, str]:
    return {
        "territories": gettext("Territories"),
        "border": gettext("Border"),
        "sectors": gettext("Sectors"),
        "provinces": gettext("Provinces"),
        "districts": gettext("Districts"),
        "posts": gettext("Joint monitoring posts"),
        "crossings": gettext("Crossings"),
        "incidents": gettext("Incidents"),
    }


def _day(value: str | None, end: bool = False):
    if not value:
        return None, ""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None, ""
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone()), value


@login_required
def map_view(request):
    since, since_text = _day(request.GET.get("since"))
    until, until_text = _day(request.GET.get("until"), end=True)
    qs = search_incidents(request.user, IncidentFilter(since=since, until=until))[:MAX_MAP_INCIDENTS]
    features = []
    for inc in qs:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [inc.longitude, inc.latitude]},
                "properties": {
                    "code": inc.code,
                    "title": inc.title,
                    "event_type": inc.event_type,
                    "sub_event_type": inc.sub_event_type,
                    "date": timezone.localtime(inc.date_start).strftime("%Y-%m-%d %H:%M %z"),
                    "url": reverse("incidents:detail", args=[inc.code]),
                    "demo": inc.is_demo,
                },
            }
        )
    context = {
        "layers": layers_geojson(),
        "incidents": {"type": "FeatureCollection", "features": features},
        "colours": event_colours(),
        "colour_map": dict(event_colours()),
        "since": since_text,
        "until": until_text,
        "layer_names": layer_names(),
        "count": len(features),
        "truncated": len(features) >= MAX_MAP_INCIDENTS,
    }
    return render(request, "geo/map.html", context)


@login_required
def locate_view(request):
    lat, lon = request.GET.get("latitude", "").strip(), request.GET.get("longitude", "").strip()
    context = {"location": None, "error": None, "empty": not (lat and lon)}
    if lat and lon:
        try:
            context["location"] = locate(lat, lon)
        except ValueError as exc:
            context["error"] = str(exc)
    return render(request, "geo/locate.html", context)
