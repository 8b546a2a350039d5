"""The demonstration exchange loads on top of the demo scenario when the charter in force carries the demo keys:
one report acknowledged on time and answered "action taken", one acknowledged late and awaiting its answer; each
opens with the demo desks' keys. Without the demo keys nothing is sent."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from sulh.demo import intel as demo_intel
from sulh.demo import keys as demo_keys
from sulh.intel import crypto
from sulh.intel.models import Report

pytestmark = pytest.mark.django_db


def test_demo_exchange_on_top_of_the_demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the demo keys go under DATA_DIR/demo
    settings.SULH_CHARTER = str(demo_keys.write_demo_charter(settings.SULH_CHARTER))
    out = StringIO()
    call_command("demo", incidents=20, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… intel:" in x]
    assert said
    first, second = Report.objects.order_by("sent_at")
    assert (first.state, first.acknowledgement.late, first.answer.category, first.answer.late) == (
        "answered", False, "action_taken", False)  # fmt: skip
    assert (second.state, second.acknowledgement.late, second.ack_missed) == ("acknowledged", True, False)
    assert second.answer_due_at == second.ack_due_at + dt_days(3)
    ring = demo_keys.keys_in_force()
    payload = crypto.open_envelope(json.loads(first.envelope), "AFG", ring["AFG"].intel_private)
    assert "Lalpura" in payload["where"]["place"] and "DEMONSTRATION" in payload["notes"]
    detail = crypto.open_envelope(json.loads(first.answer.envelope), "QAT", ring["QAT"].intel_private)
    assert "detained" in detail["detail"]
    assert "Lalpura" not in first.envelope
    demo_intel.load(progress=said.append)  # idempotent
    assert Report.objects.count() == 2 and said[-1] == "intel: already loaded"


def test_without_demo_keys_nothing_is_sent(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    said = []
    demo_intel.load(progress=said.append)
    assert not Report.objects.exists() and "no report sent" in said[0]


def dt_days(n):
    import datetime as dt

    return dt.timedelta(days=n)
