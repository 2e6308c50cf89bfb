# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""State of the Curity Identity Server stand-in.

Two parts, both guarded by ``ctx.lock``:

* the configuration datastore that the RESTCONF admin API edits: a plain JSON
  tree (dicts, lists, strings) under ``CurityState.config``, described by a small
  YANG-like schema (``SCHEMA``) that drives path resolution, RFC 7951 encoding
  and validation;
* the runtime state of the OAuth server: issued tokens, and the clients
  registered through Dynamic Client Registration (they live in the
  ``default-datasource`` data source, never in the configuration tree).

Module rule (YANG namespaces, RFC 7951 member names): ``profiles``, ``profile``,
``settings``, ``token-issuers``, ``endpoints``, ``environments`` and
``facilities``, and everything below them, belong to module ``base``;
``authorization-server`` and everything below it belongs to ``profile-oauth``
[C: Curity's exports give <authorization-server> the profile/oauth namespace
and <token-issuers> none; its NACM rules write /profiles/profile/token-issuers
unprefixed and as:authorization-server prefixed].  The prefix is required where
the module changes and, in JSON bodies, refused where it does not (RFC 7951
section 4 [I]: "In all other cases, the simple form of the member name MUST be
used"); URL paths may repeat it (Curity's own teardown script qualifies every
step [C]).

Evidence labels in the comments: [C] confirmed by Curity's own configurations,
code, reference or documentation; [I] inferred from the RFCs or from the shape
of the confirmed examples.  Curity's configuration exports (``<config
xmlns="http://tail-f.com/ns/config/1.0">``) write an ``empty`` leaf as ``<x/>``
and a container as an opening and a closing tag on two lines; that is how the
encodings of the DCR elements below are told apart [I, from the exports].
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
import threading
import time

BASE = "base"
OAUTH = "profile-oauth"
OAUTH_SERVICE = "profile-oauth:oauth-service"
SEED_PROFILE_ID = "token-service"
ADMIN_USERNAME = "admin"
# The data source of the seed (a fresh installation's; dynamically registered
# clients are stored in it).
DATA_SOURCES = ("default-datasource",)
DCR_ENDPOINT_KIND = "oauth-dynamic-client-registration"
SEED_SERVICE_ROLE = "default"

CONTAINER = "container"
PRESENCE = "presence"
LIST = "list"
LEAF = "leaf"
LEAF_LIST = "leaf-list"
OPAQUE = "opaque"


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------
class DataError(Exception):
    """A request the datastore refuses; carries one RFC 8040 error."""

    def __init__(self, status, tag, message, path=None):
        super().__init__(message)
        self.status = status
        self.tag = tag
        self.message = message
        self.path = path


def not_found(path=None):
    # ConfD-family servers answer a missing resource with invalid-value and
    # this message [I]; RFC 8040 section 7 allows invalid-value with 404.
    return DataError(404, "invalid-value", "uri keypath not found", path)


def invalid(message, path=None, tag="invalid-value"):
    return DataError(400, tag, message, path)


