# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every sandbox service sees of the whole sandbox.

The sandbox is one process with several HTTP listeners (see ``core.py``).  Each
service is a WSGI app built by ``create_*_app(ctx)``; the apps share state and
reach each other only through this context object and real HTTP calls (so calls
the sandbox makes to itself are logged like any other request).
"""

from __future__ import annotations

import threading


class SandboxContext:
    """Shared, thread-safe handle on the sandbox.

    Attributes set by ``core.py`` before any app is created:

    ``scheme``      ``http`` or ``https`` (``--tls``)
    ``ca_path``     path of the CA bundle that signs every listener, or None
    ``lock``        re-entrant lock; hold it while reading or mutating state
    ``urls``        dict: ``curity_admin`` (RESTCONF base ending in
                    ``/admin/api/restconf``), ``curity_runtime`` (runtime base,
                    no path), ``konnect`` (admin base, no version),
                    ``gateway``, ``control``
    ``curity``      the ``CurityState`` (set by core after construction)
    ``konnect``     the ``KonnectState``
    ``spec_dir``    folder holding Kong's official OpenAPI files, or None
    """

    def __init__(self, scheme="http", ca_path=None, spec_dir=None):
        self.scheme = scheme
        self.ca_path = ca_path
        self.spec_dir = spec_dir
        self.lock = threading.RLock()
        self.urls = {}
        self.curity = None
        self.konnect = None
        self._violations = []
        self._portal_allocator = None
        self._http_local = threading.local()

    # -- internal HTTP ------------------------------------------------------
    def http(self):
        """A ``requests.Session`` for calls one sandbox service makes to another.

        One session per thread; TLS verification uses the sandbox CA.
        """
        session = getattr(self._http_local, "session", None)
        if session is None:
            import requests  # only the sandbox needs it at import time

            session = requests.Session()
            session.trust_env = False
            session.verify = self.ca_path if self.ca_path else True
            self._http_local.session = session
        return session

    # -- developer portal listeners ----------------------------------------
    def set_portal_allocator(self, allocator):
        """Core hands in the function that starts (or finds) a portal's listener."""
        self._portal_allocator = allocator

    def portal_url(self, portal_id):
        """Base URL of the developer Portal API of ``portal_id``.

        Each portal gets its own listener on its own loopback address (its
        domain, without the port), started on first use; the portal app finds
        the portal id in ``environ['sandbox.portal_id']``.
        """
        return self._portal_allocator(portal_id)

    # -- OpenAPI conformance --------------------------------------------------
    def record_violation(self, service, method, path, kind, detail):
        """Record a request or response that does not validate against Kong's spec."""
        with self.lock:
            self._violations.append(
                {"service": service, "method": method, "path": path, "kind": kind, "detail": detail}
            )

    def violations(self):
        with self.lock:
            return list(self._violations)

    def clear_violations(self):
        with self.lock:
            del self._violations[:]
