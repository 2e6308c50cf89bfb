# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Kong's own tools show of Konnect, through the modules: a verification that fails with a 4xx, refusals right
after set-up (eventual consistency), the portal's own default strategy, a refused provider deletion, and answers
whose fields are not of the expected type."""

from __future__ import annotations

import threading

import pytest

from konnect_helpers import (
    GENERATIONS,
    Portal,
    admin_args,
    admin_get,
    admin_send,
    app_args,
    applications,
    assert_clear_failure,
    dcr_args,
    named,
    prepare_curity,
    prepare_portal,
    wait_for_request,
)

PROVIDERS = "/v2/dcr-providers"
STRATEGIES = "/v2/application-auth-strategies"
SOME_ID = "7d1a3a9e-64e2-4b53-9c0f-2f3f1e0a6b10"
FAILED = {"status": "failed", "errors": ["Unable to create the DCR application"]}


def page(items):
    return {"data": items, "meta": {"page": {"number": 1, "size": 100, "total": len(items)}}}


def warnings(result):
    """The texts of a module result's warnings (ansible-core gives them as strings or as warning events)."""
    found = []
    for warning in result.get("warnings") or []:
        if isinstance(warning, dict):
            warning = (warning.get("event") or warning).get("msg")
        found.append(warning)
    return found


def absent_args(info, portal, **extra):
    return dict(dcr_args(info, portal, None), state="absent", **extra)


def logged(sandbox, service, path_regex_suffix):
    """(method, status) of the logged requests of ``service`` whose path ends with the suffix."""
    return [(e["method"], e["status"]) for e in sandbox.requests(service) if e["path"].endswith(path_regex_suffix)]


