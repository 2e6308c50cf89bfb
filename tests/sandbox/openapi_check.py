# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conformance of the Konnect stand-in's traffic with Kong's official OpenAPI files.

``wrap(app, ctx, service)`` is a WSGI middleware.  ``konnect_admin`` and
``konnect_portal`` wrap their Flask apps with it, so every request core routes to
them and every response they return is checked against the matching file of
``ctx.spec_dir`` (service ``konnect``: ``/v2/...`` and ``/v3/...``, paths of the
files are relative to that version; service ``portal``: ``/api/v2/...`` and
``/api/v3/...`` on a portal's domain).  Anything that does not conform is
reported through ``ctx.record_violation``; the response itself is passed on
unchanged.  Without ``ctx.spec_dir`` the app is returned unwrapped.

What is checked:

* request: the operation exists (path and method), path and query parameters
  (``deepObject`` filters included), required parameters, request body
  presence, content type and schema (write direction: ``readOnly`` fields are
  not expected);
* response: the status is declared, the content type is declared, and the body
  validates (read direction: ``writeOnly`` fields such as secrets must not
  appear);
* in both directions and in parameters, every ``format`` of the files, strictly
  (``CHECKED_FORMATS``: hostname, uri, url, uuid, date-time, email, path, byte,
  each after its RFC); ``UNASSERTED_FORMATS`` lists the few that assert nothing.

Kong's files are loaded and compiled once per process; schema validators are
built lazily, once per schema.  Violation details name fields and rules, never
values, so secrets cannot leak through them.

Deliberate, documented departures from a literal reading of the files:

* Formats are asserted in both directions (see ``CHECKED_FORMATS``); the one
  exception is ``LOOPBACK_HOSTNAME_EXCEPTION``: ``format: hostname`` also
  accepts a 127.0.0.0/8 address, the domain of a sandbox portal (each portal is
  served on its own loopback address; a domain never carries a port).
* In *parameter* schemas ``oneOf`` is checked as "any of": Kong's
  ``apiIdOrSlug`` alternatives overlap (every UUID is also a valid slug).
* A ``discriminator`` whose value names no schema (Kong's ``credential_type``
  values) falls back to plain ``oneOf``; ``required`` honours ``readOnly`` /
  ``writeOnly`` behind a ``$ref`` (see ``_validator_classes``).
* ``KNOWN_UNDECLARED`` lists the few responses the stand-in gives although
  the file omits them, each with the reason; their bodies are still checked
  against the file's error schema.
"""

import datetime
import io
import ipaddress
import json
import os
import re
import threading
from urllib.parse import parse_qsl, urlsplit

import yaml
from jsonschema import FormatChecker
from jsonschema import _keywords as json_keywords
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator
from openapi_schema_validator import _keywords as oas_keywords
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

# Which files describe which traffic: service -> ((path prefix, files), ...).
SPEC_FILES = {
    "konnect": (
        ("/v2", ("application-auth-strategies-v2.yaml", "portal-management-v2.yaml", "api-products-v2.yaml")),
        ("/v3", ("portal-management-v3.yaml", "api-builder-v3.yaml")),
    ),
    "portal": (
        ("", ("dev-portal-v2.yaml", "dev-portal-v3.yaml")),
    ),
}
# Only these paths are API traffic; anything else (such as a liveness probe) is not checked.
API_PREFIXES = {"konnect": ("/v2/", "/v3/"), "portal": ("/api/v2/", "/api/v3/")}

# (operationId, status) -> (error schema checked instead, why the stand-in answers so).
KNOWN_UNDECLARED = {
    ("delete-dcr-provider", 409): (
        "ConflictError", "a DCR provider still used by an auth strategy cannot be deleted; the file lists no 409"),
    ("replace-app-auth-strategy", 404): (
        "NotFoundError", "PUT on an unknown auth strategy id; the file lists no 404 for PUT"),
    ("delete-portal", 400): (
        "BadRequestError", "v3 portal deletion without force=true while APIs are published (documented in the "
                           "operation's description, no 400 listed)"),
}

_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


# --------------------------------------------------------------------------- formats
# Every format Kong's files use is asserted (``CHECKED_FORMATS``) except those of ``UNASSERTED_FORMATS``.  Each
# check accepts any non-string (the ``type`` keyword judges those).
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_BASE64 = re.compile(r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
# RFC 3986 appendix B, then the character sets of section 3 for each component.
_URI_PARTS = re.compile(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_PCT = r"%[0-9A-Fa-f]{2}"
_UNRESERVED_SUB = r"A-Za-z0-9._~!$&'()*+,;=\-"
_SEGMENTS = re.compile(r"^([%s:@/]|%s)*$" % (_UNRESERVED_SUB, _PCT))
_QUERY = re.compile(r"^([%s:@/?]|%s)*$" % (_UNRESERVED_SUB, _PCT))
_USERINFO = re.compile(r"^([%s:]|%s)*$" % (_UNRESERVED_SUB, _PCT))
_REG_NAME = re.compile(r"^([%s]|%s)*$" % (_UNRESERVED_SUB, _PCT))
_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")

# THE one exception to the files' formats, and the only place it is made: ``format: hostname`` also accepts an
# IPv4 address of 127.0.0.0/8.  Every sandbox portal is served on its own loopback address, and that address is
# its domain (no name service can be assumed on a test machine).  RFC 1123 section 2.1 says a host name never has
# the dotted-decimal form, so without this the sandbox's portal domains would not validate.  Any other address,
# and any port, is still refused.
LOOPBACK_HOSTNAME_EXCEPTION = "127.0.0.0/8"


def _is_loopback_ipv4(value):
    return bool(_IPV4.match(value)) and value.split(".", 1)[0] == "127"


def _is_uuid(value):
    """RFC 4122 section 3: the 8-4-4-4-12 hexadecimal form, nothing around it."""
    return not isinstance(value, str) or bool(_UUID.match(value))


def _is_date_time(value):
    """RFC 3339 section 5.6 ``date-time`` (a time zone is required), and a real calendar date and time."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    text = value.upper().replace("Z", "+00:00")
    if text[17:19] == "60":  # a leap second (RFC 3339 section 5.7); Python's parser knows none
        text = text[:17] + "59" + text[19:]
    try:
        datetime.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _hostname_ok(value):
    """RFC 1123 section 2.1 host name (RFC 1034 section 3.5 syntax with leading digits allowed).

    Labels of letters, digits and hyphens (1 to 63, no hyphen at either end), 253 characters at most, and a
    top-level label that is not all digits ("a valid host name can never have the dotted-decimal form").  No
    port, no trailing dot, no underscore.
    """
    if not value or len(value) > 253:
        return False
    labels = value.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def _is_hostname(value):
    if not isinstance(value, str):
        return True
    return _hostname_ok(value) or _is_loopback_ipv4(value)


def _is_email(value):
    """RFC 5321 section 4.1.2 ``Mailbox`` in its common form: a dot-atom local part, ``@``, a host name.

    Quoted local parts and address literals are refused: Konnect has no use for them [inferred].
    """
    if not isinstance(value, str) or len(value) > 254:
        return not isinstance(value, str)
    local, at, domain = value.rpartition("@")
    return bool(at) and len(local) <= 64 and bool(_DOT_ATOM.match(local)) and _hostname_ok(domain)


def _host_ok(host):
    if host.startswith("["):  # IP-literal: an IPv6 address (RFC 3986 section 3.2.2)
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return host.endswith("]")
    return bool(_IPV4.match(host)) or bool(_REG_NAME.match(host))


def _authority_ok(authority):
    userinfo, at, hostport = authority.rpartition("@")
    if at and not _USERINFO.match(userinfo):
        return False
    host, port = hostport, ""
    if not hostport.endswith("]") and ":" in hostport:
        host, port = hostport.rsplit(":", 1)
    if port and not port.isdigit():
        return False
    return _host_ok(host)


def _uri_parts(value):
    """The components of an RFC 3986 URI-reference, or None when a component has a character it may not have."""
    if any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7e for c in value):
        return None
    parts = _URI_PARTS.match(value)
    scheme, authority, path, query, fragment = parts.group(2), parts.group(4), parts.group(5), parts.group(7), \
        parts.group(9)
    if scheme is not None and not _SCHEME.match(scheme):
        return None
    if authority is not None and not _authority_ok(authority):
        return None
    if not _SEGMENTS.match(path) or (query is not None and not _QUERY.match(query)) \
            or (fragment is not None and not _QUERY.match(fragment)):
        return None
    if authority is None and path.startswith("//"):
        return None
    if scheme is None and ":" in path.split("/", 1)[0]:  # RFC 3986 section 4.2: no colon in a first segment
        return None
    return {"scheme": scheme, "authority": authority, "path": path, "query": query, "fragment": fragment}


