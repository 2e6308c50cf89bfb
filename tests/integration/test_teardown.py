# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Removal never widens access: konnect_portal_dcr state=absent against the sandbox, and the gateway afterwards.

Each test serves the seeded route from the portal under test only (the seed publishes the same gateway service
on both portals without a strategy, which would keep the route open whatever the removal does).
"""

from __future__ import annotations

import re

import pytest
import requests

from curity_helpers import write_playbook

from konnect_helpers import (
    APP_NAME,
    GENERATIONS,
    Portal,
    admin_args,
    admin_get,
    admin_send,
    app_args,
    applications,
    assert_clear_failure,
    basic,
    curity_args,
    named,
    prepare_portal,
    requests_of,
    state_changes,
)

PROVIDERS = "/v2/dcr-providers"
STRATEGIES = "/v2/application-auth-strategies"
EVERY_SERVICE = ("konnect", "portal", "curity-admin", "curity-runtime")


# --------------------------------------------------------------------------- helpers
def serve_route_from(info, portal):
    """Take the seeded route's other publication away, so that only ``portal`` decides who gets through."""
    if portal.generation == "v3":
        path = "/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"], info["product_version_id"])
        admin_send(info, "PATCH", path, {"publish_status": "unpublished"})
    else:
        admin_send(info, "DELETE", "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]), None)


def gateway(info, auth=None):
    headers = {"Authorization": basic(*auth)} if auth else {}
    return requests.get(info["gateway_url"] + info["route_path"], headers=headers, timeout=30).status_code


def set_up(sandbox, runner, generation):
    """DCR on one portal and one approved application: (portal, the application's (client_id, secret))."""
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    serve_route_from(info, portal)
    prepare_portal(runner, sandbox, portal)
    app, text = runner.module("portal_application", app_args(info, portal))
    assert app["changed"] is True and [r["status"] for r in app["registrations"]] == ["approved"], text
    credentials = (app["client_id"], app["client_secret"])
    assert gateway(info, credentials) == 200 and gateway(info) == 401
    sandbox.clear_requests()
    return portal, credentials


def absent_args(info, portal, **extra):
    args = dict(admin_args(info), portal=portal.name, state="absent")
    args.update(extra)
    return args


def every_write(sandbox):
    """Writes on every service but the gateway (logins and provider verifications excluded)."""
    return state_changes(sandbox, EVERY_SERVICE)


def label_of(info, portal):
    return "%s/%s" % (info["api_name"], "v1") if portal.generation == "v3" else portal.target


def publication_path(info, portal):
    if portal.generation == "v3":
        return "/v3/apis/%s/publications/%s" % (portal.target_id, portal.id)
    return "/v2/portals/%s/product-versions/%s" % (portal.id, portal.target_id)


def outcome(result):
    return dict((k, result[k]) for k in ("changed", "diff", "unpublished", "published_without_auth",
                                         "deleted_applications"))


def remove_application(runner, info, portal):
    removed, text = runner.module("portal_application", app_args(info, portal, state="absent"))
    assert removed["changed"] is True, text


# --------------------------------------------------------------------------- orphaned publications
@pytest.mark.parametrize("generation", GENERATIONS)
def test_by_default_the_api_is_unpublished_and_the_gateway_refuses_everyone(sandbox, runner, generation):
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, generation)
    label = label_of(info, portal)
    # As a role run does it: the application is removed by an earlier task, which check mode does not run.
    args = absent_args(info, portal, ignore_applications=[APP_NAME])

    checked, text = runner.module("konnect_portal_dcr", args, check=True, diff=True)
    assert checked["changed"] is True and checked["unpublished"] == [label], text
    assert every_write(sandbox) == []
    key = "publication %s" % label
    assert checked["diff"]["before"][key] == {"auth_strategy_ids": ["curity"], "published": True}
    assert checked["diff"]["after"][key] == {"auth_strategy_ids": [], "published": False}
    assert checked["published_without_auth"] == [] and checked["deleted_applications"] == []

    strategy_id, provider_id = named(info, STRATEGIES, "curity")[0]["id"], named(info, PROVIDERS, "curity")[0]["id"]
    remove_application(runner, info, portal)
    sandbox.clear_requests()
    removed, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert outcome(removed) == outcome(checked), text
    assert every_write(sandbox) == [
        ("konnect", "DELETE" if generation == "v3" else "PATCH", publication_path(info, portal)),
        ("konnect", "PATCH", "/%s/portals/%s" % (generation, portal.id)),
        ("konnect", "DELETE", "%s/%s" % (STRATEGIES, strategy_id)),
        ("konnect", "DELETE", "%s/%s" % (PROVIDERS, provider_id))]
    # Konnect, read independently: nothing left, the API off the portal.
    assert named(info, PROVIDERS, "curity") == [] and named(info, STRATEGIES, "curity") == []
    if generation == "v3":
        response = requests.get(info["konnect_url"] + publication_path(info, portal), timeout=30,
                                headers={"Authorization": "Bearer " + info["konnect_token"]})
        assert response.status_code == 404
    else:
        ppv = admin_get(info, publication_path(info, portal))
        assert ppv["publish_status"] == "unpublished" and ppv["auth_strategies"] == []
    # The gateway refuses anonymous callers and the removed application's credentials.
    assert gateway(info) == 401 and gateway(info, credentials) == 401

    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert again["changed"] is False and again["diff"] == {"before": {}, "after": {}}, text
    assert again["unpublished"] == [] and every_write(sandbox) == []
    assert [m for m, _p in requests_of(sandbox, "konnect")] == ["GET"] * len(requests_of(sandbox, "konnect"))


