"""Intake: articles from bytes, files and folders into the desk, duplicates recognised, bad input refused with
nothing stored; the `sulh media ingest` command. (Feeds: test_intake_feeds.py.)"""

import datetime as dt
import hashlib
import html
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed
from sulh.ledger.models import LogEntry
from sulh.media import intake, services
from sulh.media.models import Article, ArticleSource, ArticleStatus, Candidate, CandidateGroup, Feed

SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
KURRAM_SEED = "004_5a2d23875c7d22bc.txt"  # the Kurram and North Waziristan fighting of 24–25 October


TITLE = "Five soldiers killed in Kurram border clash, army says"
PARAGRAPHS = [
    "PESHAWAR - Five Pakistani soldiers were killed and seven wounded when Afghan Taliban forces attacked a border "
    "post in Kurram district on Saturday night, the military's media wing said on Sunday.",
    "The Inter-Services Public Relations (ISPR) said troops responded and killed 25 attackers in the exchange of "
    "fire, which lasted several hours.",
    "Local officials in Parachinar said the Kharlachi crossing had been closed to traffic and trade since the "
    "fighting began.",
    "Afghanistan's Taliban government did not immediately comment on the clash.",
]
ARTICLE_TEXT = "\n".join([TITLE, *PARAGRAPHS]) + "\n"
PUBLISHED = "2025-10-26"

# Real sentences: clashes on the border in Kurram, five soldiers killed, the crossings closed.
URDU = (
    "پاکستان اور افغانستان کی سرحد پر کرم کے علاقے میں رات بھر جھڑپیں جاری رہیں۔ "
    "فوج کے شعبہ تعلقات عامہ کے مطابق پانچ فوجی شہید ہو گئے۔ "
    "حکام کا کہنا ہے کہ سرحدی گزرگاہیں بند کر دی گئی ہیں۔\n"
)
PASHTO = (
    "د کرم په سیمه کې د پاکستان او افغانستان ترمنځ په پوله ټوله شپه نښتې روانې وې. "
    "پاکستاني پوځ وايي چې پنځه سرتېري وژل شوي دي. "
    "چارواکو ویلي چې د پولې لارې تړل شوې دي.\n"
)


def article_page(*, canonical="https://www.dawn.com/news/1950001", published="2025-10-26T09:30:00+05:00",
                 charset="utf-8", paragraphs=None, title=TITLE) -> str:  # fmt: skip
    """A news page as outlets serve it: navigation, a cookie banner, scripts, a 'most read' box and a footer
    around the article."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in (paragraphs or PARAGRAPHS))
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="{charset}"><title>{html.escape(title)} | Dawn</title>{link}{meta}
<script>window.dataLayer = []; function track() {{ return "tracking pixel script text"; }}</script>
<style>.nav {{ color: green }}</style></head>
<body>
<nav class="nav"><ul><li><a href="/">Home</a></li><li><a href="/pakistan">Pakistan</a></li>
<li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li><li><a href="/business">Business</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience on our website. Accept all cookies</div>
<main><article><h1>{html.escape(title)}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Babar Azam century sets up win over Sri Lanka in Rawalpindi</a></li>
<li><a href="/b">Gold prices climb to a record high in local markets</a></li></ul></aside>
<footer>Copyright 2025 Dawn Media Group. All rights reserved. Subscribe to our newsletter.</footer>
<script>track("footer banner script");</script>
</body></html>
"""


def snapshot() -> dict:
    """Row counts of everything intake can create, and the ledger's length."""
    return {
        "articles": Article.objects.count(),
        "candidates": Candidate.objects.count(),
        "groups": CandidateGroup.objects.count(),
        "feeds": Feed.objects.count(),
        "ledger": LogEntry.objects.count(),
    }


def receive(user, data, **kw):
    kw.setdefault("outlet", "Dawn")
    kw.setdefault("published_on", dt.date.fromisoformat(PUBLISHED))
    return intake.receive(user, data, **kw)


def entries_for(article) -> list[str]:
    return list(LogEntry.objects.filter(record_id=str(article.pk)).values_list("kind", flat=True))


