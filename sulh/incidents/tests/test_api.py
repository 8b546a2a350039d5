"""The incident register through the API: create, read, filter, export, and refuse bad input."""

import csv
import io
import json

import pytest

from sulh.conftest import CHAMAN, SPIN_BOLDAK, claim_payload, incident_payload
from sulh.incidents.export import ACLED_COLUMNS
from sulh.incidents.models import Claim, Incident

pytestmark = pytest.mark.django_db


def create(api, user="pak_liaison", **overrides):
    r = api(user).post("/incidents", incident_payload(**overrides))
    assert r.status_code == 201, r.content
    return r.json()


def test_create_incident_computes_code_place_and_utc(api):
    body = create(api)
    inc, claim = body["incident"], body["claim"]
    assert inc["code"] == "AFPK-2025-10-0001"
    assert inc["side"] == "PAK"
    assert inc["district"] and inc["province"] and inc["sector"]
    assert 0 < inc["distance_to_border_m"] < 15_000
    # 22:30 at UTC+5 is 17:30 UTC
    assert inc["date_start"].startswith("2025-10-24T17:30:00")
    assert claim["status"] == "filed" and claim["reporting_party"] == "PAK" and claim["source_kind"] == "party"
    assert claim["deaths_best"] == 30 and claim["deaths_low"] == 30 and claim["deaths_high"] == 30
    assert claim["code"] == "AFPK-2025-10-0001/C1"
    assert create(api)["incident"]["code"] == "AFPK-2025-10-0002"


def test_codes_are_numbered_per_month(api):
    create(api)
    nov = create(api, date_start="2025-11-02", date_end=None)
    assert nov["incident"]["code"] == "AFPK-2025-11-0001"


def test_dates_without_time_cover_the_day_in_the_users_zone(api):
    body = create(api, "afg_liaison", point=SPIN_BOLDAK, date_start="2025-10-15", date_end=None, alleged_violator="PAK")
    # Kabul is UTC+4:30: the 15th starts at 19:30 UTC on the 14th
    assert body["incident"]["date_start"].startswith("2025-10-14T19:30:00")
    assert body["incident"]["date_end"].startswith("2025-10-15T19:29:59")


