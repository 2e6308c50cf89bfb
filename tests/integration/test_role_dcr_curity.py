# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dcr_curity role and the example playbooks, run with ansible-playbook against the sandbox.

The playbooks use the sandbox inventory (playbooks/inventories/sandbox), which reads the sandbox's
info file from DCR_SANDBOX_INFO.  Outcomes are checked independently of the modules: through the
sandbox's request log, Konnect's admin API, Curity's RESTCONF API and the gateway.

Every test here runs with the gateway as it is in front of a real Konnect: what Konnect changes reaches it
after a delay (configuration push), and it keeps accepting a client's credentials for a while after they
were revoked (credential cache); see ``tests/sandbox/gateway_push.py``.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import requests

from harness import REPO
from konnect_helpers import admin_get, admin_send

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Requests that write no configuration: developer sessions, token requests (the modules' and
# Konnect's checks of the DCR credential, the gateway's check of a client) and Konnect's provider
# verification.
HARMLESS = re.compile(r"(/developer/(authenticate|logout|refresh)|/oauth/v2/oauth-token|^/v2/dcr-providers/[^/]+/verify)$")
RECAP = re.compile(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+"
                   r"skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


# ----------------------------------------------------------------------------- support
def config_writes(sandbox):
    """Requests of the sandbox's log that change configuration or applications."""
    return ["%s %s %s" % (e["service"], e["method"], e["path"]) for e in sandbox.requests()
            if e["method"] in WRITES and e["service"] != "gateway" and not HARMLESS.search(e["path"])]


def recap(output):
    found = RECAP.findall(output)
    assert found, "no play recap in:\n" + output[-3000:]
    ok, changed, unreachable, failed, skipped, rescued, ignored = (int(n) for n in found[-1])
    return dict(ok=ok, changed=changed, unreachable=unreachable, failed=failed, skipped=skipped, rescued=rescued,
                ignored=ignored)


STEP = re.compile(r'"((?:Curity|Konnect|Dev Portal)[^"]*?\((?:curity|konnect|portal)_\w+\)): ([a-z][a-z ]*[a-z])')
REQUEST = re.compile(r'"Request through the gateway: Gateway answered (\d+) to GET ')


def steps(output):
    """{step title: verdict} from the role's summary ("unchanged", "changed", "changes (check mode)")."""
    return dict(STEP.findall(output))


def changed_steps(output):
    return sorted(title for title, verdict in steps(output).items() if verdict != "unchanged")


def credentials_path(sandbox, app="demo-app"):
    return os.path.join(os.path.dirname(sandbox.info_file), "%s.credentials.json" % app)


def read_credentials(sandbox, app="demo-app"):
    with open(credentials_path(sandbox, app), encoding="utf-8") as handle:
        return json.load(handle)


# The gateway's delays in this suite (seconds): Konnect's configuration push, the credential cache.
CONFIG_DELAY = 1.0
CREDENTIAL_CACHE = 2.0


@pytest.fixture(autouse=True)
def gateway_as_in_front_of_konnect(sandbox):
    sandbox.gateway_delays(config_delay_s=CONFIG_DELAY, credential_cache_s=CREDENTIAL_CACHE)


def gateway(sandbox, auth=None):
    info = sandbox.info
    return requests.get(info["gateway_url"] + info["route_path"], auth=auth, timeout=30,
                        verify=info.get("ca_path") or True)


def gateway_settles(sandbox, auth=None, status=None, within=CONFIG_DELAY + CREDENTIAL_CACHE + 5):
    """The gateway's answer once it stays ``status`` (polled for ``within`` seconds: the push delay and the cache)."""
    deadline = time.monotonic() + within
    while True:
        answer = gateway(sandbox, auth).status_code
        if answer == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def konnect(sandbox, path):
    info = sandbox.info
    resp = requests.get(info["konnect_url"] + path, headers={"Authorization": "Bearer " + info["konnect_token"]},
                        timeout=30, verify=info.get("ca_path") or True)
    resp.raise_for_status()
    return resp.json()


def curity(sandbox, path):
    """GET below the authorization server of the sandbox's profile; None when it does not exist."""
    info = sandbox.info
    url = "%s/data/base:profiles/profile=%s,oauth-service/settings/profile-oauth:authorization-server%s" % (
        info["curity_admin_url"], info["curity_profile_id"], path)
    resp = requests.get(url, auth=(info["curity_admin_username"], info["curity_admin_password"]),
                        headers={"Accept": "application/yang-data+json"}, timeout=30,
                        verify=info.get("ca_path") or True)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return resp.json()


def assert_ok(rc, output):
    assert rc == 0, output[-6000:]


# ----------------------------------------------------------------------------- tests
ALL_STEPS = ["Curity DCR credential and DCR settings (curity_token)", "Curity claims (curity_claim)",
             "Curity scopes (curity_scope)", "Dev Portal application demo-app (portal_application)",
             "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"]


def test_check_mode_on_an_empty_sandbox_writes_nothing_and_predicts_the_real_run(play, sandbox):
    rc, checked = play(check=True, diff=True)
    assert_ok(rc, checked)
    assert config_writes(sandbox) == []
    assert recap(checked)["changed"] == 1
    assert changed_steps(checked) == ALL_STEPS, checked
    assert "waits for the auth strategy this run creates" in checked
    assert '"initial_client_secret": "********"' in checked  # the diff of the Konnect phase, secret masked
    assert "planned-secret-never-sent" not in checked
    assert curity(sandbox, "/client-store/config-backed/client=konnect-dcr") is None
    assert konnect(sandbox, "/v2/dcr-providers")["data"] == []
    assert not os.path.exists(credentials_path(sandbox))

    sandbox.clear_requests()
    rc, applied = play()
    assert_ok(rc, applied)
    assert recap(applied)["changed"] == 1
    assert changed_steps(applied) == ALL_STEPS
    assert set(steps(applied).values()) == {"changed"}
    assert config_writes(sandbox)


def test_converge_is_idempotent_and_the_gateway_accepts_the_application(play, sandbox):
    rc, output = play()
    assert_ok(rc, output)
    assert changed_steps(output) == ALL_STEPS
    assert REQUEST.findall(output) == ["200"], output

    # Independent checks: Curity, Konnect and the gateway.
    client = curity(sandbox, "/client-store/config-backed/client=konnect-dcr")["profile-oauth:client"][0]
    assert "client-credentials" in client["capabilities"]
    dcr = curity(sandbox, "/dynamic-client-registration")["profile-oauth:dynamic-client-registration"]
    assert "konnect-dcr" in dcr["non-templatized"]["authenticate-client-by"]
    scope = curity(sandbox, "/scopes/scope=demo-api")["profile-oauth:scope"][0]
    assert scope["claims"] == ["application_name"]
    providers = konnect(sandbox, "/v2/dcr-providers")["data"]
    assert [(p["provider_type"], p["dcr_config"]["initial_client_id"]) for p in providers] == [("curity", "konnect-dcr")]
    portal = konnect(sandbox, "/v3/portals/%s" % sandbox.info["portal_id"])
    strategy = konnect(sandbox, "/v2/application-auth-strategies/%s" % portal["default_application_auth_strategy_id"])
    assert strategy["dcr_provider"]["id"] == providers[0]["id"]
    credentials = read_credentials(sandbox)
    assert oct(os.stat(credentials_path(sandbox)).st_mode & 0o777) == "0o600"
    assert credentials["client_id"] in output  # the client id is shown ...
    assert credentials["client_secret"] not in output  # ... the secret never
    # The gateway sees Konnect's changes after the push delay: once it has them, the application's credentials
    # pass, and a wrong secret or none are refused.
    assert gateway_settles(sandbox, None, 401) == 401
    assert gateway_settles(sandbox, (credentials["client_id"], credentials["client_secret"]), 200) == 200
    assert gateway(sandbox, (credentials["client_id"], "wrong-secret")).status_code == 401
    assert gateway(sandbox).status_code == 401

    # Second run: nothing changes, nothing is written, and the request still succeeds (credentials file).
    sandbox.clear_requests()
    rc, again = play()
    assert_ok(rc, again)
    assert recap(again)["changed"] == 0, again
    assert set(steps(again).values()) == {"unchanged"}
    assert config_writes(sandbox) == []
    assert REQUEST.findall(again) == ["200"], again
    # The Konnect provider is verified on a no-op run too (drift of the DCR credential's secret).
    assert any(e["path"].endswith("/verify") for e in sandbox.requests())

    # Check mode on the converged sandbox predicts no change either.
    sandbox.clear_requests()
    rc, checked = play(check=True, diff=True)
    assert_ok(rc, checked)
    assert recap(checked)["changed"] == 0, checked
    assert config_writes(sandbox) == []


def test_an_application_konnect_refuses_right_after_the_set_up_is_created_once(play, sandbox):
    # Konnect is eventually consistent: right after the strategy was set up, the portal refuses the application twice.
    sandbox.fault(service="portal", method="POST", path_regex="^/api/v3/applications$", status=404, count=2)
    rc, output = play()
    assert_ok(rc, output)
    assert REQUEST.findall(output) == ["200"], output
    names = [a["name"] for a in konnect(sandbox, "/v3/portals/%s/applications" % sandbox.info["portal_id"])["data"]]
    assert names == ["demo-app"]
    assert [e["status"] for e in sandbox.requests("portal", ("POST",)) if e["path"] == "/api/v3/applications"] == \
        [404, 404, 201]


def test_secrets_never_appear_in_verbose_diff_output(play, sandbox, tmp_path):
    info = sandbox.info
    dcr_secret = "Dcr-Secret-%s" % os.urandom(12).hex()
    outputs = []
    for check in (True, False):
        rc, output = play(check=check, diff=True, verbosity=4, extra_vars={"dcr_curity_client_secret": dcr_secret})
        assert_ok(rc, output)
        outputs.append(output)
    app_secret = read_credentials(sandbox)["client_secret"]
    # A failing run too: a wrong developer password (unique, so any echo of it is found).
    wrong_password = "Wrong-Password-%s" % os.urandom(12).hex()
    rc, failed = play(diff=True, verbosity=4, tags="application",
                      extra_vars={"dcr_curity_developer_password": wrong_password})
    assert rc != 0 and "Dev Portal application demo-app (portal_application) failed while planning" in failed, \
        failed[-4000:]
    outputs.append(failed)
    secrets = {"Curity admin password": info["curity_admin_password"], "Konnect token": info["konnect_token"],
               "developer password": info["developer_password"], "DCR client secret": dcr_secret,
               "application client secret": app_secret, "wrong developer password": wrong_password}
    for output in outputs:
        for what, value in secrets.items():
            assert value not in output, "the %s appears in the output" % what


def test_bad_input_fails_before_any_request(play, sandbox):
    cases = [
        ({"dcr_curity_applications": [{"name": "twice"}, {"name": "twice"}]}, "two applications with the same name"),
        ({"dcr_curity_applications": "demo-app"}, "dcr_curity_applications"),
        ({"dcr_curity_scopes_exclusive": True, "dcr_curity_scopes": []}, "would remove every"),
        ({"dcr_curity_konnect_scopes": ["openid"]}, "prevents the client credentials flow"),
        ({"dcr_curity_client_update_secret": "always"}, "needs dcr_curity_client_secret"),
        ({"dcr_curity_request_application": "unknown-app"}, "dcr_curity_request_application must be"),
        ({"dcr_curity_admin_password": "REPLACE_WITH_VAULT_VALUE"}, "dcr_curity_admin_password"),
    ]
    for extra_vars, words in cases:
        sandbox.clear_requests()
        rc, output = play(extra_vars=extra_vars)
        assert rc != 0, extra_vars
        assert words in output, (extra_vars, output[-3000:])
        assert sandbox.requests() == [], extra_vars


# Names Curity does not have: found by the DCR credential's plan (reads), before anything is written anywhere.
UNKNOWN_NAMES = {
    "service role": ({"dcr_curity_dcr_service_roles": ["no-such-role"]}, "dcr_service_roles names service roles"),
    "signing key": ({"dcr_curity_userinfo_signing_key": "no-such-key"}, "userinfo_signing_key names a signing key"),
    "verification keystore": ({"dcr_curity_userinfo_verification_keystore": "no-such-keystore"},
                              "userinfo_verification_keystore names a signature verification key"),
    "token issuer data source": ({"dcr_curity_userinfo_data_source": "no-such-source"},
                                 "userinfo_data_source names a data source"),
    "client data source": ({"dcr_curity_dcr_client_data_source": "no-such-source"},
                           "dcr_client_data_source names a data source"),
}


@pytest.mark.parametrize("case", list(UNKNOWN_NAMES))
def test_a_name_curity_does_not_have_fails_in_the_plan_with_zero_writes_anywhere(play, sandbox, case):
    extra_vars, words = UNKNOWN_NAMES[case]
    rc, output = play(extra_vars=extra_vars)
    assert rc != 0 and words in output, output[-3000:]
    assert "while planning (reads only)" in output and "Nothing was written to Curity or Konnect" in output
    assert config_writes(sandbox) == [] and sandbox.requests("gateway") == []
    assert "Traceback" not in output


def app(**extra):
    """The sandbox inventory's application (the verification request uses it by name), changed."""
    return dict({"name": "demo-app"}, **extra)


# Values the modules (or Konnect) would refuse only after the Curity and Konnect phases wrote.
LIMIT_CASES = {
    "long application name": ({"dcr_curity_applications": [app(name="n" * 256)],
                               "dcr_curity_request_url": ""},
                              "dcr_curity_applications[0]: name must be 1 to 255 characters long"),
    "long application description": ({"dcr_curity_applications": [app(description="d" * 256)]},
                                     "dcr_curity_applications[0] (demo-app): description must be at most 255"),
    "redirect uri with a fragment": ({"dcr_curity_applications": [app(redirect_uri="https://app.example.com/cb#top")]},
                                     "(demo-app): redirect_uri must be an absolute URI without a fragment"),
    "relative redirect uri": ({"dcr_curity_applications": [app(redirect_uri="/callback")]},
                              "redirect_uri must be an absolute URI"),
    "redirect uri without host": ({"dcr_curity_applications": [app(redirect_uri="https:///callback")]},
                                  "redirect_uri must be an absolute URI"),
    "registrations not a list": ({"dcr_curity_applications": [app(registrations="demo-api")]},
                                 "registrations must be a list of API names"),
    "registrations of dicts": ({"dcr_curity_applications": [app(registrations=[{"name": "demo-api"}])]},
                               "registrations must be a list of API names"),
    "second entry bad": ({"dcr_curity_applications": [app(), {"name": "other", "redirect_uri": "x#y"}]},
                         "dcr_curity_applications[1] (other): redirect_uri"),
    "long provider name": ({"dcr_curity_provider_name": "p" * 257}, "dcr_curity_provider_name must be at most 256"),
    "long display name": ({"dcr_curity_display_name": "d" * 257}, "dcr_curity_display_name must be at most 256"),
    "long client id": ({"dcr_curity_client_id": "c" * 257}, "dcr_curity_client_id must be at most 256"),
    "long client secret": ({"dcr_curity_client_secret": "Long-secret-" + "s" * 250},
                           "dcr_curity_client_secret must be at most 256"),
    "too many konnect claims": ({"dcr_curity_konnect_claims": ["sub"] * 11}, "dcr_curity_konnect_claims may hold"),
    "long konnect scope": ({"dcr_curity_konnect_scopes": ["s" * 129]}, "dcr_curity_konnect_scopes may hold"),
    "unknown auth method": ({"dcr_curity_auth_methods": ["magic"]}, "dcr_curity_auth_methods must list"),
    "reserved label": ({"dcr_curity_labels": {"konnect-team": "a", "env": "-bad"}},
                       "dcr_curity_labels: konnect-team, env break Konnect's label rules"),
    "oidc config sets the issuer": ({"dcr_curity_oidc_config": {"issuer": "https://other.example"}},
                                    "dcr_curity_oidc_config must be a dictionary without issuer"),
    "issuer not a url": ({"dcr_curity_issuer": "idsvr.example.com/oauth"}, "dcr_curity_issuer must be an absolute"),
    "konnect url with version": ({"dcr_curity_konnect_url": "https://eu.api.konghq.com/v2"},
                                 "dcr_curity_konnect_url must be the region's base URL"),
    "portal url not http": ({"dcr_curity_portal_url": "ftp://portal.example.com"},
                            "dcr_curity_portal_url must be an absolute"),
    "negative scope lifetime": ({"dcr_curity_scopes": [{"name": "s1", "time_to_live": -1}]},
                                "time_to_live must be between 0 and 4294967295 seconds (scopes s1)"),
    "prefix scope with claims": ({"dcr_curity_scopes": [{"name": "p1", "is_prefix": True, "claims": ["email"]}]},
                                 "a prefix scope (is_prefix) cannot carry claims (scopes p1)"),
}


@pytest.mark.parametrize("case", list(LIMIT_CASES))
def test_values_the_modules_would_refuse_later_fail_before_any_request(play, sandbox, case):
    extra_vars, words = LIMIT_CASES[case]
    rc, output = play(extra_vars=extra_vars)
    assert rc != 0, output[-3000:]
    assert words in output, output[-3000:]
    assert "Traceback" not in output
    assert sandbox.requests() == []
    assert "s" * 250 not in output


def test_unusual_but_valid_values_pass_the_preflight(play, sandbox):
    extra_vars = {
        "dcr_curity_applications": [app(redirect_uri="com.example.app:/callback", description="d" * 255,
                                        registrations=["demo-api"]),
                                    {"name": "web-" + "n" * 251, "redirect_uri": "https://app.example.com/cb?x=1"},
                                    {"name": "native", "redirect_uri": "http://127.0.0.1:8765/cb"}],
        "dcr_curity_labels": {"env": "prod", "ANSIBLE-managed-by": "devportal.dcr"},
        "dcr_curity_display_name": "d" * 256,
        "dcr_curity_auth_methods": ["client_credentials", "bearer"],
        "dcr_curity_issuer": sandbox.info["curity_issuer"] + "/",
    }
    rc, output = play(check=True, extra_vars=extra_vars)
    assert_ok(rc, output)
    assert config_writes(sandbox) == []


def test_a_lost_generated_secret_is_replaced_on_both_sides_while_the_provider_does_not_exist(play, sandbox):
    # The Curity phase alone generates the DCR credential's secret, which nobody keeps (as when a first
    # run with the README's defaults is interrupted before Konnect stores the provider).
    rc, output = play(tags="curity")
    assert_ok(rc, output)
    assert {e["service"] for e in sandbox.requests()} <= {"curity-admin", "curity-runtime"}
    # Check mode predicts the fresh secret (a change of the DCR credential) and writes nothing.
    sandbox.clear_requests()
    rc, checked = play(check=True)
    assert_ok(rc, checked)
    assert "Curity DCR credential and DCR settings (curity_token): changes (check mode)" in checked, checked[-4000:]
    assert "this run sets a fresh secret on the DCR credential 'konnect-dcr'" in checked
    assert config_writes(sandbox) == []
    # The plain re-run sets a fresh secret on both sides; Konnect verifies it; the application works.
    sandbox.clear_requests()
    rc, output = play()
    assert_ok(rc, output)
    assert steps(output)["Curity DCR credential and DCR settings (curity_token)"] == "changed"
    assert any(e["path"].endswith("/verify") and e["status"] == 200 for e in sandbox.requests())
    credentials = read_credentials(sandbox)
    # The gateway sees Konnect's changes after its push delay (the run's own request may have been answered before):
    # the application's credentials are accepted once it has.
    assert gateway_settles(sandbox, (credentials["client_id"], credentials["client_secret"]), status=200) == 200
    # Later runs need no secret and change nothing.
    sandbox.clear_requests()
    rc, output = play()
    assert_ok(rc, output)
    assert recap(output)["changed"] == 0
    assert config_writes(sandbox) == []


def test_rotate_secret_playbook_rotates_both_secrets(play, sandbox):
    assert_ok(*play())
    old = read_credentials(sandbox)
    sandbox.clear_requests()
    rc, output = play(os.path.join(REPO, "playbooks", "rotate_secret.yml"), extra_vars={"rotate_applications": ["demo-app"]})
    assert_ok(rc, output)
    writes = config_writes(sandbox)
    assert any(w.startswith("curity-admin PATCH") for w in writes), writes
    assert any(w.startswith("konnect PATCH /v2/dcr-providers/") for w in writes), writes
    assert any(w.endswith("/regenerate-secret") for w in writes), writes
    new = read_credentials(sandbox)
    assert new["client_id"] == old["client_id"] and new["client_secret"] != old["client_secret"]
    # The old secret is refused once the gateway's cache of it has expired.
    assert gateway_settles(sandbox, (old["client_id"], old["client_secret"]), 401) == 401
    assert gateway(sandbox, (new["client_id"], new["client_secret"])).status_code == 200
    assert re.search(r"Gateway answered 200 ", output), output


def test_create_application_playbook_adds_an_application(play, sandbox):
    assert_ok(*play())
    path = os.path.join(os.path.dirname(sandbox.info_file), "second-app.credentials.json")
    apps = [{"name": "second-app", "registrations": [sandbox.info["api_name"]], "approve_registrations": True,
             "credentials_file": path}]
    sandbox.clear_requests()
    rc, output = play(os.path.join(REPO, "playbooks", "create_application.yml"),
                      extra_vars={"dcr_curity_applications": apps})
    assert_ok(rc, output)
    assert {e["service"] for e in sandbox.writes()} <= {"portal", "konnect", "curity-runtime"}
    names = [a["name"] for a in konnect(sandbox, "/v3/portals/%s/applications" % sandbox.info["portal_id"])["data"]]
    assert sorted(names) == ["demo-app", "second-app"]
    credentials = read_credentials(sandbox, "second-app")
    assert gateway_settles(sandbox, (credentials["client_id"], credentials["client_secret"]), 200) == 200


TEARDOWN = os.path.join(REPO, "playbooks", "teardown.yml")
TEARDOWN_STEPS = ["Curity DCR credential and DCR settings (curity_token)", "Curity claims (curity_claim)",
                  "Curity scopes (curity_scope)", "Dev Portal application demo-app (portal_application)",
                  "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"]


def discovery(sandbox):
    resp = requests.get(sandbox.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30,
                        verify=sandbox.info.get("ca_path") or True)
    resp.raise_for_status()
    return resp.json()


def only_our_portal_serves_the_route(sandbox):
    """The seed also publishes the route on the classic portal, without a strategy: take that away first, so
    that what the gateway answers depends on what the role configured and removed."""
    info = sandbox.info
    admin_send(info, "PATCH", "/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"],
                                                                      info["product_version_id"]),
               {"publish_status": "unpublished"})


