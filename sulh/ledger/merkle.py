"""Merkle trees exactly as RFC 9162 §2.1 (identical to RFC 6962 §2.1) defines them, plus C2SP tlog-tiles geometry.

Pure standard library, no Django: the verifier tools and the ledger's services both import it.

Vocabulary used throughout:

* A *perfect subtree* is addressed by ``(level, index)``: it covers leaves ``[index << level, (index + 1) << level)``.
  Level 0 nodes are leaf hashes. Perfect subtrees never change once complete, so they are what gets stored.
* The *frontier* of a tree of size ``n`` is the list of perfect subtrees of the binary decomposition of ``n``,
  largest (leftmost) first; the root is those hashes folded from the right.
* A *reader* takes a list of coordinates and returns their hashes in the same order. Proof functions collect every
  coordinate first and call it once, so a database-backed reader costs one query per proof.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "HashReader",
    "ProofError",
    "TreeBuilder",
    "append_leaves",
    "consistency_coords",
    "consistency_proof",
    "entries_path",
    "frontier_coords",
    "inclusion_coords",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "parse_tile_path",
    "root_coords",
    "root_from_frontier",
    "root_from_inclusion",
    "root_from_leaf_hashes",
    "root_hash",
    "split_stored_hash_index",
    "stored_hash_index",
    "tile_coords",
    "tile_hashes",
    "tile_path",
    "tiles_for_size",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_sha256 = hashlib.sha256
EMPTY_ROOT: bytes = _sha256(b"").digest()

# Domain-separation prefixes of RFC 9162 §2.1.1: a leaf can never be mistaken for an interior node.
_LEAF = b"\x00"
_NODE = b"\x01"

Coord = tuple[int, int]
HashReader = Callable[[list[Coord]], list[bytes]]


class ProofError(ValueError):
    """A proof, hash or root failed verification. The message says exactly what did not match."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return _sha256(_LEAF + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE + left + right).digest()


# --------------------------------------------------------------------------- argument checks


