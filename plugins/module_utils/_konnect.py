# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""Kong Konnect clients: the admin API (token) and a Dev Portal's developer API (login).

* ``konnect_argument_spec()`` / ``portal_argument_spec()``: the one argspec of each option set
  (documented by the ``devportal.dcr.konnect`` and ``devportal.dcr.konnect.portal`` fragments);
* ``KonnectAdmin``: ``Authorization: Bearer`` on ``https://<region>.api.konghq.com``, lookups by
  name (``filter[name][eq]`` and an exact match here, every page read), portal generation
  detection (new Dev Portal ``/v3/portals``, classic ``/v2/portals``);
* ``DeveloperPortal``: the portal's own domain, ``/api/v3`` or ``/api/v2``, with the
  ``portalaccesstoken`` cookie obtained through ``developer/authenticate``;
* plain functions for input checks, issuer normalisation and the credentials file.

Every HTTP request goes through ``_http.Transport``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import json
import os
import re
import stat
import tempfile
import time
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.devportal.dcr.plugins.module_utils import _engine, _http

DEFAULT_KONNECT_URL = "https://us.api.konghq.com"
DEFAULT_TIMEOUT = 30
PAGE_SIZE = 100
MAX_PAGES = 1000
PORTAL_APIS = ("auto", "v3", "v2")
SESSION_COOKIE = "portalaccesstoken"
WELL_KNOWN = "/.well-known/openid-configuration"
RESERVED_LABEL_PREFIXES = ("kong", "konnect", "mesh", "kic", "_")
LABEL_VALUE = re.compile(r"^[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z]+)?$")
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class KonnectError(Exception):
    """A clear, one-paragraph reason why the task cannot go on (never carries a secret)."""


# --------------------------------------------------------------------------- argument specs
def portal_api_option():
    """The ``portal_api`` option: which Dev Portal generation to talk to."""
    return dict(type="str", default="auto", choices=list(PORTAL_APIS))


