"""The extractor (sulh.media.extract and its parts), without a database: the issue's done-when on the seed
articles, each labelling convention of the dev set's README, and bad input to `sulh media extract`."""

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from sulh.media import claimants, dates, gazetteer, numbers
from sulh.media.extract import extract, extract_file
from sulh.media.text import InputError, decode, guess_language

from .helpers import DEV_SET

ARTICLES = DEV_SET / "articles"
needs_dev_set = pytest.mark.skipif(
    not ARTICLES.is_dir(), reason=f"the dev set is not here ({ARTICLES}): seed articles come from ../shared"
)


def seed(prefix: str, published: str) -> dict:
    path = next(ARTICLES.glob(f"{prefix}_*.txt"))
    return extract_file(path, date.fromisoformat(published))


# --- the done-when on the seeds ---------------------------------------------------------------------------


@needs_dev_set
def test_weekend_fighting_in_kurram_and_north_waziristan():
    events = seed("004", "2025-10-29")["events"]
    news = [e for e in events if not e["background"]]
    weekend = [e for e in news if "Kurram" in e["locations"]]
    assert len(weekend) == 1
    e = weekend[0]
    assert (e["date_start"], e["date_end"], e["date_prec"]) == ("2025-10-25", "2025-10-26", 2)
    assert e["locations"][:2] == ["Kurram", "North Waziristan"] and e["country"] == "PAK"
    assert e["killed"]["soldiers"] == [5, 5] and e["killed"]["militants"] == [25, 25]
    assert e["killed"]["civilians"] is None
    assert (e["event_type"], e["sub_event_type"]) == ("Battles", "Armed clash")
    assert e["claimant"] == "ISPR"
    # the October history recalled in the same article stays background
    assert all(e["background"] for e in events if e["date_end"] < "2025-10-25")


@needs_dev_set
def test_october_12_clashes():
    events = seed("003", "2025-11-06")["events"]
    oct12 = [e for e in events if e["date_start"] == e["date_end"] == "2025-10-12" and not e["locations"]]
    assert oct12, events
    e = oct12[0]
    assert e["killed"]["soldiers"] == [23, 23] and e["killed"]["militants"] == [201, None]
    assert e["background"] is True and e["claimant"] == "outlet"


@needs_dev_set
@pytest.mark.parametrize(("prefix", "published", "span"), [("000", "2025-10-24", ("2025-10-01", "2025-10-23")),
                                                          ("002", "2025-10-25", ("2025-10-01", "2025-10-10"))])  # fmt: skip
def test_kabul_explosions(prefix, published, span):
    events = seed(prefix, published)["events"]
    kabul = [e for e in events if e["locations"][:1] == ["Kabul"]]
    assert kabul
    e = kabul[0]
    assert (e["date_start"], e["date_end"]) == span and e["country"] == "AFG"
    assert e["background"] is True
    assert e["sub_event_type"] == "Air/drone strike"  # the Taliban blamed Pakistan for them


@needs_dev_set
@pytest.mark.parametrize(
    ("prefix", "published"),
    [("000", "2025-10-24"), ("001", "2025-10-27"), ("002", "2025-10-25"), ("003", "2025-11-06")],
)
def test_no_background_history_becomes_news(prefix, published):
    """The first four seeds are about talks: whatever violence they recall is context."""
    assert all(e["background"] for e in seed(prefix, published)["events"])


@needs_dev_set
def test_shape_and_evidence():
    path = next(ARTICLES.glob("004_*.txt"))
    text = path.read_text(encoding="utf-8")
    result = extract_file(path, date(2025, 10, 29))
    assert result["article"] == path.name and result["published"] == "2025-10-29"
    keys = {"summary", "date_start", "date_end", "date_prec", "locations", "country", "event_type",
            "sub_event_type", "actors", "claimant", "killed", "injured", "background", "evidence", "geo"}  # fmt: skip
    for e in result["events"]:
        assert set(e) == keys
        assert e["claimant"] in claimants.CLAIMANTS
        for field, spans in e["evidence"].items():
            for start, end in spans:
                assert 0 <= start < end <= len(text), field
        if "locations" in e["evidence"]:
            named = {text[s:t] for s, t in e["evidence"]["locations"]}
            assert any(name in e["locations"] for name in named)


