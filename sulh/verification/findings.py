"""Findings, their signatures and dissents, and the penalties the charter calls for (docs/verification.md).

A mediator drafts a finding on a case; submitting it freezes it and fixes the STATEMENT — the RFC 8785
canonical JSON of its content, the case's code and the charter's origin — which each signer signs with their
own Ed25519 key (made and kept on their own machine; the server holds only the public half). When the
charter's number of distinct mediators have signed, the finding is published at server time and never
changes again: a reopened case's finding supersedes it. Dissents may be attached at any time.

On publication of a verified violation Sulh proposes the penalties whose `applies_when` conditions all hold;
the mediators' lead imposes or waives each one."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import Role
from sulh.charter.loader import get_charter
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import records
from sulh.ledger import services as ledger

from .models import (
    Case,
    CaseStage,
    Dissent,
    Finding,
    FindingSignature,
    FindingState,
    MediatorKey,
    Outcome,
    PenaltyDecision,
)
from .visibility import is_mediator, visible_cases, visible_findings

MAX_TEXT = 20_000
# The finding's own content: what is validated, what the statement carries, what a draft may change.
CONTENT_FIELDS = (
    "outcome", "responsible", "confidence", "clause", "date_start", "date_end", "latitude", "longitude", "place",
    "deaths_low", "deaths_best", "deaths_high", "injured_low", "injured_best", "injured_high", "reasoning",
)  # fmt: skip
TEXT_FIELDS = ("responsible", "confidence", "clause", "place")


def _mediator(user, what: str) -> None:
    if not is_mediator(user):
        raise PermissionDenied(f"only the mediators {what}")


def _uuid(ref, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(ref))
    except ValueError:
        raise NotFound(f"no {what} {ref!r}") from None


# --- mediators' keys ------------------------------------------------------------------------------------------


def _public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode((text or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("the public key is not base64", field="public_key") from None
    if len(raw) != 32:
        raise ValidationFailed(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}", field="public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


def register_key(user, public_key_b64: str) -> MediatorKey:
    """Register the mediator's own public key; their previous key, if any, is revoked (one active key each:
    signatures already made with it still verify against it)."""
    _mediator(user, "register signing keys")
    key = _public_key(public_key_b64)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    text = base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    with transaction.atomic():
        if MediatorKey.objects.filter(public_key=text).exists():
            raise Conflict("this public key is already registered; make a new one", field="public_key")
        now = timezone.now()
        for old in MediatorKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            ledger.record(old, "mediator_key.revoked", actor=user)
        mk = MediatorKey.objects.create(user=user, public_key=text, registered_at=now)
        ledger.record(mk, "mediator_key.registered", actor=user)
    return mk


def active_key(user) -> MediatorKey | None:
    return MediatorKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-registered_at").first()


def mediator_keys() -> QuerySet[MediatorKey]:
    """Everyone may see every key: they are what the signatures are checked with."""
    return MediatorKey.objects.select_related("user").order_by("-registered_at")


# --- drafting -------------------------------------------------------------------------------------------------


def get_case(user, ref) -> Case:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    case = visible_cases(user).filter(flt).first()
    if case is None:
        raise NotFound(f"no case {text!r}")
    return case


def get_finding(user, ref, *, for_update: bool = False) -> Finding:
    pk = _uuid(ref, "finding")
    if not visible_findings(user).filter(pk=pk).exists():
        raise NotFound(f"no finding {ref!r}")
    qs = Finding.objects.select_for_update() if for_update else Finding.objects
    return qs.select_related("case").get(pk=pk)


def _clean(values: dict) -> dict:
    """Check a finding's whole content (after a draft's changes are applied); returns it normalised."""
    charter = get_charter()
    out = dict(values)
    for name in TEXT_FIELDS:
        out[name] = (out.get(name) or "").strip()
    if out.get("outcome") not in Outcome.values:
        raise ValidationFailed(f"outcome must be one of {', '.join(Outcome.values)}", field="outcome")
    verified = out["outcome"] == Outcome.VERIFIED
    if out["responsible"]:
        if not verified:
            raise ValidationFailed("only a verified violation names a responsible party", field="responsible")
        try:
            charter.party(out["responsible"])
        except KeyError:
            known = ", ".join(p.code for p in charter.parties)
            raise ValidationFailed(f"no party {out['responsible']!r} (known: {known})", field="responsible") from None
    elif verified:
        raise ValidationFailed("a verified violation names the party responsible", field="responsible")
    if out["confidence"]:
        levels = [c.code for c in charter.verification.confidence_levels] if charter.verification else []
        if out["confidence"] not in levels:
            raise ValidationFailed(f"confidence must be one of {', '.join(levels)}", field="confidence")
    elif verified:
        raise ValidationFailed("a verified violation gives a confidence level", field="confidence")
    if out["clause"]:
        try:
            charter.clause(out["clause"])
        except KeyError as exc:
            raise ValidationFailed(str(exc).strip("'\""), field="clause") from None
    elif verified:
        raise ValidationFailed("a verified violation names the clause violated", field="clause")
    start, end = out.get("date_start"), out.get("date_end")
    for name, when in (("date_start", start), ("date_end", end)):
        if when is not None and (not isinstance(when, dt.datetime) or when.tzinfo is None):
            raise ValidationFailed("give a date and time with its time zone", field=name)
    if start and end and end < start:
        raise ValidationFailed("the end is before the start", field="date_end")
    lat, lon = out.get("latitude"), out.get("longitude")
    if (lat is None) != (lon is None):
        raise ValidationFailed("give both latitude and longitude, or neither", field="latitude" if lat is None else "longitude")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed("the point is off the globe", field="latitude")
    for what in ("deaths", "injured"):
        given = [(f"{what}_{k}", out.get(f"{what}_{k}")) for k in ("low", "best", "high")]
        for name, n in given:
            if n is not None and (not isinstance(n, int) or n < 0):
                raise ValidationFailed("a count is a whole number, 0 or more", field=name)
        present = [(name, n) for name, n in given if n is not None]
        for (_, a), (name, b) in zip(present, present[1:], strict=False):
            if b < a:
                raise ValidationFailed(f"{what}: low <= best <= high", field=name)
    reasoning = (out.get("reasoning") or "").strip()
    if not reasoning:
        raise ValidationFailed("the finding gives its reasoning", field="reasoning")
    if len(reasoning) > MAX_TEXT:
        raise ValidationFailed(f"the reasoning is {len(reasoning)} characters long; at most {MAX_TEXT}", field="reasoning")
    out["reasoning"] = reasoning
    return out


def _unknown(fields: dict) -> None:
    extra = sorted(set(fields) - set(CONTENT_FIELDS))
    if extra:
        raise ValidationFailed(f"unknown field {extra[0]!r}", field=extra[0])


def draft_finding(user, case_ref, **fields) -> Finding:
    """Draft the case's finding. A case has one finding at a time: a closed case is reopened as a new case,
    whose finding supersedes the old one (set here, so that the signers sign it too)."""
    _mediator(user, "draft findings")
    _unknown(fields)
    content = _clean({name: fields.get(name) for name in CONTENT_FIELDS})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=get_case(user, case_ref).pk)
        if case.stage == CaseStage.CLOSED:
            raise Conflict(f"case {case.code} is closed; reopen it as a new case to revise its finding")
        if case.findings.exists():
            raise Conflict(f"case {case.code} already has a finding; change its draft instead")
        supersedes = None
        if case.reopens_id is not None:
            supersedes = Finding.objects.filter(case_id=case.reopens_id, state=FindingState.PUBLISHED).first()
            if supersedes is not None and Finding.objects.filter(supersedes=supersedes).exists():
                raise Conflict(f"the finding on {case.reopens.code} is already being superseded by another case")
        finding = Finding.objects.create(case=case, drafted_by=user, supersedes=supersedes, **content)
        ledger.record(finding, "finding.drafted", actor=user)
    return finding


def update_draft(user, finding_id, **fields) -> Finding:
    """Change a draft (the fields given; the rest stay). A finding submitted for signing is frozen."""
    _unknown(fields)
    with transaction.atomic():
        finding = get_finding(user, finding_id, for_update=True)
        _mediator(user, "draft findings")
        if finding.state != FindingState.DRAFT:
            raise Conflict(f"the finding is {finding.get_state_display().lower()}: it cannot be changed")
        content = _clean({name: fields.get(name, getattr(finding, name)) for name in CONTENT_FIELDS})
        for name, value in content.items():
            setattr(finding, name, value)
        finding.drafted_by, finding.drafted_at = user, timezone.now()
        finding.save()
        ledger.record(finding, "finding.drafted", actor=user)
    return finding


# --- the statement and signing --------------------------------------------------------------------------------


def statement(finding: Finding) -> bytes:
    """Exactly what the signers sign: RFC 8785 canonical JSON of the finding's content, with its id, case,
    the finding it supersedes and the charter it is made under (a signature cannot be moved to another)."""
    content = {name: records._plain(getattr(finding, name)) for name in CONTENT_FIELDS}
    content.update(
        id=str(finding.pk), case=finding.case.code, charter_origin=get_charter().origin,
        supersedes=str(finding.supersedes_id) if finding.supersedes_id else None,
    )  # fmt: skip
    return records.canonical(content)


def frozen_statement(finding: Finding) -> bytes:
    """The statement of a submitted finding, checked against the hash fixed at submission."""
    if finding.state == FindingState.DRAFT:
        raise Conflict("the finding is a draft: submit it for signing first")
    body = statement(finding)
    if hashlib.sha256(body).hexdigest() != finding.statement_sha256:
        raise Conflict("the finding's statement no longer matches the hash fixed when it was submitted")
    return body


def submit_for_signing(user, finding_id) -> Finding:
    with transaction.atomic():
        finding = get_finding(user, finding_id, for_update=True)
        _mediator(user, "submit findings")
        if finding.state != FindingState.DRAFT:
            raise Conflict(f"the finding is already {finding.get_state_display().lower()}")
        finding.statement_sha256 = hashlib.sha256(statement(finding)).hexdigest()
        finding.state = FindingState.SIGNING
        finding.save(update_fields=["statement_sha256", "state"])
        ledger.record(finding, "finding.submitted", actor=user)
        case = Case.objects.select_for_update().get(pk=finding.case_id)
        case.stage = CaseStage.FINDING
        case.save(update_fields=["stage"])
        ledger.record(case, "case.finding_submitted", actor=user)
    return finding


def sign(user, finding_id, signature_b64: str) -> FindingSignature:
    """Add the user's signature, checked against their active key. Publishes the finding when the charter's
    number of distinct mediators have signed."""
    try:
        raw = base64.b64decode((signature_b64 or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("the signature is not base64", field="signature") from None
    if len(raw) != 64:
        raise ValidationFailed(f"an Ed25519 signature is 64 bytes, this one is {len(raw)}", field="signature")
    with transaction.atomic():
        finding = get_finding(user, finding_id, for_update=True)
        _mediator(user, "sign findings")
        if finding.state != FindingState.SIGNING:
            raise Conflict(f"the finding is {finding.get_state_display().lower()}: it is not awaiting signatures")
        if finding.signatures.filter(signer=user).exists():
            raise Conflict("you have already signed this finding")
        key = active_key(user)
        if key is None:
            raise Conflict("you have no active signing key: register your public key first", field="signature")
        try:
            _public_key(key.public_key).verify(raw, frozen_statement(finding))
        except InvalidSignature:
            raise ValidationFailed(
                "the signature does not verify against your active key over this finding's statement", field="signature"
            ) from None
        sig = FindingSignature.objects.create(finding=finding, key=key, signer=user, signature=base64.b64encode(raw).decode())
        ledger.record(sig, "finding.signed", actor=user)
        required = get_charter().verification.signatures_required if get_charter().verification else 2
        if finding.signatures.values("signer").distinct().count() >= required:
            _publish(user, finding)
    return sig


def _publish(user, finding: Finding) -> None:
    finding.state, finding.published_at = FindingState.PUBLISHED, timezone.now()
    finding.save(update_fields=["state", "published_at"])
    ledger.record(finding, "finding.published", actor=user)
    case = Case.objects.select_for_update().get(pk=finding.case_id)
    case.stage = CaseStage.CLOSED
    case.save(update_fields=["stage"])
    ledger.record(case, "case.closed", actor=user)
    from .cases import CASE_DUE

    deadlines.cancel(CASE_DUE, str(case.pk))  # the finding is in: the case's deadline no longer runs
    if finding.outcome == Outcome.VERIFIED:
        for decision in propose_penalties(finding):
            ledger.record(decision, "penalty.proposed", actor=user)


def dissent(user, finding_id, text: str) -> Dissent:
    """A mediator's dissent, attached at any time; it changes nothing in the finding itself."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("the dissent is empty", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"the dissent is {len(text)} characters long; at most {MAX_TEXT}", field="text")
    with transaction.atomic():
        finding = get_finding(user, finding_id, for_update=True)
        _mediator(user, "file dissents")
        d = Dissent.objects.create(finding=finding, author=user, text=text)
        ledger.record(d, "dissent.filed", actor=user)
    return d


