"""Hotline signals, sent inside the transaction that stored the change: protocols listen to them to mark
steps met (a notification sent, a request acknowledged) in the same transaction."""

from django.dispatch import Signal

message_sent = Signal()  # message=
message_acknowledged = Signal()  # message=
