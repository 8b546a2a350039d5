"""Shared by the ledger's tamper, API and receipt tests: a log built by the real domain services, the
`sulh log verify --database` run as the command runs it, and the tools of someone who tampers with the
tables behind Sulh's back (rewriting the stored tree consistently, as a careful forger would)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.management import call_command

from sulh.conftest import CHAMAN, SPIN_BOLDAK, claim_payload, incident_payload
from sulh.incidents import services as incidents
from sulh.incidents.models import Claim, Incident
from sulh.incidents.schemas import ClaimIn, IncidentIn
from sulh.ledger import merkle
from sulh.ledger import services as ledger
from sulh.ledger.models import Checkpoint, LogEntry, LogHead, TreeNode


@dataclass
class World:
    """What `build_log` made: the records, and for each claim the indices of its entries in log order."""

    incidents: list[Incident] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    draft: Claim | None = None  # a claim drafted, then filed: two entries (versions 1, 2) of one record
    withdrawn: Claim | None = None
    amended: Claim | None = None  # a correction (claim.amended) superseding claims[0]
    checkpoint: Checkpoint | None = None

    def entries_of(self, obj) -> list[LogEntry]:
        rtype = "claim" if isinstance(obj, Claim) else "incident"
        return ledger.history(rtype, str(obj.pk))


def build_log(users, *, incidents_count: int = 4, sign: bool = True) -> World:
    """Incidents and claims through sulh.incidents.services, as the API makes them, then a checkpoint."""
    w = World()
    pak, afg, qat = users["pak_liaison"], users["afg_liaison"], users["qat_lead"]
    for i in range(incidents_count):
        claim = incidents.create_incident(pak, IncidentIn(**incident_payload(deaths_a=i, title=f"Fire {i}")))
        w.incidents.append(claim.incident)
        w.claims.append(claim)
    # Another party's account of the first incident, as a draft filed a moment later.
    draft = incidents.add_claim(
        afg, w.incidents[0], ClaimIn(**claim_payload(point=SPIN_BOLDAK, alleged_violator="PAK", file=False))
    )
    w.draft = incidents.file_claim(afg, draft.pk)
    w.claims.append(w.draft)
    w.withdrawn = incidents.withdraw_claim(pak, w.claims[1].pk)
    w.amended = incidents.amend_claim(pak, w.claims[0].pk, ClaimIn(**claim_payload(deaths_a=7, point=CHAMAN)))
    w.claims.append(w.amended)
    incidents.publish_incident(qat, w.incidents[2].pk)
    if sign:
        w.checkpoint = ledger.sign_checkpoint()
    return w


def grow(users, count: int) -> None:
    """More entries, through the services: `count` incidents of two entries each."""
    for i in range(count):
        incidents.create_incident(users["pak_liaison"], IncidentIn(**incident_payload(deaths_a=i % 50)))


# --- running the verifier --------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    output: str

    @property
    def lines(self) -> list[str]:
        return self.output.splitlines()

    @property
    def problems(self) -> list[str]:
        """Each problem as "where: message"."""
        return [line.split("PROBLEM ", 1)[1] for line in self.lines if line.lstrip().startswith("PROBLEM ")]

    def at(self, where: str) -> list[str]:
        """The messages of the problems reported at exactly `where` ("entry 5", "claim <uuid>" …)."""
        return [p.split(": ", 1)[1] for p in self.problems if p.split(": ", 1)[0] == where]

    def at_prefix(self, prefix: str) -> list[str]:
        return [p for p in self.problems if p.startswith(prefix)]


def verify_database(*args: str) -> Run:
    """`sulh log verify --database [args]` through the management command: SystemExit(1) on a problem."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("log", "verify", "--database", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return Run(code, out.getvalue())


# --- tampering -------------------------------------------------------------------------------------


def set_body(index: int, body: bytes) -> None:
    LogEntry.objects.filter(index=index).update(body=body)


def body_of(index: int) -> bytes:
    return bytes(LogEntry.objects.values_list("body", flat=True).get(index=index))


def flip_hex_digit(data: bytes, needle: bytes) -> bytes:
    """`data` with the first hex digit after `needle` changed to another hex digit: the JSON stays
    well-formed and canonical, only the hash changes."""
    at = data.index(needle) + len(needle)
    ch = data[at : at + 1]
    return data[:at] + (b"1" if ch != b"1" else b"2") + data[at + 1 :]


def rewrite_tree() -> bytes:
    """What a forger with write access does after editing bodies: recompute every entry_hash column, every
    stored tree node and the head's frontier from the bodies as they now are. Returns the new root."""
    rows = list(LogEntry.objects.order_by("index").values_list("index", "body", "entry_hash"))
    leaves = [merkle.leaf_hash(bytes(body)) for _, body, _ in rows]
    changed = [(i, leaf.hex()) for (i, _, old), leaf in zip(rows, leaves, strict=True) if leaf.hex() != old]
    for i, _ in changed:  # entry_hash is unique: move the changed ones out of the way first
        LogEntry.objects.filter(index=i).update(entry_hash=f"rewritten-{i}")
    for i, h in changed:
        LogEntry.objects.filter(index=i).update(entry_hash=h)
    TreeNode.objects.all().delete()
    nodes, frontier = merkle.append_leaves(0, [], leaves)
    TreeNode.objects.bulk_create([TreeNode(id=merkle.stored_hash_index(lv, i), hash=h) for lv, i, h in nodes])
    LogHead.objects.filter(pk=1).update(size=len(leaves), frontier=b"".join(frontier))
    return merkle.root_from_frontier(frontier)


def resign_same_size() -> Checkpoint:
    """Drop the checkpoints and sign the rewritten tree with the log's own key."""
    Checkpoint.objects.all().delete()
    return ledger.sign_checkpoint()
