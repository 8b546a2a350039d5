"""Findings: drafted by the mediators, frozen for signing, signed by the charter's number of mediators each
with their own Ed25519 key, then published and immutable; dissents; the penalties the charter calls for,
by severity and by repetition, and the lead's decision; a reopened case's finding supersedes the old one."""

import base64
import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import timezone

from sulh.conftest import USER_SPECS, incident_payload
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.incidents.models import Incident
from sulh.ledger.models import LogEntry
from sulh.verification import findings
from sulh.verification.models import (
    Case,
    CaseStage,
    Dissent,
    Finding,
    FindingSignature,
    MediatorKey,
    PenaltyDecision,
)

pytestmark = pytest.mark.django_db

SIGNERS = ("qat_verifier", "tur_analyst")
VERIFIED = {
    "outcome": "verified", "responsible": "AFG", "confidence": "PROBABLE", "clause": "DOHA-2025/2",
    "date_start": "2025-10-24T22:30:00+05:00", "date_end": "2025-10-25T01:00:00+05:00",
    "latitude": 34.0988, "longitude": 71.1453, "place": "Landi Kotal",
    "deaths_low": 0, "deaths_best": 0, "deaths_high": 1, "injured_low": 0, "injured_best": 0, "injured_high": 2,
    "reasoning": "Two independent sources agree on time, place and the direction of fire.",
}  # fmt: skip


@pytest.fixture
def clients(api):
    """Every user's API client made up front: issuing a token is logged, which would blur the counts."""
    for name in USER_SPECS:
        api(name)


@pytest.fixture
def incident(api):
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    return Incident.objects.get(code=r.json()["incident"]["code"])


_n = iter(range(1, 1000))


def make_case(users, incident, reopens=None) -> Case:
    """A case row as the cases services would open it (they are another module's business)."""
    case = Case.objects.create(
        code=f"CASE-2025-11-{next(_n):04d}", reason="Mortar fire reported by both sides.", opened_by=users["qat_lead"],
        finding_due_at=timezone.now() + dt.timedelta(days=30), incident_ids=[str(incident.pk)], reopens=reopens,
    )  # fmt: skip
    case.incidents.set([incident])
    return case


@pytest.fixture
def case(users, incident):
    return make_case(users, incident)


def new_key(api, name) -> Ed25519PrivateKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = api(name).post("/mediator-keys", {"public_key": base64.b64encode(raw).decode()})
    assert r.status_code == 201, r.content
    return private


def sig(private, body: bytes) -> str:
    return base64.b64encode(private.sign(body)).decode()


def drafted(api, case, **overrides) -> str:
    r = api("qat_verifier").post(f"/cases/{case.code}/findings", {**VERIFIED, **overrides})
    assert r.status_code == 201, r.content
    return r.json()["id"]


def publish(api, case, keys, **overrides) -> str:
    fid = drafted(api, case, **overrides)
    assert api("qat_verifier").post(f"/findings/{fid}/submit").status_code == 200
    body = api("qat_verifier").get(f"/findings/{fid}/statement").content
    for name in SIGNERS:
        r = api(name).post(f"/findings/{fid}/signatures", {"signature": sig(keys[name], body)})
        assert r.status_code == 201, r.content
    return fid


@pytest.fixture
def keys(api, clients):
    return {name: new_key(api, name) for name in SIGNERS}


def _counts():
    return (Finding.objects.count(), FindingSignature.objects.count(), Dissent.objects.count(),
            PenaltyDecision.objects.count(), MediatorKey.objects.count(), LogEntry.objects.count())  # fmt: skip


