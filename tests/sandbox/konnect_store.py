# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory Konnect data (admin API, developer portals, gateway) and its seed.

``KonnectState(ctx)`` holds every Konnect object as a plain dict keyed by id.
Callers hold ``ctx.lock`` while they read or change it, and release it before
any HTTP call to the Curity runtime (those calls are served by other threads).

The second half of the module is Konnect's side of Dynamic Client Registration:
the calls Konnect makes to an identity provider (OpenID discovery, the
``client_credentials`` grant for an initial access token with scope ``dcr``,
RFC 7591 registration, RFC 7592 management).  Konnect never invents client
credentials: the identity provider issues them and Konnect keeps only the
client id, the ``registration_client_uri`` and the registration access token.

Seed (identical ids, token and developer password after every reset; generated
once per process):

* a new Dev Portal (v3) and a classic Dev Portal (v2), each with one approved
  developer (same e-mail and password on both); the new Dev Portal came with its
  Key Auth strategy, its default (``new_portal_v3``);
* an API (``/v3/apis``) implemented by the gateway service behind
  ``route_path`` and published to the v3 portal **without** an auth strategy
  (``auth_strategy_ids: null``);
* an API product with one version on that same gateway service, published to
  the classic portal with application registration enabled and no auth strategy;
* two admin tokens: a personal access token (``kpat_...``, every right) and a
  read-only system account token (``spat_...``: reads work, writes get 403).

The public API publication is ``visibility: public`` so the seeded API is listed
on the portal without login.  ``info()`` also names the seeded product, product
version, control plane and gateway service, which the classic flow and API
implementations need.

