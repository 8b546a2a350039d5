from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "sulh.hotline"
    label = "hotline"
    verbose_name = "Hotline"

    def ready(self):
        from sulh.ledger import records

        from . import services
        from .models import Event, Message, PostHolder

        # Messages are immutable: the state columns are bookkeeping kept from the events, which the log
        # holds one by one. An event's seq is the leaf index of its own entry, so it cannot be in it.
        records.register(
            "hotline_message", Message,
            exclude=["state", "step", "ack_due_at", "acknowledged_at", "acknowledged_by", "ack_post", "resolved_at"],
            readable_by=lambda user, obj: services.visible_messages(user).filter(pk=obj.pk).exists(),
        )  # fmt: skip
        records.register("hotline_event", Event, exclude=["seq"], readable_by=services.can_read_event)
        # Who holds a post decides who reads its restricted messages: every change is logged, admin site included.
        records.track(records.register("post_holder", PostHolder, readable_by=lambda user, obj: True))

        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_after_migrate, sender=self, dispatch_uid="hotline-sync")


def _sync_after_migrate(sender, using="default", **kwargs):
    """Posts and channels follow the charter: `sulh migrate` brings them up to date (the organisations too,
    which they belong to)."""
    from sulh.accounts.services import sync_organisations
    from sulh.charter.loader import get_charter

    from . import services

    if using != "default":
        return
    charter = get_charter()
    sync_organisations(charter)
    services.sync(charter)
