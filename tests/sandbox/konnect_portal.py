# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The developer Portal API stand-in (``/api/v3/...`` and ``/api/v2/...`` on a portal's own domain).

``create_portal_app(ctx)`` returns one WSGI app that core mounts on every portal
listener; the portal served is ``environ['sandbox.portal_id']``.  A new Dev
Portal (v3) answers ``/api/v3`` only and a classic portal ``/api/v2`` only.

Developers log in with ``POST developer/authenticate`` and then present the
``portalaccesstoken`` cookie; the portal context (``GET /api/v3/portal``,
``GET /api/v2/portal``) answers without one, as Kong's files allow.  An
application created with a DCR strategy (OIDC with a DCR provider) gets its
client from the identity provider by RFC 7591; its secret is in the creation
response only (v3 top-level ``client_secret``, v2 ``credentials``), and
rotation (v3 ``regenerate-secret``, v2 ``refresh-token``) goes through RFC 7592
at the identity provider.

Cookies carry ``Secure`` only when the sandbox serves HTTPS (an HTTP client
would otherwise never send them back); otherwise they are Konnect's
(``Path=/; HttpOnly``).
"""

import json
import secrets

from flask import Flask, Response, request

import konnect_store as store
import openapi_check
from konnect_admin import (Problem, bad_request, check_unique_name, commit_application, dcr_failure, field, find,
                           install_conventions, install_push, invalid, listing, no_content, not_found, plan_application,
                           read_json, register_to_api, registration_status, reply, resolve_strategy, string_filters,
                           strategy_ref, supports_multiple_credentials, timestamps, touch, v_array, v_nullable, v_object,
                           v_string, v_uuid, validate)

ACCESS_COOKIE = "portalaccesstoken"
REFRESH_COOKIE = "portalrefreshtoken"
SESSION_SECONDS = 3600


# --------------------------------------------------------------------------- rendering
def portal_strategy(state, strategy):
    """``PortalAuthStrategy``: the admin-side reference plus ``supports_multiple_credentials``."""
    out = strategy_ref(state, strategy)
    out["supports_multiple_credentials"] = supports_multiple_credentials(state, strategy)
    return out


def render_application(state, app, version):
    strategy = state.auth_strategies.get(app["auth_strategy_id"])
    out = {"id": app["id"], "name": app["name"], "description": app["description"], "redirect_uri": app["redirect_uri"],
           "scopes": app["scopes"], "created_at": app["created_at"], "updated_at": app["updated_at"]}
    if strategy is not None:
        out["auth_strategy"] = portal_strategy(state, strategy)
    if version == "v2":
        out["reference_id"] = app.get("client_id") or ""
    else:
        out["team_id"] = app["team_id"]
        if app.get("client_id"):
            out["client_id"] = app["client_id"]
    return out


def render_registration(state, registration, version):
    out = {"id": registration["id"], "created_at": registration["created_at"], "updated_at": registration["updated_at"],
           "status": registration["status"], "application_id": registration["application_id"]}
    if version == "v3":
        api = state.apis.get(registration["api_id"]) or {}
        out.update(api_id=registration["api_id"], api_name=api.get("name", ""), api_slug=api.get("slug", ""))
        return out
    pv = state.product_versions.get(registration["product_version_id"]) or {}
    product = state.api_products.get(pv.get("product_id")) or {}
    out.update(product_version_id=registration["product_version_id"], product_version_name=pv.get("name", ""),
               product_id=product.get("id", registration.get("product_id", "")), product_name=product.get("name", ""),
               granted_scopes=[])
    return out


def render_api(state, api, publication):
    strategies = [state.auth_strategies[s] for s in publication["auth_strategy_ids"] or [] if s in state.auth_strategies]
    return {"id": api["id"], "created_at": api["created_at"], "updated_at": api["updated_at"], "name": api["name"],
            "version": api.get("version"), "description": api.get("description"), "visibility": publication["visibility"],
            "slug": api["slug"], "auth_strategies": [strategy_ref(state, s) for s in strategies], "specifications": [],
            "current_version_summary": None, "attributes": api.get("attributes") or {}}


def render_product(state, product, versions):
    latest = versions[-1][0] if versions else None
    return {"id": product["id"], "created_at": product["created_at"], "updated_at": product["updated_at"],
            "name": product["name"], "description": product.get("description"), "document_count": 0,
            "version_count": len(versions), "public_labels": product["public_labels"],
            "latest_version": {"name": latest["name"], "id": latest["id"]} if latest else None}


def render_product_version(state, version, ppv):
    configs = []
    for strategy_id in ppv["auth_strategy_ids"]:
        strategy = state.auth_strategies.get(strategy_id)
        if strategy is None:
            continue
        config = {"id": strategy["id"], "name": strategy["display_name"], "credential_type": state.credential_type(strategy),
                  "registration_enabled": ppv["application_registration_enabled"],
                  "registration_auto_approve": ppv["auto_approve_registration"]}
        if strategy["strategy_type"] == "openid_connect":
            config["auth_methods"] = strategy["configs"]["openid-connect"]["auth_methods"]
        configs.append(config)
    return {"id": version["id"], "created_at": version["created_at"], "updated_at": version["updated_at"],
            "name": version["name"], "deprecated": ppv["deprecated"], "registration_configs": configs}


# Classic portals report the period their analytics may query; Kong's file gives no value [inferred].
ALLOWED_TIME_PERIOD = "30d"


def render_context(state, portal):
    """``PortalContext`` of either generation: who the portal is and how developers sign in to it.

    Developers sign in with e-mail and password only (no OIDC or SAML identity
    provider is modelled).  The Portal API's ``name`` is the portal's
    ``display_name``, as Kong's portal-management files describe it.
    """
    out = {"portal_id": portal["id"], "org_id": state.org_id, "basic_auth_enabled": True, "oidc_auth_enabled": False,
           "rbac_enabled": portal["rbac_enabled"], "name": portal["display_name"]}
    if portal["generation"] == "v3":
        out.update(saml_auth_enabled=False, authentication_enabled=portal["authentication_enabled"],
                   canonical_domain=portal["canonical_domain"])
        return out
    providers = [state.auth_strategies[s].get("dcr_provider_id") for s in state.portal_strategy_ids(portal["id"])]
    out.update(featureset_id=state.seed_ids["featureset"], is_public=portal["is_public"],
               dcr_provider_ids=[p for p in dict.fromkeys(providers) if p], allowed_time_period=ALLOWED_TIME_PERIOD,
               canonical_domain=portal.get("custom_domain") or portal["default_domain"])
    return out


def render_me(developer):
    return {k: developer[k] for k in ("id", "email", "full_name", "created_at", "updated_at")}


# --------------------------------------------------------------------------- sessions
def _cookie(name, value, path, max_age):
    parts = ["%s=%s" % (name, value), "Path=%s" % path, "HttpOnly", "SameSite=Lax", "Max-Age=%d" % max_age]
    if request.scheme == "https":
        parts.append("Secure")
    return ("Set-Cookie", "; ".join(parts))


def open_session(state, developer, version):
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    state.sessions[access] = {"developer_id": developer["id"], "portal_id": developer["portal_id"]}
    state.refresh_tokens[refresh] = {"developer_id": developer["id"], "portal_id": developer["portal_id"]}
    return [_cookie(ACCESS_COOKIE, access, "/", SESSION_SECONDS),
            _cookie(REFRESH_COOKIE, refresh, "/api/%s/developer/refresh" % version, 30 * 24 * SESSION_SECONDS)]


def current_developer(state, portal_id, required=True):
    """The developer of the ``portalaccesstoken`` cookie on this portal; 401 (or None) without one."""
    session = state.sessions.get(request.cookies.get(ACCESS_COOKIE, ""))
    developer = state.developers.get(session["developer_id"]) if session else None
    if developer is None or session["portal_id"] != portal_id or developer["status"] != "approved":
        if required:
            raise Problem(401, "Unauthorized")
        return None
    return developer


# --------------------------------------------------------------------------- the app
def create_portal_app(ctx):
    """The developer Portal API of every portal listener, checked against Kong's OpenAPI files."""
    app = Flask("konnect_portal")
    install_conventions(app)
    install_push(app, ctx)
    for version in ("v3", "v2"):
        _developer_routes(app, ctx, version)
        _application_routes(app, ctx, version)
        _registration_routes(app, ctx, version)
        _context_route(app, ctx, version)
    _catalog_routes_v3(app, ctx)
    _catalog_routes_v2(app, ctx)
    return PortalDomain(openapi_check.wrap(app, ctx, "portal"), ctx)


