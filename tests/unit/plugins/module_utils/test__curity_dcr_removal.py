# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DCR settings a removed credential takes with it: who else they serve, and the writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import EMPTY, CredentialConfig, CurityAdmin
from ansible_collections.devportal.dcr.plugins.module_utils._http import Reply

AS = "data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server"


class RecordingTransport:
    def __init__(self):
        self.sent = []

    def request(self, method, path, **kwargs):
        self.sent.append((method, path))
        return Reply(204, {}, "", None)


def profile(dcr=None):
    server = {"client-store": {"config-backed": {"client": [{"id": "konnect-dcr"}]}}}
    if dcr is not None:
        server["dynamic-client-registration"] = dcr
    return {"id": "token-service", "type": "profile-oauth:oauth-service",
            "settings": {"profile-oauth:authorization-server": server}}


def dcr(clients=("konnect-dcr",), managers=("konnect-dcr",), **extra):
    settings = {"capabilities": {"client-credentials": EMPTY}, "scopes": {"all": EMPTY},
                "client-authentication-method": {"secret": {}}}
    if clients:
        settings["authenticate-client-by"] = list(clients)
    settings.update(extra.pop("settings", {}))
    out = {"client-data-source": "default-datasource", "non-templatized": settings,
           "client-management": {"management-clients": list(managers)}}
    out.update(extra)
    return out


@pytest.mark.parametrize("settings, users", [
    (None, []),
    (dcr(), []),
    (dcr(clients=(), managers=()), []),
    (dcr(clients=("konnect-dcr", "other")), ["client 'other'"]),
    (dcr(managers=("konnect-dcr", "admin-tool")), ["client 'admin-tool'"]),
    (dcr(clients=(), settings={"authenticate-user-by": ["html-form"]}), ["user authentication (authenticate-user-by)"]),
    (dcr(clients=(), settings={"no-authentication": EMPTY}), ["open registration (no-authentication)"]),
    (dcr(templatized={}), ["templatized DCR"]),
])
def test_what_else_the_dcr_settings_serve(settings, users):
    assert CredentialConfig(profile(settings), "konnect-dcr").dcr_other_users("konnect-dcr") == users


def test_removed_dcr_settings_are_deleted_before_the_client_they_name():
    config = CredentialConfig(profile(dcr()), "konnect-dcr")
    transport = RecordingTransport()
    plan = _engine.Plan([_engine.compare("client", {"client_credentials": True}, None, "absent"),
                         _engine.compare("dynamic_client_registration", config.dcr_view(), None, "absent")])
    config.write(CurityAdmin(transport, "token-service"), plan)
    assert transport.sent == [("DELETE", AS + "/dynamic-client-registration"),
                              ("DELETE", AS + "/client-store/config-backed/client=konnect-dcr")]
