"""The hotline benchmark: `python -m bench.hotline [--db sqlite|postgres|both] [--listeners 200] [--messages N]
[--quick]` (`make bench-hotline`). Results: the "hotline" section of docs/benchmarks.md.

For each database, in a scratch data directory (and a scratch PostgreSQL database), migrated, with the
charter's posts and channels: N listeners, each a user of its own holding one of the posts PAK-S2, AFG-S2 or
MED-CELL (the whole audience of a message on channel S2-CHAMAN, and of every step of its ladder) with an API
token, and a few senders holding AFG-S2. The real server runs as a subprocess (`sulh serve`: uvicorn, with its
deadline runner); on PostgreSQL a second `sulh serve` process takes half the listeners, so that their events
cross processes through LISTEN/NOTIFY. Every listener holds GET /hotline/stream open (bench/hotline_client.py,
one asyncio process) for the whole run. Three phases:

1. Delivery latency: one sender POSTs messages one at a time at a steady pace. Latency of a (message,
   listener) pair = the moment the listener has parsed the message's `sent` event minus the moment just
   before the sender wrote its POST: the request, the transaction (message, ledger entries, event,
   audience, deadline), the hub's wake-up, the payload query, the SSE frame, the socket, and the parsing.
2. Sustained throughput: several senders POST as fast as the API answers, for a fixed time; messages
   accepted per second, and the same delivery latencies meanwhile.
3. Escalation lateness: the acknowledgement deadlines of many messages are made to fall due over a few
   seconds (stored rows edited, and the ladder snapshot's ack_within_s set to seconds), and the servers'
   deadline runners climb every ladder to its expiry. Lateness = fired_at - due_at of each stored deadline
   (fired_at is stamped when the step's transaction has done its work). Each (message, step) must fire once.

In every phase each listener's stream is compared with the database: every event for its post after the
phase began, none twice, none out of seq order (lost, duplicated, out of order: all must be 0).

This module is standard library only; Django runs in the server and in the bench/hotline_seed.py steps."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from .hotline_client import HttpConn, listen_process

ROOT = Path(__file__).resolve().parent.parent
SECTION = "hotline"
COMMAND = "make bench-hotline"

TARGET_P99_MS = 100.0
TARGET_LATENESS_P99_S = 1.0

BODY_TEXT = ("Two vehicles and about twenty men seen moving along the track north of the Friendship Gate towards "
             "the line; please confirm whether this is your patrol.")  # fmt: skip


def log(msg: str) -> None:
    print(msg, flush=True)


def stats(seconds: list[float], scale: float = 1e3) -> dict:
    """p50, p99, max, mean of durations in seconds, times `scale`; nearest rank."""
    if not seconds:
        return {"n": 0}
    v = sorted(x * scale for x in seconds)

    def q(p: float) -> float:
        return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]

    return {"n": len(v), "p50": q(50), "p90": q(90), "p99": q(99), "max": v[-1], "min": v[0], "mean": sum(v) / len(v)}


# --- the scratch environment --------------------------------------------------------------------------------


def _python() -> str:
    exe = ROOT / ".venv" / "bin" / "python"
    return str(exe) if exe.exists() else sys.executable


def _sulh() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "sulh"
    return [str(exe)] if exe.exists() else [_python(), "-m", "sulh.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (its threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan


class Env:
    """A scratch Sulh for one database: data directory, database, users, servers."""

    def __init__(self, db: str, pg_admin_url: str, pg_db: str):
        self.db = db
        self.pg_admin_url = pg_admin_url
        self.pg_db = pg_db
        self.dir = Path(tempfile.mkdtemp(prefix=f"sulh-bench-hotline-{db}-"))
        self.servers: list[tuple[subprocess.Popen, int, object]] = []
        env = dict(os.environ)
        for var in ("DATABASE_URL", "SULH_EVIDENCE_DIR", "SULH_STATIC_ROOT", "SULH_DEBUG", "SULH_FAST_PASSWORD_HASHING",
                    "SULH_LOG_SIGNER_KEY_FILE"):  # fmt: skip
            env.pop(var, None)
        env.update(
            SULH_DATA_DIR=str(self.dir / "data"), SULH_ALLOWED_HOSTS="127.0.0.1,localhost", SULH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="sulh.settings", PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )  # fmt: skip
        if db == "postgres":
            parts = urllib.parse.urlsplit(pg_admin_url)
            env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + pg_db))
        self.env = env

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create(self) -> None:
        if self.db == "postgres":
            self._pg_admin(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")
            self._pg_admin(f"CREATE DATABASE {self.pg_db}")
        self.run([*_sulh(), "migrate", "--noinput"])

    def run(self, cmd: list[str], timeout: float = 900) -> str:
        proc = subprocess.run(cmd, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc.stdout

    def seed(self, *args: str, timeout: float = 900) -> dict:
        out = self.run([_python(), "-m", "bench.hotline_seed", *args], timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def serve(self, timeout: float = 90) -> int:
        port = _free_port()
        logf = open(self.dir / f"server-{port}.log", "w")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen([*_sulh(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=self.env,
                                cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.servers.append((proc, port, logf))
        t_end = time.monotonic() + timeout
        while time.monotonic() < t_end:
            if proc.poll() is not None:
                raise RuntimeError(f"sulh serve exited with {proc.returncode}:\n{self.log_tail(port)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return port
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"sulh serve did not answer within {timeout:.0f} s:\n{self.log_tail(port)}")

    def log_tail(self, port: int, n: int = 3000) -> str:
        try:
            return (self.dir / f"server-{port}.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def server_errors(self) -> list[str]:
        """Tracebacks and errors the servers logged (none expected)."""
        out = []
        for _, port, _ in self.servers:
            text = self.log_tail(port, 1 << 20)
            out += [ln for ln in text.splitlines() if "Traceback" in ln or " ERROR" in ln or "Error:" in ln][:5]
        return out

    def close(self) -> None:
        for proc, _, _logf in self.servers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc, _, logf in self.servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            logf.close()
        self.servers = []
        if self.db == "postgres":
            try:
                self._pg_admin(f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")
            except Exception as e:  # noqa: BLE001 -- report, still clean the directory
                log(f"  (could not drop {self.pg_db}: {e})")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- phases -------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, env: Env, args: argparse.Namespace, setup: dict, ports: list[int], conn, listener_pid: int):
        self.env, self.args, self.setup, self.ports = env, args, setup, ports
        self.conn = conn
        self.nonce = 0
        self.mark = setup["latest"]  # events up to this seq belong to an earlier phase
        self.pids = {"server A": env.servers[0][0].pid, "listeners": listener_pid, "sender": os.getpid()}
        if len(env.servers) > 1:
            self.pids["server B"] = env.servers[1][0].pid

    def _body(self, nonce: int) -> dict:
        return {"channel": self.setup["channel"], "message_type": "free_text", "priority": "routine",
                "body": f"hb {nonce} {BODY_TEXT}"}  # fmt: skip

    async def _send(self, http: HttpConn, token: str, send_times: dict, post_ms: list, errors: list) -> bool:
        nonce = self.nonce
        self.nonce += 1
        body = self._body(nonce)
        t0 = time.monotonic()
        send_times[nonce] = t0
        try:
            status, payload = await http.request("POST", "/api/v1/hotline/messages", token, body)
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
            status, payload = 0, repr(e).encode()
        post_ms.append(time.monotonic() - t0)
        if status != 201:
            del send_times[nonce]
            errors.append(f"{status}: {payload[:300]!r}")
            return False
        return True

    def _cpu(self) -> dict:
        return {k: _cpu_s(p) for k, p in self.pids.items()}

    def _collect(self, send_times: dict, timeout: float) -> dict:
        latest = self.env.seed("latest")["latest"]
        expected = self.env.seed("audience", "--after", str(self.mark))["posts"]
        self.conn.send(("collect", {"upto": latest, "expected": expected, "send_times": send_times, "timeout": timeout}))
        kind, res = self.conn.recv()
        assert kind == "results"
        self.mark = latest
        return res

    def _summarise(self, res: dict, send_times: dict) -> dict:
        listeners = res["listeners"]
        by_server: dict[str, list[float]] = {}
        for r in listeners:
            label = "A" if r["port"] == self.ports[0] else "B"
            by_server.setdefault(label, []).extend(r["latencies"])
        every = [x for v in by_server.values() for x in v]
        out = {
            "messages": len(send_times),
            "pairs": len(every),
            "latency": stats(every),
            "latency_by_server": {k: stats(v) for k, v in sorted(by_server.items())},
            **{k: sum(r[k] for r in listeners) for k in ("received", "expected", "lost", "duplicated", "unexpected",
                                                       "out_of_order", "messages_missing", "messages_duplicated")},
            "listener_errors": [r["error"] for r in listeners if r["error"]][:5],
            "listeners": len(listeners),
        }  # fmt: skip
        if send_times:
            out["drain_s"] = res["last_recv"] - max(send_times.values()) if not math.isnan(res["last_recv"]) else None
        return out

    async def latency(self, count: int, interval: float) -> dict:
        log(f"  delivery latency: {count} messages, one every {interval * 1000:.0f} ms, to {self.args.listeners} listeners")
        http = HttpConn(self.ports[0])
        token = self.setup["senders"][0]["token"]
        send_times: dict[int, float] = {}
        post_s: list[float] = []
        errors: list[str] = []
        cpu0, t0 = self._cpu(), time.monotonic()
        for _ in range(count):
            started = time.monotonic()
            await self._send(http, token, send_times, post_s, errors)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        await http.close()
        res = self._collect(send_times, timeout=60)
        wall = time.monotonic() - t0
        out = self._summarise(res, send_times)
        out.update(post=stats(post_s), errors=len(errors), first_error=errors[0] if errors else None, interval_s=interval,
                   wall_s=wall, cpu=_cpu_delta(cpu0, self._cpu()))  # fmt: skip
        return out

    async def throughput(self, duration: float, senders: int) -> dict:
        log(f"  sustained throughput: {senders} senders as fast as accepted for {duration:.0f} s")
        send_times: dict[int, float] = {}
        post_s: list[float] = []
        errors: list[str] = []
        cpu0, t0 = self._cpu(), time.monotonic()
        t_end = t0 + duration

        async def sender(i: int):
            http = HttpConn(self.ports[0])
            token = self.setup["senders"][i % len(self.setup["senders"])]["token"]
            while time.monotonic() < t_end:
                await self._send(http, token, send_times, post_s, errors)
            await http.close()

        await asyncio.gather(*(sender(i) for i in range(senders)))
        sent_s = time.monotonic() - t0
        res = self._collect(send_times, timeout=120)
        out = self._summarise(res, send_times)
        # Accepted: answered 201 (send_times keeps only those).
        out.update(accepted=len(send_times), seconds=sent_s, rate=len(send_times) / sent_s, senders=senders, post=stats(post_s),
                   errors=len(errors), first_error=errors[0] if errors else None,
                   cpu=_cpu_delta(cpu0, self._cpu(), wall=time.monotonic() - t0))  # fmt: skip
        return out

    async def escalation(self, count: int, start_in: float, spread: float, ack_within: int) -> dict:
        # The newest unanswered messages are the ones escalated: send more first if the run made too few.
        if self.nonce < count:
            http = HttpConn(self.ports[0])
            extra: dict[int, float] = {}
            while self.nonce < count:
                await self._send(http, self.setup["senders"][0]["token"], extra, [], [])
            await http.close()
            self._collect(extra, timeout=60)
        plan = self.env.seed("escalate", "--count", str(count), "--start-in", str(start_in), "--spread", str(spread),
                             "--ack-within", str(ack_within))  # fmt: skip
        steps = plan["steps"]
        log(f"  escalation: {count} messages due over {spread:.0f} s, {steps} deadlines each, {ack_within} s per step")
        ids_file = self.env.dir / "escalated.json"
        ids_file.write_text(json.dumps(plan["ids"]))
        cpu0, t0 = self._cpu(), time.monotonic()
        # Until every ladder has climbed to its expiry, and a little more for a straggler or a second firing.
        await asyncio.sleep(start_in + spread + steps * ack_within + 2)
        res = self.env.seed("escalations", "--ids-file", str(ids_file))
        t_end = time.monotonic() + 120
        while res["states"].get("pending") and time.monotonic() < t_end:
            await asyncio.sleep(2)
            res = self.env.seed("escalations", "--ids-file", str(ids_file))
        await asyncio.sleep(1)
        res = self.env.seed("escalations", "--ids-file", str(ids_file))
        wall = time.monotonic() - t0
        streams = self._summarise(self._collect({}, timeout=60), {})
        from datetime import datetime

        window = None
        if res["last_fired"]:
            window = (datetime.fromisoformat(res["last_fired"]) - datetime.fromisoformat(plan["first_due"])).total_seconds()
        return {
            "messages": count, "steps": steps, "spread_s": spread, "ack_within_s": ack_within, "deadlines": res["deadlines"],
            "states": res["states"], "lateness": stats(res["lateness_s"]), "missing": res["missing"],
            "duplicated": res["duplicated"], "extra_events": res["extra_events"], "fired_by": res["fired_by"],
            "attempts": res["attempts"], "streams": streams, "rate": res["deadlines"] / max(1e-9, spread + (steps - 1) * ack_within),
            "achieved_rate": res["deadlines"] / window if window else None, "window_s": window,
            "cpu": _cpu_delta(cpu0, self._cpu(), wall=wall),
        }  # fmt: skip


def _cpu_delta(a: dict, b: dict, wall: float | None = None) -> dict:
    out = {k: b[k] - a[k] for k in a}
    if wall:
        out["wall"] = wall
    return out


def run_db(db: str, args: argparse.Namespace, plan: dict, pg_admin_url: str) -> dict:
    pg_db = f"{args.pg_db_prefix}_{os.getpid()}"
    env = Env(db, pg_admin_url, pg_db)
    proc = None
    parent_conn = None
    try:
        t = time.monotonic()
        env.create()
        setup = env.seed("setup", "--listeners", str(args.listeners), "--senders", str(plan["senders"]))
        log(f"  scratch {db} ready ({time.monotonic() - t:.0f} s): {args.listeners} listeners, {plan['senders']} senders")
        servers = 2 if db == "postgres" and args.servers == 2 else 1
        ports = [env.serve() for _ in range(servers)]
        specs = [{"port": ports[i % servers], "token": s["token"], "post": s["post"]} for i, s in enumerate(setup["listeners"])]
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=listen_process, args=(child_conn, specs), name="hotline-listeners")
        proc.start()
        kind, ready = parent_conn.recv()
        log(f"  listeners connected: {ready['connected']}/{args.listeners}" + (f" (failed: {ready['errors']})" if ready["failed"] else ""))
        if ready["connected"] != args.listeners:
            raise RuntimeError(f"only {ready['connected']} of {args.listeners} listeners connected: {ready['errors']}")
        bench = Bench(env, args, setup, ports, parent_conn, proc.pid)
        out: dict = {"servers": servers, "listeners": args.listeners, "load": {}}

        async def phases():
            out["load"]["latency"] = os.getloadavg()[0]
            out["latency"] = await bench.latency(plan["messages"], plan["interval"])
            _print_phase("latency", out["latency"])
            out["load"]["throughput"] = os.getloadavg()[0]
            out["throughput"] = await bench.throughput(plan["duration"], plan["senders"])
            _print_phase("throughput", out["throughput"])
            out["load"]["escalation"] = os.getloadavg()[0]
            out["escalation"] = await bench.escalation(plan["escalations"], plan["start_in"], plan["spread"], plan["ack_within"])
            _print_escalation(out["escalation"])

        asyncio.run(phases())
        out["server_errors"] = env.server_errors()
        return out
    finally:
        if parent_conn is not None and proc is not None and proc.is_alive():
            try:
                parent_conn.send(("stop", None))
                proc.join(10)
            except (OSError, BrokenPipeError):
                pass
        if proc is not None and proc.is_alive():
            proc.terminate()
            proc.join(5)
        env.close()


def _print_phase(name: str, r: dict) -> None:
    lat = r["latency"]
    line = (f"    {name}: {r['messages']} messages, {r['pairs']:,} deliveries; latency p50 {lat.get('p50', math.nan):.1f} ms, "
            f"p99 {lat.get('p99', math.nan):.1f} ms, max {lat.get('max', math.nan):.1f} ms; lost {r['lost']}, "
            f"duplicated {r['duplicated']}, out of order {r['out_of_order']}, messages missing {r['messages_missing']}")  # fmt: skip
    if "rate" in r:
        line += f"; {r['rate']:.1f} messages/s accepted ({r['errors']} errors)"
    srv = sum(v for k, v in r["cpu"].items() if k.startswith("server"))
    if r["messages"]:
        line += f"; server CPU {srv / r['messages'] * 1000:.1f} ms per message, listeners' {r['cpu']['listeners'] / r['messages'] * 1000:.1f}"
    if len(r["latency_by_server"]) > 1:
        line += "; " + ", ".join(f"server {k}: p50 {v['p50']:.1f} / p99 {v['p99']:.1f} ms" for k, v in r["latency_by_server"].items())
    log(line)


def _print_escalation(r: dict) -> None:
    lt = r["lateness"]
    log(f"    escalation: {r['deadlines']} deadlines {r['states']}; lateness p50 {lt.get('p50', math.nan):.0f} ms, "
        f"p99 {lt.get('p99', math.nan):.0f} ms, max {lt.get('max', math.nan):.0f} ms; missing {r['missing']}, "
        f"duplicated {r['duplicated']}; fired by {r['fired_by']}; streams lost {r['streams']['lost']}, "
        f"duplicated {r['streams']['duplicated']}, out of order {r['streams']['out_of_order']}")  # fmt: skip


# --- the report ---------------------------------------------------------------------------------------------

DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sulh/hotline", "sulh/deadlines"], cwd=ROOT,
                               capture_output=True, text=True, timeout=30, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"`{head}`" + (" with uncommitted changes to sulh/hotline or sulh/deadlines" if dirty else "")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _ms(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.0f} ms" if x >= 100 else f"{x:.1f} ms"


def _ok(flag: bool) -> str:
    return "✅" if flag else "❌"


def _zero(r: dict) -> bool:
    return not (r["lost"] or r["duplicated"] or r["out_of_order"] or r["unexpected"] or r["messages_missing"]
                or r["messages_duplicated"])  # fmt: skip


def render(results: dict, mach: dict, argv: list[str], plan: dict, notes: list[str]) -> str:
    dbs = list(results["dbs"])
    L = results["listeners"]
    md = [
        "## Hotline: live delivery to 200 listeners, throughput, escalation lateness",
        "",
        f"Measured on {mach['date']} with `python -m bench.hotline{(' ' + ' '.join(argv)) if argv else ''}` (rerun: "
        f"`{COMMAND}`, or `.venv/bin/python -m bench.hotline [--db sqlite|postgres|both] [--listeners N] [--messages N] "
        f"[--quick]`). Code: {results['code']}. Whole run: {results['seconds'] / 60:.1f} min.",
        "",
        _table(["machine", ""], [["CPU", f"{mach['cpu']}, {mach['cores']} cores"], ["memory", mach["memory"]],
                                 ["OS", mach["os"]], ["Python", mach["python"]], ["SQLite", mach["sqlite"]],
                                 ["PostgreSQL", mach["postgresql"]]]),  # fmt: skip
        "",
        f"**Set-up.** For each database, a scratch data directory (and a scratch PostgreSQL database), migrated, with "
        f"the charter's posts and channels; {L} listeners, each a distinct user holding one of PAK-S2, AFG-S2 or the "
        "mediators' cell (dealt in turn), which together are the whole audience of a message on channel S2-CHAMAN "
        f"and of every step of its ladder, each with an API token; {plan['senders']} senders holding AFG-S2. The "
        "server is the real one, `sulh serve` (uvicorn, one process, its deadline runner thread), started as a "
        "subprocess on 127.0.0.1. "
        + ("On PostgreSQL a second `sulh serve` process (B) runs beside the first (A): the senders post to A, and "
           "every other listener is connected to B, so that half the deliveries cross processes through PostgreSQL "
           "LISTEN/NOTIFY; both processes run a deadline runner. " if "postgres" in dbs and results["dbs"]["postgres"]["servers"] == 2 else "")
        + f"The {L} listeners are one asyncio process (bench/hotline_client.py, raw sockets, its own SSE parser) that "
        "holds every `GET /hotline/stream` open for the whole run; the senders are another, with keep-alive "
        "connections. Server, listeners, senders and the database share the machine's "
        f"{mach['cores']} cores.",
        "",
        "**What is measured.** *Delivery latency* of a (message, listener) pair: from just before the sender writes "
        "its `POST /api/v1/hotline/messages` to the moment the listener has read and parsed the message's `sent` "
        "event (`time.monotonic()` in both processes: one clock on Linux). It includes the request, the "
        "transaction (message, ledger entries, event and its audience, the stored deadline), the commit, waking "
        "the hub, the payload query, one SSE frame per listener, the socket and the parsing. *Messages lost, "
        "duplicated, out of order*: each listener's stream against the database (every `EventAudience` row of "
        "its post after the phase began, by seq), and each benchmark message found once in every stream. "
        "*Escalation lateness*: `fired_at − due_at` of each stored deadline (`deadlines_deadline`), `fired_at` "
        "stamped by the runner when the step's work is done, before its commit.",
        "",
        f"Load average of the machine (1 minute): {results['load'][0]:.1f} when the run began, "
        f"at most {results['load'][1]:.1f} during it, {results['load'][2]:.1f} at the end (the machine is shared: "
        "other work may have run alongside).",
    ]
    md += ["", "### Targets", ""]
    rows = []

    def per_db(fn):
        return [fn(results["dbs"][d]) for d in dbs]

    p99s = per_db(lambda r: r["latency"]["latency"].get("p99", math.nan))
    rows.append([f"delivery p99 < {TARGET_P99_MS:.0f} ms ({L} listeners, paced sends)", *[_ms(x) for x in p99s],
                 _ok(all(x < TARGET_P99_MS for x in p99s))])  # fmt: skip
    tp99 = per_db(lambda r: r["throughput"]["latency"].get("p99", math.nan))
    rows.append([f"delivery p99 < {TARGET_P99_MS:.0f} ms under sustained load", *[_ms(x) for x in tp99],
                 _ok(all(x < TARGET_P99_MS for x in tp99))])  # fmt: skip
    late = per_db(lambda r: r["escalation"]["lateness"].get("p99", math.nan) / 1000)
    rows.append([f"escalation lateness p99 < {TARGET_LATENESS_P99_S:.0f} s", *[f"{x:.2f} s" for x in late],
                 _ok(all(x < TARGET_LATENESS_P99_S for x in late))])  # fmt: skip
    zero = per_db(lambda r: _zero(r["latency"]) and _zero(r["throughput"]) and _zero(r["escalation"]["streams"]))
    lost = per_db(lambda r: sum(r[p]["lost"] + r[p]["messages_missing"] for p in ("latency", "throughput"))
                  + r["escalation"]["streams"]["lost"])  # fmt: skip
    dup = per_db(lambda r: sum(r[p]["duplicated"] + r[p]["messages_duplicated"] + r[p]["out_of_order"]
                               for p in ("latency", "throughput")) + r["escalation"]["streams"]["duplicated"]
                 + r["escalation"]["streams"]["out_of_order"])  # fmt: skip
    rows.append(["zero events lost / duplicated or out of order (every listener, every phase)",
                 *[f"{a} / {b}" for a, b in zip(lost, dup, strict=True)], _ok(all(zero))])  # fmt: skip
    once = per_db(lambda r: r["escalation"]["missing"] == 0 and r["escalation"]["duplicated"] == 0 and r["escalation"]["extra_events"] == 0)
    rows.append(["each (message, ladder step) fired exactly once", *[
        f"{r['escalation']['deadlines'] - r['escalation']['duplicated']} of {r['escalation']['messages'] * r['escalation']['steps']}"
        for r in (results["dbs"][d] for d in dbs)], _ok(all(once))])  # fmt: skip
    md.append(_table(["target", *[DB_NAMES[d] for d in dbs], "met"], rows))

    # 1. latency
    md += ["", "### 1. Delivery latency (paced)", "",
           f"One sender, {plan['messages']} messages (free text, routine, {len(BODY_TEXT) + 8} characters), one every "
           f"{plan['interval'] * 1000:.0f} ms; every message reaches every listener. p50 / p99 / max over all "
           "(message, listener) pairs.", ""]  # fmt: skip
    rows = []

    def lat_rows(phase: str):
        out = []
        out.append(["deliveries measured (message × listener)", *[f"{results['dbs'][d][phase]['pairs']:,}" for d in dbs]])
        out.append(["delivery latency p50 / p99 / max", *[
            "{} / {} / {}".format(*(_ms(results["dbs"][d][phase]["latency"].get(k)) for k in ("p50", "p99", "max"))) for d in dbs]])
        if any(len(results["dbs"][d][phase]["latency_by_server"]) > 1 for d in dbs):
            for label, what in (("A", "same process as the sender (A)"), ("B", "another process (B, LISTEN/NOTIFY)")):
                cells = []
                for d in dbs:
                    s = results["dbs"][d][phase]["latency_by_server"].get(label)
                    cells.append("{} / {} / {}".format(*(_ms(s.get(k)) for k in ("p50", "p99", "max"))) if s else "–")
                out.append([f"… listeners on {what}", *cells])
        out.append(["POST /api/v1/hotline/messages p50 / p99", *[
            f"{_ms(results['dbs'][d][phase]['post'].get('p50'))} / {_ms(results['dbs'][d][phase]['post'].get('p99'))}" for d in dbs]])
        out.append(["events lost / duplicated / out of order", *[
            f"{results['dbs'][d][phase]['lost']} / {results['dbs'][d][phase]['duplicated']} / {results['dbs'][d][phase]['out_of_order']}" for d in dbs]])
        out.append(["messages missing from a stream / seen twice", *[
            f"{results['dbs'][d][phase]['messages_missing']} / {results['dbs'][d][phase]['messages_duplicated']}" for d in dbs]])
        return out  # fmt: skip

    rows = lat_rows("latency")
    rows.append(["CPU seconds per second: servers / listeners / sender", *[_cpu_line(results["dbs"][d]["latency"]) for d in dbs]])
    md.append(_table(["", *[DB_NAMES[d] for d in dbs]], rows))

    # 2. throughput
    md += ["", "### 2. Sustained throughput", "",
           f"{plan['senders']} senders, each on its own keep-alive connection, POST the next message as soon as the "
           f"last is answered, for {plan['duration']:.0f} s; the same {L} listeners receive everything. Drain: from the "
           "last send to the last delivery.", ""]  # fmt: skip
    for d in dbs:  # accepted: answered 201, which are the messages timed
        tp = results["dbs"][d]["throughput"]
        tp["accepted"], tp["rate"] = tp["messages"], tp["messages"] / tp["seconds"]
    rows = [["messages accepted per second", *[f"**{results['dbs'][d]['throughput']['rate']:.1f}/s** "
                                                f"({results['dbs'][d]['throughput']['accepted']:,} in {results['dbs'][d]['throughput']['seconds']:.0f} s)" for d in dbs]],
            ["events delivered per second (all listeners)", *[
                f"{results['dbs'][d]['throughput']['pairs'] / results['dbs'][d]['throughput']['seconds']:,.0f}/s" for d in dbs]],
            ["errors", *[str(results["dbs"][d]["throughput"]["errors"]) for d in dbs]]]  # fmt: skip
    rows += lat_rows("throughput")
    rows.append(["drain after the last send", *[_ms((results["dbs"][d]["throughput"].get("drain_s") or math.nan) * 1000) for d in dbs]])
    rows.append(["CPU seconds per second: servers / listeners / senders", *[_cpu_line(results["dbs"][d]["throughput"]) for d in dbs]])
    md.append(_table(["", *[DB_NAMES[d] for d in dbs]], rows))

    # 3. escalation
    e0 = results["dbs"][dbs[0]]["escalation"]
    md += ["", "### 3. Escalation lateness", "",
           f"{e0['messages']} unanswered messages of phase 2: their first acknowledgement deadlines are set to fall due "
           f"evenly over {e0['spread_s']:.0f} s, and their ladder snapshots' `ack_within_s` to {e0['ack_within_s']} s, "
           f"so the deadline runner climbs each ladder through its {e0['steps']} steps (S2-CHAMAN, REG-SOUTH, NATIONAL, "
           "the mediators' cell, its repeat) to its expiry: about "
           f"{e0['messages'] / e0['spread_s']:.0f} deadlines falling due per second for "
           f"{e0['spread_s'] + (e0['steps'] - 1) * e0['ack_within_s']:.0f} s, while the {L} listeners receive every "
           "escalation. Lateness over every stored deadline.", ""]  # fmt: skip
    rows = [
        ["deadlines fired", *[f"{results['dbs'][d]['escalation']['deadlines']:,} {results['dbs'][d]['escalation']['states']}" for d in dbs]],
        ["lateness p50 / p99 / max", *["{} / {} / {}".format(*(_ms(results["dbs"][d]["escalation"]["lateness"].get(k)) for k in ("p50", "p99", "max"))) for d in dbs]],
        ["(message, step) missing / fired twice / extra events", *[
            f"{results['dbs'][d]['escalation']['missing']} / {results['dbs'][d]['escalation']['duplicated']} / {results['dbs'][d]['escalation']['extra_events']}" for d in dbs]],
        ["fired by (process: deadlines)", *[", ".join(f"{k.rsplit(':', 1)[-1]}: {v}" for k, v in sorted(results["dbs"][d]["escalation"]["fired_by"].items())) for d in dbs]],
        ["failed attempts (retried)", *[str(results["dbs"][d]["escalation"]["attempts"]) for d in dbs]],
        ["escalation events delivered to listeners", *[f"{results['dbs'][d]['escalation']['streams']['received']:,}" for d in dbs]],
        ["events lost / duplicated / out of order", *[
            f"{results['dbs'][d]['escalation']['streams']['lost']} / {results['dbs'][d]['escalation']['streams']['duplicated']} / {results['dbs'][d]['escalation']['streams']['out_of_order']}" for d in dbs]],
        ["CPU seconds per second: servers / listeners", *[_cpu_line(results["dbs"][d]["escalation"], sender=False) for d in dbs]],
    ]  # fmt: skip
    md.append(_table(["", *[DB_NAMES[d] for d in dbs]], rows))
    loads = "; ".join(f"{DB_NAMES[d]}: " + ", ".join(f"{k} {v:.1f}" for k, v in results["dbs"][d]["load"].items()) for d in dbs)
    md += ["", f"Load average as each phase began: {loads}."]
    errs = [e for d in dbs for e in results["dbs"][d]["server_errors"]]
    if errs:
        md += ["", "Errors in the servers' logs: " + "; ".join(f"`{e.strip()[:200]}`" for e in errs[:5]) + "."]
    if notes:
        md += ["", "### Observations", ""] + [f"- {n}" for n in notes]
    return "\n".join(md) + "\n"


def _server_cpu_ms(r: dict) -> float:
    srv = sum(v for k, v in r["cpu"].items() if k.startswith("server"))
    return srv / max(1, r["messages"]) * 1000


def observations(results: dict) -> list[str]:
    """Findings the figures support, each with its likely cause (profiled with py-spy; see the report)."""
    notes = []
    L = results["listeners"]
    for db, r in results["dbs"].items():
        name = DB_NAMES[db]
        lat, tp, esc = r["latency"], r["throughput"], r["escalation"]
        notes.append(
            f"{name}: the server spent {_server_cpu_ms(lat):.0f} ms of CPU per message when paced and "
            f"{_server_cpu_ms(tp):.0f} ms under load (all its threads, {r['servers']} process"
            f"{'es' if r['servers'] > 1 else ''}), of which `services.send` itself takes about 10 ms (measured alone on SQLite: 25 queries: "
            "the message and its sent event in one ledger append, the event's audience, the stored deadline, the "
            "ladder, the code counter, the protocol hook) "
            f"and most of the rest the fan-out to {L} streams (per listener: wake its task, one SSE chunk through "
            "Django's ASGI handler and uvicorn's httptools protocol on uvloop, one socket write). The delivery latency is that CPU "
            "time plus waiting for a core: the listeners and the senders run on the same 2 cores."
        )
        wall = tp["cpu"].get("wall") or tp["seconds"]
        a = tp["cpu"]["server A"] / wall
        notes.append(
            f"{name}: {tp['senders']} concurrent senders got {tp['messages'] / tp['seconds']:.1f} messages/s accepted, "
            f"each delivered to {L} streams, while the sender's server process used {a:.2f} CPU seconds per second"
            + (": it is saturated, since one Python process runs Python on one core at a time (the GIL) and request "
               "threads, the hub, the deadline runner and the event loop writing to every stream share it. The "
               "throughput is the inverse of the CPU per message above. Fixes: less CPU per send (the ORM queries of "
               "`services.send`), cheaper fan-out (Django's ASGI streaming costs a task switch and several awaits per "
               "chunk), and on PostgreSQL more server processes, listeners spread over them."
               if a >= 0.85 else
               ", short of a whole core: with the listeners, the other server process and other work on the 2 cores "
               "it waits for a core as much as for its own work; sends also serialise on the log head (the ledger's "
               "append lock) and the month's HL code counter row.")
        )
        if esc.get("achieved_rate"):
            late = esc["lateness"].get("p99", 0) / 1000
            notes.append(
                f"{name}: the deadline runner{'s' if r['servers'] > 1 else ''} fired {esc['deadlines']:,} deadlines "
                f"offered at about {esc['messages'] / esc['spread_s']:.0f}/s in {esc['window_s']:.1f} s from the first "
                f"due time ({esc['achieved_rate']:.0f}/s overall), p99 lateness {late:.2f} s. "
                + ("Lateness grows while the offered rate exceeds what the runner fires: each deadline is its own "
                   "transaction (claim the row, lock the message, append to the ledger under the log head lock, store "
                   "the event and its audience, schedule the next step), and the runner shares the process's GIL with "
                   "the fan-out of each escalation to every stream. Fix: claim due rows in batches (`SKIP LOCKED LIMIT "
                   "50`) and append their ledger entries with one `ledger.append([...])`, one commit per batch."
                   if late >= TARGET_LATENESS_P99_S else "Within the target at this rate.")
                + (f" Both processes fired ({', '.join(str(v) for v in esc['fired_by'].values())}), never the same "
                   "step twice (SKIP LOCKED, and the unique constraint per step)." if len(esc["fired_by"]) > 1 else "")
            )
        by = lat["latency_by_server"]
        if len(by) > 1:
            a, b = by["A"], by["B"]
            notes.append(
                f"{name}: listeners on the other process (B, woken by NOTIFY) got the paced messages at p50 "
                f"{_ms(b.get('p50'))} against {_ms(a.get('p50'))} on the sender's own process (A, woken in-process "
                "after commit): LISTEN/NOTIFY adds little; B's hub then reads the event from the database like A's."
            )
    return notes


def _cpu_line(r: dict, sender: bool = True) -> str:
    c = r["cpu"]
    wall = c.get("wall") or r.get("wall_s") or r.get("seconds")
    if not wall:
        return "–"
    srv = sum(v for k, v in c.items() if k.startswith("server"))
    parts = [f"{srv / wall:.2f}", f"{c['listeners'] / wall:.2f}"]
    if sender:
        parts.append(f"{c['sender'] / wall:.2f}")
    return " / ".join(parts)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.hotline", description="The hotline benchmark (docs/benchmarks.md)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default=None,
                   help="default: both when PostgreSQL answers, else sqlite")
    p.add_argument("--listeners", type=int, default=200)
    p.add_argument("--messages", type=int, default=None, help="messages of the latency phase (default 300)")
    p.add_argument("--interval-ms", type=float, default=100.0, help="pace of the latency phase")
    p.add_argument("--duration", type=float, default=None, help="seconds of sustained sending (default 30)")
    p.add_argument("--senders", type=int, default=4, help="concurrent senders of the throughput phase")
    p.add_argument("--escalations", type=int, default=None, help="messages escalated (default 500)")
    p.add_argument("--spread", type=float, default=5.0, help="seconds over which their first deadlines fall due")
    p.add_argument("--ack-within", type=int, default=5, help="seconds per ladder step in the escalation phase")
    p.add_argument("--servers", type=int, choices=[1, 2], default=2, help="PostgreSQL: server processes (default 2)")
    p.add_argument("--pg-db-prefix", default="sulh_bench_hotline", help="scratch PostgreSQL database: PREFIX_<pid>")
    p.add_argument("--quick", action="store_true", help="a small smoke run; does not rewrite docs/benchmarks.md")
    p.add_argument("--output", type=Path, default=None, help="the Markdown file to write the 'hotline' section of")
    p.add_argument("--json", type=Path, default=None, help="also save the figures as JSON to this file")
    p.add_argument("--render", type=Path, default=None, help="only render the section from a --json file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    if args.render:  # the section again from a saved run (after changing the text, not the figures)
        saved = json.loads(args.render.read_text())
        doc = render(saved["results"], saved["machine"], saved["argv"], saved["plan"],
                     saved["notes"] + observations(saved["results"]))  # fmt: skip
        log(doc)
        if args.output:
            from bench.doc import replace_section

            replace_section(SECTION, doc, args.output)
        return 0
    from bench.ledger import machine
    from bench.scratch import PG_ADMIN_URL, choose_databases

    plan = {"messages": 300, "interval": args.interval_ms / 1000, "duration": 30.0, "senders": args.senders,
            "escalations": 500, "start_in": 3.0, "spread": args.spread, "ack_within": args.ack_within}  # fmt: skip
    if args.quick:
        plan.update(messages=30, duration=5.0, escalations=100, spread=2.0, ack_within=2)
    if args.messages is not None:
        plan["messages"] = args.messages
    if args.duration is not None:
        plan["duration"] = args.duration
    if args.escalations is not None:
        plan["escalations"] = args.escalations
    dbs, notes, pg_version = choose_databases(args.db, log)

    started = time.perf_counter()
    code = code_version()
    loads = [os.getloadavg()[0]]
    sampling = threading.Event()

    def sample_load():
        while not sampling.wait(5):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=sample_load, daemon=True).start()
    results: dict = {"dbs": {}, "listeners": args.listeners, "code": code}
    for db in dbs:
        log(f"\n== hotline on {DB_NAMES[db]}: {args.listeners} listeners ==")
        results["dbs"][db] = run_db(db, args, plan, PG_ADMIN_URL)
    sampling.set()
    loads.append(os.getloadavg()[0])
    results["seconds"] = time.perf_counter() - started
    results["load"] = (loads[0], max(loads), loads[-1])
    mach = machine(pg_version)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "machine": mach, "argv": argv, "plan": plan,
                                         "notes": notes}, default=str))  # fmt: skip
    doc = render(results, mach, argv, plan, notes + observations(results))
    log("\n" + doc)
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if output is not None:
        from bench.doc import replace_section

        replace_section(SECTION, doc, output)
        log(f"written: section '{SECTION}' of {output}")
    else:
        log("(--quick: docs/benchmarks.md left as it is; --output PATH to write the section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
