"""Days closed: the interval arithmetic against a brute-force count, and through the database."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sulh.crossings import services
from sulh.crossings.services import KINDS, durations, segments

from .conftest import T0

BASE = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
STATUSES = ["open", "restricted", "closed"]
MINUTE = dt.timedelta(minutes=1)

# A history: minutes after BASE (never decreasing, ties allowed) with a status each; a period [a, b).
history = st.lists(st.tuples(st.integers(0, 600), st.sampled_from(STATUSES)), max_size=12).map(
    lambda xs: sorted(xs, key=lambda x: x[0])  # stable: ties keep their recorded order
)
bounds = st.tuples(st.integers(-50, 700), st.integers(-50, 700))


def status_at(changes, minute):
    """The status during the minute [m, m+1): the last change at or before m, unknown before any."""
    out = "unknown"
    for at, status in changes:
        if at <= minute:
            out = status
    return out


@settings(max_examples=300, deadline=None)
@given(history, bounds)
def test_durations_match_a_minute_by_minute_count(changes, period):
    a, b = period
    got = durations([(BASE + m * MINUTE, s) for m, s in changes], BASE + a * MINUTE, BASE + b * MINUTE)
    expected = {k: dt.timedelta(0) for k in KINDS}
    for m in range(a, b):
        expected[status_at(changes, m)] += MINUTE
    assert got == expected
    assert sum(got.values(), dt.timedelta(0)) == max(dt.timedelta(0), (b - a) * MINUTE)


@settings(max_examples=200, deadline=None)
@given(history, bounds)
def test_segments_tile_the_period_and_agree_with_durations(changes, period):
    a, b = period
    ch = [(BASE + m * MINUTE, s) for m, s in changes]
    start, end = BASE + a * MINUTE, BASE + b * MINUTE
    segs = segments(ch, start, end)
    if end <= start:
        assert segs == []
        return
    assert segs[0][0] == start and segs[-1][1] == end
    assert all(x[1] == y[0] for x, y in zip(segs, segs[1:], strict=False))
    assert all(s[0] < s[1] for s in segs)
    total = {k: dt.timedelta(0) for k in KINDS}
    for s, e, status in segs:
        total[status] += e - s
    assert total == durations(ch, start, end)


@pytest.mark.django_db
def test_days_closed_from_the_records(users):
    u = users["jmt_monitor"]
    day = dt.timedelta(days=1)

    def rec(mode, status, at):
        services.record_status(u, "TORKHAM", mode=mode, status=status, reason=status, effective_at=at)

    rec("both", "closed", T0)
    rec("trade", "restricted", T0 + 3 * day)
    rec("trade", "open", T0 + 5.5 * day)
    rec("travel", "restricted", T0 + 8 * day + dt.timedelta(hours=6))
    now = T0 + 10 * day
    p = services.days_closed(u, "TORKHAM", now=now)
    assert (p.start, p.end) == (T0, now)
    assert [p.days("trade", k) for k in KINDS] == [4.5, 2.5, 3.0, 0.0]
    assert [p.days("travel", k) for k in KINDS] == [0.0, 1.75, 8.25, 0.0]
    # a window: starts before the first record (unknown), ends in the future (stops at now)
    p = services.days_closed(u, "TORKHAM", since=T0 - 2 * day, until=T0 + 30 * day, now=now)
    assert p.end == now
    assert [p.days("trade", k) for k in KINDS] == [4.5, 2.5, 3.0, 2.0]
    p = services.days_closed(u, "TORKHAM", since=T0 + day, until=T0 + 6 * day, now=now)
    assert [p.days("trade", k) for k in KINDS] == [0.5, 2.5, 2.0, 0.0]
    with pytest.raises(services.ValidationFailed):
        services.days_closed(u, "TORKHAM", since=T0 + 2 * day, until=T0 + day, now=now)
    # a crossing with no record: nothing counted
    empty = services.days_closed(u, "ANGOOR-ADDA", now=now)
    assert all(v == dt.timedelta(0) for d in empty.by_mode.values() for v in d.values())
