# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answers of the wrong type, through the real modules against the sandbox: each ends in one clear sentence that names
the object and the field, never a traceback.

Each case takes a real answer of the sandbox (or a page built like one), changes one field, and has the sandbox serve
it in place of its own answer (the control API's ``body`` fault).
"""

from __future__ import annotations

import copy

import pytest
import requests

from curity_helpers import SERVER_PATH, YANG_JSON, assert_clean_failure, assert_no_secrets, connection
from konnect_helpers import Portal, admin_args

TRACEBACK = "Traceback"


def page(items):
    return {"data": items, "meta": {"page": {"number": 1, "size": 100, "total": len(items)}}}


PROVIDER = {"id": "0c7f1a56-9f0e-4c39-8a57-6f4f3b0e8d11", "name": "curity", "provider_type": "curity",
            "issuer": "https://idsvr.example.com/oauth/v2/oauth-anonymous", "dcr_config": {"initial_client_id": "k"},
            "labels": {}, "active": True, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
STRATEGY = {"id": "5d3c9a2e-1f7b-4d8e-9c0a-2b6e4f8a1c33", "name": "curity-dcr", "display_name": "Curity",
            "strategy_type": "openid_connect", "labels": {}, "dcr_provider": {"id": PROVIDER["id"], "name": "curity"},
            "configs": {"openid-connect": {"issuer": PROVIDER["issuer"], "credential_claim": ["client_id"],
                                           "scopes": ["openid"], "auth_methods": ["client_credentials"]}},
            "active": True, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
APPLICATION = {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "name": "orders-client", "description": "",
               "redirect_uri": "https://app.example.com/cb", "client_id": "abc", "dcr_provider": None,
               "auth_strategy": {"id": STRATEGY["id"], "name": "curity-dcr"},
               "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def changed(item, **fields):
    out = copy.deepcopy(item)
    for name, value in fields.items():
        if value is KeyError:
            del out[name]
        else:
            out[name] = value
    return out


def curity_answer(sandbox, container):
    """The real RESTCONF answer of ``AS/<container>``."""
    session = requests.Session()
    session.trust_env = False
    resp = session.get(sandbox.info["curity_admin_url"] + SERVER_PATH + "/" + container, params={"content": "config"},
                       auth=(sandbox.info["curity_admin_username"], sandbox.info["curity_admin_password"]),
                       headers={"Accept": YANG_JSON}, timeout=30)
    resp.raise_for_status()
    return resp.json()


def secrets_of(info):
    return [info["konnect_token"], info["curity_admin_password"], info["developer_password"]]


def run_failing(runner, sandbox, module, args, *words, check=False):
    result, text = runner.module(module, args, check=check)
    assert TRACEBACK not in text, text[-4000:]
    assert_clean_failure(result, text, *words)
    assert_no_secrets(text, *secrets_of(sandbox.info))
    assert result.get("changed") in (None, False), result
    writes = [e for e in sandbox.writes() if not e["path"].endswith("/developer/authenticate")]
    assert writes == [], writes
    return result


# --------------------------------------------------------------------------- Konnect: DCR providers and strategies
KONNECT_CASES = {
    "provider-without-name": ("/v2/dcr-providers", [changed(PROVIDER, name=KeyError)], ("DCR provider", "name")),
    "provider-name-a-list": ("/v2/dcr-providers", [changed(PROVIDER, name=["curity"])], ("DCR provider", "name")),
    "provider-id-a-list": ("/v2/dcr-providers", [changed(PROVIDER, id=[PROVIDER["id"]])], ("DCR provider", "id")),
    "provider-dcr-config-a-string": ("/v2/dcr-providers", [changed(PROVIDER, dcr_config="k")],
                                     ("DCR provider", "dcr_config")),
    "strategy-configs-a-list": ("/v2/application-auth-strategies", [changed(STRATEGY, configs=["x"])],
                                ("application auth strategy", "configs")),
    "strategy-oidc-a-string": ("/v2/application-auth-strategies", [changed(STRATEGY, configs={"openid-connect": "x"})],
                               ("application auth strategy", "openid-connect")),
    "strategy-id-a-list": ("/v2/application-auth-strategies", [changed(STRATEGY, id=[STRATEGY["id"]])],
                           ("application auth strategy", "id")),
    "strategy-provider-a-string": ("/v2/application-auth-strategies", [changed(STRATEGY, dcr_provider="curity")],
                                   ("application auth strategy", "dcr_provider")),
    "strategy-name-an-object": ("/v2/application-auth-strategies", [changed(STRATEGY, name={"a": 1})],
                                ("application auth strategy", "name")),
}


@pytest.mark.parametrize("case", list(KONNECT_CASES))
def test_konnect_portal_dcr_info_names_the_field(runner, sandbox, case):
    path, items, words = KONNECT_CASES[case]
    sandbox.fault(service="konnect", method="GET", path_regex="^%s$" % path, body=page(items), count=10)
    run_failing(runner, sandbox, "konnect_portal_dcr_info", admin_args(sandbox.info), path, *words)


def test_konnect_portal_dcr_names_the_field(runner, sandbox):
    """The managing module reads the same lists, through the same checks."""
    sandbox.fault(service="konnect", method="GET", path_regex="^/v2/dcr-providers$",
                  body=page([changed(PROVIDER, name=KeyError)]), count=10)
    portal = Portal(sandbox.info, "v3")
    args = dict(admin_args(sandbox.info), portal=portal.name, issuer=sandbox.info["curity_issuer"],
                initial_client_id="konnect-dcr", initial_client_secret="Konnect-DCR-secret-4e0b91", apis=[portal.target])
    run_failing(runner, sandbox, "konnect_portal_dcr", args, "DCR provider", "name", check=True)


# --------------------------------------------------------------------------- Konnect: applications
APPLICATION_CASES = {
    "auth-strategy-a-string": (changed(APPLICATION, auth_strategy="curity-dcr"), ("application", "auth_strategy")),
    "name-a-list": (changed(APPLICATION, name=["orders-client"]), ("application", "name")),
    "id-a-list": (changed(APPLICATION, id=[APPLICATION["id"]]), ("application", "id")),
    "without-id": (changed(APPLICATION, id=KeyError), ("application", "id")),
}


@pytest.mark.parametrize("case", list(APPLICATION_CASES))
@pytest.mark.parametrize("through", ["admin", "developer"])
def test_portal_application_info_names_the_field(runner, sandbox, case, through):
    item, words = APPLICATION_CASES[case]
    portal = Portal(sandbox.info, "v3")
    if through == "admin":
        regex, service = r"^/v3/portals/[^/]+/applications$", "konnect"
        args = dict(admin_args(sandbox.info), portal=portal.name)
    else:
        regex, service = r"^/api/v3/applications$", "portal"
        args = dict(portal_url=portal.url, developer_email=sandbox.info["developer_email"],
                    developer_password=sandbox.info["developer_password"])
    sandbox.fault(service=service, method="GET", path_regex=regex, body=page([item]), count=10)
    run_failing(runner, sandbox, "portal_application_info", args, *words)


# --------------------------------------------------------------------------- Curity: scopes and claims
def scope_key_a_list(body):
    entry = next(iter(body.values()))["scope"][0]
    entry["id"] = [entry["id"]]
    return body, ("id", "scope")


def scope_ttl_a_string(body):
    entry = next(iter(body.values()))["scope"][0]
    entry["time-to-live"] = "3600"
    return body, ("time-to-live",)


def scope_list_an_object(body):
    container = next(iter(body.values()))
    container["scope"] = {"id": "openid"}
    return body, ("scope",)


def claim_key_a_list(body):
    entry = next(iter(body.values()))["claim"][0]
    entry["name"] = [entry["name"]]
    return body, ("name", "claim")


def claim_mapper_claims_a_string(body):
    mapper = next(iter(body.values()))["claims-mappers"]["claims-mapper"][0]
    mapper["access_token"] = {"claim": "email"}
    return body, ("claim", "claims mapper")


def claim_provider_key_an_object(body):
    entry = next(iter(body.values()))["claims-value-provider"][0]
    entry["id"] = {"x": 1}
    return body, ("id", "claims-value-provider")


CURITY_CASES = {
    "scope-key-a-list": ("scopes", scope_key_a_list, ("curity_scope", "curity_scope_info")),
    "scope-ttl-a-string": ("scopes", scope_ttl_a_string, ("curity_scope", "curity_scope_info")),
    "scope-list-an-object": ("scopes", scope_list_an_object, ("curity_scope", "curity_scope_info")),
    "claim-key-a-list": ("claims", claim_key_a_list, ("curity_claim", "curity_claim_info")),
    "claim-mapper-claims-a-string": ("claims", claim_mapper_claims_a_string, ("curity_claim", "curity_claim_info")),
    "claim-provider-key-an-object": ("claims", claim_provider_key_an_object, ("curity_claim",)),
}
TASKS = {"curity_scope": {"name": "kong-api", "description": "Konnect APIs"},
         "curity_claim": {"name": "kong_app", "description": "x", "value_provider": "account-manager-claims-provider",
                          "in_access_token": True},
         "curity_scope_info": {}, "curity_claim_info": {}}


@pytest.mark.parametrize("case,module", [(c, m) for c in CURITY_CASES for m in CURITY_CASES[c][2]])
def test_curity_lists_name_the_field(runner, sandbox, case, module):
    container, mutate, dummy = CURITY_CASES[case]
    body, words = mutate(curity_answer(sandbox, container))
    sandbox.clear_requests()
    sandbox.fault(service="curity-admin", method="GET", path_regex="authorization-server/%s$" % container,
                  body=body, count=10)
    run_failing(runner, sandbox, module, connection(sandbox, **TASKS[module]), "Curity admin API", *words)


# --------------------------------------------------------------------------- an answer that echoes the request
# An echo service (httpbin's /anything, mockbin) in place of the API answers 200 with a JSON object describing the
# request, the Authorization header included: never an empty list, an absent object or a configuration to change.
ECHO_CASES = {
    "konnect_portal_dcr_info": ("konnect", r"^/v2/dcr-providers$", admin_args, ("/v2/dcr-providers",)),
    "portal_application_info": ("portal", r"^/api/v3/applications$", lambda info: dict(
        portal_url=info["portal_url"], developer_email=info["developer_email"],
        developer_password=info["developer_password"]), ("/api/v3/applications",)),
    "curity_scope_info": ("curity-admin", "authorization-server/scopes$", lambda info: {}, ("scopes",)),
    "curity_scope": ("curity-admin", "authorization-server/scopes$", lambda info: TASKS["curity_scope"], ("scopes",)),
    "curity_claim_info": ("curity-admin", "authorization-server/claims$", lambda info: {}, ("claims",)),
    "curity_claim": ("curity-admin", "authorization-server/claims$", lambda info: TASKS["curity_claim"], ("claims",)),
    "curity_token_info": ("curity-admin", "client=konnect-dcr$", lambda info: {"client_id": "konnect-dcr"}, ("client",)),
    "curity_token": ("curity-admin", "client=konnect-dcr$",
                     lambda info: {"client_id": "konnect-dcr", "issuer": info["curity_issuer"]}, ("client",)),
}


@pytest.mark.parametrize("module", list(ECHO_CASES))
def test_an_echoed_request_is_no_answer(runner, sandbox, module):
    service, regex, args, words = ECHO_CASES[module]
    args = args(sandbox.info)
    if service == "curity-admin":
        args = connection(sandbox, **args)
    sandbox.fault(service=service, method="GET", path_regex=regex, echo=True, count=10)
    run_failing(runner, sandbox, module, args, *words)


# --------------------------------------------------------------------------- the token endpoint refuses with a 400
TOKEN_SECRET = "Konnect-DCR-secret-4e0b91"


@pytest.mark.parametrize("error", ["invalid_scope", "invalid_request", None])
@pytest.mark.parametrize("check", [False, True])
def test_a_token_refused_with_400_is_a_clear_failure(runner, sandbox, error, check):
    """A 400 (RFC 6749 section 5.2) that is no invalid_client: with nothing to change, the run fails with the token
    endpoint's answer, and check mode (which asks for one token) predicts that failure instead of reporting
    verified: false."""
    args = connection(sandbox, client_id="konnect-dcr", secret=TOKEN_SECRET, issuer=sandbox.info["curity_issuer"])
    created, text = runner.module("curity_token", args)
    assert created.get("changed") is True and created.get("verified") is True, text[-3000:]
    sandbox.clear_requests()
    body = {"error": error, "error_description": "refused"} if error else {"message": "Bad Request"}
    sandbox.fault(service="curity-runtime", method="POST", path_regex="/oauth-token$", status=400, body=body, count=10)
    result, text = runner.module("curity_token", args, check=check)
    assert_clean_failure(result, text, "The credential does not work", "HTTP 400", error or "Bad Request")
    assert result["changed"] is False and result["verified"] is False
    assert_no_secrets(text, TOKEN_SECRET, sandbox.info["curity_admin_password"])
    assert sandbox.writes("curity-admin") == []
