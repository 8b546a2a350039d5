"""Intake from feeds: RSS 2.0, Atom and RDF documents read once, feeds added and polled over real HTTP (a local
server on 127.0.0.1: 200, then 304 on the ETag; a 500 and a refused connection recorded without stopping the
other feeds), and the `sulh media feed` commands."""

import datetime as dt
import html
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sulh.core.errors import Conflict, NotFound, ValidationFailed
from sulh.ledger.models import LogEntry
from sulh.media import intake
from sulh.media.models import Article, ArticleSource, Feed

from .test_intake import PARAGRAPHS, PASHTO, TITLE, URDU_FREE_ENGLISH, run, snapshot

ARTICLE_HTML = "".join(f"<p>{html.escape(p)}</p>" for p in PARAGRAPHS)
SECOND = (
    "Pakistani security forces killed 23 militants in North Waziristan on Friday, the military's media wing said. "
    "Three soldiers were injured in the operation near Mir Ali, it said."
)


def rss(items: str, title="Dawn - Pakistan") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>{title}</title><link>https://www.dawn.com/</link><description>Latest news</description><language>en-us</language>
{items}
</channel></rss>""".encode()


RSS_ITEMS = f"""
<item><title>{TITLE}</title><link>https://www.dawn.com/news/1950001</link><guid>1950001</guid>
<pubDate>Sun, 26 Oct 2025 23:15:00 +0500</pubDate>
<description>Five soldiers were killed in Kurram, the army said.</description>
<content:encoded><![CDATA[{ARTICLE_HTML}]]></content:encoded></item>
<item><title>23 militants killed in North Waziristan</title><link>https://www.dawn.com/news/1950002</link>
<pubDate>Sat, 25 Oct 2025 10:00:00 +0500</pubDate><description>{html.escape(SECOND)}</description></item>
<item><title>Pashto service</title><link>https://www.dawn.com/news/1950003</link>
<pubDate>Sat, 25 Oct 2025 11:00:00 +0500</pubDate><description>{PASHTO}</description></item>
<item><title>Photo gallery</title><link>https://www.dawn.com/news/1950004</link>
<pubDate>Sat, 25 Oct 2025 12:00:00 +0500</pubDate></item>
"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Pajhwok Afghan News</title><id>urn:pajhwok</id>
<updated>2025-10-26T08:00:00Z</updated>
<entry><title>23 militants killed in North Waziristan</title><id>urn:pajhwok:1</id>
<link rel="alternate" href="https://pajhwok.com/2025/10/25/waziristan/"/>
<published>2025-10-25T21:30:00+04:30</published><updated>2025-10-26T08:00:00Z</updated>
<summary type="text">{html.escape(SECOND)}</summary></entry>
<entry><title>{TITLE}</title><id>urn:pajhwok:2</id><link href="https://pajhwok.com/2025/10/26/kurram/"/>
<updated>2025-10-26T07:00:00Z</updated>
<content type="html">{html.escape(ARTICLE_HTML)}</content></entry>
</feed>""".encode()

RDF = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.org/"><title>Frontier Post</title><link>https://example.org/</link>
<description>news</description></channel>
<item rdf:about="https://example.org/1"><title>Waziristan operation</title><link>https://example.org/1</link>
<dc:date>2025-10-25T10:00:00+05:00</dc:date><description>{html.escape(SECOND)}</description></item>
</rdf:RDF>""".encode()


def test_rss_file_items_received_and_refused_ones_reported(users, tmp_path):
    path = tmp_path / "dawn.xml"
    path.write_bytes(rss(RSS_ITEMS))
    outcomes = intake.receive_feed_file(users["pak_analyst"], path)
    got = {o.name: (o.result, o.message) for o in outcomes}
    assert got["https://www.dawn.com/news/1950001"] == ("received", "")
    assert got["https://www.dawn.com/news/1950002"] == ("received", "")
    assert got["https://www.dawn.com/news/1950003"] == (
        "refused", "unsupported language: Pashto (ps); only English articles can be extracted")
    assert got["https://www.dawn.com/news/1950004"][0] == "refused"
    assert "no content or summary" in got["https://www.dawn.com/news/1950004"][1]
    kurram = Article.objects.get(url="https://www.dawn.com/news/1950001")
    # the full content (content:encoded), not the one-line description; the date in the item's own offset
    assert all(p in kurram.text for p in PARAGRAPHS) and "<p>" not in kurram.text
    assert kurram.published_on == dt.date(2025, 10, 26)
    assert kurram.published_at == dt.datetime(2025, 10, 26, 18, 15, tzinfo=dt.UTC)
    assert (kurram.source, kurram.feed, kurram.outlet, kurram.title) == (ArticleSource.FEED, None, "Dawn - Pakistan", TITLE)
    assert any("Kurram" in c.event["locations"] for c in kurram.candidates.all())
    waz = Article.objects.get(url="https://www.dawn.com/news/1950002")
    assert waz.text == SECOND and waz.content_type == "text/plain"
    assert LogEntry.objects.filter(kind="media_article.received").count() == 2

    before = snapshot()  # read again: every item is a duplicate, nothing new
    again = intake.receive_feed_file(users["pak_analyst"], rss(RSS_ITEMS), outlet="Dawn")
    assert [o.result for o in again] == ["duplicate", "duplicate", "refused", "refused"]
    assert snapshot() == before


