# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The DCR credential and what Dynamic Client Registration needs around it, in one Curity profile.

The objects, each read with one plain GET of its exact subtree (never ``fields``), and where the
facts about them come from ("confirmed": Curity's own configurations, code or reference;
"inferred": the RFCs Curity implements, or the shape of the confirmed examples):

* the config-backed client ``AS/client-store/config-backed/client=<id>`` (``id``, ``client-name``,
  ``description``, ``scope``, ``capabilities/client-credentials`` as ``[null]``, ``secret``;
  confirmed) and its ``properties/property{key,value}`` (confirmed: Curity's client types and its
  documentation of client properties), where the run records what it created for a teardown;
* the profile's client capabilities ``AS/client-capabilities`` (confirmed: Curity refuses a client
  capability the profile has not enabled; ``client-credentials`` is an empty leaf in Curity's
  exports);
* the DCR settings ``AS/dynamic-client-registration`` (confirmed names and places; the JSON of
  ``non-templatized/scopes/all``, ``capabilities/code`` and ``authenticators/all`` is inferred:
  Curity's configuration exports write them as empty leaves ``<all/>``, ``<code/>``, while they
  write containers as an opening and a closing tag, so they are sent as ``[null]``);
  ``client-management/management-clients`` is a container (a "Section" in Curity's reference)
  whose members are not public: it is read as "set or not", never interpreted nor written;
* the profile's endpoints ``P/endpoints/endpoint{id}`` (``uri``, ``endpoint-kind``) and the service
  roles that deploy them, ``base:environments/environment/services/service-role{id}/endpoints``
  (confirmed: a DCR endpoint of kind ``oauth-dynamic-client-registration`` deployed on a service
  role is what makes discovery advertise ``registration_endpoint``);
* the token issuers ``P/token-issuers``: ``default-token-issuer`` (``access-token-as-jwt``,
  ``default-data-source``, ``jwt-issuer-settings/signing-key-id``; confirmed) and the custom issuer
  ``custom-token-issuer{id, issuer-type, purpose-type}`` with ``jwt/signing-key-id`` (confirmed),
  ``jwt/verification-keystore-id`` (inferred: the same leaves as the default issuer's
  ``jwt-issuer-settings``, whose reference page names it) and ``data-sources/tokens-data-source-id``
  (confirmed in the reference).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    EMPTY,
    OAUTH_SERVICE_IDENTITY,
    CurityError,
    entries_of,
    key,
    local_name,
    member,
    object_of,
    present,
    put_path,
    set_member,
    strings_of,
    text_of,
    top,
    unknown_scopes,
)
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError

# The sections of the plan (and of the diff).
CLIENT = "client"
CAPABILITIES = "client_capabilities"
DCR = "dynamic_client_registration"
ENDPOINT = "dcr_endpoint"
ISSUER = "token_issuer"
USERINFO = "userinfo_token_issuer"

DCR_ENDPOINT_KIND = "oauth-dynamic-client-registration"
TOKEN_ENDPOINT_KIND = "oauth-token"
# Curity's conventional DCR endpoint (confirmed: its mobile deployment base configuration).
DEFAULT_DCR_ENDPOINT_ID = "token-service-dynamic-client-registration"
DEFAULT_DCR_ENDPOINT_URI = "/token-service/oauth-registration"
SERVICE_ROLES = "data/base:environments/environment/services/service-role"
# Kong's custom token issuer: issuer type and purpose type (the last two parts of its key).
USERINFO_ISSUER_TYPE = "jwt"
USERINFO_PURPOSE = "userinfo"

