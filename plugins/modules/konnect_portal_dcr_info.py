#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: konnect_portal_dcr_info
short_description: Read the DCR providers and application auth strategies of Kong Konnect, and where they are used
version_added: 0.2.0
description:
  - Reads the Dynamic Client Registration (DCR) providers (C(/v2/dcr-providers)) and application auth strategies
    (C(/v2/application-auth-strategies)) of a Konnect region, in the terms of M(devportal.dcr.konnect_portal_dcr), and
    which Dev Portals use each strategy as their default and which API publications (new Dev Portal) or API product
    versions (classic Dev Portal) use it.
  - Konnect never returns the initial client secret of a DCR provider, so no secret can be part of the result.
  - Request budget - one GET of each list (every page; C(page[size]=100)), DCR providers and strategies. With
    O(usage=true) also the portal lists (C(/v3/portals), C(/v2/portals)), the API publications (C(/v3/api-publications)),
    and, only when a reported strategy is used there, the APIs (C(/v3/apis)); for each classic portal its product versions
    and, when a reported strategy is used there, the API products and their versions to name them.
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - devportal.dcr.konnect
  - devportal.dcr.info
  - devportal.dcr.attributes.info_module
  - devportal.dcr.attributes.actiongroup_konnect
options:
  provider_names:
    description:
      - The names of the DCR providers to report. All when omitted.
      - Without O(strategy_names), only the strategies that use these providers are reported.
    type: list
    elements: str
    aliases: [provider_name]
  strategy_names:
    description:
      - The names of the application auth strategies to report. All when omitted (see O(provider_names)).
    type: list
    elements: str
    aliases: [strategy_name]
  usage:
    description:
      - Whether to find which portals and publications use each reported strategy (RV(auth_strategies[].default_of) and
        RV(auth_strategies[].publications)). V(false) reads only the two lists.
    type: bool
    default: true
notes:
  - The token needs read access to what is read, for example the roles Kong's DCR guide names (DCR Provider Creator,
    Portal Creator, API Publisher); a refused read fails the task naming the role.
seealso:
  - module: devportal.dcr.konnect_portal_dcr
  - module: devportal.dcr.portal_application_info
"""

EXAMPLES = r"""
- name: The Curity DCR provider and the strategies that use it
  devportal.dcr.konnect_portal_dcr_info:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    provider_name: curity
  register: dcr

- name: Which APIs of the developer portal use the strategy
  devportal.dcr.konnect_portal_dcr_info:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    strategy_name: curity
    query: "auth_strategies[0].publications[?portal=='developer-portal'].api"
  register: published_with_dcr

- name: Only the issuers, without the usage lookups
  devportal.dcr.konnect_portal_dcr_info:
    konnect_url: https://eu.api.konghq.com
    konnect_token: "{{ vault_konnect_token }}"
    usage: false
    query: "dcr_providers[].issuer"
  register: issuers
"""

RETURN = r"""
dcr_providers:
  description: The DCR providers, with the keys the C(dcr_provider) part of the diff of M(devportal.dcr.konnect_portal_dcr) has.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the provider.
      type: str
      sample: 93f8380e-7798-4566-99e3-2edf2b57d289
    name:
      description: Name of the provider.
      type: str
      sample: curity
    provider_type:
      description: Type of the provider, for example V(curity).
      type: str
      sample: curity
    issuer:
      description: The issuer, without the discovery suffix or a trailing slash.
      type: str
      sample: https://idsvr.example.com/oauth/v2/oauth-anonymous
    initial_client_id:
      description: The initial client id (V(null) for providers that have none).
      type: str
      sample: konnect-dcr
    labels:
      description: Labels of the provider.
      type: dict
      sample: {}
auth_strategies:
  description: The application auth strategies, with the keys the C(auth_strategy) part of the diff of M(devportal.dcr.konnect_portal_dcr) has.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the strategy.
      type: str
      sample: 22f8380e-7798-4566-99e3-2edf2b57d289
    name:
      description: Name of the strategy.
      type: str
      sample: curity
    display_name:
      description: Name developers see.
      type: str
      sample: Curity client credentials
    strategy_type:
      description: V(openid_connect) or V(key_auth).
      type: str
      sample: openid_connect
    dcr_provider:
      description: Name of the DCR provider the strategy uses (V(null) when none).
      type: str
      sample: curity
    configs:
      description:
        - The strategy's settings, under C(openid-connect) (issuer without the discovery suffix) or C(key-auth).
        - The value of a setting whose name contains C(secret), C(password) or C(private_key) is masked.
      type: dict
      sample: {"openid-connect": {"issuer": "https://idsvr.example.com/oauth/v2/oauth-anonymous", "credential_claim": ["sub"],
               "scopes": [], "auth_methods": ["client_credentials", "bearer"]}}
    labels:
      description: Labels of the strategy.
      type: dict
      sample: {}
    default_of:
      description: The portals whose default application auth strategy it is (only with O(usage=true)).
      type: list
      elements: dict
      sample: [{"portal": "developer-portal", "portal_id": "f32d905a-ed33-46a3-a093-d8f536af9a8a", "portal_api": "v3"}]
    publications:
      description:
        - What is published with the strategy (only with O(usage=true)); C(api) is V(NAME/VERSION) of the API (new Dev
          Portal) or V(PRODUCT/VERSION) of the API product version (classic Dev Portal).
      type: list
      elements: dict
      sample: [{"portal": "developer-portal", "portal_id": "f32d905a-ed33-46a3-a093-d8f536af9a8a", "portal_api": "v3",
                "api": "orders-api/v1", "api_id": "9f0e1a2b-7798-4566-99e3-2edf2b57d289"}]
