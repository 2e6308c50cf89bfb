# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interrupted converge: the k-th write of a full setup fails, for every k, then a re-run.

The module chain (claim, scope, DCR credential, Konnect DCR settings, application) runs from
the sandbox seed; its configuration writes, sandbox-internal ones included (Konnect
registering the application's client in Curity), are listed in WRITES, in order.  For each k
the k-th write fails once with HTTP 500 (not retried by anyone), the chain stops there, and
the whole chain runs again without faults.  The end state must be the desired one: nothing
duplicated, and the credentials file holds the application's one secret, which the gateway
accepts.  A write whose answer is lost after the server applied it (a POST slower than the
timeout) is covered for each create as well, and one interruption goes through the role.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from harness import REPO
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
    wait_for_request,
)

AS = r"^/admin/api/restconf/data/base:profiles/profile=[^/]+,oauth-service/settings/profile-oauth:authorization-server"
# The configuration writes of a converge from the seed, in the order the sandbox logs them:
# (module, service, method, path regex).  The sandbox logs a request when its answer is sent,
# so Konnect's registration of the client in Curity comes before the application's POST.
WRITES = [
    ("curity_claim", "curity-admin", "PATCH", AS + "/claims$", "claims"),
    ("curity_scope", "curity-admin", "PATCH", AS + "/scopes$", "scopes"),
    # one PATCH of the datastore: the client, the DCR settings, the DCR endpoint and its deployment on a service role
    ("curity_token", "curity-admin", "PATCH", r"^/admin/api/restconf/data$", "dcr-credential"),
    ("konnect_portal_dcr", "konnect", "POST", r"^/v2/dcr-providers$", "provider"),
    ("konnect_portal_dcr", "konnect", "POST", r"^/v2/application-auth-strategies$", "strategy"),
    ("konnect_portal_dcr", "konnect", "PATCH", r"^/v3/portals/[^/]+$", "portal-default"),
    ("konnect_portal_dcr", "konnect", "PUT", r"^/v3/apis/[^/]+/publications/[^/]+$", "publication"),
    ("portal_application", "curity-runtime", "POST", r"/oauth-registration$", "dcr-registration"),
    ("portal_application", "portal", "POST", r"^/api/v3/applications$", "application"),
    ("portal_application", "portal", "POST", r"^/api/v3/applications/[^/]+/registrations$", "registration"),
    ("portal_application", "konnect", "PATCH", r"^/v3/portals/[^/]+/applications/[^/]+/registrations/[^/]+$",
     "approval"),
]
# Creates whose answer can be lost after the server applied them (the client's timeout).
LOST_ANSWER = [k for k, w in enumerate(WRITES) if w[2] == "POST" and w[1] != "curity-runtime"]
TIMEOUT = 2


APPLICATION_POST = [w[4] for w in WRITES].index("application")
# A failure of Konnect's own registration of the client in Curity reaches the module as a 400 refusing the
# application, which Konnect can also answer right after set-up (eventual consistency): the module reads that no
# application was created and sends its creation again (settle_timeout), so that run is not interrupted.
SETTLES = [w[4] for w in WRITES].index("dcr-registration")


def application_posts(entries):
    return [e["status"] for e in entries if e["service"] == "portal" and e["method"] == "POST"
            and e["path"] == "/api/v3/applications"]


def label(k):
    return "%02d-%s-%s-%s" % (k + 1, WRITES[k][0], WRITES[k][2], WRITES[k][4])


def write_matches(k, entry):
    service, method, regex = WRITES[k][1:4]
    return entry["service"] == service and entry["method"] == method and re.search(regex, entry["path"])


def inject_before(steps, k, fault):
    """Steps with a marker: the fault is injected just before the module that sends the k-th write."""
    module = WRITES[k][0]
    return [(name, args, fault if name == module else None) for name, args in steps]


def run_interrupted(sandbox, runner, steps_with_faults):
    """Run the chain, injecting each fault right before its module; stop at the first failure."""
    results = []
    for name, args, fault in steps_with_faults:
        if fault:
            sandbox.fault(**fault)
        result, text = runner.module(name, args)
        results.append((name, result, text))
        if result.get("failed"):
            break
    return results


