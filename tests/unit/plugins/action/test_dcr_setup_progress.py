# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dcr_setup while a step's module runs: its retries as they happen (-v), a heartbeat where the module runs elsewhere,
the requests it sent (-vvv), and nothing of it in the result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import os
import stat
import threading
import time

import pytest

from ansible_collections.devportal.dcr.plugins.action import dcr_setup
from ansible_collections.devportal.dcr.plugins.action.dcr_setup import ActionModule
from ansible_collections.devportal.dcr.plugins.module_utils._module import STEP_OPTION
from ansible_collections.devportal.dcr.plugins.module_utils._progress import (
    PROGRESS_OPTION,
    TRACE_KEY,
    TRACE_OPTION,
    WARNINGS_KEY,
    Observer,
    ProgressFile,
)

SECRET = "Admin-Secret-0001"
RETRY = dict(event="retry", method="GET", path="/claims", why="HTTP 503", service="Curity admin API", wait=0.5,
             attempt=2, attempts=6)
REQUEST = dict(event="request", method="GET", path="/claims", service="Curity admin API", status=200, error=None,
               ms=512, attempts=2)


class FakeDisplay:
    def __init__(self, verbosity):
        self.verbosity = verbosity
        self.lines = []

    def v(self, text):
        self.lines.append((time.monotonic(), 1, text))

    def vvv(self, text):
        self.lines.append((time.monotonic(), 3, text))

    def texts(self, level=None):
        return [text for dummy, lvl, text in self.lines if level is None or lvl == level]


class Obj:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def action(transport="local", become=False):
    plugin = object.__new__(ActionModule)
    plugin._task = Obj(check_mode=False)
    plugin._connection = Obj(transport=transport)
    plugin._play_context = Obj(become=become)
    plugin._vars = {}
    plugin._warnings = []
    plugin._warned = set()
    plugin._warnings_lock = threading.Lock()
    plugin.executions = []
    plugin._began = time.monotonic()
    plugin._run_local = threading.local()
    plugin._run_numbers = itertools.count(1)
    plugin._progress = ProgressFile()
    plugin._hidden = lambda: {SECRET}
    return plugin


def fake_module(seen, wait=0.6):
    """A step's module run: a retry (written as the module writes it), a wait, a result with the trace."""

    def run(module_name, module_args, task_vars):
        seen.update(args=dict(module_args), path=module_args.get(PROGRESS_OPTION))
        observer = Observer(module_args.get(PROGRESS_OPTION), trace=bool(module_args.get(TRACE_OPTION)))
        observer(RETRY)
        if seen["path"]:
            seen["mode"] = stat.S_IMODE(os.stat(seen["path"]).st_mode)
            seen["folder_mode"] = stat.S_IMODE(os.stat(os.path.dirname(seen["path"])).st_mode)
        time.sleep(wait)
        observer(REQUEST)
        observer(dict(REQUEST, path="/claims/%s" % SECRET))
        seen["ended"] = time.monotonic()
        result = dict(changed=False, warnings=["Retrying GET http://curity/claims after HTTP 503 (4 retries left).",
                                               "another warning"])
        if observer.result() is not None:
            result[TRACE_KEY] = observer.result()
        return result

    return run


@pytest.fixture
def shown(monkeypatch):
    def at(verbosity):
        fake = FakeDisplay(verbosity)
        monkeypatch.setattr(dcr_setup, "display", fake)
        return fake

    return at


def test_on_the_controller_each_retry_shows_while_the_module_runs(shown, monkeypatch):
    display = shown(1)
    plugin, seen = action(), {}
    monkeypatch.setattr(plugin, "_execute_module", fake_module(seen), raising=False)
    result = plugin.execute("curity_claim", {"name": "x"}, check=True)
    retry_lines = [(when, text) for when, dummy, text in display.lines if "retrying" in text]
    assert retry_lines == [(retry_lines[0][0], "dcr_setup plan | Curity claims (curity_claim): retrying GET /claims "
                                               "(Curity admin API) after HTTP 503, next attempt in 0.5 s (attempt 2 of "
                                               "at most 6)")]
    assert retry_lines[0][0] < seen["ended"] - 0.3  # shown while the module still ran
    # The file was private, and is gone; the warning of the retry is not shown a second time, the others are.
    assert seen["mode"] == 0o600 and seen["folder_mode"] == 0o700 and not os.path.exists(seen["path"])
    assert "dcr_setup plan | Curity claims (curity_claim): another warning" in display.texts()
    assert not any("Retrying" in text for text in display.texts())
    # No trace asked for below -vvv; nothing internal in the result.
    assert TRACE_OPTION not in seen["args"] and seen["args"][STEP_OPTION] == "curity_claim"
    assert TRACE_KEY not in result and "warnings" not in result
    assert len(plugin.warnings) == 2  # still the task's warnings
    plugin._progress.close()


