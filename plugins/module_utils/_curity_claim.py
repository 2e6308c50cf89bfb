# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The code of the M(devportal.dcr.curity_claim) module: its argument spec and what it does.

It lives here, not in plugins/modules/curity_claim.py (which holds the documentation and calls ``main``), so
that devportal.dcr.dcr_setup runs every step's module code from one module payload: Ansible builds a
payload once per module name and run, and the build is the largest part of a module run's cost.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule
from ansible_collections.devportal.dcr.plugins.module_utils._curity import curity_argument_spec, reported
from ansible_collections.devportal.dcr.plugins.module_utils._curity_lists import ClaimList, converge, desired_items

CLAIM_OPTIONS = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    value_provider=dict(type="str"),
    attribute=dict(type="str"),
    required=dict(type="bool"),
    expose_in_metadata=dict(type="bool"),
    in_access_token=dict(type="bool", no_log=False),
    in_id_token=dict(type="bool", no_log=False),
    in_userinfo=dict(type="bool"),
)
MANAGED = [o for o in CLAIM_OPTIONS if o != "name"]


def main():
    item_options = dict(CLAIM_OPTIONS, name=dict(type="str", required=True), claims_mapper=dict(type="str"))
    module = DcrModule(
        argument_spec=curity_argument_spec(
            claims=dict(type="list", elements="dict", options=item_options),
            claims_mapper=dict(type="str", default="default"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            exclusive=dict(type="bool", default=False),
            **CLAIM_OPTIONS
        ),
        mutually_exclusive=[["claims", option] for option in CLAIM_OPTIONS],
        required_one_of=[["name", "claims"]],
        supports_check_mode=True,
        bulk_returns=["claims"],
    )
    params = module.params
    with reported(module):
        desired = desired_items(params, MANAGED, "claims")
        mapper_of = dict((item["name"], item["claims_mapper"]) for item in params["claims"] or [] if item["claims_mapper"])
        plan, end = converge(module, ClaimList, desired, params["state"], params["exclusive"],
                             mapper_of=mapper_of, default_mapper=params["claims_mapper"])
        module.exit_json(changed=plan.changed, diff=plan.diff(), claims=end)
