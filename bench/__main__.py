"""`python -m bench [--only create|list|incidents|ledger] [--incidents N] [--db sqlite|postgres|both] [--quick] [--output PATH]`"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from . import cases, report
from .doc import DOC, replace_section
from .scratch import choose_databases


def log(msg: str) -> None:
    print(msg, flush=True)


def run_ledger(args: argparse.Namespace) -> int:
    """The ledger's benchmark (bench/ledger.py), which writes its own section of docs/benchmarks.md."""
    from . import ledger

    return ledger.main([*(["--db", args.db] if args.db else []), *(["--quick"] if args.quick else []),
                        *(["--output", str(args.output)] if args.output else [])])


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description="Sulh's benchmarks (results: docs/benchmarks.md)")
    p.add_argument("--only", choices=["create", "list", "incidents", "ledger"],
                   help="run one benchmark only (incidents: creation and list, the incident register's section)")
    p.add_argument("--incidents", type=int, default=None, help="incidents to bulk-load for the list (default 100000)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None,
                   help="default: both when PostgreSQL answers, else sqlite")
    p.add_argument("--quick", action="store_true", help="a small smoke run; does not rewrite docs/benchmarks.md")
    p.add_argument("--output", type=Path, default=None,
                   help="the Markdown file whose 'incidents' section to write (default docs/benchmarks.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    if args.only in (None, "ledger"):
        rc = run_ledger(args)
        if rc or args.only == "ledger":
            return rc
    s = cases.Settings()
    if args.quick:
        s = cases.Settings(incidents=2000, create_count=100, replay_count=25, list_reps=5, list_warmups=1,
                           export_reps=2, export_warmups=1, list_max_s=5, export_max_s=10)
    if args.incidents is not None:
        s.incidents = args.incidents
    dbs, extra_notes, pg_version = choose_databases(args.db, log)

    started = time.perf_counter()
    loads = [os.getloadavg()[0]]  # the machine is shared: sampled through the run, reported with the figures
    sampling = threading.Event()

    def sample_load():
        while not sampling.wait(5):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=sample_load, daemon=True).start()
    results: dict[str, dict] = {}
    for db in dbs:
        results[db] = {}
        if args.only in (None, "incidents", "create"):
            log(f"\n== {db}: incident creation ({s.create_count} requests per run) ==")
            results[db]["create"] = cases.bench_create(db, s, log)
        if args.only in (None, "incidents", "list"):
            log(f"\n== {db}: incident list at {s.incidents:,} incidents ==")
            results[db]["list"] = cases.bench_list(db, s, log)

    mach = report.machine(pg_version)
    notes = report.observations(results, s)
    wall_s = time.perf_counter() - started
    sampling.set()
    loads.append(os.getloadavg()[0])
    doc = report.render(results, s, mach, notes, extra_notes, argv, load=(loads[0], max(loads), loads[-1]),
                        wall_s=wall_s)
    # Print the tables (everything up to the query plans).
    log("\n" + doc.split("\n" + report.PLANS_HEADING)[0])
    log(f"(whole run: {wall_s:.0f} s)")
    output = args.output or (None if args.quick else DOC)
    if output is not None:
        # Only this benchmark's section: the others (the ledger's) keep theirs.
        replace_section(report.SECTION, doc, output)
        log(f"written: section {report.SECTION!r} of {output}")
    else:
        log("(--quick: docs/benchmarks.md left as it is; --output PATH to write the section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
