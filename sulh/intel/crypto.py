"""The envelope of an intelligence report (or of an answer's detail): sealing, signing, checking, opening.

No Django here: the `sulh intel` desk tool (which seals and opens) and the server (which only checks the
structure and the signature) share this module, so both read the same format. See docs/intel.md.

Format (version 1), a JSON object:

    {"v": 1, "kind": "report" | "answer", "id": "<report UUID>", "sender": "PAK", "receiver": "AFG",
     "classification": "MECHANISM-RESTRICTED", "category": null | "<answer category>",
     "recipients": {"AFG": "<b64 HPKE enc ‖ wrapped data key>", "QAT": "…", "TUR": "…"},
     "nonce": "<b64 12 bytes>", "ciphertext": "<b64>", "signature": "<signed note>"}

- A random 32-byte data key encrypts the payload (RFC 8785 canonical JSON) with ChaCha20-Poly1305; the
  associated data is the canonical JSON of the header (v, kind, id, sender, receiver, classification,
  category), so none of those can be changed or moved onto another report without the tag failing.
- The data key is wrapped for each recipient organisation with HPKE (RFC 9180) base mode, single shot,
  suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, to the recipient's `encryption` key in
  the charter; HPKE's `info` binds the envelope kind, the report id and the recipient's code, so a wrapped
  key cannot be replayed under another report or another recipient.
- The sender signs: the note text "sulh-intel/v1 <kind>\\n<id>\\n<SHA-256 hex of the RFC 8785 canonical
  envelope without "signature">\\n", as a C2SP signed note (Ed25519) by the sender organisation's intel
  signing key (`signing` in the charter). The signature covers the recipients and the ciphertext: nobody
  can add a recipient, drop one, or swap the ciphertext without breaking it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from dataclasses import dataclass

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from sulh.ledger import note

VERSION = 1
KINDS = ("report", "answer")
ANSWER_CATEGORIES = ("action_taken", "nothing_found", "declined", "needs_more_information")
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
SUITE_NAME = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ENC_BYTES = 32  # X25519's encapsulated key
WRAPPED_BYTES = ENC_BYTES + KEY_BYTES + TAG_BYTES
MAX_CIPHERTEXT = 3 * 1024 * 1024  # the envelope travels in one JSON request (the server accepts 5 MiB)
FIELDS = ("v", "kind", "id", "sender", "receiver", "classification", "category", "recipients", "nonce",
          "ciphertext", "signature")  # fmt: skip
HEADER = ("v", "kind", "id", "sender", "receiver", "classification", "category")


class EnvelopeError(ValueError):
    """An envelope that is malformed, not signed by the key expected, or that cannot be opened."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OrgKey:
    """One organisation's public intel keys, as the charter names them."""

    org: str
    encryption: str  # base64 raw X25519 public key
    signing: str  # signed-note verifier key


# --- small helpers --------------------------------------------------------------------------------------


def canonical(value) -> bytes:
    return rfc8785.dumps(value)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text, what: str, field: str | None = None) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(f"{what} is not text", field)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise EnvelopeError(f"{what} is not base64", field) from None
    if b64(raw) != text:
        raise EnvelopeError(f"{what} is not canonical base64", field)
    return raw


