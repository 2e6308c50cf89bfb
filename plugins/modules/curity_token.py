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
  - With O(verify=true) it then proves the credential works by obtaining a C(dcr)-scoped access token from the token
    endpoint found through discovery, and fails with a clear message when it cannot. The token is never shown.
  - Curity keeps only a hash of a client secret, so an existing secret is never read back nor blindly rewritten; see
    O(update_secret).
  - "Request budget - a run that changes nothing sends one RESTCONF GET (the client, the DCR settings, the scope ids
    and the token issuer flag in one read) and, when O(issuer) is set, one discovery GET; with O(verify=true) and a
    known O(secret), also one token request. A run that sets O(dcr_client_data_source) (or enables DCR) first checks
    that the data source exists with one GET. A run that changes something adds one PATCH of the profile (everything
    a merge can do), a write for each kind of removal (a client that loses scopes or its name or description is read
    and replaced, DCR scopes that shrink are replaced, C(access-token-as-jwt) is deleted), one GET to read the result
    back and, with O(verify=true), a token request and, when the DCR settings change, a discovery GET. With
    O(verify=true) the discovery GET comes before any write, so that a token endpoint refused by
    O(allow_insecure_token_endpoint) fails the task before anything is changed. O(state=absent) sends the GET, a
    DELETE of the DCR settings when O(dcr=true) and they serve the client alone (else a PUT of them when they name the
    client), and a DELETE of the client."
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.curity
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_curity
attributes:
  check_mode:
    details:
      - Check mode reads the current state and reports the same C(changed) and diff as a real run, and sends no write.
      - In check mode the module may still ask the token endpoint for a token to find out whether a given O(secret)
        still works (O(update_secret=on_create) with O(verify=true) on an existing client). That changes no
        configuration; the token is discarded and never shown.
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
      - When omitted, an existing setting is kept, and DCR enabled by this task allows all scopes.
    type: list
    elements: str
  access_token_as_jwt:
    description:
      - Whether the access tokens of the default token issuer are JWTs (Kong's guide enables it). Not managed when
        omitted.
    type: bool
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
      - V(absent) removes the DCR settings (see O(dcr)), or takes the client out of C(authenticate-client-by) and
        C(management-clients) when they serve others too or O(dcr=false), then deletes the client. A run that stops
        between the two steps is finished by the next one. Check mode shows the same diff and sends no write.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Never use the RFC 7592 client configuration endpoint to check a client; every read there rotates the client's
    secret. This module checks the credential with the token endpoint only.
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
  description: The DCR endpoint, from discovery; V(null) while DCR is not enabled (so in check mode before it is).
  returned: when O(issuer) is set and O(state=present)
  type: str
  sample: https://idsvr.example.com/token-service/oauth-registration
secret_changed:
  description:
    - Whether the run sets the client's secret (the client is created, O(update_secret=always), or the given O(secret)
      no longer works). In check mode, whether the real run would.
    - Whatever stores the same secret elsewhere (the Konnect DCR provider) must then be given the new one.
  returned: always
  type: bool
  sample: false
verified:
  description: Whether this run obtained a token with the client's secret.
  returned: always
  type: bool
  sample: true
diff:
  description:
    - What changes, with only the managed settings, under C(client), C(dynamic_client_registration) and
      C(token_issuer). The secret shows as a mask.
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

from ansible.module_utils.basic import env_fallback

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    CLIENT,
    DCR,
    ISSUER,
    CredentialConfig,
    CurityAdmin,
    CurityError,
    CurityRuntime,
    TokenRefused,
    curity_argument_spec,
    generate_secret,
)
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError, TransportError

INITIAL_TOKEN_SCOPE = "dcr"
CHECK_MODE_SECRET = "secret generated by a real run"  # stands for the secret in a check-mode plan (masked)
HINTS = {
    "invalid_client": "the secret does not authenticate the client (or the client is disabled)",
    "invalid_scope": "the client may not ask for the 'dcr' scope: DCR must be enabled (non-templatized) with the client "
                     "in authenticate-client-by",
    "unauthorized_client": "the client lacks the client credentials capability",
}


def desired_client(params, secret):
    want = _engine.user_set(params, ("client_name", "description", "scopes"))
    want["client_credentials"] = True
    if secret is not None:
        want["secret"] = secret
    return want


def desired_dcr(params, config):
    """The DCR settings the task needs: lists are added to what is there, never reduced."""
    have = config.dcr_view() or {}

    def union(option, extra):
        return sorted(set(have.get(option) or []) | set(extra))

    want = {
        "client_data_source": params["dcr_client_data_source"],
        "capabilities": union("capabilities", params["dcr_capabilities"]),
        "client_authentication": union("client_authentication", ["secret"]),
        "authenticate_client_by": union("authenticate_client_by", [params["client_id"]]),
        "client_management": True,
    }
    if params["dcr_scopes"] is not None:
        want["scopes"] = sorted(set(params["dcr_scopes"]))
    elif not config.dcr_enabled:
        want["scopes"] = "all"
    return want