def konnect_argument_spec():
    """The Konnect admin options (fragment ``devportal.dcr.konnect``, action group ``konnect``)."""
    return dict(
        konnect_url=dict(type="str", default=DEFAULT_KONNECT_URL, fallback=(env_fallback, ["KONNECT_URL"])),
        konnect_token=dict(type="str", no_log=True, fallback=(env_fallback, ["KONNECT_TOKEN"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["KONNECT_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["KONNECT_CA_PATH"])),
        timeout=dict(type="int", default=DEFAULT_TIMEOUT, fallback=(env_fallback, ["KONNECT_TIMEOUT"])),
    )


def portal_argument_spec():
    """The Dev Portal developer options (fragment ``devportal.dcr.konnect.portal``)."""
    return dict(
        portal_url=dict(type="str", fallback=(env_fallback, ["KONNECT_PORTAL_URL"])),
        developer_email=dict(type="str", fallback=(env_fallback, ["KONNECT_DEVELOPER_EMAIL"])),
        developer_password=dict(type="str", no_log=True, fallback=(env_fallback, ["KONNECT_DEVELOPER_PASSWORD"])),
        portal_api=portal_api_option(),
    )


# Options that are required, but may come from the environment instead (so the argument spec
# cannot mark them required): checked before any request.
REQUIRED_PORTAL = (("portal_url", "KONNECT_PORTAL_URL"), ("developer_email", "KONNECT_DEVELOPER_EMAIL"),
                   ("developer_password", "KONNECT_DEVELOPER_PASSWORD"))


def require_options(params, pairs):
    """Raise KonnectError naming each option of ``pairs`` (option, variable) that is neither set nor in the environment."""
    missing = ["%s (or %s in the environment)" % (option, variable) for option, variable in pairs
               if params.get(option) in (None, "")]
    if missing:
        raise KonnectError("missing required arguments: %s." % ", ".join(missing))


# --------------------------------------------------------------------------- input checks
def shown_url(value):
    """``value`` as it may appear in a message: never with the user and password of a URL."""
    text = _http.redact_url(value or "")
    return "<a URL with credentials, not shown>" if "@" in text else text


def check_no_credentials(value, option):
    """Raise KonnectError when the URL ``value`` carries a user or password (the message does not show them)."""
    try:
        parts = urlsplit(value or "")
        credentials = parts.username is not None or parts.password is not None
    except ValueError:
        credentials = "@" in (value or "")
    if credentials:
        raise KonnectError("%s must not carry credentials (user:password@); give the token or the developer password in "
                           "their own options." % option)
    return value


def check_http_url(value, option):
    """Raise KonnectError unless ``value`` is an absolute http(s) URL with a host, and no credentials in it.

    Messages never show the user and password of a URL.
    """
    check_no_credentials(value, option)
    try:
        parts = urlsplit(value or "")
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        raise KonnectError("%s must be an absolute http:// or https:// URL with a host name, got %r."
                           % (option, shown_url(value)))
    if parts.query or parts.fragment:
        raise KonnectError("%s must not carry a query string or a fragment, got %r." % (option, shown_url(value)))
    return value.rstrip("/")


def check_konnect_url(value):
    """The admin base URL: any region host, without the API version in the path."""
    url = check_http_url(value, "konnect_url")
    if re.search(r"/v[0-9]+$", urlsplit(url).path):
        raise KonnectError("konnect_url is the region's base URL without an API version (for example "
                           "https://eu.api.konghq.com), got %r." % shown_url(value))
    return url


# Schemes whose URIs a browser executes or renders itself; never a redirect URI.
SCRIPT_SCHEMES = ("javascript", "data", "vbscript", "file", "about", "blob")


def check_redirect_uri(value):
    """Raise KonnectError unless ``value`` is an absolute URI usable as an OAuth redirect URI."""
    parts = urlsplit(value) if value and not any(c.isspace() for c in value) else None
    # "#" alone is an (empty) fragment too: OAuth redirect URIs must not carry one (RFC 6749, 3.1.2).
    ok = parts is not None and URI_SCHEME.match(parts.scheme or "") and "#" not in value
    if ok and parts.scheme.lower() in SCRIPT_SCHEMES:
        raise KonnectError("redirect_uri must not use the %s: scheme: a browser runs or renders such a URI instead of "
                           "handing the authorization response to the application (RFC 7591, section 5; RFC 9700, "
                           "section 4.1), got %r." % (parts.scheme.lower(), value))
    if ok and parts.scheme.lower() in ("http", "https"):
        ok = bool(parts.netloc)
    elif ok:
        ok = bool(parts.netloc or parts.path)
    if not ok:
        raise KonnectError("redirect_uri must be an absolute URI without a fragment (for example "
                           "https://app.example.com/callback or com.example.app:/callback), got %r." % value)
    return value


def canonical_issuer(value):
    """The issuer without its discovery suffix or trailing slash: the form compared with Konnect's."""
    issuer = (value or "").strip()
    while issuer.endswith("/"):
        issuer = issuer[:-1]
    if issuer.endswith(WELL_KNOWN):
        issuer = issuer[:-len(WELL_KNOWN)]
    return issuer.rstrip("/")


def check_issuer(value):
    """The issuer as sent to Konnect (trailing slash removed); either form of the Curity issuer is accepted."""
    issuer = check_http_url((value or "").strip(), "issuer")
    if len(issuer) > 256:
        raise KonnectError("issuer is longer than the 256 characters Konnect accepts.")
    return issuer


def check_length(value, option, maximum, minimum=0):
    """Raise KonnectError unless the string ``value`` (None is skipped) has ``minimum`` to ``maximum`` characters.

    The message gives the option, the limit and the length, never the value (it may be a secret).
    """
    if value is None:
        return value
    if not minimum <= len(value) <= maximum:
        if minimum:
            limit = "%d to %d characters long" % (minimum, maximum)
        else:
            limit = "at most %d characters long" % maximum
        raise KonnectError("%s must be %s (Konnect refuses anything else), got %d characters." % (option, limit, len(value)))
    return value


def check_items(values, option, max_items, max_length):
    """Raise KonnectError unless the list ``values`` has at most ``max_items`` strings of at most ``max_length``."""
    values = values or []
    if len(values) > max_items:
        raise KonnectError("%s accepts at most %d items in Konnect, got %d." % (option, max_items, len(values)))
    for index, value in enumerate(values):
        if len(value) > max_length:
            raise KonnectError("%s: item %d (%r...) is %d characters long; Konnect accepts at most %d."
                               % (option, index + 1, value[:20], len(value), max_length))
    return values


def check_labels(labels):
    """Konnect's label rules, checked before anything is sent."""
    labels = labels or {}
    if len(labels) > 50:
        raise KonnectError("labels: Konnect accepts at most 50 labels, got %d." % len(labels))
    for key, value in labels.items():
        if not 1 <= len(key) <= 63 or key.startswith(RESERVED_LABEL_PREFIXES):
            raise KonnectError("labels: the key %r must be 1 to 63 characters long and must not start with %s."
                               % (key, ", ".join(RESERVED_LABEL_PREFIXES)))
        if not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value):
            raise KonnectError("labels: the value of %r must be a string of 1 to 63 letters, digits, '.', '_' or '-', "
                               "starting and ending with a letter or digit." % key)
    return labels


def is_uuid(value):
    return bool(UUID.match(value or ""))


def split_versioned(ref):
    """``NAME/VERSION`` -> (NAME, VERSION); (ref, None) without a slash."""
    if "/" not in ref:
        return ref, None
    name, version = ref.rsplit("/", 1)
    return name, version


def api_label(api):
    """``NAME/VERSION`` of an API, or ``NAME`` when it has no version."""
    return "%s/%s" % (api.get("name"), api["version"]) if api.get("version") else str(api.get("name"))


def publication_strategy_ids(publication):
    """The auth strategy ids of an API publication (``auth_strategy_ids``, may be null) or of a classic
    portal product version (``auth_strategies[].id``); None when there is no publication.
    """
    if publication is None:
        return None
    if "auth_strategies" in publication:
        return [s.get("id") for s in publication.get("auth_strategies") or []]
    return list(publication.get("auth_strategy_ids") or [])


# --------------------------------------------------------------------------- views (what modules compare and return)
OIDC = "openid-connect"


def provider_view(provider):
    """A DCR provider in the terms of konnect_portal_dcr (no secret: Konnect never returns one)."""
    if provider is None:
        return None
    return {"name": provider["name"], "issuer": canonical_issuer(provider.get("issuer")),
            "initial_client_id": (provider.get("dcr_config") or {}).get("initial_client_id"),
            "labels": provider.get("labels") or {}}


def strategy_view(strategy):
    """An application auth strategy in the terms of konnect_portal_dcr."""
    if strategy is None:
        return None
    oidc = dict((strategy.get("configs") or {}).get(OIDC) or {})
    oidc["issuer"] = canonical_issuer(oidc.get("issuer"))
    return {"name": strategy["name"], "display_name": strategy.get("display_name"),
            "dcr_provider": (strategy.get("dcr_provider") or {}).get("name"), "configs": {OIDC: oidc},
            "labels": strategy.get("labels") or {}}


SECRET_SETTING_WORDS = ("secret", "password", "private_key")


def masked_settings(value):
    """``value`` with the value of every setting whose name names a secret (``client_secret``, ...) masked.

    Konnect's strategy settings hold no secret today; an info module's result must stay free of
    one even if a future setting does.
    """
    if isinstance(value, dict):
        return dict((k, _engine.SECRET_MASK if any(w in str(k).lower() for w in SECRET_SETTING_WORDS)
                     and v not in (None, "", []) else masked_settings(v)) for k, v in value.items())
    if isinstance(value, list):
        return [masked_settings(v) for v in value]
    return value


def registration_view(item, generation, labels=None):
    """``{"id", "target", "target_id", "status"}`` of a registration read from the developer or the admin API.

    ``target`` has one form, whatever the API that answered: ``NAME/VERSION`` of the API (``NAME`` when it has no
    version, as ``api_label``) or ``PRODUCT/VERSION`` of the product version.  ``labels`` (target id -> label) wins:
    the developer API's v3 registrations carry no API version.
    """
    if generation == "v3":
        api = item.get("api") or {}
        target_id = item.get("api_id") or api.get("id")
        label = api_label({"name": item.get("api_name") or api.get("name"),
                           "version": item.get("api_version") or api.get("version")})
    else:
        target_id = item.get("product_version_id") or (item.get("product_version") or {}).get("id")
        label = "%s/%s" % (item.get("product_name") or (item.get("product") or {}).get("name"),
                           item.get("product_version_name") or (item.get("product_version") or {}).get("name"))
    return {"id": item.get("id"), "target": (labels or {}).get(target_id, label), "target_id": target_id,
            "status": item.get("status")}


# --------------------------------------------------------------------------- what Konnect answers, checked
# Every field the collection reads from a Konnect answer, by kind of object: "str" must be a string, "str?" a
# string or null (or absent), "bool?" a boolean or null, "obj?" an object or null, "strs?" an array of strings or
# null, "objs?" an array of objects or null; a dict is a nested object (null or absent allowed) checked the same
# way; ("objs", SHAPE) is an array of such objects.  Fields not named here are never read.  An answer that breaks
# them is an ``HttpError`` naming the object and the field (``conform``), never a traceback further on.
REFERENCE = {"id": "str?", "name": "str?"}
SHAPES = {
    "DCR provider": {"id": "str", "name": "str", "provider_type": "str?", "issuer": "str?",
                     "dcr_config": {"initial_client_id": "str?"}, "labels": "obj?"},
    "application auth strategy": {
        "id": "str", "name": "str", "display_name": "str?", "strategy_type": "str?", "labels": "obj?",
        "dcr_provider": REFERENCE,
        "configs": {OIDC: {"issuer": "str?", "credential_claim": "strs?", "scopes": "strs?", "auth_methods": "strs?"}}},
    "Dev Portal": {"id": "str", "name": "str", "default_application_auth_strategy_id": "str?", "default_domain": "str?",
                   "canonical_domain": "str?", "custom_domain": "str?"},
    "API": {"id": "str", "name": "str", "version": "str?"},
    "API publication": {"api_id": "str?", "portal_id": "str?", "auth_strategy_ids": "strs?", "visibility": "str?",
                        "auto_approve_registrations": "bool?"},
    "portal product version": {"id": "str?", "product_version_id": "str?", "auth_strategies": ("objs", REFERENCE),
                               "publish_status": "str?"},
    "API product": {"id": "str", "name": "str", "portal_ids": "strs?"},
    "API product version": {"id": "str", "name": "str", "gateway_service": {"id": "str?"},
                            "portals": ("objs", {"portal_id": "str?", "portal_name": "str?", "publish_status": "str?",
                                                 "auth_strategies": ("objs", REFERENCE)})},
    "API implementation": {"id": "str?", "api_id": "str?", "service": {"id": "str?"}},
    "application": {"id": "str", "name": "str", "description": "str?", "redirect_uri": "str?", "client_id": "str?",
                    "reference_id": "str?", "client_secret": "str?", "auth_strategy": REFERENCE,
                    "credentials": {"client_id": "str?", "client_secret": "str?"}, "developer": REFERENCE,
                    "owner": REFERENCE},
    "registration": {"id": "str", "status": "str?", "api_id": "str?", "api_name": "str?", "api_version": "str?",
                     "api": {"id": "str?", "name": "str?", "version": "str?"}, "product_version_id": "str?",
                     "product_version": REFERENCE, "product_version_name": "str?", "product_name": "str?",
                     "product": REFERENCE},
    "auth strategy": {"id": "str", "name": "str?"},
    "new client secret": {"client_id": "str?", "client_secret": "str?"},
    "verification": {"status": "str", "errors": "strs?"},
}
# (path pattern, kind of object answered there, alone or as the items of a list); the first match wins.
ANSWERS = (
    (r"^/v2/dcr-providers/[^/]+/verify$", "verification"),
    (r"^/v2/dcr-providers(/[^/]+)?$", "DCR provider"),
    (r"^/v2/application-auth-strategies(/[^/]+)?$", "application auth strategy"),
    (r"^/v[23]/portals/[^/]+/applications/[^/]+/registrations(/[^/]+)?$", "registration"),
    (r"^/v[23]/portals/[^/]+/applications(/[^/]+)?$", "application"),
    (r"^/v2/portals/[^/]+/product-versions(/[^/]+)?$", "portal product version"),
    (r"^/v3/(apis/[^/]+/publications/[^/]+|api-publications|portals/[^/]+/api-publications)$", "API publication"),
    (r"^/v3/api-implementations$", "API implementation"),
    (r"^/v[23]/portals(/[^/]+)?$", "Dev Portal"),
    (r"^/(api/)?v3/apis(/[^/]+)?$", "API"),
    (r"^/v2/api-products(/[^/]+)?$", "API product"),
    (r"^/v2/api-products/[^/]+/product-versions(/[^/]+)?$", "API product version"),
    (r"^/api/v3/application-auth-strategies$|^/api/v2/applications/auth-strategies$", "auth strategy"),
    (r"^/api/v3/applications/[^/]+/regenerate-secret$|^/api/v2/applications/[^/]+/refresh-token$", "new client secret"),
    (r"^/api/v[23]/applications/[^/]+/registrations(/[^/]+)?$", "registration"),
    (r"^/api/v[23]/applications(/[^/]+)?$", "application"),
    (r"^/api/v2/products(/[^/]+)?$", "API product"),
    (r"^/api/v2/products/[^/]+/versions(/[^/]+)?$", "API product version"),
)
KINDS = {"str": "a string", "bool": "a boolean", "obj": "an object", "strs": "an array of strings",
         "objs": "an array of objects"}


def answered_kind(path):
    """The kind of object Konnect answers at ``path`` (see ``ANSWERS``), or None."""
    path = urlsplit(path).path
    for pattern, kind in ANSWERS:
        if re.search(pattern, path):
            return kind
    return None


def _json_kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _fits(value, kind):
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "obj":
        return isinstance(value, dict)
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)  # objs


def shape_problem(item, shape, prefix=""):
    """What is wrong with ``item`` against ``shape`` (see ``SHAPES``) in words, naming the field; None when it fits."""
    for name, want in shape.items():
        field = prefix + name
        present = name in item and item[name] is not None
        value = item.get(name)
        if isinstance(want, dict):
            if not present:
                continue
            if not isinstance(value, dict):
                return "%s is %s, not an object" % (field, _json_kind(value))
            problem = shape_problem(value, want, field + ".")
            if problem:
                return problem
            continue
        if isinstance(want, tuple):  # ("objs", SHAPE)
            if not present:
                continue
            if not _fits(value, "objs"):
                return "%s is %s, not an array of objects" % (field, _json_kind(value))
            for index, element in enumerate(value):
                problem = shape_problem(element, want[1], "%s[%d]." % (field, index))
                if problem:
                    return problem
            continue
        kind, optional = want.rstrip("?"), want.endswith("?")
        if not present:
            if not optional:
                return "%s is %s (expected %s)" % (field, "missing" if name not in item else "null", KINDS[kind])
            continue
        if not _fits(value, kind):
            if kind in ("strs", "objs") and isinstance(value, list):
                bad = [element for element in value if not _fits(element, kind[:-1])][0]
                return "%s holds %s, not only %ss" % (field, _json_kind(bad), KINDS[kind[:-1]].split(" ", 1)[1])
            return "%s is %s, not %s" % (field, _json_kind(value), KINDS[kind])
    return None


def object_label(kind, item, index=None):
    """``the DCR provider 'curity' (id ...)`` as far as the object's own name and id can say (else its place)."""
    name, object_id = item.get("name"), item.get("id")
    if isinstance(name, str) and isinstance(object_id, str):
        return "the %s %r (id %s)" % (kind, name, object_id)
    if isinstance(object_id, str):
        return "the %s with id %s" % (kind, object_id)
    if isinstance(name, str):
        return "the %s %r" % (kind, name)
    return "the %s" % kind if index is None else "the %s %s of the list" % (_ordinal(index), kind)


def _ordinal(index):
    number = index + 1
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return "%d%s" % (number, suffix)


def conform(kind, item, index=None):
    """None when ``item`` fits the shape of ``kind``, else one sentence naming the object and the field.

    An object with none of the fields of its kind (an echo of the request, another service's answer) is not one,
    even where every field may be absent.
    """
    if item and not any(name in item for name in SHAPES[kind]):
        return "%s has none of the fields of one (%s)" % (object_label(kind, item, index), ", ".join(sorted(SHAPES[kind])))
    problem = shape_problem(item, SHAPES[kind])
    if problem is None:
        return None
    return "in %s, %s" % (object_label(kind, item, index), problem)


# --------------------------------------------------------------------------- eventual consistency
# Konnect is eventually consistent right after set-up: kongctl's end-to-end harness, which runs against a real
# organisation, retries creating an application (6 times, 5 s apart) and waits for "portal caches" after
# configuring a portal (the evidence audit of Kong's tools, section 5).  What a fresh auth strategy, portal
# default, publication, registration or DCR credential can make fail for a while is retried with these waits
# between attempts (the last one repeated), within the task's settle_timeout; only where a retry cannot
# duplicate anything (see the callers).
SETTLE_DELAYS = (1, 2, 3, 5, 8)
SETTLE_ATTEMPTS = 6
DEFAULT_SETTLE_TIMEOUT = 20
# What such a refusal looks like: the strategy, the API or the reference is not there yet (400 or 404), or a
# conflict with a state Konnect has already left (409).
SETTLING_STATUSES = (400, 404, 409)


def settle_option():
    """The ``settle_timeout`` option (fragment ``devportal.dcr.konnect.settle``)."""
    return dict(type="int", default=DEFAULT_SETTLE_TIMEOUT)


class NotYet(KonnectError):
    """What a settle loop looks for is not there (yet); the message is the error if it never comes."""


def settling(exc):
    """Whether ``exc`` is a refusal that a change Konnect has not finished spreading can explain."""
    return isinstance(exc, NotYet) or (isinstance(exc, _http.HttpError) and exc.status in SETTLING_STATUSES)


class Settle:
    """Retries, bounded in count (``SETTLE_ATTEMPTS``) and time (``timeout`` seconds), of one step.

    ``run(attempt, retry)`` calls ``attempt()`` until it returns; when it raises, ``retry(exc)`` decides
    whether another attempt may follow (False re-raises at once).  Once the attempts or the time are used up,
    the last exception is raised.  ``retried`` counts the attempts sent again.
    """

    def __init__(self, timeout, sleep=time.sleep, clock=time.monotonic):
        if timeout < 0:
            raise KonnectError("settle_timeout must be 0 or more seconds, got %d." % timeout)
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.retried = 0

    def run(self, attempt, retry=settling):
        deadline = self.clock() + self.timeout
        for number in range(SETTLE_ATTEMPTS):
            try:
                return attempt()
            except (_http.HttpError, KonnectError) as exc:
                wait = SETTLE_DELAYS[min(number, len(SETTLE_DELAYS) - 1)]
                if not retry(exc) or number + 1 >= SETTLE_ATTEMPTS or self.clock() + wait > deadline:
                    raise
            self.retried += 1
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, post, find):
        """``(answer, None)`` of the POST ``post()``, sent again only while a refusal it met may pass and the read
        ``find()`` that follows it shows that nothing was created; ``(None, found)`` when that read finds the object
        (Konnect created it after all: never a second one).  Any other failure is raised."""
        seen = {}

        def retry(exc):
            seen.pop("found", None)
            if not settling(exc):
                return False
            seen["found"] = find()
            return seen["found"] is None

        try:
            return self.run(post, retry), None
        except (_http.HttpError, KonnectError):
            if seen.get("found") is not None:
                return None, seen["found"]
            raise


# --------------------------------------------------------------------------- transports
def _transport(module, base_url, service, auth=None):
    params = module.params
    if params["timeout"] < 1:
        raise KonnectError("timeout must be at least 1 second, got %d." % params["timeout"])
    if params["ca_path"] and not os.path.exists(params["ca_path"]):
        raise KonnectError("ca_path %r does not exist; give the PEM file (or folder) of the CA that signs the "
                           "certificates of Konnect and of the Dev Portal." % params["ca_path"])
    if not params["validate_certs"]:
        module.warn("validate_certs is false: the TLS certificate of %s is not checked." % shown_url(base_url))
    return _http.Transport(base_url, auth=auth, validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                           timeout=params["timeout"], warn=module.warn, service=service, read_only=module.check_mode,
                           observer=getattr(module, "request_observer", None))


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class CookieAuth:
    """Sends the portal session cookie as an auth object (so the cookie jar and .netrc play no part)."""

    def __init__(self, name, value):
        self.header = "%s=%s" % (name, value)

    def __call__(self, request):
        request.headers["Cookie"] = self.header
        return request


# --------------------------------------------------------------------------- shared client logic
class PagedClient:
    """Reads for Konnect's ``{data, meta.page}`` lists, one transport."""

    def __init__(self, transport):
        self.transport = transport

    def get(self, path, params=None):
        """The JSON object of a GET, or None on 404."""
        try:
            reply = self._call("GET", path, params=params, expect=(200,))
        except _http.HttpError as exc:
            if exc.status == 404:
                return None
            raise
        return self._object(reply, "GET", path)

    def send(self, method, path, body=None, expect=(200, 201, 204), write=None):
        """The JSON object answered to a write (None for an empty answer)."""
        return self._object(self._call(method, path, json_body=body, expect=expect, write=write), method, path)

    def _call(self, method, path, **kwargs):
        """Every request of the client goes through here (subclasses explain some failures better)."""
        return self.transport.request(method, path, **kwargs)

    def _object(self, reply, method, path, what="a JSON object"):
        """``reply.json`` when it is a JSON object or empty; an ``HttpError`` naming the answer otherwise.

        An object of a kind the collection reads (``answered_kind``) must have the shape of ``SHAPES``; an expected
        answer that is not a success (a 404 to a DELETE, say) is a problem document, not that object.
        """
        if reply.json is None:
            return reply.json
        if isinstance(reply.json, dict):
            kind = answered_kind(path) if what == "a JSON object" and 200 <= reply.status < 300 else None
            problem = conform(kind, reply.json) if kind else None
            if problem:
                raise self._unusable(method, path, problem)
            return reply.json
        raise _http.HttpError(method, self.transport.url(path), 0, "", "expected %s but got a JSON %s (HTTP %d)"
                              % (what, type(reply.json).__name__.replace("list", "array").replace("str", "string"),
                                 reply.status), None, self.transport.service)

    def _unusable(self, method, path, problem):
        """The ``HttpError`` of an answer whose content the collection cannot use."""
        return _http.HttpError(method, self.transport.url(path), 0, "", problem, None, self.transport.service)

    def list_all(self, path, params=None):
        """Every item of a paginated list (``page[size]=100``, ``page[number]`` from 1, ``meta.page``).

        An answer that is not such a page (not an object, ``data`` not an array of objects,
        ``meta.page`` numbers that are not numbers) is an ``HttpError``, never a traceback.
        """
        items = []
        number = 1
        while True:
            query = dict(params or {})
            query.update({"page[size]": PAGE_SIZE, "page[number]": number})
            reply = self._call("GET", path, params=query, expect=(200,))
            body = self._object(reply, "GET", path, "a JSON object with data and meta.page") or {}
            # Every list answer of Kong's OpenAPI files has its items in ``data``, an array: an object without it (an
            # echo of the request, another service's answer) is no page, never an empty list.
            data = body.get("data")
            meta = body.get("meta") or {}
            page = (meta.get("page") if isinstance(meta, dict) else None) or {}
            total = page.get("total") if isinstance(page, dict) else "?"
            size = (page.get("size") if isinstance(page, dict) else None) or PAGE_SIZE
            problem = None
            if "data" not in body:
                problem = "it has no data array"
            elif not isinstance(data, list):
                problem = "data is %s, not an array of objects" % _json_kind(data)
            elif not all(isinstance(item, dict) for item in data):
                problem = "data is not an array of objects"
            elif not _is_count(size) or not (total is None or _is_count(total)):
                problem = "meta.page has size %r and total %r, not numbers" % (size, total)
            if problem:
                raise _http.HttpError("GET", self.transport.url(path), 0, "", "not a list page: %s" % problem, None,
                                      self.transport.service)
            kind = answered_kind(path)
            for index, item in enumerate(data if kind else []):
                problem = conform(kind, item, len(items) + index)
                if problem:
                    raise self._unusable("GET", path, problem)
            items.extend(data)
            if not data or total is None or number * size >= total or len(items) >= total:
                return items
            number += 1
            if number > MAX_PAGES:
                raise KonnectError("%s lists more than %d pages; refusing to read further." % (path, MAX_PAGES))

    def find_by_name(self, path, name, what, params=None):
        """The one object named exactly ``name`` (None if absent); a clear error when several are."""
        query = dict(params or {})
        query["filter[name][eq]"] = name
        matches = [item for item in self.list_all(path, query) if item.get("name") == name]
        if len(matches) > 1:
            raise KonnectError(
                "%d %s are named %r (ids %s); this task identifies them by name, so the name must be unique. "
                "Rename or delete the extra ones, then run the task again."
                % (len(matches), what, name, ", ".join(sorted(str(m.get("id")) for m in matches))))
        return matches[0] if matches else None

    def names(self, path, params=None, label=None):
        """Sorted names of a list (for 'did you mean' errors); empty when the list cannot be read."""
        label = label or (lambda item: str(item.get("name")))
        try:
            return sorted(set(label(item) for item in self.list_all(path, params)))
        except (_http.HttpError, _http.TransportError, KonnectError):
            return []

    def named(self, path, name):
        """Every item of ``path`` named exactly ``name``."""
        return [item for item in self.list_all(path, {"filter[name][eq]": name}) if item.get("name") == name]

    def find_api(self, apis_path, ref, missing_ok=False):
        """An API (new Dev Portal) by id, ``NAME`` or ``NAME/VERSION``: ``{"id", "label"}``.

        With ``missing_ok``, None when no API matches (several matching is still an error).
        """
        if is_uuid(ref):
            api = self.get("%s/%s" % (apis_path, ref))
            found = [api] if api else []
        else:
            found = self.named(apis_path, ref)
            if not found and "/" in ref:
                name, version = split_versioned(ref)
                found = [api for api in self.named(apis_path, name) if api.get("version") == version]
        if len(found) > 1:
            raise KonnectError("Several APIs are named %r (%s): name one as NAME/VERSION or by its id."
                               % (ref, ", ".join(sorted(api_label(api) for api in found))))
        if not found:
            if missing_ok:
                return None
            raise KonnectError("No API %r found. APIs: %s."
                               % (ref, ", ".join(self.names(apis_path, label=api_label)) or "none"))
        return {"id": found[0]["id"], "label": api_label(found[0])}

    def find_product_version(self, products_path, versions_path, ref, missing_ok=False):
        """A classic API product version by id, ``PRODUCT/VERSION`` or ``PRODUCT`` (one version): ``{"id", "label"}``.

        ``versions_path`` is a format string taking the product id.  With ``missing_ok``, None when
        the product or the named version does not exist (an ambiguous reference is still an error).
        """
        if is_uuid(ref):
            return {"id": ref, "label": ref}
        products, version_name = self.named(products_path, ref), None
        if not products and "/" in ref:
            product_name, version_name = split_versioned(ref)
            products = self.named(products_path, product_name)
        if not products:
            if missing_ok:
                return None
            raise KonnectError("No API product %r found. API products: %s."
                               % (ref, ", ".join(self.names(products_path)) or "none"))
        if len(products) > 1:
            raise KonnectError("Several API products are named %r; name the product version by its id." % ref)
        product = products[0]
        versions = self.list_all(versions_path % product["id"])
        if version_name is not None:
            versions = [version for version in versions if version.get("name") == version_name]
            if not versions and missing_ok:
                return None
        if len(versions) != 1:
            names = ", ".join(sorted(str(v.get("name")) for v in versions))
            if version_name is not None:
                names = "no version %r" % version_name
            raise KonnectError("API product %r has %s: name one version as PRODUCT/VERSION or by its id."
                               % (product["name"], ("versions " + names) if version_name is None and names else
                                  names or "no version"))
        return {"id": versions[0]["id"], "label": "%s/%s" % (product["name"], versions[0]["name"])}


# --------------------------------------------------------------------------- admin API
class KonnectAnswer(_http.HttpError):
    """An ``HttpError`` of the admin API told again with what to do about it (see ``render``)."""

    def __init__(self, exc):
        super(KonnectAnswer, self).__init__(exc.method, exc.url, exc.status, exc.reason, exc.detail, exc.body,
                                            exc.service)


class KonnectForbidden(KonnectAnswer):
    """HTTP 403 from the admin API, naming the Konnect role the request needs (still an ``HttpError``)."""

    def __init__(self, exc, role):
        self.role = role
        super(KonnectForbidden, self).__init__(exc)

    def render(self):
        return ("%s The konnect_token is not allowed to do this: give its user or system account the Konnect role %s "
                "(Kong's DCR guide lists Portal Creator, API Creator, DCR Provider Creator, API Publisher and, when "
                "registrations are not approved automatically, API Registration Approver)."
                % (super(KonnectForbidden, self).render(), self.role))


class KonnectUnauthorized(KonnectAnswer):
    """HTTP 401 from the admin API: the token, not the request, is wrong (still an ``HttpError``)."""

    def render(self):
        return ("%s Konnect did not accept konnect_token (or KONNECT_TOKEN): check that it is the whole token (a "
                "personal access token starts with kpat_, a system account token with spat_), that it has not expired "
                "or been revoked, and that konnect_url is the API of the region the token belongs to (for example "
                "https://eu.api.konghq.com)."
                % super(KonnectUnauthorized, self).render())


# (method or None for any, path pattern, role): the first match names the role a request needs.
ROLES = (
    ("PATCH", r"^/v[23]/portals/[^/]+/applications/[^/]+/registrations", "API Registration Approver"),
    (None, r"^/v2/(dcr-providers|application-auth-strategies)", "DCR Provider Creator"),
    (None, r"^/v3/(apis/[^/]+/publications|api-publications|portals/[^/]+/api-publications)", "API Publisher"),
    (None, r"^/v2/portals/[^/]+/product-versions", "API Publisher"),
    (None, r"^/v3/apis|^/v2/api-products", "API Creator"),
    (None, r"^/v[23]/portals", "Portal Creator"),
)


def role_for(method, path):
    """The Konnect role a request needs, in words (see ``ROLES``)."""
    for verb, pattern, role in ROLES:
        if (verb is None or verb == method) and re.search(pattern, path):
            return role
    return "that allows this request"


class KonnectAdmin(PagedClient):
    """The Konnect admin API of one region."""

    def _call(self, method, path, **kwargs):
        try:
            return super(KonnectAdmin, self)._call(method, path, **kwargs)
        except _http.HttpError as exc:
            if exc.status == 403 and not isinstance(exc, KonnectForbidden):
                raise KonnectForbidden(exc, role_for(method.upper(), urlsplit(path).path))
            if exc.status == 401 and not isinstance(exc, KonnectUnauthorized):
                raise KonnectUnauthorized(exc)
            raise

    @classmethod
    def from_module(cls, module):
        params = module.params
        url = check_konnect_url(params["konnect_url"])
        if not params.get("konnect_token"):
            raise KonnectError("konnect_token is required: set it, or KONNECT_TOKEN in the environment, to a Konnect "
                               "personal access token or system account token.")
        return cls(_transport(module, url, "Konnect", _http.BearerAuth(params["konnect_token"])))

    def find_portal(self, ref, portal_api="auto"):
        """``(generation, portal)`` for a portal name or id; auto tries the new Dev Portal first."""
        generations = ("v3", "v2") if portal_api == "auto" else (portal_api,)
        for generation in generations:
            portal = self._portal(generation, ref)
            if portal is not None:
                return generation, portal
        known = []
        for generation in generations:
            known += ["%s (%s)" % (name, generation) for name in self.names("/%s/portals" % generation)]
        raise KonnectError("No Dev Portal %r found (looked at %s). Portals: %s."
                           % (ref, " and ".join("/%s/portals" % g for g in generations), ", ".join(known) or "none"))

    def portal_by_domain(self, generation, domain):
        """The portal of a generation serving ``domain`` (its canonical, default or custom domain)."""
        keys = ("canonical_domain", "default_domain") if generation == "v3" else ("default_domain", "custom_domain")
        for key in keys:
            query = {"filter[%s][eq]" % key: domain}
            found = [p for p in self.list_all("/%s/portals" % generation, query) if p.get(key) == domain]
            if found:
                return found[0]
        raise KonnectError("No %s Dev Portal serving %r is visible to konnect_token at %s (check the region of konnect_url)."
                           % ("new" if generation == "v3" else "classic", domain, self.transport.base_url))

    # -- where an application auth strategy or a DCR provider is used --------------------------
    def strategy_references(self, generation, portal_id, strategy_id):
        """What of one portal uses the strategy: its API publications (new portal) or its portal product
        versions (classic), as ``[{"id": API or product version id, "current": the publication}]``.
        """
        if generation == "v3":
            items = self.list_all("/v3/portals/%s/api-publications" % portal_id,
                                  {"filter[auth_strategy_id][eq]": strategy_id})
            key = "api_id"
        else:  # the classic list has no filter on the strategy in every Konnect version: filtered here
            items = self.list_all("/v2/portals/%s/product-versions" % portal_id)
            key = "product_version_id"
        return [{"id": item[key], "current": item} for item in items
                if item.get(key) and strategy_id in publication_strategy_ids(item)]

    def api_label(self, api_id):
        """``NAME/VERSION`` of an API by id; the id when it cannot be read."""
        api = self._read(api_id and "/v3/apis/%s" % api_id)
        return api_label(api) if api else api_id

    def product_version_labels(self, portal_id):
        """``{product version id: "PRODUCT/VERSION"}`` for the API products of a classic portal (best effort)."""
        labels = {}
        for product in self._read_all("/v2/api-products"):
            if portal_id not in (product.get("portal_ids") or []):
                continue
            for version in self._read_all("/v2/api-products/%s/product-versions" % product["id"]):
                labels[version.get("id")] = "%s/%s" % (product.get("name"), version.get("name"))
        return labels

    def strategy_users(self, strategy_id, skip_portal_id=None):
        """What uses an application auth strategy, in words: portal defaults, API publications and classic
        product versions, outside the portal ``skip_portal_id``.  Best effort: a list that cannot be read
        (an organisation may not have both portal generations) is left out.
        """
        users, portal_names = [], {}
        for generation in ("v3", "v2"):
            for portal in self._read_all("/%s/portals" % generation):
                portal_names[portal.get("id")] = portal.get("name")
                if portal.get("id") == skip_portal_id:
                    continue
                if portal.get("default_application_auth_strategy_id") == strategy_id:
                    users.append("default of portal %r" % portal.get("name"))
                if generation != "v2":
                    continue
                labels = None
                for version in self._read_all("/v2/portals/%s/product-versions" % portal["id"]):
                    if strategy_id in publication_strategy_ids(version):
                        if labels is None:
                            labels = self.product_version_labels(portal["id"])
                        version_id = version.get("product_version_id")
                        users.append("product version %s on classic portal %r"
                                     % (labels.get(version_id, version_id), portal.get("name")))
        for publication in self._read_all("/v3/api-publications", {"filter[auth_strategy_id][eq]": strategy_id}):
            portal_id = publication.get("portal_id")
            if portal_id == skip_portal_id or strategy_id not in publication_strategy_ids(publication):
                continue
            users.append("publication of API %r on portal %r"
                         % (self.api_label(publication.get("api_id")), portal_names.get(portal_id, portal_id)))
        return users

    # -- what else publishes a gateway service -------------------------------------------------
    def implementations(self, key, value):
        """The API implementations (``GET /v3/api-implementations``) whose ``key`` (``api_id``, ``service_id``) is
        ``value``: ``[{"id", "api_id", "service": {"id", "control_plane_id"}}]`` (an API implemented by a whole
        control plane has ``control_plane`` instead of ``service``)."""
        items = self.list_all("/v3/api-implementations", {"filter[%s][eq]" % key: value})
        if key == "service_id":
            return [item for item in items if (item.get("service") or {}).get("id") == value]
        return [item for item in items if item.get(key) == value]

    def api_publications(self, api_id):
        """Every publication of the API ``api_id``, on any new Dev Portal (``GET /v3/api-publications``)."""
        return [item for item in self.list_all("/v3/api-publications", {"filter[api_id][eq]": api_id})
                if item.get("api_id") == api_id]

    def product_catalogue(self):
        """``[(API product, its version)]`` for every API product version (classic), each version with its gateway
        service and the classic portals it is configured for (``portals[]``: publish status, auth strategies)."""
        return [(product, version) for product in self.list_all("/v2/api-products")
                for version in self.list_all("/v2/api-products/%s/product-versions" % product["id"])]

    def provider_users(self, provider_id, skip_strategy_id=None):
        """The application auth strategies (other than ``skip_strategy_id``) that use a DCR provider, in words."""
        strategies = self._read_all("/v2/application-auth-strategies", {"filter[dcr_provider_id][eq]": provider_id})
        return ["application auth strategy %r" % s.get("name") for s in strategies
                if (s.get("dcr_provider") or {}).get("id") == provider_id and s.get("id") != skip_strategy_id]

    def _read_all(self, path, params=None):
        """``list_all`` for a lookup that only adds detail: empty when the list cannot be read."""
        try:
            return self.list_all(path, params)
        except (_http.HttpError, _http.TransportError, KonnectError):
            return []

    def _read(self, path):
        if not path:
            return None
        try:
            return self.get(path)
        except (_http.HttpError, _http.TransportError):
            return None

    def _portal(self, generation, ref):
        try:
            if is_uuid(ref):
                return self.get("/%s/portals/%s" % (generation, ref))
            return self.find_by_name("/%s/portals" % generation, ref, "Dev Portals")
        except _http.HttpError as exc:
            # An organisation without classic portals may refuse the v2 list; auto mode moves on.
            if exc.status in (403, 404) and generation == "v2":
                return None
            raise


# --------------------------------------------------------------------------- developer Portal API
class DeveloperPortal(PagedClient):
    """A Dev Portal's developer API, logged in as one developer."""

    def __init__(self, transport, generation):
        super(DeveloperPortal, self).__init__(transport)
        self.generation = generation

    @property
    def base(self):
        return "/api/%s" % self.generation

    def api_labels(self, items, labels):
        """Add to ``labels`` the ``NAME/VERSION`` of the APIs of v3 registrations ``items`` it lacks (one GET each)."""
        if self.generation != "v3":
            return labels
        for api_id in sorted(set(item.get("api_id") for item in items if item.get("api_id")) - set(labels)):
            api = self.get("/api/v3/apis/%s" % api_id)
            if api:
                labels[api_id] = api_label(api)
        return labels

    @classmethod
    def from_module(cls, module):
        """Log in (finding the portal generation on the way) and register the session cookie as a secret."""
        params = module.params
        require_options(params, REQUIRED_PORTAL)
        url = check_http_url(params["portal_url"], "portal_url")
        portal = cls(_transport(module, url, "the Dev Portal"), None)
        cookie = portal.login(params["developer_email"], params["developer_password"], params["portal_api"])
        module.no_log_values.add(cookie)
        return portal

    def login(self, email, password, portal_api="auto"):
        """``POST /api/<generation>/developer/authenticate``; returns the session cookie value (a secret).

        In auto mode the new Dev Portal API (v3) is tried first; a portal of the other generation
        answers 404 there.
        """
        session = self.transport.session
        generations = ("v3", "v2") if portal_api == "auto" else (portal_api,)
        for generation in generations:
            session.cookies.clear()
            try:
                self.transport.request("POST", "/api/%s/developer/authenticate" % generation,
                                       json_body={"username": email, "password": password}, expect=(200, 204),
                                       write=False)
            except _http.HttpError as exc:
                if exc.status == 404 and generation != generations[-1]:
                    continue
                raise KonnectError(_login_error(exc, email, generations))
            self.generation = generation
            break
        cookie = None
        for item in session.cookies:
            if item.name == SESSION_COOKIE:
                cookie = item.value
        session.cookies.clear()
        if not cookie:
            raise KonnectError("The Dev Portal accepted the login of %s but set no %s cookie." % (email, SESSION_COOKIE))
        session.auth = CookieAuth(SESSION_COOKIE, cookie)
        return cookie


def _login_error(exc, email, generations):
    body = exc.body if isinstance(exc.body, dict) else {}
    if exc.status == 401 and "approval" in str(body.get("title", "")).lower():
        return ("The developer account %s is not approved on this Dev Portal yet: an administrator must approve it "
                "(Konnect > Dev Portal > Developers) before it can create applications." % email)
    if exc.status == 401:
        return ("The Dev Portal refused the login of %s: check developer_email and developer_password (the account "
                "must exist on this portal)." % email)
    if exc.status == 404:
        return ("%s did not answer as a Konnect Dev Portal (%s gave 404): check portal_url (the portal's own domain, "
                "not the Konnect admin URL) and portal_api." % (exc.url.split("/api/")[0], " and ".join(
                    "POST /api/%s/developer/authenticate" % g for g in generations)))
    return "The Dev Portal login of %s failed: %s" % (email, exc)


# --------------------------------------------------------------------------- credentials file
# A credentials file holds one small JSON object (a few hundred bytes); a larger file is not one, and is never read.
RECORD_LIMIT = 64 * 1024


def check_credentials_path(path):
    """Raise KonnectError unless the credentials file can be written (checked before any request).

    A missing folder is fine when it can be created: the nearest existing ancestor must be a
    writable folder (the missing ones are created with mode 0700 right before the file is written).
    An existing file must be a regular file, not a symbolic link (the file is read without following one, and
    replaced atomically, which would replace the link), of at most ``RECORD_LIMIT`` bytes.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise KonnectError("credentials_file %r is a directory; give a file path." % path)
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    if info is not None:
        _check_record_file(path, info)
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise KonnectError("credentials_file: the folder %r cannot be created: %r is not a folder." % (folder, existing))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise KonnectError("credentials_file: the folder %r is not writable%s." % (
            existing, "" if existing == folder else " (the folders up to %r would be created in it)" % folder))
    return path


def _make_folders(folder):
    """Create ``folder`` and its missing parents with mode 0700 (they will hold a secret)."""
    if os.path.isdir(folder):
        return
    _make_folders(os.path.dirname(folder))
    try:
        os.mkdir(folder, 0o700)
    except OSError:
        if not os.path.isdir(folder):
            raise
    sync_folder(os.path.dirname(folder))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_record_file(path, info):
    """Raise KonnectError unless ``info`` (of ``os.lstat`` or ``os.fstat``) is that of a credentials file."""
    if stat.S_ISLNK(info.st_mode):
        raise KonnectError("credentials_file %r is a symbolic link; give the path of the file itself (the module neither "
                           "reads through a link nor writes through one)." % path)
    if not stat.S_ISREG(info.st_mode):
        raise KonnectError("credentials_file %r is not a regular file (a device, a pipe or a socket); give the path of "
                           "a file." % path)
    if info.st_size > RECORD_LIMIT:
        raise KonnectError("credentials_file %r is %d bytes long: it is not a credentials file (they hold a few hundred "
                           "bytes); give another path or move that file away." % (path, info.st_size))


def read_credentials_record(path):
    """The JSON object in the credentials file ``path``; None when there is none, {} when it holds something else.

    Read without following a symbolic link, and only from a regular file of at most ``RECORD_LIMIT`` bytes: a link
    (to /dev/zero, say), a device, a pipe or a large file fails with KonnectError, never read.
    """
    data = _read_record_bytes(path)
    if data is None:
        return None
    try:
        record = json.loads(data.decode("utf-8"))
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _read_record_bytes(path):
    """The bytes of the credentials file ``path`` (see ``read_credentials_record``); None when it does not exist."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if exc.errno == errno.ELOOP or os.path.islink(path):
            _check_record_file(path, os.lstat(path))
        raise KonnectError("credentials_file %r cannot be read: %s." % (path, exc.strerror or exc))
    try:
        _check_record_file(path, os.fstat(fd))
        chunks, size = [], 0
        while size <= RECORD_LIMIT:
            chunk = os.read(fd, RECORD_LIMIT + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > RECORD_LIMIT:
            raise KonnectError("credentials_file %r grew beyond %d bytes while it was read: it is not a credentials file."
                               % (path, RECORD_LIMIT))
        return b"".join(chunks)
    except OSError as exc:
        raise KonnectError("credentials_file %r cannot be read: %s." % (path, exc.strerror or exc))
    finally:
        os.close(fd)


def _backup(path):
    """Copy ``path`` to ``path.<UTC timestamp>`` (mode 0600, never overwriting); return the backup path."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    data = _read_record_bytes(path)
    if data is None:
        return None
    for attempt in range(100):
        target = "%s.%s%s" % (path, stamp, "" if attempt == 0 else ".%d" % attempt)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            if os.path.exists(target):
                continue
            raise
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        sync_folder(os.path.dirname(target))
        return target
    raise OSError("no free backup name for %s" % path)


def write_credentials_file(path, record):
    """Write ``record`` as JSON, mode 0600, atomically; return the backup path or None.

    A file that holds another client's credentials (or anything that is not a JSON object) is
    first copied to a timestamped backup; the same client's file is simply replaced.
    Raises ``OSError``/``IOError`` or ``KonnectError`` when the file cannot be written.
    """
    path = os.path.abspath(path)
    existing = read_credentials_record(path)
    backup = None
    if existing is not None and existing.get("client_id") != record.get("client_id"):
        backup = _backup(path)
    folder, name = os.path.split(path)
    _make_folders(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".%s." % name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    # The rename is durable only once the folder is: a crash right after success must not lose the file.
    sync_folder(folder)
    return backup


def sync_folder(folder):
    """fsync a folder, so that a file just created or renamed in it survives a crash (POSIX; a no-op elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself was synced
    finally:
        os.close(fd)
