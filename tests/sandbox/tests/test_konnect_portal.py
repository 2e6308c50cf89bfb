# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The developer Portal API stand-in (v3 and classic v2), with DCR at the Curity stand-in, over real HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

# (portal key in info(), API version, registration target key in info(), registration body field)
PORTALS = [("portal_id", "v3", "api_id", "api_id"), ("classic_portal_id", "v2", "product_version_id", "product_version_id")]


def portal_of(sandbox, key):
    info = sandbox.info()
    return info[key], sandbox.portal(info[key])


def secret_of(created, version):
    return created["client_secret"] if version == "v3" else created["credentials"]["client_secret"]


def client_id_of(created, version):
    return created["client_id"] if version == "v3" else created["credentials"]["client_id"]


# --------------------------------------------------------------------------- login
@pytest.mark.parametrize("key, version", [p[:2] for p in PORTALS])
def test_login_sets_the_portal_cookie(konnect_sandbox, key, version):
    info = konnect_sandbox.info()
    client = konnect_sandbox.portal(info[key], login=False)
    assert client.get("/api/%s/developer/me" % version).status_code == 401
    response = client.post("/api/%s/developer/authenticate" % version,
                           json={"username": info["developer_email"], "password": info["developer_password"]})
    assert response.status_code == 204 and response.content == b""
    cookie = next(c for c in response.headers.get("Set-Cookie").split(", portal") if c.startswith("portalaccesstoken="))
    assert "HttpOnly" in cookie and "Path=/" in cookie
    me = client.get("/api/%s/developer/me" % version)
    assert me.status_code == 200 and me.json()["email"] == info["developer_email"]
    assert "password" not in me.text and info["developer_password"] not in me.text
    assert client.post("/api/%s/developer/logout" % version).status_code == 204
    assert client.get("/api/%s/developer/me" % version).status_code == 401


def test_wrong_password_and_missing_fields(konnect_sandbox):
    info = konnect_sandbox.info()
    client = konnect_sandbox.portal(login=False)
    wrong = client.post("/api/v3/developer/authenticate", json={"username": info["developer_email"], "password": "nope"})
    assert wrong.status_code == 401 and wrong.headers["Content-Type"].startswith("application/problem+json")
    assert wrong.json()["title"] == "Invalid Credentials" and "Set-Cookie" not in wrong.headers
    missing = client.post("/api/v3/developer/authenticate", json={"username": info["developer_email"]})
    assert missing.status_code == 400
    assert missing.json()["invalid_parameters"][0]["field"] == "password"


def test_pending_developer_needs_approval(konnect_sandbox):
    info, admin = konnect_sandbox.info(), konnect_sandbox.admin()
    base = "/v3/portals/%s/developers" % info["portal_id"]
    developer = admin.get(base).json()["data"][0]
    admin.patch(base + "/" + developer["id"], json={"status": "pending"})
    response = konnect_sandbox.portal(login=False).post("/api/v3/developer/authenticate", json={
        "username": info["developer_email"], "password": info["developer_password"]})
    assert response.status_code == 401 and response.json()["title"] == "Approval Required"
    admin.patch(base + "/" + developer["id"], json={"status": "approved"})
    assert konnect_sandbox.portal().get("/api/v3/applications").status_code == 200


def test_session_is_bound_to_its_portal_and_to_approval(konnect_sandbox):
    info = konnect_sandbox.info()
    v3 = konnect_sandbox.portal()
    classic = konnect_sandbox.portal(info["classic_portal_id"], login=False)
    cookie = v3.session.cookies.get("portalaccesstoken")
    assert classic.get("/api/v2/applications", cookies={"portalaccesstoken": cookie}).status_code == 401
    assert v3.get("/api/v2/applications").status_code == 404  # a new Dev Portal has no classic API
    developer = konnect_sandbox.admin().get("/v3/portals/%s/developers" % info["portal_id"]).json()["data"][0]
    konnect_sandbox.admin().patch("/v3/portals/%s/developers/%s" % (info["portal_id"], developer["id"]),
                                  json={"status": "revoked"})
    assert v3.get("/api/v3/applications").status_code == 401