def _check_size(name: str, value: int) -> None:
    # bool is an int subclass; True as a tree size is always a caller bug.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def _check_hash(what: str, value: object, error: type[ValueError] = ProofError) -> None:
    if not isinstance(value, bytes | bytearray):
        raise error(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise error(f"{what} is {len(value)} bytes, expected {HASH_SIZE}")


def _check_hash_list(what: str, hashes: Sequence[bytes], error: type[ValueError] = ValueError) -> None:
    # map() runs in C, so this stays cheap for 10^6 hashes; the slow loop only runs to name the bad one.
    if hashes and (set(map(len, hashes)) != {HASH_SIZE} or not set(map(type, hashes)) <= {bytes, bytearray}):
        for i, h in enumerate(hashes):
            _check_hash(f"{what}[{i}]", h, error)


# --------------------------------------------------------------------------- storage order


def stored_hash_index(level: int, index: int) -> int:
    """Position of perfect subtree (level, index) in dense append order (as Go's sumdb/tlog numbers them).

    Appending leaf m writes its leaf hash, then every perfect subtree it completes, lowest first. Before leaf m
    come 2m - popcount(m) hashes; the node (level, index) is completed by leaf ((index + 1) << level) - 1 and is
    the level-th hash written after that leaf.
    """
    _check_size("level", level)
    _check_size("index", index)
    m = ((index + 1) << level) - 1
    return 2 * m - m.bit_count() + level


def split_stored_hash_index(i: int) -> tuple[int, int]:
    """Inverse of stored_hash_index: (level, index) of the i-th stored hash."""
    _check_size("stored hash index", i)
    # f(m) = 2m - popcount(m) is strictly increasing and f(m) >= 2m - bit_length(m), so the leaf that starts
    # i's group is at most (i + bit_length) / 2; walk down at most ~bit_length steps.
    m = (i + i.bit_length() + 1) // 2
    while 2 * m - m.bit_count() > i:
        m -= 1
    level = i - (2 * m - m.bit_count())
    return level, m >> level


# --------------------------------------------------------------------------- appending


def frontier_coords(size: int) -> list[Coord]:
    """(level, index) of the perfect subtrees whose concatenation is the tree of `size`, largest first."""
    _check_size("size", size)
    return _range_coords(0, size)


def _range_coords(start: int, end: int) -> list[Coord]:
    # MTH(D[start:end]) with start aligned to a power of two >= end - start (true of every range the RFC
    # recursion produces): its left part is always perfect, so the range splits along the bits of its length.
    out = []
    while start < end:
        level = (end - start).bit_length() - 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    # RFC 9162 recursion over a frontier: the leftmost subtree is the left child, everything after it the right.
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = _sha256(_NODE + h + r).digest()
    return r


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """Root hash of a tree given its frontier (largest subtree first); EMPTY_ROOT for []."""
    return _fold(frontier) if frontier else EMPTY_ROOT


def _edge_from_frontier(size: int, frontier: Sequence[bytes]) -> list[bytes | None]:
    # Frontier as a per-level list (None where size has a 0 bit), which is what the carries need.
    _check_size("size", size)
    if len(frontier) != size.bit_count():
        raise ValueError(f"a tree of size {size} has {size.bit_count()} frontier hashes, got {len(frontier)}")
    _check_hash_list("frontier", frontier)
    edge: list[bytes | None] = [None] * size.bit_length()
    levels = [level for level, _ in _range_coords(0, size)]
    for level, h in zip(levels, frontier, strict=True):
        edge[level] = bytes(h)
    return edge


def _edge_to_frontier(edge: list[bytes | None]) -> list[bytes]:
    return [h for h in reversed(edge) if h is not None]


def _grow(
    size: int,
    edge: list[bytes | None],
    leaf_hashes: list[bytes],
    sink: Callable[[int, int, list[bytes]], None] | None,
) -> list[bytes | None]:
    """Append leaves level by level; `sink(level, first_index, hashes)` sees each level's new perfect subtrees.

    At level l the new nodes are indices (size >> l) .. (new_size >> l) - 1. If size >> l is odd its left
    sibling is the old frontier node at level l, so it is prepended; then consecutive pairs give level l + 1.
    Each level is one list comprehension: no per-node Python objects beyond the hashes themselves.
    """
    new_size = size + len(leaf_hashes)
    new_edge: list[bytes | None] = [None] * new_size.bit_length()
    for level in range(len(new_edge)):
        if (new_size >> level) & 1 and (size >> level) == (new_size >> level):
            new_edge[level] = edge[level]  # unchanged frontier node
    sha, prefix = _sha256, _NODE
    level, nodes = 0, leaf_hashes
    while nodes:
        first = size >> level
        if sink is not None:
            sink(level, first, nodes)
        if (new_size >> level) & 1 and first < new_size >> level:
            new_edge[level] = nodes[-1]
        seq = [edge[level], *nodes] if first & 1 else nodes
        it = iter(seq)
        # An odd last node has no sibling yet: strict=False leaves it behind, in the frontier.
        nodes = [sha(prefix + a + b).digest() for a, b in zip(it, it, strict=False)]
        level += 1
    return new_edge


def append_leaves(
    size: int, frontier: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], list[bytes]]:
    """Append leaf hashes to a tree of `size` whose frontier is `frontier`.

    Returns (nodes, new_frontier): nodes are every perfect subtree completed by these leaves, the leaf hashes
    themselves included, as (level, index, hash) in storage order (ascending stored_hash_index).
    """
    edge = _edge_from_frontier(size, frontier)
    leaves = list(leaf_hashes)
    _check_hash_list("leaf_hashes", leaves)
    levels: list[list[bytes]] = []
    new_edge = _grow(size, edge, leaves, lambda _level, _first, hashes: levels.append(hashes))
    # Interleave into storage order: leaf m is followed by the nodes it completes, one per trailing 1 bit of m,
    # and at level l that node is m >> l, found at offset (m >> l) - (size >> l) in that level's list.
    out: list[tuple[int, int, bytes]] = []
    append = out.append
    for m, h in zip(range(size, size + len(leaves)), leaves, strict=True):
        append((0, m, h))
        level, x = 0, m
        while x & 1:
            level += 1
            x >>= 1
            append((level, x, levels[level][x - (size >> level)]))
    return out, _edge_to_frontier(new_edge)


# --------------------------------------------------------------------------- full recomputation


