"""REST endpoints of the ledger: checkpoints, proofs, entries, witness keys and cosignatures.

Hashes travel as standard base64 (as in C2SP notes and proofs), entry hashes as hex (as in receipts)."""

import base64

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from sulh.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import records, services
from .models import Checkpoint, LogEntry
from .receipts import answers_receipts, with_receipts

router = Router(tags=["ledger"])


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


class CheckpointOut(Schema):
    size: int
    root: str = Field(description="Root hash, base64")
    note: str = Field(description="The C2SP signed note: checkpoint, log signature, then every cosignature")
    created_at: str
    witnessed: bool
    witnessed_at: str | None
    cosigners: list[str] = Field(description="Organisations whose cosignature is on this checkpoint")


def _checkpoint_out(cp: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        size=cp.size,
        root=b64(bytes(cp.root)),
        note=services.cosigned_note(cp),
        created_at=cp.created_at.isoformat(),
        witnessed=cp.witnessed_at is not None,
        witnessed_at=cp.witnessed_at.isoformat() if cp.witnessed_at else None,
        cosigners=sorted(c.key.organisation.code for c in cp.cosignatures.select_related("key__organisation")),
    )


@router.get("/ledger/checkpoint", response=CheckpointOut, summary="The newest checkpoint (or newest witnessed)")
def latest_checkpoint(request: HttpRequest, witnessed: bool = False):
    cp = services.latest_checkpoint(witnessed=witnessed)
    if cp is None:
        raise NotFound("no witnessed checkpoint yet" if witnessed else "no checkpoint yet")
    return _checkpoint_out(cp)


@router.get("/ledger/checkpoints/{size}", response=CheckpointOut, summary="The checkpoint of a given size")
def checkpoint_of_size(request: HttpRequest, size: int):
    return _checkpoint_out(services.checkpoint_of_size(size))


@router.post("/ledger/checkpoints", response={201: CheckpointOut, 200: CheckpointOut}, summary="Sign now")
def sign_checkpoint(request: HttpRequest):
    if request.auth_user.organisation is None or request.auth_user.organisation.code == "PUBLIC":
        raise PermissionDenied("only the mechanism's organisations ask for a checkpoint")
    before = services.latest_checkpoint()
    cp = services.sign_checkpoint(force=True)
    return Status(200 if before is not None and before.pk == cp.pk else 201, _checkpoint_out(cp))


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    entry_hash: str = Field(description="RFC 9162 leaf hash of the entry, hex")
    proof: list[str] = Field(description="RFC 9162 inclusion path, base64, leaf side first")
    root: str = Field(description="Root of the tree of `tree_size`, base64")


class InclusionQuery(Schema):
    index: int | None = Field(None, ge=0, description="Leaf index; or give `entry_hash`")
    entry_hash: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    size: int | None = Field(None, ge=1, description="Tree size to prove against; default: the current size")


@router.get("/ledger/proof/inclusion", response=InclusionOut, summary="Inclusion proof of an entry")
def inclusion(request: HttpRequest, q: Query[InclusionQuery]):
    if (q.index is None) == (q.entry_hash is None):
        raise ValidationFailed("give exactly one of index and entry_hash", field="index")
    index = q.index if q.index is not None else services.index_of(q.entry_hash)
    p = services.inclusion(index, q.size)
    return InclusionOut(
        leaf_index=p["leaf_index"], tree_size=p["tree_size"], entry_hash=p["entry_hash"],
        proof=[b64(h) for h in p["proof"]], root=b64(p["root"]),
    )  # fmt: skip


class ConsistencyOut(Schema):
    first: int
    second: int
    proof: list[str]
    first_root: str
    second_root: str


class ConsistencyQuery(Schema):
    first: int = Field(ge=0, description="The older tree size (e.g. the checkpoint you hold)")
    second: int | None = Field(None, ge=0, description="The newer tree size; default: the current size")


@router.get("/ledger/proof/consistency", response=ConsistencyOut, summary="Consistency proof between sizes")
def consistency(request: HttpRequest, q: Query[ConsistencyQuery]):
    p = services.consistency(q.first, q.second)
    return ConsistencyOut(
        first=p["first"], second=p["second"], proof=[b64(h) for h in p["proof"]],
        first_root=b64(p["first_root"]), second_root=b64(p["second_root"]),
    )  # fmt: skip


class EntryOut(Schema):
    index: int
    entry_hash: str
    body: str = Field(description="The entry exactly as hashed: RFC 8785 canonical JSON")


def _entry_out(e: LogEntry) -> EntryOut:
    return EntryOut(index=e.index, entry_hash=e.entry_hash, body=bytes(e.body).decode())


@router.get("/ledger/entries", response=list[EntryOut], summary="Entries by index range [start, end)")
def entries(request: HttpRequest, start: int = 0, end: int | None = None):
    end = min(services.tree_size(), start + 100) if end is None else end
    return [_entry_out(e) for e in services.entries(start, end)]


class OpeningOut(Schema):
    salt: str = Field(description="hex; content_sha256 = SHA-256(salt ‖ content)")
    content: str | None = Field(description="Canonical JSON of the record as it is now (newest entry only)")


