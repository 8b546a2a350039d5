"""The protocols' REST API: the charter's playbooks, runs and their tasks, starting a run by hand, the due
list, filing reports, and compliance. Bad input answers 4xx with a message and stores nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.protocols.models import ProtocolRun, Task, TaskReport

from .world import file_incident, fire, make_due, notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(users):
    return file_incident(users["pak_liaison"])  # CROSS-BORDER-FIRE starts; audience: mediators


def _task(run_id, step, party) -> Task:
    return Task.objects.get(run_id=run_id, step=step, party=party)


def test_protocols_lists_the_charters_playbooks(api):
    r = api("afg_liaison").get("/protocols")
    assert r.status_code == 200
    body = r.json()
    assert [p["code"] for p in body] == ["CROSS-BORDER-FIRE", "AIR-STRIKE", "MILITANT-ATTACK", "CROSSING-CLOSURE", "MEDEVAC", "RETURN-OF-PERSONS"]
    steps = body[0]["steps"]
    assert [(s["code"], s["responsible"], s["within"]) for s in steps] == [
        ("NOTIFY", "affected", "PT10M"), ("ACKNOWLEDGE", "counterpart", "PT15M"), ("HOLD-FIRE", "both", "PT1H"),
        ("JOINT-VISIT", "affected", "P1D"), ("BRIEF-MEDIATORS", "both", "P2D"),
    ]  # fmt: skip
    assert steps[1]["after"] == "NOTIFY" and steps[0]["done_when"] == {"kind": "message_sent", "message_type": "incident_notification", "report": None}


def test_runs_list_and_detail(api, incident, users):
    run = ProtocolRun.objects.get(incident=incident)
    r = api("pak_liaison").get("/protocol-runs")
    assert r.status_code == 200
    [body] = r.json()
    assert (body["id"], body["protocol"], body["incident"], body["affected"], body["counterpart"], body["sector"]) == (
        str(run.pk), "CROSS-BORDER-FIRE", incident.code, "PAK", "AFG", "S6-KHYBER",
    )  # fmt: skip
    assert [(t["step"], t["party"], t["post"], t["state"]) for t in body["tasks"]] == [
        ("NOTIFY", "PAK", "PAK-S6", "open"), ("ACKNOWLEDGE", "AFG", "AFG-S6", "waiting"),
        ("HOLD-FIRE", "AFG", "AFG-S6", "open"), ("HOLD-FIRE", "PAK", "PAK-S6", "open"),
        ("JOINT-VISIT", "PAK", "PAK-R-EAST", "open"), ("BRIEF-MEDIATORS", "AFG", "AFG-HQ", "open"),
        ("BRIEF-MEDIATORS", "PAK", "PAK-HQ", "open"),
    ]  # fmt: skip
    # The counterpart takes part in the run but may not see the incident: its code is withheld.
    r = api("afg_liaison").get(f"/protocol-runs/{run.pk}")
    assert r.status_code == 200 and r.json()["incident"] is None and len(r.json()["tasks"]) == 7
    assert api("qat_lead").get(f"/protocol-runs/{run.pk}").json()["incident"] == incident.code
    for who in ("jmt_monitor", "ops_admin", "public"):
        assert api(who).get("/protocol-runs").json() == [], who
        assert api(who).get(f"/protocol-runs/{run.pk}").status_code == 404, who
    assert api("pak_liaison").get("/protocol-runs/not-a-uuid").status_code == 422
    assert api("pak_liaison").get("/protocol-runs", open="false").json() == []
    assert len(api("pak_liaison").get("/protocol-runs", open="true").json()) == 1
    assert len(api("pak_liaison").get("/protocol-runs", incident=incident.code).json()) == 1
    assert api("afg_liaison").get("/protocol-runs", incident=incident.code).status_code == 404  # not theirs to see


def test_start_by_hand(api, incident):
    before = ProtocolRun.objects.count()
    # Already running for this incident.
    r = api("qat_lead").post("/protocol-runs", {"protocol": "CROSS-BORDER-FIRE", "incident": incident.code})
    assert r.status_code == 409 and "already running" in r.json()["detail"]
    r = api("qat_lead").post("/protocol-runs", {"protocol": "NO-SUCH", "incident": incident.code})
    assert r.status_code == 404 and r.json()["field"] == "protocol"
    for payload in ({"protocol": "AIR-STRIKE"}, {"protocol": "AIR-STRIKE", "incident": incident.code, "message": "HL-2025-01-0001"}):
        r = api("qat_lead").post("/protocol-runs", payload)
        assert r.status_code == 422 and r.json()["field"] == "incident", payload
    for who in ("jmt_monitor", "pak_analyst", "public"):
        r = api(who).post("/protocol-runs", {"protocol": "AIR-STRIKE", "incident": incident.code})
        assert r.status_code == 403, who
    # A party that cannot see the incident is told it does not exist.
    assert api("afg_liaison").post("/protocol-runs", {"protocol": "AIR-STRIKE", "incident": incident.code}).status_code == 404
    assert api("qat_lead").post("/protocol-runs", {"protocol": "AIR-STRIKE", "message": "HL-2025-01-0001"}).status_code == 404
    assert api("qat_lead").post("/protocol-runs", {"incident": incident.code}).status_code == 422  # no protocol
    assert ProtocolRun.objects.count() == before
    r = api("qat_lead").post("/protocol-runs", {"protocol": "AIR-STRIKE", "incident": incident.code})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["protocol"], body["affected"], body["counterpart"], body["incident"]) == ("AIR-STRIKE", "PAK", "AFG", incident.code)
    assert [t["step"] for t in body["tasks"]] == ["RESTRAINT", "ACKNOWLEDGE", "CLARIFY", "ANSWER", "ASSESS"]
    assert body["receipts"], "a write answers with its log receipts"
    run = ProtocolRun.objects.get(pk=body["id"])
    assert run.started_by.username == "qat_lead"


def test_due_list_of_a_desk(desk_api, incident, desks):
    r = desk_api("PAK-S6").get("/protocol-tasks/due")
    assert r.status_code == 200
    assert [(t["step"], t["party"]) for t in r.json()] == [
        ("NOTIFY", "PAK"), ("HOLD-FIRE", "PAK"), ("JOINT-VISIT", "PAK"), ("BRIEF-MEDIATORS", "PAK"),
    ]  # fmt: skip
    notify(desks["PAK-S6"], incident)
    assert [t["step"] for t in desk_api("PAK-S6").get("/protocol-tasks/due").json()] == ["HOLD-FIRE", "JOINT-VISIT", "BRIEF-MEDIATORS"]
    due = desk_api("AFG-S6").get("/protocol-tasks/due").json()
    assert [t["step"] for t in due] == ["ACKNOWLEDGE", "HOLD-FIRE", "BRIEF-MEDIATORS"]
    assert due[0]["due_at"] is not None
    assert desk_api("MED-CELL").get("/protocol-tasks/due").json() == []


def test_file_a_report(desk_api, incident):
    run = ProtocolRun.objects.get(incident=incident)
    hold = _task(run.pk, "HOLD-FIRE", "PAK")
    url = f"/protocol-tasks/{hold.pk}/reports"
    bad = [
        (desk_api("PAK-S6"), {"text": "Hold-fire ordered", "report": "WRONG-FORM"}, 422, "report"),
        (desk_api("PAK-S6"), {"text": "", "report": "HOLD-FIRE-CONFIRMED"}, 422, "text"),
        (desk_api("PAK-S6"), {"report": "HOLD-FIRE-CONFIRMED"}, 422, None),  # no text at all
        (desk_api("PAK-S6"), {"text": "x" * 8001, "report": "HOLD-FIRE-CONFIRMED"}, 422, None),
        (desk_api("PAK-S6"), {"text": "Ordered", "report": "HOLD-FIRE-CONFIRMED", "held_at": "yesterday"}, 422, None),
        (desk_api("AFG-S6"), {"text": "Hold-fire ordered", "report": "HOLD-FIRE-CONFIRMED"}, 403, None),  # PAK's task
        (desk_api("MED-CELL"), {"text": "Hold-fire ordered", "report": "HOLD-FIRE-CONFIRMED"}, 403, None),
    ]
    for client, payload, status, field in bad:
        r = client.post(url, payload)
        assert r.status_code == status, (payload, r.content)
        if field:
            assert r.json()["field"] == field and r.json()["detail"]
    assert desk_api("PAK-S6").post("/protocol-tasks/not-a-task/reports", {"text": "x"}).status_code == 404
    notify_task = _task(run.pk, "NOTIFY", "PAK")
    r = desk_api("PAK-S6").post(f"/protocol-tasks/{notify_task.pk}/reports", {"text": "Told them", "report": "X"})
    assert r.status_code == 422 and "hotline message" in r.json()["detail"]
    assert not TaskReport.objects.exists()
    hold.refresh_from_db()
    assert hold.state == "open"

    r = desk_api("PAK-S6").post(url, {"text": "All Khyber posts hold fire since 02:10", "report": "HOLD-FIRE-CONFIRMED"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["task"], body["kind"], body["report"]) == (str(hold.pk), "report", "HOLD-FIRE-CONFIRMED") and body["receipts"]
    hold.refresh_from_db()
    assert (hold.state, hold.met_with) == ("met", body["id"])
    r = desk_api("PAK-S6").post(url, {"text": "Again", "report": "HOLD-FIRE-CONFIRMED"})
    assert r.status_code == 409
    assert TaskReport.objects.count() == 1


def test_file_a_meeting(desk_api, incident):
    brief = _task(ProtocolRun.objects.get(incident=incident).pk, "BRIEF-MEDIATORS", "AFG")
    url = f"/protocol-tasks/{brief.pk}/reports"
    r = desk_api("AFG-HQ").post(url, {"text": "Briefed the cell"})
    assert r.status_code == 422 and r.json()["field"] == "held_at"
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    assert desk_api("AFG-HQ").post(url, {"text": "Briefed the cell", "held_at": future}).status_code == 422
    assert not TaskReport.objects.exists()
    held = "2020-01-01T10:00:00+04:30"  # long before the deadline: it is on time
    r = desk_api("AFG-HQ").post(url, {"text": "Briefed the cell in Kabul", "held_at": held, "place": "Kabul"})
    assert r.status_code == 201 and r.json()["kind"] == "meeting"
    brief.refresh_from_db()
    assert brief.state == "met" and brief.met_at == dt.datetime(2020, 1, 1, 5, 30, tzinfo=dt.UTC)


def test_compliance_and_breaches(api, desk_api, incident):
    run = ProtocolRun.objects.get(incident=incident)
    make_due("protocols.due", _task(run.pk, "NOTIFY", "PAK").pk)
    fire()
    desk_api("AFG-S6").post(f"/protocol-tasks/{_task(run.pk, 'HOLD-FIRE', 'AFG').pk}/reports",
                            {"text": "Ordered", "report": "HOLD-FIRE-CONFIRMED"})  # fmt: skip
    r = api("tur_analyst").get("/compliance")
    assert r.status_code == 200
    assert r.json() == [
        {"party": "AFG", "met_on_time": 1, "met_late": 0, "breached": 0, "open": 2, "breaches": 0, "on_time_rate": 1.0},
        {"party": "PAK", "met_on_time": 0, "met_late": 0, "breached": 1, "open": 3, "breaches": 1, "on_time_rate": 0.0},
        {"party": "MEDIATORS", "met_on_time": 0, "met_late": 0, "breached": 0, "open": 0, "breaches": 0, "on_time_rate": None},
    ]  # fmt: skip
    # ACKNOWLEDGE opened from the breach: AFG's open count includes it.
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert all(row["open"] == 0 for row in api("tur_analyst").get("/compliance", since=later).json())
    assert api("jmt_monitor").get("/compliance").json()[1]["breached"] == 0  # monitors see no runs
    r = api("qat_lead").get("/compliance/breaches")
    assert [(t["step"], t["party"], t["state"]) for t in r.json()] == [("NOTIFY", "PAK", "breached")]
    assert api("qat_lead").get("/compliance/breaches", party="AFG").json() == []
