# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""devportal.dcr.curity_token against the sandbox, asserting the requests actually sent."""

from __future__ import annotations

import os
import time

import pytest
import requests

from curity_helpers import (ADMIN, PROFILE_PATH, RUNTIME, SERVER_PATH, CurityReader, assert_clean_failure, assert_no_secrets,
                            calls, run_module, verbs, warnings_of, write_playbook)
from harness import Sandbox

PROFILE = "/admin/api/restconf" + PROFILE_PATH
DATA_SOURCE = "/admin/api/restconf/data/base:facilities/data-sources/data-source=default-datasource/id"
CLIENT = "/admin/api/restconf" + SERVER_PATH + "/client-store/config-backed/client=konnect-dcr"
DCR = "/admin/api/restconf" + SERVER_PATH + "/dynamic-client-registration"
CAPABILITIES = "/admin/api/restconf" + SERVER_PATH + "/client-capabilities"
SCOPES = "/admin/api/restconf" + SERVER_PATH + "/scopes"
ENDPOINTS = PROFILE + "/endpoints"
ROLES = "/admin/api/restconf/data/base:environments/environment/services/service-role"
PROFILES = "/admin/api/restconf/data/base:profiles/profile"
DATASTORE = "/admin/api/restconf/data"
# The reads of a run with the module's defaults: plain GETs of exact subtrees (a 404 adds the list of profiles once).
READS = [("GET", CLIENT), ("GET", DCR), ("GET", CAPABILITIES), ("GET", ENDPOINTS), ("GET", ROLES)]
FIRST_READS = [("GET", CLIENT), ("GET", PROFILES), ("GET", DCR), ("GET", CAPABILITIES), ("GET", ENDPOINTS), ("GET", ROLES)]
SECRET = "Konnect-DCR-secret-4e0b91"
OTHER_SECRET = "Rotated-out-of-band-77c2"
TOKEN = ("POST", "/oauth/v2/oauth-token")
DISCOVERY = ("GET", "/oauth/v2/oauth-anonymous/.well-known/openid-configuration")


@pytest.fixture
def reader(sandbox):
    return CurityReader(sandbox)


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory):
    box = Sandbox(tls=True, workdir=str(tmp_path_factory.mktemp("tls-sandbox")))
    yield box
    box.stop()


def run_with_output(runner, sandbox, **args):
    args.setdefault("issuer", sandbox.info["curity_issuer"])
    return run_module(runner, sandbox, "curity_token", **args)


def run(runner, sandbox, **args):
    return run_with_output(runner, sandbox, **args)[0]


def admin_writes(sandbox):
    return [c for c in calls(sandbox) if c[0] != "GET"]


def create(runner, sandbox, **args):
    result = run(runner, sandbox, secret=SECRET, **args)
    assert result["changed"] is True and result["verified"] is True, result
    return result


def test_check_mode_then_create_then_idempotent(runner, sandbox, reader):
    checked = run(runner, sandbox, check=True, client_name="Kong Konnect DCR")
    assert checked["changed"] is True and checked["verified"] is False and "client_secret" not in checked
    assert calls(sandbox) == FIRST_READS + [("GET", DATA_SOURCE)] and calls(sandbox, RUNTIME) == [DISCOVERY]
    assert checked["registration_endpoint"] is None and reader.client("konnect-dcr") is None

    created = run(runner, sandbox, client_name="Kong Konnect DCR")
    assert created["changed"] is True and created["diff"] == checked["diff"]
    assert created["diff"]["after"]["client"] == {"client_name": "Kong Konnect DCR", "client_credentials": True,
                                                  "secret": "********", "teardown_record": {
                                                      "devportal-dcr-endpoint": "token-service-dynamic-client-registration",
                                                      "devportal-dcr-endpoint-created": "true",
                                                      "devportal-dcr-endpoint-deployed-on": "default"}}
    assert created["diff"]["after"]["dcr_endpoint"] == {"id": "token-service-dynamic-client-registration",
                                                        "uri": "/token-service/oauth-registration",
                                                        "service_roles": ["default"]}
    assert created["diff"]["after"]["dynamic_client_registration"]["authenticate_client_by"] == ["konnect-dcr"]
    # one transaction: the client, the DCR settings, the DCR endpoint and its deployment on the default role
    assert calls(sandbox) == FIRST_READS + [("GET", DATA_SOURCE), ("PATCH", DATASTORE)] + READS
    assert calls(sandbox, RUNTIME) == [DISCOVERY, DISCOVERY, TOKEN]  # before the write, after enabling DCR
    assert created["verified"] is True and created["issuer"] == sandbox.info["curity_issuer"]
    assert created["token_endpoint"].endswith("/oauth/v2/oauth-token")
    assert created["registration_endpoint"].endswith("/token-service/oauth-registration")
    secret = created["client_secret"]
    assert len(secret) >= 43 and reader.client("konnect-dcr")["secret"].startswith("$5$")
    status, body = reader.token("konnect-dcr", secret)
    assert status == 200 and body["scope"] == "dcr"
    dcr = reader.dcr()
    assert dcr["client-data-source"] == "default-datasource" and "client-management" in dcr
    assert dcr["non-templatized"]["authenticate-client-by"] == ["konnect-dcr"]

    again = run(runner, sandbox, client_name="Kong Konnect DCR", secret=secret)
    assert again["changed"] is False and again["verified"] is True and "client_secret" not in again
    assert calls(sandbox) == READS and calls(sandbox, RUNTIME) == [DISCOVERY, TOKEN]

    unknown = run(runner, sandbox)
    assert unknown["changed"] is False and unknown["verified"] is False
    assert calls(sandbox, RUNTIME) == [DISCOVERY]


