"""`sulh witness`: an organisation's own witness, run on its own machine, never on the Sulh server.

    sulh witness init --dir DIR --name NAME --log-key VKEY [--server URL]   make the key (prints the public half)
    sulh witness register --dir DIR --token T                               register the public key with Sulh
    sulh witness run --dir DIR --token T [--every 60] [--peer FILE|URL …]    pull, check, cosign, hand back
    sulh witness serve --dir DIR [--host H --port P]                         C2SP tlog-witness add-checkpoint
    sulh witness status --dir DIR

`run` fetches the newest checkpoint and a consistency proof from the last one it cosigned, checks both
(sulh.ledger.witness), and uploads its cosignature. `serve` answers the same checks over the C2SP
tlog-witness protocol, so that the log can push to it, or a third-party witness can stand in for it.
No Django here: the witness needs nothing of the server but its HTTP API."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .note import parse_verifier_key
from .witness import ForkDetected, WitnessError, WitnessState

CONFIG = "config.json"


def _config(d: Path) -> dict:
    p = d / CONFIG
    return json.loads(p.read_text()) if p.exists() else {}


def _save_config(d: Path, cfg: dict) -> None:
    tmp = d / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(cfg, indent=2) + "\n")
    tmp.replace(d / CONFIG)


def _log_verifiers(cfg: dict) -> dict:
    out: dict[str, list] = {}
    for key in cfg.get("log_keys", []):
        v = parse_verifier_key(key)
        out.setdefault(v.name, []).append(v)
    if not out:
        raise SystemExit("sulh witness: no log key configured: `sulh witness init --log-key VKEY` (from your charter copy)")
    return out


class Api:
    def __init__(self, server: str, token: str | None, timeout: float = 30):
        self.base = server.rstrip("/") + "/api/v1/"
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 -- configured server
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise ApiError(exc.code, f"{method} {path}: HTTP {exc.code}: {detail}") from None


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def cmd_init(a) -> int:
    d = Path(a.dir)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = WitnessState(d)
    if state.key_path.exists():
        vkey = state.verifier_key()
        print(f"this witness already has a key (kept): {vkey}")
    else:
        vkey = state.init(a.name)
        print(f"witness key made; the private half stays in {state.key_path} (mode 0600)")
    cfg = _config(d)
    if a.log_key:
        parse_verifier_key(a.log_key)  # refuse a malformed key now, not at the first run
        cfg["log_keys"] = sorted(set(cfg.get("log_keys", [])) | {a.log_key})
    if a.server:
        cfg["server"] = a.server
    _save_config(d, cfg)
    print(f"public (verifier) key, to register with Sulh:\n{vkey}")
    return 0


def _api(a, cfg) -> Api:
    server = a.server or cfg.get("server")
    if not server:
        raise SystemExit("sulh witness: give --server URL (or set it with init)")
    import os

    return Api(server, a.token or os.environ.get("SULH_TOKEN"))


def cmd_register(a) -> int:
    d = Path(a.dir)
    cfg = _config(d)
    vkey = WitnessState(d).verifier_key()
    try:
        out = _api(a, cfg).call("POST", "ledger/witness-keys", {"verifier_key": vkey})
    except ApiError as exc:
        print(f"sulh witness: {exc}", file=sys.stderr)
        return 2
    print(f"registered for {out['organisation']}: {out['verifier_key']}")
    return 0


def witness_once(state: WitnessState, api: Api, log_verifiers: dict, peers: list[str] = ()) -> str:
    """One pull: returns a line saying what happened. Raises ForkDetected on a fork (evidence saved)."""
    cp = api.call("GET", "ledger/checkpoint")
    note = cp["note"]
    origin = note.split("\n", 1)[0]
    held = state.latest(origin)
    old = held.size if held else 0
    if held is not None and held.size == cp["size"] and base64.b64decode(cp["root"]) == held.root:
        line = held.cosignature
        message = f"checkpoint {cp['size']:,} already cosigned"
    else:
        proof = []
        if old:
            p = api.call("GET", f"ledger/proof/consistency?first={old}&second={cp['size']}")
            proof = [base64.b64decode(h) for h in p["proof"]]
        line = state.witness(old, proof, note, log_verifiers)
        message = f"cosigned checkpoint {cp['size']:,} (consistent with {old:,})"
    try:
        api.call("POST", "ledger/cosignatures", {"size": cp["size"], "line": line.strip()})
    except ApiError as exc:
        message += f"; the server refused the cosignature: {exc}"
    for peer in peers:
        message += "; " + _check_peer(state, api, log_verifiers, peer)
    return message


def _check_peer(state: WitnessState, api: Api, log_verifiers: dict, where: str) -> str:
    """Gossip: another witness's (or a mirror's) checkpoint must describe the same history as ours."""
    if where.startswith(("http://", "https://")):
        with urllib.request.urlopen(where, timeout=30) as resp:  # noqa: S310 -- configured peer
            peer_note = resp.read().decode()
    else:
        peer_note = Path(where).read_text()
    result = state.check_peer(peer_note, log_verifiers)
    if result.status == "need-proof" and result.needed:
        s1, s2 = result.needed
        p = api.call("GET", f"ledger/proof/consistency?first={s1}&second={s2}")
        result = state.check_peer(peer_note, log_verifiers, [base64.b64decode(h) for h in p["proof"]])
    return f"peer {where}: {result.status}"


def _loud_fork(f: ForkDetected) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n!!  FORK: THE LOG SHOWED TWO DIFFERENT HISTORIES. NOT COSIGNED.\n!!  {f}\n"
          f"!!  Evidence (both signed checkpoints): {f.evidence}\n!!  Tell the mediators and keep that folder.\n{bar}\n",
          file=sys.stderr)  # fmt: skip


def cmd_run(a) -> int:
    d = Path(a.dir)
    cfg = _config(d)
    state, api, verifiers = WitnessState(d), _api(a, cfg), _log_verifiers(cfg)
    peers = list(a.peer or []) + list(cfg.get("peers", []))
    while True:
        try:
            print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), witness_once(state, api, verifiers, peers))
        except ForkDetected as f:
            _loud_fork(f)
            return 3
        except (WitnessError, ApiError, OSError, ValueError) as exc:
            print(f"sulh witness: not cosigned: {exc}", file=sys.stderr)
            if not a.every:
                return 2
        if not a.every:
            return 0
        time.sleep(a.every)


def make_handler(state: WitnessState, verifiers: dict):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 -- http.server's naming
            if urllib.parse.urlparse(self.path).path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                self._answer(404, b"not found\n", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1 << 16:
                self._answer(413, b"request too large\n", "text/plain")
                return
            r = state.handle(self.rfile.read(length), verifiers)
            if r.fork is not None:
                _loud_fork(r.fork)
            self._answer(r.status, r.body, r.content_type)

        def do_GET(self):  # noqa: N802
            # /latest: what this witness cosigned last, for its peers to compare (gossip, `run --peer`).
            if urllib.parse.urlparse(self.path).path.rstrip("/").rsplit("/", 1)[-1] != "latest":
                self._answer(404, b"not found\n", "text/plain")
                return
            held = [h for o in state.origins() if (h := state.latest(o)) is not None]
            if not held:
                self._answer(404, b"nothing cosigned yet\n", "text/plain")
                return
            body = (held[0].note + held[0].cosignature).encode()
            self._answer(200, body, "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, ctype: str):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("witness: " + fmt % args + "\n")

    return Handler


def cmd_serve(a) -> int:
    d = Path(a.dir)
    state, verifiers = WitnessState(d), _log_verifiers(_config(d))
    server = ThreadingHTTPServer((a.host, a.port), make_handler(state, verifiers))
    print(f"witness {state.name} answers POST http://{a.host}:{server.server_port}/add-checkpoint", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def cmd_status(a) -> int:
    d = Path(a.dir)
    state = WitnessState(d)
    print(f"witness {state.name}: {state.verifier_key()}")
    for origin in state.origins():
        held = state.latest(origin)
        if held:
            print(f"  {origin}: cosigned size {held.size:,} at {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(held.timestamp))} UTC")
    forks = state.forks()
    print(f"  forks recorded: {len(forks)}" + "".join(f"\n    {f}" for f in forks))
    return 3 if forks else 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sulh witness", description="Your organisation's witness of Sulh's log.")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, server=False):
        sp.add_argument("--dir", required=True, help="the witness's own state directory (keep it backed up)")
        if server:
            sp.add_argument("--server", help="Sulh's base URL, e.g. https://sulh.example")
            sp.add_argument("--token", help="an API token of your organisation (or SULH_TOKEN)")

    sp = sub.add_parser("init", help="make this witness's key")
    common(sp)
    sp.add_argument("--name", required=True, help="key name, e.g. witness.afg.sulh")
    sp.add_argument("--log-key", help="the log's verifier key, from your own copy of the charter's deployment")
    sp.add_argument("--server", help="Sulh's base URL, remembered for run/register")
    common(sub.add_parser("register", help="register the public key with Sulh"), server=True)
    sp = sub.add_parser("run", help="pull the newest checkpoint, check it, cosign it")
    common(sp, server=True)
    sp.add_argument("--every", type=int, default=0, help="repeat every N seconds (default: once)")
    sp.add_argument("--peer", action="append", help="another witness's latest checkpoint (file or URL) to compare")
    sp = sub.add_parser("serve", help="answer C2SP tlog-witness add-checkpoint requests")
    common(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8765)
    common(sub.add_parser("status", help="what this witness has cosigned, and any fork it recorded"))
    a = p.parse_args(argv)
    try:
        return {"init": cmd_init, "register": cmd_register, "run": cmd_run, "serve": cmd_serve, "status": cmd_status}[
            a.cmd
        ](a)
    except (OSError, ValueError) as exc:
        print(f"sulh witness: {exc}", file=sys.stderr)
        return 2

