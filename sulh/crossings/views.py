"""Console pages of the crossings: the list with the map, and a crossing with its history, chart, days closed
and the form to record a change. Thin: every decision, visibility included, is in services.py."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.core.errors import DomainError, NotFound
from sulh.core.forms import DomainErrorsMixin
from sulh.geo.services import layers_geojson
from sulh.incidents.templatetags.sulh_console import localised

from . import chart, services
from .models import Mode, Status

MAP_LAYERS = ("territories", "provinces", "border")


def _refused(request):
    return render(request, "403.html", {"reason": _("The crossings are open to signed-in accounts only.")},
                  status=403)  # fmt: skip


class StatusForm(DomainErrorsMixin, forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("For"), widget=forms.RadioSelect)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Status.choices, widget=forms.RadioSelect)
    effective_at = forms.DateTimeField(
        label=gettext_lazy("Took effect at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy(
            "In your time zone. Leave empty for now. Not in the future, and not before the last record."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.MAX_REASON,
        help_text=gettext_lazy("What happened and who says so. A record cannot be changed afterwards."),
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("Ids of evidence you may see, separated by commas (optional)."),
    )
    trucks_waiting = forms.IntegerField(label=gettext_lazy("Trucks waiting"), required=False, min_value=0,
                                        help_text=gettext_lazy("Where known; recorded with trade."))  # fmt: skip
    people_waiting = forms.IntegerField(label=gettext_lazy("People waiting"), required=False, min_value=0,
                                        help_text=gettext_lazy("Where known; recorded with travel."))  # fmt: skip

    def __init__(self, crossing, *args, **kwargs):
        super().__init__(*args, **kwargs)
        served = services.modes_of(crossing)
        choices = [(m, Mode(m).label) for m in served]
        if len(served) == 2:
            choices.append(("both", _("Trade and travel")))
        self.fields["mode"].choices = choices
        if "trade" not in served:
            del self.fields["trucks_waiting"]
        if "travel" not in served:
            del self.fields["people_waiting"]

    field_map = {"evidence_ids": "evidence"}


def _status_rows(states):
    return [
        {
            "crossing": s.crossing,
            "name": localised(s.crossing.name),
            "state": s.state,
            "trade": s.modes.get("trade"),
            "travel": s.modes.get("travel"),
            "last": s.last,
        }
        for s in states
    ]


@login_required
def crossing_list(request):
    user = request.user
    if not services.can_read_state(user):
        return _refused(request)
    states = services.overview(user)
    layers = layers_geojson()
    features = []
    for s in states:
        c = s.crossing
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(c.location)},
            "properties": {
                "code": c.code, "name": dict(c.name), "state": s.state,
                "modes": {m: (r.status if r else services.UNKNOWN) for m, r in s.modes.items()},
                "url": reverse("crossings:detail", args=[c.code]),
            },
        })  # fmt: skip
    context = {
        "rows": _status_rows(states),
        "layers": {k: layers[k] for k in MAP_LAYERS if k in layers},
        "crossings_geojson": {"type": "FeatureCollection", "features": features},
        "colours": chart.COLOURS,
        "labels": {
            **{k: str(v) for k, v in Status.choices},
            services.UNKNOWN: _("Not recorded"),
            **{k: str(v) for k, v in Mode.choices},
            "open_page": _("Open the crossing's page"),
            "legend": _("State of the crossing"),
        },
        "full": services.can_read(user),
    }
    return render(request, "crossings/list.html", context)


def _codes(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", text or "") if t]


@login_required
def crossing_detail(request, code):
    user = request.user
    if not services.can_read_state(user):
        return _refused(request)
    try:
        crossing = services.get_crossing(code)
    except NotFound:
        return render(request, "404.html", status=404)
    may_record = services.may_record(user)
    form, status = None, 200
    if request.method == "POST":
        if not may_record:
            return render(request, "403.html", {"reason": _(
                "Only the parties' liaison officers and commanders, the mediators' leads and verifiers and "
                "the monitors record a crossing's status.")}, status=403)  # fmt: skip
        form = StatusForm(crossing, request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                made = services.record_status(
                    user, crossing.code, mode=d["mode"], status=d["status"], reason=d["reason"],
                    effective_at=d.get("effective_at"), evidence_ids=_codes(d["evidence"]),
                    trucks_waiting=d.get("trucks_waiting"), people_waiting=d.get("people_waiting"),
                )  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("%(n)s record(s) stored for %(crossing)s.") % {
                    "n": len(made), "crossing": localised(crossing.name)})  # fmt: skip
                return redirect("crossings:detail", code=crossing.code)
        else:
            status = 422
    elif may_record:
        form = StatusForm(crossing)
    st = next(s for s in services.overview(user) if s.crossing.code == crossing.code)
    period = services.days_closed(user, crossing.code)
    rtl = translation.get_language_bidi()
    days = [{"mode": m, "days": {k: period.days(m, k) for k in services.KINDS}} for m in period.by_mode]
    full = services.can_read(user)
    history = list(services.history(user, crossing.code))
    if full:
        for r in history:
            r.visible_evidence = services.visible_evidence_ids(user, r.evidence_ids)
    context = {
        "crossing": crossing,
        "name": localised(crossing.name),
        "state": st,
        "modes": list(st.modes.items()),
        "history": history,
        "period": period,
        "days": days,
        "kinds": services.KINDS,
        "chart": chart.render(period, rtl=rtl) if any(period.changes.values()) else None,
        "colours": chart.COLOURS,
        "form": form,
        "full": full,
    }
    return render(request, "crossings/detail.html", context, status=status)
