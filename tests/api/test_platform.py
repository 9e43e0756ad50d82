"""Config, migrations, the bootstrap command and the pages' login."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from creditline.config import ConfigError, load_config
from creditline.extensions import db

from ..conftest import TEST_DB_URL, make_app


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setenv("CREDITLINE_ENV", "production")
    monkeypatch.delenv("CREDITLINE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()
    monkeypatch.setenv("CREDITLINE_SECRET_KEY", "a-real-secret-from-the-vault-2026-xyz")
    assert load_config()["SECRET_KEY"] == "a-real-secret-from-the-vault-2026-xyz"


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.setenv("CREDITLINE_ENV", "production")
    monkeypatch.setenv("CREDITLINE_SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_config()
    monkeypatch.setenv("CREDITLINE_SECRET_KEY", "x" * 32)
    assert load_config()["SECRET_KEY"] == "x" * 32
    # Development keeps working with the default secret.
    monkeypatch.setenv("CREDITLINE_ENV", "development")
    monkeypatch.delenv("CREDITLINE_SECRET_KEY")
    assert load_config()["SECRET_KEY"] == "dev-only-change-me"


def test_database_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CREDITLINE_DATABASE_URL", "postgresql+psycopg://u:p@localhost/x")
    assert load_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/x"


@pytest.fixture
def empty_db_url(tmp_path):
    if not TEST_DB_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    # On PostgreSQL: a scratch schema keeps the migration test away from the shared tables.
    engine = create_engine(TEST_DB_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    sep = "&" if "?" in TEST_DB_URL else "?"
    yield f"{TEST_DB_URL}{sep}options=-csearch_path%3Dmigration_check"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
    engine.dispose()


def test_migrations_build_exactly_the_models(empty_db_url):
    app = make_app(empty_db_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == [], f"the models and migrations disagree: {diff}"


def test_create_admin_bootstraps_the_first_account(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "--email", "boss@fund.example",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    assert "created fund admin boss@fund.example" in result.output
    again = runner.invoke(args=["users", "create-admin", "--email", "boss@fund.example",
                                "--password", "a-long-password"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_is_idempotent(app, demo):
    result = app.test_cli_runner().invoke(args=["demo", "--no-migrate"])
    assert result.exit_code == 0 and "already present" in result.output


def test_page_login_flow_and_role_home(client, demo):
    res = client.get("/")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
    res = client.post("/login", data={"email": "officer@bank.example", "password": "wrong"})
    assert res.status_code == 401 and b"wrong email or password" in res.data
    res = client.post("/login", data={"email": "officer@bank.example", "password": "green-credit-demo"},
                      follow_redirects=True)
    assert res.status_code == 200
    assert b"Screen eligible applications" in res.data
    res = client.post("/logout", follow_redirects=True)
    assert b"You are signed out" in res.data


def test_forms_require_csrf_when_enabled(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    res = app.test_client().post("/login", data={"email": "a@b.example", "password": "x"})
    assert res.status_code == 400  # CSRF token missing


def test_login_redirect_stays_on_site(client, demo):
    res = client.post("/login?next=https://evil.example/", data={
        "email": "officer@bank.example", "password": "green-credit-demo"})
    assert res.headers["Location"] == "/"
