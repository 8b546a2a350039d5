"""C2SP transparency-log formats: checkpoints (c2sp.org/tlog-checkpoint), cosignatures
(c2sp.org/tlog-cosignature v1), offline proofs (c2sp.org/tlog-proof@v1) and trust policies
(c2sp.org/tlog-policy).

Pure Python: no Django, so that verifiers and witnesses need only this package and `cryptography`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sulh.ledger import merkle
from sulh.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    NoteError,
    Signature,
    Signer,
    Verifier,
    b64decode,
    b64encode,
    open_note,
    parse_signature_line,
    parse_verifier_key,
    split_note,
)

MAX_SIZE = 2**63 - 1  # Go's tlog and the witness protocol use int64 sizes
MAX_PROOF_HASHES = 63  # a tree of at most 2^63 leaves has paths of at most 63 hashes
PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """Checkpoint text that does not follow c2sp.org/tlog-checkpoint."""


class TlogProofError(ValueError):
    """A tlog-proof that is malformed or does not verify."""


class PolicyError(ValueError):
    """A policy file that does not follow c2sp.org/tlog-policy."""


class QuorumError(ValueError):
    """A checkpoint whose cosignatures do not satisfy the policy's quorum."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


def parse_decimal(text: str, what: str, error: type[ValueError] = ValueError) -> int:
    """ASCII decimal without leading zeroes, at most 2^63-1."""
    if not _DECIMAL.fullmatch(text) or len(text) > 19:
        raise error(f"{what} {text[:30]!r} is not a decimal number without leading zeroes")
    value = int(text)
    if value > MAX_SIZE:
        raise error(f"{what} {text} is larger than 2^63-1")
    return value


def parse_hash(text: str, what: str, error: type[ValueError] = ValueError) -> bytes:
    try:
        raw = b64decode(text, what)
    except NoteError as e:
        raise error(str(e)) from None
    if len(raw) != merkle.HASH_SIZE:
        raise error(f"{what} is {len(raw)} bytes, a SHA-256 hash is 32")
    return raw


# --------------------------------------------------------------------------- checkpoints


@dataclass
class Checkpoint:
    """A tree head: the log's origin, the number of leaves, the RFC 6962 root, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or self.origin == "" or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be a non-empty single line")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(f"checkpoint size {self.size!r} must be an integer in 0..2^63-1")
        if not isinstance(self.root, bytes | bytearray) or len(self.root) != merkle.HASH_SIZE:
            raise CheckpointError("checkpoint root must be 32 bytes")
        self.root = bytes(self.root)
        for line in self.extensions:
            if not isinstance(line, str) or line == "" or "\n" in line:
                raise CheckpointError("checkpoint extension lines must be non-empty single lines")

    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not isinstance(text, str):
            raise CheckpointError("checkpoint text must be a string")
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"checkpoint has {len(lines)} lines, needs origin, size and root")
        origin, size, root, *extensions = lines
        if origin == "":
            raise CheckpointError("checkpoint origin is empty")
        if any(ord(c) < 0x20 for c in text if c != "\n"):
            raise CheckpointError("checkpoint holds a control character")
        for i, line in enumerate(extensions):
            if line == "":
                raise CheckpointError(f"checkpoint extension line {i + 1} is empty")
        return cls(
            origin,
            parse_decimal(size, "checkpoint size", CheckpointError),
            parse_hash(root, "checkpoint root", CheckpointError),
            extensions,
        )

    def __str__(self) -> str:
        return f"{self.origin} size {self.size} root {b64encode(self.root)}"


def sign_checkpoint(cp: Checkpoint, log_signer: Signer) -> str:
    """The checkpoint as a note signed by the log. The log's key name must be the origin (tlog-policy
    identifies a log by it)."""
    if log_signer.sig_type != ED25519:
        raise ValueError("a log signs checkpoints with an Ed25519 (type 0x01) key")
    if log_signer.name != cp.origin:
        raise ValueError(f"log key name {log_signer.name!r} is not the checkpoint origin {cp.origin!r}")
    text = cp.text()
    return text + "\n" + log_signer.sign(text)


def cosign(checkpoint_text: str, witness_signer: Signer, timestamp: int) -> str:
    """A witness's cosignature/v1 line over a checkpoint text (the note text, without signatures)."""
    if witness_signer.sig_type != COSIGNATURE_V1:
        raise ValueError("a witness cosigns with an Ed25519 cosignature (type 0x04) key")
    Checkpoint.parse(checkpoint_text)
    return witness_signer.sign(checkpoint_text, timestamp)


