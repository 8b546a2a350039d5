"""Tampering behind Sulh's back is found, and named: which entry, which record, which tile or tree node.

The log is built by the real domain services; each test then changes the tables with queryset.update(),
bulk_create() or raw SQL (nothing that goes through Sulh), or edits an exported mirror's files, and runs
`sulh log verify` (`--database` through the management command, or `verify_log` on a mirror directory).
Each test asserts the specific problem line that its detection writes: remove the detection and it fails."""

import io
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from sulh.accounts.models import User
from sulh.incidents.models import Claim
from sulh.ledger import keys, merkle, note, tlog
from sulh.ledger import services as ledger
from sulh.ledger.models import Checkpoint, LogEntry, TreeNode
from sulh.ledger.tests.ledger_world import (
    body_of,
    build_log,
    flip_hex_digit,
    grow,
    resign_same_size,
    rewrite_tree,
    set_body,
    verify_database,
)
from sulh.ledger.verify import DirSource, Trust, verify_log
from sulh.ledger.witness import ForkDetected, WitnessState, format_add_checkpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    return build_log(users)


def newest(obj_or_type, pk=None) -> LogEntry:
    if pk is None:
        rtype, pk = ("claim" if isinstance(obj_or_type, Claim) else "incident"), obj_or_type.pk
    else:
        rtype = obj_or_type
    return ledger.history(rtype, str(pk))[-1]


def export_mirror(tmp_path) -> Path:
    from django.core.management import call_command

    d = tmp_path / "mirror"
    call_command("log", "export", str(d), stdout=io.StringIO())
    return d


def verify_mirror(d: Path, saved: str | None = None):
    trust = Trust([note.parse_verifier_key(keys.log_verifier_key())])
    return verify_log(DirSource(d), trust, saved_checkpoint=saved)


def at(report, where: str) -> list[str]:
    return [p.message for p in report.problems if p.where == where]


# --- a clean log, and the exit status -----------------------------------------------------------------


def test_a_clean_log_verifies_and_exits_zero(world):
    run = verify_database()
    assert run.code == 0, run.output
    assert run.problems == []
    assert run.lines[-1] == "VERIFIED: no problem found"
    assert "database: every claim row matches its newest log entry" in run.output


def test_any_problem_exits_one(world):
    Claim.objects.filter(pk=world.claims[2].pk).update(narrative="nothing happened")
    run = verify_database()
    assert run.code == 1
    assert run.lines[-1] == "FAILED: 1 problem(s)"


def test_the_sulh_command_exits_nonzero_on_a_tampered_mirror(world, tmp_path):
    """The standalone `sulh log verify DIR --log-key KEY` (no Django, no database), as a party runs it."""
    d = export_mirror(tmp_path)
    cmd = [sys.executable, "-m", "sulh.cli", "log", "verify", str(d), "--log-key", keys.log_verifier_key()]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=60)  # noqa: S603 -- our own command
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout
    [bundle] = [p for p in (d / "tile" / "entries").rglob("*") if p.is_file()]
    data = bundle.read_bytes()
    bundle.write_bytes(flip_hex_digit(data, b'"content_sha256":"'))
    bad = subprocess.run(cmd, capture_output=True, text=True, timeout=60)  # noqa: S603 -- our own command
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "PROBLEM entry 0:" in bad.stdout


# --- record rows -------------------------------------------------------------------------------------


def test_an_altered_claim_row_names_the_claim(world):
    claim = world.claims[2]
    entry = newest(claim)
    Claim.objects.filter(pk=claim.pk).update(deaths_best=999, deaths_high=999)
    run = verify_database()
    assert run.code == 1
    assert run.at(f"claim {claim.pk}") == [
        f"the row is not what its newest log entry {entry.index:,} ({entry.kind}) recorded: "
        "it was changed without going through Sulh"
    ]
    assert len(run.problems) == 1  # the log itself is intact


def test_an_altered_incident_row_names_the_incident(world):
    inc = world.incidents[1]
    type(inc).objects.filter(pk=inc.pk).update(title="Nothing to see")
    run = verify_database()
    assert run.code == 1
    [problem] = run.problems
    assert problem.startswith(f"incident {inc.pk} ({inc.code} Nothing to see): the row is not what its newest")


def test_a_record_row_inserted_behind_sulhs_back_is_named(world):
    forged = Claim.objects.get(pk=world.claims[3].pk)
    forged.id, forged.seq = uuid.uuid4(), 99
    forged.save(force_insert=True)  # the ORM, not the service: no entry
    run = verify_database()
    assert run.code == 1
    assert run.at(f"claim {forged.id}") == [
        "exists in the database but has no log entry: it was added behind Sulh's back"
    ]


