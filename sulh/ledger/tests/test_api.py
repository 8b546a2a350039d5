"""The ledger's API (/api/v1/ledger/…) and the tiles under /log/, checked the way a party's own tools
would check them: every proof against the signed root with the merkle module, every note with the log's
verifier key, every policy with tlog.Policy, every tlog-proof with tlog.verify_proof."""

import base64
import hashlib
import io
import json
import time

import pytest
from django.core.management import call_command
from django.test import Client

from sulh.accounts.models import Role
from sulh.conftest import SPIN_BOLDAK, claim_payload, incident_payload
from sulh.ledger import keys, merkle, note, tlog
from sulh.ledger import services as ledger
from sulh.ledger.models import Checkpoint, LogEntry, WitnessKey

pytestmark = pytest.mark.django_db


def b64(s: str) -> bytes:
    return base64.b64decode(s)


def log_verifier():
    return note.parse_verifier_key(keys.log_verifier_key())


@pytest.fixture
def filed(api):
    """Two incidents by PAK; AFG's draft claim on the first; then a checkpoint."""
    pak = api("pak_liaison")
    a = pak.post("/incidents", incident_payload()).json()
    b = pak.post("/incidents", incident_payload(deaths_a=3, audience="parties")).json()
    draft = api("afg_liaison").post(
        f"/incidents/{b['incident']['id']}/claims", claim_payload(point=SPIN_BOLDAK, alleged_violator="PAK", file=False)
    )
    assert draft.status_code == 201, draft.content
    return {"a": a, "b": b, "draft": draft.json()}


@pytest.fixture
def national(make_user, orgs):
    """The roles that register witness keys, beside those of sulh/conftest.py."""
    return {
        "afg_national": make_user("afg_national", "AFG", Role.COMMANDER, command_level="national"),
        "tur_lead": make_user("tur_lead", "TUR", Role.MEDIATOR_LEAD),
    }


@pytest.fixture
def wapi(api, users, national):
    from sulh.conftest import ApiClient

    extra = {name: ApiClient(u) for name, u in national.items()}
    return lambda name: extra[name] if name in extra else api(name)


# --- checkpoints -----------------------------------------------------------------------------------


def test_checkpoint_404_before_any_then_a_signed_note(api, filed):
    assert api("pak_analyst").get("/ledger/checkpoint").status_code == 404
    r = api("pak_liaison").post("/ledger/checkpoints")
    assert r.status_code == 201, r.content
    cp = r.json()
    assert cp["size"] == ledger.tree_size() and cp["witnessed"] is False and cp["cosigners"] == []
    again = api("afg_liaison").post("/ledger/checkpoints")
    assert again.status_code == 200 and again.json()["size"] == cp["size"]

    got = api("qat_verifier").get("/ledger/checkpoint").json()
    assert got == cp
    opened = tlog.open_checkpoint(got["note"], [log_verifier()])
    assert opened.checkpoint.size == cp["size"]
    assert opened.checkpoint.root == b64(cp["root"])
    assert opened.checkpoint.origin == ledger.origin()
    # The root is the tree's: recomputed here from every entry body the API hands out.
    bodies = [e["body"].encode() for e in api("qat_verifier").get("/ledger/entries", start=0, end=cp["size"]).json()]
    assert merkle.root_from_leaf_hashes(merkle.leaf_hash(b) for b in bodies) == b64(cp["root"])
    assert api("qat_verifier").get(f"/ledger/checkpoints/{cp['size']}").json() == cp
    assert api("qat_verifier").get(f"/ledger/checkpoints/{cp['size'] + 1}").status_code == 404


def test_a_tampered_note_does_not_verify(api, filed):
    cp = api("pak_liaison").post("/ledger/checkpoints").json()
    forged = cp["note"].replace(f"\n{cp['size']}\n", f"\n{cp['size'] + 1}\n", 1)
    with pytest.raises(note.NoteError):
        tlog.open_checkpoint(forged, [log_verifier()])


