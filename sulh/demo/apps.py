from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sulh.demo"
    label = "demo"
    verbose_name = "Demonstration scenario"
