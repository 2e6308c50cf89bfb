# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kong gateway stand-in: routes protected by Konnect application registration.

``create_gateway_app(ctx)`` serves ``ANY <route path>[/...]`` for every route of
the Konnect state (Kong's longest-prefix match; unknown paths get Kong's 404).
What protects a route is what Konnect pushes to the gateway service behind it
as the ``konnect-application-auth`` plugin: the OpenID Connect strategies of the
v3 API publications and classic portal product versions on that service.

* No published entity with a strategy on the service, but one published with
  no application auth (a v3 publication with ``auth_strategy_ids: null``, a
  classic product version without strategy): the plugin lets every request
  through to the (echo) upstream, with or without credentials. So does a
  service without the plugin, like any unprotected Kong route.
* The plugin is on the service (an API linked to it, or application
  registration enabled on a classic product version) but nothing is published
  on it with or without a strategy, for example after the API was unpublished:
  the plugin has no strategy to check credentials with and refuses every
  request with 401, anonymous or with credentials (inferred: the link that
  installed the plugin outlives the publication, and a gateway that protects
  a service must not open it when its configuration is emptied; RFC 6750
  section 3 for the 401 with ``WWW-Authenticate``).
* ``Authorization: Basic base64(client_id:client_secret)`` (strategy auth method
  ``client_credentials``): the gateway runs the ``client_credentials`` grant at
  the strategy issuer's token endpoint (found by discovery), as Kong's OpenID
  Connect plugin does; a literal ``Basic id:secret`` is not Basic auth.