# The client properties where a run records what it created, so that a teardown removes exactly
# that and never what it found: the DCR endpoint the record is about, whether the run created it,
# the service roles the run deployed it on, and the custom token issuer the run created.
RECORD_ENDPOINT = "devportal-dcr-endpoint"
RECORD_ENDPOINT_CREATED = "devportal-dcr-endpoint-created"
RECORD_ENDPOINT_ROLES = "devportal-dcr-endpoint-deployed-on"
RECORD_ISSUER = "devportal-dcr-userinfo-issuer-created"
RECORD_KEYS = (RECORD_ENDPOINT, RECORD_ENDPOINT_CREATED, RECORD_ENDPOINT_ROLES, RECORD_ISSUER)

# Non-templatized capabilities: option value -> (member, RFC 7951 value).  Both are empty leaves:
# Curity's exports write them as <client-credentials/> and <code/> (inferred encoding).
DCR_CAPABILITIES = {"client_credentials": ("client-credentials", EMPTY), "code": ("code", EMPTY)}
CLIENT_LEAVES = {"client_name": "client-name", "description": "description", "scopes": "scope"}
# Elements whose JSON encoding is inferred: (path in the DCR settings, what was sent, what to try instead).
INFERRED_ELEMENTS = (
    (("non-templatized", "scopes", "all"), "an empty leaf ([null])",
     "give dcr_scopes (named scopes are a plain list) instead of allowing all scopes"),
    (("non-templatized", "authenticators", "all"), "an empty leaf ([null])",
     "enable non-templatized DCR once in the Admin UI (the collection then keeps its authenticators)"),
    (("non-templatized", "capabilities", "code"), "an empty leaf ([null])", "leave code out of dcr_capabilities"),
    (("non-templatized", "capabilities", "client-credentials"), "an empty leaf ([null])",
     "enable non-templatized DCR once in the Admin UI"),
    (("non-templatized", "client-authentication-method", "secret"), "an empty container ({})",
     "enable non-templatized DCR once in the Admin UI"),
)


def _options(obj):
    """Member names of a JSON object as option-like names (``client-credentials`` -> ``client_credentials``)."""
    return sorted(local_name(k).replace("-", "_") for k in obj or {})


