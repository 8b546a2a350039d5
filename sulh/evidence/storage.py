"""Content-addressed, write-once file store for evidence.

A file is kept at <root>/<aa>/<bb>/<sha256>, named only by its hash: nothing the uploader chose (its name,
its extension) ever reaches the file system. A file is written to a temporary name, fsynced, then renamed
into place, so a crash never leaves a half-written file under a hash; a second upload of the same bytes
finds the file already there and writes nothing. Files are made read-only after writing.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class EvidenceStore:
    def __init__(self, root: Path | None = None):
        self.root = Path(root or settings.SULH_EVIDENCE_DIR)

    def path_for(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store the bytes; return (sha256 hex, size). Idempotent for identical content."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.exists():
                os.unlink(tmp)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o444)
                os.replace(tmp, final)
            return sha, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def open(self, sha256: str):
        return open(self.path_for(sha256), "rb")

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def verify(self, sha256: str) -> bool:
        """Recompute the hash of the stored bytes: True when the file is intact."""
        digest = hashlib.sha256()
        with self.open(sha256) as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def iter_bytes(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")
