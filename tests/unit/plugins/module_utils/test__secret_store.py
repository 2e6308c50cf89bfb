# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secret store's pure logic, its options, and the file store (the Vault store meets a real server in
tests/integration/test_secret_store.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.devportal.dcr.plugins.doc_fragments.secret_store import ModuleDocFragment
from ansible_collections.devportal.dcr.plugins.module_utils import _secret_store as ss
from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import (
    UNKNOWN,
    FileStore,
    Record,
    SecretConflict,
    SecretStoreError,
    Write,
)

SECRET = "Client-secret-0123456789abcdef"
NEW_SECRET = "Client-secret-fedcba9876543210"
ENV = ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "VAULT_NAMESPACE", "VAULT_SKIP_VERIFY",
       "ANSIBLE_HASHI_VAULT_AUTH_METHOD", "ANSIBLE_HASHI_VAULT_ROLE_ID", "ANSIBLE_HASHI_VAULT_SECRET_ID",
       "VAULT_ROLE_ID", "VAULT_SECRET_ID")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def validate(params):
    result = ArgumentSpecValidator(ss.secret_store_argument_spec()).validate(params)
    return result


def vault(**overrides):
    options = dict(backend="vault", url="https://vault.example.com:8200", auth_method="token", token="s.token-0001",
                   role_id=None, secret_id=None, mount_point=None, namespace=None, engine_mount_point="secret",
                   ca_cert=None, validate_certs=True, timeout=30, path=None)
    options.update(overrides)
    return options


# ----------------------------------------------------------------------------- paths
def test_documented_paths():
    assert ss.application_path("orders-client") == "devportal-dcr/applications/orders-client"
    assert ss.dcr_credential_path("konnect-dcr") == "devportal-dcr/dcr-credentials/konnect-dcr"
    assert ss.application_path("orders", prefix="/teams/payments/") == "teams/payments/applications/orders"


@pytest.mark.parametrize("path", ["", "/", "a//b", "a/./b", "../x", "a/ b", "a\x07b", None])
def test_unusable_paths_are_refused_naming_the_option(path):
    with pytest.raises(SecretStoreError) as caught:
        ss.check_kv_path(path)
    assert str(caught.value).startswith("secret_store.path ")


def test_record_path_is_the_tasks_path_or_the_documented_one(tmp_path):
    if ss.has_hvac():
        store = ss.store_from_options(vault())
        assert store.record_path(None, ss.application_path("orders")) == "devportal-dcr/applications/orders"
        assert store.record_path(" ", ss.application_path("orders")) == "devportal-dcr/applications/orders"
        assert store.record_path("/team/orders/", ss.application_path("orders")) == "team/orders"
    files = FileStore()
    with pytest.raises(SecretStoreError) as caught:
        files.record_path(None, ss.application_path("orders"))
    assert str(caught.value) == "secret_store.path is required with secret_store.backend file: the credentials file to write."
    assert files.record_path(str(tmp_path / "x.json"), "ignored") == str(tmp_path / "x.json")


def test_surrounding_slashes_are_dropped():
    assert ss.check_kv_path("/devportal-dcr/applications/x/") == "devportal-dcr/applications/x"


# ----------------------------------------------------------------------------- planning a write
def test_a_missing_record_is_created_with_check_and_set_zero():
    write = Write("p", None, {"client_id": "c", "client_secret": SECRET, "application_id": None})
    assert (write.action, write.changed, write.expected) == ("create", True, 0)
    assert write.payload == {"client_id": "c", "client_secret": SECRET}
    assert write.fields == ["client_id", "client_secret"]
    assert write.diff() == {"before": {}, "after": {"p": {"client_id": "c", "client_secret": "********"}}}


def test_the_same_values_are_kept_and_other_keys_do_not_count():
    current = Record({"client_id": "c", "client_secret": SECRET, "note": "added by someone"}, 4)
    write = Write("p", current, {"client_id": "c", "client_secret": SECRET})
    assert (write.action, write.changed, write.fields, write.expected) == ("keep", False, [], 4)