def test_teardown_removes_everything_never_widens_access_and_check_mode_predicts_it(play, sandbox):
    only_our_portal_serves_the_route(sandbox)
    key_auth = admin_get(sandbox.info, "/v3/portals/%s" % sandbox.info["portal_id"])["default_application_auth_strategy_id"]
    assert_ok(*play())
    old = read_credentials(sandbox)
    assert "registration_endpoint" in discovery(sandbox)
    sandbox.clear_requests()
    rc, checked = play(TEARDOWN, check=True, diff=True)
    assert_ok(rc, checked)
    assert config_writes(sandbox) == []
    assert changed_steps(checked) == TEARDOWN_STEPS, checked
    assert "unpublished: %s" % sandbox.info["api_name"] in checked, checked  # what check mode will unpublish
    assert '"published": false' in checked  # and the diff shows it
    rc, output = play(TEARDOWN)
    assert_ok(rc, output)
    assert changed_steps(output) == changed_steps(checked)
    assert "portal default back to key-auth" in output, output[-4000:]
    assert "stays open" not in checked and "stays open" not in output  # nothing else publishes the route
    # The portal has its own default back, the Key Auth strategy it came with; nothing else is left.
    assert admin_get(sandbox.info, "/v3/portals/%s" % sandbox.info["portal_id"])["default_application_auth_strategy_id"] \
        == key_auth
    assert curity(sandbox, "/client-store/config-backed/client=konnect-dcr") is None
    assert curity(sandbox, "/scopes/scope=demo-api") is None
    assert curity(sandbox, "/claims/claim=application_name") is None
    # Curity's DCR settings went with the credential: discovery no longer offers registration.
    assert "registration_endpoint" not in discovery(sandbox)
    assert konnect(sandbox, "/v2/dcr-providers")["data"] == []
    assert [s["id"] for s in konnect(sandbox, "/v2/application-auth-strategies")["data"]] == [key_auth]
    assert konnect(sandbox, "/v3/portals/%s/applications" % sandbox.info["portal_id"])["data"] == []
    # The API was left without application auth, so it is no longer published: nobody gets through, the old
    # credentials too once the gateway has the new configuration and its cache of them has expired.
    assert gateway(sandbox).status_code == 401
    assert gateway_settles(sandbox, (old["client_id"], old["client_secret"]), 401) == 401
    assert gateway(sandbox).status_code == 401
    rc, again = play(TEARDOWN)
    assert_ok(rc, again)
    assert recap(again)["changed"] == 0


