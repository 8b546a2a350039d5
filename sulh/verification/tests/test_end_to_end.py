"""Issue 5's two walks through the whole procedure, through the API:

1. one incident from its first claim through a complaint, the accused party's reply, a case, a request for
   information, a site visit, a finding signed by two mediators with their own keys, a penalty, and its
   appearance in each party's compliance record;
2. a complaint the accused party leaves unanswered, and a case that runs out of time.

Every step is checked in the tamper-evident log as well."""

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import timezone

from sulh.conftest import ApiClient, incident_payload
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def _key(client) -> Ed25519PrivateKey:
    """A mediator makes a key on their own machine and registers its public half."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = client.post("/mediator-keys", {"public_key": base64.b64encode(public).decode()})
    assert r.status_code == 201, r.content
    return private


def _ok(r, status=200):
    assert r.status_code == status, r.content
    return r.json()


def _due_now(subject: str) -> None:
    now = timezone.now()
    Deadline.objects.filter(subject=subject, state="pending").update(due_at=now - dt.timedelta(seconds=1), run_at=now)


def _kinds(record_type: str, record_id: str) -> list[str]:
    return list(LogEntry.objects.filter(record_type=record_type, record_id=record_id).order_by("index").values_list("kind", flat=True))


def test_from_first_claim_to_compliance_record(api, make_user):
    # Two mediators sign (the charter asks for two), each with their own key.
    signers = {"qat_verifier": api("qat_verifier"), "tur_verifier": ApiClient(make_user("tur_verifier", "TUR", "verifier"))}
    # The first claim: Pakistan files fire from Afghanistan on a post near Landi Kotal, for both parties.
    incident = _ok(api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties")), 201)["incident"]
    code = incident["code"]

    # Complaint: Pakistan against Afghanistan under the Doha ceasefire's clause 2; Afghanistan told at once.
    complaint = _ok(api("pak_liaison").post("/complaints", {
        "incidents": [code], "clause": "DOHA-2025/2", "account": "Mortar fire on our post near Landi Kotal at 22:30."}), 201)  # fmt: skip
    assert complaint["notification"] and complaint["state"] == "awaiting_reply"

    # Reply: Afghanistan disputes and asks for a joint inquiry, within the deadline.
    _ok(api("afg_liaison").put(f"/complaints/{complaint['code']}/reply",
                               {"position": "joint_inquiry", "account": "Our posts did not fire; we ask for a joint visit."}))  # fmt: skip
    replied = _ok(api("afg_liaison").post(f"/complaints/{complaint['code']}/reply/submit"))
    assert replied["state"] == "replied" and replied["reply"]["late"] is False

    # Case: the mediators open one on the complaint.
    case = _ok(api("qat_lead").post("/cases", {"complaint": complaint["code"], "reason": "Complaint disputed; joint inquiry asked."}), 201)
    ref = case["code"]
    # Request for information to Afghanistan, through the hotline from the mediators' cell; answered.
    rfi = _ok(api("qat_lead").post(f"/cases/{ref}/plan", {
        "kind": "information_request", "party": "AFG", "description": "Positions of your posts facing Landi Kotal, 22:00-02:00."}), 201)  # fmt: skip
    rfi_id = rfi["id"] if "id" in rfi else rfi["plan"][-1]["id"]
    _ok(api("afg_liaison").post(f"/plan-items/{rfi_id}/answer", {"answer": "Posts 4 and 5, map attached; no fire orders given."}))
    # Site visit by a joint team, done.
    visit = _ok(api("qat_lead").post(f"/cases/{ref}/plan", {"kind": "site_visit", "description": "Joint visit to the post."}), 201)
    visit_id = visit["id"] if "id" in visit else visit["plan"][-1]["id"]
    _ok(api("qat_verifier").post(f"/plan-items/{visit_id}/complete", {"report": "Fresh mortar craters; fragments of 82 mm rounds; direction from the west."}))

    # Finding: verified, Afghanistan responsible, probable; signed by two mediators with their own keys.
    keys = {name: _key(client) for name, client in signers.items()}
    facts = {
        "outcome": "verified", "responsible": "AFG", "confidence": "PROBABLE", "clause": "DOHA-2025/2",
        "place": "Landi Kotal", "latitude": 34.0988, "longitude": 71.1453,
        "deaths_low": 5, "deaths_best": 5, "deaths_high": 6,
        "reasoning": "The craters and the fragments point west; the accused party's answer does not explain them.",
    }  # fmt: skip
    finding = _ok(api("qat_lead").post(f"/cases/{ref}/findings", facts), 201)
    fid = finding["id"]
    _ok(api("qat_lead").post(f"/findings/{fid}/submit"))
    statement = api("qat_verifier").get(f"/findings/{fid}/statement")
    assert statement.status_code == 200
    body = statement.content
    for name, private in keys.items():
        sig = base64.b64encode(private.sign(body)).decode()
        _ok(signers[name].post(f"/findings/{fid}/signatures", {"signature": sig}), 201)
    published = _ok(api("afg_liaison").get(f"/findings/{fid}"))  # the parties see it once published
    assert published["state"] == "published" and published["responsible"] == "AFG"
    assert _ok(api("qat_lead").get(f"/cases/{ref}"))["stage"] == "closed"
    assert Deadline.objects.get(kind="verification.case_due", subject=case["id"]).state == "cancelled"

    # Penalty: the charter calls for a written warning and, at this severity (5 killed), more; the lead decides.
    penalties = {p["penalty"]: p for p in published.get("penalties", [])} or {
        p["penalty"]: p for p in _ok(api("qat_lead").get(f"/findings/{fid}"))["penalties"]
    }
    assert "WARNING" in penalties and all(p["decision"] == "proposed" for p in penalties.values())
    _ok(api("qat_lead").post(f"/penalties/{penalties['WARNING']['id']}/decision", {"decision": "imposed", "note": "Issued in writing."}))

    # Each party's compliance record shows it.
    afg = _ok(api("pak_liaison").get("/compliance/AFG"))
    assert afg["complaints_against"]["replied_on_time"] == 1
    assert afg["findings"]["verified"] == 1
    assert afg["penalties"]["imposed"] == 1
    own = _ok(api("afg_liaison").get("/compliance/AFG"))
    assert own["information_requests"]["answered"] == 1
    pak = _ok(api("qat_lead").get("/compliance/PAK"))
    assert pak["complaints_lodged"]["total"] == 1 and pak["findings"]["verified"] == 0

    # Everything above is in the log, in order.
    assert _kinds("complaint", complaint["id"]) == ["complaint.lodged"]
    assert _kinds("finding", fid)[-1] == "finding.published"
    assert LogEntry.objects.filter(kind="reply.submitted").count() == 1
    assert LogEntry.objects.filter(kind="finding.signed").count() == 2
    assert LogEntry.objects.filter(record_type="penalty_decision").count() >= 2  # proposed, then decided
    # A published finding cannot be edited by anyone.
    for name in ("qat_lead", "qat_verifier", "ops_admin", "afg_liaison"):
        r = api(name).put(f"/findings/{fid}", {**facts, "reasoning": "rewritten", "responsible": "PAK"})
        assert r.status_code in (403, 404, 409), (name, r.status_code)
    assert _ok(api("qat_lead").get(f"/findings/{fid}"))["reasoning"].startswith("The craters")


def test_silence_and_a_case_that_runs_out_of_time(api):
    incident = _ok(api("afg_liaison").post("/incidents", incident_payload(
        file=True, audience="parties", alleged_violator="PAK", point=(31.0057, 66.3983), location_name="Spin Boldak")), 201)["incident"]  # fmt: skip
    complaint = _ok(api("afg_liaison").post("/complaints", {
        "incidents": [incident["code"]], "clause": "DOHA-2025/2", "account": "Shelling of Spin Boldak."}), 201)  # fmt: skip
    # Pakistan says nothing: when the deadline passes, the complaint is recorded as met with silence.
    _due_now(complaint["id"])
    deadlines.fire_due()
    c = _ok(api("qat_lead").get(f"/complaints/{complaint['code']}"))
    assert c["state"] == "silent" and c["reply"] is None
    assert _kinds("complaint", complaint["id"]) == ["complaint.lodged", "complaint.silent"]

    # A case is opened; a request for information to Pakistan is ignored; the case runs out of time.
    case = _ok(api("qat_lead").post("/cases", {"complaint": complaint["code"], "reason": "No reply to the complaint."}), 201)
    rfi = _ok(api("qat_lead").post(f"/cases/{case['code']}/plan", {
        "kind": "information_request", "party": "PAK", "description": "Fire orders of your battery at Chaman."}), 201)  # fmt: skip
    rfi_id = rfi["id"] if "id" in rfi else rfi["plan"][-1]["id"]
    _due_now(rfi_id)
    _due_now(case["id"])
    deadlines.fire_due()
    got = _ok(api("qat_lead").get(f"/cases/{case['code']}"))
    assert got["overdue_at"] is not None and got["stage"] != "closed"  # overdue, never closed silently
    assert [p["state"] for p in got["plan"]] == ["ignored"]
    pak = _ok(api("afg_liaison").get("/compliance/PAK"))
    assert pak["complaints_against"]["silent"] == 1
    assert _ok(api("qat_lead").get("/compliance/PAK"))["information_requests"]["ignored"] == 1
    assert LogEntry.objects.filter(kind__in=["case.overdue", "plan_item.ignored"]).count() == 2
