"""Media intake (issue 7, part 1): articles in from files, folders, feeds and the console, each stored once.

    receive(user, bytes, outlet=…, …)     one article: plain text or an HTML page → Article + candidates
    receive_paths(user, paths, …)         files and folders, one outcome per file
    read_feed(bytes) / receive_feed_file  an RSS/Atom/RDF document read once (no Feed row)
    add_feed / poll_feed / poll_feeds     feeds a desk polls over HTTP(S)

An article is stored with its original bytes and their SHA-256, the plain text the extractor reads (its
evidence spans index that text, so it is stored exactly as extracted from) and the hash of that text with
whitespace folded. The same article twice — the same bytes, the same text (a page saved as .txt and as .html)
or the same URL — is recognised within the desk (organisation) and the stored one is returned. Bad input (empty,
binary, not UTF-8, an HTML page without article text, a language other than English, no publication date) is
refused with a message and changes nothing: no row, no ledger entry."""

from __future__ import annotations

import datetime as dt
import email.message
import email.utils
import hashlib
import io
import logging
import os
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.core.codes import next_code
from sulh.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from sulh.ledger import services as ledger

from . import services
from .models import Article, ArticleSource, ArticleStatus, Feed
from .text import InputError, decode

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # an article or a feed document; a news page's HTML is far smaller
FETCH_TIMEOUT = 20  # seconds, per feed request
TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
ACCEPTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
SUPPORTED_LANGUAGES = {"en"}  # what the extractor reads (sulh.media.extract)
# Below this probability the identifier's best guess is not trusted (headline-length text: "Kabul blasts:
# Mujahid blames Islamabad" comes out as Acehnese at 9%); whole sentences score above 0.7.
LANGUAGE_CONFIDENCE = 0.5
USER_AGENT = "Sulh media monitor (feed reader)"


@dataclass
class Received:
    """What `receive` did: the article (new or the one already stored) and, for a duplicate, why it is one."""

    article: Article
    created: bool
    duplicate: str = ""  # "", "same bytes", "same text" or "same url"


@dataclass
class Outcome:
    """One file's or one feed item's result in a batch: received, duplicate, refused or skipped."""

    name: str  # the file's path or the feed item's link/title
    result: str  # "received" | "duplicate" | "refused" | "skipped"
    message: str = ""  # the refusal or the reason for skipping; for a duplicate, which kind
    article: Article | None = None

    @property
    def ok(self) -> bool:
        return self.result in ("received", "duplicate", "skipped")


# --- one article --------------------------------------------------------------------------------------------


