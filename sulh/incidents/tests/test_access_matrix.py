"""Who sees what: every API endpoint of the register against every role, on records of every owner.

The world: five incidents, each with one claim of a different owner and audience. The expected
visibility is written out by hand from the rules in docs/architecture.md, not computed by the code
under test.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.conftest import SPIN_BOLDAK, claim_payload, incident_payload
from sulh.incidents.tests.world import FILERS, ROLES, SEES

pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_what_the_role_may_see(api, world, role):
    items = api(role).get("/incidents", limit=100).json()["items"]
    expected = {world[name]["incident"].code for name, who in SEES.items() if role in who}
    assert {i["code"] for i in items} == expected


@pytest.mark.parametrize("role", ROLES)
def test_exports_hold_exactly_what_the_role_may_see(api, world, role):
    r = api(role).client.get("/api/v1/incidents/export.csv")
    text = b"".join(r.streaming_content).decode()
    for name, who in SEES.items():
        assert (world[name]["incident"].code in text) == (role in who), name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SEES))
def test_reading_one_record(api, world, role, name):
    client = api(role)
    rec = world[name]
    visible = role in SEES[name]
    expected = 200 if visible else 404
    assert client.get(f"/incidents/{rec['incident'].code}").status_code == expected
    assert client.get(f"/incidents/{rec['incident'].pk}").status_code == expected
    assert client.get(f"/claims/{rec['claim'].pk}").status_code == expected
    assert client.get(f"/evidence/{rec['evidence'].pk}").status_code == expected
    assert client.get(f"/evidence/{rec['evidence'].pk}/content").status_code == expected
    ev_list = client.get(f"/incidents/{rec['incident'].code}/evidence")
    assert ev_list.status_code == expected
    if visible:
        assert [c["id"] for c in client.get(f"/incidents/{rec['incident'].code}").json()["claims"]] == [str(rec["claim"].pk)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SEES))
def test_adding_a_claim(api, world, role, name):
    rec = world[name]
    payload = claim_payload(point=(rec["incident"].latitude, rec["incident"].longitude), source_name="Dawn", source_kind="press")
    r = api(role).post(f"/incidents/{rec['incident'].code}/claims", payload)
    if role not in SEES[name]:
        assert r.status_code == 404
    elif role not in FILERS:
        assert r.status_code == 403
    elif role in ("afg_liaison", "afg_commander", "pak_liaison", "pak_commander", "jmt_monitor"):
        assert r.status_code == 403 and r.json()["field"] == "source_kind"  # their kind is party / post, not press
    else:
        assert r.status_code == 201, r.content


@pytest.mark.parametrize("role", ROLES)
def test_registering_an_incident(api, users, role):
    r = api(role).post("/incidents", incident_payload(source_kind=None))
    assert r.status_code == (201 if role in FILERS else 403), r.content


@pytest.mark.parametrize("role", ROLES)
def test_publishing(api, world, role):
    rec = world["afg_parties"]
    r = api(role).post(f"/incidents/{rec['incident'].code}/publish")
    if role not in SEES["afg_parties"]:
        assert r.status_code == 404
    else:
        assert r.status_code == (200 if role == "qat_lead" else 403)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["file", "withdraw", "amend"])
def test_only_the_owner_changes_a_claim(api, world, role, action):
    rec = world["afg_draft"] if action == "file" else world["afg_parties"]
    path = f"/claims/{rec['claim'].pk}/{action}"
    payload = claim_payload(point=SPIN_BOLDAK, alleged_violator="PAK") if action == "amend" else {}
    r = api(role).post(path, payload)
    owner = role in ("afg_liaison", "afg_commander")
    visible = role in (SEES["afg_draft"] if action == "file" else SEES["afg_parties"])
    if owner:
        assert r.status_code in (200, 201), r.content
    elif role == "afg_analyst":
        assert r.status_code == 403  # same organisation, but an analyst files only press claims
    else:
        assert r.status_code == (403 if visible else 404)


@pytest.mark.parametrize("role", ROLES)
def test_attaching_evidence_to_another_organisations_claim_is_refused(api, world, role):
    rec = world["afg_parties"]
    upload = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0" + b"\x01" * 32, content_type="image/jpeg")
    r = api(role).post(f"/claims/{rec['claim'].pk}/evidence", data={"file": upload})
    if role in ("afg_liaison", "afg_commander"):
        assert r.status_code == 201
    elif role not in SEES["afg_parties"]:
        assert r.status_code == 404
    else:
        assert r.status_code == 403