def test_a_user_inserted_without_signals_is_named(world, orgs):
    [u] = User.objects.bulk_create([User(username="ghost", organisation=orgs["PAK"], role="analyst")])
    u = User.objects.get(username="ghost")
    run = verify_database()
    assert run.at(f"user {u.pk} (ghost)") == [
        "exists in the database but has no log entry: it was added behind Sulh's back"
    ]


def test_a_record_row_deleted_behind_sulhs_back_is_named(world):
    claim = world.claims[3]  # no evidence, no correction: nothing protects its row
    entry = newest(claim)
    with connection.cursor() as cur:
        pk = Claim._meta.pk.get_db_prep_value(claim.pk, connection)
        cur.execute(f"DELETE FROM {Claim._meta.db_table} WHERE id = %s", [pk])  # noqa: S608 -- a test's own table name
    assert not Claim.objects.filter(pk=claim.pk).exists()
    run = verify_database()
    assert run.code == 1
    assert run.at(f"claim {claim.pk}") == [
        f"its row is gone, but the log (entry {entry.index:,}, {entry.kind}) never deleted it"
    ]


def test_a_user_deleted_by_sql_is_named(world, make_user):
    u = make_user("leaver", "AFG", "analyst")
    entry = newest("user", u.pk)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {User._meta.db_table} WHERE id = %s", [u.pk])  # noqa: S608 -- a test's own table name
    run = verify_database()
    assert run.at(f"user {u.pk}") == [f"its row is gone, but the log (entry {entry.index:,}, user.created) never deleted it"]


def test_a_deleted_record_that_comes_back_is_named(world, make_user):
    u = make_user("returner", "AFG", "analyst")
    pk = u.pk
    u.delete()  # through the ORM: the signal logs user.deleted
    gone = newest("user", pk)
    assert gone.kind == "user.deleted"
    assert verify_database().code == 0
    User.objects.bulk_create([User(pk=pk, username="returner", organisation=u.organisation, role="analyst")])
    run = verify_database()
    assert run.at(f"user {pk} (returner)") == [f"was logged as deleted (entry {gone.index:,}) but its row is back"]


# --- entry rows --------------------------------------------------------------------------------------


def test_an_altered_entry_body_names_the_entry(world):
    n = newest(world.claims[2]).index
    set_body(n, flip_hex_digit(body_of(n), b'"content_sha256":"'))
    run = verify_database()
    assert run.code == 1
    msgs = run.at(f"entry {n:,}")
    assert any("differs from the stored tree" in m for m in msgs), run.output
    assert "its stored entry_hash column is not the hash of its body" in msgs
    assert run.at_prefix("checkpoint: the root recomputed")


def test_an_altered_body_with_a_rewritten_tree_still_fails_the_signed_root(world):
    """A forger who also recomputes the hashes and the tree cannot re-sign the checkpoint without the key:
    the signed root no longer matches, and the altered commitment names the record it belongs to."""
    claim = world.claims[2]
    entry = newest(claim)
    set_body(entry.index, flip_hex_digit(body_of(entry.index), b'"content_sha256":"'))
    rewrite_tree()
    run = verify_database()
    assert run.code == 1
    assert run.at_prefix("checkpoint: the root recomputed from the")
    assert run.at(f"entry {entry.index:,}") == ["its lookup columns disagree with its body"]
    assert run.at(f"claim {claim.pk}") == [
        f"the row is not what its newest log entry {entry.index:,} ({entry.kind}) recorded: "
        "it was changed without going through Sulh"
    ]


def test_lookup_columns_that_disagree_with_the_body_are_named(world):
    n = newest(world.claims[2]).index
    LogEntry.objects.filter(index=n).update(kind="claim.withdrawn")
    run = verify_database()
    assert run.at(f"entry {n:,}") == ["its lookup columns disagree with its body"]


@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_deleted_entry_row_is_named(world, where):
    size = ledger.tree_size()
    # The draft's first version (its newest still matches the row), or the log's last entry.
    n = ledger.history("claim", str(world.draft.pk))[0].index if where == "middle" else size - 1
    LogEntry.objects.filter(index=n).delete()
    run = verify_database()
    assert run.code == 1
    msgs = run.at(f"entry {n:,}")
    assert any(m.startswith("missing: tile/entries/000.p/") and "entries were deleted from the log" in m for m in msgs)
    if where == "middle":
        assert f"missing from the database (next present: {n + 1:,})" in msgs
        assert {p.split(": ", 1)[0] for p in run.problems} == {f"entry {n:,}"}, run.output
    else:
        assert "missing from the database (1 entries short)" in msgs
        # The last entry was the publication: the published row is now a change nobody logged.
        published = world.incidents[2]
        assert [p.split(": ", 1)[0] for p in run.problems if not p.startswith("entry ")] == [
            f"incident {published.pk} ({published.code} Fire 2)"
        ]