def test_drafted_submitted_and_signed_by_two_mediators_is_published(api, case, keys):
    fid = drafted(api, case)
    # The draft is the mediators' alone: the parties, the monitors and the operator get 404.
    for name in ("pak_liaison", "afg_liaison", "jmt_monitor", "ops_admin", "public"):
        assert api(name).get(f"/findings/{fid}").status_code == 404
        assert api(name).get("/findings").json() == []
    r = api("tur_analyst").put(f"/findings/{fid}", {**VERIFIED, "deaths_best": 1, "deaths_high": 1})
    assert r.status_code == 200 and r.json()["deaths_best"] == 1
    # Nothing to sign until the draft is frozen.
    assert api("qat_verifier").get(f"/findings/{fid}/statement").status_code == 409

    r = api("qat_lead").post(f"/findings/{fid}/submit")
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["state"] == "signing" and [x["kind"] for x in got["receipts"]] == ["finding.submitted", "case.finding_submitted"]
    body = api("qat_verifier").get(f"/findings/{fid}/statement").content
    assert hashlib.sha256(body).hexdigest() == got["statement_sha256"]
    assert body == findings.statement(Finding.objects.get(pk=fid))
    assert b'"charter_origin"' in body and case.code.encode() in body
    # Once frozen, the draft cannot change, nor be submitted again.
    assert api("qat_verifier").put(f"/findings/{fid}", VERIFIED).status_code == 409
    assert api("qat_verifier").post(f"/findings/{fid}/submit").status_code == 409

    r = api("qat_verifier").post(f"/findings/{fid}/signatures", {"signature": sig(keys["qat_verifier"], body)})
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "signing" and Case.objects.get(pk=case.pk).stage == CaseStage.FINDING
    before = timezone.now()
    r = api("tur_analyst").post(f"/findings/{fid}/signatures", {"signature": sig(keys["tur_analyst"], body)})
    assert r.status_code == 201, r.content
    got = r.json()
    assert got["state"] == "published" and dt.datetime.fromisoformat(got["published_at"]) >= before
    assert [s["signer"] for s in got["signatures"]] == list(SIGNERS)
    assert "finding.published" in [x["kind"] for x in got["receipts"]]
    assert Case.objects.get(pk=case.pk).stage == CaseStage.CLOSED
    # Published: the parties and the monitors see it (with the statement, to check the signatures themselves).
    for name in ("pak_liaison", "afg_liaison", "jmt_monitor"):
        assert api(name).get(f"/findings/{fid}").json()["state"] == "published"
        assert api(name).get(f"/findings/{fid}/statement").content == body
    for s in got["signatures"]:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        Ed25519PublicKey.from_public_bytes(base64.b64decode(s["key"])).verify(base64.b64decode(s["signature"]), body)
    assert api("ops_admin").get(f"/findings/{fid}").status_code == 404
    # A closed case takes no second finding.
    assert api("qat_verifier").post(f"/cases/{case.code}/findings", VERIFIED).status_code == 409


