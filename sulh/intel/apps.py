from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "sulh.intel"
    label = "intel"
    verbose_name = "Intelligence exchange"
