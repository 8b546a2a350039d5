"""De-escalation protocols: start runs from incidents and messages, meet tasks, remind, record breaches.

Steps are met by what the mechanism already records (a hotline message sent or acknowledged by the
responsible party about the run's incident or in the triggering message's thread) or by a report or
meeting filed against the task. Reminders and due times are stored deadlines (sulh.deadlines), so they
survive restarts like the hotline's escalations."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind
from sulh.charter.loader import get_charter
from sulh.charter.schema import parse_duration
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.hotline import services as hotline
from sulh.hotline.models import EventKind, Message, Post
from sulh.incidents.taxonomy import severity_of
from sulh.ledger import services as ledger

from .models import MEDIATORS, ProtocolRun, ReportKind, Task, TaskReport, TaskState

REMIND = "protocols.remind"
DUE = "protocols.due"
MAX_TEXT = 8000

# --- who sees what ---------------------------------------------------------------------------------------


def _org(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def visible_runs(user) -> QuerySet[ProtocolRun]:
    """Mediators see every run; each party the runs it takes part in (both parties, by construction)."""
    org = _org(user)
    if org is None:
        return ProtocolRun.objects.none()
    if org.kind == OrganisationKind.MEDIATOR:
        return ProtocolRun.objects.all()
    if org.kind == OrganisationKind.PARTY:
        return ProtocolRun.objects.filter(Q(affected=org.code) | Q(counterpart=org.code))
    return ProtocolRun.objects.none()


def visible_tasks(user) -> QuerySet[Task]:
    return Task.objects.filter(run__in=visible_runs(user)).select_related("run", "post")


# --- starting a run -----------------------------------------------------------------------------------------


def _parties() -> list[str]:
    return [p.code for p in get_charter().parties]


def _incident_sides(incident) -> tuple[str, str] | None:
    """(affected, counterpart): the alleged violator is the counterpart; otherwise the reporting party, or
    the side the incident lies on, is the affected one. None if no party can be named."""
    parties = _parties()
    if incident.alleged_violator in parties:
        counterpart = incident.alleged_violator
        return next(p for p in parties if p != counterpart), counterpart
    reporter = (
        incident.claims.filter(status="filed", reporting_party__in=parties).order_by("seq")
        .values_list("reporting_party", flat=True).first()
    )  # fmt: skip
    affected = reporter or (incident.side if incident.side in parties else None)
    if affected is None:
        return None
    return affected, next(p for p in parties if p != affected)


def _matches_incident(p, incident, severity) -> bool:
    """`severity`: a callable, so the claims are read only for a trigger that asks for a severity."""
    t = p.trigger
    if not (t.event_types or t.sub_event_types):
        return False
    if t.event_types and incident.event_type not in t.event_types:
        return False
    if t.sub_event_types and incident.sub_event_type not in t.sub_event_types:
        return False
    if t.min_severity is not None and severity() < t.min_severity:
        return False
    if t.sectors and incident.sector not in t.sectors:
        return False
    # A protocol is for what is happening now: an incident filed long after it happened (an archive
    # import, the demo's history) starts none.
    return timezone.now() - incident.date_end <= parse_duration(t.max_age)


def incident_severity(incident) -> int:
    rows = incident.claims.filter(status="filed").values_list("deaths_best", "deaths_low", "injured_best", "injured_low")
    deaths = max((d or dl or 0 for d, dl, _, _ in rows), default=0)
    injured = max((i or il or 0 for _, _, i, il in rows), default=0)
    return severity_of(incident.sub_event_type, deaths, injured)


def on_incident_filed(sender=None, *, incident, actor=None, **kwargs) -> list[ProtocolRun]:
    """A claim of `incident` was filed: start every protocol it triggers that is not running for it yet."""
    known: list[int] = []

    def severity() -> int:
        if not known:
            known.append(incident_severity(incident))
        return known[0]

    started = []
    for p in get_charter().protocols:
        if _matches_incident(p, incident, severity) and not ProtocolRun.objects.filter(protocol=p.code, incident=incident).exists():
            sides = _incident_sides(incident)
            if sides is not None:
                started.append(_start(p, sides, incident=incident, sector=incident.sector, actor=actor))
    return started


def on_message_sent(sender=None, *, message: Message, **kwargs) -> None:
    root = _thread_root(message)
    for p in get_charter().protocols:
        t = p.trigger
        if message.message_type in t.message_types and (not t.sectors or set(t.sectors) & set(_sectors_of(message))):
            if root.pk != message.pk and ProtocolRun.objects.filter(protocol=p.code, message=root).exists():
                continue  # a correction (or reply) carries on the run of the message it belongs to
            affected = message.from_post.organisation.code
            if affected in _parties():
                counterpart = next(x for x in _parties() if x != affected)
                _start(p, (affected, counterpart), message=message, sector=_one(_sectors_of(message)), actor=message.sent_by)
    _meet_by_message(message, "message_sent", message.from_post)


def on_message_acknowledged(sender=None, *, message: Message, **kwargs) -> None:
    _meet_by_message(message, "message_acknowledged", message.ack_post or message.to_post)


def _sectors_of(message: Message) -> list[str]:
    return list(message.from_post.sectors) or list(message.to_post.sectors)


def _one(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ""


def start_manually(user, protocol_code: str, *, incident_ref: str | None = None, message_ref: str | None = None) -> ProtocolRun:
    try:
        return _start_manually(user, protocol_code, incident_ref=incident_ref, message_ref=message_ref)
    except IntegrityError:
        # Two people started the same protocol at the same moment: the database kept one run.
        raise Conflict(f"{protocol_code} is already running for this {'incident' if incident_ref else 'message'}") from None


def _start_manually(user, protocol_code: str, *, incident_ref: str | None, message_ref: str | None) -> ProtocolRun:
    """A mediator, commander or liaison officer starts a protocol for an incident or message they can see."""
    try:
        p = get_charter().protocol(protocol_code)
    except KeyError:
        raise NotFound(f"no protocol {protocol_code!r} in the charter", field="protocol") from None
    if user.role not in ("mediator_lead", "verifier", "commander", "liaison_officer"):
        raise PermissionDenied("only mediators, commanders and liaison officers start protocols")
    if bool(incident_ref) == bool(message_ref):
        raise ValidationFailed("give an incident or a message (one of them)", field="incident")
    with transaction.atomic():
        if incident_ref:
            from sulh.incidents.services import get_incident

            incident = get_incident(user, incident_ref)
            if ProtocolRun.objects.filter(protocol=p.code, incident=incident).exists():
                raise Conflict(f"{p.code} is already running for {incident.code}")
            sides = _incident_sides(incident)
            if sides is None:
                raise ValidationFailed("no party can be named as affected: set the alleged violator or the side", field="incident")
            return _start(p, sides, incident=incident, sector=incident.sector, actor=user)
        message = hotline.get_message(user, message_ref)
        if ProtocolRun.objects.filter(protocol=p.code, message=message).exists():
            raise Conflict(f"{p.code} is already running for {message.code}")
        affected = message.from_post.organisation.code
        if affected not in _parties():
            raise ValidationFailed("a protocol starts from a message sent by a party", field="message")
        counterpart = next(x for x in _parties() if x != affected)
        return _start(p, (affected, counterpart), message=message, sector=_one(_sectors_of(message)), actor=user)


def _post_for(party: str, level: str | None, sector: str, run: ProtocolRun) -> Post | None:
    if party == MEDIATORS:
        return Post.objects.filter(is_mediators_cell=True).first()
    if level is None:
        if run.message_id is not None:  # the party's own end of the triggering message
            m = run.message
            return m.from_post if m.from_post.organisation.code == party else m.to_post
        level_posts = Post.objects.filter(organisation__code=party).order_by("-level_rank")
    else:
        level_posts = Post.objects.filter(organisation__code=party, level=level)
    # Without a sector (an incident far from the line), only a desk that answers for every sector fits: the
    # first sector desk of the list would be a stranger's.
    for post in level_posts:
        if not post.sectors or (sector and sector in post.sectors):
            return post
    return None


def _start(p, sides: tuple[str, str], *, incident=None, message=None, sector: str = "", actor=None) -> ProtocolRun:
    affected, counterpart = sides
    now = timezone.now()
    # An incident's run counts from the moment the mechanism learns of it: the filing of its first claim (a
    # draft kept an hour is not yet known to anyone), which is now. A message's run counts from its sending.
    triggered = now if incident is not None else message.sent_at
    with transaction.atomic():
        run = ProtocolRun.objects.create(
            protocol=p.code, name=p.name["en"], definition=p.model_dump(mode="json"), incident=incident, message=message,
            affected=affected, counterpart=counterpart, sector=sector or "", triggered_at=triggered, started_by=actor,
        )  # fmt: skip
        ledger.record(run, "protocol_run.started", actor=actor)
        for i, step in enumerate(p.steps):
            parties = {"affected": [affected], "counterpart": [counterpart], "both": [affected, counterpart],
                       "mediators": [MEDIATORS]}[step.responsible]  # fmt: skip
            within = parse_duration(step.within)
            remind = parse_duration(step.remind_before) if step.remind_before else within / 4
            for party in parties:
                task = Task.objects.create(
                    run=run, step=step.code, step_index=i, name=step.name["en"], party=party,
                    post=_post_for(party, step.level, run.sector, run), done_kind=step.done_when.kind,
                    done_message_type=step.done_when.message_type or "", done_report=step.done_when.report or "",
                    within_s=int(within.total_seconds()), after=step.after, remind_before_s=int(remind.total_seconds()),
                )  # fmt: skip
                ledger.record(task, "protocol_task.created", actor=actor)
                if step.after == "trigger":
                    _open(task, triggered)
                _emit(task, EventKind.TASK_CREATED, actor=actor)
        # What was already done before the run started counts (a notification sent before the claim was filed;
        # for a run started by hand, the triggering message and its replies), in the order it happened: the
        # first notification meets NOTIFY, not the latest.
        done = Q(incident=incident) if incident is not None else Q(pk=message.pk) | Q(reply_to=message) | Q(corrects=message)
        for m in Message.objects.filter(done).order_by("sent_at").select_related("from_post__organisation", "to_post__organisation", "ack_post__organisation"):
            _meet_by_message(m, "message_sent", m.from_post, runs=[run])
            if m.acknowledged_at is not None:
                _meet_by_message(m, "message_acknowledged", m.ack_post or m.to_post, runs=[run])
    return run


def _open(task: Task, start: dt.datetime) -> None:
    task.due_at = start + dt.timedelta(seconds=task.within_s)
    if task.state == TaskState.WAITING:
        task.state = TaskState.OPEN
    task.save(update_fields=["due_at", "state"])
    remind_at = task.due_at - dt.timedelta(seconds=task.remind_before_s)
    if task.state == TaskState.OPEN:
        if remind_at > timezone.now():
            deadlines.schedule(REMIND, str(task.pk), remind_at)
        deadlines.schedule(DUE, str(task.pk), task.due_at)


def _audience(task: Task) -> set[str]:
    codes = {p.code for p in Post.objects.filter(is_mediators_cell=True)}
    if task.post_id:
        codes.add(task.post.code)
    return codes


def _emit(task: Task, kind: str, *, actor=None, detail: dict | None = None):
    info = {"run": str(task.run_id), "protocol": task.run.protocol, "step": task.step, "party": task.party,
            "name": task.name, "due_at": hotline._iso(task.due_at) if task.due_at else None, "state": task.state}  # fmt: skip
    info.update(detail or {})
    return hotline.emit(kind, task_id=task.pk, actor=actor, post=task.post, detail=info, audience=_audience(task))


# --- meeting steps -----------------------------------------------------------------------------------------


def _thread_root(m: Message) -> Message:
    seen = set()
    while (m.reply_to_id or m.corrects_id) and m.pk not in seen:
        seen.add(m.pk)
        m = m.reply_to or m.corrects
    return m


def _meet_by_message(message: Message, kind: str, acting_post: Post, runs=None) -> None:
    party = MEDIATORS if acting_post.is_mediators_cell else acting_post.organisation.code
    if runs is None:
        root = _thread_root(message)
        q = Q(message=root)
        # An answer in the thread of a message about the incident is about it too (the answering side may not
        # even see the incident to name it).
        incident_ids = {message.incident_id, root.incident_id} - {None}
        if incident_ids:
            q |= Q(incident_id__in=incident_ids)
        runs = list(ProtocolRun.objects.filter(q))
    tasks = Task.objects.select_for_update().filter(
        run__in=runs, party=party, done_kind=kind, done_message_type=message.message_type,
        state__in=[TaskState.WAITING, TaskState.OPEN, TaskState.BREACHED],
    )
    when = message.sent_at if kind == "message_sent" else message.acknowledged_at
    actor = message.sent_by if kind == "message_sent" else message.acknowledged_by
    for task in tasks:
        _meet(task, when or timezone.now(), actor, message.code)


def _meet(task: Task, when: dt.datetime, actor, met_with: str) -> None:
    late = task.state == TaskState.BREACHED or (task.due_at is not None and when > task.due_at)
    task.state = TaskState.MET_LATE if late else TaskState.MET
    task.met_at, task.met_by, task.met_with = when, actor, met_with
    if late and task.breached_at is None:
        task.breached_at = task.due_at
    task.save(update_fields=["state", "met_at", "met_by", "met_with", "breached_at"])
    deadlines.cancel(REMIND, str(task.pk))
    deadlines.cancel(DUE, str(task.pk))
    _emit(task, EventKind.TASK_MET, actor=actor, detail={"met_with": met_with, "late": late})
    _open_dependents(task, when)
    _close_if_done(task.run)


def _open_dependents(task: Task, start: dt.datetime) -> None:
    """Steps counted from this one start when it is met by every party responsible for it (or breached)."""
    siblings = Task.objects.filter(run=task.run, step=task.step)
    if siblings.filter(state__in=[TaskState.WAITING, TaskState.OPEN]).exists():
        return
    for dep in Task.objects.select_for_update().filter(run=task.run, after=task.step, state=TaskState.WAITING):
        _open(dep, start)


def _close_if_done(run: ProtocolRun) -> None:
    if run.closed_at is None and not run.tasks.filter(state__in=[TaskState.WAITING, TaskState.OPEN]).exists():
        run.closed_at = timezone.now()
        run.save(update_fields=["closed_at"])


def file_report(user, task_id, *, text: str, report: str = "", held_at=None, place: str = "", attendees: str = "") -> TaskReport:
    """File the form or record the meeting that meets a task. Only the responsible party files it."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("say what was done (text)", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"the text is {len(text)} characters long; at most {MAX_TEXT}", field="text")
    with transaction.atomic():
        task = _task_for_update(user, task_id)
        org = user.organisation
        responsible = MEDIATORS if org.kind == OrganisationKind.MEDIATOR else org.code
        if task.party != responsible:
            raise PermissionDenied(f"this task is {task.party}'s to meet, not {org.code}'s")
        if user.role not in ("commander", "liaison_officer", "mediator_lead", "verifier"):
            raise PermissionDenied("only commanders, liaison officers and mediators' staff file protocol reports")
        if task.done_kind not in ("report_filed", "meeting_held"):
            raise ValidationFailed(f"this step is met by a hotline message ({task.done_kind.replace('_', ' ')}), not a report", field="report")
        if task.state in (TaskState.MET, TaskState.MET_LATE):
            raise Conflict("this task is already met")
        if task.done_kind == "report_filed" and report != task.done_report:
            raise ValidationFailed(f"this step needs the report {task.done_report!r}", field="report")
        if task.done_kind == "meeting_held" and held_at is None:
            raise ValidationFailed("say when the meeting was held (held_at)", field="held_at")
        if task.done_kind == "report_filed" and held_at is not None:
            # A form counts when it is filed: a held_at would backdate it past its deadline.
            raise ValidationFailed("held_at is for meetings; a report counts from when it is filed", field="held_at")
        if held_at is not None and held_at > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationFailed("a meeting is recorded after it is held", field="held_at")
        row = TaskReport.objects.create(
            task=task, kind=ReportKind.MEETING if task.done_kind == "meeting_held" else ReportKind.REPORT,
            report=task.done_report, text=text, held_at=held_at, place=(place or "")[:200], attendees=attendees or "",
            filed_by=user,
        )  # fmt: skip
        ledger.record(row, "protocol_report.filed", actor=user)
        when = held_at if held_at is not None and held_at < row.filed_at else row.filed_at
        _meet(task, when, user, str(row.pk))
    return row


