#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: konnect_portal_dcr
short_description: Set up Dynamic Client Registration with Curity on a Kong Konnect Dev Portal
version_added: 0.1.0
description:
  - Creates or updates, in one task, everything a Konnect Dev Portal needs to let developers register
    applications whose OAuth clients are created in the Curity Identity Server by Dynamic Client Registration (DCR).
  - A Curity DCR provider (C(/v2/dcr-providers)) holding the Curity issuer and the initial client that may register clients.
  - An OpenID Connect application auth strategy (C(/v2/application-auth-strategies)) that uses that provider,
    made the portal's default strategy.
  - Optionally, the strategy of the APIs (new Dev Portal) or API product versions (classic Dev Portal) published to the portal,
    because a portal default only applies to APIs published after it is set.
  - Objects are identified by name. Only fields Konnect returns are compared; the write-only initial client secret follows O(update_secret).
  - With O(state=absent), takes the strategy out of every API publication (new Dev Portal) or API product version (classic Dev Portal)
    of the portal that uses it, unsets the portal default when it points at it, then deletes the strategy and the provider.
    A publication whose only strategy it is would stay published without application auth, open to anyone at the gateway,
    so by default it is unpublished instead (O(orphaned_publications)). Applications of the portal that still use the
    strategy make the task fail before any write, unless O(applications_in_use=delete).
  - "Request budget, O(state=present) - reads: the portal by name (C(GET /v3/portals?filter[name][eq]=...), then the classic list
    with O(portal_api=auto) when no new Dev Portal has that name; one C(GET) by id for an id), the DCR provider and the strategy
    by name (one C(GET) of each list), and for each entry of O(apis) its lookup by name (one C(GET); a second one for
    V(NAME/VERSION), or the API product and its versions on a classic portal) and its publication (one C(GET)). A run that
    changes nothing sends only these. Writes, each only when something differs - one C(POST) or C(PATCH) of the provider, one
    C(POST) or C(PATCH) of the strategy, one C(PATCH) of the portal default, and per API one C(PUT) of its publication (classic:
    one C(PATCH) or C(POST) of the portal product version); then one C(GET) of the provider and of the strategy when they changed.
    With O(verify=true), one C(POST /v2/dcr-providers/{id}/verify), which changes nothing (in check mode only for a provider the run keeps)."
  - "Request budget, O(state=absent) - the same portal, provider and strategy reads, the portal's publications (or product
    versions) using the strategy, and the look-ups that check nothing else uses the strategy or the provider (every portal's
    default, the classic portals' product versions, C(/v3/api-publications) filtered by the strategy, the strategies using the
    provider), and the portal's applications. Then, only for what exists, one C(DELETE) per application in use (with
    O(applications_in_use=delete)), one C(PUT) or C(PATCH) per publication to take the strategy out, or one C(DELETE) of it (classic:
    C(PATCH) to unpublish) when it is unpublished, one C(PATCH) of the portal default, and one C(DELETE) of the strategy and of the
    provider."
