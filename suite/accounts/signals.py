"""API keys are memoised per process (authentication.api_key_from_raw): any change to a key or
to a tenant (deactivated, say) drops the memo everywhere."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from suite.ai.config_cache import invalidate_on_commit
from suite.tenancy.models import Tenant

from .models import ApiKey


@receiver([post_save, post_delete], sender=ApiKey)
@receiver([post_save, post_delete], sender=Tenant)
def forget_memoised_keys(sender, **kwargs) -> None:
    invalidate_on_commit()
