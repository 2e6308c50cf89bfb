# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Konnect admin API stand-in (``/v2/...`` and ``/v3/...``, Bearer token).

``create_admin_app(ctx)`` returns the WSGI app mounted at the root of the
Konnect listener, wrapped by ``openapi_check`` (every request and response is
checked against Kong's official OpenAPI files when ``ctx.spec_dir`` is set).

The first part of this module holds the conventions every Konnect API shares,
also used by ``konnect_portal``: RFC 7807 ``application/problem+json`` errors
with ``instance: kong:trace:<n>`` and ``invalid_parameters`` on 400, body
validation with Konnect's rule names, ``page[size]``/``page[number]`` with
``meta.page``, ``filter[field][op]`` and ``sort``.
"""

import json
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

import konnect_store as store
import openapi_check

JSON = "application/json"
PROBLEM = "application/problem+json"
LABEL_VALUE = re.compile(r"^[a-z0-9A-Z]{1}([a-z0-9A-Z-._]*[a-z0-9A-Z]+)?$")
RESERVED_LABEL_PREFIXES = ("kong", "konnect", "mesh", "kic", "_")


# =========================================================================== conventions
class Problem(Exception):
    """An RFC 7807 error answered as ``application/problem+json``."""

    TITLES = {400: "Invalid Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
              409: "Conflict", 415: "Unsupported Media Type"}

    def __init__(self, status, detail=None, title=None, invalid_parameters=None):
        super().__init__(detail)
        self.status = status
        self.title = title or self.TITLES.get(status, "Error")
        self.detail = detail or self.title
        self.invalid_parameters = invalid_parameters

    def response(self):
        body = {"status": self.status, "title": self.title, "type": "https://httpstatuses.com/%d" % self.status,
                "instance": "kong:trace:%d" % secrets.randbelow(10 ** 19), "detail": self.detail}
        if self.status == 400:
            body["invalid_parameters"] = self.invalid_parameters or [
                {"field": "body", "rule": "invalid", "reason": self.detail, "source": "body"}]
        return Response(json.dumps(body), status=self.status, mimetype=PROBLEM)


def bad_request(params, detail="Invalid Parameters"):
    return Problem(400, detail, invalid_parameters=params)


def not_found(detail="Not Found"):
    return Problem(404, detail)


def reply(data, status=200, headers=None):
    return Response(json.dumps(data), status=status, mimetype=JSON, headers=headers)


def no_content(headers=None):
    response = Response(status=204, headers=headers)
    response.headers.pop("Content-Type", None)
    return response


def install_conventions(app):
    """Problem+json for every error, no redirect on trailing slashes."""
    app.url_map.strict_slashes = False

    @app.errorhandler(Problem)
    def _problem(exc):
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http(exc):
        return Problem(exc.code or 500).response()


WRITES = ("POST", "PUT", "PATCH", "DELETE")


def install_push(app, ctx):
    """After every successful write, hand the gateway's data plane what Konnect holds now (see gateway_push)."""
    @app.after_request
    def _push(response):
        if request.method in WRITES and response.status_code < 400:
            with ctx.lock:
                ctx.konnect.data_plane.changed(ctx.konnect)
        return response


def read_json(required=True):
    """The JSON object of the request body, or 400 the way Konnect words it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise bad_request([invalid("body", "required", "request body is required")])
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request([invalid("body", "invalid", "request body must be valid JSON")]) from None
    if not isinstance(body, dict):
        raise bad_request([invalid("body", "is_object", "request body must be an object")])
    return body


# --------------------------------------------------------------------------- body validation
def invalid(field, rule, reason, source="body", **extra):
    item = {"field": field, "rule": rule, "reason": reason, "source": source}
    item.update(extra)
    return item


def _join(path, name):
    return "%s.%s" % (path, name) if path else name


def v_string(min_len=0, max_len=None, pattern=None, fmt=None):
    def check(value, path):
        if not isinstance(value, str):
            return [invalid(path, "is_string", "must be a string")]
        if len(value) < min_len:
            return [invalid(path, "min_length", "must have at least %d characters" % min_len, minimum=min_len)]
        if max_len is not None and len(value) > max_len:
            return [invalid(path, "max_length", "must not be longer than %d characters" % max_len, maximum=max_len)]
        if pattern is not None and not re.match(pattern, value):
            return [invalid(path, "matches_regex", "must match %s" % pattern)]
        if fmt in ("url", "uri") and not _is_url(value, fmt):
            return [invalid(path, "invalid", "must be a valid %s" % fmt)]
        if fmt == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            return [invalid(path, "invalid", "must be a valid email")]
        return []
    return check


def _is_url(value, fmt):
    parts = urlsplit(value)
    if fmt == "url":
        return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value
    return bool(parts.scheme) and " " not in value


def v_bool():
    def check(value, path):
        return [] if isinstance(value, bool) else [invalid(path, "is_boolean", "must be a boolean")]
    return check


def v_int(minimum=None):
    def check(value, path):
        if isinstance(value, bool) or not isinstance(value, int):
            return [invalid(path, "is_integer", "must be an integer")]
        if minimum is not None and value < minimum:
            return [invalid(path, "min", "must be at least %d" % minimum, minimum=minimum)]
        return []
    return check


def v_uuid():
    def check(value, path):
        return [] if isinstance(value, str) and store.is_uuid(value) else [invalid(path, "is_uuid", "must be a valid UUID")]
    return check


def v_enum(*choices):
    def check(value, path):
        if value in choices:
            return []
        return [invalid(path, "enum", "must be one of [%s]" % ", ".join(choices), choices=list(choices))]
    return check


def v_array(item=None, max_items=None, min_items=0):
    def check(value, path):
        if not isinstance(value, list):
            return [invalid(path, "is_array", "must be an array")]
        if len(value) < min_items:
            return [invalid(path, "min_items", "must have at least %d items" % min_items, minimum=min_items)]
        if max_items is not None and len(value) > max_items:
            return [invalid(path, "max_items", "must have at most %d items" % max_items, maximum=max_items)]
        errors = []
        for index, element in enumerate(value):
            errors += item(element, "%s[%d]" % (path, index)) if item else []
        return errors
    return check


def v_attributes():
    """API attributes: an object whose values are lists of strings."""
    def check(value, path):
        if not isinstance(value, dict):
            return [invalid(path, "is_object", "must be an object")]
        return [e for key, item in value.items() for e in v_array(v_string(1, 512), 20, 1)(item, _join(path, key))]
    return check


def v_nullable(checker):
    def check(value, path):
        return [] if value is None else checker(value, path)
    return check


def v_labels(update=False):
    """Labels: at most 50, keys 1..63 without a reserved prefix, values matching Konnect's pattern."""
    def check(value, path):
        if value is None and update:
            return []
        if not isinstance(value, dict):
            return [invalid(path, "is_object", "must be an object")]
        if len(value) > 50:
            return [invalid(path, "max_items", "must have at most 50 labels", maximum=50)]
        errors = []
        for key, label in value.items():
            if not 1 <= len(key) <= 63 or key.startswith(RESERVED_LABEL_PREFIXES):
                errors.append(invalid(_join(path, key), "is_label",
                                      "label keys must be 1-63 characters without a reserved prefix (kong, konnect, mesh, "
                                      "kic, _)"))
            elif label is None and update:
                continue
            elif not isinstance(label, str) or not 1 <= len(label) <= 63 or not LABEL_VALUE.match(label):
                errors.append(invalid(_join(path, key), "is_label", "label values must be 1-63 characters matching %s"
                                      % LABEL_VALUE.pattern))
        return errors
    return check


def v_object(fields, required=(), extra=None, extra_reason=None):
    """An object with known fields; unknown fields are refused (``unknown_property``) unless ``extra`` allows them.

    ``extra`` may be a set of accepted additional names; their values are not checked.
    """
    def check(value, path):
        if not isinstance(value, dict):
            return [invalid(path or "body", "is_object", "must be an object")]
        errors = [invalid(_join(path, name), "required", '"%s" is required' % name) for name in required if name not in value]
        for name, item in value.items():
            if name in fields:
                errors += fields[name](item, _join(path, name))
            elif extra is None or name not in extra:
                if extra_reason:
                    errors.append(invalid(_join(path, name), "invalid", extra_reason))
                else:
                    errors.append(invalid(_join(path, name), "unknown_property", '"%s" is not allowed' % name))
        return errors
    return check


def discriminator(body, name, choices):
    """The value of a discriminating property (``provider_type``, ``strategy_type``), or 400."""
    if name not in body:
        raise bad_request([invalid(name, "required", '"%s" is required' % name)])
    validate(body[name], lambda value, path: v_enum(*choices)(value, name))
    return body[name]


def validate(body, checker):
    errors = checker(body, "")
    if errors:
        raise bad_request(errors)
    return body


def apply_labels(current, update):
    """LabelsUpdate semantics: a null value removes a key; null labels clear them all."""
    if update is None:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --------------------------------------------------------------------------- listing
FILTER_KEY = re.compile(r"^filter\[([^\]]+)\](?:\[([^\]]+)\])?$")
STRING_OPS = ("eq", "neq", "contains", "oeq", "ocontains")
UUID_OPS = ("eq", "neq", "oeq")


def _matches(actual, op, expected, kind):
    if kind == "members":  # a list of ids (``auth_strategy_ids``): the filter names one of them
        members = [str(m) for m in actual or []]
        if op == "oeq":
            return any(part in members for part in expected.split(","))
        return (expected in members) == (op == "eq")
    if kind == "bool":
        return (str(actual).lower() == expected.lower()) == (op != "neq")
    actual = "" if actual is None else str(actual)
    if op == "eq":
        return actual == expected
    if op == "neq":
        return actual != expected
    if op == "contains":
        return expected.lower() in actual.lower()
    if op == "oeq":
        return actual in expected.split(",")
    return any(part.lower() in actual.lower() for part in expected.split(","))  # ocontains


def parse_filters(args, filters):
    """[(accessor, op, value, kind)] from ``filter[field]`` / ``filter[field][op]`` query parameters."""
    parsed = []
    for key in args:
        found = FILTER_KEY.match(key)
        if not found:
            continue
        field, op = found.group(1), found.group(2) or "eq"
        if field not in filters:
            raise bad_request([invalid("filter[%s]" % field, "unknown_property", '"%s" is not a filterable field' % field,
                                       source="query")], "Invalid Filter")
        accessor, kind = filters[field]
        ops = {"string": STRING_OPS, "exact": UUID_OPS, "members": UUID_OPS, "bool": ("eq", "neq")}[kind]
        if op not in ops:
            raise bad_request([invalid(key, "enum", "must be one of [%s]" % ", ".join(ops), source="query",
                                       choices=list(ops))], "Invalid Filter")
        parsed.append((accessor, op, args.get(key), kind))
    return parsed


def _page_arg(args, name, default):
    raw = args.get(name)
    if raw is None:
        return default
    if not re.match(r"^\d+$", raw) or int(raw) < 1:
        raise bad_request([invalid(name, "is_number", '"%s" must be a number' % name, source="query")])
    return int(raw)


def _sorted(records, sort, sorts):
    if not sort:
        return records
    keys = []
    for part in reversed([p.strip() for p in sort.split(",") if p.strip()]):
        name, _blank, order = part.partition(" ")
        descending = order.strip().lower() == "desc" or name.startswith("-")
        name = name.lstrip("-")
        if name not in sorts:
            raise bad_request([invalid("sort", "enum", "must be one of [%s]" % ", ".join(sorts), source="query",
                                       choices=list(sorts))])
        keys.append((sorts[name], descending))
    for accessor, descending in keys:
        records = sorted(records, key=lambda r, a=accessor: (a(r) is None, str(a(r) or "")), reverse=descending)
    return records


def listing(records, render, filters=None, sorts=None):
    """A Konnect list page: filters, sort, ``page[size]`` (default 10) / ``page[number]``, ``meta.page``."""
    args = request.args
    for accessor, op, value, kind in parse_filters(args, filters or {}):
        records = [r for r in records if _matches(accessor(r), op, value, kind)]
    records = _sorted(list(records), args.get("sort"), sorts or {"created_at": lambda r: r["created_at"],
                                                                 "updated_at": lambda r: r["updated_at"]})
    size, number = _page_arg(args, "page[size]", 10), _page_arg(args, "page[number]", 1)
    page = records[(number - 1) * size:number * size]
    return reply({"data": [render(r) for r in page], "meta": {"page": {"number": number, "size": size, "total": len(records)}}})


def field(name):
    return lambda record: record.get(name)


def string_filters(*names):
    return {name: (field(name), "string") for name in names}


def timestamps():
    return {"created_at": field("created_at"), "updated_at": field("updated_at")}


def find(collection, object_id, detail="Not Found"):
    """The object with that id, or 404 (a malformed id is unknown too)."""
    found = collection.get(object_id)
    if found is None:
        raise not_found(detail)
    return found


def touch(record):
    record["updated_at"] = store.now()
    return record


# =========================================================================== rendering
SECRET_CONFIG_KEYS = ("initial_client_secret", "dcr_token", "api_key")
OIDC_AUTH_METHODS = ("password", "client_credentials", "authorization_code", "bearer", "introspection", "userinfo",
                     "kong_oauth2", "refresh_token", "session")
# OpenID Connect plugin settings Konnect accepts next to the four strategy keys (others: 400 "unknown field").
OIDC_PLUGIN_FIELDS = frozenset((
    "hide_credentials", "cache_tokens", "client_auth", "audience", "audience_required", "audience_claim",
    "scopes_required", "scopes_claim", "roles_required", "roles_claim", "groups_required", "groups_claim",
    "consumer_claim", "consumer_by", "consumer_optional", "leeway", "verify_claims", "verify_signature",
    "token_cache_key_include_scope", "upstream_headers_claims", "upstream_headers_names", "introspection_endpoint",
    "introspect_jwt_tokens", "extra_jwks_uris", "ignore_signature", "anonymous", "issuers_allowed",
    "authenticated_groups_claim", "cache_ttl", "cache_introspection", "unauthorized_error_message",
    "forbidden_error_message", "display_errors", "run_on_preflight"))


def public_dcr_config(provider):
    """The observable part of a DCR provider's configuration (write-only secrets removed)."""
    config, kind = provider["dcr_config"], provider["provider_type"]
    if kind in ("curity", "azureAd"):
        return {"initial_client_id": config["initial_client_id"]}
    if kind == "auth0":
        return {"initial_client_id": config["initial_client_id"],
                "initial_client_audience": config.get("initial_client_audience"),
                "use_developer_managed_scopes": config.get("use_developer_managed_scopes", False)}
    if kind == "http":
        return {k: v for k, v in config.items() if k not in SECRET_CONFIG_KEYS}
    return {}


def render_provider(state, provider):
    out = {"id": provider["id"], "name": provider["name"], "provider_type": provider["provider_type"],
           "issuer": provider["issuer"], "active": bool(state.strategies_using_provider(provider["id"])),
           "dcr_config": public_dcr_config(provider), "labels": provider["labels"],
           "created_at": provider["created_at"], "updated_at": provider["updated_at"]}
    if provider.get("display_name"):
        out["display_name"] = provider["display_name"]
    return out


def supports_multiple_credentials(state, strategy):
    if strategy["strategy_type"] == "key_auth":
        return True
    provider = state.dcr_providers.get(strategy.get("dcr_provider_id"))
    if provider is None:
        return False
    return provider["provider_type"] in ("okta", "azureAd") or (
        provider["provider_type"] == "http" and bool(provider["dcr_config"].get("allow_multiple_credentials")))


def render_strategy(state, strategy):
    provider = state.dcr_providers.get(strategy.get("dcr_provider_id"))
    link = None
    if provider is not None:
        link = {"id": provider["id"], "name": provider["name"], "provider_type": provider["provider_type"]}
        if provider.get("display_name"):
            link["display_name"] = provider["display_name"]
    out = {"id": strategy["id"], "name": strategy["name"], "display_name": strategy["display_name"],
           "strategy_type": strategy["strategy_type"], "configs": strategy["configs"],
           "active": state.strategy_active(strategy["id"]), "dcr_provider": link, "labels": strategy["labels"],
           "created_at": strategy["created_at"], "updated_at": strategy["updated_at"],
           "supports_multiple_credentials": supports_multiple_credentials(state, strategy)}
    if strategy.get("principals") is not None:
        out["principals"] = strategy["principals"]
    return out


def strategy_ref(state, strategy):
    """The ``AuthStrategy`` object embedded in portal-side resources (admin APIs: no extra fields)."""
    kind = state.credential_type(strategy)
    if kind == "key_auth":
        config = strategy["configs"]["key-auth"]
        out = {"id": strategy["id"], "name": strategy["display_name"], "credential_type": kind,
               "key_names": config.get("key_names", ["apikey"])}
        if config.get("ttl"):
            out["ttl"] = config["ttl"]
        return out
    return {"id": strategy["id"], "name": strategy["display_name"], "credential_type": kind,
            "auth_methods": strategy["configs"]["openid-connect"]["auth_methods"]}


def render_portal_v3(state, portal):
    return {k: portal[k] for k in (
        "id", "created_at", "updated_at", "name", "display_name", "description", "authentication_enabled",
        "rbac_enabled", "sipr_enabled", "default_api_visibility", "default_page_visibility",
        "default_application_auth_strategy_id", "auto_approve_developers", "auto_approve_applications",
        "default_domain", "canonical_domain", "labels", "notifications_developer_pii_visibility_enabled")}


def render_portal_v2(state, portal):
    out = {k: portal[k] for k in (
        "id", "created_at", "updated_at", "name", "display_name", "description", "default_domain", "is_public",
        "rbac_enabled", "auto_approve_applications", "auto_approve_developers", "custom_domain",
        "custom_client_domain", "default_application_auth_strategy_id", "labels")}
    out["application_count"] = sum(1 for a in state.applications.values() if a["portal_id"] == portal["id"])
    out["developer_count"] = sum(1 for d in state.developers.values() if d["portal_id"] == portal["id"])
    out["published_product_count"] = len(state.portal_products(portal["id"]))
    return out


def render_developer(state, developer, classic=False):
    out = {k: developer[k] for k in ("id", "created_at", "updated_at", "email", "full_name", "status")}
    if classic:
        out["application_count"] = len(state.apps_of_developer(developer["id"]))
    return out


def render_admin_application(state, app, classic=False):
    """PM3 ``ClientCredentialsApplication``/``KeyAuthApplication`` or PM2 ``Application`` (never a secret).

    ``labels`` is omitted: both files declare it ``writeOnly`` in these responses.
    """
    strategy = state.auth_strategies.get(app["auth_strategy_id"])
    out = {"id": app["id"], "created_at": app["created_at"], "updated_at": app["updated_at"], "name": app["name"],
           "description": app["description"], "registration_count": len(state.registrations_of(app["id"])),
           "portal": {"id": app["portal_id"]}}
    if strategy is not None:
        out["auth_strategy"] = strategy_ref(state, strategy)
    if classic:
        developer = state.developers.get(app["developer_id"]) or {}
        out.update({"reference_id": app.get("client_id") or "", "granted_scopes": None,
                    "dcr_provider": {"id": app["dcr_provider_id"]} if app.get("dcr_provider_id") else None,
                    "developer": {"id": app["developer_id"], "name": developer.get("full_name", ""),
                                  "email": developer.get("email", "")}})
        return out
    out["owner"] = {"type": "developer", "id": app["developer_id"]}
    if strategy is None or strategy["strategy_type"] != "key_auth":
        out.update({"client_id": app.get("client_id") or "", "granted_scopes": None,
                    "dcr_provider": {"id": app["dcr_provider_id"]} if app.get("dcr_provider_id") else None})
    return out


def render_admin_registration(state, registration, classic=False):
    app = state.applications[registration["application_id"]]
    out = {"id": registration["id"], "created_at": registration["created_at"], "updated_at": registration["updated_at"],
           "status": registration["status"], "application": {"id": app["id"], "name": app["name"]}}
    if classic:
        version = state.product_versions.get(registration["product_version_id"]) or {}
        product = state.api_products.get(version.get("product_id")) or {}
        developer = state.developers.get(app["developer_id"]) or {}
        out.update({"product": {"id": product.get("id", registration["product_id"]), "name": product.get("name", "")},
                    "product_version": {"id": registration["product_version_id"], "name": version.get("name", "")},
                    "developer": {"id": app["developer_id"], "name": developer.get("full_name", "")},
                    "granted_scopes": None})
        return out
    api = state.apis.get(registration["api_id"]) or {}
    out["api"] = {"id": registration["api_id"], "name": api.get("name", ""), "version": api.get("version"),
                  "entity_type": "api"}
    return out


def render_api(state, api):
    portals = [state.portals[pid] for (aid, pid) in state.publications if aid == api["id"] and pid in state.portals]
    implemented = any(i["api_id"] == api["id"] for i in state.implementations.values())
    return {"id": api["id"], "name": api["name"], "description": api.get("description"), "version": api.get("version"),
            "current_version_summary": None, "slug": api["slug"], "api_spec_ids": [],
            "portals": [{"id": p["id"], "name": p["name"], "display_name": p["display_name"]} for p in portals],
            "labels": api["labels"], "implementation_mode": "gateway_entity_binding" if implemented else None,
            "attributes": api.get("attributes") or {}, "created_at": api["created_at"], "updated_at": api["updated_at"]}


def render_implementation(state, implementation, with_api=False):
    out = {"id": implementation["id"], "created_at": implementation["created_at"],
           "updated_at": implementation["updated_at"],
           "service": {"control_plane_id": implementation["control_plane_id"], "id": implementation["service_id"]}}
    if with_api:
        out["api_id"] = implementation["api_id"]
    return out


def render_publication(state, publication):
    return {"auth_strategy_ids": publication["auth_strategy_ids"], "visibility": publication["visibility"],
            "auto_approve_registrations": publication["auto_approve_registrations"], "warnings": [],
            "created_at": publication["created_at"], "updated_at": publication["updated_at"]}


def render_publication_item(state, publication, portal_listing=False):
    """An API publication in a list: ``ApiPublicationListItem``, or ``PublicationListItem`` within a portal.

    Kong's files give the portal-scoped item ``portal_ids`` (an array) where the
    organisation-wide one has ``portal_id``; only APIs are published here, so
    ``entity_type`` is always ``api``.
    """
    out = {"api_id": publication["api_id"], "entity_type": "api"}
    if portal_listing:
        out["portal_ids"] = [publication["portal_id"]]
    else:
        out["portal_id"] = publication["portal_id"]
    out.update(render_publication(state, publication))
    return out


def render_product(state, product):
    portals = [state.portals[p] for p in product["portal_ids"] if p in state.portals]
    return {"id": product["id"], "name": product["name"], "description": product.get("description"),
            "portal_ids": [p["id"] for p in portals],
            "portals": [{"portal_id": p["id"], "portal_name": p["name"]} for p in portals],
            "version_count": sum(1 for v in state.product_versions.values() if v["product_id"] == product["id"]),
            "created_at": product["created_at"], "updated_at": product["updated_at"], "labels": product["labels"],
            "public_labels": product["public_labels"]}


def render_product_version(state, version):
    portals = []
    for ppv in state.portal_product_versions.values():
        portal = state.portals.get(ppv["portal_id"])
        if ppv["product_version_id"] != version["id"] or portal is None:
            continue
        portals.append({"portal_id": portal["id"], "portal_name": portal["name"], "portal_product_version_id": ppv["id"],
                        "publish_status": ppv["publish_status"], "deprecated": ppv["deprecated"],
                        "application_registration_enabled": ppv["application_registration_enabled"],
                        "auto_approve_registration": ppv["auto_approve_registration"],
                        "auth_strategies": [{"id": s, "name": state.auth_strategies[s]["display_name"]}
                                            for s in ppv["auth_strategy_ids"] if s in state.auth_strategies]})
    return {"id": version["id"], "name": version["name"], "gateway_service": version.get("gateway_service"),
            "publish_status": version["publish_status"], "deprecated": version["deprecated"], "labels": version["labels"],
            "portals": portals, "created_at": version["created_at"], "updated_at": version["updated_at"]}


def render_portal_product_version(state, ppv):
    return {"id": ppv["id"], "publish_status": ppv["publish_status"], "product_version_id": ppv["product_version_id"],
            "created_at": ppv["created_at"], "updated_at": ppv["updated_at"],
            "auth_strategies": [strategy_ref(state, state.auth_strategies[s]) for s in ppv["auth_strategy_ids"]
                                if s in state.auth_strategies],
            "application_registration_enabled": ppv["application_registration_enabled"],
            "auto_approve_registration": ppv["auto_approve_registration"], "deprecated": ppv["deprecated"]}


# =========================================================================== request schemas
NAME_256 = v_string(1, 256)
ISSUER = v_string(0, 256, fmt="url")
CONFIG_ID = v_string(0, 256)
PROVIDER_TYPES = ("auth0", "azureAd", "curity", "okta", "http", "kongIdentity")
DCR_CONFIG_FIELDS = {
    "curity": {"initial_client_id": CONFIG_ID, "initial_client_secret": CONFIG_ID},
    "azureAd": {"initial_client_id": CONFIG_ID, "initial_client_secret": CONFIG_ID},
    "auth0": {"initial_client_id": CONFIG_ID, "initial_client_secret": CONFIG_ID,
              "initial_client_audience": v_nullable(CONFIG_ID), "use_developer_managed_scopes": v_bool()},
    "okta": {"dcr_token": CONFIG_ID},
    "http": {"dcr_base_url": ISSUER, "api_key": v_string(12, 256, r"^[a-zA-Z0-9_]+$"), "disable_event_hooks": v_bool(),
             "disable_refresh_secret": v_bool(), "allow_multiple_credentials": v_bool()},
    "kongIdentity": {},
}
DCR_CONFIG_REQUIRED = {"curity": ("initial_client_id", "initial_client_secret"),
                       "azureAd": ("initial_client_id", "initial_client_secret"),
                       "auth0": ("initial_client_id", "initial_client_secret"), "okta": ("dcr_token",),
                       "http": ("dcr_base_url", "api_key"), "kongIdentity": ()}


def provider_schema(kind, update=False):
    config = v_object(DCR_CONFIG_FIELDS[kind], () if update else DCR_CONFIG_REQUIRED[kind])
    fields = {"name": NAME_256, "display_name": NAME_256, "issuer": ISSUER, "labels": v_labels(update), "dcr_config": config}
    if update:
        return v_object(fields)
    fields["provider_type"] = v_enum(*PROVIDER_TYPES)
    required = ("provider_type", "name", "issuer") + (("dcr_config",) if kind != "kongIdentity" else ())
    return v_object(fields, required)


def _oidc_config(update):
    fields = {"issuer": ISSUER, "credential_claim": v_array(v_string(0, 128), 10), "scopes": v_array(v_string(0, 128), 50),
              "auth_methods": v_array(v_enum(*OIDC_AUTH_METHODS), 10)}
    required = () if update else ("issuer", "credential_claim", "scopes", "auth_methods")
    return v_object(fields, required, extra=OIDC_PLUGIN_FIELDS, extra_reason="unknown field")


KEY_AUTH_CONFIG = v_object({"key_names": v_array(v_string(0, 256), 10, 1),
                            "ttl": v_nullable(v_object({"value": v_int(1), "unit": v_enum("days", "weeks", "years")},
                                                       ("value", "unit")))})
PRINCIPALS = v_object({"enabled": v_bool()}, ("enabled",))


def strategy_schema(kind):
    configs = {"openid_connect": v_object({"openid-connect": _oidc_config(False)}, ("openid-connect",)),
               "key_auth": v_object({"key-auth": KEY_AUTH_CONFIG}, ("key-auth",))}[kind]
    fields = {"name": NAME_256, "display_name": v_string(0, 256), "strategy_type": v_enum("key_auth", "openid_connect"),
              "configs": configs, "labels": v_labels(), "principals": PRINCIPALS}
    if kind == "openid_connect":
        fields["dcr_provider_id"] = v_nullable(v_uuid())
    return v_object(fields, ("name", "display_name", "strategy_type", "configs"))


def strategy_update_schema(kind):
    config_key = "openid-connect" if kind == "openid_connect" else "key-auth"
    config = _oidc_config(True) if kind == "openid_connect" else KEY_AUTH_CONFIG
    return v_object({"name": NAME_256, "display_name": v_string(0, 256), "labels": v_labels(True),
                     "dcr_provider_id": v_nullable(v_uuid()), "principals": PRINCIPALS,
                     "configs": v_object({config_key: config}, (config_key,))})


PORTAL_V3_FIELDS = {
    "name": v_string(1, 255), "display_name": v_string(1, 255), "description": v_nullable(v_string(0, 512)),
    "authentication_enabled": v_bool(), "rbac_enabled": v_bool(), "sipr_enabled": v_bool(),
    "default_api_visibility": v_enum("public", "private"), "default_page_visibility": v_enum("public", "private"),
    "default_application_auth_strategy_id": v_nullable(v_uuid()), "auto_approve_developers": v_bool(),
    "auto_approve_applications": v_bool(), "labels": v_labels(True),
    "notifications_developer_pii_visibility_enabled": v_bool(),
    # read-only fields are accepted and ignored
    "id": lambda v, p: [], "created_at": lambda v, p: [], "updated_at": lambda v, p: [],
    "default_domain": lambda v, p: [], "canonical_domain": lambda v, p: []}
PORTAL_V2_FIELDS = {
    "name": v_string(1, 255), "display_name": v_string(1, 255), "description": v_nullable(v_string(0, 512)),
    "is_public": v_bool(), "rbac_enabled": v_bool(), "auto_approve_applications": v_bool(),
    "auto_approve_developers": v_bool(), "custom_domain": v_nullable(v_string(0, 1024)),
    "custom_client_domain": v_nullable(v_string(0, 1024)), "default_application_auth_strategy_id": v_nullable(v_uuid()),
    "labels": v_labels(True)}
READ_ONLY_PORTAL_FIELDS = ("id", "created_at", "updated_at", "default_domain", "canonical_domain")


# =========================================================================== the app
def authorize(state):
    """Bearer personal access token; the read-only system-account token may only read."""
    scheme, _blank, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Unauthorized")
    token = token.strip()
    if secrets.compare_digest(token, state.token):
        return
    if secrets.compare_digest(token, state.readonly_token):
        if request.method in ("GET", "HEAD"):
            return
        raise Problem(403, "You do not have permission to perform this action")
    raise Problem(401, "Unauthorized")


def create_admin_app(ctx):
    """The Konnect admin API (``/v2``, ``/v3``) as a WSGI app, checked against Kong's OpenAPI files."""
    app = Flask("konnect_admin")
    install_conventions(app)

    @app.before_request
    def _authenticate():
        if request.path.startswith(("/v2/", "/v3/")):
            authorize(ctx.konnect)

    install_push(app, ctx)

    for install in (_dcr_provider_routes, _strategy_routes, _portal_routes, _developer_routes, _api_routes,
                    _product_routes, _application_routes):
        install(app, ctx)
    return openapi_check.wrap(app, ctx, "konnect")


# --------------------------------------------------------------------------- DCR providers
def _dcr_provider_routes(app, ctx):
    filters = string_filters("id", "name", "issuer", "provider_type")
    filters["initial_client_id"] = (lambda p: p["dcr_config"].get("initial_client_id"), "string")
    filters["initial_client_audience"] = (lambda p: p["dcr_config"].get("initial_client_audience"), "string")
    sorts = dict(timestamps(), provider_type=field("provider_type"), issuer=field("issuer"), name=field("name"))

    @app.get("/v2/dcr-providers")
    def list_providers():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.dcr_providers.values()), lambda p: render_provider(state, p), filters, sorts)

    @app.post("/v2/dcr-providers")
    def create_provider():
        body = read_json()
        kind = discriminator(body, "provider_type", PROVIDER_TYPES)
        validate(body, provider_schema(kind))
        state, stamp = ctx.konnect, store.now()
        provider = {"id": store.new_id(), "name": body["name"], "display_name": body.get("display_name"),
                    "provider_type": kind, "issuer": body["issuer"], "dcr_config": dict(body.get("dcr_config") or {}),
                    "labels": body.get("labels") or {}, "created_at": stamp, "updated_at": stamp}
        with ctx.lock:
            state.dcr_providers[provider["id"]] = provider
            return reply(render_provider(state, provider), 201)

    @app.get("/v2/dcr-providers/<provider_id>")
    def get_provider(provider_id):
        state = ctx.konnect
        with ctx.lock:
            return reply(render_provider(state, find(state.dcr_providers, provider_id)))

    @app.patch("/v2/dcr-providers/<provider_id>")
    def update_provider(provider_id):
        state = ctx.konnect
        body = read_json()
        with ctx.lock:
            provider = find(state.dcr_providers, provider_id)
            if "provider_type" in body:
                raise bad_request([invalid("provider_type", "unknown_property",
                                           "The provider_type cannot be updated after creation")])
            if provider["provider_type"] == "kongIdentity" and body.get("dcr_config"):
                raise bad_request([invalid("dcr_config", "unknown_property", "kongIdentity has no dcr_config to update")])
            validate(body, provider_schema(provider["provider_type"], update=True))
            for key in ("name", "display_name", "issuer"):
                if key in body:
                    provider[key] = body[key]
            provider["dcr_config"].update(body.get("dcr_config") or {})  # secrets replace the stored ones silently
            if "labels" in body:
                provider["labels"] = apply_labels(provider["labels"], body["labels"])
            return reply(render_provider(state, touch(provider)))

    @app.delete("/v2/dcr-providers/<provider_id>")
    def delete_provider(provider_id):
        state = ctx.konnect
        with ctx.lock:
            find(state.dcr_providers, provider_id)
            if state.strategies_using_provider(provider_id):
                raise Problem(409, "DCR provider is used by at least one application auth strategy")
            del state.dcr_providers[provider_id]
        return no_content()

    @app.post("/v2/dcr-providers/<provider_id>/verify")
    def verify_provider(provider_id):
        with ctx.lock:
            provider = dict(find(ctx.konnect.dcr_providers, provider_id))
            provider["dcr_config"] = dict(provider["dcr_config"])
        try:
            store.initial_access_token(ctx, provider)  # really asks the IdP; nothing is held while waiting
        except store.IdpError as exc:
            return reply({"status": "failed", "errors": [str(exc)]})
        return reply({"status": "success", "errors": []})


