# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""portal_application and curity_token keep the secret they are shown once in a real OpenBao server.

Outcomes are read independently: the records and their versions with OpenBao's root token, the writes
the server received from its audit log, the writes Konnect, the portal and Curity received from the
sandbox's request log, the credentials through the gateway.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import pytest

from konnect_helpers import (
    APP_NAME,
    INITIAL_CLIENT_ID,
    Portal,
    app_args,
    dcr_args,
    curity_args,
    gateway_status,
    prepare_curity,
    prepare_portal,
    wait_for_request,
)

# Requests that change nothing stored: the developer's login, token requests, Konnect's provider check.
HARMLESS = re.compile(r"(/developer/(authenticate|logout|refresh)|/oauth/v2/oauth-token|/verify)$")


def writes(sandbox):
    return ["%s %s %s" % (e["service"], e["method"], e["path"]) for e in sandbox.writes()
            if e["service"] != "gateway" and not HARMLESS.search(e["path"])]


@pytest.fixture
def prefix():
    """A path of this test's own below the policy's writable prefix (the server lives for the whole session)."""
    return "devportal-dcr/tests-%s" % uuid.uuid4().hex[:12]


@pytest.fixture
def vault(openbao):
    """secret_store options as a task gives them: a token with the writer policy, the server's CA."""
    return {"backend": "vault", "url": openbao.url, "token": openbao.token(), "ca_cert": openbao.ca_path}


def store_writes(openbao, mark):
    return openbao.writes_since(mark)


# --------------------------------------------------------------------------- portal_application
def test_an_application_s_secret_is_stored_once_planned_in_check_mode_and_rotated_as_a_new_version(
        runner, sandbox, openbao, vault, prefix):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    path = prefix + "/applications/" + APP_NAME
    store = dict(vault, path=path)
    sandbox.clear_requests()
    mark = openbao.audit_mark()

    # Check mode: reads only, anywhere; the plan shows the record it would write, values masked but the public ones.
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store), check=True, diff=True)
    assert result.get("failed") is not True, text
    assert result["changed"] is True
    assert writes(sandbox) == [] and store_writes(openbao, mark) == []
    assert result["secret_store"]["action"] == "create" and result["secret_store"]["path"] == path
    assert result["diff"]["after"][path]["client_secret"] == "********"
    assert openbao.read(path) == (None, None)

    # The run: the record holds what Konnect issued, and the gateway accepts it.
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store))
    assert result.get("failed") is not True, text
    data, version = openbao.read(path)
    assert version == 1 and result["secret_store"]["written_version"] == 1
    assert data["client_secret"] == result["client_secret"] and data["client_id"] == result["client_id"]
    assert data["application_id"] == result["application_id"] and data["portal_url"] == portal.url
    assert gateway_status(info, data["client_id"], data["client_secret"]) == 200
    assert data["client_secret"] not in json.dumps(result["secret_store"]) + json.dumps(result["diff"])

    # A re-run receives no secret: nothing is sent to the store at all, no new version.
    mark = openbao.audit_mark()
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store))
    assert result["changed"] is False, text
    assert result["secret_store"]["action"] is None
    assert openbao.audit_requests_since(mark) == [] and openbao.current_version(path) == 1

    # Rotation: check mode predicts an update of the record, the run writes version 2 with the new secret.
    mark = openbao.audit_mark()
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store, regenerate_secret=True),
                                 check=True)
    assert result["secret_store"]["action"] == "update" and store_writes(openbao, mark) == []
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store, regenerate_secret=True))
    assert result.get("failed") is not True, text
    rotated, version = openbao.read(path)
    assert version == 2 and rotated["client_secret"] == result["client_secret"] != data["client_secret"]
    assert rotated["client_id"] == data["client_id"]
    assert store_writes(openbao, mark) == ["update secret/data/" + path]


