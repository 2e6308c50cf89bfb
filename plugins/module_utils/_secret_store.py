# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""Where the secrets a run is shown once are kept: one interface, one class per store.

A Dev Portal application's client secret (Konnect shows it once) and a generated DCR credential
secret (Curity keeps a hash, Konnect never returns it) exist nowhere but in the run that receives
them.  A *secret store* keeps them beyond the run, and beyond an AWX job's discarded filesystem.

The modules' logic sees only ``SecretStore``; it never knows the backend:

* ``read(path)`` -> ``Record`` (``data``, ``version``) or None.  A record never shows its values in
  ``repr``/``str``;
* ``plan(path, data)`` -> ``Write``: read before write, so a write that would change nothing is
  planned as ``keep`` and creates no new version.  The plan is the same in check mode; a value
  that only the real run will know (a secret Konnect has not issued yet) is ``UNKNOWN``, which
  counts as a change.  ``Write.diff()`` is Ansible's diff with every secret value masked;
* ``write(plan)`` -> ``Record``: check-and-set against the version the plan read.  When someone
  else wrote the path since, ``SecretConflict`` is raised and nothing is overwritten; the value
  in hand stays in ``plan.data`` for the caller to return (``no_log``);
* ``put(path, data, check_mode)``: ``plan`` then, unless nothing changes or in check mode, ``write``;
* ``probe(path)`` -> ``Probe``: may this run read and write there (reachable, credentials valid,
  path allowed)?  It writes nothing (Vault: ``sys/capabilities-self``); ``check(path)`` raises
  ``SecretStoreError`` with the reason instead;
* ``info(path)``: whether a record is stored and its version, without any value;
* ``record_path(path, default)``: the task's ``secret_store.path`` or the documented default
  (``application_path(name)``, ``dcr_credential_path(client_id)``; the file store has none);
* ``close()``: give back what the store took (Vault: revoke the token of an AppRole login).

Backends, chosen by ``secret_store.backend``: ``FileStore`` (a local JSON file, mode 0600, the
collection's credentials file) and ``VaultStore`` (HashiCorp Vault or OpenBao, KV version 2,
through ``hvac``, an optional requirement).  Another store (AWS Secrets Manager, Azure Key Vault)
is a ``SecretStore`` subclass registered in ``BACKENDS``, with its options added to
``store_options()`` and to the ``devportal.dcr.secret_store`` doc fragment; the modules' logic
does not change.

Every request goes through the collection's one transport: ``hvac`` is handed an adapter that
sends through ``_http.Transport.request`` (deadline, retries of idempotent requests only, no
redirects, no ``.netrc``, TLS settings, the check-mode guard).  No secret (token, AppRole
``secret_id``, a stored value) is ever part of a message: each one is registered with
``register_secret`` (the module's ``no_log_values``) and removed from every error text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.common.parameters import AnsibleFallbackNotFound
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six.moves.urllib.parse import urljoin

from ansible_collections.devportal.dcr.plugins.module_utils import _engine, _http, _konnect

# hvac is imported on first use of the vault backend (has_hvac): a run that keeps its secrets in files, and every
# module run of a step that has no store, never pays for importing it.
hvac = None  # pylint: disable=invalid-name
hvac_exceptions = None  # pylint: disable=invalid-name
HVAC_IMPORT_ERROR = None


def has_hvac():
    """True when the optional Python library ``hvac`` can be used; imports it on the first call."""
    global hvac, hvac_exceptions, HVAC_IMPORT_ERROR  # pylint: disable=global-statement,invalid-name
    if hvac is None and HVAC_IMPORT_ERROR is None:
        try:
            hvac_module = importlib.import_module("hvac")
            importlib.import_module("hvac.adapters")
            hvac_errors = importlib.import_module("hvac.exceptions")
        except ImportError:
            HVAC_IMPORT_ERROR = traceback.format_exc()
        else:
            hvac, hvac_exceptions = hvac_module, hvac_errors
    return hvac is not None


BACKEND_FILE = "file"
BACKEND_VAULT = "vault"
AUTH_METHODS = ("token", "approle")
DEFAULT_MOUNT = "secret"
DEFAULT_APPROLE_MOUNT = "approle"
DEFAULT_TIMEOUT = 30
OPTION = "secret_store"

# The documented layout of the records, relative to the store's root (for Vault, to the KV v2 mount).
DEFAULT_PREFIX = "devportal-dcr"
APPLICATIONS = "applications"
DCR_CREDENTIALS = "dcr-credentials"
# Values a diff may show; every other value of a record is masked.
PUBLIC_KEYS = frozenset(("client_id", "application_id", "portal_url", "issuer", "created_at"))
# What a run needs on a Vault path: read (read before write, check-and-set), create (first run), update (re-runs).
NEEDED_CAPABILITIES = ("create", "read", "update")


class SecretStoreError(Exception):
    """One clear sentence on why the store cannot be used; never carries a secret."""


class SecretConflict(SecretStoreError):
    """A check-and-set write refused: the record changed since this run read it.  Nothing was overwritten."""

    def __init__(self, message, path, expected=None, found=None):
        super(SecretConflict, self).__init__(message)
        self.path = path
        self.expected = expected
        self.found = found


class Unknown(str):
    """A value only the real run knows (check mode plans with it); it always counts as a change."""


UNKNOWN = Unknown("(known after the run)")


def is_unknown(value):
    return isinstance(value, Unknown)


# --------------------------------------------------------------------------- options
def negated_env_fallback(*names):
    """An ``env_fallback`` for a ``validate_certs`` option read from a "skip verify" variable (``VAULT_SKIP_VERIFY``).

    As the Vault CLI and community.hashi_vault read it: true skips verification; a value that is
    not a boolean is ignored (verification stays on).
    """
    for name in names:
        value = os.environ.get(name)
        if value:
            try:
                return not boolean(value, strict=True)
            except TypeError:
                return True
    raise AnsibleFallbackNotFound


def store_options():
    """The sub-options of ``secret_store`` (fragment ``devportal.dcr.secret_store``).

    The Vault options carry community.hashi_vault's names and environment variables where they mean
    the same thing (its modules' ``VAULT_*``, its lookups' ``ANSIBLE_HASHI_VAULT_*`` for AppRole).  AWX
    refuses credential types that inject ``ANSIBLE_*`` variables, so the AppRole ids are also read from
    ``VAULT_ROLE_ID`` and ``VAULT_SECRET_ID`` (community.hashi_vault's former names), and without
    ``auth_method`` a role id without a token means AppRole.
    """
    return dict(
        backend=dict(type="str", required=True, choices=[BACKEND_FILE, BACKEND_VAULT]),
        path=dict(type="str"),
        url=dict(type="str", fallback=(env_fallback, ["VAULT_ADDR"])),
        auth_method=dict(type="str", choices=list(AUTH_METHODS), fallback=(env_fallback, ["ANSIBLE_HASHI_VAULT_AUTH_METHOD"])),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["VAULT_TOKEN"])),
        role_id=dict(type="str", fallback=(env_fallback, ["ANSIBLE_HASHI_VAULT_ROLE_ID", "VAULT_ROLE_ID"])),
        secret_id=dict(type="str", no_log=True, fallback=(env_fallback, ["ANSIBLE_HASHI_VAULT_SECRET_ID", "VAULT_SECRET_ID"])),
        mount_point=dict(type="str"),
        namespace=dict(type="str", fallback=(env_fallback, ["VAULT_NAMESPACE"])),
        engine_mount_point=dict(type="str", default=DEFAULT_MOUNT),
        ca_cert=dict(type="path", fallback=(env_fallback, ["VAULT_CACERT"])),
        validate_certs=dict(type="bool", default=True, fallback=(negated_env_fallback, ["VAULT_SKIP_VERIFY"])),
        timeout=dict(type="int", default=DEFAULT_TIMEOUT),
    )