# --------------------------------------------------------------------------- application auth strategies
def _strategy_routes(app, ctx):
    filters = string_filters("strategy_type", "name", "display_name")
    filters["dcr_provider_id"] = (field("dcr_provider_id"), "exact")
    sorts = dict(timestamps(), strategy_type=field("strategy_type"), name=field("name"),
                 display_name=field("display_name"), dcr_provider_id=field("dcr_provider_id"))

    def provider_attr(attr):
        return lambda s: (ctx.konnect.dcr_providers.get(s.get("dcr_provider_id")) or {}).get(attr)

    filters["dcr_provider_name"] = (provider_attr("name"), "string")
    filters["dcr_provider_type"] = (provider_attr("provider_type"), "string")
    sorts.update(dcr_provider_name=provider_attr("name"), dcr_provider_type=provider_attr("provider_type"))

    def checked_create(body):
        kind = discriminator(body, "strategy_type", ("key_auth", "openid_connect"))
        validate(body, strategy_schema(kind))
        return kind

    def check_provider(state, provider_id):
        if provider_id is not None and provider_id not in state.dcr_providers:
            raise bad_request([invalid("dcr_provider_id", "missing_reference", "DCR provider does not exist")])

    def build(body, kind, strategy_id, created_at):
        return {"id": strategy_id, "name": body["name"], "display_name": body["display_name"], "strategy_type": kind,
                "configs": body["configs"], "dcr_provider_id": body.get("dcr_provider_id"),
                "labels": body.get("labels") or {}, "principals": body.get("principals"), "created_at": created_at,
                "updated_at": store.now()}

    @app.get("/v2/application-auth-strategies")
    def list_strategies():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.auth_strategies.values()), lambda s: render_strategy(state, s), filters, sorts)

    @app.post("/v2/application-auth-strategies")
    def create_strategy():
        body = read_json()
        kind = checked_create(body)
        state = ctx.konnect
        with ctx.lock:
            check_provider(state, body.get("dcr_provider_id"))
            strategy = build(body, kind, store.new_id(), store.now())
            state.auth_strategies[strategy["id"]] = strategy
            return reply(render_strategy(state, strategy), 201)

    @app.get("/v2/application-auth-strategies/<strategy_id>")
    def get_strategy(strategy_id):
        state = ctx.konnect
        with ctx.lock:
            return reply(render_strategy(state, find(state.auth_strategies, strategy_id)))

    @app.put("/v2/application-auth-strategies/<strategy_id>")
    def replace_strategy(strategy_id):
        body = read_json()
        kind = checked_create(body)
        state = ctx.konnect
        with ctx.lock:
            current = find(state.auth_strategies, strategy_id)
            check_provider(state, body.get("dcr_provider_id"))
            strategy = build(body, kind, strategy_id, current["created_at"])
            state.auth_strategies[strategy_id] = strategy
            return reply(render_strategy(state, strategy), 201)  # 201 on replace, as Kong's file says

    @app.patch("/v2/application-auth-strategies/<strategy_id>")
    def update_strategy(strategy_id):
        body = read_json()
        state = ctx.konnect
        with ctx.lock:
            strategy = find(state.auth_strategies, strategy_id)
            if "strategy_type" in body:
                raise bad_request([invalid("strategy_type", "unknown_property", "strategy_type cannot be updated")])
            kind = strategy["strategy_type"]
            if kind == "key_auth" and "dcr_provider_id" in body:
                raise bad_request([invalid("dcr_provider_id", "unknown_property", '"dcr_provider_id" is not allowed')])
            validate(body, strategy_update_schema(kind))
            check_provider(state, body.get("dcr_provider_id"))
            for key in ("name", "display_name", "principals", "dcr_provider_id"):
                if key in body:
                    strategy[key] = body[key]
            for key, config in (body.get("configs") or {}).items():  # partial configs are merged, null removes
                merged = dict(strategy["configs"][key], **config)
                strategy["configs"][key] = {k: v for k, v in merged.items() if v is not None}
            if "labels" in body:
                strategy["labels"] = apply_labels(strategy["labels"], body["labels"])
            return reply(render_strategy(state, touch(strategy)))

    @app.delete("/v2/application-auth-strategies/<strategy_id>")
    def delete_strategy(strategy_id):
        state = ctx.konnect
        with ctx.lock:
            find(state.auth_strategies, strategy_id)
            if state.strategy_in_use(strategy_id):
                raise Problem(409, "Application auth strategy can be deleted only if it is not used by any portal, "
                                   "API publication or product version")
            del state.auth_strategies[strategy_id]
        return no_content()


