"""The demonstration commitments: agreements of October 2025 and the obligations they yield, with their
histories, warnings and one overdue, one disputed, several met and several open.

From public reporting (paraphrased): the 48-hour truce from 18:00 PKT on 15 October 2025 lapsed with nobody
deciding; the Doha ceasefire of 19 October was maintained at Istanbul on 30 October; the principals were to
meet in Istanbul on 6 November (they did, 6–7 November, without agreement); the reopening of trade and travel
routes (Torkham and Chaman have been closed since the clashes of 12 October) and a reciprocal release of
detainees were talked of. Everything else — the mediators' working list of measures, the lists, the counts,
the dates of the changes, the live ceasefire end and the next technical meeting — is INVENTED for the
demonstration and says so.

Runs after the scenario's accounts and incidents exist. Changes of state are made with the charter's rules
checked (`services.allowed_states`) and dated when they happened in the story (the log entries carry the
server's time of loading, as always). The expiry warnings of the 48-hour truce, entered after the fact, are
reconstructed at the times the charter's steps give. The crossings demo, if loaded afterwards, meets the
reopening obligations through `observe()` when it records a crossing open."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import User
from sulh.charter.loader import get_charter
from sulh.charter.schema import parse_duration
from sulh.commitments import services
from sulh.commitments.models import Agreement, Obligation, VerifiedBy, Warning
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline, DeadlineState

DEMO = "[DEMO] "
NOTE = " Demonstration record: invented detail on top of public reporting."
UTC = dt.UTC
NEEDED = ("qat.lead", "qat.verifier", "tur.lead", "afg.liaison", "pak.liaison", "pak.commander.national")


def _t(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=UTC)


def _evidence(user: User, title_part: str, text: str) -> str | None:
    """A short note (text) attached, as evidence, to the demo incident whose title contains `title_part`."""
    from sulh.evidence.services import EvidenceMeta, attach
    from sulh.incidents.models import Incident

    incident = (
        Incident.objects.filter(is_demo=True, title__contains=title_part).order_by("date_start").first()
    )
    if incident is None:
        return None
    upload = SimpleUploadedFile("note.txt", (DEMO + text + NOTE).encode(), content_type="text/plain")
    meta = EvidenceMeta(description=DEMO + text[:200], audience="parties")
    return str(attach(user, upload, meta, incident_ref=incident.code).pk)


def _change(user: User, ob: Obligation, to_state: str, reason: str, evidence: list, at: dt.datetime):
    """A change the charter lets `user` make, dated when it happened in the story."""
    ob.refresh_from_db()
    if to_state not in services.allowed_states(user, ob):
        raise RuntimeError(f"the charter does not let {user.username} put {ob.code} in {to_state}")
    mine = services.actors_of(user, ob) & set(get_charter().commitments.obligations.state_changes[to_state])
    with transaction.atomic():
        ob = Obligation.objects.select_for_update().get(pk=ob.pk)
        return services._change(ob, to_state, reason=reason + NOTE, evidence_ids=[e for e in evidence if e],
                                by=user, as_actor=sorted(mine)[0], at=at)  # fmt: skip


def _reconstruct_warnings(ob: Obligation) -> None:
    """The warnings Sulh would have given before and at the end of a truce entered after the fact."""
    for i, text in enumerate(get_charter().commitments.obligations.expiry_warnings):
        lead = parse_duration(text)
        services._warn(ob, Warning.Kind.EXPIRY, i, int(lead.total_seconds()), ob.ends_at - lead)
    services._warn(ob, Warning.Kind.LAPSED, services.LAPSE_STEP, 0, ob.ends_at)


def _fire_own(now: dt.datetime) -> None:
    """Fire the commitments' deadlines already due (the overdue one, the live ceasefire's first warning) as
    `sulh serve` would at once; other apps' deadlines are left to the ticker."""
    for d in Deadline.objects.filter(kind__in=[services.DUE, services.EXPIRY], state=DeadlineState.PENDING,
                                     run_at__lte=now).order_by("run_at", "id"):  # fmt: skip
        deadlines._fire(d, now)


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    users = {u.username: u for u in User.objects.filter(username__in=NEEDED)}
    if set(users) != set(NEEDED) or Obligation.objects.filter(title__startswith=DEMO).exists():
        return
    services.sync_from_charter()
    qat, qatv, tur = users["qat.lead"], users["qat.verifier"], users["tur.lead"]
    afg, pak = users["afg.liaison"], users["pak.liaison"]
    now = timezone.now()
    with transaction.atomic():
        # The 48-hour truce of 15 October: entered after the fact, it lapsed with nobody deciding.
        if not Agreement.objects.filter(code="TRUCE-2025-10-15").exists():
            services.enter_agreement(
                qat, code="TRUCE-2025-10-15", title=DEMO + "Temporary 48-hour ceasefire (paraphrase)",
                date=dt.date(2025, 10, 15), place="Announced in Islamabad and Kabul",
                clauses=[{"number": "1", "text": "A temporary ceasefire of 48 hours from 18:00 PKT on 15 October "
                          "2025, agreed at the request of the Afghan side (paraphrase of public statements)."}],
            )  # fmt: skip
        truce = services.create_obligation(
            qat, "TRUCE-2025-10-15", clause="1", kind="ceasefire", title=DEMO + "48-hour truce",
            obliged=["AFG", "PAK"], starts_at=_t(10, 15, 13), ends_at=_t(10, 17, 13),
            description="Lapsed at 18:00 PKT on 17 October with no decision to extend it; fighting and "
            "accusations resumed until the Doha talks." + NOTE,
        )  # fmt: skip
        _reconstruct_warnings(truce)

        # The Doha ceasefire, maintained (extended) at Istanbul on 30 October.
        ev_doha = _evidence(qat, "Doha ceasefire", "Text of the Doha ceasefire as read out by the mediators.")
        doha = services.create_obligation(
            qat, "DOHA-2025", clause="1", kind="ceasefire", title=DEMO + "Doha ceasefire until the Istanbul round",
            obliged=["AFG", "PAK"], starts_at=_t(10, 19), ends_at=_t(10, 31),
            description="The end is the demo's reading: the ceasefire was to hold until the follow-up talks in "
            "Istanbul, where it was maintained." + NOTE,
        )  # fmt: skip
        _change(
            qat, doha, "in_progress", "Both sides confirmed the ceasefire in Doha.", [ev_doha], _t(10, 19, 12)
        )
        ev_ist = _evidence(tur, "Istanbul joint statement", "Joint statement of 30 October (Türkiye's MFA).")
        extension = services.create_obligation(
            tur, "ISTANBUL-2025-10-30", clause="1", kind="ceasefire",
            title=DEMO + "Ceasefire maintained after Istanbul", obliged=["AFG", "PAK"], starts_at=_t(10, 30, 12),
            ends_at=now + dt.timedelta(hours=20),
            description="Its end is INVENTED (20 hours after the demo was loaded) to show the expiry warnings "
            "live: the 1-day warning is given at once, the others follow." + NOTE,
        )  # fmt: skip
        _change(
            tur,
            extension,
            "in_progress",
            "All parties agreed to maintain the ceasefire.",
            [ev_ist],
            _t(10, 30, 15),
        )
        _change(qatv, doha, "partly_met", "The ceasefire largely held until Istanbul and was maintained there; "
                "complaints of fire on 24–25 October are under verification.", [ev_ist], _t(10, 31, 9))  # fmt: skip

        # The principals' meeting of 6 November and the next technical meeting are the meetings demo's: their
        # obligations are met by the meetings' own records (verified_by meeting_held).

        # The mediators' working list of measures (invented text) and what it yields.
        if not Agreement.objects.filter(code="ISTANBUL-MEASURES-2025").exists():
            services.enter_agreement(
                tur, code="ISTANBUL-MEASURES-2025",
                title=DEMO + "Measures discussed at Istanbul (mediators' working list, not a published text)",
                date=dt.date(2025, 10, 31), place="Istanbul",
                clauses=[
                    {"number": "1", "text": "Trade and travel through the Torkham and Chaman crossings are reopened."},
                    {"number": "2", "text": "Each party hands the mediators its list of detainees to be released "
                     "within a week; the listed detainees are released reciprocally within two weeks of the lists."},
                ],
            )  # fmt: skip
        torkham = services.create_obligation(
            tur, "ISTANBUL-MEASURES-2025", clause="1", kind="crossing_reopening",
            title=DEMO + "Reopen Torkham for trade", obliged=["PAK"], due_at=_t(11, 6, 12),
            verified_by=VerifiedBy.CROSSING_OPEN, subject="TORKHAM", subject_mode="trade",
            description="Closed since the clashes of 12 October; met when the crossing's record shows it open "
            "for trade." + NOTE,
        )  # fmt: skip
        services.create_obligation(
            tur, "ISTANBUL-MEASURES-2025", clause="1", kind="crossing_reopening",
            title=DEMO + "Reopen Chaman–Spin Boldak for travel", obliged=["AFG", "PAK"],
            verified_by=VerifiedBy.CROSSING_OPEN, subject="CHAMAN-SPIN-BOLDAK", subject_mode="travel",
            description="Met when the crossing's record shows it open for travel." + NOTE,
        )  # fmt: skip
        lists = services.create_obligation(
            qat, "ISTANBUL-MEASURES-2025", clause="2", kind="other", title=DEMO + "Hand over the lists of detainees",
            obliged=["AFG", "PAK"], due_at=_t(11, 7, 12),
        )  # fmt: skip
        release = services.create_obligation(
            qat, "ISTANBUL-MEASURES-2025", clause="2", kind="detainee_release",
            title=DEMO + "Release the listed detainees reciprocally", obliged=["AFG", "PAK"],
            due_after=lists.code, due_offset="P14D",
        )  # fmt: skip
        ev_lists = _evidence(
            qat, "Istanbul talks, third round", "Receipt of both parties' lists by the mediators."
        )
        _change(afg, lists, "in_progress", "Afghanistan's list is ready.", [ev_lists], _t(11, 3, 8))
        _change(qat, lists, "met", "Both lists received by the mediators.", [ev_lists], _t(11, 5, 10))
        ev_rel = _evidence(
            qatv, "Istanbul talks, third round", "Mediators' count at the handover: 12 of 25 and 20 of 20."
        )
        _change(qatv, release, "partly_met", "Afghanistan released 20 of 20 listed; Pakistan 12 of 25 so far.",
                [ev_rel], _t(11, 18, 14))  # fmt: skip
        _change(pak, release, "disputed", "Pakistan says 13 of the listed persons were never in its custody and asks "
                "the mediators to check the list against its records.", [], _t(11, 19, 9))  # fmt: skip

        _fire_own(timezone.now())
    torkham.refresh_from_db()
    say(f"commitments: {Obligation.objects.filter(title__startswith=DEMO).count()} obligations of "
        f"{Agreement.objects.count()} agreements ({torkham.code} overdue, {release.code} disputed)")  # fmt: skip