def _is_uri(value):
    """RFC 3986 section 3 ``URI``: absolute (with a scheme), every component well-formed."""
    if not isinstance(value, str):
        return True
    parts = _uri_parts(value)
    return parts is not None and parts["scheme"] is not None


def _is_url(value):
    """``url`` is no OpenAPI 3.0 or JSON Schema format [inferred]: an RFC 3986 absolute URI with an ``http`` or
    ``https`` scheme and a host (RFC 9110 section 4.2), which is what Kong's fields hold (issuers, base URLs)."""
    if not isinstance(value, str):
        return True
    parts = _uri_parts(value)
    if parts is None or (parts["scheme"] or "").lower() not in ("http", "https") or not parts["authority"]:
        return False
    host = urlsplit(value).hostname
    return bool(host)


def _is_path(value):
    """``path`` is no OpenAPI 3.0 or JSON Schema format [inferred]: Kong uses it for links such as pagination's
    ``next``; checked as an RFC 3986 relative reference made of an absolute path and an optional query."""
    if not isinstance(value, str):
        return True
    parts = _uri_parts(value)
    return parts is not None and parts["scheme"] is None and parts["authority"] is None \
        and parts["path"].startswith("/") and parts["fragment"] is None


def _is_byte(value):
    """OpenAPI 3.0 ``byte``: base64 (RFC 4648 section 4, padded, no line breaks)."""
    return not isinstance(value, str) or bool(_BASE64.match(value))


