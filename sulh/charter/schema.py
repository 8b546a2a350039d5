"""The charter format: pydantic v2 models for everything specific to one ceasefire.

A charter is one YAML file (see docs/charter.md). These models validate its structure; the cross-field
rules (codes exist, ranges fit the border line, places lie near the border) are in ``Charter``'s
``model_validator``. Geometry is GeoJSON (lon, lat order, WGS 84).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# The region a charter's points must fall in (Afghanistan–Pakistan border region, generously).
REGION_LON = (55.0, 80.0)
REGION_LAT = (23.0, 40.0)

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9._-]*$", max_length=40)]
PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]

_DURATION_RE = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration limited to weeks, days, hours, minutes, seconds ("PT10M", "P3D", "P1DT2H").

    Years and months are refused: their length is not fixed, and deadlines must be exact.
    """
    if not isinstance(text, str):
        raise ValueError("duration must be a string like 'PT10M' or 'P3D'")
    m = _DURATION_RE.match(text.strip())
    if not m:
        raise ValueError(
            f"{text!r} is not an ISO 8601 duration of weeks/days/hours/minutes/seconds (e.g. 'PT10M', 'P3D')"
        )
    parts = {k: float(v) for k, v in m.groupdict().items() if v is not None}
    delta = timedelta(**parts)
    if delta <= timedelta(0):
        raise ValueError(f"duration {text!r} must be positive")
    return delta


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Names = dict[LangCode, str]


def _require_en(v: dict[str, str]) -> dict[str, str]:
    if "en" not in v:
        raise ValueError("an English name ('en') is required")
    for lang, text in v.items():
        if not text or not text.strip():
            raise ValueError(f"name for {lang!r} is empty")
    return v


class Source(_Model):
    title: str
    url: str | None = None
    licence: str
    accessed: dt.date | None = None
    note: str | None = None


# --- GeoJSON -------------------------------------------------------------------------------------

Position = tuple[float, float]


def _check_position(p: Position) -> Position:
    lon, lat = p
    if not (REGION_LON[0] <= lon <= REGION_LON[1] and REGION_LAT[0] <= lat <= REGION_LAT[1]):
        raise ValueError(
            f"point [{lon}, {lat}] is outside the region (lon {REGION_LON[0]}..{REGION_LON[1]}, "
            f"lat {REGION_LAT[0]}..{REGION_LAT[1]}); GeoJSON order is [lon, lat]"
        )
    return p


def _check_ring(ring: list[Position]) -> list[Position]:
    if len(ring) < 4:
        raise ValueError("a polygon ring needs at least 4 positions")
    if tuple(ring[0]) != tuple(ring[-1]):
        raise ValueError("a polygon ring must be closed (first position == last position)")
    return ring


class LineStringGeom(_Model):
    type: Literal["LineString"]
    coordinates: list[Position] = Field(min_length=2)

    @field_validator("coordinates")
    @classmethod
    def _in_region(cls, v):
        for p in v:
            _check_position(p)
        return v


class PolygonGeom(_Model):
    type: Literal["Polygon"]
    coordinates: list[list[Position]] = Field(min_length=1)

    @field_validator("coordinates")
    @classmethod
    def _rings(cls, v):
        for ring in v:
            _check_ring(ring)
        return v


class MultiPolygonGeom(_Model):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]] = Field(min_length=1)

    @field_validator("coordinates")
    @classmethod
    def _rings(cls, v):
        for poly in v:
            for ring in poly:
                _check_ring(ring)
        return v


Area = Annotated[PolygonGeom | MultiPolygonGeom, Field(discriminator="type")]


def _shape(geom):
    from shapely.geometry import shape

    return shape(geom.model_dump())


def _valid_area(geom):
    if geom is None:
        return geom
    s = _shape(geom)
    if not s.is_valid:
        from shapely.validation import explain_validity

        raise ValueError(f"invalid polygon geometry: {explain_validity(s)}")
    return geom


# --- parts of a charter --------------------------------------------------------------------------


