"""Triage (issue 7, part 4): an analyst's decision on each candidate, and only then a claim in the register.

    accept(user, candidate_id, edits, incident=None)  → a PRESS claim, on a new incident or an existing one
    reject(user, candidate_id, reason)                 → nothing filed; the reason is kept
    queue(user)                                        → the desk's articles still awaiting a decision

A decision is immutable and one per candidate: the candidate row is locked while it is made, so a second
decision (two analysts, a double click, a retried request) is refused with Conflict. Everything a decision
changes — the incident and claim (through the incidents services), the Decision and its ledger entry, the
candidate's and article's status — commits in one transaction, so a refused decision changes nothing.

The claim is built from the extracted event (the `sulh media extract` shape) with the analyst's edits laid
over it; `Decision.corrected` names the fields the analyst changed, `Decision.values` is the claim as filed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from pydantic import HttpUrl, TypeAdapter, ValidationError

from sulh.charter.loader import get_charter
from sulh.core.errors import Conflict, ValidationFailed
from sulh.incidents import services as incidents
from sulh.incidents import taxonomy
from sulh.incidents.models import Audience, SourceKind
from sulh.incidents.schemas import MAX_TEXT, ClaimIn, IncidentIn
from sulh.ledger import services as ledger

from . import gazetteer as gz
from . import services
from . import text as tx
from .models import Article, ArticleStatus, Candidate, CandidateStatus, Decision, DecisionAction

# The fields of an extracted event that an analyst may correct (the extract shape), plus the one the register
# needs and the extraction only implies.
EDITABLE = (
    "date_start", "date_end", "date_prec", "locations", "country", "event_type", "sub_event_type", "actors",
    "claimant", "killed", "injured", "summary", "alleged_violator",
)  # fmt: skip
CATEGORIES = ("soldiers", "militants", "civilians")
MAX_REASON = 2000

# Which party's forces each category and actor belong to, by the extractor's labelling conventions
# (shared/eval/media-dev/README.md): "soldiers" are Pakistani security forces; "militants" are Afghan Taliban
# forces, the TTP and other armed groups. A code that is not a party of the charter in force counts for no side.
CATEGORY_PARTY = {"soldiers": "PAK"}
ACTOR_PARTY = {
    "Pakistan Army": "PAK", "Pakistan Air Force": "PAK", "Frontier Corps": "PAK", "Federal Constabulary": "PAK",
    "Afghan Taliban forces": "AFG",
}  # fmt: skip
# Armed groups that are no party: militants' deaths with one of them in the event are of no party's side.
NON_STATE = {"TTP", "BLA", "ISKP", "Hafiz Gul Bahadur group", "Unidentified militants"}
# ACLED interaction codes of the extractor's canonical actors (taxonomy.INTER_CODES).
ACTOR_INTER = {**{a: 1 for a in ACTOR_PARTY}, **{a: 2 for a in NON_STATE}, "Civilians": 7}


# --- reading ---------------------------------------------------------------------------------------------------


def with_counts(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Each article annotated with `pending` (candidates awaiting a decision) and `total` (all its candidates,
    background ones included)."""
    return articles.annotate(
        pending=Count("candidates", filter=Q(candidates__status=CandidateStatus.PENDING)),
        total=Count("candidates"),
    )


def queue(user) -> QuerySet[Article]:
    """The desk's articles with candidates awaiting a decision, the oldest received first, with counts."""
    services.require_media(user)
    return with_counts(services.articles_of(user)).filter(pending__gt=0).order_by("received_at", "code")


def proposal(candidate: Candidate) -> dict:
    """What linking proposes for the candidate's group: attach to an incident (with score and reasons) or a new
    incident (also when linking has not grouped it)."""
    group = candidate.group
    if group is None:
        return {"incident": None, "score": None, "reasons": []}
    return {"incident": group.incident, "score": group.score, "reasons": [_reason(r) for r in group.reasons or []]}


def _reason(r) -> dict:
    """Linking's reason ({"feature", "score", "detail", …}); a bare line of text is a detail."""
    if isinstance(r, dict):
        score = r.get("score")
        return {"feature": str(r.get("feature") or ""), "score": score if isinstance(score, int | float) else None,
                "detail": str(r.get("detail") or "")}  # fmt: skip
    return {"feature": "", "score": None, "detail": str(r)}