def test_scorer_accepts_the_extractors_output(tmp_path):
    from sulh.media import evaluate

    result = extract("Five soldiers were killed in Kurram on Wednesday.", date(2025, 10, 16), article="a.txt")
    article = evaluate.parse_article(tmp_path / "a.json", result)  # the extra keys (evidence) are ignored
    assert article.events[0].figures["killed.soldiers"] == (5, 5)


# --- dates: each README convention ----------------------------------------------------------------------------------

WED = date(2025, 10, 29)  # a Wednesday


def spans(text, published=WED):
    return [(d.first, d.last) for d in dates.find_dates(text, published)]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("on Tuesday night", "2025-10-28", "2025-10-28"),  # "X night" is day X
        ("said on Wednesday", "2025-10-29", "2025-10-29"),  # the day itself
        ("late on Friday", "2025-10-24", "2025-10-24"),  # the most recent Friday
        ("the ceasefire agreed last Wednesday", "2025-10-22", "2025-10-22"),  # "last" is never the day itself
        ("on the night of October 14-15", "2025-10-14", "2025-10-15"),
        ("on the night of 14–15 October", "2025-10-14", "2025-10-15"),
        ("over the weekend", "2025-10-25", "2025-10-26"),
        ("earlier this month", "2025-10-01", "2025-10-28"),
        ("late last month", "2025-09-21", "2025-09-30"),
        ("in early this month", "2025-10-01", "2025-10-10"),
        ("in early October", "2025-10-01", "2025-10-10"),
        ("last month", "2025-09-01", "2025-09-30"),
        ("on October 12", "2025-10-12", "2025-10-12"),
        ("on 12 Oct", "2025-10-12", "2025-10-12"),
        ("the December 2014 massacre", "2014-12-01", "2014-12-31"),
        ("in 2024", "2024-01-01", "2024-12-31"),
        ("held from October 25 to 31", "2025-10-25", "2025-10-31"),
        ("began late on Saturday and went on into Sunday", "2025-10-25", "2025-10-26"),
        ("last week", "2025-10-20", "2025-10-26"),
        ("yesterday", "2025-10-28", "2025-10-28"),
    ],
)
def test_date_conventions(text, first, last):
    assert spans(text)[0] == (date.fromisoformat(first), date.fromisoformat(last))


def test_a_month_day_after_publication_is_last_year():
    assert spans("on December 20", date(2025, 1, 5))[0][0] == date(2024, 12, 20)


def test_overnight_spans_the_day_before_the_statement():
    result = extract(
        "Pakistan's army said on Sunday that five soldiers were killed overnight in Kurram.",
        date(2025, 10, 12),
    )
    e = result["events"][0]
    assert (e["date_start"], e["date_end"], e["date_prec"]) == ("2025-10-11", "2025-10-12", 2)


def test_statement_dates_are_marked():
    (d,) = dates.find_dates("the military said on Sunday", date(2025, 10, 12))
    assert d.statement


@pytest.mark.parametrize(("days", "prec"), [(1, 1), (2, 2), (6, 2), (7, 3), (10, 4), (31, 4), (365, 5)])
def test_precision(days, prec):
    assert dates.precision(date(2025, 1, 1), date(2025, 1, 1) + timedelta(days=days - 1)) == prec


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)), st.sampled_from(list(dates.WEEKDAYS))
)
def test_weekday_is_the_latest_such_day_not_after_publication(published, name):
    (d,) = dates.find_dates(f"on {name.title()}", published)
    assert d.first == d.last and d.first.weekday() == dates.WEEKDAYS[name]
    assert published - timedelta(days=6) <= d.first <= published


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_relative_spans_end_by_publication(published):
    for phrase in ("over the weekend", "earlier this month", "last month", "late last month", "last week"):
        for first, last in spans(phrase, published):
            assert first <= last <= published


