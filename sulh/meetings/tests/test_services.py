"""Meetings: the state machine (held, missed by whom, missed with nothing recorded, cancelled, rescheduled with its
reminders moved, each reminder once), decisions creating obligations, obligations met by a meeting being held,
bad input refused with nothing changed, and who may do what."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from sulh.commitments.models import Agreement, Obligation, ObligationState
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.ledger.models import LogEntry
from sulh.meetings import services
from sulh.meetings.models import (
    Attendance,
    Decision,
    Delegation,
    Meeting,
    MeetingChange,
    MeetingState,
    Minutes,
)

pytestmark = pytest.mark.django_db


def _fire_at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return deadlines.fire_due(limit=100)


def _meeting(users, *, start_in=dt.timedelta(days=3), hours=4, **kw):
    start = timezone.now() + start_in
    args = dict(title="Technical meeting of the mechanism", level="TECHNICAL", starts_at=start,
                ends_at=start + dt.timedelta(hours=hours), place="Istanbul",
                agenda=["Review of reported violations", "Hotline tests"])  # fmt: skip
    args.update(kw)
    return services.schedule(users["qat_lead"], **args)


def _rows():
    return (Meeting.objects.count(), MeetingChange.objects.count(), Attendance.objects.count(),
            Decision.objects.count(), Minutes.objects.count(), Delegation.objects.count(), Obligation.objects.count(),
            Agreement.objects.count(), Deadline.objects.filter(state="pending").count(), LogEntry.objects.count())  # fmt: skip


def _all_present(users, m):
    return services.record_attendance(
        users["qat_verifier"], m.code, entries=[{"organisation": o, "present": True} for o in m.expected]
    )


def test_schedule_defaults_and_deadlines(users):
    m = _meeting(users)
    assert m.code.startswith(f"MTG-{m.starts_at:%Y}-")
    assert m.expected == ["AFG", "PAK", "QAT", "TUR"]
    assert m.state == MeetingState.SCHEDULED
    kinds = sorted(
        Deadline.objects.filter(subject=str(m.pk), state="pending").values_list("kind", "step", "due_at")
    )
    assert kinds == [
        (services.MISSED, 0, m.ends_at + dt.timedelta(hours=12)),
        (services.REMINDER, 0, m.starts_at - dt.timedelta(days=1)),
        (services.REMINDER, 1, m.starts_at - dt.timedelta(hours=2)),
    ]
    assert LogEntry.objects.filter(kind="meeting.scheduled", record_id=str(m.pk)).count() == 1


def test_held_when_every_expected_organisation_is_present_and_meets_the_obligation(users):
    """A decision of one meeting obliges both parties to hold the next one; when the next is held, Sulh marks the
    obligation met in the same transaction."""
    first = _meeting(users, start_in=-dt.timedelta(hours=5))
    nxt = _meeting(users, start_in=dt.timedelta(days=2), level="MILITARY", title="Commanders' meeting")
    _all_present(users, first)
    d = services.record_decision(
        users["qat_lead"], first.code, text="The commanders meet within a week.",
        obligations=[{"kind": "meeting", "title": "Hold the commanders' meeting", "obliged": ["AFG", "PAK"],
                      "verified_by": "meeting_held", "subject": nxt.code}],
    )  # fmt: skip
    assert d.number == 1 and d.agreement.code == first.code and d.clause.number == "1"
    ob = services.obligations_of(d).get()
    assert (ob.subject, ob.state, ob.agreement.code, ob.clause.text) == (
        str(nxt.pk),
        "pending",
        first.code,
        "The commanders meet within a week.",
    )
    # Not held while only some are recorded present.
    with mock.patch("django.utils.timezone.now", return_value=nxt.starts_at + dt.timedelta(minutes=5)):
        services.record_attendance(users["qat_lead"], nxt.code, entries=[
            {"organisation": "AFG", "present": True}, {"organisation": "QAT", "present": True}])  # fmt: skip
        nxt.refresh_from_db()
        ob.refresh_from_db()
        assert (nxt.state, ob.state) == ("scheduled", "pending")
        services.record_attendance(users["qat_lead"], nxt.code, entries=[
            {"organisation": "PAK", "present": True}, {"organisation": "TUR", "present": True, "note": "MIT"}])  # fmt: skip
    nxt.refresh_from_db()
    ob.refresh_from_db()
    assert nxt.state == MeetingState.HELD and nxt.missed_by == []
    assert ob.state == ObligationState.MET
    change = ob.changes.get()
    assert (change.source_record, change.as_actor) == (f"meeting:{nxt.pk}", "sulh")
    assert LogEntry.objects.filter(kind="meeting.held", record_id=str(nxt.pk)).count() == 1
    # Held: the missed deadline is cancelled and never fires.
    assert not Deadline.objects.filter(subject=str(nxt.pk), kind=services.MISSED, state="pending").exists()
    _fire_at(nxt.ends_at + dt.timedelta(days=1))
    nxt.refresh_from_db()
    assert nxt.state == MeetingState.HELD


def test_missed_by_the_organisation_recorded_absent(users):
    m = _meeting(users, start_in=-dt.timedelta(hours=1))
    services.record_attendance(users["qat_verifier"], m.code, entries=[
        {"organisation": "AFG", "present": True}, {"organisation": "PAK", "present": False, "note": "did not come"},
        {"organisation": "QAT", "present": True}, {"organisation": "TUR", "present": True}])  # fmt: skip
    m.refresh_from_db()
    assert (m.state, m.missed_by) == (MeetingState.MISSED, ["PAK"])
    ch = m.changes.get()
    assert (ch.kind, ch.missed_by, ch.by.username) == ("missed", ["PAK"], "qat_verifier")
    with pytest.raises(Conflict, match="missed"):
        services.record_decision(users["qat_lead"], m.code, text="Nothing")


def test_missed_with_nothing_recorded_then_attendance_says_by_whom(users):
    m = _meeting(users, start_in=dt.timedelta(hours=1), hours=2)
    # Before the deadline: nothing.
    _fire_at(m.ends_at + dt.timedelta(hours=11))
    m.refresh_from_db()
    assert m.state == MeetingState.SCHEDULED
    _fire_at(m.ends_at + dt.timedelta(hours=12, seconds=1))
    m.refresh_from_db()
    assert (m.state, m.missed_by) == (MeetingState.MISSED, [])
    ch = m.changes.get()
    assert ch.by is None and "not recorded" in ch.reason and "AFG, PAK, QAT, TUR" in ch.reason
    assert LogEntry.objects.filter(kind="meeting.missed", record_id=str(m.pk)).count() == 1
    # Fired once only: a second pass changes nothing.
    _fire_at(m.ends_at + dt.timedelta(days=2))
    assert m.changes.count() == 1
    # Recorded later: AFG absent → missed by AFG.
    with mock.patch("django.utils.timezone.now", return_value=m.ends_at + dt.timedelta(days=1)):
        services.record_attendance(
            users["qat_lead"], m.code, entries=[{"organisation": "AFG", "present": False}]
        )
    m.refresh_from_db()
    assert (m.state, m.missed_by) == (MeetingState.MISSED, ["AFG"])
    assert services.unrecorded(m) == ["PAK", "QAT", "TUR"]


def test_missed_with_nothing_recorded_later_found_held(users):
    m = _meeting(users, start_in=-dt.timedelta(days=2), hours=2)
    _fire_at(timezone.now())
    m.refresh_from_db()
    assert m.state == MeetingState.MISSED
    _all_present(users, m)
    m.refresh_from_db()
    assert (m.state, m.missed_by) == (MeetingState.HELD, [])
    assert list(m.changes.values_list("kind", flat=True)) == ["missed", "held"]


def test_cancelled_cancels_deadlines_and_refuses_records(users):
    m = _meeting(users)
    with pytest.raises(ValidationFailed):
        services.cancel(users["qat_lead"], m.code, reason="  ")
    services.cancel(users["qat_lead"], m.code, reason="The parties asked for more time.")
    m.refresh_from_db()
    assert m.state == MeetingState.CANCELLED
    assert not Deadline.objects.filter(subject=str(m.pk), state="pending").exists()
    _fire_at(m.ends_at + dt.timedelta(days=2))
    m.refresh_from_db()
    assert m.state == MeetingState.CANCELLED and not m.reminders.exists()
    before = _rows()
    with mock.patch("django.utils.timezone.now", return_value=m.starts_at + dt.timedelta(minutes=1)):
        with pytest.raises(Conflict, match="cancelled"):
            services.record_decision(users["qat_lead"], m.code, text="A decision",
                                     obligations=[{"kind": "other", "title": "x", "obliged": ["AFG"]}])  # fmt: skip
        with pytest.raises(Conflict, match="cancelled"):
            services.record_attendance(
                users["qat_lead"], m.code, entries=[{"organisation": "AFG", "present": True}]
            )
        with pytest.raises(Conflict):
            services.cancel(users["qat_lead"], m.code, reason="again")
    assert _rows() == before


def test_each_reminder_once_and_rescheduling_moves_them(users):
    m = _meeting(users, start_in=dt.timedelta(days=3))
    day_before = m.starts_at - dt.timedelta(days=1)
    _fire_at(day_before + dt.timedelta(seconds=1))
    _fire_at(day_before + dt.timedelta(minutes=30))
    assert list(m.reminders.values_list("step", "lead", "for_starts_at")) == [(0, "P1D", m.starts_at)]
    assert LogEntry.objects.filter(kind="meeting_reminder.fired").count() == 1
    old_start = m.starts_at
    new_start = m.starts_at + dt.timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=day_before + dt.timedelta(hours=1)):
        ch = services.reschedule(users["qat_verifier"], m.code, starts_at=new_start,
                                 ends_at=new_start + dt.timedelta(hours=3), reason="Delegation travel delayed")  # fmt: skip
    m.refresh_from_db()
    assert (m.state, m.revision, m.starts_at) == (MeetingState.POSTPONED, 1, new_start)
    assert (ch.from_starts_at, ch.to_starts_at, ch.reason) == (
        old_start,
        new_start,
        "Delegation travel delayed",
    )
    assert LogEntry.objects.filter(kind="meeting.rescheduled", record_id=str(m.pk)).count() == 1
    pending = sorted(
        Deadline.objects.filter(subject=str(m.pk), state="pending").values_list("kind", "step", "due_at")
    )
    assert pending == [
        (services.MISSED, 1, m.ends_at + dt.timedelta(hours=12)),
        (services.REMINDER, 100, new_start - dt.timedelta(days=1)),
        (services.REMINDER, 101, new_start - dt.timedelta(hours=2)),
    ]
    # The old 2-hour reminder never fires; the new ones fire once each.
    _fire_at(old_start - dt.timedelta(hours=1))
    assert m.reminders.count() == 1
    _fire_at(new_start - dt.timedelta(hours=23))
    _fire_at(new_start - dt.timedelta(hours=1))
    _fire_at(new_start - dt.timedelta(minutes=1))
    got = sorted(m.reminders.values_list("step", "for_starts_at"))
    assert got == [(0, old_start), (0, new_start), (1, new_start)]
    assert LogEntry.objects.filter(kind="meeting_reminder.fired").count() == 3
    # The upcoming list shows the reminders of the time now in force only.
    with mock.patch("django.utils.timezone.now", return_value=new_start - dt.timedelta(minutes=1)):
        assert sorted(services.recent_reminders(users["afg_liaison"]).values_list("step", flat=True)) == [
            0,
            1,
        ]


def test_bad_input_changes_nothing(users):
    lead = users["qat_lead"]
    start = timezone.now() + dt.timedelta(days=1)
    before = _rows()
    with pytest.raises(ValidationFailed, match="cannot end before it starts"):
        services.schedule(lead, title="t", level="TECHNICAL", starts_at=start, ends_at=start - dt.timedelta(hours=1),
                          place="Doha")  # fmt: skip
    with pytest.raises(ValidationFailed, match="level must be one of") as exc:
        services.schedule(lead, title="t", level="MINISTERS", starts_at=start, ends_at=start + dt.timedelta(hours=1),
                          place="Doha")  # fmt: skip
    assert exc.value.field == "level"
    with pytest.raises(ValidationFailed, match="not a party, mediator"):
        services.schedule(lead, title="t", level="TECHNICAL", starts_at=start, ends_at=start + dt.timedelta(hours=1),
                          place="Doha", expected=["AFG", "PUBLIC"])  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.schedule(users["afg_commander"], title="t", level="TECHNICAL", starts_at=start,
                          ends_at=start + dt.timedelta(hours=1), place="Doha")  # fmt: skip
    assert _rows() == before

    m = _meeting(users, start_in=-dt.timedelta(hours=1), expected=["AFG", "PAK", "QAT"])
    before = _rows()
    with pytest.raises(ValidationFailed, match="TUR is not expected") as exc:
        services.record_attendance(lead, m.code, entries=[{"organisation": "AFG", "present": True},
                                                          {"organisation": "TUR", "present": True}])  # fmt: skip
    assert exc.value.field == "entries.1.organisation"
    with pytest.raises(ValidationFailed, match="named twice"):
        services.record_attendance(lead, m.code, entries=[{"organisation": "AFG", "present": True},
                                                          {"organisation": "AFG", "present": False}])  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.record_attendance(
            users["jmt_monitor"], m.code, entries=[{"organisation": "AFG", "present": True}]
        )
    # A decision whose second obligation is wrong: neither the decision, the outcome agreement nor the first
    # obligation is stored.
    with pytest.raises(ValidationFailed, match="obliged") as exc:
        services.record_decision(lead, m.code, text="Two things", obligations=[
            {"kind": "other", "title": "first", "obliged": ["AFG"]},
            {"kind": "other", "title": "second", "obliged": ["XYZ"]}])  # fmt: skip
    assert exc.value.field == "obligations.1.obliged"
    with pytest.raises(ValidationFailed, match="no meeting"):
        services.record_decision(lead, m.code, text="Next meeting", obligations=[
            {"kind": "meeting", "title": "meet", "obliged": ["AFG"], "verified_by": "meeting_held",
             "subject": "MTG-1999-0001"}])  # fmt: skip
    # Rescheduling to the past, to an end before the start.
    with pytest.raises(ValidationFailed):
        services.reschedule(lead, m.code, starts_at=start, ends_at=start - dt.timedelta(hours=1), reason="r")
    assert _rows() == before
    # A future meeting: attendance waits for its start; a past one is not rescheduled once attendance is in.
    future = _meeting(users)
    before = _rows()
    with pytest.raises(Conflict, match="not started"):
        services.record_attendance(lead, future.code, entries=[{"organisation": "AFG", "present": True}])
    with pytest.raises(Conflict, match="not started"):
        services.record_minutes(lead, future.code, text="Minutes")
    assert _rows() == before


def test_delegations_each_organisation_for_itself(users):
    m = _meeting(users, expected=["AFG", "PAK", "QAT", "TUR"])
    d = services.enter_delegation(users["afg_liaison"], m.code, members=[
        {"name": "Mawlawi Rahmatullah Najeeb", "title": "Deputy Interior Minister (head)"}])  # fmt: skip
    assert d.organisation == "AFG"
    services.enter_delegation(users["afg_commander"], m.code, members=[
        {"name": "Mawlawi Rahmatullah Najeeb", "title": "Deputy Interior Minister (head)"},
        {"name": "A. Karimi", "title": "Border commander"}])  # fmt: skip
    d.refresh_from_db()
    assert [x["name"] for x in d.members] == ["Mawlawi Rahmatullah Najeeb", "A. Karimi"]
    assert LogEntry.objects.filter(record_id=str(d.pk)).count() == 2
    before = _rows()
    for who in ("afg_analyst", "public", "ops_admin", "jmt_monitor"):  # JMT is not expected at this one
        with pytest.raises((PermissionDenied, NotFound)):
            services.enter_delegation(users[who], m.code, members=[{"name": "x", "title": ""}])
    with pytest.raises(ValidationFailed):
        services.enter_delegation(users["pak_liaison"], m.code, members=[])
    assert _rows() == before


def test_visibility(users):
    m = _meeting(users)
    for who in ("afg_liaison", "pak_analyst", "qat_verifier", "tur_analyst", "jmt_monitor"):
        assert services.get_meeting(users[who], m.code).pk == m.pk
        assert services.upcoming(users[who]).filter(pk=m.pk).exists()
    for who in ("public", "ops_admin"):
        with pytest.raises(NotFound):
            services.get_meeting(users[who], m.code)
        assert not services.visible_meetings(users[who]).exists()


def test_minutes_versions_and_decision_on_an_existing_agreement(users):
    m = _meeting(users, start_in=-dt.timedelta(hours=3), hours=2)
    _all_present(users, m)
    services.record_minutes(users["qat_lead"], m.code, text="First draft")
    doc = "0b6f6a0e-8f61-4d0f-9a0e-2f3c0c7f0d11"
    v2 = services.record_minutes(users["qat_verifier"], m.code, text="Agreed text", document_id=doc)
    assert (v2.version, str(v2.document_id)) == (2, doc)
    with pytest.raises(ValidationFailed):
        services.record_minutes(users["qat_lead"], m.code, text="x", document_id="not-a-uuid")
    d = services.record_decision(users["qat_lead"], m.code, text="All parties maintain the ceasefire.",
                                 agreement="ISTANBUL-2025-10-30", clause="1",
                                 obligations=[{"kind": "ceasefire", "title": "Maintain the ceasefire",
                                               "obliged": ["AFG", "PAK"]}])  # fmt: skip
    ob = services.obligations_of(d).get()
    assert (ob.agreement.code, ob.clause.number) == ("ISTANBUL-2025-10-30", "1")
    plain = services.record_decision(users["qat_lead"], m.code, text="Meet again in Istanbul.")
    assert (plain.number, plain.agreement_id, services.obligations_of(plain).count()) == (2, None, 0)
    assert not Agreement.objects.filter(code=m.code).exists()


def test_every_row_matches_its_newest_log_entry(users):
    """After a full walk (delegation changed, rescheduled, held, minutes, a decision with obligations) every
    meetings row is what its newest log entry committed to: no change went around the log."""
    from sulh.ledger.audit import check_records
    from sulh.ledger.verify import Report

    m = _meeting(users, start_in=dt.timedelta(days=2))
    services.enter_delegation(users["pak_liaison"], m.code, members=[{"name": "A", "title": "Head"}])
    services.enter_delegation(users["pak_liaison"], m.code, members=[{"name": "B", "title": "Head"}])
    services.reschedule(users["qat_lead"], m.code, starts_at=m.starts_at + dt.timedelta(days=1),
                        ends_at=m.ends_at + dt.timedelta(days=1), reason="Travel")  # fmt: skip
    m.refresh_from_db()
    _fire_at(m.starts_at - dt.timedelta(hours=1))
    with mock.patch("django.utils.timezone.now", return_value=m.starts_at + dt.timedelta(hours=1)):
        _all_present(users, m)
        services.record_minutes(users["qat_lead"], m.code, text="Minutes")
        services.record_decision(users["qat_lead"], m.code, text="Hotline staffed",
                                 obligations=[{"kind": "other", "title": "Staff the hotline", "obliged": ["AFG"]}])  # fmt: skip
    report = Report()
    check_records(report, LogEntry.objects.count())
    assert report.problems == []
    mine = (
        "meeting ",
        "meeting_change",
        "delegation",
        "attendance",
        "minutes",
        "decision",
        "meeting_reminder",
    )
    assert sum(any(n.startswith(f"database: every {k}") for k in mine) for n in report.notes) >= 7
    # And a row changed behind Sulh's back is caught.
    Meeting.objects.filter(pk=m.pk).update(place="Kabul")
    report = Report()
    check_records(report, LogEntry.objects.count())
    assert any(str(m.pk) in p.where for p in report.problems)
