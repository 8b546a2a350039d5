"""Console forms of the media desk: adding an article, correcting and deciding a candidate, adding a feed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sulh.charter.loader import get_charter
from sulh.core.errors import ValidationFailed
from sulh.core.forms import DomainErrorsMixin
from sulh.incidents import taxonomy
from sulh.incidents.models import Audience
from sulh.incidents.templatetags.sulh_console import DATE_PREC_WORDS

from . import triage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
KINDS = ("killed", "injured")
CATEGORY_LABELS = {"soldiers": _("Soldiers"), "militants": _("Militants"), "civilians": _("Civilians")}
KIND_LABELS = {"killed": _("killed"), "injured": _("injured")}


class ArticleForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Article text"), required=False, widget=forms.Textarea(attrs={"rows": 12, "dir": "auto"}),
        help_text=_("Paste the article, or upload its file below."),
    )  # fmt: skip
    file = forms.FileField(
        label=_("Or a file"), required=False, help_text=_("Plain text or a saved web page (HTML).")
    )
    outlet = forms.CharField(label=_("Outlet"), max_length=200)
    url = forms.URLField(label=_("URL"), required=False, max_length=1000, assume_scheme="https")
    title = forms.CharField(label=_("Title"), required=False, max_length=500)
    published_on = forms.DateField(
        label=_("Publication date"), widget=DATE, required=False,
        help_text=_("Relative dates in the text (“on Saturday night”) are read against it."),
    )  # fmt: skip
    field_map = {"data": "text"}

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Paste the article's text or choose its file."))
        return data


class FeedForm(DomainErrorsMixin, forms.Form):
    url = forms.CharField(label=_("Feed URL"), max_length=500, help_text=_("An RSS or Atom feed, http or https."))
    outlet = forms.CharField(label=_("Outlet"), max_length=200)
    language = forms.CharField(
        label=_("Language"), required=False, max_length=8,
        help_text=_("ISO 639-1 code such as en; empty: identified for each item."),
    )  # fmt: skip


class QueueFilterForm(forms.Form):
    STATUS = [
        ("", _("Awaiting triage")), ("triaged", _("Triaged")), ("refused", _("Refused")), ("all", _("All")),
    ]  # fmt: skip
    status = forms.ChoiceField(label=_("Articles"), choices=STATUS, required=False)
    q = forms.CharField(label=_("Outlet or title"), required=False, max_length=200)


def _event_choices():
    return [(t, [(f"{t}|{s}", s) for s in subs]) for t, subs in taxonomy.EVENT_TYPES.items()]


def _party_choices(blank):
    return [("", blank), *((p.code, p.code) for p in get_charter().parties)]


class CandidateForm(DomainErrorsMixin, forms.Form):
    """A candidate's event, prefilled from the extraction; what the analyst changes becomes the edits (and the
    decision's `corrected`)."""

    date_start = forms.DateField(label=_("From"), widget=DATE)
    date_end = forms.DateField(label=_("To"), widget=DATE, required=False)
    date_prec = forms.TypedChoiceField(
        label=_("Date precision"), coerce=int, choices=[(k, v) for k, v in DATE_PREC_WORDS.items()]
    )
    locations = forms.CharField(
        label=_("Places"), max_length=1000, required=False,
        help_text=_("Gazetteer names, most precise first, separated by commas; the first is where it happened."),
    )  # fmt: skip
    country = forms.ChoiceField(label=_("Side of the border"), required=False)
    event = forms.ChoiceField(label=_("Event type"))
    actors = forms.CharField(
        label=_("Actors"), max_length=1000, required=False, help_text=_("Separated by commas.")
    )
    claimant = forms.CharField(label=_("Claimant"), max_length=150, required=False)
    alleged_violator = forms.ChoiceField(label=_("Alleged violator"), required=False)
    summary = forms.CharField(
        label=_("Summary (notes)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    title = forms.CharField(
        label=_("Title of a new incident"), max_length=300, required=False,
        help_text=_("Empty: the event type and place."),
    )  # fmt: skip
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    incident = forms.CharField(
        label=_("Attach to incident"), max_length=64, required=False, help_text=_("Its code, e.g. AFPK-2025-10-0042.")
    )
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=triage.MAX_REASON, required=False)

    field_map = {
        "event_type": "event", "sub_event_type": "event",
        **{f"{k}.{c}": f"{k}_{c}_low" for k in KINDS for c in triage.CATEGORIES},
        **{k: f"{k}_soldiers_low" for k in KINDS},
    }  # fmt: skip

    def __init__(self, *args, event: dict, user, **kwargs):
        self.extracted = triage.extracted(event)
        kwargs.setdefault("initial", self.initial_values(self.extracted, user))
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _party_choices(_("Not said"))
        self.fields["alleged_violator"].choices = _party_choices(_("Nobody named"))
        self.fields["event"].choices = _event_choices()
        for kind in KINDS:
            for cat in triage.CATEGORIES:
                for end, label in (("low", _("low")), ("high", _("high"))):
                    self.fields[f"{kind}_{cat}_{end}"] = forms.IntegerField(
                        label=f"{CATEGORY_LABELS[cat]} {KIND_LABELS[kind]} ({label})", required=False,
                        min_value=0, max_value=100_000,
                    )  # fmt: skip

    @staticmethod
    def initial_values(ev: dict, user) -> dict:
        out = {
            "date_start": ev["date_start"], "date_end": ev["date_end"], "date_prec": ev["date_prec"],
            "locations": ", ".join(ev["locations"]), "country": ev["country"] or "",
            "event": f"{ev['event_type']}|{ev['sub_event_type']}", "actors": ", ".join(ev["actors"]),
            "claimant": ev["claimant"], "alleged_violator": ev["alleged_violator"] or "", "summary": ev["summary"],
            "audience": triage.default_audience(user),
        }  # fmt: skip
        for kind in KINDS:
            for cat in triage.CATEGORIES:
                pair = ev[kind].get(cat) or [None, None]
                out[f"{kind}_{cat}_low"], out[f"{kind}_{cat}_high"] = pair
        return out

    def figure_rows(self):
        """(label, low field, high field) per kind and category, for the template's small table."""
        return [
            (f"{CATEGORY_LABELS[c]} {KIND_LABELS[k]}", self[f"{k}_{c}_low"], self[f"{k}_{c}_high"])
            for k in KINDS for c in triage.CATEGORIES
        ]  # fmt: skip

    def edits(self) -> dict:
        """The fields the analyst changed, in the extract shape (figures per kind as a whole)."""
        d, changed = self.cleaned_data, set(self.changed_data)
        out: dict = {}
        for name in ("date_start", "date_end", "date_prec", "locations", "country", "actors", "claimant",
                     "alleged_violator", "summary"):  # fmt: skip
            if name in changed:
                out[name] = d.get(name)
        if "event" in changed:
            out["event_type"], _sep, out["sub_event_type"] = d["event"].partition("|")
        for kind in KINDS:
            if any(n.startswith(f"{kind}_") for n in changed):
                figures = {}
                for cat in triage.CATEGORIES:
                    low, high = d.get(f"{kind}_{cat}_low"), d.get(f"{kind}_{cat}_high")
                    if low is None and high is not None:
                        raise ValidationFailed(_("give the low figure too"), field=f"{kind}.{cat}")
                    figures[cat] = None if low is None else [low, high]
                out[kind] = figures
        return out