class PortalDomain:
    """What answers on a portal's domain: its Portal API, or a bare 404 when the portal is gone.

    A new Dev Portal serves ``/api/v3`` only and a classic portal ``/api/v2`` only;
    like an unknown host, a deleted portal's domain and the other generation's
    paths answer outside the Portal API (so they are not Portal API responses).
    """

    def __init__(self, app, ctx):
        self.app = app
        self.ctx = ctx

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        with self.ctx.lock:
            portal = self.ctx.konnect.portals.get(environ.get("sandbox.portal_id"))
            generation = portal["generation"] if portal else None
        if generation is None or (path.startswith("/api/v") and not path.startswith("/api/%s/" % generation)):
            response = Response(json.dumps({"message": "Not Found"}), status=404, mimetype="application/json")
            return response(environ, start_response)
        return self.app(environ, start_response)


def this_portal(ctx, version):
    """The portal of this listener (hold ctx.lock); 404 when it is gone or of the other generation."""
    portal = ctx.konnect.portals.get(request.environ.get("sandbox.portal_id"))
    if portal is None or portal["generation"] != version:
        raise not_found()
    return portal


def _context_route(app, ctx, version):
    def portal_context():
        with ctx.lock:
            return reply(render_context(ctx.konnect, this_portal(ctx, version)))

    app.add_url_rule("/api/%s/portal" % version, "portal_context_" + version, portal_context, methods=["GET"])