# --- one article --------------------------------------------------------------------------------------------


def test_seed_article_as_plain_text(users):
    path = SEEDS / KURRAM_SEED
    if not path.exists():
        pytest.skip(f"{path} is absent")
    data = path.read_bytes()
    got = receive(users["pak_analyst"], data, filename=path.name, published_on=dt.date(2025, 10, 29))
    a = got.article
    assert got.created and got.duplicate == ""
    assert a.code.startswith(f"ART-{dt.date.today():%Y}-")
    assert a.organisation.code == "PAK" and a.source == ArticleSource.FILE and a.filename == KURRAM_SEED
    assert bytes(a.original) == data and a.sha256 == hashlib.sha256(data).hexdigest()
    assert a.text == data.decode("utf-8-sig") and a.language == "en" and a.content_type == "text/plain"
    assert a.published_on == dt.date(2025, 10, 29) and a.extractor == services.EXTRACTOR_VERSION
    candidates = list(a.candidates.all())
    assert candidates, "the seed reports the Kurram fighting"
    news = [c.event for c in candidates if not c.event["background"]]
    assert any("Kurram" in e["locations"] and e["killed"]["soldiers"] == [5, 5] for e in news)
    assert a.status == ArticleStatus.EXTRACTED
    assert entries_for(a) == ["media_article.received"]
    for c in candidates:  # each candidate logged as extracted, in the same transaction, naming the receiver
        entry = LogEntry.objects.get(record_id=str(c.pk))
        assert entry.kind == "media_candidate.extracted" and entry.actor_user == "pak_analyst"


def test_plain_text_candidates_index_the_stored_text(users):
    a = receive(users["pak_analyst"], ARTICLE_TEXT.encode()).article
    assert a.title == TITLE  # a plain text's first line
    event = next(c.event for c in a.candidates.all() if "Kurram" in c.event["locations"])
    assert event["killed"]["soldiers"] == [5, 5] and event["killed"]["militants"] == [25, 25]
    spans = [s for v in event["evidence"].values() for s in (v if isinstance(v[0], list) else [v])]
    assert any(a.text[s:e] == "Kurram" for s, e in spans)


def test_html_page_boilerplate_left_out(users):
    page = article_page().encode("utf-8")
    got = receive(users["pak_analyst"], page, filename="clash.html", published_on=None)
    a = got.article
    assert got.created and a.content_type == "text/html" and bytes(a.original) == page
    for para in PARAGRAPHS:
        assert para in a.text
    for junk in ("Home", "cookies", "tracking pixel", "Most read", "Babar Azam", "Copyright", "newsletter", "<p>"):
        assert junk not in a.text, junk
    # metadata from the page: its date (publication time, in its own offset), title and canonical URL
    assert a.published_on == dt.date(2025, 10, 26)
    assert a.title == TITLE and a.url == "https://www.dawn.com/news/1950001"
    events = [c.event for c in a.candidates.all()]
    kurram = next(e for e in events if "Kurram" in e["locations"])
    assert kurram["date_start"] == "2025-10-25" and kurram["killed"]["soldiers"] == [5, 5]
    assert kurram["injured"]["soldiers"] == [7, 7] and kurram["claimant"] == "ISPR"


def test_html_charset_from_meta(users):
    text = PARAGRAPHS[0].replace("Pakistani", "Pakistani (café owners said)")
    page = article_page(charset="windows-1252", paragraphs=[text, *PARAGRAPHS[1:]]).encode("cp1252")
    a = receive(users["pak_analyst"], page, filename="clash.htm").article
    assert "(café owners said)" in a.text
    # the same bytes without a declaration are read as UTF-8, and é in windows-1252 is not UTF-8
    before = snapshot()
    undeclared = page.replace(b'<meta charset="windows-1252">', b"")
    with pytest.raises(ValidationFailed, match="not utf-8 text"):
        receive(users["pak_analyst"], undeclared, filename="clash.html")
    assert snapshot() == before


