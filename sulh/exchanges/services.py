"""Detainee exchanges: opening one, each party's list (draft, then submitted), releases, their two
confirmations, and the reciprocity rule (docs/exchanges.md).

Every change is logged in the transaction that makes it; every refusal is raised before anything is written
(or inside the transaction, which then rolls back), so bad input changes nothing.

**Reciprocity.** Let a:b be the exchange's ratio (the charter's `commitments.exchanges.ratio` when the
exchange was opened, for its parties in charter order) and cA, cB the numbers of CONFIRMED releases by each
party. The exchange is reciprocal exactly when cA > 0, cB > 0 and cA·b = cB·a. It is re-judged after each
release that becomes confirmed; each change (reciprocal, or no longer) is a logged ReciprocityChange. When it
becomes reciprocal, the obligations verified by `exchange_reciprocal` on it are met (commitments.observe);
when a later release breaks the ratio they are NOT re-opened: met stays met, and the record shows the
imbalance (the mediators may still change the obligation's state under the charter's rules)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from sulh.charter.loader import get_charter
from sulh.core import codes
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.ledger import records
from sulh.ledger import services as ledger

from . import crypto
from .models import (
    AgeBand,
    Confirmation,
    ConfirmationSide,
    Exchange,
    ExchangeState,
    ListState,
    Person,
    ReciprocityChange,
    Release,
    ReleaseList,
    Sex,
)
from .visibility import (
    FULL,
    list_level,
    may_open,
    may_witness,
    org_of,
    shared_identifiers,
    speaks_for,
    visible_exchanges,
)

MAX_TEXT = 4000
FUTURE_SLACK = dt.timedelta(minutes=5)
IDENTIFIER_FIELDS = ("age_band", "sex", "nationality", "place_of_detention", "date_of_detention")


def is_reciprocal(count_a: int, count_b: int, ratio: tuple[int, int]) -> bool:
    """Both parties released someone and the confirmed counts stand exactly at a:b."""
    a, b = ratio
    return count_a > 0 and count_b > 0 and count_a * b == count_b * a


# --- lookups ----------------------------------------------------------------------------------------------------


def get_exchange(user, ref, *, for_update: bool = False) -> Exchange:
    text = str(ref).strip()
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text.upper())
    pk = visible_exchanges(user).filter(flt).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(f"no exchange {text!r}")
    qs = Exchange.objects.select_for_update() if for_update else Exchange.objects
    return qs.get(pk=pk)


def _text(value, field: str, *, required: bool = True, limit: int = 200) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{field} is empty", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{field} is {len(text)} characters long; at most {limit}", field=field)
    return text


def _open(ex: Exchange) -> None:
    if ex.state == ExchangeState.CLOSED:
        raise Conflict(f"exchange {ex.code} is closed", field="exchange")


# --- exchanges --------------------------------------------------------------------------------------------------


def next_code(when: dt.datetime) -> str:
    return codes.next_code(Exchange, "EXC", when)


def open_exchange(user, *, title: str, agreement: str | None = None) -> Exchange:
    """Opened by the mediators' leads and verifiers, between the charter's two parties at its ratio."""
    if not may_open(user):
        raise PermissionDenied("only the mediators' leads and verifiers open an exchange")
    title = _text(title, "title", limit=300)
    agreement_row = None
    if agreement:
        from sulh.commitments.models import Agreement

        agreement_row = Agreement.objects.filter(code=str(agreement).strip().upper()).first()
        if agreement_row is None:
            raise ValidationFailed(f"no agreement {agreement!r}", field="agreement")
    charter = get_charter()
    parties = [p.code for p in charter.parties]
    if len(parties) != 2:
        raise ValidationFailed("an exchange is between the charter's two parties", field="parties")
    ratio = charter.commitments.exchanges.ratio if charter.commitments is not None else (1, 1)
    now = timezone.now()
    with transaction.atomic():
        for attempt in range(5):  # two exchanges opened at once draw the same code: the second tries again
            try:
                with transaction.atomic():
                    ex = Exchange.objects.create(
                        code=next_code(now), title=title, agreement=agreement_row, party_a=parties[0],
                        party_b=parties[1], ratio_a=ratio[0], ratio_b=ratio[1], created_by=user, created_at=now,
                    )  # fmt: skip
                break
            except IntegrityError:
                if attempt == 4:
                    raise
        ledger.record(ex, "exchange.opened", actor=user)
    return ex


def close_exchange(user, ref, *, reason: str) -> Exchange:
    """The mediators' lead closes an exchange: nothing more is listed, released or confirmed in it."""
    reason = _text(reason, "reason", limit=MAX_TEXT)
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        org = org_of(user)
        if not (may_open(user) and user.role == "mediator_lead" and org is not None):
            raise PermissionDenied("only a mediators' lead closes an exchange")
        _open(ex)
        now = timezone.now()
        ex.closed_at, ex.close_reason = now, reason
        ex.state, ex.state_changed_at = ExchangeState.CLOSED, now
        ex.save(update_fields=["closed_at", "close_reason", "state", "state_changed_at"])
        ledger.record(ex, "exchange.closed", actor=user)
    return ex


