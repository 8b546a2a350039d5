"""Exports of the register: CSV in ACLED's 31 columns, and GeoJSON. Both stream, for large registers.

Each row is one incident. Its figures come from the claims the caller may see: ACLED codes the most
conservative figure reported, so `fatalities` is the lowest `deaths_best` among those claims (0 if none),
and `source` lists who said what.
"""

import csv
import io
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

from sulh.charter.loader import get_charter

from . import taxonomy
from .models import ClaimStatus, claim_visibility_q

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip

DISORDER_TYPE = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Political violence",
    "Strategic developments": "Strategic developments",
}
BATCH = 1000


def _claims_by_incident(user, incidents) -> dict:
    from .models import Claim

    ids = [i.pk for i in incidents]
    out = defaultdict(list)
    claims = (
        Claim.objects.filter(claim_visibility_q(user), incident_id__in=ids, status=ClaimStatus.FILED)
        .exclude(superseded_by__isnull=False)
        .order_by("incident_id", "seq")
    )
    for claim in claims:
        out[claim.incident_id].append(claim)
    return out


def _batches(qs) -> Iterator[list]:
    """Keyset pagination over the ordered queryset, so memory stays flat however large the register."""
    qs = qs.order_by("-date_start", "-code")
    last = None
    while True:
        page = qs
        if last is not None:
            page = page.filter(date_start__lte=last.date_start).exclude(
                date_start=last.date_start, code__gte=last.code
            )
        batch = list(page[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1]


def _names():
    charter = get_charter()
    names = {}
    for p in charter.provinces:
        names[p.code] = p.name.get("en", p.code)
    for d in charter.districts:
        names[d.code] = d.name.get("en", d.code)
    parties = {p.code: p for p in charter.parties}
    return names, parties


def _interaction(inter1, inter2) -> str:
    codes = sorted(c for c in (inter1, inter2) if c)
    if not codes:
        return ""
    if len(codes) == 1:
        return f"{codes[0]}0"
    return f"{codes[0]}{codes[1]}"


def acled_row(incident, claims, names, parties) -> list:
    event_type, sub_event_type = taxonomy.acled_pair(incident.event_type, incident.sub_event_type)
    first = claims[0] if claims else None
    best_figures = [c.deaths_best for c in claims if c.deaths_best is not None]
    party = parties.get(incident.side)
    tags = [f"status={incident.status}"]
    if incident.event_type == taxonomy.CEASEFIRE_EVENT_TYPE:
        tags.insert(0, f"ceasefire={incident.sub_event_type}")
    if incident.alleged_violator:
        tags.append(f"alleged_violator={incident.alleged_violator}")
    if incident.is_demo:
        tags.append("DEMONSTRATION DATA")
    civilian = event_type == "Violence against civilians" or any((c.deaths_civilians or 0) > 0 for c in claims)
    notes = incident.title
    if claims:
        notes += " | " + " | ".join(
            f"{c.source_name}: {c.notes or c.narrative[:200]}".strip() for c in claims
        )
    return [
        incident.code,
        incident.date_start.date().isoformat(),
        incident.date_start.year,
        incident.time_precision,
        DISORDER_TYPE.get(event_type, ""),
        event_type,
        sub_event_type,
        first.actor1 if first else "",
        first.assoc_actor_1 if first else "",
        first.inter1 or "" if first else "",
        first.actor2 if first else "",
        first.assoc_actor_2 if first else "",
        first.inter2 or "" if first else "",
        _interaction(first.inter1, first.inter2) if first else "",
        "Civilian targeting" if civilian else "",
        party.iso_numeric if party is not None else "",
        party.acled_region if party is not None else "",
        party.name.get("en", party.code) if party is not None else "",
        names.get(incident.province, incident.province),
        names.get(incident.district, incident.district),
        "",
        incident.location_name,
        f"{incident.latitude:.4f}",
        f"{incident.longitude:.4f}",
        incident.geo_precision,
        "; ".join(dict.fromkeys(c.source_name for c in claims)),
        "",
        notes,
        min(best_figures) if best_figures else 0,
        "; ".join(tags),
        int(incident.updated_at.timestamp()),
    ]


def acled_csv(user, qs) -> Iterator[str]:
    names, parties = _names()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(ACLED_COLUMNS)
    yield buf.getvalue()
    for batch in _batches(qs):
        claims = _claims_by_incident(user, batch)
        buf.seek(0)
        buf.truncate()
        for incident in batch:
            writer.writerow(acled_row(incident, claims.get(incident.pk, []), names, parties))
        yield buf.getvalue()


def feature(incident, claims) -> dict:
    best_figures = [c.deaths_best for c in claims if c.deaths_best is not None]
    return {
        "type": "Feature",
        "id": str(incident.pk),
        "geometry": {"type": "Point", "coordinates": [incident.longitude, incident.latitude]},
        "properties": {
            "code": incident.code,
            "title": incident.title,
            "event_type": incident.event_type,
            "sub_event_type": incident.sub_event_type,
            "date_start": incident.date_start.isoformat(),
            "date_end": incident.date_end.isoformat(),
            "date_prec": incident.date_prec,
            "where_prec": incident.where_prec,
            "status": incident.status,
            "side": incident.side,
            "sector": incident.sector,
            "district": incident.district,
            "alleged_violator": incident.alleged_violator,
            "distance_to_border_m": incident.distance_to_border_m,
            "fatalities": min(best_figures) if best_figures else 0,
            "claims": len(claims),
            "demo": incident.is_demo,
        },
    }


def geojson(user, qs) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for batch in _batches(qs):
        claims = _claims_by_incident(user, batch)
        parts = []
        for incident in batch:
            parts.append(json.dumps(feature(incident, claims.get(incident.pk, [])), ensure_ascii=False))
        chunk = ",\n".join(parts)
        yield chunk if first else ",\n" + chunk
        first = False
    yield "]}\n"


class ExportResponse(StreamingHttpResponse):
    """A download streamed from a synchronous generator that reads the database, under ASGI as under WSGI.

    Django serves a synchronous iterator under ASGI by reading it to the end first (`sync_to_async(list)`):
    the whole export in memory, and not one byte sent until the last row is written. Here each part is
    made in turn on the request's own thread (thread_sensitive, the thread the view ran on, holding its
    database connection) and sent as soon as it is made.
    """

    def __init__(self, content: Iterator[str], content_type: str, filename: str):
        super().__init__(content, content_type=content_type)
        self["Content-Disposition"] = f'attachment; filename="{filename}"'

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parts = iter(self.streaming_content)
        end = object()
        next_part = sync_to_async(next, thread_sensitive=True)
        while (part := await next_part(parts, end)) is not end:
            yield part
