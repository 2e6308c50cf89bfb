#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: curity_token
short_description: Manage the Curity client that Kong Konnect uses for Dynamic Client Registration
version_added: 0.1.0
description:
  - Creates the confidential client (client credentials, secret authentication) that a Kong Konnect Dev Portal uses
    to register applications in the Curity Identity Server, and enables non-templatized Dynamic Client Registration
    (DCR) with dynamic client management for it, as Kong's "Configure Curity for Dynamic Client Registration" guide
    does by hand.
  - It does the other Curity steps of that guide too. It enables the client credentials capability on the token
    profile when the profile lacks it (Curity refuses a client capability the profile has not enabled); the change is in
    the diff and in check mode. With O(dcr=true) it makes sure the profile has a DCR endpoint (kind
    C(oauth-dynamic-client-registration)) deployed on the runtime nodes' service roles ("Select the nodes you want to
    enable DCR on"), and then checks that discovery advertises C(registration_endpoint). With O(userinfo_issuer=true)
    it creates Kong's custom token issuer C(userinfo) (type C(jwt), purpose C(userinfo)). O(access_token_as_jwt) is
    the guide's "Use Access Token as JWT".
  - What a run creates besides the client (the DCR endpoint, its deployment on service roles, the custom token issuer)
    is recorded in the client's properties, so that O(state=absent) removes exactly that and never what it found.
  - With O(verify=true) it then proves the credential works by obtaining a C(dcr)-scoped access token from the token
    endpoint found through discovery, and fails with a clear message when it cannot. The token is never shown.
  - Curity keeps only a hash of a client secret, so an existing secret is never read back nor blindly rewritten; see
    O(update_secret).
  - With O(secret_store), whenever the run sets the client's secret (generated or given, on creation, with
    O(update_secret=always), or a given secret that no longer works), that secret is kept in the store right after the
    write on Curity, at V(devportal-dcr/dcr-credentials/<client_id>) unless O(secret_store.path) says otherwise; the
    store is checked (reachable, credentials valid, path writable) and the record read before the first write. A run
    that does not set the secret sends nothing to the store.
  - "Request budget - every read is a plain GET of an exact subtree (never the RESTCONF C(fields) parameter), so the
    number of requests does not depend on the number of scopes, claims or clients. A run that changes nothing sends a
    GET of the client, of the DCR settings and of the profile's client capabilities; of its token issuers when
    O(access_token_as_jwt) or O(userinfo_issuer) is set; of its endpoints and of the service roles with O(dcr=true); of
    the scopes when O(scopes) or O(dcr_scopes) is set; and, when O(issuer) is set, one discovery GET; with
    O(verify=true) and a known O(secret), also one token request. A GET that finds nothing adds, once, a GET of the
    list of profiles, so that a wrong O(profile_id) is told apart from an object that does not exist yet. Each name
    this run would write that the server must know (a data source, a signing key, a signature verification key) is
    checked first with one GET. A run that changes something adds one PATCH - of the profile, or of the datastore when
    a service role must deploy the DCR endpoint, so that the endpoint and its deployment are one transaction -, a
    write for each kind of removal (a client that loses scopes or its name or description is read and replaced, DCR
    scopes that shrink are replaced, C(access-token-as-jwt) is deleted), the GETs again to read the result back and,
    with O(verify=true), a token request and a discovery GET. With O(verify=true) the discovery GET comes before any
    write, so that a token endpoint refused by O(allow_insecure_token_endpoint) fails the task before anything is
    changed. O(state=absent) sends the GETs of the client and the DCR settings (and of the endpoints, service roles and
    token issuers when the client's record names what a run created), then DELETEs what the record names (the DCR
    endpoint's service role entries, the endpoint, the custom token issuer) when the DCR settings go, a DELETE of the DCR
    settings when O(dcr=true) and they serve the client alone (else a PUT of them when they name the client), and a
    DELETE of the client."
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.secret_store
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_curity
attributes:
  check_mode:
    details:
      - Check mode reads the current state and reports the same C(changed) and diff as a real run, and sends no write.
      - In check mode the module may still ask the token endpoint for a token to find out whether a given O(secret)
        still works (O(update_secret=on_create) with O(verify=true) on an existing client). That changes no
        configuration; the token is discarded and never shown. When the token endpoint refuses that token for
        another reason than the client's credentials (an HTTP 400 such as C(invalid_scope)) and the run would change
        nothing, check mode fails with the message the real run would fail with.
options:
  client_id:
    description:
      - Id of the config-backed client; Konnect calls it the Initial Client ID.
    type: str
    default: konnect-dcr
  client_name:
    description:
      - Display name of the client. V("") removes it. Not managed when omitted.
    type: str
  description:
    description:
      - Description of the client. V("") removes it. Not managed when omitted.
    type: str
  secret:
    description:
      - The client secret; Konnect calls it the Initial Client Secret.
      - When omitted and the client does not exist, a strong secret is generated and returned once in
        RV(client_secret). Set C(no_log) on the task.
      - When given for an existing client with O(update_secret=on_create) and O(verify=true), the module checks that
        it still works and sets it when it does not (drift).
    type: str
  update_secret:
    description:
      - V(on_create) writes the secret only when the client is created, or when a given O(secret) is found not to work
        any more (needs O(verify=true)).
      - V(always) writes O(secret) on every run; the task then reports a change on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  scopes:
    description:
      - The exact list of scopes of the client (order does not matter). Not managed when omitted.
      - Every scope must exist in the profile. The C(dcr) scope is not listed here; DCR grants it to the clients named
        in C(authenticate-client-by). Avoid C(openid), which does not work with client credentials.
    type: list
    elements: str
  dcr:
    description:
      - Whether to enable non-templatized Dynamic Client Registration with dynamic client management, the client in
        its C(authenticate-client-by) list (added to the clients already there) and secret client authentication.
      - V(false) leaves the DCR settings as they are.
      - With O(state=absent), V(true) also removes the DCR settings (non-templatized DCR, dynamic client management,
        C(authenticate-client-by), the client data source setting) when they serve this client alone, so that discovery
        no longer advertises C(registration_endpoint). When they also serve other clients, user authentication, open
        registration or templatized DCR, only this client is taken out of them, with a warning naming what keeps them.
    type: bool
    default: true
  dcr_client_data_source:
    description:
      - Id of the data source that stores the dynamically registered clients (C(client-data-source)).
    type: str
    default: default-datasource
  dcr_capabilities:
    description:
      - Capabilities that dynamically registered clients may use; added to those already enabled.
    type: list
    elements: str
    choices: [client_credentials, code]
    default: [client_credentials]
  dcr_scopes:
    description:
      - The exact list of scopes dynamically registered clients may ask for.
      - When omitted, an existing setting is kept, and DCR enabled by this task allows all scopes
        (C(non-templatized/scopes/all)).
    type: list
    elements: str
  dcr_endpoint_id:
    description:
      - Id of the profile's DCR endpoint (kind C(oauth-dynamic-client-registration)) that O(dcr=true) makes sure of.
      - By default the profile's DCR endpoint when it has one, else V(token-service-dynamic-client-registration),
        Curity's conventional id, created.
      - The task fails before any write when an endpoint of this id has another kind.
    type: str
  dcr_endpoint_uri:
    description:
      - Path of the DCR endpoint on the runtime nodes, for example V(/token-service/oauth-registration) (the default
        for an endpoint this task creates). For an existing endpoint, the path is changed only when this is set.
      - The task fails before any write when another endpoint of the profile has this path.
    type: str
  dcr_service_roles:
    description:
      - The service roles (runtime nodes) the DCR endpoint is deployed on; added to those that already deploy it.
      - By default the service roles that deploy the profile's token endpoint (kind C(oauth-token)), where Konnect
        already asks for tokens. The task fails before any write when a role does not exist, or when no role deploys the
        token endpoint and this is not set.
      - V([]) leaves the deployment as it is (for servers where another tool manages service roles); the check of
        C(registration_endpoint) still applies.
    type: list
    elements: str
  access_token_as_jwt:
    description:
      - Whether the access tokens of the default token issuer are JWTs (Kong's guide enables it, "Use Access Token as
        JWT"). Not managed when omitted.
    type: bool
  userinfo_issuer:
    description:
      - V(true) makes sure the profile has Kong's custom token issuer O(userinfo_issuer_id) of type C(jwt) and purpose
        C(userinfo) (Kong's guide, "Configure the token issuer" steps 3 to 5); V(false) removes it. Not managed when
        omitted.
      - A new issuer takes the default token issuer's data source, signing key and verification keystore for the
        options not set; an existing one keeps its settings for the options not set.
    type: bool
  userinfo_issuer_id:
    description:
      - Id (name) of that token issuer.
    type: str
    default: userinfo
  userinfo_data_source:
    description:
      - Its tokens data source (C(data-sources/tokens-data-source-id)), a data source id of Facilities. Checked to exist.
    type: str
  userinfo_signing_key:
    description:
      - Its signing key (C(jwt/signing-key-id)), a signing key id of Facilities. Checked to exist.
    type: str
  userinfo_verification_keystore:
    description:
      - Its verification keystore (C(jwt/verification-keystore-id)), a signature verification key id of Facilities.
        Checked to exist. V("") removes it (the signing key then verifies the signature).
    type: str
  issuer:
    description:
      - The issuer of the OAuth profile, for example V(https://idsvr.example.com/oauth/v2/oauth-anonymous). The form
        Kong's guide gives Konnect, ending in C(/.well-known/openid-configuration), is accepted too.
      - Needed by O(verify=true), and to return RV(token_endpoint) and RV(registration_endpoint).
      - O(validate_certs), O(ca_path) and O(timeout) apply to the requests to the issuer too.
      - If not set, the value of the E(CURITY_ISSUER) environment variable is used.
    type: str
  verify:
    description:
      - Whether to prove, after applying the configuration, that the client obtains a C(dcr)-scoped token (a token
        without scope with O(dcr=false)) from the token endpoint. Needs O(issuer).
      - Needs the secret, so it is skipped (RV(verified) is V(false)) for an existing client when O(secret) is not given.
      - Not done in check mode, except the check described in the check mode attribute.
    type: bool
    default: true
  allow_insecure_token_endpoint:
    description:
      - The client secret is sent only to a token endpoint (named by the issuer's discovery document) on the host and
        port of O(issuer), with C(https) when O(issuer) uses C(https) (an C(http) issuer may name an C(https) endpoint
        on another port). Otherwise the task fails before sending it, in check
        mode too; a misconfigured server behind TLS termination may announce an C(http://) or internal URL.
      - V(true) sends the secret to such an endpoint anyway, with a warning. Only for an endpoint you trust.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the client and the DCR settings.
      - V(absent) removes the DCR settings (see O(dcr)), or takes the client out of C(authenticate-client-by) when they
        serve others too or O(dcr=false), then deletes the client. When it removes the DCR settings, it first takes
        back what runs of this module recorded as created in the client's properties (the DCR endpoint's deployment on
        the service roles they deployed it on, the endpoint when they created it, the custom token issuer they created),
        and nothing else. A run that stops half-way is finished by the next one. Check mode shows the same diff and
        sends no write.
      - The profile's client credentials capability and the O(access_token_as_jwt) setting stay, as other clients may
        rely on them.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Never use the RFC 7592 client configuration endpoint to check a client; every read there rotates the client's
    secret. This module checks the credential with the token endpoint only.
  - The JSON encoding of C(non-templatized/scopes/all), C(non-templatized/capabilities/code) and
    C(non-templatized/authenticators/all) is inferred from Curity's configuration exports (empty leaves, sent as
    V([null])). If a server refuses one of them (HTTP 400), the error names the element and what to try instead.
    The collection's documentation lists every Curity element it reads or writes and how its shape is known.
seealso:
  - module: devportal.dcr.curity_scope
  - module: devportal.dcr.curity_claim
  - name: Kong guide, Configure Curity for Dynamic Client Registration
    description: The manual steps this module automates.
    link: https://developer.konghq.com/how-to/curity-dcr/
"""

EXAMPLES = r"""
- name: Credential for Konnect, with a generated secret
  devportal.dcr.curity_token:
    admin_url: https://idsvr-admin.example.com:6749/admin/api/restconf
    admin_password: "{{ curity_admin_password }}"
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
    client_name: Kong Konnect DCR
    access_token_as_jwt: true
  delegate_to: localhost
  no_log: true  # the result holds the generated secret
  register: konnect_credential

- name: Credential with a secret from a vault, connection details through module_defaults
  module_defaults:
    group/devportal.dcr.curity:
      admin_url: "{{ curity_admin_url }}"
      admin_password: "{{ curity_admin_password }}"
      profile_id: token-service
  devportal.dcr.curity_token:
    client_id: konnect-dcr
    secret: "{{ vault_konnect_dcr_secret }}"
    issuer: "https://idsvr.example.com/oauth/v2/oauth-anonymous/.well-known/openid-configuration"
    dcr_scopes: [kong-api]
  delegate_to: localhost

- name: Remove the credential and the DCR settings that served it alone (discovery stops advertising registration)
  devportal.dcr.curity_token:
    client_id: konnect-dcr
    state: absent
  delegate_to: localhost

- name: Remove the credential only, leaving the DCR settings to other clients
  devportal.dcr.curity_token:
    client_id: konnect-dcr
    dcr: false
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
client_id:
  description: Id of the client.
  returned: always
  type: str
  sample: konnect-dcr
client_secret:
  description:
    - The secret this run generated for the client it created. Shown once; Curity keeps only a hash.
    - Set C(no_log) on the task.
  returned: when the client was created with a generated secret (not in check mode), on failure too once the write
    that created it may have been done
  type: str
issuer:
  description: The issuer, without a trailing slash or the discovery suffix.
  returned: when O(issuer) is set
  type: str
  sample: https://idsvr.example.com/oauth/v2/oauth-anonymous
token_endpoint:
  description: The token endpoint, from discovery.
  returned: when O(issuer) is set and O(state=present)
  type: str
  sample: https://idsvr.example.com/oauth/v2/oauth-token
registration_endpoint:
  description:
    - The DCR endpoint, from discovery; V(null) while DCR is not enabled and deployed (so in check mode before it is).
    - With O(dcr=true) and O(verify=true), a run that ends without it fails with a message naming the endpoint and the
      service roles.
  returned: when O(issuer) is set and O(state=present)
  type: str
  sample: https://idsvr.example.com/token-service/oauth-registration
secret_store:
  description:
    - The DCR credential's record in O(secret_store) (null without it), never a value. Its C(action) is
      V(create) or V(update) when this task wrote it (in check mode, would write it), V(keep) when it already held
      the secret, null when the run does not set the secret. Its other keys are those of the same return value of
      M(devportal.dcr.portal_application) (C(backend), C(location), C(path), C(fields), C(version),
      C(written_version)).
  returned: always
  type: dict
  sample: {"backend": "vault", "path": "devportal-dcr/dcr-credentials/konnect-dcr", "action": "create",
           "fields": ["client_id", "client_secret"], "version": null, "written_version": 1,
           "location": "Vault KV v2 secret/devportal-dcr/dcr-credentials/konnect-dcr at https://vault.example.com:8200"}
secret_changed:
  description:
    - Whether the run sets the client's secret (the client is created, O(update_secret=always), or the given O(secret)
      no longer works). In check mode, whether the real run would.
    - Whatever stores the same secret elsewhere (the Konnect DCR provider) must then be given the new one.
  returned: always
  type: bool
  sample: false
verified:
  description:
    - Whether this run obtained a token with the client's secret.
    - A token request refused after the configuration is applied (an HTTP 400 such as C(invalid_scope) included) fails
      the run, with the token endpoint's answer and its likely cause; it is never reported as V(false).
  returned: always
  type: bool
  sample: true
diff:
  description:
    - What changes, with only the managed settings, under C(client) (with C(teardown_record), the client properties
      that record what the run creates), C(client_capabilities) (the profile's), C(dynamic_client_registration),
      C(dcr_endpoint) (its id, path and service roles), C(token_issuer) and C(userinfo_token_issuer). The secret shows
      as a mask.
    - With O(state=absent), C(dynamic_client_registration) is only in C(before) when the DCR settings are removed.
  returned: always
  type: dict
  contains:
    before:
      description: The changing parts before the run.
      type: dict
    after:
      description: The changing parts after the run.
      type: dict
  sample:
    before: {}
    after: {"client": {"client_credentials": true, "secret": "********"}}
"""

from ansible_collections.devportal.dcr.plugins.module_utils._curity_token import main


if __name__ == "__main__":
    main()