def receive(
    user,
    data: bytes,
    *,
    outlet: str,
    published_on: dt.date | None = None,
    published_at: dt.datetime | None = None,
    url: str = "",
    title: str = "",
    filename: str = "",
    content_type: str | None = None,
    source: str = ArticleSource.FILE,
    feed: Feed | None = None,
    language: str | None = None,
    language_hint: str | None = None,
    prepared=None,
) -> Received:
    """Store one article for the user's desk and extract its candidates, in one transaction; or return the
    already stored copy (created=False, `duplicate` says how it was recognised). `language` (ISO 639-1)
    is trusted instead of identifying the text's; `language_hint` (a feed's declared language) only decides
    when identification is unsure. `prepared` (sulh.media.batch.Prepared) is the same reading, extraction and
    embedding done ahead in a worker process. Raises ValidationFailed for bad input, storing nothing."""
    services.require_media(user)
    org_id = user.organisation_id
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationFailed("the article must be given as bytes", field="data")
    data = bytes(data)
    if not data.strip():
        raise ValidationFailed("empty article: nothing to extract", field="data")
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"article too large: {len(data)} bytes (at most {MAX_BYTES})", field="data")
    outlet = _required(outlet, "outlet", 200)
    url = _url(url, "url")
    filename = os.path.basename(filename or "")[:300]
    sha = hashlib.sha256(data).hexdigest()

    existing = Article.objects.filter(organisation_id=org_id, sha256=sha).first()
    if existing is not None:
        return Received(existing, False, "same bytes")

    if prepared is not None and prepared.refusal is not None:
        raise ValidationFailed(*prepared.refusal)
    if prepared is not None:
        page, code = prepared.page, prepared.language
    else:
        page = read_article(data, content_type=content_type, filename=filename)
        code = _language(page.text, language, language_hint)
    text_sha = text_digest(page.text)
    url = url or page.url
    existing = Article.objects.filter(organisation_id=org_id, text_sha256=text_sha).first()
    if existing is not None:
        return Received(existing, False, "same text")
    if url:
        existing = Article.objects.filter(organisation_id=org_id, url=url).first()
        if existing is not None:
            return Received(existing, False, "same url")

    published_at = _aware(published_at)
    if published_on is None:
        published_on = published_at.date() if published_at else page.published_on
    if published_on is None:
        raise ValidationFailed("no publication date: give one (relative dates in the text are read against it)",
                               field="published_on")  # fmt: skip
    title = (title or page.title)[:500]

    now = timezone.now()
    with transaction.atomic():
        for attempt in range(5):
            try:
                with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                    article = Article.objects.create(
                        code=next_code(Article, "ART", now), organisation_id=org_id, source=source, feed=feed,
                        filename=filename, outlet=outlet, url=url, title=title, published_on=published_on,
                        published_at=published_at, language=code, content_type=page.content_type,
                        original=data, sha256=sha, text=page.text, text_sha256=text_sha,
                        status=ArticleStatus.EXTRACTED, received_by=user, received_at=now,
                    )  # fmt: skip
                break
            except IntegrityError:
                # Either the same bytes were stored meanwhile (the unique original), or another article drew
                # the same code: re-read, then draw again.
                existing = Article.objects.filter(organisation_id=org_id, sha256=sha).first()
                if existing is not None:
                    return Received(existing, False, "same bytes")
                if attempt == 4:
                    raise
        ledger.record(article, "media_article.received", actor=user)
        with ledger.acting_as(user):  # the candidates' entries name who received the article
            if prepared is not None and prepared.result is not None and prepared.published_on == published_on:
                services.process(article, result=prepared.result, vectors=prepared.vectors)
            else:
                services.process(article)
    return Received(article, True)


def text_digest(text: str) -> str:
    """SHA-256 of the text with whitespace folded (and Unicode NFC): the same article saved as .txt and as
    .html, or re-wrapped, has the same digest."""
    folded = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


@dataclass
class Page:
    """An article's text and what its markup says about it."""

    text: str
    content_type: str  # "text/plain" or "text/html"
    title: str = ""
    url: str = ""
    published_on: dt.date | None = None


def read_article(data: bytes, *, content_type: str | None = None, filename: str = "") -> Page:
    """The plain text of an article's bytes (and, for HTML, its title, date and canonical URL). Plain text
    or HTML is decided by the content type, else the file name's extension, else the bytes themselves."""
    kind = _kind(data, content_type, filename)
    if kind == "text/plain":
        try:
            text = decode(data)
        except InputError as exc:
            raise ValidationFailed(str(exc), field="data") from None
        first = text.lstrip("\ufeff").strip().split("\n", 1)[0].strip()
        return Page(text, kind, title=first if len(first) <= 300 else "")
    return _read_html(data, _charset_param(content_type))


def _kind(data: bytes, content_type: str | None, filename: str) -> str:
    if content_type:
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime in ("text/html", "application/xhtml+xml"):
            return "text/html"
        if mime in ("text/plain", "text/markdown", "text/x-markdown"):
            return "text/plain"
        raise ValidationFailed(
            f"unsupported content type {mime!r}: send plain text (text/plain) or an HTML page (text/html)",
            field="content_type",
        )
    suffix = Path(filename).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "text/html"
    if suffix in TEXT_SUFFIXES:
        return "text/plain"
    return "text/html" if _looks_like_html(data) else "text/plain"


# A page's opening markup; sniffed only when neither a content type nor a known extension says what it is.
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip
_HTML_TAGS = re.compile(rb"<(?:p|div|article|br|h[1-6]|span|a\s)[\s>/]", re.IGNORECASE)


def _looks_like_html(data: bytes) -> bool:
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head)) or len(_HTML_TAGS.findall(head)) >= 2


def _charset_param(content_type: str | None) -> str | None:
    if not content_type:
        return None
    msg = email.message.Message()
    msg["content-type"] = content_type
    return msg.get_param("charset")


