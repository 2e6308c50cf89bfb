#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: konnect_portal_dcr
short_description: Set up Dynamic Client Registration with Curity on a Kong Konnect Dev Portal
version_added: 0.1.0
description:
  - Creates or updates, in one task, everything a Konnect Dev Portal needs to let developers register
    applications whose OAuth clients are created in the Curity Identity Server by Dynamic Client Registration (DCR).
  - A Curity DCR provider (C(/v2/dcr-providers)) holding the Curity issuer and the initial client that may register clients.
  - An OpenID Connect application auth strategy (C(/v2/application-auth-strategies)) that uses that provider,
    made the portal's default strategy.
  - Optionally, the strategy of the APIs (new Dev Portal) or API product versions (classic Dev Portal) published to the portal,
    because a portal default only applies to APIs published after it is set.
  - Objects are identified by name. Only fields Konnect returns are compared; the write-only initial client secret follows O(update_secret).
  - With O(state=absent), takes the strategy out of every API publication (new Dev Portal) or API product version (classic Dev Portal)
    of the portal that uses it, gives the portal back the default strategy it had before this module made the strategy its
    default (see below), then deletes the strategy and the provider.
    A publication whose only strategy it is would stay published without application auth (Kong's SDK, confirmed; a publication
    whose C(auth_strategy_ids) is null "will not require application authentication"), so by default it is unpublished instead
    (O(orphaned_publications)). Applications of the portal that still use the strategy make the task fail before any write, unless
    O(applications_in_use=delete).
  - "The portal's previous default strategy. Every new Dev Portal gets a Key Auth strategy, its default when the portal is private
    (Kong's docs, dev-portal/auth-strategies.md; confirmed). When this module makes the strategy a portal's default, it first keeps the
    default it replaces on the strategy itself, in the label C(ANSIBLE-prev-default-<portal id>) (the previous strategy's id, or
    V(none) when the portal had no default); O(state=absent) restores that default (RV(restored_default)). When nothing is recorded
    (a default set by hand or by an older version of this collection) or that strategy no longer exists, the portal is left without
    a default rather than given a guessed one, and the task warns."
  - "Request budget, O(state=present) - reads: the portal by name (C(GET /v3/portals?filter[name][eq]=...), then the classic list
    with O(portal_api=auto) when no new Dev Portal has that name; one C(GET) by id for an id), the DCR provider and the strategy
    by name (one C(GET) of each list), and for each entry of O(apis) its lookup by name (one C(GET); a second one for
    V(NAME/VERSION), or the API product and its versions on a classic portal) and its publication (one C(GET)). A run that
    changes nothing sends only these. Writes, each only when something differs - one C(POST) or C(PATCH) of the provider, one
    C(POST) or C(PATCH) of the strategy, one C(PATCH) of the portal default, and per API one C(PUT) of its publication (classic:
    one C(PATCH) or C(POST) of the portal product version); then one C(GET) of the provider and of the strategy when they changed.
    With O(verify=true), one C(POST /v2/dcr-providers/{id}/verify), which changes nothing (in check mode only for a provider the run keeps).
    When the portal default changes from another strategy, one C(GET) of that strategy (to name it in the diff), and the strategy's
    C(POST) or C(PATCH) carries the label that records it (one C(PATCH) of the strategy when nothing else of it changes).
    What Konnect refuses for a while after a change (O(settle_timeout)) is sent again: the PATCH and PUT requests as they are, the
    strategy's or a classic product version's C(POST) after the read (one C(GET)) that shows it was not created, and the
    verification of a provider this run created or changed."
  - "Request budget, O(state=absent) - the same portal, provider and strategy reads, the portal's publications (or product
    versions) using the strategy, and the look-ups that check nothing else uses the strategy or the provider (every portal's
    default, the classic portals' product versions, C(/v3/api-publications) filtered by the strategy, the strategies using the
    provider), and the portal's applications; when the portal's default is the strategy, one C(GET) of the default it had before.
    Then, only for what exists, one C(DELETE) per application in use (with
    O(applications_in_use=delete)), one C(PUT) or C(PATCH) per publication to take the strategy out, or one C(DELETE) of it (classic:
    C(PATCH) to unpublish) when it is unpublished, one C(PATCH) of the portal default, and one C(DELETE) of the strategy and of the
    provider. A deletion Konnect refuses is followed by the look-up of what uses the object; when nothing is found, it is sent again
    (O(settle_timeout))."
