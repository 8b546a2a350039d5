"""Shared fixtures: the charter's organisations, one user per role and organisation, API clients."""

import pytest
from django.test import Client

from sulh.accounts.models import ApiToken, Organisation, Role, User
from sulh.accounts.services import sync_organisations
from sulh.charter.loader import get_charter

# Real places, for points on each side of the border (lat, lon). Coordinates: GeoNames.
LANDI_KOTAL = (34.0988, 71.1453)  # Khyber district, Pakistan, near Torkham
SPIN_BOLDAK = (31.0057, 66.3983)  # Kandahar, Afghanistan
CHAMAN = (30.9210, 66.4597)  # Balochistan, Pakistan
PARACHINAR = (33.8992, 70.1008)  # Kurram, Pakistan

USER_SPECS = {
    # name: (organisation code, role, extra)
    "afg_liaison": ("AFG", Role.LIAISON_OFFICER, {}),
    "afg_commander": ("AFG", Role.COMMANDER, {"command_level": "sector"}),
    "afg_analyst": ("AFG", Role.ANALYST, {}),
    "pak_liaison": ("PAK", Role.LIAISON_OFFICER, {}),
    "pak_commander": ("PAK", Role.COMMANDER, {"command_level": "national"}),
    "pak_analyst": ("PAK", Role.ANALYST, {}),
    "qat_verifier": ("QAT", Role.VERIFIER, {}),
    "qat_lead": ("QAT", Role.MEDIATOR_LEAD, {}),
    "tur_analyst": ("TUR", Role.ANALYST, {}),
    "jmt_monitor": ("JMT", Role.MONITOR, {}),
    "ops_admin": ("OPS", Role.ADMINISTRATOR, {"is_staff": True}),
    "public": ("PUBLIC", Role.PUBLIC, {}),
}


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    from sulh.hotline.services import sync as sync_hotline

    rows = {o.code: o for o in sync_organisations(get_charter())}
    sync_hotline(get_charter())
    return rows


@pytest.fixture
def make_user(orgs):
    def make(username: str, org_code: str, role: str, **extra) -> User:
        return User.objects.create_user(
            username=username, password="correct horse battery", organisation=orgs[org_code], role=role, **extra
        )

    return make


@pytest.fixture
def users(make_user) -> dict[str, User]:
    return {name: make_user(name, org, role, **extra) for name, (org, role, extra) in USER_SPECS.items()}


def console_client(user: User) -> Client:
    """A browser signed in as `user`; if its role needs a second factor, it has passed it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if user.requires_second_factor:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


class ApiClient:
    """A test client that speaks to /api/v1 with a user's bearer token."""

    def __init__(self, user: User):
        self.user = user
        _, self.key = ApiToken.issue(user, "test")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.key}")

    def _url(self, path: str) -> str:
        return "/api/v1" + path

    def get(self, path, **params):
        return self.client.get(self._url(path), params)

    def post(self, path, json=None, headers=None, **kw):
        if "data" in kw:  # multipart
            return self.client.post(self._url(path), kw["data"], headers=headers or {})
        return self.client.post(self._url(path), json or {}, content_type="application/json", headers=headers or {})

    def put(self, path, json=None):
        return self.client.put(self._url(path), json or {}, content_type="application/json")

    def delete(self, path):
        return self.client.delete(self._url(path))


@pytest.fixture
def api(users):
    cache: dict[str, ApiClient] = {}

    def for_user(name: str) -> ApiClient:
        if name not in cache:
            cache[name] = ApiClient(users[name])
        return cache[name]

    return for_user


def claim_payload(**overrides) -> dict:
    lat, lon = overrides.pop("point", LANDI_KOTAL)
    data = {
        "event_type": "Ceasefire violation",
        "sub_event_type": "Cross-border fire",
        "date_start": "2025-10-24T22:30:00+05:00",
        "date_end": "2025-10-25T01:00:00+05:00",
        "date_prec": 1,
        "latitude": lat,
        "longitude": lon,
        "where_prec": 2,
        "location_name": "Landi Kotal",
        "alleged_violator": "AFG",
        "source_name": "ISPR",
        "actor1": "Afghan Taliban forces",
        "inter1": 1,
        "actor2": "Pakistan Army",
        "inter2": 1,
        "deaths_a": 25,
        "deaths_b": 5,
        "narrative": "Fire from across the line on a border post.",
    }
    data.update(overrides)
    return data


def incident_payload(**overrides) -> dict:
    data = claim_payload(**overrides)
    data.setdefault("title", "Cross-border fire near Landi Kotal")
    return data


# --- a charter with public keys entered (documents' signatories, intel desks) ---------------------------------


@pytest.fixture(scope="session")
def charter_keyring(tmp_path_factory):
    """Private keys of every party's and mediator's signatory and intel desk, and the path of a copy of the
    configured charter with their public halves entered (as a key ceremony would)."""
    from django.conf import settings

    from sulh.charter.keyed import Keyring, make_keys, write_keyed_charter

    charter = get_charter()
    codes = [p.code for p in charter.parties] + [m.code for m in charter.mediators]
    ring = Keyring({code: make_keys(code) for code in codes})
    path = write_keyed_charter(settings.SULH_CHARTER, tmp_path_factory.mktemp("charter") / "keyed.yaml", ring)
    ring.path = path
    return ring


@pytest.fixture
def keyed_charter(charter_keyring, settings):
    """Switch to the keyed copy of the charter for one test; returns the keyring (private keys by org)."""
    settings.SULH_CHARTER = str(charter_keyring.path)
    yield charter_keyring
    # the settings fixture restores SULH_CHARTER; get_charter() keys its cache by path, so nothing to clear
