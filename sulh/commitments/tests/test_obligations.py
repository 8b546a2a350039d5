"""The obligation state machine under the charter's rules, relative due times, overdue deadlines, the expiry
warnings of a time-limited ceasefire, observe() from other records, and bad input that changes nothing."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from sulh.commitments import services
from sulh.commitments.models import Agreement, Clause, Obligation, ObligationChange, VerifiedBy, Warning
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.ledger.models import LogEntry

from .conftest import later

pytestmark = pytest.mark.django_db


def _counts():
    return (Agreement.objects.count(), Clause.objects.count(), Obligation.objects.count(),
            ObligationChange.objects.count(), Warning.objects.count(), Deadline.objects.count(),
            LogEntry.objects.count())  # fmt: skip


def _fire_at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return [d for d in deadlines.fire_due(limit=100) if d.kind.startswith("obligation_")]


# --- who may do what ---------------------------------------------------------------------------------------------


def test_a_party_may_not_mark_its_own_obligation_met_and_a_refusal_changes_nothing(users, make_ob, evidence):
    ob = make_ob()
    before = _counts()
    for name in ("afg_liaison", "afg_commander", "pak_liaison", "jmt_monitor"):
        with pytest.raises(PermissionDenied, match="only mediators"):
            services.change_state(users[name], ob.code, "met", reason="done", evidence_ids=[evidence])
    assert _counts() == before
    ob.refresh_from_db()
    assert ob.state == "pending"


def test_the_obliged_party_may_mark_in_progress_the_other_party_may_not(users, make_ob, evidence):
    ob = make_ob(obliged=["AFG"])
    assert services.allowed_states(users["afg_liaison"], ob) == ["in_progress", "disputed"]
    assert services.allowed_states(users["pak_liaison"], ob) == ["disputed"]
    assert services.allowed_states(users["afg_analyst"], ob) == []  # analysts speak for nobody
    with pytest.raises(PermissionDenied):
        services.change_state(
            users["pak_liaison"], ob.code, "in_progress", reason="x", evidence_ids=[evidence]
        )
    ch = services.change_state(users["afg_commander"], ob.code, "in_progress", reason="Lists drawn up",
                               evidence_ids=[evidence])  # fmt: skip
    assert (ch.from_state, ch.to_state, ch.by_org, ch.as_actor) == (
        "pending",
        "in_progress",
        "AFG",
        "obliged_party",
    )
    assert LogEntry.objects.filter(kind="obligation.in_progress").count() == 1
    ob.refresh_from_db()
    assert ob.state == "in_progress"
    # The current state is never offered again, and asking for it is a conflict that changes nothing.
    assert "in_progress" not in services.allowed_states(users["afg_liaison"], ob)
    before = _counts()
    with pytest.raises(Conflict, match="already"):
        services.change_state(
            users["afg_liaison"], ob.code, "in_progress", reason="again", evidence_ids=[evidence]
        )
    assert _counts() == before


def test_either_party_may_dispute_without_evidence_but_with_a_reason(users, make_ob, evidence):
    ob = make_ob(obliged=["PAK"])
    services.change_state(
        users["qat_verifier"], ob.code, "met", reason="Seen by the mediators", evidence_ids=[evidence]
    )
    ch = services.change_state(users["afg_liaison"], ob.code, "disputed", reason="Only half were released")
    assert (ch.as_actor, ch.evidence_ids) == ("other_party", [])
    before = _counts()
    with pytest.raises(ValidationFailed, match="reason is empty"):
        services.change_state(
            users["pak_liaison"], ob.code, "in_progress", reason="  ", evidence_ids=[evidence]
        )
    assert _counts() == before
    ch = services.change_state(users["pak_liaison"], ob.code, "in_progress", reason="Second batch on its way",
                               evidence_ids=[evidence])  # fmt: skip
    assert ch.from_state == "disputed"


def test_mutual_obligation_each_party_is_obliged_and_other(users, make_ob):
    ob = make_ob(obliged=["AFG", "PAK"])
    assert services.actors_of(users["afg_liaison"], ob) == {"obliged_party", "other_party"}
    assert services.allowed_states(users["pak_commander"], ob) == ["in_progress", "disputed"]


@pytest.mark.parametrize("to_state", ["met", "partly_met", "breached"])
def test_mediators_decide_met_partly_met_breached_with_evidence(users, make_ob, evidence, to_state):
    ob = make_ob()
    before = _counts()
    with pytest.raises(ValidationFailed, match="needs evidence"):
        services.change_state(users["qat_lead"], ob.code, to_state, reason="Seen", evidence_ids=[])
    assert _counts() == before
    ch = services.change_state(users["qat_lead"], ob.code, to_state, reason="Seen", evidence_ids=[evidence])
    assert (ch.as_actor, ch.evidence_ids) == ("mediators", [evidence])
    assert LogEntry.objects.filter(kind=f"obligation.{to_state}").count() == 1
    # Mediators may not dispute (the charter gives disputes to the parties).
    with pytest.raises(PermissionDenied):
        services.change_state(users["qat_lead"], ob.code, "disputed", reason="x")


def test_evidence_one_may_not_see_is_refused(users, make_ob, secret_evidence):
    ob = make_ob()
    before = _counts()
    with pytest.raises(NotFound, match="evidence"):
        services.change_state(
            users["afg_liaison"], ob.code, "in_progress", reason="x", evidence_ids=[secret_evidence]
        )
    with pytest.raises(NotFound):
        services.change_state(
            users["afg_liaison"], ob.code, "in_progress", reason="x", evidence_ids=["not-an-id"]
        )
    assert _counts() == before


@pytest.mark.parametrize("name", ["public", "ops_admin"])
def test_public_and_operator_see_no_obligation(users, make_ob, evidence, name):
    ob = make_ob()
    assert not services.visible_obligations(users[name]).exists()
    assert not services.active_warnings(users[name]).exists()
    with pytest.raises(NotFound):
        services.get_obligation(users[name], ob.code)
    with pytest.raises(NotFound):  # 404 before any other refusal, even with an empty reason
        services.change_state(users[name], ob.code, "met", reason="", evidence_ids=[evidence])
    with pytest.raises(PermissionDenied):
        services.create_obligation(users[name], "DOHA-2025", kind="other", title="x", obliged=["AFG"])


def test_unknown_target_state_is_refused(users, make_ob):
    ob = make_ob()
    for bad in ("pending", "done"):
        with pytest.raises(ValidationFailed, match="to_state"):
            services.change_state(users["qat_lead"], ob.code, bad, reason="x")


# --- due times -----------------------------------------------------------------------------------------------------


def test_relative_due_time_is_set_when_the_other_obligation_is_met(users, make_ob, evidence):
    first = make_ob(title="Exchange lists", obliged=["AFG", "PAK"])
    second = make_ob(title="Release the listed detainees", obliged=["AFG", "PAK"], kind="detainee_release",
                     due_after=first.code, due_offset="P7D")  # fmt: skip
    assert second.due_at is None and second.due_offset_s == 7 * 86400
    assert not Deadline.objects.filter(kind=services.DUE, subject=str(second.pk)).exists()
    ch = services.change_state(
        users["qat_lead"], first.code, "met", reason="Lists exchanged", evidence_ids=[evidence]
    )
    second.refresh_from_db()
    assert second.due_at == ch.at + dt.timedelta(days=7)
    assert Deadline.objects.get(kind=services.DUE, subject=str(second.pk)).due_at == second.due_at
    assert LogEntry.objects.filter(kind="obligation.due_set").count() == 1


def test_relative_due_time_of_an_obligation_already_met_is_set_at_once(users, make_ob, evidence):
    first = make_ob()
    ch = services.change_state(users["qat_lead"], first.code, "met", reason="Done", evidence_ids=[evidence])
    second = make_ob(due_after=first.code, due_offset="PT48H")
    assert second.due_at == ch.at + dt.timedelta(hours=48)


def test_overdue_deadline_marks_and_warns_once_and_leaves_the_state_to_the_mediators(users, make_ob):
    ob = make_ob(due_at=later(days=2))
    assert _fire_at(later(days=1)) == []
    fired = _fire_at(later(days=2, minutes=1))
    assert [d.kind for d in fired] == [services.DUE]
    ob.refresh_from_db()
    assert ob.overdue_at == ob.due_at and ob.state == "pending"
    assert list(Warning.objects.filter(obligation=ob).values_list("kind", flat=True)) == ["overdue"]
    assert _fire_at(later(days=3)) == []
    assert Warning.objects.filter(obligation=ob).count() == 1
    assert services.filter_obligations(users["afg_liaison"], due="overdue", now=later(days=3)) == [ob]


def test_an_obligation_met_in_time_is_never_overdue(users, make_ob, evidence):
    ob = make_ob(due_at=later(days=2))
    services.change_state(users["qat_lead"], ob.code, "met", reason="Done", evidence_ids=[evidence])
    _fire_at(later(days=3))
    ob.refresh_from_db()
    assert ob.overdue_at is None and not Warning.objects.filter(obligation=ob).exists()


# --- expiry warnings of a time-limited ceasefire -------------------------------------------------------------------


def _truce(make_ob, hours=48, **kw):
    now = timezone.now()
    return make_ob(agreement="DOHA-2025", kind="ceasefire", title="48-hour truce", obliged=["AFG", "PAK"],
                   starts_at=now, ends_at=now + dt.timedelta(hours=hours), **kw)  # fmt: skip


def _warnings(ob):
    return list(
        Warning.objects.filter(obligation=ob).order_by("at", "step").values_list("kind", "step", "lead_s")
    )


def test_a_48_hour_truce_warns_at_each_charter_step_then_lapses_each_exactly_once(users, make_ob):
    ob = _truce(make_ob)
    end = ob.ends_at
    assert _fire_at(end - dt.timedelta(hours=25)) == []
    for moment, expected in [
        (end - dt.timedelta(hours=24), [("expiry", 0, 86400)]),
        (end - dt.timedelta(hours=20), [("expiry", 0, 86400)]),  # nothing new between the steps
        (end - dt.timedelta(hours=12), [("expiry", 0, 86400), ("expiry", 1, 43200)]),
        (end - dt.timedelta(hours=2), [("expiry", 0, 86400), ("expiry", 1, 43200), ("expiry", 2, 7200)]),
        (end, [("expiry", 0, 86400), ("expiry", 1, 43200), ("expiry", 2, 7200), ("lapsed", 99, 0)]),
        (end + dt.timedelta(days=3), [("expiry", 0, 86400), ("expiry", 1, 43200), ("expiry", 2, 7200), ("lapsed", 99, 0)]),
    ]:  # fmt: skip
        _fire_at(moment)
        assert _warnings(ob) == expected, moment
    ob.refresh_from_db()
    assert ob.lapsed_at == end
    assert LogEntry.objects.filter(kind="obligation_warning.expiry").count() == 3
    assert LogEntry.objects.filter(kind="obligation_warning.lapsed").count() == 1
    # Every party and mediator sees the lapse; expiry warnings of a lapsed truce are no longer active.
    with mock.patch("django.utils.timezone.now", return_value=end + dt.timedelta(hours=1)):
        for name in ("afg_liaison", "pak_commander", "qat_verifier", "jmt_monitor"):
            assert [w.kind for w in services.active_warnings(users[name])] == ["lapsed"], name


def test_a_truce_entered_late_gets_the_latest_passed_warning_at_once(users, make_ob):
    ob = _truce(make_ob, hours=20)  # the 1-day warning's time has passed: it is given now, the others later
    _fire_at(timezone.now() + dt.timedelta(seconds=1))
    assert [(k, s) for k, s, _ in _warnings(ob)] == [("expiry", 0)]
    _fire_at(ob.ends_at - dt.timedelta(hours=12))
    assert [(k, s) for k, s, _ in _warnings(ob)] == [("expiry", 0), ("expiry", 1)]


def test_a_truce_entered_after_its_end_is_lapsed_without_a_warning(users, make_ob):
    now = timezone.now()
    ob = make_ob(agreement="DOHA-2025", kind="ceasefire", title="48-hour truce of 15 October 2025",
                 obliged=["AFG", "PAK"], starts_at=now - dt.timedelta(days=40),
                 ends_at=now - dt.timedelta(days=38))  # fmt: skip
    assert ob.lapsed_at == ob.ends_at
    assert not Deadline.objects.filter(subject=str(ob.pk)).exists()
    _fire_at(later(days=1))
    assert _warnings(ob) == []


def test_no_warning_after_the_truce_is_closed_early(users, make_ob, evidence):
    """The truce collapsed on its first day: once the mediators mark it breached, nobody is told it is about to
    lapse; a mediator's correction reopening it starts the warnings again."""
    ob = _truce(make_ob)
    end = ob.ends_at
    _fire_at(end - dt.timedelta(hours=24))
    services.change_state(
        users["qat_lead"], ob.code, "breached", reason="Fighting resumed", evidence_ids=[evidence]
    )
    _fire_at(end - dt.timedelta(hours=12))
    _fire_at(end + dt.timedelta(hours=1))
    assert [(k, s) for k, s, _ in _warnings(ob)] == [("expiry", 0)]
    ob.refresh_from_db()
    assert ob.lapsed_at == end  # the period is over all the same (bookkeeping, logged)


