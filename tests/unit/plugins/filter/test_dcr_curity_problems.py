# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dcr_curity role's checks of its variables (the filter the role runs before any module)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.devportal.dcr.plugins.filter.dcr_curity_problems import FilterModule, dcr_curity_problems

# The role's defaults, with the connection settings given: every check passes.
GOOD = {
    "dcr_curity__active": ["curity", "konnect", "application", "verify"],
    "dcr_curity__placeholder_marker": "REPLACE_WITH_VAULT_VALUE",
    "dcr_curity__auth_methods": ["client_credentials", "bearer", "session"],
    "dcr_curity_state": "present", "dcr_curity_preflight": True,
    "dcr_curity_admin_url": "https://idsvr.example.com:6749/admin", "dcr_curity_admin_password": "Admin-pass-1",
    "dcr_curity_konnect_token": "kpat_x", "dcr_curity_portal_url": "https://portal.example.com",
    "dcr_curity_developer_email": "dev@example.com", "dcr_curity_developer_password": "Dev-pass-1",
    "dcr_curity_portal": "My Portal", "dcr_curity_claims": [], "dcr_curity_claims_exclusive": False,
    "dcr_curity_scopes": [], "dcr_curity_scopes_exclusive": False, "dcr_curity_client_id": "konnect-dcr",
    "dcr_curity_client_update_secret": "on_create", "dcr_curity_konnect_scopes": [], "dcr_curity_konnect_claims": ["sub"],
    "dcr_curity_applications": [{"name": "my-app", "redirect_uri": "https://app.example.com/callback"}],
    "dcr_curity_regenerate_secrets": [], "dcr_curity_request_url": "", "dcr_curity_request_application": "",
    "dcr_curity_request_status_code": [200],
}


def problems(**changes):
    return dcr_curity_problems(dict(GOOD, **changes))


def test_the_defaults_with_connections_pass():
    assert problems() == []
    assert FilterModule().filters()["dcr_curity_problems"] is dcr_curity_problems


def test_connections_may_come_from_the_environment(monkeypatch):
    unset = dict.fromkeys(("dcr_curity_admin_url", "dcr_curity_admin_password"))
    assert any(p.startswith("Curity's admin API is not configured") for p in problems(**unset))
    monkeypatch.setenv("CURITY_ADMIN_URL", "https://idsvr.example.com:6749/admin")
    monkeypatch.setenv("CURITY_ADMIN_PASSWORD", "from-env")
    assert problems(**unset) == []
    assert problems(dcr_curity_preflight=False, dcr_curity_konnect_token=None) == []


def test_the_vault_secret_store_needs_an_address_and_a_login_from_variables_or_the_environment(monkeypatch):
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_ROLE_ID", "ANSIBLE_HASHI_VAULT_ROLE_ID"):
        monkeypatch.delenv(name, raising=False)
    missing = "The Vault secret store (dcr_curity_secret_store: vault) is not configured"
    assert any(p.startswith(missing) for p in problems(dcr_curity_secret_store="vault"))
    assert problems(dcr_curity_secret_store="file") == []
    assert problems(dcr_curity_secret_store="vault", dcr_curity_secret_store_url="https://vault.example.com:8200",
                    dcr_curity_secret_store_role_id="role") == []
    monkeypatch.setenv("VAULT_ADDR", "https://vault.example.com:8200")
    assert any(p.startswith(missing) for p in problems(dcr_curity_secret_store="vault"))
    monkeypatch.setenv("VAULT_TOKEN", "from-env")
    assert problems(dcr_curity_secret_store="vault") == []
    monkeypatch.delenv("VAULT_TOKEN")
    assert problems(dcr_curity_secret_store="vault", dcr_curity_preflight=False) == []


