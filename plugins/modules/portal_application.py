#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: portal_application
short_description: Create a Dev Portal application with Dynamic Client Registration and get its client credentials
version_added: 0.1.0
description:
  - Does what a developer does in a Kong Konnect Dev Portal under "My Apps > New App", through the portal's developer API
    (C(/api/v3) on a new Dev Portal, C(/api/v2) on a classic one), logged in as O(developer_email).
  - With a DCR auth strategy, Konnect registers an OAuth client in the identity provider (Curity) and returns its client id and
    client secret B(once). The module returns them as RV(client_id) and RV(client_secret) and can keep them in O(credentials_file)
    and in a secret store (O(secret_store), for example HashiCorp Vault), where the record is
    V(devportal-dcr/applications/<name>) unless O(secret_store.path) says otherwise.
  - With O(secret_store), whenever the task will receive a secret (creation, O(regenerate_secret)), the store is checked
    (reachable, credentials valid, path writable) and the record read before the first write to Konnect; the secret is
    stored right after Konnect issued it. A run that receives no secret sends nothing to the store.
  - An existing application of that name is left as it is (no secret can be read again) apart from its description, redirect URI
    and registrations; O(regenerate_secret=true) issues a new secret.
  - Registers the application to APIs (new Dev Portal) or API product versions (classic Dev Portal) and, with a Konnect token,
    approves pending registrations through the admin API.
  - "Request budget - the login (C(POST .../developer/authenticate), which changes nothing; with O(portal_api=auto) a classic portal
    answers 404 on C(/api/v3) first, so it is sent twice there), one C(GET) of the developer's applications by name, one C(GET) of
    the portal's auth strategies when O(auth_strategy) is set, the lookup of each entry of O(registrations) (one C(GET) by name; a
    second one for V(NAME/VERSION), or the product and its versions on a classic portal), the existing application's registrations
    (one C(GET)) and, on a new Dev Portal, one C(GET) of each registered API that O(registrations) does not name (for its version).
    O(approve_registrations=true) adds the admin API's portal lookup by domain (one or two C(GET)). A run that changes nothing sends
    only these."
  - "Writes, each only when needed - one C(POST) to create the application or one C(PATCH) of its description or redirect URI, one
    C(POST) per missing registration, one admin API C(PATCH) per pending registration to approve, one C(POST) to regenerate the
    secret, then one C(GET) of the application. O(state=absent) sends the login, the lookup and one C(DELETE)."
  - "Right after the portal's DCR settings changed, Konnect may refuse for a while what refers to them (O(settle_timeout)):
    then a look-up of O(auth_strategy) or of an entry of O(registrations) is sent again, a refused creation or registration
    again after the read (one C(GET)) that shows it was not created, and a refused approval again."
