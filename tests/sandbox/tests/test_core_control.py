# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox's control contract, tested through ``serve`` as other suites use it."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SERVE = os.path.join(os.path.dirname(HERE), "serve")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

INFO_KEYS = {
    "curity_admin_url", "curity_admin_username", "curity_admin_password", "curity_profile_id", "curity_issuer",
    "konnect_url", "konnect_token", "portal_name", "portal_id", "portal_url", "classic_portal_name",
    "classic_portal_id", "classic_portal_url", "developer_email", "developer_password", "api_name", "api_id",
    "gateway_url", "route_path", "control_url",
}

README = os.path.join(os.path.dirname(HERE), "README.md")


def documented_info_keys():
    """{key: environment variable or ""} of the info file's table in the README."""
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Start it", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (`[A-Z_]+`)? ?\|", section, re.M)
    assert rows, "the README's table of the info file's keys is gone"
    return {key: env.strip("`") for key, env in rows}


def walkthrough_exports():
    """{key: environment variable} that the walkthrough's first block exports from the info file."""
    with open(README, encoding="utf-8") as handle:
        section = handle.read().split("## The manual procedure, by hand", 1)[1]
    first = re.findall(r"```sh\n(.*?)```", section, re.S)[0]
    return {key: name for name, key in re.findall(r"\b([A-Z][A-Z_]+): \.([a-z_]+)\b", first)}


def module_environment_variables():
    """The environment variables the collection's modules fall back to."""
    names = set()
    for folder in ("module_utils", "modules"):
        folder = os.path.join(REPO, "plugins", folder)
        for name in os.listdir(folder):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    names.update(re.findall(r'env_fallback, \["([A-Z_]+)"\]', handle.read()))
    return names


