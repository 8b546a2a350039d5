"""Commitments, co-signed documents and intelligence envelopes: `python -m bench.commitments [--obligations N]
[--db sqlite|postgres|both] [--quick]` (`make bench-commitments`). Results: the "commitments" section of
docs/benchmarks.md.

1. Intelligence envelopes (sulh/intel/crypto.py, no database): seal a 2 KiB and a 1 MiB report for its three
   recipients (the receiving party and the two mediators), the server's check (structure, recipients,
   signature), and a desk's open (signature, then decryption).
2. Documents (no database): the server's check of one uploaded signature line (the pure part of
   documents.services.sign) and `sulh doc verify` of a note signed by the four organisations.
3. Commitments, per database, in a scratch Sulh (bench/scratch.py): N obligations over several agreements, a
   sample entered and changed through the services, the rest bulk-inserted with the ORM (the services take
   milliseconds a call: the report gives the figure), then the dashboard, the lists, an obligation and its
   state change through Django's test Client, as a mediator and as a party: time, SQL queries and bytes.
   Query counts are also taken at a tenth of N: a count that grows with N is an N+1.
The database part runs in a subprocess of this module (`--worker`), with Django set up for the scratch
database."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from .ledger import _table, machine, stats

ROOT = Path(__file__).resolve().parent.parent
SECTION = "commitments"
COMMAND = "make bench-commitments"
TARGET_P99_MS = 500.0  # any request at N obligations, on the measuring machine
ORGS = ("AFG", "PAK", "QAT", "TUR")


def log(msg: str) -> None:
    print(msg, flush=True)


def timed(fn, reps: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def rate(seconds: list[float]) -> dict:
    s = stats(seconds)
    return {**s, "per_s": len(seconds) / sum(seconds)}


# --- 1. intelligence envelopes, 2. documents ----------------------------------------------------------------


def bench_envelopes(keys: dict, reps: dict) -> dict:
    import base64

    from sulh.intel import crypto

    recipients = {org: keys[org].intel_public for org in ("AFG", "QAT", "TUR")}
    org_keys = {o: crypto.OrgKey(o, k.intel_public, k.intel_verifier_key) for o, k in keys.items()}
    out = {}
    for label, size in (("2 KiB", 2048), ("1 MiB", 1 << 20)):
        payload = {"what": {"group": "TTP", "activity": "about 30 fighters moving towards the Mohmand sector"},
                   "where": {"point": {"lat": 34.2376, "lon": 71.0912}, "precision_m": 3000},
                   "when": {"from": "2025-11-02T22:00:00+04:30"}, "action_requested": "Interdict", "notes": "",
                   "material": []}  # fmt: skip
        if size > 4096:  # a photo as supporting material, as `sulh intel send --material` seals it
            data = base64.b64encode(os.urandom(size * 3 // 4 - 200)).decode()
            payload["material"] = [
                {"name": "still.jpg", "media_type": "image/jpeg", "sha256": "0" * 64, "data": data}
            ]
        payload["notes"] = "x" * max(0, size - len(crypto.canonical(payload)))

        def seal(p=payload):
            return crypto.seal(p, kind="report", report_id=str(uuid.uuid4()), sender="PAK", receiver="AFG",
                               classification="MECHANISM-RESTRICTED", recipients=recipients,
                               signer_key=keys["PAK"].intel_signer_key)  # fmt: skip

        env = seal()

        def desk_open(env=env):
            crypto.check_structure(env)
            crypto.verify_signature(env, org_keys["PAK"].signing)
            return crypto.open_envelope(env, "AFG", keys["AFG"].intel_private)

        assert desk_open() == json.loads(crypto.canonical(payload))
        n = reps[label]
        out[label] = {
            "payload_bytes": len(crypto.canonical(payload)), "envelope_bytes": len(crypto.envelope_bytes(env)),
            "seal": rate(timed(seal, n)),
            "check": rate(timed(lambda env=env: crypto.check(env, org_keys, expected_recipients={"AFG", "QAT", "TUR"}), n)),
            "open": rate(timed(desk_open, n)),
        }  # fmt: skip
    return out


def bench_documents(keys: dict, charter, charter_path: Path, reps: int) -> dict:
    from sulh.charter.loader import load_charter
    from sulh.documents import text as doctext
    from sulh.ledger import note

    body = "\n".join(
        f"{i}. The parties reaffirm clause {i} of the Doha ceasefire and agree to meet again."
        for i in range(1, 31)
    )
    text = doctext.build_text(origin=charter.origin, code="DOC-2025-0001", number=1, previous_sha256=None,
                              kind="joint_statement", title="Joint statement of the Istanbul talks", body=body)  # fmt: skip
    signed = note.sign_note(text, [note.parse_signer_key(keys[o].signer_key) for o in ORGS])
    line = note.parse_signer_key(keys["AFG"].signer_key).sign(text).strip()

    def server_check():  # documents.services.sign without its transaction
        sig = note.parse_signature_line(line)
        _, ks = doctext.charter_keys(charter)
        key = doctext.find_key(ks, sig)
        assert key is not None and key.verifier.verify(text, sig.signature)

    key = doctext.find_key(doctext.charter_keys(charter)[1], note.parse_signature_line(line))
    assert doctext.verify(signed, charter).agreed
    return {
        "text_bytes": len(text.encode()), "signed_bytes": len(signed.encode()),
        "server_check": rate(timed(server_check, reps)),
        "ed25519": rate(timed(lambda: key.verifier.verify(text, note.parse_signature_line(line).signature), reps)),
        "verify": rate(timed(lambda: doctext.verify(signed, charter), reps)),
        "charter_load": stats(timed(lambda: load_charter(charter_path), 1 if reps < 1000 else 3, warmup=0)),
    }  # fmt: skip


# --- 3. commitments in a scratch database (the worker) ------------------------------------------------------

# final state: (weight, paths of changes leading to it)
STATES = {
    "pending": (15, [[]]),
    "in_progress": (20, [["in_progress"], ["in_progress", "disputed", "in_progress"]]),
    "met": (30, [["in_progress", "met"], ["in_progress", "partly_met", "met"], ["in_progress", "met", "disputed", "met"]]),
    "partly_met": (10, [["in_progress", "partly_met"], ["in_progress", "partly_met", "disputed", "partly_met"]]),
    "breached": (10, [["in_progress", "breached"], ["in_progress", "disputed", "breached"]]),
    "disputed": (15, [["in_progress", "met", "disputed"], ["in_progress", "breached", "disputed"]]),
}  # fmt: skip


def _who(users, state: str, obliged: list[str]) -> tuple:
    """(user, as_actor) for a change to `state`, as the charter allows it."""
    if state in ("met", "partly_met", "breached"):
        return users["qat_verifier"], "mediators"
    if state == "in_progress":
        return users[f"{obliged[0].lower()}_liaison"], "obliged_party"
    other = [p for p in ("AFG", "PAK") if p not in obliged] or obliged
    return users[f"{other[0].lower()}_liaison"], "other_party"


def _plan(rng: random.Random, now: datetime) -> dict:
    """One obligation's facts: kind, owed by, due time (±60 days), perhaps an end, final state and path."""
    obliged = rng.choices([["AFG"], ["PAK"], ["AFG", "PAK"]], [40, 40, 20])[0]
    state = rng.choices(list(STATES), [w for w, _ in STATES.values()])[0]
    p = {"obliged": obliged, "path": rng.choice(STATES[state][1]), "created_at": now - timedelta(days=rng.uniform(60, 150)),
         "kind": rng.choice(["crossing_reopening", "detainee_release", "meeting", "other"]), "due_at": None,
         "starts_at": None, "ends_at": None}  # fmt: skip
    r = rng.random()
    if r < 0.12:  # a time-limited ceasefire (or its extension): some ended, some about to
        p.update(kind="ceasefire", starts_at=now - timedelta(days=rng.uniform(1, 60)))
        p["ends_at"] = max(p["starts_at"] + timedelta(hours=48), now + timedelta(days=rng.uniform(-30, 10)))
    elif r < 0.97:
        p["due_at"] = now + timedelta(days=rng.uniform(-60, 60))
    return p