# --- penalties ------------------------------------------------------------------------------------------------


def severity(finding: Finding) -> int:
    """The finding's severity on the charter's 1–5 scale: the kind of the case's first incident and the
    casualties found (best estimates), not those claimed."""
    from sulh.incidents.models import Incident
    from sulh.incidents.taxonomy import severity_of

    case = finding.case
    first = None
    if case.incident_ids:
        first = Incident.objects.filter(pk=case.incident_ids[0]).first()
    if first is None:
        first = case.incidents.order_by("pk").first()
    return severity_of(first.sub_event_type if first else "", finding.deaths_best or 0, finding.injured_best or 0)


def propose_penalties(finding: Finding) -> list[PenaltyDecision]:
    """The charter's penalties whose conditions ALL hold (a rule with none always applies): severity at least
    `min_severity`; at least `repeat_count` verified published findings against the party within
    `window_days` (this one included). `why` says what applied."""
    level = severity(finding)
    made = []
    for p in get_charter().penalties:
        aw, reasons = p.applies_when, []
        if aw.min_severity is not None:
            if level < aw.min_severity:
                continue
            reasons.append(f"severity {level} (at least {aw.min_severity})")
        if aw.repeat_count is not None:
            past = Finding.objects.filter(
                state=FindingState.PUBLISHED, outcome=Outcome.VERIFIED, responsible=finding.responsible
            )
            if aw.window_days is not None:
                past = past.filter(published_at__gte=finding.published_at - dt.timedelta(days=aw.window_days))
            n = past.count()
            if n < aw.repeat_count:
                continue
            within = f" within {aw.window_days} days" if aw.window_days is not None else ""
            reasons.append(f"{n} verified violations by {finding.responsible}{within} (at least {aw.repeat_count})")
        why = "; ".join(reasons) or "the charter applies it to every verified violation"
        made.append(PenaltyDecision.objects.create(finding=finding, penalty=p.code, party=finding.responsible, why=why))
    return made