def test_write_list_is_the_chain(sandbox, runner, tmp_path):
    """WRITES is exactly what a converge from the seed writes, so 'every k' covers every write."""
    desired = Desired(sandbox.info, str(tmp_path), tag="int")
    done = run_chain(runner, chain_steps(desired))
    assert not failures(done), failures(done)
    writes = state_writes(sandbox.requests())
    assert len(writes) == len(WRITES), describe(writes)
    for k, entry in enumerate(writes):
        assert write_matches(k, entry), "write %d is %s" % (k + 1, describe([entry]))
    assert_converged(sandbox, desired, sandbox.requests())


@pytest.mark.parametrize("k", range(len(WRITES)), ids=label)
def test_failed_write_then_rerun_converges(sandbox, runner, tmp_path, k):
    desired = Desired(sandbox.info, str(tmp_path), tag="int")
    service, method, regex = WRITES[k][1:4]
    fault = dict(service=service, method=method, path_regex=regex, status=500, count=1)
    first = run_interrupted(sandbox, runner, inject_before(chain_steps(desired), k, fault))
    if k == SETTLES:
        assert not failures(first), messages(first)
        assert application_posts(sandbox.requests()) == [400, 201]
        assert_converged(sandbox, desired, sandbox.requests())
        return

    failed = failures(first)
    assert [step[0] for step in failed] == [WRITES[k][0]], messages(first)
    assert all(TRACEBACK not in step[2] for step in first)
    if service == "curity-runtime":
        # Konnect's own request to Curity failed: the portal refuses the application.
        assert "DCR" in failed[0][1], failed[0][1]
    else:
        assert "500" in failed[0][1], failed[0][1]
    hit = [e for e in sandbox.requests() if e.get("fault")]
    assert len(hit) == 1 and write_matches(k, hit[0]), describe(hit)

    sandbox.clear_faults()
    again = run_chain(runner, chain_steps(desired))
    assert not failures(again), failures(again)
    assert_converged(sandbox, desired, sandbox.requests())


@pytest.mark.parametrize("k", LOST_ANSWER, ids=label)
def test_lost_answer_of_a_create_then_rerun_converges(sandbox, runner, tmp_path, k):
    """The server creates the object, the module times out: the re-run finds it instead of creating another."""
    desired = Desired(sandbox.info, str(tmp_path), tag="int")
    module, service, method, regex = WRITES[k][:4]
    fault = dict(service=service, method=method, path_regex=regex, delay_s=TIMEOUT + 1.5, count=1)
    steps = chain_steps(desired, {module: {"timeout": TIMEOUT}})
    first = run_interrupted(sandbox, runner, inject_before(steps, k, fault))

    assert first[-1][0] == module and first[-1][1].get("failed"), messages(first)
    assert TRACEBACK not in first[-1][2]
    assert "timed out" in first[-1][1]["msg"], first[-1][1]["msg"]
    wait_for_request(sandbox, lambda e: e.get("fault") and write_matches(k, e))
    sandbox.clear_faults()
    again = run_chain(runner, chain_steps(desired))
    assert not failures(again), failures(again)
    if k == APPLICATION_POST:
        # The application exists, but the only copy of its secret was in the lost answer: the
        # re-run reports the application without a secret; regenerating the secret recovers.
        assert again[-1][1].get("client_secret") is None
        assert not os.path.exists(desired.credentials_file)
        name, args = chain_steps(desired)[-1]
        result = runner.module(name, dict(args, regenerate_secret=True))[0]
        assert not result.get("failed"), result.get("msg")
    assert_converged(sandbox, desired, sandbox.requests())


