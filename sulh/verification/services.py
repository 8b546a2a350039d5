"""Complaints and the accused party's right of reply (docs/verification.md).

A party lodges a complaint about incidents it can see, against the other party, naming the charter clause.
The accused party is told at once on the hotline (from the complainant's national desk to its own, the
national channel) and has `deadlines.accused_reply` to reply; the deadline is a stored one, and when it
passes with no submitted reply the complaint is marked silent — never accepted."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from .models import Complaint, ComplaintState, Reply, ReplyPosition

REPLY_DUE = "verification.reply_due"
MAX_TEXT = 20_000
SPEAKS_FOR_PARTY = (Role.LIAISON_OFFICER, Role.COMMANDER)

# --- who sees what ----------------------------------------------------------------------------------------


def _org(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def visible_complaints(user) -> QuerySet[Complaint]:
    """Both parties to a complaint and the mediators see it; monitors, the operator and the public do not."""
    org = _org(user)
    if org is None:
        return Complaint.objects.none()
    if org.kind == OrganisationKind.MEDIATOR:
        return Complaint.objects.all()
    if org.kind == OrganisationKind.PARTY:
        return Complaint.objects.filter(Q(complainant=org.code) | Q(accused=org.code))
    return Complaint.objects.none()


def can_read_reply(user, reply: Reply) -> bool:
    """A draft is the accused party's alone; a submitted reply is seen by whoever sees the complaint."""
    org = _org(user)
    if org is None or not visible_complaints(user).filter(pk=reply.complaint_id).exists():
        return False
    return not reply.is_draft or org.code == reply.party


def reply_for(user, complaint: Complaint) -> Reply | None:
    reply = Reply.objects.filter(complaint=complaint).first()
    return reply if reply is not None and can_read_reply(user, reply) else None


def get_complaint(user, ref, *, for_update: bool = False) -> Complaint:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    found = visible_complaints(user).filter(flt).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(f"no complaint {text!r}")
    qs = Complaint.objects.select_for_update() if for_update else Complaint.objects
    return qs.get(pk=found)


# --- lodging --------------------------------------------------------------------------------------------------