options:
  portal:
    description:
      - Name or id of the Dev Portal.
    type: str
    required: true
  portal_api:
    description:
      - Which generation O(portal) belongs to. V(v3) is the new Dev Portal (C(/v3/portals)), V(v2) the classic one (C(/v2/portals)).
      - V(auto) looks for a new Dev Portal first, then for a classic one.
    type: str
    choices: [auto, v3, v2]
    default: auto
  issuer:
    description:
      - The Curity issuer, for example V(https://idsvr.example.com/oauth/v2/oauth-anonymous), or its
        C(/.well-known/openid-configuration) URL as the Kong documentation shows it. Both forms are equivalent; a trailing slash is removed.
      - Set on the DCR provider and on the strategy. Required when O(state=present).
    type: str
  initial_client_id:
    description:
      - Id of the Curity client with the client-credentials capability that Konnect uses to obtain an initial access token
        (scope C(dcr)) before registering a client. Required when O(state=present).
    type: str
  initial_client_secret:
    description:
      - Secret of O(initial_client_id). Konnect never returns it, so it cannot be compared; see O(update_secret).
      - Required when the DCR provider must be created, and with O(update_secret=always). Not needed while the provider exists
        and O(update_secret=on_create), because it is not sent then.
    type: str
  update_secret:
    description:
      - When to send O(initial_client_secret) to Konnect.
      - V(on_create) sends it only when the DCR provider is created, so repeated runs stay unchanged.
      - V(always) sends it on every run and reports a change each time; use it once after rotating the secret in Curity.
    type: str
    choices: [on_create, always]
    default: on_create
  scopes:
    description:
      - Scopes requested for the clients (the strategy's C(scopes)). Kong's Curity guide leaves them empty.
      - V(openid) is refused because it prevents the client credentials flow, unless O(allow_openid_scope=true).
    type: list
    elements: str
    default: []
  allow_openid_scope:
    description:
      - Accept V(openid) in O(scopes).
    type: bool
    default: false
  claims:
    description:
      - The credential claim, the token claim that identifies the client (the strategy's C(credential_claim)).
    type: list
    elements: str
    default: [sub]
  auth_methods:
    description:
      - How applications may authenticate at the gateway (the strategy's C(auth_methods)).
    type: list
    elements: str
    choices: [client_credentials, bearer, session, password, authorization_code, introspection, kong_oauth2, refresh_token]
    default: [client_credentials, bearer]
  provider_name:
    description:
      - Name of the DCR provider; it identifies the provider.
    type: str
    default: curity
  strategy_name:
    description:
      - Name of the application auth strategy; it identifies the strategy. Defaults to O(provider_name).
    type: str
  display_name:
    description:
      - Name of the strategy shown to developers in the portal. When not set, a new strategy gets its name and an existing one keeps its own.
    type: str
  labels:
    description:
      - Labels added to the provider and the strategy (other labels are left alone).
    type: dict
  oidc_config:
    description:
      - Further OpenID Connect settings of the strategy (the UI's advanced configuration), for example C(cache_tokens) or C(hide_credentials).
      - Only the keys given are compared. C(issuer), C(credential_claim), C(scopes) and C(auth_methods) are set by the options of the same meaning.
    type: dict
  set_portal_default:
    description:
      - Make the strategy the portal's default application auth strategy.
    type: bool
    default: true
  apis:
    description:
      - APIs to publish to the portal with this strategy, by name, V(NAME/VERSION) or id. On a classic portal these are API product
        versions, by V(PRODUCT/VERSION), V(PRODUCT) (when it has one version) or product version id.
      - An API already published keeps its visibility; a new publication is private. A classic product version that is not on the portal
        yet is published with application registration enabled.
    type: list
    elements: str
  verify:
    description:
      - After applying (not in check mode), ask Konnect to verify the provider (C(POST /v2/dcr-providers/{id}/verify)), which obtains an
        initial access token from Curity with the initial client. A failure fails the task.
    type: bool
    default: true
  state:
    description:
      - V(present) creates or updates; V(absent) removes the strategy and the provider.
      - V(absent) first takes the strategy out of the publications of O(portal) that use it and out of the publications
        of O(apis) (see O(orphaned_publications) for those left without a strategy), and unsets the portal default when
        it is the strategy.
    type: str
    choices: [present, absent]
    default: present
  orphaned_publications:
    description:
      - With O(state=absent), what to do with an API publication (classic portal, API product version) of O(portal) whose
        only application auth strategy is the one removed. Without a strategy it would stay published with no
        application auth, and the gateway would let anyone call the API.
      - V(unpublish) takes the API off the portal (new Dev Portal, C(DELETE /v3/apis/{id}/publications/{portal}); classic
        portal, the product version becomes C(unpublished)). The gateway then refuses anonymous callers and the
        removed applications' credentials. RV(unpublished) lists them; the diff shows C(published) going to V(false).
      - V(fail) fails before any write, naming those APIs, when there is at least one.
      - V(keep_public) leaves them published without application auth (open to anyone at the gateway);
        RV(published_without_auth) lists them. Choose it only for an API meant to be public.
      - Publications that keep another strategy only lose this one, whatever the choice.
    type: str
    choices: [unpublish, keep_public, fail]
    default: unpublish
  applications_in_use:
    description:
      - With O(state=absent), what to do with applications of O(portal) that still use the strategy (read through the
        admin API). Deleting the strategy would leave them without one.
      - V(fail) fails before any write, naming them.
      - V(delete) deletes them through the admin API first (Konnect deletes their Curity clients); RV(deleted_applications)
        lists them. Their credentials stop working.
    type: str
    choices: [fail, delete]
    default: fail
  ignore_applications:
    description:
      - With O(state=absent), names (or ids) of applications that an earlier task of the same run deletes, for example
        with M(devportal.dcr.portal_application) O(devportal.dcr.portal_application#module:state=absent).
      - In check mode those applications still exist; they are not counted by O(applications_in_use), so the dry run
        plans what the real run does. In a real run an application listed here that still exists is counted, because
        the earlier task did not delete it.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - devportal.dcr.konnect
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_konnect
notes:
  - Konnect's limits are checked before any request. O(provider_name), O(strategy_name), O(display_name), O(initial_client_id),
    O(initial_client_secret) and O(issuer) take at most 256 characters; O(claims) at most 10 and O(scopes) at most 50 items of
    at most 128 characters; O(auth_methods) at most 10 items; O(labels) at most 50, with keys and values of 1 to 63 characters.
  - Provider and strategy names must be unique in the Konnect region; the task fails when a name matches several objects.
  - Changing the type of an existing provider or strategy with the same name is refused; delete it first.
  - With O(state=absent), Konnect refuses to delete a strategy that another portal or its publications still use, or a provider
    that another strategy uses; the task looks them up and fails before changing anything, naming them.
author:
  - devportal.dcr contributors (@devportal-dcr)
"""

EXAMPLES = r"""
- name: Let developers of the portal register Curity clients
  devportal.dcr.konnect_portal_dcr:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    portal: developer-portal
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
    initial_client_id: konnect-dcr
    initial_client_secret: "{{ vault_konnect_dcr_secret }}"
    display_name: Curity client credentials
    apis:
      - orders-api

- name: Same, with the connection from module_defaults (or the KONNECT_* variables of an AWX credential)
  module_defaults:
    group/devportal.dcr.konnect:
      konnect_url: https://eu.api.konghq.com
      konnect_token: "{{ vault_konnect_token }}"
  block:
    - name: Configure the classic portal, re-sending the initial secret after a rotation in Curity
      devportal.dcr.konnect_portal_dcr:
        portal: classic-portal
        portal_api: v2
        issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous/.well-known/openid-configuration
        initial_client_id: konnect-dcr
        initial_client_secret: "{{ vault_konnect_dcr_secret }}"
        update_secret: always
        provider_name: curity-prod
        display_name: Curity client credentials
        oidc_config:
          cache_tokens: false
        apis:
          - orders/v1

- name: Later runs need no secret while the provider exists (update_secret on_create)
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
    initial_client_id: konnect-dcr

- name: Remove the DCR provider and strategy; APIs published only with it are unpublished
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    provider_name: curity
    state: absent
    # orphaned_publications: unpublish and applications_in_use: fail are the defaults

- name: Remove the applications first, through the developer API
  devportal.dcr.portal_application:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    state: absent

- name: Then the strategy; in check mode the application above still exists, so it is named as deleted by that task
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    state: absent
    ignore_applications: [orders-client]
  register: dcr_removed

- name: Show what the removal took off the portal
  ansible.builtin.debug:
    msg: "Unpublished: {{ dcr_removed.unpublished | join(', ') }}"

- name: Remove everything, deleting the applications left on the portal and keeping a public API published without auth
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    state: absent
    applications_in_use: delete
    orphaned_publications: keep_public
"""

RETURN = r"""
provider_id:
  description: Id of the DCR provider (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: 93f8380e-7798-4566-99e3-2edf2b57d289
strategy_id:
  description: Id of the application auth strategy (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: 22f8380e-7798-4566-99e3-2edf2b57d289
portal_id:
  description: Id of the Dev Portal.
  returned: always
  type: str
  sample: f32d905a-ed33-46a3-a093-d8f536af9a8a
portal_api:
  description: Generation of the portal, V(v3) (new Dev Portal) or V(v2) (classic).
  returned: always
  type: str
  sample: v3
verified:
  description:
    - Whether Konnect verified the provider with the initial client (its C(verify) call, which changes nothing).
    - Check mode verifies a provider that the run keeps as it is, so a dry run finds a drifted secret; it is V(null) when
      O(verify=false), in check mode when the provider is created or changed, and when absent.
  returned: always
  type: bool
  sample: true
unpublished:
  description:
    - With O(state=absent) and O(orphaned_publications=unpublish), the APIs (V(NAME/VERSION)) or classic product versions
      (V(PRODUCT/VERSION)) taken off the portal because the strategy was their only one; in check mode, those that
      would be. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [orders-api/v1]
published_without_auth:
  description:
    - With O(state=absent) and O(orphaned_publications=keep_public), the APIs or classic product versions left published
      without application auth (open to anyone at the gateway); in check mode, those that would be. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: []
deleted_applications:
  description:
    - With O(state=absent) and O(applications_in_use=delete), the names of the applications of the portal deleted
      because they used the strategy; in check mode, those that would be. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [orders-client]
diff:
  description:
    - The managed fields that change, per object (C(dcr_provider), C(auth_strategy), C(portal), C(publication NAME),
      C(application NAME)); secrets masked.
    - With O(state=absent), C(publication NAME) shows the strategy taken out of that publication, and C(published)
      going from V(true) to V(false) when it is unpublished; C(application NAME) an application deleted.
  returned: always
  type: dict
  sample: {"before": {}, "after": {"dcr_provider": {"name": "curity", "initial_client_secret": "********"}}}
"""


from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _engine, _http
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    OIDC,
    KonnectAdmin,
    KonnectError,
    canonical_issuer,
    check_issuer,
    check_items,
    check_labels,
    check_konnect_url,
    check_length,
    konnect_argument_spec,
    portal_api_option,
    provider_view,
    publication_strategy_ids,
    strategy_view,
)

MANAGED_OIDC_KEYS = ("issuer", "credential_claim", "scopes", "auth_methods")
AUTH_METHODS = ["client_credentials", "bearer", "session", "password", "authorization_code", "introspection",
                "kong_oauth2", "refresh_token"]
SECRET = "initial_client_secret"


def argument_spec():
    spec = konnect_argument_spec()
    spec.update(
        portal=dict(type="str", required=True),
        portal_api=portal_api_option(),
        issuer=dict(type="str"),
        initial_client_id=dict(type="str"),
        initial_client_secret=dict(type="str", no_log=True),
        update_secret=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        scopes=dict(type="list", elements="str", default=[]),
        allow_openid_scope=dict(type="bool", default=False),
        claims=dict(type="list", elements="str", default=["sub"]),
        auth_methods=dict(type="list", elements="str", default=["client_credentials", "bearer"], choices=AUTH_METHODS),
        provider_name=dict(type="str", default="curity"),
        strategy_name=dict(type="str"),
        display_name=dict(type="str"),
        labels=dict(type="dict"),
        oidc_config=dict(type="dict"),
        set_portal_default=dict(type="bool", default=True),
        apis=dict(type="list", elements="str"),
        verify=dict(type="bool", default=True),
        orphaned_publications=dict(type="str", default="unpublish", choices=["unpublish", "keep_public", "fail"]),
        applications_in_use=dict(type="str", default="fail", choices=["fail", "delete"]),
        ignore_applications=dict(type="list", elements="str", default=[]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    return spec


# --------------------------------------------------------------------------- input
def check_input(params):
    """Every input error, before any request."""
    check_konnect_url(params["konnect_url"])
    params["strategy_name"] = params["strategy_name"] or params["provider_name"]
    for option in ("provider_name", "strategy_name", "display_name"):
        check_length(params[option], option, 256, 1)
    if params["state"] == "absent":
        return
    params["issuer"] = check_issuer(params["issuer"])
    check_length(params["initial_client_id"], "initial_client_id", 256, 1)
    check_length(params[SECRET], SECRET, 256)
    check_items(params["claims"], "claims", 10, 128)
    check_items(params["scopes"], "scopes", 50, 128)
    check_items(params["auth_methods"], "auth_methods", 10, 64)
    if params["update_secret"] == "always" and not params[SECRET]:
        raise KonnectError("initial_client_secret is required with update_secret: always, which sends it to Konnect on "
                           "every run (Konnect never returns it); set it, or use update_secret: on_create.")
    if "openid" in params["scopes"] and not params["allow_openid_scope"]:
        raise KonnectError("scopes contains openid, which prevents the client credentials flow of DCR applications "
                           "(Kong's and Curity's guides leave scopes empty). Remove it, or set allow_openid_scope: true.")
    if not params["claims"]:
        raise KonnectError("claims must name at least one credential claim (Curity: sub).")
    if not params["auth_methods"]:
        raise KonnectError("auth_methods must name at least one method (for example client_credentials).")
    check_labels(params["labels"])
    clash = sorted(set(params["oidc_config"] or {}) & set(MANAGED_OIDC_KEYS))
    if clash:
        raise KonnectError("oidc_config must not set %s: use the options issuer, claims, scopes and auth_methods."
                           % ", ".join(clash))


# --------------------------------------------------------------------------- views (what is compared and shown)
def desired_provider(params, exists):
    want = {"name": params["provider_name"], "issuer": canonical_issuer(params["issuer"]),
            "initial_client_id": params["initial_client_id"]}
    if params["labels"] is not None:
        want["labels"] = params["labels"]
    if not exists or params["update_secret"] == "always":
        want[SECRET] = params[SECRET]
    return want


def oidc_settings(params, issuer):
    settings = dict(params["oidc_config"] or {})
    settings.update(issuer=issuer, credential_claim=params["claims"], scopes=params["scopes"],
                    auth_methods=params["auth_methods"])
    return settings


def desired_strategy(params, exists):
    want = {"name": params["strategy_name"], "dcr_provider": params["provider_name"],
            "configs": {OIDC: oidc_settings(params, canonical_issuer(params["issuer"]))}}
    if params["display_name"] is not None or not exists:
        want["display_name"] = params["display_name"] or params["strategy_name"]
    if params["labels"] is not None:
        want["labels"] = params["labels"]
    return want


class FailedWithResult(KonnectError):
    """A failure after changes were applied; carries the task's result (changed, diff, ids)."""

    def __init__(self, message, result):
        super(FailedWithResult, self).__init__(message)
        self.result = result


class VerifyFailed(FailedWithResult):
    """The provider was applied but Konnect cannot use its initial client."""


class Names:
    """Shows strategy ids by the managed strategy's name (it may not exist yet in check mode)."""

    def __init__(self, strategy, name):
        self.strategy_id = strategy["id"] if strategy else None
        self.name = name

    def label(self, strategy_id):
        return self.name if strategy_id and strategy_id == self.strategy_id else strategy_id

    def labels(self, strategy_ids):
        return [self.label(i) for i in strategy_ids or []]


# --------------------------------------------------------------------------- publications
class Publications:
    """Where the strategy is published: API publications (new portal) or portal product versions (classic)."""

    def __init__(self, admin, generation, portal_id):
        self.admin = admin
        self.generation = generation
        self.portal_id = portal_id

    def resolve(self, ref, missing_ok=False):
        """``{"id", "label", "current"}``; ``current`` is the publication or None when not published.

        With ``missing_ok``, None when the API or product version does not exist.
        """
        if self.generation == "v3":
            target = self.admin.find_api("/v3/apis", ref, missing_ok)
        else:
            target = self.admin.find_product_version("/v2/api-products", "/v2/api-products/%s/product-versions", ref,
                                                     missing_ok)
        if target is not None:
            target["current"] = self.admin.get(self._path(target["id"]))
        return target

    def using(self, strategy_id, refs):
        """Every publication of the portal that uses the strategy, and those of ``refs`` (APIs or product
        versions) that do: ``[{"id", "label", "current"}]`` sorted by label.
        """
        found = {}
        for ref in refs or []:
            target = self.resolve(ref, missing_ok=True)
            if target is not None and strategy_id in (publication_strategy_ids(target["current"]) or []):
                found[target["id"]] = target
        listed = [item for item in self.admin.strategy_references(self.generation, self.portal_id, strategy_id)
                  if item["id"] not in found]
        labels = self.admin.product_version_labels(self.portal_id) if listed and self.generation == "v2" else {}
        for item in listed:
            label = self.admin.api_label(item["id"]) if self.generation == "v3" else labels.get(item["id"], item["id"])
            found[item["id"]] = dict(item, label=label)
        return sorted(found.values(), key=lambda target: (str(target["label"]), target["id"]))

    def _path(self, target_id):
        if self.generation == "v3":
            return "/v3/apis/%s/publications/%s" % (target_id, self.portal_id)
        return "/v2/portals/%s/product-versions/%s" % (self.portal_id, target_id)

    @staticmethod
    def strategy_ids(target):
        return publication_strategy_ids(target["current"])

    def detach(self, target, strategy_id):
        """Take the strategy out of a publication; it stays published (without application auth when it had only it)."""
        current = target["current"]
        rest = [i for i in self.strategy_ids(target) if i != strategy_id]
        if self.generation == "v3":
            body = {"auth_strategy_ids": rest or None}  # null: the API requires no application auth
            for key in ("visibility", "auto_approve_registrations"):
                if current.get(key) is not None:
                    body[key] = current[key]
            self.admin.send("PUT", self._path(target["id"]), body, expect=(200, 201))
        else:
            self.admin.send("PATCH", self._path(target["id"]), {"auth_strategy_ids": rest}, expect=(200,))

    def unpublish(self, target):
        """Take the API off the portal (new portal: delete the publication; classic: the product version becomes
        unpublished, without strategies, application registration left as it is).

        The gateway service keeps its ``konnect-application-auth`` plugin (installed when the API was linked to
        it, or while application registration is enabled on the classic product version), which then has no
        strategy for this portal: it refuses anonymous callers and every credential of the removed strategy.
        """
        if self.generation == "v3":
            self.admin.send("DELETE", self._path(target["id"]), expect=(204, 404))
        else:
            self.admin.send("PATCH", self._path(target["id"]), {"publish_status": "unpublished", "auth_strategy_ids": []},
                            expect=(200,))

    def apply(self, target, strategy_id):
        current = target["current"]
        if self.generation == "v3":
            body = {"auth_strategy_ids": [strategy_id]}
            for key in ("visibility", "auto_approve_registrations"):
                if current and current.get(key) is not None:
                    body[key] = current[key]
            self.admin.send("PUT", self._path(target["id"]), body, expect=(200, 201))
        elif current is not None:
            self.admin.send("PATCH", self._path(target["id"]), {"auth_strategy_ids": [strategy_id]}, expect=(200,))
        else:
            self.admin.send("POST", "/v2/portals/%s/product-versions" % self.portal_id, {
                "product_version_id": target["id"], "auth_strategy_ids": [strategy_id], "publish_status": "published",
                "application_registration_enabled": True, "auto_approve_registration": False, "deprecated": False},
                expect=(201,))


# --------------------------------------------------------------------------- present
class Present:
    """Plan, then (outside check mode) apply, for state=present."""

    def __init__(self, module, admin, generation, portal):
        self.module = module
        self.params = module.params
        self.admin = admin
        self.generation = generation
        self.portal = portal
        self.provider = admin.find_by_name("/v2/dcr-providers", self.params["provider_name"], "DCR providers")
        self.strategy = admin.find_by_name("/v2/application-auth-strategies", self.params["strategy_name"],
                                           "application auth strategies")
        check_types(self.provider, self.strategy)
        if self.provider is None and not self.params[SECRET]:
            raise KonnectError(
                "initial_client_secret is required: the DCR provider %r does not exist, and Konnect needs the secret of "
                "the initial client %r to create it (it is never returned, so this task cannot take it from anywhere "
                "else). Set initial_client_secret to the secret of that Curity client. Nothing was changed."
                % (self.params["provider_name"], self.params["initial_client_id"]))
        self.names = Names(self.strategy, self.params["strategy_name"])
        self.publications = Publications(admin, generation, portal["id"])
        self.targets = [self.publications.resolve(ref) for ref in self.params["apis"] or []]
        self.plan = self._plan()

    def _plan(self):
        params = self.params
        force = (SECRET,) if params["update_secret"] == "always" else ()
        plan = _engine.Plan()
        self.provider_change = plan.add(_engine.compare(
            "dcr_provider", provider_view(self.provider), desired_provider(params, self.provider is not None),
            secret_keys=(SECRET,), force_fields=force))
        self.strategy_change = plan.add(_engine.compare(
            "auth_strategy", strategy_view(self.strategy), desired_strategy(params, self.strategy is not None)))
        self.portal_change = None
        if params["set_portal_default"]:
            current = {"default_application_auth_strategy": self.names.label(
                self.portal.get("default_application_auth_strategy_id"))}
            self.portal_change = plan.add(_engine.compare(
                "portal", current, {"default_application_auth_strategy": params["strategy_name"]}))
        self.target_changes = []
        for target in self.targets:
            ids = self.publications.strategy_ids(target)
            current = None if ids is None else {"auth_strategy_ids": self.names.labels(ids)}
            self.target_changes.append((target, plan.add(_engine.compare(
                "publication %s" % target["label"], current, {"auth_strategy_ids": [params["strategy_name"]]}))))
        return plan

    def apply(self):
        provider_id = self._apply_provider()
        strategy_id = self._apply_strategy(provider_id)
        if self.portal_change is not None and self.portal_change.changed:
            self.admin.send("PATCH", "/%s/portals/%s" % (self.generation, self.portal["id"]),
                            {"default_application_auth_strategy_id": strategy_id}, expect=(200,))
        for target, change in self.target_changes:
            if change.changed:
                self.publications.apply(target, strategy_id)
        self.provider = self.admin.get("/v2/dcr-providers/%s" % provider_id) if self.provider_change.changed else self.provider
        self.strategy = self.admin.get("/v2/application-auth-strategies/%s" % strategy_id) \
            if self.strategy_change.changed else self.strategy

    def _apply_provider(self):
        params, change = self.params, self.provider_change
        issuer = {"issuer": params["issuer"]}
        if change.action == _engine.CREATE:
            body = dict(issuer, name=params["provider_name"], provider_type="curity", dcr_config={
                "initial_client_id": params["initial_client_id"], SECRET: params[SECRET]})
            if params["labels"] is not None:
                body["labels"] = params["labels"]
            return self.admin.send("POST", "/v2/dcr-providers", body, expect=(201,))["id"]
        if change.action == _engine.UPDATE:
            fields = change.changed_fields()
            body = dict(issuer) if "issuer" in fields else {}
            config = dict((key, params[key]) for key in ("initial_client_id", SECRET) if key in fields)
            if config:
                body["dcr_config"] = config
            if "labels" in fields:
                body["labels"] = params["labels"]
            self.admin.send("PATCH", "/v2/dcr-providers/%s" % self.provider["id"], body, expect=(200,))
        return self.provider["id"]

    def _apply_strategy(self, provider_id):
        params, change = self.params, self.strategy_change
        after = change.after or {}
        configs = {OIDC: oidc_settings(params, params["issuer"])}
        if change.action == _engine.CREATE:
            body = {"name": params["strategy_name"], "display_name": after["display_name"], "strategy_type": "openid_connect",
                    "configs": configs, "dcr_provider_id": provider_id}
            if params["labels"] is not None:
                body["labels"] = params["labels"]
            return self.admin.send("POST", "/v2/application-auth-strategies", body, expect=(201,))["id"]
        if change.action == _engine.UPDATE:
            fields = change.changed_fields()
            body = {}
            for field, value in (("display_name", after.get("display_name")), ("dcr_provider", provider_id),
                                 ("configs", configs), ("labels", params["labels"])):
                if field in fields:
                    body["dcr_provider_id" if field == "dcr_provider" else field] = value
            self.admin.send("PATCH", "/v2/application-auth-strategies/%s" % self.strategy["id"], body, expect=(200,))
        return self.strategy["id"]

    def verify(self):
        """POST .../verify; a clear error when Konnect cannot use the initial client."""
        answer = self.admin.send("POST", "/v2/dcr-providers/%s/verify" % self.provider["id"], expect=(200,),
                                 write=False) or {}
        if answer.get("status") == "success":
            return True
        message = ("Konnect could not use the initial client of DCR provider %r: %s. %s, but "
                   "developers cannot register applications until initial_client_id and initial_client_secret work: the "
                   "Curity client needs the client-credentials capability, the dcr scope and DCR enabled at %s."
                   % (self.params["provider_name"], "; ".join(answer.get("errors") or []) or "verification failed",
                      "Check mode changed nothing" if self.module.check_mode else "The settings were applied",
                      self.params["issuer"]))
        if self.params["update_secret"] == "on_create" and self.provider_change.action != _engine.CREATE:
            message += (" The provider already existed and update_secret is on_create, so this task did not send the "
                        "secret: if it changed in Curity, the one stored in Konnect has drifted; run with "
                        "update_secret: always.")
        raise VerifyFailed(message, self.result(False))

    def result(self, verified):
        return dict(changed=self.plan.changed, diff=self.plan.diff(), portal_id=self.portal["id"],
                    portal_api=self.generation, provider_id=(self.provider or {}).get("id"),
                    strategy_id=(self.strategy or {}).get("id"), verified=verified, unpublished=[],
                    published_without_auth=[], deleted_applications=[])


def check_types(provider, strategy):
    if provider is not None and provider.get("provider_type") != "curity":
        raise KonnectError("The DCR provider %r exists with provider_type %r, which cannot be changed to curity: delete it "
                           "in Konnect or choose another provider_name." % (provider["name"], provider.get("provider_type")))
    if strategy is not None and strategy.get("strategy_type") != "openid_connect":
        raise KonnectError("The application auth strategy %r exists with strategy_type %r, which cannot be changed to "
                           "openid_connect: delete it in Konnect or choose another strategy_name."
                           % (strategy["name"], strategy.get("strategy_type")))


# --------------------------------------------------------------------------- absent
def application_label(application):
    return "%r (id %s)" % (application.get("name"), application.get("id"))


class Absent:
    """Delete the applications still using the strategy (when asked), unpublish or detach the publications,
    unset the portal default, delete the strategy, then the provider.

    Every refusal (used elsewhere, orphaned publications or applications in use) is raised while planning,
    before any write; check mode and a real run plan the same changes.
    """

    def __init__(self, module, admin, generation, portal):
        self.params = module.params
        self.check_mode = module.check_mode
        self.admin = admin
        self.generation = generation
        self.portal = portal
        self.provider = admin.find_by_name("/v2/dcr-providers", self.params["provider_name"], "DCR providers")
        self.strategy = admin.find_by_name("/v2/application-auth-strategies", self.params["strategy_name"],
                                           "application auth strategies")
        self.names = Names(self.strategy, self.params["strategy_name"])
        self.publications = Publications(admin, generation, portal["id"])
        self._refuse_when_used_elsewhere()
        self.targets = self.publications.using(self.strategy["id"], self.params["apis"]) if self.strategy else []
        self.applications = self._applications_in_use()
        self.plan = _engine.Plan()
        self.unpublish, self.left_public = [], []
        names = [application.get("name") for application in self.applications]
        for application in self.applications:
            key = "application %s" % application.get("name")
            if names.count(application.get("name")) > 1:  # names are unique per developer only
                key += " (id %s)" % application.get("id")
            self.plan.add(_engine.Change(key, _engine.DELETE,
                                         {"name": application.get("name"), "id": application.get("id"),
                                          "auth_strategy": self.params["strategy_name"]}, None))
        for target in self.targets:
            ids = self.publications.strategy_ids(target)
            rest = [i for i in ids if i != self.strategy["id"]]
            before = {"auth_strategy_ids": self.names.labels(ids)}
            after = {"auth_strategy_ids": self.names.labels(rest)}
            if not rest and self.params["orphaned_publications"] != "keep_public":
                self.unpublish.append(target)
                before["published"], after["published"] = True, False
            elif not rest:
                self.left_public.append(target)
            self.plan.add(_engine.Change("publication %s" % target["label"], _engine.UPDATE, before, after))
        self.unset_default = bool(self.strategy) and portal.get("default_application_auth_strategy_id") == self.strategy["id"]
        if self.unset_default:
            self.plan.add(_engine.Change("portal", _engine.UPDATE,
                                         {"default_application_auth_strategy": self.params["strategy_name"]},
                                         {"default_application_auth_strategy": None}))
        self.plan.add(_engine.compare("auth_strategy", strategy_view(self.strategy), None, "absent"))
        self.plan.add(_engine.compare("dcr_provider", provider_view(self.provider), None, "absent"))
        self._refuse_orphans_and_applications()

    def _refuse_when_used_elsewhere(self):
        """Konnect would answer 409 to the deletions: say what uses them before anything is changed."""
        if self.strategy:
            users = self.admin.strategy_users(self.strategy["id"], skip_portal_id=self.portal["id"])
            if users:
                raise KonnectError(in_use_message("application auth strategy", self.params["strategy_name"], users,
                                                  " outside portal %r" % self.portal.get("name"), "Nothing was changed."))
        if self.provider:
            users = self.admin.provider_users(self.provider["id"], (self.strategy or {}).get("id"))
            if users:
                raise KonnectError(in_use_message("DCR provider", self.params["provider_name"], users, "",
                                                  "Nothing was changed."))

    def _applications_in_use(self):
        """The portal's applications that use the strategy (admin API, every page), sorted by name.

        Deleting the strategy would leave them without one. ``ignore_applications`` names applications an
        earlier task of the same run deletes: in check mode they still exist and are not counted; in a real
        run one that still exists is counted, because that task did not delete it.
        """
        if not self.strategy:
            return []
        ignored = set(self.params["ignore_applications"] or []) if self.check_mode else set()
        found = [app for app in self.admin.list_all("/%s/portals/%s/applications" % (self.generation, self.portal["id"]))
                 if (app.get("auth_strategy") or {}).get("id") == self.strategy["id"]
                 and app.get("name") not in ignored and app.get("id") not in ignored]
        return sorted(found, key=lambda app: (str(app.get("name")), str(app.get("id"))))

    def _refuse_orphans_and_applications(self):
        problems = []
        if self.params["orphaned_publications"] == "fail" and self.unpublish:
            problems.append(
                "the strategy is the only application auth strategy of %s on portal %r, which would stay published "
                "without application auth (open to anyone at the gateway); unpublish them with orphaned_publications: "
                "unpublish, give them another strategy first, or keep them public explicitly with "
                "orphaned_publications: keep_public"
                % (", ".join(repr(t["label"]) for t in self.unpublish), self.portal.get("name")))
        if self.params["applications_in_use"] == "fail" and self.applications:
            problems.append(
                "applications of portal %r still use the strategy: %s; delete them first (for example with "
                "devportal.dcr.portal_application state: absent), list those an earlier task of this run deletes in "
                "ignore_applications, or delete them with this task with applications_in_use: delete"
                % (self.portal.get("name"), ", ".join(application_label(a) for a in self.applications)))
        if problems:
            raise KonnectError("Cannot remove the application auth strategy %r: %s. Nothing was changed."
                               % (self.params["strategy_name"], "; and ".join(problems)))

    def apply(self):
        for application in self.applications:
            self.admin.send("DELETE", "/%s/portals/%s/applications/%s"
                            % (self.generation, self.portal["id"], application["id"]), expect=(204, 404))
        for target in self.targets:
            if any(target is t for t in self.unpublish):
                self.publications.unpublish(target)
            else:
                self.publications.detach(target, self.strategy["id"])
        if self.unset_default:
            self.admin.send("PATCH", "/%s/portals/%s" % (self.generation, self.portal["id"]),
                            {"default_application_auth_strategy_id": None}, expect=(200,))
        if self.strategy:
            self._delete("/v2/application-auth-strategies/%s" % self.strategy["id"], "application auth strategy",
                         self.params["strategy_name"],
                         lambda: self.admin.strategy_users(self.strategy["id"]))
        if self.provider:
            self._delete("/v2/dcr-providers/%s" % self.provider["id"], "DCR provider", self.params["provider_name"],
                         lambda: self.admin.provider_users(self.provider["id"]))

    def _delete(self, path, what, name, users):
        try:
            self.admin.send("DELETE", path, expect=(204, 404))
        except _http.HttpError as exc:
            if exc.status != 409:
                raise
            done = [c.key for c in self.plan.changes
                    if c.changed and (c.action == _engine.UPDATE or c.key.startswith("application "))]
            if what == "DCR provider" and self.strategy:
                done.append("auth_strategy")
            note = ("This run already changed: %s." % ", ".join(done)) if done else "Nothing was changed."
            raise FailedWithResult(in_use_message(what, name, users(), "", note),
                                   dict(self.result(), changed=bool(done)))

    def result(self):
        return dict(changed=self.plan.changed, diff=self.plan.diff(), portal_id=self.portal["id"],
                    portal_api=self.generation, provider_id=None, strategy_id=None, verified=None,
                    unpublished=[t["label"] for t in self.unpublish],
                    published_without_auth=[t["label"] for t in self.left_public],
                    deleted_applications=[a.get("name") for a in self.applications])


def in_use_message(what, name, users, where, note):
    found = (": " + "; ".join(users)) if users else (
        " (Konnect did not say by what, and no portal default, publication or strategy using it was found)")
    return ("Konnect refuses to delete the %s %r because it is in use%s%s. Take it out of those first, then run the task "
            "again. %s" % (what, name, where, found, note))


# --------------------------------------------------------------------------- main
def run(module):
    params = module.params
    check_input(params)
    admin = KonnectAdmin.from_module(module)
    generation, portal = admin.find_portal(params["portal"], params["portal_api"])
    if params["state"] == "absent":
        task = Absent(module, admin, generation, portal)
        if not module.check_mode:
            task.apply()
        return task.result()
    task = Present(module, admin, generation, portal)
    if module.check_mode:
        # The provider as it is, when the run keeps it: verifying it is a read (Konnect changes nothing), so a dry
        # run finds a drifted secret as the real run would.
        keep = task.provider is not None and not task.provider_change.changed
        return task.result(task.verify() if params["verify"] and keep else None)
    task.apply()
    return task.result(task.verify() if params["verify"] else None)


def main():
    module = DcrModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "present", ("issuer", "initial_client_id"))],
    )
    _http.ensure_requests(module)
    try:
        result = run(module)
    except (KonnectError, _http.HttpError, _http.TransportError) as exc:
        module.fail_json(msg=str(exc), **getattr(exc, "result", {}))
    except Exception as exc:  # pylint: disable=broad-except
        # An answer of an unexpected shape: one readable sentence, no traceback.
        module.fail_json(msg="Unexpected error (%s: %s); the answers of Konnect were not of the expected form. "
                             "Nothing more was changed after this point." % (type(exc).__name__, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
