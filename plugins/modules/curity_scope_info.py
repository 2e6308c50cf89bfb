#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_scope_info
short_description: Read the OAuth scopes of a Curity Identity Server token profile
version_added: 0.2.0
description:
  - Reads the scopes of an OAuth profile of the Curity Identity Server through its RESTCONF admin API, in the shape
    M(devportal.dcr.curity_scope) returns them, for audits and drift reports.
  - Request budget - exactly one plain GET of the C(scopes) container, as M(devportal.dcr.curity_scope) reads it,
    whatever the number of scopes.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.info
  - devportal.dcr.attributes.info_module
  - devportal.dcr.attributes.actiongroup_curity
options:
  names:
    description:
      - The names (ids) of the scopes to report, for example V(kong-api). Names the profile does not have are left out
        of RV(scopes) and listed in RV(missing).
      - All scopes of the profile when omitted.
    type: list
    elements: str
    aliases: [name]
seealso:
  - module: devportal.dcr.curity_scope
  - module: devportal.dcr.curity_claim_info
"""

EXAMPLES = r"""
- name: Every scope of the token profile
  devportal.dcr.curity_scope_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
  delegate_to: localhost
  register: all_scopes

- name: Is the scope Konnect applications ask for there, with its claim?
  devportal.dcr.curity_scope_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    name: kong-api
    query: "scopes[?contains(claims, 'kong_app_name')].name"
  delegate_to: localhost
  register: kong_scope

- name: Fail when it is not
  ansible.builtin.assert:
    that: kong_scope.query_result == ['kong-api']
"""

RETURN = r"""
scopes:
  description: The scopes, in the order of the server, with the keys M(devportal.dcr.curity_scope) returns.
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
missing:
  description: The names of O(names) that the profile does not have.
  returned: always
  type: list
  elements: str
  sample: []
query_result:
  description: The answer of O(query) on the result.
  returned: when O(query) is set
  type: raw
  sample: [kong-api]
"""

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils._curity import CurityAdmin, curity_argument_spec, reported
from ansible_collections.devportal.dcr.plugins.module_utils._curity_lists import ScopeList
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec, names_option, select


def main():
    spec = curity_argument_spec(names=names_option())
    spec.update(info_argument_spec())
    module = DcrModule(argument_spec=spec, supports_check_mode=True)
    query = Query(module)
    names = module.params["names"]
    with reported(module):
        scopes = ScopeList.read(CurityAdmin.from_module(module))
        found = select([scopes.result(name, scopes.view(name)) for name in scopes.names()], names)
    missing = sorted(set(names or []) - set(scope["name"] for scope in found))
    query.exit(scopes=found, missing=missing)


if __name__ == "__main__":
    main()
