# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gateway stand-in: the seeded route, protected by application registration with Curity credentials."""

from __future__ import annotations

import base64
import time

import pytest


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()}


def approved_application(sandbox, version="v3"):
    """A DCR application of the seeded developer with an approved registration; (created body, client_id, secret)."""
    info = sandbox.info()
    portal_id = info["portal_id"] if version == "v3" else info["classic_portal_id"]
    client = sandbox.portal(portal_id)
    created = client.post("/api/%s/applications" % version, json={"name": "gateway-" + version}).json()
    target = {"api_id": info["api_id"]} if version == "v3" else {"product_version_id": info["product_version_id"]}
    registration = client.post("/api/%s/applications/%s/registrations" % (version, created["id"]), json=target).json()
    sandbox.admin().patch("/%s/portals/%s/applications/%s/registrations/%s" % (
        version, portal_id, created["id"], registration["id"]), json={"status": "approved"})
    if version == "v3":
        return created, created["client_id"], created["client_secret"], registration
    return created, created["credentials"]["client_id"], created["credentials"]["client_secret"], registration


def test_unknown_route_is_kongs_404(konnect_sandbox):
    response = konnect_sandbox.gateway().get("/nowhere")
    assert response.status_code == 404 and response.json() == {"message": "no Route matched with those values"}
    assert konnect_sandbox.gateway().get("/demonstration").status_code == 404  # prefix match is by path segment


def test_route_without_application_auth_is_open(konnect_sandbox):
    # Seed: the API and the product version are published without an auth strategy, so the application-auth
    # plugin lets every request through and the route is proxied as is.
    response = konnect_sandbox.gateway().get(konnect_sandbox.info()["route_path"] + "/items", params={"q": "1"})
    assert response.status_code == 200
    assert response.json()["path"] == "/demo/items" and "application_id" not in response.json()


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_approved_registration_gets_through_with_basic_auth(konnect_sandbox, version):
    konnect_sandbox.configure_dcr()
    created, client_id, secret = approved_application(konnect_sandbox, version)[:3]
    response = konnect_sandbox.gateway().post("/demo/orders", headers=basic(client_id, secret), json={"a": 1})
    assert response.status_code == 200, response.text
    assert response.json()["application_id"] == created["id"] and response.json()["method"] == "POST"
    assert secret not in response.text


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic"},
    {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": "Token abc"},
], ids=["none", "empty-basic", "opaque-bearer", "other-scheme"])
def test_missing_or_malformed_credentials_are_401(konnect_sandbox, headers):
    konnect_sandbox.configure_dcr()
    response = konnect_sandbox.gateway().get("/demo", headers=headers)
    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
    assert "WWW-Authenticate" in response.headers


