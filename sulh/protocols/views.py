"""Console pages of the de-escalation protocols: tasks due, filing the report or meeting that meets one, a
run with its tasks, and each party's compliance record. Thin: every decision is in services.py."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.accounts.models import OrganisationKind
from sulh.core.errors import DomainError

from . import services
from .models import MEDIATORS, TaskState

REPORTED = ("report_filed", "meeting_held")


def _on_the_hotline(user) -> bool:
    org = getattr(user, "organisation", None)
    return org is not None and org.kind in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR)


def _refused(request):
    reason = _("The protocols are open to the parties' officers and the mediators only.")
    return render(request, "403.html", {"reason": reason}, status=403)


class ReportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=services.MAX_TEXT,
    )
    held_at = forms.DateTimeField(
        label=gettext_lazy("Held at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Meetings: when it was held, in your own time zone."),
    )
    place = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=200)
    attendees = forms.CharField(
        label=gettext_lazy("Attendees"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        if task is not None and task.done_kind != "meeting_held":
            for name in ("held_at", "place", "attendees"):
                del self.fields[name]

    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


def _task_or_404(user, task_id):
    task = (
        services.visible_tasks(user)
        .filter(pk=task_id)
        .select_related("run__incident", "run__message")
        .first()
    )
    if task is None:
        raise Http404(_("No such protocol task."))
    return task


@login_required
def tasks_due(request):
    user = request.user
    if not _on_the_hotline(user):
        return _refused(request)
    tasks = list(services.tasks_due(user).select_related("run__incident", "run__message"))
    for t in tasks:
        t.form = ReportForm(task=t, prefix=str(t.pk)) if t.done_kind in REPORTED else None
    context = {
        "tasks": tasks,
        "runs": services.visible_runs(user)
        .filter(closed_at__isnull=True)
        .select_related("incident", "message")[:50],
        "server_now": timezone.now(),
    }
    return render(request, "protocols/tasks_due.html", context)


@login_required
def task(request, task_id: uuid.UUID):
    """A task with the form that meets it; the tasks-due page posts its inline forms here."""
    user = request.user
    if not _on_the_hotline(user):
        return _refused(request)
    t = _task_or_404(user, task_id)
    status = 200
    if request.method == "POST":
        prefix = request.POST.get("prefix") or None
        form = ReportForm(request.POST, task=t, prefix=prefix)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.file_report(
                    user, t.pk, text=d["text"], report=t.done_report, held_at=d.get("held_at"),
                    place=d.get("place") or "", attendees=d.get("attendees") or "",
                )  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Filed: %(name)s.") % {"name": t.name})
                return redirect("protocols:run", run_id=t.run_id)
        else:
            status = 422
    else:
        form = ReportForm(task=t) if t.done_kind in REPORTED else None
    context = {
        "task": t,
        "form": form,
        "reports": t.reports.select_related("filed_by"),
        "server_now": timezone.now(),
    }
    return render(request, "protocols/task.html", context, status=status)


@login_required
def run(request, run_id: uuid.UUID):
    user = request.user
    if not _on_the_hotline(user):
        return _refused(request)
    r = services.visible_runs(user).filter(pk=run_id).select_related("incident", "message").first()
    if r is None:
        raise Http404(_("No such protocol run."))
    from sulh.hotline.services import visible_messages
    from sulh.incidents.models import visible_incidents

    tasks = list(
        r.tasks.select_related("post", "met_by").prefetch_related("reports").order_by("step_index", "party")
    )
    org = user.organisation
    mine = MEDIATORS if org.kind == OrganisationKind.MEDIATOR else org.code
    for t in tasks:
        t.may_file = (
            t.party == mine
            and t.done_kind in REPORTED
            and t.state in (TaskState.OPEN, TaskState.WAITING, TaskState.BREACHED)
        )
        t.met_message = t.met_with if t.met_with.startswith("HL-") else None
    context = {
        "run": r,
        "tasks": tasks,
        "incident": r.incident
        if r.incident_id and visible_incidents(user).filter(pk=r.incident_id).exists()
        else None,
        "message": r.message
        if r.message_id and visible_messages(user).filter(pk=r.message_id).exists()
        else None,
        "server_now": timezone.now(),
    }
    return render(request, "protocols/run.html", context)


@login_required
def compliance(request):
    user = request.user
    if not _on_the_hotline(user):
        return _refused(request)
    context = {
        "rows": services.compliance(user),
        "breaches": services.breaches(user).select_related("run", "post")[:200],
    }
    return render(request, "protocols/compliance.html", context)
