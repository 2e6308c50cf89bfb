# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Curity stand-in's RESTCONF admin API, driven over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

import curity_store

SCOPES = "/scopes"
CLIENTS = "/client-store/config-backed"
CLAIM_PATH_PREFIX = "/base:profiles/profile[id='token-service'][type='profile-oauth:oauth-service']"


@pytest.fixture
def s(curity_servers):
    return curity_servers


def errors_of(response):
    assert response.headers["Content-Type"].startswith("application/yang-data+json")
    return response.json()["ietf-restconf:errors"]["error"]


def the_error(response, status, tag):
    assert response.status_code == status, response.text
    (error,) = errors_of(response)
    assert error["error-tag"] == tag
    assert error["error-type"] in ("protocol", "application")
    assert error["error-message"]
    return error


def scope_body(scope_id, **leaves):
    entry = {"id": scope_id}
    entry.update({k.replace("_", "-"): v for k, v in leaves.items()})
    return {"profile-oauth:scope": [entry]}


# -- authentication and media types -------------------------------------------------
def test_missing_or_wrong_credentials_are_401_with_basic_challenge(s):
    for auth in (None, ("admin", "not-the-password"), ("someone", s.state.info()["curity_admin_password"])):
        response = requests.get(s.data_url(), auth=auth)
        the_error(response, 401, "access-denied")
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="')


def test_admin_password_is_random_and_survives_reset(s):
    password = s.state.info()["curity_admin_password"]
    assert password not in ("admin", "Password1", "password") and len(password) >= 16
    s.state.reset()
    assert s.state.info()["curity_admin_password"] == password
    assert s.restconf("GET", "base:profiles/profile?depth=2").status_code == 200


