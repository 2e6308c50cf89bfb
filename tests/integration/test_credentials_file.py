# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A credentials file is never read through a symbolic link: a link to /dev/zero is refused before any request, by
portal_application and by dcr_setup's gateway request, instead of being read without end.

Every run here has resource limits (file size, memory), so that a reader that does follow the link fails fast
instead of filling the machine.
"""

from __future__ import annotations

import json
import os
import resource
import time

from reliability_helpers import TRACEBACK, portal_conn, state_writes

LIMITS = {resource.RLIMIT_FSIZE: 64 * 1024 * 1024, resource.RLIMIT_AS: 2 * 1024 * 1024 * 1024}


def test_portal_application_refuses_a_link_to_dev_zero_before_any_request(sandbox, runner, tmp_path):
    link = tmp_path / "app.credentials.json"
    link.symlink_to("/dev/zero")
    sandbox.clear_requests()
    started = time.monotonic()
    result, text = runner.module("portal_application", portal_conn(sandbox.info, name="linked-app",
                                                                   credentials_file=str(link)),
                                 limits={resource.RLIMIT_AS: 1024 * 1024 * 1024})
    assert result.get("failed") is True and "is a symbolic link" in result.get("msg", ""), result
    assert TRACEBACK not in text and time.monotonic() - started < 60
    assert state_writes(sandbox.requests()) == [] and link.is_symlink()


def test_the_gateway_request_does_not_read_a_credentials_file_through_a_link(play, sandbox):
    rc, output = play(limits=LIMITS)
    assert rc == 0, output[-4000:]
    path = os.path.join(os.path.dirname(sandbox.info_file), "demo-app.credentials.json")
    with open(path, encoding="utf-8") as handle:
        secret = json.load(handle)["client_secret"]
    os.unlink(path)
    os.symlink("/dev/zero", path)
    sandbox.clear_requests()
    try:
        started = time.monotonic()
        rc, output = play(tags="application,verify", limits=LIMITS)
        elapsed = time.monotonic() - started
    finally:
        os.unlink(path)
    # The application's plan refuses the file before anything is sent; the gateway request is never made.
    assert rc != 0 and "is a symbolic link" in output, output[-4000:]
    assert TRACEBACK not in output and secret not in output and elapsed < 60, elapsed
    assert sandbox.requests("gateway") == []
