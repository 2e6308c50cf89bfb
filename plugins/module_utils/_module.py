# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The collection's ``AnsibleModule``: no secret in a failure, whatever the input.

ansible-core collects the values of ``no_log`` options while it validates the arguments.
When a list-of-dicts option holds an element that is not a dict (``claims: [a-name]``), that
collection raises half-way and *every* no_log value is lost, so the failure's ``invocation``
would show, for example, the admin password in clear.  ``DcrModule.fail_json`` registers the
values of all ``no_log`` options again (tolerating malformed input) before failing.  It uses
only public ``AnsibleModule`` behaviour: ``no_log_values`` and ``fail_json``.

A password written into a URL option (``https://user:password@host``) is a secret too, whatever
the option: the modules refuse such URLs, and ``DcrModule`` keeps the password out of every
output (messages, warnings, ``invocation``) from the start.  Warnings are scrubbed of every
``no_log`` value when they are issued: ansible-core keeps them as events that the scrubbing of
the result does not reach.

devportal.dcr.dcr_setup runs the steps' module code from its own module payload (see
``run_step``): the step's name travels as one more argument, ``STEP_OPTION``, which ``DcrModule``
accepts and removes only in such a run, as it does the two options of the run's progress (``PROGRESS_OPTION``: the
file the action plugin reads while the module runs; ``TRACE_OPTION``: return the request trace, for -vvv).  The
module's transports report to ``DcrModule.request_observer`` (see ``_progress``); outside such a run it is None, and a
module behaves as it always did (retries as warnings in its result).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import unquote, urlsplit

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.warnings import get_warning_messages

from ansible_collections.devportal.dcr.plugins.module_utils._progress import (
    PROGRESS_OPTION,
    TRACE_KEY,
    TRACE_OPTION,
    WARNINGS_KEY,
    Observer,
)


# The argument that names the step when devportal.dcr.dcr_setup runs a step's module code.
STEP_OPTION = "_dcr_setup_step"
# The arguments a step run accepts besides its module's own: the step, where to write live progress (a file the
# action plugin created, or nothing), whether to return the request trace (see _progress).
INTERNAL_OPTIONS = ((STEP_OPTION, "str"), (PROGRESS_OPTION, "str"), (TRACE_OPTION, "bool"))
_RUNNING_STEP = []  # the step run_step is running, if any


def requested_step():
    """The step that devportal.dcr.dcr_setup asks this module run for, or None.

    ``basic._load_params`` is ansible-core's documented way for dynamic modules to read their arguments before
    building their ``AnsibleModule``.
    """
    params = basic._load_params()  # pylint: disable=protected-access
    step = params.get(STEP_OPTION) if isinstance(params, dict) else None
    return step if isinstance(step, str) else None


def run_step(step, main):
    """Run the module code ``main`` of ``step`` with the arguments of this module run (which name the step)."""
    _RUNNING_STEP.append(step)
    main()


def secret_values(argument_spec, params):
    """Every value of a ``no_log`` option in ``params``, recursively, never raising."""
    found = set()
    if not isinstance(params, dict):
        return found
    for name, spec in argument_spec.items():
        value = params.get(name)
        if value is None:
            continue
        if spec.get("no_log"):
            found.update(_strings(value))
        if spec.get("options"):
            items = value if isinstance(value, list) else [value]
            for item in items:
                found.update(secret_values(spec["options"], item))
    return found


def url_passwords(params):
    """The passwords written into URL-like string values of ``params`` (raw and decoded), never raising."""
    found = set()
    for text in _strings(params):
        if "@" not in text or "://" not in text:
            continue
        try:
            password = urlsplit(text.strip()).password
        except ValueError:
            continue
        if password:
            found.update((password, unquote(password)))
    return found


def _strings(value):
    if isinstance(value, dict):
        out = set()
        for item in value.values():
            out.update(_strings(item))
        return out
    if isinstance(value, (list, tuple, set)):
        out = set()
        for item in value:
            out.update(_strings(item))
        return out
    text = value if isinstance(value, str) else str(value)
    return {text} if text else set()


class DcrModule(AnsibleModule):
    """``AnsibleModule`` whose outputs never carry the value of a ``no_log`` option nor a password in a URL.

    ``bulk_returns`` names the return values that can hold thousands of entries (a collection's end state) and that
    devportal.dcr.dcr_setup does not read: a step run leaves them out of its result, and the ``invocation`` echo of
    the arguments too (the runner drops it), so that neither is scrubbed, encoded and parsed again for nothing.
    """

    def __init__(self, *args, **kwargs):
        self._bulk_returns = tuple(kwargs.pop("bulk_returns", ()))
        if _RUNNING_STEP:
            kwargs["argument_spec"] = dict(kwargs["argument_spec"], **dict(
                (name, dict(type=kind)) for name, kind in INTERNAL_OPTIONS))
        # The observer of every transport of a step run (live retries, the request trace); None otherwise.
        self.request_observer = None
        super(DcrModule, self).__init__(*args, **kwargs)
        self.no_log_values.update(url_passwords(self.params))
        if _RUNNING_STEP:
            internal = dict((name, self.params.pop(name, None)) for name, dummy in INTERNAL_OPTIONS)
            for name, dummy in INTERNAL_OPTIONS:
                del self.argument_spec[name]
            self.request_observer = Observer(internal[PROGRESS_OPTION], bool(internal[TRACE_OPTION]),
                                             self.no_log_values)

    def warn(self, warning, *args, **kwargs):  # pylint: disable=arguments-differ
        # ansible-core keeps warnings as events that the result's no_log scrubbing does not reach: scrub them here.
        if isinstance(warning, str):
            warning = remove_values(warning, self.no_log_values)
        super(DcrModule, self).warn(warning, *args, **kwargs)

    def exit_json(self, **kwargs):
        super(DcrModule, self).exit_json(**self._step_result(kwargs))

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        params = getattr(self, "params", None)
        self.no_log_values.update(secret_values(self.argument_spec, params))
        self.no_log_values.update(url_passwords(params if isinstance(params, dict) else {}))
        super(DcrModule, self).fail_json(msg, **self._step_result(kwargs))

    def _step_result(self, kwargs):
        if not _RUNNING_STEP:
            return kwargs
        kwargs = dict((key, value) for key, value in kwargs.items() if key not in self._bulk_returns)
        kwargs.setdefault("invocation", {})
        kwargs[WARNINGS_KEY] = list(get_warning_messages())
        observer = getattr(self, "request_observer", None)
        if observer is not None:
            observer.close()
            if observer.result() is not None:
                kwargs[TRACE_KEY] = observer.result()
        return kwargs
