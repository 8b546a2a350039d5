"""The charter's `commitments:` and `intel:` sections (docs/commitments.md, docs/intel.md).

Kept apart from schema.py so that each part of the charter format stays readable in one sitting. The public
keys that sign co-signed documents and that intelligence reports are encrypted to live HERE, in the charter
both sides agreed, and nowhere else: a key that an administrator registers at run time could be the
administrator's own, so the server never accepts a signing or encryption key that the charter does not name.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from .schema import Code, Names, _Model, _require_en, parse_duration

OBLIGATION_STATES = ("pending", "in_progress", "met", "partly_met", "breached", "disputed")
# How an obligation is shown to be met: by evidence a person judges, or by a record Sulh already keeps.
VERIFIED_BY = ("evidence", "crossing_open", "meeting_held", "exchange_reciprocal", "document_agreed")
# Who may move an obligation into a state: the party that owes it, the other party, the mediators, monitors.
ACTORS = ("obliged_party", "other_party", "mediators", "monitors")
Actor = Literal[ACTORS]  # type: ignore[valid-type]
OBLIGATION_KINDS = ("ceasefire", "crossing_reopening", "detainee_release", "meeting", "document", "other")
CROSSING_STATUSES = ("open", "restricted", "closed")
IDENTIFIERS = ("reference", "age_band", "sex", "nationality", "place_of_detention", "date_of_detention")
INTEL_ANSWERS = ("action_taken", "nothing_found", "declined", "needs_more_information")

Duration = Annotated[str, StringConstraints(min_length=2)]


def _durations(v: list[str]) -> list[str]:
    for text in v:
        parse_duration(text)
    return v


def _b64_32(text: str, what: str) -> str:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes, this one is {len(raw)}")
    return text.strip()


def _verifier_key(text: str) -> str:
    """A C2SP signed-note verifier key `name+hex8+base64(0x01‖ed25519 public key)`, as the ledger uses."""
    from sulh.ledger.note import parse_verifier_key

    try:
        parse_verifier_key(text.strip())
    except Exception as exc:  # the note module says exactly what is wrong with the key
        raise ValueError(f"not a signed-note Ed25519 verifier key: {exc}") from None
    return text.strip()


class Obligations(_Model):
    """Who may put an obligation in each state. Every change needs evidence or a reason, and is logged."""

    state_changes: dict[Literal[OBLIGATION_STATES], list[Actor]]  # type: ignore[valid-type]
    # Warn every party and mediator this long before a time-limited ceasefire (or any obligation with an end)
    # lapses; one warning per step, each a stored deadline, shown on every console page and in the API.
    expiry_warnings: list[Duration] = Field(default_factory=lambda: ["P1D", "PT12H", "PT2H"], min_length=1)

    _w = field_validator("expiry_warnings")(_durations)

    @field_validator("state_changes")
    @classmethod
    def _every_state(cls, v):
        missing = [s for s in OBLIGATION_STATES if s != "pending" and s not in v]
        if missing:
            raise ValueError(f"no rule for the states {', '.join(missing)}")
        return v


class MeetingLevel(_Model):
    code: Code
    name: Names

    _en = field_validator("name")(_require_en)


class Meetings(_Model):
    levels: list[MeetingLevel] = Field(min_length=1)
    reminders: list[Duration] = Field(default_factory=lambda: ["P1D", "PT2H"])
    # A scheduled meeting with no attendance recorded this long after its end is recorded as missed.
    missed_after: Duration = "PT12H"

    _r = field_validator("reminders")(_durations)
    _m = field_validator("missed_after")(lambda v: (parse_duration(v), v)[1])


class Exchanges(_Model):
    """Detainee exchanges. `ratio` [a, b]: releases by the first party and by the second must stand at a:b
    (counted in persons) for the exchange to be reciprocal. What the other party may see of a list is
    `shared_identifiers` (counts always); the mediators see the whole lists. A release is confirmed by the
    receiving party AND by a mediator or one of the `observers` (organisation codes)."""

    ratio: tuple[int, int] = (1, 1)
    shared_identifiers: list[Literal[IDENTIFIERS]] = ["reference", "age_band", "sex"]  # type: ignore[valid-type]
    observers: list[Code] = []

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, v):
        if v[0] < 1 or v[1] < 1:
            raise ValueError("each side of the ratio must be at least 1")
        return v


class Signatory(_Model):
    """One authorised signatory of an organisation: the office, and the public key (signed-note verifier key,
    made with `sulh doc keygen` on the signatory's own machine). No key: the office cannot sign yet."""

    org: Code
    office: str
    key: str | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, v):
        return None if v is None else _verifier_key(v)


