# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX/Tower readiness: the credential types and playbooks/dcr_curity.yml as an AWX job.

AWX runs a job with ansible-runner; credentials reach the playbook only through what their
credential type injects.  The injection is reproduced here the way AWX does it (AWX's
``CredentialType.inject_credential``: a namespace of the credential's inputs in which a boolean
the credential does not set is false, file injectors written first and named through
``tower.filename``, every template rendered in Jinja's immutable sandbox), from the YAML files
under extensions/awx/credential_types.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys

import ansible_runner
import pytest
import requests
import yaml
from jinja2 import meta as jinja_meta
from jinja2 import sandbox as jinja_sandbox

from harness import REPO

TYPES_DIR = os.path.join(REPO, "extensions", "awx", "credential_types")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
HARMLESS = re.compile(r"(/developer/(authenticate|logout|refresh)|/oauth/v2/oauth-token|^/v2/dcr-providers/[^/]+/verify)$")
ENV_FALLBACK = re.compile(r"env_fallback,\s*\[([^\]]*)\]")


def credential_type(name):
    with open(os.path.join(TYPES_DIR, name + ".yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def inject(ctype, inputs, workdir):
    """(env, extra_vars) that AWX injects for a credential of ``ctype`` holding ``inputs``."""

    class Namespace:  # pylint: disable=too-few-public-methods
        pass

    tower = Namespace()
    namespace = {"tower": tower}
    namespace.update({k: v for k, v in inputs.items() if isinstance(v, bool) or len(v)})
    for field in ctype["inputs"]["fields"]:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    env = jinja_sandbox.ImmutableSandboxedEnvironment()
    injectors = ctype.get("injectors", {})
    for label, template in injectors.get("file", {}).items():
        path = os.path.join(workdir, "%s-%s" % (ctype["name"].replace(" ", "_"), label))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(env.from_string(template).render(**namespace))
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env_vars = {k: env.from_string(t).render(**namespace) for k, t in injectors.get("env", {}).items()}
    extra_vars = {k: env.from_string(t).render(**namespace) for k, t in injectors.get("extra_vars", {}).items()}
    return env_vars, extra_vars


def module_env_fallbacks():
    """Every environment variable the collection's modules fall back to."""
    names = set()
    for path in glob.glob(os.path.join(REPO, "plugins", "module_utils", "*.py")) + \
            glob.glob(os.path.join(REPO, "plugins", "modules", "*.py")):
        with open(path, encoding="utf-8") as handle:
            for match in ENV_FALLBACK.finditer(handle.read()):
                names.update(n.strip().strip("'\"") for n in match.group(1).split(",") if n.strip())
    return names


def config_writes(sandbox):
    return ["%s %s %s" % (e["service"], e["method"], e["path"]) for e in sandbox.requests()
            if e["method"] in WRITES and e["service"] != "gateway" and not HARMLESS.search(e["path"])]


# ----------------------------------------------------------------------------- credential types
def test_credential_types_inject_exactly_the_modules_environment_variables(tmp_path):
    fallbacks = module_env_fallbacks()
    assert {"CURITY_ADMIN_PASSWORD", "KONNECT_TOKEN", "KONNECT_DEVELOPER_PASSWORD"} <= fallbacks
    injected = set()
    for path in sorted(glob.glob(os.path.join(TYPES_DIR, "*.yml"))):
        ctype = credential_type(os.path.basename(path)[:-4])
        assert {"name", "description", "kind", "inputs", "injectors"} <= set(ctype), path
        fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
        assert set(ctype["inputs"].get("required", [])) <= set(fields), path
        # Every secret input is marked secret (AWX then stores it encrypted and shows $encrypted$).
        for fid, field in fields.items():
            if re.search(r"password|token|secret", fid):
                assert field.get("secret") is True, "%s: %s is not secret" % (path, fid)
        env_vars = inject(ctype, {}, str(tmp_path))[0]
        injected.update(env_vars)
    assert injected <= fallbacks, "injected but no module reads it: %s" % sorted(injected - fallbacks)
    # AWX refuses a credential type that injects a variable named ANSIBLE_* (its injector field's
    # validate_env_var_allowed): those fallbacks (community.hashi_vault's) have an injectable twin.
    refused = {n for n in injected if n.startswith("ANSIBLE_")}
    assert not refused, "AWX refuses to register a credential type that injects %s" % sorted(refused)
    not_injectable = {n for n in fallbacks if n.endswith("_TIMEOUT") or n.startswith("ANSIBLE_")}
    assert fallbacks - not_injectable <= injected, "no credential type injects %s" % sorted(
        fallbacks - not_injectable - injected)


def test_injector_templates_name_only_the_credentials_inputs():
    """An input left empty is not defined when AWX renders an injector: a template naming anything but an input
    (or ``tower``) would render a Jinja global instead (``namespace`` renders as a class name)."""
    jinja_globals = set(jinja_sandbox.ImmutableSandboxedEnvironment().globals)
    env = jinja_sandbox.ImmutableSandboxedEnvironment()
    env.globals.clear()  # so that a name of a global counts as a name the template looks up
    for path in sorted(glob.glob(os.path.join(TYPES_DIR, "*.yml"))):
        ctype = credential_type(os.path.basename(path)[:-4])
        fields = {f["id"] for f in ctype["inputs"]["fields"]}
        assert not fields & jinja_globals, "%s: inputs named like Jinja globals: %s" % (path, sorted(fields & jinja_globals))
        for kind, templates in ctype.get("injectors", {}).items():
            for name, template in templates.items():
                names = jinja_meta.find_undeclared_variables(env.parse(template))
                assert names <= fields | {"tower"}, "%s: %s %s names %s" % (path, kind, name, sorted(names - fields))


@pytest.mark.parametrize("name, var, verifying, skipping, ca_var", [
    ("curity_admin", "CURITY_VALIDATE_CERTS", "true", "false", "CURITY_CA_PATH"),
    ("konnect_admin", "KONNECT_VALIDATE_CERTS", "true", "false", "KONNECT_CA_PATH"),
    ("vault_secret_store", "VAULT_SKIP_VERIFY", "false", "true", "VAULT_CACERT"),
])
def test_tls_verification_stays_on_when_the_credential_does_not_set_it(tmp_path, name, var, verifying, skipping, ca_var):
    ctype = credential_type(name)
    assert inject(ctype, {}, str(tmp_path))[0][var] == verifying
    assert inject(ctype, {"skip_tls_verify": True}, str(tmp_path))[0][var] == skipping
    # No CA given: no CA path (the empty file AWX writes anyway is not used).
    assert inject(ctype, {}, str(tmp_path))[0][ca_var] == ""
    env_vars = inject(ctype, {"ca_cert": "-----BEGIN CERTIFICATE-----\n"}, str(tmp_path))[0]
    with open(env_vars[ca_var], encoding="utf-8") as handle:
        assert handle.read().startswith("-----BEGIN CERTIFICATE-----")


# ----------------------------------------------------------------------------- the job
def awx_credentials(info, tmp_path):
    """The environment of a job with the three credentials attached (AWX's injection)."""
    env = {}
    for name, inputs in (
            ("curity_admin", {"admin_url": info["curity_admin_url"], "admin_username": info["curity_admin_username"],
                              "admin_password": info["curity_admin_password"], "profile_id": info["curity_profile_id"],
                              "issuer": info["curity_issuer"]}),
            ("konnect_admin", {"konnect_url": info["konnect_url"], "konnect_token": info["konnect_token"]}),
            ("konnect_portal_developer", {"portal_url": info["portal_url"], "developer_email": info["developer_email"],
                                          "developer_password": info["developer_password"]})):
        env_vars, extra_vars = inject(credential_type(name), inputs, str(tmp_path))
        assert extra_vars == {}
        env.update(env_vars)
    return env


def run_job(tmp_path, name, env, extravars, check):
    """One AWX-style job: a private data dir with the project, an inventory with localhost."""
    private = tmp_path / name
    shutil.copytree(os.path.join(REPO, "playbooks"), str(private / "project" / "playbooks"))
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    env = dict(env, PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", os.defpath)]))
    result = ansible_runner.run(
        private_data_dir=str(private), playbook="playbooks/dcr_curity.yml", envvars=env, extravars=extravars,
        cmdline="--check --diff" if check else "--diff", quiet=True)
    with open(result.stdout.name, encoding="utf-8") as handle:
        stdout = handle.read()
    # The job events are what AWX stores and shows (ansible-runner's own record of the environment it
    # was handed, artifacts/*/command, is not: AWX keeps a sanitised copy of the environment instead).
    events = []
    for path in glob.glob(os.path.join(str(private), "artifacts", "*", "job_events", "*.json")):
        with open(path, encoding="utf-8", errors="replace") as handle:
            events.append(handle.read())
    assert events
    return result, stdout, "\n".join(events)


def test_main_playbook_as_an_awx_job_with_credentials_from_the_environment_only(runner, sandbox, tmp_path):
    info = sandbox.info
    injected = awx_credentials(info, tmp_path)
    # The collection (as an execution environment has it) and private temporary folders, then exactly
    # the credentials' variables.
    env = {k: v for k, v in runner.env({}).items() if not k.startswith(("CURITY_", "KONNECT_"))}
    env.update(injected)
    credentials_file = str(tmp_path / "job-app.credentials.json")
    # Only non-secret extra vars, as in a job template.
    extravars = {
        "dcr_curity_portal": info["portal_name"],
        "dcr_curity_apis": [info["api_name"]],
        "dcr_curity_applications": [{"name": "job-app", "registrations": [info["api_name"]],
                                     "approve_registrations": True, "credentials_file": credentials_file}],
        "dcr_curity_request_url": info["gateway_url"] + info["route_path"],
        "dcr_curity_request_retries": 1,
    }
    secrets = {"Curity admin password": info["curity_admin_password"], "Konnect token": info["konnect_token"],
               "developer password": info["developer_password"]}
    assert not any(value in json.dumps(extravars) for value in secrets.values())

    result, checked, check_artifacts = run_job(tmp_path, "check", env, extravars, check=True)
    assert (result.status, result.rc) == ("successful", 0), checked[-4000:]
    assert result.stats["changed"]["localhost"] > 0
    assert config_writes(sandbox) == []
    assert requests.get(info["konnect_url"] + "/v2/dcr-providers", timeout=30,
                        headers={"Authorization": "Bearer " + info["konnect_token"]}).json()["data"] == []

    sandbox.clear_requests()
    result, applied, apply_artifacts = run_job(tmp_path, "apply", env, extravars, check=False)
    assert (result.status, result.rc) == ("successful", 0), applied[-4000:]
    assert config_writes(sandbox)
    providers = requests.get(info["konnect_url"] + "/v2/dcr-providers", timeout=30,
                             headers={"Authorization": "Bearer " + info["konnect_token"]}).json()["data"]
    assert [(p["issuer"], p["dcr_config"]["initial_client_id"]) for p in providers] == [
        (info["curity_issuer"], "konnect-dcr")]
    with open(credentials_file, encoding="utf-8") as handle:
        credentials = json.load(handle)
    answer = requests.get(info["gateway_url"] + info["route_path"], timeout=30,
                          auth=(credentials["client_id"], credentials["client_secret"]))
    assert answer.status_code == 200
    assert "Gateway answered 200" in applied

    secrets["application client secret"] = credentials["client_secret"]
    for text in (checked, check_artifacts, applied, apply_artifacts):
        for what, value in secrets.items():
            assert value not in text, "the %s appears in the job output or its events" % what


@pytest.mark.parametrize("missing, words", [("CURITY_ADMIN_PASSWORD", "Curity's admin API is not configured"),
                                            ("KONNECT_TOKEN", "Konnect's admin API is not configured")])
def test_a_job_without_a_credential_fails_before_any_request(runner, sandbox, tmp_path, missing, words):
    info = sandbox.info
    env = {k: v for k, v in runner.env({}).items() if not k.startswith(("CURITY_", "KONNECT_"))}
    env.update(awx_credentials(info, tmp_path))
    del env[missing]
    result, stdout = run_job(tmp_path, "job", env, {"dcr_curity_portal": info["portal_name"]}, check=False)[:2]
    assert result.status == "failed", stdout[-3000:]
    assert words in stdout
    assert sandbox.requests() == []
