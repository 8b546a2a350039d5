"""The shared world of the access tests: five incidents, each with one claim of a different owner and
audience, and who may read each one. The expected visibility is written out by hand from the rules in
docs/architecture.md, not computed by the code under test."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.conftest import CHAMAN, SPIN_BOLDAK, USER_SPECS, incident_payload
from sulh.evidence import services as evidence
from sulh.incidents import services
from sulh.incidents.schemas import IncidentIn

ROLES = list(USER_SPECS)

# Which users may read each incident (and its one claim).
SEES = {
    "pak_mediators": {"pak_liaison", "pak_commander", "pak_analyst", "qat_verifier", "qat_lead", "tur_analyst"},
    "afg_draft": {"afg_liaison", "afg_commander", "afg_analyst"},
    "afg_parties": {
        "afg_liaison", "afg_commander", "afg_analyst", "pak_liaison", "pak_commander", "pak_analyst",
        "qat_verifier", "qat_lead", "tur_analyst", "jmt_monitor",
    },
    "pak_public_published": set(ROLES),
    "jmt_mediators": {"jmt_monitor", "qat_verifier", "qat_lead", "tur_analyst"},
}  # fmt: skip
FILERS = {r for r in ROLES if r not in ("ops_admin", "public")}


@pytest.fixture
def world(users, settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"

    def make(owner, **overrides):
        data = IncidentIn(**incident_payload(**overrides))
        claim = services.create_incident(users[owner], data)
        upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, content_type="image/jpeg")
        ev = evidence.attach(users[owner], upload, evidence.EvidenceMeta(description="x"), claim_id=claim.pk)
        return {"incident": claim.incident, "claim": claim, "evidence": ev}

    w = {
        "pak_mediators": make("pak_liaison", audience="mediators"),
        "afg_draft": make("afg_liaison", point=SPIN_BOLDAK, alleged_violator="PAK", file=False),
        "afg_parties": make("afg_liaison", point=SPIN_BOLDAK, alleged_violator="PAK", audience="parties"),
        "pak_public_published": make("pak_liaison", point=CHAMAN, audience="public"),
        "jmt_mediators": make("jmt_monitor", source_name="JMP Torkham", alleged_violator=""),
    }
    services.publish_incident(users["qat_lead"], w["pak_public_published"]["incident"].pk)
    return w


