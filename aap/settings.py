"""Settings read from the environment; the defaults run the demo on SQLite under var/."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from aap.storage import file_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AAP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
# Demo mode creates the demo accounts; it is never on unless asked for.
DEMO = env_bool("AAP_DEMO", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or DEMO):
        raise ImproperlyConfigured("SECRET_KEY must be set outside DEBUG and demo mode.")
    SECRET_KEY = "insecure-demo-key-do-not-use-in-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "axes",
    # Its system checks catch settings left in django-csp 3's format.
    "csp",
    "dsfr",
    # django-dsfr's field templates load its filters (a dependency of django-dsfr).
    "widget_tweaks",
    # ninja serves its docs page's Swagger UI from its bundled static files only when it is installed.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "core",
    "documents",
    "front",
    "demo",
    "api",
    "search",
    "operations",
    "synthetic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "front.accounts.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aap.urls"
WSGI_APPLICATION = "aap.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "front.navigation.navigation",
                "front.legal.service",
            ],
            # The French formats of amounts, numbers and dates (core.formats), in every template.
            "builtins": ["front.templatetags.formats"],
        },
    },
]

SQLITE_PATH = VAR_DIR / "aap.sqlite3"
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A connection kept across requests is tested before a request uses it: a database restarted meanwhile costs
        # a reconnection, not that request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while an import writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A random read costs what a sequential one does once the data is in memory or on SSD (100 000 dossiers: a few
    # hundred MB). With PostgreSQL's default (4, for spinning disks), the planner read a whole table to join the few
    # hundred rows of a call or a landlord: every agreement of the programme for a dashboard of 133 dossiers
    # (40 660 rows, 5 ms for 0.1), every committee for the first page of the list of dossiers.
    # Added to what DATABASE_URL sets (sslmode...); an `options` given there is kept as it is.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c random_page_cost=1.1")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "demo.auth.DemoAwareBackend",
]
# ProConnect (OpenID Connect, mozilla-django-oidc), off unless PROCONNECT_ENABLED: State agents log in with it, and
# are matched by e-mail to the account they were invited to (front/proconnect.py). The endpoints are the provider's.
PROCONNECT_ENABLED = env_bool("PROCONNECT_ENABLED", False)
if PROCONNECT_ENABLED:
    AUTHENTICATION_BACKENDS.append("front.proconnect.ProConnectBackend")
PROCONNECT_REQUIRED = [
    "PROCONNECT_CLIENT_ID", "PROCONNECT_CLIENT_SECRET", "PROCONNECT_AUTHORIZATION_ENDPOINT",
    "PROCONNECT_TOKEN_ENDPOINT", "PROCONNECT_USERINFO_ENDPOINT", "PROCONNECT_JWKS_ENDPOINT",
]  # fmt: skip
if PROCONNECT_ENABLED and (missing := [name for name in PROCONNECT_REQUIRED if not os.environ.get(name)]):
    raise ImproperlyConfigured(f"PROCONNECT_ENABLED needs {', '.join(missing)}.")
OIDC_RP_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("PROCONNECT_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("PROCONNECT_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("PROCONNECT_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("PROCONNECT_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("PROCONNECT_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("PROCONNECT_SCOPES", "openid email given_name usual_name")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("PROCONNECT_TIMEOUT_SECONDS", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "proconnect_callback"
# Logging out after a ProConnect login ends the ProConnect session too, when the provider's end-session endpoint is
# set: the browser is sent there with the ID token kept in the session at login, and comes back to the login page
# (its address must be registered with the provider as a post-logout redirect URI).
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("PROCONNECT_LOGOUT_ENDPOINT", "")
OIDC_STORE_ID_TOKEN = True
OIDC_OP_LOGOUT_URL_METHOD = "front.proconnect.provider_logout_url"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": file_storage(os.environ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# The cache is shared by every application server and worker when REDIS_URL names a Redis (redis://host:6379/0), and
# is each process's own memory otherwise. Sessions stay in the database (SESSION_ENGINE is Django's default): a Redis
# restarted would log everyone out.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer costs a request two seconds, rather than holding its worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Work done away from the request (e-mails, exports, documents, reminders) is queued in the database and run by
# `manage.py db_worker`: no other service to run, and workers on several machines share the queue through it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "aap@localhost")
# Who publishes and hosts the service, and whom users write to about accessibility and their data: the legal notice,
# the accessibility statement and the personal-data page name them.
AAP_PUBLISHER = os.environ.get("AAP_PUBLISHER", "Secrétariat national des appels à projets du logement accompagné")
# What the service serves, as the header, the footer, the page titles and the e-mails name it: the national programme
# « 10 000 logements HLM accompagnés » (2014–2018) and the regional FNAVDL calls since 2020.
AAP_SERVICE = "appels à projets du logement accompagné"
AAP_HOST = os.environ.get("AAP_HOST", "")
AAP_CONTACT_EMAIL = os.environ.get("AAP_CONTACT_EMAIL", DEFAULT_FROM_EMAIL)
# Monitoring that presents it (Authorization: Bearer …) reads which of /sante/'s checks failed; unset, none does.
AAP_HEALTH_TOKEN = os.environ.get("AAP_HEALTH_TOKEN", "")

# Login throttling (django-axes): a username is locked out from one address after AXES_FAILURE_LIMIT
# failures in a row, for the cool-off. Keyed on the pair, so that a typo-prone colleague behind the same
# address, or an attacker elsewhere guessing a name, locks out no one else. Password reset requests are
# counted by the same means, per address asked for and per client (front.accounts.lockout_parameters).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = "front.accounts.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "front.accounts.lockout_response"
# Behind a load balancer every request comes from its address: AXES_PROXY_COUNT (the number of proxies
# that append to X-Forwarded-For) makes axes read the client's own address there instead.
if os.environ.get("AXES_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Sessions end after SESSION_IDLE_MINUTES without a request (the cookie and the stored session are
# renewed by the requests, at most once a minute, so their age is an idle timeout), and SESSION_MAX_HOURS
# after logging in whatever the activity (front.accounts.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 120) * 60
SESSION_MAX_AGE = env_int("SESSION_MAX_HOURS", 10) * 3600
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: a link in a notification e-mail must open the page already logged in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not (DEBUG or DEMO)
CSRF_COOKIE_SECURE = not (DEBUG or DEMO)
# A reset link is valid for an hour: it travels by e-mail.
PASSWORD_RESET_TIMEOUT = 3600

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or DEMO))
# A load balancer checks each server over plain HTTP, on its own network: /sante/ (aap/health.py) answers it there.
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
SECURE_HSTS_SECONDS = 0 if (DEBUG or DEMO) else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp): only the app's own files, no inline script or style, no eval.
# The pages load DSFR and htmx from static files; htmx is told not to inject its indicator <style>
# (meta htmx-config in templates/base.html). ninja's Swagger UI (/api/v1/docs) needs no exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # The letterheads' logos are inlined as data: URIs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if PROCONNECT_ENABLED and OIDC_OP_LOGOUT_ENDPOINT:
    # The logout button's form is answered, after a ProConnect login, by a redirect to the provider's end-session
    # endpoint: browsers hold form-action to the redirects a form leads to.
    logout = urlsplit(OIDC_OP_LOGOUT_ENDPOINT)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(f"{logout.scheme}://{logout.netloc}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and the font subsetter narrate every step at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "weasyprint.progress", "fontTools")},
}
CSRF_FAILURE_VIEW = "front.errors.csrf_failure"

# History is read in the admin, never reverted there: changes go through the services (core/workflow.py).
SIMPLE_HISTORY_REVERT_DISABLED = True
