"""Console pages of co-signed documents: the list, drafting one, and a document's page (its versions, each
version's hash and signatures by required organisation, the draft form, freezing, pasting a signature line
made offline with `sulh doc sign`, amending, downloads). Thin: every decision is in services.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sulh.core.errors import DomainError, NotFound
from sulh.core.forms import DomainErrorsMixin

from . import services
from . import text as doctext
from .models import DocumentKind, VersionState


class DraftForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=doctext.MAX_TITLE)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}),
        max_length=doctext.MAX_BODY,
        strip=False,
        help_text=gettext_lazy(
            "Exactly what the signatories will sign once frozen. No tabs; a line may not begin with an em dash "
            "and a space."
        ),
    )


class NewDocumentForm(DraftForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocumentKind.choices)
    agreement = forms.CharField(
        label=gettext_lazy("Agreement"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Code of the agreement it belongs to, e.g. ISTANBUL-2025-10-30 (optional)."),
    )
    meeting_id = forms.UUIDField(
        label=gettext_lazy("Meeting"), required=False, help_text=gettext_lazy("The meeting's id (optional).")
    )

    field_order = ["kind", "title", "body", "agreement", "meeting_id"]


class SignatureForm(DomainErrorsMixin, forms.Form):
    signature = forms.CharField(
        label=gettext_lazy("Signature line"),
        max_length=600,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy("The line printed by `sulh doc sign`, beginning with an em dash."),
    )


def _document_or_404(user, ref):
    try:
        return services.get_document(user, ref)
    except NotFound:
        raise Http404(_("No such document.")) from None


@login_required
def documents(request):
    user = request.user
    rows = []
    for doc in services.visible_documents(user).select_related("agreement")[:200]:
        newest = services.visible_history(user, doc)[-1]
        rows.append({"doc": doc, "version": newest})
    context = {"rows": rows, "may_draft": services.may_draft(user)}
    return render(request, "documents/list.html", context)


@login_required
def new(request):
    user = request.user
    if not services.may_draft(user):
        reason = _(
            "Only the mediators' leads and verifiers and the parties' liaison officers draft documents."
        )
        return render(request, "403.html", {"reason": reason}, status=403)
    status = 200
    if request.method == "POST":
        form = NewDocumentForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                v = services.create_document(user, kind=d["kind"], title=d["title"], body=d["body"],
                                             agreement=d["agreement"] or None, meeting_id=d["meeting_id"])  # fmt: skip
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Draft of %(code)s saved.") % {"code": v.document.code})
                return redirect("documents:document", ref=v.document.code)
        else:
            status = 422
    else:
        form = NewDocumentForm(initial={"kind": request.GET.get("kind") or DocumentKind.JOINT_STATEMENT})
    return render(request, "documents/new.html", {"form": form}, status=status)


def _page(request, doc, *, forms_by_version=None, status=200):
    user = request.user
    forms_by_version = forms_by_version or {}
    versions = []
    for v in services.visible_history(user, doc):
        draft_form = sign_form = None
        editable = v.state == VersionState.DRAFT and services.may_edit(user, v)
        if editable:
            draft_form = forms_by_version.get((v.number, "draft")) or DraftForm(initial={"title": v.title,
                                                                                         "body": v.body})  # fmt: skip
        if v.state == VersionState.FROZEN:
            sign_form = forms_by_version.get((v.number, "sign")) or SignatureForm()
        versions.append({
            "v": v, "orgs": services.status_by_org(v), "draft_form": draft_form, "sign_form": sign_form,
            "editable": editable, "signed": v.signatures.exists(),
        })  # fmt: skip
    newest = versions[-1]["v"]
    context = {
        "doc": doc,
        "versions": list(reversed(versions)),
        "may_amend": services.may_draft(user) and newest.state in (VersionState.FROZEN, VersionState.AGREED),
    }
    return render(request, "documents/document.html", context, status=status)


@login_required
def document(request, ref: str):
    return _page(request, _document_or_404(request.user, ref))


def _act(request, ref, number, form_key, call, done):
    """Run a POST action on a version; on refusal show the page with the refusal next to its form."""
    doc = _document_or_404(request.user, ref)
    form = None
    if form_key == "draft":
        form = DraftForm(request.POST)
    elif form_key == "sign":
        form = SignatureForm(request.POST)
    if form is not None and not form.is_valid():
        return _page(request, doc, forms_by_version={(number, form_key): form}, status=422)
    try:
        call(doc, form.cleaned_data if form is not None else {})
    except DomainError as exc:
        if form is None:
            messages.error(request, exc.message)
            return _page(request, doc, status=exc.status)
        form.add_domain_error(exc)
        return _page(request, doc, forms_by_version={(number, form_key): form}, status=exc.status)
    messages.success(request, done)
    return redirect("documents:document", ref=doc.code)


@login_required
@require_POST
def edit(request, ref: str, number: int):
    def call(doc, d):
        services.update_draft(request.user, doc.code, title=d["title"], body=d["body"], number=number)

    return _act(request, ref, number, "draft", call, _("Draft saved."))


@login_required
@require_POST
def freeze(request, ref: str, number: int):
    def call(doc, d):
        services.freeze(request.user, doc.code, number)

    return _act(request, ref, number, None, call,
                _("Version %(n)s is frozen: download its text and sign it with `sulh doc sign`.") % {"n": number})  # fmt: skip


@login_required
@require_POST
def sign(request, ref: str, number: int):
    def call(doc, d):
        services.sign(request.user, doc.code, d["signature"], number)

    return _act(request, ref, number, "sign", call, _("Signature verified and stored."))


@login_required
@require_POST
def amend(request, ref: str):
    def call(doc, d):
        services.amend(request.user, doc.code)

    return _act(request, ref, 0, None, call, _("A new draft version amending the newest one was made."))


def _download(data: str, filename: str) -> HttpResponse:
    resp = HttpResponse(data.encode("utf-8"), content_type="text/plain; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@login_required
def text(request, ref: str, number: int):
    try:
        v = services.get_version(request.user, ref, number)
    except NotFound:
        raise Http404(_("No such document.")) from None
    if not v.text:
        raise Http404(_("A draft has no text to sign yet."))
    return _download(v.text, f"{v.document.code}-v{v.number}.txt")


@login_required
def signed(request, ref: str, number: int):
    try:
        v = services.get_version(request.user, ref, number)
        data = services.signed_note(v)
    except NotFound:
        raise Http404(_("No such document.")) from None
    except DomainError as exc:
        raise Http404(exc.message) from None
    return _download(data, f"{v.document.code}-v{v.number}.signed.txt")
