# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sandbox core: listeners, TLS, request log, fault injection and the control API.

Every service (Curity admin, Curity runtime, Konnect admin, each developer portal,
the gateway) is a WSGI app served by its own threaded listener on a free port.
The fixed services listen on 127.0.0.1; each developer portal listens on an
address of its own in 127.0.0.0/8 (``PortalAddresses``), and that address is the
portal's domain, without a port, as a Konnect domain is.  Each listener wraps its
app in ``Recorder``, which applies faults registered through the control API and
logs ``{service, method, path, query, status, user_agent}``.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import struct
import tempfile
import threading
import time
from http import HTTPStatus

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

import curity_admin
import curity_runtime
import curity_store
import gateway
import konnect_admin
import konnect_portal
import konnect_store
from context import SandboxContext

SERVICES = ("curity-admin", "curity-runtime", "konnect", "portal", "gateway")

logging.getLogger("werkzeug").setLevel(logging.ERROR)


class ResetConnection(ConnectionError):
    """Raised by a fault to drop the connection without an HTTP response.

    A ``ConnectionError``, so werkzeug hands it to ``connection_dropped`` instead of
    answering 500; the handler then resets the TCP connection.
    """


class _QuietHandler(WSGIRequestHandler):
    """Request handler that logs nothing and can reset a connection (TCP RST)."""

    def log_request(self, code="-", size="-"):
        pass

    def log_error(self, format, *args):
        pass

    def log_message(self, format, *args):
        pass

    def connection_dropped(self, error, environ=None):
        if isinstance(error, ResetConnection):
            self._reset()

    def _reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass


class Listener:
    """One threaded HTTP(S) server on a loopback address (127.0.0.1 unless told) and a free port."""

    def __init__(self, app, ssl_context=None, host="127.0.0.1"):
        self.server = ThreadedWSGIServer(host, 0, app, handler=_QuietHandler, ssl_context=ssl_context)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PortalAddresses:
    """Loopback addresses for developer portals: 127.0.0.2, 127.0.0.3, ... (thread-safe).

    Linux routes the whole of 127.0.0.0/8 to the loopback interface, so any of its
    addresses can be bound without configuration; ports are still chosen freely,
    so several sandboxes on one machine never collide.  Addresses whose last byte
    is 0 or 255 are skipped (they look like network and broadcast addresses to
    some tools).  127.0.0.1 stays with the fixed services.
    """

    FIRST = int(ipaddress.IPv4Address("127.0.0.2"))
    LAST = int(ipaddress.IPv4Address("127.255.255.254"))

    def __init__(self):
        self._lock = threading.Lock()
        self._next = self.FIRST

    def take(self):
        with self._lock:
            while self._next % 256 in (0, 255):
                self._next += 1
            if self._next > self.LAST:
                raise RuntimeError("no loopback address left for another portal")
            address = str(ipaddress.IPv4Address(self._next))
            self._next += 1
            return address


