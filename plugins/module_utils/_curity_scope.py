# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The code of the M(devportal.dcr.curity_scope) module: its argument spec and what it does.

It lives here, not in plugins/modules/curity_scope.py (which holds the documentation and calls ``main``), so
that devportal.dcr.dcr_setup runs every step's module code from one module payload: Ansible builds a
payload once per module name and run, and the build is the largest part of a module run's cost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils._curity import curity_argument_spec, reported
from ansible_collections.devportal.dcr.plugins.module_utils._curity_lists import ScopeList, converge, desired_items

SCOPE_OPTIONS = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    claims=dict(type="list", elements="str"),
    time_to_live=dict(type="int"),
    required=dict(type="bool"),
    expose_in_metadata=dict(type="bool"),
    is_prefix=dict(type="bool"),
)
MANAGED = [o for o in SCOPE_OPTIONS if o != "name"]


def main():
    item_options = dict(SCOPE_OPTIONS, name=dict(type="str", required=True))
    module = DcrModule(
        argument_spec=curity_argument_spec(
            scopes=dict(type="list", elements="dict", options=item_options),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            exclusive=dict(type="bool", default=False),
            **SCOPE_OPTIONS
        ),
        mutually_exclusive=[["scopes", option] for option in SCOPE_OPTIONS],
        required_one_of=[["name", "scopes"]],
        supports_check_mode=True,
        bulk_returns=["scopes"],
    )
    params = module.params
    with reported(module):
        desired = desired_items(params, MANAGED, "scopes")
        plan, end = converge(module, ScopeList, desired, params["state"], params["exclusive"])
        module.exit_json(changed=plan.changed, diff=plan.diff(), scopes=end)
