"""Live delivery: one hub per server process fans committed events out to the Server-Sent Events streams
connected to that process.

Why the database and PostgreSQL LISTEN/NOTIFY rather than Redis pub/sub: the events are rows already (the
stream is the EventAudience table in seq order), so replay after a reconnect, or after a process died
between "stored" and "sent", is a query, and the wake-up needs no second system to install, secure and
keep alive on a border post's server. NOTIFY is transactional (sent at commit, never for a rolled-back
change), so a wake-up never announces an event that does not exist. On SQLite (one server process) the
hub is woken in-process after commit and also polls the newest seq, which covers `sulh tick` and the CLI
writing from other processes. A lost wake-up only delays delivery to the next poll; it never loses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

log = logging.getLogger("sulh.hotline.stream")

POLL_S_SQLITE = 0.25
POLL_S_POSTGRES = 1.0


@dataclass(eq=False)
class Subscriber:
    post_ids: frozenset[int]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class Hub:
    def __init__(self):
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = None  # newest seq dispatched

    # --- subscribers (called from the event loop) ---
    def subscribe(self, post_ids) -> Subscriber:
        sub = Subscriber(frozenset(post_ids), asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        self._ensure_thread()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def listeners(self) -> int:
        return len(self._subs)

    def poke(self) -> None:
        """Something was committed in this process: look now."""
        self._wake.set()

    # --- the watcher thread ---
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="sulh-hotline-hub", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        from . import services

        close_old_connections()
        self._last = services.latest_seq()
        listener = None
        while True:
            try:
                if connection.vendor == "postgresql":
                    if listener is None:
                        listener = _pg_listener()
                    _wait_pg(listener, self._wake, POLL_S_POSTGRES)
                else:
                    self._wake.wait(POLL_S_SQLITE)
                self._wake.clear()
                self._dispatch_new()
            except Exception:  # noqa: BLE001 -- keep serving; the next round retries
                log.exception("hotline hub round failed")
                if listener is not None:
                    with contextlib.suppress(Exception):
                        listener.close()
                    listener = None
                close_old_connections()
                threading.Event().wait(1.0)

    def _dispatch_new(self) -> None:
        from .payload import payloads_after

        if not self._subs:
            from . import services

            self._last = services.latest_seq()
            return
        rows = payloads_after(self._last, limit=2000)
        with self._lock:
            subs = list(self._subs)
        # One hand-over per event loop for the whole round, not one per listener and event: with hundreds of
        # streams, waking the loop once per (listener, event) cost more than the delivery itself.
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for seq, post_ids, payload in rows:
            item = (seq, payload, {})  # {}: the event's SSE frame per time zone, built by its first listener there
            for s in subs:
                if s.post_ids & post_ids:
                    by_loop.setdefault(s.loop, []).append((s.queue, item))
            self._last = seq
        for loop, puts in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a loop that has closed: its streams are gone
                loop.call_soon_threadsafe(_deliver, puts)
        if len(rows) == 2000:
            self._wake.set()


def _deliver(puts) -> None:
    for queue, item in puts:
        queue.put_nowait(item)


def _pg_listener():
    """A connection of its own, outside Django's, in autocommit, listening on the hotline's channel."""
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=True)
    from .services import NOTIFY_CHANNEL

    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return conn


def _wait_pg(conn, wake: threading.Event, timeout: float) -> None:
    """Return when a NOTIFY arrives, this process pokes, or `timeout` passes (a safety poll)."""
    step = 0.05
    waited = 0.0
    while waited < timeout and not wake.is_set():
        got = False
        for _ in conn.notifies(timeout=step, stop_after=1):
            got = True
        if got:
            # Drain what else has arrived, so one round handles a burst.
            for _ in conn.notifies(timeout=0.001):
                pass
            return
        waited += step


hub = Hub()
