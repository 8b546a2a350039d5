"""The scoring rules of shared/eval/media-dev/README.md on hand-made cases whose figures are worked out by
hand, and the dev set's labels scored against themselves."""

from fractions import Fraction

import pytest

from sulh.media import evaluate
from sulh.media.evaluate import FIELDS, LabelError, parse_article, within

from .helpers import DEV_SET, article, event, write_dir


def parsed(events: list[dict], name="a") -> evaluate.Article:
    return parse_article(f"{name}.json", article(name, events))


# --- casualty figures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extracted, label, ok",
    [
        (None, None, True),  # no figure in the text, none extracted
        ((5, 5), None, False),  # an invented figure
        (None, (5, 5), False),  # a missed figure
        ((5, 5), (5, 5), True),
        ((4, 4), (5, 5), False),
        ((15, 20), (15, 20), True),
        ((17, 17), (15, 20), True),  # an exact figure inside "15 to 20"
        ((16, 19), (15, 20), True),
        ((14, 20), (15, 20), False),
        ((15, 21), (15, 20), False),
        ((15, None), (15, 20), False),  # open-ended is never inside a closed range
        ((201, None), (201, None), True),  # "over 200"
        ((200, None), (201, None), False),
        ((250, 250), (201, None), True),
        ((201, 300), (201, None), True),
        ((24, None), (24, None), True),  # "dozens"
        ((12, None), (24, None), False),
    ],
)
def test_within(extracted, label, ok):
    assert within(extracted, label) is ok


# --- matching ---------------------------------------------------------------------------------------------------


def test_match_needs_overlapping_dates_and_a_shared_location():
    lab = parsed([event("2025-10-11", "2025-10-12", ["Kurram", "Parachinar"])]).events[0]

    def ext(start, end, locations):
        return parsed([event(start, end, locations)]).events[0]

    assert evaluate.matches(lab, ext("2025-10-12", "2025-10-14", ["Parachinar"]))  # touching days overlap
    assert not evaluate.matches(lab, ext("2025-10-13", "2025-10-14", ["Kurram"]))
    assert not evaluate.matches(lab, ext("2025-10-11", "2025-10-11", ["Bajaur"]))
    assert not evaluate.matches(lab, ext("2025-10-11", "2025-10-11", []))
    assert evaluate.matches(lab, ext("2025-10-11", "2025-10-11", [" kurram "]))  # trimmed, case-folded
    none = parsed([event(locations=[])]).events[0]
    assert evaluate.matches(none, parsed([event(locations=[])]).events[0])  # both have none
    assert not evaluate.matches(none, parsed([event(locations=["Kurram"])]).events[0])


# --- a worked example -------------------------------------------------------------------------------------------

LABELS = {
    "a": article(
        "a",
        [
            event(
                "2025-10-11",
                "2025-10-12",
                ["Kurram", "Parachinar"],
                killed={"soldiers": [5, 5], "militants": [25, 25]},
            ),
            event(
                "2025-10-15",
                None,
                ["Spin Boldak"],
                event_type="Explosions/Remote violence",
                sub_event_type="Air/drone strike",
                claimant="Taliban spokesman",
                killed={"civilians": [12, None]},
                injured={"civilians": [15, 20]},
            ),
            event("2025-10-17", None, ["Chaman"], claimant="local officials"),
            event(
                "2025-10-09",
                None,
                ["Kabul"],
                event_type="Explosions/Remote violence",
                sub_event_type="Air/drone strike",
                claimant="Taliban government",
                background=True,
            ),
        ],
    ),
    "b": article("b", [event("2025-11-06", None, ["Spin Boldak"], claimant="medical sources")]),
}

