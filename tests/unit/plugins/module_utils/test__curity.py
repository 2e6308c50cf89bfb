# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Curity client at the transport boundary: paths, bodies, write choice, checks and errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _curity, _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    EMPTY,
    ClaimList,
    CredentialConfig,
    CurityAdmin,
    CurityError,
    CurityRuntime,
    ScopeList,
    TokenRefused,
)
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError, Reply, error_detail

AS = "data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server"
PROFILE = "data/base:profiles/profile=token-service,oauth-service"
PARAMS = dict(admin_url="https://idsvr:6749/admin/api/restconf", admin_username="admin", admin_password="pw-unit-9f3",
              profile_id="token-service", validate_certs=True, ca_path=None, timeout=30)


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = dict(PARAMS, **params)
        self.check_mode = check_mode
        self.warnings = []
        self.no_log_values = set()

    def warn(self, msg):
        self.warnings.append(msg)

    def fail_json(self, **result):
        raise Failed(result)


class FakeTransport:
    """Records requests; answers in order (a Reply, or an exception to raise); 204 when out of answers."""

    base_url = "https://idsvr:6749/admin/api/restconf"

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []
        self.built = []

    def url(self, path):
        return "https://idsvr:6749/admin/api/restconf/" + path

    def request(self, method, path, **kwargs):
        self.sent.append((method, path, kwargs))
        answer = self.answers.pop(0) if self.answers else Reply(204, {}, "", None)
        if isinstance(answer, Exception):
            raise answer  # pylint: disable=raising-non-exception
        return answer

    def build(self, base, auth=None, **options):
        """Stands for the Transport class: records how it was built, returns itself."""
        self.built.append(dict(options, base=base, auth=auth))
        return self

    def calls(self):
        return requested(self.sent)


def requested(sent):
    """(method, path) of recorded requests."""
    return [tuple(request[:2]) for request in sent]


def ok(data):
    return Reply(200, {}, "", data)


def http_error(status, body=None, method="GET"):
    return HttpError(method, "https://idsvr/x", status, "", error_detail(body) if body else "", body, "Curity")


def server():
    """An authorization server as a fields-narrowed GET returns it."""
    return {
        "scopes": {"scope": [{"id": "openid"}, {"id": "email", "description": "E", "claims": ["email"]},
                             {"id": "stocks/read", "required": True}],
                   "min-access-token-lifetime": 60},
        "claims": {
            "claim": [{"name": "email", "value-provided-by": "p1"}, {"name": "sub"},
                      {"name": "region", "transformation": {"input-attribute-names": ["r"], "extra": "kept"}}],
            "claims-value-provider": [{"id": "p1", "account-manager-claims-provider:account-manager-claims-provider": {}}],
            "claims-mappers": {"claims-mapper": [{"id": "default", "access_token": {"claim": ["email"]},
                                                  "id_token": {"claim": ["email", "sub"]}}],
                               "default-claims-mapper": "default"},
        },
    }


def admin_with(*answers):
    transport = FakeTransport(*answers)
    return CurityAdmin(transport, "token-service"), transport


# --------------------------------------------------------------------------------------------
# options and URLs
# --------------------------------------------------------------------------------------------
def test_argument_spec_has_the_shared_options_with_env_fallbacks_and_module_options():
    spec = _curity.curity_argument_spec(name=dict(type="str"))
    assert spec["name"] == dict(type="str")
    envs = dict((k, v["fallback"][1][0]) for k, v in spec.items() if "fallback" in v)
    assert envs == {"admin_url": "CURITY_ADMIN_URL", "admin_username": "CURITY_ADMIN_USERNAME",
                    "admin_password": "CURITY_ADMIN_PASSWORD", "profile_id": "CURITY_PROFILE_ID",
                    "validate_certs": "CURITY_VALIDATE_CERTS", "ca_path": "CURITY_CA_PATH", "timeout": "CURITY_TIMEOUT"}
    # Required unless the environment variable is set: checked by the client, not by the argument spec.
    assert spec["admin_password"]["no_log"] is True and not spec["admin_password"].get("required")
    assert not spec["admin_url"].get("required")
    assert (spec["admin_username"]["default"], spec["profile_id"]["default"], spec["timeout"]["default"]) == (
        "admin", "token-service", 30)


@pytest.mark.parametrize("url, base", [
    ("https://idsvr:6749/admin/api/restconf", "https://idsvr:6749/admin/api/restconf"),
    ("https://idsvr:6749/admin/api/restconf/", "https://idsvr:6749/admin/api/restconf"),
    ("http://idsvr/admin/api/restconf/data", "http://idsvr/admin/api/restconf"),
])
def test_admin_base_url_accepts_the_restconf_base_and_the_data_form(url, base):
    assert _curity.admin_base_url(url) == base


@pytest.mark.parametrize("url, words", [
    ("idsvr:6749/admin", "absolute"), ("ftp://idsvr/x", "absolute"), ("", "absolute"), ("https://", "absolute"),
    ("https://idsvr:port/x", "absolute"), ("https://[::1/x", "absolute"),
    ("https://admin:pw@idsvr/x", "credentials"), ("https://idsvr/x?a=1", "query"),
])
def test_bad_urls_are_refused_with_the_option_name(url, words):
    with pytest.raises(CurityError) as err:
        _curity.admin_base_url(url)
    assert "admin_url" in str(err.value) and words in str(err.value) and ":pw@" not in str(err.value)


