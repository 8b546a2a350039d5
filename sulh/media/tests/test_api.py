"""The media desk's API: receiving articles (JSON, upload, duplicates), reading them, deciding candidates, feeds."""

import http.server
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.incidents.models import Claim, Incident
from sulh.ledger.models import LogEntry
from sulh.media.models import Article, Decision, Feed

from .test_triage import KURRAM

BOMBING = """Three wounded in Bajaur blast

KHAR - A roadside bomb wounded three people in Bajaur district on Monday, local officials said.
"""


def counts():
    return (Article.objects.count(), Incident.objects.count(), Claim.objects.count(), Decision.objects.count(),
            LogEntry.objects.count())  # fmt: skip


def post_article(client, text=KURRAM, **extra):
    body = {"text": text, "outlet": "Dawn", "url": "https://www.dawn.com/news/1", "title": "Kurram",
            "published_on": "2025-10-27", **extra}  # fmt: skip
    return client.post("/media/articles", body)


@pytest.fixture
def desk(api):
    return api("pak_analyst")


@pytest.fixture
def received(desk):
    r = post_article(desk)
    assert r.status_code == 201, r.content
    return r.json()


def pending_ids(article_json):
    return [c["id"] for c in article_json["items"] if c["status"] == "pending"]


def test_receive_by_json_then_the_same_again_is_a_duplicate(desk, received):
    a = received["article"]
    assert received["created"] is True and received["duplicate"] == ""
    assert a["code"].startswith("ART-") and a["source"] == "api" and a["outlet"] == "Dawn"
    assert a["pending"] == 2 and a["candidates"] == 3 and a["text"].startswith("Five soldiers")
    assert [c["status"] for c in a["items"]] == ["pending", "pending", "background"]
    first = a["items"][0]
    assert first["event"]["locations"][0] == "Kurram" and first["event"]["evidence"]["event"]
    assert first["proposal"]["new_incident"] in (True, False) and first["decision"] is None
    assert any(r["kind"] == "media_article.received" for r in received["receipts"])
    before = counts()
    again = post_article(desk)
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["duplicate"] == "same bytes"
    assert again.json()["article"]["code"] == a["code"]
    assert counts() == before


def test_receive_html(desk):
    html = "<html><head><title>Blast</title></head><body><article><p>" + BOMBING.replace("\n\n", "</p><p>") + \
           "</p></article></body></html>"  # fmt: skip
    r = desk.post("/media/articles", {"html": html, "outlet": "Dawn", "published_on": "2025-10-28"})
    assert r.status_code == 201, r.content
    assert "roadside bomb" in r.json()["article"]["text"] and "<p>" not in r.json()["article"]["text"]


@pytest.mark.parametrize("body", [
    {"outlet": "Dawn", "published_on": "2025-10-27"},  # neither text nor html
    {"text": "x", "html": "<p>x</p>", "outlet": "Dawn", "published_on": "2025-10-27"},  # both
    {"text": KURRAM, "published_on": "2025-10-27"},  # no outlet
    {"text": KURRAM, "outlet": "Dawn", "published_on": "27 October"},  # not a date
    {"text": "   ", "outlet": "Dawn", "published_on": "2025-10-27"},  # empty
    {"text": KURRAM, "outlet": "Dawn", "url": "file:///etc/passwd", "published_on": "2025-10-27"},
])  # fmt: skip
def test_bad_articles_are_refused_and_nothing_is_stored(desk, body):
    before = counts()
    r = desk.post("/media/articles", body)
    assert r.status_code in (400, 422), r.content
    assert counts() == before


def test_upload_a_file(desk):
    f = SimpleUploadedFile("bajaur.txt", BOMBING.encode(), content_type="text/plain")
    r = desk.post("/media/articles/upload", data={"file": f, "outlet": "Dawn", "published_on": "2025-10-28"})
    assert r.status_code == 201, r.content
    a = r.json()["article"]
    assert a["source"] == "file" and a["filename"] == "bajaur.txt" and a["pending"] == 1
    f2 = SimpleUploadedFile("copy.txt", BOMBING.encode(), content_type="text/plain")
    r2 = desk.post("/media/articles/upload", data={"file": f2, "outlet": "Dawn", "published_on": "2025-10-28"})
    assert r2.status_code == 200 and r2.json()["duplicate"] == "same bytes"


