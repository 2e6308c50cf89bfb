# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DCR credential's objects at the transport boundary: the reads, the plan, the writes and their order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _curity_token, _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import EMPTY, CurityError
from ansible_collections.devportal.dcr.plugins.module_utils._curity_credential import (
    RECORD_ENDPOINT,
    RECORD_ENDPOINT_CREATED,
    RECORD_ENDPOINT_ROLES,
    RECORD_ISSUER,
    CredentialConfig,
)
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError
from ansible_collections.devportal.dcr.tests.unit.plugins.module_utils.curity_fakes import (
    AS,
    PROFILE,
    admin_with,
    http_error,
    ok,
    requested,
)

ROLES = "data/base:environments/environment/services/service-role"
DCR_ID = "token-service-dynamic-client-registration"
PARAMS = dict(client_id="konnect-dcr", client_name=None, description=None, scopes=None, dcr=True,
              dcr_client_data_source="default-datasource", dcr_capabilities=["client_credentials"], dcr_scopes=None,
              access_token_as_jwt=None, dcr_endpoint_id=None, dcr_endpoint_uri=None, dcr_service_roles=None,
              userinfo_issuer=None, userinfo_issuer_id="userinfo", userinfo_data_source=None, userinfo_signing_key=None,
              userinfo_verification_keystore=None, state="present")


def params(**changes):
    return dict(PARAMS, **changes)


def fresh(**parts):
    """A fresh profile's parts, as the plain GETs return them (no client, no DCR, no DCR endpoint)."""
    out = dict(
        client=None, dcr=None, scopes={"scope": [{"id": "openid"}, {"id": "kong-api"}]},
        capabilities={"code": {}, "client-credentials": EMPTY},
        issuers={"default-token-issuer": {"default-data-source": "default-datasource",
                                          "jwt-issuer-settings": {"signing-key-id": "default-signing-key"}}},
        endpoints={"endpoint": [{"id": "token-service-token", "uri": "/oauth/v2/oauth-token", "endpoint-kind": "oauth-token"},
                                {"id": "token-service-anonymous", "uri": "/oauth/v2/oauth-anonymous",
                                 "endpoint-kind": "oauth-anonymous"}]},
        roles={"service-role": [{"id": "default", "endpoints": ["token-service-token", "token-service-anonymous"]},
                                {"id": "internal", "endpoints": []}]})
    out.update(parts)
    return CredentialConfig("konnect-dcr", **out)


def dcr_settings(clients=("konnect-dcr",), scopes=None, managers=None):
    out = {"client-data-source": "default-datasource",
           "non-templatized": {"capabilities": {"client-credentials": EMPTY, "implicit": EMPTY},
                               "scopes": {"scope": list(scopes)} if scopes else {"all": EMPTY},
                               "authenticators": {"all": EMPTY},
                               "client-authentication-method": {"secret": {}},
                               "authenticate-client-by": list(clients)},
           "client-management": {}}
    if managers is not None:
        out["client-management"]["management-clients"] = managers
    return out


def written(config, plan, secret=None, answers=()):
    admin, transport = admin_with(*answers)
    config.write(admin, plan, secret)
    return transport.sent


# --------------------------------------------------------------------------------------------
# reads and views
# --------------------------------------------------------------------------------------------
def test_every_part_is_one_plain_get_of_its_exact_subtree_in_the_order_asked():
    admin, transport = admin_with(*[ok({}) for _n in range(7)])
    CredentialConfig.read(admin, "konnect-dcr", "client", "dcr", "capabilities", "issuers", "endpoints", "roles", "scopes")
    assert requested(transport.sent) == [
        ("GET", AS + "/client-store/config-backed/client=konnect-dcr?content=config"),
        ("GET", AS + "/dynamic-client-registration?content=config"),
        ("GET", AS + "/client-capabilities?content=config"),
        ("GET", PROFILE + "/token-issuers?content=config"),
        ("GET", PROFILE + "/endpoints?content=config"),
        ("GET", ROLES + "?content=config"),
        ("GET", AS + "/scopes?content=config")]