PREDICTIONS = {
    "a": article(
        "a",
        [
            # label 0 with a wrong date (overlapping, not exact)
            event(
                "2025-10-12",
                None,
                ["Kurram", "Parachinar"],
                killed={"soldiers": [5, 5], "militants": [25, 25]},
            ),
            # label 1 with the locations shifted (Spin Boldak shared, not first) and killed civilians out of range
            event(
                "2025-10-15",
                None,
                ["Kandahar", "Spin Boldak"],
                event_type="Explosions/Remote violence",
                sub_event_type="Air/drone strike",
                claimant="Taliban spokesman",
                killed={"civilians": [10, 10]},
                injured={"civilians": [16, 18]},
            ),
            # label 2 missing; an extra event that matches nothing
            event("2025-10-18", None, ["Torkham"]),
            # the background event (label 3) extracted as news
            event(
                "2025-10-09",
                None,
                ["Kabul"],
                event_type="Explosions/Remote violence",
                sub_event_type="Air/drone strike",
                claimant="Taliban government",
            ),
            # an extracted event flagged background that matches nothing: still counts against precision
            event("2025-10-01", "2025-10-05", ["Kabul"], background=True),
        ],
    ),
    "b": article(
        "b",
        [
            event(
                "2025-11-06", None, ["Spin Boldak"], claimant="outlet"
            ),  # a duplicate with the wrong claimant
            event("2025-11-06", None, ["Spin Boldak"], claimant="medical sources"),  # exact
        ],
    ),
}


@pytest.fixture
def report(tmp_path):
    labels = write_dir(tmp_path / "labels", LABELS)
    preds = write_dir(tmp_path / "preds", PREDICTIONS)
    return evaluate.evaluate_dirs(labels, preds)


def test_worked_example_article_a(report):
    a = next(x for x in report["articles"] if x["file"] == "a.json")
    assert (a["extracted"], a["extracted_matched"]) == (5, 3)
    assert (a["labelled_news"], a["labelled_news_found"], a["labelled_background"]) == (3, 2, 1)
    assert a["precision"] == pytest.approx(3 / 5)
    assert a["recall"] == pytest.approx(2 / 3)
    assert a["f1"] == pytest.approx(float(Fraction(12, 19)))
    assert a["pairs"] == 3
    assert [(p["label"], p["extracted"], p["wrong"]) for p in a["pairing"]] == [
        (0, 0, ["date"]),
        (1, 1, ["location", "killed.civilians"]),
        (3, 3, ["background"]),
    ]
    wrong = {"date": 1, "location": 1, "killed.civilians": 1, "background": 1}
    assert {f: r["correct"] for f, r in a["fields"].items()} == {f: 3 - wrong.get(f, 0) for f in FIELDS}
    assert len(a["news_missed"]) == 1 and "2025-10-17 Chaman" in a["news_missed"][0]
    assert len(a["extracted_unmatched"]) == 2


def test_worked_example_totals(report):
    ev = report["events"]
    assert (ev["extracted"], ev["extracted_matched"], ev["labelled_news"], ev["labelled_news_found"]) == (
        7,
        5,
        4,
        3,
    )
    assert ev["precision"] == pytest.approx(5 / 7)  # the duplicate in b still matches: "any labelled event"
    assert ev["recall"] == pytest.approx(3 / 4)
    assert ev["f1"] == pytest.approx(float(Fraction(30, 41)))
    assert report["pairs"] == 4
    assert report["labelled_news_paired"] == 3
    fields = report["fields"]
    assert fields["claimant"] == {"correct": 4, "matched": 4, "accuracy": 1.0}  # b pairs the exact copy
    assert fields["date"]["correct"] == 3 and fields["date"]["accuracy"] == pytest.approx(3 / 4)
    assert fields["location"]["correct"] == 3
    assert fields["killed.civilians"]["correct"] == 3
    assert fields["injured.civilians"]["correct"] == 4
    assert fields["background"]["correct"] == 3
    assert report["linking"]["accuracy"] is None and "no incident or group" in report["linking"]["note"]
    b = next(x for x in report["articles"] if x["file"] == "b.json")
    assert b["pairing"][0]["extracted"] == 1 and len(b["extracted_unpaired_but_matched"]) == 1