def test_kind_decided_by_content_type_extension_or_sniffing(users):
    page = article_page().encode()
    # by sniffing: no type, no known extension
    assert receive(users["pak_analyst"], page, filename="page").article.content_type == "text/html"
    # by content type, over the extension
    assert intake.read_article(page, content_type="text/plain", filename="x.html").content_type == "text/plain"
    assert intake.read_article(ARTICLE_TEXT.encode(), filename="x.md").content_type == "text/plain"
    with pytest.raises(ValidationFailed, match="unsupported content type 'application/pdf'"):
        receive(users["pak_analyst"], b"%PDF-1.7 ...", content_type="application/pdf")


def test_duplicates_by_bytes_text_and_url(users):
    analyst = users["pak_analyst"]
    first = receive(analyst, ARTICLE_TEXT.encode(), filename="clash.txt").article
    before = snapshot()
    again = receive(analyst, ARTICLE_TEXT.encode(), filename="copy.txt")
    assert (again.article.pk, again.created, again.duplicate) == (first.pk, False, "same bytes")
    # the same article as a web page: other bytes, the same text once whitespace is folded
    page = receive(analyst, article_page().encode(), filename="clash.html")
    assert (page.article.pk, page.created, page.duplicate) == (first.pk, False, "same text")
    rewrapped = receive(analyst, ("\n\n".join(ARTICLE_TEXT.split("\n")) + "  \n").encode())
    assert (rewrapped.article.pk, rewrapped.duplicate) == (first.pk, "same text")
    assert snapshot() == before

    other = receive(analyst, URDU_FREE_ENGLISH.encode(), url="https://www.dawn.com/news/1950002").article
    before = snapshot()
    updated = receive(analyst, (URDU_FREE_ENGLISH + "Updated at noon with more detail.\n").encode(),
                      url="https://www.dawn.com/news/1950002")  # fmt: skip
    assert (updated.article.pk, updated.created, updated.duplicate) == (other.pk, False, "same url")
    # a page whose canonical URL is that of a stored article
    canon = receive(analyst, article_page(paragraphs=[URDU_FREE_ENGLISH.strip(), "And a second paragraph, "
                    "longer than a headline, about the talks in Istanbul."],
                    canonical="https://www.dawn.com/news/1950002").encode())  # fmt: skip
    assert (canon.article.pk, canon.duplicate) == (other.pk, "same url")
    assert snapshot() == before


URDU_FREE_ENGLISH = (
    "Pakistani security forces killed 23 militants in North Waziristan on Friday, the military's media wing said."
    "\n"
)


@pytest.mark.parametrize(
    ("data", "kw", "message"),
    [
        (b"", {}, "empty article"),
        (b"  \n\t\n", {}, "empty article"),
        (bytes(range(256)) * 8, {}, "NUL bytes"),
        (bytes(range(256)) * 8, {"filename": "junk.html"}, "NUL bytes"),
        ("Five soldiers were killed near the café in Kurram, officials said.".encode("latin-1"), {},
         "not UTF-8 text"),
        (URDU.encode(), {}, r"unsupported language: Urdu \(ur\); only English articles can be extracted"),
        (PASHTO.encode(), {"filename": "pashto.txt"}, r"unsupported language: Pashto \(ps\)"),
        ("<html><body><p>Le Pakistan et l'Afghanistan ont signé un cessez-le-feu à Doha, selon les deux "
         "gouvernements.</p></body></html>".encode(), {}, r"unsupported language: French \(fr\)"),
        (b"<html><head><title>Dawn</title></head><body><nav><a href='/'>Home</a> <a href='/w'>World</a>"
         b"</nav><footer>Copyright 2025</footer></body></html>", {}, "no article text found in the HTML page"),
        (ARTICLE_TEXT.encode(), {"published_on": None}, "no publication date: give one"),
        (ARTICLE_TEXT.encode(), {"outlet": " "}, "outlet is required"),
        (ARTICLE_TEXT.encode(), {"url": "ftp://example.org/a"}, "url must be an http or https URL"),
        (ARTICLE_TEXT.encode(), {"language": "ur"}, r"unsupported language: Urdu \(ur\)"),
        (b"Kabul blasts: Mujahid blames Islamabad", {}, "cannot tell the language of so little text"),
    ],
    ids=["empty", "blank", "binary", "binary-html", "latin-1", "urdu", "pashto", "french-html", "html-no-text",
         "no-date", "no-outlet", "bad-url", "declared-urdu", "headline"],
)
def test_bad_input_refused_and_nothing_stored(users, data, kw, message):
    before = snapshot()
    with pytest.raises(ValidationFailed, match=message):
        receive(users["pak_analyst"], data, **kw)
    assert snapshot() == before


