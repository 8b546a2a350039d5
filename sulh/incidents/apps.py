from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "sulh.incidents"
    label = "incidents"
    verbose_name = "Incident register"
