"""REST endpoints of detainee exchanges (/api/v1/exchanges…). Thin: parse, call services, shape.

Write endpoints never answer a name or an identity number: their answers may be stored for idempotent
replays (core.idempotency), and the database must hold names only as ciphertext. Read them with GET."""

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from sulh.core.idempotency import idempotent
from sulh.ledger.receipts import answers_receipts, with_receipts

from . import services
from .models import AgeBand, Exchange, Release, ReleaseList, Sex

router = Router(tags=["exchanges"])


class ExchangeIn(Schema):
    title: str = Field(max_length=300)
    agreement: str | None = Field(
        None, description="Code of the agreement it carries out, e.g. ISTANBUL-2025-10-30"
    )


class CountOut(Schema):
    party: str
    listed: int | None = Field(
        description="Persons on the party's list; null while you may not see it (a draft)"
    )
    released: int = Field(description="Releases recorded")
    confirmed: int = Field(description="Releases confirmed by both sides: what reciprocity counts")


class ExchangeOut(Schema):
    id: str
    code: str
    title: str
    agreement: str | None
    parties: list[str]
    ratio: list[int] = Field(description="a:b for the parties in this order")
    state: str
    reciprocal: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    close_reason: str
    counts: list[CountOut]


class PersonOut(Schema):
    reference: str
    number: int
    full_name: str | None = Field(description="Only for the releasing party and the mediators")
    id_number: str | None = Field(description="Only for the releasing party and the mediators")
    age_band: str | None
    sex: str | None
    nationality: str | None
    place_of_detention: str | None
    date_of_detention: dt.date | None
    unreadable: str | None = Field(description="Why the name could not be decrypted (the key file), if so")


class ListOut(Schema):
    party: str
    state: str | None = Field(description="draft or submitted; null when you may not see the list")
    level: str | None = Field(description="full, shared, or null")
    count: int | None
    submitted_at: dt.datetime | None
    persons: list[PersonOut]


class ConfirmationOut(Schema):
    side: str
    org: str
    by: str
    at: dt.datetime
    note: str


class ReleaseOut(Schema):
    id: str
    releasing_party: str
    receiving_party: str
    person: PersonOut
    released_at: dt.datetime
    handed_over_at: str
    recorded_by_org: str
    recorded_at: dt.datetime
    confirmed_at: dt.datetime | None
    confirmations: list[ConfirmationOut]
    may_confirm: bool


class ReciprocityOut(Schema):
    reciprocal: bool
    count_a: int
    count_b: int
    at: dt.datetime


class ExchangeDetailOut(ExchangeOut):
    lists: list[ListOut]
    releases: list[ReleaseOut]
    reciprocity_changes: list[ReciprocityOut]


class PersonIn(Schema):
    full_name: str = Field(max_length=200)
    id_number: str = Field("", max_length=64)
    age_band: Literal[tuple(AgeBand.values)] = AgeBand.UNKNOWN  # type: ignore[valid-type]
    sex: Literal[tuple(Sex.values)] = Sex.UNKNOWN  # type: ignore[valid-type]
    nationality: str = Field("", max_length=64)
    place_of_detention: str = Field("", max_length=200)
    date_of_detention: dt.date | None = None


class PersonPatch(Schema):
    full_name: str | None = Field(None, max_length=200)
    id_number: str | None = Field(None, max_length=64)
    age_band: Literal[tuple(AgeBand.values)] | None = None  # type: ignore[valid-type]
    sex: Literal[tuple(Sex.values)] | None = None  # type: ignore[valid-type]
    nationality: str | None = Field(None, max_length=64)
    place_of_detention: str | None = Field(None, max_length=200)
    date_of_detention: dt.date | None = None


class PersonRefOut(Schema):
    reference: str
    number: int
    list_state: str


class ListRefOut(Schema):
    party: str
    state: str
    count: int
    submitted_at: dt.datetime | None


class ReleaseIn(Schema):
    reference: str = Field(max_length=48, description="The person's reference, e.g. EXC-2025-0001-AFG-007")
    released_at: dt.datetime = Field(description="When the person was handed over (with a UTC offset)")
    handed_over_at: str = Field(max_length=200, description="Where, e.g. Torkham zero point")


class ReleaseRefOut(Schema):
    id: str
    reference: str
    releasing_party: str
    receiving_party: str
    released_at: dt.datetime
    handed_over_at: str
    confirmations: list[str] = Field(description="Sides that have confirmed: receiving, witness")
    confirmed_at: dt.datetime | None
    exchange_state: str


class ConfirmIn(Schema):
    note: str = Field("", max_length=services.MAX_TEXT)


class CloseIn(Schema):
    reason: str = Field(max_length=services.MAX_TEXT)


def _summary(user, ex: Exchange) -> dict:
    v = services.view(user, ex, detail=False)
    return {k: v[k] for k in ExchangeOut.model_fields}


