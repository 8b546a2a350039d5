"""Lists, releases, confirmations and reciprocity through the services; bad input refused and changing
nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.commitments import services as commitments
from sulh.commitments.models import ObligationChange, ObligationState
from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.exchanges import services
from sulh.exchanges.models import (
    Confirmation,
    Exchange,
    ExchangeState,
    Person,
    ReciprocityChange,
    Release,
    ReleaseList,
)
from sulh.ledger.models import LogEntry

from .conftest import fill, release_and_confirm

pytestmark = pytest.mark.django_db


def _rows():
    return tuple(m.objects.count() for m in (Exchange, ReleaseList, Person, Release, Confirmation, ReciprocityChange,
                                             ObligationChange, LogEntry))  # fmt: skip


def _obligation(users, ex):
    return commitments.create_obligation(
        users["qat_lead"], "ISTANBUL-2025-10-30", kind="detainee_release", title="Release detainees reciprocally",
        obliged=["AFG", "PAK"], verified_by="exchange_reciprocal", subject=str(ex.pk),
    )  # fmt: skip


def test_opening_takes_the_charter_parties_and_ratio(users, exchange):
    assert exchange.code.startswith("EXC-") and exchange.parties == ("AFG", "PAK")
    assert (exchange.ratio_a, exchange.ratio_b) == (1, 1)
    assert exchange.agreement.code == "ISTANBUL-2025-10-30"
    assert LogEntry.objects.filter(kind="exchange.opened", record_id=str(exchange.pk)).exists()
    for name in ("afg_liaison", "pak_commander", "jmt_monitor", "public", "ops_admin"):
        with pytest.raises(PermissionDenied):
            services.open_exchange(users[name], title="x")


def test_references_are_assigned_and_never_reused(users, exchange):
    a1, a2 = fill(users, exchange, "AFG", submit=False)
    assert (a1.reference, a2.reference) == (f"{exchange.code}-AFG-001", f"{exchange.code}-AFG-002")
    services.remove_person(users["afg_liaison"], exchange.code, "AFG", a2.reference)
    assert LogEntry.objects.filter(kind="exchange_person.deleted", record_id=str(a2.pk)).exists()
    a3 = services.add_person(users["afg_commander"], exchange.code, "AFG", full_name="Demo Person Echo")
    assert a3.reference == f"{exchange.code}-AFG-003"


def test_a_submitted_list_is_frozen(users, exchange):
    (a1, _a2) = fill(users, exchange, "AFG")
    before = _rows()
    with pytest.raises(Conflict, match="submitted"):
        services.add_person(users["afg_liaison"], exchange.code, "AFG", full_name="Demo Person Late")
    with pytest.raises(Conflict):
        services.update_person(users["afg_liaison"], exchange.code, "AFG", a1.reference, full_name="Other")
    with pytest.raises(Conflict):
        services.remove_person(users["afg_liaison"], exchange.code, "AFG", a1.reference)
    with pytest.raises(Conflict):
        services.submit_list(users["afg_liaison"], exchange.code, "AFG")
    assert _rows() == before


def test_only_the_party_edits_its_list(users, exchange):
    before = _rows()
    for name in ("pak_liaison", "afg_analyst", "qat_lead", "jmt_monitor"):
        with pytest.raises(PermissionDenied):
            services.add_person(users[name], exchange.code, "AFG", full_name="Demo Person X")
    with pytest.raises(NotFound):
        services.add_person(users["public"], exchange.code, "AFG", full_name="Demo Person X")
    with pytest.raises(ValidationFailed, match="empty"):
        services.add_person(users["afg_liaison"], exchange.code, "AFG", full_name="  ")
    with pytest.raises(ValidationFailed, match="future"):
        services.add_person(users["afg_liaison"], exchange.code, "AFG", full_name="Demo Person Y",
                            date_of_detention=timezone.now().date() + dt.timedelta(days=2))  # fmt: skip
    assert _rows() == before


def test_a_release_counts_when_both_sides_confirmed_and_reciprocity_meets_the_obligation(users, exchange):
    ob = _obligation(users, exchange)
    afg = fill(users, exchange, "AFG")
    pak = fill(users, exchange, "PAK")
    r1 = release_and_confirm(users, exchange, afg[0], confirm=False)
    services.confirm_release(users["pak_liaison"], exchange.code, r1.pk)
    r1.refresh_from_db()
    assert r1.confirmed_at is None  # the receiving side alone does not make it count
    services.confirm_release(users["qat_verifier"], exchange.code, r1.pk, note="Seen at the zero point")
    r1.refresh_from_db()
    assert r1.confirmed_at is not None
    exchange.refresh_from_db()
    assert exchange.state == ExchangeState.OPEN  # 1:0 is not reciprocal
    release_and_confirm(users, exchange, pak[0])
    exchange.refresh_from_db()
    ob.refresh_from_db()
    assert exchange.state == ExchangeState.RECIPROCAL
    assert ob.state == ObligationState.MET
    change = ob.changes.get(to_state="met")
    assert change.source_record == f"exchange:{exchange.pk}" and change.as_actor == "sulh"
    # A third release breaks 1:1: recorded, but the obligation stays met.
    release_and_confirm(users, exchange, afg[1])
    exchange.refresh_from_db()
    ob.refresh_from_db()
    assert exchange.state == ExchangeState.OPEN and ob.state == ObligationState.MET
    assert list(ReciprocityChange.objects.filter(exchange=exchange).values_list("reciprocal", "count_a", "count_b")) == [
        (True, 1, 1), (False, 2, 1)]  # fmt: skip
    assert LogEntry.objects.filter(kind="exchange.imbalanced").count() == 1
    # Balanced again: reciprocal again.
    release_and_confirm(users, exchange, pak[1])
    exchange.refresh_from_db()
    assert exchange.state == ExchangeState.RECIPROCAL
    assert ob.changes.filter(to_state="met").count() == 1


def test_ratio_two_to_one(users, exchange):
    Exchange.objects.filter(pk=exchange.pk).update(ratio_a=2, ratio_b=1)
    exchange.refresh_from_db()
    afg = fill(users, exchange, "AFG")
    pak = fill(users, exchange, "PAK")
    release_and_confirm(users, exchange, afg[0])
    release_and_confirm(users, exchange, pak[0])
    exchange.refresh_from_db()
    assert exchange.state == ExchangeState.OPEN  # 1:1 is not 2:1
    release_and_confirm(users, exchange, afg[1])
    exchange.refresh_from_db()
    assert exchange.state == ExchangeState.RECIPROCAL


def test_release_of_an_unlisted_person_is_refused_and_changes_nothing(users, exchange):
    afg = fill(users, exchange, "AFG")
    draft = fill(users, exchange, "PAK", submit=False)
    other = services.open_exchange(users["qat_lead"], title="Another exchange")
    elsewhere = fill(users, other, "AFG", count=1)
    before = _rows()
    when = timezone.now() - dt.timedelta(hours=2)
    for who, ref in (("qat_lead", f"{exchange.code}-AFG-099"), ("qat_lead", elsewhere[0].reference),
                     ("afg_liaison", "NOBODY"), ("qat_lead", draft[0].reference)):  # fmt: skip
        with pytest.raises(ValidationFailed, match="no person .* on a submitted list") as exc:
            services.record_release(
                users[who], exchange.code, reference=ref, released_at=when, handed_over_at="Torkham"
            )
        assert exc.value.field == "reference"
    # The releasing party is told its list is still a draft.
    with pytest.raises(ValidationFailed, match="draft list"):
        services.record_release(users["pak_liaison"], exchange.code, reference=draft[0].reference, released_at=when,
                                handed_over_at="Torkham")  # fmt: skip
    with pytest.raises(ValidationFailed, match="future"):
        services.record_release(users["afg_liaison"], exchange.code, reference=afg[0].reference,
                                released_at=timezone.now() + dt.timedelta(hours=1), handed_over_at="Torkham")  # fmt: skip
    # The receiving party does not record the other's release.
    with pytest.raises(PermissionDenied):
        services.record_release(users["pak_liaison"], exchange.code, reference=afg[0].reference, released_at=when,
                                handed_over_at="Torkham")  # fmt: skip
    assert _rows() == before


def test_releasing_twice_is_a_conflict(users, exchange):
    afg = fill(users, exchange, "AFG")
    release_and_confirm(users, exchange, afg[0], confirm=False)
    before = _rows()
    with pytest.raises(Conflict, match="released already"):
        services.record_release(users["qat_lead"], exchange.code, reference=afg[0].reference,
                                released_at=timezone.now(), handed_over_at="Chaman")  # fmt: skip
    assert _rows() == before


def test_confirmation_by_the_wrong_side_is_forbidden(users, exchange):
    afg = fill(users, exchange, "AFG")
    r = release_and_confirm(users, exchange, afg[0], confirm=False)
    before = _rows()
    for name in ("afg_liaison", "afg_commander", "pak_analyst", "tur_analyst"):
        with pytest.raises(PermissionDenied):
            services.confirm_release(users[name], exchange.code, r.pk)
    for name in ("public", "ops_admin"):
        with pytest.raises(NotFound):
            services.confirm_release(users[name], exchange.code, r.pk)
    services.confirm_release(users["pak_commander"], exchange.code, r.pk)
    with pytest.raises(Conflict):
        services.confirm_release(users["pak_liaison"], exchange.code, r.pk)
    services.confirm_release(users["jmt_monitor"], exchange.code, r.pk)
    with pytest.raises(Conflict):
        services.confirm_release(users["qat_lead"], exchange.code, r.pk)
    assert _rows()[4] == before[4] + 2


def test_a_closed_exchange_takes_nothing_more(users, exchange):
    afg = fill(users, exchange, "AFG")
    with pytest.raises(PermissionDenied):
        services.close_exchange(users["qat_verifier"], exchange.code, reason="done")
    services.close_exchange(users["qat_lead"], exchange.code, reason="All listed persons accounted for")
    before = _rows()
    with pytest.raises(Conflict, match="closed"):
        services.record_release(users["afg_liaison"], exchange.code, reference=afg[0].reference,
                                released_at=timezone.now(), handed_over_at="Torkham")  # fmt: skip
    with pytest.raises(Conflict, match="closed"):
        services.add_person(users["pak_liaison"], exchange.code, "PAK", full_name="Demo Person Z")
    assert _rows() == before