def test_teardown_names_the_other_publication_that_keeps_the_route_open(play, sandbox):
    """On the seed, the classic portal publishes the same gateway service without auth: the summary says so, in
    check mode as in the run, and the gateway agrees."""
    info = sandbox.info
    assert_ok(*play())
    sentence = ("Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): The gateway route of %s/v1 "
                "stays open to anyone through classic portal %r, product version %s/%s (no auth)."
                % (info["api_name"], info["classic_portal_name"], info["api_product_name"], info["product_version_name"]))
    rc, checked = play(TEARDOWN, check=True)
    assert_ok(rc, checked)
    assert sentence in checked, checked[-4000:]
    rc, output = play(TEARDOWN)
    assert_ok(rc, output)
    assert sentence in output, output[-4000:]
    assert gateway_settles(sandbox, None, 200) == 200


def test_teardown_keeps_the_api_public_only_when_asked(play, sandbox):
    only_our_portal_serves_the_route(sandbox)
    assert_ok(*play())
    old = read_credentials(sandbox)
    rc, output = play(TEARDOWN, extra_vars={"dcr_curity_orphaned_publications": "keep_public"})
    assert_ok(rc, output)
    # Explicitly asked for: published without application auth, so the gateway lets anyone through (once pushed).
    assert gateway_settles(sandbox, None, 200) == 200
    assert gateway(sandbox, (old["client_id"], old["client_secret"])).status_code == 200


