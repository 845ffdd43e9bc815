"""Decorators for portal pages: who may open them, within the current tenant."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect

from suite.tenancy.models import STAFF_ROLES, Role
from suite.tenancy.selectors import roles_in_tenant


def _guard(allowed: frozenset[str], login_url: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url)
            roles = roles_in_tenant(request.user, request.tenant)
            if not roles & allowed:
                if Role.SUBSCRIBER in roles and allowed & STAFF_ROLES:
                    return redirect("portal:subscriber_home")
                # Same answer as a page that does not exist: nothing to learn by probing.
                raise Http404
            request.roles = roles
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_required(view=None, *, roles=STAFF_ROLES):
    decorator = _guard(frozenset(str(r) for r in roles), "portal:login")
    return decorator(view) if view is not None else decorator


def subscriber_required(view):
    return _guard(frozenset({Role.SUBSCRIBER.value}), "portal:subscriber_login")(view)


# Tenant-admin pages, in the portal and in the modules that add their own.
admin_required = staff_required(roles=(Role.TENANT_ADMIN,))
