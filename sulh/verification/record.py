"""Corroboration (advice to the verifiers on a case) and each party's compliance record.

Both are read-only summaries computed from what the caller may see: nothing here changes a record, and
nothing here is a finding. The verifiers weigh the corroboration; the mediators' signed finding decides."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext as _

from sulh.accounts.models import OrganisationKind
from sulh.charter.loader import get_charter
from sulh.core.errors import NotFound, PermissionDenied

from . import visibility as v
from .models import (
    Case,
    ComplaintState,
    Finding,
    FindingState,
    Outcome,
    PenaltyDecision,
    PlanItem,
    PlanKind,
    PlanState,
)

# Two accounts of one incident agree on the place when their points are closer than this. The charter's
# sectors are tens of km wide; reported points of a single exchange of fire are usually within a few km.
PLACE_AGREES_KM = 5.0
EARTH_RADIUS_KM = 6371.0088


def _org(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return getattr(user, "organisation", None)


# --- corroboration ---------------------------------------------------------------------------------------------


def get_case(user, ref) -> Case:
    """A case by code or id, for the mediators only (others: NotFound, existence not leaked)."""
    if not v.is_mediator(user):
        raise NotFound(f"no case {ref!r}")
    text = str(ref)
    try:
        flt = Q(pk=uuid.UUID(text))
    except ValueError:
        flt = Q(code=text)
    case = Case.objects.filter(flt).first()
    if case is None:
        raise NotFound(f"no case {text!r}")
    return case


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def casualty_range(claim, what: str) -> tuple[int, int] | None:
    """(low, high) of a claim's deaths or injured: its low/high figures, else its best figure; for deaths,
    failing those, the sum of its UCDP-style counts by side. None when the claim gives no figure."""
    low, best, high = (getattr(claim, f"{what}_{k}") for k in ("low", "best", "high"))
    if best is None and low is None and high is None and what == "deaths":
        parts = [claim.deaths_a, claim.deaths_b, claim.deaths_civilians, claim.deaths_unknown]
        if any(p is not None for p in parts):
            best = sum(p or 0 for p in parts)
    given = [x for x in (low, best, high) if x is not None]
    if not given:
        return None
    return (low if low is not None else min(given), high if high is not None else max(given))


def source_key(claim) -> tuple[str, str]:
    """What makes a source independent of another (see `corroboration`)."""
    kind = claim.source_kind
    if kind == "party":
        return ("party", claim.reporting_party or claim.organisation.code)
    if kind == "monitoring_post":
        return ("monitoring_post", claim.post_code or claim.organisation.code)
    if kind == "press":
        return ("press", " ".join(claim.source_name.split()).casefold())
    return (kind, claim.organisation.code)


def _current_claims(user, incident) -> list:
    """Filed claims the user may read, less those corrected by a newer claim (the correction stands for them)."""
    from sulh.incidents.models import ClaimStatus
    from sulh.incidents.services import claims_of

    claims = list(claims_of(user, incident).filter(status=ClaimStatus.FILED))
    corrected = {c.supersedes_id for c in claims if c.supersedes_id}
    return [c for c in claims if c.pk not in corrected]


def _claim_out(c) -> dict:
    deaths, injured = casualty_range(c, "deaths"), casualty_range(c, "injured")
    return {
        "id": str(c.pk), "code": c.code, "source_kind": c.source_kind, "organisation": c.organisation.code,
        "reporting_party": c.reporting_party, "source_name": c.source_name, "post_code": c.post_code,
        "filed_at": c.filed_at, "date_start": c.date_start, "date_end": c.date_end,
        "latitude": c.latitude, "longitude": c.longitude, "location_name": c.location_name,
        "alleged_violator": c.alleged_violator,
        "deaths_low": c.deaths_low, "deaths_best": c.deaths_best, "deaths_high": c.deaths_high,
        "injured_low": c.injured_low, "injured_best": c.injured_best, "injured_high": c.injured_high,
        "deaths_range": list(deaths) if deaths else None, "injured_range": list(injured) if injured else None,
    }  # fmt: skip


def _compare(a, b) -> dict:
    """Do two claims (the two parties' accounts) agree on time, place and casualties? Ranges are keyed by
    the claims' reporting parties."""
    out = {}
    overlap = a.date_start <= b.date_end and b.date_start <= a.date_end
    if overlap:
        out["time"] = {"verdict": "agree", "gap_hours": 0.0, "note": _("The time ranges overlap.")}
    else:
        gap = (max(a.date_start, b.date_start) - min(a.date_end, b.date_end)).total_seconds() / 3600
        out["time"] = {"verdict": "disagree", "gap_hours": round(gap, 2),
                       "note": _("The time ranges are %(h).1f hours apart.") % {"h": gap}}  # fmt: skip
    km = km_between(a.latitude, a.longitude, b.latitude, b.longitude)
    near = km < PLACE_AGREES_KM
    out["place"] = {
        "verdict": "agree" if near else "disagree", "distance_km": round(km, 2), "threshold_km": PLACE_AGREES_KM,
        "note": (_("The points are %(km).1f km apart (under %(t).0f km).") if near
                 else _("The points are %(km).1f km apart (%(t).0f km or more).")) % {"km": km, "t": PLACE_AGREES_KM},
    }  # fmt: skip
    for what, label in (("deaths", _("deaths")), ("injured", _("injured"))):
        ra, rb = casualty_range(a, what), casualty_range(b, what)
        ranges = {a.reporting_party: list(ra) if ra else None, b.reporting_party: list(rb) if rb else None}
        if ra is None or rb is None:
            out[what] = {"verdict": "unknown", "ranges": ranges,
                         "note": _("Not both accounts give a figure for %(what)s.") % {"what": label}}  # fmt: skip
        elif ra[0] <= rb[1] and rb[0] <= ra[1]:
            out[what] = {"verdict": "agree", "ranges": ranges,
                         "note": _("The ranges of %(what)s overlap.") % {"what": label}}  # fmt: skip
        else:
            out[what] = {"verdict": "disagree", "ranges": ranges,
                         "note": _("The ranges of %(what)s do not overlap.") % {"what": label}}  # fmt: skip
    return out


def _evidence_check(ev, store, entries_by_id: dict, signed_size: int) -> dict:
    """Does the stored file still hash to the recorded SHA-256; is the row in the log, as logged; is that
    entry under a signed checkpoint (the log's signature then vouches for it)?"""
    from sulh.ledger import records

    stored = store.exists(ev.sha256)
    hash_ok = stored and store.verify(ev.sha256)
    entry = entries_by_id.get(str(ev.pk))
    # The log holds SHA-256(salt ‖ content); content includes the file's hash, so a row whose recorded
    # hash was changed no longer opens the entry's commitment.
    matches = entry is not None and records.commitment(bytes(entry.salt), records.type_of(ev).content(ev)) == entry.content_sha256
    return {
        "id": str(ev.pk), "kind": ev.kind, "organisation": ev.organisation.code, "incident": ev.incident.code,
        "claim": ev.claim.code if ev.claim_id else None, "sha256": ev.sha256, "size": ev.size,
        "uploaded_at": ev.uploaded_at, "captured_at": ev.captured_at,
        "stored": stored, "hash_ok": hash_ok, "in_log": entry is not None, "log_index": entry.index if entry else None,
        "log_matches_row": matches, "signed_checkpoint": entry is not None and entry.index < signed_size,
    }  # fmt: skip


def corroboration(user, case_or_incidents) -> dict:
    """How far the claims and evidence on a case (or on some incidents) corroborate one another: advice to
    the verifiers, never the finding. Only claims and evidence the user may read are counted.

    Claims: filed, and the newest version of each (a correction stands for the claim it corrects).

    Independence: two claims come from the same source when they share
    - for a party's claim: the reporting party (all of one party's spokesmen, commands and ministries count
      once: each party's own claims are one source, so the two parties give at most two);
    - for a joint monitoring post's claim: the post (each post's observers are a separate team);
    - for a press claim: the outlet's name (spaces and case ignored);
    - for a mediator's claim: the mediating organisation.
    `independent_sources` is the number of distinct sources; `beyond_the_parties` those that are not a party's.
    A press report that merely repeats a party's statement cannot be told apart here: the verifiers judge that.

    The parties' accounts (per incident, each party's newest claim) agree on time when their date ranges
    overlap, on place when their points are under PLACE_AGREES_KM apart, on casualties when the ranges
    (low–high, else best) overlap."""
    from sulh.evidence.models import Evidence
    from sulh.evidence.services import visible_evidence
    from sulh.evidence.storage import EvidenceStore
    from sulh.incidents.models import Incident, visible_incidents
    from sulh.ledger import services as ledger
    from sulh.ledger.models import LogEntry

    case = case_or_incidents if isinstance(case_or_incidents, Case) else None
    if case is not None:
        incidents = list(visible_incidents(user).filter(pk__in=case.incidents.values("pk")).order_by("date_start", "code"))
    else:
        items = [case_or_incidents] if isinstance(case_or_incidents, Incident) else list(case_or_incidents)
        incidents = list(visible_incidents(user).filter(pk__in=[i.pk for i in items]).order_by("date_start", "code"))
    parties = [p.code for p in get_charter().parties]

    per_incident, all_claims = [], []
    for incident in incidents:
        claims = _current_claims(user, incident)
        all_claims += claims
        accounts = {}
        for c in claims:  # newest last: each party's newest claim is its account
            if c.source_kind == "party" and c.reporting_party in parties:
                accounts[c.reporting_party] = c
        if len(accounts) == 2:
            agreement = _compare(accounts[parties[0]], accounts[parties[1]])
        else:
            missing = [p for p in parties if p not in accounts]
            note = _("No account from %(parties)s to compare.") % {"parties": ", ".join(missing)}
            agreement = {k: {"verdict": "unknown", "note": note} for k in ("time", "place", "deaths", "injured")}
        per_incident.append({
            "incident": incident.code, "title": incident.title, "claims": [_claim_out(c) for c in claims],
            "accounts": {p: (accounts[p].code if p in accounts else None) for p in parties},
            "agreement": agreement,
        })  # fmt: skip

    sources = sorted({source_key(c) for c in all_claims})
    beyond = [s for s in sources if s[0] != "party"]
    posts = sorted({c.post_code or c.organisation.code for c in all_claims if c.source_kind == "monitoring_post"})

    # Evidence: on the incidents, and cited by the complaint and a submitted reply, as far as the user may see.
    ev_q = Q(incident__in=incidents)
    if case is not None and case.complaint_id:
        cited = list(case.complaint.evidence_ids)
        reply = getattr(case.complaint, "reply", None)  # the reverse one-to-one raises an AttributeError when absent
        if reply is not None and not reply.is_draft:
            cited += list(reply.evidence_ids)
        ev_q |= Q(pk__in=cited)
    evidence = list(
        visible_evidence(user).filter(pk__in=Evidence.objects.filter(ev_q).values("pk"))
        .select_related("organisation", "incident", "claim__incident").order_by("uploaded_at")
    )  # fmt: skip
    latest: dict[str, LogEntry] = {}
    for e in LogEntry.objects.filter(record_type="evidence", record_id__in=[str(x.pk) for x in evidence]).order_by("index"):
        latest[e.record_id] = e
    store = EvidenceStore()
    checkpoint = ledger.latest_checkpoint()
    signed_size = checkpoint.size if checkpoint is not None else 0
    checks = [_evidence_check(ev, store, latest, signed_size) for ev in evidence]
    intact = sum(1 for c in checks if c["hash_ok"] and c["in_log"] and c["log_matches_row"])
    signed = sum(1 for c in checks if c["signed_checkpoint"])

    def summary(key: str) -> dict:
        verdicts = Counter(i["agreement"][key]["verdict"] for i in per_incident)
        if not per_incident or verdicts["unknown"] == len(per_incident):
            verdict = "unknown"
        elif verdicts["disagree"]:
            verdict = "disagree"
        else:
            verdict = "agree"
        return {"verdict": verdict, "incidents": dict(verdicts)}

    n_sources = len(sources)
    return {
        "case": case.code if case else None,
        "incidents": per_incident,
        "sources": {
            "independent_sources": n_sources, "beyond_the_parties": len(beyond),
            "list": [{"kind": k, "source": s} for k, s in sources],
            "verdict": "corroborated" if len(beyond) >= 1 and n_sources >= 2 else "uncorroborated",
            "note": _("%(n)d independent sources, %(b)d of them not a party.") % {"n": n_sources, "b": len(beyond)},
        },
        "monitoring_post": {
            "observed": bool(posts), "posts": posts,
            "note": _("Observed by a joint monitoring post.") if posts else _("No joint monitoring post reported it."),
        },
        "evidence": {
            "count": len(checks), "intact": intact, "under_signed_checkpoint": signed, "items": checks,
            "verdict": "intact" if intact == len(checks) else "compromised",
            "note": _("%(ok)d of %(n)d files hash to their recorded SHA-256 and are in the log as recorded.")
            % {"ok": intact, "n": len(checks)},
        },
        "agreement": {k: summary(k) for k in ("time", "place", "deaths", "injured")},
    }  # fmt: skip


# --- compliance record ---------------------------------------------------------------------------------------


def _states(rows: Iterable, key) -> dict:
    return dict(Counter(key(r) for r in rows))


def compliance_record(user, party: str) -> dict:
    """One party's record in the mechanism: complaints against it and by it, requests for information to it,
    published findings concerning it, penalties, and its protocol steps.

    Who may read it: both parties and the mediators — a party may read the other's record too (it is the
    mechanism's shared view of how each side complies). Monitors, the operator and the public may not
    (PermissionDenied). Every count is derived only from rows the caller may see, through the same rules as
    everywhere else (visible_complaints, visible_cases/visible_plan, visible_findings, protocols.visible_tasks):
    so a party sees the other party's requests for information only as far as visible_plan shows them to it
    (today: not at all), and findings only once published."""
    from sulh.protocols import services as protocols

    org = _org(user)
    if org is None or org.kind not in (OrganisationKind.PARTY, OrganisationKind.MEDIATOR):
        raise PermissionDenied("compliance records are for the parties and the mediators")
    charter = get_charter()
    if party not in {p.code for p in charter.parties}:
        raise NotFound(f"no party {party!r} in the charter")
    from .services import visible_complaints

    # Complaints against the party, and how it answered them.
    against = list(visible_complaints(user).filter(accused=party).select_related("reply"))

    def answer(c) -> str:
        reply = getattr(c, "reply", None)
        if reply is not None and not reply.is_draft:
            return "replied_late" if reply.late else "replied_on_time"
        return "silent" if c.state == ComplaintState.SILENT else "awaiting_reply"

    replies = Counter(answer(c) for c in against)
    lodged = list(visible_complaints(user).filter(complainant=party))

    # Requests for information addressed to the party, in cases the user sees, as visible_plan shows them.
    rfis = PlanItem.objects.filter(kind=PlanKind.INFORMATION_REQUEST, party=party, case__in=v.visible_cases(user))
    if not v.is_mediator(user):
        rfis = rfis.filter(party=org.code)
    rfi_states = Counter(rfis.values_list("state", flat=True))

    # Published findings concerning the party: it was found responsible, or the case was about a complaint
    # against it, or (a case on the mediators' own initiative) one of the incidents alleges it violated.
    published = v.visible_findings(user).filter(state=FindingState.PUBLISHED)
    concerning = published.filter(
        Q(responsible=party) | Q(case__complaint__accused=party)
        | Q(case__complaint__isnull=True, case__incidents__alleged_violator=party)
    ).distinct()  # fmt: skip
    superseded_ids = set(
        Finding.objects.filter(supersedes__in=concerning, state=FindingState.PUBLISHED).values_list("supersedes_id", flat=True)
    )
    current = [f for f in concerning.select_related("case") if f.pk not in superseded_ids]
    verified = [f for f in current if f.outcome == Outcome.VERIFIED and f.responsible == party]
    findings = {
        "verified": len(verified),
        "verified_by_confidence": _states(verified, lambda f: f.confidence or "unstated"),
        "no_violation": sum(1 for f in current if f.outcome == Outcome.NO_VIOLATION),
        "inconclusive": sum(1 for f in current if f.outcome == Outcome.INCONCLUSIVE),
        "superseded": len(superseded_ids),
        "items": [
            {"id": str(f.pk), "case": f.case.code, "outcome": f.outcome, "responsible": f.responsible,
             "confidence": f.confidence, "clause": f.clause, "published_at": f.published_at}
            for f in current
        ],
    }  # fmt: skip

    penalties = list(
        PenaltyDecision.objects.filter(party=party, finding__in=published).select_related("finding__case").order_by("finding__published_at")
    )
    pen_counts = Counter(p.decision for p in penalties)

    protocol_row = next((r for r in protocols.compliance(user) if r["party"] == party), None)
    breaches = [
        {"id": str(t.pk), "protocol": t.run.protocol, "step": t.step, "name": t.name, "state": t.state,
         "due_at": t.due_at, "breached_at": t.breached_at, "met_at": t.met_at}
        for t in protocols.breaches(user, party)[:100]
    ]  # fmt: skip

    return {
        "party": party,
        "complaints_against": {
            "total": len(against),
            **{k: replies.get(k, 0) for k in ("replied_on_time", "replied_late", "silent", "awaiting_reply")},
            # A late reply follows a recorded silence: the silence stays on the record.
            "silence_recorded": sum(1 for c in against if c.silent_at is not None),
        },
        "complaints_lodged": {
            "total": len(lodged),
            "by_state": {s: sum(1 for c in lodged if c.state == s) for s in ComplaintState.values},
        },
        "information_requests": {
            "total": sum(rfi_states.values()),
            "answered": rfi_states.get(PlanState.ANSWERED, 0), "refused": rfi_states.get(PlanState.REFUSED, 0),
            "ignored": rfi_states.get(PlanState.IGNORED, 0), "pending": rfi_states.get(PlanState.PLANNED, 0),
        },  # fmt: skip
        "findings": findings,
        "penalties": {
            "total": len(penalties),
            **{d: pen_counts.get(d, 0) for d in PenaltyDecision.Decision.values},
            "items": [
                {"id": str(p.pk), "penalty": p.penalty, "decision": p.decision, "case": p.finding.case.code,
                 "finding": str(p.finding_id), "decided_at": p.decided_at}
                for p in penalties
            ],
        },  # fmt: skip
        "protocol_steps": {"summary": protocol_row, "breaches": breaches},
        "intel": _intel_record(user, party),
    }


# --- intelligence exchange (sulh/intel) -------------------------------------------------------------------------
# A clearly separate section: how the party acknowledged and answered the threat reports it received, counted
# by sulh.intel.services.party_record over the exchanges the reader may see (a party sees every exchange it is
# in, and every report goes from one party to the other; the mediators see all).


def _intel_record(user, party: str) -> dict:
    from sulh.intel import services as intel

    return intel.party_record(party, intel.visible_reports(user))

