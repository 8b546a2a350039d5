"""Console pages of Commitments: the dashboard, agreements and their clauses, entering an agreement, an
obligation's page (its timeline of changes, warnings, and the state-change form offering only what the charter
lets the reader do), and adding an obligation. Thin: every decision is in services.py; a refusal is shown next
to its field. The public and the operator's staff get 404 here, as for a page that does not exist."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.charter.loader import get_charter
from sulh.core.errors import DomainError, NotFound
from sulh.core.forms import DomainErrorsMixin

from . import record, services
from .models import ObligationKind, ObligationState, VerifiedBy


def _readable_or_404(user) -> None:
    if not services.can_read(user):
        raise Http404(_("Commitments are open to the parties, the mediators and the joint monitors only."))


def _may_enter(user) -> bool:
    try:
        services._may_enter(user)
    except DomainError:
        return False
    return True


def _ids(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,;]+", text or "") if t]


class AgreementForm(DomainErrorsMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40,
                           help_text=gettext_lazy("e.g. ISTANBUL-2025-11-07: letters, digits, '.', '_', '-'"))  # fmt: skip
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    clauses = forms.CharField(
        label=gettext_lazy("Clauses"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("One clause per line: its number, a full stop or colon, then its text (\"1. The parties…\")."),
    )  # fmt: skip

    def clean_clauses(self):
        out = []
        for i, line in enumerate(x for x in self.cleaned_data["clauses"].splitlines() if x.strip()):
            m = re.match(r"\s*([^\s.:]+)\s*[.:]\s*(.+)$", line)
            if not m:
                raise forms.ValidationError(
                    _("Line %(n)s does not start with a clause number and a full stop or colon.")
                    % {"n": i + 1}
                )
            out.append({"number": m.group(1), "text": m.group(2)})
        return out


class ObligationForm(DomainErrorsMixin, forms.Form):
    agreement = forms.ChoiceField(label=gettext_lazy("Agreement"))
    clause = forms.CharField(label=gettext_lazy("Clause number"), max_length=20, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ObligationKind.choices)
    title = forms.CharField(label=gettext_lazy("What is to be done"), max_length=300)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False, max_length=services.MAX_TEXT)  # fmt: skip
    obliged = forms.MultipleChoiceField(label=gettext_lazy("Owed by"), widget=forms.CheckboxSelectMultiple,
                                        help_text=gettext_lazy("Both parties for a mutual obligation."))  # fmt: skip
    due_at = forms.DateTimeField(label=gettext_lazy("Due by"), required=False,
                                 help_text=gettext_lazy("In your own time zone."),
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))  # fmt: skip
    due_after = forms.CharField(label=gettext_lazy("Or due after the obligation"), max_length=32, required=False,
                                help_text=gettext_lazy("Its code, e.g. OBL-2025-0003: the clock starts when it is met."))  # fmt: skip
    due_offset = forms.CharField(label=gettext_lazy("… within"), max_length=20, required=False,
                                 help_text=gettext_lazy("ISO 8601 duration, e.g. P7D or PT48H"))  # fmt: skip
    starts_at = forms.DateTimeField(label=gettext_lazy("In force from"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))  # fmt: skip
    ends_at = forms.DateTimeField(label=gettext_lazy("In force until"), required=False,
                                  help_text=gettext_lazy("A time-limited ceasefire: everyone is warned before it lapses."),
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))  # fmt: skip
    verified_by = forms.ChoiceField(label=gettext_lazy("Verified by"), choices=VerifiedBy.choices)
    subject = forms.CharField(label=gettext_lazy("Record that proves it"), max_length=64, required=False,
                              help_text=gettext_lazy("A crossing's code, or the id of a meeting, exchange or document."))  # fmt: skip
    subject_mode = forms.ChoiceField(
        label=gettext_lazy("Crossing mode"), required=False,
        choices=[("", "—"), ("trade", gettext_lazy("Trade")), ("travel", gettext_lazy("Travel")),
                 ("both", gettext_lazy("Trade and travel"))],
    )  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].choices = [
            (a.code, f"{a.code} — {a.title}")
            for a in services.visible_agreements(user).order_by("-date", "code")
        ]
        self.fields["obliged"].choices = [(p.code, p.code) for p in get_charter().parties]


class StateForm(DomainErrorsMixin, forms.Form):
    to_state = forms.ChoiceField(label=gettext_lazy("New state"))
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=services.MAX_TEXT)  # fmt: skip
    evidence_ids = forms.CharField(
        label=gettext_lazy("Evidence"), required=False, max_length=4000,
        help_text=gettext_lazy("Ids of evidence items, separated by commas. Needed for every state but disputed."),
    )  # fmt: skip

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ObligationState.choices)
        self.fields["to_state"].choices = [(s, labels[s]) for s in allowed]


@login_required
def dashboard(request):
    user = request.user
    _readable_or_404(user)
    d = record.dashboard(user)
    return render(request, "commitments/dashboard.html", {**d, "may_enter": _may_enter(user)})


@login_required
def agreements(request):
    user = request.user
    _readable_or_404(user)
    rows = services.visible_agreements(user).prefetch_related("clauses")
    return render(request, "commitments/agreements.html", {"agreements": rows, "may_enter": _may_enter(user)})


@login_required
def agreement(request, code):
    user = request.user
    try:
        a = services.get_agreement(user, code)
    except NotFound:
        raise Http404(_("No such agreement.")) from None
    obligations = list(services.visible_obligations(user).filter(agreement=a).order_by("code"))
    clauses = [
        {"clause": c, "obligations": [o for o in obligations if o.clause_id == c.pk]}
        for c in a.clauses.order_by("number")
    ]
    context = {
        "agreement": a,
        "clauses": clauses,
        "unattached": [o for o in obligations if o.clause_id is None],
        "may_enter": _may_enter(user),
    }
    return render(request, "commitments/agreement.html", context)


@login_required
def enter_agreement(request):
    user = request.user
    _readable_or_404(user)
    if not _may_enter(user):
        return render(request, "403.html", {"reason": _("Only the mediators' leads and verifiers enter agreements.")},
                      status=403)  # fmt: skip
    status = 200
    if request.method == "POST":
        form = AgreementForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = services.enter_agreement(user, code=d["code"], title=d["title"], date=d["date"], place=d["place"],
                                             clauses=d["clauses"])  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Agreement %(code)s entered.") % {"code": a.code})
                return redirect("commitments:agreement", code=a.code)
        else:
            status = 422
    else:
        form = AgreementForm()
    return render(request, "commitments/enter_agreement.html", {"form": form}, status=status)


@login_required
def new_obligation(request):
    user = request.user
    _readable_or_404(user)
    if not _may_enter(user):
        return render(request, "403.html", {"reason": _("Only the mediators' leads and verifiers add obligations.")},
                      status=403)  # fmt: skip
    status = 200
    if request.method == "POST":
        form = ObligationForm(request.POST, user=user)
        if form.is_valid():
            d = dict(form.cleaned_data)
            agreement = d.pop("agreement")
            d["clause"] = d["clause"] or None
            d["due_after"] = d["due_after"] or None
            d["due_offset"] = d["due_offset"] or None
            try:
                o = services.create_obligation(user, agreement, **d)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Obligation %(code)s added.") % {"code": o.code})
                return redirect("commitments:obligation", code=o.code)
        else:
            status = 422
    else:
        form = ObligationForm(user=user, initial={"agreement": request.GET.get("agreement", ""),
                                                  "clause": request.GET.get("clause", "")})  # fmt: skip
    return render(request, "commitments/new_obligation.html", {"form": form}, status=status)


@login_required
def obligation(request, code):
    user = request.user
    try:
        ob = services.get_obligation(user, code)
    except NotFound:
        raise Http404(_("No such obligation.")) from None
    allowed = services.allowed_states(user, ob)
    status = 200
    form = None
    if request.method == "POST":
        form = StateForm(request.POST, allowed=allowed)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.change_state(user, ob.code, d["to_state"], reason=d["reason"],
                                      evidence_ids=_ids(d["evidence_ids"]))  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("%(code)s changed.") % {"code": ob.code})
                return redirect("commitments:obligation", code=ob.code)
        else:
            status = 422 if allowed else 403
    elif allowed:
        form = StateForm(allowed=allowed)
    from .api import seen_evidence

    changes = list(services.changes_of(ob))
    seen = seen_evidence(user, changes)
    timeline = [
        {"change": c, "evidence": [e for e in c.evidence_ids if e in seen],
         "hidden": len([e for e in c.evidence_ids if e not in seen])}
        for c in changes
    ]  # fmt: skip
    context = {
        "ob": ob,
        "timeline": timeline,
        "warnings": ob.warnings.order_by("at", "step"),
        "form": form,
        "allowed": allowed,
        "extension": services.extension_of(ob),
        "server_now": timezone.now(),
    }
    return render(request, "commitments/obligation.html", context, status=status)
