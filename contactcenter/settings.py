"""Settings for every profile, read from the environment (embedded demo by default)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

# Lets admin and other generic classes be subscripted at run time, as the type stubs describe them.
django_stubs_ext.monkeypatch()

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.str("CC_DATA_DIR", default="./var")).expanduser().resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if key := str(env.str("SECRET_KEY", default="")):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("CC_DEBUG", default=False)
REDIS_URL = env.str("REDIS_URL", default="")
DATABASE_URL = env.str("DATABASE_URL", default="")
EMBEDDED = not (REDIS_URL or DATABASE_URL)

# The embedded demo is reached by IP or hostname on a LAN; production must list its hosts.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if EMBEDDED or DEBUG else ["localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "contactcenter.core.customers",
    "contactcenter.core.staff",
    "contactcenter.core.inboxes",
    "routing",
    "bot",
    "tickets",
    "tickets.mail",
    "tickets.automation",
    "tickets.sla",
    "tickets.csat",
    "tickets.sms",
    "chat",
    "chat.wechat",
    "widget",
    "contactcenter.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "contactcenter.urls"
ASGI_APPLICATION = "contactcenter.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _databases() -> dict[str, Any]:
    if DATABASE_URL:
        db = env.db_url_config(DATABASE_URL)
        db.setdefault("CONN_MAX_AGE", env.int("CC_DB_CONN_MAX_AGE", default=60))
        db["CONN_HEALTH_CHECKS"] = True
        return {"default": db}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "contactcenter.sqlite3"),
            # Keep the connection: Channels closes "old" connections around every DB call, and
            # with the default CONN_MAX_AGE of 0 each chat message reopened SQLite and re-ran
            # the PRAGMAs (p50 1.3 s instead of 10 ms in `contactcenter bench chat`).
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
                # busy timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _channel_layers() -> dict[str, Any]:
    if REDIS_URL:
        return {
            "default": {
                # The pub/sub layer: fan-out without per-channel capacity drops (see
                # docs/operations.md). Delivery is never trusted to it: clients replay from the DB.
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [
                        {
                            "address": REDIS_URL,
                            "max_connections": env.int("CC_REDIS_MAX_CONNECTIONS", default=500),
                            # redis-py's default 5 s read timeout equals the layer's idle
                            # blocking wait and kills idle consumers; keep it well above.
                            "socket_timeout": 60,
                            "socket_connect_timeout": 5,
                            "health_check_interval": 15,
                        }
                    ],
                    "prefix": env.str("CC_CHANNEL_PREFIX", default="cc"),
                },
            }
        }
    return {
        "default": {
            # Channels' in-memory layer, minus a sweep of every socket on each message (see there).
            "BACKEND": "contactcenter.layers.InMemoryChannelLayer",
            # The default capacity of 100 silently drops group messages under load.
            "CONFIG": {"capacity": 10_000, "expiry": 60},
        }
    }


CHANNEL_LAYERS = _channel_layers()

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a broker in production; tasks run in-process in the embedded profile.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Beat (production profile) fires due SLA warnings and breaches, fetches and sends e-mail (docs/email.md);
# the in-process ticker runs the same jobs (both at once is safe: each job claims its rows).
CELERY_BEAT_SCHEDULE = {
    "tickets_sla.fire_due": {"task": "tickets_sla.fire_due", "schedule": 15.0},
    "tickets_mail.fetch_due": {"task": "tickets_mail.fetch_due", "schedule": 10.0},
    "tickets_mail.send_due": {"task": "tickets_mail.send_due", "schedule": 5.0},
    "tickets_mail.enqueue_missed": {"task": "tickets_mail.enqueue_missed", "schedule": 60.0},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("CC_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves app static files through finders; this stays empty
MEDIA_ROOT = DATA_DIR / "media"
# Attachments are never served from MEDIA_URL: they go through access-checked views.
MEDIA_URL = "/_media_not_served/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("CC_BEHIND_TLS_PROXY", default=False) else None
SESSION_COOKIE_SECURE = env.bool("CC_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Integrations: `contactcenter manage drf_create_token USER`, then "Authorization: Token <key>".
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "contactcenter.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "contactcenter API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "WorkKindEnum": "routing.models.Kind.choices",
        # Two "status" choice sets: the conversation's keeps its name, the article's gets its own.
        "StatusEnum": "chat.models.Conversation.Status",
        "ArticleStatusEnum": "bot.models.Article.Status",
        "TicketStatusEnum": "tickets.models.Status",
        "TimelineEntryKindEnum": "tickets.models.TimelineEntry.Kind",
        "TicketLinkKindEnum": "tickets.models.TicketLink.Kind",
    },
    # The docs page's scripts ship with drf-spectacular-sidecar: no CDN.
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Garbage collector thresholds of server processes (contactcenter/runtime.py, docs/benchmarks.md);
# "python" keeps the interpreter's (700,10,10), whose full collections set the chat latency tail.
CC_GC_THRESHOLD = env.str("CC_GC_THRESHOLD", default="50000,20,100")
# Log collections that stop the server longer than this (0: never).
CC_GC_WARN_MS = env.float("CC_GC_WARN_MS", default=100.0)

# Realtime limits (see docs/protocol.md).
CC_MAX_FRAME_BYTES = env.int("CC_MAX_FRAME_BYTES", default=16 * 1024)
CC_MAX_MESSAGE_CHARS = env.int("CC_MAX_MESSAGE_CHARS", default=5000)
CC_RATE_FRAMES_PER_S = env.float("CC_RATE_FRAMES_PER_S", default=10.0)
CC_RATE_BURST = env.int("CC_RATE_BURST", default=30)
CC_RATE_STRIKES_BEFORE_CLOSE = env.int("CC_RATE_STRIKES_BEFORE_CLOSE", default=20)
CC_ATTACHMENT_MAX_BYTES = env.int("CC_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Routing (docs/routing.md): a queued visitor whose widget has not been seen for this long has left.
CC_VISITOR_GRACE_S = env.int("CC_VISITOR_GRACE_S", default=120)
# demo and serve run the periodic jobs (routing sweep, ...) in a thread of their own process;
# off when a separate `contactcenter tick` process does it.
CC_IN_PROCESS_TICKER = env.bool("CC_IN_PROCESS_TICKER", default=True)
# FAQ bot (docs/bot.md): how often each process checks whether the knowledge base changed, and
# how long a channel's external Rasa assistant may take before the built-in bot answers instead.
# The demo loads the sample FAQ so that the bot answers first; the browser tests of other
# features switch it off (tests/liveserver.py) to talk to agents directly.
CC_DEMO_FAQ = env.bool("CC_DEMO_FAQ", default=True)
# The demo's sample tickets (a dozen, bilingual) so the ticket desk is not empty on first sight.
CC_DEMO_TICKETS = env.bool("CC_DEMO_TICKETS", default=True)
CC_BOT_INDEX_CHECK_S = env.float("CC_BOT_INDEX_CHECK_S", default=1.0)
# The team that gets tickets the bot opens (a team slug; empty: the first team).
CC_BOT_TICKET_TEAM = env.str("CC_BOT_TICKET_TEAM", default="")
CC_RASA_TIMEOUT_S = env.float("CC_RASA_TIMEOUT_S", default=3.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# E-mail (docs/operations.md): portal sign-in links and web-form receipts. EMAIL_URL is one URL,
# e.g. smtp+tls://user:password@smtp.example.com:587; without it the embedded profile prints mails
# to the console and production uses plain SMTP on localhost:25 (a local relay).
_email = env.email_url("EMAIL_URL", default="consolemail://" if EMBEDDED else "smtp://localhost:25")
# EMAIL_BACKEND overrides the URL's, e.g. django.core.mail.backends.filebased.EmailBackend with
# EMAIL_FILE_PATH (the browser tests read their mails that way).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=_email["EMAIL_BACKEND"])
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=_email.get("EMAIL_FILE_PATH") or str(DATA_DIR / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="contactcenter <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Customer portal and web form (docs/tickets.md): where links in mails point (scheme and host; empty:
# the host of the request, which only ALLOWED_HOSTS vouches for), how long a sign-in link lives, how
# many links an address or an IP may ask for per window, and the teams whose public web form is open.
CC_PUBLIC_URL = env.str("CC_PUBLIC_URL", default="").rstrip("/")
CC_PORTAL_LINK_MINUTES = env.int("CC_PORTAL_LINK_MINUTES", default=30)
CC_PORTAL_LINKS_PER_WINDOW = env.int("CC_PORTAL_LINKS_PER_WINDOW", default=5)
CC_PORTAL_WINDOW_MINUTES = env.int("CC_PORTAL_WINDOW_MINUTES", default=15)
CC_WEBFORM_TEAMS = env.list("CC_WEBFORM_TEAMS", default=[])
CC_WEBFORM_PER_IP = env.int("CC_WEBFORM_PER_IP", default=5)
# Portal mails leave from a background thread, so the answer takes as long for unknown addresses.
CC_PORTAL_MAIL_IN_BACKGROUND = env.bool("CC_PORTAL_MAIL_IN_BACKGROUND", default=True)
# The e-mail channel (docs/email.md): larger incoming mails are not downloaded, only logged.
CC_MAIL_MAX_BYTES = env.int("CC_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# The SMS channel (docs/automation.md): a generic HTTP JSON gateway (empty URL: no SMS is queued), its
# Bearer token, the sender name or number it is asked to show, and how long a call may take.
CC_SMS_GATEWAY_URL = env.str("CC_SMS_GATEWAY_URL", default="")
CC_SMS_GATEWAY_TOKEN = env.str("CC_SMS_GATEWAY_TOKEN", default="")
CC_SMS_SENDER = env.str("CC_SMS_SENDER", default="")
CC_SMS_TIMEOUT_S = env.float("CC_SMS_TIMEOUT_S", default=5.0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# WeChat Official Accounts (docs/wechat.md): the API's base URL (tests point it at a local fake), how
# old a signed callback may be before it counts as a replay, and whether callbacks are processed in a
# thread after WeChat has its answer (tests process them in the request).
CC_WECHAT_API_BASE = env.str("CC_WECHAT_API_BASE", default="https://api.weixin.qq.com").rstrip("/")
CC_WECHAT_MAX_SKEW_S = env.int("CC_WECHAT_MAX_SKEW_S", default=300)
CC_WECHAT_TIMEOUT_S = env.float("CC_WECHAT_TIMEOUT_S", default=5.0)
CC_WECHAT_IN_BACKGROUND = env.bool("CC_WECHAT_IN_BACKGROUND", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("CC_LOG_LEVEL", default="INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
