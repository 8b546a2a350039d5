"""The demonstration co-signed documents.

1. The joint statement of the Istanbul talks (25–30 October 2025), linked to the charter's agreement
   ISTANBUL-2025-10-30: drafted by Qatar's mediator lead, frozen, and signed by the four signatories (Afghanistan,
   Pakistan, Qatar, Türkiye) with the demo keys, exactly as `sulh doc sign` does, each signature line uploaded by
   someone of the signing organisation. Every signature is checked by the documents services against the charter
   in force; with the fourth the statement is agreed, and the obligation "the joint statement is signed by all"
   (entered here, verified by document_agreed) is met by Sulh itself.
2. The minutes of the mechanism's next technical meeting: a draft by Türkiye's mediator lead, not yet frozen
   (linked to the upcoming meeting when the meetings demo has entered it).

The texts PARAPHRASE public reporting of the talks (Türkiye's Foreign Ministry's statement that "all parties
agreed to maintain the ceasefire and establish a verification mechanism to penalize any violators") and say so
inside the signed text. With no demo keys in the charter in force (sulh.demo.keys.keys_in_force() is None) the
statement is left frozen and unsigned, for the real signatories. Run on top of the demo scenario (its accounts)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.commitments import services as commitments
from sulh.commitments.models import Agreement, Obligation, VerifiedBy
from sulh.demo.keys import keys_in_force
from sulh.documents import services
from sulh.documents.models import Document
from sulh.ledger import note

STATEMENT_TITLE = "Joint statement of the Istanbul talks, 25–30 October 2025"
MINUTES_TITLE = "Minutes of the technical meeting of the monitoring and verification mechanism"
PARAPHRASE = (
    "DEMONSTRATION. This text paraphrases public reporting of the Istanbul talks (statement of Türkiye's "
    "Ministry of Foreign Affairs, 30 October 2025, as reported by the press); it is not the official text."
)
STATEMENT = f"""{PARAPHRASE}

The delegations of Afghanistan and Pakistan met in Istanbul from 25 to 30 October 2025,
with the mediation of the Republic of Türkiye and the State of Qatar, to follow up the ceasefire agreed in Doha
on 19 October 2025.

1. All parties agree to maintain the ceasefire.
2. The parties agree to establish a monitoring and verification mechanism that will ensure the maintenance of
   peace and impose a penalty on the party that violates it.
3. The modalities of the mechanism will be discussed and decided at a meeting of the principals in Istanbul
   on 6 November 2025.
"""
MINUTES = """DEMONSTRATION. Draft minutes entered for the demo scenario; not an official record.

Present: the liaison officers of Afghanistan and Pakistan, the mediators' verifiers of Qatar and Türkiye, the
joint monitoring team.

1. Review of the incidents reported since the Istanbul principals' meeting of 6–7 November 2025.
2. The status of the Torkham and Chaman crossings, closed to trade and travel since the clashes of 12 October.
3. The lists of detainees each side has submitted for a reciprocal release.
4. Date of the next meeting.

(To be completed after the meeting; the mediators freeze the minutes for signature.)
"""
SIGNERS = {"AFG": "afg.liaison", "PAK": "pak.liaison", "QAT": "qat.lead", "TUR": "tur.lead"}


def _u(name: str) -> User:
    return User.objects.get(username=name)


def _next_meeting_id():
    try:
        from sulh.meetings.models import Meeting
    except ImportError:  # the meetings app is optional here
        return None
    m = Meeting.objects.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
    return m.pk if m is not None else None


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    if Document.objects.filter(versions__title=STATEMENT_TITLE).exists():
        say("documents: already loaded")
        return
    with transaction.atomic():
        qat, tur = _u("qat.lead"), _u("tur.lead")
        agreement = (
            "ISTANBUL-2025-10-30" if Agreement.objects.filter(code="ISTANBUL-2025-10-30").exists() else None
        )
        v = services.create_document(qat, kind="joint_statement", title=STATEMENT_TITLE, body=STATEMENT,
                                     agreement=agreement)  # fmt: skip
        code = v.document.code
        if agreement:
            commitments.create_obligation(
                qat, agreement, kind="document", title="The joint statement is signed by all four signatories",
                obliged=["AFG", "PAK"], verified_by=VerifiedBy.DOCUMENT_AGREED, subject=str(v.document_id),
                description="Met by Sulh when every signatory the charter requires has signed the same version. "
                + PARAPHRASE,
            )  # fmt: skip
        v = services.freeze(qat, code)
        ring = keys_in_force()
        if ring is None:
            say(f"documents: {code} frozen, unsigned — the charter in force carries no demo keys (real signatories "
                "sign with `sulh doc sign`; `sulh demo charter` writes a charter with the demo keys)")  # fmt: skip
        else:
            for org, username in SIGNERS.items():
                line = note.parse_signer_key(ring[org].signer_key).sign(v.text)
                services.sign(_u(username), code, line, v.number)
            v.refresh_from_db()
            say(f"documents: {code} signed by {', '.join(SIGNERS)}: {v.state}")
        m = services.create_document(tur, kind="minutes", title=MINUTES_TITLE, body=MINUTES,
                                     meeting_id=_next_meeting_id())  # fmt: skip
        say(f"documents: {m.document.code} draft minutes of the next technical meeting")
    return None


def obligation_for(document) -> Obligation | None:
    return Obligation.objects.filter(verified_by=VerifiedBy.DOCUMENT_AGREED, subject=str(document.pk)).first()
