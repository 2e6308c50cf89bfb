# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's EXAMPLES, run as written against the sandbox.

Only values change: the example hosts, names and paths become the sandbox's, and the variables the
examples use (``{{ curity_admin_password }}``, ``{{ vault_konnect_token }}``, ...) and the environment
variables they rely on (``CURITY_*``, ``KONNECT_*``, as AWX credentials inject them) are given the
sandbox's values.  What each example needs to exist first is created by the test (through the
modules), except for portal_application, whose examples run after konnect_portal_dcr's own.
"""

from __future__ import annotations

import ast
import json
import os

import pytest
import yaml

from curity_helpers import connection
from harness import REPO
from konnect_helpers import Portal, app_args, prepare_curity, prepare_portal

MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules")) if name.endswith(".py"))


def examples(module):
    """The EXAMPLES string of a module, read without importing it."""
    with open(os.path.join(REPO, "plugins", "modules", module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return node.value.value
    raise AssertionError("%s has no EXAMPLES" % module)


def substitutions(info, tmp_path):
    product_version = "%s/%s" % (info["api_product_name"], info["product_version_name"])
    return [
        ("https://idsvr-admin.example.com:6749/admin/api/restconf", info["curity_admin_url"]),
        ("https://idsvr.example.com/oauth/v2/oauth-anonymous", info["curity_issuer"].rstrip("/")),
        ("https://eu.api.konghq.com", info["konnect_url"]),
        ("https://abc123456789.us.kongportals.com", info["portal_url"]),
        ("https://portal.example.com", info["classic_portal_url"]),
        ("ci-bot@example.com", info["developer_email"]),
        ("classic-portal", info["classic_portal_name"]),
        ("developer-portal", info["portal_name"]),
        ("orders/v1", product_version),
        ("orders-api", info["api_name"]),
        ("/etc/backoffice/", str(tmp_path / "backoffice") + "/"),
        ("https://gateway.example.com/orders", info["gateway_url"] + info["route_path"]),
    ]


def example_vars(info, secret):
    return {
        "curity_admin_url": info["curity_admin_url"],
        "curity_admin_password": info["curity_admin_password"],
        "vault_konnect_token": info["konnect_token"],
        "vault_konnect_dcr_secret": secret or "unused-in-this-example",
        "vault_developer_password": info["developer_password"],
        "wanted_scopes": [{"name": "openid"}, {"name": "kong-api"}],
    }


def example_env(info):
    """What the AWX credential types inject: the modules' environment fallbacks."""
    return {"CURITY_ADMIN_URL": info["curity_admin_url"], "CURITY_ADMIN_PASSWORD": info["curity_admin_password"],
            "KONNECT_URL": info["konnect_url"], "KONNECT_TOKEN": info["konnect_token"]}


def example_tasks(module, info, tmp_path, keep=None):
    text = examples(module)
    for old, new in substitutions(info, tmp_path):
        text = text.replace(old, new)
    tasks = yaml.safe_load(text)
    return [t for t in tasks if keep is None or keep(t)]


