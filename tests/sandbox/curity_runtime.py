# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OAuth 2.0 runtime of the Curity stand-in: discovery, JWKS, token endpoint and DCR.

Built on Authlib: its ``AuthorizationServer`` with the client credentials
grant (RFC 6749), ``ClientRegistrationEndpoint`` (RFC 7591) and
``ClientConfigurationEndpoint`` (RFC 7592), bearer token validation through
``ResourceProtector`` (RFC 6750) and JOSE through joserfc, the JOSE library
Authlib itself is built on.

Paths come from the profile's ``endpoints`` (by ``endpoint-kind``) that a
service role deploys, read from the configuration on every request, so a
RESTCONF write is visible at once: ``oauth-anonymous`` (issuer, discovery,
JWKS), ``oauth-token`` and, while non-templatized DCR is enabled,
``oauth-dynamic-client-registration`` and its RFC 7592 ``/<client_id>``
children.

Registration and management run while holding ``ctx.lock`` (the initial
access token is checked and used up atomically), so a sandbox service must
not hold ``ctx.lock`` while it calls this runtime over HTTP.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidScopeError, TokenMixin, scope_to_list
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc7591 import (ClientMetadataClaims, ClientRegistrationEndpoint, InvalidClientMetadataError,
                                    InvalidRedirectURIError)
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from flask import Flask, Response, json
from flask import request as flask_request
from joserfc import jwt
from joserfc.errors import JoseError
from werkzeug.exceptions import MethodNotAllowed, NotFound

import curity_store as store

#: Client capability (config-backed ``capabilities``, DCR ``non-templatized/capabilities``) -> grant type.
GRANT_BY_CAPABILITY = {
    "client-credentials": "client_credentials",
    "code": "authorization_code",
    "implicit": "implicit",
    "resource-owner-password-credentials": "password",
}
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
INITIAL_TOKEN_SCOPE = "dcr"
MANAGEMENT_SCOPE = "dcrm"


# --------------------------------------------------------------------------
# models Authlib works with
# --------------------------------------------------------------------------
class Client(ClientMixin):
    """A client as the token endpoint sees it: config-backed or dynamically registered."""

    def __init__(self, client_id, secret_hash, grant_types, scopes, ttl=store.CurityState.ACCESS_TOKEN_TTL,
                 issued_at=None, metadata=None):
        self.client_id = client_id
        self.secret_hash = secret_hash
        self.grant_types = set(grant_types)
        self.scopes = list(scopes)
        self.ttl = ttl
        self.client_info = {"client_id": client_id, "client_id_issued_at": issued_at, "client_secret_expires_at": 0}
        self.client_metadata = metadata or {}

    def get_client_id(self):
        return self.client_id

    def check_client_secret(self, client_secret):
        return store.verify_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method, endpoint):
        # Curity accepts both secret methods from every secret client
        # (token_endpoint_auth_methods in its DCR responses).
        return method in SECRET_AUTH_METHODS

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types

    def get_allowed_scope(self, scope):
        return scope or ""  # already checked by CurityClientCredentialsGrant


def config_backed_client(entry):
    """Client of a config-backed entry, or None when it is missing or disabled."""
    if entry is None or entry.get("enabled") is False:
        return None
    grants = [GRANT_BY_CAPABILITY[c] for c in entry.get("capabilities") or {} if c in GRANT_BY_CAPABILITY]
    ttl = entry.get("access-token-ttl")
    ttl = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else store.CurityState.ACCESS_TOKEN_TTL
    return Client(entry["id"], entry.get("secret"), grants, entry.get("scope") or [], ttl)


def registered_client(record):
    metadata = record["metadata"]
    return Client(record["client_id"], record["secret_hash"], metadata.get("grant_types") or [],
                  scope_to_list(metadata.get("scope")) or [], issued_at=record["client_id_issued_at"], metadata=metadata)