# --- lists ------------------------------------------------------------------------------------------------------


def _editable_list(user, ex: Exchange, party: str, *, create: bool) -> ReleaseList | None:
    """The user's party's draft list, locked (made when `create`); refusals for everyone else."""
    if party not in ex.parties:
        raise ValidationFailed(f"{party!r} is not a party to {ex.code}", field="party")
    if not speaks_for(user, party):
        raise PermissionDenied(f"only {party}'s liaison officers and commanders edit {party}'s list")
    _open(ex)
    lst = ReleaseList.objects.select_for_update().filter(exchange=ex, party=party).first()
    if lst is None:
        if not create:
            raise NotFound(f"{party} has no list in {ex.code} yet", field="party")
        lst = ReleaseList.objects.create(exchange=ex, party=party, created_by=user)
        ledger.record(lst, "exchange_list.created", actor=user)
    if not lst.is_draft:
        raise Conflict(f"{party}'s list in {ex.code} is submitted: it cannot be changed", field="party")
    return lst


def _identifiers(data: dict, *, partial: Person | None = None) -> dict:
    """Validated clear identifiers (those given; for an update, the others stay as they are)."""
    out = {}
    if "age_band" in data or partial is None:
        v = data.get("age_band") or AgeBand.UNKNOWN
        if v not in AgeBand.values:
            raise ValidationFailed(f"age_band must be one of {', '.join(AgeBand.values)}", field="age_band")
        out["age_band"] = v
    if "sex" in data or partial is None:
        v = data.get("sex") or Sex.UNKNOWN
        if v not in Sex.values:
            raise ValidationFailed(f"sex must be one of {', '.join(Sex.values)}", field="sex")
        out["sex"] = v
    if "nationality" in data or partial is None:
        out["nationality"] = _text(data.get("nationality"), "nationality", required=False, limit=64)
    if "place_of_detention" in data or partial is None:
        out["place_of_detention"] = _text(
            data.get("place_of_detention"), "place_of_detention", required=False
        )
    if "date_of_detention" in data or partial is None:
        d = data.get("date_of_detention")
        if isinstance(d, str):
            try:
                d = dt.date.fromisoformat(d) if d.strip() else None
            except ValueError:
                raise ValidationFailed(
                    "date_of_detention is not a date (YYYY-MM-DD)", field="date_of_detention"
                ) from None
        if d is not None and d > timezone.now().date():
            raise ValidationFailed("date_of_detention is in the future", field="date_of_detention")
        out["date_of_detention"] = d
    return out


def add_person(user, ref, party: str, *, full_name: str, id_number: str = "", **identifiers) -> Person:
    """Add a person to `party`'s draft list (made on the first person). Sulh assigns the reference."""
    full_name = _text(full_name, "full_name")
    id_number = _text(id_number, "id_number", required=False, limit=64)
    clear = _identifiers(identifiers)
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        lst = _editable_list(user, ex, party, create=True)
        lst.last_number += 1
        lst.save(update_fields=["last_number"])
        p = Person(list=lst, number=lst.last_number, reference=f"{ex.code}-{party}-{lst.last_number:03d}",
                   added_by=user, **clear)  # fmt: skip
        p.name_ct = crypto.encrypt(p.pk, "name", full_name)
        p.id_number_ct = crypto.encrypt(p.pk, "id_number", id_number)
        p.save(force_insert=True)
        ledger.record(p, "exchange_person.added", actor=user)
    return p


