from django.apps import AppConfig


class ExchangesConfig(AppConfig):
    name = "sulh.exchanges"
    label = "exchanges"
    verbose_name = "Detainee exchanges"
