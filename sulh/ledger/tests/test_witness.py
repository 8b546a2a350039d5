"""The witness (c2sp.org/tlog-witness add-checkpoint, forks, gossip, persistence) and offline tlog-proofs.

Pure: temporary directories, no database. Trees are built with the merkle module from a list of leaves.
"""

import base64
import json
import os
import stat
import threading

import pytest

from sulh.ledger import merkle, note, tlog, witness
from sulh.ledger.note import COSIGNATURE_V1, Signer, open_note
from sulh.ledger.tlog import Checkpoint, Policy, TlogProofError
from sulh.ledger.witness import (
    SIZE_CONTENT_TYPE,
    ForkDetected,
    StaleOldSize,
    WitnessError,
    WitnessState,
    format_add_checkpoint,
)

ORIGIN = "sulh.example/log"
NOW = 1_760_000_000


class Tree:
    """A log as a list of leaves; proofs come from merkle's builders through a naive subtree reader."""

    def __init__(self, entries):
        self.entries = list(entries)
        self.leaves = [merkle.leaf_hash(e) for e in self.entries]

    def read(self, coords):
        return [merkle.root_from_leaf_hashes(self.leaves[i << lvl : (i + 1) << lvl]) for lvl, i in coords]

    def root(self, size):
        return merkle.root_from_leaf_hashes(self.leaves[:size])

    def consistency(self, size1, size2):
        return merkle.consistency_proof(size1, size2, self.read)

    def inclusion(self, index, size):
        return merkle.inclusion_proof(index, size, self.read)


@pytest.fixture(scope="module")
def log_signer():
    return Signer(ORIGIN, bytes(range(32)))


@pytest.fixture(scope="module")
def logs(log_signer):
    return {ORIGIN: log_signer.verifier()}


@pytest.fixture(scope="module")
def tree():
    return Tree(f"entry {i}".encode() for i in range(40))


@pytest.fixture(scope="module")
def forked():
    # Same first 4 entries, then another history: what a log that forks shows the other side.
    return Tree([f"entry {i}".encode() for i in range(4)] + [f"other {i}".encode() for i in range(4, 40)])


def checkpoint(tree, size, signer):
    return tlog.sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), signer)


def body(old, proof, signed):
    return format_add_checkpoint(old, proof, signed)


def make_witness(tmp_path, name):
    w = WitnessState(tmp_path / name.rsplit("/", 1)[-1])
    w.init(name)
    return w


def push(w, tree, signer, logs, old, new, now=NOW):
    proof = tree.consistency(old, new) if old else []
    return w.add_checkpoint(body(old, proof, checkpoint(tree, new, signer)), logs, now)


# --- add-checkpoint ------------------------------------------------------------------------------------------


def test_happy_path_growth_and_policy(tmp_path, tree, log_signer, logs):
    a, b, m = (make_witness(tmp_path, f"w.example/{n}") for n in ["party-a", "party-b", "mediator"])
    policy = Policy.parse(
        tlog.build_policy(
            log_signer.verifier_key(),
            {"A": a.verifier_key(), "B": b.verifier_key(), "M": m.verifier_key()},
            [("parties", "all", ["A", "B"]), ("all-three", "all", ["parties", "M"])],
            "all-three",
        )
    )
    sizes = [0, 1, 3, 7, 7, 8, 16, 17, 33]
    for old, new in zip(sizes, sizes[1:], strict=False):
        signed = checkpoint(tree, new, log_signer)
        proof = tree.consistency(old, new) if old else []
        answers = []
        for w in (a, b, m):
            status, resp = w.add_checkpoint(body(old, proof, signed), logs, NOW + new)
            assert status == 200, resp
            assert resp.decode().startswith("\u2014 ") and resp.endswith(b"\n")
            answers.append(resp.decode())
        # The client appends the response lines to its note and checks them under the policy.
        cosigned = note.add_signatures(signed, "".join(answers[:2]))
        with pytest.raises(tlog.QuorumError, match="missing: M"):
            policy.verify_checkpoint(cosigned)
        cosigned = note.add_signatures(cosigned, answers[2])
        opened = policy.verify_checkpoint(cosigned)
        assert opened.witnesses == {"A", "B", "M"}
        assert set(opened.cosigners.values()) == {NOW + new}
    held = a.latest(ORIGIN)
    assert (held.size, held.root) == (33, tree.root(33))
    assert a.history(ORIGIN) == [(s, tree.root(s)) for s in [1, 3, 7, 8, 16, 17, 33]]
    assert a.root_at(ORIGIN, 7) == tree.root(7) and a.root_at(ORIGIN, 6) is None
    assert (
        open_note(a.note_at(ORIGIN, 16), [log_signer.verifier()])[0]
        == Checkpoint(ORIGIN, 16, tree.root(16)).text()
    )
    assert a.forks() == []