class CredentialConfig:
    """The parts of one profile the DCR credential step works with, each read with one plain GET.

    ``parts`` may hold parts already known (tests, or a second use); the others are read with
    ``admin`` on first use, in the order ``load`` asks for them.  A part that does not exist is
    None (the list parts an empty list).
    """

    def __init__(self, client_id, admin=None, **parts):
        self.client_id = client_id
        self.admin = admin
        self.parts = dict(parts)

    @classmethod
    def read(cls, admin, client_id, *names):
        config = cls(client_id, admin)
        config.load(*names)
        return config

    def load(self, *names):
        for name in names:
            self.part(name)
        return self

    def part(self, name):
        if name not in self.parts:
            self.parts[name] = self._read(name) if self.admin is not None else None
        return self.parts[name]

    def _read(self, name):
        """One plain GET of the part ``name`` (its exact subtree)."""
        admin = self.admin
        if name == "roles":
            return {"service-role": admin.read_entries(SERVICE_ROLES, "service-role", "the service roles")}
        if name == "client":
            return admin.read(admin.client_path(self.client_id), "client", "client %r" % self.client_id)
        below, member_name = {
            "dcr": (admin.path, "dynamic-client-registration"),
            "capabilities": (admin.path, "client-capabilities"),
            "scopes": (admin.path, "scopes"),
            "issuers": (admin.profile_sub, "token-issuers"),
            "endpoints": (admin.profile_sub, "endpoints"),
        }[name]
        return admin.read(below(member_name), member_name, "the profile")

    # -- the parts, shape-checked ---------------------------------------------------------------
    @property
    def client(self):
        return self._object("client", "the profile's client store")

    @property
    def dcr(self):
        return self._object("dcr", "the profile's authorization server")

    def _object(self, name, where):
        value = self.part(name)
        if value is not None and not isinstance(value, dict):
            raise CurityError("%s: %s is not an object." % (where, name))
        return value

    @property
    def scopes(self):
        return entries_of(self._object("scopes", "the profile") or {}, "scope", "the scopes of the profile", "id")

    @property
    def endpoints(self):
        return entries_of(self._object("endpoints", "the profile") or {}, "endpoint", "the endpoints of the profile", "id")

    @property
    def roles(self):
        return entries_of(self._object("roles", "the environment") or {}, "service-role", "the service roles", "id")

    @property
    def default_issuer(self):
        return object_of(self._object("issuers", "the profile") or {}, "default-token-issuer", "the token issuers")

    def custom_issuers(self):
        issuers = entries_of(self._object("issuers", "the profile") or {}, "custom-token-issuer",
                             "the token issuers", "id")
        for entry in issuers:
            where = "custom token issuer %r" % member(entry, "id")
            text_of(entry, "issuer-type", where)
            text_of(entry, "purpose-type", where)
        return issuers

    # -- views (option names) ------------------------------------------------------------------
    def client_view(self):
        client = self.client
        if client is None:
            return None
        where = "client %r" % self.client_id
        return {
            "client_name": text_of(client, "client-name", where, ""),
            "description": text_of(client, "description", where, ""),
            "scopes": sorted(strings_of(client, "scope", where)),
            "client_credentials": present(object_of(client, "capabilities", where), "client-credentials"),
            "teardown_record": self.record(),
        }

    def record(self):
        """What earlier runs recorded in the client's properties as created by them ({} when nothing)."""
        where = "client %r" % self.client_id
        properties = object_of(self.client, "properties", where)
        out = {}
        for entry in entries_of(properties, "property", "the properties of %s" % where, "key"):
            name = member(entry, "key")
            if name in RECORD_KEYS:
                out[name] = text_of(entry, "value", "property %r of %s" % (name, where), "")
        return out

    def capabilities_view(self):
        capabilities = self._object("capabilities", "the profile's authorization server")
        return {"client_credentials": present(capabilities, "client-credentials")}

    @property
    def dcr_enabled(self):
        """Non-templatized DCR is configured (what the how-to enables)."""
        return self.dcr is not None and present(self.dcr, "non-templatized")

    def dcr_view(self):
        dcr = self.dcr
        if dcr is None:
            return None
        where = "the DCR settings"
        settings = object_of(dcr, "non-templatized", where) or {}
        inner = "non-templatized DCR"
        scopes = object_of(settings, "scopes", inner) or {}
        authenticators = object_of(settings, "authenticators", inner) or {}
        management = object_of(dcr, "client-management", where)
        return {
            "client_data_source": text_of(dcr, "client-data-source", where, ""),
            "capabilities": _options(object_of(settings, "capabilities", inner)),
            "scopes": "all" if present(scopes, "all") else sorted(strings_of(scopes, "scope", "the DCR scopes")),
            "authenticators": "all" if present(authenticators, "all") else sorted(
                strings_of(authenticators, "authenticator", "the DCR authenticators")),
            "client_authentication": _options(object_of(settings, "client-authentication-method", inner)),
            "authenticate_client_by": sorted(strings_of(settings, "authenticate-client-by", inner)),
            "management_clients": bool(object_of(management, "management-clients", "DCR client management")),
            "client_management": management is not None,
        }

    def issuer_view(self):
        return {"access_token_as_jwt": present(self.default_issuer, "access-token-as-jwt")}

    def issuer_defaults(self):
        """The default token issuer's data source, signing key and verification keystore ('' when not set)."""
        issuer = self.default_issuer
        where = "the default token issuer"
        jwt = object_of(issuer, "jwt-issuer-settings", where)
        return {"tokens_data_source": text_of(issuer, "default-data-source", where, ""),
                "signing_key": text_of(jwt, "signing-key-id", "the JWT settings of %s" % where, ""),
                "verification_keystore": text_of(jwt, "verification-keystore-id", "the JWT settings of %s" % where, "")}

    def userinfo_entry(self, issuer_id):
        for entry in self.custom_issuers():
            if (member(entry, "id"), member(entry, "issuer-type"), member(entry, "purpose-type")) == (
                    issuer_id, USERINFO_ISSUER_TYPE, USERINFO_PURPOSE):
                return entry
        return None

    def userinfo_view(self, issuer_id):
        entry = self.userinfo_entry(issuer_id)
        if entry is None:
            return None
        where = "custom token issuer %r" % issuer_id
        jwt = object_of(entry, "jwt", where)
        sources = object_of(entry, "data-sources", where)
        return {"id": issuer_id, "issuer_type": USERINFO_ISSUER_TYPE, "purpose_type": USERINFO_PURPOSE,
                "tokens_data_source": text_of(sources, "tokens-data-source-id", where, ""),
                "signing_key": text_of(jwt, "signing-key-id", where, ""),
                "verification_keystore": text_of(jwt, "verification-keystore-id", where, "")}

    # -- endpoints and service roles -------------------------------------------------------------
    def endpoint(self, endpoint_id):
        for entry in self.endpoints:
            if member(entry, "id") == endpoint_id:
                return entry
        return None

    def endpoint_kind(self, entry):
        return text_of(entry, "endpoint-kind", "endpoint %r" % member(entry, "id"), "")

    def endpoint_uri(self, entry):
        return text_of(entry, "uri", "endpoint %r" % member(entry, "id"), "")

    def dcr_endpoints(self):
        return [e for e in self.endpoints if self.endpoint_kind(e) == DCR_ENDPOINT_KIND]

    def dcr_endpoint_id(self, given=None):
        """The DCR endpoint to work with: the one named, else the profile's, else Curity's conventional one."""
        if given:
            return given
        existing = self.dcr_endpoints()
        return member(existing[0], "id") if existing else DEFAULT_DCR_ENDPOINT_ID

    def role_ids(self):
        return [member(r, "id") for r in self.roles]

    def roles_deploying(self, endpoint_ids):
        ids = set(endpoint_ids)
        return sorted(member(r, "id") for r in self.roles
                      if ids & set(strings_of(r, "endpoints", "service role %r" % member(r, "id"))))

    def token_endpoint_roles(self):
        """The service roles that deploy the profile's token endpoint (what a user expects DCR beside)."""
        return self.roles_deploying(member(e, "id") for e in self.endpoints if self.endpoint_kind(e) == TOKEN_ENDPOINT_KIND)

    def endpoint_view(self, endpoint_id):
        entry = self.endpoint(endpoint_id)
        if entry is None:
            return None
        return {"id": endpoint_id, "uri": self.endpoint_uri(entry), "service_roles": self.roles_deploying([endpoint_id])}

    # -- who else the DCR settings serve -------------------------------------------------------------
    def dcr_other_users(self, client_id):
        """What, besides ``client_id``, the DCR settings serve: other clients in ``authenticate-client-by``,
        management clients, user authentication or open registration, templatized DCR (in words).

        Empty when the DCR settings exist for ``client_id`` alone (or for nobody): removing them then
        takes nothing from anyone else.
        """
        dcr = self.dcr
        if dcr is None:
            return []
        where = "the DCR settings"
        settings = object_of(dcr, "non-templatized", where) or {}
        users = ["client %r" % c for c in sorted(set(strings_of(settings, "authenticate-client-by", where)))
                 if c != client_id]
        if object_of(object_of(dcr, "client-management", where), "management-clients", "DCR client management"):
            users.append("the management clients (client-management/management-clients)")
        if strings_of(settings, "authenticate-user-by", where):
            users.append("user authentication (authenticate-user-by)")
        if present(settings, "no-authentication"):
            users.append("open registration (no-authentication)")
        if present(dcr, "templatized"):
            users.append("templatized DCR")
        return users

    def unknown_scopes(self, names):
        return unknown_scopes(names, self.scopes) if names else []

    # -- writing -----------------------------------------------------------------------------------
    def write(self, admin, plan, secret=None):
        """Apply ``plan``: one PATCH for everything a merge can do, then what a merge cannot.

        The merge is one PATCH of the profile, or, when a service role must deploy the DCR endpoint,
        one PATCH of the datastore (the profile and the service roles in one transaction: the
        endpoint and its deployment are validated together), as Curity's own scripts patch it.

        Removals cannot be merged (RFC 8040 plain PATCH): a client that loses scopes or a name is
        replaced (PUT of the client read whole, its secret hash included, which the server keeps as
        it is, as when a backup is restored: inferred), DCR scopes that shrink replace the ``scopes``
        container, ``access-token-as-jwt`` and a verification keystore are deleted; a teardown takes
        the DCR endpoint off the service roles the run deployed it on (DELETE of the leaf-list
        entries, RFC 8040 section 3.5.3) and deletes what the run created, then the DCR settings
        leave (PUT) or go (DELETE), then the client is deleted.
        """
        changes = dict((c.key, c) for c in plan.changes if c.changed)
        server, profile, roles, undo, later = {}, {}, {}, [], []
        self._write_endpoint(admin, changes.get(ENDPOINT), profile, roles, undo)
        self._write_userinfo(admin, changes.get(USERINFO), profile, undo)
        capabilities = changes.get(CAPABILITIES)
        if capabilities is not None:
            server["client-capabilities"] = {"client-credentials": EMPTY}
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
            later.append(lambda: admin.delete(admin.profile_sub("token-issuers/default-token-issuer/access-token-as-jwt")))
        if server:
            profile["settings"] = {"profile-oauth:authorization-server": server}
        if profile:
            profile.update({"id": admin.profile_id, "type": OAUTH_SERVICE_IDENTITY})
            self._merge(admin, profile, roles, server.get("dynamic-client-registration"))
        for step in undo + later:
            step()

    def _merge(self, admin, profile, roles, dcr_fragment):
        try:
            if roles:
                services = {"service-role": [{"id": role, "endpoints": ids} for role, ids in sorted(roles.items())]}
                admin.patch("data", {"ietf-restconf:data": {"base:profiles": {"profile": [profile]},
                                                            "base:environments": {"environment": {"services": services}}}})
            else:
                admin.patch(admin.profile_path, {"base:profile": [profile]})
        except HttpError as exc:
            if exc.status != 400 or not dcr_fragment:
                raise
            raise CurityError(explain_refusal(exc, dcr_fragment))

    def _write_endpoint(self, admin, change, profile, roles, later):
        if change is None:
            return
        before, after = change.before or {}, change.after or {}
        endpoint_id = before.get("id") or after.get("id")
        removed = sorted(set(before.get("service_roles") or []) - set(after.get("service_roles") or []))
        for role in removed:  # first: a deployed endpoint cannot go
            later.append(lambda role=role: admin.delete("%s=%s/endpoints=%s" % (SERVICE_ROLES, key(role), key(endpoint_id))))
        if change.action == _engine.DELETE:
            later.append(lambda: admin.delete(admin.profile_sub("endpoints/endpoint=%s" % key(endpoint_id))))
            return
        entry = {"id": endpoint_id}
        if change.action == _engine.CREATE:
            entry["endpoint-kind"] = DCR_ENDPOINT_KIND
        if "uri" in _touched(change):
            entry["uri"] = after["uri"]
        if len(entry) > 1:
            put_path(profile, ("endpoints", "endpoint"), [entry])
        for role in sorted(set(after.get("service_roles") or []) - set(before.get("service_roles") or [])):
            roles[role] = [endpoint_id]

    def _write_userinfo(self, admin, change, profile, later):
        if change is None:
            return
        view = change.before or change.after
        issuer_path = admin.profile_sub("token-issuers/custom-token-issuer=%s" % key(
            view["id"], USERINFO_ISSUER_TYPE, USERINFO_PURPOSE))
        if change.action == _engine.DELETE:
            later.append(lambda: admin.delete(issuer_path))
            return
        entry = {"id": view["id"], "issuer-type": USERINFO_ISSUER_TYPE, "purpose-type": USERINFO_PURPOSE}
        touched = _touched(change)
        merged = change.action == _engine.CREATE
        for option, path in (("tokens_data_source", ("data-sources", "tokens-data-source-id")),
                             ("signing_key", ("jwt", "signing-key-id")),
                             ("verification_keystore", ("jwt", "verification-keystore-id"))):
            if option not in touched:
                continue
            value = change.after[option]
            if value:
                put_path(entry, path, value)
                merged = True
            elif change.action == _engine.UPDATE:
                later.append(lambda path=path: admin.delete("%s/%s" % (issuer_path, "/".join(path))))
        if merged:
            put_path(profile, ("token-issuers", "custom-token-issuer"), [entry])

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
        """The DCR settings without this client in ``authenticate-client-by`` (PUT of the settings as read).

        ``client-management/management-clients`` is written back as it was read: the collection never
        puts a client there and does not interpret that section.
        """
        dcr = copy.deepcopy(self.dcr)
        holder = member(dcr, "non-templatized")
        if isinstance(holder, dict):
            values = [v for v in strings_of(holder, "authenticate-client-by", "the DCR settings") if v != self.client_id]
            set_member(holder, "authenticate-client-by", values or None)
        admin.put(admin.path("dynamic-client-registration"), {"profile-oauth:dynamic-client-registration": dcr})


