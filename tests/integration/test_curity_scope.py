# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""devportal.dcr.curity_scope against the sandbox, asserting the requests actually sent."""

from __future__ import annotations

import time

import pytest

from curity_helpers import (SERVER_PATH, CurityReader, assert_clean_failure, assert_no_secrets, calls, run_module, verbs,
                            warnings_of, write_playbook)

SCOPES_PATH = "/admin/api/restconf" + SERVER_PATH + "/scopes"
CLAIMS_PATH = "/admin/api/restconf" + SERVER_PATH + "/claims"
CLAIM = "email"  # a claim of the seed configuration
SEED_SCOPES = ["address", "email", "openid", "phone", "profile"]
WANTED = [
    {"name": "kong-api", "description": "Konnect APIs", "claims": [CLAIM], "time_to_live": 3600},
    {"name": "stocks/read", "description": "Read stock levels"},
    {"name": "urn:kong:admin", "required": False, "expose_in_metadata": False},
]


@pytest.fixture
def reader(sandbox):
    return CurityReader(sandbox)


def run_with_output(runner, sandbox, **args):
    return run_module(runner, sandbox, "curity_scope", **args)


def run(runner, sandbox, **args):
    return run_with_output(runner, sandbox, **args)[0]


def converge(runner, sandbox, scopes=None):
    result = run(runner, sandbox, scopes=scopes or WANTED)
    assert result["changed"] is True, result


def test_check_mode_then_converge_then_idempotent(runner, sandbox, reader):
    checked = run(runner, sandbox, check=True, scopes=WANTED)
    assert checked["changed"] is True
    # plain GETs of the scopes, then of the claims (a new scope names one: it must exist)
    assert calls(sandbox) == [("GET", SCOPES_PATH), ("GET", CLAIMS_PATH)] and sandbox.writes("curity-admin") == []
    assert reader.scope("kong-api") is None

    applied = run(runner, sandbox, scopes=WANTED)
    assert applied["changed"] is True and applied["diff"] == checked["diff"]
    assert applied["diff"]["before"] == {}
    assert applied["diff"]["after"]["stocks/read"] == {"description": "Read stock levels"}
    assert calls(sandbox) == [("GET", SCOPES_PATH), ("GET", CLAIMS_PATH), ("PATCH", SCOPES_PATH), ("GET", SCOPES_PATH)]
    assert applied["scopes"] == checked["scopes"]
    assert reader.scope("kong-api") == {"id": "kong-api", "description": "Konnect APIs", "claims": [CLAIM],
                                        "time-to-live": 3600}
    assert reader.scope("urn:kong:admin") == {"id": "urn:kong:admin", "required": False, "expose-in-metadata": False}

    again = run(runner, sandbox, scopes=list(reversed(WANTED)))
    assert again["changed"] is False and calls(sandbox) == [("GET", SCOPES_PATH)]  # no new claim: nothing else read
    assert again["diff"] == {"before": {}, "after": {}}


def test_one_field_change_is_one_merge_of_that_field(runner, sandbox, reader):
    converge(runner, sandbox)
    changed = [dict(WANTED[0], description="New text")] + WANTED[1:]
    result = run(runner, sandbox, scopes=changed)
    managed = {"claims": [CLAIM], "time_to_live": 3600}
    assert result["diff"] == {"before": {"kong-api": dict(managed, description="Konnect APIs")},
                              "after": {"kong-api": dict(managed, description="New text")}}
    assert [c for c in calls(sandbox) if c[0] != "GET"] == [("PATCH", SCOPES_PATH)]
    assert reader.scope("kong-api") == {"id": "kong-api", "description": "New text", "claims": [CLAIM],
                                        "time-to-live": 3600}
    assert reader.scope("email")["claims"] == ["email", "email_verified"]


def test_dropping_a_claim_and_unsetting_a_field_replace_the_scopes(runner, sandbox, reader):
    converge(runner, sandbox)
    result = run(runner, sandbox, name="kong-api", claims=[], description="")
    assert result["changed"] is True
    assert [c for c in calls(sandbox) if c[0] != "GET"] == [("PUT", SCOPES_PATH)]
    assert reader.scope("kong-api") == {"id": "kong-api", "time-to-live": 3600}
    assert set(SEED_SCOPES + ["stocks/read", "urn:kong:admin"]) <= set(reader.scope_ids())
    assert run(runner, sandbox, name="kong-api", claims=[], description="")["changed"] is False


