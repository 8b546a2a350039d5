"""The commitments and intel sections: keys only from the charter, cross-references checked, and the keyed copy
that the demo and the tests run on."""

from __future__ import annotations

from pathlib import Path

import pytest

from sulh.charter.keyed import Keyring, make_keys, write_keyed_charter
from sulh.charter.loader import CharterError, load_charter

SHIPPED = Path(__file__).resolve().parents[1] / "charters" / "af-pak.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _errors(tmp_path, text) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CharterError) as info:
        load_charter(path)
    return info.value.messages


def _one(messages: list[str], needle: str) -> str:
    hits = [m for m in messages if needle in m]
    assert hits, messages
    return hits[0]


def test_shipped_sections():
    c = load_charter(SHIPPED)
    assert set(c.commitments.obligations.state_changes["met"]) == {"mediators"}
    assert c.commitments.exchanges.ratio == (1, 1)
    assert c.commitments.documents.required == ["AFG", "PAK", "QAT", "TUR"]
    # The shipped charter proposes offices but enters no key: only the parties' key ceremony does.
    assert all(s.key is None for s in c.commitments.documents.signatories)
    assert c.intel.keys == []


def test_signatory_key_must_be_a_verifier_key(tmp_path):
    text = TEXT.replace("{org: PAK, office: Head of the Pakistani delegation (Minister of Defence)}",
                        '{org: PAK, office: Head, key: "not-a-key"}')  # fmt: skip
    msg = _one(_errors(tmp_path, text), "commitments.documents.signatories.1.key")
    assert "verifier key" in msg


def test_unknown_organisations_are_named(tmp_path):
    text = TEXT.replace("observers: [JMT]", "observers: [ICRC]").replace(
        "required: [AFG, PAK, QAT, TUR]", "required: [AFG, PAK, QAT, XYZ]"
    )
    errs = _errors(tmp_path, text)
    assert "'ICRC' is neither a mediator nor a monitoring team" in _one(
        errs, "commitments.exchanges.observers.0"
    )
    assert "'XYZ'" in _one(errs, "commitments.documents.required.3")


def test_every_state_needs_a_rule(tmp_path):
    text = TEXT.replace("      breached: [mediators]\n", "")
    assert "no rule for the states breached" in _one(_errors(tmp_path, text), "state_changes")


def test_old_expiry_deadline_is_refused(tmp_path):
    text = TEXT.replace("  intel_answer: P3D ", "  ceasefire_expiry_warning: PT12H\n  intel_answer: P3D ")
    assert "moved to commitments.obligations.expiry_warnings" in _one(_errors(tmp_path, text), "deadlines")


def test_intel_needs_its_deadlines_and_one_key_pair_each(tmp_path):
    ring = Keyring({"AFG": make_keys("AFG")})
    keyed = write_keyed_charter(SHIPPED, tmp_path / "keyed.yaml", ring).read_text()
    line = next(x for x in keyed.splitlines() if x.strip().startswith("- {org: AFG, encryption:"))
    twice = keyed.replace(line, line + "\n" + line).replace("  intel_ack: PT2H", "")
    errs = _errors(tmp_path, twice)
    assert "a second key for 'AFG'" in _one(errs, "intel.keys.1.org")
    assert "needs the deadline 'intel_ack'" in _one(errs, "deadlines")


def test_keyed_copy_enters_keys_and_changes_nothing_else(tmp_path):
    ring = Keyring({code: make_keys(code) for code in ("AFG", "PAK", "QAT", "TUR")})
    out = write_keyed_charter(SHIPPED, tmp_path / "keyed.yaml", ring)
    c = load_charter(out)
    assert {s.org: s.key for s in c.commitments.documents.signatories} == {
        code: k.verifier_key for code, k in ring.orgs.items()
    }
    assert {k.org: (k.encryption, k.signing) for k in c.intel.keys} == {
        code: (k.intel_public, k.intel_verifier_key) for code, k in ring.orgs.items()
    }
    changed = [
        (a, b) for a, b in zip(TEXT.splitlines(), out.read_text().splitlines(), strict=False) if a != b
    ]
    assert len(changed) == 5  # four signatory lines and the `keys:` line of intel
    # Entering keys again (a new key set) replaces the old ones rather than adding a second key.
    again = Keyring({"AFG": make_keys("AFG")})
    out2 = write_keyed_charter(out, tmp_path / "again.yaml", again)
    sig = next(s for s in load_charter(out2).commitments.documents.signatories if s.org == "AFG")
    assert sig.key == again["AFG"].verifier_key


def test_keyed_copy_refuses_a_charter_without_a_signatory_line(tmp_path):
    text = TEXT.replace("      - {org: TUR, office: Turkish mediator (Ministry of Foreign Affairs)}\n", "")
    src = tmp_path / "src.yaml"
    src.write_text(text)
    with pytest.raises(ValueError, match="no one-line signatory entry for TUR"):
        write_keyed_charter(src, tmp_path / "out.yaml", Keyring({"TUR": make_keys("TUR")}))
