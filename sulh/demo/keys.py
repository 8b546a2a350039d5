"""Demo keys: the private keys the demonstration's signatories and intel desks would keep on their own
machines, and the charter they are entered in (docs/commitments.md, docs/intel.md).

In a deployment nobody holds all of these: each organisation makes its own keys (`sulh doc keygen`, `sulh intel
keygen`) and the key ceremony enters the public halves in the agreed charter. The demonstration plays every
organisation, so it makes one key set under SULH_DATA_DIR/demo/ (mode 0600, never in the repository) and a copy
of the shipped charter with the public halves entered; `make run` starts Sulh on that copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings

from sulh.charter.keyed import Keyring, OrgKeys, make_keys, write_keyed_charter
from sulh.charter.loader import load_charter


def demo_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo"


def keys_path() -> Path:
    return demo_dir() / "keys.json"


def charter_path() -> Path:
    return demo_dir() / "charter.yaml"


def demo_keyring(source: str | Path | None = None) -> Keyring:
    """The demo key set, made once (for every party and mediator of the source charter) and kept."""
    p = keys_path()
    if p.exists():
        data = json.loads(p.read_text())
        return Keyring({org: OrgKeys(**k) for org, k in data.items()}, path=charter_path())
    charter = load_charter(source or settings.SULH_CHARTER)
    codes = [x.code for x in charter.parties] + [m.code for m in charter.mediators]
    ring = Keyring({code: make_keys(code, f"{code.lower()}.demo-signatory") for code in codes})
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({org: k.as_dict() for org, k in ring.orgs.items()}, f, indent=1)
    os.replace(p.with_suffix(".tmp"), p)
    ring.path = charter_path()
    return ring


def write_demo_charter(source: str | Path) -> Path:
    """The shipped charter (`source`) with the demo keys entered, at SULH_DATA_DIR/demo/charter.yaml."""
    ring = demo_keyring(source)
    return write_keyed_charter(source, charter_path(), ring)


def keys_in_force() -> Keyring | None:
    """The demo keyring if the charter in force carries its keys (the demo then signs and encrypts), else None
    (a charter without keys, or with real ones: the demo leaves signing and intel to the real key holders)."""
    from sulh.charter.loader import get_charter

    if not keys_path().exists():
        return None
    ring = demo_keyring()
    c = get_charter()
    if c.commitments is None:
        return None
    keys = {s.org: s.key for s in c.commitments.documents.signatories if s.key}
    if all(keys.get(org) == k.verifier_key for org, k in ring.orgs.items()):
        return ring
    return None