def secret_store_argument_spec():
    """``{"secret_store": ...}``: the option a module that keeps a secret adds to its argument spec."""
    return {OPTION: dict(type="dict", no_log=False, options=store_options())}


def _blank(value):
    """None for an unset option: AWX injects an empty string for a credential field left empty."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


# --------------------------------------------------------------------------- paths
def join_path(*parts):
    """``parts`` joined with ``/``, each stripped of surrounding slashes."""
    return "/".join(str(part).strip("/") for part in parts if part is not None and str(part).strip("/"))


def application_path(name, prefix=DEFAULT_PREFIX):
    """Where an application's credentials are kept: ``<prefix>/applications/<application name>``."""
    return join_path(prefix, APPLICATIONS, name)


def dcr_credential_path(client_id, prefix=DEFAULT_PREFIX):
    """Where the DCR credential's secret is kept: ``<prefix>/dcr-credentials/<Curity client id>``."""
    return join_path(prefix, DCR_CREDENTIALS, client_id)


def check_kv_path(path, option="%s.path" % OPTION):
    """The path of a record below a mount, without surrounding slashes; SecretStoreError when unusable."""
    if not isinstance(path, str) or not path.strip("/"):
        raise SecretStoreError("%s must name a record, got %r." % (option, path))
    cleaned = path.strip("/")
    for segment in cleaned.split("/"):
        if segment in ("", ".", "..") or segment != segment.strip():
            raise SecretStoreError("%s %r is not a usable path: no empty, '.' or '..' segment and no spaces around a "
                                   "segment." % (option, path))
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise SecretStoreError("%s %r holds a control character." % (option, path))
    return cleaned


# --------------------------------------------------------------------------- records and plans
class Record:
    """What a store holds at one path: ``data`` (a dict, secret; None for a deleted record) and ``version``.

    ``version`` is None where the store keeps no versions (the file).  ``token`` is what a
    check-and-set write compares (the version, or the file's identity).
    """

    def __init__(self, data, version=None, token=None):
        self.data = data
        self.version = version
        self.token = version if token is None else token

    @property
    def stored(self):
        return self.data is not None

    def __repr__(self):
        return "Record(version=%r, keys=%r)" % (self.version, sorted(self.data or {}))

    __str__ = __repr__