@pytest.mark.parametrize("transport, become", [("ssh", False), ("local", True)])
def test_elsewhere_a_heartbeat_shows_the_run_is_alive(shown, monkeypatch, transport, become):
    display = shown(1)
    monkeypatch.setattr(dcr_setup, "HEARTBEAT_FIRST", 0.2)
    monkeypatch.setattr(dcr_setup, "HEARTBEAT_EVERY", 10)
    plugin, seen = action(transport, become), {}
    monkeypatch.setattr(plugin, "_execute_module", fake_module(seen), raising=False)
    plugin.execute("curity_token", {"client_id": "konnect-dcr"}, check=False)
    assert PROGRESS_OPTION not in seen["args"]
    beats = [(when, text) for when, dummy, text in display.lines if "still" in text]
    assert [text for dummy, text in beats] == [
        "dcr_setup apply | still applying Curity DCR credential and DCR settings (curity_token): 0 s"]
    assert beats[0][0] < seen["ended"]
    # The retry shows after the step, from its warnings, as before.
    assert any(text.endswith("Retrying GET http://curity/claims after HTTP 503 (4 retries left).")
               for text in display.texts())


def test_with_vvv_the_requests_show_masked_and_leave_the_result(shown, monkeypatch):
    display = shown(3)
    plugin, seen = action(), {}
    monkeypatch.setattr(plugin, "_execute_module", fake_module(seen, wait=0), raising=False)
    result = plugin.execute("portal_application", {"name": "demo-app"}, check=False)
    assert seen["args"][TRACE_OPTION] is True
    assert TRACE_KEY not in result
    assert display.texts(3) == [
        "dcr_setup apply | Dev Portal application demo-app (portal_application): GET /claims (Curity admin API) -> "
        "HTTP 200 (512 ms, 2 attempts)",
        "dcr_setup apply | Dev Portal application demo-app (portal_application): GET /claims/******** (Curity admin "
        "API) -> HTTP 200 (512 ms, 2 attempts)"]
    plugin._progress.close()


def test_without_v_nothing_is_watched(shown, monkeypatch):
    display = shown(0)
    plugin, seen = action(), {}
    monkeypatch.setattr(plugin, "_execute_module", fake_module(seen, wait=0), raising=False)
    plugin.execute("curity_scope", {}, check=True)
    assert set(seen["args"]) == {STEP_OPTION}
    assert not any("retrying" in text or "still" in text for text in display.texts())
    assert plugin._progress.folder is None


def test_a_warning_reads_as_its_text_whatever_its_shape():
    class Event:
        msg = "the text"

    assert dcr_setup.warning_text("plain") == "plain"
    assert dcr_setup.warning_text(Obj(event=Event())) == "the text"
    assert dcr_setup.warning_text({"msg": "from a dict"}) == "from a dict"
    assert dcr_setup.warning_text(7) == "7"


def test_a_warning_that_a_later_result_repeats_is_taken_once(shown, monkeypatch):
    # ansible-core 2.21 hands each module run's result the warnings of the task's earlier runs too.
    display = shown(1)
    plugin, seen = action(), {}
    monkeypatch.setattr(plugin, "_execute_module", fake_module(seen, wait=0), raising=False)
    plugin.execute("curity_claim", {}, check=True)
    plugin.execute("curity_scope", {}, check=True)
    assert len(plugin.warnings) == 2
    assert [text for text in display.texts() if text.endswith("another warning")] == [
        "dcr_setup plan | Curity claims (curity_claim): another warning"]
    plugin._progress.close()


def test_a_warning_shows_with_the_step_that_issued_it_when_ansible_hands_it_over_later(shown, monkeypatch):
    # As ansible-core 2.21 does: the first run's warning arrives with the second run's result.
    display = shown(1)
    plugin = action()
    results = iter([{"changed": False, WARNINGS_KEY: ["from the claims"]},
                    {"changed": False, "warnings": ["from the claims"], WARNINGS_KEY: []}])
    monkeypatch.setattr(plugin, "_execute_module", lambda **kwargs: next(results), raising=False)
    first = plugin.execute("curity_claim", {}, check=True)
    plugin.execute("curity_scope", {}, check=True)
    assert display.texts() == ["dcr_setup plan | Curity claims (curity_claim): from the claims"]
    assert plugin.warnings == ["from the claims"] and WARNINGS_KEY not in first
    plugin._progress.close()
