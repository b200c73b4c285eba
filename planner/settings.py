"""Settings for Apheresis Planner.

Every value comes from the environment through the strict helpers below, so a
typo in a deployment ("DEBUG=ture") stops the server instead of silently
running with a default. `.env.example` lists every variable.
"""

import os
from datetime import date, time, timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from planner.core.client_address import trusted_networks

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value:g} must be between {minimum:g} and {maximum:g}.")
    return value


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    # bandit B105: DEBUG only, refused above otherwise
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "planner",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy header (django-csp), with a fresh nonce per response that uses one.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Keeps a logged-in session alive without a database write on every request (planner/idle_sessions.py).
    "planner.idle_sessions.IdleSessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Stamps every historical record with the user of the request that made the change.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out one before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with a user's permissions read in one query (planner/auth_backend.py).
    "planner.auth_backend.ModelBackend",
]
# Login throttling: after AXES_FAILURE_LIMIT failures for one username from one address, that pair is
# locked for AXES_COOLOFF_MINUTES (a ward PC's other users are not locked out by one person's typos).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address, for throttling and the logs: REMOTE_ADDR, or, when the connection comes from
# one of TRUSTED_PROXIES (the TLS proxy in front: 127.0.0.1 and ::1 by default behind it), the
# right-most address in X-Forwarded-For that is not a trusted proxy (planner/core/client_address.py).
# A header sent by anyone else is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.1", "::1"] if env_bool("BEHIND_TLS_PROXY", False) else [])
try:
    trusted_networks(TRUSTED_PROXIES)
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None
AXES_CLIENT_IP_CALLABLE = "planner.client_ip.request_client_ip"

# Idle sessions end: a request pushes the expiry forward, so only inactivity logs a user out. The session
# is saved again only once SESSION_REFRESH_SECONDS have passed since its last save (not on every request),
# so the idle timeout is SESSION_COOKIE_AGE at most and at most that many seconds less.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_REFRESH_SECONDS = 60

ROOT_URLCONF = "planner.urls"
WSGI_APPLICATION = "planner.wsgi.application"

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
                "planner.context_processors.unit",
                "planner.context_processors.csp_nonce",
                "planner.context_processors.roles",
            ],
        },
    },
]

# An SQLite file in the project when DATABASE_URL is unset; postgres://... for real use.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections: opening one per request cut throughput from ~1000 to 175 requests/s.
        conn_max_age=env_int("CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a query run 5 times on a connection prepared once: a page's
    # repeated queries are no longer planned on every request (a course page's six-table read: 8.2 -> 5.7 ms).
    # Off for a pooler in transaction mode (PgBouncer), which cannot keep a connection's prepared queries.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True
    )

