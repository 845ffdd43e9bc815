"""Who does what on the 12345 hotline: one definition for views, the API and sockets."""

from suite.tenancy.models import Role

ADMIN = Role.TENANT_ADMIN
# Intake: taking calls and drafting work orders.
AGENT = (ADMIN, Role.HOTLINE_AGENT, Role.HOTLINE_DISPATCHER)
# Dispatching orders to departments, reports, the catalogue's rules.
DISPATCH = (ADMIN, Role.HOTLINE_DISPATCHER)
# The departments' own handlers.
HANDLER = (Role.DEPARTMENT_HANDLER,)
# Whoever works on an order's way from dispatch to its answer.
DEPARTMENT = (*DISPATCH, Role.DEPARTMENT_HANDLER)
STAFF = (*AGENT, Role.DEPARTMENT_HANDLER)
# The live-call desk.
DESK = (ADMIN, Role.HOTLINE_AGENT)
