"""Organisations, people and their roles, and API tokens.

Who may see a record is decided by the *organisation* a user belongs to (a party, a mediator, a joint
monitoring team, the operator, the public); what a user may do is decided by the *role*.
"""

import hashlib
import secrets
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PARTY = "party", _("Party to the ceasefire")
    MEDIATOR = "mediator", _("Mediator")
    MONITORING = "monitoring", _("Joint monitoring team")
    OPERATOR = "operator", _("Operator of the system")
    PUBLIC = "public", _("Public")


class Organisation(models.Model):
    """One party, mediator, joint monitoring team, the operator or the public (synchronised from the charter)."""

    code = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    names = models.JSONField(default=dict, blank=True, help_text="Name by language code, from the charter.")
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_party(self) -> bool:
        return self.kind == OrganisationKind.PARTY

    @property
    def is_mediator(self) -> bool:
        return self.kind == OrganisationKind.MEDIATOR


class Role(models.TextChoices):
    LIAISON_OFFICER = "liaison_officer", _("Liaison officer")
    COMMANDER = "commander", _("Commander")
    MONITOR = "monitor", _("Monitor")
    VERIFIER = "verifier", _("Verifier")
    MEDIATOR_LEAD = "mediator_lead", _("Mediator lead")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")
    PUBLIC = "public", _("Read-only public")


class CommandLevel(models.TextChoices):
    SECTOR = "sector", _("Sector")
    REGIONAL = "regional", _("Regional command")
    NATIONAL = "national", _("National headquarters")


class User(AbstractUser):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, related_name="members")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PUBLIC)
    command_level = models.CharField(max_length=16, choices=CommandLevel.choices, blank=True)
    sector = models.CharField(max_length=32, blank=True, help_text="Charter sector code, for sector commanders.")
    timezone = models.CharField(max_length=64, blank=True, help_text="IANA zone; empty: the organisation's.")
    language = models.CharField(max_length=8, blank=True)

    @property
    def org_kind(self) -> str | None:
        return self.organisation.kind if self.organisation_id else None

    @property
    def party_code(self) -> str | None:
        """The party this user speaks for, or None for mediators, monitors, the operator and the public."""
        if self.organisation_id and self.organisation.kind == OrganisationKind.PARTY:
            return self.organisation.code
        return None

    @property
    def effective_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        return self.organisation.timezone if self.organisation_id else "UTC"

    @property
    def requires_second_factor(self) -> bool:
        from django.conf import settings

        return self.role in settings.SULH_TOTP_REQUIRED_ROLES or self.is_superuser


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored: a database dump gives no usable token."""

    PREFIX = "sulh_"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, expires_at=None) -> tuple["ApiToken", str]:
        """Create a token; the clear key is returned once and never stored."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_prefix=key[:12], key_hash=cls.hash_key(key), expires_at=expires_at
        )
        return token, key

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