def test_issuer_url_accepts_the_discovery_document_form():
    assert _curity.issuer_url("https://idsvr/oauth/v2/oauth-anonymous/.well-known/openid-configuration") == (
        "https://idsvr/oauth/v2/oauth-anonymous")
    assert _curity.issuer_url("https://idsvr/oauth/v2/oauth-anonymous/") == "https://idsvr/oauth/v2/oauth-anonymous"


@pytest.mark.parametrize("change, words", [
    (dict(profile_id=""), "profile_id"), (dict(timeout=0), "timeout"), (dict(ca_path="/nonexistent/ca.pem"), "ca_path"),
])
def test_connection_options_are_checked(change, words):
    with pytest.raises(CurityError) as err:
        _curity.connection_options(dict(PARAMS, **change))
    assert words in str(err.value)


def test_key_percent_encodes_reserved_characters():
    assert _curity.key("stocks/read") == "stocks%2Fread"
    assert _curity.key("urn:a,b", "oauth-service") == "urn%3Aa%2Cb,oauth-service"


def test_members_are_found_whatever_their_module_prefix():
    obj = {"profile-oauth:scopes": {"scope": []}, "b": 1}
    assert _curity.member(obj, "scopes") == {"scope": []}
    assert _curity.dig({"a": {"m:b": {"c": 3}}}, "a", "b", "c") == 3
    assert _curity.member("not a dict", "x", "d") == "d"
    _curity.set_member(obj, "scopes", None)
    assert obj == {"b": 1}
    _curity.put_path(obj, ("x", "y"), [1])
    assert obj == {"b": 1, "x": {"y": [1]}}


def test_top_takes_the_one_entry_of_a_list_answer():
    assert _curity.top({"base:profile": [{"id": "p"}]}, "profile") == {"id": "p"}
    assert _curity.top({"profile-oauth:client": []}, "client") is None
    assert _curity.top(None, "client") is None


def test_unknown_scopes_knows_prefix_scopes():
    scopes = [{"id": "read"}, {"id": "urn:api:", "is-prefix": True}]
    assert _curity.unknown_scopes(["read", "urn:api:orders", "write"], scopes) == ["write"]


def test_reported_turns_errors_into_fail_json():
    module = FakeModule()
    with pytest.raises(Failed) as failed:
        with _curity.reported(module, changed=False):
            raise CurityError("one paragraph")
    assert failed.value.args[0] == {"msg": "one paragraph", "changed": False}


# --------------------------------------------------------------------------------------------
# RESTCONF client
# --------------------------------------------------------------------------------------------
def test_from_module_builds_a_read_only_transport_with_an_auth_tuple():
    admin = CurityAdmin.from_module(FakeModule(check_mode=True))
    transport = admin.transport
    assert transport.read_only is True
    assert transport.session.auth == (b"admin", b"pw-unit-9f3")
    assert transport.base_url == "https://idsvr:6749/admin/api/restconf"
    assert transport.timeout == 30 and transport.verify is True