options:
  portal:
    description:
      - Name or id of the Dev Portal.
    type: str
    required: true
  portal_api:
    description:
      - Which generation O(portal) belongs to. V(v3) is the new Dev Portal (C(/v3/portals)), V(v2) the classic one (C(/v2/portals)).
      - V(auto) looks for a new Dev Portal first, then for a classic one.
    type: str
    choices: [auto, v3, v2]
    default: auto
  issuer:
    description:
      - The Curity issuer, for example V(https://idsvr.example.com/oauth/v2/oauth-anonymous), or its
        C(/.well-known/openid-configuration) URL as the Kong documentation shows it. Both forms are equivalent; a trailing slash is removed.
      - Set on the DCR provider and on the strategy. Required when O(state=present).
    type: str
  initial_client_id:
    description:
      - Id of the Curity client with the client-credentials capability that Konnect uses to obtain an initial access token
        (scope C(dcr)) before registering a client. Required when O(state=present).
    type: str
  initial_client_secret:
    description:
      - Secret of O(initial_client_id). Konnect never returns it, so it cannot be compared; see O(update_secret).
      - Required when the DCR provider must be created, and with O(update_secret=always). Not needed while the provider exists
        and O(update_secret=on_create), because it is not sent then.
    type: str
  update_secret:
    description:
      - When to send O(initial_client_secret) to Konnect.
      - V(on_create) sends it only when the DCR provider is created, so repeated runs stay unchanged.
      - V(always) sends it on every run and reports a change each time; use it once after rotating the secret in Curity.
    type: str
    choices: [on_create, always]
    default: on_create
  scopes:
    description:
      - Scopes requested for the clients (the strategy's C(scopes)). Kong's Curity guide leaves them empty.
      - V(openid) is refused because it prevents the client credentials flow, unless O(allow_openid_scope=true).
    type: list
    elements: str
    default: []
  allow_openid_scope:
    description:
      - Accept V(openid) in O(scopes).
    type: bool
    default: false
  claims:
    description:
      - The credential claim, the token claim that identifies the client (the strategy's C(credential_claim)).
    type: list
    elements: str
    default: [sub]
  auth_methods:
    description:
      - How applications may authenticate at the gateway (the strategy's C(auth_methods)).
    type: list
    elements: str
    choices: [client_credentials, bearer, session, password, authorization_code, introspection, kong_oauth2, refresh_token]
    default: [client_credentials, bearer]
  provider_name:
    description:
      - Name of the DCR provider; it identifies the provider.
    type: str
    default: curity
  strategy_name:
    description:
      - Name of the application auth strategy; it identifies the strategy. Defaults to O(provider_name).
    type: str
  display_name:
    description:
      - Name of the strategy shown to developers in the portal. When not set, a new strategy gets its name and an existing one keeps its own.
    type: str
  labels:
    description:
      - Labels added to the provider and the strategy (other labels are left alone).
    type: dict
  oidc_config:
    description:
      - Further OpenID Connect settings of the strategy (the UI's advanced configuration), for example C(cache_tokens) or C(hide_credentials).
      - Only the keys given are compared. C(issuer), C(credential_claim), C(scopes) and C(auth_methods) are set by the options of the same meaning.
    type: dict
  set_portal_default:
    description:
      - Make the strategy the portal's default application auth strategy.
    type: bool
    default: true
  apis:
    description:
      - APIs to publish to the portal with this strategy, by name, V(NAME/VERSION) or id. On a classic portal these are API product
        versions, by V(PRODUCT/VERSION), V(PRODUCT) (when it has one version) or product version id.
      - An API already published keeps its visibility; a new publication is private. A classic product version that is not on the portal
        yet is published with application registration enabled.
    type: list
    elements: str
  verify:
    description:
      - After applying (not in check mode), ask Konnect to verify the provider (C(POST /v2/dcr-providers/{id}/verify)), which obtains an
        initial access token from Curity with the initial client. A failure fails the task.
      - Kong's API description says the verification "Returns 200 for success, 4xx for failure", and gives a failure example with
        200 (confirmed both ways). Either way, a failure that carries the verification's answer (C(status), C(errors)) fails with
        the explanation about the initial client (and C(changed), RV(provider_id) of what was applied); any other 4xx fails
        saying that Konnect did not verify.
    type: bool
    default: true
  state:
    description:
      - V(present) creates or updates; V(absent) removes the strategy and the provider.
      - V(absent) first takes the strategy out of the publications of O(portal) that use it and out of the publications
        of O(apis) (see O(orphaned_publications) for those left without a strategy), and unsets the portal default when
        it is the strategy.
    type: str
    choices: [present, absent]
    default: present
  orphaned_publications:
    description:
      - With O(state=absent), what to do with an API publication (classic portal, API product version) of O(portal) whose
        only application auth strategy is the one removed. Without a strategy it would stay published with no
        application auth (Kong's SDK, confirmed), and the gateway would then let anyone call the API (inferred).
      - V(unpublish) takes the API off the portal (new Dev Portal, C(DELETE /v3/apis/{id}/publications/{portal}); classic
        portal, the product version becomes C(unpublished)). RV(unpublished) lists them; the diff shows C(published) going to
        V(false). What the gateway then does is inferred, no public source says it; the application auth plugin that linking
        the API to its gateway service installed stays, with no strategy for this portal, and refuses anonymous callers and the
        removed applications' credentials (which it may still accept for a short time, since Konnect caches credentials unless the
        strategy sets C(cache_tokens=false), Kong's DCR docs, confirmed).
      - V(fail) fails before any write, naming those APIs, when there is at least one.
      - V(keep_public) leaves them published without application auth (C(auth_strategy_ids) null, which "will not require
        application authentication", Kong's SDK, confirmed; that the gateway then lets anyone call the API is inferred);
        RV(published_without_auth) lists them. Choose it only for an API meant to be public.
      - Publications that keep another strategy only lose this one, whatever the choice.
    type: str
    choices: [unpublish, keep_public, fail]
    default: unpublish
  applications_in_use:
    description:
      - With O(state=absent), what to do with applications of O(portal) that still use the strategy (read through the
        admin API). Deleting the strategy would leave them without one.
      - V(fail) fails before any write, naming them.
      - V(delete) deletes them through the admin API first (Konnect deletes their Curity clients); RV(deleted_applications)
        lists them. Their credentials stop working.
    type: str
    choices: [fail, delete]
    default: fail
  ignore_applications:
    description:
      - With O(state=absent), names (or ids) of applications that an earlier task of the same run deletes, for example
        with M(devportal.dcr.portal_application) O(devportal.dcr.portal_application#module:state=absent).
      - In check mode those applications still exist; they are not counted by O(applications_in_use), so the dry run
        plans what the real run does. In a real run an application listed here that still exists is counted, because
        the earlier task did not delete it.
    type: list
    elements: str
    default: []
  allow_duplicate:
    description:
      - With O(state=present), when the strategy O(strategy_name) does not exist but the portal already uses an OpenID
        Connect strategy for the same issuer (or the same DCR provider), as its default or on a publication of O(apis) -
        a setup made by hand under other names - the task fails before any write, naming that strategy and its DCR
        provider. Set O(strategy_name) and O(provider_name) to those names to manage that setup (nothing is renamed or
        created).
      - V(true) creates the strategy of this task's names anyway, next to the existing one; it then takes the portal
        default (O(set_portal_default)) and the publications of O(apis), and the applications of the existing one stay
        on it.
    type: bool
    default: false
extends_documentation_fragment:
  - devportal.dcr.konnect
  - devportal.dcr.konnect.settle
  - devportal.dcr.attributes
  - devportal.dcr.attributes.actiongroup_konnect
notes:
  - Konnect's limits are checked before any request. O(provider_name), O(strategy_name), O(display_name), O(initial_client_id),
    O(initial_client_secret) and O(issuer) take at most 256 characters; O(claims) at most 10 and O(scopes) at most 50 items of
    at most 128 characters; O(auth_methods) at most 10 items; O(labels) at most 50, with keys and values of 1 to 63 characters.
  - Provider and strategy names must be unique in the Konnect region; the task fails when a name matches several objects.
  - Changing the type of an existing provider or strategy with the same name is refused; delete it first.
  - With O(state=absent), Konnect refuses to delete a strategy that another portal or its publications still use (HTTP 409, Kong's
    file, confirmed), or a provider that another strategy uses (confirmed by Kong's kongctl; the status is not documented, so any
    4xx is taken as such a refusal); the task looks them up and fails before changing anything, naming them, and names them too
    when Konnect refuses a deletion later (something started using the object meanwhile).
  - The labels whose key starts with C(ANSIBLE-prev-default-) are kept by this module (see the previous default above) and refused in
    O(labels).
  - What this module relies on in Konnect, and whether it is confirmed (source) or inferred, is listed in the collection's README
    ("What the collection relies on in Konnect").
author:
  - devportal.dcr contributors (@devportal-dcr)
"""

EXAMPLES = r"""
- name: Let developers of the portal register Curity clients
  devportal.dcr.konnect_portal_dcr:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    portal: developer-portal
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
    initial_client_id: konnect-dcr
    initial_client_secret: "{{ vault_konnect_dcr_secret }}"
    display_name: Curity client credentials
    apis:
      - orders-api

- name: Same, with the connection from module_defaults (or the KONNECT_* variables of an AWX credential)
  module_defaults:
    group/devportal.dcr.konnect:
      konnect_url: https://eu.api.konghq.com
      konnect_token: "{{ vault_konnect_token }}"
  block:
    - name: Configure the classic portal, re-sending the initial secret after a rotation in Curity
      devportal.dcr.konnect_portal_dcr:
        portal: classic-portal
        portal_api: v2
        issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous/.well-known/openid-configuration
        initial_client_id: konnect-dcr
        initial_client_secret: "{{ vault_konnect_dcr_secret }}"
        update_secret: always
        provider_name: curity-prod
        display_name: Curity client credentials
        oidc_config:
          cache_tokens: false
        apis:
          - orders/v1

- name: Later runs need no secret while the provider exists (update_secret on_create)
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    issuer: https://idsvr.example.com/oauth/v2/oauth-anonymous
    initial_client_id: konnect-dcr

- name: Remove the DCR provider and strategy; APIs published only with it are unpublished
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    provider_name: curity
    state: absent
    # orphaned_publications: unpublish and applications_in_use: fail are the defaults

- name: Remove the applications first, through the developer API
  devportal.dcr.portal_application:
    portal_url: https://abc123456789.us.kongportals.com
    developer_email: ci-bot@example.com
    developer_password: "{{ vault_developer_password }}"
    name: orders-client
    state: absent

- name: Then the strategy; in check mode the application above still exists, so it is named as deleted by that task
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    state: absent
    ignore_applications: [orders-client]
  register: dcr_removed

- name: Show what the removal took off the portal
  ansible.builtin.debug:
    msg: "Unpublished: {{ dcr_removed.unpublished | join(', ') }}"

- name: Remove everything, deleting the applications left on the portal and keeping a public API published without auth
  devportal.dcr.konnect_portal_dcr:
    portal: developer-portal
    state: absent
    applications_in_use: delete
    orphaned_publications: keep_public
"""

RETURN = r"""
provider_id:
  description: Id of the DCR provider (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: 93f8380e-7798-4566-99e3-2edf2b57d289
strategy_id:
  description: Id of the application auth strategy (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: 22f8380e-7798-4566-99e3-2edf2b57d289
portal_id:
  description: Id of the Dev Portal.
  returned: always
  type: str
  sample: f32d905a-ed33-46a3-a093-d8f536af9a8a
portal_api:
  description: Generation of the portal, V(v3) (new Dev Portal) or V(v2) (classic).
  returned: always
  type: str
  sample: v3
verified:
  description:
    - Whether Konnect verified the provider with the initial client (its C(verify) call, which changes nothing).
    - Check mode verifies a provider that the run keeps as it is, so a dry run finds a drifted secret; it is V(null) when
      O(verify=false), in check mode when the provider is created or changed, and when absent.
  returned: always
  type: bool
  sample: true
unpublished:
  description:
    - With O(state=absent) and O(orphaned_publications=unpublish), the APIs (V(NAME/VERSION)) or classic product versions
      (V(PRODUCT/VERSION)) taken off the portal because the strategy was their only one; in check mode, those that
      would be. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [orders-api/v1]
published_without_auth:
  description:
    - With O(state=absent) and O(orphaned_publications=keep_public), the APIs or classic product versions left published
      without application auth (which the gateway then opens to anyone, inferred); in check mode, those that would be.
      Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: []
open_publications:
  description:
    - With O(state=absent), the other publications of the gateway services behind the APIs (classic product versions)
      the task unpublishes or takes the strategy off; in check mode, the same. They stay after the task, and keep
      the routes of those services open at the gateway, to anyone when they ask for no application auth (their C(auth) is V(none)).
    - They are the publications, on any new Dev Portal, of every API implemented by the same gateway service, and
      the classic portals' product versions on that service that are published; the task's own publications on
      O(portal) are not among them (see RV(unpublished) and RV(published_without_auth)).
    - Read only when the task changes a publication; empty otherwise, and when they could not be read (see
      RV(open_publications_unchecked)).
  returned: when O(state=absent)
  type: list
  elements: dict
  contains:
    portal:
      description: The name of the portal.
      type: str
    portal_id:
      description: The id of the portal.
      type: str
    portal_api:
      description: V(v3) for a new Dev Portal (an API publication), V(v2) for a classic portal (a product version).
      type: str
    api_or_product:
      description: The name of the API (new Dev Portal) or of the API product (classic portal).
      type: str
    version:
      description: The version of the API (V(null) when it has none) or the name of the product version.
      type: str
    auth:
      description: The names of the publication's application auth strategies, comma separated, or V(none) when it
        asks for none (the gateway lets anyone through).
      type: str
    auth_strategies:
      description: The names of the publication's application auth strategies (empty when none).
      type: list
      elements: str
    gateway_service_id:
      description: The id of the gateway service the publication shares.
      type: str
    same_service_as:
      description: The APIs (V(NAME/VERSION)) or product versions (V(PRODUCT/VERSION)) of the task behind that service.
      type: list
      elements: str
  sample:
    - portal: classic-portal
      portal_id: 0f6b2ac4-8d1c-4a0e-9f1e-2c7d5e0b9a11
      portal_api: v2
      api_or_product: orders
      version: v1
      auth: none
      auth_strategies: []
      gateway_service_id: 3c1d6f0e-5b7a-4e2f-8a9c-1d2e3f4a5b6c
      same_service_as: [orders-api/v1]
open_publications_unchecked:
  description:
    - With O(state=absent), why the other publications (RV(open_publications)) could not all be read, in a sentence
      that starts with V(could not check other publications) and gives the reason (a token without the classic API
      product permissions gets HTTP 403, for example); the task goes on all the same. V(null) when they were read.
  returned: when O(state=absent)
  type: str
  sample: null
default_changed:
  description:
    - With O(state=present), whether the run makes (in check mode, would make) the strategy the portal's default
      application auth strategy.
  returned: when O(state=present)
  type: bool
  sample: false
publishing:
  description:
    - With O(state=present), the entries of O(apis), as given, whose publication the run changes (in check mode, would
      change) to use the strategy. Developers may not see these APIs with the strategy until the change reached the portal.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [demo-api]
restored_default:
  description:
    - With O(state=absent), when the portal's default application auth strategy was the strategy removed, the name of the strategy
      made its default again (the one it had before this module made the strategy its default); V(null) when it had none, and
      when that is not known or that strategy is gone (the task then warns, and the portal is left without a default).
      In check mode, the one that would be. V(null) otherwise.
  returned: always
  type: str
  sample: key-auth
deleted_applications:
  description:
    - With O(state=absent) and O(applications_in_use=delete), the names of the applications of the portal deleted
      because they used the strategy; in check mode, those that would be. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [orders-client]
diff:
  description:
    - The managed fields that change, per object (C(dcr_provider), C(auth_strategy), C(portal), C(publication NAME),
      C(application NAME)); secrets masked.
    - With O(state=absent), C(publication NAME) shows the strategy taken out of that publication, and C(published)
      going from V(true) to V(false) when it is unpublished; C(application NAME) an application deleted.
  returned: always
  type: dict
  sample: {"before": {}, "after": {"dcr_provider": {"name": "curity", "initial_client_secret": "********"}}}
"""

from ansible_collections.devportal.dcr.plugins.module_utils._konnect_portal_dcr import main


if __name__ == "__main__":
    main()