class RecordEntryOut(EntryOut):
    opening: OpeningOut | None = Field(description="Only for those who may read the record itself")


@router.get("/ledger/records/{record_type}/{record_id}", response=list[RecordEntryOut], summary="A record's entries")
def record_history(request: HttpRequest, record_type: str, record_id: str):
    rt = records.REGISTRY.get(record_type)
    if rt is None:
        raise NotFound(f"unknown record type {record_type!r} (known: {', '.join(sorted(records.REGISTRY))})")
    found = services.history(record_type, record_id)
    obj = rt.model._default_manager.filter(pk=record_id).first() if found else None
    # The entries themselves are public to the mechanism; a record nobody here may read answers 404 all
    # the same, so that the history page does not confirm that a hidden record exists.
    if obj is not None and (rt.readable_by is None or not rt.readable_by(request.auth_user, obj)):
        raise NotFound("no such record")
    if not found:
        raise NotFound("no such record")
    out = []
    for e in found:
        opening = services.opening(request.auth_user, e)
        out.append(RecordEntryOut(**_entry_out(e).model_dump(), opening=opening))
    return out


@router.get(
    "/ledger/proof/{index}.tlog-proof", response={200: None}, summary="Offline proof (C2SP tlog-proof)",
    url_name="ledger_tlog_proof",
)
def tlog_proof(request: HttpRequest, index: int, witnessed: bool = True):
    from .tlog import format_proof

    cp = services.latest_checkpoint(witnessed=witnessed)
    if cp is None or cp.size <= index:
        raise NotFound(
            f"no {'witnessed ' if witnessed else ''}checkpoint covers entry {index} yet: try again after the next one"
        )
    p = services.inclusion(index, cp.size)
    text = format_proof(index, p["proof"], services.cosigned_note(cp), None)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sulh-entry-{index}.tlog-proof"'
    return response


class KeysOut(Schema):
    origin: str
    log: str = Field(description="The log's verifier key (C2SP signed-note, Ed25519)")
    witnesses: dict[str, str] = Field(description="Organisation code → active witness verifier key (cosignature/v1)")


@router.get("/ledger/keys", response=KeysOut, summary="The log's key and every active witness key")
def ledger_keys(request: HttpRequest):
    from . import keys

    return KeysOut(
        origin=services.origin(), log=keys.log_verifier_key(),
        witnesses={code: wk.verifier_key for code, wk in services.active_witness_keys().items()},
    )  # fmt: skip


@router.get("/ledger/policy", response={200: None}, summary="The witness policy (C2SP tlog-policy)")
def policy(request: HttpRequest):
    return HttpResponse(services.policy_text(), content_type="text/plain; charset=utf-8")


class WitnessKeyIn(Schema):
    verifier_key: str = Field(max_length=300, description="name+keyid+base64, from `sulh witness init`")
    url: str = Field("", max_length=200, description="Optional: your tlog-witness endpoint, for the log to push to")


class WitnessKeyOut(Schema):
    organisation: str
    verifier_key: str
    key_id: str
    registered_at: str


@router.post(
    "/ledger/witness-keys", response={201: with_receipts(WitnessKeyOut)}, summary="Register your witness key"
)
@answers_receipts(WitnessKeyOut)
def register_witness_key(request: HttpRequest, payload: WitnessKeyIn):
    wk = services.register_witness_key(request.auth_user, payload.verifier_key, payload.url)
    return Status(201, WitnessKeyOut(
        organisation=wk.organisation.code, verifier_key=wk.verifier_key, key_id=wk.key_id,
        registered_at=wk.registered_at.isoformat(),
    ))  # fmt: skip


class CosignatureIn(Schema):
    size: int = Field(ge=1)
    line: str = Field(max_length=400, description="The cosignature line '— name base64' from your witness")


class CosignatureOut(Schema):
    size: int
    organisation: str
    timestamp: int
    witnessed: bool


@router.post("/ledger/cosignatures", response={201: CosignatureOut}, summary="Hand in your witness's cosignature")
def add_cosignature(request: HttpRequest, payload: CosignatureIn):
    cs = services.add_cosignature(request.auth_user, payload.size, payload.line)
    cs.checkpoint.refresh_from_db()
    return Status(201, CosignatureOut(
        size=cs.checkpoint.size, organisation=cs.key.organisation.code, timestamp=cs.timestamp,
        witnessed=cs.checkpoint.witnessed_at is not None,
    ))  # fmt: skip


class WitnessStatusOut(Schema):
    organisation: str
    verifier_key: str | None
    latest_cosigned_size: int | None
    latest_cosigned_at: int | None


@router.get("/ledger/witnesses", response=list[WitnessStatusOut], summary="Each organisation's newest cosignature")
def witnesses(request: HttpRequest):
    return [
        WitnessStatusOut(
            organisation=w["organisation"],
            verifier_key=w["key"].verifier_key if w["key"] else None,
            latest_cosigned_size=w["cosignature"].checkpoint.size if w["cosignature"] else None,
            latest_cosigned_at=w["cosignature"].timestamp if w["cosignature"] else None,
        )
        for w in services.latest_witnessed_by_org()
    ]