@pytest.mark.parametrize("generation", GENERATIONS)
def test_keep_public_leaves_the_api_open_as_asked(sandbox, runner, generation):
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, generation)
    label = label_of(info, portal)
    args = absent_args(info, portal, orphaned_publications="keep_public", ignore_applications=[APP_NAME])
    checked, text = runner.module("konnect_portal_dcr", args, check=True, diff=True)
    assert checked["published_without_auth"] == [label] and checked["unpublished"] == [], text
    assert every_write(sandbox) == []
    remove_application(runner, info, portal)
    removed, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert outcome(removed) == outcome(checked), text
    assert removed["diff"]["after"]["publication %s" % label] == {"auth_strategy_ids": []}
    # Published without application auth: the gateway lets anyone through, as the option says.
    assert gateway(info) == 200 and gateway(info, credentials) == 200
    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", args)
    assert again["changed"] is False and every_write(sandbox) == [], text


@pytest.mark.parametrize("check", [True, False])
def test_fail_names_the_apis_before_any_write(sandbox, runner, check):
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, "v3")
    remove_application(runner, info, portal)
    sandbox.clear_requests()
    failed, text = runner.module("konnect_portal_dcr", absent_args(info, portal, orphaned_publications="fail"),
                                 check=check)
    assert_clear_failure(failed, text, "the strategy is the only application auth strategy of '%s/v1' on portal "
                                       "'sandbox-portal'" % info["api_name"])
    assert "Nothing was changed" in failed["msg"] and every_write(sandbox) == []
    assert len(named(info, STRATEGIES, "curity")) == 1 and len(named(info, PROVIDERS, "curity")) == 1
    assert admin_get(info, publication_path(info, portal))["auth_strategy_ids"] == [named(info, STRATEGIES, "curity")[0]["id"]]
    assert gateway(info) == 401 and gateway(info, credentials) == 401  # the application's client went with it


# --------------------------------------------------------------------------- applications still using the strategy
@pytest.mark.parametrize("generation", GENERATIONS)
def test_applications_in_use_fail_by_default_naming_them(sandbox, runner, generation):
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, generation)
    app_id = applications(info, portal)[0]["id"]
    for check in (True, False):
        failed, text = runner.module("konnect_portal_dcr", absent_args(info, portal), check=check)
        assert_clear_failure(failed, text, "applications of portal %r still use the strategy: '%s' (id %s)"
                                           % (portal.name, APP_NAME, app_id))
        assert "applications_in_use: delete" in failed["msg"] and "Nothing was changed" in failed["msg"]
    # Listed as deleted by an earlier task, but still there in a real run: still counted.
    failed, text = runner.module("konnect_portal_dcr", absent_args(info, portal, ignore_applications=[APP_NAME]))
    assert_clear_failure(failed, text, "still use the strategy: '%s'" % APP_NAME)
    assert every_write(sandbox) == []
    assert len(applications(info, portal)) == 1 and gateway(info, credentials) == 200


