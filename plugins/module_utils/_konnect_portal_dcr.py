# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The code of the M(devportal.dcr.konnect_portal_dcr) module: its argument spec and what it does.

It lives here, not in plugins/modules/konnect_portal_dcr.py (which holds the documentation and calls ``main``), so
that devportal.dcr.dcr_setup runs every step's module code from one module payload: Ansible builds a
payload once per module name and run, and the build is the largest part of a module run's cost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _engine, _http
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    OIDC,
    KonnectAdmin,
    KonnectError,
    NotYet,
    Settle,
    canonical_issuer,
    conform,
    check_issuer,
    check_items,
    check_labels,
    check_konnect_url,
    check_length,
    is_uuid,
    konnect_argument_spec,
    portal_api_option,
    provider_view,
    publication_strategy_ids,
    settle_option,
    strategy_view,
)

MANAGED_OIDC_KEYS = ("issuer", "credential_claim", "scopes", "auth_methods")
AUTH_METHODS = ["client_credentials", "bearer", "session", "password", "authorization_code", "introspection",
                "kong_oauth2", "refresh_token"]
SECRET = "initial_client_secret"
# The portal's default application auth strategy before this module made the strategy its default is kept with the
# strategy, in a label per portal (labels are the data Konnect keeps with an object): the previous strategy's id,
# or NO_DEFAULT when the portal had none.  state=absent gives the portal that default back.
PREVIOUS_DEFAULT = "ANSIBLE-prev-default-"
NO_DEFAULT = "none"


def previous_default_key(portal_id):
    return PREVIOUS_DEFAULT + str(portal_id)


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
        allow_duplicate=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        settle_timeout=settle_option(),
    )
    return spec


# --------------------------------------------------------------------------- input
def check_input(params):
    """Every input error, before any request."""
    check_konnect_url(params["konnect_url"])
    Settle(params["settle_timeout"])
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
    reserved = sorted(key for key in params["labels"] or {} if key.startswith(PREVIOUS_DEFAULT))
    if reserved:
        raise KonnectError("labels: %s start with %s, which this module keeps for the portal's previous default "
                           "strategy; choose other keys." % (", ".join(reserved), PREVIOUS_DEFAULT))
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
    """Shows strategy ids by the managed strategy's name (it may not exist yet in check mode), and by the name of
    the other strategies it was told (``known``)."""

    def __init__(self, strategy, name):
        self.strategy_id = strategy["id"] if strategy else None
        self.name = name
        self.known = {}

    def label(self, strategy_id):
        if strategy_id and strategy_id == self.strategy_id:
            return self.name
        return self.known.get(strategy_id, strategy_id)

    def labels(self, strategy_ids):
        return [self.label(i) for i in strategy_ids or []]


