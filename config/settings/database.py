"""How production holds its PostgreSQL connections, chosen from the environment.

Opening a PostgreSQL connection costs a TCP handshake, authentication and a backend process: more
than everything a webhook delivery does once connected. So production never opens one per request.

`DATABASE_CONNECTIONS`:
- `persistent` (the default): each worker keeps its connection open for `DATABASE_CONN_MAX_AGE`
  seconds (default 600) and, with Django's health checks on (`DATABASE_CONN_HEALTH_CHECKS`, default
  on), checks it with Django's `SELECT 1` before a request first uses it, so that a connection the
  server, a load balancer or a NAT dropped is replaced instead of failing the request. A sync
  gunicorn worker serves one request at a time, so one connection each is all a pool would hold;
  `bench/webhooks.py --connections persistent,pool` compares the two (docs/performance.md). Also
  the one to use behind PgBouncer, which pools already (docs/deployment.md).
- `pool`: Django's psycopg connection pool (psycopg[pool]), sized by `DATABASE_POOL_MIN_SIZE`,
  `DATABASE_POOL_MAX_SIZE` and `DATABASE_POOL_TIMEOUT`; with health checks on, Django has the pool
  check a connection before handing it out (`ConnectionPool.check_connection`, a round trip). For threaded workers
  (`GUNICORN_THREADS` > 1), whose threads then share a few connections.
- `per-request`: a new connection for each request (behind PgBouncer, for example, if one insists).

Behind PgBouncer in transaction mode, see docs/deployment.md: persistent connections to PgBouncer
are fine; server-side cursors are disabled there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

CHOICES = ("persistent", "pool", "per-request")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if not raw else raw in {"1", "true", "yes", "on"}


def connection_settings(database: Mapping[str, Any]) -> Any:
    """`database` (one entry of DATABASES) with the connection handling the environment asks for.

    Typed `Any` because Django reads the result as a plain dict while the stubs know DATABASES
    entries as a TypedDict without the pool option.
    """
    mode = os.environ.get("DATABASE_CONNECTIONS", "persistent").strip().lower() or "persistent"
    if mode not in CHOICES:
        raise ImproperlyConfigured(f"DATABASE_CONNECTIONS must be one of {', '.join(CHOICES)}, not {mode!r}.")
    health_checks = _bool("DATABASE_CONN_HEALTH_CHECKS", True)
    result = {**database, "CONN_HEALTH_CHECKS": health_checks}
    is_postgres = "postgresql" in str(database.get("ENGINE", ""))
    if mode == "pool" and is_postgres:
        pool: dict[str, Any] = {
            "min_size": _int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": _int("DATABASE_POOL_MAX_SIZE", 4),
            "timeout": _int("DATABASE_POOL_TIMEOUT", 10),
        }
        result["CONN_MAX_AGE"] = 0  # Django refuses a pool together with persistent connections
        result["OPTIONS"] = {**database.get("OPTIONS", {}), "pool": pool}
    elif mode == "per-request":
        result["CONN_MAX_AGE"] = 0
    else:
        result["CONN_MAX_AGE"] = _int("DATABASE_CONN_MAX_AGE", 600)
    if _bool("DATABASE_PGBOUNCER_TRANSACTION_MODE", False):
        # A server-side cursor lives across transactions, which transaction pooling cannot promise.
        result["DISABLE_SERVER_SIDE_CURSORS"] = True
    return result
