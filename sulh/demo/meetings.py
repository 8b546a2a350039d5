"""The demonstration meetings: the schedule of October–November 2025 as public reporting describes it, and one
technical meeting of the mechanism still to come.

1. The Doha talks, 18–19 October 2025 (principals; hosted by Qatar with Türkiye): both delegations present,
   headed by the two defence ministers; the ceasefire agreed (DOHA-2025). Decisions: the ceasefire (an
   obligation of both parties) and follow-up meetings in Istanbul (an obligation met by Sulh itself when the
   Istanbul round is recorded held).
2. Istanbul, round 1, 25–30 October 2025 (technical; hosted by Türkiye): the Afghan delegation headed by the
   Deputy Interior Minister; the talks broke down on 25 October and resumed after mediation; the joint
   statement of 30 October (ISTANBUL-2025-10-30). Decisions: the ceasefire maintained, the monitoring and
   verification mechanism set up, and a principals' meeting on 6 November (met when that meeting is held).
3. The principals' meeting, Istanbul, 6–7 November 2025 (hosted by Türkiye's intelligence organisation): the
   Pakistani delegation led by its intelligence chief, the Afghan by senior officials of its intelligence
   directorate; reported to have ended without a breakthrough and without a joint statement; the ceasefire
   held. Minutes only, no decision.
4. A technical meeting of the mechanism four days from now, with the joint monitoring team expected: its
   reminders are pending stored deadlines.

Everything goes through the meetings services (so each step is logged and the deadlines are real); what the
minutes say paraphrases public reporting and says so. Run on top of the demo scenario (its accounts)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.meetings import services
from sulh.meetings.models import Meeting

AST = ZoneInfo("Asia/Qatar")
TRT = ZoneInfo("Europe/Istanbul")
DEMO = (
    "DEMONSTRATION — paraphrase of public reporting, entered for the demo scenario; not an official record."
)
DOHA_TITLE = "Doha talks on the Afghanistan–Pakistan ceasefire"
ALL = [{"organisation": o, "present": True} for o in ("AFG", "PAK", "QAT", "TUR")]


def _u(name: str) -> User:
    return User.objects.get(username=name)


def _delegations(meeting, by_org: dict[str, list[tuple[str, str]]]) -> None:
    users = {
        "AFG": "afg.liaison",
        "PAK": "pak.liaison",
        "QAT": "qat.lead",
        "TUR": "tur.lead",
        "JMT": "jmt.monitor1",
    }
    for org, members in by_org.items():
        services.enter_delegation(
            _u(users[org]), meeting.pk, members=[{"name": n, "title": t} for n, t in members]
        )


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    if Meeting.objects.filter(title=DOHA_TITLE).exists():
        say("meetings: already loaded")
        return
    qat, tur, qatv, turv = _u("qat.lead"), _u("tur.lead"), _u("qat.verifier"), _u("tur.verifier")
    with transaction.atomic():
        # Scheduled first, so that the decisions of earlier meetings can name the later ones.
        doha = services.schedule(
            qat, title=DOHA_TITLE, level="PRINCIPALS", place="Doha",
            starts_at=dt.datetime(2025, 10, 18, 16, 0, tzinfo=AST), ends_at=dt.datetime(2025, 10, 19, 4, 0, tzinfo=AST),
            agenda=["An immediate ceasefire", "Mechanisms to make the ceasefire durable", "Follow-up meetings"],
        )  # fmt: skip
        ist1 = services.schedule(
            tur, title="Istanbul talks, round 1", level="TECHNICAL", place="Istanbul",
            starts_at=dt.datetime(2025, 10, 25, 10, 0, tzinfo=TRT), ends_at=dt.datetime(2025, 10, 30, 20, 0, tzinfo=TRT),
            agenda=["Consolidating the Doha ceasefire", "A monitoring and verification mechanism",
                    "Cross-border attacks by armed groups", "Reopening trade and travel routes", "Next meetings"],
        )  # fmt: skip
        ist2 = services.schedule(
            tur, title="Principals' meeting on the modalities of the mechanism", level="PRINCIPALS", place="Istanbul",
            starts_at=dt.datetime(2025, 11, 6, 10, 0, tzinfo=TRT), ends_at=dt.datetime(2025, 11, 7, 20, 0, tzinfo=TRT),
            agenda=["Modalities of the monitoring and verification mechanism", "Penalties for violations",
                    "Cross-border attacks by armed groups"],
        )  # fmt: skip

        # 1. Doha.
        _delegations(doha, {
            "AFG": [("Mullah Muhammad Yaqoob", "Minister of Defence, head of delegation")],
            "PAK": [("Khawaja Muhammad Asif", "Minister of Defence, head of delegation")],
            "QAT": [("Delegation of the State of Qatar", "Host and mediator")],
            "TUR": [("Delegation of the Republic of Türkiye", "Mediator")],
        })  # fmt: skip
        services.record_attendance(qatv, doha.pk, entries=ALL)
        services.record_minutes(qat, doha.pk, text=(
            f"{DEMO}\n\nThe delegations met in Doha on 18 October with Qatar and Türkiye mediating and agreed, in "
            "the early hours of 19 October, to an immediate ceasefire and to meet again in Istanbul to set up "
            "mechanisms that make it durable."))  # fmt: skip
        services.record_decision(
            qat,
            doha.pk,
            text="The parties agree to an immediate ceasefire along the border and beyond it.",
            agreement="DOHA-2025",
            clause="1",
        )  # fmt: skip -- its ceasefire obligation is the commitments demo's (with its state history)
        services.record_decision(
            qat, doha.pk, text="The parties hold follow-up meetings in Istanbul to make the ceasefire durable.",
            agreement="DOHA-2025", clause="5",
            obligations=[{"kind": "meeting", "title": "Meet again in Istanbul", "obliged": ["AFG", "PAK"],
                          "due_at": ist1.starts_at, "verified_by": "meeting_held", "subject": ist1.code}],
        )  # fmt: skip

        # 2. Istanbul, round 1: recorded held, which meets Doha's follow-up obligation.
        _delegations(ist1, {
            "AFG": [("Mawlawi Rahmatullah Najeeb", "Deputy Interior Minister, head of delegation")],
            "PAK": [("Security delegation", "Names not published")],
            "QAT": [("Delegation of the State of Qatar", "Mediator")],
            "TUR": [("Delegation of the Republic of Türkiye", "Host and mediator")],
        })  # fmt: skip
        services.record_attendance(turv, ist1.pk, entries=ALL)
        services.record_minutes(tur, ist1.pk, text=(
            f"{DEMO}\n\nThe talks opened on 25 October and broke down the same day over cross-border attacks by "
            "armed groups; after mediation by Türkiye and Qatar the delegations resumed and, on 30 October, a joint "
            "statement said that all parties agreed to maintain the ceasefire and to establish a monitoring and "
            "verification mechanism to penalise violators, its modalities to be decided by principals in Istanbul "
            "on 6 November."))  # fmt: skip
        services.record_decision(
            tur,
            ist1.pk,
            text="All parties agree to maintain the ceasefire.",
            agreement="ISTANBUL-2025-10-30",
            clause="1",
        )  # fmt: skip -- the ceasefire maintained is the commitments demo's obligation (its expiry warnings live)
        services.record_decision(
            tur, ist1.pk, text="A monitoring and verification mechanism is established to keep the peace and to "
            "penalise any party found to violate the ceasefire.", agreement="ISTANBUL-2025-10-30", clause="2",
            obligations=[{"kind": "other", "title": "Set up the monitoring and verification mechanism",
                          "obliged": ["AFG", "PAK"]}],
        )  # fmt: skip
        services.record_decision(
            tur, ist1.pk, text="The modalities of implementation are decided at a meeting of principals in Istanbul "
            "on 6 November 2025.", agreement="ISTANBUL-2025-10-30", clause="3",
            obligations=[{"kind": "meeting", "title": "Principals meet in Istanbul on 6 November",
                          "obliged": ["AFG", "PAK"], "due_at": ist2.starts_at, "verified_by": "meeting_held",
                          "subject": ist2.code}],
        )  # fmt: skip

        # 3. The principals' meeting: held (both delegations came), no joint statement, no decision.
        _delegations(ist2, {
            "AFG": [("Senior officials of the General Directorate of Intelligence", "Names not published")],
            "PAK": [("Director-General of Inter-Services Intelligence", "Head of delegation")],
            "QAT": [("Delegation of the State of Qatar", "Mediator")],
            "TUR": [("İbrahim Kalın", "Director of the National Intelligence Organisation (MIT), host")],
        })  # fmt: skip
        services.record_attendance(turv, ist2.pk, entries=ALL)
        services.record_minutes(tur, ist2.pk, text=(
            f"{DEMO}\n\nThe principals met on 6–7 November. Public reporting says the talks ended without a "
            "breakthrough and without a joint statement; both sides said the ceasefire reached in Doha remained in "
            "place. No decision was recorded."))  # fmt: skip

        # 4. The next technical meeting of the mechanism: four days from now, reminders pending.
        start = (timezone.now() + dt.timedelta(days=4)).astimezone(TRT).replace(hour=10, minute=0, second=0,
                                                                                microsecond=0)  # fmt: skip
        nxt = services.schedule(
            qatv, title="Technical meeting of the monitoring and verification mechanism", level="TECHNICAL",
            place="Istanbul", starts_at=start, ends_at=start + dt.timedelta(hours=6),
            expected=["AFG", "PAK", "QAT", "TUR", "JMT"],
            agenda=["Review of the allegations lodged since the last meeting", "Hotline tests between the desks",
                    "Staffing of the joint monitoring posts", "Torkham and Chaman crossings"],
        )  # fmt: skip
        from sulh.commitments import services as commitments

        commitments.create_obligation(
            qatv, "ISTANBUL-2025-10-30", clause="2", kind="meeting",
            title="Hold the technical meeting on the verification mechanism", obliged=["AFG", "PAK"],
            due_at=nxt.ends_at, verified_by="meeting_held", subject=str(nxt.pk),
            description="Date INVENTED (four days after the demo was loaded); met when the meeting is recorded held.",
        )  # fmt: skip
        _delegations(nxt, {
            "AFG": [("Liaison officer (demo account afg.liaison)", "Head of the technical team")],
            "JMT": [("Monitor (demo account jmt.monitor1)", "Joint monitoring team")],
        })  # fmt: skip
    say(
        f"meetings: {doha.code}, {ist1.code}, {ist2.code} held; {nxt.code} on {start:%Y-%m-%d} with reminders due"
    )
