"""Console pages of verification cases: the verifier's board, a case (plan, requests for information,
corroboration, timeline, the finding and its signatures), and each party's compliance record.
Thin: every decision, visibility included, is in cases.py, findings.py, record.py and visibility.py; a refusal
is shown next to its field with a 4xx, and nothing is stored."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sulh.accounts.models import Role
from sulh.charter.loader import get_charter
from sulh.core.errors import DomainError, NotFound, PermissionDenied
from sulh.incidents.templatetags.sulh_console import localised
from sulh.ledger import services as ledger

from . import cases, findings, record, services, visibility
from .models import FindingState, Outcome, PenaltyDecision, PlanKind, PlanState
from .views import DomainErrorsMixin, _codes, _may_open, _refused, _speaks_for_party

MAX_TEXT = services.MAX_TEXT


def _plans(user) -> bool:
    """The mediators' leads and verifiers open, staff and plan cases (cases.OPENS_CASES)."""
    return visibility.is_mediator(user) and user.role in cases.OPENS_CASES


def _text_field(label, rows=4, required=True, help_text=""):
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": rows}), max_length=MAX_TEXT, required=required,
        help_text=help_text,
    )  # fmt: skip


class FieldMapMixin(DomainErrorsMixin):
    """Services name their own fields (answer, reason, ...); some forms show them under another name."""

    field_map: dict = {}

    def add_domain_error(self, exc: DomainError) -> None:
        name = self.field_map.get(exc.field, exc.field)
        self.add_error(name if name in self.fields else None, exc.message)


# --- forms ---------------------------------------------------------------------------------------------------


class OpenCaseForm(FieldMapMixin, forms.Form):
    complaint = forms.CharField(
        label=gettext_lazy("Complaint"), required=False, max_length=64,
        help_text=gettext_lazy("The complaint's code, e.g. CMP-2025-11-0007 (leave empty for a case on the mediators' own initiative)."),
    )  # fmt: skip
    incidents = forms.CharField(
        label=gettext_lazy("Incidents"), required=False, max_length=2000,
        help_text=gettext_lazy("Incident codes, separated by commas; on a complaint, its incidents unless you name others."),
    )  # fmt: skip
    reason = _text_field(gettext_lazy("Why the case is opened"))
    team = forms.CharField(
        label=gettext_lazy("Team"), required=False, max_length=2000,
        help_text=gettext_lazy("User names of other mediators' staff on the case (optional)."),
    )  # fmt: skip


