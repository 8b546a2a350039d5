"""Console pages of meetings: the schedule (upcoming with their reminders, past), scheduling one, and a meeting's
page (agenda, delegations, reminders, attendance, minutes, decisions and the obligations they created, its
changes) with the forms each role may use. Thin: every decision, visibility included, is in services.py; a
refusal is shown next to its field. The public and the operator's staff get 404, as for a meeting that does not
exist."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.charter.loader import get_charter
from sulh.commitments.models import ObligationKind, VerifiedBy
from sulh.core.errors import DomainError, NotFound
from sulh.core.forms import DomainErrorsMixin
from sulh.incidents.templatetags.sulh_console import localised

from . import services
from .models import MeetingState

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _lines(text: str) -> list[str]:
    return [t.strip() for t in (text or "").splitlines() if t.strip()]


def _level_choices():
    return [(lv.code, localised(lv.name)) for lv in get_charter().commitments.meetings.levels]


def _org_choices():
    return [(code, code) for code in services.attendable_orgs()]


class ScheduleForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    level = forms.ChoiceField(label=gettext_lazy("Level"))
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts"), widget=DT)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends"), widget=DT)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One item a line, in order."),
    )  # fmt: skip
    expected = forms.MultipleChoiceField(
        label=gettext_lazy("Expected organisations"), widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Every party and mediator unless you choose otherwise."), required=False,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = _level_choices()
        self.fields["expected"].choices = _org_choices()
        self.fields["expected"].initial = services.default_expected()


class RescheduleForm(DomainErrorsMixin, forms.Form):
    starts_at = forms.DateTimeField(label=gettext_lazy("New start"), widget=DT)
    ends_at = forms.DateTimeField(label=gettext_lazy("New end"), widget=DT)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=services.MAX_TEXT)  # fmt: skip


class CancelForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=services.MAX_TEXT)  # fmt: skip


class DelegationForm(DomainErrorsMixin, forms.Form):
    members = forms.CharField(
        label=gettext_lazy("Your delegation"), widget=forms.Textarea(attrs={"rows": 5}), max_length=12000,
        help_text=gettext_lazy("One member a line: name, then a comma and the title or office."),
    )  # fmt: skip


class AttendanceForm(DomainErrorsMixin, forms.Form):
    """One choice per expected organisation whose attendance is not recorded yet."""

    CHOICES = [("", gettext_lazy("Not recorded")), ("present", gettext_lazy("Present")),
               ("absent", gettext_lazy("Absent"))]  # fmt: skip

    def __init__(self, orgs, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = list(orgs)
        for org in self.orgs:
            self.fields[f"org_{org}"] = forms.ChoiceField(label=org, choices=self.CHOICES, required=False)
            self.fields[f"note_{org}"] = forms.CharField(
                label=gettext_lazy("Note"), max_length=500, required=False
            )

    def rows(self):
        return [(self[f"org_{o}"], self[f"note_{o}"]) for o in self.orgs]

    def entries(self) -> list[dict]:
        out = []
        for org in self.orgs:
            choice = self.cleaned_data.get(f"org_{org}")
            if choice:
                out.append({"organisation": org, "present": choice == "present",
                            "note": self.cleaned_data.get(f"note_{org}", "")})  # fmt: skip
        return out

    def add_domain_error(self, exc: DomainError) -> None:
        self.add_error(None, exc.message)


class MinutesForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label=gettext_lazy("Minutes"), widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=services.MAX_TEXT)  # fmt: skip
    document_id = forms.CharField(
        label=gettext_lazy("Co-signed document"), required=False, max_length=40,
        help_text=gettext_lazy("The id of the document the minutes became, if any."),
    )  # fmt: skip


class DecisionForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label=gettext_lazy("Decision"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=services.MAX_TEXT)  # fmt: skip
    agreement = forms.CharField(
        label=gettext_lazy("Agreement"), required=False, max_length=40,
        help_text=gettext_lazy("An agreement the meeting produced (code); empty: the meeting's own outcome."),
    )  # fmt: skip
    clause = forms.CharField(label=gettext_lazy("Clause"), required=False, max_length=20)
    ob_title = forms.CharField(
        label=gettext_lazy("Obligation it creates"), required=False, max_length=300,
        help_text=gettext_lazy("Leave empty for a decision that creates no obligation."),
    )  # fmt: skip
    ob_kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ObligationKind.choices, required=False)
    ob_obliged = forms.MultipleChoiceField(label=gettext_lazy("Obliged"), widget=forms.CheckboxSelectMultiple,
                                           required=False)  # fmt: skip
    ob_due_at = forms.DateTimeField(label=gettext_lazy("Due"), widget=DT, required=False)
    ob_verified_by = forms.ChoiceField(
        label=gettext_lazy("Verified by"), choices=VerifiedBy.choices, required=False
    )
    ob_subject = forms.CharField(
        label=gettext_lazy("Subject"), required=False, max_length=64,
        help_text=gettext_lazy("For a meeting to be held: its code; for a crossing: its code."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ob_obliged"].choices = [(p.code, p.code) for p in get_charter().parties]

    def add_domain_error(self, exc: DomainError) -> None:
        field = exc.field or ""
        if field.startswith("obligations."):
            name = "ob_" + field.split(".")[-1]
            self.add_error(name if name in self.fields else "ob_title", exc.message)
        else:
            super().add_domain_error(exc)

    def obligations(self) -> list[dict]:
        d = self.cleaned_data
        if not d.get("ob_title"):
            return []
        return [{"title": d["ob_title"], "kind": d.get("ob_kind") or "other", "obliged": d.get("ob_obliged") or [],
                 "due_at": d.get("ob_due_at"), "verified_by": d.get("ob_verified_by") or "evidence",
                 "subject": d.get("ob_subject") or ""}]  # fmt: skip


def _reader_or_404(user):
    if not services.can_read(user):
        raise Http404(_("No such page."))


def _meeting_or_404(user, ref):
    try:
        return services.get_meeting(user, ref)
    except NotFound:
        raise Http404(_("No such meeting.")) from None


@login_required
def meetings(request):
    user = request.user
    _reader_or_404(user)
    now = timezone.now()
    context = {
        "upcoming": services.upcoming(user, now=now)[:100],
        "past": services.past(user, now=now)[:200],
        "reminders": services.recent_reminders(user, now=now)[:20],
        "may_convene": services.is_convener(user),
        "levels": dict(_level_choices()),
    }
    return render(request, "meetings/list.html", context)


@login_required
def new(request):
    user = request.user
    _reader_or_404(user)
    if not services.is_convener(user):
        return render(request, "403.html", {"reason": _("Only the mediators' leads and verifiers schedule meetings.")},
                      status=403)  # fmt: skip
    status = 200
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                m = services.schedule(user, title=d["title"], level=d["level"], starts_at=d["starts_at"],
                                      ends_at=d["ends_at"], place=d["place"], agenda=_lines(d["agenda"]),
                                      expected=d["expected"] or None)  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Meeting %(code)s scheduled.") % {"code": m.code})
                return redirect("meetings:meeting", ref=m.code)
        else:
            status = 422
    else:
        form = ScheduleForm()
    return render(request, "meetings/new.html", {"form": form}, status=status)


def _members(text: str) -> list[dict]:
    out = []
    for line in _lines(text):
        name, _sep, title = line.partition(",")
        out.append({"name": name.strip(), "title": title.strip()})
    return out


def _page(request, m, forms_in=None, status=200):
    user = request.user
    forms_in = forms_in or {}
    convener = services.is_convener(user)
    org = user.organisation.code
    now = timezone.now()
    is_open = m.state in (MeetingState.SCHEDULED, MeetingState.POSTPONED)
    started = m.starts_at <= now
    recorded = m.attendance.exists()
    delegations = {d.organisation: d for d in m.delegations.select_related("entered_by")}
    own = delegations.get(org)
    may_delegate = services.speaks_for_org(user) and org in m.expected and m.state != MeetingState.CANCELLED and not (
        m.attendance.filter(organisation=org).exists()
    )  # fmt: skip
    decisions = [
        (d, services.obligations_of(d))
        for d in m.decisions.select_related("agreement", "clause", "recorded_by")
    ]
    may_record = convener and started and m.state not in (MeetingState.CANCELLED, MeetingState.MISSED)
    attendance_orgs = services.unrecorded(m)
    forms_ = {
        "reschedule": RescheduleForm(initial={"place": m.place}) if convener and is_open and not recorded else None,
        "cancel": CancelForm() if convener and is_open and not recorded else None,
        "delegation": DelegationForm(initial={"members": "\n".join(
            f"{x['name']}, {x['title']}" if x["title"] else x["name"] for x in own.members)} if own else None)
        if may_delegate else None,
        "attendance": AttendanceForm(attendance_orgs)
        if convener and started and attendance_orgs and m.state not in (MeetingState.CANCELLED, MeetingState.HELD)
        else None,
        "minutes": MinutesForm() if may_record else None,
        "decision": DecisionForm() if may_record else None,
    }  # fmt: skip
    forms_.update(forms_in)
    context = {
        "m": m,
        "level": dict(_level_choices()).get(m.level, m.level),
        "expected": [(o, delegations.get(o)) for o in m.expected],
        "attendance": m.attendance.select_related("recorded_by"),
        "unrecorded": attendance_orgs,
        "minutes": m.minutes.select_related("recorded_by"),
        "decisions": decisions,
        "reminders": m.reminders.all(),
        "pending_reminders": _pending_reminders(m),
        "changes": m.changes.select_related("by"),
        "forms": forms_,
        "server_now": now,
    }
    return render(request, "meetings/meeting.html", context, status=status)


def _pending_reminders(m):
    from sulh.deadlines.models import Deadline

    return Deadline.objects.filter(kind=services.REMINDER, subject=str(m.pk), state="pending").order_by(
        "due_at"
    )


ACTIONS = {
    "reschedule": RescheduleForm,
    "cancel": CancelForm,
    "delegation": DelegationForm,
    "minutes": MinutesForm,
    "decision": DecisionForm,
}


@login_required
def meeting(request, ref: str):
    user = request.user
    _reader_or_404(user)
    m = _meeting_or_404(user, ref)
    if request.method != "POST":
        return _page(request, m)
    action = request.POST.get("action", "")
    if action == "attendance":
        form = AttendanceForm(services.unrecorded(m), request.POST)
    elif action in ACTIONS:
        form = ACTIONS[action](request.POST)
    else:
        return _page(request, m, status=400)
    if not form.is_valid():
        return _page(request, m, {action: form}, status=422)
    d = form.cleaned_data
    try:
        if action == "reschedule":
            services.reschedule(user, m.pk, starts_at=d["starts_at"], ends_at=d["ends_at"], reason=d["reason"],
                                place=d["place"])  # fmt: skip
            done = _("Rescheduled; the reminders are set for the new time.")
        elif action == "cancel":
            services.cancel(user, m.pk, reason=d["reason"])
            done = _("The meeting is cancelled.")
        elif action == "delegation":
            services.enter_delegation(user, m.pk, members=_members(d["members"]))
            done = _("Your delegation is saved.")
        elif action == "attendance":
            services.record_attendance(user, m.pk, entries=form.entries())
            done = _("Attendance recorded.")
        elif action == "minutes":
            services.record_minutes(user, m.pk, text=d["text"], document_id=d["document_id"] or None)
            done = _("Minutes recorded.")
        else:
            services.record_decision(user, m.pk, text=d["text"], agreement=d["agreement"] or None,
                                     clause=d["clause"] or None, obligations=form.obligations())  # fmt: skip
            done = _("Decision recorded.")
    except DomainError as exc:
        form.add_domain_error(exc)
        return _page(request, services.get_meeting(user, m.pk), {action: form}, status=exc.status)
    messages.success(request, done)
    return redirect("meetings:meeting", ref=m.code)