def _draft_person(user, ex: Exchange, party: str, reference: str) -> tuple[ReleaseList, Person]:
    lst = _editable_list(user, ex, party, create=False)
    p = Person.objects.select_for_update().filter(list=lst, reference=str(reference).strip().upper()).first()
    if p is None:
        raise NotFound(f"no person {reference!r} on {party}'s list", field="reference")
    return lst, p


def update_person(user, ref, party: str, reference: str, **fields) -> Person:
    """Change a person on a draft list; a name or identity number given is encrypted afresh."""
    secret = {}
    if "full_name" in fields:
        secret["name"] = _text(fields.pop("full_name"), "full_name")
    if "id_number" in fields:
        secret["id_number"] = _text(fields.pop("id_number"), "id_number", required=False, limit=64)
    unknown = set(fields) - set(IDENTIFIER_FIELDS)
    if unknown:
        raise ValidationFailed(f"no field {sorted(unknown)[0]!r} on a person", field=sorted(unknown)[0])
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        _lst, p = _draft_person(user, ex, party, reference)
        clear = _identifiers(fields, partial=p)
        for k, v in clear.items():
            setattr(p, k, v)
        for field, value in secret.items():
            setattr(p, f"{field}_ct", crypto.encrypt(p.pk, field, value))
        p.save()
        ledger.record(p, "exchange_person.updated", actor=user)
    return p


def remove_person(user, ref, party: str, reference: str) -> None:
    """Take a person off a draft list (the reference is never given to anyone else)."""
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        _lst, p = _draft_person(user, ex, party, reference)
        pk = str(p.pk)
        p.delete()
        ledger.record_deletion(records.type_of(Person), pk, actor=user)


def submit_list(user, ref, party: str) -> ReleaseList:
    """Submit the party's list: frozen from now on, at the server's time, and seen by the others."""
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        lst = _editable_list(user, ex, party, create=False)
        if not lst.persons.exists():
            raise ValidationFailed(
                "the list is empty: add at least one person before submitting", field="party"
            )
        lst.state, lst.submitted_by, lst.submitted_at = ListState.SUBMITTED, user, timezone.now()
        lst.save(update_fields=["state", "submitted_by", "submitted_at"])
        ledger.record(lst, "exchange_list.submitted", actor=user)
    return lst


# --- releases and confirmations ---------------------------------------------------------------------------------


