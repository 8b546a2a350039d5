"""sulh.ledger.merkle against RFC 9162 §2.1 as written: a naive recursive reference, published vectors, tiles."""

import base64
import hashlib
import json
import math
import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sulh.ledger import merkle as M

# --------------------------------------------------------------------------- naive reference (RFC 9162 §2.1)
# Written straight from the RFC's recursive definitions, with hashlib only, so it shares no code with merkle.py.

N = 300  # exhaustive range of tree sizes
ENTRIES = [b"entry %d" % i for i in range(N)]


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """Largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) over ENTRIES."""
    n = end - start
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + ENTRIES[start])
    k = _k(n)
    return _sha(b"\x01" + mth(start, start + k) + mth(start + k, end))


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]), m relative to start."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, start, start + k) + [mth(start + k, end)]
    return ref_path(m - k, start + k, end) + [mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b), m relative to start."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, start, start + k, b) + [mth(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [mth(start, start + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    return ref_subproof(m, 0, n, True)


LEAF_HASHES = [mth(i, i + 1) for i in range(N)]


class DictReader:
    """Reader over stored perfect subtrees that insists on the contract: distinct coordinates, all complete."""

    def __init__(self, store: dict[tuple[int, int], bytes], size: int):
        self.store, self.size, self.calls, self.asked = store, size, 0, 0

    def __call__(self, coords):
        self.calls += 1
        self.asked += len(coords)
        assert len(set(coords)) == len(coords), "duplicate coordinates"
        for level, index in coords:
            assert (index + 1) << level <= self.size, (
                f"({level}, {index}) is not complete at size {self.size}"
            )
        return [self.store[c] for c in coords]


@pytest.fixture(scope="module")
def store() -> dict[tuple[int, int], bytes]:
    nodes, _ = M.append_leaves(0, [], LEAF_HASHES)
    return {(level, index): h for level, index, h in nodes}


# --------------------------------------------------------------------------- basics and RFC 6962 reference roots

# transparency-dev/merkle testonly/constants.go (Apache License 2.0, Copyright Google LLC): the RFC 6962 test
# tree's leaves and its root at each size, originally from google/certificate-transparency.
RFC6962_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
RFC6962_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_hash_primitives():
    assert M.HASH_SIZE == 32
    assert hashlib.sha256(b"").digest() == M.EMPTY_ROOT
    assert M.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = bytes(range(32)), bytes(range(32, 64))
    assert M.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert issubclass(M.ProofError, ValueError)


@pytest.mark.parametrize("size", range(len(RFC6962_ROOTS)))
def test_rfc6962_reference_roots(size):
    leaves = [M.leaf_hash(bytes.fromhex(e)) for e in RFC6962_LEAVES[:size]]
    want = bytes.fromhex(RFC6962_ROOTS[size])
    assert M.root_from_leaf_hashes(leaves) == want
    nodes, frontier = M.append_leaves(0, [], leaves)
    assert M.root_from_frontier(frontier) == want
    stored = {(level, index): h for level, index, h in nodes}
    assert M.root_hash(size, DictReader(stored, size)) == want


def test_roots_match_naive_reference(store):
    builder = M.TreeBuilder()
    for n in range(N + 1):
        want = mth(0, n)
        assert builder.root() == want
        assert builder.size == n
        assert M.root_hash(n, DictReader(store, n)) == want
        assert M.root_from_leaf_hashes(LEAF_HASHES[:n]) == want
        if n < N:
            builder.add(LEAF_HASHES[n])


# --------------------------------------------------------------------------- transparency-dev/merkle vectors

VECTORS = Path(__file__).parent / "vectors" / "transparency-dev-merkle"
VECTOR_FILES = sorted(p.relative_to(VECTORS).as_posix() for p in VECTORS.glob("*/**/*.json"))

# These placeholder roots ("don't care 2", 12 bytes) are accepted by Go's verifier because equal sizes only
# compare the roots; this module rejects any hash that is not 32 bytes, everywhere. The test still checks the
# vector's intent (equal sizes, empty proof, equal roots: consistent) with real 32-byte roots.


def test_vector_files_present():
    assert len(VECTOR_FILES) == 196
    assert sum(f.startswith("inclusion/") for f in VECTOR_FILES) > 50
    assert sum(f.startswith("consistency/") for f in VECTOR_FILES) > 50


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _run_vector(v: dict) -> None:
    proof = [_b64(p) for p in v["proof"] or []]
    if "leafIdx" in v:
        M.verify_inclusion(_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, _b64(v["root"]))
    else:
        M.verify_consistency(v["size1"], v["size2"], proof, _b64(v["root1"]), _b64(v["root2"]))


