from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from suite.tenancy.roles import Role


class CustomerServiceConfig(AppConfig):
    name = "customer_service"
    label = "customer_service"
    verbose_name = _("Customer service")
    url_prefix = "customer-service"
    description = _(
        "Dialect-aware voice and chat customer service, knowledge base, agent assist and tickets."
    )
    roles = (Role.TENANT_ADMIN, Role.CS_AGENT, Role.CS_SUPERVISOR)
    subscriber_entries = (
        ("customer_service:m_chat", _("Online assistant")),
        ("customer_service:m_tickets", _("My tickets")),
    )
    # Marks overdue tickets and alerts their agents; idempotent, so a missed beat costs nothing.
    periodic_tasks = {
        "customer-service-sla-breach": {
            "task": "customer_service.sla_breach_check",
            "schedule": 5 * 60,
        },
    }
