"""Configuration read from the environment, with safe defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("LEADLOOP_INSTANCE", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'leadloop.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # WAL + a busy timeout let several gunicorn workers share the file.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    # A connection taken from the pool is pinged when it may be dead (app/web/postgres.py
    # `ping_when_in_doubt`: its socket says the server hung up, or it rested a while), not on
    # every checkout. Connections older than `pool_recycle` are replaced before firewalls drop
    # them silently.
    return {"pool_recycle": 1800, "pool_size": 10, "max_overflow": 10}


def default_timezone() -> str:
    """The zone used for anything that has no store of its own (LEADLOOP_TIMEZONE)."""
    return os.environ.get("LEADLOOP_TIMEZONE", "Asia/Shanghai")


def load_config() -> dict:
    """Build the config mapping from environment variables."""
    url = database_url()
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "TIMEZONE": default_timezone(),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": default_timezone(),
        "LANGUAGES": ["zh_CN", "en"],
        # Sessions
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        "IDLE_TIMEOUT": timedelta(minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))),
        "KIOSK_IDLE_TIMEOUT": timedelta(minutes=int(os.environ.get("KIOSK_IDLE_TIMEOUT_MINUTES", "720"))),
        "ABSOLUTE_TIMEOUT": timedelta(hours=int(os.environ.get("ABSOLUTE_TIMEOUT_HOURS", "12"))),
        # "Keep me signed in on this device" (consultants and managers): a fixed lifetime from the login.
        "DEVICE_SESSION_DAYS": int(os.environ.get("DEVICE_SESSION_DAYS", "30")),
        "DEVICE_COOKIE_NAME": "leadloop_device",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("ABSOLUTE_TIMEOUT_HOURS", "12"))),
        # CSRF: tablets stay open all day, so tokens do not expire with time.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_ENABLED": True,
        # Rate limits and lock-outs, counted together by every worker and server: in Redis when
        # REDIS_URL is set, else in the database (app/web/throttle.py), never in process memory.
        "RATELIMIT_STORAGE_URI": (
            os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "leadloop+db://"
        ),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Failed logins per username (the account is locked for the rest of the window) and per
        # client address (high: a showroom's staff share one address behind its router).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per 15 minutes"),
        "LOGIN_IP_RATE_LIMIT": os.environ.get("LOGIN_IP_RATE_LIMIT", "100 per 15 minutes"),
        # Wrong second-factor codes per user.
        "MFA_RATE_LIMIT": os.environ.get("MFA_RATE_LIMIT", "5 per 5 minutes"),
        # Leads created by the public booking form, per client address and per store.
        "BOOKING_IP_LEAD_LIMIT": os.environ.get("BOOKING_IP_LEAD_LIMIT", "10 per hour"),
        "BOOKING_STORE_LEAD_LIMIT": os.environ.get("BOOKING_STORE_LEAD_LIMIT", "200 per hour"),
        "PUBLIC_RATE_LIMIT": os.environ.get("PUBLIC_RATE_LIMIT", "60 per minute"),
        "PHONE_CHECK_RATE_LIMIT": os.environ.get("PHONE_CHECK_RATE_LIMIT", "60 per minute;1000 per day"),
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "6000 per minute"),
        # Mail
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "console"),  # console | file | smtp
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "leadloop@localhost"),
        "MAIL_FILE_PATH": os.environ.get("MAIL_FILE_PATH", str(INSTANCE_DIR / "outbox-mail.log")),
        # SMS
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "console"),  # console | file | http | aliyun
        # WeCom group robots (one webhook per store, set in the store's settings): http | console | memory
        "WECOM_BACKEND": os.environ.get("WECOM_BACKEND", "http"),
        # Hosts a store's robot webhook may point to (a private WeCom server can be added).
        "WECOM_WEBHOOK_HOSTS": tuple(
            h.strip()
            for h in os.environ.get("WECOM_WEBHOOK_HOSTS", "qyapi.weixin.qq.com").split(",")
            if h.strip()
        ),
        # How often an open page asks for the bell's unread count.
        "NOTIFICATION_POLL_SECONDS": int(os.environ.get("LEADLOOP_NOTIFICATION_POLL_SECONDS", "30")),
        "SMS_FILE_PATH": os.environ.get("SMS_FILE_PATH", str(INSTANCE_DIR / "outbox-sms.log")),
        "SMS_HTTP_URL": os.environ.get("SMS_HTTP_URL"),
        "SMS_HTTP_TOKEN": os.environ.get("SMS_HTTP_TOKEN"),
        "SMS_ALIYUN_ENDPOINT": os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        "SMS_ALIYUN_KEY_ID": os.environ.get("SMS_ALIYUN_KEY_ID"),
        "SMS_ALIYUN_KEY_SECRET": os.environ.get("SMS_ALIYUN_KEY_SECRET"),
        "SMS_ALIYUN_SIGN_NAME": os.environ.get("SMS_ALIYUN_SIGN_NAME"),
        "SMS_ALIYUN_TEMPLATE": os.environ.get("SMS_ALIYUN_TEMPLATE"),
        "SMS_ALIYUN_REGION": os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou"),
        "SMS_SIGNATURE": os.environ.get("SMS_SIGNATURE", "【线索闭环】"),
        "SMS_WEBHOOK_TOKEN": os.environ.get("SMS_WEBHOOK_TOKEN"),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        # Task queue (Huey): Redis when HUEY_URL or REDIS_URL is set, else SQLite at instance/huey.db.
        "HUEY_URL": os.environ.get("HUEY_URL"),
        "HUEY_WORKERS": int(os.environ.get("HUEY_WORKERS", "2")),
        # Run tasks at once in the caller instead of through the queue (tests).
        "HUEY_IMMEDIATE": _bool("HUEY_IMMEDIATE", False),
        # Queue each outbox message for delivery as soon as it is committed (the sweep runs every minute).
        "OUTBOX_DELIVER_ON_COMMIT": _bool("OUTBOX_DELIVER_ON_COMMIT", True),
        # Largest file kept in the database (uploads, generated reports).
        "STORED_FILE_MAX_MB": int(os.environ.get("STORED_FILE_MAX_MB", "50")),
        "INSTANCE_DIR": str(INSTANCE_DIR),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "EXPORT_ROW_CAP": int(os.environ.get("EXPORT_ROW_CAP", "2000")),
        # Number of reverse proxies (load balancer, nginx) in front of the app whose
        # X-Forwarded-For / -Proto headers are trusted; 0 when clients connect directly.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Timing headers for bench/run.py; never on in production.
        "BENCH": _bool("LEADLOOP_BENCH", False),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Operations: log format (json|text; unset: json under gunicorn), /metrics bearer token
        # (unset: loopback clients only), /readyz backlog ceilings (0: report without judging).
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", ""),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        "READY_MAX_OUTBOX_BACKLOG": int(os.environ.get("READY_MAX_OUTBOX_BACKLOG", "0")),
        "READY_MAX_QUEUE_BACKLOG": int(os.environ.get("READY_MAX_QUEUE_BACKLOG", "0")),
    }
