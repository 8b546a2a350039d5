from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "sulh.evidence"
    label = "evidence"
    verbose_name = "Evidence"
