from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "sulh.verification"
    label = "verification"
    verbose_name = "Verification"

    def ready(self):
        from sulh.ledger import records

        from . import services
        from .models import Complaint, Reply

        # A complaint is immutable: its state columns are bookkeeping of the entries (lodged, replied, silent).
        records.register(
            "complaint", Complaint, exclude=["state", "silent_at"],
            readable_by=lambda user, obj: services.visible_complaints(user).filter(pk=obj.pk).exists(),
        )  # fmt: skip
        # Every draft of a reply is logged too (its content hidden behind the salt): the accused party can show
        # when it wrote what; only it may open a draft, everyone entitled to the complaint a submitted reply.
        records.register("reply", Reply, readable_by=services.can_read_reply)