def test_views_in_the_terms_of_the_module():
    client = {"id": "konnect-dcr", "client-name": "K", "scope": ["b", "a"], "capabilities": {"client-credentials": EMPTY},
              "properties": {"property": [{"key": "other", "value": "x"}, {"key": RECORD_ENDPOINT, "value": DCR_ID}]}}
    config = fresh(client=client, dcr=dcr_settings(managers={"whatever": ["m"]}))
    assert config.client_view() == {"client_name": "K", "description": "", "scopes": ["a", "b"], "client_credentials": True,
                                    "teardown_record": {RECORD_ENDPOINT: DCR_ID}}
    assert config.dcr_view() == {"client_data_source": "default-datasource", "capabilities": ["client_credentials", "implicit"],
                                 "scopes": "all", "authenticators": "all", "client_authentication": ["secret"],
                                 "authenticate_client_by": ["konnect-dcr"], "management_clients": True,
                                 "client_management": True}
    assert config.capabilities_view() == {"client_credentials": True}
    assert config.token_endpoint_roles() == ["default"] and config.endpoint_view(DCR_ID) is None
    assert config.issuer_defaults() == {"tokens_data_source": "default-datasource", "signing_key": "default-signing-key",
                                        "verification_keystore": ""}
    empty = fresh()
    assert (empty.client_view(), empty.dcr_view(), empty.dcr_enabled) == (None, None, False)
    assert empty.unknown_scopes(["kong-api", "x"]) == ["x"]


@pytest.mark.parametrize("parts, words", [
    (dict(client={"id": "konnect-dcr", "scope": "openid"}), "for scope of client 'konnect-dcr'"),
    (dict(client={"id": "konnect-dcr", "properties": {"property": [{"key": RECORD_ENDPOINT, "value": ["x"]}]}}),
     "property 'devportal-dcr-endpoint'"),
    (dict(dcr={"non-templatized": {"authenticate-client-by": "konnect-dcr"}}), "authenticate-client-by"),
    (dict(dcr={"client-management": []}), "client-management of the DCR settings"),
    (dict(endpoints={"endpoint": [{"id": "e", "uri": ["/x"], "endpoint-kind": "oauth-dynamic-client-registration"}]}),
     "for uri of endpoint 'e'"),
    (dict(roles={"service-role": [{"id": "default", "endpoints": "token-service-token"}]}), "service role 'default'"),
])
def test_a_field_of_another_type_is_a_clear_error_naming_object_and_field(parts, words):
    with pytest.raises(CurityError) as err:
        _curity_token.make_plan(fresh(**parts), params())
    assert words in str(err.value), str(err.value)


# --------------------------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------------------------
def test_on_a_fresh_profile_the_plan_deploys_the_dcr_endpoint_beside_the_token_endpoint_and_records_it():
    plan = _curity_token.make_plan(fresh(), params(userinfo_issuer=True, access_token_as_jwt=True), secret="s")
    diff = plan.diff()["after"]
    assert diff["dcr_endpoint"] == {"id": DCR_ID, "uri": "/token-service/oauth-registration", "service_roles": ["default"]}
    assert diff["userinfo_token_issuer"] == {"id": "userinfo", "issuer_type": "jwt", "purpose_type": "userinfo",
                                             "tokens_data_source": "default-datasource", "signing_key": "default-signing-key"}
    assert diff["client"]["teardown_record"] == {RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_CREATED: "true",
                                                 RECORD_ENDPOINT_ROLES: "default", RECORD_ISSUER: "userinfo"}
    assert diff["dynamic_client_registration"]["authenticators"] == "all"
    assert diff["token_issuer"] == {"access_token_as_jwt": True}
    assert "client_capabilities" not in diff  # the fresh profile enables client credentials


def test_a_profile_without_the_client_credentials_capability_gets_it_in_the_plan():
    plan = _curity_token.make_plan(fresh(capabilities={"code": {}}), params(dcr=False), secret="s")
    assert plan.diff()["before"]["client_capabilities"] == {"client_credentials": False}
    assert plan.diff()["after"]["client_capabilities"] == {"client_credentials": True}


def test_an_existing_dcr_endpoint_of_another_id_is_used_and_only_missing_roles_are_added():
    endpoints = fresh().parts["endpoints"]["endpoint"] + [
        {"id": "oauth-registration", "uri": "/oauth/v2/oauth-registration", "endpoint-kind": "oauth-dynamic-client-registration"}]
    roles = {"service-role": [{"id": "default", "endpoints": ["token-service-token"]},
                              {"id": "internal", "endpoints": ["oauth-registration"]}]}
    config = fresh(endpoints={"endpoint": endpoints}, roles=roles, client={"id": "konnect-dcr"})
    change = next(c for c in _curity_token.make_plan(config, params()).changes if c.key == "dcr_endpoint")
    assert change.before == {"id": "oauth-registration", "uri": "/oauth/v2/oauth-registration", "service_roles": ["internal"]}
    assert change.after["service_roles"] == ["default", "internal"]
    client = next(c for c in _curity_token.make_plan(config, params()).changes if c.key == "client")
    assert client.after["teardown_record"] == {RECORD_ENDPOINT: "oauth-registration", RECORD_ENDPOINT_ROLES: "default"}