def _developer_routes(app, ctx, version):
    base = "/api/%s/developer" % version

    def authenticate():
        body = read_json(required=False)
        missing = [name for name in ("username", "password") if not isinstance(body.get(name), str) or not body.get(name)]
        if missing:
            raise Problem(400, "Required fields are missing", "Bad Request",
                          [invalid(name, "required", "is required") for name in missing])
        state = ctx.konnect
        with ctx.lock:
            portal = this_portal(ctx, version)
            developer = next((d for d in state.developers.values() if d["portal_id"] == portal["id"]
                              and d["email"].lower() == body["username"].lower()), None)
            if developer is None or not developer.get("password_hash") or not store.check_password(developer, body["password"]):
                raise Problem(401, "You have entered an invalid email or password.", "Invalid Credentials")
            if developer["status"] == "pending":
                raise Problem(401, "Your account is pending approval for access.", "Approval Required")
            if developer["status"] != "approved":
                raise Problem(401, "Your account does not have access to this portal.", "Unauthorized")
            return no_content(open_session(state, developer, version))

    def me():
        with ctx.lock:
            portal = this_portal(ctx, version)
            return reply(render_me(current_developer(ctx.konnect, portal["id"])))

    def logout():
        state = ctx.konnect
        with ctx.lock:
            this_portal(ctx, version)
            state.sessions.pop(request.cookies.get(ACCESS_COOKIE, ""), None)
            state.refresh_tokens.pop(request.cookies.get(REFRESH_COOKIE, ""), None)
        return no_content([_cookie(ACCESS_COOKIE, "", "/", 0),
                           _cookie(REFRESH_COOKIE, "", "/api/%s/developer/refresh" % version, 0)])

    def refresh():
        state = ctx.konnect
        with ctx.lock:
            portal = this_portal(ctx, version)
            grant = state.refresh_tokens.pop(request.cookies.get(REFRESH_COOKIE, ""), None)
            developer = state.developers.get(grant["developer_id"]) if grant else None
            if developer is None or grant["portal_id"] != portal["id"] or developer["status"] != "approved":
                raise Problem(401, "Unauthorized")
            return no_content(open_session(state, developer, version))

    for suffix, name, view, method in (("/authenticate", "authenticate", authenticate, "POST"), ("/me", "me", me, "GET"),
                                       ("/logout", "logout", logout, "POST"), ("/refresh", "refresh", refresh, "POST")):
        app.add_url_rule(base + suffix, "%s_%s" % (name, version), view, methods=[method])


