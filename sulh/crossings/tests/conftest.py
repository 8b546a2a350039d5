"""Fixtures of the crossings tests: a past moment to record from, counts of rows, a charter copy with a
crossing that serves travel only, evidence of one party's draft claim."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.conftest import incident_payload

T0 = dt.datetime(2025, 10, 12, 0, 30, tzinfo=dt.UTC)  # Torkham closed on the night of 11–12 October


def counts():
    from sulh.commitments.models import ObligationChange
    from sulh.crossings.models import CrossingHead, CrossingStatus
    from sulh.ledger.models import LogEntry

    return (CrossingStatus.objects.count(), CrossingHead.objects.count(), LogEntry.objects.count(),
            ObligationChange.objects.count())  # fmt: skip


@pytest.fixture(scope="session")
def travel_only_charter_path(tmp_path_factory):
    """A copy of the configured charter in which Kharlachi serves travel only (trade: false)."""
    from django.conf import settings

    text = Path(settings.SULH_CHARTER).read_text(encoding="utf-8")
    head, tail = text.split("  - code: KHARLACHI\n", 1)
    assert "    trade: true\n" in tail.split("\n\n", 1)[0]
    tail = tail.replace("    trade: true\n", "    trade: false\n", 1)
    out = tmp_path_factory.mktemp("charter") / "travel-only.yaml"
    out.write_text(head + "  - code: KHARLACHI\n" + tail, encoding="utf-8")
    return out


@pytest.fixture
def travel_only_charter(travel_only_charter_path, settings):
    settings.SULH_CHARTER = str(travel_only_charter_path)
    return travel_only_charter_path


@pytest.fixture
def pak_draft_evidence(api, settings, tmp_path):
    """Evidence on Pakistan's own draft claim: Pakistan sees it, nobody else does."""
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    body = api("pak_liaison").post("/incidents", incident_payload()).json()
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
    f = SimpleUploadedFile("p.jpg", jpeg, content_type="application/octet-stream")
    r = api("pak_liaison").post(f"/claims/{body['claim']['id']}/evidence", data={"file": f})
    assert r.status_code == 201, r.content
    return r.json()["id"]
