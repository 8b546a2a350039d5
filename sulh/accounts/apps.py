from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sulh.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"
