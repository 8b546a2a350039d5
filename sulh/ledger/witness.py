"""The witness: cosigns the log's checkpoints after checking that each one extends the last it cosigned.

It implements c2sp.org/tlog-witness `add-checkpoint` (push: the log posts to it) and the same check for a pull
CLI (the witness fetches the checkpoint and proof itself). Each party and the mediator run their own witness
on their own machine: the key never sits on the log's server.

On disk, in the witness's directory (nothing else writes there):

    witness.key        the Ed25519 cosignature key, Go's PRIVATE+KEY+ form, mode 0600
    witness.vkey       its verifier key, to hand to the log and to put in the policy
    state.json         per origin: the latest cosigned checkpoint (the commit point)
    logs/<id>/         per origin: index.bin (size, root, where its note is) and notes.log, append-only
    forks/<time>-<id>/ evidence of a fork: both log-signed checkpoints, the proof, a README.txt

Every check-and-persist runs under an exclusive flock on `.lock`, and state.json is replaced atomically after
the appended history is fsynced, so a crash leaves either the old state or the new one, never half of one.
Pure Python: no Django.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import secrets
import stat
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sulh.ledger import merkle
from sulh.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    InvalidSignatureError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    b64encode,
    check_key_name,
    open_note,
    parse_signer_key,
    split_note,
)
from sulh.ledger.tlog import (
    MAX_PROOF_HASHES,
    Checkpoint,
    CheckpointError,
    cosign,
    parse_decimal,
    parse_hash,
)

logger = logging.getLogger(__name__)

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
LOGS_DIR = "logs"
FORKS_DIR = "forks"
STATE_VERSION = 1

MAX_BODY = 64 * 1024  # a checkpoint with 100 signatures and 63 proof lines fits many times over
SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"

_RECORD = struct.Struct(">Q32sQI")  # size, root, offset and length of its note in notes.log

EQUIVOCATION = "equivocation"
INCONSISTENT = "inconsistent-proof"


# --------------------------------------------------------------------------- errors and results


class WitnessError(Exception):
    """A refusal, with the HTTP status tlog-witness gives it."""

    status = 500

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def body(self) -> bytes:
        return (str(self) + "\n").encode("utf-8")

    content_type = TEXT_CONTENT_TYPE


class StaleOldSize(WitnessError):
    """The client's old size is not the size this witness last cosigned: 409 with that size."""

    status = 409
    content_type = SIZE_CONTENT_TYPE

    def __init__(self, size: int):
        super().__init__(f"the latest checkpoint this witness cosigned has size {size}")
        self.size = size

    @property
    def body(self) -> bytes:
        return f"{self.size}\n".encode("ascii")


class ForkDetected(WitnessError):
    """The log signed a checkpoint that conflicts with one this witness holds. Evidence is on disk."""

    def __init__(
        self,
        kind: str,
        origin: str,
        held: Checkpoint,
        other: Checkpoint,
        evidence: Path,
        status: int,
        size_body: int | None = None,
    ):
        if kind == EQUIVOCATION:
            what = "the log signed two different roots for the same size"
        else:
            what = "the consistency proof between them does not verify (a fork unless the log can prove otherwise)"
        super().__init__(
            f"FORK of log {origin}: this witness holds size {held.size} root {b64encode(held.root)}, "
            f"the log also signed size {other.size} root {b64encode(other.root)}; {what}. Evidence: {evidence}",
            status,
        )
        self.kind = kind
        self.origin = origin
        self.held = held
        self.other = other
        self.evidence = evidence
        self._size_body = size_body
        if size_body is not None:
            self.content_type = SIZE_CONTENT_TYPE

    @property
    def body(self) -> bytes:
        # A 409 answers with the witness's size, as the protocol says, whatever the reason.
        if self._size_body is not None:
            return f"{self._size_body}\n".encode("ascii")
        return super().body


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    fork: ForkDetected | None = None


@dataclass(frozen=True)
class Held:
    """The latest checkpoint this witness cosigned for an origin."""

    origin: str
    size: int
    root: bytes
    note: str  # the log-signed note as received
    cosignature: str  # this witness's signature line on it
    timestamp: int

    def checkpoint(self) -> Checkpoint:
        return Checkpoint.parse(split_note(self.note)[0])


