"""Setup steps that need Django, run as a subprocess in the scratch environment (never in the bench process):

    python -m bench.seed users               organisations from the charter and the benchmark's users
    python -m bench.seed load N [--seed S]   bulk-load N incidents with one or two claims each (ORM bulk_create)

Each prints one JSON object on its last line of stdout.
"""

import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

# Benchmark users: username -> (organisation code, role).
USERS = {
    "afg_liaison": ("AFG", "liaison_officer"),
    "pak_liaison": ("PAK", "liaison_officer"),
    "qat_verifier": ("QAT", "verifier"),
    "tur_analyst": ("TUR", "analyst"),
    "jmt_monitor": ("JMT", "monitor"),
}

PERIOD_START = datetime(2025, 10, 9, tzinfo=UTC)
PERIOD_DAYS = 43  # 9 October to 20 November 2025 inclusive


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()


def make_users() -> dict:
    from sulh.accounts.models import Organisation, User
    from sulh.accounts.services import sync_organisations
    from sulh.charter.loader import get_charter

    sync_organisations(get_charter())
    orgs = {o.code: o for o in Organisation.objects.all()}
    for name, (org, role) in USERS.items():
        user, created = User.objects.get_or_create(username=name, defaults={"organisation": orgs[org], "role": role})
        if created:
            user.set_unusable_password()  # benchmark users sign in with API tokens only
            user.save(update_fields=["password"])
    return {"users": sorted(USERS), "sample_points": sample_points()}


def sample_points() -> list[dict]:
    """The real places of the test suite's sample payloads (module-level (lat, lon) pairs in sulh/conftest.py,
    read without importing it), each with the side of the border it lies on."""
    import ast
    from pathlib import Path

    import sulh
    from sulh.geo.services import locate

    tree = ast.parse((Path(sulh.__file__).parent / "conftest.py").read_text())
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, float) for v in value):
                loc = locate(*value)
                out.append({"name": node.targets[0].id, "lat": value[0], "lon": value[1], "side": loc.side})
    return out


def explain(username: str, limit: int = 50) -> dict:
    """The SQL the list endpoint runs for `username` with no filter (first page and count), with query plans."""
    from django.db import connection

    from sulh.accounts.models import User
    from sulh.incidents.services import search_incidents

    user = User.objects.select_related("organisation").get(username=username)
    qs = search_incidents(user)
    out = {}
    for label, query in (("page", qs[:limit]), ("count", qs.order_by())):
        sql, params = query.query.sql_with_params()
        if label == "count":
            sql = f"SELECT COUNT(*) FROM ({sql}) AS sub"  # noqa: S608 -- Django-generated SQL, params kept apart
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        with connection.cursor() as cur:
            cur.execute(prefix + sql, params)
            rows = cur.fetchall()
        plan = [" | ".join(str(c) for c in r[1:]) if connection.vendor == "sqlite" else r[0] for r in rows]
        shown = tuple(repr(str(p)) if isinstance(p, str) else repr(p) for p in params)  # str(): choices enums
        out[label] = {"sql": sql % shown, "plan": plan}
    return out


# --- the bulk load -------------------------------------------------------------------------------


def _day_weights() -> list[float]:
    """More incidents in the fighting of 11–18 October, fewer after the Doha ceasefire of 19 October."""
    weights = []
    for d in range(PERIOD_DAYS):
        day = PERIOD_START + timedelta(days=d)
        if day < datetime(2025, 10, 11, tzinfo=UTC):
            weights.append(1.0)
        elif day < datetime(2025, 10, 19, tzinfo=UTC):
            weights.append(3.0)
        elif day < datetime(2025, 10, 26, tzinfo=UTC):
            weights.append(1.2)
        else:
            weights.append(0.8)
    return weights


def _seed_points(rng: random.Random, count: int) -> list[dict]:
    """`count` points around the charter's district seats and crossings, each located once with the
    application's own `locate` (side, sector, district, province, distance), to be reused by many incidents."""
    from sulh.charter.loader import get_charter
    from sulh.geo.services import locate

    charter = get_charter()
    anchors = [(d.seat.name, d.seat.location) for d in charter.districts]
    anchors += [(c.name["en"], c.location) for c in charter.crossings]
    points = []
    attempts = 0
    while len(points) < count and attempts < count * 20:
        attempts += 1
        name, (lon, lat) = rng.choice(anchors)
        lat += rng.uniform(-0.12, 0.12)
        lon += rng.uniform(-0.12, 0.12)
        loc = locate(lat, lon)
        if loc.side is None:
            continue
        points.append(
            {
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "side": loc.side,
                "sector": loc.sector or "",
                "district": loc.district or "",
                "province": loc.province or "",
                "distance_to_border_m": round(loc.distance_to_border_m, 1),
                "place": (loc.nearest_place or name).split(" (")[0],
            }
        )
    return points


