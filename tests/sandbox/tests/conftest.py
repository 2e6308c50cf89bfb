# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the sandbox's own tests.

The sandbox modules import each other as top-level modules (``serve`` puts
``tests/sandbox`` on ``sys.path``); the tests do the same.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading

import pytest
import requests
from werkzeug.serving import make_server

SANDBOX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SANDBOX_DIR not in sys.path:
    sys.path.insert(0, SANDBOX_DIR)

from context import SandboxContext  # noqa: E402  (importable only once SANDBOX_DIR is on sys.path)

logging.getLogger("werkzeug").setLevel(logging.ERROR)

YANG_JSON = "application/yang-data+json"
PROFILE = "base:profiles/profile=token-service,oauth-service"
AUTH_SERVER = PROFILE + "/settings/profile-oauth:authorization-server"
DCR_ENDPOINT_ID = "token-service-dynamic-client-registration"
DCR_ENDPOINT_URI = "/token-service/oauth-registration"


class CurityServers:
    """The Curity admin and runtime apps served over real HTTP on free ports."""

    PROFILE = PROFILE
    AUTH_SERVER = AUTH_SERVER

    def __init__(self):
        import curity_admin
        import curity_runtime
        import curity_store

        self.ctx = SandboxContext()
        self.ctx.curity = self.state = curity_store.CurityState(self.ctx)
        self._servers = []
        admin_base = self._serve(curity_admin.create_admin_app(self.ctx))
        self.runtime_url = self._serve(curity_runtime.create_runtime_app(self.ctx))
        self.ctx.urls["curity_admin"] = self.admin_url = admin_base + "/admin/api/restconf"
        self.ctx.urls["curity_runtime"] = self.runtime_url
        info = self.state.info()
        self.admin = requests.Session()
        self.admin.trust_env = False
        self.admin.auth = (info["curity_admin_username"], info["curity_admin_password"])
        self.admin.headers["Accept"] = YANG_JSON
        self.http = requests.Session()
        self.http.trust_env = False

    def _serve(self, app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._servers.append(server)
        return "http://127.0.0.1:%d" % server.server_port

    # -- RESTCONF ---------------------------------------------------------------
    def data_url(self, path=""):
        return self.admin_url + "/data" + ("/" + path if path else "")

    def restconf(self, method, path, body=None, **kwargs):
        """One RESTCONF call; a body is sent as yang-data+json."""
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs.setdefault("headers", {})["Content-Type"] = YANG_JSON
        return self.admin.request(method, self.data_url(path), **kwargs)

    def create_client(self, client_id, secret, capabilities=("client-credentials",), **leaves):
        """Config-backed client with a secret, like the Admin UI's "New Client"."""
        # code is a container on clients, client-credentials an empty leaf (Curity's exports).
        client = {"id": client_id, "secret": secret, "capabilities": {c: {} if c == "code" else [None] for c in capabilities}}
        client.update({k.replace("_", "-"): v for k, v in leaves.items()})
        response = self.restconf("PUT", AUTH_SERVER + "/client-store/config-backed/client=" + client_id,
                                 {"profile-oauth:client": [client]})
        assert response.status_code == 201, response.text
        return response

    def enable_dcr(self, initial_clients, management=True, capabilities=("client-credentials",), scopes=None,
                   management_clients=None, deploy=True):
        """Non-templatized DCR as Kong's Curity guide configures it (``scopes`` None = all)."""
        settings = {
            "capabilities": {c: [None] for c in capabilities},
            "scopes": {"all": [None]} if scopes is None else {"scope": list(scopes)},
            "authenticators": {"all": [None]},
            "client-authentication-method": {"secret": {}},
            "authenticate-client-by": list(initial_clients),
        }
        dcr = {"client-data-source": "default-datasource", "non-templatized": settings}
        if management:
            # management-clients: a container whose members are not public; the stand-in reads client ids in it.
            dcr["client-management"] = {"management-clients": {"client": list(management_clients)}} \
                if management_clients else {}
        response = self.restconf("PUT", AUTH_SERVER + "/dynamic-client-registration",
                                 {"profile-oauth:dynamic-client-registration": dcr})
        assert response.status_code in (201, 204), response.text
        if deploy:
            self.deploy_dcr_endpoint()
        return response

    def deploy_dcr_endpoint(self, endpoint_id=DCR_ENDPOINT_ID, uri=DCR_ENDPOINT_URI, role="default"):
        """The DCR endpoint on the profile and on a service role, in one PATCH of the datastore (Kong's "Select the
        nodes you want to enable DCR on")."""
        response = self.restconf("PATCH", "", {"ietf-restconf:data": {
            "base:profiles": {"profile": [{"id": "token-service", "type": "profile-oauth:oauth-service", "endpoints": {
                "endpoint": [{"id": endpoint_id, "uri": uri, "endpoint-kind": "oauth-dynamic-client-registration"}]}}]},
            "base:environments": {"environment": {"services": {"service-role": [
                {"id": role, "endpoints": [endpoint_id]}]}}}}})
        assert response.status_code == 204, response.text
        return response

    # -- runtime -----------------------------------------------------------------
    def discovery(self):
        response = self.http.get(self.state.info()["curity_issuer"] + "/.well-known/openid-configuration")
        assert response.status_code == 200, response.text
        return response.json()

    def token(self, client_id, secret, scope=None, **kwargs):
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        return self.http.post(self.discovery()["token_endpoint"], data=form, auth=(client_id, secret), **kwargs)

    def register(self, initial_token, metadata):
        return self.http.post(self.discovery()["registration_endpoint"], json=metadata,
                              headers={"Authorization": "Bearer " + initial_token})

    def stop(self):
        self.admin.close()
        self.http.close()
        for server in self._servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def curity_servers():
    """Fresh Curity stand-in (admin + runtime) at its seed."""
    servers = CurityServers()
    yield servers
    servers.stop()


# ---------------------------------------------------------------------------
# Konnect stand-in (admin API, developer portals) and gateway, with the Curity
# stand-in in the same context: every service on its own free port.
# ---------------------------------------------------------------------------
def konnect_spec_dir():
    """Kong's OpenAPI files: $KONNECT_SPECS_DIR if set, else ../shared/specs/konnect beside the repository; None if absent."""
    repo = os.path.dirname(os.path.dirname(SANDBOX_DIR))
    candidate = os.environ.get("KONNECT_SPECS_DIR") or os.path.join(repo, "..", "shared", "specs", "konnect")
    return os.path.abspath(candidate) if os.path.isdir(candidate) else None


class _KonnectSlot:
    """A WSGI placeholder, so every URL is known before the apps are built (as core does)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class KonnectApi:
    """A requests session bound to one base URL."""

    def __init__(self, base, headers=None):
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers.update(headers or {})

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


class KonnectSandbox:
    """Konnect admin, every developer portal, the gateway and the Curity stand-in, over real HTTP."""

    DCR_CLIENT_ID = "konnect-dcr"
    AUTH_SERVER = AUTH_SERVER

    def __init__(self, spec_dir):
        import core
        import curity_admin
        import curity_runtime
        import curity_store
        import gateway
        import konnect_admin
        import konnect_portal
        import konnect_store

        self.ctx = SandboxContext(spec_dir=spec_dir)
        self._servers = []
        self._portals = {}
        self._portal_addresses = core.PortalAddresses()
        self.ctx.set_portal_allocator(self._portal_url)  # as core does
        slots = {name: _KonnectSlot() for name in ("konnect", "gateway", "curity_admin", "curity_runtime")}
        urls = {name: self._serve(slot) for name, slot in slots.items()}
        urls["curity_admin"] += "/admin/api/restconf"
        self.ctx.urls.update(urls)
        self.ctx.curity = curity_store.CurityState(self.ctx)
        self._portal_app = self.portal_wsgi = konnect_portal.create_portal_app(self.ctx)
        self.ctx.konnect = self.state = konnect_store.KonnectState(self.ctx)
        slots["konnect"].app = self.admin_wsgi = konnect_admin.create_admin_app(self.ctx)
        slots["gateway"].app = gateway.create_gateway_app(self.ctx)
        slots["curity_admin"].app = curity_admin.create_admin_app(self.ctx)
        slots["curity_runtime"].app = curity_runtime.create_runtime_app(self.ctx)
        self.dcr_client_secret = "dcr-" + os.urandom(12).hex()

    def _serve(self, app, host="127.0.0.1"):
        server = make_server(host, 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._servers.append(server)
        return "http://%s:%d" % (host, server.server_port)

    def _portal_url(self, portal_id):
        with self.ctx.lock:
            if portal_id not in self._portals:
                portal_app = self._portal_app

                def app(environ, start_response):
                    environ["sandbox.portal_id"] = portal_id
                    return portal_app(environ, start_response)

                self._portals[portal_id] = self._serve(app, self._portal_addresses.take())  # as core does
            return self._portals[portal_id]

    def reset(self):
        with self.ctx.lock:
            self.ctx.curity.reset()
            self.ctx.konnect.reset()
        self.ctx.clear_violations()

    def info(self):
        return dict(self.ctx.curity.info(), **self.ctx.konnect.info())

    # -- clients ----------------------------------------------------------------
    def admin(self, token=None):
        token = self.state.token if token is None else token
        return KonnectApi(self.ctx.urls["konnect"], {"Authorization": "Bearer " + token} if token else {})

    def portal(self, portal_id=None, login=True, password=None):
        """A developer Portal API client of a portal (default: the v3 seed), logged in as the seeded developer."""
        info = self.info()
        portal_id = portal_id or info["portal_id"]
        client = KonnectApi(self.ctx.portal_url(portal_id))
        if login:
            version = "v3" if self.state.portals[portal_id]["generation"] == "v3" else "v2"
            response = client.post("/api/%s/developer/authenticate" % version, json={
                "username": info["developer_email"], "password": password or info["developer_password"]})
            assert response.status_code == 204, response.text
        return client

    def gateway(self):
        return KonnectApi(self.ctx.urls["gateway"])

    def curity_token(self, client_id, secret, scope=None):
        issuer = self.ctx.curity.info()["curity_issuer"]
        http = KonnectApi("")
        token_endpoint = http.get(issuer + "/.well-known/openid-configuration").json()["token_endpoint"]
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        return http.post(token_endpoint, data=form, auth=(client_id, secret))

    # -- Curity configured as Kong's Curity DCR guide says ----------------------
    def restconf(self):
        """Curity's RESTCONF data API (``/data``), as its administrator."""
        info = self.ctx.curity.info()
        restconf = KonnectApi(self.ctx.urls["curity_admin"] + "/data", {"Content-Type": YANG_JSON, "Accept": YANG_JSON})
        restconf.session.auth = (info["curity_admin_username"], info["curity_admin_password"])
        return restconf

    def configure_curity(self, jwt_access_tokens=True):
        """A client-credentials client for Konnect, non-templatized DCR with client management, JWT access tokens."""
        restconf = self.restconf()
        client = {"id": self.DCR_CLIENT_ID, "secret": self.dcr_client_secret, "capabilities": {"client-credentials": [None]}}
        steps = [("PUT", AUTH_SERVER + "/client-store/config-backed/client=" + self.DCR_CLIENT_ID,
                  {"profile-oauth:client": [client]}),
                 ("PUT", AUTH_SERVER + "/dynamic-client-registration", {"profile-oauth:dynamic-client-registration": {
                     "client-data-source": "default-datasource", "client-management": {},
                     "non-templatized": {"capabilities": {"client-credentials": [None]}, "scopes": {"all": [None]},
                                         "authenticators": {"all": [None]}, "client-authentication-method": {"secret": {}},
                                         "authenticate-client-by": [self.DCR_CLIENT_ID]}}}),
                 # "Select the nodes you want to enable DCR on": the DCR endpoint, deployed on the default role.
                 ("PATCH", "", {"ietf-restconf:data": {
                     "base:profiles": {"profile": [{"id": "token-service", "type": "profile-oauth:oauth-service",
                                                    "endpoints": {"endpoint": [{
                                                        "id": DCR_ENDPOINT_ID, "uri": DCR_ENDPOINT_URI,
                                                        "endpoint-kind": "oauth-dynamic-client-registration"}]}}]},
                     "base:environments": {"environment": {"services": {"service-role": [
                         {"id": "default", "endpoints": [DCR_ENDPOINT_ID]}]}}}}})]
        if jwt_access_tokens:
            steps.append(("PATCH", PROFILE + "/token-issuers/default-token-issuer",
                          {"base:default-token-issuer": {"access-token-as-jwt": [None]}}))
        for method, path, body in steps:
            response = restconf.request(method, "/" + path if path else "", data=json.dumps(body))
            assert response.status_code in (201, 204), (path, response.status_code, response.text)

    # -- Konnect configured for Curity DCR (what the collection automates) ------
    def configure_dcr(self, auto_approve=False, auth_methods=("client_credentials", "bearer")):
        """Curity DCR provider + OIDC strategy, the strategy on both seeded portals and their published entities."""
        self.configure_curity()
        info, admin = self.info(), self.admin()
        provider = admin.post("/v2/dcr-providers", json={
            "name": "curity", "display_name": "Curity", "provider_type": "curity", "issuer": info["curity_issuer"],
            "dcr_config": {"initial_client_id": self.DCR_CLIENT_ID, "initial_client_secret": self.dcr_client_secret}})
        assert provider.status_code == 201, provider.text
        strategy = admin.post("/v2/application-auth-strategies", json={
            "name": "curity-dcr", "display_name": "Curity", "strategy_type": "openid_connect",
            "dcr_provider_id": provider.json()["id"],
            "configs": {"openid-connect": {"issuer": info["curity_issuer"], "credential_claim": ["sub"], "scopes": [],
                                           "auth_methods": list(auth_methods)}}})
        assert strategy.status_code == 201, strategy.text
        strategy_id = strategy.json()["id"]
        steps = [
            ("PATCH", "/v3/portals/%s" % info["portal_id"], {"default_application_auth_strategy_id": strategy_id}),
            ("PATCH", "/v2/portals/%s" % info["classic_portal_id"], {"default_application_auth_strategy_id": strategy_id}),
            ("PUT", "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]),
             {"auth_strategy_ids": [strategy_id], "visibility": "public", "auto_approve_registrations": auto_approve}),
            ("PATCH", "/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"]),
             {"auth_strategy_ids": [strategy_id], "auto_approve_registration": auto_approve}),
        ]
        for method, path, body in steps:
            response = admin.request(method, path, json=body)
            assert response.status_code == 200, (path, response.text)
        return {"provider_id": provider.json()["id"], "strategy_id": strategy_id}

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def konnect_servers():
    """One Konnect sandbox per test session (per xdist worker)."""
    servers = KonnectSandbox(konnect_spec_dir())
    yield servers
    servers.stop()


@pytest.fixture
def konnect_sandbox(konnect_servers):
    """The Konnect sandbox at its seed, with no recorded OpenAPI violation.

    After the test, no response may have violated Kong's files: tests send malformed requests on purpose,
    but whatever the request, the answer must be one Konnect could give.  A test that feeds the checker
    broken responses on purpose clears them itself.
    """
    konnect_servers.reset()
    yield konnect_servers
    wrong = [v for v in konnect_servers.ctx.violations() if v["kind"] == "response"]
    assert wrong == [], "\n".join("%(service)s %(method)s %(path)s: %(detail)s" % v for v in wrong)
