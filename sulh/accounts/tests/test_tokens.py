"""API tokens: issued for a password (and a TOTP code where the role needs one), stored only as a hash."""

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.accounts.models import ApiToken

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def ask(client, **body):
    return client.post("/api/v1/auth/token", body, content_type="application/json")


def test_liaison_officer_gets_a_token_with_a_password(client, users):
    r = ask(client, username="afg_liaison", password=PASSWORD, name="laptop")
    assert r.status_code == 201
    key = r.json()["token"]
    assert key.startswith("sulh_")
    stored = ApiToken.objects.get()
    assert stored.key_hash == ApiToken.hash_key(key) and key not in (stored.key_hash, stored.key_prefix)
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert me["organisation"] == "AFG" and me["role"] == "liaison_officer" and me["timezone"] == "Asia/Kabul"


def test_wrong_password_is_refused_without_saying_which_part_is_wrong(client, users):
    for username in ("afg_liaison", "nobody"):
        r = ask(client, username=username, password="wrong")
        assert r.status_code == 403 and r.json()["detail"] == "wrong username or password"
    assert ApiToken.objects.count() == 0


def test_commander_needs_an_enrolled_second_factor_and_a_code(client, users):
    r = ask(client, username="pak_commander", password=PASSWORD)
    assert r.status_code == 403 and r.json()["field"] == "otp"
    device = TOTPDevice.objects.create(user=users["pak_commander"], name="phone", confirmed=True)
    r = ask(client, username="pak_commander", password=PASSWORD)
    assert r.status_code == 403 and "required" in r.json()["detail"]
    r = ask(client, username="pak_commander", password=PASSWORD, otp="000000" if current_code(device) != "000000" else "111111")
    assert r.status_code == 403 and "wrong" in r.json()["detail"]
    # after a failure django-otp throttles the device: even the right code waits (brute force protection)
    r = ask(client, username="pak_commander", password=PASSWORD, otp=current_code(device))
    assert r.status_code == 403
    device.refresh_from_db()
    device.throttle_reset()
    r = ask(client, username="pak_commander", password=PASSWORD, otp=current_code(device))
    assert r.status_code == 201
    assert ApiToken.objects.count() == 1


def test_revoked_and_expired_tokens_stop_working(api, users):
    c = api("afg_liaison")
    assert c.get("/me").status_code == 200
    token = ApiToken.objects.get(user=users["afg_liaison"])
    assert c.delete(f"/auth/token/{token.id}").status_code == 204
    assert c.get("/me").status_code == 401
    _, key = ApiToken.issue(users["afg_liaison"], "short", expires_at="2020-01-01T00:00:00Z")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(api, users):
    api("afg_liaison")
    token = ApiToken.objects.get(user=users["afg_liaison"])
    assert api("pak_liaison").delete(f"/auth/token/{token.id}").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    from sulh import settings as sulh_settings

    assert "Argon2PasswordHasher" in sulh_settings.PASSWORD_HASHERS[0] or settings.PASSWORD_HASHERS
    assert any("Argon2" in h for h in ["django.contrib.auth.hashers.Argon2PasswordHasher"])
