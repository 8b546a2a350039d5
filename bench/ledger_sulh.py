"""The ledger benchmark's Django half, run by `python -m bench.ledger` as a subprocess per database (its
settings come from the environment: SULH_DATA_DIR and, for PostgreSQL, DATABASE_URL):

    python -m bench.ledger_sulh PARAMS.json RESULT.json

Migrates the scratch database, seeds the benchmark users, then measures in this order: single appends (one
transaction each), what the ledger adds to a real write (incident creation with and without its appends),
batch appends up to the target size, proofs at that size, export to tlog-tiles, full verification of the
export (first database only: it reads files, not the database) and single appends again at full size.
Progress goes to stderr; the figures to RESULT.json."""

from __future__ import annotations

import cProfile
import hashlib
import json
import os
import pstats
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.ledger import consistency_samples, inclusion_samples, split_bundle, stats

perf = time.perf_counter


def log(msg: str) -> None:
    print(f"  [{os.environ.get('SULH_BENCH_DB', '?')}] {msg}", file=sys.stderr, flush=True)


ENV: dict[str, dict] = {}


def phase(name: str) -> None:
    """Note the machine's load, and other PostgreSQL sessions at work, as a phase starts: the machine is shared."""
    from django.db import connection

    env: dict = {"load": os.getloadavg()[0]}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend'")  # fmt: skip
            env["pg_other_active"] = cur.fetchone()[0]
    ENV[name] = env


def setup() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    from bench.seed import make_users

    make_users()
    if connection.vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    else:
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
    return {"vendor": connection.vendor, "version": version}


def pending(i: int, prefix: str):
    """An entry like the ones claims make: a new record, a realistic actor, a small content dict."""
    from sulh.ledger.services import Pending

    return Pending(
        "claim.filed", "claim", f"{prefix}{i:08d}",
        {"incident": f"AFPK-2025-10-{i % 10000:04d}", "seq": 1, "status": "filed", "deaths_a": i % 7,
         "narrative": "Fire from across the line on a border post."},
        "pak_liaison", "PAK",
    )  # fmt: skip


# --- 1a. single appends ----------------------------------------------------------------------------------


def bench_single(count: int, prefix: str) -> dict:
    from django.db import transaction

    from sulh.ledger import services

    for i in range(min(20, count)):  # warm-up: connection, statement caches
        with transaction.atomic():
            services.append([pending(i, prefix + "w")])
    times = []
    t0 = perf()
    for i in range(count):
        t = perf()
        with transaction.atomic():
            services.append([pending(i, prefix)])
        times.append(perf() - t)
    total = perf() - t0
    out = stats(times, scale=1e3)
    out.update(count=count, per_s=count / total, size_after=services.tree_size())
    return out


# --- 1a'. what the ledger adds to a write --------------------------------------------------------------


class _NoLedger:
    """Stands in for sulh.ledger.services in sulh.incidents.services: the same write without its entries."""

    @staticmethod
    def record(*args, **kwargs):
        return None


def bench_request(reps: int) -> dict:
    from sulh.accounts.models import User
    from sulh.conftest import incident_payload
    from sulh.incidents import services as incidents
    from sulh.incidents.schemas import IncidentIn
    from sulh.ledger import services as ledger

    user = User.objects.get(username="pak_liaison")
    data = IncidentIn(**incident_payload())
    real = incidents.ledger
    size0 = ledger.tree_size()

    def one(with_ledger: bool) -> float:
        incidents.ledger = real if with_ledger else _NoLedger
        try:
            t = perf()
            incidents.create_incident(user, data)
            return perf() - t
        finally:
            incidents.ledger = real

    for _ in range(10):
        one(True)
        one(False)
    size1 = ledger.tree_size()
    with_, without = [], []
    for i in range(reps):  # interleaved, alternating which goes first, so drift hits both alike
        for flag in ((True, False) if i % 2 == 0 else (False, True)):
            (with_ if flag else without).append(one(flag))
    per_request = (ledger.tree_size() - size1) // reps
    w, wo = stats(with_, scale=1e3), stats(without, scale=1e3)
    added = w["p50"] - wo["p50"]
    return {
        "reps": reps, "with": w, "without": wo, "appends_per_request": per_request,
        "added_p50_ms": added, "added_mean_ms": w["mean"] - wo["mean"],
        "added_per_append_ms": added / max(per_request, 1), "warmup_entries": size1 - size0,
    }  # fmt: skip


