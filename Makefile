# devportal.dcr: development entry points.
#   make demo   the main job on the local sandbox (Curity + Konnect stand-ins)
#   make test   everything: sanity, units, sandbox and integration tests, molecule, lint
#   make bench  request counts and wall time (figures, not pass/fail)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# ansible-test needs the checkout at .../ansible_collections/<namespace>/<name>
TREE := build/ansible_collections/devportal/dcr
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYTEST_WORKERS ?= 2

.PHONY: help venv ansible-test-ready tree demo test sanity units pytest integration sandbox-tests molecule lint docs-lint bench clean

help:
	@echo "make demo   - run the main playbook against the local sandbox"
	@echo "make test   - run every test and linter (what CI runs)"
	@echo "make bench  - measure request counts and run times"

$(STAMP): requirements-dev.txt constraints-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints-dev.txt
	touch $@

venv: $(STAMP)

# ansible-test bootstraps pip in its virtual environments with a script from outside the package index.
ansible-test-ready: $(STAMP)
	$(BIN)/python tests/tools/get_pip_offline.py --install-into-cache

# A copy of the files git knows about (tracked, or new and not ignored), as ansible-test wants them.
tree: $(STAMP)
	$(BIN)/python tests/tools/build_tree.py $(TREE)

demo: tree
	PATH="$(BIN):$$PATH" bash tests/tools/demo.sh

test: tree
	$(MAKE) -k --no-print-directory sanity units pytest molecule lint  # every phase runs; any failure fails the target

sanity: tree ansible-test-ready
	cd $(TREE) && $(BIN)/ansible-test sanity --venv --python $(PY_VERSION) --color no

units: tree ansible-test-ready
	cd $(TREE) && $(BIN)/ansible-test units --venv --python $(PY_VERSION) --color no --requirements

pytest: tree
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider tests/sandbox/tests tests/integration

molecule: tree
	@if [ -d extensions/molecule ]; then cd extensions && PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build $(BIN)/molecule test --all; \
	else echo "molecule: no scenario yet"; fi

lint: tree
	PATH="$(BIN):$$PATH" $(BIN)/ansible-lint --profile production
	cd build && PATH="$(BIN):$$PATH" $(BIN)/antsibull-docs lint-collection-docs --plugin-docs ansible_collections/devportal/dcr

bench: tree
	PATH="$(BIN):$$PATH" $(BIN)/python tests/tools/bench.py

clean:
	rm -rf build .pytest_cache
