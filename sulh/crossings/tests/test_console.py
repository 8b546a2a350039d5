"""The console: the list with its map, a crossing's page with history, chart and form, by role; RTL."""

import datetime as dt
import re

import pytest

from sulh.conftest import console_client
from sulh.crossings import chart, services
from sulh.crossings.models import CrossingStatus

from .conftest import T0, counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(users):
    u = users["jmt_monitor"]
    services.record_status(u, "TORKHAM", mode="both", status="closed", reason="Shut after the clashes <b>x</b>",
                           effective_at=T0, trucks_waiting=300)  # fmt: skip
    services.record_status(u, "TORKHAM", mode="travel", status="restricted", reason="Refugees returning only",
                           effective_at=T0 + dt.timedelta(days=10), people_waiting=900)  # fmt: skip


@pytest.mark.parametrize(
    "who", ["afg_liaison", "qat_lead", "jmt_monitor", "pak_analyst", "public", "ops_admin"]
)
def test_list_and_detail_by_role(users, history, who):
    c = console_client(users[who])
    html = c.get("/crossings/").content.decode()
    assert (
        'data-crossing="TORKHAM" data-state="restricted"' in html
    )  # closed for trade, restricted for travel
    assert 'data-crossing="ANGOOR-ADDA" data-state="unknown"' in html
    assert (
        "leaflet/leaflet.js" in html
        and "crossings/map.js" in html
        and "//cdn" not in html
        and "tile" not in html
    )
    assert 'id="xing-points"' in html
    r = c.get("/crossings/TORKHAM/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<svg" in html and html.count('data-status="closed"') >= 2
    assert 'id="days-closed"' in html and 'id="history"' in html
    sees_reasons = who not in ("public", "ops_admin")
    assert ("Refugees returning only" in html) == sees_reasons
    assert "&lt;b&gt;x&lt;/b&gt;" in html if sees_reasons else "<b>x" not in html
    may_record = who in ("afg_liaison", "qat_lead", "jmt_monitor")
    assert ('id="record-form"' in html) == may_record


def test_a_liaison_officer_records_a_change_through_the_form(users, history):
    c = console_client(users["pak_liaison"])
    r = c.post("/crossings/TORKHAM/", {"mode": "trade", "status": "open", "reason": "Reopened for trade",
                                      "effective_at": "", "evidence": "", "trucks_waiting": "40"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == "/crossings/TORKHAM/"
    rec = CrossingStatus.objects.get(crossing="TORKHAM", mode="trade", status="open")
    assert rec.trucks_waiting == 40 and rec.recorder_org == "PAK"


def test_refusals_in_the_form_change_nothing(users, history):
    c = console_client(users["pak_liaison"])
    before = counts()
    r = c.post("/crossings/TORKHAM/", {"mode": "both", "status": "open", "reason": "too early",
                                      "effective_at": "2025-10-13T10:00"})  # fmt: skip
    assert r.status_code == 422
    assert "before the last record" in r.content.decode()
    r = c.post(
        "/crossings/TORKHAM/", {"mode": "trade", "status": "open", "reason": "r", "trucks_waiting": "-3"}
    )
    assert r.status_code == 422
    assert counts() == before
    p = console_client(users["public"])
    assert (
        p.post("/crossings/TORKHAM/", {"mode": "trade", "status": "open", "reason": "r"}).status_code == 403
    )
    assert counts() == before


def test_unknown_crossing_page_is_404(users):
    assert console_client(users["afg_liaison"]).get("/crossings/NOWHERE/").status_code == 404


def test_right_to_left_page_and_chart(users, history):
    c = console_client(users["afg_liaison"])
    c.cookies["django_language"] = "ps"
    html = c.get("/crossings/TORKHAM/").content.decode()
    assert 'dir="rtl"' in html and 'direction="rtl"' in html


def _rects(svg: str):
    return [(float(x), float(w), s) for s, x, w in re.findall(r'data-status="(\w+)" x="([\d.]+)" y="[\d.]+" '
                                                              r'width="([\d.]+)"', svg)]  # fmt: skip


def test_the_chart_runs_in_the_reading_direction(users, history):
    now = T0 + dt.timedelta(days=20)
    period = services.days_closed(users["jmt_monitor"], "TORKHAM", now=now)
    ltr, rtl = str(chart.render(period)), str(chart.render(period, rtl=True))
    a, b = _rects(ltr), _rects(rtl)
    # trade: closed all along; travel: closed 10 days then restricted 10 days
    assert [s for *_, s in a] == ["closed", "closed", "restricted"]
    (_, _, _), (x_closed, w_closed, _), (x_restr, w_restr, _) = a
    assert x_closed < x_restr and abs(w_closed - w_restr) < 0.05  # half and half, left to right
    (_, _, _), (rx_closed, _, _), (rx_restr, _, _) = b
    assert rx_closed > rx_restr  # right to left: the earlier half is on the right
    assert "<script" not in ltr and "&lt;" not in ltr
