"""The protocols' console pages: tasks due with their countdowns, filing the report that meets a task, a
run's page, each party's compliance record, and the tasks panel on the hotline inbox."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from sulh.conftest import console_client
from sulh.deadlines import services as deadlines
from sulh.hotline import services as hotline
from sulh.hotline.tests.test_ladder import _due_now
from sulh.protocols.models import ProtocolRun, Task, TaskReport, TaskState

pytestmark = pytest.mark.django_db


@pytest.fixture
def medevac(users, make_user):
    """The Afghan sector desk asks for a medical evacuation across the line: the MEDEVAC protocol runs, and
    Pakistan must confirm safe passage within the hour."""
    sender = make_user("afg-s2", "AFG", "liaison_officer")
    hotline.assign_holder(users["ops_admin"], "AFG-S2", sender)
    msg = hotline.send(sender, hotline.Outgoing(
        channel="S2-CHAMAN", message_type="medevac", priority="flash",
        body="Two wounded civilians at the Friendship Gate need a hospital in Chaman",
    ))  # fmt: skip
    run = ProtocolRun.objects.get(message=msg)
    return {"message": msg, "run": run, "sender": sender}


def _html(response) -> str:
    return response.content.decode()


def _task(run, step, party) -> Task:
    return Task.objects.get(run=run, step=step, party=party)


def test_tasks_due_page_lists_the_party_s_open_tasks_with_countdowns(medevac, users):
    task = _task(medevac["run"], "SAFE-PASSAGE", "PAK")
    assert task.state == TaskState.OPEN
    r = console_client(users["pak_liaison"]).get(reverse("protocols:due"))
    assert r.status_code == 200
    html = _html(r)
    due = task.due_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert f'data-due="{due}"' in html and "Confirm safe passage" in html
    assert reverse("protocols:task", args=[task.pk]) in html  # the form that meets it
    assert "SAFE-PASSAGE-CONFIRMED" in html
    # Afghanistan's step waits for Pakistan's: nothing of theirs is due yet.
    html = _html(console_client(users["afg_liaison"]).get(reverse("protocols:due")))
    assert "Confirm safe passage" not in html and "No protocol task of yours is open." in html


def test_the_hotline_inbox_shows_the_tasks_due(medevac, users):
    html = _html(console_client(users["pak_liaison"]).get(reverse("hotline:inbox")))
    task = _task(medevac["run"], "SAFE-PASSAGE", "PAK")
    assert reverse("protocols:task", args=[task.pk]) in html and 'data-due="' in html


def test_filing_the_report_meets_the_task(medevac, users):
    run = medevac["run"]
    task = _task(run, "SAFE-PASSAGE", "PAK")
    client = console_client(users["pak_liaison"])
    prefix = str(task.pk)
    r = client.post(reverse("protocols:task", args=[task.pk]), {
        "prefix": prefix, f"{prefix}-text": "Safe passage through Chaman gate confirmed for 14:00",
    })  # fmt: skip
    assert r.status_code == 302 and r["Location"] == reverse("protocols:run", args=[run.pk])
    task.refresh_from_db()
    assert task.state == TaskState.MET and task.met_by == users["pak_liaison"]
    assert TaskReport.objects.get(task=task).report == "SAFE-PASSAGE-CONFIRMED"
    # The run's page shows it met, with its time, and the next step opened for the other side.
    html = _html(client.get(reverse("protocols:run", args=[run.pk])))
    row = re.search(r'<tr class="task-row-met">.*?</tr>', html, re.S).group(0)
    assert "Confirm safe passage" in row and task.met_at.astimezone(dt.UTC).strftime("%H:%M:%S") in row
    assert _task(run, "HANDOVER", "AFG").state == TaskState.OPEN
    assert "Report the handover" in _html(console_client(users["afg_liaison"]).get(reverse("protocols:due")))


def test_bad_report_shows_the_error_and_changes_nothing(medevac, users):
    task = _task(medevac["run"], "SAFE-PASSAGE", "PAK")
    url = reverse("protocols:task", args=[task.pk])
    r = console_client(users["pak_liaison"]).post(url, {"text": "   "})
    assert r.status_code == 422 and "This field is required" in _html(r)
    # The other side may not meet Pakistan's step.
    r = console_client(users["afg_liaison"]).post(url, {"text": "We confirm it for them"})
    assert r.status_code == 403 and "PAK&#x27;s to meet" in _html(r)
    # An analyst may not file.
    r = console_client(users["pak_analyst"]).post(url, {"text": "Confirmed"})
    assert r.status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.OPEN and not TaskReport.objects.exists()


def test_compliance_page_counts_met_breached_and_open(medevac, users):
    run = medevac["run"]
    hand = console_client(users["pak_liaison"])
    task = _task(run, "SAFE-PASSAGE", "PAK")
    hand.post(reverse("protocols:task", args=[task.pk]), {"text": "Safe passage confirmed"})
    _due_now()  # Afghanistan lets the handover's deadline pass
    deadlines.fire_due()
    assert _task(run, "HANDOVER", "AFG").state == TaskState.BREACHED
    r = console_client(users["tur_analyst"]).get(reverse("protocols:compliance"))
    assert r.status_code == 200
    html = _html(r)

    def cells(party):
        row = re.search(rf'<tr data-party="{party}">(.*?)</tr>', html, re.S).group(1)
        return dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))

    assert cells("PAK") == {
        "met_on_time": "1",
        "met_late": "0",
        "breached": "0",
        "open": "0",
        "on_time_rate": "100%",
    }
    assert cells("AFG") == {
        "met_on_time": "0",
        "met_late": "0",
        "breached": "1",
        "open": "0",
        "on_time_rate": "0%",
    }
    assert cells("MEDIATORS")["on_time_rate"] == "—"
    assert "Report the handover" in html  # in the list of breaches


@pytest.mark.parametrize("name", ["jmt_monitor", "ops_admin", "public"])
def test_protocol_pages_are_closed_to_monitors_operator_and_public(medevac, users, name):
    client = console_client(users[name])
    task = _task(medevac["run"], "SAFE-PASSAGE", "PAK")
    for url in (reverse("protocols:due"), reverse("protocols:compliance"),
                reverse("protocols:run", args=[medevac["run"].pk]), reverse("protocols:task", args=[task.pk])):  # fmt: skip
        assert client.get(url).status_code == 403, url
