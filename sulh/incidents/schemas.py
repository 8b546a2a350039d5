"""Typed input and output of the incident register, shared by the API (django-ninja) and the console.

Input models check everything that needs no database: known ACLED pairs, precision codes, date order,
casualty figures that add up. Checks against the charter and the caller's rights live in services.py.
"""

from datetime import date, datetime, time, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from ninja import Schema
from pydantic import BeforeValidator, Field, HttpUrl, model_validator

from sulh.core.errors import org_code

from . import taxonomy
from .models import Audience, SourceKind

MAX_TEXT = 20_000


def _date_or_datetime(value):
    """"2025-10-15" is a day (the whole day); anything with a time is a moment. Pydantic alone would read a
    bare date as midnight."""
    if isinstance(value, str) and len(value.strip()) == 10:
        return date.fromisoformat(value.strip())
    return value


DateOrTime = Annotated[datetime | date, BeforeValidator(_date_or_datetime)]


class ClaimIn(Schema):
    """What one source says happened. Dates without a time cover the whole day in the caller's time zone;
    datetimes without an offset are read in the caller's time zone; everything is stored in UTC."""

    event_type: str = Field(examples=["Ceasefire violation"])
    sub_event_type: str = Field(examples=["Cross-border fire"])
    date_start: DateOrTime
    date_end: DateOrTime | None = None
    date_prec: int = Field(1, ge=1, le=5, description="UCDP GED date precision, 1 (exact day) to 5 (year)")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    where_prec: int = Field(2, ge=1, le=7, description="UCDP GED location precision, 1 (exact) to 7")
    location_name: str = Field("", max_length=200)
    alleged_violator: str = Field("", max_length=16, description="Party code, or empty when unknown")
    clause: str = Field("", max_length=64, description="Charter agreement clause, e.g. DOHA-2025/2")
    source_kind: SourceKind | None = Field(None, description="Defaults from your role and organisation")
    source_name: str = Field(min_length=1, max_length=200, examples=["ISPR"])
    source_url: HttpUrl | None = None
    post_code: str = Field("", max_length=32)
    audience: Audience = Audience.MEDIATORS
    actor1: str = Field("", max_length=200)
    assoc_actor_1: str = Field("", max_length=200)
    inter1: int | None = Field(None, ge=1, le=8)
    actor2: str = Field("", max_length=200)
    assoc_actor_2: str = Field("", max_length=200)
    inter2: int | None = Field(None, ge=1, le=8)
    deaths_a: int | None = Field(None, ge=0, le=100_000)
    deaths_b: int | None = Field(None, ge=0, le=100_000)
    deaths_civilians: int | None = Field(None, ge=0, le=100_000)
    deaths_unknown: int | None = Field(None, ge=0, le=100_000)
    deaths_low: int | None = Field(None, ge=0, le=100_000)
    deaths_best: int | None = Field(None, ge=0, le=100_000)
    deaths_high: int | None = Field(None, ge=0, le=100_000)
    injured_low: int | None = Field(None, ge=0, le=100_000)
    injured_best: int | None = Field(None, ge=0, le=100_000)
    injured_high: int | None = Field(None, ge=0, le=100_000)
    notes: str = Field("", max_length=MAX_TEXT)
    narrative: str = Field("", max_length=MAX_TEXT)
    file: bool = Field(True, description="File now (frozen from then on); false keeps a private draft")

    @model_validator(mode="after")
    def _check(self):
        problem = taxonomy.validate_pair(self.event_type, self.sub_event_type)
        if problem:
            raise ValueError(problem)
        parts = [self.deaths_a, self.deaths_b, self.deaths_civilians, self.deaths_unknown]
        if self.deaths_best is None and any(p is not None for p in parts):
            self.deaths_best = sum(p or 0 for p in parts)
        elif self.deaths_best is not None and any(p is not None for p in parts):
            total = sum(p or 0 for p in parts)
            if total > self.deaths_best:
                raise ValueError(
                    f"deaths by side ({total}) exceed deaths_best ({self.deaths_best}); "
                    "deaths_best must be at least the sum of deaths_a, deaths_b, deaths_civilians and deaths_unknown"
                )
        for prefix in ("deaths", "injured"):
            low, best, high = (getattr(self, f"{prefix}_{k}") for k in ("low", "best", "high"))
            if best is None and low is not None and high is not None:
                best = low
                setattr(self, f"{prefix}_best", best)
            if best is not None:
                if low is None:
                    setattr(self, f"{prefix}_low", best)
                    low = best
                if high is None:
                    setattr(self, f"{prefix}_high", best)
                    high = best
            if low is not None and high is not None and low > high:
                raise ValueError(f"{prefix}_low ({low}) is greater than {prefix}_high ({high})")
            if best is not None and not (low <= best <= high):
                raise ValueError(f"{prefix}_best ({best}) must lie between {prefix}_low ({low}) and {prefix}_high ({high})")
        return self

    def utc_span(self, tz_name: str) -> tuple[datetime, datetime]:
        """(start, end) in UTC, reading dates and naive times in the caller's zone."""
        tz = ZoneInfo(tz_name)

        def to_utc(value, end: bool) -> datetime:
            if isinstance(value, datetime):
                dt = value if value.tzinfo else value.replace(tzinfo=tz)
            else:
                dt = datetime.combine(value, time.min, tzinfo=tz)
                if end:
                    dt = dt + timedelta(days=1) - timedelta(microseconds=1)
            return dt.astimezone(ZoneInfo("UTC"))

        start = to_utc(self.date_start, end=False)
        end_value = self.date_end if self.date_end is not None else self.date_start
        end = to_utc(end_value, end=True)
        if end < start:
            raise ValueError("date_end is before date_start")
        return start, end


