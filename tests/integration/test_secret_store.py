# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Vault secret store against a real server (OpenBao's ``bao server -dev``, see openbao.py).

What the server received is read from its own audit log, so every assertion about writes is made
at the HTTP boundary.  Each test works under a path of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET_A = "Client-secret-A-0123456789abcdef"
SECRET_B = "Client-secret-B-fedcba9876543210"
SECRET_OTHER = "Someone-else-wrote-this-0000000001"


@pytest.fixture(scope="module")
def ss(runner):
    """The collection's _secret_store module, imported from the working tree."""
    if runner.collections not in sys.path:
        sys.path.insert(0, runner.collections)
    from ansible_collections.devportal.dcr.plugins.module_utils import _secret_store  # pylint: disable=import-outside-toplevel

    return _secret_store


class Outputs:
    """Everything the store says (errors, warnings, probe reasons, reprs, diffs, views) and the secrets it registers."""

    def __init__(self):
        self.texts = []
        self.registered = set()

    def add(self, value):
        self.texts.append(value if isinstance(value, str) else json.dumps(value, default=repr, sort_keys=True))

    def all(self):
        return "\n".join(self.texts)


@pytest.fixture
def outputs():
    return Outputs()


@pytest.fixture
def base(openbao):
    """A path of this test's own under the policy's writable prefix."""
    return "devportal-dcr/tests-%s" % uuid.uuid4().hex[:12]


def vault_options(url, ca_cert=None, **overrides):
    """The validated ``secret_store`` options, as the argument spec gives them to a module."""
    options = dict(backend="vault", url=url, auth_method="token", token=None, role_id=None, secret_id=None,
                   mount_point=None, namespace=None, engine_mount_point="secret", ca_cert=ca_cert,
                   validate_certs=True, timeout=10, path=None)
    options.update(overrides)
    return options


def make_store(ss, openbao, outputs, read_only=False, **overrides):
    options = vault_options(openbao.url, **dict({"ca_cert": openbao.ca_path}, **overrides))
    if options["auth_method"] == "token" and options["token"] is None:
        options["token"] = openbao.token()
    return ss.store_from_options(options, read_only=read_only, warn=outputs.add, register_secret=outputs.registered.add)


def record(client_secret, client_id="client-1"):
    return {"client_id": client_id, "client_secret": client_secret, "application_id": "app-1"}


def fails(outputs, exception, function, *args, **kwargs):
    with pytest.raises(exception) as caught:
        function(*args, **kwargs)
    outputs.add(str(caught.value))
    return caught.value


def assert_no_secret(outputs, *secrets):
    text = outputs.all()
    for value in set(secrets) | outputs.registered:
        assert value not in text, "a secret appears in the store's messages: %r" % text[:2000]


