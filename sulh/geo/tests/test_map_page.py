"""The map page and the "where is this" partial: vector layers only, nothing fetched from elsewhere."""

import json
import re

import pytest
from django.test import Client

from sulh.accounts.models import Role, User
from sulh.accounts.services import sync_organisations
from sulh.charter.loader import get_charter
from sulh.incidents import services
from sulh.incidents.schemas import IncidentIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def pak_user(db):
    orgs = {o.code: o for o in sync_organisations(get_charter())}
    return User.objects.create_user("pak", password="correct horse battery", organisation=orgs["PAK"], role=Role.LIAISON_OFFICER)


@pytest.fixture
def client(pak_user):
    c = Client()
    c.force_login(pak_user)
    return c


@pytest.fixture
def incident(pak_user):
    data = IncidentIn(
        title="Fire near Landi Kotal", event_type="Ceasefire violation", sub_event_type="Cross-border fire",
        date_start="2025-10-24T22:30:00+05:00", latitude=34.0988, longitude=71.1453, source_name="ISPR",
    )
    return services.create_incident(pak_user, data).incident


def _json(html: str, element_id: str):
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_map_page_renders_with_layers_and_incidents(client, incident):
    r = client.get("/map/")
    html = r.content.decode()
    assert r.status_code == 200
    layers = _json(html, "sulh-layers")
    for key in ("border", "territories", "sectors", "provinces", "districts", "posts", "crossings"):
        assert layers[key]["type"] == "FeatureCollection"
    incidents = _json(html, "sulh-incidents")
    assert [f["properties"]["code"] for f in incidents["features"]] == [incident.code]
    assert incidents["features"][0]["properties"]["url"] == f"/incidents/{incident.code}/"
    assert "leaflet/leaflet.js" in html and "leaflet/leaflet.css" in html


def test_map_page_fetches_nothing_from_elsewhere(client, incident):
    html = client.get("/map/").content.decode()
    assert not re.search(r"<script[^>]+src=\"https?://", html)
    assert not re.search(r"<link[^>]+href=\"https?://", html)
    assert "{z}" not in html and "tile" not in html.lower()
    from django.contrib.staticfiles import finders

    for name in ("sulh/map.js", "sulh/geo.js", "sulh/claim-form.js", "sulh/console.css"):
        with open(finders.find(name), encoding="utf-8") as fh:
            text = fh.read()
        assert "http://" not in text and "https://" not in text and "tileLayer" not in text, name


def test_map_time_filter(client, incident):
    html = client.get("/map/", {"since": "2025-11-01"}).content.decode()
    assert _json(html, "sulh-incidents")["features"] == []
    html = client.get("/map/", {"since": "2025-10-01", "until": "2025-10-31"}).content.decode()
    assert len(_json(html, "sulh-incidents")["features"]) == 1
    assert client.get("/map/", {"since": "not a date"}).status_code == 200


def test_map_needs_sign_in():
    assert Client().get("/map/").status_code == 302


def test_locate_partial(client):
    html = client.get("/map/locate/", {"latitude": "34.0988", "longitude": "71.1453"}).content.decode()
    assert "Pakistan" in html and "km</bdi> from the border" in html
    html = client.get("/map/locate/", {"latitude": "134", "longitude": "71"}).content.decode()
    assert "outside" in html
    html = client.get("/map/locate/").content.decode()
    assert "Click the map" in html


def test_map_page_in_dari_is_right_to_left(client):
    client.cookies["django_language"] = "fa"
    assert 'dir="rtl"' in client.get("/map/").content.decode()