def test_two_swapped_entries_are_both_named(world):
    i, j = newest(world.incidents[1]).index, newest(world.claims[3]).index
    bi, bj = body_of(i), body_of(j)
    set_body(i, bj)
    set_body(j, bi)
    run = verify_database()
    assert run.code == 1
    for n in (i, j):
        msgs = run.at(f"entry {n:,}")
        assert any("differs from the stored tree" in m for m in msgs), run.output
        assert "its stored entry_hash column is not the hash of its body" in msgs


def test_two_versions_of_one_record_swapped_are_reported_as_reordered(world):
    """Even with the tree rewritten to match and the checkpoint re-signed with the log's key, versions
    1, 2 of one claim that now appear as 2, 1 are named: the claim and both entries."""
    draft = world.draft
    v1, v2 = ledger.history("claim", str(draft.pk))[:2]
    assert (v1.version, v2.version) == (1, 2)
    b1, b2 = body_of(v1.index), body_of(v2.index)
    set_body(v1.index, b2)
    set_body(v2.index, b1)
    rewrite_tree()
    resign_same_size()
    run = verify_database()
    assert run.code == 1
    assert not run.at_prefix("checkpoint"), "the forger re-signed: the root checks pass"
    assert (
        f"claim {draft.pk}: version 1 comes after version 2 (entry {v1.index:,}): entries reordered"
        in run.at(f"entry {v2.index:,}")
    ), run.output
    assert f"claim {draft.pk}: version 2 where 1 was due: version(s) 1..1 missing" in run.at(f"entry {v1.index:,}")
    assert any(m.startswith("time ") and "reordered or back-dated" in m for m in run.at(f"entry {v2.index:,}"))


# --- the stored tree ---------------------------------------------------------------------------------


def test_an_altered_leaf_node_names_the_entry(world):
    n = newest(world.claims[1]).index
    TreeNode.objects.filter(id=merkle.stored_hash_index(0, n)).update(hash=b"\x07" * 32)
    run = verify_database()
    assert run.code == 1
    [msg] = run.at(f"entry {n:,}")
    assert "differs from the stored tree (tile/0/000.p/" in msg and f"hash {n}: 0707070707070707" in msg
    assert not run.at_prefix("checkpoint"), "the entries still hash to the signed root"


@pytest.fixture
def big(users):
    """A log of more than 512 entries: two full level-0 tiles, so level 8 has nodes 0 and 1."""
    w = build_log(users, sign=False)
    grow(users, 260)
    assert ledger.tree_size() >= 512
    w.checkpoint = ledger.sign_checkpoint()
    return w


def test_an_altered_level_8_node_names_the_node(big):
    TreeNode.objects.filter(id=merkle.stored_hash_index(8, 1)).update(hash=b"\x08" * 32)
    run = verify_database()
    assert run.code == 1
    [msg] = run.at("tree node level 8 index 1")
    assert msg.startswith("stored hash (tile/1/000.p/2, hash 1) 0808080808080808… differs from")
    assert "recomputed from entries 256..511: the stored tree was altered" in msg


@pytest.mark.parametrize("level,index", [(1, 3), (3, 2), (7, 1), (9, 0)])
def test_an_altered_inner_node_names_the_node(users, level, index):
    """Nodes between the tile levels are in no tile, but the proofs the API serves are read from them."""
    build_log(users, sign=False)
    grow(users, 260)
    cp = ledger.sign_checkpoint()
    node = TreeNode.objects.get(id=merkle.stored_hash_index(level, index))
    TreeNode.objects.filter(pk=node.pk).update(hash=b"\x09" * 32)
    # What it breaks: the proof the API serves for a leaf under the node's sibling no longer verifies.
    leaf = (index ^ 1) << level
    p = ledger.inclusion(leaf, cp.size)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(bytes.fromhex(p["entry_hash"]), leaf, cp.size, p["proof"], bytes(cp.root))
    run = verify_database()
    assert run.code == 1
    [msg] = run.at(f"tree node level {level} index {index:,}")
    first, last = index << level, ((index + 1) << level) - 1
    assert f"recomputed from entries {first:,}..{last:,}" in msg, run.output


# --- a mirror --------------------------------------------------------------------------------------