def test_a_new_value_updates_and_keeps_the_keys_someone_added():
    current = Record({"client_id": "c", "client_secret": SECRET, "note": "added by someone"}, 4)
    write = Write("p", current, {"client_id": "c", "client_secret": NEW_SECRET})
    assert (write.action, write.fields, write.expected) == ("update", ["client_secret"], 4)
    assert write.payload == {"client_id": "c", "client_secret": NEW_SECRET, "note": "added by someone"}
    # Both sides masked; the changed key is named.
    assert write.diff() == {"before": {"p": {"client_id": "c", "client_secret": "********"}},
                            "after": {"p": {"client_id": "c", "client_secret": "********"}}}
    assert write.view() == {"path": "p", "action": "update", "fields": ["client_secret"], "version": 4,
                            "written_version": None}


def test_a_value_known_only_after_the_run_is_always_a_change():
    assert Write("p", None, {"client_secret": UNKNOWN}).action == "create"
    current = Record({"client_id": "c", "client_secret": str(UNKNOWN)}, 1)
    write = Write("p", current, {"client_id": "c", "client_secret": UNKNOWN})
    assert (write.action, write.fields) == ("update", ["client_secret"])
    assert json.dumps(write.diff())  # the diff stays plain data


def test_a_deleted_record_is_written_again_on_its_version():
    write = Write("p", Record(None, 3), {"client_secret": SECRET})
    assert (write.action, write.expected) == ("create", 3)


def test_public_keys_decide_what_a_diff_shows():
    write = Write("p", None, {"client_id": "c", "client_secret": SECRET}, public=())
    assert write.diff()["after"]["p"] == {"client_id": "********", "client_secret": "********"}


def test_no_value_in_a_repr():
    record = Record({"client_secret": SECRET}, 2)
    write = Write("p", record, {"client_secret": NEW_SECRET})
    for text in (repr(record), str(record), repr(write), str(write), json.dumps(write.view())):
        assert SECRET not in text and NEW_SECRET not in text


# ----------------------------------------------------------------------------- options
def test_the_environment_gives_the_vault_connection(clean_env):
    clean_env.setenv("VAULT_ADDR", "https://vault.example.com:8200")
    clean_env.setenv("VAULT_TOKEN", "s.from-the-environment")
    result = validate({"secret_store": {"backend": "vault"}})
    assert result.error_messages == []
    options = result.validated_parameters["secret_store"]
    assert (options["url"], options["token"], options["auth_method"], options["engine_mount_point"],
            options["validate_certs"], options["timeout"]) == ("https://vault.example.com:8200", "s.from-the-environment",
                                                               None, "secret", True, 30)
    assert "s.from-the-environment" in result._no_log_values  # pylint: disable=protected-access


def test_approle_ids_come_from_community_hashi_vaults_variables(clean_env):
    clean_env.setenv("ANSIBLE_HASHI_VAULT_AUTH_METHOD", "approle")
    clean_env.setenv("ANSIBLE_HASHI_VAULT_ROLE_ID", "role-0001")
    clean_env.setenv("ANSIBLE_HASHI_VAULT_SECRET_ID", "secret-id-0001")
    clean_env.setenv("VAULT_ROLE_ID", "role-0002")
    options = validate({"secret_store": {"backend": "vault"}}).validated_parameters["secret_store"]
    assert (options["auth_method"], options["role_id"], options["secret_id"]) == ("approle", "role-0001", "secret-id-0001")


def test_approle_ids_from_what_awx_may_inject(clean_env):
    """AWX refuses ANSIBLE_* injectors: VAULT_ROLE_ID and VAULT_SECRET_ID, and no auth method."""
    clean_env.setenv("VAULT_ROLE_ID", "role-0002")
    clean_env.setenv("VAULT_SECRET_ID", "secret-id-0002")
    result = validate({"secret_store": {"backend": "vault"}})
    options = result.validated_parameters["secret_store"]
    assert (options["auth_method"], options["role_id"], options["secret_id"]) == (None, "role-0002", "secret-id-0002")
    assert "secret-id-0002" in result._no_log_values  # pylint: disable=protected-access


