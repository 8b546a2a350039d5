"""The af-pak charter's hotline and protocols validate; broken variants are refused with FILE:LINE:COL: path:
message naming what is wrong and where."""

import re
from pathlib import Path

import pytest

from sulh.charter.loader import CharterError, load_charter, load_charter_text

SHIPPED = Path(__file__).resolve().parents[2] / "charter" / "charters" / "af-pak.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")


def _errors(tmp_path, text: str) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CharterError) as info:
        load_charter(path)
    for m in info.value.messages:
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", m), m
    return info.value.messages


def _broken(old: str, new: str, count: int = 1) -> str:
    assert TEXT.count(old) >= count, old
    return TEXT.replace(old, new, count)


def _line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def _one(msgs: list[str], path: str, words: str) -> str:
    found = [m for m in msgs if f": {path}: " in m and words in m]
    assert len(found) == 1, (path, words, msgs)
    return found[0]


def _line(message: str) -> int:
    return int(message.split(":")[1])


def test_the_shipped_protocols_are_valid():
    charter = load_charter(SHIPPED)
    assert [p.code for p in charter.protocols] == [
        "CROSS-BORDER-FIRE", "AIR-STRIKE", "MILITANT-ATTACK", "CROSSING-CLOSURE", "MEDEVAC", "RETURN-OF-PERSONS",
    ]  # fmt: skip
    fire = charter.protocol("CROSS-BORDER-FIRE")
    assert fire.trigger.max_age == "P2D" and "Cross-border fire" in fire.trigger.sub_event_types
    assert fire.step("ACKNOWLEDGE").after == "NOTIFY"
    assert charter.protocol("MEDEVAC").trigger.message_types == ["medevac"]
    assert charter.hotline.mediators_post == "MED-CELL"
    # Every step's level is a hotline level, and every `after` names an earlier step.
    levels = {lv.code for lv in charter.hotline.levels}
    for p in charter.protocols:
        for i, s in enumerate(p.steps):
            assert s.level is None or s.level in levels
            assert s.after == "trigger" or s.after in [x.code for x in p.steps[:i]]


def test_after_must_name_an_earlier_step(tmp_path):
    text = _broken("after: NOTIFY, within: PT15M", "after: NOTICE, within: PT15M")
    m = _one(_errors(tmp_path, text), "protocols.0.steps.1.after", "'NOTICE' is neither 'trigger' nor an earlier step")
    assert _line(m) == _line_of(text, "after: NOTICE")


def test_after_a_later_step_is_refused(tmp_path):
    # CONFIRM follows HANDOVER; moved before it, `after` names a step that comes later.
    text = _broken(
        "      - {code: HANDOVER, name: {en: Hand the persons over}, responsible: both, within: P3D,\n"
        "         done_when: {kind: report_filed, report: HANDOVER-COMPLETED}}\n"
        "      - {code: CONFIRM, name: {en: Mediators confirm the return}, responsible: mediators, after: HANDOVER, within: P1D,\n"
        "         done_when: {kind: report_filed, report: RETURN-CONFIRMED}}\n",
        "      - {code: CONFIRM, name: {en: Mediators confirm the return}, responsible: mediators, after: HANDOVER, within: P1D,\n"
        "         done_when: {kind: report_filed, report: RETURN-CONFIRMED}}\n"
        "      - {code: HANDOVER, name: {en: Hand the persons over}, responsible: both, within: P3D,\n"
        "         done_when: {kind: report_filed, report: HANDOVER-COMPLETED}}\n",
    )  # fmt: skip
    _one(_errors(tmp_path, text), "protocols.5.steps.1.after", "'HANDOVER' is neither")


def test_unknown_sub_event_type(tmp_path):
    text = _broken("sub_event_types: [Cross-border fire,", "sub_event_types: [Cross border fire,")
    m = _one(_errors(tmp_path, text), "protocols.0.trigger.sub_event_types.0", "unknown sub-event type 'Cross border fire'")
    assert _line(m) == _line_of(text, "[Cross border fire,")


def test_unknown_hotline_level(tmp_path):
    text = _broken("responsible: affected, level: SECTOR, within: PT10M", "responsible: affected, level: BRIGADE, within: PT10M")
    m = _one(_errors(tmp_path, text), "protocols.0.steps.0.level", "unknown hotline level 'BRIGADE'")
    assert _line(m) == _line_of(text, "level: BRIGADE")


def test_remind_before_must_be_shorter_than_within(tmp_path):
    for remind in ("PT10M", "PT1H"):
        text = _broken("level: SECTOR, within: PT10M,", f"level: SECTOR, within: PT10M, remind_before: {remind},")
        m = _one(_errors(tmp_path, text), "protocols.0.steps.0.remind_before", "must be shorter than `within` (PT10M)")
        assert _line(m) == _line_of(text, f"remind_before: {remind}")
    load_charter_text(_broken("level: SECTOR, within: PT10M,", "level: SECTOR, within: PT10M, remind_before: PT9M,"))


