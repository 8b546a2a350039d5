from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "sulh.intel"
    label = "intel"
    verbose_name = "Intelligence exchange"

    def ready(self):
        from sulh.ledger import records

        from . import services  # noqa: F401 -- registers the deadline handlers
        from .models import Acknowledgement, Answer, Miss, Report

        def readable(user, obj) -> bool:
            report = obj if isinstance(obj, Report) else obj.report
            return services.visible_reports(user).filter(pk=report.pk).exists()

        # Only hashes of the ciphertexts go into the log: a report's and an answer's content is the SHA-256 of
        # the envelope (with who, to whom, when, classification), never the envelope itself. A report's state
        # columns are bookkeeping of its acknowledgement, answer and misses.
        records.register("intel_report", Report, readable_by=readable, only=[
            "id", "code", "sender", "receiver", "classification", "sent_by_id", "sent_at", "ack_due_at",
            "envelope_sha256", "size",
        ])  # fmt: skip
        records.register("intel_ack", Acknowledgement, readable_by=readable)
        records.register("intel_answer", Answer, readable_by=readable, only=[
            "id", "report_id", "category", "envelope_sha256", "size", "by_id", "by_org", "at", "late",
        ])  # fmt: skip
        records.register("intel_miss", Miss, readable_by=readable)
