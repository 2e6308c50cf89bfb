# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dcr_curity role with the Vault secret store: the sandbox plus a real OpenBao server.

The store is configured as the AWX credential type configures it: ``dcr_curity_secret_store: vault`` and the
environment (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT), nothing else.  The applications have no credentials file, so
every secret a run is shown once lives in the store only.  Outcomes are read independently: the records with
plain hvac and OpenBao's root token, the writes OpenBao received from its audit log, the writes Curity and Konnect
received from the sandbox's request log, the credentials through the gateway.
"""

from __future__ import annotations

import os

import hvac
import pytest

from harness import REPO
from test_role_dcr_curity import REQUEST, assert_ok, config_writes, gateway_settles, recap

APP = "devportal-dcr/applications/demo-app"
DCR = "devportal-dcr/dcr-credentials/konnect-dcr"
READ_ONLY_POLICY = 'path "secret/data/devportal-dcr/*" { capabilities = ["read"] }'


@pytest.fixture(autouse=True)
def gateway_as_in_front_of_konnect(sandbox):
    sandbox.gateway_delays(config_delay_s=1.0, credential_cache_s=2.0)


@pytest.fixture
def vault(openbao):
    """The environment of the AWX credential (a token with the writer policy); the role's records removed first (the
    server lives for the whole session, the sandbox is back at its seed for each test)."""
    for path in (APP, DCR):
        openbao.api("DELETE", "secret/metadata/" + path)
    return {"VAULT_ADDR": openbao.url, "VAULT_TOKEN": openbao.token(), "VAULT_CACERT": openbao.ca_path}


def extra(sandbox, **more):
    """The sandbox inventory's settings with the Vault store and an application without a credentials file."""
    apps = [{"name": "demo-app", "description": "Application of the devportal.dcr demo",
             "registrations": [sandbox.info["api_name"]], "approve_registrations": True}]
    return dict({"dcr_curity_secret_store": "vault", "dcr_curity_applications": apps}, **more)


def hvac_read(openbao, env, path):
    """``(data, version)`` of a record read with plain hvac, as a later job would read it."""
    client = hvac.Client(url=env["VAULT_ADDR"], token=env["VAULT_TOKEN"], verify=env["VAULT_CACERT"])
    answer = client.secrets.kv.v2.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    return answer["data"]["data"], answer["data"]["metadata"]["version"]


def test_dry_run_run_re_run_and_rotation_keep_the_secrets_in_the_store(play, sandbox, openbao, vault):
    # Dry run: nothing written anywhere.
    mark = openbao.audit_mark()
    rc, checked = play(check=True, diff=True, env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, checked)
    assert config_writes(sandbox) == [] and openbao.writes_since(mark) == []
    assert recap(checked)["changed"] == 1
    assert "Secret store: the client id and secret of application demo-app would be written to" in checked

    # The run: both records at their documented paths; the gateway accepts what a later job reads back.
    rc, output = play(env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, output)
    assert REQUEST.findall(output) == ["200"], output
    app, app_version = hvac_read(openbao, vault, APP)
    dcr, dcr_version = hvac_read(openbao, vault, DCR)
    assert (app_version, dcr_version) == (1, 1)
    assert set(app) == {"client_id", "client_secret", "application_id", "portal_url"}
    assert dcr["client_id"] == "konnect-dcr" and dcr["client_secret"]
    # The gateway sees Konnect's changes after the push delay.
    assert gateway_settles(sandbox, (app["client_id"], app["client_secret"]), 200) == 200
    # The DCR credential's secret is the one Curity and Konnect hold: Konnect's provider check passed with it.
    assert any(e["path"].endswith("/verify") and e["status"] == 200 for e in sandbox.requests())
    assert sorted(openbao.writes_since(mark)) == ["create secret/data/" + APP, "create secret/data/" + DCR]
    # The output says where each secret went and its version, never the value.
    assert "Secret store: the client id and secret of application demo-app written to Vault KV v2 secret/" + APP in \
        output and "(version 1)" in output, output[-4000:]
    assert "Secret store: the DCR credential's secret written to Vault KV v2 secret/" + DCR in output

    # A re-run: nothing written anywhere; the gateway request takes the credentials from the store.
    sandbox.clear_requests()
    mark = openbao.audit_mark()
    rc, again = play(env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, again)
    assert recap(again)["changed"] == 0, again
    assert config_writes(sandbox) == [] and openbao.writes_since(mark) == []
    assert REQUEST.findall(again) == ["200"], again
    assert openbao.current_version(APP) == 1 and openbao.current_version(DCR) == 1

    # Rotation: one new version of each record, in the same run; the new secrets work, the old one stops.
    mark = openbao.audit_mark()
    rc, rotated = play(os.path.join(REPO, "playbooks", "rotate_secret.yml"), env=vault,
                       extra_vars=extra(sandbox, rotate_applications=["demo-app"]))
    assert_ok(rc, rotated)
    new_app, app_version = hvac_read(openbao, vault, APP)
    new_dcr, dcr_version = hvac_read(openbao, vault, DCR)
    assert (app_version, dcr_version) == (2, 2)
    assert new_app["client_id"] == app["client_id"] and new_app["client_secret"] != app["client_secret"]
    assert new_dcr["client_secret"] != dcr["client_secret"]
    assert sorted(openbao.writes_since(mark)) == ["update secret/data/" + APP, "update secret/data/" + DCR]
    assert gateway_settles(sandbox, (app["client_id"], app["client_secret"]), 401) == 401
    assert gateway_settles(sandbox, (new_app["client_id"], new_app["client_secret"]), 200) == 200