def narrative(article_text: str, event: dict) -> str:
    """The article's sentences that the event's evidence spans touch, in order; paragraphs apart."""
    spans = [tuple(s) for s in (event.get("evidence") or {}).get("event", []) if len(s) == 2]
    if not spans:
        return ""
    paras = []
    for p in tx.paragraphs(article_text):
        picked = [s.text for s in tx.sentences(p) if any(a < s.end and s.start < b for a, b in spans)]
        if picked:
            paras.append(" ".join(picked))
    return "\n\n".join(paras)[:MAX_TEXT]


def default_audience(user) -> str:
    return Audience.MEDIATORS if services.mediators_desk(user) else Audience.PARTIES


# --- the claim a decision files ------------------------------------------------------------------------------


def _normal(field: str, value):
    """An event field in one canonical form, to merge edits and to tell which fields the analyst changed.
    Raises ValidationFailed naming the field."""
    if field in ("date_start", "date_end"):
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationFailed(f"{field}: expected a date as YYYY-MM-DD, got {value!r}", field=field) from None
    if field == "date_prec":
        try:
            prec = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"date_prec: expected 1 to 5, got {value!r}", field=field) from None
        if prec not in taxonomy.DATE_PREC:
            raise ValidationFailed(f"date_prec: expected 1 to 5, got {value!r}", field=field)
        return prec
    if field in ("locations", "actors"):
        if value is None:
            return []
        if isinstance(value, str):
            value = value.replace("\n", ",").split(",")
        if not isinstance(value, list | tuple):
            raise ValidationFailed(f"{field}: expected a list of names", field=field)
        return [str(v).strip() for v in value if str(v).strip()]
    if field in ("killed", "injured"):
        return _figures(field, value)
    if field in ("country", "alleged_violator"):
        return (str(value).strip().upper() if value else "") or None
    if field in ("event_type", "sub_event_type", "claimant", "summary"):
        return "" if value is None else str(value).strip()
    raise ValidationFailed(f"unknown field {field!r}; editable: {', '.join(EDITABLE)}", field=field)


def _figures(field: str, value) -> dict:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationFailed(f"{field}: expected figures per category ({', '.join(CATEGORIES)})", field=field)
    unknown = set(value) - set(CATEGORIES)
    if unknown:
        raise ValidationFailed(
            f"{field}: unknown category {sorted(unknown)[0]!r}; expected {', '.join(CATEGORIES)}", field=field
        )
    out = {}
    for cat in CATEGORIES:
        pair = value.get(cat)
        if pair is None:
            out[cat] = None
            continue
        name = f"{field}.{cat}"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValidationFailed(f"{name}: expected null or a [low, high] pair, got {pair!r}", field=name)
        low, high = pair
        if low is None and high is None:
            out[cat] = None
            continue
        if isinstance(low, bool) or not isinstance(low, int) or low < 0 or low > 100_000:
            raise ValidationFailed(f"{name}: the low figure must be a whole number 0–100000", field=name)
        if high is not None and (isinstance(high, bool) or not isinstance(high, int) or high < low or high > 100_000):
            raise ValidationFailed(
                f"{name}: the high figure must be empty (open-ended) or a whole number from {low} to 100000",
                field=name,
            )
        out[cat] = [low, high]
    return out


def extracted(event: dict) -> dict:
    """The editable fields of an extracted event, normalised (alleged_violator derived: the extraction has none)."""
    out = {f: _normal(f, event.get(f)) for f in EDITABLE if f != "alleged_violator"}
    out["alleged_violator"] = _alleged_violator(out)
    return out


def _merge(event: dict, edits: dict) -> tuple[dict, list[str]]:
    base = extracted(event)
    merged = dict(base)
    for field, value in (edits or {}).items():
        merged[field] = _normal(field, value)  # an unknown field is refused here
    if "alleged_violator" not in (edits or {}):
        merged["alleged_violator"] = _alleged_violator(merged)
    corrected = [f for f in EDITABLE if f in (edits or {}) and merged[f] != base[f]]
    return merged, corrected


def _party_codes() -> list[str]:
    return [p.code for p in get_charter().parties]


def _alleged_violator(ev: dict) -> str | None:
    """Who the claim accuses, where it follows from the event: the other party's forces, when they took part,
    as the claimant's party says (ISPR about Afghan Taliban forces) or, for a claimant of no party, in the
    country where it happened (Pakistan's air force striking in Afghanistan). Otherwise nobody."""
    from .claimants import side

    parties = _party_codes()
    if len(parties) != 2:
        return None
    involved = {ACTOR_PARTY.get(a) for a in ev.get("actors") or []} & set(parties)
    accuser = side(ev.get("claimant"))
    if accuser not in parties:
        accuser = ev.get("country") if ev.get("country") in parties else None
    if accuser is None:
        return None
    other = parties[1] if accuser == parties[0] else parties[0]
    return other if other in involved else None


