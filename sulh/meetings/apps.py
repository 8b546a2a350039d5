from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "sulh.meetings"
    label = "meetings"
    verbose_name = "Meetings"

    def ready(self):
        from sulh.ledger import records

        from . import services  # importing it registers the reminder and missed-meeting deadline handlers
        from .models import (
            Attendance,
            Decision,
            DecisionObligation,
            Delegation,
            Meeting,
            MeetingChange,
            Minutes,
            Reminder,
        )

        def readable(user, obj) -> bool:
            return services.can_read(user)

        # A meeting's state, missed_by and revision are bookkeeping of its logged entries (meeting.scheduled,
        # .rescheduled, .cancelled, .held, .missed); its times and place are content, changed only by a logged
        # MeetingChange with a reason.
        records.register("meeting", Meeting, exclude=["state", "state_changed_at", "missed_by", "revision"],
                         readable_by=readable)  # fmt: skip
        records.register("meeting_change", MeetingChange, readable_by=readable)
        records.register("delegation", Delegation, readable_by=readable)
        records.register("attendance", Attendance, readable_by=readable)
        records.register("minutes", Minutes, readable_by=readable)
        records.register("decision", Decision, readable_by=readable)
        records.register("decision_obligation", DecisionObligation, readable_by=readable)
        records.register("meeting_reminder", Reminder, readable_by=readable)
