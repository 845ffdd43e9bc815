"""Who may work with cameras, rules and events: one definition for views and the API."""

from suite.tenancy.models import Role

ANALYSTS = (Role.TENANT_ADMIN, Role.VIDEO_ANALYST)
ADMINS = (Role.TENANT_ADMIN,)
