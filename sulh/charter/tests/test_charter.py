"""The shipped charter validates; broken charters give FILE:LINE:COL: path: message errors."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from sulh.charter.loader import CharterError, load_charter, load_charter_text
from sulh.charter.schema import parse_duration

SHIPPED = Path(__file__).resolve().parents[1] / "charters" / "af-pak.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def charter():
    return load_charter(SHIPPED)


def _errors(tmp_path, text) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CharterError) as info:
        load_charter(path)
    assert info.value.messages
    for m in info.value.messages:
        assert m.startswith(f"{path}:"), m
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", m), m
    return info.value.messages


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_shipped_charter_is_valid(charter):
    assert charter.id == "af-pak"
    assert [p.code for p in charter.parties] == ["AFG", "PAK"]
    assert {o.code for o in charter.mediators} == {"QAT", "TUR"}
    assert charter.incident_code_prefix == "AFPK"
    assert charter.origin == "sulh.mechanism/af-pak/log"
    assert len(charter.districts) >= 20
    assert {c.code for c in charter.crossings} >= {
        "TORKHAM",
        "CHAMAN-SPIN-BOLDAK",
        "GHULAM-KHAN",
        "ANGOOR-ADDA",
        "KHARLACHI",
    }
    assert charter.border.name["en"] == "Afghanistan–Pakistan border"


def test_every_geographic_fact_names_a_known_source(charter):
    items = [
        *charter.parties,
        charter.border,
        *charter.provinces,
        *charter.districts,
        *charter.posts,
        *charter.crossings,
    ]
    for item in items:
        assert item.source in charter.sources


def test_border_line_runs_south_west_to_north_east(charter):
    coords = charter.border.line.coordinates
    (x0, y0), (x1, y1) = coords[0], coords[-1]
    assert x0 < 62 and y0 < 31  # Iran tripoint
    assert x1 > 74 and y1 > 36.5  # China tripoint


def test_convenience_api(charter):
    assert charter.party("PAK").timezone == "Asia/Karachi"
    assert charter.other_party("PAK").code == "AFG"
    with pytest.raises(KeyError):
        charter.party("IND")
    kinds = {code: kind for code, kind, _, _ in charter.organisations()}
    assert kinds == {
        "AFG": "party",
        "PAK": "party",
        "QAT": "mediator",
        "TUR": "mediator",
        "JMT": "monitoring",
    }
    refs = [ref for ref, _ in charter.clauses()]
    assert "DOHA-2025/1" in refs and "ISTANBUL-2025-10-30/2" in refs
    assert "ceasefire" in charter.clause("DOHA-2025/1").text["en"]
    with pytest.raises(KeyError):
        charter.clause("DOHA-2025/99")
    assert charter.deadline("accused_reply") == timedelta(days=3)
    assert charter.hotline.ack_within("hold_fire_request", "flash") == timedelta(minutes=2)
    assert charter.hotline.ack_within("movement_notice", "flash") == timedelta(minutes=5)  # the default
    assert charter.deadline("accused_reply") == timedelta(days=3)
    with pytest.raises(KeyError):
        charter.deadline("nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT10M", timedelta(minutes=10)),
        ("P3D", timedelta(days=3)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(seconds=0.5)),
        ("P2W", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "3D", "P1M", "P1Y", "PT-5M", "P0D", "", "soon"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_unknown_field(tmp_path):
    text = TEXT.replace("incident_code_prefix: AFPK\n", "incident_code_prefix: AFPK\ncolour: blue\n")
    [msg] = _errors(tmp_path, text)
    assert f":{_line_of(text, 'colour: blue')}:" in msg
    assert "colour:" in msg and "Extra inputs are not permitted" in msg


def test_unknown_nested_field_names_its_path(tmp_path):
    text = TEXT.replace("    timezone: Asia/Qatar\n", "    timezone: Asia/Qatar\n    flag: maroon\n")
    [msg] = _errors(tmp_path, text)
    assert "mediators.0.flag:" in msg
    assert f":{_line_of(text, 'flag: maroon')}:" in msg


def test_wrong_utc_offset(tmp_path):
    text = TEXT.replace('utc_offset: "+04:30"', 'utc_offset: "+05:00"')
    msgs = _errors(tmp_path, text)
    assert any("parties.0.utc_offset:" in m and "Asia/Kabul" in m and "+04:30" in m for m in msgs), msgs
    line = _line_of(text, 'utc_offset: "+05:00"')
    assert any(f":{line}:" in m for m in msgs), msgs


def test_unknown_timezone(tmp_path):
    text = TEXT.replace("timezone: Asia/Qatar", "timezone: Asia/Doha_City")
    msgs = _errors(tmp_path, text)
    assert any("mediators.0.timezone:" in m and "unknown IANA time zone" in m for m in msgs), msgs


def test_duplicate_code(tmp_path):
    text = TEXT.replace("{code: PK-NUSHKI,", "{code: PK-CHAGAI,")
    msgs = _errors(tmp_path, text)
    assert any("districts.1.code:" in m and "duplicate code 'PK-CHAGAI'" in m for m in msgs), msgs
    line = _line_of(text, "{code: PK-CHAGAI, party: PAK, province: PK-BA, name: {en: Nushki")
    assert any(m.split(":")[1] == str(line) for m in msgs), msgs


def test_crossing_far_from_border(tmp_path):
    text = TEXT.replace("location: [71.0905, 34.1133]", "location: [66.0, 27.0]")  # ~500 km away
    msgs = _errors(tmp_path, text)
    assert any("crossings.0.location:" in m and "from the border line" in m for m in msgs), msgs
    line = _line_of(text, "location: [66.0, 27.0]")
    assert any(m.split(":")[1] == str(line) for m in msgs), msgs


def test_unknown_references(tmp_path):
    text = TEXT.replace(
        "sector: S6-KHYBER, source: mechanism-proposal", "sector: S9-NOWHERE, source: mechanism-proposal"
    )
    text = text.replace(
        "{code: PK-ZHOB, party: PAK, province: PK-BA,", "{code: PK-ZHOB, party: PAK, province: PK-XX,"
    )
    text = text.replace("    source: wikipedia\n", "    source: hearsay\n")
    msgs = "\n".join(_errors(tmp_path, text))
    assert "posts.0.sector: unknown sector 'S9-NOWHERE'" in msgs
    assert "province: unknown province 'PK-XX'" in msgs
    assert "unknown source 'hearsay'" in msgs


def test_overlapping_sectors(tmp_path):
    text = TEXT.replace("from_km: 600, to_km: 800,", "from_km: 550, to_km: 800,")
    msgs = _errors(tmp_path, text)
    assert any("sectors.1.from_km:" in m and "overlaps" in m for m in msgs), msgs


def test_sector_beyond_line(tmp_path):
    text = TEXT.replace("to_km: 2244.6,", "to_km: 2900,")
    msgs = _errors(tmp_path, text)
    assert any("sectors.7.to_km:" in m and "beyond the end" in m for m in msgs), msgs


def test_point_outside_region(tmp_path):
    text = TEXT.replace("location: [64.40616, 28.88846]", "location: [28.88846, 64.40616]")
    msgs = _errors(tmp_path, text)
    assert any("districts.0.seat.location" in m and "outside the region" in m for m in msgs), msgs


def test_bad_deadline(tmp_path):
    text = TEXT.replace("rfi_answer: P2D", "rfi_answer: two days")
    msgs = _errors(tmp_path, text)
    assert any("deadlines" in m and "rfi_answer" in m for m in msgs), msgs


def test_three_parties_refused(tmp_path):
    text = TEXT.replace("incident_code_prefix: AFPK", "incident_code_prefix: afpk")
    msgs = _errors(tmp_path, text)
    assert any("incident_code_prefix:" in m for m in msgs), msgs


def test_yaml_syntax_error(tmp_path):
    text = TEXT.replace("origin: sulh.mechanism/af-pak/log", "origin: [sulh.mechanism/af-pak/log")
    [msg] = _errors(tmp_path, text)
    assert "YAML syntax error" in msg
    line = int(msg.split(":")[1])
    assert abs(line - _line_of(text, "origin: [sulh")) <= 2


def test_not_a_mapping():
    with pytest.raises(CharterError) as info:
        load_charter_text("- just\n- a list\n", "x.yaml")
    assert info.value.messages[0].startswith("x.yaml:1:1:")


def test_missing_file(tmp_path):
    with pytest.raises(CharterError):
        load_charter(tmp_path / "nope.yaml")


@pytest.mark.django_db(databases=[])
def test_get_charter_is_cached(settings):
    from sulh.charter.loader import get_charter

    settings.SULH_CHARTER = str(SHIPPED)
    get_charter.cache_clear()
    assert get_charter() is get_charter()
    get_charter.cache_clear()


def test_management_command_validate(capsys):
    from django.core.management import call_command

    call_command("charter", "validate", str(SHIPPED))
    out = capsys.readouterr().out
    assert "valid charter 'af-pak'" in out and "2 parties" in out


def test_management_command_reports_errors(tmp_path, capsys):
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXT.replace('utc_offset: "+05:00"', 'utc_offset: "+04:00"'), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("charter", "validate", str(bad))
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "parties.1.utc_offset" in err


def test_management_command_show(capsys, settings):
    from django.core.management import call_command

    settings.SULH_CHARTER = str(SHIPPED)
    call_command("charter", "show")
    out = capsys.readouterr().out
    assert "af-pak" in out and "S2-CHAMAN" in out


def test_error_inside_lifted_coordinates_keeps_its_line(tmp_path):
    start = TEXT.index("  line: ")
    first = TEXT.index("[[", start)
    text = TEXT[:first] + "[[160.0, 29.0], [" + TEXT[first + 2 :]
    msgs = _errors(tmp_path, text)
    line = TEXT[:first].count("\n") + 1
    assert any(
        "border.line.coordinates" in m and "outside the region" in m and f":{line}:" in m for m in msgs
    ), msgs


def test_witness_quorum_names_known_organisations(tmp_path):
    text = TEXT.replace("group mediators any QAT TUR", "group mediators 3 QAT TUR XYZ")
    msgs = _errors(tmp_path, text)
    assert any("ledger.witness_quorum: line 2: 'XYZ' is neither an organisation" in m for m in msgs), msgs
    text = TEXT.replace("group mediators any QAT TUR", "group mediators 3 QAT TUR")
    msgs = _errors(tmp_path, text)
    assert any("threshold '3' must be all, any or 1..2" in m for m in msgs), msgs


def test_witness_quorum_needs_a_quorum_line(tmp_path):
    msgs = _errors(tmp_path, TEXT.replace("    quorum mechanism\n", ""))
    assert any("no 'quorum NAME' line" in m for m in msgs), msgs
    assert all(":" in m.split(" ")[0] for m in msgs)
