"""The machine, the tables (Markdown, also printed) and the observations drawn from the figures."""

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime

from .cases import CreateResults, ListResults, Settings
from .client import percentile
from .scratch import python_exe

PARTY_P99_LIMIT_MS = 200.0  # a party user's list page at 100k incidents should answer within this (p99)
MEDIATOR_P99_LIMIT_MS = 200.0
EXPORT_ROWS_PER_S_MIN = 2000.0


def _first_line(path: str, prefix: str) -> str | None:
    """The first line of a text file that starts with `prefix`, or None (file missing or no such line)."""
    try:
        with open(path, encoding="utf-8") as f:
            return next((line for line in f if line.startswith(prefix)), None)
    except OSError:
        return None


def machine(pg_version: str | None) -> dict:
    line = _first_line("/proc/cpuinfo", "model name")
    cpu = line.split(":", 1)[1].strip() if line else "unknown"
    line = _first_line("/proc/meminfo", "MemTotal")
    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB" if line else "unknown"
    line = _first_line("/etc/os-release", "PRETTY_NAME=")
    os_name = (f"{line.split('=', 1)[1].strip().strip(chr(34))} (kernel {platform.release()})"
               if line else platform.platform())
    try:  # the server's Python and SQLite, which may differ from the one running the benchmark
        venv_py = subprocess.run(
            [python_exe(), "-c", "import platform, sqlite3; print(platform.python_version(), sqlite3.sqlite_version)"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.split()
        py, sqlite_version = venv_py[0], venv_py[1]
    except (OSError, subprocess.SubprocessError, IndexError):
        py, sqlite_version = platform.python_version(), sqlite3.sqlite_version
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": os_name,
        "python": py,
        "sqlite": sqlite_version,
        "postgresql": pg_version or "not reachable",
    }


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def create_table(res: CreateResults) -> str:
    rows = [
        [label, r.concurrency, r.requests, f"{r.rps:.1f}", f"{r.ms(50):.1f}", f"{r.ms(95):.1f}", f"{r.ms(99):.1f}",
         r.errors if not r.errors else f"**{r.errors}**"]
        for label, r in res.rows
    ]
    return _table(["POST /api/v1/incidents", "concurrency", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


def list_table(res: ListResults) -> str:
    by_label: dict[str, dict] = {}
    for label, role, t in res.timings:
        by_label.setdefault(label, {})[role] = t
    rows = []
    for label, roles in by_label.items():
        row = [label]
        for role in ("party", "mediator"):
            t = roles.get(role)
            if t is None:
                row += ["–"] * 4
                continue
            p99 = t.ms(99)
            flag = "**" if p99 > PARTY_P99_LIMIT_MS else ""
            row += [f"{t.count:,}" if isinstance(t.count, int) else "–", f"{t.ms(50):.1f}", f"{flag}{p99:.1f}{flag}",
                    len(t.latencies)]
        rows.append(row)
    return _table(
        ["GET /api/v1/incidents?limit=50 &…", "party: found", "party p50 ms", "party p99 ms", "n",
         "mediator: found", "mediator p50 ms", "mediator p99 ms", "n"],
        rows,
    )


def export_table(res: ListResults) -> str:
    rows = []
    for role, t in res.exports:
        last = t.ms(50)
        rows.append([role, f"{t.count:,}" if t.count is not None else "–", f"{t.bytes / 1e6:.2f}",
                     f"{percentile(t.ttfb, 50) * 1000:.0f}", f"{last:.0f}", f"{t.ms(99):.0f}",
                     f"{(t.count or 0) / (last / 1000):,.0f}" if last == last and last else "–", len(t.latencies),
                     f"**{t.errors}**" if t.errors else 0])
    return _table(["export.csv, one week (13–20 Oct)", "rows", "MB", "first byte p50 ms", "last byte p50 ms",
                   "last byte p99 ms", "rows/s (p50)", "n", "errors"], rows)


def load_line(res: ListResults) -> str:
    ld = res.load
    rate = ld["incidents"] / ld["insert_s"] if ld["insert_s"] else 0
    return (f"Bulk load (ORM `bulk_create`, batches of 5,000 incidents, one transaction each): "
            f"**{ld['incidents']:,} incidents and {ld['claims']:,} claims in {ld['insert_s']:.1f} s** "
            f"({rate:,.0f} incidents/s), plus {ld['locate_s']:.1f} s to locate {ld['seed_points']} seed points"
            + (f" and {ld['analyze_s']:.1f} s of `VACUUM (ANALYZE)` (what autovacuum does within a minute or two of such"
               " a load)" if ld["analyze_s"] >= 0.05 else "")
            + f"; {res.load_wall_s:.1f} s including the process start.")


def observations(results: dict, settings: Settings) -> list[str]:
    """Findings the figures support, each with a likely cause. Reviewed by hand after each full run."""
    notes = []
    for db, parts in results.items():
        c = parts.get("create")
        if c:
            for label, r in c.rows:
                if r.errors:
                    notes.append(f"{db}: {r.errors} errors creating incidents ({label}, concurrency {r.concurrency}); "
                                 f"first: `{r.first_error}`.")
            plain = {r.concurrency: r for label, r in c.rows if label == "plain"}
            if 1 in plain and 4 in plain and plain[4].rps < plain[1].rps * 1.3:
                notes.append(
                    f"{db}: four concurrent clients create barely faster than one ({plain[4].rps:.0f} against "
                    f"{plain[1].rps:.0f} req/s) and wait longer (p99 {plain[4].ms(99):.0f} against "
                    f"{plain[1].ms(99):.0f} ms). Likely cause: `sulh serve` runs one uvicorn worker, one Python "
                    "process: Django gives each request's synchronous view a thread of its own, but only one thread "
                    "runs Python at a time (the GIL) and a creation is mostly Python (validation, ORM, ledger), so "
                    "four clients share one core"
                    + ("; SQLite's single writer (IMMEDIATE transactions) would serialise them anyway" if db == "sqlite" else
                       "; `sulh serve --workers N` would spread them over processes on PostgreSQL") + ".")
        lr = parts.get("list")
        if not lr:
            continue
        n = lr.load.get("incidents", settings.incidents)
        slow = [(label, role, t) for label, role, t in lr.timings if t.ms(99) > PARTY_P99_LIMIT_MS]
        if slow:
            worst = max(slow, key=lambda x: x[2].ms(99))
            notes.append(
                f"{db}: {len(slow)} of {len(lr.timings)} list measurements at {n:,} incidents exceed "
                f"{PARTY_P99_LIMIT_MS:.0f} ms p99 (worst: {worst[0]}, {worst[1]}, p99 {worst[2].ms(99):.0f} ms): "
                + ", ".join(f"{label} ({role}, {t.ms(99):.0f} ms)" for label, role, t in slow) + ".")
        if db == "postgres" and lr.timings:
            # Measured apart from the benchmark (the page and the count in one process, with its connection
            # kept, then each after closing it): 22–32 ms more per request with a fresh connection.
            notes.append(
                "postgres: every request pays for a new database connection, some 20–30 ms of each list answer "
                "(4 ms to connect, the rest the first queries of a new server process, its caches cold). Django runs each "
                "ASGI request's synchronous code on a thread of its own, and connections belong to threads, so "
                "`CONN_MAX_AGE` keeps none; Django's connection pool (`OPTIONS={\"pool\": True}`, with "
                "`psycopg[pool]`) would.")
        for label, role, t in lr.timings:
            if t.errors:
                notes.append(f"{db}: {t.errors} failed requests for {label} ({role}): `{t.first_error}`.")
        for role, t in lr.exports:
            if t.errors:
                notes.append(f"{db}: {t.errors} failed one-week CSV exports ({role}): `{t.first_error}`.")
            last = t.ms(50)
            if last and (t.count or 0) / (last / 1000) < EXPORT_ROWS_PER_S_MIN:
                notes.append(f"{db}: the one-week CSV export ({role}) streams only "
                             f"{(t.count or 0) / (last / 1000):,.0f} rows/s.")
    return notes


SECTION = "incidents"
PLANS_HEADING = "### Query plans"


def render(results: dict, settings: Settings, mach: dict, notes: list[str], extra_notes: list[str], argv: list[str],
           load: tuple[float, float, float] | None = None, wall_s: float | None = None) -> str:
    """The "incidents" section of docs/benchmarks.md (bench.doc.replace_section writes it in place)."""
    shown = [a for i, a in enumerate(argv) if a != "--output" and (i == 0 or argv[i - 1] != "--output")]
    shown = [a for a in shown if not a.startswith("--output=")]  # where it was written says nothing of the run
    out = [
        "## Incident register: creation, list and export",
        "",
        f"Measured on {mach['date']} with `{' '.join(['python -m bench', *shown])}`"
        + " (rerun: `.venv/bin/python -m bench --only incidents [--incidents N]"
        + " [--db sqlite|postgres|both] [--quick]`)."
        + (f" Whole run: {wall_s / 60:.1f} min." if wall_s else ""),
        "",
        "| machine |  |",
        "|---|---:|",
        f"| CPU | {mach['cpu']}, {mach['cores']} cores |",
        f"| memory | {mach['memory']} |",
        f"| OS | {mach['os']} |",
        f"| Python | {mach['python']} |",
        f"| SQLite | {mach['sqlite']} |",
        f"| PostgreSQL | {mach['postgresql']} |",
        "",
        "What is measured: a real `sulh serve` process (uvicorn, one worker, as shipped) on 127.0.0.1, in a scratch",
        "data directory under a temporary directory (and, for PostgreSQL, a scratch database `sulh_bench`, dropped",
        "afterwards), migrated with `sulh migrate`, with users and organisations created by `bench/seed.py` and",
        "tokens issued with `sulh token create`. Requests are real HTTP/1.1 over keep-alive `http.client`",
        "connections, one per client thread. The client and the server share the machine above"
        + (f"; load average {load[0]:.1f} when the run began, {load[1]:.1f} at most during it (sampled every 5 s),"
           f" {load[2]:.1f} when it ended (1-minute averages; the benchmark's own client, server and database"
           " account for up to about 2: more is other work on this shared machine)"
           if load else "") + ".",
        "",
        f"1. **Incident creation**: `POST /api/v1/incidents` with a bearer token, {settings.create_count:,} valid and",
        "   varied payloads per run (the sample places of `sulh/conftest.py` jittered by up to 0.01°, each filed",
        "   by the party on whose side it lies), at concurrency 1 and 4, without and with an `Idempotency-Key`",
        f"   header (a fresh key per request), then {settings.replay_count} replays of stored keys. Latency is",
        "   per request; req/s is requests over the run's wall time. Errors are any answer other than 201.",
        f"2. **The incident list** at {settings.incidents:,} incidents bulk-loaded through the ORM (one or two claims",
        "   each from both parties, the joint monitoring team and the mediators, mixed audience and status; dates",
        "   9 Oct – 20 Nov 2025, busiest 11–18 Oct; places from ~300 seed points around the charter's district",
        "   seats and crossings, located with `sulh.geo.services.locate`). `GET /api/v1/incidents?limit=50` as a",
        f"   party user (`pak_liaison`) and as a mediator (`qat_verifier`): {settings.list_warmups} warm-ups, then up to",
        f"   {settings.list_reps} sequential repetitions (a scenario stops early after {settings.list_max_s:.0f} s; *n* says how",
        "   many ran). *found* is the `count` the API returned. Then `GET /api/v1/incidents/export.csv` for one week,",
        f"   read to the last byte: {settings.export_warmups} warm-up and up to {settings.export_reps} repetitions.",
        "",
        "Bold figures are over the 200 ms p99 goal for a list page, or are errors.",
    ]
    for line in extra_notes:
        out += ["", f"> **Note:** {line}"]
    for db, parts in results.items():
        out += ["", f"### {'SQLite' if db == 'sqlite' else 'PostgreSQL'}", ""]
        if parts.get("create"):
            out += ["#### Incident creation", "", create_table(parts["create"]), ""]
        lr = parts.get("list")
        if lr:
            out += [f"#### Incident list at {lr.load['incidents']:,} incidents", "", load_line(lr), "",
                    list_table(lr), "", export_table(lr), ""]
    out += ["### Observations", ""]
    out += [f"- {n}" for n in notes] if notes else ["- Nothing over the goals in this run."]
    plans = [(db, parts["list"].explain) for db, parts in results.items() if parts.get("list") and parts["list"].explain]
    if plans:
        out += ["", PLANS_HEADING, "",
                "The list's two queries for each user with no filter (the page, then the count that",
                "`LimitOffsetPagination` runs on every page), as the database plans them after the load.", ""]
        for db, explain in plans:
            for user, queries in explain.items():
                for label, q in queries.items():
                    out += [f"**{db}, {user}, {label}**", "", "```sql", q["sql"], "```", "", "```", *q["plan"], "```", ""]
    return "\n".join(out).rstrip() + "\n"
