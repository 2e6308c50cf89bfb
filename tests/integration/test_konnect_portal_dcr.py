# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""konnect_portal_dcr against the sandbox: check mode, idempotency, secrets, errors, faults, removal."""

from __future__ import annotations

import json
import threading

import pytest

from konnect_helpers import (
    GENERATIONS,
    Portal,
    admin_get,
    admin_send,
    admin_session,
    assert_clear_failure,
    dcr_args,
    curity_args,
    named,
    prepare_curity,
    requests_of,
    state_changes,
    wait_for_request,
)

PROVIDERS = "/v2/dcr-providers"
STRATEGIES = "/v2/application-auth-strategies"


def portal_record(info, portal):
    return admin_get(info, "/%s/portals/%s" % (portal.generation, portal.id))


def published_strategy_ids(info, portal):
    if portal.generation == "v3":
        return admin_get(info, "/v3/apis/%s/publications/%s" % (portal.target_id, portal.id))["auth_strategy_ids"]
    ppv = admin_get(info, "/v2/portals/%s/product-versions/%s" % (portal.id, portal.target_id))
    return [s["id"] for s in ppv["auth_strategies"]]


@pytest.mark.parametrize("generation", GENERATIONS)
def test_check_mode_real_run_and_second_run(sandbox, runner, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    secret = prepare_curity(runner, sandbox)
    args = dcr_args(info, portal, secret)
    sandbox.clear_requests()

    checked, text = runner.module("konnect_portal_dcr", args, check=True, diff=True)
    assert checked["changed"] is True and checked["provider_id"] is None, text
    assert state_changes(sandbox) == [] and [r for r in requests_of(sandbox, "konnect") if r[0] != "GET"] == []

    applied, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert applied["changed"] is True and applied["verified"] is True, text
    assert applied["diff"] == checked["diff"]
    assert applied["portal_api"] == generation and applied["portal_id"] == portal.id
    assert applied["diff"]["after"]["dcr_provider"]["initial_client_secret"] == "********"
    # Konnect, read independently: provider, strategy linked to it, portal default, publication.
    provider = admin_get(info, "%s/%s" % (PROVIDERS, applied["provider_id"]))
    strategy = admin_get(info, "%s/%s" % (STRATEGIES, applied["strategy_id"]))
    assert provider["provider_type"] == "curity" and provider["dcr_config"] == {"initial_client_id": "konnect-dcr"}
    assert strategy["dcr_provider"]["id"] == provider["id"]
    assert strategy["configs"]["openid-connect"]["credential_claim"] == ["sub"]
    assert strategy["configs"]["openid-connect"]["scopes"] == []
    assert portal_record(info, portal)["default_application_auth_strategy_id"] == strategy["id"]
    assert published_strategy_ids(info, portal) == [strategy["id"]]

    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert again["changed"] is False and again["verified"] is True, text
    assert again["diff"] == {"before": {}, "after": {}}
    assert [r for r in requests_of(sandbox, "konnect") if r[0] != "GET"] == [
        ("POST", "%s/%s/verify" % (PROVIDERS, provider["id"]))]

    sandbox.clear_requests()
    converged, text = runner.module("konnect_portal_dcr", args, check=True)
    assert converged["changed"] is False and state_changes(sandbox) == [], text


def test_changes_are_patched_and_only_managed_fields_are_shown(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    # A form of the issuer that differs only by its discovery suffix is no change.
    same, text = runner.module("konnect_portal_dcr", dcr_args(
        info, portal, secret, issuer=info["curity_issuer"] + "/.well-known/openid-configuration/"))
    assert same["changed"] is False, text

    changed_args = dcr_args(info, portal, secret, display_name="Curity client credentials", claims=["client_id"],
                            labels={"team": "payments"}, oidc_config={"cache_tokens": False})
    sandbox.clear_requests()
    checked = runner.module("konnect_portal_dcr", changed_args, check=True, diff=True)[0]
    changed, text = runner.module("konnect_portal_dcr", changed_args, diff=True)
    assert changed["changed"] is True and changed["diff"] == checked["diff"], text
    before, after = changed["diff"]["before"], changed["diff"]["after"]
    assert sorted(after) == ["auth_strategy", "dcr_provider"]
    assert sorted(k for k in after["auth_strategy"] if after["auth_strategy"][k] != before["auth_strategy"].get(k)) == [
        "configs", "display_name", "labels"]
    assert after["auth_strategy"]["configs"]["openid-connect"]["credential_claim"] == ["client_id"]
    assert after["auth_strategy"]["configs"]["openid-connect"]["cache_tokens"] is False
    assert "cache_tokens" not in before["auth_strategy"]["configs"]["openid-connect"]
    assert before["dcr_provider"]["labels"] == {} and after["dcr_provider"]["labels"] == {"team": "payments"}
    assert "initial_client_secret" not in after["dcr_provider"]
    assert state_changes(sandbox) == [("konnect", "PATCH", "%s/%s" % (PROVIDERS, changed["provider_id"])),
                                      ("konnect", "PATCH", "%s/%s" % (STRATEGIES, changed["strategy_id"]))]
    strategy = admin_get(info, "%s/%s" % (STRATEGIES, changed["strategy_id"]))
    assert strategy["configs"]["openid-connect"]["cache_tokens"] is False
    again, text = runner.module("konnect_portal_dcr", changed_args)
    assert again["changed"] is False, text


def test_a_secret_rotated_in_curity_is_detected_and_sent_with_update_secret_always(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    old = prepare_curity(runner, sandbox)
    first, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, old))
    assert first["verified"] is True, text
    new = "Rotated-initial-secret-0123456789"
    rotated, text = runner.module("curity_token", curity_args(info, secret=new, update_secret="always"))
    assert rotated.get("failed") is not True, text

    sandbox.clear_requests()
    drifted, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, new))
    assert_clear_failure(drifted, text, "could not use the initial client of DCR provider 'curity'")
    assert "update_secret: always" in drifted["msg"] and drifted["verified"] is False
    assert drifted["changed"] is False and state_changes(sandbox) == []
    assert new not in text and old not in text

    fixed, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, new, update_secret="always"), diff=True)
    assert fixed["changed"] is True and fixed["verified"] is True, text
    assert list(fixed["diff"]["after"]) == ["dcr_provider"]
    assert fixed["diff"]["before"]["dcr_provider"].get("initial_client_secret") is None
    assert fixed["diff"]["after"]["dcr_provider"]["initial_client_secret"] == "********"
    assert state_changes(sandbox) == [("konnect", "PATCH", "%s/%s" % (PROVIDERS, fixed["provider_id"]))]
    # always means every run sends it, and says so.
    repeat = runner.module("konnect_portal_dcr", dcr_args(info, portal, new, update_secret="always"))[0]
    assert repeat["changed"] is True


