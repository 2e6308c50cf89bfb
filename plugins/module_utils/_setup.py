# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""Options of ``devportal.dcr.dcr_setup`` (shared by its action plugin and its module file).

The step options (``claims``, ``scopes``, ``token``, ``dcr``, ``applications``) take the arguments
of the module of that step as they are; that module validates them, so they are plain
dictionaries here.  The connection options are spelled out so that their secrets are ``no_log``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import secret_store_argument_spec

PHASES = ("curity", "konnect", "application", "verify")


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        phases=dict(type="list", elements="str", default=list(PHASES), choices=list(PHASES)),
        curity=dict(type="dict", default={}, options=dict(
            admin_url=dict(type="str"),
            admin_username=dict(type="str"),
            admin_password=dict(type="str", no_log=True),
            profile_id=dict(type="str"),
            validate_certs=dict(type="bool"),
            ca_path=dict(type="path"),
            timeout=dict(type="int"),
        )),
        konnect=dict(type="dict", default={}, options=dict(
            konnect_url=dict(type="str"),
            konnect_token=dict(type="str", no_log=True),
            validate_certs=dict(type="bool"),
            ca_path=dict(type="path"),
            timeout=dict(type="int"),
        )),
        portal=dict(type="dict", default={}, options=dict(
            portal_url=dict(type="str"),
            developer_email=dict(type="str"),
            developer_password=dict(type="str", no_log=True),
            portal_api=dict(type="str"),
        )),
        claims=dict(type="dict"),
        scopes=dict(type="dict"),
        # The DCR credential step's arguments; its module masks the secret among them.
        token=dict(type="dict", no_log=False),
        dcr=dict(type="dict"),
        applications=dict(type="list", elements="dict", default=[]),
        regenerate_secrets=dict(type="list", elements="str", default=[], no_log=False),
        report=dict(type="dict"),
        request=dict(type="dict", options=dict(
            url=dict(type="str", required=True),
            application=dict(type="str"),
            method=dict(type="str", default="GET"),
            status_code=dict(type="list", elements="int", default=[200, 201, 202, 204]),
            retries=dict(type="int", default=5),
            delay=dict(type="int", default=3),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=30),
        )),
        # Handed to the DCR credential's and the applications' steps (each keeps its record at its documented path).
        **secret_store_argument_spec()
    )
