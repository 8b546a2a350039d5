"""The log: append entries in the caller's transaction, prove them, sign and witness checkpoints.

Appends are serialised by a row lock on the single LogHead row, taken inside the transaction that changes
the record, so the leaf order is the commit order and a rolled-back change leaves no leaf behind."""

from __future__ import annotations

import contextvars
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from sulh.charter.loader import get_charter
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from . import keys, merkle, records
from .models import Checkpoint, Cosignature, LogEntry, LogHead, TreeNode, WitnessKey

ENTRY_FORMAT = 1

# --- receipts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    leaf_index: int
    entry_hash: str  # hex RFC 9162 leaf hash: what an inclusion proof proves
    kind: str
    record: str  # "claim:7b0c…"

    def header(self) -> str:
        return f"{self.leaf_index}; entry-hash={self.entry_hash}; kind={self.kind}; record={self.record}"


_receipts: contextvars.ContextVar[list[Receipt] | None] = contextvars.ContextVar("sulh_receipts", default=None)
_actor: contextvars.ContextVar[object | None] = contextvars.ContextVar("sulh_actor", default=None)


@contextmanager
def collecting_receipts() -> Iterator[list[Receipt]]:
    """Collect the receipts of every append made inside the block (one request, one command)."""
    found: list[Receipt] = []
    token = _receipts.set(found)
    try:
        yield found
    finally:
        _receipts.reset(token)


def current_receipts() -> list[Receipt]:
    return list(_receipts.get() or [])


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Who is acting, for changes made without a service that knows (the admin site, signals)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    actor = _actor.get()
    return actor.resolve() if hasattr(actor, "resolve") else actor


# --- appending ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """One entry to append: built from a record, or given directly (the benchmark, tests)."""

    kind: str
    record_type: str
    record_id: str
    content: dict
    actor_user: str = ""
    actor_org: str = ""


def _actor_names(user) -> tuple[str, str]:
    if user is None:
        return "", "OPS"  # the system itself: commands run by the operator
    org = getattr(user, "organisation", None)
    return user.get_username(), (org.code if org is not None else "")


def pending(obj, kind: str, actor=None) -> Pending:
    """The entry that `record` would append, for appending several at once with `append` (one lock, one
    frontier update): a hotline message and its `sent` event, say."""
    rt = records.type_of(obj)
    user, org = _actor_names(actor if actor is not None else current_actor())
    return Pending(kind, rt.name, str(obj.pk), rt.content(obj), user, org)


def record(obj, kind: str, actor=None) -> Receipt:
    """Log a state change of `obj` (a registered record type) as `kind`, e.g. "claim.filed"."""
    return append([pending(obj, kind, actor)])[0]


def record_deletion(rt: records.RecordType, record_id: str, actor=None) -> Receipt:
    """A deleted record's last entry: content {} — `verify` then expects no row."""
    user, org = _actor_names(actor if actor is not None else current_actor())
    return append([Pending(f"{rt.name}.deleted", rt.name, record_id, {}, user, org)])[0]


def _lock_head() -> LogHead:
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                LogHead.objects.create(pk=1)
        except IntegrityError:  # another process created it first
            pass
        head = LogHead.objects.select_for_update().get(pk=1)
    return head


def _frontier(head: LogHead) -> list[bytes]:
    raw = bytes(head.frontier)
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def _build(item: Pending, index: int, version: int, when: dt.datetime) -> tuple[LogEntry, bytes, Receipt]:
    """The entry row (its body exactly as hashed), its leaf hash and its receipt."""
    salt = os.urandom(16)
    commitment = records.commitment(salt, item.content)
    body = records.canonical(
        {
            "v": ENTRY_FORMAT,
            "kind": item.kind,
            "record": {"type": item.record_type, "id": item.record_id},
            "version": version,
            "actor": {"user": item.actor_user, "org": item.actor_org},
            "time": records._plain(when),
            "content_sha256": commitment,
        }
    )
    leaf = merkle.leaf_hash(body)
    row = LogEntry(
        index=index, body=body, entry_hash=leaf.hex(), kind=item.kind, record_type=item.record_type,
        record_id=item.record_id, version=version, actor_org=item.actor_org, actor_user=item.actor_user,
        time=when, content_sha256=commitment, salt=salt,
    )  # fmt: skip
    return row, leaf, Receipt(index, leaf.hex(), item.kind, f"{item.record_type}:{item.record_id}")


