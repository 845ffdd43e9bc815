from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "suite.audit"
    label = "audit"
    verbose_name = "Audit log"