def test_bad_wrong_revoked_and_repeated_signatures_are_refused(api, users, case, keys):
    fid = drafted(api, case)
    api("qat_verifier").post(f"/findings/{fid}/submit")
    body = api("qat_verifier").get(f"/findings/{fid}/statement").content
    before = _counts()
    refusals = [
        ("qat_verifier", "not base64!", 422),
        ("qat_verifier", base64.b64encode(b"x" * 64).decode(), 422),  # well-formed, does not verify
        ("qat_verifier", sig(keys["qat_verifier"], body + b" "), 422),  # over other bytes
        ("qat_verifier", sig(keys["tur_analyst"], body), 422),  # someone else's key
        ("qat_lead", sig(Ed25519PrivateKey.generate(), body), 409),  # no key registered
        ("pak_liaison", sig(keys["qat_verifier"], body), 404),  # a party cannot even see it
    ]
    for name, signature, status in refusals:
        r = api(name).post(f"/findings/{fid}/signatures", {"signature": signature})
        assert r.status_code == status, (name, r.content)
    assert _counts() == before

    # A revoked key no longer signs: registering a new key revokes the old one.
    old = keys["tur_analyst"]
    new = new_key(api, "tur_analyst")
    assert MediatorKey.objects.filter(user=users["tur_analyst"], revoked_at__isnull=True).count() == 1
    assert api("tur_analyst").post(f"/findings/{fid}/signatures", {"signature": sig(old, body)}).status_code == 422
    # The same signer twice counts once, and is refused.
    assert api("qat_verifier").post(f"/findings/{fid}/signatures", {"signature": sig(keys["qat_verifier"], body)}).status_code == 201
    before = _counts()
    r = api("qat_verifier").post(f"/findings/{fid}/signatures", {"signature": sig(keys["qat_verifier"], body)})
    assert r.status_code == 409 and _counts() == before
    assert Finding.objects.get(pk=fid).state == "signing"
    assert api("tur_analyst").post(f"/findings/{fid}/signatures", {"signature": sig(new, body)}).json()["state"] == "published"
    # A key that is not 32 bytes, or not base64, is refused; the same key twice too.
    assert api("qat_lead").post("/mediator-keys", {"public_key": base64.b64encode(b"k" * 31).decode()}).status_code == 422
    raw = new.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert api("qat_lead").post("/mediator-keys", {"public_key": base64.b64encode(raw).decode()}).status_code == 409
    assert api("pak_liaison").post("/mediator-keys", {"public_key": base64.b64encode(b"k" * 32).decode()}).status_code == 403
    # Everyone sees the keys signatures are checked with, revoked ones included.
    listed = api("pak_liaison").get("/mediator-keys").json()
    assert len(listed) == 3 and sum(k["revoked_at"] is not None for k in listed) == 1


def test_bad_drafts_are_refused_and_change_nothing(api, clients, case):
    before = _counts()
    bad = [
        {"responsible": ""}, {"responsible": "XYZ"}, {"confidence": ""}, {"confidence": "CERTAIN"},
        {"clause": ""}, {"clause": "DOHA-2025/99"}, {"deaths_low": 3, "deaths_best": 2},
        {"injured_best": 5, "injured_high": 4}, {"date_end": "2025-10-24T00:00:00+05:00"},
        {"latitude": None}, {"reasoning": "   "}, {"outcome": "probably"},
    ]
    for overrides in bad:
        r = api("qat_verifier").post(f"/cases/{case.code}/findings", {**VERIFIED, **overrides})
        assert r.status_code == 422, (overrides, r.content)
    r = api("qat_verifier").post(f"/cases/{case.code}/findings", {**VERIFIED, "outcome": "no_violation"})
    assert r.status_code == 422 and r.json()["field"] == "responsible"
    assert api("pak_liaison").post(f"/cases/{case.code}/findings", VERIFIED).status_code == 403  # sees the case
    assert _counts() == before
    r = api("qat_verifier").post(f"/cases/{case.code}/findings", {"outcome": "inconclusive", "reasoning": "Sources conflict."})
    assert r.status_code == 201, r.content
    # One finding per case at a time.
    assert api("qat_verifier").post(f"/cases/{case.code}/findings", VERIFIED).status_code == 409