def test_write_with_another_content_type_is_415_and_changes_nothing(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=kong-api"
    response = s.admin.put(s.data_url(path), data=json.dumps(scope_body("kong-api")),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert errors_of(response)
    the_error(s.restconf("GET", path), 404, "invalid-value")


@pytest.mark.parametrize("accept, produced", [
    ("application/yang-data+json", "application/yang-data+json"),
    ("application/json", "application/json"),
    ("*/*", "application/yang-data+json"),
])
def test_json_is_produced_for_json_accept_headers(s, accept, produced):
    response = s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=openid", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(produced)
    assert response.json() == {"profile-oauth:scope": [{"id": "openid", "description": "Standard OpenID Connect scope"}]}


def test_head_answers_like_get_without_a_body(s):
    response = s.admin.head(s.data_url(s.AUTH_SERVER + SCOPES + "/scope=openid"))
    assert response.status_code == 200 and response.text == ""
    assert s.admin.head(s.data_url(s.AUTH_SERVER + SCOPES + "/scope=nope")).status_code == 404


def test_xml_only_accept_is_406(s):
    response = s.restconf("GET", s.AUTH_SERVER + SCOPES, headers={"Accept": "application/yang-data+xml"})
    assert response.status_code == 406


# -- GET, paths and query parameters ----------------------------------------------------
def test_profile_list_with_depth(s):
    depth = s.restconf("GET", "base:profiles/profile/", params={"depth": "2"}).json()
    (profile,) = depth["base:profile"]
    assert profile["id"] == "token-service" and profile["settings"] == {} and profile["endpoints"] == {}


@pytest.mark.parametrize("fields", ["id;type", "scope(claims)"])
def test_fields_is_refused_so_that_nothing_depends_on_it(s, fields):
    response = s.restconf("GET", "base:profiles/profile", params={"fields": fields})
    assert response.status_code == 400 and "fields" in response.text


def test_container_and_list_entry_roots_are_module_qualified(s):
    clients = s.restconf("GET", s.AUTH_SERVER + CLIENTS).json()
    assert list(clients) == ["profile-oauth:config-backed"]
    assert [c["id"] for c in clients["profile-oauth:config-backed"]["client"]] == ["web-client"]
    issuer = s.restconf("GET", s.PROFILE + "/token-issuers/default-token-issuer").json()
    assert issuer == {"base:default-token-issuer": {"jwt-issuer-settings": {"signing-key-id": "default-signing-key"},
                                                    "default-data-source": "default-datasource"}}
    settings = s.restconf("GET", s.PROFILE + "/settings", params={"depth": "2"}).json()
    assert settings == {"base:settings": {"profile-oauth:authorization-server": {}}}


def test_fully_qualified_and_minimal_paths_address_the_same_resource(s):
    qualified = ("base:profiles/base:profile=token-service,oauth-service/base:settings/profile-oauth:authorization-server"
                 "/profile-oauth:client-store/profile-oauth:config-backed/profile-oauth:client=web-client")
    minimal = s.AUTH_SERVER + CLIENTS + "/client=web-client"
    first, second = s.restconf("GET", qualified), s.restconf("GET", minimal)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["profile-oauth:client"][0]["id"] == "web-client"


def test_path_errors(s):
    error = the_error(s.restconf("GET", "base:profiles/profile=token-service/settings"), 400, "malformed-message")
    assert "2 key" in error["error-message"]
    the_error(s.restconf("GET", "profiles/profile"), 400, "malformed-message")
    the_error(s.restconf("GET", "base:profiles/profile=token-service,oauth-service/profile-oauth:settings"), 400,
              "unknown-element")
    the_error(s.restconf("GET", s.AUTH_SERVER + SCOPES + "/no-such-node"), 400, "unknown-element")


def test_unknown_profile_and_missing_entry_are_404(s):
    error = the_error(s.restconf("GET", "base:profiles/profile=nope,oauth-service"), 404, "invalid-value")
    assert error["error-message"] == "uri keypath not found"
    assert error["error-path"] == "/base:profiles/profile[id='nope'][type='profile-oauth:oauth-service']"
    the_error(s.restconf("PUT", "base:profiles/profile=nope,oauth-service/settings/profile-oauth:authorization-server"
                         "/scopes/scope=x", scope_body("x")), 404, "invalid-value")
    the_error(s.restconf("GET", s.AUTH_SERVER + "/dynamic-client-registration"), 404, "invalid-value")


def test_unsupported_query_parameter_is_400(s):
    the_error(s.restconf("GET", s.AUTH_SERVER + SCOPES, params={"with-defaults": "report-all"}), 400, "invalid-value")
    the_error(s.restconf("GET", s.AUTH_SERVER + SCOPES, params={"depth": "0"}), 400, "invalid-value")


def test_datastore_root_and_restconf_root(s):
    data = s.restconf("GET", "", params={"content": "config", "depth": "unbounded"}).json()
    assert list(data) == ["ietf-restconf:data"]
    assert list(data["ietf-restconf:data"]) == ["base:profiles", "base:environments", "base:facilities"]
    root = s.admin.get(s.admin_url)
    assert root.json()["ietf-restconf:restconf"]["yang-library-version"]


# -- POST / PUT / PATCH / DELETE ------------------------------------------------------------
def test_percent_encoded_keys(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=stocks%2Fread"
    assert s.restconf("PUT", path, scope_body("stocks/read", description="read stocks")).status_code == 201
    assert s.restconf("GET", path).json() == scope_body("stocks/read", description="read stocks")
    created = s.restconf("POST", s.AUTH_SERVER + SCOPES, scope_body("a,b/c"))
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/scopes/scope=a%2Cb%2Fc")
    assert s.admin.get(created.headers["Location"]).json() == scope_body("a,b/c")


def test_post_creates_with_location_then_conflicts(s):
    body = scope_body("kong-api", description="Konnect DCR API scope", time_to_live=3600, claims=["email"])
    created = s.restconf("POST", s.AUTH_SERVER + SCOPES, body)
    assert created.status_code == 201 and created.text == ""
    assert s.admin.get(created.headers["Location"]).json() == body
    error = the_error(s.restconf("POST", s.AUTH_SERVER + SCOPES, scope_body("kong-api")), 409, "data-exists")
    assert error["error-path"].endswith("/scopes/scope[id='kong-api']")
    assert s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=kong-api").json() == body


def test_put_creates_then_replaces_the_whole_entry(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=kong-api"
    assert s.restconf("PUT", path, scope_body("kong-api", description="first", claims=["email"])).status_code == 201
    assert s.restconf("PUT", path, scope_body("kong-api", description="second")).status_code == 204
    assert s.restconf("GET", path).json() == scope_body("kong-api", description="second")


def test_put_with_a_key_that_does_not_match_the_url_is_400(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=kong-api"
    the_error(s.restconf("PUT", path, scope_body("other")), 400, "invalid-value")
    the_error(s.restconf("GET", path), 404, "invalid-value")


def test_patch_merges_and_never_creates(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=email"
    patch = {"profile-oauth:scope": [{"id": "email", "description": "mail", "claims": ["address"]}]}
    assert s.restconf("PATCH", path, patch).status_code == 204
    assert s.restconf("GET", path).json() == {"profile-oauth:scope": [
        {"id": "email", "description": "mail", "claims": ["email", "email_verified", "address"]}]}
    the_error(s.restconf("PATCH", s.AUTH_SERVER + SCOPES + "/scope=nope", scope_body("nope")), 404, "invalid-value")
    the_error(s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=nope"), 404, "invalid-value")


def test_patch_of_the_datastore_root_merges(s):
    body = {"ietf-restconf:data": {"base:profiles": {"profile": [{
        "id": "token-service", "type": "profile-oauth:oauth-service",
        "settings": {"profile-oauth:authorization-server": {"scopes": {"scope": [{"id": "kong-api"}]}}}}]}}}
    assert s.restconf("PATCH", "", body).status_code == 204
    assert s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=kong-api").status_code == 200
    assert s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=email").status_code == 200


def test_delete_then_404(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=phone"
    assert s.restconf("DELETE", path).status_code == 204
    the_error(s.restconf("GET", path), 404, "invalid-value")
    the_error(s.restconf("DELETE", path), 404, "invalid-value")


def test_body_errors(s):
    path = s.AUTH_SERVER + SCOPES + "/scope=kong-api"
    the_error(s.restconf("PUT", path, scope_body("kong-api", is_prefix="yes")), 400, "invalid-value")
    the_error(s.restconf("PUT", path, scope_body("kong-api", colour="blue")), 400, "unknown-element")
    the_error(s.restconf("PUT", path, {"profile-oauth:claim": [{"name": "kong-api"}]}), 400, "malformed-message")
    bad_json = s.admin.put(s.data_url(path), data="{", headers={"Content-Type": "application/yang-data+json"})
    the_error(bad_json, 400, "malformed-message")
    the_error(s.restconf("GET", path), 404, "invalid-value")


def test_a_choice_keeps_one_case(s):
    s.create_client("konnect-dcr", "S3cr3t!")
    s.enable_dcr(["konnect-dcr"])
    path = s.AUTH_SERVER + "/dynamic-client-registration/non-templatized"
    patch = {"profile-oauth:non-templatized": {"no-authentication": [None]}}
    assert s.restconf("PATCH", path, patch).status_code == 204
    settings = s.restconf("GET", path).json()["profile-oauth:non-templatized"]
    assert "authenticate-client-by" not in settings and settings["no-authentication"] == [None]


# -- validation -------------------------------------------------------------------------------
def test_a_multi_item_write_with_one_bad_reference_changes_nothing(s):
    body = {"profile-oauth:scopes": {"scope": [{"id": "good", "claims": ["email"]}, {"id": "bad", "claims": ["missing"]}]}}
    error = the_error(s.restconf("PATCH", s.AUTH_SERVER + SCOPES, body), 400, "invalid-value")
    assert error["error-path"] == CLAIM_PATH_PREFIX + "/settings/profile-oauth:authorization-server/scopes/scope[id='bad']/claims"
    assert "missing" in error["error-message"]
    for scope in ("good", "bad"):
        the_error(s.restconf("GET", s.AUTH_SERVER + SCOPES + "/scope=" + scope), 404, "invalid-value")


def test_claim_value_provider_must_exist(s):
    body = {"profile-oauth:claim": [{"name": "kong_app_name", "value-provided-by": "nope"}]}
    error = the_error(s.restconf("PUT", s.AUTH_SERVER + "/claims/claim=kong_app_name", body), 400, "invalid-value")
    assert error["error-path"].endswith("/claims/claim[name='kong_app_name']/value-provided-by")
    body["profile-oauth:claim"][0]["value-provided-by"] = "account-manager-claims-provider"
    assert s.restconf("PUT", s.AUTH_SERVER + "/claims/claim=kong_app_name", body).status_code == 201


@pytest.mark.parametrize("path, user", [
    ("/claims/claim=email", "/scopes/scope[id='email']/claims"),
    ("/claims/claims-value-provider=account-manager-claims-provider", "/claims/claim[name='address']/value-provided-by"),
    ("/claims/claims-mappers/claims-mapper=default", "/claims/claims-mappers/default-claims-mapper"),
])
def test_deleting_something_in_use_is_409(s, path, user):
    error = the_error(s.restconf("DELETE", s.AUTH_SERVER + path), 409, "in-use")
    assert user in error["error-message"]
    assert s.restconf("GET", s.AUTH_SERVER + path).status_code == 200


def test_a_client_used_for_dcr_cannot_be_deleted(s):
    s.create_client("konnect-dcr", "S3cr3t!")
    s.enable_dcr(["konnect-dcr"])
    error = the_error(s.restconf("DELETE", s.AUTH_SERVER + CLIENTS + "/client=konnect-dcr"), 409, "in-use")
    assert "authenticate-client-by" in error["error-message"]
    assert error["error-path"].endswith("/client-store/config-backed/client[id='konnect-dcr']")


def test_dcr_settings_are_validated(s):
    path = s.AUTH_SERVER + "/dynamic-client-registration"
    no_source = {"profile-oauth:dynamic-client-registration": {"non-templatized": {"authenticate-client-by": []}}}
    error = the_error(s.restconf("PUT", path, no_source), 400, "invalid-value")
    assert error["error-path"].endswith("/dynamic-client-registration/client-data-source")
    unknown_source = {"profile-oauth:dynamic-client-registration": {"client-data-source": "other-datasource"}}
    the_error(s.restconf("PUT", path, unknown_source), 400, "invalid-value")
    unknown_client = {"profile-oauth:dynamic-client-registration": {
        "client-data-source": "default-datasource", "non-templatized": {"authenticate-client-by": ["nobody"]}}}
    error = the_error(s.restconf("PUT", path, unknown_client), 400, "invalid-value")
    assert "nobody" in error["error-message"]
    the_error(s.restconf("GET", path), 404, "invalid-value")


# -- secrets -------------------------------------------------------------------------------------
def test_secrets_are_stored_and_returned_only_as_sha256_crypt(s):
    s.create_client("konnect-dcr", "S3cr3t!-plain")
    stored = s.restconf("GET", s.AUTH_SERVER + CLIENTS + "/client=konnect-dcr").json()["profile-oauth:client"][0]["secret"]
    assert stored.startswith("$5$") and "S3cr3t!-plain" not in stored
    assert curity_store.verify_secret("S3cr3t!-plain", stored)
    assert not curity_store.verify_secret("S3cr3t!-other", stored)
    assert "S3cr3t!-plain" not in s.restconf("GET", "", params={"depth": "unbounded"}).text


def test_a_hashed_secret_is_kept_as_written(s):
    hashed = curity_store.sha256_crypt("restored")
    s.create_client("restored-client", hashed)
    client = s.restconf("GET", s.AUTH_SERVER + CLIENTS + "/client=restored-client").json()["profile-oauth:client"][0]
    assert client["secret"] == hashed


@pytest.mark.parametrize("password, setting, expected", [
    # Test vectors of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512".
    ("Hello world!", "saltstring", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    ("Hello world!", ("saltstringsaltstring", 10000),
     "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
])
def test_sha256_crypt_matches_the_reference_vectors(password, setting, expected):
    salt, rounds = setting if isinstance(setting, tuple) else (setting, None)
    assert curity_store.sha256_crypt(password, salt, rounds) == expected
    assert curity_store.verify_secret(password, expected)
    assert not curity_store.verify_secret(password + "!", expected)


# -- seed and reset ------------------------------------------------------------------------------
def test_seed_is_a_fresh_token_service_without_dcr_and_without_a_dcr_endpoint(s):
    scopes = {sc["id"]: sc.get("claims", []) for sc in s.restconf("GET", s.AUTH_SERVER + SCOPES).json()["profile-oauth:scopes"]["scope"]}
    assert set(scopes) == {"openid", "profile", "email", "address", "phone"}
    assert scopes["phone"] == ["phone_number", "phone_number_verified"]
    assert s.restconf("GET", s.PROFILE + "/endpoints/endpoint=token-service-dynamic-client-registration").status_code == 404
    endpoints = s.restconf("GET", s.PROFILE + "/endpoints").json()["base:endpoints"]["endpoint"]
    assert {e["endpoint-kind"] for e in endpoints} == {"oauth-anonymous", "oauth-authorize", "oauth-token"}
    roles = s.restconf("GET", "base:environments/environment/services/service-role").json()["base:service-role"]
    assert roles == [{"id": "default", "endpoints": [e["id"] for e in endpoints]}]
    capabilities = s.restconf("GET", s.AUTH_SERVER + "/client-capabilities").json()["profile-oauth:client-capabilities"]
    assert capabilities["client-credentials"] == [None]
    assert s.restconf("GET", "base:facilities/crypto/signing-keys/signing-key=default-signing-key/id").status_code == 200
    assert s.restconf("GET", "base:facilities/crypto/signature-verification-keys/signature-verification-key="
                             "default-signature-verification-key/id").status_code == 200
    assert s.restconf("GET", s.AUTH_SERVER + "/dynamic-client-registration").status_code == 404
    mappers = s.restconf("GET", s.AUTH_SERVER + "/claims/claims-mappers").json()["profile-oauth:claims-mappers"]
    assert mappers["default-claims-mapper"] == "default"
    assert curity_store.validate(s.state.config) == []


def test_reset_restores_the_seed(s):
    seed = s.restconf("GET", "").json()
    s.create_client("konnect-dcr", "S3cr3t!")
    s.enable_dcr(["konnect-dcr"])
    assert s.restconf("GET", "").json() != seed
    s.state.reset()
    assert s.restconf("GET", "").json() == seed


def test_info(s):
    info = s.state.info()
    assert info["curity_admin_username"] == "admin"
    assert info["curity_profile_id"] == "token-service"
    assert info["curity_issuer"] == s.runtime_url + "/oauth/v2/oauth-anonymous"


# -- as strict as the evidence ------------------------------------------------------------------------
def test_a_member_without_its_module_name_where_the_module_changes_is_refused(s):
    # RFC 7951 section 4: a member of another module than its parent's carries that module's name.
    body = {"base:profile": [{"id": "token-service", "type": "profile-oauth:oauth-service",
                              "settings": {"authorization-server": {}}}]}
    error = the_error(s.restconf("PATCH", s.PROFILE, body), 400, "unknown-element")
    assert "profile-oauth:authorization-server" in error["error-message"]
    body["base:profile"][0]["settings"] = {"profile-oauth:authorization-server": {}}
    assert s.restconf("PATCH", s.PROFILE, body).status_code == 204


def test_a_path_step_without_its_module_name_where_the_module_changes_is_refused(s):
    the_error(s.restconf("GET", s.PROFILE + "/settings/authorization-server/scopes"), 400, "unknown-element")
    assert s.restconf("GET", s.PROFILE + "/settings/profile-oauth:authorization-server/scopes").status_code == 200
    # Curity's own teardown script qualifies every step of a URL: allowed.
    assert s.restconf("GET", "base:profiles/base:profile=token-service,oauth-service/base:settings/"
                             "profile-oauth:authorization-server/profile-oauth:scopes").status_code == 200


def test_a_member_qualified_with_its_parents_module_is_refused_in_a_body(s):
    body = {"profile-oauth:scope": [{"id": "x", "profile-oauth:description": "d"}]}
    the_error(s.restconf("PUT", s.AUTH_SERVER + SCOPES + "/scope=x", body), 400, "malformed-message")


def test_a_body_without_the_module_of_its_top_level_member_is_refused(s):
    the_error(s.restconf("PUT", s.AUTH_SERVER + SCOPES + "/scope=x", {"scope": [{"id": "x"}]}), 400, "malformed-message")


@pytest.mark.parametrize("settings, words", [
    ({"scopes": {"all": {}}}, "empty"),  # <all/> in Curity's exports: an empty leaf, [null]
    ({"capabilities": {"code": {}}}, "empty"),  # <code/> under non-templatized capabilities
    ({"authenticators": {"all": {}}}, "empty"),
    ({"client-authentication-method": {"secret": [None]}}, "object"),  # <secret> has children: a container
    ({"capabilities": {"client_credentials": [None]}}, "unknown element"),  # closed container
    ({"scopes": {"everything": [None]}}, "unknown element"),
])
def test_the_dcr_elements_take_the_encoding_of_curitys_exports_and_closed_containers_refuse_unknown_members(
        s, settings, words):
    s.create_client("konnect-dcr", "S3cr3t!")
    body = {"profile-oauth:dynamic-client-registration": {
        "client-data-source": "default-datasource",
        "non-templatized": dict({"authenticate-client-by": ["konnect-dcr"]}, **settings)}}
    response = s.restconf("PUT", s.AUTH_SERVER + "/dynamic-client-registration", body)
    assert response.status_code == 400 and words in errors_of(response)[0]["error-message"], response.text


def test_management_clients_is_a_container_not_a_list(s):
    s.create_client("konnect-dcr", "S3cr3t!")
    body = {"profile-oauth:dynamic-client-registration": {
        "client-data-source": "default-datasource", "non-templatized": {"authenticate-client-by": ["konnect-dcr"]},
        "client-management": {"management-clients": ["konnect-dcr"]}}}
    response = s.restconf("PUT", s.AUTH_SERVER + "/dynamic-client-registration", body)
    assert response.status_code == 400 and "object" in errors_of(response)[0]["error-message"]
    body["profile-oauth:dynamic-client-registration"]["client-management"] = {"unknown": {}}
    the_error(s.restconf("PUT", s.AUTH_SERVER + "/dynamic-client-registration", body), 400, "unknown-element")


def test_a_client_capability_the_profile_has_not_enabled_is_refused(s):
    assert s.restconf("DELETE", s.AUTH_SERVER + "/client-capabilities/client-credentials").status_code == 204
    response = s.restconf("PUT", s.AUTH_SERVER + CLIENTS + "/client=konnect-dcr", {"profile-oauth:client": [
        {"id": "konnect-dcr", "secret": "S3cr3t!", "capabilities": {"client-credentials": [None]}}]})
    error = the_error(response, 400, "invalid-value")
    assert "not enabled on the profile" in error["error-message"]
    patch = {"profile-oauth:client-capabilities": {"client-credentials": [None]}}
    assert s.restconf("PATCH", s.AUTH_SERVER + "/client-capabilities", patch).status_code == 204
    s.create_client("konnect-dcr", "S3cr3t!")
    # and a capability a client uses cannot leave the profile
    the_error(s.restconf("DELETE", s.AUTH_SERVER + "/client-capabilities/client-credentials"), 409, "in-use")


def test_service_roles_deploy_existing_endpoints_only_and_a_leaf_list_entry_can_be_deleted(s):
    roles = "base:environments/environment/services/service-role"
    patch = {"base:service-role": [{"id": "default", "endpoints": ["no-such-endpoint"]}]}
    the_error(s.restconf("PATCH", roles + "=default", patch), 400, "invalid-value")
    s.deploy_dcr_endpoint()
    assert "token-service-dynamic-client-registration" in s.restconf("GET", roles + "=default").json()[
        "base:service-role"][0]["endpoints"]
    endpoint = s.PROFILE + "/endpoints/endpoint=token-service-dynamic-client-registration"
    the_error(s.restconf("DELETE", endpoint), 409, "in-use")  # still deployed
    entry = roles + "=default/endpoints=token-service-dynamic-client-registration"
    assert s.restconf("DELETE", entry).status_code == 204
    assert s.restconf("DELETE", entry).status_code == 404
    assert s.restconf("DELETE", endpoint).status_code == 204


def test_two_endpoints_cannot_share_a_path(s):
    body = {"base:endpoint": [{"id": "other", "uri": "/oauth/v2/oauth-token", "endpoint-kind": "oauth-introspect"}]}
    response = s.restconf("PUT", s.PROFILE + "/endpoints/endpoint=other", body)
    assert response.status_code == 400 and "path" in errors_of(response)[0]["error-message"]


def test_custom_token_issuers_have_a_three_part_key_and_checked_references(s):
    issuers = s.PROFILE + "/token-issuers"
    good = {"id": "userinfo", "issuer-type": "jwt", "purpose-type": "userinfo",
            "jwt": {"signing-key-id": "default-signing-key",
                    "verification-keystore-id": "default-signature-verification-key"},
            "data-sources": {"tokens-data-source-id": "default-datasource"}}
    the_error(s.restconf("PUT", issuers + "/custom-token-issuer=userinfo", {"base:custom-token-issuer": [good]}),
              400, "malformed-message")  # a key of three parts
    url = issuers + "/custom-token-issuer=userinfo,jwt,userinfo"
    for broken, words in ((dict(good, jwt={"signing-key-id": "no-such-key"}), "signing-key"),
                          (dict(good, jwt={}), "signing-key-id"),
                          (dict(good, jwt={"signing-key-id": "default-signing-key", "verification-keystore-id": "x"}),
                           "signature-verification-key"),
                          (dict(good, **{"data-sources": {"tokens-data-source-id": "nope"}}), "data-source")):
        response = s.restconf("PUT", url, {"base:custom-token-issuer": [broken]})
        assert response.status_code == 400 and words in errors_of(response)[0]["error-message"], response.text
    assert s.restconf("PUT", url, {"base:custom-token-issuer": [good]}).status_code == 201
    read = s.restconf("GET", url).json()["base:custom-token-issuer"]
    assert read == [good]
