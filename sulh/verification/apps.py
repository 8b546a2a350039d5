from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "sulh.verification"
    label = "verification"
    verbose_name = "Verification"

    def ready(self):
        from sulh.ledger import records

        from . import cases, services  # noqa: F401 -- importing them registers their deadline handlers
        from .models import Complaint, Reply

        # A complaint is immutable: its state columns are bookkeeping of the entries (lodged, replied, silent).
        records.register(
            "complaint", Complaint, exclude=["state", "silent_at"],
            readable_by=lambda user, obj: services.visible_complaints(user).filter(pk=obj.pk).exists(),
        )  # fmt: skip
        # Every draft of a reply is logged too (its content hidden behind the salt): the accused party can show
        # when it wrote what; only it may open a draft, everyone entitled to the complaint a submitted reply.
        records.register("reply", Reply, readable_by=services.can_read_reply)

        from . import visibility as v
        from .models import (
            Case,
            CaseMember,
            Dissent,
            Finding,
            FindingSignature,
            MediatorKey,
            PenaltyDecision,
            PlanItem,
        )

        def finding_readable(user, obj) -> bool:
            return v.visible_findings(user).filter(pk=obj.finding_id).exists()

        # Case stage and a finding's state/publication time are bookkeeping of their own logged entries.
        records.register("case", Case, exclude=["stage", "overdue_at"],
                         readable_by=lambda user, obj: v.visible_cases(user).filter(pk=obj.pk).exists())  # fmt: skip
        records.track(records.register("case_member", CaseMember, readable_by=lambda user, obj: v.is_mediator(user)))
        records.register("plan_item", PlanItem,
                         readable_by=lambda user, obj: v.visible_plan(user, obj.case).filter(pk=obj.pk).exists())  # fmt: skip
        records.register("finding", Finding, exclude=["state", "published_at"],
                         readable_by=lambda user, obj: v.visible_findings(user).filter(pk=obj.pk).exists())  # fmt: skip
        records.register("mediator_key", MediatorKey, readable_by=lambda user, obj: True)
        records.register("finding_signature", FindingSignature, readable_by=finding_readable)
        records.register("dissent", Dissent, readable_by=finding_readable)
        records.register("penalty_decision", PenaltyDecision, readable_by=finding_readable)
