#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dcr_setup
short_description: Plan the whole Curity and Konnect DCR setup with reads, then apply it
version_added: 0.2.0
description:
  - Runs the collection's modules as one change, in dependency order - M(devportal.dcr.curity_claim),
    M(devportal.dcr.curity_scope), M(devportal.dcr.curity_token), M(devportal.dcr.konnect_portal_dcr),
    M(devportal.dcr.portal_application) - and then, optionally, a request through the gateway with an application's
    credentials. The role C(devportal.dcr.dcr_curity) is built on it.
  - B(Plan.) Every step first runs in check mode, which only reads. Wrong credentials on any of the three systems
    (Curity admin, Konnect token, developer login), a name that does not resolve (portal, API, product version, claim,
    auth strategy, client data source) and invalid input (a redirect URI, a name too long) fail the run here, naming the
    step and the input, before anything is written anywhere. A step that depends on an object an earlier step would
    create (a scope using a new claim, an application on a new auth strategy or on an API this run publishes) is planned
    as a change with the checks that do not need that object.
  - B(Apply.) Outside check mode, only the steps whose plan changes something run again, for real, in the same order;
    a run that changes nothing costs exactly the plan's reads. Check mode returns the plan, which is what the real run
    reports.
  - B(The DCR credential's secret.) After every run Curity's client and Konnect's DCR provider hold the same secret.
    When the DCR provider must be created and no secret is given, nothing can be using the credential's secret, so the
    run chooses a fresh one before any write and sets it on both sides; an interrupted first run is finished by a plain
    re-run. Whenever the Curity step sets a secret (creation, a given secret that no longer works, rotation), the
    Konnect step sends it in the same run and Konnect verifies it.
  - B(The secret store.) With O(secret_store) (V(vault) only, and without O(secret_store.path), since each record
    goes to its documented path), the DCR credential's step and every application's step (unless the
    application names a C(secret_store) of its own) keep the secrets they set or receive in the store, right after the
    write that made them (see M(devportal.dcr.curity_token) and M(devportal.dcr.portal_application)). Their plans check
    the store (reachable, credentials valid, path writable) and read the records, so a bad token or a path the policy
    forbids fails the run in the plan, before anything is written to Curity, Konnect or the store. Before choosing a
    fresh DCR credential secret the run reads the record of the DCR credential and, when an earlier run kept one (a
    first run interrupted after Curity's write), hands that secret to both sides instead. The gateway request falls
    back to the application's record. Those two reads are sent from where Ansible runs (the controller), with the
    environment variables found there; the steps reach the store from where the modules run.
  - B(state=absent) plans and removes in reverse order - the applications, the Konnect strategy and provider (see
    the C(orphaned_publications) option of M(devportal.dcr.konnect_portal_dcr)), the DCR credential and DCR settings,
    the scopes, the claims.
  - "Request budget - the plan sends the reads of each step's module in check mode (see each module's request budget;
    Konnect's provider check, C(POST .../verify), which changes nothing, included); a run that changes nothing sends
    only these, then the gateway request. The apply pass sends, for each step whose plan changes something, that
    module's requests of a real run. No module runs twice in a pass, except curity_token's plan when the run chooses a
    fresh DCR credential secret, and a plan started ahead whose input turns out different (the Konnect step's when the
    run sets the DCR credential's secret: a first run, a rotation, a secret that no longer works)."
  - "B(Plans side by side.) When the steps' modules run on the controller (C(connection: local), no C(become)), the plans
    whose input is known before the run (the claims, the scopes, the DCR credential, the Konnect step's when the
    issuer is given; for state=absent, every step) start at once, the Konnect step's otherwise as soon as the DCR
    credential's plan gives the issuer, the applications' as soon as the Konnect step's plan gives the auth strategy
    (at once without that step), and the scopes' after the
    claims' when the scopes use claims the task lists (the claims step may create them). The planner still takes them
    in dependency order, and only a plan made with exactly the input it would send; others are discarded. The apply
    pass, which writes, runs one step after another. Over any other connection the plans run one after another."
  - The gateway request uses HTTP Basic C(client_id:client_secret) with the credentials this run received, or those in
    the application's C(credentials_file), read as M(devportal.dcr.portal_application) reads it (never through a
    symbolic link, only a regular file of at most 64 KiB; with the local connection directly, otherwise fetched through
    the connection after a C(stat)). It goes through the collection's
    one HTTP transport, from where Ansible runs (the controller, which needs the Python library C(requests) for it), as
    every module request does - each attempt bounded by O(request.timeout) as a whole, the credentials never replaced
    by a C(~/.netrc) entry, redirects not followed (so the credentials never go to another location), at most 32 MiB of
    an answer read. Its outcome is the status with its standard reason phrase, never the body of the answer, which may
    echo the credentials (as an upstream like httpbin does).
  - "B(What it shows while it runs.) With C(-v), each step as it is planned and applied (what it wrote, how long it
    took) and each retry of a request as it happens - the method, the URL's path and the service, why (the HTTP status
    or the kind of error), how long the run waits before the next attempt and which attempt comes next; one request
    and its retries can take up to four times the step's C(timeout). The retries are live when the modules run on the
    controller (C(connection: local), no C(become)): each module run appends them to a file of its own, created with
    mode 0600 in a private temporary folder and removed when it ends, which the task reads while the module runs.
    Over any other connection they show after the step. On any connection, a module run that goes on longer than 5
    seconds without news is shown as still running, every 10 seconds."
  - "With C(-vvv), after each module run, the requests it sent - method, the URL's path, the service, the status (or
    the kind of error), milliseconds, the attempts. Nothing shown holds a query string, a header, a body or a secret
    (credentials are masked in every form, also in a path); the trace does not stay in the result."
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.secret_store
  - devportal.dcr.attributes
