# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Curity client at the transport boundary: options, paths, plain reads, shape checks, errors, the runtime."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _curity
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    CurityAdmin,
    CurityError,
    CurityRuntime,
    TokenRefused,
)
from ansible_collections.devportal.dcr.plugins.module_utils._http import HttpError, Reply
from ansible_collections.devportal.dcr.tests.unit.plugins.module_utils.curity_fakes import (
    AS,
    PARAMS,
    FakeModule,
    FakeTransport,
    Failed,
    admin_with,
    http_error,
    ok,
)


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


PROFILES = "data/base:profiles/profile?content=config&depth=2"
LISTING = ok({"base:profile": [{"id": "token-service", "type": "profile-oauth:oauth-service"},
                               {"id": "authentication-service", "type": "profile-authentication:authentication-service"}]})


def test_a_read_is_a_plain_get_of_the_subtree_with_content_config_only():
    admin, transport = admin_with(ok({"profile-oauth:scopes": {"scope": []}}))
    assert admin.read(admin.path("scopes"), "scopes", "the profile") == {"scope": []}
    method, path, kwargs = transport.sent[0]
    assert (method, path) == ("GET", AS + "/scopes?content=config")
    assert kwargs["headers"] == {"Accept": "application/yang-data+json"} and kwargs["expect"] == (200, 204)


def test_no_read_sends_fields():
    admin, transport = admin_with(http_error(404), LISTING, ok({}))
    admin.read(admin.client_path("x"), "client", "client")
    admin.data_source_exists("default-datasource")
    assert transport.calls() == [("GET", AS + "/client-store/config-backed/client=x?content=config"), ("GET", PROFILES),
                                 ("GET", "data/base:facilities/data-sources/data-source=default-datasource/id?content=config")]
    assert not any("fields" in path for _method, path in transport.calls())


def test_a_list_entry_answer_gives_its_one_entry_and_a_204_or_an_empty_answer_is_nothing():
    admin = admin_with(ok({"profile-oauth:client": [{"id": "x"}]}), Reply(204, {}, "", None), ok({}))[0]
    assert admin.read(admin.client_path("x"), "client", "client") == {"id": "x"}
    assert admin.read(admin.path("scopes"), "scopes", "the profile") is None
    assert admin.read(admin.path("claims"), "claims", "the profile") is None


def test_a_404_is_nothing_once_the_profile_is_known_to_exist_and_that_is_checked_once():
    admin, transport = admin_with(http_error(404), LISTING, http_error(404))
    assert admin.read(admin.client_path("x"), "client", "client") is None
    assert admin.read(admin.path("dynamic-client-registration"), "dynamic-client-registration", "AS") is None
    assert [path for _method, path in transport.calls()].count(PROFILES) == 1


def test_a_missing_profile_is_a_clear_error_naming_the_token_service_profiles():
    admin, transport = admin_with(http_error(404), ok({"base:profile": [
        {"id": "oauth-dev", "type": "profile-oauth:oauth-service"}, {"id": "authn", "type": "profile-authentication:x"}]}))
    with pytest.raises(CurityError) as err:
        admin.read(admin.client_path("x"), "client", "client")
    assert "'token-service'" in str(err.value) and "CURITY_PROFILE_ID" in str(err.value)
    assert "'oauth-dev'" in str(err.value) and "authn" not in str(err.value)
    assert transport.calls()[1] == ("GET", PROFILES)


def test_a_restconf_api_without_the_root_resource_is_recognised_by_its_yang_library_version():
    admin, transport = admin_with(http_error(404), http_error(404), http_error(404),
                                  ok({"ietf-restconf:yang-library-version": "2016-06-21"}))
    with pytest.raises(CurityError) as err:
        admin.read(admin.path("scopes"), "scopes", "AS")
    assert "CURITY_PROFILE_ID" in str(err.value)
    assert transport.calls()[3] == ("GET", "https://idsvr:6749/admin/api/restconf/yang-library-version")


@pytest.mark.parametrize("answers", [(http_error(404), http_error(404)), (ok({"something": "else"}), ok(None)),
                                     (http_error(401), http_error(401))])
def test_a_404_from_a_url_that_is_not_restconf_names_admin_url(answers):
    admin = admin_with(http_error(404), http_error(404), *answers)[0]
    with pytest.raises(CurityError) as err:
        admin.read(admin.path("scopes"), "scopes", "AS")
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


@pytest.mark.parametrize("body, words", [
    (["a list"], "not a JSON object"),
    ({"profile-oauth:scopes": ["x"]}, "the string 'x' for scopes of the profile, where an object is expected"),
    ({"profile-oauth:scopes": 3}, "the number 3 for scopes"),
    ({"profile-oauth:client": [{"id": "a"}, {"id": "b"}]}, "one entry"),
    ({"profile-oauth:scopes": "text"}, "the string 'text' for scopes"),
])
def test_an_answer_of_another_shape_is_a_clear_error_naming_the_object(body, words):
    admin = admin_with(ok(body))[0]
    name = "client" if "profile-oauth:client" in (body if isinstance(body, dict) else {}) else "scopes"
    with pytest.raises(CurityError) as err:
        admin.read(admin.path(name), name, "the profile")
    assert words in str(err.value), str(err.value)


@pytest.mark.parametrize("reader, obj, words", [
    (lambda o: _curity.text_of(o, "client-name", "client 'k'"), {"client-name": ["a"]}, "a list for client-name of client 'k'"),
    (lambda o: _curity.strings_of(o, "scope", "client 'k'"), {"scope": "openid"}, "a list of strings"),
    (lambda o: _curity.strings_of(o, "scope", "client 'k'"), {"scope": ["openid", 3]}, "a list of strings"),
    (lambda o: _curity.object_of(o, "capabilities", "client 'k'"), {"capabilities": [None]}, "an object"),
    (lambda o: _curity.entries_of(o, "scope", "the scopes", "id"), {"scope": [{"id": ["x"]}]}, "id of an entry"),
    (lambda o: _curity.entries_of(o, "scope", "the scopes", "id"), {"scope": [{"description": "x"}]}, "the key id"),
    (lambda o: _curity.scalar_of(o, "required", "scope 'x'", bool), {"required": "yes"}, "a boolean"),
    (lambda o: _curity.scalar_of(o, "time-to-live", "scope 'x'", int), {"time-to-live": True}, "an integer"),
])
def test_every_field_read_is_type_checked_with_a_message_naming_object_and_field(reader, obj, words):
    with pytest.raises(CurityError) as err:
        reader(obj)
    assert words in str(err.value) and "Curity admin API answered" in str(err.value), str(err.value)


def test_wrong_admin_credentials_are_a_clear_error_without_the_password():
    admin = admin_with(http_error(401))[0]
    with pytest.raises(CurityError) as err:
        admin.read(admin.path("scopes"), "scopes", "AS")
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
