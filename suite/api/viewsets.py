"""Tenant-scoped API bases that a subclass cannot bypass.

Subclasses declare `queryset` and may narrow it in `scope_queryset(queryset)`; the tenant filter
is applied here, after the subclass, and overriding `get_queryset` is refused at import time.
"""

from typing import TYPE_CHECKING, ClassVar, cast

from django.contrib.auth import get_user_model
from rest_framework import generics, viewsets
from rest_framework.permissions import IsAuthenticated

from suite.tenancy.models import Tenant
from suite.tenancy.selectors import user_has_role

from .permissions import TenantAccess

if TYPE_CHECKING:
    from django.http import HttpRequest

    class _TenantRequest(HttpRequest):
        # Set by the API's authentication; TenantAccess refuses a request without one.
        tenant: Tenant

    # What the mixin is always combined with, so its methods see the view's attributes.
    _ViewBase = generics.GenericAPIView
else:
    _ViewBase = object

_SEALED = ("get_queryset",)


class TenantScopedMixin(_ViewBase):
    permission_classes = (IsAuthenticated, TenantAccess)
    api_key_scope: ClassVar[str | None] = None
    required_roles: ClassVar[tuple[str, ...]] = ()
    # Roles shown personal data unmasked on one object's detail; lists always mask it
    # (serializers built on suite.api.masking.MaskPersonalData).
    personal_data_roles: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}(); narrow the queryset in "
                    "scope_queryset() instead so the tenant filter always applies."
                )
        permissions = cls.__dict__.get("permission_classes")
        if permissions is not None and TenantAccess not in permissions:
            raise TypeError(f"{cls.__name__}.permission_classes must include TenantAccess.")

    @property
    def tenant(self) -> Tenant:
        return cast("_TenantRequest", self.request._request).tenant

    def scope_queryset(self, queryset):
        return queryset

    def shows_personal_data(self) -> bool:
        if getattr(self, "action", None) != "retrieve" or not self.personal_data_roles:
            return False
        user = self.request.user
        # An API key carries no role: integrators get the masked view.
        if not isinstance(user, get_user_model()):
            return False
        return user_has_role(user, self.tenant, *self.personal_data_roles)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("masked", not self.shows_personal_data())
        return context

    def get_queryset(self):
        queryset = self.scope_queryset(super().get_queryset())
        # Applied last: whatever the subclass did, only this tenant's rows remain.
        return queryset.filter(tenant=self.tenant)


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    pass


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantAPIView(TenantScopedMixin, generics.GenericAPIView):
    """For non-model endpoints that still need a tenant and the scope/role checks."""
