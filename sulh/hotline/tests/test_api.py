"""The hotline through its REST API: send, inbox, the states a message goes through, corrections,
clarification answers, idempotent sends, receipts and local times, and bad input refused with a clear 4xx
that stores nothing at all (no message, no event, no log entry, no deadline)."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.conftest import SPIN_BOLDAK, ApiClient, incident_payload
from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline
from sulh.hotline.models import Event, EventAudience, Message
from sulh.ledger.models import LogEntry

from .conftest import due_now

pytestmark = pytest.mark.django_db

CHAMAN_GATE = (30.92, 66.45)


def hold_fire(**kw) -> dict:
    data = {"channel": "S2-CHAMAN", "message_type": "hold_fire_request", "priority": "flash",
            "body": "Hold fire at the Friendship Gate: our patrol is at the fence"}  # fmt: skip
    data.update(kw)
    return data


def parse(t: str) -> dt.datetime:
    return dt.datetime.fromisoformat(t.replace("Z", "+00:00"))


def stored() -> dict:
    return {
        "messages": Message.objects.count(), "events": Event.objects.count(),
        "audience": EventAudience.objects.count(), "log": LogEntry.objects.count(),
        "deadlines": Deadline.objects.count(),
    }  # fmt: skip


def refused(client: ApiClient, path: str, payload: dict, status: int, field: str | None = None, headers=None) -> dict:
    """POST that must be refused with `status` (and name `field`), changing nothing in the database."""
    before = stored()
    r = client.post(path, payload, headers=headers)
    assert r.status_code == status, (r.status_code, r.content)
    body = r.json()
    assert body.get("detail"), body  # a message a person can read, never an empty 4xx
    if field is not None:
        assert body.get("field") == field, body
    assert stored() == before, "a refused request stored something"
    return body


def test_send_inbox_and_the_states_of_a_message(desk_api, desks):
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    r = afg.post("/hotline/messages", hold_fire(latitude=CHAMAN_GATE[0], longitude=CHAMAN_GATE[1]))
    assert r.status_code == 201, r.content
    m = r.json()
    assert (m["from_post"], m["to_post"], m["current_to"], m["state"], m["step"]) == ("AFG-S2", "PAK-S2", "PAK-S2", "sent", 0)
    assert m["sent_by"] == "afg-s2" and m["code"].startswith("HL-")
    # Every write answers with the log entries it made: the message and its `sent` event.
    kinds = [x["kind"] for x in m["receipts"]]
    assert kinds[:2] == ["hotline_message.sent", "hotline.sent"]
    entries = {e.index: e for e in LogEntry.objects.filter(index__in=[x["leaf_index"] for x in m["receipts"]])}
    for x in m["receipts"]:
        assert entries[x["leaf_index"]].entry_hash == x["entry_hash"]
    assert Event.objects.get(message_id=m["id"], kind="sent").seq == m["receipts"][1]["leaf_index"]

    # Time: server time in UTC; each end sees it in its own zone.
    sent_at = parse(m["sent_at"])
    assert sent_at.utcoffset() == dt.timedelta(0)
    assert abs((timezone.now() - sent_at).total_seconds()) < 30
    assert m["sent_at_local"].endswith("+04:30") and parse(m["sent_at_local"]) == sent_at.replace(microsecond=0)  # Kabul
    seen = pak.get(f"/hotline/messages/{m['code']}").json()
    assert seen["sent_at_local"].endswith("+05:00") and parse(seen["sent_at_local"]) == sent_at.replace(microsecond=0)  # Karachi
    assert parse(seen["ack_due_at"]) == sent_at + dt.timedelta(minutes=2)  # hold fire, flash: PT2M
    assert pak.get(f"/hotline/messages/{m['id']}").json()["code"] == m["code"]  # by id as well as code

    # The inbox: the receiving desk has it, the sender does not; the sender's list of all messages does.
    assert [x["code"] for x in pak.get("/hotline/messages", box="inbox").json()] == [m["code"]]
    assert afg.get("/hotline/messages", box="inbox").json() == []
    assert [x["code"] for x in afg.get("/hotline/messages").json()] == [m["code"]]

    r = pak.post(f"/hotline/messages/{m['code']}/delivered")
    assert r.status_code == 200 and r.json()["state"] == "delivered"
    assert [x["kind"] for x in r.json()["receipts"]] == ["hotline.delivered"]
    assert pak.post(f"/hotline/messages/{m['code']}/delivered").json()["receipts"] == []  # once per post
    assert pak.post(f"/hotline/messages/{m['code']}/read").json()["state"] == "read"
    r = pak.post(f"/hotline/messages/{m['code']}/acknowledge", {"reply": "Orders passed to the gate"})
    assert r.status_code == 200, r.content
    acked = r.json()
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "pak-s2"
    assert [x["kind"] for x in acked["receipts"]] == ["hotline.acknowledged"]
    assert not Deadline.objects.filter(subject=m["id"], state="pending").exists()
    assert pak.get("/hotline/messages", box="inbox").json() == []

    r = afg.post(f"/hotline/messages/{m['code']}/resolve", {"note": "Patrol back behind the line"})
    assert r.status_code == 200 and r.json()["state"] == "resolved"

    ev = afg.get(f"/hotline/messages/{m['code']}/events").json()
    assert [(e["kind"], e["post"]) for e in ev] == [
        ("sent", "AFG-S2"), ("delivered", "PAK-S2"), ("read", "PAK-S2"), ("acknowledged", "PAK-S2"), ("resolved", "AFG-S2"),
    ]
    assert [e["seq"] for e in ev] == sorted(e["seq"] for e in ev)
    assert ev[3]["detail"]["reply"] == "Orders passed to the gate" and ev[3]["detail"]["late"] is False
    assert ev[0]["at_local"].endswith("+04:30")
    assert pak.get(f"/hotline/messages/{m['code']}/events").json()[0]["at_local"].endswith("+05:00")


def test_acknowledge_refusals_change_nothing(desk_api, api, desks):
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    code = afg.post("/hotline/messages", hold_fire()).json()["code"]
    path = f"/hotline/messages/{code}/acknowledge"
    # The sender's own side, at its own desk and higher up, and the other side's desk not yet reached.
    for desk in ("AFG-S2", "AFG-R-SOUTH", "PAK-R-SOUTH"):
        body = refused(desk_api(desk), path, {}, 403)
        assert "PAK-S2" in body["detail"]
    refused(api("pak_liaison"), path, {}, 403)  # same party, holds no post
    refused(api("jmt_monitor"), path, {}, 404)  # cannot even see it
    refused(api("afg_liaison"), path, {"reply": "x" * 4001}, 422)
    assert pak.post(path, {}).status_code == 200
    refused(pak, path, {}, 409)  # twice
    refused(desk_api("MED-CELL"), path, {}, 403)  # not reached: the mediators were never asked


def test_correction_stops_the_old_message_climbing(desk_api):
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    old = afg.post("/hotline/messages", hold_fire(body="Hold fire at the gate")).json()
    r = afg.post("/hotline/messages", hold_fire(body="Hold fire at the gate and at post 14", corrects=old["code"]))
    assert r.status_code == 201, r.content
    new = r.json()
    assert new["corrects"] == old["code"]
    assert "hotline.resolved" in [x["kind"] for x in new["receipts"]]
    old_now = pak.get(f"/hotline/messages/{old['code']}").json()
    assert old_now["state"] == "resolved" and old_now["body"] == "Hold fire at the gate"  # immutable: not edited
    ev = pak.get(f"/hotline/messages/{old['code']}/events").json()
    assert ev[-1]["kind"] == "resolved" and ev[-1]["detail"] == {"corrected_by": new["code"]}
    assert [x["code"] for x in pak.get("/hotline/messages", box="inbox").json()] == [new["code"]]
    due_now()
    fired = deadlines.fire_due()
    assert [(d.subject, d.step) for d in fired] == [(new["id"], 0)]
    assert pak.get(f"/hotline/messages/{old['code']}").json()["step"] == 0
    assert pak.get(f"/hotline/messages/{new['code']}").json()["step"] == 1
    # A correction comes from the same side, on the same channel.
    refused(pak, "/hotline/messages", hold_fire(corrects=new["code"]), 422, "corrects")


def test_clarification_answer_acknowledges_the_request(desk_api):
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    req = afg.post("/hotline/messages", hold_fire(
        message_type="clarification_request", priority="routine", body="Which posts does your notice cover?",
    )).json()  # fmt: skip
    r = pak.post("/hotline/messages", hold_fire(
        message_type="clarification_answer", priority="routine", body="Posts 12 to 15", reply_to=req["code"],
    ))  # fmt: skip
    assert r.status_code == 201, r.content
    ans = r.json()
    assert ans["reply_to"] == req["code"]
    assert [x["kind"] for x in ans["receipts"]][:3] == ["hotline_message.sent", "hotline.sent", "hotline.acknowledged"]
    now = afg.get(f"/hotline/messages/{req['code']}").json()
    assert (now["state"], now["acknowledged_by"]) == ("acknowledged", "pak-s2")
    ack = afg.get(f"/hotline/messages/{req['code']}/events").json()[-1]
    assert ack["kind"] == "acknowledged" and ack["detail"]["by_answer"] == ans["code"]
    assert not Deadline.objects.filter(subject=req["id"], state="pending").exists()
    # The answer is a message of its own, awaiting the asker's acknowledgement.
    assert [x["code"] for x in afg.get("/hotline/messages", box="inbox").json()] == [ans["code"]]
    # An answer must answer the other side's request.
    refused(afg, "/hotline/messages", hold_fire(message_type="clarification_answer", priority="routine", reply_to=req["code"]), 422, "reply_to")


def test_idempotency_key_replays_the_first_answer(desk_api):
    afg = desk_api("AFG-S2")
    key = {"Idempotency-Key": "afg-s2-0001"}
    first = afg.post("/hotline/messages", hold_fire(), headers=key)
    assert first.status_code == 201
    before = stored()
    again = afg.post("/hotline/messages", hold_fire(), headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert stored() == before
    assert Message.objects.count() == 1
    r = afg.post("/hotline/messages", hold_fire(body="Something else"), headers=key)
    assert r.status_code == 409
    assert stored() == before


def test_poll_events_after(desk_api):
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    start = pak.get("/hotline/events").json()
    assert start == []
    a = afg.post("/hotline/messages", hold_fire(body="one")).json()
    b = afg.post("/hotline/messages", hold_fire(body="two")).json()
    got = pak.get("/hotline/events", after=-1).json()
    assert [(e["kind"], e["message"]["code"]) for e in got] == [("sent", a["code"]), ("sent", b["code"])]
    assert got[0]["seq"] < got[1]["seq"] and got[0]["at_local"].endswith("+05:00")
    assert [e["seq"] for e in pak.get("/hotline/events", after=got[0]["seq"]).json()] == [got[1]["seq"]]
    assert pak.get("/hotline/events", after=got[1]["seq"]).json() == []
    pak.post(f"/hotline/messages/{a['code']}/acknowledge", {})
    assert [e["kind"] for e in pak.get("/hotline/events", after=got[1]["seq"]).json()] == ["acknowledged"]
    # The mediators' cell is told of everything; a desk the message has not reached hears nothing of it.
    assert [e["seq"] for e in desk_api("MED-CELL").get("/hotline/events").json()] == [g["seq"] for g in got] + [
        e["seq"] for e in pak.get("/hotline/events", after=got[1]["seq"]).json()
    ]
    assert desk_api("AFG-HQ").get("/hotline/events").json() == []
    assert pak.get("/hotline/events", after="x").status_code == 422


def test_incident_notification_links_an_incident_its_sender_may_see(api, desk_api):
    r = api("pak_liaison").post("/incidents", incident_payload(audience="mediators"))
    assert r.status_code == 201, r.content
    incident = r.json()["incident"]["code"]
    afg, pak = desk_api("AFG-S2"), desk_api("PAK-S2")
    refused(afg, "/hotline/messages", hold_fire(message_type="incident_notification", incident=incident), 404, "incident")
    r = pak.post("/hotline/messages", hold_fire(message_type="incident_notification", incident=incident))
    assert r.status_code == 201 and r.json()["incident"] == incident


def test_bad_input_is_refused_and_stores_nothing(desk_api, api, desks):
    afg = desk_api("AFG-S2")
    send = "/hotline/messages"
    refused(afg, send, hold_fire(channel="S9-NOWHERE"), 404, "channel")
    refused(afg, send, hold_fire(to_post="PAK-R-SOUTH"), 422, "to_post")  # not the other end of S2-CHAMAN
    refused(afg, send, hold_fire(to_post="AFG-S2"), 422, "to_post")  # its own end
    refused(afg, send, hold_fire(from_post="AFG-R-SOUTH"), 422, "from_post")  # not an end of S2-CHAMAN
    refused(afg, send, hold_fire(from_post="PAK-S2"), 403)  # an end, but not hers
    refused(desk_api("AFG-R-SOUTH"), send, hold_fire(), 403)  # holds neither end
    refused(api("afg_commander"), send, hold_fire(), 403)  # holds no post at all
    refused(afg, send, hold_fire(body=""), 422, "body")
    refused(afg, send, hold_fire(body="   \n "), 422, "body")
    refused(afg, send, hold_fire(body="x" * 4001), 422)
    refused(afg, send, hold_fire(priority="urgent"), 422)
    refused(afg, send, hold_fire(message_type="rumour"), 422)
    refused(afg, send, hold_fire(latitude=31.0), 422, "latitude")
    refused(afg, send, hold_fire(latitude=51.5, longitude=-0.12), 422, "latitude")  # London
    later = timezone.now() + dt.timedelta(hours=2)
    movement = hold_fire(message_type="movement_notice", priority="routine", latitude=SPIN_BOLDAK[0], longitude=SPIN_BOLDAK[1])
    refused(afg, send, movement, 422, "starts_at")
    refused(afg, send, {**movement, "starts_at": later.isoformat(), "ends_at": (later - dt.timedelta(hours=1)).isoformat()}, 422, "ends_at")
    past = timezone.now() - dt.timedelta(hours=1)
    refused(afg, send, {**movement, "starts_at": past.isoformat(), "ends_at": later.isoformat()}, 422, "starts_at")
    refused(afg, send, hold_fire(message_type="clarification_answer", priority="routine"), 422, "reply_to")
    refused(afg, send, hold_fire(message_type="incident_notification"), 422, "incident")
    refused(afg, send, hold_fire(message_type="incident_notification", incident="INC-2025-10-9999"), 404, "incident")
    refused(afg, send, hold_fire(corrects="HL-2025-10-9999"), 404, "corrects")
    refused(afg, send, {"channel": "S2-CHAMAN", "priority": "flash", "body": "no type"}, 422)
    # The same movement notice, given in time, goes through.
    ok = afg.post(send, {**movement, "starts_at": later.isoformat(), "ends_at": (later + dt.timedelta(hours=3)).isoformat()})
    assert ok.status_code == 201, ok.content
    assert Message.objects.count() == 1
    # Unknown message: 404 on every state change, nothing stored.
    pak = desk_api("PAK-S2")
    for action in ("delivered", "read", "acknowledge", "resolve"):
        refused(pak, f"/hotline/messages/HL-2025-10-9999/{action}", {}, 404)
    # Resolving what was never acknowledged is a conflict.
    refused(afg, f"/hotline/messages/{ok.json()['code']}/resolve", {}, 409)