class Write:
    """The plan of one write, computed once (the same in check mode) by the change engine.

    ``data`` is the value in hand (None values dropped); ``payload`` what is written: the stored record with
    ``data`` laid over it, so keys someone else added are kept.  ``action`` is create, update or keep.
    """

    def __init__(self, path, current, data, public=PUBLIC_KEYS):
        self.path = path
        self.current = current
        self.public = frozenset(public)
        self.data = dict((key, value) for key, value in (data or {}).items() if value is not None)
        known = current.data if current is not None else None
        self.payload = dict(known or {})
        self.payload.update(self.data)
        secret_keys = tuple(sorted(key for key in set(self.payload) if key not in public))
        unknown = tuple(sorted(key for key, value in self.data.items() if is_unknown(value)))
        self.change = _engine.compare(path, known, self.data, secret_keys=secret_keys, force_fields=unknown)
        self.written = None  # the Record written, once written

    @property
    def action(self):
        return self.change.action

    @property
    def changed(self):
        return self.change.changed

    @property
    def fields(self):
        """The keys whose value changes (names only)."""
        return self.change.changed_fields() if self.changed else []

    @property
    def expected(self):
        """What the check-and-set compares: the token of the record read (0: the path must hold no record)."""
        if self.current is None:
            return 0
        return self.current.token if self.current.token is not None else 0

    def diff(self):
        """Ansible's diff for this record (values masked but the public ones)."""
        return _engine.Plan([self.change]).diff()

    def view(self):
        """What a result may show: path, action, the keys that change and the versions (no value)."""
        return {"path": self.path, "action": self.action, "fields": self.fields,
                "version": self.current.version if self.current is not None else None,
                "written_version": self.written.version if self.written is not None else None}

    def __repr__(self):
        return "Write(path=%r, action=%r, fields=%r)" % (self.path, self.action, self.fields)

    __str__ = __repr__


class Probe:
    """Whether a run may read and write a path, and why not (``reason``); ``capabilities`` where the store tells."""

    def __init__(self, ok, reason="", location="", capabilities=None):
        self.ok = ok
        self.reason = reason
        self.location = location
        self.capabilities = capabilities

    def view(self):
        return {"ok": self.ok, "reason": self.reason, "location": self.location, "capabilities": self.capabilities}

    def __repr__(self):
        return "Probe(ok=%r, reason=%r)" % (self.ok, self.reason)


# --------------------------------------------------------------------------- the interface
class SecretStore:
    """A place for secrets.  Subclasses implement ``location``, ``read``, ``_write`` and ``probe``.

    ``read_only`` (check mode) refuses every write; ``warn`` receives warnings; ``register_secret``
    is called with every secret the store handles (the token, the AppRole secret_id, the token an
    AppRole login returns, the values read and written), so that no output can carry one.
    """

    backend = None

    def __init__(self, read_only=False, warn=None, register_secret=None, option=OPTION, observer=None):
        self.read_only = read_only
        self.observer = observer  # the transport's observer (see _http.Transport)
        self.option = option
        self.writes_sent = 0
        self._warn = warn
        self._register = register_secret
        self._secrets = set()

    # -- secrets and messages --------------------------------------------------------------
    def secret(self, value):
        """Register a secret (never shown in any message or output)."""
        if isinstance(value, str) and value:
            self._secrets.add(value)
            if self._register is not None:
                self._register(value)
        return value

    def _secret_values(self, data, public=PUBLIC_KEYS):
        """Register the values of a record, but those of ``public`` keys (a client id is no secret)."""
        for key, value in (data or {}).items():
            if key not in public and value is not None and not is_unknown(value):
                self.secret(value if isinstance(value, str) else str(value))

    def scrub(self, text):
        """``text`` without any registered secret (longest first, so no part of one is left)."""
        text = str(text)
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, _engine.SECRET_MASK)
        return text

    def error(self, message, cls=SecretStoreError, **kwargs):
        return cls(self.scrub(message), **kwargs)

    def warn(self, message):
        if self._warn is not None:
            self._warn(self.scrub(message))

    # -- the interface ----------------------------------------------------------------------
    def location(self, path):
        """Where ``path`` is, in words (no secret)."""
        raise NotImplementedError

    def check_path(self, path):
        """The path in the store's own form; SecretStoreError when unusable."""
        raise NotImplementedError

    def record_path(self, path, default):
        """The path of the record a task keeps: ``path`` (the task's ``secret_store.path``), else ``default``
        (the documented path, such as ``application_path(name)``), checked."""
        return self.check_path(_blank(path) or default)

    def read(self, path):
        """The ``Record`` at ``path`` or None when nothing was ever stored there."""
        raise NotImplementedError

    def _write(self, write):
        """Write ``write.payload`` with check-and-set on ``write.expected``; return the new ``Record``."""
        raise NotImplementedError

    def probe(self, path):
        """A ``Probe``: may this run read and write ``path``?  Writes nothing."""
        raise NotImplementedError

    def plan(self, path, data, public=PUBLIC_KEYS):
        """The ``Write`` that brings ``path`` to ``data`` (read before write)."""
        path = self.check_path(path)
        self._secret_values(data, public)
        return Write(path, self.read(path), data, public)

    def write(self, write):
        """Carry out a planned ``Write`` (nothing when it keeps); return the record now stored."""
        if not write.changed:
            return write.current
        if any(is_unknown(value) for value in write.payload.values()):
            raise SecretStoreError("internal error: a value known only after the run reached %s (this is a bug in the "
                                   "module)." % self.location(write.path))
        if self.read_only:
            raise SecretStoreError("refusing to write %s in check mode (this is a bug in the module)."
                                   % self.location(write.path))
        self._secret_values(write.payload, write.public)
        write.written = self._write(write)
        self.writes_sent += 1
        return write.written

    def put(self, path, data, check_mode=False, public=PUBLIC_KEYS):
        """Plan, then write unless nothing changes or in check mode; return the ``Write``."""
        write = self.plan(path, data, public)
        if write.changed and not check_mode:
            self.write(write)
        return write

    def check(self, path):
        """The ``Probe`` of ``path`` when the run may use it; SecretStoreError with the reason otherwise."""
        probe = self.probe(path)
        if not probe.ok:
            raise self.error("%s cannot be used: %s" % (probe.location, probe.reason.rstrip(".")) + ".")
        return probe

    def close(self):
        """Give back what the store took for this run (nothing here; Vault revokes an AppRole login's token)."""

    def info(self, path):
        """``{"backend", "location", "path", "stored", "version"}``: never a value."""
        path = self.check_path(path)
        record = self.read(path)
        return {"backend": self.backend, "location": self.location(path), "path": path,
                "stored": bool(record is not None and record.stored),
                "version": record.version if record is not None else None}