# --------------------------------------------------------------------------
# SHA-256-crypt, the "$5$" secrets found in every exported Curity configuration
# --------------------------------------------------------------------------
_CRYPT64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CRYPT_ORDER = ((0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
                (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29))
_DEFAULT_ROUNDS = 5000


def _crypt64(b2, b1, b0, count):
    word = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _position in range(count):
        out.append(_CRYPT64[word & 0x3F])
        word >>= 6
    return "".join(out)


def _repeat_to(data, length):
    return (data * (length // len(data) + 1))[:length] if length else b""


def sha256_crypt(password, salt=None, rounds=None):
    """SHA-256-crypt as specified by Ulrich Drepper ("Unix crypt using SHA-256")."""
    if salt is None:
        salt = "".join(secrets.choice(_CRYPT64) for _position in range(16))
    explicit_rounds = rounds is not None
    rounds = _DEFAULT_ROUNDS if rounds is None else min(max(int(rounds), 1000), 999999999)
    pw = password.encode("utf-8")
    salt = salt[:16]
    sb = salt.encode("utf-8")
    alt = hashlib.sha256(pw + sb + pw).digest()
    a = hashlib.sha256(pw + sb + _repeat_to(alt, len(pw)))
    n = len(pw)
    while n:
        a.update(alt if n & 1 else pw)
        n >>= 1
    digest = a.digest()
    p_bytes = _repeat_to(hashlib.sha256(pw * len(pw)).digest(), len(pw))
    s_bytes = _repeat_to(hashlib.sha256(sb * (16 + digest[0])).digest(), len(sb))
    for i in range(rounds):
        h = hashlib.sha256(p_bytes if i & 1 else digest)
        if i % 3:
            h.update(s_bytes)
        if i % 7:
            h.update(p_bytes)
        h.update(digest if i & 1 else p_bytes)
        digest = h.digest()
    encoded = "".join(_crypt64(digest[x], digest[y], digest[z], 4) for x, y, z in _CRYPT_ORDER)
    encoded += _crypt64(0, digest[31], digest[30], 3)
    prefix = "$5$rounds=%d$" % rounds if explicit_rounds else "$5$"
    return "%s%s$%s" % (prefix, salt, encoded)


def _parse_crypt(hashed):
    """(salt, rounds or None) of a ``$5$`` string, or None when it is not one."""
    if not isinstance(hashed, str) or not hashed.startswith("$5$"):
        return None
    parts = hashed[3:].split("$")
    rounds = None
    if parts and parts[0].startswith("rounds="):
        try:
            rounds = int(parts.pop(0)[len("rounds="):])
        except ValueError:
            return None
    if len(parts) != 2 or not parts[1]:
        return None
    return parts[0], rounds


def is_crypt_hash(value):
    return _parse_crypt(value) is not None


def verify_secret(secret, hashed):
    """Constant-time check of a plaintext secret against a ``$5$`` hash."""
    parsed = _parse_crypt(hashed)
    if parsed is None or not isinstance(secret, str):
        return False
    salt, rounds = parsed
    return hmac.compare_digest(sha256_crypt(secret, salt, rounds), hashed)


# --------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------
class Node:
    """One schema node (a small subset of YANG)."""

    def __init__(self, name, kind, children=(), keys=(), type_="string", module=None, open_=False, choices=()):
        self.name = name
        self.kind = kind
        self.keys = tuple(keys)
        self.type = type_
        self.module = module
        # An open node stores members it does not know as given (RFC 7951
        # well-formed JSON), for the parts of Curity's model the stand-in
        # does not describe.
        self.open = open_ or kind == OPAQUE
        # Groups of mutually exclusive members (YANG choice): setting one
        # member of a group removes the others.
        self.choices = tuple(choices)
        self.children = {}
        for child in children:
            self.children[child.name] = child
            if child.module is None:
                child.module = module

    def child(self, name):
        """Schema node of a stored member name (stored names carry no module prefix), or None."""
        node = self.children.get(name)
        if node is not None:
            return node
        if self.open:
            return Node(name, OPAQUE, module=self.module)
        return None

    def json_child(self, member, path, in_url=False):
        """Schema node of an RFC 7951 member name (or RFC 8040 path step) below this node.

        The module prefix is required where the module changes (RFC 7951 section 4, RFC 8040
        section 3.5.3) [I]; in a JSON body it is refused where the module does not change
        (RFC 7951 section 4) [I], in a URL it is allowed (Curity's own scripts send
        ``base:profiles/base:profile=...`` [C]).  A member an open node does not describe is
        kept as given.
        """
        prefix, _colon, name = member.rpartition(":")
        node = self.children.get(name)
        where = instance_identifier(path)
        if node is None:
            if self.open:
                return Node(member, OPAQUE, module=self.module)
            raise invalid("unknown element '%s'" % member, where, "unknown-element")
        if prefix and prefix != node.module:
            raise invalid("unknown element '%s': '%s' is in module '%s'" % (member, name, node.module), where,
                          "unknown-element")
        if not prefix and node.module != self.module:
            parent = "module '%s'" % self.module if self.module else "the datastore"
            raise invalid("unknown element '%s': it is in module '%s', so it is written '%s:%s' below a node of %s "
                          "(RFC 7951 section 4)" % (name, node.module, node.module, name, parent), where, "unknown-element")
        if prefix and node.module == self.module and not in_url:
            raise invalid("'%s' must be written '%s' below a node of the same module (RFC 7951 section 4)" % (member, name),
                          where, "malformed-message")
        return node

    def is_schema(self):
        return self.kind != OPAQUE


def _assign_modules(node, module):
    node.module = node.module or module
    for child in node.children.values():
        _assign_modules(child, node.module)
    return node


def leaf(name, type_="string"):
    return Node(name, LEAF, type_=type_)


def leaf_list(name):
    return Node(name, LEAF_LIST)


def empty(name):
    """A leaf of type ``empty``: present (``[null]``, RFC 7951 section 6.9) or absent."""
    return Node(name, LEAF, type_="empty")


def container(name, *children, **kwargs):
    return Node(name, CONTAINER, children, **kwargs)


def presence(name, *children, **kwargs):
    return Node(name, PRESENCE, children, **kwargs)


def keyed_list(name, keys, *children, **kwargs):
    return Node(name, LIST, children, keys=keys, **kwargs)


def _token_claims(name):
    return container(name, leaf_list("claim"))


# [C] the scope leaves of Curity's configuration reference (scopes/scope); closed.
_SCOPES = container(
    "scopes",
    keyed_list("scope", ("id",), leaf("id"), leaf("description"), leaf("is-prefix", "boolean"),
               leaf("time-to-live", "uint32"), leaf("required", "boolean"), leaf("expose-in-metadata", "boolean"),
               leaf_list("claims"), container("properties", open_=True)),
    leaf("min-access-token-lifetime", "uint32"), leaf("default-scope-description"), leaf_list("default-scope-claim"),
)
_CLAIMS = container(
    "claims",
    keyed_list("claim", ("name",), leaf("name"), leaf("description"), leaf("required", "boolean"),
               leaf("expose-in-metadata", "boolean"), leaf("value-provided-by"),
               container("transformation", leaf_list("input-attribute-names"), open_=True),
               container("type", open_=True), open_=True),
    keyed_list("claims-value-provider", ("id",), leaf("id"), open_=True),
    container("claims-mappers",
              keyed_list("claims-mapper", ("id",), leaf("id"), _token_claims("access_token"),
                         _token_claims("id_token"), _token_claims("userinfo"), open_=True),
              leaf("default-claims-mapper")),
)
# The profile's client capabilities [C: Curity refuses a client capability the profile has not
# enabled].  Encodings from Curity's exports: <code> and <resource-owner-password-credentials> are
# containers, <implicit/>, <client-credentials/>, <introspection/>, <token-exchange/> empty leaves.
# Open: other capabilities exist (assisted-token, haapi, ...).
_PROFILE_CAPABILITIES = container(
    "client-capabilities",
    presence("code", open_=True), empty("implicit"),
    presence("resource-owner-password-credentials", leaf("credential-manager"), open_=True),
    empty("client-credentials"), empty("introspection"), empty("token-exchange"),
    open_=True,
)
# A config-backed client [C: Curity's client types, its 3scale bridge, exports]: capabilities
# code a container, client-credentials and introspection empty leaves (exports); properties
# the key/value list Curity documents as "client properties" [C], closed.
_CLIENT_STORE = container(
    "client-store",
    container("config-backed",
              keyed_list("client", ("id",), leaf("id"), leaf("client-name"), leaf("description"),
                         leaf("secret", "secret"),
                         container("capabilities", presence("code", open_=True), empty("client-credentials"),
                                   empty("introspection"), open_=True),
                         leaf_list("scope"), leaf_list("redirect-uris"), leaf("enabled", "boolean"), leaf_list("audience"),
                         leaf("claims-mapper"),
                         container("properties", keyed_list("property", ("key",), leaf("key"), leaf("value"))),
                         open_=True)),
    open_=True,
)
_REGISTRATION_AUTH = ("authenticate-client-by", "authenticate-user-by", "no-authentication")
# DCR settings.  Closed where Curity's configuration reference lists the members [C]:
# dynamic-client-registration (client-data-source, templatized, non-templatized, client-management),
# client-management (rotated-secret-ttl, registration-token, management-clients), the capabilities,
# scopes and authenticators of non-templatized DCR.  non-templatized itself is open: the reference
# page seen lists its first rows only.  Encodings [I, from Curity's exports]: capabilities, scopes/all,
# authenticators/all, no-authentication and the require-* flags are empty leaves ([null]); secret,
# user-consent and client-management containers ({}).  management-clients is a container ("Section")
# whose members are not public: open, never interpreted here except by the runtime (see there).
_DCR = presence(
    "dynamic-client-registration",
    leaf("client-data-source"),
    presence("templatized", open_=True),
    presence("non-templatized",
             container("capabilities", empty("code"), empty("implicit"), empty("resource-owner-password-credentials"),
                       empty("assisted-token"), empty("client-credentials")),
             container("scopes", empty("all"), leaf_list("scope"), choices=(("all", "scope"),)),
             container("authenticators", empty("all"), leaf_list("authenticator"), choices=(("all", "authenticator"),)),
             container("client-authentication-method", presence("secret", leaf("credential-manager"), open_=True),
                       empty("no-authentication"), presence("mutual-tls", open_=True),
                       presence("asymmetrically-signed-jwt", open_=True), open_=True),
             leaf_list("authenticate-client-by"), leaf_list("authenticate-user-by"), empty("no-authentication"),
             empty("require-secured-authorization-response"), empty("require-request-object"),
             empty("require-id-token-encryption"), leaf("default-refresh-token-ttl", "uint32"),
             presence("user-consent", open_=True),
             open_=True, choices=(_REGISTRATION_AUTH,)),
    presence("client-management", leaf("rotated-secret-ttl", "uint32"), container("registration-token", open_=True),
             presence("management-clients", open_=True)),
)
# Token issuers [C: the reference's default-token-issuer and jwt-issuer-settings; the custom issuer's
# three-part key and its jwt/signing-key-id in Curity's VCI configuration].  jwt/verification-keystore-id
# [I: the jwt-issuer-settings reference names it, the custom issuer's jwt section has the same leaves];
# data-sources/tokens-data-source-id [C: the reference, Kong's "Tokens Data Source ID"].
_JWT_LEAVES = (leaf("signing-key-id"), leaf("verification-keystore-id"), leaf("algorithm"))
_TOKEN_ISSUERS = container(
    "token-issuers",
    container("default-token-issuer", empty("access-token-as-jwt"), leaf("default-data-source"),
              container("jwt-issuer-settings", *_JWT_LEAVES, open_=True), open_=True),
    keyed_list("custom-token-issuer", ("id", "issuer-type", "purpose-type"),
               leaf("id"), leaf("issuer-type"), leaf("purpose-type"),
               container("jwt", *_JWT_LEAVES, open_=True),
               container("data-sources", leaf("tokens-data-source-id"), open_=True), open_=True),
    open_=True,
)
_PROFILE = keyed_list(
    "profile", ("id", "type"),
    leaf("id"), leaf("type", "identityref"), leaf("description"), empty("expose-detailed-error-messages"),
    container("settings",
              container("authorization-server", _SCOPES, _CLAIMS, _CLIENT_STORE, _DCR, _PROFILE_CAPABILITIES,
                        module=OAUTH, open_=True)),
    _TOKEN_ISSUERS,
    # [C] endpoint{id} with uri and endpoint-kind (a plain enumeration: no namespace prefix in exports).
    container("endpoints",
              keyed_list("endpoint", ("id",), leaf("id"), leaf("uri"), leaf("endpoint-kind"), open_=True)),
    open_=True,
)
# [C] environments/environment/services/service-role{id}/endpoints: the runtime nodes of a service
# role serve the endpoints it lists (Curity's exports; Kong's "Select the nodes you want to enable DCR on").
_ENVIRONMENTS = container(
    "environments",
    container("environment",
              container("services", keyed_list("service-role", ("id",), leaf("id"), leaf_list("endpoints"), open_=True),
                        open_=True),
              open_=True),
    module=BASE, open_=True,
)
# [C] data sources, signing keys and signature verification keys live under facilities (exports).
_FACILITIES = container(
    "facilities",
    container("data-sources", keyed_list("data-source", ("id",), leaf("id"), open_=True), open_=True),
    container("crypto",
              container("signing-keys", keyed_list("signing-key", ("id",), leaf("id"), open_=True), open_=True),
              container("signature-verification-keys",
                        keyed_list("signature-verification-key", ("id",), leaf("id"), open_=True), open_=True),
              open_=True),
    module=BASE, open_=True,
)
#: The datastore root ("ietf-restconf:data"): every member below it carries its module (RFC 7951 section 4).
SCHEMA = _assign_modules(container("", container("profiles", _PROFILE, module=BASE), _ENVIRONMENTS, _FACILITIES), None)


def member_name(node, parent_module):
    """RFC 7951 member name: qualified when the module changes."""
    if not node.is_schema():
        return node.name
    return node.name if node.module == parent_module else "%s:%s" % (node.module, node.name)


def qualified_name(node):
    return node.name if not node.is_schema() else "%s:%s" % (node.module, node.name)


# --------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------
class Step:
    """One resolved path step: a schema node and, for a list entry, its key values."""

    def __init__(self, node, keys=None):
        self.node = node
        self.keys = keys


def _key_value(node, key, raw):
    """Normalized value of one key leaf (the profile type is written without prefix in URLs)."""
    key_node = node.children[key]
    if key_node.type == "identityref":
        return raw if ":" in raw else "%s:%s" % (OAUTH, raw)
    return raw


def resolve_path(segments):
    """Resolve URL segments ``[(prefix, name, keys or None), ...]`` against the schema."""
    steps = []
    parent = SCHEMA
    for index, (prefix, name, keys) in enumerate(segments):
        if index == 0 and not prefix:
            raise invalid("the first node of a path must carry its module name (RFC 8040 section 3.5.3)", tag="malformed-message")
        if is_leafy(parent) or (steps and steps[-1].node.kind == LIST and steps[-1].keys is None):
            raise invalid("'%s' cannot have children in a path" % parent.name, tag="malformed-message")
        node = parent.json_child("%s:%s" % (prefix, name) if prefix else name, steps, in_url=True)
        if not node.is_schema() and keys is not None:
            raise invalid("cannot address entries of '%s'" % name, tag="unknown-element")
        steps.append(Step(node, _resolve_keys(node, keys)))
        parent = node
    return steps


def _resolve_keys(node, keys):
    if keys is None:
        return None
    if node.kind == LEAF_LIST:
        if len(keys) != 1:
            raise invalid("a leaf-list entry is addressed by one value", tag="malformed-message")
        return tuple(keys)
    if node.kind != LIST:
        raise invalid("'%s' is not a list; it takes no key" % node.name, tag="malformed-message")
    if len(keys) != len(node.keys):
        raise invalid("list '%s' needs %d key value(s): %s" % (node.name, len(node.keys), ", ".join(node.keys)),
                      tag="malformed-message")
    return tuple(_key_value(node, k, v) for k, v in zip(node.keys, keys))


def instance_identifier(steps):
    """``error-path`` of a resolved path (RFC 8040 section 7, RFC 7951 section 6.11)."""
    parts = []
    parent_module = None
    for step in steps:
        text = "/" + member_name(step.node, parent_module)
        if step.keys is not None:
            if step.node.kind == LEAF_LIST:
                text += "[.='%s']" % step.keys[0]
            else:
                text += "".join("[%s='%s']" % kv for kv in zip(step.node.keys, step.keys))
        parts.append(text)
        parent_module = step.node.module
    return "".join(parts) or "/"


# --------------------------------------------------------------------------
# RFC 7951 JSON in and out
# --------------------------------------------------------------------------
def _find_entry(entries, node, keys):
    for entry in entries or ():
        if tuple(entry.get(k) for k in node.keys) == tuple(keys):
            return entry
    return None


def _normalize_leaf(node, value, path):
    if node.type == "boolean":
        ok = isinstance(value, bool)
    elif node.type == "uint32":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFFFF
    elif node.type == "empty":
        ok = value == [None]  # RFC 7951 section 6.9 [C for capabilities: Curity's own code sends [null]]
    else:
        ok = isinstance(value, str)
    if not ok:
        raise invalid("invalid value for %s '%s'" % (node.type, node.name), instance_identifier(path))
    if node.type == "identityref":
        value = value if ":" in value else "%s:%s" % (OAUTH, value)
        if value != OAUTH_SERVICE:
            raise invalid("unsupported profile type '%s'" % value, instance_identifier(path))
    if node.type == "secret" and not is_crypt_hash(value):
        # Stored and returned only as SHA-256-crypt; a "$5$" value (a restored
        # backup) is kept as it is.
        value = sha256_crypt(value)
    return value


def _normalize_leaf_list(node, value, path):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("'%s' must be a list of strings" % node.name, instance_identifier(path))
    if len(set(value)) != len(value):
        raise invalid("duplicate values in '%s'" % node.name, instance_identifier(path))
    return list(value)


def _normalize_entry(node, value, path):
    if not isinstance(value, dict):
        raise invalid("an entry of '%s' must be an object" % node.name, instance_identifier(path), "malformed-message")
    raw_keys = []
    for key in node.keys:
        raw = value.get(key)
        if raw is None:
            raise invalid("missing key '%s' of '%s'" % (key, node.name), instance_identifier(path), "missing-element")
        raw_keys.append(_key_value(node, key, raw) if isinstance(raw, str) else raw)
    keyed = path[:-1] + [Step(node, tuple(raw_keys))]
    return normalize_members(node, value, keyed), keyed


def normalize(node, value, path):
    """Check a JSON value against ``node`` and return its stored form."""
    if not node.is_schema():
        return copy.deepcopy(value)
    if node.kind == LEAF:
        return _normalize_leaf(node, value, path)
    if node.kind == LEAF_LIST:
        return _normalize_leaf_list(node, value, path)
    if node.kind == LIST:
        if not isinstance(value, list):
            raise invalid("'%s' must be an array" % node.name, instance_identifier(path), "malformed-message")
        entries = []
        for item in value:
            entry, keyed = _normalize_entry(node, item, path)
            if _find_entry(entries, node, keyed[-1].keys):
                raise invalid("duplicate entry", instance_identifier(keyed))
            entries.append(entry)
        return entries
    if not isinstance(value, dict):
        raise invalid("'%s' must be an object" % node.name, instance_identifier(path), "malformed-message")
    return normalize_members(node, value, path)


def normalize_members(node, value, path):
    out = {}
    for member, item in value.items():
        child = node.json_child(member, path)
        if child.name in out:
            raise invalid("'%s' given twice" % child.name, instance_identifier(path), "malformed-message")
        out[child.name] = normalize(child, item, path + [Step(child)])
    for group in node.choices:
        present = [name for name in group if name in out]
        if len(present) > 1:
            raise invalid("'%s' and '%s' cannot both be set" % tuple(present[:2]), instance_identifier(path))
    return out


def encode(node, value):
    """Stored form -> RFC 7951 JSON (member names qualified where the module changes)."""
    if not node.is_schema() or node.kind in (LEAF, LEAF_LIST):
        return copy.deepcopy(value)
    if node.kind == LIST:
        return [encode_members(node, entry) for entry in value]
    return encode_members(node, value)


def encode_datastore(value):
    """Content of ``ietf-restconf:data``: every top-level member is qualified."""
    return {qualified_name(SCHEMA.child(name)): encode(SCHEMA.child(name), item) for name, item in value.items()}


def encode_members(node, value):
    out = {}
    for name, item in value.items():
        child = node.child(name)
        out[member_name(child, node.module)] = encode(child, item)
    return out


# --------------------------------------------------------------------------
# depth (RFC 8040 section 4.8.2)
# --------------------------------------------------------------------------
def limit_depth(node, value, levels):
    """Keep ``levels`` more levels of children below a container or list entry (keys always kept)."""
    if levels <= 0:
        return {k: value[k] for k in node.keys if k in value}
    out = {}
    for name, item in value.items():
        child = node.child(name)
        if child.is_schema() and child.kind == LIST:
            out[name] = [limit_depth(child, entry, levels - 1) for entry in item]
        elif isinstance(item, dict):
            out[name] = limit_depth(child, item, levels - 1)
        else:
            out[name] = item
    return out


# --------------------------------------------------------------------------
# tree editing (on a working copy; the caller validates and swaps)
# --------------------------------------------------------------------------
def is_leafy(node):
    return node.is_schema() and node.kind in (LEAF, LEAF_LIST)


def _holder(tree, steps, create):
    """The dict that holds the member named by the last step.

    Non-presence containers exist whenever their parent exists (they are
    created on write, read as empty); list entries and presence containers
    must exist.
    """
    current = tree
    for index, step in enumerate(steps[:-1]):
        node = step.node
        if is_leafy(node) or (node.kind == LIST and step.keys is None):
            raise invalid("'%s' cannot have children" % node.name, tag="malformed-message")
        if node.kind == LIST:
            current = _find_entry(current.get(node.name), node, step.keys)
            if current is None:
                raise not_found(instance_identifier(steps[:index + 1]))
            continue
        child = current.get(node.name)
        if child is None and node.kind == CONTAINER and node.is_schema():
            child = {}
            if create:
                current[node.name] = child
        if not isinstance(child, dict):
            raise not_found(instance_identifier(steps[:index + 1]))
        current = child
    return current


def read(tree, steps):
    """Stored value at a path (a copy); raises 404 when it does not exist."""
    if not steps:
        return copy.deepcopy(tree)
    holder = _holder(tree, steps, create=False)
    last = steps[-1]
    node = last.node
    value = holder.get(node.name)
    if node.kind == LIST and last.keys is not None:
        value = _find_entry(value, node, last.keys)
    elif node.kind == LEAF_LIST and last.keys is not None:
        value = list(last.keys) if value and last.keys[0] in value else None
    elif node.kind == CONTAINER and node.is_schema() and value is None:
        value = {}
    if value is None or value == []:
        raise not_found(instance_identifier(steps))
    return copy.deepcopy(value)


def present(tree, steps):
    """True when the resource holds data (an empty non-presence container does not)."""
    try:
        value = read(tree, steps)
    except DataError:
        return False
    node = steps[-1].node if steps else SCHEMA
    return not (node.kind == CONTAINER and node.is_schema() and value == {})


def write(tree, steps, value):
    """Create or replace the resource at ``steps`` with a normalized value."""
    if not steps:
        tree.clear()
        tree.update(value)
        return
    holder = _holder(tree, steps, create=True)
    last = steps[-1]
    node = last.node
    if node.kind == LIST and last.keys is not None:
        entries = holder.setdefault(node.name, [])
        current = _find_entry(entries, node, last.keys)
        if current is None:
            entries.append(value)
        else:
            entries[entries.index(current)] = value
        return
    holder[node.name] = value
    _drop_other_cases(steps[-2].node if len(steps) > 1 else SCHEMA, holder, node.name)


def remove(tree, steps):
    if not steps:
        tree.clear()
        return
    holder = _holder(tree, steps, create=False)
    last = steps[-1]
    node = last.node
    if node.kind == LIST and last.keys is not None:
        entries = holder[node.name]
        entries.remove(_find_entry(entries, node, last.keys))
        if not entries:
            del holder[node.name]
    elif node.kind == LEAF_LIST and last.keys is not None:
        holder[node.name].remove(last.keys[0])
        if not holder[node.name]:
            del holder[node.name]
    else:
        holder.pop(node.name, None)


def merge(node, current, incoming):
    """RFC 8040 plain PATCH (NETCONF "merge") of a normalized value into a stored one."""
    if not node.is_schema():
        if isinstance(current, dict) and isinstance(incoming, dict):
            merged = dict(current)
            for name, item in incoming.items():
                merged[name] = merge(node.child(name), current.get(name), item) if name in current else item
            return merged
        return incoming
    if node.kind == LEAF:
        return incoming
    if node.kind == LEAF_LIST:
        return list(current or []) + [v for v in incoming if v not in (current or [])]
    if node.kind == LIST:
        entries = [dict(e) for e in current or []]
        for entry in incoming:
            existing = _find_entry(entries, node, tuple(entry[k] for k in node.keys))
            if existing is None:
                entries.append(entry)
            else:
                entries[entries.index(existing)] = merge_members(node, existing, entry)
        return entries
    return merge_members(node, current or {}, incoming)


def merge_members(node, current, incoming):
    merged = dict(current)
    for name, item in incoming.items():
        child = node.child(name)
        merged[name] = merge(child, merged.get(name), item) if name in merged else item
        _drop_other_cases(node, merged, name)
    return merged


def _drop_other_cases(node, members, name):
    for group in node.choices:
        if name in group:
            for other in group:
                if other != name:
                    members.pop(other, None)


# --------------------------------------------------------------------------
# validation (whole tree, after every write)
# --------------------------------------------------------------------------
class Violation:
    """One validation failure; ``target`` is set for a dangling reference."""

    def __init__(self, path, message, target=None):
        self.path = path
        self.message = message
        self.target = target


def _profile_path(profile):
    return "/base:profiles/profile[id='%s'][type='%s']" % (profile.get("id"), profile.get("type"))


def _ids(entries, key="id"):
    return [e.get(key) for e in entries or ()]


def dig(value, *names):
    for name in names:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _check_refs(out, path, values, known, kind):
    for value in values or ():
        if value not in known:
            out.append(Violation(path, "illegal reference: %s '%s' does not exist" % (kind, value), (kind, value)))


def _check_required_ref(out, path, holder, name, known, kind):
    """A mandatory leafref ``name`` of ``holder``: present, and naming an existing ``kind``."""
    value = holder.get(name)
    if not value:
        out.append(Violation(path + "/" + name, "missing mandatory leaf '%s'" % name))
    else:
        _check_refs(out, path + "/" + name, [value], known, kind)


def scope_known(scope, scopes):
    """A scope exists, or falls under a prefix scope (``is-prefix``)."""
    return any(s.get("id") == scope or (s.get("is-prefix") and scope.startswith(s.get("id", ""))) for s in scopes)


class Facilities:
    """The ids that leafrefs to ``/facilities`` may name, and every endpoint id of every profile."""

    def __init__(self, tree):
        facilities = tree.get("facilities") or {}
        self.data_sources = _ids(dig(facilities, "data-sources", "data-source"))
        self.signing_keys = _ids(dig(facilities, "crypto", "signing-keys", "signing-key"))
        self.verification_keys = _ids(dig(facilities, "crypto", "signature-verification-keys",
                                          "signature-verification-key"))
        self.endpoints = [e.get("id") for p in dig(tree, "profiles", "profile") or []
                          for e in dig(p, "endpoints", "endpoint") or []]


def validate_profile(profile, facilities):
    """Every rule the stand-in enforces on one profile (leafrefs, mandatory leaves)."""
    out = []
    base = _profile_path(profile)
    auth = dig(profile, "settings", "authorization-server") or {}
    as_path = base + "/settings/profile-oauth:authorization-server"
    scopes = dig(auth, "scopes", "scope") or []
    claims = _ids(dig(auth, "claims", "claim"), "name")
    providers = _ids(dig(auth, "claims", "claims-value-provider"))
    mappers = dig(auth, "claims", "claims-mappers", "claims-mapper") or []
    clients = dig(auth, "client-store", "config-backed", "client") or []
    client_ids = _ids(clients)
    for scope in scopes:
        path = "%s/scopes/scope[id='%s']" % (as_path, scope["id"])
        _check_refs(out, path + "/claims", scope.get("claims"), claims, "claim")
        if scope.get("is-prefix") and scope.get("claims"):
            out.append(Violation(path, "a prefix scope cannot carry claims"))
    _check_refs(out, as_path + "/scopes/default-scope-claim", dig(auth, "scopes", "default-scope-claim"), claims, "claim")
    for claim in dig(auth, "claims", "claim") or []:
        provider = claim.get("value-provided-by")
        path = "%s/claims/claim[name='%s']/value-provided-by" % (as_path, claim["name"])
        _check_refs(out, path, [provider] if provider else [], providers, "claims-value-provider")
    for mapper in mappers:
        for token in ("access_token", "id_token", "userinfo"):
            path = "%s/claims/claims-mappers/claims-mapper[id='%s']/%s/claim" % (as_path, mapper["id"], token)
            _check_refs(out, path, dig(mapper, token, "claim"), claims, "claim")
    default_mapper = dig(auth, "claims", "claims-mappers", "default-claims-mapper")
    _check_refs(out, as_path + "/claims/claims-mappers/default-claims-mapper", [default_mapper] if default_mapper else [],
                _ids(mappers), "claims-mapper")
    enabled = set(auth.get("client-capabilities") or {})
    for client in clients:
        path = "%s/client-store/config-backed/client[id='%s']" % (as_path, client["id"])
        for scope in client.get("scope") or []:
            if not scope_known(scope, scopes):
                out.append(Violation(path + "/scope", "illegal reference: scope '%s' does not exist" % scope, ("scope", scope)))
        mapper = client.get("claims-mapper")
        _check_refs(out, path + "/claims-mapper", [mapper] if mapper else [], _ids(mappers), "claims-mapper")
        # [C] "if you attempt to add a Client Capability that is not enabled on the relevant Token Profile,
        # the Configuration will be rejected" (Curity's documentation of configuration clients).
        for capability in sorted(set(client.get("capabilities") or {}) - enabled):
            out.append(Violation(path + "/capabilities/" + capability,
                                 "the client capability '%s' is not enabled on the profile (client-capabilities)"
                                 % capability, ("client-capability", capability)))
    out.extend(_validate_dcr(auth.get("dynamic-client-registration"), as_path, client_ids, scopes, facilities))
    out.extend(_validate_token_issuers(profile, base, facilities))
    for endpoint in dig(profile, "endpoints", "endpoint") or []:
        path = "%s/endpoints/endpoint[id='%s']" % (base, endpoint["id"])
        if not str(endpoint.get("uri", "")).startswith("/") or not endpoint.get("endpoint-kind"):
            out.append(Violation(path, "an endpoint needs a 'uri' starting with '/' and an 'endpoint-kind'"))
    return out


def _validate_dcr(dcr, as_path, client_ids, scopes, facilities):
    if dcr is None:
        return []
    out = []
    path = as_path + "/dynamic-client-registration"
    # [C] client-data-source: leafref, required (configuration reference).
    _check_required_ref(out, path, dcr, "client-data-source", facilities.data_sources, "data-source")
    non_templatized = dcr.get("non-templatized") or {}
    _check_refs(out, path + "/non-templatized/authenticate-client-by", non_templatized.get("authenticate-client-by"),
                client_ids, "client")
    for scope in dig(non_templatized, "scopes", "scope") or []:
        if not scope_known(scope, scopes):
            out.append(Violation(path + "/non-templatized/scopes/scope",
                                 "illegal reference: scope '%s' does not exist" % scope, ("scope", scope)))
    return out


def _validate_token_issuers(profile, base, facilities):
    out = []
    issuer = dig(profile, "token-issuers", "default-token-issuer")
    if issuer:
        path = base + "/token-issuers/default-token-issuer"
        # [C] default-data-source is required (configuration reference).
        _check_required_ref(out, path, issuer, "default-data-source", facilities.data_sources, "data-source")
        out.extend(_validate_jwt(dig(issuer, "jwt-issuer-settings"), path + "/jwt-issuer-settings", facilities, False))
    for entry in dig(profile, "token-issuers", "custom-token-issuer") or []:
        path = "%s/token-issuers/custom-token-issuer[id='%s'][issuer-type='%s'][purpose-type='%s']" % (
            base, entry.get("id"), entry.get("issuer-type"), entry.get("purpose-type"))
        # [I] the three token types Curity documents: JSON Web Token, opaque, wrapped opaque.
        if entry.get("issuer-type") not in ("jwt", "opaque", "wrapped-opaque"):
            out.append(Violation(path + "/issuer-type", "unknown issuer type '%s'" % entry.get("issuer-type")))
        out.extend(_validate_jwt(entry.get("jwt"), path + "/jwt", facilities, entry.get("issuer-type") == "jwt"))
        source = dig(entry, "data-sources", "tokens-data-source-id")
        _check_refs(out, path + "/data-sources/tokens-data-source-id", [source] if source else [],
                    facilities.data_sources, "data-source")
    return out


def _validate_jwt(jwt, path, facilities, required):
    """A JWT issuer's keys: signing-key-id a reference to a signing key, required when the issuer signs JWTs
    ([C] jwt-issuer-settings in the reference; [I] the same for a custom jwt issuer), verification-keystore-id
    one to a signature verification key [I]."""
    out = []
    signing = (jwt or {}).get("signing-key-id")
    if required and not signing:
        out.append(Violation(path + "/signing-key-id", "missing mandatory leaf 'signing-key-id'"))
    _check_refs(out, path + "/signing-key-id", [signing] if signing else [], facilities.signing_keys, "signing-key")
    verification = (jwt or {}).get("verification-keystore-id")
    _check_refs(out, path + "/verification-keystore-id", [verification] if verification else [],
                facilities.verification_keys, "signature-verification-key")
    return out


def _validate_environment(tree, facilities):
    """[C] a service role lists endpoint ids (Curity's exports); a leafref, so they must exist [I].  Two endpoints of the
    runtime cannot serve one path [I]."""
    out = []
    for role in dig(tree, "environments", "environment", "services", "service-role") or []:
        path = "/base:environments/environment/services/service-role[id='%s']/endpoints" % role.get("id")
        _check_refs(out, path, role.get("endpoints"), facilities.endpoints, "endpoint")
    seen = {}
    for profile in dig(tree, "profiles", "profile") or []:
        for endpoint in dig(profile, "endpoints", "endpoint") or []:
            uri = endpoint.get("uri")
            if uri in seen:
                out.append(Violation("%s/endpoints/endpoint[id='%s']/uri" % (_profile_path(profile), endpoint.get("id")),
                                     "the path '%s' is the path of endpoint '%s' already" % (uri, seen[uri])))
            seen.setdefault(uri, endpoint.get("id"))
    return out


def validate(tree):
    facilities = Facilities(tree)
    out = []
    for profile in dig(tree, "profiles", "profile") or []:
        out.extend(validate_profile(profile, facilities))
    out.extend(_validate_environment(tree, facilities))
    return out


# --------------------------------------------------------------------------
# seed
# --------------------------------------------------------------------------
_ACCOUNT_MANAGER_PROVIDER = "account-manager-claims-provider"
_OIDC_SCOPES = (
    ("address", "OpenId Connect address scope", ("address",)),
    ("email", "OpenId Connect email scope", ("email", "email_verified")),
    ("openid", "Standard OpenID Connect scope", ()),
    ("phone", "OpenId Connect phone scope", ("phone_number", "phone_number_verified")),
    ("profile", "OpenId Connect profile scope",
     ("birthdate", "family_name", "gender", "given_name", "locale", "middle_name", "name", "nickname", "picture",
      "preferred_username", "profile", "updated_at", "website", "zoneinfo")),
)
# A fresh installation's token service endpoints, all deployed on the default service role; no DCR
# endpoint: Curity's basic configuration has none (its Kubernetes and cloud-native example exports) [C].
_ENDPOINTS = (
    ("token-service-anonymous", "/oauth/v2/oauth-anonymous", "oauth-anonymous"),
    ("token-service-authorize", "/oauth/v2/oauth-authorize", "oauth-authorize"),
    ("token-service-token", "/oauth/v2/oauth-token", "oauth-token"),
)
SIGNING_KEY = "default-signing-key"
VERIFICATION_KEY = "default-signature-verification-key"
# The hashed secret of the sample client of Curity's public example backup.
_WEB_CLIENT_SECRET_HASH = "$5$EhCiJ4PGB6.I6kiJ$w/KDqIa8Z9dSXhtTW3XYc9IX4knFD7j7Yidl8lMdGv9"


def _seed_claims():
    names = sorted({claim for scope in _OIDC_SCOPES for claim in scope[2]})
    return {
        "claim": [{"name": n, "description": "OpenID Connect %s claim" % n, "value-provided-by": _ACCOUNT_MANAGER_PROVIDER}
                  for n in names],
        "claims-value-provider": [{
            "id": _ACCOUNT_MANAGER_PROVIDER,
            "account-manager-claims-provider:account-manager-claims-provider": {"account-manager": {"id": "default-account-manager"}},
        }],
        "claims-mappers": {
            "claims-mapper": [{"id": "default", "id_token": {"claim": list(names)}, "userinfo": {"claim": list(names)}}],
            "default-claims-mapper": "default",
        },
    }


def seed_config():
    """A fresh Curity installation as Curity's example exports show one: one OAuth profile whose client
    capabilities include client credentials, its token endpoints deployed on the default service role, the
    default data source, signing key and signature verification key; no DCR settings and no DCR endpoint."""
    scopes = [dict({"id": sid, "description": text}, **({"claims": list(claims)} if claims else {}))
              for sid, text, claims in _OIDC_SCOPES]
    authorization_server = {
        "client-capabilities": {"code": {}, "implicit": [None], "client-credentials": [None], "introspection": [None]},
        "scopes": {"scope": scopes},
        "claims": _seed_claims(),
        "client-store": {"config-backed": {"client": [{
            "id": "web-client", "client-name": "web-client", "secret": _WEB_CLIENT_SECRET_HASH,
            "redirect-uris": ["https://localhost/callback"], "scope": ["openid", "profile"], "capabilities": {"code": {}},
        }]}},
    }
    profile = {
        "id": SEED_PROFILE_ID,
        "type": OAUTH_SERVICE,
        "settings": {"authorization-server": authorization_server},
        "token-issuers": {"default-token-issuer": {
            "jwt-issuer-settings": {"signing-key-id": SIGNING_KEY},
            "default-data-source": DATA_SOURCES[0],
        }},
        "endpoints": {"endpoint": [{"id": i, "uri": u, "endpoint-kind": k} for i, u, k in _ENDPOINTS]},
    }
    return {"profiles": {"profile": [profile]},
            "environments": {"environment": {"services": {"service-role": [
                {"id": SEED_SERVICE_ROLE, "endpoints": [i for i, _u, _k in _ENDPOINTS]}]}}},
            "facilities": {"data-sources": {"data-source": [{"id": source} for source in DATA_SOURCES]},
                           "crypto": {"signing-keys": {"signing-key": [{"id": SIGNING_KEY}]},
                                      "signature-verification-keys": {"signature-verification-key": [
                                          {"id": VERIFICATION_KEY}]}}}}


# --------------------------------------------------------------------------
# per-process secrets
# --------------------------------------------------------------------------
_PROCESS_LOCK = threading.Lock()
_PROCESS_MATERIAL = {}


def _process_material():
    """Admin password and token signing key: random, generated once per process."""
    with _PROCESS_LOCK:
        if not _PROCESS_MATERIAL:
            from joserfc.jwk import RSAKey  # Authlib's JOSE implementation

            key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
            key.ensure_kid()
            _PROCESS_MATERIAL.update(admin_password=secrets.token_urlsafe(18), signing_key=key)
        return _PROCESS_MATERIAL


# --------------------------------------------------------------------------
# the state object
# --------------------------------------------------------------------------
class CurityState:
    """Configuration datastore and runtime state of the Curity stand-in."""

    ACCESS_TOKEN_TTL = 300  # Curity's default access-token-ttl
    REGISTRATION_TOKEN_TTL = 31536000  # 365 days, as Curity documents

    def __init__(self, ctx):
        self.ctx = ctx
        self.profile_id = SEED_PROFILE_ID
        material = _process_material()
        self._admin_password = material["admin_password"]
        self.signing_key = material["signing_key"]
        # RFC 7592 answer when client management is disabled: 404 or 405.
        self.management_disabled_status = 404
        # error-tag of a POST that finds its entry already there: ConfD-family
        # servers say data-exists [I], RFC 8040 section 4.4.1 says resource-denied.
        self.post_conflict_tag = "data-exists"
        self.reset()

    # -- lifecycle -----------------------------------------------------------
    def reset(self):
        with self.ctx.lock:
            self.config = seed_config()
            self.dcr_clients = {}
            self.tokens = {}
            self.registration_tokens = {}

    def info(self):
        return {
            "curity_admin_username": ADMIN_USERNAME,
            "curity_admin_password": self._admin_password,
            "curity_profile_id": self.profile_id,
            "curity_issuer": self.ctx.urls.get("curity_runtime", "") + (self.endpoint_uri("oauth-anonymous") or ""),
        }

    def check_admin(self, username, password):
        return username == ADMIN_USERNAME and isinstance(password, str) and hmac.compare_digest(
            password.encode("utf-8"), self._admin_password.encode("utf-8"))

    # -- datastore (RESTCONF) --------------------------------------------------
    def get(self, steps):
        with self.ctx.lock:
            return read(self.config, steps)

    def edit(self, change, deleted_path=None):
        """Apply ``change(tree)`` to a copy, validate the whole tree, then swap (atomic).

        ``deleted_path`` (the error-path of a DELETE) turns a dangling reference
        into 409 ``in-use`` instead of 400 ``invalid-value``.
        """
        with self.ctx.lock:
            tree = copy.deepcopy(self.config)
            result = change(tree)
            violations = validate(tree)
            if violations:
                raise _violation_error(violations[0], deleted_path)
            self.config = tree
            return result

    # -- configuration read helpers ---------------------------------------------
    def _profile_view(self):
        """The profile in the current configuration, not copied.  ``edit`` never changes a published tree (it swaps
        in a new one), so what a reader holds stays as it was; readers must not change it.  The methods below return
        copies of what they hand out, except the ``*_view`` ones (the runtime reads thousands of scopes and claims
        per request, which copying costs more than serving)."""
        with self.ctx.lock:
            return _find_entry(dig(self.config, "profiles", "profile"), _PROFILE, (self.profile_id, OAUTH_SERVICE))

    def profile(self):
        return copy.deepcopy(self._profile_view())

    def authorization_server_view(self):
        """The authorization server's settings, read-only (see ``_profile_view``)."""
        return dig(self._profile_view(), "settings", "authorization-server") or {}

    def authorization_server(self):
        return copy.deepcopy(self.authorization_server_view())

    def deployed_endpoints(self):
        """Ids of the endpoints some service role deploys.  The stand-in's runtime stands for the nodes of every
        service role behind one address [I], so an endpoint is served when any role lists it [C: a service role's
        nodes serve the endpoints it lists; Kong: "Select the nodes you want to enable DCR on"]."""
        with self.ctx.lock:
            roles = dig(self.config, "environments", "environment", "services", "service-role") or []
        return {endpoint for role in roles for endpoint in role.get("endpoints") or []}

    def endpoint_uri(self, kind):
        """Path of the profile's endpoint of ``kind`` while a service role deploys it, else None."""
        deployed = self.deployed_endpoints()
        for endpoint in dig(self._profile_view(), "endpoints", "endpoint") or []:
            if endpoint.get("endpoint-kind") == kind and endpoint.get("id") in deployed:
                return endpoint.get("uri")
        return None

    def dcr_settings(self):
        """The dynamic-client-registration settings while DCR is enabled (non-templatized present)."""
        dcr = self.authorization_server_view().get("dynamic-client-registration")
        return copy.deepcopy(dcr) if dcr and "non-templatized" in dcr else None

    def access_token_as_jwt(self):
        return "access-token-as-jwt" in (dig(self._profile_view(), "token-issuers", "default-token-issuer") or {})

    def config_client(self, client_id):
        clients = dig(self.authorization_server_view(), "client-store", "config-backed", "client")
        return copy.deepcopy(_find_entry(clients, _CLIENT_STORE.children["config-backed"].children["client"],
                                         (client_id,)))

    # -- runtime: dynamically registered clients ---------------------------------
    def registered_clients(self):
        """Clients in the DCR data source, without secrets."""
        with self.ctx.lock:
            return [self._public_client(c) for c in self.dcr_clients.values()]

    def registered_client(self, client_id):
        with self.ctx.lock:
            client = self.dcr_clients.get(client_id)
            return self._public_client(client) if client else None

    def client_record(self, client_id):
        """Stored record of a registered client (with its secret hash), for the runtime."""
        with self.ctx.lock:
            return copy.deepcopy(self.dcr_clients.get(client_id))

    @staticmethod
    def _public_client(client):
        out = {"client_id": client["client_id"], "client_id_issued_at": client["client_id_issued_at"]}
        out.update(copy.deepcopy(client["metadata"]))
        return out

    def verify_client(self, client_id, secret):
        """True when the id/secret pair authenticates an enabled client (config-backed or registered)."""
        client = self.config_client(client_id)
        if client is not None:
            return client.get("enabled", True) and verify_secret(secret, client.get("secret"))
        with self.ctx.lock:
            registered = self.dcr_clients.get(client_id)
            return bool(registered) and verify_secret(secret, registered["secret_hash"])

    def save_registered_client(self, client_id, secret, issued_at, metadata):
        with self.ctx.lock:
            self.dcr_clients[client_id] = {"client_id": client_id, "client_id_issued_at": issued_at,
                                           "secret_hash": sha256_crypt(secret), "metadata": copy.deepcopy(metadata)}

    def delete_registered_client(self, client_id):
        with self.ctx.lock:
            self.dcr_clients.pop(client_id, None)
            for store in (self.tokens, self.registration_tokens):
                for token in [t for t, v in store.items() if v["client_id"] == client_id]:
                    del store[token]

    # -- runtime: tokens ---------------------------------------------------------
    def save_token(self, token, client_id, scope, expires_in, kind="access"):
        with self.ctx.lock:
            now = time.time()
            for stale in [t for t, v in self.tokens.items() if v["exp"] <= now]:
                del self.tokens[stale]
            self.tokens[token] = {"client_id": client_id, "scope": scope or "", "exp": now + expires_in,
                                  "kind": kind, "used": False}

    def token(self, token):
        with self.ctx.lock:
            record = self.tokens.get(token)
            return dict(record) if record else None

    def mark_token_used(self, token):
        with self.ctx.lock:
            if token in self.tokens:
                self.tokens[token]["used"] = True

    def introspect(self, token):
        """RFC 7662-shaped view of an access token issued by the runtime."""
        record = self.token(token)
        if not record or record["exp"] <= time.time():
            return {"active": False}
        return {"active": True, "client_id": record["client_id"], "sub": record["client_id"],
                "scope": record["scope"], "exp": int(record["exp"]), "token_type": "bearer"}

    def issue_registration_token(self, client_id):
        """A new registration access token; every earlier one of the client stops working."""
        with self.ctx.lock:
            for token in [t for t, v in self.registration_tokens.items() if v["client_id"] == client_id]:
                del self.registration_tokens[token]
            token = secrets.token_urlsafe(32)
            self.registration_tokens[token] = {"client_id": client_id, "exp": time.time() + self.REGISTRATION_TOKEN_TTL}
            return token

    def registration_token(self, token):
        with self.ctx.lock:
            record = self.registration_tokens.get(token)
            return dict(record) if record else None

    def revoke_registration_token(self, token):
        with self.ctx.lock:
            self.registration_tokens.pop(token, None)

    def rotate_client_secret(self, client_id):
        secret = secrets.token_urlsafe(32)
        with self.ctx.lock:
            self.dcr_clients[client_id]["secret_hash"] = sha256_crypt(secret)
        return secret

    def update_registered_metadata(self, client_id, metadata):
        with self.ctx.lock:
            self.dcr_clients[client_id]["metadata"] = copy.deepcopy(metadata)


def _violation_error(violation, deleted_path):
    if deleted_path and violation.target:
        kind, value = violation.target
        return DataError(409, "in-use", "%s '%s' is in use by %s" % (kind, value, violation.path), deleted_path)
    return invalid(violation.message, violation.path)
