"""Console forms of the incident register. They only collect input: the schemas and services decide."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from sulh.charter.loader import get_charter
from sulh.incidents.templatetags.sulh_console import DATE_PREC_WORDS, WHERE_PREC_WORDS, localised

from . import taxonomy
from .models import Audience, IncidentStatus, SourceKind
from .schemas import ClaimIn, IncidentIn


def party_choices(blank_label):
    return [("", blank_label)] + [(p.code, f"{localised(p.name)} ({p.code})") for p in get_charter().parties]


def clause_choices():
    out = [("", _("— none / not stated —"))]
    for item in get_charter().clauses():
        if isinstance(item, tuple | list):
            code, text = item[0], item[1]
            label = f"{code} — {localised(text)[:90]}" if text else code
        else:
            code, label = item, item
        out.append((code, label))
    return out


def sub_type_choices():
    """Sub-event types grouped by event type (rendered as <optgroup>)."""
    return [("", "—")] + [(t, [(s, s) for s in subs]) for t, subs in taxonomy.EVENT_TYPES.items()]


class IncidentFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    event_type = forms.ChoiceField(label=_("Event type"), required=False)
    alleged_violator = forms.ChoiceField(label=_("Alleged violator"), required=False)
    reporting_party = forms.ChoiceField(label=_("Reporting party"), required=False)
    side = forms.ChoiceField(label=_("Side of the border"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Text"), required=False, max_length=200, widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        charter = get_charter()
        any_ = _("any")
        self.fields["sector"].choices = [("", any_)] + [(s.code, localised(s.name)) for s in charter.sectors]
        self.fields["event_type"].choices = [("", any_)] + [(t, t) for t in taxonomy.EVENT_TYPES]
        for name in ("alleged_violator", "reporting_party", "side"):
            self.fields[name].choices = party_choices(any_)
        self.fields["status"].choices = [("", any_), *IncidentStatus.choices]

    def to_filter(self):
        from .services import IncidentFilter

        data = self.cleaned_data if self.is_valid() else {}
        tz = timezone.get_current_timezone()
        since = until = None
        if data.get("since"):
            since = timezone.make_aware(dt.datetime.combine(data["since"], dt.time.min), tz)
        if data.get("until"):
            until = timezone.make_aware(dt.datetime.combine(data["until"], dt.time.max), tz)
        return IncidentFilter(
            since=since,
            until=until,
            sector=data.get("sector") or None,
            event_type=data.get("event_type") or None,
            alleged_violator=data.get("alleged_violator") or None,
            reporting_party=data.get("reporting_party") or None,
            side=data.get("side") or None,
            status=data.get("status") or None,
            q=(data.get("q") or "").strip() or None,
        )


def _int(label, **kw):
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=100_000, **kw)


class ClaimForm(forms.Form):
    """One source's account; mirrors sulh.incidents.schemas.ClaimIn."""

    schema = ClaimIn

    event_type = forms.ChoiceField(label=_("Event type"))
    sub_event_type = forms.ChoiceField(label=_("Sub-event type"))
    date_start = forms.DateField(label=_("Date (start)"), widget=forms.DateInput(attrs={"type": "date"}))
    time_start = forms.TimeField(label=_("Time (start)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                                 help_text=_("In your own time zone. Leave empty if unknown."))
    date_end = forms.DateField(label=_("Date (end)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time_end = forms.TimeField(label=_("Time (end)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    date_prec = forms.TypedChoiceField(label=_("How precise is the date?"), coerce=int, initial=1,
                                       choices=list(DATE_PREC_WORDS.items()))
    latitude = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90,
                                widget=forms.NumberInput(attrs={"step": "any", "dir": "ltr"}))
    longitude = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180,
                                 widget=forms.NumberInput(attrs={"step": "any", "dir": "ltr"}))
    where_prec = forms.TypedChoiceField(label=_("How precise is the place?"), coerce=int, initial=2,
                                        choices=list(WHERE_PREC_WORDS.items()))
    location_name = forms.CharField(label=_("Place name"), required=False, max_length=200)
    alleged_violator = forms.ChoiceField(label=_("Alleged violator"), required=False)
    clause = forms.ChoiceField(label=_("Clause violated"), required=False)
    source_kind = forms.ChoiceField(label=_("Kind of source"), required=False)
    source_name = forms.CharField(label=_("Source"), max_length=200,
                                  help_text=_("Who says it: a spokesman, an outlet, a post, your own unit."))
    source_url = forms.URLField(label=_("Source link"), required=False, max_length=500, assume_scheme="https",
                                widget=forms.URLInput(attrs={"dir": "ltr"}))
    post_code = forms.ChoiceField(label=_("Joint monitoring post"), required=False)
    audience = forms.ChoiceField(label=_("Who may read it"), choices=Audience.choices, initial=Audience.MEDIATORS,
                                 help_text=_("Mediators always may."))
    actor1 = forms.CharField(label=_("Actor 1"), required=False, max_length=200)
    assoc_actor_1 = forms.CharField(label=_("Associated with actor 1"), required=False, max_length=200)
    inter1 = forms.TypedChoiceField(label=_("Actor 1 type"), required=False, coerce=int, empty_value=None)
    actor2 = forms.CharField(label=_("Actor 2"), required=False, max_length=200)
    assoc_actor_2 = forms.CharField(label=_("Associated with actor 2"), required=False, max_length=200)
    inter2 = forms.TypedChoiceField(label=_("Actor 2 type"), required=False, coerce=int, empty_value=None)
    deaths_a = _int(_("Deaths, side A"))
    deaths_b = _int(_("Deaths, side B"))
    deaths_civilians = _int(_("Deaths, civilians"))
    deaths_unknown = _int(_("Deaths, unknown"))
    deaths_low = _int(_("Deaths, low estimate"))
    deaths_best = _int(_("Deaths, best estimate"))
    deaths_high = _int(_("Deaths, high estimate"))
    injured_low = _int(_("Injured, low estimate"))
    injured_best = _int(_("Injured, best estimate"))
    injured_high = _int(_("Injured, high estimate"))
    notes = forms.CharField(label=_("Short notes"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}))
    narrative = forms.CharField(label=_("Narrative"), required=False, max_length=20_000,
                                widget=forms.Textarea(attrs={"rows": 6}),
                                help_text=_("The source's account in full, in any language."))

    def __init__(self, *args, user=None, source_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        charter = get_charter()
        parties = list(charter.parties)
        self.fields["event_type"].choices = [("", "—")] + [(t, t) for t in taxonomy.EVENT_TYPES]
        self.fields["sub_event_type"].choices = sub_type_choices()
        self.fields["alleged_violator"].choices = party_choices(_("unknown"))
        self.fields["clause"].choices = clause_choices()
        self.fields["post_code"].choices = [("", "—")] + [(p.code, f"{p.code} — {localised(p.name)}") for p in charter.posts]
        kinds = [k for k in SourceKind if k in set(source_kinds)]
        self.fields["source_kind"].choices = [(k.value, k.label) for k in kinds]
        if kinds:
            self.fields["source_kind"].initial = kinds[0].value
        inter = [("", "—")] + [(k, v) for k, v in taxonomy.INTER_CODES.items()]
        self.fields["inter1"].choices = inter
        self.fields["inter2"].choices = inter
        if len(parties) == 2:
            self.fields["deaths_a"].label = _("Deaths, %(party)s forces") % {"party": localised(parties[0].name)}
            self.fields["deaths_b"].label = _("Deaths, %(party)s forces") % {"party": localised(parties[1].name)}

    def clean(self):
        data = super().clean()
        if data.get("time_end") and not data.get("date_end"):
            data["date_end"] = data.get("date_start")
        return data

    def payload(self, file_now: bool) -> dict:
        d = self.cleaned_data

        def when(day, moment):
            if day is None:
                return None
            return dt.datetime.combine(day, moment) if moment else day

        out = {
            name: d.get(name)
            for name in self.fields
            if name not in ("date_start", "time_start", "date_end", "time_end")
        }
        out["date_start"] = when(d.get("date_start"), d.get("time_start"))
        out["date_end"] = when(d.get("date_end"), d.get("time_end"))
        out["source_kind"] = d.get("source_kind") or None
        out["source_url"] = d.get("source_url") or None
        for key in ("location_name", "alleged_violator", "clause", "post_code", "actor1", "assoc_actor_1",
                    "actor2", "assoc_actor_2", "notes", "narrative"):
            out[key] = out.get(key) or ""
        out["file"] = file_now
        return out

    def to_schema(self, file_now: bool):
        """The schema object, or None with the pydantic errors put on the form."""
        try:
            return self.schema(**self.payload(file_now))
        except PydanticValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = err.get("loc") or ()
                field = loc[0] if loc and loc[0] in self.fields else None
                msg = str(err.get("msg", "")).removeprefix("Value error, ")
                self.add_error(field, msg)
            return None

    def add_domain_error(self, exc) -> None:
        field = exc.field if exc.field in self.fields else None
        if exc.field == "date_end" and "date_end" not in self.fields:
            field = None
        self.add_error(field, exc.message)

    @staticmethod
    def initial_from_claim(claim) -> dict:
        """Prefill a correction from an existing claim, dates in the user's zone."""
        start = timezone.localtime(claim.date_start)
        end = timezone.localtime(claim.date_end)
        initial = {
            name: getattr(claim, name)
            for name in (
                "event_type", "sub_event_type", "date_prec", "latitude", "longitude", "where_prec", "location_name",
                "alleged_violator", "clause", "source_kind", "source_name", "source_url", "post_code", "audience",
                "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "deaths_a", "deaths_b",
                "deaths_civilians", "deaths_unknown", "deaths_low", "deaths_best", "deaths_high", "injured_low",
                "injured_best", "injured_high", "notes", "narrative",
            )
        }  # fmt: skip
        initial["date_start"] = start.date()
        initial["date_end"] = end.date()
        whole_day = start.time() == dt.time.min and end.time().replace(microsecond=0) == dt.time(23, 59, 59)
        if not whole_day:
            initial["time_start"] = start.time().replace(second=0, microsecond=0)
            initial["time_end"] = end.time().replace(second=0, microsecond=0)
        return initial


class IncidentForm(ClaimForm):
    """A new incident: a title and the first claim."""

    schema = IncidentIn

    title = forms.CharField(label=_("Short title"), min_length=3, max_length=300,
                            help_text=_("e.g. Mortar fire on Angoor Adda village"))

    field_order = ["title"]


class EvidenceForm(forms.Form):
    """Evidence upload on the incident page (sulh.evidence.views.upload)."""

    file = forms.FileField(label=_("File"), help_text=_("Photo, video, audio, PDF or plain text. It is stored unchanged, by its SHA-256."))
    claim = forms.ChoiceField(label=_("Attach to"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    captured_at = forms.DateTimeField(label=_("Captured at"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                      help_text=_("In your time zone."))
    device = forms.CharField(label=_("Device"), required=False, max_length=200)
    audience = forms.ChoiceField(label=_("Who may see it"), choices=Audience.choices, initial=Audience.MEDIATORS,
                                 help_text=_("For a file attached to a claim, the claim's own audience applies."))

    def __init__(self, *args, claims=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claim"].choices = [("", _("the incident"))] + [(str(c.pk), f"C{c.seq} · {c.source_name}") for c in claims]
