# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input, for each module and for the role's variables.

Wrong types, missing values, invalid URLs, unknown references, the openid scope, wrong
passwords and tokens, 401/403/404 answers, invalid redirect URIs and over-long names must
each end in a failure with a readable message, without a Python traceback, and without
changing anything: no write request at all, except where only the server can tell (a
token without the permission), where every write sent was refused.
"""

from __future__ import annotations

import os

import pytest

from harness import REPO
from reliability_helpers import (
    TRACEBACK,
    Desired,
    chain_steps,
    curity_conn,
    describe,
    failures,
    konnect_conn,
    portal_conn,
    role_env,
    role_vars,
    run_chain,
    state_writes,
)

LONG = "n" * 300
URL_PASSWORD = "Url-Pass-7d1c"  # written into a URL option: refused, and never printed


def with_credentials(url):
    return url.replace("://", "://someone:%s@" % URL_PASSWORD, 1)


def dcr_args(info, **extra):
    args = konnect_conn(info, portal=info["portal_name"], issuer=info["curity_issuer"], initial_client_id="konnect-dcr",
                        initial_client_secret="Bad-input-initial-secret-0001", verify=False)
    args.update(extra)
    return args


def token_args(info, **extra):
    args = curity_conn(info, client_id="konnect-dcr", issuer=info["curity_issuer"])
    args.update(extra)
    return args


# id: (module, args from the sandbox info, words the message must hold (any, case-insensitive), prepare)
# "prepare" runs the chain up to the Konnect DCR settings first (an existing DCR setup).
MODULE_CASES = {
    # curity_claim
    # ansible-core's own message for a list element that is not a dictionary (it does not name the option).
    "claim-claims-not-dicts": ("curity_claim", lambda i: curity_conn(i, claims=["just-a-name"]),
                               ["claims", "dictionary"], False),
    "claim-missing-password": ("curity_claim", lambda i: {k: v for k, v in curity_conn(i, name="c1").items()
                                                          if k != "admin_password"}, ["admin_password"], False),
    "claim-admin-url-not-a-url": ("curity_claim", lambda i: curity_conn(i, name="c1", admin_url="idsvr:6749/admin"),
                                  ["admin_url"], False),
    "claim-admin-url-credentials": ("curity_claim", lambda i: curity_conn(
        i, name="c1", admin_url=i["curity_admin_url"].replace("://", "://admin:pw@")), ["credentials"], False),
    "claim-wrong-admin-password": ("curity_claim", lambda i: curity_conn(i, name="c1", admin_password="Wrong-pass-123"),
                                   ["401", "password", "credentials"], False),
    "claim-unknown-value-provider": ("curity_claim", lambda i: curity_conn(i, name="c1", value_provider="no-such"),
                                     ["value provider"], False),
    "claim-unknown-claims-mapper": ("curity_claim", lambda i: curity_conn(
        i, name="c1", in_access_token=True, claims_mapper="no-such"), ["claims mapper"], False),
    "claim-timeout-zero": ("curity_claim", lambda i: curity_conn(i, name="c1", timeout=0), ["timeout"], False),
    "claim-name-and-claims": ("curity_claim", lambda i: curity_conn(i, name="c1", claims=[{"name": "c2"}]),
                              ["mutually exclusive"], False),
    "claim-unknown-option": ("curity_claim", lambda i: curity_conn(i, name="c1", colour="blue"), ["colour"], False),
    "claim-unknown-profile-404": ("curity_claim", lambda i: curity_conn(i, name="c1", profile_id="no-such-profile"),
                                  ["404", "profile"], False),
    "claim-in-use-absent": ("curity_claim", lambda i: curity_conn(i, name="email", state="absent"), ["in use"], False),
    "claim-bad-state": ("curity_claim", lambda i: curity_conn(i, name="c1", state="gone"), ["state"], False),
    # curity_scope
    "scope-unknown-claim": ("curity_scope", lambda i: curity_conn(i, name="s1", claims=["no_such_claim"]),
                            ["no_such_claim"], False),
    "scope-negative-ttl": ("curity_scope", lambda i: curity_conn(i, name="s1", time_to_live=-1), ["time_to_live"], False),
    "scope-ttl-too-large": ("curity_scope", lambda i: curity_conn(i, name="s1", time_to_live=2 ** 32),
                            ["time_to_live"], False),
    "scope-prefix-with-claims": ("curity_scope", lambda i: curity_conn(i, name="s1", is_prefix=True, claims=["email"]),
                                 ["prefix"], False),
    "scope-required-not-bool": ("curity_scope", lambda i: curity_conn(i, name="s1", required="perhaps"),
                                ["required"], False),
    "scope-item-without-name": ("curity_scope", lambda i: curity_conn(i, scopes=[{"description": "nameless"}]),
                                ["name"], False),
    "scope-ttl-not-int": ("curity_scope", lambda i: curity_conn(i, name="s1", time_to_live="one hour"),
                          ["time_to_live"], False),
    # curity_token
    "token-issuer-not-http": ("curity_token", lambda i: token_args(i, issuer="ftp://idsvr.example.com/oauth"),
                              ["issuer"], False),
    "token-unknown-scope": ("curity_token", lambda i: token_args(i, scopes=["no-such-scope"]), ["no-such-scope"], False),
    "token-bad-capability": ("curity_token", lambda i: token_args(i, dcr_capabilities=["implicit"]),
                             ["dcr_capabilities"], False),
    "token-missing-ca-path": ("curity_token", lambda i: token_args(i, ca_path="/nonexistent/ca.pem"), ["ca_path"], False),
    "token-always-without-secret": ("curity_token", lambda i: token_args(i, update_secret="always"), ["secret"], False),
    "token-verify-without-issuer": ("curity_token", lambda i: {k: v for k, v in token_args(i).items() if k != "issuer"},
                                    ["issuer"], False),
    "token-wrong-admin-password": ("curity_token", lambda i: token_args(i, admin_password="Wrong-pass-123"),
                                   ["401", "password", "credentials"], False),
    # konnect_portal_dcr
    "dcr-openid-scope": ("konnect_portal_dcr", lambda i: dcr_args(i, scopes=["openid"]), ["openid"], False),
    "dcr-wrong-token-401": ("konnect_portal_dcr", lambda i: dcr_args(i, konnect_token="kpat_" + "x" * 45),
                            ["401", "token"], False),
    "dcr-read-only-token-403": ("konnect_portal_dcr", lambda i: dcr_args(i, konnect_token=i["konnect_readonly_token"]),
                                ["403", "permission"], False),
    "dcr-konnect-url-404": ("konnect_portal_dcr", lambda i: dcr_args(i, konnect_url=i["konnect_url"] + "/no-such-prefix"),
                            ["404"], False),
    "dcr-unknown-portal": ("konnect_portal_dcr", lambda i: dcr_args(i, portal="no-such-portal"), ["no-such-portal"], False),
    "dcr-unknown-api": ("konnect_portal_dcr", lambda i: dcr_args(i, apis=["no-such-api"]), ["no-such-api"], False),
    "dcr-issuer-invalid": ("konnect_portal_dcr", lambda i: dcr_args(i, issuer="https://"), ["issuer"], False),
    "dcr-konnect-url-invalid": ("konnect_portal_dcr", lambda i: dcr_args(i, konnect_url="konnect.example.com"),
                                ["konnect_url"], False),
    "dcr-missing-initial-secret": ("konnect_portal_dcr", lambda i: {k: v for k, v in dcr_args(i).items()
                                                                    if k != "initial_client_secret"},
                                   ["initial_client_secret"], False),
    "dcr-konnect-url-credentials": ("konnect_portal_dcr", lambda i: dcr_args(i, konnect_url=with_credentials(i["konnect_url"])),
                                    ["konnect_url must not carry credentials"], False),
    "dcr-missing-ca-path": ("konnect_portal_dcr", lambda i: dcr_args(i, ca_path="/nonexistent/ca.pem"), ["ca_path"], False),
    "dcr-bad-auth-method": ("konnect_portal_dcr", lambda i: dcr_args(i, auth_methods=["magic"]), ["auth_methods"], False),
    "dcr-long-provider-name": ("konnect_portal_dcr", lambda i: dcr_args(i, provider_name=LONG), ["provider_name"], False),
    "dcr-long-initial-client-id": ("konnect_portal_dcr", lambda i: dcr_args(i, initial_client_id=LONG),
                                   ["initial_client_id"], False),
    "dcr-long-display-name": ("konnect_portal_dcr", lambda i: dcr_args(i, display_name=LONG), ["display_name"], False),
    # portal_application
    "app-wrong-developer-password": ("portal_application", lambda i: portal_conn(
        i, name="a1", developer_password="Wrong-pass-123"), ["login", "password"], False),
    "app-unknown-developer": ("portal_application", lambda i: portal_conn(i, name="a1", developer_email="nobody@example.com"),
                              ["login", "developer_email"], False),
    "app-redirect-uri-fragment": ("portal_application", lambda i: portal_conn(
        i, name="a1", redirect_uri="https://app.example.com/callback#top"), ["redirect_uri"], False),
    "app-redirect-uri-relative": ("portal_application", lambda i: portal_conn(i, name="a1", redirect_uri="/callback"),
                                  ["redirect_uri"], False),
    "app-long-name": ("portal_application", lambda i: portal_conn(i, name=LONG), ["name"], False),
    "app-long-description": ("portal_application", lambda i: portal_conn(i, name="a1", description="d" * 600),
                             ["description"], False),
    "app-credentials-folder-missing": ("portal_application", lambda i: portal_conn(
        i, name="a1", credentials_file="/dev/null/folder/a1.json"), ["credentials_file"], False),
    "app-unknown-api": ("portal_application", lambda i: portal_conn(i, name="a1", registrations=["no-such-api"]),
                        ["no-such-api"], True),
    "app-unknown-strategy": ("portal_application", lambda i: portal_conn(i, name="a1", auth_strategy="no-such-strategy"),
                             ["no-such-strategy"], True),
    "app-approve-without-token": ("portal_application", lambda i: {k: v for k, v in portal_conn(
        i, name="a1", approve_registrations=True).items() if k != "konnect_token"}, ["konnect_token"], False),
    "app-portal-url-invalid": ("portal_application", lambda i: portal_conn(i, name="a1", portal_url="ftp://portal"),
                               ["portal_url"], False),
    "app-portal-url-credentials": ("portal_application", lambda i: portal_conn(
        i, name="a1", portal_url=with_credentials(i["portal_url"])), ["portal_url must not carry credentials"], False),
    "app-konnect-url-credentials": ("portal_application", lambda i: portal_conn(
        i, name="a1", konnect_url=with_credentials(i["konnect_url"])), ["konnect_url must not carry credentials"], False),
    "app-missing-ca-path": ("portal_application", lambda i: portal_conn(i, name="a1", ca_path="/nonexistent/ca.pem"),
                            ["ca_path"], False),
    "app-bad-state": ("portal_application", lambda i: portal_conn(i, name="a1", state="archived"), ["state"], False),
}
# Cases where only the server can refuse: the write is sent and refused.
REFUSED_BY_SERVER = {"dcr-read-only-token-403"}
# Environment variables that would fill in an option a case leaves out on purpose.
FALLBACKS = ("CURITY_ADMIN_PASSWORD", "CURITY_ISSUER", "KONNECT_TOKEN")


def assert_readable(msg):
    assert isinstance(msg, str) and msg.strip(), "no message"
    assert TRACEBACK not in msg
    assert len(msg) < 1200, msg


@pytest.mark.parametrize("case", list(MODULE_CASES))
def test_module_refuses_bad_input(sandbox, runner, tmp_path, case):
    module, build, words, prepare = MODULE_CASES[case]
    info = sandbox.info
    if prepare:
        done = run_chain(runner, chain_steps(Desired(info, str(tmp_path), tag="bad"))[:4])
        assert not failures(done), failures(done)
        sandbox.clear_requests()

    set_outside = [name for name in FALLBACKS if name in os.environ]
    if set_outside:
        pytest.skip("the environment sets %s, which would fill in the options these cases leave out"
                    % ", ".join(set_outside))
    result, text = runner.module(module, build(info))

    assert result.get("failed") is True, result
    assert_readable(result.get("msg"))
    assert TRACEBACK not in text
    assert any(word.lower() in result["msg"].lower() for word in words), result["msg"]
    writes = state_writes(sandbox.requests())
    if case in REFUSED_BY_SERVER:
        assert writes and all(e["status"] >= 400 for e in writes), describe(writes)
    else:
        assert writes == [], describe(writes)
    for value in (info["curity_admin_password"], info["konnect_token"], info["developer_password"], URL_PASSWORD):
        assert value not in text
    if "credentials" in case:  # refused before any request
        assert sandbox.requests("konnect") == [] and sandbox.requests("portal") == []


# Role variables: (extra vars over a complete setup, words of the message, converge first with the chain)
ROLE_CASES = {
    "claims-not-a-list": ({"dcr_curity_claims": "application_name"}, ["dcr_curity_claims"], False),
    "scope-without-name": ({"dcr_curity_scopes": [{"description": "nameless"}]}, ["name"], False),
    # The role's checks look at the entries' shape; their modules validate the values, in the plan.
    "claim-unknown-key": ({"dcr_curity_claims": [{"name": "c", "nmae": "x"}]}, ["dcr_curity_claims[0]: unknown keys nmae"],
                          False),
    "claim-bad-value": ({"dcr_curity_claims": [{"name": "c", "required": "maybe"}]}, ["required"], False),
    "scope-bad-value": ({"dcr_curity_scopes": [{"name": "s", "time_to_live": "forever"}]}, ["time_to_live"], False),
    "bad-state": ({"dcr_curity_state": "maybe"}, ["dcr_curity_state"], False),
    "bad-update-secret": ({"dcr_curity_client_update_secret": "sometimes"}, ["dcr_curity_client_update_secret"], False),
    "konnect-openid-scope": ({"dcr_curity_konnect_scopes": ["openid"]}, ["openid"], False),
    "request-url-not-http": ({"dcr_curity_request_url": "ftp://gateway.example.com/orders"}, ["dcr_curity_request_url"],
                             False),
    "duplicate-applications": ({"dcr_curity_applications": [{"name": "twin"}, {"name": "twin"}]}, ["same name"], False),
    "regenerate-unknown-application": ({"dcr_curity_regenerate_secrets": ["no-such-app"]},
                                       ["dcr_curity_regenerate_secrets"], False),
    "exclusive-claims-empty": ({"dcr_curity_claims": [], "dcr_curity_claims_exclusive": True},
                               ["dcr_curity_claims_exclusive"], False),
    "placeholder-secret": ({"dcr_curity_client_secret": "REPLACE_WITH_VAULT_VALUE"}, ["placeholder"], False),
    "wrong-admin-password": ({"dcr_curity_admin_password": "Wrong-pass-123"}, ["401", "password", "credentials"], False),
    "wrong-konnect-token": ({"dcr_curity_konnect_token": "kpat_" + "y" * 45}, ["401"], True),
    "wrong-developer-password": ({"dcr_curity_developer_password": "Wrong-pass-123"}, ["login", "password"], True),
    "long-application-name": ({"dcr_curity_applications": [{"name": LONG}]}, ["name"], False),
    "application-redirect-uri-fragment": ({"dcr_curity_applications": [
        {"name": "frag-app", "redirect_uri": "https://app.example.com/callback#top"}]}, ["redirect_uri"], False),
}


@pytest.mark.parametrize("case", list(ROLE_CASES))
def test_role_refuses_bad_variables(sandbox, runner, tmp_path, case):
    extra, words, converge_first = ROLE_CASES[case]
    desired = Desired(sandbox.info, str(tmp_path), tag="bad")
    if converge_first:
        done = run_chain(runner, chain_steps(desired))
        assert not failures(done), failures(done)
        sandbox.clear_requests()
    variables = role_vars(desired, **extra)
    if "dcr_curity_applications" in extra:
        variables.pop("dcr_curity_request_url")

    rc, out = runner.playbook(os.path.join(REPO, "playbooks", "dcr_curity.yml"), extra_vars=variables,
                              inventory=os.path.join(REPO, "playbooks", "inventories", "sandbox"), env=role_env(sandbox))

    assert rc != 0, out[-3000:]
    assert TRACEBACK not in out
    assert any(word.lower() in out.lower() for word in words), out[-3000:]
    writes = state_writes(sandbox.requests())
    assert writes == [], describe(writes)
    for value in desired.secrets().values():
        assert value not in out