# ----------------------------------------------------------------------------- write, re-write, versions
def test_write_then_identical_rewrite_creates_no_new_version(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    path = base + "/applications/orders"
    mark = openbao.audit_mark()
    first = store.put(path, record(SECRET_A))
    outputs.add(first.diff())
    outputs.add(repr(first))
    assert (first.action, first.changed, first.written.version) == ("create", True, 1)
    assert openbao.read(path) == (record(SECRET_A), 1)
    assert openbao.writes_since(mark) == ["create secret/data/%s" % path]
    # The diff shows the public values and masks the secret.
    assert first.diff()["after"][path] == {"client_id": "client-1", "application_id": "app-1", "client_secret": "********"}

    mark = openbao.audit_mark()
    again = store.put(path, record(SECRET_A))
    assert (again.action, again.changed, again.fields, again.current.version) == ("keep", False, [], 1)
    assert openbao.writes_since(mark) == []
    assert [r["operation"] + " " + r["path"] for r in openbao.audit_requests_since(mark)] == [
        "read secret/data/%s" % path]
    assert openbao.current_version(path) == 1
    assert store.writes_sent == 1
    assert_no_secret(outputs, SECRET_A)


def test_a_new_value_is_a_new_version_and_keys_someone_added_are_kept(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    path = base + "/applications/rotated"
    openbao.write(path, dict(record(SECRET_A), note="kept by the owner"))
    write = store.put(path, record(SECRET_B))
    outputs.add(write.diff())
    assert (write.action, write.fields, write.written.version) == ("update", ["client_secret"], 2)
    assert openbao.read(path) == (dict(record(SECRET_B), note="kept by the owner"), 2)
    # The old version is still on the server: nothing is lost.
    old = openbao.api("GET", "secret/data/%s?version=1" % path)["data"]["data"]
    assert old["client_secret"] == SECRET_A
    masked = {"client_id": "client-1", "application_id": "app-1", "client_secret": "********"}
    assert write.diff() == {"before": {path: masked}, "after": {path: masked}}
    assert_no_secret(outputs, SECRET_A, SECRET_B)


def test_check_and_set_conflict_is_refused_and_nothing_is_lost(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    path = base + "/applications/contended"
    store.put(path, record(SECRET_A))
    plan = store.plan(path, record(SECRET_B))
    assert (plan.action, plan.expected) == ("update", 1)
    openbao.write(path, record(SECRET_OTHER))  # someone else, between this run's read and its write
    mark = openbao.audit_mark()
    error = fails(outputs, ss.SecretConflict, store.write, plan)
    # One refused check-and-set write, then the read that found the new version.
    assert [r["operation"] for r in openbao.audit_requests_since(mark)] == ["update", "read"]
    assert (error.path, error.expected, error.found) == (path, 1, 2)
    assert "changed since this run read it" in str(error) and "Nothing was overwritten" in str(error)
    assert "version 1" in str(error) and "version 2" in str(error)
    # The other writer's value stands, and the value in hand is still in the plan for the caller to return.
    assert openbao.read(path) == (record(SECRET_OTHER), 2)
    assert plan.data["client_secret"] == SECRET_B
    assert plan.written is None and store.writes_sent == 1
    assert_no_secret(outputs, SECRET_A, SECRET_B, SECRET_OTHER)


def test_a_record_created_by_someone_else_after_the_plan_is_not_overwritten(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    path = base + "/applications/raced"
    plan = store.plan(path, record(SECRET_A))
    assert (plan.action, plan.expected) == ("create", 0)
    openbao.write(path, record(SECRET_OTHER))
    error = fails(outputs, ss.SecretConflict, store.write, plan)
    assert "this run read no record" in str(error)
    assert openbao.read(path) == (record(SECRET_OTHER), 1)
    assert_no_secret(outputs, SECRET_A, SECRET_OTHER)


def test_check_mode_reads_predicts_and_sends_no_write(ss, openbao, outputs, base):
    checking = make_store(ss, openbao, outputs, read_only=True)
    path = base + "/applications/planned"
    mark = openbao.audit_mark()
    predicted = checking.put(path, record(ss.UNKNOWN), check_mode=True)
    assert (predicted.action, predicted.changed) == ("create", True)
    assert predicted.diff()["after"][path]["client_secret"] == "********"
    # The store built for check mode refuses to write, even if asked.
    error = fails(outputs, ss.SecretStoreError, checking.write, checking.plan(path, record(SECRET_A)))
    assert "check mode" in str(error)
    assert openbao.writes_since(mark) == []

    store = make_store(ss, openbao, outputs)
    done = store.put(path, record(SECRET_A))
    assert (done.action, done.changed) == (predicted.action, predicted.changed)
    # Afterwards: the same values are predicted as no change; a secret only the real run knows, as a change.
    mark = openbao.audit_mark()
    assert checking.put(path, record(SECRET_A), check_mode=True).changed is False
    rotation = checking.put(path, record(ss.UNKNOWN), check_mode=True)
    assert (rotation.action, rotation.fields) == ("update", ["client_secret"])
    assert openbao.writes_since(mark) == []
    assert_no_secret(outputs, SECRET_A)


def test_info_tells_stored_and_version_never_the_value(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    path = base + "/dcr-credentials/konnect-dcr"
    before = store.info(path)
    assert (before["stored"], before["version"], before["backend"]) == (False, None, "vault")
    store.put(path, {"client_id": "konnect-dcr", "client_secret": SECRET_A})
    store.put(path, {"client_id": "konnect-dcr", "client_secret": SECRET_B})
    after = store.info(path)
    outputs.add(after)
    assert (after["stored"], after["version"], after["path"], after["engine_mount_point"]) == (True, 2, path, "secret")
    assert after["location"] == "Vault KV v2 secret/%s at %s" % (path, openbao.url)
    # A deleted last version: not stored, the version is still told; the next write is a new version.
    openbao.api("DELETE", "secret/data/" + path)
    deleted = store.info(path)
    assert (deleted["stored"], deleted["version"]) == (False, 2)
    again = store.put(path, {"client_id": "konnect-dcr", "client_secret": SECRET_A})
    assert (again.action, again.expected, again.written.version) == ("create", 2, 3)
    assert_no_secret(outputs, SECRET_A, SECRET_B)


# ----------------------------------------------------------------------------- the plan's probe
def test_a_forbidden_path_is_refused_by_the_probe_before_any_write(ss, openbao, outputs):
    store = make_store(ss, openbao, outputs)
    path = "devportal-dcr/forbidden/applications/%s" % uuid.uuid4().hex[:8]
    mark = openbao.audit_mark()
    probe = store.probe(path)
    outputs.add(probe.view())
    assert probe.ok is False and probe.capabilities == ["deny"]
    assert "deny secret/data/%s" % path in probe.reason
    error = fails(outputs, ss.SecretStoreError, store.check, path)
    assert str(error).startswith("Vault KV v2 secret/%s at %s cannot be used: the token's policies deny" % (path, openbao.url))
    # Only the capabilities query reached the server: nothing was read or written.
    assert [r["path"] for r in openbao.audit_requests_since(mark)] == ["sys/capabilities-self"] * 2
    error = fails(outputs, ss.SecretStoreError, store.put, path, record(SECRET_A))
    assert "the token's policies do not allow it (HTTP 403)" in str(error)
    assert openbao.writes_since(mark) == []
    assert_no_secret(outputs, SECRET_A)


def test_a_read_only_path_is_not_writable_and_a_writable_one_is(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs)
    probe = store.probe("read-only/%s" % uuid.uuid4().hex[:8])
    assert probe.ok is False and probe.capabilities == ["read"]
    assert "do not grant create, update" in probe.reason
    probe = store.probe(base + "/applications/x")
    assert (probe.ok, probe.reason, sorted(probe.capabilities)) == (True, "", ["create", "read", "update"])


def test_a_mount_that_is_not_kv_version_2_is_refused_by_the_probe(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs, token=openbao.root_token, engine_mount_point="cubbyhole")
    probe = store.probe(base + "/x")
    assert probe.ok is False and "cubbyhole/ is a cubbyhole secrets engine, not KV version 2" in probe.reason


def test_a_revoked_token_fails_clearly_in_the_probe_and_on_use(ss, openbao, outputs, base):
    token = openbao.token()
    openbao.revoke(token)
    store = make_store(ss, openbao, outputs, token=token)
    path = base + "/applications/revoked"
    mark = openbao.audit_mark()
    probe = store.probe(path)
    outputs.add(probe.view())
    assert probe.ok is False
    assert probe.reason == "Vault does not accept the token (secret_store.token or VAULT_TOKEN): it is wrong, expired or revoked"
    error = fails(outputs, ss.SecretStoreError, store.put, path, record(SECRET_A))
    assert str(error).startswith("Vault does not accept the token (secret_store.token or VAULT_TOKEN): it is wrong, "
                                 "expired or revoked (HTTP 403 on read")
    assert openbao.writes_since(mark) == []
    assert_no_secret(outputs, token, SECRET_A)


# ----------------------------------------------------------------------------- auth and TLS
def test_approle_login_writes_and_keeps_its_token_secret(ss, openbao, outputs, base):
    secret_id = openbao.secret_id()
    store = make_store(ss, openbao, outputs, auth_method="approle", role_id=openbao.role_id, secret_id=secret_id)
    path = base + "/applications/approle"
    mark = openbao.audit_mark()
    assert store.probe(path).ok
    write = store.put(path, record(SECRET_A))
    assert write.written.version == 1 and openbao.read(path) == (record(SECRET_A), 1)
    requests_seen = openbao.audit_requests_since(mark)
    assert requests_seen[0]["path"] == "auth/approle/login"
    assert [r["path"] for r in requests_seen].count("auth/approle/login") == 1
    # The token the login returned is a registered secret, as is the secret_id.
    login_token = store.client.token
    assert login_token and {login_token, secret_id} <= outputs.registered
    assert_no_secret(outputs, SECRET_A, secret_id, login_token)


def test_approle_in_check_mode_logs_in_reads_and_gives_its_token_back(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs, read_only=True, auth_method="approle", role_id=openbao.role_id,
                       secret_id=openbao.secret_id())
    path = base + "/applications/approle-check"
    mark = openbao.audit_mark()
    assert store.check(path).ok
    assert store.put(path, record(ss.UNKNOWN), check_mode=True).action == "create"
    login_token = store.client.token
    store.close()
    assert [r["path"] for r in openbao.audit_requests_since(mark)][-1] == "auth/token/revoke-self"
    assert openbao.writes_since(mark) == []
    # The login's token no longer works.
    answer = openbao.http.get(openbao.url + "/v1/auth/token/lookup-self", headers={"X-Vault-Token": login_token},
                              timeout=30)
    assert answer.status_code == 403


def test_a_namespace_is_sent_with_every_request(ss, openbao, outputs, base):
    namespace = openbao.namespace("team-a")
    store = make_store(ss, openbao, outputs, token=openbao.root_token, namespace=namespace)
    path = base + "/applications/in-a-namespace"
    assert store.check(path).ok
    write = store.put(path, record(SECRET_A))
    assert write.written.version == 1
    assert openbao.read(path, namespace=namespace) == (record(SECRET_A), 1)
    assert openbao.read(path) == (None, None)  # not in the root namespace's mount
    assert store.info(path)["location"] == "Vault KV v2 secret/%s at %s (namespace team-a)" % (path, openbao.url)


def test_a_wrong_approle_secret_id_fails_without_showing_it(ss, openbao, outputs, base):
    wrong = "wrong-secret-id-" + uuid.uuid4().hex
    store = make_store(ss, openbao, outputs, auth_method="approle", role_id=openbao.role_id, secret_id=wrong)
    mark = openbao.audit_mark()
    error = fails(outputs, ss.SecretStoreError, store.put, base + "/applications/x", record(SECRET_A))
    assert str(error) == ("Vault refused the AppRole login at auth/approle (secret_store.role_id and secret_store.secret_id, "
                          "or their environment variables): invalid role or secret ID.")
    probe = store.probe(base + "/applications/x")
    assert probe.ok is False and "AppRole login" in probe.reason
    outputs.add(probe.view())
    assert openbao.writes_since(mark) == []
    assert_no_secret(outputs, wrong)


def test_tls_needs_the_servers_ca_and_says_so_without_it(ss, openbao, outputs, base):
    store = make_store(ss, openbao, outputs, ca_cert=None)
    error = fails(outputs, ss.SecretStoreError, store.read, base + "/applications/x")
    assert "TLS error on GET %s/v1/secret/data/%s/applications/x" % (openbao.url, base) in str(error)
    assert "Set secret_store.ca_cert (or VAULT_CACERT) to the CA" in str(error)
    assert "ca_path" not in str(error)
    probe = store.probe(base + "/applications/x")
    assert probe.ok is False and "TLS error" in probe.reason
    # With the CA: the same store settings work.
    assert make_store(ss, openbao, outputs).read(base + "/applications/x") is None
    # Without verification: works, with a warning.
    unverified = make_store(ss, openbao, outputs, ca_cert=None, validate_certs=False)
    assert unverified.read(base + "/applications/x") is None
    assert any("validate_certs is false" in text for text in outputs.texts)
    assert_no_secret(outputs)


def test_the_environment_alone_is_enough(ss, openbao, outputs, base, monkeypatch):
    """``secret_store: {backend: vault}`` with VAULT_ADDR, VAULT_TOKEN and VAULT_CACERT: KV v2 under ``secret``."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel

    token = openbao.token()
    for name in ("VAULT_NAMESPACE", "VAULT_SKIP_VERIFY", "ANSIBLE_HASHI_VAULT_AUTH_METHOD", "VAULT_ROLE_ID",
                 "ANSIBLE_HASHI_VAULT_ROLE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAULT_ADDR", openbao.url)
    monkeypatch.setenv("VAULT_TOKEN", token)
    monkeypatch.setenv("VAULT_CACERT", openbao.ca_path)
    result = ArgumentSpecValidator(ss.secret_store_argument_spec()).validate({"secret_store": {"backend": "vault"}})
    assert not result.error_messages, result.error_messages
    assert token in result._no_log_values  # pylint: disable=protected-access
    options = result.validated_parameters["secret_store"]
    assert (options["url"], options["engine_mount_point"]) == (openbao.url, "secret")
    store = ss.store_from_options(options, warn=outputs.add, register_secret=outputs.registered.add)
    assert store.auth_method == "token"
    path = base + "/applications/from-env"
    assert store.put(path, record(SECRET_A)).written.version == 1
    assert openbao.read(path) == (record(SECRET_A), 1)


@pytest.mark.parametrize("auth", ["token", "approle"])
def test_what_the_awx_credential_type_injects_reaches_the_server(ss, openbao, outputs, base, monkeypatch, tmp_path, auth):
    """The credential type of extensions/awx, injected as AWX does it, is all a module needs."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
    from test_awx_runner import credential_type, inject  # pylint: disable=import-outside-toplevel

    with open(openbao.ca_path, encoding="utf-8") as handle:
        inputs = {"url": openbao.url, "ca_cert": handle.read()}
    if auth == "token":
        inputs["token"] = openbao.token()
    else:
        inputs.update(role_id=openbao.role_id, secret_id=openbao.secret_id())
    env, extra_vars = inject(credential_type("vault_secret_store"), inputs, str(tmp_path))
    assert extra_vars == {"dcr_curity_secret_store": "vault"}
    for name in list(os.environ):
        if name.startswith(("VAULT_", "ANSIBLE_HASHI_VAULT_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(ss.secret_store_argument_spec()).validate({"secret_store": {"backend": "vault"}})
    assert not result.error_messages, result.error_messages
    store = ss.store_from_options(result.validated_parameters["secret_store"], warn=outputs.add,
                                  register_secret=outputs.registered.add)
    assert store.auth_method == auth
    mark = openbao.audit_mark()
    assert store.check(base + "/applications/awx").ok
    assert store.put(base + "/applications/awx", record(SECRET_A)).written.version == 1
    assert ("auth/approle/login" in [r["path"] for r in openbao.audit_requests_since(mark)]) == (auth == "approle")
    assert outputs.texts == []  # no warning: verification stays on
    assert_no_secret(outputs, SECRET_A, *[v for k, v in inputs.items() if k in ("token", "secret_id")])


# ----------------------------------------------------------------------------- the transport
class Scripted(BaseHTTPRequestHandler):
    """Answers every request with the server's ``answer`` (status, headers, body, delay) and records it."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        status, headers, body, delay = self.server.answer
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for index in range(len(body)):
            if delay:
                time.sleep(delay)
            try:
                self.wfile.write(body[index:index + 1])
                self.wfile.flush()
            except OSError:
                return

    do_GET = do_POST = _handle


def url_of(server):
    return "http://127.0.0.1:%d" % server.server_address[1]


@pytest.fixture
def scripted():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    server.seen = []
    server.answer = (200, {"Content-Type": "application/json"}, b"{}", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_redirect_is_not_followed_and_the_token_goes_nowhere_else(ss, outputs, scripted, tmp_path, monkeypatch):
    other = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    other.seen = []
    other.answer = (200, {"Content-Type": "application/json"}, b"{}", 0)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        target = "http://127.0.0.1:%d/v1/secret/data/x" % other.server_address[1]
        scripted.answer = (307, {"Location": target}, b"", 0)
        # A .netrc entry for the server must not add credentials either.
        (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password netrc-password-0001\n")
        monkeypatch.setenv("HOME", str(tmp_path))
        token = "token-that-must-stay-here-0001"
        store = ss.store_from_options(vault_options(url_of(scripted), token=token), warn=outputs.add,
                                      register_secret=outputs.registered.add)
        error = fails(outputs, ss.SecretStoreError, store.read, "x")
        assert "with a redirect (HTTP 307) to %s, which is not followed" % target in str(error)
        assert "set secret_store.url to the address that answers" in str(error)
        assert other.seen == []
        [seen] = scripted.seen
        assert seen["headers"].get("X-Vault-Token") == token and "Authorization" not in seen["headers"]
        assert seen["headers"].get("X-Vault-Request") == "true"
        assert store.transport.requests_sent == 1
        assert_no_secret(outputs, token, "netrc-password-0001")
    finally:
        other.shutdown()
        other.server_close()


def test_a_trickling_answer_ends_within_the_deadline(ss, outputs, scripted):
    scripted.answer = (200, {"Content-Type": "application/json"}, b'{"data": {"data": {}, "metadata": {"version": 1}}}', 0.4)
    store = ss.store_from_options(vault_options(url_of(scripted), token="token-0001", timeout=1), warn=outputs.add)
    started = time.monotonic()
    error = fails(outputs, ss.SecretStoreError, store.read, "x")
    elapsed = time.monotonic() - started
    # The whole answer within the timeout, not each byte: a server that trickles cannot hold the task.
    assert "timed out: no complete answer within the time allowed" in str(error) and elapsed < 4, (elapsed, str(error))


def test_a_failed_write_is_not_retried(ss, outputs, scripted):
    scripted.answer = (503, {"Content-Type": "application/json"}, b'{"errors": ["Vault is sealed"]}', 0)
    store = ss.store_from_options(vault_options(url_of(scripted), token="token-0001", timeout=2), warn=outputs.add)
    plan = ss.Write("x", None, record(SECRET_A))
    error = fails(outputs, ss.SecretStoreError, store.write, plan)
    assert str(error).startswith("Vault refused to write Vault KV v2 secret/x at http://127.0.0.1:")
    assert "Vault is sealed" in str(error)
    assert [s["method"] for s in scripted.seen] == ["POST"]
    assert_no_secret(outputs, SECRET_A)


def test_an_odd_answer_is_a_clear_error_not_a_traceback(ss, outputs, scripted):
    store = ss.store_from_options(vault_options(url_of(scripted), token="token-0001"), warn=outputs.add)
    for body in (b'{"data": []}', b'{"data": {"data": "x", "metadata": {"version": 1}}}', b'[]',
                 b'{"data": {"data": {}, "metadata": {"version": "1"}}}'):
        scripted.answer = (200, {"Content-Type": "application/json"}, body, 0)
        error = fails(outputs, ss.SecretStoreError, store.read, "x")
        assert "unusable answer" in str(error), (body, str(error))
    scripted.answer = (200, {"Content-Type": "text/html"}, b"<html>proxy</html>", 0)
    error = fails(outputs, ss.SecretStoreError, store.read, "x")
    assert "unusable answer" in str(error)


# ----------------------------------------------------------------------------- hvac missing
def test_without_hvac_the_error_names_it(runner, tmp_path):
    script = tmp_path / "no_hvac.py"
    script.write_text(
        "import sys\n"
        "sys.modules['hvac'] = None  # as if hvac were not installed\n"
        "from ansible_collections.devportal.dcr.plugins.module_utils import _secret_store as ss\n"
        "assert ss.has_hvac() is False\n"
        "try:\n"
        "    ss.store_from_options({'backend': 'vault', 'url': 'https://vault.example.com', 'token': 't'})\n"
        "except ss.SecretStoreError as exc:\n"
        "    print(exc)\n"
        "store = ss.store_from_options({'backend': 'file'})\n"
        "print(type(store).__name__)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=runner.env(),
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "Failed to import the required Python library (hvac)" in lines[0]
    assert "It is needed only for secret_store.backend: vault." in lines[0]
    # The file store needs no hvac.
    assert lines[1] == "FileStore"
