"""API authentication: bearer tokens (the normal way) or the console's session (with its second factor)."""

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from sulh.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    openapi_description = "Bearer token: `Authorization: Bearer sulh_…` (create one with POST /auth/token)."

    def authenticate(self, request: HttpRequest, token: str):
        if not token.startswith(ApiToken.PREFIX):
            return None
        api_token = (
            ApiToken.objects.select_related("user", "user__organisation").filter(key_hash=ApiToken.hash_key(token)).first()
        )
        if api_token is None or not api_token.is_active or not api_token.user.is_active:
            return None
        now = timezone.now()
        # Write last-use at most once a minute: a busy client must not turn every read into a write.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.auth_user = api_token.user
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The console's signed-in session, with CSRF for unsafe methods and the second factor when required."""

    param_name = "sessionid"
    openapi_description = "The console's session cookie (and CSRF token for writes)."

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if user.requires_second_factor and not user.is_verified():
            return None
        request.auth_user = user
        return user


api_auth = [TokenAuth(), SessionAuth()]
