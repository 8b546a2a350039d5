"""Triage: a person's decision files a PRESS claim (new incident or attached), or rejects with a reason; a second
decision or bad edits change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from sulh.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sulh.incidents import services as incidents
from sulh.incidents.models import Audience, Claim, Incident, SourceKind
from sulh.incidents.schemas import IncidentIn
from sulh.ledger.models import LogEntry as Entry
from sulh.media import services, triage
from sulh.media.models import Article, ArticleStatus, CandidateStatus, Decision, DecisionAction

# Written for these tests, in wire-report style: one clash reported by ISPR, one bombing reported by local
# officials, and a background paragraph.
KURRAM = """Five soldiers killed as troops repel attack in Kurram

PARACHINAR - Pakistani troops repelled an attack by Afghan Taliban forces on border posts in Kurram district on \
Saturday night, the military's media wing ISPR said on Sunday. Five soldiers were killed and 25 attackers were \
killed in the exchange of fire, the ISPR said.

In a separate incident, a roadside bomb wounded three people in Bajaur on Sunday morning, local officials said.

The clashes followed the fighting earlier this month in Spin Boldak, where dozens were killed.
"""


def make_article(user, text: str = KURRAM, *, outlet="Dawn", published=dt.date(2025, 10, 27),
                 url="https://www.dawn.com/news/1", title="Five soldiers killed in Kurram") -> Article:  # fmt: skip
    """An article received by `user`'s desk and run through the pipeline (extraction, linking)."""
    from sulh.core.codes import next_code
    from sulh.ledger import services as ledger

    data = text.encode("utf-8")
    article = Article.objects.create(
        code=next_code(Article, "ART", dt.datetime.now(dt.UTC)), organisation=user.organisation, source="api",
        outlet=outlet, url=url, title=title, published_on=published, content_type="text/plain", original=data,
        sha256=hashlib.sha256(data).hexdigest(), text=text, text_sha256=hashlib.sha256(data).hexdigest(),
        status=ArticleStatus.EXTRACTED, received_by=user,
    )  # fmt: skip
    ledger.record(article, "media_article.received", actor=user)
    services.process(article)
    return article


def pending(article):
    return list(article.candidates.filter(status=CandidateStatus.PENDING).order_by("seq"))


def counts():
    return (Incident.objects.count(), Claim.objects.count(), Decision.objects.count(), Entry.objects.count())


@pytest.fixture
def article(users):
    return make_article(users["pak_analyst"])


def test_extraction_gives_two_pending_candidates_and_a_background_one(article):
    statuses = list(article.candidates.order_by("seq").values_list("status", flat=True))
    assert statuses == ["pending", "pending", "background"]


def test_accept_as_new_incident_files_a_press_claim_with_the_mapped_fields(users, article):
    user = users["pak_analyst"]
    clash = pending(article)[0]
    before = Entry.objects.count()
    d = triage.accept(user, clash.pk)
    assert d.action == DecisionAction.NEW_INCIDENT and d.corrected == [] and d.decided_by == user
    claim = d.claim
    assert claim.incident == d.incident and claim.source_kind == SourceKind.PRESS
    assert claim.source_name == "ISPR, reported by Dawn"
    assert claim.source_url == "https://www.dawn.com/news/1"
    assert (claim.event_type, claim.sub_event_type) == ("Battles", "Armed clash")
    assert claim.location_name == "Kurram" and claim.where_prec == 3
    assert abs(claim.latitude - 33.9) < 0.1 and abs(claim.longitude - 70.1) < 0.1
    assert d.incident.side == "PAK"
    # AFG is the charter's first party (side a), PAK the second: Pakistani soldiers are side b; the attackers
    # are Afghan Taliban forces, side a
    assert (claim.deaths_a, claim.deaths_b, claim.deaths_civilians, claim.deaths_unknown) == (25, 5, None, None)
    assert (claim.deaths_low, claim.deaths_best, claim.deaths_high) == (30, 30, 30)
    assert claim.alleged_violator == "AFG"  # ISPR's claim about the other party's forces
    assert claim.actor1 == "Afghan Taliban forces" and claim.inter1 == 1 and claim.actor2 == "Pakistan Army"
    assert claim.audience == Audience.PARTIES  # a party's desk
    assert claim.notes.startswith("Pakistani troops repelled")
    assert "Five soldiers were killed" in claim.narrative and "roadside bomb" not in claim.narrative
    local = claim.date_start.astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert local.date() == dt.date(2025, 10, 25)
    assert d.values["source_name"] == "ISPR, reported by Dawn" and d.values["incident"] == d.incident.code
    kinds = list(Entry.objects.order_by("-index").values_list("kind", flat=True)[:4])
    assert "media_decision.made" in kinds and "claim.filed" in kinds and "incident.registered" in kinds
    assert Entry.objects.count() == before + 3
    clash.refresh_from_db()
    article.refresh_from_db()
    assert clash.status == CandidateStatus.ACCEPTED
    assert article.status == ArticleStatus.EXTRACTED  # one candidate still pending