# --- 1b. batches --------------------------------------------------------------------------------------------


def autovacuum_off() -> bool:
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SHOW autovacuum")
        return cur.fetchone()[0] == "off"


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE ledger_logentry")
        cur.execute("ANALYZE ledger_treenode")


def bench_batch(target: int, batch: int, prefix: str, stand_in_for_autovacuum: bool) -> dict:
    """Batches up to `target` entries. Where autovacuum is off (as on some CI servers), ANALYZE is run when
    autovacuum's default threshold would run it (50 rows + 10% of the table changed): without statistics,
    PostgreSQL plans the batch's version lookup as a scan of every entry of the record type, and the fill
    becomes quadratic. Its time counts in the batch figures (autovacuum would take the CPU too)."""
    from sulh.ledger import services

    start = services.tree_size()
    times, appended, i = [], 0, 0
    analyzed_at, analyze_runs, analyze_s = start, 0, 0.0
    t0 = last_report = perf()
    while services.tree_size() < target:
        n = min(batch, target - services.tree_size())
        items = [pending(k, prefix) for k in range(i, i + n)]
        t = perf()
        services.append(items)
        size = start + appended + n
        if stand_in_for_autovacuum and size - analyzed_at > 50 + 0.1 * analyzed_at:
            ta = perf()
            analyze()
            analyze_s += perf() - ta
            analyze_runs += 1
            analyzed_at = size
        times.append((perf() - t) / n)
        appended += n
        i += n
        if perf() - last_report > 15:
            last_report = perf()
            log(f"batch appends: {services.tree_size():,} entries, {appended / (perf() - t0):,.0f}/s")
    total = perf() - t0
    per_entry = stats(times, scale=1e6) if times else {}
    return {
        "batch": batch, "appended": appended, "from": start, "to": services.tree_size(), "seconds": total,
        "per_s": appended / total if total else 0.0, "batches": len(times), "per_entry_us": per_entry,
        "analyze_runs": analyze_runs, "analyze_s": analyze_s,
    }  # fmt: skip


# --- 2. proofs ----------------------------------------------------------------------------------------------


def bench_proofs(size: int, samples: int, seed: int) -> dict:
    from sulh.ledger import merkle, services

    inc = inclusion_samples(size, samples, seed)
    con = consistency_samples(size, samples, seed)
    for index, s in inc[:50]:  # warm-up
        services.inclusion(index, s)
    t_inc, t_inc_only, t_ver, lens, proofs = [], [], [], [], []
    for index, s in inc:
        t = perf()
        p = services.inclusion(index, s)
        t_inc.append(perf() - t)
        t = perf()
        merkle.inclusion_proof(index, s, services.read_hashes)
        t_inc_only.append(perf() - t)
        leaf = bytes.fromhex(p["entry_hash"])
        t = perf()
        merkle.verify_inclusion(leaf, index, s, p["proof"], p["root"])
        t_ver.append(perf() - t)
        lens.append(len(p["proof"]))
        proofs.append(p)
    c_full, c_only, c_ver, c_lens, cproofs = [], [], [], [], []
    for s1, s2 in con:
        t = perf()
        p = services.consistency(s1, s2)
        c_full.append(perf() - t)
        t = perf()
        merkle.consistency_proof(s1, s2, services.read_hashes)
        c_only.append(perf() - t)
        t = perf()
        merkle.verify_consistency(s1, s2, p["proof"], p["first_root"], p["second_root"])
        c_ver.append(perf() - t)
        c_lens.append(len(p["proof"]))
        cproofs.append(p)
    # A few proofs for the pymerkle run to compare with, hash for hash.
    check = {
        "inclusion": [
            {"index": p["leaf_index"], "size": p["tree_size"], "leaf": p["entry_hash"], "root": p["root"].hex(),
             "proof": [h.hex() for h in p["proof"]]}
            for p in proofs[:25]
        ],
        "consistency": [
            {"first": p["first"], "second": p["second"], "first_root": p["first_root"].hex(),
             "second_root": p["second_root"].hex(), "proof": [h.hex() for h in p["proof"]]}
            for p in cproofs[:25]
        ],
        "root": services.root_at(size).hex(),
        "size": size,
    }  # fmt: skip
    return {
        "size": size, "samples": samples,
        "inclusion": stats(t_inc, scale=1e6), "inclusion_proof_only": stats(t_inc_only, scale=1e6),
        "inclusion_verify": stats(t_ver, scale=1e6), "inclusion_len": sum(lens) / len(lens),
        "consistency": stats(c_full, scale=1e6), "consistency_proof_only": stats(c_only, scale=1e6),
        "consistency_verify": stats(c_ver, scale=1e6), "consistency_len": sum(c_lens) / len(c_lens),
        "check": check,
    }  # fmt: skip