@dataclass(frozen=True)
class PeerCheck:
    """Outcome of comparing another witness's checkpoint with this witness's history.

    status: 'consistent'; 'need-proof' (a consistency proof from needed[0] to needed[1] would settle it); or
    'no-state' (this witness has cosigned nothing for that origin). A fork raises ForkDetected instead.
    """

    status: str
    origin: str
    peer_size: int
    peer_root: bytes
    own_size: int | None
    own_root: bytes | None
    needed: tuple[int, int] | None
    message: str
    peer_cosigners: tuple[str, ...] = ()


# --------------------------------------------------------------------------- wire helpers


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], signed_note: str) -> bytes:
    """An add-checkpoint request body (client side)."""
    lines = [f"old {old_size}", *(b64encode(h) for h in proof)]
    return ("\n".join(lines) + "\n\n" + signed_note).encode("utf-8")


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], bytes]:
    """(old size, consistency proof, signed checkpoint note) from a request body; WitnessError 400 if bad."""
    if len(body) > MAX_BODY:
        raise WitnessError(f"request body is larger than {MAX_BODY} bytes", 413)
    head, sep, note = bytes(body).partition(b"\n\n")  # the header has no blank line: the first one ends it
    if not sep:
        raise WitnessError("request has no blank line before the checkpoint", 400)
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise WitnessError("old size and proof lines must be ASCII", 400) from None
    if not lines[0].startswith("old "):
        raise WitnessError("request must start with 'old <size>'", 400)
    try:
        old = parse_decimal(lines[0][4:], "old size")
        if len(lines) - 1 > MAX_PROOF_HASHES:
            raise ValueError(f"more than {MAX_PROOF_HASHES} consistency proof lines")
        proof = [parse_hash(h, f"consistency proof line {i + 1}") for i, h in enumerate(lines[1:])]
    except ValueError as e:
        raise WitnessError(str(e), 400) from None
    return old, proof, note


def parse_size_response(body: bytes) -> int:
    """The size in a 409 text/x.tlog.size body."""
    text = body.decode("ascii")
    if not text.endswith("\n") or "\n" in text[:-1]:
        raise ValueError(f"malformed size response {body[:40]!r}")
    return parse_decimal(text[:-1], "size")


def _timestamp(now: dt.datetime | float | int | None) -> int:
    if now is None:
        return int(time.time())
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return int(now.timestamp())
    return int(now)


def _verifier_list(
    log_verifiers: Mapping[str, Verifier | Iterable[Verifier]], origin: str
) -> list[Verifier] | None:
    found = log_verifiers.get(origin)
    if found is None:
        return None
    return [found] if isinstance(found, Verifier) else list(found)


