# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret scan: the whole role at -vvvv with --diff, in check mode and for real, prints no secret;
and the modules send no secret where it should not go (a redirect, a foreign token endpoint).

The secrets: the Curity admin password, the Konnect token, the developer password, the DCR
credential's secret (Konnect's initial client secret) and every application client secret
issued during the scenario.  Each is looked for as it is and in the forms it takes on the
wire (HTTP Basic credentials in base64, JSON-escaped, URL-encoded), in everything
ansible-playbook prints.  Servers that echo the request back (the sandbox's ``echo`` fault, as
httpbin, the upstream of Kong's quickstarts, does) must not make any of them appear either.
"""

from __future__ import annotations

import base64
import json
import os
import re
from urllib.parse import quote

import pytest
import requests

from harness import REPO
from reliability_helpers import (
    TRACEBACK,
    Desired,
    assert_converged,
    curity_conn,
    konnect_conn,
    portal_conn,
    read_credentials,
    role_env,
    role_vars,
)

PLAYBOOKS = os.path.join(REPO, "playbooks")
INVENTORY = os.path.join(PLAYBOOKS, "inventories", "sandbox")


def forms(value):
    """A secret as it is, JSON-escaped and URL-encoded (HTTP Basic credentials: ``basic_forms``)."""
    return {value, json.dumps(value)[1:-1], quote(value, safe="")}


def basic_forms(user, password):
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return {base64.b64encode(raw).decode("ascii")}


def scan(output, named_secrets, where):
    found = []
    for name, values in named_secrets.items():
        for value in values:
            if value and value in output:
                found.append(name)
                break
    assert not found, "%s printed: %s" % (where, ", ".join(sorted(set(found))))


class Scenario:
    """Runs the role's playbooks at -vvvv --diff and keeps every output for the scan."""

    def __init__(self, sandbox, runner, tmp_path):
        self.sandbox = sandbox
        self.runner = runner
        self.desired = Desired(sandbox.info, str(tmp_path), tag="sec")
        self.outputs = []
        self.app_secrets = []

    def play(self, name, check=False, fails=False, **extra):
        variables = role_vars(self.desired, **extra)
        rc, out = self.runner.playbook(os.path.join(PLAYBOOKS, name), extra_vars=variables, inventory=INVENTORY,
                                       env=role_env(self.sandbox), check=check, diff=True, verbosity=4)
        where = "%s%s" % (name, " --check" if check else "")
        self.outputs.append((where, out))
        if os.path.exists(self.desired.credentials_file):
            record = read_credentials(self.desired.credentials_file)
            if (record["client_id"], record["client_secret"]) not in self.app_secrets:
                self.app_secrets.append((record["client_id"], record["client_secret"]))
        # The scan comes first: a failed run must not print secrets either.
        scan(out, self.secrets(), where)
        assert (rc != 0) == fails, "%s %s:\n%s" % (where, "did not fail" if fails else "failed", self.masked(out)[-4000:])
        assert TRACEBACK not in out, self.masked(out)[-4000:]
        return out

    def secrets(self):
        info = self.sandbox.info
        named = {name: forms(value) for name, value in self.desired.secrets().items()}
        named["Curity admin password"] |= basic_forms(info["curity_admin_username"], info["curity_admin_password"])
        named["initial client secret"] |= basic_forms(self.desired.client_id, self.desired.client_secret)
        for number, (client_id, secret) in enumerate(self.app_secrets, 1):
            named["application client secret #%d" % number] = forms(secret) | basic_forms(client_id, secret)
        return named

    def masked(self, text):
        for values in self.secrets().values():
            for value in values:
                text = text.replace(value, "********")
        return text

    def scan_all(self):
        named = self.secrets()
        for where, out in self.outputs:
            scan(out, named, where)


def test_role_prints_no_secret_check_converge_noop(sandbox, runner, tmp_path):
    scenario = Scenario(sandbox, runner, tmp_path)
    scenario.play("dcr_curity.yml", check=True)
    assert sandbox.writes("curity-admin") == [] and sandbox.writes("konnect") == []
    scenario.play("dcr_curity.yml")
    scenario.play("dcr_curity.yml")
    assert len(scenario.app_secrets) == 1, "the converge wrote no credentials file"
    assert_converged(sandbox, scenario.desired, sandbox.requests())
    scenario.scan_all()


def test_an_echoing_gateway_upstream_prints_no_secret(sandbox, runner, tmp_path):
    scenario = Scenario(sandbox, runner, tmp_path)
    route = re.escape(sandbox.info["route_path"])
    # The first run's request, the no-op run's, a rotation's: each with the application's credentials echoed back.
    sandbox.fault(service="gateway", path_regex=route, echo=True, count=100)
    scenario.play("dcr_curity.yml")
    scenario.play("dcr_curity.yml")
    scenario.play("rotate_secret.yml", rotate_applications=[scenario.desired.app])
    assert len(scenario.app_secrets) == 2, "the rotation issued no new application secret"
    assert len([e for e in sandbox.requests("gateway") if e.get("fault")]) == 3
    # A refusal that echoes the request: the failure shows the status only.
    sandbox.clear_faults()
    sandbox.fault(service="gateway", path_regex=route, echo=True, status=401, count=100)
    out = scenario.play("dcr_curity.yml", fails=True)
    assert "The gateway answered 401 Unauthorized to GET" in out, scenario.masked(out)[-4000:]
    scenario.scan_all()


def echoing_module_runs(desired):
    """(module, service echoing, path regex, arguments, check mode) for each kind of credential a module sends."""
    info = desired.info
    return [
        ("curity_claim_info", "curity-admin", ".*", curity_conn(info), False),
        ("curity_claim", "curity-admin", ".*", curity_conn(info, name="echo_claim"), True),
        ("curity_token", "curity-runtime", r"/oauth-token$",
         curity_conn(info, client_id=desired.client_id, secret=desired.client_secret, issuer=info["curity_issuer"],
                     verify=True), True),
        ("konnect_portal_dcr_info", "konnect", ".*", konnect_conn(info), False),
        ("portal_application_info", "portal", r"/developer/authenticate$",
         portal_conn(info), False),
        ("portal_application", "portal", r"/developer/authenticate$", portal_conn(info, name="echo-app"), True),
    ]


@pytest.mark.parametrize("status", [200, 400, 502])
def test_servers_that_echo_the_request_make_no_module_print_a_secret(sandbox, runner, tmp_path, status):
    desired = Desired(sandbox.info, str(tmp_path), tag="sec")
    info = sandbox.info
    named = {name: forms(value) for name, value in desired.secrets().items()}
    named["Curity admin password"] |= basic_forms(info["curity_admin_username"], info["curity_admin_password"])
    named["initial client secret"] |= basic_forms(desired.client_id, desired.client_secret) | basic_forms(
        quote(desired.client_id, safe=""), quote(desired.client_secret, safe=""))
    runs = echoing_module_runs(desired)
    # The DCR credential exists, so that curity_token checks its secret at the token endpoint.
    created, text = runner.module(runs[2][0], runs[2][3])
    assert created.get("changed") is True and not created.get("failed"), text
    for module, service, regex, args, check in runs:
        sandbox.clear_faults()
        sandbox.clear_requests()
        sandbox.fault(service=service, path_regex=regex, echo=True, status=status, count=100)
        result, text = runner.module(module, args, check=check)
        sandbox.clear_faults()
        assert TRACEBACK not in text, (module, result)
        assert any(e.get("fault") for e in sandbox.requests(service)), "%s: no echo" % module
        scan(text, named, "%s with an echoing %s (HTTP %d)" % (module, service, status))


def test_rotation_and_teardown_print_no_secret(sandbox, runner, tmp_path):
    scenario = Scenario(sandbox, runner, tmp_path)
    scenario.play("dcr_curity.yml")
    first_dcr_secret = scenario.desired.client_secret
    scenario.play("rotate_secret.yml", check=True, rotate_applications=[scenario.desired.app])
    scenario.desired.client_secret = "Rotated-" + first_dcr_secret
    scenario.play("rotate_secret.yml", rotate_applications=[scenario.desired.app])
    assert len(scenario.app_secrets) == 2, "the rotation issued no new application secret"
    assert_converged(sandbox, scenario.desired, sandbox.requests())
    scenario.play("teardown.yml", check=True)
    scenario.play("teardown.yml")
    named = scenario.secrets()
    named["first initial client secret"] = forms(first_dcr_secret)
    for where, out in scenario.outputs:
        scan(out, named, where)


# ------------------------------------------------------------------------------ where secrets must not go
def lying_discovery(sandbox, token_endpoint):
    """Every discovery read from now on names ``token_endpoint``."""
    session = requests.Session()
    session.trust_env = False
    document = session.get(sandbox.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30).json()
    document["token_endpoint"] = token_endpoint
    sandbox.fault(service="curity-runtime", method="GET", path_regex="openid-configuration$", body=document, count=50)


def other_service_url(sandbox, path="/capture"):
    """A URL of another sandbox service: whatever reaches it shows in the request log under 'gateway'."""
    return sandbox.info["gateway_url"] + path


def test_a_foreign_token_endpoint_never_gets_the_secret(sandbox, runner, tmp_path):
    desired = Desired(sandbox.info, str(tmp_path), tag="sec")
    lying_discovery(sandbox, other_service_url(sandbox, "/oauth/v2/oauth-token"))
    args = curity_conn(sandbox.info, client_id=desired.client_id, secret=desired.client_secret,
                       issuer=sandbox.info["curity_issuer"])
    for check in (True, False):
        result, text = runner.module("curity_token", args, check=check)
        assert result.get("failed") is True and "allow_insecure_token_endpoint" in result["msg"], result
        scan(text, {"initial client secret": forms(desired.client_secret)
                    | basic_forms(desired.client_id, desired.client_secret)}, "curity_token")
    assert sandbox.requests("gateway") == [] and sandbox.requests("curity-runtime", ["POST"]) == []


REDIRECTS = {
    # (module, service and path regex redirected, the module's arguments)
    "curity-admin": ("curity_claim", "curity-admin", r"authorization-server/claims$",
                     lambda info: curity_conn(info, name="redirected_claim")),
    "token-endpoint": ("curity_token", "curity-runtime", r"/oauth-token$",
                       lambda info: curity_conn(info, client_id="sec-redirect", secret="Redirect-secret-91d0aa",
                                                issuer=info["curity_issuer"])),
    "konnect": ("konnect_portal_dcr", "konnect", r"^/v3/portals$",
                lambda info: konnect_conn(info, portal=info["portal_name"], issuer=info["curity_issuer"],
                                          initial_client_id="sec-redirect", initial_client_secret="Redirect-secret-91d0ab")),
    "portal-login": ("portal_application", "portal", r"/developer/authenticate$",
                     lambda info: portal_conn(info, name="sec-redirect-app")),
}


@pytest.mark.parametrize("case", list(REDIRECTS))
def test_redirects_are_not_followed_with_credentials(sandbox, runner, case):
    module, service, regex, build = REDIRECTS[case]
    info = sandbox.info
    for status in (302, 307):
        sandbox.clear_requests()
        sandbox.fault(service=service, path_regex=regex, status=status, count=10,
                      headers={"Location": other_service_url(sandbox)})
        result, text = runner.module(module, build(info))
        sandbox.clear_faults()
        assert result.get("failed") is True, result
        assert TRACEBACK not in text and "HTTP %d" % status in result["msg"], result["msg"]
        assert sandbox.requests("gateway") == [], "a redirect was followed"
        secrets_of_case = {
            "Curity admin password": forms(info["curity_admin_password"])
            | basic_forms(info["curity_admin_username"], info["curity_admin_password"]),
            "Konnect token": forms(info["konnect_token"]),
            "developer password": forms(info["developer_password"]),
            "client secret": forms("Redirect-secret-91d0aa") | forms("Redirect-secret-91d0ab")
            | basic_forms("sec-redirect", "Redirect-secret-91d0aa"),
        }
        scan(text, secrets_of_case, "%s after HTTP %d" % (module, status))