class StoredToken(TokenMixin):
    """An access token or registration access token held by the state."""

    def __init__(self, value, record, manages_all=False):
        self.value = value
        self.record = record
        self.manages_all = manages_all

    def check_client(self, client):
        return self.manages_all or self.record["client_id"] == client.get_client_id()

    def get_scope(self):
        return self.record.get("scope", "")

    def get_expires_in(self):
        return max(0, int(self.record["exp"] - time.time()))

    def is_expired(self):
        return self.record["exp"] <= time.time()

    def is_revoked(self):
        return self.record.get("used", False)


# --------------------------------------------------------------------------
# policy read from the configuration
# --------------------------------------------------------------------------
def profile_scopes(state):
    return store.dig(state.authorization_server_view(), "scopes", "scope") or []


def scope_allowed(state, client, scope):
    """May ``client`` ask the token endpoint for ``scope``? (client credentials)"""
    dcr = state.dcr_settings()
    if scope == INITIAL_TOKEN_SCOPE:
        return bool(dcr) and client.client_id in (dcr["non-templatized"].get("authenticate-client-by") or [])
    if scope == MANAGEMENT_SCOPE:
        # management-clients is a container ("Section") whose members are not public [C]: the stand-in
        # grants dcrm to a client whose id it holds as a value anywhere inside it [I].
        managers = store.dig(dcr, "client-management", "management-clients") if dcr else None
        return client.client_id in _string_values(managers)
    if scope == "openid":
        # "using the openid scope prevents you from using client credentials"
        # (Kong's Curity DCR guide); an ID token needs a user.
        return False
    scopes = profile_scopes(state)
    granted = [s for s in scopes if s.get("id") in client.scopes]
    return store.scope_known(scope, scopes) and store.scope_known(scope, granted)


def _string_values(value):
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*[_string_values(v) for v in value]) if value else set()
    return set()


def registration_policy(state):
    """What non-templatized DCR allows, as RFC 8414 server metadata for Authlib's claim checks."""
    settings = state.dcr_settings()["non-templatized"]
    grants = {GRANT_BY_CAPABILITY[c] for c in settings.get("capabilities") or {} if c in GRANT_BY_CAPABILITY}
    if grants & {"authorization_code", "password"}:
        grants.add("refresh_token")
    methods = settings.get("client-authentication-method") or {"secret": {}}
    auth_methods = (list(SECRET_AUTH_METHODS) if "secret" in methods else []) + (["none"] if "no-authentication" in methods else [])
    return {"grant_types_supported": sorted(grants), "token_endpoint_auth_methods_supported": auth_methods}


def registrable_scope(state, scope):
    """A scope a non-templatized client may register (``scopes/all`` or ``scopes/scope``); no ``scopes`` = none."""
    allowed = state.dcr_settings()["non-templatized"].get("scopes") or {}
    scopes = profile_scopes(state)
    if "all" in allowed:
        return store.scope_known(scope, scopes)
    return store.scope_known(scope, [s for s in scopes if s.get("id") in (allowed.get("scope") or [])])


