"""Django settings for Clientmap.

Everything that differs between a laptop and a production deployment comes from the environment:

- ``DATABASE_URL``: any URL dj-database-url understands; default a SQLite file in the data folder.
- ``CLIENTMAP_DATA_DIR``: where the SQLite file, the secret key file and uploads live
  (default: the project folder, i.e. the parent of the ``clientmap`` package).
- ``SECRET_KEY``: default a random key generated once and kept in ``DATA_DIR/.secret_key``.
- ``DEBUG``: ``1``/``true`` to enable; **off by default**.
- ``ALLOWED_HOSTS``: comma separated; default ``localhost,127.0.0.1``.
- ``CLIENTMAP_HTTPS``: ``1`` behind TLS: secure cookies, HSTS, redirect to https.
- ``CLIENTMAP_ACTIVE_WINDOW_DAYS``: the C1 activity window (default 365).
"""

from __future__ import annotations

import copy
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CLIENTMAP_DATA_DIR", PACKAGE_DIR.parent)).resolve()


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY") or os.environ.get("CLIENTMAP_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / ".secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_flag("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "clientmap.core",
    "clientmap.directory",
    "clientmap.catalog",
    "clientmap.engagements",
    "clientmap.customers",
    "clientmap.imports",
    "clientmap.valuechain",
    "clientmap.voice",
    "clientmap.experience",
    "clientmap.fit",
    # django-ninja's templates and static files (Swagger UI served from here, not a CDN); after
    # clientmap.core, whose templates/ninja/swagger.html adds the page's language.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clientmap.core.middleware.RefuseNulBytes",
    "csp.middleware.CSPMiddleware",
    "clientmap.core.middleware.ReplicaReads",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clientmap.core.language.LanguageMiddleware",
    "clientmap.core.middleware.LoginRequired",
    "clientmap.core.middleware.AuditUserMiddleware",
    "clientmap.core.derived.CurrentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last: turns a locked-out sign-in into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = os.environ.get(
    "CLIENTMAP_URLCONF", "clientmap.urls"
)  # bench/load.py adds a bare view
WSGI_APPLICATION = "clientmap.wsgi.application"

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
                "clientmap.core.context_processors.clientmap",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'clientmap.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work while an import writes; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            # A 64 MB page cache per connection: imports and recomputes build large indexes.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            ),
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env_flag("CLIENTMAP_DB_POOL", True):
    # A psycopg connection pool per process (CLIENTMAP_DB_POOL=0 for plain connections): at most
    # CLIENTMAP_DB_POOL_MAX connections, one per thread serving a request (CLIENTMAP_WEB_THREADS);
    # a request waits up to CLIENTMAP_DB_POOL_TIMEOUT seconds for one, then gets 503 and
    # Retry-After (see clientmap.core.views.server_error). Size the sum over all processes below
    # the server's max_connections (docs/deployment.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("CLIENTMAP_DB_POOL_MIN", "1")),
        "max_size": int(
            os.environ.get("CLIENTMAP_DB_POOL_MAX", os.environ.get("CLIENTMAP_WEB_THREADS", "4"))
        ),
        "timeout": float(os.environ.get("CLIENTMAP_DB_POOL_TIMEOUT", "10")),
    }
# A PostgreSQL read replica (hot standby): read-only pages and API reads go there, writes and a
# user's reads right after their own write (CLIENTMAP_REPLICA_PIN_SECONDS) to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"]),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = copy.deepcopy(DATABASES["default"].get("OPTIONS", {}))
    for alias in ("default", "replica"):
        DATABASES[alias]["OPTIONS"].setdefault("connect_timeout", 3)
    DATABASE_ROUTERS = ["clientmap.core.replica.ReplicaRouter"]
