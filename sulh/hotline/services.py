"""Hotline domain logic: posts and holders, sending, acknowledging, escalating, and the event stream.

Every change happens in one transaction: lock the message row, check its state and step, change it,
append the event to the log (which gives the event its stream number), write the event's audience, and
schedule or cancel the stored deadline. Nothing is held in memory between requests (docs/hotline.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import Organisation, OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.charter.schema import REGION_LAT, REGION_LON
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from . import signals
from .models import (
    AWAITING,
    Channel,
    Event,
    EventAudience,
    EventKind,
    Message,
    MessageState,
    MessageType,
    Post,
    PostHolder,
    Priority,
)

ACK_DEADLINE = "hotline.ack"
MAX_BODY = 4000
NOTIFY_CHANNEL = "sulh_hotline"  # PostgreSQL NOTIFY channel: the payload is the event's seq

# --- posts, channels and who holds them ----------------------------------------------------------------


def sync(charter=None) -> list[Post]:
    """Create or update posts and channels from the charter's `hotline` section (idempotent)."""
    charter = charter or get_charter()
    h = charter.hotline
    if h is None:
        return []
    orgs = {o.code: o for o in Organisation.objects.all()}
    ranks = {lv.code: i for i, lv in enumerate(h.levels)}
    posts = {}
    for p in h.posts:
        if p.org not in orgs:
            raise LookupError(f"hotline post {p.code}: organisation {p.org} not synchronised yet")
        posts[p.code], _ = Post.objects.update_or_create(
            code=p.code,
            defaults={
                "organisation": orgs[p.org], "level": p.level, "level_rank": ranks[p.level],
                "sectors": list(p.sectors), "name": p.name["en"], "names": dict(p.name),
                "is_mediators_cell": p.code == h.mediators_post,
            },
        )  # fmt: skip
    channels = {}
    for c in h.channels:
        channels[c.code], _ = Channel.objects.update_or_create(
            code=c.code, defaults={"level": c.level, "end_a": posts[c.ends[0]], "end_b": posts[c.ends[1]]}
        )
    for c in h.channels:
        up = channels[c.escalates_to] if c.escalates_to else None
        if channels[c.code].escalates_to_id != (up.pk if up else None):
            Channel.objects.filter(pk=channels[c.code].pk).update(escalates_to=up)
    return list(posts.values())


def get_post(code: str, field: str = "post") -> Post:
    post = Post.objects.select_related("organisation").filter(code=code).first()
    if post is None:
        raise NotFound(f"no hotline post {code!r}", field=field)
    return post


def get_channel(code: str) -> Channel:
    ch = Channel.objects.select_related("end_a__organisation", "end_b__organisation", "escalates_to").filter(code=code).first()
    if ch is None:
        raise NotFound(f"no hotline channel {code!r}", field="channel")
    return ch


def may_hold(user, post: Post) -> bool:
    """A post is staffed by members of its organisation; the mediators' cell by either mediator's staff."""
    org = getattr(user, "organisation", None)
    if org is None or not user.is_active:
        return False
    if post.is_mediators_cell:
        return org.kind == OrganisationKind.MEDIATOR
    return org.pk == post.organisation_id and org.kind == OrganisationKind.PARTY


def held_posts(user, *, on_duty_only: bool = False) -> list[Post]:
    if not getattr(user, "is_authenticated", False):
        return []
    qs = Post.objects.filter(holders__user=user)
    if on_duty_only:
        qs = qs.filter(holders__on_duty=True)
    return [p for p in qs.select_related("organisation").distinct() if may_hold(user, p)]


def assign_holder(actor, post_code: str, holder, *, on_duty: bool = True) -> PostHolder:
    """Give `holder` the post. Done by an administrator, or by a commander or liaison officer of the post's
    organisation. The holder must belong to that organisation (the operator cannot staff a party's desk)."""
    post = get_post(post_code)
    if not (
        actor.role == Role.ADMINISTRATOR
        or (actor.role in (Role.COMMANDER, Role.LIAISON_OFFICER, Role.MEDIATOR_LEAD) and may_hold(actor, post))
    ):
        raise PermissionDenied("only an administrator, or a commander or liaison officer of the post's organisation, may assign it")
    if not may_hold(holder, post):
        raise ValidationFailed(f"{holder.get_username()} is not a member of the organisation that staffs {post.code}", field="user")
    with transaction.atomic(), ledger.acting_as(actor):
        row, created = PostHolder.objects.get_or_create(post=post, user=holder, defaults={"on_duty": on_duty})
        if not created and row.on_duty != on_duty:
            row.on_duty = on_duty
            row.save(update_fields=["on_duty"])
    return row