# --------------------------------------------------------------------------- files


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Temp file, fsync, rename over, fsync the directory: readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _append(path: Path, committed: int, data: bytes) -> int:
    """Appends after the committed length (dropping what a crash left past it); returns the offset."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size != committed:
            os.ftruncate(fd, committed)
        os.lseek(fd, committed, os.SEEK_SET)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return committed


def _pread(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    if len(data) != length:
        raise OSError(f"{path} is shorter than its committed length")
    return data


# --------------------------------------------------------------------------- the witness


class WitnessState:
    """A witness's key and memory, in one directory on the witness operator's machine."""

    def __init__(
        self, directory: str | os.PathLike[str], on_fork: Callable[[ForkDetected], None] | None = None
    ):
        self.directory = Path(directory)
        self.on_fork = on_fork
        self._signer: Signer | None = None

    # ------------------------------------------------------------------ key

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_FILE

    def init(self, name: str) -> str:
        """Creates the witness key (never overwrites one); returns its verifier key."""
        check_key_name(name)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        signer = Signer(name, secrets.token_bytes(32), COSIGNATURE_V1)
        with self._locked():
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.fchmod(fd, 0o600)  # whatever the umask
                os.write(fd, (signer.signer_key() + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            vkey = signer.verifier_key()
            _write_atomic(self.directory / VKEY_FILE, (vkey + "\n").encode("ascii"))
        self._signer = signer
        return vkey

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            try:
                st = os.stat(self.key_path)
            except FileNotFoundError:
                raise FileNotFoundError(f"no witness key in {self.directory}: run init first") from None
            if stat.S_IMODE(st.st_mode) & 0o077:
                raise PermissionError(
                    f"{self.key_path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); chmod 600 it"
                )
            signer = parse_signer_key(self.key_path.read_text("ascii"))
            if signer.sig_type != COSIGNATURE_V1:
                raise ValueError(f"{self.key_path} is not a cosignature (type 0x04) key")
            self._signer = signer
        return self._signer

    @property
    def name(self) -> str:
        return self.signer.name

    def verifier(self) -> Verifier:
        return self.signer.verifier()

    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    # ------------------------------------------------------------------ state

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _load(self) -> dict:
        try:
            state = json.loads((self.directory / STATE_FILE).read_text("utf-8"))
        except FileNotFoundError:
            return {"version": STATE_VERSION, "logs": {}}
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"{self.directory / STATE_FILE}: unknown state version {state.get('version')!r}")
        return state

    def _save(self, state: dict) -> None:
        data = json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")
        _write_atomic(self.directory / STATE_FILE, data, 0o600)

    def _log_dir(self, entry: dict) -> Path:
        return self.directory / LOGS_DIR / entry["dir"]

    def origins(self) -> list[str]:
        return sorted(self._load()["logs"])

    def latest(self, origin: str) -> Held | None:
        entry = self._load()["logs"].get(origin)
        return self._held(origin, entry) if entry else None

    @staticmethod
    def _held(origin: str, entry: dict) -> Held:
        return Held(
            origin,
            entry["size"],
            parse_hash(entry["root"], "stored root"),
            entry["note"],
            entry["cosignature"],
            entry["timestamp"],
        )

    def _record(self, entry: dict, i: int) -> tuple[int, bytes, int, int]:
        raw = _pread(self._log_dir(entry) / "index.bin", i * _RECORD.size, _RECORD.size)
        return _RECORD.unpack(raw)

    def _find(self, entry: dict, size: int) -> tuple[int, bytes, int, int] | None:
        # Records are in strictly increasing size: binary search, so a long history costs log n reads.
        lo, hi = 0, entry["records"]
        while lo < hi:
            mid = (lo + hi) // 2
            rec = self._record(entry, mid)
            if rec[0] == size:
                return rec
            if rec[0] < size:
                lo = mid + 1
            else:
                hi = mid
        return None

    def root_at(self, origin: str, size: int) -> bytes | None:
        """The root this witness cosigned for `size`, if it cosigned that size."""
        entry = self._load()["logs"].get(origin)
        rec = self._find(entry, size) if entry else None
        return rec[1] if rec else None

    def note_at(self, origin: str, size: int) -> str | None:
        """The log-signed note of the checkpoint of `size` that this witness cosigned."""
        entry = self._load()["logs"].get(origin)
        rec = self._find(entry, size) if entry else None
        if rec is None:
            return None
        return _pread(self._log_dir(entry) / "notes.log", rec[2], rec[3]).decode("utf-8")

    def history(self, origin: str) -> list[tuple[int, bytes]]:
        """Every (size, root) this witness cosigned for `origin`, oldest first."""
        entry = self._load()["logs"].get(origin)
        if not entry:
            return []
        return [self._record(entry, i)[:2] for i in range(entry["records"])]

    def forks(self) -> list[Path]:
        d = self.directory / FORKS_DIR
        return (
            sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")) if d.exists() else []
        )

    def _append_history(self, origin: str, entry: dict | None, cp: Checkpoint, note: str) -> dict:
        if entry is None:
            entry = {
                "dir": hashlib.sha256(origin.encode("utf-8")).hexdigest()[:32],
                "records": 0,
                "notes_bytes": 0,
            }
        d = self._log_dir(entry)
        if not d.exists():
            d.mkdir(parents=True, mode=0o700)
            _fsync_dir(d.parent)
        data = note.encode("utf-8")
        offset = _append(d / "notes.log", entry["notes_bytes"], data)
        _append(
            d / "index.bin",
            entry["records"] * _RECORD.size,
            _RECORD.pack(cp.size, cp.root, offset, len(data)),
        )
        return {**entry, "records": entry["records"] + 1, "notes_bytes": offset + len(data)}

    # ------------------------------------------------------------------ forks

    def _fork(
        self,
        kind: str,
        origin: str,
        held_note: str,
        other_note: str,
        log_verifiers: Sequence[Verifier],
        now: int,
        *,
        status: int,
        size_body: int | None = None,
        proof: tuple[int, int, Sequence[bytes]] | None = None,
        source: str,
    ) -> ForkDetected:
        """Saves both checkpoints (log signatures intact), the proof and a README; returns the error to raise."""
        held = Checkpoint.parse(split_note(held_note)[0])
        other = Checkpoint.parse(split_note(other_note)[0])
        ident = hashlib.sha256(f"{kind}\n{held.text()}\n{other.text()}".encode()).hexdigest()[:12]
        forks = self.directory / FORKS_DIR
        forks.mkdir(mode=0o700, exist_ok=True)
        existing = [p for p in forks.iterdir() if p.name.endswith("-" + ident)]
        if existing:
            target = existing[0]  # the same conflict seen again: keep the first evidence
        else:
            stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            target = forks / f"{stamp}-{ident}"
            tmp = forks / f".tmp-{ident}-{secrets.token_hex(4)}"
            tmp.mkdir(mode=0o700)
            files = {
                "held-checkpoint.txt": held_note,
                "conflicting-checkpoint.txt": other_note,
                "README.txt": _readme(
                    kind, origin, held, other, log_verifiers, self._safe_name(), proof, source, now
                ),
                "fork.json": json.dumps(
                    {
                        "kind": kind,
                        "origin": origin,
                        "detected_at": now,
                        "source": source,
                        "held": {"size": held.size, "root": b64encode(held.root)},
                        "conflicting": {"size": other.size, "root": b64encode(other.root)},
                        "log_keys": [v.verifier_key() for v in log_verifiers],
                    },
                    indent=1,
                )
                + "\n",
            }
            if proof is not None:
                size1, size2, hashes = proof
                files["consistency-proof.txt"] = f"from size {size1} to size {size2}\n" + "".join(
                    b64encode(h) + "\n" for h in hashes
                )
            for fname, content in files.items():
                fd = os.open(tmp / fname, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    os.write(fd, content.encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
            _fsync_dir(tmp)
            os.rename(tmp, target)
            _fsync_dir(forks)
        err = ForkDetected(kind, origin, held, other, target, status, size_body)
        logger.error("%s", err)
        return err

    def _safe_name(self) -> str:
        try:
            return self.name
        except (OSError, ValueError):
            return "(unknown)"

    # ------------------------------------------------------------------ add-checkpoint

    def handle(
        self,
        request_body: bytes,
        log_verifiers: Mapping[str, Verifier | Iterable[Verifier]],
        now: dt.datetime | float | int | None = None,
    ) -> Response:
        """The add-checkpoint endpoint: never raises for a bad request, answers with the spec's status."""
        try:
            old, proof, note = parse_add_checkpoint(request_body)
            lines = self.witness(old, proof, note, log_verifiers, now)
        except WitnessError as e:
            fork = e if isinstance(e, ForkDetected) else None
            if fork is not None and self.on_fork is not None:
                self.on_fork(fork)
            return Response(e.status, e.body, e.content_type, fork)
        return Response(200, lines.encode("utf-8"), TEXT_CONTENT_TYPE)

    def add_checkpoint(
        self,
        request_body: bytes,
        log_verifiers: Mapping[str, Verifier | Iterable[Verifier]],
        now: dt.datetime | float | int | None = None,
    ) -> tuple[int, bytes]:
        """(status, body) for a POST <prefix>/add-checkpoint. A 409 body is text/x.tlog.size (see handle())."""
        r = self.handle(request_body, log_verifiers, now)
        return r.status, r.body

    def _open(
        self,
        note: str | bytes,
        log_verifiers: Mapping[str, Verifier | Iterable[Verifier]],
        extra: Iterable[Verifier] = (),
    ) -> tuple[str, Checkpoint, list[Verifier], list[str]]:
        """Checks the note as the spec orders it: 400 malformed, 404 unknown origin, 403 no valid log signature."""
        try:
            if isinstance(note, bytes):
                note = note.decode("utf-8")
            text, _ = split_note(note)
        except (NoteError, UnicodeDecodeError) as e:
            raise WitnessError(f"malformed checkpoint note: {e}", 400) from None
        origin = text.split("\n", 1)[0]
        verifiers = _verifier_list(log_verifiers, origin)
        if verifiers is None:
            raise WitnessError(f"unknown log origin {origin!r}", 404)
        verifiers = [v for v in verifiers if v.sig_type == ED25519]  # a witness key never stands for the log
        if not verifiers:
            raise WitnessError(f"no Ed25519 key is configured for log {origin!r}", 404)
        extra = [v for v in extra if v.sig_type == COSIGNATURE_V1]
        try:
            _, verified, _ = open_note(note, [*verifiers, *extra])
        except (UnverifiedNoteError, InvalidSignatureError) as e:
            raise WitnessError(f"checkpoint not signed by a known key of {origin}: {e}", 403) from None
        except NoteError as e:
            raise WitnessError(str(e), 400) from None
        log_ids = {(v.name, v.key_id) for v in verifiers}
        if not any((s.name, s.key_id) in log_ids for s in verified):
            raise WitnessError(f"checkpoint not signed by a known key of {origin}", 403)
        try:
            cp = Checkpoint.parse(text)
        except CheckpointError as e:
            raise WitnessError(f"malformed checkpoint: {e}", 400) from None
        if cp.text() != text:  # cosign exactly what was parsed: no room for two readings of one text
            raise WitnessError("checkpoint text is not in canonical form", 400)
        extra_ids = {(v.name, v.key_id) for v in extra}
        cosigners = [s.name for s in verified if (s.name, s.key_id) in extra_ids]
        return note, cp, verifiers, cosigners

    def witness(
        self,
        old_size: int,
        proof: Sequence[bytes],
        checkpoint_note: str | bytes,
        log_verifiers: Mapping[str, Verifier | Iterable[Verifier]],
        now: dt.datetime | float | int | None = None,
    ) -> str:
        """Checks a log-signed checkpoint against what this witness last cosigned and, if it extends it,
        records it and returns the cosignature line(s). Raises WitnessError (with .status) otherwise: the
        pull-mode entry point, and the core of add_checkpoint."""
        ts = _timestamp(now)
        note, cp, verifiers, _ = self._open(checkpoint_note, log_verifiers)
        if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
            raise WitnessError("a checkpoint of size 0 must carry the empty tree's root", 422)
        if old_size == 0 and proof:
            raise WitnessError("the consistency proof must be empty when the old size is 0", 400)
        signer = self.signer
        with self._locked():
            state = self._load()
            entry = state["logs"].get(cp.origin)
            held = self._held(cp.origin, entry) if entry else None
            held_size = held.size if held else 0
            # A root that differs from one this witness cosigned for the same size is proof of a fork,
            # whatever old size the request names: keep it before answering.
            rec = self._find(entry, cp.size) if entry else None
            if rec is not None and rec[1] != cp.root:
                held_note = _pread(self._log_dir(entry) / "notes.log", rec[2], rec[3]).decode("utf-8")
                bad_old = old_size > cp.size
                raise self._fork(
                    EQUIVOCATION,
                    cp.origin,
                    held_note,
                    note,
                    verifiers,
                    ts,
                    status=400 if bad_old else 409,
                    size_body=None if bad_old else held_size,
                    source="add-checkpoint",
                )
            if old_size > cp.size:
                raise WitnessError(f"old size {old_size} is larger than the checkpoint size {cp.size}", 400)
            if old_size != held_size:
                raise StaleOldSize(held_size)
            if held is not None and held_size > 0:
                try:
                    merkle.verify_consistency(held_size, cp.size, proof, held.root, cp.root)
                except merkle.ProofError as e:
                    if cp.size == held_size:  # same root (checked above), only a stray proof
                        raise WitnessError(f"consistency proof does not verify: {e}", 422) from None
                    raise self._fork(
                        INCONSISTENT,
                        cp.origin,
                        held.note,
                        note,
                        verifiers,
                        ts,
                        status=422,
                        proof=(held_size, cp.size, list(proof)),
                        source="add-checkpoint",
                    ) from None
            line = cosign(cp.text(), signer, ts)
            if held is None or cp.size > held_size:
                entry = self._append_history(cp.origin, entry, cp, note)
            state["logs"][cp.origin] = {
                **entry,
                "size": cp.size,
                "root": b64encode(cp.root),
                "note": note,
                "cosignature": line,
                "timestamp": ts,
            }
            self._save(state)  # the commit point: persisted before anyone sees the cosignature
        return line

    # ------------------------------------------------------------------ gossip

    def check_peer(
        self,
        peer_signed_checkpoint_text: str | bytes,
        log_verifiers: Mapping[str, Verifier | Iterable[Verifier]],
        proof: Sequence[bytes] | None = None,
        *,
        peer_verifiers: Iterable[Verifier] = (),
        now: dt.datetime | float | int | None = None,
    ) -> PeerCheck:
        """Compares a checkpoint another witness cosigned (it must carry the log's signature) with this
        witness's history. Same size and another root: ForkDetected (raised, evidence saved). Other sizes
        need a consistency proof between the two: without `proof` the result says which; with it, a proof
        that fails raises ForkDetected."""
        ts = _timestamp(now)
        note, cp, verifiers, cosigners = self._open(
            peer_signed_checkpoint_text, log_verifiers, peer_verifiers
        )
        if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
            raise WitnessError("a checkpoint of size 0 must carry the empty tree's root", 422)
        with self._locked():
            entry = self._load()["logs"].get(cp.origin)
            held = self._held(cp.origin, entry) if entry else None

            def result(status: str, message: str, needed: tuple[int, int] | None = None) -> PeerCheck:
                return PeerCheck(
                    status,
                    cp.origin,
                    cp.size,
                    cp.root,
                    held.size if held else None,
                    held.root if held else None,
                    needed,
                    message,
                    tuple(cosigners),
                )

            if held is None:
                return result("no-state", f"this witness has cosigned nothing for {cp.origin}")
            rec = self._find(entry, cp.size)
            if rec is not None:
                if rec[1] == cp.root:
                    return result(
                        "consistent", f"same root as the checkpoint of size {cp.size} cosigned here"
                    )
                held_note = _pread(self._log_dir(entry) / "notes.log", rec[2], rec[3]).decode("utf-8")
                raise self._fork(
                    EQUIVOCATION, cp.origin, held_note, note, verifiers, ts, status=409, source="peer"
                )
            if cp.size > held.size:
                (size1, root1), (size2, root2) = (held.size, held.root), (cp.size, cp.root)
            else:
                (size1, root1), (size2, root2) = (cp.size, cp.root), (held.size, held.root)
            if size1 == 0:
                return result("consistent", "every tree extends the empty tree")
            if proof is None:
                return result(
                    "need-proof",
                    f"ask the log for a consistency proof from size {size1} to size {size2}",
                    (size1, size2),
                )
            try:
                merkle.verify_consistency(size1, size2, proof, root1, root2)
            except merkle.ProofError:
                raise self._fork(
                    INCONSISTENT,
                    cp.origin,
                    held.note,
                    note,
                    verifiers,
                    ts,
                    status=422,
                    proof=(size1, size2, list(proof)),
                    source="peer",
                ) from None
            return result("consistent", f"consistency proof from size {size1} to size {size2} verifies")


