"""Readable record codes, `PREFIX-YYYY-NNNN` numbered per year (OBL-2025-0007, MTG-2025-0002 …).

Two records made at once can draw the same number: the code column is unique, so the second insert fails
and its caller draws again (each app's create loop); nothing is ever stored under a duplicate code."""

from __future__ import annotations

import datetime as dt

from django.db.models.functions import Length


def next_code(model, prefix: str, when: dt.datetime, *, field: str = "code") -> str:
    """The next free code of `model` for `prefix` in the year of `when`."""
    head = f"{prefix}-{when:%Y}-"
    # Longest first, then highest: past 9999 a year, "…-10000" must count above "…-9999".
    last = (
        model.objects.filter(**{f"{field}__startswith": head})
        .order_by(Length(field).desc(), f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{head}{n:04d}"
