# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: which requests each task sent, read from the sandbox request log.

Enabled only by ``tests/tools/bench.py`` for its counting runs (never for the timed runs, so
that the calls to the control API cost nothing there).  Before each task and at the end of
the play it reads the sandbox's request log (``$DCR_BENCH_CONTROL_URL/requests``); the
entries logged since the previous task belong to that task.  Meant for one host and the
linear strategy, where tasks run one after another.  Writes a JSON list of
``{name, action, status, seconds, requests, module_executions}`` to ``$DCR_BENCH_REQUESTS_OUT``.

``module_executions`` counts the module processes a task started: none for a task that runs in the
controller (debug, fail, assert, ...), one per item for a module task, and for
``devportal.dcr.dcr_setup`` the number it reports.  That result is ``no_log`` (callbacks see it
censored), so it is read, with its per-module timings, from the registered variable at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_requests
type: aggregate
short_description: Record the sandbox requests of each task (benchmark only)
description:
  - Reads the sandbox request log before each task and writes, per task, the requests it sent.
options: {}
"""

import json
import os
import time

from ansible.module_utils.urls import open_url
from ansible.plugins.callback import CallbackBase


# Actions that run inside the controller: no module process.
CONTROLLER_SIDE = frozenset(("debug", "fail", "assert", "set_fact", "validate_argument_spec", "include_tasks",
                             "import_tasks", "include_role", "import_role", "meta", "include_vars", "add_host",
                             "group_by", "set_stats", "pause"))


class CallbackModule(CallbackBase):
    """Attributes sandbox requests to tasks."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_requests"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.control_url = os.environ.get("DCR_BENCH_CONTROL_URL", "").rstrip("/")
        self.out_path = os.environ.get("DCR_BENCH_REQUESTS_OUT", "")
        self.tasks = []
        self.current = None
        self.seen = 0
        self.variable_manager = None

    def _log(self):
        if not self.control_url:
            return []
        resp = open_url(self.control_url + "/requests", method="GET", timeout=30, use_proxy=False, use_netrc=False)
        return json.loads(resp.read())

    def _close_current(self):
        entries = self._log()
        if self.current is not None:
            self.current["seconds"] = round(time.monotonic() - self.current.pop("started"), 4)
            self.current["requests"] = [
                {"service": e.get("service"), "method": e.get("method"), "path": e.get("path"), "status": e.get("status")}
                for e in entries[self.seen:]
            ]
            self.tasks.append(self.current)
        self.seen = len(entries)
        self.current = None

    def v2_playbook_on_play_start(self, play):
        self.variable_manager = getattr(play, "_variable_manager", None)

    def _count(self, result):
        if self.current is None:
            return
        short = (self.current["action"] or "").split(".")[-1]
        data = getattr(result, "_result", None) or {}
        if short in CONTROLLER_SIDE or data.get("skipped"):
            executions = 0
        elif short == "dcr_setup" and "report" in (getattr(getattr(result, "_task", None), "args", None) or {}):
            executions = 0  # the task that shows an earlier run's report runs in the controller
        elif short == "dcr_setup":
            executions = None  # filled in from the registered result at the end
        elif isinstance(data.get("results"), list):
            executions = len([r for r in data["results"] if not (isinstance(r, dict) and r.get("skipped"))])
        else:
            executions = 1
        self.current["module_executions"] = executions

    def _setup_results(self):
        """module_executions and timings of each dcr_setup run, from the registered ``dcr_curity_result``."""
        cache = getattr(self.variable_manager, "_nonpersistent_fact_cache", None) or {}
        return [facts["dcr_curity_result"] for facts in cache.values()
                if isinstance(facts.get("dcr_curity_result"), dict) and "module_executions" in facts["dcr_curity_result"]]

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_current()
        action = getattr(task, "resolved_action", None) or task.action
        self.current = {"name": task.get_name(), "action": action, "status": "started", "started": time.monotonic()}

    def _status(self, status):
        if self.current is not None and self.current["status"] in ("started", "skipped"):
            self.current["status"] = status

    def v2_runner_on_ok(self, result):
        self._status("ok")
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if self.current is not None:
            self.current["status"] = "failed"
        self._count(result)

    def v2_runner_on_skipped(self, result):
        self._status("skipped")
        if self.current is not None:
            self.current.setdefault("module_executions", 0)

    def v2_playbook_on_stats(self, stats):
        self._close_current()
        setups = self._setup_results()
        for task in self.tasks:
            if task.get("module_executions", 0) is None:
                task["module_executions"] = setups[0]["module_executions"] if setups else 0
                task["module_timings"] = setups[0].get("timings", []) if setups else []
        if self.out_path:
            with open(self.out_path, "w") as handle:
                json.dump(self.tasks, handle, indent=1)
