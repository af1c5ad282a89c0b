"""Settings for Quancheng, driven by environment variables.

The defaults are the embedded tier: SQLite under ./var/, DEBUG off, a secret key generated
once into ./var/. Production sets QC_* variables (see docs/configuration.md).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value not in ("True", "False", "1", "0", "true", "false"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value in ("True", "1", "true")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError as e:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from e


def envsecret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (for container secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.environ.get(name)


VAR_DIR = Path(os.environ.get("QC_VAR_DIR", BASE_DIR / "var"))
# Everything the platform creates (the SQLite database and its journals, blobs, keys, uploads,
# logs under VAR_DIR) is for the platform's user alone: evidence and personal data must not be
# readable by other accounts on the machine (docs/security.md).
os.umask(0o077)


def _embedded_secret_key() -> str:
    # Generated once per installation so the embedded tier needs no configuration.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("QC_DEBUG", "False")
SECRET_KEY = envsecret("QC_SECRET_KEY") or _embedded_secret_key()
ALLOWED_HOSTS = os.environ.get("QC_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("QC_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    # Before django_tasks_db: its db_worker command (with leases) replaces the library's.
    "quancheng.jobs",
    "django_tasks_db",
    "axes",
    "quancheng.ledger",
    # Shared page pieces: the base template, partials, form helpers (above the ledger only).
    "quancheng.ui",
    "quancheng.orgs",
    "quancheng.subjects",
    "quancheng.cases",
    "quancheng.records",
    "quancheng.documents",
    "quancheng.content",
    "quancheng.alerts",
    "quancheng.witness",
    "quancheng.registration",
    "quancheng.fixity",
    "quancheng.scheduler",
    "quancheng.compliance",
    "quancheng.archive",
    "quancheng.access",
    "quancheng.supervision",
    "quancheng.operations",
    "quancheng.web",
    # Demo data and the demo CA (seed_demo, make_demo_ca): above every other app.
    "quancheng.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL characters and oversized JSON bodies, refused before anything reads them.
    "quancheng.web.middleware.RefuseBadRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "quancheng.web.session_touch.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "quancheng.web.middleware.LoginRequiredMiddleware",
    "quancheng.web.middleware.BlobMissingMiddleware",
    # AxesMiddleware must be last: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "quancheng.urls"
WSGI_APPLICATION = "quancheng.wsgi.application"

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
                "quancheng.orgs.capabilities.context_processor",
            ],
        },
    },
]

# Database: SQLite (WAL) under ./var/ unless QC_DATABASE_URL names another.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("QC_DATABASE_URL", f"sqlite:///{VAR_DIR / 'quancheng.sqlite3'}"),
        conn_max_age=envint("QC_DB_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so a ledger append never has to upgrade a
        # read lock (which fails with "database is locked" under concurrent writers).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "quancheng.orgs.lockout.UsernameDelayBackend",
    "django.contrib.auth.backends.ModelBackend",
    # 三员分立: the three administrators' admin permissions by role (orgs/backends.py).
    "quancheng.orgs.backends.AdministratorBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "quancheng.orgs.passwords.CharacterClassValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (docs/security.md): QC_LOCKOUT_FAILURES failures lock the combination of
# username and client address for QC_LOCKOUT_MINUTES minutes. Officers of an agency often share
# one NAT address, and anyone may know an officer's pinyin username: locking the address would
# lock out the agency, locking the username would let anybody lock out any officer. For the
# username alone, failures from all addresses only delay the next attempt
# (quancheng.orgs.lockout): from QC_LOGIN_DELAY_AFTER failures on, 1, 2, 4, ... seconds, at most
# QC_LOGIN_DELAY_MAX_SECONDS. The same rules cover /admin/login/ (both log in through
# django.contrib.auth.authenticate).
AXES_FAILURE_LIMIT = envint("QC_LOCKOUT_FAILURES", "5")
AXES_COOLOFF_TIME = envint("QC_LOCKOUT_MINUTES", "30") / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# An attempt refused during a lock or delay is not a new failure: it neither extends the lock
# nor grows the delay, so a waiting officer is not punished for trying again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_LOCKOUT_CALLABLE = "quancheng.orgs.lockout.locked_out_response"
AXES_VERBOSE = False
QC_LOGIN_DELAY_AFTER = envint("QC_LOGIN_DELAY_AFTER", "3")
QC_LOGIN_DELAY_MAX_SECONDS = envint("QC_LOGIN_DELAY_MAX_SECONDS", "60")
if not 1 <= QC_LOGIN_DELAY_MAX_SECONDS <= 600:
    raise ImproperlyConfigured("QC_LOGIN_DELAY_MAX_SECONDS must be between 1 and 600")

# Sessions end after 30 idle minutes and with the browser.
SESSION_COOKIE_AGE = envint("QC_SESSION_IDLE_MINUTES", "30") * 60
# Renewed by quancheng.web.session_touch at most once a minute, not on every request.
QC_SESSION_TOUCH_SECONDS = envint("QC_SESSION_TOUCH_SECONDS", "60")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"

# Behind TLS (production) these are switched on by QC_HTTPS=True.
QC_HTTPS = envbool("QC_HTTPS", "False")
SESSION_COOKIE_SECURE = QC_HTTPS
CSRF_COOKIE_SECURE = QC_HTTPS
SECURE_SSL_REDIRECT = QC_HTTPS
SECURE_HSTS_SECONDS = 31536000 if QC_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = QC_HTTPS
SECURE_HSTS_PRELOAD = QC_HTTPS
if QC_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Only the platform's own scripts, styles and fonts: it runs on intranets without a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "quancheng.lib.static_storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# plotly.min.js comes from the plotly package itself (quancheng/supervision/staticfinders.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "quancheng.supervision.staticfinders.PlotlyFinder",
]
WHITENOISE_AUTOREFRESH = DEBUG

# Background work: Django's Tasks API with the database backend (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("QC_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_forbidden": {"()": "quancheng.lib.log.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QC_LOG_LEVEL", "INFO")},
    "loggers": {
        # A 403 is one warning line (who, path, reason), not a traceback.
        "django.request": {"filters": ["one_line_forbidden"]},
        "django.db.backends": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # a line per table when PDFs subset their fonts
        "weasyprint": {"level": "WARNING"},
    },
}

# Platform settings.
QC_API_TOKEN_PREFIX = "qc_"  # noqa: S105 - a public prefix, not a secret
# Days an API token works after it is issued or rotated (docs/security.md).
QC_API_TOKEN_DAYS = envint("QC_API_TOKEN_DAYS", "90")
if not 1 <= QC_API_TOKEN_DAYS <= 366:
    raise ImproperlyConfigured("QC_API_TOKEN_DAYS must be between 1 and 366 days")
QC_PAGE_SIZE = 25
# Content-addressed blob store of every recorded file (docs/storage.md).
QC_BLOB_STORE = os.environ.get("QC_BLOB_STORE", f"file://{VAR_DIR / 'blobs'}")
# Largest resumable (tus) upload accepted; DATA_UPLOAD_MAX_MEMORY_SIZE stays at Django's default
# because upload bodies are streamed from the request, never read through request.body.
# Largest JSON body the API reads (413 above it); docs/configuration.md.
QC_API_MAX_BODY_BYTES = envint("QC_API_MAX_BODY_BYTES", str(2 * 1024**2))
# Django refuses bodies above this before the API could answer 413 (2.5 MB by default).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2621440, QC_API_MAX_BODY_BYTES)
QC_UPLOAD_MAX_SIZE = envint("QC_UPLOAD_MAX_SIZE", str(64 * 1024**3))
# Unfinished tus uploads; with several web servers, one filesystem shared by all of them (NFS with
# locks), so that an upload started on one server resumes on another (docs/deployment.md).
# Empty: VAR_DIR/uploads.
QC_UPLOAD_DIR = os.environ.get("QC_UPLOAD_DIR", "")


def envpatterns(name: str, default: str) -> list[str]:
    """Whitespace-separated regular expressions; each must compile and use only known groups."""
    import re

    known = {"serial", "officer", "time"}
    patterns = os.environ.get(name, default).split()
    for pattern in patterns:
        try:
            groups = set(re.compile(pattern).groupindex)
        except re.error as e:
            raise ImproperlyConfigured(
                f"{name}: {pattern!r} is not a regular expression: {e}"
            ) from e
        if not groups or groups - known:
            raise ImproperlyConfigured(
                f"{name}: {pattern!r} must name groups among {sorted(known)}, not {sorted(groups)}"
            )
    return patterns


# Docking-workstation ingest (docs/ingest.md): how body cameras name their files, matched against
# the name without its extension. The defaults: GA/T 947's <serial>_<officer>_<time>_<n> and the
# common <serial>_<YYYYMMDDhhmmss>_<n> (e.g. DSJ-001_20260312093015_0001.MP4).
QC_INGEST_FILENAME_PATTERNS = envpatterns(
    "QC_INGEST_FILENAME_PATTERNS",
    r"(?P<serial>[A-Za-z0-9-]+)_(?P<officer>[A-Za-z0-9]{1,20})_(?P<time>[0-9]{14})(?:_[0-9]+)?"
    r" (?P<serial>[A-Za-z0-9-]+)_(?P<time>[0-9]{14})(?:_[0-9]+)?",
)
# Slack around an act's window when associating a segment with it (acts are entered by hand, to
# the minute; cameras are switched on a little before arrival).
QC_ASSOCIATION_TOLERANCE_SECONDS = envint("QC_ASSOCIATION_TOLERANCE_SECONDS", "300")
# An act may not be dated later than now plus this clock tolerance (seconds): a record of what
# happened cannot start or end in the future; a terminal's clock may run a little fast.
QC_FUTURE_TOLERANCE_SECONDS = envint("QC_FUTURE_TOLERANCE_SECONDS", "300")
if not 0 <= QC_FUTURE_TOLERANCE_SECONDS <= 3600:
    raise ImproperlyConfigured("QC_FUTURE_TOLERANCE_SECONDS must be between 0 and 3600")
# Devices (body cameras, terminals) not docked for this many days are listed and alerted
# (docs/devices.md).
QC_DEVICE_UNDOCKED_DAYS = envint("QC_DEVICE_UNDOCKED_DAYS", "7")
# The ledger's origin line and signing key name (docs/ledger.md).
QC_LEDGER_ORIGIN = os.environ.get("QC_LEDGER_ORIGIN") or "quancheng.local/ledger"
# The checkpoints' second signature line, SM2 with SM3 (docs/national-crypto.md); its key from
# QC_SM2_SIGNING_KEY / QC_SM2_SIGNING_KEY_FILE (read by ledger/checkpoints.py), else generated.
QC_SM2_CHECKPOINTS = envbool("QC_SM2_CHECKPOINTS", "True")
# The detached SM2 signatures of finalised PDFs (documents/sm2sign.py, docs/national-crypto.md):
# the SM2 distinguishing identifier, "default" (GM/T 0009's 1234567812345678, what Chinese CAs and
# toolkits use) or "empty" (what `openssl cms -verify` 1.1.1-3.x uses), and the content-type
# OIDs, "rfc5652" (OpenSSL, Bouncy Castle) or "gmt0010" (1.2.156.10197.6.1.4.2.x, GmSSL 3).
QC_SM2_CMS_IDENTIFIER = os.environ.get("QC_SM2_CMS_IDENTIFIER", "default")
if QC_SM2_CMS_IDENTIFIER not in ("default", "empty"):
    raise ImproperlyConfigured("QC_SM2_CMS_IDENTIFIER must be default or empty")
QC_SM2_CMS_CONTENT_TYPES = os.environ.get("QC_SM2_CMS_CONTENT_TYPES", "rfc5652")
if QC_SM2_CMS_CONTENT_TYPES not in ("rfc5652", "gmt0010"):
    raise ImproperlyConfigured("QC_SM2_CMS_CONTENT_TYPES must be rfc5652 or gmt0010")
# Witnessing (docs/witnessing.md): this instance's witness name, and the witnesses of its log,
# one "<name> <vkey> <url>" entry a line (or separated by ";").
QC_WITNESS_NAME = os.environ.get("QC_WITNESS_NAME", "")
QC_WITNESSES = [
    e.strip()
    for e in os.environ.get("QC_WITNESSES", "").replace(";", "\n").split("\n")
    if e.strip()
]
QC_WITNESS_TIMEOUT = envint("QC_WITNESS_TIMEOUT", "10")
# The embedded default's front end (nginx before gunicorn, scripts/run; quancheng/lib/frontend.py
# and docs/configuration.md): seconds for a request head, between reads of a body, for an idle
# keep-alive connection; simultaneous requests and uploads per client address.
QC_FRONT_HEADER_TIMEOUT = envint("QC_FRONT_HEADER_TIMEOUT", "10")
QC_FRONT_BODY_TIMEOUT = envint("QC_FRONT_BODY_TIMEOUT", "30")
QC_FRONT_KEEPALIVE_TIMEOUT = envint("QC_FRONT_KEEPALIVE_TIMEOUT", "15")
QC_FRONT_CONNECTIONS_PER_CLIENT = envint("QC_FRONT_CONNECTIONS_PER_CLIENT", "64")
QC_FRONT_UPLOADS_PER_CLIENT = envint("QC_FRONT_UPLOADS_PER_CLIENT", "16")
# Days an unfinished tus upload is kept after its last PATCH (tus Expiration extension,
# Upload-Expires); then the hourly upload_expiry job removes its partial file (docs/uploads.md).
QC_UPLOAD_EXPIRY_DAYS = envint("QC_UPLOAD_EXPIRY_DAYS", "7")
if QC_UPLOAD_EXPIRY_DAYS < 1:
    raise ImproperlyConfigured("QC_UPLOAD_EXPIRY_DAYS must be at least 1")
# Bytes per PATCH sent by the upload page's tus client (a small value in the browser tests).
QC_UPLOAD_CHUNK_SIZE = envint("QC_UPLOAD_CHUNK_SIZE", str(8 * 1024**2))
# Write-once retention given to every uploaded blob at once (A22: non-evidence AV >= 6 months);
# archiving extends it. Only stores with Object Lock (S3) enforce it.
QC_BLOB_MIN_RETENTION_DAYS = envint("QC_BLOB_MIN_RETENTION_DAYS", "183")
# Access control (docs/access.md): days an approved access request (调阅申请) lasts by default and
# at most; the access report's bulk-download flag (more than N downloads by one user within H
# hours) and its unused-account flag (no login for D days).
QC_ACCESS_APPROVAL_DAYS = envint("QC_ACCESS_APPROVAL_DAYS", "7")
QC_ACCESS_APPROVAL_MAX_DAYS = envint("QC_ACCESS_APPROVAL_MAX_DAYS", "90")
QC_ACCESS_BULK_DOWNLOADS = envint("QC_ACCESS_BULK_DOWNLOADS", "20")
QC_ACCESS_BULK_WINDOW_HOURS = envint("QC_ACCESS_BULK_WINDOW_HOURS", "24")
QC_ACCESS_UNUSED_DAYS = envint("QC_ACCESS_UNUSED_DAYS", "90")
# Fixity sweeps (docs/fixity.md): read rate limit in bytes/s (0 = unlimited).
QC_FIXITY_RATE = envint("QC_FIXITY_RATE", "0")
# Background jobs (docs/jobs.md): a running task's lease, renewed by its worker's heartbeat; a
# task whose worker died is run again up to QC_JOB_MAX_ATTEMPTS times in all, then marked failed.
QC_JOB_LEASE_SECONDS = envint("QC_JOB_LEASE_SECONDS", "60")
QC_JOB_MAX_ATTEMPTS = envint("QC_JOB_MAX_ATTEMPTS", "3")
if QC_JOB_LEASE_SECONDS < 1 or QC_JOB_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("QC_JOB_LEASE_SECONDS and QC_JOB_MAX_ATTEMPTS must be at least 1")
# The ledger's integrator (docs/ledger.md): a change's transaction only stages its event; one
# integrator at a time (lease QC_LEDGER_INTEGRATOR_LEASE_SECONDS) binds seq numbers in batches of
# QC_LEDGER_INTEGRATOR_BATCH, polling every QC_LEDGER_INTEGRATOR_INTERVAL_MS. It runs in every
# db_worker (QC_LEDGER_INTEGRATOR_IN_WORKER) or as `manage.py ledger_integrator`; each commit
# that staged events also integrates them at once when no integrator holds the lease
# (QC_LEDGER_INTEGRATE_ON_COMMIT, the single-process default).
QC_LEDGER_INTEGRATE_ON_COMMIT = envbool("QC_LEDGER_INTEGRATE_ON_COMMIT", "True")
QC_LEDGER_INTEGRATOR_IN_WORKER = envbool("QC_LEDGER_INTEGRATOR_IN_WORKER", "True")
QC_LEDGER_INTEGRATOR_LEASE_SECONDS = envint("QC_LEDGER_INTEGRATOR_LEASE_SECONDS", "10")
QC_LEDGER_INTEGRATOR_BATCH = envint("QC_LEDGER_INTEGRATOR_BATCH", "2000")
QC_LEDGER_INTEGRATOR_INTERVAL_MS = envint("QC_LEDGER_INTEGRATOR_INTERVAL_MS", "200")
if QC_LEDGER_INTEGRATOR_LEASE_SECONDS < 1 or QC_LEDGER_INTEGRATOR_BATCH < 1:
    raise ImproperlyConfigured("the ledger integrator's lease and batch must be at least 1")
# Periodic tasks enqueued by `manage.py run_scheduler`: name -> (task, interval in seconds);
# an interval of 0 switches a job off.
QC_SCHEDULE = {
    "fixity_sweep": (
        "quancheng.fixity.tasks.run_fixity_sweep",
        envint("QC_FIXITY_INTERVAL", str(24 * 3600)),
    ),
    "ledger_checkpoint": (
        "quancheng.ledger.tasks.make_ledger_checkpoint",
        envint("QC_CHECKPOINT_INTERVAL", "3600"),
    ),
    "device_undocked_check": ("quancheng.orgs.tasks.check_undocked_devices", 24 * 3600),
    "retention_recompute": (
        "quancheng.archive.tasks.recompute_retention",
        envint("QC_RETENTION_INTERVAL", str(24 * 3600)),
    ),
    "registration_overdue_check": ("quancheng.alerts.tasks.check_overdue_registrations", 24 * 3600),
    "upload_expiry": ("quancheng.records.tasks.expire_uploads", 3600),
    # SM3 beside SHA-256, computed after ingest (records/sm3.py, docs/national-crypto.md).
    "sm3_digests": (
        "quancheng.records.tasks.compute_pending_sm3",
        envint("QC_SM3_INTERVAL", "300"),
    ),
}
# Enforcement documents (docs/documents.md): the CJK face for PDF stamps, the passphrase that
# encrypts agencies' signing keys (default: VAR_DIR/document_key_passphrase, mode 0600) and an
# optional RFC 3161 timestamp authority.
QC_CJK_FONT_COLLECTION = os.environ.get(
    "QC_CJK_FONT_COLLECTION", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
QC_CJK_FONT_NAME = os.environ.get("QC_CJK_FONT_NAME", "NotoSansCJKsc-Regular")
QC_DOCUMENT_KEY_PASSPHRASE = envsecret("QC_DOCUMENT_KEY_PASSPHRASE") or ""
QC_TSA_URL = os.environ.get("QC_TSA_URL", "")
# 四性检测 at sealing and transfer (archive/fourchecks.py, docs/archive.md): a failed check
# refuses sealing and transfer. False only while archiving records that predate the checks and
# cannot pass them (legacy files): the report then still records every failure.
QC_ARCHIVE_CHECKS_BLOCK = envbool("QC_ARCHIVE_CHECKS_BLOCK", "True")
