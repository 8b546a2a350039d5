"""Django settings, all from environment variables with safe defaults for the embedded mode.

Embedded mode (the default): SQLite in WAL mode under SULH_DATA_DIR, a secret key generated once
and kept in that directory, DEBUG off. Set DATABASE_URL for PostgreSQL.
"""

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from django.conf import locale as django_locale

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SULH_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SULH_SECRET_KEY, or a random key generated once and kept (mode 0600) in the data directory."""
    if os.environ.get("SULH_SECRET_KEY"):
        return os.environ["SULH_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("SULH_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SULH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("SULH_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# The charter: everything specific to one ceasefire. Default: the shipped Afghanistan–Pakistan charter.
SULH_CHARTER = os.environ.get("SULH_CHARTER", str(BASE_DIR / "charter" / "charters" / "af-pak.yaml"))
# Where evidence files live, content-addressed by SHA-256.
SULH_EVIDENCE_DIR = Path(os.environ.get("SULH_EVIDENCE_DIR", DATA_DIR / "evidence")).resolve()
SULH_EVIDENCE_MAX_BYTES = int(os.environ.get("SULH_EVIDENCE_MAX_BYTES", 200 * 1024 * 1024))
# Roles that must pass a TOTP second factor before they can use the console.
SULH_TOTP_REQUIRED_ROLES = ("commander", "verifier", "mediator_lead", "administrator")
SULH_TOTP_ISSUER = os.environ.get("SULH_TOTP_ISSUER", "Sulh")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "sulh.core",
    "sulh.accounts",
    "sulh.charter",
    "sulh.geo",
    "sulh.incidents",
    "sulh.evidence",
    "sulh.ledger",
    "sulh.deadlines",
    "sulh.hotline",
    "sulh.protocols",
    "sulh.verification",
    "sulh.commitments",
    "sulh.crossings",
    "sulh.exchanges",
    "sulh.meetings",
    "sulh.documents",
    "sulh.intel",
    "sulh.media",
    "sulh.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sulh.accounts.middleware.SecondFactorMiddleware",
    "sulh.accounts.middleware.UserTimezoneMiddleware",
    "sulh.ledger.middleware.LedgerReceiptMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sulh.urls"
WSGI_APPLICATION = "sulh.wsgi.application"
ASGI_APPLICATION = "sulh.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sulh.accounts.context_processors.sulh",
                "sulh.commitments.context_processors.commitment_warnings",
            ],
        },
    },
]

_default_sqlite = DATA_DIR / "sulh.sqlite3"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", f"sqlite:///{_default_sqlite}"), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        # mmap and a 32 MiB page cache: proofs and lists read scattered pages of large tables; mapped pages
        # are shared by every connection through the OS page cache instead of copied into each.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("SULH_TEST_SQLITE", "")  # "" = in memory
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: its threshold is a plan cost, and the visibility subqueries of the incident list
    # cost much on paper while running in milliseconds; the list then spent 150–200 ms compiling each query.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
    # A connection pool (Django's, on psycopg_pool): under ASGI every request runs in a thread of its own, so
    # persistent connections (CONN_MAX_AGE) are never reused and each request paid a new connection — about
    # half the time of a hotline send. SULH_PG_POOL=0 turns it off (e.g. behind PgBouncer).
    if os.environ.get("SULH_PG_POOL", "1") != "0":
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        _options["pool"] = {"min_size": 2, "max_size": int(os.environ.get("SULH_PG_POOL_SIZE", "20")), "timeout": 10}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # only to verify and upgrade legacy hashes
]
if _env_bool("SULH_FAST_PASSWORD_HASHING", False):  # tests only: Argon2 is deliberately slow
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: English first; Pashto, Dari, Urdu (right-to-left) and Turkish through gettext catalogues.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ps", "پښتو"),
    ("fa", "دری"),  # Dari: Django's Persian locale carries it; the charter calls the language "prs"/Dari
    ("ur", "اردو"),
    ("tr", "Türkçe"),
]
# Django knows Urdu and Persian as right-to-left but has no Pashto: declare it (name, direction) here.
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "ckb", "fa", "ps", "ug", "ur"]
django_locale.LANG_INFO.setdefault("ps", {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"})
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"  # stored in UTC; shown in each user's own zone (UserTimezoneMiddleware)
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SULH_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Leaflet's files come from the installed django-leaflet package. Only its static files are used: as a
# Django app it would import GeoDjango, which needs the GDAL system library that Sulh does not use.
_leaflet_pkg = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [BASE_DIR / "static"]
if _leaflet_pkg and _leaflet_pkg.submodule_search_locations:
    STATICFILES_DIRS.append(("leaflet", Path(next(iter(_leaflet_pkg.submodule_search_locations))) / "static" / "leaflet"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("SULH_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SULH_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