def x25519_keypair() -> tuple[str, str]:
    """(private, public), base64 of the raw 32 bytes."""
    k = X25519PrivateKey.generate()
    priv = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return b64(priv), b64(k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def private_key(text: str) -> X25519PrivateKey:
    raw = unb64(text.strip(), "the X25519 private key")
    if len(raw) != KEY_BYTES:
        raise EnvelopeError(f"the X25519 private key must be 32 bytes, not {len(raw)}")
    return X25519PrivateKey.from_private_bytes(raw)


def public_key(text: str) -> X25519PublicKey:
    raw = unb64(text.strip(), "the X25519 public key")
    if len(raw) != KEY_BYTES:
        raise EnvelopeError(f"the X25519 public key must be 32 bytes, not {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def public_of(private_b64: str) -> str:
    return b64(private_key(private_b64).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def header(env: dict) -> dict:
    return {k: env[k] for k in HEADER}


def aad(env: dict) -> bytes:
    return b"sulh-intel/v1 payload\n" + canonical(header(env))


def wrap_info(kind: str, report_id: str, recipient: str) -> bytes:
    return b"sulh-intel/v1 key\n" + canonical({"kind": kind, "id": report_id, "recipient": recipient})


def unsigned_digest(env: dict) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical envelope without its signature: what the signature covers."""
    return hashlib.sha256(canonical({k: v for k, v in env.items() if k != "signature"})).hexdigest()


def note_text(env: dict) -> str:
    return f"sulh-intel/v1 {env['kind']}\n{env['id']}\n{unsigned_digest(env)}\n"


def envelope_bytes(env: dict) -> bytes:
    """The stored form of an envelope (canonical JSON): its SHA-256 is what the log commits to."""
    return canonical(env)


def envelope_sha256(env: dict) -> str:
    return hashlib.sha256(envelope_bytes(env)).hexdigest()


# --- sealing (the sender's desk) --------------------------------------------------------------------------


def seal(
    payload: dict,
    *,
    kind: str,
    report_id: str,
    sender: str,
    receiver: str,
    classification: str,
    recipients: dict[str, str],
    signer_key: str,
    category: str | None = None,
) -> dict:
    """Encrypt `payload` for `recipients` (org -> base64 X25519 public key) and sign it with `signer_key`
    (the sender organisation's signed-note private key). Returns the envelope."""
    if kind not in KINDS:
        raise EnvelopeError(f"kind must be one of {', '.join(KINDS)}")
    env = {"v": VERSION, "kind": kind, "id": str(uuid.UUID(str(report_id))), "sender": sender,
           "receiver": receiver, "classification": classification, "category": category}  # fmt: skip
    data_key = ChaCha20Poly1305.generate_key()
    nonce = os.urandom(NONCE_BYTES)
    ct = ChaCha20Poly1305(data_key).encrypt(nonce, canonical(payload), aad(env))
    wrapped = {
        org: b64(SUITE.encrypt(data_key, public_key(pub), info=wrap_info(kind, env["id"], org)))
        for org, pub in sorted(recipients.items())
    }
    env.update(recipients=wrapped, nonce=b64(nonce), ciphertext=b64(ct))
    signer = note.parse_signer_key(signer_key)
    env["signature"] = note.sign_note(note_text(env), signer)
    return env


# --- checking (the server, and every desk before opening) -------------------------------------------------


def check_structure(env) -> dict:
    """Every field present, of its type and size; nothing else. Says nothing about who signed it."""
    if not isinstance(env, dict):
        raise EnvelopeError("the envelope is not a JSON object", "envelope")
    extra, missing = sorted(set(env) - set(FIELDS)), sorted(set(FIELDS) - set(env))
    if extra or missing:
        raise EnvelopeError(
            f"the envelope's fields are wrong (extra: {', '.join(extra) or '-'}; missing: {', '.join(missing) or '-'})",
            "envelope",
        )
    if env["v"] != VERSION or isinstance(env["v"], bool):
        raise EnvelopeError(
            f"envelope version {env['v']!r} is not supported (this server reads {VERSION})", "v"
        )
    if env["kind"] not in KINDS:
        raise EnvelopeError(f"kind must be one of {', '.join(KINDS)}", "kind")
    try:
        if not isinstance(env["id"], str) or str(uuid.UUID(env["id"])) != env["id"]:
            raise ValueError
    except ValueError:
        raise EnvelopeError("id must be a UUID in its canonical lower-case form", "id") from None
    for name in ("sender", "receiver", "classification"):
        if not isinstance(env[name], str) or not env[name] or len(env[name]) > 40:
            raise EnvelopeError(f"{name} must be a code", name)
    if env["kind"] == "report" and env["category"] is not None:
        raise EnvelopeError("a report carries no answer category", "category")
    if env["kind"] == "answer" and env["category"] not in ANSWER_CATEGORIES:
        raise EnvelopeError(f"category must be one of {', '.join(ANSWER_CATEGORIES)}", "category")
    if not isinstance(env["recipients"], dict) or not env["recipients"]:
        raise EnvelopeError("recipients must name at least one organisation", "recipients")
    for org, wrapped in env["recipients"].items():
        if len(unb64(wrapped, f"the key wrapped for {org}", "recipients")) != WRAPPED_BYTES:
            raise EnvelopeError(f"the key wrapped for {org} is not {WRAPPED_BYTES} bytes", "recipients")
    if len(unb64(env["nonce"], "the nonce", "nonce")) != NONCE_BYTES:
        raise EnvelopeError(f"the nonce must be {NONCE_BYTES} bytes", "nonce")
    if not isinstance(env["ciphertext"], str) or len(env["ciphertext"]) > MAX_CIPHERTEXT * 4 // 3 + 4:
        raise EnvelopeError(f"the ciphertext is missing or larger than {MAX_CIPHERTEXT} bytes", "ciphertext")
    if len(unb64(env["ciphertext"], "the ciphertext", "ciphertext")) < TAG_BYTES:
        raise EnvelopeError("the ciphertext is shorter than its tag", "ciphertext")
    if not isinstance(env["signature"], str):
        raise EnvelopeError("the signature must be a signed note", "signature")
    return env


def verify_signature(env: dict, signing_key: str) -> None:
    """The envelope is signed by `signing_key` (a signed-note verifier key) over exactly these fields."""
    try:
        verifier = note.parse_verifier_key(signing_key)
    except ValueError as exc:
        raise EnvelopeError(f"the signing key is not usable: {exc}", "signature") from None
    try:
        text, _, _ = note.open_note(env["signature"], [verifier])
    except note.UnverifiedNoteError:
        raise EnvelopeError(
            f"the envelope is not signed by {env['sender']}'s intel key in the charter ({verifier.name})",
            "signature",
        ) from None
    except note.NoteError as exc:
        raise EnvelopeError(f"the signature does not verify: {exc}", "signature") from None
    if text != note_text(env):
        raise EnvelopeError("the signature is over other content: the envelope was changed after signing",
                            "signature")  # fmt: skip


def check(env, keys: dict[str, OrgKey], *, expected_recipients: set[str]) -> dict:
    """Structure, recipients exactly `expected_recipients` (each with a key in `keys`), and the signature of
    the sender's key in `keys`. Raises EnvelopeError."""
    check_structure(env)
    got = set(env["recipients"])
    if got != expected_recipients:
        missing, extra = sorted(expected_recipients - got), sorted(got - expected_recipients)
        raise EnvelopeError(
            "the report must be encrypted for exactly the receiving party and every mediator with a key in the "
            f"charter (missing: {', '.join(missing) or '-'}; not allowed: {', '.join(extra) or '-'})",
            "recipients",
        )
    sender = keys.get(env["sender"])
    if sender is None:
        raise EnvelopeError(f"{env['sender']} has no intel key in the charter", "sender")
    verify_signature(env, sender.signing)
    return env


# --- opening (a recipient's desk) -------------------------------------------------------------------------


def open_envelope(env: dict, org: str, private_b64: str) -> dict:
    """Decrypt with `org`'s X25519 private key. Check the signature first (`check`): this only decrypts."""
    check_structure(env)
    wrapped = env["recipients"].get(org)
    if wrapped is None:
        raise EnvelopeError(f"this envelope is not encrypted for {org}", "recipients")
    try:
        data_key = SUITE.decrypt(unb64(wrapped, "the wrapped key"), private_key(private_b64),
                                 info=wrap_info(env["kind"], env["id"], org))  # fmt: skip
    except InvalidTag:
        raise EnvelopeError(f"the key wrapped for {org} does not open with this private key") from None
    try:
        plain = ChaCha20Poly1305(data_key).decrypt(unb64(env["nonce"], "the nonce"),
                                                   unb64(env["ciphertext"], "the ciphertext"), aad(env))  # fmt: skip
    except InvalidTag:
        raise EnvelopeError("the ciphertext or its header was changed: it does not decrypt") from None
    import json

    return json.loads(plain)
