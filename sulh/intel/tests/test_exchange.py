"""Intelligence exchange end to end over the API: a report sealed at Pakistan's desk for Afghanistan and the
mediators opens for each of them and for nobody else; the server (and a dump of its database and data folder)
holds nothing that opens it; envelopes the charter does not allow are refused and change nothing; deadlines,
the compliance counts and who sees what."""

import base64
import datetime as dt
import json
import os
import re
import uuid
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from sulh.charter.keyed import make_keys
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.intel import crypto, services
from sulh.intel.models import Acknowledgement, Answer, Miss, Report
from sulh.ledger import records
from sulh.ledger.models import LogEntry

from .helpers import MARKER, seal_answer, seal_report

pytestmark = pytest.mark.django_db


def _ok(resp, status=200):
    assert resp.status_code == status, resp.content
    return resp.json()


def _send(api, ring, user="pak_liaison", **kw) -> dict:
    env = seal_report(ring, **kw)
    return _ok(api(user).post("/intel/reports", {"envelope": env}), 201)


def _counts():
    return (Report.objects.count(), Acknowledgement.objects.count(), Answer.objects.count(), Miss.objects.count(),
            LogEntry.objects.count(), Deadline.objects.count())  # fmt: skip


# --- round trip ------------------------------------------------------------------------------------------


