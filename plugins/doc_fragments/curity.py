# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of the Curity modules (the RESTCONF admin API)."""

    DOCUMENTATION = r"""
options:
  admin_url:
    description:
      - Base URL of the RESTCONF API of the Curity Identity Server admin service, for example
        V(https://idsvr-admin:6749/admin/api/restconf). The form ending in C(/data) is accepted too.
      - Must be an absolute C(http) or C(https) URL without credentials; it is checked before any request.
      - If not set, the value of the E(CURITY_ADMIN_URL) environment variable is used.
      - Required unless E(CURITY_ADMIN_URL) is set.
    type: str
  admin_username:
    description:
      - Admin user of the Curity Identity Server (HTTP Basic authentication).
      - If not set, the value of the E(CURITY_ADMIN_USERNAME) environment variable is used.
    type: str
    default: admin
  admin_password:
    description:
      - Password of O(admin_username). It is never logged nor returned.
      - If not set, the value of the E(CURITY_ADMIN_PASSWORD) environment variable is used.
      - Required unless E(CURITY_ADMIN_PASSWORD) is set.
    type: str
  profile_id:
    description:
      - Id of the OAuth profile (token service profile) to configure.
      - If not set, the value of the E(CURITY_PROFILE_ID) environment variable is used.
    type: str
    default: token-service
  validate_certs:
    description:
      - Whether to check the TLS certificates of the Curity server. Set to V(false) only on test systems;
        the module then warns. Prefer O(ca_path) for a private CA.
      - If not set, the value of the E(CURITY_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or folder) of the CA certificates that sign the Curity server certificates.
      - If not set, the value of the E(CURITY_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Time limit of each attempt of an HTTP request, in seconds, for the whole exchange (connecting, sending the
        request and receiving the complete answer), not only for the wait between two bytes. An answer still
        incomplete at the limit is abandoned.
      - It also sets the total deadline of a request, retries and the waits between them included, to four times
        this value (two minutes with the default); a retry that cannot start before it is not made.
      - If not set, the value of the E(CURITY_TIMEOUT) environment variable is used.
    type: int
    default: 30
notes:
  - The modules talk to the Curity admin API from where they run; use C(delegate_to) or a play on C(localhost).
  - Requests answered with HTTP 429 (honouring C(Retry-After)), 502, 503 or 504 are retried with backoff
    within a bounded time; each retry is reported as a warning.
  - Changes made through RESTCONF are active at once (no commit step). On installations that bootstrap their
    configuration at start, re-run the tasks after a restart; they converge again.
requirements:
  - requests
"""