class TreeBuilder:
    """Streaming RFC 9162 tree: feed leaf hashes in order, read .size, .frontier and .root() at any point.

    `on_node(level, index, hash)` is called for every perfect subtree as it completes (leaves included), so a
    verifier can compare against stored or tile hashes. With add_many it is called level by level, not in
    storage order. A builder can resume from a known (size, frontier).
    """

    __slots__ = ("_edge", "on_node", "size")

    def __init__(
        self,
        on_node: Callable[[int, int, bytes], None] | None = None,
        *,
        size: int = 0,
        frontier: Sequence[bytes] = (),
    ) -> None:
        self._edge = _edge_from_frontier(size, frontier)
        self.size = size
        self.on_node = on_node

    @property
    def frontier(self) -> list[bytes]:
        return _edge_to_frontier(self._edge)

    def root(self) -> bytes:
        return root_from_frontier(self.frontier)

    def add(self, leaf_hash: bytes) -> None:
        _check_hash("leaf hash", leaf_hash, ValueError)
        edge, m, h, level = self._edge, self.size, bytes(leaf_hash), 0
        on_node = self.on_node
        if on_node is not None:
            on_node(0, m, h)
        # Each trailing 1 bit of the old size is a frontier node that the new leaf completes a parent for.
        while (m >> level) & 1:
            h = _sha256(_NODE + edge[level] + h).digest()  # type: ignore[operator]
            edge[level] = None
            level += 1
            if on_node is not None:
                on_node(level, m >> level, h)
        if level == len(edge):
            edge.append(None)
        edge[level] = h
        self.size = m + 1

    def add_many(self, leaf_hashes: Iterable[bytes]) -> None:
        leaves = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        if not leaves:
            return
        _check_hash_list("leaf_hashes", leaves)
        sink = None
        if self.on_node is not None:
            on_node = self.on_node

            def sink(level: int, first: int, hashes: list[bytes]) -> None:
                for i, h in enumerate(hashes, first):
                    on_node(level, i, h)

        self._edge = _grow(self.size, self._edge, leaves, sink)
        self.size += len(leaves)


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of the whole list of leaf hashes."""
    builder = TreeBuilder()
    builder.add_many(leaf_hashes)
    return builder.root()


# --------------------------------------------------------------------------- proofs from stored subtrees


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.3.1 PATH(m, D[0:n]), unrolled; each element is the leaf range of one proof hash, top first.
    out = []
    start, end = 0, size
    while end - start > 1:
        k = 1 << ((end - start - 1).bit_length() - 1)  # largest power of two < n
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[0:n], true), unrolled; top first. m is absolute (the old tree's end).
    out = []
    start, end, whole = 0, size2, True
    while size1 != end:
        k = 1 << ((end - start - 1).bit_length() - 1)
        if size1 <= start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
            whole = False
    if not whole:
        out.append((start, end))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    return out


def _coords_of(ranges: list[tuple[int, int]]) -> list[Coord]:
    coords: dict[Coord, None] = {}
    for start, end in ranges:
        for c in _range_coords(start, end):
            coords[c] = None
    return list(coords)


def _read_all(coords: list[Coord], read: HashReader) -> dict[Coord, bytes]:
    if not coords:
        return {}
    # Some database drivers hand back bytea as memoryview.
    hashes = [h.tobytes() if isinstance(h, memoryview) else h for h in read(coords)]
    if len(hashes) != len(coords):
        raise ValueError(f"reader returned {len(hashes)} hashes for {len(coords)} coordinates")
    for (level, index), h in zip(coords, hashes, strict=True):
        _check_hash(f"stored hash ({level}, {index})", h, ValueError)
    return dict(zip(coords, hashes, strict=True))


def _hashes_for(ranges: list[tuple[int, int]], read: HashReader) -> list[bytes]:
    got = _read_all(_coords_of(ranges), read)
    # Ranges were listed top first; proofs list hashes from the leaf upwards.
    return [_fold([got[c] for c in _range_coords(s, e)]) for s, e in reversed(ranges)]


def inclusion_coords(index: int, size: int) -> list[Coord]:
    """Perfect subtrees an inclusion proof for `index` in a tree of `size` reads (deduplicated)."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    return _coords_of(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]): audit path from the leaf upwards. One call to `read` at most."""
    inclusion_coords(index, size)  # argument checks
    return _hashes_for(_inclusion_ranges(index, size), read)


def consistency_coords(size1: int, size2: int) -> list[Coord]:
    """Perfect subtrees a consistency proof from `size1` to `size2` reads (deduplicated)."""
    _check_size("size1", size1)
    _check_size("size2", size2)
    if size1 > size2:
        raise ValueError(f"size1 {size1} is larger than size2 {size2}")
    if size1 == 0 or size1 == size2:
        return []
    return _coords_of(_consistency_ranges(size1, size2))


def consistency_proof(size1: int, size2: int, read: HashReader) -> list[bytes]:
    """RFC 9162 PROOF(size1, D[0:size2]); [] when size1 == 0 or size1 == size2. One call to `read` at most."""
    if not consistency_coords(size1, size2):
        return []
    return _hashes_for(_consistency_ranges(size1, size2), read)


def root_coords(size: int) -> list[Coord]:
    """Perfect subtrees root_hash(size) reads: the frontier."""
    return frontier_coords(size)