# Formats of Kong's files that assert nothing, each with the reason.
UNASSERTED_FORMATS = {
    "password": "a hint for user interfaces (OpenAPI 3.0 section 4.7.2)",
    "binary": "raw content of non-JSON media types",
    "^[a-z0-9-_]{0,128}$": "a regular expression written as a format (API attribute keys, which the collection "
                           "never sends); an unknown format is an annotation, as JSON Schema says",
}

CHECKED_FORMATS = {"uuid": _is_uuid, "date-time": _is_date_time, "hostname": _is_hostname, "email": _is_email,
                   "uri": _is_uri, "url": _is_url, "path": _is_path, "byte": _is_byte}


def _format_checker():
    checker = FormatChecker(formats=())
    for name, func in CHECKED_FORMATS.items():
        checker.checks(name)(func)
    return checker


FORMATS = _format_checker()


def _validator_classes(spec):
    """Request (write), response (read) and parameter validator classes for one file.

    * A ``discriminator`` is used when its value maps to a schema (explicit
      ``mapping`` or a component of that name); otherwise the alternatives are
      checked as plain ``oneOf``/``anyOf``/``allOf``.  Kong's files use
      discriminators without mapping whose values (``client_credentials``) are
      not schema names, which a literal implicit mapping could never resolve.
    * ``required`` skips a ``writeOnly`` property in responses and a ``readOnly``
      one in requests, also when the flag sits behind a ``$ref`` (OpenAPI 3.0
      semantics; Kong's ``labels: $ref LabelsUpdate`` is required *and* writeOnly).
    * Parameter schemas: ``oneOf`` checked as "any of" (see the module
      docstring), and no read/write direction.
    """
    components = set(((spec.doc.get("components") or {}).get("schemas") or {}))

    def dispatch(plain):
        def keyword(validator, subschemas, instance, schema):
            disc = schema.get("discriminator")
            if disc and isinstance(instance, dict):
                value = instance.get(disc["propertyName"])
                if isinstance(value, str) and (value in (disc.get("mapping") or {}) or value in components):
                    yield from oas_keywords.handle_discriminator(validator, subschemas, instance, schema)
                    return
            yield from plain(validator, subschemas, instance, schema)
        return keyword

    def required(skipped_flag):
        def keyword(validator, names, instance, schema):
            if not validator.is_type(instance, "object"):
                return
            for name in names:
                if name in instance:
                    continue
                prop = spec.resolve((schema.get("properties") or {}).get(name) or {}, "")[0]
                if skipped_flag and prop.get(skipped_flag):
                    continue
                yield ValidationError("%r is a required property" % name)
        return keyword

    keywords = {"oneOf": dispatch(json_keywords.oneOf), "anyOf": dispatch(json_keywords.anyOf),
                "allOf": dispatch(json_keywords.allOf)}
    return {"request": extend(OAS30WriteValidator, dict(keywords, required=required("readOnly"))),
            "response": extend(OAS30ReadValidator, dict(keywords, required=required("writeOnly"))),
            "param": extend(OAS30Validator, dict(keywords, oneOf=dispatch(json_keywords.anyOf), required=required(None)))}


