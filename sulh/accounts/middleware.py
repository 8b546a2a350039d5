"""Second factor and time zone for console requests."""

import zoneinfo

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

# Paths a signed-in user may reach before passing the second factor.
_OPEN_PREFIXES = ("/static/", "/api/", "/accounts/", "/i18n/", "/healthz")


class SecondFactorMiddleware:
    """Commanders, verifiers, mediator leads and administrators must pass TOTP before using the console:
    without a confirmed device they are sent to enrol one; with one, to enter a code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.requires_second_factor
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:second_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the user's own zone (Afghanistan is UTC+4:30, Pakistan UTC+5); stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz_name = user.effective_timezone if user is not None and user.is_authenticated else "UTC"
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
