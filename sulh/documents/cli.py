"""`sulh doc`: a signatory's key, signatures on co-signed documents, and offline verification (no Django).

    sulh doc keygen --name NAME [--key-file PATH]     make a signing key here; prints the verifier key for the charter
    sulh doc sign FILE [--key-file PATH] [--yes]      show a frozen version's text (FILE) and print its signature line
    sulh doc verify FILE --charter CHARTER.yaml       check a co-signed document against the charter, offline
    sulh doc fetch DOC [--version N] [--signed] [-o FILE]   download a version's text (or its co-signed note)
    sulh doc submit DOC --version N SIGNATURE|-       upload a signature line made with `sign`

The private key never leaves the signatory's machine: `keygen` writes it (default
~/.config/sulh/document-signer.key, mode 0600, never overwritten) and prints the public half, a C2SP signed-note
verifier key that the key ceremony enters in the charter under commitments.documents.signatories. A key the
charter does not name signs nothing the server or `verify` accepts.

`sign` signs the exact bytes of FILE (a frozen version's text as the server serves it, GET
/api/v1/documents/DOC/versions/N/text), after showing the document, version, title and SHA-256 so that the
signatory can compare them with the copy agreed at the table. `verify` needs no server: it reads the co-signed
document (the text, a blank line, the signature lines) and the charter file, checks each signature line made
by a charter key and says, for each organisation the charter requires, OK, MISSING or INVALID.

Configuration for fetch/submit: --url / SULH_URL, --token / SULH_TOKEN, as `sulh hotline`.

Exit status: 0 done (for verify: the document is agreed, every required signature verifies); 1 refused — by
the server (its 4xx answer is printed), by this tool (a usage error, a document that does not verify, a file
that is not a document's text) or by the signatory at the confirmation; 2 the server could not be reached
or failed (5xx). Standard library and `cryptography` only."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sulh.hotline.cli import Client, Parser, Unreachable, UsageError, _q, _receipts, client_parser, run
from sulh.ledger import note

from . import text as doctext

DEFAULT_KEY = Path("~/.config/sulh/document-signer.key")


class NotSigned(Exception):
    """The tool or the signatory declined to sign: nothing was signed."""


class NotAgreed(Exception):
    """`verify`: the document does not carry every required, valid signature."""


# --- keys ----------------------------------------------------------------------------------------------------


def key_path(a) -> Path:
    return Path(a.key_file or os.environ.get("SULH_DOC_KEY") or DEFAULT_KEY).expanduser()


def keygen(path: Path, name: str) -> str:
    """Make a signed-note key pair, write the private key to `path` (0600, never overwritten) and return the
    verifier key."""
    try:
        note.check_key_name(name)
    except ValueError as exc:
        raise UsageError(f"--name: {exc}") from None
    if path.exists():
        raise UsageError(
            f"{path} already exists: it is not overwritten. Give another --key-file to make a new key."
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    signer_key, verifier_key = note.generate_key(name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists: it is not overwritten") from None
    with os.fdopen(fd, "w") as f:
        f.write(signer_key + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return verifier_key


def load_signer(path: Path) -> note.Signer:
    try:
        data = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"no key at {path}: make one with `sulh doc keygen --name NAME`, or give --key-file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        print(f"sulh doc: warning: {path} can be read by others than you (chmod 600 {path})", file=sys.stderr)
    try:
        signer = note.parse_signer_key(data)
    except ValueError as exc:
        raise UsageError(f"{path} is not a signed-note private key: {exc}") from None
    if signer.sig_type != note.ED25519:
        raise UsageError(f"{path} is not a plain Ed25519 signing key")
    return signer


# --- files -----------------------------------------------------------------------------------------------------


def read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc}") from None


def document_text(data: bytes) -> str:
    """The version's text in `data`: the text itself, or the text of a co-signed note (its signatures are
    left aside). Refuses (NotSigned) anything that is not a Sulh document's text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotSigned(f"the file is not UTF-8 text (byte {exc.start})") from None
    try:
        signed_text, _ = note.split_note(text)
        doctext.parse_text(signed_text)
        text = signed_text
    except (note.NoteError, doctext.TextError):
        pass
    try:
        note._check_text(text)
        doctext.parse_text(text)
    except (note.NoteError, doctext.TextError) as exc:
        raise NotSigned(f"the file is not a document's text: {exc}") from None
    return text


def describe(h: doctext.Header, sha: str, out) -> None:
    print(f"document  {h.document}  version {h.version}  ({h.kind})", file=out)
    print(f"title     {h.title}", file=out)
    print(f"charter   {h.origin}", file=out)
    print(f"amends    {h.previous or '- (first version)'}", file=out)
    print(f"sha256    {sha}", file=out)


# --- commands --------------------------------------------------------------------------------------------------


def cmd_keygen(a, out) -> int:
    path = key_path(a)
    vkey = keygen(path, a.name)
    print(f"A signing key was made in {path} (mode 0600). Keep it on this machine; back it up offline.",
          file=sys.stderr)  # fmt: skip
    print(
        "Its verifier key, to enter in the charter (commitments.documents.signatories, key:):",
        file=sys.stderr,
    )
    print(vkey, file=out)
    return 0