@pytest.mark.parametrize("name", VECTOR_FILES)
def test_transparency_dev_vector(name):
    v = json.loads((VECTORS / name).read_text())
    if v["wantErr"]:
        with pytest.raises(M.ProofError):
            _run_vector(v)
    else:
        _run_vector(v)


# --------------------------------------------------------------------------- exhaustive proofs, sizes 1..N


def test_inclusion_proofs_exhaustive(store):
    for n in range(1, N + 1):
        root = mth(0, n)
        for m in range(n):
            reader = DictReader(store, n)
            proof = M.inclusion_proof(m, n, reader)
            assert proof == ref_path(m, 0, n)
            assert reader.calls == (1 if n > 1 else 0)
            assert reader.asked == len(M.inclusion_coords(m, n))
            M.verify_inclusion(LEAF_HASHES[m], m, n, proof, root)
            assert M.root_from_inclusion(LEAF_HASHES[m], m, n, proof) == root


def test_consistency_proofs_exhaustive(store):
    for n2 in range(0, N + 1):
        root2 = mth(0, n2)
        for n1 in range(0, n2 + 1):
            reader = DictReader(store, n2)
            proof = M.consistency_proof(n1, n2, reader)
            if n1 in (0, n2):
                assert proof == []
                assert reader.calls == 0
            else:
                assert proof == ref_proof(n1, n2)
                assert reader.calls == 1
                assert reader.asked == len(M.consistency_coords(n1, n2))
            if n1 == 0 and n2 > 0:
                with pytest.raises(M.ProofError, match="empty tree"):
                    M.verify_consistency(n1, n2, proof, M.EMPTY_ROOT, root2)
            else:
                M.verify_consistency(n1, n2, proof, mth(0, n1), root2)


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _inclusion_mutations(m: int, n: int, proof: list[bytes]):
    """(index, size, proof) variants that must all be rejected against the true root of the size they claim."""
    for i in range(len(proof)):
        for bit in (0, 7, 100, 255):
            yield m, n, proof[:i] + [_flip(proof[i], bit)] + proof[i + 1 :]
        yield m, n, proof[:i] + proof[i + 1 :]
        yield m, n, proof[:i] + [proof[i], proof[i]] + proof[i + 1 :]
    yield m, n, [*proof, LEAF_HASHES[0]]
    yield m, n, [LEAF_HASHES[0], *proof]
    for m2, n2 in ((m + 1, n), (m - 1, n), (m ^ 1, n), (m, n + 1), (m, n - 1), (m, 2 * n), (m, n // 2)):
        if not (0 <= m2 < n2 <= N) or (m2, n2) == (m, n):
            continue
        if m2 == m and proof == ref_path(m, 0, n2):
            continue  # not a mutation: these hashes really are the proof for (m, n2)
        yield m2, n2, proof


def test_inclusion_mutations_rejected(store):
    for n in range(1, 65):
        for m in range(n):
            proof = M.inclusion_proof(m, n, DictReader(store, n))
            for m2, n2, bad in _inclusion_mutations(m, n, proof):
                with pytest.raises(M.ProofError):
                    M.verify_inclusion(LEAF_HASHES[m], m2, n2, bad, mth(0, n2))
            with pytest.raises(M.ProofError, match="does not match"):
                M.verify_inclusion(LEAF_HASHES[m], m, n, proof, _flip(mth(0, n), 3))
            other = LEAF_HASHES[(m + 1) % N]
            with pytest.raises(M.ProofError, match="does not match"):
                M.verify_inclusion(other, m, n, proof, mth(0, n))


def _consistency_mutations(n1: int, n2: int, proof: list[bytes]):
    for i in range(len(proof)):
        for bit in (0, 7, 100, 255):
            yield n1, n2, proof[:i] + [_flip(proof[i], bit)] + proof[i + 1 :]
        yield n1, n2, proof[:i] + proof[i + 1 :]
        yield n1, n2, proof[:i] + [proof[i], proof[i]] + proof[i + 1 :]
    yield n1, n2, [*proof, LEAF_HASHES[0]]
    yield n1, n2, [LEAF_HASHES[0], *proof]
    for a, b in (
        (n1 + 1, n2),
        (n1 - 1, n2),
        (n1, n2 + 1),
        (n1, n2 - 1),
        (n1 ^ 2, n2),
        (n1, 2 * n2),
        (n2, n1),
    ):
        if not (0 <= a <= N and 0 <= b <= N) or (a, b) == (n1, n2):
            continue
        if (a == b and not proof) or (0 < a < b and proof == ref_proof(a, b)):
            continue  # not a mutation: these hashes really are the proof for (a, b)
        yield a, b, proof


def test_consistency_mutations_rejected(store):
    for n2 in range(1, 49):
        for n1 in range(1, n2 + 1):
            proof = M.consistency_proof(n1, n2, DictReader(store, n2))
            for a, b, bad in _consistency_mutations(n1, n2, proof):
                with pytest.raises(M.ProofError):
                    M.verify_consistency(a, b, bad, mth(0, a), mth(0, b))
            for r1, r2 in ((_flip(mth(0, n1), 9), mth(0, n2)), (mth(0, n1), _flip(mth(0, n2), 9))):
                with pytest.raises(M.ProofError, match="does not match"):
                    M.verify_consistency(n1, n2, proof, r1, r2)
            if n1 != n2:
                with pytest.raises(M.ProofError):
                    M.verify_consistency(n1, n2, proof, mth(0, n2), mth(0, n1))  # swapped roots


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_bit_flip_rejected(store, data):
    n2 = data.draw(st.integers(2, N))
    if data.draw(st.booleans()):
        m = data.draw(st.integers(0, n2 - 1))
        proof = M.inclusion_proof(m, n2, DictReader(store, n2))
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        proof[i] = _flip(proof[i], bit)
        with pytest.raises(M.ProofError):
            M.verify_inclusion(LEAF_HASHES[m], m, n2, proof, mth(0, n2))
    else:
        n1 = data.draw(st.integers(1, n2 - 1))
        proof = M.consistency_proof(n1, n2, DictReader(store, n2))
        i = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        proof[i] = _flip(proof[i], bit)
        with pytest.raises(M.ProofError):
            M.verify_consistency(n1, n2, proof, mth(0, n1), mth(0, n2))


def test_error_messages_are_precise():
    proof = [bytes(32)] * 3
    with pytest.raises(M.ProofError) as e:
        M.verify_inclusion(bytes(32), 5, 13, proof, bytes(32))
    assert str(e.value) == "inclusion proof has 3 hashes, expected 4 for index 5 in a tree of 13"
    with pytest.raises(M.ProofError) as e:
        M.verify_inclusion(LEAF_HASHES[0], 0, 1, [], mth(0, 2))
    assert str(e.value).startswith(f"computed root {LEAF_HASHES[0].hex()} does not match {mth(0, 2).hex()}")
    with pytest.raises(
        M.ProofError, match=r"consistency proof has 0 hashes, expected 2 from size 2 to size 5"
    ):
        M.verify_consistency(2, 5, [], mth(0, 2), mth(0, 5))
    with pytest.raises(M.ProofError, match=r"inclusion proof\[1\] is 31 bytes, expected 32"):
        M.verify_inclusion(bytes(32), 0, 4, [bytes(32), bytes(31)], bytes(32))
    with pytest.raises(M.ProofError, match="index 4 is not in a tree of size 4"):
        M.verify_inclusion(bytes(32), 4, 4, [], bytes(32))


@pytest.mark.parametrize(
    "args",
    [
        (b"", 0, 1, [], bytes(32)),  # empty leaf hash
        (bytes(32), 0, 1, [], b""),  # empty root
        (bytes(33), 0, 1, [], bytes(33)),
        ("0" * 32, 0, 1, [], "0" * 32),  # text, not bytes
        (bytes(32), 0, 2, bytes(32), bytes(32)),  # a bare hash where a list is expected
        (bytes(32), -1, 1, [], bytes(32)),
        (bytes(32), True, 2, [bytes(32)], bytes(32)),
        (bytes(32), 0, 0, [], M.EMPTY_ROOT),
        (bytes(32), 2**64 - 1, 1, [], bytes(32)),
    ],
)
def test_verify_inclusion_rejects_malformed_input(args):
    with pytest.raises(M.ProofError):
        M.verify_inclusion(*args)


@pytest.mark.parametrize(
    "args",
    [
        (2, 1, [], bytes(32), bytes(32)),
        (0, 0, [], bytes(32), bytes(32)),  # an empty tree's root is EMPTY_ROOT
        (0, 0, [M.EMPTY_ROOT], M.EMPTY_ROOT, M.EMPTY_ROOT),
        (3, 3, [bytes(32)], bytes(32), bytes(32)),
        (3, 3, [], bytes(32), bytes(31)),
        (1, 2, [], bytes(32), bytes(32)),
        (-1, 2, [bytes(32)], bytes(32), bytes(32)),
    ],
)
def test_verify_consistency_rejects_malformed_input(args):
    with pytest.raises(M.ProofError):
        M.verify_consistency(*args)


def test_trivial_consistency_accepted():
    M.verify_consistency(0, 0, [], M.EMPTY_ROOT, M.EMPTY_ROOT)
    M.verify_consistency(7, 7, (), mth(0, 7), mth(0, 7))


def test_proof_generation_argument_checks(store):
    reader = DictReader(store, 10)
    for bad in ((10, 10), (-1, 10), (0, 0)):
        with pytest.raises(ValueError):
            M.inclusion_proof(*bad, reader)
    with pytest.raises(ValueError):
        M.consistency_proof(5, 4, reader)
    with pytest.raises(ValueError, match="reader returned 1 hashes for 2 coordinates"):
        M.root_hash(3, lambda coords: [bytes(32)])
    with pytest.raises(ValueError, match="is 5 bytes"):
        M.root_hash(3, lambda coords: [bytes(5)] * len(coords))
    # psycopg2 returns bytea as memoryview
    assert M.root_hash(10, lambda coords: [memoryview(store[c]) for c in coords]) == mth(0, 10)
    assert M.root_hash(0, reader) == M.EMPTY_ROOT
    assert reader.calls == 0


# --------------------------------------------------------------------------- appending and storage order


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(st.integers(0, 70), max_size=12))
def test_append_leaves_in_batches_matches_one_by_one(batches):
    total = min(sum(batches), N)
    one_by_one: list = []
    frontier: list[bytes] = []
    for i in range(total):
        nodes, frontier = M.append_leaves(i, frontier, LEAF_HASHES[i : i + 1])
        one_by_one += nodes
    batched: list = []
    size, frontier2 = 0, []
    builder, seen = M.TreeBuilder(on_node=lambda *node: seen.append(node)), []
    for count in batches:
        count = min(count, total - size)
        chunk = LEAF_HASHES[size : size + count]
        nodes, frontier2 = M.append_leaves(size, frontier2, chunk)
        batched += nodes
        builder.add_many(chunk)
        size += count
        assert M.root_from_frontier(frontier2) == mth(0, size)
        assert builder.frontier == frontier2
    assert batched == one_by_one
    assert frontier2 == frontier
    assert sorted(seen) == sorted(batched)  # on_node sees every node, in level order
    assert builder.root() == mth(0, total)
    assert [M.stored_hash_index(level, index) for level, index, _ in batched] == list(range(len(batched)))
    assert len(batched) == 2 * total - total.bit_count()


def test_append_leaves_nodes_are_the_perfect_subtrees(store):
    # Every stored node is MTH of the leaves it covers, and every perfect subtree of the tree is stored.
    want = {(level, index) for level in range(N.bit_length()) for index in range(N >> level)}
    assert set(store) == want
    for (level, index), h in store.items():
        assert h == mth(index << level, (index + 1) << level)


def test_frontier_coords():
    assert M.frontier_coords(0) == []
    assert M.frontier_coords(1) == [(0, 0)]
    assert M.frontier_coords(13) == [(3, 0), (2, 2), (0, 12)]
    assert M.root_coords(16) == [(4, 0)]
    for n in range(N + 1):
        _, frontier = M.append_leaves(0, [], LEAF_HASHES[:n])
        assert frontier == [mth(i << level, (i + 1) << level) for level, i in M.frontier_coords(n)]


def test_stored_hash_index_known_values_and_inverse():
    # Go's sumdb/tlog order for the first leaves: leaf 0, leaf 1, (1,0), leaf 2, leaf 3, (1,1), (2,0), leaf 4 ...
    order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4), (0, 5), (1, 2), (0, 6), (0, 7)]
    assert [M.stored_hash_index(*c) for c in order] == list(range(len(order)))
    for i in range(20000):
        assert M.stored_hash_index(*M.split_stored_hash_index(i)) == i


