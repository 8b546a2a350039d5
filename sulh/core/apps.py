from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sulh.core"
    label = "core"
    verbose_name = "Shared machinery"
