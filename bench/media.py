"""`python -m bench.media [--articles N] [--quick] [--output PATH]`: speed and memory of media extraction.

The issue's target: 1,000 articles extracted and linked at 20 articles/s or more on this machine's CPU, memory
under 2 GB. Linking is not built yet, so this measures extraction alone (`sulh.media.extract.extract`, one
process, as `sulh media extract` runs it), over the development set's articles taken in turn until N
(default 1,000), each with its label's publication date; the dev set's figures of `sulh media evaluate` go
in the same section. Writes the "media" section of docs/benchmarks.md (not with --quick)."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from .doc import DOC, replace_section
from .report import machine

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "media-dev"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()


def _articles(root: Path) -> list[tuple[str, str, dt.date]]:
    out = []
    for label in sorted((root / "labels").glob("*.json")):
        meta = json.loads(label.read_text(encoding="utf-8"))
        text = (root / "articles" / meta["article"]).read_text(encoding="utf-8")
        out.append((meta["article"], text, dt.date.fromisoformat(meta["published"])))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.media", description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=1000)
    p.add_argument("--dev", type=Path, default=DEV, help=f"the labelled set (default {DEV})")
    p.add_argument("--quick", action="store_true", help="100 articles; does not rewrite docs/benchmarks.md")
    p.add_argument("--output", type=Path, default=DOC)
    a = p.parse_args(argv)
    if not (a.dev / "labels").is_dir():
        print(f"bench.media: no labelled set at {a.dev}", file=sys.stderr)
        return 1
    n = 100 if a.quick else a.articles
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    _setup_django()
    from django.core.management import call_command

    from sulh.charter.loader import get_charter
    from sulh.media.extract import extract

    charter = get_charter()
    docs = _articles(a.dev)
    extract(docs[0][1], docs[0][2], charter=charter, article=docs[0][0])  # builds the gazetteer once
    cold_s = time.perf_counter() - t0
    times, events = [], 0
    started = time.perf_counter()
    for i in range(n):
        name, text, published = docs[i % len(docs)]
        t = time.perf_counter()
        events += len(extract(text, published, charter=charter, article=name)["events"])
        times.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = n / wall
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{n} articles in {wall:.1f} s: {rate:.1f} articles/s; per article p50 {statistics.median(times):.1f} ms, "
          f"p99 {p99:.1f} ms; cold start {cold_s:.2f} s; peak RSS {peak_mb:.0f} MiB ({events} events)")  # fmt: skip
    if a.quick:
        return 0
    buf = io.StringIO()
    call_command("media", "evaluate", str(a.dev), "--format", "json", stdout=buf)
    figures = json.loads(buf.getvalue())
    m = machine(None)
    ev = figures["events"]
    fields = figures["fields"]
    rows = "\n".join(f"| {name} | {f['correct']}/{f['matched']} | {100 * f['correct'] / f['matched']:.1f}% |"
                     for name, f in fields.items() if f["matched"])  # fmt: skip
    md = f"""## Media extraction: dev-set figures, speed and memory

Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}, Python {m['python']}.
Command: `make bench-media` (`python -m bench.media --articles {n}`).

**Dev set** (`sulh media evaluate ../shared/eval/media-dev`: 13 articles, 17 news and 26 background events,
scored by the set's README). The rules were written and tuned on these articles: the held-out set is the real
test, and these figures are optimistic.

| events | value |
|---|---:|
| precision | {ev['precision']:.3f} ({ev['extracted_matched']}/{ev['extracted']}) |
| recall | {ev['recall']:.3f} ({ev['labelled_news_found']}/{ev['labelled_news']}) |
| F1 | {ev['f1']:.3f} |

| field (one-to-one matched pairs) | right | share |
|---|---:|---:|
{rows}

Linking accuracy is not reported: linking is not built, and the labels carry no linking ground truth.

**Speed and memory** — extraction only (linking is not built), one process, the dev articles in turn:

| articles | wall | articles/s | p50 per article | p99 per article | cold start (charter, gazetteer) | peak RSS |
|---:|---:|---:|---:|---:|---:|---:|
| {n} | {wall:.1f} s | {rate:.1f} | {statistics.median(times):.1f} ms | {p99:.1f} ms | {cold_s:.2f} s | {peak_mb:.0f} MiB |

Target (issue 7): at least 20 articles/s end to end with linking, memory under 2 GB — extraction alone
{"meets" if rate >= 20 and peak_mb < 2048 else "does NOT meet"} it; the end-to-end figure waits for linking (RSS before Django: {rss_before:.0f} MiB).
"""
    replace_section("media", md, a.output)
    print(f"wrote the 'media' section of {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