def test_no_warning_once_an_extension_covers_the_end(users, make_ob):
    ob = _truce(make_ob)
    end = ob.ends_at
    _fire_at(end - dt.timedelta(hours=24))
    # An extension owed by one party only does not extend a mutual truce.
    make_ob(agreement="DOHA-2025", kind="ceasefire", title="One-sided", obliged=["AFG"],
            starts_at=ob.starts_at, ends_at=end + dt.timedelta(days=1))  # fmt: skip
    assert services.extension_of(ob) is None
    ext = make_ob(agreement="DOHA-2025", kind="ceasefire", title="Extension", obliged=["PAK", "AFG"],
                  starts_at=end - dt.timedelta(hours=1), ends_at=end + dt.timedelta(days=10))  # fmt: skip
    assert services.extension_of(ob) == ext
    _fire_at(end - dt.timedelta(hours=2))
    _fire_at(end + dt.timedelta(minutes=1))
    assert [(k, s) for k, s, _ in _warnings(ob)] == [("expiry", 0)]


# --- observe(): other records prove obligations met ----------------------------------------------------------------


def test_crossing_open_meets_obligations_by_mode(users, make_ob):
    trade = make_ob(kind="crossing_reopening", title="Torkham for trade", obliged=["PAK"],
                    verified_by=VerifiedBy.CROSSING_OPEN, subject="TORKHAM", subject_mode="trade")  # fmt: skip
    travel = make_ob(kind="crossing_reopening", title="Torkham for travel", obliged=["PAK"],
                     verified_by=VerifiedBy.CROSSING_OPEN, subject="TORKHAM", subject_mode="travel")  # fmt: skip
    both = make_ob(kind="crossing_reopening", title="Torkham", obliged=["PAK", "AFG"],
                   verified_by=VerifiedBy.CROSSING_OPEN, subject="TORKHAM")  # fmt: skip
    chaman = make_ob(kind="crossing_reopening", title="Chaman", obliged=["PAK"],
                     verified_by=VerifiedBy.CROSSING_OPEN, subject="CHAMAN-SPIN-BOLDAK")  # fmt: skip
    assert both.subject_mode == "both"
    made = services.observe(VerifiedBy.CROSSING_OPEN, "TORKHAM", mode="trade", source_record="crossing_status:1",
                            reason="Open for trade")  # fmt: skip
    assert [c.obligation.code for c in made] == [trade.code]
    made = services.observe(VerifiedBy.CROSSING_OPEN, "TORKHAM", mode="both", source_record="crossing_status:2",
                            reason="Open")  # fmt: skip
    assert sorted(c.obligation.code for c in made) == sorted([travel.code, both.code])
    ch = ObligationChange.objects.get(obligation=both)
    assert (ch.by, ch.by_org, ch.as_actor, ch.source_record) == (None, "OPS", "sulh", "crossing_status:2")
    # Met obligations are not met twice; another crossing is untouched.
    assert (
        services.observe(VerifiedBy.CROSSING_OPEN, "TORKHAM", mode="both", source_record="x:3", reason="r")
        == []
    )
    chaman.refresh_from_db()
    assert chaman.state == "pending"