def start(tmp_path, *extra):
    info_file = tmp_path / "info.json"
    # The server outlives this function (stop() ends it), so no context manager.
    proc = subprocess.Popen([sys.executable, SERVE, "--info-file", str(info_file), *extra],  # pylint: disable=consider-using-with
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not info_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("serve did not start: %s" % proc.stdout.read().decode(errors="replace"))
        time.sleep(0.05)
    return proc, json.loads(info_file.read_text()), info_file


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(15)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    proc, info, info_file = start(tmp_path_factory.mktemp("serve"))
    yield info, info_file
    stop(proc)


@pytest.fixture
def control(served):
    info = served[0]
    session = requests.Session()
    session.trust_env = False
    base = info["control_url"]

    def call(method, path, **kwargs):
        return session.request(method, base + path, timeout=30, **kwargs)

    call("POST", "/reset")
    call("DELETE", "/requests")
    yield call
    call("DELETE", "/faults")


def admin_get(info, path="/data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server/scopes"):
    return requests.get(info["curity_admin_url"] + path, auth=(info["curity_admin_username"], info["curity_admin_password"]),
                        headers={"Accept": "application/yang-data+json"}, timeout=10)


def test_info_file_has_the_contract_keys_and_is_private(served):
    info, info_file = served
    assert INFO_KEYS <= set(info)
    assert info["curity_admin_url"].endswith("/admin/api/restconf")
    assert info["curity_issuer"].endswith("/oauth/v2/oauth-anonymous")
    assert not info["konnect_url"].rstrip("/").endswith(("/v2", "/v3"))
    assert "ca_path" not in info
    assert stat.S_IMODE(os.stat(info_file).st_mode) == 0o600


def test_every_key_of_the_info_file_is_documented(served):
    documented = documented_info_keys()
    assert sorted(served[0]) == sorted(set(documented) - {"ca_path"})  # ca_path only with --tls, tested there


def test_the_walkthrough_exports_the_documented_names_and_the_modules_read_those_it_shares_with_them():
    documented = {key: env for key, env in documented_info_keys().items() if env}
    assert walkthrough_exports() == documented
    module_names = module_environment_variables()
    assert {"CURITY_ADMIN_URL", "KONNECT_PORTAL_URL", "KONNECT_DEVELOPER_PASSWORD"} <= module_names
    for key, env in documented.items():
        assert env in module_names or not env.startswith(("CURITY_", "KONNECT_")), (key, env)
    # Every info key that a module option's environment variable stands for is exported under that name.
    for key, env in {"curity_admin_url": "CURITY_ADMIN_URL", "curity_admin_username": "CURITY_ADMIN_USERNAME",
                     "curity_admin_password": "CURITY_ADMIN_PASSWORD", "curity_profile_id": "CURITY_PROFILE_ID",
                     "curity_issuer": "CURITY_ISSUER", "konnect_url": "KONNECT_URL", "konnect_token": "KONNECT_TOKEN",
                     "portal_url": "KONNECT_PORTAL_URL", "developer_email": "KONNECT_DEVELOPER_EMAIL",
                     "developer_password": "KONNECT_DEVELOPER_PASSWORD"}.items():
        assert documented.get(key) == env and env in module_names, key


def test_health(control):
    assert control("GET", "/health").json() == {"status": "ok"}


def test_request_log_records_every_service_and_clears(served, control):
    info = served[0]
    admin_get(info)
    requests.get(info["curity_issuer"] + "/.well-known/openid-configuration", timeout=10)
    requests.get(info["konnect_url"] + "/v3/portals", headers={"Authorization": "Bearer " + info["konnect_token"]}, timeout=10)
    requests.get(info["gateway_url"] + "/nowhere", timeout=10)
    log = control("GET", "/requests").json()
    assert [(e["service"], e["method"]) for e in log] == [
        ("curity-admin", "GET"), ("curity-runtime", "GET"), ("konnect", "GET"), ("gateway", "GET")]
    assert log[0]["status"] == 200 and log[3]["status"] == 404
    assert log[2]["path"] == "/v3/portals"
    assert control("DELETE", "/requests").status_code == 204
    assert control("GET", "/requests").json() == []


def test_fault_status_with_retry_after_then_normal(served, control):
    info = served[0]
    fault = {"service": "curity-admin", "method": "GET", "path_regex": "/scopes$", "status": 503, "retry_after": 2, "count": 2}
    assert control("POST", "/faults", json=fault).status_code == 201
    first, second, third = admin_get(info), admin_get(info), admin_get(info)
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "2"
    assert "ietf-restconf:errors" in first.json()  # the service's own error format
    statuses = [e["status"] for e in control("GET", "/requests").json()]
    assert statuses == [503, 503, 200]


def test_fault_matches_method_and_path_only(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "konnect", "method": "POST", "status": 502})
    auth = {"Authorization": "Bearer " + info["konnect_token"]}
    assert requests.get(info["konnect_url"] + "/v3/portals", headers=auth, timeout=10).status_code == 200
    resp = requests.post(info["konnect_url"] + "/v2/dcr-providers", headers=auth, json={}, timeout=10)
    assert resp.status_code == 502
    assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_fault_connection_reset(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "reset_connection": True})
    with pytest.raises(requests.ConnectionError):
        admin_get(info)
    assert admin_get(info).status_code == 200


def test_fault_delay(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "delay_s": 1.0})
    with pytest.raises(requests.Timeout):
        requests.get(info["curity_admin_url"] + "/data", auth=(info["curity_admin_username"], info["curity_admin_password"]),
                     timeout=0.3)
    start_at = time.monotonic()
    assert admin_get(info).status_code == 200
    assert time.monotonic() - start_at < 0.9  # the delay was used up by the first request


def test_fault_body_replaces_the_answer(served, control):
    info = served[0]
    fault = {"service": "konnect", "method": "GET", "path_regex": "^/v3/portals$", "body": [1, "two"]}
    assert control("POST", "/faults", json=fault).status_code == 201
    auth = {"Authorization": "Bearer " + info["konnect_token"]}
    first = requests.get(info["konnect_url"] + "/v3/portals", headers=auth, timeout=10)
    assert first.status_code == 200 and first.json() == [1, "two"]
    assert requests.get(info["konnect_url"] + "/v3/portals", headers=auth, timeout=10).json()["data"]


def test_fault_body_with_status_and_any_retry_after(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "status": 429, "body": {"x": 1},
                                     "retry_after": "Fri, 31 Dec 10000 23:59:59 GMT"})
    resp = admin_get(info)
    assert resp.status_code == 429 and resp.json() == {"x": 1}
    assert resp.headers["Retry-After"] == "Fri, 31 Dec 10000 23:59:59 GMT"