def test_a_second_plan_after_the_writes_plans_nothing():
    record = {RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_CREATED: "true", RECORD_ENDPOINT_ROLES: "default"}
    client = {"id": "konnect-dcr", "capabilities": {"client-credentials": EMPTY},
              "properties": {"property": [{"key": k, "value": v} for k, v in record.items()]}}
    endpoints = fresh().parts["endpoints"]["endpoint"] + [
        {"id": DCR_ID, "uri": "/token-service/oauth-registration", "endpoint-kind": "oauth-dynamic-client-registration"}]
    roles = {"service-role": [{"id": "default", "endpoints": ["token-service-token", DCR_ID]}]}
    config = fresh(client=client, dcr=dcr_settings(), endpoints={"endpoint": endpoints}, roles=roles)
    assert not _curity_token.make_plan(config, params()).changed


# --------------------------------------------------------------------------------------------
# the writes
# --------------------------------------------------------------------------------------------
def test_creating_everything_is_one_patch_of_the_datastore_with_the_endpoint_and_its_deployment():
    config = fresh(capabilities={"code": {}})
    plan = _curity_token.make_plan(config, params(userinfo_issuer=True, access_token_as_jwt=True,
                                                  dcr_capabilities=["client_credentials", "code"]), secret="s3cret")
    sent = written(config, plan, "s3cret")
    assert requested(sent) == [("PATCH", "data")]
    data = sent[0][2]["json_body"]["ietf-restconf:data"]
    assert data["base:environments"] == {"environment": {"services": {"service-role": [
        {"id": "default", "endpoints": [DCR_ID]}]}}}
    (profile,) = data["base:profiles"]["profile"]
    assert profile["id"] == "token-service" and profile["type"] == "profile-oauth:oauth-service"
    assert profile["endpoints"] == {"endpoint": [{"id": DCR_ID, "uri": "/token-service/oauth-registration",
                                                  "endpoint-kind": "oauth-dynamic-client-registration"}]}
    assert profile["token-issuers"] == {
        "default-token-issuer": {"access-token-as-jwt": EMPTY},
        "custom-token-issuer": [{"id": "userinfo", "issuer-type": "jwt", "purpose-type": "userinfo",
                                 "jwt": {"signing-key-id": "default-signing-key"},
                                 "data-sources": {"tokens-data-source-id": "default-datasource"}}]}
    server = profile["settings"]["profile-oauth:authorization-server"]
    assert server["client-capabilities"] == {"client-credentials": EMPTY}
    (client,) = server["client-store"]["config-backed"]["client"]
    assert client["secret"] == "s3cret" and client["capabilities"] == {"client-credentials": EMPTY}
    assert {p["key"]: p["value"] for p in client["properties"]["property"]} == {
        RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_CREATED: "true", RECORD_ENDPOINT_ROLES: "default", RECORD_ISSUER: "userinfo"}
    assert server["dynamic-client-registration"] == {
        "client-data-source": "default-datasource", "client-management": {},
        "non-templatized": {"capabilities": {"client-credentials": EMPTY, "code": EMPTY},  # <code/> in Curity's exports
                            "client-authentication-method": {"secret": {}}, "authenticate-client-by": ["konnect-dcr"],
                            "scopes": {"all": EMPTY}, "authenticators": {"all": EMPTY}}}


def test_without_a_deployment_to_add_the_merge_is_one_patch_of_the_profile():
    config = fresh()
    plan = _curity_token.make_plan(config, params(dcr=False), secret="s")
    sent = written(config, plan, "s")
    assert requested(sent) == [("PATCH", PROFILE)]
    assert list(sent[0][2]["json_body"]) == ["base:profile"]


