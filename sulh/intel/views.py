"""Console pages of intelligence exchange: the list of exchanges with their states and deadlines, and one
exchange's page with its timeline and the receiving party's acknowledge button. The server cannot show a
report's content (it cannot read it): the page says how to open it with `sulh intel open` on the desk's own
machine. Thin: every decision, visibility included, is in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sulh.core.errors import DomainError, NotFound

from . import services
from .models import ReportState


@login_required
def reports(request):
    user = request.user
    if not services.can_use(user):
        raise Http404
    qs = services.visible_reports(user).select_related("sent_by", "acknowledgement", "answer")
    state = request.GET.get("state") or ""
    if state in ReportState.values:
        qs = qs.filter(state=state)
    return render(request, "intel/reports.html", {
        "reports": qs[:300], "state": state, "states": ReportState.choices, "party": services.party_of(user),
        "records": services.compliance(user), "server_now": timezone.now(),
    })  # fmt: skip


@login_required
def report(request, ref):
    user = request.user
    try:
        r = services.get_report(user, ref)
    except NotFound:
        raise Http404 from None
    party = services.party_of(user)
    may_ack = party == r.receiver and user.role in services.DESK_ROLES and r.state == ReportState.SENT
    may_answer = (
        party == r.receiver and user.role in services.DESK_ROLES and r.state == ReportState.ACKNOWLEDGED
    )
    return render(request, "intel/report.html", {
        "r": r, "out": services.report_out(r, with_envelope=False), "may_ack": may_ack, "may_answer": may_answer,
        "recipients": sorted(services.recipients_for(r.receiver)), "server_now": timezone.now(),
    })  # fmt: skip


@login_required
@require_POST
def acknowledge(request, ref):
    try:
        r = services.get_report(request.user, ref)
    except NotFound:
        raise Http404 from None
    try:
        ack = services.acknowledge(request.user, r.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Acknowledged late: the acknowledgement deadline had passed.") if ack.late
                         else _("Acknowledged."))  # fmt: skip
    return redirect("intel:report", ref=r.code)