def test_atom_and_rdf_files(users):
    outcomes = intake.receive_feed_file(users["tur_analyst"], ATOM, outlet="Pajhwok")
    assert [o.result for o in outcomes] == ["received", "received"]
    waz = Article.objects.get(url="https://pajhwok.com/2025/10/25/waziristan/")
    assert waz.outlet == "Pajhwok" and waz.published_on == dt.date(2025, 10, 25)  # published, not updated
    kurram = Article.objects.get(url="https://pajhwok.com/2025/10/26/kurram/")
    assert kurram.published_on == dt.date(2025, 10, 26)  # no <published>: the update time
    # the RDF item carries the same summary as the Atom one: recognised on this desk
    rdf = intake.receive_feed_file(users["tur_analyst"], RDF)
    assert [(o.result, o.message, o.article) for o in rdf] == [("duplicate", "same bytes", waz)]
    entries = intake.read_feed(RDF)
    assert [(e.title, e.feed_title, e.published_at) for e in entries] == [
        ("Waziristan operation", "Frontier Post", dt.datetime(2025, 10, 25, 5, 0, tzinfo=dt.UTC))]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "feed does not parse: empty document"),
        (b"this is not a feed at all", "feed does not parse"),
        (b"<html><body><p>A web page, not a feed.</p></body></html>", "not an RSS, Atom or RDF document"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken', "feed does not parse"),
        (bytes(range(256)) * 4, "feed does not parse"),
    ],
    ids=["empty", "text", "html", "truncated", "binary"],
)
def test_malformed_feed_refused(users, data, message):
    before = snapshot()
    with pytest.raises(ValidationFailed, match=message):
        intake.receive_feed_file(users["pak_analyst"], data)
    assert snapshot() == before


def test_feed_with_small_faults_still_read(users):
    """Outlets publish slightly broken XML (an unescaped ampersand): feedparser reads the items anyway."""
    faulty = rss(f"<item><title>Clash & talks</title><link>https://x.org/1</link>"
                 f"<pubDate>Sat, 25 Oct 2025 10:00:00 +0500</pubDate><description>{SECOND}</description></item>")  # fmt: skip
    assert [o.result for o in intake.receive_feed_file(users["pak_analyst"], faulty)] == ["received"]


# --- feeds polled over HTTP ---------------------------------------------------------------------------------


