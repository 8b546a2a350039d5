"""Co-signed documents: drafting, freezing, signing, agreement and amendment (docs/documents.md).

Who may do what:
- draft (open a document, amend one) : the mediators' leads and verifiers, the parties' liaison officers;
- edit or freeze a draft              : the same roles, of the organisation that drafted it or a mediator;
- upload a signature                  : a liaison officer, commander, mediator lead or verifier of the
                                        organisation whose charter key made it (the key itself is the
                                        signatory's, kept on their own machine; the server only checks it).
Who sees what:
- a draft version: the mediators, and the organisation that drafted it;
- a frozen, agreed or superseded version: every party, mediator and joint monitoring team;
- the operator and the public: the agreed versions of joint statements and communiqués (they are public).
A document is visible when one of its versions is; otherwise it answers 404 like one that does not exist."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.core import codes
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.ledger import note
from sulh.ledger import services as ledger

from . import text as doctext
from .models import Document, DocumentKind, DocumentVersion, Signature, VersionState

PUBLIC_KINDS = (DocumentKind.JOINT_STATEMENT, DocumentKind.COMMUNIQUE)
DRAFTING_ROLES = {OrganisationKind.MEDIATOR: (Role.MEDIATOR_LEAD, Role.VERIFIER),
                  OrganisationKind.PARTY: (Role.LIAISON_OFFICER,)}  # fmt: skip
UPLOAD_ROLES = (Role.LIAISON_OFFICER, Role.COMMANDER, Role.MEDIATOR_LEAD, Role.VERIFIER)
MEMBERS = (OrganisationKind.PARTY, OrganisationKind.MEDIATOR, OrganisationKind.MONITORING)


# --- who sees what ----------------------------------------------------------------------------------------------


def _org(user):
    return getattr(user, "organisation", None) if user is not None and user.is_authenticated else None


def version_visibility_q(user) -> Q:
    org = _org(user)
    if org is None:
        return Q(pk__in=[])
    if org.kind == OrganisationKind.MEDIATOR:
        return Q()
    if org.kind in MEMBERS:
        return ~Q(state=VersionState.DRAFT) | Q(drafted_org=org.code)
    return Q(agreed_at__isnull=False, document__kind__in=PUBLIC_KINDS)


def visible_versions(user) -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(version_visibility_q(user))


def visible_documents(user) -> QuerySet[Document]:
    versions = visible_versions(user).filter(document=OuterRef("pk"))
    return Document.objects.filter(Exists(versions))


def get_document(user, ref) -> Document:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text.upper())
    doc = visible_documents(user).filter(flt).select_related("agreement").first()
    if doc is None:
        raise NotFound(f"no document {text!r}")
    return doc


def get_version(user, ref, number: int | None = None, *, for_update: bool = False) -> DocumentVersion:
    """A version by its id, or a document (id or code) and a version number (default: the newest one the user
    may see)."""
    text = str(ref)
    qs = visible_versions(user)
    if number is None:
        try:
            pk = qs.filter(pk=uuid.UUID(text)).values_list("pk", flat=True).first()
        except ValueError:
            pk = None
        if pk is None:
            doc = get_document(user, ref)
            pk = qs.filter(document=doc).order_by("-number").values_list("pk", flat=True).first()
    else:
        doc = get_document(user, ref)
        pk = qs.filter(document=doc, number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(
            f"no version {number} of document {text!r}" if number else f"no document version {text!r}"
        )
    if for_update:  # PostgreSQL locks no nullable side of an outer join: `previous` is read when needed
        return DocumentVersion.objects.select_for_update(of=("self",)).select_related("document").get(pk=pk)
    return DocumentVersion.objects.select_related("document", "previous").get(pk=pk)


def visible_history(user, doc: Document) -> list[DocumentVersion]:
    return list(visible_versions(user).filter(document=doc).select_related("drafted_by", "frozen_by")
                .order_by("number"))  # fmt: skip


# --- permissions -------------------------------------------------------------------------------------------------


def may_draft(user) -> bool:
    org = _org(user)
    return org is not None and user.role in DRAFTING_ROLES.get(org.kind, ())


def may_edit(user, version: DocumentVersion) -> bool:
    org = _org(user)
    return may_draft(user) and (org.kind == OrganisationKind.MEDIATOR or org.code == version.drafted_org)


def _require_draft(user) -> None:
    if not may_draft(user):
        raise PermissionDenied("only the mediators' leads and verifiers and the parties' liaison officers draft "
                               "documents")  # fmt: skip


def _require_edit(user, version: DocumentVersion) -> None:
    if not may_edit(user, version):
        raise PermissionDenied(
            f"only the mediators and the organisation that drafted it ({version.drafted_org}) may change or "
            "freeze this draft"
        )


def may_upload_for(user, org_code: str) -> bool:
    org = _org(user)
    return org is not None and org.code == org_code and user.role in UPLOAD_ROLES


# --- drafting ----------------------------------------------------------------------------------------------------


def _clean(title: str, body: str) -> tuple[str, str]:
    try:
        return doctext.normalise_title(title), doctext.normalise_body(body)
    except doctext.TextError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None


def next_code(when: dt.datetime) -> str:
    return codes.next_code(Document, "DOC", when)


def create_document(user, *, kind: str, title: str, body: str, agreement: str | None = None,
                    meeting_id: str | uuid.UUID | None = None) -> DocumentVersion:  # fmt: skip
    """Open a document with its first version, a draft. Returns the version."""
    _require_draft(user)
    if kind not in DocumentKind.values:
        raise ValidationFailed(f"kind must be one of {', '.join(DocumentKind.values)}", field="kind")
    title, body = _clean(title, body)
    agreement_row = None
    if agreement:
        from sulh.commitments.models import Agreement

        agreement_row = Agreement.objects.filter(code=str(agreement).strip().upper()).first()
        if agreement_row is None:
            raise ValidationFailed(f"no agreement {agreement!r}", field="agreement")
    meeting = None
    if meeting_id:
        try:
            meeting = uuid.UUID(str(meeting_id))
        except ValueError:
            raise ValidationFailed("meeting_id is not a meeting's id (a UUID)", field="meeting_id") from None
    org = _org(user)
    now = timezone.now()
    with transaction.atomic():
        for attempt in range(5):  # two documents opened at once draw the same code: the second tries again
            try:
                with transaction.atomic():
                    doc = Document.objects.create(code=next_code(now), kind=kind, agreement=agreement_row,
                                                  meeting_id=meeting, created_by=user, created_org=org.code,
                                                  created_at=now)  # fmt: skip
                break
            except IntegrityError:
                if attempt == 4:
                    raise
        ledger.record(doc, "document.opened", actor=user)
        v = DocumentVersion.objects.create(document=doc, number=1, title=title, body=body, drafted_by=user,
                                           drafted_org=org.code, drafted_at=now)  # fmt: skip
        ledger.record(v, "document_version.drafted", actor=user)
    return v


def update_draft(user, ref, *, title: str, body: str, number: int | None = None) -> DocumentVersion:
    """Change a draft (every save is logged). A frozen version cannot change: amend it instead."""
    title, body = _clean(title, body)
    with transaction.atomic():
        v = get_version(user, ref, number, for_update=True)
        _require_edit(user, v)
        if v.state != VersionState.DRAFT:
            raise Conflict(f"{v} is {v.state}: only a draft can be changed (amend it to make a new version)")
        if (v.title, v.body) == (title, body):
            return v
        v.title, v.body = title, body
        v.save(update_fields=["title", "body"])
        ledger.record(v, "document_version.edited", actor=user)
    return v


def version_text(v: DocumentVersion, *, origin: str | None = None) -> str:
    """The text the version has, or would have if frozen now."""
    return doctext.build_text(
        origin=origin or get_charter().origin, code=v.document.code, number=v.number,
        previous_sha256=v.previous.sha256 if v.previous_id else None, kind=v.document.kind, title=v.title,
        body=v.body,
    )  # fmt: skip


def freeze(user, ref, number: int | None = None) -> DocumentVersion:
    """Fix a draft's text and hash: from now on it can be signed, never changed. An amendment frozen while
    the version it amends still awaits signatures supersedes that version (it can be signed no more)."""
    with transaction.atomic():
        v = get_version(user, ref, number, for_update=True)
        _require_edit(user, v)
        if v.state != VersionState.DRAFT:
            raise Conflict(f"{v} is {v.state} already")
        try:
            v.text = version_text(v)
        except (doctext.TextError, note.NoteError) as exc:
            raise ValidationFailed(str(exc), field=getattr(exc, "field", "body")) from None
        v.sha256 = doctext.sha256(v.text)
        v.frozen_by, v.frozen_at, v.state = user, timezone.now(), VersionState.FROZEN
        v.save(update_fields=["text", "sha256", "frozen_by", "frozen_at", "state"])
        ledger.record(v, "document_version.frozen", actor=user)
        if v.previous_id:
            prev = DocumentVersion.objects.select_for_update().get(pk=v.previous_id)
            if prev.state == VersionState.FROZEN:
                _supersede(prev, user)
    return v


def _supersede(v: DocumentVersion, user) -> None:
    v.state = VersionState.SUPERSEDED
    v.save(update_fields=["state"])
    ledger.record(v, "document_version.superseded", actor=user)


def amend(user, ref, *, title: str | None = None, body: str | None = None) -> DocumentVersion:
    """A new draft version of the document that references its newest version (frozen or agreed), which stays
    as it was. Title and body default to the newest version's."""
    _require_draft(user)
    with transaction.atomic():
        doc = get_document(user, ref)
        latest = DocumentVersion.objects.select_for_update().filter(document=doc).order_by("-number").first()
        if latest.state == VersionState.DRAFT:
            raise Conflict(f"{latest} is still a draft: change it instead of amending", field="version")
        if latest.state == VersionState.SUPERSEDED:  # cannot happen: the newest is never superseded
            raise Conflict(f"{latest} is superseded", field="version")
        if not visible_versions(user).filter(pk=latest.pk).exists():
            raise NotFound(f"no document {str(ref)!r}")
        new_title, new_body = _clean(
            latest.title if title is None else title, latest.body if body is None else body
        )
        org = _org(user)
        v = DocumentVersion.objects.create(document=doc, number=latest.number + 1, previous=latest, title=new_title,
                                           body=new_body, drafted_by=user, drafted_org=org.code)  # fmt: skip
        ledger.record(v, "document_version.drafted", actor=user)
    return v


