"""Template helpers of the media desk's console."""

from django import template

from sulh.media.services import can_use_media

register = template.Library()


@register.simple_tag(takes_context=True)
def may_use_media(context) -> bool:
    """Whether the signed-in user has a media desk (for the navigation link)."""
    request = context.get("request")
    return bool(request is not None and can_use_media(request.user))
