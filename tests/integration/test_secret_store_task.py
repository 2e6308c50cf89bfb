# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secret store inside an Ansible task (ansible-playbook at -vvvv with --diff) against a real OpenBao.

A test module (secret_store_task/library/store_task.py) keeps one record as the collection's modules
do: the run is configured by the environment only, as the AWX credential type injects it (AppRole).
Nothing the store handles (the AppRole secret id, the stored secret) appears in the output, check mode
writes nothing, a re-run writes nothing, and a forbidden path fails before any write.
"""

from __future__ import annotations

import json
import os
import uuid

from harness import REPO

PLAY = os.path.join(REPO, "tests", "integration", "secret_store_task", "keep.yml")
SECRET = "Stored-client-secret-" + uuid.uuid4().hex


def run(runner, openbao, secret_id, extra_vars, check=False):
    env = {name: "" for name in os.environ if name.startswith(("VAULT_", "ANSIBLE_HASHI_VAULT_"))}
    env.update(VAULT_ADDR=openbao.url, VAULT_CACERT=openbao.ca_path, VAULT_TOKEN="", VAULT_ROLE_ID=openbao.role_id,
               VAULT_SECRET_ID=secret_id, ANSIBLE_LIBRARY=os.path.join(os.path.dirname(PLAY), "library"))
    return runner.playbook(PLAY, extra_vars=extra_vars, check=check, diff=True, verbosity=4, env=env)


def kept(output):
    """The registered result the debug task printed."""
    start = output.index('"kept": {')
    depth, end = 0, start + len('"kept": ')
    for end in range(start + len('"kept": '), len(output)):
        depth += {"{": 1, "}": -1}.get(output[end], 0)
        if depth == 0:
            break
    return json.loads(output[start + len('"kept": '):end + 1])


def test_a_task_keeps_a_record_and_no_secret_reaches_the_output(runner, openbao):
    secret_id = openbao.secret_id()
    path = "devportal-dcr/tests-%s/applications/task" % uuid.uuid4().hex[:12]
    extra = {"record_path": path, "client_id": "client-task", "client_secret": SECRET}
    secrets = (SECRET, secret_id)
    mark = openbao.audit_mark()

    rc, output = run(runner, openbao, secret_id, extra, check=True)
    assert rc == 0, output[-3000:]
    result = kept(output)
    assert (result["changed"], result["write"]["action"], result["info"]["stored"]) == (True, "create", False)
    assert result["probe"]["ok"] is True
    assert openbao.writes_since(mark) == []
    assert not any(value in output for value in secrets), "a secret is in the check-mode output"

    rc, output = run(runner, openbao, secret_id, extra)
    assert rc == 0, output[-3000:]
    result = kept(output)
    assert (result["changed"], result["write"]["written_version"], result["info"]["version"]) == (True, 1, 1)
    assert result["diff"]["after"][path] == {"client_id": "client-task", "client_secret": "********"}
    assert openbao.read(path) == ({"client_id": "client-task", "client_secret": SECRET}, 1)
    assert openbao.writes_since(mark) == ["create secret/data/" + path]
    assert not any(value in output for value in secrets), "a secret is in the output"

    mark = openbao.audit_mark()
    rc, output = run(runner, openbao, secret_id, extra)
    assert rc == 0, output[-3000:]
    assert kept(output)["changed"] is False and openbao.writes_since(mark) == []
    # Each run gave its AppRole login's token back.
    assert [r["path"] for r in openbao.audit_requests_since(mark)].count("auth/token/revoke-self") == 1
    assert not any(value in output for value in secrets)


def test_a_forbidden_path_fails_the_task_before_any_write(runner, openbao):
    secret_id = openbao.secret_id()
    path = "devportal-dcr/forbidden/%s" % uuid.uuid4().hex[:12]
    mark = openbao.audit_mark()
    rc, output = run(runner, openbao, secret_id, {"record_path": path, "client_id": "c", "client_secret": SECRET})
    assert rc != 0
    assert "Vault KV v2 secret/%s at %s cannot be used: the token's policies deny secret/data/%s" % (
        path, openbao.url, path) in output
    assert "Traceback" not in output
    assert openbao.writes_since(mark) == []
    assert SECRET not in output and secret_id not in output
