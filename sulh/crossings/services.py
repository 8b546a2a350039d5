"""Crossings: recording a change of status, the current state, the history and the days closed
(docs/crossings.md).

Who records: the parties' liaison officers and commanders, the mediators' leads and verifiers, the joint
monitoring team's monitors. Who reads: everyone in the mechanism (parties, mediators, monitoring teams) reads
every record in full (evidence ids only where the reader may see the evidence); the operator's staff and the
public read the state of each crossing and its history of statuses and waiting figures, which is public
information at any border, but not the reasons, the evidence or who recorded a change.

A record that makes a crossing open tells the commitments app (`observe("crossing_open", …)`) in the same
transaction, so a reopening obligation is met exactly when the record that proves it commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.ledger import services as ledger

from .models import CrossingHead, CrossingStatus, Mode, Status

MAX_REASON = 5_000
MAX_WAITING = 10_000_000  # a typo guard: no crossing has ten million trucks or people waiting
MAX_EVIDENCE = 50
UNKNOWN = "unknown"  # no record yet covers that time
KINDS = (Status.OPEN, Status.RESTRICTED, Status.CLOSED, UNKNOWN)

# --- who may do what --------------------------------------------------------------------------------------------


def _org(user):
    return getattr(user, "organisation", None) if user is not None and user.is_authenticated else None


def can_read(user) -> bool:
    """Full records (reasons, evidence, who recorded): every party, mediator and monitoring team member."""
    org = _org(user)
    return org is not None and org.kind in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR,
                                            OrganisationKind.MONITORING)  # fmt: skip


def can_read_state(user) -> bool:
    """The state of each crossing and the history of statuses: anyone signed in, the public and the operator
    included (a crossing's being open or closed is public information)."""
    return _org(user) is not None


def may_record(user) -> bool:
    org = _org(user)
    if org is None:
        return False
    if org.kind == OrganisationKind.PARTY:
        return user.role in (Role.LIAISON_OFFICER, Role.COMMANDER)
    if org.kind == OrganisationKind.MEDIATOR:
        return user.role in (Role.MEDIATOR_LEAD, Role.VERIFIER)
    if org.kind == OrganisationKind.MONITORING:
        return user.role == Role.MONITOR
    return False


def _require_state_reader(user) -> None:
    if not can_read_state(user):
        raise PermissionDenied("sign in to see the crossings")


# --- the charter's crossings ----------------------------------------------------------------------------------


def crossings():
    return list(get_charter().crossings)


def get_crossing(code: str):
    try:
        return get_charter().crossing(str(code).strip())
    except KeyError:
        raise NotFound(f"no crossing {code!r} in the charter", field="crossing") from None


def modes_of(crossing) -> list[str]:
    """The modes a crossing serves, per the charter (trade, travel or both)."""
    return [m for m in (Mode.TRADE, Mode.TRAVEL) if getattr(crossing, m)]


# --- recording a change ---------------------------------------------------------------------------------------


def _evidence(user, ids: Iterable) -> list[str]:
    from sulh.evidence.services import get_evidence

    ids = list(ids or [])
    if len(ids) > MAX_EVIDENCE:
        raise ValidationFailed(f"at most {MAX_EVIDENCE} evidence items", field="evidence_ids")
    out = []
    for i, ref in enumerate(ids):
        try:
            out.append(str(get_evidence(user, ref).pk))
        except NotFound:
            raise NotFound(f"no evidence {ref!r} that you may see", field=f"evidence_ids.{i}") from None
    return sorted(set(out))


def _waiting(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field} must be a whole number", field=field) from None
    if n != value and not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a whole number", field=field)
    if n < 0:
        raise ValidationFailed(f"{field} cannot be negative", field=field)
    if n > MAX_WAITING:
        raise ValidationFailed(f"{field} is implausibly large (at most {MAX_WAITING})", field=field)
    return n


def _aware(user, when: dt.datetime) -> dt.datetime:
    """A time without an offset is read in the user's zone; stored in UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(user.effective_timezone))
    return when.astimezone(dt.UTC)


def _lock_head(code: str, mode: str) -> CrossingHead:
    """The head row of (crossing, mode), locked to the end of the transaction; made on first use."""
    head = CrossingHead.objects.select_for_update().filter(crossing=code, mode=mode).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            CrossingHead.objects.create(crossing=code, mode=mode)
    except IntegrityError:  # another transaction made it first: wait for it below
        pass
    return CrossingHead.objects.select_for_update().get(crossing=code, mode=mode)


def record_status(user, code: str, *, mode: str, status: str, reason: str,
                  effective_at: dt.datetime | None = None, evidence_ids: Iterable = (),
                  trucks_waiting: int | None = None, people_waiting: int | None = None) -> list[CrossingStatus]:  # fmt: skip
    """Record that crossing `code` is `status` for `mode` ("trade", "travel", or "both": one record per mode,
    in one transaction) from `effective_at` (default: now). Trucks waiting go with the trade record, people
    waiting with the travel record. Returns the records made, trade first."""
    if not may_record(user):
        raise PermissionDenied(
            "only the parties' liaison officers and commanders, the mediators' leads and verifiers and the "
            "monitors record a crossing's status"
        )
    crossing = get_crossing(code)
    code = crossing.code
    served = modes_of(crossing)
    mode = (mode or "").strip()
    if mode == "both":
        modes = [Mode.TRADE, Mode.TRAVEL]
    elif mode in Mode.values:
        modes = [mode]
    else:
        raise ValidationFailed("mode must be trade, travel or both", field="mode")
    for m in modes:
        if m not in served:
            raise ValidationFailed(f"{code} is not a crossing for {m} (the charter says so)", field="mode")
    if status not in Status.values:
        raise ValidationFailed(f"status must be one of {', '.join(Status.values)}", field="status")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("say why: the reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"the reason is {len(reason)} characters long; at most {MAX_REASON}", field="reason"
        )
    trucks = _waiting(trucks_waiting, "trucks_waiting")
    people = _waiting(people_waiting, "people_waiting")
    if trucks is not None and Mode.TRADE not in modes:
        raise ValidationFailed("trucks waiting are recorded with the trade status", field="trucks_waiting")
    if people is not None and Mode.TRAVEL not in modes:
        raise ValidationFailed("people waiting are recorded with the travel status", field="people_waiting")
    now = timezone.now()
    when = now if effective_at is None else _aware(user, effective_at)
    if when > now:
        raise ValidationFailed("effective_at is in the future: record a change once it has happened",
                               field="effective_at")  # fmt: skip
    evidence = _evidence(user, evidence_ids)
    org = _org(user)
    batch = uuid.uuid4()
    made: list[CrossingStatus] = []
    with transaction.atomic():
        heads = {m: _lock_head(code, m) for m in modes}
        for m in modes:
            last = heads[m].current
            if last is not None and when < last.effective_at:
                raise ValidationFailed(
                    f"effective_at is before the last record of {code} for {m} "
                    f"({last.effective_at.isoformat()}); the history is not rewritten",
                    field="effective_at",
                )
        for m in modes:
            head = heads[m]
            rec = CrossingStatus.objects.create(
                crossing=code, mode=m, seq=head.count + 1, status=status, effective_at=when, recorded_at=now,
                reason=reason, evidence_ids=evidence, trucks_waiting=trucks if m == Mode.TRADE else None,
                people_waiting=people if m == Mode.TRAVEL else None, recorded_by=user, recorder_org=org.code,
                batch=batch,
            )  # fmt: skip
            head.current, head.count = rec, head.count + 1
            head.save(update_fields=["current", "count"])
            ledger.record(rec, f"crossing_status.{status}", actor=user)
            made.append(rec)
        if status == Status.OPEN:
            _observe_open(crossing, made)
    return made


def _observe_open(crossing, made: list[CrossingStatus]) -> None:
    """Tell the commitments app that the crossing is open: for the mode just opened, or "both" when every
    mode the crossing serves is open after this transaction (then from the latest of their opening times)."""
    from sulh.commitments.services import observe

    served = modes_of(crossing)
    now_state = {h.mode: h.current for h in CrossingHead.objects.filter(crossing=crossing.code, mode__in=served)
                 .select_related("current")}  # fmt: skip
    opened = max(made, key=lambda r: (r.effective_at, r.mode))
    if all(now_state.get(m) is not None and now_state[m].status == Status.OPEN for m in served):
        mode = "both"
        at = max(now_state[m].effective_at for m in served)
    else:
        mode, at = opened.mode, opened.effective_at
    observe(
        "crossing_open", crossing.code, mode=mode, source_record=f"crossing_status:{opened.pk}",
        reason=f"{crossing.name['en']} recorded open for {mode} by {opened.recorder_org}: {opened.reason}"[:2000],
        at=at,
    )  # fmt: skip


# --- reading --------------------------------------------------------------------------------------------------


def current(code: str) -> dict[str, CrossingStatus | None]:
    """The newest record of each mode the crossing serves (None: nothing recorded yet)."""
    crossing = get_crossing(code)
    heads = {
        h.mode: h.current
        for h in CrossingHead.objects.filter(crossing=crossing.code).select_related("current")
    }
    return {m: heads.get(m) for m in modes_of(crossing)}


def combined(state: dict[str, CrossingStatus | None]) -> str:
    """One word for a map marker: open when every mode is open, closed when every mode is closed, unknown
    when nothing is recorded, restricted otherwise (restricted, or open for one mode and closed for the other)."""
    values = [r.status if r is not None else UNKNOWN for r in state.values()]
    if not values or all(v == UNKNOWN for v in values):
        return UNKNOWN
    if all(v == Status.OPEN for v in values):
        return Status.OPEN
    if all(v == Status.CLOSED for v in values):
        return Status.CLOSED
    return Status.RESTRICTED


@dataclass
class CrossingState:
    crossing: object  # the charter's Crossing
    modes: dict[str, CrossingStatus | None]
    state: str
    last: CrossingStatus | None = None


def overview(user) -> list[CrossingState]:
    """Every crossing of the charter with its current state per mode and its last change."""
    _require_state_reader(user)
    heads: dict[tuple[str, str], CrossingStatus] = {
        (h.crossing, h.mode): h.current for h in CrossingHead.objects.select_related("current") if h.current
    }
    out = []
    for c in crossings():
        modes = {m: heads.get((c.code, m)) for m in modes_of(c)}
        recs = [r for r in modes.values() if r is not None]
        last = max(recs, key=lambda r: (r.recorded_at, r.effective_at)) if recs else None
        out.append(CrossingState(c, modes, combined(modes), last))
    return out


def history(user, code: str) -> QuerySet[CrossingStatus]:
    """Every record of a crossing, newest first."""
    _require_state_reader(user)
    crossing = get_crossing(code)
    return (
        CrossingStatus.objects.filter(crossing=crossing.code)
        .select_related("recorded_by")
        .order_by("-effective_at", "-seq", "mode")
    )


def visible_evidence_ids(user, ids: Sequence[str]) -> list[str]:
    """The evidence of a record that `user` may see (others are left out, not named)."""
    if not ids or not can_read(user):
        return []
    from sulh.evidence.services import visible_evidence

    seen = {str(pk) for pk in visible_evidence(user).filter(pk__in=list(ids)).values_list("pk", flat=True)}
    return [i for i in ids if i in seen]


# --- days closed ----------------------------------------------------------------------------------------------


def durations(changes: Sequence[tuple[dt.datetime, str]], start: dt.datetime,
              end: dt.datetime) -> dict[str, dt.timedelta]:  # fmt: skip
    """How long each status held within [start, end). `changes` are (effective_at, status) in the order they
    were recorded (effective times never decrease); a status holds from its time until the next change. Time
    before the first change counts as unknown."""
    out = {k: dt.timedelta(0) for k in KINDS}
    if end <= start:
        return out
    status, t = UNKNOWN, start
    for at, new in changes:
        if at <= start:
            status = new
            continue
        if at >= end:
            break
        out[status] += at - t
        status, t = new, at
    out[status] += end - t
    return out


def segments(changes: Sequence[tuple[dt.datetime, str]], start: dt.datetime,
             end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str]]:  # fmt: skip
    """The same intervals as `durations`, as (from, to, status) with length > 0 (for the chart)."""
    out: list[tuple[dt.datetime, dt.datetime, str]] = []
    if end <= start:
        return out
    status, t = UNKNOWN, start
    for at, new in changes:
        if at <= start:
            status = new
            continue
        if at >= end:
            break
        if at > t:
            out.append((t, at, status))
        status, t = new, at
    out.append((t, end, status))
    return out


@dataclass
class Period:
    start: dt.datetime
    end: dt.datetime
    by_mode: dict[str, dict[str, dt.timedelta]] = field(default_factory=dict)
    changes: dict[str, list[tuple[dt.datetime, str]]] = field(default_factory=dict)

    def days(self, mode: str, status: str) -> float:
        return self.by_mode[mode][status].total_seconds() / 86400


def changes_of(code: str) -> dict[str, list[tuple[dt.datetime, str]]]:
    crossing = get_crossing(code)
    out: dict[str, list[tuple[dt.datetime, str]]] = {m: [] for m in modes_of(crossing)}
    for mode, at, status in (
        CrossingStatus.objects.filter(crossing=crossing.code).order_by("mode", "seq").values_list("mode", "effective_at", "status")
    ):  # fmt: skip
        out.setdefault(mode, []).append((at, status))
    return out


def days_closed(user, code: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                now: dt.datetime | None = None) -> Period:  # fmt: skip
    """Time spent open, restricted, closed and unknown per mode within [since, until). Defaults: since the
    crossing's first record, until now; a period reaching into the future stops at now."""
    _require_state_reader(user)
    now = now or timezone.now()
    changes = changes_of(code)
    since = _aware(user, since) if since is not None else None
    until = min(_aware(user, until) if until is not None else now, now)
    if since is None:
        firsts = [ch[0][0] for ch in changes.values() if ch]
        since = min(firsts) if firsts else until
    if since > until:
        raise ValidationFailed("the period ends before it starts", field="since")
    return Period(since, until, {m: durations(ch, since, until) for m, ch in changes.items()}, changes)
