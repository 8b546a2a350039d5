"""Intelligence exchange: storing sealed threat reports, acknowledging and answering them, the deadlines, each
exchange's timeline and each party's record (docs/intel.md).

The server never encrypts or decrypts: the desks do (`sulh intel`, sulh/intel/crypto.py). What the server does
is refuse any envelope that is not exactly what the charter allows — sealed for the receiving party and every
mediator with a key in the charter, signed by the sending party's key in the charter — so that neither a
party's desk by mistake nor an operator on purpose can get a report stored that a mediator cannot read, or
one that claims a sender who did not sign it. It stores the envelope as sent and logs its SHA-256 only."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sulh.accounts.models import OrganisationKind, Role
from sulh.charter.loader import get_charter
from sulh.core import codes
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger import services as ledger

from . import crypto
from .models import Acknowledgement, Answer, AnswerCategory, Miss, Report, ReportState

ACK_DUE = "intel.ack_due"
ANSWER_DUE = "intel.answer_due"
# Who at a party handles intelligence: its liaison officers, commanders and analysts send, acknowledge, answer.
DESK_ROLES = (Role.LIAISON_OFFICER, Role.COMMANDER, Role.ANALYST)


# --- the charter's keys ----------------------------------------------------------------------------------


def _intel():
    i = get_charter().intel
    if i is None:
        raise ValidationFailed("the charter has no intel section: intelligence exchange is not configured")
    return i


def charter_keys() -> dict[str, crypto.OrgKey]:
    """Each organisation's public intel keys, from the charter and nowhere else."""
    i = get_charter().intel
    if i is None:
        return {}
    return {k.org: crypto.OrgKey(k.org, k.encryption, k.signing) for k in i.keys}


def keys_out() -> dict:
    c = get_charter()
    keys = charter_keys()
    return {
        "charter": c.id,
        "suite": crypto.SUITE_NAME,
        "envelope_version": crypto.VERSION,
        "parties": [p.code for p in c.parties],
        "mediators": [m.code for m in c.mediators],
        "classifications": [x.code for x in c.intel.classifications] if c.intel else [],
        "keys": [{"org": k.org, "encryption": k.encryption, "signing": k.signing} for k in keys.values()],
    }


def mediators_with_keys() -> set[str]:
    keys = charter_keys()
    return {m.code for m in get_charter().mediators if m.code in keys}


def recipients_for(receiver: str) -> set[str]:
    """Whom a report (or an answer) to `receiver` must be sealed for: the receiver and every mediator with a
    key. A mediator without a key in the charter cannot be sealed for, and is not waited for."""
    return {receiver} | mediators_with_keys()


# --- who sees what ---------------------------------------------------------------------------------------


