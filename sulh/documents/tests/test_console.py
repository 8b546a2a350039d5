"""The console: list, drafting, freezing, pasting a signature line, downloads, and what others see."""

import pytest

from sulh.conftest import console_client
from sulh.documents import services
from sulh.documents.models import DocumentVersion, Signature, VersionState
from sulh.ledger import note
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def test_draft_freeze_sign_and_download_in_the_console(users, keyed_charter):
    afg = console_client(users["afg_liaison"])
    r = afg.post("/documents/new", {"kind": "minutes", "title": "Minutes of the technical meeting",
                                    "body": "Both delegations attended.\r\nThe next meeting is on 6 November."})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    v = DocumentVersion.objects.get()
    code = v.document.code
    page = afg.get(f"/documents/{code}")
    assert page.status_code == 200 and "Freeze for signing" in page.content.decode()
    # The other party does not see the draft; the mediators do.
    assert console_client(users["pak_liaison"]).get(f"/documents/{code}").status_code == 404
    assert code in console_client(users["qat_verifier"]).get("/documents/").content.decode()
    r = afg.post(f"/documents/{code}/v1/edit", {"title": "Minutes", "body": "a\tb"})
    assert r.status_code == 422 and "tab character" in r.content.decode()
    assert afg.post(f"/documents/{code}/v1/freeze").status_code == 302
    v.refresh_from_db()
    assert v.state == VersionState.FROZEN
    text = afg.get(f"/documents/{code}/v1/text")
    assert text.status_code == 200 and text.content.decode() == v.text
    # A line by a key the charter does not name: refused next to the field, nothing stored.
    stranger = note.parse_signer_key(note.generate_key("afg.signatory")[0])
    before = (Signature.objects.count(), LogEntry.objects.count())
    r = afg.post(f"/documents/{code}/v1/sign", {"signature": stranger.sign(v.text)})
    assert r.status_code == 422 and "not a signatory key in the charter" in r.content.decode()
    assert (Signature.objects.count(), LogEntry.objects.count()) == before
    line = note.parse_signer_key(keyed_charter["AFG"].signer_key).sign(v.text)
    assert afg.post(f"/documents/{code}/v1/sign", {"signature": line}).status_code == 302
    page = console_client(users["pak_liaison"]).get(f"/documents/{code}").content.decode()
    assert v.sha256 in page and "Head of the Afghan delegation" in page and "missing" in page
    signed = afg.get(f"/documents/{code}/v1/signed")
    assert signed.content.decode() == v.text + "\n" + line
    # The public sees no minutes; a monitor may not draft.
    assert console_client(users["public"]).get(f"/documents/{code}").status_code == 404
    assert console_client(users["jmt_monitor"]).get("/documents/new").status_code == 403


def test_amend_button(users, keyed_charter):
    qat = console_client(users["qat_lead"])
    v = services.create_document(users["qat_lead"], kind="joint_statement", title="Statement", body="text")
    services.freeze(users["qat_lead"], v.document.code)
    assert qat.post(f"/documents/{v.document.code}/amend").status_code == 302
    assert list(v.document.versions.values_list("number", "state")) == [(1, "frozen"), (2, "draft")]
    r = qat.post(f"/documents/{v.document.code}/amend")
    assert r.status_code == 409 and "still a draft" in r.content.decode()
