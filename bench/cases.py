"""The two benchmarks: incident creation through the API, and the incident list and export at N incidents."""

import json
import random
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

from .client import Conn, LoadResult, Timing, percentile, run_load, time_get
from .scratch import Scratch

API = "/api/v1"
PARTY_USER = "pak_liaison"
MEDIATOR_USER = "qat_verifier"
FILERS = {"PAK": "pak_liaison", "AFG": "afg_liaison"}  # who files from which side of the border
ZONES = {"PAK": "+05:00", "AFG": "+04:30"}

CREATE_EVENTS = [
    ("Ceasefire violation", "Cross-border fire"),
    ("Ceasefire violation", "Airspace violation"),
    ("Ceasefire violation", "Ground incursion"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Explosions/Remote violence", "Air/drone strike"),
    ("Battles", "Armed clash"),
]


@dataclass
class Settings:
    incidents: int = 100_000
    create_count: int = 2000
    concurrencies: tuple[int, ...] = (1, 4)
    replay_count: int = 500
    list_reps: int = 50
    list_warmups: int = 3
    list_max_s: float = 15.0
    export_reps: int = 5
    export_warmups: int = 1
    export_max_s: float = 30.0
    create_max_s: float = 120.0


@dataclass
class CreateResults:
    rows: list[tuple[str, LoadResult]] = field(default_factory=list)


@dataclass
class ListResults:
    load: dict = field(default_factory=dict)
    load_wall_s: float = 0.0
    timings: list[tuple[str, str, Timing]] = field(default_factory=list)  # (scenario, user, timing)
    exports: list[tuple[str, Timing]] = field(default_factory=list)
    explain: dict = field(default_factory=dict)


# --- 1. creation ---------------------------------------------------------------------------------


def _payload(rng: random.Random, point: dict, i: int) -> dict:
    side = point["side"]
    accused = "AFG" if side == "PAK" else "PAK"
    event_type, sub_event_type = rng.choice(CREATE_EVENTS)
    day = 9 + rng.randrange(43)  # 9 October + 0..42 days
    month, dom = (10, day) if day <= 31 else (11, day - 31)
    hh, mm = rng.randrange(24), rng.randrange(60)
    start = f"2025-{month:02d}-{dom:02d}T{hh:02d}:{mm:02d}:00{ZONES[side]}"
    place = point["name"].replace("_", " ").title()
    data = {
        "title": f"{sub_event_type} near {place} #{i}",
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "date_start": start,
        "date_prec": 1,
        "latitude": round(point["lat"] + rng.uniform(-0.01, 0.01), 5),
        "longitude": round(point["lon"] + rng.uniform(-0.01, 0.01), 5),
        "where_prec": rng.choice([1, 2, 2, 3]),
        "location_name": place,
        "alleged_violator": accused,
        "source_name": "ISPR" if side == "PAK" else "Ministry of Defence spokesman",
        "actor1": "Afghan Taliban forces" if accused == "AFG" else "Pakistan Army",
        "inter1": 1,
        "actor2": "Pakistan Army" if side == "PAK" else "Afghan Taliban forces",
        "inter2": 1,
        "audience": rng.choice(["mediators", "parties", "parties", "public"]),
        "narrative": f"Report {i}: {sub_event_type.lower()} near {place}.",
    }
    if rng.random() < 0.5:
        data["clause"] = "DOHA-2025/2"
    if rng.random() < 0.5:
        data["deaths_a"], data["deaths_b"] = rng.randrange(6), rng.randrange(6)
    elif rng.random() < 0.5:
        low = rng.randrange(10)
        data.update(deaths_low=low, deaths_best=low + 2, deaths_high=low + 5)
    return data


def bench_create(db: str, s: Settings, log) -> CreateResults:
    out = CreateResults()
    with Scratch(db, log=log) as env:
        points = [p for p in env.seed("users")["sample_points"] if p["side"] in FILERS]
        tokens = {side: env.token(user) for side, user in FILERS.items()}
        env.serve()
        log(f"  server on 127.0.0.1:{env.port}; sample points: {', '.join(p['name'] for p in points)}")
        rng = random.Random(7)
        run = 0
        for idem in (False, True):
            for conc in s.concurrencies:
                run += 1
                bodies = []
                for i in range(s.create_count):
                    point = points[i % len(points)]
                    body = json.dumps(_payload(rng, point, run * 100_000 + i)).encode()
                    headers = {"Authorization": f"Bearer {tokens[point['side']]}"}
                    if idem:
                        headers["Idempotency-Key"] = str(uuid.uuid4())
                    bodies.append((body, headers))

                def make(i, bodies=bodies):
                    return "POST", f"{API}/incidents", bodies[i][0], bodies[i][1]

                label = "with Idempotency-Key" if idem else "plain"
                res = run_load(env.port, tokens["PAK"], s.create_count, conc, make, expect=201, max_seconds=s.create_max_s)
                out.rows.append((label, res))
                log(f"  create {label:22s} c={conc}: {res.requests} req, {res.rps:7.1f} req/s, "
                    f"p50 {res.ms(50):6.1f} ms, p95 {res.ms(95):6.1f} ms, p99 {res.ms(99):6.1f} ms, errors {res.errors}"
                    + (f" (first: {res.first_error})" if res.errors else ""))
                if idem and conc == s.concurrencies[0] and s.replay_count:
                    replays = bodies[: s.replay_count]

                    def make_replay(i, replays=replays):
                        return "POST", f"{API}/incidents", replays[i][0], replays[i][1]

                    res = run_load(env.port, tokens["PAK"], len(replays), conc, make_replay, expect=201,
                                   max_seconds=s.create_max_s)
                    out.rows.append(("replay of a stored key", res))
                    log(f"  create {'replay':22s} c={conc}: {res.requests} req, {res.rps:7.1f} req/s, "
                        f"p50 {res.ms(50):6.1f} ms, p99 {res.ms(99):6.1f} ms, errors {res.errors}")
    return out


# --- 2. list and export ---------------------------------------------------------------------------

WEEK = {"since": "2025-10-13T00:00:00Z", "until": "2025-10-20T00:00:00Z"}


def list_scenarios(n: int) -> list[tuple[str, dict]]:
    return [
        ("no filter", {}),
        ("one week (13–20 Oct)", dict(WEEK)),
        ("sector=S6-KHYBER", {"sector": "S6-KHYBER"}),
        ("event_type=Ceasefire violation", {"event_type": "Ceasefire violation"}),
        ("party=AFG", {"party": "AFG"}),
        ("combined: 2 weeks + sector + event_type + party",
         {"since": "2025-10-26T00:00:00Z", "until": "2025-11-09T00:00:00Z", "sector": "S2-CHAMAN",
          "event_type": "Ceasefire violation", "party": "AFG"}),
        ("q=Chaman", {"q": "Chaman"}),
        (f"deep offset ({n // 2:,})", {"offset": n // 2}),
    ]


def bench_list(db: str, s: Settings, log) -> ListResults:
    out = ListResults()
    with Scratch(db, log=log) as env:
        t0 = time.perf_counter()
        out.load = env.seed("load", str(s.incidents), timeout=900)
        out.load_wall_s = time.perf_counter() - t0
        log(f"  bulk load: {out.load['incidents']:,} incidents, {out.load['claims']:,} claims in "
            f"{out.load['insert_s']:.1f} s insert (+{out.load['locate_s']:.1f} s locating seed points, "
            f"{out.load['analyze_s']:.1f} s VACUUM ANALYZE; {out.load_wall_s:.1f} s with process start)")
        out.explain = {user: env.seed("explain", user) for user in (PARTY_USER, MEDIATOR_USER)}
        tokens = {user: env.token(user) for user in (PARTY_USER, MEDIATOR_USER)}
        port = env.serve()
        conns = {user: Conn(port, tokens[user]) for user in (PARTY_USER, MEDIATOR_USER)}
        try:
            for label, params in list_scenarios(s.incidents):
                for role, user in (("party", PARTY_USER), ("mediator", MEDIATOR_USER)):
                    query = urllib.parse.urlencode({"limit": 50, **params})
                    t = time_get(conns[user], label, f"{API}/incidents?{query}", s.list_reps, s.list_warmups, s.list_max_s)
                    out.timings.append((label, role, t))
                    log(f"  list {label:48s} {role:8s}: {t.count!s:>7} found, p50 {t.ms(50):7.1f} ms, "
                        f"p99 {t.ms(99):7.1f} ms (n={len(t.latencies)}{', errors ' + str(t.errors) if t.errors else ''})")
            for role, user in (("party", PARTY_USER), ("mediator", MEDIATOR_USER)):
                query = urllib.parse.urlencode(WEEK)
                t = time_get(conns[user], "export.csv, one week", f"{API}/incidents/export.csv?{query}",
                             s.export_reps, s.export_warmups, s.export_max_s, stream=True)
                out.exports.append((role, t))
                log(f"  export.csv one week {role:8s}: {t.count} rows, {t.bytes / 1e6:.1f} MB, "
                    f"first byte p50 {percentile(t.ttfb, 50) * 1000:.0f} ms, "
                    f"last byte p50 {t.ms(50):.0f} ms (n={len(t.latencies)})")
        finally:
            for c in conns.values():
                c.close()
    return out