def publication_of(info, portal):
    """The API publication (new portal) or portal product version (classic) of the test target, or None."""
    if portal.generation == "v3":
        path = "/v3/apis/%s/publications/%s" % (portal.target_id, portal.id)
    else:
        path = "/v2/portals/%s/product-versions/%s" % (portal.id, portal.target_id)
    response = admin_session(info).get(info["konnect_url"] + path, timeout=30)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def absent_args(info, portal, **extra):
    args = dict(dcr_args(info, portal, None), state="absent")
    args.update(extra)
    return args


@pytest.mark.parametrize("generation, apis", [("v3", "given"), ("v3", "not given"), ("v2", "given"),
                                              ("v2", "not given")])
def test_absent_keep_public_takes_the_strategy_out_of_the_publications_then_deletes(sandbox, runner, generation, apis):
    """orphaned_publications: keep_public, explicitly: the publications stay, without application auth."""
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    secret = prepare_curity(runner, sandbox)
    # The new portal's own default is its Key Auth strategy; the classic one has none.
    previous = portal_record(info, portal)["default_application_auth_strategy_id"]
    assert (previous is not None) == (generation == "v3")
    applied, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))  # publishes with apis
    assert applied["verified"] is True, text
    published = publication_of(info, portal)
    assert published_strategy_ids(info, portal) == [applied["strategy_id"]]
    absent = absent_args(info, portal, apis=[portal.target] if apis == "given" else None,
                         orphaned_publications="keep_public")

    sandbox.clear_requests()
    checked, text = runner.module("konnect_portal_dcr", absent, check=True, diff=True)
    assert checked["changed"] is True, text
    assert [r for r in requests_of(sandbox, "konnect") if r[0] != "GET"] == []
    label = "%s/%s" % (info["api_name"], "v1") if generation == "v3" else portal.target
    publication_key = "publication %s" % label
    assert checked["diff"] == {
        "before": {publication_key: {"auth_strategy_ids": ["curity"]},
                   "portal": {"default_application_auth_strategy": "curity"},
                   "auth_strategy": checked["diff"]["before"]["auth_strategy"],
                   "dcr_provider": checked["diff"]["before"]["dcr_provider"]},
        "after": {publication_key: {"auth_strategy_ids": []},
                  "portal": {"default_application_auth_strategy": "key-auth" if previous else None}}}
    assert checked["diff"]["before"]["auth_strategy"]["name"] == "curity"
    assert checked["diff"]["before"]["dcr_provider"]["initial_client_id"] == "konnect-dcr"

    removed, text = runner.module("konnect_portal_dcr", absent, diff=True)
    assert removed["changed"] is True and removed["diff"] == checked["diff"], text
    assert removed["published_without_auth"] == checked["published_without_auth"] == [label]
    assert removed["unpublished"] == [] and removed["deleted_applications"] == []
    assert removed["restored_default"] == checked["restored_default"] == ("key-auth" if previous else None)
    assert not removed.get("warnings"), removed.get("warnings")
    detach = ("PUT", "apis") if generation == "v3" else ("PATCH", "portals")
    assert [(r[1], r[2].split("/")[2]) for r in state_changes(sandbox)] == [
        detach, ("PATCH", "portals"), ("DELETE", "application-auth-strategies"), ("DELETE", "dcr-providers")]
    # Konnect, read independently: nothing left, the API still published (same settings) without the strategy.
    assert named(info, PROVIDERS, "curity") == [] and named(info, STRATEGIES, "curity") == []
    assert portal_record(info, portal)["default_application_auth_strategy_id"] == previous
    after = publication_of(info, portal)
    assert after is not None and (published_strategy_ids(info, portal) or []) == []
    if generation == "v3":
        assert after["auth_strategy_ids"] is None and after["visibility"] == published["visibility"]
    else:
        assert after["publish_status"] == "published"
        assert after["application_registration_enabled"] == published["application_registration_enabled"]

    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", absent, diff=True)
    assert again["changed"] is False and again["diff"] == {"before": {}, "after": {}}, text
    assert state_changes(sandbox) == []
    checked_again, text = runner.module("konnect_portal_dcr", absent, check=True)
    assert checked_again["changed"] is False, text


