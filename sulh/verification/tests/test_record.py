"""Corroboration (advice to the verifiers) and each party's compliance record: the counts and agreements come
out right from real claims, evidence and verification rows; a tampered evidence file fails its hash check; only
the mediators see corroboration; only the parties and the mediators see compliance records."""

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sulh.conftest import CHAMAN, SPIN_BOLDAK, claim_payload, incident_payload
from sulh.evidence.models import Evidence
from sulh.evidence.storage import EvidenceStore
from sulh.protocols.models import ProtocolRun, Task, TaskState
from sulh.verification import record
from sulh.verification.models import (
    Case,
    Complaint,
    ComplaintState,
    Finding,
    FindingState,
    PenaltyDecision,
    PlanItem,
    PlanState,
    Reply,
)

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUTSIDERS = ("jmt_monitor", "ops_admin", "public")


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.SULH_EVIDENCE_DIR


def _post(api, user, path, body):
    r = api(user).post(path, body)
    assert r.status_code == 201, r.content
    return r.json()


def _upload(api, user, path, content=JPEG, name="photo.jpg"):
    r = api(user).post(path, data={"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")})
    assert r.status_code == 201, r.content
    return r.json()


@pytest.fixture
def contested(api):
    """Landi Kotal: Pakistan says 3–5 killed on the night of 24 October; Afghanistan says it was the next
    afternoon, 20 km away in Spin Boldak terms of place, nobody killed; the Torkham joint post saw fire."""
    pak = _post(api, "pak_liaison", "/incidents", incident_payload(
        audience="parties", deaths_a=None, deaths_b=None, deaths_low=3, deaths_best=4, deaths_high=5))  # fmt: skip
    code = pak["incident"]["code"]
    # A second Pakistani voice is the same source as the first.
    _post(api, "pak_commander", f"/incidents/{code}/claims", claim_payload(
        audience="parties", source_name="Pakistan MoFA", deaths_a=None, deaths_b=None, deaths_best=4))  # fmt: skip
    _post(api, "afg_liaison", f"/incidents/{code}/claims", claim_payload(
        audience="parties", source_name="Zabihullah Mujahid", alleged_violator="PAK", point=(34.27, 71.14),
        date_start="2025-10-25T15:00:00+04:30", date_end="2025-10-25T16:00:00+04:30",
        deaths_a=None, deaths_b=None, deaths_low=0, deaths_best=0, deaths_high=0))  # fmt: skip
    _post(api, "jmt_monitor", f"/incidents/{code}/claims", claim_payload(
        audience="parties", source_name="Torkham joint post", post_code="JMP-TORKHAM",
        deaths_a=None, deaths_b=None))  # fmt: skip
    ev = _upload(api, "pak_liaison", f"/claims/{pak['claim']['id']}/evidence")
    return code, ev


@pytest.fixture
def agreed(api):
    """Chaman: both parties place the same exchange of fire within a few km and hours, 1–2 killed."""
    pak = _post(api, "pak_liaison", "/incidents", incident_payload(
        audience="parties", point=CHAMAN, location_name="Chaman", deaths_a=None, deaths_b=None,
        deaths_low=1, deaths_best=2, deaths_high=2))  # fmt: skip
    code = pak["incident"]["code"]
    _post(api, "afg_liaison", f"/incidents/{code}/claims", claim_payload(
        audience="parties", source_name="Kandahar police", point=(CHAMAN[0] + 0.02, CHAMAN[1]),
        date_start="2025-10-25T00:30:00+05:00", date_end="2025-10-25T03:00:00+05:00",
        deaths_a=None, deaths_b=None, deaths_low=2, deaths_best=2, deaths_high=3))  # fmt: skip
    _upload(api, "pak_liaison", f"/incidents/{code}/evidence", content=PDF, name="report.pdf")
    return code