@given(level=st.integers(0, 62), index=st.integers(0, 2**40))
def test_split_stored_hash_index_round_trip(level, index):
    assert M.split_stored_hash_index(M.stored_hash_index(level, index)) == (level, index)


def test_append_leaves_argument_checks():
    with pytest.raises(ValueError, match="a tree of size 3 has 2 frontier hashes, got 1"):
        M.append_leaves(3, [bytes(32)], [])
    with pytest.raises(ValueError, match=r"leaf_hashes\[1\] is 4 bytes"):
        M.append_leaves(0, [], [bytes(32), b"abcd"])
    with pytest.raises(ValueError):
        M.append_leaves(0, [], ["x" * 32])
    with pytest.raises(ValueError):
        M.TreeBuilder().add(bytes(31))
    assert M.append_leaves(5, M.append_leaves(0, [], LEAF_HASHES[:5])[1], []) == (
        [],
        M.append_leaves(0, [], LEAF_HASHES[:5])[1],
    )


def test_tree_builder_resumes_from_frontier():
    _, frontier = M.append_leaves(0, [], LEAF_HASHES[:77])
    builder = M.TreeBuilder(size=77, frontier=frontier)
    builder.add_many(iter(LEAF_HASHES[77:200]))
    builder.add(LEAF_HASHES[200])
    assert builder.size == 201
    assert builder.root() == mth(0, 201)