def _text(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{what} is empty", field=field)
    if len(value) > MAX_TEXT:
        raise ValidationFailed(f"{what} is {len(value)} characters long; at most {MAX_TEXT}", field=field)
    return value


def _evidence_ids(user, ids: list[str], field: str) -> list[str]:
    from sulh.evidence.services import visible_evidence

    out = []
    for raw in ids or []:
        try:
            pk = uuid.UUID(str(raw))
        except ValueError:
            raise ValidationFailed(f"{raw!r} is not an evidence id", field=field) from None
        if not visible_evidence(user).filter(pk=pk).exists():
            raise NotFound(f"no evidence {raw} that you may see", field=field)
        out.append(str(pk))
    return sorted(set(out))


def next_complaint_code(when: dt.datetime) -> str:
    from sulh.incidents.models import IncidentCodeCounter

    counter, _ = IncidentCodeCounter.objects.select_for_update().get_or_create(prefix="CMP", year=when.year, month=when.month)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"CMP-{when.year:04d}-{when.month:02d}-{counter.last:04d}"


def lodge(user, *, incidents: list[str], clause: str, account: str, evidence: list[str] | None = None) -> Complaint:
    """Lodge a complaint for the user's party against the other party. Tells the accused party at once."""
    org = _org(user)
    if org is None or org.kind != OrganisationKind.PARTY or user.role not in SPEAKS_FOR_PARTY:
        raise PermissionDenied("only a party's liaison officers and commanders lodge complaints")
    charter = get_charter()
    accused = charter.other_party(org.code).code
    try:
        charter.clause(clause)
    except KeyError:
        known = ", ".join(code for code, _ in charter.clauses())
        raise ValidationFailed(f"no clause {clause!r} in the charter (known: {known})", field="clause") from None
    if not incidents:
        raise ValidationFailed("name at least one incident", field="incidents")
    from sulh.incidents.services import get_incident

    found = []
    for ref in incidents:
        try:
            found.append(get_incident(user, ref))
        except NotFound:
            raise NotFound(f"no incident {ref!r} that you may see", field="incidents") from None
    account = _text(account, "account", "the account of what happened")
    evidence_ids = _evidence_ids(user, evidence or [], "evidence")
    with transaction.atomic():
        now = timezone.now()
        complaint = Complaint.objects.create(
            code=next_complaint_code(now), complainant=org.code, accused=accused, clause=clause, account=account,
            incident_ids=sorted(str(i.pk) for i in found), evidence_ids=evidence_ids, lodged_by=user, lodged_at=now,
            reply_due_at=now + charter.deadline("accused_reply"),
        )  # fmt: skip
        complaint.incidents.set(found)
        complaint.notification = _notify_accused(user, complaint, found)
        complaint.save(update_fields=["notification"])
        ledger.record(complaint, "complaint.lodged", actor=user)
        deadlines.schedule(REPLY_DUE, str(complaint.pk), complaint.reply_due_at)
    return complaint


def _notify_accused(user, complaint: Complaint, incidents) -> object | None:
    """The hotline message that tells the accused party: on the national channel, from the complainant's
    national desk, sent by the mechanism on the lodging officer's behalf (who need not staff that desk)."""
    from sulh.hotline import services as hotline
    from sulh.hotline.models import Channel

    channel = (
        Channel.objects.filter(escalates_to__isnull=True, end_a__is_mediators_cell=False, end_b__is_mediators_cell=False)
        .select_related("end_a__organisation", "end_b__organisation")
        .order_by("-end_a__level_rank")
        .first()
    )  # fmt: skip
    if channel is None:
        return None  # a charter without a hotline: the complaint stands, the parties are told otherwise
    from_post = channel.end_a if channel.end_a.organisation.code == complaint.complainant else channel.end_b
    codes = ", ".join(i.code for i in incidents)
    body = (
        f"Complaint {complaint.code} lodged by {complaint.complainant} against {complaint.accused} under clause "
        f"{complaint.clause}, about {codes}. Your reply is due by "
        f"{complaint.reply_due_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC."
    )
    return hotline.send_on_behalf(user, channel, from_post, message_type="clarification_request", priority="routine",
                                  body=body, incident=incidents[0].code if len(incidents) == 1 else None)  # fmt: skip


# --- the reply ------------------------------------------------------------------------------------------------


def _accused_officer(user, complaint: Complaint) -> None:
    org = _org(user)
    if org is None or org.code != complaint.accused or user.role not in SPEAKS_FOR_PARTY:
        raise PermissionDenied("only the accused party's liaison officers and commanders write its reply")


def save_draft(user, ref, *, position: str, account: str, evidence: list[str] | None = None) -> Reply:
    """Write (or rewrite) the accused party's draft reply. Seen by that party only; every version is logged."""
    if position not in ReplyPosition.values:
        raise ValidationFailed(f"position must be one of {', '.join(ReplyPosition.values)}", field="position")
    account = _text(account, "account", "the reply's account")
    with transaction.atomic():
        complaint = get_complaint(user, ref, for_update=True)
        _accused_officer(user, complaint)
        evidence_ids = _evidence_ids(user, evidence or [], "evidence")
        reply = Reply.objects.select_for_update().filter(complaint=complaint).first()
        if reply is not None and not reply.is_draft:
            raise Conflict(f"the reply to {complaint.code} was submitted at {reply.submitted_at:%Y-%m-%d %H:%M}Z and is frozen")
        if reply is None:
            reply = Reply(complaint=complaint, party=complaint.accused)
        reply.position, reply.account, reply.evidence_ids = position, account, evidence_ids
        reply.drafted_by, reply.updated_at = user, timezone.now()
        reply.save()
        ledger.record(reply, "reply.drafted", actor=user)
    return reply


def submit(user, ref) -> Reply:
    """Submit the draft: frozen from now on, stamped with the server's time (a reply cannot be back-dated).
    A reply after the deadline is accepted and marked late; the silence before it stays on the record."""
    with transaction.atomic():
        complaint = get_complaint(user, ref, for_update=True)
        _accused_officer(user, complaint)
        reply = Reply.objects.select_for_update().filter(complaint=complaint).first()
        if reply is None:
            raise ValidationFailed("there is no draft reply to submit: write one first", field="reply")
        if not reply.is_draft:
            raise Conflict(f"the reply to {complaint.code} is already submitted")
        now = timezone.now()
        reply.submitted_by, reply.submitted_at, reply.late = user, now, now > complaint.reply_due_at
        reply.save(update_fields=["submitted_by", "submitted_at", "late"])
        ledger.record(reply, "reply.submitted", actor=user)
        complaint.state = ComplaintState.REPLIED
        complaint.save(update_fields=["state"])
        deadlines.cancel(REPLY_DUE, str(complaint.pk))
    return reply


@deadlines.handler(REPLY_DUE)
def reply_overdue(deadline, now: dt.datetime) -> None:
    """The reply deadline passed: with no submitted reply, the complaint is recorded as met with silence."""
    complaint = Complaint.objects.select_for_update().filter(pk=deadline.subject).first()
    if complaint is None or complaint.state != ComplaintState.AWAITING_REPLY:
        return
    complaint.state, complaint.silent_at = ComplaintState.SILENT, deadline.due_at
    complaint.save(update_fields=["state", "silent_at"])
    ledger.record(complaint, "complaint.silent")