# --- numbers -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("five", (5, 5)),
        ("twenty-five", (25, 25)),
        ("Twenty three", (23, 23)),
        ("15 to 20", (15, 20)),
        ("fifteen to twenty", (15, 20)),
        ("between 60 and 70", (60, 70)),
        ("over 200", (201, None)),
        ("more than 140", (141, None)),
        ("at least 5", (5, None)),
        ("dozens", (24, None)),
        ("1,200", (1200, 1200)),
        ("one hundred and forty", (140, 140)),
        ("several", None),
        ("many", None),
    ],
)
def test_figures(text, value):
    assert numbers.parse_figure(text) == value


def _words(n: int) -> str:
    units = [
        k for k, v in sorted(numbers.UNITS.items(), key=lambda kv: kv[1]) if " " not in k and k != "dozen"
    ]
    tens = {v: k for k, v in numbers.TENS.items()}
    if n < 20:
        return units[n]
    if n < 100:
        return tens[n - n % 10] + ("" if n % 10 == 0 else "-" + units[n % 10])
    rest = n % 100
    return units[n // 100] + " hundred" + ("" if rest == 0 else " and " + _words(rest))


@given(st.integers(min_value=0, max_value=999))
def test_number_words_round_trip(n):
    assert numbers.word_value(_words(n)) == n
    assert numbers.parse_figure(_words(n)) == (n, n)
    assert numbers.parse_figure(f"more than {n}") == (n + 1, None)


@pytest.mark.parametrize(
    ("sentence", "killed", "injured"),
    [
        ("Twenty-three of its soldiers were killed and 29 wounded.", {"soldiers": [23, 23]}, {"soldiers": [29, 29]}),
        ("The strike killed nine children and a woman in Khost.", {"civilians": [10, 10]}, {}),
        ("Fifteen to twenty Afghan Taliban were killed and many more wounded in Kurram.",
         {"militants": [15, 20]}, {}),
        ("Five people, four of them women, were killed in Chaman.", {"civilians": [5, 5]}, {}),
        ("Ten infiltrators were killed at Ghaki in Kurram and fifteen at Spinwam.", {"militants": [25, 25]}, {}),
        ("It killed more than 12 civilians and wounded over 100 in Spin Boldak.",
         {"civilians": [13, None]}, {"civilians": [101, None]}),
        ("Six Afghan soldiers were killed in Kunar.", {"militants": [6, 6]}, {}),
    ],
)  # fmt: skip
def test_casualties(sentence, killed, injured):
    (e,) = extract(sentence, date(2025, 10, 15))["events"]
    none = {"soldiers": None, "militants": None, "civilians": None}
    assert e["killed"] == {**none, **killed} and e["injured"] == {**none, **injured}


@pytest.mark.parametrize(
    "text",
    ["Militants often target soldiers", "someone shot at the troops", "the lone gunman", "a F16 jet",
     "Moreover, hundreds gathered", "a T-72 tank", "they were given notice"],
)  # fmt: skip
def test_number_words_inside_other_words_are_not_figures(text):
    # "often" holds "ten", "someone" and "lone" hold "one", "Moreover" holds "over", "notice" holds "not"
    found = [m.group("fig") for m in numbers.FIGURE.finditer(text) if m.group("n1") or m.group("b1")]
    assert found == []


def test_a_count_of_things_before_a_word_beginning_like_at_or_in_is_no_casualty():
    text = "Five soldiers and 25 militants were killed as troops foiled two attempts to infiltrate Kurram."
    (e,) = extract(text, date(2025, 10, 26))["events"]
    assert e["killed"]["militants"] == [25, 25]


def test_a_number_word_inside_a_word_adds_no_casualties():
    for text in ("Militants often attack soldiers in Kurram, and on Tuesday they killed two soldiers there.",
                 "Attacks on soldiers in Kurram happen often, and two soldiers were killed there on Tuesday."):
        killed = [e["killed"]["soldiers"] for e in extract(text, date(2025, 10, 15))["events"]]
        assert killed == [[2, 2]], text


def test_ages_times_and_things_are_not_casualties():
    text = "A 24-year-old captain and 20 posts were hit at 6 p.m. in Kurram; six tanks were destroyed."
    for e in extract(text, date(2025, 10, 15))["events"]:
        assert e["killed"] == e["injured"] == {"soldiers": None, "militants": None, "civilians": None}


# --- gazetteer -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gaz():
    return gazetteer.gazetteer()


@pytest.mark.parametrize(
    ("written", "name", "country"),
    [
        ("Spinboldak", "Spin Boldak", "AFG"),
        ("Spin-Boldak", "Spin Boldak", "AFG"),
        ("SPIN BOLDAK", "Spin Boldak", "AFG"),
        ("Kuram", "Kurram", "PAK"),
        ("Bajour", "Bajaur", "PAK"),
        ("Angur Adda", "Angoor Adda", "PAK"),
        ("Torkhum", "Torkham", None),
        ("Baramcha", "Bahram Chah", "PAK"),
        ("Argun", "Urgun", "AFG"),
        ("North Waziristan", "North Waziristan", "PAK"),
        ("کورمه", "Kurram", "PAK"),  # the charter's Pashto name
        ("سپین بولدک", "Spin Boldak", "AFG"),
    ],
)
def test_variants(gaz, written, name, country):
    (m,) = gaz.find(f"Fighting near {written} today.")
    assert m.place.name == name
    if country:
        assert m.place.country == country


def test_lower_case_words_are_not_places(gaz):
    assert gaz.find("a tank and a kot") == []
    assert [m.place.name for m in gaz.find("Tank district")] == ["Tank"]


def test_most_precise_first():
    (e,) = extract("Pakistani jets bombed a house in Khost province, in Gurbuz district, killing two people.",
                   date(2025, 11, 25))["events"]  # fmt: skip
    assert e["locations"] == ["Gurbuz", "Khost"] and e["country"] == "AFG"


def test_a_capital_speaking_is_not_a_place():
    result = extract("Islamabad said five soldiers were killed in Bajaur on Monday.", date(2025, 10, 15))
    assert result["events"][0]["locations"] == ["Bajaur"]


# --- claimants and versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "claimant"),
    [
        ("The ISPR said", "ISPR"),
        ("according to the military's media wing", "ISPR"),
        ("Pakistan's army said", "ISPR"),
        ("Taliban spokesman Zabihullah Mujahid said", "Taliban spokesman"),
        ("the Taliban government's spokesman said", "Taliban spokesman"),
        ("a security official said", "Pakistani security officials"),
        ("Information Minister Attaullah Tarar wrote", "Pakistani government"),
        ("local officials said", "local officials"),
        ("an official at the provincial hospital said", "medical sources"),
        ("the Taliban's defence ministry accused", "Taliban government"),
    ],
)
def test_claimants(text, claimant):
    assert claimants.find_claimant(text).claimant == claimant


