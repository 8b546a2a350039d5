"""The ledger benchmark's peer: pymerkle (GPLv3, a benchmark peer only, never a Sulh dependency; pinned in
bench/requirements-peers.txt). Run by `python -m bench.ledger` as a subprocess, with no Django:

    python -m bench.ledger_peers PARAMS.json CHECK.json RESULT.json

It appends the very entry bodies of Sulh's log (read from the tlog-tiles export of the Sulh run), checks that
pymerkle's roots and proofs equal Sulh's hash for hash (CHECK.json: roots and proofs from the Sulh run), and
measures pymerkle's InmemoryTree and SqliteTree on the same figures. Sulh's own Merkle code is measured here
too, in memory, so that the tree algorithms can be compared without either side's storage."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from bench.ledger import consistency_samples, inclusion_samples, split_bundle, stats

perf = time.perf_counter


def log(msg: str) -> None:
    print(f"  [pymerkle] {msg}", file=sys.stderr, flush=True)


def read_bodies(directory: Path, size: int) -> list[bytes]:
    from sulh.ledger import merkle

    bodies: list[bytes] = []
    full, part = divmod(size, merkle.TILE_WIDTH)
    for n, width in [(n, None) for n in range(full)] + ([(full, part)] if part else []):
        bodies.extend(split_bundle((directory / merkle.entries_path(n, width)).read_bytes()))
    return bodies


def rss_mb() -> float:
    """Resident memory now (Linux), else the peak."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- appends ------------------------------------------------------------------------------------------------


def singles(tree, bodies: list[bytes], count: int) -> dict:
    times = []
    t0 = perf()
    for b in bodies[:count]:
        t = perf()
        tree.append_entry(b)
        times.append(perf() - t)
    total = perf() - t0
    out = stats(times, scale=1e3)
    out.update(count=count, per_s=count / total)
    return out


def build_inmemory(bodies: list[bytes], count: int) -> tuple[object, dict, dict]:
    from pymerkle import InmemoryTree

    tree = InmemoryTree()
    rss0 = rss_mb()
    single = singles(tree, bodies, count)
    t = perf()
    for b in bodies[count:]:  # pymerkle's append_entries is this same loop for InmemoryTree
        tree.append_entry(b)
    rest = perf() - t
    n = len(bodies) - count
    return tree, single, {"appended": n, "seconds": rest, "per_s": n / rest if rest else 0.0,
                          "rss_mb": rss_mb() - rss0}  # fmt: skip


def build_sqlite(bodies: list[bytes], count: int, batch: int, path: Path) -> tuple[object, dict, dict, dict]:
    from pymerkle import SqliteTree

    # As shipped (rollback journal, synchronous=FULL), and with Sulh's SQLite settings, for single appends.
    wal_path = path.with_name("pymerkle-wal.db")
    wal = SqliteTree(str(wal_path))
    wal.con.execute("PRAGMA journal_mode=WAL")
    wal.con.execute("PRAGMA synchronous=NORMAL")
    single_wal = singles(wal, bodies, count)
    wal.close()
    for p in wal_path.parent.glob(wal_path.name + "*"):
        p.unlink()
    tree = SqliteTree(str(path))
    single = singles(tree, bodies, count)
    t0 = perf()
    times = []
    for i in range(count, len(bodies), batch):
        chunk = bodies[i : i + batch]
        t = perf()
        tree.append_entries(chunk)
        times.append((perf() - t) / len(chunk))
    total = perf() - t0
    n = len(bodies) - count
    b = {"batch": batch, "appended": n, "seconds": total, "per_s": n / total if total else 0.0,
         "per_entry_us": stats(times, scale=1e6) if times else {}, "db_bytes": path.stat().st_size}  # fmt: skip
    return tree, single, single_wal, b


# --- proofs -------------------------------------------------------------------------------------------------