# --------------------------------------------------------------------------- the credentials file
class FileStore(SecretStore):
    """The local JSON file, mode 0600: ``path`` is the file.  It keeps no versions.

    A thin adapter over the credentials-file functions of ``_konnect`` (``check_credentials_path``,
    ``write_credentials_file``, which copies a file holding another client's record to a
    timestamped backup first).  The check-and-set compares the file's identity (inode, size,
    modification time) with the one read by the plan.
    """

    backend = BACKEND_FILE

    def __init__(self, options=None, **kwargs):
        super(FileStore, self).__init__(**kwargs)
        self.backup = None  # where the last write copied another client's record

    def location(self, path):
        return "the credentials file %r" % path

    def check_path(self, path):
        if not isinstance(path, str) or not path.strip():
            raise SecretStoreError("%s.path must name the credentials file." % self.option)
        return os.path.abspath(os.path.expanduser(path))

    def record_path(self, path, default):
        """A file has no documented default: ``path`` is required."""
        if not _blank(path):
            raise SecretStoreError("%s.path is required with %s.backend file: the credentials file to write."
                                   % (self.option, self.option))
        return self.check_path(path)

    @staticmethod
    def _identity(path):
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def read(self, path):
        identity = self._identity(path)
        try:
            data = _konnect.read_credentials_record(path)
        except _konnect.KonnectError as exc:
            raise self.error(str(exc))
        if data is None:
            return None
        self._secret_values(data)
        # A file has no version; the check-and-set token is its identity (never 0, which means "absent").
        return Record(data, None, identity or ("unreadable",))

    def _write(self, write):
        if self._identity(write.path) != (write.current.token if write.current is not None else None):
            raise self.error("%s changed since this run read it: someone else wrote it. Nothing was overwritten."
                             % self.location(write.path), SecretConflict, path=write.path,
                             expected=write.expected, found=self._identity(write.path))
        record = dict(write.payload, created_at=_konnect.utc_now())
        try:
            self.backup = _konnect.write_credentials_file(write.path, record)
        except (IOError, OSError, _konnect.KonnectError) as exc:
            raise self.error("%s could not be written (%s)." % (self.location(write.path),
                                                                getattr(exc, "strerror", None) or exc))
        return Record(record, None, self._identity(write.path))

    def probe(self, path):
        where = self.location(path)
        try:
            path = self.check_path(path)
            _konnect.check_credentials_path(path)
        except (SecretStoreError, _konnect.KonnectError) as exc:
            return Probe(False, str(exc), where)
        if os.path.exists(path) and not os.access(path, os.R_OK):
            return Probe(False, "the file exists and cannot be read (read before write needs it)", where)
        return Probe(True, "", where)


# --------------------------------------------------------------------------- HashiCorp Vault / OpenBao, KV v2
# Requests of the Vault API that change nothing stored, although they are POSTs: a login, a capabilities query.
_NOT_WRITES = ("/v1/auth/", "/v1/sys/capabilities-self")
_ANY_STATUS = tuple(range(100, 600))

_ADAPTER = []  # TransportAdapter, built once hvac is imported


def transport_adapter():
    """hvac's adapter class that sends every request through ``_http.Transport.request`` (built on first use, since
    its base class is hvac's)."""
    if not _ADAPTER:
        _ADAPTER.append(_adapter_class())
    return _ADAPTER[0]