# --------------------------------------------------------------------------- C2SP tlog-tiles


def test_tile_paths():
    # tlog-tiles.md: "index 1234067 will be encoded as x001/x234/067"
    assert M.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert M.tile_path(0, 1234067, 12) == "tile/0/x001/x234/067.p/12"
    assert M.tile_path(0, 1234067, 256) == "tile/0/x001/x234/067"
    assert M.tile_path(2, 0) == "tile/2/000"
    assert M.tile_path(1, 1000, 1) == "tile/1/x001/000.p/1"
    assert M.entries_path(1234067) == "tile/entries/x001/x234/067"
    assert M.entries_path(5, 255) == "tile/entries/005.p/255"
    for bad in ((0, 0, 0), (0, 0, 257), (64, 0, None), (0, -1, None), (-1, 0, None)):
        with pytest.raises(ValueError):
            M.tile_path(*bad)


@pytest.mark.parametrize(
    "path, want",
    [
        ("tile/0/x001/x234/067", ("hash", 0, 1234067, None)),
        ("tile/0/x001/x234/067.p/12", ("hash", 0, 1234067, 12)),
        ("tile/63/000", ("hash", 63, 0, None)),
        ("tile/1/999.p/255", ("hash", 1, 999, 255)),
        ("tile/entries/x001/000.p/1", ("entries", -1, 1000, 1)),
        ("tile/entries/042", ("entries", -1, 42, None)),
    ],
)
def test_parse_tile_path(path, want):
    assert M.parse_tile_path(path) == want
    kind, level, n, width = want
    assert (M.entries_path(n, width) if kind == "entries" else M.tile_path(level, n, width)) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x1/000",
        "tile/0/001/002",  # all but the last element need the x
        "tile/0/x000/001",  # non-canonical leading zero group
        "tile/0/x001",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/012",
        "tile/0/000.p/",
        "tile/0/000.p",
        "/tile/0/000",
        "tile/0/000/",
        "tile/entries/x000",
        "tile/entry/000",
        "tile/0/\u0661\u0662\u0663",  # Arabic-Indic digits are not ASCII digits
        "tile/0/000\n",
    ],
)
def test_parse_tile_path_rejects_malformed(path):
    with pytest.raises(ValueError):
        M.parse_tile_path(path)