# The HTML standard's prescan looks for a charset in the first 1024 bytes; no installed package exposes that
# step alone (trafilatura guesses encodings statistically, which would silently accept mislabelled bytes).
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]
# A navigation list or a cookie banner has no sentence: article text has at least one line of this many words
# ending like a sentence (trafilatura's fallbacks return a page's menus when it finds no article).
MIN_SENTENCE_WORDS = 6


def _read_html(data: bytes, header_charset: str | None) -> Page:
    import trafilatura  # imported here: lxml and its models cost a second at start, only intake needs them

    charset = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            charset, data = name, data[len(bom) :]
            break
    if charset is None and b"\x00" in data:
        raise ValidationFailed("not a text file: it holds NUL bytes (binary data?)", field="data")
    if charset is None:
        m = _META_CHARSET.search(data[:1024])
        charset = header_charset or (m.group(1).decode("ascii") if m else "utf-8")
    try:
        html = data.decode(charset)
    except LookupError:
        raise ValidationFailed(f"the page declares an unknown charset {charset!r}", field="data") from None
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"not {charset} text (undecodable byte at offset {exc.start}); the page must be UTF-8 or declare "
            "its charset", field="data",
        ) from None
    controls = sum(1 for c in html if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > max(3, len(html) // 100):
        raise ValidationFailed("not a text file: too many control characters (binary data?)", field="data")
    if not re.search(r"<(?:html|body|head)\b", html[:4096], re.IGNORECASE):
        html = f"<html><body><article>{html}</article></body></html>"  # a fragment (a feed item's content)
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False,
        # Metadata only (meta tags, <time>, the URL): a date found in the body is an event's, not publication's.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )  # fmt: skip
    text = (doc.text or "").strip() if doc is not None else ""
    if not any(
        len(line.split()) >= MIN_SENTENCE_WORDS and re.search(r"[.!?…\"”’]\s*$|[.!?]\s", line)
        for line in text.splitlines()
    ):
        raise ValidationFailed("no article text found in the HTML page (only navigation or boilerplate?)",
                               field="data")  # fmt: skip
    published = None
    if doc.date:
        try:
            published = dt.date.fromisoformat(doc.date[:10])
        except ValueError:
            published = None
    meta_url = doc.url or ""
    try:
        meta_url = _url(meta_url, "url")
    except ValidationFailed:
        meta_url = ""  # a relative or odd canonical link: not worth refusing the article for
    return Page(text, "text/html", title=(doc.title or "").strip(), url=meta_url, published_on=published)


def _language(text: str, given: str | None, hint: str | None) -> str:
    if given:
        code = given.strip().lower().split("-")[0].split("_")[0]
        if code not in SUPPORTED_LANGUAGES:
            raise ValidationFailed(_unsupported(code), field="language")
        return code
    code, p = identify_language(text)
    if code in SUPPORTED_LANGUAGES:
        return code
    if p < LANGUAGE_CONFIDENCE:
        hinted = (hint or "").strip().lower().split("-")[0].split("_")[0]
        if hinted in SUPPORTED_LANGUAGES:
            return hinted
        raise ValidationFailed(
            f"cannot tell the language of so little text (best guess {language_name(code)} ({code}), "
            f"{p:.0%}); only English articles can be extracted: if it is English, say so (language en)",
            field="language",
        )
    raise ValidationFailed(_unsupported(code), field="language")


def _unsupported(code: str) -> str:
    return f"unsupported language: {language_name(code)} ({code}); only English articles can be extracted"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # Our own instance with normalised probabilities (the module's shared one gives raw scores).
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str, float]:
    """(ISO 639 code, probability) of the text's language by py3langid's bundled model."""
    return _identifier().classify(text[:10000])  # the opening is enough; the cost stays flat


def language_name(code: str) -> str:
    """The English name of a language code ("ur" → "Urdu"); the code itself when unknown."""
    try:
        from babel import Locale  # installed with trafilatura (through courlan)

        return Locale("en").languages.get(code) or code
    except ImportError:
        return code


def _required(value: str, name: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{name} is required", field=name)
    if len(value) > limit:
        raise ValidationFailed(f"{name} is too long (at most {limit} characters)", field=name)
    return value


_http_url = URLValidator(schemes=["http", "https"])


def _url(value: str, name: str, limit: int = 1000) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > limit:
        raise ValidationFailed(f"{name} is too long (at most {limit} characters)", field=name)
    try:
        _http_url(value)
    except ValidationError:
        raise ValidationFailed(f"{name} must be an http or https URL: {value!r}", field=name) from None
    return value


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is not None and timezone.is_naive(when):
        return timezone.make_aware(when, dt.UTC)
    return when


# --- files and folders --------------------------------------------------------------------------------------


def receive_paths(
    user,
    paths: Iterable[str | os.PathLike],
    *,
    outlet: str,
    published_on: dt.date | None = None,
    published_at: dt.datetime | None = None,
    url: str = "",
    language: str | None = None,
    workers: int = 0,
) -> list[Outcome]:
    """Receive files, and the .txt/.text/.md/.html/.htm files in folders (walked in name order, hidden files
    and folders left out, other files reported as skipped). Each file is its own transaction: one refused
    file stops nothing else. A file named explicitly with another extension is tried all the same. `workers`
    > 0 reads and extracts ahead in that many processes (sulh.media.batch: worth it for hundreds of files)."""
    from . import batch

    services.require_media(user)
    outcomes: list[Outcome | None] = []
    items: list[tuple[int, str, batch.Item]] = []
    for path, explicit in _files(paths):
        if not explicit and path.suffix.lower() not in ACCEPTED_SUFFIXES:
            outcomes.append(Outcome(str(path), "skipped", f"not an article file ({', '.join(sorted(ACCEPTED_SUFFIXES))})"))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            outcomes.append(Outcome(str(path), "refused", f"cannot read: {exc.strerror or exc}"))
            continue
        items.append((len(outcomes), str(path), batch.Item(
            data, outlet=outlet, published_on=published_on, published_at=published_at, url=url, filename=path.name,
            source=ArticleSource.FILE, language=language,
        )))  # fmt: skip
        outcomes.append(None)
    got_all = batch.receive_many(user, (item for _, _, item in items), workers=workers if len(items) > 1 else 0)
    for (at, name, _item), (_same, got) in zip(items, got_all, strict=True):
        outcomes[at] = Outcome(name, "refused", got.message) if isinstance(got, ValidationFailed) else _outcome(name, got)
    return outcomes  # type: ignore[return-value]


def _files(paths) -> Iterable[tuple[Path, bool]]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith("."):
                        yield Path(root) / name, False
        else:
            yield p, True  # a missing file is reported by the read


def _outcome(name: str, got: Received) -> Outcome:
    if got.created:
        return Outcome(name, "received", "", got.article)
    return Outcome(name, "duplicate", got.duplicate, got.article)


# --- feeds --------------------------------------------------------------------------------------------------


@dataclass
class FeedEntry:
    """One item of a feed, as intake needs it."""

    title: str
    link: str
    body: str  # the item's full content, else its summary
    content_type: str  # "text/html" or "text/plain"
    published_at: dt.datetime | None
    feed_title: str = ""
    feed_language: str = ""

    @property
    def name(self) -> str:
        return self.link or self.title or "(untitled item)"


def read_feed(data: bytes, *, content_type: str | None = None) -> list[FeedEntry]:
    """The items of an RSS 0.9x/2.0, Atom or RDF document; ValidationFailed("feed does not parse: …") when
    it is none of those. Tolerant of the small faults outlets publish (feedparser's "bozo" with items)."""
    import feedparser

    if not data or not bytes(data).strip():
        raise ValidationFailed("feed does not parse: empty document", field="data")
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"feed does not parse: too large ({len(data)} bytes, at most {MAX_BYTES})")
    headers = {"content-type": content_type} if content_type else None
    # A BytesIO, never bytes or str: feedparser would take those for a file name or a URL to fetch.
    parsed = feedparser.parse(io.BytesIO(bytes(data)), response_headers=headers)
    if not parsed.entries:
        if parsed.get("bozo"):
            raise ValidationFailed(f"feed does not parse: {parsed.get('bozo_exception')}", field="data")
        if not parsed.get("version"):
            raise ValidationFailed("feed does not parse: not an RSS, Atom or RDF document", field="data")
    feed_title = (parsed.feed.get("title") or "").strip()
    feed_language = parsed.feed.get("language") or ""
    return [_entry(e, feed_title, feed_language) for e in parsed.entries]


def _entry(e, feed_title: str, feed_language: str) -> FeedEntry:
    detail = None
    if e.get("content"):
        detail = e["content"][0]
    elif e.get("summary_detail"):
        detail = e["summary_detail"]
    body = (detail or {}).get("value", "") or ""
    ctype = (detail or {}).get("type", "text/plain") or "text/plain"
    # feedparser labels every RSS description text/html; one without a tag is plain text
    html = "html" in ctype and re.search(r"<[a-zA-Z][^>]*>", body) is not None
    return FeedEntry(
        title=(e.get("title") or "").strip(),
        link=(e.get("link") or "").strip(),
        body=body,
        content_type="text/html" if html else "text/plain",
        published_at=_entry_time(e),
        feed_title=feed_title,
        feed_language=(detail or {}).get("language") or feed_language,
    )


def _entry_time(e) -> dt.datetime | None:
    """The item's publication (else update) time with the offset it was written with, so its date is the
    outlet's own; feedparser's parsed tuple is UTC and would shift a late-evening item to the next day."""
    for key in ("published", "updated", "created"):
        raw = e.get(key)
        if raw:
            for parse in (email.utils.parsedate_to_datetime, _iso):
                try:
                    when = parse(raw)
                except (TypeError, ValueError, IndexError):
                    continue
                if when is not None:
                    return _aware(when)
        parsed = e.get(f"{key}_parsed")
        if parsed:
            return dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    return None


def _iso(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))


