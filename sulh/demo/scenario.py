"""The demonstration scenario: demo accounts for every role, and about 300 incidents on the
Afghanistan–Pakistan border between 9 October and 20 November 2025.

Everything here is DEMONSTRATION DATA. Incidents are flagged ``is_demo`` and their titles start with
"[DEMO] ". About thirty incidents follow the public record of October–November 2025 (the Kabul
explosions, the 11–12 October attacks on border posts, Spin Boldak, Paktika, the Doha ceasefire, the
Istanbul rounds …), with each claim attributed to whoever made it; the rest are invented, lower-intensity
events near the border, built to exercise the register (contradicting claims, drafts, corrections,
publication). Reports by the joint monitoring posts are always invented: the posts are proposals.

Everything goes through the incident services, so validation, visibility and geography apply. The
scenario is deterministic for a given seed: event dates are fixed, randomness comes from one
``random.Random(seed)``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.accounts.models import CommandLevel, Role, User
from sulh.accounts.services import OPERATOR_CODE, PUBLIC_CODE, sync_organisations
from sulh.charter.loader import get_charter
from sulh.geo.services import locate
from sulh.incidents import services as incidents
from sulh.incidents.models import Audience, Claim, Incident, SourceKind
from sulh.incidents.schemas import ClaimIn, IncidentIn

from .models import DemoAccount

DEMO_PASSWORD = "sulh-demo-2025"  # noqa: S105 - printed on purpose: demo accounts only
DEFAULT_SEED = 20251009
DEFAULT_INCIDENTS = 300
TITLE_PREFIX = "[DEMO] "
DEMO_NOTICE = (
    'DEMONSTRATION DATA: every incident below is flagged is_demo and titled "[DEMO] …". About thirty follow '
    "public reporting of October–November 2025; the rest, and every joint monitoring post report, are invented."
)

AFT = ZoneInfo("Asia/Kabul")
PKT = ZoneInfo("Asia/Karachi")
UTC = ZoneInfo("UTC")
FIRST_DAY = date(2025, 10, 9)
LAST_DAY = date(2025, 11, 20)
DOHA_DAY = datetime(2025, 10, 19, 0, 0, tzinfo=AFT)
TRUCE_48H = (datetime(2025, 10, 15, 18, 0, tzinfo=PKT), datetime(2025, 10, 17, 18, 0, tzinfo=PKT))
MECHANISM_DAY = datetime(2025, 10, 31, 0, 0, tzinfo=UTC)  # joint posts report from here on (Istanbul, 30 Oct)

ACTOR = {
    "AFG": "Military Forces of Afghanistan (2021-)",
    "PAK": "Military Forces of Pakistan (2024-)",
}
TTP = "TTP: Tehreek-i-Taliban Pakistan"
GUL_BAHADUR = "Hafiz Gul Bahadur Group"
DEMO_NOTE = "Demonstration record built from public reporting; figures are the source's own, not verified."
INVENTED_NOTE = "Invented demonstration event."


class DemoError(Exception):
    """Something the demo command refuses to do (printed as a command error)."""


# --- accounts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSpec:
    username: str
    org: str
    role: str
    level: str = ""
    sector: str = ""
    staff: bool = False
    label: str = ""

    @property
    def needs_totp(self) -> bool:
        return self.role in settings.SULH_TOTP_REQUIRED_ROLES


def _home_sector(charter, party: str, preferred: str) -> str:
    codes = [s.code for s in charter.sectors]
    if preferred in codes:
        return preferred
    for d in charter.districts:
        if d.party == party:
            lon, lat = d.seat.location
            sector = locate(lat, lon, charter).sector
            if sector:
                return sector
    return codes[0] if codes else ""


def account_specs(charter) -> list[AccountSpec]:
    """Who the demo accounts are: every role of every kind of organisation."""
    preferred = {"AFG": "S2-CHAMAN", "PAK": "S5-KURRAM"}
    specs: list[AccountSpec] = []
    for p in charter.parties:
        u, name = p.code.lower(), p.name["en"]
        sector = _home_sector(charter, p.code, preferred.get(p.code, ""))
        specs += [
            AccountSpec(f"{u}.liaison", p.code, Role.LIAISON_OFFICER, label=f"{name} liaison officer"),
            AccountSpec(f"{u}.commander.sector", p.code, Role.COMMANDER, CommandLevel.SECTOR, sector,
                        label=f"{name} sector commander"),
            AccountSpec(f"{u}.commander.regional", p.code, Role.COMMANDER, CommandLevel.REGIONAL,
                        label=f"{name} regional commander"),
            AccountSpec(f"{u}.commander.national", p.code, Role.COMMANDER, CommandLevel.NATIONAL,
                        label=f"{name} national HQ commander"),
            AccountSpec(f"{u}.analyst", p.code, Role.ANALYST, label=f"{name} analyst"),
        ]  # fmt: skip
    for m in charter.mediators:
        u, name = m.code.lower(), m.name["en"]
        specs += [
            AccountSpec(f"{u}.verifier", m.code, Role.VERIFIER, label=f"{name} verifier"),
            AccountSpec(f"{u}.lead", m.code, Role.MEDIATOR_LEAD, label=f"{name} mediator lead"),
            AccountSpec(f"{u}.analyst", m.code, Role.ANALYST, label=f"{name} analyst"),
        ]
    for t in charter.monitoring_teams:
        u = t.code.lower()
        specs += [
            AccountSpec(f"{u}.monitor1", t.code, Role.MONITOR, label=f"{t.name['en']} monitor 1"),
            AccountSpec(f"{u}.monitor2", t.code, Role.MONITOR, label=f"{t.name['en']} monitor 2"),
        ]
    specs.append(
        AccountSpec("ops.admin", OPERATOR_CODE, Role.ADMINISTRATOR, staff=True, label="Administrator")
    )
    specs.append(AccountSpec("public", PUBLIC_CODE, Role.PUBLIC, label="Read-only public account"))
    return specs


def ensure_accounts(charter, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Create (or refresh) the organisations and the demo accounts. Never touches a non-demo account."""
    orgs = {o.code: o for o in sync_organisations(charter)}
    hashed = make_password(password)  # one hash for all: Argon2 is deliberately slow
    users: dict[str, User] = {}
    for spec in account_specs(charter):
        user = User.objects.filter(username=spec.username).first()
        if user is not None and not DemoAccount.objects.filter(user=user).exists():
            raise DemoError(
                f"an account named {spec.username!r} exists and is not a demo account; the demo will not touch it"
            )
        org = orgs[spec.org]
        if user is None:
            user = User(username=spec.username)
        user.organisation = org
        user.role = spec.role
        user.command_level = spec.level
        user.sector = spec.sector
        user.timezone = org.timezone
        user.first_name = spec.label
        user.last_name = "(demo)"
        user.email = f"{spec.username}@demo.invalid"
        user.is_staff = spec.staff
        user.is_superuser = False
        user.is_active = True
        user.password = hashed
        user.save()
        DemoAccount.objects.get_or_create(user=user)
        if spec.needs_totp and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
        users[spec.username] = user
    return users


def is_loaded() -> bool:
    return Incident.objects.filter(is_demo=True).exists()


def demo_accounts() -> list[tuple[User, bool]]:
    """(user, needs a TOTP code) for every demo account, in a stable order."""
    rows = []
    for da in DemoAccount.objects.select_related("user__organisation").order_by("user__username"):
        user = da.user
        has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        rows.append((user, has_device or user.requires_second_factor))
    order = {s: i for i, s in enumerate(_spec_order())}
    rows.sort(key=lambda r: (order.get(r[0].username, len(order)), r[0].username))
    return rows


def _spec_order() -> list[str]:
    try:
        return [s.username for s in account_specs(get_charter())]
    except Exception:  # ordering only; a broken charter is reported by the loader elsewhere
        return []


