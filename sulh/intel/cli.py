"""`sulh intel`: an intel desk's tool, run on the desk's own machine (an API client, no Django).

    sulh intel keygen --org ORG [--dir PATH]     make the desk's keys here; prints the public halves for the charter
    sulh intel keys                              the charter's intel keys, as the server serves them
    sulh intel send --to ORG --classification C --group G --what TEXT (--where-lat LAT --where-lon LON
                    --precision-m M | --area GEOJSON) --when TIME[/TIME] --action TEXT [--material FILE ...]
                                                 seal a threat report for ORG and the mediators, sign it, send it
    sulh intel inbox [--all]                     reports awaiting your party's acknowledgement or answer
    sulh intel open ID [--save-material DIR]     check the sender's signature, decrypt, show (report and answer)
    sulh intel ack ID                            acknowledge a report your party received
    sulh intel answer ID --category C --detail TEXT   answer it; the detail is sealed like a report

Everything secret happens here: the report is encrypted on this machine for the receiving party and every
mediator with a key in the charter (HPKE, RFC 9180: sulh/intel/crypto.py), signed with this desk's key, and
only then sent; `open` decrypts here with this desk's private key. The server stores ciphertext it cannot open.

Keys: `keygen` writes DIR/ORG.x25519 (the X25519 private key that opens reports) and DIR/ORG.signer (the
signed-note key that signs them), mode 0600, never overwritten; default DIR ~/.config/sulh/intel (or
SULH_INTEL_DIR). Their public halves go into the charter's `intel.keys`, agreed by both sides.

Whose keys to trust: by default the public keys come from the server (GET /api/v1/intel/keys, read from the
charter in force). A careful desk pins them instead: `--charter PATH` reads them from a local copy of the agreed
charter, so that a server that served other keys could neither read a report sent from here nor pass off a
forged one: `send` then seals to, and `open` verifies against, the keys of that file only.

Configuration: --url / SULH_URL, --token / SULH_TOKEN, --org (this desk's organisation; default: the token's).
Exit status: 0 done; 1 refused (by the server, or by this tool: a usage error, a signature that does not
verify, an envelope that does not open); 2 the server could not be reached or failed: retrying may help
(`send` is safe to retry: the report's id is its Idempotency-Key)."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import mimetypes
import os
import sys
import uuid
from pathlib import Path

from sulh.hotline.cli import (
    Client,
    Parser,
    UsageError,
    _q,
    _receipts,
    client_parser,
    local,
    run,
    time_left,
    utc,
)

from . import crypto

DEFAULT_DIR = Path("~/.config/sulh/intel")
ANSWERS = crypto.ANSWER_CATEGORIES
MAX_MATERIAL = 2 * 1024 * 1024  # all supporting files together, before encryption


class Untrusted(Exception):
    """A signature that does not verify, or an envelope that does not open: nothing is shown as genuine."""


# --- keys on this machine --------------------------------------------------------------------------------


def key_dir(a) -> Path:
    return Path(getattr(a, "dir", None) or os.environ.get("SULH_INTEL_DIR") or DEFAULT_DIR).expanduser()


def _write_secret(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} already exists: it is not overwritten") from None
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def keygen(org: str, directory: Path) -> dict:
    """Make `org`'s intel keys in `directory`; returns the public halves. Never overwrites a key: a desk's
    key replaced by mistake is every report sealed to it lost."""
    from sulh.ledger.note import generate_key

    org = org.strip().upper()
    if not org:
        raise UsageError("--org: give the organisation code (e.g. PAK)")
    enc_path, sig_path = directory / f"{org}.x25519", directory / f"{org}.signer"
    for p in (enc_path, sig_path):
        if p.exists():
            raise UsageError(
                f"{p} already exists: it is not overwritten. Give another --dir to make new keys."
            )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private, public = crypto.x25519_keypair()
    signer, verifier = generate_key(f"{org.lower()}.intel")
    _write_secret(enc_path, private)
    _write_secret(sig_path, signer)
    return {"org": org, "encryption": public, "signing": verifier, "files": [str(enc_path), str(sig_path)]}


def _read_secret(path: Path, what: str) -> str:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise UsageError(
            f"no {what} at {path}: make the keys with `sulh intel keygen`, or give --dir"
        ) from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        print(
            f"sulh intel: warning: {path} can be read by others than you (chmod 600 {path})", file=sys.stderr
        )
    return text


def private_keys(a, org: str) -> tuple[str, str]:
    """(X25519 private key, signed-note signer key) of `org`'s desk, from this machine."""
    d = key_dir(a)
    return _read_secret(d / f"{org}.x25519", "X25519 private key"), _read_secret(
        d / f"{org}.signer", "signing key"
    )


