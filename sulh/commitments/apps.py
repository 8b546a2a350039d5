from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "sulh.commitments"
    label = "commitments"
    verbose_name = "Commitments"

    def ready(self):
        from django.db.models.signals import post_migrate

        from sulh.ledger import records

        from . import services
        from .models import Agreement, Clause, Obligation, ObligationChange, Warning

        def readable(user, obj) -> bool:
            return services.can_read(user)

        # An obligation's state columns are bookkeeping of its logged changes and warnings.
        records.register("agreement", Agreement, readable_by=readable)
        records.register("clause", Clause, readable_by=readable)
        records.register("obligation", Obligation, exclude=["state", "state_changed_at", "overdue_at", "lapsed_at"],
                         readable_by=readable)  # fmt: skip
        records.register("obligation_change", ObligationChange, readable_by=readable)
        records.register("obligation_warning", Warning, exclude=["messages"], readable_by=readable)
        post_migrate.connect(_sync_after_migrate, sender=self, dispatch_uid="commitments-sync")


def _sync_after_migrate(sender, using="default", **kwargs):
    """The charter's agreements are entered (with their clauses) by `sulh migrate`."""
    if using != "default":
        return
    from . import services

    services.sync_from_charter()
