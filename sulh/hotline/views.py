"""Console pages of the hotline: the duty officer's inbox, compose, a message with its ladder and timeline.

Thin: who may see, send and acknowledge what is decided in services.py; these views parse the form, call
the service and show its error (DomainError) next to the field it names, storing nothing."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sulh.accounts.models import OrganisationKind
from sulh.core.errors import DomainError, NotFound
from sulh.protocols import services as protocols

from . import services
from .models import AWAITING, Channel, Event, EventKind, MessageState, MessageType, Priority

RECENT = 30


def _on_the_hotline(user) -> bool:
    """The hotline is between the parties' commanders and the mediators; nobody else has a page on it."""
    org = getattr(user, "organisation", None)
    return org is not None and org.kind in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR)


def _refused(request, reason=None):
    reason = reason or _("The hotline is open to the parties' officers and the mediators only.")
    return render(request, "403.html", {"reason": reason}, status=403)


def _message_or_404(user, code):
    try:
        return services.get_message(user, code)
    except NotFound:
        raise Http404(_("No such hotline message.")) from None


def _may_acknowledge(user, msg) -> bool:
    # The service's own rule (a holder of a receiving post the message has reached), asked, not copied.
    if msg.state in (MessageState.ACKNOWLEDGED, MessageState.RESOLVED):
        return False
    return services.acting_post(user, msg) is not None


def _may_resolve(user, msg) -> bool:
    return (
        msg.state == MessageState.ACKNOWLEDGED
        and services.acting_post(user, msg, receiving=False) is not None
    )


def _ladder_rows(msg) -> list[dict]:
    """The ladder with, for each step, whether it is reached and when it was."""
    reached_at = {0: msg.sent_at}
    for step, at in msg.events.filter(kind__in=[EventKind.ESCALATED, EventKind.REPEATED]).values_list(
        "step", "at"
    ):
        reached_at[step] = at
    rows = []
    for i, s in enumerate(msg.ladder):
        rows.append({
            "index": i, "number": i + 1, "channel": s.get("channel"), "level": s.get("level"), "to": s["to"],
            "informed": s.get("informed", []), "minutes": round(s["ack_within_s"] / 60, 1), "repeat": s.get("repeat", False),
            "current": i == msg.step and msg.state in AWAITING, "reached": i <= msg.step, "reached_at": reached_at.get(i),
        })  # fmt: skip
    return rows


def _decorate(user, msgs, held_codes: set[str]):
    """What each listed message shows: the post it waits on now, whether it climbed, and one-click ack."""
    out = []
    for m in msgs:
        m.current_to = m.ladder[m.step]["to"]
        m.ladder_len = len(m.ladder)
        m.escalated = m.step > 0
        m.holds_receiving = bool({s["to"] for s in m.ladder[: m.step + 1]} & held_codes)
        out.append(m)
    return out


def _inbox_context(request) -> dict:
    user = request.user
    held = services.held_posts(user)
    codes = {p.code for p in held}
    awaiting = _decorate(user, services.inbox(user), codes)
    # The page reaching this browser is the message reaching a device of the receiving post: recorded for
    # each listed message not yet delivered to a post of this user (an escalated one too, at its new post).
    done = set(
        Event.objects.filter(message__in=[m.pk for m in awaiting], kind=EventKind.DELIVERED, post__in=held)
        .values_list("message_id", flat=True)
    )  # fmt: skip
    for m in awaiting:
        if m.pk in done:
            continue
        try:
            services.mark_delivered(user, m.pk)
        except DomainError:  # lost the post between listing and marking: it shows, unmarked
            continue
        if m.state == MessageState.SENT:
            m.state = MessageState.DELIVERED
    return {
        "awaiting": awaiting,
        "recent": _decorate(user, services.recent(user, limit=RECENT), codes),
        "tasks_due": list(protocols.tasks_due(user)[:20]),
        "server_now": timezone.now(),
    }


def _holders_context(user) -> dict:
    from .models import PostHolder

    rows = (
        PostHolder.objects.filter(user=user).select_related("post").order_by("post__level_rank", "post__code")
    )
    held = {p.pk for p in services.held_posts(user)}
    return {"holdings": [r for r in rows if r.post_id in held]}


@login_required
def inbox(request):
    if not _on_the_hotline(request.user):
        return _refused(request)
    context = {**_inbox_context(request), **_holders_context(request.user)}
    context["held_codes"] = sorted(h.post.code for h in context["holdings"] if h.on_duty)
    return render(request, "hotline/inbox.html", context)