def _adapter_class():
    class _VaultTokenAuth(_http.requests.auth.AuthBase):
        """``X-Vault-Token`` as an auth object, read from the adapter at each request (an AppRole login sets it)."""

        def __init__(self, adapter):
            self.adapter = adapter

        def __call__(self, request):
            if self.adapter.token:
                request.headers["X-Vault-Token"] = self.adapter.token
            return request

    class _Answer:
        """What hvac expects back for an answer that is not a JSON object with HTTP 200 (``status_code``, ``json()``)."""

        def __init__(self, reply):
            self.status_code = reply.status
            self.headers = reply.headers
            self.text = reply.text
            self._json = reply.json
            self.ok = 200 <= reply.status < 400

        def json(self):
            if self._json is None:
                raise ValueError("no JSON body")
            return self._json

    class TransportAdapter(hvac.adapters.Adapter):
        """hvac's adapter that sends every request through ``_http.Transport.request``.

        hvac builds the paths and bodies of the Vault API and maps error statuses to its
        exceptions; the transport sends: its deadline, its retries (idempotent requests only), no
        redirects, no ``.netrc``, its TLS settings, its check-mode guard.  The token travels as an
        auth object (``X-Vault-Token``).  A redirect is an error: the token never goes elsewhere.
        """

        def __init__(self, *args, **kwargs):
            self.transport = kwargs.pop("transport")
            self.option = kwargs.pop("option", OPTION)
            super(TransportAdapter, self).__init__(*args, **kwargs)
            self.transport.session.auth = _VaultTokenAuth(self)

        def get_login_token(self, response):
            auth = response.get("auth") if isinstance(response, dict) else None
            token = auth.get("client_token") if isinstance(auth, dict) else None
            if not isinstance(token, str) or not token:
                raise SecretStoreError("Vault: the login answer holds no client token (auth.client_token).")
            return token

        def request(self, method, url, headers=None, raise_exception=True, **kwargs):
            method = method.upper()
            while "//" in url:
                url = url.replace("//", "/")
            send = {"X-Vault-Request": "true"}
            send.update(headers or {})
            if self.namespace:
                send["X-Vault-Namespace"] = self.namespace
            params = dict(kwargs.get("params") or {})
            if method == "LIST":
                method, params["list"] = "GET", "true"
            write = method not in _http.READ_METHODS and not url.startswith(_NOT_WRITES)
            reply = self.transport.request(method, url, json_body=kwargs.get("json"), params=params or None,
                                           headers=send, expect=_ANY_STATUS, expect_json=False, write=write)
            if 300 <= reply.status < 400:
                target = _http.redact_url(urljoin(self.transport.url(url), reply.headers.get("Location") or ""))
                raise SecretStoreError(
                    "Vault answered %s %s with a redirect (HTTP %d) to %s, which is not followed so that the token "
                    "never goes to another address: set %s.url to the address that answers (the active node or the "
                    "load balancer)." % (method, _http.redact_url(self.transport.url(url)), reply.status, target,
                                         self.option))
            if reply.status >= 400 and raise_exception and not self.ignore_exceptions:
                body = reply.json if isinstance(reply.json, dict) else None
                errors = body.get("errors") if body is not None else None
                errors = [str(e) for e in errors] if isinstance(errors, list) else None
                hvac.utils.raise_for_error(method, _http.redact_url(self.transport.url(url)), reply.status,
                                           None if errors else _http._snippet(reply.text, "response"),  # pylint: disable=protected-access
                                           errors=errors, text=reply.text, json=body)
            if reply.status == 200 and isinstance(reply.json, dict):
                return reply.json
            return _Answer(reply)

    return TransportAdapter


def ensure_hvac(module):
    """Fail the module with the standard message naming ``hvac`` when it is missing."""
    if not has_hvac():
        module.fail_json(msg=missing_required_lib("hvac") + " It is needed only for %s.backend: vault." % OPTION,
                         exception=HVAC_IMPORT_ERROR)


