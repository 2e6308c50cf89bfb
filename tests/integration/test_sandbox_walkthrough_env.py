# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox walkthrough's environment (its first block, run as written) is all the modules need."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from harness import REPO

README = os.path.join(REPO, "tests", "sandbox", "README.md")
# Connection settings a module could also find in the environment the tests themselves run in.
CONNECTION = re.compile(r"^(CURITY|KONNECT)_")


def walkthrough_environment(info, tmp_path):
    """The variables the walkthrough's first block exports, run with bash in a folder holding build/sandbox.json."""
    with open(README, encoding="utf-8") as handle:
        section = handle.read().split("## The manual procedure, by hand", 1)[1]
    first = re.findall(r"```sh\n(.*?)```", section, re.S)[0]
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "sandbox.json").write_text(json.dumps(info))
    env = {k: v for k, v in os.environ.items() if not CONNECTION.match(k)}
    run = subprocess.run(["bash", "-c", "set -eu\n" + first + "\nenv -0"], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    exported = dict(entry.split("=", 1) for entry in run.stdout.split("\0") if "=" in entry)
    return {k: v for k, v in exported.items() if CONNECTION.match(k)}


@pytest.mark.skipif(not (shutil.which("jq") and shutil.which("bash")), reason="the walkthrough needs jq and bash")
def test_the_modules_reach_the_sandbox_with_only_the_walkthroughs_environment(runner, sandbox, tmp_path):
    env = walkthrough_environment(sandbox.info, tmp_path)
    assert env["KONNECT_PORTAL_URL"] == sandbox.info["portal_url"]
    assert env["KONNECT_DEVELOPER_PASSWORD"] == sandbox.info["developer_password"]
    cleared = {k: "" for k in env}  # the same module runs, without those variables
    for module in ("curity_claim_info", "curity_token_info", "konnect_portal_dcr_info", "portal_application_info"):
        result, text = runner.module(module, {}, env=env)
        assert result.get("failed") is not True, (module, result.get("msg"))
        for value in (sandbox.info["curity_admin_password"], sandbox.info["konnect_token"],
                      sandbox.info["developer_password"]):
            assert value not in text, module
        result, _text = runner.module(module, {}, env=cleared)
        assert result.get("failed") is True, module
    # The developer API was used with the developer's login from the environment, Curity and Konnect likewise.
    assert {e["service"] for e in sandbox.requests()} >= {"curity-admin", "konnect", "portal"}