def leaving_dcr(config, client_id):
    """The DCR lists without the client (what a deleted client leaves behind), or None."""
    have = config.dcr_view()
    if have is None or config.client is None:
        return None
    return dict((k, [v for v in have[k] if v != client_id]) for k in ("authenticate_client_by", "management_clients"))


def removes_dcr(config, params):
    """With dcr=true, state=absent removes the DCR settings when they serve no one but the client."""
    return params["dcr"] and config.dcr is not None and not config.dcr_other_users(params["client_id"])


def make_plan(config, params, secret=None, force_secret=False):
    plan = _engine.Plan()
    if params["state"] == "absent":
        plan.add(_engine.compare(CLIENT, config.client_view(), None, "absent"))
        if removes_dcr(config, params):
            plan.add(_engine.compare(DCR, config.dcr_view(), None, "absent"))
            return plan
        leaving = leaving_dcr(config, params["client_id"])
        if leaving is not None:
            plan.add(_engine.compare(DCR, config.dcr_view(), leaving))
        return plan
    plan.add(_engine.compare(CLIENT, config.client_view(), desired_client(params, secret), secret_keys=("secret",),
                             force_fields=("secret",) if force_secret else ()))
    if params["dcr"]:
        plan.add(_engine.compare(DCR, config.dcr_view(), desired_dcr(params, config)))
    if params["access_token_as_jwt"] is not None:
        plan.add(_engine.compare(ISSUER, config.issuer_view(), {"access_token_as_jwt": params["access_token_as_jwt"]}))
    return plan


