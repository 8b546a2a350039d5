from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "sulh.geo"
    label = "geo"
    verbose_name = "Geography"