def test_contradicting_accounts_a_joint_post_and_evidence_are_counted_and_compared(api, contested):
    code, ev = contested
    r = api("qat_verifier").get(f"/incidents/{code}/corroboration")
    assert r.status_code == 200, r.content
    got = r.json()
    # PAK (twice: one source), AFG, the Torkham post: three sources, one of them beyond the parties.
    assert got["sources"]["independent_sources"] == 3 and got["sources"]["beyond_the_parties"] == 1
    assert {(s["kind"], s["source"]) for s in got["sources"]["list"]} == {
        ("party", "PAK"), ("party", "AFG"), ("monitoring_post", "JMP-TORKHAM")}  # fmt: skip
    assert got["sources"]["verdict"] == "corroborated"
    assert got["monitoring_post"] == {**got["monitoring_post"], "observed": True, "posts": ["JMP-TORKHAM"]}
    inc = got["incidents"][0]
    assert [c["source_kind"] for c in inc["claims"]] == ["party", "party", "party", "monitoring_post"]
    assert {c["organisation"] for c in inc["claims"]} == {"PAK", "AFG", "JMT"}
    # Each party's account is its newest claim: the MoFA's for Pakistan.
    assert inc["accounts"]["PAK"].endswith("/C2") and inc["accounts"]["AFG"].endswith("/C3")
    ag = inc["agreement"]
    assert ag["time"]["verdict"] == "disagree" and ag["time"]["gap_hours"] > 10
    assert ag["place"]["verdict"] == "disagree" and 18 < ag["place"]["distance_km"] < 21
    assert ag["deaths"]["verdict"] == "disagree" and ag["deaths"]["ranges"] == {"PAK": [4, 4], "AFG": [0, 0]}
    assert ag["injured"]["verdict"] == "unknown"
    # The evidence is intact: it hashes to its SHA-256 and is in the log as recorded.
    e = got["evidence"]
    assert e["count"] == 1 and e["intact"] == 1 and e["verdict"] == "intact"
    item = e["items"][0]
    assert item["id"] == ev["id"] and item["hash_ok"] and item["in_log"] and item["log_matches_row"]
    # Not yet under a signed checkpoint; once the log is checkpointed, it is.
    assert item["signed_checkpoint"] is False and e["under_signed_checkpoint"] == 0
    from sulh.ledger import services as ledger

    assert ledger.sign_checkpoint(force=True) is not None
    e = api("qat_verifier").get(f"/incidents/{code}/corroboration").json()["evidence"]
    assert e["items"][0]["signed_checkpoint"] is True and e["under_signed_checkpoint"] == 1


def test_a_case_compares_each_incident_and_sums_up(api, contested, agreed, users):
    code, _ = contested
    case = Case.objects.create(code="CASE-2025-10-0001", reason="Complaints on both", opened_by=users["qat_lead"],
                               finding_due_at=timezone.now() + dt.timedelta(days=14))  # fmt: skip
    from sulh.incidents.models import Incident

    case.incidents.set(Incident.objects.filter(code__in=[code, agreed]))
    got = api("qat_lead").get(f"/cases/{case.code}/corroboration").json()
    by = {i["incident"]: i["agreement"] for i in got["incidents"]}
    assert {k: by[agreed][k]["verdict"] for k in ("time", "place", "deaths")} == dict.fromkeys(("time", "place", "deaths"), "agree")
    assert by[agreed]["place"]["distance_km"] < 5
    assert got["agreement"]["time"] == {"verdict": "disagree", "incidents": {"agree": 1, "disagree": 1}}
    assert got["evidence"]["count"] == 2 and got["evidence"]["intact"] == 2
    # The same by id, and a case nobody has: 404.
    assert api("qat_lead").get(f"/cases/{case.pk}/corroboration").json()["case"] == case.code
    assert api("qat_lead").get("/cases/CASE-1999-01-0001/corroboration").status_code == 404


def test_one_partys_account_alone_cannot_be_compared(api, users):
    code = _post(api, "pak_liaison", "/incidents", incident_payload(audience="parties", point=SPIN_BOLDAK))["incident"]["code"]
    got = api("qat_verifier").get(f"/incidents/{code}/corroboration").json()
    assert got["sources"]["independent_sources"] == 1 and got["sources"]["verdict"] == "uncorroborated"
    assert got["monitoring_post"]["observed"] is False
    assert got["agreement"]["time"]["verdict"] == "unknown" and "AFG" in got["incidents"][0]["agreement"]["time"]["note"]
    assert got["evidence"] == {**got["evidence"], "count": 0, "intact": 0}


def test_a_tampered_evidence_file_fails_its_hash_check(api, contested):
    code, ev = contested
    path = EvidenceStore().path_for(ev["sha256"])
    os.chmod(path, 0o644)
    path.write_bytes(JPEG[:-1] + b"\x00")  # one byte changed, same size
    got = api("qat_verifier").get(f"/incidents/{code}/corroboration").json()["evidence"]
    item = got["items"][0]
    assert item["stored"] is True and item["hash_ok"] is False
    assert item["in_log"] is True and item["log_matches_row"] is True  # the row is as logged: the bytes changed
    assert got["intact"] == 0 and got["verdict"] == "compromised"
    # A deleted file fails too.
    path.unlink()
    item = api("qat_verifier").get(f"/incidents/{code}/corroboration").json()["evidence"]["items"][0]
    assert item["stored"] is False and item["hash_ok"] is False


