"""Linking with the real embedding model (loaded once per test session): candidates of different articles about
one incident are grouped, and groups are proposed for register incidents the desk may read, never others."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from sulh.core.codes import next_code
from sulh.incidents import services as incidents
from sulh.incidents.models import Audience
from sulh.incidents.schemas import IncidentIn
from sulh.media import linking, services
from sulh.media.extract import extract
from sulh.media.models import Article, ArticleStatus, CandidateStatus, Decision, DecisionAction
from sulh.media.tests.helpers import DEV_SET

# Written for these tests in wire-report style: two reports of the 25-26 October fighting, and a different
# incident the same weekend some 400 km away.
ISPR = """Five soldiers martyred as infiltration bids foiled in Kurram and North Waziristan

RAWALPINDI - Security forces foiled two infiltration attempts from Afghanistan in Kurram and North Waziristan \
districts on Saturday and Sunday, the military's media wing ISPR said on Monday. Five soldiers were martyred and \
25 militants were killed in the exchange of fire, the ISPR said.
"""
WIRE = """Pakistan says 25 militants killed in weekend border fighting

ISLAMABAD - Pakistan's military said on Monday that 25 militants and five soldiers were killed when fighters \
tried to cross from Afghanistan into Kurram and North Waziristan over the weekend. The ISPR said troops repelled \
the attackers at several points along the border in the two districts.
"""
CHAMAN = """Civilians killed in cross-border firing at Chaman

