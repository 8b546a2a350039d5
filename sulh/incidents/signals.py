"""Incident signals, sent inside the transaction that filed the claim (protocols start from them)."""

from django.dispatch import Signal

incident_filed = Signal()  # incident=, claim=, actor=
