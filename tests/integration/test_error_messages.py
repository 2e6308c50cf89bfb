# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures that point the right way: a wrong admin_url, a Konnect token without the role, a missing option."""

from __future__ import annotations

import sys

import pytest

from curity_helpers import assert_clean_failure, connection
from konnect_helpers import INITIAL_CLIENT_ID


def test_admin_url_without_the_restconf_path_is_named_as_such(runner, sandbox):
    url = sandbox.info["curity_admin_url"]
    assert url.endswith("/admin/api/restconf")
    for wrong in (url[:-len("/admin/api/restconf")], url[:-len("/restconf")]):
        result, text = runner.module("curity_scope", connection(sandbox, admin_url=wrong, name="s1"))
        assert_clean_failure(result, text, "is not the RESTCONF API", "/admin/api/restconf")
        assert "profile_id" not in result["msg"] and "no OAuth profile" not in result["msg"], result["msg"]
    assert sandbox.writes("curity-admin") == []


def test_unknown_profile_is_still_reported_as_a_profile(runner, sandbox):
    result, text = runner.module("curity_scope", connection(sandbox, profile_id="no-such-profile", name="s1"))
    assert_clean_failure(result, text, "no OAuth profile 'no-such-profile'", "profile_id")


@pytest.mark.parametrize("portal_api,role", [("v3", "DCR Provider Creator"), ("v2", "DCR Provider Creator")])
def test_konnect_403_names_the_role(runner, sandbox, portal_api, role):
    info = sandbox.info
    name = info["portal_name"] if portal_api == "v3" else info["classic_portal_name"]
    args = {"konnect_url": info["konnect_url"], "konnect_token": info["konnect_readonly_token"], "portal": name,
            "portal_api": portal_api, "issuer": info["curity_issuer"], "initial_client_id": INITIAL_CLIENT_ID,
            "initial_client_secret": "Role-check-secret-0001", "verify": False}
    result, text = runner.module("konnect_portal_dcr", args)
    assert_clean_failure(result, text, "HTTP 403", "POST", "/v2/dcr-providers", "Konnect role " + role)
    assert info["konnect_readonly_token"] not in text


def test_each_request_kind_names_its_role(runner):
    if runner.collections not in sys.path:
        sys.path.insert(0, runner.collections)
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import role_for  # pylint: disable=import-outside-toplevel

    assert role_for("PATCH", "/v3/portals/p/applications/a/registrations/r") == "API Registration Approver"
    assert role_for("GET", "/v3/portals/p/applications/a/registrations") == "Portal Creator"
    assert role_for("PUT", "/v3/apis/a/publications/p") == "API Publisher"
    assert role_for("POST", "/v2/portals/p/product-versions") == "API Publisher"
    assert role_for("GET", "/v3/apis") == "API Creator"


@pytest.mark.parametrize("module,drop,variable", [
    ("curity_scope", "admin_url", "CURITY_ADMIN_URL"),
    ("curity_scope", "admin_password", "CURITY_ADMIN_PASSWORD"),
    ("portal_application", "portal_url", "KONNECT_PORTAL_URL"),
    ("portal_application", "developer_password", "KONNECT_DEVELOPER_PASSWORD"),
])
def test_option_required_unless_its_variable_is_set(runner, sandbox, module, drop, variable):
    info = sandbox.info
    if module == "curity_scope":
        args = connection(sandbox, name="s1")
    else:
        args = {"portal_url": info["portal_url"], "developer_email": info["developer_email"],
                "developer_password": info["developer_password"], "name": "app-1"}
    value = args.pop(drop)
    sandbox.clear_requests()
    result, text = runner.module(module, args, check=True)
    assert_clean_failure(result, text, "missing required arguments: %s (or %s" % (drop, variable))
    assert sandbox.requests() == []
    result, text = runner.module(module, args, check=True, env={variable: value})
    assert result.get("failed") is not True, text


def test_a_wrong_konnect_token_says_what_to_check(runner, sandbox):
    info = sandbox.info
    args = {"konnect_url": info["konnect_url"], "konnect_token": "kpat_" + "x" * 40, "portal": info["portal_name"],
            "issuer": info["curity_issuer"], "initial_client_id": INITIAL_CLIENT_ID,
            "initial_client_secret": "Token-check-secret-0001"}
    result, text = runner.module("konnect_portal_dcr", args)
    assert_clean_failure(result, text, "HTTP 401", "Konnect did not accept konnect_token (or KONNECT_TOKEN)",
                         "has not expired", "konnect_url")
    assert "x" * 40 not in text
