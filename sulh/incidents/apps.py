from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "sulh.incidents"
    label = "incidents"
    verbose_name = "Incident register"

    def ready(self):
        from sulh.ledger import records

        from .models import Claim, Incident, claim_visibility_q, visible_incidents

        # version and updated_at are bookkeeping that follows the claims; the log numbers versions itself.
        # has_filed_claim and has_shared_claim are derived from the claims, which the log holds themselves.
        records.register(
            "incident", Incident, exclude=["version", "updated_at", "has_filed_claim", "has_shared_claim"],
            readable_by=lambda user, obj: visible_incidents(user).filter(pk=obj.pk).exists(),
        )  # fmt: skip
        records.register(
            "claim", Claim, exclude=["version"],
            readable_by=lambda user, obj: Claim.objects.filter(claim_visibility_q(user), pk=obj.pk).exists(),
        )  # fmt: skip
