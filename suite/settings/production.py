"""Hardened overrides for DJANGO_ENV=production; `check --deploy` passes with these."""

from django.core.exceptions import ImproperlyConfigured

from .base import DATABASE_URL, DATABASES, REDIS_URL, SECRET_KEY
from .env import env_bool, env_int

DEBUG = False

if not SECRET_KEY or SECRET_KEY.startswith("embedded-default") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Production needs SECRET_KEY: a random string of 50+ characters.")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL.")
if not REDIS_URL:
    raise ImproperlyConfigured("Production needs REDIS_URL (Celery broker, cache, channel layer).")

# A bounded pool of PostgreSQL connections per process (psycopg_pool): without it every request
# opened its own connection, and two uvicorn workers under load ran PostgreSQL out of
# connections ("too many clients") and answered 5xx. A request beyond the pool waits for a free
# connection (DB_POOL_TIMEOUT_S) instead. The pool replaces persistent connections.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10)
if DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env_int("DB_POOL_TIMEOUT_S", 20),
    }

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
WHITENOISE_USE_FINDERS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
