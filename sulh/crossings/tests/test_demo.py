"""The demonstration crossings load on top of the demo scenario, stay closed (no reopening is sourced), name
their sources and invent no waiting figures; loading twice adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from sulh.accounts.models import User
from sulh.crossings import services
from sulh.crossings.models import CrossingStatus
from sulh.demo import crossings as demo_crossings

pytestmark = pytest.mark.django_db


def test_demo_crossings_load_on_the_demo(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", incidents=40, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… crossings:" in x]
    assert said and "4 records" not in said[0] and "closed since 12 October" in said[0]
    public = User.objects.get(username="public")
    states = {s.crossing.code: s for s in services.overview(public)}
    assert states["TORKHAM"].state == states["CHAMAN-SPIN-BOLDAK"].state == "closed"
    assert {states[c].state for c in ("GHULAM-KHAN", "ANGOOR-ADDA", "KHARLACHI")} == {"unknown"}
    first = CrossingStatus.objects.get(crossing="TORKHAM", mode="trade", seq=1)
    assert first.effective_at.isoformat().startswith("2025-10-11T19:30")  # 00:30 PKT on 12 October
    days = services.days_closed(public, "TORKHAM")
    assert days.days("trade", "closed") > 30 and days.days("trade", "open") == 0
    recs = CrossingStatus.objects.all()
    assert recs.count() == 8
    assert all(
        "DEMONSTRATION" in r.reason and ("http" in r.reason or "authorities" in r.reason) for r in recs
    )
    assert not recs.filter(trucks_waiting__isnull=False).exists()
    assert not recs.filter(people_waiting__isnull=False).exists()
    demo_crossings.load(said.append)
    assert CrossingStatus.objects.count() == 8 and said[-1] == "crossings: already loaded"