options:
  name:
    description:
      - Name of the application; it identifies the application among those of the developer.
    type: str
    required: true
  description:
    description:
      - Description of the application.
    type: str
  redirect_uri:
    description:
      - Redirect URI registered for the client, an absolute URI without a fragment. Checked before any request.
    type: str
  auth_strategy:
    description:
      - The application auth strategy, by id or by the name developers see (the strategy's display name).
      - When not set, the portal's default strategy is used. The strategy of an existing application cannot be changed.
    type: str
  registrations:
    description:
      - What the application is registered to. New Dev Portal, APIs by name, V(NAME/VERSION) or id. Classic Dev Portal, API product
        versions by V(PRODUCT/VERSION), V(PRODUCT) (when it has one version) or id.
      - Registrations are added; registrations not listed are kept.
    type: list
    elements: str
  approve_registrations:
    description:
      - Approve the application's pending registrations through the Konnect admin API, which needs O(konnect_token) (and O(konnect_url)
        for a region other than the US).
    type: bool
    default: false
  regenerate_secret:
    description:
      - Issue a new client secret for an existing application (new Dev Portal C(regenerate-secret), classic C(refresh-token)).
        The old secret stops working. Reported as a change on every run; check mode reports it without doing it.
      - Ignored when the application is created by this task (its secret is new anyway).
    type: bool
    default: false
  credentials_file:
    description:
      - A file (on the controller, or wherever the task runs) where the module stores, whenever it receives a secret, the JSON object
        C({application_id, client_id, client_secret, portal_url, created_at}) with mode 0600.
      - The file is written atomically (a temporary file in the same folder, then renamed) before the task reports success.
      - A file holding another client's credentials is not lost; it is first copied to C(<file>.<UTC timestamp>).
      - Missing folders are created with mode 0700 when the file is first written (C(~/.config/dcr/app.json) works on a
        fresh host, also under check mode, which creates nothing); before any request the module checks that they can
        be (the nearest existing folder must be writable).
      - An existing file must be a regular file of at most 64 KiB, not a symbolic link (the module never reads or writes
        through a link); anything else is refused before any request.
      - With O(state=absent), the file is removed with the application (its secret no longer works), also on a later run
        when the application is already gone; a file that records another application, or no credentials, is left
        with a warning. RV(credentials_removed) names it.
    type: path
  state:
    description:
      - V(present) creates or updates the application; V(absent) deletes it (Konnect also deletes its client in the identity provider).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - devportal.dcr.konnect
  - devportal.dcr.konnect.portal
  - devportal.dcr.konnect.settle
  - devportal.dcr.secret_store
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_konnect
notes:
  - B(Set C(no_log=true) on the task.) The client secret is returned as RV(client_secret) when it is issued, so a task without
    C(no_log) shows it in the output and in logs. No other secret (developer password, session cookie, Konnect token) is ever returned.
  - The secret is never lost. When anything fails after Konnect issued it (writing O(credentials_file) or to O(secret_store), a
    registration, an approval),
    the task fails with RV(client_id) and RV(client_secret) in its result, so that the C(register)ed result of a task with
    C(no_log=true) and C(ignore_errors=true) (or a C(rescue) block) still holds it.
  - When the creation request fails without an answer (a time-out or a reset connection), Konnect may have created the application and
    its secret is lost; the next run finds the application by name, and O(regenerate_secret=true) issues a new secret. The same holds
    when Konnect refuses the creation and the read that follows finds the application all the same.
  - What this module relies on in Konnect, and whether it is confirmed (source) or inferred, is listed in the collection's README
    ("What the collection relies on in Konnect").
author:
  - devportal.dcr contributors (@devportal-dcr)
"""

EXAMPLES = r"""
- name: Create the application and keep its credentials
  devportal.dcr.portal_application:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    description: Back office integration
    redirect_uri: https://backoffice.example.com/callback
    registrations:
      - orders-api
    credentials_file: /etc/backoffice/orders-client.json
  no_log: true
  register: app

- name: Same on a classic portal, approving the registration with an admin token from module_defaults
  module_defaults:
    group/devportal.dcr.konnect:
      konnect_url: https://eu.api.konghq.com
      konnect_token: "{{ vault_konnect_token }}"
  devportal.dcr.portal_application:
    portal_url: https://portal.example.com
    portal_api: v2
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    auth_strategy: Curity client credentials
    registrations:
      - orders/v1
    approve_registrations: true
  no_log: true
  register: classic_app

- name: Rotate the secret, keeping it only in the credentials file
  devportal.dcr.portal_application:
    name: orders-client
    regenerate_secret: true
    credentials_file: /etc/backoffice/orders-client.json
  environment:
    KONNECT_PORTAL_URL: https://abc123456789.us.kongportals.com
    KONNECT_DEVELOPER_EMAIL: ci-bot@example.com
    KONNECT_DEVELOPER_PASSWORD: "{{ vault_developer_password }}"
  no_log: true

- name: Rotate the secret, keeping the new one in HashiCorp Vault (VAULT_ADDR and VAULT_TOKEN set), as a new version
  devportal.dcr.portal_application:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    regenerate_secret: true
    secret_store:
      backend: vault  # the record: secret/devportal-dcr/applications/orders-client
  no_log: true

