"""First checks of the obligation core (the full suite of the app is in the other test modules)."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from sulh.commitments import services
from sulh.commitments.models import Obligation, ObligationState, VerifiedBy, Warning
from sulh.core.errors import PermissionDenied, ValidationFailed
from sulh.deadlines import services as deadlines
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def test_charter_agreements_are_entered_at_migration(users):
    codes = set(services.visible_agreements(users["qat_lead"]).values_list("code", flat=True))
    assert {"DOHA-2025", "ISTANBUL-2025-10-30"} <= codes
    assert not services.visible_agreements(users["public"]).exists()


def test_ceasefire_end_before_start_is_refused_and_changes_nothing(users):
    now = timezone.now()
    before = (Obligation.objects.count(), LogEntry.objects.count())
    with pytest.raises(ValidationFailed, match="cannot end before it starts"):
        services.create_obligation(
            users["qat_lead"],
            "DOHA-2025",
            kind="ceasefire",
            title="Extension",
            obliged=["AFG", "PAK"],
            starts_at=now,
            ends_at=now - dt.timedelta(hours=1),
        )
    assert (Obligation.objects.count(), LogEntry.objects.count()) == before


def test_crossing_open_meets_the_reopening_obligation(users):
    ob = services.create_obligation(
        users["qat_lead"],
        "ISTANBUL-2025-10-30",
        kind="crossing_reopening",
        title="Reopen Torkham for trade",
        obliged=["PAK"],
        verified_by=VerifiedBy.CROSSING_OPEN,
        subject="TORKHAM",
        subject_mode="trade",
    )
    assert (
        services.observe(VerifiedBy.CROSSING_OPEN, "TORKHAM", mode="travel", source_record="x:1", reason="r")
        == []
    )
    changes = services.observe(
        VerifiedBy.CROSSING_OPEN, "TORKHAM", mode="both", source_record="x:2", reason="open"
    )
    assert [c.obligation_id for c in changes] == [ob.pk]
    ob.refresh_from_db()
    assert ob.state == ObligationState.MET


def test_party_may_not_mark_met_and_expiry_warnings_fire(users):
    now = timezone.now()
    ob = services.create_obligation(
        users["qat_lead"],
        "DOHA-2025",
        kind="ceasefire",
        title="48-hour truce",
        obliged=["AFG", "PAK"],
        starts_at=now,
        ends_at=now + dt.timedelta(hours=48),
    )
    with pytest.raises(PermissionDenied):
        services.change_state(users["afg_liaison"], ob.code, "met", reason="we did", evidence_ids=[])
    fired = deadlines.fire_due(limit=50)
    assert not [d for d in fired if d.subject == str(ob.pk)]
    later = ob.ends_at - dt.timedelta(hours=23)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        deadlines.fire_due(limit=50)
    assert list(Warning.objects.filter(obligation=ob).values_list("kind", "step")) == [("expiry", 0)]


def test_reopening_obligation_for_a_mode_the_crossing_lacks_is_refused(users, settings, tmp_path):
    from sulh.charter.loader import get_charter

    src = Path(settings.SULH_CHARTER).read_text(encoding="utf-8")
    # A copy of the charter where Kharlachi serves travel only.
    head, _, tail = src.partition("  - code: KHARLACHI\n")
    tail = tail.replace("    trade: true\n", "    trade: false\n", 1)
    path = tmp_path / "charter.yaml"
    path.write_text(head + "  - code: KHARLACHI\n" + tail, encoding="utf-8")
    settings.SULH_CHARTER = str(path)
    assert get_charter().crossing("KHARLACHI").trade is False
    before = Obligation.objects.count()
    with pytest.raises(ValidationFailed, match="does not serve trade"):
        services.create_obligation(
            users["qat_lead"],
            "DOHA-2025",
            kind="crossing_reopening",
            title="Reopen",
            obliged=["PAK"],
            verified_by=VerifiedBy.CROSSING_OPEN,
            subject="KHARLACHI",
            subject_mode="both",
        )
    assert Obligation.objects.count() == before


def test_codes_count_on_past_9999(users):
    from sulh.core import codes

    a = services.create_obligation(users["qat_lead"], "DOHA-2025", kind="other", title="a", obliged=["AFG"])
    b = services.create_obligation(users["qat_lead"], "DOHA-2025", kind="other", title="b", obliged=["AFG"])
    year = a.code.split("-")[1]
    Obligation.objects.filter(pk=a.pk).update(code=f"OBL-{year}-9999")
    Obligation.objects.filter(pk=b.pk).update(code=f"OBL-{year}-10000")
    assert codes.next_code(Obligation, "OBL", a.created_at) == f"OBL-{year}-10001"


def test_dashboard_lists_are_capped_with_their_totals(users, monkeypatch, client):
    from sulh.commitments import record

    monkeypatch.setattr(record, "LIST_LIMIT", 2)
    past = timezone.now() - dt.timedelta(days=3)
    made = [
        services.create_obligation(users["qat_lead"], "DOHA-2025", kind="other", title=f"late {i}",
                                   obliged=["PAK"], due_at=past + dt.timedelta(hours=i))
        for i in range(3)
    ]  # fmt: skip
    d = record.dashboard(users["afg_liaison"])
    assert d["overdue_total"] == 3 and [o.pk for o in d["overdue"]] == [made[0].pk, made[1].pk]
    client.force_login(users["afg_liaison"])
    page = client.get("/commitments/").content.decode()
    assert "The first 2 of 3, longest overdue first." in page
