"""Settings come from the environment; DJANGO_ENV=production selects the hardened set."""

import os

from .base import *  # noqa: F403

if os.environ.get("DJANGO_ENV", "development") == "production":
    from .production import *  # noqa: F403