# --------------------------------------------------------------------------- portals
def _portal_routes(app, ctx):
    common = string_filters("id", "name", "description", "default_domain")
    bools = {k: (field(k), "bool") for k in ("rbac_enabled", "auto_approve_developers", "auto_approve_applications")}
    filters = {"v3": dict(common, **bools, **string_filters("default_api_visibility", "default_page_visibility",
                                                            "canonical_domain"),
                          authentication_enabled=(field("authentication_enabled"), "bool"),
                          default_application_auth_strategy_id=(field("default_application_auth_strategy_id"), "exact")),
               "v2": dict(common, **bools, **string_filters("custom_domain", "custom_client_domain"),
                          is_public=(field("is_public"), "bool"))}
    sorts = dict(timestamps(), name=field("name"))
    renders = {"v3": render_portal_v3, "v2": render_portal_v2}
    schemas = {"v3": PORTAL_V3_FIELDS, "v2": PORTAL_V2_FIELDS}

    def portals_of(generation):
        return [p for p in ctx.konnect.portals.values() if p["generation"] == generation]

    def check_links(state, body, generation, portal_id=None):
        strategy_id = body.get("default_application_auth_strategy_id")
        if strategy_id is not None and strategy_id not in state.auth_strategies:
            raise bad_request([invalid("default_application_auth_strategy_id", "missing_reference",
                                       "application auth strategy does not exist")])
        name = body.get("name")
        if name is not None and any(p["name"] == name and p["id"] != portal_id for p in state.portals.values()
                                    if p["generation"] == generation):
            if portal_id is None:
                raise bad_request([invalid("name", "invalid", "name must be unique")])
            raise Problem(409, "A portal with this name already exists")

    def apply(portal, body):
        for key, value in body.items():
            if key in READ_ONLY_PORTAL_FIELDS:
                continue
            portal[key] = apply_labels(portal["labels"], value) if key == "labels" else value
        return touch(portal)

    def portal_of(generation, portal_id):
        portal = find(ctx.konnect.portals, portal_id)
        if portal["generation"] != generation:
            raise not_found()
        return portal

    def install(generation):
        base = "/%s/portals" % generation

        def list_portals():
            state = ctx.konnect
            with ctx.lock:
                return listing(portals_of(generation), lambda p: renders[generation](state, p), filters[generation], sorts)

        def create_portal():
            body = validate(read_json(), v_object(schemas[generation], ("name",)))
            state = ctx.konnect
            with ctx.lock:
                check_links(state, body, generation)
                portal = (state.new_portal_v3 if generation == "v3" else state.new_portal_v2)(body)
                state.portals[portal["id"]] = apply(portal, body)
                return reply(renders[generation](state, portal), 201)

        def get_portal(portal_id):
            with ctx.lock:
                return reply(renders[generation](ctx.konnect, portal_of(generation, portal_id)))

        def update_portal(portal_id):
            body = validate(read_json(), v_object(schemas[generation]))
            state = ctx.konnect
            with ctx.lock:
                portal = portal_of(generation, portal_id)
                check_links(state, body, generation, portal_id)
                return reply(renders[generation](state, apply(portal, body)))

        def delete_portal(portal_id):
            state = ctx.konnect
            with ctx.lock:
                portal = portal_of(generation, portal_id)
                if request.args.get("force") != "true":
                    refuse_unforced_delete(state, portal)
                dcr_records = forget_portal(state, portal_id)
            for record in dcr_records:
                store.delete_client(ctx, record)
            return no_content()

        app.add_url_rule(base, "list_portals_" + generation, list_portals, methods=["GET"])
        app.add_url_rule(base, "create_portal_" + generation, create_portal, methods=["POST"])
        app.add_url_rule(base + "/<portal_id>", "get_portal_" + generation, get_portal, methods=["GET"])
        app.add_url_rule(base + "/<portal_id>", "update_portal_" + generation, update_portal, methods=["PATCH"])
        app.add_url_rule(base + "/<portal_id>", "delete_portal_" + generation, delete_portal, methods=["DELETE"])

    install("v3")
    install("v2")