def test_teardown_fails_before_any_write_on_an_application_it_does_not_list(play, sandbox):
    assert_ok(*play())
    sandbox.clear_requests()
    rc, output = play(TEARDOWN, extra_vars={"dcr_curity_applications": [], "dcr_curity_request_url": ""})
    assert rc != 0
    assert "demo-app" in output and "while planning (reads only)" in output, output[-3000:]
    assert config_writes(sandbox) == []
    rc, output = play(TEARDOWN, extra_vars={"dcr_curity_applications": [], "dcr_curity_request_url": "",
                                            "dcr_curity_applications_in_use": "delete"})
    assert_ok(rc, output)
    assert konnect(sandbox, "/v3/portals/%s/applications" % sandbox.info["portal_id"])["data"] == []


def test_the_gateway_request_does_not_follow_a_redirect_with_the_credentials(play, sandbox):
    assert_ok(*play())
    elsewhere = sandbox.info["curity_issuer"] + "/collect"
    for status in (302, 307):
        sandbox.clear_requests()
        sandbox.fault(service="gateway", path_regex=re.escape(sandbox.info["route_path"]), status=status, count=10,
                      headers={"Location": elsewhere})
        rc, output = play()
        sandbox.clear_faults()
        assert rc != 0, output[-3000:]
        assert "a redirect to %s: not followed" % elsewhere in output, output[-3000:]
        assert not [e for e in sandbox.requests() if e["path"].endswith("/collect")], "the redirect was followed"
        assert len(sandbox.requests("gateway")) == 1  # a redirect is final: no retry either