def get_penalty(user, ref, *, for_update: bool = False) -> PenaltyDecision:
    pk = _uuid(ref, "penalty decision")
    qs = PenaltyDecision.objects.select_for_update() if for_update else PenaltyDecision.objects
    found = qs.filter(pk=pk, finding__in=visible_findings(user)).first()
    if found is None:
        raise NotFound(f"no penalty decision {ref!r}")
    return found


def decide_penalty(user, decision_id, decision: str, note: str = "") -> PenaltyDecision:
    """The mediators' lead imposes or waives a proposed penalty; a decision once taken stands."""
    if decision not in (PenaltyDecision.Decision.IMPOSED, PenaltyDecision.Decision.WAIVED):
        raise ValidationFailed("decision must be imposed or waived", field="decision")
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationFailed(f"the note is {len(note)} characters long; at most {MAX_TEXT}", field="note")
    with transaction.atomic():
        pd = get_penalty(user, decision_id, for_update=True)
        if not is_mediator(user) or user.role != Role.MEDIATOR_LEAD:
            raise PermissionDenied("only the mediators' lead decides penalties")
        if pd.decision != PenaltyDecision.Decision.PROPOSED:
            raise Conflict(f"the penalty was already {pd.get_decision_display().lower()}")
        pd.decision, pd.decided_by, pd.decided_at, pd.note = decision, user, timezone.now(), note
        pd.save(update_fields=["decision", "decided_by", "decided_at", "note"])
        ledger.record(pd, f"penalty.{decision}", actor=user)
    return pd