class Party(_Model):
    code: PartyCode
    name: Names
    iso_numeric: Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")] = Field(
        description="ISO 3166-1 numeric code (ACLED's `iso` column)"
    )
    acled_region: str = Field("", description="ACLED's `region` for this country, e.g. 'South Asia'")
    languages: list[LangCode] = Field(min_length=1)
    timezone: str
    utc_offset: str
    territory: Area
    source: str

    _en = field_validator("name")(_require_en)
    _area = field_validator("territory")(_valid_area)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _offset_agrees(self):
        m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", self.utc_offset)
        if not m:
            raise ValueError(f"utc_offset: {self.utc_offset!r} must look like '+04:30'")
        sign = 1 if m.group(1) == "+" else -1
        stated = sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        actual = dt.datetime.now(zoneinfo.ZoneInfo(self.timezone)).utcoffset()
        if actual != stated:
            hours, rem = divmod(int(actual.total_seconds()), 3600)
            raise ValueError(
                f"utc_offset: {self.utc_offset!r} disagrees with time zone {self.timezone!r}, "
                f"whose current offset is {'+' if actual >= timedelta(0) else '-'}{abs(hours):02d}:{abs(rem) // 60:02d}"
            )
        return self


class Org(_Model):
    code: Code
    name: Names
    timezone: str

    _en = field_validator("name")(_require_en)
    _tz = field_validator("timezone")(Party._tz.__func__)


class Border(_Model):
    name: Names
    line: LineStringGeom
    near_border_m: int = Field(gt=0, le=100_000)
    source: str
    note: str | None = None

    _en = field_validator("name")(_require_en)


class Province(_Model):
    code: Code
    party: PartyCode
    name: Names
    geometry: Area | None = None
    source: str

    _en = field_validator("name")(_require_en)
    _area = field_validator("geometry")(_valid_area)


class Seat(_Model):
    name: str
    location: Position

    _loc = field_validator("location")(lambda v: _check_position(v))


class District(_Model):
    code: Code
    party: PartyCode
    province: Code
    name: Names
    seat: Seat
    geometry: Area | None = None
    geometry_quality: Literal["surveyed", "approximate"]
    source: str
    geometry_source: str | None = None
    note: str | None = None

    _en = field_validator("name")(_require_en)
    _area = field_validator("geometry")(_valid_area)


class Sector(_Model):
    code: Code
    name: Names
    from_km: float = Field(ge=0)
    to_km: float = Field(gt=0)
    depth_m: int = Field(gt=0, le=300_000)

    _en = field_validator("name")(_require_en)

    @model_validator(mode="after")
    def _order(self):
        if self.to_km <= self.from_km:
            raise ValueError(f"to_km ({self.to_km}) must be greater than from_km ({self.from_km})")
        return self


class Post(_Model):
    code: Code
    name: Names
    location: Position
    sector: Code
    source: str
    note: str | None = None

    _en = field_validator("name")(_require_en)
    _loc = field_validator("location")(lambda v: _check_position(v))


class Crossing(_Model):
    code: Code
    name: Names
    location: Position
    towns: dict[PartyCode, str]
    trade: bool
    travel: bool
    source: str
    note: str | None = None

    _en = field_validator("name")(_require_en)
    _loc = field_validator("location")(lambda v: _check_position(v))


class Clause(_Model):
    number: Annotated[str, StringConstraints(pattern=r"^[0-9]+[a-z]?(\.[0-9]+[a-z]?)*$")]
    text: Names
    paraphrase: bool = False

    _en = field_validator("text")(_require_en)


class Agreement(_Model):
    code: Code
    title: Names
    date: dt.date
    place: str | None = None
    mediators: list[Code] = []
    source: str | None = None
    clauses: list[Clause] = Field(min_length=1)

    _en = field_validator("title")(_require_en)


class AppliesWhen(_Model):
    min_severity: int | None = Field(default=None, ge=1, le=5)
    repeat_count: int | None = Field(default=None, ge=1)
    window_days: int | None = Field(default=None, ge=1)


class Penalty(_Model):
    code: Code
    name: Names
    description: str
    applies_when: AppliesWhen = AppliesWhen()

    _en = field_validator("name")(_require_en)


class Ledger(_Model):
    """How the mechanism's log is checkpointed and who must witness it.

    `witness_quorum` holds the `group` and `quorum` lines of a C2SP tlog-policy; the witness names are
    organisation codes. The keys are not in the charter: each organisation makes its own and registers the
    public half at run time, and the server writes the full policy (log and witness key lines) from both."""

    checkpoint_every_s: int = Field(300, ge=10, le=86_400)
    witness_quorum: str


