# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes shared by the collection's modules.

    The action group fragments are named ``ACTIONGROUP_*``: a fragment name such as
    ``devportal.dcr.attributes.curity`` would load the ``curity`` fragment file instead.
    """

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode reads the current state and reports the same C(changed) and diff as a real run, and sends no write.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows only the fields the task manages; secrets are masked.
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - The module changes nothing, so it has no diff.
"""

    ACTIONGROUP_CURITY = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/devportal.dcr.curity) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - devportal.dcr.curity
"""

    ACTIONGROUP_KONNECT = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/devportal.dcr.konnect) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - devportal.dcr.konnect
"""
