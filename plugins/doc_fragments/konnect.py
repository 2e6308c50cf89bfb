# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Konnect connection options: the admin API (C(devportal.dcr.konnect)) and a Dev Portal (C(devportal.dcr.konnect.portal))."""

    DOCUMENTATION = r"""
options:
  konnect_url:
    description:
      - Base URL of the Konnect admin API of your region, without an API version in the path.
      - For example V(https://eu.api.konghq.com) or V(https://au.api.konghq.com).
      - Must not carry credentials (C(user:password@)); such a URL is refused before any request, and its password is
        masked in every output.
      - If not set, the value of the E(KONNECT_URL) environment variable is used.
    type: str
    default: https://us.api.konghq.com
  konnect_token:
    description:
      - A Konnect personal access token (C(kpat_...)) or system account token (C(spat_...)), sent as a bearer token.
      - If not set, the value of the E(KONNECT_TOKEN) environment variable is used.
      - The token needs the roles of what the task manages, for example Portal Creator, DCR Provider Creator and API Publisher,
        and API Registration Approver to approve registrations.
    type: str
  validate_certs:
    description:
      - Whether to check the TLS certificate of Konnect and of the Dev Portal.
      - Only set this to V(false) on a test system; the module warns when it is false.
      - If not set, the value of the E(KONNECT_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the certificate authorities to trust instead of the system ones (for example behind a TLS-inspecting proxy).
      - If not set, the value of the E(KONNECT_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Time limit of each attempt of an HTTP request, in seconds, for the whole exchange (connecting, sending the
        request and receiving the complete answer), not only for the wait between two bytes. An answer still
        incomplete at the limit is abandoned.
      - It also sets the total deadline of a request, retries and the waits between them included, to four times
        this value (two minutes with the default); a retry that cannot start before it is not made.
      - If not set, the value of the E(KONNECT_TIMEOUT) environment variable is used.
    type: int
    default: 30
notes:
  - Reads that get HTTP 429 (honouring C(Retry-After)) or 502/503/504 are retried with a bounded back-off, and so are PATCH, PUT and DELETE;
    a POST is never repeated once it may have reached Konnect. Objects are found by name on every run, so re-running a task after a failed
    creation finds the object instead of creating a second one.
  - Environment variable names match the injectors of the collection's AWX credential types.
requirements:
  - requests
"""

    PORTAL = r"""
options:
  portal_url:
    description:
      - The Dev Portal's own URL (its default domain such as V(https://abc123456789.us.kongportals.com), or its custom domain).
      - Must not carry credentials (C(user:password@)); such a URL is refused before any request, and its password is
        masked in every output.
      - If not set, the value of the E(KONNECT_PORTAL_URL) environment variable is used.
      - Required unless E(KONNECT_PORTAL_URL) is set.
    type: str
  developer_email:
    description:
      - E-mail address of the developer account that owns the applications.
      - If not set, the value of the E(KONNECT_DEVELOPER_EMAIL) environment variable is used.
      - Required unless E(KONNECT_DEVELOPER_EMAIL) is set.
    type: str
  developer_password:
    description:
      - Password of that developer account. The account must exist and be approved on the portal.
      - If not set, the value of the E(KONNECT_DEVELOPER_PASSWORD) environment variable is used.
      - Required unless E(KONNECT_DEVELOPER_PASSWORD) is set.
    type: str
  portal_api:
    description:
      - Which Dev Portal generation serves O(portal_url).
      - V(v3) is the new Dev Portal (C(/api/v3)), V(v2) the classic one (C(/api/v2)).
      - V(auto) tries the new Dev Portal first, then the classic one.
    type: str
    choices: [auto, v3, v2]
    default: auto
notes:
  - The module logs in through the portal's C(developer/authenticate) endpoint and uses the C(portalaccesstoken) session cookie,
    which never appears in the output.
"""

    SETTLE = r"""
options:
  settle_timeout:
    description:
      - Konnect is eventually consistent. Right after an auth strategy, a portal's default, a publication or a
        registration changed, it can refuse for a while what refers to it. Kong's own end-to-end tests, which run against
        a real Konnect organisation, retry creating an application six times five seconds apart and wait for the portal's
        caches after configuring it (kongctl); the refusals themselves are not documented (inferred).
      - Such refusals (HTTP 400, 404 or 409; for a look-up, what is not listed yet) are met with up to five more attempts,
        1, 2, 3, 5 and 8 seconds apart, as long as they end within this many seconds; then the last refusal fails the task.
        V(0) sends each request once.
      - A PATCH, PUT or DELETE, which cannot do anything twice, is sent again as it is. A POST is sent again only when the
        read that follows its refusal shows that nothing was created; when that read finds the object, it is used, never
        created a second time.
      - A refusal that does not pass, a name that does not exist for example, is therefore reported after this many seconds.
    type: int
    default: 20
"""
