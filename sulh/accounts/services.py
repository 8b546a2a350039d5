"""Sign-in with the second factor, API tokens, and the organisations taken from the charter."""

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.core.errors import PermissionDenied, ValidationFailed

from .models import ApiToken, Organisation, OrganisationKind, User

OPERATOR_CODE = "OPS"
PUBLIC_CODE = "PUBLIC"


def confirmed_totp(user: User) -> TOTPDevice | None:
    return next((d for d in devices_for_user(user, confirmed=True) if isinstance(d, TOTPDevice)), None)


def check_second_factor(user: User, code: str | None) -> TOTPDevice | None:
    """Verify a TOTP code when the user has (or must have) a device. Returns the device that matched."""
    device = confirmed_totp(user)
    if device is None:
        if user.requires_second_factor:
            raise PermissionDenied("this role needs a TOTP second factor: enrol one in the console first", field="otp")
        return None
    if not code:
        raise PermissionDenied("a TOTP code is required for this account", field="otp")
    if not device.verify_token(code.strip().replace(" ", "")):
        raise PermissionDenied("the TOTP code is wrong or expired", field="otp")
    return device


def issue_token(username: str, password: str, otp: str | None, name: str, request=None) -> tuple[ApiToken, str]:
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise PermissionDenied("wrong username or password", field="password")
    check_second_factor(user, otp)
    if not name.strip():
        raise ValidationFailed("give the token a name", field="name")
    return ApiToken.issue(user, name.strip())


def revoke_token(user: User, token_id) -> bool:
    """Revoke one of the user's active tokens. Through save(), not a queryset update: the change is then
    logged (api_token.updated) like any other, and `sulh log verify --database` finds the row as logged."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user, revoked_at__isnull=True).first()
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return True


def start_totp_enrolment(user: User) -> TOTPDevice:
    """An unconfirmed device the user confirms with a first code (replaces any earlier unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def confirm_totp_enrolment(user: User, code: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationFailed("no enrolment in progress", field="otp")
    if not device.verify_token((code or "").strip().replace(" ", "")):
        raise ValidationFailed("that code does not match: check the phone's clock and try the next code", field="otp")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def sync_organisations(charter) -> list[Organisation]:
    """Create or update one organisation per party, mediator and monitoring team of the charter, plus the
    operator (who runs the servers and manages accounts, but reads only what is public) and the public."""
    rows = []
    for code, kind, names, tz in charter.organisations():
        org, _ = Organisation.objects.update_or_create(
            code=code, defaults={"kind": kind, "name": names.get("en", code), "names": names, "timezone": tz}
        )
        rows.append(org)
    for code, kind, name in (
        (OPERATOR_CODE, OrganisationKind.OPERATOR, "Operator of the system"),
        (PUBLIC_CODE, OrganisationKind.PUBLIC, "Public"),
    ):
        org, _ = Organisation.objects.update_or_create(
            code=code, defaults={"kind": kind, "name": name, "names": {"en": name}, "timezone": "UTC"}
        )
        rows.append(org)
    return rows