def set_duty(user, post_code: str, on_duty: bool) -> PostHolder:
    post = get_post(post_code)
    with transaction.atomic(), ledger.acting_as(user):
        row = PostHolder.objects.select_for_update().filter(post=post, user=user).first()
        if row is None or not may_hold(user, post):
            raise PermissionDenied(f"you do not hold {post.code}")
        if row.on_duty != on_duty:
            row.on_duty, row.since = on_duty, timezone.now()
            row.save(update_fields=["on_duty", "since"])
    return row


# --- who sees what ---------------------------------------------------------------------------------------


def visible_messages(user) -> QuerySet[Message]:
    """Mediators see every message. A party's members see the messages on their own lines, except restricted
    ones, which only holders of a post the message has reached (and the mediators) see. Monitors, the
    operator and the public see none: the hotline is between commanders."""
    qs = Message.objects.select_related("channel", "from_post", "to_post", "incident")
    org = getattr(user, "organisation", None) if getattr(user, "is_authenticated", False) else None
    if org is None or not user.is_active:
        return qs.none()
    if org.kind == OrganisationKind.MEDIATOR:
        return qs
    if org.kind != OrganisationKind.PARTY:
        return qs.none()
    mine = Q(from_post__organisation=org) | Q(to_post__organisation=org)
    reached = EventAudience.objects.filter(post__holders__user=user, post__organisation=org).values("event__message_id")
    return qs.filter(mine & (Q(restricted=False) | Q(pk__in=reached)))


def can_read_event(user, event: Event) -> bool:
    if event.message_id is not None:
        return visible_messages(user).filter(pk=event.message_id).exists()
    from sulh.protocols.services import visible_tasks

    return visible_tasks(user).filter(pk=event.task_id).exists()


def get_message(user, ref, *, for_update: bool = False) -> Message:
    qs = visible_messages(user)
    text = str(ref)
    try:
        import uuid

        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    if for_update:
        # Lock the row itself (select_related would lock the joined rows too on PostgreSQL).
        found = qs.filter(flt).values_list("pk", flat=True).first()
        msg = Message.objects.select_for_update().filter(pk=found).first() if found else None
    else:
        msg = qs.filter(flt).first()
    if msg is None:
        raise NotFound(f"no hotline message {text!r}")
    return msg


# --- the ladder ---------------------------------------------------------------------------------------------


def build_ladder(channel: Channel, from_post: Post, to_post: Post, message_type: str, priority: str) -> list[dict]:
    """The steps a message will climb if nobody acknowledges it, fixed when it is sent.

    Step 0 is the channel itself. Each `escalates_to` adds a step addressed to the receiving side's post on
    that channel, with the sending side's post and the mediators' cell told. Then the mediators' cell must
    acknowledge, and after it the charter's `top_repeats` repeats; after the last, the message expires."""
    h = get_charter().hotline
    within = int(h.ack_within(message_type, priority).total_seconds())
    cell = Post.objects.get(is_mediators_cell=True)
    steps = [{"channel": channel.code, "level": channel.level, "to": to_post.code, "informed": [from_post.code], "ack_within_s": within}]
    c, receiving = channel, to_post.organisation_id
    while c.escalates_to_id is not None:
        c = Channel.objects.select_related("end_a", "end_b").get(pk=c.escalates_to_id)
        to = c.end_a if c.end_a.organisation_id == receiving else c.end_b
        other = c.other_end(to)
        steps.append({"channel": c.code, "level": c.level, "to": to.code, "informed": [other.code, cell.code], "ack_within_s": within})
    if not to_post.is_mediators_cell and not from_post.is_mediators_cell:
        last = steps[-1]
        steps.append({"channel": None, "level": "MEDIATORS", "to": cell.code, "informed": [last["to"], *last["informed"][:1]], "ack_within_s": within})
    top = dict(steps[-1])
    for _ in range(h.top_repeats):
        steps.append({**top, "repeat": True})
    return steps