def _org(user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def is_mediator(user) -> bool:
    org = _org(user)
    return org is not None and org.kind == OrganisationKind.MEDIATOR


def party_of(user) -> str | None:
    org = _org(user)
    return org.code if org is not None and org.kind == OrganisationKind.PARTY else None


def can_use(user) -> bool:
    """The intel pages and endpoints: the parties and the mediators (monitors, the operator, the public: no)."""
    return is_mediator(user) or party_of(user) is not None


def visible_reports(user) -> QuerySet[Report]:
    """Mediators: every exchange. A party: those it sent or received. Anyone else: none."""
    if is_mediator(user):
        return Report.objects.all()
    party = party_of(user)
    if party is None:
        return Report.objects.none()
    return Report.objects.filter(Q(sender=party) | Q(receiver=party))


def get_report(user, ref) -> Report:
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    r = visible_reports(user).filter(flt).select_related("sent_by").first()
    if r is None:
        raise NotFound(f"no intelligence report {text!r}")
    return r


def _desk(user) -> str:
    party = party_of(user)
    if party is None or user.role not in DESK_ROLES:
        raise PermissionDenied(
            _("only a party's liaison officers, commanders and analysts handle intelligence reports")
        )
    return party


# --- sending ---------------------------------------------------------------------------------------------


def _envelope(value) -> dict:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationFailed("the envelope is not JSON", field="envelope") from None
    return value


def _check(env: dict, *, kind: str, sender: str, receiver: str, classification: str | None = None) -> dict:
    """The envelope is well formed, of `kind`, from `sender` to `receiver`, sealed for exactly the receiver and
    the mediators with keys, and signed by the sender's key in the charter. ValidationFailed (422) if not."""
    keys = charter_keys()
    try:
        crypto.check_structure(env)
        if env["kind"] != kind:
            raise crypto.EnvelopeError(f"this is a {env['kind']} envelope, a {kind} is expected", "kind")
        if env["sender"] != sender:
            raise crypto.EnvelopeError(
                f"the envelope names {env['sender']} as sender; you send for {sender}", "sender"
            )
        if env["receiver"] != receiver:
            raise crypto.EnvelopeError(f"the envelope must be addressed to {receiver}", "receiver")
        if classification is not None and env["classification"] != classification:
            raise crypto.EnvelopeError(
                f"the classification must be the report's ({classification})", "classification"
            )
        if receiver not in keys:
            raise crypto.EnvelopeError(
                f"{receiver} has no intel key in the charter: it cannot be sent to", "receiver"
            )
        crypto.check(env, keys, expected_recipients=recipients_for(receiver))
    except crypto.EnvelopeError as exc:
        raise ValidationFailed(str(exc), field=exc.field or "envelope") from None
    return env


def next_code(when: dt.datetime) -> str:
    return codes.next_code(Report, "INTEL", when)


def send(user, envelope, *, at: dt.datetime | None = None) -> Report:
    """Store a sealed report from the user's party to the other party; schedule its deadlines. `at` (server
    time if not given) is for back-filling the demonstration only: the API never passes it."""
    sender = _desk(user)
    intel = _intel()
    env = _envelope(envelope)
    parties = [p.code for p in get_charter().parties]
    if not isinstance(env, dict):
        raise ValidationFailed("the envelope is not a JSON object", field="envelope")
    if env.get("sender") != sender:
        raise ValidationFailed(
            f"the envelope names {env.get('sender')!r} as sender; you send for {sender}", field="sender"
        )
    receiver = env.get("receiver")
    if receiver not in parties or receiver == sender:
        others = ", ".join(p for p in parties if p != sender)
        raise ValidationFailed(f"a report goes to the other party ({others})", field="receiver")
    _check(env, kind="report", sender=sender, receiver=receiver)
    if env["classification"] not in {c.code for c in intel.classifications}:
        raise ValidationFailed(
            f"{env['classification']!r} is not a classification of the charter", field="classification"
        )
    charter = get_charter()
    stored = crypto.envelope_bytes(env).decode("utf-8")
    for _attempt in range(5):
        now = at or timezone.now()
        ack_due = now + charter.deadline("intel_ack")
        try:
            with transaction.atomic():
                if Report.objects.filter(pk=env["id"]).exists():
                    raise Conflict(f"a report with id {env['id']} exists already", field="id")
                r = Report.objects.create(
                    id=uuid.UUID(env["id"]), code=next_code(now), sender=sender, receiver=receiver,
                    classification=env["classification"], sent_by=user, sent_at=now, ack_due_at=ack_due,
                    envelope=stored, envelope_sha256=crypto.envelope_sha256(env), size=len(stored.encode()),
                    answer_due_at=ack_due + charter.deadline("intel_answer"),
                )  # fmt: skip
                ledger.record(r, "intel_report.sent", actor=user)
                deadlines.schedule(ACK_DUE, str(r.pk), r.ack_due_at)
                deadlines.schedule(ANSWER_DUE, str(r.pk), r.answer_due_at, step=0)
                return r
        except IntegrityError:
            if Report.objects.filter(pk=env["id"]).exists():
                raise Conflict(f"a report with id {env['id']} exists already", field="id") from None
            continue  # another report took the code: number again
    raise Conflict("could not number the report; try again")


# --- acknowledging and answering -------------------------------------------------------------------------


def _lock_received(user, ref) -> tuple[Report, str]:
    party = _desk(user)
    r = get_report(user, ref)
    if r.receiver != party:
        raise PermissionDenied(_("only the receiving party acknowledges and answers a report"))
    return Report.objects.select_for_update().get(pk=r.pk), party


def acknowledge(user, ref, *, at: dt.datetime | None = None) -> Acknowledgement:
    """Record that the receiving party has the report. Late if after the deadline (a miss, if one was already
    recorded, stays on the record). The answer is due `intel_answer` after the acknowledgement, or after the
    acknowledgement deadline when the acknowledgement came late: a late acknowledgement buys no time."""
    with transaction.atomic():
        r, party = _lock_received(user, ref)
        if Acknowledgement.objects.filter(report=r).exists():
            raise Conflict(_("the report is acknowledged already"))
        now = at or timezone.now()
        ack = Acknowledgement.objects.create(report=r, by=user, by_org=party, at=now, late=now > r.ack_due_at)
        ledger.record(ack, "intel_ack.recorded", actor=user)
        deadlines.cancel(ACK_DUE, str(r.pk))
        r.state = ReportState.ACKNOWLEDGED
        fields = ["state"]
        if not ack.late and not r.answer_missed:
            r.answer_due_at = now + get_charter().deadline("intel_answer")
            fields.append("answer_due_at")
            deadlines.cancel(ANSWER_DUE, str(r.pk))
            deadlines.schedule(ANSWER_DUE, str(r.pk), r.answer_due_at, step=1)
        r.save(update_fields=fields)
        return ack


def answer(user, ref, envelope, *, at: dt.datetime | None = None) -> Answer:
    """The receiving party's answer: its category in clear, its detail sealed for the sending party and the
    mediators, signed by the receiving party's key. One answer per report; the report must be acknowledged."""
    env = _envelope(envelope)
    with transaction.atomic():
        r, party = _lock_received(user, ref)
        if Answer.objects.filter(report=r).exists():
            raise Conflict(_("the report is answered already"))
        if not Acknowledgement.objects.filter(report=r).exists():
            raise Conflict(_("acknowledge the report before answering it"))
        if isinstance(env, dict) and env.get("id") != str(r.pk):
            raise ValidationFailed(f"the envelope is for report {env.get('id')!r}, not {r.pk}", field="id")
        _check(env, kind="answer", sender=party, receiver=r.sender, classification=r.classification)
        now = at or timezone.now()
        stored = crypto.envelope_bytes(env).decode("utf-8")
        a = Answer.objects.create(
            report=r, category=env["category"], envelope=stored, envelope_sha256=crypto.envelope_sha256(env),
            size=len(stored.encode()), by=user, by_org=party, at=now, late=now > r.answer_due_at,
        )  # fmt: skip
        ledger.record(a, "intel_answer.recorded", actor=user)
        deadlines.cancel(ANSWER_DUE, str(r.pk))
        r.state = ReportState.ANSWERED
        r.save(update_fields=["state"])
        return a


# --- deadlines -------------------------------------------------------------------------------------------


def _miss(deadline, now: dt.datetime, what: str) -> None:
    r = Report.objects.select_for_update().filter(pk=deadline.subject).first()
    if r is None:
        return
    if what == Miss.What.ACK:
        if r.ack_missed or Acknowledgement.objects.filter(report=r).exists():
            return
        due = r.ack_due_at
    else:
        if r.answer_missed or Answer.objects.filter(report=r).exists() or r.answer_due_at > now:
            return
        due = r.answer_due_at
    m = Miss.objects.create(report=r, what=what, party=r.receiver, due_at=due, recorded_at=now)
    ledger.record(m, f"intel_{what}.missed")
    setattr(r, f"{what}_missed", True)
    r.save(update_fields=[f"{what}_missed"])


@deadlines.handler(ACK_DUE)
def ack_overdue(deadline, now: dt.datetime) -> None:
    """No acknowledgement by the deadline: recorded as missed (a compliance fact, not an error)."""
    _miss(deadline, now, Miss.What.ACK)


@deadlines.handler(ANSWER_DUE)
def answer_overdue(deadline, now: dt.datetime) -> None:
    _miss(deadline, now, Miss.What.ANSWER)


# --- reading ---------------------------------------------------------------------------------------------


def timeline(report: Report) -> list[dict]:
    """What happened to one exchange, in order: metadata only (the server holds nothing else it can read)."""
    items = [{"at": report.sent_at, "event": "sent", "org": report.sender, "late": False,
              "detail": report.classification}]  # fmt: skip
    ack = Acknowledgement.objects.filter(report=report).first()
    if ack is not None:
        items.append(
            {"at": ack.at, "event": "acknowledged", "org": ack.by_org, "late": ack.late, "detail": ""}
        )
    ans = Answer.objects.filter(report=report).first()
    if ans is not None:
        items.append(
            {"at": ans.at, "event": "answered", "org": ans.by_org, "late": ans.late, "detail": ans.category}
        )
    for m in Miss.objects.filter(report=report):
        items.append(
            {"at": m.due_at, "event": f"{m.what}_missed", "org": m.party, "late": True, "detail": ""}
        )
    order = {"sent": 0, "ack_missed": 1, "acknowledged": 2, "answer_missed": 3, "answered": 4}
    return sorted(items, key=lambda e: (e["at"], order[e["event"]]))


def report_out(report: Report, *, with_envelope: bool = True) -> dict:
    ack = Acknowledgement.objects.filter(report=report).first()
    ans = Answer.objects.filter(report=report).first()
    out = {
        "id": str(report.pk), "code": report.code, "sender": report.sender, "receiver": report.receiver,
        "classification": report.classification, "sent_by": report.sent_by.get_username(),
        "sent_at": report.sent_at, "ack_due_at": report.ack_due_at, "answer_due_at": report.answer_due_at,
        "state": report.state, "ack_missed": report.ack_missed, "answer_missed": report.answer_missed,
        "envelope_sha256": report.envelope_sha256, "size": report.size,
        "acknowledged_at": ack.at if ack else None, "ack_late": ack.late if ack else None,
        "answer": None if ans is None else {
            "category": ans.category, "at": ans.at, "late": ans.late, "by": ans.by_org,
            "envelope_sha256": ans.envelope_sha256, "size": ans.size,
            "envelope": json.loads(ans.envelope) if with_envelope else None,
        },
        "timeline": timeline(report),
    }  # fmt: skip
    out["envelope"] = json.loads(report.envelope) if with_envelope else None
    return out


COMPLIANCE_KEYS = ("on_time", "late", "missed", "awaiting")


def party_record(party: str, reports: QuerySet[Report]) -> dict:
    """How `party` handled the reports it received (of `reports`): acknowledged and answered on time, late,
    never (the deadline passed with nothing), or still awaited; answers by category."""
    received = list(reports.filter(receiver=party).select_related("acknowledgement", "answer"))

    def ack_state(r) -> str:
        a = r.acknowledgement if _has(r, "acknowledgement") else None
        if a is not None:
            return "late" if a.late else "on_time"
        return "missed" if r.ack_missed else "awaiting"

    def answer_state(r) -> str:
        a = r.answer if _has(r, "answer") else None
        if a is not None:
            return "late" if a.late else "on_time"
        return "missed" if r.answer_missed else "awaiting"

    acks = Counter(ack_state(r) for r in received)
    answers = Counter(answer_state(r) for r in received)
    cats = Counter(r.answer.category for r in received if _has(r, "answer"))
    return {
        "party": party,
        "received": len(received),
        "sent": reports.filter(sender=party).count(),
        "acknowledged": {k: acks.get(k, 0) for k in COMPLIANCE_KEYS},
        "answered": {k: answers.get(k, 0) for k in COMPLIANCE_KEYS},
        "by_category": {c: cats.get(c, 0) for c in AnswerCategory.values},
    }


def _has(obj, name: str) -> bool:
    try:
        getattr(obj, name)
    except (Acknowledgement.DoesNotExist, Answer.DoesNotExist):
        return False
    return True


def compliance(user) -> list[dict]:
    """Each party's record as the reader may see it: mediators, every exchange; a party, every exchange it is
    in (every report goes from one party to the other, so both parties see the same exchanges)."""
    if not can_use(user):
        raise NotFound("no intelligence exchange here")
    qs = visible_reports(user)
    return [party_record(p.code, qs) for p in get_charter().parties]