def test_from_module_passes_the_ca_and_the_timeout_to_the_transport(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not checked here")
    admin = CurityAdmin.from_module(FakeModule(ca_path=str(ca_file), timeout=7))
    assert admin.transport.verify == str(ca_file) and admin.transport.timeout == 7


def test_from_module_warns_when_certificates_are_not_checked():
    module = FakeModule(validate_certs=False)
    admin = CurityAdmin.from_module(module)
    assert admin.transport.verify is False
    assert any("validate_certs" in w for w in module.warnings)


def test_from_module_refuses_a_bad_url_before_building_anything():
    with pytest.raises(CurityError):
        CurityAdmin.from_module(FakeModule(admin_url="not a url"))


def test_a_password_written_into_a_url_is_hidden_from_every_output():
    module = FakeModule(admin_url="https://admin:hunter2@idsvr/admin/api/restconf")
    with pytest.raises(CurityError):
        CurityAdmin.from_module(module)
    assert "hunter2" in module.no_log_values


def test_get_sends_content_config_and_fields_with_yang_json():
    admin, transport = admin_with(ok({"profile-oauth:authorization-server": {"scopes": {}}}))
    assert admin.read_authorization_server("scopes;claims/claim/name") == {"scopes": {}}
    method, path, kwargs = transport.sent[0]
    assert (method, path) == ("GET", AS + "?content=config&fields=scopes;claims/claim/name")
    assert kwargs["headers"] == {"Accept": "application/yang-data+json"} and kwargs["expect"] == (200,)


def test_get_asks_again_without_fields_when_the_server_refuses_them():
    admin, transport = admin_with(http_error(400), ok({"profile-oauth:authorization-server": {"a": 1}}))
    assert admin.read_authorization_server("x(y)") == {"a": 1}
    assert transport.calls() == [("GET", AS + "?content=config&fields=x(y)"), ("GET", AS + "?content=config")]


def test_a_missing_profile_is_a_clear_error():
    admin, transport = admin_with(http_error(404), ok({"ietf-restconf:restconf": {"data": {}}}))
    with pytest.raises(CurityError) as err:
        admin.read_profile("id")
    assert "'token-service'" in str(err.value) and "CURITY_PROFILE_ID" in str(err.value)
    assert transport.calls()[1] == ("GET", "https://idsvr:6749/admin/api/restconf")


def test_a_restconf_api_without_the_root_resource_is_recognised_by_its_yang_library_version():
    admin, transport = admin_with(http_error(404), http_error(404), ok({"ietf-restconf:yang-library-version": "2016-06-21"}))
    with pytest.raises(CurityError) as err:
        admin.read_profile("id")
    assert "CURITY_PROFILE_ID" in str(err.value)
    assert transport.calls()[2] == ("GET", "https://idsvr:6749/admin/api/restconf/yang-library-version")


@pytest.mark.parametrize("answers", [(http_error(404), http_error(404)), (ok({"something": "else"}), ok(None)),
                                     (http_error(401), http_error(401))])
def test_a_404_from_a_url_that_is_not_restconf_names_admin_url(answers):
    admin = admin_with(http_error(404), *answers)[0]
    with pytest.raises(CurityError) as err:
        admin.read_profile("id")
    assert "is not the RESTCONF API" in str(err.value) and "/admin/api/restconf" in str(err.value)
    assert "CURITY_PROFILE_ID" not in str(err.value)


@pytest.mark.parametrize("params, missing", [
    ({"admin_url": None, "admin_password": "pw"}, "admin_url (or CURITY_ADMIN_URL in the environment)"),
    ({"admin_url": "https://x", "admin_password": ""}, "admin_password (or CURITY_ADMIN_PASSWORD in the environment)"),
])
def test_connection_options_are_required_unless_their_variable_is_set(params, missing):
    with pytest.raises(CurityError) as err:
        _curity.require_options(params, _curity.REQUIRED_CONNECTION)
    assert str(err.value) == "missing required arguments: %s." % missing
    _curity.require_options({"admin_url": "https://x", "admin_password": "pw"}, _curity.REQUIRED_CONNECTION)


def test_an_answer_without_the_node_is_a_clear_error():
    admin = admin_with(ok({"unexpected": {}}))[0]
    with pytest.raises(CurityError) as err:
        admin.read_authorization_server()
    assert "'authorization-server'" in str(err.value) and "admin_url" in str(err.value)


def test_wrong_admin_credentials_are_a_clear_error_without_the_password():
    admin = admin_with(http_error(401))[0]
    with pytest.raises(CurityError) as err:
        admin.read_profile()
    assert "admin_password" in str(err.value) and "pw-unit-9f3" not in str(err.value)


def test_other_http_errors_keep_the_server_detail():
    body = {"ietf-restconf:errors": {"error": [{"error-tag": "invalid-value", "error-message": "illegal reference"}]}}
    admin = admin_with(http_error(400, body, "PUT"))[0]
    with pytest.raises(HttpError) as err:
        admin.put(admin.path("scopes"), {})
    assert "illegal reference" in str(err.value)


def test_writes_speak_yang_json_and_delete_accepts_404():
    admin, transport = admin_with()
    admin.patch("p", {"a": 1})
    admin.put("p", {"a": 2})
    admin.delete(admin.client_path("a/b"))
    patch, put, delete = (request[2] for request in transport.sent)
    delete_path = transport.sent[2][1]
    assert patch["headers"]["Content-Type"] == put["headers"]["Content-Type"] == "application/yang-data+json"
    assert patch["json_body"] == {"a": 1} and patch["expect"] == (200, 204)
    assert put["expect"] == (200, 201, 204)
    assert delete_path == AS + "/client-store/config-backed/client=a%2Fb" and 404 in delete["expect"]


# --------------------------------------------------------------------------------------------
# scopes
# --------------------------------------------------------------------------------------------
def scopes(data=None):
    return ScopeList(data or server())


def plan_for(kind, desired, state="present", exclusive=False):
    return _engine.plan_collection(kind.views(desired), desired, state, exclusive)


def written(kind, desired, state="present", exclusive=False):
    admin, transport = admin_with()
    kind.write(admin, plan_for(kind, desired, state, exclusive))
    return transport.sent


def test_scope_views_fill_server_defaults():
    assert scopes().views({})["openid"] == {"description": "", "claims": [], "time_to_live": None, "required": False,
                                            "expose_in_metadata": True, "is_prefix": False}


def test_an_unchanged_scope_plans_nothing_and_writes_nothing():
    kind = scopes()
    desired = {"email": {"claims": ["email"], "description": "E", "required": False}}
    assert not plan_for(kind, desired).changed
    assert written(kind, desired) == []


def test_a_pure_merge_patches_only_the_changed_scopes_and_options():
    sent = written(scopes(), {"email": {"description": "E", "required": True}, "new": {"description": "d", "claims": []},
                              "openid": {"description": ""}})
    assert requested(sent) == [("PATCH", AS + "/scopes")]
    assert sent[0][2]["json_body"] == {"profile-oauth:scopes": {"scope": [{"id": "email", "required": True},
                                                                          {"id": "new", "description": "d"}]}}


def test_dropping_a_claim_puts_the_whole_container_with_the_rest_kept():
    sent = written(scopes(), {"email": {"claims": []}})
    assert requested(sent) == [("PUT", AS + "/scopes")]
    expected = server()["scopes"]
    del expected["scope"][1]["claims"]
    assert sent[0][2]["json_body"] == {"profile-oauth:scopes": expected}


def test_unsetting_a_description_is_a_removal():
    sent = written(scopes(), {"email": {"description": ""}})
    assert sent[0][0] == "PUT" and "description" not in sent[0][2]["json_body"]["profile-oauth:scopes"]["scope"][1]


def test_deleting_one_scope_is_one_delete_with_an_encoded_key():
    sent = written(scopes(), {"stocks/read": {}}, state="absent")
    assert requested(sent) == [("DELETE", AS + "/scopes/scope=stocks%2Fread")]


def test_exclusive_deletions_are_one_put_without_the_unlisted_scopes():
    sent = written(scopes(), {"openid": {}}, exclusive=True)
    assert sent[0][0] == "PUT"
    assert sent[0][2]["json_body"]["profile-oauth:scopes"] == {"scope": [{"id": "openid"}], "min-access-token-lifetime": 60}


def test_deleting_every_scope_leaves_no_empty_list():
    data = {"scopes": {"scope": [{"id": "a"}, {"id": "b"}]}}
    sent = written(scopes(data), {"a": {}, "b": {}}, state="absent")
    assert sent[0][2]["json_body"] == {"profile-oauth:scopes": {}}


def test_scope_check_names_missing_claims_and_their_scopes():
    with pytest.raises(CurityError) as err:
        scopes().check({"a": {"claims": ["email", "nope"]}, "b": {"claims": ["nope", "gone"]}}, "present")
    text = str(err.value)
    assert "'gone'" in text and "'nope'" in text and "scope 'a', 'b'" in text and "'email'" not in text


def test_scope_check_is_skipped_for_absent():
    scopes().check({"a": {"claims": ["nope"]}}, "absent")


@pytest.mark.parametrize("want, words", [
    ({"is_prefix": True, "claims": ["email"]}, "prefix"),
    ({"is_prefix": True}, "prefix"),  # email already carries a claim
    ({"time_to_live": -1}, "time_to_live"),
    ({"time_to_live": 2 ** 32}, "time_to_live"),
])
def test_scope_check_refuses_what_the_server_would(want, words):
    with pytest.raises(CurityError) as err:
        scopes().check({"email": want}, "present")
    assert words in str(err.value)


def test_predicted_and_end_states_merge_the_task_over_the_server():
    kind = scopes()
    predicted = kind.predicted({"email": {"required": True}, "new": {"claims": ["b", "a"]}}, "present")
    assert predicted[0] == {"name": "email", "description": "E", "claims": ["email"], "time_to_live": None,
                            "required": True, "expose_in_metadata": True, "is_prefix": False}
    assert predicted[1]["claims"] == ["a", "b"] and predicted[1]["description"] == ""
    assert kind.end_state({"email": {}, "missing": {}}, "present") == [kind.result("email", kind.view("email"))]
    assert kind.predicted({"email": {}}, "absent") == kind.end_state({"email": {}}, "absent") == []


# --------------------------------------------------------------------------------------------
# claims
# --------------------------------------------------------------------------------------------
def claims(mapper_of=None, default_mapper="default", data=None):
    return ClaimList(data or server(), mapper_of=mapper_of, default_mapper=default_mapper)


def test_claim_views_read_the_mapper_and_the_transformation():
    kind = claims()
    views = kind.views({})
    assert views["email"] == {"description": "", "value_provider": "p1", "attribute": "", "required": False,
                              "expose_in_metadata": True, "in_access_token": True, "in_id_token": True, "in_userinfo": False}
    assert views["region"]["attribute"] == "r"
    assert kind.result("sub", views["sub"])["claims_mapper"] == "default"
    assert claims(mapper_of={"email": "other"}).view("email")["in_access_token"] is False


def test_claim_check_names_a_missing_provider_and_a_missing_mapper():
    with pytest.raises(CurityError) as err:
        claims(mapper_of={"b": "nomapper"}).check({"a": {"value_provider": "nope"}, "b": {"in_userinfo": True}}, "present")
    text = str(err.value)
    assert "'nope'" in text and "'nomapper'" in text and "in_userinfo" in text


def test_claim_check_accepts_known_references_and_unmanaged_mappers():
    claims(default_mapper="absent-mapper").check({"a": {"value_provider": "p1", "description": "x"}}, "present")


def test_deleting_a_claim_a_scope_uses_is_refused_naming_the_scope():
    kind = claims()
    with pytest.raises(CurityError) as err:
        kind.check_plan(plan_for(kind, {"email": {}}, state="absent"))
    assert "'email' is used by scope 'email'" in str(err.value)


def test_default_scope_claims_count_as_a_use():
    data = server()
    data["scopes"]["default-scope-claim"] = ["sub"]
    kind = claims(data=data)
    with pytest.raises(CurityError) as err:
        kind.check_plan(plan_for(kind, {"sub": {}}, state="absent"))
    assert "default scope claims" in str(err.value)


def test_a_new_claim_in_the_access_token_is_one_merge_with_a_mapper_fragment():
    sent = written(claims(), {"new": {"value_provider": "p1", "in_access_token": True, "in_id_token": False}})
    assert requested(sent) == [("PATCH", AS + "/claims")]
    assert sent[0][2]["json_body"] == {"profile-oauth:claims": {
        "claim": [{"name": "new", "value-provided-by": "p1"}],
        "claims-mappers": {"claims-mapper": [{"id": "default", "access_token": {"claim": ["new"]}}]}}}


def test_adding_only_mapper_membership_sends_no_claim_entry():
    sent = written(claims(), {"sub": {"in_access_token": True}})
    assert sent[0][2]["json_body"] == {"profile-oauth:claims": {
        "claims-mappers": {"claims-mapper": [{"id": "default", "access_token": {"claim": ["sub"]}}]}}}


def test_leaving_a_token_replaces_the_container():
    sent = written(claims(), {"sub": {"in_id_token": False}})
    body = sent[0][2]["json_body"]["profile-oauth:claims"]
    assert sent[0][0] == "PUT"
    assert body["claims-mappers"]["claims-mapper"][0]["id_token"] == {"claim": ["email"]}
    assert body["claims-value-provider"] == server()["claims"]["claims-value-provider"]


def test_changing_the_single_attribute_replaces_it_and_keeps_the_transformation():
    sent = written(claims(), {"region": {"attribute": "country"}})
    entry = sent[0][2]["json_body"]["profile-oauth:claims"]["claim"][2]
    assert sent[0][0] == "PUT" and entry["transformation"] == {"input-attribute-names": ["country"], "extra": "kept"}


def test_deleting_a_mapped_claim_also_takes_it_out_of_the_mapper():
    sent = written(claims(), {"sub": {}}, state="absent")
    body = sent[0][2]["json_body"]["profile-oauth:claims"]
    assert sent[0][0] == "PUT" and [c["name"] for c in body["claim"]] == ["email", "region"]
    assert body["claims-mappers"]["claims-mapper"][0]["id_token"] == {"claim": ["email"]}


def test_deleting_an_unmapped_claim_is_one_delete():
    sent = written(claims(), {"region": {}}, state="absent")
    assert requested(sent) == [("DELETE", AS + "/claims/claim=region")]


# --------------------------------------------------------------------------------------------
# desired state and the whole converge
# --------------------------------------------------------------------------------------------
def test_desired_items_from_the_single_and_the_list_form():
    single = dict(name="a", description="d", claims=None, scopes=None)
    assert _curity.desired_items(single, ["description", "claims"], "scopes") == {"a": {"description": "d"}}
    listed = dict(name=None, scopes=[dict(name="a", claims=["x"], description=None), dict(name="b", claims=None)])
    assert _curity.desired_items(listed, ["description", "claims"], "scopes") == {"a": {"claims": ["x"]}, "b": {}}


@pytest.mark.parametrize("items, words", [
    ([dict(name="a"), dict(name="a")], "listed twice"),
    ([dict(name="")], "non-empty"),
    ([dict(name=" a")], "surrounding spaces"),
])
def test_desired_items_refuses_bad_names(items, words):
    with pytest.raises(CurityError) as err:
        _curity.desired_items(dict(name=None, scopes=items), [], "scopes")
    assert words in str(err.value) and "scopes[" in str(err.value)


def converge_with(monkeypatch, answers, desired, check_mode=False, state="present", exclusive=False):
    """Run converge on scripted answers: the plan, the end state, the methods sent and the warnings."""
    module = FakeModule(check_mode=check_mode)
    admin, transport = admin_with(*answers)
    monkeypatch.setattr(CurityAdmin, "from_module", classmethod(lambda cls, m: admin))
    plan, end = _curity.converge(module, ScopeList, desired, state, exclusive)
    return dict(plan=plan, end=end, methods=[request[0] for request in transport.calls()], warnings=module.warnings)


def read_answer(data=None):
    return ok({"profile-oauth:authorization-server": data or server()})


def test_converge_without_change_sends_one_get(monkeypatch):
    out = converge_with(monkeypatch, [read_answer()], {"openid": {}})
    assert not out["plan"].changed and out["methods"] == ["GET"]
    assert out["end"][0]["name"] == "openid"


def test_converge_in_check_mode_writes_nothing_and_predicts(monkeypatch):
    out = converge_with(monkeypatch, [read_answer()], {"new": {"description": "d"}}, check_mode=True)
    assert out["plan"].changed and out["methods"] == ["GET"]
    assert out["end"][0]["description"] == "d"


def test_converge_writes_once_and_reads_back(monkeypatch):
    after = server()
    after["scopes"]["scope"].append({"id": "new", "description": "d"})
    out = converge_with(monkeypatch, [read_answer(), Reply(204, {}, "", None), read_answer(after)], {"new": {"description": "d"}})
    assert out["methods"] == ["GET", "PATCH", "GET"]
    assert out["end"][0]["description"] == "d" and out["warnings"] == []
    assert out["plan"].diff() == {"before": {}, "after": {"new": {"description": "d"}}}


def test_converge_warns_when_the_read_back_differs(monkeypatch):
    out = converge_with(monkeypatch, [read_answer(), Reply(204, {}, "", None), read_answer()], {"new": {"description": "d"}})
    assert out["end"] == [] and "still differ" in out["warnings"][0]


def test_converge_refuses_exclusive_with_absent_before_any_request(monkeypatch):
    with pytest.raises(CurityError):
        converge_with(monkeypatch, [], {"a": {}}, state="absent", exclusive=True)


# --------------------------------------------------------------------------------------------
# the DCR credential
# --------------------------------------------------------------------------------------------
def profile(client=None, dcr=None, jwt=False):
    server_part = {"scopes": {"scope": [{"id": "openid"}, {"id": "kong-api"}]},
                   "client-store": {"config-backed": {"client": [{"id": "web"}] + ([client] if client else [])}}}
    if dcr is not None:
        server_part["dynamic-client-registration"] = dcr
    issuer = {"default-data-source": "default-datasource"}
    if jwt:
        issuer["access-token-as-jwt"] = EMPTY
    return {"id": "token-service", "type": "profile-oauth:oauth-service",
            "settings": {"profile-oauth:authorization-server": server_part},
            "token-issuers": {"default-token-issuer": issuer}}


def dcr_settings(clients=("konnect-dcr",), scopes=None):
    return {"client-data-source": "default-datasource",
            "non-templatized": {"capabilities": {"client-credentials": EMPTY, "implicit": EMPTY},
                                "scopes": {"scope": list(scopes)} if scopes else {"all": EMPTY},
                                "client-authentication-method": {"secret": {}},
                                "authenticate-client-by": list(clients)},
            "client-management": {"management-clients": ["konnect-dcr"]}}


def test_credential_views():
    client = {"id": "konnect-dcr", "client-name": "K", "scope": ["b", "a"], "capabilities": {"client-credentials": EMPTY}}
    config = CredentialConfig(profile(client, dcr_settings(), jwt=True), "konnect-dcr")
    assert config.client_view() == {"client_name": "K", "description": "", "scopes": ["a", "b"], "client_credentials": True}
    assert config.dcr_view() == {"client_data_source": "default-datasource", "capabilities": ["client_credentials", "implicit"],
                                 "scopes": "all", "client_authentication": ["secret"], "authenticate_client_by": ["konnect-dcr"],
                                 "management_clients": ["konnect-dcr"], "client_management": True}
    assert config.dcr_enabled and config.issuer_view() == {"access_token_as_jwt": True}
    empty = CredentialConfig(profile(), "konnect-dcr")
    assert (empty.client_view(), empty.dcr_view(), empty.dcr_enabled, empty.jwt) == (None, None, False, False)
    assert empty.unknown_scopes(["kong-api", "x"]) == ["x"]


def test_credential_read_uses_one_narrowed_get_of_the_profile():
    admin, transport = admin_with(ok({"base:profile": [profile()]}))
    CredentialConfig.read(admin, "konnect-dcr")
    path = transport.sent[0][1]
    assert path.startswith(PROFILE + "?content=config&fields=settings/profile-oauth:authorization-server(")
    assert "secret" not in path


def credential_write(config, changes, secret=None, answers=()):
    admin, transport = admin_with(*answers)
    config.write(admin, _engine.Plan(changes), secret)
    return transport.sent


def test_creating_everything_is_one_patch_of_the_profile_with_the_plain_secret():
    config = CredentialConfig(profile(), "konnect-dcr")
    client = _engine.compare("client", None, {"client_credentials": True, "secret": "s3cret", "scopes": ["kong-api"]},
                             secret_keys=("secret",))
    dcr = _engine.compare("dynamic_client_registration", None, {
        "client_data_source": "ds", "capabilities": ["client_credentials", "code"], "client_authentication": ["secret"],
        "authenticate_client_by": ["konnect-dcr"], "client_management": True, "scopes": "all"})
    issuer = _engine.compare("token_issuer", {"access_token_as_jwt": False}, {"access_token_as_jwt": True})
    sent = credential_write(config, [client, dcr, issuer], "s3cret")
    assert requested(sent) == [("PATCH", PROFILE)]
    assert sent[0][2]["json_body"] == {"base:profile": [{
        "id": "token-service", "type": "profile-oauth:oauth-service",
        "settings": {"profile-oauth:authorization-server": {
            "client-store": {"config-backed": {"client": [{
                "id": "konnect-dcr", "capabilities": {"client-credentials": EMPTY}, "scope": ["kong-api"], "secret": "s3cret"}]}},
            "dynamic-client-registration": {
                "client-data-source": "ds", "client-management": {},
                "non-templatized": {"capabilities": {"client-credentials": EMPTY, "code": {}},
                                    "client-authentication-method": {"secret": {}},
                                    "authenticate-client-by": ["konnect-dcr"], "scopes": {"all": EMPTY}}}}},
        "token-issuers": {"default-token-issuer": {"access-token-as-jwt": EMPTY}}}]}


def test_adding_the_client_to_existing_dcr_merges_only_the_new_entry():
    config = CredentialConfig(profile({"id": "konnect-dcr"}, dcr_settings(clients=["other"])), "konnect-dcr")
    view = config.dcr_view()
    dcr = _engine.compare("dynamic_client_registration", view, dict(view, authenticate_client_by=["konnect-dcr", "other"]))
    sent = credential_write(config, [dcr])
    assert sent[0][2]["json_body"]["base:profile"][0]["settings"]["profile-oauth:authorization-server"] == {
        "dynamic-client-registration": {"non-templatized": {"authenticate-client-by": ["konnect-dcr"]}}}


def test_a_client_losing_scopes_is_read_and_replaced_keeping_its_secret_hash():
    current = {"id": "konnect-dcr", "scope": ["a", "b"], "secret": "$5$salt$hash", "capabilities": {"client-credentials": EMPTY}}
    config = CredentialConfig(profile(dict(current, secret=None)), "konnect-dcr")
    change = _engine.compare("client", config.client_view(), {"scopes": ["a"], "client_credentials": True})
    sent = credential_write(config, [change], answers=[ok({"profile-oauth:client": [copy.deepcopy(current)]})])
    client_path = AS + "/client-store/config-backed/client=konnect-dcr"
    assert requested(sent) == [("GET", client_path + "?content=config"), ("PUT", client_path)]
    assert sent[1][2]["json_body"] == {"profile-oauth:client": [dict(current, scope=["a"])]}


def test_dcr_scopes_that_shrink_replace_the_scopes_container():
    config = CredentialConfig(profile({"id": "konnect-dcr"}, dcr_settings(scopes=["a", "b"])), "konnect-dcr")
    view = config.dcr_view()
    sent = credential_write(config, [_engine.compare("dynamic_client_registration", view, dict(view, scopes=["a"]))])
    assert requested(sent) == [("PUT", AS + "/dynamic-client-registration/non-templatized/scopes")]
    assert sent[0][2]["json_body"] == {"profile-oauth:scopes": {"scope": ["a"]}}


def test_turning_jwt_off_deletes_the_empty_leaf():
    config = CredentialConfig(profile(jwt=True), "konnect-dcr")
    sent = credential_write(config, [_engine.compare("token_issuer", config.issuer_view(), {"access_token_as_jwt": False})])
    assert requested(sent) == [("DELETE", PROFILE + "/token-issuers/default-token-issuer/access-token-as-jwt")]


def test_a_deleted_client_first_leaves_the_dcr_settings():
    config = CredentialConfig(profile({"id": "konnect-dcr"}, dcr_settings(clients=["konnect-dcr", "other"])), "konnect-dcr")
    view = config.dcr_view()
    leaving = {"authenticate_client_by": ["other"], "management_clients": []}
    sent = credential_write(config, [_engine.compare("client", config.client_view(), None, "absent"),
                                     _engine.compare("dynamic_client_registration", view, leaving)])
    assert requested(sent) == [("PUT", AS + "/dynamic-client-registration"),
                               ("DELETE", AS + "/client-store/config-backed/client=konnect-dcr")]
    body = sent[0][2]["json_body"]["profile-oauth:dynamic-client-registration"]
    assert body["non-templatized"]["authenticate-client-by"] == ["other"] and body["client-management"] == {}


# --------------------------------------------------------------------------------------------
# the OAuth runtime
# --------------------------------------------------------------------------------------------
DISCOVERY = {"issuer": "https://idsvr/oauth/v2/oauth-anonymous", "token_endpoint": "https://idsvr/oauth/v2/oauth-token"}


def runtime_with(monkeypatch, *answers, **params):
    transport = FakeTransport(*answers)
    monkeypatch.setattr(_curity, "Transport", transport.build)
    module = FakeModule(**params)
    return CurityRuntime(module, DISCOVERY["issuer"] + "/.well-known/openid-configuration"), transport, module


def test_discovery_is_read_once_until_invalidated(monkeypatch):
    runtime, transport, module = runtime_with(monkeypatch, ok(DISCOVERY), ok(DISCOVERY))
    assert runtime.metadata() == runtime.metadata() == DISCOVERY
    runtime.invalidate()
    runtime.metadata()
    assert transport.calls() == [("GET", DISCOVERY["issuer"] + "/.well-known/openid-configuration")] * 2
    assert module.warnings == []


def test_a_document_without_token_endpoint_is_a_clear_error(monkeypatch):
    runtime = runtime_with(monkeypatch, ok({"issuer": DISCOVERY["issuer"]}))[0]
    with pytest.raises(CurityError) as err:
        runtime.metadata()
    assert "CURITY_ISSUER" in str(err.value)


def test_an_issuer_mismatch_warns(monkeypatch):
    runtime, module = runtime_with(monkeypatch, ok(dict(DISCOVERY, issuer="https://other")))[0::2]
    runtime.metadata()
    assert "https://other" in module.warnings[0]


def test_token_request_is_form_encoded_basic_auth_and_hides_the_secret_and_token(monkeypatch):
    answer = ok({"access_token": "tok-unit-77", "token_type": "bearer", "scope": "dcr"})
    runtime, transport, module = runtime_with(monkeypatch, ok(DISCOVERY), answer, check_mode=True)
    assert runtime.client_credentials_token("konnect dcr", "s:e+c%", "dcr")["scope"] == "dcr"
    method, url, kwargs = transport.sent[1]
    assert (method, url, kwargs["write"]) == ("POST", DISCOVERY["token_endpoint"], False)
    assert kwargs["data"] == "grant_type=client_credentials&scope=dcr"
    assert transport.built[-1]["auth"] == ("konnect%20dcr", "s%3Ae%2Bc%25")
    assert transport.built[-1]["base"] == DISCOVERY["token_endpoint"]
    assert {"s:e+c%", "s%3Ae%2Bc%25", "tok-unit-77"} <= module.no_log_values


@pytest.mark.parametrize("status, body, bad", [
    (401, {"error": "invalid_client"}, True),
    (400, {"error": "invalid_client"}, True),
    (400, {"error": "invalid_scope"}, False),
])
def test_token_refusals_tell_bad_credentials_apart(monkeypatch, status, body, bad):
    runtime = runtime_with(monkeypatch, ok(DISCOVERY), http_error(status, body, "POST"))[0]
    with pytest.raises(TokenRefused) as err:
        runtime.client_credentials_token("c", "s")
    assert err.value.bad_credentials is bad and err.value.error == body["error"]


def test_a_token_answer_without_token_is_an_error(monkeypatch):
    runtime = runtime_with(monkeypatch, ok(DISCOVERY), ok({"token_type": "bearer"}))[0]
    with pytest.raises(CurityError):
        runtime.client_credentials_token("c", "s")


@pytest.mark.parametrize("endpoint, problem", [
    ("https://idsvr/oauth/v2/oauth-token", ""),
    ("https://IDSVR:443/oauth/v2/oauth-token", ""),
    ("https://idsvr:8443/oauth/v2/oauth-token", "port 8443 is not the issuer's port 443"),
    ("http://idsvr/oauth/v2/oauth-token", "in clear"),
    ("https://evil.example.com/oauth/v2/oauth-token", "'evil.example.com' is not the issuer's host 'idsvr'"),
    ("https://user:pw@idsvr/oauth/v2/oauth-token", "credentials"),
    ("/oauth/v2/oauth-token", "absolute"),
    ("https://[::1/oauth-token", "not a valid URL"),
])
def test_token_endpoint_must_match_the_issuer(endpoint, problem):
    found = _curity.token_endpoint_problem(DISCOVERY["issuer"], endpoint)
    assert (problem in found and found) if problem else found == ""


def test_an_http_issuer_may_use_an_https_token_endpoint():
    assert _curity.token_endpoint_problem("http://idsvr/oauth", "https://idsvr/token") == ""
    assert _curity.token_endpoint_problem("http://idsvr:8080/oauth", "https://idsvr:8443/token") == ""


@pytest.mark.parametrize("endpoint", ["http://idsvr/oauth/v2/oauth-token", "https://attacker.example.com/token"])
def test_the_secret_is_not_sent_to_a_token_endpoint_the_issuer_does_not_vouch_for(monkeypatch, endpoint):
    runtime, transport, module = runtime_with(monkeypatch, ok(dict(DISCOVERY, token_endpoint=endpoint)), check_mode=True)
    with pytest.raises(CurityError) as err:
        runtime.client_credentials_token("konnect-dcr", "s3cret-not-sent")
    assert "allow_insecure_token_endpoint" in str(err.value) and "was not sent" in str(err.value)
    assert [call[0] for call in transport.calls()] == ["GET"]


def test_allow_insecure_token_endpoint_sends_with_a_warning(monkeypatch):
    answer = ok({"access_token": "tok-unit-78"})
    transport = FakeTransport(ok(dict(DISCOVERY, token_endpoint="http://idsvr/oauth/v2/oauth-token")), answer)
    monkeypatch.setattr(_curity, "Transport", transport.build)
    module = FakeModule()
    runtime = CurityRuntime(module, DISCOVERY["issuer"], allow_insecure_token_endpoint=True)
    runtime.client_credentials_token("konnect-dcr", "s3cret")
    assert [call[0] for call in transport.calls()] == ["GET", "POST"]
    assert "in clear" in module.warnings[0]


def test_a_token_answer_that_is_not_an_object_is_an_error(monkeypatch):
    runtime = runtime_with(monkeypatch, ok(DISCOVERY), ok(["access_token"]))[0]
    with pytest.raises(CurityError):
        runtime.client_credentials_token("c", "s")


def test_generated_secrets_are_long_and_unique():
    first, second = _curity.generate_secret(), _curity.generate_secret()
    assert first != second and len(first) >= 43
