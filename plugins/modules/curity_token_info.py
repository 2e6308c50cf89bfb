#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_token_info
short_description: Read the Curity client that Kong Konnect uses for Dynamic Client Registration, and the DCR settings
version_added: 0.2.0
description:
  - Reads, through the RESTCONF admin API of the Curity Identity Server, the config-backed client that a Kong Konnect
    Dev Portal registers applications with, the Dynamic Client Registration (DCR) settings of the profile and the
    default token issuer flag, in the terms of M(devportal.dcr.curity_token) (the sections of its diff).
  - Never returns the client secret; Curity keeps only a hash of it, and the module does not read that either.
  - It does not ask the token endpoint for a token; use M(devportal.dcr.curity_token) with O(devportal.dcr.curity_token#module:verify=true)
    in check mode for that.
  - Request budget - one GET of the profile (the client, the DCR settings, the scope ids and the token issuer flag in one
    read) and, when O(issuer) is set, one discovery GET.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.info
  - devportal.dcr.attributes.info_module
  - devportal.dcr.attributes.actiongroup_curity
options:
  client_id:
    description:
      - Id of the config-backed client; Konnect calls it the Initial Client ID.
    type: str
    default: konnect-dcr
  issuer:
    description:
      - The issuer of the OAuth profile, for example V(https://idsvr.example.com/oauth/v2/oauth-anonymous), or its
        C(/.well-known/openid-configuration) URL. When set, RV(token_endpoint) and RV(registration_endpoint) are read
        from its discovery document.
      - If not set, the value of the E(CURITY_ISSUER) environment variable is used.
    type: str
seealso:
  - module: devportal.dcr.curity_token
  - module: devportal.dcr.konnect_portal_dcr_info
"""

EXAMPLES = r"""
- name: Is the DCR credential there, and DCR enabled for it?
  devportal.dcr.curity_token_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    client_id: konnect-dcr
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
  delegate_to: localhost
  register: credential

- name: Report drift
  ansible.builtin.assert:
    that:
      - credential.exists
      - credential.client.client_credentials
      - "'konnect-dcr' in credential.dynamic_client_registration.authenticate_client_by"
      - credential.registration_endpoint is not none

- name: Only the scopes dynamically registered clients may ask for
  devportal.dcr.curity_token_info:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    query: dynamic_client_registration.scopes
  delegate_to: localhost
  register: dcr_scopes
"""

RETURN = r"""
client_id:
  description: Id of the client.
  returned: always
  type: str
  sample: konnect-dcr
exists:
  description: Whether the client exists.
  returned: always
  type: bool
  sample: true
client:
  description: The client (V(null) when it does not exist), with the keys M(devportal.dcr.curity_token) manages; no secret.
  returned: always
  type: dict
  contains:
    client_name:
      description: Display name (V("") when there is none).
      type: str
      sample: Kong Konnect DCR
    description:
      description: Description (V("") when there is none).
      type: str
    scopes:
      description: The client's scopes, sorted.
      type: list
      elements: str
    client_credentials:
      description: Whether the client has the client credentials capability.
      type: bool
      sample: true
dynamic_client_registration:
  description: The DCR settings of the profile (V(null) when DCR is not configured).
  returned: always
  type: dict
  contains:
    client_data_source:
      description: Id of the data source of dynamically registered clients.
      type: str
      sample: default-datasource
    capabilities:
      description: Capabilities dynamically registered clients may use (non-templatized).
      type: list
      elements: str
      sample: [client_credentials]
    scopes:
      description: V(all), or the sorted list of scopes dynamically registered clients may ask for.
      type: raw
      sample: all
    client_authentication:
      description: Client authentication methods of dynamically registered clients.
      type: list
      elements: str
      sample: [secret]
    authenticate_client_by:
      description: The clients that may register clients (they get the C(dcr) scope).
      type: list
      elements: str
      sample: [konnect-dcr]
    management_clients:
      description: The clients named in the dynamic client management settings.
      type: list
      elements: str
    client_management:
      description: Whether dynamic client management is enabled.
      type: bool
      sample: true
  sample:
    client_data_source: default-datasource
    capabilities: [client_credentials]
    scopes: all
    client_authentication: [secret]
    authenticate_client_by: [konnect-dcr]
    management_clients: []
    client_management: true
token_issuer:
  description: The default token issuer flag M(devportal.dcr.curity_token) manages.
  returned: always
  type: dict
  contains:
    access_token_as_jwt:
      description: Whether access tokens are JWTs.
      type: bool
      sample: true
issuer:
  description: The issuer, without a trailing slash or the discovery suffix.
  returned: when O(issuer) is set
  type: str
  sample: https://idsvr.example.com/oauth/v2/oauth-anonymous
token_endpoint:
  description: The token endpoint, from discovery.
  returned: when O(issuer) is set
  type: str
  sample: https://idsvr.example.com/oauth/v2/oauth-token
registration_endpoint:
  description: The DCR endpoint, from discovery; V(null) while DCR is not enabled.
  returned: when O(issuer) is set
  type: str
  sample: https://idsvr.example.com/token-service/oauth-registration
query_result:
  description: The answer of O(query) on the result.
  returned: when O(query) is set
  type: raw
  sample: all
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    CredentialConfig,
    CurityAdmin,
    CurityError,
    CurityRuntime,
    curity_argument_spec,
    reported,
)
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec


def main():
    spec = curity_argument_spec(
        client_id=dict(type="str", default="konnect-dcr"),
        issuer=dict(type="str", fallback=(env_fallback, ["CURITY_ISSUER"])),
    )
    spec.update(info_argument_spec())
    module = DcrModule(argument_spec=spec, supports_check_mode=True)
    query = Query(module)
    params = module.params
    with reported(module):
        if not params["client_id"] or params["client_id"] != params["client_id"].strip():
            raise CurityError("client_id must be a non-empty id without surrounding spaces, got %r." % params["client_id"])
        admin = CurityAdmin.from_module(module)
        runtime = CurityRuntime(module, params["issuer"]) if params["issuer"] else None
        config = CredentialConfig.read(admin, params["client_id"])
        result = dict(client_id=params["client_id"], exists=config.client is not None, client=config.client_view(),
                      dynamic_client_registration=config.dcr_view(), token_issuer=config.issuer_view())
        if runtime is not None:
            metadata = runtime.metadata()
            result.update(issuer=runtime.issuer, token_endpoint=metadata["token_endpoint"],
                          registration_endpoint=metadata.get("registration_endpoint"))
    query.exit(**result)


if __name__ == "__main__":
    main()