def receive_entries(
    user, entries: Iterable[FeedEntry], *, outlet: str | None = None, feed: Feed | None = None
) -> list[Outcome]:
    """Receive feed items, each in its own transaction; a refused item is reported and the others go on.
    The outlet is the given one (or the Feed's), else the feed's own title."""
    services.require_media(user)
    outcomes = []
    for entry in entries:
        name = entry.name
        if not entry.body.strip():
            outcomes.append(Outcome(name, "refused", "the item has no content or summary: nothing to extract"))
            continue
        published_at = entry.published_at
        try:
            got = receive(
                user, entry.body.encode("utf-8"), outlet=outlet or (feed.outlet if feed else "") or entry.feed_title,
                published_at=published_at, url=_safe_url(entry.link), title=entry.title,
                content_type=f"{entry.content_type}; charset=utf-8", source=ArticleSource.FEED, feed=feed,
                language=(feed.language if feed and feed.language else None), language_hint=entry.feed_language,
            )  # fmt: skip
        except ValidationFailed as exc:
            outcomes.append(Outcome(name, "refused", exc.message))
            continue
        outcomes.append(_outcome(name, got))
    return outcomes


def _safe_url(link: str) -> str:
    try:
        return _url(link, "url")
    except ValidationFailed:
        return ""  # a relative or non-web link: the item is still an article