class Documents(_Model):
    """Co-signed documents: `required` lists the organisations whose signature a document needs (by default
    every party and every mediator); each signs with a key of one of its `signatories`."""

    required: list[Code] | None = None
    signatories: list[Signatory] = []


class Commitments(_Model):
    obligations: Obligations
    meetings: Meetings
    exchanges: Exchanges = Exchanges()
    documents: Documents = Documents()


class IntelKey(_Model):
    """An organisation's keys for intelligence reports: `encryption` is its X25519 public key (base64, 32
    bytes) that reports are sealed to; `signing` its signed-note Ed25519 verifier key that its own reports
    and answers are signed with. Both private halves are made with `sulh intel keygen` and never leave it."""

    org: Code
    encryption: str
    signing: str

    _e = field_validator("encryption")(lambda v: _b64_32(v, "the encryption key"))
    _s = field_validator("signing")(_verifier_key)


class IntelClassification(_Model):
    code: Code
    name: Names

    _en = field_validator("name")(_require_en)


class Intel(_Model):
    """Intelligence exchange. Reports are acknowledged within `deadlines.intel_ack` and answered within
    `deadlines.intel_answer`. Each report is encrypted for the receiving party and every mediator in `keys`."""

    classifications: list[IntelClassification] = Field(min_length=1)
    keys: list[IntelKey] = []


def check(charter, errors: list[str]) -> None:
    """Cross-references of both sections against the rest of the charter (called by Charter's validator)."""
    parties = {p.code for p in charter.parties}
    mediators = {m.code for m in charter.mediators}
    teams = {t.code for t in charter.monitoring_teams}
    c = charter.commitments
    if c is not None:
        for j, code in enumerate(c.exchanges.observers):
            if code not in mediators | teams:
                errors.append(
                    f"commitments.exchanges.observers.{j}: {code!r} is neither a mediator nor a monitoring team"
                )
        for j, code in enumerate(c.documents.required or []):
            if code not in parties | mediators:
                errors.append(
                    f"commitments.documents.required.{j}: {code!r} is neither a party nor a mediator"
                )
        keys: set[str] = set()
        for j, s in enumerate(c.documents.signatories):
            if s.org not in parties | mediators:
                errors.append(
                    f"commitments.documents.signatories.{j}.org: {s.org!r} is neither a party nor a mediator"
                )
            if s.key is not None:
                if s.key in keys:
                    errors.append(f"commitments.documents.signatories.{j}.key: the same key is listed twice")
                keys.add(s.key)
        levels = [lv.code for lv in c.meetings.levels]
        for j, code in enumerate(levels):
            if levels.index(code) != j:
                errors.append(f"commitments.meetings.levels.{j}.code: duplicate level {code!r}")
        for name in ("ceasefire_expiry_warning",):
            if name in charter.deadlines:
                errors.append(f"deadlines.{name}: moved to commitments.obligations.expiry_warnings (a list)")
    i = charter.intel
    if i is not None:
        for name in ("intel_ack", "intel_answer"):
            if name not in charter.deadlines:
                errors.append(f"deadlines: the intel section needs the deadline {name!r}")
        seen: set[str] = set()
        for j, k in enumerate(i.keys):
            if k.org not in parties | mediators:
                errors.append(f"intel.keys.{j}.org: {k.org!r} is neither a party nor a mediator")
            if k.org in seen:
                errors.append(f"intel.keys.{j}.org: a second key for {k.org!r} (one key pair each)")
            seen.add(k.org)
        codes = [x.code for x in i.classifications]
        for j, code in enumerate(codes):
            if codes.index(code) != j:
                errors.append(f"intel.classifications.{j}.code: duplicate classification {code!r}")
