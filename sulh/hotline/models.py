"""The hotline: posts (desks), channels between counterpart posts, messages and their events.

A message is immutable once sent; everything that happens to it afterwards (delivered, read,
acknowledged, escalated, resolved, expired) is an Event row, logged in the ledger. An event's `seq` is
the leaf index of its log entry: appends are serialised by the log's head lock, so seq order is commit
order, and a client that has seen event N has seen every earlier event meant for it — which is what makes
replay by Last-Event-ID exact (docs/hotline.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sulh.charter.schema import MESSAGE_TYPES


class Post(models.Model):
    """A desk of an organisation at one level of the ladder (synchronised from the charter)."""

    code = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="posts")
    level = models.CharField(max_length=40)
    level_rank = models.PositiveSmallIntegerField(help_text="0 at the bottom of the ladder")
    sectors = models.JSONField(default=list, blank=True, help_text="Sector codes it answers for; empty: all")
    name = models.CharField(max_length=300)
    names = models.JSONField(default=dict, blank=True)
    is_mediators_cell = models.BooleanField(default=False)

    class Meta:
        ordering = ["level_rank", "code"]

    def __str__(self) -> str:
        return self.code


class Channel(models.Model):
    code = models.CharField(max_length=40, unique=True)
    level = models.CharField(max_length=40)
    end_a = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="+")
    end_b = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="+")
    escalates_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def other_end(self, post: Post) -> Post:
        if post.pk == self.end_a_id:
            return self.end_b
        if post.pk == self.end_b_id:
            return self.end_a
        raise ValueError(f"{post.code} is not an end of channel {self.code}")


class PostHolder(models.Model):
    """Who staffs a post. Whoever holds it (on duty) receives its messages and may act for it."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="holders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts_held")
    on_duty = models.BooleanField(default=True)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="post_holder_once")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.post}"


class MessageType(models.TextChoices):
    INCIDENT_NOTIFICATION = "incident_notification", _("Incident notification")
    RESTRAINT_REQUEST = "restraint_request", _("Request for restraint")
    HOLD_FIRE_REQUEST = "hold_fire_request", _("Hold-fire request")
    CLARIFICATION_REQUEST = "clarification_request", _("Clarification request")
    CLARIFICATION_ANSWER = "clarification_answer", _("Clarification answer")
    MOVEMENT_NOTICE = "movement_notice", _("Prior notice of movement or exercise")
    MEDEVAC = "medevac", _("Medical evacuation")
    RETURN_OF_PERSONS = "return_of_persons", _("Return of strayed persons")
    FREE_TEXT = "free_text", _("Free text")


assert tuple(MessageType.values) == MESSAGE_TYPES  # the charter's list and ours are one list


class Priority(models.TextChoices):
    FLASH = "flash", _("Flash")
    IMMEDIATE = "immediate", _("Immediate")
    ROUTINE = "routine", _("Routine")


class MessageState(models.TextChoices):
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    EXPIRED = "expired", _("Expired (unanswered)")


AWAITING = (MessageState.SENT, MessageState.DELIVERED, MessageState.READ, MessageState.ESCALATED)


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. HL-2025-11-0042")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    from_post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="sent_messages")
    to_post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="received_messages")
    message_type = models.CharField(max_length=32, choices=MessageType.choices)
    priority = models.CharField(max_length=16, choices=Priority.choices)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="hotline_messages"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Movement notices: when it starts")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Movement notices: when it ends")
    body = models.TextField(help_text="What was seen, what is asked")
    restricted = models.BooleanField(default=False, help_text="Only the posts on the line and the mediators")
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    reply_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    ladder = models.JSONField(help_text="The escalation ladder as it stood when sent (a snapshot)")
    # State, kept from the events (bookkeeping: the log holds the events themselves).
    state = models.CharField(max_length=16, choices=MessageState.choices, default=MessageState.SENT)
    step = models.PositiveSmallIntegerField(default=0, help_text="Current ladder step")
    ack_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ack_post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["state", "ack_due_at"]),
            models.Index(fields=["incident", "sent_at"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def awaiting(self) -> bool:
        return self.state in AWAITING

    def step_info(self, step: int | None = None) -> dict:
        return self.ladder[self.step if step is None else step]


class EventKind(models.TextChoices):
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    READ = "read", _("read")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ESCALATED = "escalated", _("escalated")
    REPEATED = "repeated", _("sent again to the mediators")
    RESOLVED = "resolved", _("resolved")
    EXPIRED = "expired", _("expired")
    TASK_CREATED = "task.created", _("task created")
    TASK_REMINDER = "task.reminder", _("task reminder")
    TASK_MET = "task.met", _("task met")
    TASK_BREACHED = "task.breached", _("task breached")


class Event(models.Model):
    """One thing that happened to a message or a protocol task: the unit of the live stream."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seq = models.BigIntegerField(unique=True, help_text="Leaf index of this event's log entry: the stream id")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    task_id = models.UUIDField(null=True, blank=True, help_text="Protocol task, for task.* events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            # Belt and braces under the stored deadlines: one escalation, repeat and expiry per ladder step,
            # one delivery and one read per message and post.
            models.UniqueConstraint(
                fields=["message", "kind", "step"], condition=Q(kind__in=["escalated", "repeated", "expired"]),
                name="hotline_event_once_per_step",
            ),
            models.UniqueConstraint(
                fields=["message", "kind", "post"], condition=Q(kind__in=["delivered", "read"]),
                name="hotline_event_once_per_post",
            ),
            models.UniqueConstraint(
                fields=["message"], condition=Q(kind="acknowledged"), name="hotline_event_one_ack",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["task_id"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind}"


class EventAudience(models.Model):
    """Which posts an event is for: the stream of a post is its rows in seq order."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audience")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="+")
    seq = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "seq"], name="event_audience_once")]
        indexes = [models.Index(fields=["seq"])]

    def __str__(self) -> str:
        return f"{self.seq} -> {self.post_id}"
