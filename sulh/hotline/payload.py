"""What a live event carries: the event and, for a message, the message as its receivers see it.

One payload per event, the same for every listener: only posts in the event's audience receive it, and
they are exactly the posts entitled to its content (restricted messages included)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from .models import Event, EventAudience


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_payload(e: Event) -> dict:
    out = {
        "seq": e.seq,
        "kind": e.kind,
        "at": _iso(e.at),
        "step": e.step,
        "post": e.post.code if e.post_id else None,
        "actor": e.actor.get_username() if e.actor_id else None,
        "detail": e.detail,
    }
    m = e.message
    if m is not None:
        out["message"] = {
            "id": str(m.pk), "code": m.code, "channel": m.channel.code, "from_post": m.from_post.code,
            "to_post": m.to_post.code, "message_type": m.message_type, "priority": m.priority,
            "body": m.body, "restricted": m.restricted, "incident": m.incident.code if m.incident_id else None,
            "latitude": m.latitude, "longitude": m.longitude, "sent_at": _iso(m.sent_at), "state": m.state,
            "step": m.step, "ack_due_at": _iso(m.ack_due_at),
            "current_to": m.ladder[m.step]["to"], "corrects": m.corrects.code if m.corrects_id else None,
        }  # fmt: skip
    if e.task_id is not None:
        out["task"] = str(e.task_id)
    return out


def payloads_after(last_seq: int | None, *, limit: int = 2000, post_ids=None) -> list[tuple[int, frozenset[int], dict]]:
    """Events after `last_seq` in seq order, each with the ids of the posts it is for and its payload."""
    rows = EventAudience.objects.filter(seq__gt=-1 if last_seq is None else last_seq)
    if post_ids is not None:
        rows = rows.filter(post_id__in=list(post_ids))
    seqs = list(rows.order_by("seq").values_list("seq", flat=True).distinct()[:limit])
    audience: dict[int, set[int]] = defaultdict(set)
    for seq, pid in rows.filter(seq__in=seqs).values_list("seq", "post_id"):
        audience[seq].add(pid)
    if not audience:
        return []
    events = (
        Event.objects.filter(seq__in=list(audience))
        .select_related("message__channel", "message__from_post", "message__to_post", "message__incident",
                        "message__corrects", "post", "actor")
        .order_by("seq")
    )  # fmt: skip
    return [(e.seq, frozenset(audience[e.seq]), event_payload(e)) for e in events]