def test_a_headline_declared_english_is_read(users):
    a = receive(users["pak_analyst"], b"Kabul blasts: Mujahid blames Islamabad", language="en").article
    assert a.language == "en" and a.candidates.count() == 0 and a.status == ArticleStatus.TRIAGED


def test_publication_time_gives_the_date_in_its_own_offset(users):
    late = dt.datetime(2025, 10, 26, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    a = receive(users["pak_analyst"], ARTICLE_TEXT.encode(), published_on=None, published_at=late).article
    assert a.published_on == dt.date(2025, 10, 26) and a.published_at == late


def test_only_the_media_desk_receives(users):
    before = snapshot()
    for name in ("pak_liaison", "jmt_monitor", "public", "ops_admin"):
        with pytest.raises(PermissionDenied):
            receive(users[name], ARTICLE_TEXT.encode())
    assert snapshot() == before


def test_each_organisation_has_its_own_desk(users):
    pak = receive(users["pak_analyst"], ARTICLE_TEXT.encode()).article
    for name in ("afg_analyst", "qat_lead", "tur_analyst"):
        with pytest.raises(NotFound):
            services.get_article(users[name], pak.code)
        assert not services.articles_of(users[name]).filter(pk=pak.pk).exists()
    # the same bytes on another desk are that desk's own article, not a duplicate of PAK's
    afg = receive(users["afg_analyst"], ARTICLE_TEXT.encode())
    assert afg.created and afg.article.pk != pak.pk and afg.article.organisation.code == "AFG"
    assert afg.article.code != pak.code and afg.article.sha256 == pak.sha256
    assert services.get_article(users["afg_analyst"], afg.article.code) == afg.article
    # and duplicates on the second desk are recognised against its own copy
    assert receive(users["afg_analyst"], article_page().encode()).article.pk == afg.article.pk


# --- files and folders --------------------------------------------------------------------------------------


def write_folder(root: Path) -> Path:
    folder = root / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "a_clash.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_junk.md").write_bytes(bytes(range(256)) * 4)
    (folder / "d_urdu.txt").write_text(URDU, encoding="utf-8")
    (folder / "e_page.html").write_text(article_page(), encoding="utf-8")  # the same text as a_clash.txt
    (folder / "f_photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    (folder / ".hidden.txt").write_text(ARTICLE_TEXT + "hidden\n", encoding="utf-8")
    (folder / "sub" / "g_waziristan.text").write_text(URDU_FREE_ENGLISH, encoding="utf-8")
    (folder / "sub" / "h_latin1.htm").write_bytes("<p>Caf\xe9 in Kurram was hit by shells.</p>".encode("latin-1"))
    return folder


def test_folder_good_files_stored_bad_ones_reported(users, tmp_path):
    folder = write_folder(tmp_path)
    outcomes = intake.receive_paths(users["pak_analyst"], [folder], outlet="Dawn",
                                    published_on=dt.date(2025, 10, 26))  # fmt: skip
    got = {Path(o.name).name: (o.result, o.message) for o in outcomes}
    assert list(got) == ["a_clash.txt", "b_empty.txt", "c_junk.md", "d_urdu.txt", "e_page.html", "f_photo.jpg",
                         "g_waziristan.text", "h_latin1.htm"]  # fmt: skip
    assert got["a_clash.txt"] == ("received", "")
    assert got["b_empty.txt"] == ("refused", "empty article: nothing to extract")
    assert got["c_junk.md"][0] == "refused" and "NUL bytes" in got["c_junk.md"][1]
    assert got["d_urdu.txt"] == ("refused", "unsupported language: Urdu (ur); only English articles can be extracted")
    assert got["e_page.html"] == ("duplicate", "same text")
    assert got["f_photo.jpg"][0] == "skipped"
    assert got["g_waziristan.text"] == ("received", "")
    assert got["h_latin1.htm"][0] == "refused" and "not utf-8 text" in got["h_latin1.htm"][1]
    stored = Article.objects.order_by("filename")
    assert [a.filename for a in stored] == ["a_clash.txt", "g_waziristan.text"]
    assert all(a.candidates.exists() for a in stored)


def test_explicit_files_missing_or_other_extension(users, tmp_path):
    odd = tmp_path / "article.dat"
    odd.write_text(ARTICLE_TEXT, encoding="utf-8")
    outcomes = intake.receive_paths(users["pak_analyst"], [tmp_path / "nope.txt", odd], outlet="Dawn",
                                    published_on=dt.date(2025, 10, 26))  # fmt: skip
    assert [(o.result, o.message.split(":")[0]) for o in outcomes] == [("refused", "cannot read"), ("received", "")]


# --- the command line ---------------------------------------------------------------------------------------


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("media", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def test_ingest_command(users, tmp_path):
    folder = write_folder(tmp_path)
    code, out, err = run("ingest", str(folder), "--as", "pak_analyst", "--outlet", "Dawn", "--published", "2025-10-26")
    assert code == 1  # some files were refused, after all the others were done
    lines = out.splitlines()
    a = Article.objects.get(filename="a_clash.txt")
    assert any(line.startswith(a.code) and "a_clash.txt" in line and "extracted" in line and
               f"{a.candidates.count()} candidates" in line for line in lines)  # fmt: skip
    assert any("e_page.html" in line and line.startswith(f"{a.code}  duplicate (same text)") for line in lines)
    assert "b_empty.txt: refused: empty article" in err and "d_urdu.txt: refused: unsupported language: Urdu" in err
    assert "4 of 8 files refused" in err
    assert Article.objects.count() == 2

    code, out, _ = run("ingest", str(folder / "a_clash.txt"), "--as", "pak_analyst", "--outlet", "Dawn",
                       "--published", "2025-10-26")  # fmt: skip
    assert code == 0 and "duplicate" in out


def test_ingest_command_refuses_bad_arguments(users, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE_TEXT, encoding="utf-8")
    before = snapshot()
    for args, message in [
        (["--as", "nobody", "--outlet", "Dawn"], "no user 'nobody'"),
        (["--as", "pak_liaison", "--outlet", "Dawn"], "the media desk is for analysts"),
        (["--as", "pak_analyst", "--outlet", "Dawn", "--published", "26/10/2025"], "--published: not a date"),
        (["--as", "pak_analyst", "--outlet", "Dawn"], "no publication date: give one"),
        ([str(path), "--as", "pak_analyst", "--outlet", "Dawn", "--published", "2025-10-26", "--url",
          "https://x.org/1"], "--url names one article"),
    ]:
        code, _, err = run("ingest", str(path), *args)
        assert code != 0 and message in err, (args, err)
    assert snapshot() == before


def test_same_bytes_received_at_once_stored_once(users, transactional_db):
    """Two desks' sessions race on the same bytes: the unique (desk, SHA-256) lets one insert through; the other
    returns that article (from its pre-check, or by re-reading after its insert failed). Real connections."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    analyst = users["pak_analyst"]
    data = ARTICLE_TEXT.encode()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def one():
        try:
            barrier.wait()
            results.append(receive(analyst, data))
        except Exception as exc:  # reported below: the test fails on any
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert {r.article.pk for r in results} == {Article.objects.get().pk}
    assert {r.duplicate for r in results if not r.created} == {"same bytes"}
    assert LogEntry.objects.filter(kind="media_article.received").count() == 1
