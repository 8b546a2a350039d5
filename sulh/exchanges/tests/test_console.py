"""The exchanges console: opening, the party's list form, submitting, recording and confirming a release,
what each viewer's page shows, and refusals shown with a 4xx and nothing stored."""

import pytest

from sulh.conftest import console_client
from sulh.exchanges.models import Confirmation, Exchange, Person, Release
from sulh.ledger.models import LogEntry

from .conftest import NAMES, fill

pytestmark = pytest.mark.django_db


def _counts():
    return Exchange.objects.count(), Person.objects.count(), Release.objects.count(), LogEntry.objects.count()


def test_the_whole_walk_in_the_console(users):
    qat = console_client(users["qat_lead"])
    assert console_client(users["afg_liaison"]).get("/exchanges/").status_code == 200
    r = qat.post(
        "/exchanges/", {"title": "Istanbul humanitarian exchange", "agreement": "ISTANBUL-2025-10-30"}
    )
    assert r.status_code == 302, r.content.decode()
    ex = Exchange.objects.get()
    assert r["Location"] == f"/exchanges/{ex.code}"
    # AFG writes its list in the form, removes one, submits.
    afg = console_client(users["afg_liaison"])
    url = f"/exchanges/{ex.code}/list"
    for name in ("Demo Person One", "Demo Person Two"):
        r = afg.post(url, {"action": "add", "full_name": name, "id_number": "X-1", "age_band": "30_44", "sex": "male",
                           "nationality": "PAK", "place_of_detention": "", "date_of_detention": "2025-10-13"})  # fmt: skip
        assert r.status_code == 302, r.content.decode()
    page = afg.get(url).content.decode()
    assert "Demo Person One" in page and "Demo Person Two" in page
    afg.post(url, {"action": "remove", "reference": f"{ex.code}-AFG-002"})
    before = _counts()
    r = afg.post(url, {"action": "submit"})  # the box is not ticked
    assert r.status_code == 422 and _counts() == before
    assert afg.post(url, {"action": "submit", "final": "on"}).status_code == 302
    # The other party's page: the count and reference, no name; the mediators': the name.
    pak_page = console_client(users["pak_liaison"]).get(f"/exchanges/{ex.code}").content.decode()
    assert f"{ex.code}-AFG-001" in pak_page and "Demo Person One" not in pak_page
    assert "Demo Person One" in qat.get(f"/exchanges/{ex.code}").content.decode()
    # PAK's list.
    fill(users, ex, "PAK", count=1)
    # AFG records its release in the form; PAK and JMT confirm with the buttons.
    r = afg.post(f"/exchanges/{ex.code}", {"action": "release", "reference": f"{ex.code}-AFG-001",
                                           "released_at": "2025-11-12T10:00", "handed_over_at": "Torkham zero point"})  # fmt: skip
    assert r.status_code == 302, r.content.decode()
    release = Release.objects.get()
    pak = console_client(users["pak_liaison"])
    page = pak.get(f"/exchanges/{ex.code}").content.decode()
    assert f'value="{release.pk}"' in page and "Awaiting confirmation" in page
    assert (
        pak.post(f"/exchanges/{ex.code}", {"action": "confirm", "release": str(release.pk)}).status_code
        == 302
    )
    # Confirming a second time on the same side: refused, shown, nothing stored.
    before = Confirmation.objects.count(), LogEntry.objects.count()
    r = pak.post(f"/exchanges/{ex.code}", {"action": "confirm", "release": str(release.pk)})
    assert r.status_code == 409 and "confirmed this release already" in r.content.decode()
    assert (Confirmation.objects.count(), LogEntry.objects.count()) == before
    # The releasing party may not confirm: 403, shown.
    r = afg.post(f"/exchanges/{ex.code}", {"action": "confirm", "release": str(release.pk)})
    assert r.status_code == 403
    jmt = console_client(users["jmt_monitor"])
    assert jmt.post(f"/exchanges/{ex.code}", {"action": "confirm", "release": str(release.pk),
                                              "note": "Seen"}).status_code == 302  # fmt: skip
    page = jmt.get(f"/exchanges/{ex.code}").content.decode()
    assert "Confirmed by both sides" in page and "Demo Person One" not in page
    assert "1:1" in page


def test_others_are_refused_and_unlisted_release_changes_nothing(users, exchange):
    fill(users, exchange, "AFG")
    for name in ("public", "ops_admin"):
        c = console_client(users[name])
        assert c.get("/exchanges/").status_code == 403
        assert c.get(f"/exchanges/{exchange.code}").status_code == 404
    assert console_client(users["afg_analyst"]).get(f"/exchanges/{exchange.code}/list").status_code == 403
    before = _counts()
    r = console_client(users["qat_lead"]).post(
        f"/exchanges/{exchange.code}",
        {
            "action": "release",
            "reference": "NOBODY",
            "released_at": "2025-11-12T10:00",
            "handed_over_at": "Chaman",
        },
    )
    assert r.status_code == 422 and _counts() == before
    assert (
        NAMES["AFG"][0]
        in console_client(users["qat_lead"]).get(f"/exchanges/{exchange.code}").content.decode()
    )