def _application_routes(app, ctx, version):
    base = "/api/%s/applications" % version
    client_key = "client_id" if version == "v3" else "reference_id"
    create_fields = {"name": v_string(0, 255), client_key: v_string(0, 255), "redirect_uri": v_string(0, fmt="uri"),
                     "description": v_string(0, 255), "auth_strategy_id": v_nullable(v_uuid()),
                     "scopes": v_array(v_string())}
    update_fields = {k: v for k, v in create_fields.items() if k != "auth_strategy_id"}
    if version == "v3":
        create_fields["team_id"] = update_fields["team_id"] = v_nullable(v_uuid())
        update_fields["redirect_uri"] = v_nullable(v_string(0, fmt="uri"))
    filters = {"name": (field("name"), "string"), "auth_strategy_id": (field("auth_strategy_id"), "exact")}
    if version == "v3":
        filters["team_id"] = (field("team_id"), "exact")

    def session():
        portal = this_portal(ctx, version)
        return portal, current_developer(ctx.konnect, portal["id"])

    def own_application(application_id):
        developer = session()[1]
        application = find(ctx.konnect.applications, application_id)
        if application["developer_id"] != developer["id"]:
            raise not_found()
        return application

    def list_applications():
        state = ctx.konnect
        with ctx.lock:
            developer = session()[1]
            return listing(state.apps_of_developer(developer["id"]), lambda a: render_application(state, a, version),
                           filters, dict(timestamps(), name=field("name")))

    def create_application():
        body = validate(read_json(), v_object(create_fields, ("name",)))
        state = ctx.konnect
        with ctx.lock:
            portal, developer = session()
            strategy = resolve_strategy(state, portal, body.get("auth_strategy_id"))
            plan = plan_application(state, portal, developer, strategy, body, client_key)
            provider = plan.pop("provider")
        secret = None
        if provider is not None:  # Dynamic Client Registration at the identity provider, lock released
            try:
                plan["client_id"], secret, plan["dcr"] = store.register_client(ctx, provider, strategy, plan)
            except store.IdpError as exc:
                raise dcr_failure(exc) from None
        with ctx.lock:
            application = commit_application(ctx, plan)
            out = render_application(state, application, version)
        if secret is not None:  # handed out once, never stored
            if version == "v3":
                out["client_secret"] = secret
            else:
                out["credentials"] = {"client_id": application["client_id"], "client_secret": secret}
        return reply(out, 201)

    def get_application(application_id):
        with ctx.lock:
            return reply(render_application(ctx.konnect, own_application(application_id), version))

    def update_application(application_id):
        body = validate(read_json(), v_object(update_fields))
        state = ctx.konnect
        with ctx.lock:
            application = own_application(application_id)
            if "name" in body:
                check_unique_name(state, application["developer_id"], body["name"], application_id)
            if client_key in body:
                if application.get("dcr_provider_id"):
                    raise bad_request([invalid(client_key, "invalid", "Cannot be set when using Dynamic Client Registration")])
                application["client_id"] = body.pop(client_key)
            application.update(body)
            return reply(render_application(state, touch(application), version))

    def delete_application(application_id):
        with ctx.lock:
            own_application(application_id)
            record = ctx.konnect.forget_application(application_id)
        store.delete_client(ctx, record)  # RFC 7592 deletion of the IdP client
        return no_content()

    def rotate_secret(application_id):
        with ctx.lock:
            application = own_application(application_id)
            record = dict(application.get("dcr") or {})
            if not application.get("dcr_provider_id"):
                raise bad_request([invalid("applicationId", "invalid", "the application does not use Dynamic Client "
                                                                       "Registration", source="path")])
        try:
            secret, record = store.rotate_secret(ctx, record)
        except store.IdpError:
            raise bad_request([invalid("applicationId", "invalid", "Unable to refresh the DCR application secret",
                                       source="path")], "Unable to refresh the DCR application secret") from None
        with ctx.lock:
            application = find(ctx.konnect.applications, application_id)  # deleted meanwhile: 404
            application["dcr"] = record
            touch(application)
            return reply({"client_id": application["client_id"], "client_secret": secret}, 201)

    rotation = "/regenerate-secret" if version == "v3" else "/refresh-token"
    for suffix, name, view, method in (
            ("", "list_applications", list_applications, "GET"), ("", "create_application", create_application, "POST"),
            ("/<application_id>", "get_application", get_application, "GET"),
            ("/<application_id>", "update_application", update_application, "PATCH"),
            ("/<application_id>", "delete_application", delete_application, "DELETE"),
            ("/<application_id>" + rotation, "rotate_secret", rotate_secret, "POST")):
        app.add_url_rule(base + suffix, "%s_%s" % (name, version), view, methods=[method])

    def list_strategies():
        state = ctx.konnect
        with ctx.lock:
            portal = this_portal(ctx, version)
            current_developer(state, portal["id"])
            strategies = [state.auth_strategies[s] for s in state.portal_strategy_ids(portal["id"])]
            strategy_filters = {"name": (field("display_name"), "string"),
                                "credential_type": (state.credential_type, "exact")}
            return listing(strategies, lambda s: portal_strategy(state, s), strategy_filters, {})

    path = "/api/v3/application-auth-strategies" if version == "v3" else "/api/v2/applications/auth-strategies"
    app.add_url_rule(path, "list_strategies_" + version, list_strategies, methods=["GET"])