def receive_feed_file(user, path_or_bytes: str | os.PathLike | bytes, outlet: str | None = None) -> list[Outcome]:
    """Read a feed document once (a saved file, or its bytes) and receive its items; no Feed row is kept.
    A document that does not parse raises ValidationFailed; a refused item is reported in its outcome."""
    services.require_media(user)
    if isinstance(path_or_bytes, bytes | bytearray):
        data = bytes(path_or_bytes)
    else:
        try:
            data = Path(path_or_bytes).read_bytes()
        except OSError as exc:
            raise ValidationFailed(f"{path_or_bytes}: cannot read: {exc.strerror or exc}") from None
    return receive_entries(user, read_feed(data), outlet=outlet)


def feeds_of(user):
    """The user's desk's feeds."""
    if not services.can_use_media(user):
        return Feed.objects.none()
    return Feed.objects.filter(organisation_id=user.organisation_id).order_by("outlet", "url")


def get_feed(user, ref) -> Feed:
    """A feed of the user's desk by id or URL; NotFound otherwise."""
    qs = feeds_of(user)
    feed = qs.filter(url=str(ref)).first()
    if feed is None and services._uuid(str(ref)):
        feed = qs.filter(pk=ref).first()
    if feed is None:
        raise NotFound(f"no feed {ref!r}")
    return feed


