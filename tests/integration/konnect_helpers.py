# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared steps of the Konnect module tests: task arguments, Curity set-up, independent reads, assertions.

Reads that verify an outcome go to the sandbox's Konnect API directly (with the admin token),
never through the module under test.
"""

from __future__ import annotations

import base64
import json
import time

import requests

GENERATIONS = ("v3", "v2")
INITIAL_CLIENT_ID = "konnect-dcr"
APP_NAME = "orders-client"


class Portal:
    """One of the sandbox's two Dev Portals, as the tests address it."""

    def __init__(self, info, generation):
        classic = generation == "v2"
        self.generation = generation
        self.name = info["classic_portal_name" if classic else "portal_name"]
        self.id = info["classic_portal_id" if classic else "portal_id"]
        self.url = info["classic_portal_url" if classic else "portal_url"]
        # What applications register to: an API (new portal) or an API product version (classic).
        self.target = "%s/%s" % (info["api_product_name"], info["product_version_name"]) if classic else info["api_name"]
        self.target_id = info["product_version_id" if classic else "api_id"]


# --------------------------------------------------------------------------- task arguments
def admin_args(info):
    return {"konnect_url": info["konnect_url"], "konnect_token": info["konnect_token"]}


def dcr_args(info, portal, secret, **extra):
    args = dict(admin_args(info), portal=portal.name, issuer=info["curity_issuer"], initial_client_id=INITIAL_CLIENT_ID,
                initial_client_secret=secret, apis=[portal.target])
    args.update(extra)
    return args


def app_args(info, portal, **extra):
    args = dict(admin_args(info), portal_url=portal.url, developer_email=info["developer_email"],
                developer_password=info["developer_password"], name=APP_NAME, registrations=[portal.target],
                approve_registrations=True)
    args.update(extra)
    return args


def curity_args(info, **extra):
    args = {"admin_url": info["curity_admin_url"], "admin_username": info["curity_admin_username"],
            "admin_password": info["curity_admin_password"], "profile_id": info["curity_profile_id"],
            "client_id": INITIAL_CLIENT_ID, "issuer": info["curity_issuer"]}
    args.update(extra)
    return args


# --------------------------------------------------------------------------- set-up
def prepare_curity(runner, sandbox):
    """The DCR client in Curity (curity_token, generated secret); returns that secret."""
    result, text = runner.module("curity_token", curity_args(sandbox.info))
    assert result.get("changed") and result.get("client_secret"), text
    return result["client_secret"]


def prepare_portal(runner, sandbox, portal):
    """Curity and the portal's DCR settings, applied; returns the initial client secret."""
    secret = prepare_curity(runner, sandbox)
    result, text = runner.module("konnect_portal_dcr", dcr_args(sandbox.info, portal, secret))
    assert result.get("verified") is True, text
    return secret


# --------------------------------------------------------------------------- what was sent
def state_changes(sandbox, services=("konnect", "portal")):
    """Requests that change Konnect: writes, minus a developer login and a provider verification."""
    return [(e["service"], e["method"], e["path"]) for e in sandbox.writes()
            if e["service"] in services and not e["path"].endswith(("/developer/authenticate", "/verify"))]


def requests_of(sandbox, service):
    return [(e["method"], e["path"]) for e in sandbox.requests(service)]


def wait_for_request(sandbox, method, suffix, timeout=10.0):
    """Block until the request log shows a finished ``method`` request whose path ends with ``suffix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e["method"] == method and e["path"].endswith(suffix) for e in sandbox.requests()):
            return
        time.sleep(0.02)
    raise AssertionError("no %s ...%s within %ss" % (method, suffix, timeout))


# --------------------------------------------------------------------------- independent reads
def admin_session(info):
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = "Bearer " + info["konnect_token"]
    return session


def admin_get(info, path, params=None):
    response = admin_session(info).get(info["konnect_url"] + path, params=params, timeout=30)
    response.raise_for_status()
    return response.json()


def admin_send(info, method, path, body):
    response = admin_session(info).request(method, info["konnect_url"] + path, json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


def named(info, path, name):
    """Every object of a Konnect list named ``name`` (all pages)."""
    data = admin_get(info, path, {"page[size]": 100})["data"]
    return [item for item in data if item.get("name") == name]


def applications(info, portal, name=APP_NAME):
    return named(info, "/%s/portals/%s/applications" % (portal.generation, portal.id), name)


def basic(client_id, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (client_id, secret)).encode("utf-8")).decode("ascii")


def gateway_status(info, client_id, secret):
    """Status of the route behind the published API with HTTP Basic client credentials."""
    response = requests.get(info["gateway_url"] + info["route_path"], headers={"Authorization": basic(client_id, secret)},
                            timeout=30)
    return response.status_code


def read_credentials(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# --------------------------------------------------------------------------- assertions
def assert_clear_failure(result, text, words):
    """A failed task with a one-paragraph message containing ``words`` and no traceback."""
    assert result.get("failed") is True, text
    message = result.get("msg", "")
    assert words in message, message
    assert "\n" not in message.strip(), message
    assert "Traceback" not in text and "exception" not in result, text


def without_invocation(result):
    return dict((k, v) for k, v in result.items() if k not in ("invocation", "warnings"))
