# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dcr_setup's templating of its bulk options (claims, scopes) gives what ansible-core's own templating gives."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.action import ActionBase
# Every supported ansible-core (2.19 and later) has these: test_ansible_core_hooks.py checks the hook itself.
from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible._internal._templating._engine import TemplateEngine

from ansible_collections.devportal.dcr.plugins.action.dcr_setup import ActionModule


def trusted(value):
    """``value`` as a playbook or a vars file gives it: every string trusted as a template."""
    if isinstance(value, str):
        return TrustedAsTemplate().tag(value)
    if isinstance(value, dict):
        return dict((trusted(k), trusted(v)) for k, v in value.items())
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


CLAIMS = [{"name": "claim_%d" % i, "description": "Claim %d" % i, "value_provider": "provider", "required": i % 2 == 0}
          for i in range(20)]
VARIABLES = {
    "claims": CLAIMS,
    "exclusive": False,
    "suffix": "-x",
    "claims_step": {"claims": "{{ claims }}", "exclusive": "{{ exclusive }}"},
    "templated_claims": [{"name": "t{{ suffix }}", "description": "{{ 'Described' | upper }}"}],
    "nested": {"claims": "{{ templated_claims + claims[:2] }}"},
}


def engine():
    return TemplateEngine(loader=DataLoader(), variables=trusted(VARIABLES))


@pytest.mark.parametrize("value", [
    "{{ claims_step }}",
    "{{ claims_step if claims | length > 0 else none }}",
    "{{ nested }}",
    {"claims": "{{ claims }}", "exclusive": True},
    {"claims": [{"name": "inline{{ suffix }}", "required": "{{ exclusive }}"}, {"name": "plain", "ttl": 5}]},
    {"claims": "{{ templated_claims }}"},
    "{{ none }}",
    "not a template",
])
def test_bulk_options_template_as_ansible_does(value):
    ours = ActionModule.finalize_task_arg("claims", trusted(value), engine(), None)
    ansible = engine().template(trusted(value))
    assert ours == ansible


def test_the_bulk_options_do_not_go_through_the_default_finalizing(monkeypatch):
    # The point of the hook: thousands of entries are not finalized one by one through lazy containers.
    def default(cls, name, value, templar, context):
        raise AssertionError("the default templating was used for %s" % name)

    monkeypatch.setattr(ActionBase, "finalize_task_arg", classmethod(default))
    value = trusted("{{ claims_step if claims | length > 0 else none }}")
    assert ActionModule.finalize_task_arg("claims", value, engine(), None) == {"claims": CLAIMS, "exclusive": False}
    assert ActionModule.finalize_task_arg("scopes", trusted("{{ nested }}"), engine(), None) == {
        "claims": [{"name": "t-x", "description": "DESCRIBED"}] + CLAIMS[:2]}


def test_a_template_that_fails_fails_as_ansible_fails():
    value = trusted({"claims": "{{ undefined_variable }}"})
    with pytest.raises(AnsibleError) as ours:
        ActionModule.finalize_task_arg("claims", value, engine(), None)
    with pytest.raises(AnsibleError) as ansible:
        engine().template(value)
    assert type(ours.value) is type(ansible.value) and str(ours.value) == str(ansible.value)


def test_an_omitted_entry_key_is_dropped_as_ansible_drops_it():
    value = trusted({"claims": [{"name": "c", "description": "{{ omit }}"}]})
    ours = ActionModule.finalize_task_arg("claims", value, engine(), None)
    assert ours == engine().template(value) == {"claims": [{"name": "c"}]}


def test_strings_that_are_not_trusted_stay_as_they_are():
    value = {"claims": [{"name": "{{ suffix }}"}]}  # not tagged: input from outside a playbook
    ours = ActionModule.finalize_task_arg("claims", value, engine(), None)
    assert ours == engine().template(value) == {"claims": [{"name": "{{ suffix }}"}]}


def test_other_options_take_the_default_templating():
    value = trusted({"claims": "{{ claims }}"})
    assert ActionModule.finalize_task_arg("token", value, engine(), None) == engine().template(value)
