# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The info modules against the sandbox: GETs only, the managing modules' shapes, filters, query, no secret."""

from __future__ import annotations

import os

import pytest

from curity_helpers import (PROFILE_PATH, RUNTIME, SERVER_PATH, CurityReader, assert_clean_failure,
                            assert_no_secrets, calls, connection, run_module)
from konnect_helpers import (APP_NAME, GENERATIONS, INITIAL_CLIENT_ID, Portal, admin_args, app_args, curity_args,
                             prepare_curity, prepare_portal)

SCOPES_READ = ("GET", "/admin/api/restconf" + SERVER_PATH + "/scopes")
CLAIMS_READ = ("GET", "/admin/api/restconf" + SERVER_PATH + "/claims")
# curity_token_info: plain GETs of the client, the DCR settings, the profile's client capabilities, token issuers and
# endpoints, and the service roles; the list of profiles once after the first 404.
API = "/admin/api/restconf"
TOKEN_READS = [("GET", API + SERVER_PATH + "/client-store/config-backed/client=konnect-dcr"),
               ("GET", API + "/data/base:profiles/profile"),
               ("GET", API + SERVER_PATH + "/dynamic-client-registration"),
               ("GET", API + SERVER_PATH + "/client-capabilities"), ("GET", API + PROFILE_PATH + "/token-issuers"),
               ("GET", API + PROFILE_PATH + "/endpoints"),
               ("GET", API + "/data/base:environments/environment/services/service-role")]
DISCOVERY = ("GET", "/oauth/v2/oauth-anonymous/.well-known/openid-configuration")
SCOPE = {"name": "kong-api", "description": "Konnect APIs", "claims": ["email"], "time_to_live": 3600}
CLAIM = {"name": "kong_app_name", "description": "Application name", "in_access_token": True}


@pytest.fixture
def reader(sandbox):
    return CurityReader(sandbox)


def only_gets(sandbox):
    """Every logged request was a GET (a developer login is a POST that changes nothing: allowed separately)."""
    sent = [(e["method"], e["path"]) for e in sandbox.requests()]
    assert sent, "no request was sent"
    return [s for s in sent if s[0] != "GET" and not s[1].endswith("/developer/authenticate")] == []


def info(runner, sandbox, module, check=False, env=None, **args):
    sandbox.clear_requests()
    result, text = runner.module(module, args, check=check, env=env)
    assert result.get("failed") is not True, text
    assert result["changed"] is False, result
    assert only_gets(sandbox), sandbox.requests()
    return result, text


# --------------------------------------------------------------------------- Curity
def test_scope_info_reports_what_curity_scope_returns_in_one_get(runner, sandbox, reader):
    managed, text = run_module(runner, sandbox, "curity_scope", scopes=[SCOPE])
    assert managed["changed"] is True, text
    for check in (False, True):
        result, _text = info(runner, sandbox, "curity_scope_info", check=check, **connection(sandbox))
        assert calls(sandbox) == [SCOPES_READ]
        assert [s["name"] for s in result["scopes"]] == reader.scope_ids()
        assert [s for s in result["scopes"] if s["name"] == "kong-api"] == managed["scopes"]
        assert result["missing"] == [] and "query_result" not in result

    result, _text = info(runner, sandbox, "curity_scope_info", **connection(sandbox, names=["kong-api", "nope", "email"]))
    assert [s["name"] for s in result["scopes"]] == [s for s in reader.scope_ids() if s in ("kong-api", "email")]
    assert result["missing"] == ["nope"]
    alias, _text = info(runner, sandbox, "curity_scope_info", **connection(sandbox, name="kong-api"))
    assert alias["scopes"] == managed["scopes"]


def test_claim_info_reports_what_curity_claim_returns(runner, sandbox, reader):
    managed, text = run_module(runner, sandbox, "curity_claim", claims=[CLAIM])
    assert managed["changed"] is True, text
    result, _text = info(runner, sandbox, "curity_claim_info", **connection(sandbox))
    assert calls(sandbox) == [CLAIMS_READ]
    assert [c["name"] for c in result["claims"]] == reader.claim_names()
    assert [c for c in result["claims"] if c["name"] == CLAIM["name"]] == managed["claims"]
    only, _text = info(runner, sandbox, "curity_claim_info", check=True,
                       **connection(sandbox, names=[CLAIM["name"]], query="claims[?in_access_token].name"))
    assert only["claims"] == managed["claims"] and only["query_result"] == [CLAIM["name"]]


