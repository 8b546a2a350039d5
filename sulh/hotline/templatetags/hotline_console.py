"""Display helpers of the hotline console: post names in the active language, times in UTC, the incident's
thread for the incident page."""

import datetime as dt

from django import template

from sulh.incidents.templatetags.sulh_console import localised

register = template.Library()


@register.filter
def post_label(post):
    """A post's charter name in the active language (its code when it has none)."""
    if post is None:
        return ""
    names = getattr(post, "names", None) or {}
    return localised(names) if names else (getattr(post, "name", "") or str(post))


@register.filter
def iso_utc(t):
    """An aware time as ISO 8601 in UTC, for the countdown script (which compares it with the server's now)."""
    if not t:
        return ""
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@register.simple_tag(takes_context=True)
def hotline_thread(context, incident):
    """The hotline messages about `incident` the viewer may see, whether they may write about it, and the
    protocol runs it started: the incident page's "Hotline" section."""
    from sulh.accounts.models import OrganisationKind
    from sulh.hotline import services
    from sulh.protocols.services import visible_runs

    request = context.get("request")
    user = getattr(request, "user", None)
    org = getattr(user, "organisation", None) if user is not None and user.is_authenticated else None
    if org is None or org.kind not in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR):
        return None
    return {
        "messages": list(services.thread_of_incident(user, incident)),
        "may_send": bool(services.held_posts(user)),
        "runs": list(visible_runs(user).filter(incident=incident).order_by("triggered_at")),
    }