def run_examples(runner, sandbox, tmp_path, tasks, secret=None, name="examples.yml", env=None):
    (tmp_path / "backoffice").mkdir(exist_ok=True)
    playbook = tmp_path / name
    playbook.write_text(json.dumps([{"name": "Examples", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    rc, out = runner.playbook(str(playbook), extra_vars=example_vars(sandbox.info, secret),
                              env=dict(example_env(sandbox.info), **(env or {})))
    assert rc == 0, out
    return out


def not_removal(task):
    """Neither a removal nor a task that shows what a removal returned."""
    return (not any(isinstance(args, dict) and args.get("state") == "absent" for args in task.values())
            and "dcr_removed" not in json.dumps(task))


# --------------------------------------------------------------------------- what each module's examples need first
def setup_claim(runner, sandbox):
    result, text = runner.module("curity_claim", connection(sandbox, name="kong_app_name", in_access_token=True))
    assert result.get("failed") is not True, text


def setup_scope(runner, sandbox):
    setup_claim(runner, sandbox)
    result, text = runner.module("curity_scope", connection(sandbox, name="kong-api", claims=["kong_app_name"]))
    assert result.get("failed") is not True, text


def setup_credential(runner, sandbox):
    return prepare_curity(runner, sandbox)


def setup_portal(runner, sandbox):
    return prepare_portal(runner, sandbox, Portal(sandbox.info, "v3"))


def setup_application(runner, sandbox):
    secret = setup_portal(runner, sandbox)
    result, text = runner.module("portal_application", app_args(sandbox.info, Portal(sandbox.info, "v3"),
                                                                approve_registrations=False))
    assert result.get("pending"), text
    return secret


SETUP = {
    "curity_claim": None,
    "dcr_setup": None,
    "curity_claim_info": setup_claim,
    "curity_scope": setup_claim,
    "curity_scope_info": setup_scope,
    "curity_token": setup_scope,
    "curity_token_info": setup_credential,
    "konnect_portal_dcr": setup_credential,
    "konnect_portal_dcr_info": setup_portal,
    "portal_application_info": setup_application,
}


def test_every_module_has_its_example_test():
    assert sorted(list(SETUP) + ["portal_application"]) == MODULES


@pytest.mark.parametrize("module", sorted(SETUP))
def test_examples_run_as_written(runner, sandbox, tmp_path, module):
    setup = SETUP[module]
    secret = setup(runner, sandbox) if setup else None
    run_examples(runner, sandbox, tmp_path, example_tasks(module, sandbox.info, tmp_path), secret)


def test_portal_application_examples_run_after_konnect_portal_dcr_examples(runner, sandbox, openbao, tmp_path):
    """The application examples use what the konnect_portal_dcr examples set up (both portals); the Vault example
    keeps the secret in a real OpenBao server, configured by the environment as the AWX credential injects it."""
    secret = setup_credential(runner, sandbox)
    setup = example_tasks("konnect_portal_dcr", sandbox.info, tmp_path, keep=not_removal)
    tasks = setup + example_tasks("portal_application", sandbox.info, tmp_path)
    before = openbao.current_version(VAULT_RECORD)
    run_examples(runner, sandbox, tmp_path, tasks, secret,
                 env={"VAULT_ADDR": openbao.url, "VAULT_TOKEN": openbao.token(), "VAULT_CACERT": openbao.ca_path})
    # The rotation example kept the new secret only in the credentials file (then the application was deleted).
    record = json.loads((tmp_path / "backoffice" / "orders-client.json").read_text())
    assert record["client_secret"] and record["portal_url"] == sandbox.info["portal_url"]
    assert os.stat(tmp_path / "backoffice" / "orders-client.json").st_mode & 0o777 == 0o600
    # The Vault example's rotation is one new version of the documented record.
    stored, version = openbao.read(VAULT_RECORD)
    assert version == before + 1
    assert stored["client_id"] == record["client_id"] and stored["client_secret"] != record["client_secret"]


VAULT_RECORD = "devportal-dcr/applications/orders-client"


def test_substitutions_only_touch_values(tmp_path):
    """Every example is still the same YAML structure after the substitutions (keys and task names unchanged)."""
    info = {k: "X" for k in ("curity_admin_url", "curity_issuer", "konnect_url", "portal_url", "classic_portal_url",
                             "developer_email", "classic_portal_name", "portal_name", "api_product_name",
                             "product_version_name", "api_name", "gateway_url", "route_path")}
    for module in MODULES:
        original = yaml.safe_load(examples(module))
        changed = example_tasks(module, info, tmp_path)
        assert [sorted(t) for t in changed] == [sorted(t) for t in original], module
        assert [t.get("name") for t in changed] == [t.get("name") for t in original], module