- name: Delete the application
  devportal.dcr.portal_application:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    state: absent
"""

RETURN = r"""
application_id:
  description: Id of the application (null when it does not exist, or would be created in check mode).
  returned: always
  type: str
  sample: b15e2460-ba40-431d-9df0-4957fcffacda
client_id:
  description: The OAuth client id registered in the identity provider (null when the application does not exist).
  returned: always
  type: str
  sample: 2fb7cc1c-6d3a-4e9a-b0a2-7b8c7f3ad5e1
client_secret:
  description:
    - The client secret, only when this task created the application or regenerated its secret (it cannot be read again).
    - Returned on failure too when the secret had been issued before the failure.
  returned: when issued
  type: str
  sample: x1Vb...
auth_strategy_id:
  description: Id of the application's auth strategy (null when it is not known yet).
  returned: always
  type: str
  sample: 22f8380e-7798-4566-99e3-2edf2b57d289
portal_api:
  description: Generation of the portal's developer API, V(v3) or V(v2).
  returned: always
  type: str
  sample: v3
registrations:
  description: The application's registrations after the task.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the registration (null for one that check mode would create).
      type: str
    target:
      description:
        - The API (V(NAME/VERSION), or V(NAME) for an API without a version) or product version (V(PRODUCT/VERSION))
          registered to, always in this form, whatever form O(registrations) names it in.
      type: str
    target_id:
      description: Id of that API or product version.
      type: str
    status:
      description: V(approved), V(pending), V(rejected) or V(revoked) (null for one that check mode would create).
      type: str
  sample: [{"id": "5b1c...", "target": "orders-api/v1", "target_id": "9f0e...", "status": "approved"}]
pending:
  description: Targets whose registration still waits for an administrator's approval.
  returned: always
  type: list
  elements: str
  sample: ["orders-api/v1"]
credentials_file:
  description: Path of the credentials file written by this task (null when nothing was written).
  returned: always
  type: str
  sample: /etc/backoffice/orders-client.json
credentials_removed:
  description: With O(state=absent), the O(credentials_file) removed with the application (in check mode, that would be).
  returned: always
  type: str
  sample: /etc/backoffice/orders-client.json
credentials_backup:
  description: Where the previous content of O(credentials_file) was copied, when it held another client's credentials.
  returned: always
  type: str
  sample: /etc/backoffice/orders-client.json.20260101T120000Z
secret_store:
  description:
    - The application's record in O(secret_store) (null without it), never a value. RV(secret_store.action) is
      V(create) or V(update) when this task wrote it (in check mode, would write it), V(keep) when it already held
      the values, null when the task received no secret.
  returned: always
  type: dict
  contains:
    backend:
      description: V(file) or V(vault).
      type: str
    location:
      description: Where the record is, in words (for Vault the mount, path, server and namespace).
      type: str
    path:
      description: The record's path (below the KV version 2 mount for Vault).
      type: str
    action:
      description: V(create), V(update), V(keep) or null.
      type: str
    fields:
      description: The keys whose value changes.
      type: list
      elements: str
    version:
      description: The record's version before the task (Vault; null when there was none).
      type: int
    written_version:
      description: The version this task wrote (Vault; null when it wrote none).
      type: int
  sample: {"backend": "vault", "path": "devportal-dcr/applications/orders-client", "action": "create",
           "fields": ["application_id", "client_id", "client_secret", "portal_url"], "version": null, "written_version": 1,
           "location": "Vault KV v2 secret/devportal-dcr/applications/orders-client at https://vault.example.com:8200"}
diff:
  description: The managed fields that change (C(application), C(registrations), C(approvals), C(client_secret)); secrets masked.
  returned: always
  type: dict
  sample: {"before": {}, "after": {"application": {"name": "orders-client"}}}
"""

from ansible_collections.devportal.dcr.plugins.module_utils._portal_application import main


if __name__ == "__main__":
    main()