def test_only_the_mechanisms_organisations_ask_for_a_checkpoint(api, filed):
    assert api("public").post("/ledger/checkpoints").status_code == 403
    assert Checkpoint.objects.count() == 0


# --- proofs ------------------------------------------------------------------------------------------


def test_inclusion_proofs_by_index_and_by_hash_verify(api, filed):
    client = api("tur_analyst")  # (its token is an entry too: issued before the checkpoint)
    cp = api("pak_liaison").post("/ledger/checkpoints").json()
    root = b64(cp["root"])
    for index in range(cp["size"]):
        p = client.get("/ledger/proof/inclusion", index=index).json()
        assert p["tree_size"] == cp["size"] and b64(p["root"]) == root
        merkle.verify_inclusion(bytes.fromhex(p["entry_hash"]), index, p["tree_size"], [b64(h) for h in p["proof"]], root)
        by_hash = client.get("/ledger/proof/inclusion", entry_hash=p["entry_hash"].upper()).json()
        assert by_hash == p
    # Against an older size, and the proof fails for another leaf.
    p = client.get("/ledger/proof/inclusion", index=2, size=5).json()
    old_root = b64(p["root"])
    merkle.verify_inclusion(bytes.fromhex(p["entry_hash"]), 2, 5, [b64(h) for h in p["proof"]], old_root)
    other = LogEntry.objects.get(index=3).entry_hash
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(bytes.fromhex(other), 2, 5, [b64(h) for h in p["proof"]], old_root)


def test_inclusion_refuses_bad_questions(api, filed):
    client = api("tur_analyst")
    size = ledger.tree_size()
    assert client.get("/ledger/proof/inclusion").status_code == 422
    assert client.get("/ledger/proof/inclusion", index=0, entry_hash="0" * 64).status_code == 422
    assert client.get("/ledger/proof/inclusion", index=size).status_code == 422
    assert client.get("/ledger/proof/inclusion", index=0, size=size + 1).status_code == 422
    assert client.get("/ledger/proof/inclusion", entry_hash="ab" * 32).status_code == 404


def test_consistency_proofs_verify_between_checkpoints(api, filed):
    pak, client = api("pak_liaison"), api("afg_analyst")
    old = pak.post("/ledger/checkpoints").json()
    pak.post("/incidents", incident_payload(deaths_a=9))
    new = pak.post("/ledger/checkpoints").json()
    assert new["size"] == old["size"] + 2
    p = client.get("/ledger/proof/consistency", first=old["size"]).json()
    assert (p["first"], p["second"]) == (old["size"], new["size"])
    assert (p["first_root"], p["second_root"]) == (old["root"], new["root"])
    merkle.verify_consistency(old["size"], new["size"], [b64(h) for h in p["proof"]], b64(old["root"]), b64(new["root"]))
    for first in range(1, new["size"] + 1):
        q = client.get("/ledger/proof/consistency", first=first, second=new["size"]).json()
        merkle.verify_consistency(first, new["size"], [b64(h) for h in q["proof"]], b64(q["first_root"]), b64(new["root"]))
    assert client.get("/ledger/proof/consistency", first=new["size"] + 1).status_code == 422
    assert client.get("/ledger/proof/consistency", first=3, second=2).status_code == 422


def test_entries_range(api, filed):
    client = api("jmt_monitor")
    size = ledger.tree_size()
    got = client.get("/ledger/entries", start=2, end=6).json()
    assert [e["index"] for e in got] == [2, 3, 4, 5]
    for e in got:
        assert merkle.leaf_hash(e["body"].encode()).hex() == e["entry_hash"]
        body = json.loads(e["body"])
        assert set(body) == {"v", "kind", "record", "version", "actor", "time", "content_sha256"}
    assert len(client.get("/ledger/entries").json()) == min(size, 100)
    assert client.get("/ledger/entries", start=0, end=size + 1).status_code == 422
    assert client.get("/ledger/entries", start=5, end=2).status_code == 422


