"""The demonstration commitments load on top of the demo scenario: one overdue, one disputed, met and open
obligations, the 48-hour truce's warning history, the live ceasefire's first expiry warning; loading twice
adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from sulh.accounts.models import User
from sulh.commitments import record, services
from sulh.commitments.models import Obligation, Warning
from sulh.demo import commitments as demo_commitments

pytestmark = pytest.mark.django_db


def test_demo_commitments_load_on_the_demo(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", incidents=40, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… commitments:" in x]
    assert said and "overdue" in said[0]
    states = {
        o.title.removeprefix("[DEMO] "): o for o in Obligation.objects.filter(title__startswith="[DEMO] ")
    }
    assert states["Release the listed detainees reciprocally"].state == "disputed"
    meet = Obligation.objects.get(title="Principals meet in Istanbul on 6 November")  # the meetings demo's
    assert (meet.state, meet.verified_by) == ("met", "meeting_held")
    assert states["Hand over the lists of detainees"].state == "met"
    assert states["Reopen Chaman–Spin Boldak for travel"].state == "pending"
    torkham = states["Reopen Torkham for trade"]
    assert torkham.overdue_at is not None and torkham.state == "pending"
    truce = states["48-hour truce"]
    assert list(Warning.objects.filter(obligation=truce).order_by("at").values_list("kind", flat=True)) == [
        "expiry", "expiry", "expiry", "lapsed"]  # fmt: skip
    doha = states["Doha ceasefire until the Istanbul round"]
    assert services.extension_of(doha) == states["Ceasefire maintained after Istanbul"]
    assert not Warning.objects.filter(obligation=doha).exists()
    live = states["Ceasefire maintained after Istanbul"]
    assert list(Warning.objects.filter(obligation=live).values_list("kind", "step")) == [("expiry", 0)]
    release = states["Release the listed detainees reciprocally"]
    assert release.due_at is not None  # set when the lists were handed over
    reader = User.objects.get(username="afg.liaison")
    kinds = sorted(w.kind for w in services.active_warnings(reader))
    assert kinds == ["expiry", "overdue", "overdue"]  # Torkham, and the disputed release past its due time
    d = record.dashboard(reader)
    assert {o.title for o in d["overdue"]} == {"[DEMO] Reopen Torkham for trade",
                                               "[DEMO] Release the listed detainees reciprocally"}  # fmt: skip
    assert "Hold the technical meeting on the verification mechanism" in [o.title for o in d["due_this_week"]]
    recs = {r.party: r for r in d["records"]}
    assert recs["PAK"].overdue == 1 and recs["PAK"].disputed == 1 and recs["AFG"].met_on_time >= 2
    n = Obligation.objects.count()
    demo_commitments.load()
    assert Obligation.objects.count() == n
