from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "sulh.meetings"
    label = "meetings"
    verbose_name = "Meetings"