# --- signing -----------------------------------------------------------------------------------------------------


def required_orgs(charter=None) -> list[str]:
    return doctext.charter_keys(charter or get_charter())[0]


def sign(user, ref, line: str, number: int | None = None) -> Signature:
    """Store a signature line made offline (`sulh doc sign`) on a frozen version. It must be a signed-note
    signature by a signatory key the charter names, over this version's exact text, for an organisation that
    has not signed it yet, uploaded by someone of that organisation. When every required organisation has
    signed, the version is agreed (and the obligations verified by this document's agreement are met)."""
    raw = (line or "").strip()
    if not raw:
        raise ValidationFailed("the signature line is empty", field="signature")
    if "\n" in raw:
        raise ValidationFailed(
            "give one signature line ('— name base64'), not several lines", field="signature"
        )
    try:
        sig = note.parse_signature_line(raw)
    except note.NoteError as exc:
        raise ValidationFailed(f"not a signature line: {exc}", field="signature") from None
    charter = get_charter()
    required, keys = doctext.charter_keys(charter)
    key = doctext.find_key(keys, sig)
    if key is None:
        raise ValidationFailed(
            f"the key {sig.name}+{sig.key_id:08x} is not a signatory key in the charter: only the keys the charter "
            "names under commitments.documents.signatories can sign documents", field="signature",
        )  # fmt: skip
    with transaction.atomic():
        v = get_version(user, ref, number, for_update=True)
        if not may_upload_for(user, key.org):
            raise PermissionDenied(f"this signature is by {key.org}'s signatory: only {key.org}'s liaison officers, "
                                   "commanders, mediator leads or verifiers may upload it")  # fmt: skip
        if v.state == VersionState.DRAFT:
            raise Conflict(f"{v} is a draft: it can be signed once frozen")
        if v.state != VersionState.FROZEN:
            raise Conflict(f"{v} is {v.state}: it takes no more signatures")
        if key.org not in required:
            raise ValidationFailed(f"{key.org} is not among the organisations the charter requires to sign "
                                   f"({', '.join(required)})", field="signature")  # fmt: skip
        if not key.verifier.verify(v.text, sig.signature):
            other = (
                DocumentVersion.objects.filter(document=v.document).exclude(pk=v.pk).exclude(text="")
                .order_by("number")
            )  # fmt: skip
            for o in other:
                if key.verifier.verify(o.text, sig.signature):
                    raise ValidationFailed(
                        f"this signature is over version {o.number} (SHA-256 {o.sha256}), not over version "
                        f"{v.number} (SHA-256 {v.sha256})", field="signature",
                    )  # fmt: skip
            raise ValidationFailed(
                f"the signature by {sig.name}+{sig.key_id:08x} does not verify over the text of {v} "
                f"(SHA-256 {v.sha256}): it was made over other text, or altered", field="signature",
            )  # fmt: skip
        if v.signatures.filter(org=key.org).exists():
            raise Conflict(f"{key.org} has signed {v} already", field="signature")
        s = Signature.objects.create(version=v, org=key.org, office=key.office, key_name=sig.name,
                                     verifier_key=key.verifier.verifier_key(), line=sig.line(), signed_by=user)  # fmt: skip
        ledger.record(s, "document.signed", actor=user)
        signed = set(v.signatures.values_list("org", flat=True))
        if set(required) <= signed:
            _agree(v, user, s.at)
    return s


