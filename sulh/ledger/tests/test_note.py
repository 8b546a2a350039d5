"""C2SP formats: signed notes, keys, checkpoints, cosignatures and trust policies (no database, no merkle)."""

import base64
import hashlib
import struct

import pytest

from sulh.ledger import note, tlog
from sulh.ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    InvalidSignatureError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    generate_key,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    split_note,
)
from sulh.ledger.tlog import Checkpoint, CheckpointError, Policy, PolicyError, QuorumError

# --- Vectors -------------------------------------------------------------------------------------------------
# From the C2SP signed-note specification (https://c2sp.org/signed-note, example under "Verifier keys"),
# © the C2SP authors, licensed CC BY 4.0.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# From golang.org/x/mod, file sumdb/note/note_test.go (TestSign, TestOpen, TestVerifierList),
# Copyright 2019 The Go Authors, BSD-3-Clause licence.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_SIG = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# From the C2SP tlog-checkpoint and tlog-cosignature specifications (https://c2sp.org/tlog-checkpoint,
# https://c2sp.org/tlog-cosignature), © the C2SP authors, licensed CC BY 4.0.
SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNATURE = (
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0"
    "xUe+mbIUBkBIfZ+qnA=="
)
SPEC_COSIGNATURE_TIME = 1679315147  # the "time" line of the spec's signed-message example


@pytest.fixture(scope="module")
def peter():
    return parse_verifier_key(PETER_VKEY)


@pytest.fixture(scope="module")
def enoch():
    return parse_verifier_key(ENOCH_VKEY)


# --- the spec's and Go's examples ------------------------------------------------------------------------------


def test_spec_example_verifies():
    v = parse_verifier_key(SPEC_VKEY)
    assert (v.name, v.key_id, v.sig_type) == ("example.com/foo", 0x530D903A, ED25519)
    assert v.verifier_key() == SPEC_VKEY
    text, verified, unverified = open_note(SPEC_NOTE, [v])
    assert text == "This is an example message.\n"
    assert [s.name for s in verified] == ["example.com/foo"] and unverified == []


def test_go_signing_reproduces_the_signature_byte_for_byte(peter):
    signer = parse_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann" and signer.key_id == 0xC74F20A3
    assert signer.verifier_key() == PETER_VKEY
    assert signer.signer_key() == PETER_SKEY
    assert signer.sign(GO_TEXT) == PETER_SIG
    assert sign_note(GO_TEXT, [signer]) == GO_TEXT + "\n" + PETER_SIG
    assert sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + PETER_SIG


def test_go_open_one_verified_one_unknown(peter, enoch):
    text, verified, unverified = open_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter])
    assert text == GO_TEXT
    assert [(s.name, s.key_id) for s in verified] == [("PeterNeumann", 0xC74F20A3)]
    assert verified[0].line() == PETER_SIG
    assert [(s.name, s.key_id) for s in unverified] == [("EnochRoot", 0xAF0CFE78)]
    assert unverified[0].line() == ENOCH_SIG


