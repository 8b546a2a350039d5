"""REST endpoints of Detainee exchanges (/api/v1/…)."""

from ninja import Router

router = Router(tags=["exchanges"])