def test_absent_refuses_before_any_write_when_another_portal_uses_the_strategy(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v2")
    secret = prepare_curity(runner, sandbox)
    applied = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    # The new portal uses the strategy as its default and in the publication of its API.
    admin_send(info, "PATCH", "/v3/portals/%s" % info["portal_id"],
               {"default_application_auth_strategy_id": applied["strategy_id"]})
    admin_send(info, "PUT", "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]),
               {"auth_strategy_ids": [applied["strategy_id"]]})
    sandbox.clear_requests()
    for check in (True, False):
        removed, text = runner.module("konnect_portal_dcr", absent_args(info, portal), check=check)
        assert_clear_failure(removed, text, "refuses to delete the application auth strategy 'curity' because it is in use "
                                            "outside portal 'sandbox-classic-portal': ")
        assert "default of portal 'sandbox-portal'" in removed["msg"]
        assert "publication of API '%s/v1' on portal 'sandbox-portal'" % info["api_name"] in removed["msg"]
        assert "Nothing was changed" in removed["msg"]
    assert state_changes(sandbox) == []
    # Nothing was taken out of the classic portal either.
    assert len(named(info, PROVIDERS, "curity")) == 1
    assert published_strategy_ids(info, portal) == [applied["strategy_id"]]
    assert portal_record(info, portal)["default_application_auth_strategy_id"] == applied["strategy_id"]


def test_absent_refuses_before_any_write_when_another_strategy_uses_the_provider(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    applied = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    runner.module("konnect_portal_dcr", dcr_args(info, portal, secret, strategy_name="curity-other", apis=None,
                                                 set_portal_default=False, allow_duplicate=True))
    sandbox.clear_requests()
    removed, text = runner.module("konnect_portal_dcr", absent_args(info, portal))
    assert_clear_failure(removed, text, "refuses to delete the DCR provider 'curity' because it is in use: "
                                        "application auth strategy 'curity-other'")
    assert state_changes(sandbox) == [] and len(named(info, STRATEGIES, "curity")) == 1
    assert published_strategy_ids(info, portal) == [applied["strategy_id"]]


def test_a_conflict_konnect_still_answers_is_explained(sandbox, runner):
    """Something started using the strategy between the lookup and the deletion: Konnect's 409 names it."""
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    applied = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    sandbox.clear_requests()
    # The deletion is held back a moment, while the classic portal makes the strategy its default.
    sandbox.fault(service="konnect", method="DELETE", path_regex="^%s/" % STRATEGIES, delay_s=2)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(zip(("result", "text"), runner.module(
        "konnect_portal_dcr", absent_args(info, portal), diff=True))))
    worker.start()
    wait_for_request(sandbox, "PATCH", "/v3/portals/%s" % info["portal_id"])
    admin_send(info, "PATCH", "/v2/portals/%s" % info["classic_portal_id"],
               {"default_application_auth_strategy_id": applied["strategy_id"]})
    worker.join(120)
    removed, text = outcome["result"], outcome["text"]
    assert_clear_failure(removed, text, "refuses to delete the application auth strategy 'curity' because it is in use: "
                                        "default of portal 'sandbox-classic-portal' (Konnect answered HTTP 409")
    assert "This run already changed: publication %s/v1, portal." % info["api_name"] in removed["msg"]
    assert removed["changed"] is True and "auth_strategy" in removed["diff"]["before"]
    assert [r[1] for r in state_changes(sandbox)] == ["DELETE", "PATCH", "PATCH", "DELETE"]  # unpublished, default back
    assert len(named(info, PROVIDERS, "curity")) == 1
    # Once the classic portal no longer uses it, the next run finishes the removal.
    admin_send(info, "PATCH", "/v2/portals/%s" % info["classic_portal_id"], {"default_application_auth_strategy_id": None})
    again, text = runner.module("konnect_portal_dcr", absent_args(info, portal), diff=True)
    assert again["changed"] is True and list(again["diff"]["after"]) == [], text
    assert named(info, PROVIDERS, "curity") == [] and named(info, STRATEGIES, "curity") == []


# --------------------------------------------------------------------------- the initial client secret
def test_the_secret_is_not_needed_while_the_provider_exists(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    without = {k: v for k, v in dcr_args(info, portal, None).items() if k != "initial_client_secret"}
    sandbox.clear_requests()
    same, text = runner.module("konnect_portal_dcr", without, diff=True)
    assert same["changed"] is False and same["verified"] is True, text
    assert state_changes(sandbox) == []
    # Other changes are applied without it; the secret is not sent.
    changed_args = dict(without, display_name="Curity without secret", labels={"team": "orders"})
    checked, text = runner.module("konnect_portal_dcr", changed_args, check=True, diff=True)
    changed, text = runner.module("konnect_portal_dcr", changed_args, diff=True)
    assert changed["changed"] is True and changed["verified"] is True and changed["diff"] == checked["diff"], text
    assert "initial_client_secret" not in json.dumps(changed["diff"])
    # verified: the secret Konnect keeps (sent on creation) still works, so nothing overwrote it.
    provider = admin_get(info, "%s/%s" % (PROVIDERS, changed["provider_id"]))
    assert provider["labels"] == {"team": "orders"}


@pytest.mark.parametrize("check", [True, False], ids=["check mode", "real run"])
def test_a_provider_to_create_without_the_secret_fails_before_any_write(sandbox, runner, check):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    without = {k: v for k, v in dcr_args(info, portal, None).items() if k != "initial_client_secret"}
    result, text = runner.module("konnect_portal_dcr", without, check=check)
    assert_clear_failure(result, text, "initial_client_secret is required: the DCR provider 'curity' does not exist, "
                                       "and Konnect needs the secret of the initial client 'konnect-dcr' to create it")
    assert state_changes(sandbox) == [] and named(info, PROVIDERS, "curity") == []


def test_update_secret_always_needs_the_secret_before_any_request(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    args = dict(dcr_args(info, portal, None), update_secret="always")
    result, text = runner.module("konnect_portal_dcr", args)
    assert_clear_failure(result, text, "initial_client_secret is required with update_secret: always")
    assert requests_of(sandbox, "konnect") == []


BAD_INPUTS = [
    ({"issuer": None}, "issuer"),
    ({"issuer": "idsvr.example.com/oauth"}, "issuer must be an absolute http:// or https:// URL"),
    ({"scopes": ["openid"]}, "prevents the client credentials flow"),
    ({"claims": []}, "claims must name at least one credential claim"),
    ({"auth_methods": ["magic"]}, "auth_methods"),
    ({"labels": {"kong-team": "x"}}, "must not start with kong"),
    ({"oidc_config": {"issuer": "https://other.example"}}, "oidc_config must not set issuer"),
    ({"konnect_url": "https://eu.api.konghq.com/v2"}, "without an API version"),
    ({"konnect_url": "ftp://eu.api.konghq.com"}, "konnect_url must be an absolute http"),
    ({"konnect_token": None}, "konnect_token is required"),
    ({"timeout": 0}, "timeout must be at least 1 second"),
    ({"provider_name": "x" * 257}, "provider_name must be 1 to 256 characters"),
    ({"strategy_name": "x" * 257}, "strategy_name must be 1 to 256 characters"),
    ({"display_name": "x" * 257}, "display_name must be 1 to 256 characters"),
    ({"initial_client_id": "c" * 257}, "initial_client_id must be 1 to 256 characters"),
    ({"initial_client_secret": "Long-secret-" + "s" * 250}, "initial_client_secret must be at most 256 characters"),
    ({"issuer": "https://idsvr.example.com/" + "o" * 240}, "issuer is longer than the 256 characters"),
    ({"claims": ["sub"] * 11}, "claims accepts at most 10 items"),
    ({"claims": ["c" * 129]}, "claims: item 1"),
    ({"scopes": ["s%d" % i for i in range(51)]}, "scopes accepts at most 50 items"),
    ({"scopes": ["read", "s" * 129]}, "scopes: item 2"),
    ({"auth_methods": ["bearer"] * 11}, "auth_methods accepts at most 10 items"),
    ({"labels": {"env": "x" * 64}}, "labels: the value of 'env'"),
    ({"konnect_token": "kpat_wrong"}, "returned HTTP 401"),
    ({"portal": "no-such-portal"}, "No Dev Portal 'no-such-portal' found"),
    ({"portal_api": "v2"}, "No Dev Portal 'sandbox-portal' found (looked at /v2/portals)"),
    ({"apis": ["no-such-api"]}, "No API 'no-such-api' found. APIs: demo-api/v1."),
]


@pytest.mark.parametrize("change, words", BAD_INPUTS, ids=[case[1][:40] for case in BAD_INPUTS])
def test_bad_input_fails_clearly_before_any_write(sandbox, runner, change, words):
    args = dcr_args(sandbox.info, Portal(sandbox.info, "v3"), "Initial-secret-for-bad-input-tests")
    args.update(change)
    result, text = runner.module("konnect_portal_dcr", args)
    assert_clear_failure(result, text, words)
    assert state_changes(sandbox) == []
    assert "Initial-secret-for-bad-input-tests" not in text and sandbox.info["konnect_token"] not in text


def test_objects_of_another_type_or_duplicated_are_refused(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    admin_send(info, "POST", PROVIDERS, {"name": "curity", "provider_type": "okta", "issuer": "https://okta.example",
                                         "dcr_config": {"dcr_token": "okta-token-value"}})
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, "Initial-secret-type-test"))
    assert_clear_failure(result, text, "exists with provider_type 'okta', which cannot be changed to curity")
    admin_send(info, "POST", PROVIDERS, {"name": "twin", "provider_type": "curity", "issuer": "https://a.example",
                                         "dcr_config": {"initial_client_id": "a", "initial_client_secret": "b"}})
    twin = admin_send(info, "POST", PROVIDERS, {"name": "twin", "provider_type": "curity", "issuer": "https://a.example",
                                                "dcr_config": {"initial_client_id": "a", "initial_client_secret": "b"}})
    sandbox.clear_requests()
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, "Initial-secret-type-test", provider_name="twin"))
    assert_clear_failure(result, text, "2 DCR providers are named 'twin'")
    assert twin["id"] in result["msg"] and state_changes(sandbox) == []