def verify_cosignature(checkpoint_text: str, signature_line: str, verifier: Verifier) -> int:
    """Checks one cosignature line against a witness's key; returns the time it states."""
    if verifier.sig_type != COSIGNATURE_V1:
        raise ValueError("verifier is not a cosignature (type 0x04) key")
    sig = parse_signature_line(signature_line.rstrip("\n"))
    if (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
        raise NoteError(
            f"cosignature is from {sig.name}+{sig.key_id:08x}, not from {verifier.name}+{verifier.key_id:08x}"
        )
    if not verifier.verify(checkpoint_text, sig.signature):
        raise NoteError(f"invalid cosignature from {verifier.name}+{verifier.key_id:08x}")
    ts = verifier.timestamp(sig.signature)
    assert ts is not None
    return ts


@dataclass
class OpenedCheckpoint:
    """A checkpoint whose log signature verified. `cosignatures` are the verified witness signatures and
    `cosigners` maps their key names to the times they state; under a policy `witnesses` holds the policy's
    names for them."""

    checkpoint: Checkpoint
    text: str
    note: str
    log_signatures: list[Signature]
    cosignatures: list[Signature]
    unverified: list[Signature]
    witnesses: set[str] = field(default_factory=set)

    @property
    def cosigners(self) -> dict[str, int]:
        return {s.name: s.timestamp for s in self.cosignatures if s.timestamp is not None}


def open_checkpoint(
    note_text: str | bytes, log_verifiers: Iterable[Verifier], witness_verifiers: Iterable[Verifier] = ()
) -> OpenedCheckpoint:
    """Opens a checkpoint note: it must carry a valid signature from a log key named after its origin.
    Cosignatures from the witness keys given are verified too; other lines are kept unverified."""
    logs = [v for v in log_verifiers if v.sig_type == ED25519]
    witnesses = [v for v in witness_verifiers if v.sig_type == COSIGNATURE_V1]
    text, verified, unverified = open_note(note_text, [*logs, *witnesses])
    cp = Checkpoint.parse(text)
    log_ids = {(v.name, v.key_id) for v in logs if v.name == cp.origin}
    log_sigs = [s for s in verified if (s.name, s.key_id) in log_ids]
    if not log_sigs:
        raise NoteError(f"checkpoint for {cp.origin} carries no valid signature from a key of that log")
    wit_ids = {(v.name, v.key_id) for v in witnesses}
    cosignatures = [s for s in verified if (s.name, s.key_id) in wit_ids]
    note = note_text.decode("utf-8") if isinstance(note_text, bytes) else note_text
    return OpenedCheckpoint(cp, text, note, log_sigs, cosignatures, unverified)


# --------------------------------------------------------------------------- tlog-proof


@dataclass
class TlogProof:
    index: int
    proof: list[bytes]
    checkpoint_note: str
    extra: bytes | None = None


def format_proof(
    index: int, proof_hashes: Sequence[bytes], signed_checkpoint_note: str, extra: bytes | None = None
) -> str:
    """A c2sp.org/tlog-proof@v1 text (store it as <name>.tlog-proof)."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_SIZE:
        raise TlogProofError(f"index {index!r} must be an integer in 0..2^63-1")
    if len(proof_hashes) > MAX_PROOF_HASHES:
        raise TlogProofError(f"an inclusion proof has at most {MAX_PROOF_HASHES} hashes")
    for h in proof_hashes:
        if len(h) != merkle.HASH_SIZE:
            raise TlogProofError("inclusion proof hashes must be 32 bytes")
    split_note(signed_checkpoint_note)  # must be a well-formed note
    lines = [PROOF_HEADER]
    if extra is not None:
        lines.append(f"extra {b64encode(bytes(extra))}")
    lines.append(f"index {index}")
    lines.extend(b64encode(h) for h in proof_hashes)
    return "\n".join(lines) + "\n\n" + signed_checkpoint_note


def parse_proof(text: str | bytes) -> TlogProof:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise TlogProofError("proof is not valid UTF-8") from None
    head, sep, note_text = text.partition("\n\n")
    if not sep:
        raise TlogProofError("proof has no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise TlogProofError(f"proof must start with the line {PROOF_HEADER!r}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        try:
            extra = b64decode(lines[pos][len("extra ") :], "extra data")
        except NoteError as e:
            raise TlogProofError(str(e)) from None
        pos += 1
    if pos >= len(lines) or not lines[pos].startswith("index "):
        raise TlogProofError("proof has no 'index N' line")
    index = parse_decimal(lines[pos][len("index ") :], "index", TlogProofError)
    hashes = lines[pos + 1 :]
    if len(hashes) > MAX_PROOF_HASHES:
        raise TlogProofError(f"inclusion proof has {len(hashes)} lines, at most {MAX_PROOF_HASHES}")
    proof = [parse_hash(h, f"inclusion proof line {i + 1}", TlogProofError) for i, h in enumerate(hashes)]
    try:
        split_note(note_text)
    except NoteError as e:
        raise TlogProofError(f"checkpoint: {e}") from None
    return TlogProof(index, proof, note_text, extra)


@dataclass
class VerifiedProof:
    index: int
    leaf_hash: bytes
    checkpoint: OpenedCheckpoint
    extra: bytes | None  # not authenticated: never trust it implicitly


class LeafHash(bytes):
    """Marks bytes as an RFC 6962 leaf hash rather than an entry, for verify_proof's second argument."""


def verify_proof(
    text: str | bytes,
    entry: bytes | None = None,
    trust: Policy | Iterable[Verifier] | None = None,
    *,
    leaf_hash: bytes | None = None,
) -> VerifiedProof:
    """Verifies a tlog-proof offline: the checkpoint against `trust` (a Policy: log signature and quorum of
    cosignatures; or log Verifiers: log signature only) and the inclusion of the entry at the index.

    Give the entry's bytes, or its leaf hash with `leaf_hash=` (or as LeafHash(...) in place of the entry).
    """
    if isinstance(entry, LeafHash):
        entry, leaf_hash = None, bytes(entry)
    if (entry is None) == (leaf_hash is None):
        raise TypeError("give exactly one of entry and leaf_hash")
    if trust is None:
        raise TypeError("give a Policy or the log's Verifiers")
    if leaf_hash is None:
        leaf_hash = merkle.leaf_hash(bytes(entry))  # type: ignore[arg-type]
    proof = parse_proof(text)
    try:
        if isinstance(trust, Policy):
            opened = trust.verify_checkpoint(proof.checkpoint_note)
        else:
            opened = open_checkpoint(proof.checkpoint_note, list(trust))
    except (NoteError, CheckpointError, QuorumError) as e:
        raise TlogProofError(f"checkpoint: {e}") from e
    cp = opened.checkpoint
    if proof.index >= cp.size:
        raise TlogProofError(f"index {proof.index} is not in the checkpoint's tree of size {cp.size}")
    try:
        merkle.verify_inclusion(leaf_hash, proof.index, cp.size, proof.proof, cp.root)
    except merkle.ProofError as e:
        raise TlogProofError(f"inclusion: {e}") from e
    return VerifiedProof(proof.index, leaf_hash, opened, proof.extra)


# --------------------------------------------------------------------------- tlog-policy

NONE = "none"
_WS = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class PolicyLog:
    verifier: Verifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    verifier: Verifier
    url: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    name: str
    threshold: int
    members: tuple[str, ...]
    spelled: str  # 'all', 'any' or the number, as written


class Policy:
    """A trust policy: the logs, the witnesses, groups of them with thresholds, and the quorum."""

    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: dict[str, PolicyWitness] = {}
        self.groups: dict[str, PolicyGroup] = {}
        self.quorum: str | None = None
        self._members: set[str] = set()

    # ------------------------------------------------------------------ parsing

    @classmethod
    def parse(cls, text: str | bytes) -> Policy:
        if isinstance(text, str):
            text = text.encode("utf-8")
        for i, b in enumerate(text):
            if b < 0x20 and b not in (0x09, 0x0A) or b == 0x7F:
                line = text.count(b"\n", 0, i) + 1
                raise PolicyError(f"line {line}: control character 0x{b:02x} is not allowed")
        # Octets with the high bit set are opaque: surrogateescape keeps them distinct and round-trips them.
        lines = text.decode("utf-8", "surrogateescape").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        policy = cls()
        for lineno, line in enumerate(lines, 1):
            stripped = line.strip(" \t")
            if stripped == "" or stripped.startswith("#"):
                continue
            keyword, *args = _WS.split(stripped)
            try:
                handler = {
                    "log": policy._parse_log,
                    "witness": policy._parse_witness,
                    "group": policy._parse_group,
                    "quorum": policy._parse_quorum,
                }.get(keyword)
                if handler is None:
                    raise PolicyError(f"unknown keyword {keyword!r} (expected log, witness, group or quorum)")
                handler(args)
            except (PolicyError, ValueError) as e:
                raise PolicyError(f"line {lineno}: {e}") from None
        if policy.quorum is None:
            raise PolicyError("the policy has no quorum line")
        return policy

    def _defined(self, name: str) -> bool:
        return name == NONE or name in self.witnesses or name in self.groups

    def _check_new_name(self, name: str) -> None:
        if name == NONE:
            raise PolicyError("'none' is predefined and cannot be redefined")
        if self._defined(name):
            raise PolicyError(f"name {name!r} is already defined")

    def _parse_log(self, args: list[str]) -> None:
        if not 1 <= len(args) <= 2:
            raise PolicyError("expected: log <vkey> [<url>]")
        verifier = parse_verifier_key(args[0])
        if verifier.sig_type != ED25519:
            raise PolicyError(f"log key {verifier.name} is not an Ed25519 (type 0x01) checkpoint key")
        if any(log.verifier.public_key_bytes == verifier.public_key_bytes for log in self.logs):
            raise PolicyError(f"duplicate log: the key of {verifier.name} is already listed")
        self.logs.append(PolicyLog(verifier, args[1] if len(args) > 1 else None))

    def _parse_witness(self, args: list[str]) -> None:
        if not 2 <= len(args) <= 3:
            raise PolicyError("expected: witness <name> <vkey> [<url>]")
        name = args[0]
        self._check_new_name(name)
        verifier = parse_verifier_key(args[1])
        if verifier.sig_type != COSIGNATURE_V1:
            raise PolicyError(f"witness {name}: key is not an Ed25519 cosignature (type 0x04) key")
        for other in self.witnesses.values():
            if other.verifier.public_key_bytes == verifier.public_key_bytes:
                raise PolicyError(f"duplicate witness: {name} has the same key as {other.name}")
        self.witnesses[name] = PolicyWitness(name, verifier, args[2] if len(args) > 2 else None)

    def _parse_group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise PolicyError("expected: group <name> all|any|<k> <member>...")
        name, spelled, *members = args
        self._check_new_name(name)
        n = len(members)
        if spelled == "all":
            k = n
        elif spelled == "any":
            k = 1
        else:
            if not _DECIMAL.fullmatch(spelled) or len(spelled) > 9:
                raise PolicyError(f"group {name}: threshold {spelled!r} is not all, any or a decimal number")
            k = int(spelled)
            if not 1 <= k <= n:
                raise PolicyError(f"group {name}: threshold {k} must be between 1 and {n} (its member count)")
        for member in members:
            if member == NONE:
                raise PolicyError(f"group {name}: 'none' cannot be a group member")
            if not self._defined(member):
                raise PolicyError(f"group {name}: member {member!r} is not defined on an earlier line")
            # Each name may be a member once in the whole policy: a witness counts towards the quorum one way.
            if member in self._members:
                raise PolicyError(f"group {name}: {member!r} is already a member of a group")
            self._members.add(member)
        self.groups[name] = PolicyGroup(name, k, tuple(members), spelled)

    def _parse_quorum(self, args: list[str]) -> None:
        if len(args) != 1:
            raise PolicyError("expected: quorum <name>")
        if self.quorum is not None:
            raise PolicyError("a policy has exactly one quorum line")
        if not self._defined(args[0]):
            raise PolicyError(f"quorum {args[0]!r} is not defined on an earlier line")
        self.quorum = args[0]

    # ------------------------------------------------------------------ output

    def text(self) -> str:
        out = [f"log {log.verifier.verifier_key()}" + (f" {log.url}" if log.url else "") for log in self.logs]
        for w in self.witnesses.values():
            out.append(f"witness {w.name} {w.verifier.verifier_key()}" + (f" {w.url}" if w.url else ""))
        for g in self.groups.values():
            out.append(f"group {g.name} {g.spelled} {' '.join(g.members)}")
        out.append(f"quorum {self.quorum}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ evaluation

    def log_verifiers(self) -> list[Verifier]:
        return [log.verifier for log in self.logs]

    def witness_verifiers(self) -> list[Verifier]:
        return [w.verifier for w in self.witnesses.values()]

    def cosigners(self, signatures: Iterable[Signature]) -> set[str]:
        """Policy names of the witnesses whose (already verified) signatures these are."""
        by_key = {(w.verifier.name, w.verifier.key_id): name for name, w in self.witnesses.items()}
        return {by_key[(s.name, s.key_id)] for s in signatures if (s.name, s.key_id) in by_key}

    def _met(self, name: str, have: set[str]) -> bool:
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in have
        group = self.groups[name]
        return sum(self._met(m, have) for m in group.members) >= group.threshold

    def satisfied(self, verified_cosigner_names: Iterable[str]) -> bool:
        """Whether witnesses with these policy names, having cosigned, make the quorum."""
        assert self.quorum is not None
        return self._met(self.quorum, set(verified_cosigner_names))

    def explain(self, verified_cosigner_names: Iterable[str]) -> list[str]:
        """One line per unmet group or witness, from the quorum down: which members are missing. Empty when
        the quorum is met."""
        have = set(verified_cosigner_names)
        out: list[str] = []

        def walk(name: str) -> None:
            if self._met(name, have):
                return
            if name in self.witnesses:
                out.append(f"witness {name} has not cosigned")
                return
            g = self.groups[name]
            met = [m for m in g.members if self._met(m, have)]
            missing = [m for m in g.members if m not in met]
            out.append(
                f"group {name} needs {g.threshold} of {len(g.members)} ({', '.join(g.members)}), "
                f"has {len(met)}"
                + (f" ({', '.join(met)})" if met else "")
                + f"; missing: {', '.join(missing)}"
            )
            for m in missing:
                if m in self.groups:
                    walk(m)

        assert self.quorum is not None
        walk(self.quorum)
        return out

    def verify_checkpoint(self, note_text: str | bytes) -> OpenedCheckpoint:
        """Opens a checkpoint note under this policy: a listed log signed it and the cosignatures make the
        quorum. Raises NoteError or QuorumError."""
        opened = open_checkpoint(note_text, self.log_verifiers(), self.witness_verifiers())
        opened.witnesses = self.cosigners(opened.cosignatures)
        if not self.satisfied(opened.witnesses):
            missing = self.explain(opened.witnesses)
            raise QuorumError(f"quorum {self.quorum} not met: " + "; ".join(missing), missing)
        return opened


def build_policy(
    log_vkey: str | Iterable[str],
    witnesses: Mapping[str, str | tuple[str, str]],
    groups: Sequence[tuple[str, int | str, Sequence[str]]],
    quorum: str,
) -> str:
    """A tlog-policy text from a charter-style description: witness name -> vkey (or (vkey, url)), groups as
    (name, threshold: int | 'all' | 'any', members) in order, and the quorum's name. Checked by parsing."""
    out = []
    for vkey in [log_vkey] if isinstance(log_vkey, str) else list(log_vkey):
        out.append(f"log {vkey}")
    for name, value in witnesses.items():
        vkey, url = (value, None) if isinstance(value, str) else value
        out.append(f"witness {name} {vkey}" + (f" {url}" if url else ""))
    for name, threshold, members in groups:
        out.append(f"group {name} {threshold} {' '.join(members)}")
    out.append(f"quorum {quorum}")
    text = "\n".join(out) + "\n"
    Policy.parse(text)
    return text