def discovery_document(state, base):
    auth = state.authorization_server_view()
    issuer = base + state.endpoint_uri("oauth-anonymous")
    capabilities = auth.get("client-capabilities") or {"client-credentials": [None]}
    grants = [GRANT_BY_CAPABILITY[c] for c in GRANT_BY_CAPABILITY if c in capabilities]
    if "authorization_code" in grants:
        grants.append("refresh_token")
    doc = {
        "issuer": issuer,
        "token_endpoint": base + state.endpoint_uri("oauth-token"),
        "jwks_uri": issuer + "/jwks",
        "scopes_supported": [s["id"] for s in profile_scopes(state) if s.get("expose-in-metadata", True)],
        "claims_supported": [c["name"] for c in store.dig(auth, "claims", "claim") or [] if c.get("expose-in-metadata", True)],
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": list(SECRET_AUTH_METHODS),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    authorize = state.endpoint_uri("oauth-authorize")
    if authorize:
        doc["authorization_endpoint"] = base + authorize
    registration = registration_uri(state)
    if registration:
        doc["registration_endpoint"] = base + registration
    return doc


def registration_uri(state):
    """Path of the DCR endpoint while non-templatized DCR is enabled AND the profile has an endpoint of kind
    oauth-dynamic-client-registration AND a service role deploys it, else None [C: Curity's mobile deployment
    configuration pairs the DCR settings with that endpoint and its service-role entry; Kong's how-to ends
    with "Select the nodes you want to enable DCR on"]."""
    return state.endpoint_uri(store.DCR_ENDPOINT_KIND) if state.dcr_settings() else None


# --------------------------------------------------------------------------
# Authlib server, grant and endpoints
# --------------------------------------------------------------------------
class CurityAuthorizationServer(AuthorizationServer):
    def __init__(self, app, ctx):
        self.ctx = ctx
        super().__init__(app, query_client=self._lookup_client, save_token=self._save_token)
        self.register_token_generator("default", BearerTokenGenerator(self._access_token, expires_generator=_client_ttl))
        self.register_client_auth_method("client_secret_post", _authenticate_client_secret_post)

    @property
    def state(self):
        return self.ctx.curity

    def base_url(self):
        return self.ctx.urls.get("curity_runtime") or flask_request.host_url.rstrip("/")

    def _lookup_client(self, client_id):
        client = config_backed_client(self.state.config_client(client_id))
        if client is None:
            record = self.state.client_record(client_id)
            client = registered_client(record) if record else None
        return client

    def _save_token(self, token, request):
        self.state.save_token(token["access_token"], request.client.get_client_id(), token.get("scope", ""), token["expires_in"])

    def _access_token(self, client, grant_type, user, scope):
        if not self.state.access_token_as_jwt():
            return secrets.token_urlsafe(32)
        now = int(time.time())
        claims = {"iss": self.base_url() + self.state.endpoint_uri("oauth-anonymous"), "sub": client.client_id,
                  "aud": client.client_id, "client_id": client.client_id, "scope": scope or "", "iat": now, "nbf": now,
                  "exp": now + client.ttl, "jti": str(uuid.uuid4()), "purpose": "access_token"}
        key = self.state.signing_key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _client_ttl(client, grant_type):
    return client.ttl


def _authenticate_client_secret_post(query_client, request):
    """client_secret_post that reports an unknown client like a wrong secret (401, not 400)."""
    client_id = request.form.get("client_id")
    client_secret = request.form.get("client_secret")
    if client_id and client_secret:
        client = query_client(client_id)
        if client is not None and client.check_client_secret(client_secret):
            return client
    return None


class CurityClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(SECRET_AUTH_METHODS)

    def validate_requested_scope(self):
        for scope in scope_to_list(self.request.payload.scope) or []:
            if not scope_allowed(self.server.state, self.request.client, scope):
                raise InvalidScopeError("The requested scope is not allowed for this client.")


class CurityClientMetadata(ClientMetadataClaims):
    def validate_redirect_uris(self):
        """Absolute URIs without fragment; private-use schemes of native apps are absolute too."""
        uris = self.get("redirect_uris")
        if uris is None:
            return
        if not isinstance(uris, list) or not all(_absolute_uri(u) for u in uris):
            raise InvalidRedirectURIError("redirect_uris must be absolute URIs without a fragment.")


def _absolute_uri(uri):
    if not isinstance(uri, str):
        return False
    parts = urlsplit(uri)
    return bool(parts.scheme) and not parts.fragment and bool(parts.netloc or parts.path) and "@" not in parts.netloc


class ClientMetadataPolicy:
    """Metadata checks shared by registration (RFC 7591) and update (RFC 7592)."""

    def get_server_metadata(self):
        return registration_policy(self.server.state)

    def extract_client_metadata(self, request):
        data = flask_request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidClientMetadataError("The body must be a JSON object.")
        data = dict(data)
        # RFC 7591 section 2: without grant_types the client uses authorization_code only.
        data.setdefault("grant_types", ["authorization_code"])
        policy = self.get_server_metadata()
        options = CurityClientMetadata.get_claims_options(policy)
        options["scope"] = {"validate": lambda _claims, value: all(
            registrable_scope(self.server.state, s) for s in scope_to_list(value) or [])}
        claims = CurityClientMetadata(data, {}, options, policy)
        try:
            claims.validate()
        except JoseError as error:
            raise InvalidClientMetadataError(_metadata_error(error)) from error
        metadata = claims.get_registered_claims()
        grant_types = list(metadata["grant_types"])
        if "authorization_code" in grant_types:
            if not metadata.get("redirect_uris"):
                raise InvalidRedirectURIError("A client using authorization_code needs redirect_uris.")
            if "refresh_token" not in grant_types:
                grant_types.append("refresh_token")  # Curity adds it [C]
        metadata["grant_types"] = grant_types
        metadata["token_endpoint_auth_methods"] = list(SECRET_AUTH_METHODS)
        return metadata

    def registration_info(self, client_id):
        """RFC 7592 access for a client: a new registration access token (the previous one stops working)."""
        state = self.server.state
        return {
            "registration_client_uri": "%s%s/%s" % (self.server.base_url(), registration_uri(state), client_id),
            "registration_access_token": state.issue_registration_token(client_id),
            "registration_access_token_expires_in": state.REGISTRATION_TOKEN_TTL,
        }


_METADATA_HINTS = {
    "scope": "scope is not allowed by the non-templatized registration settings",
    "grant_types": "grant_types are not allowed by the non-templatized capabilities",
    "token_endpoint_auth_method": "token_endpoint_auth_method is not allowed by the client authentication method",
}


def _metadata_error(error):
    claim = getattr(error, "claim", None)
    return "Invalid client metadata: %s." % _METADATA_HINTS.get(claim, claim or "malformed value")


def bearer_token(protector, request, scopes=None):
    """The valid token of a request; every failure is 401 invalid_token (RFC 6750 section 3.1)."""
    try:
        return protector.validate_request(scopes, request)
    except OAuth2Error as error:
        raise InvalidTokenError() from error


class _LookupValidator(BearerTokenValidator):
    def __init__(self, lookup):
        super().__init__()
        self.lookup = lookup

    def authenticate_token(self, token_string):
        return self.lookup(token_string)


def _protector(lookup):
    protector = ResourceProtector()
    protector.register_token_validator(_LookupValidator(lookup))
    return protector


class RegistrationEndpoint(ClientMetadataPolicy, ClientRegistrationEndpoint):
    """RFC 7591 with a single-use initial access token (scope ``dcr``)."""

    def __init__(self):
        super().__init__(claims_classes=[CurityClientMetadata])
        self.protector = _protector(self._initial_token)

    def _initial_token(self, value):
        record = self.server.state.token(value)
        return StoredToken(value, record) if record else None

    def authenticate_token(self, request):
        return bearer_token(self.protector, request, [INITIAL_TOKEN_SCOPE])

    def generate_client_id(self, request):
        return str(uuid.uuid4())

    def generate_client_secret(self, request):
        return secrets.token_urlsafe(32)

    def save_client(self, client_info, client_metadata, request):
        state = self.server.state
        state.save_registered_client(client_info["client_id"], client_info["client_secret"],
                                     client_info["client_id_issued_at"], client_metadata)
        state.mark_token_used(request.credential.value)  # "This token can only be used once" [C]
        return client_info["client_id"]

    def generate_client_registration_info(self, client, request):
        dcr = self.server.state.dcr_settings()
        return self.registration_info(client) if "client-management" in dcr else None


class ConfigurationEndpoint(ClientMetadataPolicy, ClientConfigurationEndpoint):
    """RFC 7592: GET and PUT rotate the client secret and the registration access token [C]."""

    def __init__(self):
        super().__init__(claims_classes=[CurityClientMetadata])
        self.protector = _protector(self._management_token)

    @staticmethod
    def _client_id(request):
        return urlsplit(request.uri).path.rstrip("/").rsplit("/", 1)[-1]

    def _management_token(self, value):
        state = self.server.state
        record = state.registration_token(value)
        if record:
            return StoredToken(value, record)
        record = state.token(value)
        if record and MANAGEMENT_SCOPE in (scope_to_list(record["scope"]) or []):
            return StoredToken(value, record, manages_all=True)  # a dcrm token manages every registered client
        return None

    def authenticate_token(self, request):
        token = bearer_token(self.protector, request)
        if not token.check_client(_IdOnly(self._client_id(request))):
            raise InvalidTokenError()
        return token

    def authenticate_client(self, request):
        record = self.server.state.client_record(self._client_id(request))
        return registered_client(record) if record else None

    def revoke_access_token(self, request, token):
        if not token.manages_all:
            self.server.state.revoke_registration_token(token.value)

    def check_permission(self, client, request):
        return True

    def delete_client(self, client, request):
        self.server.state.delete_registered_client(client.client_id)

    def update_client(self, client, client_metadata, request):
        self.server.state.update_registered_metadata(client.client_id, client_metadata)
        return self.authenticate_client(request)

    def generate_client_registration_info(self, client, request):
        info = {"client_secret": self.server.state.rotate_client_secret(client.client_id)}
        info.update(self.registration_info(client.client_id))
        return info


class _IdOnly:
    def __init__(self, client_id):
        self.client_id = client_id

    def get_client_id(self):
        return self.client_id


# --------------------------------------------------------------------------
# the app
# --------------------------------------------------------------------------
def _json(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _require(method, allowed):
    if ("GET" if method == "HEAD" else method) not in allowed:
        raise MethodNotAllowed(valid_methods=list(allowed))


def create_runtime_app(ctx):
    # Authlib logs every issued token at DEBUG level; tokens must never reach a log.
    logging.getLogger("authlib").setLevel(logging.INFO)
    app = Flask("curity_runtime")
    server = CurityAuthorizationServer(app, ctx)
    server.register_grant(CurityClientCredentialsGrant)
    server.register_endpoint(RegistrationEndpoint())
    server.register_endpoint(ConfigurationEndpoint())

    def route(path):
        state = ctx.curity
        method = flask_request.method
        anonymous = state.endpoint_uri("oauth-anonymous")
        if anonymous and path == anonymous + "/.well-known/openid-configuration":
            _require(method, ("GET",))
            return _json(discovery_document(state, server.base_url()))
        if anonymous and path == anonymous + "/jwks":
            _require(method, ("GET",))
            return _json({"keys": [state.signing_key.as_dict(private=False)]})
        if path == state.endpoint_uri("oauth-token"):
            _require(method, ("POST",))
            return server.create_token_response()
        return route_registration(state, path, method)

    def route_registration(state, path, method):
        registration = registration_uri(state)
        if not registration or not path.startswith(registration):
            raise NotFound()
        rest = path[len(registration):]
        if not rest:
            _require(method, ("POST",))
            with ctx.lock:  # the initial token is checked and used up atomically
                return server.create_endpoint_response(RegistrationEndpoint.ENDPOINT_NAME)
        if "/" in rest[1:] or not rest.startswith("/") or len(rest) < 2:
            raise NotFound()
        if "client-management" not in state.dcr_settings():
            return _json({"error": "not_found"} if state.management_disabled_status == 404 else {"error": "invalid_request"},
                         state.management_disabled_status)
        _require(method, ("GET", "PUT", "DELETE"))
        with ctx.lock:
            return server.create_endpoint_response(ConfigurationEndpoint.ENDPOINT_NAME)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def dispatch(path):
        return route("/" + path)

    return app