def test_message_step_needs_a_message_type(tmp_path):
    text = _broken("done_when: {kind: message_sent, message_type: incident_notification}}", "done_when: {kind: message_sent}}")
    m = _one(_errors(tmp_path, text), "protocols.0.steps.0.done_when", "message_sent needs message_type")
    assert _line(m) == _line_of(text, "done_when: {kind: message_sent}}")
    text = _broken("done_when: {kind: report_filed, report: HOLD-FIRE-CONFIRMED}}", "done_when: {kind: report_filed}}")
    _one(_errors(tmp_path, text), "protocols.0.steps.2.done_when", "report_filed needs report")
    text = _broken("message_type: incident_notification}}", "message_type: smoke_signal}}")
    assert any("protocols.0.steps.0.done_when.message_type" in m for m in _errors(tmp_path, text))


def test_mediators_step_has_no_level(tmp_path):
    text = _broken("responsible: mediators, within: P2D,", "responsible: mediators, level: NATIONAL, within: P2D,")
    m = _one(_errors(tmp_path, text), "protocols.1.steps.4.level", "a mediators' step has no party level")
    assert _line(m) == _line_of(text, "responsible: mediators, level: NATIONAL")


def test_escalation_must_join_the_same_two_organisations(tmp_path):
    # The Khyber sector line climbing to Kabul's line with the mediators would leave Pakistan behind.
    text = _broken("ends: [AFG-S6, PAK-S6], escalates_to: REG-EAST}", "ends: [AFG-S6, PAK-S6], escalates_to: MED-AFG}")
    m = _one(_errors(tmp_path, text), "hotline.channels.5.escalates_to", "'MED-AFG' does not join the same two organisations")
    assert _line(m) == _line_of(text, "escalates_to: MED-AFG")


def test_escalation_must_climb(tmp_path):
    text = _broken("{code: REG-EAST, level: REGIONAL, ends: [AFG-R-EAST, PAK-R-EAST], escalates_to: NATIONAL}",
                   "{code: REG-EAST, level: REGIONAL, ends: [AFG-R-EAST, PAK-R-EAST], escalates_to: S6-KHYBER}")  # fmt: skip
    _one(_errors(tmp_path, text), "hotline.channels.9.escalates_to", "'S6-KHYBER' is not on a higher level than 'REG-EAST'")


def test_unknown_post_at_a_channel_end(tmp_path):
    text = _broken("ends: [AFG-S6, PAK-S6]", "ends: [AFG-S6, PAK-S9]")
    m = _one(_errors(tmp_path, text), "hotline.channels.5.ends.1", "unknown post 'PAK-S9'")
    assert _line(m) == _line_of(text, "PAK-S9")


def test_a_channel_joins_two_organisations(tmp_path):
    text = _broken("ends: [AFG-S6, PAK-S6]", "ends: [AFG-S6, AFG-S6]")
    _one(_errors(tmp_path, text), "hotline.channels.5.ends", "both ends belong to AFG")


def test_ack_deadlines(tmp_path):
    text = _broken("    free_text: {routine: P1D}\n", "    free_text: {routine: P1D}\n    carrier_pigeon: {routine: P3D}\n")
    m = _one(_errors(tmp_path, text), "hotline.ack", "'carrier_pigeon' is not a message type")
    assert _line(m) == _line_of(text, "  ack:")
    text = _broken("    default: {flash: PT5M, immediate: PT15M, routine: PT4H}\n", "")
    _one(_errors(tmp_path, text), "hotline.ack", "'default' deadlines are required")
    text = _broken("default: {flash: PT5M, immediate: PT15M, routine: PT4H}", "default: {flash: PT5M, immediate: PT15M}")
    m = _one(_errors(tmp_path, text), "hotline.ack.default", "no deadline for routine")
    assert _line(m) == _line_of(text, "default: {flash: PT5M")
    text = _broken("medevac: {flash: PT5M,", "medevac: {flash: five minutes,")
    m = _one(_errors(tmp_path, text), "hotline.ack.medevac.flash", "is not an ISO 8601 duration")
    assert _line(m) == _line_of(text, "five minutes")


def test_every_problem_is_reported_at_once(tmp_path):
    text = _broken("after: NOTIFY, within: PT15M", "after: NOTICE, within: PT15M")
    text = text.replace("ends: [AFG-S6, PAK-S6]", "ends: [AFG-S6, PAK-S9]")
    msgs = _errors(tmp_path, text)
    _one(msgs, "protocols.0.steps.1.after", "NOTICE")
    _one(msgs, "hotline.channels.5.ends.1", "PAK-S9")