def _registration_routes(app, ctx, version):
    base = "/api/%s/applications/<application_id>/registrations" % version
    target = "api_id" if version == "v3" else "product_version_id"
    filters = {"id": (field("id"), "exact"), "status": (field("status"), "exact")}
    if version == "v3":
        filters["api_name"] = (lambda r: (ctx.konnect.apis.get(r["api_id"]) or {}).get("name"), "string")
    else:
        def version_of(registration):
            return ctx.konnect.product_versions.get(registration["product_version_id"]) or {}
        filters["product_version_name"] = (lambda r: version_of(r).get("name"), "string")
        filters["product_name"] = (lambda r: (ctx.konnect.api_products.get(version_of(r).get("product_id")) or {})
                                   .get("name"), "string")

    def own_application(application_id):
        portal = this_portal(ctx, version)
        developer = current_developer(ctx.konnect, portal["id"])
        application = find(ctx.konnect.applications, application_id)
        if application["developer_id"] != developer["id"]:
            raise not_found()
        return application

    def own_registration(application_id, registration_id):
        own_application(application_id)
        registration = find(ctx.konnect.registrations, registration_id)
        if registration["application_id"] != application_id:
            raise not_found()
        return registration

    def list_registrations(application_id):
        state = ctx.konnect
        with ctx.lock:
            own_application(application_id)
            return listing(state.registrations_of(application_id), lambda r: render_registration(state, r, version),
                           filters, timestamps())

    def create_registration(application_id):
        fields = {target: v_uuid()}
        if version == "v2":
            fields["scopes"] = v_array(v_string())
        body = validate(read_json(), v_object(fields, (target,)))
        state = ctx.konnect
        with ctx.lock:
            application = own_application(application_id)
            if version == "v3":
                registration = register_to_api(state, application, body[target])
            else:
                registration = register_to_product_version(state, application, body[target])
            return reply(render_registration(state, registration, version), 201)

    def get_registration(application_id, registration_id):
        with ctx.lock:
            return reply(render_registration(ctx.konnect, own_registration(application_id, registration_id), version))

    def delete_registration(application_id, registration_id):
        with ctx.lock:
            own_registration(application_id, registration_id)
            del ctx.konnect.registrations[registration_id]
        return no_content()

    for suffix, name, view, method in (
            ("", "list_registrations", list_registrations, "GET"), ("", "create_registration", create_registration, "POST"),
            ("/<registration_id>", "get_registration", get_registration, "GET"),
            ("/<registration_id>", "delete_registration", delete_registration, "DELETE")):
        app.add_url_rule(base + suffix, "%s_%s" % (name, version), view, methods=[method])


