#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_claim_info
short_description: Read the claims of a Curity Identity Server token profile
version_added: 0.2.0
description:
  - Reads the claims of an OAuth profile of the Curity Identity Server through its RESTCONF admin API, and which tokens
    a claims mapper puts them in, in the shape M(devportal.dcr.curity_claim) returns them.
  - Request budget - exactly one plain GET of the C(claims) container, as M(devportal.dcr.curity_claim) reads it,
    whatever the number of claims.
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
      - The names of the claims to report, for example V(kong_app_name). Names the profile does not have are left out
        of RV(claims) and listed in RV(missing).
      - All claims of the profile when omitted.
    type: list
    elements: str
    aliases: [name]
  claims_mapper:
    description:
      - The claims mapper whose token lists RV(claims[].in_access_token), RV(claims[].in_id_token) and
        RV(claims[].in_userinfo) report.
    type: str
    default: default
seealso:
  - module: devportal.dcr.curity_claim
  - module: devportal.dcr.curity_scope_info
"""

EXAMPLES = r"""
- name: The claim Konnect applications get, and where it is issued
  devportal.dcr.curity_claim_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    name: kong_app_name
  delegate_to: localhost
  register: app_claim

- name: Names of the claims put in access tokens by the default claims mapper
  devportal.dcr.curity_claim_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    query: "claims[?in_access_token].name"
  delegate_to: localhost
  register: access_token_claims
"""

RETURN = r"""
claims:
  description: The claims, in the order of the server, with the keys M(devportal.dcr.curity_claim) returns.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the claim.
      type: str
      sample: kong_app_name
    description:
      description: Description (V("") when there is none).
      type: str
      sample: Name of the Dev Portal application
    value_provider:
      description: Id of the claims value provider (V("") when there is none).
      type: str
      sample: account-manager-claims-provider
    attribute:
      description: The transformation input attribute (V("") when there is none; a list when the server has several).
      type: raw
      sample: app_name
    required:
      description: Whether the claim is required.
      type: bool
      sample: false
    expose_in_metadata:
      description: Whether the claim is published in the server metadata.
      type: bool
      sample: true
    claims_mapper:
      description: The claims mapper that the token options refer to.
      type: str
      sample: default
    in_access_token:
      description: Whether the claims mapper puts the claim in access tokens.
      type: bool
      sample: true
    in_id_token:
      description: Whether the claims mapper puts the claim in ID tokens.
      type: bool
      sample: false
    in_userinfo:
      description: Whether the claims mapper returns the claim from the userinfo endpoint.
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
  sample: [kong_app_name]
"""

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils._curity import CurityAdmin, curity_argument_spec, reported
from ansible_collections.devportal.dcr.plugins.module_utils._curity_lists import ClaimList
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec, names_option, select


def main():
    spec = curity_argument_spec(names=names_option(), claims_mapper=dict(type="str", default="default"))
    spec.update(info_argument_spec())
    module = DcrModule(argument_spec=spec, supports_check_mode=True)
    query = Query(module)
    names = module.params["names"]
    with reported(module):
        claims = ClaimList.read(CurityAdmin.from_module(module), default_mapper=module.params["claims_mapper"])
        found = select([claims.result(name, claims.view(name)) for name in claims.names()], names)
    missing = sorted(set(names or []) - set(claim["name"] for claim in found))
    query.exit(claims=found, missing=missing)


if __name__ == "__main__":
    main()
