# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport, tested at the HTTP boundary against a scripted local server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import socket
import struct
import threading
import time
from email.utils import formatdate
from urllib.parse import quote

import pytest

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ansible_collections.devportal.dcr.plugins.module_utils import _http
from ansible_collections.devportal.dcr.plugins.module_utils._http import (
    HttpError,
    Transport,
    TransportError,
    error_detail,
    redact_url,
)


class Script:
    """Answers to send, in order; each is (status, headers, body) or 'reset'."""

    def __init__(self):
        self.answers = []
        self.seen = []
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
        return (200, {"Content-Type": "application/json"}, b'{"ok": true}')


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        script = self.server.script
        with script.lock:
            script.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        answer = script.next()
        if answer == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if answer[0] == "sleep":
            time.sleep(answer[1])
            answer = (200, {"Content-Type": "application/json"}, b"{}")
        if answer[0] == "trickle":  # the whole answer announced, then one byte per interval
            interval, payload = answer[1], answer[2]
            self.send_response(200)
            for key, value in (answer[3] if len(answer) > 3 else {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                for index in range(len(payload)):
                    self.wfile.write(payload[index:index + 1])
                    self.wfile.flush()
                    time.sleep(interval)
            except OSError:
                pass
            self.close_connection = True
            return
        if answer[0] == "stream":  # a JSON body of about answer[1] bytes, in pieces, without announcing its length
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            for key, value in (answer[2] if len(answer) > 2 else {}).items():
                self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(b'{"padding": "')
                for dummy in range(answer[1] // 65536 + 1):
                    self.wfile.write(b"x" * 65536)
                self.wfile.write(b'"}')
            except OSError:
                pass
            return
        status, headers, payload = answer
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        try:
            self.wfile.write(payload)
        except OSError:  # the client stopped reading (an answer larger than it reads)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.script = Script()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def base(httpd):
    return "http://127.0.0.1:%d" % httpd.server_address[1]


def jbody(data, status=200, ctype="application/json", headers=None):
    hdrs = {"Content-Type": ctype}
    hdrs.update(headers or {})
    return (status, hdrs, json.dumps(data).encode())


def make(httpd, **kwargs):
    warnings = []
    kwargs.setdefault("warn", warnings.append)
    kwargs.setdefault("backoff_factor", 0.01)
    return Transport(base(httpd), service="Test API", **kwargs), warnings


def test_get_json(server):
    server.script.answers.append(jbody({"a": 1}))
    transport, warnings = make(server)
    reply = transport.request("GET", "/x")
    assert reply.status == 200 and reply.json == {"a": 1}
    assert warnings == []
    assert server.script.seen[0]["headers"]["Accept"] == "application/json"


def test_basic_auth_is_an_auth_object_and_wins_over_netrc(server, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password stolen\n")
    os.chmod(str(netrc), 0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    transport, dummy = make(server, auth=("admin", "s3cret-basic"))
    transport.request("GET", "/x")
    sent = server.script.seen[0]["headers"]["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"admin:s3cret-basic").decode()


def test_no_auth_still_ignores_netrc(server, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password stolen\n")
    os.chmod(str(netrc), 0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    transport, dummy = make(server)
    transport.request("GET", "/x")
    assert "Authorization" not in server.script.seen[0]["headers"]


def test_bearer_auth(server):
    transport, dummy = make(server, auth=_http.BearerAuth("kpat_abc"))
    transport.request("GET", "/x")
    assert server.script.seen[0]["headers"]["Authorization"] == "Bearer kpat_abc"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_idempotent_get_retried_on_gateway_errors(server, status):
    server.script.answers += [jbody({}, status), jbody({"ok": 1})]
    transport, warnings = make(server)
    assert transport.request("GET", "/x").json == {"ok": 1}
    assert len(server.script.seen) == 2
    assert len(warnings) == 1 and ("HTTP %d" % status) in warnings[0] and "GET" in warnings[0]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_idempotent_methods_retried(server, method):
    server.script.answers += [jbody({}, 503), (204, {}, b"")]
    transport, dummy = make(server)
    assert transport.request(method, "/x", json_body={"a": 1}).status == 204
    assert [s["method"] for s in server.script.seen] == [method, method]
    assert server.script.seen[1]["body"] == b'{"a": 1}'


def test_retry_after_seconds_is_honoured(server):
    server.script.answers += [jbody({}, 429, headers={"Retry-After": "1"}), jbody({"ok": 1})]
    transport, warnings = make(server)
    start = time.monotonic()
    transport.request("GET", "/x")
    assert time.monotonic() - start >= 0.9
    assert "HTTP 429" in warnings[0]


def test_retry_after_http_date_is_honoured(server):
    when = formatdate(time.time() + 2, usegmt=True)
    server.script.answers += [jbody({}, 503, headers={"Retry-After": when}), jbody({"ok": 1})]
    transport, dummy = make(server)
    start = time.monotonic()
    transport.request("GET", "/x")
    # HTTP dates have one-second resolution: at least ~1 s of the 2 s must have been waited.
    assert time.monotonic() - start >= 0.9


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_post_is_never_retried_on_status(server, status):
    server.script.answers += [jbody({"title": "Busy", "detail": "try later", "status": status, "instance": "x"},
                                    status, "application/problem+json"), jbody({"ok": 1}, 201)]
    transport, warnings = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("POST", "/things", json_body={"name": "a"})
    assert len(server.script.seen) == 1
    assert warnings == []
    assert err.value.status == status
    assert "not retried because POST is not idempotent" in str(err.value)


def test_post_not_retried_after_reset(server):
    server.script.answers += ["reset", jbody({"ok": 1}, 201)]
    transport, dummy = make(server)
    with pytest.raises(TransportError) as err:
        transport.request("POST", "/things", json_body={"name": "a"})
    assert len(server.script.seen) == 1
    assert "may have reached the server" in str(err.value)


def test_get_retried_after_reset(server):
    server.script.answers += ["reset", jbody({"ok": 1})]
    transport, warnings = make(server)
    assert transport.request("GET", "/x").json == {"ok": 1}
    assert len(server.script.seen) == 2 and len(warnings) == 1


def test_post_retried_when_connection_refused_before_sending():
    # Nothing listens on this port: the request never left, so a retry is safe even for POST.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    warnings = []
    transport = Transport("http://127.0.0.1:%d" % port, warn=warnings.append, retries=2, backoff_factor=0.01)
    with pytest.raises(TransportError) as err:
        transport.request("POST", "/x", json_body={})
    assert len(warnings) == 2
    assert "cannot reach" in str(err.value) or "still failing" in str(err.value)


def test_exhausted_retries_give_a_clear_error(server):
    server.script.answers += [jbody({}, 503)] * 10
    transport, warnings = make(server, retries=3)
    with pytest.raises((HttpError, TransportError)) as err:
        transport.request("GET", "/x")
    assert len(server.script.seen) == 4
    assert len(warnings) == 3
    assert "503" in str(err.value)


def test_retry_budget_bounds_total_time(server):
    server.script.answers += [jbody({}, 503, headers={"Retry-After": "30"})] * 5
    transport, dummy = make(server, retries=4, retry_budget=1.0, timeout=1)
    start = time.monotonic()
    with pytest.raises((HttpError, TransportError)):
        transport.request("GET", "/x")
    assert time.monotonic() - start < 5


def test_timeout_is_a_clear_error(server):
    server.script.answers += [("sleep", 2)] * 3
    transport, dummy = make(server, timeout=0.3, retries=0)
    with pytest.raises(TransportError) as err:
        transport.request("GET", "/slow")
    assert "timed out" in str(err.value)


def test_restconf_error_is_one_sentence(server):
    body = {"ietf-restconf:errors": {"error": [{"error-type": "application", "error-tag": "invalid-value",
                                                "error-path": "/scopes/scope[id='a']",
                                                "error-message": "claim 'x' does not exist"}]}}
    server.script.answers.append(jbody(body, 400, "application/yang-data+json"))
    transport, dummy = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("PATCH", "/data/x", json_body={})
    text = str(err.value)
    assert text.startswith("Test API: PATCH http://127.0.0.1:")
    assert "HTTP 400" in text and "claim 'x' does not exist (at /scopes/scope[id='a'])" in text
    assert "\n" not in text


def test_problem_json_with_invalid_parameters(server):
    body = {"status": 400, "title": "Invalid Request", "detail": "Invalid Parameters", "instance": "kong:trace:1",
            "invalid_parameters": [{"field": "issuer", "rule": "is_url", "reason": "must be a URL", "source": "body"}]}
    server.script.answers.append(jbody(body, 400, "application/problem+json"))
    transport, dummy = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("POST", "/v2/dcr-providers", json_body={})
    assert "Invalid Request: Invalid Parameters (issuer: must be a URL)" in str(err.value)


def test_oauth_error(server):
    server.script.answers.append(jbody({"error": "invalid_client", "error_description": "bad secret"}, 401))
    transport, dummy = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("POST", "/oauth/v2/oauth-token", data="grant_type=client_credentials", write=False)
    assert "invalid_client: bad secret" in str(err.value)


def test_non_json_where_json_expected(server):
    server.script.answers.append((200, {"Content-Type": "text/html"}, b"<html>login page</html>"))
    transport, dummy = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("GET", "/x")
    assert "expected a JSON body" in str(err.value) and "login page" in str(err.value)


def test_broken_json_error_body_is_not_a_traceback(server):
    server.script.answers.append((500, {"Content-Type": "application/json"}, b"{not json"))
    transport, dummy = make(server)
    with pytest.raises(HttpError) as err:
        transport.request("GET", "/x")
    assert err.value.status == 500 and "{not json" in str(err.value)


def test_read_only_transport_refuses_writes_but_allows_reads(server):
    transport, dummy = make(server, read_only=True)
    transport.request("GET", "/x")
    transport.request("POST", "/login", json_body={}, write=False)
    with pytest.raises(TransportError):
        transport.request("DELETE", "/x")
    assert [s["method"] for s in server.script.seen] == ["GET", "POST"]


def test_credentials_never_in_error_text():
    err = HttpError("GET", "https://admin:hunter2@idsvr:6749/admin/api/restconf/data", 401, "Unauthorized")
    assert "hunter2" not in str(err) and "admin:" not in str(err)
    assert redact_url("https://u:p@h/x?y=1") == "https://h/x?y=1"


def test_error_detail_shapes():
    assert error_detail(None) == ""
    assert error_detail({"title": "Not Found", "detail": "Not Found"}) == "Not Found"
    assert error_detail({"message": "no route"}) == "no route"


def test_tls_error_suggests_ca_path():
    import ssl
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp()
    key, cert = os.path.join(folder, "k.pem"), os.path.join(folder, "c.pem")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("openssl is not available to make a test certificate")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.script = Script()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = "https://127.0.0.1:%d" % httpd.server_address[1]
        with pytest.raises(TransportError) as err:
            Transport(url, retries=0).request("GET", "/x")
        assert "ca_path" in str(err.value)
        assert Transport(url, validate_certs=False, retries=0).request("GET", "/x").status == 200
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("headers", [{}, {"Connection": "close"}])
def test_trickling_answer_is_cut_at_the_timeout(server, headers):
    # 40 bytes at 0.2 s each: every read succeeds, but the whole answer takes 8 s.  An answer that
    # closes the connection makes the connection object let go of its socket before the body is read.
    server.script.answers += [("trickle", 0.2, json.dumps({"padding": "x" * 25}).encode(), headers)]
    transport, dummy = make(server, timeout=1, retries=0)
    start = time.monotonic()
    with pytest.raises(TransportError) as err:
        transport.request("GET", "/slow")
    assert time.monotonic() - start < 3
    assert "timed out" in str(err.value) and "GET" in str(err.value)


def test_deadline_holds_across_retries_of_a_slow_server(server):
    server.script.answers += [("sleep", 1.5)] * 10
    transport, warnings = make(server, timeout=1)
    start = time.monotonic()
    with pytest.raises(TransportError) as err:
        transport.request("GET", "/slow")
    elapsed = time.monotonic() - start
    # Four times the timeout in all (the default retry budget), with some slack for the last cut.
    assert transport.deadline_seconds == 4
    assert elapsed < transport.deadline_seconds + 1, elapsed
    assert len(warnings) >= 2 and "timed out" in str(err.value)


def test_trickling_post_is_cut_and_not_retried(server):
    server.script.answers += [("trickle", 0.2, b'{"id": "1234567890123456789012345"}')] * 2
    transport, warnings = make(server, timeout=1)
    with pytest.raises(TransportError) as err:
        transport.request("POST", "/things", json_body={})
    assert [s["method"] for s in server.script.seen] == ["POST"] and warnings == []
    assert "not retried" in str(err.value)


def test_slow_first_attempt_is_retried_within_the_deadline(server):
    server.script.answers += [("sleep", 1.5), jbody({"ok": 1})]
    transport, warnings = make(server, timeout=1)
    assert transport.request("GET", "/x").json == {"ok": 1}
    assert len(warnings) == 1


@pytest.mark.parametrize("value", ["Fri, 31 Dec 10000 23:59:59 GMT", "9" * 5000, "Sat, 99 Foo 2026 99:99:99 GMT"])
def test_unusable_retry_after_is_not_a_traceback(server, value):
    server.script.answers += [jbody({}, 503, headers={"Retry-After": value})] * 6
    transport, dummy = make(server, timeout=1, retries=2)
    start = time.monotonic()
    with pytest.raises((HttpError, TransportError)) as err:
        transport.request("GET", "/x")
    # Taken as "as late as allowed": no wait can fit before the deadline, so the answer is reported now.
    assert time.monotonic() - start < 5
    assert "503" in str(err.value)


def test_unusable_retry_after_on_a_429_within_budget(server):
    server.script.answers += [jbody({}, 429, headers={"Retry-After": "Fri, 31 Dec 10000 23:59:59 GMT"}), jbody({"ok": 1})]
    transport, dummy = make(server, timeout=30, retry_budget=1.0)
    with pytest.raises(HttpError) as err:
        transport.request("GET", "/x")
    assert err.value.status == 429


def test_missing_ca_file_is_a_clear_error(server, tmp_path):
    transport, dummy = make(server, ca_path=str(tmp_path / "missing-ca.pem"))
    transport.base_url = transport.base_url.replace("http://", "https://")
    with pytest.raises(TransportError) as err:
        transport.request("GET", "/x")
    assert "missing-ca.pem" in str(err.value) or "ca_path" in str(err.value)


def test_unexpected_exception_becomes_a_transport_error(server, monkeypatch):
    transport, dummy = make(server)

    def boom(*args, **kwargs):
        raise ValueError("year 10000 is out of range")

    monkeypatch.setattr(transport.session, "request", boom)
    with pytest.raises(TransportError) as err:
        transport.request("GET", "/x")
    assert "ValueError" in str(err.value) and "year 10000" in str(err.value)


# ------------------------------------------------------------------------------ what the transport reads
LIMIT = 32 * 1024 * 1024  # the documented cap (README, the transport's docstring)


def test_the_cap_is_the_documented_one():
    assert getattr(_http, "MAX_RESPONSE_BYTES", None) == LIMIT


def test_an_answer_within_the_cap_is_read_whole(server):
    payload = json.dumps({"padding": "x" * (LIMIT - 64)}).encode()
    server.script.answers.append((200, {"Content-Type": "application/json"}, payload))
    transport, dummy = make(server)
    assert len(transport.request("GET", "/big").json["padding"]) == LIMIT - 64


@pytest.mark.parametrize("kind", ["announced", "streamed", "gzip"])
def test_an_answer_larger_than_the_cap_fails_clearly_without_being_read_whole(server, kind):
    if kind == "announced":  # its length given: refused before its body is read
        server.script.answers.append((200, {"Content-Type": "application/json"},
                                      json.dumps({"padding": "x" * (LIMIT + 1024)}).encode()))
    elif kind == "streamed":  # no length given: read up to the cap only
        server.script.answers.append(("stream", 4 * LIMIT))
    else:  # a small compressed answer that inflates beyond the cap
        import gzip
        packed = gzip.compress(json.dumps({"padding": "x" * (LIMIT + 1024)}).encode())
        assert len(packed) < LIMIT // 100
        server.script.answers.append((200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, packed))
    transport, dummy = make(server, retries=0)
    with pytest.raises(HttpError) as err:
        transport.request("GET", "/huge")
    assert err.value.status == 0 and "32 MiB" in str(err.value) and "GET" in str(err.value), str(err.value)


def echo_server_answer(status, ctype, text):
    return (status, {"Content-Type": ctype}, text.encode())


@pytest.mark.parametrize("ctype", ["text/plain", "application/json"])
def test_credentials_echoed_by_a_server_are_masked_in_every_form(server, ctype):
    user, password = "admin", "pa ss/w@rd:1"
    basic = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    echo = "Authorization: Basic %s; password %s; url-encoded %s" % (basic, password, "pa%20ss%2Fw%40rd%3A1")
    text = echo if ctype == "text/plain" else json.dumps({"message": echo})
    for auth in ((user, password), (user.encode(), password.encode())):
        server.script.answers += [echo_server_answer(400, ctype, text), echo_server_answer(200, "text/html", text)]
        transport, dummy = make(server, auth=auth, retries=0)
        for dummy in range(2):  # an error status, then a body that is not the JSON expected
            with pytest.raises(HttpError) as err:
                transport.request("GET", "/x")
            message = str(err.value)
            assert basic not in message and password not in message and "pa%20ss%2Fw%40rd%3A1" not in message, message
            assert "********" in message


def test_a_bearer_token_echoed_by_a_server_is_masked(server):
    token = "kpat_" + "A1b2" * 10
    server.script.answers.append(echo_server_answer(401, "application/json",
                                                    json.dumps({"message": "bad token Bearer %s" % token})))
    transport, dummy = make(server, auth=_http.BearerAuth(token), retries=0)
    with pytest.raises(HttpError) as err:
        transport.request("GET", "/x")
    assert token not in str(err.value) and "bad token Bearer ********" in str(err.value)


# ------------------------------------------------------------------------------ one transport
PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins")
OTHER_CLIENTS = re.compile(r"^\s*(from|import)\s+(ansible\.module_utils\.urls|ansible\.module_utils\.six\.moves\.urllib\."
                           r"request|urllib\.request|urllib2|http\.client|httplib|requests|urllib3|socket)\b", re.M)


def test_every_request_goes_through_this_transport():
    found = []
    for folder, dummy, names in os.walk(PLUGINS):
        for name in names:
            path = os.path.join(folder, name)
            if not name.endswith(".py") or os.path.normpath(path) == os.path.normpath(_http.__file__):
                continue
            with open(path, encoding="utf-8") as handle:
                found += ["%s: %s" % (os.path.relpath(path, PLUGINS), m.group(0).strip())
                          for m in OTHER_CLIENTS.finditer(handle.read())]
    assert found == [], "HTTP clients beside plugins/module_utils/_http.py: %s" % "; ".join(found)


# -- the observer: live retries and the request trace ------------------------------------------------------------
def test_the_observer_is_told_of_each_retry_before_its_wait_and_of_the_request_after(server):
    server.script.answers += [jbody({}, 503, headers={"Retry-After": "1"}), jbody({"ok": 1})]
    events, seen_at = [], []

    def observer(event):
        events.append(event)
        seen_at.append(time.monotonic())

    transport, dummy = make(server, observer=observer)
    start = time.monotonic()
    transport.request("GET", "/things/a?page=2")
    ended = time.monotonic()
    retry, request = events
    assert retry == dict(event="retry", method="GET", path="/things/a", why="HTTP 503", service="Test API", wait=1.0,
                         attempt=2, attempts=6)
    # Told before the wait, not after it.
    assert seen_at[0] - start < 0.5 and ended - seen_at[0] >= 0.9
    assert request["event"] == "request" and request["status"] == 200 and request["attempts"] == 2
    assert request["path"] == "/things/a" and request["error"] is None and request["ms"] >= 900


def test_the_wait_told_is_the_backoff_slept_when_there_is_no_retry_after(server):
    server.script.answers += ["reset", jbody({"ok": 1})]
    events = []
    transport, dummy = make(server, observer=events.append, backoff_factor=0.5)
    start = time.monotonic()
    transport.request("GET", "/x")
    retry = events[0]
    assert retry["why"] in ("ProtocolError", "ConnectionError", "RemoteDisconnected"), retry
    # The backoff of the first retry (urllib3 waits nothing before it) is what was told, and what was slept.
    assert retry["wait"] <= time.monotonic() - start + 0.05


def test_a_request_without_an_answer_is_traced_with_its_error_class(server):
    server.script.answers += ["reset"]
    events = []
    transport, dummy = make(server, observer=events.append)
    with pytest.raises(TransportError):
        transport.request("POST", "/x", json_body={})
    assert events[-1]["event"] == "request" and events[-1]["status"] is None and events[-1]["error"]


def test_no_credential_reaches_the_observer_in_any_form(server):
    # A credential placed in a URL's path and query (as a badly built URL would): the query is never shown, the path's
    # credential is masked raw and percent-encoded.
    password = "S3cr/t p@ss"
    server.script.answers += [jbody({}, 503, headers={"Retry-After": "0"}), jbody({}, 404)]
    events = []
    transport, dummy = make(server, auth=("admin", password), observer=events.append)
    path = "/things/%s/x?password=%s&token=%s" % (quote(password, safe=""), quote(password, safe=""),
                                                  base64.b64encode(b"admin:" + password.encode()).decode())
    with pytest.raises(HttpError):
        transport.request("GET", path)
    assert [e["event"] for e in events] == ["retry", "request"]
    shown = json.dumps(events)
    for form in (password, quote(password, safe=""), quote(password), "S3cr", "password=", "token="):
        assert form not in shown, shown
    assert events[0]["path"] == "/things/********/x"


def test_an_observer_that_fails_never_fails_the_request(server):
    server.script.answers += [jbody({}, 503, headers={"Retry-After": "0"}), jbody({"ok": 1})]

    def observer(event):
        raise RuntimeError("broken observer")

    transport, warnings = make(server, observer=observer)
    assert transport.request("GET", "/x").json == {"ok": 1}
    assert len(warnings) == 1
