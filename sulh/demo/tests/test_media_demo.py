"""The demonstration media desks load on top of the demo scenario: Türkiye's desk has articles with candidates
awaiting triage, one accepted onto a register incident (a PRESS claim) and one rejected with its reason, all
in the ledger; Qatar's desk sees only its own copies; a second load changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from sulh.accounts.models import User
from sulh.conftest import ApiClient, console_client
from sulh.core.errors import NotFound
from sulh.demo import media as demo_media
from sulh.incidents.models import Claim, SourceKind
from sulh.ledger.models import LogEntry
from sulh.media import services, triage
from sulh.media.models import Article, Candidate, CandidateGroup, CandidateStatus, Decision, DecisionAction

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(
        m.objects.count() for m in (Article, Candidate, CandidateGroup, Decision, Claim, LogEntry)
    )


def test_demo_media_desks_load_on_top_of_the_demo():
    out = StringIO()
    call_command("demo", incidents=40, stdout=out)  # the scenario loads every demo part, media last
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… media:" in x]
    assert len(said) == 3 and "accepted a candidate onto AFPK-" in said[-1]
    tur, qat = User.objects.get(username="tur.analyst"), User.objects.get(username="qat.analyst")

    # Türkiye's desk: every article received, each written for the demo and saying so; a queue with work.
    mine = services.articles_of(tur)
    assert mine.count() == sum(demo_media.TUR_DESK in a.desks for a in demo_media.ARTICLES) == 5
    assert all(a.text.startswith("DEMONSTRATION article written for the Sulh demo") for a in mine)
    assert {a.outlet for a in mine} <= {a.outlet for a in demo_media.ARTICLES}
    assert triage.queue(tur).count() >= 3
    page = console_client(tur).get("/media/").content.decode()
    assert all(a.code in page for a in triage.queue(tur))
    assert Candidate.objects.filter(article__in=mine, status=CandidateStatus.PENDING).count() >= 4
    assert Candidate.objects.filter(article__in=mine, group__incident__isnull=False).exists()  # real proposals
    # The background explainer queues nothing.
    explainer = mine.get(filename="05_background_durand_line.txt")
    assert not explainer.candidates.filter(status=CandidateStatus.PENDING).exists()

    # One accepted: a PRESS claim on the demo incident of the 24–25 October night, as the desk's analyst filed it.
    accepted = Decision.objects.get(decided_by=tur, action__in=[DecisionAction.ATTACH, DecisionAction.NEW_INCIDENT])
    assert accepted.candidate.article.filename == demo_media.ACCEPT_FROM
    assert accepted.incident.is_demo and "Spinwam" in accepted.incident.title
    claim = accepted.claim
    assert (claim.source_kind, claim.incident_id, claim.organisation.code) == (SourceKind.PRESS, accepted.incident_id,
                                                                             "TUR")  # fmt: skip
    assert "Frontier Wire (demo)" in claim.source_name
    assert claim.deaths_low is not None and claim.deaths_low >= 25
    # One rejected, with its reason; nothing filed for it.
    rejected = Decision.objects.get(decided_by=tur, action=DecisionAction.REJECT)
    assert rejected.reason == demo_media.REJECT_REASON and rejected.claim is None
    assert rejected.candidate.status == CandidateStatus.REJECTED
    assert Decision.objects.count() == 2

    # The ledger holds the articles, their candidates and both decisions.
    for model, kind in ((Article, "media_article.received"), (Candidate, "media_candidate.extracted"),
                        (Decision, "media_decision.made")):  # fmt: skip
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        logged = set(LogEntry.objects.filter(kind=kind).values_list("record_id", flat=True))
        assert ids and ids <= logged, kind
    assert LogEntry.objects.get(kind="media_decision.made", record_id=str(rejected.pk)).actor_org == "TUR"

    # Qatar's desk: its own copies only; Türkiye's articles and candidates are not found there.
    theirs = services.articles_of(qat)
    assert theirs.count() == 3 and not theirs.filter(organisation=tur.organisation).exists()
    shared = mine.get(filename=demo_media.ACCEPT_FROM)
    assert theirs.filter(sha256=shared.sha256).exclude(pk=shared.pk).exists()  # the same bytes, Qatar's own copy
    with pytest.raises(NotFound):
        services.get_article(qat, shared.code)
    with pytest.raises(NotFound):
        services.get_candidate(qat, accepted.candidate_id)
    for user, status in ((qat, 404), (tur, 200)):
        assert ApiClient(user).get(f"/media/articles/{shared.code}").status_code == status, user.username
        assert console_client(user).get(f"/media/{shared.code}").status_code == status, user.username

    # A second load changes nothing.
    before = _counts()
    again: list[str] = []
    demo_media.load(again.append)
    assert again == ["media: already loaded"] and _counts() == before
