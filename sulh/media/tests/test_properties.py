"""Properties of the scoring that hold for any labels and predictions (hypothesis), and the assignment checked
against brute force on small sets."""

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sulh.media import evaluate
from sulh.media.evaluate import FIELDS, field_checks, matches, parse_article, score_article, within

from .helpers import article, event

DAY0 = date(2025, 10, 1)
ranges = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 6), st.one_of(st.none(), st.integers(0, 4))).map(
        lambda t: [t[0], None if t[1] is None else t[0] + t[1]]
    ),
)
figures = st.fixed_dictionaries({c: ranges for c in evaluate.CATEGORIES})


@st.composite
def events(draw, background=None):
    background = st.booleans() if background is None else background
    start = DAY0 + timedelta(days=draw(st.integers(0, 8)))
    end = start + timedelta(days=draw(st.integers(0, 2)))
    return event(
        start.isoformat(),
        end.isoformat(),
        draw(st.lists(st.sampled_from(["Kurram", "Bajaur", "Chaman", "Kabul"]), max_size=2, unique=True)),
        event_type=draw(st.sampled_from(["Battles", "Explosions/Remote violence"])),
        sub_event_type=draw(st.sampled_from(["Armed clash", "Air/drone strike"])),
        claimant=draw(st.sampled_from(["ISPR", "Taliban spokesman", "outlet"])),
        killed=draw(figures),
        injured=draw(figures),
        background=draw(background),
    )


event_lists = st.lists(events(), max_size=6)
news_lists = st.lists(events(background=st.just(False)), max_size=6)


def art(evs):
    return parse_article("a.json", article("a", evs))


def result(labels, predictions):
    return score_article(art(labels), art(predictions))


def fields_right(r):
    return sum(row["correct"] for row in r["fields"].values())


@given(event_lists)
def test_labels_against_themselves_are_perfect(labels):
    r = result(labels, labels)
    assert r["precision"] in (None, 1.0) and r["recall"] in (None, 1.0) and r["f1"] in (None, 1.0)
    assert r["pairs"] == len(labels)
    assert all(row["correct"] == len(labels) for row in r["fields"].values())


@given(event_lists, event_lists, st.data())
def test_removing_an_extracted_event_never_raises_recall(labels, predictions, data):
    if not predictions:
        return
    k = data.draw(st.integers(0, len(predictions) - 1))
    fewer = predictions[:k] + predictions[k + 1 :]
    before, after = result(labels, predictions), result(labels, fewer)
    assert after["labelled_news_found"] <= before["labelled_news_found"]
    assert (after["recall"] or 0) <= (before["recall"] or 0)


@given(event_lists, event_lists, st.data())
def test_an_exact_copy_of_a_labelled_event_never_lowers_precision_or_recall(labels, predictions, data):
    if not labels:
        return
    copy = labels[data.draw(st.integers(0, len(labels) - 1))]
    before, after = result(labels, predictions), result(labels, predictions + [copy])
    assert after["extracted_matched"] == before["extracted_matched"] + 1  # a copy always matches its label
    assert after["precision"] >= (before["precision"] or 0)
    assert (after["recall"] or 0) >= (before["recall"] or 0)
    assert after["pairs"] >= before["pairs"]


@given(news_lists, news_lists)
def test_precision_and_recall_swap_when_labels_and_predictions_swap(a, b):
    # with no background events, matching is symmetric, so precision one way is recall the other way
    ab, ba = result(a, b), result(b, a)
    assert ab["precision"] == ba["recall"] and ab["recall"] == ba["precision"]
    assert ab["f1"] == ba["f1"]
    assert ab["pairs"] == ba["pairs"]


@given(event_lists, event_lists, st.randoms(use_true_random=False))
def test_order_of_events_changes_nothing_but_which_pairs(labels, predictions, rnd):
    shuffled_l, shuffled_p = labels[:], predictions[:]
    rnd.shuffle(shuffled_l)
    rnd.shuffle(shuffled_p)
    r1, r2 = result(labels, predictions), result(shuffled_l, shuffled_p)
    for key in ("precision", "recall", "f1", "extracted_matched", "labelled_news_found", "pairs"):
        assert r1[key] == r2[key], key
    assert fields_right(r1) == fields_right(
        r2
    )  # the optimum is unique even when the pairs that reach it are not


@settings(max_examples=300)
@given(st.lists(events(), max_size=4), st.lists(events(), max_size=4))
def test_pairing_is_the_brute_force_optimum(labels, predictions):
    labs, exts = art(labels).events, art(predictions).events
    pairs = evaluate.pair_events(labs, exts)
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)  # one-to-one
    assert all(matches(labs[i], exts[j]) for i, j in pairs)

    def value(ps):
        return (len(ps), sum(sum(field_checks(labs[i], exts[j]).values()) for i, j in ps))

    best = (0, 0)
    n, m = len(labs), len(exts)
    for perm in itertools.permutations(range(max(n, m)), min(n, m)):
        full = zip(range(n), perm, strict=True) if n <= m else ((i, j) for j, i in enumerate(perm))
        best = max(best, value([(i, j) for i, j in full if matches(labs[i], exts[j])]))
    assert value(pairs) == best


@given(event_lists, event_lists)
def test_counts_are_consistent(labels, predictions):
    r = result(labels, predictions)
    assert r["pairs"] <= min(len(labels), len(predictions))
    assert r["pairs"] <= r["extracted_matched"]
    assert r["labelled_news_found"] <= r["labelled_news"] <= len(labels)
    assert all(row["correct"] <= r["pairs"] for row in r["fields"].values())
    assert set(r["fields"]) == set(FIELDS)


@given(ranges, ranges, ranges)
def test_within_is_containment(x, y, z):
    t = lambda r: None if r is None else tuple(r)  # noqa: E731
    x, y, z = t(x), t(y), t(z)
    assert within(x, x)
    if within(x, y) and within(y, z):
        assert within(x, z)
    if within(x, y) and within(y, x):
        assert x == y
