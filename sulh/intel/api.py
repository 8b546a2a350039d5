"""REST endpoints of Intelligence exchange (/api/v1/…)."""

from ninja import Router

router = Router(tags=["intel"])
