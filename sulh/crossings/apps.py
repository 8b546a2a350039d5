from django.apps import AppConfig


class CrossingsConfig(AppConfig):
    name = "sulh.crossings"
    label = "crossings"
    verbose_name = "Crossings"