# --- 3. export and full verification ------------------------------------------------------------------------


def bench_export(directory: Path) -> tuple[dict, object]:
    from sulh.ledger import services, tiles

    cp = services.sign_checkpoint()
    t = perf()
    info = tiles.export(directory, cp)
    seconds = perf() - t
    files = [p for p in directory.rglob("*") if p.is_file()]
    return {
        "seconds": seconds, "size": cp.size, "files": len(files), "bytes": sum(p.stat().st_size for p in files),
        "written": info["written"],
    }, cp  # fmt: skip


def read_bodies(directory: Path, size: int) -> list[bytes]:
    from sulh.ledger import merkle

    bodies: list[bytes] = []
    full, part = divmod(size, merkle.TILE_WIDTH)
    for n, width in [(n, None) for n in range(full)] + ([(full, part)] if part else []):
        bodies.extend(split_bundle((directory / merkle.entries_path(n, width)).read_bytes()))
    return bodies


def bench_verify(directory: Path, size: int, reps: int, with_entries: bool) -> dict:
    from sulh.ledger import keys, verify
    from sulh.ledger.note import parse_verifier_key
    from sulh.ledger.verify import DirSource, Trust, verify_log

    trust = Trust([parse_verifier_key(keys.log_verifier_key())])
    bodies = read_bodies(directory, size)
    body_bytes = sum(map(len, bodies))
    sha256 = hashlib.sha256
    raw = []
    for _ in range(max(reps, 3)):
        t = perf()
        for b in bodies:
            sha256(b).digest()
        raw.append(perf() - t)
    # The tree a verifier must rebuild: the leaf hashes and every interior node, in the tightest plain Python.
    tree = []
    for _ in range(max(reps, 3)):
        t = perf()
        level = [sha256(b"\x00" + b).digest() for b in bodies]
        while len(level) > 1:
            level = [sha256(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=False)]
        tree.append(perf() - t)
    del bodies
    hashes_only, ok = [], True
    for _ in range(reps):
        t = perf()
        report = verify_log(DirSource(directory), trust, check_entries=False)
        hashes_only.append(perf() - t)
        ok = ok and report.ok and report.size == size
    out = {
        "entries": size, "body_bytes": body_bytes, "raw_hash_s": min(raw), "tree_floor_s": min(tree),
        "hashes_only_s": min(hashes_only), "hashes_only_runs": hashes_only, "ok": ok, "cores": os.cpu_count(),
        "parallel": hasattr(verify, "PARALLEL_MIN_BUNDLES"),
    }  # fmt: skip
    out["ratio"] = out["hashes_only_s"] / out["raw_hash_s"]
    if out["parallel"]:  # the same work on one core: what the workers share out
        with one_core():
            runs = []
            for _ in range(max(1, reps - 1)):
                t = perf()
                ok = verify_log(DirSource(directory), trust, check_entries=False).ok and ok
                runs.append(perf() - t)
        out["one_core_s"] = min(runs)
    if with_entries:
        t = perf()
        report = verify_log(DirSource(directory), trust, check_entries=True)
        out["with_entries_s"] = perf() - t
        out["ok"] = ok and report.ok
    if out["ratio"] > 3:
        out["profile"] = profile_verify(directory, trust)
    return out


@contextmanager
def one_core():
    """verify_log without its worker processes (it hashes a large local mirror on every core)."""
    from sulh.ledger import verify

    saved = getattr(verify, "PARALLEL_MIN_BUNDLES", None)
    if saved is None:
        yield
        return
    verify.PARALLEL_MIN_BUNDLES = 1 << 62
    try:
        yield
    finally:
        verify.PARALLEL_MIN_BUNDLES = saved


