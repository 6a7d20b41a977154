# LeadLoop — two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test setup venv lint format migrate seed bench clean security-figures

$(BIN)/activate: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(BIN)/activate

venv: $(BIN)/activate

setup: venv
	./scripts/system-deps.sh run

## make run: install, migrate, load demo data on an empty database, serve on http://127.0.0.1:$(PORT)
## with the task queue consumer (`flask worker`) beside gunicorn; both stop together
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty --leads $${DEMO_LEADS:-3000}
	@echo "LeadLoop: http://127.0.0.1:$(PORT)"
	BIN=$(BIN) ./scripts/run.sh $(PORT)

## make test: lint, the format check, the dead-code check (vulture), then the whole suite (unit, web, browser) on SQLite, or on TEST_DATABASE_URL
test: venv
	./scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: venv
	$(BIN)/flask db upgrade

bench: venv
	$(BIN)/python bench/run.py $(ARGS)

## make security-figures: run the authorization matrix and the fuzz tests, rewrite the figures in docs/security.md
security-figures: venv
	$(BIN)/python scripts/security-figures.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
