# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The option every info module has: a JMESPath query on the result."""

    DOCUMENTATION = r"""
options:
  query:
    description:
      - A JMESPath expression applied to the module's result (the documented return values, without C(changed)); its
        answer is returned as RV(query_result). The other return values are returned as well.
      - The expression names this module's return values; the module's EXAMPLES show one that fits it (an expression
        on another module's return values answers V(null)).
      - Checked before any request; an invalid expression fails the task with the parser's message.
      - Needs the C(jmespath) Python library where the module runs.
    type: str
notes:
  - The module only reads (HTTP GET requests, plus the login to a Dev Portal where it logs in as a developer); it never
    changes anything, so it runs the same in check mode and reports no change.
  - No secret is ever part of the result. Secrets the APIs never return (client secrets, the DCR provider's initial
    client secret) cannot be read by any module; the connection secrets are never returned.
requirements:
  - jmespath (only for the O(query) option)
"""