def _task_for_update(user, task_id) -> Task:
    try:
        pk = uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound(f"no task {task_id!r}") from None
    if not visible_tasks(user).filter(pk=pk).exists():
        raise NotFound(f"no task {task_id!r}")
    return Task.objects.select_for_update(of=("self",)).select_related("run", "post").get(pk=pk)


# --- deadlines -----------------------------------------------------------------------------------------------


@deadlines.handler(REMIND)
def remind(deadline, now: dt.datetime) -> None:
    task = Task.objects.select_for_update(of=("self",)).select_related("run", "post").filter(pk=deadline.subject).first()
    # After a downtime the reminder may come due with (or after) the deadline itself: a reminder then is noise.
    if task is not None and task.state == TaskState.OPEN and now < task.due_at:
        _emit(task, EventKind.TASK_REMINDER, detail={"due_in_s": max(0, int((task.due_at - now).total_seconds()))})


@deadlines.handler(DUE)
def breach(deadline, now: dt.datetime) -> None:
    task = Task.objects.select_for_update(of=("self",)).select_related("run", "post").filter(pk=deadline.subject).first()
    if task is None or task.state != TaskState.OPEN:
        return
    task.state, task.breached_at = TaskState.BREACHED, task.due_at
    task.save(update_fields=["state", "breached_at"])
    deadlines.cancel(REMIND, str(task.pk))
    _emit(task, EventKind.TASK_BREACHED, detail={"deadline": hotline._iso(task.due_at)})
    _open_dependents(task, task.due_at)
    _close_if_done(task.run)


