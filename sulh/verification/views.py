"""Console pages of complaints and the accused party's reply: the list, lodging one, and a complaint with its
reply (the draft form for the accused party; the submitted reply for everyone who sees the complaint).
Thin: every decision, visibility included, is in services.py; a refusal is shown next to its field."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.accounts.models import OrganisationKind
from sulh.charter.loader import get_charter
from sulh.core.errors import DomainError, NotFound
from sulh.incidents.templatetags.sulh_console import localised

from . import services
from .models import ComplaintState, ReplyPosition


def _speaks_for_party(user) -> bool:
    org = getattr(user, "organisation", None)
    return org is not None and org.kind == OrganisationKind.PARTY and user.role in services.SPEAKS_FOR_PARTY


def _may_open(user) -> bool:
    org = getattr(user, "organisation", None)
    return org is not None and org.kind in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR)


def _refused(request, reason=None):
    reason = reason or _("Complaints are open to the parties and the mediators only.")
    return render(request, "403.html", {"reason": reason}, status=403)


def _codes(text: str) -> list[str]:
    """Incident codes or ids as typed: separated by commas, spaces or new lines."""
    return [t for t in re.split(r"[\s,;]+", text or "") if t]


class DomainErrorsMixin:
    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class ComplaintForm(DomainErrorsMixin, forms.Form):
    incidents = forms.CharField(
        label=gettext_lazy("Incidents"),
        max_length=2000,
        help_text=gettext_lazy("Incident codes, e.g. AFPK-2025-11-0007; several separated by commas."),
    )
    clause = forms.ChoiceField(label=gettext_lazy("Charter clause violated"))
    account = forms.CharField(
        label=gettext_lazy("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=services.MAX_TEXT,
        help_text=gettext_lazy("Your party's account. A lodged complaint cannot be changed."),
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("Ids of evidence your party has filed, separated by commas (optional)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clause"].choices = [
            (code, f"{code} — {localised(text)}") for code, text in get_charter().clauses()
        ]


class ReplyForm(DomainErrorsMixin, forms.Form):
    position = forms.ChoiceField(
        label=gettext_lazy("Position"), choices=ReplyPosition.choices, widget=forms.RadioSelect
    )
    account = forms.CharField(
        label=gettext_lazy("Your party's account"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=services.MAX_TEXT,
    )
    evidence = forms.CharField(
        label=gettext_lazy("Counter-evidence"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("Ids of evidence your party has filed, separated by commas (optional)."),
    )


class SubmitForm(DomainErrorsMixin, forms.Form):
    final = forms.BooleanField(
        label=gettext_lazy(
            "I understand that a submitted reply is final: it cannot be changed or withdrawn."
        ),
    )


@login_required
def complaints(request):
    user = request.user
    if not _may_open(user):
        return _refused(request)
    state = request.GET.get("state") or ""
    qs = services.visible_complaints(user).select_related("lodged_by")
    if state in ComplaintState.values:
        qs = qs.filter(state=state)
    context = {
        "complaints": qs[:200],
        "states": ComplaintState.choices,
        "state": state,
        "may_lodge": _speaks_for_party(user),
        "parties": [p.code for p in get_charter().parties],  # links to each party's compliance record
        "server_now": timezone.now(),
    }
    return render(request, "verification/complaints.html", context)


@login_required
def lodge(request):
    user = request.user
    if not _speaks_for_party(user):
        return _refused(request, _("Only a party's liaison officers and commanders lodge complaints."))
    status = 200
    if request.method == "POST":
        form = ComplaintForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                c = services.lodge(
                    user, incidents=_codes(d["incidents"]), clause=d["clause"], account=d["account"],
                    evidence=_codes(d["evidence"]),
                )  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Complaint %(code)s lodged; the accused party has been told.") % {"code": c.code},
                )
                return redirect("verification:complaint", ref=c.code)
        else:
            status = 422
    else:
        form = ComplaintForm(initial={"incidents": request.GET.get("incident", "")})
    return render(request, "verification/lodge.html", {"form": form}, status=status)


def _page(request, complaint, *, reply_form=None, submit_form=None, status=200):
    user = request.user
    from sulh.incidents.models import visible_incidents

    reply = services.reply_for(user, complaint)
    may_reply = (
        _speaks_for_party(user)
        and user.organisation.code == complaint.accused
        and (reply is None or reply.is_draft)
    )
    if may_reply and reply_form is None:
        initial = (
            {"position": reply.position, "account": reply.account, "evidence": ", ".join(reply.evidence_ids)}
            if reply
            else {}
        )
        reply_form = ReplyForm(initial=initial)
    if may_reply and reply is not None and submit_form is None:
        submit_form = SubmitForm()
    try:
        clause = localised(get_charter().clause(complaint.clause).text)
    except KeyError:
        clause = ""
    context = {
        "complaint": complaint,
        "clause_text": clause,
        "incidents": visible_incidents(user).filter(pk__in=complaint.incident_ids),
        "notification": complaint.notification
        if complaint.notification_id and _sees_message(user, complaint.notification_id)
        else None,
        "reply": reply,
        "may_reply": may_reply,
        # A refused POST shows its form with the refusal even to someone who may not reply.
        "reply_form": reply_form if may_reply or (reply_form is not None and reply_form.is_bound) else None,
        "submit_form": submit_form
        if (may_reply and reply is not None) or (submit_form is not None and submit_form.is_bound)
        else None,
        "server_now": timezone.now(),
    }
    return render(request, "verification/complaint.html", context, status=status)


def _sees_message(user, message_id) -> bool:
    from sulh.hotline.services import visible_messages

    return visible_messages(user).filter(pk=message_id).exists()


def _complaint_or_404(user, ref):
    try:
        return services.get_complaint(user, ref)
    except NotFound:
        raise Http404(_("No such complaint.")) from None


@login_required
def complaint(request, ref: str):
    user = request.user
    if not _may_open(user):
        return _refused(request)
    c = _complaint_or_404(user, ref)
    if request.method != "POST":
        return _page(request, c)
    action = request.POST.get("action")
    if action == "submit":
        form = SubmitForm(request.POST)
        if not form.is_valid():
            return _page(request, c, submit_form=form, status=422)
        try:
            services.submit(user, c.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
            return _page(request, c, submit_form=form, status=exc.status)
        messages.success(request, _("The reply to %(code)s is submitted.") % {"code": c.code})
        return redirect("verification:complaint", ref=c.code)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _page(request, c, reply_form=form, status=422)
    d = form.cleaned_data
    try:
        services.save_draft(
            user, c.pk, position=d["position"], account=d["account"], evidence=_codes(d["evidence"])
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _page(request, c, reply_form=form, status=exc.status)
    messages.success(request, _("Draft saved. Only your party sees it until it is submitted."))
    return redirect("verification:complaint", ref=c.code)
