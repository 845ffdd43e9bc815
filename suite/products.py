"""Product modules plug into the suite through their AppConfig, never through imports.

A product AppConfig sets `url_prefix` (portal pages at /<prefix>/, API at /api/v1/<prefix>/),
`description`, and `roles` (who sees it in the portal navigation). Optional hooks:
- `subscriber_entries`: ((URL name, label), ...) linked from the subscriber mobile home;
- a `demo` submodule with `seed_demo()`, run by `manage.py seed_demo` after the suite's own
  demo tenants and users exist (it must be idempotent);
- a `locale/` folder with the product's own zh_Hans catalogue;
- `periodic_tasks`: {name: {"task": "<celery task name>", "schedule": seconds}}, added to
  celery beat's schedule by `suite.celery.collect_periodic_tasks` (core apps may declare
  them too: `suite.jobs` sweeps jobs whose worker died).
"""

from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING, cast

from django.apps import AppConfig, apps
from django.urls import reverse

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    class ProductConfig(AppConfig):
        """A product's AppConfig: what the module docstring says it declares."""

        url_prefix: str
        description: _StrOrPromise
        roles: tuple[str, ...]


def product_apps() -> "list[ProductConfig]":
    # A url_prefix is what makes an app a product; the rest comes with it by convention.
    return cast(
        "list[ProductConfig]",
        [config for config in apps.get_app_configs() if getattr(config, "url_prefix", None)],
    )


def periodic_task_apps() -> list[AppConfig]:
    """Every app that declares `periodic_tasks`: the products, and core apps such as jobs."""
    return [config for config in apps.get_app_configs() if getattr(config, "periodic_tasks", None)]


def has_module(config: AppConfig, submodule: str) -> bool:
    return find_spec(f"{config.name}.{submodule}") is not None


def seed_product_demos() -> list[str]:
    """Run every product's `demo.seed_demo()`; returns the labels of the products seeded."""
    seeded = []
    for config in product_apps():
        if has_module(config, "demo"):
            import_module(f"{config.name}.demo").seed_demo()
            seeded.append(config.label)
    return seeded


def subscriber_entries(config: AppConfig) -> list[tuple[str, str]]:
    """(URL, label) pairs a product offers subscribers on the mobile home."""
    return [(reverse(name), label) for name, label in getattr(config, "subscriber_entries", ())]