# --------------------------------------------------------------------------- publications
class Publications:
    """Where the strategy is published: API publications (new portal) or portal product versions (classic)."""

    def __init__(self, admin, generation, portal_id, settle):
        self.admin = admin
        self.generation = generation
        self.portal_id = portal_id
        self.settle = settle

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
            self._idempotent("PUT", self._path(target["id"]), body, (200, 201))
        else:
            self._idempotent("PATCH", self._path(target["id"]), {"auth_strategy_ids": rest}, (200,))

    def _idempotent(self, method, path, body, expect):
        """A PUT or PATCH, sent again while Konnect refuses a strategy it does not know everywhere yet (settle)."""
        return self.settle.run(lambda: self.admin.send(method, path, body, expect=expect))

    def unpublish(self, target):
        """Take the API off the portal (new portal: delete the publication; classic: the product version becomes
        unpublished, without strategies, application registration left as it is).

        Inferred, no public source says it: the gateway service keeps its ``konnect-application-auth`` plugin
        (installed when the API was linked to it, or while application registration is enabled on the classic
        product version), which then has no strategy for this portal, so it refuses anonymous callers and every
        credential of the removed strategy.  Konnect's teardown order is evidenced (publications before the
        strategy, Kong's kongctl planner); what the gateway does afterwards is not.
        """
        if self.generation == "v3":
            self.admin.send("DELETE", self._path(target["id"]), expect=(204, 404))
        else:
            self.admin.send("PATCH", self._path(target["id"]), {"publish_status": "unpublished", "auth_strategy_ids": []},
                            expect=(200,))

    def apply(self, target, strategy_id):
        """Publish with the strategy.  A v3 publication is a PUT, which replaces: every field is sent, the current
        ``visibility`` and ``auto_approve_registrations`` again (a field left out would take its default, Kong's
        SDK; confirmed), a new publication is private."""
        current = target["current"]
        if self.generation == "v3":
            body = {"auth_strategy_ids": [strategy_id]}
            for key in ("visibility", "auto_approve_registrations"):
                if current and current.get(key) is not None:
                    body[key] = current[key]
            self._idempotent("PUT", self._path(target["id"]), body, (200, 201))
        elif current is not None:
            self._idempotent("PATCH", self._path(target["id"]), {"auth_strategy_ids": [strategy_id]}, (200,))
        else:
            body = {"product_version_id": target["id"], "auth_strategy_ids": [strategy_id], "publish_status": "published",
                    "application_registration_enabled": True, "auto_approve_registration": False, "deprecated": False}
            dummy, found = self.settle.create(
                lambda: self.admin.send("POST", "/v2/portals/%s/product-versions" % self.portal_id, body, expect=(201,)),
                lambda: self.admin.get(self._path(target["id"])))
            if found is not None and target["id"] and strategy_id not in (publication_strategy_ids(found) or []):
                self._idempotent("PATCH", self._path(target["id"]), {"auth_strategy_ids": [strategy_id]}, (200,))


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
        self.settle = Settle(self.params["settle_timeout"])
        self.publications = Publications(admin, generation, portal["id"], self.settle)
        self.targets = [self.publications.resolve(ref) for ref in self.params["apis"] or []]
        if not self.params["allow_duplicate"]:
            self._refuse_duplicates()
        self.record = None  # the label that keeps the portal's previous default on the strategy (before it changes)
        self.plan = self._plan()

    def _refuse_duplicates(self):
        """The strategy this task would create, when the portal already uses another OpenID Connect strategy for the
        same issuer (or the same DCR provider) - as its default or on a publication of O(apis): a setup made by hand
        under other names.  A second one would take the portal default and the publications away from it and leave
        its applications behind.  Fails naming what exists and how to adopt it."""
        if self.strategy is not None:
            return
        issuer = canonical_issuer(self.params["issuer"])
        used = [self.portal.get("default_application_auth_strategy_id")]
        for target in self.targets:
            used.extend(self.publications.strategy_ids(target) or [])
        found = []
        for strategy_id in sorted(set(i for i in used if is_uuid(i)), key=used.index):
            item = self.admin.get("/v2/application-auth-strategies/%s" % strategy_id)
            if isinstance(item, dict) and item.get("name"):
                self.names.known[strategy_id] = item["name"]  # the diff shows it by name (no second read)
            if not isinstance(item, dict) or item.get("strategy_type") != "openid_connect":
                continue
            oidc = (item.get("configs") or {}).get(OIDC) or {}
            provider = item.get("dcr_provider") if isinstance(item.get("dcr_provider"), dict) else {}
            same_provider = self.provider is not None and provider.get("id") == self.provider.get("id")
            if same_provider or (isinstance(oidc, dict) and canonical_issuer(oidc.get("issuer")) == issuer):
                found.append("auth strategy %r (%s; DCR provider %r) for issuer %s" % (
                    item.get("name"), "the portal's default" if strategy_id == used[0] else "on a publication of apis",
                    provider.get("name"), issuer))
                adopt = "set strategy_name (role: dcr_curity_strategy_name) to %r" % item.get("name")
                if provider.get("name") and provider.get("name") != self.params["provider_name"]:
                    adopt += " and provider_name (role: dcr_curity_provider_name) to %r" % provider.get("name")
                found[-1] += "; to manage it with this task, %s" % adopt
        if found:
            raise KonnectError(
                "The portal already uses a Dynamic Client Registration setup for this Curity issuer, made under other "
                "names than this task's (provider_name %r, strategy_name %r): %s. A second strategy would take the "
                "portal's default and the publications away from it and leave its applications on it. To create a "
                "second one anyway, set allow_duplicate: true (role: dcr_curity_allow_duplicate). Nothing was changed."
                % (self.params["provider_name"], self.params["strategy_name"], "; ".join(found)))

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
            previous = self.portal.get("default_application_auth_strategy_id")
            if previous and previous != self.names.strategy_id:
                self._name(previous)
            current = {"default_application_auth_strategy": self.names.label(previous)}
            self.portal_change = plan.add(_engine.compare(
                "portal", current, {"default_application_auth_strategy": params["strategy_name"]}))
            if self.portal_change.changed:
                self.record = previous_default_record(self.portal["id"], previous, self.strategy)
        self.target_changes = []
        for target in self.targets:
            ids = self.publications.strategy_ids(target)
            for other in ids or []:
                if other != self.names.strategy_id and other not in self.names.known:
                    self._name(other)
            current = None if ids is None else {"auth_strategy_ids": self.names.labels(ids)}
            self.target_changes.append((target, plan.add(_engine.compare(
                "publication %s" % target["label"], current, {"auth_strategy_ids": [params["strategy_name"]]}))))
        return plan

    def _name(self, strategy_id):
        """Show another strategy by its name in the diff (one GET; its id when it cannot be read)."""
        if strategy_id in self.names.known:
            return
        other = self.admin.get("/v2/application-auth-strategies/%s" % strategy_id) if is_uuid(strategy_id) else None
        if other:
            self.names.known[strategy_id] = other["name"]

    def apply(self):
        """Provider, strategy (with the record of the portal's previous default), portal default, publications.

        Konnect may refuse a reference to what this run just created, until the change has reached every part of it
        (eventual consistency): the writes that refer to the fresh provider or strategy are sent again within
        settle_timeout; a PATCH or PUT as it is, a POST only when a read shows that it created nothing.
        """
        provider_id = self._apply_provider()
        strategy_id = self._apply_strategy(provider_id)
        if self.portal_change is not None and self.portal_change.changed:
            path = "/%s/portals/%s" % (self.generation, self.portal["id"])
            self.settle.run(lambda: self.admin.send("PATCH", path, {"default_application_auth_strategy_id": strategy_id},
                                                    expect=(200,)))
        for target, change in self.target_changes:
            if change.changed:
                self.publications.apply(target, strategy_id)
        if self.provider_change.changed:
            self.provider = self.admin.get("/v2/dcr-providers/%s" % provider_id) or {"id": provider_id}
        if self.strategy_change.changed:
            self.strategy = self.admin.get("/v2/application-auth-strategies/%s" % strategy_id) or {"id": strategy_id}

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
            if params["labels"] is not None or self.record:
                body["labels"] = dict(params["labels"] or {}, **(self.record or {}))
            created, found = self.settle.create(
                lambda: self.admin.send("POST", "/v2/application-auth-strategies", body, expect=(201,)),
                lambda: self.admin.find_by_name("/v2/application-auth-strategies", params["strategy_name"],
                                                "application auth strategies"))
            return (created or found)["id"]
        body = {}
        if change.action == _engine.UPDATE:
            fields = change.changed_fields()
            for field, value in (("display_name", after.get("display_name")), ("dcr_provider", provider_id),
                                 ("configs", configs), ("labels", params["labels"])):
                if field in fields:
                    body["dcr_provider_id" if field == "dcr_provider" else field] = value
        if self.record:  # kept before the portal's default changes, so that no interruption loses it
            body["labels"] = dict(body.get("labels") or {}, **self.record)
        if body:
            path = "/v2/application-auth-strategies/%s" % self.strategy["id"]
            self.settle.run(lambda: self.admin.send("PATCH", path, body, expect=(200,)))
        return self.strategy["id"]

    def verify(self):
        """POST .../verify; a clear error when Konnect cannot use the initial client.

        Kong's file and SDK: "Returns 200 for success, 4xx for failure", with a 200 example of a failure
        (confirmed both ways): a 4xx that carries the verification's own answer (``status``, ``errors``) is a
        failed verification like that 200, any other 4xx says Konnect did not verify.  When this run created or
        changed the provider, a failure is asked again within settle_timeout (the DCR credential may be that
        fresh too); a verification of a provider the run keeps is asked once, so that a drifted secret shows at once.
        """
        path = "/v2/dcr-providers/%s/verify" % self.provider["id"]
        fresh = self.provider_change.changed and not self.module.check_mode

        def attempt():
            answer = verification(self.admin, path)
            if answer.get("status") != "success" and fresh:
                raise NotYet(answer)
            return answer

        try:
            answer = self.settle.run(attempt, lambda exc: isinstance(exc, NotYet))
        except NotYet as exc:
            answer = exc.args[0]
        except (_http.HttpError, _http.TransportError) as exc:
            raise FailedWithResult("%s %s" % (exc, self._applied_note()), self.result(None))
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

    def _applied_note(self):
        if self.module.check_mode:
            return "Check mode changed nothing; whether Konnect can use the initial client is not known."
        return ("The settings were applied; whether Konnect can use the initial client is not known: run the task "
                "again, or verify the DCR provider %r in Konnect." % self.params["provider_name"])

    def result(self, verified):
        return dict(changed=self.plan.changed, diff=self.plan.diff(), portal_id=self.portal["id"],
                    portal_api=self.generation, provider_id=(self.provider or {}).get("id"),
                    strategy_id=(self.strategy or {}).get("id"), verified=verified, unpublished=[],
                    published_without_auth=[], deleted_applications=[], restored_default=None,
                    default_changed=bool(self.portal_change is not None and self.portal_change.changed),
                    publishing=[ref for ref, (dummy, change) in zip(self.params["apis"] or [], self.target_changes)
                                if change.changed])


