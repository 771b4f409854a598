# cv2web: `make run` starts the site, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint typecheck format bench load fuzz corpus train-extractor accuracy messages install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, make the local keys once, migrate, install schedules, start web + worker
## Log lines are readable text here (LOG_FORMAT=json for JSON, the default with DEBUG off).
run: export LOG_FORMAT ?= text
run: install
	$(BIN)/python scripts/local_secrets.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py setup_schedules
	$(BIN)/python scripts/serve.py

## test: the whole suite (pass PYTEST_ARGS to narrow it)
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(MAKE) --no-print-directory typecheck

## typecheck: mypy on the domain modules listed in pyproject.toml ([tool.mypy] files).
## DEBUG=1: the django-stubs plugin loads the settings, which refuse development keys otherwise.
typecheck: install-dev
	DEBUG=1 $(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every benchmark in bench/, each prints its figures
bench: install-dev
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/quota_overhead.py
	$(BIN)/python bench/accuracy.py --extractor local
	$(BIN)/python bench/lifecycle_scan.py
	$(BIN)/python bench/portfolio_page.py
	$(BIN)/python bench/retention.py   # needs PostgreSQL (a scratch database on 127.0.0.1)
	$(BIN)/python bench/bulk.py        # a 1,000-CV day beside people; needs PostgreSQL (a scratch database)

## load: the seeds' load scenarios (Locust, bench/load/) against the served site in
## multi-machine mode: PostgreSQL and Redis on 127.0.0.1, two gunicorn web nodes and two
## qcluster worker nodes. About 10 minutes; the last line is the report as JSON.
## LOAD_ARGS="--cv-minutes 60" runs the full hour of 1,000 CVs; --help lists the rest.
load: install-dev
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

## fuzz: schemathesis over /api/schema/ against a real gunicorn, anonymous and with
## a token (a few minutes; not part of `make test`; FUZZ_ARGS="--examples 300")
fuzz: install-dev
	$(BIN)/python scripts/fuzz.py $(FUZZ_ARGS)

# The extractor's development corpus (docs/extraction.md): not needed by `make test`.
CORPUS ?= data/corpus
corpus: install-dev
	$(BIN)/python -m tools.cvcorpus --out $(CORPUS)

train-extractor: install-dev
	$(BIN)/python scripts/train_extractor.py --corpus $(CORPUS)

accuracy: install-dev
	$(BIN)/python bench/accuracy.py --corpus $(CORPUS)

# The translation catalogues (locale/): gather the marked strings (needs GNU
# gettext's xgettext, for translators only), then compile the .mo files with
# polib (pure Python). The .mo files are committed: make run needs neither.
messages: install-dev
	DEBUG=1 $(BIN)/python manage.py makemessages --no-location --no-obsolete \
		$(foreach l,en de fr es pt it nl,-l $(l)) -i 'tools/*' -i 'tests/*' -i 'bench/*'
	$(BIN)/python scripts/compilemessages.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
