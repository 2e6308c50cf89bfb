# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Konnect admin and Portal API exchange of the stand-in conforms to Kong's official OpenAPI files.

Skipped when the files are absent ($KONNECT_SPECS_DIR, else ../shared/specs/konnect beside the repository).
"""

from __future__ import annotations

import glob
import json
import re
import uuid
from urllib.parse import urlsplit

import pytest
import yaml
from werkzeug.test import Client
from werkzeug.wrappers import Response

import openapi_check
from context import SandboxContext

SAMPLE_ID = "3f1b2a8e-0000-4000-8000-000000000000"


@pytest.fixture
def konnect_specs(konnect_sandbox):
    if konnect_sandbox.ctx.spec_dir is None:
        pytest.skip("Kong's OpenAPI files not found: set KONNECT_SPECS_DIR or provide ../shared/specs/konnect")
    return konnect_sandbox


def flask_app(wsgi):
    """The Flask app inside the middlewares (each keeps the app it wraps as ``.app``)."""
    while not hasattr(wsgi, "url_map"):
        wsgi = wsgi.app
    return wsgi


def served_endpoints(app):
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


class Tracker:
    """Which Flask endpoints the requests of a test reached (matched like Flask matches them)."""

    def __init__(self, admin_app, portal_app):
        self.apps = {"admin": admin_app, "portal": portal_app}
        self.reached = {"admin": set(), "portal": set()}

    def watch(self, client, kind):
        adapter = self.apps[kind].url_map.bind("localhost")

        def hook(response, *args, **kwargs):
            method = response.request.method
            endpoint = adapter.match(urlsplit(response.request.url).path, method)[0]
            self.reached[kind].add((endpoint, method))
            return response

        client.session.hooks["response"].append(hook)
        return client


def ok(response, status=200):
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    return response.json() if response.content else None


def drive_admin(sandbox, admin, ids):
    """Every admin endpoint, successes and Konnect's usual errors, with requests that conform."""
    info = sandbox.info()
    v3, v2 = info["portal_id"], info["classic_portal_id"]
    # DCR providers
    provider = ok(admin.post("/v2/dcr-providers", json={
        "name": "okta", "provider_type": "okta", "issuer": "https://okta.example.com", "dcr_config": {"dcr_token": "t0k"},
        "labels": {"env": "test"}}), 201)
    ok(admin.get("/v2/dcr-providers", params={"filter[name][contains]": "o", "page[size]": 5, "sort": "name desc"}))
    ok(admin.get("/v2/dcr-providers/" + provider["id"]))
    ok(admin.patch("/v2/dcr-providers/" + provider["id"], json={"display_name": "Okta", "labels": {"env": None}}))
    ok(admin.post("/v2/dcr-providers/%s/verify" % ids["provider_id"]))
    assert admin.delete("/v2/dcr-providers/" + ids["provider_id"]).status_code == 409  # used by the strategy
    assert admin.get("/v2/dcr-providers/" + SAMPLE_ID).status_code == 404
    # strategies
    key_auth = ok(admin.post("/v2/application-auth-strategies", json={
        "name": "keys", "display_name": "Keys", "strategy_type": "key_auth",
        "configs": {"key-auth": {"key_names": ["apikey"], "ttl": {"value": 1, "unit": "days"}}}}), 201)
    ok(admin.get("/v2/application-auth-strategies", params={"filter[strategy_type][eq]": "key_auth"}))
    ok(admin.get("/v2/application-auth-strategies/" + ids["strategy_id"]))
    ok(admin.patch("/v2/application-auth-strategies/" + key_auth["id"], json={"configs": {"key-auth": {"ttl": None}}}))
    ok(admin.put("/v2/application-auth-strategies/" + key_auth["id"], json={
        "name": "keys", "display_name": "Keys", "strategy_type": "key_auth", "configs": {"key-auth": {"key_names": ["k"]}}}),
       201)
    assert admin.delete("/v2/application-auth-strategies/" + ids["strategy_id"]).status_code == 409
    # portals
    for generation in ("v3", "v2"):
        portal = ok(admin.post("/%s/portals" % generation, json={"name": "extra-" + generation}), 201)
        ok(admin.get("/%s/portals" % generation, params={"filter[name][eq]": "extra-" + generation}))
        ok(admin.get("/%s/portals/%s" % (generation, portal["id"])))
        ok(admin.patch("/%s/portals/%s" % (generation, portal["id"]), json={"description": "more"}))
        assert admin.patch("/%s/portals/%s" % (generation, portal["id"]), json={"name": info[
            "portal_name" if generation == "v3" else "classic_portal_name"]}).status_code == 409
        assert admin.delete("/%s/portals/%s" % (generation, portal["id"])).status_code == 204
    assert admin.delete("/v2/portals/" + v2).status_code == 400  # developers: needs force
    # developers
    developer = ok(admin.post("/v3/portals/%s/developers" % v3, json={"email": "dev2@example.com", "full_name": "Dev Two"}),
                   201)
    assert admin.post("/v3/portals/%s/developers" % v3, json={"email": "dev2@example.com", "full_name": "X"}).status_code == 409
    for generation, portal_id in (("v3", v3), ("v2", v2)):
        listed = ok(admin.get("/%s/portals/%s/developers" % (generation, portal_id), params={"filter[status]": "approved"}))
        path = "/%s/portals/%s/developers/%s" % (generation, portal_id, listed["data"][0]["id"])
        ok(admin.get(path))
        ok(admin.patch(path, json={"status": "approved"}))
    assert admin.delete("/v3/portals/%s/developers/%s" % (v3, developer["id"])).status_code == 204
    # APIs, implementations, publications
    api = ok(admin.post("/v3/apis", json={"name": "extra-api", "version": "1.0", "labels": {"a": "b"}}), 201)
    ok(admin.get("/v3/apis", params={"filter[name][eq]": "extra-api"}))
    ok(admin.get("/v3/apis/" + api["id"]))
    ok(admin.patch("/v3/apis/" + api["id"], json={"description": "described"}))
    implementation = ok(admin.post("/v3/apis/%s/implementations" % api["id"], json={
        "service": {"control_plane_id": info["control_plane_id"], "id": info["gateway_service_id"]}}), 201)
    ok(admin.get("/v3/apis/%s/implementations/%s" % (api["id"], implementation["id"])))
    ok(admin.get("/v3/api-implementations", params={"filter[api_id][eq]": api["id"]}))
    assert admin.delete("/v3/apis/%s/implementations/%s" % (api["id"], implementation["id"])).status_code == 204
    ok(admin.put("/v3/apis/%s/publications/%s" % (api["id"], v3), json={"auth_strategy_ids": [ids["strategy_id"]]}))
    ok(admin.get("/v3/apis/%s/publications/%s" % (api["id"], v3)))
    ok(admin.get("/v3/api-publications", params={
        "filter[auth_strategy_id][eq]": ids["strategy_id"], "filter[portal_id][oeq]": v3, "filter[api_id][neq]": SAMPLE_ID,
        "filter[api_name][contains]": "extra", "filter[portal_name]": info["portal_name"], "filter[entity_type]": "api",
        "sort": "portal_name,api_name desc", "page[size]": 5, "page[number]": 1}))
    assert admin.get("/v3/api-publications", params={"sort": "visibility"}).status_code == 400
    ok(admin.get("/v3/portals/%s/api-publications" % v3, params={
        "filter[api_id][eq]": api["id"], "filter[auth_strategy_id][oeq]": ids["strategy_id"], "sort": "api_name desc"}))
    assert admin.get("/v3/portals/%s/api-publications" % v2).status_code == 404
    assert admin.delete("/v3/apis/%s/publications/%s" % (api["id"], v3)).status_code == 204
    assert admin.delete("/v3/portals/" + v3).status_code == 400  # APIs published: needs force
    assert admin.delete("/v3/apis/" + api["id"]).status_code == 204
    # API products, versions, portal product versions
    product = ok(admin.post("/v2/api-products", json={"name": "extra-product", "description": "d"}), 201)
    ok(admin.get("/v2/api-products", params={"filter[name][eq]": "extra-product"}))
    ok(admin.get("/v2/api-products/" + product["id"]))
    ok(admin.patch("/v2/api-products/" + product["id"], json={"labels": {"x": "y"}}))
    version = ok(admin.post("/v2/api-products/%s/product-versions" % product["id"], json={
        "name": "v9", "gateway_service": {"id": info["gateway_service_id"], "control_plane_id": info["control_plane_id"]}}),
        201)
    ok(admin.get("/v2/api-products/%s/product-versions" % product["id"]))
    ok(admin.get("/v2/api-products/%s/product-versions/%s" % (product["id"], version["id"])))
    ok(admin.patch("/v2/api-products/%s/product-versions/%s" % (product["id"], version["id"]), json={"deprecated": True}))
    ok(admin.post("/v2/portals/%s/product-versions" % v2, json={
        "product_version_id": version["id"], "publish_status": "published", "auth_strategy_ids": [key_auth["id"]],
        "application_registration_enabled": True, "auto_approve_registration": False, "deprecated": False}), 201)
    ok(admin.get("/v2/portals/%s/product-versions" % v2))
    ppv_path = "/v2/portals/%s/product-versions/%s" % (v2, version["id"])
    ok(admin.get(ppv_path))
    ok(admin.patch(ppv_path, json={"deprecated": True}))
    ok(admin.put(ppv_path, json={"publish_status": "unpublished", "auth_strategy_ids": [], "deprecated": False,
                                 "application_registration_enabled": False, "auto_approve_registration": False}))
    assert admin.delete(ppv_path).status_code == 204
    assert admin.delete("/v2/api-products/%s/product-versions/%s" % (product["id"], version["id"])).status_code == 204
    assert admin.delete("/v2/api-products/" + product["id"]).status_code == 204
    assert admin.delete("/v2/application-auth-strategies/" + key_auth["id"]).status_code == 204
    assert admin.delete("/v2/dcr-providers/" + provider["id"]).status_code == 204