def record_release(user, ref, *, reference: str, released_at: dt.datetime, handed_over_at: str) -> Release:
    """Record that a person on a submitted list was handed over. Recorded by the releasing party, a mediator or
    an observer; it counts once the receiving party and a mediator or observer have both confirmed it."""
    reference = _text(reference, "reference", limit=48).upper()
    handed_over_at = _text(handed_over_at, "handed_over_at")
    if released_at is None:
        raise ValidationFailed("released_at is required", field="released_at")
    if timezone.is_naive(released_at):
        raise ValidationFailed("released_at needs a UTC offset", field="released_at")
    now = timezone.now()
    if released_at > now + FUTURE_SLACK:
        raise ValidationFailed("released_at is in the future", field="released_at")
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        org = org_of(user)
        p = Person.objects.select_related("list").filter(reference=reference, list__exchange=ex).first()
        if p is not None and p.list.is_draft:
            if org is not None and org.code == p.list.party:
                raise ValidationFailed(f"{reference} is on your party's draft list: submit the list before "
                                       "releasing anyone from it", field="reference")  # fmt: skip
            p = None  # a draft is not there for anyone else
        if p is None:
            raise ValidationFailed(f"no person {reference} on a submitted list of {ex.code}: only listed persons "
                                   "are released in an exchange", field="reference")  # fmt: skip
        releasing = p.list.party
        if not (speaks_for(user, releasing) or may_witness(user)):
            raise PermissionDenied(f"a release by {releasing} is recorded by {releasing}'s liaison officers and "
                                   "commanders, the mediators or the observers")  # fmt: skip
        _open(ex)
        if Release.objects.filter(person=p).exists():
            raise Conflict(f"{reference} is released already", field="reference")
        try:
            with transaction.atomic():
                r = Release.objects.create(
                    exchange=ex, person=p, releasing_party=releasing, receiving_party=ex.other(releasing),
                    released_at=released_at, handed_over_at=handed_over_at, recorded_by=user,
                    recorded_by_org=org.code, recorded_at=now,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(f"{reference} is released already", field="reference") from None
        ledger.record(r, "exchange_release.recorded", actor=user)
    return r


def side_of(user, release: Release) -> str | None:
    if speaks_for(user, release.receiving_party):
        return ConfirmationSide.RECEIVING
    if may_witness(user):
        return ConfirmationSide.WITNESS
    return None


def confirm_release(user, ref, release_id, *, note: str = "") -> Confirmation:
    """Confirm a release: as the receiving party (its liaison officers and commanders), or as a mediator or
    observer. The second confirmation makes it count, and the exchange's reciprocity is judged again."""
    note = _text(note, "note", required=False, limit=MAX_TEXT)
    with transaction.atomic():
        ex = get_exchange(user, ref, for_update=True)
        try:
            rid = uuid.UUID(str(release_id))
        except ValueError:
            raise NotFound(f"no release {release_id!r} in {ex.code}", field="release") from None
        r = Release.objects.select_for_update().filter(pk=rid, exchange=ex).first()
        if r is None:
            raise NotFound(f"no release {release_id!r} in {ex.code}", field="release")
        side = side_of(user, r)
        if side is None:
            raise PermissionDenied(f"a release by {r.releasing_party} is confirmed by the receiving party "
                                   f"({r.receiving_party}) and by a mediator or observer, not by you")  # fmt: skip
        _open(ex)
        if r.confirmations.filter(side=side).exists():
            raise Conflict(f"the {side} side confirmed this release already", field="release")
        now = timezone.now()
        c = Confirmation.objects.create(
            release=r, side=side, org=org_of(user).code, by=user, at=now, note=note
        )
        ledger.record(c, f"exchange_confirmation.{side}", actor=user)
        if r.confirmations.count() == len(ConfirmationSide.values):
            r.confirmed_at = now
            r.save(update_fields=["confirmed_at"])
            ledger.record(r, "exchange_release.confirmed", actor=user)
            _judge(ex, r, now)
    return c


def confirmed_counts(ex: Exchange) -> tuple[int, int]:
    rows = dict(
        Release.objects.filter(exchange=ex, confirmed_at__isnull=False)
        .values_list("releasing_party")
        .annotate(n=Count("pk"))
        .values_list("releasing_party", "n")
    )
    return rows.get(ex.party_a, 0), rows.get(ex.party_b, 0)


def _judge(ex: Exchange, release: Release, now: dt.datetime) -> ReciprocityChange | None:
    """Re-judge reciprocity after `release` became confirmed (the exchange row is locked)."""
    ca, cb = confirmed_counts(ex)
    now_reciprocal = is_reciprocal(ca, cb, (ex.ratio_a, ex.ratio_b))
    if now_reciprocal == (ex.state == ExchangeState.RECIPROCAL):
        return None
    ch = ReciprocityChange.objects.create(exchange=ex, reciprocal=now_reciprocal, count_a=ca, count_b=cb,
                                          release=release, at=now)  # fmt: skip
    ex.state = ExchangeState.RECIPROCAL if now_reciprocal else ExchangeState.OPEN
    ex.state_changed_at = now
    ex.save(update_fields=["state", "state_changed_at"])
    ledger.record(ch, "exchange.reciprocal" if now_reciprocal else "exchange.imbalanced")
    if now_reciprocal:
        from sulh.commitments import services as commitments

        commitments.observe(
            "exchange_reciprocal", str(ex.pk), source_record=f"exchange:{ex.pk}",
            reason=f"{ex.code} is reciprocal: {ex.party_a} released {ca}, {ex.party_b} released {cb} "
                   f"(ratio {ex.ratio_a}:{ex.ratio_b}), every release confirmed", at=now,
        )  # fmt: skip
    return ch


# --- what a viewer sees -----------------------------------------------------------------------------------------


def person_out(p: Person, level: str) -> dict:
    """A person as a viewer at `level` may see it: decrypted only at FULL; otherwise the reference and the
    charter's shared identifiers."""
    out = {
        "reference": p.reference,
        "number": p.number,
        "full_name": None,
        "id_number": None,
        "unreadable": None,
    }
    shown = IDENTIFIER_FIELDS if level == FULL else [f for f in shared_identifiers() if f != "reference"]
    for f in IDENTIFIER_FIELDS:
        out[f] = getattr(p, f) if f in shown else None
    # Labels in the reader's language, for the console (the API's schema leaves them out).
    out["age_band_label"] = AgeBand(out["age_band"]).label if out["age_band"] else None
    out["sex_label"] = Sex(out["sex"]).label if out["sex"] else None
    if level == FULL:
        try:
            out["full_name"] = crypto.decrypt(p.pk, "name", p.name_ct)
            out["id_number"] = crypto.decrypt(p.pk, "id_number", p.id_number_ct)
        except crypto.CipherError as exc:
            out["unreadable"] = str(exc)
    return out


def view(user, ex: Exchange, *, detail: bool = True) -> dict:
    """Everything `user` may see of an exchange, decided here once for the API and the console. Without
    `detail` (lists of exchanges): the counts only, no person, nothing decrypted."""
    lists = {lst.party: lst for lst in ex.lists.all()}
    levels = {party: (list_level(user, lists[party]) if party in lists else None) for party in ex.parties}
    releases = list(
        ex.releases.select_related("person").prefetch_related("confirmations__by")
        if detail
        else ex.releases.only("releasing_party", "confirmed_at")
    )
    released = {party: 0 for party in ex.parties}
    confirmed = {party: 0 for party in ex.parties}
    for r in releases:
        released[r.releasing_party] += 1
        confirmed[r.releasing_party] += r.confirmed_at is not None
    out_lists = []
    for party in ex.parties:
        lst, level = lists.get(party), levels[party]
        if lst is None or level is None:
            out_lists.append({"party": party, "state": None, "level": None, "count": None, "submitted_at": None,
                              "persons": []})  # fmt: skip
            continue
        persons = list(lst.persons.all()) if detail else []
        out_lists.append({
            "party": party, "state": lst.state, "level": level,
            "count": len(persons) if detail else lst.persons.count(),
            "submitted_at": lst.submitted_at, "persons": [person_out(p, level) for p in persons],
        })  # fmt: skip
    ca, cb = confirmed[ex.party_a], confirmed[ex.party_b]
    return {
        "id": str(ex.pk), "code": ex.code, "title": ex.title,
        "agreement": ex.agreement.code if ex.agreement_id else None,
        "parties": list(ex.parties), "ratio": [ex.ratio_a, ex.ratio_b], "state": ex.state,
        "reciprocal": is_reciprocal(ca, cb, (ex.ratio_a, ex.ratio_b)),
        "created_at": ex.created_at, "closed_at": ex.closed_at, "close_reason": ex.close_reason,
        "counts": [{"party": p, "listed": next(x["count"] for x in out_lists if x["party"] == p),
                    "released": released[p], "confirmed": confirmed[p]} for p in ex.parties],
        "lists": out_lists,
        "releases": [{
            "id": str(r.pk), "releasing_party": r.releasing_party, "receiving_party": r.receiving_party,
            "person": person_out(r.person, levels[r.releasing_party] or "shared"),
            "released_at": r.released_at, "handed_over_at": r.handed_over_at, "recorded_by_org": r.recorded_by_org,
            "recorded_at": r.recorded_at, "confirmed_at": r.confirmed_at,
            "confirmations": [{"side": c.side, "org": c.org, "by": c.by.get_username(), "at": c.at, "note": c.note}
                              for c in r.confirmations.all()],
            "may_confirm": _may_confirm(user, ex, r),
        } for r in releases if detail],
        "reciprocity_changes": [
            {"reciprocal": ch.reciprocal, "count_a": ch.count_a, "count_b": ch.count_b, "at": ch.at}
            for ch in (ex.reciprocity_changes.all() if detail else [])
        ],
    }  # fmt: skip


def _may_confirm(user, ex: Exchange, r: Release) -> bool:
    if ex.state == ExchangeState.CLOSED:
        return False
    side = side_of(user, r)
    return side is not None and not any(c.side == side for c in r.confirmations.all())


def releasable(user, ex: Exchange) -> list[Person]:
    """Persons `user` may record a release of: on submitted lists, not yet released."""
    if ex.state == ExchangeState.CLOSED:
        return []
    qs = Person.objects.filter(list__exchange=ex, list__state=ListState.SUBMITTED, release__isnull=True)
    if not may_witness(user):
        org = org_of(user)
        if org is None or not speaks_for(user, org.code):
            return []
        qs = qs.filter(list__party=org.code)
    return list(qs.select_related("list").order_by("list__party", "number"))