RECORD_PLAYBOOK = """---
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: devportal.dcr.dcr_curity
    - ansible.builtin.copy:
        dest: "%s"
        content: "{{ {'timings': dcr_curity_result.timings,
                      'module_executions': dcr_curity_result.module_executions} | to_json }}"
        mode: "0600"
"""


# The issuer given (as the README's example gives it), as itself or as its discovery URL (a documented form): the
# Konnect step's plan input is known before the DCR credential's plan ends, so it starts at once, side by side with it.
@pytest.mark.parametrize("issuer", ["issuer", "discovery URL"])
def test_a_no_op_run_plans_the_steps_side_by_side_once_each(play, sandbox, tmp_path, issuer):
    record = tmp_path / "record.json"
    playbook = tmp_path / "record.yml"
    playbook.write_text(RECORD_PLAYBOOK % record)
    extra = {} if issuer == "issuer" else {
        "dcr_curity_issuer": sandbox.info["curity_issuer"] + "/.well-known/openid-configuration"}
    first = tmp_path / "first.yml"
    first.write_text(RECORD_PLAYBOOK % (tmp_path / "first.json"))
    assert_ok(*play(str(first), extra_vars=extra))
    # The first run (everything created, a generated secret) plans each step once, but the scopes, which use the
    # claim the run creates (planned as a change); the DCR credential's plan runs again, with the fresh secret the
    # run chose, and so does the Konnect step's: the one started at once, before the DCR credential's plan showed that
    # this run sets the secret, had other input (first runs only: a re-run plans each step once, below).
    plans = [t["module"] for t in json.loads((tmp_path / "first.json").read_text())["timings"] if t["pass"] == "plan"]
    assert sorted(plans) == sorted(["curity_claim", "curity_token", "curity_token", "konnect_portal_dcr",
                                    "konnect_portal_dcr", "portal_application"]), plans
    sandbox.clear_requests()
    rc, output = play(str(playbook), extra_vars=extra)
    assert_ok(rc, output)
    assert len(steps(output)) == 5 and changed_steps(output) == [] and config_writes(sandbox) == []
    sent = sandbox.requests()
    # The plan's reads, once each: one plain GET per Curity collection (claims, scopes), six for the DCR credential (its
    # client, the DCR settings, the profile's client capabilities, token issuers and endpoints, the service roles),
    # the DCR credential's check at the token endpoint (two token requests), Konnect's provider check (verify, which
    # changes nothing), one developer login; then the gateway request.  Plans started ahead add nothing to a run that
    # changes nothing, and no read carries "fields".
    by_service = {}
    for entry in sent:
        by_service[entry["service"]] = by_service.get(entry["service"], 0) + 1
    assert by_service == {"curity-admin": 8, "curity-runtime": 5, "konnect": 7, "portal": 5, "gateway": 1}, by_service
    assert not [e for e in sent if e["service"] == "curity-admin" and (e["method"] != "GET" or "fields" in e["query"])]
    posts = sorted((e["service"], e["path"].split("/")[-1]) for e in sent if e["method"] != "GET")
    assert posts == [("curity-runtime", "oauth-token"), ("curity-runtime", "oauth-token"), ("konnect", "verify"),
                     ("portal", "authenticate")], posts
    runs = json.loads(record.read_text())
    # One plan per step, none repeated.
    assert runs["module_executions"] == 5, runs
    assert sorted(t["module"] for t in runs["timings"]) == sorted(
        ["curity_claim", "curity_scope", "curity_token", "konnect_portal_dcr", "portal_application"])
    assert {t["pass"] for t in runs["timings"]} == {"plan"}
    by_module = dict((t["module"], t) for t in runs["timings"])
    spans = [(t["started"], t["started"] + t["seconds"]) for t in runs["timings"]]
    assert any(a[0] <= b[0] < a[1] for a in spans for b in spans if a is not b), spans  # side by side
    # The Konnect step's plan does not wait for the DCR credential's: it starts before that one ends (which of the two
    # threads records its start first is the scheduler's choice).
    token, dcr = by_module["curity_token"], by_module["konnect_portal_dcr"]
    assert dcr["started"] < token["started"] + token["seconds"] - 0.002, runs
    # The applications' plan needs the auth strategy from the Konnect step's plan: it starts after that one ends.
    app = by_module["portal_application"]
    assert app["started"] >= dcr["started"] + dcr["seconds"] - 0.002, runs


