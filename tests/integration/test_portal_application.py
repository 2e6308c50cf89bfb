# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""portal_application against the sandbox: check mode, idempotency, the secret shown once, errors, faults."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from konnect_helpers import (
    APP_NAME,
    GENERATIONS,
    Portal,
    admin_get,
    admin_send,
    app_args,
    applications,
    assert_clear_failure,
    gateway_status,
    prepare_portal,
    read_credentials,
    requests_of,
    state_changes,
    wait_for_request,
    without_invocation,
)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_check_mode_real_run_and_second_run(sandbox, runner, tmp_path, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    prepare_portal(runner, sandbox, portal)
    creds = str(tmp_path / "creds.json")
    args = app_args(info, portal, credentials_file=creds, redirect_uri="https://app.example.com/callback")
    sandbox.clear_requests()

    checked, text = runner.module("portal_application", args, check=True, diff=True)
    assert checked["changed"] is True and checked["application_id"] is None and "client_secret" not in checked, text
    assert state_changes(sandbox) == [] and not os.path.exists(creds)
    assert checked["registrations"] == [{"id": None, "target": checked["registrations"][0]["target"],
                                         "target_id": portal.target_id, "status": None}]

    created, text = runner.module("portal_application", args, diff=True)
    assert created["changed"] is True and created["diff"] == checked["diff"], text
    assert created["diff"]["after"]["application"] == {"name": APP_NAME, "redirect_uri": "https://app.example.com/callback"}
    record = read_credentials(creds)
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert record["client_secret"] == created["client_secret"] and record["client_id"] == created["client_id"]
    assert record["application_id"] == created["application_id"] and record["portal_url"] == portal.url
    assert created["credentials_file"] == creds and created["pending"] == []
    assert [r["status"] for r in created["registrations"]] == ["approved"]
    assert len(applications(info, portal)) == 1

    sandbox.clear_requests()
    again, text = runner.module("portal_application", args, diff=True)
    assert again["changed"] is False and "client_secret" not in again, text
    assert again["diff"] == {"before": {}, "after": {}} and again["credentials_file"] is None
    assert state_changes(sandbox) == [] and again["application_id"] == created["application_id"]
    assert read_credentials(creds) == record
    assert created["client_secret"] not in text


def test_updates_are_patched_and_registrations_approved_later(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    first, text = runner.module("portal_application", app_args(info, portal, approve_registrations=False))
    assert first["pending"] == [first["registrations"][0]["target"]], text
    assert gateway_status(info, first["client_id"], first["client_secret"]) == 403  # known client, not approved

    args = app_args(info, portal, description="Back office", redirect_uri="https://bo.example.com/cb")
    sandbox.clear_requests()
    checked = runner.module("portal_application", args, check=True, diff=True)[0]
    assert state_changes(sandbox) == []
    updated, text = runner.module("portal_application", args, diff=True)
    assert updated["changed"] is True and updated["diff"] == checked["diff"], text
    assert updated["diff"]["after"]["approvals"] == {first["registrations"][0]["target"]: "approved"}
    assert updated["diff"]["after"]["application"]["description"] == "Back office"
    assert [r[:2] for r in state_changes(sandbox)] == [("portal", "PATCH"), ("konnect", "PATCH")]
    assert updated["pending"] == [] and "client_secret" not in updated
    assert gateway_status(info, first["client_id"], first["client_secret"]) == 200


@pytest.mark.parametrize("generation", GENERATIONS)
def test_regenerate_secret(sandbox, runner, tmp_path, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    prepare_portal(runner, sandbox, portal)
    creds = str(tmp_path / "creds.json")
    first = runner.module("portal_application", app_args(info, portal, credentials_file=creds))[0]
    args = app_args(info, portal, credentials_file=creds, regenerate_secret=True)
    sandbox.clear_requests()
    checked, text = runner.module("portal_application", args, check=True, diff=True)
    assert checked["changed"] is True and "client_secret" not in checked and state_changes(sandbox) == [], text
    assert read_credentials(creds)["client_secret"] == first["client_secret"]
    rotated, text = runner.module("portal_application", args, diff=True)
    assert rotated["changed"] is True and rotated["diff"] == checked["diff"], text
    assert rotated["diff"]["after"] == {"client_secret": {"client_secret": "(new secret)"}}
    assert rotated["client_secret"] != first["client_secret"] and rotated["client_id"] == first["client_id"]
    assert read_credentials(creds)["client_secret"] == rotated["client_secret"]
    assert rotated["credentials_backup"] is None  # the same client's file is simply replaced
    suffix = "regenerate-secret" if generation == "v3" else "refresh-token"
    assert [r[2].rsplit("/", 1)[1] for r in state_changes(sandbox)] == [suffix]


def test_a_file_holding_another_clients_secret_is_backed_up(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    creds = tmp_path / "creds.json"
    creds.write_text('{"client_id": "someone-else", "client_secret": "their-secret"}')
    created, text = runner.module("portal_application", app_args(info, portal, credentials_file=str(creds)))
    assert created["credentials_backup"].startswith(str(creds) + "."), text
    assert read_credentials(created["credentials_backup"])["client_secret"] == "their-secret"
    assert read_credentials(str(creds))["client_secret"] == created["client_secret"]


def test_missing_folders_of_the_credentials_file_are_created_private_and_not_in_check_mode(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    creds = tmp_path / "config" / "dcr" / "my-app.json"
    checked, text = runner.module("portal_application", app_args(info, portal, credentials_file=str(creds)), check=True)
    assert checked["changed"] is True and not checked.get("failed"), text
    assert not (tmp_path / "config").exists()  # check mode creates nothing
    created, text = runner.module("portal_application", app_args(info, portal, credentials_file=str(creds)))
    assert not created.get("failed"), text
    assert read_credentials(str(creds))["client_secret"] == created["client_secret"]
    for folder in (tmp_path / "config", tmp_path / "config" / "dcr"):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder
    assert oct(creds.stat().st_mode & 0o777) == "0o600"


def test_an_already_registered_answer_is_success_after_a_lookup(sandbox, runner):
    """Someone registers the API between the module's read and its POST: the 409 is not an error."""
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    first = runner.module("portal_application", app_args(info, portal, registrations=None))[0]
    sandbox.fault(service="portal", method="POST", path_regex="/registrations$", delay_s=0.6)
    sandbox.clear_requests()
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        zip(("result", "text"), runner.module("portal_application", app_args(info, portal)))))
    worker.start()
    wait_for_request(sandbox, "GET", "/applications/%s/registrations" % first["application_id"])
    admin_send(info, "POST", "/v3/portals/%s/applications/%s/registrations" % (portal.id, first["application_id"]),
               {"api_id": portal.target_id, "status": "approved"})
    worker.join(60)
    result = outcome["result"]
    assert result["changed"] is True and [r["status"] for r in result["registrations"]] == ["approved"], outcome["text"]
    assert [e["status"] for e in sandbox.requests("portal", ["POST"]) if e["path"].endswith("/registrations")] == [409]


def test_a_secret_is_never_lost_when_the_credentials_file_cannot_be_written(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    creds = tmp_path / "creds.json"
    # The file becomes unwritable while Konnect creates the application (after the module checked the path).
    sandbox.fault(service="portal", method="POST", path_regex="/applications$", delay_s=0.6)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(zip(("result", "text"), runner.module(
        "portal_application", app_args(info, portal, credentials_file=str(creds))))))
    worker.start()
    wait_for_request(sandbox, "GET", "/api/v3/apis")
    os.makedirs(str(creds / "blocker"))
    worker.join(60)
    result, text = outcome["result"], outcome["text"]
    assert_clear_failure(result, text, "credentials_file %r could not be written" % str(creds))
    assert result["changed"] is True and result["client_secret"] and result["application_id"]
    assert gateway_status(info, result["client_id"], result["client_secret"]) == 403  # valid, not yet registered
    assert gateway_status(info, result["client_id"], "not-the-secret") == 401
    assert text.count(result["client_secret"]) == 1  # only as client_secret, never in msg or elsewhere


def test_a_failure_after_creation_still_returns_the_secret(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    admin_send(info, "PUT", "/v3/apis/%s/publications/%s" % (portal.target_id, portal.id), {"auth_strategy_ids": None})
    creds = str(tmp_path / "creds.json")
    result, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds))
    assert_clear_failure(result, text, "Cannot register the application to demo-api/v1")
    assert "is in this result's client_secret and in credentials_file" in result["msg"]
    assert read_credentials(creds)["client_secret"] == result["client_secret"]
    assert text.count(result["client_secret"]) == 1


# (change, words, needs the portal's DCR settings)
BAD_INPUTS = [
    ({"redirect_uri": "/relative/callback"}, "redirect_uri must be an absolute URI", False),
    ({"redirect_uri": "https://app.example.com/cb#fragment"}, "redirect_uri must be an absolute URI", False),
    ({"portal_url": "portal.example.com"}, "portal_url must be an absolute http", False),
    ({"name": "n" * 256}, "name must be 1 to 255 characters", False),
    ({"description": "d" * 256}, "description must not be longer than 255", False),
    ({"konnect_token": None}, "approve_registrations needs konnect_token", False),
    ({"credentials_file": "/dev/null/creds/creds.json"}, "the folder '/dev/null/creds' cannot be created", False),
    ({"regenerate_secret": "maybe"}, "regenerate_secret", False),
    ({"developer_password": "Wrong-password-1"}, "refused the login of developer@example.com", False),
    ({"portal_api": "v2"}, "did not answer as a Konnect Dev Portal", False),
    ({"auth_strategy": "no-such-strategy"}, "No auth strategy 'no-such-strategy' on this portal. Strategies developers "
                                            "can use here: curity.", True),
    ({"registrations": ["no-such-api"]}, "No API 'no-such-api' found. APIs: demo-api/v1.", True),
]


@pytest.mark.parametrize("change, words, prepared", BAD_INPUTS, ids=[case[1][:40] for case in BAD_INPUTS])
def test_bad_input_fails_clearly_before_any_write(sandbox, runner, change, words, prepared):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    if prepared:
        prepare_portal(runner, sandbox, portal)
    sandbox.clear_requests()
    args = app_args(info, portal)
    args.update(change)
    result, text = runner.module("portal_application", args)
    assert_clear_failure(result, text, words)
    assert state_changes(sandbox) == [] and applications(info, portal) == []
    assert info["developer_password"] not in text and info["konnect_token"] not in text
    if not prepared and "developer_password" not in change and "portal_api" not in change:
        assert requests_of(sandbox, "portal") == []  # refused before any request


def test_errors_of_the_classic_portal_and_of_the_developer_account(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v2")
    prepare_portal(runner, sandbox, portal)
    result, text = runner.module("portal_application", app_args(info, portal, registrations=["no-such-product"]))
    assert_clear_failure(result, text, "No API product 'no-such-product' found. API products: demo-product.")
    developers = admin_get(info, "/v2/portals/%s/developers" % portal.id)["data"]
    admin_send(info, "PATCH", "/v2/portals/%s/developers/%s" % (portal.id, developers[0]["id"]), {"status": "pending"})
    result, text = runner.module("portal_application", app_args(info, portal))
    assert_clear_failure(result, text, "is not approved on this Dev Portal yet")
    assert applications(info, portal) == []


def test_transient_faults_on_reads_and_patch_are_retried(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    runner.module("portal_application", app_args(info, portal))
    sandbox.fault(service="portal", method="GET", path_regex="/api/v3/applications$", status=503)
    sandbox.fault(service="portal", method="PATCH", path_regex="/api/v3/applications/", status=429, retry_after=0)
    result, text = runner.module("portal_application", app_args(info, portal, description="retried"))
    assert result["changed"] is True, text
    assert [e["status"] for e in sandbox.requests("portal", ["PATCH"])] == [429, 200]


def test_a_lost_creation_is_found_by_name_and_its_secret_regenerated(sandbox, runner, tmp_path):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.fault(service="portal", method="POST", path_regex="/api/v3/applications$", delay_s=1.5)
    lost, text = runner.module("portal_application", app_args(info, portal, timeout=1))
    assert_clear_failure(lost, text, "set regenerate_secret: true to get a new secret")
    wait_for_request(sandbox, "POST", "/api/v3/applications")
    creds = str(tmp_path / "creds.json")
    found, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds))
    assert "client_secret" not in found and len(applications(info, portal)) == 1, text
    fresh, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds,
                                                               regenerate_secret=True))
    assert len(applications(info, portal)) == 1, text
    assert gateway_status(info, fresh["client_id"], read_credentials(creds)["client_secret"]) == 200