def append(items: list[Pending], *, now: dt.datetime | None = None) -> list[Receipt]:
    """Append entries, in the caller's transaction (or in one of their own). Returns their receipts."""
    if not items:
        return []
    with transaction.atomic():
        receipts = None
        if len(items) == 1 and connection.vendor == "postgresql":
            receipts = _append_one_postgres(items[0], now)
        if receipts is None:
            receipts = _append_orm(items, now)
    sink = _receipts.get()
    if sink is not None:
        sink.extend(receipts)
    return receipts


def _append_orm(items: list[Pending], now: dt.datetime | None) -> list[Receipt]:
    head = _lock_head()
    when = now or timezone.now()
    if head.last_time and when < head.last_time:
        when = head.last_time  # the clock stepped back: entry times never run backwards in the log
    versions = _next_versions(items)
    rows, leaves, receipts = [], [], []
    for i, item in enumerate(items):
        row, leaf, receipt = _build(item, head.size + i, versions[(item.record_type, item.record_id)].pop(0), when)
        rows.append(row)
        leaves.append(leaf)
        receipts.append(receipt)
    nodes, frontier = merkle.append_leaves(head.size, _frontier(head), leaves)
    LogEntry.objects.bulk_create(rows, batch_size=2000)
    TreeNode.objects.bulk_create(
        [TreeNode(id=merkle.stored_hash_index(level, idx), hash=h) for level, idx, h in nodes], batch_size=5000
    )
    head.size += len(items)
    head.frontier = b"".join(frontier)
    head.last_time = when
    head.save(update_fields=["size", "frontier", "last_time"])
    return receipts


# Written by hand because each round trip to a PostgreSQL server costs more than all the hashing: one
# statement locks the head and reads the record's last version, one writes the entry, its tree nodes and
# the new head together. Same rows and same locking as _append_orm (which SQLite, batches and the very
# first append use).
_PG_LOCK = (
    'SELECT h."size", h."frontier", h."last_time", (SELECT MAX(e."version") FROM "ledger_logentry" e '
    'WHERE e."record_type" = %s AND e."record_id" = %s) FROM "ledger_loghead" h WHERE h."id" = 1 FOR UPDATE OF h'
)
_PG_WRITE = (
    'WITH e AS (INSERT INTO "ledger_logentry" ("index", "body", "entry_hash", "kind", "record_type", '
    '"record_id", "version", "actor_org", "actor_user", "time", "content_sha256", "salt") '
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)), "
    'n AS (INSERT INTO "ledger_treenode" ("id", "hash") VALUES {nodes}) '
    'UPDATE "ledger_loghead" SET "size" = %s, "frontier" = %s, "last_time" = %s WHERE "id" = 1'
)


def _append_one_postgres(item: Pending, now: dt.datetime | None) -> list[Receipt] | None:
    with connection.cursor() as cur:
        cur.execute(_PG_LOCK, [item.record_type, item.record_id])
        got = cur.fetchone()
        if got is None:
            return None  # no head row yet: the ORM path creates it
        size, frontier_raw, last_time, last_version = got
        when = now or timezone.now()
        if last_time and when < last_time:
            when = last_time
        row, leaf, receipt = _build(item, size, (last_version or 0) + 1, when)
        raw = bytes(frontier_raw)
        nodes, frontier = merkle.append_leaves(size, [raw[i : i + 32] for i in range(0, len(raw), 32)], [leaf])
        params = [
            row.index, row.body, row.entry_hash, row.kind, row.record_type, row.record_id, row.version,
            row.actor_org, row.actor_user, row.time, row.content_sha256, row.salt,
        ]  # fmt: skip
        for level, idx, h in nodes:
            params += [merkle.stored_hash_index(level, idx), h]
        params += [size + 1, b"".join(frontier), when]
        cur.execute(_PG_WRITE.format(nodes=", ".join(["(%s, %s)"] * len(nodes))), params)
    return [receipt]


