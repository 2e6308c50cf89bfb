# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role playbooks of README.md and roles/dcr_curity/README.md, run as written against the sandbox.

Each playbook is the fenced ``yaml`` block of the markdown that plays the ``devportal.dcr.dcr_curity``
role, read at test time.  Only values change: the portal, issuer and API names become the sandbox's.
Everything else comes as a new user gives it: the connection settings through the modules' documented
environment variables (``CURITY_*``, ``KONNECT_*``), the vault variable as an extra var, and ``HOME``
a fresh temporary folder (so ``~/.config/dcr/`` does not exist yet).
"""

from __future__ import annotations

import json
import os
import re
import stat

import requests
import yaml

from curity_helpers import PROFILE_PATH, SERVER_PATH, CurityReader
from harness import REPO
from test_role_dcr_curity import config_writes, gateway, gateway_settles, konnect, recap

ROLE = "devportal.dcr.dcr_curity"
README = os.path.join(REPO, "README.md")
ROLE_README = os.path.join(REPO, "roles", "dcr_curity", "README.md")
EXAMPLE_ISSUER = "https://idsvr.example.com/oauth/v2/oauth-anonymous"
ROLES = "/data/base:environments/environment/services/service-role"
DCR_ENDPOINT = "token-service-dynamic-client-registration"


def yaml_blocks(path):
    with open(path, encoding="utf-8") as handle:
        return re.findall(r"^```yaml\n(.*?)^```", handle.read(), re.S | re.M)


def plays_the_role(text):
    plays = yaml.safe_load(text)
    return isinstance(plays, list) and any(
        isinstance(play, dict) and any((r.get("role") if isinstance(r, dict) else r) == ROLE
                                       for r in play.get("roles") or []) for play in plays)


def role_playbooks(path):
    return [block for block in yaml_blocks(path) if plays_the_role(block)]


def substituted(text, replacements):
    for old, new in replacements:
        assert old in text, "the example no longer has %r" % old
        text = text.replace(old, new)
    return text


def replacements_role_readme(info):
    return [("dcr_curity_portal: developer-portal", "dcr_curity_portal: " + info["portal_name"]),
            (EXAMPLE_ISSUER, info["curity_issuer"].rstrip("/")),
            ("[orders-api]", "[%s]" % info["api_name"])]


def replacements_readme(info):
    return [("dcr_curity_portal: My Portal", "dcr_curity_portal: " + info["portal_name"]),
            (EXAMPLE_ISSUER, info["curity_issuer"].rstrip("/")),
            ("[orders-api]", "[%s]" % info["api_name"])]


def user_env(info, home):
    """The documented environment variables, as a user (or AWX's credential types) sets them."""
    return {"HOME": str(home),
            "CURITY_ADMIN_URL": info["curity_admin_url"], "CURITY_ADMIN_USERNAME": info["curity_admin_username"],
            "CURITY_ADMIN_PASSWORD": info["curity_admin_password"], "CURITY_PROFILE_ID": info["curity_profile_id"],
            "KONNECT_URL": info["konnect_url"], "KONNECT_TOKEN": info["konnect_token"],
            "KONNECT_PORTAL_URL": info["portal_url"], "KONNECT_DEVELOPER_EMAIL": info["developer_email"],
            "KONNECT_DEVELOPER_PASSWORD": info["developer_password"]}


def write_playbook(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def assert_no_secret(output, secrets):
    for what, value in secrets.items():
        assert value not in output, "the %s appears in the output" % what


def sandbox_secrets(info):
    return {"Curity admin password": info["curity_admin_password"], "Konnect token": info["konnect_token"],
            "developer password": info["developer_password"]}


def leaves(value, path=""):
    """{path: scalar} of a YAML document."""
    if isinstance(value, dict):
        return dict(item for key, sub in value.items() for item in leaves(sub, "%s/%s" % (path, key)).items())
    if isinstance(value, list):
        return dict(item for index, sub in enumerate(value) for item in leaves(sub, "%s/%d" % (path, index)).items())
    return {path: value}


# ----------------------------------------------------------------------------- the tests
def test_each_readme_has_one_role_playbook_and_the_substitutions_change_only_values():
    info = {"portal_name": "P", "curity_issuer": "http://127.0.0.1:1/oauth/", "api_name": "A"}
    names = {"/0/roles/0/vars/dcr_curity_portal": "P", "/0/roles/0/vars/dcr_curity_issuer": "http://127.0.0.1:1/oauth",
             "/0/roles/0/vars/dcr_curity_apis/0": "A"}
    readme_names = dict(names, **{"/0/roles/0/vars/dcr_curity_applications/0/registrations/0": "A"})
    for path, replace, expected in ((ROLE_README, replacements_role_readme, names),
                                    (README, replacements_readme, readme_names)):
        blocks = role_playbooks(path)
        assert len(blocks) == 1, path
        original, changed = leaves(yaml.safe_load(blocks[0])), leaves(yaml.safe_load(substituted(blocks[0], replace(info))))
        assert sorted(changed) == sorted(original), path
        assert {key: changed[key] for key in original if changed[key] != original[key]} == expected, path


def test_role_readme_example_plans_then_applies(runner, sandbox, tmp_path):
    info = sandbox.info
    playbook = write_playbook(tmp_path, substituted(role_playbooks(ROLE_README)[0], replacements_role_readme(info)),
                              "role_readme.yml")
    secret = "Vault-DCR-%s" % os.urandom(12).hex()
    env = user_env(info, tmp_path / "home")
    (tmp_path / "home").mkdir()

    rc, checked = runner.playbook(playbook, extra_vars={"vault_dcr_client_secret": secret}, check=True, diff=True,
                                  env=env)
    assert rc == 0, checked[-6000:]
    assert config_writes(sandbox) == []
    assert "changes (check mode)" in checked
    assert konnect(sandbox, "/v2/dcr-providers")["data"] == []

    sandbox.clear_requests()
    rc, applied = runner.playbook(playbook, extra_vars={"vault_dcr_client_secret": secret}, env=env)
    assert rc == 0, applied[-6000:]
    assert recap(applied)["changed"] == 1 and config_writes(sandbox)
    # Konnect: the provider holds the vault secret (Konnect verifies it at Curity), the portal's default strategy
    # uses it, and the API is published with that strategy.
    providers = konnect(sandbox, "/v2/dcr-providers")["data"]
    assert [p["dcr_config"]["initial_client_id"] for p in providers] == ["konnect-dcr"]
    verified = requests.post(info["konnect_url"] + "/v2/dcr-providers/%s/verify" % providers[0]["id"],
                             headers={"Authorization": "Bearer " + info["konnect_token"]}, timeout=30).json()
    assert verified.get("status") == "success", verified
    strategy_id = konnect(sandbox, "/v3/portals/%s" % info["portal_id"])["default_application_auth_strategy_id"]
    assert konnect(sandbox, "/v2/application-auth-strategies/%s" % strategy_id)["dcr_provider"]["id"] == providers[0]["id"]
    publication = konnect(sandbox, "/v3/apis/%s/publications/%s" % (info["api_id"], info["portal_id"]))
    assert publication["auth_strategy_ids"] == [strategy_id]
    # Curity: the DCR credential works with the vault secret.
    token = requests.post(discovery(info)["token_endpoint"], auth=("konnect-dcr", secret),
                          data={"grant_type": "client_credentials", "scope": "dcr"}, timeout=30)
    assert token.status_code == 200, token.text

    sandbox.clear_requests()
    rc, again = runner.playbook(playbook, extra_vars={"vault_dcr_client_secret": secret}, env=env)
    assert rc == 0, again[-6000:]
    assert recap(again)["changed"] == 0 and config_writes(sandbox) == []
    for output in (checked, applied, again):
        assert_no_secret(output, dict(sandbox_secrets(info), **{"vault secret": secret}))


def discovery(info):
    resp = requests.get(info["curity_issuer"] + "/.well-known/openid-configuration", timeout=30)
    resp.raise_for_status()
    return resp.json()


def test_readme_example_plans_then_applies_and_its_credentials_file_works_at_the_gateway(runner, sandbox, tmp_path):
    info = sandbox.info
    playbook = write_playbook(tmp_path, substituted(role_playbooks(README)[0], replacements_readme(info)),
                              "readme.yml")
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(info, home)
    credentials = home / ".config" / "dcr" / "my-app.json"

    rc, checked = runner.playbook(playbook, check=True, diff=True, env=env)
    assert rc == 0, checked[-6000:]
    assert config_writes(sandbox) == []
    assert "Dev Portal application my-app (portal_application): changes (check mode)" in checked, checked[-6000:]
    assert not (home / ".config").exists()  # check mode writes nothing, locally either

    sandbox.clear_requests()
    rc, applied = runner.playbook(playbook, env=env)
    assert rc == 0, applied[-6000:]
    assert recap(applied)["changed"] == 1 and config_writes(sandbox)
    for folder in (credentials.parent, credentials.parent.parent):  # ~/.config/dcr and ~/.config, both created
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    record = json.loads(credentials.read_text())
    assert record["client_id"] in applied  # the client id is shown, the secret never
    assert_no_secret(checked + applied, dict(sandbox_secrets(info), **{"application secret": record["client_secret"]}))
    statuses = [gateway(sandbox, auth).status_code
                for auth in ((record["client_id"], record["client_secret"]), (record["client_id"], "wrong-secret"), None)]
    assert statuses == [200, 401, 401]  # the credentials file's secret, a wrong one, none

    sandbox.clear_requests()
    rc, again = runner.playbook(playbook, env=env)
    assert rc == 0, again[-6000:]
    assert recap(again)["changed"] == 0 and config_writes(sandbox) == []
    assert json.loads(credentials.read_text()) == record


def test_on_a_fresh_curity_the_readme_example_does_every_curity_step_and_its_teardown_takes_the_dcr_endpoint_back(
        runner, sandbox, tmp_path):
    info = sandbox.info
    reader = CurityReader(sandbox)
    # A new user's fresh Curity, as the issue's reproduction has it: no DCR endpoint (the seed has none) and, taken out
    # with a plain RESTCONF request, no client credentials capability on the token profile.
    reader.write("DELETE", SERVER_PATH + "/client-capabilities/client-credentials")
    seed_roles = reader.get(ROLES + "=default")[0]["endpoints"]
    playbook = write_playbook(tmp_path, substituted(role_playbooks(README)[0], replacements_readme(info)), "fresh.yml")
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(info, home)
    sandbox.clear_requests()

    rc, checked = runner.playbook(playbook, check=True, diff=True, env=env)
    assert rc == 0, checked[-6000:]
    assert config_writes(sandbox) == []
    # the Curity step's diff predicts every change: capability, endpoint and deployment, token issuers, client, DCR
    # (Ansible's own diff: one before/after per object, headed by the step and the object)
    for section in ("client_capabilities", "dcr_endpoint", "token_issuer", "userinfo_token_issuer", "client",
                    "dynamic_client_registration"):
        header = "Curity DCR credential and DCR settings (curity_token): %s\n" % section
        assert "--- before: " + header in checked and "+++ after: " + header in checked, (section, checked[-6000:])
    assert '"service_roles": [' in checked
    assert "Curity DCR credential and DCR settings (curity_token): changes (check mode)" in checked

    sandbox.clear_requests()
    rc, applied = runner.playbook(playbook, env=env)
    assert rc == 0, applied[-6000:]
    registered = [e for e in sandbox.requests("curity-runtime", ["POST"]) if e["path"].endswith("/oauth-registration")]
    assert [e["status"] for e in registered] == [201]  # Konnect registered the application in Curity (RFC 7591)
    record = json.loads((home / ".config" / "dcr" / "my-app.json").read_text())
    # Accepted once the gateway has Konnect's changes (its push delay).
    assert gateway_settles(sandbox, (record["client_id"], record["client_secret"]), status=200) == 200
    assert reader.get(SERVER_PATH + "/client-capabilities")["client-credentials"] == [None]
    assert reader.get(ROLES + "=default")[0]["endpoints"] == seed_roles + [DCR_ENDPOINT]
    assert reader.get(PROFILE_PATH + "/token-issuers/custom-token-issuer=userinfo,jwt,userinfo") is not None
    assert "access-token-as-jwt" in reader.token_issuer()

    sandbox.clear_requests()
    rc, again = runner.playbook(playbook, env=env)
    assert rc == 0, again[-6000:]
    assert recap(again)["changed"] == 0 and config_writes(sandbox) == []

    rc, teardown = runner.playbook(playbook, extra_vars={"dcr_curity_state": "absent"}, env=env)
    assert rc == 0, teardown[-6000:]
    assert reader.get(ROLES + "=default")[0]["endpoints"] == seed_roles  # no DCR endpoint deployed that the run deployed
    assert reader.get(PROFILE_PATH + "/endpoints/endpoint=" + DCR_ENDPOINT) is None
    assert reader.get(PROFILE_PATH + "/token-issuers/custom-token-issuer=userinfo,jwt,userinfo") is None
    assert "registration_endpoint" not in discovery(info)
    for output in (checked, applied, again, teardown):
        assert_no_secret(output, dict(sandbox_secrets(info), **{"application secret": record["client_secret"]}))