def _release_ref(r: Release) -> dict:
    r.refresh_from_db()
    return {
        "id": str(r.pk), "reference": r.person.reference, "releasing_party": r.releasing_party,
        "receiving_party": r.receiving_party, "released_at": r.released_at, "handed_over_at": r.handed_over_at,
        "confirmations": sorted(r.confirmations.values_list("side", flat=True)), "confirmed_at": r.confirmed_at,
        "exchange_state": r.exchange.state,
    }  # fmt: skip


def _list_ref(lst: ReleaseList) -> dict:
    return {
        "party": lst.party,
        "state": lst.state,
        "count": lst.persons.count(),
        "submitted_at": lst.submitted_at,
    }


@router.get("/exchanges", response=list[ExchangeOut], summary="Detainee exchanges you may see")
def list_exchanges(request: HttpRequest):
    user = request.auth_user
    return [_summary(user, ex) for ex in services.visible_exchanges(user)[:200]]


@router.post("/exchanges", response={201: with_receipts(ExchangeOut)}, summary="Open an exchange (mediators)")
@idempotent
@answers_receipts(ExchangeOut)
def open_exchange(request: HttpRequest, payload: ExchangeIn):
    ex = services.open_exchange(request.auth_user, **payload.model_dump())
    return Status(201, _summary(request.auth_user, ex))


@router.get(
    "/exchanges/{ref}", response=ExchangeDetailOut, summary="An exchange, as much of it as you may see"
)
def get_exchange(request: HttpRequest, ref: str):
    user = request.auth_user
    return services.view(user, services.get_exchange(user, ref))


@router.post(
    "/exchanges/{ref}/close",
    response=with_receipts(ExchangeOut),
    summary="Close an exchange (mediators' lead)",
)
@answers_receipts(ExchangeOut)
def close(request: HttpRequest, ref: str, payload: CloseIn):
    ex = services.close_exchange(request.auth_user, ref, reason=payload.reason)
    return _summary(request.auth_user, ex)


@router.post("/exchanges/{ref}/lists/{party}/persons", response={201: with_receipts(PersonRefOut)},
             summary="Add a person to your party's draft list (the name and ID number are stored encrypted)")  # fmt: skip
@idempotent
@answers_receipts(PersonRefOut)
def add_person(request: HttpRequest, ref: str, party: str, payload: PersonIn):
    p = services.add_person(request.auth_user, ref, party.upper(), **payload.model_dump())
    return Status(201, {"reference": p.reference, "number": p.number, "list_state": p.list.state})


@router.patch("/exchanges/{ref}/lists/{party}/persons/{reference}", response=with_receipts(PersonRefOut),
              summary="Change a person on your party's draft list")  # fmt: skip
@answers_receipts(PersonRefOut)
def update_person(request: HttpRequest, ref: str, party: str, reference: str, payload: PersonPatch):
    fields = payload.model_dump(exclude_unset=True)
    p = services.update_person(request.auth_user, ref, party.upper(), reference, **fields)
    return {"reference": p.reference, "number": p.number, "list_state": p.list.state}


@router.delete("/exchanges/{ref}/lists/{party}/persons/{reference}", response=with_receipts(ListRefOut),
               summary="Take a person off your party's draft list")  # fmt: skip
@answers_receipts(ListRefOut)
def remove_person(request: HttpRequest, ref: str, party: str, reference: str):
    user = request.auth_user
    services.remove_person(user, ref, party.upper(), reference)
    return _list_ref(services.get_exchange(user, ref).lists.get(party=party.upper()))


@router.post("/exchanges/{ref}/lists/{party}/submit", response=with_receipts(ListRefOut),
             summary="Submit your party's list: frozen, at the server's time")  # fmt: skip
@answers_receipts(ListRefOut)
def submit_list(request: HttpRequest, ref: str, party: str):
    return _list_ref(services.submit_list(request.auth_user, ref, party.upper()))


@router.post("/exchanges/{ref}/releases", response={201: with_receipts(ReleaseRefOut)},
             summary="Record the release of a listed person")  # fmt: skip
@idempotent
@answers_receipts(ReleaseRefOut)
def record_release(request: HttpRequest, ref: str, payload: ReleaseIn):
    r = services.record_release(request.auth_user, ref, **payload.model_dump())
    return Status(201, _release_ref(r))


@router.post("/exchanges/{ref}/releases/{release_id}/confirm", response=with_receipts(ReleaseRefOut),
             summary="Confirm a release (the receiving party; a mediator or observer)")  # fmt: skip
@answers_receipts(ReleaseRefOut)
def confirm(request: HttpRequest, ref: str, release_id: str, payload: ConfirmIn):
    c = services.confirm_release(request.auth_user, ref, release_id, note=payload.note)
    return _release_ref(c.release)
