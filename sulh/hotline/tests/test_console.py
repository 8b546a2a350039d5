"""The hotline's console pages: the duty officer's inbox, acknowledging, compose, a message's page, who sees
what, and the incident page's thread."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from sulh.conftest import SPIN_BOLDAK, console_client, incident_payload
from sulh.hotline import services
from sulh.hotline.models import Event, Message, MessageState, PostHolder

pytestmark = pytest.mark.django_db


@pytest.fixture
def desks(users, make_user):
    """Sector S2 desks of both sides, the southern regional desks and the mediators' cell, one holder each."""
    admin = users["ops_admin"]
    holders = {}
    for code, org, role in [
        ("AFG-S2", "AFG", "liaison_officer"), ("PAK-S2", "PAK", "liaison_officer"),
        ("AFG-R-SOUTH", "AFG", "liaison_officer"), ("PAK-R-SOUTH", "PAK", "liaison_officer"),
        ("MED-CELL", "QAT", "verifier"),
    ]:  # fmt: skip
        u = make_user(code.lower(), org, role)
        services.assign_holder(admin, code, u)
        holders[code] = u
    return holders


def _send(user, **kw) -> Message:
    data = {
        "channel": "S2-CHAMAN",
        "message_type": "incident_notification",
        "priority": "flash",
        "body": "Mortar fire from across the line, two rounds near Spin Boldak bazaar",
        "latitude": SPIN_BOLDAK[0],
        "longitude": SPIN_BOLDAK[1],
    }
    data.update(kw)
    return services.send(user, services.Outgoing(**data))


def _html(response) -> str:
    return response.content.decode()


def test_inbox_shows_an_awaiting_message_to_its_holder_with_a_countdown(desks):
    msg = _send(desks["AFG-S2"])
    r = console_client(desks["PAK-S2"]).get(reverse("hotline:inbox"))
    assert r.status_code == 200
    html = _html(r)
    row = re.search(rf'<article class="hl-msg[^"]*" id="msg-{msg.code}".*?</article>', html, re.S)
    assert row, "the awaiting message is listed"
    due = msg.ack_due_at.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert f'data-ack-due="{due}"' in row.group(0)
    assert "hl-prio-flash" in row.group(0) and "PAK-S2" in row.group(0)
    assert reverse("hotline:acknowledge", args=[msg.code]) in row.group(0)
    assert "sulh/hotline.js" in html and 'data-posts="PAK-S2"' in html
    # Opening the inbox is the message reaching a device of the receiving post.
    msg.refresh_from_db()
    assert msg.state == MessageState.DELIVERED
    assert Event.objects.filter(message=msg, kind="delivered", post__code="PAK-S2").count() == 1
    # The sender sees it among the recent messages, not as something to acknowledge.
    sender_html = _html(console_client(desks["AFG-S2"]).get(reverse("hotline:inbox")))
    assert f'id="msg-{msg.code}"' not in sender_html and msg.code in sender_html


def test_inbox_says_where_an_escalated_message_now_waits(desks):
    from sulh.deadlines import services as deadlines
    from sulh.hotline.tests.test_ladder import _due_now

    msg = _send(desks["AFG-S2"])
    _due_now()
    deadlines.fire_due()
    html = _html(console_client(desks["PAK-R-SOUTH"]).get(reverse("hotline:inbox")))
    assert f'id="msg-{msg.code}"' in html
    assert "escalated to PAK-R-SOUTH (step 2 of" in html
    # Listing it there is its delivery at the regional desk, as it was at the sector desk's.
    assert Event.objects.filter(message=msg, kind="delivered", post__code="PAK-R-SOUTH").count() == 1


