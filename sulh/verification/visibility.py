"""Who sees what in verification. Kept in one place: every service, API view, console page and the log's
record openings ask these functions.

- Complaints: both parties to it and the mediators (services.visible_complaints).
- Draft replies: the accused party only; submitted replies: whoever sees the complaint (services.can_read_reply).
- Cases: the mediators; each party sees the cases on its complaints or about incidents it can see, with
  their plan items addressed to it (requests for information) — not the mediators' internal steps.
- Findings: drafts and findings being signed only by the mediators; published findings by both parties,
  the mediators and the joint monitoring team.
- Mediator keys: everyone (they are what signatures are checked with)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sulh.accounts.models import OrganisationKind

from .models import Case, Finding, FindingState, PlanItem, PlanKind


def _org(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


def is_mediator(user) -> bool:
    org = _org(user)
    return org is not None and org.kind == OrganisationKind.MEDIATOR


def visible_cases(user) -> QuerySet[Case]:
    org = _org(user)
    if org is None:
        return Case.objects.none()
    if org.kind == OrganisationKind.MEDIATOR:
        return Case.objects.all()
    if org.kind == OrganisationKind.PARTY:
        from sulh.incidents.models import visible_incidents

        mine = Q(complaint__complainant=org.code) | Q(complaint__accused=org.code)
        about = Q(incidents__in=visible_incidents(user))
        return Case.objects.filter(mine | about).distinct()
    return Case.objects.none()


def visible_plan(user, case: Case) -> QuerySet[PlanItem]:
    if is_mediator(user):
        return case.plan.all()
    org = _org(user)
    if org is None or not visible_cases(user).filter(pk=case.pk).exists():
        return PlanItem.objects.none()
    return case.plan.filter(kind=PlanKind.INFORMATION_REQUEST, party=org.code)


def visible_findings(user) -> QuerySet[Finding]:
    org = _org(user)
    if org is None:
        return Finding.objects.none()
    if org.kind == OrganisationKind.MEDIATOR:
        return Finding.objects.all()
    published = Finding.objects.filter(state=FindingState.PUBLISHED)
    if org.kind == OrganisationKind.MONITORING:
        return published
    if org.kind == OrganisationKind.PARTY:
        return published.filter(case__in=visible_cases(user))
    return Finding.objects.none()
