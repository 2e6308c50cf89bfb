# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The Curity Identity Server client: RESTCONF admin API and the OAuth runtime calls.

Facts this client relies on (labels as in the collection's Curity notes: confirmed by
Curity sources, or inferred from the RFCs Curity implements):

* RESTCONF base ``.../admin/api/restconf``, data under ``data/``, HTTP Basic with the admin
  user, ``application/yang-data+json`` both ways (confirmed);
* the OAuth profile is the list entry ``base:profiles/profile=<id>,oauth-service`` (two-part
  key, type without module prefix) and its authorization server is
  ``settings/profile-oauth:authorization-server`` (confirmed);
* key values are percent-encoded (RFC 8040 section 3.5.3; inferred), an ``empty`` leaf is
  ``[null]`` (RFC 7951 section 6.9; confirmed for capabilities);
* plain PATCH merges and cannot remove leaf-list entries, PUT replaces its target, DELETE
  of a missing resource answers 404 (RFC 8040 sections 4.5 to 4.7; inferred, Curity's own
  code treats 404 on DELETE as "already gone");
* the ``fields`` and ``content`` query parameters (RFC 8040 sections 4.8.1 and 4.8.3):
  ``content=config`` and ``fields=id;type`` appear in Curity's scripts (confirmed); nested
  ``fields`` expressions follow RFC 8040 (inferred).  A server that rejects ``fields``
  with 400 is read again without it, so the client still works, with larger answers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import secrets
from contextlib import contextmanager
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._http import (
    HttpError,
    Transport,
    TransportError,
    ensure_requests,
    redact_url,
)

YANG_JSON = "application/yang-data+json"
OAUTH_SERVICE = "oauth-service"
OAUTH_SERVICE_IDENTITY = "profile-oauth:oauth-service"
OAUTH_MODULE = "profile-oauth"
EMPTY = [None]  # RFC 7951 section 6.9: the value of a leaf of type "empty"
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
DEFAULT_PORTS = {"http": 80, "https": 443}
ADMIN_SERVICE = "Curity admin API"
RUNTIME_SERVICE = "Curity OAuth server"


class CurityError(Exception):
    """A problem reported to the user as one paragraph (bad input, missing reference, refusal)."""