# The cache every worker shares (what is cached: planner/charts.py, drawn charts by their content).
# By default a table in the application's database (created by migration 0028); with REDIS_URL, Redis.
# A per-process cache would let one worker show what another has already replaced.
CACHE_TABLE = "planner_cache"
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis costs a redraw within a second, not a hung request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            # Django's default (300) would cull a third at every write once a unit's charts exceed it.
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 1000, minimum=100)},
        }
    )
}
# Seconds a drawn chart is kept: its key is its content, so a change never shows an old drawing; a day
# keeps the table small (a chart in follow-up is a new drawing each hour).
CHART_CACHE_SECONDS = env_int("CHART_CACHE_SECONDS", 24 * 3600, minimum=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# The switcher's choice is remembered for a year in this browser.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "planner" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The container's health check calls plain http on loopback.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: everything from this server only, no inline script or style; the one
# script tag that needs it (htmx, rendered by django-htmx's tag) carries the per-response nonce.
# Images may be data: URIs because Bootstrap draws its form controls' icons that way.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Shown in the page header and, later, on printed orders.
UNIT_NAME = env_str("UNIT_NAME", "Transfusion Service — Apheresis Unit")

PATIENTS_PER_PAGE = env_int("PATIENTS_PER_PAGE", 25, minimum=1)

# The unit's calculation policy (planner.core.exchange.Policy); defaults from the clinical reference.
CALCIUM_GLUCONATE_ML_PER_L = env_float("CALCIUM_GLUCONATE_ML_PER_L", 10, minimum=0, maximum=30)
FIBRINOGEN_TRIGGER_G_PER_L = env_float("FIBRINOGEN_TRIGGER_G_PER_L", 1.0, minimum=0.5, maximum=2.0)
# Under the trigger: the level the plasma, cryoprecipitate and concentrate doses aim for, and the
# fibrinogen in one unit of cryoprecipitate (a local value: 250 mg is the cliot default).
FIBRINOGEN_TARGET_G_PER_L = env_float("FIBRINOGEN_TARGET_G_PER_L", 1.5, minimum=0.5, maximum=3.0)
CRYO_FIBRINOGEN_MG_PER_UNIT = env_float("CRYO_FIBRINOGEN_MG_PER_UNIT", 250, minimum=50, maximum=1000)
if FIBRINOGEN_TARGET_G_PER_L <= FIBRINOGEN_TRIGGER_G_PER_L:
    raise ImproperlyConfigured("FIBRINOGEN_TARGET_G_PER_L must be above FIBRINOGEN_TRIGGER_G_PER_L.")
# The course projection's fibrinogen model (planner/core/kinetics.py): the fall per plasma volume
# exchanged without plasma, e^(-k x), and the recovery toward baseline, time constant tau. tau = 116 h
# is fitted to Orlin & Berkman's 66 % of baseline 72 h after one exchange; it is not a published value.
FIBRINOGEN_DEPLETION_K = env_float("FIBRINOGEN_DEPLETION_K", 1.0, minimum=0.5, maximum=3.0)
FIBRINOGEN_RECOVERY_TAU_HOURS = env_float("FIBRINOGEN_RECOVERY_TAU_HOURS", 116, minimum=24, maximum=500)
# Share of IgG in the blood (about 0.45; IgM about 0.76): what one exchange can reach.
IGG_INTRAVASCULAR_FRACTION = env_float("IGG_INTRAVASCULAR_FRACTION", 0.45, minimum=0.2, maximum=1.0)
# Extracorporeal volume as % of blood volume: warn from the first, require a prime from the second.
ECV_WARNING_PERCENT = env_float("ECV_WARNING_PERCENT", 10, minimum=5, maximum=30)
ECV_PRIME_PERCENT = env_float("ECV_PRIME_PERCENT", 15, minimum=5, maximum=30)
# The haematocrit of the red cells the blood bank prepares for a prime (a local value).
RBC_HAEMATOCRIT = env_float("RBC_HAEMATOCRIT", 0.60, minimum=0.45, maximum=0.85)
# Double filtration: the discard as a share of the processed plasma (dfpp-sim: 10–20 %, default 20 %) and
# the plasma flow through the fractionator; immunoadsorption: the plasma flow through the column.
DFPP_DISCARD_RATIO = env_float("DFPP_DISCARD_RATIO", 0.20, minimum=0.05, maximum=0.5)
DFPP_PLASMA_FLOW_ML_PER_MIN = env_float("DFPP_PLASMA_FLOW_ML_PER_MIN", 30, minimum=5, maximum=100)
IA_PLASMA_FLOW_ML_PER_MIN = env_float("IA_PLASMA_FLOW_ML_PER_MIN", 30, minimum=5, maximum=100)
# A DFPP session starts only on a fibrinogen measured within this many hours before it.
DFPP_FIBRINOGEN_WITHIN_HOURS = env_float("DFPP_FIBRINOGEN_WITHIN_HOURS", 24, minimum=1, maximum=72)
# The albumin concentration of the DFPP replacement above which the plan warns (dfpp-sim: 6 %).
DFPP_ALBUMIN_WARNING_PERCENT = env_float("DFPP_ALBUMIN_WARNING_PERCENT", 6, minimum=2, maximum=25)
# The ACD-A infusion rate limit for children, mL/min per litre of blood volume (Optia: 0.8–1.2).
AC_RATE_LIMIT_ML_PER_MIN_PER_L = env_float("AC_RATE_LIMIT_ML_PER_MIN_PER_L", 1.2, minimum=0.4, maximum=2.0)
if ECV_PRIME_PERCENT < ECV_WARNING_PERCENT:
    raise ImproperlyConfigured("ECV_PRIME_PERCENT must not be below ECV_WARNING_PERCENT.")
SALINE_WARNING_FRACTION = env_float("SALINE_WARNING_FRACTION", 0.20, minimum=0, maximum=0.25)
TARGET_ALBUMIN_PERCENT = env_float("TARGET_ALBUMIN_PERCENT", 5, minimum=4, maximum=5)
# The unit's booking rules.
UNIT_OPENS = env_str("UNIT_OPENS", "08:00")
UNIT_CLOSES = env_str("UNIT_CLOSES", "18:00")
TURNOVER_MINUTES = env_int("TURNOVER_MINUTES", 30, minimum=0)
CLOSED_WEEKDAYS = env_list("CLOSED_WEEKDAYS", ["5", "6"])  # Monday = 0
HOLIDAYS = env_list("HOLIDAYS", [])  # ISO dates, comma-separated
try:
    _opens, _closes = (time.fromisoformat(UNIT_OPENS), time.fromisoformat(UNIT_CLOSES))
    _closed = [int(day) for day in CLOSED_WEEKDAYS]
    _holidays = [date.fromisoformat(day) for day in HOLIDAYS]
except ValueError as error:
    raise ImproperlyConfigured(f"UNIT_OPENS, UNIT_CLOSES, CLOSED_WEEKDAYS or HOLIDAYS: {error}") from None
if not _opens < _closes or not set(_closed) <= set(range(7)):
    raise ImproperlyConfigured("UNIT_OPENS must be before UNIT_CLOSES; CLOSED_WEEKDAYS are 0 (Monday) to 6.")

# Session recording: when the screen flags a deviation from the order.
MIN_EXCHANGED_FRACTION = env_float("MIN_EXCHANGED_FRACTION", 0.90, minimum=0.5, maximum=1)
FLUID_BALANCE_MARGIN_PERCENT = env_float("FLUID_BALANCE_MARGIN_PERCENT", 10, minimum=1, maximum=50)
DURATION_OVERRUN_FACTOR = env_float("DURATION_OVERRUN_FACTOR", 1.5, minimum=1, maximum=5)
# A session started more than this many hours before or after its booked time is a deviation to explain.
START_MARGIN_HOURS = env_float("START_MARGIN_HOURS", 2, minimum=0.25, maximum=24)
# A course's rhythm: booked sessions more than this many days further apart than prescribed, or this
# many days closer, are shown to the physician before booking and when a session is moved.
RHYTHM_LONGER_DAYS = env_int("RHYTHM_LONGER_DAYS", 1, minimum=0)
RHYTHM_SHORTER_DAYS = env_int("RHYTHM_SHORTER_DAYS", 0, minimum=0)

# Paediatric blood volume, mL/kg: preterm neonate, term neonate, infant to 12 months, child 1-17 years
# (Galacki, J Clin Apher 1997;12:1; the lower child value is the conservative one).
PAEDIATRIC_ML_PER_KG = tuple(
    env_float(f"PAEDIATRIC_ML_PER_KG_{band}", default, minimum=50, maximum=120)
    for band, default in (("PRETERM", 100), ("NEONATE", 85), ("INFANT", 80), ("CHILD", 70))
)
# The children the paediatric table is for, and the default method for: under this age, up to this weight.
PAEDIATRIC_MAX_AGE_YEARS = env_float("PAEDIATRIC_MAX_AGE_YEARS", 18, minimum=1, maximum=18)
PAEDIATRIC_MAX_WEIGHT_KG = env_float("PAEDIATRIC_MAX_WEIGHT_KG", 35, minimum=10, maximum=60)
DEFAULT_INLET_FLOW_ML_PER_MIN = env_float("DEFAULT_INLET_FLOW_ML_PER_MIN", 60, minimum=5, maximum=300)

# Chinese practice (README, "Approvals, consents and checks"): one switch turns on the three
# rules below, each of which can also be set on its own. Off by default; `make run` (the demo) turns it on.
CHINESE_PRACTICE = env_bool("CHINESE_PRACTICE", False)
# Graded approval of the blood-product volume a patient is ordered per day (《医疗机构临床用血管理办法》
# 第二十条): under the first threshold a senior physician approves, from it the department head as
# well, from the second the medical affairs office as well.
APPROVALS_REQUIRED = env_bool("APPROVALS_REQUIRED", CHINESE_PRACTICE)
APPROVAL_THRESHOLDS_ML = (
    env_int("APPROVAL_HEAD_FROM_ML", 800, minimum=1),
    env_int("APPROVAL_MEDICAL_AFFAIRS_FROM_ML", 1600, minimum=1),
)
if APPROVAL_THRESHOLDS_ML[0] >= APPROVAL_THRESHOLDS_ML[1]:
    raise ImproperlyConfigured("APPROVAL_HEAD_FROM_ML must be below APPROVAL_MEDICAL_AFFAIRS_FROM_ML.")
# The products whose volume counts towards the day's total: plasma, albumin (a blood product in
# some hospitals' rules).
APPROVAL_COUNTED_KINDS = env_list("APPROVAL_COUNTED_KINDS", ["plasma"])
if not APPROVAL_COUNTED_KINDS or not set(APPROVAL_COUNTED_KINDS) <= {"plasma", "albumin"}:
    raise ImproperlyConfigured("APPROVAL_COUNTED_KINDS is a comma-separated list of: plasma, albumin.")
# The role (group) that holds each step's permission (python manage.py setup_roles).
APPROVAL_ROLES = {
    "senior": env_str("APPROVAL_SENIOR_ROLE", "senior_physician"),
    "head": env_str("APPROVAL_HEAD_ROLE", "department_head"),
    "medical_affairs": env_str("APPROVAL_MEDICAL_AFFAIRS_ROLE", "medical_affairs"),
}
# A session does not start without the consents its order needs (procedure; transfusion when it gives
# plasma; central catheter for a central line).
CONSENTS_REQUIRED = env_bool("CONSENTS_REQUIRED", CHINESE_PRACTICE)
# Each plasma unit and albumin lot is checked at the bedside by two staff (the second confirms with
# their own password), and the blood bank names who cross-matched and who re-checked it.
TWO_PERSON_CHECKS = env_bool("TWO_PERSON_CHECKS", CHINESE_PRACTICE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every render at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