@pytest.mark.parametrize("token, role_id, method", [("s.t", None, "token"), (None, "r", "approle"), ("", "r", "approle"),
                                                    ("s.t", "r", "token")])
def test_without_auth_method_a_role_id_without_a_token_means_approle(token, role_id, method):
    if not ss.has_hvac():
        pytest.skip("hvac is not installed")
    store = ss.store_from_options(vault(token=token, role_id=role_id, auth_method=None))
    assert store.auth_method == method


@pytest.mark.parametrize("value, expected", [("true", False), ("1", False), ("false", True), ("0", True),
                                             ("maybe", True), ("", True), (None, True)])
def test_vault_skip_verify_turns_verification_off_only_when_true(clean_env, value, expected):
    if value is not None:
        clean_env.setenv("VAULT_SKIP_VERIFY", value)
    options = validate({"secret_store": {"backend": "vault"}}).validated_parameters["secret_store"]
    assert options["validate_certs"] is expected


def test_an_explicit_option_wins_over_the_environment(clean_env):
    clean_env.setenv("VAULT_SKIP_VERIFY", "true")
    clean_env.setenv("VAULT_ADDR", "https://env.example.com")
    options = validate({"secret_store": {"backend": "vault", "validate_certs": True,
                                         "url": "https://option.example.com"}}).validated_parameters["secret_store"]
    assert (options["validate_certs"], options["url"]) == (True, "https://option.example.com")


def test_the_backend_is_required_and_auth_methods_are_listed(clean_env):
    assert "backend" in " ".join(validate({"secret_store": {}}).error_messages)
    messages = " ".join(validate({"secret_store": {"backend": "vault", "auth_method": "ldap"}}).error_messages)
    assert "auth_method" in messages and "token, approle" in messages


@pytest.mark.parametrize("variant", ["DOCUMENTATION", "REPORT"])
def test_the_doc_fragment_documents_exactly_the_argument_spec(variant):
    doc = yaml.safe_load(getattr(ModuleDocFragment, variant))["options"]["secret_store"]
    spec = ss.secret_store_argument_spec()["secret_store"]
    assert doc["type"] == spec["type"]
    assert sorted(doc["suboptions"]) == sorted(spec["options"])
    for name, option in spec["options"].items():
        documented = doc["suboptions"][name]
        assert documented["type"] == option["type"], name
        assert documented.get("default") == option.get("default"), name
        assert documented.get("choices") == option.get("choices"), name
        assert bool(documented.get("required")) == bool(option.get("required")), name
        text = " ".join(documented["description"])
        for variable in (option.get("fallback") or (None, []))[1]:
            assert "E(%s)" % variable in text, (name, variable)
        if option.get("no_log"):
            assert "never logged nor returned" in text, name


# ----------------------------------------------------------------------------- choosing a store
@pytest.mark.parametrize("overrides, words", [
    (dict(url=None), "secret_store.url (or VAULT_ADDR in the environment) is required"),
    (dict(url="vault.example.com"), "secret_store.url must be an absolute http:// or https:// URL"),
    (dict(url="https://user:pass-0001@vault.example.com"), "secret_store.url must not carry credentials"),
    (dict(token=None), "secret_store.token (or VAULT_TOKEN in the environment) is required with auth_method token"),
    (dict(token="  "), "secret_store.token (or VAULT_TOKEN in the environment) is required"),
    (dict(auth_method="approle", token=None), "secret_store.role_id (or ANSIBLE_HASHI_VAULT_ROLE_ID or VAULT_ROLE_ID"),
    (dict(engine_mount_point="a//b"), "secret_store.engine_mount_point"),
    (dict(ca_cert="/nonexistent/ca.pem"), "secret_store.ca_cert '/nonexistent/ca.pem' does not exist"),
    (dict(timeout=0), "secret_store.timeout must be at least 1 second"),
])
def test_unusable_vault_settings_are_refused_before_any_request(overrides, words):
    if not ss.has_hvac():
        pytest.skip("hvac is not installed")
    with pytest.raises(SecretStoreError) as caught:
        ss.store_from_options(vault(**overrides))
    assert words in str(caught.value)
    assert "pass-0001" not in str(caught.value) and "s.token-0001" not in str(caught.value)


