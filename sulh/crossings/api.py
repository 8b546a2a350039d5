"""REST endpoints of Crossings (/api/v1/…)."""

from ninja import Router

router = Router(tags=["crossings"])
