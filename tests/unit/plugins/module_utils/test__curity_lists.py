# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scopes and claims at the transport boundary: what is read, what is written, what is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _curity_lists, _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import CurityAdmin, CurityError
from ansible_collections.devportal.dcr.plugins.module_utils._curity_lists import ClaimList, ScopeList
from ansible_collections.devportal.dcr.plugins.module_utils._http import Reply
from ansible_collections.devportal.dcr.tests.unit.plugins.module_utils.curity_fakes import (
    AS,
    FakeModule,
    admin_with,
    ok,
    requested,
)


def server():
    """An authorization server's scopes and claims containers, as plain GETs return them."""
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
    assert _curity_lists.desired_items(single, ["description", "claims"], "scopes") == {"a": {"description": "d"}}
    listed = dict(name=None, scopes=[dict(name="a", claims=["x"], description=None), dict(name="b", claims=None)])
    assert _curity_lists.desired_items(listed, ["description", "claims"], "scopes") == {"a": {"claims": ["x"]}, "b": {}}


@pytest.mark.parametrize("items, words", [
    ([dict(name="a"), dict(name="a")], "listed twice"),
    ([dict(name="")], "non-empty"),
    ([dict(name=" a")], "surrounding spaces"),
])
def test_desired_items_refuses_bad_names(items, words):
    with pytest.raises(CurityError) as err:
        _curity_lists.desired_items(dict(name=None, scopes=items), [], "scopes")
    assert words in str(err.value) and "scopes[" in str(err.value)


def converge_with(monkeypatch, answers, desired, check_mode=False, state="present", exclusive=False):
    """Run converge on scripted answers: the plan, the end state, the methods sent and the warnings."""
    module = FakeModule(check_mode=check_mode)
    admin, transport = admin_with(*answers)
    monkeypatch.setattr(CurityAdmin, "from_module", classmethod(lambda cls, m: admin))
    plan, end = _curity_lists.converge(module, ScopeList, desired, state, exclusive)
    return dict(plan=plan, end=end, methods=[request[0] for request in transport.calls()], calls=transport.calls(),
                warnings=module.warnings)


def read_answer(data=None, container="scopes"):
    return ok({"profile-oauth:%s" % container: (data or server())[container]})


def test_converge_without_change_sends_one_plain_get_of_the_container(monkeypatch):
    out = converge_with(monkeypatch, [read_answer()], {"openid": {}})
    assert not out["plan"].changed and out["calls"] == [("GET", AS + "/scopes?content=config")]
    assert out["end"][0]["name"] == "openid"


def test_scopes_with_claims_read_the_claims_once_to_check_them(monkeypatch):
    out = converge_with(monkeypatch, [read_answer(), read_answer(container="claims")],
                        {"new": {"claims": ["email"]}, "other": {"claims": ["sub"]}}, check_mode=True)
    assert out["calls"] == [("GET", AS + "/scopes?content=config"), ("GET", AS + "/claims?content=config")]


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


def test_deleting_claims_reads_the_scopes_once_to_find_their_users(monkeypatch):
    module = FakeModule()
    admin, transport = admin_with(read_answer(container="claims"), read_answer())
    monkeypatch.setattr(CurityAdmin, "from_module", classmethod(lambda cls, m: admin))
    with pytest.raises(CurityError) as err:
        _curity_lists.converge(module, ClaimList, {"email": {}, "sub": {}}, "absent", False)
    assert "scope 'email'" in str(err.value)
    assert requested(transport.sent) == [("GET", AS + "/claims?content=config"), ("GET", AS + "/scopes?content=config")]


@pytest.mark.parametrize("data, words", [
    ({"scopes": {"scope": [{"id": "a", "required": "yes"}]}}, "for required of scope 'a'"),
    ({"scopes": {"scope": [{"id": "a", "claims": "email"}]}}, "for claims of scope 'a'"),
    ({"scopes": {"scope": [{"id": ["a"]}]}}, "for id of an entry of scope"),
    ({"scopes": {"scope": {"id": "a"}}}, "for scope of the scopes of the profile"),
])
def test_a_field_of_another_type_is_a_clear_error_naming_the_scope_and_the_field(data, words):
    with pytest.raises(CurityError) as err:
        ScopeList(data).views({})
    assert words in str(err.value), str(err.value)


def test_a_claims_mapper_of_another_shape_is_a_clear_error():
    data = server()
    data["claims"]["claims-mappers"]["claims-mapper"][0]["access_token"] = {"claim": "email"}
    with pytest.raises(CurityError) as err:
        ClaimList(data).views({})
    assert "access_token of claims mapper 'default'" in str(err.value)


def test_converge_refuses_exclusive_with_absent_before_any_request(monkeypatch):
    with pytest.raises(CurityError):
        converge_with(monkeypatch, [], {"a": {}}, state="absent", exclusive=True)