QUETTA - Four civilians were killed when mortar shells fired from across the border hit houses in Chaman on \
Saturday, local officials said.
"""
MONDAY = dt.date(2025, 10, 27)
KURRAM_POINT = (33.87, 70.10)  # Parachinar, Kurram


def features(text, source, published=MONDAY):
    return [
        linking.event_features(e, article_text=text, source=source, label=source)
        for e in extract(text, published)["events"]
        if not e["background"]
    ]


def make_article(user, text, *, published=MONDAY, url="https://example.org/1") -> Article:
    data = text.encode("utf-8")
    article = Article.objects.create(
        code=next_code(Article, "ART", dt.datetime.now(dt.UTC)), organisation=user.organisation, source="api",
        outlet="Dawn", url=url, title=text.splitlines()[0], published_on=published, content_type="text/plain",
        original=data, sha256=hashlib.sha256(data).hexdigest(), text=text,
        text_sha256=hashlib.sha256(data).hexdigest(), status=ArticleStatus.EXTRACTED, received_by=user,
    )  # fmt: skip
    services.process(article)
    return article


def the_group(article):
    (candidate,) = article.candidates.filter(status=CandidateStatus.PENDING)
    candidate.group.refresh_from_db()
    return candidate, candidate.group


def register(user, *, title, point=KURRAM_POINT, location="Kurram", start="2025-10-25T20:00:00+05:00",
             end="2025-10-26T04:00:00+05:00", audience=Audience.PARTIES, narrative="", **extra):  # fmt: skip
    data = IncidentIn(
        title=title, event_type="Battles", sub_event_type="Armed clash", date_start=start, date_end=end,
        date_prec=2, latitude=point[0], longitude=point[1], where_prec=3, location_name=location,
        source_name="ISPR", audience=audience, narrative=narrative, **extra,
    )  # fmt: skip
    return incidents.create_incident(user, data).incident


# --- the pure part ------------------------------------------------------------------------------------------


def test_two_reports_of_one_incident_group_together_a_different_one_does_not():
    (a,) = features(ISPR, "ispr")
    (b,) = features(WIRE, "wire")
    (c,) = features(CHAMAN, "chaman")
    score, reasons = linking.compare(a, b)
    assert score >= linking.LINK_THRESHOLD
    by = {r["feature"]: r for r in reasons}
    assert by["date"]["score"] == 1.0 and by["date"]["detail"] == "both 25–26 Oct 2025"
    assert by["place"]["detail"] == "both in Kurram" and by["type"]["score"] == 1.0
    assert 0.5 < by["text"]["score"] <= 1.0 and "cosine" in by["text"]["detail"]
    far, far_reasons = linking.compare(a, c)
    assert far < linking.LINK_THRESHOLD
    assert any(r["feature"] in ("gate", "place") and "km" in r["detail"] for r in far_reasons)
    assert linking.group_events([a, c, b]) == [0, 1, 0]


def test_gates_dates_apart_and_one_article_one_claimant():
    (a,) = features(ISPR, "ispr")
    (later,) = features(ISPR, "ispr-later", published=MONDAY + dt.timedelta(days=7))
    score, reasons = linking.compare(a, later)
    assert score == 0 and reasons[0]["feature"] == "gate" and "more than 2 days apart" in reasons[0]["detail"]
    (same_source,) = features(WIRE, "ispr")  # same article, same claimant: the extractor made two events of it
    assert linking.compare(a, same_source)[0] == 0


def test_one_incident_reported_as_clash_and_shelling_is_compatible():
    (a,) = features(ISPR, "ispr")
    b = linking.Features(label="x", start=a.start, end=a.end, places=a.places, sub_event_type="Shelling/artillery/missile attack")
    assert linking.type_score(a, b)[0] >= 0.8
    c = linking.Features(label="y", start=a.start, end=a.end, places=a.places, sub_event_type="Peaceful protest")
    assert linking.type_score(a, c)[0] < 0.5


# --- the database part ------------------------------------------------------------------------------------


def test_articles_group_and_propose_the_register_incident(users):
    analyst = users["pak_analyst"]
    incident = register(analyst, title="Infiltration attempts repelled in Kurram and North Waziristan",
                        narrative="Militants tried to cross into Kurram and North Waziristan; five soldiers and "
                                  "25 militants were killed.", deaths_a=25, deaths_b=5)  # fmt: skip
    first, group = the_group(make_article(analyst, ISPR))
    second, group2 = the_group(make_article(analyst, WIRE, url="https://example.org/2"))
    assert group2.pk == group.pk
    other, other_group = the_group(make_article(analyst, CHAMAN, url="https://example.org/3"))
    assert other_group.pk != group.pk
    assert group2.incident_id == incident.pk and group2.score >= linking.PROPOSE_THRESHOLD
    head = group2.reasons[0]
    assert head["feature"] == "proposal" and incident.code in head["detail"]
    assert {"date", "place", "type", "casualties", "text"} <= {r["feature"] for r in group2.reasons}
    assert next(r for r in group2.reasons if r["feature"] == "group")["detail"] == "2 candidates from 2 articles"
    # Chaman: a new incident, with the best rejected match named (or nothing readable in the window)
    assert other_group.incident_id is None and other_group.reasons[0]["detail"].startswith("new incident")


def test_an_incident_the_desk_cannot_read_is_never_proposed(users):
    # filed by Afghanistan's liaison for the mediators only: Pakistan's desk cannot read it, the mediators can
    hidden = register(users["afg_liaison"], title="Pakistani infiltration in Kurram and North Waziristan",
                      audience=Audience.MEDIATORS, narrative="Fighting in Kurram and North Waziristan; five "
                      "soldiers and 25 militants killed.")  # fmt: skip
    _, group = the_group(make_article(users["pak_analyst"], ISPR))
    assert group.incident_id is None
    assert hidden.code not in str(group.reasons) and hidden.title not in str(group.reasons)
    _, mediators = the_group(make_article(users["tur_analyst"], ISPR))
    assert mediators.organisation_id != group.organisation_id
    assert mediators.incident_id == hidden.pk  # the same article at a desk that may read it


def test_refresh_after_a_decision_proposes_the_incident_filed_on(users):
    analyst = users["pak_analyst"]
    article = make_article(analyst, ISPR)
    make_article(analyst, WIRE, url="https://example.org/2")
    candidate, group = the_group(article)
    assert group.incident_id is None
    # the analyst files the first candidate on an incident registered elsewhere in the province
    filed_on = register(analyst, title="Border post attacked near Landi Kotal", point=(34.0988, 71.1453),
                        location="Landi Kotal")  # fmt: skip
    Decision.objects.create(candidate=candidate, action=DecisionAction.ATTACH, incident=filed_on,
                            decided_by=analyst)  # fmt: skip
    candidate.status = CandidateStatus.ACCEPTED
    candidate.save(update_fields=["status"])
    linking.refresh_group(group)
    group.refresh_from_db()
    assert group.incident_id == filed_on.pk
    assert group.reasons[0]["feature"] == "decision" and filed_on.code in group.reasons[0]["detail"]
    assert article.code in group.reasons[0]["detail"]


def test_grouping_across_many_articles_stays_within_the_organisation(users):
    _, pak = the_group(make_article(users["pak_analyst"], ISPR))
    _, afg = the_group(make_article(users["afg_analyst"], WIRE))
    assert pak.pk != afg.pk and pak.organisation_id != afg.organisation_id


@pytest.mark.parametrize("texts", [[], [""], ["a", "b"]])
def test_embed_shapes(texts):
    from sulh.media import embeddings

    vectors = embeddings.embed(texts)
    assert vectors.shape == (len(texts), embeddings.DIM)
    for t, v in zip(texts, vectors, strict=True):
        assert (abs(float(v @ v) - 1.0) < 1e-4) if t else not v.any()


# --- the command line on the development set ------------------------------------------------------------------


@pytest.mark.skipif(not (DEV_SET / "articles").is_dir(), reason="shared/eval/media-dev not present")
def test_evaluate_reports_linking_with_our_incidents_file(tmp_path):
    import io
    import json

    from django.core.management import CommandError, call_command

    sidecar = Path(__file__).resolve().parents[3] / "bench" / "data" / "media-dev-incidents.json"
    out = io.StringIO()
    call_command("media", "evaluate", str(DEV_SET), "--incidents", str(sidecar), stdout=out)
    text = out.getvalue()
    assert "Linking (same incident, pairwise over" in text and "ground truth: the --incidents file" in text
    assert "linking accuracy" in text and "pairs decided correctly" in text
    out = io.StringIO()
    call_command("media", "evaluate", str(DEV_SET), "--incidents", str(sidecar), "--format", "json", stdout=out)
    lk = json.loads(out.getvalue())["linking"]
    assert lk["items"] > 5 and lk["tp"] + lk["fp"] + lk["fn"] + lk["tn"] == lk["pairs"]
    assert lk["accuracy"] == (lk["tp"] + lk["tn"]) / lk["pairs"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"dev_01.json": []}')
    with pytest.raises(CommandError, match="dev_01.json"):
        call_command("media", "evaluate", str(DEV_SET), "--incidents", str(bad), stdout=io.StringIO())