def test_acknowledge_from_the_inbox(desks):
    msg = _send(desks["AFG-S2"])
    client = console_client(desks["PAK-S2"])
    r = client.post(
        reverse("hotline:acknowledge", args=[msg.code]),
        {"reply": "Checking with our posts"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert "acknowledged" in _html(r) and r["HX-Trigger"] == "hotline-changed"
    msg.refresh_from_db()
    assert msg.state == MessageState.ACKNOWLEDGED and msg.acknowledged_by == desks["PAK-S2"]
    assert Event.objects.get(message=msg, kind="acknowledged").detail["reply"] == "Checking with our posts"
    # Gone from the inbox.
    assert f'id="msg-{msg.code}"' not in _html(client.get(reverse("hotline:inbox")))


@pytest.mark.parametrize("who", ["AFG-S2", "PAK-R-SOUTH", "pak_liaison"])
def test_acknowledge_is_refused_to_whoever_does_not_hold_the_receiving_post(desks, users, who):
    """The sender, a desk the message has not reached, and a member of the receiving side with no post."""
    msg = _send(desks["AFG-S2"])
    user = desks.get(who) or users[who]
    client = console_client(user)
    url = reverse("hotline:acknowledge", args=[msg.code])
    r = client.post(url, {"reply": "not mine"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    assert "may acknowledge" in _html(r) and r["HX-Retarget"] == f"#ack-error-{msg.code}"
    # Without htmx: back to the page, with the refusal said.
    r = client.post(url, {"reply": "not mine"}, follow=True)
    assert "may acknowledge" in _html(r)
    msg.refresh_from_db()
    assert msg.state == MessageState.SENT and msg.acknowledged_at is None
    assert not Event.objects.filter(message=msg, kind="acknowledged").exists()


def test_compose_sends_and_shows_the_message(desks):
    client = console_client(desks["PAK-S2"])
    page = _html(client.get(reverse("hotline:compose")))
    assert (
        'value="S2-CHAMAN"' in page and "REG-SOUTH" not in page
    )  # only channels where the user holds an end
    r = client.post(reverse("hotline:compose"), {
        "channel": "S2-CHAMAN", "message_type": "hold_fire_request", "priority": "immediate",
        "body": "Hold fire at the Chaman gate: our patrol is moving along the fence",
    })  # fmt: skip
    msg = Message.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("hotline:message", args=[msg.code])
    assert msg.from_post.code == "PAK-S2" and msg.to_post.code == "AFG-S2" and msg.sent_by == desks["PAK-S2"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"body": "   "}, "body", "This field is required"),
        ({"latitude": "", "longitude": ""}, "incident", "needs the incident or a location"),
        ({"latitude": "12.0", "longitude": "10.0"}, "latitude", "outside the mechanism"),
        ({"incident": "INC-NOPE"}, "incident", "no incident"),
        ({"reply_to": "HL-1999-01-0001"}, "reply_to", "no hotline message"),
        ({"message_type": "movement_notice"}, "starts_at", "needs a location, starts_at and ends_at"),
    ],
)
def test_compose_with_bad_input_shows_the_error_by_its_field_and_stores_nothing(desks, changes, field, words):
    client = console_client(desks["AFG-S2"])
    data = {
        "channel": "S2-CHAMAN", "message_type": "incident_notification", "priority": "flash",
        "body": "Fire from across the line", "latitude": str(SPIN_BOLDAK[0]), "longitude": str(SPIN_BOLDAK[1]),
    }  # fmt: skip
    data.update(changes)
    before = Event.objects.count()
    r = client.post(reverse("hotline:compose"), data)
    assert 400 <= r.status_code < 500
    html = _html(r)
    # The error sits in the field's own block, next to its input.
    block = re.search(
        rf'<div class="field has-error[^"]*">\s*<label for="id_{field}"(.*?)(<div class="field|</fieldset>)',
        html,
        re.S,
    )
    assert block and words in block.group(1), html
    assert Message.objects.count() == 0 and Event.objects.count() == before


def test_compose_refuses_a_channel_the_user_holds_no_end_of(desks):
    r = console_client(desks["AFG-S2"]).post(reverse("hotline:compose"), {
        "channel": "REG-SOUTH", "message_type": "free_text", "priority": "routine", "body": "Hello",
    })  # fmt: skip
    assert r.status_code == 422 and "REG-SOUTH" in _html(r) and Message.objects.count() == 0


def test_compose_is_refused_to_a_user_who_holds_no_post(users, orgs):
    assert console_client(users["afg_liaison"]).get(reverse("hotline:compose")).status_code == 403


def test_correct_and_answer_links_prefill_compose(desks):
    msg = _send(desks["AFG-S2"], message_type="clarification_request", priority="routine", body="Who fired at 02:00?",
                latitude=None, longitude=None)  # fmt: skip
    sender, receiver = console_client(desks["AFG-S2"]), console_client(desks["PAK-S2"])
    page = _html(sender.get(reverse("hotline:message", args=[msg.code])))
    assert f"?corrects={msg.code}" in page and f"?reply_to={msg.code}" not in page
    form = _html(sender.get(reverse("hotline:compose") + f"?corrects={msg.code}"))
    assert f'value="{msg.code}"' in form and "Who fired at 02:00?" in form
    page = _html(receiver.get(reverse("hotline:message", args=[msg.code])))
    assert f"?reply_to={msg.code}" in page and f"?corrects={msg.code}" not in page
    form = _html(receiver.get(reverse("hotline:compose") + f"?reply_to={msg.code}"))
    assert re.search(r'<option value="clarification_answer" selected>', form)
    # The answer sent from the prefilled form acknowledges the request.
    r = receiver.post(reverse("hotline:compose"), {
        "channel": "S2-CHAMAN", "message_type": "clarification_answer", "priority": "routine",
        "body": "Not our posts: we are checking", "reply_to": msg.code,
    })  # fmt: skip
    assert r.status_code == 302
    msg.refresh_from_db()
    assert msg.state == MessageState.ACKNOWLEDGED
    page = _html(sender.get(reverse("hotline:message", args=[msg.code])))
    answer = Message.objects.get(reply_to=msg)
    assert reverse("hotline:message", args=[answer.code]) in page


def test_restricted_message_is_hidden_from_a_party_member_who_holds_no_post_on_it(desks, users):
    msg = _send(desks["AFG-S2"], message_type="free_text", priority="routine", body="Names of the patrol",
                restricted=True, latitude=None, longitude=None)  # fmt: skip
    plain = _send(desks["AFG-S2"], message_type="free_text", priority="routine", body="Unrestricted",
                  latitude=None, longitude=None)  # fmt: skip
    for name in ("pak_liaison", "pak_analyst"):
        client = console_client(users[name])
        html = _html(client.get(reverse("hotline:inbox")))
        assert msg.code not in html and plain.code in html
        assert client.get(reverse("hotline:message", args=[msg.code])).status_code == 404
    # The receiving post's holder and the mediators read it.
    assert console_client(desks["PAK-S2"]).get(reverse("hotline:message", args=[msg.code])).status_code == 200
    assert (
        console_client(users["qat_lead"]).get(reverse("hotline:message", args=[msg.code])).status_code == 200
    )


@pytest.mark.parametrize("name", ["jmt_monitor", "ops_admin", "public"])
def test_monitors_operator_and_public_get_no_hotline(desks, users, name):
    msg = _send(desks["AFG-S2"])
    client = console_client(users[name])
    assert client.get(reverse("hotline:message", args=[msg.code])).status_code == 404
    r = client.get(reverse("hotline:inbox"))
    assert r.status_code == 403 and msg.code not in _html(r)
    assert client.get(reverse("hotline:inbox_list")).status_code == 403
    r = client.post(reverse("hotline:acknowledge", args=[msg.code]))
    assert r.status_code == 404
    assert reverse("hotline:inbox") not in _html(client.get(reverse("incidents:list")))  # no nav link


def test_message_page_shows_local_and_utc_time_and_records_reading(desks):
    msg = _send(desks["AFG-S2"])
    r = console_client(desks["PAK-S2"]).get(reverse("hotline:message", args=[msg.code]))
    assert r.status_code == 200
    html = _html(r)
    local = msg.sent_at.astimezone(zoneinfo.ZoneInfo("Asia/Karachi"))
    utc = msg.sent_at.astimezone(dt.UTC)
    assert local.strftime("%Y-%m-%d %H:%M:%S +0500") in html  # the timeline, in the viewer's zone
    assert utc.strftime("%Y-%m-%d %H:%M:%S") + " UTC" in html  # and the server's
    assert "Asia/Karachi" in html
    # The ladder, with the step it is at, and the countdown.
    assert 'aria-current="step"' in html and "PAK-R-SOUTH" in html and "MED-CELL" in html
    assert "data-ack-due=" in html
    msg.refresh_from_db()
    assert msg.state == MessageState.READ
    assert set(Event.objects.filter(message=msg).values_list("kind", flat=True)) == {
        "sent",
        "read",
        "delivered",
    }
    # In Kabul the same moment shows half an hour earlier.
    kabul = _html(console_client(desks["AFG-S2"]).get(reverse("hotline:message", args=[msg.code])))
    assert (
        msg.sent_at.astimezone(zoneinfo.ZoneInfo("Asia/Kabul")).strftime("%Y-%m-%d %H:%M:%S +0430") in kabul
    )
    # Opening it again records nothing new.
    console_client(desks["PAK-S2"]).get(reverse("hotline:message", args=[msg.code]))
    assert Event.objects.filter(message=msg).count() == 3


def test_resolve_from_the_message_page(desks):
    msg = _send(desks["AFG-S2"])
    services.acknowledge(desks["PAK-S2"], msg.code)
    client = console_client(desks["AFG-S2"])
    assert reverse("hotline:resolve", args=[msg.code]) in _html(
        client.get(reverse("hotline:message", args=[msg.code]))
    )
    r = client.post(reverse("hotline:resolve", args=[msg.code]), {"note": "Calm since 03:00"})
    assert r.status_code == 302
    msg.refresh_from_db()
    assert msg.state == MessageState.RESOLVED


def test_duty_toggle(desks):
    client = console_client(desks["PAK-S2"])
    url = reverse("hotline:duty", args=["PAK-S2"])
    r = client.post(url, {"on_duty": "0"}, HTTP_HX_REQUEST="true")
    assert (
        r.status_code == 200
        and "Go on duty" in _html(r)
        and r["HX-Trigger-After-Swap"] == "hotline-duty-changed"
    )
    assert not PostHolder.objects.get(post__code="PAK-S2").on_duty
    client.post(url, {"on_duty": "1"})
    assert PostHolder.objects.get(post__code="PAK-S2").on_duty
    # Someone else's post: refused, nothing changed.
    r = console_client(desks["AFG-S2"]).post(url, {"on_duty": "0"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and PostHolder.objects.get(post__code="PAK-S2").on_duty


def test_incident_page_lists_the_hotline_thread(desks, api, users):
    r = api("afg_liaison").post("/incidents", incident_payload(
        point=SPIN_BOLDAK, location_name="Spin Boldak", alleged_violator="PAK", audience="parties",
    ))  # fmt: skip
    assert r.status_code == 201, r.content
    code = r.json()["incident"]["code"]
    msg = _send(desks["AFG-S2"], incident=code)
    html = _html(console_client(desks["PAK-S2"]).get(reverse("incidents:detail", args=[code])))
    assert 'id="hotline"' in html and reverse("hotline:message", args=[msg.code]) in html
    assert reverse("hotline:compose") + f"?incident={code}" in html
    # The "Notify counterpart" link preselects the sector's channel and the type.
    form = _html(console_client(desks["PAK-S2"]).get(reverse("hotline:compose") + f"?incident={code}"))
    assert re.search(r'<option value="S2-CHAMAN" selected>', form)
    assert re.search(r'<option value="incident_notification" selected>', form)
    # No post held: the thread, but no link to write.
    html = _html(console_client(users["pak_analyst"]).get(reverse("incidents:detail", args=[code])))
    assert reverse("hotline:message", args=[msg.code]) in html
    assert reverse("hotline:compose") + f"?incident={code}" not in html
    # The joint monitoring team sees the incident, and no hotline section at all.
    html = _html(console_client(users["jmt_monitor"]).get(reverse("incidents:detail", args=[code])))
    assert code in html and 'id="hotline"' not in html and msg.code not in html


def test_the_page_gives_hotline_js_what_it_needs_to_record_delivery(desks):
    """hotline.js POSTs to the API's delivered URL with the page's CSRF token and the session cookie."""
    client = console_client(desks["PAK-S2"])
    client.handler.enforce_csrf_checks = True
    html = _html(client.get(reverse("hotline:inbox")))  # open before the message comes
    msg = _send(desks["AFG-S2"])
    root = re.search(r'<div id="hotline"(.*?)>', html, re.S).group(1)
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', root))
    url = attrs["delivered-url"].replace("__code__", msg.code)
    assert attrs["stream-url"] == "/hotline/stream" and attrs["inbox-url"] == reverse("hotline:inbox_list")
    assert client.post(url, "{}", content_type="application/json").status_code == 403  # no token: refused
    r = client.post(url, "{}", content_type="application/json", headers={"X-CSRFToken": attrs["csrf"]})
    assert r.status_code == 200, r.content
    assert Event.objects.filter(message=msg, kind="delivered", post__code="PAK-S2").count() == 1


def test_the_stream_refuses_a_user_with_no_post_on_duty_so_the_page_polls(desks, users):
    """The refusal hotline.js falls back to polling on."""
    assert console_client(users["pak_liaison"]).get("/hotline/stream").status_code == 403
    html = _html(console_client(users["pak_liaison"]).get(reverse("hotline:inbox_list")))
    assert "Nothing awaits your acknowledgement." in html
