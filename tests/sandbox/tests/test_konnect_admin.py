# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Konnect admin API stand-in, over real HTTP (fixtures in conftest.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

PROBLEM = "application/problem+json"


def problem(response, status):
    """Assert an RFC 7807 Konnect error and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert re.match(r"^kong:trace:\d+$", body["instance"])
    assert body["title"] and body["detail"]
    if status == 400:
        assert body["invalid_parameters"]
    return body


def curity_provider(sandbox, **overrides):
    body = {"name": "curity", "provider_type": "curity", "issuer": sandbox.info()["curity_issuer"],
            "dcr_config": {"initial_client_id": sandbox.DCR_CLIENT_ID, "initial_client_secret": sandbox.dcr_client_secret}}
    body.update(overrides)
    return body


def oidc_strategy(sandbox, provider_id=None, **overrides):
    body = {"name": "curity-dcr", "display_name": "Curity", "strategy_type": "openid_connect",
            "configs": {"openid-connect": {"issuer": sandbox.info()["curity_issuer"], "credential_claim": ["sub"],
                                           "scopes": [], "auth_methods": ["client_credentials", "bearer"]}}}
    if provider_id:
        body["dcr_provider_id"] = provider_id
    body.update(overrides)
    return body


def create(admin, path, body):
    response = admin.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


# --------------------------------------------------------------------------- authentication
def test_missing_or_unknown_token_is_401_problem(konnect_sandbox):
    for client in (konnect_sandbox.admin(token=""), konnect_sandbox.admin(token="kpat_" + "x" * 48)):
        body = problem(client.get("/v2/dcr-providers"), 401)
        assert body["title"] == "Unauthorized"


def test_read_only_token_reads_but_cannot_write(konnect_sandbox):
    reader = konnect_sandbox.admin(token=konnect_sandbox.state.readonly_token)
    assert reader.get("/v3/portals").status_code == 200
    body = problem(reader.post("/v2/dcr-providers", json=curity_provider(konnect_sandbox)), 403)
    assert body["detail"] == "You do not have permission to perform this action"
    assert konnect_sandbox.admin().get("/v2/dcr-providers").json()["meta"]["page"]["total"] == 0


def test_unknown_id_is_404_problem(konnect_sandbox):
    admin = konnect_sandbox.admin()
    for path in ("/v2/dcr-providers/3f1b2a8e-0000-4000-8000-000000000000", "/v3/portals/not-a-uuid",
                 "/v3/apis/3f1b2a8e-0000-4000-8000-000000000000/publications/3f1b2a8e-0000-4000-8000-000000000001"):
        assert problem(admin.get(path), 404)["title"] == "Not Found"


# --------------------------------------------------------------------------- DCR providers
def test_provider_secret_is_write_only(konnect_sandbox):
    admin = konnect_sandbox.admin()
    secret = konnect_sandbox.dcr_client_secret
    created = admin.post("/v2/dcr-providers", json=curity_provider(konnect_sandbox))
    assert created.status_code == 201
    provider = created.json()
    assert provider["dcr_config"] == {"initial_client_id": konnect_sandbox.DCR_CLIENT_ID}
    assert provider["active"] is False and "display_name" not in provider
    patched = admin.patch("/v2/dcr-providers/" + provider["id"], json={"dcr_config": {"initial_client_secret": "rotated-1"}})
    assert patched.status_code == 200 and patched.json()["updated_at"] >= provider["updated_at"]
    for response in (created, patched, admin.get("/v2/dcr-providers/" + provider["id"]), admin.get("/v2/dcr-providers")):
        assert secret not in response.text and "rotated-1" not in response.text
        assert "initial_client_secret" not in response.text


@pytest.mark.parametrize("change, rule, field", [
    ({"provider_type": "Curity"}, "enum", "provider_type"),
    ({"dcr_config": {"initial_client_id": "x"}}, "required", "dcr_config.initial_client_secret"),
    ({"dcr_config": {"initial_client_id": "x", "initial_client_secret": "y", "dcr_token": "z"}}, "unknown_property",
     "dcr_config.dcr_token"),
    ({"issuer": "not a url"}, "invalid", "issuer"),
    ({"labels": {"konnect-owned": "x"}}, "is_label", "labels.konnect-owned"),
    ({"extra": 1}, "unknown_property", "extra"),
])
def test_provider_validation_names_the_field(konnect_sandbox, change, rule, field):
    body = problem(konnect_sandbox.admin().post("/v2/dcr-providers", json=curity_provider(konnect_sandbox, **change)), 400)
    assert {"field": field, "rule": rule} in [{"field": p["field"], "rule": p["rule"]} for p in body["invalid_parameters"]]
    if rule == "enum":
        assert "curity" in body["invalid_parameters"][0]["choices"]


def test_provider_type_is_immutable(konnect_sandbox):
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox))
    body = problem(admin.patch("/v2/dcr-providers/" + provider["id"], json={"provider_type": "okta"}), 400)
    assert body["invalid_parameters"][0]["field"] == "provider_type"
    assert admin.get("/v2/dcr-providers/" + provider["id"]).json()["provider_type"] == "curity"


def test_provider_labels_update_removes_null_keys(konnect_sandbox):
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox, labels={"env": "test", "team": "a"}))
    patched = admin.patch("/v2/dcr-providers/" + provider["id"], json={"labels": {"env": None, "tier": "gold"}})
    assert patched.json()["labels"] == {"team": "a", "tier": "gold"}


def test_pagination_filters_and_sort(konnect_sandbox):
    admin = konnect_sandbox.admin()
    for name in ("alpha", "beta", "gamma"):
        create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox, name=name))
    first = admin.get("/v2/dcr-providers", params={"page[size]": 2, "page[number]": 1, "sort": "name desc"}).json()
    assert [p["name"] for p in first["data"]] == ["gamma", "beta"]
    assert first["meta"]["page"] == {"number": 1, "size": 2, "total": 3}
    second = admin.get("/v2/dcr-providers", params={"page[size]": 2, "page[number]": 2, "sort": "name"}).json()
    assert [p["name"] for p in second["data"]] == ["gamma"]
    queries = {"filter[name][eq]": "beta", "filter[name]": "beta", "filter[name][contains]": "ET",
               "filter[name][oeq]": "beta,delta", "filter[provider_type][eq]": "curity"}
    for key, value in queries.items():
        names = [p["name"] for p in admin.get("/v2/dcr-providers", params={key: value}).json()["data"]]
        assert names == (["alpha", "beta", "gamma"] if key.startswith("filter[provider_type]") else ["beta"]), key
    assert [p["name"] for p in admin.get("/v2/dcr-providers", params={"filter[name][neq]": "beta"}).json()["data"]] == [
        "alpha", "gamma"]


@pytest.mark.parametrize("params, field, rule", [
    ({"page[size]": "ten"}, "page[size]", "is_number"),
    ({"filter[colour]": "red"}, "filter[colour]", "unknown_property"),
    ({"sort": "colour"}, "sort", "enum"),
])
def test_bad_query_is_400(konnect_sandbox, params, field, rule):
    body = problem(konnect_sandbox.admin().get("/v2/dcr-providers", params=params), 400)
    assert body["invalid_parameters"][0]["field"] == field
    assert body["invalid_parameters"][0]["rule"] == rule
    assert body["invalid_parameters"][0]["source"] == "query"


def test_verify_obtains_a_dcr_token_from_curity(konnect_sandbox):
    konnect_sandbox.configure_curity()
    admin = konnect_sandbox.admin()
    info = konnect_sandbox.info()
    for issuer in (info["curity_issuer"], info["curity_issuer"] + "/.well-known/openid-configuration"):
        provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox, issuer=issuer))
        response = admin.post("/v2/dcr-providers/%s/verify" % provider["id"])
        assert response.status_code == 200
        assert response.json() == {"status": "success", "errors": []}


def test_verify_reports_failure_without_leaking_the_secret(konnect_sandbox):
    konnect_sandbox.configure_curity()
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", curity_provider(
        konnect_sandbox, dcr_config={"initial_client_id": konnect_sandbox.DCR_CLIENT_ID, "initial_client_secret": "wrong-one"}))
    response = admin.post("/v2/dcr-providers/%s/verify" % provider["id"])
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and response.json()["errors"]
    assert "wrong-one" not in response.text
    # A corrected secret (write-only PATCH) makes the same provider verify.
    admin.patch("/v2/dcr-providers/" + provider["id"], json={"dcr_config": {
        "initial_client_secret": konnect_sandbox.dcr_client_secret}})
    assert admin.post("/v2/dcr-providers/%s/verify" % provider["id"]).json()["status"] == "success"


def test_verify_fails_when_curity_has_no_such_client(konnect_sandbox):
    admin = konnect_sandbox.admin()  # Curity at its seed: no DCR client, DCR disabled
    provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox))
    assert admin.post("/v2/dcr-providers/%s/verify" % provider["id"]).json()["status"] == "failed"


def test_verify_of_a_provider_without_stand_in_fails_at_once(konnect_sandbox):
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", {"name": "okta", "provider_type": "okta",
                                                   "issuer": "https://okta.example.com", "dcr_config": {"dcr_token": "t"}})
    assert provider["dcr_config"] == {}
    result = admin.post("/v2/dcr-providers/%s/verify" % provider["id"], timeout=5).json()
    assert result["status"] == "failed" and "Curity" in result["errors"][0]


# --------------------------------------------------------------------------- auth strategies
def test_strategy_links_provider_without_echoing_its_id(konnect_sandbox):
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox, display_name="Curity IdP"))
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox, provider["id"]))
    assert "dcr_provider_id" not in strategy
    assert strategy["dcr_provider"] == {"id": provider["id"], "name": "curity", "display_name": "Curity IdP",
                                        "provider_type": "curity"}
    assert strategy["active"] is False and strategy["supports_multiple_credentials"] is False
    assert admin.get("/v2/dcr-providers/" + provider["id"]).json()["active"] is True
    found = admin.get("/v2/application-auth-strategies", params={"filter[dcr_provider_id][eq]": provider["id"]}).json()
    assert [s["id"] for s in found["data"]] == [strategy["id"]]


def test_strategy_validation(konnect_sandbox):
    admin = konnect_sandbox.admin()
    config = {"issuer": konnect_sandbox.info()["curity_issuer"], "credential_claim": ["sub"], "scopes": [],
              "auth_methods": ["client_credentials"], "labels": "x"}
    body = problem(admin.post("/v2/application-auth-strategies", json=oidc_strategy(
        konnect_sandbox, configs={"openid-connect": config})), 400)
    assert body["invalid_parameters"][0] == {"field": "configs.openid-connect.labels", "rule": "invalid",
                                             "reason": "unknown field", "source": "body"}
    body = problem(admin.post("/v2/application-auth-strategies", json=oidc_strategy(
        konnect_sandbox, "3f1b2a8e-0000-4000-8000-000000000000")), 400)
    assert body["invalid_parameters"][0]["rule"] == "missing_reference"
    config = dict(config, auth_methods=["magic"])
    del config["labels"]
    body = problem(admin.post("/v2/application-auth-strategies", json=oidc_strategy(
        konnect_sandbox, configs={"openid-connect": config})), 400)
    assert body["invalid_parameters"][0]["field"] == "configs.openid-connect.auth_methods[0]"


def test_strategy_patch_merges_config_and_refuses_type_change(konnect_sandbox):
    admin = konnect_sandbox.admin()
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox))
    path = "/v2/application-auth-strategies/" + strategy["id"]
    patched = admin.patch(path, json={"configs": {"openid-connect": {"scopes": ["read"], "cache_tokens": False}}})
    assert patched.status_code == 200
    config = patched.json()["configs"]["openid-connect"]
    assert config["scopes"] == ["read"] and config["cache_tokens"] is False and config["credential_claim"] == ["sub"]
    problem(admin.patch(path, json={"strategy_type": "key_auth"}), 400)
    replaced = admin.put(path, json=oidc_strategy(konnect_sandbox, name="replaced"))
    assert replaced.status_code == 201 and replaced.json()["id"] == strategy["id"]
    assert replaced.json()["name"] == "replaced" and replaced.json()["created_at"] == strategy["created_at"]


# --------------------------------------------------------------------------- 409 on deleting what is in use
def test_provider_in_use_cannot_be_deleted(konnect_sandbox):
    admin = konnect_sandbox.admin()
    provider = create(admin, "/v2/dcr-providers", curity_provider(konnect_sandbox))
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox, provider["id"]))
    problem(admin.delete("/v2/dcr-providers/" + provider["id"]), 409)
    assert admin.patch("/v2/application-auth-strategies/" + strategy["id"], json={"dcr_provider_id": None}).status_code == 200
    assert admin.delete("/v2/dcr-providers/" + provider["id"]).status_code == 204
    problem(admin.get("/v2/dcr-providers/" + provider["id"]), 404)


@pytest.mark.parametrize("use", ["portal_default", "classic_default", "publication", "product_version"])
def test_strategy_in_use_cannot_be_deleted(konnect_sandbox, use):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    strategy_id = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox))["id"]
    link = {
        "portal_default": ("/v3/portals/%s" % info["portal_id"], "PATCH", {"default_application_auth_strategy_id": strategy_id},
                           {"default_application_auth_strategy_id": None}),
        "classic_default": ("/v2/portals/%s" % info["classic_portal_id"], "PATCH",
                            {"default_application_auth_strategy_id": strategy_id}, {"default_application_auth_strategy_id": None}),
        "publication": ("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]), "PUT",
                        {"auth_strategy_ids": [strategy_id]}, {"auth_strategy_ids": None}),
        "product_version": ("/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"]),
                            "PATCH", {"auth_strategy_ids": [strategy_id]}, {"auth_strategy_ids": []}),
    }[use]
    path, method, attach, detach = link
    assert admin.request(method, path, json=attach).status_code == 200
    problem(admin.delete("/v2/application-auth-strategies/" + strategy_id), 409)
    assert admin.request(method, path, json=detach).status_code == 200
    assert admin.delete("/v2/application-auth-strategies/" + strategy_id).status_code == 204


def test_strategy_becomes_active_when_published(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox))
    admin.put("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]), json={"auth_strategy_ids": [strategy["id"]]})
    assert admin.get("/v2/application-auth-strategies/" + strategy["id"]).json()["active"] is True


# --------------------------------------------------------------------------- portals
def test_seeded_portals_and_their_domains(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    v3 = admin.get("/v3/portals", params={"filter[name][eq]": info["portal_name"]}).json()["data"]
    v2 = admin.get("/v2/portals", params={"filter[name]": info["classic_portal_name"]}).json()["data"]
    assert [p["id"] for p in v3] == [info["portal_id"]] and [p["id"] for p in v2] == [info["classic_portal_id"]]
    assert v3[0]["canonical_domain"] == v3[0]["default_domain"] == urlsplit(info["portal_url"]).hostname
    assert v2[0]["default_domain"] == urlsplit(info["classic_portal_url"]).hostname
    assert v3[0]["auto_approve_applications"] is False and v3[0]["auto_approve_developers"] is False
    # The seeded new Dev Portal came with its Key Auth strategy, its default (private portal); the classic none.
    key_auth = admin.get("/v2/application-auth-strategies/" + v3[0]["default_application_auth_strategy_id"]).json()
    assert (key_auth["name"], key_auth["strategy_type"]) == ("key-auth", "key_auth")
    assert v2[0]["default_application_auth_strategy_id"] is None
    assert v2[0]["developer_count"] == 1 and v2[0]["published_product_count"] == 1


@pytest.mark.parametrize("body, default", [
    ({}, True), ({"authentication_enabled": True}, True), ({"authentication_enabled": False}, False)],
    ids=["private-by-default", "private", "public"])
def test_a_new_portal_comes_with_a_key_auth_strategy_the_default_of_a_private_portal(konnect_sandbox, body, default):
    admin = konnect_sandbox.admin()
    before = {s["id"] for s in admin.get("/v2/application-auth-strategies").json()["data"]}
    portal = create(admin, "/v3/portals", dict(body, name="fresh"))
    created = [s for s in admin.get("/v2/application-auth-strategies", params={"page[size]": 100}).json()["data"]
               if s["id"] not in before]
    assert [(s["strategy_type"], s["display_name"], s["configs"]) for s in created] == [
        ("key_auth", "Key Auth", {"key-auth": {"key_names": ["apikey"]}})]
    assert portal["default_application_auth_strategy_id"] == (created[0]["id"] if default else None)
    if default:  # the default is in use: Konnect refuses to delete it
        problem(admin.delete("/v2/application-auth-strategies/" + created[0]["id"]), 409)
    # A default given at creation wins over the Key Auth strategy.
    chosen = create(admin, "/v3/portals", {"name": "chosen", "default_application_auth_strategy_id": created[0]["id"]})
    assert chosen["default_application_auth_strategy_id"] == created[0]["id"]


def test_new_portal_gets_its_own_listener(konnect_sandbox):
    admin = konnect_sandbox.admin()
    portal = create(admin, "/v3/portals", {"name": "second", "auto_approve_developers": True})
    assert portal["display_name"] == "second" and portal["auto_approve_developers"] is True
    assert portal["default_domain"] != urlsplit(konnect_sandbox.info()["portal_url"]).hostname
    answer = konnect_sandbox.portal(portal["id"], login=False).get("/api/v3/apis")
    assert answer.status_code == 200 and answer.json()["data"] == []
    problem(admin.post("/v3/portals", json={"name": "second"}), 400)
    other = create(admin, "/v3/portals", {"name": "third"})
    problem(admin.patch("/v3/portals/" + other["id"], json={"name": "second"}), 409)


def test_portal_default_strategy_must_exist(konnect_sandbox):
    body = problem(konnect_sandbox.admin().patch("/v3/portals/" + konnect_sandbox.info()["portal_id"], json={
        "default_application_auth_strategy_id": "3f1b2a8e-0000-4000-8000-000000000000"}), 400)
    assert body["invalid_parameters"][0]["rule"] == "missing_reference"


def test_portal_deletion_needs_force_while_in_use(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    body = problem(admin.delete("/v2/portals/" + info["classic_portal_id"]), 400)
    assert body["invalid_parameters"][0]["field"] == "force"
    problem(admin.delete("/v3/portals/" + info["portal_id"]), 400)
    assert admin.delete("/v3/portals/" + info["portal_id"], params={"force": "true"}).status_code == 204
    assert admin.delete("/v2/portals/" + info["classic_portal_id"], params={"force": "true"}).status_code == 204
    problem(admin.get("/v3/portals/" + info["portal_id"]), 404)
    assert konnect_sandbox.portal(info["portal_id"], login=False).get("/api/v3/apis").status_code == 404


# --------------------------------------------------------------------------- developers
def test_developers(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    base = "/v3/portals/%s/developers" % info["portal_id"]
    seeded = admin.get(base, params={"filter[email][eq]": info["developer_email"]}).json()["data"]
    assert [d["status"] for d in seeded] == ["approved"]
    created = create(admin, base, {"email": "new@example.com", "full_name": "New Dev", "status": "pending"})
    assert created["status"] == "pending"
    assert problem(admin.post(base, json={"email": "NEW@example.com", "full_name": "Again"}), 409)["detail"] == \
        "Developer with the given email already exists"
    assert admin.patch(base + "/" + created["id"], json={"status": "approved"}).json()["status"] == "approved"
    classic = admin.get("/v2/portals/%s/developers" % info["classic_portal_id"]).json()["data"]
    assert classic[0]["application_count"] == 0 and classic[0]["email"] == info["developer_email"]


# --------------------------------------------------------------------------- APIs and products
def test_api_publication_uses_portal_default_only_when_published_after(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox))
    seeded = admin.get("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"])).json()
    assert seeded["auth_strategy_ids"] is None
    admin.patch("/v3/portals/" + info["portal_id"], json={"default_application_auth_strategy_id": strategy["id"]})
    assert admin.get("/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"])).json()["auth_strategy_ids"] is None
    api = create(admin, "/v3/apis", {"name": "orders", "version": "v2"})
    assert api["slug"] == "orders-v2" and api["portals"] == []
    problem(admin.post("/v3/apis", json={"name": "orders", "version": "v2"}), 400)
    published = admin.put("/v3/apis/%s/publications/%s" % (api["id"], info["portal_id"]), json={"visibility": "public"})
    assert published.status_code == 200 and published.json()["auth_strategy_ids"] == [strategy["id"]]
    assert admin.get("/v3/apis/" + api["id"]).json()["portals"][0]["id"] == info["portal_id"]
    assert admin.delete("/v3/apis/%s/publications/%s" % (api["id"], info["portal_id"])).status_code == 204
    problem(admin.get("/v3/apis/%s/publications/%s" % (api["id"], info["portal_id"])), 404)


def test_a_publication_put_replaces_what_it_leaves_out(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    path = "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"])
    strategy = create(admin, "/v2/application-auth-strategies", oidc_strategy(konnect_sandbox))
    full = {"auth_strategy_ids": [strategy["id"]], "visibility": "public", "auto_approve_registrations": True}
    assert admin.put(path, json=full).json()["visibility"] == "public"
    # Left out: visibility is private again, auto-approval off, not the current values.
    answer = admin.put(path, json={"auth_strategy_ids": [strategy["id"]]}).json()
    assert (answer["auth_strategy_ids"], answer["visibility"], answer["auto_approve_registrations"]) == \
        ([strategy["id"]], "private", False)
    # auth_strategy_ids left out: the portal's default (its Key Auth strategy), not the current strategy.
    default = admin.get("/v3/portals/" + info["portal_id"]).json()["default_application_auth_strategy_id"]
    assert admin.put(path, json={"visibility": "public"}).json()["auth_strategy_ids"] == [default]
    # ... and no strategy at all when the portal has no default; null asks for none whatever the default.
    admin.patch("/v3/portals/" + info["portal_id"], json={"default_application_auth_strategy_id": None})
    assert admin.put(path, json={"visibility": "public"}).json()["auth_strategy_ids"] is None
    admin.patch("/v3/portals/" + info["portal_id"], json={"default_application_auth_strategy_id": strategy["id"]})
    assert admin.put(path, json={"auth_strategy_ids": None}).json()["auth_strategy_ids"] is None


def test_api_publication_listings(konnect_sandbox):
    ids = konnect_sandbox.configure_dcr()
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    v3, sid = info["portal_id"], ids["strategy_id"]
    other_portal = create(admin, "/v3/portals", {"name": "zz-second"})
    keys = create(admin, "/v2/application-auth-strategies", {
        "name": "keys", "display_name": "Keys", "strategy_type": "key_auth", "configs": {"key-auth": {"key_names": ["k"]}}})
    api = create(admin, "/v3/apis", {"name": "aa-orders"})
    for portal_id, strategy_ids in ((v3, [keys["id"]]), (other_portal["id"], [sid])):
        published = admin.put("/v3/apis/%s/publications/%s" % (api["id"], portal_id), json={"auth_strategy_ids": strategy_ids})
        assert published.status_code == 200, published.text

    def listed(path="/v3/api-publications", **params):
        response = admin.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    everything = listed()
    assert everything["meta"]["page"] == {"number": 1, "size": 10, "total": 3}
    seeded = next(p for p in everything["data"] if p["api_id"] == info["api_id"])
    assert seeded == {"api_id": info["api_id"], "portal_id": v3, "entity_type": "api", "auth_strategy_ids": [sid],
                      "visibility": "public", "auto_approve_registrations": False, "warnings": [],
                      "created_at": seeded["created_at"], "updated_at": seeded["updated_at"]}

    def pairs(page):
        return [(p["api_id"], p["portal_id"]) for p in page["data"]]

    assert sorted(pairs(listed(**{"filter[auth_strategy_id][eq]": sid}))) == sorted(
        [(info["api_id"], v3), (api["id"], other_portal["id"])])
    assert pairs(listed(**{"filter[auth_strategy_id][neq]": sid})) == [(api["id"], v3)]
    assert listed(**{"filter[auth_strategy_id][oeq]": "%s,%s" % (sid, keys["id"])})["meta"]["page"]["total"] == 3
    assert pairs(listed(**{"filter[portal_id][eq]": other_portal["id"]})) == [(api["id"], other_portal["id"])]
    assert pairs(listed(**{"filter[portal_name][eq]": "zz-second"})) == [(api["id"], other_portal["id"])]
    assert {a for a, _portal in pairs(listed(**{"filter[api_id][eq]": api["id"]}))} == {api["id"]}
    assert listed(**{"filter[api_name][contains]": "ORDERS"})["meta"]["page"]["total"] == 2
    assert listed(**{"filter[entity_type]": "api_package"})["data"] == []
    assert pairs(listed(sort="api_name,portal_name desc")) == [
        (api["id"], other_portal["id"]), (api["id"], v3), (info["api_id"], v3)]
    assert pairs(listed(sort="portal_name desc", **{"page[size]": 1, "page[number]": 1})) == [(api["id"], other_portal["id"])]
    problem(admin.get("/v3/api-publications", params={"sort": "visibility"}), 400)
    problem(admin.get("/v3/api-publications", params={"filter[visibility]": "public"}), 400)
    reader = konnect_sandbox.admin(token=konnect_sandbox.state.readonly_token)
    assert reader.get("/v3/api-publications").status_code == 200

    in_portal = listed("/v3/portals/%s/api-publications" % v3, sort="api_name")
    assert [(p["api_id"], p["portal_ids"]) for p in in_portal["data"]] == [(api["id"], [v3]), (info["api_id"], [v3])]
    assert "portal_id" not in in_portal["data"][0] and in_portal["data"][0]["entity_type"] == "api"
    only = listed("/v3/portals/%s/api-publications" % v3, **{"filter[auth_strategy_id][eq]": keys["id"]})
    assert [p["api_id"] for p in only["data"]] == [api["id"]]
    problem(admin.get("/v3/portals/%s/api-publications" % v3, params={"filter[portal_id][eq]": v3}), 400)
    problem(admin.get("/v3/portals/%s/api-publications" % v3, params={"sort": "portal_name"}), 400)
    problem(admin.get("/v3/portals/%s/api-publications" % info["classic_portal_id"]), 404)
    problem(admin.get("/v3/portals/3f1b2a8e-0000-4000-8000-000000000000/api-publications"), 404)
    assert admin.delete("/v3/apis/%s/publications/%s" % (api["id"], v3)).status_code == 204
    assert listed("/v3/portals/%s/api-publications" % v3)["meta"]["page"]["total"] == 1
    assert admin.delete("/v3/portals/%s?force=true" % other_portal["id"]).status_code == 204
    assert pairs(listed()) == [(info["api_id"], v3)]


def test_api_implementations(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    listed = admin.get("/v3/api-implementations", params={"filter[api_id][eq]": info["api_id"]}).json()["data"]
    assert listed[0]["service"] == {"id": info["gateway_service_id"], "control_plane_id": info["control_plane_id"]}
    api = create(admin, "/v3/apis", {"name": "billing"})
    body = {"service": {"id": info["gateway_service_id"], "control_plane_id": info["control_plane_id"]}}
    implementation = create(admin, "/v3/apis/%s/implementations" % api["id"], body)
    problem(admin.post("/v3/apis/%s/implementations" % api["id"], json=body), 409)
    path = "/v3/apis/%s/implementations/%s" % (api["id"], implementation["id"])
    assert admin.get(path).json()["service"]["id"] == info["gateway_service_id"]
    assert admin.delete(path).status_code == 204


def test_classic_products_and_portal_product_versions(konnect_sandbox):
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    product = create(admin, "/v2/api-products", {"name": "inventory"})
    version = create(admin, "/v2/api-products/%s/product-versions" % product["id"], {
        "name": "v1", "gateway_service": {"id": info["gateway_service_id"], "control_plane_id": info["control_plane_id"]}})
    assert version["gateway_service"]["id"] == info["gateway_service_id"] and version["portals"] == []
    published = create(admin, "/v2/portals/%s/product-versions" % info["classic_portal_id"], {
        "product_version_id": version["id"], "publish_status": "published", "auth_strategy_ids": [],
        "application_registration_enabled": True, "auto_approve_registration": True, "deprecated": False})
    assert published["auth_strategies"] == [] and published["auto_approve_registration"] is True
    assert admin.get("/v2/api-products/" + product["id"]).json()["portal_ids"] == [info["classic_portal_id"]]
    listed = admin.get("/v2/portals/%s/product-versions" % info["classic_portal_id"]).json()
    assert listed["meta"]["page"]["total"] == 2
    seeded = admin.get("/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"])).json()
    assert seeded["application_registration_enabled"] is True and seeded["auth_strategies"] == []
    assert admin.delete("/v2/api-products/" + product["id"]).status_code == 204
    assert admin.get("/v2/portals/%s/product-versions" % info["classic_portal_id"]).json()["meta"]["page"]["total"] == 1


# --------------------------------------------------------------------------- applications (admin side)
def test_admin_application_create_registers_at_curity_but_returns_no_secret(konnect_sandbox):
    ids = konnect_sandbox.configure_dcr()
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    developer = admin.get("/v3/portals/%s/developers" % info["portal_id"]).json()["data"][0]
    response = admin.post("/v3/portals/%s/applications" % info["portal_id"], json={
        "name": "admin-made", "auth_strategy_id": ids["strategy_id"], "owner": {"type": "developer", "id": developer["id"]}})
    assert response.status_code == 201, response.text
    application = response.json()
    assert "client_secret" not in response.text and application["client_id"]
    assert application["dcr_provider"] == {"id": ids["provider_id"]} and application["owner"]["id"] == developer["id"]
    assert konnect_sandbox.curity_token(application["client_id"], "guess").status_code == 401
    imported = admin.post("/v3/portals/%s/applications" % info["portal_id"], json={
        "name": "imported", "dcr_client_id": "existing-client", "owner": {"type": "developer", "id": developer["id"]}})
    assert imported.status_code == 201 and imported.json()["client_id"] == "existing-client"
    registration = admin.post("/v3/portals/%s/applications/%s/registrations" % (info["portal_id"], application["id"]),
                              json={"api_id": info["api_id"], "status": "approved"})
    assert registration.status_code == 201 and registration.json()["status"] == "approved"
    problem(admin.post("/v3/portals/%s/applications/%s/registrations" % (info["portal_id"], application["id"]),
                       json={"api_id": info["api_id"]}), 409)
    listed = admin.get("/v3/portals/%s/application-registrations" % info["portal_id"],
                       params={"filter[application_name]": "admin-made"}).json()
    assert [r["api"]["id"] for r in listed["data"]] == [info["api_id"]]


def test_admin_approves_developer_registrations(konnect_sandbox):
    konnect_sandbox.configure_dcr()
    admin, info = konnect_sandbox.admin(), konnect_sandbox.info()
    for portal_id, version, target, generation in (
            (info["portal_id"], "v3", {"api_id": info["api_id"]}, "v3"),
            (info["classic_portal_id"], "v2", {"product_version_id": info["product_version_id"]}, "v2")):
        developer = konnect_sandbox.portal(portal_id)
        application = developer.post("/api/%s/applications" % version, json={"name": "app-" + version}).json()
        registration = developer.post("/api/%s/applications/%s/registrations" % (version, application["id"]), json=target)
        assert registration.status_code == 201 and registration.json()["status"] == "pending"
        path = "/%s/portals/%s/applications/%s/registrations/%s" % (
            generation, portal_id, application["id"], registration.json()["id"])
        assert admin.get(path).json()["status"] == "pending"
        approved = admin.patch(path, json={"status": "approved"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        mine = developer.get("/api/%s/applications/%s/registrations" % (version, application["id"])).json()["data"]
        assert [r["status"] for r in mine] == ["approved"]
        listed = admin.get("/%s/portals/%s/applications" % (generation, portal_id)).json()["data"]
        assert [a["id"] for a in listed] == [application["id"]] and listed[0]["registration_count"] == 1
        assert "client_secret" not in admin.get("/%s/portals/%s/applications/%s" % (
            generation, portal_id, application["id"])).text