# --- hotline and de-escalation protocols -----------------------------------------------------------

MESSAGE_TYPES = (
    "incident_notification",  # linked to an incident, with location and what was seen
    "restraint_request",
    "hold_fire_request",
    "clarification_request",
    "clarification_answer",  # answers a clarification_request (reply_to)
    "movement_notice",  # prior notice of troop movement or an exercise near the line
    "medevac",  # medical evacuation across the line
    "return_of_persons",  # return of strayed persons
    "free_text",
)
PRIORITIES = ("flash", "immediate", "routine")
MessageType = Literal[MESSAGE_TYPES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]


class HotlineLevel(_Model):
    code: Code
    name: Names

    _en = field_validator("name")(_require_en)


class HotlinePost(_Model):
    """An organisational post (a desk that is staffed round the clock), not a person."""

    code: Code
    org: Code
    level: Code
    sectors: list[Code] = Field(default_factory=list, description="sectors it answers for; empty: all")
    name: Names

    _en = field_validator("name")(_require_en)


class HotlineChannel(_Model):
    """A line between two counterpart posts, and the channel one level up that it escalates to."""

    code: Code
    level: Code
    ends: tuple[Code, Code]
    escalates_to: Code | None = None


class Hotline(_Model):
    """Channels, the escalation ladder and the acknowledgement deadlines (docs/hotline.md).

    `levels` run from the bottom of the ladder to its top. An unacknowledged message climbs from its
    channel to `escalates_to`, then to the next, and finally to `mediators_post`; at each step the
    mediators' cell is told. `ack` gives the deadline per message type and priority; `default` is required
    and covers every type not named. After the mediators' deadline the message is re-sent `top_repeats`
    times, each with the same deadline, then marked expired (unresolved) — never dropped silently."""

    levels: list[HotlineLevel] = Field(min_length=2)
    posts: list[HotlinePost] = Field(min_length=2)
    channels: list[HotlineChannel] = Field(min_length=1)
    mediators_post: Code
    ack: dict[str, dict[str, str]]
    top_repeats: int = Field(1, ge=0, le=10)

    @field_validator("ack")
    @classmethod
    def _ack(cls, v):
        if "default" not in v:
            raise ValueError("'default' deadlines are required (one per priority)")
        for name, by_priority in v.items():
            if name != "default" and name not in MESSAGE_TYPES:
                raise ValueError(f"{name!r} is not a message type ({', '.join(MESSAGE_TYPES)})")
            for prio, text in by_priority.items():
                if prio not in PRIORITIES:
                    raise ValueError(f"{name}.{prio}: unknown priority (one of {', '.join(PRIORITIES)})")
                try:
                    parse_duration(text)
                except ValueError as exc:
                    raise ValueError(f"{name}.{prio}: {exc}") from None
        missing = [p for p in PRIORITIES if p not in v["default"]]
        if missing:
            raise ValueError(f"default: no deadline for {', '.join(missing)}")
        return v

    def ack_within(self, message_type: str, priority: str) -> timedelta:
        text = self.ack.get(message_type, {}).get(priority) or self.ack["default"][priority]
        return parse_duration(text)

    def post(self, code: str) -> HotlinePost:
        for p in self.posts:
            if p.code == code:
                return p
        raise KeyError(f"no hotline post {code!r}")

    def channel(self, code: str) -> HotlineChannel:
        for c in self.channels:
            if c.code == code:
                return c
        raise KeyError(f"no hotline channel {code!r}")


ROLES = ("affected", "counterpart", "both", "mediators")
DONE_KINDS = ("message_sent", "message_acknowledged", "report_filed", "meeting_held")


class ProtocolTrigger(_Model):
    """What starts a protocol. An incident starts it when it matches every given criterion (within a list,
    any item matches) and is filed within `max_age` of its end; a message starts it when its type
    is listed (and, with `sectors`, its channel serves one of them)."""

    event_types: list[str] = Field(default_factory=list)
    sub_event_types: list[str] = Field(default_factory=list)
    min_severity: int | None = Field(default=None, ge=1, le=5)
    sectors: list[Code] = Field(default_factory=list)
    message_types: list[MessageType] = Field(default_factory=list)
    max_age: str = "P2D"

    _age = field_validator("max_age")(lambda v: (parse_duration(v), v)[1])

    @model_validator(mode="after")
    def _something(self):
        if not (self.event_types or self.sub_event_types or self.message_types):
            raise ValueError("a trigger needs event_types, sub_event_types or message_types")
        return self