def test_token_info_before_and_after_the_credential_exists(runner, sandbox):
    args = curity_args(sandbox.info)
    before, _text = info(runner, sandbox, "curity_token_info", **args)
    assert before["exists"] is False and before["client"] is None and before["client_id"] == INITIAL_CLIENT_ID
    assert before["registration_endpoint"] is None and before["token_endpoint"]
    assert calls(sandbox) == TOKEN_READS and calls(sandbox, RUNTIME) == [DISCOVERY]
    assert before["dcr_endpoint"] is None and before["client_capabilities"] == {"client_credentials": True}

    secret = prepare_curity(runner, sandbox)
    after, text = info(runner, sandbox, "curity_token_info", check=True, **args)
    assert after["exists"] is True
    assert calls(sandbox) == TOKEN_READS[:1] + TOKEN_READS[2:]  # nothing missing: no list of profiles
    assert after["client"] == {"client_name": "", "description": "", "scopes": [], "client_credentials": True,
                               "teardown_record": {"devportal-dcr-endpoint": "token-service-dynamic-client-registration",
                                                   "devportal-dcr-endpoint-created": "true",
                                                   "devportal-dcr-endpoint-deployed-on": "default"}}
    assert after["dcr_endpoint"]["service_roles"] == ["default"]
    dcr = after["dynamic_client_registration"]
    assert INITIAL_CLIENT_ID in dcr["authenticate_client_by"] and dcr["client_management"] is True
    assert dcr["scopes"] == "all" and "secret" in dcr["client_authentication"]
    assert after["token_issuer"] == {"access_token_as_jwt": False}
    assert after["registration_endpoint"] and after["issuer"] == sandbox.info["curity_issuer"].rstrip("/")
    assert_no_secrets(text, secret, sandbox.info["curity_admin_password"])
    assert "secret" not in after["client"]

    no_issuer = dict(args)
    del no_issuer["issuer"]
    bare, _text = info(runner, sandbox, "curity_token_info", **no_issuer)
    assert calls(sandbox, RUNTIME) == [] and "token_endpoint" not in bare
    assert bare["client"] == after["client"]


# --------------------------------------------------------------------------- query option
def test_bad_query_fails_before_any_request(runner, sandbox):
    sandbox.clear_requests()
    result, text = runner.module("curity_scope_info", connection(sandbox, query="scopes[?name=="))
    assert_clean_failure(result, text, "query", "not a valid JMESPath expression")
    assert sandbox.requests() == []


def test_query_without_jmespath_names_the_library(runner, sandbox, tmp_path):
    fake = tmp_path / "no-jmespath" / "jmespath"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named jmespath')\n")
    path = "%s%s%s" % (fake.parent, os.pathsep, runner.collections)
    sandbox.clear_requests()
    result, text = runner.module("curity_scope_info", connection(sandbox, query="scopes[].name"), env={"PYTHONPATH": path})
    assert result.get("failed") is True and "jmespath" in result["msg"] and "query" in result["msg"], text
    assert sandbox.requests() == []
    plain, text = runner.module("curity_scope_info", connection(sandbox), env={"PYTHONPATH": path})
    assert plain.get("failed") is not True and plain["scopes"], text


