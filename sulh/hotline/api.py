"""REST endpoints of the hotline (/api/v1/hotline/…). Thin: parse, call services, shape the answer.

The live stream is not here but at GET /hotline/stream (Server-Sent Events, same bearer token); for a
client that cannot hold a stream open, GET /hotline/events?after=N gives the same events by polling."""

import datetime as dt
import zoneinfo
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import Message, MessageType, Priority
from .payload import event_payload, payloads_after

router = Router(tags=["hotline"])


def _local(user, t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    try:
        tz = zoneinfo.ZoneInfo(user.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return t.astimezone(tz).isoformat(timespec="seconds")


class PostOut(Schema):
    code: str
    organisation: str
    level: str
    sectors: list[str]
    name: str
    names: dict[str, str]
    is_mediators_cell: bool


class ChannelOut(Schema):
    code: str
    level: str
    ends: list[str]
    escalates_to: str | None


class HolderOut(Schema):
    post: str
    user: str
    on_duty: bool
    since: dt.datetime


class HolderIn(Schema):
    user: str = Field(description="Username of the officer who will hold the post")
    on_duty: bool = True


class DutyIn(Schema):
    on_duty: bool


class MessageIn(Schema):
    channel: str = Field(description="Channel code, e.g. S2-CHAMAN")
    message_type: Literal[tuple(MessageType.values)]  # type: ignore[valid-type]
    priority: Literal[tuple(Priority.values)]  # type: ignore[valid-type]
    body: str = Field(max_length=services.MAX_BODY, description="What was seen, what is asked")
    from_post: str | None = Field(None, description="Your end of the channel; needed only if you hold both")
    to_post: str | None = Field(None, description="Optional check: the other end of the channel")
    incident: str | None = Field(None, description="Incident code or id (incident notifications)")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    starts_at: dt.datetime | None = Field(None, description="Movement notices: start")
    ends_at: dt.datetime | None = Field(None, description="Movement notices: end")
    restricted: bool = Field(False, description="Only the posts on the line and the mediators may read it")
    corrects: str | None = Field(None, description="Code of an earlier message of yours that this one corrects")
    reply_to: str | None = Field(None, description="Code of the message this answers (clarification answers)")


class MessageOut(Schema):
    id: str
    code: str
    channel: str
    from_post: str
    to_post: str
    message_type: str
    priority: str
    body: str
    restricted: bool
    incident: str | None
    latitude: float | None
    longitude: float | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    corrects: str | None
    reply_to: str | None
    sent_by: str
    sent_at: dt.datetime = Field(description="Server time, UTC")
    sent_at_local: str | None = Field(description="Server time in your own zone")
    state: str
    step: int
    current_to: str = Field(description="Post that must acknowledge now")
    ack_due_at: dt.datetime | None
    ack_due_at_local: str | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    ladder: list[dict]


class AckIn(Schema):
    reply: str = Field("", max_length=services.MAX_BODY)


class ResolveIn(Schema):
    note: str = Field("", max_length=services.MAX_BODY)


class MessageFilter(Schema):
    box: Literal["inbox", "all"] = Field("all", description="inbox: awaiting acknowledgement by a post you hold")
    incident: str | None = None
    state: str | None = None
    limit: int = Field(100, ge=1, le=500)


def message_out(user, m: Message) -> dict:
    return {
        "id": str(m.pk), "code": m.code, "channel": m.channel.code, "from_post": m.from_post.code,
        "to_post": m.to_post.code, "message_type": m.message_type, "priority": m.priority, "body": m.body,
        "restricted": m.restricted, "incident": m.incident.code if m.incident_id else None,
        "latitude": m.latitude, "longitude": m.longitude, "starts_at": m.starts_at, "ends_at": m.ends_at,
        "corrects": m.corrects.code if m.corrects_id else None, "reply_to": m.reply_to.code if m.reply_to_id else None,
        "sent_by": m.sent_by.get_username(), "sent_at": m.sent_at, "sent_at_local": _local(user, m.sent_at),
        "state": m.state, "step": m.step, "current_to": m.ladder[m.step]["to"], "ack_due_at": m.ack_due_at,
        "ack_due_at_local": _local(user, m.ack_due_at), "acknowledged_at": m.acknowledged_at,
        "acknowledged_by": m.acknowledged_by.get_username() if m.acknowledged_by_id else None, "ladder": m.ladder,
    }  # fmt: skip


@router.get("/hotline/posts", response=list[PostOut], summary="Posts (desks) of the hotline")
def list_posts(request: HttpRequest):
    from .models import Post

    return [
        {**{k: getattr(p, k) for k in ("code", "level", "sectors", "name", "names", "is_mediators_cell")},
         "organisation": p.organisation.code}
        for p in Post.objects.select_related("organisation")
    ]  # fmt: skip


@router.get("/hotline/posts/mine", response=list[HolderOut], summary="Posts you hold")
def my_posts(request: HttpRequest):
    from .models import PostHolder

    rows = PostHolder.objects.filter(user=request.auth_user).select_related("post")
    return [{"post": r.post.code, "user": request.auth_user.get_username(), "on_duty": r.on_duty, "since": r.since} for r in rows]


@router.post("/hotline/posts/{code}/holders", response={201: with_receipts(HolderOut)}, summary="Assign a post")
@answers_receipts(HolderOut)
def assign(request: HttpRequest, code: str, payload: HolderIn):
    from sulh.accounts.models import User
    from sulh.core.errors import ValidationFailed

    holder = User.objects.filter(username=payload.user).first()
    if holder is None:
        raise ValidationFailed(f"no user {payload.user!r}", field="user")
    row = services.assign_holder(request.auth_user, code, holder, on_duty=payload.on_duty)
    return Status(201, {"post": row.post.code, "user": holder.get_username(), "on_duty": row.on_duty, "since": row.since})


@router.post("/hotline/posts/{code}/duty", response=with_receipts(HolderOut), summary="Go on or off duty at a post you hold")
@answers_receipts(HolderOut)
def duty(request: HttpRequest, code: str, payload: DutyIn):
    row = services.set_duty(request.auth_user, code, payload.on_duty)
    return {"post": row.post.code, "user": request.auth_user.get_username(), "on_duty": row.on_duty, "since": row.since}


@router.get("/hotline/channels", response=list[ChannelOut], summary="Channels and the ladder between them")
def list_channels(request: HttpRequest):
    from .models import Channel

    return [
        {"code": c.code, "level": c.level, "ends": [c.end_a.code, c.end_b.code],
         "escalates_to": c.escalates_to.code if c.escalates_to_id else None}
        for c in Channel.objects.select_related("end_a", "end_b", "escalates_to")
    ]  # fmt: skip


@router.get("/hotline/messages", response=list[MessageOut], summary="Messages you may see (or your inbox)")
def list_messages(request: HttpRequest, filters: Query[MessageFilter]):
    user = request.auth_user
    qs = services.inbox(user) if filters.box == "inbox" else services.visible_messages(user).order_by("-sent_at")
    if filters.incident:
        from sulh.incidents.services import get_incident

        qs = qs.filter(incident=get_incident(user, filters.incident))
    if filters.state:
        qs = qs.filter(state=filters.state)
    qs = qs.select_related("channel", "from_post", "to_post", "incident", "corrects", "reply_to", "sent_by", "acknowledged_by")
    return [message_out(user, m) for m in qs[: filters.limit]]


@router.post("/hotline/messages", response={201: with_receipts(MessageOut)}, summary="Send a message")
@idempotent
@answers_receipts(MessageOut)
def send(request: HttpRequest, payload: MessageIn):
    msg = services.send(request.auth_user, services.Outgoing(**payload.model_dump()))
    return Status(201, message_out(request.auth_user, msg))


@router.get("/hotline/messages/{ref}", response=MessageOut, summary="A message (by code or id)")
def get(request: HttpRequest, ref: str):
    return message_out(request.auth_user, services.get_message(request.auth_user, ref))


@router.get("/hotline/messages/{ref}/events", response=list[dict], summary="Everything that happened to a message")
def events(request: HttpRequest, ref: str):
    msg = services.get_message(request.auth_user, ref)
    out = []
    for e in services.events_of(request.auth_user, msg):
        p = event_payload(e)
        p.pop("message", None)
        p["at_local"] = _local(request.auth_user, e.at)
        out.append(p)
    return out


def _state_change(name: str, fn, doc: str, body=None):
    if body is None:

        def view(request: HttpRequest, ref: str):
            return message_out(request.auth_user, fn(request.auth_user, ref))
    else:

        def view(request: HttpRequest, ref: str, payload: body):  # type: ignore[valid-type]
            return message_out(request.auth_user, fn(request.auth_user, ref, *payload.model_dump().values()))

    view.__name__ = name
    router.post(f"/hotline/messages/{{ref}}/{name}", response=with_receipts(MessageOut), summary=doc)(
        answers_receipts(MessageOut)(view)
    )


_state_change("delivered", services.mark_delivered, "Record that the message reached a device of your post")
_state_change("read", services.mark_read, "Record that your post has read the message")
_state_change("acknowledge", services.acknowledge, "Acknowledge for your post (stops escalation)", AckIn)
_state_change("resolve", services.resolve, "Close an acknowledged message", ResolveIn)


class EventsQuery(Schema):
    after: int = Field(-1, description="Seq of the last event you have (the stream's Last-Event-ID)")
    limit: int = Field(200, ge=1, le=1000)


@router.get("/hotline/events", response=list[dict], summary="Your posts' events after a seq (polling)")
def poll(request: HttpRequest, q: Query[EventsQuery]):
    posts = services.held_posts(request.auth_user, on_duty_only=True)
    rows = payloads_after(q.after, post_ids=[p.pk for p in posts], limit=q.limit) if posts else []
    return [{**payload, "at_local": _local(request.auth_user, dt.datetime.fromisoformat(payload["at"]))} for _, _, payload in rows]