def previous_default_record(portal_id, previous, strategy):
    """``{label key: previous default id or NO_DEFAULT}`` to keep on the strategy, or None when it already holds it
    (or the key would be longer than the 63 characters of a Konnect label: a portal id that is no UUID)."""
    key = previous_default_key(portal_id)
    value = previous or NO_DEFAULT
    if len(key) > 63 or not is_uuid(value) and value != NO_DEFAULT:
        return None
    if ((strategy or {}).get("labels") or {}).get(key) == value:
        return None
    return {key: value}


def verification(admin, path):
    """The answer of ``POST /v2/dcr-providers/{id}/verify`` (``status``, ``errors``), given as a 200 or a 4xx.

    A 4xx without that answer is an ``HttpError`` that says so (403: the role the token lacks).
    """
    try:
        return admin.send("POST", path, expect=(200,), write=False) or {}
    except _http.HttpError as exc:
        body = exc.body if isinstance(exc.body, dict) else None
        if not 400 <= exc.status < 500 or exc.status in (401, 403):
            raise
        if body is not None and "status" in body and "errors" in body:
            problem = conform("verification", body)
            if problem:
                raise _http.HttpError(exc.method, exc.url, 0, "", problem, None, exc.service)
            return body
        raise _http.HttpError(exc.method, exc.url, exc.status, exc.reason, (
            "%sKonnect refused the verification without saying whether it can use the initial client"
            % ("%s; " % exc.detail if exc.detail else "")), exc.body, exc.service)


