"""REST endpoints of the de-escalation protocols (/api/v1/protocols…, /api/v1/compliance)."""

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sulh.charter.loader import get_charter
from sulh.core.errors import NotFound
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import ProtocolRun, Task

router = Router(tags=["protocols"])


class TaskOut(Schema):
    id: UUID
    run: UUID
    protocol: str
    step: str
    name: str
    party: str
    post: str | None
    done_kind: str
    done_message_type: str
    done_report: str
    state: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    met_with: str


class RunOut(Schema):
    id: UUID
    protocol: str
    name: str
    incident: str | None
    message: str | None
    affected: str
    counterpart: str
    sector: str
    triggered_at: dt.datetime
    closed_at: dt.datetime | None
    tasks: list[TaskOut]


class RunIn(Schema):
    protocol: str
    incident: str | None = None
    message: str | None = None


class ReportIn(Schema):
    text: str = Field(max_length=services.MAX_TEXT)
    report: str = Field("", description="Form code the step asks for (report_filed steps)")
    held_at: dt.datetime | None = Field(None, description="Meetings: when it was held")
    place: str = Field("", max_length=200)
    attendees: str = Field("", max_length=2000)


class ReportOut(Schema):
    id: UUID
    task: UUID
    kind: str
    report: str
    filed_at: dt.datetime


class ComplianceOut(Schema):
    party: str
    met_on_time: int
    met_late: int
    breached: int
    open: int
    breaches: int
    on_time_rate: float | None


def task_out(t: Task) -> dict:
    return {
        "id": t.pk, "run": t.run_id, "protocol": t.run.protocol, "step": t.step, "name": t.name, "party": t.party,
        "post": t.post.code if t.post_id else None, "done_kind": t.done_kind, "done_message_type": t.done_message_type,
        "done_report": t.done_report, "state": t.state, "due_at": t.due_at, "met_at": t.met_at,
        "breached_at": t.breached_at, "met_with": t.met_with,
    }  # fmt: skip


def run_out(user, r: ProtocolRun) -> dict:
    from sulh.incidents.models import visible_incidents

    incident = r.incident.code if r.incident_id and visible_incidents(user).filter(pk=r.incident_id).exists() else None
    return {
        "id": r.pk, "protocol": r.protocol, "name": r.name, "incident": incident,
        "message": r.message.code if r.message_id else None, "affected": r.affected, "counterpart": r.counterpart,
        "sector": r.sector, "triggered_at": r.triggered_at, "closed_at": r.closed_at,
        "tasks": [task_out(t) for t in r.tasks.select_related("run", "post").order_by("step_index", "party")],
    }  # fmt: skip


@router.get("/protocols", response=list[dict], summary="The charter's de-escalation protocols")
def list_protocols(request: HttpRequest):
    return [p.model_dump(mode="json") for p in get_charter().protocols]


class RunFilter(Schema):
    open: bool | None = Field(None, description="Only runs with steps still open (true) or closed runs (false)")
    incident: str | None = None
    limit: int = Field(100, ge=1, le=500)


@router.get("/protocol-runs", response=list[RunOut], summary="Protocol runs you may see")
def list_runs(request: HttpRequest, f: Query[RunFilter]):
    qs = services.visible_runs(request.auth_user).select_related("incident", "message")
    if f.open is not None:
        qs = qs.filter(closed_at__isnull=f.open)
    if f.incident:
        from sulh.incidents.services import get_incident

        qs = qs.filter(incident=get_incident(request.auth_user, f.incident))
    return [run_out(request.auth_user, r) for r in qs[: f.limit]]


@router.post("/protocol-runs", response={201: with_receipts(RunOut)}, summary="Start a protocol by hand")
@answers_receipts(RunOut)
def start(request: HttpRequest, payload: RunIn):
    run = services.start_manually(request.auth_user, payload.protocol, incident_ref=payload.incident, message_ref=payload.message)
    return Status(201, run_out(request.auth_user, run))


@router.get("/protocol-runs/{run_id}", response=RunOut, summary="A protocol run with its tasks")
def get_run(request: HttpRequest, run_id: UUID):
    run = services.visible_runs(request.auth_user).filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no protocol run {run_id}")
    return run_out(request.auth_user, run)


@router.get("/protocol-tasks/due", response=list[TaskOut], summary="Open tasks of your organisation, soonest first")
def due(request: HttpRequest):
    return [task_out(t) for t in services.tasks_due(request.auth_user)]


@router.post("/protocol-tasks/{task_id}/reports", response={201: with_receipts(ReportOut)}, summary="File the report or meeting that meets a task")
@answers_receipts(ReportOut)
def file_report(request: HttpRequest, task_id: str, payload: ReportIn):
    row = services.file_report(request.auth_user, task_id, **payload.model_dump())
    return Status(201, {"id": row.pk, "task": row.task_id, "kind": row.kind, "report": row.report, "filed_at": row.filed_at})


@router.get("/compliance", response=list[ComplianceOut], summary="Each party's protocol record")
def compliance(request: HttpRequest, since: dt.datetime | None = None):
    return services.compliance(request.auth_user, since=since)


@router.get("/compliance/breaches", response=list[TaskOut], summary="Breached steps, newest first")
def breaches(request: HttpRequest, party: str | None = None):
    return [task_out(t) for t in services.breaches(request.auth_user, party)[:500]]
