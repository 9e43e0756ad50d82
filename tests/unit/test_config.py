"""Start-up settings: an unknown environment is refused; production is strict about cookies."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from creditline.config import ConfigError, load_config

SECRET = "a-real-secret-from-the-vault-2026-xyz"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("CREDITLINE_ENV", "production")
    monkeypatch.setenv("CREDITLINE_SECRET_KEY", SECRET)


@pytest.mark.parametrize("name", ["prod", "Production", "live", "staging", ""])
def test_an_unknown_environment_is_refused_naming_the_allowed_ones(monkeypatch, name):
    monkeypatch.setenv("CREDITLINE_ENV", name)
    monkeypatch.setenv("CREDITLINE_SECRET_KEY", SECRET)
    with pytest.raises(ConfigError) as refused:
        load_config()
    assert str(refused.value) == ("CREDITLINE_ENV must be one of development, testing, production "
                                  f"(got {name!r})")


def test_the_server_does_not_start_in_an_unknown_environment():
    env = {**os.environ, "CREDITLINE_ENV": "prod", "CREDITLINE_SECRET_KEY": SECRET}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "CREDITLINE_ENV must be one of development, testing, production (got 'prod')" in run.stderr


def test_production_cookies_are_secure_httponly_and_samesite(production):
    cfg = load_config()
    assert cfg["ENV_NAME"] == "production"
    assert cfg["SESSION_COOKIE_SECURE"] is cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["REMEMBER_COOKIE_SECURE"] is cfg["REMEMBER_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert cfg["HSTS_SECONDS"] >= 180 * 86400


@pytest.mark.parametrize("weakened", [{"SESSION_COOKIE_SECURE": False}, {"SESSION_COOKIE_HTTPONLY": False},
                                      {"SESSION_COOKIE_SAMESITE": None}, {"SESSION_COOKIE_SAMESITE": "None"},
                                      {"REMEMBER_COOKIE_SECURE": False}])
def test_production_refuses_weakened_cookies(production, weakened):
    with pytest.raises(ConfigError, match=f"must be Secure, HttpOnly and SameSite: {next(iter(weakened))}"):
        load_config(weakened)


def test_development_keeps_plain_http_cookies_and_no_hsts(monkeypatch):
    monkeypatch.delenv("CREDITLINE_ENV", raising=False)
    cfg = load_config()
    assert cfg["ENV_NAME"] == "development"
    assert cfg["SESSION_COOKIE_SECURE"] is False and cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["HSTS_SECONDS"] == 0


def test_sign_in_limits_and_their_storage_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CREDITLINE_RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/2")
    monkeypatch.setenv("CREDITLINE_SIGNIN_LIMIT_PER_ACCOUNT", "3 per minute")
    cfg = load_config()
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379/2"
    assert cfg["SIGNIN_LIMIT_PER_ACCOUNT"] == "3 per minute"
    assert cfg["SIGNIN_LIMIT_PER_ADDRESS"] == "20 per minute;200 per hour"


def test_a_failed_sign_in_lock_is_a_short_back_off(monkeypatch):
    # Anyone can send five wrong passwords for any account: the lock must not shut its owner out long.
    monkeypatch.delenv("CREDITLINE_LOGIN_LOCK_SECONDS", raising=False)
    assert load_config()["LOGIN_LOCK_SECONDS"] <= 60
