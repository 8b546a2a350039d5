"""Event taxonomy: ACLED's 6 event types and 25 sub-event types, plus the ceasefire types a mechanism needs.

Source: ACLED Codebook (2023 and later editions), "Event types and sub-event types"; the pairs are
facts copied from it. The ceasefire types are Sulh's own; each maps to the ACLED pair used when an
incident is exported in ACLED's columns (the ceasefire type then goes into `tags`).
"""

ACLED_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}

CEASEFIRE_EVENT_TYPE = "Ceasefire violation"
CEASEFIRE_SUB_TYPES: dict[str, tuple[str, str]] = {
    # sub-type: (ACLED event type, ACLED sub-event type) used for ACLED export
    "Cross-border fire": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "Airspace violation": ("Strategic developments", "Other"),
    "Ground incursion": ("Strategic developments", "Other"),
    "Fortification or construction at the line": ("Strategic developments", "Headquarters or base established"),
    "Closure of a crossing": ("Strategic developments", "Other"),
}

EVENT_TYPES: dict[str, tuple[str, ...]] = {**ACLED_EVENT_TYPES, CEASEFIRE_EVENT_TYPE: tuple(CEASEFIRE_SUB_TYPES)}

# ACLED interaction codes (inter1/inter2).
INTER_CODES: dict[int, str] = {
    1: "State forces",
    2: "Rebel groups",
    3: "Political militias",
    4: "Identity militias",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/other forces",
}

# UCDP GED precision codes.
DATE_PREC: dict[int, str] = {
    1: "exact day",
    2: "span of 2–6 days",
    3: "week",
    4: "month",
    5: "year",
}
WHERE_PREC: dict[int, str] = {
    1: "exact location",
    2: "area around a named place (up to 25 km)",
    3: "second-order administrative division (district)",
    4: "first-order administrative division (province)",
    5: "between a province and the country",
    6: "country",
    7: "water or airspace",
}


def validate_pair(event_type: str, sub_event_type: str) -> str | None:
    """None if the pair is known, else a message naming what is wrong."""
    if event_type not in EVENT_TYPES:
        return f"unknown event_type {event_type!r}; expected one of: {', '.join(EVENT_TYPES)}"
    if sub_event_type not in EVENT_TYPES[event_type]:
        return (
            f"sub_event_type {sub_event_type!r} does not belong to event_type {event_type!r}; "
            f"expected one of: {', '.join(EVENT_TYPES[event_type])}"
        )
    return None


def acled_pair(event_type: str, sub_event_type: str) -> tuple[str, str]:
    if event_type == CEASEFIRE_EVENT_TYPE:
        return CEASEFIRE_SUB_TYPES[sub_event_type]
    return event_type, sub_event_type


def acled_time_precision(date_prec: int) -> int:
    """ACLED time_precision (1 day, 2 week, 3 month or more) from UCDP date_prec."""
    return {1: 1, 2: 2, 3: 2}.get(date_prec, 3)


def acled_geo_precision(where_prec: int) -> int:
    """ACLED geo_precision (1 town, 2 near a town / part of a region, 3 larger region) from UCDP where_prec."""
    return {1: 1, 2: 2}.get(where_prec, 3)


# Severity 1–5, for protocol triggers and penalties (`min_severity` in the charter). Sulh's own scale, from
# the filed claims' casualty figures and the kind of weapon: 1 no casualties, 2 wounded (or heavy weapons
# used without casualties), 3 one to four killed, 4 five to twenty-four killed, 5 twenty-five or more.
HEAVY_WEAPONS = {"Air/drone strike", "Shelling/artillery/missile attack", "Suicide bomb", "Cross-border fire"}


def severity_of(sub_event_type: str, deaths: int, injured: int) -> int:
    if deaths >= 25:
        return 5
    if deaths >= 5:
        return 4
    if deaths >= 1:
        return 3
    if injured >= 1 or sub_event_type in HEAVY_WEAPONS:
        return 2
    return 1
