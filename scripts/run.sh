#!/usr/bin/env bash
# Sets everything up from nothing and serves Trackify Payments on http://127.0.0.1:8000
# (SQLite in var/, demo data, the sandbox gateway). Safe to run again: nothing is duplicated.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh base
scripts/frontend.sh

export DJANGO_SETTINGS_MODULE=config.settings.dev
address="${TRACKIFY_ADDRESS:-127.0.0.1:8000}"
# Pay links, redirects back from the sandbox and webhook URLs are built from the site URL: follow the address.
export TRACKIFY_SITE_URL="${TRACKIFY_SITE_URL:-http://$address}"
# E-mails (receipts, owner notices) are printed here in the terminal unless EMAIL_URL says otherwise.
export EMAIL_URL="${EMAIL_URL:-console:}"
mkdir -p var
echo "==> Preparing the database (var/trackify.sqlite3)"
.venv/bin/python manage.py migrate --no-input -v 0
echo "==> Demo data"
.venv/bin/python manage.py seed_demo
echo
echo "==> Serving on $TRACKIFY_SITE_URL (Ctrl-C to stop). API docs: $TRACKIFY_SITE_URL/api/docs/"
exec .venv/bin/python manage.py runserver "$address"