def test_accept_attaches_to_an_existing_incident_and_records_corrections(users, article):
    user = users["pak_analyst"]
    existing = incidents.create_incident(users["pak_liaison"], IncidentIn(**{
        "title": "Border posts attacked in Kurram", "event_type": "Battles", "sub_event_type": "Armed clash",
        "date_start": "2025-10-25", "latitude": 33.9, "longitude": 70.1, "source_name": "PAK MoD",
        "audience": "parties",
    })).incident  # fmt: skip
    clash = pending(article)[0]
    d = triage.accept(user, clash.pk, {"killed": {"soldiers": [6, 6], "militants": [25, 25]},
                                       "claimant": "ISPR", "date_prec": 1}, incident=existing.code)  # fmt: skip
    assert d.action == DecisionAction.ATTACH and d.incident == existing
    assert d.claim.incident == existing and d.claim.seq == 2
    assert d.corrected == ["killed"]  # claimant and date_prec were sent unchanged
    assert d.claim.deaths_b == 6 and d.values["deaths_b"] == 6
    assert d.proposed_incident is None  # linking proposed nothing (a new incident)


def test_open_ended_and_ranged_figures(users, article):
    bomb = pending(article)[1]
    d = triage.accept(users["pak_analyst"], bomb.pk, {
        "killed": {"civilians": [2, None], "militants": [15, 20]}, "injured": {"civilians": [101, None]},
    })  # fmt: skip
    c = d.claim
    # civilians are their own column; militants with no party's forces named are of unknown side
    assert (c.deaths_civilians, c.deaths_unknown) == (2, 15)
    assert c.deaths_low == 17 and c.deaths_best == 17
    assert (c.injured_low, c.injured_high) == (101, None)
    assert "civilians killed at least 2" in c.notes
    assert c.source_name == "local officials, reported by Dawn"
    assert sorted(d.corrected) == ["injured", "killed"]


def test_the_article_is_triaged_when_nothing_is_pending(users, article):
    user = users["pak_analyst"]
    first, second = pending(article)
    triage.accept(user, first.pk)
    triage.reject(user, second.pk, "a roadside bomb, not a border incident")
    article.refresh_from_db()
    assert article.status == ArticleStatus.TRIAGED
    assert list(triage.queue(user)) == []


def test_reject_needs_a_reason_and_is_logged(users, article):
    user = users["pak_analyst"]
    bomb = pending(article)[1]
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        triage.reject(user, bomb.pk, "  ")
    assert exc.value.field == "reason" and counts() == before
    d = triage.reject(user, bomb.pk, "not about the border")
    assert d.action == DecisionAction.REJECT and d.reason == "not about the border" and d.claim is None
    assert Entry.objects.order_by("-index").first().kind == "media_decision.made"
    bomb.refresh_from_db()
    assert bomb.status == CandidateStatus.REJECTED


def test_a_second_decision_is_a_conflict_and_changes_nothing(users, article):
    user = users["pak_analyst"]
    clash = pending(article)[0]
    triage.accept(user, clash.pk)
    before = counts()
    with pytest.raises(Conflict):
        triage.accept(user, clash.pk)
    with pytest.raises(Conflict):
        triage.reject(user, clash.pk, "changed my mind")
    assert counts() == before


def test_background_candidates_are_not_for_triage(users, article):
    background = article.candidates.get(status=CandidateStatus.BACKGROUND)
    before = counts()
    with pytest.raises(Conflict):
        triage.accept(users["pak_analyst"], background.pk)
    assert counts() == before


