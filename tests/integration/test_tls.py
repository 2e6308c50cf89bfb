# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS: the sandbox with HTTPS and its own CA (``--tls``).

With ``ca_path`` every module succeeds; without it each fails with a message that points at
``ca_path`` and writes nothing; ``validate_certs: false`` works and warns.  The role, given
the CA through the sandbox inventory, converges end to end (gateway request included).
"""

from __future__ import annotations

import os

import pytest

from harness import REPO, Sandbox
from reliability_helpers import (
    TRACEBACK,
    Desired,
    assert_converged,
    chain_steps,
    describe,
    failures,
    messages,
    role_env,
    role_vars,
    run_chain,
    state_writes,
    warning_texts,
)

MODULES = ["curity_claim", "curity_scope", "curity_token", "konnect_portal_dcr", "portal_application"]


@pytest.fixture(scope="module")
def tls_process(tmp_path_factory):
    box = Sandbox(tls=True, workdir=str(tmp_path_factory.mktemp("tls-sandbox")))
    yield box
    box.stop()


@pytest.fixture
def tls(tls_process):
    """The TLS sandbox back at its seed, with an empty request log and no faults; its Konnect traffic checked after."""
    assert tls_process.info["curity_admin_url"].startswith("https://")
    assert os.path.exists(tls_process.info["ca_path"])
    tls_process.reset()
    yield tls_process
    problems = tls_process.konnect_problems()
    assert problems == [], "Konnect traffic of this test:\n" + "\n".join(problems)


def prepared(tls, runner, tmp_path, module):
    """The chain up to ``module`` (with ca_path), and that module's step."""
    desired = Desired(tls.info, str(tmp_path), tag="tls")
    steps = chain_steps(desired)
    index = [step[0] for step in steps].index(module)
    done = run_chain(runner, steps[:index])
    assert not failures(done), failures(done)
    tls.clear_requests()
    return desired, steps[index]


def test_modules_succeed_with_ca_path(tls, runner, tmp_path):
    desired = Desired(tls.info, str(tmp_path), tag="tls")
    steps = chain_steps(desired)
    assert all(step[1].get("ca_path") == tls.info["ca_path"] for step in steps)
    done = run_chain(runner, steps)
    assert [step[0] for step in done] == MODULES and not failures(done), messages(done)
    warnings = [(step[0], warning_texts(step[1])) for step in done if warning_texts(step[1])]
    assert not warnings, warnings
    assert_converged(tls, desired, tls.requests())


@pytest.mark.parametrize("module", MODULES)
def test_module_without_ca_path_fails_clearly(tls, runner, tmp_path, module):
    name, args = prepared(tls, runner, tmp_path, module)[1]
    args = {k: v for k, v in args.items() if k != "ca_path"}

    result, text = runner.module(name, args)

    assert result.get("failed") is True, result
    assert "ca_path" in result["msg"], result["msg"]
    assert "certificate" in result["msg"].lower() or "tls" in result["msg"].lower(), result["msg"]
    assert TRACEBACK not in text
    writes = state_writes(tls.requests())
    assert writes == [], describe(writes)


@pytest.mark.parametrize("module", MODULES)
def test_validate_certs_false_works_and_warns(tls, runner, tmp_path, module):
    desired, (name, args) = prepared(tls, runner, tmp_path, module)
    args = {k: v for k, v in args.items() if k != "ca_path"}
    args["validate_certs"] = False

    result, text = runner.module(name, args)

    assert not result.get("failed"), result.get("msg")
    assert result.get("changed") is True
    assert TRACEBACK not in text
    warnings = warning_texts(result)
    assert any("validate_certs" in w for w in warnings), warnings
    assert_converged(tls, desired, tls.requests(), through=module)


def test_role_converges_over_tls(tls, runner, tmp_path):
    desired = Desired(tls.info, str(tmp_path), tag="tls")
    rc, out = runner.playbook(os.path.join(REPO, "playbooks", "dcr_curity.yml"), extra_vars=role_vars(desired),
                              inventory=os.path.join(REPO, "playbooks", "inventories", "sandbox"), env=role_env(tls))
    assert rc == 0, out[-3000:]
    assert "Gateway answered 200" in out, out[-3000:]
    assert_converged(tls, desired, tls.requests())