def test_a_reset_during_creation_is_not_answered_by_a_second_post(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v3")
    prepare_portal(runner, sandbox, portal)
    sandbox.fault(service="portal", method="POST", path_regex="/api/v3/applications$", reset_connection=True)
    failed, failed_text = runner.module("portal_application", app_args(info, portal))
    assert failed.get("failed") is True and "Traceback" not in failed_text, failed_text
    assert len([e for e in sandbox.requests("portal", ["POST"]) if e["path"] == "/api/v3/applications"]) == 1
    again, text = runner.module("portal_application", app_args(info, portal))
    assert again.get("failed") is not True and len(applications(info, portal)) == 1, text
    # Checked last: the sandbox must really drop the connection for this message (see the report on core.py).
    assert_clear_failure(failed, failed_text, "regenerate_secret")


def test_absent_deletes_the_application(sandbox, runner):
    info, portal = sandbox.info, Portal(sandbox.info, "v2")
    prepare_portal(runner, sandbox, portal)
    runner.module("portal_application", app_args(info, portal))
    args = app_args(info, portal, state="absent", approve_registrations=False)
    sandbox.clear_requests()
    checked, text = runner.module("portal_application", args, check=True, diff=True)
    assert checked["changed"] is True and state_changes(sandbox) == [], text
    removed, text = runner.module("portal_application", args, diff=True)
    assert without_invocation(removed)["diff"] == checked["diff"] and removed["changed"] is True, text
    assert applications(info, portal) == []
    again = runner.module("portal_application", args)[0]
    assert again["changed"] is False
