# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The Curity Identity Server client: RESTCONF admin API and the OAuth runtime calls.

The objects the modules manage live in files of their own: ``_curity_lists.py`` (scopes and
claims) and ``_curity_credential.py`` (the DCR credential and what DCR needs around it).

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
* reads are plain GETs of exact subtrees with ``content=config`` (confirmed in Curity's
  scripts).  No read sends ``fields``: Curity's own client-migration tool stopped using even
  ``fields=id;type`` against a real server ("namespace issues"), so nothing here depends on
  it.  The list of profiles is read with ``depth=2``, as that tool does since (confirmed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import secrets
from contextlib import contextmanager
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.basic import env_fallback

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


def describe(value):
    """A short description of a JSON value for an error message (never the value of a long string)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "the boolean %s" % ("true" if value else "false")
    if isinstance(value, (int, float)):
        return "the number %s" % value
    if isinstance(value, str):
        return "the string %r" % value if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a %s" % type(value).__name__


def unexpected(where, field, value, expected):
    """The error for a field of an answer that is not what the collection reads there."""
    return CurityError("%s answered %s for %s of %s, where %s is expected; the collection cannot read this "
                       "configuration (is the server a supported Curity version?)." % (
                           ADMIN_SERVICE, describe(value), field, where, expected))


def text_of(obj, name, where, default=None):
    """The string member ``name`` of ``obj`` (``default`` when absent), else a clear error."""
    value = member(obj, name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise unexpected(where, name, value, "a string")
    return value


def strings_of(obj, name, where):
    """The leaf-list member ``name`` of ``obj`` as a list of strings ([] when absent)."""
    value = member(obj, name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise unexpected(where, name, value, "a list of strings")
    return list(value)


def object_of(obj, name, where):
    """The container member ``name`` of ``obj`` (None when absent), else a clear error."""
    value = member(obj, name)
    if value is not None and not isinstance(value, dict):
        raise unexpected(where, name, value, "an object")
    return value


def entries_of(obj, name, where, key_name):
    """The list member ``name`` of ``obj``: its entries, each an object with a string key ``key_name``."""
    value = member(obj, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise unexpected(where, name, value, "a list of entries")
    for entry in value:
        if not isinstance(entry, dict):
            raise unexpected(where, "an entry of %s" % name, entry, "an object")
        text_of(entry, key_name, "an entry of %s in %s" % (name, where))
        if member(entry, key_name) is None:
            raise unexpected(where, "the key %s of an entry of %s" % (key_name, name), None, "a string")
    return value


def scalar_of(obj, name, where, kind, default=None):
    """The ``bool`` or ``int`` member ``name`` of ``obj`` (``default`` when absent), else a clear error."""
    value = member(obj, name)
    if value is None:
        return default
    valid = isinstance(value, bool) if kind is bool else isinstance(value, int) and not isinstance(value, bool)
    if not valid:
        raise unexpected(where, name, value, "a boolean" if kind is bool else "an integer")
    return value


def present(obj, name):
    """Whether ``obj`` has the member ``name`` (an ``empty`` leaf, a presence container, any value)."""
    return member(obj, name) is not None


def unknown_scopes(names, scopes):
    """The ``names`` that are neither the id of one of the RFC 7951 ``scopes`` nor under a prefix scope."""
    ids = set(member(s, "id") for s in scopes)
    prefixes = [member(s, "id") for s in scopes if scalar_of(s, "is-prefix", "scope %r" % member(s, "id"), bool)]
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
        self._profile_checked = False

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
                              read_only=module.check_mode, observer=getattr(module, "request_observer", None),
                              **options)
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

    def profile_sub(self, *steps):
        """A path below the profile entry itself (``token-issuers``, ``endpoints``); ``steps`` are encoded."""
        return "/".join((self.profile_path,) + steps)

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

    def get(self, path, missing_ok=False, query=None):
        """The JSON object of a plain GET of configuration data; None when absent (404) and ``missing_ok``.

        Only ``content=config`` (and ``query``) is sent, never ``fields``.  A 204 stands for "no data".
        """
        params = {"content": "config"}
        params.update(query or {})
        try:
            reply = self._send("GET", self._with_query(path, params), headers=self.HEADERS, expect=(200, 204))
        except HttpError as exc:
            if exc.status == 404 and missing_ok:
                return None
            raise
        body = reply.json if reply.status == 200 and reply.json is not None else {}
        if not isinstance(body, dict):
            raise CurityError("%s: GET %s answered %s, not a JSON object; is admin_url the RESTCONF base "
                              "(.../admin/api/restconf)?" % (ADMIN_SERVICE, self.transport.url(path), describe(body)))
        return body

    def read(self, path, name, where):
        """The object (a container, or the one entry of a list) a GET of ``path`` answers as ``name``.

        None when it does not exist (404, or an answer without it).  A 404 may also mean a wrong
        profile or admin_url: the first one of a run is checked once (``require_profile``).
        """
        body = self.get(path, missing_ok=True)
        if body is None:
            self.require_profile()
            return None
        node = self.answered(body, name, path)
        if isinstance(node, list):
            if len(node) != 1:
                raise unexpected(where, name, node, "one entry")
            node = node[0]
        if node is not None and not isinstance(node, dict):
            raise unexpected(where, name, node, "an object")
        return node

    def read_entries(self, path, name, where, key_name="id"):
        """The entries of the list a GET of ``path`` answers as ``name`` ([] when it has none)."""
        body = self.get(path, missing_ok=True)
        if body is None:
            return []
        self.answered(body, name, path)
        return entries_of(body, name, where, key_name)

    def answered(self, body, name, path):
        """The member ``name`` of the answer ``body`` to a GET of ``path`` (None when the answer holds no data).

        The answer to a GET of a data resource is an object whose member is that resource (RFC 8040 section 3.5,
        RFC 7951 section 4; inferred).  ``{}`` (like a 204) holds no data; a non-empty object without the member
        answers something else (another service behind admin_url, a proxy, an echo of the request): it is never
        read as "absent", which would plan writes.
        """
        value = member(body, name)
        if value is None and body:
            raise CurityError("%s: GET %s answered a JSON object without %s, the data asked for; the collection cannot "
                              "read this answer (is admin_url the RESTCONF base, .../admin/api/restconf, of a Curity "
                              "admin service?)." % (ADMIN_SERVICE, self.transport.url(path), name))
        return value

    def exists(self, path):
        """Whether a GET of ``path``, the key leaf of an entry (``.../<list>=<key>/id``), finds data."""
        body = self.get(path, missing_ok=True)
        return body is not None and self.answered(body, local_name(path.rpartition("/")[2]), path) is not None

    def facility_exists(self, path, entry_id):
        """Whether the entry ``entry_id`` of a list under ``base:facilities`` exists (one GET of its key leaf).

        Curity's configuration keeps data sources (``data-sources/data-source``), signing keys
        (``crypto/signing-keys/signing-key``) and signature verification keys
        (``crypto/signature-verification-keys/signature-verification-key``) under ``facilities``,
        keyed by ``id`` (confirmed in Curity's configuration exports); the URL follows RFC 8040
        section 3.5.3 (inferred).
        """
        return self.exists("data/base:facilities/%s=%s/id" % (path, key(entry_id)))

    def data_source_exists(self, source_id):
        return self.facility_exists("data-sources/data-source", source_id)

    def require_profile(self):
        """Fail clearly, once per run, when the profile (or the RESTCONF API at admin_url) is not there.

        Reads the profiles' ids and types with ``depth=2``, as Curity's own tooling does.
        """
        if self._profile_checked:
            return
        path = "data/base:profiles/profile"
        body = self.get(path, missing_ok=True, query={"depth": "2"})
        if body is None and not self.is_restconf_root():
            raise CurityError(
                "%s: admin_url %s is not the RESTCONF API of the Curity admin service (GET %s answered 404, and GET %s "
                "did not answer as a RESTCONF root): admin_url ends in /admin/api/restconf, for example "
                "https://idsvr-admin:6749/admin/api/restconf." % (
                    ADMIN_SERVICE, self.transport.base_url, self.transport.url(path), self.transport.base_url))
        self.answered(body or {}, "profile", path)
        profiles = entries_of(body or {}, "profile", "the list of profiles", "id")
        oauth = sorted(text_of(p, "id", "a profile") for p in profiles
                       if local_name(text_of(p, "type", "profile %r" % member(p, "id"), "")) == OAUTH_SERVICE)
        if self.profile_id not in oauth:
            raise CurityError(
                "%s has no OAuth profile %r of type oauth-service (a GET below it answered 404; the server's token "
                "service profiles: %s): check profile_id (CURITY_PROFILE_ID); it is the id of the token service profile."
                % (ADMIN_SERVICE, self.profile_id, ", ".join(repr(p) for p in oauth) or "none"))
        self._profile_checked = True

    @staticmethod
    def _with_query(path, query):
        # ';', '/', '(' ')' and ':' are legal in a query (RFC 3986) and are what RESTCONF examples send.
        return "%s?%s" % (path, urlencode(sorted(query.items()), safe=";/():,"))

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
                         read_only=self.module.check_mode, observer=getattr(self.module, "request_observer", None),
                         **self.options)

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
