"""The log as C2SP tlog-tiles: served under /log/ and written by `sulh log export DIR`.

Full tiles never change, so a mirror is a plain file copy and a cache may keep them for ever."""

from __future__ import annotations

import os
from pathlib import Path

from . import merkle, services
from .models import LogEntry, TreeNode

MAX_ENTRY_BYTES = 0xFFFF  # an entry bundle prefixes each entry with a big-endian uint16 length


def hash_tile(level: int, n: int, width: int | None, size: int) -> bytes:
    """Hash tile bytes, if the tree of `size` holds it (else LookupError)."""
    width = width or merkle.TILE_WIDTH
    have = size >> (merkle.TILE_HEIGHT * level)
    if n * merkle.TILE_WIDTH + width > have:
        raise LookupError("no such tile yet")
    return merkle.tile_hashes(level, n, width, services.read_hashes)


def entry_bundle(n: int, width: int | None, size: int) -> bytes:
    width = width or merkle.TILE_WIDTH
    start = n * merkle.TILE_WIDTH
    if start + width > size:
        raise LookupError("no such entry bundle yet")
    bodies = list(
        LogEntry.objects.filter(index__gte=start, index__lt=start + width).order_by("index").values_list("index", "body")
    )
    if [i for i, _ in bodies] != list(range(start, start + width)):
        have = {i for i, _ in bodies}
        missing = [i for i in range(start, start + width) if i not in have]
        raise services.LedgerCorrupt(f"entries missing from storage: {missing[:10]}")
    out = bytearray()
    for _, body in bodies:
        body = bytes(body)
        out += len(body).to_bytes(2, "big") + body
    return bytes(out)


def read_tile(path: str, size: int) -> bytes:
    kind, level, n, width = merkle.parse_tile_path(path)
    return entry_bundle(n, width, size) if kind == "entries" else hash_tile(level, n, width, size)


def export(directory: Path, cp) -> dict:
    """Write the static layout of checkpoint `cp` (with its cosignatures) into `directory`.

    Tiles already there with the right size are kept (full tiles are immutable), so a repeated export
    only writes what is new; the checkpoint file is replaced last, atomically, so a mirror being read
    while it is updated never shows a checkpoint whose tiles are not there yet."""
    directory.mkdir(parents=True, exist_ok=True)
    written = kept = 0
    size = cp.size
    full_entries, part = divmod(size, merkle.TILE_WIDTH)
    paths = [(merkle.tile_path(level, n, None if w == merkle.TILE_WIDTH else w), ("hash", level, n, w))
             for level, n, w in merkle.tiles_for_size(size)]  # fmt: skip
    paths += [(merkle.entries_path(n), ("entries", -1, n, merkle.TILE_WIDTH)) for n in range(full_entries)]
    if part:
        paths.append((merkle.entries_path(full_entries, part), ("entries", -1, full_entries, part)))
    for rel, (kind, level, n, w) in paths:
        target = directory / rel
        full = w == merkle.TILE_WIDTH
        if full and target.exists():
            kept += 1
            continue
        data = entry_bundle(n, w, size) if kind == "entries" else hash_tile(level, n, w, size)
        _write_atomic(target, data)
        written += 1
    _write_atomic(directory / "checkpoint", services.cosigned_note(cp).encode())
    try:
        _write_atomic(directory / "policy", services.policy_text().encode())
        policy = True
    except services.Conflict:
        policy = False  # not every organisation has a witness key yet: no complete policy to publish
    return {"size": size, "written": written, "kept": kept, "policy": policy}


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)


class DatabaseSource:
    """The verifier's Source read straight from this server's tables, forgiving of missing rows so that
    the verifier, not a crash, reports them (a missing node reads as zeros; a bundle ends before its first
    missing entry, which the verifier then names)."""

    def fetch(self, path: str) -> bytes | None:
        if path == "checkpoint":
            cp = services.latest_checkpoint()
            return services.cosigned_note(cp).encode() if cp else None
        try:
            kind, level, n, width = merkle.parse_tile_path(path)
        except ValueError:
            return None
        w = width or merkle.TILE_WIDTH
        if kind == "entries":
            start = n * merkle.TILE_WIDTH
            rows = LogEntry.objects.filter(index__gte=start, index__lt=start + w).order_by("index")
            bodies = []
            for expected, (index, body) in enumerate(rows.values_list("index", "body"), start):
                if index != expected:
                    break  # cut at the first missing entry, so that the verifier names that one
                bodies.append(bytes(body))
            return b"".join(len(b).to_bytes(2, "big") + b for b in bodies) if bodies else None
        coords = merkle.tile_coords(level, n, w)
        ids = [merkle.stored_hash_index(lv, i) for lv, i in coords]
        found = {i: bytes(h) for i, h in TreeNode.objects.filter(id__in=ids).values_list("id", "hash")}
        return b"".join(found.get(i, bytes(32)) for i in ids) if found else None

    def describe(self) -> str:
        from django.db import connection

        return f"this server's database ({connection.vendor})"
