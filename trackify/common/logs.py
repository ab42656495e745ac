"""Structured logs: one JSON object per line on stderr, with the request id, and never a secret.

`RequestIdMiddleware` (trackify.common.middleware) puts the id of the request being served in
`current_request_id`; `JsonFormatter` writes it on every record logged while serving it. Stripe
keys and signing secrets that slip into a message or a traceback are masked before writing.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

current_request_id: ContextVar[str] = ContextVar("trackify_request_id", default="")

# Credential shapes of the gateways we ship (Stripe secret, restricted and webhook keys) and Fernet keys.
_SECRET_SHAPES = re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9+/=]{4,}")


def redact(text: str) -> str:
    return _SECRET_SHAPES.sub(lambda match: match.group()[:8] + "…", text)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "") or current_request_id.get(),
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            entry["method"] = getattr(request, "method", "")
            entry["path"] = request.path
        if hasattr(record, "status_code"):
            entry["status"] = record.status_code
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry["exception"] = type(exc).__name__
            # The traceback's lines of code, never its local variables.
            entry["traceback"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_logging(level: str = "INFO") -> dict[str, Any]:
    """The LOGGING setting for production: everything from INFO (Trackify) and errors (Django) to stderr."""
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "json",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "trackify.common.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "trackify.common.logs.JsonFormatter"}},
        "handlers": {"json_stderr": handler},
        "loggers": {
            "trackify": {"handlers": ["json_stderr"], "level": level, "propagate": False},
            "django": {"handlers": ["json_stderr"], "level": "WARNING", "propagate": False},
            "django.security": {"handlers": ["json_stderr"], "level": "WARNING", "propagate": False},
        },
    }
