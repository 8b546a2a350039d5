"""GET /hotline/stream: the Server-Sent Events stream of the posts the caller holds on duty.

Each event's `id:` is its seq (the leaf index of its log entry). A client that reconnects sends the last id
it saw (`Last-Event-ID`, which browsers' EventSource send by themselves, or `?last_event_id=`) and gets
every event it missed, exactly once and in order, then the live ones. `?last_event_id=-1` replays from the
start. A comment line every HEARTBEAT_S keeps proxies from closing an idle stream."""

from __future__ import annotations

import asyncio
import json
import zoneinfo

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from . import services
from .payload import payloads_after
from .stream import hub

HEARTBEAT_S = 20.0
REPLAY_BATCH = 500


def _caller(request: HttpRequest):
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        from sulh.core.auth import TokenAuth

        return TokenAuth().authenticate(request, auth.removeprefix("Bearer ").strip())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if user.requires_second_factor and not user.is_verified():
        return None
    return user


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    if raw is None or raw == "":
        return None
    return int(raw)  # ValueError is answered 400 by the caller


def _frame(seq: int, payload: dict, tz) -> str:
    data = dict(payload)
    if tz is not None and payload.get("at"):
        import datetime as dt

        at = dt.datetime.fromisoformat(payload["at"].replace("Z", "+00:00"))
        data["at_local"] = at.astimezone(tz).isoformat(timespec="seconds")
    return f"id: {seq}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def _release_connection() -> None:
    from django.db import connection

    if not connection.in_atomic_block:
        connection.close()


async def _events(post_ids: frozenset[int], last: int | None, tz):
    sub = hub.subscribe(post_ids)
    try:
        if last is None:
            last = await sync_to_async(services.latest_seq)()
        elif last > await sync_to_async(services.latest_seq)():
            # A cursor from the future (a restored database): the client must refetch its inbox.
            yield "event: resync\ndata: {}\n\n"
            last = await sync_to_async(services.latest_seq)()
        # The starting cursor as the stream's first id (a frame without data dispatches nothing): a client
        # that connected without one and loses the link before any event still resumes from here.
        yield f"retry: 3000\nid: {last}\n\n"
        while True:  # replay what was missed, in batches
            rows = await sync_to_async(payloads_after)(last, post_ids=post_ids, limit=REPLAY_BATCH)
            for seq, _, payload in rows:
                yield _frame(seq, payload, tz)
                last = seq
            if len(rows) < REPLAY_BATCH:
                break
        # The live part needs no database (the hub brings the events): give this stream's connection back, or
        # each open stream keeps one (its request's thread's) and 100 listeners exhaust PostgreSQL's default
        # max_connections.
        await sync_to_async(_release_connection)()
        zone = getattr(tz, "key", None)
        while True:
            if sub.queue.empty():
                try:
                    async with asyncio.timeout(HEARTBEAT_S):
                        item = await sub.queue.get()
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
            else:
                item = sub.queue.get_nowait()
            # Everything already queued goes out in one write: under load, one chunk per event and listener
            # is what the server spends its time on.
            parts = []
            while True:
                seq, payload, frames = item
                if seq > last:  # else already sent by the replay
                    frame = frames.get(zone)
                    if frame is None:  # the first listener in this zone builds it for all the others
                        frame = frames[zone] = _frame(seq, payload, tz)
                    parts.append(frame)
                    last = seq
                if sub.queue.empty():
                    break
                item = sub.queue.get_nowait()
            if parts:
                yield "".join(parts)
    finally:
        hub.unsubscribe(sub)


@require_GET
def stream(request: HttpRequest) -> HttpResponse:
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "sign in, or send Authorization: Bearer <token>"}, status=401)
    try:
        last = _last_event_id(request)
    except ValueError:
        return JsonResponse({"detail": "Last-Event-ID must be an integer (the id of the last event seen)"}, status=400)
    posts = services.held_posts(user, on_duty_only=True)
    if not posts:
        return JsonResponse({"detail": "you hold no hotline post on duty, so there is nothing to stream"}, status=403)
    try:
        tz = zoneinfo.ZoneInfo(user.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = None
    response = StreamingHttpResponse(_events(frozenset(p.pk for p in posts), last, tz), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response
