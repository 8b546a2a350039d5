"""Schedule, cancel and fire stored deadlines.

Firing takes a batch of due rows in one transaction: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
two server processes never take the same row (the other skips them and takes the next), and SQLite's
single writer (BEGIN IMMEDIATE) on the embedded default. Each handler runs in a savepoint of that
transaction: the escalation and the row's `fired` state commit together or not at all, so a crash between
them leaves the row pending and it fires again after the restart, exactly once. Handlers also re-check their subject's
state under a lock, and the hotline's events carry a unique constraint per step, as further guards."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from .models import Deadline, DeadlineState

log = logging.getLogger("sulh.deadlines")

Handler = Callable[[Deadline, dt.datetime], None]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 8
_wake = threading.Event()
_me = f"{socket.gethostname()}:{os.getpid()}"


def handler(kind: str):
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def schedule(kind: str, subject: str, due_at: dt.datetime, step: int = 0) -> Deadline:
    """A new pending deadline (in the caller's transaction). Wakes this process's runner after commit."""
    d = Deadline.objects.create(kind=kind, subject=str(subject), step=step, due_at=due_at, run_at=due_at)
    transaction.on_commit(_wake.set)
    return d


def cancel(kind: str, subject: str) -> int:
    """Cancel every pending deadline of `kind` for `subject` (in the caller's transaction)."""
    return Deadline.objects.filter(kind=kind, subject=str(subject), state=DeadlineState.PENDING).update(
        state=DeadlineState.CANCELLED
    )


BATCH = 25  # deadlines fired per transaction: one commit (and one fsync) for a burst, not one each


def _claim(now: dt.datetime, n: int) -> list[Deadline]:
    qs = Deadline.objects.filter(state=DeadlineState.PENDING, run_at__lte=now).order_by("run_at", "id")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True)
    return list(qs[:n])


def _fire(d: Deadline, now: dt.datetime) -> None:
    """Run one deadline's handler in a savepoint: a failure undoes its own work only, and is counted."""
    fn = HANDLERS.get(d.kind)
    try:
        if fn is None:
            raise LookupError(f"no handler for deadline kind {d.kind!r}")
        with transaction.atomic():
            fn(d, now)
        d.state, d.fired_at, d.fired_by = DeadlineState.FIRED, timezone.now(), _me
    except Exception as exc:  # noqa: BLE001 -- one failing deadline must not stop the others
        log.exception("deadline %s failed", d)
        d.attempts += 1
        d.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        d.run_at = now + dt.timedelta(seconds=min(60, 2**d.attempts))
        if d.attempts >= MAX_ATTEMPTS:
            d.state = DeadlineState.FAILED
    d.save(update_fields=["state", "fired_at", "fired_by", "attempts", "last_error", "run_at"])


def fire_due(*, limit: int = 500) -> list[Deadline]:
    """Fire every deadline that is due now (at most `limit`), up to BATCH per transaction; returns the rows
    handled. The rows of a batch are locked (SKIP LOCKED on PostgreSQL), so another process takes others."""
    handled: list[Deadline] = []
    # A read first: on SQLite every transaction takes the single write lock, which an idle poll must not.
    if not Deadline.objects.filter(state=DeadlineState.PENDING, run_at__lte=timezone.now()).exists():
        return handled
    while len(handled) < limit:
        with transaction.atomic():
            now = timezone.now()
            batch = _claim(now, min(BATCH, limit - len(handled)))
            if not batch:
                break
            for d in batch:
                _fire(d, now)
        handled.extend(batch)
    return handled


def next_run_at() -> dt.datetime | None:
    return (
        Deadline.objects.filter(state=DeadlineState.PENDING).order_by("run_at").values_list("run_at", flat=True).first()
    )


def overdue(grace_s: float = 5.0) -> list[Deadline]:
    """Pending deadlines more than `grace_s` past due, and failed ones: what the auditor reports."""
    limit = timezone.now() - dt.timedelta(seconds=grace_s)
    return list(
        Deadline.objects.filter(state=DeadlineState.PENDING, due_at__lt=limit).order_by("due_at")
    ) + list(Deadline.objects.filter(state=DeadlineState.FAILED).order_by("due_at"))


def run_forever(max_sleep_s: float = 0.25, stop: threading.Event | None = None) -> None:
    """Fire deadlines as they fall due. Sleeps until the next one, at most `max_sleep_s` so that deadlines
    scheduled by other processes are seen promptly; a deadline scheduled here wakes it at once."""
    from django.db import close_old_connections

    while stop is None or not stop.is_set():
        close_old_connections()
        try:
            fire_due()
            nxt = next_run_at()
        except Exception:  # noqa: BLE001 -- a database hiccup must not kill the runner
            log.exception("deadline runner: round failed")
            nxt = None
        wait = max_sleep_s
        if nxt is not None:
            wait = min(max_sleep_s, max(0.0, (nxt - timezone.now()).total_seconds()))
        if wait > 0:
            _wake.wait(wait)
        _wake.clear()


def start_thread(max_sleep_s: float = 0.25) -> threading.Thread:
    t = threading.Thread(target=run_forever, args=(max_sleep_s,), name="sulh-deadlines", daemon=True)
    t.start()
    return t
