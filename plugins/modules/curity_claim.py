#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_claim
short_description: Manage claims of a Curity Identity Server token profile
version_added: 0.1.0
description:
  - Creates, updates and deletes claims of an OAuth profile of the Curity Identity Server through its RESTCONF admin
    API, one claim (O(name)) or many at once (O(claims)), and which tokens a claims mapper puts them in.
  - Only the options a task sets are managed; everything else on a claim is left as it is.
  - Request budget, whatever the number of claims - a run that changes nothing sends exactly one GET, a plain GET of
    the C(claims) container (never the RESTCONF C(fields) parameter); a run that deletes claims also reads the C(scopes)
    container once (a claim a scope uses cannot be deleted); a run that changes something sends those GETs, one write
    and one GET to read the result back. The write is a plain PATCH (merge) carrying only the changed claims and options when
    nothing must be removed, a DELETE when the only change is deleting one claim that no claims mapper lists, and
    otherwise a PUT of the whole C(claims) container (the current content plus the changes), because a merge cannot
    remove anything.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_curity
options:
  name:
    description:
      - Name of the claim, for example V(kong_app_name). Mutually exclusive with O(claims); one of the two is required.
    type: str
  description:
    description:
      - Description of the claim. V("") removes it.
    type: str
  value_provider:
    description:
      - Id of the claims value provider that provides the value (C(value-provided-by)), for example
        V(account-manager-claims-provider). It must exist; otherwise the task fails before anything is written.
        V("") removes it.
    type: str
  attribute:
    description:
      - Name of the attribute, among those the value provider returns, that the claim takes its value from (the
        transformation input attribute). V("") removes it.
    type: str
  required:
    description:
      - Whether the claim is required in requests (and in the registration of non-templatized dynamic clients).
        The server default is V(false).
    type: bool
  expose_in_metadata:
    description:
      - Whether the claim is published in the server metadata (C(claims_supported)). The server default is V(true).
    type: bool
  claims_mapper:
    description:
      - The claims mapper that O(in_access_token), O(in_id_token) and O(in_userinfo) refer to. It must exist when one
        of them is set.
      - In the list form it is the default for the claims that do not set their own.
    type: str
    default: default
  in_access_token:
    description:
      - Whether the claims mapper puts the claim in access tokens. Not managed when omitted.
    type: bool
  in_id_token:
    description:
      - Whether the claims mapper puts the claim in ID tokens. Not managed when omitted.
    type: bool
  in_userinfo:
    description:
      - Whether the claims mapper returns the claim from the userinfo endpoint. Not managed when omitted.
    type: bool
  claims:
    description:
      - Many claims at once, each a dictionary with the same keys as the single-claim options.
      - Mutually exclusive with O(name) and the other single-claim options (except O(claims_mapper), the default of
        the items).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the claim.
        type: str
        required: true
      description:
        description: Description of the claim; V("") removes it.
        type: str
      value_provider:
        description: Id of the claims value provider; it must exist.
        type: str
      attribute:
        description: The transformation input attribute.
        type: str
      required:
        description: Whether the claim is required in requests.
        type: bool
      expose_in_metadata:
        description: Whether the claim is published in the server metadata.
        type: bool
      claims_mapper:
        description: The claims mapper of this claim's token options; defaults to the top-level O(claims_mapper).
        type: str
      in_access_token:
        description: Whether the claims mapper puts the claim in access tokens.
        type: bool
      in_id_token:
        description: Whether the claims mapper puts the claim in ID tokens.
        type: bool
      in_userinfo:
        description: Whether the claims mapper returns the claim from the userinfo endpoint.
        type: bool
  state:
    description:
      - V(present) creates or updates the claims, V(absent) deletes them (the other options are then ignored), taking
        them out of every claims mapper too.
      - A claim that a scope still uses cannot be deleted; the task fails naming those scopes before anything is
        written.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With V(true) (and O(state=present)) the claims of the profile that the task does not list are deleted too.
        The diff shows them. Run the task in check mode with C(--diff) first to see what would be deleted.
    type: bool
    default: false
seealso:
  - module: devportal.dcr.curity_scope
  - name: Curity claim configuration reference
    description: The claim settings of a token profile.
    link: https://curity.io/docs/identity-server/configuration-reference/profiles/profile/settings/authorization-server/claims/claim
"""

EXAMPLES = r"""
- name: Claim that Kong reads from the tokens of Dev Portal applications
  devportal.dcr.curity_claim:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    name: kong_app_name
    description: Name of the Dev Portal application
    value_provider: account-manager-claims-provider
    attribute: app_name
    in_access_token: true
  delegate_to: localhost

- name: Several claims, connection details shared through module_defaults
  module_defaults:
    group/devportal.dcr.curity:
      admin_url: "{{ curity_admin_url }}"
      admin_password: "{{ curity_admin_password }}"
  devportal.dcr.curity_claim:
    claims:
      - name: region
        value_provider: account-manager-claims-provider
        in_access_token: true
        in_id_token: false
      - name: tenant
        description: Tenant of the subscriber
        expose_in_metadata: false
  delegate_to: localhost

- name: Remove a claim (and take it out of every claims mapper)
  devportal.dcr.curity_claim:
    name: tenant
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
claims:
  description:
    - The managed claims as read back from the server after the change (in check mode, as they would be).
      Empty for O(state=absent).
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
diff:
  description:
    - The claims that change, keyed by name, with only the options the task manages (a deleted claim shows all).
  returned: always
  type: dict
  contains:
    before:
      description: The changing claims before the run.
      type: dict
    after:
      description: The changing claims after the run.
      type: dict
  sample:
    before: {}
    after: {"kong_app_name": {"in_access_token": true, "value_provider": "account-manager-claims-provider"}}
"""

from ansible_collections.devportal.dcr.plugins.module_utils._curity_claim import main


if __name__ == "__main__":
    main()