def check_types(provider, strategy):
    if provider is not None and provider.get("provider_type") != "curity":
        raise KonnectError("The DCR provider %r exists with provider_type %r, which cannot be changed to curity: delete it "
                           "in Konnect or choose another provider_name." % (provider["name"], provider.get("provider_type")))
    if strategy is not None and strategy.get("strategy_type") != "openid_connect":
        raise KonnectError("The application auth strategy %r exists with strategy_type %r, which cannot be changed to "
                           "openid_connect: delete it in Konnect or choose another strategy_name."
                           % (strategy["name"], strategy.get("strategy_type")))


# --------------------------------------------------------------------------- absent
READ_FAILURES = (_http.HttpError, _http.TransportError, KonnectError)
UNCHECKED = "could not check other publications: %s"


class OtherPublications:
    """The other publications of the gateway services behind the APIs (classic: product versions) a teardown
    unpublishes or takes its strategy off: they keep the service's routes open at the gateway after the teardown,
    to anyone when they ask for no application auth.

    A new Dev Portal's API is linked to a gateway service by its implementation, a classic product version by its
    ``gateway_service`` (Kong's files); the other publications are those of every API implemented by the same
    service, on any new Dev Portal, and every classic portal's configuration of a product version on it that is
    ``published``, the teardown's own targets on its portal excepted.  Reads only, each answer checked as every other
    (``SHAPES``); a read that fails (403 for a token without the classic product APIs, 404) is said in ``unchecked``
    and never fails the teardown.  ``items``: ``[{"portal", "portal_id", "portal_api", "api_or_product", "version",
    "auth", "auth_strategies", "gateway_service_id", "same_service_as"}]``.
    """

    def __init__(self, admin, generation, portal_id, targets):
        self.admin = admin
        self.items, self.problems = [], []
        self._catalogue, self._names = None, {}
        if not targets:
            return
        own = set((generation, target["id"], portal_id) for target in targets)
        try:
            services = self._services(generation, targets)
        except READ_FAILURES as exc:
            self.problems.append(str(exc))
            return
        found = []
        for part, read in (("new Dev Portals", self._api_publications), ("classic portals", self._classic_publications)):
            if not services:
                break
            try:
                found += read(services, own)
            except READ_FAILURES as exc:
                self.problems.append("on %s: %s" % (part, exc))
        self.items = sorted(found, key=lambda item: (item["portal_api"], str(item["portal"]), str(item["api_or_product"]),
                                                     str(item["version"])))

    @property
    def unchecked(self):
        return UNCHECKED % "; ".join(self.problems) if self.problems else None

    def catalogue(self):
        if self._catalogue is None:
            self._catalogue = self.admin.product_catalogue()
        return self._catalogue

    def _services(self, generation, targets):
        """``{gateway service id: [labels of the targets behind it]}``."""
        services = {}
        if generation == "v3":
            for target in targets:
                for implementation in self.admin.implementations("api_id", target["id"]):
                    service_id = (implementation.get("service") or {}).get("id")
                    if service_id:
                        services.setdefault(service_id, []).append(target["label"])
        else:
            labels = dict((target["id"], target["label"]) for target in targets)
            for dummy, version in self.catalogue():
                service_id = (version.get("gateway_service") or {}).get("id")
                if service_id and version["id"] in labels:
                    services.setdefault(service_id, []).append(labels[version["id"]])
        return services

    def _name(self, path, fallback):
        """The ``name`` of the object at ``path`` (read once); ``fallback`` when there is none."""
        if path not in self._names:
            self._names[path] = (self.admin.get(path) or {}).get("name")
        return self._names[path] or fallback

    def _api_publications(self, services, own):
        found = []
        for service_id in sorted(services):
            implementations = self.admin.implementations("service_id", service_id)
            for api_id in sorted(set(i["api_id"] for i in implementations if i.get("api_id"))):
                publications = self.admin.api_publications(api_id)
                api = self.admin.get("/v3/apis/%s" % api_id) if publications else None
                for publication in publications:
                    portal_id = publication.get("portal_id")
                    if ("v3", api_id, portal_id) in own:
                        continue
                    strategies = [self._name("/v2/application-auth-strategies/%s" % strategy_id, strategy_id)
                                  for strategy_id in publication.get("auth_strategy_ids") or []]
                    found.append(self._item(self._name("/v3/portals/%s" % portal_id, portal_id), portal_id, "v3",
                                            (api or {}).get("name") or api_id, (api or {}).get("version"), strategies,
                                            service_id, services[service_id]))
        return found

    def _classic_publications(self, services, own):
        found = []
        for product, version in self.catalogue():
            service_id = (version.get("gateway_service") or {}).get("id")
            if service_id not in services:
                continue
            for portal in version.get("portals") or []:
                portal_id = portal.get("portal_id")
                if portal.get("publish_status") != "published" or ("v2", version["id"], portal_id) in own:
                    continue
                strategies = [s.get("name") or s.get("id") for s in portal.get("auth_strategies") or []]
                found.append(self._item(portal.get("portal_name") or portal_id, portal_id, "v2", product["name"],
                                        version["name"], strategies, service_id, services[service_id]))
        return found

    @staticmethod
    def _item(portal, portal_id, portal_api, name, version, strategies, service_id, same_service_as):
        return {"portal": portal, "portal_id": portal_id, "portal_api": portal_api, "api_or_product": name,
                "version": version, "auth": ", ".join(str(s) for s in strategies) if strategies else "none",
                "auth_strategies": strategies, "gateway_service_id": service_id,
                "same_service_as": sorted(set(same_service_as))}


