# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role validates every phase with reads before its first write.

Each case is a first run on the sandbox seed (so every phase has something to write) with one
bad input that only a server can refute: a credential, a name that does not resolve, an input a
module refuses.  Each must fail with a message naming the step and the input, without a Python
traceback, and without one configuration write on Curity, Konnect or the portal.  Requests that
write no configuration (developer logins, token requests, Konnect's provider check) are allowed:
they are how the plan checks credentials.
"""

from __future__ import annotations

import os

import pytest

from harness import REPO
from test_role_dcr_curity import config_writes

INVENTORY = os.path.join(REPO, "playbooks", "inventories", "sandbox")
PLAYBOOK = os.path.join(REPO, "playbooks", "dcr_curity.yml")


def app(**extra):
    return [dict({"name": "demo-app", "registrations": ["__API__"]}, **extra)]


# case: (extra vars, words the message must hold: the failing step and the input)
CASES = {
    "unknown portal": ({"dcr_curity_portal": "no-such-portal"},
                       ["konnect_portal_dcr", "no-such-portal"]),
    "unknown API to publish": ({"dcr_curity_apis": ["no-such-api"]},
                               ["konnect_portal_dcr", "no-such-api"]),
    "wrong Konnect token": ({"dcr_curity_konnect_token": "kpat_wrong0000000000000000000000000000000000000000000"},
                            ["konnect_portal_dcr", "401"]),
    "wrong developer password": ({"dcr_curity_developer_password": "not-the-password"},
                                 ["portal_application", "demo-app", "developer"]),
    "script redirect URI": ({"dcr_curity_applications": app(redirect_uri="javascript:alert(1)")},
                            ["portal_application", "demo-app", "javascript"]),
    "wrong Curity admin password": ({"dcr_curity_admin_password": "not-the-password"},
                                    ["curity_claim", "401"]),
    "scope with a claim nobody creates": ({"dcr_curity_scopes": [{"name": "demo-api", "claims": ["no_such_claim"]}]},
                                          ["curity_scope", "no_such_claim"]),
    "unknown claim value provider": ({"dcr_curity_claims": [{"name": "application_name",
                                                             "value_provider": "no-such-provider"}]},
                                     ["curity_claim", "no-such-provider"]),
    "unknown claims mapper": ({"dcr_curity_claims": [{"name": "application_name", "claims_mapper": "no-such-mapper",
                                                      "value_provider": "account-manager-claims-provider",
                                                      "in_access_token": True}]},
                              ["curity_claim", "no-such-mapper"]),
    "unknown DCR client data source": ({"dcr_curity_dcr_client_data_source": "no-such-source"},
                                       ["curity_token", "no-such-source"]),
    "unknown scope for the DCR credential": ({"dcr_curity_client_scopes": ["no-such-scope"]},
                                             ["curity_token", "no-such-scope"]),
    "issuer without discovery": ({"dcr_curity_issuer": "__ISSUER__/no-such-issuer"},
                                 ["curity_token", "no-such-issuer"]),
    "registration to an unknown API": ({"dcr_curity_applications": app(registrations=["no-such-api"])},
                                       ["portal_application", "no-such-api"]),
    "unknown auth strategy for an application": ({"dcr_curity_applications": app(auth_strategy="no-such-strategy")},
                                                 ["portal_application", "no-such-strategy"]),
    "credentials folder that cannot be created": ({"dcr_curity_applications": app(
        credentials_file="/dev/null/dcr/app.json")}, ["portal_application", "/dev/null/dcr", "cannot be created"]),
    "portal URL that is no portal": ({"dcr_curity_portal_url": "__KONNECT__/no-portal"},
                                     ["portal_application", "demo-app"]),
}


def substitute(value, info):
    if isinstance(value, str):
        return (value.replace("__API__", info["api_name"]).replace("__ISSUER__", info["curity_issuer"])
                .replace("__KONNECT__", info["konnect_url"]))
    if isinstance(value, list):
        return [substitute(v, info) for v in value]
    if isinstance(value, dict):
        return dict((k, substitute(v, info)) for k, v in value.items())
    return value


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_in_the_plan_with_no_write_anywhere(runner, sandbox, case):
    extra_vars, words = CASES[case]
    extra_vars = substitute(extra_vars, sandbox.info)
    rc, output = runner.playbook(PLAYBOOK, inventory=INVENTORY, extra_vars=extra_vars,
                                 env={"DCR_SANDBOX_INFO": sandbox.info_file})
    assert rc != 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "while planning (reads only)" in output and "Nothing was written to Curity or Konnect" in output, \
        output[-3000:]
    for word in words:
        assert word in output, (word, output[-3000:])
    assert config_writes(sandbox) == [], output[-3000:]
