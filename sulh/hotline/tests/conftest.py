"""Fixtures of the hotline's tests: the desks of sector S2 up to the national headquarters and the mediators'
cell, each held by one officer, and API clients speaking for them."""

import datetime as dt

import pytest
from django.utils import timezone

from sulh.conftest import ApiClient
from sulh.deadlines.models import Deadline
from sulh.hotline import services

from .hotline_world import SharedDatabase

DESKS = [
    ("AFG-S2", "AFG", "commander"), ("PAK-S2", "PAK", "commander"), ("AFG-R-SOUTH", "AFG", "commander"),
    ("PAK-R-SOUTH", "PAK", "commander"), ("AFG-HQ", "AFG", "commander"), ("PAK-HQ", "PAK", "commander"),
    ("MED-CELL", "QAT", "verifier"),
]  # fmt: skip


@pytest.fixture
def desks(users, make_user):
    """Post code -> the officer holding it (on duty). Usernames are the post codes in lower case."""
    admin = users["ops_admin"]
    holders = {}
    for code, org, role in DESKS:
        u = make_user(code.lower(), org, role)
        services.assign_holder(admin, code, u)
        holders[code] = u
    return holders


@pytest.fixture
def desk_api(desks):
    """Post code -> an API client with a token of the post's holder."""
    cache: dict[str, ApiClient] = {}

    def for_desk(code: str) -> ApiClient:
        if code not in cache:
            cache[code] = ApiClient(desks[code])
        return cache[code]

    return for_desk


def due_now(**filters) -> int:
    """Make pending acknowledgement deadlines due: the clock is not ours to move, the stored rows are."""
    now = timezone.now()
    return Deadline.objects.filter(state="pending", kind=services.ACK_DEADLINE, **filters).update(
        due_at=now - dt.timedelta(seconds=1), run_at=now
    )


def outgoing(**kw) -> services.Outgoing:
    data = {"channel": "S2-CHAMAN", "message_type": "hold_fire_request", "priority": "flash",
            "body": "Hold fire at the Friendship Gate"}  # fmt: skip
    data.update(kw)
    return services.Outgoing(**data)


@pytest.fixture
def shared_db(transactional_db, tmp_path):
    """The test database opened to other processes (hotline_world.SharedDatabase); kills them afterwards."""
    world = SharedDatabase(tmp_path)
    try:
        yield world
    finally:
        world.close()
