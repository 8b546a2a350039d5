"""`sulh mediator`: a mediator's own signing tool, run on their own machine (an API client, no Django).

    sulh mediator keygen [--key-file PATH]          make an Ed25519 key here; prints its public half (base64)
    sulh mediator register [--key-file PATH]        register the public half with the server
    sulh mediator show FINDING_ID                   the finding, its signatures and dissents, its statement's SHA-256
    sulh mediator sign FINDING_ID [--yes]           check the statement against the finding shown, confirm, sign

The private key never leaves this machine: it is made here (default ~/.config/sulh/mediator.key, mode 0600,
never overwritten) and the server holds only the public half. `sign` fetches the exact bytes to sign
(GET /findings/{id}/statement) and refuses to sign them unless their SHA-256 is the one the finding was
frozen with AND every field they carry is the one shown to the mediator: a server, or anything between it
and this machine, cannot get a signature on something other than what was displayed.

Configuration: --url / SULH_URL (default http://127.0.0.1:8000), --token / SULH_TOKEN (an API token),
--key-file / SULH_MEDIATOR_KEY.

Exit status (as `sulh hotline`): 0 done; 1 refused — by the server (its 4xx answer is printed), by this tool
(a usage error, or a statement that does not match the finding: nothing was signed) or by the mediator at
the confirmation; 2 the server could not be reached or failed (5xx): retrying may help. Standard library
and `cryptography` only."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from sulh.hotline.cli import (
    Client,
    Parser,
    Unreachable,
    UsageError,
    _q,
    _receipts,
    client_parser,
    local,
    run,
    utc,
)

DEFAULT_KEY = Path("~/.config/sulh/mediator.key")
# What a finding's statement carries besides its content (sulh/verification/findings.py: statement()).
CONTENT_FIELDS = (
    "outcome", "responsible", "confidence", "clause", "date_start", "date_end", "latitude", "longitude", "place",
    "deaths_low", "deaths_best", "deaths_high", "injured_low", "injured_best", "injured_high", "reasoning",
)  # fmt: skip
TIME_FIELDS = ("date_start", "date_end")
STATEMENT_FIELDS = frozenset((*CONTENT_FIELDS, "id", "case", "supersedes", "charter_origin"))


class Mismatch(Exception):
    """The statement offered for signing is not the finding shown: nothing is signed."""


class NotSigned(Exception):
    """This tool, or the mediator, declined to sign (the finding is not awaiting signatures, or not confirmed)."""


# --- the key ---------------------------------------------------------------------------------------------


def key_path(a) -> Path:
    return Path(a.key_file or os.environ.get("SULH_MEDIATOR_KEY") or DEFAULT_KEY).expanduser()


def keygen(path: Path) -> Ed25519PrivateKey:
    """Make a key and write it to `path` (0600; its folder 0700 if made here). Never overwrites: a
    mediator's key replaced by mistake is a key whose signatures nobody can make again."""
    if path.exists():
        raise UsageError(
            f"{path} already exists: it is not overwritten. Give another --key-file to make a new key."
        )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists: it is not overwritten") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)  # whatever the umask
    return private


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"no key at {path}: make one with `sulh mediator keygen`, or give --key-file"
        ) from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        print(
            f"sulh mediator: warning: {path} can be read by others than you (chmod 600 {path})",
            file=sys.stderr,
        )
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key")
    return key


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


# --- the statement and its checks ------------------------------------------------------------------------


def fetch_statement(c: Client, fid: str) -> bytes:
    """The exact bytes the server asks us to sign (text/plain, not JSON-decoded: they are signed as they are)."""
    resp = c._request("GET", f"{c.root}/api/v1/findings/{_q(fid)}/statement")
    try:
        with resp:
            return resp.read()
    except OSError as exc:
        raise Unreachable(f"the connection to {c.root} broke while reading the statement: {exc}") from None


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise Mismatch(f"the statement gives {k!r} twice")
        seen[k] = v
    return seen


def _when(v):
    if v is None:
        return None
    if not isinstance(v, str):
        raise Mismatch(f"a time in the statement is not text: {v!r}")
    t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _same(signed, shown) -> bool:
    """Equal as JSON values: 1 and 1.0 are the same number, but 1 is not true and "1" is not 1."""
    number = (int, float)
    if isinstance(signed, bool) or isinstance(shown, bool):
        return signed is shown
    if isinstance(signed, number) and isinstance(shown, number):
        return signed == shown
    return type(signed) is type(shown) and signed == shown