Approval defaults (Konnect's documented defaults): ``auto_approve_developers``
and ``auto_approve_applications`` are false on both portals, and the seeded
publication / portal product version do not auto-approve registrations, so a
new registration is ``pending`` until an administrator approves it, unless one
of those switches is turned on.
"""

import base64
import datetime
import hashlib
import hmac
import secrets
import string
import threading
import uuid
from urllib.parse import urlsplit

import gateway_push

DEVELOPER_EMAIL = "developer@example.com"
DEVELOPER_NAME = "Sandbox Developer"
PORTAL_NAME = "sandbox-portal"
CLASSIC_PORTAL_NAME = "sandbox-classic-portal"
API_NAME = "demo-api"
API_VERSION = "v1"
PRODUCT_NAME = "demo-product"
PRODUCT_VERSION_NAME = "v1"
ROUTE_PATH = "/demo"
IDP_TIMEOUT = 10
# The Key Auth strategy every new Dev Portal gets (see ``new_portal_v3``): its name, display name and key
# name are not published; these are inferred from Konnect's UI ("Key Auth") and Kong's key-auth default.
KEY_AUTH_NAME = "key-auth"
KEY_AUTH_DISPLAY_NAME = "Key Auth"
KEY_AUTH_KEY_NAMES = ["apikey"]

_ALNUM = string.ascii_letters + string.digits


# --------------------------------------------------------------------------- utilities
def now():
    """RFC 3339 timestamp with milliseconds and ``Z``, as Konnect writes them."""
    stamp = datetime.datetime.now(datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (stamp.microsecond // 1000)


def new_id():
    return str(uuid.uuid4())


def is_uuid(value):
    try:
        return str(uuid.UUID(str(value))) == str(value).lower() and len(str(value)) == 36
    except ValueError:
        return False


def random_token(prefix, length=48):
    return prefix + "".join(secrets.choice(_ALNUM) for _position in range(length))


def hash_password(password, salt=None):
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 20000)
    return salt, digest


def check_password(record, password):
    salt, digest = record["password_hash"]
    return hmac.compare_digest(hash_password(password, salt)[1], digest)


def slugify(*parts):
    text = "-".join(p for p in parts if p).lower()
    slug = "".join(c if c.isalnum() else "-" for c in text)
    return "-".join(filter(None, slug.split("-"))) or "api"


def host_of(url):
    """The host of a URL without its port: a sandbox portal's domain.

    Konnect domains are host names and carry no port (``format: hostname`` in Kong's
    files); each sandbox portal listens on its own loopback address, so the address
    alone names it.
    """
    return urlsplit(url).hostname


# --------------------------------------------------------------------------- the state
_PROCESS_LOCK = threading.Lock()
_PROCESS_MATERIAL = {}
SEED_OBJECTS = ("portal", "classic_portal", "developer", "classic_developer", "api", "implementation", "product",
                "product_version", "portal_product_version", "control_plane", "service", "route", "organization",
                "featureset", "key_auth_strategy")


def _process_material():
    """Seed ids, admin tokens and the developer password: random, generated once per process."""
    with _PROCESS_LOCK:
        if not _PROCESS_MATERIAL:
            password = "Dev-" + secrets.token_urlsafe(18)
            _PROCESS_MATERIAL.update(
                token=random_token("kpat_"), readonly_token=random_token("spat_"), developer_password=password,
                password_hash=hash_password(password), seed_time=now(), ids={name: new_id() for name in SEED_OBJECTS})
        return _PROCESS_MATERIAL


class KonnectState:
    """Every Konnect object of the sandbox; ``reset()`` restores the seed."""

    def __init__(self, ctx):
        self.ctx = ctx
        material = _process_material()  # identical after every reset
        self.token = material["token"]
        self.readonly_token = material["readonly_token"]
        self.developer_password = material["developer_password"]
        self._password_hash = material["password_hash"]
        self._seed_time = material["seed_time"]
        self.seed_ids = material["ids"]
        self.org_id = self.seed_ids["organization"]  # the Konnect organisation every object belongs to
        self.data_plane = gateway_push.DataPlane()  # what the gateway sees of this state, and when
        self.reset()

    # -- lifecycle --------------------------------------------------------------
    def reset(self):
        with self.ctx.lock:
            self.dcr_providers = {}
            self.auth_strategies = {}
            self.portals = {}
            self.developers = {}
            self.sessions = {}
            self.refresh_tokens = {}
            self.apis = {}
            self.implementations = {}
            self.publications = {}  # (api_id, portal_id) -> publication
            self.api_products = {}
            self.product_versions = {}
            self.portal_product_versions = {}
            self.applications = {}
            self.registrations = {}
            self.gateway_services = {}
            self.routes = {}
            self._seed()
            self.data_plane.reset()

    def _seed(self):
        ids, stamp = self.seed_ids, self._seed_time
        self.gateway_services[ids["service"]] = {
            "id": ids["service"], "control_plane_id": ids["control_plane"], "name": "demo-service"}
        self.routes[ids["route"]] = {"id": ids["route"], "paths": [ROUTE_PATH], "service_id": ids["service"]}
        self.portals[ids["portal"]] = self.new_portal_v3({"name": PORTAL_NAME}, ids["portal"], stamp,
                                                         ids["key_auth_strategy"])
        self.portals[ids["classic_portal"]] = self.new_portal_v2({"name": CLASSIC_PORTAL_NAME}, ids["classic_portal"], stamp)
        for key, portal_key in (("developer", "portal"), ("classic_developer", "classic_portal")):
            self.developers[ids[key]] = {
                "id": ids[key], "portal_id": ids[portal_key], "email": DEVELOPER_EMAIL, "full_name": DEVELOPER_NAME,
                "status": "approved", "password_hash": self._password_hash, "created_at": stamp, "updated_at": stamp}
        self.apis[ids["api"]] = {
            "id": ids["api"], "name": API_NAME, "version": API_VERSION, "description": "Demo API behind %s" % ROUTE_PATH,
            "slug": slugify(API_NAME, API_VERSION), "labels": {}, "attributes": {}, "created_at": stamp, "updated_at": stamp}
        self.implementations[ids["implementation"]] = {
            "id": ids["implementation"], "api_id": ids["api"], "service_id": ids["service"],
            "control_plane_id": ids["control_plane"], "created_at": stamp, "updated_at": stamp}
        self.publications[(ids["api"], ids["portal"])] = {
            "api_id": ids["api"], "portal_id": ids["portal"], "auth_strategy_ids": None, "visibility": "public",
            "auto_approve_registrations": False, "created_at": stamp, "updated_at": stamp}
        self.api_products[ids["product"]] = {
            "id": ids["product"], "name": PRODUCT_NAME, "description": "Demo API product behind %s" % ROUTE_PATH,
            "portal_ids": [ids["classic_portal"]], "labels": {}, "public_labels": {}, "created_at": stamp,
            "updated_at": stamp}
        self.product_versions[ids["product_version"]] = {
            "id": ids["product_version"], "product_id": ids["product"], "name": PRODUCT_VERSION_NAME,
            "publish_status": "published", "deprecated": False, "labels": {},
            "gateway_service": {"id": ids["service"], "control_plane_id": ids["control_plane"]},
            "created_at": stamp, "updated_at": stamp}
        self.portal_product_versions[ids["portal_product_version"]] = {
            "id": ids["portal_product_version"], "portal_id": ids["classic_portal"],
            "product_version_id": ids["product_version"], "publish_status": "published", "auth_strategy_ids": [],
            "application_registration_enabled": True, "auto_approve_registration": False, "deprecated": False,
            "created_at": stamp, "updated_at": stamp}

    def info(self):
        ids = self.seed_ids
        with self.ctx.lock:
            portal_url = self.ctx.portal_url(ids["portal"])
            classic_url = self.ctx.portal_url(ids["classic_portal"])
        return {
            "konnect_token": self.token,
            "konnect_readonly_token": self.readonly_token,
            "portal_name": PORTAL_NAME, "portal_id": ids["portal"], "portal_url": portal_url,
            "classic_portal_name": CLASSIC_PORTAL_NAME, "classic_portal_id": ids["classic_portal"],
            "classic_portal_url": classic_url,
            "developer_email": DEVELOPER_EMAIL, "developer_password": self.developer_password,
            "api_name": API_NAME, "api_id": ids["api"],
            "api_product_name": PRODUCT_NAME, "api_product_id": ids["product"],
            "product_version_name": PRODUCT_VERSION_NAME, "product_version_id": ids["product_version"],
            "control_plane_id": ids["control_plane"], "gateway_service_id": ids["service"],
            "route_path": ROUTE_PATH,
        }

    # -- constructors shared by the seed and the admin API ---------------------
    def _domain(self, portal_id):
        return host_of(self.ctx.portal_url(portal_id))

    def new_portal_v3(self, body, portal_id=None, stamp=None, key_auth_id=None):
        """A new Dev Portal, and the Key Auth strategy Konnect creates with it (stored at once).

        Kong's docs (dev-portal/auth-strategies.md, confirmed): "By default, a Key Auth strategy is created
        for every Dev Portal. If your portal is marked as Private, this strategy is also set as the default
        in your security settings" (self-service.md says the same).  A private portal is one whose developers
        log in, ``authentication_enabled`` (inferred: the files' word for it).  An explicit
        ``default_application_auth_strategy_id`` in ``body`` is applied afterwards by the caller.
        """
        portal_id, stamp = portal_id or new_id(), stamp or now()
        domain = self._domain(portal_id)
        key_auth = self.new_key_auth_strategy(key_auth_id or new_id(), stamp)
        private = body.get("authentication_enabled", True) is not False
        portal = {
            "id": portal_id, "generation": "v3", "name": body["name"], "display_name": body.get("display_name") or body["name"],
            "description": body.get("description"), "authentication_enabled": True, "rbac_enabled": False,
            "sipr_enabled": False, "default_api_visibility": "private", "default_page_visibility": "private",
            "default_application_auth_strategy_id": key_auth["id"] if private else None, "auto_approve_developers": False,
            "auto_approve_applications": False, "default_domain": domain, "canonical_domain": domain, "labels": {},
            "notifications_developer_pii_visibility_enabled": False, "created_at": stamp, "updated_at": stamp}
        return portal

    def new_key_auth_strategy(self, strategy_id, stamp):
        """The Key Auth strategy a new Dev Portal comes with (see ``new_portal_v3``), stored in the state."""
        strategy = {"id": strategy_id, "name": KEY_AUTH_NAME, "display_name": KEY_AUTH_DISPLAY_NAME,
                    "strategy_type": "key_auth", "configs": {"key-auth": {"key_names": list(KEY_AUTH_KEY_NAMES)}},
                    "dcr_provider_id": None, "labels": {}, "principals": None, "created_at": stamp, "updated_at": stamp}
        self.auth_strategies[strategy_id] = strategy
        return strategy

    def new_portal_v2(self, body, portal_id=None, stamp=None):
        # A classic portal gets no strategy: Kong's statement above is about the new Dev Portal (inferred).
        portal_id, stamp = portal_id or new_id(), stamp or now()
        return {
            "id": portal_id, "generation": "v2", "name": body["name"], "display_name": body.get("display_name") or body["name"],
            "description": body.get("description"), "default_domain": self._domain(portal_id), "is_public": False,
            "rbac_enabled": False, "auto_approve_applications": False, "auto_approve_developers": False,
            "custom_domain": None, "custom_client_domain": None, "default_application_auth_strategy_id": None,
            "labels": {}, "created_at": stamp, "updated_at": stamp}

    # -- queries (hold ctx.lock) ------------------------------------------------
    def strategies_using_provider(self, provider_id):
        return [s for s in self.auth_strategies.values() if s.get("dcr_provider_id") == provider_id]

    def strategy_in_use(self, strategy_id):
        """Whether a portal default, an API publication or a portal product version uses the strategy."""
        return any(p["default_application_auth_strategy_id"] == strategy_id for p in self.portals.values()) or any(
            strategy_id in (p["auth_strategy_ids"] or []) for p in self.publications.values()) or any(
            strategy_id in v["auth_strategy_ids"] for v in self.portal_product_versions.values())

    def strategy_active(self, strategy_id):
        """At least one published entity uses the strategy."""
        return any(strategy_id in (p["auth_strategy_ids"] or []) for p in self.publications.values()) or any(
            strategy_id in v["auth_strategy_ids"] and v["publish_status"] == "published"
            for v in self.portal_product_versions.values())

    def credential_type(self, strategy):
        if strategy["strategy_type"] == "key_auth":
            return "key_auth"
        return "client_credentials" if strategy.get("dcr_provider_id") else "self_managed_client_credentials"

    def portal_strategy_ids(self, portal_id):
        """Strategies developers of a portal can use: the default and those of its published entities."""
        portal = self.portals[portal_id]
        ids = [portal["default_application_auth_strategy_id"]]
        if portal["generation"] == "v3":
            for publication in self.publications.values():
                if publication["portal_id"] == portal_id:
                    ids += publication["auth_strategy_ids"] or []
        else:
            for ppv in self.portal_product_versions.values():
                if ppv["portal_id"] == portal_id and ppv["publish_status"] == "published":
                    ids += ppv["auth_strategy_ids"]
        return [i for i in dict.fromkeys(ids) if i in self.auth_strategies]

    def knows_client(self, client_id, strategy_ids):
        """Whether an application using one of ``strategy_ids`` has the client id ``client_id``."""
        return any(a.get("client_id") == client_id and a["auth_strategy_id"] in strategy_ids
                   for a in self.applications.values())

    def apps_of_developer(self, developer_id):
        return [a for a in self.applications.values() if a["developer_id"] == developer_id]

    def registrations_of(self, application_id):
        return [r for r in self.registrations.values() if r["application_id"] == application_id]

    def portal_products(self, portal_id):
        """Classic portal: published product versions grouped by product id."""
        found = {}
        for ppv in self.portal_product_versions.values():
            if ppv["portal_id"] != portal_id or ppv["publish_status"] != "published":
                continue
            version = self.product_versions.get(ppv["product_version_id"])
            if version is not None:
                found.setdefault(version["product_id"], []).append((version, ppv))
        return found

    def ppv_for(self, portal_id, product_version_id):
        for ppv in self.portal_product_versions.values():
            if ppv["portal_id"] == portal_id and ppv["product_version_id"] == product_version_id:
                return ppv
        return None

    def forget_application(self, application_id):
        """Remove an application and its registrations; return its DCR record (for the IdP) or None."""
        app = self.applications.pop(application_id)
        for registration in self.registrations_of(application_id):
            del self.registrations[registration["id"]]
        return app.get("dcr")

    # -- gateway ----------------------------------------------------------------
    def route_for(self, path):
        """The route whose path prefix matches ``path`` best (Kong's longest prefix), or None."""
        best = None
        for route in self.routes.values():
            for prefix in route["paths"]:
                if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                    if best is None or len(prefix) > len(best[1]):
                        best = (route, prefix)
        return best[0] if best else None

    def bindings_for_service(self, service_id):
        """What protects a gateway service: (kind, target id, portal id, strategy) for every published entity.

        kind is ``api`` (v3 publication of an API implemented by the service) or
        ``product_version`` (classic portal product version on that service).
        """
        bindings = []
        api_ids = {i["api_id"] for i in self.implementations.values() if i["service_id"] == service_id}
        for (api_id, portal_id), publication in self.publications.items():
            if api_id in api_ids:
                for strategy_id in publication["auth_strategy_ids"] or []:
                    bindings.append(("api", api_id, portal_id, self.auth_strategies.get(strategy_id)))
        for version in self.product_versions.values():
            if (version.get("gateway_service") or {}).get("id") != service_id:
                continue
            for ppv in self.portal_product_versions.values():
                if ppv["product_version_id"] == version["id"] and ppv["publish_status"] == "published" \
                        and ppv["application_registration_enabled"]:
                    for strategy_id in ppv["auth_strategy_ids"]:
                        bindings.append(("product_version", version["id"], ppv["portal_id"],
                                         self.auth_strategies.get(strategy_id)))
        return [b for b in bindings if b[3] is not None]

    def protection_for_service(self, service_id):
        """``(bindings, open_to_anyone, plugin_installed)`` for a gateway service.

        * ``bindings``: as ``bindings_for_service``.
        * ``open_to_anyone``: a published entity on the service asks for no application auth: a v3
          publication with ``auth_strategy_ids`` null (Kong's file: null means no application auth), or a
          classic product version published with application registration enabled and no strategy.
        * ``plugin_installed``: Konnect manages a ``konnect-application-auth`` plugin on the service.
          It installs one when an API is linked to the service (an implementation; Kong's "Link Gateway
          Service" page: "This link will install the Konnect Application Auth (KAA) plugin on that
          service. The KAA plugin can only be configured from the associated Dev Portal/Published
          APIs"), and while a classic product version on the service has application registration
          enabled, whatever its publication status (the reference's section 6.3). Unpublishing keeps the
          link, so the plugin stays, configured with nothing (inferred).
        """
        open_to_anyone, installed = False, False
        api_ids = {i["api_id"] for i in self.implementations.values() if i["service_id"] == service_id}
        installed = bool(api_ids)
        for (api_id, _portal_id), publication in self.publications.items():
            if api_id in api_ids and not publication["auth_strategy_ids"]:
                open_to_anyone = True
        for version in self.product_versions.values():
            if (version.get("gateway_service") or {}).get("id") != service_id:
                continue
            for ppv in self.portal_product_versions.values():
                if ppv["product_version_id"] != version["id"] or not ppv["application_registration_enabled"]:
                    continue
                installed = True
                if ppv["publish_status"] == "published" and not ppv["auth_strategy_ids"]:
                    open_to_anyone = True
        return self.bindings_for_service(service_id), open_to_anyone, installed

    def approved_application(self, binding, client_id):
        """The application of ``client_id`` holding an approved registration for the binding, or None."""
        kind, target, portal_id, strategy = binding
        key = "api_id" if kind == "api" else "product_version_id"
        for app in self.applications.values():
            if app["portal_id"] != portal_id or app.get("client_id") != client_id \
                    or app["auth_strategy_id"] != strategy["id"]:
                continue
            for registration in self.registrations_of(app["id"]):
                if registration.get(key) == target and registration["status"] == "approved":
                    return app
        return None


# --------------------------------------------------------------------------- Konnect as a DCR client
class IdpError(Exception):
    """The identity provider refused or failed; the message carries no secret."""


class InitialTokenError(IdpError):
    """Konnect could not obtain its initial access token (discovery or the client credentials grant)."""


def discovery_url(issuer):
    """A DCR provider's issuer may be the issuer itself or its discovery document URL."""
    issuer = issuer.strip()
    if issuer.endswith("/.well-known/openid-configuration"):
        return issuer
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _call(ctx, method, url, what, **kwargs):
    try:
        return ctx.http().request(method, url, timeout=IDP_TIMEOUT, **kwargs)
    except Exception as exc:  # requests raises many kinds; any of them means "unreachable"
        raise IdpError("%s: identity provider unreachable (%s)" % (what, type(exc).__name__)) from None


def _json_of(response, what):
    try:
        document = response.json()
    except ValueError:
        raise IdpError("%s: identity provider answered %d without JSON" % (what, response.status_code)) from None
    if not isinstance(document, dict):
        raise IdpError("%s: identity provider answered %d with unexpected JSON" % (what, response.status_code))
    return document


def _oauth_error(response, what):
    try:
        body = response.json()
        code = body.get("error") if isinstance(body, dict) else None
    except ValueError:
        code = None
    return IdpError("%s: identity provider answered %d%s" % (what, response.status_code, " (%s)" % code if code else ""))


def discover(ctx, issuer):
    """The OpenID Provider metadata of an issuer (OpenID Connect Discovery 1.0)."""
    response = _call(ctx, "GET", discovery_url(issuer), "discovery", headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise _oauth_error(response, "discovery")
    return _json_of(response, "discovery")


def _basic(client_id, client_secret):
    # Sent as ``curl -u id:secret`` does (Curity's own examples); RFC 6749 section 2.3.1 would also
    # form-urlencode both parts, which changes nothing for URL-safe ids and secrets [inferred].
    raw = "%s:%s" % (client_id, client_secret)
    return "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")


def client_credentials_token(ctx, token_endpoint, client_id, client_secret, scope=None):
    """RFC 6749 section 4.4 with client_secret_basic; the token response, or IdpError."""
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    response = _call(ctx, "POST", token_endpoint, "token request", data=form,
                     headers={"Authorization": _basic(client_id, client_secret), "Accept": "application/json"})
    if response.status_code != 200:
        raise _oauth_error(response, "token request")
    token = _json_of(response, "token request")
    if not token.get("access_token"):
        raise IdpError("token request: no access_token in the response")
    return token


def _curity_only(provider):
    if provider["provider_type"] != "curity":
        raise IdpError("the sandbox performs Dynamic Client Registration with Curity providers only")


def initial_access_token(ctx, provider, metadata=None):
    """An initial access token (scope ``dcr``) obtained with the provider's initial client.

    Only the Curity flow is modelled: other provider types talk to vendor APIs
    (Okta's, Auth0's, an HTTP bridge) that have no stand-in, and are refused
    without any network call.
    """
    _curity_only(provider)
    try:
        metadata = metadata or discover(ctx, provider["issuer"])
        if not metadata.get("token_endpoint"):
            raise IdpError("discovery: no token_endpoint")
        config = provider["dcr_config"]
        token = client_credentials_token(ctx, metadata["token_endpoint"], config.get("initial_client_id", ""),
                                         config.get("initial_client_secret", ""), "dcr")
        if "scope" in token and "dcr" not in str(token["scope"]).split():
            raise IdpError("token request: the token was not granted the dcr scope")
    except InitialTokenError:
        raise
    except IdpError as exc:
        raise InitialTokenError(str(exc)) from None
    return token["access_token"]


def register_client(ctx, provider, strategy, app):
    """RFC 7591 registration of an application's client; returns (client_id, client_secret, dcr record).

    Raises ``InitialTokenError`` when Konnect cannot obtain its initial access token (discovery included: it
    gives the token endpoint), ``IdpError`` when the registration itself fails.
    """
    _curity_only(provider)
    try:
        metadata = discover(ctx, provider["issuer"])
    except IdpError as exc:
        raise InitialTokenError(str(exc)) from None
    endpoint = metadata.get("registration_endpoint")
    if not endpoint:
        raise IdpError("discovery: no registration_endpoint (dynamic client registration disabled?)")
    access_token = initial_access_token(ctx, provider, metadata)
    request = {"client_name": app["name"], "grant_types": ["client_credentials"],
               "token_endpoint_auth_method": "client_secret_basic"}
    if app.get("redirect_uri"):
        request["redirect_uris"] = [app["redirect_uri"]]
    scopes = strategy["configs"]["openid-connect"].get("scopes") or []
    if scopes:
        request["scope"] = " ".join(scopes)
    response = _call(ctx, "POST", endpoint, "registration", json=request,
                     headers={"Authorization": "Bearer " + access_token, "Accept": "application/json"})
    if response.status_code not in (200, 201):
        raise _oauth_error(response, "registration")
    client = _json_of(response, "registration")
    if not client.get("client_id") or not client.get("client_secret"):
        raise IdpError("registration: no client_id/client_secret in the response")
    dcr = {"registration_client_uri": client.get("registration_client_uri"),
           "registration_access_token": client.get("registration_access_token")}
    return client["client_id"], client["client_secret"], dcr


def rotate_secret(ctx, dcr):
    """RFC 7592 read of the client, which rotates its secret and registration access token at Curity.

    Returns (client_secret, new dcr record).
    """
    if not dcr or not dcr.get("registration_client_uri") or not dcr.get("registration_access_token"):
        raise IdpError("secret rotation: the client was registered without client management")
    response = _call(ctx, "GET", dcr["registration_client_uri"], "secret rotation",
                     headers={"Authorization": "Bearer " + dcr["registration_access_token"], "Accept": "application/json"})
    if response.status_code != 200:
        raise _oauth_error(response, "secret rotation")
    client = _json_of(response, "secret rotation")
    if not client.get("client_secret"):
        raise IdpError("secret rotation: no client_secret in the response")
    return client["client_secret"], {
        "registration_client_uri": client.get("registration_client_uri") or dcr["registration_client_uri"],
        "registration_access_token": client.get("registration_access_token") or dcr["registration_access_token"]}


def delete_client(ctx, dcr):
    """RFC 7592 deletion of a registered client; True when the IdP no longer has it."""
    if not dcr or not dcr.get("registration_client_uri") or not dcr.get("registration_access_token"):
        return False
    try:
        response = _call(ctx, "DELETE", dcr["registration_client_uri"], "client deletion",
                         headers={"Authorization": "Bearer " + dcr["registration_access_token"]})
    except IdpError:
        return False
    return response.status_code in (200, 204)