def test_adding_the_client_to_existing_dcr_merges_only_the_new_entry():
    config = fresh(client={"id": "konnect-dcr"}, dcr=dcr_settings(clients=["other"]))
    view = config.dcr_view()
    sent = written(config, _engine.Plan([_engine.compare("dynamic_client_registration", view,
                                                         dict(view, authenticate_client_by=["konnect-dcr", "other"]))]))
    assert sent[0][2]["json_body"]["base:profile"][0]["settings"]["profile-oauth:authorization-server"] == {
        "dynamic-client-registration": {"non-templatized": {"authenticate-client-by": ["konnect-dcr"]}}}


def test_a_client_losing_scopes_is_read_and_replaced_keeping_its_secret_hash_and_properties():
    current = {"id": "konnect-dcr", "scope": ["a", "b"], "secret": "$5$salt$hash", "capabilities": {"client-credentials": EMPTY},
               "properties": {"property": [{"key": "other", "value": "kept"}]}}
    config = fresh(client=dict(current, secret=None))
    change = _engine.compare("client", config.client_view(), {"scopes": ["a"], "client_credentials": True})
    sent = written(config, _engine.Plan([change]), answers=[ok({"profile-oauth:client": [copy.deepcopy(current)]})])
    client_path = AS + "/client-store/config-backed/client=konnect-dcr"
    assert requested(sent) == [("GET", client_path + "?content=config"), ("PUT", client_path)]
    assert sent[1][2]["json_body"] == {"profile-oauth:client": [dict(current, scope=["a"])]}


def test_dcr_scopes_that_shrink_replace_the_scopes_container():
    config = fresh(client={"id": "konnect-dcr"}, dcr=dcr_settings(scopes=["a", "b"]))
    view = config.dcr_view()
    sent = written(config, _engine.Plan([_engine.compare("dynamic_client_registration", view, dict(view, scopes=["a"]))]))
    assert requested(sent) == [("PUT", AS + "/dynamic-client-registration/non-templatized/scopes")]
    assert sent[0][2]["json_body"] == {"profile-oauth:scopes": {"scope": ["a"]}}


def test_turning_jwt_off_deletes_the_empty_leaf():
    config = fresh(issuers={"default-token-issuer": {"access-token-as-jwt": EMPTY}})
    sent = written(config, _engine.Plan([_engine.compare("token_issuer", config.issuer_view(), {"access_token_as_jwt": False})]))
    assert requested(sent) == [("DELETE", PROFILE + "/token-issuers/default-token-issuer/access-token-as-jwt")]


def test_a_deleted_client_first_leaves_the_dcr_settings_and_management_clients_are_written_back_as_read():
    managers = {"opaque-member": ["admin-tool"]}
    config = fresh(client={"id": "konnect-dcr"}, dcr=dcr_settings(clients=["konnect-dcr", "other"], managers=managers))
    plan = _curity_token.make_plan(config, params(state="absent"))
    sent = written(config, plan)
    assert requested(sent) == [("PUT", AS + "/dynamic-client-registration"),
                               ("DELETE", AS + "/client-store/config-backed/client=konnect-dcr")]
    body = sent[0][2]["json_body"]["profile-oauth:dynamic-client-registration"]
    assert body["non-templatized"]["authenticate-client-by"] == ["other"]
    assert body["client-management"] == {"management-clients": managers}


def recorded_client(**record):
    return {"id": "konnect-dcr", "properties": {"property": [{"key": k, "value": v} for k, v in record.items()]}}


def deployed(roles=("default",)):
    endpoints = fresh().parts["endpoints"]["endpoint"] + [
        {"id": DCR_ID, "uri": "/token-service/oauth-registration", "endpoint-kind": "oauth-dynamic-client-registration"}]
    return dict(endpoints={"endpoint": endpoints},
                roles={"service-role": [{"id": r, "endpoints": ["token-service-token", DCR_ID]} for r in roles]},
                issuers={"custom-token-issuer": [{"id": "userinfo", "issuer-type": "jwt", "purpose-type": "userinfo",
                                                  "jwt": {"signing-key-id": "k"}}]})


