# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the reliability, bad-input, secret and TLS tests.

* connection arguments of each module for a sandbox (``curity_conn``, ``konnect_conn``,
  ``portal_conn``);
* ``Desired``: one complete DCR setup (claim, scope, DCR credential, Konnect provider and
  strategy, application) with fresh secrets, as the module chain (``chain_steps``) and as
  role variables (``role_vars``);
* ``Probe``: reads the sandbox's state through the services' own APIs, independently of the
  modules, and ``assert_converged`` compares it with ``Desired`` (nothing duplicated, the
  credentials file works at the gateway);
* request-log functions: ``state_writes`` (write methods that change configuration, without
  logins, token requests and Konnect's provider verification), ``dcr_registrations``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time

import requests

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Requests with a write method that change no configuration.
NEUTRAL_WRITES = (
    ("portal", "POST", re.compile(r"/api/v[23]/developer/(authenticate|refresh|logout)$")),
    ("curity-runtime", "POST", re.compile(r"/oauth-token$")),
    ("curity-runtime", "POST", re.compile(r"/oauth-introspect$")),
    ("konnect", "POST", re.compile(r"^/v2/dcr-providers/[^/]+/verify$")),
)
DCR_REGISTRATION_PATH = re.compile(r"/oauth-registration$")
TRACEBACK = "Traceback (most recent call last)"
CLAIM_VALUE_PROVIDER = "account-manager-claims-provider"


def new_secret(prefix):
    """A unique secret for one test (unique, so that no_log masking of equal strings cannot hide a leak)."""
    return "%s-%s" % (prefix, secrets.token_urlsafe(24))


def is_neutral(entry):
    return any(entry["service"] == service and entry["method"] == method and pattern.search(entry["path"])
               for service, method, pattern in NEUTRAL_WRITES)


def state_writes(entries):
    """Requests of the log that may change configuration (sandbox-internal ones included)."""
    return [e for e in entries if e["method"] in WRITE_METHODS and not is_neutral(e)]


def describe(entries):
    return ["%s %s %s -> %s%s" % (e["service"], e["method"], e["path"], e["status"], " (fault)" if e.get("fault") else "")
            for e in entries]


def dcr_registrations(entries):
    """Clients Curity registered by RFC 7591 according to the log (created minus deleted)."""
    created = [e for e in entries if e["service"] == "curity-runtime" and e["method"] == "POST"
               and DCR_REGISTRATION_PATH.search(e["path"]) and e["status"] == 201]
    deleted = [e for e in entries if e["service"] == "curity-runtime" and e["method"] == "DELETE"
               and "/oauth-registration/" in e["path"] and e["status"] in (200, 204)]
    return len(created) - len(deleted)


def warning_texts(result):
    """The warnings of a module result as strings (ansible-core 2.19 returns them as structured events)."""
    texts = []
    for warning in result.get("warnings") or []:
        if isinstance(warning, dict):
            event = warning.get("event") or {}
            warning = event.get("msg") or warning.get("msg") or ""
        texts.append(str(warning))
    return texts


def wait_for_request(sandbox, predicate, timeout=30.0):
    """Wait until the log holds an entry matching ``predicate`` (a delayed request is logged when it ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in sandbox.requests() if predicate(e)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("no request matching the predicate was logged within %ss" % timeout)


# ------------------------------------------------------------------------------ connections
def curity_conn(info, **extra):
    args = dict(admin_url=info["curity_admin_url"], admin_username=info["curity_admin_username"],
                admin_password=info["curity_admin_password"], profile_id=info["curity_profile_id"])
    if info.get("ca_path"):
        args["ca_path"] = info["ca_path"]
    args.update(extra)
    return args


def konnect_conn(info, **extra):
    args = dict(konnect_url=info["konnect_url"], konnect_token=info["konnect_token"])
    if info.get("ca_path"):
        args["ca_path"] = info["ca_path"]
    args.update(extra)
    return args


def portal_conn(info, **extra):
    args = konnect_conn(info, portal_url=info["portal_url"], developer_email=info["developer_email"],
                        developer_password=info["developer_password"])
    args.update(extra)
    return args


# ------------------------------------------------------------------------------ desired state
class Desired:
    """One complete DCR setup with fresh names and secrets."""

    def __init__(self, info, workdir, tag="rel"):
        self.info = info
        self.claim = "%s_claim" % tag.replace("-", "_")
        self.scope = "%s-scope" % tag
        self.client_id = "%s-konnect-dcr" % tag
        self.client_secret = new_secret("DcrSecret")
        self.provider = "%s-curity" % tag
        self.strategy = "%s-curity" % tag
        self.app = "%s-app" % tag
        self.credentials_file = os.path.join(workdir, "%s.credentials.json" % tag)

    def secrets(self):
        """Every secret value of the setup, with a name for messages."""
        return {
            "Curity admin password": self.info["curity_admin_password"],
            "Konnect token": self.info["konnect_token"],
            "developer password": self.info["developer_password"],
            "initial client secret": self.client_secret,
        }


def chain_steps(desired, overrides=None):
    """The module chain of a full setup, in dependency order: [(module, args), ...]."""
    info = desired.info
    overrides = overrides or {}
    steps = [
        ("curity_claim", curity_conn(info, claims=[{"name": desired.claim, "description": "Reliability claim",
                                                    "value_provider": CLAIM_VALUE_PROVIDER}])),
        ("curity_scope", curity_conn(info, scopes=[{"name": desired.scope, "description": "Reliability scope",
                                                    "claims": [desired.claim]}])),
        ("curity_token", curity_conn(info, client_id=desired.client_id, secret=desired.client_secret,
                                     issuer=info["curity_issuer"], dcr=True, verify=True)),
        ("konnect_portal_dcr", konnect_conn(info, portal=info["portal_name"], issuer=info["curity_issuer"],
                                            initial_client_id=desired.client_id,
                                            initial_client_secret=desired.client_secret,
                                            provider_name=desired.provider, strategy_name=desired.strategy,
                                            apis=[info["api_name"]], verify=True)),
        ("portal_application", portal_conn(info, name=desired.app, description="Reliability application",
                                           registrations=[info["api_name"]], approve_registrations=True,
                                           credentials_file=desired.credentials_file)),
    ]
    return [(name, dict(args, **overrides.get(name, {}))) for name, args in steps]


def run_chain(runner, steps, check=False, diff=False):
    """Run the steps in order, stopping at the first failure: [(module, result, output), ...]."""
    done = []
    for name, args in steps:
        result, text = runner.module(name, args, check=check, diff=diff)
        done.append((name, result, text))
        if result.get("failed"):
            break
    return done


def failures(done):
    """The failed steps of ``run_chain``: [(module, message), ...]."""
    return [(step[0], step[1].get("msg")) for step in done if step[1].get("failed")]


def messages(done):
    """Every step of ``run_chain`` with its message: [(module, message), ...]."""
    return [(step[0], step[1].get("msg")) for step in done]


def role_vars(desired, **extra):
    """Extra vars for playbooks/dcr_curity.yml with the sandbox inventory: the same setup as the chain."""
    info = desired.info
    data = {
        "dcr_curity_claims": [{"name": desired.claim, "description": "Reliability claim",
                               "value_provider": CLAIM_VALUE_PROVIDER}],
        "dcr_curity_scopes": [{"name": desired.scope, "description": "Reliability scope", "claims": [desired.claim]}],
        "dcr_curity_client_id": desired.client_id,
        "dcr_curity_client_secret": desired.client_secret,
        "dcr_curity_provider_name": desired.provider,
        "dcr_curity_strategy_name": desired.strategy,
        "dcr_curity_apis": [info["api_name"]],
        "dcr_curity_applications": [{"name": desired.app, "description": "Reliability application",
                                     "registrations": [info["api_name"]], "approve_registrations": True,
                                     "credentials_file": desired.credentials_file}],
        "dcr_curity_request_url": info["gateway_url"] + info["route_path"],
        "dcr_curity_request_retries": 1,
        "dcr_curity_request_delay": 1,
    }
    data.update(extra)
    return data


def role_env(sandbox):
    return {"DCR_SANDBOX_INFO": sandbox.info_file}


# ------------------------------------------------------------------------------ independent reads
class Probe:
    """The sandbox's state, read through the services' APIs (not through the modules)."""

    def __init__(self, info):
        self.info = info
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = info.get("ca_path") or True
        self.as_url = "%s/data/base:profiles/profile=%s,oauth-service/settings/profile-oauth:authorization-server" % (
            info["curity_admin_url"], info["curity_profile_id"])
        self.konnect_headers = {"Authorization": "Bearer %s" % info["konnect_token"], "Accept": "application/json"}

    # Curity
    def authorization_server(self):
        resp = self.http.get(self.as_url, params={"content": "config"}, timeout=30,
                             auth=(self.info["curity_admin_username"], self.info["curity_admin_password"]),
                             headers={"Accept": "application/yang-data+json"})
        resp.raise_for_status()
        return resp.json()["profile-oauth:authorization-server"]

    def curity(self):
        server = self.authorization_server()
        clients = ((server.get("client-store") or {}).get("config-backed") or {}).get("client") or []
        return {
            "claims": {c["name"]: c for c in (server.get("claims") or {}).get("claim") or []},
            "scopes": {s["id"]: s for s in (server.get("scopes") or {}).get("scope") or []},
            "client_ids": [c["id"] for c in clients],
            "dcr": server.get("dynamic-client-registration"),
        }

    def token_endpoint(self):
        resp = self.http.get(self.info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30)
        resp.raise_for_status()
        return resp.json()["token_endpoint"]

    def token_status(self, client_id, secret, scope=None):
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        return self.http.post(self.token_endpoint(), data=data, auth=(client_id, secret), timeout=30).status_code

    # Konnect
    def konnect(self, path, **params):
        params.setdefault("page[size]", 100)
        resp = self.http.get(self.info["konnect_url"] + path, params=params, headers=self.konnect_headers, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def verify_provider(self, provider_id):
        """Konnect's own check of a DCR provider's initial client: "success" or its errors."""
        resp = requests.post("%s/v2/dcr-providers/%s/verify" % (self.info["konnect_url"], provider_id),
                             headers={"Authorization": "Bearer " + self.info["konnect_token"]}, timeout=30,
                             verify=self.info.get("ca_path") or True)
        body = resp.json() if resp.content else {}
        return body.get("status") if body.get("status") == "success" else (resp.status_code, body)

    def providers(self):
        return self.konnect("/v2/dcr-providers")["data"]

    def strategies(self):
        """The application auth strategies, but the Key Auth strategy the seeded Dev Portal came with."""
        return [s for s in self.konnect("/v2/application-auth-strategies")["data"] if s.get("strategy_type") != "key_auth"]

    def portal(self):
        return self.konnect("/v3/portals/%s" % self.info["portal_id"])

    def applications(self):
        return self.konnect("/v3/portals/%s/applications" % self.info["portal_id"])["data"]

    def registrations(self, app_id):
        return self.konnect("/v3/portals/%s/applications/%s/registrations" % (self.info["portal_id"], app_id))["data"]

    def publication(self):
        url = "%s/v3/apis/%s/publications/%s" % (self.info["konnect_url"], self.info["api_id"], self.info["portal_id"])
        resp = self.http.get(url, headers=self.konnect_headers, timeout=30)
        return resp.json() if resp.status_code == 200 else None

    # gateway
    def gateway_status(self, client_id, secret):
        resp = self.http.get(self.info["gateway_url"] + self.info["route_path"], auth=(client_id, secret), timeout=30)
        return resp.status_code


def read_credentials(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


CHAIN = ("curity_claim", "curity_scope", "curity_token", "konnect_portal_dcr", "portal_application")


def assert_converged(sandbox, desired, log_entries, through="portal_application", secret=""):
    """The sandbox holds exactly the desired setup, once, and the credentials file works at the gateway.

    ``log_entries``: the request log of the whole scenario (for the count of DCR registrations).
    ``through``: the last module of the chain that ran; what comes after it must not exist.
    ``secret``: the DCR credential's secret, None when it was generated (then Konnect's check of the
    provider stands for it), "" for ``desired.client_secret``.
    """
    secret = desired.client_secret if secret == "" else secret
    del sandbox  # the state is read through the services' APIs
    stage = CHAIN.index(through)
    probe = Probe(desired.info)
    curity = probe.curity()
    problems = []
    claim = curity["claims"].get(desired.claim)
    if not claim or claim.get("description") != "Reliability claim" or claim.get("value-provided-by") != CLAIM_VALUE_PROVIDER:
        problems.append("claim %s is %r" % (desired.claim, claim))
    scope = curity["scopes"].get(desired.scope)
    if stage < 1:
        if scope is not None:
            problems.append("scope %s exists before its module ran" % desired.scope)
    elif not scope or scope.get("claims") != [desired.claim] or scope.get("description") != "Reliability scope":
        problems.append("scope %s is %r" % (desired.scope, scope))
    if curity["client_ids"].count(desired.client_id) != (1 if stage >= 2 else 0):
        problems.append("Curity clients: %r" % curity["client_ids"])
    if stage >= 2:
        dcr = curity["dcr"] or {}
        if desired.client_id not in ((dcr.get("non-templatized") or {}).get("authenticate-client-by") or []):
            problems.append("DCR settings do not name %s: %r" % (desired.client_id, dcr))
        if secret is not None and probe.token_status(desired.client_id, secret, "dcr") != 200:
            problems.append("the DCR credential does not get a dcr token with the desired secret")

    providers = probe.providers()
    strategies = probe.strategies()
    if [p["name"] for p in providers] != ([desired.provider] if stage >= 3 else []):
        problems.append("DCR providers: %r" % [p["name"] for p in providers])
    if [s["name"] for s in strategies] != ([desired.strategy] if stage >= 3 else []):
        problems.append("auth strategies: %r" % [s["name"] for s in strategies])
    if len(providers) == 1 and probe.verify_provider(providers[0]["id"]) != "success":
        problems.append("Konnect cannot use the DCR provider's initial client (verify)")
    strategy_id = strategies[0]["id"] if len(strategies) == 1 else None
    if strategy_id and probe.portal().get("default_application_auth_strategy_id") != strategy_id:
        problems.append("the portal's default strategy is not %s" % desired.strategy)
    publication = probe.publication() or {}
    if strategy_id and strategy_id not in (publication.get("auth_strategy_ids") or []):
        problems.append("the API publication does not use the strategy: %r" % publication)

    apps = probe.applications()
    if [a["name"] for a in apps] != ([desired.app] if stage >= 4 else []):
        problems.append("applications: %r" % [a["name"] for a in apps])
    registered = dcr_registrations(log_entries)
    if registered != len(apps):
        problems.append("Curity registered %d DCR clients for %d applications" % (registered, len(apps)))
    if len(apps) == 1:
        regs = probe.registrations(apps[0]["id"])
        if [r.get("status") for r in regs] != ["approved"]:
            problems.append("registrations: %r" % [r.get("status") for r in regs])
        if not os.path.exists(desired.credentials_file):
            problems.append("no credentials file")
        else:
            creds = read_credentials(desired.credentials_file)
            if creds.get("client_id") != apps[0].get("client_id"):
                problems.append("the credentials file holds another client than the application's")
            elif probe.gateway_status(creds["client_id"], creds["client_secret"]) != 200:
                problems.append("the gateway refuses the credentials file's client secret")
    assert not problems, "the end state is not the desired one:\n  " + "\n  ".join(problems)