def _participants(message: Message, upto_step: int) -> set[str]:
    codes = {message.from_post.code}
    for s in message.ladder[: upto_step + 1]:
        codes.add(s["to"])
        codes.update(s["informed"])
    codes.add(Post.objects.filter(is_mediators_cell=True).values_list("code", flat=True).get())
    return codes


def _recipient_codes(message: Message) -> set[str]:
    """Posts that may acknowledge now: every receiving post the message has reached so far."""
    return {s["to"] for s in message.ladder[: message.step + 1]}


# --- events -------------------------------------------------------------------------------------------------


def emit(kind: str, *, message: Message | None = None, task_id=None, actor=None, post: Post | None = None,
         step: int | None = None, detail: dict | None = None, audience: set[str] | None = None,
         at: dt.datetime | None = None, logged_with: list | None = None) -> Event:  # fmt: skip
    """Record one event: log it (its leaf index becomes its stream number), store it and its audience, and
    tell listening servers after commit. Must run inside the caller's transaction. `logged_with`: entries
    (ledger Pending) appended in the same append, just before the event's own."""
    if audience is None:
        audience = _participants(message, message.step)
    event = Event(
        kind=kind, message=message, task_id=task_id, actor=actor, post=post, step=step,
        detail=detail or {}, at=at or timezone.now(),
    )  # fmt: skip
    mine = ledger.pending(event, f"hotline.{kind}" if message is not None else f"protocol.{kind}", actor=actor)
    event.seq = ledger.append([*(logged_with or []), mine])[-1].leaf_index
    event.save(force_insert=True)
    post_ids = dict(Post.objects.filter(code__in=audience).values_list("code", "pk"))
    EventAudience.objects.bulk_create([EventAudience(event=event, post_id=pid, seq=event.seq) for pid in post_ids.values()])
    _notify(event.seq)
    return event


def _notify(seq: int) -> None:
    if connection.vendor == "postgresql":
        # Transactional: PostgreSQL delivers it at commit, and never if the transaction rolls back.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(seq)])
    from . import stream

    transaction.on_commit(stream.hub.poke)


# --- sending ------------------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    channel: str
    message_type: str
    priority: str
    body: str
    from_post: str | None = None
    to_post: str | None = None
    incident: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    restricted: bool = False
    corrects: str | None = None
    reply_to: str | None = None


def _sender_post(user, channel: Channel, wanted: str | None) -> Post:
    ends = {channel.end_a.code: channel.end_a, channel.end_b.code: channel.end_b}
    mine = [p for p in ends.values() if p.pk in {h.pk for h in held_posts(user)}]
    if wanted is not None:
        if wanted not in ends:
            raise ValidationFailed(f"{wanted} is not an end of channel {channel.code} (ends: {', '.join(ends)})", field="from_post")
        if wanted not in {p.code for p in mine}:
            raise PermissionDenied(f"you do not hold {wanted}; only its holders send from it")
        return ends[wanted]
    if not mine:
        raise PermissionDenied(f"you hold neither end of channel {channel.code} ({', '.join(ends)})")
    if len(mine) > 1:
        raise ValidationFailed("you hold both ends of this channel; say which one you send from", field="from_post")
    return mine[0]


