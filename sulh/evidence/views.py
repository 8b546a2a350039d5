"""Evidence upload from the incident page, and download streaming the stored bytes with their hash."""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sulh.core.errors import DomainError, NotFound
from sulh.incidents import services as incidents
from sulh.incidents.forms import EvidenceForm
from sulh.incidents.models import ClaimStatus

from . import services
from .storage import EvidenceStore


@login_required
@require_POST
def upload(request, code):
    user = request.user
    try:
        incident = incidents.get_incident(user, code)
    except NotFound:
        raise Http404(_("No such incident.")) from None
    own = [
        c for c in incidents.claims_of(user, incident)
        if c.organisation_id == user.organisation_id and c.status != ClaimStatus.WITHDRAWN
    ]
    form = EvidenceForm(request.POST, request.FILES, claims=own)
    if form.is_valid():
        d = form.cleaned_data
        meta = services.EvidenceMeta(
            description=d["description"], captured_at=d["captured_at"], device=d["device"], audience=d["audience"]
        )
        try:
            if d["claim"]:
                ev = services.attach(user, d["file"], meta, claim_id=d["claim"])
            else:
                ev = services.attach(user, d["file"], meta, incident_ref=incident.pk)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Evidence stored, SHA-256 %(hash)s.") % {"hash": ev.sha256})
            return redirect("incidents:detail", code=incident.code)
    return render(request, "evidence/upload_page.html", {"incident": incident, "form": form}, status=400)


@login_required
def download(request, evidence_id):
    try:
        ev = services.get_evidence(request.user, evidence_id)
    except NotFound:
        raise Http404(_("No such evidence.")) from None
    store = EvidenceStore()
    if not store.exists(ev.sha256):
        raise Http404(_("The stored file is missing."))
    response = StreamingHttpResponse(store.iter_bytes(ev.sha256), content_type=ev.media_type)
    response["Content-Length"] = str(ev.size)
    response["Content-Disposition"] = f'attachment; filename="{services.download_name(ev)}"'
    response["X-Content-SHA256"] = ev.sha256
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(ev.sha256)).decode()}:"
    response["Cache-Control"] = "private, no-store"
    return response
