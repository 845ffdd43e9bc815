from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "suite.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