def test_a_secret_that_no_longer_works_is_drift(runner, sandbox, reader):
    create(runner, sandbox)
    reader.write("PATCH", SERVER_PATH + "/client-store/config-backed/client=konnect-dcr",
                 {"profile-oauth:client": [{"id": "konnect-dcr", "secret": OTHER_SECRET}]})
    checked = run(runner, sandbox, check=True, secret=SECRET)
    assert checked["changed"] is True and sandbox.writes(ADMIN) == []
    assert checked["diff"] == {"before": {"client": {"client_credentials": True, "secret": None}},
                               "after": {"client": {"client_credentials": True, "secret": "********"}}}
    assert [e["status"] for e in sandbox.requests(RUNTIME, ["POST"])] == [401]

    fixed = run(runner, sandbox, secret=SECRET)
    assert fixed["changed"] is True and fixed["diff"] == checked["diff"] and fixed["verified"] is True
    assert admin_writes(sandbox) == [("PATCH", PROFILE)]
    assert [e["status"] for e in sandbox.requests(RUNTIME, ["POST"])] == [401, 200]
    assert reader.token("konnect-dcr", SECRET)[0] == 200 and reader.token("konnect-dcr", OTHER_SECRET)[0] == 401


def test_update_secret_always_writes_on_every_run(runner, sandbox):
    create(runner, sandbox)
    for attempt in (1, 2):
        result = run(runner, sandbox, secret=SECRET, update_secret="always")
        assert result["changed"] is True and admin_writes(sandbox) == [("PATCH", PROFILE)], attempt
        assert "client_secret" not in result and result["verified"] is True


def test_one_field_change_is_one_merge(runner, sandbox, reader):
    create(runner, sandbox, client_name="Old name", description="Konnect")
    result = run(runner, sandbox, secret=SECRET, client_name="New name")
    assert result["diff"] == {"before": {"client": {"client_name": "Old name", "client_credentials": True}},
                              "after": {"client": {"client_name": "New name", "client_credentials": True}}}
    assert admin_writes(sandbox) == [("PATCH", PROFILE)]
    client = reader.client("konnect-dcr")
    assert client["client-name"] == "New name" and client["description"] == "Konnect"


def test_losing_scopes_replaces_the_client_and_keeps_its_secret(runner, sandbox, reader):
    create(runner, sandbox, scopes=["email", "phone"], description="Konnect")
    result = run(runner, sandbox, secret=SECRET, scopes=["email"], description="")
    assert result["changed"] is True and result["verified"] is True
    assert admin_writes(sandbox) == [("PUT", CLIENT)]
    assert calls(sandbox) == READS + [("GET", SCOPES), ("GET", CLIENT), ("PUT", CLIENT)] + READS + [("GET", SCOPES)]
    client = reader.client("konnect-dcr")
    assert client["scope"] == ["email"] and "description" not in client
    assert reader.token("konnect-dcr", SECRET, "email")[0] == 200


def test_dcr_scopes_that_shrink_replace_the_scopes_setting(runner, sandbox, reader):
    create(runner, sandbox, dcr_scopes=["email", "phone"])
    assert reader.dcr()["non-templatized"]["scopes"] == {"scope": ["email", "phone"]}
    result = run(runner, sandbox, secret=SECRET, dcr_scopes=["email"])
    assert result["diff"]["after"]["dynamic_client_registration"]["scopes"] == ["email"]
    assert admin_writes(sandbox) == [("PUT", DCR + "/non-templatized/scopes")]
    assert reader.dcr()["non-templatized"]["scopes"] == {"scope": ["email"]}


