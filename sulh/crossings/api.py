"""REST endpoints of Crossings (/api/v1/crossings…). Thin: parse, call services, shape.

Everyone signed in reads the state of the crossings; the reasons, the evidence and who recorded a change
are answered only to the mechanism's members (parties, mediators, monitors), `null` to others."""

import datetime as dt
import json
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import CrossingStatus

router = Router(tags=["crossings"])


class StatusIn(Schema):
    mode: Literal["trade", "travel", "both"] = Field(
        description="trade, travel, or both (one record per mode)"
    )
    status: Literal["open", "restricted", "closed"]
    reason: str = Field(max_length=services.MAX_REASON, description="Why: what happened, and the source")
    effective_at: dt.datetime | None = Field(
        None, description="When it took effect (default now); never in the future nor before the last record"
    )
    evidence_ids: list[str] = Field(default_factory=list, description="Ids of evidence you may see")
    trucks_waiting: int | None = Field(None, description="Trucks waiting (goes with the trade record)")
    people_waiting: int | None = Field(None, description="People waiting (goes with the travel record)")


class RecordOut(Schema):
    id: str
    crossing: str
    mode: str
    seq: int
    status: str
    effective_at: dt.datetime
    recorded_at: dt.datetime
    trucks_waiting: int | None
    people_waiting: int | None
    batch: str
    reason: str | None = Field(description="For the mechanism's members only")
    evidence_ids: list[str] | None = Field(description="The evidence you may see; for the mechanism only")
    recorded_by: str | None = Field(description="Username; for the mechanism's members only")
    recorder_org: str | None = Field(description="Organisation code; for the mechanism's members only")


class CrossingOut(Schema):
    code: str
    name: dict[str, str]
    location: list[float] = Field(description="[longitude, latitude]")
    trade: bool = Field(description="The charter lists the crossing for trade")
    travel: bool = Field(description="The charter lists the crossing for travel")
    state: str = Field(description="open, restricted, closed or unknown (both modes together)")
    current: dict[str, RecordOut | None] = Field(description="The newest record of each mode it serves")
    last_change: RecordOut | None


class DaysOut(Schema):
    since: dt.datetime
    until: dt.datetime
    days: dict[str, dict[str, float]] = Field(
        description="mode → status → days (open, restricted, closed, unknown)"
    )
    seconds: dict[str, dict[str, int]] = Field(description="The same in whole seconds")


class CrossingDetailOut(CrossingOut):
    history: list[RecordOut] = Field(description="Every record, newest first")
    days_closed: DaysOut


class RecordedOut(Schema):
    records: list[RecordOut]
    obligations_met: list[str] = Field(description="Codes of obligations this change met")


def record_out(user, r: CrossingStatus) -> dict:
    full = services.can_read(user)
    return {
        "id": str(r.pk), "crossing": r.crossing, "mode": r.mode, "seq": r.seq, "status": r.status,
        "effective_at": r.effective_at, "recorded_at": r.recorded_at, "trucks_waiting": r.trucks_waiting,
        "people_waiting": r.people_waiting, "batch": str(r.batch),
        "reason": r.reason if full else None,
        "evidence_ids": services.visible_evidence_ids(user, r.evidence_ids) if full else None,
        "recorded_by": r.recorded_by.get_username() if full else None,
        "recorder_org": r.recorder_org if full else None,
    }  # fmt: skip


def crossing_out(user, st: services.CrossingState) -> dict:
    c = st.crossing
    return {
        "code": c.code, "name": dict(c.name), "location": list(c.location), "trade": c.trade, "travel": c.travel,
        "state": st.state, "current": {m: (record_out(user, r) if r else None) for m, r in st.modes.items()},
        "last_change": record_out(user, st.last) if st.last else None,
    }  # fmt: skip


def _state(user, code: str) -> services.CrossingState:
    crossing = services.get_crossing(code)
    return next(s for s in services.overview(user) if s.crossing.code == crossing.code)


@router.get("/crossings", response=list[CrossingOut], summary="Every crossing with its current state")
def list_crossings(request: HttpRequest):
    return [crossing_out(request.auth_user, s) for s in services.overview(request.auth_user)]


@router.get("/crossings/status.geojson", summary="The crossings as GeoJSON points with their current state")
def geojson(request: HttpRequest):
    user = request.auth_user
    features = []
    for s in services.overview(user):
        c = s.crossing
        props = {
            "code": c.code, "name": dict(c.name), "state": s.state,
            "modes": {m: ({"status": r.status, "since": r.effective_at, "trucks_waiting": r.trucks_waiting,
                           "people_waiting": r.people_waiting} if r else None) for m, r in s.modes.items()},
        }  # fmt: skip
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": list(c.location)},
                         "properties": props})  # fmt: skip
    body = json.dumps({"type": "FeatureCollection", "features": features}, cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type="application/geo+json")


@router.get(
    "/crossings/{code}", response=CrossingDetailOut, summary="A crossing: its history and days closed"
)
def get_crossing(
    request: HttpRequest, code: str, since: dt.datetime | None = None, until: dt.datetime | None = None
):
    user = request.auth_user
    st = _state(user, code)
    period = services.days_closed(user, code, since=since, until=until)
    out = crossing_out(user, st)
    out["history"] = [record_out(user, r) for r in services.history(user, code)]
    out["days_closed"] = {
        "since": period.start, "until": period.end,
        "days": {m: {k: round(v.total_seconds() / 86400, 4) for k, v in d.items()} for m, d in period.by_mode.items()},
        "seconds": {m: {k: int(v.total_seconds()) for k, v in d.items()} for m, d in period.by_mode.items()},
    }  # fmt: skip
    return out


@router.post("/crossings/{code}/status", response={201: with_receipts(RecordedOut)},
             summary="Record a change of a crossing's status (one record per mode)")  # fmt: skip
@idempotent
@answers_receipts(RecordedOut)
def record(request: HttpRequest, code: str, payload: StatusIn):
    from sulh.commitments.models import ObligationChange

    user = request.auth_user
    made = services.record_status(user, code, **payload.model_dump())
    met = ObligationChange.objects.filter(source_record__in=[f"crossing_status:{r.pk}" for r in made])
    return Status(201, {
        "records": [record_out(user, r) for r in made],
        "obligations_met": sorted(met.values_list("obligation__code", flat=True)),
    })  # fmt: skip
