"""Who does what with video ringtones: one definition for views and the API."""

from suite.tenancy.models import Role

# Subscribers make their own; an admin can try the creation flow.
CREATORS = (Role.SUBSCRIBER, Role.TENANT_ADMIN)
REVIEWERS = (Role.RINGTONE_REVIEWER, Role.TENANT_ADMIN)
# An enterprise's admin sets its company ringtone.
ENTERPRISE_ADMINS = (Role.TENANT_ADMIN,)