def test_absent_deletes_one_scope_by_its_encoded_key_and_is_idempotent(runner, sandbox, reader):
    converge(runner, sandbox)
    checked = run(runner, sandbox, check=True, name="stocks/read", state="absent")
    assert checked["changed"] is True and sandbox.writes("curity-admin") == []
    result = run(runner, sandbox, name="stocks/read", state="absent")
    assert result["diff"] == checked["diff"] == {
        "before": {"stocks/read": {"description": "Read stock levels", "claims": [], "required": False,
                                   "expose_in_metadata": True, "is_prefix": False}},
        "after": {}}
    assert result["scopes"] == []
    assert [c[0] for c in calls(sandbox)] == ["GET", "DELETE", "GET"]
    assert reader.scope("stocks/read") is None and reader.scope("urn:kong:admin") is not None
    assert run(runner, sandbox, name="stocks/read", state="absent")["changed"] is False


def test_absent_of_several_scopes_is_one_write(runner, sandbox, reader):
    converge(runner, sandbox)
    result = run(runner, sandbox, scopes=[{"name": "stocks/read"}, {"name": "urn:kong:admin"}], state="absent")
    assert sorted(result["diff"]["before"]) == ["stocks/read", "urn:kong:admin"]
    assert [c for c in calls(sandbox) if c[0] != "GET"] == [("PUT", SCOPES_PATH)]
    assert set(reader.scope_ids()) == set(SEED_SCOPES + ["kong-api"])


def test_exclusive_shows_then_deletes_unlisted_scopes(runner, sandbox, reader):
    keep = [{"name": s} for s in ("openid", "profile", "email")] + [{"name": "kong-api", "claims": [CLAIM]}]
    checked = run(runner, sandbox, check=True, scopes=keep, exclusive=True)
    assert sorted(checked["diff"]["before"]) == ["address", "phone"] and sandbox.writes("curity-admin") == []
    assert checked["diff"]["after"] == {"kong-api": {"claims": [CLAIM]}}
    result = run(runner, sandbox, scopes=keep, exclusive=True)
    assert result["diff"] == checked["diff"]
    assert [c for c in calls(sandbox) if c[0] != "GET"] == [("PUT", SCOPES_PATH)]
    assert sorted(reader.scope_ids()) == ["email", "kong-api", "openid", "profile"]


def test_exclusive_deleting_a_scope_a_client_uses_fails_cleanly(runner, sandbox, reader):
    result, text = run_with_output(runner, sandbox, scopes=[{"name": "email"}], exclusive=True)
    assert_clean_failure(result, text, "HTTP 400", "web-client")
    assert set(reader.scope_ids()) == set(SEED_SCOPES)


def test_connection_from_the_environment(runner, sandbox):
    env = {"CURITY_ADMIN_URL": sandbox.info["curity_admin_url"] + "/data/",
           "CURITY_ADMIN_PASSWORD": sandbox.info["curity_admin_password"], "CURITY_PROFILE_ID": "token-service"}
    sandbox.clear_requests()
    result = runner.module("curity_scope", {"name": "openid"}, env=env)[0]
    assert result["changed"] is False and result["scopes"][0]["name"] == "openid", result


def test_request_budget_with_1000_scopes(runner, sandbox, reader):
    many = [{"name": "api:%04d" % i, "description": "scope %d" % i, "claims": [CLAIM]} for i in range(1000)]
    started = time.monotonic()
    converge(runner, sandbox, many)
    assert verbs(sandbox) == ["GET", "GET", "PATCH", "GET"]  # the claims read once for the 1000 scopes
    result = run(runner, sandbox, scopes=many)
    assert result["changed"] is False and verbs(sandbox) == ["GET"]
    many[500] = dict(many[500], claims=[])
    result = run(runner, sandbox, scopes=many, diff=False)
    assert list(result["diff"]["after"]) == ["api:0500"] and verbs(sandbox) == ["GET", "PUT", "GET"]
    assert reader.scope("api:0500") == {"id": "api:0500", "description": "scope 500"}
    assert len(reader.scope_ids()) == 1005
    assert time.monotonic() - started < 60