def proofs(tree, size: int, samples: int, seed: int, max_s: float) -> dict:
    from pymerkle import verify_consistency, verify_inclusion

    out: dict = {}
    inc = inclusion_samples(size, samples, seed)
    con = consistency_samples(size, samples, seed)
    t = perf()
    tree.prove_inclusion(inc[0][0] + 1, inc[0][1])
    out["first_inclusion_ms"] = (perf() - t) * 1e3
    t = perf()
    tree.get_root(size)
    out["first_root_ms"] = (perf() - t) * 1e3
    only, full, ver, lens = [], [], [], []
    t_phase = perf()
    for index, s in inc:
        t = perf()
        proof = tree.prove_inclusion(index + 1, s)  # pymerkle counts leaves from 1
        t1 = perf()
        leaf = tree.get_leaf(index + 1)  # what Sulh's inclusion() returns besides the proof
        root = tree.get_root(s)
        t2 = perf()
        only.append(t1 - t)
        full.append(t2 - t)
        t = perf()
        verify_inclusion(leaf, root, proof)
        ver.append(perf() - t)
        lens.append(len(proof.path))
        if perf() - t_phase > max_s:
            break
    out.update(inclusion_proof_only=stats(only, scale=1e6), inclusion=stats(full, scale=1e6),
               inclusion_verify=stats(ver, scale=1e6), inclusion_samples=len(only),
               inclusion_len=sum(lens) / len(lens))  # fmt: skip
    only, full, ver, lens = [], [], [], []
    t_phase = perf()
    for s1, s2 in con:
        t = perf()
        proof = tree.prove_consistency(s1, s2)
        t1 = perf()
        r1, r2 = tree.get_root(s1), tree.get_root(s2)
        t2 = perf()
        only.append(t1 - t)
        full.append(t2 - t)
        t = perf()
        verify_consistency(r1, r2, proof)
        ver.append(perf() - t)
        lens.append(len(proof.path))
        if perf() - t_phase > max_s:
            break
    out.update(consistency_proof_only=stats(only, scale=1e6), consistency=stats(full, scale=1e6),
               consistency_verify=stats(ver, scale=1e6), consistency_samples=len(only),
               consistency_len=sum(lens) / len(lens))  # fmt: skip
    return out


def compare(tree, check: dict) -> dict:
    """pymerkle's roots and proofs against Sulh's, for the same entries."""
    from pymerkle import InvalidProof, verify_consistency

    roots = inc_equal = con_verified = con_rfc_equal = 0
    mismatches: list[str] = []
    pm_len, rfc_len = [], []
    if tree.get_root(check["size"]).hex() == check["root"]:
        roots += 1
    else:
        mismatches.append(f"root at {check['size']}")
    for c in check["inclusion"]:
        p = tree.prove_inclusion(c["index"] + 1, c["size"])
        roots += tree.get_root(c["size"]).hex() == c["root"]
        # pymerkle's path starts with the leaf hash itself, then the RFC 9162 audit path from the leaf up.
        if p.path[0].hex() == c["leaf"] and [h.hex() for h in p.path[1:]] == c["proof"]:
            inc_equal += 1
        else:
            mismatches.append(f"inclusion proof of {c['index']} in {c['size']}")
    for c in check["consistency"]:
        p = tree.prove_consistency(c["first"], c["second"])
        roots += tree.get_root(c["first"]).hex() == c["first_root"]
        roots += tree.get_root(c["second"]).hex() == c["second_root"]
        try:  # pymerkle's proof against Sulh's roots
            verify_consistency(bytes.fromhex(c["first_root"]), bytes.fromhex(c["second_root"]), p)
            con_verified += 1
        except InvalidProof:
            mismatches.append(f"consistency proof {c['first']} to {c['second']} does not verify with Sulh's roots")
        # Is it RFC 9162's proof? pymerkle keeps the old tree's own subtree first, which RFC 9162 leaves out
        # when the old tree is a complete subtree of the new one (a power-of-two size).
        path = [h.hex() for h in p.path]
        if c["first"] & (c["first"] - 1) == 0:
            path = path[1:]
        con_rfc_equal += path == c["proof"]
        pm_len.append(len(p.path))
        rfc_len.append(len(c["proof"]))
    checked_roots = 1 + len(check["inclusion"]) + 2 * len(check["consistency"])
    return {
        "roots_equal": roots, "roots_checked": checked_roots,
        "inclusion_equal": inc_equal, "inclusion_checked": len(check["inclusion"]),
        "consistency_verified": con_verified, "consistency_rfc_equal": con_rfc_equal,
        "consistency_checked": len(check["consistency"]),
        "consistency_len": sum(pm_len) / max(len(pm_len), 1), "consistency_rfc_len": sum(rfc_len) / max(len(rfc_len), 1),
        "mismatches": mismatches[:10],
    }  # fmt: skip