def test_text_report_shows_the_figures(report):
    text = evaluate.render_text(report)
    assert "precision  0.714  5/7" in text
    assert "recall     0.750  3/4" in text
    assert "claimant             4/4" in text
    assert "Linking accuracy: not computed" in text
    assert "missed news event: #2 2025-10-17 Chaman" in text


def test_pairing_prefers_more_pairs_then_more_fields_right():
    # extracted 0 matches both labels and agrees best with label 0; extracted 1 matches only label 0:
    # two pairs beat one better pair
    labs = parsed(
        [
            event("2025-10-15", None, ["Kurram"], claimant="ISPR"),
            event("2025-10-15", None, ["Bajaur"], claimant="outlet", background=True),
        ]
    ).events
    exts = parsed(
        [
            event("2025-10-15", None, ["Kurram", "Bajaur"], claimant="ISPR"),
            event("2025-10-14", "2025-10-15", ["Kurram"], claimant="TTP"),
        ]
    ).events
    assert evaluate.pair_events(labs, exts) == [(0, 1), (1, 0)]
    # every event matches every other (Kurram shared): among equally many pairs, the most fields right
    labs = parsed(
        [
            event("2025-10-15", None, ["Kurram"], claimant="ISPR"),
            event("2025-10-15", None, ["Kurram", "Bajaur"], claimant="outlet", background=True),
        ]
    ).events
    exts = parsed(
        [
            event("2025-10-15", None, ["Kurram", "Bajaur"], claimant="outlet", background=True),
            event("2025-10-15", None, ["Kurram"], claimant="ISPR"),
        ]
    ).events
    assert evaluate.pair_events(labs, exts) == [(0, 1), (1, 0)]
    assert evaluate.pair_events(exts, labs) == [(0, 1), (1, 0)]


def test_one_extracted_event_finds_two_competing_claims():
    # the README's recall is "any match": one incident told by two claimants is two labelled events, and one
    # extracted event matching both finds both; the one-to-one diagnostic shows the second was left unpaired
    labels = {"x.json": parsed([event(claimant="ISPR"), event(claimant="Taliban spokesman")], "x")}
    one = {"x.json": parsed([event(claimant="ISPR")], "x")}
    r = evaluate.score(labels, one)
    assert (r["events"]["recall"], r["events"]["precision"]) == (1.0, 1.0)
    assert (r["pairs"], r["labelled_news_paired"]) == (1, 1)
    assert r["fields"]["claimant"]["correct"] == 1
    assert len(r["articles"][0]["news_found_unpaired"]) == 1
    assert (
        "1/2 labelled news events and 1/1 extracted events have a one-to-one partner"
        in evaluate.render_text(r)
    )


def test_empty_sides():
    assert evaluate.f1(None, None) is None
    assert evaluate.f1(None, 0.0) == 0.0  # nothing extracted, news to find
    assert evaluate.f1(1.0, None) is None  # an article with background only
    labels = {"x.json": parsed([event()], "x")}
    nothing = {"x.json": parsed([], "x")}
    r = evaluate.score(labels, nothing)
    assert (r["events"]["precision"], r["events"]["recall"], r["events"]["f1"]) == (None, 0.0, 0.0)
    assert r["fields"]["date"] == {"correct": 0, "matched": 0, "accuracy": None}


# --- the development set against itself ------------------------------------------------------------------------


@pytest.mark.skipif(not (DEV_SET / "labels").is_dir(), reason="shared/eval/media-dev not present")
def test_dev_labels_against_themselves_score_perfectly():
    r = evaluate.evaluate_dirs(DEV_SET / "labels", DEV_SET / "labels")
    assert r["events"]["precision"] == r["events"]["recall"] == r["events"]["f1"] == 1.0
    assert r["pairs"] == r["events"]["labelled"] == r["events"]["extracted"] > 0
    for f, row in r["fields"].items():
        assert row["correct"] == row["matched"] == r["pairs"], f
    for a in r["articles"]:
        assert not (a["news_missed"] or a["extracted_unmatched"] or a["labelled_unpaired"])
        assert all(not p["wrong"] and p["label"] == p["extracted"] for p in a["pairing"])


