"""Receipts in API answers: every write endpoint answers, beside the record, the log entries it made.

A receipt is what a party keeps to prove later that the server acknowledged storing something: the leaf
index and entry hash, for which `GET /ledger/proof/inclusion` (or the offline tlog-proof) proves inclusion."""

import functools
from dataclasses import asdict

from ninja import Schema, Status
from pydantic import Field, create_model

from .services import current_receipts


class ReceiptOut(Schema):
    leaf_index: int = Field(description="Index of the entry in the log")
    entry_hash: str = Field(description="RFC 9162 leaf hash of the entry, hex")
    kind: str = Field(description="What was logged, e.g. claim.filed")
    record: str = Field(description="type:id of the record")


_made: dict[type, type] = {}


def with_receipts(schema: type[Schema]) -> type[Schema]:
    """`schema` plus a `receipts` list (one class per schema, named after it for the OpenAPI document)."""
    if schema not in _made:
        _made[schema] = create_model(
            f"{schema.__name__}WithReceipts",
            __base__=schema,
            receipts=(list[ReceiptOut], Field(default_factory=list, description="Log entries this write made")),
        )
    return _made[schema]


def answers_receipts(schema: type[Schema]):
    """Decorate a write operation whose response is `with_receipts(schema)`: its result (an ORM object, a
    schema instance or a dict, bare or in Status) is answered with the receipts collected meanwhile."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            result = view(request, *args, **kwargs)
            code, value = (result.status_code, result.value) if isinstance(result, Status) else (None, result)
            if not isinstance(value, dict | Schema):
                value = schema.from_orm(value)
            data = value.model_dump() if isinstance(value, Schema) else dict(value)
            data["receipts"] = [asdict(r) for r in current_receipts()]
            return Status(code, data) if code else data

        return wrapper

    return decorate