class Credential:
    """One run of the module: read, plan, write, verify."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client_id = self.params["client_id"]
        self.secret = self.params["secret"]
        self.generated = None
        self.written = False
        self.verified = False
        self.admin = None
        self.runtime = None

    # -- input -----------------------------------------------------------------------------
    def check_input(self):
        params = self.params
        if not self.client_id or self.client_id != self.client_id.strip():
            raise CurityError("client_id must be a non-empty id without surrounding spaces, got %r." % self.client_id)
        if self.secret is not None and not self.secret.strip():
            raise CurityError("secret must not be empty; omit it to have a strong secret generated on creation.")
        if params["dcr_scopes"] == []:
            raise CurityError("dcr_scopes must name at least one scope; omit it to keep the current setting.")
        if params["state"] == "present" and params["verify"] and not params["issuer"]:
            raise CurityError("issuer is required to verify the credential: set issuer (or CURITY_ISSUER), or "
                              "verify: false.")
        self.admin = CurityAdmin.from_module(self.module)
        if params["issuer"]:
            self.runtime = CurityRuntime(self.module, params["issuer"],
                                         allow_insecure_token_endpoint=params["allow_insecure_token_endpoint"])

    def check_scopes(self, config):
        problems = []
        for option in ("scopes", "dcr_scopes") if self.params["dcr"] else ("scopes",):
            unknown = config.unknown_scopes(self.params[option] or [])
            if unknown:
                problems.append("%s names scopes the profile does not have: %s" % (option, ", ".join(map(repr, unknown))))
        source = self.params["dcr_client_data_source"]
        if self.params["dcr"] and source and source != (config.dcr_view() or {}).get("client_data_source") \
                and not self.admin.data_source_exists(source):
            problems.append("dcr_client_data_source names a data source Curity does not have: %r (see Facilities > "
                            "Data Sources)" % source)
        if problems:
            hint = " (dcr is granted through the DCR settings, not listed)" if INITIAL_TOKEN_SCOPE in (self.params["scopes"] or []) else ""
            raise CurityError("%s%s. Create them first (scopes for example with devportal.dcr.curity_scope); nothing was "
                              "changed." % ("; ".join(problems), hint))

    # -- the secret ----------------------------------------------------------------------------
    def secret_to_write(self, config):
        """(secret to write or None, whether it must be written whatever the server shows)."""
        if config.client is None:
            if self.secret is None and not self.module.check_mode:
                self.generated = generate_secret()
                self.module.no_log_values.add(self.generated)
            return self.secret or self.generated or CHECK_MODE_SECRET, False
        if self.params["update_secret"] == "always":
            return self.secret, True
        if self.secret is not None and self.params["verify"] and not self.still_works():
            return self.secret, True
        return None, False

    def still_works(self):
        """Whether the given secret authenticates the existing client (a token request, no configuration change)."""
        try:
            self.token()
        except TokenRefused as exc:
            if exc.bad_credentials:
                return False
            if not 400 <= exc.status < 500:
                raise CurityError(str(exc))
            return True  # authenticated; the token is refused for a setting this run may fix
        self.verified = True
        return True

    def token(self):
        scope = INITIAL_TOKEN_SCOPE if self.params["dcr"] else None
        self.runtime.client_credentials_token(self.client_id, self.secret or self.generated, scope)

    # -- the run ---------------------------------------------------------------------------------
    def run(self):
        self.check_input()
        config = CredentialConfig.read(self.admin, self.client_id)
        if self.params["state"] == "absent":
            plan = make_plan(config, self.params)
            others = config.dcr_other_users(self.client_id) if self.params["dcr"] else []
            if others:
                self.module.warn("Curity's dynamic client registration settings stay, because they also serve %s; "
                                 "discovery keeps advertising registration_endpoint. Remove them by hand if nothing "
                                 "needs them." % ", ".join(others))
            self.apply(plan, config)
            return self.result(plan)
        self.check_scopes(config)
        if self.params["verify"] and self.runtime is not None:
            self.runtime.checked_token_endpoint()  # refused before anything is written
        secret, force = self.secret_to_write(config)
        plan = make_plan(config, self.params, secret, force)
        self.apply(plan, config, secret)
        self.verify(plan)
        return self.result(plan)

    def apply(self, plan, config, secret=None):
        if not plan.changed or self.module.check_mode:
            return
        try:
            config.write(self.admin, plan, secret)
        finally:
            # A later step of the write may fail after an earlier one (the client with its
            # secret) succeeded: the run changed something, and the secret must be returned.
            self.written = self.admin.changed_something
        if self.runtime is not None and any(c.key == DCR and c.changed for c in plan.changes):
            self.runtime.invalidate()  # the registration endpoint appears once DCR is enabled
        after = CredentialConfig.read(self.admin, self.client_id)
        if make_plan(after, self.params).changed:
            self.module.warn("The configuration read back after the write still differs from the task; another client "
                             "may have changed it at the same time. Run the task again to converge.")

    def verify(self, plan):
        if self.module.check_mode or not self.params["verify"] or not (self.secret or self.generated):
            return
        if self.verified and not plan.changed:
            return
        try:
            self.token()
        except TokenRefused as exc:
            hint = HINTS.get("invalid_client" if exc.bad_credentials else exc.error, "see the server's answer")
            raise CurityError("The credential does not work: client %r did not get a %s token: %s. Likely cause: %s."
                              % (self.client_id, INITIAL_TOKEN_SCOPE if self.params["dcr"] else "client credentials",
                                 str(exc).rstrip("."), hint))
        self.verified = True

    # -- results ---------------------------------------------------------------------------------
    def partial(self):
        """What is true even when the run fails: whether it wrote, and a secret it created."""
        out = {"changed": self.written, "client_id": self.client_id, "verified": self.verified}
        if self.generated and self.written:
            # Registered in no_log_values at once so that no message can carry it; released only
            # here, for the one value the user must receive (the docs ask for no_log on the task).
            self.module.no_log_values.discard(self.generated)
            out["client_secret"] = self.generated
        if self.runtime is not None:
            out["issuer"] = self.runtime.issuer
        return out

    def failure(self, exc):
        """The message of a failed run: the error, and where the created secret is when there is one."""
        msg = str(exc)
        if self.generated and self.written:
            msg = "%s The client %r was created with a generated secret: it is in this result's client_secret (Curity " \
                  "keeps only a hash, so it cannot be read again); run the task again with that secret to finish." % (
                      msg.rstrip(), self.client_id)
        return msg

    def result(self, plan):
        out = self.partial()
        client = [c for c in plan.changes if c.key == CLIENT and c.changed]
        out.update(changed=plan.changed, diff=plan.diff(), secret_changed=bool(
            self.params["state"] == "present" and client and "secret" in client[0].changed_fields()))
        if self.runtime is not None and self.params["state"] == "present":
            metadata = self.runtime.metadata()
            out.update(token_endpoint=metadata["token_endpoint"], registration_endpoint=metadata.get("registration_endpoint"))
        return out


def main():
    module = DcrModule(
        argument_spec=curity_argument_spec(
            client_id=dict(type="str", default="konnect-dcr"),
            client_name=dict(type="str"),
            description=dict(type="str"),
            secret=dict(type="str", no_log=True),
            update_secret=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
            scopes=dict(type="list", elements="str"),
            dcr=dict(type="bool", default=True),
            dcr_client_data_source=dict(type="str", default="default-datasource"),
            dcr_capabilities=dict(type="list", elements="str", default=["client_credentials"],
                                  choices=["client_credentials", "code"]),
            dcr_scopes=dict(type="list", elements="str"),
            access_token_as_jwt=dict(type="bool", no_log=False),
            issuer=dict(type="str", fallback=(env_fallback, ["CURITY_ISSUER"])),
            verify=dict(type="bool", default=True),
            allow_insecure_token_endpoint=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        required_if=[("update_secret", "always", ["secret"])],
        supports_check_mode=True,
    )
    credential = Credential(module)
    try:
        result = credential.run()
    except (CurityError, HttpError, TransportError) as exc:
        module.fail_json(msg=credential.failure(exc), **credential.partial())
    except Exception as exc:  # pylint: disable=broad-except
        # Never a traceback that loses a created secret: say what happened, hand over what is known.
        module.fail_json(msg=credential.failure("Unexpected error (%s: %s)." % (type(exc).__name__, exc)),
                         **credential.partial())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