def profile_verify(directory: Path, trust) -> list[dict]:
    """Where verify_log's time goes (hashes only): self time per function under cProfile, on one core (with
    worker processes the profile would only see the main process waiting for them)."""
    from sulh.ledger.verify import DirSource, verify_log

    prof = cProfile.Profile()
    with one_core():
        prof.enable()
        verify_log(DirSource(directory), trust, check_entries=False)
        prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = []
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in st.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(file).name}:{line} {name}" if line else name
        rows.append({"function": where, "calls": ncalls, "self_s": tottime, "cum_s": cumtime,
                     "share": tottime / total if total else 0})  # fmt: skip
    rows.sort(key=lambda r: -r["self_s"])
    return rows[:8]


def db_bytes() -> int | None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        name = Path(settings.DATABASES["default"]["NAME"])
        return sum(p.stat().st_size for p in name.parent.glob(name.name + "*") if p.is_file())
    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        return cur.fetchone()[0]


def main(argv: list[str]) -> int:
    params = json.loads(Path(argv[0]).read_text())
    result_path = Path(argv[1])
    res: dict = {"params": params}
    t_all = perf()
    res["db"] = setup()
    from django.db import connection

    from sulh.ledger import services

    log(f"{res['db']['vendor']} {res['db']['version']}: {services.tree_size()} entries after setup")
    phase("single")
    log(f"single appends: {params['singles']:,}, one transaction each")
    res["single"] = bench_single(params["singles"], "s")
    log(f"  p50 {res['single']['p50']:.3f} ms, p99 {res['single']['p99']:.3f} ms, {res['single']['per_s']:,.0f}/s")
    phase("request")
    log(f"incident creation with and without its ledger entries: {params['request_reps']} of each")
    res["request"] = bench_request(params["request_reps"])
    r = res["request"]
    log(f"  without {r['without']['p50']:.2f} ms, with {r['with']['p50']:.2f} ms (p50): +{r['added_p50_ms']:.2f} ms "
        f"for {r['appends_per_request']} appends")  # fmt: skip
    phase("batch")
    log(f"batch appends of {params['batch']:,} up to {params['entries']:,} entries")
    res["autovacuum_off"] = autovacuum_off()
    stand_in = res["autovacuum_off"] and params.get("analyze", True)
    if stand_in:
        log("  autovacuum is off on this server: ANALYZE runs when autovacuum would have run it")
    res["batch"] = bench_batch(params["entries"], params["batch"], "b", stand_in)
    log(f"  {res['batch']['appended']:,} entries in {res['batch']['seconds']:.1f} s: {res['batch']['per_s']:,.0f}/s")
    res["db_bytes"] = db_bytes()
    size = services.tree_size()
    if connection.vendor == "postgresql":
        analyze()  # fresh statistics for the proofs, whatever autovacuum has or has not done yet
    phase("proofs")
    log(f"proofs at {size:,} entries: {params['samples']:,} random samples each")
    res["proofs"] = bench_proofs(size, params["samples"], params["seed"])
    p = res["proofs"]
    log(f"  inclusion p50 {p['inclusion']['p50']:.0f} µs, consistency p50 {p['consistency']['p50']:.0f} µs, "
        f"verify p50 {p['inclusion_verify']['p50']:.0f} / {p['consistency_verify']['p50']:.0f} µs")  # fmt: skip
    export_dir = Path(params["export_dir"])
    phase("export")
    log(f"export to tlog-tiles in {export_dir}")
    res["export"], _cp = bench_export(export_dir)
    log(f"  {res['export']['files']:,} files, {res['export']['bytes'] / 1e6:,.0f} MB in {res['export']['seconds']:.1f} s")
    if params.get("verify"):
        log(f"full verification of the export ({params['verify_reps']} runs, hashes only; then once with entry checks)")
        res["verify"] = bench_verify(export_dir, size, params["verify_reps"], params["verify_entries"])
        v = res["verify"]
        log(f"  raw SHA-256 {v['raw_hash_s']:.2f} s, verify (hashes) {v['hashes_only_s']:.2f} s = {v['ratio']:.1f}x"
            + (f", with entry checks {v['with_entries_s']:.1f} s" if "with_entries_s" in v else ""))
    phase("single_at_size")
    log(f"single appends again, at {services.tree_size():,} entries: {params['singles_at_size']:,}")
    res["single_at_size"] = bench_single(params["singles_at_size"], "z")
    phase("end")
    res["env"] = ENV
    res["seconds"] = perf() - t_all
    result_path.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
