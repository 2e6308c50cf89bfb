#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the collection to DEST (…/ansible_collections/devportal/dcr) for ansible-test.

Copies what git knows about: tracked files and new files that are not ignored, as they
are in the working tree.  DEST is replaced, so removed files disappear from it too.

DEST gets a git repository of its own (nothing committed): ansible-test lists a collection's
files with ``git ls-files --cached --others --exclude-standard`` from the nearest repository,
and the nearest one would otherwise be this checkout, where ``build/`` is ignored, so
ansible-test would see no file at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def source_files(root):
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=root, check=True, capture_output=True).stdout
        names = [n for n in out.decode("utf-8").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", ".venv", "build", "__pycache__", ".pytest_cache")]
            names.extend(os.path.relpath(os.path.join(folder, f), root) for f in files)
    return sorted(n for n in names if os.path.isfile(os.path.join(root, n)) and not os.path.islink(os.path.join(root, n)))


def main(dest):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dest = os.path.abspath(dest)
    if not dest.replace(os.sep, "/").endswith("/ansible_collections/devportal/dcr"):
        sys.exit("destination must end with ansible_collections/devportal/dcr")
    tmp = dest + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    for name in source_files(root):
        target = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(root, name), target)
    try:
        subprocess.run(["git", "init", "-q", tmp], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit("cannot make %s a git repository for ansible-test: %s" % (tmp, exc))
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
