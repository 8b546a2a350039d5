"""With database access (`sulh log verify --database`): do the rows agree with the log?

The mirror check proves the log is intact; this proves the records are what the log says they are. Any
row changed, added or deleted behind Sulh's back (raw SQL, a restored backup, a hand edit) is named."""

from __future__ import annotations

import json

from . import merkle, records
from .models import LogEntry, TreeNode
from .verify import Report


def check_entry_rows(report: Report, size: int) -> None:
    """The columns beside each body are copies for lookups: a copy that disagrees with the body it sits
    next to would mislead a query, so it is reported like any other alteration."""
    bad = 0
    expected = 0
    for index, body, entry_hash, kind, rtype, rid, version, content in (
        LogEntry.objects.filter(index__lt=size)
        .order_by("index")
        .values_list("index", "body", "entry_hash", "kind", "record_type", "record_id", "version", "content_sha256")
        .iterator(chunk_size=5000)
    ):
        if index != expected:
            report.problem(f"entry {expected:,}", f"missing from the database (next present: {index:,})")
            bad += 1
            expected = index
        expected += 1
        body = bytes(body)
        if merkle.leaf_hash(body).hex() != entry_hash:
            report.problem(f"entry {index:,}", "its stored entry_hash column is not the hash of its body")
            bad += 1
            continue
        e = json.loads(body)
        if (e["kind"], e["record"]["type"], e["record"]["id"], e["version"], e["content_sha256"]) != (
            kind, rtype, rid, version, content,
        ):  # fmt: skip
            report.problem(f"entry {index:,}", "its lookup columns disagree with its body")
            bad += 1
        if bad > 200:
            return
    if expected < size:
        report.problem(f"entry {expected:,}", f"missing from the database ({size - expected:,} entries short)")
    elif bad == 0:
        report.notes.append(f"database: the {size:,} entry rows agree with their bodies")


def check_tree_nodes(report: Report, size: int) -> None:
    """Every stored tree node of the first `size` entries, at every level. The mirror check compares the
    levels that tiles hold (0, 8, 16 …), but the proofs and roots this server hands out read the levels
    between them too, so those are recomputed here from the entry bodies, in the order appends stored them.
    Only a node whose children are right is named: an altered body, which the tile check reports, is not
    blamed on the intact nodes above it."""
    if size <= 0:
        return
    rows = (
        TreeNode.objects.filter(id__lte=merkle.stored_hash_index(0, size - 1) + size.bit_length())
        .order_by("id")
        .values_list("id", "hash")
        .iterator(chunk_size=5000)
    )
    head: list = [-1, b""]

    def stored(i: int) -> bytes | None:  # ids are asked for in increasing order: one pass over the rows
        while head[0] < i:
            row = next(rows, None)
            if row is None:
                return None
            head[:] = [row[0], bytes(row[1])]
        return head[1] if head[0] == i else None

    bad = 0
    edge: list[tuple[bytes, bool]] = []  # the right edge's perfect subtrees: (recomputed hash, stored as such)
    bodies = LogEntry.objects.filter(index__lt=size).order_by("index").values_list("index", "body")
    for m, (index, body) in enumerate(bodies.iterator(chunk_size=5000)):
        if index != m:
            return  # an entry is missing (check_entry_rows names it): the nodes above it cannot be recomputed
        h = merkle.leaf_hash(bytes(body))
        right = (h, stored(merkle.stored_hash_index(0, m)) == h)
        level, x = 0, m
        while x & 1:  # the perfect subtrees that leaf m completes, lowest first
            left = edge.pop()
            level, x = level + 1, x >> 1
            h = merkle.node_hash(left[0], right[0])
            have = stored(merkle.stored_hash_index(level, x))
            if have != h and left[1] and right[1] and level % merkle.TILE_HEIGHT:
                bad += 1
                first, last = x << level, ((x + 1) << level) - 1
                report.problem(
                    f"tree node level {level} index {x:,}",
                    ("missing from the stored tree" if have is None else f"stored hash {have.hex()[:16]}… differs from")
                    + f" {h.hex()[:16]}… recomputed from entries {first:,}..{last:,}: the stored tree was altered, "
                    "and the proofs served from it do not verify",
                )
                if bad > 200:
                    return
            right = (h, have == h)
        edge.append(right)
    if bad == 0:
        report.notes.append(f"database: the stored tree nodes between the tile levels match the {size:,} entries")


def check_records(report: Report, size: int) -> None:
    """Every record's current row must hash to the content its newest entry committed to."""
    for name, rt in sorted(records.REGISTRY.items()):
        latest: dict[str, tuple[int, str, str, bytes]] = {}
        for index, body, salt in (
            LogEntry.objects.filter(record_type=name)  # rows are live: newer entries than the checkpoint count
            .order_by("index")
            .values_list("index", "body", "salt")
            .iterator(chunk_size=5000)
        ):
            e = json.loads(bytes(body))
            latest[e["record"]["id"]] = (index, e["kind"], e["content_sha256"], bytes(salt))
        seen = set()
        bad = 0
        for obj in rt.model._default_manager.all().iterator(chunk_size=2000):
            rid = str(obj.pk)
            seen.add(rid)
            entry = latest.get(rid)
            label = f"{name} {rid}" + (f" ({obj})" if name in ("incident", "user", "organisation") else "")
            if entry is None:
                report.problem(label, "exists in the database but has no log entry: it was added behind Sulh's back")
                bad += 1
                continue
            index, kind, committed, salt = entry
            if kind.endswith(".deleted"):
                report.problem(label, f"was logged as deleted (entry {index:,}) but its row is back")
                bad += 1
            elif records.commitment(salt, rt.content(obj)) != committed:
                report.problem(
                    label,
                    f"the row is not what its newest log entry {index:,} ({kind}) recorded: "
                    "it was changed without going through Sulh",
                )
                bad += 1
        for rid, (index, kind, _, _) in latest.items():
            if rid not in seen and not kind.endswith(".deleted"):
                report.problem(f"{name} {rid}", f"its row is gone, but the log (entry {index:,}, {kind}) never deleted it")
                bad += 1
        if bad == 0:
            report.notes.append(f"database: every {name} row matches its newest log entry ({len(seen):,} rows)")