def refuse_unforced_delete(state, portal):
    if portal["generation"] == "v3":
        if any(pid == portal["id"] for (_api_id, pid) in state.publications):
            raise bad_request([invalid("force", "required", "APIs are published to this portal; use force=true",
                                       source="query")])
        return
    busy = any(d["portal_id"] == portal["id"] for d in state.developers.values()) or any(
        v["portal_id"] == portal["id"] and v["application_registration_enabled"]
        for v in state.portal_product_versions.values())
    if busy:
        raise bad_request([invalid("force", "required", "the portal has developers or product versions with application "
                                                        "registration enabled; use force=true", source="query")])


def forget_portal(state, portal_id):
    """Remove a portal and everything in it; return the DCR records of its applications."""
    records = [state.forget_application(a["id"]) for a in list(state.applications.values()) if a["portal_id"] == portal_id]
    for key in [k for k in state.publications if k[1] == portal_id]:
        del state.publications[key]
    for ppv_id in [k for k, v in state.portal_product_versions.items() if v["portal_id"] == portal_id]:
        del state.portal_product_versions[ppv_id]
    for developer_id in [k for k, d in state.developers.items() if d["portal_id"] == portal_id]:
        del state.developers[developer_id]
    for product in state.api_products.values():
        product["portal_ids"] = [p for p in product["portal_ids"] if p != portal_id]
    del state.portals[portal_id]
    return [r for r in records if r]