def test_an_unknown_backend_is_refused():
    with pytest.raises(SecretStoreError) as caught:
        ss.store_from_options({"backend": "aws"})
    assert str(caught.value) == "secret_store.backend must be one of file, vault, got 'aws'."


def test_a_missing_hvac_is_named(monkeypatch):
    monkeypatch.setattr(ss, "has_hvac", lambda: False)
    with pytest.raises(SecretStoreError) as caught:
        ss.store_from_options(vault())
    assert "(hvac)" in str(caught.value) and "only for secret_store.backend: vault" in str(caught.value)

    class Failed(Exception):
        pass

    class Module:
        check_mode = False
        params = {"secret_store": vault()}
        no_log_values = set()

        def warn(self, message):
            pass

        def fail_json(self, **kwargs):
            raise Failed(kwargs)

    with pytest.raises(Failed) as failed:
        ss.store_from_module(Module())
    assert "(hvac)" in failed.value.args[0]["msg"]
    # The file store needs no hvac.
    Module.params = {"secret_store": {"backend": "file", "path": "/tmp/x.json"}}
    assert isinstance(ss.store_from_module(Module()), FileStore)
    Module.params = {"secret_store": None}
    assert ss.store_from_module(Module()) is None


def test_messages_are_scrubbed_of_every_registered_secret():
    registered = []
    store = FileStore(register_secret=registered.append)
    store.secret("abc")
    store.secret("abcdef-secret")
    store.secret("")
    store.secret(None)
    assert registered == ["abc", "abcdef-secret"]
    assert str(store.error("x abcdef-secret y abc")) == "x ******** y ********"


# ----------------------------------------------------------------------------- the file store
def record(secret, client_id="client-1"):
    return {"client_id": client_id, "client_secret": secret, "application_id": "app-1"}


def test_file_store_writes_once_and_keeps_an_identical_record(tmp_path):
    path = str(tmp_path / "folder" / "orders.json")
    store = FileStore()
    first = store.put(path, record(SECRET))
    assert (first.action, store.writes_sent) == ("create", 1)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        written = json.load(handle)
    assert dict((k, v) for k, v in written.items() if k != "created_at") == record(SECRET)
    before = os.stat(path)
    again = store.put(path, record(SECRET))
    assert (again.action, store.writes_sent) == ("keep", 1)
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    info = store.info(path)
    assert info == {"backend": "file", "location": "the credentials file %r" % path, "path": path, "stored": True,
                    "version": None}
    assert SECRET not in json.dumps(info)


def test_file_store_backs_up_another_clients_record(tmp_path):
    path = str(tmp_path / "orders.json")
    store = FileStore()
    store.put(path, record(SECRET, "old-client"))
    write = store.put(path, record(NEW_SECRET, "new-client"))
    assert write.action == "update" and store.backup and os.path.exists(store.backup)
    with open(store.backup) as handle:
        assert json.load(handle)["client_secret"] == SECRET


def test_file_store_refuses_to_overwrite_a_file_changed_since_the_plan(tmp_path):
    path = str(tmp_path / "orders.json")
    store = FileStore()
    store.put(path, record(SECRET))
    plan = store.plan(path, record(NEW_SECRET))
    with open(path, "w") as handle:
        json.dump(record("someone-else-0001"), handle)
    with pytest.raises(SecretConflict) as caught:
        store.write(plan)
    assert "changed since this run read it" in str(caught.value) and "someone-else-0001" not in str(caught.value)
    with open(path) as handle:
        assert json.load(handle)["client_secret"] == "someone-else-0001"
    assert plan.data["client_secret"] == NEW_SECRET