# --------------------------------------------------------------------------- spec model
class SpecFile:
    """One OpenAPI file: its document, a reference registry and compiled validators."""

    def __init__(self, name, doc):
        self.name = name
        self.doc = doc
        self.uri = "urn:konnect-spec:%s" % name
        self.registry = Registry().with_resource(self.uri, Resource.from_contents(doc, default_specification=DRAFT4))
        self._validators = {}
        self._classes = _validator_classes(self)
        self._lock = threading.Lock()

    def resolve(self, node, pointer):
        """Follow ``$ref`` chains of OpenAPI objects; return (node, JSON pointer of node)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            pointer = node["$ref"][1:]
            node = self.doc
            for part in pointer[1:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def validator(self, pointer, kind):
        """A cached validator for the schema at ``pointer``; kind: request, response or param."""
        key = (pointer, kind)
        with self._lock:
            found = self._validators.get(key)
            if found is None:
                found = self._classes[kind]({"$ref": "%s#%s" % (self.uri, pointer)}, registry=self.registry, format_checker=FORMATS)
                self._validators[key] = found
            return found


def _escape(part):
    return part.replace("~", "~0").replace("/", "~1")


class Operation:
    """One (path template, method) of a spec file, with its parameters and responses resolved."""

    def __init__(self, spec, template, method, op_pointer, path_item):
        self.spec = spec
        self.template = template
        self.method = method.upper()
        op = spec.resolve(path_item[method], op_pointer)[0]
        self.operation_id = op.get("operationId", "%s %s" % (self.method, template))
        self.params = {}
        for base_pointer, params in ((op_pointer.rsplit("/", 1)[0], path_item.get("parameters") or []),
                                     (op_pointer, op.get("parameters") or [])):
            for index, param in enumerate(params):
                param, pointer = spec.resolve(param, "%s/parameters/%d" % (base_pointer, index))
                self.params[(param["in"], param["name"])] = (param, pointer)
        self.body = None
        if "requestBody" in op:
            self.body = spec.resolve(op["requestBody"], op_pointer + "/requestBody")
        self.responses = {}
        for status, response in (op.get("responses") or {}).items():
            self.responses[str(status)] = spec.resolve(response, "%s/responses/%s" % (op_pointer, _escape(str(status))))
        names = re.findall(r"{([^}]+)}", template)
        pattern = re.sub(r"{[^}]+}", "([^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
        self.regex = re.compile("^%s$" % pattern)
        self.param_names = names
        # Literal paths win over templated ones (/applications/auth-strategies over /applications/{id}).
        self.rank = (len(names), -len(template))

    def match(self, path):
        found = self.regex.match(path)
        if not found:
            return None
        return dict(zip(self.param_names, found.groups()))


class Catalog:
    """Every file of a spec folder, indexed for one service's traffic."""

    def __init__(self, spec_dir, service):
        self.service = service
        self.prefixes = []
        for prefix, files in SPEC_FILES[service]:
            operations = []
            for name in files:
                spec = _load_spec(spec_dir, name)
                for template, path_item in (spec.doc.get("paths") or {}).items():
                    for method in _HTTP_METHODS:
                        if method in path_item:
                            pointer = "/paths/%s/%s" % (_escape(template), method)
                            operations.append(Operation(spec, template, method, pointer, path_item))
            operations.sort(key=lambda op: op.rank)
            self.prefixes.append((prefix, operations))

    def find(self, method, path):
        """(operation, path params) for a request, (None, reason) when the files have no such operation."""
        for prefix, operations in self.prefixes:
            if prefix and not path.startswith(prefix + "/"):
                continue
            relative = path[len(prefix):]
            methods_here = []
            for operation in operations:
                params = operation.match(relative)
                if params is None:
                    continue
                if operation.method == method:
                    return operation, params
                methods_here.append(operation.method)
            if methods_here:
                return None, "method %s not allowed on %s (declared: %s)" % (method, path, ", ".join(sorted(set(methods_here))))
        return None, "no operation for %s %s in Kong's OpenAPI files" % (method, path)