class DoneWhen(_Model):
    """What counts as done. message_sent / message_acknowledged: a hotline message of `message_type` about
    the run's incident (or in the triggering message's thread) sent / acknowledged by the responsible party;
    report_filed: the responsible party files the report `report`; meeting_held: a meeting is recorded."""

    kind: Literal[DONE_KINDS]  # type: ignore[valid-type]
    message_type: MessageType | None = None
    report: Code | None = None

    @model_validator(mode="after")
    def _fits(self):
        if self.kind in ("message_sent", "message_acknowledged") and self.message_type is None:
            raise ValueError(f"{self.kind} needs message_type")
        if self.kind == "report_filed" and self.report is None:
            raise ValueError("report_filed needs report (a code naming the form)")
        return self


class ProtocolStep(_Model):
    code: Code
    name: Names
    responsible: Literal[ROLES]  # type: ignore[valid-type]
    level: Code | None = Field(None, description="hotline level of the responsible post (parties only)")
    within: str
    after: str = Field("trigger", description="'trigger' or the code of an earlier step")
    remind_before: str | None = Field(None, description="default: a quarter of `within`")
    done_when: DoneWhen

    _en = field_validator("name")(_require_en)

    @field_validator("within", "remind_before")
    @classmethod
    def _dur(cls, v):
        if v is not None:
            parse_duration(v)
        return v


class Protocol(_Model):
    code: Code
    name: Names
    description: str = ""
    source: str | None = None
    trigger: ProtocolTrigger
    steps: list[ProtocolStep] = Field(min_length=1)

    _en = field_validator("name")(_require_en)

    def step(self, code: str) -> ProtocolStep:
        for s in self.steps:
            if s.code == code:
                return s
        raise KeyError(f"no step {code!r} in protocol {self.code!r}")


PLAN_KINDS = ("desk_review", "information_request", "site_visit", "interview")
OUTCOMES = ("verified", "no_violation", "inconclusive")


class ConfidenceLevel(_Model):
    code: Code
    name: Names
    requires: str = Field(description="What a finding at this level needs, in plain words")

    _en = field_validator("name")(_require_en)


class Verification(_Model):
    """How the mediators verify (docs/verification.md). Replies and answers to requests for information use
    `deadlines.accused_reply` and `deadlines.rfi_answer`; `stages` gives each planned step of a case its
    deadline from when it is planned; a case must reach a published finding within `finding_within` of its
    opening; a finding needs `signatures_required` mediators' signatures, each with their own key."""

    stages: dict[str, str]
    finding_within: str
    confidence_levels: list[ConfidenceLevel] = Field(min_length=1)
    signatures_required: int = Field(2, ge=1, le=10)

    @field_validator("stages")
    @classmethod
    def _stages(cls, v):
        for kind, text in v.items():
            if kind not in PLAN_KINDS:
                raise ValueError(f"{kind!r} is not a step of a case ({', '.join(PLAN_KINDS)})")
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"{kind}: {exc}") from None
        missing = [k for k in PLAN_KINDS if k not in v]
        if missing:
            raise ValueError(f"no deadline for {', '.join(missing)}")
        return v

    _within = field_validator("finding_within")(lambda v: (parse_duration(v), v)[1])

    def stage_within(self, kind: str) -> timedelta:
        return parse_duration(self.stages[kind])

    def confidence(self, code: str) -> ConfidenceLevel:
        for c in self.confidence_levels:
            if c.code == code:
                return c
        raise KeyError(f"no confidence level {code!r}")


