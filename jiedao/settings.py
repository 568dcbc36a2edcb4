"""One settings module, driven by environment variables with safe local defaults."""

import json
import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

# --- Paths ----------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("JIEDAO_VAR_DIR", REPO_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


TESTING = "pytest" in sys.modules or os.environ.get("JIEDAO_TESTING") == "1"

# --- Security -------------------------------------------------------------------------
# The defaults are for a developer's machine only; production sets every one of these.
SECRET_KEY = os.environ.get("JIEDAO_SECRET_KEY", "dev-only-not-secret-jiedao-key-change-me")
DEBUG = env_bool("JIEDAO_DEBUG", default=False)
ALLOWED_HOSTS = os.environ.get("JIEDAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("JIEDAO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SESSION_COOKIE_HTTPONLY = True
# Behind TLS (a reverse proxy that sets X-Forwarded-Proto), JIEDAO_SECURE=1 marks cookies
# secure and trusts the proxy's scheme header.
if env_bool("JIEDAO_SECURE", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("JIEDAO_HSTS_SECONDS", "0"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Keys for personal data: a Fernet key for encryption at rest and a key for the blind index.
# Unset, both are derived from SECRET_KEY (see jiedao.core.pii); production sets its own.
JIEDAO_PII_KEY = os.environ.get("JIEDAO_PII_KEY", "")
JIEDAO_PII_HASH_KEY = os.environ.get("JIEDAO_PII_HASH_KEY", "")

# --- Applications ---------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "ninja",
    "auditlog",
    "django_htmx",
]
LOCAL_APPS = [
    "jiedao.core",
    "jiedao.accounts",
    "jiedao.affairs",
    "jiedao.business",
    "jiedao.renewal",
    "jiedao.livelihood",
    "jiedao.evaluations",
    "jiedao.hotline",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
    "django_htmx.middleware.HtmxMiddleware",
    "jiedao.core.audit.AuditMiddleware",
    "jiedao.core.middleware.NotPermittedMiddleware",
]

ROOT_URLCONF = "jiedao.urls"
WSGI_APPLICATION = "jiedao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiedao.accounts.context_processors.navigation",
                "jiedao.accounts.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Embedded SQLite under var/ unless DATABASE_URL names another (e.g. postgres://…).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiedao.sqlite3'}"),
        conn_max_age=int(os.environ.get("JIEDAO_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (progress of long jobs lives here) -----------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers share one Redis: each keeps to its own prefix.
            "KEY_PREFIX": os.environ.get("JIEDAO_CACHE_PREFIX", "jiedao")
            + os.environ.get("PYTEST_XDIST_WORKER", ""),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background jobs ------------------------------------------------------------------
# With no broker configured, tasks run inline (eagerly) in the calling process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
# `celery -A jiedao beat`: periodic jobs (each safe to run twice).
CELERY_BEAT_SCHEDULE = {
    "affairs-sla-check": {"task": "jiedao.affairs.tasks.sla_check_task", "schedule": 60 * 60},
    "business-sla-check": {
        "task": "jiedao.business.tasks.request_sla_task",
        "schedule": 60 * 60,
    },
    "evaluations-sla-check": {
        "task": "jiedao.evaluations.tasks.rectification_sla_task",
        "schedule": 60 * 60,
    },
    "hotline-sla-check": {"task": "jiedao.hotline.tasks.hotline_sla_task", "schedule": 60 * 60},
}

# --- Passwords and sessions -----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Languages and time ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
# Every script, style sheet and chart library is served from here: no CDN, ever.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads: imports are read in memory up to this size, and refused above it.
JIEDAO_IMPORT_MAX_BYTES = int(os.environ.get("JIEDAO_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
JIEDAO_IMPORT_MAX_ROWS = int(os.environ.get("JIEDAO_IMPORT_MAX_ROWS", "20000"))
# Livelihood photos: the largest upload accepted (checked by content, see livelihood/photos.py).
JIEDAO_PHOTO_MAX_BYTES = int(os.environ.get("JIEDAO_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
_MAX_UPLOAD = max(JIEDAO_IMPORT_MAX_BYTES, JIEDAO_PHOTO_MAX_BYTES)
DATA_UPLOAD_MAX_MEMORY_SIZE = _MAX_UPLOAD + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = _MAX_UPLOAD + 1024 * 1024

# --- Audit ----------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Demo -----------------------------------------------------------------------------
# 12345 score: the weights of the response, resolution and satisfaction rates (JSON object).
JIEDAO_HOTLINE_WEIGHTS = json.loads(
    os.environ.get(
        "JIEDAO_HOTLINE_WEIGHTS", '{"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}'
    )
)
JIEDAO_DEMO_PASSWORD = os.environ.get("JIEDAO_DEMO_PASSWORD", "jiedao-demo")
JIEDAO_DEMO_SEED = int(os.environ.get("JIEDAO_DEMO_SEED", "20251"))

# --- Logging (personal data is masked by a filter on every handler) -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "jiedao.core.pii.MaskPiiLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_pii"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("JIEDAO_LOG_LEVEL", "INFO")},
}