def test_a_teardown_takes_back_what_the_run_recorded_in_order_and_nothing_else():
    client = recorded_client(**{RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_CREATED: "true", RECORD_ENDPOINT_ROLES: "default",
                                RECORD_ISSUER: "userinfo"})
    config = fresh(client=client, dcr=dcr_settings(), **deployed(roles=("default", "internal")))
    plan = _curity_token.make_plan(config, params(state="absent"))
    assert plan.diff()["before"]["dcr_endpoint"]["service_roles"] == ["default", "internal"]
    assert "dcr_endpoint" not in plan.diff()["after"] and "userinfo_token_issuer" in plan.diff()["before"]
    assert requested(written(config, plan)) == [
        # a created endpoint goes, so it leaves every role first (a deployed endpoint cannot be deleted)
        ("DELETE", ROLES + "=default/endpoints=" + DCR_ID), ("DELETE", ROLES + "=internal/endpoints=" + DCR_ID),
        ("DELETE", PROFILE + "/endpoints/endpoint=" + DCR_ID),
        ("DELETE", PROFILE + "/token-issuers/custom-token-issuer=userinfo,jwt,userinfo"),
        ("DELETE", AS + "/dynamic-client-registration"),
        ("DELETE", AS + "/client-store/config-backed/client=konnect-dcr")]


def test_a_teardown_of_an_endpoint_the_run_only_deployed_takes_it_off_those_roles_only():
    client = recorded_client(**{RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_ROLES: "default"})
    config = fresh(client=client, dcr=dcr_settings(), **deployed(roles=("default", "internal")))
    plan = _curity_token.make_plan(config, params(state="absent"))
    assert plan.diff()["after"]["dcr_endpoint"]["service_roles"] == ["internal"]
    assert requested(written(config, plan))[:1] == [("DELETE", ROLES + "=default/endpoints=" + DCR_ID)]
    assert ("DELETE", PROFILE + "/endpoints/endpoint=" + DCR_ID) not in requested(written(config, plan))


def test_without_a_record_a_teardown_leaves_the_endpoint_and_the_issuer_it_found():
    config = fresh(client={"id": "konnect-dcr"}, dcr=dcr_settings(), **deployed())
    plan = _curity_token.make_plan(config, params(state="absent"))
    assert [c.key for c in plan.changes if c.changed] == ["client", "dynamic_client_registration"]


def test_dcr_settings_that_serve_others_keep_what_the_run_deployed():
    client = recorded_client(**{RECORD_ENDPOINT: DCR_ID, RECORD_ENDPOINT_CREATED: "true", RECORD_ENDPOINT_ROLES: "default"})
    config = fresh(client=client, dcr=dcr_settings(clients=["konnect-dcr", "other"]), **deployed())
    plan = _curity_token.make_plan(config, params(state="absent"))
    assert [c.key for c in plan.changes if c.changed] == ["client", "dynamic_client_registration"]


# --------------------------------------------------------------------------------------------
# a refusal of an element whose JSON encoding is inferred
# --------------------------------------------------------------------------------------------
def refusal(message, path="/x"):
    return http_error(400, {"ietf-restconf:errors": {"error": [{"error-tag": "invalid-value", "error-path": path,
                                                                "error-message": message}]}}, "PATCH")


def test_a_400_naming_an_element_of_inferred_encoding_names_it_and_the_likely_fix():
    config = fresh()
    plan = _curity_token.make_plan(config, params(), secret="s")
    with pytest.raises(CurityError) as err:
        written(config, plan, "s", answers=[refusal("bad value", "/dynamic-client-registration/non-templatized/scopes/all")])
    msg = str(err.value)
    assert "dynamic-client-registration/non-templatized/scopes/all" in msg and "[null]" in msg
    assert "dcr_scopes" in msg and "nothing was written" in msg and "\n" not in msg


def test_a_400_naming_no_element_lists_the_inferred_elements_sent():
    config = fresh()
    plan = _curity_token.make_plan(config, params(), secret="s")
    with pytest.raises(CurityError) as err:
        written(config, plan, "s", answers=[refusal("validation failed")])
    assert "non-templatized/scopes/all" in str(err.value) and "non-templatized/authenticators/all" in str(err.value)


def test_a_400_on_a_write_without_dcr_elements_keeps_the_servers_words():
    config = fresh()
    plan = _curity_token.make_plan(config, params(dcr=False), secret="s")
    with pytest.raises(HttpError) as err:
        written(config, plan, "s", answers=[refusal("illegal reference")])
    assert "illegal reference" in str(err.value)


def test_a_scope_flag_of_another_type_is_a_clear_error_when_scopes_are_checked():
    config = fresh(scopes={"scope": [{"id": "api:", "is-prefix": "true"}]})
    with pytest.raises(CurityError) as err:
        config.unknown_scopes(["api:read"])
    assert "for is-prefix of scope 'api:'" in str(err.value)
    assert fresh(scopes={"scope": [{"id": "api:", "is-prefix": True}]}).unknown_scopes(["api:read", "x"]) == ["x"]