class Journal:
    """Request log and fault table shared by every listener (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = []
        self._faults = []

    # request log
    def log(self, entry):
        with self._lock:
            self._requests.append(entry)

    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear_requests(self):
        with self._lock:
            del self._requests[:]

    # faults
    def add_fault(self, fault):
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self):
        with self._lock:
            del self._faults[:]

    def faults(self):
        with self._lock:
            return [dict(f, path_regex=f["path_regex"].pattern) for f in self._faults]

    def take_fault(self, service, method, path):
        """Return the first fault matching the request and use up one of its count."""
        with self._lock:
            for fault in self._faults:
                if fault["count"] <= 0:
                    continue
                if fault["service"] not in (None, service):
                    continue
                if fault["method"] not in (None, method):
                    continue
                if not fault["path_regex"].search(path):
                    continue
                fault["count"] -= 1
                return dict(fault)
        return None


def parse_fault(body):
    """Validate a ``POST /faults`` body; raise ValueError with a readable message."""
    if not isinstance(body, dict):
        raise ValueError("fault must be a JSON object")
    unknown = set(body) - {"service", "method", "path_regex", "status", "retry_after", "delay_s", "reset_connection", "count",
                           "body", "trickle_s", "headers", "echo", "body_bytes"}
    if unknown:
        raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
    service = body.get("service")
    if service is not None and service not in SERVICES:
        raise ValueError("service must be one of %s" % ", ".join(SERVICES))
    status = body.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code")
    delay = body.get("delay_s") or 0
    if not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError("delay_s must be a non-negative number")
    count = body.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a positive integer")
    reset = bool(body.get("reset_connection", False))
    trickle = body.get("trickle_s") or 0
    if not isinstance(trickle, (int, float)) or trickle < 0:
        raise ValueError("trickle_s must be a non-negative number")
    echo = body.get("echo", False)
    if not isinstance(echo, bool):
        raise ValueError("echo must be true or false")
    size = body.get("body_bytes")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ValueError("body_bytes must be a non-negative integer")
    if len([k for k in ("body", "body_bytes") if k in body]) + bool(echo) > 1:
        raise ValueError("give at most one of body, body_bytes and echo")
    if ("body" in body or size is not None or echo) and status is None:
        status = 200
    extra = body.get("headers") or {}
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        raise ValueError("headers must be an object of strings")
    if extra and status is None:
        raise ValueError("headers need a status (or a body)")
    if status is None and not reset and not delay and not trickle:
        raise ValueError("a fault needs status, body, reset_connection, delay_s or trickle_s")
    try:
        regex = re.compile(body.get("path_regex") or ".*")
    except re.error as exc:
        raise ValueError("path_regex does not compile: %s" % exc) from exc
    method = body.get("method")
    return {
        "service": service,
        "method": method.upper() if method else None,
        "path_regex": regex,
        "status": status,
        "retry_after": body.get("retry_after"),
        "delay_s": float(delay),
        "reset_connection": reset,
        "count": count,
        "has_body": "body" in body,
        "body": body.get("body"),
        "trickle_s": float(trickle),
        "headers": extra,
        "echo": echo,
        "body_bytes": size,
    }


def fault_response(service, fault, environ=None):
    """The answer of a fault, its ``headers`` sent exactly as given (see ``_as_given``)."""
    return _as_given(_fault_answer(service, fault, environ), fault.get("headers") or {})


def _as_given(response, headers):
    """``response`` with ``headers`` sent byte for byte as given.  werkzeug rewrites a ``Location`` into a URI
    (percent-encoding an ``@`` in a password, for one); a server in front of a real gateway may send it as it is."""
    if not headers:
        return response
    names = set(name.lower() for name in headers)

    def app(environ, start_response):
        def start(status, wsgi_headers, exc_info=None):
            wsgi_headers = [(k, v) for k, v in wsgi_headers if k.lower() not in names] + list(headers.items())
            return start_response(status, wsgi_headers, exc_info)

        return response(environ, start)

    return app


def _fault_answer(service, fault, environ):
    """The JSON value given, an echo of the request, a large JSON body, or the body a service of that kind answers
    with when it fails (its own error format)."""
    status = fault["status"]
    headers = dict(fault.get("headers") or {})
    if fault.get("retry_after") is not None:
        headers["Retry-After"] = str(fault["retry_after"])
    phrase = _reason(status)
    mimetype = {"curity-admin": "application/yang-data+json"}.get(service, "application/json")
    if fault.get("has_body"):
        return Response(json.dumps(fault["body"]), status=status, mimetype=mimetype, headers=headers)
    if fault.get("echo"):
        return Response(json.dumps(echo_of(Request(environ or {})), sort_keys=True), status=status,
                        mimetype="application/json", headers=headers)
    if fault.get("body_bytes") is not None:
        size = fault["body_bytes"]
        headers["Content-Length"] = str(size + len(PADDED_HEAD) + len(PADDED_TAIL))
        return Response(_padded(size), status=status, mimetype=mimetype, headers=headers, direct_passthrough=True)
    if service == "curity-admin":
        body = {"ietf-restconf:errors": {"error": [{
            "error-type": "application", "error-tag": "operation-failed", "error-message": phrase}]}}
        mimetype = "application/yang-data+json"
    elif service in ("konnect", "portal"):
        body = {"status": status, "title": phrase, "instance": "kong:trace:%d" % (time.time_ns() % 10 ** 19),
                "detail": phrase}
        mimetype = "application/problem+json"
    elif service == "curity-runtime":
        body = {"error": "server_error", "error_description": phrase}
        mimetype = "application/json"
    else:
        body = {"message": phrase}
        mimetype = "application/json"
    return Response(json.dumps(body), status=status, mimetype=mimetype, headers=headers)


def echo_of(request):
    """The request as an echo service (httpbin's ``/anything``, mockbin) returns it: every header included, the
    ``Authorization`` header too, as the upstream of Kong's quickstarts does."""
    return {"args": request.args.to_dict(flat=False), "data": request.get_data(as_text=True),
            "headers": dict(request.headers.items()), "method": request.method, "url": request.url}


PADDED_HEAD, PADDED_TAIL = b'{"padding": "', b'"}'


def _padded(size, chunk=1 << 16):
    """A JSON object whose one string member holds ``size`` bytes, produced piece by piece (never held whole)."""
    yield PADDED_HEAD
    block = b"x" * chunk
    while size > 0:
        yield block[:min(size, chunk)]
        size -= chunk
    yield PADDED_TAIL


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Recorder:
    """WSGI middleware: fault injection, then the app, then one request-log entry."""

    def __init__(self, app, service, journal, extra_environ=None):
        self.app = app
        self.service = service
        self.journal = journal
        self.extra_environ = extra_environ or {}

    def __call__(self, environ, start_response):
        environ.update(self.extra_environ)
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        entry = {"service": self.service, "method": method, "path": path,
                 "query": environ.get("QUERY_STRING", ""), "status": None,
                 "user_agent": environ.get("HTTP_USER_AGENT", "")}
        if self.extra_environ.get("sandbox.portal_id"):
            entry["portal_id"] = self.extra_environ["sandbox.portal_id"]
        fault = self.journal.take_fault(self.service, method, path)
        if fault:
            entry["fault"] = True
            if fault["delay_s"]:
                time.sleep(fault["delay_s"])
            if fault["reset_connection"]:
                entry["status"] = 0
                self.journal.log(entry)
                # Read the request body first so the client sees a reset, not a write error.
                Request(environ).get_data()
                raise ResetConnection()
            if fault["status"] is not None:
                entry["status"] = fault["status"]
                self.journal.log(entry)
                answer = fault_response(self.service, fault, environ)(environ, start_response)
                return _trickle(answer, fault["trickle_s"]) if fault["trickle_s"] else answer

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            answer = self.app(environ, recording_start_response)
            if fault and fault["trickle_s"]:
                return _trickle(answer, fault["trickle_s"])
            return answer
        finally:
            if entry["status"] is None:
                entry["status"] = 500
            self.journal.log(entry)


def _trickle(answer, interval):
    """The answer's body, one byte every ``interval`` seconds (its headers, Content-Length included, at once)."""
    data = b"".join(answer)
    if hasattr(answer, "close"):
        answer.close()
    for index in range(len(data)):
        if index:
            time.sleep(interval)
        yield data[index:index + 1]


def create_control_app(sandbox):
    """The control API: request log, faults, reset, health, OpenAPI violations, the gateway's delays."""
    journal = sandbox.journal

    def app(environ, start_response):
        request = Request(environ)
        route = (request.method, request.path.rstrip("/") or "/")
        try:
            if route == ("GET", "/health"):
                resp = _json({"status": "ok"})
            elif route == ("GET", "/requests"):
                resp = _json(journal.requests())
            elif route == ("DELETE", "/requests"):
                journal.clear_requests()
                resp = Response(status=204)
            elif route == ("GET", "/faults"):
                resp = _json(journal.faults())
            elif route == ("POST", "/faults"):
                journal.add_fault(parse_fault(request.get_json(force=True, silent=True)))
                resp = _json({"status": "added"}, 201)
            elif route == ("DELETE", "/faults"):
                journal.clear_faults()
                resp = Response(status=204)
            elif route == ("POST", "/reset"):
                sandbox.reset()
                resp = Response(status=204)
            elif route == ("GET", "/violations"):
                resp = _json(sandbox.ctx.violations())
            elif route == ("DELETE", "/violations"):
                sandbox.ctx.clear_violations()
                resp = Response(status=204)
            elif route == ("GET", "/info"):
                resp = _json(sandbox.info())
            elif route == ("GET", "/gateway"):
                resp = _json(sandbox.ctx.konnect.data_plane.settings())
            elif route == ("PUT", "/gateway"):
                resp = _json(sandbox.gateway_settings(request.get_json(force=True, silent=True)))
            else:
                resp = _json({"error": "not found"}, 404)
        except ValueError as exc:
            resp = _json({"error": str(exc)}, 400)
        return resp(environ, start_response)

    return app


def _json(data, status=200):
    return Response(json.dumps(data), status=status, mimetype="application/json")


# --------------------------------------------------------------------------- TLS
class CertificateAuthority:
    """A CA generated at start (``ca_path``) that signs one server certificate per listening address."""

    def __init__(self, folder):
        self.folder = folder
        now = datetime.datetime.now(datetime.timezone.utc)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devportal.dcr sandbox CA")])
        self._cert = (
            x509.CertificateBuilder().subject_name(self._name).issuer_name(self._name).public_key(self._key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_path = os.path.join(folder, "ca.pem")
        with open(self.ca_path, "wb") as handle:
            handle.write(self._cert.public_bytes(serialization.Encoding.PEM))
        self._lock = threading.Lock()

    def server_context(self, address):
        """A server SSLContext with a certificate for ``address`` (and ``localhost`` for 127.0.0.1)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.IPAddress(ipaddress.ip_address(address))]
        if address == "127.0.0.1":
            names.insert(0, x509.DNSName("localhost"))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
            .issuer_name(self._name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        with self._lock:
            cert_path = os.path.join(self.folder, "server-%s.pem" % address)
            key_path = os.path.join(self.folder, "server-%s.key" % address)
            with open(cert_path, "wb") as handle:
                handle.write(cert.public_bytes(serialization.Encoding.PEM))
            with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_path, key_path)
        return context


# --------------------------------------------------------------------------- the whole sandbox
class Sandbox:
    """Builds the context, the states and every listener; ``start()`` then ``info()``."""

    def __init__(self, tls=False, spec_dir=None):
        self.journal = Journal()
        self.listeners = {}
        self._portal_listeners = {}
        self._portal_addresses = PortalAddresses()
        self._tmp = tempfile.TemporaryDirectory(prefix="dcr-sandbox-")
        self.ssl_context = None
        self._ca = None
        ca_path = None
        if tls:
            self._ca = CertificateAuthority(self._tmp.name)
            ca_path = self._ca.ca_path
            self.ssl_context = self._ca.server_context("127.0.0.1")
        self.ctx = SandboxContext(scheme="https" if tls else "http", ca_path=ca_path, spec_dir=spec_dir)
        self.ctx.set_portal_allocator(self._portal_url)

    def _url(self, listener):
        return "%s://%s:%d" % (self.ctx.scheme, listener.host, listener.port)

    def _listen(self, name, app, service, extra_environ=None, host="127.0.0.1"):
        ssl_context = self.ssl_context
        if self._ca is not None and host != "127.0.0.1":
            ssl_context = self._ca.server_context(host)
        listener = Listener(Recorder(app, service, self.journal, extra_environ), ssl_context, host)
        self.listeners[name] = listener
        return listener

    def _portal_url(self, portal_id):
        """The portal's own listener (started on first use) on an address of its own: its domain."""
        with self.ctx.lock:
            listener = self._portal_listeners.get(portal_id)
            if listener is None:
                listener = self._listen("portal:%s" % portal_id, self._portal_app, "portal",
                                        {"sandbox.portal_id": portal_id}, self._portal_addresses.take()).start()
                self._portal_listeners[portal_id] = listener
            return self._url(listener)

    def start(self):
        # Bind every fixed listener first (so every URL is known), then build the apps.
        placeholders = {}
        for name, service in (("curity-admin", "curity-admin"), ("curity-runtime", "curity-runtime"),
                              ("konnect", "konnect"), ("gateway", "gateway"), ("control", None)):
            slot = _Slot()
            placeholders[name] = slot
            if service is None:
                self.listeners[name] = Listener(slot, self.ssl_context)
            else:
                self._listen(name, slot, service)
        urls = self.ctx.urls
        urls["curity_admin"] = self._url(self.listeners["curity-admin"]) + "/admin/api/restconf"
        urls["curity_runtime"] = self._url(self.listeners["curity-runtime"])
        urls["konnect"] = self._url(self.listeners["konnect"])
        urls["gateway"] = self._url(self.listeners["gateway"])
        urls["control"] = self._url(self.listeners["control"])

        self.ctx.curity = curity_store.CurityState(self.ctx)
        self._portal_app = konnect_portal.create_portal_app(self.ctx)
        self.ctx.konnect = konnect_store.KonnectState(self.ctx)
        placeholders["curity-admin"].app = curity_admin.create_admin_app(self.ctx)
        placeholders["curity-runtime"].app = curity_runtime.create_runtime_app(self.ctx)
        placeholders["konnect"].app = konnect_admin.create_admin_app(self.ctx)
        placeholders["gateway"].app = gateway.create_gateway_app(self.ctx)
        placeholders["control"].app = create_control_app(self)
        for listener in list(self.listeners.values()):
            if not listener.thread.is_alive():
                listener.start()
        self.reset()
        return self

    def reset(self):
        with self.ctx.lock:
            self.ctx.curity.reset()
            self.ctx.konnect.reset()
        self.journal.clear_faults()

    def gateway_settings(self, body):
        """The gateway's configuration push delay and credential cache (``gateway_push``); ValueError if malformed."""
        with self.ctx.lock:
            return self.ctx.konnect.data_plane.configure(body, self.ctx.konnect)

    def info(self):
        data = {}
        data.update(self.ctx.curity.info())
        data.update(self.ctx.konnect.info())
        data.update({
            "curity_admin_url": self.ctx.urls["curity_admin"],
            "konnect_url": self.ctx.urls["konnect"],
            "gateway_url": self.ctx.urls["gateway"],
            "control_url": self.ctx.urls["control"],
        })
        if self.ctx.ca_path:
            data["ca_path"] = self.ctx.ca_path
        return data

    def stop(self):
        for listener in list(self.listeners.values()):
            try:
                listener.stop()
            except OSError:
                pass
        self._tmp.cleanup()


class _Slot:
    """A WSGI app placeholder, so listeners can be bound before the apps exist."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        if self.app is None:
            return Response("starting", status=503)(environ, start_response)
        return self.app(environ, start_response)


def wait_until_answering(sandbox, timeout=30.0):
    """Block until every listener answers an HTTP request (any status)."""
    deadline = time.monotonic() + timeout
    for name, listener in list(sandbox.listeners.items()):
        while True:
            try:
                if sandbox.ssl_context is not None:
                    conn = http.client.HTTPSConnection(listener.host, listener.port, timeout=2,
                                                       context=ssl.create_default_context(cafile=sandbox.ctx.ca_path))
                else:
                    conn = http.client.HTTPConnection(listener.host, listener.port, timeout=2)
                conn.request("GET", "/__sandbox_ping__")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("sandbox listener %s did not answer" % name)
                time.sleep(0.05)
