"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.

Two signature types: 0x01, plain Ed25519 over the note text (the log's checkpoint signature), and 0x04, the
timestamped Ed25519 cosignature of c2sp.org/tlog-cosignature v1 (a witness's statement). Key strings are the
ones Go's golang.org/x/mod/sumdb/note reads and writes, so keys move between Sulh and Go tools unchanged.

Pure Python: no Django here, so that a witness can run on a machine that has only this package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_TYPES = {ED25519: "Ed25519", COSIGNATURE_V1: "Ed25519 cosignature/v1"}

SIG_PREFIX = "\u2014 "  # em dash and a space
MAX_SIGNATURES = 100  # Go's limit; the spec asks for at least 16
MAX_TIMESTAMP = 2**63 - 1
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_COSIGNATURE_HEADER = "cosignature/v1\ntime {}\n"


class NoteError(ValueError):
    """A note, key or signature that does not follow the spec, or does not verify."""


class UnverifiedNoteError(NoteError):
    """No signature from a known key: the text must not be trusted. Keeps what was read, for diagnostics."""

    def __init__(self, text: str, unverified: list[Signature]):
        super().__init__("note has no verifiable signatures")
        self.text = text
        self.unverified = unverified


class InvalidSignatureError(NoteError):
    """A signature line names a known key but does not verify: the whole note is rejected."""

    def __init__(self, name: str, key_id: int):
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str = "base64") -> bytes:
    """Standard base64 with padding, canonical only: a second spelling of the same bytes would let one
    signature or hash be written two ways."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if b64encode(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode space, no '+', no control character."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    )


def check_key_name(name: str) -> None:
    if not isinstance(name, str) or name == "":
        raise ValueError("key name must not be empty")
    if "+" in name:
        raise ValueError(f"key name {name!r} must not contain '+'")
    if not is_valid_key_name(name):
        raise ValueError(f"key name {name!r} must not contain spaces or control characters")


def compute_key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _check_type(sig_type: int) -> None:
    if sig_type not in SIGNATURE_TYPES:
        raise ValueError(
            f"unsupported signature type 0x{sig_type:02x} (supported: 0x01 Ed25519, 0x04 cosignature)"
        )


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_timestamp(timestamp: int) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValueError("cosignature timestamp must be an integer (POSIX seconds)")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    return timestamp


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: a header line, the time, then the checkpoint text."""
    return (_COSIGNATURE_HEADER.format(_check_timestamp(timestamp)) + text).encode("utf-8")


@dataclass(frozen=True)
class Signature:
    """One signature line. `signature` excludes the 4-byte key id; `timestamp` is set for verified
    cosignatures."""

    name: str
    key_id: int
    signature: bytes
    timestamp: int | None = None

    @property
    def base64(self) -> str:
        return b64encode(self.key_id.to_bytes(4, "big") + self.signature)

    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {self.base64}\n"


class Verifier:
    """A public key under a name, for one signature type."""

    def __init__(self, name: str, public_key: Ed25519PublicKey | bytes, sig_type: int = ED25519):
        check_key_name(name)
        _check_type(sig_type)
        if isinstance(public_key, Ed25519PublicKey):
            raw = _public_bytes(public_key)
        else:
            raw = bytes(public_key)
            if len(raw) != 32:
                raise ValueError(f"Ed25519 public key must be 32 bytes, not {len(raw)}")
            public_key = Ed25519PublicKey.from_public_bytes(raw)
        self.name = name
        self.sig_type = sig_type
        self.public_key = public_key
        self.public_key_bytes = raw
        self.key_id = compute_key_id(name, sig_type, raw)

    @property
    def is_cosigner(self) -> bool:
        return self.sig_type == COSIGNATURE_V1

    def verify(self, text: str | bytes, sig: bytes) -> bool:
        """Checks `sig` (the signature bytes after the key id) over the note text."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if self.sig_type == COSIGNATURE_V1:
            if len(sig) != 8 + 64:
                return False
            (timestamp,) = struct.unpack(">Q", sig[:8])
            if timestamp > MAX_TIMESTAMP:
                return False
            message, sig = cosignature_message(text, timestamp), sig[8:]
        else:
            if len(sig) != 64:
                return False
            message = text.encode("utf-8")
        try:
            self.public_key.verify(sig, message)
        except InvalidSignature:
            return False
        return True

    def timestamp(self, sig: bytes) -> int | None:
        """The time a cosignature claims (only for type 0x04)."""
        if self.sig_type != COSIGNATURE_V1 or len(sig) < 8:
            return None
        return struct.unpack(">Q", sig[:8])[0]

    def verifier_key(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([self.sig_type]) + self.public_key_bytes)}"

    def __str__(self) -> str:
        return self.verifier_key()

    def __repr__(self) -> str:
        return f"Verifier({self.verifier_key()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verifier) and self.verifier_key() == other.verifier_key()

    def __hash__(self) -> int:
        return hash(self.verifier_key())


class Signer:
    """A private key under a name, for one signature type."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey | bytes, sig_type: int = ED25519):
        check_key_name(name)
        _check_type(sig_type)
        if not isinstance(private_key, Ed25519PrivateKey):
            seed = bytes(private_key)
            if len(seed) != 32:
                raise ValueError(f"Ed25519 seed must be 32 bytes, not {len(seed)}")
            private_key = Ed25519PrivateKey.from_private_bytes(seed)
        self.name = name
        self.sig_type = sig_type
        self._key = private_key
        self.public_key_bytes = _public_bytes(private_key.public_key())
        self.key_id = compute_key_id(name, sig_type, self.public_key_bytes)

    def signature(self, text: str, timestamp: int | None = None) -> Signature:
        _check_text(text)
        if self.sig_type == COSIGNATURE_V1:
            if timestamp is None:
                raise ValueError("a cosignature needs a timestamp")
            sig = struct.pack(">Q", timestamp) + self._key.sign(cosignature_message(text, timestamp))
        else:
            if timestamp is not None:
                raise ValueError("only cosignatures (type 0x04) carry a timestamp")
            sig = self._key.sign(text.encode("utf-8"))
        return Signature(self.name, self.key_id, sig, timestamp)

    def sign(self, text: str, timestamp: int | None = None) -> str:
        """The signature line, '— name base64\\n', for a note with this text."""
        return self.signature(text, timestamp).line()

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key_bytes, self.sig_type)

    def verifier_key(self) -> str:
        return self.verifier().verifier_key()

    def signer_key(self) -> str:
        """Go's private key string. Secret: write it only to a file nobody else can read."""
        seed = self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id:08x}+{b64encode(bytes([self.sig_type]) + seed)}"

    def __repr__(self) -> str:  # never the key itself
        return f"Signer({self.name!r}, key_id={self.key_id:08x}, type=0x{self.sig_type:02x})"


