# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user of the dcr_curity role sees: one message for a failure, Ansible's own diff, detail with -v."""

from __future__ import annotations

import re

from test_role_dcr_curity import TEARDOWN, assert_ok, config_writes, recap

LOGIN_REFUSED = "The Dev Portal refused the login of"


def test_a_failed_run_prints_its_message_once(play, sandbox):
    rc, output = play(tags="application", extra_vars={"dcr_curity_developer_password": "Wrong-password-0001"})
    assert rc != 0
    # One failed task, whose message Ansible shows as it shows any module's: its error line and its result.
    assert output.count("[ERROR]") == 1, output[-4000:]
    assert len(re.findall(r"^fatal: \[localhost\]", output, re.M)) == 1, output[-4000:]
    assert output.count(LOGIN_REFUSED) == 2, output[-4000:]
    assert "censored" not in output and "no_log" not in output
    assert recap(output)["failed"] == 1 and recap(output)["rescued"] == 0
    assert "Wrong-password-0001" not in output
    assert config_writes(sandbox) == []


def test_verbose_output_gives_the_steps_with_secrets_masked(play, sandbox):
    info = sandbox.info
    rc, output = play(tags="application", verbosity=1,
                      extra_vars={"dcr_curity_developer_password": "Wrong-password-0002"})
    assert rc != 0
    assert '"failed_step": "application"' in output and '"steps":' in output, output[-4000:]
    for secret in ("Wrong-password-0002", info["konnect_token"], info["curity_admin_password"]):
        assert secret not in output


def test_diff_mode_shows_each_object_before_and_after_as_ansible_does(play, sandbox):
    rc, checked = play(check=True, diff=True)
    assert_ok(rc, checked)
    header = "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): portal"
    assert "--- before: %s\n+++ after: %s\n" % (header, header) in checked, checked[-6000:]
    assert re.search(r'^-\s+"default_application_auth_strategy": "key-auth"$', checked, re.M), checked[-6000:]
    assert re.search(r'^\+\s+"default_application_auth_strategy": "curity"$', checked, re.M)
    assert re.search(r'^\+\s+"initial_client_secret": "\*\*\*\*\*\*\*\*",?$', checked, re.M)
    # No debug of the result's JSON.
    assert "before_header" not in checked and "(pending)" not in checked and "dcr_curity_result.diff" not in checked
    assert config_writes(sandbox) == []


def test_errors_name_the_role_variables_and_their_environment_variables(play, sandbox):
    rc, output = play(tags="application", extra_vars={"dcr_curity_developer_password": "Wrong-password-0003"})
    assert rc != 0
    assert ("check dcr_curity_developer_email (or KONNECT_DEVELOPER_EMAIL) and dcr_curity_developer_password (or "
            "KONNECT_DEVELOPER_PASSWORD)") in output, output[-3000:]
    assert_ok(*play())
    rc, output = play(TEARDOWN, extra_vars={"dcr_curity_applications": [], "dcr_curity_request_url": ""})
    assert rc != 0
    assert "dcr_curity_applications_in_use: delete" in output, output[-3000:]
    assert "ignore_applications" not in output and " applications_in_use" not in output
