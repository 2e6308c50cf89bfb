#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_scope
short_description: Manage OAuth scopes of a Curity Identity Server token profile
version_added: 0.1.0
description:
  - Creates, updates and deletes scopes of an OAuth profile of the Curity Identity Server through its RESTCONF
    admin API, one scope (O(name)) or many at once (O(scopes)).
  - Only the options a task sets are managed; everything else on a scope is left as it is.
  - Request budget, whatever the number of scopes - a run that changes nothing sends exactly one GET, a plain GET of
    the C(scopes) container (never the RESTCONF C(fields) parameter); a run whose scopes name claims also reads the
    C(claims) container once (the claims must exist); a run that changes something sends those GETs, one write and one
    GET to read the result back. The write is a plain PATCH (merge) carrying only the changed scopes and options when nothing must be
    removed, a DELETE when the only change is deleting one scope, and otherwise a PUT of the whole C(scopes) container
    (the current content plus the changes), because a merge cannot remove anything.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_curity
options:
  name:
    description:
      - Name (id) of the scope, for example V(kong-api) or V(stocks/read); C(/) and C(:) are fine.
      - Mutually exclusive with O(scopes); one of the two is required.
    type: str
  description:
    description:
      - Description of the scope. V("") removes it.
    type: str
  claims:
    description:
      - The claims issued with the scope. When given, this is the exact list (order does not matter); V([]) removes
        every claim.
      - Every claim must exist in the profile (see M(devportal.dcr.curity_claim)); otherwise the task fails before
        anything is written.
    type: list
    elements: str
  time_to_live:
    description:
      - How long the scope is valid, in seconds (0 to 4294967295).
    type: int
  required:
    description:
      - Whether the scope is required in requests (and in the registration of non-templatized dynamic clients).
      - The server default is V(false).
    type: bool
  expose_in_metadata:
    description:
      - Whether the scope is published in the server metadata (C(scopes_supported)). The server default is V(true).
    type: bool
  is_prefix:
    description:
      - Whether the scope is a prefix scope. A prefix scope cannot carry claims. The server default is V(false).
    type: bool
  scopes:
    description:
      - Many scopes at once, each a dictionary with the same keys as the single-scope options.
      - Mutually exclusive with O(name) and the other single-scope options.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name (id) of the scope.
        type: str
        required: true
      description:
        description: Description of the scope; V("") removes it.
        type: str
      claims:
        description: The exact list of claims issued with the scope.
        type: list
        elements: str
      time_to_live:
        description: How long the scope is valid, in seconds.
        type: int
      required:
        description: Whether the scope is required in requests.
        type: bool
      expose_in_metadata:
        description: Whether the scope is published in the server metadata.
        type: bool
      is_prefix:
        description: Whether the scope is a prefix scope.
        type: bool
  state:
    description:
      - V(present) creates or updates the scopes, V(absent) deletes them (the other options are then ignored).
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With V(true) (and O(state=present)) the scopes of the profile that the task does not list are deleted too,
        including the standard OpenID Connect ones. The diff shows them. Run the task in check mode with C(--diff)
        first to see what would be deleted.
      - Scopes that clients or dynamic registration settings still refer to cannot be deleted; the server refuses
        the whole write and nothing changes.
    type: bool
    default: false
notes:
  - A scope that a claim list refers to must be created after the claims (M(devportal.dcr.curity_claim)).
seealso:
  - module: devportal.dcr.curity_claim
  - module: devportal.dcr.curity_token
  - name: Curity scope configuration reference
    description: The scope settings of a token profile.
    link: https://curity.io/docs/identity-server/configuration-reference/profiles/profile/settings/authorization-server/scopes/scope
"""

EXAMPLES = r"""
- name: Scope for the APIs that Konnect applications call
  devportal.dcr.curity_scope:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    name: kong-api
    description: Access to the APIs published in the Kong Dev Portal
    claims: [kong_app_name]
    time_to_live: 3600
  delegate_to: localhost

- name: Several scopes, connection details shared through module_defaults
  module_defaults:
    group/devportal.dcr.curity:
      admin_url: "{{ curity_admin_url }}"
      admin_password: "{{ curity_admin_password }}"
      profile_id: token-service
  block:
    - name: Stock API scopes
      devportal.dcr.curity_scope:
        scopes:
          - name: stocks/read
            description: Read stock levels
          - name: stocks/write
            description: Change stock levels
            required: false
            expose_in_metadata: false
      delegate_to: localhost

    - name: See which scopes an exclusive run would delete
      devportal.dcr.curity_scope:
        scopes: "{{ wanted_scopes }}"
        exclusive: true
      check_mode: true
      diff: true
      delegate_to: localhost

- name: Remove a scope
  devportal.dcr.curity_scope:
    name: stocks/write
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
scopes:
  description:
    - The managed scopes as read back from the server after the change (in check mode, as they would be).
      Empty for O(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name (id) of the scope.
      type: str
      sample: kong-api
    description:
      description: Description (V("") when there is none).
      type: str
      sample: Access to the APIs published in the Kong Dev Portal
    claims:
      description: Claims issued with the scope, sorted.
      type: list
      elements: str
      sample: [kong_app_name]
    time_to_live:
      description: Time to live in seconds, V(null) when not set.
      type: int
      sample: 3600
    required:
      description: Whether the scope is required.
      type: bool
      sample: false
    expose_in_metadata:
      description: Whether the scope is published in the server metadata.
      type: bool
      sample: true
    is_prefix:
      description: Whether the scope is a prefix scope.
      type: bool
      sample: false
diff:
  description:
    - The scopes that change, keyed by name, with only the options the task manages (a deleted scope shows all).
  returned: always
  type: dict
  contains:
    before:
      description: The changing scopes before the run.
      type: dict
    after:
      description: The changing scopes after the run.
      type: dict
  sample:
    before: {"kong-api": {"description": "old"}}
    after: {"kong-api": {"description": "Access to the APIs published in the Kong Dev Portal"}}
"""

from ansible_collections.devportal.dcr.plugins.module_utils._curity_scope import main


if __name__ == "__main__":
    main()