def current_code(username: str) -> tuple[str, int]:
    """The current TOTP code of a DEMO account and the seconds it stays valid. Refuses any other account."""
    user = User.objects.filter(username=username).first()
    if user is None or not DemoAccount.objects.filter(user=user).exists():
        raise DemoError(f"{username!r} is not a demo account: codes are printed for demo accounts only")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        raise DemoError(f"{username!r} signs in without a TOTP code (role {user.role})")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    left = device.step - int(now - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", left


# --- geometry helpers ------------------------------------------------------------------------------

KM_PER_DEG_LAT = 110.574


def _km_per_deg_lon(lat: float) -> float:
    return 111.320 * math.cos(math.radians(lat))


def _offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return lon + east_km / _km_per_deg_lon(lat), lat + north_km / KM_PER_DEG_LAT


def _unit(frm: tuple[float, float], to: tuple[float, float]) -> tuple[float, float]:
    """Unit vector (east, north) in km from one lon/lat point towards another."""
    east = (to[0] - frm[0]) * _km_per_deg_lon(frm[1])
    north = (to[1] - frm[1]) * KM_PER_DEG_LAT
    norm = math.hypot(east, north) or 1.0
    return east / norm, north / norm


def _dist_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    east = (b[0] - a[0]) * _km_per_deg_lon((a[1] + b[1]) / 2)
    north = (b[1] - a[1]) * KM_PER_DEG_LAT
    return math.hypot(east, north)


@dataclass(frozen=True)
class Anchor:
    """A point on the border line and the party whose side we step into from there."""

    border: tuple[float, float]
    towards: tuple[float, float]
    party: str
    label: str
    sector: str
    weight: float
    crossing: str = ""


SECTOR_WEIGHT = {
    "S1-SOUTH": 0.8, "S2-CHAMAN": 4.0, "S3-ZHOB": 1.2, "S4-WAZIRISTAN": 2.2, "S5-KURRAM": 4.0,
    "S6-KHYBER": 3.0, "S7-BAJAUR": 3.0, "S8-NORTH": 0.6,
}  # fmt: skip


# --- the builder -----------------------------------------------------------------------------------


class Builder:
    """Creates incidents and claims through the services, remembering what it made."""

    def __init__(self, charter, users: dict[str, User], seed: int):
        self.charter = charter
        self.users = users
        self.rng = random.Random(seed)
        self.party_codes = [p.code for p in charter.parties]
        self.clause_codes = {code for code, _ in charter.clauses()}
        self.post_codes = {p.code for p in charter.posts}
        self.key: dict[str, Incident] = {}
        self.made: list[Incident] = []
        self.claims = 0
        self.drafts = 0
        self.amended = 0
        self.published = 0
        self._loc: dict[tuple[float, float], object] = {}
        self._line = None

    # -- small helpers --

    def u(self, username: str) -> User:
        return self.users[username]

    def other(self, party: str) -> str:
        return next(p for p in self.party_codes if p != party)

    def clause(self, ref: str) -> str:
        return ref if ref in self.clause_codes else ""

    def post(self, code: str) -> str:
        return code if code in self.post_codes else ""

    def locate(self, lon: float, lat: float):
        key = (round(lon, 5), round(lat, 5))
        if key not in self._loc:
            self._loc[key] = locate(lat, lon, self.charter)
        return self._loc[key]

    def deaths(self, **by_party: int) -> dict:
        """deaths_a / deaths_b from party codes (side a and b are the charter's first and second party)."""
        out = {}
        for code, n in by_party.items():
            out["deaths_a" if code == self.party_codes[0] else "deaths_b"] = n
        return out

    def on_side(self, lon: float, lat: float, party: str) -> tuple[float, float]:
        """The point itself if it lies on `party`'s side, else the nearest step towards that party's
        nearest district seat that does."""
        if self.locate(lon, lat).side == party:
            return lon, lat
        seats = [d.seat.location for d in self.charter.districts if d.party == party]
        if not seats:
            return lon, lat
        seat = min(seats, key=lambda s: _dist_km((lon, lat), s))
        for i in range(1, 21):
            f = i / 20
            p = (round(lon + (seat[0] - lon) * f, 5), round(lat + (seat[1] - lat) * f, 5))
            if self.locate(*p).side == party:
                return p
        return seat[0], seat[1]

    def point(self, name: str) -> tuple[float, float]:
        lon, lat, party = PLACES[name]
        return self.on_side(lon, lat, party) if party else (lon, lat)

    # -- creating records --

    def _fields(self, at, when, **kw) -> dict:
        lon, lat = at
        start, end = when if isinstance(when, tuple) else (when, None)
        kw.setdefault("source_kind", None)
        return {
            "latitude": round(lat, 5),
            "longitude": round(lon, 5),
            "date_start": start,
            "date_end": end,
            **kw,
        }

    def new(self, user: str, title: str, at, when, **kw) -> Claim:
        data = IncidentIn(title=TITLE_PREFIX + title, **self._fields(at, when, **kw))
        claim = incidents.create_incident(self.u(user), data, is_demo=True)
        self.made.append(claim.incident)
        self._count(claim)
        return claim

    def add(self, user: str, incident: Incident, at, when, **kw) -> Claim:
        claim = incidents.add_claim(self.u(user), incident, ClaimIn(**self._fields(at, when, **kw)))
        self._count(claim)
        return claim

    def amend(self, user: str, claim: Claim, at, when, **kw) -> Claim:
        new = incidents.amend_claim(self.u(user), claim.id, ClaimIn(**self._fields(at, when, **kw)))
        self._count(new)
        self.amended += 1
        return new

    def publish(self, user: str, incident: Incident) -> None:
        incidents.publish_incident(self.u(user), incident.id)
        self.published += 1

    def _count(self, claim: Claim) -> None:
        self.claims += 1
        if not claim.filed_at:
            self.drafts += 1


def _d(month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = PKT) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=tz)


# Named places (lon, lat, the party whose side they lie on, or "" for places off the border).
PLACES: dict[str, tuple[float, float, str]] = {
    "Kabul": (69.1783, 34.5281, "AFG"),
    "Marghi, Barmal": (69.2139, 32.7201, "AFG"),
    "Angoor Adda": (69.305, 32.505, "PAK"),
    "Bajaur border posts": (71.36, 34.79, "PAK"),
    "Kurram border posts": (69.97, 33.83, "PAK"),
    "Dir border posts": (71.57, 35.06, "PAK"),
    "Chitral border posts": (71.66, 35.75, "PAK"),
    "Bahram Chah": (64.08, 29.35, "PAK"),
    "Dur Baba": (70.94, 34.10, "AFG"),
    "Torkham": (71.0905, 34.1133, ""),
    "Chaman crossing": (66.42882, 30.95104, ""),
    "Friendship Gate": (66.428, 30.952, ""),
    "Spin Boldak": (66.40001, 31.00575, "AFG"),
    "Chaman": (66.45259, 30.91769, "PAK"),
    "Kandahar": (65.7101, 31.6133, "AFG"),
    "Islamabad": (73.0479, 33.6844, "PAK"),
    "Mir Ali": (70.27, 32.99, "PAK"),
    "Urgun": (69.18, 32.93, "AFG"),
    "Doha": (51.531, 25.2854, ""),
    "Istanbul": (28.9784, 41.0082, ""),
    "Spinwam": (70.33, 33.17, "PAK"),
    "Dogar, Kurram": (70.40, 33.62, "PAK"),
    "Wana": (69.5725, 32.29889, "PAK"),
}

URL = {
    "pakistantoday": "https://www.pakistantoday.com.pk/2025/10/13/23-troops-martyred-over-200-taliban-terrorists-killed-as-pakistan-responds-afghan-aggression-ispr",
    "tribune_200": "https://tribune.com.pk/story/2571989/pakistan-claims-killing-more-than-200-afghan-troops-confirms-23-soldiers-martyred?amp=1",
    "tribuneindia": "https://www.tribuneindia.com/news/top-headlines/taliban-kill-58-pak-troops-along-border-islamabad-claims-200-afghan-fatalities/amp/",
    "trt_kabul": "https://www.trtworld.com/article/b8b843c9db2d",
    "newsaz": "https://news.az/news/ttp-leader-reportedly-killed-in-suspected-pakistani-airstrikes-on-kabul",
    "arabnews_marghi": "https://www.arabnews.pk/node/2618425/pakistan",
    "hp93": "https://hp93.com/?p=2695",
    "azertag": "https://azertag.az/en/xeber/preparations_complete_to_reopen_pakistan_afghanistan_border_crossing_for_bilateral_trade-3816119",
    "dawn_spin": "https://www.dawn.com/news/1949071/security-forces-repel-attack-in-balochistan-15-20-afghan-taliban-killed-ispr",
    "brecorder": "https://www.brecorder.com/news/40387685/forces-repel-taliban-attack-at-pak-afghan-border",
    "lokmat_spin": "https://www.lokmattimes.com/international/pakistan-afghanistan-conflict-at-least-15-civilians-killed-over-100-injured-in-pakistani-artillery-fire-in-kandahar-a517/",
    "moneycontrol": "https://www.moneycontrol.com/world/pakistan-strikes-afghanistan-s-spin-boldak-as-cross-border-tensions-flare-dozens-killed-article-13617567.html",
    "dailybulletin": "https://thedailybulletin.in/world/15/10/2025/pakistan-afghan-clashes-intense-border-clash-in-khyber-pakhtunkhwa",
    "tribune_truce": "https://tribune.com.pk/story/2572569/pakistan-accepts-afghan-taliban-regimes-request-for-48-hour-ceasefire",
    "humenglish": "https://humenglish.com/latest/pakistan-afghan-taliban-agree-on-48-hour-ceasefire-foreign-office",
    "getitfully": "https://getitfully.com/blog/tense-48-hour-afghanistan-pakistan-truce-begins-following-pafs-targeted-airstrikes-in-kabul",
    "abplive": "https://news.abplive.com/news/world/pakistan-suicide-bomber-1806657",
    "aopnews": "https://www.aopnews.com/taliban/kabul-accuses-pakistan-of-launching-deadly-strikes-in-western-afghanistan",
    "nukta_strikes": "https://nukta.com/pakistan-afghanistan-border-strikes-ttp",
    "wion": "https://www.wionews.com/world/cricket-rashid-khan-condemns-pakistan-airstrikes-that-killed-3-afghan-cricketers-pakistan-afghanistan-war-1760754982646",
    "ansarpress": "https://www.ansarpress.com/english/38324/manifest.json",
    "kuna": "https://menafn.com/1110215738/Qatari-Foreign-Ministry-Announces-Ceasefire-Between-Pakistan-Afghanistan",
    "ariana": "https://www.ariananews.af/afghanistan-and-pakistan-agree-to-immediate-ceasefire-after-doha-talks/amp",
    "dawn_spinwam": "https://www.dawn.com/news/1951506/five-soldiers-martyred-as-forces-foil-infiltration-bids-in-kp",
    "deccan": "https://www.deccanchronicle.com/world/neighbours/pakistan-afghanistan-peace-talks-failed-1913292",
    "dunya": "https://dunyanews.tv/en/Pakistan/914686-istanbul-talks-end-in-stalemate-pakistan-announces-operations-to-elim",
    "lokmat_kurram": "https://www.lokmattimes.com/international/pakistan-blast-six-soldiers-including-captain-killed-in-khyber-pakhtunkhwa-attack-a525/",
    "aljazeera_nov6": "https://www.aljazeera.com/news/2025/11/6/afghanistan-and-pakistan-exchange-fire-as-peace-talks-begin",
    "asianet": "https://newsable.asianetnews.com/world/afghanistan-claims-pakistani-forces-fired-across-border-peace-talks-articleshow-mtalo90",
    "dailypakistan_wana": "https://en.dailypakistan.com.pk/10-Nov-2025/two-terrorists-killed-as-militants-attack-wana-cadet-college",
    "gvs_wana": "https://www.globalvillagespace.com/pakistani-forces-kill-five-militants-foil-major-terror-attack-on-wana-cadet-college",
}


# --- the real timeline -----------------------------------------------------------------------------


