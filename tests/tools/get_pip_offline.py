#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for pip's ``get-pip.py`` bootstrap script.

``ansible-test --venv`` creates its sanity/unit virtual environments without pip and
bootstraps pip with ``get-pip.py`` downloaded from a host outside the Python package index.
Where that host cannot be reached, ``make`` places this script in ansible-test's cache
instead.  It does the same job: it installs the pip wheel bundled with Python
(``ensurepip``) and then runs ``pip install`` with the arguments ``get-pip.py`` would take
(e.g. ``pip==24.2``), so the exact pinned pip still comes from the package index.

    python tests/tools/get_pip_offline.py --install-into-cache

copies this script to ansible-test's cache under the name ansible-test looks for, unless a
bootstrap script is already there.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def install_into_cache():
    """Place this script where ansible-test looks for its pip bootstrap script, if none is there."""
    import shutil  # pylint: disable=import-outside-toplevel

    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    class _Python:  # the only attribute get_venv_packages reads
        version = "%d.%d" % sys.version_info[:2]

    version = get_venv_packages(_Python())["pip"]
    target = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if os.path.exists(target):
        return 0
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.abspath(__file__), target)
    print("ansible-test: pip %s bootstrap script installed at %s (offline stand-in)" % (version, target))
    return 0


def main():
    if sys.argv[1:] == ["--install-into-cache"]:
        return install_into_cache()
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    environ = dict(os.environ)
    # ensurepip ignores pip's configuration while it runs (and leaves that setting behind in
    # this process); the real install below must see the user's index and certificate settings.
    ensurepip.bootstrap(upgrade=False, default_pip=True)
    return subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", "--force-reinstall"] + args, env=environ)


if __name__ == "__main__":
    sys.exit(main())
