from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "sulh.media"
    label = "media"
    verbose_name = "Media monitoring"
