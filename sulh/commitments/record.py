"""Each party's record of commitments: what it owed, and what became of it (docs/commitments.md).

A read-only summary of the obligations the caller may see; it decides nothing. An obligation owed by both
parties (a mutual one) counts in both records."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.utils import timezone

from sulh.charter.loader import get_charter

from . import services
from .models import Obligation, ObligationState

OPEN = (ObligationState.PENDING, ObligationState.IN_PROGRESS)


@dataclass
class PartyRecord:
    party: str
    owed: int = 0
    met_on_time: int = 0
    met_late: int = 0
    partly_met: int = 0
    breached: int = 0
    disputed: int = 0
    open: int = 0
    overdue: int = 0
    obligations: dict[str, list[str]] = field(default_factory=dict)  # category -> codes

    @property
    def met(self) -> int:
        return self.met_on_time + self.met_late

    @property
    def judged(self) -> int:
        """Obligations whose outcome counts: met, partly met, breached, or still open past their due time."""
        return self.met + self.partly_met + self.breached + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Share of the counted obligations met in full by their due time; None while none counts."""
        return round(self.met_on_time / self.judged, 4) if self.judged else None

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met, "judged": self.judged, "on_time_rate": self.on_time_rate}


def category(ob: Obligation, now: dt.datetime) -> str:
    """Where one obligation stands in its parties' records."""
    if ob.state == ObligationState.MET:
        done = ob.state_changed_at
        return (
            "met_late" if ob.due_at is not None and done is not None and done > ob.due_at else "met_on_time"
        )
    if ob.state in (ObligationState.PARTLY_MET, ObligationState.BREACHED, ObligationState.DISPUTED):
        return str(ob.state)
    return "overdue" if ob.due_at is not None and ob.due_at < now else "open"


def party_records(user, *, now: dt.datetime | None = None, obligations=None) -> list[PartyRecord]:
    """One record per party of the charter, from the obligations `user` may see (nothing for others)."""
    now = now or timezone.now()
    records = {p.code: PartyRecord(p.code) for p in get_charter().parties}
    if not services.can_read(user):
        return []
    rows = obligations if obligations is not None else services.visible_obligations(user).order_by("code")
    for ob in rows:
        cat = category(ob, now)
        for party in ob.obliged:
            r = records.get(party)
            if r is None:
                continue
            r.owed += 1
            setattr(r, cat, getattr(r, cat) + 1)
            r.obligations.setdefault(cat, []).append(ob.code)
    return list(records.values())


LIST_LIMIT = 50


def dashboard(user, *, now: dt.datetime | None = None) -> dict:
    """What is due this week, what is overdue, the active warnings, and each party's record."""
    now = now or timezone.now()
    week = now + services.WEEK
    visible = services.visible_obligations(user).filter(state__in=services.OPEN_STATES)
    due = visible.filter(Q(due_at__gte=now, due_at__lt=week) | Q(ends_at__gte=now, ends_at__lt=week))
    overdue = visible.filter(due_at__lt=now)
    # The page is opened on slow links: its lists are capped (the most pressing first: soonest due, longest
    # overdue), with their full counts; the whole lists are in the API's filtered obligation list. The records
    # read only the five columns they count from: at thousands of obligations, whole rows with their joins
    # cost most of the page.
    light = (
        services.visible_obligations(user)
        .select_related(None)
        .only("code", "obliged", "state", "state_changed_at", "due_at")
        .order_by("code")
    )
    return {
        "now": now,
        "due_this_week": list(due.select_related("due_after").order_by("due_at", "code")[:LIST_LIMIT]),
        "due_this_week_total": due.count(),
        "overdue": list(overdue.select_related("due_after").order_by("due_at", "code")[:LIST_LIMIT]),
        "overdue_total": overdue.count(),
        "limit": LIST_LIMIT,
        "warnings": list(services.active_warnings(user, now=now)[:LIST_LIMIT]),
        "records": party_records(user, now=now, obligations=light.iterator(chunk_size=2000)),
    }
