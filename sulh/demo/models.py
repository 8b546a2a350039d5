"""Which accounts belong to the demonstration scenario (so `sulh demo --code` never serves a real one)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DemoAccount(models.Model):
    """Marks a user created by `sulh demo`: known password, TOTP code printable from the console."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_account"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"demo account {self.user}"