def register_to_product_version(state, application, product_version_id):
    """A classic registration to a product version published on the application's portal with its strategy."""
    ppv = state.ppv_for(application["portal_id"], product_version_id)
    if ppv is None or ppv["publish_status"] != "published" or not ppv["application_registration_enabled"]:
        raise not_found("Product version not found")
    if application["auth_strategy_id"] not in ppv["auth_strategy_ids"]:
        raise bad_request([invalid("product_version_id", "invalid",
                                   "the product version is not published with the application's auth strategy")])
    if any(r.get("product_version_id") == product_version_id for r in state.registrations_of(application["id"])):
        raise Problem(409, "Product version is already registered to the application")
    stamp = store.now()
    version = state.product_versions[product_version_id]
    registration = {"id": store.new_id(), "application_id": application["id"], "portal_id": application["portal_id"],
                    "product_version_id": product_version_id, "product_id": version["product_id"],
                    "created_at": stamp, "updated_at": stamp,
                    "status": registration_status(state.portals[application["portal_id"]], ppv["auto_approve_registration"])}
    state.registrations[registration["id"]] = registration
    return registration


# --------------------------------------------------------------------------- catalog: APIs (v3), products (v2)
def _catalog_routes_v3(app, ctx):
    filters = string_filters("id", "name", "version", "description")
    sorts = dict(timestamps(), name=field("name"))

    def visible(portal):
        """(api, publication) pairs this visitor may see: public ones, and private ones once logged in."""
        state = ctx.konnect
        logged_in = current_developer(state, portal["id"], required=False) is not None
        return [(state.apis[a], p) for (a, pid), p in state.publications.items()
                if pid == portal["id"] and a in state.apis and (p["visibility"] == "public" or logged_in)]

    @app.get("/api/v3/apis")
    def list_apis():
        state = ctx.konnect
        with ctx.lock:
            pairs = {api["id"]: (api, publication) for api, publication in visible(this_portal(ctx, "v3"))}
            return listing([pair[0] for pair in pairs.values()], lambda a: render_api(state, a, pairs[a["id"]][1]),
                           filters, sorts)

    @app.get("/api/v3/apis/<api_id_or_slug>")
    def get_api(api_id_or_slug):
        with ctx.lock:
            for api, publication in visible(this_portal(ctx, "v3")):
                if api_id_or_slug in (api["id"], api["slug"]):
                    return reply(render_api(ctx.konnect, api, publication))
        raise not_found()


def _catalog_routes_v2(app, ctx):
    def products(portal):
        state = ctx.konnect
        return {pid: (state.api_products[pid], versions) for pid, versions in state.portal_products(portal["id"]).items()
                if pid in state.api_products}

    def product_of(product_id):
        found = products(this_portal(ctx, "v2")).get(product_id)
        if found is None:
            raise not_found()
        return found

    @app.get("/api/v2/products")
    def list_products():
        state = ctx.konnect
        with ctx.lock:
            found = products(this_portal(ctx, "v2"))
            return listing([pair[0] for pair in found.values()], lambda p: render_product(state, p, found[p["id"]][1]),
                           string_filters("id", "name", "description"), dict(timestamps(), name=field("name")))

    @app.get("/api/v2/products/<product_id>")
    def get_product(product_id):
        with ctx.lock:
            product, versions = product_of(product_id)
            return reply(render_product(ctx.konnect, product, versions))

    @app.get("/api/v2/products/<product_id>/versions")
    def list_versions(product_id):
        state = ctx.konnect
        with ctx.lock:
            versions = product_of(product_id)[1]
            ppvs = {version["id"]: ppv for version, ppv in versions}
            return listing([v for v, _ppv in versions], lambda v: render_product_version(state, v, ppvs[v["id"]]),
                           string_filters("name"), dict(timestamps(), name=field("name")))

    @app.get("/api/v2/products/<product_id>/versions/<version_id>")
    def get_version(product_id, version_id):
        with ctx.lock:
            versions = product_of(product_id)[1]
            for version, ppv in versions:
                if version["id"] == version_id:
                    return reply(render_product_version(ctx.konnect, version, ppv))
        raise not_found()