def make_agreements(n: int, users: dict) -> list:
    from django.utils import timezone

    from sulh.commitments import services

    now, out = timezone.now(), []
    for i in range(max(2, n // 250)):
        a = services.enter_agreement(users["qat_verifier"], code=f"BENCH-{i:03d}", title=f"Round {i + 1} of the talks",
                                     place="Doha", date=(now - timedelta(days=150 - i % 90)).date(),
                                     clauses=[{"number": str(k), "text": f"Clause {k} of round {i + 1}."} for k in range(1, 7)])  # fmt: skip
        out.append((a, list(a.clauses.all())))
    return out


def add_obligations(
    n: int, sample: int, agreements: list, users: dict, evidence: str, rng: random.Random
) -> dict:
    """`sample` obligations (and their changes) through the services, timed; the other n - sample in bulk."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sulh.commitments import services
    from sulh.commitments.models import Obligation, ObligationChange, Warning

    now, med = timezone.now(), users["qat_verifier"]
    t_create, t_change = [], []
    for _ in range(min(sample, n)):  # through the services: codes, ledger entries, deadlines, checks
        p = _plan(rng, now)
        a, clauses = rng.choice(agreements)
        t = time.perf_counter()
        ob = services.create_obligation(med, a.code, kind=p["kind"], title="Reopen the crossing to trade", clause=rng.choice(clauses).number,
                                        obliged=p["obliged"], due_at=p["due_at"], starts_at=p["starts_at"], ends_at=p["ends_at"])  # fmt: skip
        t_create.append(time.perf_counter() - t)
        for state in p["path"]:
            user, _ = _who(users, state, p["obliged"])
            t = time.perf_counter()
            services.change_state(user, ob.code, state, reason="Seen by the joint monitors.",
                                  evidence_ids=[] if state == "disputed" else [evidence])  # fmt: skip
            t_change.append(time.perf_counter() - t)
    # The bulk, with the ORM: the same facts, the changes' times spread between entry and now. Codes follow on.
    first = Obligation.objects.filter(code__startswith=f"OBL-{now:%Y}-").count() + 1
    t0 = time.perf_counter()
    rows, changes, warnings, made = [], [], [], []
    for i in range(n - min(sample, n)):
        p = _plan(rng, now)
        a, clauses = rng.choice(agreements)
        ob = Obligation(code=f"OBL-{now:%Y}-{first + i:04d}", agreement=a, clause=rng.choice(clauses), kind=p["kind"],
                        title="Release the listed detainees", obliged=p["obliged"], due_at=p["due_at"], starts_at=p["starts_at"],
                        ends_at=p["ends_at"], created_by=med, created_at=p["created_at"])  # fmt: skip
        if (
            p["due_at"] is None and p["ends_at"] is None and made
        ):  # relative: due two weeks after another is met
            ob.due_after, ob.due_offset_s = rng.choice(made[-200:]), 14 * 86400
            if ob.due_after.state == "met":
                ob.due_at = ob.due_after.state_changed_at + timedelta(days=14)
        times = sorted(p["created_at"] + (now - p["created_at"]) * rng.random() for _ in p["path"])
        state = "pending"
        for to, at in zip(p["path"], times, strict=True):
            user, actor = _who(users, to, p["obliged"])
            changes.append(ObligationChange(obligation=ob, from_state=state, to_state=to, reason="Seen by the monitors.",
                                            evidence_ids=[] if to == "disputed" else [evidence], by=user,
                                            by_org=user.organisation.code, as_actor=actor, at=at))  # fmt: skip
            state = to
        ob.state, ob.state_changed_at = state, times[-1] if times else None
        if ob.due_at and ob.due_at < now and state in services.OPEN_STATES:
            ob.overdue_at = ob.due_at
            warnings.append(Warning(obligation=ob, kind="overdue", at=ob.due_at))
        if ob.ends_at and ob.ends_at <= now:
            ob.lapsed_at = ob.ends_at
            warnings.append(Warning(obligation=ob, kind="lapsed", step=services.LAPSE_STEP, at=ob.ends_at))
        elif ob.ends_at and ob.ends_at - now < timedelta(days=1):
            warnings.append(
                Warning(obligation=ob, kind="expiry", lead_s=86400, at=ob.ends_at - timedelta(days=1))
            )
        rows.append(ob)
        made.append(ob)
        if len(rows) >= 2000 or i == n - min(sample, n) - 1:  # the last batch too
            with transaction.atomic():
                Obligation.objects.bulk_create(rows)
                ObligationChange.objects.bulk_create(changes)
                Warning.objects.bulk_create(warnings)
            rows, changes, warnings = [], [], []
    t_bulk = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")  # what autovacuum does soon after such a load
    return {"create_s": t_create, "change_s": t_change, "bulk_s": t_bulk, "bulk_rows": n - len(t_create)}


def counts() -> dict:
    from sulh.commitments.models import Agreement, Obligation, ObligationChange, Warning

    return {"obligations": Obligation.objects.count(), "changes": ObligationChange.objects.count(),
            "warnings": Warning.objects.count(), "agreements": Agreement.objects.count(),
            "by_state": {s: Obligation.objects.filter(state=s).count() for s in STATES}}  # fmt: skip


def worker(params: dict) -> dict:
    import django

    os.environ["SULH_ALLOWED_HOSTS"] += ",testserver"  # Django's test Client
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sulh.accounts.models import ApiToken, User
    from sulh.commitments.context_processors import commitment_warnings
    from sulh.commitments.models import Obligation
    from sulh.evidence.services import EvidenceMeta, attach
    from sulh.incidents.schemas import IncidentIn
    from sulh.incidents.services import create_incident

    users = {u.username: u for u in User.objects.select_related("organisation")}
    claim = create_incident(users["pak_liaison"], IncidentIn(title="Cross-border fire near Landi Kotal", event_type="Ceasefire violation",
                            sub_event_type="Cross-border fire", date_start="2025-10-24T22:30:00+05:00", latitude=34.0988,
                            longitude=71.1453, source_name="ISPR", audience="parties"))  # fmt: skip
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
    evidence = str(attach(users["qat_verifier"], SimpleUploadedFile("photo.jpg", jpeg, content_type="image/jpeg"),
                          EvidenceMeta(description="Photo", audience="parties"), incident_ref=claim.incident.code).pk)  # fmt: skip
    roles = {"mediator": users["qat_verifier"], "party": users["afg_liaison"]}
    clients = {}
    for role, user in roles.items():
        console = Client()
        console.force_login(user)
        if user.requires_second_factor:
            session = console.session
            session["otp_device_id"] = TOTPDevice.objects.create(
                user=user, name="phone", confirmed=True
            ).persistent_id
            session.save()
        clients[role] = (console, Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'bench')[1]}"))
    rng = random.Random(params["seed"])

    def requests(role: str) -> dict:
        """name -> a function making one request (each POST changes another obligation)."""
        console, api = clients[role]
        with_changes = list(
            Obligation.objects.exclude(state="pending").order_by("?").values_list("code", flat=True)[:200]
        )
        target = (
            ("met", ["pending", "in_progress"])
            if role == "mediator"
            else (
                "disputed",
                ["pending", "in_progress"],
            )  # disputing a met one restarts its clocks: more queries, whatever N
        )
        todo = iter(
            Obligation.objects.filter(state__in=target[1]).order_by("?").values_list("code", flat=True)[:500]
        )
        body = {
            "to_state": target[0],
            "reason": "Seen by the joint monitors.",
            "evidence_ids": [] if role == "party" else [evidence],
        }
        return {
            "GET /commitments/": lambda: console.get("/commitments/"),
            "GET /api/v1/commitments/dashboard": lambda: api.get("/api/v1/commitments/dashboard"),
            "GET /api/v1/obligations?state=pending&party=AFG": lambda: api.get("/api/v1/obligations", {"state": "pending", "party": "AFG"}),
            "GET /api/v1/obligations/{code}": lambda: api.get(f"/api/v1/obligations/{rng.choice(with_changes)}"),
            "POST /api/v1/obligations/{code}/state": lambda: api.post(f"/api/v1/obligations/{next(todo)}/state", body,
                                                                       content_type="application/json"),
        }  # fmt: skip

    def one(fn) -> tuple[float, int, int]:
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            r = fn()
            dt_ = time.perf_counter() - t
        if r.status_code not in (200, 201):
            raise RuntimeError(f"{r.status_code}: {r.content[:500]!r}")
        return dt_, len(q.captured_queries), len(r.content)

    def probe() -> dict:
        """(fewest, most) queries of 3 requests each, after one warm-up (a token's first use is recorded)."""
        out = {}
        for role in roles:
            for name, fn in requests(role).items():
                counts = [one(fn)[1] for _ in range(4)][1:]
                out[f"{role} {name}"] = (min(counts), max(counts))
        return out

    n = params["obligations"]
    small = min(n, max(params["sample"], n // 10))
    agreements = make_agreements(n, users)
    a = add_obligations(small, params["sample"], agreements, users, evidence, rng)
    out = {"small": counts(), "queries_small": probe()}  # query counts at a tenth of N, then at N
    b = add_obligations(n - small, 0, agreements, users, evidence, rng)
    out["seed"] = {**counts(), "sample": len(a["create_s"]), "create_ms": stats(a["create_s"]), "change_ms": stats(a["change_s"]),
                   "bulk_rows": a["bulk_rows"] + b["bulk_rows"], "bulk_s": a["bulk_s"] + b["bulk_s"]}  # fmt: skip
    out["queries"] = probe()
    out["requests"] = {}
    for role in roles:
        for name, fn in requests(role).items():
            samples = [one(fn) for _ in range(params["reps"] + 2)][2:]
            out["requests"][f"{role} {name}"] = {**stats([s[0] for s in samples]), "queries": sorted({s[1] for s in samples}),
                                                 "kb": sum(s[2] for s in samples) / len(samples) / 1024}  # fmt: skip
    req = RequestFactory().get("/")
    req.user = roles["party"]

    def banner():
        return render_to_string("commitments/_warnings_banner.html", commitment_warnings(req))

    with CaptureQueriesContext(connection) as q:
        banner()
    out["banner"] = {
        **stats(timed(banner, params["reps"] * 4)),
        "queries": len(q.captured_queries),
        "shown": banner().count("<li>"),
    }
    return out


# --- the report ---------------------------------------------------------------------------------------------


def _ms(x: float) -> str:
    return f"{x:,.2f} ms" if x < 100 else f"{x:,.0f} ms"


def render(r: dict, mach: dict, argv: list[str], notes: list[str]) -> str:
    dbs = list(r["dbs"])
    args = f' BENCH_ARGS="{" ".join(argv)}"' if argv else ""
    md = ["## Commitments, co-signed documents and intelligence envelopes", "",
          f"Measured on {mach['date']}: {mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM, {mach['os']}; Python "
          f"{mach['python']}, SQLite {mach['sqlite']}, PostgreSQL {mach['postgresql']}. Command: `{COMMAND}{args}` "
          f"({r['seconds']:.0f} s; load average "
          f"{r['load'][0]:.1f} at the start, {r['load'][1]:.1f} at the end). One core: every figure is one request "
          "or one operation at a time. A slow laptop is several times slower.", *[f"\n{x}" for x in notes], "",
          "### 1. Intelligence envelopes (report sealed for AFG, QAT and TUR; no database)", ""]  # fmt: skip
    rows = []
    for label, e in r["envelopes"].items():
        for op, what in (("seal", "seal (desk)"), ("check", "server's check: structure, recipients, signature"),
                         ("open", "open (desk): signature, then decryption")):  # fmt: skip
            s = e[op]
            rows.append([f"{label} payload ({e['envelope_bytes'] / 1024:,.0f} KiB envelope): {what}", f"{s['per_s']:,.0f}/s",
                         _ms(s["p50"]), _ms(s["p99"])])  # fmt: skip
    md += [
        _table(["operation", "per second", "p50", "p99"], rows),
        "",
        "### 2. Co-signed documents (no database)",
        "",
    ]
    d = r["documents"]
    md += [_table(["operation", "per second", "p50", "p99"], [
        ["server's check of one signature line (parse, the charter's keys, Ed25519)", f"{d['server_check']['per_s']:,.0f}/s",
         _ms(d["server_check"]["p50"]), _ms(d["server_check"]["p99"])],
        ["of which the Ed25519 verification", f"{d['ed25519']['per_s']:,.0f}/s", _ms(d["ed25519"]["p50"]), _ms(d["ed25519"]["p99"])],
        [f"`sulh doc verify` of a 4-signature note ({d['signed_bytes']:,} bytes), charter loaded", f"{d['verify']['per_s']:,.0f}/s",
         _ms(d["verify"]["p50"]), _ms(d["verify"]["p99"])],
        ["loading the keyed charter (what each `sulh doc verify` run also pays)", "", _ms(d["charter_load"]["p50"]), ""],
    ]), ""]  # fmt: skip
    s0 = r["dbs"][dbs[0]]["seed"]
    md += [f"### 3. Commitments at {s0['obligations']:,} obligations", "",
           f"Per database: {s0['agreements']} agreements, {s0['obligations']:,} obligations ({', '.join(f'{k} {v:,}' for k, v in s0['by_state'].items())}), "
           f"{s0['changes']:,} changes, {s0['warnings']:,} warnings; due times spread over ±60 days, 12% time-limited "
           f"(some ended), some due relative to another. {s0['sample']} obligations and their changes went through the services; "
           f"the other {s0['bulk_rows']:,} were bulk-inserted with the ORM (no ledger entries or deadlines for those: the "
           "reads measured do not use them).", ""]  # fmt: skip
    md += [_table(["", *[mach_db(db) for db in dbs]], [
        ["services: enter an obligation, p50 / p99", *[f"{_ms(r['dbs'][db]['seed']['create_ms']['p50'])} / {_ms(r['dbs'][db]['seed']['create_ms']['p99'])}" for db in dbs]],
        ["services: change its state, p50 / p99", *[f"{_ms(r['dbs'][db]['seed']['change_ms']['p50'])} / {_ms(r['dbs'][db]['seed']['change_ms']['p99'])}" for db in dbs]],
        ["bulk insert, rows of obligations per second", *[f"{r['dbs'][db]['seed']['bulk_rows'] / max(r['dbs'][db]['seed']['bulk_s'], 1e-9):,.0f}/s" for db in dbs]],
    ]), ""]  # fmt: skip
    rows, grown = [], []
    for key in r["dbs"][dbs[0]]["requests"]:
        cells = []
        for db in dbs:
            x, q0, q1 = (
                r["dbs"][db]["requests"][key],
                r["dbs"][db]["queries_small"][key],
                r["dbs"][db]["queries"][key],
            )
            q = x["queries"]
            cells.append(
                f"{_ms(x['p50'])} / {_ms(x['p99'])} · {q[0]}{f'–{q[-1]}' if len(q) > 1 else ''} q · {x['kb']:,.1f} KiB"
            )
            if (
                q1[0] > q0[1]
            ):  # more at N than at N/10, whatever the obligation (a POST's count depends on its state)
                n0, n1 = r["dbs"][db]["small"]["obligations"], r["dbs"][db]["seed"]["obligations"]
                grown.append(
                    f"{key} on {mach_db(db)}: {q0[0]}–{q0[1]} queries at {n0:,} obligations, {q1[0]}–{q1[1]} at {n1:,}"
                )
        role, name = key.split(" ", 1)
        rows.append([f"`{name}`", role, *cells])
    md += [f"Requests through Django's test Client (middleware, views, templates; no network), {r['reps']} each after "
           "two warm-ups: p50 / p99 · SQL queries per request · response size (uncompressed).", "",
           _table(["request", "as", *[mach_db(db) for db in dbs]], rows), ""]  # fmt: skip
    b = {db: r["dbs"][db]["banner"] for db in dbs}
    md += ["The warnings banner on every console page (context processor and its template, for a party): "
           + "; ".join(f"{mach_db(db)} {b[db]['queries']} query, {_ms(b[db]['p50'])} p50, {_ms(b[db]['p99'])} p99 "
                       f"({b[db]['shown']} warnings shown)" for db in dbs) + ".", "", "### Targets", ""]  # fmt: skip
    worst = {db: max(x["p99"] for x in r["dbs"][db]["requests"].values()) for db in dbs}
    md += [_table(["target", *[mach_db(db) for db in dbs], "met?"], [
        ["SQL queries per request do not grow with the number of obligations", *["same" if not [g for g in grown if mach_db(db) in g] else "**grows**" for db in dbs], "✅" if not grown else "❌"],
        [f"every request above < {TARGET_P99_MS:g} ms p99", *[_ms(worst[db]) for db in dbs], "✅" if max(worst.values()) < TARGET_P99_MS else "❌"],
    ]), ""]  # fmt: skip
    if grown:
        md += ["Query counts that grow with N (an N+1):", "", *[f"- {g}" for g in grown], ""]
    return "\n".join(md).rstrip() + "\n"


def mach_db(db: str) -> str:
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]


# --- main ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        Path(argv[2]).write_text(json.dumps(worker(json.loads(Path(argv[1]).read_text()))))
        return 0
    p = argparse.ArgumentParser(prog="python -m bench.commitments", description=__doc__.split("\n\n")[0])
    p.add_argument("--obligations", type=int, default=None, help="obligations per database (default 5000)")
    p.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        default=None,
        help="default: both when PostgreSQL answers",
    )
    p.add_argument(
        "--quick", action="store_true", help="a small smoke run; does not rewrite docs/benchmarks.md"
    )
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="document to write the section into (default docs/benchmarks.md)",
    )
    args = p.parse_args(argv)
    from sulh.charter.keyed import Keyring, make_keys, write_keyed_charter
    from sulh.charter.loader import load_charter

    from . import scratch
    from .doc import DOC, replace_section

    params = {"obligations": args.obligations or (300 if args.quick else 5000), "sample": 30 if args.quick else 200,
              "reps": 10 if args.quick else 50, "seed": 20251019}  # fmt: skip
    dbs, notes, pg_version = scratch.choose_databases(args.db, log)
    scratch.PG_BENCH_DB = f"sulh_bench_commitments_{os.getpid()}"  # not the incident benchmark's database
    started, load0 = time.perf_counter(), os.getloadavg()[0]
    results: dict = {"dbs": {}, "reps": params["reps"]}
    keys = {o: make_keys(o) for o in ORGS}
    with tempfile.TemporaryDirectory(prefix="sulh-bench-commitments-") as tmp:
        shipped = os.environ.get("SULH_CHARTER", str(ROOT / "sulh" / "charter" / "charters" / "af-pak.yaml"))
        path = write_keyed_charter(shipped, Path(tmp) / "keyed.yaml", Keyring(dict(keys)))
        log("== intelligence envelopes ==")
        results["envelopes"] = bench_envelopes(
            keys, {"2 KiB": 50 if args.quick else 1000, "1 MiB": 5 if args.quick else 50}
        )
        log("== co-signed documents ==")
        results["documents"] = bench_documents(keys, load_charter(path), path, 200 if args.quick else 2000)
        for db in dbs:
            log(f"== commitments on {mach_db(db)}: {params['obligations']:,} obligations ==")
            with scratch.Scratch(db, log=log) as env:
                pf, rf = Path(tmp) / f"params-{db}.json", Path(tmp) / f"result-{db}.json"
                pf.write_text(json.dumps(params))
                env.run(
                    [scratch.python_exe(), "-m", "bench.commitments", "--worker", str(pf), str(rf)],
                    timeout=3600,
                )
                results["dbs"][db] = json.loads(rf.read_text())
    results["seconds"], results["load"] = time.perf_counter() - started, (load0, os.getloadavg()[0])
    doc = render(results, machine(pg_version), argv, notes)
    log("\n" + doc)
    output = args.output or (None if args.quick else DOC)
    if output is not None:
        replace_section(SECTION, doc, output)
        log(f"written: section '{SECTION}' of {output}")
    else:
        log("(--quick: docs/benchmarks.md left as it is; --output PATH to write the section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
