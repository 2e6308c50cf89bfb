# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example AWX job template (extensions/awx/job_template.yml) fits the playbook, the role and the credential types."""

from __future__ import annotations

import glob
import os

import yaml

from harness import REPO

AWX = os.path.join(REPO, "extensions", "awx")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def template():
    [play] = load(os.path.join(AWX, "job_template.yml"))
    [task] = play["tasks"]
    return play["vars"], task["awx.awx.job_template"]


def role_options():
    specs = load(os.path.join(REPO, "roles", "dcr_curity", "meta", "argument_specs.yml"))
    return specs["argument_specs"]["main"]["options"]


def test_launching_as_it_is_is_a_dry_run_and_running_is_a_choice_at_launch():
    _vars, job = template()
    assert job["job_type"] == "check" and job["ask_job_type_on_launch"] is True
    assert job["diff_mode"] is True and job["survey_enabled"] is True
    assert os.path.isfile(os.path.join(REPO, job["playbook"]))


def test_survey_and_extra_vars_are_role_options_and_never_secrets():
    _vars, job = template()
    options = role_options()
    asked = [q["variable"] for q in job["survey_spec"]["spec"]]
    assert asked and "dcr_curity_portal" in asked
    for question in job["survey_spec"]["spec"]:
        option = options[question["variable"]]
        assert not option.get("no_log"), question["variable"]
        assert question["type"] in ("text", "textarea", "multiplechoice") and option.get("type", "str") == "str", \
            "a survey answer is a string: %s is %s" % (question["variable"], option.get("type"))
        if not question["required"]:
            assert question["default"] == option.get("default"), question["variable"]
    for name, value in job["extra_vars"].items():
        assert not options[name].get("no_log") and isinstance(value, list) == (options[name]["type"] == "list"), name


def test_attached_credentials_are_the_collections_credential_types():
    variables, _job = template()
    types = [load(path)["name"] for path in glob.glob(os.path.join(AWX, "credential_types", "*.yml"))]
    assert set(variables["awx_credentials"]) <= set(types)
    assert {"Curity Identity Server admin API", "Kong Konnect admin API"} <= set(variables["awx_credentials"])