@pytest.mark.parametrize(
    "edits, field",
    [
        ({"event_type": "Riots", "sub_event_type": "Armed clash"}, "sub_event_type"),
        ({"event_type": "Skirmish", "sub_event_type": "Armed clash"}, "event_type"),
        ({"locations": []}, "locations"),
        ({"locations": ["Atlantis"]}, "locations"),
        ({"date_start": "2025-10-26", "date_end": "2025-10-24"}, "date_end"),
        ({"date_start": "26/10/2025"}, "date_start"),
        ({"killed": {"soldiers": [5, 2]}}, "killed.soldiers"),
        ({"killed": {"horses": [1, 1]}}, "killed"),
        ({"country": "IND"}, "country"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(users, article, edits, field):
    clash = pending(article)[0]
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        triage.accept(users["pak_analyst"], clash.pk, edits)
    assert exc.value.field == field
    assert counts() == before
    clash.refresh_from_db()
    assert clash.status == CandidateStatus.PENDING


def test_no_place_says_choose_a_place(users, article):
    with pytest.raises(ValidationFailed, match="choose a place"):
        triage.accept(users["pak_analyst"], pending(article)[0].pk, {"locations": []})


def test_attach_to_an_incident_the_user_cannot_see_is_not_found(users, article):
    hidden = incidents.create_incident(users["afg_liaison"], IncidentIn(**{
        "title": "Mediators-only report", "event_type": "Battles", "sub_event_type": "Armed clash",
        "date_start": "2025-10-25", "latitude": 31.0, "longitude": 66.4, "source_name": "AFG MoD",
        "audience": "mediators",
    })).incident  # fmt: skip
    before = counts()
    with pytest.raises(NotFound):
        triage.accept(users["pak_analyst"], pending(article)[0].pk, incident=hidden.code)
    assert counts() == before


def test_another_desk_and_a_liaison_officer_cannot_decide(users, article):
    clash = pending(article)[0]
    before = counts()
    for other in ("afg_analyst", "tur_analyst", "qat_verifier"):  # other organisations' desks: not found
        with pytest.raises(NotFound):
            triage.accept(users[other], clash.pk)
        with pytest.raises(NotFound):
            triage.reject(users[other], clash.pk, "not mine")
    with pytest.raises(PermissionDenied):  # no media role at all
        triage.accept(users["pak_liaison"], clash.pk)
    with pytest.raises(PermissionDenied):
        triage.queue(users["pak_liaison"])
    assert counts() == before
    assert list(triage.queue(users["afg_analyst"])) == []


def test_a_mediators_desk_files_for_the_mediators_only_by_default(users):
    user = users["qat_verifier"]
    clash, bomb = pending(make_article(user))
    d = triage.accept(user, clash.pk, title="Kurram border posts attacked")
    assert d.claim.audience == Audience.MEDIATORS and d.incident.title == "Kurram border posts attacked"
    d2 = triage.accept(user, bomb.pk, audience="parties")
    assert d2.claim.audience == Audience.PARTIES
    assert d2.incident.title == "Remote explosive/landmine/IED in Bajaur"


def test_queue_lists_the_desks_articles_oldest_first_with_counts(users):
    user = users["pak_analyst"]
    first = make_article(user)
    second = make_article(user, KURRAM.replace("Saturday", "Friday"), url="https://www.dawn.com/news/2")
    rows = list(triage.queue(user))
    assert [r.pk for r in rows] == [first.pk, second.pk]
    assert (rows[0].pending, rows[0].total) == (2, 3)


def test_narrative_is_the_sentences_the_evidence_touches():
    text = "Lede one. Lede two.\n\nOther paragraph. Its second sentence."
    assert triage.narrative(text, {"evidence": {"event": [[12, 15], [21, 26]]}}) == "Lede two.\n\nOther paragraph."
    assert triage.narrative(text, {"evidence": {}}) == ""


def test_after_a_decision_the_group_proposes_the_filed_incident(users):
    """Linking re-proposes in the decision's transaction: another article's report of the same clash then
    proposes the incident just filed, and accepting it as proposed attaches it there."""
    user = users["pak_analyst"]
    first = make_article(user)
    second = make_article(user, KURRAM.replace("in the exchange of fire", "in the heavy exchange of fire overnight"),
                          outlet="The News", url="https://www.thenews.com.pk/2")  # fmt: skip
    clash1, clash2 = pending(first)[0], pending(second)[0]
    assert clash1.group_id is not None and clash1.group_id == clash2.group_id
    d = triage.accept(user, clash1.pk)
    clash2.refresh_from_db()
    assert clash2.group.incident == d.incident
    assert triage.proposal(clash2)["reasons"][0]["feature"] == "decision"
    d2 = triage.accept(user, clash2.pk, incident=triage.proposal(clash2)["incident"].code)
    assert d2.action == DecisionAction.ATTACH and d2.proposed_incident == d.incident
    assert d2.claim.source_name == "ISPR, reported by The News"
