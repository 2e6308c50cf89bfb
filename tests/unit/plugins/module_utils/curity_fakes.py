# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes shared by the Curity unit tests: a module, a transport that records requests and answers in order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils._curity import CurityAdmin
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError, Reply, error_detail

AS = "data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server"
PROFILE = "data/base:profiles/profile=token-service,oauth-service"
PARAMS = dict(admin_url="https://idsvr:6749/admin/api/restconf", admin_username="admin", admin_password="pw-unit-9f3",
              profile_id="token-service", validate_certs=True, ca_path=None, timeout=30)


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = dict(PARAMS, **params)
        self.check_mode = check_mode
        self.warnings = []
        self.no_log_values = set()

    def warn(self, msg):
        self.warnings.append(msg)

    def fail_json(self, **result):
        raise Failed(result)


class FakeTransport:
    """Records requests; answers in order (a Reply, or an exception to raise); 204 when out of answers."""

    base_url = "https://idsvr:6749/admin/api/restconf"

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []
        self.built = []

    def url(self, path):
        return "https://idsvr:6749/admin/api/restconf/" + path

    def request(self, method, path, **kwargs):
        self.sent.append((method, path, kwargs))
        answer = self.answers.pop(0) if self.answers else Reply(204, {}, "", None)
        if isinstance(answer, Exception):
            raise answer  # pylint: disable=raising-non-exception
        return answer

    def build(self, base, auth=None, **options):
        """Stands for the Transport class: records how it was built, returns itself."""
        self.built.append(dict(options, base=base, auth=auth))
        return self

    def calls(self):
        return requested(self.sent)


def requested(sent):
    """(method, path) of recorded requests."""
    return [tuple(request[:2]) for request in sent]


def ok(data):
    return Reply(200, {}, "", data)


def http_error(status, body=None, method="GET"):
    return HttpError(method, "https://idsvr/x", status, "", error_detail(body) if body else "", body, "Curity")


def admin_with(*answers):
    transport = FakeTransport(*answers)
    return CurityAdmin(transport, "token-service"), transport
