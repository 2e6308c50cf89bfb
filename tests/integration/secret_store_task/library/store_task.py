# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test module that keeps one record in the secret store the way the collection's modules do.

Probe the store (before any write), plan with read before write, write unless nothing changes or in
check mode, report the plan, the record's info and Ansible's diff (values masked), give back what the
store took.  tests/integration/test_secret_store_task.py runs it through ansible-playbook at -vvvv.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.devportal.dcr.plugins.module_utils import _secret_store
from ansible_collections.devportal.dcr.plugins.module_utils._module import DcrModule


def main():
    spec = dict(default_path=dict(type="str", required=True), client_id=dict(type="str", required=True),
                client_secret=dict(type="str", required=True, no_log=True))
    spec.update(_secret_store.secret_store_argument_spec())
    module = DcrModule(argument_spec=spec, supports_check_mode=True)
    store = None
    try:
        store = _secret_store.store_from_module(module)
        path = store.record_path(module.params["secret_store"]["path"], module.params["default_path"])
        probe = store.check(path)
        data = {"client_id": module.params["client_id"], "client_secret": module.params["client_secret"]}
        write = store.put(path, data, check_mode=module.check_mode)
        info = store.info(path)
    except _secret_store.SecretStoreError as exc:
        module.fail_json(msg=str(exc))
    finally:
        if store is not None:
            store.close()
    module.exit_json(changed=write.changed, diff=write.diff(), write=write.view(), info=info, probe=probe.view())


if __name__ == "__main__":
    main()
