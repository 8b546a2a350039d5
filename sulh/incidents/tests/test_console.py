"""The incident pages of the console: list, incident page, new incident and add-claim forms, evidence."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sulh.accounts.models import Role, User
from sulh.accounts.services import sync_organisations
from sulh.charter.loader import get_charter
from sulh.evidence import services as evidence
from sulh.incidents import services
from sulh.incidents.models import Claim, ClaimStatus, Incident
from sulh.incidents.schemas import IncidentIn

pytestmark = pytest.mark.django_db

LANDI_KOTAL = (34.0988, 71.1453)  # Khyber, Pakistan
SPIN_BOLDAK = (31.0057, 66.3983)  # Kandahar, Afghanistan

PEOPLE = {
    "afg": ("AFG", Role.LIAISON_OFFICER),
    "afg_analyst": ("AFG", Role.ANALYST),
    "pak": ("PAK", Role.LIAISON_OFFICER),
    "lead": ("QAT", Role.MEDIATOR_LEAD),
    "public": ("PUBLIC", Role.PUBLIC),
}


@pytest.fixture
def people(db):
    orgs = {o.code: o for o in sync_organisations(get_charter())}
    return {
        name: User.objects.create_user(name, password="correct horse battery", organisation=orgs[org], role=role)
        for name, (org, role) in PEOPLE.items()
    }


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    if user.requires_second_factor:  # pretend the second factor was passed
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session = c.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return c


def incident_data(point=LANDI_KOTAL, **overrides) -> IncidentIn:
    lat, lon = point
    data = {
        "title": "Cross-border fire near Landi Kotal",
        "event_type": "Ceasefire violation",
        "sub_event_type": "Cross-border fire",
        "date_start": "2025-10-24T22:30:00+05:00",
        "date_end": "2025-10-25T01:00:00+05:00",
        "latitude": lat,
        "longitude": lon,
        "location_name": "Landi Kotal",
        "alleged_violator": "AFG",
        "source_name": "ISPR",
        "deaths_a": 3,
        "narrative": "Fire from across the line on a border post.",
    }
    data.update(overrides)
    return IncidentIn(**data)


@pytest.fixture
def world(people):
    pak_claim = services.create_incident(people["pak"], incident_data(audience="parties"))
    afg_draft = services.create_incident(
        people["afg"], incident_data(point=SPIN_BOLDAK, alleged_violator="PAK", source_name="MoD", file=False,
                                     title="Shelling of Spin Boldak")
    )
    return {"pak": pak_claim, "afg_draft": afg_draft}


FORM = {
    "title": "Mortar fire on a village",
    "event_type": "Ceasefire violation",
    "sub_event_type": "Cross-border fire",
    "date_start": "2025-10-12",
    "time_start": "02:03",
    "date_prec": "1",
    "latitude": "34.0988",
    "longitude": "71.1453",
    "where_prec": "2",
    "location_name": "Landi Kotal",
    "alleged_violator": "AFG",
    "clause": "DOHA-2025/2",
    "source_name": "Sector HQ",
    "audience": "parties",
    "deaths_civilians": "2",
    "injured_best": "5",
    "narrative": "Three rounds landed near the bazaar.",
}


def test_list_renders_and_filters(people, world):
    c = client_for(people["pak"])
    r = c.get("/incidents/")
    html = r.content.decode()
    assert r.status_code == 200
    assert world["pak"].incident.code in html
    assert world["afg_draft"].incident.code not in html  # another party's draft
    assert "<form" in html and 'hx-get="/incidents/"' in html
    r = c.get("/incidents/", {"q": "nothing matches this"})
    assert world["pak"].incident.code not in r.content.decode()
    r = c.get("/incidents/", {"alleged_violator": "AFG", "since": "2025-10-01", "until": "2025-10-31"})
    assert world["pak"].incident.code in r.content.decode()


def test_list_htmx_request_returns_the_table_only(people, world):
    c = client_for(people["pak"])
    r = c.get("/incidents/", {"q": "Landi"}, headers={"HX-Request": "true"})
    html = r.content.decode()
    assert "<html" not in html and "<table" in html and world["pak"].incident.code in html


def test_dates_are_shown_in_the_users_zone(people, world):
    # 2025-10-24 22:30 +05:00 is 2025-10-24 22:00 in Kabul (+04:30)
    html = client_for(people["afg"]).get(f"/incidents/{world['pak'].incident.code}/").content.decode()
    assert "2025-10-24 22:00 +0430" in html
    html = client_for(people["pak"]).get(f"/incidents/{world['pak'].incident.code}/").content.decode()
    assert "2025-10-24 22:30 +0500" in html


def test_detail_visibility(people, world):
    code = world["afg_draft"].incident.code
    assert client_for(people["afg"]).get(f"/incidents/{code}/").status_code == 200
    assert client_for(people["pak"]).get(f"/incidents/{code}/").status_code == 404
    assert client_for(people["lead"]).get(f"/incidents/{code}/").status_code == 404
    assert client_for(people["public"]).get(f"/incidents/{code}/").status_code == 404
    assert client_for(people["afg"]).get("/incidents/NO-SUCH-CODE/").status_code == 404


def test_detail_shows_claims_and_actions(people, world):
    code = world["afg_draft"].incident.code
    html = client_for(people["afg"]).get(f"/incidents/{code}/").content.decode()
    assert "MoD" in html and "Draft" in html
    assert f"/incidents/claims/{world['afg_draft'].pk}/file/" in html
    assert "Add a claim" in html


def test_new_and_add_claim_pages(people, world):
    c = client_for(people["afg"])
    r = c.get("/incidents/new/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<optgroup" in html and 'id="sulh-layers"' in html and "leaflet/leaflet.js" in html
    assert 'hx-get="/map/locate/"' in html
    code = world["pak"].incident.code
    assert c.get(f"/incidents/{code}/claims/new/").status_code == 200
    assert client_for(people["public"]).get("/incidents/new/").status_code == 403
    assert client_for(people["public"]).get(f"/incidents/{code}/claims/new/").status_code == 404
    assert client_for(people["pak"]).get(f"/incidents/{world['afg_draft'].incident.code}/claims/new/").status_code == 404


def test_filing_a_new_incident_through_the_form(people):
    c = client_for(people["afg"])
    r = c.post("/incidents/new/", {**FORM, "action": "file"})
    assert r.status_code == 302, r.content.decode()[:3000]
    incident = Incident.objects.get(title="Mortar fire on a village")
    claim = incident.claims.get()
    assert claim.status == ClaimStatus.FILED and claim.source_kind == "party"
    assert claim.deaths_civilians == 2 and claim.deaths_best == 2 and claim.injured_best == 5
    assert incident.date_start.isoformat() == "2025-10-11T21:33:00+00:00"  # 02:03 in Kabul
    assert incident.side == "PAK" and incident.clause == "DOHA-2025/2"
    assert r["Location"] == f"/incidents/{incident.code}/"


def test_saving_a_draft_then_filing_it(people):
    c = client_for(people["afg"])
    c.post("/incidents/new/", {**FORM, "action": "draft"})
    claim = Claim.objects.get(incident__title=FORM["title"])
    assert claim.status == ClaimStatus.DRAFT
    r = c.post(f"/incidents/claims/{claim.pk}/file/")
    assert r.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FILED


def test_form_errors_are_shown_next_to_fields(people):
    c = client_for(people["afg"])
    bad = {**FORM, "sub_event_type": "Armed clash", "action": "file"}
    r = c.post("/incidents/new/", bad)
    assert r.status_code == 200
    assert "does not belong to event_type" in r.content.decode()
    bad = {**FORM, "deaths_low": "9", "deaths_best": "3", "action": "file"}
    r = c.post("/incidents/new/", bad)
    assert "deaths_low" in r.content.decode()
    bad = {**FORM, "latitude": "", "action": "file"}
    r = c.post("/incidents/new/", bad)
    assert 'class="field has-error' in r.content.decode()
    assert not Incident.objects.exists()


def test_add_claim_and_correct_it(people, world):
    code = world["pak"].incident.code
    c = client_for(people["afg"])
    form = {k: v for k, v in FORM.items() if k != "title"}
    r = c.post(f"/incidents/{code}/claims/new/", {**form, "source_name": "MoD Kabul", "action": "file"})
    assert r.status_code == 302
    claim = Claim.objects.get(source_name="MoD Kabul")
    page = c.get(f"/incidents/{code}/").content.decode()
    assert f"?supersedes={claim.pk}" in page
    r = c.get(f"/incidents/{code}/claims/new/?supersedes={claim.pk}")
    assert r.status_code == 200 and 'value="MoD Kabul"' in r.content.decode()
    r = c.post(f"/incidents/{code}/claims/new/?supersedes={claim.pk}",
               {**form, "source_name": "MoD Kabul", "deaths_civilians": "4", "action": "file", "supersedes": str(claim.pk)})
    assert r.status_code == 302
    correction = Claim.objects.get(supersedes=claim)
    assert correction.deaths_civilians == 4
    page = c.get(f"/incidents/{code}/").content.decode()
    assert "superseded" in page and f"#claim-{correction.seq}" in page


def test_withdraw_and_others_cannot(people, world):
    claim = world["pak"]
    r = client_for(people["afg"]).post(f"/incidents/claims/{claim.pk}/withdraw/", follow=True)
    assert "only the filing organisation" in r.content.decode()
    client_for(people["pak"]).post(f"/incidents/claims/{claim.pk}/withdraw/")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN
    assert client_for(people["pak"]).get(f"/incidents/claims/{claim.pk}/withdraw/").status_code == 405


def test_publish_by_mediator_lead_only(people, world):
    code = world["pak"].incident.code
    assert "Publish" not in client_for(people["pak"]).get(f"/incidents/{code}/").content.decode().split("<main")[1]
    client_for(people["pak"]).post(f"/incidents/{code}/publish/")
    assert not Incident.objects.get(code=code).published
    lead = client_for(people["lead"])
    assert ">Publish<" in lead.get(f"/incidents/{code}/").content.decode()
    lead.post(f"/incidents/{code}/publish/")
    assert Incident.objects.get(code=code).published


def test_evidence_upload_and_download(people, world):
    code = world["pak"].incident.code
    c = client_for(people["pak"])
    content = b"%PDF-1.4\n" + b"x" * 100
    r = c.post(f"/evidence/upload/{code}/", {
        "file": SimpleUploadedFile("report.pdf", content, content_type="application/pdf"),
        "description": "Post report", "audience": "parties", "device": "Field laptop",
        "captured_at": "2025-10-24T23:10",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    ev = evidence.visible_evidence(people["pak"]).get()
    page = c.get(f"/incidents/{code}/").content.decode()
    assert ev.sha256 in page and "Post report" in page
    r = c.get(f"/evidence/{ev.pk}/download/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == content
    assert r["X-Content-SHA256"] == ev.sha256
    assert ev.sha256 in r["Content-Disposition"] and "report.pdf" not in r["Content-Disposition"]
    # A type that is not accepted is refused next to the file field.
    r = c.post(f"/evidence/upload/{code}/", {
        "file": SimpleUploadedFile("x.exe", b"MZ\x90\x00" + b"\x00" * 100), "audience": "parties",
    })
    assert r.status_code == 400 and "not accepted" in r.content.decode()
    # Someone who may not see the incident gets 404 for the file.
    assert client_for(people["public"]).get(f"/evidence/{ev.pk}/download/").status_code == 404


def test_right_to_left_in_urdu(people, world):
    c = client_for(people["pak"])
    c.cookies["django_language"] = "ur"
    html = c.get("/incidents/").content.decode()
    assert re.search(r'<html lang="ur" dir="rtl">', html)
    c.cookies["django_language"] = "en"
    assert 'dir="ltr"' in c.get("/incidents/").content.decode()


def test_demo_banner(people, world):
    c = client_for(people["pak"])
    assert "DEMONSTRATION DATA" not in c.get("/incidents/").content.decode()
    Incident.objects.update(is_demo=True)
    assert "DEMONSTRATION DATA" in c.get("/incidents/").content.decode()


def test_pagination(people):
    for i in range(55):
        services.create_incident(people["pak"], incident_data(title=f"Event number {i}", audience="parties"))
    c = client_for(people["pak"])
    first = c.get("/incidents/").content.decode()
    assert "Page 1 of 2" in first
    second = c.get("/incidents/", {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert len(re.findall(r'href="/incidents/AFPK-', second)) == 5


def test_new_incident_link_only_for_filers(people):
    assert 'href="/incidents/new/"' in client_for(people["afg"]).get("/incidents/").content.decode()
    assert 'href="/incidents/new/"' not in client_for(people["public"]).get("/incidents/").content.decode()