def drive_applications(sandbox, admin, portals, ids):
    """Developer Portal API (v3 and v2) plus the admin side of applications and registrations."""
    info = sandbox.info()
    for version, portal_id, target in (("v3", info["portal_id"], {"api_id": info["api_id"]}),
                                       ("v2", info["classic_portal_id"], {"product_version_id": info["product_version_id"]})):
        dev = portals(portal_id)
        ok(dev.get("/api/%s/developer/me" % version))
        ok(dev.get("/api/v3/application-auth-strategies" if version == "v3" else "/api/v2/applications/auth-strategies",
                   params={"filter[credential_type][eq]": "client_credentials"}))
        created = ok(dev.post("/api/%s/applications" % version, json={
            "name": "conformant", "description": "d", "redirect_uri": "https://app.example.com/cb"}), 201)
        assert dev.post("/api/%s/applications" % version, json={"name": "conformant"}).status_code == 409
        base = "/api/%s/applications/%s" % (version, created["id"])
        ok(dev.get("/api/%s/applications" % version, params={"filter[name][eq]": "conformant"}))
        ok(dev.get(base))
        ok(dev.patch(base, json={"description": "changed"}))
        ok(dev.post(base + ("/regenerate-secret" if version == "v3" else "/refresh-token")), 201)
        registration = ok(dev.post(base + "/registrations", json=target), 201)
        assert dev.post(base + "/registrations", json=target).status_code == 409
        ok(dev.get(base + "/registrations", params={"filter[status]": "pending"}))
        ok(dev.get(base + "/registrations/" + registration["id"]))
        admin_base = "/%s/portals/%s" % (version, portal_id)
        ok(admin.get(admin_base + "/applications", params={"filter[name]": "conformant"}))
        ok(admin.get(admin_base + "/applications/" + created["id"]))
        ok(admin.get(admin_base + "/application-registrations", params={"filter[status]": "pending"}))
        ok(admin.get(admin_base + "/applications/%s/registrations" % created["id"]))
        reg_path = admin_base + "/applications/%s/registrations/%s" % (created["id"], registration["id"])
        ok(admin.get(reg_path))
        ok(admin.patch(reg_path, json={"status": "approved"}))
        assert dev.delete(base + "/registrations/" + registration["id"]).status_code == 204
        registration = ok(dev.post(base + "/registrations", json=target), 201)
        assert admin.delete(admin_base + "/applications/%s/registrations/%s" % (created["id"], registration["id"])) \
            .status_code == 204
        assert dev.get(base + "/registrations/" + SAMPLE_ID).status_code == 404
        assert dev.delete(base).status_code == 204
        again = ok(dev.post("/api/%s/applications" % version, json={"name": "admin-deleted"}), 201)
        assert admin.delete(admin_base + "/applications/" + again["id"]).status_code == 204
        assert portals(portal_id, login=False).get("/api/%s/applications" % version).status_code == 401
        assert dev.post("/api/%s/developer/refresh" % version).status_code == 204
        assert dev.post("/api/%s/developer/logout" % version).status_code == 204
    # admin-side application of the v3 portal
    developers = ok(admin.get("/v3/portals/%s/developers" % info["portal_id"]))["data"]
    owner = {"type": "developer", "id": developers[0]["id"]}
    created = ok(admin.post("/v3/portals/%s/applications" % info["portal_id"], json={
        "name": "admin-app", "auth_strategy_id": ids["strategy_id"], "owner": owner}), 201)
    app_path = "/v3/portals/%s/applications/%s" % (info["portal_id"], created["id"])
    ok(admin.patch(app_path, json={"owner": owner}))
    ok(admin.post(app_path + "/registrations", json={"api_id": info["api_id"], "status": "approved"}), 201)
    ok(admin.get(app_path))


