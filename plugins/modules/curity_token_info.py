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
    default token issuer flag, the profile's client credentials capability, its DCR endpoint and the service roles
    that deploy it, and Kong's custom C(userinfo) token issuer, in the terms of M(devportal.dcr.curity_token) (the
    sections of its diff).
  - Never returns the client secret; Curity keeps only a hash of it, and the module does not read that either.
  - It does not ask the token endpoint for a token; use M(devportal.dcr.curity_token) with O(devportal.dcr.curity_token#module:verify=true)
    in check mode for that.
  - Request budget - six plain GETs of exact subtrees (the client, the DCR settings, the profile's client capabilities,
    its token issuers, its endpoints and the service roles), whatever the number of scopes, claims and clients, and,
    when O(issuer) is set, one discovery GET. A GET that finds nothing adds one GET of the list of profiles (once), so
    that a wrong O(profile_id) is told apart from an object that does not exist.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.info
  - devportal.dcr.secret_store.report
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
  dcr_endpoint_id:
    description:
      - Id of the DCR endpoint to report in RV(dcr_endpoint). By default the profile's endpoint of kind
        C(oauth-dynamic-client-registration), else C(token-service-dynamic-client-registration).
    type: str
  userinfo_issuer_id:
    description:
      - Id of the custom token issuer (type C(jwt), purpose C(userinfo)) to report in RV(userinfo_token_issuer).
    type: str
    default: userinfo
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
secret_store:
  description:
    - With O(secret_store), the DCR credential's record - C(backend), C(location), C(path), C(stored) (whether a
      record holds a value) and C(version) (Vault; null when there is no record). Never a value. Null without
      O(secret_store).
  returned: always
  type: dict
  sample: {"backend": "vault", "path": "devportal-dcr/dcr-credentials/konnect-dcr", "stored": true, "version": 2,
           "location": "Vault KV v2 secret/devportal-dcr/dcr-credentials/konnect-dcr at https://vault.example.com:8200"}
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
    teardown_record:
      description:
        - What runs of M(devportal.dcr.curity_token) recorded in the client's properties as created by them (the DCR
          endpoint, the service roles they deployed it on, the custom token issuer), so that a teardown removes exactly
          that. Empty when they created nothing.
      type: dict
      sample: {"devportal-dcr-endpoint": token-service-dynamic-client-registration, "devportal-dcr-endpoint-created": "true",
               "devportal-dcr-endpoint-deployed-on": default}
client_capabilities:
  description: The profile's client capabilities that M(devportal.dcr.curity_token) manages.
  returned: always
  type: dict
  contains:
    client_credentials:
      description: Whether the profile enables the client credentials capability (clients may only have it then).
      type: bool
      sample: true
dcr_endpoint:
  description:
    - The profile's DCR endpoint (kind C(oauth-dynamic-client-registration)) and the service roles that deploy it;
      V(null) when the profile has none. Discovery advertises C(registration_endpoint) only while it is deployed.
  returned: always
  type: dict
  contains:
    id:
      description: Id of the endpoint.
      type: str
      sample: token-service-dynamic-client-registration
    uri:
      description: Its path on the runtime nodes.
      type: str
      sample: /token-service/oauth-registration
    service_roles:
      description: The service roles that deploy it, sorted.
      type: list
      elements: str
      sample: [default]
userinfo_token_issuer:
  description: Kong's custom token issuer (type C(jwt), purpose C(userinfo)); V(null) when the profile has none.
  returned: always
  type: dict
  contains:
    id:
      description: Its id.
      type: str
      sample: userinfo
    issuer_type:
      description: Always C(jwt).
      type: str
    purpose_type:
      description: Always C(userinfo).
      type: str
    tokens_data_source:
      description: Id of its tokens data source.
      type: str
      sample: default-datasource
    signing_key:
      description: Id of its signing key.
      type: str
      sample: default-signing-key
    verification_keystore:
      description: Id of its verification keystore (V("") when none is set).
      type: str
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
    authenticators:
      description: V(all), or the sorted list of authenticators dynamically registered clients may use.
      type: raw
      sample: all
    authenticate_client_by:
      description: The clients that may register clients (they get the C(dcr) scope).
      type: list
      elements: str
      sample: [konnect-dcr]
    management_clients:
      description:
        - Whether C(client-management/management-clients) is set. That section names the clients that may manage every
          dynamically registered client; its members are not public, so the collection reports it without reading it.
      type: bool
      sample: false
    client_management:
      description: Whether dynamic client management is enabled.
      type: bool
      sample: true
  sample:
    client_data_source: default-datasource
    capabilities: [client_credentials]
    scopes: all
    client_authentication: [secret]
    authenticators: all
    authenticate_client_by: [konnect-dcr]
    management_clients: false
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
    CurityAdmin,
    CurityError,
    CurityRuntime,
    curity_argument_spec,
    reported,
)
from ansible_collections.devportal.dcr.plugins.module_utils._curity_credential import CredentialConfig
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec
from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import (
    SecretStoreError,
    dcr_credential_path,
    records_info,
    secret_store_argument_spec,
)


def main():
    spec = curity_argument_spec(
        client_id=dict(type="str", default="konnect-dcr"),
        issuer=dict(type="str", fallback=(env_fallback, ["CURITY_ISSUER"])),
        dcr_endpoint_id=dict(type="str"),
        userinfo_issuer_id=dict(type="str", default="userinfo"),
    )
    spec.update(info_argument_spec())
    spec.update(secret_store_argument_spec())
    module = DcrModule(argument_spec=spec, supports_check_mode=True)
    query = Query(module)
    params = module.params
    with reported(module):
        if not params["client_id"] or params["client_id"] != params["client_id"].strip():
            raise CurityError("client_id must be a non-empty id without surrounding spaces, got %r." % params["client_id"])
        admin = CurityAdmin.from_module(module)
        runtime = CurityRuntime(module, params["issuer"]) if params["issuer"] else None
        config = CredentialConfig.read(admin, params["client_id"], "client", "dcr", "capabilities", "issuers",
                                       "endpoints", "roles")
        endpoint_id = config.dcr_endpoint_id(params["dcr_endpoint_id"])
        result = dict(client_id=params["client_id"], exists=config.client is not None, client=config.client_view(),
                      client_capabilities=config.capabilities_view(), dynamic_client_registration=config.dcr_view(),
                      dcr_endpoint=config.endpoint_view(endpoint_id), token_issuer=config.issuer_view(),
                      userinfo_token_issuer=config.userinfo_view(params["userinfo_issuer_id"]))
        if runtime is not None:
            metadata = runtime.metadata()
            registration = metadata.get("registration_endpoint")
            result.update(issuer=runtime.issuer, token_endpoint=metadata["token_endpoint"],
                          registration_endpoint=registration if isinstance(registration, str) else None)
        try:
            stored = records_info(module, [dcr_credential_path(params["client_id"])])
        except SecretStoreError as exc:
            raise CurityError(str(exc))
        result["secret_store"] = stored[0] if stored else None
    query.exit(**result)


if __name__ == "__main__":
    main()