def _next_versions(items: list[Pending]) -> dict[tuple[str, str], list[int]]:
    """Each record's entries are numbered 1, 2, 3 … in log order."""
    keys_ = {(p.record_type, p.record_id) for p in items}
    out: dict[tuple[str, str], list[int]] = {}
    for rtype, rid in keys_:
        last = (
            LogEntry.objects.filter(record_type=rtype, record_id=rid).aggregate(m=Max("version"))["m"]
            if len(items) < 64
            else None
        )
        out[(rtype, rid)] = [last or 0]
    if len(items) >= 64:  # batches (imports, the benchmark): one query for all their records
        for rtype in {k[0] for k in keys_}:
            ids = [k[1] for k in keys_ if k[0] == rtype]
            for i in range(0, len(ids), 500):
                for rid, m in (
                    LogEntry.objects.filter(record_type=rtype, record_id__in=ids[i : i + 500])
                    .values_list("record_id")
                    .annotate(m=Max("version"))
                ):
                    out[(rtype, rid)] = [m]
    seqs: dict[tuple[str, str], list[int]] = {}
    for p in items:
        k = (p.record_type, p.record_id)
        start = out[k][0] + len(seqs.get(k, []))
        seqs.setdefault(k, []).append(start + 1)
    return seqs


# --- reading the tree --------------------------------------------------------------------------------


def tree_size() -> int:
    # Plain SQL on the hot paths of proofs: the ORM's query building costs more than the query itself.
    with connection.cursor() as cur:
        cur.execute('SELECT "size" FROM "ledger_loghead" WHERE "id" = 1')
        row = cur.fetchone()
    return row[0] if row else 0


def read_hashes(coords: list[tuple[int, int]]) -> list[bytes]:
    """The batch reader the Merkle module asks for a proof's subtree hashes: one query."""
    ids = [merkle.stored_hash_index(level, idx) for level, idx in coords]
    wanted = sorted(set(ids))
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute('SELECT "id", "hash" FROM "ledger_treenode" WHERE "id" = ANY(%s)', [wanted])
        else:
            marks = ", ".join(["%s"] * len(wanted))
            cur.execute(f'SELECT "id", "hash" FROM "ledger_treenode" WHERE "id" IN ({marks})', wanted)  # noqa: S608
        found = {i: bytes(h) for i, h in cur.fetchall()}
    missing = [c for c, i in zip(coords, ids, strict=True) if i not in found]
    if missing:
        raise LedgerCorrupt(f"tree nodes missing from storage: {missing[:5]}")
    return [found[i] for i in ids]


class LedgerCorrupt(RuntimeError):
    """The stored tree is not what the appends wrote: only tampering or a broken disk does this."""


def _check_size(size: int | None, what: str = "size") -> int:
    current = tree_size()
    if size is None:
        return current
    if size < 0 or size > current:
        raise ValidationFailed(f"{what} {size} is outside the log (0..{current})", field=what)
    return size


def root_at(size: int) -> bytes:
    return merkle.root_hash(size, read_hashes)


def _prefetch(coords: list[tuple[int, int]]):
    """Read every hash a request needs in ONE query, and answer the Merkle module's reads from it."""
    got = dict(zip(coords, read_hashes(coords), strict=True)) if coords else {}

    def read(wanted: list[tuple[int, int]]) -> list[bytes]:
        return [got[c] for c in wanted]

    return read


def inclusion(index: int, size: int | None = None) -> dict:
    """Proof that entry `index` is in the tree of `size`: the entry's hash, the path and the root, from one
    read of O(log n) stored nodes (the leaf hash is stored too: tree level 0)."""
    size = _check_size(size)
    if not 0 <= index < size:
        raise ValidationFailed(f"leaf index {index} is not in a tree of {size} entries", field="index")
    needed = list(dict.fromkeys([(0, index), *merkle.inclusion_coords(index, size), *merkle.root_coords(size)]))
    read = _prefetch(needed)
    return {
        "leaf_index": index,
        "tree_size": size,
        "entry_hash": read([(0, index)])[0].hex(),
        "proof": merkle.inclusion_proof(index, size, read),
        "root": merkle.root_hash(size, read),
    }


def index_of(entry_hash: str) -> int:
    idx = LogEntry.objects.filter(entry_hash=entry_hash.lower()).values_list("index", flat=True).first()
    if idx is None:
        raise NotFound("no entry has that hash")
    return idx


def consistency(size1: int, size2: int | None = None) -> dict:
    size2 = _check_size(size2, "second")
    if not 0 <= size1 <= size2:
        raise ValidationFailed(f"first size {size1} must be between 0 and the second size {size2}", field="first")
    coords = [*merkle.consistency_coords(size1, size2), *merkle.root_coords(size1), *merkle.root_coords(size2)]
    read = _prefetch(list(dict.fromkeys(coords)))
    return {
        "first": size1,
        "second": size2,
        "proof": merkle.consistency_proof(size1, size2, read),
        "first_root": merkle.root_hash(size1, read),
        "second_root": merkle.root_hash(size2, read),
    }