def test_go_open_both_verified(peter, enoch):
    _, verified, unverified = open_note((GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode(), [peter, enoch])
    assert [s.name for s in verified] == ["PeterNeumann", "EnochRoot"] and unverified == []


def test_no_known_key_is_rejected_but_says_what_it_read(peter, enoch):
    with pytest.raises(UnverifiedNoteError, match="no verifiable signatures") as e:
        open_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert e.value.text == GO_TEXT
    assert [s.name for s in e.value.unverified] == ["PeterNeumann", "EnochRoot"]


def test_duplicate_lines_count_once(peter):
    msg = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG
    _, verified, unverified = open_note(msg, [peter])
    assert len(verified) == 1 and len(unverified) == 1


def test_too_many_signatures(peter):
    open_note(GO_TEXT + "\n" + PETER_SIG * 100, [peter])
    with pytest.raises(NoteError, match="more than 100 signatures"):
        open_note(GO_TEXT + "\n" + PETER_SIG * 101, [peter])
    with pytest.raises(NoteError, match="more than 100 signatures"):
        open_note(GO_TEXT + "\n" + PETER_SIG * 101, [])


def test_invalid_signature_from_a_known_key_rejects_the_note(peter):
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        open_note(GO_TEXT + "\n" + bad, [peter])
    # Even next to a good one: every signature by a known key must verify.
    with pytest.raises(InvalidSignatureError):
        open_note(GO_TEXT + "\n" + PETER_SIG + bad, [peter])


def test_altered_text_fails(peter):
    altered = GO_TEXT.replace("cryptography", "cryptograpHy")
    with pytest.raises(InvalidSignatureError):
        open_note(altered + "\n" + PETER_SIG, [peter])


def test_altered_signature_fails(peter):
    raw = bytearray(base64.b64decode(PETER_SIG.split(" ")[2]))
    raw[10] ^= 1
    line = f"\u2014 PeterNeumann {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidSignatureError):
        open_note(GO_TEXT + "\n" + line, [peter])


def test_wrong_key_does_not_verify():
    other = parse_verifier_key(generate_key("PeterNeumann")[1])  # same name, other key: other key id
    with pytest.raises(UnverifiedNoteError):
        open_note(GO_TEXT + "\n" + PETER_SIG, [other])


def test_ambiguous_keys_are_an_error(peter):
    twin = note.Verifier("PeterNeumann", bytes(32))
    twin.key_id = peter.key_id  # a collision on name and id, which the spec warns about
    with pytest.raises(NoteError, match="ambiguous key"):
        open_note(GO_TEXT + "\n" + PETER_SIG, [peter, twin])


@pytest.mark.parametrize(
    "msg",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT
        + "\n"
        + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        GO_TEXT + "\n" + PETER_SIG.replace("\u2014 ", "\u2014"),
        GO_TEXT + "\n" + "\u2014 PeterNeumann \n",
        GO_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # shorter than a key id and one byte
        GO_TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),  # padding is required
        GO_TEXT + "\n" + PETER_SIG.replace("\u2014 PeterNeumann", "\u2014 Peter+Neumann"),
        GO_TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes(msg, peter):
    with pytest.raises(NoteError, match="malformed note|base64"):
        open_note(msg, [peter])


def test_invalid_utf8(peter):
    with pytest.raises(NoteError, match="UTF-8"):
        open_note(b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode(), [peter])


def test_the_text_may_hold_blank_lines():
    signer = parse_signer_key(PETER_SKEY)
    text = "first\n\nsecond\n\n"
    signed = sign_note(text, [signer])
    assert open_note(signed, [signer.verifier()])[0] == text
    assert split_note(signed)[0] == text


def test_sign_rejects_bad_text():
    signer = parse_signer_key(PETER_SKEY)
    with pytest.raises(NoteError, match="end with a newline"):
        sign_note("abc", [signer])
    with pytest.raises(NoteError, match="control character"):
        sign_note("a\tb\n", [signer])
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("abc\n", [])


def test_add_signatures_merges_a_response():
    signer = parse_signer_key(PETER_SKEY)
    merged = note.add_signatures(GO_TEXT + "\n" + PETER_SIG, ENOCH_SIG + PETER_SIG)
    assert merged == GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(merged, [signer.verifier()])[0] == GO_TEXT


# --- keys ------------------------------------------------------------------------------------------------------


def test_key_id_is_the_spec_formula():
    v = parse_verifier_key(PETER_VKEY)
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key_bytes).digest()[:4]
    assert v.key_id == int.from_bytes(expected, "big")


def test_every_mangled_verifier_key_is_rejected():
    # As Go's TestNewVerifier: every proper substring and every single-byte change must fail.
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(ValueError):
                    parse_verifier_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(ValueError):
            parse_verifier_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])


def test_every_mangled_signer_key_is_rejected():
    b = PETER_SKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(ValueError):
                    parse_signer_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(ValueError):
            parse_signer_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "canonical base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=", "32 key bytes"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "unsupported signature type"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "spaces"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "must not be empty"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hexadecimal digits"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match the key"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        ("PeterNeumann", "name\\+keyid\\+base64"),
    ],
)
def test_bad_verifier_keys_say_why(vkey, message):
    with pytest.raises(ValueError, match=message):
        parse_verifier_key(vkey)


