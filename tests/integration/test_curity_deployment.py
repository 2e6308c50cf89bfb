# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""curity_token on a fresh Curity: the profile's client capability, the DCR endpoint and its deployment on service
roles, Kong's custom token issuer, and a teardown that takes back exactly what a run deployed; asserted on the requests
sent and on Curity read independently."""

from __future__ import annotations

import pytest
import requests

from curity_helpers import (ADMIN, PROFILE_PATH, RUNTIME, SERVER_PATH, CurityReader, assert_clean_failure, calls,
                            run_module, warnings_of)

SECRET = "Konnect-DCR-secret-9d2c40"
API = "/admin/api/restconf"
ENDPOINT_ID = "token-service-dynamic-client-registration"
ENDPOINT_PATH = PROFILE_PATH + "/endpoints/endpoint=" + ENDPOINT_ID
ROLES = "/data/base:environments/environment/services/service-role"
ISSUER_PATH = PROFILE_PATH + "/token-issuers/custom-token-issuer=userinfo,jwt,userinfo"
KONG = dict(userinfo_issuer=True, access_token_as_jwt=True)  # what Kong's how-to does on top of the defaults


def run(runner, sandbox, **args):
    args.setdefault("issuer", sandbox.info["curity_issuer"])
    return run_module(runner, sandbox, "curity_token", **args)


def admin_writes(sandbox):
    return [c for c in calls(sandbox) if c[0] != "GET"]


def discovery(sandbox):
    session = requests.Session()
    session.trust_env = False
    return session.get(sandbox.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30).json()


@pytest.fixture
def reader(sandbox):
    return CurityReader(sandbox)


def role_endpoints(reader, role="default"):
    found = reader.get(ROLES + "=" + role)
    return found[0].get("endpoints", []) if found else None


def add_role(reader, role, endpoints=()):
    body = {"base:service-role": [{"id": role, "endpoints": list(endpoints)} if endpoints else {"id": role}]}
    reader.write("PUT", ROLES + "=" + role, body)


def test_on_a_fresh_curity_check_mode_predicts_every_step_and_the_run_does_exactly_that(runner, sandbox, reader):
    # As the issue's new user: the profile's client credentials capability taken out first (plain RESTCONF);
    # the fresh seed has no DCR endpoint.
    reader.write("DELETE", SERVER_PATH + "/client-capabilities/client-credentials")
    seed_roles = role_endpoints(reader)
    assert reader.get(ENDPOINT_PATH) is None and ENDPOINT_ID not in seed_roles

    checked, _text = run(runner, sandbox, check=True, diff=True, secret=SECRET, **KONG)
    assert checked["changed"] is True and sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME, ["POST"]) == []
    after = checked["diff"]["after"]
    assert sorted(after) == ["client", "client_capabilities", "dcr_endpoint", "dynamic_client_registration",
                             "token_issuer", "userinfo_token_issuer"]
    assert after["client_capabilities"] == {"client_credentials": True}
    assert after["dcr_endpoint"] == {"id": ENDPOINT_ID, "uri": "/token-service/oauth-registration",
                                     "service_roles": ["default"]}
    assert after["userinfo_token_issuer"] == {"id": "userinfo", "issuer_type": "jwt", "purpose_type": "userinfo",
                                              "tokens_data_source": "default-datasource",
                                              "signing_key": "default-signing-key"}
    assert after["dynamic_client_registration"]["scopes"] == after["dynamic_client_registration"]["authenticators"] == "all"
    assert checked["registration_endpoint"] is None

    applied, _text = run(runner, sandbox, diff=True, secret=SECRET, **KONG)
    assert applied["changed"] is True and applied["diff"] == checked["diff"] and applied["verified"] is True
    assert admin_writes(sandbox) == [("PATCH", API + "/data")]  # one transaction
    assert applied["registration_endpoint"] == discovery(sandbox)["registration_endpoint"] == \
        sandbox.info["curity_issuer"].rsplit("/oauth/", 1)[0] + "/token-service/oauth-registration"
    # Curity, read independently
    assert reader.get(SERVER_PATH + "/client-capabilities")["client-credentials"] == [None]
    assert reader.entry(ENDPOINT_PATH) == {"id": ENDPOINT_ID, "uri": "/token-service/oauth-registration",
                                           "endpoint-kind": "oauth-dynamic-client-registration"}
    assert role_endpoints(reader) == seed_roles + [ENDPOINT_ID]
    assert reader.entry(ISSUER_PATH) == {"id": "userinfo", "issuer-type": "jwt", "purpose-type": "userinfo",
                                         "jwt": {"signing-key-id": "default-signing-key"},
                                         "data-sources": {"tokens-data-source-id": "default-datasource"}}
    assert reader.token_issuer()["access-token-as-jwt"] == [None]
    dcr = reader.dcr()["non-templatized"]
    assert dcr["scopes"] == {"all": [None]} and dcr["authenticators"] == {"all": [None]}
    assert reader.token("konnect-dcr", SECRET)[0] == 200

    again, _text = run(runner, sandbox, diff=True, secret=SECRET, **KONG)
    assert again["changed"] is False and admin_writes(sandbox) == []
    assert all("fields" not in (e.get("query") or "") for e in sandbox.requests(ADMIN))


def test_the_teardown_takes_back_what_the_run_deployed_and_nothing_it_found(runner, sandbox, reader):
    add_role(reader, "internal")
    seed_roles = role_endpoints(reader)
    created, _text = run(runner, sandbox, secret=SECRET, dcr_service_roles=["default", "internal"], **KONG)
    assert created["changed"] is True and role_endpoints(reader, "internal") == [ENDPOINT_ID]

    checked, _text = run(runner, sandbox, check=True, state="absent")
    assert sandbox.writes(ADMIN) == []
    assert checked["diff"]["before"]["dcr_endpoint"]["service_roles"] == ["default", "internal"]
    removed, _text = run(runner, sandbox, state="absent")
    assert removed["diff"] == checked["diff"]
    roles = ROLES.replace("/data", API + "/data")
    assert admin_writes(sandbox) == [
        ("DELETE", roles + "=default/endpoints=" + ENDPOINT_ID), ("DELETE", roles + "=internal/endpoints=" + ENDPOINT_ID),
        ("DELETE", API + ENDPOINT_PATH), ("DELETE", API + ISSUER_PATH),
        ("DELETE", API + SERVER_PATH + "/dynamic-client-registration"),
        ("DELETE", API + SERVER_PATH + "/client-store/config-backed/client=konnect-dcr")]
    assert reader.get(ENDPOINT_PATH) is None and reader.get(ISSUER_PATH) is None
    assert role_endpoints(reader) == seed_roles and role_endpoints(reader, "internal") == []
    assert "registration_endpoint" not in discovery(sandbox)
    # the profile-wide settings stay: other clients may rely on them
    assert reader.token_issuer()["access-token-as-jwt"] == [None]


def test_a_teardown_leaves_the_dcr_endpoint_and_the_issuer_that_were_there_before_the_run(runner, sandbox, reader):
    endpoint = {"base:endpoint": [{"id": "oauth-registration", "uri": "/oauth/v2/oauth-registration",
                                   "endpoint-kind": "oauth-dynamic-client-registration"}]}
    reader.write("PUT", PROFILE_PATH + "/endpoints/endpoint=oauth-registration", endpoint)
    add_role(reader, "internal", ["oauth-registration"])
    issuer = {"id": "userinfo", "issuer-type": "jwt", "purpose-type": "userinfo",
              "jwt": {"signing-key-id": "default-signing-key"}}
    reader.write("PUT", ISSUER_PATH, {"base:custom-token-issuer": [issuer]})

    created, _text = run(runner, sandbox, secret=SECRET, **KONG)
    # the profile's own DCR endpoint is used, added to the roles of the token endpoint; the issuer is kept as found
    assert created["diff"]["after"]["dcr_endpoint"] == {"id": "oauth-registration", "uri": "/oauth/v2/oauth-registration",
                                                        "service_roles": ["default", "internal"]}
    assert "userinfo_token_issuer" not in created["diff"]["after"]
    assert created["registration_endpoint"].endswith("/oauth/v2/oauth-registration")

    run(runner, sandbox, state="absent")
    roles = ROLES.replace("/data", API + "/data")
    assert admin_writes(sandbox)[0] == ("DELETE", roles + "=default/endpoints=oauth-registration")
    assert reader.entry(PROFILE_PATH + "/endpoints/endpoint=oauth-registration") is not None
    assert role_endpoints(reader, "internal") == ["oauth-registration"]  # deployed there before the run: stays
    assert ENDPOINT_ID not in role_endpoints(reader) and "oauth-registration" not in role_endpoints(reader)
    assert reader.entry(ISSUER_PATH) == issuer


BAD_INPUTS = [
    (dict(dcr_service_roles=["default", "no-such-role"]), ["dcr_service_roles", "'no-such-role'", "'default'"]),
    (dict(userinfo_issuer=True, userinfo_signing_key="no-such-key"), ["userinfo_signing_key", "'no-such-key'"]),
    (dict(userinfo_issuer=True, userinfo_verification_keystore="no-such-keystore"),
     ["userinfo_verification_keystore", "'no-such-keystore'", "signature verification key"]),
    (dict(userinfo_issuer=True, userinfo_data_source="no-such-source"), ["userinfo_data_source", "'no-such-source'"]),
    (dict(dcr_client_data_source="no-such-source"), ["dcr_client_data_source", "'no-such-source'"]),
    (dict(dcr_endpoint_id="token-service-token"), ["'token-service-token'", "oauth-token", "dcr_endpoint_id"]),
    (dict(dcr_endpoint_uri="/oauth/v2/oauth-token"), ["dcr_endpoint_uri", "'token-service-token'"]),
    (dict(dcr_endpoint_uri="oauth-registration"), ["dcr_endpoint_uri must be a path"]),
    (dict(userinfo_signing_key="default-signing-key"), ["only apply with userinfo_issuer: true"]),
]


@pytest.mark.parametrize("args, words", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_fails_in_the_plan_with_zero_writes(runner, sandbox, reader, args, words):
    result, text = run(runner, sandbox, secret=SECRET, **args)
    assert_clean_failure(result, text, *words)
    assert sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME, ["POST"]) == []
    assert reader.client("konnect-dcr") is None and result["changed"] is False


def test_no_service_role_deploying_the_token_endpoint_asks_for_dcr_service_roles(runner, sandbox, reader):
    reader.write("DELETE", ROLES + "=default/endpoints=token-service-token")
    result, text = run(runner, sandbox, secret=SECRET, verify=False)
    assert_clean_failure(result, text, "no service role deploys the profile's token endpoint", "dcr_service_roles",
                         "'default'")
    assert sandbox.writes(ADMIN) == []


def test_a_dcr_endpoint_no_service_role_deploys_is_a_clear_error_once_written(runner, sandbox, reader):
    result, text = run(runner, sandbox, secret=SECRET, dcr_service_roles=[])
    assert_clean_failure(result, text, "does not advertise registration_endpoint", "'%s'" % ENDPOINT_ID,
                         "no service role", "dcr_service_roles")
    assert result["changed"] is True and reader.entry(ENDPOINT_PATH) is not None
    assert ENDPOINT_ID not in role_endpoints(reader)
    fixed, _text = run(runner, sandbox, secret=SECRET)  # the default roles: the run finishes
    assert fixed["changed"] is True and fixed["registration_endpoint"] and not warnings_of(fixed)


def test_an_existing_issuer_keeps_its_settings_and_a_set_option_changes_only_that(runner, sandbox, reader):
    run(runner, sandbox, secret=SECRET, **KONG)
    result, _text = run(runner, sandbox, secret=SECRET, userinfo_issuer=True,
                        userinfo_verification_keystore="default-signature-verification-key")
    assert result["diff"] == {"before": {"userinfo_token_issuer": {
        "id": "userinfo", "issuer_type": "jwt", "purpose_type": "userinfo", "verification_keystore": ""}},
        "after": {"userinfo_token_issuer": {"id": "userinfo", "issuer_type": "jwt", "purpose_type": "userinfo",
                                            "verification_keystore": "default-signature-verification-key"}}}
    assert admin_writes(sandbox) == [("PATCH", API + PROFILE_PATH)]
    assert reader.entry(ISSUER_PATH)["jwt"] == {"signing-key-id": "default-signing-key",
                                                "verification-keystore-id": "default-signature-verification-key"}
    removed, _text = run(runner, sandbox, secret=SECRET, userinfo_issuer=True, userinfo_verification_keystore="")
    assert removed["changed"] is True
    assert admin_writes(sandbox) == [("DELETE", API + ISSUER_PATH + "/jwt/verification-keystore-id")]
    off, _text = run(runner, sandbox, secret=SECRET, userinfo_issuer=False)
    assert off["diff"]["after"] == {} and admin_writes(sandbox) == [("DELETE", API + ISSUER_PATH)]


def test_the_info_module_reports_the_deployment(runner, sandbox):
    run(runner, sandbox, secret=SECRET, **KONG)
    info, _text = run_module(runner, sandbox, "curity_token_info", issuer=sandbox.info["curity_issuer"])
    assert info["client_capabilities"] == {"client_credentials": True}
    assert info["dcr_endpoint"] == {"id": ENDPOINT_ID, "uri": "/token-service/oauth-registration",
                                    "service_roles": ["default"]}
    assert info["userinfo_token_issuer"]["signing_key"] == "default-signing-key"
    assert info["client"]["teardown_record"]["devportal-dcr-endpoint-created"] == "true"
    assert info["dynamic_client_registration"]["management_clients"] is False
    assert info["registration_endpoint"].endswith("/token-service/oauth-registration")
