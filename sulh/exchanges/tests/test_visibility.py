"""Who sees what of an exchange, through the API: the releasing party and the mediators the whole list, the
other party and the observers counts, references and the charter's shared identifiers only, never a draft;
everyone else 404."""

from pathlib import Path

import pytest

from .conftest import ID_NUMBERS, NAMES, fill, release_and_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def walked(users, exchange):
    afg = fill(users, exchange, "AFG")
    fill(users, exchange, "PAK", submit=False)  # PAK's list is still a draft
    release_and_confirm(users, exchange, afg[0], confirm=False)
    return exchange


def _get(api, name, code):
    r = api(name).get(f"/exchanges/{code}")
    return r.status_code, (r.json() if r.status_code == 200 else None), r.content.decode()


def test_the_releasing_party_sees_its_list_and_its_own_draft(api, walked):
    status, body, _raw = _get(api, "afg_analyst", walked.code)
    assert status == 200
    afg, pak = body["lists"]
    assert afg["level"] == "full" and [p["full_name"] for p in afg["persons"]] == NAMES["AFG"]
    assert [p["id_number"] for p in afg["persons"]] == ID_NUMBERS["AFG"]
    assert pak == {
        "party": "PAK",
        "state": None,
        "level": None,
        "count": None,
        "submitted_at": None,
        "persons": [],
    }
    status, body, _raw = _get(api, "pak_liaison", walked.code)
    assert (
        body["lists"][1]["state"] == "draft"
        and body["lists"][1]["persons"][0]["full_name"] == NAMES["PAK"][0]
    )


def test_the_other_party_and_the_observers_see_counts_and_shared_identifiers(api, walked):
    for name in ("pak_liaison", "pak_analyst", "jmt_monitor"):
        status, body, raw = _get(api, name, walked.code)
        assert status == 200, name
        for secret in NAMES["AFG"] + ID_NUMBERS["AFG"]:
            assert secret not in raw, (name, secret)
        afg = body["lists"][0]
        assert afg["level"] == "shared" and afg["count"] == 2
        person = afg["persons"][0]
        # The charter shares reference, age_band and sex: nothing else.
        assert person["reference"] == f"{walked.code}-AFG-001"
        assert (person["age_band"], person["sex"]) == ("30_44", "male")
        assert person["full_name"] is person["id_number"] is person["nationality"] is None
        assert person["place_of_detention"] is person["date_of_detention"] is None
        assert body["releases"][0]["person"]["full_name"] is None
        own_draft = 2 if name.startswith("pak") else None
        assert {c["party"]: c["listed"] for c in body["counts"]} == {"AFG": 2, "PAK": own_draft}


def test_the_mediators_see_submitted_lists_in_full_but_no_draft(api, walked):
    for name in ("qat_lead", "qat_verifier", "tur_analyst"):
        status, body, raw = _get(api, name, walked.code)
        assert status == 200
        assert [p["full_name"] for p in body["lists"][0]["persons"]] == NAMES["AFG"]
        assert body["lists"][0]["persons"][0]["place_of_detention"] == "Demo prison AFG"
        assert body["lists"][1]["level"] is None and NAMES["PAK"][0] not in raw


def test_others_get_404_and_see_no_exchange(api, walked):
    for name in ("public", "ops_admin"):
        assert api(name).get(f"/exchanges/{walked.code}").status_code == 404
        assert api(name).get("/exchanges").json() == []
    assert [e["code"] for e in api("jmt_monitor").get("/exchanges").json()] == [walked.code]


def test_shared_identifiers_follow_the_charter(api, walked, settings, tmp_path):
    text = Path(settings.SULH_CHARTER).read_text()
    old = "shared_identifiers: [reference, age_band, sex]"
    assert old in text
    copy = tmp_path / "charter.yaml"
    copy.write_text(text.replace(old, "shared_identifiers: [reference, nationality, date_of_detention]"))
    settings.SULH_CHARTER = str(copy)
    _status, body, raw = _get(api, "pak_liaison", walked.code)
    person = body["lists"][0]["persons"][0]
    assert (person["nationality"], person["date_of_detention"]) == ("AFG", "2025-10-14")
    assert person["age_band"] is person["sex"] is None and NAMES["AFG"][0] not in raw