# --------------------------------------------------------------------------- Konnect
def normal(value):
    """Lists of scalars sorted, as the diffs show them."""
    if isinstance(value, dict):
        return dict((k, normal(v)) for k, v in value.items())
    if isinstance(value, list):
        items = [normal(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def readonly(info):
    return {"konnect_url": info["konnect_url"], "konnect_token": info["konnect_readonly_token"]}


@pytest.fixture(params=GENERATIONS)
def portal_with_app(request, runner, sandbox):
    """A portal with the DCR settings, its API published with the strategy, and an approved application."""
    portal = Portal(sandbox.info, request.param)
    secret = prepare_portal(runner, sandbox, portal)
    created, text = runner.module("portal_application", app_args(sandbox.info, portal))
    assert created["changed"] is True and created["client_secret"], text
    return portal, created, secret


def test_konnect_portal_dcr_info_shapes_and_usage(runner, sandbox, portal_with_app):
    portal, created, secret = portal_with_app
    info_ = sandbox.info
    # What konnect_portal_dcr itself shows as the current objects: the "before" of a check-mode removal.
    removal_args = dict(admin_args(info_), portal=portal.name, state="absent", applications_in_use="delete",
                        orphaned_publications="keep_public")
    removal, text = runner.module("konnect_portal_dcr", removal_args, check=True, diff=True)
    before = removal["diff"]["before"]

    result, text = info(runner, sandbox, "konnect_portal_dcr_info", check=True, provider_name="curity", **readonly(info_))
    assert [p["name"] for p in result["dcr_providers"]] == ["curity"]
    provider = dict(result["dcr_providers"][0])
    assert provider.pop("provider_type") == "curity" and provider.pop("id")
    assert normal(provider) == before["dcr_provider"]
    [strategy] = result["auth_strategies"]
    assert strategy["dcr_provider"] == "curity" and strategy["strategy_type"] == "openid_connect"
    view = dict((k, v) for k, v in strategy.items() if k not in ("id", "strategy_type", "default_of", "publications"))
    assert normal(view) == before["auth_strategy"]
    assert strategy["default_of"] == [{"portal": portal.name, "portal_id": portal.id, "portal_api": portal.generation}]
    label = "%s/v1" % info_["api_name"] if portal.generation == "v3" else portal.target
    assert strategy["publications"] == [{"portal": portal.name, "portal_id": portal.id, "portal_api": portal.generation,
                                         "api": label, "api_id": portal.target_id}]
    assert result["missing"] == {"dcr_providers": [], "auth_strategies": []}
    assert_no_secrets(text, secret, info_["konnect_readonly_token"], created["client_secret"])

    lean, _text = info(runner, sandbox, "konnect_portal_dcr_info", usage=False, strategy_name=["curity", "gone"],
                       query="auth_strategies[].configs.\"openid-connect\".issuer", **readonly(info_))
    assert [e["path"] for e in sandbox.requests("konnect")] == ["/v2/dcr-providers", "/v2/application-auth-strategies"]
    assert "default_of" not in lean["auth_strategies"][0] and lean["missing"]["auth_strategies"] == ["gone"]
    assert lean["query_result"] == [info_["curity_issuer"].rstrip("/")]


@pytest.mark.parametrize("through", ["admin", "developer"])
def test_portal_application_info_matches_portal_application(runner, sandbox, portal_with_app, through):
    portal, created, secret = portal_with_app
    info_ = sandbox.info
    if through == "admin":
        args = dict(readonly(info_), portal=portal.name, portal_api=portal.generation)
    else:
        args = {"portal_url": portal.url, "developer_email": info_["developer_email"],
                "developer_password": info_["developer_password"]}
    result, text = info(runner, sandbox, "portal_application_info", **args)
    [app] = result["applications"]
    assert result["portal_api"] == portal.generation
    assert result["portal_id"] == (portal.id if through == "admin" else None)
    for key in ("application_id", "client_id", "auth_strategy_id", "registrations", "pending"):
        assert app[key] == created[key], key
    assert app["name"] == APP_NAME and app["registrations"][0]["status"] == "approved"
    label = "%s/v1" % info_["api_name"] if portal.generation == "v3" else portal.target
    assert [r["target"] for r in app["registrations"]] == [label]
    assert (app["developer_id"] is not None) == (through == "admin")
    assert_no_secrets(text, created["client_secret"], secret, info_["developer_password"])
    assert "client_secret" not in app

    none, _text = info(runner, sandbox, "portal_application_info", check=True, names=["no-such-app"],
                       query="length(applications)", **args)
    assert none["applications"] == [] and none["missing"] == ["no-such-app"] and none["query_result"] == 0


def test_registration_target_has_one_form_whatever_the_input(runner, sandbox):
    """Registering by NAME or by id shows NAME/VERSION, on the run that registers and on the next one."""
    info_, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    label = "%s/v1" % info_["api_name"]
    first, text = runner.module("portal_application", app_args(info_, portal, registrations=[info_["api_id"]]))
    assert [r["target"] for r in first["registrations"]] == [label], text
    again, text = runner.module("portal_application", app_args(info_, portal, registrations=[info_["api_name"]]))
    assert [r["target"] for r in again["registrations"]] == [label], text
    unlisted, text = runner.module("portal_application", app_args(info_, portal, registrations=None,
                                                                  approve_registrations=False))
    assert [r["target"] for r in unlisted["registrations"]] == [label], text


def test_portal_application_info_without_a_portal_says_how_to_name_one(runner, sandbox):
    sandbox.clear_requests()
    result, text = runner.module("portal_application_info", readonly(sandbox.info))
    assert_clean_failure(result, text, "Set portal", "portal_url (or KONNECT_PORTAL_URL)")
    assert sandbox.requests() == []