def check_statement(body: bytes, finding: dict) -> dict:
    """Refuse (Mismatch) unless `body` is the statement of `finding` as displayed: the SHA-256 the finding was
    frozen with (when the server shows it), and the same content, id, case and superseded finding."""
    digest = hashlib.sha256(body).hexdigest()
    expected = finding.get("statement_sha256")
    if expected is not None:
        if not expected:
            raise Mismatch("the finding has no statement hash: it has not been submitted for signing")
        if digest != expected:
            raise Mismatch(f"the statement's SHA-256 is {digest}, the finding was frozen with {expected}")
    try:
        stmt = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, Mismatch):
            raise
        raise Mismatch(f"the statement is not JSON: {exc}") from None
    if not isinstance(stmt, dict):
        raise Mismatch("the statement is not a JSON object")
    if set(stmt) != STATEMENT_FIELDS:
        extra, missing = sorted(set(stmt) - STATEMENT_FIELDS), sorted(STATEMENT_FIELDS - set(stmt))
        raise Mismatch(
            f"the statement's fields are not a finding's (extra: {extra or '-'}, missing: {missing or '-'})"
        )
    pairs = [(name, stmt[name], finding.get(name)) for name in CONTENT_FIELDS]
    pairs += [("id", stmt["id"], finding.get("id")), ("case", stmt["case"], finding.get("case")),
              ("supersedes", stmt["supersedes"], finding.get("supersedes"))]  # fmt: skip
    for name, signed, shown in pairs:
        if not (_when(signed) == _when(shown) if name in TIME_FIELDS else _same(signed, shown)):
            raise Mismatch(f"the statement's {name} is {signed!r}, the finding shown has {shown!r}")
    if not isinstance(stmt["charter_origin"], str) or not stmt["charter_origin"]:
        raise Mismatch("the statement names no charter")
    return stmt


# --- showing a finding -----------------------------------------------------------------------------------


def _range(f: dict, what: str) -> str:
    vals = [f.get(f"{what}_{k}") for k in ("low", "best", "high")]
    if all(v is None for v in vals):
        return "-"
    low, best, high = ("?" if v is None else v for v in vals)
    return f"{best} (low {low}, high {high})"


def print_finding(f: dict, out) -> None:
    print(f"finding     {f['id']}  case {f['case']}  {f['state'].upper()}", file=out)
    print(f"outcome     {f['outcome']}", file=out)
    print(f"responsible {f.get('responsible') or '-'}", file=out)
    print(f"confidence  {f.get('confidence') or '-'}", file=out)
    print(f"clause      {f.get('clause') or '-'}", file=out)
    if f.get("date_start") or f.get("date_end"):
        print(f"when        {local(f.get('date_start'))} to {local(f.get('date_end'))}  "
              f"({utc(f.get('date_start'))} to {utc(f.get('date_end'))})", file=out)  # fmt: skip
    place = f.get("place") or ""
    if f.get("latitude") is not None:
        place = f"{place} ({f['latitude']}, {f['longitude']})".strip()
    print(f"place       {place or '-'}", file=out)
    print(f"deaths      {_range(f, 'deaths')}", file=out)
    print(f"injured     {_range(f, 'injured')}", file=out)
    if f.get("supersedes"):
        print(f"supersedes  {f['supersedes']}", file=out)
    print(f"drafted     {local(f.get('drafted_at'))} by {f.get('drafted_by')}", file=out)
    print("reasoning", file=out)
    for line in (f.get("reasoning") or "").splitlines() or [""]:
        print(f"  {line}", file=out)
    sigs = f.get("signatures") or []
    print(f"signatures  {len(sigs) or 'none yet'}", file=out)
    for s in sigs:
        print(f"  {s['signer']}  {utc(s['signed_at'])}  key {s['key']}", file=out)
    dissents = f.get("dissents") or []
    print(f"dissents    {len(dissents) or 'none'}", file=out)
    for d in dissents:
        print(f"  {d['author']}  {utc(d['filed_at'])}", file=out)
        for line in (d.get("text") or "").splitlines():
            print(f"    {line}", file=out)
    if f.get("published_at"):
        print(f"published   {utc(f['published_at'])}", file=out)
    if "statement_sha256" not in f:
        print(
            "statement   (this server does not show the hash the finding was frozen with: only its own check applies)",
            file=out,
        )
    else:
        print(f"statement   sha256 {f['statement_sha256'] or '- (a draft: nothing to sign yet)'}", file=out)


# --- commands --------------------------------------------------------------------------------------------


def cmd_keygen(a, out) -> int:
    path = key_path(a)
    key = keygen(path)
    print(
        f"An Ed25519 key was made in {path} (mode 0600). Keep it on this machine; back it up offline.",
        file=sys.stderr,
    )
    print("Its public half, to register (`sulh mediator register`):", file=sys.stderr)
    print(public_b64(key), file=out)
    return 0


