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

    leaves, bodies = _fetch_entries(report, source, cp.size, progress)
    if leaves is None:
        return report
    if check_entries:
        _check_entries(report, bodies)
    del bodies
    root, prefix_root = _check_tree(report, source, leaves, cp.size, _saved_size(saved_checkpoint, trust, report))
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


def _fetch_entries(report: Report, source: Source, size: int, progress) -> tuple[list[bytes] | None, list[bytes]]:
    leaves: list[bytes] = []
    bodies: list[bytes] = []
    full, part = divmod(size, merkle.TILE_WIDTH)
    bundles = [(n, None) for n in range(full)] + ([(full, part)] if part else [])
    for k, (n, width) in enumerate(bundles):
        path = merkle.entries_path(n, width)
        data = source.fetch(path)
        want = width or merkle.TILE_WIDTH
        if data is None and width is not None:
            full_data = source.fetch(merkle.entries_path(n))  # a later, full bundle also holds these entries
            data = full_data
        if data is None:
            report.problem(path, f"entry bundle missing: entries {n * 256:,}..{n * 256 + want - 1:,} cannot be checked")
            return None, []
        got = _split_bundle(data)
        if got is None:
            report.problem(path, "entry bundle is malformed (a length prefix runs past its end)")
            return None, []
        if len(got) < want:
            first_missing = n * merkle.TILE_WIDTH + len(got)
            report.problem(
                f"entry {first_missing:,}",
                f"missing: {path} holds {len(got)} entries where the checkpoint needs {want} "
                "(entries were deleted from the log)",
            )
            return None, []
        got = got[:want]
        bodies.extend(got)
        leaves.extend([_sha256(b"\x00" + b).digest() for b in got])
        if progress and k % 1000 == 999:
            progress(f"{len(leaves):,} entries read")
    return leaves, bodies


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


def _check_tree(
    report: Report, source: Source, leaves: list[bytes], size: int, prefix_size: int | None
) -> tuple[bytes, bytes | None]:
    """Recompute every level from the leaves, compare each hash tile, and return the root (and the root of
    the first `prefix_size` leaves, for a saved checkpoint)."""
    frontier: list[bytes] = []
    level_hashes = leaves
    level = 0
    bad_tiles = 0
    while level_hashes:
        if level % merkle.TILE_HEIGHT == 0:
            bad_tiles += _compare_tiles(report, source, level // merkle.TILE_HEIGHT, level_hashes, bad_tiles)
        if len(level_hashes) & 1:
            frontier.append(level_hashes[-1])
        h, node = _sha256, b"\x01"
        level_hashes = [h(node + a + b).digest() for a, b in zip(level_hashes[::2], level_hashes[1::2], strict=False)]
        level += 1
    root = merkle.root_from_frontier(list(reversed(frontier)))
    if bad_tiles == 0:
        report.notes.append("every stored tree hash (tile) matches the hashes recomputed from the entries")
    prefix_root = None
    if prefix_size is not None and 0 < prefix_size <= size:
        prefix_root = merkle.root_from_leaf_hashes(leaves[:prefix_size])
    return root, prefix_root


def _compare_tiles(report: Report, source: Source, tile_level: int, hashes: list[bytes], bad_before: int) -> int:
    bad = 0
    full, part = divmod(len(hashes), merkle.TILE_WIDTH)
    for n, width in [(n, None) for n in range(full)] + ([(full, part)] if part else []):
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


def _check_entries(report: Report, bodies: list[bytes]) -> None:
    """What the hashes cannot say: each entry is well-formed canonical JSON, each record's versions run
    1, 2, 3 … and entry times never run backwards."""
    last_version: dict[tuple[str, str], tuple[int, int]] = {}
    last_time, last_time_index = "", -1
    bad = 0
    for i, body in enumerate(bodies):
        try:
            e = json.loads(body)
            if rfc8785.dumps(e) != body:
                raise ValueError("not in RFC 8785 canonical form")
            if set(e) != _FIELDS:
                raise ValueError(f"fields {sorted(e)} are not {sorted(_FIELDS)}")
            key = (e["record"]["type"], e["record"]["id"])
            version, time = int(e["version"]), str(e["time"])
        except (ValueError, KeyError, TypeError) as exc:
            report.problem(f"entry {i:,}", f"malformed: {exc}")
            bad += 1
            continue
        prev = last_version.get(key)
        expected = 1 if prev is None else prev[0] + 1
        if version != expected:
            where = f"{key[0]} {key[1]}"
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
            f"all {len(bodies):,} entries are canonical, each record's versions run in order, times never go back"
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
