# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A teardown names the other publications of the gateway service it took an API off (they keep its route open).

The sandbox's seed publishes its one gateway service twice without auth: the API on the new Dev Portal and the
product version on the classic one.  A teardown on either portal leaves the other, and the route answers 200 to
anyone: the result of konnect_portal_dcr says through which publication, in check mode as in the real run.
"""

from __future__ import annotations

import pytest
import requests

from konnect_helpers import (
    GENERATIONS,
    Portal,
    admin_args,
    admin_send,
    named,
    prepare_portal,
    state_changes,
)

STRATEGIES = "/v2/application-auth-strategies"
# The reads that look for other publications (besides those every teardown sends).
OTHER_PUBLICATION_READS = ("/v3/api-implementations", "/v2/api-products")


def absent_args(info, portal, **extra):
    return dict(admin_args(info), portal=portal.name, state="absent", **extra)


def anonymous_status(info):
    return requests.get(info["gateway_url"] + info["route_path"], timeout=30).status_code


def other_publication_reads(sandbox):
    return [(e["method"], e["path"]) for e in sandbox.requests("konnect") if e["path"].startswith(OTHER_PUBLICATION_READS)]


def seeded_other(info, generation, auth="none", strategies=()):
    """What the seed publishes on the other portal, as the teardown on ``generation``'s portal names it."""
    if generation == "v3":
        other = dict(portal=info["classic_portal_name"], portal_id=info["classic_portal_id"], portal_api="v2",
                     api_or_product=info["api_product_name"], version=info["product_version_name"])
        behind = "%s/v1" % info["api_name"]
    else:
        other = dict(portal=info["portal_name"], portal_id=info["portal_id"], portal_api="v3",
                     api_or_product=info["api_name"], version="v1")
        behind = "%s/%s" % (info["api_product_name"], info["product_version_name"])
    return dict(other, auth=auth, auth_strategies=list(strategies), gateway_service_id=info["gateway_service_id"],
                same_service_as=[behind])


def teardown(sandbox, runner, args):
    """The teardown in check mode, then for real: (checked, removed); check mode wrote nothing."""
    sandbox.clear_requests()
    checked, text = runner.module("konnect_portal_dcr", args, check=True)
    assert checked["changed"] is True and not checked.get("failed"), text
    assert state_changes(sandbox) == []
    removed, text = runner.module("konnect_portal_dcr", args)
    assert removed["changed"] is True and not removed.get("failed"), text
    for key in ("open_publications", "open_publications_unchecked", "unpublished"):
        assert removed[key] == checked[key], key
    assert named(sandbox.info, STRATEGIES, "curity") == []  # the teardown itself went through
    return checked, removed


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_teardown_on_the_seed_names_the_publication_that_keeps_the_route_open(sandbox, runner, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    prepare_portal(runner, sandbox, portal)
    checked, removed = teardown(sandbox, runner, absent_args(info, portal))
    assert removed["open_publications"] == [seeded_other(info, generation)]
    assert removed["open_publications_unchecked"] is None
    # What it names is what the gateway does: anyone gets through.
    assert anonymous_status(info) == 200
    # A teardown that changes nothing looks for nothing more: a run that changes nothing sends the same reads.
    sandbox.clear_requests()
    again, text = runner.module("konnect_portal_dcr", absent_args(info, portal))
    assert again["changed"] is False and again["open_publications"] == [], text
    assert other_publication_reads(sandbox) == []


def test_the_other_publication_is_named_with_its_auth_strategy(sandbox, runner):
    """The seed's API publication, given the new portal's Key Auth strategy: named with it, not as open to anyone."""
    info, portal = sandbox.info, Portal(sandbox.info, "v2")
    key_auth = named(info, STRATEGIES, "key-auth")[0]
    admin_send(info, "PUT", "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]),
               {"auth_strategy_ids": [key_auth["id"]], "visibility": "public"})
    prepare_portal(runner, sandbox, portal)
    checked, removed = teardown(sandbox, runner, absent_args(info, portal))
    assert removed["open_publications"] == [seeded_other(info, "v2", "key-auth", ["key-auth"])]
    assert removed["open_publications_unchecked"] is None


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_teardown_without_other_publications_names_none(sandbox, runner, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    if generation == "v3":  # the seed's classic product version, unpublished
        admin_send(info, "PATCH", "/v2/portals/%s/product-versions/%s" % (info["classic_portal_id"],
                                                                          info["product_version_id"]),
                   {"publish_status": "unpublished"})
    else:  # the seed's API, off the new portal
        admin_send(info, "DELETE", "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]), None)
    prepare_portal(runner, sandbox, portal)
    checked, removed = teardown(sandbox, runner, absent_args(info, portal))
    assert removed["open_publications"] == [] and removed["open_publications_unchecked"] is None
    assert [path for _method, path in other_publication_reads(sandbox)], "the teardown did not look"
    assert anonymous_status(info) == 401


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_403_on_the_classic_product_reads_is_said_and_the_teardown_goes_on(sandbox, runner, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    prepare_portal(runner, sandbox, portal)
    # A token without the classic API product permissions (or an organisation without them): Konnect's 403.
    sandbox.fault(service="konnect", method="GET", path_regex="^/v2/api-products", status=403, count=100)
    checked, removed = teardown(sandbox, runner, absent_args(info, portal))
    unchecked = removed["open_publications_unchecked"]
    assert unchecked.startswith("could not check other publications: "), unchecked
    assert "GET" in unchecked and "/v2/api-products" in unchecked and "HTTP 403" in unchecked, unchecked
    assert info["konnect_token"] not in unchecked
    if generation == "v3":  # the API side was read: only the classic part is unknown
        assert unchecked.startswith("could not check other publications: on classic portals: "), unchecked
    assert removed["open_publications"] == []
    # Unpublished all the same (a classic product version is named by its id when the products cannot be read).
    assert removed["unpublished"] == [info["product_version_id"] if generation == "v2" else "%s/v1" % info["api_name"]]
