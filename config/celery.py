"""The Celery application: background work on Redis, for deployments that turn it on.

Off by default: `TRACKIFY_WEBHOOK_MODE=inline` applies each webhook in its request and nothing here
runs, so the embedded demo needs no broker. With `TRACKIFY_WEBHOOK_MODE=async` the web nodes verify,
store and enqueue each event, and workers started with

    celery -A config worker -l info          # applies webhook events (trackify/payments/tasks.py)
    celery -A config beat -l info            # one per deployment: the periodic catch-up

apply them. Settings are the `CELERY_*` names in config/settings/base.py.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("trackify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