@pytest.mark.parametrize("changes, message", [
    ({"dcr_curity_portal": None}, "dcr_curity_portal must name the Dev Portal"),
    ({"dcr_curity_applications": [{"name": "twin"}, {"name": "twin"}]}, "two applications with the same name"),
    ({"dcr_curity_claims_exclusive": True}, "dcr_curity_claims_exclusive is true with an empty dcr_curity_claims"),
    ({"dcr_curity_konnect_scopes": ["openid"]}, 'dcr_curity_konnect_scopes holds "openid"'),
    ({"dcr_curity_client_update_secret": "always"}, "dcr_curity_client_update_secret=always writes"),
    ({"dcr_curity_request_url": "ftp://gw.example.com/x"}, "dcr_curity_request_url must be an http://"),
    ({"dcr_curity_request_url": "https://user:Url-Secret@gw.example.com/x"}, "without a user name or password"),
    ({"dcr_curity_request_url": "https://:p%40ss@gw.example.com"}, "without a user name or password"),
    ({"dcr_curity_regenerate_secrets": ["other"]}, "dcr_curity_regenerate_secrets names applications"),
    ({"dcr_curity_client_secret": "x-REPLACE_WITH_VAULT_VALUE"}, "placeholder (REPLACE_WITH_VAULT_VALUE); put the real "
                                                                 "value in the vault (dcr_curity_client_secret)"),
    ({"dcr_curity_client_id": " padded"}, "dcr_curity_client_id must be at most 256 characters long"),
    ({"dcr_curity_display_name": "d" * 257}, "dcr_curity_display_name must be at most 256"),
    ({"dcr_curity_konnect_claims": ["sub"] * 11}, "dcr_curity_konnect_claims may hold at most 10"),
    ({"dcr_curity_auth_methods": ["magic"]}, "dcr_curity_auth_methods must list 1 to 10 of client_credentials"),
    ({"dcr_curity_labels": {"konnect-team": "a", "env": "-bad", "ok": 1}},
     "dcr_curity_labels: konnect-team, ok, env break Konnect's label rules"),
    ({"dcr_curity_oidc_config": {"scopes": ["x"]}}, "dcr_curity_oidc_config must be a dictionary without issuer"),
    ({"dcr_curity_issuer": "idsvr.example.com/oauth"}, "dcr_curity_issuer must be an absolute"),
    ({"dcr_curity_konnect_url": "https://eu.api.konghq.com/v2/"}, "dcr_curity_konnect_url must be the region's base URL"),
    ({"dcr_curity_portal_url": "https://portal.example.com/?x=1"}, "dcr_curity_portal_url must be an absolute"),
    ({"dcr_curity_timeout": 0}, "dcr_curity_timeout and dcr_curity_konnect_timeout must be at least 1 second"),
    ({"dcr_curity_scopes": [{"name": "s"}, {"name": "s"}]}, "dcr_curity_scopes lists a scope name twice"),
    ({"dcr_curity_scopes": [{"name": "a", "time_to_live": -1}, {"name": "b", "time_to_live": 4294967296}]},
     "time_to_live must be between 0 and 4294967295 seconds (scopes a, b)"),
    ({"dcr_curity_scopes": [{"name": "p", "is_prefix": True, "claims": ["email"]}]},
     "a prefix scope (is_prefix) cannot carry claims (scopes p)"),
])
def test_each_rule_names_its_variable(changes, message):
    found = problems(**changes)
    assert any(message in p for p in found), found


@pytest.mark.parametrize("app, message", [
    ({"name": "n" * 256}, "dcr_curity_applications[0]: name must be 1 to 255 characters long (Konnect's limit), got 256."),
    ({"name": "a", "description": "d" * 256}, "dcr_curity_applications[1] (a): description must be at most 255"),
    ({"name": "a", "redirect_uri": "https://app.example.com/cb#top"}, "(a): redirect_uri must be an absolute URI"),
    ({"name": "a", "redirect_uri": "https:///cb"}, "(a): redirect_uri must be an absolute URI"),
    ({"name": "a", "registrations": "api"}, "(a): registrations must be a list of API names"),
    ({"name": "a", "registrations": [" "]}, "(a): registrations must be a list of API names"),
    ({"name": "a", "auth_strategy": ["x"]}, "(a): auth_strategy must be a string"),
])
def test_applications_are_checked_entry_by_entry(app, message):
    found = problems(dcr_curity_applications=[{"name": "fine"}, app] if app["name"] != "n" * 256 else [app])
    assert any(message in p for p in found), found


