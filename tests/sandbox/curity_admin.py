# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RESTCONF admin API of the Curity stand-in (``/admin/api/restconf``).

Behaviour follows Curity's documentation where it is confirmed and RFC 8040
(RESTCONF) / RFC 7951 (YANG JSON) elsewhere:

* HTTP Basic with the admin user, else 401 + ``WWW-Authenticate: Basic``;
* JSON only: ``application/yang-data+json`` in and out (``application/json``
  and ``*/*`` are answered with JSON too; a request without ``Accept`` gets
  JSON although a real server may answer XML); 415 on any other request type;
* GET 200/404, POST 201 + ``Location`` / 409 ``data-exists``, PUT 201/204,
  PATCH (plain merge) 204 / 404, DELETE 204 / 404, and ``ietf-restconf:errors``
  bodies; every write is validated as a whole and applied at once (there is no
  commit step in RESTCONF);
* ``depth`` and ``content`` on GET; any other query parameter is refused with
  400 as RFC 8040 section 4.8 requires, ``fields`` included: Curity's own
  client-migration tool stopped sending even ``fields=id;type`` to a real server
  ("namespace issues") [C], and what a real server does with it is not public,
  so the stand-in refuses it and nothing tested can depend on it [I];
* module names in paths and bodies as RFC 8040 section 3.5.3 and RFC 7951
  section 4 require them (see ``curity_store``).
"""

from __future__ import annotations

import json
from urllib.parse import quote, unquote

from flask import Flask, Response, request

import curity_store as store

API_ROOT = "/admin/api/restconf"
DATA_ROOT = API_ROOT + "/data"
YANG_JSON = "application/yang-data+json"
YANG_LIBRARY_VERSION = "2016-06-21"
REALM = "restconf"
WRITE_METHODS = ("POST", "PUT", "PATCH")
_PROTOCOL_TAGS = ("malformed-message", "access-denied", "operation-not-supported")


# --------------------------------------------------------------------------
# responses
# --------------------------------------------------------------------------
def error_response(err, media=YANG_JSON):
    """RFC 8040 section 7 error body."""
    error = {"error-type": "protocol" if err.tag in _PROTOCOL_TAGS else "application", "error-tag": err.tag}
    if err.path:
        error["error-path"] = err.path
    error["error-message"] = err.message
    response = Response(json.dumps({"ietf-restconf:errors": {"error": [error]}}), status=err.status, mimetype=media)
    if err.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="%s"' % REALM
    return response


def json_response(body, media):
    return Response(json.dumps(body), status=200, mimetype=media)


def empty_response(status, location=None):
    response = Response(status=status)
    if location:
        response.headers["Location"] = location
    return response


def response_media():
    """Media type of the answer, or None when the client accepts nothing we produce."""
    if not request.headers.get("Accept"):
        return YANG_JSON
    return request.accept_mimetypes.best_match([YANG_JSON, "application/json"])


# --------------------------------------------------------------------------
# request parsing
# --------------------------------------------------------------------------
def raw_data_path():
    """The still-encoded path below ``/data`` (keys may hold an encoded ``/`` or ``,``)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        raw = quote(request.environ.get("SCRIPT_NAME", "") + request.path)
    raw = raw.split("?", 1)[0]
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    return raw[len(DATA_ROOT):] if raw.startswith(DATA_ROOT) else ""


def parse_segments(raw):
    """``base:profiles/profile=a,oauth-service`` -> ``[("base", "profiles", None), ("", "profile", ["a", "oauth-service"])]``."""
    segments = []
    for part in (p for p in raw.split("/") if p):
        name, eq, keys = part.partition("=")
        prefix, _colon, name = unquote(name).rpartition(":")
        segments.append((prefix, name, [unquote(k) for k in keys.split(",")] if eq else None))
    return segments


def url_path(steps):
    """Canonical RESTCONF path of resolved steps (for ``Location``)."""
    parts = []
    parent_module = None
    for step in steps:
        text = store.member_name(step.node, parent_module) if parent_module else store.qualified_name(step.node)
        if step.keys is not None:
            keys = [k.split(":", 1)[1] if step.node.children.get(n) and step.node.children[n].type == "identityref" else k
                    for n, k in zip(step.node.keys, step.keys)]
            text += "=" + ",".join(quote(str(k), safe="") for k in keys)
        parts.append(text)
        parent_module = step.node.module
    return "/".join(parts)


def query_options(method):
    """Validated query parameters: (depth or None, fields selection or None)."""
    allowed = ("depth", "content") if method in ("GET", "HEAD") else ()
    for name in request.args:
        if name == "fields":
            raise store.invalid("the stand-in does not implement the 'fields' query parameter: Curity's own tooling "
                                "stopped sending it to real servers; read exact subtrees instead")
        if name not in allowed:
            raise store.invalid("unsupported query parameter '%s'" % name)
    depth = request.args.get("depth", "unbounded")
    if depth != "unbounded" and not (depth.isdigit() and 1 <= int(depth) <= 65535):
        raise store.invalid("depth must be 'unbounded' or 1..65535")
    content = request.args.get("content", "all")
    if content not in ("all", "config", "nonconfig"):
        raise store.invalid("content must be 'all', 'config' or 'nonconfig'")
    if content == "nonconfig":
        # Everything the stand-in holds is configuration.
        raise store.not_found()
    return None if depth == "unbounded" else int(depth)


def read_body():
    """The single top-level member of a yang-data+json body: (name, value)."""
    if request.mimetype != YANG_JSON:
        raise store.DataError(415, "invalid-value", "unsupported media type '%s'; use %s" % (request.mimetype, YANG_JSON))
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise store.invalid("the body is not valid JSON", tag="malformed-message")
    if not isinstance(body, dict) or len(body) != 1:
        raise store.invalid("the body must hold exactly one top-level member", tag="malformed-message")
    return next(iter(body.items()))


def _parent_node(steps):
    return steps[-2].node if len(steps) > 1 else store.SCHEMA


def _check_target(steps, method):
    """Refuse targets a write cannot address."""
    if not steps:
        if method in ("PUT", "PATCH", "POST"):
            return
        raise store.DataError(405, "operation-not-supported", "%s is not supported on the datastore root" % method)
    last = steps[-1]
    node = last.node
    if node.kind == store.LIST and last.keys is None and method != "POST":
        raise store.invalid("the path must name one entry of list '%s'" % node.name, store.instance_identifier(steps),
                            "missing-attribute")
    if node.kind == store.LEAF_LIST and last.keys is not None and method != "DELETE":
        # A leaf-list entry is a resource (RFC 8040 section 3.5.3): DELETE removes it [I]; writes go to the parent.
        raise store.DataError(405, "operation-not-supported", "%s of a single leaf-list value is not supported" % method)
    parent = _parent_node(steps)
    if parent.kind == store.LIST and node.name in parent.keys:
        raise store.invalid("a list key cannot be changed", store.instance_identifier(steps))


def _entry_from_body(node, value, steps):
    entries = value if isinstance(value, list) else [value]
    if len(entries) != 1:
        raise store.invalid("the body must hold exactly one entry of '%s'" % node.name, store.instance_identifier(steps),
                            "malformed-message")
    (entry,) = store.normalize(node, entries, steps[:-1] + [store.Step(node)])
    return entry


def target_value(steps, member, value):
    """Normalized body of a PUT or PATCH: it must be the target resource itself."""
    if not steps:
        if member != "ietf-restconf:data":
            raise store.invalid("the body of a datastore write is 'ietf-restconf:data'", tag="malformed-message")
        return store.normalize(store.SCHEMA, value, [])
    last = steps[-1]
    node = last.node
    if member != store.qualified_name(node):
        # RFC 7951 section 4: the top-level member of a body carries its module name [I].
        raise store.invalid("the body must be '%s', not '%s'" % (store.qualified_name(node), member),
                            store.instance_identifier(steps), "malformed-message")
    if node.kind != store.LIST:
        return store.normalize(node, value, steps)
    entry = _entry_from_body(node, value, steps)
    if tuple(entry[k] for k in node.keys) != last.keys:
        raise store.invalid("the key in the body does not match the key in the URL", store.instance_identifier(steps))
    return entry


# --------------------------------------------------------------------------
# verbs
# --------------------------------------------------------------------------
def _shape(node, value, depth):
    if not isinstance(value, dict):
        return value
    if depth:
        value = store.limit_depth(node, value, depth - 1)
    return value


def do_get(state, steps, media):
    depth = query_options("GET")
    value = state.get(steps)
    if not steps:
        body = store.encode_datastore(_shape(store.SCHEMA, value, depth))
        return json_response({"ietf-restconf:data": body}, media)
    node = steps[-1].node
    if node.is_schema() and node.kind == store.LIST:
        entries = value if steps[-1].keys is None else [value]
        value = [_shape(node, entry, depth) for entry in entries]
    elif node.is_schema() and node.kind != store.LEAF_LIST:
        value = _shape(node, value, depth)
    return json_response({store.qualified_name(node): store.encode(node, value)}, media)


def do_post(state, steps, media):
    query_options("POST")
    _check_target(steps, "POST")
    member, value = read_body()
    parent = steps[-1].node if steps else store.SCHEMA
    if steps and (store.is_leafy(parent) or (parent.kind == store.LIST and steps[-1].keys is None)):
        raise store.invalid("'%s' cannot have children" % parent.name, store.instance_identifier(steps))
    child = parent.json_child(member, steps, in_url=True)
    if child.is_schema() and member != store.qualified_name(child):
        raise store.invalid("the body must be '%s', not '%s' (RFC 7951 section 4)" % (store.qualified_name(child), member),
                            store.instance_identifier(steps), "malformed-message")
    if child.kind == store.LIST:
        entry = _entry_from_body(child, value, steps + [store.Step(child)])
        new_steps = steps + [store.Step(child, tuple(entry[k] for k in child.keys))]
    else:
        new_steps = steps + [store.Step(child)]
        entry = store.normalize(child, value, new_steps)

    def change(tree):
        store.read(tree, steps)  # the parent must exist
        if store.present(tree, new_steps):
            raise store.DataError(409, state.post_conflict_tag, "object already exists", store.instance_identifier(new_steps))
        store.write(tree, new_steps, entry)

    state.edit(change)
    return empty_response(201, request.host_url.rstrip("/") + DATA_ROOT + "/" + url_path(new_steps))


def do_put(state, steps, media):
    query_options("PUT")
    _check_target(steps, "PUT")
    value = target_value(steps, *read_body())

    def change(tree):
        created = bool(steps) and not store.present(tree, steps)
        store.write(tree, steps, value)
        return created

    return empty_response(201 if state.edit(change) else 204)


def do_patch(state, steps, media):
    query_options("PATCH")
    _check_target(steps, "PATCH")
    value = target_value(steps, *read_body())
    node = steps[-1].node if steps else store.SCHEMA

    def change(tree):
        current = store.read(tree, steps)  # PATCH never creates its target
        merged = store.merge_members(node, current, value) if isinstance(current, dict) else store.merge(node, current, value)
        store.write(tree, steps, merged)

    state.edit(change)
    return empty_response(204)


def do_delete(state, steps, media):
    query_options("DELETE")
    _check_target(steps, "DELETE")

    def change(tree):
        if not store.present(tree, steps):
            raise store.not_found(store.instance_identifier(steps))
        store.remove(tree, steps)

    state.edit(change, deleted_path=store.instance_identifier(steps))
    return empty_response(204)


VERBS = {"GET": do_get, "POST": do_post, "PUT": do_put, "PATCH": do_patch, "DELETE": do_delete}


# --------------------------------------------------------------------------
# the app
# --------------------------------------------------------------------------
def create_admin_app(ctx):
    app = Flask("curity_admin")

    @app.before_request
    def authenticate_and_negotiate():
        auth = request.authorization
        if auth is None or auth.type != "basic" or not ctx.curity.check_admin(auth.username, auth.password):
            return error_response(store.DataError(401, "access-denied", "authentication required"))
        if response_media() is None:
            return error_response(store.DataError(406, "invalid-value", "only %s is produced" % YANG_JSON))
        return None

    @app.route(API_ROOT, methods=["GET"])
    def restconf_root():
        body = {"ietf-restconf:restconf": {"data": {}, "operations": {}, "yang-library-version": YANG_LIBRARY_VERSION}}
        return json_response(body, response_media())

    @app.route(API_ROOT + "/yang-library-version", methods=["GET"])
    def yang_library_version():
        return json_response({"ietf-restconf:yang-library-version": YANG_LIBRARY_VERSION}, response_media())

    @app.route(DATA_ROOT, methods=list(VERBS))
    @app.route(DATA_ROOT + "/", methods=list(VERBS), endpoint="data_root_slash")
    @app.route(DATA_ROOT + "/<path:_path>", methods=list(VERBS))
    def data(_path=""):
        media = response_media()
        try:
            steps = store.resolve_path(parse_segments(raw_data_path()))
            return VERBS["GET" if request.method == "HEAD" else request.method](ctx.curity, steps, media)
        except store.DataError as err:
            return error_response(err, media)

    @app.errorhandler(404)
    def unknown_resource(_error):
        return error_response(store.DataError(404, "invalid-value", "unknown resource"))

    @app.errorhandler(405)
    def unsupported_method(_error):
        return error_response(store.DataError(405, "operation-not-supported", "method not allowed"))

    return app