attributes:
  action:
    description: Runs on the controller as an action plugin, which runs the module code of each step on the target (all steps from this module's one payload).
    support: full
  async:
    description: Cannot run asynchronously.
    support: none
  platform:
    description: "The steps' modules run where the task runs (usually the controller, with C(connection: local))."
    support: full
    platforms: posix
  action_group:
    description: Use C(group/devportal.dcr.setup) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - devportal.dcr.setup
options:
  state:
    description:
      - V(present) configures every step; V(absent) removes them in reverse order.
    type: str
    default: present
    choices: [present, absent]
  phases:
    description:
      - The phases this run executes - V(curity) (claims, scopes, DCR credential), V(konnect) (DCR provider, strategy,
        portal, publications), V(application) (developer applications) and V(verify) (the gateway request).
    type: list
    elements: str
    default: [curity, konnect, application, verify]
    choices: [curity, konnect, application, verify]
  curity:
    description:
      - Connection options of the Curity steps (see M(devportal.dcr.curity_scope)); unset ones fall back to the
        modules' environment variables (C(CURITY_ADMIN_URL), C(CURITY_ADMIN_PASSWORD), ...).
    type: dict
    default: {}
    suboptions:
      admin_url:
        description: The RESTCONF base URL.
        type: str
      admin_username:
        description: The admin user.
        type: str
      admin_password:
        description: The admin password.
        type: str
      profile_id:
        description: The token profile.
        type: str
      validate_certs:
        description: Whether to validate TLS certificates.
        type: bool
      ca_path:
        description: CA bundle.
        type: path
      timeout:
        description: Seconds per request.
        type: int
  konnect:
    description:
      - Connection options of the Konnect admin API (see M(devportal.dcr.konnect_portal_dcr)); unset ones fall back
        to C(KONNECT_URL), C(KONNECT_TOKEN), ...
    type: dict
    default: {}
    suboptions:
      konnect_url:
        description: The region's base URL.
        type: str
      konnect_token:
        description: The Konnect token.
        type: str
      validate_certs:
        description: Whether to validate TLS certificates.
        type: bool
      ca_path:
        description: CA bundle.
        type: path
      timeout:
        description: Seconds per request.
        type: int
  portal:
    description:
      - The developer of the Dev Portal (see M(devportal.dcr.portal_application)); unset ones fall back to
        C(KONNECT_PORTAL_URL), C(KONNECT_DEVELOPER_EMAIL), C(KONNECT_DEVELOPER_PASSWORD).
    type: dict
    default: {}
    suboptions:
      portal_url:
        description: The portal's URL.
        type: str
      developer_email:
        description: The developer's email.
        type: str
      developer_password:
        description: The developer's password.
        type: str
      portal_api:
        description: The portal generation.
        type: str
  claims:
    description:
      - Arguments of M(devportal.dcr.curity_claim) without the connection options and O(state). Omitted - no claims step.
    type: dict
  scopes:
    description:
      - Arguments of M(devportal.dcr.curity_scope) without the connection options and O(state). Omitted - no scopes step.
    type: dict
  token:
    description:
      - Arguments of M(devportal.dcr.curity_token) without the connection options and O(state). Omitted - no DCR
        credential step.
    type: dict
  dcr:
    description:
      - Arguments of M(devportal.dcr.konnect_portal_dcr) without the connection options and O(state). The issuer, the
        initial client id and its secret come from the O(token) step when not set here.
      - Omitted - no Konnect step.
    type: dict
  applications:
    description:
      - Arguments of M(devportal.dcr.portal_application), one entry per application, without the developer options.
        An entry without C(auth_strategy) uses the strategy of the O(dcr) step.
    type: list
    elements: dict
    default: []
  regenerate_secrets:
    description:
      - Names of applications of O(applications) whose client secret this run regenerates (their
        C(regenerate_secret)), unless the entry sets C(regenerate_secret) itself.
    type: list
    elements: str
    default: []
  report:
    description:
      - The RV(report) of an earlier run of this module. The task runs nothing and sends no request - it returns that
        report as its own result - changed when the run changed something, its diff (one entry per object), and failed
        with the run's message when the run failed; the per-step detail (RV(steps)) with C(-v). The summary is left to
        a C(debug) task before it (as in EXAMPLES), except on a failure.
      - So that the run's own task can keep C(no_log) (its result holds the secrets it created) and still be seen, set
        C(failed_when=false) and C(changed_when=false) on it, then report. Every other option is ignored.
    type: dict
  request:
    description:
      - A request through the gateway after the other steps (not in check mode). Omitted - no request.
    type: dict
    suboptions:
      url:
        description:
          - The gateway URL, C(http://) or C(https://), without a user name or password (the request authenticates with
            the application's client credentials).
        type: str
        required: true
      application:
        description: Name of the application whose credentials are used; default the first of O(applications).
        type: str
      method:
        description: The HTTP method.
        type: str
        default: GET
      status_code:
        description: The statuses that count as success.
        type: list
        elements: int
        default: [200, 201, 202, 204]
      retries:
        description:
          - How many times to try again while the answer is not a success or there is none (the gateway may take a
            moment to know a new application). Only for an idempotent method (GET, HEAD, OPTIONS, PUT, PATCH, DELETE); a
            POST is sent once.
          - The check ends within (O(request.retries) + 1) * O(request.timeout) + O(request.retries) * O(request.delay)
            seconds.
        type: int
        default: 5
      delay:
        description: Seconds between tries.
        type: int
        default: 3
      validate_certs:
        description: Whether to validate the gateway's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: CA bundle for the gateway.
        type: path
      timeout:
        description: Seconds each attempt may take as a whole (connecting, sending, and receiving the complete answer).
        type: int
        default: 30
notes:
  - Set C(no_log) on the task; the result carries the secrets created by the run (see RV(applications) and
    RV(dcr_credential)), also when it fails after creating them. Show the run with a second task and O(report).
seealso:
  - module: devportal.dcr.curity_token
  - module: devportal.dcr.konnect_portal_dcr
  - module: devportal.dcr.portal_application
"""

EXAMPLES = r"""
- name: Curity and Konnect for DCR, planned with reads, then applied (connections from CURITY_*, KONNECT_*)
  devportal.dcr.dcr_setup:
    portal:
      portal_url: https://abc123456789.us.kongportals.com
      developer_email: ci-bot@example.com
      developer_password: "{{ vault_developer_password }}"
    token:
      issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
      client_id: konnect-dcr
    dcr:
      portal: developer-portal
      apis: [orders-api]
    applications:
      - name: my-app
        redirect_uri: https://app.example.com/callback
        registrations: [orders-api]
        approve_registrations: true
        credentials_file: /etc/backoffice/my-app.json
    request:
      url: https://gateway.example.com/orders
  register: setup
  no_log: true
  failed_when: false
  changed_when: false

- name: What the run did (no secret)
  ansible.builtin.debug:
    msg: "{{ setup.summary }}"
  when: not (setup.report.failed | default(false))

- name: Changed, diff and failure of the run, shown as Ansible shows any module's (no secret)
  devportal.dcr.dcr_setup:
    report: "{{ setup.report }}"
"""

RETURN = r"""
summary:
  description:
    - What the run did or would do, in words - one line per step; after a teardown, one more line when other
      publications of the gateway services it took an API off keep their routes open (the Konnect step's
      C(open_publications), see M(devportal.dcr.konnect_portal_dcr)), or when they could not be checked; then the
      notes.
  returned: always
  type: list
  elements: str
  sample:
    - "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): changed (unpublished: orders-api/v1)"
    - "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): The gateway route of orders-api/v1 stays
      open to anyone through classic portal 'classic-portal', product version orders/v1 (no auth)."
steps:
  description:
    - One entry per step, in order, with what it did or would do; on a teardown, the Konnect step's entry also has
      C(open_publications) and C(open_publications_unchecked) (see M(devportal.dcr.konnect_portal_dcr)).
  returned: always
  type: list
  elements: dict
  sample:
    - {step: token, title: Curity DCR credential and DCR settings (curity_token), changed: false, applied: false}
diff:
  description:
    - Ansible's diff of the run, one entry per object that changes (C(before), C(after), C(before_header),
      C(after_header); an object created or deleted is empty on that side), headed by the step and the object; secrets
      masked.
  returned: always
  type: list
  elements: dict
  sample:
    - before: {default_application_auth_strategy: key-auth}
      after: {default_application_auth_strategy: curity}
      before_header: "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): portal"
      after_header: "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): portal"
report:
  description:
    - What the run did, without a secret - C(changed), C(diff), C(summary), C(notes), C(steps), C(check_mode), and
      C(failed), C(msg), C(failed_step) when it failed. Give it to a task of this module with O(report) (not C(no_log))
      to have Ansible show the change, the diff and the failure as it shows any module's; see EXAMPLES.
  returned: always
  type: dict
notes:
  description: Decisions of the run worth knowing, such as a fresh DCR credential secret.
  returned: always
  type: list
  elements: str
applications:
  description:
    - Per application name - C(application_id), C(client_id), C(auth_strategy_id), C(registrations), C(pending),
      C(credentials_file), C(secret_store) (the record in O(secret_store) - whether it is or would be written, its
      path and versions, never a value; see the same return value of M(devportal.dcr.portal_application)), and
      C(client_secret) when this run received one (shown once by Konnect).
  returned: always
  type: dict
dcr_credential:
  description:
    - The DCR credential - C(client_id), C(changed), C(secret_store) with O(secret_store) (the record, never a value;
      see the same return value of M(devportal.dcr.curity_token)), and C(client_secret) when this run set a secret it
      chose.
  returned: when the run has the Curity DCR credential step
  type: dict
request:
  description:
    - The gateway's answer - C(status) (none when no answer came), C(reason) (the status's standard reason phrase),
      C(method), C(url), C(application), C(client_id), C(attempts), and C(msg) when it failed or was skipped. The body of
      the answer is never kept - it may echo the credentials.
  returned: when the request was sent or skipped
  type: dict
  sample: {status: 200, reason: OK, method: GET, url: "https://gateway.example.com/orders", application: my-app,
           client_id: 4b1c0a, attempts: 1}
