"""Who sees what in the console: every page against every role, on records of every owner."""

import pytest
from django.test import Client
from django.urls import reverse

from sulh.conftest import console_client
from sulh.incidents.models import Claim, ClaimStatus, Incident
from sulh.incidents.tests.world import FILERS, ROLES, SEES

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(users):
    """A signed-in browser per role; roles that need a second factor have passed it."""

    def for_role(role: str) -> Client:
        return console_client(users[role])

    return for_role


@pytest.mark.parametrize("role", ROLES)
def test_incident_list_and_map_show_exactly_what_the_role_may_see(console, world, role):
    client = console(role)
    for url in (reverse("incidents:list"), reverse("geo:map")):
        html = client.get(url).content.decode()
        for name, who in SEES.items():
            assert (world[name]["incident"].code in html) == (role in who), (url, name)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SEES))
def test_incident_page_and_evidence_download(console, world, role, name):
    client = console(role)
    rec = world[name]
    expected = 200 if role in SEES[name] else 404
    assert client.get(reverse("incidents:detail", args=[rec["incident"].code])).status_code == expected
    assert client.get(reverse("evidence:download", args=[rec["evidence"].pk])).status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(SEES))
def test_claim_form_page(console, world, role, name):
    r = console(role).get(reverse("incidents:add_claim", args=[world[name]["incident"].code]))
    if role not in SEES[name]:
        assert r.status_code == 404
    else:
        assert r.status_code == (200 if role in FILERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_new_incident_page(console, users, role):
    assert console(role).get(reverse("incidents:new")).status_code == (200 if role in FILERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_publishing_from_the_console(console, world, role):
    rec = world["afg_parties"]
    r = console(role).post(reverse("incidents:publish", args=[rec["incident"].code]))
    published = Incident.objects.get(pk=rec["incident"].pk).published
    if role not in SEES["afg_parties"]:
        assert r.status_code == 404 and not published
    else:
        assert published == (role == "qat_lead")


@pytest.mark.parametrize("role", ROLES)
def test_filing_someone_elses_draft_from_the_console(console, world, role):
    claim = world["afg_draft"]["claim"]
    r = console(role).post(reverse("incidents:claim_file", args=[claim.pk]))
    status = Claim.objects.get(pk=claim.pk).status
    if role in ("afg_liaison", "afg_commander"):
        assert status == ClaimStatus.FILED
    else:
        assert status == ClaimStatus.DRAFT
        if role not in SEES["afg_draft"]:
            assert r.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_uploading_evidence_from_the_console(console, world, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rec = world["afg_parties"]
    before = rec["incident"].evidence.count()
    upload = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0" + b"\x07" * 40, content_type="image/jpeg")
    r = console(role).post(
        reverse("evidence:upload", args=[rec["incident"].code]),
        {"file": upload, "description": "x", "audience": "mediators"},
    )
    after = rec["incident"].evidence.count()
    if role not in SEES["afg_parties"]:
        assert r.status_code == 404 and after == before
    elif role in FILERS:
        assert after == before + 1, r.content.decode()[:2000]
    else:
        assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_is_for_the_operators_staff_only(console, role):
    r = console(role).get("/admin/")
    if role == "ops_admin":
        assert r.status_code == 200
        assert "/admin/incidents/" not in r.content.decode()  # the register is not the operator's to browse
    else:
        assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_pages_need_a_signed_in_user(world):
    anonymous = Client()
    for url in (reverse("incidents:list"), reverse("geo:map"), reverse("incidents:new"), reverse("accounts:tokens")):
        r = anonymous.get(url)
        assert r.status_code == 302 and reverse("accounts:login") in r["Location"]