_SPEC_CACHE = {}
_CATALOG_CACHE = {}
_CACHE_LOCK = threading.Lock()


def _load_spec(spec_dir, name):
    key = (os.path.abspath(spec_dir), name)
    with _CACHE_LOCK:
        spec = _SPEC_CACHE.get(key)
        if spec is None:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            with open(os.path.join(spec_dir, name), encoding="utf-8") as handle:
                spec = SpecFile(name, yaml.load(handle, Loader=loader))  # nosec B506 - safe loader
            _SPEC_CACHE[key] = spec
        return spec


def catalog(spec_dir, service):
    """The (process-wide, cached) catalog of ``service`` for ``spec_dir``."""
    key = (os.path.abspath(spec_dir), service)
    with _CACHE_LOCK:
        found = _CATALOG_CACHE.get(key)
    if found is None:
        found = Catalog(spec_dir, service)
        with _CACHE_LOCK:
            found = _CATALOG_CACHE.setdefault(key, found)
    return found


# --------------------------------------------------------------------------- checks
def _where(error, root):
    parts = [str(p) for p in error.absolute_path]
    return root + ("." + ".".join(parts) if parts else "")


def describe(error, root):
    """A value-free description of one schema error (field path, rule, constraint)."""
    keyword = error.validator
    if keyword in ("required", "additionalProperties"):
        text = error.message  # names properties only
    elif keyword in ("readOnly", "writeOnly"):
        text = "%s property present" % keyword
    elif keyword in ("oneOf", "anyOf"):
        text = "matches %s of the alternatives" % ("none or several" if keyword == "oneOf" else "none")
        deeper = [e for e in (error.context or []) if e.validator not in ("oneOf", "anyOf")]
        if deeper:
            best = min(deeper, key=lambda e: len(list(e.absolute_path)))
            text += " (e.g. %s: %s)" % (_where(best, root), _short(best))
    else:
        text = _short(error)
    return "%s: %s" % (_where(error, root), text)


def _short(error):
    keyword = error.validator
    if keyword in ("required", "additionalProperties"):
        return error.message
    if keyword == "type" and error.instance is None:
        return "null is not allowed"
    if keyword == "$ref":
        return "unresolvable or mismatching discriminator"
    return "fails %s %s" % (keyword, json.dumps(error.validator_value)[:120])


def _schema_errors(validator, instance, root, limit=5):
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return list(dict.fromkeys(describe(e, root) for e in errors))[:limit]


def _coerce(value, schema, spec):
    """Turn query-string text into the JSON type the parameter schema expects."""
    schema = spec.resolve(schema or {}, "")[0]
    kind = schema.get("type")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {k: _coerce(v, props.get(k, {}), spec) for k, v in value.items()}
    if kind == "integer" and re.match(r"^-?\d+$", value):
        return int(value)
    if kind == "number" and re.match(r"^-?\d+(\.\d+)?$", value):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind == "array":
        return [_coerce(v, schema.get("items"), spec) for v in value.split(",")]
    return value