def cmd_register(c: Client, a, out) -> int:
    pub = public_b64(load_key(key_path(a)))
    body = c.call("POST", "mediator-keys", {"public_key": pub}).body
    print(f"registered  {body['public_key']}  for {body['user']}  at {utc(body['registered_at'])}", file=out)
    print("Any key you registered before is revoked: your signatures made with it still verify.", file=out)
    _receipts(body, out)
    return 0


def cmd_show(c: Client, a, out) -> int:
    f = c.call("GET", f"findings/{_q(a.finding)}").body
    print_finding(f, out)
    if f.get("statement_sha256"):
        got = hashlib.sha256(fetch_statement(c, a.finding)).hexdigest()
        verdict = (
            "matches"
            if got == f["statement_sha256"]
            else f"DOES NOT MATCH (the statement served hashes to {got})"
        )
        print(f"            the statement served now {verdict}", file=out)
    return 0


def _confirm(finding: dict, inp, out) -> bool:
    print(f"Sign finding {finding['id']} ({finding['outcome']}, case {finding['case']}) as shown above? "
          "Type 'yes' to sign: ", end="", file=out, flush=True)  # fmt: skip
    answer = inp.readline()
    return answer.strip().lower() == "yes"


def cmd_sign(c: Client, a, out, inp=None) -> int:
    key = load_key(key_path(a))
    f = c.call("GET", f"findings/{_q(a.finding)}").body
    print_finding(f, out)
    if f["state"] != "signing":
        raise NotSigned(f"the finding is {f['state']}: it is not awaiting signatures")
    body = fetch_statement(c, a.finding)
    if "statement_sha256" not in f:
        print("sulh mediator: the server does not show the finding's statement hash; the statement is checked "
              "against the fields shown, and the server checks its own hash", file=sys.stderr)  # fmt: skip
    stmt = check_statement(body, f)
    print(f"checked     the statement (sha256 {hashlib.sha256(body).hexdigest()}) is this finding, "
          f"under charter {stmt['charter_origin']}", file=out)  # fmt: skip
    mine = public_b64(key)
    if any(s["key"] == mine for s in f.get("signatures") or []):
        raise NotSigned("you have already signed this finding with this key")
    if not a.yes and not _confirm(f, inp or sys.stdin, out):
        raise NotSigned("the finding was not confirmed")
    signature = base64.b64encode(key.sign(body)).decode()
    ans = c.call("POST", f"findings/{_q(a.finding)}/signatures", {"signature": signature})
    done = ans.body
    print(f"signed      with key {mine}", file=out)
    print(f"finding     {done['state'].upper()}, {len(done['signatures'])} signature(s)"
          + (f", published {utc(done['published_at'])}" if done.get("published_at") else ""), file=out)  # fmt: skip
    _receipts(done, out)
    return 0


# --- the command line ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = client_parser("sulh mediator", "A mediator's signing key and signatures on findings.",
                      "Exit status: 0 done, 1 refused (the reason is printed; nothing was signed), "
                       "2 not reached or server failure.")  # fmt: skip
    p.add_argument("--key-file", help=f"your private key (or SULH_MEDIATOR_KEY; default {DEFAULT_KEY})")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("keygen", help="make your Ed25519 key on this machine; prints its public half")
    s.add_argument("--key-file", dest="sub_key_file", help="where to write it (default as above)")
    s = sub.add_parser(
        "register", help="register your public key with the server (revokes your previous one)"
    )
    s.add_argument("--key-file", dest="sub_key_file")
    s = sub.add_parser("show", help="a finding, its signatures and dissents, and its statement's SHA-256")
    s.add_argument("finding", help="the finding's id")
    s = sub.add_parser("sign", help="check a finding's statement against the finding shown, and sign it")
    s.add_argument("finding", help="the finding's id")
    s.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    s.add_argument("--key-file", dest="sub_key_file")
    return p


def main(argv: list[str], inp=None, out=None) -> int:
    a = build_parser().parse_args(argv)
    a.key_file = getattr(a, "sub_key_file", None) or a.key_file
    out = out or sys.stdout

    def action(client):
        if a.cmd == "sign":
            return cmd_sign(client, a, out, inp)
        return {"register": cmd_register, "show": cmd_show}[a.cmd](client, a, out)

    return run(
        "sulh mediator", a, action, failures=((Mismatch, "NOT SIGNED: "), (NotSigned, "not signed: ")),
        offline=(lambda: cmd_keygen(a, out)) if a.cmd == "keygen" else None,
    )

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
