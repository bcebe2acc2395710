# edusim: set-up and everyday commands. From a fresh clone each of these is the single command:
#   make run     create .venv, install edusim, run the default experiment
#                (Hydra overrides via ARGS, e.g.  make run ARGS="seed=7 years=30")
#   make viz     set up, provide the page's front-end assets, serve the browser view
#                on http://127.0.0.1:8765 (options via ARGS, e.g.  make viz ARGS="--port 9000")
#   make test    install the test extras (and Chromium, assets), check the import layers and
#                run the whole suite on every core (PYTEST_ARGS="-m 'not slow'", "-n 0": serial)
#   make lint    install the dev extras and run ruff
#   make docs    install the docs extras, re-run every stale docs job (docs/results/) and
#                regenerate every generated number, table and image in the README and docs/
#                (JOBS="run_default design": only these; DOCS_ARGS=--force: even if current)
#   make baselines  regenerate the stored fixed-seed baselines (tests/baselines/) and the
#                behaviour fingerprint (sim/behaviour.py) after an intended change of behaviour
#   make clean   remove .venv and caches (keeps outputs/ and multirun/)
# The Python >= 3.12 used for .venv is found by scripts/find-python.sh
# (override: EDUSIM_PYTHON=/path/to/python3.12). scripts/setup-venv.sh skips pip when
# pyproject.toml and the extras are unchanged since the last successful install.

SHELL := /bin/bash
VENV := .venv
ARGS ?=
PYTEST_ARGS ?=
JOBS ?=
DOCS_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run viz test lint docs baselines clean

help:
	@sed -n '2,14s/^# \{0,1\}//p' Makefile

venv:
	@bash scripts/setup-venv.sh

run:
	@bash scripts/setup-venv.sh
	$(VENV)/bin/edusim $(ARGS)

viz:
	@bash scripts/setup-venv.sh
	@$(VENV)/bin/python -m sim.viz.assets
	$(VENV)/bin/edusim-viz $(ARGS)

test:
	@bash scripts/setup-venv.sh test
	@$(VENV)/bin/python -m sim.viz.assets
	@bash scripts/setup-browser.sh
	@bash scripts/setup-postgres.sh
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

lint:
	@bash scripts/setup-venv.sh dev
	$(VENV)/bin/ruff check .

docs:
	@bash scripts/setup-venv.sh docs
	@$(VENV)/bin/python -m sim.viz.assets
	@bash scripts/setup-browser.sh
	$(VENV)/bin/python -m experiments.docs $(JOBS) $(DOCS_ARGS)

baselines:
	@bash scripts/setup-venv.sh test
	$(VENV)/bin/python -m tests.baselines

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