def test_a_row_whose_recorded_hash_was_changed_no_longer_matches_the_log(api, contested):
    code, ev = contested
    # Point the row at other bytes that are in the store: the file checks, the log does not.
    other_sha, _ = EvidenceStore().put([b"other bytes entirely"])
    Evidence.objects.filter(pk=ev["id"]).update(sha256=other_sha)
    item = api("qat_verifier").get(f"/incidents/{code}/corroboration").json()["evidence"]["items"][0]
    assert item["hash_ok"] is True and item["in_log"] is True and item["log_matches_row"] is False


@pytest.mark.parametrize("name", ["pak_liaison", "afg_liaison", "jmt_monitor", "ops_admin", "public"])
def test_only_the_mediators_see_corroboration(api, contested, users, name):
    code, _ = contested
    case = Case.objects.create(code="CASE-2025-10-0002", reason="x", opened_by=users["qat_lead"],
                               finding_due_at=timezone.now() + dt.timedelta(days=14))  # fmt: skip
    assert api(name).get(f"/incidents/{code}/corroboration").status_code == 404
    assert api(name).get(f"/cases/{case.code}/corroboration").status_code == 404
    assert api("qat_verifier").get(f"/cases/{case.code}/corroboration").status_code == 200
    assert api("tur_analyst").get(f"/incidents/{code}/corroboration").status_code == 200
    r = api(name).client.get(f"/api/v1/incidents/{code}/corroboration", HTTP_AUTHORIZATION="")
    assert r.status_code in (401, 404)


# --- compliance record -----------------------------------------------------------------------------------------


def _complaint(users, n, complainant, accused, state=ComplaintState.AWAITING_REPLY, *, reply=None, silent=False):
    now = timezone.now()
    c = Complaint.objects.create(
        code=f"CMP-2025-10-{n:04d}", complainant=complainant, accused=accused, clause="DOHA-2025/2", account="x",
        lodged_by=users[f"{complainant.lower()}_liaison"], reply_due_at=now - dt.timedelta(days=1), state=state,
        silent_at=now - dt.timedelta(hours=1) if silent else None,
    )  # fmt: skip
    if reply is not None:
        Reply.objects.create(complaint=c, party=accused, position="disputes", account="no",
                             drafted_by=users[f"{accused.lower()}_liaison"],
                             submitted_at=None if reply == "draft" else now, late=reply == "late")  # fmt: skip
    return c


@pytest.fixture
def history(users):
    """Afghanistan complains four times about Pakistan, Pakistan once about Afghanistan; requests for
    information, findings, penalties and protocol steps, all made directly."""
    _complaint(users, 1, "AFG", "PAK", ComplaintState.REPLIED, reply="on_time")
    _complaint(users, 2, "AFG", "PAK", ComplaintState.REPLIED, reply="late", silent=True)
    _complaint(users, 3, "AFG", "PAK", ComplaintState.SILENT, silent=True)
    _complaint(users, 4, "AFG", "PAK", reply="draft")  # a draft is no reply
    against_afg = _complaint(users, 5, "PAK", "AFG", ComplaintState.REPLIED, reply="on_time")
    lead = users["qat_lead"]
    now = timezone.now()
    case = Case.objects.create(code="CASE-2025-10-0009", reason="on CMP-1", opened_by=lead, finding_due_at=now,
                               complaint=Complaint.objects.get(code="CMP-2025-10-0001"))  # fmt: skip
    other = Case.objects.create(code="CASE-2025-10-0010", reason="on CMP-5", opened_by=lead, finding_due_at=now,
                                complaint=against_afg)  # fmt: skip
    for party, state in [("PAK", PlanState.ANSWERED), ("PAK", PlanState.REFUSED), ("PAK", PlanState.IGNORED),
                         ("PAK", PlanState.IGNORED), ("PAK", PlanState.PLANNED), ("AFG", PlanState.ANSWERED)]:  # fmt: skip
        PlanItem.objects.create(case=case if party == "PAK" else other, kind="information_request", description="?",
                                party=party, planned_by=lead, due_at=now, state=state)  # fmt: skip
    PlanItem.objects.create(case=case, kind="site_visit", description="visit", planned_by=lead, due_at=now)

    def finding(c, outcome, responsible="", confidence="", state=FindingState.PUBLISHED, supersedes=None):
        return Finding.objects.create(case=c, outcome=outcome, responsible=responsible, confidence=confidence,
                                      reasoning="r", drafted_by=lead, state=state, supersedes=supersedes,
                                      published_at=now if state == FindingState.PUBLISHED else None)  # fmt: skip

    established = finding(case, "verified", "PAK", "ESTABLISHED")
    old = finding(case, "inconclusive")
    finding(case, "verified", "PAK", "PROBABLE", supersedes=old)  # the reopened case's finding stands
    finding(case, "no_violation")
    draft = finding(case, "verified", "PAK", "ESTABLISHED", state=FindingState.SIGNING)  # not published: not counted
    finding(other, "verified", "AFG", "POSSIBLE")
    for code, decision in [("WARNING", "proposed"), ("ATTRIBUTION", "imposed"), ("COMPENSATION", "waived")]:
        PenaltyDecision.objects.create(finding=established, penalty=code, party="PAK", why="w", decision=decision)
    PenaltyDecision.objects.create(finding=draft, penalty="REFERRAL", party="PAK", why="w")
    run = ProtocolRun.objects.create(protocol="CROSS-BORDER-FIRE", name="x", definition={}, affected="AFG",
                                     counterpart="PAK")  # fmt: skip
    for i, state in enumerate([TaskState.MET, TaskState.BREACHED, TaskState.MET_LATE]):
        Task.objects.create(run=run, step=f"s{i}", step_index=i, name=f"step {i}", party="PAK", done_kind="message",
                            within_s=60, remind_before_s=10, state=state, due_at=now,
                            breached_at=None if state == TaskState.MET else now)  # fmt: skip


