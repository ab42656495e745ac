"""The bare baseline: the least a Django view can do to accept a webhook. Not part of Trackify.

Same server (gunicorn, config/gunicorn.conf.py), same PostgreSQL database, same persistent
connections as Trackify's production default. No apps, two stock middlewares, one view.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"
DATABASES = {
    "default": {
        **dj_database_url.parse(os.environ["DATABASE_URL"]),
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
}
USE_TZ = True
BASELINE_WEBHOOK_SECRET = os.environ.get("BASELINE_WEBHOOK_SECRET", "")
