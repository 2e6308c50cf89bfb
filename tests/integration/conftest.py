# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the integration tests: one sandbox per test session (per xdist worker)."""

from __future__ import annotations

import pytest

from harness import CollectionRunner, Sandbox, spec_dir
from openbao import OpenBao


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


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    return CollectionRunner(str(tmp_path_factory.mktemp("runner")))


@pytest.fixture
def specs():
    folder = spec_dir()
    if folder is None:
        pytest.skip("Kong's OpenAPI files are not available (set KONNECT_SPECS_DIR or place them in ../shared/specs/konnect)")
    return folder


@pytest.fixture(scope="session")
def openbao(tmp_path_factory):
    """A real OpenBao server (``bao server -dev``, TLS, AppRole, a writer policy, an audit log); see openbao.py.

    Started on first use, one per test session (per xdist worker), stopped at the end.
    """
    server = OpenBao(str(tmp_path_factory.mktemp("openbao")))
    yield server
    server.stop()
