# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A setup made by hand first (the sandbox README's walkthrough, run as written), then the dcr_curity role."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from harness import REPO
from test_role_dcr_curity import assert_ok, changed_steps, config_writes, konnect

README = os.path.join(REPO, "tests", "sandbox", "README.md")
DCR_STEP = "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)"

pytestmark = pytest.mark.skipif(not (shutil.which("jq") and shutil.which("curl") and shutil.which("bash")),
                                reason="the walkthrough needs bash, curl and jq")


def run_walkthrough(sandbox, tmp_path, until="### 3."):
    """The walkthrough's shell blocks before ``until`` (Curity's DCR credential, then Konnect's provider, strategy,
    portal default and publication), run with bash as a reader would."""
    with open(README, encoding="utf-8") as handle:
        section = handle.read().split("## The manual procedure, by hand", 1)[1].split(until, 1)[0]
    script = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    (tmp_path / "build").mkdir(exist_ok=True)
    (tmp_path / "build" / "sandbox.json").write_text(json.dumps(sandbox.info))
    env = {k: v for k, v in os.environ.items() if not re.match(r"^(CURITY|KONNECT)_", k)}
    run = subprocess.run(["bash", "-c", "set -eu\n" + script], cwd=str(tmp_path), env=env, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]


def strategies(sandbox):
    return sorted(s["name"] for s in konnect(sandbox, "/v2/application-auth-strategies")["data"])


def test_the_role_refuses_a_second_setup_next_to_one_made_by_hand_and_adopts_it_by_name(play, sandbox, tmp_path):
    run_walkthrough(sandbox, tmp_path)
    before = strategies(sandbox)
    assert "curity-dcr" in before
    portal = konnect(sandbox, "/v3/portals/%s" % sandbox.info["portal_id"])

    # The dry run: no second strategy planned; the message names the existing one and the variable that adopts it.
    sandbox.clear_requests()
    rc, checked = play(check=True, diff=True)
    assert rc != 0, checked[-4000:]
    assert "auth strategy 'curity-dcr' (the portal's default; DCR provider 'curity')" in checked, checked[-4000:]
    assert "dcr_curity_strategy_name" in checked and "dcr_curity_allow_duplicate" in checked
    assert "Nothing was written to Curity or Konnect" in checked
    assert config_writes(sandbox) == []
    # The real run refuses the same way, before any write.
    rc, output = play()
    assert rc != 0 and "auth strategy 'curity-dcr'" in output, output[-4000:]
    assert config_writes(sandbox) == []
    assert strategies(sandbox) == before

    # Adopted by name: the dry run plans no change of Konnect's setup and no second strategy.
    adopt = {"dcr_curity_strategy_name": "curity-dcr"}
    rc, checked = play(check=True, diff=True, extra_vars=adopt)
    assert_ok(rc, checked)
    assert DCR_STEP not in changed_steps(checked), checked[-4000:]
    assert config_writes(sandbox) == []
    rc, output = play(extra_vars=adopt)
    assert_ok(rc, output)
    assert strategies(sandbox) == before
    after = konnect(sandbox, "/v3/portals/%s" % sandbox.info["portal_id"])
    assert after["default_application_auth_strategy_id"] == portal["default_application_auth_strategy_id"]


def test_a_second_setup_is_created_only_when_asked_and_its_diff_names_both_strategies(play, sandbox, tmp_path):
    run_walkthrough(sandbox, tmp_path)
    sandbox.clear_requests()
    rc, checked = play(check=True, diff=True, extra_vars={"dcr_curity_allow_duplicate": True,
                                                          "dcr_curity_apis": ["demo-api"]})
    assert_ok(rc, checked)
    assert DCR_STEP in changed_steps(checked)
    # Names on both sides of the portal default's and the publication's diff, never an id.
    assert re.search(r"curity-dcr", checked), checked[-4000:]
    ids = [s["id"] for s in konnect(sandbox, "/v2/application-auth-strategies")["data"]]
    assert not any(i in checked for i in ids), checked[-4000:]
    assert config_writes(sandbox) == []