# --- record histories and their openings -------------------------------------------------------------


def test_record_history_opens_the_commitment_for_a_reader(api, filed):
    claim_id = filed["a"]["claim"]["id"]
    history = api("pak_analyst").get(f"/ledger/records/claim/{claim_id}").json()
    assert [json.loads(e["body"])["kind"] for e in history] == ["claim.filed"]
    [e] = history
    body = json.loads(e["body"])
    opening = e["opening"]
    salt = bytes.fromhex(opening["salt"])
    assert len(salt) == 16
    assert hashlib.sha256(salt + opening["content"].encode()).hexdigest() == body["content_sha256"]
    content = json.loads(opening["content"])
    assert content["id"] == claim_id and content["deaths_a"] == 25
    # The mediators read it too (audience "mediators"); the other party may not, and is told nothing.
    assert api("qat_verifier").get(f"/ledger/records/claim/{claim_id}").json()[0]["opening"]["salt"] == opening["salt"]
    assert api("afg_liaison").get(f"/ledger/records/claim/{claim_id}").status_code == 404
    assert api("public").get(f"/ledger/records/claim/{claim_id}").status_code == 404


def test_older_versions_show_the_salt_but_not_content(api, filed):
    afg = api("afg_liaison")
    claim_id = filed["draft"]["id"]
    assert afg.post(f"/claims/{claim_id}/file").status_code == 200
    history = afg.get(f"/ledger/records/claim/{claim_id}").json()
    assert [json.loads(e["body"])["version"] for e in history] == [1, 2]
    assert history[0]["opening"]["content"] is None and len(history[0]["opening"]["salt"]) == 32
    newest = history[1]
    assert (
        hashlib.sha256(bytes.fromhex(newest["opening"]["salt"]) + newest["opening"]["content"].encode()).hexdigest()
        == json.loads(newest["body"])["content_sha256"]
    )


