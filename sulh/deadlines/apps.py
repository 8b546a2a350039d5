from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "sulh.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines (stored timers)"