def test_valid_unusual_values_pass():
    assert problems(dcr_curity_applications=[
        {"name": "native", "redirect_uri": "http://127.0.0.1:8765/cb"},
        {"name": "mobile", "redirect_uri": "com.example.app:/callback", "registrations": ["orders/v1"]}],
        dcr_curity_labels={"env": "prod"}, dcr_curity_issuer="https://idsvr.example.com/oauth/v2/oauth-anonymous/",
        dcr_curity_scopes=[{"name": "s", "time_to_live": 0}, {"name": "p", "is_prefix": True}]) == []


def test_a_teardown_skips_the_rules_of_what_it_does_not_send():
    assert problems(dcr_curity_state="absent", dcr_curity_client_update_secret="always",
                    dcr_curity_applications=[{"name": "a", "redirect_uri": "bad#uri"}]) == []


def test_anything_but_a_dictionary_is_refused():
    with pytest.raises(AnsibleFilterError):
        dcr_curity_problems(["not", "a", "dict"])


# dcr_curity_claims and dcr_curity_scopes are not in the role's argument spec: the filter checks their shape.
@pytest.mark.parametrize("changes, expected", [
    ({"dcr_curity_claims": "application_name"},
     ["dcr_curity_claims must be a list of dictionaries (the entries of devportal.dcr.curity_claim's claims option), "
      "got a string."]),
    ({"dcr_curity_scopes": None},
     ["dcr_curity_scopes must be a list of dictionaries (the entries of devportal.dcr.curity_scope's scopes option), "
      "got nothing (null)."]),
    ({"dcr_curity_claims": [{"name": "ok"}, "loose"]}, ["dcr_curity_claims[1] must be a dictionary, got a string."]),
    ({"dcr_curity_scopes": [{"description": "nameless"}]}, ["dcr_curity_scopes[0]: name is required (a non-empty string)."]),
    ({"dcr_curity_claims": [{"name": " "}]}, ["dcr_curity_claims[0]: name is required (a non-empty string)."]),
    ({"dcr_curity_claims": [{"name": "c", "nmae": "x", "in_token": True}]},
     ["dcr_curity_claims[0]: unknown keys in_token, nmae; the keys of an entry are name, description, value_provider, "
      "attribute, required, expose_in_metadata, claims_mapper, in_access_token, in_id_token, in_userinfo."]),
])
def test_the_shape_of_claims_and_scopes_is_checked(changes, expected):
    assert problems(**changes) == expected


def test_many_bad_entries_are_summed_up_after_the_first_ones():
    found = problems(dcr_curity_claims=[{"description": "nameless %d" % i} for i in range(12)])
    assert found[:5] == ["dcr_curity_claims[%d]: name is required (a non-empty string)." % i for i in range(5)]
    assert found[5:] == ["dcr_curity_claims: 7 more problems like these."]


def test_good_claims_and_scopes_with_every_key_pass():
    from ansible_collections.devportal.dcr.plugins.filter.dcr_curity_problems import CLAIM_KEYS, SCOPE_KEYS
    claim = dict((key, "x") for key in CLAIM_KEYS)
    scope = dict((key, None) for key in SCOPE_KEYS)
    assert problems(dcr_curity_claims=[claim], dcr_curity_scopes=[dict(scope, name="s")]) == []


def test_the_entry_keys_are_those_of_the_modules():
    # The filter accepts exactly the entries the claims and scopes modules accept (they validate the values).
    from ansible_collections.devportal.dcr.plugins.filter.dcr_curity_problems import CLAIM_KEYS, SCOPE_KEYS
    from ansible_collections.devportal.dcr.plugins.module_utils import _curity_claim, _curity_scope
    assert set(CLAIM_KEYS) == set(_curity_claim.CLAIM_OPTIONS) | {"name", "claims_mapper"}
    assert set(SCOPE_KEYS) == set(_curity_scope.SCOPE_OPTIONS) | {"name"}
