# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The one change engine: desired state against current state.

Every module builds the *desired* state from the options the user set (``user_set``), reads
the *current* state once, and asks the engine for a ``Plan``.  The plan is computed once and
is the same in check mode and in a real run; modules only branch on check mode to skip the
write.  Rules:

* only fields the user set are compared and shown (``managed_view``);
* values are normalised before comparing: ``None`` means "not managed", lists of scalars
  are sets unless named ``ordered``, nested dicts are compared on the keys given;
* secrets never appear in a diff or a result (``mask``);
* the diff shows only the items that change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

SECRET_MASK = "********"

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
KEEP = "keep"


def user_set(params, keys):
    """The options among ``keys`` that the user set (not None), sub-dicts stripped of None too."""
    out = {}
    for key in keys:
        value = params.get(key)
        if value is not None:
            out[key] = strip_none(value)
    return out


def strip_none(value):
    """Drop None-valued keys recursively (the argspec fills unset sub-options with None)."""
    if isinstance(value, dict):
        return dict((k, strip_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value


def normalise(value, ordered=(), _key=None):
    """A comparable form: lists of scalars become sorted, de-duplicated lists unless their key is ``ordered``."""
    if isinstance(value, dict):
        return dict((k, normalise(v, ordered, k)) for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        items = [normalise(v, ordered, _key) for v in value]
        if _key in ordered or any(isinstance(v, (dict, list)) for v in items):
            return items
        unique = []
        for item in items:
            if item not in unique:
                unique.append(item)
        return sorted(unique, key=_sort_key)
    return value


def _sort_key(item):
    return (type(item).__name__, str(item))


def managed_view(current, desired):
    """``current`` restricted to the keys present in ``desired`` (recursively for dicts).

    A key missing from ``current`` shows as None, so setting a field that the server does not
    have is a change.
    """
    if not isinstance(desired, dict):
        return current
    current = current if isinstance(current, dict) else {}
    view = {}
    for key, want in desired.items():
        have = current.get(key)
        if isinstance(want, dict) and isinstance(have, dict):
            view[key] = managed_view(have, want)
        else:
            view[key] = copy.deepcopy(have)
    return view


def mask(value, secret_keys):
    """A copy of ``value`` with every key named in ``secret_keys`` replaced by a mask."""
    if isinstance(value, dict):
        return dict((k, SECRET_MASK if k in secret_keys and v is not None else mask(v, secret_keys))
                    for k, v in value.items())
    if isinstance(value, list):
        return [mask(v, secret_keys) for v in value]
    return value


class Change:
    """One object's verdict: ``action`` and the managed before/after views (masked).

    ``fields`` (optional) names the fields that differ, decided on the unmasked values, so a
    secret that changes is listed even though both sides show the same mask.
    """

    def __init__(self, key, action, before=None, after=None, fields=None):
        self.key = key
        self.action = action
        self.before = before
        self.after = after
        self.fields = fields

    @property
    def changed(self):
        return self.action != KEEP

    def changed_fields(self):
        """Fields whose value changes (for an update)."""
        if self.action != UPDATE:
            return sorted((self.after or self.before or {}).keys())
        if self.fields is not None:
            return list(self.fields)
        return sorted(k for k in self.after if self.before.get(k) != self.after.get(k))


def compare(key, current, desired, state="present", ordered=(), secret_keys=(), force_fields=()):
    """The ``Change`` that brings ``current`` (None if absent) to ``desired`` under ``state``.

    ``force_fields`` are desired fields that count as changed whatever the server shows
    (a write-only secret under ``update_secret: always``).
    """
    if state == "absent":
        if current is None:
            return Change(key, KEEP)
        return Change(key, DELETE, mask(normalise(current, ordered), secret_keys), None)
    want = normalise(strip_none(desired), ordered)
    if current is None:
        return Change(key, CREATE, None, mask(want, secret_keys))
    have = normalise(managed_view(current, want), ordered)
    for field in force_fields:
        if field in want:
            have[field] = None
    if have == want:
        return Change(key, KEEP, mask(have, secret_keys), mask(want, secret_keys), [])
    fields = sorted(k for k in want if have.get(k) != want.get(k))
    return Change(key, UPDATE, mask(have, secret_keys), mask(want, secret_keys), fields)


class Plan:
    """The changes for a set of objects, in a stable order, with one diff."""

    def __init__(self, changes=None):
        self.changes = list(changes or [])

    def add(self, change):
        self.changes.append(change)
        return change

    @property
    def changed(self):
        return any(c.changed for c in self.changes)

    def of(self, action):
        return [c for c in self.changes if c.action == action]

    def diff(self):
        """Ansible's ``diff`` for the objects that change, keyed by object key."""
        before, after = {}, {}
        for change in self.changes:
            if not change.changed:
                continue
            if change.before is not None:
                before[change.key] = change.before
            if change.after is not None:
                after[change.key] = change.after
        return {"before": before, "after": after}


def plan_collection(current, desired, state="present", exclusive=False, protected=(), ordered=(), secret_keys=()):
    """Plan a keyed collection (scopes, claims): ``current`` and ``desired`` map key -> fields.

    With ``state=present`` every desired item is created or updated; with ``exclusive`` the
    current items not desired (and not ``protected``) are deleted too.  With ``state=absent``
    the desired keys that exist are deleted.
    """
    plan = Plan()
    for key in desired:
        plan.add(compare(key, current.get(key), desired[key], state, ordered, secret_keys))
    if exclusive and state == "present":
        for key in sorted(current):
            if key not in desired and key not in protected:
                plan.add(compare(key, current[key], None, "absent", ordered, secret_keys))
    return plan
