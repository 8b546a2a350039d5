"""The crossings API by role: reading (full for the mechanism, statuses only for the public and the
operator), recording, refusals as 4xx that change nothing, the GeoJSON for maps."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sulh.commitments import services as commitments

from .conftest import T0, counts

pytestmark = pytest.mark.django_db
MECHANISM = ["afg_analyst", "pak_liaison", "tur_analyst", "qat_lead", "jmt_monitor"]
OUTSIDE = ["public", "ops_admin"]


@pytest.fixture
def closed(api):
    r = api("afg_liaison").post("/crossings/TORKHAM/status", {
        "mode": "both", "status": "closed", "effective_at": T0.isoformat(), "trucks_waiting": 120,
        "reason": "Closed after the clashes; 120 trucks counted by our customs post",
    })  # fmt: skip
    assert r.status_code == 201, r.content
    return r.json()


def test_recording_answers_the_records_and_receipts(closed):
    assert [(x["mode"], x["status"]) for x in closed["records"]] == [
        ("trade", "closed"),
        ("travel", "closed"),
    ]
    assert closed["records"][0]["trucks_waiting"] == 120 and closed["records"][1]["trucks_waiting"] is None
    assert len(closed["receipts"]) == 2 and closed["obligations_met"] == []


@pytest.mark.parametrize("who", MECHANISM + OUTSIDE)
def test_everyone_reads_the_state_only_the_mechanism_reads_reasons(api, closed, who):
    r = api(who).get("/crossings")
    assert r.status_code == 200
    rows = {x["code"]: x for x in r.json()}
    assert rows["TORKHAM"]["state"] == "closed" and rows["ANGOOR-ADDA"]["state"] == "unknown"
    trade = rows["TORKHAM"]["current"]["trade"]
    assert trade["status"] == "closed" and trade["trucks_waiting"] == 120
    d = api(who).get("/crossings/TORKHAM")
    assert d.status_code == 200
    body = d.json()
    assert len(body["history"]) == 2 and body["days_closed"]["since"].startswith("2025-10-12T00:30")
    assert body["days_closed"]["days"]["trade"]["closed"] > 30
    if who in MECHANISM:
        assert trade["reason"].startswith("Closed after") and trade["recorder_org"] == "AFG"
        assert body["history"][0]["recorded_by"] == "afg_liaison"
    else:
        assert trade["reason"] is None and trade["recorded_by"] is None and trade["evidence_ids"] is None
        assert all(h["reason"] is None for h in body["history"])


@pytest.mark.parametrize("who,code", [("public", 403), ("ops_admin", 403), ("afg_analyst", 403),
                                      ("pak_commander", 201), ("jmt_monitor", 201), ("qat_verifier", 201)])  # fmt: skip
def test_recording_by_role(api, closed, who, code):
    client = api(who)  # issuing its token is logged too: count after
    before = counts()
    r = client.post("/crossings/TORKHAM/status", {"mode": "travel", "status": "restricted",
                                                    "reason": "Returning refugees only"})  # fmt: skip
    assert r.status_code == code, r.content
    assert (counts() == before) == (code != 201)


@pytest.mark.parametrize("payload,code,field", [
    ({"mode": "trade", "status": "open", "reason": "r", "effective_at": "2099-01-01T00:00:00Z"}, 422, "effective_at"),
    ({"mode": "trade", "status": "open", "reason": "r", "effective_at": "2025-10-01T00:00:00Z"}, 422, "effective_at"),
    ({"mode": "trade", "status": "closed", "reason": "r", "trucks_waiting": -5}, 422, "trucks_waiting"),
    ({"mode": "trade", "status": "closed", "reason": ""}, 422, "reason"),
    ({"mode": "trade", "status": "ajar", "reason": "r"}, 422, None),
    ({"mode": "trade", "status": "closed", "reason": "r", "evidence_ids": ["00000000-0000-0000-0000-000000000000"]},
     404, "evidence_ids.0"),
])  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(api, closed, payload, code, field):
    client = api("pak_liaison")
    before = counts()
    r = client.post("/crossings/TORKHAM/status", payload)
    assert r.status_code == code, r.content
    if field:
        assert r.json()["field"] == field
    assert counts() == before


def test_unknown_crossing_is_404(api):
    assert api("pak_liaison").get("/crossings/NOWHERE").status_code == 404
    r = api("pak_liaison").post(
        "/crossings/NOWHERE/status", {"mode": "trade", "status": "open", "reason": "r"}
    )
    assert r.status_code == 404


def test_reopening_through_the_api_names_the_obligation_met(api, users, closed):
    ob = commitments.create_obligation(
        users["qat_lead"], "ISTANBUL-2025-10-30", kind="crossing_reopening", title="Reopen Torkham for trade",
        obliged=["PAK"], verified_by="crossing_open", subject="TORKHAM", subject_mode="trade",
    )  # fmt: skip
    r = api("pak_liaison").post("/crossings/TORKHAM/status", {
        "mode": "trade", "status": "open", "reason": "Reopened for trade",
        "effective_at": (T0 + dt.timedelta(days=20)).isoformat(),
    })  # fmt: skip
    assert r.status_code == 201 and r.json()["obligations_met"] == [ob.code]


def test_idempotent_retry_records_once(api, closed):
    body = {"mode": "travel", "status": "restricted", "reason": "Refugees returning only"}
    headers = {"Idempotency-Key": "retry-1"}
    a = api("jmt_monitor").post("/crossings/TORKHAM/status", body, headers=headers)
    before = counts()
    b = api("jmt_monitor").post("/crossings/TORKHAM/status", body, headers=headers)
    assert a.status_code == b.status_code == 201 and a.json()["records"] == b.json()["records"]
    assert counts() == before


def test_geojson_for_the_map(api, closed):
    r = api("public").get("/crossings/status.geojson")
    assert r.status_code == 200 and r["Content-Type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    by = {f["properties"]["code"]: f for f in fc["features"]}
    assert by["TORKHAM"]["geometry"] == {"type": "Point", "coordinates": [71.0905, 34.1133]}
    assert by["TORKHAM"]["properties"]["state"] == "closed"
    assert by["TORKHAM"]["properties"]["modes"]["trade"]["trucks_waiting"] == 120
    assert by["KHARLACHI"]["properties"]["modes"] == {"trade": None, "travel": None}


def test_days_closed_for_a_period_naive_times_in_the_readers_zone(api, users, closed):
    zone = ZoneInfo(users["public"].effective_timezone)
    until = dt.datetime(2025, 10, 20, tzinfo=zone)
    r = api("public").get("/crossings/TORKHAM", since="2025-10-10T00:00:00", until="2025-10-20T00:00:00")
    assert r.status_code == 200, r.content
    d = r.json()["days_closed"]
    assert sum(d["seconds"]["trade"].values()) == 10 * 86400
    assert d["seconds"]["trade"]["closed"] == (until - T0).total_seconds()
    assert d["seconds"]["trade"]["unknown"] == (T0 - until).total_seconds() + 10 * 86400