def test_meeting_held_meets_its_obligation_and_starts_relative_clocks(users, make_ob):
    import uuid

    meeting_id = str(uuid.uuid4())
    meet = make_ob(kind="meeting", title="Principals meet in Istanbul", obliged=["AFG", "PAK"],
                   verified_by=VerifiedBy.MEETING_HELD, subject=meeting_id)  # fmt: skip
    follow = make_ob(title="Modalities written down", due_after=meet.code, due_offset="P14D")
    at = timezone.now()
    services.observe(
        VerifiedBy.MEETING_HELD, meeting_id, source_record=f"meeting:{meeting_id}", reason="Held", at=at
    )
    follow.refresh_from_db()
    assert follow.due_at == at + dt.timedelta(days=14)


# --- bad input is refused and changes nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"starts_at": "now", "ends_at": "before"}, "ends_at"),
        ({"clause": "42"}, "clause"),
        ({"obliged": ["IND"]}, "obliged"),
        ({"obliged": []}, "obliged"),
        ({"due_after": "OBL-2025-0001", "due_offset": "seven days"}, "due_offset"),
        ({"due_after": "OBL-2025-0001"}, "due_offset"),
        ({"due_at": "later", "due_after": "OBL-2025-0001", "due_offset": "P1D"}, "due_at"),
        ({"subject": "TORKHAM"}, "subject"),  # evidence-verified obligations name no subject
        ({"verified_by": "crossing_open", "subject": "WAGAH"}, "subject"),
        ({"verified_by": "crossing_open", "subject": "TORKHAM", "subject_mode": "cargo"}, "subject_mode"),
        ({"verified_by": "meeting_held", "subject": "the next meeting"}, "subject"),
        ({"verified_by": "meeting_held"}, "subject"),
        ({"kind": "ceasefire", "starts_at": "now"}, "ends_at"),
        ({"kind": "peace"}, "kind"),
        ({"verified_by": "rumour"}, "verified_by"),
        ({"title": " "}, "title"),
    ],
)
def test_bad_obligations_are_refused_and_change_nothing(users, make_ob, overrides, field):
    make_ob(title="The first obligation")  # OBL-…-0001 for due_after
    now = timezone.now()
    times = {"now": now, "before": now - dt.timedelta(hours=1), "later": now + dt.timedelta(days=1)}
    kw = {k: times.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    if "due_after" in kw:
        kw["due_after"] = Obligation.objects.get().code
    before = _counts()
    with pytest.raises(ValidationFailed) as exc:
        make_ob(**kw)
    assert exc.value.field == field, exc.value.message
    assert _counts() == before


def test_an_unknown_agreement_or_relative_obligation_is_not_found(users, make_ob):
    before = _counts()
    with pytest.raises(NotFound):
        make_ob(agreement="YALTA-1945")
    with pytest.raises(NotFound):
        make_ob(due_after="OBL-1999-0001", due_offset="P1D")
    assert _counts() == before


def test_enter_agreement_and_its_refusals(users):
    before = _counts()
    for kw, field in [
        ({"clauses": []}, "clauses"),
        ({"clauses": [{"number": "1", "text": "a"}, {"number": "1", "text": "b"}]}, "clauses.1.number"),
        ({"clauses": [{"number": "1", "text": " "}]}, "clauses.0.text"),
        ({"code": "ISTANBUL 7 NOV"}, "code"),
    ]:
        args = {"code": "ISTANBUL-2025-11-07", "title": "Istanbul, third round", "date": dt.date(2025, 11, 7),
                "clauses": [{"number": "1", "text": "The ceasefire continues."}], **kw}  # fmt: skip
        with pytest.raises(ValidationFailed) as exc:
            services.enter_agreement(users["qat_lead"], **args)
        assert exc.value.field == field
    with pytest.raises(PermissionDenied):
        services.enter_agreement(users["afg_liaison"], code="X-1", title="x", date=dt.date(2025, 11, 7),
                                 clauses=[{"number": "1", "text": "x"}])  # fmt: skip
    with pytest.raises(Conflict):
        services.enter_agreement(users["qat_lead"], code="doha-2025", title="x", date=dt.date(2025, 11, 7),
                                 clauses=[{"number": "1", "text": "x"}])  # fmt: skip
    assert _counts() == before
    a = services.enter_agreement(users["qat_verifier"], code="istanbul-2025-11-07",
                                 title="Istanbul, third round", date=dt.date(2025, 11, 7),
                                 clauses=[{"number": "1", "text": "The ceasefire continues."}])  # fmt: skip
    assert a.code == "ISTANBUL-2025-11-07" and a.clauses.count() == 1
    assert LogEntry.objects.count() - before[-1] == 2  # the agreement and its one clause