def test_role_interrupted_then_rerun_converges(sandbox, runner, tmp_path):
    """Through the role: the auth strategy's creation fails once; the play fails readably; a re-run converges."""
    desired = Desired(sandbox.info, str(tmp_path), tag="int")
    playbook = os.path.join(REPO, "playbooks", "dcr_curity.yml")
    inventory = os.path.join(REPO, "playbooks", "inventories", "sandbox")
    sandbox.fault(service="konnect", method="POST", path_regex=r"^/v2/application-auth-strategies$", status=500,
                  count=1)
    rc, out = runner.playbook(playbook, extra_vars=role_vars(desired), inventory=inventory, env=role_env(sandbox))
    assert rc != 0, out[-3000:]
    assert TRACEBACK not in out
    assert "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr) failed" in out and "500" in out, out[-3000:]
    for value in desired.secrets().values():
        assert value not in out

    sandbox.clear_faults()
    rc, out = runner.playbook(playbook, extra_vars=role_vars(desired), inventory=inventory, env=role_env(sandbox))
    assert rc == 0, out[-3000:]
    assert_converged(sandbox, desired, sandbox.requests())
    with open(desired.credentials_file, encoding="utf-8") as handle:
        assert json.load(handle)["client_secret"] not in out


# ------------------------------------------------------------------------------ through the role, generated secret
def generated_vars(desired):
    """The role's variables as the README's example gives them: no dcr_curity_client_secret (generated)."""
    data = role_vars(desired)
    del data["dcr_curity_client_secret"]
    return data


def play_role(runner, sandbox, desired):
    playbook = os.path.join(REPO, "playbooks", "dcr_curity.yml")
    inventory = os.path.join(REPO, "playbooks", "inventories", "sandbox")
    return runner.playbook(playbook, extra_vars=generated_vars(desired), inventory=inventory, env=role_env(sandbox))


def test_role_write_list_is_the_chain(sandbox, runner, tmp_path):
    """The role's first run with a generated secret sends exactly WRITES, in order (so 'every k' covers it)."""
    desired = Desired(sandbox.info, str(tmp_path), tag="gen")
    rc, out = play_role(runner, sandbox, desired)
    assert rc == 0, out[-3000:]
    writes = state_writes(sandbox.requests())
    assert len(writes) == len(WRITES), describe(writes)
    for k, entry in enumerate(writes):
        assert write_matches(k, entry), "write %d is %s" % (k + 1, describe([entry]))
    assert_converged(sandbox, desired, sandbox.requests(), secret=None)


@pytest.mark.parametrize("k", range(len(WRITES)), ids=label)
def test_role_with_a_generated_secret_interrupted_at_write_k_then_rerun_converges(sandbox, runner, tmp_path, k):
    """The README's path (the DCR credential's secret generated): a fault on the k-th write, then a plain re-run."""
    desired = Desired(sandbox.info, str(tmp_path), tag="gen")
    service, method, regex = WRITES[k][1:4]
    sandbox.fault(service=service, method=method, path_regex=regex, status=500, count=1)
    rc, out = play_role(runner, sandbox, desired)
    if k == SETTLES:
        assert rc == 0 and application_posts(sandbox.requests()) == [400, 201], out[-3000:]
        assert_converged(sandbox, desired, sandbox.requests(), secret=None)
        return
    assert rc != 0, out[-3000:]
    assert TRACEBACK not in out
    assert "Run again with the same input to finish" in out or k == 0, out[-3000:]
    hit = [e for e in sandbox.requests() if e.get("fault")]
    assert len(hit) == 1 and write_matches(k, hit[0]), describe(hit)
    for value in desired.secrets().values():
        assert value not in out

    sandbox.clear_faults()
    rc, out = play_role(runner, sandbox, desired)
    assert rc == 0, out[-3000:]
    # Nothing duplicated, the provider verified by Konnect, the application's stored secret accepted by the gateway.
    assert_converged(sandbox, desired, sandbox.requests(), secret=None)
    with open(desired.credentials_file, encoding="utf-8") as handle:
        assert json.load(handle)["client_secret"] not in out
    # And the run after that changes nothing.
    sandbox.clear_requests()
    rc, out = play_role(runner, sandbox, desired)
    assert rc == 0 and state_writes(sandbox.requests()) == [], out[-3000:]