def test_refresh_issues_a_new_access_cookie(konnect_sandbox):
    client = konnect_sandbox.portal()
    before = client.session.cookies.get("portalaccesstoken")
    assert client.post("/api/v3/developer/refresh").status_code == 204
    assert client.session.cookies.get("portalaccesstoken") not in (None, before)
    assert client.get("/api/v3/applications").status_code == 200
    assert konnect_sandbox.portal(login=False).post("/api/v3/developer/refresh").status_code == 401


# --------------------------------------------------------------------------- applications with DCR
@pytest.mark.parametrize("key, version", [p[:2] for p in PORTALS])
def test_dcr_application_secret_is_shown_once(konnect_sandbox, key, version):
    ids = konnect_sandbox.configure_dcr()
    client = portal_of(konnect_sandbox, key)[1]
    strategies = client.get("/api/v3/application-auth-strategies" if version == "v3" else
                            "/api/v2/applications/auth-strategies").json()["data"]
    assert [(s["id"], s["credential_type"]) for s in strategies] == [(ids["strategy_id"], "client_credentials")]
    response = client.post("/api/%s/applications" % version, json={
        "name": "my-app", "description": "demo", "redirect_uri": "https://app.example.com/callback"})
    assert response.status_code == 201, response.text
    created = response.json()
    secret, client_id = secret_of(created, version), client_id_of(created, version)
    assert created["auth_strategy"]["id"] == ids["strategy_id"] and created["redirect_uri"] == "https://app.example.com/callback"
    if version == "v2":
        assert created["reference_id"] == client_id
    # Curity issued the client: its credentials work at Curity's token endpoint.
    assert konnect_sandbox.curity_token(client_id, secret).status_code == 200
    assert konnect_sandbox.curity_token(client_id, secret + "x").status_code == 401
    for later in (client.get("/api/%s/applications" % version), client.get("/api/%s/applications/%s" % (version, created["id"])),
                  konnect_sandbox.admin().get("/%s/portals/%s/applications" % (version, konnect_sandbox.info()[key]))):
        assert later.status_code == 200 and secret not in later.text and "client_secret" not in later.text
    # Konnect keeps no secret of the client at all.
    assert secret not in repr(konnect_sandbox.state.applications)