missing:
  description: The names of O(provider_names) and O(strategy_names) that do not exist.
  returned: always
  type: dict
  sample: {"dcr_providers": [], "auth_strategies": ["curity-old"]}
query_result:
  description: The answer of O(query) on the result.
  returned: when O(query) is set
  type: raw
  sample: ["orders-api/v1"]
"""

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils import _http
from ansible_collections.devportal.dcr.plugins.module_utils._info import Query, info_argument_spec, select
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    KonnectAdmin,
    KonnectError,
    api_label,
    konnect_argument_spec,
    masked_settings,
    provider_view,
    publication_strategy_ids,
    strategy_view,
)


def argument_spec():
    spec = konnect_argument_spec()
    spec.update(
        provider_names=dict(type="list", elements="str", aliases=["provider_name"]),
        strategy_names=dict(type="list", elements="str", aliases=["strategy_name"]),
        usage=dict(type="bool", default=True),
    )
    spec.update(info_argument_spec())
    return spec


def provider_result(provider):
    out = dict(id=provider.get("id"), provider_type=provider.get("provider_type"))
    out.update(provider_view(provider))
    return out


def strategy_result(strategy):
    out = dict(id=strategy.get("id"), strategy_type=strategy.get("strategy_type"))
    out.update(strategy_view(strategy))
    if strategy.get("strategy_type") == "key_auth":
        out["configs"] = strategy.get("configs") or {}
    out["configs"] = masked_settings(out["configs"])
    return out


def portals(admin):
    """``[(generation, portal)]`` of both generations; an organisation without classic portals may refuse that list."""
    found = [("v3", p) for p in admin.list_all("/v3/portals")]
    try:
        found += [("v2", p) for p in admin.list_all("/v2/portals")]
    except _http.HttpError as exc:
        if exc.status not in (403, 404):
            raise
    return found


def add_usage(admin, strategies):
    """Fill ``default_of`` and ``publications`` of each strategy result."""
    by_id = dict((s["id"], s) for s in strategies)
    for strategy in strategies:
        strategy.update(default_of=[], publications=[])
    if not by_id:
        return
    known = portals(admin)
    names = dict((p.get("id"), p.get("name")) for _gen, p in known)
    for generation, portal in known:
        strategy = by_id.get(portal.get("default_application_auth_strategy_id"))
        if strategy is not None:
            strategy["default_of"].append({"portal": portal.get("name"), "portal_id": portal.get("id"),
                                           "portal_api": generation})
    used = [p for p in admin.list_all("/v3/api-publications")
            if set(publication_strategy_ids(p) or []) & set(by_id)]
    labels = dict((api.get("id"), api_label(api)) for api in admin.list_all("/v3/apis")) if used else {}
    for publication in used:
        for strategy_id in publication_strategy_ids(publication):
            if strategy_id in by_id:
                by_id[strategy_id]["publications"].append({
                    "portal": names.get(publication.get("portal_id")), "portal_id": publication.get("portal_id"),
                    "portal_api": "v3", "api": labels.get(publication.get("api_id"), publication.get("api_id")),
                    "api_id": publication.get("api_id")})
    for generation, portal in known:
        if generation != "v2":
            continue
        versions = [v for v in admin.list_all("/v2/portals/%s/product-versions" % portal["id"])
                    if set(publication_strategy_ids(v) or []) & set(by_id)]
        version_labels = admin.product_version_labels(portal["id"]) if versions else {}
        for version in versions:
            for strategy_id in publication_strategy_ids(version):
                if strategy_id in by_id:
                    version_id = version.get("product_version_id")
                    by_id[strategy_id]["publications"].append({
                        "portal": portal.get("name"), "portal_id": portal["id"], "portal_api": "v2",
                        "api": version_labels.get(version_id, version_id), "api_id": version_id})
    for strategy in strategies:
        strategy["publications"].sort(key=lambda p: (str(p["portal"]), str(p["api"])))


def run(module):
    params = module.params
    admin = KonnectAdmin.from_module(module)
    providers = select(admin.list_all("/v2/dcr-providers"), params["provider_names"])
    strategies = admin.list_all("/v2/application-auth-strategies")
    if params["strategy_names"] is not None:
        strategies = select(strategies, params["strategy_names"])
    elif params["provider_names"] is not None:
        ids = set(p.get("id") for p in providers)
        strategies = [s for s in strategies if (s.get("dcr_provider") or {}).get("id") in ids]
    results = [strategy_result(s) for s in strategies]
    if params["usage"]:
        add_usage(admin, results)
    missing = {
        "dcr_providers": sorted(set(params["provider_names"] or []) - set(p.get("name") for p in providers)),
        "auth_strategies": sorted(set(params["strategy_names"] or []) - set(s.get("name") for s in strategies)),
    }
    return dict(dcr_providers=[provider_result(p) for p in providers], auth_strategies=results, missing=missing)


def main():
    module = DcrModule(argument_spec=argument_spec(), supports_check_mode=True)
    _http.ensure_requests(module)
    query = Query(module)
    try:
        result = run(module)
    except (KonnectError, _http.HttpError, _http.TransportError) as exc:
        module.fail_json(msg=str(exc))
    query.exit(**result)


if __name__ == "__main__":
    main()