def open_publications_sentence(items, unchecked=None):
    """One sentence: through which other publications the gateway route of what a teardown took off stays open."""
    parts = []
    for item in items:
        where = "%sportal %r, %s %s" % ("classic " if item.get("portal_api") == "v2" else "", item.get("portal"),
                                        "product version" if item.get("portal_api") == "v2" else "API",
                                        "/".join(str(x) for x in (item.get("api_or_product"), item.get("version"))
                                                 if x is not None))
        if item.get("auth") == "none":
            parts.append("to anyone through %s (no auth)" % where)
        else:
            parts.append("through %s (auth: %s)" % (where, item.get("auth")))
    sentences = []
    if parts:
        behind = sorted(set(str(label) for item in items if isinstance(item.get("same_service_as"), list)
                            for label in item["same_service_as"]))
        sentences.append("The gateway route of %s stays open %s." % (", ".join(behind) or "the gateway service",
                                                                     "; and ".join(parts)))
    if unchecked:
        sentences.append(unchecked[0].upper() + unchecked[1:] + ("" if unchecked.endswith(".") else "."))
    return " ".join(sentences) or None


def application_label(application):
    return "%r (id %s)" % (application.get("name"), application.get("id"))


class Absent:
    """Delete the applications still using the strategy (when asked), unpublish or detach the publications,
    unset the portal default, delete the strategy, then the provider.

    Every refusal (used elsewhere, orphaned publications or applications in use) is raised while planning,
    before any write; check mode and a real run plan the same changes.
    """

    def __init__(self, module, admin, generation, portal):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.admin = admin
        self.generation = generation
        self.portal = portal
        self.provider = admin.find_by_name("/v2/dcr-providers", self.params["provider_name"], "DCR providers")
        self.strategy = admin.find_by_name("/v2/application-auth-strategies", self.params["strategy_name"],
                                           "application auth strategies")
        self.names = Names(self.strategy, self.params["strategy_name"])
        self.settle = Settle(self.params["settle_timeout"])
        self.publications = Publications(admin, generation, portal["id"], self.settle)
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
        self.restore = None  # the strategy the portal's default goes back to
        if self.unset_default:
            self.restore = self._previous_default()
            self.plan.add(_engine.Change("portal", _engine.UPDATE,
                                         {"default_application_auth_strategy": self.params["strategy_name"]},
                                         {"default_application_auth_strategy": (self.restore or {}).get("name")}))
        self.plan.add(_engine.compare("auth_strategy", strategy_view(self.strategy), None, "absent"))
        self.plan.add(_engine.compare("dcr_provider", provider_view(self.provider), None, "absent"))
        self._refuse_orphans_and_applications()
        # What else keeps the routes of the targets open after the teardown: read in the plan, so that check mode
        # says what the run will; only when the teardown changes a publication (a run that changes nothing reads
        # nothing more).
        self.others = OtherPublications(admin, generation, portal["id"], self.targets)

    def _previous_default(self):
        """The strategy that was the portal's default before this module made the removed strategy its default, as
        recorded on it (``previous_default_record``); None, with a warning when that is not what it had, when it had
        none, when that strategy is gone, or when nothing was recorded (its default is then left unset rather than
        guessed)."""
        value = (self.strategy.get("labels") or {}).get(previous_default_key(self.portal["id"]))
        if value == NO_DEFAULT:
            return None
        previous = self.admin.get("/v2/application-auth-strategies/%s" % value) if is_uuid(value) else None
        if previous is not None:
            return previous
        if is_uuid(value):
            why = "the strategy that was its default before (id %s) no longer exists" % value
        else:
            why = ("nothing records which strategy was its default before (the label %s of the strategy, which this "
                   "module writes when it makes the strategy a portal's default)" % previous_default_key(self.portal["id"]))
        self.module.warn("The default application auth strategy of portal %r is the strategy removed, and %s: the "
                         "portal is left without a default (null) rather than given a guessed one. Set its default "
                         "strategy in Konnect (Dev Portal > Settings > Security) if it needs one; a new Dev Portal's "
                         "own default is its Key Auth strategy." % (self.portal.get("name"), why))
        return None

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
                            {"default_application_auth_strategy_id": (self.restore or {}).get("id")}, expect=(200,))
        if self.strategy:
            self._delete("/v2/application-auth-strategies/%s" % self.strategy["id"], "application auth strategy",
                         self.params["strategy_name"],
                         lambda: self.admin.strategy_users(self.strategy["id"]))
        if self.provider:
            self._delete("/v2/dcr-providers/%s" % self.provider["id"], "DCR provider", self.params["provider_name"],
                         lambda: self.admin.provider_users(self.provider["id"]))

    def _delete(self, path, what, name, users):
        """DELETE, refused by Konnect with a 4xx while something uses the object.

        Kong's file gives 409 for a strategy in use (confirmed); for a provider in use it gives no status at all
        (kongctl: "Konnect rejects deleting a DCR provider that is still referenced by an auth strategy"), so any
        4xx but 401, 403 and 404 is read as such a refusal.  When the users are read again and none is found, the
        refusal may be one Konnect has not caught up on (what this run took away a moment ago): the DELETE, which
        cannot do anything twice, is sent again within settle_timeout.  Otherwise the message names the users.
        """
        found = {}

        def refused(exc):
            if not isinstance(exc, _http.HttpError) or not 400 <= exc.status < 500 or exc.status in (401, 403, 404):
                return False
            found["users"] = users()
            return not found["users"]

        try:
            self.settle.run(lambda: self.admin.send("DELETE", path, expect=(204, 404)), refused)
        except _http.HttpError as exc:
            if "users" not in found:
                raise
            done = [c.key for c in self.plan.changes
                    if c.changed and (c.action == _engine.UPDATE or c.key.startswith("application "))]
            if what == "DCR provider" and self.strategy:
                done.append("auth_strategy")
            note = ("This run already changed: %s." % ", ".join(done)) if done else "Nothing was changed."
            answer = "HTTP %d%s" % (exc.status, ": %s" % exc.detail.rstrip(".") if exc.detail else "")
            raise FailedWithResult(in_use_message(what, name, found["users"], "", note, answer),
                                   dict(self.result(), changed=bool(done)))

    def result(self):
        return dict(changed=self.plan.changed, diff=self.plan.diff(), portal_id=self.portal["id"],
                    portal_api=self.generation, provider_id=None, strategy_id=None, verified=None,
                    unpublished=[t["label"] for t in self.unpublish],
                    published_without_auth=[t["label"] for t in self.left_public],
                    deleted_applications=[a.get("name") for a in self.applications],
                    restored_default=(self.restore or {}).get("name"),
                    open_publications=self.others.items, open_publications_unchecked=self.others.unchecked)


def in_use_message(what, name, users, where, note, answer=None):
    found = (": " + "; ".join(users)) if users else (
        " (Konnect did not say by what, and no portal default, publication or strategy using it was found)")
    said = " (Konnect answered %s)" % answer if answer else ""
    return ("Konnect refuses to delete the %s %r because it is in use%s%s%s. Take it out of those first, then run the "
            "task again. %s" % (what, name, where, found, said, note))


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