def drive_catalog(sandbox, portals):
    info = sandbox.info()
    for dev in (portals(info["portal_id"]), portals(info["portal_id"], login=False)):
        ok(dev.get("/api/v3/portal"))
        apis = ok(dev.get("/api/v3/apis", params={"filter[name][eq]": info["api_name"]}))["data"]
        ok(dev.get("/api/v3/apis/" + apis[0]["id"]))
    classic = portals(info["classic_portal_id"])
    ok(classic.get("/api/v2/portal"))
    ok(portals(info["classic_portal_id"], login=False).get("/api/v2/portal"))
    ok(classic.get("/api/v2/products", params={"filter[name]": info["api_product_name"]}))
    ok(classic.get("/api/v2/products/" + info["api_product_id"]))
    ok(classic.get("/api/v2/products/%s/versions" % info["api_product_id"]))
    ok(classic.get("/api/v2/products/%s/versions/%s" % (info["api_product_id"], info["product_version_id"])))
    wrong = portals(info["portal_id"], login=False).post("/api/v3/developer/authenticate", json={
        "username": info["developer_email"], "password": "not-it"})
    assert wrong.status_code == 401


def test_every_endpoint_conforms(konnect_specs):
    sandbox = konnect_specs
    ids = sandbox.configure_dcr()
    admin_app, portal_app = flask_app(sandbox.admin_wsgi), flask_app(sandbox.portal_wsgi)
    tracker = Tracker(admin_app, portal_app)
    admin = tracker.watch(sandbox.admin(), "admin")
    assert sandbox.admin(token="").get("/v3/portals").status_code == 401

    def portals(portal_id, login=True):
        client = tracker.watch(sandbox.portal(portal_id, login=False), "portal")
        if login:
            info = sandbox.info()
            version = "v3" if portal_id == info["portal_id"] else "v2"
            ok(client.post("/api/%s/developer/authenticate" % version, json={
                "username": info["developer_email"], "password": info["developer_password"]}), 204)
        return client

    drive_admin(sandbox, admin, ids)
    drive_applications(sandbox, admin, portals, ids)
    drive_catalog(sandbox, portals)
    classic = "/v2/portals/%s/developers" % sandbox.info()["classic_portal_id"]
    assert admin.delete(classic + "/" + ok(admin.get(classic))["data"][0]["id"]).status_code == 204
    for kind, app in (("admin", admin_app), ("portal", portal_app)):
        missing = served_endpoints(app) - tracker.reached[kind]
        assert not missing, "%s endpoints not exercised: %s" % (kind, sorted(missing))
    violations = sandbox.ctx.violations()
    assert violations == [], "\n".join("%(service)s %(kind)s %(method)s %(path)s: %(detail)s" % v for v in violations)