def _check(data: Outgoing, user) -> dict:
    """Validate the message's own fields; returns the resolved incident, corrects and reply_to."""
    if data.message_type not in MessageType.values:
        raise ValidationFailed(f"unknown message type {data.message_type!r} (one of {', '.join(MessageType.values)})", field="message_type")
    if data.priority not in Priority.values:
        raise ValidationFailed(f"unknown priority {data.priority!r} (flash, immediate or routine)", field="priority")
    body = (data.body or "").strip()
    if not body:
        raise ValidationFailed("the message is empty: say what was seen or what is asked", field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed(f"the message is {len(body)} characters long; at most {MAX_BODY}", field="body")
    if (data.latitude is None) != (data.longitude is None):
        raise ValidationFailed("give both latitude and longitude, or neither", field="latitude")
    if data.latitude is not None and not (
        REGION_LAT[0] <= data.latitude <= REGION_LAT[1] and REGION_LON[0] <= data.longitude <= REGION_LON[1]
    ):
        raise ValidationFailed(f"the location ({data.latitude}, {data.longitude}) is outside the mechanism's region", field="latitude")
    out: dict = {"body": body}
    if data.incident:
        from sulh.incidents.services import get_incident

        try:
            out["incident"] = get_incident(user, data.incident)
        except NotFound:
            raise NotFound(f"no incident {data.incident!r} that you may see", field="incident") from None
    t = data.message_type
    if t == MessageType.INCIDENT_NOTIFICATION and "incident" not in out and data.latitude is None:
        raise ValidationFailed("an incident notification needs the incident or a location", field="incident")
    if t == MessageType.MOVEMENT_NOTICE:
        if data.latitude is None or data.starts_at is None or data.ends_at is None:
            raise ValidationFailed("a movement notice needs a location, starts_at and ends_at", field="starts_at")
        if data.ends_at <= data.starts_at:
            raise ValidationFailed("ends_at must be after starts_at", field="ends_at")
        if data.starts_at < timezone.now() - dt.timedelta(minutes=5):
            raise ValidationFailed("a prior notice must be given before the movement starts", field="starts_at")
    for name in ("corrects", "reply_to"):
        ref = getattr(data, name)
        if ref:
            try:
                out[name] = get_message(user, ref)
            except NotFound:
                raise NotFound(f"no hotline message {ref!r} that you may see", field=name) from None
    if t == MessageType.CLARIFICATION_ANSWER:
        req = out.get("reply_to")
        if req is None or req.message_type != MessageType.CLARIFICATION_REQUEST:
            raise ValidationFailed("a clarification answer must reply to a clarification request (reply_to)", field="reply_to")
    return out


def next_message_code(when: dt.datetime) -> str:
    from sulh.incidents.models import IncidentCodeCounter

    counter, _ = IncidentCodeCounter.objects.select_for_update().get_or_create(prefix="HL", year=when.year, month=when.month)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"HL-{when.year:04d}-{when.month:02d}-{counter.last:04d}"


def send(user, data: Outgoing) -> Message:
    """Send a message on a channel, from a post the user holds to the other end. Returns it, stored and logged."""
    channel = get_channel(data.channel)
    return _send(user, channel, _sender_post(user, channel, data.from_post), data)


def send_on_behalf(user, channel: Channel, from_post: Post, **fields) -> Message:
    """A message the mechanism sends for a party from one of its desks, on `user`'s action elsewhere (a
    complaint lodged by a liaison officer tells the accused party's national desk): `user` need not staff
    `from_post`, but must be one who may (a member of its organisation; either mediator for their cell). Logged with `user` as the actor, like any message."""
    if not may_hold(user, from_post):
        raise PermissionDenied(f"{from_post.code} is not a desk of your organisation")
    return _send(user, channel, from_post, Outgoing(channel=channel.code, from_post=from_post.code, **fields))


def _send(user, channel: Channel, from_post: Post, data: Outgoing) -> Message:
    to_post = channel.other_end(from_post)
    if data.to_post is not None and data.to_post != to_post.code:
        raise ValidationFailed(
            f"{data.to_post} is not the other end of channel {channel.code}; a message from {from_post.code} goes to {to_post.code}",
            field="to_post",
        )
    refs = _check(data, user)
    corrects = refs.get("corrects")
    if corrects is not None and (corrects.from_post.organisation_id != from_post.organisation_id or corrects.channel_id != channel.pk):
        raise ValidationFailed("a correction goes on the same channel from the same side as the message it corrects", field="corrects")
    reply_to = refs.get("reply_to")
    if reply_to is not None and reply_to.from_post.organisation_id == from_post.organisation_id:
        raise ValidationFailed("reply_to must be a message from the other side", field="reply_to")
    with transaction.atomic():
        now = timezone.now()
        ladder = build_ladder(channel, from_post, to_post, data.message_type, data.priority)
        msg = Message.objects.create(
            code=next_message_code(now), channel=channel, from_post=from_post, to_post=to_post,
            message_type=data.message_type, priority=data.priority, incident=refs.get("incident"),
            latitude=data.latitude, longitude=data.longitude, starts_at=data.starts_at, ends_at=data.ends_at,
            body=refs["body"], restricted=data.restricted, corrects=corrects, reply_to=reply_to,
            sent_by=user, sent_at=now, ladder=ladder, ack_due_at=now + dt.timedelta(seconds=ladder[0]["ack_within_s"]),
        )  # fmt: skip
        # The message and its `sent` event go into the log in one append.
        emit(EventKind.SENT, message=msg, actor=user, post=from_post, step=0, at=now,
             detail={"ack_due_at": _iso(msg.ack_due_at), "to": to_post.code},
             logged_with=[ledger.pending(msg, "hotline_message.sent", actor=user)])  # fmt: skip
        deadlines.schedule(ACK_DEADLINE, str(msg.pk), msg.ack_due_at, step=0)
        if corrects is not None:
            _close_corrected(user, corrects, msg, from_post)
        if reply_to is not None and reply_to.state in AWAITING and data.message_type == MessageType.CLARIFICATION_ANSWER:
            _acknowledge(reply_to, user, acting_post(user, reply_to), reply="", by_answer=msg)
        signals.message_sent.send(Message, message=msg)
    return msg


def _close_corrected(user, old: Message, new: Message, post: Post) -> None:
    """The corrected message stops climbing: its correction carries on in its place."""
    old = Message.objects.select_for_update().get(pk=old.pk)
    if old.state not in AWAITING:
        return
    old.state, old.resolved_at = MessageState.RESOLVED, timezone.now()
    old.save(update_fields=["state", "resolved_at"])
    deadlines.cancel(ACK_DEADLINE, str(old.pk))
    emit(EventKind.RESOLVED, message=old, actor=user, post=post, step=old.step, detail={"corrected_by": new.code})


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- receiving ---------------------------------------------------------------------------------------------


def acting_post(user, message: Message, *, receiving: bool = True) -> Post | None:
    """The post the user acts for on this message: the receiving post of the current step if the user holds
    it (so a delivery after an escalation is recorded at the post it climbed to), else an earlier one."""
    wanted = _recipient_codes(message) if receiving else _participants(message, message.step)
    held = [p for p in held_posts(user) if p.code in wanted]
    current = message.ladder[message.step]["to"]
    return next((p for p in held if p.code == current), held[0] if held else None)


def _mark(user, ref, kind: str, state: str) -> Message:
    with transaction.atomic():
        msg = get_message(user, ref, for_update=True)
        post = acting_post(user, msg)
        if post is None:
            raise PermissionDenied(f"only a holder of the receiving post ({', '.join(sorted(_recipient_codes(msg)))}) marks a message {kind}")
        if Event.objects.filter(message=msg, kind=kind, post=post).exists():
            return msg
        if kind == EventKind.READ and not Event.objects.filter(message=msg, kind=EventKind.DELIVERED, post=post).exists():
            # Read implies delivered: record the delivery first, so the timeline reads in its natural order.
            emit(EventKind.DELIVERED, message=msg, actor=user, post=post, step=msg.step, detail={"implied_by": "read"})
        emit(kind, message=msg, actor=user, post=post, step=msg.step)
        order = [MessageState.SENT, MessageState.DELIVERED, MessageState.READ]
        if msg.state in order and order.index(state) > order.index(msg.state):
            msg.state = state
            msg.save(update_fields=["state"])
    return msg


def mark_delivered(user, ref) -> Message:
    """A device of the receiving post has the message (first time per post; later calls change nothing)."""
    return _mark(user, ref, EventKind.DELIVERED, MessageState.DELIVERED)


def mark_read(user, ref) -> Message:
    return _mark(user, ref, EventKind.READ, MessageState.READ)


def acknowledge(user, ref, reply: str = "") -> Message:
    """Acknowledge for a receiving post the message has reached. Stops the escalation at any level."""
    reply = (reply or "").strip()
    if len(reply) > MAX_BODY:
        raise ValidationFailed(f"the reply is {len(reply)} characters long; at most {MAX_BODY}", field="reply")
    with transaction.atomic():
        msg = get_message(user, ref, for_update=True)
        post = acting_post(user, msg)
        if post is None:
            raise PermissionDenied(
                f"only a holder of the receiving post ({', '.join(sorted(_recipient_codes(msg)))}) may acknowledge {msg.code}"
            )
        if msg.state in (MessageState.ACKNOWLEDGED, MessageState.RESOLVED):
            raise Conflict(f"{msg.code} is already {msg.state}")
        _acknowledge(msg, user, post, reply=reply)
    return msg


def _acknowledge(msg: Message, user, post: Post | None, *, reply: str, by_answer: Message | None = None) -> None:
    msg = msg if by_answer is None else Message.objects.select_for_update().get(pk=msg.pk)
    now = timezone.now()
    late = msg.state == MessageState.EXPIRED or (msg.ack_due_at is not None and now > msg.ack_due_at)
    msg.state, msg.acknowledged_at, msg.acknowledged_by, msg.ack_post = MessageState.ACKNOWLEDGED, now, user, post
    msg.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "ack_post"])
    deadlines.cancel(ACK_DEADLINE, str(msg.pk))
    detail = {"reply": reply, "late": late, "deadline": _iso(msg.ack_due_at) if msg.ack_due_at else None}
    if by_answer is not None:
        detail["by_answer"] = by_answer.code
    emit(EventKind.ACKNOWLEDGED, message=msg, actor=user, post=post, step=msg.step, detail=detail, at=now)
    signals.message_acknowledged.send(Message, message=msg)


