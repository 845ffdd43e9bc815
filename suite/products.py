"""Product modules plug into the suite through their AppConfig, never through imports.

A product AppConfig sets `url_prefix` (portal pages at /<prefix>/, API at /api/v1/<prefix>/),
`description`, and `roles` (who sees it in the portal navigation).
"""

from importlib.util import find_spec

from django.apps import AppConfig, apps


def product_apps() -> list[AppConfig]:
    return [config for config in apps.get_app_configs() if getattr(config, "url_prefix", None)]


def has_module(config: AppConfig, submodule: str) -> bool:
    return find_spec(f"{config.name}.{submodule}") is not None
