from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "suite.accounts"
    label = "accounts"
    verbose_name = "Accounts"
