"""`verify_log` on a mirror built straight from the Merkle module (no database): saved checkpoints of every
awkward size are found consistent, inline and with worker processes, and a rewritten prefix is not."""

import json

import pytest

from sulh.ledger import merkle, note, tlog, verify
from sulh.ledger.verify import DirSource, Trust, verify_log

ORIGIN = "test.example/log"


def _bodies(n: int, salt: str = "") -> list[bytes]:
    return [
        json.dumps(
            {"actor": {"org": "PAK", "user": "u"}, "content_sha256": f"{i:064x}", "kind": "claim.filed" + salt,
             "record": {"id": f"{i:08x}", "type": "claim"}, "time": f"2025-10-15T02:{i // 60 % 60:02d}:{i % 60:02d}.000000Z",
             "v": 1, "version": 1},
            separators=(",", ":"), sort_keys=True,
        ).encode()  # fmt: skip
        for i in range(n)
    ]


def _mirror(d, bodies, signer) -> str:
    leaves = [merkle.leaf_hash(b) for b in bodies]
    nodes, frontier = merkle.append_leaves(0, [], leaves)
    store = {(lv, i): h for lv, i, h in nodes}
    n = len(bodies)
    for level, t, w in merkle.tiles_for_size(n):
        p = d / merkle.tile_path(level, t, None if w == 256 else w)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(merkle.tile_hashes(level, t, w, lambda cs: [store[c] for c in cs]))
    full, part = divmod(n, 256)
    for t in range(full + (1 if part else 0)):
        w = 256 if t < full else part
        p = d / merkle.entries_path(t, None if w == 256 else w)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"".join(len(b).to_bytes(2, "big") + b for b in bodies[t * 256 : t * 256 + w]))
    checkpoint = tlog.sign_checkpoint(tlog.Checkpoint(ORIGIN, n, merkle.root_from_frontier(frontier)), signer)
    (d / "checkpoint").write_text(checkpoint)
    return checkpoint


@pytest.fixture(params=["sequential", "parallel"])
def mode(request, monkeypatch):
    monkeypatch.setattr(verify, "PARALLEL_MIN_BUNDLES", 1 if request.param == "parallel" else 10**9)
    return request.param


@pytest.fixture(scope="module")
def signer():
    return note.parse_signer_key(note.generate_key(ORIGIN)[0])


def test_saved_checkpoints_of_every_awkward_size_are_consistent(tmp_path, signer, mode):
    bodies = _bodies(1100)
    saved = {}
    for m in (1, 255, 256, 257, 512, 700, 1024, 1099):
        saved[m] = _mirror(tmp_path / f"old{m}", bodies[:m], signer)
    _mirror(tmp_path / "now", bodies, signer)
    trust = Trust([signer.verifier()])
    for m, cp in saved.items():
        report = verify_log(DirSource(tmp_path / "now"), trust, saved_checkpoint=cp)
        assert report.ok, (m, report.lines())
        assert any(f"saved checkpoint of size {m:,}" in n for n in report.notes)


def test_a_rewritten_prefix_is_found(tmp_path, signer, mode):
    bodies = _bodies(1100)
    old = _mirror(tmp_path / "old", bodies[:700], signer)
    _mirror(tmp_path / "now", _bodies(700, salt="x") + bodies[700:], signer)  # history re-signed
    report = verify_log(DirSource(tmp_path / "now"), Trust([signer.verifier()]), saved_checkpoint=old)
    assert any("history before entry 700 was rewritten" in str(p) for p in report.problems), report.lines()


def test_a_changed_leaf_tile_is_named_by_entry(tmp_path, signer, mode):
    _mirror(tmp_path, _bodies(1100), signer)
    tile = tmp_path / merkle.tile_path(0, 2)
    data = bytearray(tile.read_bytes())
    data[32 * 5] ^= 1
    tile.write_bytes(bytes(data))
    report = verify_log(DirSource(tmp_path), Trust([signer.verifier()]))
    assert [p.where for p in report.problems] == [f"entry {2 * 256 + 5:,}"], report.lines()