def quorum_errors(text: str, orgs: set[str]) -> list[str]:
    """Check tlog-policy `group`/`quorum` lines whose leaf members must be organisation codes.

    A light syntax check so that a charter typo fails at validation time; the policy itself is parsed and
    evaluated by sulh.ledger.tlog."""
    errors, groups, quorum = [], {}, None
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        where = f"line {n}"
        if words[0] == "group" and len(words) >= 4:
            name, threshold, members = words[1], words[2], words[3:]
            if name in groups or name in orgs:
                errors.append(f"{where}: the name {name!r} is already taken")
            for m in members:
                if m not in orgs and m not in groups:
                    errors.append(f"{where}: {m!r} is neither an organisation of the charter nor an earlier group")
            if threshold not in ("all", "any") and not (threshold.isdigit() and 1 <= int(threshold) <= len(members)):
                errors.append(f"{where}: threshold {threshold!r} must be all, any or 1..{len(members)}")
            groups[name] = members
        elif words[0] == "quorum" and len(words) == 2:
            if quorum is not None:
                errors.append(f"{where}: a second quorum line")
            elif words[1] not in groups and words[1] not in orgs and words[1] != "none":
                errors.append(f"{where}: quorum names an unknown group {words[1]!r}")
            quorum = words[1]
        else:
            errors.append(f"{where}: expected 'group NAME all|any|K MEMBER…' or 'quorum NAME', got {raw.strip()!r}")
    if quorum is None:
        errors.append("no 'quorum NAME' line")
    return errors


# --- the charter ---------------------------------------------------------------------------------

# The commitments and intel sections live in their own module, which builds on the types above.
from .schema_commitments import Commitments, Intel  # noqa: E402
from .schema_commitments import check as _check_commitments  # noqa: E402

OrgKind = Literal["party", "mediator", "monitoring"]


