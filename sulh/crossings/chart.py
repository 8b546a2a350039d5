"""The history chart of a crossing: one inline SVG drawn on the server, no JavaScript, no chart library.

One lane per mode (trade, travel), a bar per interval coloured by status, day ticks under the lanes. Time
runs in the reading direction: left to right, or right to left on a right-to-left page (Pashto, Dari, Urdu);
text in the SVG carries the page's direction so labels anchor at the start edge, and dates are plain digits
isolated as left-to-right. Each bar has a <title> (status, from, to, days) for a tooltip and screen readers;
the history table beside the chart holds the same facts as text."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Mode, Status
from .services import UNKNOWN, Period, segments

COLOURS = {  # colour-blind-safe (Okabe–Ito); unknown is a light grey
    Status.OPEN: "#009e73",
    Status.RESTRICTED: "#e69f00",
    Status.CLOSED: "#d55e00",
    UNKNOWN: "#d9d9d9",
}
WIDTH, LABEL_W, LANE_H, GAP, TOP, AXIS_H = 760, 90, 26, 8, 6, 34


def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else _("Not recorded")


def mode_label(mode: str) -> str:
    return str(Mode(mode).label)


def _fmt(t: dt.datetime) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%d %H:%M")


def render(period: Period, *, rtl: bool = False) -> SafeString:
    modes = list(period.changes)
    start, end = period.start, period.end
    height = TOP + len(modes) * (LANE_H + GAP) + AXIS_H
    span = (end - start).total_seconds()
    plot_w = WIDTH - LABEL_W - 10
    x0 = 10 if rtl else LABEL_W  # the plot area; the labels sit at the start edge

    def x(t: dt.datetime) -> float:
        frac = 0.0 if span <= 0 else (t - start).total_seconds() / span
        frac = min(1.0, max(0.0, frac))
        return round(x0 + (1 - frac if rtl else frac) * plot_w, 2)

    direction = "rtl" if rtl else "ltr"
    title = _("History of the crossing's status, by mode")
    parts = [format_html("<title>{}</title>", title)]
    for i, mode in enumerate(modes):
        y = TOP + i * (LANE_H + GAP)
        parts.append(format_html(
            '<text x="{}" y="{}" text-anchor="start" direction="{}" font-size="13">{}</text>',
            WIDTH - 4 if rtl else 4, y + LANE_H / 2 + 5, direction, mode_label(mode),
        ))  # fmt: skip
        if span <= 0:
            parts.append(format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                                     x0, y, plot_w, LANE_H, COLOURS[UNKNOWN]))  # fmt: skip
            continue
        for a, b, status in segments(period.changes[mode], start, end):
            xa, xb = x(a), x(b)
            tip = _("%(status)s: %(start)s – %(end)s (%(days)s days)") % {
                "status": status_label(status),
                "start": _fmt(a),
                "end": _fmt(b),
                "days": f"{(b - a).total_seconds() / 86400:.1f}",
            }
            parts.append(format_html(
                '<rect class="xing-{}" data-status="{}" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                "<title>{}</title></rect>",
                status, status, min(xa, xb), y, max(round(abs(xb - xa), 2), 0.5), LANE_H, COLOURS[status], tip,
            ))  # fmt: skip
    axis_y = TOP + len(modes) * (LANE_H + GAP)
    parts.append(format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555" stroke-width="1"/>',
                             x0, x0 + plot_w, axis_y, axis_y))  # fmt: skip
    for t in _ticks(start, end):
        xt = x(t)
        parts.append(
            format_html('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#555"/>', xt, xt, axis_y, axis_y + 5)
        )
        parts.append(format_html(
            '<text x="{}" y="{}" text-anchor="middle" direction="ltr" unicode-bidi="embed" font-size="11">{}</text>',
            xt, axis_y + 18, timezone.localtime(t).strftime("%Y-%m-%d"),
        ))  # fmt: skip
    return format_html(
        '<svg class="xing-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-label="{}" direction="{}">{}</svg>',
        WIDTH, height, title, direction, format_html_join("", "{}", ((p,) for p in parts)),
    )  # fmt: skip


def _ticks(start: dt.datetime, end: dt.datetime, most: int = 6) -> list[dt.datetime]:
    """Local midnights within the period, at most `most` of them, evenly stepped by whole days."""
    if end <= start:
        return []
    local = timezone.localtime(start)
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if first < local:
        first += dt.timedelta(days=1)
    days = (end - start).total_seconds() / 86400
    step = max(1, math.ceil(days / most))
    out = []
    t = first
    while t <= end and len(out) <= most:
        out.append(t)
        t = t + dt.timedelta(days=step)  # aware local time: wall-clock days
    return out
