# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's curl walkthrough of the manual procedure, run exactly as written."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SANDBOX = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SANDBOX))


def walkthrough_script():
    with open(os.path.join(SANDBOX, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## The manual procedure, by hand", 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) >= 7, "the walkthrough lost its steps"
    return "set -eu\n" + "\n".join(blocks)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
                    reason="the walkthrough needs curl, jq and bash")
def test_readme_walkthrough_runs_as_written(tmp_path):
    (tmp_path / "build").mkdir()
    info_file = tmp_path / "build" / "sandbox.json"
    # The server outlives this block (stopped in finally), so no context manager.
    proc = subprocess.Popen([sys.executable, os.path.join(SANDBOX, "serve"), "--info-file", str(info_file)],  # pylint: disable=consider-using-with
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "sandbox did not start"
            time.sleep(0.05)
        run = subprocess.run(["bash", "-c", walkthrough_script()], cwd=str(tmp_path), capture_output=True, text=True,
                             timeout=300, check=False)
        assert run.returncode == 0, run.stderr[-2000:]
        lines = run.stdout.split()
        assert '"dcr"' in lines  # the initial access token's scope
        assert '{"status":"success","errors":[]}' in lines  # Konnect's verify of the provider
        assert "approved" in lines
        assert lines[-2:] == ["200", "401"]  # the gateway: right secret, wrong secret
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