def test_a_draft_history_is_404_to_the_other_party(api, filed):
    claim_id = filed["draft"]["id"]
    assert api("afg_analyst").get(f"/ledger/records/claim/{claim_id}").status_code == 200
    for other in ("pak_liaison", "pak_commander", "qat_lead", "jmt_monitor", "public"):
        assert api(other).get(f"/ledger/records/claim/{claim_id}").status_code == 404, other
    # Exactly what an unknown id answers: the history does not confirm that the draft exists.
    unknown = api("pak_liaison").get("/ledger/records/claim/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404 and unknown.json() == api("pak_liaison").get(f"/ledger/records/claim/{claim_id}").json()
    assert api("pak_liaison").get("/ledger/records/nonsense/1").status_code == 404


# --- witness keys, cosignatures, quorum, policy ------------------------------------------------------


def new_witness(name: str) -> tuple[note.Signer, str]:
    skey, vkey = note.generate_key(name, note.COSIGNATURE_V1)
    return note.parse_signer_key(skey), vkey


@pytest.mark.parametrize(
    "who,status",
    [
        ("pak_commander", 201),  # a party's national commander
        ("afg_national", 201),
        ("qat_lead", 201),  # a mediator's lead
        ("tur_lead", 201),
        ("jmt_monitor", 201),  # the monitoring team
        ("afg_commander", 403),  # sector level
        ("pak_liaison", 403),
        ("pak_analyst", 403),
        ("qat_verifier", 403),
        ("tur_analyst", 403),
        ("ops_admin", 403),
        ("public", 403),
    ],
)
def test_who_registers_a_witness_key(wapi, who, status):
    _, vkey = new_witness(f"witness.{who}.example")
    r = wapi(who).post("/ledger/witness-keys", {"verifier_key": vkey})
    assert r.status_code == status, r.content
    if status == 201:
        assert r.json()["verifier_key"] == vkey
        assert WitnessKey.objects.get(verifier_key=vkey).retired_at is None
        assert ledger.history("witness_key", str(WitnessKey.objects.get(verifier_key=vkey).pk))[0].kind == (
            "witness_key.registered"
        )
    else:
        assert not WitnessKey.objects.exists()


def test_bad_witness_keys_are_422_and_a_repeat_is_409(wapi):
    client = wapi("pak_commander")
    for bad in ["not a key", "witness.example+00000000+AAAA", note.generate_key("log.example")[1]]:
        r = client.post("/ledger/witness-keys", {"verifier_key": bad})
        assert r.status_code == 422, (bad, r.content)
        assert r.json()["field"] == "verifier_key"
    _, vkey = new_witness("witness.pak.example")
    assert client.post("/ledger/witness-keys", {"verifier_key": vkey}).status_code == 201
    assert client.post("/ledger/witness-keys", {"verifier_key": vkey}).status_code == 409


def test_a_new_key_retires_the_old_one(wapi):
    client = wapi("qat_lead")
    _, first = new_witness("witness.qat.example")
    _, second = new_witness("witness.qat.example")
    client.post("/ledger/witness-keys", {"verifier_key": first})
    client.post("/ledger/witness-keys", {"verifier_key": second})
    assert WitnessKey.objects.get(verifier_key=first).retired_at is not None
    assert ledger.active_witness_keys()["QAT"].verifier_key == second


def cosign(signer: note.Signer, cp: dict, ts: int | None = None) -> str:
    text = cp["note"].split("\n\n", 1)[0] + "\n"
    return tlog.cosign(text, signer, ts if ts is not None else int(time.time()))


def test_cosignatures_reach_the_quorum_and_the_policy_is_complete(wapi, filed):
    signers = {}
    for who, org in (("afg_national", "AFG"), ("pak_commander", "PAK"), ("qat_lead", "QAT"), ("tur_lead", "TUR")):
        signers[org] = (who, *new_witness(f"witness.{org.lower()}.example"))
    cp = wapi("pak_liaison").post("/ledger/checkpoints").json()

    # No key yet: the policy cannot be met, a cosignature has no key to check against.
    assert wapi("pak_liaison").get("/ledger/policy").status_code == 409
    who, signer, vkey = signers["AFG"]
    r = wapi(who).post("/ledger/cosignatures", {"size": cp["size"], "line": cosign(signer, cp)})
    assert r.status_code == 422 and "no registered witness key" in r.json()["detail"]

    for org in ("AFG", "PAK"):
        who, _, vkey = signers[org]
        assert wapi(who).post("/ledger/witness-keys", {"verifier_key": vkey}).status_code == 201
    assert wapi("pak_liaison").get("/ledger/policy").status_code == 409, "no mediator key: quorum unreachable"

    # A line made with another key, or over another checkpoint, is refused.
    who, signer, _ = signers["AFG"]
    stranger, _ = new_witness("witness.afg.example")
    r = wapi(who).post("/ledger/cosignatures", {"size": cp["size"], "line": cosign(stranger, cp)})
    assert r.status_code == 422 and "does not verify with your registered key" in r.json()["detail"]
    other = dict(cp, note=cp["note"].replace(f"\n{cp['size']}\n", f"\n{cp['size'] - 1}\n", 1))
    r = wapi(who).post("/ledger/cosignatures", {"size": cp["size"], "line": cosign(signer, other)})
    assert r.status_code == 422
    assert wapi(who).post("/ledger/cosignatures", {"size": cp["size"] + 5, "line": cosign(signer, cp)}).status_code == 404

    for org, witnessed in (("AFG", False), ("PAK", False)):
        who, signer, _ = signers[org]
        r = wapi(who).post("/ledger/cosignatures", {"size": cp["size"], "line": cosign(signer, cp, 1_760_000_000)})
        assert r.status_code == 201, r.content
        assert r.json() == {"size": cp["size"], "organisation": org, "timestamp": 1_760_000_000, "witnessed": witnessed}
    assert wapi("pak_liaison").get("/ledger/checkpoint", witnessed=True).status_code == 404

    who, signer, vkey = signers["QAT"]
    assert wapi(who).post("/ledger/witness-keys", {"verifier_key": vkey}).status_code == 201
    r = wapi(who).post("/ledger/cosignatures", {"size": cp["size"], "line": cosign(signer, cp)})
    assert r.status_code == 201 and r.json()["witnessed"] is True
    got = wapi("jmt_monitor").get("/ledger/checkpoint", witnessed=True).json()
    assert got["size"] == cp["size"] and got["witnessed"] is True and got["cosigners"] == ["AFG", "PAK", "QAT"]

    # The policy is now complete: it parses, names the log's key, and the cosigned note meets it.
    r = wapi("public").get("/ledger/policy")
    assert r.status_code == 200, r.content
    policy = tlog.Policy.parse(r.content)
    assert [v.verifier_key() for v in policy.log_verifiers()] == [keys.log_verifier_key()]
    assert {v.verifier_key() for v in policy.witness_verifiers()} == {signers[o][2] for o in ("AFG", "PAK", "QAT")}
    opened = policy.verify_checkpoint(got["note"])
    assert opened.checkpoint.size == cp["size"]
    assert policy.satisfied({"AFG", "PAK", "QAT"}) and not policy.satisfied({"AFG", "QAT"})

    # The offline proof of any entry verifies against the policy; for another entry's bytes it does not.
    for index in (0, cp["size"] - 1):
        proof = wapi("afg_analyst").client.get(f"/api/v1/ledger/proof/{index}.tlog-proof")
        assert proof.status_code == 200, proof.content
        body = bytes(LogEntry.objects.get(index=index).body)
        verified = tlog.verify_proof(proof.content, body, policy)
        assert verified.index == index and verified.checkpoint.checkpoint.size == cp["size"]
        with pytest.raises(tlog.TlogProofError):
            tlog.verify_proof(proof.content, body + b" ", policy)


def test_no_tlog_proof_before_a_witnessed_checkpoint(api, filed):
    cp = api("pak_liaison").post("/ledger/checkpoints").json()
    client = api("afg_analyst").client
    assert client.get("/api/v1/ledger/proof/0.tlog-proof").status_code == 404
    r = client.get("/api/v1/ledger/proof/0.tlog-proof", {"witnessed": "false"})
    assert r.status_code == 200
    verified = tlog.verify_proof(r.content, bytes(LogEntry.objects.get(index=0).body), [log_verifier()])
    assert verified.checkpoint.checkpoint.size == cp["size"]
    assert client.get(f"/api/v1/ledger/proof/{cp['size']}.tlog-proof", {"witnessed": "false"}).status_code == 404


# --- /log/ ---------------------------------------------------------------------------------------------


def test_log_tiles_need_a_session_or_a_token_and_serve_the_exported_bytes(api, users, filed, tmp_path):
    api("pak_liaison").post("/incidents", incident_payload(deaths_a=4))
    mirror = tmp_path / "mirror"
    call_command("log", "export", str(mirror), stdout=io.StringIO())
    files = sorted(p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file() and p.name != "policy")
    assert "checkpoint" in files and any(f.startswith("tile/entries/") for f in files)
    assert any(f.startswith("tile/0/") for f in files)

    anonymous = Client()
    token = api("afg_analyst").client
    session = Client()
    session.force_login(users["pak_liaison"])
    for rel in files:
        assert anonymous.get(f"/log/{rel}").status_code == 403, rel
        for who in (token, session):
            r = who.get(f"/log/{rel}")
            assert r.status_code == 200, (rel, r.content)
            assert r.content == (mirror / rel).read_bytes(), rel
    assert Client(HTTP_AUTHORIZATION="Bearer sulh_nonsense").get("/log/checkpoint").status_code == 403
    assert token.get("/log/tile/0/999").status_code == 404


def test_log_checkpoint_404_before_any(api):
    assert api("pak_liaison").client.get("/log/checkpoint").status_code == 404
