# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Konnect operation the collection's modules send, and the official OpenAPI file that defines it.

``MODULE_OPERATIONS`` maps ``(method, path template)`` to the file of Kong's
(``../shared/specs/konnect``) whose ``paths`` hold it.  Templates are written as
in that file, with the file's server path in front (``/v2``, ``/v3``; the
developer Portal API files already start their paths with ``/api/v2``,
``/api/v3``).  ``test_konnect_operations.py`` checks each entry against the files
and that a full cycle of the modules reaches them all; the ``sandbox`` fixture
fails any test in which a module sends a request outside this table.

The modules are recognised in the sandbox's request log by their User-Agent.
"""

from __future__ import annotations

import re

MODULE_USER_AGENT = "devportal.dcr (Ansible collection)"

MODULE_OPERATIONS = {
    # api-builder-v3.yaml
    ("GET", "/v3/api-implementations"): "api-builder-v3.yaml",
    ("GET", "/v3/api-publications"): "api-builder-v3.yaml",
    ("GET", "/v3/apis"): "api-builder-v3.yaml",
    ("GET", "/v3/apis/{apiId}"): "api-builder-v3.yaml",
    ("GET", "/v3/apis/{apiId}/publications/{portalId}"): "api-builder-v3.yaml",
    ("PUT", "/v3/apis/{apiId}/publications/{portalId}"): "api-builder-v3.yaml",
    ("DELETE", "/v3/apis/{apiId}/publications/{portalId}"): "api-builder-v3.yaml",
    ("GET", "/v3/portals/{portalId}/api-publications"): "api-builder-v3.yaml",
    # api-products-v2.yaml
    ("GET", "/v2/api-products"): "api-products-v2.yaml",
    ("GET", "/v2/api-products/{apiProductId}/product-versions"): "api-products-v2.yaml",
    # application-auth-strategies-v2.yaml
    ("GET", "/v2/application-auth-strategies"): "application-auth-strategies-v2.yaml",
    ("POST", "/v2/application-auth-strategies"): "application-auth-strategies-v2.yaml",
    ("GET", "/v2/application-auth-strategies/{authStrategyId}"): "application-auth-strategies-v2.yaml",
    ("PATCH", "/v2/application-auth-strategies/{authStrategyId}"): "application-auth-strategies-v2.yaml",
    ("DELETE", "/v2/application-auth-strategies/{authStrategyId}"): "application-auth-strategies-v2.yaml",
    ("GET", "/v2/dcr-providers"): "application-auth-strategies-v2.yaml",
    ("POST", "/v2/dcr-providers"): "application-auth-strategies-v2.yaml",
    ("GET", "/v2/dcr-providers/{dcrProviderId}"): "application-auth-strategies-v2.yaml",
    ("PATCH", "/v2/dcr-providers/{dcrProviderId}"): "application-auth-strategies-v2.yaml",
    ("DELETE", "/v2/dcr-providers/{dcrProviderId}"): "application-auth-strategies-v2.yaml",
    ("POST", "/v2/dcr-providers/{dcrProviderId}/verify"): "application-auth-strategies-v2.yaml",
    # dev-portal-v2.yaml
    ("GET", "/api/v2/applications"): "dev-portal-v2.yaml",
    ("POST", "/api/v2/applications"): "dev-portal-v2.yaml",
    ("GET", "/api/v2/applications/auth-strategies"): "dev-portal-v2.yaml",
    ("GET", "/api/v2/applications/{applicationId}"): "dev-portal-v2.yaml",
    ("PATCH", "/api/v2/applications/{applicationId}"): "dev-portal-v2.yaml",
    ("DELETE", "/api/v2/applications/{applicationId}"): "dev-portal-v2.yaml",
    ("POST", "/api/v2/applications/{applicationId}/refresh-token"): "dev-portal-v2.yaml",
    ("GET", "/api/v2/applications/{applicationId}/registrations"): "dev-portal-v2.yaml",
    ("POST", "/api/v2/applications/{applicationId}/registrations"): "dev-portal-v2.yaml",
    ("POST", "/api/v2/developer/authenticate"): "dev-portal-v2.yaml",
    ("GET", "/api/v2/products"): "dev-portal-v2.yaml",
    ("GET", "/api/v2/products/{productId}/versions"): "dev-portal-v2.yaml",
    # dev-portal-v3.yaml
    ("GET", "/api/v3/apis"): "dev-portal-v3.yaml",
    ("GET", "/api/v3/apis/{apiIdOrSlug}"): "dev-portal-v3.yaml",
    ("GET", "/api/v3/application-auth-strategies"): "dev-portal-v3.yaml",
    ("GET", "/api/v3/applications"): "dev-portal-v3.yaml",
    ("POST", "/api/v3/applications"): "dev-portal-v3.yaml",
    ("GET", "/api/v3/applications/{applicationId}"): "dev-portal-v3.yaml",
    ("PATCH", "/api/v3/applications/{applicationId}"): "dev-portal-v3.yaml",
    ("DELETE", "/api/v3/applications/{applicationId}"): "dev-portal-v3.yaml",
    ("POST", "/api/v3/applications/{applicationId}/regenerate-secret"): "dev-portal-v3.yaml",
    ("GET", "/api/v3/applications/{applicationId}/registrations"): "dev-portal-v3.yaml",
    ("POST", "/api/v3/applications/{applicationId}/registrations"): "dev-portal-v3.yaml",
    ("POST", "/api/v3/developer/authenticate"): "dev-portal-v3.yaml",
    # portal-management-v2.yaml
    ("GET", "/v2/portals"): "portal-management-v2.yaml",
    ("GET", "/v2/portals/{portalId}"): "portal-management-v2.yaml",
    ("PATCH", "/v2/portals/{portalId}"): "portal-management-v2.yaml",
    ("GET", "/v2/portals/{portalId}/applications"): "portal-management-v2.yaml",
    ("DELETE", "/v2/portals/{portalId}/applications/{applicationId}"): "portal-management-v2.yaml",
    ("GET", "/v2/portals/{portalId}/applications/{applicationId}/registrations"): "portal-management-v2.yaml",
    ("PATCH", "/v2/portals/{portalId}/applications/{applicationId}/registrations/{registrationId}"): "portal-management-v2.yaml",
    ("GET", "/v2/portals/{portalId}/product-versions"): "portal-management-v2.yaml",
    ("POST", "/v2/portals/{portalId}/product-versions"): "portal-management-v2.yaml",
    ("GET", "/v2/portals/{portalId}/product-versions/{productVersionId}"): "portal-management-v2.yaml",
    ("PATCH", "/v2/portals/{portalId}/product-versions/{productVersionId}"): "portal-management-v2.yaml",
    # portal-management-v3.yaml
    ("GET", "/v3/portals"): "portal-management-v3.yaml",
    ("GET", "/v3/portals/{portalId}"): "portal-management-v3.yaml",
    ("PATCH", "/v3/portals/{portalId}"): "portal-management-v3.yaml",
    ("GET", "/v3/portals/{portalId}/applications"): "portal-management-v3.yaml",
    ("DELETE", "/v3/portals/{portalId}/applications/{applicationId}"): "portal-management-v3.yaml",
    ("GET", "/v3/portals/{portalId}/applications/{applicationId}/registrations"): "portal-management-v3.yaml",
    ("PATCH", "/v3/portals/{portalId}/applications/{applicationId}/registrations/{registrationId}"): "portal-management-v3.yaml",
}


def _compile(template):
    pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
    return re.compile("^%s$" % pattern)


_MATCHERS = sorted(((key, _compile(key[1])) for key in MODULE_OPERATIONS),
                   key=lambda item: (item[0][1].count("{"), -len(item[0][1])))


def operation_of(method, path):
    """The ``(method, template)`` of MODULE_OPERATIONS a request is, or None (literal paths win)."""
    for key, regex in _MATCHERS:
        if key[0] == method and regex.match(path):
            return key
    return None


# Only these paths are API traffic (as for the sandbox's OpenAPI check): a request elsewhere, such as one a
# test provokes with a wrong konnect_url prefix, reaches no Konnect API at all.
API_PREFIXES = {"konnect": ("/v2/", "/v3/"), "portal": ("/api/v2/", "/api/v3/")}


def module_requests(entries):
    """The Konnect admin and Portal API requests of a request log that the modules sent."""
    return [e for e in entries if e["service"] in API_PREFIXES and e.get("user_agent") == MODULE_USER_AGENT
            and e["path"].startswith(API_PREFIXES[e["service"]])]
