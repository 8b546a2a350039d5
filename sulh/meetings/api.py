"""REST endpoints of Meetings (/api/v1/…)."""

from ninja import Router

router = Router(tags=["meetings"])
