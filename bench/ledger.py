"""The ledger benchmark: `python -m bench.ledger [--entries N] [--db sqlite|postgres|both] [--quick]`
(`make bench-ledger`). Results: the "ledger" section of docs/benchmarks.md.

For each database, in a scratch data directory (and a scratch PostgreSQL database, sulh_bench_ledger), a
subprocess (bench/ledger_sulh.py) measures appends one transaction at a time and what they add to a real
write, batch appends up to N entries (default 1,000,000), inclusion and consistency proofs at N through the
services (database reads included) and their verification, the tlog-tiles export, and — once, from the
export — full verification against raw SHA-256 over the same bytes. Then bench/ledger_peers.py appends the
very same entry bodies to pymerkle (a GPLv3 benchmark peer, never a dependency of Sulh; install it with
`pip install -r bench/requirements-peers.txt`) and checks that its roots and proofs equal Sulh's.

This module is standard library only: the workers import its helpers."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "ledger"
# A database of its own per run: neither the incident benchmark's nor another ledger run's (on a shared server
# two may run at once, and each drops its scratch database WITH (FORCE)).
PG_DB = f"sulh_bench_ledger_{os.getpid()}"
COMMAND = "make bench-ledger"

# Targets (see the section's text for what each means).
TARGET_ADDED_MS = 2.0
TARGET_PROOF_US = 1000.0
TARGET_VERIFY_RATIO = 3.0


# --- helpers shared with the workers ------------------------------------------------------------------------


def stats(seconds: list[float], scale: float = 1e3) -> dict:
    """p50, p99, mean, min, max of durations in seconds, times `scale` (1e3: ms, 1e6: µs)."""
    if not seconds:
        return {"n": 0}
    v = sorted(x * scale for x in seconds)

    def q(p: float) -> float:
        # nearest rank, so p99 of 1,000 samples is the 990th
        return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]

    return {"n": len(v), "p50": q(50), "p99": q(99), "mean": sum(v) / len(v), "min": v[0], "max": v[-1]}


def inclusion_samples(size: int, count: int, seed: int) -> list[tuple[int, int]]:
    """(index, tree size): a size uniform in 1..size, then an index uniform in that tree."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = rng.randint(1, size)
        out.append((rng.randrange(s), s))
    return out


def consistency_samples(size: int, count: int, seed: int) -> list[tuple[int, int]]:
    """(size1, size2) with 1 <= size1 < size2 <= size, size2 uniform, then size1 uniform below it."""
    rng = random.Random(seed + 1)
    out = []
    for _ in range(count):
        s2 = rng.randint(2, size)
        out.append((rng.randint(1, s2 - 1), s2))
    return out


def split_bundle(data: bytes) -> list[bytes]:
    """The entries of a tlog-tiles entry bundle (each prefixed by a big-endian uint16 length)."""
    out, i, n = [], 0, len(data)
    while i < n:
        j = i + 2 + int.from_bytes(data[i : i + 2], "big")
        out.append(data[i + 2 : j])
        i = j
    return out


# --- running ------------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, flush=True)


def _python() -> str:
    exe = ROOT / ".venv" / "bin" / "python"
    return str(exe) if exe.exists() else sys.executable


