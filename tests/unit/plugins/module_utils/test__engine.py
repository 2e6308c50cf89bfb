# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The change engine: one plan, normalised comparison, masked diffs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._engine import (
    CREATE,
    DELETE,
    KEEP,
    SECRET_MASK,
    UPDATE,
    Change,
    Plan,
    compare,
    managed_view,
    mask,
    normalise,
    plan_collection,
    strip_none,
    user_set,
)


def test_user_set_keeps_only_the_set_options_and_strips_nested_none():
    params = {"name": "a", "description": None, "claims": [], "extra": 1, "sub": {"x": None, "y": 2}}
    assert user_set(params, ("name", "description", "claims", "sub", "missing")) == {
        "name": "a", "claims": [], "sub": {"y": 2}}


def test_strip_none_recurses_into_lists_and_dicts():
    assert strip_none([{"a": None, "b": [{"c": None, "d": 0}]}]) == [{"b": [{"d": 0}]}]


def test_normalise_sorts_and_deduplicates_scalar_lists():
    assert normalise({"claims": ["b", "a", "b"], "none": None}) == {"claims": ["a", "b"]}


def test_normalise_keeps_ordered_lists_and_lists_of_dicts_as_given():
    value = {"uris": ["z", "a"], "items": [{"k": 2}, {"k": 1}]}
    assert normalise(value, ordered=("uris",)) == value


def test_normalise_sorts_mixed_types_without_error():
    assert normalise([2, "1", True]) == [True, 2, "1"]


def test_managed_view_restricts_current_to_desired_keys_recursively():
    current = {"a": 1, "b": 2, "nested": {"x": 1, "y": 2}, "list": [1]}
    desired = {"a": 0, "nested": {"x": 0}, "missing": 5, "list": [2]}
    assert managed_view(current, desired) == {"a": 1, "nested": {"x": 1}, "missing": None, "list": [1]}


def test_managed_view_of_a_scalar_desired_is_the_current_value():
    assert managed_view("x", "y") == "x"
    assert managed_view(None, {"a": 1}) == {"a": None}


def test_mask_replaces_secret_values_but_not_missing_ones():
    assert mask({"secret": "s", "other": "o", "deep": [{"secret": None}]}, ("secret",)) == {
        "secret": SECRET_MASK, "other": "o", "deep": [{"secret": None}]}


def test_compare_create_shows_only_the_desired_fields_masked():
    change = compare("c", None, {"name": "n", "secret": "s", "unset": None}, secret_keys=("secret",))
    assert (change.action, change.before, change.after) == (CREATE, None, {"name": "n", "secret": SECRET_MASK})
    assert change.changed and change.changed_fields() == ["name", "secret"]


def test_compare_keep_ignores_unmanaged_fields_order_and_duplicates():
    change = compare("s", {"claims": ["a", "b"], "description": "d"}, {"claims": ["b", "a", "a"]})
    assert change.action == KEEP and not change.changed and change.fields == []


def test_compare_update_reports_only_the_differing_fields():
    change = compare("s", {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5})
    assert change.action == UPDATE
    assert (change.before, change.after) == ({"a": 1, "b": 2}, {"a": 1, "b": 5})
    assert change.changed_fields() == ["b"]


def test_compare_update_lists_a_changed_secret_although_both_sides_are_masked():
    change = compare("c", {"secret": "old", "n": 1}, {"secret": "new", "n": 1}, secret_keys=("secret",))
    assert change.action == UPDATE
    assert change.before == change.after == {"secret": SECRET_MASK, "n": 1}
    assert change.changed_fields() == ["secret"]


def test_compare_force_fields_count_as_changed_whatever_the_server_shows():
    change = compare("c", {"secret": "$5$hash"}, {"secret": "same"}, secret_keys=("secret",), force_fields=("secret",))
    assert change.action == UPDATE
    assert change.before == {"secret": None} and change.after == {"secret": SECRET_MASK}
    unforced = compare("c", {"other": 1}, {"other": 1}, force_fields=("secret",))
    assert unforced.action == KEEP


def test_compare_absent_deletes_an_existing_object_and_keeps_a_missing_one():
    deleted = compare("c", {"secret": "s", "b": ["y", "x"]}, None, state="absent", secret_keys=("secret",))
    assert (deleted.action, deleted.before, deleted.after) == (DELETE, {"secret": SECRET_MASK, "b": ["x", "y"]}, None)
    assert deleted.changed_fields() == ["b", "secret"]
    assert compare("c", None, {"a": 1}, state="absent").action == KEEP


def test_change_without_recorded_fields_compares_before_and_after():
    change = Change("k", UPDATE, {"a": 1, "b": 2}, {"a": 1, "b": 3})
    assert change.changed_fields() == ["b"]


def test_plan_diff_holds_only_changing_objects():
    plan = Plan([compare("same", {"a": 1}, {"a": 1}), compare("new", None, {"a": 2}),
                 compare("old", {"a": 3}, None, "absent"), compare("upd", {"a": 4}, {"a": 5})])
    assert plan.changed
    assert plan.diff() == {"before": {"old": {"a": 3}, "upd": {"a": 4}}, "after": {"new": {"a": 2}, "upd": {"a": 5}}}
    assert [c.key for c in plan.of(DELETE)] == ["old"]


def test_empty_and_unchanged_plans_are_not_changed():
    assert not Plan().changed
    plan = Plan()
    plan.add(compare("x", {"a": 1}, {"a": 1}))
    assert not plan.changed and plan.diff() == {"before": {}, "after": {}}


def test_plan_collection_creates_updates_and_keeps():
    current = {"a": {"d": "1"}, "b": {"d": "2"}, "c": {"d": "3"}}
    plan = plan_collection(current, {"a": {"d": "1"}, "b": {"d": "x"}, "n": {"d": "y"}})
    assert [(c.key, c.action) for c in plan.changes] == [("a", KEEP), ("b", UPDATE), ("n", CREATE)]


@pytest.mark.parametrize("exclusive, expected", [
    (False, [("a", KEEP)]),
    (True, [("a", KEEP), ("b", DELETE), ("c", DELETE)]),
])
def test_plan_collection_exclusive_deletes_unlisted_items_in_a_stable_order(exclusive, expected):
    current = {"c": {}, "a": {}, "b": {}}
    plan = plan_collection(current, {"a": {}}, exclusive=exclusive)
    assert [(c.key, c.action) for c in plan.changes] == expected


def test_plan_collection_exclusive_spares_protected_items():
    plan = plan_collection({"a": {}, "keep": {}}, {}, exclusive=True, protected=("keep",))
    assert [(c.key, c.action) for c in plan.changes] == [("a", DELETE)]


def test_plan_collection_absent_deletes_existing_desired_keys_only():
    plan = plan_collection({"a": {"x": 1}, "b": {}}, {"a": {}, "zz": {}}, state="absent", exclusive=True)
    assert [(c.key, c.action) for c in plan.changes] == [("a", DELETE), ("zz", KEEP)]


def test_engine_exports_the_action_names():
    assert {_engine.CREATE, _engine.UPDATE, _engine.DELETE, _engine.KEEP} == {"create", "update", "delete", "keep"}