@pytest.mark.parametrize("case", ["forbidden path", "revoked token"])
def test_a_store_the_run_cannot_write_fails_before_anything_is_written(runner, sandbox, openbao, vault, prefix, case):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    store = dict(vault, path=prefix + "/applications/" + APP_NAME)
    if case == "forbidden path":
        store["path"] = "devportal-dcr/forbidden/" + APP_NAME
    else:
        openbao.revoke(store["token"])
    sandbox.clear_requests()
    mark = openbao.audit_mark()
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=store))
    assert result.get("failed") is True, text
    assert ("policies deny" if case == "forbidden path" else "wrong, expired or revoked") in result["msg"], result["msg"]
    assert writes(sandbox) == [] and store_writes(openbao, mark) == []
    assert store["token"] not in text


def test_a_record_someone_else_wrote_meanwhile_is_not_overwritten_and_the_secret_stays_in_the_result(
        runner, sandbox, openbao, vault, prefix):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    path = prefix + "/applications/" + APP_NAME
    # Konnect answers the creation late; meanwhile someone else writes the record the plan read as absent.
    sandbox.fault(service="portal", method="POST", path_regex=r"^/api/v3/applications$", delay_s=3, count=1)
    done = {}
    task = threading.Thread(target=lambda: done.update(zip(("result", "text"), runner.module(
        "portal_application", app_args(info, portal, secret_store=dict(vault, path=path))))))
    task.start()
    wait_for_request(sandbox, "GET", "/api/v3/applications", timeout=30)
    while not any(r["path"] == "secret/data/" + path for r in openbao.audit_requests()):
        time.sleep(0.05)
    openbao.write(path, {"client_secret": "someone-else-s"})
    task.join(120)
    result, text = done["result"], done["text"]
    assert result.get("failed") is True, text
    assert "changed since this run read it" in result["msg"] and "Nothing was overwritten" in result["msg"], result["msg"]
    assert "is in this result's client_secret" in result["msg"]
    assert result["client_secret"] and result["client_secret"] not in result["msg"]
    assert openbao.read(path) == ({"client_secret": "someone-else-s"}, 1)
    # The secret authenticates (the registration, after the failure, was not made: 403, not 401).
    assert gateway_status(info, result["client_id"], result["client_secret"]) == 403


def test_hvac_is_named_when_the_vault_store_is_used_without_it(runner, sandbox, vault, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    blocker = tmp_path / "nohvac"
    blocker.mkdir()
    (blocker / "hvac.py").write_text("raise ImportError('No module named hvac')\n")
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=vault),
                                 env={"PYTHONPATH": "%s:%s" % (blocker, runner.collections)})
    assert result.get("failed") is True, text
    assert "hvac" in result["msg"] and "secret_store.backend: vault" in result["msg"], result["msg"]
    assert writes(sandbox) == []


# --------------------------------------------------------------------------- curity_token
def test_the_dcr_credential_s_generated_and_rotated_secrets_are_stored_as_versions(runner, sandbox, openbao, vault, prefix):
    info = sandbox.info
    path = prefix + "/dcr-credentials/" + INITIAL_CLIENT_ID
    store = dict(vault, path=path)
    mark = openbao.audit_mark()
    result, text = runner.module("curity_token", curity_args(info, secret_store=store), check=True, diff=True)
    assert result.get("failed") is not True, text
    assert result["secret_store"]["action"] == "create" and store_writes(openbao, mark) == []
    assert sandbox.writes("curity-admin") == []

    result, text = runner.module("curity_token", curity_args(info, secret_store=store))
    assert result.get("failed") is not True, text
    data, version = openbao.read(path)
    assert version == 1 and data == {"client_id": INITIAL_CLIENT_ID, "client_secret": result["client_secret"]}
    assert store_writes(openbao, mark) == ["create secret/data/" + path]

    # A re-run does not set the secret: nothing is sent to the store.
    mark = openbao.audit_mark()
    result, text = runner.module("curity_token", curity_args(info, secret_store=store))
    assert result["changed"] is False and result["secret_store"]["action"] is None, text
    assert openbao.audit_requests_since(mark) == []

    # Rotation with a given secret: one new version; the same secret again (update_secret: always) writes Curity, but
    # the record already holds it: no new version.
    rotated = "Rotated-DCR-secret-%s" % uuid.uuid4().hex
    for expected in (2, 2):
        result, text = runner.module("curity_token", curity_args(info, secret_store=store, secret=rotated,
                                                                 update_secret="always"))
        assert result.get("failed") is not True and result["verified"] is True, text
        assert openbao.read(path) == ({"client_id": INITIAL_CLIENT_ID, "client_secret": rotated}, expected)
        assert rotated not in text


