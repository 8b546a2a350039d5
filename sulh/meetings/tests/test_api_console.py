"""The API (/api/v1/meetings…) and the console pages of meetings: who may do what, refusals with their field and
nothing changed, the public's 404."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from sulh.conftest import console_client
from sulh.ledger.models import LogEntry
from sulh.meetings import services
from sulh.meetings.models import Attendance, Decision, Meeting, MeetingState

pytestmark = pytest.mark.django_db


def _payload(start, **kw):
    data = {"title": "Technical meeting", "level": "TECHNICAL", "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=3)).isoformat(), "place": "Istanbul",
            "agenda": ["Hotline tests", "Joint posts"]}  # fmt: skip
    data.update(kw)
    return data


def test_api_schedule_record_and_read(api, users):
    start = timezone.now() - dt.timedelta(hours=2)
    r = api("qat_lead").post("/meetings", _payload(start))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "scheduled" and body["expected"] == ["AFG", "PAK", "QAT", "TUR"]
    assert [x["kind"] for x in body["receipts"]] == ["meeting.scheduled"]
    code = body["code"]
    r = api("pak_liaison").put(
        f"/meetings/{code}/delegation", {"members": [{"name": "Lt Gen A", "title": "Head"}]}
    )
    assert r.status_code == 200, r.content
    assert r.json()["delegations"][0]["organisation"] == "PAK"
    r = api("qat_verifier").post(f"/meetings/{code}/attendance", {"entries": [
        {"organisation": o, "present": True} for o in ("AFG", "PAK", "QAT", "TUR")]})  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "held"
    r = api("qat_lead").post(f"/meetings/{code}/decisions", {
        "text": "Both parties keep the hotline staffed.",
        "obligations": [{"kind": "other", "title": "Hotline staffed day and night", "obliged": ["AFG", "PAK"]}]})  # fmt: skip
    assert r.status_code == 200, r.content
    dec = r.json()["decisions"][0]
    assert (dec["number"], dec["agreement"], dec["clause"]) == (1, code, "1")
    assert dec["obligations"][0]["state"] == "pending"
    kinds = [x["kind"] for x in r.json()["receipts"]]
    assert kinds[:1] == ["agreement.entered"] and "decision.obligation_created" in kinds
    r = api("jmt_monitor").get(f"/meetings/{code}")
    assert r.status_code == 200 and r.json()["decisions"][0]["text"].startswith("Both parties")
    assert [m["code"] for m in api("afg_analyst").get("/meetings", when="past").json()] == [code]
    assert api("afg_analyst").get("/meetings", when="upcoming").json() == []


def test_api_refusals_change_nothing(api, users):
    start = timezone.now() + dt.timedelta(days=2)
    for who in ("qat_lead", "afg_liaison", "public", "ops_admin"):
        api(who)  # their tokens are issued (and logged) before counting
    before = (Meeting.objects.count(), LogEntry.objects.count())
    r = api("qat_lead").post(
        "/meetings", _payload(start, ends_at=(start - dt.timedelta(hours=1)).isoformat())
    )
    assert r.status_code == 422 and r.json()["field"] == "ends_at"
    r = api("qat_lead").post("/meetings", _payload(start, level="SUMMIT"))
    assert r.status_code == 422 and r.json()["field"] == "level"
    assert api("afg_liaison").post("/meetings", _payload(start)).status_code == 403
    assert (Meeting.objects.count(), LogEntry.objects.count()) == before
    m = services.schedule(users["qat_lead"], title="t", level="TECHNICAL", starts_at=start,
                          ends_at=start + dt.timedelta(hours=1), place="Doha")  # fmt: skip
    for who in ("public", "ops_admin"):
        assert api(who).get(f"/meetings/{m.code}").status_code == 404
        assert api(who).get("/meetings").status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=10)):
        before = (Attendance.objects.count(), LogEntry.objects.count())
        r = api("qat_lead").post(
            f"/meetings/{m.code}/attendance", {"entries": [{"organisation": "JMT", "present": True}]}
        )
        assert r.status_code == 422 and r.json()["field"] == "entries.0.organisation"
        assert (Attendance.objects.count(), LogEntry.objects.count()) == before
    r = api("qat_lead").post(f"/meetings/{m.code}/cancel", {"reason": "Postponed sine die"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    before = (Decision.objects.count(), LogEntry.objects.count())
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=10)):
        r = api("qat_lead").post(f"/meetings/{m.code}/decisions", {"text": "x"})
    assert r.status_code == 409
    assert (Decision.objects.count(), LogEntry.objects.count()) == before


def test_console_pages_and_forms(users):
    lead = console_client(users["qat_lead"])
    r = lead.get("/meetings/new")
    assert r.status_code == 200
    start = (timezone.localtime(timezone.now() + dt.timedelta(days=4))).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime(timezone.now() + dt.timedelta(days=4, hours=3))).strftime("%Y-%m-%dT%H:%M")
    r = lead.post("/meetings/new", {"title": "Technical meeting", "level": "TECHNICAL", "starts_at": start,
                                    "ends_at": end, "place": "Istanbul", "agenda": "Hotline\nJoint posts",
                                    "expected": ["AFG", "PAK", "QAT", "TUR", "JMT"]})  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    m = Meeting.objects.get()
    assert m.agenda == ["Hotline", "Joint posts"] and "JMT" in m.expected
    # A refused form is shown again with the refusal, nothing stored.
    r = lead.post("/meetings/new", {"title": "Bad", "level": "TECHNICAL", "starts_at": end, "ends_at": start,
                                    "place": "Doha"})  # fmt: skip
    assert r.status_code == 422 and "cannot end before it starts" in r.content.decode()
    assert Meeting.objects.count() == 1

    monitor = console_client(users["jmt_monitor"])
    r = monitor.post(
        f"/meetings/{m.code}", {"action": "delegation", "members": "Col. B. Yilmaz, Team leader"}
    )
    assert r.status_code == 302
    page = monitor.get(f"/meetings/{m.code}").content.decode()
    assert "Col. B. Yilmaz" in page and "Hotline" in page
    assert 'name="action" value="reschedule"' not in page  # a monitor does not reschedule
    r = monitor.post(f"/meetings/{m.code}", {"action": "cancel", "reason": "x"})
    assert r.status_code == 403
    m.refresh_from_db()
    assert m.state == MeetingState.SCHEDULED

    page = lead.get(f"/meetings/{m.code}").content.decode()
    assert 'value="reschedule"' in page and 'value="cancel"' in page
    new_start = (timezone.localtime(timezone.now() + dt.timedelta(days=6))).strftime("%Y-%m-%dT%H:%M")
    new_end = (timezone.localtime(timezone.now() + dt.timedelta(days=6, hours=2))).strftime("%Y-%m-%dT%H:%M")
    r = lead.post(f"/meetings/{m.code}", {"action": "reschedule", "starts_at": new_start, "ends_at": new_end,
                                          "reason": "Delegations asked for more time", "place": ""})  # fmt: skip
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.state == MeetingState.POSTPONED and m.place == "Istanbul"
    assert "Delegations asked for more time" in lead.get(f"/meetings/{m.code}").content.decode()
    assert "Upcoming meetings" in monitor.get("/meetings/").content.decode()

    public = console_client(users["public"])
    assert public.get("/meetings/").status_code == 404
    assert public.get(f"/meetings/{m.code}").status_code == 404
    assert console_client(users["afg_liaison"]).get("/meetings/MTG-1999-0009").status_code == 404


def test_console_attendance_and_decision(users):
    start = timezone.now() - dt.timedelta(hours=3)
    m = services.schedule(users["qat_lead"], title="Principals", level="PRINCIPALS", starts_at=start,
                          ends_at=start + dt.timedelta(hours=2), place="Istanbul")  # fmt: skip
    lead = console_client(users["qat_verifier"])
    r = lead.post(f"/meetings/{m.code}", {"action": "attendance", "org_AFG": "present", "org_PAK": "absent",
                                          "note_PAK": "walked out"})  # fmt: skip
    assert r.status_code == 302
    m.refresh_from_db()
    assert (m.state, m.missed_by) == ("missed", ["PAK"])
    page = lead.get(f"/meetings/{m.code}").content.decode()
    assert "walked out" in page and "by" in page and 'value="decision"' not in page

    m2 = services.schedule(users["qat_lead"], title="Technical", level="TECHNICAL", starts_at=start,
                           ends_at=start + dt.timedelta(hours=2), place="Doha")  # fmt: skip
    r = lead.post(f"/meetings/{m2.code}", {"action": "decision", "text": "Maintain the ceasefire",
                                           "ob_title": "Ceasefire maintained", "ob_kind": "ceasefire",
                                           "ob_obliged": ["ZZZ"]})  # fmt: skip
    assert r.status_code == 422  # not a party of the charter: the form refuses it
    assert not Decision.objects.exists()
    r = lead.post(f"/meetings/{m2.code}", {"action": "decision", "text": "Maintain the ceasefire",
                                           "ob_title": "Ceasefire maintained", "ob_kind": "ceasefire",
                                           "ob_obliged": ["AFG", "PAK"], "ob_verified_by": "evidence"})  # fmt: skip
    assert r.status_code == 302
    page = lead.get(f"/meetings/{m2.code}").content.decode()
    assert "Ceasefire maintained" in page and "OBL-" in page