@login_required
def inbox_list(request):
    """The inbox's changing part, fetched again by hotline.js on each live event (or every 15 s)."""
    if not _on_the_hotline(request.user):
        return _refused(request)
    return render(request, "hotline/_inbox.html", _inbox_context(request))


@login_required
@require_POST
def duty(request, post):
    if not _on_the_hotline(request.user):
        return _refused(request)
    on = request.POST.get("on_duty") == "1"
    try:
        services.set_duty(request.user, post, on)
    except DomainError as exc:
        if request.htmx:
            return _htmx_error(request, exc, "#duty-error")
        messages.error(request, exc.message)
    if request.htmx:
        response = render(request, "hotline/_posts.html", _holders_context(request.user))
        response["HX-Trigger-After-Swap"] = (
            "hotline-duty-changed"  # hotline.js reopens the stream for the new posts
        )
        return response
    return redirect("hotline:inbox")


def _htmx_error(request, exc: DomainError, target: str):
    """The refusal, shown in the row's error slot (the page's htmx-config swaps 4xx answers): the status
    stays honest and nothing else on the page changes."""
    response = render(request, "hotline/_error.html", {"error": exc.message}, status=exc.status)
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "innerHTML"
    return response


def _back(request, msg):
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("hotline:message", code=msg.code)


@login_required
@require_POST
def acknowledge(request, code):
    user = request.user
    msg = _message_or_404(user, code)
    try:
        msg = services.acknowledge(user, msg.pk, request.POST.get("reply", ""))
    except DomainError as exc:
        if request.htmx:
            return _htmx_error(request, exc, f"#ack-error-{msg.code}")
        messages.error(request, exc.message)
        return _back(request, msg)
    if request.htmx:
        response = render(request, "hotline/_acknowledged.html", {"msg": msg})
        response["HX-Trigger"] = "hotline-changed"
        return response
    messages.success(request, _("%(code)s acknowledged.") % {"code": msg.code})
    return _back(request, msg)


@login_required
@require_POST
def resolve(request, code):
    user = request.user
    msg = _message_or_404(user, code)
    try:
        services.resolve(user, msg.pk, request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(code)s resolved.") % {"code": msg.code})
    return redirect("hotline:message", code=msg.code)


@login_required
def message(request, code):
    user = request.user
    msg = _message_or_404(user, code)
    if services.acting_post(user, msg) is not None:
        # Opening the page as a holder of a receiving post is reading it (recorded once per post).
        msg = services.mark_read(user, msg.pk)
        msg = services.get_message(user, msg.pk)
    visible = services.visible_messages(user)
    held = services.held_posts(user)
    held_orgs = {p.organisation_id for p in held}
    context = {
        "msg": msg,
        "ladder": _ladder_rows(msg),
        "events": services.events_of(user, msg),
        "current_to": msg.ladder[msg.step]["to"],
        "may_acknowledge": _may_acknowledge(user, msg),
        "may_resolve": _may_resolve(user, msg),
        # A correction goes from the same side on the same channel; an answer from the other side.
        "may_correct": msg.from_post.organisation_id in held_orgs and _holds_end(held, msg.channel),
        "may_answer": any(o != msg.from_post.organisation_id for o in held_orgs),
        "corrections": visible.filter(corrects=msg).order_by("sent_at"),
        "replies": visible.filter(reply_to=msg).order_by("sent_at"),
        "corrects": visible.filter(pk=msg.corrects_id).first() if msg.corrects_id else None,
        "reply_to": visible.filter(pk=msg.reply_to_id).first() if msg.reply_to_id else None,
        "runs": protocols.visible_runs(user).filter(message=msg),
        "server_now": timezone.now(),
        "user_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "hotline/message.html", context)


def _holds_end(held, channel) -> bool:
    return any(p.pk in (channel.end_a_id, channel.end_b_id) for p in held)


# --- compose ------------------------------------------------------------------------------------------------


class ComposeForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"))
    message_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=MessageType.choices)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.IMMEDIATE
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=services.MAX_BODY,
        help_text=gettext_lazy("What was seen, where and when; what is asked."),
    )
    incident = forms.CharField(label=gettext_lazy("Incident code"), required=False, max_length=40)
    latitude = forms.FloatField(label=gettext_lazy("Latitude"), required=False)
    longitude = forms.FloatField(label=gettext_lazy("Longitude"), required=False)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Movement notices: in your own time zone."),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    restricted = forms.BooleanField(
        label=gettext_lazy("Restricted"),
        required=False,
        help_text=gettext_lazy("Only the posts on the line and the mediators may read it."),
    )
    corrects = forms.CharField(label=gettext_lazy("Corrects message"), required=False, max_length=32)
    reply_to = forms.CharField(label=gettext_lazy("Answers message"), required=False, max_length=32)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.code, label) for c, label in channels]

    def add_domain_error(self, exc: DomainError) -> None:
        field = {"from_post": "channel", "to_post": "channel"}.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)

    def outgoing(self) -> services.Outgoing:
        d = self.cleaned_data
        return services.Outgoing(
            channel=d["channel"], message_type=d["message_type"], priority=d["priority"], body=d["body"],
            incident=d["incident"] or None, latitude=d["latitude"], longitude=d["longitude"],
            starts_at=d["starts_at"], ends_at=d["ends_at"], restricted=d["restricted"],
            corrects=d["corrects"] or None, reply_to=d["reply_to"] or None,
        )  # fmt: skip