def test_a_dcr_credential_store_the_run_cannot_write_fails_before_curity_is_written(runner, sandbox, openbao, vault):
    mark = openbao.audit_mark()
    result, text = runner.module("curity_token", curity_args(
        sandbox.info, secret_store=dict(vault, path="devportal-dcr/forbidden/" + INITIAL_CLIENT_ID)))
    assert result.get("failed") is True and "policies deny" in result["msg"], text
    assert sandbox.writes("curity-admin") == [] and store_writes(openbao, mark) == []
    assert "client_secret" not in result


# --------------------------------------------------------------------------- the info modules
def test_the_info_modules_tell_whether_a_record_is_stored_and_its_version_never_its_value(
        runner, sandbox, openbao, vault, prefix):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    secret = prepare_curity(runner, sandbox)
    openbao.write(prefix + "/dcr-credentials/" + INITIAL_CLIENT_ID, {"client_id": INITIAL_CLIENT_ID,
                                                                     "client_secret": secret})
    mark = openbao.audit_mark()
    result, text = runner.module("curity_token_info", curity_args(
        info, secret_store=dict(vault, path=prefix + "/dcr-credentials/" + INITIAL_CLIENT_ID)))
    assert result.get("failed") is not True, text
    assert result["secret_store"]["stored"] is True and result["secret_store"]["version"] == 1, result
    assert secret not in text and store_writes(openbao, mark) == []

    result, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, secret))
    assert result.get("verified") is True, text
    result, text = runner.module("portal_application", app_args(info, portal, secret_store=vault))
    assert result.get("failed") is not True, text
    args = dict(portal_url=portal.url, developer_email=info["developer_email"],
                developer_password=info["developer_password"], names=[APP_NAME], secret_store=vault)
    mark = openbao.audit_mark()
    listed, text = runner.module("portal_application_info", args)
    assert listed.get("failed") is not True, text
    record = listed["applications"][0]["secret_store"]
    assert record["stored"] is True and record["path"] == "devportal-dcr/applications/" + APP_NAME
    assert record["version"] == openbao.current_version("devportal-dcr/applications/" + APP_NAME)
    assert result["client_secret"] not in text and store_writes(openbao, mark) == []


def test_a_dcr_credential_record_someone_else_wrote_meanwhile_is_not_overwritten_and_the_secret_stays_in_the_result(
        runner, sandbox, openbao, vault, prefix):
    info = sandbox.info
    path = prefix + "/dcr-credentials/" + INITIAL_CLIENT_ID
    # Curity answers the write late; meanwhile someone else writes the record the plan read as absent.
    sandbox.fault(service="curity-admin", method="PATCH", path_regex=r".", delay_s=3, count=1)
    done = {}
    task = threading.Thread(target=lambda: done.update(zip(("result", "text"), runner.module(
        "curity_token", curity_args(info, secret_store=dict(vault, path=path))))))
    task.start()
    deadline = time.monotonic() + 60
    while not any(r["path"] == "secret/data/" + path for r in openbao.audit_requests()):
        assert time.monotonic() < deadline, "the plan did not read the record"
        time.sleep(0.05)
    openbao.write(path, {"client_secret": "someone-else-s"})
    task.join(120)
    result, text = done["result"], done["text"]
    assert result.get("failed") is True, text
    assert "the secret store could not keep it" in result["msg"] and "Nothing was overwritten" in result["msg"], \
        result["msg"]
    assert "it is in this result's client_secret" in result["msg"]
    assert result["client_secret"] and result["client_secret"] not in result["msg"]
    assert openbao.read(path) == ({"client_secret": "someone-else-s"}, 1)
