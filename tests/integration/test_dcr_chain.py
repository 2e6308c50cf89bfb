# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole chain on both portal generations, and no secret in a verbose playbook's output."""

from __future__ import annotations

import pytest

from konnect_helpers import (
    GENERATIONS,
    Portal,
    app_args,
    curity_args,
    dcr_args,
    gateway_status,
    read_credentials,
    requests_of,
)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_curity_to_konnect_to_application_to_gateway(sandbox, runner, tmp_path, generation):
    info, portal = sandbox.info, Portal(sandbox.info, generation)
    curity, text = runner.module("curity_token", curity_args(info))
    assert curity["changed"] is True and curity["verified"] is True, text

    dcr, text = runner.module("konnect_portal_dcr", dcr_args(info, portal, curity["client_secret"]))
    assert dcr["changed"] is True and dcr["verified"] is True, text

    creds = str(tmp_path / "creds.json")
    app, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds))
    assert app["changed"] is True and [r["status"] for r in app["registrations"]] == ["approved"], text
    record = read_credentials(creds)
    assert record["client_id"] == app["client_id"] and record["client_secret"] == app["client_secret"]

    assert gateway_status(info, record["client_id"], record["client_secret"]) == 200
    assert gateway_status(info, record["client_id"], record["client_secret"] + "x") == 401

    rotated, text = runner.module("portal_application", app_args(info, portal, credentials_file=creds,
                                                                 regenerate_secret=True))
    assert rotated["changed"] is True, text
    new = read_credentials(creds)
    assert new["client_id"] == record["client_id"] and new["client_secret"] == rotated["client_secret"]
    assert gateway_status(info, record["client_id"], record["client_secret"]) == 401
    assert gateway_status(info, new["client_id"], new["client_secret"]) == 200

    # What really happened, from the sandbox's request log.
    konnect = requests_of(sandbox, "konnect")
    assert ("POST", "/v2/dcr-providers") in konnect and ("POST", "/v2/application-auth-strategies") in konnect
    assert ("PATCH", "/%s/portals/%s" % (generation, portal.id)) in konnect
    assert ("POST", "/v2/dcr-providers/%s/verify" % dcr["provider_id"]) in konnect
    rotation = "regenerate-secret" if generation == "v3" else "refresh-token"
    posts = [p.rsplit("/", 1)[-1] for m, p in requests_of(sandbox, "portal") if m == "POST"]
    assert [p for p in posts if p != "authenticate"] == ["applications", "registrations", rotation]
    runtime = requests_of(sandbox, "curity-runtime")
    assert ("POST", "/token-service/oauth-registration") in runtime  # Konnect registered the client in Curity
    assert [e["status"] for e in sandbox.requests("gateway")] == [200, 401, 401, 200]


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/devportal.dcr.konnect:
      konnect_url: "{{ konnect_url }}"
      konnect_token: "{{ konnect_token }}"
  vars:
    developer: &developer
      portal_url: "{{ portal_url }}"
      developer_email: "{{ developer_email }}"
      developer_password: "{{ developer_password }}"
      name: orders-client
      registrations: ["{{ api_name }}"]
      approve_registrations: true
    dcr: &dcr
      portal: "{{ portal_name }}"
      issuer: "{{ curity_issuer }}"
      initial_client_id: konnect-dcr
      initial_client_secret: "{{ initial_secret }}"
  tasks:
    - name: Curity credential with a known secret
      devportal.dcr.curity_token:
        admin_url: "{{ curity_admin_url }}"
        admin_username: "{{ curity_admin_username }}"
        admin_password: "{{ curity_admin_password }}"
        profile_id: "{{ curity_profile_id }}"
        issuer: "{{ curity_issuer }}"
        client_id: konnect-dcr
        secret: "{{ initial_secret }}"

    - name: DCR settings, the API not published with the strategy yet
      devportal.dcr.konnect_portal_dcr: *dcr

    - name: The application is created, then its registration fails; the secret is still in the result
      devportal.dcr.portal_application:
        <<: *developer
        credentials_file: "{{ workdir }}/creds.json"
      no_log: true
      ignore_errors: true
      register: app

    - name: Keep the secret from the failed task's result
      ansible.builtin.copy:
        content: "{{ app.client_secret }}"
        dest: "{{ workdir }}/rescued.txt"
        mode: "0600"
      no_log: true

    - name: Publish the API with the strategy
      devportal.dcr.konnect_portal_dcr:
        <<: *dcr
        apis: ["{{ api_name }}"]

    - name: The existing application is registered and approved (nothing secret to hide)
      devportal.dcr.portal_application: *developer
"""


def test_no_secret_in_a_verbose_diff_run(sandbox, runner, tmp_path):
    info = sandbox.info
    playbook = tmp_path / "chain.yml"
    playbook.write_text(PLAYBOOK)
    extra = dict((k, info[k]) for k in (
        "konnect_url", "konnect_token", "portal_url", "portal_name", "developer_email", "developer_password", "api_name",
        "curity_issuer", "curity_admin_url", "curity_admin_username", "curity_admin_password", "curity_profile_id"))
    extra.update(workdir=str(tmp_path), initial_secret="Initial-secret-of-the-playbook-42")
    rc, output = runner.playbook(str(playbook), extra_vars=extra, verbosity=4, diff=True)
    assert rc == 0, output[-3000:]
    assert "ok=6" in output and "failed=0" in output and "ignored=1" in output, output[-1500:]

    rescued = (tmp_path / "rescued.txt").read_text()
    stored = read_credentials(str(tmp_path / "creds.json"))
    assert rescued and rescued == stored["client_secret"]
    assert gateway_status(info, stored["client_id"], rescued) == 200  # the secret kept from the failure works

    for secret in (info["konnect_token"], info["developer_password"], info["curity_admin_password"],
                   extra["initial_secret"], rescued):
        assert secret not in output
    assert "portalaccesstoken=" not in output
    assert '"initial_client_secret": "********"' in output  # the diff shows that a secret is set, masked