# --- reading -------------------------------------------------------------------------------------------------


def tasks_due(user) -> QuerySet[Task]:
    """Open tasks of the user's organisation (the mediators' for mediator staff), soonest first."""
    org = _org(user)
    if org is None:
        return Task.objects.none()
    party = MEDIATORS if org.kind == OrganisationKind.MEDIATOR else org.code
    return visible_tasks(user).filter(party=party, state=TaskState.OPEN).order_by("due_at")


def compliance(user, *, since: dt.datetime | None = None) -> list[dict]:
    """Each party's protocol record (and the mediators'): tasks met on time, met late, breached, open."""
    tasks = visible_tasks(user)
    if since is not None:
        tasks = tasks.filter(run__triggered_at__gte=since)
    out = []
    for party in [*_parties(), MEDIATORS]:
        mine = tasks.filter(party=party)
        counts = {s: mine.filter(state=s).count() for s in TaskState.values}
        decided = counts[TaskState.MET] + counts[TaskState.MET_LATE] + counts[TaskState.BREACHED]
        breaches = counts[TaskState.MET_LATE] + counts[TaskState.BREACHED]
        out.append({
            "party": party, "met_on_time": counts[TaskState.MET], "met_late": counts[TaskState.MET_LATE],
            "breached": counts[TaskState.BREACHED], "open": counts[TaskState.OPEN] + counts[TaskState.WAITING],
            "breaches": breaches, "on_time_rate": None if decided == 0 else round(counts[TaskState.MET] / decided, 3),
        })  # fmt: skip
    return out


def breaches(user, party: str | None = None) -> QuerySet[Task]:
    qs = visible_tasks(user).filter(state__in=[TaskState.BREACHED, TaskState.MET_LATE]).order_by("-breached_at")
    return qs.filter(party=party) if party else qs
