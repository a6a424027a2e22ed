# asm_wb: every target works on a fresh clone; the virtual environment is made on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.asm_wb-installed
KERNEL ?= asm-wb
PORT   ?= 8888

.PHONY: help install browser run tables report test test-slow export lab

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): settings.ini setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "asm_wb needs Python 3.11; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name 'Python 3 (asm_wb)' >/dev/null
	$(BIN)/python -m pip list --disable-pip-version-check 2>/dev/null | grep -E '^(torch|nvidia)' || true
	touch $(STAMP)

install: $(STAMP)  ## make .venv, install asm_wb editable with its dev pins, register the 'asm-wb' kernel

browser:  ## install Debian's chromium for the browser tests when it is missing (as root with apt-get; else they skip)
	@command -v chromium >/dev/null || [ -x "$${CHROMIUM:-}" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "make: no chromium (apt-get install chromium, or set CHROMIUM=/path); the browser tests will skip" >&2; fi; }

run: $(STAMP)  ## the main job: train the embedded default with IID and with ASM through nbs/train.ipynb and print both
	$(BIN)/asm-wb quickstart

SEEDS   ?= 3
WORKERS ?= 1
tables: $(STAMP)  ## regenerate every table of the paper at CPU scale: the equal-budget sweep of every row (widened once where a choice is at its edge), then SEEDS=3 seeds with its choices (WORKERS=1; hours; finished runs are skipped), the analyzer figures, then the site
	$(BIN)/asm-wb tables tune all --scale cpu --workers $(WORKERS) --widen 1
	$(BIN)/asm-wb tables run all --scale cpu --seeds $(SEEDS) --workers $(WORKERS)
	$(BIN)/asm-wb figures all --scale cpu
	$(BIN)/asm-wb report

report: $(STAMP)  ## render reports/ into the static site reports/_site (works offline)
	$(BIN)/asm-wb report

test: $(STAMP) browser  ## every test: notebook tests (nbdev_test), then tests/ (library in sync with notebooks, clean notebooks, integration)
	@failed=""; \
	$(BIN)/nbdev_test --n_workers 2 --timing || failed="$$failed nbdev_test"; \
	$(BIN)/python -m pytest tests || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED in:$$failed" >&2; exit 1; fi

test-slow: $(STAMP)  ## the notebook tests including cells flagged #| slow
	$(BIN)/nbdev_test --n_workers 2 --timing --flags slow

export: $(STAMP)  ## regenerate asm_wb/ from nbs/ and clean the notebooks (run before committing)
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

# The token goes to jupyter in its environment (JUPYTER_TOKEN), never on its command line, where `ps` shows it to every
# user; a process's environment is readable only by its owner. Choose it with `TOKEN=... make lab` (not `make lab TOKEN=...`,
# which puts it on make's own command line).
lab: $(STAMP)  ## start JupyterLab on localhost with a fresh token, printed (TOKEN=... make lab to choose it; PORT=...)
	@token=$${TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))')}; \
	echo "JupyterLab: http://127.0.0.1:$(PORT)/lab?token=$$token"; \
	JUPYTER_TOKEN=$$token exec $(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.root_dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)