BAD_INPUTS = [
    ({"scopes": [{"description": "no name"}]}, ["missing required arguments: name"]),
    ({"name": "a", "scopes": [{"name": "b"}]}, ["mutually exclusive"]),
    ({"description": "nothing named"}, ["one of the following is required: name, scopes"]),
    ({"name": "a", "time_to_live": "soon"}, ["time_to_live"]),
    ({"name": "a", "required": "perhaps"}, ["required"]),
    ({"scopes": ["not-a-dict"]}, ["dictionary requested"]),
    ({"name": "a", "state": "gone"}, ["state", "present, absent"]),
    ({"name": "a", "colour": "red"}, ["Unsupported parameters", "colour"]),
    ({"name": "a", "claims": ["no_such_claim"]}, ["'no_such_claim'", "curity_claim"]),
    ({"name": "a", "is_prefix": True, "claims": [CLAIM]}, ["prefix scope"]),
    ({"name": "a", "time_to_live": -5}, ["time_to_live", "between 0 and"]),
    ({"scopes": [{"name": "a"}, {"name": "a"}]}, ["listed twice"]),
    ({"name": "a", "state": "absent", "exclusive": True}, ["exclusive"]),
    ({"name": "a", "admin_url": "ftp://idsvr/admin"}, ["admin_url", "absolute"]),
    ({"name": "a", "admin_url": "https://admin:hunter2@idsvr/admin"}, ["credentials"]),
    ({"name": "a", "ca_path": "/nonexistent/ca.pem"}, ["ca_path"]),
    ({"name": "a", "admin_password": "wrong-password"}, ["HTTP 401", "admin_password"]),
    ({"name": "a", "profile_id": "no-such-profile"}, ["'no-such-profile'", "404", "CURITY_PROFILE_ID"]),
]


@pytest.mark.parametrize("args, words", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_fails_cleanly_before_any_write(runner, sandbox, args, words):
    result, text = run_with_output(runner, sandbox, **args)
    assert_clean_failure(result, text, *words)
    assert sandbox.writes("curity-admin") == []
    assert "hunter2" not in text


def test_missing_password_fails_cleanly(runner, sandbox):
    sandbox.clear_requests()
    result, text = runner.module("curity_scope", {"admin_url": sandbox.info["curity_admin_url"], "name": "a"})
    assert_clean_failure(result, text, "admin_password")
    assert sandbox.requests("curity-admin") == []


def test_503_on_the_read_is_retried(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="GET", path_regex="/scopes$", status=503, count=1)
    result = run(runner, sandbox, name="kong-api", description="d")
    assert result["changed"] is True and any("HTTP 503" in w for w in warnings_of(result))
    assert verbs(sandbox) == ["GET", "GET", "PATCH", "GET"]
    assert reader.scope("kong-api")["description"] == "d"


def test_429_on_the_write_honours_retry_after(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", path_regex="/scopes$", status=429, retry_after=1, count=1)
    started = time.monotonic()
    result = run(runner, sandbox, name="kong-api", description="d")
    assert time.monotonic() - started >= 1.0
    assert result["changed"] is True and any("HTTP 429" in w for w in warnings_of(result))
    assert [e["status"] for e in sandbox.requests("curity-admin", ["PATCH"])] == [429, 204]
    assert reader.scope("kong-api")["description"] == "d"


def test_persistent_500_is_a_clear_error(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", path_regex="/scopes$", status=500, count=10)
    result, text = run_with_output(runner, sandbox, name="kong-api", description="d")
    assert_clean_failure(result, text, "HTTP 500", "PATCH", "Internal Server Error")
    assert reader.scope("kong-api") is None


def test_no_secret_in_verbose_diff_output(runner, sandbox, tmp_path):
    scope = {"name": "kong-api", "description": "d"}
    tasks = [{"name": "scope (check)", "devportal.dcr.curity_scope": scope, "check_mode": True},
             {"name": "scope", "devportal.dcr.curity_scope": scope},
             {"name": "wrong password", "devportal.dcr.curity_scope": dict(scope, admin_password="{{ wrong }}"),
              "ignore_errors": True}]
    defaults = {"group/devportal.dcr.curity": {"admin_url": "{{ url }}", "admin_password": "{{ password }}"}}
    playbook = write_playbook(tmp_path, "scope.yml", tasks, module_defaults=defaults)
    extra = {"url": sandbox.info["curity_admin_url"], "password": sandbox.info["curity_admin_password"],
             "wrong": "wrong-pw-5d1c"}
    rc, out = runner.playbook(playbook, extra_vars=extra, diff=True, verbosity=4)
    assert rc == 0, out[-3000:]
    assert out.count("changed: [localhost]") == 2 and "HTTP 401" in out
    assert_no_secrets(out, sandbox.info["curity_admin_password"], "wrong-pw-5d1c")