# --- the charter's keys: from the server, or pinned from a local charter ---------------------------------


def charter_keys(c: Client | None, a) -> dict:
    """{"keys": {org: OrgKey}, "parties": [...], "mediators": [...], "classifications": [...], "source": str}."""
    if getattr(a, "charter", None):
        from sulh.charter.loader import load_charter

        ch = load_charter(a.charter)
        keys = {
            k.org: crypto.OrgKey(k.org, k.encryption, k.signing) for k in (ch.intel.keys if ch.intel else [])
        }
        return {"keys": keys, "parties": [p.code for p in ch.parties], "mediators": [m.code for m in ch.mediators],
                "classifications": [x.code for x in ch.intel.classifications] if ch.intel else [],
                "source": f"the local charter {a.charter}"}  # fmt: skip
    body = c.call("GET", "intel/keys").body
    keys = {k["org"]: crypto.OrgKey(k["org"], k["encryption"], k["signing"]) for k in body["keys"]}
    return {"keys": keys, "parties": body["parties"], "mediators": body["mediators"],
            "classifications": body["classifications"], "source": f"the server ({body['charter']})"}  # fmt: skip


def recipients(ck: dict, receiver: str) -> dict[str, str]:
    """The receiver and every mediator with a key: org -> X25519 public key."""
    keys = ck["keys"]
    if receiver not in keys:
        raise UsageError(f"{receiver} has no intel key in {ck['source']}: nothing can be sealed for it")
    orgs = [receiver] + [m for m in ck["mediators"] if m in keys]
    return {org: keys[org].encryption for org in orgs}


def my_org(c: Client, a) -> str:
    if getattr(a, "org", None):
        return a.org.upper()
    org = c.call("GET", "me").body.get("organisation")
    if not org:
        raise UsageError("your account belongs to no organisation")
    return org


# --- the report's payload --------------------------------------------------------------------------------


def _when(text: str) -> dict:
    parts = text.split("/")
    if len(parts) > 2:
        raise UsageError("--when: a time, or FROM/TO")
    out = {}
    for name, value in zip(("from", "to"), parts, strict=False):
        try:
            t = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"--when: {value!r} is not an ISO 8601 time (e.g. 2025-11-02T22:00+05:00)"
            ) from None
        if t.tzinfo is None:
            raise UsageError(f"--when: {value!r} has no UTC offset (e.g. +05:00, +04:30)")
        out[name] = t.isoformat()
    if "to" in out and dt.datetime.fromisoformat(out["to"]) < dt.datetime.fromisoformat(out["from"]):
        raise UsageError("--when: the end is before the start")
    return out