def _pg_url(db: str | None = None) -> str:
    from bench.scratch import PG_ADMIN_URL

    if db is None:
        return PG_ADMIN_URL
    parts = urllib.parse.urlsplit(PG_ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + db))


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def _env(data_dir: Path, db: str) -> dict:
    env = dict(os.environ)
    for var in ("DATABASE_URL", "SULH_EVIDENCE_DIR", "SULH_STATIC_ROOT", "SULH_DEBUG", "SULH_FAST_PASSWORD_HASHING",
                "SULH_LOG_SIGNER_KEY_FILE"):  # fmt: skip
        env.pop(var, None)
    env.update(
        SULH_DATA_DIR=str(data_dir),
        SULH_LOG_LEVEL="WARNING",
        SULH_BENCH_DB=db,
        DJANGO_SETTINGS_MODULE="sulh.settings",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    if db == "postgres":
        env["DATABASE_URL"] = _pg_url(PG_DB)
    return env


def run_sulh(db: str, params: dict, work: Path) -> dict:
    data_dir = work / f"data-{db}"
    data_dir.mkdir(parents=True)
    if db == "postgres":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    p_file, r_file = work / f"params-{db}.json", work / f"result-{db}.json"
    p_file.write_text(json.dumps(params))
    try:
        subprocess.run([_python(), "-m", "bench.ledger_sulh", str(p_file), str(r_file)], env=_env(data_dir, db),
                       cwd=ROOT, check=True, timeout=params["timeout_s"])  # fmt: skip
        return json.loads(r_file.read_text())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if db == "postgres":
            try:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            except Exception as e:  # report, go on
                log(f"  (could not drop {PG_DB}: {e})")


def peers_available() -> str | None:
    proc = subprocess.run([_python(), "-c", "import pymerkle; print(pymerkle.__version__)"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    return proc.stdout.strip() if proc.returncode == 0 else None


def run_peers(params: dict, check: dict, work: Path) -> dict:
    p_file, c_file, r_file = work / "params-peers.json", work / "check.json", work / "result-peers.json"
    p_file.write_text(json.dumps(params))
    c_file.write_text(json.dumps(check))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([_python(), "-m", "bench.ledger_peers", str(p_file), str(c_file), str(r_file)], env=env,
                   cwd=ROOT, check=True, timeout=params["timeout_s"])  # fmt: skip
    return json.loads(r_file.read_text())


def code_version() -> str:
    """The commit measured, and whether the ledger's code had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sulh/ledger"], cwd=ROOT, capture_output=True,
                               text=True, timeout=30, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"`{head}`" + (" with uncommitted changes to sulh/ledger" if dirty else "")


def machine(pg_version: str | None) -> dict:
    def first(path: str, prefix: str) -> str | None:
        try:
            return next((ln for ln in Path(path).read_text().splitlines() if ln.startswith(prefix)), None)
        except OSError:
            return None

    cpu = first("/proc/cpuinfo", "model name")
    mem = first("/proc/meminfo", "MemTotal")
    os_line = first("/etc/os-release", "PRETTY_NAME=")
    out = subprocess.run([_python(), "-c", "import platform, sqlite3; print(platform.python_version(), sqlite3.sqlite_version)"],
                         capture_output=True, text=True, timeout=60).stdout.split()  # fmt: skip
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpu": cpu.split(":", 1)[1].strip() if cpu else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory": f"{int(mem.split()[1]) / 1024 / 1024:.1f} GiB" if mem else "unknown",
        "os": (f"{os_line.split('=', 1)[1].strip().strip(chr(34))} (kernel {platform.release()})"
               if os_line else platform.platform()),  # fmt: skip
        "python": out[0] if out else platform.python_version(),
        "sqlite": out[1] if len(out) > 1 else "unknown",
        "postgresql": pg_version or "not reachable",
    }


# --- the report ---------------------------------------------------------------------------------------------

DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _ok(flag: bool | None) -> str:
    return "—" if flag is None else ("✅" if flag else "❌")


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _rate(x: float) -> str:
    return f"{x:,.0f}/s"


def _us(x: float) -> str:
    return f"{x:,.0f} µs" if x >= 10 else f"{x:,.1f} µs"


def _ms(x: float) -> str:
    if x < 0.1:
        return f"{x * 1000:,.1f} µs"
    return f"{x:,.2f} ms" if x < 100 else f"{x:,.0f} ms"


def _dur(us: float) -> str:
    return _us(us) if us < 1000 else _ms(us / 1000)


def _faster(sulh: float | None, peer: float | None, higher_better: bool = False) -> bool | None:
    if sulh is None or peer is None:
        return None
    return sulh > peer if higher_better else sulh < peer


def wins(results: dict) -> tuple[int, int, int]:
    """Figures where Sulh is faster than SqliteTree, than InmemoryTree, and the number of figures."""
    verdicts = [r[-1] for r in peer_rows(results)]
    vs_sql = sum(1 for v in verdicts if v.startswith("✅"))
    vs_mem = sum(1 for v in verdicts if v.split(", ")[1].startswith("✅"))
    return vs_sql, vs_mem, len(verdicts)


def targets(results: dict) -> list[list]:
    rows = []
    dbs = list(results["dbs"])

    def per_db(fn) -> list[str]:
        return [fn(results["dbs"][db]) for db in dbs]

    def each(values: list[float], limit: float) -> bool:
        return all(v < limit for v in values)

    added = [results["dbs"][db]["request"]["added_p50_ms"] for db in dbs]
    per_append = [results["dbs"][db]["request"]["added_per_append_ms"] for db in dbs]
    rows.append([
        f"the ledger adds < {TARGET_ADDED_MS:g} ms to a write (incident creation, "
        f"{results['dbs'][dbs[0]]['request']['appends_per_request']} appends; difference of medians)",
        *per_db(lambda r: f"+{r['request']['added_p50_ms']:.2f} ms (+{r['request']['added_per_append_ms']:.2f} per append)"),
        f"per write {_ok(each(added, TARGET_ADDED_MS))} · per append {_ok(each(per_append, TARGET_ADDED_MS))}",
    ])  # fmt: skip
    for kind, label in (("inclusion", "inclusion proof"), ("consistency", "consistency proof")):
        p50 = [results["dbs"][db]["proofs"][kind]["p50"] for db in dbs]
        p99 = [results["dbs"][db]["proofs"][kind]["p99"] for db in dbs]
        rows.append([
            f"{label} at {results['dbs'][dbs[0]]['proofs']['size']:,} through the service (database reads "
            "included) < 1 ms",
            *per_db(lambda r, k=kind: f"p50 {_dur(r['proofs'][k]['p50'])}, p99 {_dur(r['proofs'][k]['p99'])}"),
            f"p50 {_ok(each(p50, TARGET_PROOF_US))} · p99 {_ok(each(p99, TARGET_PROOF_US))}",
        ])  # fmt: skip
    ver = [max(results["dbs"][db]["proofs"]["inclusion_verify"]["p99"], results["dbs"][db]["proofs"]["consistency_verify"]["p99"])
           for db in dbs]  # fmt: skip
    rows.append([
        "proof verification < 1 ms (inclusion / consistency, p99)",
        *per_db(lambda r: f"{_us(r['proofs']['inclusion_verify']['p99'])} / {_us(r['proofs']['consistency_verify']['p99'])}"),
        f"p99 {_ok(each(ver, TARGET_PROOF_US))}",
    ])  # fmt: skip
    v = results.get("verify")
    if v:
        cells = [f"{v['ratio']:.1f}× ({v['hashes_only_s']:.2f} s against {v['raw_hash_s']:.2f} s)"] + [
            "(same files)" for _ in dbs[1:]
        ]
        rows.append([f"full verification, hashes only, within {TARGET_VERIFY_RATIO:g}× raw SHA-256 of the entries",
                     *cells, _ok(v["ratio"] <= TARGET_VERIFY_RATIO)])  # fmt: skip
    if results.get("peers"):
        vs_sql, vs_mem, n = wins(results)
        rows.append([
            "Sulh faster than pymerkle on every figure (section 4)",
            f"faster than SqliteTree on {vs_sql} of {n}, than InmemoryTree on {vs_mem} of {n}",
            *["" for _ in dbs[1:]], _ok(vs_sql == n and vs_mem == n),
        ])  # fmt: skip
    return rows


def peer_rows(results: dict) -> list[list]:
    """Figure | Sulh SQLite | Sulh PostgreSQL | pymerkle SqliteTree | Sulh tree in memory | pymerkle InmemoryTree | verdict.

    Verdict: Sulh on SQLite against SqliteTree (both stored in SQLite), and Sulh's Merkle code in memory (for
    appends) or Sulh on SQLite (for proofs, which Sulh only serves from its tables) against InmemoryTree."""
    peers = results["peers"]
    dbs = results["dbs"]
    sq = dbs.get("sqlite") or next(iter(dbs.values()))
    pg = dbs.get("postgres")
    mem, smem, ssql = peers["inmemory"], peers["sulh_memory"], peers["sqlite"]
    rows = []

    def row(label, sulh_sql, sulh_pg, p_sql, s_mem, p_mem, fmt, higher=False, vs_mem=None):
        v1 = _faster(sulh_sql, p_sql, higher)
        v2 = _faster(s_mem if vs_mem is None else vs_mem, p_mem, higher)
        cell = lambda x: "—" if x is None else fmt(x)  # noqa: E731
        rows.append([label, cell(sulh_sql), cell(sulh_pg), cell(p_sql), cell(s_mem), cell(p_mem),
                     f"{_ok(v1)} vs SqliteTree, {_ok(v2)} vs InmemoryTree"])  # fmt: skip

    wal = ssql["single_wal"]  # SqliteTree with Sulh's SQLite settings: the like-for-like figure
    row("single append, p50", sq["single"]["p50"], pg and pg["single"]["p50"], wal["p50"],
        smem["single"]["p50"], mem["single"]["p50"], _ms)  # fmt: skip
    row("single append, p99", sq["single"]["p99"], pg and pg["single"]["p99"], wal["p99"],
        smem["single"]["p99"], mem["single"]["p99"], _ms)  # fmt: skip
    row("single appends per second", sq["single"]["per_s"], pg and pg["single"]["per_s"], wal["per_s"],
        smem["single"]["per_s"], mem["single"]["per_s"], _rate, higher=True)  # fmt: skip
    row(f"batch appends per second (batches of {sq['batch']['batch']:,})", sq["batch"]["per_s"],
        pg and pg["batch"]["per_s"], ssql["batch"]["per_s"], smem["batch"]["per_s"], mem["build"]["per_s"], _rate,
        higher=True)  # fmt: skip
    for kind, label in (("inclusion", "inclusion"), ("consistency", "consistency")):
        for q in ("p50", "p99"):
            row(f"{label} proof alone, {q}", sq["proofs"][f"{kind}_proof_only"][q],
                pg and pg["proofs"][f"{kind}_proof_only"][q], ssql["proofs"][f"{kind}_proof_only"][q], None,
                mem["proofs"][f"{kind}_proof_only"][q], _dur, vs_mem=sq["proofs"][f"{kind}_proof_only"][q])  # fmt: skip
        what = "leaf hash and root" if kind == "inclusion" else "both roots"
        row(f"{label} proof with {what}, p50", sq["proofs"][kind]["p50"], pg and pg["proofs"][kind]["p50"],
            ssql["proofs"][kind]["p50"], None, mem["proofs"][kind]["p50"], _dur, vs_mem=sq["proofs"][kind]["p50"])  # fmt: skip
        row(f"{label} proof verification, p50", sq["proofs"][f"{kind}_verify"]["p50"],
            pg and pg["proofs"][f"{kind}_verify"]["p50"], ssql["proofs"][f"{kind}_verify"]["p50"], None,
            mem["proofs"][f"{kind}_verify"]["p50"], _dur, vs_mem=sq["proofs"][f"{kind}_verify"]["p50"])  # fmt: skip
    return rows


def render(results: dict, mach: dict, argv: list[str], notes: list[str]) -> str:
    dbs = list(results["dbs"])
    first = results["dbs"][dbs[0]]
    size = first["proofs"]["size"]
    cols = [DB_NAMES[d] for d in dbs]
    cmd = "python -m bench.ledger" + (" " + " ".join(argv) if argv else "")
    md = [
        "## Ledger: appends, proofs, verification (and pymerkle)",
        "",
        f"Measured on {mach['date']} with `{cmd}` (rerun: `{COMMAND}`, or `.venv/bin/python -m bench.ledger "
        "[--entries N] [--db sqlite|postgres|both] [--quick]`; pymerkle comes from `bench/requirements-peers.txt`). "
        f"Code: {results.get('code', 'unknown')}. Whole run: {results['seconds'] / 60:.1f} min.",
        "",
        _table(["machine", ""], [
            ["CPU", f"{mach['cpu']}, {mach['cores']} cores"], ["memory", mach["memory"]], ["OS", mach["os"]],
            ["Python", mach["python"]], ["SQLite", mach["sqlite"]], ["PostgreSQL", mach["postgresql"]],
        ]),  # fmt: skip
        "",
        "Each database is measured in its own scratch data directory (and scratch PostgreSQL database), by one "
        "process, with Sulh's own settings (SQLite in WAL mode with `synchronous=NORMAL`; PostgreSQL over TCP on "
        "127.0.0.1, default configuration). Entries are built like a filed claim's"
        + (f" (about {first['verify']['body_bytes'] / first['verify']['entries']:.0f} bytes of canonical JSON)"
           if first.get("verify") else "")
        + f". Load average of the machine: {results['load'][0]:.1f} when the run began, {results['load'][1]:.1f} "
        "when it ended (1 minute; the machine is shared, so other work may have run alongside).",
        "",
    ]
    env_parts = []
    for d in dbs:
        env = results["dbs"][d].get("env") or {}
        loads = [e["load"] for e in env.values()]
        if loads:
            part = f"{DB_NAMES[d]} run {min(loads):.1f}–{max(loads):.1f}"
            others = [e["pg_other_active"] for e in env.values() if "pg_other_active" in e]
            if others:
                part += (f" (and up to {max(others)} other active PostgreSQL session(s), on other databases of "
                         "the same server)" if max(others) else " (no other active PostgreSQL session)")
            env_parts.append(part)
    if env_parts:
        md += [f"Load average as each phase began: {'; '.join(env_parts)}. Figures taken under load are slower, "
               "and their p99s mostly show the scheduler.", ""]
    md += [*[f"> {n}" for n in notes], ""] if notes else []
    md += ["### Targets", "", _table(["target", *cols, "met"], targets(results)), ""]

    # 1. appends
    rows = []

    def r(label, fn):
        rows.append([label, *[fn(results["dbs"][d]) for d in dbs]])

    r(f"single append, one transaction each ({first['single']['count']:,}), p50 / p99",
      lambda x: f"{_ms(x['single']['p50'])} / {_ms(x['single']['p99'])}")  # fmt: skip
    r("single appends per second", lambda x: _rate(x["single"]["per_s"]))
    r(f"single append at {first['single_at_size']['size_after']:,} entries ({first['single_at_size']['count']:,}), p50 / p99",
      lambda x: f"{_ms(x['single_at_size']['p50'])} / {_ms(x['single_at_size']['p99'])}")  # fmt: skip
    r(f"incident creation without its ledger entries, p50 / p99 ({first['request']['reps']} each)",
      lambda x: f"{_ms(x['request']['without']['p50'])} / {_ms(x['request']['without']['p99'])}")  # fmt: skip
    r("incident creation with them (as shipped), p50 / p99",
      lambda x: f"{_ms(x['request']['with']['p50'])} / {_ms(x['request']['with']['p99'])}")  # fmt: skip
    r("added by the ledger, p50 (per append)",
      lambda x: f"+{x['request']['added_p50_ms']:.2f} ms (+{x['request']['added_per_append_ms']:.2f} ms)")  # fmt: skip
    r(f"batch appends, {first['batch']['batch']:,} per call, {first['batch']['from']:,} → {first['batch']['to']:,} entries",
      lambda x: f"{_rate(x['batch']['per_s'])} ({x['batch']['seconds']:.0f} s)")  # fmt: skip
    r("batch: time per entry, p50 / p99 over the batches",
      lambda x: f"{_us(x['batch']['per_entry_us']['p50'])} / {_us(x['batch']['per_entry_us']['p99'])}")  # fmt: skip
    r("database size per entry (entries, tree nodes, indexes)",
      lambda x: f"{x['db_bytes'] / x['batch']['to']:,.0f} bytes" if x.get("db_bytes") else "—")  # fmt: skip
    md += [
        "### 1. Appends",
        "",
        "*Single append*: `services.append([Pending(...)])` in its own `transaction.atomic()`, committed: what "
        "every record change costs in the request path (lock the log head, number the record's version, build "
        "and hash the entry, extend the tree, insert the entry and its tree nodes, commit). *Added by the "
        "ledger*: the same `sulh.incidents.services.create_incident` (an incident and its first claim, as "
        "`POST /api/v1/incidents` runs it, without HTTP) timed with and without its ledger calls, interleaved; "
        "the difference of the medians. *Batch*: `services.append` with 10,000 entries per call (imports, "
        "the benchmark itself), up to the size the proofs are measured at.",
        "",
        _table(["", *cols], rows),
        "",
    ]
    for d in dbs:
        b = results["dbs"][d]["batch"]
        if results["dbs"][d].get("autovacuum_off"):
            md += [
                f"Autovacuum is off on this {DB_NAMES[d]} server. "
                + (f"The benchmark ran `ANALYZE` on the two ledger tables where autovacuum's default threshold "
                   f"would have (50 rows + 10% of the table new): {b['analyze_runs']} times, {b['analyze_s']:.1f} s, "
                   "counted in the batch time. Without statistics PostgreSQL plans the batch's version lookup "
                   "(`_next_versions`) as a scan of every entry of the record type, so each batch costs more than "
                   "the last (`--no-analyze` shows it)."
                   if b.get("analyze_runs") else "No `ANALYZE` ran during the fill (`--no-analyze`)."),
                "",
            ]

    # 2. proofs
    rows = []

    def pr(label, key):
        rows.append([label, *[f"{_dur(results['dbs'][d]['proofs'][key]['p50'])} / "
                              f"{_dur(results['dbs'][d]['proofs'][key]['p99'])}" for d in dbs]])  # fmt: skip

    pr("`services.inclusion(index, size)`: entry, proof and root", "inclusion")
    pr("inclusion proof alone (`merkle.inclusion_proof` + `read_hashes`)", "inclusion_proof_only")
    pr("`merkle.verify_inclusion`", "inclusion_verify")
    pr("`services.consistency(size1, size2)`: proof and both roots", "consistency")
    pr("consistency proof alone", "consistency_proof_only")
    pr("`merkle.verify_consistency`", "consistency_verify")
    rows.append(["hashes per proof, mean (inclusion / consistency)",
                 *[f"{results['dbs'][d]['proofs']['inclusion_len']:.1f} / {results['dbs'][d]['proofs']['consistency_len']:.1f}"
                   for d in dbs]])  # fmt: skip
    md += [
        f"### 2. Proofs at {size:,} entries",
        "",
        f"{first['proofs']['samples']:,} random samples each (same seed on both databases): a tree size uniform in "
        "1..N and a leaf uniform in it; for consistency, a second size uniform in 2..N and a first size uniform "
        "below it. The service calls are what `GET /api/v1/log/proof/…` runs: they read the log head, the "
        "entry and O(log n) tree nodes in one query per proof and root. p50 / p99.",
        "",
        _table(["", *cols], rows),
        "",
    ]
    peers = results.get("peers")
    if peers:
        pm = peers["inmemory"]["proofs"]
        worst = max(pm["inclusion_proof_only"]["p99"], pm["consistency_proof_only"]["p99"])
        best = min(pm["inclusion_proof_only"]["p50"], pm["consistency_proof_only"]["p50"])
        if worst > 10 * best:
            md += [
                f"The p99s are the machine's more than the code's: pymerkle's InmemoryTree, which does no I/O at all, "
                f"has a p50 of {_dur(best)} and a p99 of {_dur(worst)} on the same samples (section 4). On this "
                "2-core machine, shared with other work (load average above), a process that loses the CPU waits "
                "out another's time slice, a few milliseconds.",
                "",
            ]

    # 3. verification
    rows = [["export to tlog-tiles (`tiles.export`)",
             *[f"{results['dbs'][d]['export']['seconds']:.1f} s ({results['dbs'][d]['export']['files']:,} files, "
               f"{results['dbs'][d]['export']['bytes'] / 1e6:,.0f} MB)" for d in dbs]]]  # fmt: skip
    md += ["### 3. Full verification", ""]
    v = results.get("verify")
    if v:
        n = v["entries"]
        vrows = [
            ["raw SHA-256 of every entry body once (`for b in bodies: sha256(b).digest()`), the floor", f"{v['raw_hash_s']:.2f} s", "1.0×"],
            ["the whole tree in the tightest plain Python (n leaf hashes + n − 1 node hashes)", f"{v['tree_floor_s']:.2f} s",
             f"{v['tree_floor_s'] / v['raw_hash_s']:.1f}×"],
            ["`verify_log(DirSource(dir), trust, check_entries=False)`: hashes only"
             + (f", as shipped ({v['cores']} worker processes)" if v.get("parallel") else ""),
             f"{v['hashes_only_s']:.2f} s", f"**{v['ratio']:.1f}×**"],
        ]  # fmt: skip
        if "one_core_s" in v:
            vrows.append(["the same on one core (worker processes off)", f"{v['one_core_s']:.2f} s",
                          f"{v['one_core_s'] / v['raw_hash_s']:.1f}×"])  # fmt: skip
        if "with_entries_s" in v:
            vrows.append(["`verify_log(..., check_entries=True)`: also canonical JSON, versions, times",
                          f"{v['with_entries_s']:.1f} s", f"{v['with_entries_s'] / v['raw_hash_s']:.0f}×"])  # fmt: skip
        md += [
            f"`sulh log export` of the log at {n:,} entries, then `sulh log verify` of that directory (the signed "
            f"checkpoint, {n:,} entries in bundles of 256, every hash tile), against hashing the same "
            f"{v['body_bytes'] / 1e6:,.0f} MB of entries once. Best of {len(v['hashes_only_runs'])} runs; files in "
            "the page cache (just written). Verification reads files only, so it was run once, from the first "
            f"database's export. Verified: {'yes' if v['ok'] else '**NO**'}.",
            "",
            _table(["", f"{n:,} entries", "× raw"], vrows),
            "",
        ]
        floor = v["tree_floor_s"] / v["raw_hash_s"]
        md += [
            f"Rebuilding the tree takes n leaf hashes and n − 1 node hashes, and in Python a node hash (65 bytes) "
            "costs nearly what a leaf hash does, since the call, not the bytes, dominates: the tightest loop is "
            f"already {floor:.1f}× the raw hashing"
            + (f", above the {TARGET_VERIFY_RATIO:g}× target, so no single-core verifier in Python can meet it. "
               if floor > TARGET_VERIFY_RATIO else ". ")
            + (f"On one core `verify_log` adds {max(v['one_core_s'] - v['tree_floor_s'], 0):.2f} s to that floor "
               f"(reading and splitting the bundles, comparing the tiles); it spreads the bundles over "
               f"{v['cores']} worker processes, which on a machine with other work running gain less than "
               f"{v['cores']}×."
               if "one_core_s" in v else
               f"`verify_log` adds {max(v['hashes_only_s'] - v['tree_floor_s'], 0):.2f} s to that floor "
               "(reading and splitting the bundles, comparing the tiles)."),
            "",
        ]
        if v.get("profile"):
            md += [
                f"Not within {TARGET_VERIFY_RATIO:g}×: where `verify_log` spends its time (cProfile, self time, "
                "hashes only, on one core: the work its processes share out):",
                "",
                _table(["function", "calls", "self time", "share"],
                       [[f"`{p['function']}`", f"{p['calls']:,}", f"{p['self_s']:.2f} s", f"{p['share']:.0%}"]
                        for p in v["profile"]]),  # fmt: skip
                "",
            ]
    md += [_table(["", *cols], rows), ""]

    # 4. pymerkle
    peers = results.get("peers")
    if peers:
        mem, ssql = peers["inmemory"], peers["sqlite"]
        chk = [mem["check"], ssql["check"]]
        roots_ok = all(c["roots_equal"] == c["roots_checked"] for c in chk)
        inc_ok = all(c["inclusion_equal"] == c["inclusion_checked"] for c in chk)
        con_ok = all(c["consistency_verified"] == c["consistency_checked"] for c in chk)
        c0 = chk[0]
        mism = "; ".join(dict.fromkeys(m for c in chk for m in c["mismatches"]))
        md += [
            f"### 4. pymerkle {peers['version']} on the same entries",
            "",
            f"pymerkle (GPLv3: a benchmark peer only, never a Sulh dependency) was fed the very {size:,} entry "
            "bodies of Sulh's log, read back from the export. With its defaults (SHA-256, `0x00`/`0x01` "
            "prefixes) it builds RFC 6962/9162 trees: "
            + (f"its roots equal Sulh's ({c0['roots_checked']} roots at random sizes, in each of its two trees)"
               if roots_ok else "**its roots differ from Sulh's**")
            + ("; its inclusion proofs equal Sulh's hash for hash (" + f"{c0['inclusion_checked']} proofs; its path "
               "starts with the leaf hash itself, one hash more)" if inc_ok else "; **its inclusion proofs differ**")
            + f". Its consistency proofs are its own format, not RFC 9162's ({c0['consistency_rfc_equal']} of "
            f"{c0['consistency_checked']} equal): they "
            + ("verify against Sulh's roots" if con_ok else "**do not all verify against Sulh's roots**")
            + f" but carry {c0['consistency_len']:.1f} hashes on average where RFC 9162 needs "
            f"{c0['consistency_rfc_len']:.1f}, and an RFC 9162 verifier would reject them. Sulh's Merkle code alone "
            "(`merkle.leaf_hash` + `merkle.append_leaves`, in memory) "
            + ("gives the same root." if peers["sulh_memory"]["root_equal"] else "**does NOT give the same root.**")
            + (f" Mismatches: {mism}." if mism else ""),
            "",
            "*InmemoryTree* keeps a node object per hash in memory (nothing persists; "
            f"{mem['build']['rss_mb']:,.0f} MB at {size:,}); its batch figure is its build rate (its `append_entries` "
            "is a loop of `append_entry`). *SqliteTree* stores only `(entry, leaf hash)` rows and computes every "
            "interior hash from the leaves when asked, with an LRU cache of subtree roots of 128 leaves or more: "
            f"its first inclusion proof at {size:,} took {_ms(ssql['proofs']['first_inclusion_ms'])} and its first "
            f"root {_ms(ssql['proofs']['first_root_ms'])}, and its times fall as the cache fills "
            f"({ssql['proofs']['inclusion_samples']:,} inclusion and {ssql['proofs']['consistency_samples']:,} "
            f"consistency samples ran, {results['params']['peer_max_s']} s at most each). Its single appends commit "
            f"a transaction each: {_ms(ssql['single']['p50'])} p50 as shipped (rollback journal, "
            f"`synchronous=FULL`), {_ms(ssql['single_wal']['p50'])} with Sulh's SQLite settings (WAL, "
            "`synchronous=NORMAL`), the figure in the table. Same proof samples as above; \"with leaf hash and "
            "root\" adds what Sulh's service returns besides the proof. *Sulh tree in memory* is Sulh's Merkle code "
            "without its storage: the same leaf hashing and `append_leaves` that `services.append` runs.",
            "",
        ]
        prow = peer_rows(results)
        # the table shows SqliteTree's single append in WAL mode, Sulh's own settings
        md += [
            _table(["figure", "Sulh SQLite", "Sulh PostgreSQL", "pymerkle SqliteTree", "Sulh tree in memory",
                    "pymerkle InmemoryTree", "Sulh faster?"], prow),  # fmt: skip
            "",
            "Verdicts: Sulh on SQLite against SqliteTree (both kept in SQLite); against InmemoryTree, Sulh's "
            "Merkle code in memory for appends and Sulh on SQLite for proofs (Sulh serves proofs only from its "
            "tables).",
            "",
        ]
    elif results.get("peers_note"):
        md += ["### 4. pymerkle", "", results["peers_note"], ""]
    md += [*results.get("observations", [])]
    return "\n".join(md).rstrip() + "\n"


def observations(results: dict) -> list[str]:
    """What the figures say, in words, computed from them (so that a rerun keeps them true)."""
    out = []
    for db, r in results["dbs"].items():
        req, a, b = r["request"], r["single"], r["single_at_size"]
        grows = b["p50"] > 1.5 * a["p50"]
        out.append(
            f"- {DB_NAMES[db]}: the ledger's {req['appends_per_request']} appends add {req['added_p50_ms']:.2f} ms to "
            f"incident creation ({req['without']['p50']:.2f} → {req['with']['p50']:.2f} ms p50). A lone append, "
            f"commit included, takes {a['p50']:.2f} ms p50 at {a['size_after']:,} entries and {b['p50']:.2f} ms at "
            f"{b['size_after']:,}" + (": slower at the larger size in this run." if grows else ": no slower at the larger size.")
        )
    return ["### Observations", "", *out, ""] if out else []


# --- main ---------------------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ledger", description="The ledger benchmark (docs/benchmarks.md)")
    p.add_argument("--entries", type=int, default=None, help="log size for proofs and verification (default 1000000)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None,
                   help="default: both when PostgreSQL answers, else sqlite")  # fmt: skip
    p.add_argument("--quick", action="store_true", help="a small smoke run (20,000 entries); writes no docs")
    p.add_argument("--no-peers", action="store_true", help="skip pymerkle")
    p.add_argument("--no-analyze", action="store_true",
                   help="PostgreSQL without autovacuum: do not run ANALYZE where autovacuum would have")  # fmt: skip
    p.add_argument("--output", type=Path, default=None, help="document to write the section into "
                   "(default docs/benchmarks.md; with --quick, none)")  # fmt: skip
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    from bench.scratch import choose_databases

    params = {
        "entries": 1_000_000, "singles": 2000, "singles_at_size": 500, "batch": 10_000, "request_reps": 300,
        "samples": 1000, "seed": 20261123, "verify_reps": 3, "verify_entries": True, "peer_max_s": 60,
        "timeout_s": 3600,
    }  # fmt: skip
    if args.quick:
        params.update(entries=20_000, singles=200, singles_at_size=100, request_reps=30, samples=200, verify_reps=1,
                      peer_max_s=20)  # fmt: skip
    if args.entries is not None:
        params["entries"] = args.entries
    params["analyze"] = not args.no_analyze
    dbs, notes, pg_version = choose_databases(args.db, log)

    started = time.perf_counter()
    load0 = os.getloadavg()[0]
    code = code_version()  # as the run starts: the tree may change while it runs
    work = Path(tempfile.mkdtemp(prefix="sulh-bench-ledger-"))
    results: dict = {"dbs": {}, "params": params}
    try:
        for i, db in enumerate(dbs):
            log(f"\n== ledger on {DB_NAMES[db]}: {params['entries']:,} entries ==")
            p = dict(params, export_dir=str(work / f"export-{db}"), verify=i == 0)
            results["dbs"][db] = run_sulh(db, p, work)
            if i:
                shutil.rmtree(work / f"export-{db}", ignore_errors=True)
            if i == 0:
                results["verify"] = results["dbs"][db].get("verify")
        version = None if args.no_peers else peers_available()
        if version:
            log(f"\n== pymerkle {version} on the same {params['entries']:,} entries ==")
            first = results["dbs"][dbs[0]]
            p = dict(params, export_dir=str(work / f"export-{dbs[0]}"), work_dir=str(work / "peers"))
            results["peers"] = run_peers(p, first["proofs"]["check"], work)
        elif not args.no_peers:
            results["peers_note"] = ("pymerkle is not installed, so it was not measured: "
                                     "`.venv/bin/pip install -r bench/requirements-peers.txt`.")  # fmt: skip
            log(results["peers_note"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    results["load"] = (load0, os.getloadavg()[0])
    results["code"] = code
    results["observations"] = observations(results)
    doc = render(results, machine(pg_version), argv, notes)
    log("\n" + doc)
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if output is not None:
        from bench.doc import replace_section

        replace_section(SECTION, doc, output)
        log(f"written: section '{SECTION}' of {output}")
    else:
        log("(--quick: docs/benchmarks.md left as it is; --output PATH to write the section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
