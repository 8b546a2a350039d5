"""Fixtures of the protocols' tests: the desks of sector S6 (Khyber, Torkham) up to the national
headquarters and the mediators' cell, each held by one officer, and API clients speaking for them."""

import pytest

from sulh.conftest import ApiClient
from sulh.hotline import services as hotline

DESKS = [
    ("AFG-S6", "AFG", "commander"), ("PAK-S6", "PAK", "commander"), ("AFG-R-EAST", "AFG", "commander"),
    ("PAK-R-EAST", "PAK", "commander"), ("AFG-HQ", "AFG", "commander"), ("PAK-HQ", "PAK", "commander"),
    ("MED-CELL", "QAT", "verifier"),
]  # fmt: skip


@pytest.fixture
def desks(users, make_user):
    """Post code -> the officer holding it (on duty). Usernames are the post codes in lower case."""
    holders = {}
    for code, org, role in DESKS:
        u = make_user(code.lower(), org, role)
        hotline.assign_holder(users["ops_admin"], code, u)
        holders[code] = u
    return holders


@pytest.fixture
def desk_api(desks):
    cache: dict[str, ApiClient] = {}

    def for_desk(code: str) -> ApiClient:
        if code not in cache:
            cache[code] = ApiClient(desks[code])
        return cache[code]

    return for_desk
