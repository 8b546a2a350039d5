"""The console: the list of exchanges with states and deadlines, a report's page with its timeline and the note
that its contents open only on a desk's machine, the receiving party's acknowledge button; outsiders get 404."""

import pytest

from sulh.conftest import console_client
from sulh.intel.models import Report

from .helpers import MARKER, seal_report

pytestmark = pytest.mark.django_db


def test_list_report_page_and_acknowledge(keyed_charter, api, users):
    resp = api("pak_liaison").post("/intel/reports", {"envelope": seal_report(keyed_charter)})
    assert resp.status_code == 201, resp.content
    r = Report.objects.get()
    afg = console_client(users["afg_liaison"])
    page = afg.get("/intel/").content.decode()
    assert r.code in page and 'data-party="AFG"' in page and MARKER not in page
    page = afg.get(f"/intel/{r.code}").content.decode()
    assert f"sulh intel open {r.code}" in page and "cannot read it" in page
    assert f'action="/intel/{r.code}/ack"' in page and MARKER not in page
    # The sender sees the timeline but no button; the mediators see it too.
    pak_page = console_client(users["pak_liaison"]).get(f"/intel/{r.code}").content.decode()
    assert r.code in pak_page and f'action="/intel/{r.code}/ack"' not in pak_page
    assert console_client(users["qat_lead"]).get(f"/intel/{r.code}").status_code == 200
    resp = afg.post(f"/intel/{r.code}/ack")
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.state == "acknowledged"
    page = afg.get(f"/intel/{r.code}").content.decode()
    assert 'data-event="acknowledged"' in page and "sulh intel answer" in page
    assert f'action="/intel/{r.code}/ack"' not in page


def test_outsiders_get_404(keyed_charter, api, users):
    api("pak_liaison").post("/intel/reports", {"envelope": seal_report(keyed_charter)})
    r = Report.objects.get()
    for name in ("jmt_monitor", "ops_admin", "public"):
        c = console_client(users[name])
        assert c.get("/intel/").status_code == 404
        assert c.get(f"/intel/{r.code}").status_code == 404
        assert c.post(f"/intel/{r.code}/ack").status_code == 404
    assert Report.objects.get().state == "sent"