# --- the shape -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d.pop("published"), "published"),
        (lambda d: d.update(published="25 Oct"), "published"),
        (lambda d: d.update(events={}), "events"),
        (lambda d: d["events"][0].pop("date_end"), "events[0].date_end"),
        (lambda d: d["events"][0].update(date_end="2025-10-01"), "events[0].date_end"),
        (lambda d: d["events"][0].update(locations="Kurram"), "events[0].locations"),
        (lambda d: d["events"][0]["killed"].update(soldiers=5), "events[0].killed.soldiers"),
        (lambda d: d["events"][0]["killed"].update(soldiers=[5, 4]), "events[0].killed.soldiers"),
        (lambda d: d["events"][0]["killed"].update(soldiers=[None, 4]), "events[0].killed.soldiers"),
        (lambda d: d["events"][0]["injured"].pop("civilians"), "events[0].injured.civilians"),
        (lambda d: d["events"][0]["injured"].update(soldier=[1, 1]), "events[0].injured.soldier"),
        (lambda d: d["events"][0].update(background="no"), "events[0].background"),
        (lambda d: d["events"][0].update(claimant=3), "events[0].claimant"),
        (lambda d: d["events"][0].update(date_prec=9), "events[0].date_prec"),
    ],
)
def test_shape_errors_name_the_field(mutate, field):
    body = article("a", [event()])
    mutate(body)
    with pytest.raises(LabelError) as info:
        parse_article("labels/a.json", body)
    assert info.value.field == field
    assert str(info.value).startswith(f"labels/a.json: {field}: ")