def _readme(
    kind: str,
    origin: str,
    held: Checkpoint,
    other: Checkpoint,
    log_verifiers: Sequence[Verifier],
    witness_name: str,
    proof: tuple[int, int, Sequence[bytes]] | None,
    source: str,
    now: int,
) -> str:
    when = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    keys = "\n".join(f"    {v.verifier_key()}" for v in log_verifiers)
    got = "from another witness (gossip)" if source == "peer" else "in an add-checkpoint request"
    head = (
        f"Evidence of a fork in the transparency log {origin}\n"
        f"Found by witness {witness_name} on {when}, {got}.\n\n"
        f"held-checkpoint.txt         size {held.size}, root {b64encode(held.root)}\n"
        f"conflicting-checkpoint.txt  size {other.size}, root {b64encode(other.root)}\n\n"
        "Both files are checkpoints exactly as the log signed them, signatures included. Anyone can check\n"
        "the signatures with the log's public key:\n"
        f"{keys}\n\n"
    )
    if kind == EQUIVOCATION:
        body = (
            f"WHAT THIS PROVES. The log signed two different roots for the same tree size {held.size}. A log\n"
            "of a given size has exactly one root, so an honest log can never sign both: the log has shown\n"
            'different histories to different people (a fork, or "split view"). Entries seen by one side may\n'
            "be missing or different for the other. Nothing else is needed to prove it: the two signed files\n"
            "are the proof. The witness refused to cosign the second one.\n"
        )
    else:
        size1, size2, _ = proof if proof else (held.size, other.size, ())
        body = (
            f"WHAT THIS SHOWS. The log signed both checkpoints, but the consistency proof supplied\n"
            f"(consistency-proof.txt, from size {size1} to size {size2}) does not show that the larger tree\n"
            "contains the smaller one unchanged. The witness refused to cosign.\n\n"
            "On its own this is strong evidence, not yet proof: whoever sent the checkpoint may have sent a\n"
            f"wrong proof. Ask the log for a consistency proof from size {size1} to size {size2}. If the log\n"
            "cannot give one that verifies against both roots, it has rewritten its history (a fork).\n"
        )
    return head + body + "\nKeep this directory unchanged: copy it to the other parties and the mediator.\n"
