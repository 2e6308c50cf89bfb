#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: portal_application_info
short_description: Read the applications of a Kong Konnect Dev Portal, their client ids and registrations
version_added: 0.2.0
description:
  - Reads Dev Portal applications in the shape M(devportal.dcr.portal_application) returns them - name, client id, auth
    strategy, and the registrations with their status.
  - With O(portal), reads every application of that portal through the Konnect admin API (O(konnect_token)).
  - Without O(portal), reads the applications of one developer through the portal's developer API, logged in as
    O(developer_email) (O(portal_url), O(developer_email) and O(developer_password) are then required).
  - A client secret is never part of the result; Konnect shows it only once, when it is issued.
  - Request budget - admin API, the portal lookup by name (one GET per generation tried), one GET of the applications and
    one GET of the registrations of each reported application. Developer API, the login (a POST that changes nothing),
    one GET of the applications, one GET of the registrations of each reported application and, on a new Dev Portal,
    one GET of each API registered to (the developer API's registrations do not carry the API version).
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.konnect
  - devportal.dcr.konnect.portal
  - devportal.dcr.info
  - devportal.dcr.secret_store.report
  - devportal.dcr.attributes.info_module
  - devportal.dcr.attributes.actiongroup_konnect
options:
  portal:
    description:
      - Name or id of the Dev Portal whose applications are read through the Konnect admin API.
      - O(portal_api) tells its generation as in M(devportal.dcr.konnect_portal_dcr).
      - When omitted, the developer API of O(portal_url) is used instead.
    type: str
  names:
    description:
      - The names of the applications to report. All when omitted.
    type: list
    elements: str
    aliases: [name]
notes:
  - Through the admin API, the token needs read access to the portal's applications (Kong's DCR guide names the roles,
    for example Portal Creator); a refused read fails the task naming the role.
seealso:
  - module: devportal.dcr.portal_application
  - module: devportal.dcr.konnect_portal_dcr_info
"""

EXAMPLES = r"""
- name: Every application of the portal and the status of its registrations (admin API)
  devportal.dcr.portal_application_info:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    portal: developer-portal
  register: portal_apps

- name: Registrations still waiting for approval, as APPLICATION -> targets
  devportal.dcr.portal_application_info:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    portal: developer-portal
    query: "applications[?length(pending) > `0`].{name: name, pending: pending}"
  register: waiting

- name: The developer's own application, through the developer API
  devportal.dcr.portal_application_info:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
  register: my_app
"""

RETURN = r"""
applications:
  description: The applications, sorted by name, with the keys M(devportal.dcr.portal_application) returns.
  returned: always
  type: list
  elements: dict
  contains:
    application_id:
      description: Id of the application.
      type: str
      sample: b15e2460-ba40-431d-9df0-4957fcffacda
    name:
      description: Name of the application.
      type: str
      sample: orders-client
    description:
      description: Description of the application.
      type: str
      sample: Back office integration
    redirect_uri:
      description: Redirect URI (V(null) when not set, or not shown by the API read).
      type: str
      sample: https://backoffice.example.com/callback
    client_id:
      description: The OAuth client id registered in the identity provider (V(null) for an application without one).
      type: str
      sample: 2fb7cc1c-6d3a-4e9a-b0a2-7b8c7f3ad5e1
    auth_strategy_id:
      description: Id of the application's auth strategy.
      type: str
      sample: 22f8380e-7798-4566-99e3-2edf2b57d289
    auth_strategy:
      description: Name of the application's auth strategy as the API read shows it.
      type: str
      sample: Curity client credentials
    developer_id:
      description: Id of the developer owning the application (admin API only; V(null) otherwise).
      type: str
    registrations:
      description: The application's registrations.
      type: list
      elements: dict
      contains:
        id:
          description: Id of the registration.
          type: str
        target:
          description: The API (V(NAME/VERSION), V(NAME) without a version) or product version (V(PRODUCT/VERSION)).
          type: str
        target_id:
          description: Id of that API or product version.
          type: str
        status:
          description: V(approved), V(pending), V(rejected) or V(revoked).
          type: str
      sample: [{"id": "5b1c...", "target": "orders-api/v1", "target_id": "9f0e...", "status": "approved"}]
    pending:
      description: Targets whose registration waits for an administrator's approval.
      type: list
      elements: str
      sample: ["orders-api/v1"]
    secret_store:
      description:
        - With O(secret_store), the application's record - C(backend), C(location), C(path), C(stored) (whether a record
          holds a value) and C(version) (Vault; null when there is no record). Never a value. Not returned without
          O(secret_store).
      type: dict
      sample: {"backend": "vault", "path": "devportal-dcr/applications/orders-client", "stored": true, "version": 1,
               "location": "Vault KV v2 secret/devportal-dcr/applications/orders-client at https://vault.example.com:8200"}
