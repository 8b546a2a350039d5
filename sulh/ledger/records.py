"""Which records the log covers, and what of each it commits to.

Each domain app registers its models here (in its AppConfig.ready) with the fields that make up the
record's content. The log never holds that content: an entry holds SHA-256(salt ‖ canonical content), and
`sulh log verify --database` recomputes it from the row to prove the row is what was logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import rfc8785
from django.db import models


@dataclass(frozen=True)
class RecordType:
    name: str  # "claim": the `record.type` of its entries
    model: type[models.Model]
    fields: tuple[str, ...]  # attnames whose values make up the content
    # Who may see the content (and so the salt that opens its commitment): (user, obj) -> bool.
    readable_by: Callable[[object, models.Model], bool] | None = None
    # Fields whose change alone is bookkeeping (last_login, usage counters) and makes no entry.
    bookkeeping: frozenset[str] = field(default_factory=frozenset)

    def content(self, obj: models.Model) -> dict:
        return {name: _plain(getattr(obj, name)) for name in self.fields}


REGISTRY: dict[str, RecordType] = {}
_BY_MODEL: dict[type[models.Model], RecordType] = {}


def register(
    name: str,
    model: type[models.Model],
    *,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
    readable_by=None,
    bookkeeping: Iterable[str] = (),
) -> RecordType:
    """Register `model` as record type `name`. Content: every concrete field (FKs by id) less `exclude`, or
    exactly `only`."""
    if only is not None:
        names = tuple(only)
    else:
        skip = set(exclude)
        names = tuple(f.attname for f in model._meta.concrete_fields if f.name not in skip and f.attname not in skip)
    rt = RecordType(name, model, names, readable_by, frozenset(bookkeeping))
    REGISTRY[name] = rt
    _BY_MODEL[model] = rt
    return rt


def type_of(obj_or_model) -> RecordType:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not a logged record type") from None


def canonical(content) -> bytes:
    """RFC 8785 (JCS) bytes: the same content always gives the same bytes, in any language."""
    return rfc8785.dumps(content)


def commitment(salt: bytes, content: dict) -> str:
    """SHA-256(salt ‖ canonical content), hex. The salt (16 random bytes) keeps a short or guessable
    content — a draft's casualty figure, a detainee's name — from being found by trying candidates."""
    return hashlib.sha256(salt + canonical(content)).hexdigest()


def _plain(v):
    """A field value as JSON that canonicalises the same way every time."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC)
        return v.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes | memoryview):
        return bytes(v).hex()
    return v


def track(rt: RecordType) -> None:
    """Log every save and delete of a model that is changed outside domain services too (accounts, in the
    admin site): post_save runs inside the saving transaction, so the entry commits or rolls back with it."""
    from django.db.models.signals import post_delete, post_save

    def saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
        if update_fields and set(update_fields) <= rt.bookkeeping:
            return
        from . import services

        services.record(instance, f"{rt.name}.{'created' if created else 'updated'}")

    def deleted(sender, instance, **kwargs):
        from . import services

        services.record_deletion(rt, str(instance.pk))

    post_save.connect(saved, sender=rt.model, weak=False, dispatch_uid=f"ledger-save-{rt.name}")
    post_delete.connect(deleted, sender=rt.model, weak=False, dispatch_uid=f"ledger-delete-{rt.name}")
