"""Check a copy of the log on your own machine: `sulh log verify`.

Pure Python with no database and no Django: a party's legal adviser can run it against a mirror (a
directory written by `sulh log export`, or the server's /log/ over HTTP) with nothing but the keys they
trust. It recomputes every hash from the entries and reports each discrepancy by name."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import rfc8785

from . import merkle
from .note import NoteError, Verifier
from .tlog import Checkpoint, OpenedCheckpoint, Policy, open_checkpoint

_sha256 = hashlib.sha256


def _hex(h: bytes) -> str:
    return h.hex()


# --- where the log comes from ----------------------------------------------------------------------


class Source:
    """Something that answers paths of the tlog-tiles layout ("checkpoint", "tile/0/000" …)."""

    def fetch(self, path: str) -> bytes | None:  # None: not there
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class DirSource(Source):
    def __init__(self, root: Path):
        self.root = Path(root)

    def fetch(self, path: str) -> bytes | None:
        p = self.root / path
        return p.read_bytes() if p.is_file() else None

    def describe(self) -> str:
        return str(self.root)


class HttpSource(Source):
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0):
        self.base = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    def fetch(self, path: str) -> bytes | None:
        req = urllib.request.Request(self.base + path)  # noqa: S310 -- http(s) only, see source_for
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 -- the user's own URL
                return resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def describe(self) -> str:
        return self.base


def source_for(where: str, token: str | None = None) -> Source:
    if where.startswith(("http://", "https://")):
        return HttpSource(where, token)
    return DirSource(Path(where))


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    where: str  # "entry 785", "tile/0/003", "checkpoint", "claim 7b0c…"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Report:
    source: str = ""
    size: int = 0
    root: bytes = b""
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checkpoint: OpenedCheckpoint | None = None
    witnesses: set[str] = field(default_factory=set)
    quorum_met: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def lines(self) -> list[str]:
        head = f"log at {self.source}: {self.size:,} entries"
        if self.root:
            head += f", root {_hex(self.root)}"
        out = [head, *(f"  ok: {n}" for n in self.notes), *(f"  warning: {w}" for w in self.warnings)]
        out += [f"  PROBLEM {p}" for p in self.problems]
        out.append("VERIFIED: no problem found" if self.ok else f"FAILED: {len(self.problems)} problem(s)")
        return out


# --- verification -------------------------------------------------------------------------------------


@dataclass
class Trust:
    """What the verifier trusts, from its own copy: the log's key(s) and, optionally, the witness policy."""

    log_verifiers: list[Verifier]
    policy: Policy | None = None

    @classmethod
    def from_policy(cls, policy_text: str) -> Trust:
        policy = Policy.parse(policy_text)
        return cls(policy.log_verifiers(), policy)


