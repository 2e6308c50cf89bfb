# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""What the ``*_info`` modules share: name filters and the ``query`` option (JMESPath).

The ``query`` expression is compiled before any request, so a bad expression or a missing
``jmespath`` library fails at once, and is applied to the module's result (its documented
keys, without ``changed``); the answer is returned as ``query_result``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
except ImportError:
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None


def info_argument_spec():
    """The options every info module adds (fragment ``devportal.dcr.info``)."""
    return dict(query=dict(type="str"))


def names_option():
    """``names``: the exact names to report (all when omitted); ``name`` is an alias."""
    return dict(type="list", elements="str", aliases=["name"])


class Query:
    """A compiled ``query`` option, or nothing to do when the option is not set."""

    def __init__(self, module):
        self.module = module
        self.expression = module.params.get("query")
        self.compiled = None
        if self.expression is None:
            return
        if not HAS_JMESPATH:
            module.fail_json(msg=missing_required_lib("jmespath", reason="for the query option"),
                             exception=JMESPATH_IMPORT_ERROR)
        if not self.expression.strip():
            module.fail_json(msg="query must be a JMESPath expression, for example 'scopes[].name'; got an empty string.")
        try:
            self.compiled = jmespath.compile(self.expression)
        except JMESPathError as exc:
            module.fail_json(msg="query %r is not a valid JMESPath expression: %s" % (self.expression, _one_line(exc)))

    def exit(self, **result):
        """``exit_json`` with ``changed=False`` and, when ``query`` is set, ``query_result``."""
        if self.compiled is not None:
            try:
                result["query_result"] = self.compiled.search(result)
            except JMESPathError as exc:
                self.module.fail_json(msg="query %r failed on the result: %s" % (self.expression, _one_line(exc)))
        self.module.exit_json(changed=False, **result)


def _one_line(exc):
    return " ".join(str(exc).split())


def select(items, names, key="name"):
    """The ``items`` whose ``key`` is one of ``names`` (every item when ``names`` is None), in their order."""
    if names is None:
        return list(items)
    wanted = set(names)
    return [item for item in items if item.get(key) in wanted]
