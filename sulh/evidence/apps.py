from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "sulh.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self):
        from sulh.ledger import records

        from .models import Evidence

        def readable(user, obj) -> bool:
            from .services import visible_evidence

            return visible_evidence(user).filter(pk=obj.pk).exists()

        # The content includes the file's SHA-256: the log then vouches for the bytes, not just the row.
        records.register("evidence", Evidence, readable_by=readable)
