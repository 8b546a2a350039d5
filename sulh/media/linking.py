"""Linking (issue 7, part 3): group candidates about the same incident, propose an incident for each group.

CONTRACT (being built): `link_candidates(candidates)` runs in the caller's transaction after new pending
candidates are stored; it assigns each a CandidateGroup (joining existing groups of the same organisation
where they describe the same incident) and sets the group's proposal (incident or None, score, reasons)."""

from __future__ import annotations


def link_candidates(candidates) -> None:
    """Placeholder while linking is built in this session: leaves candidates ungrouped."""
    return None
