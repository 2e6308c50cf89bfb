# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A teardown removes the credentials files of the applications it deletes (their secrets no longer work)."""

from __future__ import annotations

import json
import os

from test_role_dcr_curity import TEARDOWN, assert_ok, config_writes, credentials_path, read_credentials


def test_the_teardown_removes_the_credentials_files_of_the_applications_it_deletes(play, sandbox):
    assert_ok(*play())
    path = credentials_path(sandbox)
    assert read_credentials(sandbox)["client_secret"]
    sandbox.clear_requests()
    rc, checked = play(TEARDOWN, check=True)
    assert_ok(rc, checked)
    assert "credentials file %s removed" % path in checked, checked[-4000:]
    assert os.path.exists(path) and config_writes(sandbox) == []
    rc, output = play(TEARDOWN)
    assert_ok(rc, output)
    assert "credentials file %s removed" % path in output, output[-4000:]
    assert not os.path.exists(path)


def test_a_file_of_another_application_is_left_with_a_warning(play, sandbox):
    assert_ok(*play())
    path = credentials_path(sandbox)
    record = read_credentials(sandbox)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict(record, application_id="00000000-0000-4000-8000-000000000000"), handle)
    os.chmod(path, 0o600)
    rc, output = play(TEARDOWN)
    assert_ok(rc, output)
    assert "is left as it is: it does not hold the credentials of the application 'demo-app'" in output, output[-4000:]
    assert os.path.exists(path)