@pytest.fixture(params=["sequential", "parallel"])
def both_ways(request, monkeypatch):
    """Run a mirror check both inline and with the worker processes used for large mirrors."""
    from sulh.ledger import verify

    monkeypatch.setattr(verify, "PARALLEL_MIN_BUNDLES", 1 if request.param == "parallel" else 10**9)
    return request.param


def _entry_offset(bundle: bytes, k: int) -> int:
    at = 0
    for _ in range(k):
        at += 2 + ((bundle[at] << 8) | bundle[at + 1])
    return at + 2


def test_a_clean_mirror_verifies(world, tmp_path, both_ways):
    report = verify_mirror(export_mirror(tmp_path))
    assert report.ok, report.lines()
    assert report.size == ledger.tree_size()


def test_a_byte_changed_in_an_entry_bundle_names_the_entry(world, tmp_path, both_ways):
    d = export_mirror(tmp_path)
    n = newest(world.claims[2]).index
    [path] = [p for p in (d / "tile" / "entries").rglob("*") if p.is_file()]
    data = path.read_bytes()
    start = _entry_offset(data, n)
    path.write_bytes(data[:start] + flip_hex_digit(data[start:], b'"content_sha256":"'))
    report = verify_mirror(d)
    assert not report.ok
    msgs = at(report, f"entry {n:,}")
    assert any("differs from the stored tree" in m for m in msgs), report.lines()
    assert at(report, "checkpoint")


def test_a_byte_changed_in_a_hash_tile_names_the_entry_or_node(big, tmp_path, both_ways):
    d = export_mirror(tmp_path)
    tile0 = d / "tile" / "0" / "001"
    data = bytearray(tile0.read_bytes())
    data[5 * 32 + 3] ^= 0xFF  # hash 5 of the second tile: leaf 261
    tile0.write_bytes(bytes(data))
    [tile1] = [p for p in (d / "tile" / "1").rglob("*") if p.is_file()]
    data = bytearray(tile1.read_bytes())
    data[32 + 31] ^= 0x01  # level 8 node 1
    tile1.write_bytes(bytes(data))
    report = verify_mirror(d)
    [m] = at(report, "entry 261")
    assert "differs from the stored tree (tile/0/001, hash 5:" in m
    [m] = at(report, "tree node level 8 index 1")
    assert f"({tile1.relative_to(d)}, hash 1)" in m
    assert not at(report, "checkpoint"), "the entries are intact: the root still matches"


@pytest.mark.parametrize("which", ["hash tile", "entry bundle", "checkpoint"])
def test_a_file_removed_from_the_mirror_is_named(world, tmp_path, which, both_ways):
    d = export_mirror(tmp_path)
    if which == "checkpoint":
        path = d / "checkpoint"
    else:
        sub = "0" if which == "hash tile" else "entries"
        [path] = [p for p in (d / "tile" / sub).rglob("*") if p.is_file()]
    path.unlink()
    report = verify_mirror(d)
    rel = "checkpoint" if which == "checkpoint" else str(path.relative_to(d))
    msgs = at(report, rel)
    assert msgs, report.lines()
    if which == "hash tile":
        assert msgs == ["hash tile missing from the mirror"]
    elif which == "entry bundle":
        assert msgs[0].startswith("entry bundle missing: entries 0..")
    else:
        assert msgs == ["the mirror has no checkpoint file"]


def test_an_entry_cut_from_the_end_of_a_mirror_bundle_is_named(world, tmp_path):
    d = export_mirror(tmp_path)
    [path] = [p for p in (d / "tile" / "entries").rglob("*") if p.is_file()]
    size = ledger.tree_size()
    data = path.read_bytes()
    path.write_bytes(data[: _entry_offset(data, size - 1) - 2])
    report = verify_mirror(d)
    [m] = at(report, f"entry {size - 1:,}")
    assert "entries were deleted from the log" in m


# --- a saved checkpoint, then history rewritten ------------------------------------------------------


def _rewrite_an_early_entry(n: int) -> None:
    """Change who acted on entry n (the commitment stays valid, the row still matches): a quiet rewrite,
    then the tree recomputed so that every hash agrees again."""
    body = body_of(n)
    assert b'"user":"pak_liaison"' in body
    set_body(n, body.replace(b'"user":"pak_liaison"', b'"user":"afg_liaison"'))
    rewrite_tree()