def test_jwt_access_tokens_on_then_off(runner, sandbox, reader):
    create(runner, sandbox, access_token_as_jwt=True)
    assert "access-token-as-jwt" in reader.token_issuer()
    result = run(runner, sandbox, secret=SECRET, access_token_as_jwt=False)
    assert result["diff"] == {"before": {"token_issuer": {"access_token_as_jwt": True}},
                              "after": {"token_issuer": {"access_token_as_jwt": False}}}
    assert admin_writes(sandbox) == [("DELETE", PROFILE + "/token-issuers/default-token-issuer/access-token-as-jwt")]
    assert "access-token-as-jwt" not in reader.token_issuer()


def test_existing_dcr_settings_are_extended_not_replaced(runner, sandbox, reader):
    create(runner, sandbox)
    result = run(runner, sandbox, client_id="second-client", secret=OTHER_SECRET)
    assert result["changed"] is True and admin_writes(sandbox) == [("PATCH", PROFILE)]
    assert result["diff"]["after"]["dynamic_client_registration"]["authenticate_client_by"] == ["konnect-dcr", "second-client"]
    assert sorted(reader.dcr()["non-templatized"]["authenticate-client-by"]) == ["konnect-dcr", "second-client"]
    assert reader.token("konnect-dcr", SECRET)[0] == 200 and reader.token("second-client", OTHER_SECRET)[0] == 200


def test_absent_leaves_dcr_then_deletes_the_client(runner, sandbox, reader):
    """With dcr: false the DCR settings stay; test_curity_token_absent.py covers their removal."""
    create(runner, sandbox)
    checked = run(runner, sandbox, check=True, state="absent", dcr=False)
    assert checked["changed"] is True and sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME) == []
    result = run(runner, sandbox, state="absent", dcr=False)
    assert result["diff"] == checked["diff"]
    assert result["diff"]["after"] == {"dynamic_client_registration": {"authenticate_client_by": []}}
    assert admin_writes(sandbox) == [("PUT", DCR), ("DELETE", CLIENT)]
    assert reader.client("konnect-dcr") is None and "authenticate-client-by" not in reader.dcr()["non-templatized"]
    again = run(runner, sandbox, state="absent", dcr=False)
    assert again["changed"] is False and verbs(sandbox) == ["GET"] * 3  # client (404), the profiles, DCR


def test_absent_finishes_a_half_done_removal(runner, sandbox, reader):
    create(runner, sandbox)
    dcr = reader.dcr()
    del dcr["non-templatized"]["authenticate-client-by"]
    reader.write("PUT", SERVER_PATH + "/dynamic-client-registration", {"profile-oauth:dynamic-client-registration": dcr})
    result = run(runner, sandbox, state="absent", dcr=False)
    assert result["changed"] is True and admin_writes(sandbox) == [("DELETE", CLIENT)]
    assert reader.client("konnect-dcr") is None


def test_tls_needs_the_ca_for_the_admin_api_and_the_runtime(runner, tls_sandbox):
    args = {"issuer": tls_sandbox.info["curity_issuer"], "secret": SECRET}
    result, text = run_with_output(runner, tls_sandbox, **args)
    assert_clean_failure(result, text, "TLS", "ca_path")
    assert tls_sandbox.writes(ADMIN) == []
    result = run(runner, tls_sandbox, ca_path=tls_sandbox.info["ca_path"], **args)
    assert result["changed"] is True and result["verified"] is True, result
    assert calls(tls_sandbox, RUNTIME) == [DISCOVERY, DISCOVERY, TOKEN]  # before the write, after enabling DCR
    result = run(runner, tls_sandbox, validate_certs=False, **args)
    assert result["changed"] is False and result["verified"] is True
    assert any("validate_certs is false" in w for w in warnings_of(result))


BAD_INPUTS = [
    ({"issuer": None}, ["issuer is required", "verify"]),
    ({"update_secret": "always"}, ["update_secret is always", "secret"]),
    ({"scopes": ["no-such-scope"]}, ["'no-such-scope'", "curity_scope"]),
    ({"dcr_scopes": ["no-such-scope"]}, ["dcr_scopes", "'no-such-scope'"]),
    ({"dcr_scopes": []}, ["dcr_scopes must name at least one scope"]),
    ({"dcr_capabilities": ["implicit"]}, ["dcr_capabilities", "client_credentials, code"]),
    ({"secret": "  "}, ["secret must not be empty"]),
    ({"client_id": ""}, ["client_id"]),
    ({"issuer": "not-a-url"}, ["issuer must be an absolute"]),
    ({"verify": "maybe"}, ["verify"]),
    ({"scopes": "email", "colour": "blue"}, ["Unsupported parameters", "colour"]),
    ({"admin_password": "wrong-password"}, ["HTTP 401", "admin_password"]),
    ({"profile_id": "no-such-profile"}, ["'no-such-profile'", "CURITY_PROFILE_ID"]),
]