def real_timeline(b: Builder) -> None:
    """Incidents that follow public reporting of 9 October – 12 November 2025, claim by claim."""
    PUB, PARTIES, MED = Audience.PUBLIC, Audience.PARTIES, Audience.MEDIATORS
    BATTLE, ARMED = "Battles", "Armed clash"
    EXPL = "Explosions/Remote violence"
    STRAT = "Strategic developments"
    CV = "Ceasefire violation"
    qat, tur = (m.code.lower() for m in b.charter.mediators[:2])
    jmt = b.charter.monitoring_teams[0].code.lower() if b.charter.monitoring_teams else ""

    # 9 October: explosions in Kabul.
    kabul = b.point("Kabul")
    c = b.new(
        "afg.liaison", "Explosions in Kabul; Afghan authorities blame Pakistan", kabul, _d(10, 9, 21, 30, AFT),
        event_type=EXPL, sub_event_type="Air/drone strike", where_prec=2, location_name="Kabul city",
        alleged_violator="PAK", source_name="Ministry of Defence of the Islamic Emirate", audience=PUB,
        actor1=ACTOR["PAK"], inter1=1,
        notes="On 9 October 2025, two explosions were heard in Kabul late in the evening. The Afghan defence ministry "
        "accused Pakistan of violating Afghan airspace over the capital.",
        narrative="Two explosions shook Kabul late on Thursday 9 October. The next day the Ministry of Defence "
        "accused Pakistan of breaching Afghan airspace over the capital and, the same night, of bombing a civilian "
        "market in the Marghi area of Barmal district, Paktika. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["kabul"] = c.incident
    b.add(
        "pak.liaison", k, kabul, _d(10, 9, 21, 30, AFT), event_type=EXPL, sub_event_type="Air/drone strike",
        where_prec=2, location_name="Kabul city", source_name="ISPR (Director General, news conference in Peshawar)",
        audience=PUB, source_url=URL["arabnews_marghi"],
        narrative="At a news conference in Peshawar on Friday 10 October the military spokesman would neither "
        "confirm nor deny a Pakistani role in the Kabul explosions; Islamabad denied involvement. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        f"{tur}.analyst", k, kabul, _d(10, 9, 21, 30, AFT), event_type=EXPL, sub_event_type="Air/drone strike",
        where_prec=2, location_name="Kabul city", source_name="News.az", source_url=URL["newsaz"], audience=PUB,
        narrative="Reported that the TTP leader was the suspected target of Pakistani air strikes on Kabul; "
        "not confirmed by either government. The explosions came while the Taliban's acting foreign minister "
        "was on an official visit to India. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # 9 October: the market in Marghi, Barmal.
    marghi = b.point("Marghi, Barmal")
    b.new(
        "afg.liaison", "Reported bombing of a market in Marghi, Barmal (Paktika)", marghi, date(2025, 10, 9),
        event_type=EXPL, sub_event_type="Air/drone strike", where_prec=3, location_name="Marghi area, Barmal district",
        alleged_violator="PAK", source_name="Ministry of Defence of the Islamic Emirate", audience=PARTIES,
        actor1=ACTOR["PAK"], inter1=1, actor2="Civilians (Afghanistan)", inter2=7, source_url=URL["arabnews_marghi"],
        narrative="The ministry accused Pakistan of bombing a civilian market in the Marghi area of Barmal the same "
        "night as the Kabul explosions; it did not say whether anyone was hurt. " + DEMO_NOTE,
    )  # fmt: skip

    # 11–12 October: attacks on Pakistani border posts, overall figures of each side.
    night = (_d(10, 11, 22, 0), _d(10, 12, 6, 0))
    front = b.point("Angoor Adda")
    c = b.new(
        "pak.commander.national", "Attacks on border posts along the line, night of 11–12 October (overall figures)",
        front, night, event_type=BATTLE, sub_event_type=ARMED, where_prec=5,
        location_name="Several points: Angoor Adda, Bajaur, Kurram, Dir, Chitral (KP) and Bahram Chah (Balochistan)",
        alleged_violator="AFG", source_name="ISPR", source_url=URL["pakistantoday"], audience=PUB,
        actor1=ACTOR["AFG"], inter1=1, assoc_actor_1=TTP, actor2=ACTOR["PAK"], inter2=1,
        **b.deaths(PAK=23, AFG=200), injured_best=29,
        notes="On 11–12 October 2025, Afghan Taliban forces and allied militants attacked Pakistani border posts at "
        "several points. ISPR: 23 soldiers killed and 29 wounded; more than 200 Taliban and affiliated militants "
        "killed (intelligence estimate).",
        narrative="The attacks began late on Saturday and went on into Sunday. The army said the aim was to clear a "
        "path for Fitna al-Khawarij (TTP) fighters into Pakistan; troops threw back the assault, briefly held 21 "
        "positions on the Afghan side and knocked out several training camps. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["front_11_12"] = c.incident
    b.add(
        "afg.commander.national", k, front, night, event_type=BATTLE, sub_event_type=ARMED, where_prec=5,
        location_name="Pakistani posts along the line", alleged_violator="PAK",
        source_name="Zabihullah Mujahid, spokesman of the Islamic Emirate (news conference in Kabul)",
        source_url=URL["tribuneindia"], audience=PUB, actor1=ACTOR["AFG"], inter1=1, actor2=ACTOR["PAK"], inter2=1,
        **b.deaths(PAK=58, AFG=9), injured_best=46,
        narrative="A response to repeated violations of Afghan territory and airspace. 58 Pakistani soldiers killed "
        "and 30 wounded, 20 Pakistani outposts destroyed; 9 Afghan fighters killed and 16 injured. Afghan units "
        "stopped firing at about midnight at the request of Qatar and Saudi Arabia. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        f"{qat}.analyst", k, front, night, event_type=BATTLE, sub_event_type=ARMED, where_prec=5,
        location_name="Afghanistan–Pakistan border", source_name="The Express Tribune", source_url=URL["tribune_200"],
        audience=PUB,
        narrative="Carried both governments' figures (23 soldiers killed against 58; more than 200 against 9 "
        "Afghan fighters killed); neither side's numbers could be checked independently. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # The same night, place by place (figures were given only for the whole front).
    afghan_officials = {
        "Angoor Adda": "Paktika", "Kurram border posts": "Khost", "Bajaur border posts": "Kunar",
        "Bahram Chah": "Helmand",
    }  # fmt: skip
    for place in ("Angoor Adda", "Bajaur border posts", "Kurram border posts", "Dir border posts",
                  "Chitral border posts", "Bahram Chah"):  # fmt: skip
        at = b.point(place)
        name = place.replace(" border posts", "")
        c = b.new(
            "pak.commander.regional", f"Attack on Pakistani posts at {name}, night of 11–12 October", at, night,
            event_type=BATTLE, sub_event_type=ARMED, where_prec=2, location_name=f"{name} (border posts)",
            alleged_violator="AFG", source_name="ISPR", source_url=URL["pakistantoday"], audience=PARTIES,
            actor1=ACTOR["AFG"], inter1=1, actor2=ACTOR["PAK"], inter2=1,
            narrative=f"{name} was among the points attacked on the night of 11–12 October; casualty figures were "
            "given for the whole front only (23 soldiers killed, more than 200 attackers killed). " + DEMO_NOTE,
        )  # fmt: skip
        if place in afghan_officials:
            province = afghan_officials[place]
            b.add(
                "afg.liaison", c.incident, at, night, event_type=BATTLE, sub_event_type=ARMED, where_prec=4,
                location_name=f"{province} province, border areas", alleged_violator="PAK",
                source_name=f"Provincial officials, {province} (as reported by Dawn)", source_url=URL["hp93"],
                audience=PARTIES,
                narrative=f"Officials in {province} confirmed fighting in their area; Kabul called the operation a "
                "response to Pakistani violations of Afghan territory and airspace. " + DEMO_NOTE,
            )  # fmt: skip
    durbaba = b.point("Dur Baba")
    b.new(
        "afg.liaison", "Fighting in Nangarhar border districts, night of 11–12 October", durbaba, night,
        event_type=BATTLE, sub_event_type=ARMED, where_prec=4, location_name="Nangarhar province, border districts",
        alleged_violator="PAK", source_name="Provincial officials, Nangarhar (as reported by Dawn)",
        source_url=URL["hp93"], audience=PARTIES,
        narrative="Officials in Nangarhar confirmed fighting in the province on the night of 11–12 October. " + DEMO_NOTE,
    )  # fmt: skip

    # Crossings closed from 12 October.
    torkham = b.point("Torkham")
    c = b.new(
        "afg.liaison", "Torkham crossing closed", torkham, (_d(10, 12, 0, 30), date(2025, 10, 30)),
        event_type=CV, sub_event_type="Closure of a crossing", date_prec=2, where_prec=1,
        location_name="Torkham crossing", alleged_violator="PAK", source_name="Islamic Emirate border authorities",
        audience=PUB,
        narrative="Pakistan shut Torkham, the busiest trade route between the neighbours, once the shooting started; "
        "long lines of trucks are stranded on both sides. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["torkham"] = c.incident
    b.add(
        f"{tur}.analyst", k, torkham, _d(10, 12, 0, 30), event_type=CV, sub_event_type="Closure of a crossing",
        where_prec=1, location_name="Torkham crossing", source_name="AZERTAC", source_url=URL["azertag"], audience=PUB,
        narrative="Torkham was closed on the night of 11–12 October. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{tur}.lead", k)
    chaman_x = b.point("Chaman crossing")
    c = b.new(
        "afg.liaison", "Chaman–Spin Boldak crossing closed", chaman_x, (date(2025, 10, 12), date(2025, 10, 30)),
        event_type=CV, sub_event_type="Closure of a crossing", date_prec=2, where_prec=1,
        location_name="Chaman–Spin Boldak (Friendship Gate)", alleged_violator="PAK",
        source_name="Islamic Emirate border authorities, Kandahar", audience=PARTIES,
        narrative="The southern crossing has stayed closed since the fighting began. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.analyst", c.incident, chaman_x, date(2025, 10, 26), event_type=CV, sub_event_type="Closure of a crossing",
        where_prec=1, location_name="Chaman", source_name="Dawn", source_url=URL["dawn_spinwam"], audience=PUB,
        narrative="The main crossings at Torkham and Chaman have stayed closed since the fighting began, leaving long "
        "lines of trucks stranded on both sides. " + DEMO_NOTE,
    )  # fmt: skip

    # Night of 14–15 October: Kurram.
    kurram = b.point("Kurram border posts")
    c = b.new(
        "pak.commander.sector", "Attack on border posts in the Kurram sector, night of 14–15 October", kurram,
        (_d(10, 14, 22, 0), _d(10, 15, 5, 0)), event_type=BATTLE, sub_event_type=ARMED, where_prec=2,
        location_name="Kurram sector", alleged_violator="AFG", source_name="ISPR", source_url=URL["dawn_spin"],
        audience=PARTIES, actor1=ACTOR["AFG"], inter1=1, assoc_actor_1=TTP, actor2=ACTOR["PAK"], inter2=1,
        deaths_low=25, deaths_high=30,
        narrative="Afghan Taliban and Fitna al-Khawarij fighters tried to storm Pakistani posts; troops destroyed "
        "eight Afghan posts, six tanks among them, in reply; 25 to 30 attackers believed killed. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.analyst", c.incident, kurram, _d(10, 14, 22, 0), event_type=BATTLE, sub_event_type=ARMED, where_prec=2,
        location_name="Kurram", source_name="PTV (via The Daily Bulletin)", source_url=URL["dailybulletin"],
        audience=PUB,
        narrative="State television reported on Tuesday night that Afghan positions were hit after they opened "
        "fire. " + DEMO_NOTE,
    )  # fmt: skip

    # 15 October: Spin Boldak – Chaman. Two accounts that cannot both be right, side by side.
    gate, spin = b.point("Friendship Gate"), b.point("Spin Boldak")
    dawn15 = (_d(10, 15, 3, 0), _d(10, 15, 8, 0, AFT))
    c = b.new(
        "pak.liaison", "Spin Boldak–Chaman fighting, 15 October", gate, dawn15, event_type=BATTLE,
        sub_event_type=ARMED, where_prec=2, location_name="Chaman–Spin Boldak (Friendship Gate)",
        alleged_violator="AFG", source_name="ISPR", source_url=URL["dawn_spin"], audience=PUB,
        actor1=ACTOR["AFG"], inter1=1, actor2=ACTOR["PAK"], inter2=1, **b.deaths(AFG=15), deaths_low=15,
        deaths_high=20,
        notes="On 15 October 2025, Afghan Taliban forces attacked at four points in the Spin Boldak sector of the "
        "Balochistan border. ISPR: 15–20 Afghan Taliban killed, many more wounded.",
        narrative="Afghan Taliban fighters attacked at four points in the early hours and were beaten back; 15 to 20 "
        "killed and many more wounded. The attackers moved through divided villages with no thought for the people "
        "living there, and demolished the Pak-Afghan Friendship Gate on their own side. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["spin_boldak"] = c.incident
    b.add(
        "afg.liaison", k, spin, dawn15, event_type=EXPL, sub_event_type="Shelling/artillery/missile attack",
        where_prec=2, location_name="Spin Boldak district, Kandahar", alleged_violator="PAK",
        source_name="Zabihullah Mujahid, spokesman of the Islamic Emirate", source_url=URL["lokmat_spin"],
        audience=PUB, actor1=ACTOR["PAK"], inter1=1, actor2="Civilians (Afghanistan)", inter2=7,
        deaths_civilians=12, injured_best=100,
        notes="On 15 October 2025, Pakistani forces fired light and heavy weapons on Spin Boldak district. Islamic "
        "Emirate: more than 12 civilians killed and over 100 wounded.",
        narrative="Pakistani forces once again opened up with light and heavy weapons on Spinboldak that morning, "
        "killing more than 12 civilians and wounding over 100; Afghan forces were forced to hit back, killed a large "
        "number of Pakistani soldiers and took posts, weapons and tanks. The area was calm by 8 a.m. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        f"{qat}.analyst", k, spin, _d(10, 15, 8, 0, AFT), event_type=EXPL, sub_event_type="Shelling/artillery/missile attack",
        where_prec=2, location_name="Spin Boldak", source_name="AFP (local officials in Spin Boldak)",
        source_url=URL["moneycontrol"], audience=PUB, deaths_civilians=15,
        narrative="Local officials in Spin Boldak said 15 civilians were killed by mortar fire and dozens wounded. "
        + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.analyst", k, gate, _d(10, 15, 8, 0), event_type=BATTLE, sub_event_type=ARMED, where_prec=2,
        location_name="Chaman–Spin Boldak", source_name="Business Recorder", source_url=URL["brecorder"],
        audience=PARTIES,
        narrative="The ISPR dismissed the claims that Pakistan had started the fighting, or had lost posts and "
        "equipment, as blatant lies. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # 15 October: Pakistani strikes in Kandahar; the 48-hour truce.
    kandahar = b.point("Kandahar")
    b.new(
        "pak.commander.national", "Pakistani precision strikes in Kandahar province", kandahar, date(2025, 10, 15),
        event_type=EXPL, sub_event_type="Air/drone strike", where_prec=4, location_name="Kandahar province",
        source_name="Pakistani security sources", source_url=URL["tribune_truce"], audience=MED,
        actor1=ACTOR["PAK"], inter1=1, actor2=ACTOR["AFG"], inter2=1,
        narrative="Precision strikes destroyed the headquarters of two Taliban battalions and a border brigade; the "
        "targets lay away from civilian areas. No casualty figures were given. " + DEMO_NOTE,
    )  # fmt: skip
    islamabad = b.point("Islamabad")
    truce = (_d(10, 15, 18, 0), _d(10, 17, 18, 0))
    c = b.new(
        "pak.liaison", "Temporary 48-hour ceasefire from 18:00 on 15 October", islamabad, truce,
        event_type=STRAT, sub_event_type="Agreement", date_prec=2, where_prec=6,
        location_name="Announced in Islamabad; the whole border", source_name="Ministry of Foreign Affairs of Pakistan",
        source_url=URL["humenglish"], audience=PUB, actor1="Government of Pakistan (2024-)",
        actor2="Government of Afghanistan (2021-)",
        narrative="A temporary ceasefire of 48 hours from 6 p.m., agreed at the Taliban's request. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["truce_48h"] = c.incident
    b.add(
        "afg.liaison", k, b.point("Kabul"), truce, event_type=STRAT, sub_event_type="Agreement", date_prec=2,
        where_prec=6, location_name="Announced in Kabul", source_name="Zabihullah Mujahid, spokesman of the Islamic Emirate",
        source_url=URL["getitfully"], audience=PUB,
        narrative="It was the Pakistani side that asked for the truce; Afghan forces were ordered to respect it unless "
        "attacked. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{tur}.lead", k)

    # 17 October: Mir Ali, then Pakistani strikes in Paktika.
    b.new(
        "pak.commander.regional", "Suicide car bombing at a military camp in Mir Ali", b.point("Mir Ali"),
        date(2025, 10, 17), event_type=EXPL, sub_event_type="Suicide bomb", where_prec=2,
        location_name="Mir Ali, North Waziristan", alleged_violator="AFG", source_name="Pakistani security officials",
        source_url=URL["abplive"], audience=PARTIES, actor1=GUL_BAHADUR, inter1=2, actor2=ACTOR["PAK"], inter2=1,
        **b.deaths(PAK=7), injured_best=13,
        narrative="A suicide car bombing and gunbattle at a military camp, claimed by the Hafiz Gul Bahadur faction; "
        "seven soldiers killed and 13 wounded. Officials said the attackers operate from Afghan soil. " + DEMO_NOTE,
    )  # fmt: skip
    urgun = b.point("Urgun")
    late17 = (_d(10, 17, 21, 0, AFT), _d(10, 17, 23, 59, AFT))
    c = b.new(
        "afg.liaison", "Pakistani air strikes in Paktika (Urgun, Barmal)", urgun, late17, event_type=EXPL,
        sub_event_type="Air/drone strike", where_prec=3, location_name="Urgun and Barmal districts, Paktika",
        alleged_violator="PAK", source_name="Senior official of the Islamic Emirate", source_url=URL["aopnews"],
        audience=PUB, actor1=ACTOR["PAK"], inter1=1, actor2="Civilians (Afghanistan)", inter2=7,
        narrative="Pakistan broke the ceasefire by bombing three places in Paktika; Afghanistan would respond. "
        + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["paktika"] = c.incident
    b.add(
        f"{qat}.analyst", k, urgun, late17, event_type=EXPL, sub_event_type="Air/drone strike", where_prec=3,
        location_name="Urgun district", source_name="AFP (provincial hospital official)",
        source_url=URL["nukta_strikes"], audience=PUB, deaths_civilians=10, injured_best=12,
        narrative="Ten civilians, two of them children, killed and 12 wounded, all from Urgun (Argun) district. "
        + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        f"{tur}.analyst", k, urgun, late17, event_type=EXPL, sub_event_type="Air/drone strike", where_prec=2,
        location_name="Urgun", source_name="Afghanistan Cricket Board (via WION)", source_url=URL["wion"],
        audience=PUB, deaths_civilians=3,
        narrative="Three club cricketers, Kabeer, Sibghatullah and Haroon, were killed at a gathering after returning "
        "to Urgun from a friendly match in Sharana. The board withdrew from a three-nation T20 series with "
        "Pakistan. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.liaison", k, urgun, late17, event_type=EXPL, sub_event_type="Air/drone strike", where_prec=4,
        location_name="Afghan border areas facing North and South Waziristan",
        source_name="Attaullah Tarar, Information Minister (on X); a senior security official",
        source_url=URL["ansarpress"], audience=PUB, actor1=ACTOR["PAK"], inter1=1, actor2=GUL_BAHADUR, inter2=2,
        deaths_low=60, deaths_high=70,
        narrative="Precision strikes on hideouts of the Hafiz Gul Bahadur group: 60 to 70 of its fighters and "
        "commanders killed. Talk of civilian deaths is an attempt to win sympathy for terrorists based on Afghan "
        "soil. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # 19 October: the Doha ceasefire.
    doha = b.point("Doha")
    c = b.new(
        f"{qat}.lead", "Doha ceasefire agreed", doha, date(2025, 10, 19), event_type=STRAT, sub_event_type="Agreement",
        where_prec=1, location_name="Doha, Qatar", clause=b.clause("DOHA-2025/1"),
        source_name="Ministry of Foreign Affairs of the State of Qatar (via KUNA)", source_url=URL["kuna"],
        audience=PUB, actor1="Government of Afghanistan (2021-)", actor2="Government of Pakistan (2024-)",
        narrative="An immediate ceasefire, agreed in talks mediated by Qatar and Türkiye, with follow-up meetings to "
        "make it durable; the next round in Istanbul on 25 October. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["doha"] = c.incident
    b.add(
        f"{tur}.analyst", k, doha, date(2025, 10, 19), event_type=STRAT, sub_event_type="Agreement", where_prec=1,
        location_name="Doha", source_name="Ariana News", source_url=URL["ariana"], audience=PUB,
        narrative="The delegations were led by the defence ministers, Khawaja Asif and Mullah Mohammad Yaqoob. "
        + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # Night of 24–25 October: Spinwam and Ghaki.
    spinwam = b.point("Spinwam")
    night24 = (_d(10, 24, 20, 0), _d(10, 25, 6, 0))
    c = b.new(
        "pak.commander.regional", "Infiltration bids at Spinwam (North Waziristan) and Ghaki (Kurram)", spinwam,
        night24, event_type=BATTLE, sub_event_type=ARMED, where_prec=2,
        location_name="Spinwam, North Waziristan; Ghaki, Kurram", alleged_violator="AFG",
        clause=b.clause("DOHA-2025/3"), source_name="ISPR", source_url=URL["dawn_spinwam"], audience=PUB,
        actor1=TTP, inter1=2, actor2=ACTOR["PAK"], inter2=1, **b.deaths(PAK=5), deaths_best=30,
        narrative="Two large groups of khwarij tried to cross from Afghanistan: 15, four of them would-be suicide "
        "bombers, shot dead near Spinwam and ten at Ghaki. Five soldiers killed: Havildar Manzoor Hussain and "
        "Sepoys Nauman Ilyas Kiyani, Muhammad Adil, Shah Jehan and Ali Asghar. Kabul is expected to honour its "
        "Doha commitments and deny the group the use of Afghan soil. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["spinwam"] = c.incident
    b.add(
        "afg.liaison", k, spinwam, night24, event_type=EXPL, sub_event_type="Shelling/artillery/missile attack",
        where_prec=3, location_name="Kurram and North Waziristan border areas", alleged_violator="PAK",
        clause=b.clause("DOHA-2025/2"), source_name="Afghan officials", audience=PUB,
        narrative="Pakistan's forces initiated the clashes with unprovoked shelling across the border. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{tur}.lead", k)

    # 25–30 October: the second round, in Istanbul.
    ist = b.point("Istanbul")
    c = b.new(
        f"{tur}.lead", "Istanbul talks, second round", ist, (date(2025, 10, 25), date(2025, 10, 30)),
        event_type=STRAT, sub_event_type="Other", date_prec=2, where_prec=1, location_name="Istanbul, Türkiye",
        clause=b.clause("DOHA-2025/5"), source_name="Ministry of Foreign Affairs of Türkiye", audience=PUB,
        narrative="Talks under Turkish and Qatari mediation to turn the Doha ceasefire into a lasting arrangement with "
        "a mechanism to check violations. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["istanbul_2"] = c.incident
    b.add(
        "afg.liaison", k, ist, date(2025, 10, 27), event_type=STRAT, sub_event_type="Other", where_prec=1,
        location_name="Istanbul", source_name="Zabihullah Mujahid, spokesman of the Islamic Emirate", audience=PUB,
        narrative="'Our delegation is patient and seeks constructive results that serve the interests of both "
        "nations'; disagreements over enforcement mechanisms remain. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.liaison", k, ist, date(2025, 10, 29), event_type=STRAT, sub_event_type="Other", where_prec=1,
        location_name="Istanbul", source_name="Attaullah Tarar, Information Minister", source_url=URL["deccan"],
        audience=PUB,
        narrative="The talks failed to bring about any workable solution; the Afghan delegation kept deviating from "
        "the core issue and avoided responsibility for TTP attacks. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{tur}.lead", k)
    c = b.new(
        f"{tur}.lead", "Istanbul joint statement: ceasefire maintained, verification mechanism", ist,
        date(2025, 10, 30), event_type=STRAT, sub_event_type="Agreement", where_prec=1,
        location_name="Istanbul, Türkiye", clause=b.clause("ISTANBUL-2025-10-30/2"),
        source_name="Ministry of Foreign Affairs of Türkiye (joint statement)", audience=PUB,
        narrative="All parties agreed to maintain the ceasefire and to establish a monitoring and verification "
        "mechanism that penalises any violator; principals to meet again in Istanbul on 6 November. " + DEMO_NOTE,
    )  # fmt: skip
    b.key["istanbul_statement"] = c.incident
    b.publish(f"{tur}.lead", c.incident)

    # 29 October: ambush in Kurram.
    dogar = b.point("Dogar, Kurram")
    c = b.new(
        "pak.commander.sector", "Convoy ambush near Dogar, Kurram", dogar, date(2025, 10, 29), event_type=BATTLE,
        sub_event_type=ARMED, where_prec=2, location_name="Dogar area, Kurram", source_name="ISPR", audience=PARTIES,
        actor1=TTP, inter1=2, actor2=ACTOR["PAK"], inter2=1, **b.deaths(PAK=6), deaths_best=13,
        narrative="Troops clashed with Fitna al-Khawarij fighters in the Dogar area; seven militants killed. Six "
        "soldiers killed: Captain Noman Saleem, Havaldar Amjad Ali, Naik Waqas Ahmad and Sepoys Aijaz Ali, "
        "Muhammad Waleed and Muhammad Shahbaz. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "pak.analyst", c.incident, dogar, date(2025, 10, 29), event_type=EXPL,
        sub_event_type="Remote explosive/landmine/IED", where_prec=2, location_name="Sultani and Dogar, Kurram",
        source_name="Lokmat Times", source_url=URL["lokmat_kurram"], audience=PUB,
        narrative="The convoy first came under fire in the Sultani area; a roadside bomb then went off near Dogar and "
        "several army trucks were set on fire. " + DEMO_NOTE,
    )  # fmt: skip

    # 6 November: firing at Spin Boldak as the third round opens.
    chaman = b.point("Chaman")
    c = b.new(
        "afg.liaison", "Cross-border fire at Spin Boldak during the Istanbul talks", spin, date(2025, 11, 6),
        event_type=CV, sub_event_type="Cross-border fire", where_prec=2, location_name="Spin Boldak",
        alleged_violator="PAK", clause=b.clause("DOHA-2025/2"),
        source_name="Zabihullah Mujahid, spokesman of the Islamic Emirate (on X)", source_url=URL["aljazeera_nov6"],
        audience=PUB, actor1=ACTOR["PAK"], inter1=1,
        narrative="Pakistani forces once again fired on Spinboldak in the afternoon, frightening residents; Afghan "
        "troops did not answer, out of respect for the negotiating team and to avoid hurting civilians. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["spin_boldak_nov6"] = c.incident
    b.add(
        "pak.liaison", k, chaman, date(2025, 11, 6), event_type=CV, sub_event_type="Cross-border fire", where_prec=2,
        location_name="Chaman", alleged_violator="AFG", clause=b.clause("DOHA-2025/2"),
        source_name="Ministry of Information and Broadcasting of Pakistan", source_url=URL["aljazeera_nov6"],
        audience=PUB, **b.deaths(PAK=0),
        narrative="Rejects the Afghan claims about the incident at Chaman: the shooting was started from across the "
        "border and Pakistani troops replied at once in a measured and responsible way. The situation is under "
        "control and the ceasefire holds. No casualties on the Pakistani side. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        f"{tur}.analyst", k, spin, date(2025, 11, 6), event_type=CV, sub_event_type="Cross-border fire",
        where_prec=2, location_name="Spin Boldak", source_name="AFP (Spin Boldak district hospital official)",
        source_url=URL["asianet"], audience=PUB, deaths_civilians=5, injured_best=6,
        narrative="Four women and a man killed and six people wounded; residents said the firing lasted 10 to 15 "
        "minutes. " + DEMO_NOTE,
    )  # fmt: skip
    if jmt and b.post("JMP-CHAMAN"):
        b.add(
            f"{jmt}.monitor1", k, gate, date(2025, 11, 6), event_type=CV, sub_event_type="Cross-border fire",
            where_prec=2, location_name="Chaman–Spin Boldak", post_code="JMP-CHAMAN",
            source_name="Joint monitoring post Chaman–Spin Boldak", audience=PARTIES,
            narrative="INVENTED for the demonstration (the joint posts are proposals): the post heard small-arms and "
            "heavier fire for about a quarter of an hour in the afternoon; it could not see where it started.",
        )  # fmt: skip
    b.publish(f"{tur}.lead", k)

    # 6–7 November: the third round.
    c = b.new(
        f"{tur}.lead", "Istanbul talks, third round", ist, (date(2025, 11, 6), date(2025, 11, 7)), event_type=STRAT,
        sub_event_type="Other", date_prec=2, where_prec=1, location_name="Istanbul, Türkiye",
        clause=b.clause("ISTANBUL-2025-10-30/3"),
        source_name="Türkiye's National Intelligence Organization (MIT), host", audience=PUB,
        narrative="Third round hosted by MIT under Ibrahim Kalin. Pakistan's team was led by national security "
        "adviser Lt Gen Asim Malik, the Afghan delegation by intelligence chief Abdul Haq Wasiq. The round ended "
        "without agreement. " + DEMO_NOTE,
    )  # fmt: skip
    k = b.key["istanbul_3"] = c.incident
    b.add(
        f"{qat}.analyst", k, ist, date(2025, 11, 6), event_type=STRAT, sub_event_type="Other", where_prec=1,
        location_name="Istanbul", source_name="Al Jazeera", source_url=URL["aljazeera_nov6"], audience=PUB,
        narrative="Afghanistan and Pakistan exchanged fire at Spin Boldak–Chaman as the talks began. " + DEMO_NOTE,
    )  # fmt: skip
    b.publish(f"{qat}.lead", k)

    # 10–12 November: Cadet College Wana.
    wana = b.point("Wana")
    c = b.new(
        "pak.commander.national", "Attack on Cadet College Wana", wana, (date(2025, 11, 10), date(2025, 11, 12)),
        event_type=BATTLE, sub_event_type=ARMED, date_prec=2, where_prec=1, location_name="Cadet College Wana",
        alleged_violator="AFG", clause=b.clause("DOHA-2025/3"), source_name="ISPR; security officials",
        source_url=URL["dailypakistan_wana"], audience=PARTIES, actor1=TTP, inter1=2, actor2=ACTOR["PAK"], inter2=1,
        deaths_best=5,
        narrative="Fitna al-Khawarij fighters drove an explosives-laden vehicle into the main gate; two were shot "
        "dead and three got into the administration block. About 650 people, 525 of them cadets, were brought out "
        "safely; all five attackers killed. The Interior Minister said the attackers were Afghans taking "
        "instructions from handlers in Afghanistan. " + DEMO_NOTE,
    )  # fmt: skip
    b.add(
        "afg.liaison", c.incident, wana, date(2025, 11, 12), event_type=BATTLE, sub_event_type=ARMED, where_prec=1,
        location_name="Wana", source_name="Spokesman of the Islamic Emirate", audience=PARTIES,
        narrative="Kabul rejects the charge that attacks in Pakistan are directed from Afghan territory. " + DEMO_NOTE,
    )  # fmt: skip


# --- invented lower-intensity events ----------------------------------------------------------------


def _day_weight(d: date) -> float:
    md = (d.month, d.day)
    table = {
        (10, 9): 1.0, (10, 10): 1.5, (10, 11): 5, (10, 12): 6, (10, 13): 4, (10, 14): 5, (10, 15): 6,
        (10, 16): 2, (10, 17): 3, (10, 18): 3, (10, 24): 3, (10, 25): 3, (10, 29): 2.5, (11, 6): 3, (11, 7): 2,
        (11, 10): 2, (11, 11): 2, (11, 12): 2,
    }  # fmt: skip
    if md in table:
        return table[md]
    return 1.5 if d < date(2025, 10, 31) else 1.1


PRE_TYPES = [(35, "clash"), (30, "shelling"), (15, "drone"), (10, "ied"), (10, "infiltration")]
POST_TYPES = [
    (32, "fire"), (12, "airspace"), (9, "incursion"), (9, "fortification"), (8, "ied"), (8, "drone"),
    (11, "infiltration"), (5, "closure"), (6, "shelling"),
]  # fmt: skip

KIND = {
    "clash": ("Battles", "Armed clash"),
    "shelling": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "drone": ("Explosions/Remote violence", "Air/drone strike"),
    "ied": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "infiltration": ("Battles", "Armed clash"),
    "fire": ("Ceasefire violation", "Cross-border fire"),
    "airspace": ("Ceasefire violation", "Airspace violation"),
    "incursion": ("Ceasefire violation", "Ground incursion"),
    "fortification": ("Ceasefire violation", "Fortification or construction at the line"),
    "closure": ("Ceasefire violation", "Closure of a crossing"),
}
CLAUSE_FOR = {
    "fire": "DOHA-2025/2", "shelling": "DOHA-2025/2", "drone": "DOHA-2025/2", "clash": "DOHA-2025/2",
    "airspace": "DOHA-2025/4", "incursion": "DOHA-2025/4", "fortification": "DOHA-2025/4",
    "closure": "DOHA-2025/5", "ied": "DOHA-2025/3", "infiltration": "DOHA-2025/3",
}  # fmt: skip
TITLE = {
    "clash": "Exchange of fire between border forces near {place}",
    "shelling": "Mortar rounds land near {place}",
    "drone": "Reported drone strike near {place}",
    "ied": "Roadside bomb hits a patrol near {place}",
    "infiltration": "Armed group tries to cross the border near {place}",
    "fire": "Cross-border fire near {place}",
    "airspace": "Drone over {place}",
    "incursion": "Patrol reported across the line near {place}",
    "fortification": "New construction at the line near {place}",
    "closure": "{place} crossing closed",
}
FORCES = {"AFG": "Afghan forces", "PAK": "Pakistani forces"}
WEAPONS = ["small-arms", "machine-gun", "mortar", "small-arms and mortar", "heavy machine-gun", "rocket"]
WORKS = [
    "a new observation post",
    "trenches",
    "a stretch of fence",
    "a bunker",
    "a watchtower",
    "an earth berm",
]


class Filler:
    """Invented events near the border, in the charter's districts, posts and crossings."""

    def __init__(self, b: Builder):
        self.b = b
        self.rng = b.rng
        self.anchors = self._anchors()
        self.crossing_anchors = [a for a in self.anchors if a.crossing]
        self.days = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
        self.day_w = [_day_weight(d) for d in self.days]
        self.amend_candidates: list[tuple[str, Claim, dict]] = []
        self.publish_candidates: list[Incident] = []
        self.drafts_left = {p: 0 for p in b.party_codes}
        self.posts = list(b.charter.posts)
        c = b.charter
        self.qat = c.mediators[0].code.lower() if c.mediators else ""
        self.tur = c.mediators[1].code.lower() if len(c.mediators) > 1 else self.qat
        self.jmt = c.monitoring_teams[0].code.lower() if c.monitoring_teams else ""
        self.province_name = {p.code: p.name["en"] for p in c.provinces}
        self.district_name = {d.code: d.name["en"] for d in c.districts}

    def _anchors(self) -> list[Anchor]:
        from shapely.geometry import LineString, Point

        b, c = self.b, self.b.charter
        line = LineString([tuple(p[:2]) for p in c.border.line.coordinates])
        anchors: list[Anchor] = []
        for d in c.districts:
            seat = tuple(d.seat.location)
            near = line.interpolate(line.project(Point(seat)))
            border = (round(near.x, 5), round(near.y, 5))
            if _dist_km(border, seat) > 120:
                continue
            sector = b.locate(*border).sector or ""
            anchors.append(
                Anchor(border, seat, d.party, d.name["en"], sector, SECTOR_WEIGHT.get(sector, 1.0))
            )
        seats = [(d.party, tuple(d.seat.location)) for d in c.districts]
        for x in list(c.crossings) + list(c.posts):
            loc = tuple(x.location)
            sector = b.locate(*loc).sector or ""
            crossing = x.code if x in c.crossings else ""
            label = x.name["en"].replace(" (proposed)", "").replace("Joint post ", "")
            for party in b.party_codes:
                own = [s for p, s in seats if p == party]
                if not own:
                    continue
                seat = min(own, key=lambda s: _dist_km(loc, s))
                anchors.append(
                    Anchor(loc, seat, party, label, sector, 1.5 * SECTOR_WEIGHT.get(sector, 1.0), crossing)
                )
        return anchors

    # -- places --

    def place(self, party: str, near_km=(1.0, 10.0), anchors: list[Anchor] | None = None):
        """A point on `party`'s side, a few km from the border near an anchor; (anchor, (lon, lat), loc)."""
        pool = [a for a in (anchors or self.anchors) if a.party == party]
        for _ in range(12):
            a = self.rng.choices(pool, weights=[x.weight for x in pool])[0]
            east, north = _unit(a.border, a.towards)
            along = self.rng.uniform(-3.0, 3.0)
            depth = self.rng.uniform(*near_km)
            p = _offset(a.border[0], a.border[1], east * depth - north * along, north * depth + east * along)
            p = (round(p[0], 5), round(p[1], 5))
            loc = self.b.locate(*p)
            if loc.side == party and loc.distance_to_border_m < 30_000:
                return a, p, loc
        loc = self.b.locate(*a.towards)
        return a, a.towards, loc

    def nearest_post(self, p) -> str:
        if not self.posts:
            return ""
        post = min(self.posts, key=lambda x: _dist_km(p, tuple(x.location)))
        return post.code if _dist_km(p, tuple(post.location)) < 60 else ""

    def where(self, a: Anchor, loc) -> str:
        bits = [f"near {a.label}"]
        if (
            loc.district
            and loc.district in self.district_name
            and self.district_name[loc.district] != a.label
        ):
            bits.append(self.district_name[loc.district])
        if loc.province in self.province_name:
            bits.append(self.province_name[loc.province])
        return ", ".join(bits) + f" ({loc.distance_to_border_m / 1000:.0f} km from the border)"

    # -- people --

    def party_user(self, party: str, sector: str) -> str:
        p = party.lower()
        choices = [f"{p}.liaison", f"{p}.liaison", f"{p}.commander.regional"]
        if self.b.u(f"{p}.commander.sector").sector == sector:
            choices += [f"{p}.commander.sector"] * 3
        if self.rng.random() < 0.08:
            choices.append(f"{p}.commander.national")
        return self.rng.choice(choices)

    def party_source(self, party: str, user: str, loc) -> str:
        province = self.province_name.get(loc.province or "", "the border")
        if party == "AFG":
            if ".commander" in user:
                return self.rng.choice(
                    [f"Afghan border forces, {province}", f"Border brigade command, {province}"]
                )
            return self.rng.choice(
                ["Islamic Emirate liaison office", f"Liaison officer, {province} border command"]
            )
        if ".commander" in user:
            return self.rng.choice(
                [f"Frontier Corps sector headquarters ({province})", f"Border sector command, {province}"]
            )
        return self.rng.choice(["Pakistan liaison cell", f"Liaison officer, {province}"])

    def audience(self, weights) -> str:
        return self.rng.choices([Audience.MEDIATORS, Audience.PARTIES, Audience.PUBLIC], weights=weights)[0]

    # -- one event --

    def when(self) -> tuple[datetime, datetime | None, int]:
        day = self.rng.choices(self.days, weights=self.day_w)[0]
        night = self.rng.random() < 0.6
        hour = self.rng.choice([20, 21, 22, 23, 0, 1, 2, 3, 4, 5]) if night else self.rng.randint(6, 19)
        start = datetime(
            day.year, day.month, day.day, hour, self.rng.choice([0, 10, 15, 20, 30, 40, 45, 50]), tzinfo=PKT
        )
        if self.rng.random() < 0.08:
            return start, start + timedelta(days=1), 2
        return start, start + timedelta(minutes=self.rng.choice([10, 15, 20, 30, 45, 60, 90])), 1

    def kind_for(self, start: datetime) -> str:
        ceasefire = start >= DOHA_DAY or TRUCE_48H[0] <= start <= TRUCE_48H[1]
        table = POST_TYPES if ceasefire else PRE_TYPES
        kind = self.rng.choices([k for _, k in table], weights=[w for w, _ in table])[0]
        if kind == "closure" and not self.crossing_anchors:
            kind = "fire"
        return kind

    def event(self, i: int) -> None:
        b, rng = self.b, self.rng
        start, end, date_prec = self.when()
        kind = self.kind_for(start)
        et, sub = KIND[kind]
        clause = b.clause(CLAUSE_FOR[kind]) if start >= DOHA_DAY else ""

        # where it happened, who reports it first, and whom they blame
        if kind in ("drone", "airspace"):
            side = "AFG" if rng.random() < 0.8 else "PAK"
        elif kind in ("ied", "infiltration"):
            side = "PAK" if rng.random() < 0.85 else "AFG"
        else:
            side = rng.choice(b.party_codes)
        other = b.other(side)
        if kind == "fortification":
            builder_side = rng.choice(b.party_codes)
            a, p, loc = self.place(builder_side, near_km=(0.2, 2.0))
            reporter, alleged = b.other(builder_side), builder_side
        elif kind == "closure":
            a, p, loc = self.place(side, near_km=(0.1, 0.8), anchors=self.crossing_anchors)
            reporter, alleged = other, side
        else:
            a, p, loc = self.place(side, near_km=(0.5, 9.0) if kind != "airspace" else (2.0, 15.0))
            reporter = side
            alleged = other
            if kind == "ied" and rng.random() < 0.5:
                alleged = ""
        label = a.label if kind != "closure" else a.label.split(" (")[0]
        title = TITLE[kind].format(place=label)
        where = self.where(a, loc)
        when = (start, end)
        where_prec = 2 if kind in ("airspace", "drone") or rng.random() < 0.3 else 1
        common = {"event_type": et, "sub_event_type": sub, "date_prec": date_prec, "where_prec": where_prec,
                  "location_name": where, "clause": clause}  # fmt: skip

        first_user = self.party_user(reporter, loc.sector or "")
        figures = self.figures(kind, reporter)
        text = self.story(kind, reporter, alleged, start, figures, a.label)
        monitors_first = bool(self.jmt) and start >= MECHANISM_DAY and kind == "fire" and rng.random() < 0.15
        draft = not monitors_first and self.drafts_left.get(reporter, 0) > 0 and rng.random() < 0.05
        if draft:
            self.drafts_left[reporter] -= 1

        if monitors_first and self.nearest_post(p):
            c = b.new(
                f"{self.jmt}.monitor{rng.randint(1, 2)}", title, p, when, **common, alleged_violator="",
                post_code=self.nearest_post(p), source_name=f"Joint monitoring post {self.nearest_post(p)}",
                audience=self.audience((3, 6, 1)), narrative=self.post_story(kind, start) + " " + INVENTED_NOTE,
            )  # fmt: skip
            incident = c.incident
            n_more = rng.choice([1, 1, 2])
            others = [reporter, b.other(reporter)]
        else:
            kw = dict(common, alleged_violator=alleged, source_name=self.party_source(reporter, first_user, loc),
                      audience=self.audience((45, 40, 15)), actor1=ACTOR.get(alleged, ""),
                      inter1=1 if alleged else None, narrative=text + " " + INVENTED_NOTE,
                      file=not draft, **figures)  # fmt: skip
            if kind in ("ied", "infiltration"):
                kw["actor1"], kw["inter1"] = TTP, 2
            c = b.new(first_user, title, p, when, **kw)
            incident = c.incident
            if draft:
                return
            if figures or rng.random() < 0.3:
                self.amend_candidates.append((first_user, c, {"at": p, "when": when, **kw}))
            n_more = rng.choices([0, 1, 2], weights=[25, 45, 30])[0]
            others = [b.other(reporter)]

        made = 1
        for who in self.follow_ups(start, others):
            if made > n_more:
                break
            made += self.follow_up(
                who, incident, kind, reporter, alleged, p, when, common, start, a.label, figures
            )
        if rng.random() < 0.06:
            self.publish_candidates.append(incident)

    def follow_ups(self, start, parties) -> list[str]:
        rng = self.rng
        out = [party for party in parties if rng.random() < 0.75]
        if self.jmt and start >= MECHANISM_DAY and rng.random() < 0.5:
            out.append("monitor")
        elif start < MECHANISM_DAY and start >= DOHA_DAY and rng.random() < 0.2:
            out.append("verifier")
        if rng.random() < 0.4:
            out.append("press")
        rng.shuffle(out)
        return out

    def follow_up(
        self, who, incident, kind, reporter, alleged, p, when, common, start, label, figures
    ) -> int:
        b, rng = self.b, self.rng
        if who in b.party_codes:
            user = self.party_user(who, incident.sector)
            loc = b.locate(*p)
            blame = reporter if who != reporter else alleged
            own_figures = {}
            if who == reporter:
                own_figures = figures
                text = self.story(kind, reporter, alleged, start, figures, label)
            else:
                text = self.denial(kind, who, reporter, start, label)
                if rng.random() < 0.4:
                    own_figures = b.deaths(**{who: 0})
            draft = self.drafts_left.get(who, 0) > 0 and rng.random() < 0.04
            if draft:
                self.drafts_left[who] -= 1
            b.add(
                user, incident, p, when, **common, alleged_violator=blame if kind != "closure" else "",
                source_name=self.party_source(who, user, loc), audience=self.audience((40, 50, 10)),
                actor1=ACTOR.get(blame, ""), inter1=1 if blame else None,
                narrative=text + " " + INVENTED_NOTE, file=not draft,
                **own_figures,
            )  # fmt: skip
            return 1
        if who == "monitor":
            post = self.nearest_post(p)
            if not post:
                return 0
            b.add(
                f"{self.jmt}.monitor{rng.randint(1, 2)}", incident, p, when, **common,
                alleged_violator=alleged if rng.random() < 0.35 else "", post_code=post,
                source_name=f"Joint monitoring post {post}", audience=self.audience((4, 6, 0)),
                narrative=self.post_story(kind, start) + " " + INVENTED_NOTE,
            )  # fmt: skip
            return 1
        if who == "verifier":
            med = rng.choice([self.qat, self.tur])
            b.add(
                f"{med}.verifier", incident, p, when, **common, source_name=f"{med.upper()} verification cell",
                audience=Audience.MEDIATORS,
                narrative="Reported to the mediators through the liaison channel; the verification cell asked both "
                "parties for details and has not yet established the facts. " + INVENTED_NOTE,
            )  # fmt: skip
            return 1
        if who == "press":
            analyst = rng.choice([f"{self.qat}.analyst", f"{self.tur}.analyst", "afg.analyst", "pak.analyst"])
            loc = b.locate(*p)
            province = self.province_name.get(loc.province or "", "the border area")
            b.add(
                analyst, incident, p, when, **common,
                source_name=rng.choice([f"Local journalists, {province}", f"Residents quoted by local media, {province}",
                                        f"Local press ({label})"]),
                audience=self.audience((5, 20, 75)),
                narrative=self.press_story(kind, label) + " " + INVENTED_NOTE,
            )  # fmt: skip
            return 1
        return 0

    # -- figures and words --

    def figures(self, kind: str, reporter: str) -> dict:
        rng, b = self.rng, self.b
        r = rng.random()
        if kind in ("airspace", "fortification", "closure", "incursion"):
            return {}
        if kind in ("drone", "shelling") and r < 0.55:
            out = {"deaths_civilians": rng.randint(1, 4)}
            if rng.random() < 0.7:
                out["injured_best"] = rng.randint(1, 8)
            return out
        if kind in ("clash", "infiltration") and r < 0.6:
            out = b.deaths(**{b.other(reporter): rng.randint(2, 12), reporter: rng.randint(0, 2)})
            if kind == "infiltration":
                out = b.deaths(**{reporter: rng.randint(0, 2)})
                out["deaths_best"] = out.get("deaths_a", 0) + out.get("deaths_b", 0) + rng.randint(2, 9)
            return out
        if r < 0.45:
            return {}
        if r < 0.8:
            return {"injured_best": rng.randint(1, 4)}
        out = b.deaths(**{reporter: rng.randint(1, 2)})
        if rng.random() < 0.5:
            out["injured_best"] = rng.randint(1, 3)
        return out

    def story(self, kind, reporter, alleged, start: datetime, figures: dict, label: str) -> str:
        rng = self.rng
        hhmm = start.astimezone(PKT if reporter == "PAK" else AFT).strftime("%H:%M")
        them = FORCES.get(alleged, "unidentified attackers")
        hurt = self.hurt_text(figures)
        if kind in ("fire", "clash"):
            return (
                f"At about {hhmm} our positions near {label} came under {rng.choice(WEAPONS)} fire from "
                f"{them} across the line; our troops responded. {hurt}"
            )
        if kind == "shelling":
            return (
                f"At about {hhmm} mortar rounds fired by {them} landed near houses close to {label}. {hurt}"
            )
        if kind == "drone":
            return f"An armed drone launched by {them} struck a house and a vehicle near {label} at about {hhmm}. {hurt}"
        if kind == "airspace":
            return (
                f"A drone of {them} flew over {label} for about {rng.choice([10, 15, 20, 30, 40])} minutes at "
                f"about {hhmm}, {rng.randint(3, 15)} km inside our territory."
            )
        if kind == "incursion":
            return (
                f"A patrol of {rng.randint(6, 30)} men of {them} crossed about {rng.choice([200, 300, 500, 800])} m "
                f"into our territory near {label} and withdrew after {rng.choice([20, 40, 60, 90])} minutes."
            )
        if kind == "fortification":
            return f"{them.capitalize()} are building {rng.choice(WORKS)} on the line near {label}, in breach of the status quo."
        if kind == "closure":
            return (
                f"{them.capitalize()} closed the {label} crossing to trade and travellers without notice; "
                f"{rng.randint(80, 900)} trucks are waiting."
            )
        if kind == "ied":
            who = "militants operating from across the line" if alleged else "unidentified militants"
            return f"A roadside bomb planted by {who} hit a patrol near {label} at about {hhmm}. {hurt}"
        if kind == "infiltration":
            return (
                f"A group of {rng.randint(8, 40)} armed men tried to cross from {alleged or 'the other side'} near "
                f"{label} at about {hhmm}; troops stopped them. {hurt}"
            )
        return f"Incident near {label}. {hurt}"

    @staticmethod
    def hurt_text(figures: dict) -> str:
        if not figures:
            return "No casualties reported."
        bits = []
        dead = figures.get("deaths_best") or sum(
            figures.get(k) or 0 for k in ("deaths_a", "deaths_b", "deaths_civilians")
        )
        if dead:
            bits.append(f"{dead} killed")
        if figures.get("injured_best"):
            bits.append(f"{figures['injured_best']} injured")
        return (", ".join(bits) + ".").capitalize() if bits else "No casualties on our side."

    def denial(self, kind, who, reporter, start, label) -> str:
        rng = self.rng
        them = FORCES[reporter]
        options = {
            "fire": [
                f"Our troops returned fire only after {them} opened fire first.",
                "No firing was initiated from our side; the report is baseless.",
                f"Our post near {label} answered fire aimed at it; the ceasefire holds on our side.",
            ],
            "clash": [
                f"{them} started the exchange; our forces responded in self-defence.",
                "The figures given by the other side are exaggerated.",
            ],
            "shelling": [
                "No artillery or mortar fire was directed at civilian areas.",
                f"The rounds came from {them}'s own positions.",
            ],
            "drone": [
                "We carried out no operation across the border that night.",
                "The strike targeted a hideout of militants, not civilians.",
            ],
            "airspace": [
                "No aircraft or drone of ours crossed the line.",
                "The flight was a surveillance flight inside our own airspace.",
            ],
            "incursion": [
                "Our patrol stayed on our side of the line throughout.",
                "The patrol followed its usual route, which is on our side of the line.",
            ],
            "fortification": [
                "The work is on our own territory and is purely defensive.",
                "This is repair of an existing post, not new construction.",
            ],
            "closure": [
                "The crossing is closed for security reasons and will reopen when the threat has passed."
            ],
            "ied": [
                "No one crossed from our territory; this is an internal matter of the other side.",
                "We reject any link between this attack and our territory.",
            ],
            "infiltration": [
                "No group crossed from our territory; the clash took place inside the other country.",
                "The dead were not from our territory; the claim is an attempt to shift blame.",
            ],
        }
        return rng.choice(options.get(kind, ["The report is denied."]))

    def post_story(self, kind, start) -> str:
        rng = self.rng
        minutes = rng.choice([5, 10, 15, 20, 30])
        if kind in ("fire", "clash", "shelling"):
            return rng.choice(
                [
                    f"The post heard bursts of fire for about {minutes} minutes; it could not see where the fire started.",
                    f"The post observed tracer fire from both sides for about {minutes} minutes.",
                    "The post heard several explosions consistent with mortar rounds; origin not determined.",
                ]
            )
        if kind in ("airspace", "drone"):
            return "The post heard a drone overhead; it could not identify it or say where it came from."
        if kind == "fortification":
            return "The post saw earth-moving work at the line; it cannot say on which side of the line the work lies."
        if kind == "incursion":
            return "The post saw a patrol moving close to the line; it could not tell whether it crossed."
        return "The post has no direct observation; it recorded reports from residents."

    def press_story(self, kind, label) -> str:
        rng = self.rng
        return rng.choice(
            [
                f"Residents near {label} described the incident; the figures could not be confirmed independently.",
                f"Local officials near {label} confirmed an incident but gave no details.",
                f"Reports from {label} could not be checked independently; both sides blamed each other.",
            ]
        )

    # -- after the events --

    def amend_some(self, count: int) -> None:
        b, rng = self.b, self.rng
        pool = list(self.amend_candidates)
        rng.shuffle(pool)
        for user, claim, kw in pool[:count]:
            kw = dict(kw)
            at, when = kw.pop("at"), kw.pop("when")
            if kw.get("injured_best"):
                kw["injured_best"] += rng.randint(1, 3)
            elif kw.get("deaths_civilians"):
                kw["deaths_civilians"] += 1
            else:
                kw["injured_best"] = rng.randint(1, 2)
            kw["narrative"] = (
                "CORRECTION of an earlier report, with revised figures after the hospital count. "
                + kw["narrative"]
            )
            kw["file"] = True
            b.amend(user, claim, at, when, **kw)

    def top_up_drafts(self) -> None:
        """Make sure each party has at least one draft, even in a small scenario."""
        b, rng = self.b, self.rng
        for party in b.party_codes:
            if self.drafts_left[party] <= 0:
                continue
            pool = [i for i in b.made if i.claims.filter(status="filed").exists() and not i.published]
            if not pool:
                continue
            incident = rng.choice(pool)
            p = (incident.longitude, incident.latitude)
            b.add(
                f"{party.lower()}.liaison", incident, p, incident.date_start, event_type=incident.event_type,
                sub_event_type=incident.sub_event_type, where_prec=incident.where_prec,
                location_name=incident.location_name, alleged_violator=b.other(party),
                source_name=self.party_source(party, f"{party.lower()}.liaison", b.locate(*p)),
                audience=Audience.PARTIES, file=False,
                narrative="DRAFT, not filed: our own account, awaiting the sector report. " + INVENTED_NOTE,
            )  # fmt: skip
            self.drafts_left[party] -= 1

    def publish_some(self, count: int) -> None:
        b = self.b
        pool = [i for i in self.publish_candidates if i.claims.filter(status="filed").count() >= 1]
        for n, incident in enumerate(pool[:count]):
            lead = f"{self.qat}.lead" if n % 2 == 0 else f"{self.tur}.lead"
            if not incident.claims.filter(status="filed", audience=Audience.PUBLIC).exists():
                p = (incident.longitude, incident.latitude)
                b.add(
                    lead, incident, p, incident.date_start, event_type=incident.event_type,
                    sub_event_type=incident.sub_event_type, where_prec=incident.where_prec,
                    location_name=incident.location_name, source_kind=SourceKind.MEDIATOR,
                    source_name=f"{lead.split('.')[0].upper()} mediators (public summary)", audience=Audience.PUBLIC,
                    narrative="Public summary by the mediators: an incident was reported by the parties and is "
                    "under review. " + INVENTED_NOTE,
                )  # fmt: skip
            b.publish(lead, incident)


# --- entry points ----------------------------------------------------------------------------------


@dataclass
class Result:
    incidents: int
    claims: int
    drafts: int
    amended: int
    published: int
    seconds: float
    users: dict[str, User]


def load(seed: int = DEFAULT_SEED, incidents_wanted: int = DEFAULT_INCIDENTS, progress=None) -> Result:
    """Load the whole scenario in one transaction. Raise DemoError when demo data is already there."""
    started = time.monotonic()
    charter = get_charter()
    if not {"AFG", "PAK"} <= {p.code for p in charter.parties}:
        raise DemoError(
            "the demonstration scenario is written for the Afghanistan–Pakistan charter (AFG, PAK)"
        )
    say = progress or (lambda _msg: None)
    with transaction.atomic():
        if is_loaded():
            raise DemoError("demonstration data is already loaded (use --if-empty to print the logins only)")
        users = ensure_accounts(charter)
        say(f"{len(users)} demo accounts ready")
        b = Builder(charter, users, seed)
        real_timeline(b)
        say(f"{len(b.made)} incidents from the public record of October–November 2025")
        filler = Filler(b)
        to_make = max(0, incidents_wanted - len(b.made) - 1)  # one is left for the live hotline morning
        per_party = max(1, to_make // 70)
        filler.drafts_left = {p: per_party for p in b.party_codes}
        for i in range(to_make):
            filler.event(i)
        filler.top_up_drafts()
        filler.amend_some(max(2, to_make // 60))
        filler.publish_some(max(2, to_make // 45))
        say(f"{to_make} invented lower-intensity incidents")
        from . import hotline as demo_hotline

        made = demo_hotline.load(b)
        say(f"hotline: desks staffed, {len(made)} live messages and protocol runs of this morning")
        from . import verification as demo_verification

        checked = demo_verification.load(b)
        say(f"verification: complaints, cases and a signed finding ({', '.join(sorted(checked))})")
        # Commitments first: the records of the later steps (a meeting held, an exchange reciprocal, a document
        # agreed) meet the obligations it enters.
        from . import commitments, crossings, documents, exchanges, intel, media, meetings

        for part in (commitments, crossings, meetings, exchanges, documents, intel, media):
            part.load(progress=say)
    return Result(len(b.made), b.claims, b.drafts, b.amended, b.published, time.monotonic() - started, users)


def username_table(rows: Iterable[tuple[User, bool]]) -> list[str]:
    header = ("USERNAME", "ORGANISATION", "ROLE", "LEVEL / SECTOR", "TOTP CODE")
    lines = []
    data = []
    for user, totp in rows:
        level = user.get_command_level_display() if user.command_level else ""
        if user.sector:
            level = f"{level} {user.sector}".strip()
        role = user.get_role_display()
        if user.is_staff:
            role += " (staff)"
        data.append((user.username, user.organisation.code if user.organisation_id else "", str(role), str(level),
                     "needed" if totp else "-"))  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *data]) for i in range(len(header))]
    for r in [header, *data]:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
    return lines