module_executions:
  description: How many module runs the task made (the plan's and the apply's).
  returned: always
  type: int
  sample: 5
timings:
  description:
    - Each module run in the order it started - C(pass) (V(plan) or V(apply)), C(module), C(seconds), and C(started)
      (seconds after the task began; plans started side by side overlap).
  returned: always
  type: list
  elements: dict
failed_step:
  description: The step that failed.
  returned: on failure
  type: str
  sample: dcr
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devportal.dcr.plugins.module_utils._module import requested_step, run_step


def step_main(step):
    """The module code of a step.  The action plugin runs every step through this one module, so Ansible builds
    one module payload per run instead of one per step; only the step's own code is imported."""
    # pylint: disable=import-outside-toplevel
    if step == "curity_claim":
        from ansible_collections.devportal.dcr.plugins.module_utils._curity_claim import main as step_code
    elif step == "curity_scope":
        from ansible_collections.devportal.dcr.plugins.module_utils._curity_scope import main as step_code
    elif step == "curity_token":
        from ansible_collections.devportal.dcr.plugins.module_utils._curity_token import main as step_code
    elif step == "konnect_portal_dcr":
        from ansible_collections.devportal.dcr.plugins.module_utils._konnect_portal_dcr import main as step_code
    elif step == "portal_application":
        from ansible_collections.devportal.dcr.plugins.module_utils._portal_application import main as step_code
    else:
        step_code = None
    return step_code


def main():
    step = requested_step()
    step_code = step_main(step) if step else None
    if step_code is not None:
        run_step(step, step_code)
        return
    # Only this refusal needs the task's own options: a step's run does not import them (nor the secret store's).
    from ansible_collections.devportal.dcr.plugins.module_utils._setup import argument_spec  # pylint: disable=import-outside-toplevel

    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.fail_json(msg="devportal.dcr.dcr_setup runs through its action plugin on the controller; call it as a task "
                         "of a play, not as a module on its own.")


if __name__ == "__main__":
    main()
