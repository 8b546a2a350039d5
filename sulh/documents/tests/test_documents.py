"""Co-signed documents: drafting, freezing, signatures checked against the charter's keys, agreement only
with every required signature on the same hash, amendments, visibility, and the offline `sulh doc verify`."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from sulh.commitments import services as commitments
from sulh.commitments.models import ObligationState, VerifiedBy
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.documents import cli, services
from sulh.documents import text as doctext
from sulh.documents.models import Document, DocumentVersion, Signature, VersionState
from sulh.ledger import note
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db

BODY = """The delegations of Afghanistan and Pakistan met in Istanbul with the mediation of Qatar and Türkiye.

1. The parties maintain the ceasefire agreed in Doha on 19 October 2025.
2. A monitoring and verification mechanism is established.
"""
ORGS = ("AFG", "PAK", "QAT", "TUR")
UPLOADER = {"AFG": "afg_liaison", "PAK": "pak_liaison", "QAT": "qat_lead", "TUR": None}


@pytest.fixture
def tur_lead(make_user):
    from sulh.accounts.models import Role

    return make_user("tur_lead", "TUR", Role.MEDIATOR_LEAD)


def uploader(users, tur_lead, org):
    return tur_lead if org == "TUR" else users[UPLOADER[org]]


def frozen(users, **kw) -> DocumentVersion:
    v = services.create_document(users["qat_lead"], kind="joint_statement", title="Istanbul joint statement",
                                 body=kw.pop("body", BODY), **kw)  # fmt: skip
    return services.freeze(users["qat_lead"], v.document.code)


def line_for(ring, org, text) -> str:
    return note.parse_signer_key(ring[org].signer_key).sign(text)


def counts():
    return (Document.objects.count(), DocumentVersion.objects.count(), Signature.objects.count(),
            LogEntry.objects.count(), list(DocumentVersion.objects.order_by("pk").values_list("state", flat=True)))  # fmt: skip


def sign_all(users, tur_lead, ring, v, orgs=ORGS):
    for org in orgs:
        services.sign(uploader(users, tur_lead, org), v.document.code, line_for(ring, org, v.text), v.number)
    v.refresh_from_db()
    return v


# --- the text ------------------------------------------------------------------------------------------------


def test_text_is_deterministic_and_a_valid_note_text(users):
    v = frozen(users, body="first line\r\n\r\nsecond line   \r\n\n\n")
    assert v.text.startswith("sulh-document v1\norigin sulh.mechanism/af-pak/log\ndocument DOC-")
    assert "\nversion 1\nprevious -\nkind joint_statement\ntitle Istanbul joint statement\n\n" in v.text
    assert v.text.endswith("\n\nfirst line\n\nsecond line\n")
    assert v.sha256 == doctext.sha256(v.text) and services.version_text(v) == v.text
    h = doctext.parse_text(v.text)
    assert (h.document, h.version, h.previous, h.title) == (
        v.document.code,
        1,
        None,
        "Istanbul joint statement",
    )


@pytest.mark.parametrize(
    "body,message",
    [
        ("a\tb", "tab character"),
        ("ok\n\u202eevil", "direction control"),
        ("line\n\u2014 afg.signatory AAAA", "em dash and a space"),
        ("   \n\n", "the body is empty"),
        ("bell\x07", "control character"),
        ("one\u2028two", "line or paragraph separator"),
    ],
)
def test_bodies_a_note_cannot_carry_are_refused_and_change_nothing(users, body, message):
    before = counts()
    with pytest.raises(ValidationFailed, match=message):
        services.create_document(users["qat_lead"], kind="minutes", title="Minutes", body=body)
    assert counts() == before


# --- drafting rules --------------------------------------------------------------------------------------------


def test_who_drafts_edits_and_freezes(users):
    with pytest.raises(PermissionDenied):
        services.create_document(users["afg_analyst"], kind="minutes", title="t", body="b")
    with pytest.raises(PermissionDenied):
        services.create_document(users["jmt_monitor"], kind="minutes", title="t", body="b")
    v = services.create_document(users["afg_liaison"], kind="minutes", title="Minutes", body="draft 1")
    code = v.document.code
    n = LogEntry.objects.filter(kind="document_version.edited").count()
    services.update_draft(users["afg_liaison"], code, title="Minutes", body="draft 2")
    services.update_draft(users["qat_lead"], code, title="Minutes", body="draft 3")  # a mediator may
    assert LogEntry.objects.filter(kind="document_version.edited").count() == n + 2
    # The other party does not see another's draft at all.
    with pytest.raises(NotFound):
        services.update_draft(users["pak_liaison"], code, title="Minutes", body="mine")
    services.freeze(users["afg_liaison"], code)
    with pytest.raises(Conflict, match="only a draft can be changed"):
        services.update_draft(users["afg_liaison"], code, title="Minutes", body="draft 4")
    v.refresh_from_db()
    assert v.state == VersionState.FROZEN and v.body == "draft 3\n"
    assert LogEntry.objects.filter(kind="document_version.frozen", record_id=str(v.pk)).count() == 1


def test_visibility_of_drafts_frozen_and_agreed_versions(users, keyed_charter, tur_lead):
    v = services.create_document(users["afg_liaison"], kind="joint_statement", title="Statement", body="text")
    code = v.document.code
    see = {name: services.visible_documents(u).filter(code=code).exists() for name, u in users.items()}
    assert {n for n, ok in see.items() if ok} == {"afg_liaison", "afg_commander", "afg_analyst", "qat_verifier",
                                                  "qat_lead", "tur_analyst"}  # fmt: skip
    v = services.freeze(users["afg_liaison"], code)
    see = {name: services.visible_documents(u).filter(code=code).exists() for name, u in users.items()}
    assert {n for n, ok in see.items() if not ok} == {"ops_admin", "public"}
    sign_all(users, tur_lead, keyed_charter, v)
    assert services.visible_documents(users["public"]).filter(code=code).exists()
    # Minutes stay within the mechanism even when agreed.
    m = frozen(users)
    m.document.kind = "minutes"
    m.document.save()
    sign_all(users, tur_lead, keyed_charter, m)
    assert not services.visible_documents(users["public"]).filter(pk=m.document_id).exists()


# --- signatures --------------------------------------------------------------------------------------------------


def test_a_document_lacking_one_signature_is_not_agreed(users, keyed_charter, tur_lead):
    v = frozen(users)
    sign_all(users, tur_lead, keyed_charter, v, orgs=("AFG", "PAK", "QAT"))
    assert v.state == VersionState.FROZEN and v.agreed_at is None
    status = {r["org"]: r["signature"] is not None for r in services.status_by_org(v)}
    assert status == {"AFG": True, "PAK": True, "QAT": True, "TUR": False}
    report = doctext.verify(services.signed_note(v), _charter())
    assert not report.agreed
    assert {o.org: o.status for o in report.orgs} == {"AFG": "ok", "PAK": "ok", "QAT": "ok", "TUR": "missing"}


def _charter():
    from sulh.charter.loader import get_charter

    return get_charter()


def test_every_signature_agrees_and_meets_the_obligation(users, keyed_charter, tur_lead):
    v = frozen(users, agreement="ISTANBUL-2025-10-30")
    ob = commitments.create_obligation(
        users["qat_lead"], "ISTANBUL-2025-10-30", kind="document", title="Sign the joint statement",
        obliged=["AFG", "PAK"], verified_by=VerifiedBy.DOCUMENT_AGREED, subject=str(v.document_id),
    )  # fmt: skip
    sign_all(users, tur_lead, keyed_charter, v)
    assert v.state == VersionState.AGREED and v.agreed_at is not None
    ob.refresh_from_db()
    assert ob.state == ObligationState.MET
    change = ob.changes.get()
    assert change.source_record == f"document_version:{v.pk}" and v.sha256 in change.reason
    assert LogEntry.objects.filter(kind="document_version.agreed", record_id=str(v.pk)).count() == 1
    assert LogEntry.objects.filter(kind="document.signed").count() == 4
    report = doctext.verify(services.signed_note(v), _charter())
    assert report.agreed, report


def test_signature_by_a_key_not_in_the_charter_is_refused_and_changes_nothing(users, keyed_charter, api):
    v = frozen(users)
    stranger, _ = note.generate_key("afg.signatory")  # same name as AFG's key, another key
    line = note.parse_signer_key(stranger).sign(v.text)
    afg = api("afg_liaison")
    before = counts()
    r = afg.post(f"/documents/{v.document.code}/versions/1/signatures", {"signature": line})
    assert r.status_code == 422, r.content
    assert "not a signatory key in the charter" in r.json()["detail"]
    assert r.json()["field"] == "signature"
    assert counts() == before


def test_refusals_bad_signature_other_hash_wrong_org_second_signature(users, keyed_charter, tur_lead, api):
    v1 = frozen(users)
    code = v1.document.code
    afg, pak = api("afg_liaison"), api("pak_liaison")
    # A signature altered: one byte of the base64 changed.
    good = line_for(keyed_charter, "AFG", v1.text)
    name, b64 = good.rstrip("\n")[2:].split(" ")
    raw = bytearray(note.b64decode(b64))
    raw[10] ^= 1
    bad = f"\u2014 {name} {note.b64encode(bytes(raw))}"
    before = counts()
    r = afg.post(f"/documents/{code}/versions/1/signatures", {"signature": bad})
    assert r.status_code == 422 and "does not verify" in r.json()["detail"]
    # Garbage.
    r = afg.post(f"/documents/{code}/versions/1/signatures", {"signature": "hello"})
    assert r.status_code == 422 and "not a signature line" in r.json()["detail"]
    # AFG's key, uploaded by Pakistan: refused.
    r = pak.post(f"/documents/{code}/versions/1/signatures", {"signature": good})
    assert r.status_code == 403
    assert counts() == before
    # Signed, then again: 409.
    assert afg.post(f"/documents/{code}/versions/1/signatures", {"signature": good}).status_code == 201
    before = counts()
    r = afg.post(f"/documents/{code}/versions/1/signatures", {"signature": good})
    assert r.status_code == 409 and "already" in r.json()["detail"]
    assert counts() == before
    # A signature on another version's hash: an amendment frozen, signed with v1's signature.
    services.amend(users["qat_lead"], code, body=BODY + "3. The parties meet again on 6 November 2025.\n")
    v2 = services.freeze(users["qat_lead"], code, 2)
    v1.refresh_from_db()
    assert v1.state == VersionState.SUPERSEDED  # it was not agreed: it takes no more signatures
    before = counts()
    r = afg.post(f"/documents/{code}/versions/2/signatures", {"signature": good})
    assert r.status_code == 422
    assert (
        f"over version 1 (SHA-256 {v1.sha256}), not over version 2 (SHA-256 {v2.sha256})"
        in r.json()["detail"]
    )
    r = pak.post(
        f"/documents/{code}/versions/1/signatures", {"signature": line_for(keyed_charter, "PAK", v1.text)}
    )
    assert r.status_code == 409 and "superseded" in r.json()["detail"]
    assert counts() == before


def test_a_draft_cannot_be_signed_and_an_unkeyed_charter_signs_nothing(users, keyed_charter):
    v = services.create_document(users["afg_liaison"], kind="minutes", title="Minutes", body="b")
    text = services.version_text(v)
    with pytest.raises(Conflict, match="draft"):
        services.sign(users["afg_liaison"], v.document.code, line_for(keyed_charter, "AFG", text))


def test_without_keys_in_the_charter_nobody_can_sign(users, charter_keyring):
    v = frozen(users)  # the shipped charter: offices without keys
    with pytest.raises(ValidationFailed, match="not a signatory key in the charter"):
        services.sign(users["afg_liaison"], v.document.code, line_for(charter_keyring, "AFG", v.text))


# --- amendments ------------------------------------------------------------------------------------------------


def test_amendment_chain(users, keyed_charter, tur_lead, api):
    v1 = sign_all(users, tur_lead, keyed_charter, frozen(users))
    code = v1.document.code
    with pytest.raises(Conflict):
        services.update_draft(users["qat_lead"], code, title="x", body="y", number=1)
    r = api("pak_liaison").post(
        f"/documents/{code}/amendments", {"body": BODY + "3. Trade through Torkham resumes.\n"}
    )
    assert r.status_code == 201, r.content
    # PAK's amendment is its draft: AFG does not see version 2 yet, the mediators do.
    assert [x["number"] for x in api("afg_liaison").get(f"/documents/{code}").json()["versions"]] == [1]
    assert [x["number"] for x in api("qat_lead").get(f"/documents/{code}").json()["versions"]] == [1, 2]
    with pytest.raises(Conflict, match="still a draft"):
        services.amend(users["qat_lead"], code)
    v2 = services.freeze(users["pak_liaison"], code, 2)
    v1.refresh_from_db()
    assert v1.state == VersionState.AGREED  # agreed stays agreed until its amendment is agreed
    h = doctext.parse_text(v2.text)
    assert (h.version, h.previous) == (2, v1.sha256)
    text1 = v1.text
    sign_all(users, tur_lead, keyed_charter, v2)
    v1.refresh_from_db()
    assert (v1.state, v2.state) == (VersionState.SUPERSEDED, VersionState.AGREED)
    assert v1.text == text1 and v1.signatures.count() == 4  # the old version stays as it was
    assert doctext.verify(services.signed_note(v1), _charter()).agreed


# --- API and offline verification ------------------------------------------------------------------------------


def test_api_round_trip_and_offline_verify(users, keyed_charter, tur_lead, api, tmp_path):
    qat = api("qat_lead")
    r = qat.post(
        "/documents", {"kind": "communique", "title": "Communiqué", "body": BODY, "agreement": "DOHA-2025"}
    )
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json()["receipts"]
    assert qat.post(f"/documents/{code}/versions/1/freeze").json()["versions"][0]["state"] == "frozen"
    resp = qat.get(f"/documents/{code}/versions/1/text")
    assert resp["Content-Type"].startswith("text/plain")
    text_file = tmp_path / "v1.txt"
    text_file.write_bytes(resp.content)
    assert resp["X-Sulh-SHA256"] == doctext.sha256(resp.content.decode())
    for org in ORGS:  # each signatory signs the downloaded bytes with `sulh doc sign` on their own machine
        key_file = tmp_path / f"{org}.key"
        key_file.write_text(keyed_charter[org].signer_key + "\n")
        key_file.chmod(0o600)
        out = io.StringIO()
        assert cli.main(["sign", str(text_file), "--key-file", str(key_file), "--yes"], out=out) == 0
        client = api(UPLOADER[org]) if org != "TUR" else _tur_client(tur_lead)
        r = client.post(f"/documents/{code}/versions/1/signatures", {"signature": out.getvalue()})
        assert r.status_code == 201, r.content
    assert r.json()["state"] == "agreed"
    signed = api("jmt_monitor").get(f"/documents/{code}/versions/1/signed")
    assert signed.status_code == 200
    note_file = tmp_path / "signed.txt"
    note_file.write_bytes(signed.content)
    out = io.StringIO()
    assert cli.main(["verify", str(note_file), "--charter", str(keyed_charter.path)], out=out) == 0
    assert "AGREED" in out.getvalue() and out.getvalue().count(" OK ") == 4
    # The same check as a separate program, with no Django settings at all.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    sulh = Path(sys.executable).parent / "sulh"
    proc = subprocess.run(  # noqa: S603 -- our own program, our own files
        [str(sulh), "doc", "verify", str(note_file), "--charter", str(keyed_charter.path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # Tampered: the text changed after signing (one word of the body).
    tampered = tmp_path / "tampered.txt"
    tampered.write_bytes(signed.content.replace(b"maintain the ceasefire", b"end the ceasefire"))
    proc = subprocess.run(  # noqa: S603 -- our own program, our own files
        [str(sulh), "doc", "verify", str(tampered), "--charter", str(keyed_charter.path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "does not verify" in proc.stdout and "NOT agreed" in proc.stderr
    assert proc.stdout.count("INVALID") == 4


def _tur_client(user):
    from sulh.conftest import ApiClient

    return ApiClient(user)


def test_verify_rejects_an_altered_signature_line_and_another_charter(users, keyed_charter, tur_lead, tmp_path,
                                                                      charter_keyring):  # fmt: skip
    v = sign_all(users, tur_lead, keyed_charter, frozen(users))
    signed = services.signed_note(v)
    lines = signed.split("\n")
    i = next(i for i, line in enumerate(lines) if line.startswith("\u2014 pak."))
    name, b64 = lines[i][2:].split(" ")
    raw = bytearray(note.b64decode(b64))
    raw[-1] ^= 0x80
    lines[i] = f"\u2014 {name} {note.b64encode(bytes(raw))}"
    path = tmp_path / "altered.txt"
    path.write_text("\n".join(lines))
    out = io.StringIO()
    assert cli.main(["verify", str(path), "--charter", str(keyed_charter.path)], out=out) == 1
    text = out.getvalue()
    assert "PAK    INVALID" in text and "AFG    OK" in text
    assert "the signature of PAK" in text and "changed after signing" in text
    # A line dropped: PAK missing.
    path.write_text("\n".join(line for j, line in enumerate(signed.split("\n")) if j != i))
    out = io.StringIO()
    assert cli.main(["verify", str(path), "--charter", str(keyed_charter.path)], out=out) == 1
    assert "PAK    MISSING" in out.getvalue()
    # Verified against the shipped charter (no keys): nothing is agreed.
    out = io.StringIO()
    path.write_text(signed)
    import sulh

    shipped = Path(sulh.__file__).parent / "charter" / "charters" / "af-pak.yaml"
    assert cli.main(["verify", str(path), "--charter", str(shipped)], out=out) == 1
    assert "no signatory key in the charter" in out.getvalue()


def test_keygen_and_sign_cli(tmp_path, capsys):
    key = tmp_path / "k" / "sig.key"
    out = io.StringIO()
    assert cli.main(["keygen", "--name", "afg.signatory", "--key-file", str(key)], out=out) == 0
    vkey = out.getvalue().strip()
    verifier = note.parse_verifier_key(vkey)
    assert verifier.name == "afg.signatory"
    assert key.stat().st_mode & 0o777 == 0o600
    assert cli.main(["keygen", "--name", "afg.signatory", "--key-file", str(key)], out=io.StringIO()) == 1
    assert "not overwritten" in capsys.readouterr().err
    text = doctext.build_text(origin="o", code="DOC-2025-0001", number=1, previous_sha256=None, kind="minutes",
                              title="Minutes", body="hello")  # fmt: skip
    f = tmp_path / "t.txt"
    f.write_text(text)
    out = io.StringIO()
    assert cli.main(["sign", str(f), "--key-file", str(key)], inp=io.StringIO("no\n"), out=out) == 1
    assert out.getvalue() == "" and "NOT SIGNED" in capsys.readouterr().err
    assert cli.main(["sign", str(f), "--key-file", str(key)], inp=io.StringIO("yes\n"), out=out) == 0
    err = capsys.readouterr().err
    assert doctext.sha256(text) in err and "title     Minutes" in err
    sig = note.parse_signature_line(out.getvalue().rstrip("\n"))
    assert verifier.verify(text, sig.signature)
    f.write_text("not a document\n")
    assert cli.main(["sign", str(f), "--key-file", str(key), "--yes"], out=io.StringIO()) == 1


@pytest.mark.django_db(transaction=True)
def test_fetch_and_submit_against_a_live_server(users, keyed_charter, live_server, tmp_path, capsys):
    from sulh.accounts.models import ApiToken

    v = frozen(users)
    code = v.document.code
    _, token = ApiToken.issue(users["afg_liaison"], "cli")
    base = ["--url", live_server.url, "--token", token]
    text_file = tmp_path / "v1.txt"
    assert cli.main([*base, "fetch", code, "--version", "1", "-o", str(text_file)]) == 0
    assert text_file.read_text() == v.text
    key = tmp_path / "afg.key"
    key.write_text(keyed_charter["AFG"].signer_key)
    key.chmod(0o600)
    sig = tmp_path / "afg.sig"
    with sig.open("w") as f:
        assert cli.main(["sign", str(text_file), "--key-file", str(key), "--yes"], out=f) == 0
    out = io.StringIO()
    assert cli.main([*base, "submit", code, "--version", "1", str(sig)], out=out) == 0
    assert "FROZEN" in out.getvalue() and "AFG" in out.getvalue() and "receipts" in out.getvalue()
    capsys.readouterr()
    assert cli.main([*base, "submit", code, "--version", "1", str(sig)], out=io.StringIO()) == 1
    assert "refused (HTTP 409)" in capsys.readouterr().err
    assert Signature.objects.filter(version=v).count() == 1
