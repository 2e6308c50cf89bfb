# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""devportal.dcr.curity_claim against the sandbox, asserting the requests actually sent."""

from __future__ import annotations

import time

import pytest

from curity_helpers import (SERVER_PATH, CurityReader, assert_clean_failure, assert_no_secrets, calls, run_module, verbs,
                            warnings_of, write_playbook)

CLAIMS_PATH = "/admin/api/restconf" + SERVER_PATH + "/claims"
PROVIDER = "account-manager-claims-provider"  # the value provider of the seed configuration
WANTED = [
    {"name": "kong_app_name", "description": "Application name", "value_provider": PROVIDER, "attribute": "app_name",
     "in_access_token": True, "in_id_token": False},
    {"name": "urn:kong:tenant", "required": False, "expose_in_metadata": False},
]


@pytest.fixture
def reader(sandbox):
    return CurityReader(sandbox)


def run_with_output(runner, sandbox, **args):
    return run_module(runner, sandbox, "curity_claim", **args)


def run(runner, sandbox, **args):
    return run_with_output(runner, sandbox, **args)[0]


def writes(sandbox):
    return [c for c in calls(sandbox) if c[0] != "GET"]


def converge(runner, sandbox, claims=None):
    result = run(runner, sandbox, claims=claims or WANTED)
    assert result["changed"] is True, result


def seed_claims(reader):
    return [n for n in reader.claim_names() if n not in ("kong_app_name", "urn:kong:tenant")]


def test_check_mode_then_converge_then_idempotent(runner, sandbox, reader):
    checked = run(runner, sandbox, check=True, claims=WANTED)
    assert checked["changed"] is True and verbs(sandbox) == ["GET"]
    assert reader.claim("kong_app_name") is None

    applied = run(runner, sandbox, claims=WANTED)
    assert applied["changed"] is True and applied["diff"] == checked["diff"]
    assert applied["diff"]["after"]["kong_app_name"] == {"description": "Application name", "value_provider": PROVIDER,
                                                         "attribute": "app_name", "in_access_token": True,
                                                         "in_id_token": False}
    assert writes(sandbox) == [("PATCH", CLAIMS_PATH)] and verbs(sandbox) == ["GET", "PATCH", "GET"]
    assert applied["claims"] == checked["claims"]
    assert applied["claims"][0]["claims_mapper"] == "default" and applied["claims"][0]["in_userinfo"] is False
    assert reader.claim("kong_app_name") == {"name": "kong_app_name", "description": "Application name",
                                             "value-provided-by": PROVIDER,
                                             "transformation": {"input-attribute-names": ["app_name"]}}
    assert reader.claim("urn:kong:tenant") == {"name": "urn:kong:tenant", "required": False, "expose-in-metadata": False}
    mapper = reader.mapper()
    assert mapper["access_token"]["claim"] == ["kong_app_name"]
    assert "kong_app_name" not in mapper["id_token"]["claim"] and "email" in mapper["id_token"]["claim"]

    again = run(runner, sandbox, claims=list(reversed(WANTED)))
    assert again["changed"] is False and verbs(sandbox) == ["GET"]


def test_one_field_change_is_one_merge(runner, sandbox, reader):
    converge(runner, sandbox)
    result = run(runner, sandbox, name="kong_app_name", description="Dev Portal application")
    assert result["diff"] == {"before": {"kong_app_name": {"description": "Application name"}},
                              "after": {"kong_app_name": {"description": "Dev Portal application"}}}
    assert writes(sandbox) == [("PATCH", CLAIMS_PATH)]
    claim = reader.claim("kong_app_name")
    assert claim["description"] == "Dev Portal application" and claim["value-provided-by"] == PROVIDER