def test_transient_faults_on_reads_and_patch_are_retried(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    sandbox.fault(service="konnect", method="GET", path_regex="^/v2/dcr-providers$", status=503)
    sandbox.fault(service="konnect", method="PATCH", path_regex="^/v3/portals/", status=429, retry_after=0)
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert result["changed"] is True and result["verified"] is True, text
    warnings = json.dumps(result.get("warnings", []))
    assert "after HTTP 503" in warnings and "after HTTP 429" in warnings
    assert [e["status"] for e in sandbox.requests("konnect", ["PATCH"])] == [429, 200]


@pytest.mark.parametrize("path", [PROVIDERS, STRATEGIES])
def test_a_reset_after_a_post_is_never_answered_by_a_second_post(sandbox, runner, path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    sandbox.fault(service="konnect", method="POST", path_regex="^%s$" % path, reset_connection=True)
    failed, failed_text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert failed.get("failed") is True and "Traceback" not in failed_text, failed_text
    assert len([e for e in sandbox.requests("konnect", ["POST"]) if e["path"] == path]) == 1
    again, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert again["verified"] is True, text
    assert len(named(info, PROVIDERS, "curity")) == 1 and len(named(info, STRATEGIES, "curity")) == 1
    # Checked last: the sandbox must really drop the connection for this message (see the report on core.py).
    assert_clear_failure(failed, failed_text, "not retried")


def test_a_creation_whose_answer_is_lost_is_found_by_the_next_run(sandbox, runner):
    """Konnect created the strategy but the answer came too late: the re-run must not create a second one."""
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    sandbox.fault(service="konnect", method="POST", path_regex="^%s$" % STRATEGIES, delay_s=1.5)
    failed, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret, timeout=1))
    assert_clear_failure(failed, text, "timed out")
    wait_for_request(sandbox, "POST", STRATEGIES)  # the slow creation finished on the server
    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert again["verified"] is True, text
    assert ("konnect", "POST", STRATEGIES) not in state_changes(sandbox)
    assert len(named(info, STRATEGIES, "curity")) == 1
