#!/usr/bin/env bash
# Runs every check: ruff, mypy, the import contracts, then the test suite on SQLite and on PostgreSQL.
# PostgreSQL comes from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). When it
# cannot be reached the PostgreSQL run is skipped and said so, unless REQUIRE_POSTGRES=1 (CI).
# Extra arguments go to pytest, e.g. scripts/test.sh -k webhook
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev

export DJANGO_SETTINGS_MODULE=config.settings.test
pg_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
started=$(date +%s)

echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy"
.venv/bin/mypy trackify config
echo "==> import contracts (lint-imports, .importlinter)"
.venv/bin/lint-imports --no-cache

echo "==> OpenAPI schema (valid, no generator warnings)"
.venv/bin/python manage.py spectacular --validate --fail-on-warn --file /dev/null

echo "==> front end: build (scripts/frontend.sh) and unit tests (Vitest)"
scripts/frontend.sh
(cd frontend && npx --no-install vitest run)

# The browser tests (tests/e2e) run once: in the PostgreSQL pass, or in the SQLite pass without PostgreSQL.
pg_ok=0
if .venv/bin/python - "$pg_url" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"    PostgreSQL not reachable: {exc}".strip())
    sys.exit(1)
PY
then
  pg_ok=1
fi

echo "==> pytest on SQLite"
TRACKIFY_E2E=$((1 - pg_ok)) DATABASE_URL="" .venv/bin/pytest -q "$@"

echo "==> pytest on PostgreSQL ($pg_url)"
if [ "$pg_ok" = 1 ]; then
  TRACKIFY_E2E=1 DATABASE_URL="$pg_url" .venv/bin/pytest -q "$@"
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "FAILED: PostgreSQL is required (REQUIRE_POSTGRES=1) but not reachable." >&2
  exit 1
else
  echo "SKIPPED: the PostgreSQL run. The SQLite run above skipped the tests marked 'postgres'"
  echo "         (row locks and real concurrency); see its 'SKIPPED' lines. Start PostgreSQL to run them."
fi

[ -d var/test-artifacts/screenshots ] && echo "    Screenshots of the browser tests: var/test-artifacts/screenshots/"
echo "==> all checks passed in $(( $(date +%s) - started )) s"