def root_hash(size: int, read: HashReader) -> bytes:
    """MTH(D[0:size]) from stored perfect subtrees; EMPTY_ROOT for 0."""
    coords = root_coords(size)
    if not coords:
        return EMPTY_ROOT
    got = _read_all(coords, read)
    return _fold([got[c] for c in coords])


# --------------------------------------------------------------------------- verification


def _hex(h: bytes) -> str:
    return bytes(h).hex()


def _inclusion_proof_len(index: int, size: int) -> int:
    # Below the level where the paths to `index` and to `size - 1` meet, every level has a sibling; above it the
    # path runs along the right border, which has a left sibling exactly where `index` has a 1 bit.
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_len(size1: int, size2: int) -> int:
    # The proof is the inclusion proof of leaf size1 - 1 in size2 with everything below the largest perfect
    # subtree ending at size1 replaced by that subtree's hash, which is omitted when it is the whole old tree.
    shift = (size1 & -size1).bit_length() - 1
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length()
    border = ((size1 - 1) >> inner).bit_count()
    return inner - shift + border + (0 if size1 == 1 << shift else 1)


def _check_proof(what: str, proof: Sequence[bytes]) -> list[bytes]:
    if isinstance(proof, bytes | bytearray | str):
        raise ProofError(f"{what} must be a list of hashes, got {type(proof).__name__}")
    proof = list(proof)
    for i, h in enumerate(proof):
        _check_hash(f"{what}[{i}]", h)
    return proof


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProofError(f"{name} must be a non-negative int, got {value!r}")


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` commits to for `leaf_hash` at `index` in a tree of `size` (RFC 9162 §2.1.3.2)."""
    _check_sizes(index=index, size=size)
    if index >= size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    proof = _check_proof("inclusion proof", proof)
    expected = _inclusion_proof_len(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes, expected {expected} for index {index} in a tree of {size}"
        )
    sha, prefix = _sha256, _NODE
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof for index {index} in a tree of {size} is too long")
        if fn & 1 or fn == sn:
            r = sha(prefix + p + r).digest()
            # On the right border: skip the levels where this node has no sibling.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(prefix + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"inclusion proof for index {index} in a tree of {size} is too short")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows `leaf_hash` at `index` in the tree of `size` with `root`."""
    _check_hash("root", root)
    computed = root_from_inclusion(leaf_hash, index, size, proof)
    if computed != root:
        raise ProofError(
            f"computed root {_hex(computed)} does not match {_hex(root)} "
            f"(inclusion of index {index} in a tree of {size})"
        )


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ProofError unless `proof` shows the tree (size2, root2) extends the tree (size1, root1).

    RFC 9162 §2.1.4.2, preceded by the cases it leaves out: equal sizes need an empty proof and equal roots
    (EMPTY_ROOT for size 0), and a proof from size 0 is rejected because every tree extends the empty one, so
    there is nothing to verify (as transparency-dev/merkle does); callers should special-case size1 == 0.
    """
    _check_sizes(size1=size1, size2=size2)
    proof = _check_proof("consistency proof", proof)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}")
    if size1 != size2 or size1 == 0:
        # For equal non-zero sizes the roots are only compared with each other (as transparency-dev/merkle
        # does, and its vector sizes-are-equal-one-and-proof-is-empty expects, with 12-byte roots).
        _check_hash("root1", root1)
        _check_hash("root2", root2)
    if size1 == size2:
        if proof:
            raise ProofError(
                f"consistency proof between equal sizes {size1} must be empty, has {len(proof)} hashes"
            )
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError(f"root {_hex(root1)} of an empty tree is not {_hex(EMPTY_ROOT)}")
        if root1 != root2:
            raise ProofError(
                f"root1 {_hex(root1)} does not match root2 {_hex(root2)} for equal sizes {size1}"
            )
        return
    if size1 == 0:
        raise ProofError("consistency proof from an empty tree proves nothing: size1 must be at least 1")
    expected = _consistency_proof_len(size1, size2)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes, expected {expected} from size {size1} to size {size2}"
        )
    sha, prefix = _sha256, _NODE
    # A power-of-two old tree is itself a node of the new tree, so its root is the proof's implicit first hash.
    path = [bytes(root1), *proof] if size1 & (size1 - 1) == 0 else proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof from size {size1} to size {size2} is too long")
        if fn & 1 or fn == sn:
            fr = sha(prefix + c + fr).digest()
            sr = sha(prefix + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha(prefix + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof from size {size1} to size {size2} is too short")
    if fr != root1:
        raise ProofError(f"computed root1 {_hex(fr)} does not match {_hex(root1)} (tree of size {size1})")
    if sr != root2:
        raise ProofError(f"computed root2 {_hex(sr)} does not match {_hex(root2)} (tree of size {size2})")


# --------------------------------------------------------------------------- C2SP tlog-tiles

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
_MAX_TILE_LEVEL = 63  # tlog-tiles: <L> is 0..63


def _check_width(width: int | None) -> int:
    if width is None:
        return TILE_WIDTH
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be 1..{TILE_WIDTH}, got {width!r}")
    return width


def _tile_index_path(n: int, width: int | None) -> str:
    # tlog-tiles: 3-digit groups, all but the last prefixed "x", so no name is both a file and a directory.
    _check_size("tile index", n)
    width = _check_width(width)
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    path = "/".join(reversed(groups))
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def tile_path(level: int, n: int, width: int | None = None) -> str:
    """Path of hash tile `n` at tile level `level`, e.g. "tile/0/x001/x234/067" or "tile/0/x001/x234/067.p/12"."""
    _check_size("tile level", level)
    if level > _MAX_TILE_LEVEL:
        raise ValueError(f"tile level must be 0..{_MAX_TILE_LEVEL}, got {level}")
    return f"tile/{level}/{_tile_index_path(n, width)}"


def entries_path(n: int, width: int | None = None) -> str:
    """Path of entry bundle `n`, e.g. "tile/entries/x001/x234/067" or "tile/entries/000.p/3"."""
    return f"tile/entries/{_tile_index_path(n, width)}"


def tiles_for_size(size: int) -> list[tuple[int, int, int]]:
    """Every hash tile (level, n, width) of a tree of `size`: full ones (width 256) and each level's partial one.

    Tile level L holds the hashes at tree level 8L; a level has (size >> 8L) of them, so (size >> 8(L+1)) full
    tiles and a partial one of width (size >> 8L) mod 256 when that is not 0 (tlog-tiles §Partial Tiles).
    """
    _check_size("size", size)
    out = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        full, partial = divmod(hashes, TILE_WIDTH)
        out.extend((level, n, TILE_WIDTH) for n in range(full))
        if partial:
            out.append((level, full, partial))
        level += 1
    return out


def tile_coords(level: int, n: int, width: int | None = None) -> list[Coord]:
    """Perfect subtrees in hash tile (level, n, width): tree level 8*level, indices n*256 .. n*256 + width - 1."""
    _check_size("tile level", level)
    _check_size("tile index", n)
    width = _check_width(width)
    return [(TILE_HEIGHT * level, n * TILE_WIDTH + i) for i in range(width)]


def tile_hashes(level: int, n: int, width: int | None, read: HashReader) -> bytes:
    """Contents of hash tile (level, n, width): its hashes concatenated, read in one call."""
    coords = tile_coords(level, n, width)
    got = _read_all(coords, read)
    return b"".join(got[c] for c in coords)


# Digits are spelled [0-9]: \d would also accept non-ASCII digits.
_INDEX_RE = r"(?P<n>(?:x[0-9]{3}/)*[0-9]{3})(?:\.p/(?P<w>[1-9][0-9]{0,2}))?"
_TILE_RE = re.compile(rf"tile/(?:(?P<entries>entries)|(?P<level>0|[1-9][0-9]?))/{_INDEX_RE}")


def parse_tile_path(path: str) -> tuple[str, int, int, int | None]:
    """("hash", level, n, width) or ("entries", -1, n, width) for a tile path; width None for a full tile.

    Only the canonical spelling is accepted (no redundant leading "x000/" groups, no leading zeros, no
    width 256), so each tile has exactly one path; anything else raises ValueError.
    """
    m = _TILE_RE.fullmatch(path) if isinstance(path, str) else None
    if m is None:
        raise ValueError(f"not a tile path: {path!r}")
    groups = m["n"].split("/")
    if len(groups) > 1 and groups[0] == "x000":
        raise ValueError(f"tile index has a leading zero group: {path!r}")
    n = int("".join(g.lstrip("x") for g in groups))
    width = int(m["w"]) if m["w"] is not None else None
    if width is not None and width >= TILE_WIDTH:
        raise ValueError(f"partial tile width must be 1..{TILE_WIDTH - 1}: {path!r}")
    if m["entries"]:
        return "entries", -1, n, width
    level = int(m["level"])
    if level > _MAX_TILE_LEVEL:
        raise ValueError(f"tile level must be 0..{_MAX_TILE_LEVEL}: {path!r}")
    return "hash", level, n, width