def test_a_scope_that_uses_a_claim_the_run_creates_is_not_planned_in_vain(play, sandbox, tmp_path):
    # Its plan waits for the claims' plan, which shows the claim is new: the scope is planned as a change and applied
    # after the claim exists; no scopes plan runs for nothing (every module run is in the timings).
    record = tmp_path / "record.json"
    playbook = tmp_path / "record.yml"
    playbook.write_text(RECORD_PLAYBOOK % record)
    extra = {"dcr_curity_claims": [{"name": "order_id", "description": "Order of the request",
                                    "value_provider": "account-manager-claims-provider"}],
             "dcr_curity_scopes": [{"name": "orders", "description": "Orders", "claims": ["order_id"]}]}
    assert_ok(*play(str(playbook), extra_vars=extra))
    timings = json.loads(record.read_text())["timings"]
    assert [t["module"] for t in timings if t["module"] == "curity_scope"] == ["curity_scope"], timings
    assert [t["pass"] for t in timings if t["module"] == "curity_scope"] == ["apply"], timings
    rc, output = play(str(playbook), extra_vars=extra)  # the scope exists as asked: the next run changes nothing
    assert_ok(rc, output)
    assert changed_steps(output) == [], changed_steps(output)


def test_a_teardown_plans_each_step_once_and_no_claim_in_vain(play, sandbox, tmp_path):
    # The scopes it removes use the claim it removes: the claims' plan waits for the scopes' and, seeing that, is left
    # pending (planned as a change, applied once the scopes are gone); no plan started ahead goes unused.
    assert_ok(*play())
    record = tmp_path / "record.json"
    playbook = tmp_path / "record.yml"
    playbook.write_text(RECORD_PLAYBOOK % record)
    rc, output = play(str(playbook), extra_vars={"dcr_curity_state": "absent"})
    assert_ok(rc, output)
    timings = json.loads(record.read_text())["timings"]
    plans = sorted(t["module"] for t in timings if t["pass"] == "plan")
    applied = sorted(t["module"] for t in timings if t["pass"] == "apply")
    assert plans == ["curity_scope", "curity_token", "konnect_portal_dcr", "portal_application"], timings
    assert applied == ["curity_claim", "curity_scope", "curity_token", "konnect_portal_dcr", "portal_application"]
    assert curity(sandbox, "/claims/claim=application_name") is None