# --- Sulh's Merkle code alone, in memory --------------------------------------------------------------------


def sulh_in_memory(bodies: list[bytes], count: int, batch: int) -> dict:
    """sulh.ledger.merkle as services.append uses it (leaf hash, then append_leaves on the frontier), without
    the database: what the tree costs, next to pymerkle's InmemoryTree."""
    from sulh.ledger import merkle

    size, frontier, times = 0, [], []
    t0 = perf()
    for b in bodies[:count]:
        t = perf()
        _nodes, frontier = merkle.append_leaves(size, frontier, [merkle.leaf_hash(b)])
        size += 1
        times.append(perf() - t)
    single_total = perf() - t0
    t0 = perf()
    for i in range(count, len(bodies), batch):
        chunk = bodies[i : i + batch]
        _nodes, frontier = merkle.append_leaves(size, frontier, [merkle.leaf_hash(b) for b in chunk])
        size += len(chunk)
    total = perf() - t0
    single = stats(times, scale=1e3)
    single.update(count=count, per_s=count / single_total)
    n = len(bodies) - count
    return {"single": single, "batch": {"appended": n, "seconds": total, "per_s": n / total if total else 0.0},
            "root": merkle.root_from_frontier(frontier).hex()}  # fmt: skip


def main(argv: list[str]) -> int:
    params = json.loads(Path(argv[0]).read_text())
    check = json.loads(Path(argv[1]).read_text())
    result_path = Path(argv[2])
    import pymerkle

    res: dict = {"version": pymerkle.__version__}
    size = check["size"]
    t_all = perf()
    bodies = read_bodies(Path(params["export_dir"]), size)
    log(f"pymerkle {pymerkle.__version__}: {len(bodies):,} entry bodies read from Sulh's export")
    count, batch = params["singles"], params["batch"]

    res["sulh_memory"] = sulh_in_memory(bodies, count, batch)
    res["sulh_memory"]["root_equal"] = res["sulh_memory"]["root"] == check["root"]

    log(f"InmemoryTree: {count:,} single appends timed, then the rest to {size:,}")
    tree, single, build = build_inmemory(bodies, count)
    res["inmemory"] = {"single": single, "build": build}
    log(f"  p50 {single['p50'] * 1e3:.1f} µs; {build['per_s']:,.0f}/s; {build['rss_mb']:,.0f} MB")
    res["inmemory"]["check"] = compare(tree, check)
    c = res["inmemory"]["check"]
    log(f"  roots {c['roots_equal']}/{c['roots_checked']} equal to Sulh's; inclusion proofs "
        f"{c['inclusion_equal']}/{c['inclusion_checked']} equal; consistency proofs verify with Sulh's roots "
        f"{c['consistency_verified']}/{c['consistency_checked']}, equal to RFC 9162's {c['consistency_rfc_equal']}")
    res["inmemory"]["proofs"] = proofs(tree, size, params["samples"], params["seed"], params["peer_max_s"])
    del tree

    work = Path(params["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    db = work / "pymerkle.db"
    log(f"SqliteTree: {count:,} single appends (as shipped, and in WAL mode), batches of {batch:,} to {size:,}")
    tree, single, single_wal, b = build_sqlite(bodies, count, batch, db)
    del bodies
    res["sqlite"] = {"single": single, "single_wal": single_wal, "batch": b}
    log(f"  single p50 {single['p50']:.3f} ms (WAL {single_wal['p50']:.3f} ms); batch {b['per_s']:,.0f}/s")
    res["sqlite"]["proofs"] = proofs(tree, size, params["samples"], params["seed"], params["peer_max_s"])
    res["sqlite"]["check"] = compare(tree, check)
    tree.close()
    for p in work.glob("pymerkle*"):
        p.unlink()
    res["seconds"] = perf() - t_all
    result_path.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    sys.exit(main(sys.argv[1:]))
