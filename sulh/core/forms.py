"""Console forms: a service's refusal shown on the form that asked for it."""

from __future__ import annotations

from .errors import DomainError


class DomainErrorsMixin:
    """`add_domain_error(exc)`: a DomainError raised by a service goes on the field it names — a dotted path such
    as "clauses.2.text" on its first part, an API name renamed by `field_map` — or above the form when the form
    has no such field."""

    field_map: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        field = exc.field or ""
        name = self.field_map.get(field) or self.field_map.get(field.split(".")[0]) or field.split(".")[0]
        self.add_error(name if name in self.fields else None, exc.message)
