# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of ansible-core that devportal.dcr.dcr_setup relies on beyond the documented plugin API, checked on
each supported ansible-core release (``make test`` runs these units on every one).  A failure here means that
ansible-core changed one of them: read the README's compatibility section before changing the action plugin.

* ``ActionBase.finalize_task_arg(name, value, templar, context)``: ansible-core templates each task argument
  through it, and the templar it passes has ``resolve_to_container``;
* ``ActionBase._update_module_args``: sets ``_ansible_check_mode`` from ``self._task.check_mode`` (the plan pass
  sets it) and ``_ansible_module_name``, which dcr_setup's override replaces with the step's module;
* ``ActionBase._configure_module``: ``_execute_module`` names the module file it sends after the last item it
  returns (the module's path), which dcr_setup's override makes unique per run;
* ``_make_tmp_path``, ``_remove_tmp_path``, ``_connection._shell.tmpdir``, ``_remote_expand_user``,
  ``_execute_remote_stat`` and the connection's ``fetch_file``, and ``basic._load_params`` on the module side (the step's name travels as an
  argument).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import json
import os
import sys
import threading

import pytest

import ansible.plugins.loader as plugin_loaders
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play import Play
from ansible.playbook.play_context import PlayContext
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import action_loader, connection_loader
from ansible.template import Templar
from ansible.vars.manager import VariableManager
from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible._internal._templating._engine import TemplateEngine

from ansible_collections.devportal.dcr.plugins.action.dcr_setup import ActionModule
from ansible_collections.devportal.dcr.plugins.module_utils._module import STEP_OPTION

ACTION = "devportal.dcr.dcr_setup"


def play_task(args, loader):
    """The dcr_setup task of a play, as ansible-core loads it from a playbook (strings trusted as templates)."""
    trusted = dict((key, TrustedAsTemplate().tag(value) if isinstance(value, str) else value)
                   for key, value in args.items())
    play = Play.load({"hosts": "localhost", "gather_facts": False, "tasks": [{ACTION: trusted}]},
                     loader=loader, variable_manager=VariableManager(loader=loader))
    return play, play.get_tasks()[0][0]


@pytest.fixture
def action(tmp_path, monkeypatch):
    """dcr_setup's action plugin as the task executor builds it: a task of a play, the local connection."""
    monkeypatch.setenv("ANSIBLE_REMOTE_TMP", str(tmp_path / "remote-tmp"))
    monkeypatch.setenv("ANSIBLE_LOCAL_TEMP", str(tmp_path / "local-tmp"))
    loader = DataLoader()
    play, task = play_task({"state": "present"}, loader)
    play_context = PlayContext(play=play)
    connection = connection_loader.get("local", play_context, sys.stdin)
    plugin = action_loader.get(ACTION, task=task, connection=connection, play_context=play_context, loader=loader,
                               templar=Templar(loader=loader, variables={}), shared_loader_obj=plugin_loaders)
    assert type(plugin) is ActionModule  # pylint: disable=unidiomatic-typecheck
    # What run() sets up before a module runs.
    plugin._run_local = threading.local()
    plugin._build_lock = threading.Lock()
    yield plugin
    if connection._shell.tmpdir:
        plugin._remove_tmp_path(connection._shell.tmpdir)


def test_ansible_core_templates_each_task_argument_through_finalize_task_arg(monkeypatch):
    assert isinstance(inspect.getattr_static(ActionBase, "finalize_task_arg"), classmethod)
    assert list(inspect.signature(ActionBase.finalize_task_arg).parameters) == ["name", "value", "templar", "context"]
    assert callable(getattr(TemplateEngine, "resolve_to_container", None))
    calls = []
    ours = ActionModule.finalize_task_arg.__func__

    def spy(cls, name, value, templar, context, *args, **kwargs):
        calls.append((name, type(templar)))
        return ours(cls, name, value, templar, context, *args, **kwargs)

    monkeypatch.setattr(ActionModule, "finalize_task_arg", classmethod(spy))
    loader = DataLoader()
    claims = [{"name": "claim_%d" % i, "description": "Claim %d" % i} for i in range(3)]
    dummy, task = play_task({"claims": "{{ step }}", "state": "present"}, loader)
    task.post_validate(templar=TemplateEngine(loader=loader, variables={"step": {"claims": claims}}))
    assert sorted(name for name, dummy in calls) == ["claims", "state"]
    assert all(issubclass(kind, TemplateEngine) for dummy, kind in calls)
    assert task.args == {"claims": {"claims": claims}, "state": "present"}


@pytest.mark.parametrize("check_mode", [True, False])
def test_update_module_args_takes_check_mode_from_the_task_and_the_step_names_the_module(action, check_mode):
    assert list(inspect.signature(ActionBase._update_module_args).parameters)[:4] == [
        "self", "module_name", "module_args", "task_vars"]
    action._task.check_mode = check_mode  # what the plan pass does (start_plans, execute)
    step = {STEP_OPTION: "curity_claim", "name": "c"}
    action._update_module_args(ACTION, step, {})
    assert step["_ansible_check_mode"] is check_mode
    assert step["_ansible_module_name"] == "devportal.dcr.curity_claim"
    alone = {"name": "c"}
    action._update_module_args(ACTION, alone, {})
    assert alone["_ansible_module_name"] == ACTION


def test_a_step_runs_from_a_module_file_of_its_own_and_speaks_as_its_module(action, tmp_path):
    parameters = list(inspect.signature(ActionBase._configure_module).parameters)
    assert parameters == ["self", "module_name", "module_args", "task_vars"]
    sent = []
    transfer = action._transfer_data

    def spy(remote_path, data):
        sent.append(os.path.basename(remote_path))
        return transfer(remote_path, data)

    action._transfer_data = spy
    assert action._connection._shell.tmpdir is None
    action._make_tmp_path()  # what start_plans does, once for every module file of the plan
    tmpdir = action._connection._shell.tmpdir
    assert tmpdir and os.path.isdir(tmpdir)
    action._run_local.name = "curity_claim-1"
    result = action._execute_module(module_name=ACTION, module_args={STEP_OPTION: "curity_claim", "name": "c",
                                                                     "unknown_option": 1},
                                    task_vars={"ansible_python_interpreter": sys.executable})
    # The module file is named after the last item _configure_module returns: one per run, side by side.
    assert [name for name in sent if name.endswith(".py")] == ["AnsiballZ_dcr_setup-curity_claim-1.py"], sent
    # The module code run is the step's (the step's name reached it: basic._load_params), and it speaks as the step.
    assert result.get("failed") is True
    assert "Unsupported parameters for (devportal.dcr.curity_claim) module: unknown_option" in result["msg"], result
    assert action._connection._shell.tmpdir == tmpdir  # the task's folder is kept for the other runs

    record = tmp_path / "record.json"
    record.write_text(json.dumps({"client_id": "id"}))
    assert action.read_credentials_file(str(record)) == {"client_id": "id"}  # _remote_expand_user, read here
    assert action.read_credentials_file(str(tmp_path / "missing.json")) is None
    # Over any other connection: _execute_remote_stat (not following links), then fetch_file.
    action._vars = {"ansible_python_interpreter": sys.executable}  # what run() keeps of the task's variables
    action._connection.transport = "not-local"
    assert action.read_credentials_file(str(record)) == {"client_id": "id"}
    assert action.read_credentials_file(str(tmp_path / "missing.json")) is None
    action._connection.transport = "local"

    action._remove_tmp_path(tmpdir)
    assert not os.path.exists(tmpdir)