def explain_refusal(exc, fragment):
    """The message of a 400 on a write that carried DCR elements whose JSON encoding is inferred."""
    sent = [(path, shape, hint) for path, shape, hint in INFERRED_ELEMENTS if _has(fragment, path)]
    text = "%s %s" % (exc.detail or "", exc.body if isinstance(exc.body, (dict, list)) else "")
    named = [item for item in sent if "/".join(item[0]) in text or item[0][-1] in text]
    head = "Curity refused the DCR settings (HTTP 400%s)." % (": %s" % exc.detail.rstrip(".") if exc.detail else "")
    if named:
        path, shape, hint = named[0]
        return ("%s It names %s, which was sent as %s: that JSON encoding is inferred from Curity's configuration "
                "exports, and this server may model the element differently. Likely fix: %s. The change was one "
                "transaction: nothing was written." % (head, "dynamic-client-registration/" + "/".join(path), shape, hint))
    if sent:
        return ("%s The request set elements whose JSON encoding is inferred from Curity's configuration exports, the "
                "likely cause: %s. The change was one transaction: nothing was written." % (head, "; ".join(
                    "dynamic-client-registration/%s sent as %s (%s)" % ("/".join(path), shape, hint)
                    for path, shape, hint in sent)))
    return "%s The change was one transaction: nothing was written." % head


def _has(obj, path):
    for name in path:
        if not isinstance(obj, dict) or name not in obj:
            return False
        obj = obj[name]
    return True


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
        elif option == "teardown_record":
            _set_record(entry, change.after[option])
        else:
            value = change.after[option]
            set_member(entry, CLIENT_LEAVES[option], None if value in ("", []) else value)
    return entry


def _set_record(entry, record):
    """The record's properties set in a client entry (the other properties kept)."""
    properties = member(entry, "properties")
    if not isinstance(properties, dict):
        properties = {}
        set_member(entry, "properties", properties)
    items = [p for p in member(properties, "property") or [] if member(p, "key") not in record]
    items.extend({"key": name, "value": value} for name, value in sorted(record.items()))
    set_member(properties, "property", items)


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
        elif option == "authenticators" and value == "all":
            settings["authenticators"] = {"all": EMPTY}
    fragment["non-templatized"] = settings
    return fragment
