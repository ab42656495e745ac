"""gunicorn settings for a Trackify web node: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value comes from the environment, with defaults sized for the machine it runs on. Sync workers:
a request is short database work (a webhook delivery, a status poll), so one process per request in
flight, each with its own kept connection, is the arrangement measured (docs/performance.md).
Calls to a gateway (create-session) block a worker for the gateway's time; raise
`GUNICORN_WORKERS`, or use `GUNICORN_THREADS` > 1 (gthread workers) when most traffic waits on a
gateway. Each worker holds one PostgreSQL connection per thread: size PostgreSQL or PgBouncer for it.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# 2 per core + 1 keeps the cores busy while some workers wait on PostgreSQL.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# A worker stuck longer than this is killed and replaced; longer than the gateway timeout plus retries.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so that slow leaks cannot grow; jitter so they do not all restart at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Load the app before forking: workers share its memory and start at once. Database connections are
# opened lazily in each worker, never inherited across the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in ("0", "false", "no")
# Behind a load balancer: trust its X-Forwarded-* headers (set GUNICORN_FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for stdout; off by default
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Request bodies are small JSON; refuse absurd header sections early.
limit_request_field_size = 8190