def entries(start: int, end: int) -> list[LogEntry]:
    size = tree_size()
    if not 0 <= start <= end or end > size:
        raise ValidationFailed(f"range {start}..{end} is outside the log (0..{size})", field="start")
    if end - start > 1000:
        raise ValidationFailed("at most 1000 entries at a time; use the tiles under /log/ for more", field="end")
    return list(LogEntry.objects.filter(index__gte=start, index__lt=end).order_by("index"))


def history(record_type: str, record_id: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(record_type=record_type, record_id=str(record_id)).order_by("index"))


def entries_of(records_: Iterable[tuple[str, object]]) -> list[LogEntry]:
    """The entries of several records (e.g. an incident, its claims and its evidence), in log order."""
    from django.db.models import Q

    q = Q()
    for rtype, rid in records_:
        q |= Q(record_type=rtype, record_id=str(rid))
    return list(LogEntry.objects.filter(q).order_by("index")) if q else []


def opening(user, entry: LogEntry) -> dict | None:
    """The salt and content that open an entry's commitment, for a user who may read the record itself,
    so that they can recompute content_sha256 on their own machine. None for anyone else."""
    rt = records.REGISTRY.get(entry.record_type)
    if rt is None or rt.readable_by is None:
        return None
    obj = rt.model._default_manager.filter(pk=entry.record_id).first()
    if obj is None or not rt.readable_by(user, obj):
        return None
    latest = LogEntry.objects.filter(record_type=entry.record_type, record_id=entry.record_id).order_by("-index")
    if latest.values_list("index", flat=True).first() != entry.index:
        return {"salt": bytes(entry.salt).hex(), "content": None}  # an older version: the row holds the newest
    return {"salt": bytes(entry.salt).hex(), "content": records.canonical(rt.content(obj)).decode()}


# --- checkpoints --------------------------------------------------------------------------------------


def origin() -> str:
    return get_charter().origin


def sign_checkpoint(*, force: bool = False) -> Checkpoint | None:
    """Sign the current tree head, unless the newest checkpoint already covers it (then return that)."""
    with transaction.atomic():
        head = _lock_head()
        existing = Checkpoint.objects.filter(size=head.size).first()
        if existing is not None:
            return existing
        if head.size == 0 and not force:
            return None
        root = merkle.root_from_frontier(_frontier(head))
        from .tlog import Checkpoint as CheckpointText
        from .tlog import sign_checkpoint as sign

        note = sign(CheckpointText(origin(), head.size, root, []), keys.log_signer())
        return Checkpoint.objects.create(size=head.size, root=root, note=note)


def latest_checkpoint(*, witnessed: bool = False) -> Checkpoint | None:
    qs = Checkpoint.objects.all()
    if witnessed:
        qs = qs.filter(witnessed_at__isnull=False)
    return qs.order_by("-size").first()


def checkpoint_of_size(size: int) -> Checkpoint:
    cp = Checkpoint.objects.filter(size=size).first()
    if cp is None:
        raise NotFound(f"no checkpoint of size {size}")
    return cp


def cosigned_note(cp: Checkpoint) -> str:
    """The checkpoint's signed note with every cosignature line appended (log signature first)."""
    lines = [c.line for c in cp.cosignatures.select_related("key").order_by("key__organisation__code")]
    return cp.note + "".join(line + "\n" for line in lines)


# --- witnesses ----------------------------------------------------------------------------------------


def _witness_org_codes() -> set[str]:
    c = get_charter()
    return {p.code for p in c.parties} | {m.code for m in c.mediators} | {t.code for t in c.monitoring_teams}


