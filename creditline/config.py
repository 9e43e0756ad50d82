"""One place that reads CREDITLINE_* environment variables."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-only-change-me"
# Session cookies are signed with SECRET_KEY: below 32 characters it can be guessed offline.
MIN_SECRET_LENGTH = 32


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"CREDITLINE_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


# A misspelt name (``prod``) must not start a production server with development defaults.
ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """Raised when the settings make a safe start impossible."""


def _environment() -> str:
    raw = _env("ENV", "development")
    env = (raw or "").strip()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CREDITLINE_ENV must be one of {', '.join(ENVIRONMENTS)} (got {raw!r})")
    return env


def _check_production(cfg: dict[str, Any]) -> None:
    """Refuse a production start with a guessable secret or cookies a network could read."""
    secret = cfg["SECRET_KEY"]
    if secret in (None, "", DEFAULT_SECRET):
        raise ConfigError("CREDITLINE_SECRET_KEY must be set to a private value in production")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"CREDITLINE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters "
                          f"in production (got {len(secret)})")
    weak = [name for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
                              "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY") if not cfg.get(name)]
    if cfg.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        weak.append("SESSION_COOKIE_SAMESITE")
    if weak:
        raise ConfigError(f"production cookies must be Secure, HttpOnly and SameSite: {', '.join(weak)}")


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply test or caller overrides."""
    env = _environment()
    production = env == "production"
    instance = ROOT / "instance"
    cfg: dict[str, Any] = {
        "ENV_NAME": env,
        "SECRET_KEY": _env("SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{instance / 'creditline.db'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RULES_DIR": _env("RULES_DIR", str(ROOT / "rules")),
        "UPLOAD_DIR": _env("UPLOAD_DIR", str(instance / "evidence")),
        # Uploads of monitoring data and evidence are the largest bodies we accept.
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        # One proposal document (quotation, data sheet, statements); the body limit above is the outer bound.
        "MAX_DOCUMENT_BYTES": _env_int("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024),
        "PASSWORD_HASH_METHOD": "scrypt",
        "TOKEN_TTL_SECONDS": _env_int("TOKEN_TTL_SECONDS", 8 * 3600),
        "LOGIN_MAX_FAILURES": _env_int("LOGIN_MAX_FAILURES", 5),
        # A short back-off, not a long lock: anyone can send five wrong passwords for any
        # account, and the rate limits above already cap guessing per account and address.
        "LOGIN_LOCK_SECONDS": _env_int("LOGIN_LOCK_SECONDS", 60),
        "SCHEDULER_ENABLED": _env_bool("SCHEDULER_ENABLED", False),
        # E-mail copies of notifications: off unless an SMTP host is set (see creditline.notifications.mail).
        "MAIL_SMTP_HOST": _env("MAIL_SMTP_HOST", ""),
        "MAIL_SMTP_PORT": _env_int("MAIL_SMTP_PORT", 25),
        "MAIL_SMTP_USERNAME": _env("MAIL_SMTP_USERNAME", ""),
        "MAIL_SMTP_PASSWORD": _env("MAIL_SMTP_PASSWORD", ""),
        "MAIL_SMTP_STARTTLS": _env_bool("MAIL_SMTP_STARTTLS", False),
        "MAIL_FROM": _env("MAIL_FROM", "creditline@localhost"),
        # Links in e-mails need the site's address; notifications store paths only.
        "PUBLIC_URL": _env("PUBLIC_URL", "http://127.0.0.1:5000"),
        # A server-side session ends after this long without a request, and after the maximum.
        "SESSION_IDLE_SECONDS": _env_int("SESSION_IDLE_SECONDS", 30 * 60),
        "SESSION_MAX_SECONDS": _env_int("SESSION_MAX_SECONDS", 12 * 3600),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Strict-Transport-Security is sent only in production, where the site is HTTPS only.
        "HSTS_SECONDS": _env_int("HSTS_SECONDS", 365 * 86400) if production else 0,
        # Sign-in throttling (Flask-Limiter syntax, ';' between limits): guesses per client
        # address and per account, counted together over the login page and the token route.
        "SIGNIN_LIMIT_PER_ADDRESS": _env("SIGNIN_LIMIT_PER_ADDRESS", "20 per minute;200 per hour"),
        "SIGNIN_LIMIT_PER_ACCOUNT": _env("SIGNIN_LIMIT_PER_ACCOUNT", "5 per minute;30 per hour"),
        # memory:// counts per process; several workers share redis:// or memcached:// instead.
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        # How many reverse proxies in front of the app to trust for X-Forwarded-For/-Proto/-Host.
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        # Retry-After is sent with a refusal only (signin_limits), not X-RateLimit-* on every answer.
        "RATELIMIT_HEADERS_ENABLED": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TITLE": "creditline",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served by creditline.apidocs from the swagger-ui-bundle package: many partner banks'
        # networks block CDNs, and the docs must work offline.
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Green credit line: proposals, scoring, loans, guarantees, "
                                    "verification and incentive grants."},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    }
    if overrides:
        cfg.update(overrides)
    if cfg["ENV_NAME"] not in ENVIRONMENTS:
        raise ConfigError(f"ENV_NAME must be one of {', '.join(ENVIRONMENTS)} (got {cfg['ENV_NAME']!r})")
    if cfg["ENV_NAME"] == "production":
        _check_production(cfg)
    return cfg