REPLICA_PIN_SECONDS = int(os.environ.get("CLIENTMAP_REPLICA_PIN_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Passwords: Argon2id first; PBKDF2 hashes from before are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Sign-in throttling (django-axes): after CLIENTMAP_LOGIN_FAILURES failed attempts for one user
# name from one address, that pair is locked for CLIENTMAP_LOCKOUT_MINUTES (or until
# ``clientmap unlock USER``). The same check guards the password asked before making an API token.
AUTHENTICATION_BACKENDS = [
    "clientmap.core.auth_backends.Throttled",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in with the organization's identity provider: does nothing unless OIDC_ENABLED.
    "clientmap.directory.sso.PersonBackend",
]

# OpenID Connect (mozilla-django-oidc), off unless the client id and the provider's endpoints are
# given (docs/security.md, "Sign-in with the organization's identity provider").


def oidc_settings(environ) -> dict:
    """The ``OIDC_*`` settings from the ``CLIENTMAP_OIDC_*`` variables of ``environ``.

    The SSO round trip (tests/security/test_sso_provider.py) configures Clientmap through this
    with the variables an administrator would set for the provider it starts."""
    algo = environ.get("CLIENTMAP_OIDC_SIGN_ALGO", "") or "RS256"
    values = {
        "OIDC_RP_CLIENT_ID": environ.get("CLIENTMAP_OIDC_CLIENT_ID", ""),
        "OIDC_RP_CLIENT_SECRET": environ.get("CLIENTMAP_OIDC_CLIENT_SECRET", ""),
        "OIDC_OP_ISSUER": environ.get("CLIENTMAP_OIDC_ISSUER", ""),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": environ.get("CLIENTMAP_OIDC_AUTHORIZATION_ENDPOINT", ""),
        "OIDC_OP_TOKEN_ENDPOINT": environ.get("CLIENTMAP_OIDC_TOKEN_ENDPOINT", ""),
        "OIDC_OP_USER_ENDPOINT": environ.get("CLIENTMAP_OIDC_USERINFO_ENDPOINT", ""),
        "OIDC_OP_JWKS_ENDPOINT": environ.get("CLIENTMAP_OIDC_JWKS_ENDPOINT", ""),
        "OIDC_RP_SIGN_ALGO": algo,
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": 10,
        "OIDC_PROVIDER_NAME": environ.get("CLIENTMAP_OIDC_NAME", ""),
    }
    values["OIDC_ENABLED"] = bool(
        values["OIDC_RP_CLIENT_ID"]
        and values["OIDC_OP_AUTHORIZATION_ENDPOINT"]
        and values["OIDC_OP_TOKEN_ENDPOINT"]
        and values["OIDC_OP_USER_ENDPOINT"]
        and (values["OIDC_OP_JWKS_ENDPOINT"] or not algo.startswith(("RS", "ES")))
    )
    return values


globals().update(oidc_settings(os.environ))
LOGIN_REDIRECT_URL_FAILURE = "/login/"
AXES_ENABLED = env_flag("CLIENTMAP_THROTTLE", default=True)
AXES_FAILURE_LIMIT = int(os.environ.get("CLIENTMAP_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CLIENTMAP_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clientmap.core.views.locked_out"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
try:  # WhiteNoise warns on every start when the folder is missing (before collectstatic)
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "clientmap.core.staticfiles.StaticStorage"
        )
    },
}
# Hashed names (collectstatic) are cached for ever by browsers; the rest for an hour.
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clientmap@localhost")

# Content-Security-Policy (django-csp): only this site's own files; no inline script or style
# (no nonce, no 'unsafe-inline'), no framing (and X-Frame-Options DENY for old browsers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Security defaults; CLIENTMAP_HTTPS=1 turns on the TLS-only ones.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_flag("CLIENTMAP_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_flag("CLIENTMAP_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Stateless app processes: sessions in the database (Django's default), the cache in Redis when
# CLIENTMAP_REDIS_URL is set, else in the database on PostgreSQL; per process on SQLite (one
# machine). Job progress lives in the database (core.Job), never in the cache.
if os.environ.get("CLIENTMAP_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CLIENTMAP_REDIS_URL"],
        }
    }
elif not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clientmap_cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background jobs: the Django tasks API (django_tasks, Django 6's django.tasks backported) on its
# database backend; ``clientmap worker`` runs them. CLIENTMAP_TASKS_BACKEND=
# django_tasks.backends.immediate.ImmediateBackend runs each job at once in the process that
# queued it (tests; a laptop without a worker).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CLIENTMAP_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CLIENTMAP = {
    # C1: a relation is active while it has evidence inside this many days.
    "ACTIVE_WINDOW_DAYS": int(os.environ.get("CLIENTMAP_ACTIVE_WINDOW_DAYS", "365")),
    # A running job whose worker gave no sign of life for this long is reaped (requeued or failed).
    "JOB_STALE_SECONDS": int(os.environ.get("CLIENTMAP_JOB_STALE_SECONDS", "120")),
    # X1 surveys: a link expires after this many days; nobody is surveyed twice inside the
    # quiet period; one reminder goes after this many days unless answered; the never-asked
    # list counts anyone not asked in this many months.
    "SURVEY_EXPIRY_DAYS": int(os.environ.get("CLIENTMAP_SURVEY_EXPIRY_DAYS", "30")),
    "SURVEY_QUIET_DAYS": int(os.environ.get("CLIENTMAP_SURVEY_QUIET_DAYS", "30")),
    "SURVEY_REMIND_AFTER_DAYS": int(os.environ.get("CLIENTMAP_SURVEY_REMIND_AFTER_DAYS", "7")),
    "NEVER_ASKED_MONTHS": int(os.environ.get("CLIENTMAP_NEVER_ASKED_MONTHS", "12")),
    # Absolute base of the links in survey mails (e.g. https://clientmap.example.org).
    "BASE_URL": os.environ.get("CLIENTMAP_BASE_URL", "http://localhost:8000"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