# --------------------------------------------------------------------------- developers
def _developer_routes(app, ctx):
    filters = string_filters("status", "email")
    filters["name"] = (field("full_name"), "string")
    sorts = dict(timestamps(), email=field("email"), full_name=field("full_name"), status=field("status"))
    status = v_enum("approved", "pending", "revoked", "rejected")

    def developer_of(generation, portal_id, developer_id):
        portal = find(ctx.konnect.portals, portal_id)
        developer = find(ctx.konnect.developers, developer_id)
        if portal["generation"] != generation or developer["portal_id"] != portal_id:
            raise not_found()
        return developer

    def install(generation):
        base = "/%s/portals/<portal_id>/developers" % generation
        classic = generation == "v2"

        def list_developers(portal_id):
            state = ctx.konnect
            with ctx.lock:
                portal = find(state.portals, portal_id)
                if portal["generation"] != generation:
                    raise not_found()
                records = [d for d in state.developers.values() if d["portal_id"] == portal_id]
                return listing(records, lambda d: render_developer(state, d, classic), filters, sorts)

        def get_developer(portal_id, developer_id):
            with ctx.lock:
                return reply(render_developer(ctx.konnect, developer_of(generation, portal_id, developer_id), classic))

        def update_developer(portal_id, developer_id):
            body = validate(read_json(), v_object({"status": status}))
            with ctx.lock:
                developer = developer_of(generation, portal_id, developer_id)
                developer.update(body)
                if developer["status"] != "approved":
                    end_sessions(ctx.konnect, developer_id)
                return reply(render_developer(ctx.konnect, touch(developer), classic))

        def delete_developer(portal_id, developer_id):
            state = ctx.konnect
            with ctx.lock:
                developer_of(generation, portal_id, developer_id)
                records = [state.forget_application(a["id"]) for a in state.apps_of_developer(developer_id)]
                end_sessions(state, developer_id)
                del state.developers[developer_id]
            for record in filter(None, records):
                store.delete_client(ctx, record)
            return no_content()

        app.add_url_rule(base, "list_developers_" + generation, list_developers, methods=["GET"])
        app.add_url_rule(base + "/<developer_id>", "get_developer_" + generation, get_developer, methods=["GET"])
        app.add_url_rule(base + "/<developer_id>", "update_developer_" + generation, update_developer, methods=["PATCH"])
        app.add_url_rule(base + "/<developer_id>", "delete_developer_" + generation, delete_developer, methods=["DELETE"])

    @app.post("/v3/portals/<portal_id>/developers")
    def create_developer(portal_id):
        body = validate(read_json(), v_object({"email": v_string(0, 255, fmt="email"), "full_name": v_string(0, 255),
                                               "status": status, "send_invitation_email": v_bool()},
                                              ("email", "full_name")))
        state = ctx.konnect
        with ctx.lock:
            portal = find(state.portals, portal_id)
            if portal["generation"] != "v3":
                raise not_found()
            if any(d["portal_id"] == portal_id and d["email"].lower() == body["email"].lower()
                   for d in state.developers.values()):
                raise Problem(409, "Developer with the given email already exists")
            stamp = store.now()
            # No password: a real developer sets it through the invitation or forgot-password e-mail.
            developer = {"id": store.new_id(), "portal_id": portal_id, "email": body["email"],
                         "full_name": body["full_name"], "status": body.get("status", "approved"),
                         "password_hash": None, "created_at": stamp, "updated_at": stamp}
            state.developers[developer["id"]] = developer
            return reply(render_developer(state, developer), 201)

    install("v3")
    install("v2")


def end_sessions(state, developer_id):
    for table in (state.sessions, state.refresh_tokens):
        for token in [t for t, s in table.items() if s["developer_id"] == developer_id]:
            del table[token]


