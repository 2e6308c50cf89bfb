# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the Curity module tests: connection arguments, an independent reader of the
configuration, request-log views and the checks every failing run must pass."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import requests

ADMIN = "curity-admin"
RUNTIME = "curity-runtime"
YANG_JSON = "application/yang-data+json"
PROFILE_PATH = "/data/base:profiles/profile=token-service,oauth-service"
SERVER_PATH = PROFILE_PATH + "/settings/profile-oauth:authorization-server"


def connection(sandbox, **args):
    """Module arguments that reach the sandbox's Curity admin API."""
    out = {"admin_url": sandbox.info["curity_admin_url"], "admin_password": sandbox.info["curity_admin_password"]}
    out.update(args)
    return out


def run_module(runner, sandbox, module, check=False, diff=True, env=None, **args):
    """Run a Curity module on a fresh request log; returns (result, output)."""
    sandbox.clear_requests()
    return runner.module(module, connection(sandbox, **args), check=check, diff=diff, env=env)


class CurityReader:
    """Reads and edits the sandbox configuration with plain requests: a check that does not
    go through the collection.  Its requests land in the log too: clear it before a run."""

    def __init__(self, sandbox):
        self.base = sandbox.info["curity_admin_url"]
        self.runtime_issuer = sandbox.info["curity_issuer"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (sandbox.info["curity_admin_username"], sandbox.info["curity_admin_password"])
        self.session.headers.update({"Accept": YANG_JSON, "Content-Type": YANG_JSON})

    def get(self, path):
        resp = self.session.get(self.base + path, timeout=30)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        return next(iter(resp.json().values()))

    def entry(self, path):
        found = self.get(path)
        return found[0] if isinstance(found, list) else found

    def scope(self, name):
        return self.entry("%s/scopes/scope=%s" % (SERVER_PATH, quote(name, safe="")))

    def scope_ids(self):
        return [s["id"] for s in (self.get(SERVER_PATH + "/scopes") or {}).get("scope", [])]

    def claim(self, name):
        return self.entry("%s/claims/claim=%s" % (SERVER_PATH, quote(name, safe="")))

    def claim_names(self):
        return [c["name"] for c in (self.get(SERVER_PATH + "/claims") or {}).get("claim", [])]

    def mapper(self, mapper_id="default"):
        return self.entry("%s/claims/claims-mappers/claims-mapper=%s" % (SERVER_PATH, quote(mapper_id, safe="")))

    def client(self, client_id):
        return self.entry("%s/client-store/config-backed/client=%s" % (SERVER_PATH, quote(client_id, safe="")))

    def dcr(self):
        return self.get(SERVER_PATH + "/dynamic-client-registration")

    def token_issuer(self):
        return self.get(PROFILE_PATH + "/token-issuers/default-token-issuer")

    def write(self, method, path, body=None):
        resp = self.session.request(method, self.base + path, data=json.dumps(body) if body is not None else None,
                                    timeout=30)
        resp.raise_for_status()

    def token(self, client_id, secret, scope="dcr"):
        """(status, body) of a client credentials request, as Konnect would send it."""
        discovery = self.session.get(self.runtime_issuer + "/.well-known/openid-configuration", timeout=30).json()
        resp = self.session.post(discovery["token_endpoint"], data={"grant_type": "client_credentials", "scope": scope},
                                 auth=(client_id, secret), headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 timeout=30)
        return resp.status_code, resp.json()


def calls(sandbox, service=ADMIN, methods=None):
    """(method, path) of the logged requests of a service."""
    return [(e["method"], e["path"]) for e in sandbox.requests(service, methods)]


def verbs(sandbox, service=ADMIN):
    return [e["method"] for e in sandbox.requests(service)]


def warnings_of(result):
    """The warning texts of a module result (ansible-core 2.19 returns them as events)."""
    return [w.get("event", {}).get("msg", str(w)) if isinstance(w, dict) else w for w in result.get("warnings", [])]


def assert_clean_failure(result, text, *words):
    """A failed run: one paragraph naming ``words``, no traceback."""
    assert result.get("failed") is True, result
    msg = result["msg"]
    assert "\n" not in msg.strip(), msg
    assert "Traceback" not in text and "Traceback" not in msg, text
    for word in words:
        assert word in msg, (word, msg)


def write_playbook(tmp_path, name, tasks, **play):
    """A one-play playbook on localhost (JSON is YAML); returns its path."""
    doc = [dict({"hosts": "localhost", "gather_facts": False, "tasks": tasks}, **play)]
    path = os.path.join(str(tmp_path), name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, indent=1)
    return path


def assert_no_secrets(text, *secrets):
    for secret in secrets:
        assert secret and secret not in text, "a secret appears in the output"
