#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the path of a Python X.Y interpreter that can make virtual environments, or fail saying what to install.

    python tests/tools/find_python.py 3.12 [--for "ansible-core 2.20"]

Looked for, in this order, and the first that works wins:

* ``$PYTHON_X_Y`` (``PYTHON_3_12=/opt/python/3.12/bin/python3.12``): an interpreter chosen by hand;
* every ``pythonX.Y`` on ``PATH``;
* pyenv's installs, ``$PYENV_ROOT/versions/X.Y.*`` (``PYENV_ROOT`` defaults to ``~/.pyenv``), newest first;
* uv's managed installs, ``~/.local/share/uv/python/cpython-X.Y.*``, newest first.

A candidate works when it runs, says it is Python X.Y and has the ``venv`` and ``ensurepip`` modules: a pyenv shim of
a version that is not active fails to run, and a distribution's Python without its venv package cannot make a
virtual environment with pip, so both are passed over.  Nothing is skipped in silence: when no candidate works, the
message names what was tried and what to install, and the exit status is 1.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys

CHECK = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"


def patch_order(path):
    """Sort key: the version numbers in a pyenv or uv folder name (3.12.10 after 3.12.9)."""
    return [int(n) for n in re.findall(r"\d+", os.path.basename(os.path.dirname(os.path.dirname(path))))]


def candidates(version):
    override = os.environ.get("PYTHON_" + version.replace(".", "_"))
    if override:
        yield "$PYTHON_%s" % version.replace(".", "_"), override
        return  # chosen by hand: no other one stands in for it
    name = "python" + version
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        found = shutil.which(name, path=folder) if folder else None
        if found:
            yield "PATH", found
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    uv = os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "uv", "python")
    for where, pattern in (("pyenv", os.path.join(pyenv, "versions", version + ".*", "bin", name)),
                           ("uv", os.path.join(uv, "cpython-%s.*" % version, "bin", name))):
        for found in sorted(glob.glob(pattern), key=patch_order, reverse=True):
            yield where, found


def works(path, version):
    """None when ``path`` is a usable Python ``version``, else why not."""
    try:
        proc = subprocess.run([path, "-c", CHECK], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "does not run (%s)" % exc
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return "fails: %s" % (lines[-1] if lines else "exit status %d" % proc.returncode)
    if proc.stdout.strip() != version:
        return "is Python %s" % proc.stdout.strip()
    return None


def main(argv):
    args = list(argv)
    purpose = None
    if "--for" in args:
        at = args.index("--for")
        purpose = args[at + 1] if at + 1 < len(args) else None
        del args[at:at + 2]
    if len(args) != 1 or not re.match(r"^3\.\d+$", args[0]):
        sys.stderr.write("usage: find_python.py X.Y [--for WHAT]\n")
        return 2
    version = args[0]
    tried = []
    seen = set()
    for where, path in candidates(version):
        real = os.path.realpath(path)
        if (where, real) in seen:
            continue
        seen.add((where, real))
        why = works(path, version)
        if why is None:
            print(path)
            return 0
        tried.append("%s (%s) %s" % (path, where, why))
    sys.stderr.write(
        "%s Python %s, and %s.\n"
        "Install Python %s with its venv module (for example `pyenv install %s`, or your distribution's python%s and "
        "python%s-venv packages), or set PYTHON_%s to the path of a python%s.\n"
        % ("%s needs" % purpose if purpose else "This needs", version,
           "none of these works: " + "; ".join(tried) if tried
           else "there is none on PATH, nor in pyenv's or uv's installs",
           version, version, version, version, version.replace(".", "_"), version))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
