"""Each party's record of commitments: met on time or late against the due time, partly met, breached,
disputed, open, overdue; mutual obligations count for both; the on-time rate."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from sulh.commitments import record, services

pytestmark = pytest.mark.django_db


def test_records_by_party(users, make_ob, evidence):
    now = timezone.now()
    lead = users["qat_lead"]
    on_time = make_ob(obliged=["AFG"], due_at=now + dt.timedelta(days=1))
    services.change_state(lead, on_time.code, "met", reason="ok", evidence_ids=[evidence])
    late = make_ob(obliged=["AFG", "PAK"], due_at=now + dt.timedelta(hours=1))
    with mock.patch("django.utils.timezone.now", return_value=now + dt.timedelta(hours=3)):
        services.change_state(lead, late.code, "met", reason="late", evidence_ids=[evidence])
    partly = make_ob(obliged=["PAK"])
    services.change_state(lead, partly.code, "partly_met", reason="half", evidence_ids=[evidence])
    breached = make_ob(obliged=["PAK"])
    services.change_state(lead, breached.code, "breached", reason="no", evidence_ids=[evidence])
    disputed = make_ob(obliged=["AFG"])
    services.change_state(users["pak_liaison"], disputed.code, "disputed", reason="not begun")
    overdue = make_ob(obliged=["AFG"], due_at=now - dt.timedelta(days=1))
    still_open = make_ob(obliged=["PAK"], due_at=now + dt.timedelta(days=30))
    undated = make_ob(obliged=["PAK"])

    recs = {r.party: r for r in record.party_records(users["afg_liaison"], now=now + dt.timedelta(hours=4))}
    afg, pak = recs["AFG"], recs["PAK"]
    assert (afg.owed, afg.met_on_time, afg.met_late, afg.disputed, afg.overdue, afg.open) == (
        4,
        1,
        1,
        1,
        1,
        0,
    )
    assert (pak.owed, pak.met_on_time, pak.met_late, pak.partly_met, pak.breached, pak.open) == (
        5,
        0,
        1,
        1,
        1,
        2,
    )
    assert afg.obligations["overdue"] == [overdue.code]
    assert sorted(pak.obligations["open"]) == sorted([still_open.code, undated.code])
    assert afg.on_time_rate == round(1 / 3, 4)  # met on time / (met on time, met late, overdue)
    assert pak.on_time_rate == 0.0
    assert record.party_records(users["public"]) == []