def test_dcr_registration_body_sent_to_curity(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    created = konnect_sandbox.portal().post("/api/v3/applications", json={"name": "named-at-curity"}).json()
    record = konnect_sandbox.ctx.curity.client_record(created["client_id"])
    assert record is not None
    assert "named-at-curity" in repr(record) and "client_credentials" in repr(record)


@pytest.mark.parametrize("admin_side", [False, True], ids=["developer-api", "admin-api"])
def test_no_initial_token_is_unable_to_create_one_time_access_token(konnect_sandbox, admin_side):
    ids = konnect_sandbox.configure_dcr()
    konnect_sandbox.admin().patch("/v2/dcr-providers/" + ids["provider_id"],
                                  json={"dcr_config": {"initial_client_secret": "no-longer-valid"}})
    info, client = konnect_sandbox.info(), konnect_sandbox.portal()
    if admin_side:
        owner = {"type": "developer", "id": konnect_sandbox.admin().get(
            "/v3/portals/%s/developers" % info["portal_id"]).json()["data"][0]["id"]}
        response = konnect_sandbox.admin().post("/v3/portals/%s/applications" % info["portal_id"],
                                                json={"name": "doomed", "owner": owner})
    else:
        response = client.post("/api/v3/applications", json={"name": "doomed"})
    # The words real Konnect answers when it cannot obtain its initial access token.
    assert response.status_code == 400 and response.json()["detail"] == "Unable to create one time access token"
    assert client.get("/api/v3/applications").json()["data"] == []
    assert konnect_sandbox.state.applications == {}


def test_a_refused_registration_is_unable_to_create_the_dcr_application(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    # Konnect obtains its initial token, but Curity no longer offers registration (DCR removed).
    removed = konnect_sandbox.restconf().delete("/%s/dynamic-client-registration" % konnect_sandbox.AUTH_SERVER)
    assert removed.status_code == 204, removed.text
    response = konnect_sandbox.portal().post("/api/v3/applications", json={"name": "doomed"})
    assert response.status_code == 400 and response.json()["detail"] == "Unable to create the DCR application"
    assert konnect_sandbox.state.applications == {}


def test_application_needs_a_strategy_enabled_on_the_portal(konnect_sandbox):
    info, client = konnect_sandbox.info(), konnect_sandbox.portal()
    # The portal's own Key Auth strategy (its default): an application without a secret.
    keyed = client.post("/api/v3/applications", json={"name": "keyed"})
    assert keyed.status_code == 201 and keyed.json()["auth_strategy"]["credential_type"] == "key_auth"
    assert "client_secret" not in keyed.json()
    konnect_sandbox.admin().patch("/v3/portals/" + info["portal_id"], json={"default_application_auth_strategy_id": None})
    response = client.post("/api/v3/applications", json={"name": "nowhere"})  # no default, nothing published with one
    assert response.status_code == 400 and response.json()["invalid_parameters"][0]["field"] == "auth_strategy_id"
    response = client.post("/api/v3/applications", json={"name": "x", "auth_strategy_id": "3f1b2a8e-0000-4000-8000-000000000000"})
    assert response.status_code == 404


def test_dcr_application_refuses_a_client_id(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    response = konnect_sandbox.portal().post("/api/v3/applications", json={"name": "mine", "client_id": "chosen"})
    assert response.status_code == 400 and response.json()["invalid_parameters"][0]["field"] == "client_id"


def test_application_names_filters_and_updates(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    client = konnect_sandbox.portal()
    for name in ("orders-app", "billing-app"):
        assert client.post("/api/v3/applications", json={"name": name}).status_code == 201
    duplicate = client.post("/api/v3/applications", json={"name": "orders-app"})
    assert duplicate.status_code == 409 and duplicate.json()["title"] == "Conflict"
    names = [[a["name"] for a in client.get("/api/v3/applications", params=q).json()["data"]]
             for q in ({"filter[name][eq]": "orders-app"}, {"filter[name]": "billing-app"}, {"filter[name][contains]": "APP"})]
    assert names == [["orders-app"], ["billing-app"], ["orders-app", "billing-app"]]
    app_id = client.get("/api/v3/applications", params={"filter[name]": "orders-app"}).json()["data"][0]["id"]
    patched = client.patch("/api/v3/applications/" + app_id, json={"description": "updated", "redirect_uri": None})
    assert patched.status_code == 200 and patched.json()["description"] == "updated"
    assert client.patch("/api/v3/applications/" + app_id, json={"name": "billing-app"}).status_code == 409
    assert client.patch("/api/v3/applications/" + app_id, json={"auth_strategy_id": None}).status_code == 400


@pytest.mark.parametrize("key, version", [p[:2] for p in PORTALS])
def test_rotation_goes_through_curity(konnect_sandbox, key, version):
    konnect_sandbox.configure_dcr()
    client = portal_of(konnect_sandbox, key)[1]
    created = client.post("/api/%s/applications" % version, json={"name": "rotating"}).json()
    old, client_id = secret_of(created, version), client_id_of(created, version)
    path = "/api/%s/applications/%s/%s" % (version, created["id"], "regenerate-secret" if version == "v3" else "refresh-token")
    for _round in range(2):  # twice: the registration access token Curity rotated is the one Konnect must use next
        rotated = client.post(path)
        assert rotated.status_code == 201 and rotated.json()["client_id"] == client_id
        new = rotated.json()["client_secret"]
        assert new != old
        assert konnect_sandbox.curity_token(client_id, new).status_code == 200
        assert konnect_sandbox.curity_token(client_id, old).status_code == 401
        old = new


def test_deleting_the_application_deletes_the_curity_client(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    client = konnect_sandbox.portal()
    created = client.post("/api/v3/applications", json={"name": "short-lived"}).json()
    assert konnect_sandbox.curity_token(created["client_id"], created["client_secret"]).status_code == 200
    assert client.delete("/api/v3/applications/" + created["id"]).status_code == 204
    assert client.get("/api/v3/applications/" + created["id"]).status_code == 404
    assert konnect_sandbox.curity_token(created["client_id"], created["client_secret"]).status_code == 401
    assert konnect_sandbox.ctx.curity.client_record(created["client_id"]) is None


def test_applications_are_private_to_their_developer(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    info, admin = konnect_sandbox.info(), konnect_sandbox.admin()
    mine = konnect_sandbox.portal().post("/api/v3/applications", json={"name": "mine"}).json()
    developer = admin.post("/v3/portals/%s/developers" % info["portal_id"], json={
        "email": "other@example.com", "full_name": "Other"}).json()
    konnect_sandbox.state.developers[developer["id"]]["password_hash"] = \
        konnect_sandbox.state.developers[next(iter(konnect_sandbox.state.developers))]["password_hash"]
    other = konnect_sandbox.portal(login=False)
    assert other.post("/api/v3/developer/authenticate", json={
        "username": "other@example.com", "password": info["developer_password"]}).status_code == 204
    assert other.get("/api/v3/applications").json()["data"] == []
    assert other.get("/api/v3/applications/" + mine["id"]).status_code == 404


# --------------------------------------------------------------------------- registrations
@pytest.mark.parametrize("key, version, target_key, field", PORTALS)
def test_registration_needs_approval_unless_auto_approved(konnect_sandbox, key, version, target_key, field):
    konnect_sandbox.configure_dcr()
    info = konnect_sandbox.info()
    client = portal_of(konnect_sandbox, key)[1]
    created = client.post("/api/%s/applications" % version, json={"name": "registering"}).json()
    base = "/api/%s/applications/%s/registrations" % (version, created["id"])
    registration = client.post(base, json={field: info[target_key]})
    assert registration.status_code == 201, registration.text
    assert registration.json()["status"] == "pending" and registration.json()[field] == info[target_key]
    again = client.post(base, json={field: info[target_key]})
    assert again.status_code == 409 and "already registered" in again.json()["detail"]
    assert client.get(base, params={"filter[status]": "pending"}).json()["meta"]["page"]["total"] == 1
    assert client.get(base + "/" + registration.json()["id"]).json()["status"] == "pending"
    assert client.delete(base + "/" + registration.json()["id"]).status_code == 204
    assert client.get(base).json()["data"] == []


@pytest.mark.parametrize("key, version, target_key, field", PORTALS)
def test_auto_approve_settings(konnect_sandbox, key, version, target_key, field):
    konnect_sandbox.configure_dcr(auto_approve=True)
    info = konnect_sandbox.info()
    client = portal_of(konnect_sandbox, key)[1]
    created = client.post("/api/%s/applications" % version, json={"name": "fast-track"}).json()
    registration = client.post("/api/%s/applications/%s/registrations" % (version, created["id"]),
                               json={field: info[target_key]})
    assert registration.status_code == 201 and registration.json()["status"] == "approved"


def test_portal_wide_auto_approve_applications(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    info = konnect_sandbox.info()
    konnect_sandbox.admin().patch("/v3/portals/" + info["portal_id"], json={"auto_approve_applications": True})
    client = konnect_sandbox.portal()
    created = client.post("/api/v3/applications", json={"name": "portal-approved"}).json()
    registration = client.post("/api/v3/applications/%s/registrations" % created["id"], json={"api_id": info["api_id"]})
    assert registration.json()["status"] == "approved"


def test_registration_needs_the_api_published_with_the_application_strategy(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    other_api = admin.post("/v3/apis", json={"name": "unpublished"}).json()
    client = konnect_sandbox.portal()
    created = client.post("/api/v3/applications", json={"name": "picky"}).json()
    base = "/api/v3/applications/%s/registrations" % created["id"]
    assert client.post(base, json={"api_id": other_api["id"]}).status_code == 404
    admin.put("/v3/apis/%s/publications/%s" % (other_api["id"], info["portal_id"]), json={"auth_strategy_ids": None})
    assert client.post(base, json={"api_id": other_api["id"]}).status_code == 400


# --------------------------------------------------------------------------- portal context
def test_portal_context_answers_without_login(konnect_sandbox):
    info = konnect_sandbox.info()
    v3 = konnect_sandbox.portal(login=False).get("/api/v3/portal")
    assert v3.status_code == 200, v3.text
    context = v3.json()
    assert context == {"portal_id": info["portal_id"], "org_id": context["org_id"], "basic_auth_enabled": True,
                       "oidc_auth_enabled": False, "saml_auth_enabled": False, "authentication_enabled": True,
                       "rbac_enabled": False, "name": info["portal_name"],
                       "canonical_domain": urlsplit(info["portal_url"]).hostname}
    assert konnect_sandbox.portal().get("/api/v3/portal").json() == context  # the same once logged in
    classic = konnect_sandbox.portal(info["classic_portal_id"], login=False)
    v2 = classic.get("/api/v2/portal")
    assert v2.status_code == 200, v2.text
    assert v2.json()["portal_id"] == info["classic_portal_id"] and v2.json()["org_id"] == context["org_id"]
    assert v2.json()["is_public"] is False and v2.json()["dcr_provider_ids"] == []
    assert v2.json()["canonical_domain"] == urlsplit(info["classic_portal_url"]).hostname
    # each domain serves its own generation only
    assert konnect_sandbox.portal(login=False).get("/api/v2/portal").status_code == 404
    assert classic.get("/api/v3/portal").status_code == 404


def test_portal_context_follows_the_admin_settings(konnect_sandbox):
    ids = konnect_sandbox.configure_dcr()
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    admin.patch("/v3/portals/" + info["portal_id"], json={"display_name": "Shown Name", "rbac_enabled": True})
    context = konnect_sandbox.portal(login=False).get("/api/v3/portal").json()
    assert context["name"] == "Shown Name" and context["rbac_enabled"] is True
    admin.patch("/v2/portals/" + info["classic_portal_id"], json={"is_public": True, "display_name": "Classic"})
    classic = konnect_sandbox.portal(info["classic_portal_id"], login=False).get("/api/v2/portal").json()
    assert classic["is_public"] is True and classic["name"] == "Classic"
    assert classic["dcr_provider_ids"] == [ids["provider_id"]]


# --------------------------------------------------------------------------- catalog
def test_v3_catalog_lists_published_apis(konnect_sandbox):
    info = konnect_sandbox.info()
    anonymous = konnect_sandbox.portal(login=False)
    apis = anonymous.get("/api/v3/apis").json()["data"]
    assert [(a["id"], a["visibility"], a["auth_strategies"]) for a in apis] == [(info["api_id"], "public", [])]
    by_slug = anonymous.get("/api/v3/apis/" + apis[0]["slug"])
    assert by_slug.status_code == 200 and by_slug.json()["id"] == info["api_id"]
    konnect_sandbox.admin().put("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]),
                                json={"visibility": "private"})
    assert anonymous.get("/api/v3/apis").json()["data"] == []
    assert [a["id"] for a in konnect_sandbox.portal().get("/api/v3/apis").json()["data"]] == [info["api_id"]]


def test_v2_catalog_lists_published_products(konnect_sandbox):
    ids = konnect_sandbox.configure_dcr()
    info = konnect_sandbox.info()
    client = konnect_sandbox.portal(info["classic_portal_id"])
    products = client.get("/api/v2/products").json()["data"]
    assert [(p["id"], p["version_count"]) for p in products] == [(info["api_product_id"], 1)]
    assert products[0]["latest_version"] == {"id": info["product_version_id"], "name": info["product_version_name"]}
    versions = client.get("/api/v2/products/%s/versions" % info["api_product_id"]).json()["data"]
    assert versions[0]["registration_configs"][0]["id"] == ids["strategy_id"]
    assert versions[0]["registration_configs"][0]["registration_enabled"] is True
    single = client.get("/api/v2/products/%s/versions/%s" % (info["api_product_id"], info["product_version_id"]))
    assert single.status_code == 200 and single.json()["name"] == info["product_version_name"]
    assert client.get("/api/v2/products/" + info["api_product_id"]).json()["name"] == info["api_product_name"]
