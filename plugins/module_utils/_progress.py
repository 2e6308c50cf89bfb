# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""What a step's module run tells devportal.dcr.dcr_setup while it runs, and the requests it sent.

``Observer`` is given to every ``_http.Transport`` of a step run (see ``DcrModule``).  It receives the transport's
events - a retry about to wait (``retry``) and a request that ended (``request``) - which hold only the method, the
service's name, the URL's path (no query, no user or password, every credential the transport or the module knows
masked in its raw, URL-encoded and base64 forms), a status or an error's class name, seconds, milliseconds and attempt
numbers; never a header or a body.

* A retry is appended at once, as one JSON line, to the progress file the action plugin names (only when the module
  runs on the controller): ``ProgressFile`` creates that file (mode 0600, in a private temporary folder) and
  ``ProgressFile.read`` hands the action the events as they arrive.  Writing is best-effort: a file that cannot be
  opened or written only means no live progress, never a failed module.
* Every request goes to the request trace (at most ``TRACE_LIMIT`` entries), which the module returns in an internal
  result key; the action shows it with -vvv and removes it from the result.

``describe`` renders an event as one line; it reads only the fields above, checking each one, so a malformed or
unexpected line cannot put anything else on the screen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile
import threading
from urllib.parse import quote, quote_plus

from ansible_collections.devportal.dcr.plugins.module_utils._http import MASK, credential_forms

# The internal options of a step run (see ``DcrModule``): the progress file's path, and whether to keep a trace.
PROGRESS_OPTION = "_dcr_setup_progress"
TRACE_OPTION = "_dcr_setup_trace"
# The result key that carries the request trace back to the action plugin.
TRACE_KEY = "_dcr_setup_trace"
# The result key that carries the warnings of this module run alone (ansible-core 2.21 gathers the warnings of all
# the task's module runs, and hands them to the action plugin with a later run's result).
WARNINGS_KEY = "_dcr_setup_warnings"
# The most requests one trace holds (a run with thousands of claims sends a handful of requests per step).
TRACE_LIMIT = 500
# The longest line a reader takes (a longer one is not an event of this collection).
LINE_LIMIT = 4096


def secret_forms(value):
    """What a secret looks like in a text: the transport's forms (raw, URL-encoded, HTTP Basic's base64), and as a
    path or a form would encode it."""
    value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    forms = credential_forms(("", value)) | {quote(value), quote_plus(value)}
    return set(form for form in forms if len(form) >= 4)


class Observer:
    """The events of a step run's transports: live retries to a progress file, requests to a trace.

    ``secrets`` is a live collection of the module's secret values (its ``no_log_values``): values registered after
    the observer was made (a secret read from a store) are masked too.
    """

    def __init__(self, path=None, trace=False, secrets=None):
        self.trace = [] if trace else None
        self.dropped = 0
        self.secrets = secrets if secrets is not None else set()
        self.fd = None
        if path:
            try:
                # The action created the file (0600, in a folder only its user can enter): it is never created here,
                # and never followed through a symbolic link.
                self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
            except (OSError, TypeError, ValueError):
                self.fd = None

    def masked(self, text):
        forms = set()
        for value in list(self.secrets):
            if isinstance(value, (str, bytes)) and value:
                forms.update(secret_forms(value))
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, MASK)
        return text

    def __call__(self, event):
        try:
            event = dict(event)
            for key in ("path", "why", "service"):
                if isinstance(event.get(key), str):
                    event[key] = self.masked(event[key])
            if event.get("event") == "retry":
                self.write(event)
            elif event.get("event") == "request" and self.trace is not None:
                if len(self.trace) < TRACE_LIMIT:
                    self.trace.append(event)
                else:
                    self.dropped += 1
        except Exception:  # pylint: disable=broad-except
            pass  # progress is best-effort: it never fails the request it describes

    def write(self, event):
        if self.fd is None:
            return
        try:
            os.write(self.fd, (json.dumps(event, sort_keys=True) + "\n").encode("utf-8"))
        except (OSError, TypeError, ValueError):
            self.close()

    def close(self):
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None

    def result(self):
        """The trace for the module's result (None when no trace was asked for)."""
        if self.trace is None:
            return None
        return dict(requests=list(self.trace), dropped=self.dropped)


class ProgressFile:
    """The controller's side: a private folder (0700) holding one progress file (0600) per module run.

    ``create()`` gives a new file's path; ``read(path, offset)`` the events appended since ``offset`` and the new
    offset (a line not yet complete is left for the next read; a malformed one is skipped); ``remove(path)`` deletes
    one file and ``close()`` the folder with whatever is left in it.
    """

    def __init__(self):
        self.folder = None
        self.count = 0
        self.lock = threading.Lock()  # module runs side by side create their files at once

    def create(self):
        with self.lock:
            if self.folder is None:
                self.folder = tempfile.mkdtemp(prefix="dcr-setup-progress-")  # mode 0700
            self.count += 1
            path = os.path.join(self.folder, "run-%d.jsonl" % self.count)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
        return path

    @staticmethod
    def read(path, offset=0):
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except (IOError, OSError):
            return [], offset
        end = data.rfind(b"\n")
        if end < 0:
            return [], offset
        events = []
        for line in data[:end].split(b"\n"):
            event = parse(line)
            if event is not None:
                events.append(event)
        return events, offset + end + 1

    @staticmethod
    def remove(path):
        try:
            os.unlink(path)
        except OSError:
            pass

    def close(self):
        with self.lock:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None


def parse(line):
    """One event from a line of a progress file, or None when the line is not one."""
    if not line.strip() or len(line) > LINE_LIMIT:
        return None
    try:
        event = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return event if isinstance(event, dict) and event.get("event") in ("retry", "request") else None


def _text(value, limit=200):
    if not isinstance(value, str) or not value:
        return None
    text = " ".join(value.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def describe(event):
    """One line for an event (``retry`` or ``request``), or None when it is not one this collection writes."""
    if not isinstance(event, dict):
        return None
    method = _text(event.get("method"), 10)
    path = _text(event.get("path"), 300)
    if not method or not method.isalpha() or not path:
        return None
    service = _text(event.get("service"), 60)
    where = "%s %s%s" % (method.upper(), path, " (%s)" % service if service else "")
    attempt, attempts = _number(event.get("attempt")), _number(event.get("attempts"))
    if event.get("event") == "retry":
        wait = _number(event.get("wait"))
        why = _text(event.get("why"), 80) or "an error"
        line = "retrying %s after %s" % (where, why)
        if wait is not None:
            line += ", next attempt in %.1f s" % wait
        if attempt is not None and attempts is not None:
            line += " (attempt %d of at most %d)" % (attempt, attempts)
        return line
    if event.get("event") == "request":
        status = _number(event.get("status"))
        outcome = ("HTTP %d" % status) if status else (_text(event.get("error"), 80) or "no answer")
        ms = _number(event.get("ms"))
        line = "%s -> %s" % (where, outcome)
        details = []
        if ms is not None:
            details.append("%d ms" % ms)
        if attempts is not None and attempts > 1:
            details.append("%d attempts" % attempts)
        return line + (" (%s)" % ", ".join(details) if details else "")
    return None
