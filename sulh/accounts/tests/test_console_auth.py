"""Console sign-in, the TOTP second factor, enrolment and API tokens, through the web pages."""

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.accounts.models import ApiToken, Role, User
from sulh.accounts.services import sync_organisations
from sulh.charter.loader import get_charter

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def orgs(db):
    return {o.code: o for o in sync_organisations(get_charter())}


@pytest.fixture
def liaison(orgs):
    return User.objects.create_user("liaison", password=PASSWORD, organisation=orgs["AFG"], role=Role.LIAISON_OFFICER)


@pytest.fixture
def commander(orgs):
    return User.objects.create_user("commander", password=PASSWORD, organisation=orgs["PAK"], role=Role.COMMANDER)


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def reset_throttle(device: TOTPDevice) -> None:
    device.refresh_from_db()
    device.throttle_reset(commit=True)


def sign_in(client, username, password=PASSWORD, otp=""):
    return client.post("/accounts/login/", {"username": username, "password": password, "otp": otp})


def test_sign_in_without_second_factor(liaison):
    c = Client()
    r = sign_in(c, "liaison")
    assert r.status_code == 302 and r["Location"] == "/incidents/"
    assert c.get("/incidents/").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_message(liaison):
    c = Client()
    wrong = sign_in(c, "liaison", password="nope nope nope")
    unknown = sign_in(c, "nobody", password="nope nope nope")
    for r in (wrong, unknown):
        assert r.status_code == 200
        assert "Wrong username or password." in r.content.decode()
    assert "_auth_user_id" not in c.session


def test_pages_need_sign_in():
    r = Client().get("/incidents/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_sign_in_with_totp(commander):
    device = TOTPDevice.objects.create(user=commander, name="phone", confirmed=True)
    c = Client()
    r = sign_in(c, "commander")
    assert r.status_code == 200 and "This account needs an authenticator code." in r.content.decode()
    r = sign_in(c, "commander", otp="000000" if code_for(device) != "000000" else "111111")
    assert r.status_code == 200 and "wrong or expired" in r.content.decode()
    reset_throttle(device)
    r = sign_in(c, "commander", otp=code_for(device))
    assert r.status_code == 302
    assert c.get("/incidents/").status_code == 200


def test_second_factor_page_for_signed_in_user_without_verification(commander):
    device = TOTPDevice.objects.create(user=commander, name="phone", confirmed=True)
    c = Client()
    c.force_login(commander)
    r = c.get("/incidents/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/second-factor/")
    page = c.get(r["Location"])
    assert page.status_code == 200
    r = c.post("/accounts/second-factor/?next=/map/", {"otp": code_for(device), "next": "/map/"})
    assert r.status_code == 302 and r["Location"] == "/map/"
    assert c.get("/incidents/").status_code == 200


def test_commander_without_device_is_sent_to_enrolment(commander):
    c = Client()
    r = sign_in(c, "commander")
    assert r.status_code == 302  # signed in, but not yet verified
    r = c.get("/incidents/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/second-factor/")
    r = c.get(r["Location"])
    assert r.status_code == 302 and r["Location"].startswith("/accounts/second-factor/enrol/")
    page = c.get(r["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "otpauth" not in html.split("<svg")[0][-200:]  # the QR code is inline SVG
    secret = re.search(r'class="secret"[^>]*>([A-Z2-7=]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=commander, confirmed=False)

    assert base64.b32decode(secret) == device.bin_key
    # Reloading the page keeps the same key (the phone may already have scanned it).
    assert secret in c.get("/accounts/second-factor/enrol/").content.decode()
    r = c.post("/accounts/second-factor/enrol/", {"otp": "12345x"})
    assert r.status_code == 200 and "does not match" in r.content.decode()
    reset_throttle(device)  # django-otp slows retries after a wrong code
    r = c.post("/accounts/second-factor/enrol/", {"otp": code_for(device)})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert c.get("/incidents/").status_code == 200


def test_enrolment_cannot_replace_a_device_without_its_code(commander):
    TOTPDevice.objects.create(user=commander, name="phone", confirmed=True)
    c = Client()
    c.force_login(commander)
    r = c.get("/accounts/second-factor/enrol/")
    assert r.status_code == 302 and r["Location"] == "/accounts/second-factor/"
    assert not TOTPDevice.objects.filter(user=commander, confirmed=False).exists()


def test_logout_is_post_only(liaison):
    c = Client()
    c.force_login(liaison)
    assert c.get("/accounts/logout/").status_code == 405
    r = c.post("/accounts/logout/")
    assert r.status_code == 302
    assert c.get("/incidents/").status_code == 302


def test_tokens_created_shown_once_and_revoked(liaison):
    c = Client()
    c.force_login(liaison)
    r = c.post("/accounts/tokens/", {"name": "field laptop"})
    html = r.content.decode()
    key = re.search(r"(sulh_[A-Za-z0-9_-]{20,})", html).group(1)
    token = ApiToken.objects.get(user=liaison)
    assert token.key_hash == ApiToken.hash_key(key)
    assert key not in c.get("/accounts/tokens/").content.decode()
    c.post("/accounts/tokens/", {"revoke": str(token.pk)})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_needs_the_second_factor(commander):
    c = Client()
    c.force_login(commander)
    r = c.get("/accounts/tokens/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/second-factor/")