class PlanForm(FieldMapMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Step"), choices=PlanKind.choices)
    description = _text_field(gettext_lazy("Description"), rows=3)
    party = forms.ChoiceField(
        label=gettext_lazy("Party asked"), required=False,
        help_text=gettext_lazy("Requests for information only: it goes to that party's top desk on the hotline."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [("", "—")] + [
            (p.code, localised(p.name)) for p in get_charter().parties
        ]


class CompleteForm(FieldMapMixin, forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    report = _text_field(gettext_lazy("What was found"), rows=3)
    field_map = {"kind": "report"}


class AnswerForm(FieldMapMixin, forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    text = _text_field(
        gettext_lazy("Your party's answer, or its reason for refusing"), rows=4,
        help_text=gettext_lazy("Given at server time and final once sent. A refusal is recorded against your party."),
    )  # fmt: skip
    field_map = {"answer": "text", "reason": "text"}


class FindingForm(FieldMapMixin, forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    responsible = forms.ChoiceField(label=gettext_lazy("Party responsible"), required=False)
    confidence = forms.ChoiceField(label=gettext_lazy("Confidence"), required=False)
    clause = forms.ChoiceField(label=gettext_lazy("Clause violated"), required=False)
    date_start = forms.DateTimeField(label=gettext_lazy("From (your time zone)"), required=False)
    date_end = forms.DateTimeField(label=gettext_lazy("To (your time zone)"), required=False)
    place = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=200)
    latitude = forms.FloatField(label=gettext_lazy("Latitude"), required=False)
    longitude = forms.FloatField(label=gettext_lazy("Longitude"), required=False)
    deaths_low = forms.IntegerField(label=gettext_lazy("Deaths, low"), required=False)
    deaths_best = forms.IntegerField(label=gettext_lazy("Deaths, best estimate"), required=False)
    deaths_high = forms.IntegerField(label=gettext_lazy("Deaths, high"), required=False)
    injured_low = forms.IntegerField(label=gettext_lazy("Injured, low"), required=False)
    injured_best = forms.IntegerField(label=gettext_lazy("Injured, best estimate"), required=False)
    injured_high = forms.IntegerField(label=gettext_lazy("Injured, high"), required=False)
    reasoning = _text_field(gettext_lazy("Reasoning"), rows=8)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        charter = get_charter()
        self.fields["responsible"].choices = [("", "—")] + [
            (p.code, localised(p.name)) for p in charter.parties
        ]
        levels = charter.verification.confidence_levels if charter.verification else []
        self.fields["confidence"].choices = [("", "—")] + [(c.code, localised(c.name)) for c in levels]
        self.fields["clause"].choices = [("", "—")] + [
            (code, f"{code} — {localised(t)}") for code, t in charter.clauses()
        ]

    def content(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in findings.CONTENT_FIELDS}


class SignForm(FieldMapMixin, forms.Form):
    signature = forms.CharField(
        label=gettext_lazy("Your signature (base64)"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class DissentForm(FieldMapMixin, forms.Form):
    text = _text_field(gettext_lazy("Your dissent"), rows=4)


class PenaltyForm(FieldMapMixin, forms.Form):
    penalty = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=MAX_TEXT)


# --- the board -----------------------------------------------------------------------------------------------


@login_required
def board(request):
    user = request.user
    if not _plans(user):
        return _refused(request, _("The verification board is for the mediators' leads and verifiers."))
    status = 200
    if request.method == "POST":
        form = OpenCaseForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                case = cases.open_case(
                    user, complaint=d["complaint"].strip() or None, incidents=_codes(d["incidents"]),
                    reason=d["reason"], team=_codes(d["team"]),
                )  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Case %(code)s opened.") % {"code": case.code})
                return redirect("verification:case", ref=case.code)
        else:
            status = 422
    else:
        form = OpenCaseForm(initial={"complaint": request.GET.get("complaint", "")})
    context = {
        "rows": cases.board(user), "form": form, "server_now": timezone.now(),
        "parties": [p.code for p in get_charter().parties],
    }  # fmt: skip
    return render(request, "verification/board.html", context, status=status)


# --- a case --------------------------------------------------------------------------------------------------


def _case_or_404(user, ref):
    try:
        return cases.get_case(user, ref)
    except NotFound:
        raise Http404(_("No such case.")) from None


def _timeline(user, case, plan, finding):
    """The log's entries of the case and of what the user sees of it: plan items, the finding and its
    signatures, dissents and penalties."""
    refs = [("case", case.pk)] + [("plan_item", i.pk) for i in plan]
    if finding is not None:
        refs.append(("finding", finding.pk))
        refs += [("finding_signature", s.pk) for s in finding.signatures.all()]
        refs += [("dissent", d.pk) for d in finding.dissents.all()]
        refs += [("penalty_decision", p.pk) for p in finding.penalties.all()]
    if visibility.is_mediator(user):
        refs += [("case_member", m.pk) for m in case.members.all()]
    return ledger.entries_of(refs)


def _finding_initial(finding) -> dict:
    return {name: getattr(finding, name) for name in findings.CONTENT_FIELDS}


def _page(request, case, forms_=None, status=200):
    user = request.user
    forms_ = forms_ or {}
    from sulh.incidents.models import visible_incidents

    mediator = visibility.is_mediator(user)
    planner = _plans(user)
    plan = list(visibility.visible_plan(user, case).select_related("done_by", "message"))
    org = getattr(user, "organisation", None)
    answers = {}
    if _speaks_for_party(user):
        for item in plan:
            if (
                item.kind == PlanKind.INFORMATION_REQUEST
                and item.party == org.code
                and item.state == PlanState.PLANNED
            ):
                bound = forms_.get("answer")
                answers[item.pk] = (
                    bound
                    if bound is not None and bound.data.get("item") == str(item.pk)
                    else AnswerForm(initial={"item": item.pk})
                )
    completes = {}
    if planner:
        for item in plan:
            if item.kind != PlanKind.INFORMATION_REQUEST and item.state in (
                PlanState.PLANNED,
                PlanState.OVERDUE,
            ):
                bound = forms_.get("complete")
                completes[item.pk] = (
                    bound
                    if bound is not None and bound.data.get("item") == str(item.pk)
                    else CompleteForm(initial={"item": item.pk})
                )
    plan_rows = [
        {"item": i, "answer_form": answers.get(i.pk), "complete_form": completes.get(i.pk)} for i in plan
    ]

    complaint = reply = None
    if case.complaint_id and services.visible_complaints(user).filter(pk=case.complaint_id).exists():
        complaint = case.complaint
        reply = services.reply_for(user, complaint)
        if reply is not None and reply.is_draft:
            reply = None  # a draft is its party's own; the case shows submitted replies only

    finding = visibility.visible_findings(user).filter(case=case).select_related("drafted_by").first()
    charter = get_charter()
    levels = charter.verification.confidence_levels if charter.verification else []
    ctx = {
        "case": case, "mediator": mediator, "planner": planner, "plan_rows": plan_rows,
        "incidents": visible_incidents(user).filter(pk__in=case.incidents.values("pk")),
        "complaint": complaint, "reply": reply, "team": cases.team(case) if mediator else [],
        "finding": finding, "server_now": timezone.now(),
        "confidence_levels": [{"code": c.code, "name": localised(c.name), "requires": c.requires} for c in levels],
        "signatures_required": charter.verification.signatures_required if charter.verification else 2,
    }  # fmt: skip
    if planner and case.stage != "closed":
        ctx["plan_form"] = forms_.get("plan") or PlanForm()
    if mediator:
        ctx["corroboration"] = record.corroboration(user, case)
        if case.stage != "closed" and (finding is None or finding.state == FindingState.DRAFT):
            ctx["finding_form"] = forms_.get("finding") or FindingForm(
                initial=_finding_initial(finding) if finding else None
            )
            ctx["submit_error"] = forms_.get("submit_error")
    if finding is not None:
        ctx["signatures"] = finding.signatures.select_related("signer", "key").order_by("signed_at")
        ctx["dissents"] = finding.dissents.select_related("author").order_by("filed_at")
        ctx["penalties"] = finding.penalties.select_related("decided_by").order_by("penalty")
        if mediator:
            ctx["dissent_form"] = forms_.get("dissent") or DissentForm()
            if finding.state == FindingState.SIGNING and not finding.signatures.filter(signer=user).exists():
                ctx["sign_form"] = forms_.get("sign") or SignForm()
                ctx["my_key"] = findings.active_key(user)
        if mediator and user.role == Role.MEDIATOR_LEAD:
            ctx["penalty_form"] = forms_.get("penalty")
            ctx["decides_penalties"] = True
        if finding.supersedes_id:
            ctx["supersedes"] = finding.supersedes
    ctx["timeline"] = _timeline(user, case, plan, finding)
    return render(request, "verification/case.html", ctx, status=status)


def _act(request, case, form_class, key, do):
    """Validate a posted form and hand it to a service; a refusal re-renders the page with the error next to
    its field and the service's status."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _page(request, case, {key: form}, status=422)
    try:
        done = do(form)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _page(request, case, {key: form}, status=exc.status)
    messages.success(request, done)
    return redirect("verification:case", ref=case.code)


@login_required
def case(request, ref: str):
    user = request.user
    if not _may_open(user):
        return _refused(request, _("Verification cases are open to the parties and the mediators only."))
    c = _case_or_404(user, ref)
    if request.method != "POST":
        return _page(request, c)
    action = request.POST.get("action")
    finding = visibility.visible_findings(user).filter(case=c).first()

    if action == "plan":

        def do(f):
            d = f.cleaned_data
            cases.plan(user, c.code, d["kind"], d["description"], d["party"] or None)
            return _("Step added to the plan.")

        return _act(request, c, PlanForm, "plan", do)
    if action == "complete":

        def do(f):
            cases.complete(user, f.cleaned_data["item"], f.cleaned_data["report"])
            return _("Step recorded as done.")

        return _act(request, c, CompleteForm, "complete", do)
    if action in ("answer", "refuse"):

        def do(f):
            text = f.cleaned_data["text"]
            if action == "refuse":
                cases.answer_request(user, f.cleaned_data["item"], refuse=True, reason=text)
                return _("Refusal sent. It is recorded against your party.")
            cases.answer_request(user, f.cleaned_data["item"], answer=text)
            return _("Answer sent.")

        return _act(request, c, AnswerForm, "answer", do)
    if action == "draft":

        def do(f):
            if finding is None:
                findings.draft_finding(user, c.code, **f.content())
            else:
                findings.update_draft(user, finding.pk, **f.content())
            return _("Draft finding saved.")

        return _act(request, c, FindingForm, "finding", do)
    if action == "submit_finding":
        try:
            if finding is None:
                raise NotFound(_("There is no draft finding to submit."))
            findings.submit_for_signing(user, finding.pk)
        except DomainError as exc:
            return _page(request, c, {"submit_error": exc.message}, status=exc.status)
        messages.success(request, _("The finding is frozen and awaits signatures."))
        return redirect("verification:case", ref=c.code)
    if action in ("sign", "dissent", "imposed", "waived") and finding is None:
        raise Http404(_("No finding on this case."))
    if action == "sign":

        def do(f):
            findings.sign(user, finding.pk, f.cleaned_data["signature"])
            return _("Signature added.")

        return _act(request, c, SignForm, "sign", do)
    if action == "dissent":

        def do(f):
            findings.dissent(user, finding.pk, f.cleaned_data["text"])
            return _("Dissent filed.")

        return _act(request, c, DissentForm, "dissent", do)
    if action in (PenaltyDecision.Decision.IMPOSED, PenaltyDecision.Decision.WAIVED):

        def do(f):
            findings.decide_penalty(user, f.cleaned_data["penalty"], action, f.cleaned_data["note"])
            return _("Penalty decision recorded.")

        return _act(request, c, PenaltyForm, "penalty", do)
    return _page(request, c, {"submit_error": _("Unknown action.")}, status=400)


# --- compliance record ---------------------------------------------------------------------------------------


@login_required
def compliance(request, party: str):
    user = request.user
    try:
        rec = record.compliance_record(user, party)
    except PermissionDenied:
        return _refused(request, _("Compliance records are for the parties and the mediators."))
    except NotFound:
        raise Http404(_("No such party.")) from None
    charter = get_charter()
    context = {
        "rec": rec, "party": party, "parties": [p.code for p in charter.parties],
        "confidence_names": {c.code: localised(c.name) for c in (charter.verification.confidence_levels if charter.verification else [])},
        "outcomes": dict(Outcome.choices), "decisions": dict(PenaltyDecision.Decision.choices),
    }  # fmt: skip
    return render(request, "verification/compliance.html", context)
