# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DCR settings a removed credential takes with it: who else they serve, and the writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import EMPTY, CurityAdmin
from ansible_collections.devportal.dcr.plugins.module_utils._curity_credential import CredentialConfig
from ansible_collections.devportal.dcr.plugins.module_utils._http import Reply

AS = "data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server"


class RecordingTransport:
    def __init__(self):
        self.sent = []

    def request(self, method, path, **kwargs):
        self.sent.append((method, path))
        return Reply(204, {}, "", None)


def config(dcr=None):
    return CredentialConfig("konnect-dcr", client={"id": "konnect-dcr"}, dcr=dcr)


def dcr(clients=("konnect-dcr",), managers=None, **extra):
    settings = {"capabilities": {"client-credentials": EMPTY}, "scopes": {"all": EMPTY},
                "client-authentication-method": {"secret": {}}}
    if clients:
        settings["authenticate-client-by"] = list(clients)
    settings.update(extra.pop("settings", {}))
    # management-clients is a container whose members are not public: anything set there serves someone else.
    out = {"client-data-source": "default-datasource", "non-templatized": settings,
           "client-management": {"management-clients": managers} if managers else {}}
    out.update(extra)
    return out


@pytest.mark.parametrize("settings, users", [
    (None, []),
    (dcr(), []),
    (dcr(clients=()), []),
    (dcr(clients=("konnect-dcr", "other")), ["client 'other'"]),
    (dcr(managers={"client": ["admin-tool"]}), ["the management clients (client-management/management-clients)"]),
    (dcr(clients=(), settings={"authenticate-user-by": ["html-form"]}), ["user authentication (authenticate-user-by)"]),
    (dcr(clients=(), settings={"no-authentication": EMPTY}), ["open registration (no-authentication)"]),
    (dcr(templatized={}), ["templatized DCR"]),
])
def test_what_else_the_dcr_settings_serve(settings, users):
    assert config(settings).dcr_other_users("konnect-dcr") == users


def test_removed_dcr_settings_are_deleted_before_the_client_they_name():
    current = config(dcr())
    transport = RecordingTransport()
    plan = _engine.Plan([_engine.compare("client", {"client_credentials": True}, None, "absent"),
                         _engine.compare("dynamic_client_registration", current.dcr_view(), None, "absent")])
    current.write(CurityAdmin(transport, "token-service"), plan)
    assert transport.sent == [("DELETE", AS + "/dynamic-client-registration"),
                              ("DELETE", AS + "/client-store/config-backed/client=konnect-dcr")]
