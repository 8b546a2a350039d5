"""A record that shows a crossing open meets the reopening obligations, in its own transaction."""

import datetime as dt

import pytest

from sulh.commitments import services as commitments
from sulh.commitments.models import ObligationChange, ObligationState
from sulh.core.errors import ValidationFailed
from sulh.crossings import services
from sulh.ledger.models import LogEntry

from .conftest import T0, counts

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def reopening(users, mode, subject="TORKHAM"):
    return commitments.create_obligation(
        users["qat_lead"], "ISTANBUL-2025-10-30", kind="crossing_reopening", title=f"Reopen {subject} for {mode}",
        obliged=["PAK"], verified_by="crossing_open", subject=subject, subject_mode=mode,
    )  # fmt: skip


def state(ob):
    ob.refresh_from_db()
    return ob.state


def test_opening_for_trade_meets_the_trade_obligation_only(users):
    trade, travel, both = reopening(users, "trade"), reopening(users, "travel"), reopening(users, "both")
    u = users["pak_liaison"]
    services.record_status(u, "TORKHAM", mode="both", status="closed", reason="closed", effective_at=T0)
    services.record_status(u, "TORKHAM", mode="trade", status="restricted", reason="r", effective_at=T0 + DAY)
    assert (state(trade), state(travel), state(both)) == ("pending",) * 3
    made = services.record_status(u, "TORKHAM", mode="trade", status="open", reason="Reopened for trade",
                                  effective_at=T0 + 2 * DAY)  # fmt: skip
    assert (state(trade), state(travel), state(both)) == ("met", "pending", "pending")
    ch = ObligationChange.objects.get(obligation=trade)
    assert ch.source_record == f"crossing_status:{made[0].pk}"
    assert ch.at == T0 + 2 * DAY and ch.to_state == ObligationState.MET and ch.by is None
    assert "Reopened for trade" in ch.reason
    assert LogEntry.objects.filter(kind="obligation.met", record_id=str(ch.pk)).exists()
    # travel opens later: now both modes are open, so "both" and "travel" are met, from the later time
    made = services.record_status(users["jmt_monitor"], "TORKHAM", mode="travel", status="open", reason="Travel too",
                                  effective_at=T0 + 3 * DAY)  # fmt: skip
    assert (state(travel), state(both)) == ("met", "met")
    ch = ObligationChange.objects.get(obligation=both)
    assert ch.at == T0 + 3 * DAY and ch.source_record == f"crossing_status:{made[0].pk}"


def test_opening_both_at_once_meets_every_mode(users):
    obs = [reopening(users, m) for m in ("trade", "travel", "both")]
    other = reopening(users, "both", subject="CHAMAN-SPIN-BOLDAK")
    made = services.record_status(users["qat_verifier"], "TORKHAM", mode="both", status="open", reason="open",
                                  effective_at=T0 + DAY)  # fmt: skip
    assert [state(o) for o in obs] == ["met"] * 3
    assert state(other) == "pending"
    assert set(ObligationChange.objects.values_list("source_record", flat=True)) <= {
        f"crossing_status:{r.pk}" for r in made
    }


def test_restricted_does_not_meet_and_a_refused_record_meets_nothing(users):
    ob = reopening(users, "trade")
    u = users["afg_commander"]
    services.record_status(u, "TORKHAM", mode="trade", status="restricted", reason="r", effective_at=T0 + DAY)
    assert state(ob) == "pending"
    before = counts()
    with pytest.raises(ValidationFailed):
        services.record_status(u, "TORKHAM", mode="trade", status="open", reason="open", effective_at=T0)
    assert counts() == before and state(ob) == "pending"


def test_an_obligation_already_met_is_not_met_twice(users):
    ob = reopening(users, "trade")
    u = users["pak_commander"]
    services.record_status(u, "TORKHAM", mode="trade", status="open", reason="open", effective_at=T0)
    services.record_status(
        u, "TORKHAM", mode="trade", status="closed", reason="shut again", effective_at=T0 + DAY
    )
    services.record_status(
        u, "TORKHAM", mode="trade", status="open", reason="open", effective_at=T0 + 2 * DAY
    )
    assert ObligationChange.objects.filter(obligation=ob).count() == 1
