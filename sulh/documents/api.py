"""REST endpoints of Co-signed documents (/api/v1/…)."""

from ninja import Router

router = Router(tags=["documents"])