def test_list_is_newest_first_filtered_and_paginated(desk, received):
    second = desk.post("/media/articles", {"text": BOMBING, "outlet": "Dawn", "published_on": "2025-10-28"}).json()
    r = desk.get("/media/articles")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2
    assert [x["code"] for x in body["items"]] == [second["article"]["code"], received["article"]["code"]]
    assert desk.get("/media/articles", limit=1).json()["items"][0]["code"] == second["article"]["code"]
    assert desk.get("/media/articles", status="triaged").json()["count"] == 0
    assert desk.get("/media/articles", status="extracted").json()["count"] == 2
    assert desk.get("/media/articles", status="nonsense").status_code == 422
    queue = desk.get("/media/queue").json()
    assert [x["code"] for x in queue] == [received["article"]["code"], second["article"]["code"]]  # oldest first
    assert queue[0]["pending"] == 2


def test_detail_by_code_and_id(desk, received):
    a = received["article"]
    by_code = desk.get(f"/media/articles/{a['code']}").json()
    by_id = desk.get(f"/media/articles/{a['id']}").json()
    assert by_code == by_id and by_code["sha256"] == a["sha256"]
    assert desk.get("/media/articles/ART-1999-0001").status_code == 404


def test_accept_reject_and_a_second_decision(api, desk, received):
    clash, bomb = pending_ids(received["article"])
    r = desk.post(f"/media/candidates/{clash}/accept", {"edits": {"killed": {"soldiers": [6, 6], "militants": [25, 25]}},
                                                        "title": "Kurram posts attacked"})  # fmt: skip
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["action"] == "new_incident" and d["corrected"] == ["killed"] and d["claim"].startswith(d["incident"])
    assert d["values"]["source_name"] == "ISPR, reported by Dawn" and d["values"]["deaths_b"] == 6
    assert {x["kind"] for x in d["receipts"]} >= {"incident.registered", "claim.filed", "media_decision.made"}
    inc = desk.get(f"/incidents/{d['incident']}").json()
    assert inc["title"] == "Kurram posts attacked" and inc["claims"][0]["source_kind"] == "press"
    before = counts()
    again = desk.post(f"/media/candidates/{clash}/accept", {})
    assert again.status_code == 409 and "already decided" in again.json()["detail"]
    assert desk.post(f"/media/candidates/{clash}/reject", {"reason": "no"}).status_code == 409
    assert desk.post(f"/media/candidates/{bomb}/reject", {"reason": "  "}).status_code == 422
    assert counts() == before
    r = desk.post(f"/media/candidates/{bomb}/reject", {"reason": "not a border incident"})
    assert r.status_code == 201 and r.json()["action"] == "reject" and r.json()["incident"] is None
    detail = desk.get(f"/media/articles/{received['article']['code']}").json()
    assert detail["status"] == "triaged" and detail["pending"] == 0
    assert detail["items"][0]["decision"]["incident"] == d["incident"]
    assert detail["items"][1]["decision"]["reason"] == "not a border incident"
    assert desk.get("/media/queue").json() == []


def test_attach_to_an_existing_incident(api, desk, received):
    from sulh.conftest import incident_payload

    other = api("pak_liaison").post("/incidents", incident_payload(audience="parties")).json()["incident"]
    clash = pending_ids(received["article"])[0]
    r = desk.post(f"/media/candidates/{clash}/accept", {"incident": other["code"]})
    assert r.status_code == 201 and r.json()["action"] == "attach" and r.json()["incident"] == other["code"]
    assert r.json()["claim"] == f"{other['code']}/C2"


