"""The log's own signing key: made once, kept (mode 0600) in the data directory or where
SULH_LOG_SIGNER_KEY_FILE points. Its name is the log's origin from the charter.

The server holds this key, so a checkpoint signed by it alone proves only what the operator says; the
witnesses' cosignatures, made with keys the server never sees, are what make a checkpoint binding."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from django.conf import settings

from sulh.charter.loader import get_charter


def key_path() -> Path:
    env = os.environ.get("SULH_LOG_SIGNER_KEY_FILE")
    return Path(env) if env else Path(settings.DATA_DIR) / "ledger" / "log-signer.key"


@cache
def _signer_for(path: str, origin: str):
    from .note import generate_key, parse_signer_key

    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        signer_key, _ = generate_key(origin)
        fd = os.open(p.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(signer_key + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:  # two processes starting at once: the first key written wins, both then read it
            os.link(p.with_suffix(".tmp"), p)
        except FileExistsError:
            pass
        finally:
            p.with_suffix(".tmp").unlink(missing_ok=True)
    signer = parse_signer_key(p.read_text().strip())
    if signer.name != origin:
        raise RuntimeError(
            f"the log key in {p} is named {signer.name!r} but the charter's origin is {origin!r}: "
            "a log keeps one origin for life (set SULH_LOG_SIGNER_KEY_FILE to this log's key)"
        )
    return signer


def log_signer():
    return _signer_for(str(key_path()), get_charter().origin)


def log_verifier_key() -> str:
    return log_signer().verifier_key()
