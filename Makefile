.PHONY: run test

# Set up from nothing and serve the demo on http://127.0.0.1:8000
run:
	scripts/run.sh

# Every check: ruff, mypy, the test suite on SQLite and on PostgreSQL (when reachable)
test:
	scripts/test.sh