def test_no_source_is_the_outlet():
    (e,) = extract("Five soldiers were killed in Kurram on Wednesday.", date(2025, 10, 16))["events"]
    assert e["claimant"] == "outlet" and e["date_start"] == "2025-10-15"


def test_two_events_in_one_sentence():
    # a second place with a figure and a day counted from the first; and two places each with its own date
    text = ("Pakistan's military said on Wednesday its troops had killed 12 fighters who attacked posts at Chaman "
            "early that day, and eight more in Bajaur two days earlier.")  # fmt: skip
    events = extract(text, date(2025, 10, 15))["events"]
    got = {(e["locations"][0], e["date_start"], tuple(e["killed"]["militants"])) for e in events}
    assert got == {("Chaman", "2025-10-15", (12, 12)), ("Bajaur", "2025-10-13", (8, 8))}
    assert [e["claimant"] for e in events] == ["ISPR", "ISPR"]  # the source is named once for both
    text = "Pakistani jets struck Barmal on Thursday and Khost on Friday, the Taliban said."
    events = extract(text, date(2025, 10, 12))["events"]
    assert {(e["locations"][0], e["date_start"]) for e in events} == {
        ("Barmal", "2025-10-09"), ("Khost", "2025-10-10")
    }


def test_two_places_at_one_time_stay_one_event():
    for text in ("Fifteen militants were shot dead in the Spinwam area and ten at Ghaki on Saturday.",
                 "Five soldiers were killed in Angur Adda and Bajaur on Saturday, the army said.",
                 "Troops killed five militants in Kurram and three in Bajaur overnight."):  # fmt: skip
        assert len(extract(text, date(2025, 10, 15))["events"]) == 1, text