def test_two_contradicting_claims_are_kept_side_by_side(api):
    """Spin Boldak, 15 October 2025: 15–20 fighters killed says one side; 12 civilians and 100 injured the other."""
    first = create(
        api, "pak_liaison", point=SPIN_BOLDAK, title="Spin Boldak fighting", alleged_violator="AFG",
        deaths_a=None, deaths_b=None, deaths_low=15, deaths_best=15, deaths_high=20, audience="parties",
        date_start="2025-10-15", date_end=None,
    )  # fmt: skip
    ref = first["incident"]["code"]
    r = api("afg_liaison").post(
        f"/incidents/{ref}/claims",
        claim_payload(
            point=SPIN_BOLDAK, alleged_violator="PAK", source_name="Taliban spokesman", deaths_a=None, deaths_b=None,
            deaths_civilians=12, injured_best=100, audience="parties", date_start="2025-10-15", date_end=None,
        ),
    )  # fmt: skip
    assert r.status_code == 201, r.content
    detail = api("qat_verifier").get(f"/incidents/{ref}").json()
    figures = [(c["source_name"], c["deaths_low"], c["deaths_high"], c["deaths_civilians"], c["injured_best"]) for c in detail["claims"]]
    assert figures == [("ISPR", 15, 20, None, None), ("Taliban spokesman", 12, 12, 12, 100)]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"latitude": 123}, "latitude"),
        ({"event_type": "Battles", "sub_event_type": "Air/drone strike"}, "sub_event_type"),
        ({"date_prec": 9}, "date_prec"),
        ({"date_end": "2025-10-20T00:00:00+05:00"}, "date_end"),
        ({"alleged_violator": "IND"}, "alleged_violator"),
        ({"clause": "NOPE/1"}, "clause"),
        ({"deaths_low": 10, "deaths_high": 5, "deaths_a": None, "deaths_b": None}, "deaths_low"),
        ({"deaths_best": 3}, "deaths_best"),
        ({"source_name": ""}, "source_name"),
        ({"source_url": "not a url"}, "source_url"),
        ({"title": ""}, "title"),
        ({"source_kind": "mediator"}, "source_kind"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_changes_nothing(api, override, field):
    r = api("pak_liaison").post("/incidents", incident_payload(**override))
    assert 400 <= r.status_code < 500, r.content
    assert field in r.content.decode()
    assert Incident.objects.count() == 0 and Claim.objects.count() == 0


def test_malformed_json_is_refused(api):
    r = api("pak_liaison").client.post("/api/v1/incidents", "{not json", content_type="application/json")
    assert r.status_code in (400, 422)
    assert Incident.objects.count() == 0


def test_idempotency_key_makes_a_double_click_create_one_incident(api):
    headers = {"Idempotency-Key": "7c0f3e2a-double-click"}
    a = api("pak_liaison").post("/incidents", incident_payload(), headers=headers)
    b = api("pak_liaison").post("/incidents", incident_payload(), headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json() and b["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1
    c = api("pak_liaison").post("/incidents", incident_payload(title="Something else"), headers=headers)
    assert c.status_code == 409 and "Idempotency-Key" in c.json()["detail"]


def test_filed_claims_are_frozen_and_corrections_supersede(api):
    body = create(api)
    claim_id = body["claim"]["id"]
    r = api("pak_liaison").put(f"/claims/{claim_id}", claim_payload(deaths_b=6))
    assert r.status_code == 422 and "frozen" in r.json()["detail"]
    r = api("pak_liaison").post(f"/claims/{claim_id}/amend", claim_payload(deaths_b=6))
    assert r.status_code == 201
    new = r.json()
    assert new["supersedes_id"] == claim_id and new["deaths_b"] == 6 and new["seq"] == 2
    old = api("pak_liaison").get(f"/claims/{claim_id}").json()
    assert old["deaths_b"] == 5 and old["status"] == "filed"
    again = api("pak_liaison").post(f"/claims/{claim_id}/amend", claim_payload(deaths_b=7))
    assert again.status_code == 422
    other = api("afg_liaison").post(f"/claims/{claim_id}/amend", claim_payload(deaths_b=0))
    assert other.status_code == 404  # a mediators-only claim of the other party: not even visible


def test_drafts_can_be_changed_then_filed(api):
    body = create(api, file=False)
    claim_id = body["claim"]["id"]
    assert body["claim"]["status"] == "draft"
    r = api("pak_liaison").put(f"/claims/{claim_id}", claim_payload(deaths_b=4, file=False))
    assert r.status_code == 200 and r.json()["deaths_b"] == 4 and r.json()["version"] == 2
    r = api("pak_liaison").post(f"/claims/{claim_id}/file")
    assert r.status_code == 200 and r.json()["status"] == "filed"
    assert api("pak_liaison").post(f"/claims/{claim_id}/file").status_code == 422


def test_list_filters_and_pagination(api):
    create(api)  # PAK side, Oct
    create(api, "afg_liaison", point=SPIN_BOLDAK, alleged_violator="PAK", audience="parties", date_start="2025-11-03", date_end=None)
    create(api, point=CHAMAN, event_type="Battles", sub_event_type="Armed clash", audience="parties")
    mediator = api("qat_verifier")
    assert mediator.get("/incidents").json()["count"] == 3
    assert mediator.get("/incidents", side="AFG").json()["count"] == 1
    assert mediator.get("/incidents", event_type="Battles").json()["count"] == 1
    assert mediator.get("/incidents", since="2025-11-01T00:00:00Z").json()["count"] == 1
    assert mediator.get("/incidents", until="2025-10-31T00:00:00Z").json()["count"] == 2
    assert mediator.get("/incidents", party="AFG").json()["count"] == 3  # alleged violator twice, reporter once
    assert mediator.get("/incidents", reporting_party="AFG").json()["count"] == 1
    page = mediator.get("/incidents", limit=2, offset=0).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert len(mediator.get("/incidents", limit=2, offset=2).json()["items"]) == 1
    sector = mediator.get("/incidents", side="AFG").json()["items"][0]["sector"]
    assert all(i["sector"] == sector for i in mediator.get("/incidents", sector=sector).json()["items"])


def test_acled_csv_export(api):
    create(api, deaths_a=25, deaths_b=5)
    r = api("qat_verifier").client.get("/api/v1/incidents/export.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert list(rows[0].keys()) == ACLED_COLUMNS
    row = rows[0]
    assert row["event_id_cnty"] == "AFPK-2025-10-0001"
    assert (row["event_type"], row["sub_event_type"]) == ("Explosions/Remote violence", "Shelling/artillery/missile attack")
    assert "ceasefire=Cross-border fire" in row["tags"]
    assert row["fatalities"] == "30" and row["country"] and row["iso"] == "586"
    assert row["event_date"] == "2025-10-24" and row["time_precision"] == "1"


def test_geojson_export(api):
    create(api)
    r = api("qat_verifier").client.get("/api/v1/incidents/export.geojson")
    data = json.loads(b"".join(r.streaming_content))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 1
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["code"] == "AFPK-2025-10-0001"


def test_openapi_schema_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/incidents" in paths and "/api/v1/incidents/{ref}/claims" in paths


def test_token_auth_is_required(client, users):
    assert client.get("/api/v1/incidents").status_code == 401
    bad = client.get("/api/v1/incidents", HTTP_AUTHORIZATION="Bearer sulh_wrong")
    assert bad.status_code == 401
