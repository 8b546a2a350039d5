"""Recording a crossing's status: who may, what is refused (and changes nothing), the ledger, the order."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sulh.charter.schema_commitments import CROSSING_STATUSES
from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.crossings import services
from sulh.crossings.models import CrossingHead, CrossingStatus, Status
from sulh.ledger.models import LogEntry

from .conftest import T0, counts

pytestmark = pytest.mark.django_db

RECORDERS = [
    "afg_liaison",
    "afg_commander",
    "pak_liaison",
    "pak_commander",
    "qat_verifier",
    "qat_lead",
    "jmt_monitor",
]
NOT_RECORDERS = ["afg_analyst", "pak_analyst", "tur_analyst", "ops_admin", "public"]


def test_statuses_are_the_charters():
    assert tuple(Status.values) == CROSSING_STATUSES


def test_both_modes_at_once_are_two_records_in_one_batch_each_logged(users):
    before = LogEntry.objects.count()
    made = services.record_status(
        users["afg_liaison"], "TORKHAM", mode="both", status="closed", effective_at=T0,
        reason="Closed by Pakistan after the clashes of 11–12 October", trucks_waiting=500, people_waiting=40,
    )  # fmt: skip
    assert [(r.mode, r.seq, r.status) for r in made] == [("trade", 1, "closed"), ("travel", 1, "closed")]
    assert made[0].batch == made[1].batch
    assert (made[0].trucks_waiting, made[0].people_waiting) == (500, None)
    assert (made[1].trucks_waiting, made[1].people_waiting) == (None, 40)
    assert made[0].recorder_org == "AFG" and made[0].recorded_by == users["afg_liaison"]
    assert made[0].effective_at == T0 and made[0].recorded_at > T0
    entries = LogEntry.objects.order_by("-index")[:2]
    assert LogEntry.objects.count() == before + 2
    assert {e.kind for e in entries} == {"crossing_status.closed"}
    assert {e.record_id for e in entries} == {str(r.pk) for r in made}
    state = services.current("TORKHAM")
    assert {m: r.pk for m, r in state.items()} == {"trade": made[0].pk, "travel": made[1].pk}


def test_who_may_record_and_who_may_not(users):
    for i, who in enumerate(RECORDERS):
        made = services.record_status(users[who], "CHAMAN-SPIN-BOLDAK", mode="trade", status="closed",
                                      reason="closed", effective_at=T0 + dt.timedelta(hours=i))  # fmt: skip
        assert made[0].recorder_org == users[who].organisation.code and made[0].seq == i + 1
    for who in NOT_RECORDERS:
        before = counts()
        with pytest.raises(PermissionDenied):
            services.record_status(users[who], "TORKHAM", mode="trade", status="open", reason="r",
                                   effective_at=T0)  # fmt: skip
        assert counts() == before, who


def _refused(users, exc, field, *, who="pak_liaison", code="TORKHAM", **kw):
    args = {
        "mode": "trade",
        "status": "closed",
        "reason": "Closed after the clashes",
        "effective_at": T0,
    } | kw
    before = counts()
    with pytest.raises(exc) as info:
        services.record_status(users[who], code, **args)
    assert counts() == before
    assert info.value.field == field, info.value.message
    return info.value.message


def test_a_time_in_the_future_is_refused(users):
    msg = _refused(users, ValidationFailed, "effective_at",
                   effective_at=timezone.now() + dt.timedelta(minutes=5))  # fmt: skip
    assert "future" in msg


def test_a_time_before_the_last_record_is_refused_and_an_equal_one_accepted(users):
    services.record_status(
        users["pak_liaison"], "TORKHAM", mode="both", status="closed", reason="r", effective_at=T0
    )
    msg = _refused(users, ValidationFailed, "effective_at", status="open",
                   effective_at=T0 - dt.timedelta(seconds=1))  # fmt: skip
    assert "before the last record" in msg
    # "both" is refused as a whole when either mode's last record is later: no half-made change
    services.record_status(users["pak_liaison"], "TORKHAM", mode="travel", status="restricted", reason="r",
                           effective_at=T0 + dt.timedelta(days=2))  # fmt: skip
    _refused(users, ValidationFailed, "effective_at", mode="both", effective_at=T0 + dt.timedelta(days=1))
    same = services.record_status(users["pak_liaison"], "TORKHAM", mode="trade", status="restricted", reason="r",
                                  effective_at=T0)  # fmt: skip
    assert same[0].seq == 2
    assert services.current("TORKHAM")["trade"].pk == same[0].pk


def test_an_unknown_crossing_is_refused(users):
    msg = _refused(users, NotFound, "crossing", code="WAKHAN-GATE")
    assert "WAKHAN-GATE" in msg


def test_a_mode_the_crossing_lacks_is_refused(users, travel_only_charter):
    msg = _refused(users, ValidationFailed, "mode", code="KHARLACHI", mode="trade")
    assert "not a crossing for trade" in msg
    _refused(users, ValidationFailed, "mode", code="KHARLACHI", mode="both")
    ok = services.record_status(users["pak_liaison"], "KHARLACHI", mode="travel", status="closed", reason="r",
                                effective_at=T0)  # fmt: skip
    assert [r.mode for r in ok] == ["travel"]


def test_an_unknown_mode_or_status_is_refused(users):
    _refused(users, ValidationFailed, "mode", mode="pilgrims")
    _refused(users, ValidationFailed, "status", status="half-open")


def test_negative_or_absurd_waiting_figures_are_refused(users):
    for field, value in [("trucks_waiting", -1), ("people_waiting", -20), ("trucks_waiting", 2.5),
                         ("trucks_waiting", 10**9)]:  # fmt: skip
        _refused(users, ValidationFailed, field, mode="both", **{field: value})


def test_waiting_figures_go_with_their_mode(users):
    _refused(users, ValidationFailed, "people_waiting", mode="trade", people_waiting=10)
    _refused(users, ValidationFailed, "trucks_waiting", mode="travel", trucks_waiting=10)


def test_the_reason_is_required(users):
    _refused(users, ValidationFailed, "reason", reason="   ")


def test_evidence_the_recorder_may_not_see_is_refused(users, pak_draft_evidence):
    msg = _refused(users, NotFound, "evidence_ids.0", who="afg_liaison", evidence_ids=[pak_draft_evidence])
    assert "that you may see" in msg
    _refused(users, NotFound, "evidence_ids.0", who="afg_liaison", evidence_ids=["not-an-id"])
    made = services.record_status(users["pak_liaison"], "TORKHAM", mode="trade", status="closed", reason="r",
                                  effective_at=T0, evidence_ids=[pak_draft_evidence])  # fmt: skip
    assert made[0].evidence_ids == [pak_draft_evidence]
    # others see the record but not the evidence they may not see
    assert services.visible_evidence_ids(users["afg_liaison"], made[0].evidence_ids) == []
    assert services.visible_evidence_ids(users["pak_commander"], made[0].evidence_ids) == [pak_draft_evidence]


def test_a_time_without_offset_is_read_in_the_recorders_zone(users):
    naive = dt.datetime(2025, 10, 12, 6, 0)
    made = services.record_status(users["pak_liaison"], "TORKHAM", mode="trade", status="closed", reason="r",
                                  effective_at=naive)  # fmt: skip
    zone = ZoneInfo(users["pak_liaison"].effective_timezone)
    assert made[0].effective_at == naive.replace(tzinfo=zone)


def test_records_are_numbered_per_crossing_and_mode_and_the_head_follows(users):
    u = users["jmt_monitor"]
    for i, status in enumerate(["closed", "restricted", "open"]):
        services.record_status(u, "GHULAM-KHAN", mode="trade", status=status, reason=status,
                               effective_at=T0 + dt.timedelta(days=i))  # fmt: skip
    services.record_status(u, "GHULAM-KHAN", mode="travel", status="closed", reason="c", effective_at=T0)
    seqs = list(CrossingStatus.objects.filter(crossing="GHULAM-KHAN").values_list("mode", "seq", "status"))
    assert seqs == [
        ("trade", 1, "closed"),
        ("trade", 2, "restricted"),
        ("trade", 3, "open"),
        ("travel", 1, "closed"),
    ]
    head = CrossingHead.objects.get(crossing="GHULAM-KHAN", mode="trade")
    assert head.count == 3 and head.current.status == "open"
    assert (
        services.combined(services.current("GHULAM-KHAN")) == "restricted"
    )  # open for trade, closed for travel


def test_overview_covers_every_charter_crossing(users):
    services.record_status(
        users["qat_lead"], "TORKHAM", mode="both", status="closed", reason="r", effective_at=T0
    )
    rows = {s.crossing.code: s for s in services.overview(users["public"])}
    assert set(rows) == {c.code for c in services.crossings()}
    assert rows["TORKHAM"].state == "closed" and rows["ANGOOR-ADDA"].state == "unknown"
    assert rows["TORKHAM"].last is not None