class FeedServer:
    """A real HTTP server on 127.0.0.1 serving feed documents by path, with ETag/Last-Modified validators."""

    def __init__(self):
        self.docs: dict[str, tuple[int, bytes]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (path, If-None-Match, If-Modified-Since)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                inm, ims = self.headers.get("If-None-Match", ""), self.headers.get("If-Modified-Since", "")
                server.requests.append((self.path, inm, ims))
                status, body = server.docs.get(self.path, (404, b"not found"))
                etag = f'"v{len(body)}"'
                if status == 200 and inm == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                if status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Sun, 26 Oct 2025 18:00:00 GMT")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # the local server is reached directly
    with FeedServer() as s:
        yield s


def refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on leaving: nothing listens there


def test_poll_200_then_304(users, server):
    analyst = users["pak_analyst"]
    server.docs["/dawn.xml"] = (200, rss(RSS_ITEMS))
    feed = intake.add_feed(analyst, server.url("/dawn.xml"), "Dawn")
    assert LogEntry.objects.filter(record_id=str(feed.pk)).get().kind == "media_feed.added"

    poll = intake.poll_feed(analyst, feed)
    assert poll.status == "fetched" and poll.error == ""
    assert [o.result for o in poll.outcomes] == ["received", "received", "refused", "refused"]
    feed.refresh_from_db()
    assert feed.etag and feed.modified == "Sun, 26 Oct 2025 18:00:00 GMT" and feed.last_error == ""
    assert feed.last_polled_at is not None
    stored = Article.objects.filter(feed=feed)
    assert stored.count() == 2 and {a.outlet for a in stored} == {"Dawn"}  # the feed's outlet, not its title

    before = snapshot()
    again = intake.poll_feed(analyst, feed)
    assert (again.status, again.outcomes) == ("not modified", [])
    assert server.requests[-1] == ("/dawn.xml", feed.etag, feed.modified)  # a conditional GET
    assert snapshot() == before  # bookkeeping only: no row, no ledger entry


def test_failing_feeds_recorded_and_others_polled(users, server):
    analyst = users["pak_analyst"]
    server.docs["/broken"] = (500, b"internal error")
    server.docs["/atom"] = (200, ATOM)
    server.docs["/page"] = (200, b"<html><body><p>Not a feed</p></body></html>")
    broken = intake.add_feed(analyst, server.url("/broken"), "Broken outlet")
    refused = intake.add_feed(analyst, f"http://127.0.0.1:{refused_port()}/feed", "Offline outlet")
    page = intake.add_feed(analyst, server.url("/page"), "Not a feed")
    good = intake.add_feed(analyst, server.url("/atom"), "Pajhwok")
    paused = intake.add_feed(analyst, server.url("/atom?paused"), "Paused")
    Feed.objects.filter(pk=paused.pk).update(active=False)
    other_desk = intake.add_feed(users["afg_analyst"], server.url("/atom"), "Pajhwok")  # not PAK's to poll

    polls = {p.feed.pk: p for p in intake.poll_feeds(analyst)}
    assert set(polls) == {broken.pk, refused.pk, page.pk, good.pk}
    assert (polls[broken.pk].status, polls[broken.pk].error) == ("failed", "HTTP 500 Internal Server Error")
    assert polls[refused.pk].status == "failed" and polls[refused.pk].error.startswith("cannot fetch:")
    assert "refused" in polls[refused.pk].error.lower()
    assert polls[page.pk].error == "feed does not parse: not an RSS, Atom or RDF document"
    assert polls[good.pk].status == "fetched" and [o.result for o in polls[good.pk].outcomes] == ["received"] * 2
    for f in (broken, refused, page):
        f.refresh_from_db()
        assert f.last_error and f.last_polled_at and not f.etag
    good.refresh_from_db()
    assert good.last_error == "" and Article.objects.filter(feed=good).count() == 2
    other_desk.refresh_from_db()
    assert other_desk.last_polled_at is None

    server.docs["/broken"] = (200, ATOM)  # repaired: the error is cleared; its items are duplicates on PAK's desk
    poll = intake.poll_feed(analyst, broken)
    broken.refresh_from_db()
    assert poll.status == "fetched" and broken.last_error == ""
    assert [o.result for o in poll.outcomes] == ["duplicate", "duplicate"]


def test_add_feed_rules(users):
    analyst = users["pak_analyst"]
    feed = intake.add_feed(analyst, "https://www.dawn.com/feeds/home", "Dawn")
    before = snapshot()
    with pytest.raises(Conflict, match="already has the feed"):
        intake.add_feed(analyst, "https://www.dawn.com/feeds/home", "Dawn again")
    for url in ("file:///etc/passwd", "ftp://dawn.com/feed", "not a url", ""):
        with pytest.raises(ValidationFailed, match="url"):
            intake.add_feed(analyst, url, "Dawn")
    with pytest.raises(ValidationFailed, match="unsupported language: Urdu"):
        intake.add_feed(analyst, "https://www.dawn.com/feeds/urdu", "Dawn News Urdu", language="ur")
    assert snapshot() == before
    # another desk may add the same URL: its own feed; it cannot see or poll PAK's
    mine = intake.add_feed(users["afg_analyst"], "https://www.dawn.com/feeds/home", "Dawn")
    assert mine.pk != feed.pk and list(intake.feeds_of(users["afg_analyst"])) == [mine]
    with pytest.raises(NotFound):
        intake.get_feed(users["afg_analyst"], feed.pk)
    with pytest.raises(NotFound):
        intake.poll_feed(users["afg_analyst"], feed)


# --- the command line ---------------------------------------------------------------------------------------


def test_feed_commands(users, server, tmp_path):
    server.docs["/dawn.xml"] = (200, rss(RSS_ITEMS))
    url = server.url("/dawn.xml")
    code, out, err = run("feed", "add", url, "--outlet", "Dawn", "--as", "pak_analyst")
    assert code == 0 and f"added {url} (Dawn) for PAK" in out
    code, _, err = run("feed", "add", url, "--outlet", "Dawn", "--as", "pak_analyst")
    assert code != 0 and "already has the feed" in err
    run("feed", "add", server.url("/missing.xml"), "--outlet", "Gone", "--as", "pak_analyst")

    code, out, err = run("feed", "poll", "--as", "pak_analyst")
    assert code == 1 and "1 of 2 feeds failed" in err and "missing.xml: failed: HTTP 404 Not Found" in err
    assert f"{url}: fetched, 2 new of 4 items" in out
    assert "refused: unsupported language: Pashto (ps)" in err  # a refused item is reported, not fatal
    code, out, _ = run("feed", "list", "--as", "pak_analyst")
    assert code == 0 and "Dawn" in out and "2 articles" in out and "error: HTTP 404 Not Found" in out

    path = tmp_path / "pajhwok.atom"
    path.write_bytes(ATOM)
    code, out, err = run("feed", "read", str(path), "--as", "tur_analyst", "--outlet", "Pajhwok")
    assert code == 0 and out.count("extracted") + out.count("triaged") == 2, out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"not a feed")
    before = snapshot()
    code, _, err = run("feed", "read", str(bad), "--as", "tur_analyst")
    assert code == 1 and "feed does not parse" in err
    code, _, err = run("feed", "list", "--as", "public")
    assert code != 0 and "media desk is for analysts" in err
    assert snapshot() == before


def test_plain_summary_text_is_not_html():
    entries = intake.read_feed(rss(f"<item><title>t</title><description>{URDU_FREE_ENGLISH}</description></item>"))
    assert entries[0].content_type == "text/plain" and entries[0].published_at is None