EVENTS = [  # (event_type, sub_event_type, weight)
    ("Ceasefire violation", "Cross-border fire", 30),
    ("Ceasefire violation", "Airspace violation", 8),
    ("Ceasefire violation", "Ground incursion", 5),
    ("Ceasefire violation", "Fortification or construction at the line", 4),
    ("Ceasefire violation", "Closure of a crossing", 3),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 14),
    ("Explosions/Remote violence", "Air/drone strike", 9),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 4),
    ("Battles", "Armed clash", 12),
    ("Violence against civilians", "Attack", 4),
    ("Strategic developments", "Arrests", 2),
    ("Strategic developments", "Looting/property destruction", 2),
    ("Protests", "Peaceful protest", 3),
]
SOURCE_NAMES = {
    "AFG": ["Ministry of Defence spokesman", "Taliban spokesman", "Kandahar police", "Nangarhar governor's office"],
    "PAK": ["ISPR", "Ministry of Information", "Frontier Corps", "Chaman district administration"],
    "QAT": ["Qatar mediation cell"],
    "TUR": ["Türkiye liaison"],
    "JMT": ["Joint monitoring post report"],
}
ACTORS = {"AFG": "Afghan Taliban forces", "PAK": "Pakistan Army"}


def _figures(rng: random.Random) -> dict:
    if rng.random() < 0.55:
        return {}
    low = rng.choice([0, 0, 1, 2, 3, 5, 8, 12, 15])
    best = low + rng.choice([0, 0, 1, 3])
    high = best + rng.choice([0, 2, 5])
    out = {"deaths_low": low, "deaths_best": best, "deaths_high": high}
    if rng.random() < 0.4:
        civ = rng.randint(0, best)
        out["deaths_civilians"] = civ
    if rng.random() < 0.3:
        inj = rng.randint(1, 40)
        out.update(injured_low=inj, injured_best=inj, injured_high=inj + rng.randint(0, 10))
    return out