def test_base64_with_plus_in_the_key_parses():
    # The key material of PETER_SKEY contains '+': only the first two '+' after PRIVATE+KEY+ separate fields.
    assert "+" in PETER_SKEY.split("+", 4)[4]
    assert parse_signer_key(PETER_SKEY).name == "PeterNeumann"


@pytest.mark.parametrize("sig_type", [ED25519, COSIGNATURE_V1])
def test_generate_key_round_trip(sig_type):
    skey, vkey = generate_key("sulh.example/witness/party-a", sig_type)
    signer, verifier = parse_signer_key(skey), parse_verifier_key(vkey)
    assert signer.verifier() == verifier and signer.sig_type == verifier.sig_type == sig_type
    ts = 1_700_000_000 if sig_type == COSIGNATURE_V1 else None
    signed = sign_note("hello\n", [signer], ts)
    _, verified, _ = open_note(signed, [verifier])
    assert verified[0].timestamp == ts
    assert "PRIVATE" not in repr(signer)


def test_bad_names_are_refused():
    for name in ["", "a b", "a+b", "a\u00a0b", "a\nb"]:
        with pytest.raises(ValueError):
            generate_key(name)


# --- checkpoints and cosignatures --------------------------------------------------------------------------------


def test_spec_checkpoint_parses_and_round_trips():
    cp = Checkpoint.parse(SPEC_CHECKPOINT)
    assert (cp.origin, cp.size, cp.extensions) == ("example.com/behind-the-sofa", 20852163, [])
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.text() == SPEC_CHECKPOINT
    with_ext = Checkpoint.parse(SPEC_CHECKPOINT + "ext one\n")
    assert with_ext.extensions == ["ext one"] and with_ext.text() == SPEC_CHECKPOINT + "ext one\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SPEC_CHECKPOINT[:-1], "end with a newline"),
        ("example.com/log\n5\n", "needs origin, size and root"),
        ("\n5\n" + "A" * 43 + "=\n", "origin is empty"),
        ("o\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zeroes"),
        ("o\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zeroes"),
        ("o\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zeroes"),
        ("o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "larger than"),
        ("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n", "base64"),
        ("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n", "31 bytes"),
        ("o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", "extension line 1 is empty"),
    ],
)
def test_bad_checkpoints(text, message):
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_spec_cosignature_line_carries_its_time():
    sig = note.parse_signature_line(SPEC_COSIGNATURE)
    assert sig.name == "witness.example.com/w1"
    assert struct.unpack(">Q", sig.signature[:8])[0] == SPEC_COSIGNATURE_TIME
    assert len(sig.signature) == 8 + 64


def test_sign_checkpoint_and_cosign():
    log = Signer("example.com/behind-the-sofa", bytes(range(32)))
    witness = Signer("witness.example/w1", bytes(32), COSIGNATURE_V1)
    cp = Checkpoint.parse(SPEC_CHECKPOINT)
    signed = tlog.sign_checkpoint(cp, log)
    line = tlog.cosign(cp.text(), witness, SPEC_COSIGNATURE_TIME)
    assert tlog.verify_cosignature(cp.text(), line, witness.verifier()) == SPEC_COSIGNATURE_TIME
    # The signed message is the spec's: header, time, checkpoint.
    message = f"cosignature/v1\ntime {SPEC_COSIGNATURE_TIME}\n{SPEC_CHECKPOINT}".encode()
    raw = note.parse_signature_line(line.rstrip("\n")).signature
    witness.verifier().public_key.verify(raw[8:], message)

    opened = tlog.open_checkpoint(signed + line, [log.verifier()], [witness.verifier()])
    assert opened.checkpoint == cp and opened.cosigners == {"witness.example/w1": SPEC_COSIGNATURE_TIME}

    other = Checkpoint(cp.origin, cp.size + 1, cp.root)
    with pytest.raises(NoteError, match="invalid cosignature"):
        tlog.verify_cosignature(other.text(), line, witness.verifier())
    # The same public key as a plain Ed25519 key has another key id: it cannot stand in for the cosigner.
    plain = note.Verifier("witness.example/w1", witness.public_key_bytes, ED25519)
    assert plain.key_id != witness.key_id
    with pytest.raises(ValueError, match="not a cosignature"):
        tlog.verify_cosignature(cp.text(), line, plain)
    with pytest.raises(UnverifiedNoteError):
        open_note(cp.text() + "\n" + line, [plain])
    with pytest.raises(NoteError, match="not from"):
        tlog.verify_cosignature(
            cp.text(), line, Signer("witness.example/w2", bytes(32), COSIGNATURE_V1).verifier()
        )
    # A changed timestamp breaks the signature: the time is signed.
    forged = bytearray(raw)
    forged[7] ^= 1
    forged_line = note.Signature(witness.name, witness.key_id, bytes(forged)).line()
    with pytest.raises(NoteError):
        tlog.verify_cosignature(cp.text(), forged_line, witness.verifier())