def cmd_sign(a, out, inp) -> int:
    signer = load_signer(key_path(a))
    text = document_text(read_input(a.file))
    h = doctext.parse_text(text)
    sha = doctext.sha256(text)
    describe(h, sha, sys.stderr)
    print("--- the text signed begins here ---", file=sys.stderr)
    print(h.body, end="", file=sys.stderr)
    print("--- and ends here ---", file=sys.stderr)
    if not a.yes:
        print(f"Sign {h.document} version {h.version} (sha256 {sha[:16]}…) with key {signer.name}? Type 'yes': ",
              end="", file=sys.stderr, flush=True)  # fmt: skip
        if (inp or sys.stdin).readline().strip().lower() != "yes":
            raise NotSigned("not confirmed")
    line = signer.sign(text)
    print(f"signed    with {signer.verifier_key()}", file=sys.stderr)
    print(line, end="", file=out)
    return 0


def cmd_verify(a, out) -> int:
    from sulh.charter.loader import CharterError, load_charter

    try:
        charter = load_charter(a.charter)
    except CharterError as exc:
        raise UsageError(f"the charter {a.charter} cannot be used:\n{exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read the charter {a.charter}: {exc}") from None
    report = doctext.verify(read_input(a.file), charter)
    if report.header is not None:
        describe(report.header, report.sha256, out)
    elif report.sha256:
        print(f"sha256    {report.sha256}", file=out)
    for o in report.orgs:
        label = {"ok": "OK", "missing": "MISSING", "invalid": "INVALID"}[o.status]
        print(f"  {o.org:<6} {label:<8} {o.office}{'  (' + o.detail + ')' if o.detail else ''}", file=out)
    for name in report.ignored:
        print(f"  ignored  a signature by {name}: not a signatory key in this charter", file=out)
    for p in report.problems:
        print(f"  problem  {p}", file=out)
    if report.agreed:
        print("AGREED: every signature the charter requires is on this text and verifies.", file=out)
        return 0
    missing = [o.org for o in report.orgs if o.status != "ok"]
    why = []
    if missing:
        why.append(f"no valid signature of {', '.join(missing)}")
    if report.problems:
        why.append(f"{len(report.problems)} problem(s) above")
    raise NotAgreed("the document is NOT agreed: " + "; ".join(why))


def cmd_fetch(c: Client, a, out) -> int:
    if a.version is None:
        a.version = c.call("GET", f"documents/{_q(a.document)}").body["versions"][-1]["number"]
    path = f"documents/{_q(a.document)}/versions/{a.version}/{'signed' if a.signed else 'text'}"
    resp = c._request("GET", f"{c.root}/api/v1/{path}", headers={"Accept": "text/plain"})
    try:
        with resp:
            data = resp.read()
    except OSError as exc:
        raise Unreachable(f"the connection to {c.root} broke while reading: {exc}") from None
    if a.output:
        Path(a.output).write_bytes(data)
        print(f"{a.output}  sha256 of the text {doctext.sha256(document_text(data))}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data) if out is sys.stdout else print(data.decode("utf-8"), end="", file=out)
    return 0


def cmd_submit(c: Client, a, out) -> int:
    line = read_input(a.signature).decode("utf-8", "replace").strip()
    body = c.call(
        "POST", f"documents/{_q(a.document)}/versions/{a.version}/signatures", {"signature": line}
    ).body
    print(f"signed    {body['document']} version {body['number']}: {body['state'].upper()}", file=out)
    for s in body.get("signatures") or []:
        print(f"  {s['org']:<6} {s['key_name']}  by {s['signed_by']}", file=out)
    _receipts(body, out)
    return 0


# --- the command line ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = client_parser("sulh doc", "Signatories' keys, signatures on co-signed documents, offline checks.",
                      "Exit status: 0 done (verify: agreed), 1 refused or not agreed (the reason is printed), "
                       "2 not reached or server failure.")  # fmt: skip
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("keygen", help="make a signatory's key here; prints the verifier key for the charter")
    s.add_argument("--name", required=True, help="the key's name, e.g. afg.signatory (no spaces, no '+')")
    s.add_argument(
        "--key-file", help=f"where to write the private key (or SULH_DOC_KEY; default {DEFAULT_KEY})"
    )
    s = sub.add_parser("sign", help="show a frozen version's text and print its signature line")
    s.add_argument("file", help="the version's text (GET …/versions/N/text), or '-' for standard input")
    s.add_argument("--key-file", help=f"your private key (or SULH_DOC_KEY; default {DEFAULT_KEY})")
    s.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    s = sub.add_parser("verify", help="check a co-signed document against a charter, offline")
    s.add_argument("file", help="the co-signed document (GET …/versions/N/signed), or '-'")
    s.add_argument("--charter", required=True, help="the charter file (YAML) whose signatory keys to trust")
    s = sub.add_parser("fetch", help="download a version's text to sign, or its co-signed document")
    s.add_argument("document", help="the document's code or id")
    s.add_argument("--version", type=int, help="the version number (default: the newest you may see)")
    s.add_argument("--signed", action="store_true", help="the co-signed document instead of the text")
    s.add_argument("-o", "--output", help="write to this file (default: standard output)")
    s = sub.add_parser("submit", help="upload a signature line made with `sulh doc sign`")
    s.add_argument("document", help="the document's code or id")
    s.add_argument("--version", type=int, required=True, help="the version signed")
    s.add_argument("signature", help="a file holding the signature line, or '-' for standard input")
    return p


def main(argv: list[str], inp=None, out=None) -> int:
    a = build_parser().parse_args(argv)
    out = out or sys.stdout
    offline = {
        "keygen": lambda: cmd_keygen(a, out),
        "sign": lambda: cmd_sign(a, out, inp),
        "verify": lambda: cmd_verify(a, out),
    }.get(a.cmd)

    def action(client):
        return {"fetch": cmd_fetch, "submit": cmd_submit}[a.cmd](client, a, out)

    return run(
        "sulh doc", a, action, failures=((NotSigned, "NOT SIGNED: "), (NotAgreed, "")), offline=offline
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
