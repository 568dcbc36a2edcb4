# Jiedao: `make run` sets everything up and starts the app; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo translations lint typecheck check-migrations openapi bench clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/jiedao compiletranslations

migrate: install
	$(BIN)/jiedao migrate --noinput

demo: migrate
	$(BIN)/jiedao demo

run: demo
	@echo "Jiedao on http://127.0.0.1:$(PORT)/  (demo logins above)"
	JIEDAO_DEBUG=$${JIEDAO_DEBUG:-1} $(BIN)/jiedao runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest -n auto -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy jiedao

check-migrations: $(STAMP)
	$(BIN)/jiedao makemigrations --check --dry-run

openapi: $(STAMP)
	$(BIN)/jiedao export_openapi_schema --api jiedao.api.api --indent 2 --sorted > docs/openapi.json

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/affairs.py
	$(BIN)/python bench/livelihood.py
	$(BIN)/python bench/figures.py

clean:
	rm -rf $(VENV) var