def resolve(user, ref, note: str = "") -> Message:
    """Close an acknowledged message (either end, or the mediators)."""
    with transaction.atomic():
        msg = get_message(user, ref, for_update=True)
        post = acting_post(user, msg, receiving=False)
        if post is None:
            raise PermissionDenied("only a holder of a post on this message's line, or the mediators' cell, may resolve it")
        if msg.state != MessageState.ACKNOWLEDGED:
            raise Conflict(f"{msg.code} is {msg.state}; only an acknowledged message can be resolved")
        msg.state, msg.resolved_at = MessageState.RESOLVED, timezone.now()
        msg.save(update_fields=["state", "resolved_at"])
        emit(EventKind.RESOLVED, message=msg, actor=user, post=post, step=msg.step, detail={"note": (note or "")[:MAX_BODY]})
    return msg


# --- escalation (a stored deadline's handler) -------------------------------------------------------------


@deadlines.handler(ACK_DEADLINE)
def escalate(deadline, now: dt.datetime) -> None:
    """The acknowledgement deadline of step `deadline.step` passed: climb one step, or expire at the top.
    Runs in the deadline's transaction; a message already acknowledged, or past this step, is left alone."""
    msg = Message.objects.select_for_update().filter(pk=deadline.subject).first()
    if msg is None or msg.state not in AWAITING or msg.step != deadline.step:
        return
    nxt = deadline.step + 1
    if nxt >= len(msg.ladder):
        msg.state = MessageState.EXPIRED
        msg.save(update_fields=["state"])
        emit(EventKind.EXPIRED, message=msg, step=deadline.step, detail={"deadline": _iso(deadline.due_at)})
        return
    info = msg.ladder[nxt]
    msg.step, msg.state = nxt, MessageState.ESCALATED
    msg.ack_due_at = now + dt.timedelta(seconds=info["ack_within_s"])
    msg.save(update_fields=["step", "state", "ack_due_at"])
    kind = EventKind.REPEATED if info.get("repeat") else EventKind.ESCALATED
    emit(kind, message=msg, step=nxt, detail={
        "deadline": _iso(deadline.due_at), "to": info["to"], "channel": info["channel"], "ack_due_at": _iso(msg.ack_due_at),
    })  # fmt: skip
    deadlines.schedule(ACK_DEADLINE, str(msg.pk), msg.ack_due_at, step=nxt)


# --- reading ------------------------------------------------------------------------------------------------


def inbox(user) -> QuerySet[Message]:
    """Messages awaiting acknowledgement by a post the user holds (at the step they have reached)."""
    posts = [p.code for p in held_posts(user)]
    if not posts:
        return Message.objects.none()
    awaiting = visible_messages(user).filter(state__in=AWAITING)
    # The current step's receiving post is in the ladder JSON; the candidates are few, so filter in Python.
    ids = [m.pk for m in awaiting.select_related(None).only("pk", "ladder", "step") if _recipient_codes(m) & set(posts)]
    return visible_messages(user).filter(pk__in=ids).order_by("ack_due_at")


def recent(user, *, limit: int = 50) -> QuerySet[Message]:
    return visible_messages(user).order_by("-sent_at")[:limit]


def thread_of_incident(user, incident) -> QuerySet[Message]:
    return visible_messages(user).filter(incident=incident).order_by("sent_at")


def events_of(user, message: Message) -> list[Event]:
    return list(message.events.select_related("actor", "post").order_by("seq"))


def latest_seq() -> int:
    newest = EventAudience.objects.order_by("-seq").values_list("seq", flat=True).first()
    return -1 if newest is None else newest  # seq 0 is a real event (the log's first entry)
