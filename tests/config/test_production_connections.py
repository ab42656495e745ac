"""Production keeps (or pools) its database connections, as the environment says; gunicorn's file loads."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.database import connection_settings

POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "trackify", "OPTIONS": {}}
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("DATABASE_CONNECTIONS", "DATABASE_CONN_MAX_AGE", "DATABASE_CONN_HEALTH_CHECKS",
                 "DATABASE_POOL_MAX_SIZE", "DATABASE_PGBOUNCER_TRANSACTION_MODE", "DATABASE_PREPARED_STATEMENTS"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_is_persistent_connections_with_health_checks():
    result = connection_settings(POSTGRES)
    assert (result["CONN_MAX_AGE"], result["CONN_HEALTH_CHECKS"]) == (600, True)
    assert "pool" not in result.get("OPTIONS", {})


def test_persistent_connections_with_health_checks_on_request(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "persistent")
    result = connection_settings(POSTGRES)
    assert (result["CONN_MAX_AGE"], result["CONN_HEALTH_CHECKS"]) == (600, True)
    assert "pool" not in result["OPTIONS"]


def test_persistent_connections_are_configurable(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "persistent")
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "30")
    monkeypatch.setenv("DATABASE_CONN_HEALTH_CHECKS", "off")
    result = connection_settings(POSTGRES)
    assert (result["CONN_MAX_AGE"], result["CONN_HEALTH_CHECKS"]) == (30, False)


def test_the_pool_is_djangos_psycopg_pool_checked_by_django(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "pool")
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "8")
    result = connection_settings(POSTGRES)
    pool = result["OPTIONS"]["pool"]
    assert result["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert pool["max_size"] == 8
    assert "check" not in pool  # Django passes the check itself when CONN_HEALTH_CHECKS is on
    assert result["CONN_HEALTH_CHECKS"] is True


def test_the_pool_is_for_postgresql_only(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "pool")
    assert "OPTIONS" not in connection_settings(SQLITE)


def test_per_request_connections_on_request(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "per-request")
    assert connection_settings(POSTGRES)["CONN_MAX_AGE"] == 0


def test_pgbouncer_transaction_mode_disables_server_side_cursors(monkeypatch):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "persistent")
    monkeypatch.setenv("DATABASE_PGBOUNCER_TRANSACTION_MODE", "1")
    assert connection_settings(POSTGRES)["DISABLE_SERVER_SIDE_CURSORS"] is True


@pytest.mark.parametrize(("name", "value"), [("DATABASE_CONNECTIONS", "sometimes"), ("DATABASE_POOL_MAX_SIZE", "ten")])
def test_a_wrong_value_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv("DATABASE_CONNECTIONS", "pool")  # where the pool's sizes are read
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        connection_settings(POSTGRES)


def test_gunicorn_config_sizes_workers_from_the_cores_or_the_environment(monkeypatch):
    import multiprocessing

    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert conf["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert conf["worker_class"] == "sync"
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert (conf["workers"], conf["worker_class"], conf["threads"]) == (3, "gthread", 4)


@pytest.mark.postgres
def test_the_pool_settings_open_a_working_pooled_connection(monkeypatch, db):
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    monkeypatch.setenv("DATABASE_CONNECTIONS", "pool")
    wrapper = DatabaseWrapper(connection_settings({**connection.settings_dict, "OPTIONS": {}}), alias="pool-check")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert wrapper.pool is not None
    finally:
        wrapper.close()
        wrapper.close_pool()


def test_the_database_backend_is_djangos_own(settings):
    assert settings.DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3")
    assert connection_settings({"ENGINE": "django.db.backends.postgresql"})["CONN_HEALTH_CHECKS"] is True