def in_thread(runner, name, args, **kwargs):
    """Run a module on another thread; returns (thread, outcome dict filled with result and text)."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(zip(("result", "text"), runner.module(name, args, **kwargs))))
    worker.start()
    return worker, outcome


# --------------------------------------------------------------------------- 1. verification answered with a 4xx
def test_a_failed_verification_answered_with_a_4xx_is_the_explained_failure(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    first, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert first["verified"] is True, text
    for check in (True, False):  # check mode verifies a provider it keeps, as the real run does
        sandbox.fault(service="konnect", method="POST", path_regex="/verify$", status=400, body=FAILED)
        result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret), check=check)
        assert_clear_failure(result, text, "Konnect could not use the initial client of DCR provider 'curity': "
                                           "Unable to create the DCR application.")
        assert "update_secret: always" in result["msg"]
        assert result["verified"] is False and result["changed"] is False
        assert result["provider_id"] == first["provider_id"] and result["strategy_id"] == first["strategy_id"]


def test_another_4xx_of_the_verification_says_that_konnect_did_not_verify(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    first = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    sandbox.fault(service="konnect", method="POST", path_regex="/verify$", status=422)
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert_clear_failure(result, text, "returned HTTP 422")
    assert "Konnect refused the verification without saying whether it can use the initial client" in result["msg"]
    assert "whether Konnect can use the initial client is not known" in result["msg"]
    assert result["provider_id"] == first["provider_id"] and result["changed"] is False


def test_the_verification_of_a_fresh_provider_is_asked_again(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    sandbox.clear_requests()
    sandbox.fault(service="konnect", method="POST", path_regex="/verify$", status=400, body=FAILED)
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert result["changed"] is True and result["verified"] is True, text
    assert logged(sandbox, "konnect", "/verify") == [("POST", 400), ("POST", 200)]


# --------------------------------------------------------------------------- 2. eventual consistency
def test_an_application_refused_right_after_set_up_is_created_once(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.clear_requests()
    sandbox.fault(service="portal", method="POST", path_regex="^/api/v3/applications$", status=404, count=2)
    creds = str(tmp_path / "creds.json")
    result, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds))
    assert result["changed"] is True and result["client_secret"], text
    assert [r["status"] for r in result["registrations"]] == ["approved"]
    assert len(applications(info, portal)) == 1
    # Each refusal is followed by the read that shows no application was created; only then is it sent again.
    assert logged(sandbox, "portal", "/api/v3/applications") == [
        ("GET", 200), ("POST", 404), ("GET", 200), ("POST", 404), ("GET", 200), ("POST", 201)]


def test_a_refused_creation_the_read_finds_is_never_sent_again(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.clear_requests()
    # Konnect answers 400 to the module's creation (after a moment), yet the application exists by then.
    sandbox.fault(service="portal", method="POST", path_regex="^/api/v3/applications$", status=400, delay_s=2)
    worker, outcome = in_thread(runner, "portal_application", app_args(info, portal, registrations=None,
                                                                       approve_registrations=False))
    wait_for_request(sandbox, "GET", "/api/v3/applications")
    developer = admin_get(info, "/v3/portals/%s/developers" % portal.id)["data"][0]
    admin_send(info, "POST", "/v3/portals/%s/applications" % portal.id,
               {"name": "orders-client", "owner": {"type": "developer", "id": developer["id"]}})
    worker.join(120)
    result, text = outcome["result"], outcome["text"]
    assert_clear_failure(result, text, "Yet the application 'orders-client' exists now")
    assert "regenerate_secret: true" in result["msg"]
    assert [m for m, _status in logged(sandbox, "portal", "/api/v3/applications")].count("POST") == 1
    assert len(applications(info, portal)) == 1


def test_a_strategy_and_an_api_the_portal_does_not_list_yet_are_looked_for_again(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.clear_requests()
    for path in ("^/api/v3/application-auth-strategies$", "^/api/v3/apis$"):
        sandbox.fault(service="portal", method="GET", path_regex=path, body=page([]))
    result, text = runner.module("portal_application", app_args(info, portal, auth_strategy="curity"))
    assert result["changed"] is True and result["client_secret"], text
    assert logged(sandbox, "portal", "/application-auth-strategies") == [("GET", 200), ("GET", 200)]


def test_a_registration_and_an_approval_refused_right_after_publication_are_sent_again(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.clear_requests()
    sandbox.fault(service="portal", method="POST", path_regex="/registrations$", status=400)
    sandbox.fault(service="konnect", method="PATCH", path_regex="/registrations/", status=404)
    result, text = runner.module("portal_application", app_args(info, portal))
    assert result["changed"] is True, text
    assert [r["status"] for r in result["registrations"]] == ["approved"]
    registrations = admin_get(info, "/v3/portals/%s/applications/%s/registrations" % (portal.id, result["application_id"]))
    assert [r["status"] for r in registrations["data"]] == ["approved"]
    assert logged(sandbox, "portal", "/registrations") == [("POST", 400), ("GET", 200), ("POST", 201)]


def test_writes_that_refer_to_a_fresh_strategy_are_sent_again(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    sandbox.clear_requests()
    sandbox.fault(service="konnect", method="POST", path_regex="^%s$" % STRATEGIES, status=400)
    sandbox.fault(service="konnect", method="PATCH", path_regex="^/v3/portals/", status=400)
    sandbox.fault(service="konnect", method="PUT", path_regex="/publications/", status=404)
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert result["changed"] is True and result["verified"] is True, text
    # The refused POST is followed by the read that shows no strategy was created; only then is it sent again.
    assert logged(sandbox, "konnect", STRATEGIES) == [("GET", 200), ("POST", 400), ("GET", 200), ("POST", 201)]
    assert logged(sandbox, "konnect", "/v3/portals/%s" % portal.id) == [("PATCH", 400), ("PATCH", 200)]
    assert len(named(info, STRATEGIES, "curity")) == 1
    portal_now = admin_get(info, "/v3/portals/%s" % portal.id)
    assert portal_now["default_application_auth_strategy_id"] == result["strategy_id"]


def test_settle_timeout_0_sends_each_request_once(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.fault(service="portal", method="POST", path_regex="^/api/v3/applications$", status=404)
    result, text = runner.module("portal_application", app_args(info, portal, settle_timeout=0))
    assert_clear_failure(result, text, "returned HTTP 404")
    assert applications(info, portal) == []
    result, text = runner.module("portal_application", app_args(info, portal, settle_timeout=-1))
    assert_clear_failure(result, text, "settle_timeout must be 0 or more seconds")


# --------------------------------------------------------------------------- 3. the portal's own default strategy
@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_teardown_gives_the_portal_its_previous_default_back(sandbox, runner, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    before = admin_get(info, "/%s/portals/%s" % (generation, portal.id))["default_application_auth_strategy_id"]
    if generation == "v3":  # a new Dev Portal comes with its Key Auth strategy as its default
        assert admin_get(info, "%s/%s" % (STRATEGIES, before))["strategy_type"] == "key_auth"
    secret = prepare_curity(runner, sandbox)
    applied, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret), diff=True)
    assert applied["diff"]["before"].get("portal") == ({"default_application_auth_strategy": "key-auth"} if before else {})
    labels = admin_get(info, "%s/%s" % (STRATEGIES, applied["strategy_id"]))["labels"]
    assert labels == {"ANSIBLE-prev-default-%s" % portal.id: before or "none"}
    again = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    assert again["changed"] is False

    checked = runner.module("konnect_portal_dcr", absent_args(info, portal), check=True, diff=True)[0]
    removed, text = runner.module("konnect_portal_dcr", absent_args(info, portal), diff=True)
    assert removed["diff"] == checked["diff"] and removed["restored_default"] == checked["restored_default"], text
    assert removed["restored_default"] == ("key-auth" if before else None) and warnings(removed) == []
    assert removed["diff"]["after"]["portal"] == {"default_application_auth_strategy": removed["restored_default"]}
    assert admin_get(info, "/%s/portals/%s" % (generation, portal.id))["default_application_auth_strategy_id"] == before


@pytest.mark.parametrize("case", ["not recorded", "gone"])
def test_a_previous_default_that_is_not_known_is_not_guessed(sandbox, runner, case):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    key = "ANSIBLE-prev-default-%s" % portal.id
    if case == "gone":  # the portal's default before was a strategy deleted since
        other = admin_send(info, "POST", STRATEGIES, {
            "name": "temporary", "display_name": "Temporary", "strategy_type": "key_auth",
            "configs": {"key-auth": {"key_names": ["apikey"]}}})
        admin_send(info, "PATCH", "/v3/portals/%s" % portal.id, {"default_application_auth_strategy_id": other["id"]})
    applied = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    if case == "gone":
        assert admin_send(info, "DELETE", "%s/%s" % (STRATEGIES, other["id"]), None) is None
    else:  # set up by hand, or by an older version: nothing records the previous default
        admin_send(info, "PATCH", "%s/%s" % (STRATEGIES, applied["strategy_id"]), {"labels": {key: None}})
    removed, text = runner.module("konnect_portal_dcr", absent_args(info, portal), diff=True)
    assert removed["changed"] is True and removed["restored_default"] is None, text
    assert removed["diff"]["after"]["portal"] == {"default_application_auth_strategy": None}
    [warning] = warnings(removed)
    assert "left without a default (null) rather than given a guessed one" in warning
    assert ("no longer exists" if case == "gone" else "nothing records which strategy was its default") in warning
    assert admin_get(info, "/v3/portals/%s" % portal.id)["default_application_auth_strategy_id"] is None


def test_labels_kept_for_the_previous_default_are_refused_in_labels(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, "Initial-secret-0123456789",
                                                                labels={"ANSIBLE-prev-default-x": "a"}))
    assert_clear_failure(result, text, "labels: ANSIBLE-prev-default-x start with ANSIBLE-prev-default-")
    assert sandbox.requests() == []


# --------------------------------------------------------------------------- 5. a provider deletion refused with a 4xx
def test_a_provider_deletion_refused_with_a_400_names_the_strategy_that_uses_it(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    applied = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))[0]
    sandbox.clear_requests()
    # Held back a moment and refused with a 400, while another strategy starts using the provider.
    sandbox.fault(service="konnect", method="DELETE", path_regex="^%s/" % PROVIDERS, status=400, delay_s=2)
    worker, outcome = in_thread(runner, "konnect_portal_dcr", absent_args(info, portal))
    wait_for_request(sandbox, "DELETE", "%s/%s" % (STRATEGIES, applied["strategy_id"]))
    admin_send(info, "POST", STRATEGIES, {
        "name": "late-comer", "display_name": "Late", "strategy_type": "openid_connect", "dcr_provider_id": applied["provider_id"],
        "configs": {"openid-connect": {"issuer": info["curity_issuer"], "credential_claim": ["sub"], "scopes": [],
                                       "auth_methods": ["client_credentials"]}}})
    worker.join(120)
    result, text = outcome["result"], outcome["text"]
    assert_clear_failure(result, text, "Konnect refuses to delete the DCR provider 'curity' because it is in use: "
                                       "application auth strategy 'late-comer' (Konnect answered HTTP 400")
    assert "This run already changed: " in result["msg"] and "auth_strategy" in result["msg"]
    assert result["changed"] is True and len(named(info, PROVIDERS, "curity")) == 1


@pytest.mark.parametrize("path, status", [(STRATEGIES, 409), (PROVIDERS, 400)], ids=["strategy-409", "provider-400"])
def test_a_deletion_refused_while_nothing_uses_the_object_is_sent_again(sandbox, runner, path, status):
    """Konnect still refuses the deletion, though nothing uses the object any more (it has not caught up yet)."""
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    sandbox.clear_requests()
    sandbox.fault(service="konnect", method="DELETE", path_regex="^%s/" % path, status=status)
    result, text = runner.module("konnect_portal_dcr", absent_args(info, portal))
    assert result["changed"] is True and result.get("failed") is not True, text
    deletes = [(e["path"].split("/")[2], e["status"]) for e in sandbox.requests("konnect", ("DELETE",))]
    refused = path.split("/")[2]
    expected = [("apis", 204)]
    for kind in ("application-auth-strategies", "dcr-providers"):
        expected += [(kind, status), (kind, 204)] if kind == refused else [(kind, 204)]
    assert deletes == expected
    assert named(info, PROVIDERS, "curity") == [] and named(info, STRATEGIES, "curity") == []


# --------------------------------------------------------------------------- fields of an unexpected type
def provider(**fields):
    return dict({"id": SOME_ID, "name": "curity", "provider_type": "curity", "issuer": "https://idsvr.example.com"}, **fields)


def strategy(**fields):
    return dict({"id": SOME_ID, "name": "curity", "strategy_type": "openid_connect", "display_name": "Curity",
                 "configs": {"openid-connect": {}}}, **fields)


def application(**fields):
    return dict({"id": SOME_ID, "name": "orders-client"}, **fields)


def konnect_info(info, **extra):
    return dict(admin_args(info), **extra)


# case: (module, arguments, needs the portal's DCR settings, (service, method, path regex), body, words)
ODD = {
    "provider without name, info": (
        "konnect_portal_dcr_info", lambda i, p: konnect_info(i), False, ("konnect", "GET", "^%s$" % PROVIDERS),
        page([{"id": SOME_ID, "provider_type": "curity"}]), "in the DCR provider with id %s, name is missing (expected a string)" % SOME_ID),
    "provider without name, managing": (
        "konnect_portal_dcr", lambda i, p: dcr_args(i, p, "secret-of-0123456789"), False,
        ("konnect", "GET", "^%s$" % PROVIDERS), page([{"id": SOME_ID}]), "name is missing (expected a string)"),
    "strategy configs an array, info": (
        "konnect_portal_dcr_info", lambda i, p: konnect_info(i), False, ("konnect", "GET", "^%s$" % STRATEGIES),
        page([strategy(configs=["x"])]), "in the application auth strategy 'curity' (id %s), configs is an array, not "
                                         "an object" % SOME_ID),
    "strategy configs an array, managing": (
        "konnect_portal_dcr", lambda i, p: dcr_args(i, p, "secret-of-0123456789"), False,
        ("konnect", "GET", "^%s$" % STRATEGIES), page([strategy(configs=["x"])]), "configs is an array, not an object"),
    "strategy scopes not strings, managing": (
        "konnect_portal_dcr", lambda i, p: dcr_args(i, p, "secret-of-0123456789"), False,
        ("konnect", "GET", "^%s$" % STRATEGIES), page([strategy(configs={"openid-connect": {"scopes": [1]}})]),
        "configs.openid-connect.scopes holds a number, not only strings"),
    "application auth_strategy a string, admin info": (
        "portal_application_info", lambda i, p: konnect_info(i, portal=p.name), False,
        ("konnect", "GET", "^/v3/portals/[^/]+/applications$"), page([application(auth_strategy="curity")]),
        "in the application 'orders-client' (id %s), auth_strategy is a string, not an object" % SOME_ID),
    "application auth_strategy a string, developer info": (
        "portal_application_info", lambda i, p: {k: v for k, v in app_args(i, p).items() if k in (
            "portal_url", "developer_email", "developer_password")}, False,
        ("portal", "GET", "^/api/v3/applications$"), page([application(auth_strategy="curity")]),
        "auth_strategy is a string, not an object"),
    "application auth_strategy a string, managing": (
        "portal_application", app_args, False, ("portal", "GET", "^/api/v3/applications$"),
        page([application(auth_strategy="curity")]), "auth_strategy is a string, not an object"),
    "application auth_strategy a string, removal": (
        "konnect_portal_dcr", absent_args, True, ("konnect", "GET", "^/v3/portals/[^/]+/applications$"),
        page([application(auth_strategy="curity")]), "auth_strategy is a string, not an object"),
    "provider name a list, info": (
        "konnect_portal_dcr_info", lambda i, p: konnect_info(i, provider_names=["curity"]), False,
        ("konnect", "GET", "^%s$" % PROVIDERS), page([provider(name=["curity"])]),
        "in the DCR provider with id %s, name is an array, not a string" % SOME_ID),
    "strategy id a list, info": (
        "konnect_portal_dcr_info", lambda i, p: konnect_info(i), False, ("konnect", "GET", "^%s$" % STRATEGIES),
        page([strategy(id=[SOME_ID])]), "in the application auth strategy 'curity', id is an array, not a string"),
    "publication strategy ids of lists, info": (
        "konnect_portal_dcr_info", lambda i, p: konnect_info(i), True, ("konnect", "GET", "^/v3/api-publications$"),
        page([{"api_id": SOME_ID, "portal_id": SOME_ID, "auth_strategy_ids": [[SOME_ID]]}]),
        "auth_strategy_ids holds an array, not only strings"),
    "application name a list, admin info": (
        "portal_application_info", lambda i, p: konnect_info(i, portal=p.name, names=["orders-client"]), False,
        ("konnect", "GET", "^/v3/portals/[^/]+/applications$"), page([application(name=["orders-client"])]),
        "in the application with id %s, name is an array, not a string" % SOME_ID),
    "portal id a list, managing": (
        "konnect_portal_dcr", lambda i, p: dcr_args(i, p, "secret-of-0123456789"), False, ("konnect", "GET", "^/v3/portals$"),
        page([{"id": [SOME_ID], "name": "sandbox-portal"}]), "in the Dev Portal 'sandbox-portal', id is an array, not a string"),
}


@pytest.mark.parametrize("case", list(ODD))
def test_a_field_of_an_unexpected_type_fails_naming_the_object_and_the_field(sandbox, runner, case):
    module, arguments, prepared, (service, method, regex), body, words = ODD[case]
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    if prepared:
        prepare_portal(runner, sandbox, portal)
    sandbox.fault(service=service, method=method, path_regex=regex, body=body, count=100)
    result, text = runner.module(module, arguments(info, portal))
    assert_clear_failure(result, text, words)
    assert "gave an unusable answer" in result["msg"] and "Unexpected error" not in result["msg"]
