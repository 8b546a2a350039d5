"""Small display helpers for the console: charter names in the active language, precision words, distances."""

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sulh.charter.loader import get_charter

register = template.Library()

DATE_PREC_WORDS = {
    1: _("exact day"),
    2: _("span of 2–6 days"),
    3: _("week"),
    4: _("month"),
    5: _("year"),
}
WHERE_PREC_WORDS = {
    1: _("exact location"),
    2: _("area around a named place (up to 25 km)"),
    3: _("district"),
    4: _("province"),
    5: _("between a province and the country"),
    6: _("country"),
    7: _("water or airspace"),
}


def localised(names) -> str:
    """Pick the active language's entry of a charter name dict, falling back to English."""
    if not isinstance(names, dict):
        return str(names)
    lang = translation.get_language() or "en"
    for key in (lang, lang.split("-")[0], "prs" if lang == "fa" else None, "en"):
        if key and names.get(key):
            return names[key]
    return next(iter(names.values()), "")


def _lookup(kind: str, code: str) -> str:
    if not code:
        return ""
    charter = get_charter()
    for item in getattr(charter, kind, []):
        if item.code == code:
            return localised(item.name)
    return code


@register.filter
def party_name(code):
    return _lookup("parties", code)


@register.filter
def sector_name(code):
    return _lookup("sectors", code)


@register.filter
def district_name(code):
    return _lookup("districts", code)


@register.filter
def province_name(code):
    return _lookup("provinces", code)


@register.filter
def post_name(code):
    return _lookup("posts", code)


@register.filter
def date_prec_word(value):
    return DATE_PREC_WORDS.get(value, value)


@register.filter
def where_prec_word(value):
    return WHERE_PREC_WORDS.get(value, value)


@register.filter
def km(metres):
    """Metres to a short kilometre string ("12.3 km"); empty when unknown."""
    if metres is None or metres == "":
        return ""
    # <bdi>: a number and its unit keep their order inside right-to-left text
    return format_html("<bdi>{}</bdi>", gettext("%(km).1f km") % {"km": float(metres) / 1000})


@register.filter
def filesize(n):
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return format_html("<bdi>{}</bdi>", f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}")
        n /= 1024
    return ""


@register.simple_tag(takes_context=True)
def may_file(context) -> bool:
    from sulh.incidents.services import can_file

    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and can_file(user))