def add_feed(user, url: str, outlet: str, language: str = "") -> Feed:
    """Add a feed for the user's desk to poll (http/https only, once per desk); logged."""
    services.require_media(user)
    url = _url(url, "url", limit=500)
    if not url:
        raise ValidationFailed("url is required", field="url")
    outlet = _required(outlet, "outlet", 200)
    language = (language or "").strip().lower()
    if language and language.split("-")[0] not in SUPPORTED_LANGUAGES:
        raise ValidationFailed(_unsupported(language), field="language")
    if Feed.objects.filter(organisation_id=user.organisation_id, url=url).exists():
        raise Conflict(f"this desk already has the feed {url}", field="url")
    with transaction.atomic():
        try:
            with transaction.atomic():
                feed = Feed.objects.create(organisation_id=user.organisation_id, url=url, outlet=outlet,
                                           language=language, created_by=user)  # fmt: skip
        except IntegrityError:
            raise Conflict(f"this desk already has the feed {url}", field="url") from None
        ledger.record(feed, "media_feed.added", actor=user)
    return feed


@dataclass
class Poll:
    """One feed's poll: "fetched" (with an outcome per item), "not modified" (HTTP 304) or "failed"."""

    feed: Feed
    status: str
    error: str = ""
    outcomes: list[Outcome] = field(default_factory=list)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(newurl, code, f"redirect to a non-web URL: {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, etag: str = "", modified: str = "") -> tuple[int, bytes, dict]:
    """GET a feed URL (conditional on ETag / Last-Modified): (status, body, headers); 304 has no body.
    Raises OSError-derived errors for network failures and HTTP errors, and ValidationFailed when too big."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationFailed(f"a feed URL must be http or https: {url!r}", field="url")
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})  # noqa: S310
    if etag:
        req.add_header("If-None-Match", etag)
    if modified:
        req.add_header("If-Modified-Since", modified)
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(req, timeout=FETCH_TIMEOUT) as resp:  # noqa: S310 (http/https checked by add_feed)
            body = resp.read(MAX_BYTES + 1)
            headers = {k.lower(): v for k, v in resp.headers.items()}
            status = resp.status
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", {k.lower(): v for k, v in (exc.headers or {}).items()}
        raise
    if len(body) > MAX_BYTES:
        raise ValidationFailed(f"feed larger than {MAX_BYTES // (1024 * 1024)} MB")
    return status, body, headers


def poll_feed(user, feed: Feed) -> Poll:
    """Fetch one of the desk's feeds and receive its new items. Fetch or parse failures are recorded on the
    feed (last_error) and returned, not raised; a 304 means nothing new."""
    services.require_media(user)
    if feed.organisation_id != user.organisation_id:
        raise NotFound(f"no feed {feed.pk}")
    _url(feed.url, "url", limit=500)
    now = timezone.now()
    try:
        status, body, headers = fetch(feed.url, etag=feed.etag, modified=feed.modified)
        entries = [] if status == 304 else read_feed(body, content_type=headers.get("content-type"))
    except urllib.error.HTTPError as exc:
        return _failed(feed, now, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return _failed(feed, now, f"cannot fetch: {exc.reason}")
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed URL
        return _failed(feed, now, f"cannot fetch: {exc}")
    except ValidationFailed as exc:
        return _failed(feed, now, exc.message)
    feed.last_polled_at, feed.last_error = now, ""
    if status == 304:
        feed.save(update_fields=["last_polled_at", "last_error"])
        return Poll(feed, "not modified")
    # The validators are kept only once the document has been read: a broken one is fetched again next time.
    feed.etag = headers.get("etag", "")[:200]
    feed.modified = headers.get("last-modified", "")[:100]
    feed.save(update_fields=["etag", "modified", "last_polled_at", "last_error"])
    return Poll(feed, "fetched", outcomes=receive_entries(user, entries, feed=feed))


def _failed(feed: Feed, now: dt.datetime, error: str) -> Poll:
    feed.last_polled_at, feed.last_error = now, error
    feed.save(update_fields=["last_polled_at", "last_error"])
    return Poll(feed, "failed", error)


def poll_feeds(user) -> list[Poll]:
    """Poll every active feed of the user's desk; one failing feed does not stop the others."""
    services.require_media(user)
    polls = []
    for feed in feeds_of(user).filter(active=True):
        try:
            polls.append(poll_feed(user, feed))
        except DomainError as exc:
            polls.append(_failed(feed, timezone.now(), exc.message))
        except Exception as exc:  # a bug in one feed's items must not stop the desk's other feeds
            log.exception("polling %s failed", feed.url)
            polls.append(_failed(feed, timezone.now(), f"internal error: {exc}"))
    return polls