def bulk_load(n: int, seed: int) -> dict:
    from django.db import connection, transaction

    from sulh.accounts.models import Organisation, User
    from sulh.charter.loader import get_charter
    from sulh.incidents.models import SHARED_WITH_PARTIES, Claim, Incident, IncidentCodeCounter

    rng = random.Random(seed)
    t0 = time.perf_counter()
    points = _seed_points(rng, 300)
    t_points = time.perf_counter() - t0
    prefix = get_charter().incident_code_prefix
    orgs = {o.code: o for o in Organisation.objects.all()}
    filer = {u.organisation.code: u for u in User.objects.select_related("organisation").filter(username__in=USERS)}
    weights = _day_weights()
    days = list(range(PERIOD_DAYS))
    ev_choices = [(e, s) for e, s, _ in EVENTS]
    ev_weights = [w for _, _, w in EVENTS]
    clauses = [code for code, _ in get_charter().clauses()]

    # Draw every incident's start first, so codes can be numbered in time order within each month.
    starts = sorted(
        PERIOD_START + timedelta(days=rng.choices(days, weights)[0], seconds=rng.randrange(86400)) for _ in range(n)
    )
    counters: dict[tuple[int, int], int] = {}
    incidents_total = claims_total = 0
    batch = 5000
    t1 = time.perf_counter()
    for first in range(0, n, batch):
        incidents, claims = [], []
        for start in starts[first : first + batch]:
            ym = (start.year, start.month)
            counters[ym] = counters.get(ym, 0) + 1
            pt = rng.choice(points)
            accused = "AFG" if pt["side"] == "PAK" else "PAK"
            event_type, sub_event_type = rng.choices(ev_choices, ev_weights)[0]
            end = start + timedelta(minutes=rng.choice([0, 15, 30, 60, 120, 240, 600]))
            reporter = rng.choices(["victim", "accused", "JMT", "QAT"], [70, 8, 14, 8])[0]
            first_org = {"victim": pt["side"], "accused": accused}.get(reporter, reporter)
            published = rng.random() < 0.06
            status = rng.choices(
                ["reported", "under_verification", "verified", "not_verified", "inconclusive", "closed"],
                [50, 20, 12, 6, 6, 6],
            )[0]
            created = start + timedelta(minutes=rng.randint(10, 600))
            inc = Incident(
                code=f"{prefix}-{start.year:04d}-{start.month:02d}-{counters[ym]:04d}",
                title=f"{sub_event_type} near {pt['place']}",
                status=status,
                published=published,
                event_type=event_type,
                sub_event_type=sub_event_type,
                date_start=start,
                date_end=end,
                date_prec=1,
                latitude=pt["lat"] + rng.uniform(-0.004, 0.004),
                longitude=pt["lon"] + rng.uniform(-0.004, 0.004),
                where_prec=rng.choice([1, 2, 2, 3]),
                location_name=pt["place"],
                alleged_violator=accused if rng.random() < 0.85 else "",
                clause=rng.choice(clauses) if rng.random() < 0.5 else "",
                side=pt["side"],
                sector=pt["sector"],
                province=pt["province"],
                district=pt["district"],
                distance_to_border_m=pt["distance_to_border_m"],
                created_by=filer[first_org],
                created_at=created,
                updated_at=created,
            )
            incidents.append(inc)
            sources = [first_org]
            if rng.random() < 0.45:  # a second account: usually the other party's denial or version
                others = [o for o in ("AFG", "PAK") if o != first_org]
                sources.append(rng.choices(others + ["JMT", "QAT", "TUR"], [60] * len(others) + [15, 15, 10])[0])
            for seq, org_code in enumerate(sources, start=1):
                org = orgs[org_code]
                is_party = org_code in ("AFG", "PAK")
                kind = {"AFG": "party", "PAK": "party", "JMT": "monitoring_post", "QAT": "mediator", "TUR": "press"}[org_code]
                claim_status = rng.choices(["filed", "draft", "withdrawn"], [88, 8, 4])[0]
                audience = rng.choices(["mediators", "parties", "public"], [40, 45, 15])[0]
                filed_at = created + timedelta(minutes=seq * rng.randint(5, 300))
                claims.append(
                    Claim(
                        incident=inc,
                        seq=seq,
                        source_kind=kind,
                        organisation=org,
                        reporting_party=org_code if is_party else "",
                        source_name=rng.choice(SOURCE_NAMES[org_code]),
                        post_code="",
                        status=claim_status,
                        audience=audience,
                        event_type=event_type,
                        sub_event_type=sub_event_type,
                        date_start=start,
                        date_end=end,
                        date_prec=1,
                        latitude=inc.latitude,
                        longitude=inc.longitude,
                        where_prec=inc.where_prec,
                        location_name=inc.location_name,
                        alleged_violator=inc.alleged_violator,
                        clause=inc.clause,
                        actor1=ACTORS.get(accused, ""),
                        inter1=1,
                        actor2=ACTORS.get(pt["side"], ""),
                        inter2=1,
                        notes=f"{sub_event_type} reported near {pt['place']}.",
                        narrative=f"{org.name} reports {sub_event_type.lower()} near {pt['place']} on {start:%d %B %Y}.",
                        filed_by=filer[org_code],
                        created_at=filed_at,
                        filed_at=filed_at if claim_status != "draft" else None,
                        **_figures(rng),
                    )
                )
            # bulk_create bypasses the services, which keep these with every claim change.
            own = claims[-len(sources) :]
            inc.has_filed_claim = any(c.status == "filed" for c in own)
            inc.has_shared_claim = any(c.status == "filed" and c.audience in SHARED_WITH_PARTIES for c in own)
        with transaction.atomic():
            Incident.objects.bulk_create(incidents, batch_size=1000)
            Claim.objects.bulk_create(claims, batch_size=1000)
        incidents_total += len(incidents)
        claims_total += len(claims)
    for (year, month), last in counters.items():
        IncidentCodeCounter.objects.update_or_create(prefix=prefix, year=year, month=month, defaults={"last": last})
    t_insert = time.perf_counter() - t1
    t2 = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum does within a minute or two of such a load (an insert-only table is vacuumed too
        # since PostgreSQL 13, which sets the visibility map that index-only scans need); SQLite gets no
        # ANALYZE, as in production.
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
    t_analyze = time.perf_counter() - t2
    return {
        "incidents": incidents_total,
        "claims": claims_total,
        "seed_points": len(points),
        "locate_s": round(t_points, 3),
        "insert_s": round(t_insert, 3),
        "analyze_s": round(t_analyze, 3),
    }


def main(argv: list[str]) -> int:
    _setup_django()
    if argv[:1] == ["users"]:
        out = make_users()
    elif argv[:1] == ["explain"] and len(argv) >= 2:
        out = explain(argv[1])
    elif argv[:1] == ["load"] and len(argv) >= 2:
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 2025
        out = bulk_load(int(argv[1]), seed)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