def register_witness_key(user, verifier_key: str, url: str = "") -> WitnessKey:
    """An organisation's admin registers the public half of its witness key; an older key is retired."""
    from .note import parse_verifier_key

    org = user.organisation
    if org is None or org.code not in _witness_org_codes():
        raise PermissionDenied("only a party, mediator or monitoring team registers a witness key")
    if not can_register_witness_key(user):
        raise PermissionDenied(
            "a party's witness key is registered by a national-level commander, a mediator's by its lead"
        )
    try:
        verifier = parse_verifier_key(verifier_key.strip())
    except ValueError as exc:
        raise ValidationFailed(f"not a signed-note verifier key: {exc}", field="verifier_key") from None
    if verifier.sig_type != 0x04:
        raise ValidationFailed("a witness key must be an Ed25519 cosignature key (type 0x04)", field="verifier_key")
    if url and not url.startswith(("http://", "https://")):
        raise ValidationFailed("the witness URL must be http:// or https://", field="url")
    with transaction.atomic():
        if WitnessKey.objects.filter(verifier_key=verifier_key.strip()).exists():
            raise Conflict("this key is already registered")
        for old in WitnessKey.objects.select_for_update().filter(organisation=org, retired_at__isnull=True):
            old.retired_at = timezone.now()
            old.save(update_fields=["retired_at"])
            record(old, "witness_key.retired", actor=user)
        wk = WitnessKey.objects.create(
            organisation=org, verifier_key=verifier_key.strip(), name=verifier.name,
            key_id=f"{verifier.key_id:08x}",
            registered_by=user, url=url,
        )  # fmt: skip
        record(wk, "witness_key.registered", actor=user)
    return wk


def can_register_witness_key(user) -> bool:
    """The key decides what the organisation vouches for, so only its senior role may change it."""
    from sulh.accounts.models import CommandLevel, OrganisationKind, Role

    org = user.organisation
    if org is None:
        return False
    if org.kind == OrganisationKind.PARTY:
        return user.role == Role.COMMANDER and user.command_level == CommandLevel.NATIONAL
    if org.kind == OrganisationKind.MEDIATOR:
        return user.role == Role.MEDIATOR_LEAD
    return org.kind == OrganisationKind.MONITORING and user.role == Role.MONITOR


def active_witness_keys() -> dict[str, WitnessKey]:
    return {
        wk.organisation.code: wk
        for wk in WitnessKey.objects.filter(retired_at__isnull=True).select_related("organisation")
    }


def _quorum_lines() -> list[list[str]]:
    return [ws for raw in get_charter().ledger.witness_quorum.splitlines() if (ws := raw.split("#", 1)[0].split())]


def quorum_members() -> set[str]:
    """The organisations named in the charter's quorum (whose keys a complete policy needs)."""
    groups = {ws[1] for ws in _quorum_lines() if ws[0] == "group"}
    return {m for ws in _quorum_lines() if ws[0] == "group" for m in ws[3:] if m not in groups}


def policy_text() -> str:
    """The full C2SP tlog-policy: the log's key, each organisation's active witness key, the charter's
    groups and quorum. Anyone may fetch it; a verifier should compare it with the charter they hold.

    An organisation without a key yet is left out of its groups; a group that can then no longer reach its
    threshold makes the policy incomplete (Conflict), since no checkpoint could be witnessed under it."""
    keys_ = active_witness_keys()
    lines = [f"log {keys.log_verifier_key()}"]
    for code, wk in sorted(keys_.items()):
        lines.append(f"witness {code} {wk.verifier_key}")
    usable: set[str] = set(keys_)
    missing: set[str] = set()
    quorum = "none"
    for ws in _quorum_lines():
        if ws[0] == "quorum":
            quorum = ws[1]
            continue
        name, threshold, members = ws[1], ws[2], ws[3:]
        present = [m for m in members if m in usable]
        missing |= {m for m in members if m not in usable and m not in keys_ and m.isupper()}
        need = len(members) if threshold == "all" else 1 if threshold == "any" else int(threshold)
        if len(present) < need:
            continue  # this group cannot be met: a parent that needs it fails below
        usable.add(name)
        spelled = "all" if need == len(present) else "any" if need == 1 else str(need)
        lines.append(f"group {name} {spelled} {' '.join(present)}")
    if quorum != "none" and quorum not in usable:
        raise Conflict(
            "no complete witness policy yet: the quorum cannot be met until these organisations register a "
            f"witness key: {', '.join(sorted(missing & quorum_members()))}"
        )
    lines.append(f"quorum {quorum}")
    return "\n".join(lines) + "\n"


def add_cosignature(user, size: int, line: str) -> Cosignature:
    """Store a witness's cosignature on checkpoint `size`, after checking it with the org's active key."""
    cp = checkpoint_of_size(size)
    wk = active_witness_keys().get(getattr(user.organisation, "code", ""))
    if wk is None:
        raise ValidationFailed("your organisation has no registered witness key", field="line")
    return _accept_cosignature(cp, wk, line)


