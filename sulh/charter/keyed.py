"""Write a copy of a charter with public keys entered: the signatories' document-signing keys and the
organisations' intelligence keys (docs/commitments.md, docs/intel.md).

In a deployment the parties' key ceremony enters those keys in the next agreed version of the charter, by
hand. The demonstration and the tests need a charter with keys whose private halves they hold: this module
makes one from the shipped charter, changing nothing else, so that the same validation runs on it.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from sulh.ledger.note import generate_key


@dataclass
class OrgKeys:
    """The private halves an organisation keeps on its own machine, and the public ones the charter names."""

    org: str
    signer_key: str  # signed-note private key of the organisation's signatory: signs documents
    verifier_key: str
    intel_private: str  # base64 X25519 private key of its intel desk: opens reports sealed to it
    intel_public: str
    intel_signer_key: str  # signed-note private key of its intel desk: signs its reports and answers
    intel_verifier_key: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Keyring:
    orgs: dict[str, OrgKeys] = field(default_factory=dict)
    path: Path | None = None  # the keyed charter written from it, once written

    def __getitem__(self, org: str) -> OrgKeys:
        return self.orgs[org]


def x25519_pair() -> tuple[str, str]:
    """(private, public) X25519 keys, base64 of the raw 32 bytes."""
    k = X25519PrivateKey.generate()
    priv = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pub = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(priv).decode(), base64.b64encode(pub).decode()


def make_keys(org: str, name: str | None = None) -> OrgKeys:
    signer, verifier = generate_key(name or f"{org.lower()}.signatory")
    priv, pub = x25519_pair()
    intel_signer, intel_verifier = generate_key(f"{org.lower()}.intel")
    return OrgKeys(org, signer, verifier, priv, pub, intel_signer, intel_verifier)


def write_keyed_charter(source: str | Path, out: str | Path, keyring: Keyring) -> Path:
    """Copy `source` to `out`, entering each keyring organisation's signing key on its signatory line and its
    intel keys under `intel:`. Text is edited rather than the YAML re-dumped: a round trip through a YAML
    writer takes seconds on the border geometry and rewrites every line; this keeps the file as it was."""
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    out_lines, section, placed = [], None, set()
    for line in lines:
        if line and not line[0].isspace() and not line.startswith("#"):
            section = line.split(":", 1)[0]
        m = _SIGNATORY.match(_KEYED.sub("}", line)) if section == "commitments" else None
        if m and m.group("org") in keyring.orgs:
            line = f'{m.group("head")}, key: "{keyring[m.group("org")].verifier_key}"}}'
            placed.add(m.group("org"))
        if section == "intel" and line.strip() == "keys: []":
            indent = line[: len(line) - len(line.lstrip())]
            out_lines.append(f"{indent}keys:")
            for org, k in keyring.orgs.items():
                out_lines.append(
                    f'{indent}  - {{org: {org}, encryption: "{k.intel_public}", signing: "{k.intel_verifier_key}"}}'
                )
            continue
        out_lines.append(line)
    missing = sorted(set(keyring.orgs) - placed)
    if missing:
        raise ValueError(f"{source}: no one-line signatory entry for {', '.join(missing)} under commitments")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


_KEYED = re.compile(r', key: "[^"]*"\}\s*$')  # a key entered already: replaced
_SIGNATORY = re.compile(r"^(?P<head>\s*- \{org: (?P<org>[A-Z0-9._-]+), office: [^}]*?)\}\s*$")
