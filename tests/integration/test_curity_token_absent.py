# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""curity_token state=absent with dcr=true: the DCR settings go with the client when they served it alone."""

from __future__ import annotations

import requests

from curity_helpers import ADMIN, RUNTIME, SERVER_PATH, CurityReader, calls, run_module, verbs, warnings_of

CLIENT = "/admin/api/restconf" + SERVER_PATH + "/client-store/config-backed/client=konnect-dcr"
DCR = "/admin/api/restconf" + SERVER_PATH + "/dynamic-client-registration"
ENDPOINT_ID = "token-service-dynamic-client-registration"
ENDPOINT = "/admin/api/restconf/data/base:profiles/profile=token-service,oauth-service/endpoints/endpoint=" + ENDPOINT_ID
DEPLOYMENT = "/admin/api/restconf/data/base:environments/environment/services/service-role=default/endpoints=" + ENDPOINT_ID
SECRET = "Konnect-DCR-secret-4e0b91"
OTHER_SECRET = "Rotated-out-of-band-77c2"


def run(runner, sandbox, **args):
    args.setdefault("issuer", sandbox.info["curity_issuer"])
    return run_module(runner, sandbox, "curity_token", **args)[0]


def discovery(sandbox):
    session = requests.Session()
    session.trust_env = False
    return session.get(sandbox.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30).json()


def admin_writes(sandbox):
    return [c for c in calls(sandbox) if c[0] != "GET"]


def create(runner, sandbox, **args):
    args.setdefault("secret", SECRET)
    result = run(runner, sandbox, **args)
    assert result["changed"] is True and result["verified"] is True, result
    return result


def test_absent_removes_the_dcr_settings_and_discovery_stops_advertising_registration(runner, sandbox):
    reader = CurityReader(sandbox)
    create(runner, sandbox)
    assert "registration_endpoint" in discovery(sandbox)
    before = reader.dcr()

    checked = run(runner, sandbox, check=True, state="absent")
    assert checked["changed"] is True and sandbox.writes(ADMIN) == [] and sandbox.requests(RUNTIME) == []
    assert reader.dcr() == before and "registration_endpoint" in discovery(sandbox)
    dcr_before = checked["diff"]["before"]["dynamic_client_registration"]
    assert dcr_before["authenticate_client_by"] == ["konnect-dcr"] and dcr_before["client_management"] is True
    # the DCR endpoint the run created and deployed goes too (recorded in the client's properties)
    assert checked["diff"]["before"]["dcr_endpoint"] == {"id": ENDPOINT_ID, "uri": "/token-service/oauth-registration",
                                                         "service_roles": ["default"]}
    assert checked["diff"]["after"] == {}

    result = run(runner, sandbox, state="absent")
    assert result["changed"] is True and result["diff"] == checked["diff"], result
    # off the service role, the endpoint, then the settings (they name the client), then the client
    assert admin_writes(sandbox) == [("DELETE", DEPLOYMENT), ("DELETE", ENDPOINT), ("DELETE", DCR), ("DELETE", CLIENT)]
    assert reader.dcr() is None and reader.client("konnect-dcr") is None
    assert "registration_endpoint" not in discovery(sandbox)
    assert not warnings_of(result)

    again = run(runner, sandbox, state="absent")
    # the client (404), the list of profiles (once, after that 404), the DCR settings (404)
    assert again["changed"] is False and again["diff"] == {"before": {}, "after": {}} and verbs(sandbox) == ["GET"] * 3
    checked_again = run(runner, sandbox, check=True, state="absent")
    assert checked_again["changed"] is False and verbs(sandbox) == ["GET"] * 3


def test_dcr_settings_other_clients_use_stay_with_a_warning(runner, sandbox):
    reader = CurityReader(sandbox)
    create(runner, sandbox)
    create(runner, sandbox, client_id="second-client", secret=OTHER_SECRET)
    result = run(runner, sandbox, state="absent")
    assert result["changed"] is True, result
    assert admin_writes(sandbox) == [("PUT", DCR), ("DELETE", CLIENT)]
    assert reader.dcr()["non-templatized"]["authenticate-client-by"] == ["second-client"]
    assert any("also serve client 'second-client'" in w and "registration_endpoint" in w for w in warnings_of(result))
    assert "registration_endpoint" in discovery(sandbox)
    assert reader.token("second-client", OTHER_SECRET)[0] == 200


def test_a_removal_stopped_after_the_dcr_settings_is_finished(runner, sandbox):
    reader = CurityReader(sandbox)
    create(runner, sandbox)
    sandbox.fault(service=ADMIN, method="DELETE", path_regex="client-store", status=500)
    failed = run(runner, sandbox, state="absent")
    assert failed.get("failed") is True and reader.dcr() is None and reader.client("konnect-dcr") is not None
    sandbox.clear_faults()
    result = run(runner, sandbox, state="absent")
    assert result["changed"] is True and admin_writes(sandbox) == [("DELETE", CLIENT)], result
    assert list(result["diff"]["before"]) == ["client"]
    assert reader.client("konnect-dcr") is None and "registration_endpoint" not in discovery(sandbox)
