from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "sulh.documents"
    label = "documents"
    verbose_name = "Co-signed documents"
