"""Console pages of detainee exchanges: the list (and opening one), the exchange page (both lists side by side
as the viewer may see them, releases and their confirmations, reciprocity), and the party's list form.
Thin: every decision, visibility and decryption included, is in services.py / visibility.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.core.errors import DomainError, NotFound
from sulh.core.forms import DomainErrorsMixin

from . import services
from .models import AgeBand, ExchangeState, Sex
from .visibility import may_open, may_witness, org_of, speaks_for, visible_exchanges


class OpenForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    agreement = forms.CharField(
        label=gettext_lazy("Agreement"), max_length=40, required=False,
        help_text=gettext_lazy("Code of the agreement it carries out, e.g. ISTANBUL-2025-10-30 (optional)."),
    )  # fmt: skip


class PersonForm(DomainErrorsMixin, forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Full name"), max_length=200,
        help_text=gettext_lazy("Stored encrypted; seen only by your party and the mediators."),
    )  # fmt: skip
    id_number = forms.CharField(
        label=gettext_lazy("Identity number"), max_length=64, required=False,
        help_text=gettext_lazy("Stored encrypted; seen only by your party and the mediators."),
    )  # fmt: skip
    age_band = forms.ChoiceField(
        label=gettext_lazy("Age band"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN
    )
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    nationality = forms.CharField(label=gettext_lazy("Nationality"), max_length=64, required=False)
    place_of_detention = forms.CharField(
        label=gettext_lazy("Place of detention"), max_length=200, required=False
    )
    date_of_detention = forms.DateField(
        label=gettext_lazy("Date of detention"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SubmitForm(DomainErrorsMixin, forms.Form):
    final = forms.BooleanField(
        label=gettext_lazy(
            "I understand that a submitted list is final: no one can be added, changed or removed."
        )
    )


class ReleaseForm(DomainErrorsMixin, forms.Form):
    reference = forms.ChoiceField(label=gettext_lazy("Person"))
    released_at = forms.DateTimeField(
        label=gettext_lazy("Handed over at (time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("In your time zone."),
    )
    handed_over_at = forms.CharField(label=gettext_lazy("Handed over where"), max_length=200)

    def __init__(self, *args, persons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].choices = [(p.reference, p.reference) for p in persons]


class ConfirmForm(DomainErrorsMixin, forms.Form):
    release = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_TEXT, required=False)

    def add_domain_error(self, exc: DomainError) -> None:
        # The release is a hidden field: its refusal is shown above the releases, for everyone to read.
        self.add_error(None, exc.message)


class CloseForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why close it"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=services.MAX_TEXT)  # fmt: skip


def _refused(request):
    return render(request, "403.html", {"reason": _("Detainee exchanges are open to the parties, the mediators "
                                                    "and the charter's observers only.")}, status=403)  # fmt: skip


def _exchange_or_404(user, ref):
    try:
        return services.get_exchange(user, ref)
    except NotFound:
        raise Http404(_("No such exchange.")) from None


def _may_see_any(user) -> bool:
    org = org_of(user)
    return org is not None and (org.kind in ("party", "mediator") or may_witness(user)
                                or visible_exchanges(user).exists())  # fmt: skip


@login_required
def index(request):
    user = request.user
    if not _may_see_any(user):
        return _refused(request)
    form, status = None, 200
    if may_open(user):
        if request.method == "POST":
            form = OpenForm(request.POST)
            if form.is_valid():
                try:
                    ex = services.open_exchange(user, **form.cleaned_data)
                except DomainError as exc:
                    form.add_domain_error(exc)
                    status = exc.status
                else:
                    messages.success(request, _("Exchange %(code)s opened.") % {"code": ex.code})
                    return redirect("exchanges:detail", ref=ex.code)
            else:
                status = 422
        else:
            form = OpenForm()
    rows = [services.view(user, ex, detail=False) for ex in visible_exchanges(user)[:200]]
    return render(request, "exchanges/index.html", {"rows": rows, "form": form}, status=status)


def _page(request, ex, *, release_form=None, confirm_form=None, close_form=None, status=200):
    user = request.user
    v = services.view(user, ex)
    persons = services.releasable(user, ex)
    org = org_of(user)
    party = org.code if org is not None and org.code in ex.parties else None
    if release_form is None and persons:
        release_form = ReleaseForm(persons=persons)
    context = {
        "ex": ex,
        "v": v,
        "release_form": release_form,
        "confirm_form": confirm_form,
        "close_form": close_form
        or (
            CloseForm()
            if user.role == "mediator_lead" and may_open(user) and ex.state != ExchangeState.CLOSED
            else None
        ),
        "edit_party": party
        if party and speaks_for(user, party) and ex.state != ExchangeState.CLOSED
        else None,
        "ratio": f"{ex.ratio_a}:{ex.ratio_b}",
    }
    return render(request, "exchanges/exchange.html", context, status=status)


@login_required
def detail(request, ref: str):
    user = request.user
    ex = _exchange_or_404(user, ref)
    if request.method != "POST":
        return _page(request, ex)
    action = request.POST.get("action")
    if action == "confirm":
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            return _page(request, ex, confirm_form=form, status=422)
        try:
            services.confirm_release(
                user, ex.pk, form.cleaned_data["release"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
            return _page(request, ex, confirm_form=form, status=exc.status)
        messages.success(request, _("Release confirmed."))
    elif action == "close":
        form = CloseForm(request.POST)
        if not form.is_valid():
            return _page(request, ex, close_form=form, status=422)
        try:
            services.close_exchange(user, ex.pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_domain_error(exc)
            return _page(request, ex, close_form=form, status=exc.status)
        messages.success(request, _("Exchange closed."))
    else:
        form = ReleaseForm(request.POST, persons=services.releasable(user, ex))
        if not form.is_valid():
            return _page(request, ex, release_form=form, status=422)
        d = form.cleaned_data
        try:
            services.record_release(user, ex.pk, reference=d["reference"], released_at=d["released_at"],
                                    handed_over_at=d["handed_over_at"])  # fmt: skip
        except DomainError as exc:
            form.add_domain_error(exc)
            return _page(request, ex, release_form=form, status=exc.status)
        messages.success(request, _("Release recorded; it counts once the receiving party and a mediator or "
                                    "observer have confirmed it."))  # fmt: skip
    return redirect("exchanges:detail", ref=ex.code)


def _list_page(request, ex, party, *, person_form=None, submit_form=None, status=200):
    v = services.view(request.user, ex)
    mine = next(x for x in v["lists"] if x["party"] == party)
    context = {
        "ex": ex,
        "party": party,
        "mine": mine,
        "editable": mine["state"] in (None, "draft") and ex.state != ExchangeState.CLOSED,
        "person_form": person_form or PersonForm(),
        "submit_form": submit_form or SubmitForm(),
    }
    return render(request, "exchanges/list.html", context, status=status)


@login_required
def edit_list(request, ref: str):
    user = request.user
    ex = _exchange_or_404(user, ref)
    org = org_of(user)
    if org is None or org.code not in ex.parties or not speaks_for(user, org.code):
        return render(request, "403.html", {"reason": _("A party's list is written by its liaison officers and "
                                                        "commanders.")}, status=403)  # fmt: skip
    party = org.code
    if request.method != "POST":
        return _list_page(request, ex, party)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.remove_person(user, ex.pk, party, request.POST.get("reference", ""))
            messages.success(request, _("Taken off the draft list."))
        elif action == "submit":
            form = SubmitForm(request.POST)
            if not form.is_valid():
                return _list_page(request, ex, party, submit_form=form, status=422)
            try:
                services.submit_list(user, ex.pk, party)
            except DomainError as exc:
                form.add_domain_error(exc)
                return _list_page(request, ex, party, submit_form=form, status=exc.status)
            messages.success(request, _("List submitted. The mediators see it in full, the other party its counts "
                                        "and the identifiers the charter shares."))  # fmt: skip
            return redirect("exchanges:detail", ref=ex.code)
        else:
            form = PersonForm(request.POST)
            if not form.is_valid():
                return _list_page(request, ex, party, person_form=form, status=422)
            try:
                p = services.add_person(user, ex.pk, party, **form.cleaned_data)
            except DomainError as exc:
                form.add_domain_error(exc)
                return _list_page(request, ex, party, person_form=form, status=exc.status)
            messages.success(
                request, _("%(reference)s added to the draft list.") % {"reference": p.reference}
            )
    except DomainError as exc:  # a removal refused
        messages.error(request, exc.message)
        return _list_page(request, ex, party, status=exc.status)
    return redirect("exchanges:list", ref=ex.code)