@pytest.mark.parametrize("args, words", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_fails_cleanly_before_any_write(runner, sandbox, reader, args, words):
    result, text = run_with_output(runner, sandbox, **args)
    assert_clean_failure(result, text, *words)
    assert sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME, ["POST"]) == []
    assert reader.client("konnect-dcr") is None


def test_an_unknown_data_source_is_refused_before_any_write(runner, sandbox, reader):
    result, text = run_with_output(runner, sandbox, dcr_client_data_source="no-such-source")
    assert_clean_failure(result, text, "dcr_client_data_source names a data source Curity does not have",
                         "no-such-source")
    assert sandbox.writes(ADMIN) == [] and reader.client("konnect-dcr") is None
    assert result["changed"] is False and "client_secret" not in result


def test_a_refused_write_changes_nothing(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", status=400, count=1)
    result, text = run_with_output(runner, sandbox)
    assert_clean_failure(result, text, "HTTP 400")
    assert [e["status"] for e in sandbox.writes(ADMIN)] == [400] and reader.client("konnect-dcr") is None
    assert result["changed"] is False and "client_secret" not in result


def test_503_on_the_write_is_retried(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", status=503, count=1)
    result = create(runner, sandbox)
    assert any("HTTP 503" in w for w in warnings_of(result))
    assert [e["status"] for e in sandbox.writes(ADMIN)] == [503, 204] and reader.client("konnect-dcr") is not None


def test_429_on_discovery_honours_retry_after(runner, sandbox):
    sandbox.fault(service="curity-runtime", method="GET", path_regex="openid-configuration$", status=429, retry_after=1,
                  count=1)
    started = time.monotonic()
    result = create(runner, sandbox)
    assert time.monotonic() - started >= 1.0 and any("HTTP 429" in w for w in warnings_of(result))
    assert [e["status"] for e in sandbox.requests(RUNTIME)] == [429, 200, 200, 200]


def test_a_failing_token_endpoint_fails_the_run_but_hands_over_the_created_secret(runner, sandbox, reader):
    sandbox.fault(service="curity-runtime", method="POST", path_regex="oauth-token$", status=500, count=10)
    result, text = run_with_output(runner, sandbox)
    assert_clean_failure(result, text, "The credential does not work", "HTTP 500", "'konnect-dcr'")
    sandbox.clear_faults()
    assert result["changed"] is True and reader.token("konnect-dcr", result["client_secret"])[0] == 200


def test_no_secret_in_verbose_diff_output(runner, sandbox, reader, tmp_path):
    secret_file = os.path.join(str(tmp_path), "generated.txt")
    token = {"secret": "{{ secret }}", "update_secret": "always", "access_token_as_jwt": True}
    tasks = [
        {"name": "credential (check)", "devportal.dcr.curity_token": token, "check_mode": True},
        {"name": "credential", "devportal.dcr.curity_token": token},
        {"name": "generated", "devportal.dcr.curity_token": {"client_id": "generated-client"}, "no_log": True,
         "register": "generated"},
        {"name": "keep it", "ansible.builtin.copy": {"content": "{{ generated.client_secret }}", "dest": secret_file,
                                                     "mode": "0600"}, "no_log": True},
    ]
    defaults = {"group/devportal.dcr.curity": {"admin_url": "{{ url }}", "admin_password": "{{ password }}"}}
    play_args = {"module_defaults": dict(defaults, **{"devportal.dcr.curity_token": {"issuer": "{{ issuer }}"}})}
    playbook = write_playbook(tmp_path, "token.yml", tasks, **play_args)
    extra = {"url": sandbox.info["curity_admin_url"], "password": sandbox.info["curity_admin_password"],
             "issuer": sandbox.info["curity_issuer"], "secret": SECRET}
    rc, out = runner.playbook(playbook, extra_vars=extra, diff=True, verbosity=4)
    assert rc == 0, out[-3000:]
    with open(secret_file, encoding="utf-8") as handle:
        generated = handle.read()
    assert reader.token("generated-client", generated)[0] == 200
    assert out.count("changed: [localhost]") >= 2 and '"secret": "********"' in out
    assert_no_secrets(out, sandbox.info["curity_admin_password"], SECRET, generated)
    assert '"access_token":' not in out and "eyJ" not in out


def test_a_write_failing_after_the_client_was_created_hands_over_its_secret(runner, sandbox, reader):
    create(runner, sandbox, access_token_as_jwt=True)
    # The second client is created by the profile PATCH; the DELETE of access-token-as-jwt that follows fails.
    sandbox.fault(service="curity-admin", method="DELETE", path_regex="access-token-as-jwt$", status=500, count=5)
    result, text = run_with_output(runner, sandbox, client_id="second-client", access_token_as_jwt=False)
    assert_clean_failure(result, text, "HTTP 500", "client_secret", "'second-client'")
    assert [(e["method"], e["status"]) for e in sandbox.writes(ADMIN)] == [("PATCH", 204), ("DELETE", 500)]
    assert result["changed"] is True
    sandbox.clear_faults()
    assert reader.client("second-client") is not None
    assert reader.token("second-client", result["client_secret"])[0] == 200
    # The run that finishes the job, with that secret, changes only what is left.
    again = run(runner, sandbox, client_id="second-client", secret=result["client_secret"], access_token_as_jwt=False)
    assert again["changed"] is True and admin_writes(sandbox) == [
        ("DELETE", PROFILE + "/token-issuers/default-token-issuer/access-token-as-jwt")]


def test_an_unanswered_create_hands_over_the_secret_it_may_have_set(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", reset_connection=True, count=10)
    result, text = run_with_output(runner, sandbox)
    assert_clean_failure(result, text, "PATCH", "client_secret")
    assert result["changed"] is True and len(result["client_secret"]) >= 43


def lying_discovery(box, **changes):
    """The issuer's real discovery document with ``changes``, served for every discovery read from now on."""
    session = requests.Session()
    session.trust_env = False
    document = session.get(box.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30,
                           verify=box.info.get("ca_path") or True).json()
    document.update(changes)
    box.fault(service="curity-runtime", method="GET", path_regex="openid-configuration$", body=document, count=50)
    return document


def foreign_host(box):
    """The sandbox's own token endpoint under another host name (localhost for 127.0.0.1)."""
    return box.info["curity_issuer"].split("/oauth/")[0].replace("127.0.0.1", "localhost") + "/oauth/v2/oauth-token"


def test_no_secret_to_a_token_endpoint_on_another_host(runner, sandbox, reader):
    lying_discovery(sandbox, token_endpoint=foreign_host(sandbox))
    result, text = run_with_output(runner, sandbox, secret=SECRET)
    assert_clean_failure(result, text, "allow_insecure_token_endpoint", "'localhost'", "was not sent")
    assert_no_secrets(text, SECRET)
    # Refused before anything was written, and nothing was posted to any token endpoint.
    assert sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME, ["POST"]) == []
    assert result["changed"] is False and reader.client("konnect-dcr") is None


def test_check_mode_does_not_send_the_secret_to_a_foreign_token_endpoint(runner, sandbox):
    create(runner, sandbox)
    lying_discovery(sandbox, token_endpoint=foreign_host(sandbox))
    result, text = run_with_output(runner, sandbox, check=True, secret=OTHER_SECRET)
    assert_clean_failure(result, text, "allow_insecure_token_endpoint")
    assert sandbox.requests(RUNTIME, ["POST"]) == [] and sandbox.writes(ADMIN) == []


def test_allow_insecure_token_endpoint_uses_it_with_a_warning(runner, sandbox):
    lying_discovery(sandbox, token_endpoint=foreign_host(sandbox))
    result = run(runner, sandbox, secret=SECRET, allow_insecure_token_endpoint=True)
    assert result["changed"] is True and result["verified"] is True, result
    assert any("allow_insecure_token_endpoint is true" in w for w in warnings_of(result))


def test_no_secret_in_clear_to_an_http_token_endpoint_of_an_https_issuer(runner, tls_sandbox):
    tls_sandbox.reset()
    https_endpoint = lying_discovery(tls_sandbox)["token_endpoint"]
    tls_sandbox.clear_faults()
    lying_discovery(tls_sandbox, token_endpoint=https_endpoint.replace("https://", "http://"))
    tls_sandbox.clear_requests()
    args = {"issuer": tls_sandbox.info["curity_issuer"], "secret": SECRET, "ca_path": tls_sandbox.info["ca_path"]}
    result, text = run_with_output(runner, tls_sandbox, **args)
    assert_clean_failure(result, text, "in clear", "allow_insecure_token_endpoint")
    assert_no_secrets(text, SECRET)
    assert tls_sandbox.writes(ADMIN) == [] and tls_sandbox.requests(RUNTIME, ["POST"]) == []
    tls_sandbox.reset()
