"""Encryption at rest of detainees' names and identity numbers (docs/exchanges.md, "Threat model").

AES-256-GCM with a data key kept in a file outside the database: SULH_EXCHANGES_KEY_FILE, or
SULH_DATA_DIR/keys/exchanges.key (32 random bytes, made once with mode 0600). The associated data binds each
ciphertext to its row and field ("exchange_person:<id>:name"), so a ciphertext copied into another row or
field does not decrypt. A database dump alone holds no name; whoever holds the key file AND the database
(the server's operator) can decrypt: the server decrypts for the people who may read a list.

Stored form: 0x01 ‖ key id (4 bytes: SHA-256(key)[:4]) ‖ nonce (12 bytes) ‖ ciphertext and tag."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"\x01"
KEY_BYTES = 32


class CipherError(Exception):
    """The key file is missing, unreadable, too open, or not the key a ciphertext was made with."""


def key_path() -> Path:
    env = os.environ.get("SULH_EXCHANGES_KEY_FILE")
    if env:
        return Path(env)
    return Path(settings.DATA_DIR) / "keys" / "exchanges.key"


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CipherError(f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it")
    raw = path.read_bytes()
    if len(raw) != KEY_BYTES:
        raise CipherError(f"{path} holds {len(raw)} bytes; an exchanges key is {KEY_BYTES} random bytes")
    return raw


def load_key(*, create: bool = False) -> bytes:
    """The data key. With `create`, made on first use (O_EXCL, 0600: never readable by others, and two
    processes racing to make it end with the same key)."""
    path = key_path()
    if path.exists():
        return _read(path)
    if not create:
        raise CipherError(f"no exchanges key at {path}: the names stored cannot be decrypted without it")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(KEY_BYTES))
        f.flush()
        os.fsync(f.fileno())
    return _read(path)


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


def _aad(row_id, field: str) -> bytes:
    return f"exchange_person:{row_id}:{field}".encode()


def encrypt(row_id, field: str, plaintext: str) -> bytes:
    key = load_key(create=True)
    nonce = os.urandom(12)
    return VERSION + key_id(key) + nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), _aad(row_id, field))


def decrypt(row_id, field: str, blob: bytes | memoryview) -> str:
    """The plaintext, or CipherError if the key is another, or the ciphertext was altered or moved."""
    data = bytes(blob)
    if len(data) < 1 + 4 + 12 + 16 or data[:1] != VERSION:
        raise CipherError(f"{field} of person {row_id} is not an exchanges ciphertext")
    key = load_key()
    if data[1:5] != key_id(key):
        raise CipherError(f"{field} of person {row_id} was encrypted with another key than {key_path()}")
    try:
        return AESGCM(key).decrypt(data[5:17], data[17:], _aad(row_id, field)).decode()
    except InvalidTag:
        raise CipherError(
            f"{field} of person {row_id} does not decrypt: altered, or moved from another row"
        ) from None
