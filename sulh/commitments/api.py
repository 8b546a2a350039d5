"""REST endpoints of Commitments (/api/v1/…)."""

from ninja import Router

router = Router(tags=["commitments"])