* ``Authorization: Bearer <JWT>`` (auth method ``bearer``): signature checked
  with the issuer's JWKS, ``iss`` and ``exp`` verified; the client is the first
  ``credential_claim`` present (``sub`` for Curity's client credentials tokens).

Outcome: 401 for missing or rejected credentials, 403 for a known client whose
application has no *approved* registration for the API / product version behind
the route (on the portal that published it with that strategy), 200 otherwise.
Those status codes approximate ``konnect-application-auth`` (inferred).

A client is known when a Konnect application using one of the route's strategies
has its client id.  The plugin takes the client id of ``Basic`` credentials and
looks it up among Konnect's applications *before* any call to the identity
provider, and answers 401 when none has it, whatever the identity provider would
say (confirmed, the plugin's handler: an unknown client is 401 "Unauthorized");
a client the identity provider vouches for through a ``Bearer`` token but that no
application has is 401 too (inferred, the same lookup after the token).

What the gateway enforces is what Konnect pushed to it, and the identity
provider's acceptance of a client's credentials is cached: both are delayed
through ``gateway_push`` (off unless the control API turns them on).
"""

import base64
import binascii
import json

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Request, Response

import konnect_store as store

JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


def kong_error(status, message, headers=None):
    return Response(json.dumps({"message": message}), status=status, mimetype="application/json", headers=headers)


def unauthorized():
    return kong_error(401, "Unauthorized", {"WWW-Authenticate": 'Bearer realm="kong"'})


def parse_authorization(header):
    """('basic', (id, secret)) or ('bearer', token) from an Authorization header, else None."""
    scheme, _blank, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return "bearer", value
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None  # e.g. the literal "Basic id:secret" some documentation shows
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        return None
    return "basic", (client_id, secret)


def _strategy_view(strategy):
    config = strategy["configs"]["openid-connect"]
    return {"id": strategy["id"], "issuer": config["issuer"], "auth_methods": list(config.get("auth_methods") or []),
            "scopes": list(config.get("scopes") or []), "credential_claim": list(config.get("credential_claim") or ["sub"]),
            # Kong's DCR page: credentials stay cached after revocation unless cache_tokens is false (confirmed).
            "cache_tokens": config.get("cache_tokens") is not False}


def authenticate(ctx, strategy, credentials):
    """The client id the strategy's identity provider vouches for, or None."""
    kind, value = credentials
    cache = ctx.konnect.data_plane if strategy["cache_tokens"] else None
    if kind == "basic" and "client_credentials" in strategy["auth_methods"] and cache is not None \
            and cache.cached(strategy["issuer"], *value):
        return value[0]  # accepted recently: the gateway does not ask again (gateway_push)
    try:
        metadata = store.discover(ctx, strategy["issuer"])
        if kind == "basic" and "client_credentials" in strategy["auth_methods"]:
            client_id, secret = value
            store.client_credentials_token(ctx, metadata.get("token_endpoint", ""), client_id, secret,
                                           " ".join(strategy["scopes"]) or None)
            if cache is not None:
                cache.remember(strategy["issuer"], client_id, secret)
            return client_id
        if kind == "bearer" and "bearer" in strategy["auth_methods"]:
            return _bearer_client(ctx, metadata, strategy, value)
    except store.IdpError:
        return None
    return None


def _bearer_client(ctx, metadata, strategy, token):
    if not metadata.get("jwks_uri"):
        return None
    try:
        response = ctx.http().get(metadata["jwks_uri"], timeout=store.IDP_TIMEOUT)
        keys = KeySet.import_key_set(response.json())
        decoded = jwt.decode(token, keys, algorithms=JWT_ALGORITHMS)
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": metadata.get("issuer")},
                              exp={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError, OSError):
        return None
    for claim in strategy["credential_claim"]:
        if decoded.claims.get(claim):
            return str(decoded.claims[claim])
    return None


def create_gateway_app(ctx):
    """WSGI app of the gateway listener."""

    def app(environ, start_response):
        return handle(ctx, Request(environ))(environ, start_response)

    return app


def handle(ctx, request):
    with ctx.lock:
        state = ctx.konnect.data_plane.view(ctx.konnect)  # what Konnect pushed to the gateway (gateway_push)
        route = state.route_for(request.path)
        if route is None:
            return kong_error(404, "no Route matched with those values")
        every, open_to_anyone, installed = state.protection_for_service(route["service_id"])
        bindings = [(kind, target, portal, _strategy_view(strategy)) for kind, target, portal, strategy in every
                    if strategy["strategy_type"] == "openid_connect"]
    if not every and (open_to_anyone or not installed):
        return upstream(request, route, None)
    if not every:
        return unauthorized()  # the plugin is there with no strategy: nobody can be authenticated
    credentials = parse_authorization(request.headers.get("Authorization"))
    if credentials is None:
        return unauthorized()
    strategy_ids = set(binding[3]["id"] for binding in bindings)
    if credentials[0] == "basic":
        with ctx.lock:
            known = state.knows_client(credentials[1][0], strategy_ids)
        if not known:
            return unauthorized()  # no Konnect application has this client id: no identity provider call
    known_client = False
    verdicts = {}
    for kind, target, portal, strategy in bindings:
        key = (strategy["issuer"], tuple(strategy["auth_methods"]), tuple(strategy["scopes"]))
        if key not in verdicts:
            verdicts[key] = authenticate(ctx, strategy, credentials)  # HTTP to the IdP: no lock held
        client_id = verdicts[key]
        with ctx.lock:
            if client_id is None or not state.knows_client(client_id, strategy_ids):
                continue
            known_client = True
            application = state.approved_application((kind, target, portal, {"id": strategy["id"]}), client_id)
        if application is not None:
            return upstream(request, route, application)
    if known_client:
        return kong_error(403, "You cannot consume this service")
    return unauthorized()


def upstream(request, route, application):
    """The echo upstream behind every route (no credential is echoed)."""
    body = {"ok": True, "route": route["paths"][0], "method": request.method, "path": request.path,
            "query": request.query_string.decode("latin-1")}
    if application is not None:
        body.update(application_id=application["id"], client_id=application["client_id"])
    return Response(json.dumps(body), status=200, mimetype="application/json")