def _accept_cosignature(cp: Checkpoint, wk: WitnessKey, line: str) -> Cosignature:
    from .note import parse_verifier_key
    from .tlog import verify_cosignature

    line = line.strip()
    text = cp.note.split("\n\n", 1)[0] + "\n"
    try:
        ts = verify_cosignature(text, line, parse_verifier_key(wk.verifier_key))
    except ValueError as exc:
        raise ValidationFailed(
            f"the cosignature does not verify with your registered key: {exc}", field="line"
        ) from None
    with transaction.atomic():
        cs, created = Cosignature.objects.get_or_create(checkpoint=cp, key=wk, defaults={"timestamp": ts, "line": line})
        if not created and cs.line != line:
            cs.timestamp, cs.line = ts, line
            cs.save(update_fields=["timestamp", "line"])
        _update_witnessed(cp)
    return cs


def push_to_witnesses(cp: Checkpoint, timeout: float = 10.0) -> dict[str, str]:
    """Offer `cp` to every witness registered with a URL, over C2SP tlog-witness `add-checkpoint`: the
    same protocol a third-party witness speaks. Returns what each answered, for the log."""
    import urllib.error
    import urllib.request

    from .witness import format_add_checkpoint, parse_size_response

    results: dict[str, str] = {}
    for code, wk in active_witness_keys().items():
        if not wk.url or Cosignature.objects.filter(checkpoint=cp, key=wk).exists():
            continue
        last = Cosignature.objects.filter(key=wk).order_by("-checkpoint__size").select_related("checkpoint").first()
        old = last.checkpoint.size if last else 0
        url = wk.url if wk.url.rstrip("/").endswith("add-checkpoint") else wk.url.rstrip("/") + "/add-checkpoint"
        for _attempt in range(2):
            proof = merkle.consistency_proof(old, cp.size, read_hashes) if old else []
            req = urllib.request.Request(url, data=format_add_checkpoint(old, proof, cp.note), method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 -- registered witness URL
                    lines = [ln for ln in resp.read().decode().splitlines() if ln.strip()]
                for ln in lines:
                    _accept_cosignature(cp, wk, ln)
                results[code] = f"cosigned ({len(lines)} line(s))"
                break
            except urllib.error.HTTPError as exc:
                body = exc.read()
                if exc.code == 409 and _attempt == 0:
                    try:
                        old = parse_size_response(body)  # the witness holds another size: prove from there
                    except ValueError:
                        results[code] = "HTTP 409 with an unreadable size"
                        break
                    if old > cp.size or (old and not Checkpoint.objects.filter(size=old).exists()):
                        results[code] = f"HTTP 409: the witness holds size {old}, which this log never signed"
                        break
                    continue
                results[code] = f"HTTP {exc.code}: {body[:200].decode('utf-8', 'replace')}"
                break
            except (OSError, ValidationFailed) as exc:
                results[code] = f"failed: {exc}"
                break
    return results


def _update_witnessed(cp: Checkpoint) -> None:
    if cp.witnessed_at is not None:
        return
    names = {c.key.organisation.code for c in cp.cosignatures.select_related("key__organisation")}
    if quorum_met(names):
        cp.witnessed_at = timezone.now()
        cp.save(update_fields=["witnessed_at"])


def quorum_met(cosigners: Iterable[str]) -> bool:
    """The charter's quorum over organisation codes (the same rule the policy file states with keys)."""
    have = set(cosigners)
    groups = {ws[1]: (ws[2], ws[3:]) for ws in _quorum_lines() if ws[0] == "group"}
    quorum = next(ws[1] for ws in _quorum_lines() if ws[0] == "quorum")

    def met(name: str) -> bool:
        if name == "none":
            return True
        if name not in groups:
            return name in have
        threshold, members = groups[name]
        need = len(members) if threshold == "all" else 1 if threshold == "any" else int(threshold)
        return sum(met(m) for m in members) >= need

    return met(quorum)


def latest_witnessed_by_org() -> list[dict]:
    """For each organisation that may witness: its key and the newest checkpoint it cosigned."""
    keys_ = active_witness_keys()
    out = []
    c = get_charter()
    orgs = [*c.parties, *c.mediators, *c.monitoring_teams]
    for org in orgs:
        wk = keys_.get(org.code)
        cs = (
            Cosignature.objects.filter(key__organisation__code=org.code)
            .select_related("checkpoint", "key")
            .order_by("-checkpoint__size")
            .first()
        )
        out.append({"organisation": org.code, "name": org.name.get("en", org.code), "key": wk, "cosignature": cs})
    return out