def test_receiver_and_every_mediator_open_the_report_and_the_sender_cannot(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    assert sent["code"].startswith("INTEL-") and sent["state"] == "sent"
    assert [r["kind"] for r in sent["receipts"]] == ["intel_report.sent"]
    for user, org in (("afg_liaison", "AFG"), ("qat_verifier", "QAT"), ("tur_analyst", "TUR")):
        env = _ok(api(user).get(f"/intel/reports/{sent['id']}"))["envelope"]
        assert set(env["recipients"]) == {"AFG", "QAT", "TUR"}
        crypto.verify_signature(env, ring["PAK"].intel_verifier_key)
        payload = crypto.open_envelope(env, org, ring[org].intel_private)
        assert MARKER in payload["what"]["activity"] and payload["where"]["precision_m"] == 500
    env = _ok(api("pak_liaison").get(f"/intel/reports/{sent['id']}"))["envelope"]
    with pytest.raises(crypto.EnvelopeError, match="not encrypted for PAK"):
        crypto.open_envelope(env, "PAK", ring["PAK"].intel_private)
    # A recipient's key opens only its own wrapped key: AFG's private key under QAT's entry fails.
    env["recipients"]["AFG"] = env["recipients"]["QAT"]
    with pytest.raises(crypto.EnvelopeError, match="does not open"):
        crypto.open_envelope(env, "AFG", ring["AFG"].intel_private)


def test_the_log_holds_only_the_envelopes_hash(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    r = Report.objects.get(pk=sent["id"])
    content = records.type_of(r).content(r)
    assert "envelope" not in content and content["envelope_sha256"] == crypto.envelope_sha256(
        json.loads(r.envelope)
    )
    entry = LogEntry.objects.get(record_type="intel_report", record_id=sent["id"])
    assert entry.content_sha256 == records.commitment(bytes(entry.salt), content)
    ct = json.loads(r.envelope)["ciphertext"]
    assert ct[:40].encode() not in bytes(entry.body)


# --- the server cannot read it -------------------------------------------------------------------------


def _every_stored_value():
    """Every text, bytes and JSON value of every row of every table, and the dumpdata of the whole database."""
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields]
        for row in model.objects.all().values_list(*[f.attname for f in fields]):
            for v in row:
                if isinstance(v, memoryview):
                    v = bytes(v)
                if isinstance(v, dict | list):
                    v = json.dumps(v, ensure_ascii=False)
                if isinstance(v, str | bytes):
                    yield v
    out = StringIO()
    call_command("dumpdata", stdout=out)
    yield out.getvalue()


def _data_dir_files() -> list[bytes]:
    """The bytes of every file in the data folder. Another process (a second test run, a demo witness reset)
    may rename a folder while it is walked: what vanishes is skipped, not an error."""
    out = []
    for folder, _dirs, files in os.walk(settings.DATA_DIR, onerror=lambda _e: None):
        for name in files:
            try:
                p = Path(folder) / name
                if p.stat().st_size < 50_000_000:
                    out.append(p.read_bytes())
            except FileNotFoundError:
                continue
    return out


def test_a_database_dump_and_the_data_folder_cannot_open_the_report(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    answer = seal_answer(ring, sent["id"], detail="ANSWER-MARKER-42: raid carried out")
    _ok(api("afg_liaison").post(f"/intel/reports/{sent['id']}/ack"))
    _ok(api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": answer}))

    values = list(_every_stored_value())
    assert any(isinstance(v, str) and sent["id"] in v for v in values)  # the search does reach the reports
    secrets_ = [MARKER, "ANSWER-MARKER-42", "Spin Tangi", "Nazyan"] + [
        s for k in ring.orgs.values() for s in (k.intel_private, k.intel_signer_key)
    ]
    for v in values:
        for s in secrets_:
            assert (s.encode() if isinstance(v, bytes) else s) not in v, f"{s[:20]}… found in the database"
    file_bytes = _data_dir_files()
    for data in file_bytes:
        for s in secrets_:
            assert s.encode() not in data

    # Try everything the server holds that could be an X25519 private key (any 32-byte base64 or hex string)
    # against the envelopes' wrapped keys: none opens one.
    text = "\n".join(v if isinstance(v, str) else v.decode("latin-1") for v in values)
    text += "\n".join(d.decode("latin-1") for d in file_bytes)
    candidates = set()
    for tok in re.findall(r"[A-Za-z0-9+/]{43}=", text):
        candidates.add(base64.b64decode(tok))
    for tok in re.findall(r"\b[0-9a-f]{64}\b", text):
        candidates.add(bytes.fromhex(tok))
    assert len(candidates) > 10  # public keys, hashes, salts: plenty to try
    r = Report.objects.get(pk=sent["id"])
    envs = [json.loads(r.envelope), json.loads(r.answer.envelope)]
    tried = 0
    for env in envs:
        for org in env["recipients"]:
            for raw in candidates:
                with pytest.raises(crypto.EnvelopeError):
                    crypto.open_envelope(env, org, base64.b64encode(raw).decode())
                tried += 1
    assert tried >= len(candidates) * 6
    # …while the intended receiver's own key (never on the server) does.
    assert MARKER in crypto.open_envelope(envs[0], "AFG", ring["AFG"].intel_private)["what"]["activity"]
    assert crypto.open_envelope(envs[1], "PAK", ring["PAK"].intel_private)["detail"].startswith(
        "ANSWER-MARKER-42"
    )


# --- refusals --------------------------------------------------------------------------------------------


def _tampered_ciphertext(ring):
    env = seal_report(ring)
    ct = bytearray(base64.b64decode(env["ciphertext"]))
    ct[0] ^= 1
    env["ciphertext"] = base64.b64encode(bytes(ct)).decode()
    return env


def _changed_classification(ring):
    env = seal_report(ring)
    env["classification"] = "MECHANISM-SECRET"
    return env


def _missing_mediator(ring):
    keys = services.charter_keys()
    return seal_report(ring, recipients={o: keys[o].encryption for o in ("AFG", "QAT")})


def _extra_recipient(ring):
    keys = services.charter_keys()
    rec = {o: keys[o].encryption for o in ("AFG", "QAT", "TUR")}
    rec["JMT"] = crypto.x25519_keypair()[1]  # e.g. an operator's own key slipped in
    return seal_report(ring, recipients=rec)


def _signed_by_the_other_party(ring):
    return seal_report(ring, signer_key=ring["AFG"].intel_signer_key)


def _key_not_in_the_charter(ring):
    return seal_report(ring, signer_key=make_keys("PAK").intel_signer_key)


def _sender_not_mine(ring):
    return seal_report(ring, sender="AFG", receiver="PAK")


def _to_myself(ring):
    return seal_report(ring, sender="PAK", receiver="PAK")


def _unknown_classification(ring):
    return seal_report(ring, classification="TOP-SECRET")


def _extra_field(ring):
    env = seal_report(ring)
    env["plaintext_summary"] = "should never be here"
    return env


@pytest.mark.parametrize("make, field", [
    (_tampered_ciphertext, "signature"), (_changed_classification, "signature"), (_missing_mediator, "recipients"),
    (_extra_recipient, "recipients"), (_signed_by_the_other_party, "signature"),
    (_key_not_in_the_charter, "signature"), (_sender_not_mine, "sender"), (_to_myself, "receiver"),
    (_unknown_classification, "classification"), (_extra_field, "envelope"),
])  # fmt: skip
def test_envelopes_the_charter_does_not_allow_are_refused_and_change_nothing(keyed_charter, api, make, field):
    env, client = make(keyed_charter), api("pak_liaison")
    before = _counts()
    resp = client.post("/intel/reports", {"envelope": env})
    assert resp.status_code == 422, resp.content
    assert resp.json().get("field") == field, resp.json()
    assert _counts() == before


def test_a_charter_without_intel_keys_refuses_every_report(users, api, charter_keyring):
    env = seal_report(charter_keyring, recipients={"AFG": charter_keyring["AFG"].intel_public})
    client = api("pak_liaison")
    before = _counts()
    resp = client.post("/intel/reports", {"envelope": env})
    assert resp.status_code == 422 and "no intel key" in resp.json()["detail"]
    assert _counts() == before
    assert _ok(api("qat_lead").get("/intel/keys"))["keys"] == []


def test_a_tampered_answer_is_refused(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    _ok(api("afg_liaison").post(f"/intel/reports/{sent['id']}/ack"))
    before = _counts()
    wrong = [
        seal_answer(ring, sent["id"], sender="PAK", receiver="AFG"),  # the sender answering itself
        seal_answer(ring, str(uuid.uuid4())),  # another report's
        seal_answer(ring, sent["id"], classification="MECHANISM-SECRET"),  # not the report's classification
    ]
    env = seal_answer(ring, sent["id"])
    env["category"] = "nothing_found"  # changing the clear category breaks the signature
    wrong.append(env)
    for env in wrong:
        resp = api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": env})
        assert resp.status_code == 422, resp.content
    assert _counts() == before


def test_same_id_twice_is_a_conflict(keyed_charter, api):
    ring = keyed_charter
    rid = str(uuid.uuid4())
    _send(api, ring, report_id=rid)
    api("pak_commander")
    before = _counts()
    resp = api("pak_commander").post("/intel/reports", {"envelope": seal_report(ring, report_id=rid)})
    assert resp.status_code == 409
    assert _counts() == before


# --- deadlines and the compliance record -----------------------------------------------------------------


def _fire_at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return deadlines.fire_due(limit=100)


def _at(when, fn, *args):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return fn(*args)


def test_on_time_ack_and_answer(keyed_charter, api, users):
    ring = keyed_charter
    sent = _send(api, ring)
    r = Report.objects.get(pk=sent["id"])
    ack_at = r.sent_at + dt.timedelta(minutes=30)
    _at(ack_at, services.acknowledge, users["afg_commander"], r.code)
    r.refresh_from_db()
    assert r.state == "acknowledged" and r.answer_due_at == ack_at + dt.timedelta(days=3)
    _fire_at(r.sent_at + dt.timedelta(hours=3))  # the acknowledgement deadline was cancelled: nothing missed
    assert not Miss.objects.exists()
    env = seal_answer(ring, sent["id"])
    _at(ack_at + dt.timedelta(days=1), services.answer, users["afg_analyst"], r.code, env)
    _fire_at(r.sent_at + dt.timedelta(days=10))
    assert not Miss.objects.exists()
    got = {p["party"]: p for p in _ok(api("qat_lead").get("/intel/compliance"))}
    assert got["AFG"]["received"] == 1 and got["PAK"]["sent"] == 1
    assert got["AFG"]["acknowledged"] == {"on_time": 1, "late": 0, "missed": 0, "awaiting": 0}
    assert got["AFG"]["answered"] == {"on_time": 1, "late": 0, "missed": 0, "awaiting": 0}
    assert got["AFG"]["by_category"]["action_taken"] == 1
    tl = _ok(api("pak_liaison").get(f"/intel/reports/{sent['id']}"))["timeline"]
    assert [e["event"] for e in tl] == ["sent", "acknowledged", "answered"]
    # The party's compliance record (sulh/verification/record.py) carries the same counts, and renders.
    from django.template.loader import render_to_string

    from sulh.verification.record import compliance_record

    rec = compliance_record(users["pak_liaison"], "AFG")["intel"]
    assert rec == got["AFG"]
    html = render_to_string("intel/_party_record.html", {"p": rec})
    assert '<td data-k="answer_on_time">1</td>' in html and "action_taken" in html


def test_missed_then_late_ack_and_a_missed_answer_count_against_the_receiver(keyed_charter, api, users):
    ring = keyed_charter
    sent = _send(api, ring)
    r = Report.objects.get(pk=sent["id"])
    _fire_at(r.sent_at + dt.timedelta(hours=1))
    assert not Miss.objects.exists()  # not yet due
    _fire_at(r.sent_at + dt.timedelta(hours=2, seconds=1))
    miss = Miss.objects.get(report=r)
    assert (miss.what, miss.party, miss.due_at) == ("ack", "AFG", r.ack_due_at)
    assert LogEntry.objects.filter(kind="intel_ack.missed", record_id=str(miss.pk)).count() == 1
    _fire_at(r.sent_at + dt.timedelta(hours=3))  # firing again records nothing twice
    assert Miss.objects.count() == 1
    # Acknowledged 5 h late: recorded late, and the answer is still due 3 days after the ack DEADLINE.
    _at(r.sent_at + dt.timedelta(hours=7), services.acknowledge, users["afg_liaison"], r.code)
    r.refresh_from_db()
    assert r.acknowledgement.late and r.ack_missed
    assert r.answer_due_at == r.ack_due_at + dt.timedelta(days=3)
    _fire_at(r.answer_due_at + dt.timedelta(seconds=1))
    assert set(Miss.objects.values_list("what", flat=True)) == {"ack", "answer"}
    # A second report, acknowledged on time but never answered; a third still awaited.
    second = Report.objects.get(pk=_send(api, ring)["id"])
    _at(second.sent_at + dt.timedelta(minutes=5), services.acknowledge, users["afg_liaison"], second.code)
    _fire_at(second.sent_at + dt.timedelta(days=3, minutes=6))
    _send(api, ring)
    # The late answer to the first still counts as late.
    _at(r.answer_due_at + dt.timedelta(hours=1), services.answer, users["afg_liaison"], r.code,
        seal_answer(ring, str(r.pk), category="nothing_found", detail="Searched; nothing."))  # fmt: skip
    got = {p["party"]: p for p in _ok(api("afg_liaison").get("/intel/compliance"))}["AFG"]
    assert got["received"] == 3
    assert got["acknowledged"] == {"on_time": 1, "late": 1, "missed": 0, "awaiting": 1}
    assert got["answered"] == {"on_time": 0, "late": 1, "missed": 1, "awaiting": 1}
    assert got["by_category"] == {
        "action_taken": 0,
        "nothing_found": 1,
        "declined": 0,
        "needs_more_information": 0,
    }
    tl = [e["event"] for e in _ok(api("qat_lead").get(f"/intel/reports/{r.pk}"))["timeline"]]
    assert tl == ["sent", "ack_missed", "acknowledged", "answer_missed", "answered"]


def test_answer_needs_an_acknowledgement_and_only_one_of_each(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    env = seal_answer(ring, sent["id"])
    api("afg_liaison")
    before = _counts()
    assert (
        api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": env}).status_code == 409
    )
    assert _counts() == before
    _ok(api("afg_liaison").post(f"/intel/reports/{sent['id']}/ack"))
    assert api("afg_commander").post(f"/intel/reports/{sent['id']}/ack").status_code == 409
    key = {"Idempotency-Key": "answer-retry-1"}
    first = _ok(
        api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": env}, headers=key)
    )
    # A retry on a poor connection replays the stored answer instead of a 409.
    assert (
        _ok(api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": env}, headers=key))
        == first
    )
    again = seal_answer(ring, sent["id"], category="declined", detail="no")
    assert (
        api("afg_liaison").post(f"/intel/reports/{sent['id']}/answer", {"envelope": again}).status_code == 409
    )


# --- who sees and does what ------------------------------------------------------------------------------


def test_visibility_and_roles(keyed_charter, api):
    ring = keyed_charter
    sent = _send(api, ring)
    for user in ("pak_commander", "qat_verifier"):
        api(user)
    for user in ("pak_liaison", "afg_analyst", "qat_lead", "tur_analyst"):
        assert [r["id"] for r in _ok(api(user).get("/intel/reports"))] == [sent["id"]]
        _ok(api(user).get(f"/intel/reports/{sent['code']}"))
    for user in ("jmt_monitor", "ops_admin", "public"):
        assert api(user).get("/intel/reports").status_code == 404
        assert api(user).get(f"/intel/reports/{sent['id']}").status_code == 404
        assert api(user).get("/intel/keys").status_code == 404
        assert api(user).get("/intel/compliance").status_code == 404
    before = _counts()
    # Only the receiving party acknowledges; mediators and the sender do not; outsiders do not even see it.
    assert api("pak_commander").post(f"/intel/reports/{sent['id']}/ack").status_code == 403
    assert api("qat_lead").post(f"/intel/reports/{sent['id']}/ack").status_code == 403
    assert api("jmt_monitor").post(f"/intel/reports/{sent['id']}/ack").status_code == 404
    # A mediator does not send reports.
    assert api("qat_verifier").post("/intel/reports", {"envelope": seal_report(ring)}).status_code == 403
    assert _counts() == before
    # The envelope list leaves the ciphertext out; the one report's page has it.
    listed = _ok(api("afg_liaison").get("/intel/reports"))[0]
    assert listed["envelope"] is None


def test_keys_come_from_the_charter(keyed_charter, api):
    got = _ok(api("afg_liaison").get("/intel/keys"))
    keys = {k["org"]: k for k in got["keys"]}
    assert set(keys) == {"AFG", "PAK", "QAT", "TUR"}
    assert keys["PAK"]["encryption"] == keyed_charter["PAK"].intel_public
    assert keys["PAK"]["signing"] == keyed_charter["PAK"].intel_verifier_key
    assert "MECHANISM-RESTRICTED" in got["classifications"]
