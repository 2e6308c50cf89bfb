# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dcr_setup's result is built from whatever the servers answered: odd data never costs the summary, the record of
what a teardown deleted, or the secrets a run received."""

from __future__ import annotations

import os
import re

import pytest
import requests

from harness import REPO
from reliability_helpers import TRACEBACK
from test_role_dcr_curity import config_writes

TEARDOWN = os.path.join(REPO, "playbooks", "teardown.yml")
KONNECT_STEP = "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"


def strategy_id(info):
    portal = requests.get("%s/v3/portals/%s" % (info["konnect_url"], info["portal_id"]), timeout=30,
                          headers={"Authorization": "Bearer " + info["konnect_token"]}).json()
    return portal["default_application_auth_strategy_id"]


def nameless_application(info, name):
    """An application on the strategy the teardown deletes, with an odd name, as the only one Konnect lists."""
    nameless = {"id": "7d3c1d2e-0d5e-4f51-9b7a-3a2f0e9c1b11", "name": name,
                "auth_strategy": {"id": strategy_id(info), "name": "x"}, "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z"}
    return {"data": [nameless], "meta": {"page": {"number": 1, "size": 100, "total": 1}}}


@pytest.mark.parametrize("check", [True, False])
def test_a_teardown_with_a_nameless_application_on_the_strategy_keeps_its_summary(play, sandbox, check):
    info = sandbox.info
    rc, output = play()
    assert rc == 0, output[-4000:]
    # Kong's OpenAPI file makes an application's name a string, which may be empty.
    sandbox.fault(service="konnect", method="GET", path_regex=r"^/v3/portals/[^/]+/applications$", count=20,
                  body=nameless_application(info, ""))
    rc, output = play(TEARDOWN, check=check, verbosity=2,
                      extra_vars={"dcr_curity_applications_in_use": "delete", "dcr_curity_request_url": ""})
    assert TRACEBACK not in output and "sequence item" not in output, output[-4000:]
    assert rc == 0, output[-4000:]
    verdict = "changes (check mode)" if check else "changed"
    line = re.search(r'"%s: %s[^"]*? \(([^"]*)\)"' % (re.escape(KONNECT_STEP), re.escape(verdict)), output)
    assert line and "applications deleted: (no name)" in line.group(1), output[-4000:]


def test_a_teardown_refuses_an_application_whose_name_is_not_a_string_before_any_write(play, sandbox):
    info = sandbox.info
    rc, output = play()
    assert rc == 0, output[-4000:]
    # A null name is outside Kong's OpenAPI file (name: a required string): the plan fails naming the object and
    # the field, and nothing is written.
    sandbox.fault(service="konnect", method="GET", path_regex=r"^/v3/portals/[^/]+/applications$", count=20,
                  body=nameless_application(info, None))
    sandbox.clear_requests()
    rc, output = play(TEARDOWN, verbosity=2,
                      extra_vars={"dcr_curity_applications_in_use": "delete", "dcr_curity_request_url": ""})
    assert TRACEBACK not in output, output[-4000:]
    assert rc != 0
    assert "application with id 7d3c1d2e-0d5e-4f51-9b7a-3a2f0e9c1b11, name is null (expected a string)" in output
    assert config_writes(sandbox) == []
