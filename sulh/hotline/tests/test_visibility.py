"""Who sees which hotline message: the mediators every one; a party's members the messages on their own
lines; a restricted message only the holders of posts it has reached, and the mediators; the monitors, the
operator and the public none. The same rule opens a message's log entries (ledger record endpoint)."""

import json

import pytest

from sulh.conftest import ApiClient
from sulh.deadlines import services as deadlines
from sulh.hotline import services
from sulh.hotline.models import Event

from .conftest import due_now, outgoing

pytestmark = pytest.mark.django_db

NOBODY = ("jmt_monitor", "ops_admin", "public")


@pytest.fixture
def world(desks, users):
    open_msg = services.send(desks["AFG-S2"], outgoing(body="Patrol moving along the fence at post 14"))
    secret = services.send(desks["AFG-S2"], outgoing(
        message_type="free_text", priority="immediate", body="Our informant near Chaman says a convoy is coming",
        restricted=True,
    ))  # fmt: skip
    other_line = services.send(desks["PAK-HQ"], outgoing(channel="MED-PAK", body="Requesting a call at 10:00"))
    clients = {name: ApiClient(u) for name, u in {**users, **{c: u for c, u in desks.items()}}.items()}
    return {"open": open_msg, "secret": secret, "med_pak": other_line, "c": clients}


def visible(client: ApiClient) -> set[str]:
    listed = {m["code"] for m in client.get("/hotline/messages").json()}
    return listed


def can_get(client: ApiClient, code: str) -> bool:
    r = client.get(f"/hotline/messages/{code}")
    assert r.status_code in (200, 404), r.content
    return r.status_code == 200


def test_who_sees_what(world):
    c, o, s, mp = world["c"], world["open"].code, world["secret"].code, world["med_pak"].code
    expected = {
        # The mediators see every message, holding a post or not.
        "qat_verifier": {o, s, mp}, "qat_lead": {o, s, mp}, "tur_analyst": {o, s, mp}, "MED-CELL": {o, s, mp},
        # A party's members: its own lines; the restricted one only at the posts it reached.
        "afg_analyst": {o}, "afg_liaison": {o}, "AFG-S2": {o, s}, "AFG-R-SOUTH": {o}, "AFG-HQ": {o},
        "pak_analyst": {o, mp}, "pak_commander": {o, mp}, "PAK-S2": {o, s, mp}, "PAK-R-SOUTH": {o, mp},
        "PAK-HQ": {o, mp},
        # The hotline is between commanders: nobody else.
        "jmt_monitor": set(), "ops_admin": set(), "public": set(),
    }  # fmt: skip
    for who, codes in expected.items():
        assert visible(c[who]) == codes, who
        for code in (o, s, mp):
            assert can_get(c[who], code) == (code in codes), (who, code)
            r = c[who].get(f"/hotline/messages/{code}/events")
            assert r.status_code == (200 if code in codes else 404), (who, code)


def test_a_restricted_message_opens_to_the_desks_it_climbs_to(world):
    c, secret = world["c"], world["secret"]
    assert not can_get(c["PAK-R-SOUTH"], secret.code) and not can_get(c["AFG-R-SOUTH"], secret.code)
    due_now(subject=str(secret.pk))
    assert [d.step for d in deadlines.fire_due()] == [0]
    secret.refresh_from_db()
    assert secret.step == 1 and secret.ladder[1]["to"] == "PAK-R-SOUTH"
    # Escalated to the regional desks (the receiving one must answer, the sending one is told).
    assert can_get(c["PAK-R-SOUTH"], secret.code) and can_get(c["AFG-R-SOUTH"], secret.code)
    assert secret.code in {m["code"] for m in c["PAK-R-SOUTH"].get("/hotline/messages", box="inbox").json()}
    # Not yet the national desks, and never a party member holding no post it reached.
    for who in ("PAK-HQ", "AFG-HQ", "pak_analyst", "afg_analyst", "pak_commander", "jmt_monitor"):
        assert not can_get(c[who], secret.code), who
    assert c["PAK-R-SOUTH"].post(f"/hotline/messages/{secret.code}/acknowledge", {}).status_code == 200
    assert c["pak_analyst"].post(f"/hotline/messages/{secret.code}/acknowledge", {}).status_code == 404


def test_the_event_stream_carries_only_what_its_desk_may_read(world):
    c, secret = world["c"], world["secret"]
    for who in ("PAK-S2", "AFG-S2", "MED-CELL", "PAK-R-SOUTH", "AFG-HQ", "pak_analyst", "jmt_monitor"):
        events = c[who].get("/hotline/events").json()
        for e in events:
            assert can_get(c[who], e["message"]["code"]), (who, e["message"]["code"])
        got = {e["message"]["code"] for e in events}
        assert (secret.code in got) == (who in ("PAK-S2", "AFG-S2", "MED-CELL")), who
    assert c["pak_analyst"].get("/hotline/events").json() == []  # no post held: nothing streams


def test_the_ledger_record_opens_only_to_those_who_may_read_it(world):
    c = world["c"]
    for key, readers, others in [
        ("open", ("AFG-S2", "PAK-S2", "afg_analyst", "qat_verifier"), ("jmt_monitor", "public", "ops_admin")),
        ("secret", ("AFG-S2", "PAK-S2", "MED-CELL", "tur_analyst"), ("pak_analyst", "afg_analyst", "PAK-R-SOUTH", "jmt_monitor")),
    ]:  # fmt: skip
        msg = world[key]
        url = f"/ledger/records/hotline_message/{msg.pk}"
        for who in readers:
            r = c[who].get(url)
            assert r.status_code == 200, (who, r.content)
            entries = r.json()
            assert [json.loads(e["body"])["kind"] for e in entries] == ["hotline_message.sent"]
            content = json.loads(entries[0]["opening"]["content"])
            assert content["body"] == msg.body, who
        for who in others:
            assert c[who].get(url).status_code == 404, who
        # Each event of the message follows the same rule.
        sent = Event.objects.get(message=msg, kind="sent")
        for who in readers:
            r = c[who].get(f"/ledger/records/hotline_event/{sent.pk}")
            assert r.status_code == 200 and r.json()[0]["opening"] is not None, who
        for who in others:
            assert c[who].get(f"/ledger/records/hotline_event/{sent.pk}").status_code == 404, who
