# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role while it runs: each retry as it happens (-v), a heartbeat where the modules run elsewhere, the requests
each step sent (-vvv); never a secret.  The output is read as a user watching the run sees it: each line stamped when
it arrived."""

from __future__ import annotations

import glob
import os
import re
from collections import Counter

import pytest

from harness import REPO
from konnect_operations import MODULE_USER_AGENT
from test_role_dcr_curity import read_credentials
from test_secret_scan import basic_forms, forms

MAIN_PLAYBOOK = os.path.join(REPO, "playbooks", "dcr_curity.yml")
SANDBOX_INVENTORY = os.path.join(REPO, "playbooks", "inventories", "sandbox")
CONNECTION_PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "connection_plugins")
# The claims step's read of Curity's claims (its first request).
CLAIMS_READ = dict(service="curity-admin", method="GET", path_regex=r"authorization-server/claims$")
CLAIMS = r"dcr_setup plan \| Curity claims \(curity_claim\): "
CLAIMS_PLANNED = re.compile(CLAIMS + r"(changes|no change)$")
DCR_SECRET = "Dcr-Client-Secret-Progress-0001"
TRACE = re.compile(r"^dcr_setup (plan|apply) \| (.+?): ([A-Z]+) (/\S*) \(([^)]+)\) -> HTTP (\d{3}) \(\d+ ms(, \d+ "
                   r"attempts)?\)$")


@pytest.fixture
def timed_play(runner, sandbox):
    """Run playbooks/dcr_curity.yml against the sandbox; (rc, [(seconds, line)])."""
    for stale in glob.glob(os.path.join(os.path.dirname(sandbox.info_file), "*.credentials.json*")):
        os.unlink(stale)

    def run(**kwargs):
        env = dict(kwargs.pop("env", None) or {}, DCR_SANDBOX_INFO=sandbox.info_file)
        return runner.playbook_timed(MAIN_PLAYBOOK, inventory=SANDBOX_INVENTORY, env=env, **kwargs)

    return run


def first(lines, pattern):
    """(seconds, match) of the first line matching ``pattern``."""
    for when, line in lines:
        found = re.search(pattern, line)
        if found:
            return when, found
    raise AssertionError("no line matches %s in:\n%s" % (pattern, "\n".join(line for dummy, line in lines)[-6000:]))


def assert_no_secret(sandbox, text, *more):
    info = sandbox.info
    secrets = {"Konnect token": forms(info["konnect_token"]),
               "Curity admin password": forms(info["curity_admin_password"])
               | basic_forms(info["curity_admin_username"], info["curity_admin_password"]),
               "developer password": forms(info["developer_password"])}
    for number, value in enumerate(more):
        secrets["secret #%d" % number] = forms(value)
    found = sorted(name for name, values in secrets.items() if any(value in text for value in values))
    assert not found, "printed: %s" % ", ".join(found)


def test_a_retry_shows_as_it_happens_with_its_wait(timed_play, sandbox):
    sandbox.fault(status=503, retry_after=3, count=1, **CLAIMS_READ)
    rc, lines = timed_play(check=True, verbosity=1)
    output = "\n".join(line for dummy, line in lines)
    assert rc == 0, output[-6000:]
    retry_at, retry = first(lines, "^" + CLAIMS + r"retrying GET (/admin/api/restconf/\S+/claims) \(Curity admin API\) "
                                                  r"after HTTP 503, next attempt in 3\.0 s \(attempt 2 of at most 6\)$")
    planned_at, dummy = first(lines, CLAIMS_PLANNED)
    # Shown before the module's wait of 3 seconds, not after the step: liveness, not only order.
    assert planned_at - retry_at >= 1.5, (retry_at, planned_at)
    assert "?" not in retry.group(1)
    # Shown once while it runs; the task's warning stays, for the recap.
    assert len([line for dummy, line in lines if "retrying GET" in line or "Retrying GET" in line
                and line.startswith("dcr_setup")]) == 1, output[-6000:]
    assert "[WARNING]: Retrying GET" in output
    # The module sent what the line says: two attempts of that read.
    sent = [e for e in sandbox.requests("curity-admin", ["GET"]) if e["path"].endswith("authorization-server/claims")]
    assert len(sent) >= 2 and sent[0]["path"] == retry.group(1)
    assert_no_secret(sandbox, output)


def test_where_the_modules_run_elsewhere_a_heartbeat_shows_the_run_is_alive(timed_play, sandbox):
    sandbox.fault(status=503, retry_after=7, count=1, **CLAIMS_READ)
    rc, lines = timed_play(check=True, verbosity=1, env={"ANSIBLE_CONNECTION_PLUGINS": CONNECTION_PLUGINS},
                           extra_vars={"ansible_connection": "elsewhere"})
    output = "\n".join(line for dummy, line in lines)
    assert rc == 0, output[-6000:]
    beat_at, dummy = first(lines, r"^dcr_setup plan \| still planning Curity claims \(curity_claim\): [5-7] s$")
    planned_at, dummy = first(lines, CLAIMS_PLANNED)
    assert planned_at - beat_at >= 0.5, (beat_at, planned_at)
    # No progress file there: the retry shows after the step, from its warning.
    assert "retrying GET" not in output
    warned_at, dummy = first(lines, CLAIMS + r"Retrying GET http://\S+/claims\?content=config after HTTP 503")
    assert warned_at >= beat_at
    assert_no_secret(sandbox, output)


def test_vvv_traces_every_request_of_every_step_without_a_secret(timed_play, sandbox):
    rc, lines = timed_play(verbosity=3, extra_vars={"dcr_curity_client_secret": DCR_SECRET})
    output = "\n".join(line for dummy, line in lines)
    assert rc == 0, output[-6000:]
    traced = [TRACE.match(line) for dummy, line in lines]
    traced = [m for m in traced if m]
    assert traced, output[-6000:]
    steps = set((m.group(1), m.group(2)) for m in traced)
    for step in (("plan", "Curity claims (curity_claim)"), ("apply", "Curity claims (curity_claim)"),
                 ("plan", "Curity DCR credential and DCR settings (curity_token)"),
                 ("apply", "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"),
                 ("apply", "Dev Portal application demo-app (portal_application)")):
        assert step in steps, sorted(steps)
    shown = set((m.group(3), m.group(4), m.group(5), m.group(6)) for m in traced)
    assert ("POST", "/v2/dcr-providers", "Konnect", "201") in shown
    assert ("POST", "/api/v3/developer/authenticate", "the Dev Portal", "204") in shown
    # One line per request the steps' modules sent, as the sandbox received them (not the gateway request, which the
    # task sends itself, nor what Konnect sends to Curity).
    received = Counter((e["method"], e["path"]) for e in sandbox.requests()
                       if e["service"] != "gateway" and e.get("user_agent") == MODULE_USER_AGENT)
    assert Counter((m.group(3), m.group(4)) for m in traced) == received
    # Nothing internal reaches the output, no secret in any form.
    assert "_dcr_setup_trace" not in output and "_dcr_setup_progress" not in output
    app = read_credentials(sandbox)
    assert_no_secret(sandbox, output, DCR_SECRET, app["client_secret"])
    for value in (DCR_SECRET, app["client_secret"]):
        assert not set(basic_forms(app["client_id"], value)) & set(output.split())