def test_leaving_a_token_and_changing_the_attribute_replace_the_claims(runner, sandbox, reader):
    converge(runner, sandbox)
    result = run(runner, sandbox, claims=[{"name": "email", "in_id_token": False},
                                          {"name": "kong_app_name", "attribute": "client_name"}])
    assert sorted(result["diff"]["after"]) == ["email", "kong_app_name"]
    assert writes(sandbox) == [("PUT", CLAIMS_PATH)]
    mapper = reader.mapper()
    assert "email" not in mapper["id_token"]["claim"] and "email" in mapper["userinfo"]["claim"]
    assert mapper["access_token"]["claim"] == ["kong_app_name"]
    assert reader.claim("kong_app_name")["transformation"] == {"input-attribute-names": ["client_name"]}
    assert reader.claim("kong_app_name")["value-provided-by"] == PROVIDER
    assert reader.get(SERVER_PATH + "/claims/claims-value-provider") is not None


def test_absent_deletes_and_takes_the_claim_out_of_the_mapper(runner, sandbox, reader):
    converge(runner, sandbox)
    checked = run(runner, sandbox, check=True, claims=[{"name": "kong_app_name"}], state="absent")
    assert checked["changed"] is True and sandbox.writes("curity-admin") == []
    result = run(runner, sandbox, claims=[{"name": "kong_app_name"}], state="absent")
    assert result["diff"] == checked["diff"] and list(result["diff"]["before"]) == ["kong_app_name"]
    assert result["claims"] == [] and writes(sandbox) == [("PUT", CLAIMS_PATH)]
    assert reader.claim("kong_app_name") is None and "claim" not in reader.mapper().get("access_token", {})
    assert run(runner, sandbox, name="kong_app_name", state="absent")["changed"] is False


def test_absent_of_an_unmapped_claim_is_one_delete_by_encoded_key(runner, sandbox, reader):
    converge(runner, sandbox)
    run(runner, sandbox, name="urn:kong:tenant", state="absent")
    # the claims, the scopes (a claim a scope uses cannot go), the DELETE, the claims read back
    assert [c[0] for c in calls(sandbox)] == ["GET", "GET", "DELETE", "GET"]
    assert reader.claim("urn:kong:tenant") is None and reader.claim("kong_app_name") is not None


def test_deleting_a_claim_a_scope_uses_is_refused_before_any_write(runner, sandbox, reader):
    result, text = run_with_output(runner, sandbox, claims=[{"name": "email"}, {"name": "phone_number"}], state="absent")
    assert_clean_failure(result, text, "'email' is used by scope 'email'", "'phone_number' is used by scope 'phone'",
                         "curity_scope")
    assert verbs(sandbox) == ["GET", "GET"] and reader.claim("email") is not None


def test_exclusive_deletes_only_unlisted_claims(runner, sandbox, reader):
    converge(runner, sandbox)
    keep = [{"name": n} for n in seed_claims(reader)] + [WANTED[0]]
    checked = run(runner, sandbox, check=True, claims=keep, exclusive=True)
    assert list(checked["diff"]["before"]) == ["urn:kong:tenant"] and sandbox.writes("curity-admin") == []
    result = run(runner, sandbox, claims=keep, exclusive=True)
    assert result["diff"] == checked["diff"] and writes(sandbox) == [("DELETE", CLAIMS_PATH + "/claim=urn:kong:tenant")]
    assert reader.claim("urn:kong:tenant") is None


def test_request_budget_with_1000_claims(runner, sandbox, reader):
    many = [{"name": "c%04d" % i, "value_provider": PROVIDER, "in_access_token": True} for i in range(1000)]
    started = time.monotonic()
    converge(runner, sandbox, many)
    assert verbs(sandbox) == ["GET", "PATCH", "GET"]
    assert len(reader.mapper()["access_token"]["claim"]) == 1000
    result = run(runner, sandbox, claims=many, diff=False)
    assert result["changed"] is False and verbs(sandbox) == ["GET"]
    many[7] = dict(many[7], in_access_token=False)
    result = run(runner, sandbox, claims=many)
    assert list(result["diff"]["after"]) == ["c0007"] and verbs(sandbox) == ["GET", "PUT", "GET"]
    assert "c0007" not in reader.mapper()["access_token"]["claim"] and reader.claim("c0007") is not None
    assert time.monotonic() - started < 60