FULL = M.TILE_WIDTH


@pytest.mark.parametrize(
    "size, want",
    [
        (0, []),
        (1, [(0, 0, 1)]),
        (255, [(0, 0, 255)]),
        # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
        (256, [(0, 0, FULL), (1, 0, 1)]),
        (257, [(0, 0, FULL), (0, 1, 1), (1, 0, 1)]),
        (65536, [(0, n, FULL) for n in range(256)] + [(1, 0, FULL), (2, 0, 1)]),
        (65537, [(0, n, FULL) for n in range(256)] + [(0, 256, 1), (1, 0, FULL), (2, 0, 1)]),
        # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
        # level 1 tile of width 17, and one partial level 2 tile of width 1"
        (70000, [(0, n, FULL) for n in range(273)] + [(0, 273, 112), (1, 0, FULL), (1, 1, 17), (2, 0, 1)]),
    ],
)
def test_tiles_for_size(size, want):
    assert M.TILE_HEIGHT == 8 and M.TILE_WIDTH == 256
    assert M.tiles_for_size(size) == want


def _synthetic_leaves(n: int) -> list[bytes]:
    return [M.leaf_hash(i.to_bytes(8, "big")) for i in range(n)]


def test_tile_contents_follow_the_spec():
    size = 70000
    leaves = _synthetic_leaves(size)
    kept: dict[tuple[int, int], bytes] = {}

    def keep(level, index, h):
        if level % M.TILE_HEIGHT == 0:
            kept[(level, index)] = h

    builder = M.TreeBuilder(on_node=keep)
    builder.add_many(leaves)
    for level, n, width in M.tiles_for_size(size):
        reader = DictReader(kept, size)
        data = M.tile_hashes(level, n, width, reader)
        assert reader.calls == 1
        assert len(data) == 32 * width
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        # tlog-tiles: the i-th hash of tile n at level l is MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l])
        span = 256**level
        for i in (0, width - 1):
            start = (n * 256 + i) * span
            assert hashes[i] == M.root_from_leaf_hashes(leaves[start : start + span])
        if level >= 1:
            # ...which is also the root of the full tile below, treated as a height-8 tree of its hashes.
            for i, h in enumerate(hashes):
                below = M.tile_hashes(level - 1, n * 256 + i, None, DictReader(kept, size))
                assert h == M.root_from_leaf_hashes([below[j : j + 32] for j in range(0, len(below), 32)])
    assert M.tile_coords(2, 0, 1) == [(16, 0)]
    assert M.tile_hashes(2, 0, 1, DictReader(kept, size)) == M.root_from_leaf_hashes(leaves[:65536])


