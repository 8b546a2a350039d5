"""Display helpers of the crossings console: a status word and its colour swatch."""

from django import template
from django.utils.html import format_html

from sulh.crossings.chart import COLOURS, mode_label, status_label

register = template.Library()


@register.filter
def xing_status(value) -> str:
    return status_label(value or "")


@register.filter
def xing_mode(value) -> str:
    return mode_label(value)


@register.filter
def xing_days(value) -> str:
    """Days with one decimal, in digits kept left-to-right."""
    return f"{float(value):.1f}"


@register.simple_tag
def xing_badge(status):
    status = status or "unknown"
    return format_html(
        '<span class="xing-badge xing-{}"><i style="background:{}" aria-hidden="true"></i>{}</span>',
        status, COLOURS.get(status, COLOURS["unknown"]), status_label(status),
    )  # fmt: skip
