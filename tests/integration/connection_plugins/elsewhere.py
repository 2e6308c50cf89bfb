# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test connection: the local connection under another name.

devportal.dcr.dcr_setup treats every connection but ``local`` as one whose modules run on another host (no progress
file, a heartbeat instead, plans one after another).  This plugin runs the modules on this host all the same, so that
the integration tests see that behaviour against the sandbox.  Enabled by ``test_role_progress.py`` only, through
ANSIBLE_CONNECTION_PLUGINS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: elsewhere
short_description: The local connection, named as another (tests only)
description:
  - Runs everything on the controller, as ansible.builtin.local does, with a transport name other than C(local).
author:
  - devportal.dcr contributors (@devportal-dcr)
extends_documentation_fragment:
  - connection_pipelining
notes:
  - Without become (the options of ansible.builtin.local for become are not repeated here).
"""

from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    """ansible.builtin.local under the name ``elsewhere``."""

    transport = "elsewhere"
