# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The code of the M(devportal.dcr.portal_application) module: its argument spec and what it does.

It lives here, not in plugins/modules/portal_application.py (which holds the documentation and calls ``main``), so
that devportal.dcr.dcr_setup runs every step's module code from one module payload: Ansible builds a
payload once per module name and run, and the build is the largest part of a module run's cost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
from urllib.parse import urlsplit

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _engine, _http
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    DeveloperPortal,
    KonnectAdmin,
    KonnectError,
    NotYet,
    REQUIRED_PORTAL,
    Settle,
    check_credentials_path,
    check_http_url,
    check_konnect_url,
    check_no_credentials,
    check_redirect_uri,
    konnect_argument_spec,
    portal_argument_spec,
    read_credentials_record,
    registration_view,
    require_options,
    settle_option,
    utc_now,
    write_credentials_file,
)
from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import (
    UNKNOWN,
    Keeping,
    SecretStoreError,
    application_path,
    secret_store_argument_spec,
)

NEW_SECRET = "(new secret)"


def argument_spec():
    spec = konnect_argument_spec()
    spec.update(portal_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        redirect_uri=dict(type="str"),
        auth_strategy=dict(type="str"),
        registrations=dict(type="list", elements="str"),
        approve_registrations=dict(type="bool", default=False),
        regenerate_secret=dict(type="bool", default=False, no_log=False),
        credentials_file=dict(type="path"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        settle_timeout=settle_option(),
    )
    spec.update(secret_store_argument_spec())
    return spec


class IssuedSecretError(Exception):
    """A failure after Konnect issued a secret: the result must still deliver it."""

    def __init__(self, message, result):
        super(IssuedSecretError, self).__init__(message)
        self.result = result


def check_input(params):
    """Every input error, before any request."""
    require_options(params, REQUIRED_PORTAL)
    if not 1 <= len(params["name"]) <= 255:
        raise KonnectError("name must be 1 to 255 characters long.")
    if params["description"] is not None and len(params["description"]) > 255:
        raise KonnectError("description must not be longer than 255 characters.")
    check_http_url(params["portal_url"], "portal_url")
    check_no_credentials(params["konnect_url"], "konnect_url")
    Settle(params["settle_timeout"])
    if params["redirect_uri"] is not None:
        check_redirect_uri(params["redirect_uri"])
    if params["credentials_file"]:
        check_credentials_path(params["credentials_file"])
    if params["approve_registrations"]:
        check_konnect_url(params["konnect_url"])
        if not params["konnect_token"]:
            raise KonnectError("approve_registrations needs konnect_token (or KONNECT_TOKEN): approving is done by an "
                               "administrator through the Konnect admin API.")


def portal_domain(url):
    """The portal's domain as Konnect stores it: the URL's host (Konnect domains are host names, never a port)."""
    return urlsplit(url).hostname


def client_id_of(app):
    return (app or {}).get("client_id") or (app or {}).get("reference_id") or None


# --------------------------------------------------------------------------- the task
class Task:
    """Reads the current state once, plans once, then (outside check mode) applies the plan."""

    def __init__(self, module, keeping=None):
        self.module = module
        self.params = module.params
        self.keeping = keeping  # the application's record in the secret store, when one is set
        # What a fresh strategy, publication or registration makes Konnect refuse for a while is asked again.
        self.settle = Settle(self.params["settle_timeout"])
        self.portal = DeveloperPortal.from_module(module)
        self.base = self.portal.base
        self.generation = self.portal.generation
        self.app = self.portal.find_by_name(self.base + "/applications", self.params["name"], "applications of this developer")
        present = self.params["state"] == "present"
        self.strategy = self._strategy() if present and self.params["auth_strategy"] else None
        self.targets = [self._target(ref) for ref in self.params["registrations"] or []] if present else []
        self.labels = dict((t["id"], t["label"]) for t in self.targets)
        self.current = self._registrations() if self.app else []
        self.admin = self.admin_portal = None
        if self.params["approve_registrations"] and present:
            self.admin = KonnectAdmin.from_module(module)
            self.admin_portal = self.admin.portal_by_domain(self.generation, portal_domain(self.params["portal_url"]))
        self.secret = None
        self.written = self.backup = None
        self.stale = self._stale_record() if not present else None
        self.plan = self._plan()

    # -- reads ------------------------------------------------------------------
    def _strategy(self):
        """The strategy of ``auth_strategy`` among those developers can use on the portal.  One the portal got a
        moment ago (its default, a publication) may not be listed yet: looked for again within settle_timeout."""
        ref = self.params["auth_strategy"]
        path = "/api/v3/application-auth-strategies" if self.generation == "v3" else "/api/v2/applications/auth-strategies"

        def lookup():
            strategies = self.portal.list_all(path)
            found = [s for s in strategies if s.get("id") == ref] or [s for s in strategies if s.get("name") == ref]
            if len(found) > 1:
                raise KonnectError("More than one auth strategy %r on this portal. Strategies developers can use here: "
                                   "%s." % (ref, ", ".join(sorted(str(s.get("name")) for s in strategies))))
            if not found:
                raise NotYet("No auth strategy %r on this portal. Strategies developers can use here: %s."
                             % (ref, ", ".join(sorted(str(s.get("name")) for s in strategies)) or "none"))
            return found[0]

        strategy = self.settle.run(lookup)
        if self.app and (self.app.get("auth_strategy") or {}).get("id") != strategy["id"]:
            raise KonnectError("The application %r uses the auth strategy %r, and Konnect cannot change the strategy of an "
                               "application: delete it (state: absent) and create it again, or drop auth_strategy."
                               % (self.app["name"], (self.app.get("auth_strategy") or {}).get("name")))
        return strategy

    def _target(self, ref):
        """An API (product version) developers see on the portal; one published a moment ago may not be listed
        yet: looked for again within settle_timeout, the last time for the error naming what is listed."""
        def lookup():
            if self.generation == "v3":
                found = self.portal.find_api("/api/v3/apis", ref, missing_ok=True)
            else:
                found = self.portal.find_product_version("/api/v2/products", "/api/v2/products/%s/versions", ref,
                                                         missing_ok=True)
            if found is None:
                raise NotYet(ref)
            return found

        try:
            return self.settle.run(lookup)
        except NotYet:
            if self.generation == "v3":
                return self.portal.find_api("/api/v3/apis", ref)
            return self.portal.find_product_version("/api/v2/products", "/api/v2/products/%s/versions", ref)

    def _registrations(self):
        items = self.portal.list_all("%s/applications/%s/registrations" % (self.base, self.app["id"]))
        self.portal.api_labels(items, self.labels)
        return [self._registration(item) for item in items]

    def _registration(self, item):
        return registration_view(item, self.generation, self.labels)

    def _stale_record(self):
        """With state=absent, the credentials file of the application deleted (its secret dies with it), or None.
        A file that records another application (by id) than the one of this name, or holds no credentials, stays."""
        path = self.params["credentials_file"]
        record = read_credentials_record(path) if path else None
        if record is None:
            return None
        recorded = record.get("application_id")
        if not record.get("client_id") or (self.app and recorded and recorded != self.app.get("id")):
            self.module.warn("credentials_file %r is left as it is: it does not hold the credentials of the application "
                             "%r." % (path, self.params["name"]))
            return None
        return {"path": path, "client_id": record.get("client_id")}

    # -- plan ---------------------------------------------------------------------
    def _plan(self):
        params = self.params
        plan = _engine.Plan()
        if params["state"] == "absent":
            plan.add(_engine.compare("application", self._app_view(), None, "absent"))
            if self.stale:
                plan.add(_engine.Change("credentials_file", _engine.DELETE, dict(self.stale), None))
            return plan
        want = _engine.user_set(params, ("name", "description", "redirect_uri"))
        if self.strategy:
            want["auth_strategy"] = self.strategy.get("name")
        self.app_change = plan.add(_engine.compare("application", self._app_view(), want))
        registered = set(r["target_id"] for r in self.current)
        self.missing = [t for t in self.targets if t["id"] not in registered]
        if self.targets:
            have = [r["target"] for r in self.current]
            plan.add(_engine.compare("registrations", {"registrations": have} if self.app else None,
                                     {"registrations": have + [t["label"] for t in self.missing]}))
        self.to_approve = [r for r in self.current if r["status"] == "pending"] if self.admin_portal else []
        if self.to_approve:
            plan.add(_engine.Change("approvals", _engine.UPDATE, dict((r["target"], "pending") for r in self.to_approve),
                                    dict((r["target"], "approved") for r in self.to_approve)))
        self.rotate = bool(params["regenerate_secret"] and self.app)
        if self.rotate:
            plan.add(_engine.Change("client_secret", _engine.UPDATE, {"client_secret": _engine.SECRET_MASK},
                                    {"client_secret": NEW_SECRET}))
        if self.keeping is not None and (self.app is None or self.rotate):
            # Checked (reachable, token valid, path allowed) and read before anything is written anywhere; what only
            # Konnect's answer tells is UNKNOWN here.
            plan.add(self.keeping.plan(self._record(UNKNOWN)).change)
        return plan

    def _record(self, secret):
        """The application's record in the secret store."""
        return {"application_id": (self.app or {}).get("id") or UNKNOWN, "client_id": client_id_of(self.app) or UNKNOWN,
                "client_secret": secret, "portal_url": self.params["portal_url"]}

    def _app_view(self):
        if self.app is None:
            return None
        return {"name": self.app.get("name"), "description": self.app.get("description"),
                "redirect_uri": self.app.get("redirect_uri"), "auth_strategy": (self.app.get("auth_strategy") or {}).get("name")}

    # -- apply --------------------------------------------------------------------
    def apply(self):
        if self.params["state"] == "absent":
            if self.app:
                self.portal.send("DELETE", "%s/applications/%s" % (self.base, self.app["id"]), expect=(204, 404))
            if self.stale:
                try:
                    os.unlink(self.stale["path"])
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise KonnectError("The application %r was deleted, but its credentials_file %r, whose secret no "
                                           "longer works, could not be removed (%s): remove it by hand."
                                           % (self.params["name"], self.stale["path"], exc.strerror or exc))
            return
        if self.app is None:
            self._create()
        try:
            if self.app_change.action == _engine.UPDATE:
                body = dict((key, self.params[key]) for key in self.app_change.changed_fields() if key != "auth_strategy")
                self.portal.send("PATCH", "%s/applications/%s" % (self.base, self.app["id"]), body, expect=(200,))
            for target in self.missing:
                self.current.append(self._register(target))
            self._approve()
            if self.rotate:
                self._regenerate()
            if self.plan.changed:
                self.app = self.portal.get("%s/applications/%s" % (self.base, self.app["id"])) or self.app
        except IssuedSecretError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever went wrong (an odd answer included), a secret issued by this task is never lost.
            if self.secret is None:
                raise
            raise IssuedSecretError("%s The application %r has a client secret issued by this task: it is in this "
                                    "result's client_secret%s." % (describe(exc), self.params["name"], self._file_note()),
                                    self.result())

    def _create(self):
        body = _engine.user_set(self.params, ("name", "description", "redirect_uri"))
        if self.strategy:
            body["auth_strategy_id"] = self.strategy["id"]
        refusals = []

        def post():
            try:
                return self.portal.send("POST", self.base + "/applications", body, expect=(201,))
            except _http.HttpError as exc:
                refusals.append(exc)
                raise

        def find():
            return self.portal.find_by_name(self.base + "/applications", self.params["name"], "applications of this developer")

        # Right after its strategy reached the portal, Konnect may refuse an application (the strategy not found or
        # not enabled yet, no initial token from a DCR credential just set): sent again within settle_timeout, but
        # only while the read that follows each refusal shows that no application of that name was created.
        try:
            created, found = self.settle.create(post, find)
        except _http.TransportError as exc:
            raise KonnectError("%s Konnect may have created the application %r without the module receiving its secret: the "
                               "next run finds it by name; then set regenerate_secret: true to get a new secret."
                               % (exc, self.params["name"]))
        if found is not None:
            raise KonnectError("%s Yet the application %r exists now (id %s), created by that request or meanwhile by "
                               "someone else: its secret did not reach this task, and it is not created a second time. Run "
                               "the task again with regenerate_secret: true to get a new secret."
                               % (refusals[-1], self.params["name"], found.get("id")))
        self.app = created
        credentials = created.get("credentials") or {}
        self._received(created.get("client_secret") or credentials.get("client_secret"))
        if self.secret is None:
            self.module.warn("The application was created without a client secret: its auth strategy does not use Dynamic "
                             "Client Registration.")

    def _received(self, secret):
        """A secret issued by Konnect: hidden from every output at once, then kept in the secret store and the
        credentials file."""
        if not secret:
            return
        self.secret = secret
        self.module.no_log_values.add(secret)
        if self.keeping is not None:
            try:
                self.keeping.keep(self._record(secret))
            except SecretStoreError as exc:
                raise IssuedSecretError("Konnect issued the client secret of %r but the secret store could not keep it: "
                                        "%s The secret is in this result's client_secret: keep it from there, since it "
                                        "cannot be read again." % (self.params["name"], str(exc).rstrip(".") + "."),
                                        self.result())
        if self.params["credentials_file"]:
            self._write_file(secret)

    def _write_file(self, secret):
        record = {"application_id": self.app["id"], "client_id": client_id_of(self.app), "client_secret": secret,
                  "portal_url": self.params["portal_url"], "created_at": utc_now()}
        try:
            self.backup = write_credentials_file(self.params["credentials_file"], record)
        except (IOError, OSError, KonnectError) as exc:
            raise IssuedSecretError("Konnect issued the client secret of %r but credentials_file %r could not be written "
                                    "(%s). The secret is in this result's client_secret%s: keep it from there, since it "
                                    "cannot be read again." % (self.params["name"], self.params["credentials_file"],
                                                               getattr(exc, "strerror", None) or exc, self._file_note()),
                                    self.result())
        self.written = self.params["credentials_file"]

    def _register(self, target):
        """Register to the target.  Right after it was published with the strategy, Konnect may refuse it (400,
        404): sent again within settle_timeout while the registrations read after each refusal do not show it; a 409
        (already registered) or a registration the read shows is taken as it is, never created twice."""
        path = "%s/applications/%s/registrations" % (self.base, self.app["id"])
        key = "api_id" if self.generation == "v3" else "product_version_id"

        def existing():
            return next((r for r in self._registrations() if r["target_id"] == target["id"]), None)

        try:
            created, found = self.settle.create(
                lambda: self._registration(self.portal.send("POST", path, {key: target["id"]}, expect=(201,))), existing)
        except _http.HttpError as exc:
            raise KonnectError("Cannot register the application to %s: %s The %s must be published to this portal with the "
                               "application's auth strategy (see the apis option of konnect_portal_dcr)."
                               % (target["label"], exc, "API" if self.generation == "v3" else "product version"))
        return created or found

    def _approve(self):
        if not self.admin_portal:
            return
        base = "/%s/portals/%s/applications/%s/registrations" % (self.generation, self.admin_portal["id"], self.app["id"])
        for registration in self.current:
            if registration["status"] == "pending":
                path = "%s/%s" % (base, registration["id"])
                # A registration made a moment ago may not be known to the admin API yet (404): the PATCH, which
                # sets the same status however often it is sent, is sent again within settle_timeout.
                answer = self.settle.run(
                    lambda: self.admin.send("PATCH", path, {"status": "approved"}, expect=(200,)),
                    lambda exc: isinstance(exc, _http.HttpError) and exc.status == 404)
                registration["status"] = (answer or {}).get("status", "approved")

    def _regenerate(self):
        suffix = "regenerate-secret" if self.generation == "v3" else "refresh-token"
        answer = self.portal.send("POST", "%s/applications/%s/%s" % (self.base, self.app["id"], suffix), expect=(201,))
        self._received((answer or {}).get("client_secret"))

    # -- result -------------------------------------------------------------------
    def _file_note(self):
        notes = []
        if self.written:
            notes.append(" and in credentials_file %r" % self.written)
        if self.keeping is not None and self.keeping.kept is not None:
            notes.append(" and in %s" % self.keeping.store.location(self.keeping.path))
        return "".join(notes)

    def result(self):
        exists = self.params["state"] == "present" and self.app is not None
        registrations = []
        if self.params["state"] == "present":
            registrations = list(self.current)
            if self.module.check_mode:
                registrations += [{"id": None, "target": t["label"], "target_id": t["id"], "status": None}
                                  for t in self.missing]
        return dict(
            changed=self.plan.changed, diff=self.plan.diff(), portal_api=self.generation,
            application_id=self.app["id"] if exists else None,
            client_id=client_id_of(self.app) if exists else None,
            auth_strategy_id=((self.app or {}).get("auth_strategy") or {}).get("id") if exists else None,
            registrations=registrations, pending=sorted(r["target"] for r in registrations if r["status"] == "pending"),
            credentials_file=self.written, credentials_backup=self.backup,
            credentials_removed=self.stale["path"] if self.stale else None,
            secret_store=self.keeping.view() if self.keeping is not None else None)


def describe(exc):
    """One sentence for an error: the collection's own as they are, anything else with its type."""
    if isinstance(exc, (KonnectError, _http.HttpError, _http.TransportError)):
        return str(exc)
    return "Unexpected error (%s: %s)." % (type(exc).__name__, exc)


def finish(module, result, secret=None, msg=None):
    """Exit or fail; the issued secret leaves the module only as ``client_secret``.

    The secret stays in ``no_log_values`` until this point, so that warnings, errors and every
    other value are scrubbed of it (and of every other secret) before it is added back alone.
    """
    if msg is not None:
        result = dict(result, msg=msg)
    safe = remove_values(result, module.no_log_values)
    if secret:
        module.no_log_values.discard(secret)
        safe["client_secret"] = secret
    if msg is not None:
        module.fail_json(**safe)
    module.exit_json(**safe)


def main():
    module = DcrModule(argument_spec=argument_spec(), supports_check_mode=True)
    _http.ensure_requests(module)
    task = keeping = None
    try:
        try:
            check_input(module.params)
            if module.params["state"] == "present":
                keeping = Keeping.from_module(module, application_path(module.params["name"]))
            task = Task(module, keeping)
            if not module.check_mode:
                task.apply()
        except IssuedSecretError as exc:
            finish(module, exc.result, task.secret if task else None, str(exc))
        except (KonnectError, SecretStoreError, _http.HttpError, _http.TransportError) as exc:
            module.fail_json(msg=str(exc))
        except Exception as exc:  # pylint: disable=broad-except
            # No traceback for an odd answer, and never one that loses an issued secret.
            if task is not None and task.secret:
                try:
                    result = task.result()
                except Exception:  # pylint: disable=broad-except
                    result = {"changed": True, "credentials_file": task.written}
                finish(module, result, task.secret,
                       "%s The client secret issued by this task is in this result's client_secret." % describe(exc))
            module.fail_json(msg=describe(exc))
        finish(module, task.result(), task.secret)
    finally:
        if keeping is not None:
            keeping.close()