def test_checkpoint_needs_the_logs_own_key():
    log = Signer("example.com/log", bytes(range(32)))
    cp = Checkpoint("example.com/log", 1, bytes(32))
    with pytest.raises(ValueError, match="not the checkpoint origin"):
        tlog.sign_checkpoint(cp, Signer("example.com/other", bytes(range(32))))
    impostor = Signer("example.com/other", bytes(32))
    signed = cp.text() + "\n" + impostor.sign(cp.text())
    with pytest.raises(NoteError, match="no valid signature from a key of that log"):
        tlog.open_checkpoint(signed, [log.verifier(), impostor.verifier()])
    with pytest.raises(UnverifiedNoteError):
        tlog.open_checkpoint(signed, [log.verifier()])


# --- policies ----------------------------------------------------------------------------------------------------


def _wkey(name):
    return generate_key(name, COSIGNATURE_V1)[1]


@pytest.fixture(scope="module")
def keys():
    log_s = Signer("sulh.example/log", bytes(range(32)))
    witnesses = {
        n: Signer(f"w.example/{n}", hashlib.sha256(n.encode()).digest(), COSIGNATURE_V1)
        for n in ["A", "B", "M1", "M2", "M3"]
    }
    return log_s, witnesses


def _policy_text(keys):
    log_s, w = keys
    return (
        "# parties and mediators\n"
        f"log {log_s.verifier_key()} https://log.sulh.example/\n"
        "\n"
        f"witness A {w['A'].verifier_key()}\n"
        f"  witness\tB {w['B'].verifier_key()} https://b.example/witness\n"
        f"witness M1 {w['M1'].verifier_key()}\n"
        f"witness M2 {w['M2'].verifier_key()}\n"
        f"witness M3 {w['M3'].verifier_key()}\n"
        "group parties all A B\n"
        "group mediators 2 M1 M2 M3\n"
        "   # indented comment\n"
        "group ceasefire all parties mediators\n"
        "quorum ceasefire\n"
    )


def test_policy_parses_and_evaluates(keys):
    p = Policy.parse(_policy_text(keys))
    assert [w for w in p.witnesses] == ["A", "B", "M1", "M2", "M3"]
    assert (
        p.witnesses["B"].url == "https://b.example/witness" and p.logs[0].url == "https://log.sulh.example/"
    )
    assert p.groups["mediators"].threshold == 2 and p.groups["parties"].threshold == 2
    assert p.quorum == "ceasefire"
    assert p.satisfied({"A", "B", "M1", "M3"})
    assert not p.satisfied({"A", "M1", "M2", "M3"})
    assert not p.satisfied({"A", "B", "M1"})
    assert p.explain({"A", "B", "M1", "M2"}) == []
    lines = p.explain({"A", "M1"})
    assert lines[0].startswith(
        "group ceasefire needs 2 of 2 (parties, mediators), has 0; missing: parties, mediators"
    )
    assert "group parties needs 2 of 2 (A, B), has 1 (A); missing: B" in lines
    assert "group mediators needs 2 of 3 (M1, M2, M3), has 1 (M1); missing: M2, M3" in lines
    assert Policy.parse(p.text()).text() == p.text()


def test_policy_verifies_cosigned_checkpoints(keys):
    log_s, w = keys
    p = Policy.parse(_policy_text(keys))
    cp = Checkpoint("sulh.example/log", 10, bytes(range(32)))
    signed = tlog.sign_checkpoint(cp, log_s)
    some = signed + "".join(tlog.cosign(cp.text(), w[n], 1000) for n in ["A", "M1", "M2"])
    with pytest.raises(QuorumError, match="missing: B") as e:
        p.verify_checkpoint(some)
    assert any("parties" in m for m in e.value.missing)
    enough = some + tlog.cosign(cp.text(), w["B"], 1001)
    opened = p.verify_checkpoint(enough)
    assert opened.witnesses == {"A", "B", "M1", "M2"}