def test_nobody_edits_a_published_finding(api, users, case, keys):
    fid = publish(api, case, keys)
    api("qat_verifier").post(f"/findings/{fid}/dissents", {"text": "The direction of fire is not established."})
    finding = Finding.objects.get(pk=fid)
    snapshot = {f.name: getattr(finding, f.name) for f in Finding._meta.fields}
    before = _counts()
    body = api("qat_verifier").get(f"/findings/{fid}/statement").content
    for name in ("qat_verifier", "qat_lead", "tur_analyst", "ops_admin", "pak_liaison", "afg_commander", "jmt_monitor"):
        for method, path, payload in (
            ("put", f"/findings/{fid}", {**VERIFIED, "responsible": "PAK"}),
            ("post", f"/findings/{fid}/submit", {}),
            ("post", f"/findings/{fid}/signatures", {"signature": sig(keys["qat_verifier"], body)}),
        ):
            r = getattr(api(name), method)(path, payload)
            assert r.status_code in (403, 404, 409), (name, path, r.status_code)
        for call in (
            lambda u: findings.update_draft(u, fid, responsible="PAK"),
            lambda u: findings.submit_for_signing(u, fid),
            lambda u: findings.sign(u, fid, sig(keys["qat_verifier"], body)),
        ):
            with pytest.raises((Conflict, PermissionDenied, NotFound)):
                call(users[name])
    # No route edits or deletes a finding.
    assert api("ops_admin").delete(f"/findings/{fid}").status_code in (404, 405)
    assert api("qat_lead").delete(f"/findings/{fid}").status_code == 405
    finding.refresh_from_db()
    assert {f.name: getattr(finding, f.name) for f in Finding._meta.fields} == snapshot
    assert _counts() == before


def test_dissents_are_attached_before_and_after_publication(api, case, keys):
    fid = drafted(api, case)
    r = api("tur_analyst").post(f"/findings/{fid}/dissents", {"text": "Only one source is independent."})
    assert r.status_code == 201 and [d["author"] for d in r.json()["dissents"]] == ["tur_analyst"]
    assert api("pak_liaison").post(f"/findings/{fid}/dissents", {"text": "no"}).status_code == 404
    assert api("qat_verifier").post(f"/findings/{fid}/dissents", {"text": "  "}).status_code == 422
    api("qat_verifier").post(f"/findings/{fid}/submit")
    body = api("qat_verifier").get(f"/findings/{fid}/statement").content
    for name in SIGNERS:
        api(name).post(f"/findings/{fid}/signatures", {"signature": sig(keys[name], body)})
    r = api("qat_lead").post(f"/findings/{fid}/dissents", {"text": "The casualty range is too narrow."})
    assert r.status_code == 201 and r.json()["state"] == "published"
    assert api("afg_liaison").get(f"/findings/{fid}").json()["dissents"][1]["author"] == "qat_lead"
    assert api("afg_liaison").post(f"/findings/{fid}/dissents", {"text": "We dissent"}).status_code == 403
    assert LogEntry.objects.filter(kind="dissent.filed").count() == 2


def test_penalties_by_severity_and_the_leads_decision(api, users, case, keys):
    # Cross-border fire with no casualties: severity 2 -> only the written warning.
    fid = publish(api, case, keys)
    assert [p["penalty"] for p in api("pak_liaison").get(f"/findings/{fid}").json()["penalties"]] == ["WARNING"]
    # Five deaths found: severity 4 -> warning, public attribution, compensation (not yet referral: no repeat).
    other = make_case(users, case.incidents.get())
    fid2 = publish(api, other, keys, deaths_low=4, deaths_best=5, deaths_high=7)
    got = {p["penalty"]: p for p in api("qat_lead").get(f"/findings/{fid2}").json()["penalties"]}
    assert set(got) == {"WARNING", "ATTRIBUTION", "COMPENSATION"}
    assert "severity 4" in got["COMPENSATION"]["why"] and {p["party"] for p in got.values()} == {"AFG"}
    assert {p["decision"] for p in got.values()} == {"proposed"}

    pid = got["COMPENSATION"]["id"]
    before = _counts()
    for name, status in (("qat_verifier", 403), ("ops_admin", 404), ("pak_liaison", 403), ("afg_commander", 403)):
        r = api(name).post(f"/penalties/{pid}/decision", {"decision": "imposed"})
        assert r.status_code == status, (name, r.content)
    assert api("qat_lead").post(f"/penalties/{pid}/decision", {"decision": "maybe"}).status_code == 422
    assert _counts() == before
    r = api("qat_lead").post(f"/penalties/{pid}/decision", {"decision": "imposed", "note": "Assessed by the JMT."})
    assert r.status_code == 200, r.content
    assert (r.json()["decision"], r.json()["decided_by"], r.json()["receipts"][0]["kind"]) == ("imposed", "qat_lead", "penalty.imposed")
    assert api("qat_lead").post(f"/penalties/{pid}/decision", {"decision": "waived"}).status_code == 409
    pd = findings.decide_penalty(users["qat_lead"], got["WARNING"]["id"], "waived", "First warning already given.")
    assert pd.decision == "waived" and pd.decided_at is not None
    # No penalty for findings that are not verified violations.
    third = make_case(users, case.incidents.get())
    publish(api, third, keys, outcome="no_violation", responsible="", confidence="", clause="")
    assert PenaltyDecision.objects.count() == 4


