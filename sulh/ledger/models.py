"""The log's tables. The entries and the tree are append-only: nothing in Sulh updates or deletes a row here
(the head row excepted, which only ever grows), and `sulh log verify` finds any row that someone else did."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class LogHead(models.Model):
    """The single row that serialises appends: its lock orders the leaves, its frontier (the hashes of the
    perfect subtrees along the tree's right edge) lets an append write its nodes without reading any."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"", help_text="Concatenated 32-byte hashes, largest subtree first.")
    last_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "log head"

    def __str__(self) -> str:
        return f"log of {self.size} entries"


class LogEntry(models.Model):
    """One leaf. `body` is the entry exactly as hashed (RFC 8785 canonical JSON); the other columns repeat
    parts of it for lookups, and `salt` — the secret half of the content commitment — never leaves the
    server except to those who may read the record itself."""

    index = models.BigIntegerField(primary_key=True, help_text="Leaf index, from 0.")
    body = models.BinaryField()
    entry_hash = models.CharField(max_length=64, unique=True, help_text="RFC 9162 leaf hash, hex.")
    kind = models.CharField(max_length=48)
    record_type = models.CharField(max_length=32)
    record_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    actor_org = models.CharField(max_length=16, blank=True)
    actor_user = models.CharField(max_length=150, blank=True)
    time = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    salt = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["record_type", "record_id", "index"], name="ledger_entry_record")]
        verbose_name_plural = "log entries"

    def __str__(self) -> str:
        return f"#{self.index} {self.kind} {self.record_type}:{self.record_id} v{self.version}"


class TreeNode(models.Model):
    """The hash of one perfect subtree, keyed by its place in the order appends write them (Go's sumdb
    "stored hash index"): leaves and complete subtrees, about 2n rows for n entries. A proof reads O(log n)."""

    id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField()

    def __str__(self) -> str:
        return f"tree node {self.id}"


class Checkpoint(models.Model):
    """A tree head signed by the log (C2SP tlog-checkpoint in a signed note). Never two of the same size."""

    size = models.BigIntegerField(unique=True)
    root = models.BinaryField()
    note = models.TextField(help_text="The signed note, as served: checkpoint text, blank line, log signature.")
    created_at = models.DateTimeField(default=timezone.now)
    witnessed_at = models.DateTimeField(null=True, blank=True, help_text="When the charter's quorum was reached.")

    class Meta:
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class WitnessKey(models.Model):
    """An organisation's public witness key (C2SP signed-note verifier key, cosignature type). The private
    half was made on the organisation's own machine and never reaches the server."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="witness_keys")
    verifier_key = models.CharField(max_length=300, unique=True)
    name = models.CharField(max_length=200)
    key_id = models.CharField(max_length=8)
    url = models.URLField(
        blank=True, help_text="A C2SP tlog-witness endpoint the log pushes checkpoints to (else the witness pulls)."
    )
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(retired_at__isnull=True), name="one_active_witness_key"
            )
        ]

    def __str__(self) -> str:
        return self.verifier_key


class Cosignature(models.Model):
    """A witness's C2SP tlog-cosignature/v1 line on a checkpoint, checked against its registered key."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="cosignatures")
    key = models.ForeignKey(WitnessKey, on_delete=models.PROTECT, related_name="cosignatures")
    timestamp = models.BigIntegerField(help_text="Seconds since the epoch, as signed by the witness.")
    line = models.TextField(help_text="The signature line, '— name base64'.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checkpoint", "key"], name="one_cosignature_per_key")]

    def __str__(self) -> str:
        return f"cosignature on {self.checkpoint_id} by key {self.key_id}"