def generate_key(name: str, sig_type: int = ED25519) -> tuple[str, str]:
    """A fresh key pair as (signer key, verifier key) strings."""
    signer = Signer(name, Ed25519PrivateKey.generate(), sig_type)
    return signer.signer_key(), signer.verifier_key()


def _split_key(rest: str, what: str) -> tuple[str, int, int, bytes]:
    # The name has no '+' but base64 may: split on the first two only.
    parts = rest.split("+", 2)
    if len(parts) != 3:
        raise ValueError(f"{what} must look like name+keyid+base64")
    name, hex_id, b64 = parts
    check_key_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise ValueError(f"{what}: key id {hex_id!r} must be 8 hexadecimal digits")
    try:
        raw = b64decode(b64, f"{what} material")
    except NoteError as e:
        raise ValueError(str(e)) from None
    if len(raw) == 0:
        raise ValueError(f"{what}: empty key material")
    if raw[0] not in SIGNATURE_TYPES:
        raise ValueError(f"{what}: unsupported signature type 0x{raw[0]:02x}")
    if len(raw) != 33:
        raise ValueError(f"{what}: key material must be 1 type byte and 32 key bytes, not {len(raw)} bytes")
    return name, int(hex_id, 16), raw[0], raw[1:]


def parse_verifier_key(vkey: str) -> Verifier:
    """Reads 'name+hex8(keyid)+base64(type || public key)'; the key id must match the key."""
    if not isinstance(vkey, str):
        raise ValueError("verifier key must be a string")
    name, key_id, sig_type, public = _split_key(vkey.strip(), "verifier key")
    verifier = Verifier(name, public, sig_type)
    if verifier.key_id != key_id:
        raise ValueError(
            f"verifier key: key id {key_id:08x} does not match the key (expected {verifier.key_id:08x})"
        )
    return verifier


def parse_signer_key(skey: str) -> Signer:
    """Reads Go's 'PRIVATE+KEY+name+hex8(keyid)+base64(type || seed)'; the key id must match the key."""
    if not isinstance(skey, str):
        raise ValueError("signer key must be a string")
    skey = skey.strip()
    if not skey.startswith(PRIVATE_KEY_PREFIX):
        raise ValueError("signer key must start with PRIVATE+KEY+")
    name, key_id, sig_type, seed = _split_key(skey[len(PRIVATE_KEY_PREFIX) :], "signer key")
    signer = Signer(name, seed, sig_type)
    if signer.key_id != key_id:
        raise ValueError(
            f"signer key: key id {key_id:08x} does not match the key (expected {signer.key_id:08x})"
        )
    return signer


