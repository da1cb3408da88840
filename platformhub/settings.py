"""PlatformHub settings: one file, configured from the environment (django-environ).

Defaults are safe for production: DEBUG is off, cookies are secure and HSTS is on, so a
deployment needs only SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL. `make run` turns DEBUG on.
"""

import datetime
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="django-insecure-dev-only-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rules",
    "simple_history",
    "platformhub.apps.PlatformHubConfig",
    "okrs",
    "integrations",
    "sprints",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "platformhub.unavailable.DatabaseUnavailableMiddleware",  # a 503 page while the database is unreachable
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "platformhub.urls"
WSGI_APPLICATION = "platformhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # `{% url %}` remembering the addresses it made (platformhub/templatetags/addresses.py).
            "builtins": ["platformhub.templatetags.addresses"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
FORM_RENDERER = "platformhub.form_renderer.FormRenderer"

DATA_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'platformhub.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
    # instead of failing with "database is locked" halfway through. Write-ahead logging lets
    # pages read while another request writes, and makes a commit one append to the log, synced
    # (synchronous=FULL: a saved edit survives a power cut) instead of a journal written, synced
    # and deleted: 0.1 ms instead of 0.4 ms (4 ms at p95) on this machine's disk.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20, init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, so that psycopg prepares a statement the second time a
    # connection runs it: PostgreSQL then skips planning it again (0.3 to 1.5 ms for a page's joins).
    # DATABASE_PREPARE_THRESHOLD=off for a connection pooler in transaction mode, which cannot
    # keep a connection's prepared statements.
    prepare_threshold = env("DATABASE_PREPARE_THRESHOLD", default="2")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=None if prepare_threshold == "off" else int(prepare_threshold)
    )
# Keep connections between requests (a new PostgreSQL connection costs more than most pages).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out log-ins before checking a password
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=DATA_DIR / "static")
WHITENOISE_USE_FINDERS = DEBUG
# Fixed here, not left to WhiteNoise's default of the DEBUG it sees at start-up: Django's test
# runner turns DEBUG off, and WhiteNoise would then list every static file again for each test client.
WHITENOISE_AUTOREFRESH = DEBUG
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "platformhub.static_storage.ManifestStaticFilesStorage"
    },
}

# Security headers. Scripts and styles load only from this site or carry the request's
# nonce; htmx is configured (templates/base.html) so that it needs no inline code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Copies of built pages (platformhub/conditional.py): in each process's memory by default (pages
# are ≤ 100 KiB, so 300 copies stay under 30 MB a process), or a shared cache with CACHE_URL
# (django-environ's cache URLs, e.g. memcached). The tests use a dummy cache unless they ask.
CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://platformhub"),
    "pages": {**env.cache_url("CACHE_URL", default="locmemcache://platformhub-pages"), "KEY_PREFIX": "page"},
}
if CACHES["pages"]["BACKEND"].endswith("LocMemCache"):
    CACHES["pages"]["OPTIONS"] = {"MAX_ENTRIES": 300}
SESSION_COOKIE_SECURE = not DEBUG
SESSION_ENGINE = "platformhub.sessions"  # database sessions that read the data version too
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG

# Background work: Django's tasks framework, stored in the database and run by
# `manage.py db_worker` next to the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# GitHub: the API (a stand-in in tests), a token for private repos and rate limits, the
# webhook secret, and how often the background sync of linked issues runs.
GITHUB_API_URL = env("GITHUB_API_URL", default="https://api.github.com")
GITHUB_TOKEN = env("GITHUB_TOKEN", default="")
GITHUB_WEBHOOK_SECRET = env("GITHUB_WEBHOOK_SECRET", default="")
GITHUB_SYNC_INTERVAL = env.int("GITHUB_SYNC_INTERVAL", default=900)
# django-zeal fails a request that loads the same relation once per row (an N+1); the test suite
# turns it on, production never does.
if env.bool("DETECT_N_PLUS_ONE", default=False):
    INSTALLED_APPS.append("zeal")
    MIDDLEWARE.append("platformhub.nplusone.detect_n_plus_one")
    ZEAL_RAISE = True
    ZEAL_NPLUSONE_THRESHOLD = 3  # two lookups are often two fields (a request's from and to teams), not a loop

# Queries compiled once and run again with new values (platformhub/prepared.py) are also compiled
# the usual way on every call and compared, in the test suite.
PREPARED_QUERIES_CHECK = env.bool("PREPARED_QUERIES_CHECK", default=False)

# The benchmark's baseline page (benchmarks/bench.py); off everywhere else.
BENCHMARK_ROUTES = env.bool("BENCHMARK_ROUTES", default=False)
# A task still "running" after this long lost its worker; `manage.py worker` queues it again.
TASK_ABANDONED_AFTER = env.int("TASK_ABANDONED_AFTER", default=1800)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Passwords: Argon2 (memory-hard); older hashes still verify and are upgraded at the next log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

# Log-in throttling (django-axes): an account is locked after 10 failed log-ins within an hour and
# an IP address after 20 (platformhub/throttling.py). The count clears an hour after the last failure.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged
AXES_HANDLER = "platformhub.throttling.AccountAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
AXES_RESET_ON_SUCCESS = False  # a log-in with one account must not wipe an address's failures
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)  # proxies in front of the app, for the client IP