def test_a_secret_issued_before_a_failure_stays_with_the_play(play, sandbox, tmp_path):
    """No credentials_file and a failure after Konnect issued the secret: the play still has it."""
    keep = tmp_path / "kept.json"
    playbook = tmp_path / "keep.yml"
    playbook.write_text("""---
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - block:
        - ansible.builtin.include_role:
            name: devportal.dcr.dcr_curity
      rescue:
        - ansible.builtin.copy:
            dest: "%s"
            content: "{{ {'client_id': dcr_curity_result.applications['demo-app'].client_id,
                          'client_secret': dcr_curity_result.applications['demo-app'].client_secret} | to_json }}"
            mode: "0600"
          no_log: true
""" % keep)
    apps = [{"name": "demo-app", "registrations": [sandbox.info["api_name"]], "approve_registrations": True}]
    # The registration fails after the application (and its secret) was created.
    sandbox.fault(service="portal", method="POST", path_regex=r"/registrations$", status=500, count=1)
    rc, output = play(str(playbook), extra_vars={"dcr_curity_applications": apps, "dcr_curity_request_url": ""})
    assert rc == 0, output[-3000:]  # rescued by the user's play
    kept = json.loads(keep.read_text())
    assert kept["client_secret"] not in output
    sandbox.clear_faults()
    assert gateway(sandbox, (kept["client_id"], kept["client_secret"])).status_code in (200, 403)