# --------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------
def curity_argument_spec(**module_specific):
    """The connection options of every Curity module, plus ``module_specific`` ones.

    Each connection option falls back to the environment variable an AWX credential
    type injects.
    """
    spec = dict(
        admin_url=dict(type="str", fallback=(env_fallback, ["CURITY_ADMIN_URL"])),
        admin_username=dict(type="str", default="admin", fallback=(env_fallback, ["CURITY_ADMIN_USERNAME"])),
        admin_password=dict(type="str", no_log=True, fallback=(env_fallback, ["CURITY_ADMIN_PASSWORD"])),
        profile_id=dict(type="str", default="token-service", fallback=(env_fallback, ["CURITY_PROFILE_ID"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["CURITY_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["CURITY_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["CURITY_TIMEOUT"])),
    )
    spec.update(module_specific)
    return spec


# Options that are required, but may come from the environment instead (so the argument spec
# cannot mark them required): checked before any request.
REQUIRED_CONNECTION = (("admin_url", "CURITY_ADMIN_URL"), ("admin_password", "CURITY_ADMIN_PASSWORD"))


def require_options(params, pairs):
    """Raise CurityError naming each option of ``pairs`` (option, variable) that is neither set nor in the environment."""
    missing = ["%s (or %s in the environment)" % (option, variable) for option, variable in pairs
               if params.get(option) in (None, "")]
    if missing:
        raise CurityError("missing required arguments: %s." % ", ".join(missing))


def check_url(url, option):
    """``url`` without a trailing slash when it is an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url or "")
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # an invalid port or IPv6 literal
        valid = False
    if not valid:
        raise CurityError("%s must be an absolute http:// or https:// URL, got %r." % (option, redact_url(url or "")))
    if parts.username is not None or parts.password is not None:
        raise CurityError("%s must not carry credentials; give them in their own options." % option)
    if parts.query or parts.fragment:
        raise CurityError("%s must not have a query or a fragment, got %r." % (option, url))
    return url.rstrip("/")


def hide_url_password(module, url):
    """A password written into a URL option is a secret too: keep it out of every output."""
    try:
        password = urlsplit(url or "").password
    except ValueError:
        return
    if password:
        module.no_log_values.add(password)


def admin_base_url(url):
    """The RESTCONF base (``.../restconf``); the ``.../restconf/data`` form is accepted too."""
    base = check_url(url, "admin_url")
    return base[:-len("/data")] if base.endswith("/data") else base


def issuer_url(url):
    """The issuer; the discovery document URL Kong documents is accepted too."""
    base = check_url(url, "issuer")
    return base[:-len(DISCOVERY_SUFFIX)] if base.endswith(DISCOVERY_SUFFIX) else base


def connection_options(params):
    """Transport keyword arguments from the shared options, checked before any request."""
    if not params["profile_id"]:
        raise CurityError("profile_id must name the OAuth profile (token service), for example 'token-service'.")
    if params["timeout"] is None or params["timeout"] <= 0:
        raise CurityError("timeout must be a positive number of seconds, got %r." % params["timeout"])
    ca_path = params["ca_path"]
    if ca_path and not os.path.exists(ca_path):
        raise CurityError("ca_path %r does not exist; give the PEM file (or folder) of the CA that signs "
                          "the Curity server certificates." % ca_path)
    return dict(validate_certs=params["validate_certs"], ca_path=ca_path, timeout=params["timeout"])


@contextmanager
def reported(module, **result):
    """Turn the collection's errors into one-paragraph ``fail_json`` messages."""
    try:
        yield
    except (CurityError, HttpError, TransportError) as exc:
        module.fail_json(msg=str(exc), **result)


# --------------------------------------------------------------------------------------------
# RFC 7951 JSON helpers: members are found by local name, whatever their module prefix
# --------------------------------------------------------------------------------------------
def local_name(name):
    return name.rpartition(":")[2]


def member(obj, name, default=None):
    """The member ``name`` of a JSON object, qualified by a module name or not."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    for key, value in obj.items():
        if local_name(key) == name:
            return value
    return default


def dig(obj, *names):
    for name in names:
        obj = member(obj, name)
    return obj


def set_member(obj, name, value):
    """Set ``name`` in ``obj`` (dropping any qualified spelling of it); ``None`` removes it."""
    for key in [k for k in obj if local_name(k) == name]:
        del obj[key]
    if value is not None:
        obj[name] = value


def put_path(obj, path, value):
    """Set the member at ``path`` (a tuple of names), creating containers on the way."""
    for name in path[:-1]:
        child = member(obj, name)
        if not isinstance(child, dict):
            child = {}
            set_member(obj, name, child)
        obj = child
    set_member(obj, path[-1], value)


def top(body, name):
    """The payload of a RESTCONF answer ``{"<module>:<name>": ...}``; one list entry for a list."""
    value = member(body, name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def key(*values):
    """A percent-encoded RESTCONF list key (RFC 8040 section 3.5.3): ``stocks/read`` -> ``stocks%2Fread``."""
    return ",".join(quote(str(value), safe="") for value in values)


def unknown_scopes(names, scopes):
    """The ``names`` that are neither the id of one of the RFC 7951 ``scopes`` nor under a prefix scope."""
    ids = set(member(s, "id") for s in scopes)
    prefixes = [member(s, "id") for s in scopes if member(s, "is-prefix")]
    return [n for n in names if n not in ids and not any(n.startswith(p) for p in prefixes)]


# --------------------------------------------------------------------------------------------
# the RESTCONF admin API
# --------------------------------------------------------------------------------------------
class CurityAdmin:
    """RESTCONF calls on one OAuth profile.  Reads and writes speak ``application/yang-data+json``."""

    HEADERS = {"Accept": YANG_JSON}
    WRITE_HEADERS = {"Accept": YANG_JSON, "Content-Type": YANG_JSON}

    def __init__(self, transport, profile_id, username="admin"):
        self.transport = transport
        self.profile_id = profile_id
        self.username = username
        # Writes that succeeded, and writes whose outcome is unknown (no answer, or a 5xx that
        # may come from a proxy in front of a server that did the work): a run that fails
        # after either has (or may have) changed something.
        self.writes_done = 0
        self.writes_unsure = 0

    @property
    def changed_something(self):
        """Whether this client's writes changed, or may have changed, the configuration."""
        return bool(self.writes_done or self.writes_unsure)

    @classmethod
    def from_module(cls, module):
        """The client for a module's options; warns when certificates are not checked."""
        ensure_requests(module)
        params = module.params
        require_options(params, REQUIRED_CONNECTION)
        hide_url_password(module, params["admin_url"])
        base = admin_base_url(params["admin_url"])
        options = connection_options(params)
        if not params["validate_certs"]:
            module.warn("validate_certs is false: the TLS certificate of the Curity admin API is not checked. "
                        "Use ca_path instead outside test systems.")
        # UTF-8 credentials (RFC 7617); requests would otherwise encode them as Latin-1.
        auth = (params["admin_username"].encode("utf-8"), params["admin_password"].encode("utf-8"))
        transport = Transport(base, auth=auth, warn=module.warn, service=ADMIN_SERVICE,
                              read_only=module.check_mode, **options)
        return cls(transport, params["profile_id"], params["admin_username"])

    # -- paths ---------------------------------------------------------------------------
    @property
    def profile_path(self):
        return "data/base:profiles/profile=%s" % key(self.profile_id, OAUTH_SERVICE)

    def path(self, *steps):
        """A path below the authorization server of the profile; ``steps`` are already encoded."""
        return "/".join((self.profile_path, "settings/profile-oauth:authorization-server") + steps)

    def client_path(self, client_id, *steps):
        return self.path("client-store/config-backed/client=%s" % key(client_id), *steps)

    # -- verbs ---------------------------------------------------------------------------
    def _send(self, method, path, **kwargs):
        write = method != "GET"
        try:
            reply = self.transport.request(method, path, **kwargs)
        except TransportError:
            if write and not getattr(self.transport, "read_only", False):
                self.writes_unsure += 1
            raise
        except HttpError as exc:
            if write and (exc.status >= 500 or exc.status == 0):
                self.writes_unsure += 1
            if exc.status == 401:
                raise CurityError(
                    "%s refused the credentials of admin user %r (HTTP 401): check admin_username and "
                    "admin_password (CURITY_ADMIN_USERNAME, CURITY_ADMIN_PASSWORD)." % (ADMIN_SERVICE, self.username))
            if exc.status == 403:
                raise CurityError("%s: admin user %r may not %s %s (HTTP 403); give the user write access to the "
                                  "configuration." % (ADMIN_SERVICE, self.username, method, exc.url))
            raise
        if write:
            self.writes_done += 1
        return reply

    def get(self, path, fields=None, missing_ok=False):
        """The answer of a GET of configuration data; None when absent and ``missing_ok``.

        ``fields`` (RFC 8040 section 4.8.3) narrows the answer; a server that refuses the
        parameter (400) is asked again without it.
        """
        query = {"content": "config"}
        if fields:
            query["fields"] = fields
        try:
            return self._send("GET", self._with_query(path, query), headers=self.HEADERS, expect=(200,)).json
        except HttpError as exc:
            if exc.status == 400 and fields:
                return self.get(path, missing_ok=missing_ok)
            if exc.status == 404 and missing_ok:
                return None
            raise

    def data_source_exists(self, source_id):
        """Whether ``/base:facilities/data-sources/data-source={id}`` exists (one GET).

        Curity's configuration keeps data sources under ``facilities`` beside ``profiles``; the list
        name and key are inferred from its configuration reference, the URL follows RFC 8040 (3.5.3).
        """
        return self.get("data/base:facilities/data-sources/data-source=%s" % key(source_id), fields="id",
                        missing_ok=True) is not None

    @staticmethod
    def _with_query(path, query):
        # ';', '/', '(' ')' and ':' are legal in a query (RFC 3986) and are what RESTCONF examples send.
        return "%s?%s" % (path, urlencode(sorted(query.items()), safe=";/():,"))

    def _read_node(self, path, name, fields):
        body = self.get(path, fields, missing_ok=True)
        if body is None and not self.is_restconf_root():
            raise CurityError(
                "%s: admin_url %s is not the RESTCONF API of the Curity admin service (GET %s answered 404, and GET %s "
                "did not answer as a RESTCONF root): admin_url ends in /admin/api/restconf, for example "
                "https://idsvr-admin:6749/admin/api/restconf." % (
                    ADMIN_SERVICE, self.transport.base_url, self.transport.url(path), self.transport.base_url))
        if body is None:
            raise CurityError(
                "%s has no OAuth profile %r of type oauth-service (GET %s answered 404): check profile_id "
                "(CURITY_PROFILE_ID); it is the id of the token service profile." %
                (ADMIN_SERVICE, self.profile_id, self.transport.url(self.profile_path)))
        node = top(body, name)
        if not isinstance(node, dict):
            raise CurityError("%s: GET %s answered without the %r object; is admin_url the RESTCONF base "
                              "(.../admin/api/restconf)?" % (ADMIN_SERVICE, self.transport.url(path), name))
        return node

    def is_restconf_root(self):
        """Whether the base URL answers as a RESTCONF API (only asked after a 404): its root resource
        (RFC 8040 section 3.3), or else its ``yang-library-version`` resource (section 3.3.3), which
        Curity documents."""
        for path, name in ((self.transport.base_url, "restconf"),
                           (self.transport.base_url + "/yang-library-version", "yang-library-version")):
            try:
                body = self._send("GET", path, headers=self.HEADERS, expect=(200,)).json
            except (CurityError, HttpError, TransportError):
                continue
            if member(body, name) is not None:
                return True
        return False

    def read_profile(self, fields=None):
        """The profile entry read with ``fields``; a clear error when the profile does not exist."""
        return self._read_node(self.profile_path, "profile", fields)

    def read_authorization_server(self, fields=None):
        """The authorization server of the profile read with ``fields`` (a non-presence container:
        it exists whenever the profile does, so a 404 means a wrong profile)."""
        return self._read_node(self.path(), "authorization-server", fields)

    def patch(self, path, body):
        """RFC 8040 plain PATCH: merges ``body`` into the existing target."""
        self._send("PATCH", path, json_body=body, headers=self.WRITE_HEADERS, expect=(200, 204), expect_json=False)

    def put(self, path, body):
        """RFC 8040 PUT: creates or replaces the target with ``body``."""
        self._send("PUT", path, json_body=body, headers=self.WRITE_HEADERS, expect=(200, 201, 204), expect_json=False)

    def delete(self, path):
        """DELETE; a 404 means it is already gone (as Curity's own tooling treats it)."""
        self._send("DELETE", path, headers=self.HEADERS, expect=(200, 204, 404), expect_json=False)


# --------------------------------------------------------------------------------------------
# the OAuth runtime
# --------------------------------------------------------------------------------------------
class TokenRefused(Exception):
    """The token endpoint refused a request; ``error`` is the RFC 6749 error code."""

    def __init__(self, status, error, message):
        super(TokenRefused, self).__init__(message)
        self.status = status
        self.error = error

    @property
    def bad_credentials(self):
        return self.status == 401 or self.error == "invalid_client"


def token_endpoint_problem(issuer, endpoint):
    """Why a client secret must not be sent to ``endpoint`` for ``issuer`` ('' when it may).

    The endpoint comes from the issuer's discovery document, which a server behind TLS
    termination may get wrong: a weaker scheme than the issuer's (``http`` for an ``https``
    issuer) would send the secret in clear, another host (or another port of the same host,
    unless the scheme goes from http to https) would receive it.
    """
    try:
        want, got = urlsplit(issuer), urlsplit(endpoint)
        got_host, want_host = got.hostname, want.hostname
        got_user, got_password = got.username, got.password
        got_port = got.port or DEFAULT_PORTS.get(got.scheme)
        want_port = want.port or DEFAULT_PORTS.get(want.scheme)
    except ValueError:
        return "it is not a valid URL"
    if got.scheme not in ("http", "https") or not got_host:
        return "it is not an absolute http:// or https:// URL"
    if got_user is not None or got_password is not None:
        return "it carries credentials"
    if want.scheme == "https" and got.scheme != "https":
        return "it uses http while the issuer uses https, so the client secret would travel in clear"
    if got_host.lower() != (want_host or "").lower():
        return "its host %r is not the issuer's host %r" % (got_host, want_host)
    if got.scheme == want.scheme and got_port != want_port:
        return "its port %s is not the issuer's port %s (another service of that host)" % (got_port, want_port)
    return ""


class CurityRuntime:
    """Discovery (OpenID Connect Discovery 1.0) and the token endpoint (RFC 6749) of one issuer.

    A client secret is only sent to a token endpoint on the issuer's host with a scheme at
    least as strong as the issuer's, unless ``allow_insecure_token_endpoint``.
    """

    def __init__(self, module, issuer, allow_insecure_token_endpoint=False):
        self.module = module
        hide_url_password(module, issuer)
        self.issuer = issuer_url(issuer)
        params = module.params
        self.options = connection_options(params)
        self.allow_insecure_token_endpoint = allow_insecure_token_endpoint
        self._metadata = None

    def _transport(self, base, auth=None):
        return Transport(base, auth=auth, warn=self.module.warn, service=RUNTIME_SERVICE,
                         read_only=self.module.check_mode, **self.options)

    def metadata(self, refresh=False):
        """The issuer's discovery document (cached); ``token_endpoint`` is checked."""
        if self._metadata is None or refresh:
            url = self.issuer + DISCOVERY_SUFFIX
            data = self._transport(self.issuer).request("GET", url, expect=(200,)).json
            if not isinstance(data, dict) or not isinstance(data.get("token_endpoint"), str):
                raise CurityError("%s: %s is not an OpenID Connect discovery document (no token_endpoint); check "
                                  "issuer (CURITY_ISSUER)." % (RUNTIME_SERVICE, url))
            if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                self.module.warn("The discovery document of %s names the issuer %r; OpenID Connect Discovery requires "
                                 "them to be identical." % (self.issuer, data.get("issuer")))
            self._metadata = data
        return self._metadata

    def checked_token_endpoint(self):
        """The token endpoint from discovery, refused when a client secret must not go there."""
        endpoint = self.metadata()["token_endpoint"]
        problem = token_endpoint_problem(self.issuer, endpoint)
        if problem and not self.allow_insecure_token_endpoint:
            raise CurityError(
                "%s: the discovery document of %s names the token endpoint %r, and %s. The client secret was not "
                "sent. Make the server announce its public https URL (behind a TLS-terminating proxy, set the base URL "
                "of the runtime service), or set allow_insecure_token_endpoint: true if that endpoint is trusted."
                % (RUNTIME_SERVICE, self.issuer, redact_url(endpoint), problem))
        if problem:
            self.module.warn("The token endpoint %r of %s is used although %s (allow_insecure_token_endpoint is true)."
                             % (redact_url(endpoint), self.issuer, problem))
        return endpoint

    def invalidate(self):
        """Forget the discovery document (the configuration changed: it may have, too)."""
        self._metadata = None

    def client_credentials_token(self, client_id, secret, scope=None):
        """An access token for a client (client credentials grant); it is added to ``no_log_values`` at once.

        The client authenticates with HTTP Basic, id and secret form-encoded first as
        RFC 6749 section 2.3.1 requires.  Asking for a token changes no configuration, so
        it is sent in check mode too (``write=False``).
        """
        user, password = quote(client_id, safe=""), quote(secret, safe="")
        self.module.no_log_values.update((secret, password))
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        endpoint = self.checked_token_endpoint()
        try:
            reply = self._transport(endpoint, auth=(user, password)).request(
                "POST", endpoint, data=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"},
                expect=(200,), write=False)
        except HttpError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            raise TokenRefused(exc.status, body.get("error"), str(exc))
        token = reply.json.get("access_token") if isinstance(reply.json, dict) else None
        if not isinstance(token, str) or not token:
            raise CurityError("%s: the token endpoint %s answered 200 without an access_token." % (RUNTIME_SERVICE, endpoint))
        self.module.no_log_values.add(token)
        return reply.json


def generate_secret():
    """A strong client secret: 256 random bits, URL-safe (no character needs encoding)."""
    return secrets.token_urlsafe(32)


# --------------------------------------------------------------------------------------------
# keyed lists under the authorization server (scopes, claims): options <-> RFC 7951 members
# --------------------------------------------------------------------------------------------
LEAF = "leaf"
SET = "set"
SINGLE = "single"


class Field:
    """One option of a list entry and the member path that holds it in the entry.

    ``kind`` is ``leaf`` (a scalar; for a string ``""`` means "not set"), ``set`` (a
    leaf-list compared as a set) or ``single`` (a leaf-list holding the option's one value).
    ``default`` is what an absent member means (the server may omit default values).
    """

    def __init__(self, option, path, kind=LEAF, default=None):
        self.option = option
        self.path = tuple(path)
        self.kind = kind
        self.default = default

    def read(self, entry):
        value = dig(entry, *self.path)
        if self.kind == SET:
            return sorted(value or [])
        if self.kind == SINGLE:
            values = value or []
            return values[0] if len(values) == 1 else (sorted(values) if values else "")
        return self.default if value is None else value

    def removes(self, have, want):
        """Whether going from ``have`` to ``want`` removes data, which a plain merge cannot do."""
        if self.kind == SET:
            return bool(set(have or []) - set(want or []))
        if self.kind == SINGLE:
            return have not in ("", None) and have != want
        return want == "" and have not in ("", None)

    def write(self, entry, value):
        """Set the member in ``entry``; an empty value removes it."""
        if self.kind == SINGLE:
            value = [value] if value else []
        put_path(entry, self.path, None if value in ("", []) else value)


class MapperField:
    """Membership of a claim in one token of a claims mapper (``access_token``, ``id_token``, ``userinfo``)."""

    kind = LEAF

    def __init__(self, option, token):
        self.option = option
        self.token = token

    @staticmethod
    def removes(have, want):
        return bool(have) and not want


class KeyedList:
    """A list under the authorization server managed by one module, as read in one GET.

    Subclasses name the container, the list, its key and its ``fields``; ``FIELDS_QUERY``
    selects what the one read returns.  Options are compared in the user's terms (option
    names), so diffs and results read like the task.
    """

    CONTAINER = None
    LIST = None
    KEY = None
    FIELDS = ()
    FIELDS_QUERY = None

    def __init__(self, authorization_server):
        self.server = authorization_server
        self.data = copy.deepcopy(member(authorization_server, self.CONTAINER) or {})
        self.fields = dict((f.option, f) for f in self.FIELDS)
        # ``data`` is never edited (writes work on copies): index it once, lookups stay O(1).
        self.index = dict((member(e, self.KEY), e) for e in self.entries())

    @classmethod
    def read(cls, admin, **options):
        return cls(admin.read_authorization_server(cls.FIELDS_QUERY), **options)

    # -- reading ---------------------------------------------------------------------------
    def entries(self, container=None):
        found = member(self.data if container is None else container, self.LIST)
        return found if isinstance(found, list) else []

    def find(self, name, container=None):
        if container is None:
            return self.index.get(name)
        for entry in self.entries(container):
            if member(entry, self.KEY) == name:
                return entry
        return None

    def names(self):
        return list(self.index)

    def view(self, name):
        """Every option of an entry, defaults filled in."""
        entry = self.find(name)
        return dict((f.option, self._read(f, name, entry)) for f in self.FIELDS)

    def _read(self, field, name, entry):
        return field.read(entry)

    def views(self, desired):
        """Current entries, keyed by name (compared by the engine against ``desired``)."""
        return dict((name, self.view(name)) for name in self.names())

    def end_state(self, desired, state):
        """The managed entries as they are now (none for ``state=absent``)."""
        if state == "absent":
            return []
        current = self.views(desired)
        return [self.result(name, current[name]) for name in desired if name in current]

    def predicted(self, desired, state):
        """The end state a real run would reach (check mode)."""
        if state == "absent":
            return []
        out = []
        for name, want in desired.items():
            view = self.view(name)
            view.update(_engine.normalise(want))
            out.append(self.result(name, view))
        return out

    def result(self, name, view):
        out = {"name": name}
        out.update(view)
        return out

    # -- checks (subclasses) -----------------------------------------------------------------
    def check(self, desired, state):
        """Raise CurityError for a reference the server would refuse, before any write."""

    def check_plan(self, plan):
        """Raise CurityError for a planned change the server would refuse."""

    # -- writing ---------------------------------------------------------------------------
    def removes(self, change):
        if change.action == _engine.DELETE:
            return True
        if change.action == _engine.CREATE:
            return False
        return any(self.fields[f].removes(change.before.get(f), change.after.get(f)) for f in change.changed_fields())

    def deletes_alone(self, name):
        """Whether deleting entry ``name`` needs no other edit of the container."""
        return True

    def _set(self, container, entry, name, option, value):
        self.fields[option].write(entry, value)

    def _remove(self, container, name):
        entries = self.entries(container)
        entries.remove(self.find(name, container))

    @staticmethod
    def _touched(change):
        return sorted(change.after) if change.action == _engine.CREATE else change.changed_fields()

    def merge_body(self, changes):
        """The container fragment of a plain PATCH: new entries, and the changed options of others."""
        container = {}
        entries = []
        for change in changes:
            entry = {self.KEY: change.key}
            for option in self._touched(change):
                self._set(container, entry, change.key, option, change.after[option])
            if len(entry) > 1 or change.action == _engine.CREATE:
                entries.append(entry)
        if entries:
            container[self.LIST] = entries
        return container

    def replaced(self, changes):
        """The whole container for a PUT: the current content with the changes applied."""
        container = copy.deepcopy(self.data)
        if not isinstance(member(container, self.LIST), list):
            set_member(container, self.LIST, [])
        for change in changes:
            if change.action == _engine.DELETE:
                self._remove(container, change.key)
                continue
            entry = self.find(change.key, container)
            if entry is None:
                entry = {self.KEY: change.key}
                self.entries(container).append(entry)
            for option in self._touched(change):
                self._set(container, entry, change.key, option, change.after.get(option, ""))
        if not self.entries(container):
            set_member(container, self.LIST, None)
        return container

    def write(self, admin, plan):
        """At most one request: PATCH for a pure merge, DELETE for one lone deletion, else PUT.

        A plain PATCH (RFC 8040 section 4.6.1) cannot remove anything, a leaf-list entry
        included (RFC 7950 merge semantics), so any removal replaces the whole container,
        built from what was just read plus the changes (last writer wins: RESTCONF has no
        lock here).
        """
        changes = [c for c in plan.changes if c.changed]
        if not changes:
            return
        container_path = admin.path(self.CONTAINER)
        qualified = "%s:%s" % (OAUTH_MODULE, self.CONTAINER)
        if not any(self.removes(c) for c in changes):
            admin.patch(container_path, {qualified: self.merge_body(changes)})
        elif len(changes) == 1 and changes[0].action == _engine.DELETE and self.deletes_alone(changes[0].key):
            admin.delete("%s/%s=%s" % (container_path, self.LIST, key(changes[0].key)))
        else:
            admin.put(container_path, {qualified: self.replaced(changes)})


UINT32_MAX = 4294967295


class ScopeList(KeyedList):
    """The scopes of the profile (``scopes/scope``, key ``id``)."""

    CONTAINER = "scopes"
    LIST = "scope"
    KEY = "id"
    FIELDS = (
        Field("description", ["description"], default=""),
        Field("claims", ["claims"], SET),
        Field("time_to_live", ["time-to-live"]),
        Field("required", ["required"], default=False),
        Field("expose_in_metadata", ["expose-in-metadata"], default=True),
        Field("is_prefix", ["is-prefix"], default=False),
    )
    # The one read: RFC 8040 "fields" on the authorization server brings the whole scopes
    # container (written back whole when something is removed) and only the names of the
    # claims that scopes refer to.  Curity's own tooling uses "fields" (confirmed); this
    # nested expression follows RFC 8040 section 4.8.3 (inferred).  A server without "fields"
    # answers 400 and is read again without it (CurityAdmin.get): larger, still correct.
    FIELDS_QUERY = "scopes;claims/claim/name"

    def claim_names(self):
        return [member(c, "name") for c in dig(self.server, "claims", "claim") or []]

    def check(self, desired, state):
        if state == "absent":
            return
        known = set(self.claim_names())
        missing = {}
        for name, want in desired.items():
            ttl = want.get("time_to_live")
            if ttl is not None and not 0 <= ttl <= UINT32_MAX:
                raise CurityError("Scope %r: time_to_live must be between 0 and %d seconds, got %d." % (name, UINT32_MAX, ttl))
            effective = self.view(name)
            effective.update(want)
            if effective["is_prefix"] and effective["claims"]:
                raise CurityError("Scope %r: a prefix scope (is_prefix) cannot carry claims; remove its claims or "
                                  "set is_prefix to false." % name)
            for claim in want.get("claims", []):
                if claim not in known:
                    missing.setdefault(claim, []).append(name)
        if missing:
            raise CurityError("The profile has no claim %s (used by %s). Create the claims first (for example with "
                              "devportal.dcr.curity_claim); nothing was changed." % (
                                  ", ".join(repr(c) for c in sorted(missing)),
                                  "; ".join("%r: scope %s" % (c, ", ".join(repr(s) for s in missing[c])) for c in sorted(missing))))


class ClaimList(KeyedList):
    """The claims of the profile (``claims/claim``, key ``name``) and their claims mapper membership."""

    CONTAINER = "claims"
    LIST = "claim"
    KEY = "name"
    FIELDS = (
        Field("description", ["description"], default=""),
        Field("value_provider", ["value-provided-by"], default=""),
        Field("attribute", ["transformation", "input-attribute-names"], SINGLE),
        Field("required", ["required"], default=False),
        Field("expose_in_metadata", ["expose-in-metadata"], default=True),
        MapperField("in_access_token", "access_token"),
        MapperField("in_id_token", "id_token"),
        MapperField("in_userinfo", "userinfo"),
    )
    # The one read ("fields" as for scopes, inferred form): the whole claims container (claims,
    # value providers, claims mappers: written back whole when something is removed) and which
    # scopes use which claims.
    FIELDS_QUERY = "claims;scopes(scope(id;claims);default-scope-claim)"
    TOKENS = ("access_token", "id_token", "userinfo")

    def __init__(self, authorization_server, mapper_of=None, default_mapper="default"):
        super(ClaimList, self).__init__(authorization_server)
        self.mapper_of = mapper_of or {}
        self.default_mapper = default_mapper
        self.mapped = {}  # (mapper id, token) -> set of claim names, filled on first use

    def mapper_id(self, name):
        return self.mapper_of.get(name) or self.default_mapper

    def mappers(self, container=None):
        found = dig(self.data if container is None else container, "claims-mappers", "claims-mapper")
        return found if isinstance(found, list) else []

    def mapper(self, mapper_id, container=None):
        for entry in self.mappers(container):
            if member(entry, "id") == mapper_id:
                return entry
        return None

    def _read(self, field, name, entry):
        if isinstance(field, MapperField):
            token = (self.mapper_id(name), field.token)
            if token not in self.mapped:
                self.mapped[token] = set(dig(self.mapper(token[0]), field.token, "claim") or [])
            return name in self.mapped[token]
        return field.read(entry)

    def result(self, name, view):
        out = super(ClaimList, self).result(name, view)
        out["claims_mapper"] = self.mapper_id(name)
        return out

    def provider_ids(self):
        return [member(p, "id") for p in member(self.data, "claims-value-provider") or []]

    def users(self, name):
        """The scopes (and the scopes' default claims) that refer to claim ``name``."""
        scopes = member(self.server, "scopes") or {}
        out = ["scope %r" % member(s, "id") for s in member(scopes, "scope") or [] if name in (member(s, "claims") or [])]
        if name in (member(scopes, "default-scope-claim") or []):
            out.append("the default scope claims")
        return out

    def check(self, desired, state):
        if state == "absent":
            return
        providers = set(self.provider_ids())
        problems = []
        for name, want in desired.items():
            provider = want.get("value_provider")
            if provider and provider not in providers:
                problems.append("claim %r: value provider %r does not exist (known: %s)"
                                % (name, provider, ", ".join(sorted(providers)) or "none"))
            mapped = [o for o in want if isinstance(self.fields[o], MapperField)]
            if mapped and self.mapper(self.mapper_id(name)) is None:
                problems.append("claim %r: claims mapper %r does not exist (needed by %s)"
                                % (name, self.mapper_id(name), ", ".join(sorted(mapped))))
        if problems:
            raise CurityError("Cannot apply the claims: %s. Nothing was changed." % "; ".join(problems))

    def check_plan(self, plan):
        used = []
        for change in plan.of(_engine.DELETE):
            users = self.users(change.key)
            if users:
                used.append("%r is used by %s" % (change.key, ", ".join(users)))
        if used:
            raise CurityError("Cannot delete claims still in use: %s. Remove them from those scopes first (for example "
                              "with devportal.dcr.curity_scope); nothing was changed." % "; ".join(used))

    def _mapper_lists(self, container, name):
        """(token container, claim list) of every mapper token that lists claim ``name``."""
        for mapper in self.mappers(container):
            for token in self.TOKENS:
                holder = member(mapper, token)
                if name in (member(holder, "claim") or []):
                    yield holder, member(holder, "claim")

    def deletes_alone(self, name):
        return next(self._mapper_lists(self.data, name), None) is None

    def _remove(self, container, name):
        super(ClaimList, self)._remove(container, name)
        for holder, claims in list(self._mapper_lists(container, name)):
            claims.remove(name)
            if not claims:
                set_member(holder, "claim", None)

    def _set(self, container, entry, name, option, value):
        field = self.fields[option]
        if not isinstance(field, MapperField):
            field.write(entry, value)
            return
        mapper_id = self.mapper_id(name)
        mapper = self.mapper(mapper_id, container)
        if mapper is None:
            if not value:
                return
            mapper = {"id": mapper_id}
            put_path(container, ("claims-mappers", "claims-mapper"), self.mappers(container) + [mapper])
        holder = member(mapper, field.token)
        claims = list(member(holder, "claim") or [])
        if value and name not in claims:
            claims.append(name)
        elif not value and name in claims:
            claims.remove(name)
        if holder is None and claims:
            holder = {}
            set_member(mapper, field.token, holder)
        if holder is not None:
            set_member(holder, "claim", claims or None)


def desired_items(params, options, list_option, key_option="name"):
    """``{name: {option: value}}`` from the single form (top-level options) or the list form.

    Only the options the user set are kept: the rest of the entry is not managed.
    """
    items = params[list_option] if params[list_option] is not None else [params]
    desired = {}
    for index, item in enumerate(items):
        values = _engine.user_set(item, (key_option,) + tuple(options))
        name = values.pop(key_option, None)
        where = "%s[%d]" % (list_option, index) if params[list_option] is not None else key_option
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise CurityError("%s: the %s must be a non-empty string without surrounding spaces, got %r."
                              % (where, key_option, name))
        if name in desired:
            raise CurityError("%s: %r is listed twice in %s; list each one once." % (where, name, list_option))
        desired[name] = values
    return desired


def converge(module, kind, desired, state, exclusive, **options):
    """Read once, plan once, write at most once, re-read once: returns (plan, end state).

    ``kind`` is a ``KeyedList`` subclass.  In check mode nothing is written and the end state
    is the predicted one; ``changed`` and the diff come from the same plan either way.
    """
    if exclusive and state == "absent":
        raise CurityError("exclusive applies to state=present only (it deletes what the task does not list).")
    admin = CurityAdmin.from_module(module)
    current = kind.read(admin, **options)
    current.check(desired, state)
    plan = _engine.plan_collection(current.views(desired), desired, state, exclusive)
    current.check_plan(plan)
    if not plan.changed or module.check_mode:
        return plan, current.predicted(desired, state)
    current.write(admin, plan)
    after = kind.read(admin, **options)
    if _engine.plan_collection(after.views(desired), desired, state, exclusive).changed:
        module.warn("The %s read back after the write still differ from the task; another client may have changed "
                    "them at the same time. Run the task again to converge." % kind.CONTAINER)
    return plan, after.end_state(desired, state)


# --------------------------------------------------------------------------------------------
# the DCR credential: a config-backed client, the DCR settings and the default token issuer
# --------------------------------------------------------------------------------------------
CLIENT = "client"
DCR = "dynamic_client_registration"
ISSUER = "token_issuer"
# Non-templatized capabilities: option value -> (member, RFC 7951 value).  client-credentials
# is an empty leaf as on clients (confirmed there); code a container as on clients (inferred).
DCR_CAPABILITIES = {"client_credentials": ("client-credentials", EMPTY), "code": ("code", {})}
CLIENT_LEAVES = {"client_name": "client-name", "description": "description", "scopes": "scope"}


def _options(obj):
    """Member names of a JSON object as option-like names (``client-credentials`` -> ``client_credentials``)."""
    return sorted(local_name(k).replace("-", "_") for k in obj or {})


class CredentialConfig:
    """The credential Konnect uses to register clients, as one GET of the profile shows it."""

    # The client's own leaves (not its secret hash) for every config-backed client (RESTCONF
    # fields cannot select a list entry by key), the DCR settings whole (written back whole
    # when the client leaves authenticate-client-by), the scope ids and the token issuer flag.
    FIELDS_QUERY = ("settings/profile-oauth:authorization-server(client-store/config-backed/client(id;client-name;"
                    "description;capabilities;scope);dynamic-client-registration;scopes/scope(id;is-prefix));"
                    "token-issuers/default-token-issuer/access-token-as-jwt")

    def __init__(self, profile, client_id):
        self.client_id = client_id
        server = dig(profile, "settings", "authorization-server") or {}
        self.client = None
        for entry in dig(server, "client-store", "config-backed", "client") or []:
            if member(entry, "id") == client_id:
                self.client = entry
        self.dcr = member(server, "dynamic-client-registration")
        self.scopes = dig(server, "scopes", "scope") or []
        self.jwt = member(dig(profile, "token-issuers", "default-token-issuer"), "access-token-as-jwt") is not None

    @classmethod
    def read(cls, admin, client_id):
        return cls(admin.read_profile(cls.FIELDS_QUERY), client_id)

    # -- views (option names) ----------------------------------------------------------------
    def client_view(self):
        if self.client is None:
            return None
        return {
            "client_name": member(self.client, "client-name") or "",
            "description": member(self.client, "description") or "",
            "scopes": sorted(member(self.client, "scope") or []),
            "client_credentials": member(member(self.client, "capabilities"), "client-credentials") is not None,
        }

    @property
    def dcr_enabled(self):
        """Non-templatized DCR is configured (what the how-to enables)."""
        return self.dcr is not None and member(self.dcr, "non-templatized") is not None

    def dcr_view(self):
        if self.dcr is None:
            return None
        settings = member(self.dcr, "non-templatized") or {}
        scopes = member(settings, "scopes") or {}
        return {
            "client_data_source": member(self.dcr, "client-data-source") or "",
            "capabilities": _options(member(settings, "capabilities")),
            "scopes": "all" if member(scopes, "all") is not None else sorted(member(scopes, "scope") or []),
            "client_authentication": _options(member(settings, "client-authentication-method")),
            "authenticate_client_by": sorted(member(settings, "authenticate-client-by") or []),
            "management_clients": sorted(dig(self.dcr, "client-management", "management-clients") or []),
            "client_management": member(self.dcr, "client-management") is not None,
        }

    def issuer_view(self):
        return {"access_token_as_jwt": self.jwt}

    def dcr_other_users(self, client_id):
        """What, besides ``client_id``, the DCR settings serve: other clients in ``authenticate-client-by`` or
        ``management-clients``, user authentication or open registration, templatized DCR (in words).

        Empty when the DCR settings exist for ``client_id`` alone (or for nobody): removing them then
        takes nothing from anyone else.
        """
        if self.dcr is None:
            return []
        settings = member(self.dcr, "non-templatized") or {}
        clients = set(member(settings, "authenticate-client-by") or [])
        clients |= set(dig(self.dcr, "client-management", "management-clients") or [])
        users = ["client %r" % c for c in sorted(clients) if c != client_id]
        if member(settings, "authenticate-user-by"):
            users.append("user authentication (authenticate-user-by)")
        if member(settings, "no-authentication") is not None:
            users.append("open registration (no-authentication)")
        if member(self.dcr, "templatized") is not None:
            users.append("templatized DCR")
        return users

    def unknown_scopes(self, names):
        return unknown_scopes(names, self.scopes)

    # -- writing -----------------------------------------------------------------------------
    def write(self, admin, plan, secret=None):
        """Apply ``plan``: one PATCH of the profile for everything a merge can do, then the removals.

        Removals cannot be merged (RFC 8040 plain PATCH): a client that loses scopes or a
        name is replaced (PUT of the client read whole, its secret hash included, which the
        server keeps as it is, as when a backup is restored: inferred), DCR scopes that shrink
        replace the ``scopes`` container, ``access-token-as-jwt`` is deleted, and a deleted
        client first leaves the DCR settings (PUT of them), then is deleted.
        """
        changes = dict((c.key, c) for c in plan.changes if c.changed)
        server, profile, later = {}, {}, []
        client = changes.get(CLIENT)
        if client is not None and client.action == _engine.DELETE:
            later.append(lambda: admin.delete(admin.client_path(self.client_id)))
        elif client is not None and _client_removes(client):
            later.append(lambda: self._replace_client(admin, client, secret))
        elif client is not None:
            entry = _client_entry({"id": self.client_id}, client, secret)
            put_path(server, ("client-store", "config-backed", "client"), [entry])
        dcr = changes.get(DCR)
        if dcr is not None:
            self._write_dcr(admin, dcr, server, later)
        issuer = changes.get(ISSUER)
        if issuer is not None and issuer.after["access_token_as_jwt"]:
            put_path(profile, ("token-issuers", "default-token-issuer", "access-token-as-jwt"), EMPTY)
        elif issuer is not None:
            later.append(lambda: admin.delete(admin.profile_path + "/token-issuers/default-token-issuer/access-token-as-jwt"))
        if server:
            profile["settings"] = {"profile-oauth:authorization-server": server}
        if profile:
            profile.update({"id": admin.profile_id, "type": OAUTH_SERVICE_IDENTITY})
            admin.patch(admin.profile_path, {"base:profile": [profile]})
        for step in later:
            step()

    def _replace_client(self, admin, change, secret):
        entry = top(admin.get(admin.client_path(self.client_id)), "client")
        if not isinstance(entry, dict):
            raise CurityError("Client %r disappeared while it was being updated; run the task again." % self.client_id)
        admin.put(admin.client_path(self.client_id), {"profile-oauth:client": [_client_entry(entry, change, secret)]})

    def _write_dcr(self, admin, change, server, later):
        if change.action == _engine.DELETE:  # before the client, which the settings may name
            later.insert(0, lambda: admin.delete(admin.path("dynamic-client-registration")))
            return
        if "authenticate_client_by" in change.after and self.client_id not in change.after["authenticate_client_by"]:
            later.insert(0, lambda: self._leave_dcr(admin))
            return
        fragment = _dcr_fragment(change)
        before = (change.before or {}).get("scopes")
        after = change.after.get("scopes")
        if isinstance(before, list) and isinstance(after, list) and set(before) - set(after):
            fragment["non-templatized"].pop("scopes")
            later.append(lambda: admin.put(admin.path("dynamic-client-registration", "non-templatized", "scopes"),
                                           {"profile-oauth:scopes": {"scope": after}}))
        if not fragment["non-templatized"]:
            del fragment["non-templatized"]
        if fragment:
            server["dynamic-client-registration"] = fragment

    def _leave_dcr(self, admin):
        """The DCR settings without this client in authenticate-client-by and management-clients (PUT)."""
        dcr = copy.deepcopy(self.dcr)
        for path in (("non-templatized", "authenticate-client-by"), ("client-management", "management-clients")):
            holder = dig(dcr, *path[:-1])
            values = [v for v in member(holder, path[-1]) or [] if v != self.client_id]
            if isinstance(holder, dict):
                set_member(holder, path[-1], values or None)
        admin.put(admin.path("dynamic-client-registration"), {"profile-oauth:dynamic-client-registration": dcr})


def _touched(change):
    return sorted(change.after) if change.action == _engine.CREATE else change.changed_fields()


def _client_removes(change):
    if change.action != _engine.UPDATE:
        return False
    before = change.before or {}
    for option in change.changed_fields():
        value = change.after.get(option)
        if option == "scopes" and set(before.get("scopes") or []) - set(value):
            return True
        if option in ("client_name", "description") and value == "":
            return True
    return False


def _client_entry(entry, change, secret):
    """``entry`` with the client options the change touches (the plain secret, never the mask)."""
    for option in _touched(change):
        if option == "client_credentials":
            put_path(entry, ("capabilities", "client-credentials"), EMPTY)
        elif option == "secret":
            set_member(entry, "secret", secret)
        else:
            value = change.after[option]
            set_member(entry, CLIENT_LEAVES[option], None if value in ("", []) else value)
    return entry


def _dcr_fragment(change):
    """The merge fragment of the DCR settings: what is added or set, never what is removed."""
    before = change.before or {}
    fragment, settings = {}, {}
    for option in _touched(change):
        value = change.after[option]
        added = sorted(set(value) - set(before.get(option) or [])) if isinstance(value, list) else []
        if option == "client_data_source":
            fragment["client-data-source"] = value
        elif option == "client_management":
            fragment["client-management"] = {}
        elif option == "capabilities":
            settings["capabilities"] = dict(DCR_CAPABILITIES[c] for c in added if c in DCR_CAPABILITIES)
        elif option == "client_authentication" and "secret" in added:
            settings["client-authentication-method"] = {"secret": {}}
        elif option == "authenticate_client_by":
            settings["authenticate-client-by"] = added
        elif option == "scopes":
            settings["scopes"] = {"all": EMPTY} if value == "all" else {"scope": value}
    fragment["non-templatized"] = settings
    return fragment
