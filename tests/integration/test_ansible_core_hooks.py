# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""devportal.dcr.dcr_setup on the ansible-core that runs it: the ansible-core internals it leans on, in a real run.

``make test`` runs this module on every supported ansible-core release (``E2E_TESTS``); the unit tests in
``tests/unit/plugins/action/test_ansible_core_hooks.py`` check each hook alone.  Here, the role's playbook at
``-vvv``: the plans run side by side on threads, so each module run must be sent as a file of its own (dcr_setup's
``_configure_module``), and no run may warn of a deprecation.
"""

from __future__ import annotations

import json
import re

from harness import deprecations
# play: the role tests' fixture, used by name.
from test_role_dcr_curity import RECORD_PLAYBOOK, assert_ok, changed_steps, play, steps  # pylint: disable=unused-import

# The local connection at -vvv: "PUT <local file> TO <remote tmp>/AnsiballZ_<module file>".
PUT = re.compile(r"\bPUT \S+ TO \S+/AnsiballZ_([^/\s]+\.py)\b")
STEPS = ("curity_claim", "curity_scope", "curity_token", "konnect_portal_dcr", "portal_application")


def test_each_module_run_is_sent_as_a_file_of_its_own_and_nothing_is_deprecated(play, sandbox, tmp_path):
    record = tmp_path / "record.json"
    playbook = tmp_path / "record.yml"
    playbook.write_text(RECORD_PLAYBOOK % record)
    for check in (True, False, False):  # a dry run, the first run, a run that changes nothing
        rc, output = play(str(playbook), check=check, verbosity=3)
        assert_ok(rc, output)
        assert deprecations(output) == []
        runs = json.loads(record.read_text()) if not check else None
        files = [name for name in PUT.findall(output) if name.startswith("dcr_setup")]
        # One file per module run, named after the run: dcr_setup-<step>-<n>.py.
        assert files and len(files) == len(set(files)), files
        assert all(re.match(r"^dcr_setup-(%s)-\d+\.py$" % "|".join(STEPS), name) for name in files), files
        if runs is not None:
            assert len(files) == runs["module_executions"] == len(runs["timings"]), (files, runs)
            assert sorted(re.sub(r"^dcr_setup-|-\d+\.py$", "", name) for name in files) == sorted(
                t["module"] for t in runs["timings"])
    assert len(steps(output)) == 5 and changed_steps(output) == [], output[-3000:]  # the last run changed nothing
