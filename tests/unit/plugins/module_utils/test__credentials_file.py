# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials file is read without following a link, only from a regular file, and never beyond its size."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _konnect
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    KonnectError,
    check_credentials_path,
    write_credentials_file,
)

RECORD = {"application_id": "a1", "client_id": "c1", "client_secret": "s1"}


def read(path):
    reader = getattr(_konnect, "read_credentials_record", None) or getattr(_konnect, "_read_record")
    return reader(str(path))


@pytest.fixture
def record_file(tmp_path):
    path = tmp_path / "app.json"
    path.write_text(json.dumps(RECORD))
    path.chmod(0o600)
    return path


def test_a_regular_file_is_read(record_file, tmp_path):
    assert read(record_file) == RECORD
    assert read(tmp_path / "missing.json") is None
    assert read(tmp_path / "missing-folder" / "app.json") is None
    check_credentials_path(str(record_file))


def test_a_symbolic_link_is_neither_read_nor_accepted(record_file, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(record_file)
    for call in (read, lambda path: check_credentials_path(str(path)), lambda path: _konnect._backup(str(path))):
        with pytest.raises(KonnectError) as err:
            call(link)
        assert "is a symbolic link" in str(err.value) and "s1" not in str(err.value)


def test_a_link_to_a_device_is_refused_before_anything_is_read(tmp_path):
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(KonnectError) as err:
        check_credentials_path(str(link))
    assert "is a symbolic link" in str(err.value)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_what_is_not_a_regular_file_is_refused_before_any_request(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.json"
        os.mkfifo(str(path))
    else:
        path = "/dev/null"
    with pytest.raises(KonnectError) as err:
        check_credentials_path(str(path))
    assert "is not a regular file" in str(err.value)


def test_a_large_file_is_refused_without_being_read(tmp_path):
    path = tmp_path / "big.json"
    with open(str(path), "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: no disk used
    for call in (read, lambda p: check_credentials_path(str(p)), lambda p: _konnect._backup(str(p))):
        with pytest.raises(KonnectError) as err:
            call(path)
        assert "104857600 bytes long" in str(err.value)


def test_writing_still_replaces_a_record_and_backs_up_another_clients(record_file):
    assert write_credentials_file(str(record_file), dict(RECORD, client_secret="s2")) is None
    assert read(record_file)["client_secret"] == "s2"
    backup = write_credentials_file(str(record_file), dict(RECORD, client_id="c2"))
    assert backup and json.loads(open(backup, encoding="utf-8").read())["client_id"] == "c1"
    assert oct(os.stat(backup).st_mode & 0o777) == "0o600"


def test_a_link_put_in_place_after_the_checks_is_refused_and_nothing_written_through_it(record_file, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    link = tmp_path / "swapped.json"
    link.symlink_to(target)
    with pytest.raises(KonnectError):
        write_credentials_file(str(link), RECORD)
    assert target.read_text() == "{}" and link.is_symlink()
    assert not [name for name in os.listdir(str(tmp_path)) if name.startswith("swapped.json.")]  # no backup either
