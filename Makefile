# devportal.dcr: development entry points.
#   make demo   the main job on the local sandbox (Curity + Konnect stand-ins)
#   make test   everything: sanity, units, sandbox and integration tests, molecule, lint; then, on each other
#               supported ansible-core release, sanity, units and the role end to end (make matrix)
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

# The supported ansible-core releases (meta/runtime.yml) are the maintained ones. The development toolchain
# (constraints-dev.txt, on $(PYTHON)) runs the newest release its Python can run, and every test. Each other
# release is RELEASE:PYTHON here, with a Python that release supports: it gets an environment of its own,
# .venv-ansible-RELEASE, pinned by tests/matrix/constraints-RELEASE.txt, and runs ansible-test sanity and units
# and the end-to-end tests E2E_TESTS. tests/tools/find_python.py finds each Python (PYTHON_X_Y, PATH, pyenv, uv)
# and, where there is none, fails saying what to install.
MATRIX := 2.20:3.12 2.21:3.13
MATRIX_RELEASES := $(foreach m,$(MATRIX),$(firstword $(subst :, ,$(m))))
matrix_python = $(word 2,$(subst :, ,$(filter $(1):%,$(MATRIX))))
MATRIX_PHASES := $(foreach r,$(MATRIX_RELEASES),venv-$(r) sanity-$(r) units-$(r) e2e-$(r))
# The role's end to end (dry run, run, re-run that changes nothing, rotation, teardown, through the example
# playbooks and the READMEs' examples) and the ansible-core hooks dcr_setup relies on.
E2E_TESTS := tests/integration/test_role_dcr_curity.py tests/integration/test_readme_examples.py \
	tests/integration/test_ansible_core_hooks.py
# make test: every part runs (as with make -k), each timed; any failure fails the target.
TEST_PHASES := sanity units pytest molecule lint docs $(MATRIX_PHASES)
MVENV = .venv-ansible-$*
MBIN = $(CURDIR)/.venv-ansible-$*/bin

.PHONY: help venv ansible-test-ready tree demo test sanity units pytest integration sandbox-tests molecule lint docs-lint docs bench clean matrix
.PRECIOUS: .venv-ansible-%/.installed

help:
	@echo "make demo   - run the main playbook against the local sandbox"
	@echo "make test   - run every test and linter (what CI runs), on every supported ansible-core"
	@echo "make matrix - sanity, units and the role end to end on the other supported ansible-core releases"
	@echo "              (one release: make matrix-2.21; one part: make sanity-2.21, units-2.21, e2e-2.21)"
	@echo "make bench  - measure request counts and run times"
	@echo "make docs   - build the collection's HTML documentation (build/docs/html)"

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

# The collection's HTML documentation (antsibull-docs, as on docs.ansible.com; Sphinx, warnings as errors), from the
# collection as built in $(TREE), into build/docs/html.  Configuration: docs/site.
DOCS := build/docs
docs: tree
	rm -rf $(DOCS) && mkdir -p $(DOCS)/rst && chmod og-w $(DOCS)/rst
	PATH="$(BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build $(BIN)/antsibull-docs --config-file docs/site/antsibull-docs.cfg \
		collection --use-current --fail-on-error --dest-dir $(DOCS)/rst devportal.dcr
	cp docs/site/rst/*.rst $(DOCS)/rst/
	$(BIN)/sphinx-build -q -b html -c docs/site -W --keep-going $(DOCS)/rst $(DOCS)/html
	@echo "HTML documentation: $(DOCS)/html/index.html"

demo: tree
	PATH="$(BIN):$$PATH" bash tests/tools/demo.sh

test: tree
	MAKE="$(MAKE)" $(BIN)/python tests/tools/phases.py $(TEST_PHASES)

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

# -- the other supported ansible-core releases ---------------------------------------------------------------
matrix: $(STAMP)
	MAKE="$(MAKE)" $(BIN)/python tests/tools/phases.py $(MATRIX_PHASES)

matrix-%: $(STAMP)
	MAKE="$(MAKE)" $(BIN)/python tests/tools/phases.py venv-$* sanity-$* units-$* e2e-$*

.SECONDEXPANSION:
.venv-ansible-%/.installed: tests/matrix/requirements.txt $$(wildcard tests/matrix/constraints-$$*.txt)
	@if [ -z "$(call matrix_python,$*)" ]; then echo "ansible-core $* is not in MATRIX ($(MATRIX))" >&2; exit 1; fi
	@if [ ! -f tests/matrix/constraints-$*.txt ]; then echo "ansible-core $* has no tests/matrix/constraints-$*.txt:" \
	  "install tests/matrix/requirements.txt with ansible-core $*.x into an environment of Python" \
	  "$(call matrix_python,$*) and write its pip freeze there" >&2; exit 1; fi
	py="$$($(PYTHON) tests/tools/find_python.py $(call matrix_python,$*) --for 'ansible-core $*')"; \
	rm -rf $(MVENV); "$$py" -m venv $(MVENV)
	$(MBIN)/python -m pip install --quiet --upgrade pip
	$(MBIN)/python -m pip install --quiet -r tests/matrix/requirements.txt -c tests/matrix/constraints-$*.txt
	touch $@

venv-%: .venv-ansible-%/.installed
	@$(MBIN)/python -c 'import sys, ansible.release as r; print("ansible-core %s, Python %s" % (r.__version__, sys.version.split()[0]))'

# ansible-test --python X.Y runs the pythonX.Y it finds on PATH: the environment's own comes first.
sanity-%: tree .venv-ansible-%/.installed
	$(MBIN)/python tests/tools/get_pip_offline.py --install-into-cache
	cd $(TREE) && PATH="$(MBIN):$$PATH" $(MBIN)/ansible-test sanity --venv --python $(call matrix_python,$*) --color no

units-%: tree .venv-ansible-%/.installed
	$(MBIN)/python tests/tools/get_pip_offline.py --install-into-cache
	cd $(TREE) && PATH="$(MBIN):$$PATH" $(MBIN)/ansible-test units --venv --python $(call matrix_python,$*) --color no --requirements

e2e-%: .venv-ansible-%/.installed
	PATH="$(MBIN):$$PATH" $(MBIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(E2E_TESTS)

bench: tree
	PATH="$(BIN):$$PATH" $(BIN)/python tests/tools/bench.py

clean:
	rm -rf build .pytest_cache