# --------------------------------------------------------------------------- O(log n) reads at 10^6


class CountingReader:
    def __init__(self):
        self.calls, self.coords = 0, []

    def __call__(self, coords):
        self.calls += 1
        self.coords = coords
        return [bytes(32)] * len(coords)


def test_proofs_need_logarithmic_reads_at_a_million():
    rng = random.Random(1234)
    big = 10**6
    sizes = [big, big - 1, 2**20 - 1, 2**19, 2**19 + 1, 999_983]
    for n in sizes:
        bound = 2 * math.log2(n) + 2
        indices = {0, 1, n // 2, n - 2, n - 1, 2**19 - 1, 2**19} | {rng.randrange(n) for _ in range(200)}
        for m in sorted(i for i in indices if 0 <= i < n):
            reader = CountingReader()
            proof = M.inclusion_proof(m, n, reader)
            assert reader.calls == 1
            assert len(reader.coords) <= bound
            assert len(proof) <= math.ceil(math.log2(n))
        olds = {1, 2, 3, n // 2, n - 1, 2**19 - 1, 2**19, 2**19 + 1} | {
            rng.randrange(1, n) for _ in range(200)
        }
        for m in sorted(i for i in olds if 0 < i < n):
            reader = CountingReader()
            M.consistency_proof(m, n, reader)
            assert reader.calls == 1
            assert len(reader.coords) <= bound
        reader = CountingReader()
        M.root_hash(n, reader)
        assert reader.calls == 1 and len(reader.coords) == n.bit_count()


def test_proofs_correct_at_large_size():
    # A lazy reader that derives each perfect subtree from synthetic leaves, against a full recomputation.
    size = 2**17 + 2**11 + 5
    leaves = _synthetic_leaves(size)

    @cache
    def node(level: int, index: int) -> bytes:
        return M.root_from_leaf_hashes(leaves[index << level : (index + 1) << level])

    def lazy(coords):
        return [node(*c) for c in coords]

    root = M.root_from_leaf_hashes(leaves)
    assert M.root_hash(size, lazy) == root
    rng = random.Random(7)
    for m in [0, size - 1, 2**17 - 1, 2**17] + [rng.randrange(size) for _ in range(30)]:
        M.verify_inclusion(leaves[m], m, size, M.inclusion_proof(m, size, lazy), root)
    for m in [1, 2**17, 2**17 + 1, size - 1] + [rng.randrange(1, size) for _ in range(30)]:
        M.verify_consistency(
            m, size, M.consistency_proof(m, size, lazy), M.root_from_leaf_hashes(leaves[:m]), root
        )