@pytest.mark.parametrize("edits, field", [
    ({"event_type": "Battles", "sub_event_type": "Air/drone strike"}, "sub_event_type"),
    ({"locations": []}, "locations"),
    ({"date_start": "2025-10-26", "date_end": "2025-10-20"}, "date_end"),
    ({"killed": {"soldiers": [5, 1]}}, "killed.soldiers"),
])  # fmt: skip
def test_bad_edits_answer_422_and_change_nothing(desk, received, edits, field):
    clash = pending_ids(received["article"])[0]
    before = counts()
    r = desk.post(f"/media/candidates/{clash}/accept", {"edits": edits})
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field
    assert counts() == before


def test_malformed_edits_are_refused_by_the_schema(desk, received):
    clash = pending_ids(received["article"])[0]
    before = counts()
    assert desk.post(f"/media/candidates/{clash}/accept", {"edits": {"date_prec": 9}}).status_code == 422
    assert desk.post(f"/media/candidates/{clash}/accept", {"audience": "everyone"}).status_code == 422
    assert counts() == before


def test_other_desks_get_404_and_others_403(api, received):
    a = received["article"]
    clash = pending_ids(a)[0]
    clients = {name: api(name) for name in ("afg_analyst", "tur_analyst", "qat_verifier", "pak_liaison",
                                            "jmt_monitor", "public")}  # tokens are logged: issue them first
    before = counts()
    for name in ("afg_analyst", "tur_analyst", "qat_verifier"):
        c = clients[name]
        assert c.get(f"/media/articles/{a['code']}").status_code == 404
        assert c.post(f"/media/candidates/{clash}/accept", {}).status_code == 404
        assert c.post(f"/media/candidates/{clash}/reject", {"reason": "x"}).status_code == 404
        assert c.get("/media/articles").json()["count"] == 0
    for name in ("pak_liaison", "jmt_monitor", "public"):
        c = clients[name]
        assert c.get("/media/articles").status_code in (403, 404)
        assert c.get(f"/media/articles/{a['code']}").status_code in (403, 404)
        assert c.post(f"/media/candidates/{clash}/accept", {}).status_code in (403, 404)
        assert post_article(c, BOMBING).status_code in (403, 404)
    assert counts() == before


class _FeedHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 (the http.server name)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server():
    """A feed served from this machine (polling needs an http URL; nothing outside is reached)."""
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Test wire</title><language>en</language>
<item><title>Bajaur blast</title><link>https://wire.example/1</link><pubDate>Tue, 28 Oct 2025 09:00:00 +0500</pubDate>
<description>{BOMBING}</description></item></channel></rss>""".encode()
    _FeedHandler.body = rss
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


def test_feeds_add_list_poll_and_file_urls_refused(desk, api, feed_server):
    before = counts()
    for url in ("file:///etc/passwd", "ftp://example.org/feed", "not a url"):
        r = desk.post("/media/feeds", {"url": url, "outlet": "Wire"})
        assert r.status_code == 422, r.content
        assert r.json()["field"] == "url"
    assert Feed.objects.count() == 0 and counts() == before
    r = desk.post("/media/feeds", {"url": feed_server, "outlet": "Wire"})
    assert r.status_code == 201, r.content
    feed = r.json()
    assert desk.post("/media/feeds", {"url": feed_server, "outlet": "Wire"}).status_code == 409
    assert [f["id"] for f in desk.get("/media/feeds").json()] == [feed["id"]]
    assert api("afg_analyst").get("/media/feeds").json() == []
    assert api("afg_analyst").post(f"/media/feeds/{feed['id']}/poll").status_code == 404
    r = desk.post(f"/media/feeds/{feed['id']}/poll")
    assert r.status_code == 200, r.content
    poll = r.json()
    assert poll["status"] == "fetched" and poll["error"] == ""
    assert [o["result"] for o in poll["outcomes"]] == ["received"]
    code = poll["outcomes"][0]["article"]
    art = desk.get(f"/media/articles/{code}").json()
    assert art["source"] == "feed" and art["outlet"] == "Wire" and art["published_on"] == "2025-10-28"
    assert desk.post(f"/media/feeds/{feed['id']}/poll").json()["outcomes"][0]["result"] == "duplicate"


def test_openapi_documents_the_media_endpoints(desk):
    schema = desk.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/media/candidates/{candidate_id}/accept" in schema["paths"]
    assert "EventEditsIn" in schema["components"]["schemas"]
