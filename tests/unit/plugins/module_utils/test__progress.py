# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The progress file of a step run (written by the module, read by the action plugin) and the request trace."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import threading
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils._progress import (
    LINE_LIMIT,
    TRACE_LIMIT,
    Observer,
    ProgressFile,
    describe,
)

RETRY = dict(event="retry", method="GET", path="/things/a", why="HTTP 503", service="Test API", wait=2.0, attempt=2,
             attempts=6)


@pytest.fixture
def files():
    progress = ProgressFile()
    yield progress
    progress.close()


def test_the_file_is_private_and_removed(files):
    path = files.create()
    folder = os.path.dirname(path)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.path.getsize(path) == 0
    second = files.create()
    assert second != path and os.path.dirname(second) == folder
    files.remove(path)
    assert not os.path.exists(path) and os.path.exists(second)
    files.close()
    assert not os.path.exists(folder)
    files.remove(path)  # already gone: no error


def test_events_written_by_the_module_are_read_as_they_come(files):
    path = files.create()
    observer = Observer(path)
    observer(RETRY)
    events, offset = files.read(path)
    assert events == [RETRY] and offset == os.path.getsize(path)
    assert files.read(path, offset) == ([], offset)
    observer(dict(RETRY, attempt=3))
    events, offset = files.read(path, offset)
    assert [e["attempt"] for e in events] == [3]
    observer.close()


def test_a_line_not_yet_complete_waits_for_the_next_read(files):
    path = files.create()
    with open(path, "ab") as handle:
        handle.write(json.dumps(RETRY).encode()[:20])
    assert files.read(path) == ([], 0)
    with open(path, "ab") as handle:
        handle.write(json.dumps(RETRY).encode()[20:] + b"\n")
    assert files.read(path)[0] == [RETRY]


def test_malformed_lines_are_ignored(files):
    path = files.create()
    lines = [b"not json", b"[1, 2]", b'{"event": "something else"}', b"\xff\xfe", b"", b'"text"',
             json.dumps(dict(RETRY, path="x" * LINE_LIMIT)).encode(), json.dumps(RETRY).encode()]
    with open(path, "ab") as handle:
        handle.write(b"\n".join(lines) + b"\n")
    assert files.read(path)[0] == [RETRY]


def test_a_file_that_is_gone_reads_as_nothing(files):
    assert files.read("/nonexistent/progress.jsonl", 7) == ([], 7)


def test_the_module_side_never_fails_and_never_creates_a_file(tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    observer = Observer(missing)
    observer(RETRY)
    assert not os.path.exists(missing)
    # A symbolic link is not followed.
    target = tmp_path / "target"
    target.write_text("")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    observer = Observer(str(link))
    observer(RETRY)
    assert target.read_text() == ""
    # Nonsense given as a path, or a write that fails: nothing raised.
    Observer(object())(RETRY)
    observer = Observer(str(tmp_path / "target"))
    os.close(observer.fd)
    observer(RETRY)
    assert observer.fd is None


def test_secrets_of_the_module_are_masked_in_every_form(files):
    path = files.create()
    secrets = set()
    observer = Observer(path, trace=True, secrets=secrets)
    secret = "Dev p@ss/1"
    # Registered after the observer was made (a secret read from a store): masked too.
    secrets.add(secret)
    for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret)):
        observer(dict(RETRY, path="/a/%s/b" % form, why="HTTP 503 %s" % form))
        observer(dict(RETRY, event="request", path="/a/%s" % form, status=200, ms=3))
    shown = json.dumps(files.read(path)[0]) + json.dumps(observer.result())
    for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret)):
        assert form not in shown
    assert shown.count("********") == 12


def test_the_trace_is_bounded(files):
    observer = Observer(None, trace=True)
    for number in range(TRACE_LIMIT + 7):
        observer(dict(event="request", method="GET", path="/%d" % number, status=200, ms=1, attempts=1))
    observer(RETRY)  # a retry is not a request of the trace
    trace = observer.result()
    assert len(trace["requests"]) == TRACE_LIMIT and trace["dropped"] == 7
    assert Observer(None).result() is None


def test_describe_shows_only_the_fields_it_knows():
    assert describe(RETRY) == ("retrying GET /things/a (Test API) after HTTP 503, next attempt in 2.0 s "
                               "(attempt 2 of at most 6)")
    request = dict(event="request", method="PUT", path="/x", service="Konnect", status=None, error="ReadTimeoutError",
                   ms=1234, attempts=3, headers={"Authorization": "Basic abc"}, body="secret")
    assert describe(request) == "PUT /x (Konnect) -> ReadTimeoutError (1234 ms, 3 attempts)"
    assert describe(dict(request, status=204, attempts=1)) == "PUT /x (Konnect) -> HTTP 204 (1234 ms)"
    for bad in (None, [], {}, dict(RETRY, method="GET /x HTTP/1.1\nX"), dict(RETRY, path=""), dict(RETRY, event="x")):
        assert describe(bad) is None
    # Values of the wrong type are left out, a long text is cut, lines never break.
    odd = describe(dict(RETRY, wait="soon", attempt=True, why="a\nb" + "c" * 200))
    assert odd == "retrying GET /things/a (Test API) after a b%s..." % ("c" * 74)


def test_files_made_side_by_side_share_one_folder(files):
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(files.create())) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(paths)) == 8 and set(os.path.dirname(path) for path in paths) == {files.folder}