def test_a_first_run_may_give_the_dcr_credential_scopes_the_same_run_creates(play, sandbox):
    extra = {"dcr_curity_client_scopes": ["demo-api"]}
    rc, checked = play(check=True, extra_vars=extra)
    assert_ok(rc, checked)
    assert "uses scopes this run creates (demo-api)" in checked, checked[-3000:]
    assert config_writes(sandbox) == []
    rc, output = play(extra_vars=extra)
    assert_ok(rc, output)
    assert changed_steps(output) == changed_steps(checked)
    client = curity(sandbox, "/client-store/config-backed/client=konnect-dcr")["profile-oauth:client"][0]
    assert "demo-api" in client["scope"]
    sandbox.clear_requests()
    rc, again = play(extra_vars=extra)
    assert_ok(rc, again)
    assert recap(again)["changed"] == 0 and config_writes(sandbox) == []


def test_a_new_given_secret_reaches_both_sides_in_the_same_run_whatever_update_secret_says(play, sandbox):
    first = "Dcr-Secret-%s" % os.urandom(8).hex()
    assert_ok(*play(extra_vars={"dcr_curity_client_secret": first}))
    second = "Dcr-Secret-%s" % os.urandom(8).hex()
    sandbox.clear_requests()
    # update_secret stays on_create: Curity's client no longer accepts the given secret, so the run sets it
    # there, and therefore on Konnect's provider too, and Konnect verifies it.
    rc, output = play(extra_vars={"dcr_curity_client_secret": second})
    assert_ok(rc, output)
    writes = config_writes(sandbox)
    assert any(w.startswith("curity-admin PATCH") for w in writes), writes
    assert any(w.startswith("konnect PATCH /v2/dcr-providers/") for w in writes), writes
    verified = [e for e in sandbox.requests() if e["path"].endswith("/verify")]
    assert verified and verified[-1]["status"] == 200
    provider = konnect(sandbox, "/v2/dcr-providers")["data"][0]
    answer = requests.post(sandbox.info["konnect_url"] + "/v2/dcr-providers/%s/verify" % provider["id"],
                           headers={"Authorization": "Bearer " + sandbox.info["konnect_token"]}, timeout=30).json()
    assert answer.get("status") == "success", answer
    sandbox.clear_requests()
    rc, again = play(extra_vars={"dcr_curity_client_secret": second})
    assert_ok(rc, again)
    assert recap(again)["changed"] == 0 and config_writes(sandbox) == []


APP_STEP = "Dev Portal application demo-app (portal_application)"
DCR_STEP = "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"
TOKEN_STEP = "Curity DCR credential and DCR settings (curity_token)"


def portal_writes(sandbox):
    return [w for w in config_writes(sandbox) if w.startswith("portal ")]


def test_a_change_of_the_strategy_display_name_leaves_the_application_unchanged(play, sandbox):
    assert_ok(*play())
    extra_vars = {"dcr_curity_display_name": "Curity DCR 3"}
    sandbox.clear_requests()
    rc, checked = play(check=True, diff=True, extra_vars=extra_vars)
    assert_ok(rc, checked)
    assert changed_steps(checked) == [DCR_STEP], checked[-4000:]
    assert "waits for" not in checked
    sandbox.clear_requests()
    rc, applied = play(diff=True, extra_vars=extra_vars)
    assert_ok(rc, applied)
    assert changed_steps(applied) == [DCR_STEP], applied[-4000:]
    assert steps(applied)[APP_STEP] == "unchanged"
    assert portal_writes(sandbox) == []
    assert [w for w in config_writes(sandbox) if "application-auth-strategies" in w], config_writes(sandbox)


def test_a_rotation_of_the_dcr_credential_leaves_the_applications_unchanged(play, sandbox):
    assert_ok(*play())
    sandbox.clear_requests()
    rc, output = play(extra_vars={"dcr_curity_client_update_secret": "always",
                                  "dcr_curity_client_secret": "Rotated-dcr-secret-%s" % os.urandom(8).hex()})
    assert_ok(rc, output)
    assert steps(output)[TOKEN_STEP] == "changed" and steps(output)[DCR_STEP] == "changed", output[-4000:]
    assert steps(output)[APP_STEP] == "unchanged", output[-4000:]
    assert portal_writes(sandbox) == []


def test_rotate_secret_playbook_rotates_only_the_secrets(play, sandbox):
    assert_ok(*play())
    sandbox.clear_requests()
    rc, output = play(os.path.join(REPO, "playbooks", "rotate_secret.yml"))
    assert_ok(rc, output)
    assert sorted(steps(output)) == [TOKEN_STEP, DCR_STEP], output[-4000:]
    writes = config_writes(sandbox)
    assert writes and all(w.startswith(("curity-admin PATCH", "curity-admin PUT", "konnect PATCH /v2/dcr-providers/"))
                          for w in writes), writes
