"""Periodic jobs (log checkpoints, demo witnesses): run by `sulh serve` in a background thread,
or by `sulh tick` from cron or a separate process when the server runs several workers. Deadlines
(hotline escalations, protocol steps) are not periodic jobs: sulh.deadlines fires them as they fall due.

Every job must be safe to run twice at once (two workers, a tick and a server): jobs take their own locks
or are idempotent, so the ticker needs no coordination of its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("sulh.ticker")


@dataclass
class Job:
    name: str
    every_s: Callable[[], float]
    run: Callable[[], object]
    last: float = 0.0


JOBS: dict[str, Job] = {}


def every(name: str, seconds: Callable[[], float]):
    def register(fn):
        JOBS[name] = Job(name, seconds, fn)
        return fn

    return register


def run_due(now: float | None = None) -> list[str]:
    """Run every job whose period has passed; a failing job is logged and retried next period."""
    from django.db import close_old_connections

    now = time.monotonic() if now is None else now
    ran = []
    for job in JOBS.values():
        if job.last and now - job.last < job.every_s():
            continue
        job.last = now
        close_old_connections()
        try:
            job.run()
            ran.append(job.name)
        except Exception:  # noqa: BLE001 -- a periodic job must not kill the ticker
            log.exception("periodic job %s failed", job.name)
        finally:
            close_old_connections()
    return ran


def start_thread(poll_s: float = 5.0) -> threading.Thread:
    def loop():
        while True:
            run_due()
            time.sleep(poll_s)

    t = threading.Thread(target=loop, name="sulh-ticker", daemon=True)
    t.start()
    return t