portal_api:
  description: Generation of the portal, V(v3) or V(v2).
  returned: always
  type: str
  sample: v3
portal_id:
  description: Id of the portal (V(null) when read through the developer API).
  returned: always
  type: str
  sample: f32d905a-ed33-46a3-a093-d8f536af9a8a
missing:
  description: The names of O(names) that no application has.
  returned: always
  type: list
  elements: str
  sample: []
query_result:
  description: The answer of O(query) on the result.
  returned: when O(query) is set
  type: raw
  sample: [{"name": "orders-client", "pending": ["orders-api/v1"]}]
"""

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _http
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec, select
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    DeveloperPortal,
    KonnectAdmin,
    KonnectError,
    konnect_argument_spec,
    portal_argument_spec,
    registration_view,
)
from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import (
    SecretStoreError,
    application_path,
    records_info,
    secret_store_argument_spec,
)


def argument_spec():
    spec = konnect_argument_spec()
    spec.update(portal_argument_spec())
    spec.update(
        portal=dict(type="str"),
        names=dict(type="list", elements="str", aliases=["name"]),
    )
    spec.update(info_argument_spec())
    spec.update(secret_store_argument_spec())
    return spec


def application_result(app, registrations, developer_id=None):
    strategy = app.get("auth_strategy") or {}
    return {
        "application_id": app.get("id"), "name": app.get("name"), "description": app.get("description"),
        "redirect_uri": app.get("redirect_uri"),
        "client_id": app.get("client_id") or app.get("reference_id") or None,
        "auth_strategy_id": strategy.get("id"), "auth_strategy": strategy.get("name"), "developer_id": developer_id,
        "registrations": registrations,
        "pending": sorted(r["target"] for r in registrations if r["status"] == "pending"),
    }


def through_admin(module):
    params = module.params
    admin = KonnectAdmin.from_module(module)
    generation, portal = admin.find_portal(params["portal"], params["portal_api"])
    base = "/%s/portals/%s/applications" % (generation, portal["id"])
    query = {"filter[name][eq]": params["names"][0]} if params["names"] and len(params["names"]) == 1 else None
    apps = select(admin.list_all(base, query), params["names"])
    out = []
    for app in apps:
        items = admin.list_all("%s/%s/registrations" % (base, app["id"]))
        owner = app.get("developer") or app.get("owner") or {}
        out.append(application_result(app, [registration_view(i, generation) for i in items], owner.get("id")))
    return generation, portal["id"], out


def through_developer(module):
    params = module.params
    if not params["portal_url"]:
        raise KonnectError("Set portal (a portal name or id, read through the Konnect admin API with konnect_token) or "
                           "portal_url (or KONNECT_PORTAL_URL) with the developer's login (the developer API).")
    portal = DeveloperPortal.from_module(module)
    apps = select(portal.list_all(portal.base + "/applications"), params["names"])
    out, labels = [], {}
    for app in apps:
        items = portal.list_all("%s/applications/%s/registrations" % (portal.base, app["id"]))
        portal.api_labels(items, labels)
        out.append(application_result(app, [registration_view(i, portal.generation, labels) for i in items]))
    return portal.generation, None, out


def main():
    module = DcrModule(argument_spec=argument_spec(), supports_check_mode=True)
    _http.ensure_requests(module)
    query = Query(module)
    try:
        if module.params["portal"]:
            generation, portal_id, apps = through_admin(module)
        else:
            generation, portal_id, apps = through_developer(module)
        stored = records_info(module, [application_path(str(app["name"])) for app in apps])
    except (KonnectError, SecretStoreError, _http.HttpError, _http.TransportError) as exc:
        module.fail_json(msg=str(exc))
    for app, record in zip(apps, stored or []):
        app["secret_store"] = record
    apps.sort(key=lambda a: (str(a["name"]), str(a["application_id"])))
    missing = sorted(set(module.params["names"] or []) - set(a["name"] for a in apps))
    query.exit(applications=apps, portal_api=generation, portal_id=portal_id, missing=missing)


if __name__ == "__main__":
    main()
