"""Verification cases through the API: the mediators open them (on a complaint or on their own initiative),
staff and plan them; a request for information goes to the party on the hotline from the mediators' cell and
is answered, refused or ignored; each party sees its own requests and nothing else of the plan; deadlines
mark late steps and late cases without closing anything; every change is in the log."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from sulh.conftest import incident_payload
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline.models import Message
from sulh.ledger.models import LogEntry
from sulh.verification.models import Case, CaseMember, PlanItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(api):
    """Fire from Afghanistan on Landi Kotal, filed by Pakistan for both parties to see."""
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    return r.json()["incident"]["code"]


@pytest.fixture
def complaint(api, incident):
    body = {"incidents": [incident], "clause": "DOHA-2025/2", "account": "Mortar fire from across the line at 02:00."}
    r = api("pak_liaison").post("/complaints", body)
    assert r.status_code == 201, r.content
    return r.json()["code"]


@pytest.fixture
def case(api, complaint):
    r = api("qat_verifier").post("/cases", {"complaint": complaint, "reason": "Complaint disputed; verify it."})
    assert r.status_code == 201, r.content
    return r.json()["code"]


def _plan(api, case, kind="desk_review", user="qat_verifier", **extra):
    return api(user).post(f"/cases/{case}/plan", {"kind": kind, "description": f"{kind} for {case}", **extra})


def _make_due(kind: str, subject: str) -> None:
    """Make one stored deadline due: the clock is not ours to move, the stored row is."""
    n = Deadline.objects.filter(kind=kind, subject=subject, state="pending").update(
        due_at=timezone.now() - dt.timedelta(seconds=1), run_at=timezone.now()
    )
    assert n == 1


def _kinds(record_type: str, record_id) -> list[str]:
    return list(LogEntry.objects.filter(record_type=record_type, record_id=str(record_id)).order_by("index")
                .values_list("kind", flat=True))  # fmt: skip


def _counts():
    return (Case.objects.count(), CaseMember.objects.count(), PlanItem.objects.count(), Message.objects.count(),
            LogEntry.objects.count(), Deadline.objects.count())  # fmt: skip


def test_opening_on_a_complaint_and_on_own_initiative(api, incident, complaint):
    r = api("qat_lead").post("/cases", {"complaint": complaint, "reason": "Disputed complaint", "team": ["qat_verifier", "tur_analyst"]})
    assert r.status_code == 201, r.content
    c = r.json()
    assert re.fullmatch(r"CASE-\d{4}-\d{2}-\d{4}", c["code"])
    assert (c["complaint"], c["incidents"], c["stage"], c["reopens"]) == (complaint, [incident], "investigating", None)
    opened = dt.datetime.fromisoformat(c["opened_at"])
    assert dt.datetime.fromisoformat(c["finding_due_at"]) - opened == dt.timedelta(days=30)  # finding_within
    assert {(m["username"], m["role"]) for m in c["team"]} == {("qat_lead", "lead"), ("qat_verifier", "member"), ("tur_analyst", "member")}
    assert Deadline.objects.get(kind="verification.case_due", subject=c["id"]).state == "pending"
    assert _kinds("case", c["id"]) == ["case.opened"]
    members = LogEntry.objects.filter(record_type="case_member", kind="case_member.created")
    assert members.count() == 3 and set(members.values_list("actor_user", flat=True)) == {"qat_lead"}

    # On the mediators' own initiative: no complaint, incidents named.
    r = api("qat_verifier").post("/cases", {"incidents": [incident], "reason": "Reports of shelling in the press"})
    assert r.status_code == 201, r.content
    own = r.json()
    assert own["complaint"] is None and own["incidents"] == [incident] and own["code"] != c["code"]
    assert [(m["username"], m["role"]) for m in own["team"]] == [("qat_verifier", "lead")]
    # Both parties see both cases (theirs by complaint, or about an incident they see) but not the team.
    for name in ("pak_liaison", "afg_liaison"):
        seen = {x["code"]: x for x in api(name).get("/cases").json()}
        assert set(seen) == {c["code"], own["code"]} and seen[c["code"]]["team"] == []
    for name in ("jmt_monitor", "ops_admin", "public"):
        assert api(name).get(f"/cases/{c['code']}").status_code == 404
        assert api(name).get("/cases").json() == []


def test_non_mediators_are_refused_and_bad_input_changes_nothing(api, incident, complaint, case):
    for name in ("pak_liaison", "afg_commander", "jmt_monitor", "tur_analyst", "ops_admin", "afg_liaison", "qat_lead"):
        api(name)  # their API tokens (logged themselves) exist before counting
    item = _plan(api, case).json()["id"]
    n = _counts()
    good = {"complaint": complaint, "reason": "Verify"}
    refusals = [
        (api("pak_liaison").post("/cases", good), 403, None),
        (api("jmt_monitor").post("/cases", good), 403, None),
        (api("tur_analyst").post("/cases", good), 403, None),  # mediators' staff, but neither lead nor verifier
        (api("ops_admin").post("/cases", good), 403, None),
        (api("qat_verifier").post("/cases", {"reason": "Verify"}), 422, "incidents"),
        (api("qat_verifier").post("/cases", {**good, "reason": "  "}), 422, "reason"),
        (api("qat_verifier").post("/cases", {**good, "complaint": "CMP-1999-01-0001"}), 404, "complaint"),
        (api("qat_verifier").post("/cases", {**good, "incidents": ["AFPK-1999-01-0001"]}), 404, "incidents"),
        (api("qat_verifier").post("/cases", {**good, "team": ["pak_liaison"]}), 422, "team"),
        (api("qat_verifier").post("/cases", {**good, "team": ["nobody"]}), 422, "team"),
        (_plan(api, case, user="afg_liaison"), 403, None),
        (_plan(api, case, kind="information_request"), 422, "party"),
        (_plan(api, case, kind="information_request", party="QAT"), 422, "party"),
        (_plan(api, case, party="AFG"), 422, "party"),
        (_plan(api, case, description=""), 422, "description"),
        (_plan(api, "CASE-1999-01-0001"), 404, None),
        (api("qat_verifier").post(f"/cases/{case}/team", {"username": "afg_liaison"}), 422, "username"),
        (api("qat_verifier").post(f"/cases/{case}/team", {"username": "qat_verifier", "role": "lead"}), 409, None),
        (api("pak_liaison").post(f"/cases/{case}/team", {"username": "qat_lead"}), 403, None),
        (api("qat_verifier").post(f"/cases/{case}/reopen", {"reason": "New evidence"}), 409, None),  # still open
        (api("qat_verifier").post(f"/plan-items/{item}/complete", {"report": " "}), 422, "report"),
        (api("qat_verifier").post(f"/plan-items/{item}/answer", {"answer": "x"}), 409, None),
        (api("afg_liaison").post(f"/plan-items/{item}/complete", {"report": "done"}), 403, None),
        (api("qat_verifier").post("/plan-items/not-an-id/complete", {"report": "done"}), 404, None),
        (api("pak_liaison").get("/cases/board"), 403, None),
    ]
    for i, (r, status, field) in enumerate(refusals):
        assert r.status_code == status, (i, r.content)
        assert r.json()["detail"]
        if field:
            assert r.json()["field"] == field, (i, r.content)
    assert _counts() == n


def test_a_request_for_information_goes_to_the_partys_desk_and_is_answered(api, case):
    r = _plan(api, case, kind="information_request", party="AFG", description="Positions of your posts near Torkham on 24 October")
    assert r.status_code == 201, r.content
    item = r.json()
    assert (item["party"], item["state"]) == ("AFG", "planned")
    assert dt.datetime.fromisoformat(item["due_at"]) - dt.datetime.fromisoformat(item["planned_at"]) == dt.timedelta(days=2)
    msg = Message.objects.get(code=item["message"])
    assert (msg.channel.code, msg.from_post.code, msg.to_post.code) == ("MED-AFG", "MED-CELL", "AFG-HQ")
    assert (msg.message_type, msg.priority, msg.sent_by.username) == ("clarification_request", "routine", "qat_verifier")
    assert case in msg.body and "Torkham" in msg.body
    # The party asked sees the message on its hotline.
    assert api("afg_liaison").get(f"/hotline/messages/{msg.code}").status_code == 200

    for name, status in (("pak_liaison", 404), ("afg_analyst", 403), ("qat_verifier", 403)):
        assert api(name).post(f"/plan-items/{item['id']}/answer", {"answer": "x"}).status_code == status
    assert api("afg_liaison").post(f"/plan-items/{item['id']}/answer", {"answer": "  "}).json()["field"] == "answer"
    before = timezone.now()
    r = api("afg_liaison").post(f"/plan-items/{item['id']}/answer", {"answer": "Posts 12 and 14; map attached to the reply."})
    assert r.status_code == 200, r.content
    got = r.json()
    assert (got["state"], got["done_by"]) == ("answered", "afg_liaison") and got["report"].startswith("Posts 12")
    assert dt.datetime.fromisoformat(got["done_at"]) >= before
    assert [x["kind"] for x in got["receipts"]] == ["plan_item.answered"]
    assert Deadline.objects.get(kind="verification.plan_due", subject=item["id"]).state == "cancelled"
    # Frozen: no second answer, no refusal afterwards.
    api("afg_commander")  # its API token (logged itself) exists before counting
    n = _counts()
    assert api("afg_commander").post(f"/plan-items/{item['id']}/answer", {"answer": "Other"}).status_code == 409
    assert api("afg_commander").post(f"/plan-items/{item['id']}/answer", {"refuse": True, "reason": "No"}).status_code == 409
    assert _counts() == n
    assert _kinds("plan_item", item["id"]) == ["plan_item.planned", "plan_item.answered"]


def test_a_refused_request_is_recorded_with_its_reason(api, case):
    item = _plan(api, case, kind="information_request", party="PAK").json()
    r = api("pak_commander").post(f"/plan-items/{item['id']}/answer", {"refuse": True})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    msg = Message.objects.get(code=item["message"])
    assert (msg.channel.code, msg.to_post.code) == ("MED-PAK", "PAK-HQ")
    r = api("pak_commander").post(f"/plan-items/{item['id']}/answer", {"refuse": True, "reason": "Operational secrecy"})
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["report"]) == ("refused", "Operational secrecy")
    assert _kinds("plan_item", item["id"]) == ["plan_item.planned", "plan_item.refused"]
    # The mediators see the refusal on the case.
    plan = api("qat_lead").get(f"/cases/{case}").json()["plan"]
    assert [(p["id"], p["state"]) for p in plan] == [(item["id"], "refused")]


def test_an_unanswered_request_is_recorded_as_ignored_and_a_late_step_as_overdue(api, case):
    rfi = _plan(api, case, kind="information_request", party="AFG").json()
    visit = _plan(api, case, kind="site_visit").json()
    assert dt.datetime.fromisoformat(visit["due_at"]) - dt.datetime.fromisoformat(visit["planned_at"]) == dt.timedelta(days=14)
    _make_due("verification.plan_due", rfi["id"])
    _make_due("verification.plan_due", visit["id"])
    assert [d.state for d in deadlines.fire_due()] == ["fired", "fired"]
    plan = {p["id"]: p["state"] for p in api("qat_verifier").get(f"/cases/{case}").json()["plan"]}
    assert plan == {rfi["id"]: "ignored", visit["id"]: "overdue"}
    assert _kinds("plan_item", rfi["id"]) == ["plan_item.planned", "plan_item.ignored"]
    assert api("afg_liaison").post(f"/plan-items/{rfi['id']}/answer", {"answer": "Late"}).status_code == 409
    # A late site visit can still be reported; its lateness stays in the log.
    r = api("qat_lead").post(f"/plan-items/{visit['id']}/complete", {"report": "Craters consistent with 82 mm mortar"})
    assert r.status_code == 200 and r.json()["state"] == "done" and r.json()["done_by"] == "qat_lead"
    assert _kinds("plan_item", visit["id"]) == ["plan_item.planned", "plan_item.overdue", "plan_item.done"]
    assert api("qat_lead").post(f"/plan-items/{visit['id']}/complete", {"report": "again"}).status_code == 409
    row = next(x for x in api("qat_verifier").get("/cases/board").json() if x["code"] == case)
    assert (row["late_steps"], row["refused_or_ignored"], row["next_due_at"]) == (1, 1, None)


def test_each_party_sees_its_own_requests_only(api, case):
    desk = _plan(api, case).json()
    afg = _plan(api, case, kind="information_request", party="AFG").json()
    pak = _plan(api, case, kind="information_request", party="PAK").json()
    assert [p["id"] for p in api("qat_verifier").get(f"/cases/{case}").json()["plan"]] == [desk["id"], afg["id"], pak["id"]]
    assert [p["id"] for p in api("afg_liaison").get(f"/cases/{case}").json()["plan"]] == [afg["id"]]
    assert [p["id"] for p in api("pak_analyst").get(f"/cases/{case}").json()["plan"]] == [pak["id"]]
    # Nor through the log's record openings.
    assert api("afg_liaison").get(f"/ledger/records/plan_item/{afg['id']}").status_code == 200
    for item in (desk, pak):
        assert api("afg_liaison").get(f"/ledger/records/plan_item/{item['id']}").status_code == 404
    assert api("afg_liaison").post(f"/plan-items/{pak['id']}/answer", {"answer": "x"}).status_code == 404
    assert api("afg_liaison").post(f"/plan-items/{desk['id']}/complete", {"report": "x"}).status_code == 403


def test_a_case_past_its_finding_deadline_is_marked_overdue_and_stays_open(api, case):
    c = Case.objects.get(code=case)
    _make_due("verification.case_due", str(c.pk))
    assert [d.state for d in deadlines.fire_due()] == ["fired"]
    got = api("qat_verifier").get(f"/cases/{case}").json()
    assert got["stage"] == "investigating" and got["overdue_at"] is not None
    assert _kinds("case", c.pk) == ["case.opened", "case.overdue"]
    row = next(x for x in api("qat_verifier").get("/cases/board").json() if x["code"] == case)
    assert row["overdue_at"] == got["overdue_at"]
    # Still open: steps can be planned.
    assert _plan(api, case).status_code == 201


def test_team_and_reopening(api, case):
    r = api("qat_verifier").post(f"/cases/{case}/team", {"username": "tur_analyst"})
    assert r.status_code == 200, r.content
    assert ("tur_analyst", "member") in {(m["username"], m["role"]) for m in r.json()["team"]}
    r = api("qat_verifier").post(f"/cases/{case}/team", {"username": "tur_analyst", "role": "lead"})
    assert r.status_code == 200 and [x["kind"] for x in r.json()["receipts"]] == ["case_member.updated"]
    # A concluded case (its finding published: the findings' services close it) can be reopened, once.
    Case.objects.filter(code=case).update(stage="closed")
    assert _plan(api, case).status_code == 409
    r = api("qat_lead").post(f"/cases/{case}/reopen", {"reason": "New video evidence of the shelling"})
    assert r.status_code == 201, r.content
    new = r.json()
    assert (new["reopens"], new["stage"], new["complaint"]) == (case, "investigating", Case.objects.get(code=case).complaint.code)
    assert new["incidents"] == api("qat_lead").get(f"/cases/{case}").json()["incidents"]
    assert _kinds("case", new["id"]) == ["case.reopened"]
    assert api("qat_lead").post(f"/cases/{case}/reopen", {"reason": "Again"}).status_code == 409
