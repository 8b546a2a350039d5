"""The REST endpoints: who may read and write what (403/404 by role), idempotent POSTs with receipts, the
state-change endpoint offering `allowed_states`, filters, warnings and the dashboard with each party's record."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.commitments.models import Agreement, Obligation, ObligationChange
from sulh.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


def _counts():
    return (Agreement.objects.count(), Obligation.objects.count(), ObligationChange.objects.count(),
            LogEntry.objects.count())  # fmt: skip


def _obligation(api, **kw):
    body = {"agreement": "ISTANBUL-2025-10-30", "clause": "3", "kind": "detainee_release",
            "title": "Release detainees reciprocally", "obliged": ["AFG", "PAK"]}  # fmt: skip
    body.update(kw)
    return api("qat_lead").post("/obligations", body)


def test_enter_an_agreement_idempotently_with_receipts(api):
    body = {"code": "ISTANBUL-2025-11-07", "title": "Istanbul, third round", "date": "2025-11-07",
            "place": "Istanbul", "clauses": [{"number": "1", "text": "The ceasefire continues."},
                                             {"number": "2", "text": "Principals meet again."}]}  # fmt: skip
    r = api("qat_lead").post("/agreements", body, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.content
    data = r.json()
    assert [c["number"] for c in data["clauses"]] == ["1", "2"]
    assert {x["kind"] for x in data["receipts"]} == {"agreement.entered", "clause.entered"}
    before = _counts()
    again = api("qat_lead").post("/agreements", body, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _counts() == before
    assert (
        api("qat_lead")
        .post("/agreements", {**body, "title": "other"}, headers={"Idempotency-Key": "k1"})
        .status_code
        == 409
    )
    # Without the key, entering the same code again is a conflict with a message.
    r = api("qat_lead").post("/agreements", body)
    assert r.status_code == 409 and "exists already" in r.json()["detail"]
    assert (
        api("afg_liaison").get("/agreements/ISTANBUL-2025-11-07").json()["title"] == "Istanbul, third round"
    )


@pytest.mark.parametrize("name, status", [("afg_liaison", 403), ("jmt_monitor", 403), ("tur_analyst", 403),
                                          ("public", 403), ("ops_admin", 403)])  # fmt: skip
def test_only_mediators_leads_and_verifiers_write(api, name, status):
    api(name)  # its token is issued (and logged) before counting
    before = _counts()
    r = api(name).post("/obligations", {
        "agreement": "DOHA-2025", "kind": "other", "title": "x", "obliged": ["AFG"]})  # fmt: skip
    assert r.status_code == status, r.content
    assert r.json()["detail"]
    assert _counts() == before


@pytest.mark.parametrize("name", ["public", "ops_admin"])
def test_public_and_operator_get_404_for_everything(api, name):
    code = _obligation(api).json()["code"]
    assert api(name).get("/agreements").json() == []
    assert api(name).get("/obligations").json() == []
    assert api(name).get("/agreements/DOHA-2025").status_code == 404
    assert api(name).get(f"/obligations/{code}").status_code == 404
    r = api(name).post(f"/obligations/{code}/state", {"to_state": "met", "reason": "x"})
    assert r.status_code == 404
    assert api(name).get("/commitments/warnings").json() == []
    assert api(name).get("/commitments/dashboard").status_code == 404


def test_obligation_detail_changes_and_allowed_states(api, users, evidence, secret_evidence):
    r = _obligation(api)
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json()["receipts"][0]["kind"] == "obligation.created"
    assert api("afg_liaison").get(f"/obligations/{code}").json()["allowed_states"] == [
        "in_progress",
        "disputed",
    ]
    assert api("qat_verifier").get(f"/obligations/{code}").json()["allowed_states"] == [
        "in_progress",
        "met",
        "partly_met",
        "breached",
    ]
    assert api("jmt_monitor").get(f"/obligations/{code}").json()["allowed_states"] == []
    # A party may not mark it met: 403 with the charter's rule, nothing changed.
    before = _counts()
    r = api("afg_liaison").post(
        f"/obligations/{code}/state", {"to_state": "met", "reason": "done", "evidence_ids": [evidence]}
    )
    assert r.status_code == 403 and "mediators" in r.json()["detail"]
    r = api("qat_lead").post(f"/obligations/{code}/state", {"to_state": "met", "reason": "done"})
    assert r.status_code == 422 and r.json()["field"] == "evidence_ids"
    r = api("qat_lead").post(f"/obligations/{code}/state", {"to_state": "finished", "reason": "done"})
    assert r.status_code == 422
    assert _counts() == before
    r = api("qat_lead").post(f"/obligations/{code}/state",
                             {"to_state": "partly_met", "reason": "12 of 30 released", "evidence_ids": [evidence, secret_evidence]},
                             headers={"Idempotency-Key": "s1"})  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "partly_met"
    assert r.json()["receipts"][0]["kind"] == "obligation.partly_met"
    assert api("qat_lead").post(f"/obligations/{code}/state",
                                {"to_state": "partly_met", "reason": "12 of 30 released", "evidence_ids": [evidence, secret_evidence]},
                                headers={"Idempotency-Key": "s1"}).headers.get("Idempotent-Replayed") == "true"  # fmt: skip
    r = api("qat_lead").post(
        f"/obligations/{code}/state",
        {"to_state": "partly_met", "reason": "again", "evidence_ids": [evidence]},
    )
    assert r.status_code == 409
    # The party sees the change with the evidence it may see, and a count of the rest.
    change = api("pak_liaison").get(f"/obligations/{code}").json()["changes"][0]
    assert change["evidence_ids"] == [evidence] and change["evidence_hidden"] == 1
    assert (change["by"], change["by_org"], change["as_actor"]) == ("qat_lead", "QAT", "mediators")
    assert change["at_local"].endswith(("+04:30", "+05:00", "+00:00", "+03:00"))
    med = api("qat_lead").get(f"/obligations/{code}").json()["changes"][0]
    assert sorted(med["evidence_ids"]) == sorted([evidence, secret_evidence]) and med["evidence_hidden"] == 0
    r = api("afg_liaison").post(f"/obligations/{code}/state", {"to_state": "disputed", "reason": "Not 12; 9"})
    assert r.status_code == 201 and r.json()["changes"][-1]["as_actor"] in ("obliged_party", "other_party")


def test_bad_obligation_input_is_422_naming_the_field_and_changes_nothing(api):
    api("qat_lead")  # its token is issued (and logged) before counting
    before = _counts()
    now = timezone.now()
    for body, field in [
        ({"starts_at": now.isoformat(), "ends_at": (now - dt.timedelta(hours=1)).isoformat(), "kind": "ceasefire"}, "ends_at"),
        ({"clause": "99"}, "clause"),
        ({"obliged": ["IRN"]}, "obliged"),
        ({"due_after": "OBL-2025-0001", "due_offset": "soon"}, None),
    ]:  # fmt: skip
        r = _obligation(api, **body)
        assert r.status_code in (404, 422), r.content
        if field:
            assert r.json()["field"] == field
    assert _counts() == before


def test_filters_warnings_and_dashboard(api, users, evidence):
    now = timezone.now()
    soon = _obligation(
        api, title="Lists exchanged", obliged=["AFG"], due_at=(now + dt.timedelta(days=3)).isoformat()
    ).json()
    late = _obligation(api, title="Torkham reopened", kind="crossing_reopening", obliged=["PAK"],
                       due_at=(now - dt.timedelta(days=2)).isoformat()).json()  # fmt: skip
    done = _obligation(api, title="Meet again", kind="meeting", obliged=["AFG", "PAK"],
                       due_at=(now + dt.timedelta(days=1)).isoformat()).json()  # fmt: skip
    api("qat_lead").post(
        f"/obligations/{done['code']}/state", {"to_state": "met", "reason": "Met", "evidence_ids": [evidence]}
    )
    get = api("afg_analyst").get
    assert [o["code"] for o in get("/obligations", due="overdue").json()] == [late["code"]]
    assert [o["code"] for o in get("/obligations", due="this_week").json()] == [soon["code"]]
    assert {o["code"] for o in get("/obligations", party="PAK").json()} == {late["code"], done["code"]}
    assert [o["code"] for o in get("/obligations", state="met").json()] == [done["code"]]
    assert {o["code"] for o in get("/obligations", kind="crossing_reopening").json()} == {late["code"]}
    assert len(get("/obligations", agreement="ISTANBUL-2025-10-30").json()) == 3
    assert get("/obligations", agreement="DOHA-2025").json() == []
    assert get("/obligations", party="IND").status_code == 422
    assert get("/obligations", state="done").status_code == 422
    assert get("/obligations", due="someday").status_code == 422
    # The overdue deadline fires when the ticker runs: a warning for every party and mediator.
    from sulh.deadlines import services as deadlines

    deadlines.fire_due(limit=50)
    w = get("/commitments/warnings").json()
    assert [(x["obligation"], x["kind"]) for x in w] == [(late["code"], "overdue")]
    d = api("jmt_monitor").get("/commitments/dashboard").json()
    assert [o["code"] for o in d["due_this_week"]] == [soon["code"]]
    assert [o["code"] for o in d["overdue"]] == [late["code"]]
    rec = {r["party"]: r for r in d["records"]}
    assert (
        rec["AFG"]["owed"],
        rec["AFG"]["met_on_time"],
        rec["AFG"]["open"],
        rec["AFG"]["on_time_rate"],
    ) == (2, 1, 1, 1.0)
    assert (
        rec["PAK"]["owed"],
        rec["PAK"]["met_on_time"],
        rec["PAK"]["overdue"],
        rec["PAK"]["on_time_rate"],
    ) == (2, 1, 1, 0.5)
    # The dashboard carries counts, not every code (it is opened on slow links); the codes are in the list.
    assert "obligations" not in rec["PAK"] and (d["overdue_total"], d["due_this_week_total"]) == (1, 1)