def test_quorum_none_and_single_witness(keys):
    log_s, w = keys
    p = Policy.parse(f"log {log_s.verifier_key()}\nquorum none\n")
    assert p.satisfied(set()) and p.explain(set()) == []
    p = Policy.parse(f"witness A {w['A'].verifier_key()}\nquorum A\n")
    assert not p.satisfied(set()) and p.explain(set()) == ["witness A has not cosigned"]
    assert p.satisfied({"A"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("group g any A\nwitness A {A}\nquorum g\n", "not defined on an earlier line"),
        ("witness A {A}\nquorum A\nquorum A\n", "exactly one quorum"),
        ("witness A {A}\n", "no quorum line"),
        ("witness A {A}\nwitness A {B}\nquorum A\n", "already defined"),
        ("witness none {A}\nquorum none\n", "predefined"),
        ("witness A {A}\ngroup g any A none\nquorum g\n", "'none' cannot be a group member"),
        ("witness A {A}\nwitness B {B}\ngroup g 0 A B\nquorum g\n", "between 1 and 2"),
        ("witness A {A}\nwitness B {B}\ngroup g 3 A B\nquorum g\n", "between 1 and 2"),
        ("witness A {A}\nwitness B {B}\ngroup g 01 A B\nquorum g\n", "decimal"),
        ("witness A {A}\nwitness B {B}\ngroup g some A B\nquorum g\n", "decimal"),
        ("witness A {A}\ngroup g any A A\nquorum g\n", "already a member"),
        ("witness A {A}\ngroup g any A\ngroup h any A\nquorum h\n", "already a member"),
        ("witness A {A}\nwitness B {A}\nquorum A\n", "same key as A"),
        ("log {L}\nlog {L}\nquorum none\n", "duplicate log"),
        ("log {A}\nquorum none\n", "not an Ed25519 \\(type 0x01\\)"),
        ("witness A {L}\nquorum A\n", "not an Ed25519 cosignature"),
        ("witness A\nquorum none\n", "witness <name> <vkey>"),
        ("witness A {A} url extra\nquorum A\n", "witness <name> <vkey>"),
        ("witnesses A {A}\nquorum A\n", "unknown keyword"),
        ("witness A {A}\r\nquorum A\n", "control character 0x0d"),
        ("group g any\nquorum none\n", "at least|expected"),
        ("quorum nobody\n", "not defined"),
    ],
)
def test_bad_policies_say_why(keys, body, message):
    log_s, w = keys
    text = body.format(L=log_s.verifier_key(), A=w["A"].verifier_key(), B=w["B"].verifier_key())
    with pytest.raises(PolicyError, match=message):
        Policy.parse(text)


def test_policy_errors_name_the_line(keys):
    _, w = keys
    with pytest.raises(PolicyError, match="^line 3: "):
        Policy.parse(f"# c\nwitness A {w['A'].verifier_key()}\ngroup g any X\nquorum g\n")


def test_build_policy_from_a_charter(keys):
    log_s, w = keys
    text = tlog.build_policy(
        log_s.verifier_key(),
        {
            "A": w["A"].verifier_key(),
            "B": (w["B"].verifier_key(), "https://b.example/"),
            "M1": w["M1"].verifier_key(),
            "M2": w["M2"].verifier_key(),
        },
        [
            ("parties", "all", ["A", "B"]),
            ("mediators", 1, ["M1", "M2"]),
            ("q", "all", ["parties", "mediators"]),
        ],
        "q",
    )
    p = Policy.parse(text)
    assert p.satisfied({"A", "B", "M2"}) and not p.satisfied({"A", "M1", "M2"})
    assert p.witnesses["B"].url == "https://b.example/"
    with pytest.raises(PolicyError):
        tlog.build_policy(log_s.verifier_key(), {"A": w["A"].verifier_key()}, [("g", 2, ["A"])], "g")