# --------------------------------------------------------------------------- APIs, implementations, publications
def _api_routes(app, ctx):
    filters = string_filters("id", "name", "version")
    sorts = dict(timestamps(), name=field("name"), version=field("version"))
    api_fields = {"name": v_string(1, 255), "description": v_nullable(v_string()),
                  "version": v_nullable(v_string(1, 255)), "slug": v_nullable(v_string(1, 255, r"^[\w-]+$")),
                  "labels": v_labels(True), "attributes": v_attributes(),
                  "spec_content": v_string()}

    def check_unique(state, name, version, api_id=None):
        if any(a["name"] == name and a.get("version") == version and a["id"] != api_id for a in state.apis.values()):
            # Kong's file lists no 409 for create-api: the uniqueness of name + version is a 400 there.
            raise bad_request([invalid("name", "invalid", "the name + version combination must be unique")])

    @app.get("/v3/apis")
    def list_apis():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.apis.values()), lambda a: render_api(state, a), filters, sorts)

    @app.post("/v3/apis")
    def create_api():
        body = validate(read_json(), v_object(api_fields, ("name",)))
        state, stamp = ctx.konnect, store.now()
        with ctx.lock:
            check_unique(state, body["name"], body.get("version"))
            api = {"id": store.new_id(), "name": body["name"], "description": body.get("description"),
                   "version": body.get("version"), "slug": body.get("slug") or store.slugify(body["name"], body.get("version")),
                   "labels": apply_labels({}, body.get("labels") or {}), "attributes": body.get("attributes") or {},
                   "created_at": stamp, "updated_at": stamp}
            state.apis[api["id"]] = api
            return reply(render_api(state, api), 201)

    @app.get("/v3/apis/<api_id>")
    def get_api(api_id):
        with ctx.lock:
            return reply(render_api(ctx.konnect, find(ctx.konnect.apis, api_id)))

    @app.patch("/v3/apis/<api_id>")
    def update_api(api_id):
        body = validate(read_json(), v_object(api_fields))
        state = ctx.konnect
        with ctx.lock:
            api = find(state.apis, api_id)
            check_unique(state, body.get("name", api["name"]), body.get("version", api.get("version")), api_id)
            for key, value in body.items():
                api[key] = apply_labels(api["labels"], value) if key == "labels" else value
            return reply(render_api(state, touch(api)))

    @app.delete("/v3/apis/<api_id>")
    def delete_api(api_id):
        state = ctx.konnect
        with ctx.lock:
            find(state.apis, api_id)
            del state.apis[api_id]
            for key in [k for k in state.publications if k[0] == api_id]:
                del state.publications[key]
            for impl_id in [k for k, i in state.implementations.items() if i["api_id"] == api_id]:
                del state.implementations[impl_id]
            for reg_id in [k for k, r in state.registrations.items() if r.get("api_id") == api_id]:
                del state.registrations[reg_id]
        return no_content()

    service_schema = v_object({"service": v_object({"control_plane_id": v_uuid(), "id": v_uuid()},
                                                   ("control_plane_id", "id"))}, ("service",))

    @app.post("/v3/apis/<api_id>/implementations")
    def create_implementation(api_id):
        body = validate(read_json(), service_schema)
        state, stamp = ctx.konnect, store.now()
        with ctx.lock:
            find(state.apis, api_id)
            if any(i["api_id"] == api_id for i in state.implementations.values()):
                raise Problem(409, "An implementation already exists for this API")
            implementation = {"id": store.new_id(), "api_id": api_id, "service_id": body["service"]["id"],
                              "control_plane_id": body["service"]["control_plane_id"], "created_at": stamp,
                              "updated_at": stamp}
            state.implementations[implementation["id"]] = implementation
            return reply(render_implementation(state, implementation), 201)

    def implementation_of(api_id, implementation_id):
        implementation = find(ctx.konnect.implementations, implementation_id)
        if implementation["api_id"] != api_id:
            raise not_found()
        return implementation

    @app.get("/v3/apis/<api_id>/implementations/<implementation_id>")
    def get_implementation(api_id, implementation_id):
        with ctx.lock:
            return reply(render_implementation(ctx.konnect, implementation_of(api_id, implementation_id)))

    @app.delete("/v3/apis/<api_id>/implementations/<implementation_id>")
    def delete_implementation(api_id, implementation_id):
        with ctx.lock:
            implementation_of(api_id, implementation_id)
            del ctx.konnect.implementations[implementation_id]
        return no_content()

    impl_filters = {"id": (field("id"), "exact"), "api_id": (field("api_id"), "exact"),
                    "service_id": (field("service_id"), "exact"), "control_plane_id": (field("control_plane_id"), "exact")}

    @app.get("/v3/api-implementations")
    def list_implementations():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.implementations.values()), lambda i: render_implementation(state, i, True),
                           impl_filters, dict(timestamps(), **{k: v[0] for k, v in impl_filters.items()}))

    publication_schema = v_object({
        "auth_strategy_ids": v_nullable(v_array(v_uuid(), 1, 1)), "visibility": v_enum("public", "private"),
        "auto_approve_registrations": v_bool(), "warnings": lambda v, p: [], "created_at": lambda v, p: [],
        "updated_at": lambda v, p: []})

    def publication_key(api_id, portal_id):
        state = ctx.konnect
        find(state.apis, api_id)
        portal = find(state.portals, portal_id)
        if portal["generation"] != "v3":
            raise not_found()
        return (api_id, portal_id)

    @app.put("/v3/apis/<api_id>/publications/<portal_id>")
    def publish_api(api_id, portal_id):
        body = validate(read_json(), publication_schema)
        state = ctx.konnect
        with ctx.lock:
            key = publication_key(api_id, portal_id)
            current = state.publications.get(key)
            # PUT replaces: a field left out takes its default, never the current value.  Kong's SDK
            # (models/components/apipublication.go, confirmed): auth_strategy_ids "Omitting this property means
            # the portal's default application auth strategy will be used. Setting to null means the API will
            # not require application authentication", and visibility has default "private"; kongctl re-sends
            # the current values before each PUT for that reason (inferred from it: no merge).
            # auto_approve_registrations left out is false (inferred: the SDK's zero value).
            if "auth_strategy_ids" in body:
                strategy_ids = body["auth_strategy_ids"]
            else:  # the portal default at publish time
                default = state.portals[portal_id]["default_application_auth_strategy_id"]
                strategy_ids = [default] if default else None
            for strategy_id in strategy_ids or []:
                if strategy_id not in state.auth_strategies:
                    raise bad_request([invalid("auth_strategy_ids", "missing_reference",
                                               "application auth strategy does not exist")])
            stamp = store.now()
            publication = {"api_id": api_id, "portal_id": portal_id, "auth_strategy_ids": strategy_ids,
                           "visibility": body.get("visibility", "private"),
                           "auto_approve_registrations": body.get("auto_approve_registrations", False),
                           "created_at": (current or {}).get("created_at", stamp), "updated_at": stamp}
            state.publications[key] = publication
            return reply(render_publication(state, publication))

    @app.get("/v3/apis/<api_id>/publications/<portal_id>")
    def get_publication(api_id, portal_id):
        with ctx.lock:
            return reply(render_publication(ctx.konnect, find(ctx.konnect.publications, publication_key(api_id, portal_id))))

    @app.delete("/v3/apis/<api_id>/publications/<portal_id>")
    def delete_publication(api_id, portal_id):
        with ctx.lock:
            key = publication_key(api_id, portal_id)
            find(ctx.konnect.publications, key)
            del ctx.konnect.publications[key]
        return no_content()

    def api_attr(attr):
        return lambda publication: (ctx.konnect.apis.get(publication["api_id"]) or {}).get(attr)

    def portal_attr(attr):
        return lambda publication: (ctx.konnect.portals.get(publication["portal_id"]) or {}).get(attr)

    # ``PortalApiPublicationFilters`` / ``PortalApiPublicationSort`` (the portal is in the path) ...
    in_portal_filters = {"api_id": (field("api_id"), "exact"), "api_name": (api_attr("name"), "string"),
                         "auth_strategy_id": (field("auth_strategy_ids"), "members"),
                         "entity_type": (lambda publication: "api", "string")}
    in_portal_sorts = dict(timestamps(), api_id=field("api_id"), api_name=api_attr("name"))
    # ... and ``ApiPublicationFilters`` / ``ApiPublicationSort`` across every portal.
    all_filters = dict(in_portal_filters, portal_id=(field("portal_id"), "exact"),
                       portal_name=(portal_attr("name"), "string"))
    all_sorts = dict(in_portal_sorts, portal_id=field("portal_id"), portal_name=portal_attr("name"))

    @app.get("/v3/api-publications")
    def list_api_publications():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.publications.values()), lambda p: render_publication_item(state, p),
                           all_filters, all_sorts)

    @app.get("/v3/portals/<portal_id>/api-publications")
    def list_portal_api_publications(portal_id):
        state = ctx.konnect
        with ctx.lock:
            portal = find(state.portals, portal_id)
            if portal["generation"] != "v3":
                raise not_found()
            return listing([p for p in state.publications.values() if p["portal_id"] == portal_id],
                           lambda p: render_publication_item(state, p, portal_listing=True), in_portal_filters,
                           in_portal_sorts)