class Charter(_Model):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: str
    title: Names
    origin: Annotated[str, StringConstraints(pattern=r"^\S+$")]
    incident_code_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,8}$")]
    languages: list[LangCode] = Field(min_length=1)
    sources: dict[str, Source] = Field(min_length=1)
    parties: list[Party] = Field(min_length=2, max_length=2)
    mediators: list[Org] = []
    monitoring_teams: list[Org] = []
    border: Border
    provinces: list[Province] = []
    districts: list[District] = []
    sectors: list[Sector] = []
    posts: list[Post] = []
    crossings: list[Crossing] = []
    agreements: list[Agreement] = []
    deadlines: dict[str, str] = {}
    penalties: list[Penalty] = []
    ledger: Ledger
    hotline: Hotline | None = None
    protocols: list[Protocol] = []
    verification: Verification | None = None
    commitments: Commitments | None = None
    intel: Intel | None = None

    _en = field_validator("title")(_require_en)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v):
        if "en" not in v:
            raise ValueError("'en' must be among the charter's languages")
        return v

    @field_validator("deadlines")
    @classmethod
    def _deadlines(cls, v):
        for name, text in v.items():
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(f"deadline {name!r}: {exc}") from None
        return v

    @model_validator(mode="after")
    def _cross_checks(self):
        errors: list[str] = []
        # Errors are collected then raised together; the loader maps "path: message" prefixes to lines.
        self._check_unique(errors)
        party_codes = {p.code for p in self.parties}
        province_codes = {p.code for p in self.provinces}
        sector_codes = {s.code for s in self.sectors}
        lang_codes = set(self.languages)

        def src(path: str, key: str | None):
            if key is not None and key not in self.sources:
                errors.append(f"{path}: unknown source {key!r} (known: {', '.join(sorted(self.sources))})")

        for i, p in enumerate(self.parties):
            src(f"parties.{i}.source", p.source)
            for j, lang in enumerate(p.languages):
                if lang not in lang_codes:
                    errors.append(f"parties.{i}.languages.{j}: {lang!r} is not among the charter's languages")
        src("border.source", self.border.source)
        for i, pr in enumerate(self.provinces):
            src(f"provinces.{i}.source", pr.source)
            if pr.party not in party_codes:
                errors.append(f"provinces.{i}.party: unknown party {pr.party!r}")
        prov_party = {p.code: p.party for p in self.provinces}
        for i, d in enumerate(self.districts):
            src(f"districts.{i}.source", d.source)
            src(f"districts.{i}.geometry_source", d.geometry_source)
            if d.party not in party_codes:
                errors.append(f"districts.{i}.party: unknown party {d.party!r}")
            if d.province not in province_codes:
                errors.append(f"districts.{i}.province: unknown province {d.province!r}")
            elif prov_party[d.province] != d.party:
                errors.append(
                    f"districts.{i}.province: province {d.province!r} belongs to {prov_party[d.province]}, not {d.party}"
                )
        for i, c in enumerate(self.crossings):
            src(f"crossings.{i}.source", c.source)
            for code in c.towns:
                if code not in party_codes:
                    errors.append(f"crossings.{i}.towns: unknown party {code!r}")
        for i, p in enumerate(self.posts):
            src(f"posts.{i}.source", p.source)
            if p.sector not in sector_codes:
                errors.append(f"posts.{i}.sector: unknown sector {p.sector!r}")
        org_codes = {o.code for o in self.mediators}
        for i, a in enumerate(self.agreements):
            src(f"agreements.{i}.source", a.source)
            for j, m in enumerate(a.mediators):
                if m not in org_codes:
                    errors.append(f"agreements.{i}.mediators.{j}: unknown mediator {m!r}")
            numbers = [c.number for c in a.clauses]
            for j, n in enumerate(numbers):
                if numbers.index(n) != j:
                    errors.append(f"agreements.{i}.clauses.{j}.number: duplicate clause number {n!r}")
        all_orgs = party_codes | org_codes | {t.code for t in self.monitoring_teams}
        errors.extend(f"ledger.witness_quorum: {e}" for e in quorum_errors(self.ledger.witness_quorum, all_orgs))
        self._check_hotline(errors, party_codes, org_codes, sector_codes)
        self._check_protocols(errors, sector_codes)
        _check_commitments(self, errors)
        if not errors:
            self._check_geometry(errors)
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def _check_hotline(self, errors, party_codes, mediator_codes, sector_codes) -> None:
        h = self.hotline
        if h is None:
            return
        levels = [lv.code for lv in h.levels]
        posts: dict[str, HotlinePost] = {}
        for i, p in enumerate(h.posts):
            where = f"hotline.posts.{i}"
            if p.code in posts:
                errors.append(f"{where}.code: duplicate post {p.code!r}")
            posts[p.code] = p
            if p.org not in party_codes | mediator_codes:
                errors.append(f"{where}.org: {p.org!r} is neither a party nor a mediator")
            if p.level not in levels:
                errors.append(f"{where}.level: unknown level {p.level!r} (levels: {', '.join(levels)})")
            for j, s in enumerate(p.sectors):
                if s not in sector_codes:
                    errors.append(f"{where}.sectors.{j}: unknown sector {s!r}")
        med = posts.get(h.mediators_post)
        if med is None:
            errors.append(f"hotline.mediators_post: unknown post {h.mediators_post!r}")
        elif med.org not in mediator_codes:
            errors.append(f"hotline.mediators_post: post {med.code!r} belongs to {med.org}, not to a mediator")
        channels: dict[str, HotlineChannel] = {}
        for i, c in enumerate(h.channels):
            if c.code in channels:
                errors.append(f"hotline.channels.{i}.code: duplicate channel {c.code!r}")
            channels.setdefault(c.code, c)
        for i, c in enumerate(h.channels):
            where = f"hotline.channels.{i}"
            if c.level not in levels:
                errors.append(f"{where}.level: unknown level {c.level!r}")
            ends = [posts.get(e) for e in c.ends]
            for j, (code, post) in enumerate(zip(c.ends, ends, strict=True)):
                if post is None:
                    errors.append(f"{where}.ends.{j}: unknown post {code!r}")
                elif post.level != c.level and h.mediators_post not in c.ends:
                    errors.append(f"{where}.ends.{j}: post {code!r} is at level {post.level}, the channel at {c.level}")
            if all(ends) and ends[0].org == ends[1].org:
                errors.append(f"{where}.ends: both ends belong to {ends[0].org}; a channel joins two organisations")
            if c.escalates_to is not None:
                up = channels.get(c.escalates_to)
                if up is None:
                    errors.append(f"{where}.escalates_to: unknown channel {c.escalates_to!r}")
                elif c.level in levels and up.level in levels and levels.index(up.level) <= levels.index(c.level):
                    errors.append(f"{where}.escalates_to: {up.code!r} is not on a higher level than {c.code!r}")
                elif (
                    all(ends) and all(posts.get(e) for e in up.ends)
                    and {posts[e].org for e in up.ends} != {e.org for e in ends}
                ):
                    errors.append(f"{where}.escalates_to: {up.code!r} does not join the same two organisations")

    def _check_protocols(self, errors, sector_codes) -> None:
        from sulh.incidents.taxonomy import EVENT_TYPES

        sub_types = {s for subs in EVENT_TYPES.values() for s in subs}
        levels = [lv.code for lv in self.hotline.levels] if self.hotline else []
        seen: set[str] = set()
        for i, p in enumerate(self.protocols):
            where = f"protocols.{i}"
            if p.code in seen:
                errors.append(f"{where}.code: duplicate protocol {p.code!r}")
            seen.add(p.code)
            if p.source is not None and p.source not in self.sources:
                errors.append(f"{where}.source: unknown source {p.source!r}")
            if p.trigger.message_types and self.hotline is None:
                errors.append(f"{where}.trigger.message_types: the charter has no hotline")
            for j, t in enumerate(p.trigger.event_types):
                if t not in EVENT_TYPES:
                    errors.append(f"{where}.trigger.event_types.{j}: unknown event type {t!r}")
            for j, t in enumerate(p.trigger.sub_event_types):
                if t not in sub_types:
                    errors.append(f"{where}.trigger.sub_event_types.{j}: unknown sub-event type {t!r}")
            for j, s in enumerate(p.trigger.sectors):
                if s not in sector_codes:
                    errors.append(f"{where}.trigger.sectors.{j}: unknown sector {s!r}")
            earlier: list[str] = []
            for j, step in enumerate(p.steps):
                at = f"{where}.steps.{j}"
                if step.code in earlier:
                    errors.append(f"{at}.code: duplicate step {step.code!r}")
                if step.after != "trigger" and step.after not in earlier:
                    errors.append(f"{at}.after: {step.after!r} is neither 'trigger' nor an earlier step")
                if step.level is not None and step.level not in levels:
                    errors.append(f"{at}.level: unknown hotline level {step.level!r}")
                if step.responsible == "mediators" and step.level is not None:
                    errors.append(f"{at}.level: a mediators' step has no party level")
                if step.done_when.kind.startswith("message") and self.hotline is None:
                    errors.append(f"{at}.done_when: the charter has no hotline")
                if step.remind_before is not None and parse_duration(step.remind_before) >= parse_duration(step.within):
                    errors.append(f"{at}.remind_before: must be shorter than `within` ({step.within})")
                earlier.append(step.code)

    def protocol(self, code: str) -> Protocol:
        for p in self.protocols:
            if p.code == code:
                return p
        raise KeyError(f"no protocol {code!r}")

    def _check_unique(self, errors: list[str]) -> None:
        groups = {
            "parties": self.parties,
            "mediators": self.mediators,
            "monitoring_teams": self.monitoring_teams,
            "provinces": self.provinces,
            "districts": self.districts,
            "sectors": self.sectors,
            "posts": self.posts,
            "crossings": self.crossings,
            "agreements": self.agreements,
            "penalties": self.penalties,
        }
        for name, items in groups.items():
            seen: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.code in seen:
                    errors.append(
                        f"{name}.{i}.code: duplicate code {item.code!r} (first at {name}.{seen[item.code]})"
                    )
                else:
                    seen[item.code] = i
        orgs: dict[str, str] = {}
        for name in ("parties", "mediators", "monitoring_teams"):
            for i, item in enumerate(groups[name]):
                if item.code in orgs and orgs[item.code] != name:
                    errors.append(f"{name}.{i}.code: code {item.code!r} is already used in {orgs[item.code]}")
                orgs.setdefault(item.code, name)

    def _check_geometry(self, errors: list[str]) -> None:
        from sulh.geo.projection import BorderFrame

        frame = BorderFrame.from_line(self.border.line.coordinates)
        length_km = frame.length_m / 1000
        if not frame.line_m.is_simple:
            errors.append("border.line.coordinates: the border line crosses itself")
        prev = None
        for i, s in sorted(enumerate(self.sectors), key=lambda t: t[1].from_km):
            if s.to_km > length_km + 0.5:
                errors.append(
                    f"sectors.{i}.to_km: {s.to_km} km is beyond the end of the border line ({length_km:.1f} km)"
                )
            if prev is not None and s.from_km < prev[1].to_km:
                errors.append(
                    f"sectors.{i}.from_km: sector {s.code!r} ({s.from_km}-{s.to_km} km) overlaps "
                    f"sector {prev[1].code!r} ({prev[1].from_km}-{prev[1].to_km} km)"
                )
            prev = (i, s)
        limit = self.border.near_border_m * 4
        for name, items in (("posts", self.posts), ("crossings", self.crossings)):
            for i, item in enumerate(items):
                d = frame.distance_m(*item.location)
                if d > limit:
                    errors.append(
                        f"{name}.{i}.location: {item.code!r} is {d / 1000:.1f} km from the border line; "
                        f"at most {limit / 1000:.0f} km (4 x near_border_m) is allowed"
                    )
        for i, d in enumerate(self.districts):
            if d.geometry is not None and _shape(d.geometry).distance(_point(d.seat.location)) > 0.02:
                errors.append(
                    f"districts.{i}.seat.location: the seat of {d.code!r} lies outside its own geometry"
                )
        territories = {p.code: _shape(p.territory) for p in self.parties}
        for j, d in enumerate(self.districts):
            territory = territories.get(d.party)
            if territory is not None and territory.distance(_point(d.seat.location)) > 0.02:
                errors.append(
                    f"districts.{j}.seat.location: seat of {d.code!r} is not inside {d.party}'s territory"
                )

    # --- convenience -----------------------------------------------------------------------------

    def party(self, code: str) -> Party:
        for p in self.parties:
            if p.code == code:
                return p
        raise KeyError(f"no party {code!r} in charter {self.id!r}")

    def other_party(self, code: str) -> Party:
        self.party(code)
        return next(p for p in self.parties if p.code != code)

    def organisations(self) -> list[tuple[str, OrgKind, dict[str, str], str]]:
        out: list[tuple[str, OrgKind, dict[str, str], str]] = []
        out += [(p.code, "party", dict(p.name), p.timezone) for p in self.parties]
        out += [(o.code, "mediator", dict(o.name), o.timezone) for o in self.mediators]
        out += [(o.code, "monitoring", dict(o.name), o.timezone) for o in self.monitoring_teams]
        return out

    def clauses(self) -> list[tuple[str, dict[str, str]]]:
        """All clauses as ("AGREEMENT/NUMBER", text by language), in charter order."""
        return [(f"{a.code}/{c.number}", dict(c.text)) for a in self.agreements for c in a.clauses]

    def clause(self, code_and_number: str) -> Clause:
        code, sep, number = code_and_number.partition("/")
        if not sep:
            raise KeyError(f"clause reference {code_and_number!r} must look like 'AGREEMENT/NUMBER'")
        for a in self.agreements:
            if a.code == code:
                for c in a.clauses:
                    if c.number == number:
                        return c
        raise KeyError(f"no clause {code_and_number!r} in charter {self.id!r}")

    def deadline(self, name: str) -> timedelta:
        try:
            return parse_duration(self.deadlines[name])
        except KeyError:
            raise KeyError(
                f"no deadline {name!r} in charter {self.id!r} (known: {', '.join(sorted(self.deadlines))})"
            ) from None

    def district(self, code: str) -> District:
        for d in self.districts:
            if d.code == code:
                return d
        raise KeyError(f"no district {code!r}")

    def province(self, code: str) -> Province:
        for p in self.provinces:
            if p.code == code:
                return p
        raise KeyError(f"no province {code!r}")

    def sector(self, code: str) -> Sector:
        for s in self.sectors:
            if s.code == code:
                return s
        raise KeyError(f"no sector {code!r}")

    def crossing(self, code: str) -> Crossing:
        for c in self.crossings:
            if c.code == code:
                return c
        raise KeyError(f"no crossing {code!r}")

    def summary(self) -> str:
        return (
            f"{len(self.parties)} parties, {len(self.mediators)} mediators, {len(self.provinces)} provinces, "
            f"{len(self.districts)} districts, {len(self.sectors)} sectors, {len(self.crossings)} crossings, "
            f"{len(self.posts)} posts, {len(self.agreements)} agreements, {len(self.deadlines)} deadlines, "
            f"{len(self.penalties)} penalties"
            + (
                f", hotline of {len(self.hotline.posts)} desks and {len(self.hotline.channels)} channels"
                if self.hotline else ""
            )
            + f", {len(self.protocols)} protocols"
        )


def _point(lonlat):
    from shapely.geometry import Point

    return Point(lonlat)