BAD_INPUTS = [
    ({"claims": [{"description": "no name"}]}, ["missing required arguments: name"]),
    ({"name": "a", "claims": [{"name": "b"}]}, ["mutually exclusive"]),
    ({"in_access_token": True}, ["one of the following is required: name, claims"]),
    ({"name": "a", "in_access_token": "sometimes"}, ["in_access_token"]),
    ({"name": "a", "required": [1]}, ["required"]),
    ({"name": "a", "state": "deleted"}, ["state"]),
    ({"name": "a", "value_provider": "no-such-provider"}, ["'no-such-provider'", PROVIDER]),
    ({"name": "a", "in_userinfo": True, "claims_mapper": "no-such-mapper"}, ["'no-such-mapper'", "in_userinfo"]),
    ({"claims": [{"name": "a"}, {"name": "a"}]}, ["listed twice"]),
    ({"name": " a"}, ["surrounding spaces"]),
    ({"name": "a", "state": "absent", "exclusive": True}, ["exclusive"]),
    ({"name": "a", "admin_url": "idsvr:6749/admin"}, ["admin_url", "absolute"]),
    ({"name": "a", "timeout": 0}, ["timeout"]),
    ({"name": "a", "admin_password": "wrong-password"}, ["HTTP 401", "admin_password"]),
    ({"name": "a", "profile_id": "no-such-profile"}, ["'no-such-profile'", "CURITY_PROFILE_ID"]),
]


@pytest.mark.parametrize("args, words", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_fails_cleanly_before_any_write(runner, sandbox, args, words):
    result, text = run_with_output(runner, sandbox, **args)
    assert_clean_failure(result, text, *words)
    assert sandbox.writes("curity-admin") == []


def test_503_on_the_write_is_retried(runner, sandbox, reader):
    sandbox.fault(service="curity-admin", method="PATCH", path_regex="/claims$", status=503, count=1)
    result = run(runner, sandbox, claims=WANTED)
    assert result["changed"] is True and any("HTTP 503" in w for w in warnings_of(result))
    assert [e["status"] for e in sandbox.requests("curity-admin", ["PATCH"])] == [503, 204]
    assert reader.claim("kong_app_name") is not None


def test_429_on_the_read_honours_retry_after(runner, sandbox):
    sandbox.fault(service="curity-admin", method="GET", path_regex="/claims$", status=429, retry_after=1, count=1)
    started = time.monotonic()
    result = run(runner, sandbox, name="email")
    assert time.monotonic() - started >= 1.0
    assert result["changed"] is False and any("HTTP 429" in w for w in warnings_of(result))
    assert [e["status"] for e in sandbox.requests("curity-admin")] == [429, 200]


def test_persistent_500_on_the_read_is_a_clear_error(runner, sandbox):
    sandbox.fault(service="curity-admin", method="GET", path_regex="/claims$", status=500, count=10)
    result, text = run_with_output(runner, sandbox, claims=WANTED)
    assert_clean_failure(result, text, "HTTP 500", "GET")
    assert sandbox.writes("curity-admin") == []


def test_no_secret_in_verbose_diff_output(runner, sandbox, tmp_path):
    tasks = [{"name": "claims (check)", "devportal.dcr.curity_claim": {"claims": WANTED}, "check_mode": True},
             {"name": "claims", "devportal.dcr.curity_claim": {"claims": WANTED}},
             {"name": "in use", "devportal.dcr.curity_claim": {"name": "email", "state": "absent"}, "ignore_errors": True}]
    defaults = {"group/devportal.dcr.curity": {"admin_url": "{{ url }}", "admin_password": "{{ password }}"}}
    playbook = write_playbook(tmp_path, "claim.yml", tasks, module_defaults=defaults)
    extra = {"url": sandbox.info["curity_admin_url"], "password": sandbox.info["curity_admin_password"]}
    rc, out = runner.playbook(playbook, extra_vars=extra, diff=True, verbosity=4)
    assert rc == 0, out[-3000:]
    assert out.count("changed: [localhost]") == 2 and "kong_app_name" in out and "is used by scope" in out
    assert_no_secrets(out, sandbox.info["curity_admin_password"])