@pytest.mark.parametrize("generation", GENERATIONS)
def test_applications_in_use_can_be_deleted_with_the_strategy(sandbox, runner, generation):
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, generation)
    app_id = applications(info, portal)[0]["id"]
    args = absent_args(info, portal, applications_in_use="delete")
    checked, text = runner.module("konnect_portal_dcr", args, check=True, diff=True)
    assert checked["deleted_applications"] == [APP_NAME] and checked["unpublished"] == [label_of(info, portal)], text
    deleted = {"name": APP_NAME, "id": app_id, "auth_strategy": "curity"}
    assert checked["diff"]["before"]["application %s" % APP_NAME] == deleted
    assert "application %s" % APP_NAME not in checked["diff"]["after"]
    assert every_write(sandbox) == []

    removed, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert outcome(removed) == outcome(checked), text
    konnect_writes = [(m, p) for s, m, p in every_write(sandbox) if s == "konnect"]
    assert konnect_writes[0] == ("DELETE", "/%s/portals/%s/applications/%s" % (generation, portal.id, app_id))
    assert applications(info, portal) == [] and named(info, STRATEGIES, "curity") == []
    # Konnect deleted the application's Curity client (RFC 7592) with it.
    assert any(m == "DELETE" for s, m, _p in every_write(sandbox) if s == "curity-runtime")
    assert gateway(info) == 401 and gateway(info, credentials) == 401

    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", args, diff=True)
    assert again["changed"] is False and again["deleted_applications"] == [] and every_write(sandbox) == [], text


# --------------------------------------------------------------------------- the removal as a playbook runs it
RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)")


def changed_count(output):
    found = RECAP.findall(output)
    assert found, output[-3000:]
    _ok, changed, failed = (int(n) for n in found[-1])
    assert failed == 0, output[-3000:]
    return changed


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_teardown_playbook_in_check_mode_predicts_the_real_run(sandbox, runner, tmp_path, generation):
    """Applications, then the strategy (naming the applications the first task removes), then Curity."""
    info = sandbox.info
    portal, credentials = set_up(sandbox, runner, generation)
    tasks = [
        {"name": "applications", "devportal.dcr.portal_application": app_args(info, portal, state="absent"),
         "no_log": True},
        {"name": "strategy", "register": "removed",
         "devportal.dcr.konnect_portal_dcr": absent_args(info, portal, ignore_applications=[APP_NAME])},
        {"name": "curity", "devportal.dcr.curity_token": curity_args(info, state="absent")},
        {"name": "show", "ansible.builtin.debug": {"msg": "unpublished={{ removed.unpublished | join(',') }}"}},
    ]
    playbook = write_playbook(tmp_path, "teardown.json", tasks)
    rc, checked = runner.playbook(playbook, check=True, diff=True)
    assert rc == 0 and changed_count(checked) == 3, checked[-3000:]
    assert "unpublished=%s" % label_of(info, portal) in checked
    assert every_write(sandbox) == []
    assert gateway(info, credentials) == 200

    rc, output = runner.playbook(playbook, diff=True)
    assert rc == 0 and changed_count(output) == 3, output[-3000:]
    assert "unpublished=%s" % label_of(info, portal) in output
    assert gateway(info) == 401 and gateway(info, credentials) == 401
    session = requests.Session()
    session.trust_env = False
    metadata = session.get(info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30).json()
    assert "registration_endpoint" not in metadata
    assert credentials[1] not in output and credentials[1] not in checked

    sandbox.clear_requests()
    rc, again = runner.playbook(playbook)
    assert rc == 0 and changed_count(again) == 0, again[-3000:]
    assert every_write(sandbox) == []
