# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the gateway knows of Konnect, and since when: configuration push and the credential cache.

A Kong data plane never reads Konnect's database.  Two delays separate what Konnect holds from what the
gateway enforces, and the stand-in models both (``DataPlane``), each off (0) until the control API turns
it on (``PUT /gateway`` with ``config_delay_s`` and ``credential_cache_s``, back to 0 on ``POST /reset``):

* **Configuration push** (``config_delay_s``).  Publications, strategies, applications and the status of
  registrations reach the gateway's ``konnect-application-auth`` plugin by configuration push, not at once
  (inferred: Konnect manages the plugin on the gateway service, Kong's "kaa-vs-ace" page; the evidence audit
  of Kong's tools, section 6, "Approvals reach the gateway by config push").  The gateway enforces the
  configuration Konnect held ``config_delay_s`` seconds earlier: every Konnect write takes a copy of what
  the gateway reads (``changed``), and the gateway reads the newest copy at least that old (``view``).
  How long the push takes is not published; the delay is a test setting, not a measured value.
* **Credential cache** (``credential_cache_s``).  Kong's DCR page (dev-portal/dynamic-client-registration.md,
  FAQ, confirmed): "By default, credentials are cached and can be used for a short time period even after
  they have been revoked. If you want credentials to be revoked immediately, edit the auth strategy to set
  ``cache_tokens`` to ``false``".  The gateway keeps the identity provider's acceptance of a client id and
  secret for ``credential_cache_s`` seconds (Kong's OpenID Connect plugin caches token endpoint answers
  under ``cache_tokens``), so a rotated secret, or the secret of a client deleted at the identity
  provider, keeps working that long.  Refusals are never cached (inferred).

Callers hold the sandbox lock around ``changed`` and ``view``; the cache has a lock of its own because
the gateway consults it while it talks to the identity provider, without the sandbox lock.
"""

import copy
import hashlib
import threading
import time

# What the gateway's configuration is made of: every table KonnectState's gateway queries read.
TABLES = ("routes", "gateway_services", "implementations", "publications", "portals", "api_products",
          "product_versions", "portal_product_versions", "auth_strategies", "dcr_providers", "applications",
          "registrations")
SETTINGS = ("config_delay_s", "credential_cache_s")
MAX_SECONDS = 300


def snapshot(state):
    """A frozen copy of what the gateway reads of ``state`` (a ``KonnectState``): its queries work on it."""
    copied = copy.copy(state)
    for name in TABLES:
        setattr(copied, name, copy.deepcopy(getattr(state, name)))
    return copied


class DataPlane:
    """The gateway's view of Konnect (delayed by ``config_delay_s``) and its credential cache."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._cache_lock = threading.Lock()
        self.reset()

    def reset(self):
        self.config_delay_s = 0.0
        self.credential_cache_s = 0.0
        self._pushed = []  # [(time of the change, snapshot)], oldest first
        with self._cache_lock:
            self._cache = {}

    def settings(self):
        return {"config_delay_s": self.config_delay_s, "credential_cache_s": self.credential_cache_s}

    def configure(self, body, state):
        """Apply ``{"config_delay_s", "credential_cache_s"}`` (either may be left out); ValueError if malformed.

        What Konnect holds now counts as already pushed, and the cache starts empty.
        """
        if not isinstance(body, dict):
            raise ValueError("gateway settings must be a JSON object")
        unknown = set(body) - set(SETTINGS)
        if unknown:
            raise ValueError("unknown gateway settings: %s" % ", ".join(sorted(unknown)))
        for name in SETTINGS:
            value = body.get(name, getattr(self, name))
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_SECONDS:
                raise ValueError("%s must be a number of seconds from 0 to %d" % (name, MAX_SECONDS))
        for name in SETTINGS:
            setattr(self, name, float(body.get(name, getattr(self, name))))
        self._pushed = [(float("-inf"), snapshot(state))] if self.config_delay_s else []
        with self._cache_lock:
            self._cache = {}
        return self.settings()

    # -- configuration push -------------------------------------------------------
    def changed(self, state):
        """Konnect changed: the gateway sees this configuration ``config_delay_s`` seconds from now."""
        if self.config_delay_s:
            self._pushed.append((self.clock(), snapshot(state)))

    def view(self, state):
        """What the gateway enforces now: ``state`` itself without a delay, else the newest copy old enough."""
        if not self.config_delay_s or not self._pushed:
            return state
        horizon = self.clock() - self.config_delay_s
        newest = 0
        for index, (when, _copy) in enumerate(self._pushed):
            if when <= horizon:
                newest = index
        del self._pushed[:newest]  # older copies can never be the answer again
        return self._pushed[0][1]

    # -- credential cache ------------------------------------------------------------
    @staticmethod
    def _key(issuer, client_id, secret):
        return hashlib.sha256(("%s\0%s\0%s" % (issuer, client_id, secret)).encode("utf-8")).hexdigest()

    def cached(self, issuer, client_id, secret):
        """True while the identity provider's acceptance of these credentials is cached."""
        if not self.credential_cache_s:
            return False
        with self._cache_lock:
            accepted = self._cache.get(self._key(issuer, client_id, secret))
        return accepted is not None and self.clock() - accepted < self.credential_cache_s

    def remember(self, issuer, client_id, secret):
        """The identity provider accepted these credentials now."""
        if self.credential_cache_s:
            with self._cache_lock:
                self._cache[self._key(issuer, client_id, secret)] = self.clock()