def test_a_partys_compliance_record_counts_what_happened(api, history):
    r = api("qat_verifier").get("/compliance/PAK")
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["complaints_against"] == {"total": 4, "replied_on_time": 1, "replied_late": 1, "silent": 1,
                                         "awaiting_reply": 1, "silence_recorded": 2}  # fmt: skip
    assert got["complaints_lodged"]["total"] == 1 and got["complaints_lodged"]["by_state"]["replied"] == 1
    assert got["information_requests"] == {"total": 5, "answered": 1, "refused": 1, "ignored": 2, "pending": 1}
    f = got["findings"]
    assert (f["verified"], f["no_violation"], f["inconclusive"], f["superseded"]) == (2, 1, 0, 1)
    assert f["verified_by_confidence"] == {"ESTABLISHED": 1, "PROBABLE": 1}
    p = got["penalties"]
    assert (p["total"], p["proposed"], p["imposed"], p["waived"]) == (3, 1, 1, 1)
    assert {x["penalty"] for x in p["items"]} == {"WARNING", "ATTRIBUTION", "COMPENSATION"}
    steps = got["protocol_steps"]
    assert (steps["summary"]["met_on_time"], steps["summary"]["breached"], steps["summary"]["met_late"]) == (1, 1, 1)
    assert len(steps["breaches"]) == 2
    afg = api("qat_verifier").get("/compliance/AFG").json()
    assert afg["complaints_against"]["total"] == 1 and afg["complaints_lodged"]["total"] == 4
    assert afg["information_requests"]["answered"] == 1 and afg["findings"]["verified_by_confidence"] == {"POSSIBLE": 1}
    assert afg["penalties"]["total"] == 0


def test_each_party_sees_both_records_but_only_what_it_may_see(api, history):
    own = api("pak_liaison").get("/compliance/PAK").json()
    mediators = api("qat_verifier").get("/compliance/PAK").json()
    assert own == mediators  # Pakistan sees its own requests and the published findings on its cases
    other = api("afg_analyst").get("/compliance/PAK")
    assert other.status_code == 200
    other = other.json()
    # Afghanistan sees the complaints (it is party to them), the published findings and penalties and the
    # protocol steps, but not the requests for information addressed to Pakistan.
    assert other["complaints_against"] == mediators["complaints_against"]
    assert other["findings"] == mediators["findings"] and other["penalties"] == mediators["penalties"]
    assert other["protocol_steps"] == mediators["protocol_steps"]
    assert other["information_requests"] == {"total": 0, "answered": 0, "refused": 0, "ignored": 0, "pending": 0}


@pytest.mark.parametrize("name", OUTSIDERS)
def test_monitors_the_operator_and_the_public_see_no_compliance_record(api, history, name):
    assert api(name).get("/compliance/PAK").status_code == 403
    with pytest.raises(Exception) as exc:
        record.compliance_record(api(name).user, "PAK")
    assert exc.value.status == 403


def test_an_unknown_party_is_not_found(api, history):
    r = api("qat_verifier").get("/compliance/XYZ")
    assert r.status_code == 404 and "XYZ" in r.json()["detail"]
    assert api("pak_liaison").get("/compliance/QAT").status_code == 404
