"""De-escalation protocols through the services: runs started by filed incidents and by hotline messages,
steps met by messages, reports and meetings, breaches and reminders from stored deadlines, and each
party's compliance record. Expected tasks and times are written out from the af-pak charter by hand."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.deadlines.models import Deadline
from sulh.hotline import services as hotline
from sulh.hotline.models import Event
from sulh.incidents import services as incidents
from sulh.protocols import services
from sulh.protocols.models import MEDIATORS, ProtocolRun, Task, TaskReport

from .world import file_incident, fire, make_due, notify, recent

pytestmark = pytest.mark.django_db

M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def tasks_of(run) -> dict[tuple[str, str], Task]:
    return {(t.step, t.party): t for t in Task.objects.filter(run=run).select_related("post")}


def the_run(incident, protocol="CROSS-BORDER-FIRE") -> ProtocolRun:
    return ProtocolRun.objects.get(incident=incident, protocol=protocol)


def task_events(task) -> list[str]:
    return list(Event.objects.filter(task_id=task.pk).order_by("seq").values_list("kind", flat=True))


# --- starting from an incident -------------------------------------------------------------------------------


def test_cross_border_fire_starts_the_run_with_its_tasks(users):
    incident = file_incident(users["pak_liaison"])  # fire from Afghanistan on Landi Kotal, Khyber
    assert incident.sector == "S6-KHYBER"
    run = ProtocolRun.objects.get(incident=incident)
    assert (run.protocol, run.affected, run.counterpart, run.sector) == ("CROSS-BORDER-FIRE", "PAK", "AFG", "S6-KHYBER")
    filed_at = incident.claims.get().filed_at
    # The run counts from the filing (the moment the mechanism knows), within the filing transaction.
    assert incident.created_at <= run.triggered_at and abs((run.triggered_at - filed_at).total_seconds()) < 1
    assert run.closed_at is None
    assert [s["code"] for s in run.definition["steps"]] == ["NOTIFY", "ACKNOWLEDGE", "HOLD-FIRE", "JOINT-VISIT", "BRIEF-MEDIATORS"]
    t0 = run.triggered_at
    got = sorted(
        (t.step_index, t.step, t.party, t.post.code if t.post else None, t.state, t.due_at)
        for t in Task.objects.filter(run=run).select_related("post")
    )  # fmt: skip
    assert got == [
        (0, "NOTIFY", "PAK", "PAK-S6", "open", t0 + 10 * M),
        (1, "ACKNOWLEDGE", "AFG", "AFG-S6", "waiting", None),
        (2, "HOLD-FIRE", "AFG", "AFG-S6", "open", t0 + H),
        (2, "HOLD-FIRE", "PAK", "PAK-S6", "open", t0 + H),
        (3, "JOINT-VISIT", "PAK", "PAK-R-EAST", "open", t0 + 24 * H),
        (4, "BRIEF-MEDIATORS", "AFG", "AFG-HQ", "open", t0 + 48 * H),
        (4, "BRIEF-MEDIATORS", "PAK", "PAK-HQ", "open", t0 + 48 * H),
    ]
    tasks = tasks_of(run)
    notify_task = tasks["NOTIFY", "PAK"]
    # Its timers are stored rows: the due time, and a reminder a quarter of `within` before it.
    stored = dict(Deadline.objects.filter(subject=str(notify_task.pk), state="pending").values_list("kind", "due_at"))
    assert stored == {services.DUE: t0 + 10 * M, services.REMIND: t0 + 10 * M - dt.timedelta(seconds=150)}
    # The waiting step has no timer until the step it follows is done.
    assert not Deadline.objects.filter(subject=str(tasks["ACKNOWLEDGE", "AFG"].pk)).exists()
    # Each task was announced on the stream (to its post and the mediators' cell).
    assert task_events(notify_task) == ["task.created"]
    ev = Event.objects.get(task_id=notify_task.pk)
    assert set(ev.audience.values_list("post__code", flat=True)) == {"PAK-S6", "MED-CELL"}


@pytest.mark.parametrize(("age", "starts"), [(dt.timedelta(days=1), True), (dt.timedelta(days=3), False)])
def test_an_incident_registered_long_after_it_ended_starts_no_run(users, age, starts):
    now = timezone.now()
    incident = file_incident(
        users["pak_liaison"], date_start=(now - age - H).isoformat(), date_end=(now - age).isoformat()
    )  # max_age of CROSS-BORDER-FIRE is P2D
    assert ProtocolRun.objects.filter(incident=incident).exists() is starts


def test_the_shipped_default_payload_is_history_and_starts_nothing(users):
    from sulh.conftest import incident_payload
    from sulh.incidents.schemas import IncidentIn

    claim = incidents.create_incident(users["pak_liaison"], IncidentIn(**incident_payload()))  # October 2025
    assert not ProtocolRun.objects.filter(incident=claim.incident).exists()


def test_a_type_no_protocol_names_starts_none(users):
    incident = file_incident(users["pak_liaison"], sub_event_type="Fortification or construction at the line")
    assert not ProtocolRun.objects.filter(incident=incident).exists()


def test_min_severity_counts_the_filed_casualties(users):
    # MILITANT-ATTACK needs severity 3 (at least one death).
    quiet = file_incident(users["pak_liaison"], sub_event_type="Ground incursion", deaths_a=None, deaths_b=None)
    assert not ProtocolRun.objects.filter(incident=quiet).exists()
    deadly = file_incident(users["pak_liaison"], sub_event_type="Ground incursion", deaths_a=None, deaths_b=2)
    assert list(ProtocolRun.objects.filter(incident=deadly).values_list("protocol", flat=True)) == ["MILITANT-ATTACK"]


def test_a_draft_starts_nothing_until_it_is_filed_and_a_second_claim_starts_no_second_run(users):
    claim = incidents.create_incident(users["pak_liaison"], recent(file=False))
    assert not ProtocolRun.objects.exists()
    incidents.file_claim(users["pak_liaison"], claim.pk)
    assert ProtocolRun.objects.filter(incident=claim.incident).count() == 1
    incidents.add_claim(users["qat_verifier"], claim.incident, recent(source_name="Mediators' cell"))
    incidents.add_claim(users["pak_commander"], claim.incident, recent(source_name="XI Corps"))
    assert ProtocolRun.objects.filter(incident=claim.incident).count() == 1
    assert Task.objects.filter(run__incident=claim.incident).count() == 7


def test_sides_without_an_alleged_violator_follow_the_reporting_party(users):
    from sulh.conftest import SPIN_BOLDAK

    incident = file_incident(users["afg_liaison"], point=SPIN_BOLDAK, alleged_violator="", location_name="Spin Boldak")
    run = the_run(incident)
    assert (run.affected, run.counterpart, run.sector) == ("AFG", "PAK", "S2-CHAMAN")
    assert tasks_of(run)["NOTIFY", "AFG"].post.code == "AFG-S2"


# --- steps met by hotline messages ----------------------------------------------------------------------------


def test_notification_and_acknowledgement_meet_their_steps(users, desks):
    incident = file_incident(users["pak_liaison"])
    run = the_run(incident)
    msg = notify(desks["PAK-S6"], incident)
    tasks = tasks_of(run)
    n, ack = tasks["NOTIFY", "PAK"], tasks["ACKNOWLEDGE", "AFG"]
    assert (n.state, n.met_with, n.met_at, n.met_by) == ("met", msg.code, msg.sent_at, desks["PAK-S6"])
    assert (ack.state, ack.due_at) == ("open", msg.sent_at + 15 * M)
    assert not Deadline.objects.filter(subject=str(n.pk), state="pending").exists()
    assert set(Deadline.objects.filter(subject=str(ack.pk), state="pending").values_list("kind", flat=True)) == {
        services.DUE, services.REMIND,
    }  # fmt: skip
    hotline.acknowledge(desks["AFG-S6"], msg.code, reply="Orders passed to our posts")
    msg.refresh_from_db()
    ack.refresh_from_db()
    assert (ack.state, ack.met_with, ack.met_at, ack.met_by) == ("met", msg.code, msg.acknowledged_at, desks["AFG-S6"])
    assert task_events(n) == ["task.created", "task.met"] and task_events(ack) == ["task.created", "task.met"]
    assert not Deadline.objects.filter(subject=str(ack.pk), state="pending").exists()
    # Nothing else moved.
    assert {t.state for k, t in tasks_of(run).items() if k[0] not in ("NOTIFY", "ACKNOWLEDGE")} == {"open"}


def test_messages_of_the_wrong_party_or_type_meet_nothing(users, desks):
    incident = file_incident(users["pak_liaison"], audience="parties")  # the Afghan desk may see it
    run = the_run(incident)
    notify(desks["AFG-S6"], incident)  # the counterpart's own notification is not the affected party's
    notify(desks["PAK-S6"], incident, message_type="hold_fire_request")  # not a notification
    tasks = tasks_of(run)
    assert tasks["NOTIFY", "PAK"].state == "open" and tasks["ACKNOWLEDGE", "AFG"].state == "waiting"
    other = file_incident(users["pak_liaison"])
    notify(desks["PAK-S6"], other)  # about another incident
    assert tasks_of(run)["NOTIFY", "PAK"].state == "open"
    assert tasks_of(the_run(other))["NOTIFY", "PAK"].state == "met"


def test_a_notification_sent_before_the_claim_was_filed_counts(users, desks):
    claim = incidents.create_incident(desks["PAK-S6"], recent(file=False))
    first = notify(desks["PAK-S6"], claim.incident, body="Fire on Landi Kotal, details follow")
    second = notify(desks["PAK-S6"], claim.incident, body="Second notification: fire continues")
    hotline.acknowledge(desks["AFG-S6"], first.code)
    assert not ProtocolRun.objects.exists()
    incidents.file_claim(desks["PAK-S6"], claim.pk)
    first.refresh_from_db()
    tasks = tasks_of(the_run(claim.incident))
    n, ack = tasks["NOTIFY", "PAK"], tasks["ACKNOWLEDGE", "AFG"]
    # The first notification did it, not the latest one.
    assert (n.state, n.met_with, n.met_at) == ("met", first.code, first.sent_at)
    assert ack.due_at == first.sent_at + 15 * M
    assert (ack.state, ack.met_with, ack.met_at) == ("met", first.code, first.acknowledged_at)
    assert second.code not in {t.met_with for t in tasks.values()}


def test_an_answer_in_the_thread_of_a_message_about_the_incident_meets_its_step(users, desks):
    # AIR-STRIKE on Afghan soil: Kabul asks Rawalpindi for clarification about the incident; Rawalpindi cannot
    # see the incident (its audience is the mediators) and answers in the thread.
    incident = file_incident(users["afg_liaison"], event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
                             alleged_violator="PAK", point=(32.73, 69.25), location_name="Barmal, Paktika")  # fmt: skip
    run = the_run(incident, "AIR-STRIKE")
    request = notify(desks["AFG-HQ"], incident, channel="NATIONAL", message_type="clarification_request",
                     body="Who flew the drone over Barmal at 01:10?")  # fmt: skip
    answer = hotline.send(desks["PAK-HQ"], hotline.Outgoing(
        channel="NATIONAL", message_type="clarification_answer", priority="immediate", reply_to=request.code,
        body="No Pakistani aircraft flew there; we ask for the coordinates",
    ))  # fmt: skip
    assert answer.incident_id is None
    tasks = tasks_of(run)
    assert (tasks["CLARIFY", "AFG"].state, tasks["CLARIFY", "AFG"].met_with) == ("met", request.code)
    assert (tasks["ANSWER", "PAK"].state, tasks["ANSWER", "PAK"].met_with) == ("met", answer.code)


def test_a_sector_step_for_an_incident_in_no_sector_goes_to_no_sector_desk(users):
    # Fire deep inside Pakistan (Islamabad, 190 km from the line): no sector, so no sector desk is the right one.
    incident = file_incident(users["pak_liaison"], point=(33.6844, 73.0479), location_name="Islamabad")
    assert incident.sector == ""
    tasks = tasks_of(the_run(incident))
    assert tasks["NOTIFY", "PAK"].post is None and tasks["HOLD-FIRE", "AFG"].post is None
    assert tasks["BRIEF-MEDIATORS", "PAK"].post.code == "PAK-HQ"  # the national desk answers for every sector
    assert tasks["JOINT-VISIT", "PAK"].post is None


# --- breaches and reminders -------------------------------------------------------------------------------------


def test_a_missed_step_is_breached_at_its_deadline_and_counts_late_when_done(users, desks):
    incident = file_incident(users["pak_liaison"])
    run = the_run(incident)
    n = tasks_of(run)["NOTIFY", "PAK"]
    assert make_due(services.DUE, n.pk) == 1
    fired = fire()
    assert [(d.kind, d.subject, d.state) for d in fired] == [(services.DUE, str(n.pk), "fired")]
    tasks = tasks_of(run)
    n, ack = tasks["NOTIFY", "PAK"], tasks["ACKNOWLEDGE", "AFG"]
    assert (n.state, n.breached_at) == ("breached", n.due_at)
    ev = Event.objects.get(task_id=n.pk, kind="task.breached")
    assert ev.detail["party"] == "PAK" and ev.detail["step"] == "NOTIFY"
    assert set(ev.audience.values_list("post__code", flat=True)) == {"PAK-S6", "MED-CELL"}
    # The step that follows opens from the breach: the counterpart's clock starts anyway.
    assert (ack.state, ack.due_at) == ("open", n.due_at + 15 * M)
    # Its reminder is cancelled with it; firing again changes nothing.
    assert not Deadline.objects.filter(subject=str(n.pk), state="pending").exists()
    assert fire() == []
    assert task_events(n) == ["task.created", "task.breached"]
    # Done late: met_late, the breach stays on the record, the next step's deadline does not move.
    msg = notify(desks["PAK-S6"], incident)
    n.refresh_from_db()
    ack.refresh_from_db()
    assert (n.state, n.breached_at, n.met_at, n.met_with) == ("met_late", n.due_at, msg.sent_at, msg.code)
    assert ack.due_at == n.due_at + 15 * M
    assert Event.objects.get(task_id=n.pk, kind="task.met").detail["late"] is True


def test_a_step_done_after_its_deadline_but_before_the_timer_fired_is_late(users, desks):
    incident = file_incident(users["pak_liaison"])
    run = the_run(incident)
    Task.objects.filter(run=run, step="NOTIFY").update(due_at=timezone.now() - M)  # the runner has not fired yet
    msg = notify(desks["PAK-S6"], incident)
    n = tasks_of(run)["NOTIFY", "PAK"]
    assert (n.state, n.breached_at, n.met_with) == ("met_late", n.due_at, msg.code)
    assert not Deadline.objects.filter(subject=str(n.pk), state="pending").exists()


def test_reminder_while_open_and_none_once_met(users, desks):
    incident = file_incident(users["pak_liaison"])
    run = the_run(incident)
    tasks = tasks_of(run)
    hold = tasks["HOLD-FIRE", "PAK"]
    assert make_due(services.REMIND, hold.pk) == 1
    fire()
    assert task_events(hold) == ["task.created", "task.reminder"]
    ev = Event.objects.get(task_id=hold.pk, kind="task.reminder")
    assert 0 < ev.detail["due_in_s"] <= 3600 and ev.detail["state"] == "open"
    hold.refresh_from_db()
    assert hold.state == "open"  # a reminder is not a breach

    n = tasks["NOTIFY", "PAK"]
    notify(desks["PAK-S6"], incident)
    assert Deadline.objects.get(kind=services.REMIND, subject=str(n.pk)).state == "cancelled"
    assert make_due(services.REMIND, n.pk) == 0  # cancelled: nothing to make due
    # Even a reminder taken by the runner just before the step was met finds it met and stays silent.
    Deadline.objects.filter(kind=services.REMIND, subject=str(n.pk)).update(state="pending")
    make_due(services.REMIND, n.pk)
    assert [d.state for d in fire()] == ["fired"]
    assert task_events(n) == ["task.created", "task.met"]


def test_no_reminder_once_the_deadline_has_passed(users, desks):
    """After a downtime the reminder and the deadline come due together: the breach is recorded, no reminder."""
    incident = file_incident(users["pak_liaison"])
    hold = tasks_of(the_run(incident))["HOLD-FIRE", "PAK"]
    Task.objects.filter(pk=hold.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    make_due(services.REMIND, hold.pk)
    make_due(services.DUE, hold.pk)
    fire()
    assert task_events(hold) == ["task.created", "task.breached"]


def test_both_parties_must_be_done_before_the_next_step_opens(users, desks):
    # RETURN-OF-PERSONS: HANDOVER is for both parties; CONFIRM (mediators) follows it.
    msg = hotline.send(desks["PAK-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="return_of_persons", priority="immediate",
        body="Two shepherds from Nangarhar strayed across near Torkham; ready to hand over at the gate",
    ))  # fmt: skip
    run = ProtocolRun.objects.get(message=msg)
    tasks = tasks_of(run)
    services.file_report(desks["PAK-S6"], tasks["HANDOVER", "PAK"].pk, text="Handed over at the gate", report="HANDOVER-COMPLETED")
    assert tasks_of(run)["CONFIRM", MEDIATORS].state == "waiting"
    afg = tasks["HANDOVER", "AFG"]
    make_due(services.DUE, afg.pk)
    fire()
    afg.refresh_from_db()
    confirm = tasks_of(run)["CONFIRM", MEDIATORS]
    assert afg.state == "breached"
    assert (confirm.state, confirm.due_at, confirm.post.code) == ("open", afg.due_at + 24 * H, "MED-CELL")


# --- reports and meetings ---------------------------------------------------------------------------------------


@pytest.fixture
def fire_run(users, desks):
    incident = file_incident(users["pak_liaison"])
    return the_run(incident)


def test_hold_fire_report_meets_the_filing_partys_task_only(fire_run, desks):
    tasks = tasks_of(fire_run)
    row = services.file_report(
        desks["PAK-S6"], tasks["HOLD-FIRE", "PAK"].pk, text="All posts in Khyber ordered to hold fire", report="HOLD-FIRE-CONFIRMED"
    )  # fmt: skip
    after = tasks_of(fire_run)
    pak, afg = after["HOLD-FIRE", "PAK"], after["HOLD-FIRE", "AFG"]
    assert (pak.state, pak.met_with, pak.met_at, pak.met_by) == ("met", str(row.pk), row.filed_at, desks["PAK-S6"])
    assert (row.kind, row.report, row.task_id) == ("report", "HOLD-FIRE-CONFIRMED", pak.pk)
    assert afg.state == "open" and afg.met_at is None


def test_reports_refused(fire_run, desks, users):
    tasks = tasks_of(fire_run)
    afg_hold, pak_hold = tasks["HOLD-FIRE", "AFG"], tasks["HOLD-FIRE", "PAK"]
    cases = [
        (desks["PAK-S6"], afg_hold, {"report": "HOLD-FIRE-CONFIRMED"}, PermissionDenied),  # the other party's
        (users["pak_analyst"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED"}, PermissionDenied),  # role
        (desks["MED-CELL"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED"}, PermissionDenied),  # not the mediators'
        (desks["PAK-S6"], pak_hold, {"report": "JOINT-VISIT-REQUESTED"}, ValidationFailed),  # wrong form
        (desks["PAK-S6"], pak_hold, {"report": ""}, ValidationFailed),
        (desks["PAK-S6"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED", "text": "  "}, ValidationFailed),
        (desks["PAK-S6"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED", "text": "x" * 8001}, ValidationFailed),
        # A form is dated when it is filed: it cannot be backdated to beat the deadline.
        (desks["PAK-S6"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED", "held_at": timezone.now() - H}, ValidationFailed),
        (desks["PAK-S6"], tasks["NOTIFY", "PAK"], {"report": "HOLD-FIRE-CONFIRMED"}, ValidationFailed),  # a message step
        (users["jmt_monitor"], pak_hold, {"report": "HOLD-FIRE-CONFIRMED"}, NotFound),  # cannot see it at all
        (desks["PAK-S6"], "not-a-task", {"report": "HOLD-FIRE-CONFIRMED"}, NotFound),
    ]  # fmt: skip
    for user, task, kw, error in cases:
        kw = {"text": "Hold-fire ordered", **kw}
        with pytest.raises(error):
            services.file_report(user, getattr(task, "pk", task), **kw)
    assert not TaskReport.objects.exists()
    assert {t.state for t in tasks_of(fire_run).values() if t.step != "ACKNOWLEDGE"} == {"open"}


def test_meetings_need_a_past_held_at(fire_run, desks):
    task = tasks_of(fire_run)["BRIEF-MEDIATORS", "PAK"]
    for held_at in (None, timezone.now() + H):
        with pytest.raises(ValidationFailed) as info:
            services.file_report(desks["PAK-HQ"], task.pk, text="Briefed the mediators' cell", held_at=held_at)
        assert info.value.field == "held_at"
    assert not TaskReport.objects.exists()
    held = timezone.now() - 2 * H
    row = services.file_report(desks["PAK-HQ"], task.pk, text="Briefed the cell in Doha", held_at=held, place="Doha",
                               attendees="DGMO staff; QAT, TUR")  # fmt: skip
    task.refresh_from_db()
    assert (row.kind, row.held_at, row.place) == ("meeting", held, "Doha")
    assert (task.state, task.met_at, task.met_with) == ("met", held, str(row.pk))
    with pytest.raises(Conflict):
        services.file_report(desks["PAK-HQ"], task.pk, text="Briefed again", held_at=held)
    assert TaskReport.objects.count() == 1


def test_a_meeting_after_the_deadline_is_late(fire_run, desks):
    task = tasks_of(fire_run)["BRIEF-MEDIATORS", "AFG"]
    due = timezone.now() - 3 * H
    Task.objects.filter(pk=task.pk).update(due_at=due)
    held = timezone.now() - H
    services.file_report(desks["AFG-HQ"], task.pk, text="Briefed", held_at=held)
    task.refresh_from_db()
    assert (task.state, task.met_at, task.breached_at) == ("met_late", held, due)


def test_mediators_steps_are_filed_by_mediators_staff(users, desks):
    incident = file_incident(users["afg_liaison"], event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
                             alleged_violator="PAK", point=(34.43, 70.45), location_name="Nangarhar")  # fmt: skip
    run = the_run(incident, "AIR-STRIKE")
    assert (run.affected, run.counterpart) == ("AFG", "PAK")
    assess = tasks_of(run)["ASSESS", MEDIATORS]
    assert (assess.post.code, assess.state, assess.due_at) == ("MED-CELL", "open", run.triggered_at + 48 * H)
    for who in (desks["AFG-HQ"], desks["PAK-HQ"]):
        with pytest.raises(PermissionDenied):
            services.file_report(who, assess.pk, text="Our assessment", report="MEDIATORS-ASSESSMENT")
    with pytest.raises(PermissionDenied):  # an analyst of a mediator does not file for the cell
        services.file_report(users["tur_analyst"], assess.pk, text="Assessment", report="MEDIATORS-ASSESSMENT")
    row = services.file_report(users["qat_verifier"], assess.pk, text="Strike confirmed from imagery", report="MEDIATORS-ASSESSMENT")
    assess.refresh_from_db()
    assert (assess.state, assess.met_by, assess.met_with) == ("met", users["qat_verifier"], str(row.pk))


# --- runs started by messages ------------------------------------------------------------------------------------


def test_a_medevac_message_starts_medevac_for_the_sender(desks):
    msg = hotline.send(desks["AFG-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="medevac", priority="flash",
        body="Two wounded civilians at Torkham need evacuation to Peshawar", latitude=34.12, longitude=71.08,
    ))  # fmt: skip
    run = ProtocolRun.objects.get(message=msg)
    assert (run.protocol, run.affected, run.counterpart, run.sector, run.incident_id) == ("MEDEVAC", "AFG", "PAK", "S6-KHYBER", None)
    assert run.triggered_at == msg.sent_at and run.started_by == desks["AFG-S6"]
    tasks = tasks_of(run)
    safe, handover = tasks["SAFE-PASSAGE", "PAK"], tasks["HANDOVER", "AFG"]
    assert (safe.post.code, safe.state, safe.due_at) == ("PAK-S6", "open", msg.sent_at + H)
    assert (handover.post.code, handover.state, handover.due_at) == ("AFG-S6", "waiting", None)
    row = services.file_report(desks["PAK-S6"], safe.pk, text="Safe passage through the gate", report="SAFE-PASSAGE-CONFIRMED")
    handover.refresh_from_db()
    assert (handover.state, handover.due_at) == ("open", row.filed_at + 12 * H)
    assert ProtocolRun.objects.count() == 1  # the message starts MEDEVAC only


def test_return_of_persons_is_acknowledged_by_the_counterpart(desks):
    msg = hotline.send(desks["PAK-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="return_of_persons", priority="routine",
        body="Three Afghan nationals detained after crossing near Torkham, to be returned",
    ))  # fmt: skip
    run = ProtocolRun.objects.get(message=msg)
    assert (run.protocol, run.affected, run.counterpart) == ("RETURN-OF-PERSONS", "PAK", "AFG")
    ack = tasks_of(run)["ACKNOWLEDGE", "AFG"]
    assert (ack.state, ack.due_at) == ("open", msg.sent_at + 4 * H)
    hotline.acknowledge(desks["AFG-S6"], msg.code, reply="We will receive them at the gate")
    msg.refresh_from_db()
    ack.refresh_from_db()
    assert (ack.state, ack.met_at, ack.met_with) == ("met", msg.acknowledged_at, msg.code)


def test_a_correction_carries_on_the_run_of_the_message_it_corrects(desks):
    first = hotline.send(desks["AFG-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="medevac", priority="flash", body="Two wounded at Torkham",
    ))  # fmt: skip
    hotline.send(desks["AFG-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="medevac", priority="flash", corrects=first.code,
        body="Correction: three wounded at Torkham, one a child",
    ))  # fmt: skip
    assert list(ProtocolRun.objects.values_list("protocol", "message")) == [("MEDEVAC", first.pk)]
    assert Task.objects.count() == 2


def test_a_run_closes_when_every_task_is_decided(desks, users):
    msg = hotline.send(desks["PAK-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="return_of_persons", priority="routine", body="Three to be returned",
    ))  # fmt: skip
    run = ProtocolRun.objects.get(message=msg)
    tasks = tasks_of(run)
    hotline.acknowledge(desks["AFG-S6"], msg.code)
    for party, desk in (("PAK", "PAK-S6"), ("AFG", "AFG-S6")):
        services.file_report(desks[desk], tasks["HANDOVER", party].pk, text="Handed over", report="HANDOVER-COMPLETED")
    run.refresh_from_db()
    assert run.closed_at is None  # the mediators' confirmation is still open
    assert tasks_of(run)["CONFIRM", MEDIATORS].state == "open"
    make_due(services.DUE, tasks["CONFIRM", MEDIATORS].pk)
    fire()
    run.refresh_from_db()
    assert run.closed_at is not None


def test_a_message_of_another_type_starts_nothing(desks):
    hotline.send(desks["PAK-S6"], hotline.Outgoing(
        channel="S6-KHYBER", message_type="hold_fire_request", priority="flash", body="Hold fire at Torkham",
    ))  # fmt: skip
    assert not ProtocolRun.objects.exists()


def test_a_protocol_started_by_hand_from_a_message_counts_the_message_itself(desks, users):
    msg = hotline.send(desks["AFG-HQ"], hotline.Outgoing(
        channel="NATIONAL", message_type="restraint_request", priority="flash",
        body="A drone struck near Barmal; we ask for restraint",
    ))  # fmt: skip
    hotline.acknowledge(desks["PAK-HQ"], msg.code)
    msg.refresh_from_db()
    run = services.start_manually(users["qat_lead"], "AIR-STRIKE", message_ref=msg.code)
    assert (run.affected, run.counterpart, run.started_by) == ("AFG", "PAK", users["qat_lead"])
    tasks = tasks_of(run)
    assert (tasks["RESTRAINT", "AFG"].state, tasks["RESTRAINT", "AFG"].met_with) == ("met", msg.code)
    assert (tasks["ACKNOWLEDGE", "PAK"].state, tasks["ACKNOWLEDGE", "PAK"].met_at) == ("met", msg.acknowledged_at)
    assert tasks["CLARIFY", "AFG"].state == "open"
    with pytest.raises(Conflict):
        services.start_manually(users["qat_lead"], "AIR-STRIKE", message_ref=msg.code)


# --- compliance and visibility ------------------------------------------------------------------------------------


def test_compliance_counts_each_partys_record(users, desks):
    incident = file_incident(users["pak_liaison"])
    run = the_run(incident)
    tasks = tasks_of(run)
    notify(desks["PAK-S6"], incident)  # PAK: NOTIFY on time
    ack = Task.objects.get(run=run, step="ACKNOWLEDGE")
    make_due(services.DUE, ack.pk)
    make_due(services.DUE, tasks["HOLD-FIRE", "AFG"].pk)
    fire()  # AFG: ACKNOWLEDGE and HOLD-FIRE breached
    services.file_report(desks["AFG-S6"], tasks["HOLD-FIRE", "AFG"].pk, text="Hold-fire ordered", report="HOLD-FIRE-CONFIRMED")
    services.file_report(desks["PAK-S6"], tasks["HOLD-FIRE", "PAK"].pk, text="Hold-fire ordered", report="HOLD-FIRE-CONFIRMED")
    # Now: PAK met 2 (NOTIFY, HOLD-FIRE), open 2 (JOINT-VISIT, BRIEF); AFG met late 1 (HOLD-FIRE), breached 1
    # (ACKNOWLEDGE), open 1 (BRIEF).
    expected = [
        {"party": "AFG", "met_on_time": 0, "met_late": 1, "breached": 1, "open": 1, "breaches": 2, "on_time_rate": 0.0},
        {"party": "PAK", "met_on_time": 2, "met_late": 0, "breached": 0, "open": 2, "breaches": 0, "on_time_rate": 1.0},
        {"party": MEDIATORS, "met_on_time": 0, "met_late": 0, "breached": 0, "open": 0, "breaches": 0, "on_time_rate": None},
    ]  # fmt: skip
    for who in ("qat_lead", "tur_analyst", "afg_analyst", "pak_liaison"):
        assert services.compliance(users[who]) == expected, who
    assert services.compliance(users["qat_lead"], since=timezone.now() + M)[0]["open"] == 0
    # Newest breach first: HOLD-FIRE was due an hour after the trigger, ACKNOWLEDGE 15 minutes after NOTIFY.
    assert [(t.step, t.party, t.state) for t in services.breaches(users["qat_lead"])] == [
        ("HOLD-FIRE", "AFG", "met_late"), ("ACKNOWLEDGE", "AFG", "breached"),
    ]  # fmt: skip
    assert list(services.breaches(users["qat_lead"], "PAK")) == []
    # One of AFG's three decided tasks on time:
    services.file_report(desks["AFG-HQ"], tasks["BRIEF-MEDIATORS", "AFG"].pk, text="Briefed", held_at=timezone.now() - M)
    afg = services.compliance(users["qat_lead"])[0]
    assert (afg["met_on_time"], afg["open"], afg["on_time_rate"]) == (1, 0, 0.333)


def test_who_sees_runs_and_tasks(users, desks):
    incident = file_incident(users["pak_liaison"])  # audience: mediators (the Afghan side cannot see the incident)
    run = the_run(incident)
    for who in ("jmt_monitor", "ops_admin", "public"):
        assert not services.visible_runs(users[who]).exists(), who
        assert not services.visible_tasks(users[who]).exists(), who
        assert list(services.tasks_due(users[who])) == [], who
        assert all(row["open"] == 0 for row in services.compliance(users[who])), who
    for who in ("afg_liaison", "afg_analyst", "pak_commander", "qat_verifier", "tur_analyst"):
        assert list(services.visible_runs(users[who])) == [run], who
        assert services.visible_tasks(users[who]).count() == 7, who
    # A run between other parties (a charter with more of them) is not a party's to see.
    other = ProtocolRun.objects.create(protocol="X", name="x", definition={}, affected="IRN", counterpart="PAK")
    assert other not in services.visible_runs(users["afg_liaison"])
    assert other in services.visible_runs(users["pak_liaison"]) and other in services.visible_runs(users["qat_lead"])
    # Each desk's due list: its own organisation's open tasks, soonest first.
    assert [(t.step, t.party) for t in services.tasks_due(desks["PAK-S6"])] == [
        ("NOTIFY", "PAK"), ("HOLD-FIRE", "PAK"), ("JOINT-VISIT", "PAK"), ("BRIEF-MEDIATORS", "PAK"),
    ]  # fmt: skip
    assert [(t.step, t.party) for t in services.tasks_due(desks["AFG-S6"])] == [("HOLD-FIRE", "AFG"), ("BRIEF-MEDIATORS", "AFG")]
    assert list(services.tasks_due(desks["MED-CELL"])) == []
