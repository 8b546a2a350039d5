"""The ledger in the console: the overview page for every role, and an incident's log entries limited to
the records the reader may see."""

import pytest
from django.test import Client
from django.urls import reverse

from sulh.conftest import USER_SPECS, claim_payload, console_client, incident_payload
from sulh.ledger import services as ledger
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(USER_SPECS))
def test_ledger_page_for_every_role(users, role):
    ledger.sign_checkpoint()
    r = console_client(users[role]).get(reverse("ledger:overview"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "sulh.mechanism/af-pak/log+" in html  # the log key, to compare with one's own copy
    assert "no key registered" in html  # nobody registered a witness key in this test


def test_ledger_page_needs_sign_in():
    r = Client().get(reverse("ledger:overview"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_incident_page_lists_only_entries_of_records_the_reader_sees(api, users):
    created = api("pak_liaison").post("/incidents", incident_payload(audience="parties")).json()
    code, incident_id = created["incident"]["code"], created["incident"]["id"]
    draft = api("afg_liaison").post(
        f"/incidents/{code}/claims", claim_payload(file=False, alleged_violator="PAK")
    ).json()  # AFG's private draft on the same incident
    own_entries = LogEntry.objects.filter(record_id__in=[incident_id, created["claim"]["id"]])
    draft_entry = LogEntry.objects.get(record_type="claim", record_id=draft["id"])

    pak_page = console_client(users["pak_analyst"]).get(reverse("incidents:detail", args=[code])).content.decode()
    for e in own_entries:
        assert f'data-ledger-verify="{e.index}"' in pak_page
    assert f'data-ledger-verify="{draft_entry.index}"' not in pak_page

    afg_page = console_client(users["afg_analyst"]).get(reverse("incidents:detail", args=[code])).content.decode()
    assert f'data-ledger-verify="{draft_entry.index}"' in afg_page
    assert afg_page.count("ledger-verify.js") == 1