def test_every_served_route_is_an_operation_of_kongs_files(konnect_specs):
    sandbox = konnect_specs
    for service, app in (("konnect", flask_app(sandbox.admin_wsgi)), ("portal", flask_app(sandbox.portal_wsgi))):
        catalog = openapi_check.catalog(sandbox.ctx.spec_dir, service)
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            path = re.sub(r"<[^>]+>", SAMPLE_ID, rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                operation = catalog.find(method, path)[0]
                assert operation is not None, (service, method, rule.rule)


# --------------------------------------------------------------------------- the checker itself
def test_checker_catches_invalid_requests_without_leaking_values(konnect_specs):
    sandbox = konnect_specs
    admin = sandbox.admin()
    admin.post("/v2/dcr-providers", json={"name": "bad", "provider_type": "Curity", "issuer": "https://idp.example.com",
                                          "dcr_config": {"dcr_token": "TOPSECRET-VALUE"}})
    admin.get("/v2/dcr-providers", params={"page[size]": "many"})
    admin.get("/v2/no-such-resource")
    admin.request("PUT", "/v2/dcr-providers")
    portal = sandbox.portal(login=False)
    portal.post("/api/v3/developer/authenticate", data="username=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    found = sandbox.ctx.violations()
    assert all(v["kind"] == "request" for v in found), found
    details = [v["detail"] for v in found]
    assert any(d.startswith("create-dcr-provider: body") for d in details)
    assert any("list-dcr-providers: query.page[size]" in d for d in details)
    assert any("no operation for GET /v2/no-such-resource" in d for d in details)
    assert any("method PUT not allowed" in d for d in details)
    assert any(v["service"] == "portal" and "content type" in v["detail"] for v in found)
    assert "TOPSECRET-VALUE" not in json.dumps(found)


def test_checker_catches_invalid_responses(konnect_specs):
    sandbox = konnect_specs
    provider_id = str(uuid.uuid4())
    leaked = {"id": provider_id, "name": "p", "provider_type": "curity", "issuer": "https://idp.example.com", "active": True,
              "dcr_config": {"initial_client_id": "c", "initial_client_secret": "LEAKED-SECRET"},
              "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "yesterday"}

    def broken(environ, start_response):
        path = environ["PATH_INFO"]
        if path.endswith("/verify"):
            response = Response(json.dumps({"status": "maybe"}), status=200, mimetype="application/json")
        elif path == "/v2/dcr-providers":
            response = Response("oops", status=418, mimetype="text/plain")
        elif environ["REQUEST_METHOD"] == "DELETE":  # raw WSGI: werkzeug would drop a 204 body itself
            start_response("204 No Content", [("Content-Type", "application/json")])
            return [b'{"deleted": true}']
        else:
            response = Response(json.dumps(leaked), status=200, mimetype="text/json")
            if "strict" in environ.get("QUERY_STRING", ""):
                response.mimetype = "application/json"
        return response(environ, start_response)

    client = Client(openapi_check.wrap(broken, sandbox.ctx, "konnect"))
    client.get("/v2/dcr-providers/%s?strict=1" % provider_id)
    client.get("/v2/dcr-providers/" + provider_id)
    client.post("/v2/dcr-providers/%s/verify" % provider_id)
    client.get("/v2/dcr-providers")
    client.delete("/v2/dcr-providers/" + provider_id)
    found = [v for v in sandbox.ctx.violations() if v["kind"] == "response"]
    details = "\n".join(v["detail"] for v in found)
    assert "get-dcr-provider: body" in details and "initial_client_secret" in details  # a write-only secret in a response
    assert "body.updated_at: fails format" in details
    assert "response content type 'text/json' not declared" in details
    assert "verify-dcr-provider: body.status: fails enum" in details
    assert "list-dcr-providers: status 418 not declared" in details
    assert "delete-dcr-provider: status 204 declares no body" in details
    assert "LEAKED-SECRET" not in json.dumps(found)
    sandbox.ctx.clear_violations()  # broken on purpose


def test_checker_is_off_without_spec_files(konnect_sandbox):
    def app(environ, start_response):
        return Response("{}", mimetype="application/json")(environ, start_response)

    assert openapi_check.wrap(app, SandboxContext(spec_dir=None), "konnect") is app


# --------------------------------------------------------------------------- formats
FORMAT_CASES = {
    "hostname": (["abc123456789.us.kongportals.com", "dev.example.com", "localhost", "127.0.0.2", "127.1.2.3"],
                 ["127.0.0.1:8443", "abc.us.kongportals.com:443", "10.0.0.1", "192.168.1.1", "a_b.example.com",
                  "-a.example.com", "example.com.", "", "a" * 64 + ".com", "http://example.com"]),
    "uri": (["https://app.example.com/callback", "http://127.0.0.1:8080/cb?x=1#top", "urn:example:a", "http://[::1]/"],
            ["app.example.com/callback", "/callback", "https://app.example.com/a b", "https://exa mple.com",
             "https://example.com/%zz", "ht tp://x"]),
    "url": (["https://idp.example.com/oauth/v2/oauth-anonymous", "http://127.0.0.1:8443/oauth/v2/oauth-anonymous"],
            ["idp.example.com", "ftp://idp.example.com/", "https:///path", "mailto:someone@example.com"]),
    "uuid": ([SAMPLE_ID, SAMPLE_ID.upper()],
             ["{%s}" % SAMPLE_ID, SAMPLE_ID.replace("-", ""), "urn:uuid:" + SAMPLE_ID, SAMPLE_ID[:-1] + "g"]),
    "date-time": (["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00+02:00", "2016-12-31T23:59:60Z"],
                  ["2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", "yesterday", "2026-01-01 00:00:00Z"]),
    "email": (["developer@example.com", "first.last+tag@dev.example.co.uk"],
              ["developer", "@example.com", "developer@", "a b@example.com", "dev@exa_mple.com"]),
    "path": (["/api/v3/apis?page%5Bnumber%5D=2", "/api/v3/apis"],
             ["api/v3/apis", "https://portal.example.com/api/v3/apis", "/api/v3/apis#x"]),
    "byte": (["TXkgWUFNTA==", ""], ["TXk", "not base64!"]),
}


@pytest.mark.parametrize("name", sorted(FORMAT_CASES))
def test_formats_are_checked_strictly(name):
    valid, invalid = FORMAT_CASES[name]
    check = openapi_check.CHECKED_FORMATS[name]
    assert [v for v in valid if not check(v)] == []
    assert [v for v in invalid if check(v)] == []
    assert check(None) and check(3)  # the type keyword judges non-strings


def test_every_format_of_kongs_files_is_checked_or_knowingly_left_out(konnect_specs):
    """A format the files start using must be added to the checker (or to its list of formats left unasserted)."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("format"), str) and node.get("type") in ("string", None):
                found.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in glob.glob(konnect_specs.ctx.spec_dir + "/*.yaml"):
        with open(path, encoding="utf-8") as handle:
            walk(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    unchecked = found - set(openapi_check.CHECKED_FORMATS) - set(openapi_check.UNASSERTED_FORMATS)
    assert unchecked == set(), "formats of Kong's files that nothing checks: %s" % sorted(unchecked)
    assert {"hostname", "uri", "url", "uuid", "date-time", "email"} <= found


def test_a_port_in_a_portal_domain_is_a_violation(konnect_specs):
    """The files' ``format: hostname``: a domain never carries a port, also not in the sandbox."""
    sandbox = konnect_specs
    portal = ok(sandbox.admin().get("/v3/portals/" + sandbox.info()["portal_id"]))
    classic = ok(sandbox.admin().get("/v2/portals/" + sandbox.info()["classic_portal_id"]))
    assert sandbox.ctx.violations() == []
    portal.update(default_domain="127.0.0.2:8443", canonical_domain="abc123456789.us.kongportals.com:443")
    classic.update(default_domain="10.0.0.1")  # an address outside 127.0.0.0/8 is no host name either

    def malformed(environ, start_response):
        body = portal if environ["PATH_INFO"].startswith("/v3/") else classic
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    client = Client(openapi_check.wrap(malformed, sandbox.ctx, "konnect"))
    client.get("/v3/portals/" + portal["id"])
    client.get("/v2/portals/" + classic["id"])
    details = sorted(v["detail"] for v in sandbox.ctx.violations())
    assert details == ['get-portal: body.canonical_domain: fails format "hostname"',
                       'get-portal: body.default_domain: fails format "hostname"',
                       'get-portal: body.default_domain: fails format "hostname"']
    sandbox.ctx.clear_violations()  # broken on purpose


def test_the_sandbox_itself_is_caught_when_it_puts_a_port_in_a_domain(konnect_specs):
    """The same through the real stand-in: its portal given a ``host:port`` domain, as it once had."""
    sandbox = konnect_specs
    info = sandbox.info()
    with sandbox.ctx.lock:
        portal = sandbox.state.portals[info["portal_id"]]
        portal["default_domain"] = portal["canonical_domain"] = urlsplit(info["portal_url"]).netloc
    listed = ok(sandbox.admin().get("/v3/portals", params={"filter[name][eq]": info["portal_name"]}))
    assert ":" in listed["data"][0]["default_domain"]
    details = sorted(v["detail"] for v in sandbox.ctx.violations())
    assert details == ['list-portals: body.data.0.canonical_domain: fails format "hostname"',
                       'list-portals: body.data.0.default_domain: fails format "hostname"']
    sandbox.ctx.clear_violations()  # broken on purpose
    sandbox.reset()


def test_the_loopback_exception_is_the_only_one():
    """One narrow exception in one place: dotted-decimal 127.0.0.0/8 as a host name, nothing else."""
    assert openapi_check.LOOPBACK_HOSTNAME_EXCEPTION == "127.0.0.0/8"
    check = openapi_check.CHECKED_FORMATS["hostname"]
    assert check("127.0.0.2") and check("127.255.255.254")
    assert not check("128.0.0.1") and not check("127.0.0.256") and not check("127.0.0.2:80") and not check("::1")