def test_a_lede_without_a_place_takes_the_places_of_the_detail_after_it():
    # the detail paragraph tells no violence of its own: its places and days are the lede's
    text = ("Four soldiers and 12 militants were killed as troops foiled an infiltration bid, the army said on "
            "Sunday.\n\nThe group was intercepted in the Ghaki area of Kurram district on Friday, the ISPR said, "
            "and the last of its members the following day.")  # fmt: skip
    (e,) = extract(text, date(2025, 10, 26))["events"]
    assert (e["locations"], e["date_start"], e["date_end"]) == (["Kurram"], "2025-10-24", "2025-10-25")
    assert e["killed"]["soldiers"] == [4, 4] and e["killed"]["militants"] == [12, 12]
    # the detail paragraph tells the violence with places: one event, not a placeless one beside it
    text = ("Nearly 20 Pakistani soldiers were killed in fighting along the Afghan border, the army said on "
            "Sunday.\n\nThe ISPR said the fighting ran along the border at Angur Adda and Bajaur from Saturday "
            "night into Sunday.")  # fmt: skip
    (e,) = extract(text, date(2025, 10, 12))["events"]
    assert (e["locations"][0], e["date_start"], e["date_end"]) == ("Angoor Adda", "2025-10-11", "2025-10-12")
    # a detail of the other side's claim is not the lede's
    text = ("Six soldiers were killed in fighting along the border, the army said on Sunday.\n\n"
            "Taliban spokesman Zabihullah Mujahid said its fighters entered Kurram district on Saturday.")  # fmt: skip
    assert all(not e["locations"] for e in extract(text, date(2025, 10, 12))["events"])


def test_an_operation_that_began_runs_to_the_day_it_ended():
    text = ("Troops killed the last of the militants who stormed a school in Wana, a security official said on "
            "Wednesday, ending an operation that began when a car bomb blew open the gate on Monday.")  # fmt: skip
    (e,) = extract(text, date(2025, 11, 12))["events"]
    assert (e["date_start"], e["date_end"]) == ("2025-11-10", "2025-11-12")


def test_conflicting_versions_are_two_events():
    text = (
        "Pakistan's army said on Sunday that 23 soldiers were killed in Kurram overnight, while the Taliban "
        "spokesman Zabihullah Mujahid said 58 Pakistani soldiers died."
    )
    events = extract(text, date(2025, 10, 12))["events"]
    assert [e["claimant"] for e in events] == ["ISPR", "Taliban spokesman"]
    assert [e["killed"]["soldiers"] for e in events] == [[23, 23], [58, 58]]


def test_unanswered_fire_is_shelling_and_answered_fire_a_clash():
    shelling = extract("Pakistani forces fired on Spin Boldak on Thursday, but Afghan troops had not answered.",
                       date(2025, 11, 7))["events"][0]  # fmt: skip
    assert shelling["sub_event_type"] == "Shelling/artillery/missile attack"
    clash = extract("Pakistani troops replied at once when firing started at Chaman on Thursday.",
                    date(2025, 11, 7))["events"][0]  # fmt: skip
    assert (clash["event_type"], clash["sub_event_type"]) == ("Battles", "Armed clash")


def test_bomb_then_firefight_is_a_clash_and_a_lone_suicide_bomb_is_not():
    clash = extract("A suicide bomber blew open the gate in Wana on Monday and troops shot dead two gunmen.",
                    date(2025, 11, 12))["events"][0]  # fmt: skip
    assert clash["sub_event_type"] == "Armed clash"
    bomb = extract("A suicide bombing outside a court in Islamabad on Tuesday killed 12 people.",
                   date(2025, 11, 12))["events"][0]  # fmt: skip
    assert bomb["sub_event_type"] == "Suicide bomb" and bomb["killed"]["civilians"] == [12, 12]


