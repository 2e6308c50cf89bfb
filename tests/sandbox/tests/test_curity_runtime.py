# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Curity stand-in's OAuth runtime (discovery, token endpoint, RFC 7591/7592), over real HTTP."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

INITIAL_CLIENT = "konnect-dcr"
INITIAL_SECRET = "S3cr3t!-initial"
APP = {"client_name": "weather app", "grant_types": ["client_credentials"], "scope": "email"}


@pytest.fixture
def s(curity_servers):
    return curity_servers


@pytest.fixture
def dcr(curity_servers):
    """Curity configured as Kong's guide says: initial client + non-templatized DCR with client management."""
    curity_servers.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    curity_servers.enable_dcr([INITIAL_CLIENT])
    return curity_servers


def initial_token(s):
    response = s.token(INITIAL_CLIENT, INITIAL_SECRET, "dcr")
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def registered(s, metadata=None):
    response = s.register(initial_token(s), dict(APP, **(metadata or {})))
    assert response.status_code == 201, response.text
    return response.json()


def oauth_error(response, status, error):
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    return response


def bearer(token):
    return {"Authorization": "Bearer " + token}


# -- discovery and JWKS ------------------------------------------------------------------------
def test_discovery_without_dcr_has_no_registration_endpoint(s):
    doc = s.discovery()
    issuer = s.runtime_url + "/oauth/v2/oauth-anonymous"
    assert doc["issuer"] == issuer == s.state.info()["curity_issuer"]
    assert doc["token_endpoint"] == s.runtime_url + "/oauth/v2/oauth-token"
    assert doc["jwks_uri"] == issuer + "/jwks"
    assert "registration_endpoint" not in doc
    assert set(doc["scopes_supported"]) == {"openid", "profile", "email", "address", "phone"}
    assert "email_verified" in doc["claims_supported"]
    assert "client_credentials" in doc["grant_types_supported"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert s.http.post(s.runtime_url + "/token-service/oauth-registration", json=APP).status_code == 404


def test_registration_endpoint_needs_dcr_enabled_and_a_dcr_endpoint_deployed_on_a_service_role(s):
    s.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    s.enable_dcr([INITIAL_CLIENT], deploy=False)
    assert "registration_endpoint" not in s.discovery()  # DCR enabled, no DCR endpoint on the fresh profile
    endpoint = {"base:endpoint": [{"id": "dcr", "uri": "/token-service/oauth-registration",
                                   "endpoint-kind": "oauth-dynamic-client-registration"}]}
    assert s.restconf("PUT", s.PROFILE + "/endpoints/endpoint=dcr", endpoint).status_code == 201
    assert "registration_endpoint" not in s.discovery()  # on the profile, deployed on no service role
    assert s.http.post(s.runtime_url + "/token-service/oauth-registration", json=APP).status_code == 404
    role = {"base:service-role": [{"id": "default", "endpoints": ["dcr"]}]}
    assert s.restconf("PATCH", "base:environments/environment/services/service-role=default", role).status_code == 204
    assert s.discovery()["registration_endpoint"] == s.runtime_url + "/token-service/oauth-registration"
    assert s.restconf("DELETE", s.AUTH_SERVER + "/dynamic-client-registration").status_code == 204
    assert "registration_endpoint" not in s.discovery()  # deployed, DCR not enabled


def test_discovery_follows_restconf_writes_immediately(dcr):
    assert dcr.discovery()["registration_endpoint"] == dcr.runtime_url + "/token-service/oauth-registration"
    hidden = {"profile-oauth:scope": [{"id": "internal", "expose-in-metadata": False}]}
    assert dcr.restconf("PUT", dcr.AUTH_SERVER + "/scopes/scope=internal", hidden).status_code == 201
    assert dcr.restconf("PUT", dcr.AUTH_SERVER + "/scopes/scope=kong-api", {"profile-oauth:scope": [{"id": "kong-api"}]}).status_code == 201
    assert dcr.restconf("DELETE", dcr.AUTH_SERVER + "/dynamic-client-registration/non-templatized").status_code == 204
    doc = dcr.discovery()
    assert "registration_endpoint" not in doc
    assert "kong-api" in doc["scopes_supported"] and "internal" not in doc["scopes_supported"]


def test_jwt_access_tokens_verify_against_the_jwks(s):
    s.create_client("api-client", "api-secret", scope=["email"])
    opaque = s.token("api-client", "api-secret", "email").json()["access_token"]
    assert opaque.count(".") != 2
    patch = {"base:default-token-issuer": {"access-token-as-jwt": [None]}}
    assert s.restconf("PATCH", s.PROFILE + "/token-issuers/default-token-issuer", patch).status_code == 204
    response = s.token("api-client", "api-secret", "email").json()
    keys = KeySet.import_key_set(s.http.get(s.discovery()["jwks_uri"]).json())
    claims = jwt.decode(response["access_token"], keys, algorithms=["RS256"]).claims
    assert claims["sub"] == claims["client_id"] == "api-client"
    assert claims["iss"] == s.state.info()["curity_issuer"]
    assert claims["scope"] == "email"
    assert claims["exp"] - claims["iat"] == response["expires_in"] == 300


def test_issued_tokens_never_reach_a_log(s, caplog):
    s.create_client("api-client", "api-secret", scope=["email"])
    with caplog.at_level("DEBUG"):
        token = s.token("api-client", "api-secret", "email").json()["access_token"]
    assert token not in caplog.text and "api-secret" not in caplog.text


# -- token endpoint --------------------------------------------------------------------------------
def test_client_credentials_with_basic_and_form_authentication(s):
    s.create_client("api-client", "api-secret", scope=["email", "phone"])
    by_basic = s.token("api-client", "api-secret", "email phone")
    assert by_basic.status_code == 200
    body = by_basic.json()
    assert body["token_type"].lower() == "bearer" and body["scope"] == "email phone" and body["expires_in"] == 300
    by_form = s.http.post(s.discovery()["token_endpoint"], data={
        "grant_type": "client_credentials", "client_id": "api-client", "client_secret": "api-secret", "scope": "email"})
    assert by_form.status_code == 200
    assert s.state.introspect(by_form.json()["access_token"])["client_id"] == "api-client"


@pytest.mark.parametrize("client_id, secret", [("api-client", "wrong"), ("nobody", "api-secret")])
def test_bad_client_credentials_are_invalid_client(s, client_id, secret):
    s.create_client("api-client", "api-secret")
    response = oauth_error(s.token(client_id, secret), 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    form = s.http.post(s.discovery()["token_endpoint"], data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    oauth_error(form, 401, "invalid_client")


def test_a_disabled_client_cannot_authenticate(s):
    s.create_client("api-client", "api-secret", enabled=False)
    oauth_error(s.token("api-client", "api-secret"), 401, "invalid_client")
    assert not s.state.verify_client("api-client", "api-secret")


def test_client_without_the_client_credentials_capability_is_unauthorized_client(s):
    s.create_client("web", "web-secret", capabilities=("code",), redirect_uris=["https://app.example/cb"])
    oauth_error(s.token("web", "web-secret"), 400, "unauthorized_client")


def test_unsupported_grant_type(s):
    s.create_client("api-client", "api-secret")
    response = s.http.post(s.discovery()["token_endpoint"], data={"grant_type": "password"}, auth=("api-client", "api-secret"))
    oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize("scope", ["phone", "openid", "dcr", "dcrm", "no-such-scope"])
def test_scopes_outside_the_clients_rights_are_invalid_scope(s, scope):
    s.create_client("api-client", "api-secret", scope=["email", "openid"])
    oauth_error(s.token("api-client", "api-secret", scope), 400, "invalid_scope")


def test_dcr_scope_only_for_clients_in_authenticate_client_by(dcr):
    dcr.create_client("other", "other-secret")
    oauth_error(dcr.token("other", "other-secret", "dcr"), 400, "invalid_scope")
    assert dcr.token(INITIAL_CLIENT, INITIAL_SECRET, "dcr").json()["scope"] == "dcr"
    oauth_error(dcr.token(INITIAL_CLIENT, INITIAL_SECRET, "dcrm"), 400, "invalid_scope")


# -- the Curity half of Kong's procedure, by plain HTTP ------------------------------------------
def test_manual_procedure_end_to_end(s):
    s.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    s.enable_dcr([INITIAL_CLIENT])
    app = registered(s, {"redirect_uris": ["https://app.example/callback"]})
    assert app["client_secret_expires_at"] == 0 and app["client_id_issued_at"] > 0
    assert len(app["client_id"]) == 36 and app["client_id"].count("-") == 4
    assert app["client_name"] == "weather app" and app["grant_types"] == ["client_credentials"]
    assert app["registration_client_uri"] == s.discovery()["registration_endpoint"] + "/" + app["client_id"]
    assert app["registration_access_token_expires_in"] == 31536000
    assert app["token_endpoint_auth_method"] == "client_secret_basic"

    token = s.token(app["client_id"], app["client_secret"], "email")
    assert token.status_code == 200 and token.json()["scope"] == "email"

    read = s.http.get(app["registration_client_uri"], headers=bearer(app["registration_access_token"]))
    assert read.status_code == 200
    rotated = read.json()
    assert rotated["client_id"] == app["client_id"] and rotated["client_name"] == "weather app"
    assert rotated["client_secret"] != app["client_secret"]
    assert rotated["registration_access_token"] != app["registration_access_token"]

    oauth_error(s.token(app["client_id"], app["client_secret"]), 401, "invalid_client")
    assert s.token(app["client_id"], rotated["client_secret"], "email").status_code == 200
    stale = s.http.get(app["registration_client_uri"], headers=bearer(app["registration_access_token"]))
    assert stale.status_code == 401 and "invalid_token" in stale.headers["WWW-Authenticate"]


def test_registered_clients_live_in_the_data_source_without_secrets(dcr):
    app = registered(dcr)
    (listed,) = dcr.state.registered_clients()
    assert listed["client_id"] == app["client_id"] and listed["client_name"] == "weather app"
    assert app["client_secret"] not in repr(listed) and "secret_hash" not in listed
    assert dcr.state.verify_client(app["client_id"], app["client_secret"])
    assert not dcr.state.verify_client(app["client_id"], "wrong")
    assert app["client_id"] not in dcr.restconf("GET", "", params={"depth": "unbounded"}).text


# -- RFC 7591 registration -------------------------------------------------------------------------
def test_the_initial_access_token_is_single_use(dcr):
    token = initial_token(dcr)
    assert dcr.register(token, APP).status_code == 201
    again = oauth_error(dcr.register(token, APP), 401, "invalid_token")
    assert again.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("headers", [{}, bearer("not-a-token"), {"Authorization": "Basic a29ubmVjdC1kY3I6eA=="}])
def test_registration_without_a_valid_bearer_token_is_401(dcr, headers):
    response = dcr.http.post(dcr.discovery()["registration_endpoint"], json=APP, headers=headers)
    oauth_error(response, 401, "invalid_token")
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_registration_with_a_token_lacking_dcr_is_401(dcr):
    dcr.create_client("api-client", "api-secret", scope=["email"])
    token = dcr.token("api-client", "api-secret", "email").json()["access_token"]
    oauth_error(dcr.register(token, APP), 401, "invalid_token")


@pytest.mark.parametrize("metadata, error", [
    ({"grant_types": ["authorization_code"], "redirect_uris": ["https://app.example/cb"]}, "invalid_client_metadata"),
    ({"grant_types": []}, "invalid_client_metadata"),
    ({"scope": "email no-such-scope"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ({"redirect_uris": ["/relative/callback"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://app.example/cb#fragment"]}, "invalid_redirect_uri"),
])
def test_registration_metadata_is_checked_against_the_non_templatized_settings(dcr, metadata, error):
    token = initial_token(dcr)
    oauth_error(dcr.register(token, dict(APP, **metadata)), 400, error)
    assert dcr.state.registered_clients() == []
    # a refused registration does not use the initial token up
    assert dcr.register(token, APP).status_code == 201


def test_authorization_code_clients_get_refresh_token_and_need_redirect_uris(s):
    s.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    s.enable_dcr([INITIAL_CLIENT], capabilities=("code", "client-credentials"), scopes=["openid", "profile"])
    oauth_error(s.register(initial_token(s), {"grant_types": ["authorization_code"]}), 400, "invalid_redirect_uri")
    app = registered(s, {"grant_types": ["authorization_code"], "redirect_uris": ["io.curity.dcrclient:/callback"],
                         "scope": "openid profile"})
    assert app["grant_types"] == ["authorization_code", "refresh_token"]
    oauth_error(s.register(initial_token(s), dict(APP, scope="email")), 400, "invalid_client_metadata")


# -- RFC 7592 management ---------------------------------------------------------------------------
def test_put_replaces_metadata_and_rotates(dcr):
    app = registered(dcr)
    update = {"client_id": app["client_id"], "client_name": "renamed", "grant_types": ["client_credentials"], "scope": "phone"}
    response = dcr.http.put(app["registration_client_uri"], json=update, headers=bearer(app["registration_access_token"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_name"] == "renamed" and body["scope"] == "phone"
    assert body["client_secret"] != app["client_secret"]
    oauth_error(dcr.token(app["client_id"], body["client_secret"], "email"), 400, "invalid_scope")
    assert dcr.token(app["client_id"], body["client_secret"], "phone").status_code == 200


def test_put_needs_the_matching_client_id(dcr):
    app = registered(dcr)
    wrong = {"client_id": "someone-else", "grant_types": ["client_credentials"]}
    response = dcr.http.put(app["registration_client_uri"], json=wrong, headers=bearer(app["registration_access_token"]))
    assert response.status_code == 400
    assert dcr.token(app["client_id"], app["client_secret"], "email").status_code == 200


def test_delete_removes_the_client(dcr):
    app = registered(dcr)
    response = dcr.http.delete(app["registration_client_uri"], headers=bearer(app["registration_access_token"]))
    assert response.status_code == 204
    oauth_error(dcr.token(app["client_id"], app["client_secret"]), 401, "invalid_client")
    assert dcr.http.get(app["registration_client_uri"], headers=bearer(app["registration_access_token"])).status_code == 401
    assert dcr.state.registered_clients() == []


def test_a_registration_token_only_manages_its_own_client(dcr):
    first, second = registered(dcr), registered(dcr)
    response = dcr.http.get(second["registration_client_uri"], headers=bearer(first["registration_access_token"]))
    oauth_error(response, 401, "invalid_token")
    unknown = first["registration_client_uri"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert dcr.http.get(unknown, headers=bearer(first["registration_access_token"])).status_code == 401


def test_a_management_client_manages_every_registered_client(s):
    s.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    s.create_client("manager", "manager-secret")
    s.enable_dcr([INITIAL_CLIENT], management_clients=["manager"])
    app = registered(s)
    dcrm = s.token("manager", "manager-secret", "dcrm")
    assert dcrm.status_code == 200
    response = s.http.get(app["registration_client_uri"], headers=bearer(dcrm.json()["access_token"]))
    assert response.status_code == 200 and response.json()["client_id"] == app["client_id"]


def test_without_client_management_there_is_no_rfc_7592(s):
    s.create_client(INITIAL_CLIENT, INITIAL_SECRET)
    s.enable_dcr([INITIAL_CLIENT], management=False)
    app = registered(s)
    assert "registration_access_token" not in app and "registration_client_uri" not in app
    response = s.http.get(s.discovery()["registration_endpoint"] + "/" + app["client_id"])
    assert response.status_code == 404