def test_wrong_secret_and_literal_basic_are_401(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    client_id, secret = approved_application(konnect_sandbox)[1:3]
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo", headers=basic(client_id, secret + "x")).status_code == 401
    assert gateway.get("/demo", headers=basic("unknown-client", secret)).status_code == 401
    assert gateway.get("/demo", headers={"Authorization": "Basic %s:%s" % (client_id, secret)}).status_code == 401
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 200


def test_valid_client_without_approved_registration_is_403(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    info, client = konnect_sandbox.info(), konnect_sandbox.portal()
    created = client.post("/api/v3/applications", json={"name": "unregistered"}).json()
    credentials = basic(created["client_id"], created["client_secret"])
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo", headers=credentials).status_code == 403
    registration = client.post("/api/v3/applications/%s/registrations" % created["id"], json={"api_id": info["api_id"]}).json()
    assert registration["status"] == "pending"
    assert gateway.get("/demo", headers=credentials).status_code == 403
    path = "/v3/portals/%s/applications/%s/registrations/%s" % (info["portal_id"], created["id"], registration["id"])
    konnect_sandbox.admin().patch(path, json={"status": "approved"})
    assert gateway.get("/demo", headers=credentials).status_code == 200
    konnect_sandbox.admin().patch(path, json={"status": "revoked"})
    response = gateway.get("/demo", headers=credentials)
    assert response.status_code == 403 and response.json()["message"]


def test_a_client_no_konnect_application_has_is_401_before_any_idp_call(konnect_sandbox, monkeypatch):
    # Curity knows the initial client (its secret is right), but no Konnect application has it.
    import konnect_store  # noqa: PLC0415 (the sandbox's own module, to count its calls to the IdP)

    konnect_sandbox.configure_dcr()
    approved_application(konnect_sandbox)
    asked = []
    real = konnect_store.client_credentials_token
    monkeypatch.setattr(konnect_store, "client_credentials_token", lambda *a, **k: asked.append(a[2]) or real(*a, **k))
    credentials = basic(konnect_sandbox.DCR_CLIENT_ID, konnect_sandbox.dcr_client_secret)
    response = konnect_sandbox.gateway().get("/demo", headers=credentials)
    assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
    assert asked == []  # the lookup among Konnect's applications comes first
    # The same client with a Bearer token Curity issued: valid at the IdP, unknown to Konnect, 401 too.
    token = konnect_sandbox.curity_token(konnect_sandbox.DCR_CLIENT_ID, konnect_sandbox.dcr_client_secret, "dcr")
    assert token.status_code == 200, token.text
    bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
    assert konnect_sandbox.gateway().get("/demo", headers=bearer).status_code == 401


def test_old_secret_is_401_after_rotation(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    created, client_id, old = approved_application(konnect_sandbox)[:3]
    new = konnect_sandbox.portal().post("/api/v3/applications/%s/regenerate-secret" % created["id"]).json()["client_secret"]
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo", headers=basic(client_id, old)).status_code == 401
    assert gateway.get("/demo", headers=basic(client_id, new)).status_code == 200


def test_bearer_token_from_curity(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    created, client_id, secret = approved_application(konnect_sandbox)[:3]
    token = konnect_sandbox.curity_token(client_id, secret)
    assert token.status_code == 200
    bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
    response = konnect_sandbox.gateway().get("/demo", headers=bearer)
    assert response.status_code == 200 and response.json()["application_id"] == created["id"]
    forged = token.json()["access_token"][:-4] + ("AAAA" if not token.json()["access_token"].endswith("AAAA") else "BBBB")
    assert konnect_sandbox.gateway().get("/demo", headers={"Authorization": "Bearer " + forged}).status_code == 401


def test_auth_methods_of_the_strategy_are_enforced(konnect_sandbox):
    konnect_sandbox.configure_dcr(auth_methods=("bearer",))
    client_id, secret = approved_application(konnect_sandbox)[1:3]
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 401
    token = konnect_sandbox.curity_token(client_id, secret).json()["access_token"]
    assert gateway.get("/demo", headers={"Authorization": "Bearer " + token}).status_code == 200


def test_deleted_application_is_401(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    created, client_id, secret = approved_application(konnect_sandbox)[:3]
    konnect_sandbox.portal().delete("/api/v3/applications/" + created["id"])
    assert konnect_sandbox.gateway().get("/demo", headers=basic(client_id, secret)).status_code == 401


def unpublish_everything(sandbox, keep=None):
    """Take the seeded API off the new portal and the product version off the classic one (``keep``: leave that one)."""
    info, admin = sandbox.info(), sandbox.admin()
    if keep != "v3":
        assert admin.delete("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"])).status_code == 204
    if keep != "v2":
        path = "/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"])
        response = admin.patch(path, json={"publish_status": "unpublished", "auth_strategy_ids": []})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_an_unpublished_api_refuses_anonymous_callers_and_old_credentials(konnect_sandbox, version):
    konnect_sandbox.configure_dcr()
    _created, client_id, secret = approved_application(konnect_sandbox, version)[:3]
    unpublish_everything(konnect_sandbox)
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo").status_code == 401  # the plugin stays on the linked service, with no strategy
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 401
    token = konnect_sandbox.curity_token(client_id, secret).json()["access_token"]
    assert gateway.get("/demo", headers={"Authorization": "Bearer " + token}).status_code == 401


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_a_publication_without_strategy_is_open_to_anyone(konnect_sandbox, version):
    info = konnect_sandbox.info()
    konnect_sandbox.configure_dcr()
    _created, client_id, secret = approved_application(konnect_sandbox, version)[:3]
    unpublish_everything(konnect_sandbox, keep=version)
    admin = konnect_sandbox.admin()
    if version == "v3":
        admin.put("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]), json={"auth_strategy_ids": None})
    else:
        admin.patch("/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"]),
                    json={"auth_strategy_ids": []})
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo").status_code == 200
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 200


def test_a_service_no_api_is_linked_to_has_no_plugin(konnect_sandbox):
    info, admin = konnect_sandbox.info(), konnect_sandbox.admin()
    unpublish_everything(konnect_sandbox)
    assert admin.patch("/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"]),
                       json={"application_registration_enabled": False}).status_code == 200
    linked = [i for i, record in konnect_sandbox.state.implementations.items() if record["api_id"] == info["api_id"]]
    for implementation_id in linked:  # the sandbox has no list of implementations: its state names them
        assert admin.delete("/v3/apis/%s/implementations/%s" % (info["api_id"], implementation_id)).status_code == 204
    assert konnect_sandbox.gateway().get("/demo").status_code == 200  # a plain Kong route