def _my_channels(user, held) -> list[tuple[Channel, str]]:
    ids = [p.pk for p in held]
    rows = Channel.objects.filter(Q(end_a__in=ids) | Q(end_b__in=ids)).select_related("end_a", "end_b")
    out = []
    for c in rows.order_by("end_a__level_rank", "code"):
        mine, other = (c.end_a, c.end_b) if c.end_a_id in ids else (c.end_b, c.end_a)
        out.append((c, f"{c.code}: {mine.code} → {other.code}"))
    return out


def _initial(user, request, channels) -> dict:
    """Prefill from the links "Correct", "Answer" and "Notify counterpart"."""
    codes = [c.code for c, _ in channels]
    get = request.GET
    initial = {k: get[k] for k in ("channel", "message_type", "priority", "incident") if get.get(k)}
    if get.get("corrects"):
        try:
            old = services.get_message(user, get["corrects"])
        except NotFound:
            raise Http404(_("No such hotline message.")) from None
        initial.update(
            corrects=old.code, channel=old.channel.code, message_type=old.message_type, priority=old.priority,
            body=old.body, incident=old.incident.code if old.incident_id else "", latitude=old.latitude,
            longitude=old.longitude, restricted=old.restricted,
            starts_at=timezone.localtime(old.starts_at).strftime("%Y-%m-%dT%H:%M") if old.starts_at else None,
            ends_at=timezone.localtime(old.ends_at).strftime("%Y-%m-%dT%H:%M") if old.ends_at else None,
        )  # fmt: skip
    if get.get("reply_to"):
        try:
            asked = services.get_message(user, get["reply_to"])
        except NotFound:
            raise Http404(_("No such hotline message.")) from None
        initial["reply_to"] = asked.code
        initial.setdefault("priority", asked.priority)
        if asked.incident_id:
            initial.setdefault("incident", asked.incident.code)
        if asked.message_type == MessageType.CLARIFICATION_REQUEST:
            initial.setdefault("message_type", MessageType.CLARIFICATION_ANSWER)
        if asked.channel.code in codes:
            initial.setdefault("channel", asked.channel.code)
    if initial.get("incident") and "channel" not in initial:
        # The sector's own channel carries the code of the sector (S2-CHAMAN): preselect it when held.
        from sulh.incidents.models import visible_incidents

        sector = (
            visible_incidents(user).filter(code=initial["incident"]).values_list("sector", flat=True).first()
        )
        if sector in codes:
            initial["channel"] = sector
    if get.get("incident") and not (get.get("corrects") or get.get("reply_to")):
        initial.setdefault("message_type", MessageType.INCIDENT_NOTIFICATION)
    return initial


@login_required
def compose(request):
    user = request.user
    if not _on_the_hotline(user):
        return _refused(request)
    held = services.held_posts(user)
    if not held:
        return _refused(request, _("You hold no hotline post, so you cannot send from one."))
    channels = _my_channels(user, held)
    status = 200
    if request.method == "POST":
        form = ComposeForm(request.POST, channels=channels)
        if form.is_valid():
            try:
                msg = services.send(user, form.outgoing())
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(
                    request, _("%(code)s sent to %(post)s.") % {"code": msg.code, "post": msg.to_post.code}
                )
                return redirect("hotline:message", code=msg.code)
        else:
            status = 422
    else:
        form = ComposeForm(initial=_initial(user, request, channels), channels=channels)
    return render(request, "hotline/compose.html", {"form": form, "held": held}, status=status)
