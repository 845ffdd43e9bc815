from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "suite.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
