"""The incident list decides visibility from the incident's own flags (has_filed_claim, has_shared_claim,
kept by the services) and one probe of the user's organisation's claims. It must select exactly what the
rule in terms of the claims selects: an incident is visible when it is published or when the user may read
at least one of its claims (claim_visibility_q). Checked here against that rule, written out the slow way,
for every role, after every kind of change to claims; and, on SQLite, that the queries of a list page
reach the claims only one incident at a time, through an index that covers the question.
"""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from sulh.conftest import SPIN_BOLDAK, claim_payload, incident_payload
from sulh.incidents import services
from sulh.incidents.models import SHARED_WITH_PARTIES, Claim, ClaimStatus, Incident, claim_visibility_q
from sulh.incidents.schemas import ClaimIn, IncidentIn
from sulh.incidents.services import IncidentFilter, search_incidents
from sulh.incidents.tests.world import ROLES

pytestmark = pytest.mark.django_db


def _codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def _by_claims(user, f: IncidentFilter | None = None) -> set[str]:
    """The rule as it reads, through the claims: published, or a claim the user may read."""
    readable = Claim.objects.filter(claim_visibility_q(user))
    qs = Incident.objects.filter(Q(id__in=readable.values("incident_id")) | Q(published=True))
    if f and f.party:
        reported = readable.filter(reporting_party=f.party).values("incident_id")
        qs = qs.filter(Q(alleged_violator=f.party) | Q(id__in=reported))
    if f and f.reporting_party:
        qs = qs.filter(id__in=readable.filter(reporting_party=f.reporting_party).values("incident_id"))
    return _codes(qs)


def _check(users) -> None:
    for incident in Incident.objects.all():
        filed = set(incident.claims.filter(status=ClaimStatus.FILED).values_list("audience", flat=True))
        assert incident.has_filed_claim == bool(filed), incident.code
        assert incident.has_shared_claim == any(a in SHARED_WITH_PARTIES for a in filed), incident.code
    filters = [None, IncidentFilter(party="AFG"), IncidentFilter(party="PAK"), IncidentFilter(reporting_party="AFG"),
               IncidentFilter(reporting_party="PAK")]  # fmt: skip
    for role in ROLES:
        for f in filters:
            assert _codes(search_incidents(users[role], f)) == _by_claims(users[role], f), (role, f)


def _claim(**overrides) -> ClaimIn:
    return ClaimIn(**claim_payload(**overrides))


def test_flags_follow_every_change_of_a_claim(world, users):
    _check(users)
    afg_draft, afg_parties = world["afg_draft"]["claim"], world["afg_parties"]["claim"]
    pak_mediators, jmt = world["pak_mediators"]["claim"], world["jmt_mediators"]["claim"]

    # A second draft, then the first draft filed for the parties: mediators, then parties see it.
    services.add_claim(users["afg_commander"], afg_draft.incident, _claim(point=SPIN_BOLDAK, file=False,
                                                                          source_name="Kandahar police"))
    _check(users)
    services.update_draft(users["afg_liaison"], afg_draft.pk, _claim(point=SPIN_BOLDAK, audience="parties", file=False))
    _check(users)
    services.file_claim(users["afg_liaison"], afg_draft.pk)
    _check(users)
    assert Incident.objects.get(pk=afg_draft.incident_id).has_shared_claim

    # The only filed claim withdrawn: only its organisation still sees the incident.
    services.withdraw_claim(users["pak_liaison"], pak_mediators.pk)
    _check(users)
    assert not Incident.objects.get(pk=pak_mediators.incident_id).has_filed_claim

    # A correction for the mediators only: the corrected claim stays filed and shared.
    services.amend_claim(users["afg_liaison"], afg_parties.pk, _claim(point=SPIN_BOLDAK, audience="mediators"))
    _check(users)

    # A mediator's press claim for the parties on a monitors' incident; then withdrawn again.
    press = services.add_claim(users["qat_verifier"], jmt.incident, _claim(source_kind="press", audience="parties",
                                                                          source_name="Al Jazeera"))
    _check(users)
    assert Incident.objects.get(pk=jmt.incident_id).has_shared_claim
    services.withdraw_claim(users["qat_verifier"], press.pk)
    _check(users)
    assert not Incident.objects.get(pk=jmt.incident_id).has_shared_claim

    # Published: the public sees it, whatever its claims.
    services.publish_incident(users["qat_lead"], jmt.incident_id)
    _check(users)


def test_a_new_incident_carries_its_flags(users):
    filed = services.create_incident(users["pak_liaison"], IncidentIn(**incident_payload(audience="parties")))
    assert (filed.incident.has_filed_claim, filed.incident.has_shared_claim) == (True, True)
    draft = services.create_incident(users["pak_liaison"], IncidentIn(**incident_payload(file=False)))
    assert (draft.incident.has_filed_claim, draft.incident.has_shared_claim) == (False, False)
    stored = Incident.objects.get(pk=draft.incident.pk)
    assert (stored.has_filed_claim, stored.has_shared_claim) == (False, False)
    _check(users)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans without statistics: the same on any data")
@pytest.mark.parametrize("role", ["pak_liaison", "qat_verifier", "jmt_monitor", "public"])
@pytest.mark.parametrize("params", [{}, {"party": "AFG"}, {"reporting_party": "PAK"}, {"sector": "S6-KHYBER"}])
def test_list_page_and_count_probe_the_claims_of_one_incident_at_a_time(api, world, role, params):
    """A list page runs two queries (the page, then the count). Neither may read the claims table, or build
    a list of incident ids from it, or reach it other than by one incident's id through an index that
    answers the whole question: at 100,000 incidents that is what made a page take a second."""
    with CaptureQueriesContext(connection) as ctx:
        assert api(role).get("/incidents", limit=50, **params).status_code == 200
    queries = [q["sql"] for q in ctx.captured_queries if '"incidents_incident"' in q["sql"]]
    assert len(queries) == 2, queries
    for sql in queries:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [row[-1] for row in cur.fetchall()]
        assert not any(step.startswith("LIST SUBQUERY") for step in plan), plan
        claim_steps = [s for s in plan if s.startswith(("SCAN U", "SEARCH U"))]
        for step in claim_steps:
            assert step.startswith("SEARCH U") and "COVERING INDEX" in step and "incident_id=?" in step, plan
