# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DcrModule: a failure never carries the value of a no_log option, whatever the input."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule, secret_values, url_passwords

SPEC = {
    "admin_password": {"type": "str", "no_log": True},
    "items": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str"},
        "token": {"type": "str", "no_log": True},
    }},
}
SECRET = "pw-Zq81-unique-value"
# ansible-core 2.21 leaves the echo of the arguments (``invocation``) out of a result unless asked (its
# INJECT_INVOCATION setting, sent to the module as this argument): ask for it, as a user may, so that the echo is
# checked on every release.  Before 2.21 the module always adds it, and refuses the argument.
INJECT_INVOCATION = {"_ansible_inject_invocation": True} if "inject_invocation" in PASS_VARS else {}


def run(module_class, args, capsys):
    with patch_module_args(dict(args, **INJECT_INVOCATION)):
        with pytest.raises(SystemExit):
            module_class(argument_spec=SPEC)
    return json.loads(capsys.readouterr().out)


def test_core_alone_leaks_on_a_malformed_list_element(capsys):
    # Documents why DcrModule exists: if ansible-core stops leaking, this test tells us so.
    result = run(AnsibleModule, {"admin_password": SECRET, "items": ["not-a-dict"]}, capsys)
    assert result["failed"] is True
    assert SECRET in json.dumps(result)


def test_dcr_module_masks_it(capsys):
    result = run(DcrModule, {"admin_password": SECRET, "items": ["not-a-dict"]}, capsys)
    assert result["failed"] is True
    assert SECRET not in json.dumps(result)
    assert result["invocation"]["module_args"]["admin_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_dcr_module_masks_nested_secrets_of_well_formed_items(capsys):
    args = {"admin_password": SECRET, "items": [{"name": "a", "token": "tok-Yy71-unique"}, "broken"]}
    text = json.dumps(run(DcrModule, args, capsys))
    assert SECRET not in text and "tok-Yy71-unique" not in text


def test_secret_values_tolerates_any_shape():
    params = {"admin_password": SECRET, "items": ["x", 3, None, {"token": "t1"}, {"token": ["t2", {"k": "t3"}]}]}
    assert secret_values(SPEC, params) == {SECRET, "t1", "t2", "t3"}
    assert secret_values(SPEC, None) == set()
    assert secret_values(SPEC, {"admin_password": None, "items": "weird"}) == set()


URL_SPEC = {"konnect_url": {"type": "str"}, "name": {"type": "str", "required": True}}


def test_a_password_in_a_url_option_is_masked_in_a_failure(capsys):
    args = {"konnect_url": "https://kuser:Url%2FPw-51@eu.api.konghq.com"}  # "name" missing: fails in __init__
    with patch_module_args(dict(args, **INJECT_INVOCATION)):
        with pytest.raises(SystemExit):
            DcrModule(argument_spec=URL_SPEC)
    text = capsys.readouterr().out
    assert json.loads(text)["failed"] is True and "Url%2FPw-51" not in text


def test_a_password_in_a_url_option_is_masked_in_warnings_and_invocation(capsys):
    args = {"konnect_url": "https://kuser:Url-Pw-52@eu.api.konghq.com", "name": "n"}
    with patch_module_args(dict(args, **INJECT_INVOCATION)):
        module = DcrModule(argument_spec=URL_SPEC)
        module.warn("validate_certs is false for %s" % module.params["konnect_url"])
        with pytest.raises(SystemExit):
            module.exit_json(changed=False, url=module.params["konnect_url"])
    text = capsys.readouterr().out
    result = json.loads(text)
    assert "Url-Pw-52" not in text and "eu.api.konghq.com" in result["invocation"]["module_args"]["konnect_url"]


def test_url_passwords_finds_raw_and_decoded_forms_never_raising():
    params = {"a": "https://u:p%40ss@h", "b": ["x", {"c": "http://v:w@h/"}], "d": "https://[bad@", "e": None, "f": 3}
    assert url_passwords(params) == {"p%40ss", "p@ss", "w"}


def exit_result(args, capsys, **returns):
    with patch_module_args(dict(args, **INJECT_INVOCATION)):
        module = DcrModule(argument_spec=SPEC, bulk_returns=["items"])
        with pytest.raises(SystemExit):
            module.exit_json(changed=False, **returns)
    return json.loads(capsys.readouterr().out)


def test_a_step_run_leaves_out_the_bulk_returns_and_the_arguments_echo(capsys, monkeypatch):
    from ansible_collections.devportal.dcr.plugins.module_utils import _module
    items = [{"name": "item-%d" % i} for i in range(3)]
    alone = exit_result({"items": items}, capsys, items=items, kept="yes")
    assert alone["items"] == items and alone["invocation"]["module_args"]["items"][0]["name"] == "item-0"
    monkeypatch.setattr(_module, "_RUNNING_STEP", ["curity_claim"])
    step = exit_result({"items": items, _module.STEP_OPTION: "curity_claim"}, capsys, items=items, kept="yes")
    assert "items" not in step and step["invocation"] == {} and step["kept"] == "yes"


def test_a_step_run_reports_its_requests_only_when_asked_and_masks_the_module_secrets(capsys, monkeypatch, tmp_path):
    from ansible_collections.devportal.dcr.plugins.module_utils import _module, _progress
    monkeypatch.setattr(_module, "_RUNNING_STEP", ["curity_claim"])
    progress_file = tmp_path / "progress.jsonl"
    progress_file.write_text("")
    args = {"admin_password": SECRET, _module.STEP_OPTION: "curity_claim",
            _progress.PROGRESS_OPTION: str(progress_file), _progress.TRACE_OPTION: True}
    with patch_module_args(dict(args, **INJECT_INVOCATION)):
        module = DcrModule(argument_spec=SPEC)
        assert not any(name in module.params for name, dummy in _module.INTERNAL_OPTIONS)
        module.request_observer(dict(event="retry", method="GET", path="/x/%s" % SECRET, why="HTTP 503", wait=1.0,
                                     attempt=2, attempts=6))
        module.request_observer(dict(event="request", method="GET", path="/x/%s" % SECRET, status=200, ms=5,
                                     attempts=2))
        with pytest.raises(SystemExit):
            module.exit_json(changed=False)
    result = json.loads(capsys.readouterr().out)
    assert result[_progress.TRACE_KEY] == {"requests": [dict(event="request", method="GET", path="/x/********",
                                                             status=200, ms=5, attempts=2)], "dropped": 0}
    assert "/x/********" in progress_file.read_text() and SECRET not in progress_file.read_text()
    # Without the trace option, and outside a step run, no trace and no observer.
    step = exit_result({_module.STEP_OPTION: "curity_claim"}, capsys)
    assert _progress.TRACE_KEY not in step
    monkeypatch.setattr(_module, "_RUNNING_STEP", [])
    with patch_module_args(dict({}, **INJECT_INVOCATION)):
        assert DcrModule(argument_spec=SPEC).request_observer is None
