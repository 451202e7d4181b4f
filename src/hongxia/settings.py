"""One settings module, configured from the environment.

HONGXIA_DATA_DIR        where the SQLite database, keys and uploads live (default ./var)
HONGXIA_DATABASE_URL    postgres://user@127.0.0.1:5432/hongxia; SQLite in the data dir if unset
HONGXIA_SECRET_KEY      Django's secret key; generated once into the data dir if unset
HONGXIA_FIELD_KEY       Fernet key for ID numbers and phones; generated once if unset
HONGXIA_DEBUG           1 for development pages
HONGXIA_ALLOWED_HOSTS   comma-separated, default localhost,127.0.0.1
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HONGXIA_DATA_DIR", "var")).resolve()


def _key_file(name: str, make) -> str:
    """A key from the environment, or generated once into the data directory (demo installs)."""
    env = os.environ.get(f"HONGXIA_{name.upper()}")
    if env:
        return env
    path = DATA_DIR / "keys" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = _key_file("secret_key", lambda: secrets.token_urlsafe(50))
FIELD_ENCRYPTION_KEY = _key_file("field_key", _fernet_key)
DEBUG = os.environ.get("HONGXIA_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get(
    "HONGXIA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"
).split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "hongxia.core",
    "hongxia.people",
    "hongxia.party",
    "hongxia.care",
    "hongxia.ingest",
    "hongxia.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hongxia.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hongxia.core.middleware.IdleTimeoutMiddleware",
    "hongxia.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "hongxia.urls"
WSGI_APPLICATION = "hongxia.wsgi.application"

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
                "hongxia.core.context_processors.hongxia",
            ],
        },
    },
]

_db_url = os.environ.get("HONGXIA_DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "hongxia.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at
                # BEGIN so concurrent writers queue instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "hongxia.core.auth.LockoutModelBackend",
    "hongxia.core.auth.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# MLPS 2.0 practice: lock an account after repeated failures, end idle sessions.
HONGXIA_LOCKOUT_ATTEMPTS = int(os.environ.get("HONGXIA_LOCKOUT_ATTEMPTS", "5"))
HONGXIA_LOCKOUT_MINUTES = int(os.environ.get("HONGXIA_LOCKOUT_MINUTES", "15"))
HONGXIA_IDLE_MINUTES = int(os.environ.get("HONGXIA_IDLE_MINUTES", "30"))
# Milestone birthdays and ages: 'zhousui' (周岁) or 'xusui' (虚岁).
HONGXIA_AGE_RECKONING = os.environ.get("HONGXIA_AGE_RECKONING", "zhousui")
HONGXIA_PAGE_SIZE = 50
# A web import that has written no progress for this long stopped with its server process.
HONGXIA_INGEST_STALE_SECONDS = int(os.environ.get("HONGXIA_INGEST_STALE_SECONDS", "600"))
HONGXIA_EXPORT_MAX_ROWS = 200_000

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
# Files kept with records (meeting minutes, photos, sign-in sheets) are served only through
# scoped views, never from a public media URL.
HONGXIA_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
HONGXIA_ATTACHMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx",
                            ".txt")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hongxia.api.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "hongxia.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hongxia 红霞 API",
    "DESCRIPTION": "The registry of retired cadres, seen through the caller's region.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models have a "kind" or a "status" field with different choices: name each
    # set, so the document's enums are stable and readable (not KindFdeEnum).
    "ENUM_NAME_OVERRIDES": {
        "PartyOrgKindEnum": "hongxia.party.choices.OrgKind",
        "PartyMeetingKindEnum": "hongxia.party.choices.MeetingKind",
        "PartyMemberStatusEnum": "hongxia.party.choices.MemberStatus",
        "PartyAttendanceEnum": "hongxia.party.choices.Attendance",
        "PartyRequestStatusEnum": "hongxia.party.choices.RequestStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

HONGXIA_BRAND = _("Hongxia")
