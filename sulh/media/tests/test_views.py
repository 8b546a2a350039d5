"""The media desk's console: queue, adding an article, the article page (highlights, escaping, cards), deciding
by htmx and by plain form posts, feeds; and that those without a desk see nothing."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.conftest import console_client
from sulh.incidents.models import Claim, Incident
from sulh.ledger.models import LogEntry
from sulh.media.models import Article, CandidateStatus, Decision
from sulh.media.views import highlighted

from .test_triage import KURRAM, make_article, pending

HOSTILE = KURRAM.replace(
    "Five soldiers killed as troops repel attack in Kurram",
    "<script>alert('x')</script> Five soldiers & <b>bold</b> killed",
)


def counts():
    return (Article.objects.count(), Incident.objects.count(), Claim.objects.count(), Decision.objects.count(),
            LogEntry.objects.count())  # fmt: skip


@pytest.fixture
def analyst(users):
    return users["pak_analyst"]


@pytest.fixture
def browser(analyst):
    return console_client(analyst)


@pytest.fixture
def article(analyst):
    return make_article(analyst)


def test_nav_link_only_for_a_desk(users):
    page = console_client(users["pak_analyst"]).get("/incidents/").content.decode()
    assert 'href="/media/"' in page
    page = console_client(users["pak_liaison"]).get("/incidents/").content.decode()
    assert 'href="/media/"' not in page


def test_queue_lists_articles_awaiting_triage(browser, article):
    r = browser.get("/media/")
    assert r.status_code == 200
    page = r.content.decode()
    assert article.code in page and "Dawn" in page and "Five soldiers killed in Kurram" in page
    assert "2025-10-27" in page
    assert re.search(r"<td>2</td>\s*<td>3</td>", page)  # awaiting, candidates
    r = browser.get("/media/", {"status": "triaged"})
    assert article.code not in r.content.decode()
    r = browser.get("/media/", {"q": "Nowhere Times"})
    assert article.code not in r.content.decode()
    r = browser.get("/media/", {"status": "all", "q": "dawn"}, HTTP_HX_REQUEST="true")
    assert article.code in r.content.decode() and "<html" not in r.content.decode()


def test_add_article_by_pasting_then_the_duplicate_notice(browser, analyst):
    body = {"text": KURRAM, "outlet": "Dawn", "url": "https://www.dawn.com/news/9", "published_on": "2025-10-27"}
    r = browser.post("/media/add", body)
    assert r.status_code == 302
    a = Article.objects.get()
    assert r["Location"] == f"/media/{a.code}" and a.source == "paste" and a.received_by == analyst
    before = counts()
    r = browser.post("/media/add", body, follow=True)
    assert counts() == before
    assert "already received" in r.content.decode() and a.code in r.content.decode()


def test_add_article_by_upload(browser):
    f = SimpleUploadedFile("kurram.txt", KURRAM.encode(), content_type="text/plain")
    r = browser.post("/media/add", {"file": f, "outlet": "Dawn", "published_on": "2025-10-27"})
    assert r.status_code == 302
    assert Article.objects.get().filename == "kurram.txt"


def test_add_article_refusals_change_nothing(browser):
    before = counts()
    r = browser.post("/media/add", {"outlet": "Dawn", "published_on": "2025-10-27"})
    assert r.status_code == 422 and "Paste the article" in r.content.decode()
    r = browser.post("/media/add", {"text": "\x00\x01binary", "outlet": "Dawn", "published_on": "2025-10-27"})
    assert r.status_code == 422
    assert counts() == before


def test_article_page_highlights_spans_and_escapes_everything(browser, analyst):
    a = make_article(analyst, HOSTILE)
    r = browser.get(f"/media/{a.code}")
    assert r.status_code == 200
    page = r.content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert re.search(r'<mark class="hl k-killed k-event" data-c="1">Five soldiers</mark>', page)
    assert '<mark class="hl k-locations' in page and '<mark class="hl k-date' in page
    assert '<mark class="hl k-background' in page  # the background candidate's cue
    # one card per candidate, the background one dimmed and without a form
    assert page.count('class="candidate ') == 3
    assert page.count("data-actionable") == 2 and "is-background" in page
    assert 'src="/static/sulh/media.js"' in page and 'id="media-shortcuts"' in page
    assert 'data-shortcut="a"' in page and 'data-shortcut="r"' in page and "data-next-article" in page
    assert "New incident" in page
    assert 'value="Kurram"' in page and 'value="ISPR"' in page  # the form prefilled from the extraction


def test_highlighted_cuts_overlaps_without_broken_nesting():
    class C:
        def __init__(self, seq, evidence):
            self.seq, self.event = seq, {"evidence": evidence}

    html = highlighted("a <b> c", [C(1, {"event": [[0, 7]], "date": [[2, 5]]}), C(2, {"locations": [[4, 7]]})])
    assert html == ('<mark class="hl k-event" data-c="1">a </mark>'
                    '<mark class="hl k-date k-event" data-c="1">&lt;b</mark>'
                    '<mark class="hl k-date k-locations k-event" data-c="1 2">&gt;</mark>'
                    '<mark class="hl k-locations k-event" data-c="1 2"> c</mark>')  # fmt: skip
    assert highlighted("x", [C(1, {"event": [[5, 9], ["a", 1]], "unknown": [[0, 1]]})]) == "x"


def test_accept_by_htmx_swaps_the_card(browser, article):
    clash = pending(article)[0]
    r = browser.post(f"/media/candidates/{clash.pk}/decide", {
        "action": "accept", "c1-date_start": "2025-10-25", "c1-date_end": "2025-10-25", "c1-date_prec": "1",
        "c1-locations": "Kurram", "c1-country": "PAK", "c1-event": "Battles|Armed clash",
        "c1-actors": "Afghan Taliban forces, Pakistan Army", "c1-claimant": "ISPR", "c1-alleged_violator": "AFG",
        "c1-summary": clash.event["summary"], "c1-audience": "parties",
        "c1-killed_soldiers_low": "6", "c1-killed_soldiers_high": "6",
        "c1-killed_militants_low": "25", "c1-killed_militants_high": "25",
    }, HTTP_HX_REQUEST="true")  # fmt: skip
    assert r.status_code == 200, r.content.decode()[:2000]
    card = r.content.decode()
    assert card.startswith('<section class="candidate status-accepted') and "<html" not in card
    assert r["HX-Trigger"] == "media-decided"
    d = Decision.objects.get(candidate=clash)
    assert d.corrected == ["killed"] and d.claim.deaths_b == 6
    assert d.incident.code in card and "killed" in card


def test_reject_by_htmx_needs_a_reason(browser, article):
    bomb = pending(article)[1]
    before = counts()
    r = browser.post(f"/media/candidates/{bomb.pk}/decide", {"action": "reject", "c2-reason": ""},
                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert r.status_code == 422 and "needs a reason" in r.content.decode()
    assert 'data-actionable="1"' in r.content.decode()  # still the form, with the error
    assert counts() == before
    r = browser.post(f"/media/candidates/{bomb.pk}/decide", {"action": "reject", "c2-reason": "not border"},
                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert r.status_code == 200 and "not border" in r.content.decode()
    bomb.refresh_from_db()
    assert bomb.status == CandidateStatus.REJECTED


def _form_of(page: str, seq: int) -> dict:
    """The prefilled fields of candidate `seq`'s card, as a browser would post them."""
    data = {}
    for name, value in re.findall(rf'name="(c{seq}-[\w]+)"[^>]*?value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(rf'<select name="(c{seq}-\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(rf'<textarea name="(c{seq}-\w+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body.strip().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    return data


def test_a_plain_form_post_of_the_prefilled_form_files_with_no_corrections(browser, article):
    page = browser.get(f"/media/{article.code}").content.decode()
    data = _form_of(page, 1)
    assert data["c1-locations"] == "Kurram" and data["c1-event"] == "Battles|Armed clash"
    r = browser.post(f"/media/candidates/{pending(article)[0].pk}/decide", {**data, "action": "new"})
    assert r.status_code == 302 and r["Location"] == f"/media/{article.code}"
    d = Decision.objects.get()
    assert d.action == "new_incident" and d.corrected == []


def test_bad_edits_in_the_console_show_on_the_field_and_change_nothing(browser, article):
    page = browser.get(f"/media/{article.code}").content.decode()
    clash = pending(article)[0]
    before = counts()
    for change, message in [
        ({"c1-locations": ""}, "choose a place"),
        ({"c1-locations": "Atlantis"}, "choose a place"),
        ({"c1-date_end": "2025-10-20"}, "before date_start"),
        ({"c1-killed_soldiers_high": "1"}, "high figure"),
    ]:
        r = browser.post(f"/media/candidates/{clash.pk}/decide", {**_form_of(page, 1), **change, "action": "new"},
                         HTTP_HX_REQUEST="true")  # fmt: skip
        assert r.status_code == 422, change
        assert message in r.content.decode()
    r = browser.post(f"/media/candidates/{clash.pk}/decide", {**_form_of(page, 1), "action": "attach"})
    assert r.status_code == 422 and "give the code" in r.content.decode()
    assert "<html" in r.content.decode()  # a plain post gets the whole page back
    assert counts() == before


def test_a_decided_candidate_answers_409(browser, article):
    page = browser.get(f"/media/{article.code}").content.decode()
    clash = pending(article)[0]
    data = {**_form_of(page, 1), "action": "new"}
    assert browser.post(f"/media/candidates/{clash.pk}/decide", data).status_code == 302
    before = counts()
    r = browser.post(f"/media/candidates/{clash.pk}/decide", data, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "already decided" in r.content.decode()
    assert counts() == before


def test_other_desks_and_roles_get_404(users, article):
    clash = pending(article)[0]
    before = counts()
    for name in ("afg_analyst", "qat_verifier", "pak_liaison", "jmt_monitor", "public"):
        c = console_client(users[name])
        assert c.get(f"/media/{article.code}").status_code == 404, name
        assert c.post(f"/media/candidates/{clash.pk}/decide", {"action": "reject", "c1-reason": "x"}).status_code == 404
    for name in ("pak_liaison", "public"):
        c = console_client(users[name])
        assert c.get("/media/").status_code == 404
        assert c.get("/media/add").status_code == 404
        assert c.get("/media/feeds").status_code == 404
    assert counts() == before


def test_feeds_page_adds_and_refuses_file_urls(browser):
    r = browser.get("/media/feeds")
    assert r.status_code == 200 and "No feed yet" in r.content.decode()
    r = browser.post("/media/feeds", {"url": "file:///etc/passwd", "outlet": "Local"})
    assert r.status_code == 422 and "http or https" in r.content.decode()
    r = browser.post("/media/feeds", {"url": "https://www.dawn.com/feeds/home", "outlet": "Dawn"}, follow=True)
    assert r.status_code == 200 and "https://www.dawn.com/feeds/home" in r.content.decode()
    assert "Poll now" in r.content.decode()


def test_pages_render_right_to_left(browser, article):
    browser.cookies["django_language"] = "ur"
    page = browser.get(f"/media/{article.code}", HTTP_ACCEPT_LANGUAGE="ur").content.decode()
    assert 'dir="rtl"' in page


def test_next_article_is_the_next_in_the_queue(browser, analyst):
    first = make_article(analyst)
    second = make_article(analyst, KURRAM.replace("Saturday", "Friday"), url="https://www.dawn.com/news/2")
    assert f'data-next-article="/media/{second.code}"' in browser.get(f"/media/{first.code}").content.decode()
    assert f'data-next-article="/media/{first.code}"' in browser.get(f"/media/{second.code}").content.decode()
