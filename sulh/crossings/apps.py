from django.apps import AppConfig


class CrossingsConfig(AppConfig):
    name = "sulh.crossings"
    label = "crossings"
    verbose_name = "Crossings"

    def ready(self):
        from sulh.ledger import records

        from . import services
        from .models import CrossingStatus

        # A record is immutable: every column is in its logged content. Its full content (reason, evidence,
        # who recorded it) is for the mechanism; the public sees statuses through the services, not the log.
        records.register(
            "crossing_status", CrossingStatus, readable_by=lambda user, obj: services.can_read(user)
        )