def verify_log(
    source: Source,
    trust: Trust,
    *,
    saved_checkpoint: str | None = None,
    require_witnessed: bool = False,
    check_entries: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    report = Report(source=source.describe())
    note = source.fetch("checkpoint")
    if note is None:
        report.problem("checkpoint", "the mirror has no checkpoint file")
        return report
    opened = _open(report, note, trust)
    if opened is None:
        return report
    cp = opened.checkpoint
    report.size, report.root, report.checkpoint = cp.size, cp.root, opened

    saved_size = _saved_size(saved_checkpoint, trust, report)
    keep = saved_size // merkle.TILE_WIDTH if saved_size and saved_size < cp.size else None
    bundles = _fetch_entries(report, source, cp.size, progress, check_entries, keep)
    if bundles is None:
        return report
    if check_entries:
        _check_entries(report, bundles)
    root, prefix_root = _check_tree(report, source, bundles, cp.size, saved_size)
    if root != cp.root:
        report.problem(
            "checkpoint",
            f"the root recomputed from the {cp.size:,} entries, {_hex(root)}, is not the signed root "
            f"{_hex(cp.root)}: entries were altered, removed, reordered or added after it was signed",
        )
    else:
        report.notes.append(f"root recomputed from all {cp.size:,} entries matches the signed checkpoint")
    if saved_checkpoint is not None:
        _check_saved(report, saved_checkpoint, trust, cp, prefix_root)
    if require_witnessed and report.quorum_met is False:
        report.problem("checkpoint", "the checkpoint is not witnessed by the policy's quorum")
    return report


def _open(report: Report, note: bytes, trust: Trust) -> OpenedCheckpoint | None:
    witnesses = trust.policy.witness_verifiers() if trust.policy else []
    try:
        opened = open_checkpoint(note, trust.log_verifiers, witnesses)
    except (NoteError, ValueError) as exc:
        report.problem("checkpoint", f"does not verify with the trusted log key: {exc}")
        return None
    report.notes.append(f"checkpoint signed by the log ({opened.checkpoint.origin}, size {opened.checkpoint.size:,})")
    if trust.policy is not None:
        report.witnesses = trust.policy.cosigners(opened.cosignatures)
        report.quorum_met = trust.policy.satisfied(report.witnesses)
        names = ", ".join(sorted(report.witnesses)) or "nobody"
        if report.quorum_met:
            report.notes.append(f"witnessed: quorum {trust.policy.quorum} met (cosigned by {names})")
        else:
            missing = "; ".join(trust.policy.explain(report.witnesses))
            report.warnings.append(f"NOT witnessed: cosigned by {names}; {missing}")
    for sig in opened.unverified:
        report.warnings.append(f"signature from unknown key {sig.name}+{sig.key_id:08x} ignored")
    return opened


@dataclass
class _Bundle:
    """What one entry bundle yields: its leaf hashes (joined), the root of its 256 leaves when full (tree
    level 8), and, for the entry checks, a summary of each entry (or the error that makes it malformed)."""

    count: int  # entries found in the file
    leaves: bytes = b""
    root8: bytes | None = None
    summaries: list | None = None
    malformed: bool = False
    tile_ok: bool = False  # a worker already found its level-0 tile equal to these leaves (and sent none back)


class _Float(Exception):
    pass


def _no_float(text: str):
    raise _Float(text)


def _fast_canonical(e) -> bytes:
    return json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _summarise(body: bytes):
    """(record type, record id, version, time) of a well-formed entry, else the error as a string."""
    try:
        e = json.loads(body, parse_float=_no_float)
        # Sulh's entries hold only objects with ASCII keys, strings and integers; for those, Python's sorted
        # compact JSON is exactly RFC 8785's, and 20× faster to produce than the general encoder, which
        # still decides whenever the two could differ.
        if _fast_canonical(e) != body and rfc8785.dumps(e) != body:
            raise ValueError("not in RFC 8785 canonical form")
        if set(e) != _FIELDS:
            raise ValueError(f"fields {sorted(e)} are not {sorted(_FIELDS)}")
        return (e["record"]["type"], e["record"]["id"], int(e["version"]), str(e["time"]))
    except _Float as exc:
        return f"holds a number with a fraction ({exc}): entries never do"
    except (ValueError, KeyError, TypeError) as exc:
        return str(exc)


# Below this many bundles (64 × 256 entries) starting worker processes costs more than it saves.
PARALLEL_MIN_BUNDLES = 64


def _work(data_or_path, want: int, summarise: bool) -> _Bundle:
    """One bundle's hashing, in a worker process or inline: split, hash each entry as a leaf, and for a
    full bundle hash its subtree up to tree level 8 (so the main process only combines 1/256 of the nodes)."""
    data = data_or_path if isinstance(data_or_path, bytes) else Path(data_or_path).read_bytes()
    got = _split_bundle(data)
    if got is None:
        return _Bundle(0, malformed=True)
    if len(got) < want:
        return _Bundle(len(got))
    got = got[:want]
    h, leaf, node = _sha256, b"\x00", b"\x01"
    leaves = [h(leaf + b).digest() for b in got]
    root8 = None
    if want == merkle.TILE_WIDTH:
        level = leaves
        while len(level) > 1:
            level = [h(node + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=True)]
        root8 = level[0]
    return _Bundle(want, b"".join(leaves), root8, [_summarise(b) for b in got] if summarise else None)


def _work_many(jobs: list[tuple[str, int, str | None, bool]], summarise: bool) -> list[_Bundle]:
    """Worker side: each bundle hashed, and compared with its level-0 tile here, so that only a tile that
    differs sends its leaf hashes back (32 bytes an entry would otherwise cross between processes)."""
    out = []
    for path, want, tile, keep in jobs:
        b = _work(path, want, summarise)
        if tile is not None and not keep and not b.malformed and b.count == want:
            data = Path(tile).read_bytes() if Path(tile).is_file() else None
            if data is not None and data[: len(b.leaves)] == b.leaves:
                b.leaves, b.tile_ok = b"", True
        out.append(b)
    return out


def _bundle_plan(size: int) -> list[tuple[int, int | None]]:
    full, part = divmod(size, merkle.TILE_WIDTH)
    return [(n, None) for n in range(full)] + ([(full, part)] if part else [])


def _fetch_entries(
    report: Report, source: Source, size: int, progress, summarise: bool, keep: int | None = None
) -> list[_Bundle] | None:
    """Every bundle of a tree of `size`, hashed; bundle `keep` (a saved checkpoint's boundary) and the last,
    partial one always come back with their leaf hashes."""
    plan = _bundle_plan(size)
    results: list[_Bundle | None] = [None] * len(plan)
    local = isinstance(source, DirSource) and len(plan) >= PARALLEL_MIN_BUNDLES
    if local:  # files on this machine: read and hash them on every core
        import os
        from concurrent.futures import ProcessPoolExecutor

        jobs = []
        for n, width in plan:
            path = source.root / merkle.entries_path(n, width)
            if width is not None and not path.is_file():
                path = source.root / merkle.entries_path(n)  # a later, full bundle also holds these entries
            tile = source.root / merkle.tile_path(0, n, width)
            if width is not None and not tile.is_file():
                tile = source.root / merkle.tile_path(0, n)
            jobs.append((str(path) if path.is_file() else None, width or merkle.TILE_WIDTH,
                         str(tile), width is not None or n == keep))  # fmt: skip
        missing = [k for k, job in enumerate(jobs) if job[0] is None]
        if missing:
            _missing(report, plan, missing[0])
            return None
        chunk = 32
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            futures = [pool.submit(_work_many, jobs[i : i + chunk], summarise) for i in range(0, len(jobs), chunk)]
            for i, fut in enumerate(futures):
                results[i * chunk : i * chunk + chunk] = fut.result()
                if progress and i % 32 == 31:
                    progress(f"{min(len(jobs), (i + 1) * chunk) * merkle.TILE_WIDTH:,} entries read")
    else:
        for k, (n, width) in enumerate(plan):
            data = source.fetch(merkle.entries_path(n, width))
            if data is None and width is not None:
                data = source.fetch(merkle.entries_path(n))
            if data is None:
                _missing(report, plan, k)
                return None
            results[k] = _work(data, width or merkle.TILE_WIDTH, summarise)
    for (n, width), b in zip(plan, results, strict=True):
        path = merkle.entries_path(n, width)
        want = width or merkle.TILE_WIDTH
        if b.malformed:
            report.problem(path, "entry bundle is malformed (a length prefix runs past its end)")
            return None
        if b.count < want:
            report.problem(
                f"entry {n * merkle.TILE_WIDTH + b.count:,}",
                f"missing: {path} holds {b.count} entries where the checkpoint needs {want} "
                "(entries were deleted from the log)",
            )
            return None
    return results


def _missing(report: Report, plan, k: int):
    n, width = plan[k]
    want = width or merkle.TILE_WIDTH
    report.problem(
        merkle.entries_path(n, width),
        f"entry bundle missing: entries {n * 256:,}..{n * 256 + want - 1:,} cannot be checked",
    )


def _split_bundle(data: bytes) -> list[bytes] | None:
    out, i, n = [], 0, len(data)
    while i < n:
        if i + 2 > n:
            return None
        length = (data[i] << 8) | data[i + 1]
        j = i + 2 + length
        if j > n:
            return None
        out.append(data[i + 2 : j])
        i = j
    return out


def _split_hashes(blob: bytes) -> list[bytes]:
    return [blob[i : i + 32] for i in range(0, len(blob), 32)]


def _check_tree(
    report: Report, source: Source, bundles: list[_Bundle], size: int, prefix_size: int | None
) -> tuple[bytes, bytes | None]:
    """Compare every hash tile with the hashes recomputed from the entries, and return the root (and the
    root of the first `prefix_size` entries, for a saved checkpoint). Full bundles arrive with their level-8
    subtree roots; only the last, partial bundle's levels 1..7 are computed here."""
    bad_tiles = _compare_leaf_tiles(report, source, bundles)
    full = size // merkle.TILE_WIDTH
    tail = _split_hashes(bundles[-1].leaves) if size % merkle.TILE_WIDTH else []
    level8 = [b.root8 for b in bundles[:full]]
    frontier: list[bytes] = []
    hashes, level = tail, 0
    h, node = _sha256, b"\x01"
    while True:
        if level and level % merkle.TILE_HEIGHT == 0 and hashes:
            bad_tiles += _compare_tiles(report, source, level // merkle.TILE_HEIGHT, hashes, bad_tiles)
        if len(hashes) & 1:
            frontier.append(hashes[-1])
        nxt = [h(node + a + b).digest() for a, b in zip(hashes[::2], hashes[1::2], strict=False)]
        level += 1
        if level == merkle.TILE_HEIGHT:
            nxt = level8  # the tail (< 256 entries) has nothing at level 8; the full bundles' roots are it
        if not nxt and level >= merkle.TILE_HEIGHT:
            break
        hashes = nxt
    root = merkle.root_from_frontier(list(reversed(frontier))) if size else merkle.EMPTY_ROOT
    if bad_tiles == 0:
        report.notes.append("every stored tree hash (tile) matches the hashes recomputed from the entries")
    prefix_root = None
    if prefix_size is not None and 0 < prefix_size <= size:
        prefix_root = _prefix_root(bundles, prefix_size)
    return root, prefix_root


def _prefix_root(bundles: list[_Bundle], m: int) -> bytes:
    """Root of the first m entries: the perfect subtrees over whole bundles come from their level-8 roots,
    the rest from the leaves of the bundle holding entry m (which the workers sent back)."""
    full, rem = divmod(m, merkle.TILE_WIDTH)
    upper = merkle.TreeBuilder()
    upper.add_many([b.root8 for b in bundles[:full]])  # its level L is the tree's level L + 8
    lower = merkle.TreeBuilder()
    if rem:
        lower.add_many(_split_hashes(bundles[full].leaves)[:rem])
    return merkle.root_from_frontier(upper.frontier + lower.frontier)


def _compare_leaf_tiles(report: Report, source: Source, bundles: list[_Bundle]) -> int:
    """Level-0 tiles against the leaves, bundle by bundle: the bytes compare whole; only a tile that
    differs is split to name the entries."""
    bad = 0
    for n, b in enumerate(bundles):
        if b.tile_ok:
            continue
        width = None if len(b.leaves) == 32 * merkle.TILE_WIDTH else len(b.leaves) // 32
        data = source.fetch(merkle.tile_path(0, n, width))
        if data is None and width is not None:
            full = source.fetch(merkle.tile_path(0, n))
            data = full[: len(b.leaves)] if full is not None else None
        if data == b.leaves:
            continue
        before = bad
        pad = [bytes(32)] * (n * merkle.TILE_WIDTH)  # positions before this tile: _compare_tiles indexes by n
        bad += _compare_tiles(report, source, 0, pad + _split_hashes(b.leaves), bad, only=n)
        if bad == before:
            bad += 1
    return bad


def _compare_tiles(
    report: Report, source: Source, tile_level: int, hashes: list[bytes], bad_before: int, only: int | None = None
) -> int:
    bad = 0
    full, part = divmod(len(hashes), merkle.TILE_WIDTH)
    for n, width in [(n, None) for n in range(full)] + ([(full, part)] if part else []):
        if only is not None and n != only:
            continue
        w = width or merkle.TILE_WIDTH
        path = merkle.tile_path(tile_level, n, width)
        data = source.fetch(path)
        if data is None and width is not None:
            data = source.fetch(merkle.tile_path(tile_level, n))
            data = data[: w * 32] if data is not None else None
        mine = hashes[n * merkle.TILE_WIDTH : n * merkle.TILE_WIDTH + w]
        if data is None:
            report.problem(path, "hash tile missing from the mirror")
            bad += 1
            continue
        if data == b"".join(mine):
            continue
        bad += 1
        for i, h in enumerate(mine):
            stored = data[i * 32 : i * 32 + 32]
            if stored == h:
                continue
            idx = n * merkle.TILE_WIDTH + i
            if tile_level == 0:
                report.problem(
                    f"entry {idx:,}",
                    f"its hash {h.hex()[:16]}… differs from the stored tree ({path}, hash {i}: "
                    f"{stored.hex()[:16] or 'none'}…): the entry or the stored tree was altered",
                )
            else:
                lvl = tile_level * merkle.TILE_HEIGHT
                first, last = idx << lvl, ((idx + 1) << lvl) - 1
                report.problem(
                    f"tree node level {lvl} index {idx:,}",
                    f"stored hash ({path}, hash {i}) {stored.hex()[:16] or 'none'}… differs from "
                    f"{h.hex()[:16]}… recomputed from entries {first:,}..{last:,}: the stored tree was altered",
                )
            if len(report.problems) > 200 + bad_before:
                return bad
    return bad


_FIELDS = {"v", "kind", "record", "version", "actor", "time", "content_sha256"}


def _check_entries(report: Report, bundles: list[_Bundle]) -> None:
    """What the hashes cannot say: each entry is well-formed canonical JSON, each record's versions run
    1, 2, 3 … and entry times never run backwards."""
    last_version: dict[tuple[str, str], tuple[int, int]] = {}
    last_time, last_time_index = "", -1
    bad = 0
    i = -1
    for summary in (s for b in bundles for s in b.summaries):
        i += 1
        if isinstance(summary, str):
            report.problem(f"entry {i:,}", f"malformed: {summary}")
            bad += 1
            continue
        rtype, rid, version, time = summary
        key = (rtype, rid)
        prev = last_version.get(key)
        expected = 1 if prev is None else prev[0] + 1
        if version != expected:
            where = f"{rtype} {rid}"
            if prev is not None and version <= prev[0]:
                msg = f"version {version} comes after version {prev[0]} (entry {prev[1]:,}): entries reordered"
            else:
                msg = f"version {version} where {expected} was due: version(s) {expected}..{version - 1} missing"
            report.problem(f"entry {i:,}", f"{where}: {msg}")
            bad += 1
        last_version[key] = (version, i)
        if time < last_time:
            report.problem(
                f"entry {i:,}", f"time {time} is earlier than entry {last_time_index:,} ({last_time}): reordered or back-dated"
            )
            bad += 1
        else:
            last_time, last_time_index = time, i
        if bad > 200:
            report.problem("entries", "more than 200 problems: stopped listing")
            return
    if bad == 0:
        report.notes.append(
            f"all {i + 1:,} entries are canonical, each record's versions run in order, times never go back"
        )


def _saved_size(saved: str | None, trust: Trust, report: Report) -> int | None:
    if saved is None:
        return None
    try:
        return Checkpoint.parse(saved.split("\n\n", 1)[0] + "\n").size
    except ValueError:
        return None


def _check_saved(report: Report, saved: str, trust: Trust, cp: Checkpoint, prefix_root: bytes | None) -> None:
    """A checkpoint the verifier kept from before: the log must still contain that exact tree."""
    try:
        old = open_checkpoint(saved, trust.log_verifiers).checkpoint
    except (NoteError, ValueError) as exc:
        report.problem("saved checkpoint", f"does not verify with the trusted log key: {exc}")
        return
    if old.origin != cp.origin:
        report.problem("saved checkpoint", f"is for log {old.origin!r}, not {cp.origin!r}")
    elif old.size > cp.size:
        report.problem(
            "saved checkpoint",
            f"the log now has {cp.size:,} entries but you saw {old.size:,} before: the log was rolled back",
        )
    elif old.size == cp.size and old.root != cp.root:
        report.problem(
            "saved checkpoint",
            f"FORK: the log signed two different trees of size {cp.size:,} (roots {_hex(old.root)} and "
            f"{_hex(cp.root)}): keep both checkpoints, they prove the log showed two histories",
        )
    elif old.size and prefix_root != old.root:
        report.problem(
            "saved checkpoint",
            f"the first {old.size:,} entries no longer hash to the root you saved ({_hex(old.root)}; now "
            f"{_hex(prefix_root or b'')}): history before entry {old.size:,} was rewritten",
        )
    else:
        report.notes.append(f"consistent with your saved checkpoint of size {old.size:,}")