def test_fault_headers_make_a_redirect(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "status": 302, "headers": {"Location": "http://elsewhere/x"}})
    resp = requests.get(info["curity_admin_url"] + "/data", allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"] == "http://elsewhere/x"


def test_fault_headers_are_sent_exactly_as_given(served, control):
    info = served[0]
    location = "http://user:pa@ss@elsewhere/x y"  # neither a valid URI nor rewritten into one
    control("POST", "/faults", json={"service": "gateway", "status": 302, "headers": {"Location": location}})
    resp = requests.get(info["gateway_url"] + "/x", allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"] == location


def test_fault_trickle_sends_the_real_answer_slowly(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "trickle_s": 0.01})
    start_at = time.monotonic()
    resp = admin_get(info)
    assert resp.status_code == 200 and "profile-oauth:scopes" in resp.json()
    assert time.monotonic() - start_at >= 0.01 * (len(resp.content) - 1) * 0.9


def test_fault_echo_answers_with_the_request_headers_included(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "gateway", "path_regex": "^/anything", "echo": True, "count": 2})
    first = requests.post(info["gateway_url"] + "/anything/x?a=1", auth=("id", "secret"), data="payload", timeout=10)
    assert first.status_code == 200
    echoed = first.json()
    assert echoed["method"] == "POST" and echoed["args"] == {"a": ["1"]} and echoed["data"] == "payload"
    assert echoed["headers"]["Authorization"] == "Basic aWQ6c2VjcmV0"  # base64 of id:secret, as httpbin shows it
    control("POST", "/faults", json={"service": "gateway", "echo": True, "status": 401})
    assert requests.get(info["gateway_url"] + "/x", timeout=10).status_code == 401


def test_fault_body_bytes_sends_a_large_json_answer_in_pieces(served, control):
    info = served[0]
    size = 5 * 1024 * 1024 + 3
    control("POST", "/faults", json={"service": "curity-admin", "body_bytes": size})
    resp = admin_get(info)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("application/yang-data+json")
    assert int(resp.headers["Content-Length"]) == len(resp.content) and len(resp.json()["padding"]) == size


@pytest.mark.parametrize("body", [{"service": "nope", "status": 500}, {"status": 99}, {"count": 0, "status": 500},
                                  {"trickle_s": -1}, {"trickle_s": "slow"}, {"headers": {"A": "b"}},
                                  {"status": 302, "headers": {"A": 1}},
                                  {"service": "konnect"}, {"status": 500, "path_regex": "("}, {"status": 500, "bogus": 1},
                                  {"echo": "yes"}, {"body_bytes": -1}, {"body_bytes": True}, {"echo": True, "body": {}},
                                  {"body_bytes": 10, "body": {}}])
def test_bad_fault_is_refused(control, body):
    resp = control("POST", "/faults", json=body)
    assert resp.status_code == 400 and resp.json()["error"]


def test_delete_faults(served, control):
    info = served[0]
    control("POST", "/faults", json={"service": "curity-admin", "status": 500, "count": 5})
    assert control("DELETE", "/faults").status_code == 204
    assert admin_get(info).status_code == 200


def test_reset_restores_the_seed_and_keeps_credentials(served, control):
    info = served[0]
    auth = (info["curity_admin_username"], info["curity_admin_password"])
    url = info["curity_admin_url"] + "/data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server/scopes/scope=extra"
    created = requests.put(url, auth=auth, headers={"Content-Type": "application/yang-data+json"},
                           json={"profile-oauth:scope": [{"id": "extra"}]}, timeout=10)
    assert created.status_code == 201
    assert control("POST", "/reset").status_code == 204
    assert requests.get(url, auth=auth, headers={"Accept": "application/yang-data+json"}, timeout=10).status_code == 404
    assert admin_get(info).status_code == 200  # same password after reset
    portal = requests.get(info["konnect_url"] + "/v3/portals/" + info["portal_id"],
                          headers={"Authorization": "Bearer " + info["konnect_token"]}, timeout=10)
    assert portal.status_code == 200 and portal.json()["name"] == info["portal_name"]


