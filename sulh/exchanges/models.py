"""Detainee exchanges: the exchange, each releasing party's list, the persons on it, their releases and the
confirmations of each release, and the record of when the exchange became (or stopped being) reciprocal
(docs/exchanges.md).

A person's full name and identity number are stored only as AES-256-GCM ciphertext (crypto.py), bound to
the row and the field; the other identifiers are in clear because the charter may share them. Lists are
drafts while the releasing party edits them, then submitted (frozen, server time). A release counts once
the receiving party AND a mediator or an observer organisation have confirmed it. An exchange's `state`
is bookkeeping kept from its logged ReciprocityChange rows."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExchangeState(models.TextChoices):
    OPEN = "open", _("Open")
    RECIPROCAL = "reciprocal", _("Reciprocal")
    CLOSED = "closed", _("Closed")


class Exchange(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=32, unique=True, help_text="Readable code, e.g. EXC-2025-0001")
    title = models.CharField(max_length=300)
    agreement = models.ForeignKey(
        "commitments.Agreement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The charter's parties (in charter order) and ratio when the exchange was opened: a later charter does
    # not silently re-judge an exchange already under way.
    party_a = models.CharField(max_length=16)
    party_b = models.CharField(max_length=16)
    ratio_a = models.PositiveSmallIntegerField()
    ratio_b = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(blank=True)
    # Bookkeeping kept from the logged ReciprocityChange rows (and the close).
    state = models.CharField(max_length=16, choices=ExchangeState.choices, default=ExchangeState.OPEN)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code

    @property
    def parties(self) -> tuple[str, str]:
        return (self.party_a, self.party_b)

    def other(self, party: str) -> str:
        return self.party_b if party == self.party_a else self.party_a


class ListState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ReleaseList(models.Model):
    """The persons one party says it will release. A draft is seen only by that party; once submitted it is
    frozen (server time) and seen by the mediators in full, by the other party and the observers in part."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="lists")
    party = models.CharField(max_length=16, help_text="The releasing party")
    state = models.CharField(max_length=16, choices=ListState.choices, default=ListState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bookkeeping: the last person number handed out (never reused, even after a draft entry is removed).
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exchange", "party"]
        constraints = [models.UniqueConstraint(fields=["exchange", "party"], name="one_list_per_party")]

    def __str__(self) -> str:
        return f"{self.exchange.code}/{self.party}"

    @property
    def is_draft(self) -> bool:
        return self.state == ListState.DRAFT


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", _("Under 18")
    A18_29 = "18_29", _("18–29")
    A30_44 = "30_44", _("30–44")
    A45_59 = "45_59", _("45–59")
    A60_PLUS = "60_plus", _("60 or older")
    UNKNOWN = "unknown", _("Unknown")


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class Person(models.Model):
    """A person on a list. `name_ct` and `id_number_ct` are AES-256-GCM ciphertexts (crypto.py) whose
    associated data is this row's id and the field name: copied to another row or field, they fail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    list = models.ForeignKey(ReleaseList, on_delete=models.PROTECT, related_name="persons")
    number = models.PositiveIntegerField()
    reference = models.CharField(
        max_length=48, unique=True, help_text="Assigned by Sulh, e.g. EXC-2025-0001-AFG-007"
    )
    name_ct = models.BinaryField(help_text="Full name, encrypted")
    id_number_ct = models.BinaryField(help_text="Identity number, encrypted (empty plaintext if unknown)")
    age_band = models.CharField(max_length=16, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = models.CharField(max_length=64, blank=True)
    place_of_detention = models.CharField(max_length=200, blank=True)
    date_of_detention = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["list", "number"]
        constraints = [models.UniqueConstraint(fields=["list", "number"], name="one_person_number")]

    def __str__(self) -> str:
        return self.reference


class Release(models.Model):
    """One person handed over: said by whoever recorded it, counted once both confirmations are in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="releases")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="release")
    releasing_party = models.CharField(max_length=16)
    receiving_party = models.CharField(max_length=16)
    released_at = models.DateTimeField(help_text="When the person was handed over")
    handed_over_at = models.CharField(max_length=200, help_text="Where, e.g. Torkham zero point")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_org = models.CharField(max_length=16)
    recorded_at = models.DateTimeField(default=timezone.now)
    # Bookkeeping: when the second of the two confirmations came in.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["released_at", "recorded_at"]

    def __str__(self) -> str:
        return f"release of {self.person.reference}"


class ConfirmationSide(models.TextChoices):
    RECEIVING = "receiving", _("Receiving party")
    WITNESS = "witness", _("Mediator or observer")


class Confirmation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="confirmations")
    side = models.CharField(max_length=16, choices=ConfirmationSide.choices)
    org = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["release", "side"], name="one_confirmation_per_side")]

    def __str__(self) -> str:
        return f"{self.side} confirmation by {self.org}"


class ReciprocityChange(models.Model):
    """The exchange became reciprocal, or stopped being so, after a confirmed release: immutable, logged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="reciprocity_changes")
    reciprocal = models.BooleanField()
    count_a = models.PositiveIntegerField(help_text="Confirmed releases by party_a")
    count_b = models.PositiveIntegerField(help_text="Confirmed releases by party_b")
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.exchange.code}: {'reciprocal' if self.reciprocal else 'not reciprocal'}"