# --------------------------------------------------------------------------- API products (classic)
def _product_routes(app, ctx):
    product_fields = {"name": v_string(1, 100), "description": v_nullable(v_string()), "labels": v_labels(True),
                      "public_labels": v_labels(True), "portal_ids": v_array(v_uuid())}
    gateway_service = v_nullable(v_object({"id": v_uuid(), "control_plane_id": v_uuid(), "runtime_group_id": v_uuid()},
                                          ("id",)))
    version_fields = {"name": v_string(1), "publish_status": v_enum("unpublished", "published"), "deprecated": v_bool(),
                      "labels": v_labels(True), "gateway_service": gateway_service, "notify": v_bool()}
    ppv_fields = {"publish_status": v_enum("published", "unpublished"), "product_version_id": v_uuid(),
                  "auth_strategy_ids": v_array(v_uuid(), 1), "application_registration_enabled": v_bool(),
                  "auto_approve_registration": v_bool(), "deprecated": v_bool(), "notify_developers": v_bool()}
    ppv_required = ("publish_status", "auth_strategy_ids", "application_registration_enabled",
                    "auto_approve_registration", "deprecated")

    def check_portals(state, portal_ids):
        for portal_id in portal_ids or []:
            if portal_id not in state.portals or state.portals[portal_id]["generation"] != "v2":
                raise bad_request([invalid("portal_ids", "missing_reference", "portal does not exist")])

    @app.get("/v2/api-products")
    def list_products():
        state = ctx.konnect
        with ctx.lock:
            return listing(list(state.api_products.values()), lambda p: render_product(state, p),
                           string_filters("name"), dict(timestamps(), name=field("name")))

    @app.post("/v2/api-products")
    def create_product():
        body = validate(read_json(), v_object(product_fields, ("name",)))
        state, stamp = ctx.konnect, store.now()
        with ctx.lock:
            check_portals(state, body.get("portal_ids"))
            product = {"id": store.new_id(), "name": body["name"], "description": body.get("description"),
                       "portal_ids": list(body.get("portal_ids") or []), "labels": apply_labels({}, body.get("labels") or {}),
                       "public_labels": apply_labels({}, body.get("public_labels") or {}), "created_at": stamp,
                       "updated_at": stamp}
            state.api_products[product["id"]] = product
            return reply(render_product(state, product), 201)

    @app.get("/v2/api-products/<product_id>")
    def get_product(product_id):
        with ctx.lock:
            return reply(render_product(ctx.konnect, find(ctx.konnect.api_products, product_id)))

    @app.patch("/v2/api-products/<product_id>")
    def update_product(product_id):
        body = validate(read_json(), v_object(product_fields))
        state = ctx.konnect
        with ctx.lock:
            product = find(state.api_products, product_id)
            check_portals(state, body.get("portal_ids"))
            for key, value in body.items():
                product[key] = apply_labels(product[key], value) if key in ("labels", "public_labels") else value
            return reply(render_product(state, touch(product)))

    @app.delete("/v2/api-products/<product_id>")
    def delete_product(product_id):
        state = ctx.konnect
        with ctx.lock:
            find(state.api_products, product_id)
            for version_id in [k for k, v in state.product_versions.items() if v["product_id"] == product_id]:
                forget_product_version(state, version_id)
            del state.api_products[product_id]
        return no_content()

    def version_of(product_id, version_id):
        version = find(ctx.konnect.product_versions, version_id)
        if version["product_id"] != product_id:
            raise not_found()
        return version

    def gateway_service_of(body):
        service = body.get("gateway_service")
        if not service:
            return None
        return {"id": service["id"], "control_plane_id": service.get("control_plane_id") or service.get("runtime_group_id")}

    @app.get("/v2/api-products/<product_id>/product-versions")
    def list_versions(product_id):
        state = ctx.konnect
        with ctx.lock:
            find(state.api_products, product_id)
            records = [v for v in state.product_versions.values() if v["product_id"] == product_id]
            version_filters = string_filters("name", "publish_status")
            version_filters["gateway_service_id"] = (lambda v: (v.get("gateway_service") or {}).get("id"), "exact")
            return listing(records, lambda v: render_product_version(state, v), version_filters,
                           dict(timestamps(), name=field("name")))

    @app.post("/v2/api-products/<product_id>/product-versions")
    def create_version(product_id):
        body = validate(read_json(), v_object(version_fields, ("name",)))
        state, stamp = ctx.konnect, store.now()
        with ctx.lock:
            find(state.api_products, product_id)
            if any(v["product_id"] == product_id and v["name"] == body["name"] for v in state.product_versions.values()):
                raise Problem(409, "A version with this name already exists for this API product")
            version = {"id": store.new_id(), "product_id": product_id, "name": body["name"],
                       "publish_status": body.get("publish_status", "unpublished"),
                       "deprecated": body.get("deprecated", False), "labels": apply_labels({}, body.get("labels") or {}),
                       "gateway_service": gateway_service_of(body), "created_at": stamp, "updated_at": stamp}
            state.product_versions[version["id"]] = version
            return reply(render_product_version(state, version), 201)

    @app.get("/v2/api-products/<product_id>/product-versions/<version_id>")
    def get_version(product_id, version_id):
        with ctx.lock:
            return reply(render_product_version(ctx.konnect, version_of(product_id, version_id)))

    @app.patch("/v2/api-products/<product_id>/product-versions/<version_id>")
    def update_version(product_id, version_id):
        body = validate(read_json(), v_object(version_fields))
        with ctx.lock:
            version = version_of(product_id, version_id)
            for key, value in body.items():
                if key == "labels":
                    version["labels"] = apply_labels(version["labels"], value)
                elif key == "gateway_service":
                    version["gateway_service"] = gateway_service_of(body)
                elif key != "notify":
                    version[key] = value
            return reply(render_product_version(ctx.konnect, touch(version)))

    @app.delete("/v2/api-products/<product_id>/product-versions/<version_id>")
    def delete_version(product_id, version_id):
        with ctx.lock:
            version_of(product_id, version_id)
            forget_product_version(ctx.konnect, version_id)
        return no_content()

    # -- publishing product versions to a classic portal ------------------------
    def classic_portal(portal_id):
        portal = find(ctx.konnect.portals, portal_id)
        if portal["generation"] != "v2":
            raise not_found()
        return portal

    def check_strategies(state, ids):
        for strategy_id in ids or []:
            if strategy_id not in state.auth_strategies:
                raise bad_request([invalid("auth_strategy_ids", "missing_reference", "application auth strategy does not exist")])

    def ppv_of(portal_id, version_id):
        classic_portal(portal_id)
        ppv = ctx.konnect.ppv_for(portal_id, version_id)
        if ppv is None:
            raise not_found()
        return ppv

    ppv_filters = {"id": (field("id"), "exact"), "product_version_id": (field("product_version_id"), "exact"),
                   "publish_status": (field("publish_status"), "exact"),
                   "application_registration_enabled": (field("application_registration_enabled"), "bool"),
                   "auto_approve_registration": (field("auto_approve_registration"), "bool"),
                   "deprecated": (field("deprecated"), "bool")}

    @app.get("/v2/portals/<portal_id>/product-versions")
    def list_portal_versions(portal_id):
        state = ctx.konnect
        with ctx.lock:
            classic_portal(portal_id)
            records = [v for v in state.portal_product_versions.values() if v["portal_id"] == portal_id]
            return listing(records, lambda v: render_portal_product_version(state, v), ppv_filters, timestamps())

    @app.post("/v2/portals/<portal_id>/product-versions")
    def create_portal_version(portal_id):
        body = validate(read_json(), v_object(ppv_fields, ppv_required + ("product_version_id",)))
        state, stamp = ctx.konnect, store.now()
        with ctx.lock:
            classic_portal(portal_id)
            version = state.product_versions.get(body["product_version_id"])
            if version is None:
                raise bad_request([invalid("product_version_id", "missing_reference", "product version does not exist")])
            check_strategies(state, body["auth_strategy_ids"])
            if state.ppv_for(portal_id, version["id"]) is not None:
                raise bad_request([invalid("product_version_id", "invalid", "product version is already on this portal")])
            ppv = {"id": store.new_id(), "portal_id": portal_id, "created_at": stamp, "updated_at": stamp}
            ppv.update({k: body[k] for k in ppv_required + ("product_version_id",)})
            state.portal_product_versions[ppv["id"]] = ppv
            product = state.api_products[version["product_id"]]
            if portal_id not in product["portal_ids"]:
                product["portal_ids"].append(portal_id)
            return reply(render_portal_product_version(state, ppv), 201)

    @app.get("/v2/portals/<portal_id>/product-versions/<version_id>")
    def get_portal_version(portal_id, version_id):
        with ctx.lock:
            return reply(render_portal_product_version(ctx.konnect, ppv_of(portal_id, version_id)))

    def change_portal_version(portal_id, version_id, schema):
        body = validate(read_json(), schema)
        state = ctx.konnect
        with ctx.lock:
            ppv = ppv_of(portal_id, version_id)
            check_strategies(state, body.get("auth_strategy_ids"))
            ppv.update({k: v for k, v in body.items() if k in ppv_required})
            return reply(render_portal_product_version(state, touch(ppv)))

    @app.patch("/v2/portals/<portal_id>/product-versions/<version_id>")
    def update_portal_version(portal_id, version_id):
        fields = {k: v for k, v in ppv_fields.items() if k != "product_version_id"}
        return change_portal_version(portal_id, version_id, v_object(fields))

    @app.put("/v2/portals/<portal_id>/product-versions/<version_id>")
    def replace_portal_version(portal_id, version_id):
        fields = {k: v for k, v in ppv_fields.items() if k != "product_version_id"}
        return change_portal_version(portal_id, version_id, v_object(fields, ppv_required))

    @app.delete("/v2/portals/<portal_id>/product-versions/<version_id>")
    def delete_portal_version(portal_id, version_id):
        with ctx.lock:
            ppv = ppv_of(portal_id, version_id)
            del ctx.konnect.portal_product_versions[ppv["id"]]
        return no_content()


def forget_product_version(state, version_id):
    del state.product_versions[version_id]
    for ppv_id in [k for k, v in state.portal_product_versions.items() if v["product_version_id"] == version_id]:
        del state.portal_product_versions[ppv_id]
    for reg_id in [k for k, r in state.registrations.items() if r.get("product_version_id") == version_id]:
        del state.registrations[reg_id]


