"""Exitus settings: one module, every value switched by environment variables.

Defaults need no server (SQLite file, filesystem storage, local-memory cache, a
filesystem Celery broker), so a fresh clone runs with nothing installed but Python.
Set ``DATABASE_URL``, ``REDIS_URL`` and ``AWS_*`` to use PostgreSQL, Redis and S3.
Every variable is documented in ``.env.example``.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# Tests run under pytest; they get throwaway keys instead of refusing to start, and
# ignore a developer's .env so they behave the same on every machine.
TESTING = env.bool("TESTING", default="pytest" in sys.modules)
if not TESTING:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
DEBUG = env.bool("DEBUG", default=False)

# Keys that must never have a default in production. Development and tests get a
# fixed, obviously insecure value so a fresh clone starts without any setup.
_DEV_ONLY = DEBUG or TESTING
# Commands that only compare models with migration files (or print them) sign, encrypt and serve
# nothing: they run on a fresh clone without secrets, so `manage.py makemigrations --check` answers
# the question it is asked. Every other command still refuses to start without them.
SCHEMA_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}
_SCHEMA_ONLY = len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in SCHEMA_COMMANDS
_PLACEHOLDER_SECRETS = _DEV_ONLY or _SCHEMA_ONLY


def _secret(name, dev_value):
    value = env.str(name, default="")
    if value:
        return value
    if _PLACEHOLDER_SECRETS:
        return dev_value
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")


SECRET_KEY = _secret("SECRET_KEY", "django-insecure-dev-only-key-never-use-in-production")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -----------------------------------------------------------

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "import_export",
    "storages",
]
LOCAL_APPS = [
    "exitus",  # the admin console: home page cards, badge and money helpers, templates and static
    "accounts",
    "portfolio",
    "quotes",
    "billing_rpa",
    "scheduling",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "exitus.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exitus.urls"
WSGI_APPLICATION = "exitus.wsgi.application"
ASGI_APPLICATION = "exitus.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "exitus" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # An unreachable database answers 503 within a few seconds, not after a long hang.
    _pg_options["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    if env.bool("DATABASE_POOL", default=not TESTING):
        # Under ASGI each request may run its sync code on a different thread, so Django's
        # per-thread persistent connections would pile up; a process-wide psycopg pool
        # hands connections back at the end of every request instead.
        _pg_options["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=3),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite (make run): web, worker and beat write concurrently. WAL lets readers go on
    # while one writes; IMMEDIATE transactions and a timeout queue writers instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, quotes, rate limits, live-log fan-out) -----------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and "pytest" in sys.modules and env.str("PYTEST_XDIST_WORKER", default=""):
    # Parallel test workers each get a Redis database of their own (gw0 → the given one, gw1 → the
    # one below...), so one worker's cache.clear() never empties another's state mid-test. Processes a
    # test starts (Celery workers, scripts) are not pytest: they take the REDIS_URL the test passes.
    _base, _slash, _db = REDIS_URL.rpartition("/")
    _offset = int(env.str("PYTEST_XDIST_WORKER").removeprefix("gw"))
    REDIS_URL = f"{_base}/{(int(_db or 0) - _offset) % 16}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "exitus.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "exitus",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
        # Login throttles: keep counting per process while Redis is down (exitus/cache.py).
        "throttle": {
            "BACKEND": "exitus.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "exitus",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "exitus"},
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "exitus-throttle"},
    }

# --- Auth --------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "admin:login"
if TESTING:
    # Hashing is deliberately slow; tests create many users and need not pay for it.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Português (Brasil)")), ("en", _("Inglês"))]
LOCALE_PATHS = [BASE_DIR / "exitus" / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="path")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=900)
AWS_S3_FILE_OVERWRITE = False

if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail ------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Exitus <nao-responda@exitus.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production defaults when DEBUG is off) --------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not _DEV_ONLY)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not _DEV_ONLY)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not _DEV_ONLY)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if _DEV_ONLY else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not _DEV_ONLY)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not _DEV_ONLY)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# --- Django REST framework, JWT, OpenAPI --------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.ReadOnlyRoleCannotWrite",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "exitus.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "exitus.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "exitus.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "exitus.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="20/min"),
        "login_username": env.str("THROTTLE_LOGIN_USERNAME", default="5/min"),
        "registration": env.str("THROTTLE_REGISTRATION", default="20/hour"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Exitus API",
    "DESCRIPTION": "Carteiras de investimento, cotações e orquestração de faturas (RPA).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {},
}

# --- Celery --------------------------------------------------------------------

# Without a broker URL the worker and the web talk through files in var/celery:
# kombu's filesystem transport needs no server, so `make run` works on a bare machine.
# Tests default to kombu's in-memory transport so publishing leaves no files behind.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or ("memory://" if TESTING else "filesystem://"))
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # A task whose worker died (acks late) is handed out again after this many seconds: five
    # minutes, so a killed job runs again "within minutes". Longer than any countdown we use
    # (billing's retries back off up to 120 s). A job that runs longer may be handed to a second
    # worker while the first still runs: jobs with an effect hold a heartbeat lease
    # (scheduling.locks) and the copy skips; the others are idempotent upserts.
    # Socket timeouts: a hung Redis fails a publish in about two seconds instead of holding
    # the web request (see exitus/queueing.py for what happens to the work then).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # Look for such orphaned tasks every 10 s (kombu's default scans every 100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_CACHE_BACKEND = "django-cache"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = timedelta(days=14)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
# A publish that cannot reach the broker fails at once (bounded by the socket timeouts above)
# instead of retrying inside a web request; exitus/queueing.py decides what happens then.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "quotes.*": {"queue": "quotes"},
    "billing_rpa.*": {"queue": "rpa"},
}
CELERY_BEAT_SCHEDULER = "scheduling.beat:HeartbeatScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Logging -----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
    },
}

# --- Exitus ------------------------------------------------------------------

EXITUS_VERSION = env.str("EXITUS_VERSION", default="1.0.0")
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)

# Money and quantities: one precision for the whole project.
MONEY_MAX_DIGITS = 20
MONEY_DECIMAL_PLACES = 2
PRICE_MAX_DIGITS = 24
PRICE_DECIMAL_PLACES = 8
QUANTITY_MAX_DIGITS = 28
QUANTITY_DECIMAL_PLACES = 10

# Where seed_demo and the offline quote provider read their data.
FIXTURES_DIR = BASE_DIR / "fixtures"
# Demo users have well-known passwords: turn this off in production.
ALLOW_DEMO_SEED = env.bool("ALLOW_DEMO_SEED", default=_DEV_ONLY)  # never by default in a deployment

# --- portfolio ---------------------------------------------------------------

# Dashboards are cached per owner/portfolio and invalidated by every write; quotes change
# outside the app, so this TTL bounds how stale a cached valuation may be (0 disables the cache).
PORTFOLIO_DASHBOARD_CACHE_SECONDS = env.int("PORTFOLIO_DASHBOARD_CACHE_SECONDS", default=30)
# Imports: the largest file and the most rows accepted in one go.
PORTFOLIO_IMPORT_MAX_BYTES = env.int("PORTFOLIO_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
PORTFOLIO_IMPORT_MAX_ROWS = env.int("PORTFOLIO_IMPORT_MAX_ROWS", default=200_000)
# B3 fees filled in on imported trades that have none (fractions of the traded value, pessoa física).
PORTFOLIO_B3_EMOLUMENTS_RATE = env.str("PORTFOLIO_B3_EMOLUMENTS_RATE", default="0.00005")
PORTFOLIO_B3_SETTLEMENT_RATE = env.str("PORTFOLIO_B3_SETTLEMENT_RATE", default="0.00025")
# OpenAPI: the portfolio models have several choice fields named "kind"; give each enum its own name.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "BrokerKindEnum": "portfolio.choices.BrokerKind",
        "TransactionKindEnum": "portfolio.choices.TransactionKind",
        "CorporateEventKindEnum": "portfolio.choices.CorporateEventKind",
        "DividendKindEnum": "portfolio.choices.DividendKind",
        "CashKindEnum": "portfolio.choices.CashKind",
        # the desk (issue 14)
        "AlertKindEnum": "portfolio.desk.choices.AlertKind",
        "ReconciliationKindEnum": "portfolio.desk.choices.ReconciliationKind",
        "ReconciliationSourceEnum": "portfolio.desk.choices.ReconciliationSource",
    }
)

# analytics/tax
# Benchmarks read from price history: the first ticker (``TICKER`` or ``TICKER:MARKET``) with bars wins.
ANALYTICS_BENCHMARK_TICKERS = {
    "IBOV": env.list("ANALYTICS_IBOV_TICKERS", default=["^BVSP", "IBOV", "BOVA11"]),
    "IFIX": env.list("ANALYTICS_IFIX_TICKERS", default=["IFIX", "XFIX11"]),
    "SP500": env.list("ANALYTICS_SP500_TICKERS", default=["^GSPC", "SPX", "IVV:US", "SPY:US", "IVVB11"]),
}
# Performance and tax results are cached under the data versions; this only bounds their life.
ANALYTICS_CACHE_TTL = env.int("ANALYTICS_CACHE_TTL", default=6 * 3600)

# --- quotes ------------------------------------------------------------------

# Market data (docs/quotes.md lists every variable). Real providers are contacted only in
# live mode; development and tests default to the offline provider reading fixtures/quotes/.
QUOTES_MODE = env.str("QUOTES_MODE", default="offline" if _DEV_ONLY else "live")
if QUOTES_MODE not in ("live", "offline"):
    raise ImproperlyConfigured("QUOTES_MODE must be 'live' or 'offline'.")
# Refuse any provider URL that is not on loopback (a safety net for tests and benches).
QUOTES_LOOPBACK_ONLY = env.bool("QUOTES_LOOPBACK_ONLY", default=TESTING)
QUOTES_OFFLINE_DIR = Path(env.str("QUOTES_OFFLINE_DIR", default=str(FIXTURES_DIR / "quotes")))
QUOTES_HTTP_TIMEOUT = env.float("QUOTES_HTTP_TIMEOUT", default=5.0)
QUOTES_HTTP_CONNECT_TIMEOUT = env.float("QUOTES_HTTP_CONNECT_TIMEOUT", default=2.0)
QUOTES_MAX_WORKERS = env.int("QUOTES_MAX_WORKERS", default=8)

# name: (default base URL, env var of the key, default rate limit, default batch size)
_QUOTES_PROVIDER_DEFAULTS = {
    "brapi": ("https://brapi.dev/api", "BRAPI_API_KEY", "500/day", 10),
    "yahoo": ("https://query1.finance.yahoo.com", "", "60/min", 20),
    "alphavantage": ("https://www.alphavantage.co", "ALPHA_VANTAGE_API_KEY", "25/day", 1),
    "finnhub": ("https://finnhub.io/api/v1", "FINNHUB_API_KEY", "60/min", 1),
    "twelvedata": ("https://api.twelvedata.com", "TWELVE_DATA_API_KEY", "8/min", 8),
    "hgbrasil": ("https://api.hgbrasil.com", "HGFINANCE_API_KEY", "10/min", 5),
    "bcb": ("https://api.bcb.gov.br", "", "60/min", 1),
}
QUOTES_PROVIDERS = {
    name: {
        "base_url": env.str(f"QUOTES_{name.upper()}_URL", default=url),
        "api_key": env.str(key_env, default="") if key_env else "",
        "timeout": env.float(f"QUOTES_{name.upper()}_TIMEOUT", default=QUOTES_HTTP_TIMEOUT),
        "rate_limit": env.str(f"QUOTES_{name.upper()}_RATE_LIMIT", default=rate),
        "batch_size": env.int(f"QUOTES_{name.upper()}_BATCH_SIZE", default=batch),
    }
    for name, (url, key_env, rate, batch) in _QUOTES_PROVIDER_DEFAULTS.items()
}
QUOTES_PROVIDERS["bcb"]["olinda_url"] = env.str("QUOTES_BCB_OLINDA_URL", default="https://olinda.bcb.gov.br")
QUOTES_PROVIDERS["offline"] = {"base_url": "", "api_key": "", "timeout": 0, "rate_limit": "", "batch_size": 500}

# Provider chain per market (first answer wins, the rest are fallbacks). Offline mode: offline only.
QUOTES_CHAINS = {
    "BR": env.list("QUOTES_CHAIN_BR", default=["brapi", "yahoo", "hgbrasil", "twelvedata"]),
    "US": env.list("QUOTES_CHAIN_US", default=["finnhub", "alphavantage", "twelvedata", "yahoo"]),
    "EU": env.list("QUOTES_CHAIN_EU", default=["finnhub", "alphavantage", "twelvedata", "yahoo"]),
    "ASIA": env.list("QUOTES_CHAIN_ASIA", default=["twelvedata", "yahoo"]),
    "GLOBAL": env.list("QUOTES_CHAIN_CRYPTO", default=["brapi", "yahoo", "twelvedata"]),
    "FX": env.list("QUOTES_CHAIN_FX", default=["bcb", "yahoo", "twelvedata", "alphavantage"]),
    "SERIES": env.list("QUOTES_CHAIN_SERIES", default=["bcb"]),
    "LOOKUP": env.list("QUOTES_CHAIN_LOOKUP", default=["brapi", "yahoo", "finnhub", "twelvedata"]),
}

# Shared state (token buckets, circuit breakers, live-price fan-out). Without Redis each
# process keeps its own (documented degradation).
QUOTES_REDIS_URL = env.str("QUOTES_REDIS_URL", default=REDIS_URL)
QUOTES_REDIS_PREFIX = env.str("QUOTES_REDIS_PREFIX", default="exitus:quotes:")
QUOTES_RATE_LIMIT_MAX_WAIT = env.float("QUOTES_RATE_LIMIT_MAX_WAIT", default=1.0)
QUOTES_CIRCUIT_FAILURES = env.int("QUOTES_CIRCUIT_FAILURES", default=5)
QUOTES_CIRCUIT_COOLDOWN = env.int("QUOTES_CIRCUIT_COOLDOWN", default=60)

# Cache lifetimes (seconds). Closed markets keep a quote until the next open (capped).
QUOTES_CACHE_TTL_OPEN = env.int("QUOTES_CACHE_TTL_OPEN", default=300)
QUOTES_CACHE_TTL_CRYPTO = env.int("QUOTES_CACHE_TTL_CRYPTO", default=120)
QUOTES_CACHE_TTL_MAX = env.int("QUOTES_CACHE_TTL_MAX", default=7 * 24 * 3600)

QUOTES_FX_PAIRS = env.list("QUOTES_FX_PAIRS", default=["USD-BRL", "EUR-BRL"])
QUOTES_FX_LOOKBACK_DAYS = env.int("QUOTES_FX_LOOKBACK_DAYS", default=10)
QUOTES_BACKFILL_DAYS = env.int("QUOTES_BACKFILL_DAYS", default=365)
QUOTES_BATCH_MAX_TICKERS = env.int("QUOTES_BATCH_MAX_TICKERS", default=100)
QUOTES_ANOMALY_THRESHOLD = env.float("QUOTES_ANOMALY_THRESHOLD", default=20.0)
QUOTES_ANOMALY_EVENT_WINDOW_DAYS = env.int("QUOTES_ANOMALY_EVENT_WINDOW_DAYS", default=5)
# Same variable as the scheduling app's cleanup of old rows, so both keep attempts equally long.
QUOTES_ATTEMPT_RETENTION_DAYS = env.int("PROVIDER_ATTEMPT_RETENTION_DAYS", default=14)

# Live prices (SSE): heartbeat, database polling interval without Redis, connection lifetime.
QUOTES_SSE_HEARTBEAT = env.float("QUOTES_SSE_HEARTBEAT", default=15.0)
QUOTES_SSE_POLL_INTERVAL = env.float("QUOTES_SSE_POLL_INTERVAL", default=2.0)
QUOTES_SSE_MAX_SECONDS = env.float("QUOTES_SSE_MAX_SECONDS", default=300.0)

REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["quotes_refresh"] = env.str("THROTTLE_QUOTES_REFRESH", default="30/min")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["quotes_lookup"] = env.str("THROTTLE_QUOTES_LOOKUP", default="30/min")

# --- billing_rpa -------------------------------------------------------------

# The RPA API (robots). Tests and `make run` point these at the bundled simulator.
RPA_API_URL = env.str("RPA_API_URL", default="http://127.0.0.1:8765")
RPA_API_TOKEN = env.str("RPA_API_TOKEN", default="dev-rpa-token" if _DEV_ONLY else "")
RPA_API_CONNECT_TIMEOUT = env.float("RPA_API_CONNECT_TIMEOUT", default=5.0)
RPA_API_READ_TIMEOUT = env.float("RPA_API_READ_TIMEOUT", default=20.0)
# Portal passwords: Fernet keys (comma-separated, first one encrypts), separate from SECRET_KEY.
BILLING_FERNET_KEYS = env.list("BILLING_FERNET_KEYS", default=[])
if not BILLING_FERNET_KEYS:
    if not _PLACEHOLDER_SECRETS:
        raise ImproperlyConfigured("BILLING_FERNET_KEYS must be set when DEBUG is off.")
    BILLING_FERNET_KEYS = ["ZXhpdHVzLWRldi1vbmx5LWJpbGxpbmcta2V5LTAwMDA="]  # dev/test only
# Robot jobs: automatic attempts for system failures, backoff, deadline, poller batch.
BILLING_RPA_MAX_ATTEMPTS = env.int("BILLING_RPA_MAX_ATTEMPTS", default=3)
BILLING_RPA_RETRY_BASE_SECONDS = env.float("BILLING_RPA_RETRY_BASE_SECONDS", default=30.0)
BILLING_RPA_RETRY_MAX_SECONDS = env.float("BILLING_RPA_RETRY_MAX_SECONDS", default=1800.0)
BILLING_RPA_START_MAX_TRIES = env.int("BILLING_RPA_START_MAX_TRIES", default=5)
BILLING_RPA_JOB_TIMEOUT_SECONDS = env.int("BILLING_RPA_JOB_TIMEOUT_SECONDS", default=1800)
BILLING_RPA_POLL_INTERVAL_SECONDS = env.float("BILLING_RPA_POLL_INTERVAL_SECONDS", default=3.0)
BILLING_RPA_POLL_BATCH = env.int("BILLING_RPA_POLL_BATCH", default=50)
BILLING_RPA_POLL_BUDGET_SECONDS = env.float("BILLING_RPA_POLL_BUDGET_SECONDS", default=50.0)
# How long a worker holds an execution it is talking to the robot about (longer than any HTTP call).
BILLING_RPA_CLAIM_LEASE_SECONDS = env.int("BILLING_RPA_CLAIM_LEASE_SECONDS", default=120)
BILLING_RPA_CANCEL_ON_ROBOT = env.bool("BILLING_RPA_CANCEL_ON_ROBOT", default=True)
BILLING_RPA_BUSINESS_ERROR_PATTERNS = env.list(
    "BILLING_RPA_BUSINESS_ERROR_PATTERNS",
    default=["negocio", "negócio", "business", "credencia", "senha", "login", "nao disponivel", "não disponível"],
)
# Invoices: size cap (manual uploads and robot downloads) and the robot's time-limited link.
BILLING_INVOICE_MAX_BYTES = env.int("BILLING_INVOICE_MAX_BYTES", default=10 * 1024 * 1024)
BILLING_PUBLIC_BASE_URL = env.str("BILLING_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
BILLING_FILE_URL_MAX_AGE = env.int("BILLING_FILE_URL_MAX_AGE", default=900)
# Live logs (SSE): heartbeat, database polling fallback, longest stream.
BILLING_SSE_HEARTBEAT_SECONDS = env.float("BILLING_SSE_HEARTBEAT_SECONDS", default=15.0)
BILLING_SSE_POLL_SECONDS = env.float("BILLING_SSE_POLL_SECONDS", default=1.0)
BILLING_SSE_MAX_SECONDS = env.float("BILLING_SSE_MAX_SECONDS", default=3600.0)
# A process is late when not finished this many days after its month ended (or past due).
BILLING_LATE_AFTER_DAYS = env.int("BILLING_LATE_AFTER_DAYS", default=10)
# The monthly report e-mail (default: the Operadores) and the day the month's processes must exist by.
BILLING_REPORT_RECIPIENTS = env.list("BILLING_REPORT_RECIPIENTS", default=[])
MONTHLY_PROCESSES_DEADLINE_DAY = env.int("MONTHLY_PROCESSES_DEADLINE_DAY", default=3)
# OpenAPI: name the billing status enums explicitly (several serializers have a "status").
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "BillingProcessStatusEnum": "billing_rpa.choices.ProcessStatus",
        "BillingExecutionStatusEnum": "billing_rpa.choices.ExecutionStatus",
        "BillingExecutionKindEnum": "billing_rpa.choices.ExecutionKind",
    }
)

# --- scheduling --------------------------------------------------------------

BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=15)
# Job leases (scheduling/locks.py): renewed every third of this while a job runs; a killed
# worker's lease lapses after it, so the redelivered job takes over within minutes.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=90)
# How often beat re-sends scheduled runs that the broker refused (scheduling/beat.py).
BEAT_CATCH_UP_SECONDS = env.int("BEAT_CATCH_UP_SECONDS", default=30)
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_PREFIX = env.str("BACKUP_PREFIX", default="backups")
LOG_RETENTION_DAYS = env.int("LOG_RETENTION_DAYS", default=90)
PROVIDER_ATTEMPT_RETENTION_DAYS = env.int("PROVIDER_ATTEMPT_RETENTION_DAYS", default=14)
JOBRUN_RETENTION_DAYS = env.int("JOBRUN_RETENTION_DAYS", default=180)
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=30)