def test_an_interrupted_first_run_is_finished_by_a_plain_re_run_with_the_secret_read_back(play, sandbox, openbao, vault):
    # The first run stops after Curity (only its phase runs): the generated secret is in the store, Konnect has none.
    rc, output = play(tags="curity", env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, output)
    kept, version = hvac_read(openbao, vault, DCR)
    assert version == 1
    # The plain re-run hands Konnect that secret (Curity accepts it, so it is not set again), writes no new version.
    sandbox.clear_requests()
    mark = openbao.audit_mark()
    rc, output = play(env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, output)
    assert "kept in the secret store by an earlier run" in output, output[-4000:]
    assert hvac_read(openbao, vault, DCR) == (kept, 1)
    assert openbao.writes_since(mark) == ["create secret/data/" + APP]
    assert any(e["path"].endswith("/verify") and e["status"] == 200 for e in sandbox.requests())
    assert not [w for w in config_writes(sandbox) if "/client-store/" in w], config_writes(sandbox)
    assert REQUEST.findall(output) == ["200"], output


def test_a_fault_after_konnect_showed_the_application_s_secret_leaves_it_in_the_store(play, sandbox, openbao, vault):
    # The registration fails after Konnect created the application and showed its secret.
    sandbox.fault(service="portal", method="POST", path_regex=r"/registrations$", status=500, count=1)
    rc, output = play(env=vault, extra_vars=extra(sandbox))
    assert rc != 0 and "Dev Portal application demo-app (portal_application) failed" in output, output[-4000:]
    app, version = hvac_read(openbao, vault, APP)
    assert version == 1 and app["client_secret"] not in output
    sandbox.clear_faults()
    # The secret authenticates (403: the registration is not made yet); a plain re-run registers, and it works.
    assert gateway_settles(sandbox, (app["client_id"], app["client_secret"]), 403) == 403
    rc, output = play(env=vault, extra_vars=extra(sandbox))
    assert_ok(rc, output)
    assert hvac_read(openbao, vault, APP) == (app, 1)
    assert gateway_settles(sandbox, (app["client_id"], app["client_secret"]), 200) == 200


@pytest.mark.parametrize("case", ["read-only policy", "revoked token"])
def test_a_store_the_run_cannot_write_fails_in_the_plan_with_zero_writes_anywhere(play, sandbox, openbao, vault, case):
    if case == "read-only policy":
        openbao.api("PUT", "sys/policies/acl/dcr-reader", json={"policy": READ_ONLY_POLICY})
        vault = dict(vault, VAULT_TOKEN=openbao.token(policies=("dcr-reader",)))
    else:
        openbao.revoke(vault["VAULT_TOKEN"])
    mark = openbao.audit_mark()
    rc, output = play(env=vault, extra_vars=extra(sandbox))
    assert rc != 0, output[-4000:]
    assert "failed while planning (reads only)" in output and "Nothing was written" in output, output[-4000:]
    assert ("do not grant create, update" if case == "read-only policy" else "wrong, expired or revoked") in output, \
        output[-4000:]
    assert config_writes(sandbox) == [] and openbao.writes_since(mark) == []
    assert vault["VAULT_TOKEN"] not in output


def test_no_secret_in_any_output_at_vvvv(play, sandbox, openbao, vault):
    outputs = []
    for check in (True, False, False):
        rc, output = play(check=check, diff=True, verbosity=4, env=vault, extra_vars=extra(sandbox))
        assert_ok(rc, output)
        outputs.append(output)
    app, dummy = hvac_read(openbao, vault, APP)
    dcr, dummy = hvac_read(openbao, vault, DCR)
    secrets = {"application secret": app["client_secret"], "DCR credential secret": dcr["client_secret"],
               "Vault token": vault["VAULT_TOKEN"]}
    for output in outputs:
        for what, value in secrets.items():
            assert value not in output, "the %s appears in the output" % what
    assert app["client_id"] in outputs[1]  # the client id is shown
