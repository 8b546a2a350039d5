"""Console sign-in with the TOTP second factor, enrolment of an authenticator app, and API tokens."""

import base64
import uuid

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.core.errors import DomainError

from . import services
from .forms import CodeForm, SignInForm, TokenForm
from .models import ApiToken


def _next_url(request, default=None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default or settings.LOGIN_REDIRECT_URL)


def _needs_factor(user) -> bool:
    return user.requires_second_factor and not user.is_verified()


def login_view(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            form.add_error(None, _("Wrong username or password."))
        else:
            device = None
            if services.confirmed_totp(user) is not None or not user.requires_second_factor:
                try:
                    device = services.check_second_factor(user, form.cleaned_data["otp"])
                except DomainError:
                    if form.cleaned_data["otp"]:
                        form.add_error("otp", _("The authenticator code is wrong or expired."))
                    else:
                        form.add_error("otp", _("This account needs an authenticator code."))
            # A role that needs a factor but has no device yet signs in; the middleware sends it to enrolment.
            if not form.errors:
                auth_login(request, user)
                if device is not None:
                    otp_login(request, device)
                return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def second_factor(request):
    user = request.user
    if services.confirmed_totp(user) is None:
        target = resolve_url("accounts:enrol_totp")
        nxt = request.GET.get("next")
        return redirect(f"{target}?{urlencode({'next': nxt})}" if nxt else target)
    if user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.check_second_factor(user, form.cleaned_data["otp"])
        except DomainError:
            form.add_error("otp", _("The authenticator code is wrong or expired."))
        else:
            if device is not None:
                otp_login(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/second_factor.html", {"form": form, "next": request.GET.get("next", "")})


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return img.to_string(encoding="unicode")


@login_required
def enrol_totp(request):
    user = request.user
    # Someone holding only the password must not replace an existing authenticator.
    if services.confirmed_totp(user) is not None and not user.is_verified():
        return redirect("accounts:second_factor")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.confirm_totp_enrolment(user, form.cleaned_data["otp"])
        except DomainError as exc:
            form.add_error("otp", exc.message)
        else:
            otp_login(request, device)
            return redirect(_next_url(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or services.start_totp_enrolment(user)
    uri = device.config_url
    if getattr(settings, "SULH_TOTP_ISSUER", None) and "issuer=" not in uri:
        uri += f"&issuer={settings.SULH_TOTP_ISSUER}"
    context = {
        "form": form,
        "qr_svg": _qr_svg(uri),
        "secret": base64.b32encode(device.bin_key).decode(),
        "uri": uri,
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/enrol_totp.html", context)


@login_required
def tokens(request):
    user = request.user
    if _needs_factor(user):  # /accounts/ is open before the second factor; tokens are not
        return redirect(f"{resolve_url('accounts:second_factor')}?{urlencode({'next': request.path})}")
    form = TokenForm()
    new_key = None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                pk = uuid.UUID(request.POST.get("revoke", ""))
            except ValueError:
                pk = None
            if pk is not None:
                services.revoke_token(user, pk)
            return redirect("accounts:tokens")
        form = TokenForm(request.POST)
        if form.is_valid():
            _token, new_key = ApiToken.issue(user, form.cleaned_data["name"].strip())
            form = TokenForm()
    context = {"form": form, "new_key": new_key, "tokens": ApiToken.objects.filter(user=user)}
    return render(request, "accounts/tokens.html", context)