def _deep_object(name, pairs):
    """``filter[name][eq]=x`` and ``filter[name]=y`` -> ``{"name": {"eq": "x"}}`` / ``{"name": "y"}``."""
    result = {}
    for key, value in pairs:
        if not key.startswith(name + "["):
            continue
        keys = re.findall(r"\[([^\]]*)\]", key[len(name):])
        node = result
        for part in keys[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if keys:
            node[keys[-1]] = value
    return result


def check_request(operation, path_params, query_string, content_type, body):
    """Problems of a request against its operation (list of strings)."""
    problems = []
    spec = operation.spec
    pairs = parse_qsl(query_string, keep_blank_values=True)
    query = dict(pairs)
    for (location, name), (param, pointer) in operation.params.items():
        if location == "path":
            value = path_params.get(name)
        elif location == "query" and param.get("style") == "deepObject":
            value = _deep_object(name, pairs) or None
        elif location == "query":
            value = query.get(name)
        else:
            continue  # header and cookie parameters: security is the app's business
        if value is None:
            if param.get("required"):
                problems.append("%s parameter %s is required" % (location, name))
            continue
        if "schema" in param:
            value = _coerce(value, param["schema"], spec)
            validator = spec.validator(pointer + "/schema", "param")
            problems += _schema_errors(validator, value, "%s.%s" % (location, name))
    problems += _check_body(operation, content_type, body)
    return problems


def _check_body(operation, content_type, body):
    if operation.body is None:
        return ["request body sent but the operation takes none"] if body else []
    request_body, pointer = operation.body
    if not body:
        return ["request body is required"] if request_body.get("required") else []
    content = request_body.get("content") or {}
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in content:
        return ["request content type %r not declared (declared: %s)" % (media, ", ".join(content))]
    if "json" not in media:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return ["request body is not valid JSON"]
    if "schema" not in content[media]:
        return []
    validator = operation.spec.validator("%s/content/%s/schema" % (pointer, _escape(media)), "request")
    return _schema_errors(validator, document, "body")


def check_response(operation, status, content_type, body):
    """Problems of a response against its operation (list of strings)."""
    spec = operation.spec
    declared = operation.responses.get(str(status)) or operation.responses.get("%dXX" % (status // 100)) \
        or operation.responses.get("default")
    if declared is None:
        known = KNOWN_UNDECLARED.get((operation.operation_id, status))
        if known is None:
            return ["status %d not declared (declared: %s)" % (status, ", ".join(sorted(operation.responses)))]
        return _check_document(spec, "/components/schemas/%s" % known[0], body, "body")
    response, pointer = declared
    content = response.get("content") or {}
    if not content:
        return ["status %d declares no body but one was sent" % status] if body else []
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in content:
        return ["response content type %r not declared for %d (declared: %s)" % (media, status, ", ".join(content))]
    if "json" not in media or "schema" not in content[media]:
        return []
    return _check_document(spec, "%s/content/%s/schema" % (pointer, _escape(media)), body, "body")


def _check_document(spec, pointer, body, root):
    try:
        document = json.loads(body)
    except ValueError:
        return ["response body is not valid JSON"]
    return _schema_errors(spec.validator(pointer, "response"), document, root)


# --------------------------------------------------------------------------- middleware
class ConformanceMiddleware:
    """WSGI middleware recording every request/response that does not match Kong's files."""

    def __init__(self, app, ctx, service):
        self.app = app
        self.ctx = ctx
        self.service = service
        self.catalog = catalog(ctx.spec_dir, service)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/")
        if not path.startswith(API_PREFIXES[self.service]):
            return self.app(environ, start_response)
        body = _read_body(environ)
        operation, found = self.catalog.find(method, path)
        if operation is None:
            self._record(method, path, "request", found)
        else:
            for problem in check_request(operation, found, environ.get("QUERY_STRING", ""),
                                         environ.get("CONTENT_TYPE"), body):
                self._record(method, path, "request", "%s: %s" % (operation.operation_id, problem))
        captured = {}

        def capturing_start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["content_type"] = next((v for k, v in headers if k.lower() == "content-type"), None)
            return start_response(status, headers, exc_info)

        result = self.app(environ, capturing_start_response)
        try:
            chunks = [bytes(chunk) for chunk in result]
        finally:
            if hasattr(result, "close"):
                result.close()
        if operation is not None and "status" in captured:
            for problem in check_response(operation, captured["status"], captured["content_type"], b"".join(chunks)):
                self._record(method, path, "response", "%s: %s" % (operation.operation_id, problem))
        return chunks

    def _record(self, method, path, kind, detail):
        self.ctx.record_violation(self.service, method, path, kind, detail)


def _read_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked request body, de-chunked by the server
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def wrap(app, ctx, service):
    """Wrap a WSGI app of ``service`` (``konnect`` or ``portal``) with conformance checks."""
    if not ctx.spec_dir:
        return app
    return ConformanceMiddleware(app, ctx, service)


__all__ = ["wrap", "catalog", "check_request", "check_response", "KNOWN_UNDECLARED", "CHECKED_FORMATS",
           "UNASSERTED_FORMATS", "LOOPBACK_HOSTNAME_EXCEPTION"]