def test_cosignature_verifies_with_the_witness_key(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    status, resp = push(w, tree, log_signer, logs, 0, 5)
    assert status == 200
    text = Checkpoint(ORIGIN, 5, tree.root(5)).text()
    assert tlog.verify_cosignature(text, resp.decode(), note.parse_verifier_key(w.verifier_key())) == NOW


def test_stale_old_size_is_409_with_the_size(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    status, resp = push(w, tree, log_signer, logs, 5, 9)
    assert (status, resp) == (409, b"0\n")  # never cosigned: its size is 0
    assert push(w, tree, log_signer, logs, 0, 9)[0] == 200
    r = w.handle(body(3, tree.consistency(3, 12), checkpoint(tree, 12, log_signer)), logs, NOW)
    assert (r.status, r.body, r.content_type) == (409, b"9\n", SIZE_CONTENT_TYPE)
    assert witness.parse_size_response(r.body) == 9
    assert r.fork is None
    with pytest.raises(StaleOldSize) as e:
        w.witness(0, [], checkpoint(tree, 12, log_signer), logs, NOW)
    assert e.value.size == 9


def test_bad_consistency_proof_is_422(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 6)[0] == 200
    proof = tree.consistency(6, 13)
    bad = [proof[0], bytes(32), *proof[2:]]
    status, _ = w.add_checkpoint(body(6, bad, checkpoint(tree, 13, log_signer)), logs, NOW)
    assert status == 422
    status, _ = w.add_checkpoint(body(6, proof[:-1], checkpoint(tree, 13, log_signer)), logs, NOW)
    assert status == 422
    assert w.latest(ORIGIN).size == 6  # nothing cosigned, nothing recorded
    # The log did sign it, so the witness kept it as possible evidence (without calling it proven).
    [evidence] = w.forks()
    info = json.loads((evidence / "fork.json").read_text())
    assert info["kind"] == witness.INCONSISTENT
    assert "not yet proof" in (evidence / "README.txt").read_text()
    assert push(w, tree, log_signer, logs, 6, 13)[0] == 200


def test_same_size_with_a_stray_proof_is_422(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 6)[0] == 200
    status, _ = w.add_checkpoint(body(6, [bytes(32)], checkpoint(tree, 6, log_signer)), logs, NOW)
    assert status == 422 and w.forks() == []
    assert w.add_checkpoint(body(6, [], checkpoint(tree, 6, log_signer)), logs, NOW + 1)[0] == 200
    assert w.latest(ORIGIN).timestamp == NOW + 1


def test_wrong_log_key_is_403(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    impostor = Signer(ORIGIN, bytes(32))  # the right name, another key
    status, _ = w.add_checkpoint(body(0, [], checkpoint(tree, 3, impostor)), logs, NOW)
    assert status == 403
    # A known key whose signature does not verify.
    good = checkpoint(tree, 3, log_signer)
    text, sigs = note.split_note(good)
    broken = text + "\n" + note.Signature(sigs[0].name, sigs[0].key_id, bytes(64)).line()
    assert w.add_checkpoint(body(0, [], broken), logs, NOW)[0] == 403
    # Only a witness's cosignature, no log signature.
    other = Signer("w.example/x", bytes(32), COSIGNATURE_V1)
    only_cosigned = text + "\n" + tlog.cosign(text, other, NOW)
    assert w.add_checkpoint(body(0, [], only_cosigned), logs, NOW)[0] == 403
    assert w.latest(ORIGIN) is None


def test_unknown_origin_is_404(tmp_path, tree, logs):
    w = make_witness(tmp_path, "w.example/a")
    other = Signer("other.example/log", bytes(range(32)))
    signed = tlog.sign_checkpoint(Checkpoint("other.example/log", 3, tree.root(3)), other)
    assert w.add_checkpoint(body(0, [], signed), logs, NOW)[0] == 404


def test_old_larger_than_new_is_400(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 10)[0] == 200
    status, _ = w.add_checkpoint(body(10, [], checkpoint(tree, 4, log_signer)), logs, NOW)
    assert status == 400


@pytest.mark.parametrize(
    "raw",
    [
        b"old 0\n",
        b"old 01\n\n",
        b"old -1\n\n",
        b"new 0\n\n",
        b"old 3\nnot base64!\n\n",
        b"old 3\n" + base64.b64encode(bytes(31)) + b"\n\n",
        b"old 3\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\n",
        b"old 0\n\nno signatures here\n",
        b"old 0\n\n" + b"x" * (witness.MAX_BODY + 1),
    ],
)
def test_malformed_requests_are_400(tmp_path, raw, logs):
    w = make_witness(tmp_path, "w.example/a")
    status, _ = w.add_checkpoint(raw, logs, NOW)
    assert status in (400, 413)


def test_nonempty_proof_from_size_zero_is_400(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert w.add_checkpoint(body(0, [bytes(32)], checkpoint(tree, 4, log_signer)), logs, NOW)[0] == 400


def test_empty_tree(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 0)[0] == 200
    assert push(w, tree, log_signer, logs, 0, 5)[0] == 200
    bad_empty = tlog.sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), log_signer)
    assert make_witness(tmp_path, "w.example/b").add_checkpoint(body(0, [], bad_empty), logs, NOW)[0] == 422


# --- forks ---------------------------------------------------------------------------------------------------


def test_fork_same_size_other_root_is_refused_and_saved(tmp_path, tree, forked, log_signer, logs):
    seen = []
    w = WitnessState(tmp_path / "a", on_fork=seen.append)
    w.init("w.example/a")
    assert push(w, tree, log_signer, logs, 0, 9)[0] == 200
    conflicting = checkpoint(forked, 9, log_signer)
    r = w.handle(body(9, [], conflicting), logs, NOW + 60)
    assert (r.status, r.body, r.content_type) == (409, b"9\n", SIZE_CONTENT_TYPE)
    assert isinstance(r.fork, ForkDetected) and seen == [r.fork]
    fork = r.fork
    assert fork.kind == witness.EQUIVOCATION
    msg = str(fork)
    for root in (tree.root(9), forked.root(9)):
        assert base64.b64encode(root).decode() in msg
    assert "size 9" in msg
    assert w.latest(ORIGIN).root == tree.root(9)  # still the first one

    [evidence] = w.forks()
    assert fork.evidence == evidence
    held = (evidence / "held-checkpoint.txt").read_text()
    other = (evidence / "conflicting-checkpoint.txt").read_text()
    assert other == conflicting
    # Both carry the log's signature, intact, and disagree on the root of the same size.
    cp1 = Checkpoint.parse(open_note(held, [log_signer.verifier()])[0])
    cp2 = Checkpoint.parse(open_note(other, [log_signer.verifier()])[0])
    assert cp1.size == cp2.size == 9 and cp1.root != cp2.root
    readme = (evidence / "README.txt").read_text()
    assert "WHAT THIS PROVES" in readme and log_signer.verifier_key() in readme
    assert base64.b64encode(forked.root(9)).decode() in readme

    # The same conflict again adds no second directory.
    assert w.add_checkpoint(body(9, [], conflicting), logs, NOW + 120)[0] == 409
    assert len(w.forks()) == 1


def test_fork_against_an_older_cosigned_size(tmp_path, tree, forked, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    for old, new in [(0, 6), (6, 12)]:
        assert push(w, tree, log_signer, logs, old, new)[0] == 200
    r = w.handle(body(0, [], checkpoint(forked, 6, log_signer)), logs, NOW)
    assert r.status == 409 and r.fork is not None and r.fork.held.size == 6
    held = (r.fork.evidence / "held-checkpoint.txt").read_text()
    assert Checkpoint.parse(note.split_note(held)[0]).root == tree.root(6)


def test_fork_by_inconsistent_growth(tmp_path, tree, forked, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 6)[0] == 200
    # The forked log signs size 20 and offers its own (honest for its tree) proof from 6: it cannot match.
    r = w.handle(body(6, forked.consistency(6, 20), checkpoint(forked, 20, log_signer)), logs, NOW)
    assert r.status == 422 and r.fork.kind == witness.INCONSISTENT
    proof_file = (r.fork.evidence / "consistency-proof.txt").read_text()
    assert proof_file.startswith("from size 6 to size 20\n")
    assert w.latest(ORIGIN).size == 6


def test_gossip_detects_two_checkpoints_of_the_same_size(tmp_path, tree, forked, log_signer, logs):
    a, b = make_witness(tmp_path, "w.example/a"), make_witness(tmp_path, "w.example/b")
    # The log shows one history to A and another to B.
    status_a, cosig_a = push(a, tree, log_signer, logs, 0, 11)
    status_b, cosig_b = push(b, forked, log_signer, logs, 0, 11)
    assert status_a == status_b == 200
    b_view = note.add_signatures(checkpoint(forked, 11, log_signer), cosig_b.decode())
    with pytest.raises(ForkDetected) as e:
        a.check_peer(b_view, logs, peer_verifiers=[b.verifier()], now=NOW)
    assert e.value.kind == witness.EQUIVOCATION and e.value.status == 409
    [evidence] = a.forks()
    other = (evidence / "conflicting-checkpoint.txt").read_text()
    assert other == b_view  # with B's cosignature too
    assert json.loads((evidence / "fork.json").read_text())["source"] == "peer"
    # And the other way round.
    a_view = note.add_signatures(checkpoint(tree, 11, log_signer), cosig_a.decode())
    with pytest.raises(ForkDetected):
        b.check_peer(a_view, logs)


def test_gossip_without_and_with_proofs(tmp_path, tree, forked, log_signer, logs):
    a = make_witness(tmp_path, "w.example/a")
    for old, new in [(0, 4), (4, 10)]:
        assert push(a, tree, log_signer, logs, old, new)[0] == 200
    same = a.check_peer(checkpoint(tree, 10, log_signer), logs)
    assert same.status == "consistent" and same.needed is None
    assert a.check_peer(checkpoint(tree, 4, log_signer), logs).status == "consistent"

    smaller = a.check_peer(checkpoint(tree, 7, log_signer), logs)
    assert smaller.status == "need-proof" and smaller.needed == (7, 10)
    assert a.check_peer(checkpoint(tree, 7, log_signer), logs, tree.consistency(7, 10)).status == "consistent"

    larger = a.check_peer(checkpoint(tree, 25, log_signer), logs)
    assert larger.status == "need-proof" and larger.needed == (10, 25)
    assert (
        a.check_peer(checkpoint(tree, 25, log_signer), logs, tree.consistency(10, 25)).status == "consistent"
    )
    assert a.latest(ORIGIN).size == 10  # gossip never advances what the witness cosigned

    with pytest.raises(ForkDetected) as e:
        a.check_peer(checkpoint(forked, 25, log_signer), logs, forked.consistency(10, 25))
    assert e.value.kind == witness.INCONSISTENT

    fresh = make_witness(tmp_path, "w.example/fresh")
    assert fresh.check_peer(checkpoint(tree, 3, log_signer), logs).status == "no-state"


def test_gossip_requires_the_log_signature(tmp_path, tree, logs):
    a = make_witness(tmp_path, "w.example/a")
    unsigned_by_log = tlog.sign_checkpoint(Checkpoint(ORIGIN, 3, tree.root(3)), Signer(ORIGIN, bytes(32)))
    with pytest.raises(WitnessError) as e:
        a.check_peer(unsigned_by_log, logs)
    assert e.value.status == 403


# --- persistence ---------------------------------------------------------------------------------------------


def test_state_survives_reload(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    for old, new in [(0, 3), (3, 8)]:
        assert push(w, tree, log_signer, logs, old, new)[0] == 200
    again = WitnessState(tmp_path / "a")
    assert again.verifier_key() == w.verifier_key()
    assert again.latest(ORIGIN) == w.latest(ORIGIN)
    assert again.history(ORIGIN) == [(3, tree.root(3)), (8, tree.root(8))]
    assert again.origins() == [ORIGIN]
    assert push(again, tree, log_signer, logs, 3, 9)[0] == 409
    assert push(again, tree, log_signer, logs, 8, 9)[0] == 200


def test_a_crash_mid_append_leaves_the_committed_state(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 3)[0] == 200
    [logdir] = (tmp_path / "a" / witness.LOGS_DIR).iterdir()
    # What a crash after appending but before replacing state.json leaves: bytes past the committed length.
    with open(logdir / "index.bin", "ab") as f:
        f.write(b"\xff" * 30)
    with open(logdir / "notes.log", "ab") as f:
        f.write(b"half a note")
    (tmp_path / "a" / ".state.json.123.tmp").write_text("{half")
    again = WitnessState(tmp_path / "a")
    assert again.history(ORIGIN) == [(3, tree.root(3))]
    assert push(again, tree, log_signer, logs, 3, 5)[0] == 200
    assert again.history(ORIGIN) == [(3, tree.root(3)), (5, tree.root(5))]
    assert open_note(again.note_at(ORIGIN, 5), [log_signer.verifier()])


def test_key_file_is_private(tmp_path):
    w = WitnessState(tmp_path / "w")
    vkey = w.init("w.example/a")
    key = tmp_path / "w" / witness.KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+w.example/a+")
    assert (tmp_path / "w" / witness.VKEY_FILE).read_text() == vkey + "\n"
    assert note.parse_verifier_key(vkey).sig_type == COSIGNATURE_V1
    with pytest.raises(FileExistsError):
        w.init("w.example/a")
    os.chmod(key, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        _ = WitnessState(tmp_path / "w").signer


def test_concurrent_requests_never_roll_back(tmp_path, tree, log_signer, logs):
    w = make_witness(tmp_path, "w.example/a")
    assert push(w, tree, log_signer, logs, 0, 4)[0] == 200
    results = {}

    def post(new):
        results[new] = WitnessState(tmp_path / "a").add_checkpoint(
            body(4, tree.consistency(4, new), checkpoint(tree, new, log_signer)), logs, NOW
        )[0]

    threads = [threading.Thread(target=post, args=(n,)) for n in (9, 15, 21, 30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409, 409, 409]
    [winner] = [n for n, s in results.items() if s == 200]
    assert w.latest(ORIGIN).size == winner
    assert [s for s, _ in w.history(ORIGIN)] == [4, winner]


# --- tlog-proof ----------------------------------------------------------------------------------------------


@pytest.fixture
def cosigned(tmp_path, tree, log_signer, logs):
    ws = [make_witness(tmp_path, f"w.example/{n}") for n in ("a", "b")]
    signed = checkpoint(tree, 13, log_signer)
    for w in ws:
        status, resp = w.add_checkpoint(body(0, [], signed), logs, NOW)
        assert status == 200
        signed = note.add_signatures(signed, resp.decode())
    policy = Policy.parse(
        tlog.build_policy(
            log_signer.verifier_key(),
            {"A": ws[0].verifier_key(), "B": ws[1].verifier_key()},
            [("both", "all", ["A", "B"])],
            "both",
        )
    )
    return signed, policy


def test_proof_round_trip_and_verify(tree, log_signer, cosigned):
    signed, policy = cosigned
    text = tlog.format_proof(5, tree.inclusion(5, 13), signed, extra=b"context")
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra Y29udGV4dA==\nindex 5\n")
    parsed = tlog.parse_proof(text)
    assert (parsed.index, parsed.proof, parsed.checkpoint_note, parsed.extra) == (
        5,
        tree.inclusion(5, 13),
        signed,
        b"context",
    )
    ok = tlog.verify_proof(text, tree.entries[5], policy)
    assert ok.index == 5 and ok.checkpoint.witnesses == {"A", "B"} and ok.extra == b"context"
    assert tlog.verify_proof(text, tlog.LeafHash(tree.leaves[5]), policy).index == 5
    assert tlog.verify_proof(text, leaf_hash=tree.leaves[5], trust=[log_signer.verifier()]).index == 5
    with pytest.raises(TlogProofError, match="inclusion"):
        tlog.verify_proof(text, tree.entries[6], policy)
    with pytest.raises(TlogProofError, match="inclusion"):
        tlog.verify_proof(tlog.format_proof(6, tree.inclusion(5, 13), signed), tree.entries[5], policy)


def test_proof_without_quorum_or_log_signature_fails(tree, log_signer, cosigned):
    signed, policy = cosigned
    text, sigs = note.split_note(signed)
    log_only = text + "\n" + sigs[0].line()
    proof = tlog.format_proof(0, tree.inclusion(0, 13), log_only)
    with pytest.raises(TlogProofError, match="quorum both not met"):
        tlog.verify_proof(proof, tree.entries[0], policy)
    assert tlog.verify_proof(proof, tree.entries[0], [log_signer.verifier()]).index == 0
    with pytest.raises(TlogProofError, match="checkpoint"):
        tlog.verify_proof(proof, tree.entries[0], [Signer(ORIGIN, bytes(32)).verifier()])


def test_single_leaf_proof_has_no_hash_lines(log_signer):
    one = Tree([b"only"])
    signed = tlog.sign_checkpoint(Checkpoint(ORIGIN, 1, one.root(1)), log_signer)
    text = tlog.format_proof(0, [], signed)
    assert text == "c2sp.org/tlog-proof@v1\nindex 0\n\n" + signed
    assert tlog.verify_proof(text, b"only", [log_signer.verifier()]).leaf_hash == merkle.leaf_hash(b"only")


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "must start with"),
        (lambda t: t.replace("index 5", "index 05"), "leading zeroes"),
        (lambda t: t.replace("index 5\n", ""), "no 'index N' line"),
        (lambda t: t.replace("index 5\n", "index 5\nnot-base64\n"), "base64"),
        (lambda t: t.replace("\n\n", "\n", 1), "no blank line|base64"),
        (lambda t: t.replace("index 5", "index 13"), "not in the checkpoint's tree"),
    ],
)
def test_malformed_proofs(tree, log_signer, mangle, message):
    signed = checkpoint(tree, 13, log_signer)
    text = mangle(tlog.format_proof(5, tree.inclusion(5, 13), signed))
    with pytest.raises(TlogProofError, match=message):
        tlog.verify_proof(text, tree.entries[5], [log_signer.verifier()])
