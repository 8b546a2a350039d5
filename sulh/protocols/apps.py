from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "sulh.protocols"
    label = "protocols"
    verbose_name = "De-escalation protocols"

    def ready(self):
        from sulh.hotline import signals as hotline_signals
        from sulh.incidents import signals as incident_signals
        from sulh.ledger import records

        from . import services
        from .models import ProtocolRun, Task, TaskReport

        records.register("protocol_run", ProtocolRun, exclude=["closed_at"],
                         readable_by=lambda user, obj: services.visible_runs(user).filter(pk=obj.pk).exists())  # fmt: skip
        records.register(
            "protocol_task", Task, only=["id", "run_id", "step", "step_index", "name", "party", "post_id", "done_kind",
                                         "done_message_type", "done_report", "within_s", "after", "remind_before_s"],
            readable_by=lambda user, obj: services.visible_tasks(user).filter(pk=obj.pk).exists(),
        )  # fmt: skip
        records.register("protocol_report", TaskReport,
                         readable_by=lambda user, obj: services.visible_tasks(user).filter(pk=obj.task_id).exists())  # fmt: skip
        incident_signals.incident_filed.connect(services.on_incident_filed, dispatch_uid="protocols-incident")
        hotline_signals.message_sent.connect(services.on_message_sent, dispatch_uid="protocols-sent")
        hotline_signals.message_acknowledged.connect(services.on_message_acknowledged, dispatch_uid="protocols-ack")
