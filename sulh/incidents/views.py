"""Console pages of the incident register. Thin: every decision is in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sulh.core.errors import DomainError, NotFound
from sulh.evidence.services import visible_evidence
from sulh.geo.services import layers_geojson
from sulh.ledger import services as ledger

from . import services
from .forms import ClaimForm, EvidenceForm, IncidentFilterForm, IncidentForm
from .models import ClaimStatus, claim_visibility_q

PAGE_SIZE = 50


@login_required
def incident_list(request):
    form = IncidentFilterForm(request.GET or None)
    qs = services.search_incidents(request.user, form.to_filter() if form.is_bound else None)
    qs = qs.annotate(visible_claims=Count("claims", filter=claim_visibility_q(request.user, prefix="claims__")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": page, "query": params.urlencode()}
    template = "incidents/_table.html" if request.htmx and not request.htmx.boosted else "incidents/list.html"
    return render(request, template, context)


def _incident_or_404(user, code):
    try:
        return services.get_incident(user, code)
    except NotFound:
        raise Http404(_("No such incident.")) from None


@login_required
def incident_detail(request, code):
    user = request.user
    incident = _incident_or_404(user, code)
    claims = list(services.claims_of(user, incident))
    corrections = {c.supersedes_id: c for c in claims if c.supersedes_id}
    may_file = services.can_file(user)
    for c in claims:
        c.correction = corrections.get(c.pk)
        own = may_file and c.organisation_id == user.organisation_id
        c.may_file = own and c.status == ClaimStatus.DRAFT
        c.may_withdraw = own and c.status != ClaimStatus.WITHDRAWN
        c.may_correct = own and c.status == ClaimStatus.FILED and c.correction is None
    evidence = visible_evidence(user).filter(incident=incident).select_related("organisation", "claim")
    own_claims = [c for c in claims if c.organisation_id == user.organisation_id and c.status != ClaimStatus.WITHDRAWN]
    logged = [("incident", incident.pk), *(("claim", c.pk) for c in claims), *(("evidence", e.pk) for e in evidence)]
    context = {
        "incident": incident,
        "claims": claims,
        "log_entries": ledger.entries_of(logged),
        "may_file": may_file,
        "may_publish": services.can_publish(user) and not incident.published,
        "evidence": evidence,
        "evidence_form": EvidenceForm(claims=own_claims) if may_file else None,
    }
    return render(request, "incidents/detail.html", context)


def _claim_form_page(request, form_class, incident=None, supersedes=None):
    user = request.user
    kinds = services.allowed_source_kinds(user)
    initial = ClaimForm.initial_from_claim(supersedes) if supersedes is not None else {}
    form = form_class(request.POST or None, initial=initial, user=user, source_kinds=kinds)
    if request.method == "POST" and form.is_valid():
        file_now = request.POST.get("action") == "file"
        data = form.to_schema(file_now)
        if data is not None:
            try:
                if supersedes is not None:
                    claim = services.amend_claim(user, supersedes.pk, data)
                elif incident is not None:
                    claim = services.add_claim(user, incident, data)
                else:
                    claim = services.create_incident(user, data)
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Claim %(code)s saved.") % {"code": claim.code})
                return redirect("incidents:detail", code=claim.incident.code)
    context = {
        "form": form,
        "incident": incident,
        "supersedes": supersedes,
        "layers": layers_geojson(),
    }
    return render(request, "incidents/claim_form.html", context)


@login_required
def new_incident(request):
    if not services.can_file(request.user):
        return render(request, "403.html", {"reason": _("Your role may not file incidents.")}, status=403)
    return _claim_form_page(request, IncidentForm)


@login_required
def add_claim(request, code):
    user = request.user
    incident = _incident_or_404(user, code)
    if not services.can_file(user):
        return render(request, "403.html", {"reason": _("Your role may not file claims.")}, status=403)
    supersedes = None
    ref = request.GET.get("supersedes") or request.POST.get("supersedes")
    if ref:
        try:
            supersedes = services.get_claim(user, ref)
        except NotFound:
            raise Http404(_("No such claim.")) from None
        if supersedes.incident_id != incident.pk:
            raise Http404(_("No such claim."))
    return _claim_form_page(request, ClaimForm, incident=incident, supersedes=supersedes)


def _claim_action(request, claim_id, action, done_message):
    try:
        claim = services.get_claim(request.user, claim_id)
    except NotFound:
        raise Http404(_("No such claim.")) from None
    try:
        action(request.user, claim.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message % {"code": claim.code})
    return redirect("incidents:detail", code=claim.incident.code)


@login_required
@require_POST
def claim_file(request, claim_id):
    return _claim_action(request, claim_id, services.file_claim, _("Claim %(code)s filed."))


@login_required
@require_POST
def claim_withdraw(request, claim_id):
    return _claim_action(request, claim_id, services.withdraw_claim, _("Claim %(code)s withdrawn."))


@login_required
@require_POST
def publish(request, code):
    incident = _incident_or_404(request.user, code)
    try:
        services.publish_incident(request.user, incident.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Incident %(code)s published.") % {"code": incident.code})
    return redirect("incidents:detail", code=incident.code)

