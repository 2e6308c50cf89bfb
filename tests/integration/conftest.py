# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests: one sandbox per test session (per xdist worker)."""

from __future__ import annotations

import glob
import os

import pytest

from harness import REPO, CollectionRunner, Sandbox, spec_dir
from openbao import OpenBao

SANDBOX_INVENTORY = os.path.join(REPO, "playbooks", "inventories", "sandbox")
MAIN_PLAYBOOK = os.path.join(REPO, "playbooks", "dcr_curity.yml")


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    box = Sandbox(workdir=str(tmp_path_factory.mktemp("sandbox")))
    yield box
    box.stop()


@pytest.fixture
def sandbox(sandbox_process):
    """The sandbox, back at its seed with an empty request log, no faults and no violations.

    After the test: no request or response violated Kong's OpenAPI files, and every Konnect request a
    module sent is an operation of ``MODULE_OPERATIONS``.
    """
    sandbox_process.reset()
    yield sandbox_process
    problems = sandbox_process.konnect_problems()
    assert problems == [], "Konnect traffic of this test:\n" + "\n".join(problems)
    # No read may depend on RESTCONF "fields" (Curity's own tooling stopped sending it to real servers).
    with_fields = ["%(method)s %(path)s?%(query)s" % e for e in sandbox_process.requests("curity-admin")
                   if "fields" in (e.get("query") or "")]
    assert with_fields == [], "requests to Curity's admin API with fields:\n" + "\n".join(with_fields)


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    return CollectionRunner(str(tmp_path_factory.mktemp("runner")))


@pytest.fixture
def specs():
    folder = spec_dir()
    if folder is None:
        pytest.skip("Kong's OpenAPI files are not available (set KONNECT_SPECS_DIR or place them in ../shared/specs/konnect)")
    return folder


@pytest.fixture
def play(runner, sandbox):
    """Run a playbook of the collection (default: playbooks/dcr_curity.yml) with the sandbox inventory, no
    application credentials file left from an earlier test; returns (rc, output)."""
    for stale in glob.glob(os.path.join(os.path.dirname(sandbox.info_file), "*.credentials.json*")):
        os.unlink(stale)

    def run(playbook=MAIN_PLAYBOOK, **kwargs):
        env = dict(kwargs.pop("env", None) or {}, DCR_SANDBOX_INFO=sandbox.info_file)
        return runner.playbook(playbook, inventory=SANDBOX_INVENTORY, env=env, **kwargs)

    return run


@pytest.fixture(scope="session")
def openbao(tmp_path_factory):
    """A real OpenBao server (``bao server -dev``, TLS, AppRole, a writer policy, an audit log); see openbao.py.

    Started on first use, one per test session (per xdist worker), stopped at the end.
    """
    server = OpenBao(str(tmp_path_factory.mktemp("openbao")))
    yield server
    server.stop()
