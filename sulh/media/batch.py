"""Many articles at once: the database-free half of the pipeline on every core.

One article costs two kinds of work: reading, extracting and embedding (CPU only, no database), then storing,
logging, grouping and proposing (the database, in one transaction). A batch — a folder of files, a feed's
items, a benchmark — runs the first half in worker processes while the calling process stores the results in
order, so both cores of a small server work at once. Each article is still its own transaction, decided by
`intake.receive` exactly as when it arrives alone (duplicates, refusals and all): the workers only spare it the
reading, the extraction and the candidates' embeddings, and a worker's failure makes it do them itself.

Processes, not threads: the extractor is pure Python (the GIL would serialise it). They are spawned, not
forked, because a forked copy of a process that has already run PyTorch can deadlock in its thread pool."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from sulh.core.errors import ValidationFailed


@dataclass
class Item:
    """One article to receive, as `intake.receive` takes it."""

    data: bytes
    outlet: str
    published_on: dt.date | None = None
    published_at: dt.datetime | None = None
    url: str = ""
    title: str = ""
    filename: str = ""
    content_type: str | None = None
    source: str = "file"
    language: str | None = None
    language_hint: str | None = None
    extra: dict = field(default_factory=dict)  # passed to receive as it is (feed=…)


@dataclass
class Prepared:
    """What a worker made of an article's bytes: the page, its language, the extraction and the embeddings of
    the candidates' texts (by event index), or the refusal that receive will give."""

    page: object | None = None  # intake.Page
    language: str | None = None
    published_on: dt.date | None = None
    result: dict | None = None  # extract() output for page.text
    vectors: dict[int, bytes] = field(default_factory=dict)  # event index -> float32 bytes
    refusal: tuple[str, str | None] | None = None  # (message, field)


def _init_worker() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    django.setup()
    import torch

    torch.set_num_threads(1)  # one core per worker: the processes are the parallelism
    from . import embeddings

    embeddings.warm()


def prepare(item: Item) -> Prepared:
    """The database-free half of receiving `item` (runs in a worker)."""
    import numpy as np

    from . import embeddings, intake, linking
    from .extract import extract
    from .text import InputError

    try:
        page = intake.read_article(item.data, content_type=item.content_type, filename=item.filename)
        code = intake._language(page.text, item.language, item.language_hint)
    except ValidationFailed as exc:
        return Prepared(refusal=(exc.message, exc.field))
    published = item.published_on or (item.published_at.date() if item.published_at else page.published_on)
    out = Prepared(page=page, language=code, published_on=published)
    if published is None:
        return out  # receive refuses it (no publication date), with its own message
    try:
        out.result = extract(page.text, published, item.outlet)
    except InputError:
        return out  # receive stores it as refused, with the extractor's message
    news = [(i, e) for i, e in enumerate(out.result["events"]) if not e.get("background")]
    if news:
        vectors = embeddings.embed([linking.evidence_text(e, page.text) for _, e in news])
        out.vectors = {i: np.asarray(v, dtype="<f4").tobytes() for (i, _), v in zip(news, vectors, strict=True)}
    return out


class Preparer:
    """The worker processes of a batch: `with Preparer(2) as p: p.warm(); for item, got in p.receive(user,
    items): …`. Starting a worker loads Django, PyTorch and the model (seconds): `warm()` waits for that."""

    def __init__(self, workers: int | None = None):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        if self.workers > 0:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_init_worker)  # fmt: skip
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        return False

    def warm(self) -> None:
        """Start every worker and wait until each has loaded the model."""
        if self.pool is not None:
            for fut in [self.pool.submit(_ready, 0.2) for _ in range(self.workers)]:
                fut.result()

    def receive(self, user, items: Iterable[Item]) -> Iterator[tuple[Item, object]]:
        """(item, Received or ValidationFailed) for each item, in order."""
        from . import intake, services

        services.require_media(user)
        if self.pool is None:
            for item in items:
                yield item, _receive(intake, user, item, None)
            return
        window: deque[tuple[Item, Future]] = deque()
        for item in items:  # a few articles in flight per worker, not the whole batch in memory
            window.append((item, self.pool.submit(prepare, item)))
            if len(window) >= 4 * self.workers:
                yield _next(intake, user, window)
        while window:
            yield _next(intake, user, window)


def receive_many(user, items: Iterable[Item], *, workers: int | None = None) -> Iterator[tuple[Item, object]]:
    """(item, Received or ValidationFailed) for each item, in order. `workers`: processes preparing ahead
    (default: one per core; 0 prepares in this process, as `receive` alone does)."""
    with Preparer(workers) as p:
        yield from p.receive(user, items)


def _ready(pause: float) -> int:
    import time

    time.sleep(pause)  # long enough that each warm-up task lands on its own worker
    return os.getpid()


def _next(intake, user, window):
    item, fut = window.popleft()
    try:
        prepared = fut.result()
    except Exception:  # a worker that died or failed: receive does the work itself
        prepared = None
    return item, _receive(intake, user, item, prepared)


def _receive(intake, user, item: Item, prepared: Prepared | None):
    try:
        return intake.receive(
            user, item.data, outlet=item.outlet, published_on=item.published_on, published_at=item.published_at,
            url=item.url, title=item.title, filename=item.filename, content_type=item.content_type,
            source=item.source, language=item.language, language_hint=item.language_hint, prepared=prepared,
            **item.extra,
        )  # fmt: skip
    except ValidationFailed as exc:
        return exc