class VaultStore(SecretStore):
    """HashiCorp Vault or OpenBao, KV version 2: ``path`` is relative to ``engine_mount_point``.

    Auth methods: ``token`` (``VAULT_TOKEN``) and ``approle`` (a login on first use).  Every write is
    a check-and-set; ``probe`` asks ``sys/capabilities-self`` and the mount's preflight
    (``sys/internal/ui/mounts``, as the Vault CLI does) and writes nothing.
    """

    backend = BACKEND_VAULT

    def __init__(self, options, **kwargs):
        super(VaultStore, self).__init__(**kwargs)
        if not has_hvac():
            raise SecretStoreError(missing_required_lib("hvac") + " It is needed only for %s.backend: vault." % self.option)
        opts = dict((key, _blank(value)) for key, value in options.items())
        self.secret(opts.get("token"))
        self.secret(opts.get("secret_id"))
        name = self.option
        if not opts.get("url"):
            raise SecretStoreError("%s.url (or VAULT_ADDR in the environment) is required for the vault backend." % name)
        try:
            self.url = _konnect.check_http_url(opts["url"], "%s.url" % name)
        except _konnect.KonnectError as exc:
            raise self.error(str(exc))
        self.auth_method = opts.get("auth_method") or ("approle" if opts.get("role_id") and not opts.get("token")
                                                       else "token")
        if self.auth_method not in AUTH_METHODS:
            raise SecretStoreError("%s.auth_method must be one of %s, got %r."
                                   % (name, ", ".join(AUTH_METHODS), self.auth_method))
        if self.auth_method == "token" and not opts.get("token"):
            raise SecretStoreError("%s.token (or VAULT_TOKEN in the environment) is required with auth_method token; "
                                   "for AppRole set auth_method: approle with role_id and secret_id." % name)
        if self.auth_method == "approle" and not opts.get("role_id"):
            raise SecretStoreError("%s.role_id (or ANSIBLE_HASHI_VAULT_ROLE_ID or VAULT_ROLE_ID in the environment) is "
                                   "required with auth_method approle." % name)
        self.mount = (opts.get("engine_mount_point") or DEFAULT_MOUNT).strip("/")
        check_kv_path(self.mount, "%s.engine_mount_point" % name)
        self.auth_mount = (opts.get("mount_point") or DEFAULT_APPROLE_MOUNT).strip("/")
        self.namespace = (opts.get("namespace") or "").strip("/") or None
        timeout = DEFAULT_TIMEOUT if opts.get("timeout") is None else opts["timeout"]
        if timeout < 1:
            raise SecretStoreError("%s.timeout must be at least 1 second, got %d." % (name, timeout))
        validate_certs = opts.get("validate_certs")
        validate_certs = True if validate_certs is None else validate_certs
        ca_cert = opts.get("ca_cert")
        if validate_certs and ca_cert and not os.path.exists(ca_cert):
            raise SecretStoreError("%s.ca_cert %r does not exist; give the PEM file of the CA that signs the Vault "
                                   "server's certificate." % (name, ca_cert))
        if not validate_certs:
            self.warn("%s.validate_certs is false: the TLS certificate of %s is not checked." % (name, self.url))
        self.transport = _http.Transport(self.url, validate_certs=validate_certs, ca_path=ca_cert, timeout=timeout,
                                         warn=self.warn, service="Vault", read_only=self.read_only,
                                         observer=self.observer)
        # The token is given even when empty, or hvac would read VAULT_TOKEN or ~/.vault-token itself; verify, timeout
        # and redirects are the transport's (the adapter does not use hvac's request settings).
        self.client = hvac.Client(url=self.url, token=opts.get("token") or "", verify=validate_certs and (ca_cert or True),
                                  timeout=timeout, allow_redirects=False, session=self.transport.session,
                                  adapter=transport_adapter(), namespace=self.namespace, transport=self.transport,
                                  option=self.option)
        self._role_id = opts.get("role_id")
        self._secret_id = opts.get("secret_id")
        self._logged_in = self.auth_method == "token"

    # -- helpers ---------------------------------------------------------------------------
    def location(self, path):
        where = "Vault KV v2 %s/%s at %s" % (self.mount, path, self.url)
        if self.namespace:
            where += " (namespace %s)" % self.namespace
        return where

    def check_path(self, path):
        return check_kv_path(path, "%s.path" % self.option)

    def _api_path(self, path):
        return "%s/data/%s" % (self.mount, path)

    def _call(self, doing, path, function, *args, **kwargs):
        """``function(*args, **kwargs)``: hvac's call, every failure as one SecretStoreError sentence."""
        try:
            return function(*args, **kwargs)
        except SecretConflict:
            raise
        except SecretStoreError as exc:
            raise self.error(str(exc))
        except (_http.TransportError, _http.HttpError) as exc:
            raise self.error(self._transport_words(str(exc)))
        except hvac_exceptions.Forbidden:
            raise self.error(self._forbidden(doing, path))
        except hvac_exceptions.VaultError as exc:
            raise self.error("Vault refused to %s %s: %s." % (doing, self.location(path) if path else self.url,
                                                              _vault_words(exc)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.error("Vault gave an unusable answer when asked to %s %s (%s)."
                             % (doing, self.location(path) if path else self.url, type(exc).__name__))

    def _transport_words(self, text):
        """The transport's message in the terms of this store's options."""
        return (text.replace("Set ca_path to", "Set %s.ca_cert (or VAULT_CACERT) to" % self.option)
                .replace("validate_certs: false", "%s.validate_certs: false" % self.option)
                .replace("Check ca_path.", "Check %s.ca_cert." % self.option))

    def _token_valid(self):
        """Whether Vault accepts the token (``auth/token/lookup-self``, allowed by Vault's default policy)."""
        try:
            self.client.auth.token.lookup_self()
        except hvac_exceptions.Forbidden:
            return False
        except (hvac_exceptions.VaultError, _http.TransportError, _http.HttpError, SecretStoreError):
            return True  # not a refusal of the token: the first error stands
        return True

    def _token_words(self):
        if self.auth_method == "approle":
            return "the token of the AppRole login"
        return "the token (%s.token or VAULT_TOKEN)" % self.option

    def _forbidden(self, doing, path):
        if not self._token_valid():
            return ("Vault does not accept %s: it is wrong, expired or revoked (HTTP 403 on %s %s)."
                    % (self._token_words(), doing, self.location(path) if path else self.url))
        if path:
            return ("Vault refused to %s %s: the token's policies do not allow it (HTTP 403). The path %s/data/%s needs "
                    "the capabilities %s." % (doing, self.location(path), self.mount, path, ", ".join(NEEDED_CAPABILITIES)))
        return "Vault refused to %s (HTTP 403): the token's policies do not allow it." % doing

    def _login(self):
        if self._logged_in:
            return
        try:
            self.client.auth.approle.login(role_id=self._role_id, secret_id=self._secret_id, mount_point=self.auth_mount)
        except SecretStoreError as exc:
            raise self.error(str(exc))
        except (_http.TransportError, _http.HttpError) as exc:
            raise self.error(self._transport_words(str(exc)))
        except hvac_exceptions.VaultError as exc:
            raise self.error("Vault refused the AppRole login at auth/%s (%s.role_id and %s.secret_id, or their "
                             "environment variables): %s." % (self.auth_mount, self.option, self.option, _vault_words(exc)))
        self.secret(self.client.token)
        self._logged_in = True

    def close(self):
        """Revoke the token of this run's AppRole login (``auth/token/revoke-self``), best effort: it would expire anyway."""
        if self.auth_method != "approle" or not self._logged_in:
            return
        self._logged_in = False
        try:
            self.client.adapter.post("/v1/auth/token/revoke-self")
        except (hvac_exceptions.VaultError, _http.TransportError, _http.HttpError, SecretStoreError):
            pass
        self.client.token = ""

    # -- the interface ----------------------------------------------------------------------
    def read(self, path):
        path = self.check_path(path)
        self._login()
        return self._record(path, self._call("read", path, _read_version, self, path))

    def _record(self, path, answer):
        if isinstance(answer, _DeletedOrMissing):
            return answer.record
        data = answer.get("data") if isinstance(answer, dict) else None
        values = data.get("data") if isinstance(data, dict) else None
        metadata = data.get("metadata") if isinstance(data, dict) else None
        version = metadata.get("version") if isinstance(metadata, dict) else None
        if not isinstance(values, dict) or not _is_version(version):
            raise self.error("Vault gave an unusable answer for %s: no data and metadata.version (is %s a KV version 2 "
                             "mount?)." % (self.location(path), self.mount))
        self._secret_values(values)
        return Record(values, version)

    def _write(self, write):
        self._login()
        answer = self._call("write", write.path, self._create_or_update, write)
        version = ((answer or {}).get("data") or {}).get("version") if isinstance(answer, dict) else None
        if not _is_version(version):
            raise self.error("Vault accepted the write of %s but its answer holds no version (data.version)."
                             % self.location(write.path))
        return Record(dict(write.payload), version)

    def _create_or_update(self, write):
        try:
            return self.client.secrets.kv.v2.create_or_update_secret(path=write.path, secret=write.payload,
                                                                     cas=write.expected, mount_point=self.mount)
        except hvac_exceptions.InvalidRequest as exc:
            if "check-and-set" not in _vault_words(exc):
                raise
        found = None
        try:
            current = self.read(write.path)
            found = current.version if current is not None else None
        except SecretStoreError:
            pass
        raise self.error(
            "%s changed since this run read it (check-and-set: this run read %s, the store now holds %s): someone else "
            "wrote it. Nothing was overwritten." % (
                self.location(write.path), "version %d" % write.expected if write.expected else "no record",
                "version %d" % found if found else "a newer record"),
            SecretConflict, path=write.path, expected=write.expected, found=found)

    def probe(self, path):
        where = self.location(path)
        try:
            path = self.check_path(path)
            self._login()
            capabilities = self._capabilities(path)
        except SecretStoreError as exc:
            return Probe(False, str(exc), where)
        if capabilities is None:
            if not self._token_valid():
                return Probe(False, "Vault does not accept %s: it is wrong, expired or revoked" % self._token_words(),
                             where)
            return Probe(False, "the token may not ask for its capabilities (sys/capabilities-self, which Vault's "
                                "default policy allows), so whether it may write here cannot be checked before writing",
                         where)
        granted = set(capabilities)
        if "deny" in granted:
            return Probe(False, "the token's policies deny %s (it needs %s)"
                         % (self._api_path(path), ", ".join(NEEDED_CAPABILITIES)), where, capabilities)
        missing = [c for c in NEEDED_CAPABILITIES if c not in granted and "root" not in granted]
        if missing:
            return Probe(False, "the token's policies do not grant %s on %s (it has: %s)"
                         % (", ".join(missing), self._api_path(path), ", ".join(capabilities) or "none"),
                         where, capabilities)
        problem = self._mount_problem()
        if problem:
            return Probe(False, problem, where, capabilities)
        return Probe(True, "", where, capabilities)

    def _capabilities(self, path):
        """The token's capabilities on the record's data path, or None when Vault refuses to tell (HTTP 403)."""
        api_path = self._api_path(path)
        try:
            answer = self.client.adapter.post("/v1/sys/capabilities-self", json={"paths": [api_path]})
        except hvac_exceptions.Forbidden:
            return None
        except (_http.TransportError, _http.HttpError) as exc:
            raise self.error(self._transport_words(str(exc)))
        except hvac_exceptions.VaultError as exc:
            raise self.error("Vault refused the capabilities query for %s: %s." % (self.location(path), _vault_words(exc)))
        body = answer if isinstance(answer, dict) else {}
        data = body.get("data") if isinstance(body.get("data"), dict) else body
        found = data.get(api_path, data.get("capabilities"))
        if not isinstance(found, list) or not all(isinstance(c, str) for c in found):
            raise self.error("Vault gave an unusable answer to the capabilities query for %s." % self.location(path))
        return found

    def _mount_problem(self):
        """Why ``engine_mount_point`` is not a KV version 2 mount ('' when it is), from the mount's preflight."""
        try:
            answer = self.client.adapter.get("/v1/sys/internal/ui/mounts/%s" % self.mount)
        except (_http.TransportError, _http.HttpError) as exc:
            raise self.error(self._transport_words(str(exc)))
        except hvac_exceptions.VaultError as exc:
            return "no secrets engine is mounted at %s/ that this token may use (%s)" % (self.mount, _vault_words(exc))
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            return "Vault gave an unusable answer about the mount %s/" % self.mount
        kind = data.get("type")
        version = (data.get("options") or {}).get("version") if isinstance(data.get("options"), dict) else None
        if kind not in ("kv", "generic") or str(version) != "2":
            return ("%s/ is a %s secrets engine%s, not KV version 2 (set %s.engine_mount_point to a KV version 2 mount)"
                    % (self.mount, kind, " version %s" % version if version else "", self.option))
        mounted = str(data.get("path") or "").strip("/")
        if mounted and mounted != self.mount:
            return ("%s/ is not a mount: the KV version 2 mount is %s/ (set %s.engine_mount_point: %s and give the rest "
                    "in the path)" % (self.mount, mounted, self.option, mounted))
        return ""

    def info(self, path):
        out = super(VaultStore, self).info(path)
        out.update(url=self.url, engine_mount_point=self.mount, namespace=self.namespace)
        return out


class _DeletedOrMissing:
    """A read that found no current value: nothing at all (``record`` None) or a deleted last version."""

    def __init__(self, record):
        self.record = record


def _is_version(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _vault_words(exc):
    """The server's own words of an hvac error, without hvac's ', on METHOD URL' suffix."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:
        return "; ".join(str(e) for e in errors)
    text = exc.args[0] if getattr(exc, "args", None) else ""
    return str(text or type(exc).__name__).strip().rstrip(".") or type(exc).__name__


def _read_version(store, path):
    """hvac's read of the current version, with a missing or deleted record as ``_DeletedOrMissing``."""
    try:
        return store.client.secrets.kv.v2.read_secret_version(path=path, mount_point=store.mount,
                                                              raise_on_deleted_version=True)
    except hvac_exceptions.InvalidPath as exc:
        body = exc.json if isinstance(getattr(exc, "json", None), dict) else {}
        metadata = (body.get("data") or {}).get("metadata") if isinstance(body.get("data"), dict) else None
        version = metadata.get("version") if isinstance(metadata, dict) else None
        if _is_version(version) and version > 0:
            return _DeletedOrMissing(Record(None, version))
        return _DeletedOrMissing(None)


# --------------------------------------------------------------------------- a module's record
class Keeping:
    """The one record a module keeps for a secret it is shown once (an application's, the DCR credential's).

    ``plan(data)`` in the module's read pass (also in check mode): checks that the run may read and write the
    record (before the module's first write anywhere) and plans the write with a read, values that only the real
    run will know given as ``UNKNOWN``.  ``keep(data)``, right after the secret is issued: writes with
    check-and-set against the record the plan read, nothing when the record already holds ``data``.  ``view()``:
    what a result may show (never a value).  ``close()`` in a ``finally``.
    """

    def __init__(self, store, path):
        self.store = store
        self.path = path
        self.write = None
        self.kept = None

    @classmethod
    def from_module(cls, module, default_path, option=OPTION):
        """The record of ``module.params[option]`` at its path (``default_path`` when the task gives none); None
        without a store.  SecretStoreError when the settings are unusable."""
        store = store_from_module(module, option)
        if store is None:
            return None
        try:
            return cls(store, store.record_path((module.params.get(option) or {}).get("path"), default_path))
        except SecretStoreError:
            store.close()
            raise

    def plan(self, data):
        self.store.check(self.path)
        self.write = self.store.plan(self.path, data)
        return self.write

    @property
    def changed(self):
        return bool(self.write is not None and self.write.changed)

    def keep(self, data):
        """Store ``data`` now (check-and-set against the plan's read); return the ``Write``."""
        current = self.write.current if self.write is not None else self.store.read(self.path)
        write = Write(self.path, current, data)
        self.store._secret_values(write.data)  # pylint: disable=protected-access
        if write.changed:
            self.store.write(write)
        self.kept = self.write = write
        return write

    def view(self):
        """``{backend, location, path, action, fields, version, written_version}``: no value."""
        out = {"backend": self.store.backend, "location": self.store.location(self.path), "path": self.path,
               "action": None, "fields": [], "version": None, "written_version": None}
        if self.write is not None:
            out.update(self.write.view())
        return out

    def close(self):
        self.store.close()


def records_info(module, default_paths, option=OPTION):
    """What the store of ``module.params[option]`` holds at each of ``default_paths`` (the task's path instead, when
    it gives one): a list of ``info()`` views (stored, version; never a value), None without a store.  Only reads.
    SecretStoreError when the store cannot be read."""
    store = store_from_module(module, option)
    if store is None:
        return None
    try:
        path = (module.params.get(option) or {}).get("path")
        return [store.info(store.record_path(path, default)) for default in default_paths]
    finally:
        store.close()


# --------------------------------------------------------------------------- choosing a store
BACKENDS = {BACKEND_FILE: FileStore, BACKEND_VAULT: VaultStore}


def store_from_options(options, read_only=False, warn=None, register_secret=None, option=OPTION, observer=None):
    """The ``SecretStore`` that ``options`` (the validated ``secret_store`` dict) names; SecretStoreError when unusable."""
    backend = (options or {}).get("backend")
    if backend not in BACKENDS:
        raise SecretStoreError("%s.backend must be one of %s, got %r." % (option, ", ".join(sorted(BACKENDS)), backend))
    return BACKENDS[backend](options, read_only=read_only, warn=warn, register_secret=register_secret, option=option,
                             observer=observer)


def store_from_module(module, option=OPTION):
    """The store of ``module.params[option]`` (None when the option is not set), read-only in check mode.

    A missing ``hvac`` fails the module with the standard message; other unusable settings raise SecretStoreError.
    """
    options = module.params.get(option)
    if not options:
        return None
    if options.get("backend") == BACKEND_VAULT:
        ensure_hvac(module)
    return store_from_options(options, read_only=module.check_mode, warn=module.warn,
                              register_secret=module.no_log_values.add, option=option,
                              observer=getattr(module, "request_observer", None))
