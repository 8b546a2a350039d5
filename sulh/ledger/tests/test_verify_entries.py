"""The per-entry checks of `sulh log verify`: canonical form, fields, and the fast path's limits."""

import rfc8785

from sulh.ledger.verify import _summarise

ENTRY = {
    "v": 1, "kind": "claim.filed", "record": {"type": "claim", "id": "7b0c"}, "version": 2,
    "actor": {"user": "pak.liaison", "org": "PAK"}, "time": "2025-10-15T02:14:09.331120Z",
    "content_sha256": "9f" * 32,
}  # fmt: skip


def test_a_canonical_entry_is_summarised():
    assert _summarise(rfc8785.dumps(ENTRY)) == ("claim", "7b0c", 2, "2025-10-15T02:14:09.331120Z")


def test_non_ascii_text_is_canonical_by_either_encoder():
    entry = {**ENTRY, "actor": {"user": "ناظم", "org": "AFG"}}
    assert _summarise(rfc8785.dumps(entry))[0] == "claim"


def test_spaces_or_key_order_are_not_canonical():
    import json

    assert "canonical" in _summarise(json.dumps(ENTRY).encode())
    assert "canonical" in _summarise(json.dumps(ENTRY, separators=(",", ":")).encode())


def test_a_fraction_is_refused():
    body = rfc8785.dumps({**ENTRY, "version": 2.5})
    assert "fraction" in _summarise(body)


def test_missing_or_extra_fields_are_named():
    extra = rfc8785.dumps({**ENTRY, "note": "x"})
    assert "fields" in _summarise(extra)
    missing = rfc8785.dumps({k: v for k, v in ENTRY.items() if k != "time"})
    assert "fields" in _summarise(missing)
