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