def _place(locations: list[str]):
    if not locations:
        raise ValidationFailed("choose a place: the claim needs a location from the gazetteer", field="locations")
    name = locations[0]
    place = gz.gazetteer().lookup(name)
    if place is None:
        raise ValidationFailed(f"choose a place: {name!r} is not in the gazetteer", field="locations")
    if place.lat is None or place.lon is None:
        raise ValidationFailed(
            f"choose a place: {place.name!r} has no coordinates in the gazetteer; name a district or town",
            field="locations",
        )
    return place, float(place.lat), float(place.lon), int(place.where_prec)


def _casualties(ev: dict) -> dict:
    """The register's columns (UCDP GED: side a and b are the charter's first and second party) from figures
    per category. A part column takes the low figure, the one the source commits to; deaths_low/high and
    injured_low/high are sums, the high one null when any figure is open-ended ("at least 24")."""
    parties = _party_codes()
    actors = set(ev.get("actors") or [])
    militant_party = "AFG" if "Afghan Taliban forces" in actors and not actors & NON_STATE else None
    column = {p: f"deaths_{'ab'[i]}" for i, p in enumerate(parties[:2])}
    out: dict = {}
    killed = ev["killed"]
    for cat in CATEGORIES:
        pair = killed.get(cat)
        if pair is None:
            continue
        if cat == "civilians":
            col = "deaths_civilians"
        else:
            party = CATEGORY_PARTY.get(cat) if cat == "soldiers" else militant_party
            col = column.get(party, "deaths_unknown")
        out[col] = (out.get(col) or 0) + pair[0]
    for kind, prefix in (("killed", "deaths"), ("injured", "injured")):
        pairs = [p for p in ev[kind].values() if p is not None]
        if pairs:
            out[f"{prefix}_low"] = sum(p[0] for p in pairs)
            out[f"{prefix}_high"] = None if any(p[1] is None for p in pairs) else sum(p[1] for p in pairs)
    return out


def _actors(actors: list[str]) -> dict:
    out: dict = {}
    if actors:
        out["actor1"], out["inter1"] = actors[0][:200], ACTOR_INTER.get(actors[0])
    if len(actors) > 1:
        out["actor2"], out["inter2"] = actors[1][:200], ACTOR_INTER.get(actors[1])
    if len(actors) > 2:
        out["assoc_actor_2"] = "; ".join(actors[2:])[:200]
    return out


def _open_ended(ev: dict) -> str:
    parts = [
        f"{cat} {kind} at least {pair[0]}"
        for kind in ("killed", "injured")
        for cat, pair in ev[kind].items()
        if pair is not None and pair[1] is None
    ]
    return ("Open-ended figures in the source: " + "; ".join(parts) + ".") if parts else ""


def _url(url: str) -> str | None:
    """The article's URL when the register takes it (http or https); a claim without one is still filed."""
    try:
        return str(TypeAdapter(HttpUrl).validate_python(url)) if url else None
    except ValidationError:
        return None


def source_name(claimant: str, outlet: str) -> str:
    if not claimant or claimant == "outlet" or claimant == outlet:
        return outlet[:200]
    return f"{claimant}, reported by {outlet}"[:200]


