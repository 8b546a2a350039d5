"""The reciprocal rule: property tests over confirmed release counts and charter ratios, on the predicate and
on the stored exchange (its state and the logged reciprocity changes after every confirmed release)."""

from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sulh.exchanges import services
from sulh.exchanges.models import Exchange, ExchangeState, ReciprocityChange

from .conftest import fill, release_and_confirm

counts = st.integers(min_value=0, max_value=500)
ratios = st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=12))


@given(ca=counts, cb=counts, ratio=ratios)
def test_reciprocal_exactly_when_counts_stand_at_the_ratio(ca, cb, ratio):
    expected = ca > 0 and cb > 0 and Fraction(ca, cb) == Fraction(*ratio)
    assert services.is_reciprocal(ca, cb, ratio) is expected


@given(k=st.integers(min_value=1, max_value=50), ratio=ratios)
def test_every_multiple_of_the_ratio_is_reciprocal_and_one_more_breaks_it(k, ratio):
    a, b = ratio
    assert services.is_reciprocal(k * a, k * b, ratio)
    assert not services.is_reciprocal(k * a + 1, k * b, ratio)
    assert not services.is_reciprocal(k * a, k * b + 1, ratio)
    assert not services.is_reciprocal(0, k * b, ratio) and not services.is_reciprocal(k * a, 0, ratio)


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratio=st.tuples(st.integers(1, 3), st.integers(1, 3)), order=st.lists(st.sampled_from(["AFG", "PAK"]),
                                                                              min_size=1, max_size=7))  # fmt: skip
def test_the_stored_state_follows_the_rule_after_every_confirmed_release(users, ratio, order):
    with transaction.atomic():
        ex = services.open_exchange(users["qat_lead"], title="Property")
        Exchange.objects.filter(pk=ex.pk).update(ratio_a=ratio[0], ratio_b=ratio[1])
        ex.refresh_from_db()
        persons = {p: fill(users, ex, p, count=order.count(p)) if p in order else [] for p in ("AFG", "PAK")}
        done = {"AFG": 0, "PAK": 0}
        expected_changes, was = [], False
        for party in order:
            release_and_confirm(users, ex, persons[party][done[party]])
            done[party] += 1
            ex.refresh_from_db()
            now = services.is_reciprocal(done["AFG"], done["PAK"], ratio)
            assert (ex.state == ExchangeState.RECIPROCAL) is now
            assert services.confirmed_counts(ex) == (done["AFG"], done["PAK"])
            if now != was:
                expected_changes.append((now, done["AFG"], done["PAK"]))
            was = now
        stored = list(ReciprocityChange.objects.filter(exchange=ex).order_by("at", "count_a", "count_b")
                      .values_list("reciprocal", "count_a", "count_b"))  # fmt: skip
        assert sorted(stored) == sorted(expected_changes)
        transaction.set_rollback(True)
