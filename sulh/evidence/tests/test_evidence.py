"""Evidence: hashed on arrival, stored by content, never modified, refused with a reason when unfit."""

import hashlib
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.conftest import incident_payload
from sulh.evidence.models import Evidence
from sulh.evidence.storage import EvidenceStore

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.SULH_EVIDENCE_DIR


@pytest.fixture
def incident(api):
    return api("pak_liaison").post("/incidents", incident_payload()).json()


def upload(api, user, path, name="photo.jpg", content=JPEG, **meta):
    f = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return api(user).post(path, data={"file": f, **meta})


def test_upload_hashes_stores_by_content_and_serves_with_the_hash(api, incident, evidence_dir):
    r = upload(api, "pak_liaison", f"/claims/{incident['claim']['id']}/evidence",
               description="Shell fragment", captured_at="2025-10-25T01:10:00+05:00", device="Samsung A52",
               capture_latitude="34.09", capture_longitude="71.14")  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    sha = hashlib.sha256(JPEG).hexdigest()
    assert body["sha256"] == sha and body["size"] == len(JPEG)
    assert body["media_type"] == "image/jpeg" and body["kind"] == "photo"
    assert body["device"] == "Samsung A52" and body["captured_at"].startswith("2025-10-24T20:10")
    stored = evidence_dir / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == JPEG
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0  # read-only (root ignores the mode bits)
    assert oct(stored.stat().st_mode & 0o777) == "0o444"
    d = api("qat_verifier").client.get(body["download_url"])
    assert d.status_code == 200 and b"".join(d.streaming_content) == JPEG
    assert d["X-Content-SHA256"] == sha and d["Repr-Digest"].startswith("sha-256=:")
    assert sha in d["Content-Disposition"] and "photo.jpg" not in d["Content-Disposition"]


def test_same_bytes_twice_are_stored_once(api, incident, evidence_dir):
    path = f"/incidents/{incident['incident']['code']}/evidence"
    a = upload(api, "pak_liaison", path).json()
    b = upload(api, "pak_liaison", path, name="again.jpg").json()
    assert a["sha256"] == b["sha256"] and a["id"] != b["id"]
    files = [p for p in evidence_dir.rglob("*") if p.is_file()]
    assert len(files) == 1


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/shadow", "..\\..\\boot.ini", "photo.jpg\x00.sh", "ok.jpg"])
def test_no_file_name_reaches_the_file_system(api, incident, evidence_dir, name):
    r = upload(api, "pak_liaison", f"/incidents/{incident['incident']['code']}/evidence", name=name)
    assert r.status_code == 201, r.content
    sha = hashlib.sha256(JPEG).hexdigest()
    assert [p.name for p in evidence_dir.rglob("*") if p.is_file()] == [sha]


def test_unknown_or_executable_types_are_refused(api, incident, evidence_dir):
    path = f"/incidents/{incident['incident']['code']}/evidence"
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
    r = upload(api, "pak_liaison", path, name="photo.jpg", content=elf)
    assert r.status_code == 422 and r.json()["field"] == "file" and "not accepted" in r.json()["detail"]
    assert Evidence.objects.count() == 0
    assert not any(p.is_file() for p in evidence_dir.rglob("*")) if evidence_dir.exists() else True


def test_pdf_and_text_are_documents(api, incident):
    path = f"/incidents/{incident['incident']['code']}/evidence"
    assert upload(api, "pak_liaison", path, name="r.pdf", content=PDF).json()["kind"] == "document"
    text = "د پوستې راپور: ډزې د شپې ۲ بجې\n".encode() * 10
    r = upload(api, "pak_liaison", path, name="r.txt", content=text)
    assert r.json()["media_type"] == "text/plain"


def test_size_limit_and_empty_files(api, incident, settings):
    settings.SULH_EVIDENCE_MAX_BYTES = 1000
    path = f"/incidents/{incident['incident']['code']}/evidence"
    r = upload(api, "pak_liaison", path, content=JPEG[:4] + b"\x00" * 2000)
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    r = upload(api, "pak_liaison", path, content=b"")
    assert r.status_code in (400, 422)
    assert Evidence.objects.count() == 0


def test_bad_metadata_is_refused(api, incident):
    path = f"/incidents/{incident['incident']['code']}/evidence"
    r = upload(api, "pak_liaison", path, capture_latitude="34.0")
    assert r.status_code == 422 and r.json()["field"] == "capture_latitude"
    r = upload(api, "pak_liaison", path, audience="everyone")
    assert r.status_code == 422 and r.json()["field"] == "audience"
    assert Evidence.objects.count() == 0


def test_store_detects_a_modified_file(evidence_dir):
    store = EvidenceStore()
    sha, _ = store.put([b"original bytes"])
    assert store.verify(sha)
    path = store.path_for(sha)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered bytes")
    assert not store.verify(sha)
    with pytest.raises(ValueError):
        store.path_for("../../x")
