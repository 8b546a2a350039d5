"""The console: the dashboard, agreements, entering an agreement, adding an obligation, the obligation page
with its timeline and the state-change form offering only what the charter allows; refusals inline; 404 for the
public and the operator; the warnings banner's context processor (one query, none for anonymous users)."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sulh.commitments import services
from sulh.commitments.context_processors import commitment_warnings
from sulh.commitments.models import Agreement, Obligation, ObligationChange
from sulh.conftest import console_client
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def _counts():
    return (Agreement.objects.count(), Obligation.objects.count(), ObligationChange.objects.count(),
            LogEntry.objects.count())  # fmt: skip


@pytest.mark.parametrize("name", ["public", "ops_admin"])
def test_outsiders_get_404(users, make_ob, name):
    ob = make_ob()
    c = console_client(users[name])
    for url in (reverse("commitments:dashboard"), reverse("commitments:agreements"),
                reverse("commitments:agreement", args=["DOHA-2025"]), reverse("commitments:obligation", args=[ob.code]),
                reverse("commitments:new_obligation"), reverse("commitments:enter_agreement")):  # fmt: skip
        assert c.get(url).status_code == 404, url
    assert Client().get(reverse("commitments:dashboard")).status_code == 302  # sign in first


def test_dashboard_shows_due_overdue_warnings_and_records(users, make_ob):
    now = timezone.now()
    soon = make_ob(title="Exchange the lists", due_at=now + dt.timedelta(days=2))
    late = make_ob(title="Reopen Torkham", obliged=["PAK"], due_at=now - dt.timedelta(days=1))
    from sulh.deadlines import services as deadlines

    deadlines.fire_due(limit=50)
    r = console_client(users["pak_liaison"]).get(reverse("commitments:dashboard"))
    assert r.status_code == 200
    assert r.context["due_this_week"] == [soon] and r.context["overdue"] == [late]
    assert [w.obligation for w in r.context["warnings"]] == [late]
    html = r.content.decode()
    assert soon.code in html and late.code in html and 'data-party="AFG"' in html
    assert "Enter an agreement" not in html  # parties do not enter agreements
    assert (
        "Enter an agreement"
        in console_client(users["qat_lead"]).get(reverse("commitments:dashboard")).content.decode()
    )


def test_agreement_page_lists_clauses_and_their_obligations(users, make_ob):
    ob = make_ob(clause="3")
    r = console_client(users["jmt_monitor"]).get(
        reverse("commitments:agreement", args=["ISTANBUL-2025-10-30"])
    )
    assert r.status_code == 200
    [third] = [c for c in r.context["clauses"] if c["clause"].number == "3"]
    assert third["obligations"] == [ob]
    assert "6 November 2025" in r.content.decode()
    assert (
        console_client(users["jmt_monitor"]).get(reverse("commitments:agreement", args=["NOPE"])).status_code
        == 404
    )


def test_enter_agreement_form(users):
    url = reverse("commitments:enter_agreement")
    assert console_client(users["afg_liaison"]).get(url).status_code == 403
    c = console_client(users["qat_lead"])
    before = _counts()
    r = c.post(url, {"code": "DOHA-2025", "title": "Again", "date": "2025-10-19", "clauses": "1. Ceasefire."})
    assert r.status_code == 409 and "exists already" in r.content.decode()
    r = c.post(url, {"code": "X-1", "title": "x", "date": "2025-10-19", "clauses": "no number here"})
    assert r.status_code == 422 and "clause number" in r.content.decode()
    assert _counts() == before
    r = c.post(url, {"code": "ISTANBUL-2025-11-07", "title": "Istanbul, third round", "date": "2025-11-07",
                     "place": "Istanbul", "clauses": "1. The ceasefire continues.\n2: Principals meet again."})  # fmt: skip
    assert r.status_code == 302
    a = Agreement.objects.get(code="ISTANBUL-2025-11-07")
    assert list(a.clauses.values_list("number", "text")) == [
        ("1", "The ceasefire continues."),
        ("2", "Principals meet again."),
    ]


def test_new_obligation_form_shows_refusals_inline(users):
    url = reverse("commitments:new_obligation")
    assert console_client(users["pak_commander"]).get(url).status_code == 403
    c = console_client(users["qat_verifier"])
    base = {"agreement": "DOHA-2025", "kind": "ceasefire", "title": "Extension", "obliged": ["AFG", "PAK"],
            "verified_by": "evidence"}  # fmt: skip
    before = _counts()
    r = c.post(url, {**base, "starts_at": "2025-11-07T12:00", "ends_at": "2025-11-06T12:00"})
    assert r.status_code == 422
    assert "cannot end before it starts" in str(r.context["form"].errors["ends_at"])
    r = c.post(url, {**base, "clause": "77", "kind": "other"})
    assert r.status_code == 422 and "has no clause" in str(r.context["form"].errors["clause"])
    assert _counts() == before
    r = c.post(url, {**base, "clause": "1", "starts_at": "2025-11-06T12:00", "ends_at": "2025-11-07T12:00"})
    assert r.status_code == 302
    ob = Obligation.objects.get()
    assert ob.clause.number == "1" and ob.lapsed_at == ob.ends_at  # entered after its end


def test_obligation_page_offers_only_allowed_states_and_records_a_change(users, make_ob, evidence):
    ob = make_ob(obliged=["AFG"])
    url = reverse("commitments:obligation", args=[ob.code])
    r = console_client(users["jmt_monitor"]).get(url)
    assert r.status_code == 200 and r.context["form"] is None
    afg = console_client(users["afg_commander"])
    r = afg.get(url)
    assert [v for v, _ in r.context["form"].fields["to_state"].choices] == ["in_progress", "disputed"]
    before = _counts()
    r = afg.post(url, {"to_state": "met", "reason": "done", "evidence_ids": evidence})
    assert r.status_code == 422 and "to_state" in r.context["form"].errors
    r = afg.post(url, {"to_state": "in_progress", "reason": "begun", "evidence_ids": ""})
    assert r.status_code == 422 and "needs evidence" in r.content.decode()
    assert _counts() == before
    r = afg.post(url, {"to_state": "in_progress", "reason": "Lists drawn up", "evidence_ids": evidence})
    assert r.status_code == 302
    r = console_client(users["qat_lead"]).get(url)
    html = r.content.decode()
    assert "Lists drawn up" in html and "afg_commander" in html and "obliged_party" in html
    assert reverse("evidence:download", args=[evidence]) in html
    assert "UTC" in html
    assert [v for v, _ in r.context["form"].fields["to_state"].choices] == ["met", "partly_met", "breached"]


def test_warnings_context_processor_is_cheap(users, make_ob):
    make_ob(due_at=timezone.now() - dt.timedelta(hours=1))
    from sulh.deadlines import services as deadlines

    deadlines.fire_due(limit=50)
    rf = RequestFactory()
    req = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    req.user = AnonymousUser()
    with CaptureQueriesContext(connection) as q:
        assert list(commitment_warnings(req)["commitment_warnings"]) == []
    assert len(q) == 0
    for name, n in (("afg_liaison", 1), ("public", 0), ("ops_admin", 0)):
        req.user = type(users[name]).objects.get(pk=users[name].pk)  # nothing cached on the user
        with CaptureQueriesContext(connection) as q:
            got = list(commitment_warnings(req)["commitment_warnings"])
        assert len(got) == n and len(q) == 1, (name, len(q))
    assert services.active_warnings(users["afg_liaison"]).count() == 1
