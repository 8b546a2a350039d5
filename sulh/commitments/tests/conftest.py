"""Fixtures of the commitments tests: evidence items (one the parties see, one only the mediators see) and a
helper that enters an obligation as the Qatari mediators' lead."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sulh.commitments import services
from sulh.conftest import incident_payload

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.SULH_EVIDENCE_DIR


@pytest.fixture
def incident(api):
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    return r.json()["incident"]["code"]


def _attach(user, incident, audience, content):
    from sulh.evidence.services import EvidenceMeta, attach

    upload = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
    return attach(user, upload, EvidenceMeta(description="Photo", audience=audience), incident_ref=incident)


@pytest.fixture
def evidence(users, incident):
    """A photo the mediators attached for the parties to see."""
    return str(_attach(users["qat_lead"], incident, "parties", JPEG).pk)


@pytest.fixture
def secret_evidence(users, incident):
    """A photo only the mediators see."""
    return str(_attach(users["qat_lead"], incident, "mediators", JPEG + b"x").pk)


@pytest.fixture
def make_ob(users):
    def make(**kw):
        kw.setdefault("kind", "other")
        kw.setdefault("title", "Exchange lists of detainees")
        kw.setdefault("obliged", ["AFG"])
        agreement = kw.pop("agreement", "ISTANBUL-2025-10-30")
        return services.create_obligation(users["qat_lead"], agreement, **kw)

    return make


def later(**kw):
    return timezone.now() + dt.timedelta(**kw)
