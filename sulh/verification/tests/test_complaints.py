"""Complaints and the right of reply through the API: lodging tells the accused party on the hotline; the
draft reply is the accused party's alone; a submitted reply is frozen at server time; silence past the
deadline is recorded as silence; bad input is refused and changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.conftest import incident_payload
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline.models import Message
from sulh.ledger.models import LogEntry
from sulh.verification.models import Complaint, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(api):
    """Fire from Afghanistan on Landi Kotal, filed by Pakistan for both parties to see."""
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    return r.json()["incident"]["code"]


def _lodge(api, incident, user="pak_liaison", **overrides):
    body = {"incidents": [incident], "clause": "DOHA-2025/2", "account": "Mortar fire from across the line at 02:00."}
    body.update(overrides)
    return api(user).post("/complaints", body)


def _counts():
    return (Complaint.objects.count(), Reply.objects.count(), Message.objects.count(), LogEntry.objects.count(),
            Deadline.objects.count())  # fmt: skip


def test_lodging_tells_the_accused_party_and_starts_the_reply_clock(api, incident):
    r = _lodge(api, incident)
    assert r.status_code == 201, r.content
    c = r.json()
    assert (c["complainant"], c["accused"], c["incidents"], c["state"]) == ("PAK", "AFG", [incident], "awaiting_reply")
    assert [x["kind"] for x in c["receipts"]][-1] == "complaint.lodged"
    lodged = dt.datetime.fromisoformat(c["lodged_at"])
    assert dt.datetime.fromisoformat(c["reply_due_at"]) - lodged == dt.timedelta(days=3)  # deadlines.accused_reply
    note = Message.objects.get(code=c["notification"])
    assert (note.channel.code, note.from_post.code, note.to_post.code) == ("NATIONAL", "PAK-HQ", "AFG-HQ")
    assert c["code"] in note.body and note.incident.code == incident
    assert Deadline.objects.get(kind="verification.reply_due", subject=c["id"]).state == "pending"
    # Both parties and the mediators see the complaint; monitors, the operator and the public do not.
    for name in ("afg_liaison", "qat_verifier"):
        assert api(name).get(f"/complaints/{c['code']}").status_code == 200
    for name in ("jmt_monitor", "ops_admin", "public"):
        assert api(name).get(f"/complaints/{c['code']}").status_code == 404
        assert api(name).get("/complaints").json() == []


def test_the_draft_reply_is_the_accused_partys_alone_and_the_submitted_one_is_frozen(api, incident):
    code = _lodge(api, incident).json()["code"]
    draft = {"position": "disputes", "account": "Our posts did not fire; the shots came from a smugglers' camp."}
    r = api("afg_liaison").put(f"/complaints/{code}/reply", draft)
    assert r.status_code == 200, r.content
    assert r.json()["reply"]["draft"] is True
    reply = Reply.objects.get()
    # The complainant and the mediators see no draft, neither through the complaint nor through the log.
    for name in ("pak_liaison", "qat_verifier"):
        assert api(name).get(f"/complaints/{code}").json()["reply"] is None
        assert api(name).get(f"/ledger/records/reply/{reply.pk}").status_code == 404
    assert api("afg_liaison").get(f"/ledger/records/reply/{reply.pk}").status_code == 200
    # A second draft replaces the first (both versions are in the log).
    api("afg_liaison").put(f"/complaints/{code}/reply", {**draft, "position": "joint_inquiry"})
    assert LogEntry.objects.filter(record_type="reply", kind="reply.drafted").count() == 2

    before = timezone.now()
    # A client-given time is not a field of the submission: the server's clock stamps it.
    r = api("afg_commander").post(f"/complaints/{code}/reply/submit", {"submitted_at": "2025-01-01T00:00:00Z"})
    assert r.status_code == 200, r.content
    got = r.json()["reply"]
    assert got["draft"] is False and got["position"] == "joint_inquiry" and got["late"] is False
    assert dt.datetime.fromisoformat(got["submitted_at"]) >= before
    assert r.json()["state"] == "replied"
    assert Deadline.objects.get(kind="verification.reply_due").state == "cancelled"
    for name in ("pak_liaison", "qat_verifier"):
        assert api(name).get(f"/complaints/{code}").json()["reply"]["position"] == "joint_inquiry"
    # Frozen: no rewrite, no second submission.
    n = _counts()
    assert api("afg_liaison").put(f"/complaints/{code}/reply", draft).status_code == 409
    assert api("afg_liaison").post(f"/complaints/{code}/reply/submit").status_code == 409
    assert _counts() == n


def test_silence_past_the_deadline_is_recorded_as_silence_and_a_late_reply_as_late(api, incident):
    code = _lodge(api, incident).json()["code"]
    complaint = Complaint.objects.get(code=code)
    Deadline.objects.filter(subject=str(complaint.pk)).update(run_at=timezone.now())
    Complaint.objects.filter(pk=complaint.pk).update(reply_due_at=timezone.now() - dt.timedelta(seconds=1))
    assert [d.state for d in deadlines.fire_due()] == ["fired"]
    c = api("qat_verifier").get(f"/complaints/{code}").json()
    assert c["state"] == "silent" and c["reply"] is None and c["silent_at"] is not None
    assert LogEntry.objects.filter(record_type="complaint", kind="complaint.silent").count() == 1
    # A reply after the deadline is still taken, and marked late; the silence stays on the record.
    api("afg_liaison").put(f"/complaints/{code}/reply", {"position": "accepts", "account": "We accept."})
    got = api("afg_liaison").post(f"/complaints/{code}/reply/submit").json()
    assert got["reply"]["late"] is True and got["state"] == "replied" and got["silent_at"] == c["silent_at"]


def test_bad_input_is_refused_and_changes_nothing(api, incident, users):
    for name in ("pak_analyst", "jmt_monitor", "afg_analyst", "qat_lead", "afg_liaison"):
        api(name)  # their API tokens (logged themselves) exist before counting
    n = _counts()
    refusals = [
        (_lodge(api, incident, user="pak_analyst"), 403, None),  # an analyst does not speak for the party
        (_lodge(api, incident, user="jmt_monitor"), 403, None),
        (_lodge(api, incident, clause="DOHA-2025/99"), 422, "clause"),
        (_lodge(api, incident, incidents=[]), 422, "incidents"),
        (_lodge(api, incident, incidents=["AFPK-1999-01-0001"]), 404, "incidents"),
        (_lodge(api, incident, account="   "), 422, "account"),
        (_lodge(api, incident, evidence=["not-a-uuid"]), 422, "evidence"),
    ]
    for r, status, field in refusals:
        assert r.status_code == status, r.content
        assert r.json()["detail"]
        if field:
            assert r.json()["field"] == field
    assert _counts() == n
    code = _lodge(api, incident).json()["code"]
    n = _counts()
    draft = {"position": "disputes", "account": "No."}
    assert api("pak_liaison").put(f"/complaints/{code}/reply", draft).status_code == 403  # the complainant
    assert api("afg_analyst").put(f"/complaints/{code}/reply", draft).status_code == 403
    assert api("qat_lead").put(f"/complaints/{code}/reply", draft).status_code == 403
    assert api("jmt_monitor").put(f"/complaints/{code}/reply", draft).status_code == 404
    r = api("afg_liaison").put(f"/complaints/{code}/reply", {"position": "maybe", "account": "No."})
    assert r.status_code == 422
    r = api("afg_liaison").post(f"/complaints/{code}/reply/submit")
    assert r.status_code == 422 and r.json()["field"] == "reply"  # nothing drafted yet
    assert _counts() == n
