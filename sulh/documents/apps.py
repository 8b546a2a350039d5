from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sulh.documents"
    label = "documents"
    verbose_name = "Co-signed documents"

    def ready(self):
        from sulh.ledger import records

        from . import services
        from .models import Document, DocumentVersion, Signature

        def version_readable(user, obj) -> bool:
            return services.visible_versions(user).filter(pk=obj.pk).exists()

        records.register("document", Document,
                         readable_by=lambda user, obj: services.visible_documents(user).filter(pk=obj.pk).exists())  # fmt: skip
        # A version's state and time of agreement are bookkeeping of its entries (frozen, signed, agreed,
        # superseded); its title, body, text and hash are content: every draft save is an entry.
        records.register("document_version", DocumentVersion, exclude=["state", "agreed_at"],
                         readable_by=version_readable)  # fmt: skip
        records.register("document_signature", Signature,
                         readable_by=lambda user, obj: services.visible_versions(user).filter(pk=obj.version_id).exists())  # fmt: skip
