"""The demo exchange loads on top of the demonstration scenario: reciprocal with its obligation met, one
release awaiting the monitors, invented names only, and a second load changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from sulh.accounts.models import User
from sulh.commitments.models import Obligation
from sulh.demo import exchanges as demo_exchanges
from sulh.exchanges import services
from sulh.exchanges.models import Exchange, Person, Release
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def test_demo_exchange_on_top_of_the_scenario(db):
    out = StringIO()
    call_command("demo", incidents=30, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… exchanges:" in x]
    ex = Exchange.objects.get(title=demo_exchanges.TITLE)
    assert ex.state == "reciprocal" and "reciprocal" in said[0]
    assert services.confirmed_counts(ex) == (2, 2)
    pending = Release.objects.filter(exchange=ex, confirmed_at__isnull=True)
    assert [r.confirmations.get().side for r in pending] == ["receiving"]
    ob = Obligation.objects.get(subject=str(ex.pk))
    assert ob.state == "met" and ob.changes.get().source_record == f"exchange:{ex.pk}"
    mediator = User.objects.get(username="qat.lead")
    names = {p["full_name"] for lst in services.view(mediator, ex)["lists"] for p in lst["persons"]}
    assert names == {f"Demo Person {i}" for i in range(1, 9)}
    before = Exchange.objects.count(), Person.objects.count(), LogEntry.objects.count()
    demo_exchanges.load()
    assert (Exchange.objects.count(), Person.objects.count(), LogEntry.objects.count()) == before