def test_file_store_in_check_mode_plans_and_writes_nothing(tmp_path):
    path = str(tmp_path / "orders.json")
    store = FileStore(read_only=True)
    write = store.put(path, record(UNKNOWN), check_mode=True)
    assert write.action == "create" and not os.path.exists(path)
    with pytest.raises(SecretStoreError) as caught:
        store.write(store.plan(path, record(SECRET)))
    assert "check mode" in str(caught.value) and not os.path.exists(path)


def test_file_store_probe(tmp_path):
    store = FileStore()
    assert store.probe(str(tmp_path / "new" / "x.json")).ok
    folder = tmp_path / "folder"
    folder.mkdir()
    probe = store.probe(str(folder))
    assert not probe.ok and "is a directory" in probe.reason
    with pytest.raises(SecretStoreError) as caught:
        store.check(str(folder))
    assert str(caught.value).startswith("the credentials file %r cannot be used: " % str(folder))
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert not store.probe(str(locked / "x.json")).ok
        finally:
            locked.chmod(0o700)


# ----------------------------------------------------------------------------- a module's record
class FakeModule:
    """What Keeping and records_info use of an AnsibleModule."""

    def __init__(self, options, check_mode=False):
        self.params = {"secret_store": options}
        self.check_mode = check_mode
        self.no_log_values = set()
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


def test_keeping_plans_with_unknown_values_then_keeps_against_the_plans_read(tmp_path):
    path = str(tmp_path / "app.json")
    module = FakeModule({"backend": "file", "path": path})
    keeping = ss.Keeping.from_module(module, ss.application_path("ignored-for-a-file"))
    assert keeping.path == path
    write = keeping.plan({"client_id": UNKNOWN, "client_secret": UNKNOWN})
    assert write.action == "create" and keeping.changed and not os.path.exists(path)
    assert keeping.view()["action"] == "create"
    kept = keeping.keep({"client_id": "c1", "client_secret": SECRET})
    assert kept.written is not None and json.load(open(path))["client_secret"] == SECRET
    assert SECRET in module.no_log_values and SECRET not in json.dumps(keeping.view())
    # The same values again: nothing written.
    again = ss.Keeping.from_module(module, "ignored")
    again.plan({"client_id": "c1", "client_secret": SECRET})
    assert not again.changed and again.keep({"client_id": "c1", "client_secret": SECRET}).written is None


def test_keeping_never_overwrites_a_record_written_after_the_plan(tmp_path):
    path = tmp_path / "app.json"
    keeping = ss.Keeping.from_module(FakeModule({"backend": "file", "path": str(path)}), "ignored")
    keeping.plan({"client_id": UNKNOWN, "client_secret": UNKNOWN})
    path.write_text(json.dumps({"client_id": "someone-else"}))
    with pytest.raises(SecretConflict):
        keeping.keep({"client_id": "c1", "client_secret": SECRET})
    assert json.loads(path.read_text()) == {"client_id": "someone-else"}


def test_keeping_in_check_mode_plans_and_refuses_to_write(tmp_path):
    path = tmp_path / "app.json"
    keeping = ss.Keeping.from_module(FakeModule({"backend": "file", "path": str(path)}, check_mode=True), "ignored")
    keeping.plan({"client_id": UNKNOWN, "client_secret": UNKNOWN})
    with pytest.raises(SecretStoreError):
        keeping.keep({"client_id": "c1", "client_secret": SECRET})
    assert not path.exists()


def test_no_store_no_keeping_and_no_report():
    assert ss.Keeping.from_module(FakeModule(None), "x") is None
    assert ss.records_info(FakeModule(None), ["x"]) is None


def test_records_info_tells_stored_and_version_never_a_value(tmp_path):
    path = tmp_path / "app.json"
    module = FakeModule({"backend": "file", "path": str(path)})
    assert ss.records_info(module, ["ignored"])[0]["stored"] is False
    path.write_text(json.dumps({"client_id": "c1", "client_secret": SECRET}))
    report = ss.records_info(module, ["ignored"])
    assert report[0]["stored"] is True and report[0]["version"] is None and SECRET not in json.dumps(report)
