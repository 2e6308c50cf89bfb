# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A step's module run imports that step's code only: every plan of a run is a module run of its own, and what it
imports is a share of its cost."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

PACKAGE = "ansible_collections.devportal.dcr.plugins"
SCRIPT = """
import json, sys
from %(package)s.modules import dcr_setup
dcr_setup.step_main(%%r)
print(json.dumps(sorted(name for name in sys.modules if name.startswith(("%(package)s.", "hvac")))))
""" % {"package": PACKAGE}
STORE = PACKAGE + ".module_utils._secret_store"
KONNECT = PACKAGE + ".module_utils._konnect"
# The folder that holds ansible_collections/devportal/dcr (this file is in its tests/unit/plugins/modules).
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 7))


def imported(step):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + [p for p in sys.path if p]))
    proc = subprocess.run([sys.executable, "-c", SCRIPT % step], capture_output=True, text=True, check=False,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("step", ["curity_claim", "curity_scope"])
def test_a_curity_list_step_imports_neither_konnect_nor_the_secret_store(step):
    modules = imported(step)
    assert PACKAGE + ".module_utils._%s" % step in modules
    assert not modules & {STORE, KONNECT, PACKAGE + ".module_utils._setup"}, modules
    assert not [name for name in modules if name.startswith("hvac")], modules


@pytest.mark.parametrize("step", ["curity_token", "portal_application"])
def test_a_step_with_a_secret_store_does_not_import_hvac_until_the_vault_backend_is_used(step):
    modules = imported(step)
    assert STORE in modules
    assert not [name for name in modules if name.startswith("hvac")], modules