# --- background ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recall",
    [
        "The attack followed two explosions in Kabul on October 9.",
        "Earlier this month, Pakistani air strikes hit Paktika.",
        "Last month's clashes in Kurram killed 23 soldiers.",
        "The siege coincided with a suicide bombing in Islamabad on Tuesday that killed 12 people.",
        "In 2024, militants killed seven soldiers in Bajaur.",
    ],
)
def test_recalled_events_are_background(recall):
    news = "Five soldiers were killed in a clash in Kurram on Wednesday, the ISPR said."
    events = extract(f"{news}\n{recall}", date(2025, 11, 13))["events"]
    assert events[0]["background"] is False
    assert len(events) == 2 and events[1]["background"] is True


def test_hypothetical_and_aggregate_violence_is_not_an_event():
    text = (
        "Failure would likely lead to an escalation of cross-border shelling and airstrikes.\n"
        "Two weeks of fighting have killed dozens.\n"
        "The TTP has waged a long-running insurgency since 2007."
    )
    assert extract(text, date(2025, 10, 27))["events"] == []


# --- bad input ------------------------------------------------------------------------------------------------------


def test_language_guess():
    assert guess_language("Five soldiers were killed in Kurram on Wednesday, the army said.") == "English"
    assert (
        guess_language("Cinq soldats ont été tués dans la région, selon les autorités et la presse.")
        == "French"
    )
    assert guess_language("د پاکستان ځواکونو په کورمه کې برید وکړ") == "Pashto"
    assert guess_language("پاکستانی فوج نے کہا کہ پانچ فوجی ہلاک ہوئے") == "Urdu"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty article"),
        (b"  \n\t ", "empty article"),
        (b"abc\x00def", "NUL bytes"),
        (b"\xff\xfe\xfa junk", "not UTF-8"),
        (bytes(range(1, 9)) * 20, "control characters"),
    ],
)
def test_decode_refuses(data, message):
    with pytest.raises(InputError, match=message):
        decode(data)


def media(*args) -> str:
    out = io.StringIO()
    call_command("media", *args, stdout=out)
    return out.getvalue()


def test_extract_command(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Five soldiers were killed in Kurram on Wednesday, the ISPR said.", encoding="utf-8")
    result = json.loads(media("extract", str(f), "--published", "2025-10-16", "--outlet", "Dawn"))
    assert result["article"] == "a.txt" and result["outlet"] == "Dawn"
    assert result["events"][0]["killed"]["soldiers"] == [5, 5]
    text = media("extract", str(f), "--published", "2025-10-16", "--format", "text")
    assert "Kurram" in text and "soldiers=5" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty article"),
        (b"\x00\x01\x02binary", "NUL bytes"),
        (b"\xc3\x28 bad utf-8", "not UTF-8"),
        ("Cinq soldats ont été tués dans la région, selon les autorités et la presse.".encode(),
         "unsupported language: French"),
        ("د پاکستان ځواکونو په کورمه کې برید وکړ".encode(), "unsupported language: Pashto"),
    ],
)  # fmt: skip
def test_extract_command_bad_input(tmp_path, content, message):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(CommandError, match=message) as info:
        media("extract", str(f), "--published", "2025-10-16")
    assert str(f) in str(info.value)


def test_extract_command_bad_date_and_missing_file(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Five soldiers were killed in Kurram.", encoding="utf-8")
    with pytest.raises(CommandError, match=r"--published: not a date \(YYYY-MM-DD\): '2025-13-01'"):
        media("extract", str(f), "--published", "2025-13-01")
    with pytest.raises(CommandError, match="cannot read"):
        media("extract", str(tmp_path / "nowhere.txt"), "--published", "2025-10-16")
    with pytest.raises(CommandError, match="--published"):
        media("extract", str(f))


def test_bad_article_in_a_directory_stops_nothing_else(tmp_path, capsys):
    from .helpers import article, event, write_dir

    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("Five soldiers were killed in Kurram on Wednesday.")
    (tmp_path / "articles" / "b.txt").write_bytes(b"\x00junk")
    write_dir(
        tmp_path / "labels",
        {"a": article("a", [event(killed={"soldiers": [5, 5]})]), "b": article("b", [])},
    )
    report = json.loads(media("evaluate", str(tmp_path), "--format", "json"))
    assert report["events"]["labelled_news_found"] == 1
    assert "b.txt: not a text file" in capsys.readouterr().err
