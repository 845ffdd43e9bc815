"""Who does what in customer service: one definition for views, the API, sockets and services."""

from suite.tenancy.models import Role

# Agents' work: conversations, tickets, the live desk and queue.
STAFF = (Role.TENANT_ADMIN, Role.CS_AGENT, Role.CS_SUPERVISOR)
# Knowledge base, lexicon and analytics.
EDITORS = (Role.TENANT_ADMIN, Role.CS_SUPERVISOR)