def test_directory_errors(tmp_path):
    with pytest.raises(LabelError, match="no such directory"):
        evaluate.load_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabelError, match="holds no .json files"):
        evaluate.load_dir(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.json").write_text("{not json")
    with pytest.raises(LabelError, match=r"bad/a.json: not valid JSON"):
        evaluate.load_dir(bad)
    labels = write_dir(tmp_path / "labels", {"a": article("a", []), "b": article("b", [])})
    preds = write_dir(tmp_path / "preds", {"a": article("a", [])})
    with pytest.raises(LabelError, match=r"preds/b.json: no prediction for labelled article b.txt"):
        evaluate.evaluate_dirs(labels, preds)
    write_dir(preds, {"b": article("other", []), "c": article("c", [])})
    with pytest.raises(LabelError, match=r"preds/c.json: no label file"):
        evaluate.evaluate_dirs(labels, preds)
    (preds / "c.json").unlink()
    with pytest.raises(LabelError, match=r"preds/b.json: article: 'other.txt' is not the labelled article"):
        evaluate.evaluate_dirs(labels, preds)


def test_module_main(tmp_path, capsys):
    labels = write_dir(tmp_path / "labels", LABELS)
    assert evaluate.main([str(labels), str(labels), "--format", "json"]) == 0
    assert '"precision": 1.0' in capsys.readouterr().out
    assert evaluate.main([str(labels), str(tmp_path / "nope")]) == 1
    assert "nope: no such directory" in capsys.readouterr().err


# --- linking -----------------------------------------------------------------------------------------------------


def test_pairwise_counts_on_a_small_case():
    # truth: A A A B ; prediction: 1 1 2 2 -> pairs (6): AA/11 TP, AA/12 FN, AA/12 FN, AB/12 TN, AB/12 TN, AB/22 FP
    r = evaluate.pairwise([("A", "1"), ("A", "1"), ("A", "2"), ("B", "2")])
    assert (r["tp"], r["fp"], r["fn"], r["tn"], r["pairs"]) == (1, 1, 2, 2, 6)
    assert r["precision"] == pytest.approx(1 / 2) and r["recall"] == pytest.approx(1 / 3)
    assert r["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert r["accuracy"] == pytest.approx(3 / 6)
    perfect = evaluate.pairwise([("A", "x"), ("A", "x"), ("B", "y")])
    assert perfect["precision"] == perfect["recall"] == perfect["accuracy"] == 1.0
    nothing_together = evaluate.pairwise([("A", "1"), ("B", "2")])
    assert nothing_together["precision"] is None and nothing_together["recall"] is None
    assert nothing_together["accuracy"] == 1.0


def _two_articles():
    a = article("a", [event("2025-10-25", locations=("Kurram",)), event("2025-10-29", locations=("Bajaur",))])
    b = article("b", [event("2025-10-25", locations=("Kurram",), claimant="Taliban spokesman")])
    return {"a.json": parsed_article("a.json", a), "b.json": parsed_article("b.json", b)}


def parsed_article(name, raw):
    return evaluate.parse_article(name, raw)


def test_linking_scored_with_a_sidecar_and_groups():
    labels = _two_articles()
    sidecar = {"a.json": ["kurram", "bajaur"], "b.json": ["kurram"]}
    # the linker put all three together: 1 TP (a0-b0), 2 FP (a0-a1, a1-b0)
    groups = {"a.json": ["g", "g"], "b.json": ["g"]}
    r = evaluate.score(labels, labels, incidents=sidecar, groups=groups)["linking"]
    assert (r["items"], r["tp"], r["fp"], r["fn"], r["tn"]) == (3, 1, 2, 0, 0)
    assert r["truth"] == "the --incidents file" and r["accuracy"] == pytest.approx(1 / 3)
    # a null key on either side leaves the event out
    r = evaluate.score(labels, labels, incidents={**sidecar, "a.json": ["kurram", None]}, groups=groups)["linking"]
    assert (r["items"], r["tp"], r["fp"]) == (2, 1, 0)
    text = evaluate.render_text(evaluate.score(labels, labels, incidents=sidecar, groups=groups))
    assert "linking accuracy 0.333  1/3 pairs decided correctly" in text


def test_linking_truth_from_label_keys_or_derived_by_rule():
    labels = _two_articles()
    derived, source = evaluate.truth_keys(labels)
    assert "derived from the labels" in source
    assert derived["a.json"][0] == derived["b.json"][0] != derived["a.json"][1]
    keyed = {
        "a": article("a", [{**event("2025-10-25"), "incident": "x"}, {**event("2025-10-29"), "incident": "y"}]),
        "b": article("b", [{**event("2025-10-25"), "incident": "y"}]),
    }
    labels = {f"{n}.json": evaluate.parse_article(f"{n}.json", raw) for n, raw in keyed.items()}
    truth, source = evaluate.truth_keys(labels, {"a.json": ["q", "q"], "b.json": ["q"]})
    assert source == "the labels' \"incident\" keys" and truth == {"a.json": ["x", "y"], "b.json": ["y"]}
    # predictions' own keys are the prediction when no groups are given
    r = evaluate.score(labels, labels)["linking"]
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (1, 0, 0, 2)


def test_incidents_file_errors(tmp_path):
    labels = _two_articles()
    bad = tmp_path / "bad.json"
    for body, needle in [
        ("[", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"a.json": ["k"], "b.json": ["k"]}', "a list of 2 keys"),
        ('{"a.json": ["k", 3], "b.json": ["k"]}', "non-empty string or null"),
        ('{"a.json": ["k", "l"]}', "missing"),
        ('{"a.json": ["k", "l"], "b.json": ["k"], "c.json": []}', "no label file"),
    ]:
        bad.write_text(body)
        with pytest.raises(evaluate.LabelError, match=needle):
            evaluate.load_incidents(bad, labels)
    bad.write_text('{"_about": "a comment", "a.json": ["k", null], "b.json": ["k"]}')
    assert evaluate.load_incidents(bad, labels) == {"a.json": ["k", None], "b.json": ["k"]}