# --------------------------------------------------------------------------- what reaches the gateway, and when
def gateway_delays(sandbox, **settings):
    """Turn on the gateway's configuration push delay and credential cache (as ``PUT /gateway`` does)."""
    with sandbox.ctx.lock:
        return sandbox.state.data_plane.configure(settings, sandbox.state)


def until(check, timeout=30.0):
    """Poll ``check`` until it is true (AssertionError after ``timeout`` seconds)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "still not so after %ss" % timeout
        time.sleep(0.05)


def test_approvals_and_revocations_reach_the_gateway_after_the_push_delay(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    info, client = konnect_sandbox.info(), konnect_sandbox.portal()
    created = client.post("/api/v3/applications", json={"name": "pushed"}).json()
    registration = client.post("/api/v3/applications/%s/registrations" % created["id"], json={"api_id": info["api_id"]}).json()
    gateway_delays(konnect_sandbox, config_delay_s=3.0)
    credentials, gateway = basic(created["client_id"], created["client_secret"]), konnect_sandbox.gateway()
    path = "/v3/portals/%s/applications/%s/registrations/%s" % (info["portal_id"], created["id"], registration["id"])

    for status, before, after in (("approved", 403, 200), ("revoked", 200, 403)):
        changed = time.monotonic()
        assert konnect_sandbox.admin().patch(path, json={"status": status}).json()["status"] == status
        assert gateway.get("/demo", headers=credentials).status_code == before  # Konnect has it, the gateway not yet
        until(lambda: gateway.get("/demo", headers=credentials).status_code == after)
        assert time.monotonic() - changed >= 3.0


def test_the_push_delay_is_off_by_default_and_after_a_reset(konnect_sandbox):
    assert konnect_sandbox.state.data_plane.settings() == {"config_delay_s": 0.0, "credential_cache_s": 0.0}
    konnect_sandbox.configure_dcr()
    client_id, secret = approved_application(konnect_sandbox)[1:3]
    assert konnect_sandbox.gateway().get("/demo", headers=basic(client_id, secret)).status_code == 200


@pytest.mark.parametrize("cache_tokens", [None, False], ids=["cache-by-default", "cache_tokens-false"])
def test_a_rotated_secret_works_while_cached_unless_cache_tokens_is_false(konnect_sandbox, cache_tokens):
    konnect_sandbox.configure_dcr()
    if cache_tokens is not None:
        strategy = konnect_sandbox.admin().get("/v2/application-auth-strategies").json()["data"]
        strategy_id = [s["id"] for s in strategy if s["strategy_type"] == "openid_connect"][0]
        konnect_sandbox.admin().patch("/v2/application-auth-strategies/" + strategy_id,
                                      json={"configs": {"openid-connect": {"cache_tokens": cache_tokens}}})
    created, client_id, old = approved_application(konnect_sandbox)[:3]
    gateway_delays(konnect_sandbox, credential_cache_s=4.0)
    gateway = konnect_sandbox.gateway()
    accepted = time.monotonic()
    assert gateway.get("/demo", headers=basic(client_id, old)).status_code == 200  # accepted, now cached
    new = konnect_sandbox.portal().post("/api/v3/applications/%s/regenerate-secret" % created["id"]).json()["client_secret"]
    assert konnect_sandbox.curity_token(client_id, old).status_code == 401  # Curity refuses the old secret at once
    assert gateway.get("/demo", headers=basic(client_id, new)).status_code == 200
    if cache_tokens is False:
        assert gateway.get("/demo", headers=basic(client_id, old)).status_code == 401
        return
    assert gateway.get("/demo", headers=basic(client_id, old)).status_code == 200  # the gateway's cache
    until(lambda: gateway.get("/demo", headers=basic(client_id, old)).status_code == 401)
    assert time.monotonic() - accepted >= 4.0
    assert gateway.get("/demo", headers=basic(client_id, old + "x")).status_code == 401  # refusals are not cached


def test_a_deleted_application_works_while_its_deletion_is_pushed_and_its_credentials_cached(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    created, client_id, secret = approved_application(konnect_sandbox)[:3]
    gateway_delays(konnect_sandbox, config_delay_s=3.0, credential_cache_s=10.0)
    gateway = konnect_sandbox.gateway()
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 200
    deleted = time.monotonic()
    assert konnect_sandbox.portal().delete("/api/v3/applications/" + created["id"]).status_code == 204
    # Curity no longer has the client, but the gateway's cache vouches for it until the deletion is pushed.
    assert konnect_sandbox.curity_token(client_id, secret).status_code == 401
    assert gateway.get("/demo", headers=basic(client_id, secret)).status_code == 200
    until(lambda: gateway.get("/demo", headers=basic(client_id, secret)).status_code == 401)
    assert time.monotonic() - deleted >= 3.0