def _agree(v: DocumentVersion, user, at: dt.datetime) -> None:
    from sulh.commitments import services as commitments

    v.state, v.agreed_at = VersionState.AGREED, at
    v.save(update_fields=["state", "agreed_at"])
    ledger.record(v, "document_version.agreed", actor=user)
    if v.previous_id:
        prev = DocumentVersion.objects.select_for_update().get(pk=v.previous_id)
        if prev.state in (VersionState.AGREED, VersionState.FROZEN):
            _supersede(prev, user)
    commitments.observe(
        "document_agreed", str(v.document_id), source_record=f"document_version:{v.pk}",
        reason=f"{v.document.code} version {v.number} (SHA-256 {v.sha256}) carries every required signature",
        at=at,
    )  # fmt: skip


def signed_note(v: DocumentVersion) -> str:
    """The co-signed document: the text, a blank line, every signature line (in the order signed). Raises
    Conflict for a version with no signature (a signed note needs at least one)."""
    if not v.text:
        raise Conflict(f"{v} is a draft: it has no text to sign yet")
    lines = list(v.signatures.order_by("at").values_list("line", flat=True))
    if not lines:
        raise Conflict(f"{v} has no signature yet: download its text to sign instead")
    return v.text + "\n" + "".join(lines)


def status_by_org(v: DocumentVersion, charter=None) -> list[dict]:
    """Each required organisation: its signatory office, whether its key is in the charter, its signature."""
    charter = charter or get_charter()
    required, keys = doctext.charter_keys(charter)
    offices = doctext.offices(charter)
    sigs = {s.org: s for s in v.signatures.select_related("signed_by")}
    return [{"org": org, "office": offices.get(org, ""), "has_key": any(k.org == org for k in keys),
             "signature": sigs.get(org)} for org in required]  # fmt: skip