class IncidentIn(ClaimIn):
    """A new incident, with the first claim about it."""

    title: str = Field(min_length=3, max_length=300)


class PlaceOut(Schema):
    side: str
    sector: str
    province: str
    district: str
    distance_to_border_m: float | None


class ClaimOut(Schema):
    id: UUID
    code: str
    incident_id: UUID
    seq: int
    status: str
    audience: str
    source_kind: str
    organisation: str
    reporting_party: str
    source_name: str
    source_url: str
    post_code: str
    supersedes_id: UUID | None
    event_type: str
    sub_event_type: str
    date_start: datetime
    date_end: datetime
    date_prec: int
    time_precision: int
    latitude: float
    longitude: float
    where_prec: int
    geo_precision: int
    location_name: str
    alleged_violator: str
    clause: str
    actor1: str
    assoc_actor_1: str
    inter1: int | None
    actor2: str
    assoc_actor_2: str
    inter2: int | None
    deaths_a: int | None
    deaths_b: int | None
    deaths_civilians: int | None
    deaths_unknown: int | None
    deaths_low: int | None
    deaths_best: int | None
    deaths_high: int | None
    injured_low: int | None
    injured_best: int | None
    injured_high: int | None
    fatalities: int
    notes: str
    narrative: str
    created_at: datetime
    filed_at: datetime | None
    version: int

    @staticmethod
    def resolve_organisation(obj) -> str:
        return org_code(obj)


class IncidentOut(Schema):
    id: UUID
    code: str
    title: str
    status: str
    published: bool
    is_demo: bool
    event_type: str
    sub_event_type: str
    date_start: datetime
    date_end: datetime
    date_prec: int
    time_precision: int
    latitude: float
    longitude: float
    where_prec: int
    geo_precision: int
    location_name: str
    alleged_violator: str
    clause: str
    side: str
    sector: str
    province: str
    district: str
    distance_to_border_m: float | None
    created_at: datetime
    updated_at: datetime
    version: int


class IncidentDetailOut(IncidentOut):
    claims: list[ClaimOut]