def claim_data(user, candidate: Candidate, ev: dict, *, audience=None, title: str | None = None,
               new_incident: bool) -> ClaimIn:  # fmt: skip
    """The register's claim (an IncidentIn for a new incident) from the merged event. ValidationFailed names the
    field at fault."""
    article = candidate.article
    problem = taxonomy.validate_pair(ev["event_type"], ev["sub_event_type"])
    if problem:
        raise ValidationFailed(
            f"not an event type of the register: {problem}",
            field="event_type" if ev["event_type"] not in taxonomy.EVENT_TYPES else "sub_event_type",
        )
    if ev["date_start"] is None:
        raise ValidationFailed("date_start: the event needs a date", field="date_start")
    end = ev["date_end"] or ev["date_start"]
    if end < ev["date_start"]:
        raise ValidationFailed(f"date_end ({end}) is before date_start ({ev['date_start']})", field="date_end")
    parties = _party_codes()
    for field in ("country", "alleged_violator"):
        if ev[field] and ev[field] not in parties:
            raise ValidationFailed(
                f"{field}: {ev[field]!r} is not a party of the charter; expected {', '.join(parties)} or empty",
                field=field,
            )
    place, lat, lon, where_prec = _place(ev["locations"])
    notes = ev["summary"]
    open_ended = _open_ended(ev)
    if open_ended:
        notes = f"{notes}\n{open_ended}".strip()
    data = {
        "event_type": ev["event_type"],
        "sub_event_type": ev["sub_event_type"],
        "date_start": ev["date_start"],
        "date_end": end,
        "date_prec": ev["date_prec"],
        "latitude": lat,
        "longitude": lon,
        "where_prec": where_prec,
        "location_name": place.name[:200],
        "alleged_violator": ev["alleged_violator"] or "",
        "source_kind": SourceKind.PRESS,
        "source_name": source_name(ev["claimant"], article.outlet),
        "source_url": _url(article.url),
        "audience": audience or default_audience(user),
        "notes": notes[:MAX_TEXT],
        "narrative": narrative(article.text, candidate.event),
        **_actors(ev["actors"]),
        **_casualties(ev),
    }
    if new_incident:
        default = f"{ev['sub_event_type']} in {place.name}"
        data["title"] = (title or "").strip() or default
    schema = IncidentIn if new_incident else ClaimIn
    try:
        return schema(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or None
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        raise ValidationFailed(f"{field}: {msg}" if field else msg, field=field) from None


# --- deciding ------------------------------------------------------------------------------------------------


def _lock_pending(user, candidate_id) -> Candidate:
    candidate = services.get_candidate(user, candidate_id, for_update=True)
    if candidate.status == CandidateStatus.BACKGROUND:
        raise Conflict("this is a background mention (context, not news): it is not for triage", field="candidate")
    if candidate.status != CandidateStatus.PENDING or Decision.objects.filter(candidate=candidate).exists():
        raise Conflict(f"this candidate is already decided ({candidate.get_status_display()})", field="candidate")
    return Candidate.objects.select_related("article", "group", "group__incident").get(pk=candidate.pk)


def _close(user, candidate: Candidate, decision: Decision, status: str) -> Decision:
    ledger.record(decision, "media_decision.made", actor=user)
    candidate.status = status
    candidate.save(update_fields=["status"])
    article = candidate.article
    if not article.candidates.filter(status=CandidateStatus.PENDING).exists():
        article.status = ArticleStatus.TRIAGED
        article.save(update_fields=["status"])
    from . import linking

    # linking is being built alongside: until it offers refresh_group, there is no proposal to redo
    refresh = getattr(linking, "refresh_group", None)
    if refresh is not None and candidate.group_id:
        refresh(candidate.group)
    return decision


def accept(user, candidate_id, edits: dict | None = None, *, incident: str | None = None, audience=None,
           title: str | None = None) -> Decision:  # fmt: skip
    """File the candidate as a PRESS claim: on a new incident (`incident` None) or on `incident` (code or id, one
    the user can see), with the analyst's `edits` over the extraction."""
    services.require_media(user)
    if audience is not None and audience not in Audience.values:
        raise ValidationFailed(f"audience: expected one of {', '.join(Audience.values)}", field="audience")
    with transaction.atomic():
        candidate = _lock_pending(user, candidate_id)
        ev, corrected = _merge(candidate.event, edits or {})
        target = incidents.get_incident(user, incident) if incident else None
        data = claim_data(user, candidate, ev, audience=audience, title=title, new_incident=target is None)
        if target is None:
            claim = incidents.create_incident(user, data)
            action = DecisionAction.NEW_INCIDENT
        else:
            claim = incidents.add_claim(user, target, data)
            action = DecisionAction.ATTACH
        values = data.model_dump(mode="json", exclude={"file"})
        values["incident"] = claim.incident.code
        decision = Decision.objects.create(
            candidate=candidate,
            action=action,
            incident=claim.incident,
            claim=claim,
            proposed_incident=candidate.group.incident if candidate.group_id else None,
            values=values,
            corrected=corrected,
            decided_by=user,
        )
        return _close(user, candidate, decision, CandidateStatus.ACCEPTED)


def reject(user, candidate_id, reason: str) -> Decision:
    """Nothing is filed; the reason is kept with the decision and logged."""
    services.require_media(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"the reason is longer than {MAX_REASON} characters", field="reason")
    with transaction.atomic():
        candidate = _lock_pending(user, candidate_id)
        decision = Decision.objects.create(
            candidate=candidate,
            action=DecisionAction.REJECT,
            proposed_incident=candidate.group.incident if candidate.group_id else None,
            reason=reason,
            decided_by=user,
        )
        return _close(user, candidate, decision, CandidateStatus.REJECTED)
