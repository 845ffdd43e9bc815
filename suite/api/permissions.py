from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from suite.accounts.models import ApiKey
from suite.tenancy.selectors import user_has_role

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


class TenantAccess(permissions.BasePermission):
    """The request has a tenant, and the caller may use this view within it.

    API keys need the view's `api_key_scope` (views without one refuse keys); users need one
    of the view's `required_roles` (empty means any member of the tenant).
    """

    # Lazy by default; the scope message is formatted, so a plain str.
    message: "_StrOrPromise" = _("You have no access to this resource in the current tenant.")

    def has_permission(self, request, view) -> bool:
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            self.message = _("You are not a member of any tenant.")
            return False
        if isinstance(request.auth, ApiKey):
            scope = getattr(view, "api_key_scope", None)
            if scope is None:
                self.message = _("API keys cannot be used here; sign in as a user.")
                return False
            if not request.auth.has_scope(scope):
                self.message = _("This API key lacks the '%(scope)s' scope.") % {"scope": scope}
                return False
            return True
        roles = getattr(view, "required_roles", ())
        return not roles or user_has_role(request.user, tenant, *roles)