# --------------------------------------------------------------------------- applications and registrations (admin side)
def _application_routes(app, ctx):
    app_filters = {"name": (field("name"), "string"), "developer_id": (field("developer_id"), "exact"),
                   "team_id": (field("team_id"), "exact")}
    app_filters_v2 = dict(app_filters)
    del app_filters_v2["team_id"]

    def developer_attr(attr):
        return lambda a: (ctx.konnect.developers.get(a["developer_id"]) or {}).get(attr)

    app_filters_v2.update(developer_name=(developer_attr("full_name"), "string"),
                          developer_email=(developer_attr("email"), "string"))
    app_sorts = dict(timestamps(), name=field("name"))
    reg_filters = {"status": (field("status"), "string")}
    reg_list_filters = dict(reg_filters, developer_id=(lambda r: ctx.konnect.applications[r["application_id"]]["developer_id"], "exact"),
                            application_name=(lambda r: ctx.konnect.applications[r["application_id"]]["name"], "string"))
    reg_list_filters_v2 = dict(reg_list_filters, developer_name=(
        lambda r: (ctx.konnect.developers.get(ctx.konnect.applications[r["application_id"]]["developer_id"]) or {})
        .get("full_name"), "string"))

    def portal_of(generation, portal_id):
        portal = find(ctx.konnect.portals, portal_id)
        if portal["generation"] != generation:
            raise not_found()
        return portal

    def application_of(generation, portal_id, application_id):
        portal_of(generation, portal_id)
        application = find(ctx.konnect.applications, application_id)
        if application["portal_id"] != portal_id:
            raise not_found()
        return application

    def registration_of(generation, portal_id, application_id, registration_id):
        application_of(generation, portal_id, application_id)
        registration = find(ctx.konnect.registrations, registration_id)
        if registration["application_id"] != application_id:
            raise not_found()
        return registration

    def install(generation):
        classic = generation == "v2"
        base = "/%s/portals/<portal_id>" % generation

        def list_applications(portal_id):
            state = ctx.konnect
            with ctx.lock:
                portal_of(generation, portal_id)
                records = [a for a in state.applications.values() if a["portal_id"] == portal_id]
                return listing(records, lambda a: render_admin_application(state, a, classic),
                               app_filters_v2 if classic else app_filters, app_sorts)

        def get_application(portal_id, application_id):
            with ctx.lock:
                return reply(render_admin_application(ctx.konnect, application_of(generation, portal_id, application_id),
                                                      classic))

        def delete_application(portal_id, application_id):
            with ctx.lock:
                application_of(generation, portal_id, application_id)
                record = ctx.konnect.forget_application(application_id)
            store.delete_client(ctx, record)  # the IdP client goes with the application
            return no_content()

        def list_portal_registrations(portal_id):
            state = ctx.konnect
            with ctx.lock:
                portal_of(generation, portal_id)
                records = [r for r in state.registrations.values() if r["portal_id"] == portal_id]
                return listing(records, lambda r: render_admin_registration(state, r, classic),
                               reg_list_filters_v2 if classic else reg_list_filters, dict(timestamps(), status=field("status")))

        def list_registrations(portal_id, application_id):
            state = ctx.konnect
            with ctx.lock:
                application_of(generation, portal_id, application_id)
                return listing(state.registrations_of(application_id),
                               lambda r: render_admin_registration(state, r, classic), reg_filters,
                               dict(timestamps(), status=field("status")))

        def get_registration(portal_id, application_id, registration_id):
            with ctx.lock:
                registration = registration_of(generation, portal_id, application_id, registration_id)
                return reply(render_admin_registration(ctx.konnect, registration, classic))

        def update_registration(portal_id, application_id, registration_id):
            choices = ("approved", "pending", "revoked", "rejected")
            body = validate(read_json(), v_object({"status": v_enum(*choices)}))
            with ctx.lock:
                registration = registration_of(generation, portal_id, application_id, registration_id)
                registration.update(body)
                return reply(render_admin_registration(ctx.konnect, touch(registration), classic))

        def delete_registration(portal_id, application_id, registration_id):
            with ctx.lock:
                registration_of(generation, portal_id, application_id, registration_id)
                del ctx.konnect.registrations[registration_id]
            return no_content()

        rules = (
            ("/applications", "list_applications", list_applications, "GET"),
            ("/applications/<application_id>", "get_application", get_application, "GET"),
            ("/applications/<application_id>", "delete_application", delete_application, "DELETE"),
            ("/application-registrations", "list_portal_registrations", list_portal_registrations, "GET"),
            ("/applications/<application_id>/registrations", "list_registrations", list_registrations, "GET"),
            ("/applications/<application_id>/registrations/<registration_id>", "get_registration", get_registration, "GET"),
            ("/applications/<application_id>/registrations/<registration_id>", "update_registration", update_registration,
             "PATCH"),
            ("/applications/<application_id>/registrations/<registration_id>", "delete_registration", delete_registration,
             "DELETE"),
        )
        for suffix, name, view, method in rules:
            app.add_url_rule(base + suffix, "%s_%s" % (name, generation), view, methods=[method])

    install("v3")
    install("v2")

    owner_schema = v_object({"type": v_enum("developer", "team"), "id": v_uuid()}, ("type", "id"))
    create_schema = v_object({"name": v_string(0, 255), "description": v_string(0, 255), "labels": v_labels(True),
                              "dcr_client_id": v_string(0, 255), "client_id": v_string(0, 255),
                              "auth_strategy_id": v_uuid(), "owner": owner_schema}, ("name", "owner"))

    @app.post("/v3/portals/<portal_id>/applications")
    def create_application(portal_id):
        body = validate(read_json(), create_schema)
        state = ctx.konnect
        with ctx.lock:
            portal = portal_of("v3", portal_id)
            owner = body["owner"]
            developer = state.developers.get(owner["id"])
            if owner["type"] != "developer" or developer is None or developer["portal_id"] != portal_id:
                raise bad_request([invalid("owner.id", "missing_reference", "owner does not exist")])
            strategy = resolve_strategy(state, portal, body.get("auth_strategy_id"))
            plan = plan_application(state, portal, developer, strategy, body, client_id_key="client_id")
            provider = plan.pop("provider")
        if provider is not None and body.get("dcr_client_id"):
            plan["client_id"] = body["dcr_client_id"]  # import an existing IdP client: nothing is registered
        elif provider is not None:
            try:
                plan["client_id"], _secret, plan["dcr"] = store.register_client(ctx, provider, strategy, plan)
            except store.IdpError as exc:
                raise dcr_failure(exc) from None
            # The admin API cannot hand the secret out: it is dropped here and only rotation reveals a new one.
        with ctx.lock:
            application = commit_application(ctx, plan)
            return reply(render_admin_application(state, application), 201)

    @app.patch("/v3/portals/<portal_id>/applications/<application_id>")
    def update_application(portal_id, application_id):
        body = validate(read_json(), v_object({"owner": owner_schema}))
        state = ctx.konnect
        with ctx.lock:
            application = application_of("v3", portal_id, application_id)
            if "owner" in body:
                developer = state.developers.get(body["owner"]["id"])
                if body["owner"]["type"] != "developer" or developer is None or developer["portal_id"] != portal_id:
                    raise bad_request([invalid("owner.id", "missing_reference", "owner does not exist")])
                application["developer_id"] = developer["id"]
            return reply(render_admin_application(state, touch(application)))

    @app.post("/v3/portals/<portal_id>/applications/<application_id>/registrations")
    def create_registration(portal_id, application_id):
        body = validate(read_json(), v_object({"api_id": v_uuid(), "status": v_enum("approved", "pending")}, ("api_id",)))
        state = ctx.konnect
        with ctx.lock:
            application = application_of("v3", portal_id, application_id)
            registration = register_to_api(state, application, body["api_id"], body.get("status"))
            return reply(render_admin_registration(state, registration), 201)


# --------------------------------------------------------------------------- shared with the developer portal
def dcr_failure(exc):
    """The 400 Konnect answers when it cannot register an application's client at the identity provider.

    "Unable to create one time access token" when it could not obtain its initial access token: the text
    seen from real Konnect on application creation (Kong/docs.konghq.com PR #7122, a trailing-slash Auth0
    issuer; confirmed for the text, the status was not given, 400 is inferred; a failed discovery counts as
    such a failure, since the token endpoint comes from it, inferred).  Any other failure (the registration itself):
    "Unable to create the DCR application", the words of the failed-verification example of Kong's file
    (inferred for application creation).
    """
    detail = "Unable to create one time access token" if isinstance(exc, store.InitialTokenError) else \
        "Unable to create the DCR application"
    return bad_request([invalid("auth_strategy_id", "invalid", detail)], detail)


def resolve_strategy(state, portal, strategy_id):
    """The strategy an application of ``portal`` uses: the one asked for, else the portal default."""
    strategy_id = strategy_id or portal["default_application_auth_strategy_id"]
    if not strategy_id:
        raise bad_request([invalid("auth_strategy_id", "required", "the portal has no default application auth "
                                                                   "strategy; auth_strategy_id is required")])
    if strategy_id not in state.portal_strategy_ids(portal["id"]):
        raise not_found("Application auth strategy not found")
    return state.auth_strategies[strategy_id]


def plan_application(state, portal, developer, strategy, body, client_id_key):
    """Validate an application about to be created; the record to commit (with ``provider`` for DCR).

    ``client_id_key`` is the request field naming a self-managed client (``client_id`` in v3,
    ``reference_id`` in v2); it cannot be set when the strategy uses Dynamic Client Registration.
    """
    check_unique_name(state, developer["id"], body["name"])
    provider = None
    kind = state.credential_type(strategy)
    if kind == "client_credentials":
        if body.get(client_id_key):
            raise bad_request([invalid(client_id_key, "invalid", "Cannot be set when using Dynamic Client Registration")])
        provider = dict(state.dcr_providers[strategy["dcr_provider_id"]])
        provider["dcr_config"] = dict(provider["dcr_config"])
    elif kind == "self_managed_client_credentials" and not body.get(client_id_key):
        raise bad_request([invalid(client_id_key, "required", '"%s" is required' % client_id_key)])
    return {"id": store.new_id(), "portal_id": portal["id"], "developer_id": developer["id"], "name": body["name"],
            "description": body.get("description"), "redirect_uri": body.get("redirect_uri"),
            "auth_strategy_id": strategy["id"], "scopes": body.get("scopes") or [],
            "dcr_provider_id": strategy.get("dcr_provider_id") if kind == "client_credentials" else None,
            "client_id": body.get(client_id_key), "dcr": None, "team_id": None, "provider": provider}


def check_unique_name(state, developer_id, name, application_id=None):
    if any(a["name"] == name and a["id"] != application_id for a in state.apps_of_developer(developer_id)):
        raise Problem(409, "An application with this name already exists")


def commit_application(ctx, plan):
    """Store a planned application (hold ctx.lock); if its name was taken meanwhile, undo the IdP client and 409."""
    state = ctx.konnect
    try:
        if plan["developer_id"] not in state.developers:
            raise not_found("Developer not found")
        check_unique_name(state, plan["developer_id"], plan["name"])
    except Problem:
        if plan.get("dcr"):
            store.delete_client(ctx, plan["dcr"])
        raise
    stamp = store.now()
    application = dict(plan, created_at=stamp, updated_at=stamp)
    state.applications[application["id"]] = application
    return application


def registration_status(portal, auto_approve, asked=None):
    """Explicit status (admin), else approved when the entity or the portal auto-approves, else pending."""
    if asked:
        return asked
    return "approved" if auto_approve or portal["auto_approve_applications"] else "pending"


def register_to_api(state, application, api_id, status=None):
    """A v3 registration of an application to an API published on its portal with the application's strategy."""
    publication = state.publications.get((api_id, application["portal_id"]))
    if api_id not in state.apis or publication is None:
        raise not_found("API not found")
    if application["auth_strategy_id"] not in (publication["auth_strategy_ids"] or []):
        raise bad_request([invalid("api_id", "invalid", "the API is not published with the application's auth strategy")])
    if any(r.get("api_id") == api_id for r in state.registrations_of(application["id"])):
        raise Problem(409, "API is already registered to the application")
    stamp = store.now()
    registration = {"id": store.new_id(), "application_id": application["id"], "portal_id": application["portal_id"],
                    "api_id": api_id, "created_at": stamp, "updated_at": stamp,
                    "status": registration_status(state.portals[application["portal_id"]],
                                                  publication["auto_approve_registrations"], status)}
    state.registrations[registration["id"]] = registration
    return registration