def _check_chars(text: str) -> None:
    for i, c in enumerate(text):
        if ord(c) < 0x20 and c != "\n":
            raise NoteError(f"malformed note: control character 0x{ord(c):02x} at offset {i}")


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise NoteError("note text must be a string")
    if not text.endswith("\n"):
        raise NoteError("malformed note: the text must end with a newline")
    _check_chars(text)


def _decode(note: str | bytes) -> str:
    if isinstance(note, bytes):
        try:
            return note.decode("utf-8")
        except UnicodeDecodeError as e:
            raise NoteError(f"malformed note: not valid UTF-8 at byte {e.start}") from None
    if not isinstance(note, str):
        raise NoteError("note must be str or bytes")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError(f"malformed note: not valid UTF-8 at offset {e.start}") from None
    return note


def parse_signature_line(line: str) -> Signature:
    """One line without its newline: '— name base64(keyid || signature)'."""
    if not line.startswith(SIG_PREFIX):
        raise NoteError(
            f"malformed note: signature line {line[:40]!r} does not start with an em dash and a space"
        )
    name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise NoteError(f"malformed note: bad key name in signature line {line[:60]!r}")
    if b64 == "":
        raise NoteError(f"malformed note: empty signature for {name}")
    raw = b64decode(b64, f"signature of {name}")
    if len(raw) < 5:
        raise NoteError(f"malformed note: signature of {name} is too short")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def split_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Syntax only, no verification: the text (with its final newline) and the signature lines."""
    note = _decode(note)
    _check_chars(note)
    split = note.rfind("\n\n")  # the LAST blank line: the text may hold blank lines of its own
    if split < 0:
        raise NoteError("malformed note: no blank line between the text and the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if block == "":
        raise NoteError("malformed note: no signatures")
    if not block.endswith("\n"):
        raise NoteError("malformed note: the last signature line must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, [parse_signature_line(line) for line in lines]


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], list[Verifier]]:
    known: dict[tuple[str, int], list[Verifier]] = {}
    for v in verifiers:
        same = known.setdefault((v.name, v.key_id), [])
        if v not in same:
            same.append(v)
    return known


def open_note(
    note: str | bytes, verifiers: Iterable[Verifier]
) -> tuple[str, list[Signature], list[Signature]]:
    """Verifies a signed note: (text, verified signatures, signatures from unknown keys).

    Every signature from a known key is checked and one that fails rejects the note; lines from unknown keys
    are kept unverified (the spec says to ignore them, a caller may show them); a note with no verified
    signature is rejected. Repeated identical lines count once.
    """
    text, sigs = split_note(note)
    known = _index(verifiers)
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, int, bytes]] = set()
    verified_keys: set[tuple[str, int]] = set()
    for sig in sigs:
        ident = (sig.name, sig.key_id, sig.signature)
        if ident in seen:
            continue
        seen.add(ident)
        candidates = known.get((sig.name, sig.key_id))
        if not candidates:
            unverified.append(sig)
            continue
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id:08x}: two known keys share name and id")
        v = candidates[0]
        if not v.verify(text, sig.signature):
            raise InvalidSignatureError(sig.name, sig.key_id)
        if (sig.name, sig.key_id) in verified_keys:
            continue  # a second valid signature by the same key adds nothing
        verified_keys.add((sig.name, sig.key_id))
        verified.append(Signature(sig.name, sig.key_id, sig.signature, v.timestamp(sig.signature)))
    if not verified:
        raise UnverifiedNoteError(text, unverified)
    return text, verified, unverified


def sign_note(text: str, signers: Iterable[Signer] | Signer, timestamp: int | None = None) -> str:
    """A signed note: the text, a blank line, one signature line per signer. `timestamp` is for
    cosigners (type 0x04) among them."""
    if isinstance(signers, Signer):
        signers = [signers]
    _check_text(text)
    lines = []
    for signer in signers:
        lines.append(signer.sign(text, timestamp if signer.sig_type == COSIGNATURE_V1 else None))
    if not lines:
        raise NoteError("a note needs at least one signer")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note holds at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(lines)


def add_signatures(note: str, lines: str | Iterable[str]) -> str:
    """The note with extra signature lines (a witness's response body, say) appended, skipping repeats.
    Nothing is verified here: open the result with the keys you trust."""
    text, sigs = split_note(note)
    if isinstance(lines, str):
        lines = lines.split("\n")
    extra = [parse_signature_line(line.rstrip("\n")) for line in lines if line.strip()]
    have = {(s.name, s.key_id, s.signature) for s in sigs}
    for s in extra:
        if (s.name, s.key_id, s.signature) not in have:
            have.add((s.name, s.key_id, s.signature))
            sigs.append(s)
    if len(sigs) > MAX_SIGNATURES:
        raise NoteError(f"a note holds at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(s.line() for s in sigs)
