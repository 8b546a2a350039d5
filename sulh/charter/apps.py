from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "sulh.charter"
    label = "charter"
    verbose_name = "Charter (ceasefire configuration)"