def test_referral_on_the_third_grave_violation_within_the_window(api, users, case, keys):
    one_death = {"deaths_low": 1, "deaths_best": 1, "deaths_high": 2}
    ids = [publish(api, c, keys, **one_death) for c in (case, make_case(users, case.incidents.get()))]
    for fid in ids:
        assert "REFERRAL" not in {p.penalty for p in PenaltyDecision.objects.filter(finding_id=fid)}
    # A verified finding against the other party does not count towards AFG's repetition.
    publish(api, make_case(users, case.incidents.get()), keys, responsible="PAK", **one_death)
    # One outside the 30-day window does not count either.
    Finding.objects.filter(pk=ids[0]).update(published_at=timezone.now() - dt.timedelta(days=31))
    fid = publish(api, make_case(users, case.incidents.get()), keys, **one_death)
    assert "REFERRAL" not in {p.penalty for p in PenaltyDecision.objects.filter(finding_id=fid)}
    fid = publish(api, make_case(users, case.incidents.get()), keys, **one_death)
    referral = PenaltyDecision.objects.get(finding_id=fid, penalty="REFERRAL")
    assert referral.party == "AFG" and "3 verified violations by AFG within 30 days" in referral.why
    assert "severity 3" in referral.why


def test_a_reopened_cases_finding_supersedes_the_old_one(api, users, case, keys):
    old = publish(api, case, keys)
    again = make_case(users, case.incidents.get(), reopens=case)
    new = drafted(api, again, outcome="inconclusive", responsible="", confidence="", clause="",
                  reasoning="New evidence contradicts the first account.")  # fmt: skip
    assert api("qat_verifier").get(f"/findings/{new}").json()["supersedes"] == old
    # Until the new finding is published, the parties see the old one as standing.
    assert api("pak_liaison").get(f"/findings/{old}").json()["superseded_by"] is None
    api("qat_verifier").post(f"/findings/{new}/submit")
    body = api("qat_verifier").get(f"/findings/{new}/statement").content
    assert old.encode() in body  # the signers sign what it supersedes too
    for name in SIGNERS:
        api(name).post(f"/findings/{new}/signatures", {"signature": sig(keys[name], body)})
    got = api("pak_liaison").get(f"/findings/{old}").json()
    assert got["superseded_by"] == new and got["state"] == "published" and got["outcome"] == "verified"
    assert api("pak_liaison").get(f"/findings/{new}").json()["supersedes"] == old
    # A second reopening of the same case cannot supersede the same finding twice.
    third = make_case(users, case.incidents.get(), reopens=case)
    assert api("qat_verifier").post(f"/cases/{third.code}/findings", VERIFIED).status_code == 409


def test_services_refuse_non_mediators_and_bad_keys(users, case):
    with pytest.raises(PermissionDenied):
        findings.draft_finding(users["pak_liaison"], case.code, **{**VERIFIED, "date_start": None, "date_end": None})
    with pytest.raises(ValidationFailed):
        findings.register_key(users["qat_verifier"], "%%%")
    with pytest.raises(ValidationFailed):
        findings.draft_finding(users["qat_verifier"], case.code, outcome="verified", reasoning="x", color="red")