def _where(a) -> dict:
    if a.area:
        text = Path(a.area).read_text(encoding="utf-8") if Path(a.area).is_file() else a.area
        try:
            area = json.loads(text)
        except ValueError:
            raise UsageError("--area: not GeoJSON (a file, or the JSON itself)") from None
        if not isinstance(area, dict) or area.get("type") not in ("Polygon", "MultiPolygon", "Feature"):
            raise UsageError("--area: a GeoJSON Polygon, MultiPolygon or Feature")
        where = {"area": area}
    else:
        if a.where_lat is None or a.where_lon is None:
            raise UsageError("give --where-lat and --where-lon (with --precision-m), or --area")
        if not (-90 <= a.where_lat <= 90 and -180 <= a.where_lon <= 180):
            raise UsageError("--where-lat/--where-lon: out of range")
        if a.precision_m is None or a.precision_m <= 0:
            raise UsageError("--precision-m: how far the point may be off, in metres (> 0)")
        where = {"point": {"lat": a.where_lat, "lon": a.where_lon}, "precision_m": a.precision_m}
    if a.place:
        where["place"] = a.place
    return where


def _material(files: list[str]) -> list[dict]:
    out, total = [], 0
    for name in files or []:
        data = Path(name).read_bytes()
        total += len(data)
        if total > MAX_MATERIAL:
            raise UsageError(f"--material: more than {MAX_MATERIAL // (1024 * 1024)} MiB in all; share larger files "
                             "through the evidence store and cite their hashes")  # fmt: skip
        out.append({"name": Path(name).name, "media_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode()})  # fmt: skip
    return out


def report_payload(a) -> dict:
    return {
        "what": {"group": a.group, "activity": a.what},
        "where": _where(a),
        "when": _when(a.when),
        "action_requested": a.action,
        "material": _material(a.material),
        "notes": a.notes or "",
    }


# --- commands --------------------------------------------------------------------------------------------


def cmd_keygen(a, out) -> int:
    if not a.org:
        raise UsageError("keygen needs --org ORG")
    k = keygen(a.org, key_dir(a))
    print(f"Keys for {k['org']}'s intel desk were made in {key_dir(a)} (mode 0600): keep them on this machine and "
          "back them up offline.", file=sys.stderr)  # fmt: skip
    print("Their public halves, for the charter's intel.keys (the key ceremony enters them; both sides agree):",
          file=sys.stderr)  # fmt: skip
    print(f'  - {{org: {k["org"]}, encryption: "{k["encryption"]}", signing: "{k["signing"]}"}}', file=out)
    return 0


def cmd_keys(c: Client, a, out) -> int:
    ck = charter_keys(c, a)
    print(f"keys from {ck['source']}", file=out)
    for org, k in ck["keys"].items():
        print(f"  {org:<6} encryption {k.encryption}\n         signing    {k.signing}", file=out)
    return 0


def seal_report(payload: dict, *, sender: str, receiver: str, classification: str, ck: dict, signer_key: str,
                report_id: str | None = None) -> dict:  # fmt: skip
    return crypto.seal(payload, kind="report", report_id=report_id or str(uuid.uuid4()), sender=sender,
                       receiver=receiver, classification=classification, recipients=recipients(ck, receiver),
                       signer_key=signer_key)  # fmt: skip


def cmd_send(c: Client, a, out) -> int:
    sender = my_org(c, a)
    ck = charter_keys(c, a)
    receiver = a.to.upper()
    if ck["classifications"] and a.classification not in ck["classifications"]:
        raise UsageError(f"--classification: one of {', '.join(ck['classifications'])}")
    _, signer = private_keys(a, sender)
    env = seal_report(report_payload(a), sender=sender, receiver=receiver, classification=a.classification,
                      ck=ck, signer_key=signer, report_id=a.id)  # fmt: skip
    body = c.call("POST", "intel/reports", {"envelope": env}, headers={"Idempotency-Key": env["id"]}).body
    print(
        f"sent        {body['code']}  ({body['id']})  {sender} -> {receiver}  {body['classification']}",
        file=out,
    )
    print(f"sealed for  {', '.join(sorted(env['recipients']))} (keys from {ck['source']})", file=out)
    print(f"envelope    sha256 {body['envelope_sha256']}, {body['size']} bytes", file=out)
    print(f"ack due     {local(body['ack_due_at'], c.tz())} ({utc(body['ack_due_at'])})", file=out)
    _receipts(body, out)
    return 0


def cmd_inbox(c: Client, a, out) -> int:
    ans = c.call("GET", "intel/reports")
    me = ans.body and c.call("GET", "me").body.get("organisation")
    rows = (
        ans.body
        if a.all
        # A party's desk: what it received and has not answered; a mediator: every open exchange.
        else [r for r in ans.body if r["state"] != "answered" and (r["receiver"] == me or me != r["sender"])]
    )
    if not rows:
        print("Nothing awaits your party's acknowledgement or answer.", file=out)
        return 0
    for r in rows:
        print(f"{r['code']}  {r['sender']} -> {r['receiver']}  {r['classification']:<22} {r['state'].upper()}"
              + ("  ACK MISSED" if r["ack_missed"] else "") + ("  ANSWER MISSED" if r["answer_missed"] else ""),
              file=out)  # fmt: skip
        print(f"    id {r['id']}  sent {local(r['sent_at'], c.tz())}", file=out)
        if r["state"] == "sent":
            print(
                f"    acknowledge by {utc(r['ack_due_at'])}: {time_left(r['ack_due_at'], ans.server_now)}",
                file=out,
            )
        if r["state"] != "answered":
            print(
                f"    answer by {utc(r['answer_due_at'])}: {time_left(r['answer_due_at'], ans.server_now)}",
                file=out,
            )
        elif r.get("answer"):
            print(f"    answered {r['answer']['category']} {utc(r['answer']['at'])}"
                  + (" (late)" if r["answer"]["late"] else ""), file=out)  # fmt: skip
    return 0


def open_checked(env: dict, ck: dict, org: str, private: str) -> dict:
    """Verify the sender's signature against the trusted keys, then decrypt. Untrusted if either fails."""
    try:
        sender = ck["keys"].get(env.get("sender"))
        if sender is None:
            raise crypto.EnvelopeError(f"{env.get('sender')} has no intel key in {ck['source']}")
        crypto.check_structure(env)
        crypto.verify_signature(env, sender.signing)
        return crypto.open_envelope(env, org, private)
    except crypto.EnvelopeError as exc:
        raise Untrusted(str(exc)) from None


def _print_report(p: dict, out) -> None:
    w, where = p.get("what", {}), p.get("where", {})
    print(f"group       {w.get('group')}", file=out)
    print(f"activity    {w.get('activity')}", file=out)
    if "point" in where:
        pt = where["point"]
        print(f"where       {pt['lat']}, {pt['lon']} (within {where.get('precision_m')} m)", file=out)
    elif "area" in where:
        print(f"where       area {json.dumps(where['area'])[:300]}", file=out)
    if where.get("place"):
        print(f"place       {where['place']}", file=out)
    when = p.get("when", {})
    print(f"when        {when.get('from')}" + (f" to {when['to']}" if when.get("to") else ""), file=out)
    print(f"requested   {p.get('action_requested')}", file=out)
    if p.get("notes"):
        print(f"notes       {p['notes']}", file=out)
    for m in p.get("material") or []:
        print(f"material    {m['name']}  {m['media_type']}  sha256 {m['sha256']}", file=out)


def _save_material(p: dict, directory: str, out) -> None:
    d = Path(directory)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    for m in p.get("material") or []:
        data = base64.b64decode(m["data"])
        if hashlib.sha256(data).hexdigest() != m["sha256"]:
            raise Untrusted(f"material {m['name']}: its bytes do not hash to the SHA-256 the report gives")
        target = d / Path(m["name"]).name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        print(f"saved       {target}", file=out)


def cmd_open(c: Client, a, out) -> int:
    org = my_org(c, a)
    ck = charter_keys(c, a)
    r = c.call("GET", f"intel/reports/{_q(a.report)}").body
    private, _ = private_keys(a, org)
    env = r["envelope"]
    if env["id"] != r["id"] or env["sender"] != r["sender"] or env["receiver"] != r["receiver"]:
        raise Untrusted("the envelope served is not this report's (its id, sender or receiver differ)")
    print(
        f"report      {r['code']}  ({r['id']})  {r['sender']} -> {r['receiver']}  {r['classification']}",
        file=out,
    )
    if org in env["recipients"]:
        payload = open_checked(env, ck, org, private)
        print(f"signed by   {r['sender']}'s intel key in {ck['source']}: verified", file=out)
        _print_report(payload, out)
        if a.save_material:
            _save_material(payload, a.save_material, out)
    else:
        try:
            crypto.check_structure(env)
            crypto.verify_signature(env, ck["keys"][env["sender"]].signing)
        except (crypto.EnvelopeError, KeyError) as exc:
            raise Untrusted(f"the report's signature does not verify: {exc}") from None
        print(f"signed by   {r['sender']}'s intel key in {ck['source']}: verified", file=out)
        print(f"contents    sealed for {', '.join(sorted(env['recipients']))}, not for {org}: this desk cannot "
              "open them (the sending desk keeps its own copy)", file=out)  # fmt: skip
    for e in r["timeline"]:
        print(
            f"timeline    {utc(e['at'])}  {e['event']:<14} {e['org']}" + ("  LATE" if e["late"] else ""),
            file=out,
        )
    ans = r.get("answer")
    if ans and ans.get("envelope"):
        aenv = ans["envelope"]
        if (aenv["id"], aenv["kind"], aenv["category"], aenv["sender"]) != (
            r["id"],
            "answer",
            ans["category"],
            r["receiver"],
        ):
            raise Untrusted("the answer's envelope is not this report's answer")
        if org in aenv["recipients"]:
            detail = open_checked(aenv, ck, org, private)
            print(f"answer      {ans['category']} by {ans['by']} (signature verified)", file=out)
            for line in str(detail.get("detail", "")).splitlines() or [""]:
                print(f"  {line}", file=out)
        else:
            print(f"answer      {ans['category']} by {ans['by']} (its detail is sealed for others)", file=out)
    return 0


def cmd_ack(c: Client, a, out) -> int:
    body = c.call("POST", f"intel/reports/{_q(a.report)}/ack").body
    late = " (LATE: after the deadline)" if body.get("ack_late") else ""
    print(f"acknowledged {body['code']} at {utc(body['acknowledged_at'])}{late}", file=out)
    print(f"answer due   {local(body['answer_due_at'], c.tz())} ({utc(body['answer_due_at'])})", file=out)
    _receipts(body, out)
    return 0


def seal_answer(report: dict, *, category: str, detail: str, ck: dict, signer_key: str) -> dict:
    return crypto.seal({"category": category, "detail": detail}, kind="answer", report_id=report["id"],
                       sender=report["receiver"], receiver=report["sender"], classification=report["classification"],
                       recipients=recipients(ck, report["sender"]), signer_key=signer_key, category=category)  # fmt: skip


def cmd_answer(c: Client, a, out) -> int:
    org = my_org(c, a)
    r = c.call("GET", f"intel/reports/{_q(a.report)}").body
    if r["receiver"] != org:
        raise UsageError(f"{r['code']} was sent to {r['receiver']}: only it answers")
    ck = charter_keys(c, a)
    _, signer = private_keys(a, org)
    env = seal_answer(r, category=a.category, detail=a.detail, ck=ck, signer_key=signer)
    body = c.call("POST", f"intel/reports/{_q(r['id'])}/answer", {"envelope": env},
                  headers={"Idempotency-Key": f"answer-{r['id']}"}).body  # fmt: skip
    late = " (LATE)" if body["answer"]["late"] else ""
    print(
        f"answered    {body['code']}: {body['answer']['category']} at {utc(body['answer']['at'])}{late}",
        file=out,
    )
    print(f"sealed for  {', '.join(sorted(env['recipients']))}", file=out)
    _receipts(body, out)
    return 0


# --- the command line ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = client_parser("sulh intel", "An intel desk: sealed threat reports between the parties.",
                      "Exit status: 0 done, 1 refused (the reason is printed), 2 not reached or server failure.")  # fmt: skip
    for target in (p, common := argparse.ArgumentParser(add_help=False)):
        # Accepted before or after the subcommand (after it, given values override).
        default = None if target is p else argparse.SUPPRESS
        target.add_argument("--dir", default=default,
                            help=f"this desk's key folder (or SULH_INTEL_DIR; default {DEFAULT_DIR})")  # fmt: skip
        target.add_argument(
            "--org", default=default, help="this desk's organisation (default: your account's)"
        )
        target.add_argument("--charter", default=default,
                            help="take the public keys from this local charter file (pinned), not the server")  # fmt: skip
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    sub.add_parser(
        "keygen", parents=[common], help="make this desk's keys; prints the public halves for the charter"
    )
    sub.add_parser("keys", parents=[common], help="the charter's intel keys (from the server, or --charter)")
    s = sub.add_parser("send", parents=[common], help="seal, sign and send a threat report")
    s.add_argument("--to", required=True, help="the receiving party")
    s.add_argument("--classification", required=True)
    s.add_argument("--group", required=True, help="the group concerned")
    s.add_argument("--what", required=True, help="the activity reported")
    s.add_argument("--where-lat", type=float)
    s.add_argument("--where-lon", type=float)
    s.add_argument("--precision-m", type=float, help="how far off the point may be, in metres")
    s.add_argument("--area", help="a GeoJSON polygon (a file, or the JSON)")
    s.add_argument("--place", help="a place name")
    s.add_argument("--when", required=True, help="ISO time with offset, or FROM/TO")
    s.add_argument("--action", required=True, help="the action requested of the receiving party")
    s.add_argument("--material", nargs="*", default=[], help="supporting files (sealed with the report)")
    s.add_argument("--notes")
    s.add_argument("--id", help="the report's UUID (default: a new one; give the same one to retry)")
    s = sub.add_parser(
        "inbox", parents=[common], help="reports awaiting your party's acknowledgement or answer"
    )
    s.add_argument("--all", action="store_true", help="every exchange you may see")
    s = sub.add_parser(
        "open", parents=[common], help="verify and decrypt a report (and its answer) on this machine"
    )
    s.add_argument("report")
    s.add_argument("--save-material", metavar="DIR", help="write the supporting files here")
    s = sub.add_parser("ack", parents=[common], help="acknowledge a report your party received")
    s.add_argument("report")
    s = sub.add_parser("answer", parents=[common], help="answer a report: a category and a sealed detail")
    s.add_argument("report")
    s.add_argument("--category", required=True, choices=ANSWERS)
    s.add_argument("--detail", required=True, help="what was done, found, or why declined, or what is needed")
    return p


def main(argv: list[str], out=None, client_factory=None) -> int:
    """`client_factory(url, token, timeout)` makes the HTTP client (tests pass one speaking to Django's test
    client); default sulh.hotline.cli.Client."""
    a = build_parser().parse_args(argv)
    out = out or sys.stdout
    commands = {"keys": cmd_keys, "send": cmd_send, "inbox": cmd_inbox, "open": cmd_open, "ack": cmd_ack,
                "answer": cmd_answer}  # fmt: skip

    def action(client):
        if client_factory is not None:
            client = client_factory(a.url, a.token, a.timeout)
        return commands[a.cmd](client, a, out)

    return run("sulh intel", a, action, failures=((Untrusted, "NOT TRUSTED: "), (crypto.EnvelopeError, "")),
               offline=(lambda: cmd_keygen(a, out)) if a.cmd == "keygen" else None)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