def test_gateway_delays_are_off_until_set_and_after_a_reset(served, control):
    off = {"config_delay_s": 0.0, "credential_cache_s": 0.0}
    assert control("GET", "/gateway").json() == off
    answer = control("PUT", "/gateway", json={"config_delay_s": 1.5, "credential_cache_s": 2})
    assert answer.status_code == 200 and answer.json() == {"config_delay_s": 1.5, "credential_cache_s": 2.0}
    lowered = control("PUT", "/gateway", json={"credential_cache_s": 0}).json()
    assert lowered == {"config_delay_s": 1.5, "credential_cache_s": 0.0}
    for bad in ({"config_delay_s": -1}, {"config_delay_s": "1"}, {"config_delay_s": True}, {"delay": 1},
                {"credential_cache_s": 301}, ["config_delay_s"]):
        refused = control("PUT", "/gateway", json=bad)
        assert refused.status_code == 400 and refused.json()["error"], bad
    assert control("GET", "/gateway").json()["config_delay_s"] == 1.5
    assert control("POST", "/reset").status_code == 204
    assert control("GET", "/gateway").json() == off


def test_violations_endpoint(served, control):
    assert control("GET", "/violations").status_code == 200
    assert control("DELETE", "/violations").status_code == 204


def test_tls_serves_https_signed_by_the_generated_ca(tmp_path):
    proc, info, dummy = start(tmp_path, "--tls")
    try:
        assert os.path.isfile(info["ca_path"])
        assert sorted(info) == sorted(documented_info_keys())
        for key in ("curity_admin_url", "curity_issuer", "konnect_url", "gateway_url", "control_url"):
            assert info[key].startswith("https://127.0.0.1:"), key
        portal_hosts = {urlsplit(info[key]).hostname for key in ("portal_url", "classic_portal_url")}
        assert len(portal_hosts) == 2 and all(h.startswith("127.") and h != "127.0.0.1" for h in portal_hosts)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(info["control_url"] + "/health", timeout=10)
        assert requests.get(info["control_url"] + "/health", verify=info["ca_path"], timeout=10).status_code == 200
        for key in ("portal_url", "classic_portal_url"):  # each portal's certificate names its own address
            context = requests.get(info[key] + "/api/%s/portal" % ("v2" if "classic" in key else "v3"),
                                   verify=info["ca_path"], timeout=10)
            assert context.status_code == 200, key
        discovery = requests.get(info["curity_issuer"] + "/.well-known/openid-configuration", verify=info["ca_path"],
                                 timeout=10).json()
        assert discovery["token_endpoint"].startswith("https://")
    finally:
        assert stop(proc) == 0


@pytest.mark.skipif(not os.access(os.path.join(REPO, ".venv", "bin", "python"), os.X_OK),
                    reason="needs the project's .venv (make test or make demo creates it)")
def test_serve_starts_from_the_repository_root_with_the_system_path_only(tmp_path):
    """The documented contract: ``tests/sandbox/serve --info-file PATH`` from the root, no venv (or python) on PATH."""
    info_file = tmp_path / "info.json"
    env = {"PATH": os.defpath, "HOME": str(tmp_path)}
    for key in ("KONNECT_SPECS_DIR", "TMPDIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    proc = subprocess.Popen(["tests/sandbox/serve", "--info-file", str(info_file)], cwd=REPO, env=env,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists():
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        info = json.loads(info_file.read_text())
        assert requests.get(info["control_url"] + "/health", timeout=10).json() == {"status": "ok"}
    finally:
        assert stop(proc) == 0


@pytest.mark.skipif(not os.access(os.path.join(REPO, ".venv", "bin", "python"), os.X_OK),
                    reason="needs the project's .venv (make test or make demo creates it)")
def test_serve_started_by_a_python_without_the_libraries_moves_to_the_venv(tmp_path):
    """``python3 tests/sandbox/serve`` with an interpreter lacking the sandbox's libraries (isolated mode)."""
    info_file = tmp_path / "info.json"
    proc = subprocess.Popen([sys.executable, "-I", "-S", "tests/sandbox/serve", "--info-file", str(info_file)],  # pylint: disable=consider-using-with
                            cwd=REPO, env={"PATH": os.defpath, "HOME": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists():
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        assert json.loads(info_file.read_text())["konnect_url"].startswith("http://127.0.0.1:")
    finally:
        assert stop(proc) == 0


def test_sigint_stops_cleanly(tmp_path):
    proc, dummy, dummy2 = start(tmp_path)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0
