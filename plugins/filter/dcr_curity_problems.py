# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``dcr_curity`` role's checks of its variables, in one pass of Python.

They are the checks that meta/argument_specs.yml cannot express, and the limits that the modules and
Kong's API set on the values the role sends; the role runs them before any module, so bad input stops
the run before anything is written.  Messages name variables (and entries), never secret values.
Written as Jinja conditions they cost a large share of a run that changes nothing; here they are one
filter call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

# An absolute http(s) URL with a host name, without credentials, query or fragment.
HTTP_URL = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[^/?#\s@:\[\]]+)(:[0-9]*)?(/[^?#\s]*)?$", re.IGNORECASE)
# Redirect URIs: http(s) with a host, or a custom scheme (com.example.app:/callback); never a fragment.
REDIRECT_HTTP = re.compile(r"^https?://[^/?#\s]+[^#\s]*$", re.IGNORECASE)
REDIRECT_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!//(\?|$))[^?#\s][^#\s]*$")
LABEL_KEY = re.compile(r"^(?!kong|konnect|mesh|kic|_).{1,63}$")
LABEL_VALUE = re.compile(r"^(?=.{1,63}$)[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z]+)?$")
# Environment variables that stand for the connection settings (the modules' fallbacks).
ENV = {"admin_url": "CURITY_ADMIN_URL", "admin_password": "CURITY_ADMIN_PASSWORD", "konnect_token": "KONNECT_TOKEN",
       "portal_url": "KONNECT_PORTAL_URL", "developer_email": "KONNECT_DEVELOPER_EMAIL",
       "developer_password": "KONNECT_DEVELOPER_PASSWORD"}
# The keys of an entry of dcr_curity_claims and dcr_curity_scopes: the entry options of the claims option of
# devportal.dcr.curity_claim and of the scopes option of devportal.dcr.curity_scope (a unit test keeps them equal).
# The role's argument spec leaves these two lists out (Ansible would template and copy every entry at each run).
CLAIM_KEYS = ("name", "description", "value_provider", "attribute", "required", "expose_in_metadata", "claims_mapper",
              "in_access_token", "in_id_token", "in_userinfo")
SCOPE_KEYS = ("name", "description", "claims", "time_to_live", "required", "expose_in_metadata", "is_prefix")
# At most this many entries of one list are named in the messages.
ENTRY_MESSAGES = 5
SECRETS = ("dcr_curity_admin_password", "dcr_curity_konnect_token", "dcr_curity_developer_password",
           "dcr_curity_client_secret")
# The Vault secret store's connection: its variable or the environment variables of the store's options.
VAULT_URL = ("dcr_curity_secret_store_url", ("VAULT_ADDR",))
VAULT_LOGIN = (("dcr_curity_secret_store_token", ("VAULT_TOKEN",)),
               ("dcr_curity_secret_store_role_id", ("ANSIBLE_HASHI_VAULT_ROLE_ID", "VAULT_ROLE_ID")))


def _text(value):
    """A value as Jinja's ``string`` filter shows it (None is ``None``)."""
    return value if isinstance(value, str) else str(value)


def _set(value):
    """Whether a variable is set (Jinja's ``default('', true)``: not undefined, None or empty)."""
    return value is not None and value != "" and value != [] and value != {} and value is not False


def _integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _items(value):
    return value if isinstance(value, list) else []


class Checker:
    """The role's variables (``inputs``: variable name -> value, ``None`` when not set) against its rules."""

    def __init__(self, inputs):
        if not isinstance(inputs, dict):
            raise AnsibleFilterError("dcr_curity_problems expects a dictionary of the role's variables")
        self.v = inputs
        self.active = list(inputs.get("dcr_curity__active") or [])
        self.present = inputs.get("dcr_curity_state") == "present"
        self.apps = [a for a in _items(inputs.get("dcr_curity_applications")) if isinstance(a, dict)]
        self.app_names = [a.get("name") for a in self.apps]

    def get(self, name, default=None):
        value = self.v.get(name)
        return default if value is None else value

    def given(self, option):
        """A connection setting, from its variable or its environment variable."""
        return _set(self.v.get("dcr_curity_" + option)) or bool(os.environ.get(ENV[option]))

    def vault_given(self, variable, names):
        return _set(self.v.get(variable)) or any(os.environ.get(name) for name in names)

    def uses_approval(self):
        return "application" in self.active and any(a.get("approve_registrations") for a in self.apps)

    # -- the checks, in the order of their messages -----------------------------------------------------
    def problems(self):
        out = self.entry_problems("dcr_curity_claims", CLAIM_KEYS, "devportal.dcr.curity_claim's claims")
        out.extend(self.entry_problems("dcr_curity_scopes", SCOPE_KEYS, "devportal.dcr.curity_scope's scopes"))
        out.extend(msg for ok, msg in self.checks() if not ok)
        if "application" in self.active:
            out.extend(self.application_problems())
        return out

    def checks(self):  # pylint: disable=too-many-locals
        get, active, present = self.get, self.active, self.present
        preflight = bool(get("dcr_curity_preflight", True))
        konnect_present = present and "konnect" in active
        uses_konnect = "konnect" in active or self.uses_approval()
        client_id = get("dcr_curity_client_id", "")
        client_secret = get("dcr_curity_client_secret", "")
        konnect_scopes = _items(get("dcr_curity_konnect_scopes", []))
        konnect_claims = _items(get("dcr_curity_konnect_claims", []))
        auth_methods = get("dcr_curity_auth_methods")
        labels = get("dcr_curity_labels")
        oidc_config = get("dcr_curity_oidc_config")
        issuer = get("dcr_curity_issuer")
        konnect_url = get("dcr_curity_konnect_url")
        portal_url = get("dcr_curity_portal_url")
        request_url = get("dcr_curity_request_url", "")
        request_app = get("dcr_curity_request_application", "")
        scopes = [s for s in _items(get("dcr_curity_scopes", [])) if isinstance(s, dict)]
        scope_names = [s.get("name") for s in scopes]
        marker = get("dcr_curity__placeholder_marker", "")
        placeholders = [name for name in SECRETS if marker and marker in _text(get(name, ""))]
        long_names = [name for name in ("dcr_curity_provider_name", "dcr_curity_strategy_name", "dcr_curity_display_name")
                      if isinstance(get(name), str) and len(get(name)) > 256]
        label_map = labels if isinstance(labels, dict) else {}
        bad_labels = []
        for key in ([k for k in label_map if not LABEL_KEY.match(_text(k))]
                    + [k for k, v in label_map.items() if not isinstance(v, str)]
                    + [k for k, v in label_map.items() if isinstance(v, str) and not LABEL_VALUE.match(v)]):
            if _text(key) not in bad_labels:
                bad_labels.append(_text(key))
        ttl_scopes = [s for s in scopes if _integer(s.get("time_to_live"))]
        bad_ttl = ([s.get("name") for s in ttl_scopes if s["time_to_live"] < 0]
                   + [s.get("name") for s in ttl_scopes if s["time_to_live"] > 4294967295])
        prefix_with_claims = [s.get("name") for s in scopes if s.get("is_prefix") and s.get("claims")]
        allowed_methods = get("dcr_curity__auth_methods", [])

        yield (not (preflight and "curity" in active) or (self.given("admin_url") and self.given("admin_password")),
               "Curity's admin API is not configured: set dcr_curity_admin_url and dcr_curity_admin_password, or the "
               "environment variables CURITY_ADMIN_URL and CURITY_ADMIN_PASSWORD (an AWX credential of the "
               "collection's \"Curity Identity Server admin API\" type sets them).")
        yield (not (preflight and uses_konnect) or self.given("konnect_token"),
               "Konnect's admin API is not configured: set dcr_curity_konnect_token, or the environment variable "
               "KONNECT_TOKEN (an AWX credential of the collection's \"Kong Konnect admin API\" type sets it).")
        yield (not (preflight and "application" in active and self.apps) or (
            self.given("portal_url") and self.given("developer_email") and self.given("developer_password")),
            "The Dev Portal developer is not configured: set dcr_curity_portal_url, dcr_curity_developer_email and "
            "dcr_curity_developer_password, or KONNECT_PORTAL_URL, KONNECT_DEVELOPER_EMAIL and "
            "KONNECT_DEVELOPER_PASSWORD (an AWX credential of the collection's \"Kong Konnect Dev Portal developer\" "
            "type).")
        yield (not (preflight and present and get("dcr_curity_secret_store") == "vault") or (
            self.vault_given(*VAULT_URL) and any(self.vault_given(*login) for login in VAULT_LOGIN)),
            "The Vault secret store (dcr_curity_secret_store: vault) is not configured: set dcr_curity_secret_store_url "
            "and dcr_curity_secret_store_token (or dcr_curity_secret_store_role_id and _secret_id), or the environment "
            "variables VAULT_ADDR and VAULT_TOKEN (or VAULT_ROLE_ID and VAULT_SECRET_ID; an AWX credential of the "
            "collection's \"HashiCorp Vault secret store (devportal.dcr)\" type sets them).")
        yield ("konnect" not in active or _set(get("dcr_curity_portal")),
               "dcr_curity_portal must name the Dev Portal (its name or id) for the konnect phase.")
        yield (len(set(map(_text, self.app_names))) == len(self.app_names),
               "dcr_curity_applications holds two applications with the same name.")
        yield (bool(_items(get("dcr_curity_claims", []))) or not get("dcr_curity_claims_exclusive", False),
               "dcr_curity_claims_exclusive is true with an empty dcr_curity_claims: that would remove every claim of "
               "the profile; list the claims to keep.")
        yield (bool(scopes) or bool(_items(get("dcr_curity_scopes", []))) or not get("dcr_curity_scopes_exclusive", False),
               "dcr_curity_scopes_exclusive is true with an empty dcr_curity_scopes: that would remove every scope of "
               "the profile; list the scopes to keep.")
        yield ("openid" not in konnect_scopes or bool(get("dcr_curity_allow_openid_scope", False)),
               "dcr_curity_konnect_scopes holds \"openid\", which prevents the client credentials flow; remove it or "
               "set dcr_curity_allow_openid_scope.")
        yield (len(konnect_claims) > 0,
               "dcr_curity_konnect_claims must name at least one claim (the documented setup uses sub).")
        yield (len(_text(client_id)) > 0, "dcr_curity_client_id must not be empty.")
        yield (get("dcr_curity_client_update_secret") != "always" or _set(client_secret)
               or get("dcr_curity_state") == "absent",
               "dcr_curity_client_update_secret=always writes dcr_curity_client_secret to Curity and Konnect, so it "
               "needs dcr_curity_client_secret (playbooks/rotate_secret.yml generates one when it is not set).")
        yield (not request_url or re.match("^https?://[^/?#@]+([/?#]|$)", _text(request_url)) is not None,
               "dcr_curity_request_url must be an http:// or https:// URL with a host, without a user name or password "
               "(the request authenticates with the application's client credentials).")
        yield (not present or not request_url or len(self.app_names) > 0,
               "dcr_curity_request_url needs an application in dcr_curity_applications whose credentials it uses.")
        yield (not present or not request_app or request_app in self.app_names,
               "dcr_curity_request_application must be the name of an application in dcr_curity_applications.")
        yield (all(name in self.app_names for name in _items(get("dcr_curity_regenerate_secrets", []))),
               "dcr_curity_regenerate_secrets names applications that are not in dcr_curity_applications.")
        yield (len(_items(get("dcr_curity_request_status_code", [200]))) > 0,
               "dcr_curity_request_status_code must list at least one status code.")
        yield (not placeholders,
               "A secret still holds the example inventory's placeholder (%s); put the real value in the vault (%s)."
               % (marker, ", ".join(placeholders)))
        # Limits Kong's API sets on what the Konnect phase sends (application-auth-strategies v2).
        yield (len(_text(client_id)) <= 256 and _text(client_id) == _text(client_id).strip(),
               "dcr_curity_client_id must be at most 256 characters long (Konnect's limit for the initial client id) "
               "and must not start or end with a space.")
        yield (not konnect_present or not _set(client_secret) or len(_text(client_secret)) <= 256,
               "dcr_curity_client_secret must be at most 256 characters long (Konnect's limit for the initial client "
               "secret).")
        yield ("konnect" not in active or not long_names,
               "%s must be at most 256 characters long (Konnect's limit)." % ", ".join(long_names))
        yield (not konnect_present or (len(konnect_scopes) <= 50 and all(len(_text(s)) <= 128 for s in konnect_scopes)),
               "dcr_curity_konnect_scopes may hold at most 50 scopes of at most 128 characters each (Konnect's limits).")
        yield (not konnect_present or (len(konnect_claims) <= 10 and all(len(_text(c)) <= 128 for c in konnect_claims)),
               "dcr_curity_konnect_claims may hold at most 10 claims of at most 128 characters each (Konnect's limits).")
        yield (not konnect_present or auth_methods is None or (
            is_sequence(auth_methods) and 1 <= len(auth_methods) <= 10
            and all(m in allowed_methods for m in auth_methods)),
            "dcr_curity_auth_methods must list 1 to 10 of %s." % ", ".join(allowed_methods))
        yield (not konnect_present or labels is None or (isinstance(labels, dict) and len(labels) <= 50),
               "dcr_curity_labels must be a dictionary of at most 50 labels (Konnect's limit).")
        yield (not konnect_present or not bad_labels,
               "dcr_curity_labels: %s break Konnect's label rules: keys of 1 to 63 characters that do not start with "
               "kong, konnect, mesh, kic or _, and values that are strings of 1 to 63 letters, digits, '.', '_' or '-', "
               "starting and ending with a letter or digit." % ", ".join(bad_labels))
        yield (not konnect_present or oidc_config is None or (
            isinstance(oidc_config, dict)
            and not set(oidc_config) & set(["issuer", "credential_claim", "scopes", "auth_methods"])),
            "dcr_curity_oidc_config must be a dictionary without issuer, credential_claim, scopes or auth_methods: set "
            "those with dcr_curity_issuer, dcr_curity_konnect_claims, dcr_curity_konnect_scopes and "
            "dcr_curity_auth_methods.")
        yield (not present or not ("curity" in active or "konnect" in active) or not _set(issuer) or (
            isinstance(issuer, str) and HTTP_URL.match(issuer.strip()) is not None
            and len(issuer.strip().rstrip("/")) <= 256),
            "dcr_curity_issuer must be an absolute http:// or https:// URL with a host name, without a query or a "
            "fragment, and at most 256 characters long (Konnect's limit), for example "
            "https://idsvr.example.com/oauth/v2/oauth-anonymous.")
        yield (not uses_konnect or not _set(konnect_url) or (
            isinstance(konnect_url, str) and HTTP_URL.match(konnect_url) is not None
            and re.search("/v[0-9]+$", konnect_url.rstrip("/")) is None),
            "dcr_curity_konnect_url must be the region's base URL: an http:// or https:// URL without an API version, "
            "query or fragment (for example https://eu.api.konghq.com).")
        yield ("application" not in active or not self.apps or not _set(portal_url) or (
            isinstance(portal_url, str) and HTTP_URL.match(portal_url) is not None),
            "dcr_curity_portal_url must be an absolute http:// or https:// URL with a host name (the portal's own "
            "domain), without a query or a fragment.")
        yield (all(_positive(get(name)) for name in ("dcr_curity_timeout", "dcr_curity_konnect_timeout")),
               "dcr_curity_timeout and dcr_curity_konnect_timeout must be at least 1 second when set.")
        # What the Curity modules would refuse after an earlier Curity write (claims before scopes).
        yield (not present or len(set(map(_text, scope_names))) == len(scope_names),
               "dcr_curity_scopes lists a scope name twice; list each scope once.")
        yield (not present or "curity" not in active or not bad_ttl,
               "dcr_curity_scopes: time_to_live must be between 0 and 4294967295 seconds (scopes %s)."
               % ", ".join(map(_text, bad_ttl)))
        yield (not present or "curity" not in active or not prefix_with_claims,
               "dcr_curity_scopes: a prefix scope (is_prefix) cannot carry claims (scopes %s); remove their claims or "
               "is_prefix." % ", ".join(map(_text, prefix_with_claims)))

    # -- the shape of dcr_curity_claims and dcr_curity_scopes (their modules validate the values) ------------
    def entry_problems(self, name, keys, option):
        value = self.v.get(name, [])
        if not isinstance(value, list):
            return ["%s must be a list of dictionaries (the entries of %s option), got %s." % (
                name, option, _kind(value))]
        found = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                found.append("%s[%d] must be a dictionary, got %s." % (name, index, _kind(item)))
                continue
            unknown = sorted(_text(key) for key in item if key not in keys)
            entry = item.get("name")
            if not isinstance(entry, str) or not entry.strip():
                found.append("%s[%d]: name is required (a non-empty string)." % (name, index))
            if unknown:
                found.append("%s[%d]: unknown keys %s; the keys of an entry are %s." % (
                    name, index, ", ".join(unknown), ", ".join(keys)))
        if len(found) > ENTRY_MESSAGES:
            found = found[:ENTRY_MESSAGES] + ["%s: %d more problems like these." % (name, len(found) - ENTRY_MESSAGES)]
        return found

    # -- each entry of dcr_curity_applications against what portal_application (and Konnect) accept ---------
    def application_problems(self):
        out = []
        for index, item in enumerate(_items(self.get("dcr_curity_applications", []))):
            item = item if isinstance(item, dict) else {}
            found = [msg for ok, msg in self.application_checks(item) if not ok]
            if found:
                name = item.get("name")
                label = " (%s)" % name if isinstance(name, str) and len(name) <= 64 else ""
                out.append("dcr_curity_applications[%d]%s: %s" % (index, label, " ".join(found)))
        return out

    def application_checks(self, item):
        present = self.present
        name = item.get("name")
        description = item.get("description")
        redirect_uri = item.get("redirect_uri")
        registrations = item.get("registrations")
        strategy = item.get("auth_strategy")
        yield (isinstance(name, str) and 1 <= len(name) <= 255,
               "name must be 1 to 255 characters long (Konnect's limit), got %d." % len(_text(name)))
        yield (not present or description is None or len(_text(description)) <= 255,
               "description must be at most 255 characters long (Konnect's limit).")
        yield (not present or not _set(redirect_uri) or (isinstance(redirect_uri, str) and (
            REDIRECT_HTTP.match(redirect_uri) is not None
            or (re.match("^https?:", redirect_uri, re.IGNORECASE) is None and REDIRECT_SCHEME.match(redirect_uri)))),
            "redirect_uri must be an absolute URI without a fragment (#): https://app.example.com/callback, or a "
            "custom scheme such as com.example.app:/callback.")
        yield (not present or registrations is None or (
            isinstance(registrations, list) and all(isinstance(r, str) and r.strip() for r in registrations)),
            "registrations must be a list of API names (NAME, NAME/VERSION or id), each a non-empty string.")
        yield (not present or strategy is None or isinstance(strategy, str),
               "auth_strategy must be a string (the strategy's id or display name).")


def _kind(value):
    """How a message names the type of a value that should have been a list or a dictionary."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a dictionary"
    if isinstance(value, list):
        return "a list"
    return "a %s" % type(value).__name__


def _positive(value):
    """A timeout when set: at least 1 (Jinja's ``default(1, true) | int >= 1``)."""
    if not _set(value):
        return True
    try:
        return int(value) >= 1
    except (TypeError, ValueError):
        return False


def dcr_curity_problems(inputs):
    """The messages of every check the role's variables fail, in order (an empty list when they pass)."""
    return Checker(inputs).problems()


class FilterModule(object):
    def filters(self):
        return {"dcr_curity_problems": dcr_curity_problems}
