"""Batches (sulh.media.batch): articles prepared in real spawned worker processes are stored exactly as when
each arrives alone — the same candidates, the same duplicates and refusals, in order."""

import datetime as dt

import pytest

from sulh.core.errors import ValidationFailed
from sulh.ledger.models import LogEntry
from sulh.media import batch
from sulh.media.models import Article, ArticleSource, Candidate

from .test_intake import ARTICLE_TEXT, URDU

OTHER = (
    "ISLAMABAD - Pakistani and Afghan forces exchanged heavy fire near the Chaman crossing on Wednesday night, "
    "local officials said, and three civilians were killed on the Pakistani side.\n"
    "The Afghan Taliban government's spokesman Zabihullah Mujahid said Pakistani forces had fired first.\n"
)


def _items():
    return [
        batch.Item(ARTICLE_TEXT.encode(), outlet="Dawn", published_on=dt.date(2025, 10, 26), filename="a.txt"),
        batch.Item(OTHER.encode(), outlet="Reuters", published_on=dt.date(2025, 10, 16), filename="b.txt"),
        batch.Item(URDU.encode(), outlet="Jang", published_on=dt.date(2025, 10, 26), filename="c.txt"),
        batch.Item(ARTICLE_TEXT.encode(), outlet="Dawn", published_on=dt.date(2025, 10, 26), filename="a-again.txt"),
        batch.Item(b"\x00\x01\x02binary", outlet="Junk", published_on=dt.date(2025, 10, 26), filename="d.txt"),
        batch.Item(OTHER.replace(", ", ",  ").encode(), outlet="Reuters", filename="rewrapped.txt", content_type="text/plain",
                   source=ArticleSource.PASTE, extra={}),
    ]


def _summary(results):
    out = []
    for item, got in results:
        if isinstance(got, ValidationFailed):
            out.append((item.filename, "refused", got.message))
        else:
            events = [c.event for c in got.article.candidates.order_by("seq")]
            out.append((item.filename, "received" if got.created else got.duplicate, events))
    return out


@pytest.mark.django_db(transaction=True)
def test_a_batch_with_workers_stores_what_one_by_one_stores(users):
    """The same items into two desks: one in this process (workers=0), one through a spawned worker. Same
    outcomes item by item, the same extracted events; the duplicate and the refusals are recognised as alone."""
    alone = _summary(batch.receive_many(users["tur_analyst"], _items(), workers=0))
    assert [r[1] for r in alone] == ["received", "received", "refused", "same bytes", "refused", "same text"], alone
    assert "Urdu" in alone[2][2] and alone[0][2], alone
    entries = LogEntry.objects.count()
    with batch.Preparer(1) as preparer:
        preparer.warm()
        parallel = _summary(preparer.receive(users["qat_verifier"], _items()))
    assert parallel == alone
    # both desks' articles and candidates are logged the same way
    assert LogEntry.objects.count() - entries == Article.objects.filter(organisation__code="QAT").count() + \
        Candidate.objects.filter(article__organisation__code="QAT").count()  # fmt: skip


def test_prepare_refuses_what_receive_refuses():
    """The worker's half alone (no database): a page in another language carries receive's refusal."""
    got = batch.prepare(batch.Item(URDU.encode(), outlet="Jang", published_on=dt.date(2025, 10, 26)))
    assert got.refusal is not None and "Urdu" in got.refusal[0] and got.result is None
    ok = batch.prepare(batch.Item(ARTICLE_TEXT.encode(), outlet="Dawn", published_on=dt.date(2025, 10, 26)))
    assert ok.refusal is None and ok.language == "en" and ok.result["events"]
    news = [i for i, e in enumerate(ok.result["events"]) if not e["background"]]
    assert sorted(ok.vectors) == news and all(len(v) == 384 * 4 for v in ok.vectors.values())


@pytest.mark.django_db(transaction=True)
def test_ingest_with_workers(users, tmp_path, capsys):
    """`sulh media ingest --workers 1` on a folder: each file stored, the bad one reported, exit status 1."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    (tmp_path / "a.txt").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(OTHER, encoding="utf-8")
    (tmp_path / "c.txt").write_text(URDU, encoding="utf-8")
    with pytest.raises(CommandError, match="1 of 3 files refused") as refused:
        call_command("media", "ingest", str(tmp_path), "--as", users["tur_analyst"].username, "--outlet", "Dawn",
                     "--published", "2025-10-26", "--workers", "1")  # fmt: skip
    assert refused.value.returncode == 1
    out, err = capsys.readouterr()
    assert Article.objects.filter(organisation__code="TUR").count() == 2
    assert "Urdu" in err and "c.txt" in err