def test_history_rewritten_before_a_saved_checkpoint_is_reported(users, world, tmp_path):
    saved = tmp_path / "saved.checkpoint"
    assert verify_database("--save-checkpoint", str(saved)).code == 0
    old_size = world.checkpoint.size
    grow(users, 3)
    n = newest(world.incidents[0]).index  # before old_size
    assert n < old_size
    _rewrite_an_early_entry(n)
    new = ledger.sign_checkpoint()  # the log key signs the rewritten, larger tree
    assert new.size > old_size
    assert verify_database().code == 0, "without the saved checkpoint the rewrite is consistent"
    run = verify_database("--checkpoint", str(saved))
    assert run.code == 1
    [msg] = run.at("saved checkpoint")
    assert f"the first {old_size:,} entries no longer hash to the root you saved" in msg
    assert f"history before entry {old_size:,} was rewritten" in msg


def test_a_second_tree_of_the_same_size_is_a_fork(world, tmp_path):
    saved = tmp_path / "saved.checkpoint"
    saved.write_text(world.checkpoint.note)
    old_root = bytes(world.checkpoint.root)
    _rewrite_an_early_entry(newest(world.incidents[0]).index)
    cp = resign_same_size()
    assert cp.size == world.checkpoint.size and bytes(cp.root) != old_root
    run = verify_database("--checkpoint", str(saved))
    assert run.code == 1
    [msg] = run.at("saved checkpoint")
    assert msg.startswith(f"FORK: the log signed two different trees of size {cp.size:,}")
    assert old_root.hex() in msg and bytes(cp.root).hex() in msg


def test_a_log_rolled_back_below_a_saved_checkpoint_is_reported(users, world, tmp_path):
    saved = tmp_path / "saved.checkpoint"
    grow(users, 2)
    saved.write_text(ledger.sign_checkpoint().note)
    size = ledger.tree_size()
    LogEntry.objects.filter(index__gte=size - 4).delete()
    rewrite_tree()
    Checkpoint.objects.filter(size__gt=size - 4).delete()
    run = verify_database("--checkpoint", str(saved))
    assert run.code == 1
    assert any("the log was rolled back" in m for m in run.at("saved checkpoint")), run.output


def test_a_mirror_checked_against_a_saved_checkpoint(users, world, tmp_path):
    d = export_mirror(tmp_path)
    saved = (d / "checkpoint").read_text()
    shutil.rmtree(d)
    _rewrite_an_early_entry(newest(world.incidents[0]).index)
    resign_same_size()
    report = verify_mirror(export_mirror(tmp_path), saved)
    assert [p.where for p in report.problems] == ["saved checkpoint"]
    assert "FORK" in report.problems[0].message


# --- two witnesses shown two checkpoints of the same size --------------------------------------------


def test_two_witnesses_shown_different_checkpoints_of_one_size_detect_the_fork(world, tmp_path):
    log_key = note.parse_verifier_key(keys.log_verifier_key())
    logs = {ledger.origin(): [log_key]}
    x = world.checkpoint.note
    _rewrite_an_early_entry(newest(world.incidents[0]).index)
    y = resign_same_size().note
    cx, cy = tlog.Checkpoint.parse(x.split("\n\n")[0] + "\n"), tlog.Checkpoint.parse(y.split("\n\n")[0] + "\n")
    assert cx.size == cy.size and cx.root != cy.root

    a, b = WitnessState(tmp_path / "a"), WitnessState(tmp_path / "b")
    a.init("witness.afg.example")
    b.init("witness.pak.example")
    status, line_a = a.add_checkpoint(format_add_checkpoint(0, [], x), logs, now=1_760_000_000)
    assert status == 200
    status, line_b = b.add_checkpoint(format_add_checkpoint(0, [], y), logs, now=1_760_000_001)
    assert status == 200

    # B's cosigned checkpoint reaches A (gossip): same size, other root.
    with pytest.raises(ForkDetected) as exc:
        a.check_peer(y + line_b.decode(), logs, peer_verifiers=[b.verifier()], now=1_760_000_002)
    err = exc.value
    text = str(err)
    assert f"size {cx.size} root {note.b64encode(cx.root)}" in text
    assert f"size {cy.size} root {note.b64encode(cy.root)}" in text
    assert "two different roots for the same size" in text
    [evidence] = a.forks()
    assert evidence.parent == tmp_path / "a" / "forks"
    assert (evidence / "held-checkpoint.txt").read_text() == x
    assert (evidence / "conflicting-checkpoint.txt").read_text().startswith(y)
    # Both saved notes carry the log's signature: anyone can check them with the log's key.
    for f in ("held-checkpoint.txt", "conflicting-checkpoint.txt"):
        tlog.open_checkpoint((evidence / f).read_text(), [log_key])

    # And A refuses to cosign Y if the log pushes it there too.
    status, body = a.add_checkpoint(format_add_checkpoint(cx.size, [], y), logs, now=1_760_000_003)
    assert status == 409
    assert a.latest(ledger.origin()).root == cx.root
