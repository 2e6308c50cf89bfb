# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""Keyed lists under the authorization server of a Curity profile: scopes and claims.

Each module reads its own container with one plain GET (``AS/scopes``, ``AS/claims``); the other
one is read only when a check needs it (the claims a scope names, the scopes that use a claim
about to be deleted), so a run that changes nothing sends one GET whatever the number of
entries.  Every member read is type-checked where it is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.devportal.dcr.plugins.module_utils import _engine
from ansible_collections.devportal.dcr.plugins.module_utils._curity import (
    OAUTH_MODULE,
    CurityAdmin,
    CurityError,
    entries_of,
    key,
    member,
    object_of,
    put_path,
    scalar_of,
    set_member,
    strings_of,
    text_of,
)

LEAF = "leaf"
SET = "set"
SINGLE = "single"


class Field:
    """One option of a list entry and the member path that holds it in the entry.

    ``kind`` is ``leaf`` (a scalar; for a string ``""`` means "not set"), ``set`` (a
    leaf-list compared as a set) or ``single`` (a leaf-list holding the option's one value).
    ``default`` is what an absent member means (the server may omit default values) and
    ``type_`` what a leaf holds (``str``, ``bool`` or ``int``), checked where it is read.
    """

    def __init__(self, option, path, kind=LEAF, default=None, type_=str):
        self.option = option
        self.path = tuple(path)
        self.kind = kind
        self.default = default
        self.type = type_

    def read(self, entry, where):
        holder = entry
        for name in self.path[:-1]:
            holder = object_of(holder, name, where)
        last = self.path[-1]
        if self.kind == SET:
            return sorted(strings_of(holder, last, where))
        if self.kind == SINGLE:
            values = strings_of(holder, last, where)
            return values[0] if len(values) == 1 else (sorted(values) if values else "")
        if self.type is str:
            return text_of(holder, last, where, self.default)
        return scalar_of(holder, last, where, self.type, self.default)

    def removes(self, have, want):
        """Whether going from ``have`` to ``want`` removes data, which a plain merge cannot do."""
        if self.kind == SET:
            return bool(set(have or []) - set(want or []))
        if self.kind == SINGLE:
            return have not in ("", None) and have != want
        return want == "" and have not in ("", None)

    def write(self, entry, value):
        """Set the member in ``entry``; an empty value removes it."""
        if self.kind == SINGLE:
            value = [value] if value else []
        put_path(entry, self.path, None if value in ("", []) else value)


class MapperField:
    """Membership of a claim in one token of a claims mapper (``access_token``, ``id_token``, ``userinfo``)."""

    kind = LEAF

    def __init__(self, option, token):
        self.option = option
        self.token = token

    @staticmethod
    def removes(have, want):
        return bool(have) and not want


class KeyedList:
    """A list under the authorization server managed by one module, as read by one plain GET.

    Subclasses name the container, the list, its key, its ``fields`` and the ``RELATED``
    container that their checks read on first use.  Options are compared in the user's terms
    (option names), so diffs and results read like the task.
    """

    CONTAINER = None
    LIST = None
    KEY = None
    FIELDS = ()
    RELATED = None

    def __init__(self, authorization_server, admin=None):
        """``authorization_server`` holds the container read (and the related one when known)."""
        self.server = dict(authorization_server or {})
        self.admin = admin
        self.where = "the %s of the profile" % self.CONTAINER
        data = object_of(self.server, self.CONTAINER, "the profile's authorization server")
        self.data = copy.deepcopy(data or {})
        self.fields = dict((f.option, f) for f in self.FIELDS)
        # ``data`` is never edited (writes work on copies): index it once, lookups stay O(1).
        self.index = dict((member(e, self.KEY), e) for e in entries_of(self.data, self.LIST, self.where, self.KEY))

    @classmethod
    def read(cls, admin, **options):
        container = admin.read(admin.path(cls.CONTAINER), cls.CONTAINER, "the profile's authorization server")
        return cls({cls.CONTAINER: container or {}}, admin=admin, **options)

    def related(self):
        """The ``RELATED`` container, read with one GET the first time a check needs it."""
        if member(self.server, self.RELATED) is None:
            found = None
            if self.admin is not None:
                found = self.admin.read(self.admin.path(self.RELATED), self.RELATED, "the profile's authorization server")
            self.server[self.RELATED] = found or {}
        return object_of(self.server, self.RELATED, "the profile's authorization server") or {}

    # -- reading ---------------------------------------------------------------------------
    def entries(self, container=None):
        if container is None:
            return list(self.index.values())
        found = member(container, self.LIST)
        return found if isinstance(found, list) else []

    def find(self, name, container=None):
        if container is None:
            return self.index.get(name)
        for entry in self.entries(container):
            if member(entry, self.KEY) == name:
                return entry
        return None

    def names(self):
        return list(self.index)

    def view(self, name):
        """Every option of an entry, defaults filled in."""
        entry = self.find(name)
        return dict((f.option, self._read(f, name, entry)) for f in self.FIELDS)

    def _read(self, field, name, entry):
        return field.read(entry, "%s %r" % (self.LIST, name))

    def views(self, desired):
        """Current entries, keyed by name (compared by the engine against ``desired``)."""
        return dict((name, self.view(name)) for name in self.names())

    def end_state(self, desired, state):
        """The managed entries as they are now (none for ``state=absent``)."""
        if state == "absent":
            return []
        current = self.views(desired)
        return [self.result(name, current[name]) for name in desired if name in current]

    def predicted(self, desired, state):
        """The end state a real run would reach (check mode)."""
        if state == "absent":
            return []
        out = []
        for name, want in desired.items():
            view = self.view(name)
            view.update(_engine.normalise(want))
            out.append(self.result(name, view))
        return out

    def result(self, name, view):
        out = {"name": name}
        out.update(view)
        return out

    # -- checks (subclasses) -----------------------------------------------------------------
    def check(self, desired, state):
        """Raise CurityError for a reference the server would refuse, before any write."""

    def check_plan(self, plan):
        """Raise CurityError for a planned change the server would refuse."""

    # -- writing ---------------------------------------------------------------------------
    def removes(self, change):
        if change.action == _engine.DELETE:
            return True
        if change.action == _engine.CREATE:
            return False
        return any(self.fields[f].removes(change.before.get(f), change.after.get(f)) for f in change.changed_fields())

    def deletes_alone(self, name):
        """Whether deleting entry ``name`` needs no other edit of the container."""
        return True

    def _set(self, container, entry, name, option, value):
        self.fields[option].write(entry, value)

    def _remove(self, container, name):
        entries = self.entries(container)
        entries.remove(self.find(name, container))

    @staticmethod
    def _touched(change):
        return sorted(change.after) if change.action == _engine.CREATE else change.changed_fields()

    def merge_body(self, changes):
        """The container fragment of a plain PATCH: new entries, and the changed options of others."""
        container = {}
        entries = []
        for change in changes:
            entry = {self.KEY: change.key}
            for option in self._touched(change):
                self._set(container, entry, change.key, option, change.after[option])
            if len(entry) > 1 or change.action == _engine.CREATE:
                entries.append(entry)
        if entries:
            container[self.LIST] = entries
        return container

    def replaced(self, changes):
        """The whole container for a PUT: the current content with the changes applied."""
        container = copy.deepcopy(self.data)
        if not isinstance(member(container, self.LIST), list):
            set_member(container, self.LIST, [])
        for change in changes:
            if change.action == _engine.DELETE:
                self._remove(container, change.key)
                continue
            entry = self.find(change.key, container)
            if entry is None:
                entry = {self.KEY: change.key}
                self.entries(container).append(entry)
            for option in self._touched(change):
                self._set(container, entry, change.key, option, change.after.get(option, ""))
        if not self.entries(container):
            set_member(container, self.LIST, None)
        return container

    def write(self, admin, plan):
        """At most one request: PATCH for a pure merge, DELETE for one lone deletion, else PUT.

        A plain PATCH (RFC 8040 section 4.6.1) cannot remove anything, a leaf-list entry
        included (RFC 7950 merge semantics), so any removal replaces the whole container,
        built from what was just read plus the changes (last writer wins: RESTCONF has no
        lock here).
        """
        changes = [c for c in plan.changes if c.changed]
        if not changes:
            return
        container_path = admin.path(self.CONTAINER)
        qualified = "%s:%s" % (OAUTH_MODULE, self.CONTAINER)
        if not any(self.removes(c) for c in changes):
            admin.patch(container_path, {qualified: self.merge_body(changes)})
        elif len(changes) == 1 and changes[0].action == _engine.DELETE and self.deletes_alone(changes[0].key):
            admin.delete("%s/%s=%s" % (container_path, self.LIST, key(changes[0].key)))
        else:
            admin.put(container_path, {qualified: self.replaced(changes)})


UINT32_MAX = 4294967295


class ScopeList(KeyedList):
    """The scopes of the profile (``scopes/scope``, key ``id``)."""

    CONTAINER = "scopes"
    LIST = "scope"
    KEY = "id"
    FIELDS = (
        Field("description", ["description"], default=""),
        Field("claims", ["claims"], SET),
        Field("time_to_live", ["time-to-live"], type_=int),
        Field("required", ["required"], default=False, type_=bool),
        Field("expose_in_metadata", ["expose-in-metadata"], default=True, type_=bool),
        Field("is_prefix", ["is-prefix"], default=False, type_=bool),
    )
    # The scopes container is read whole (it is written back whole when something is removed);
    # the claims container only when a scope names claims (their existence is checked).
    RELATED = "claims"

    def claim_names(self):
        return [member(c, "name") for c in entries_of(self.related(), "claim", "the claims of the profile", "name")]

    def check(self, desired, state):
        if state == "absent":
            return
        # Only claims a scope does not have yet are checked: a run that changes nothing reads no claims.
        added = dict((name, set(want.get("claims") or []) - set(self.view(name)["claims"])) for name, want in desired.items())
        known = set(self.claim_names()) if any(added.values()) else set()
        missing = {}
        for name, want in desired.items():
            ttl = want.get("time_to_live")
            if ttl is not None and not 0 <= ttl <= UINT32_MAX:
                raise CurityError("Scope %r: time_to_live must be between 0 and %d seconds, got %d." % (name, UINT32_MAX, ttl))
            effective = self.view(name)
            effective.update(want)
            if effective["is_prefix"] and effective["claims"]:
                raise CurityError("Scope %r: a prefix scope (is_prefix) cannot carry claims; remove its claims or "
                                  "set is_prefix to false." % name)
            for claim in sorted(added[name]):
                if claim not in known:
                    missing.setdefault(claim, []).append(name)
        if missing:
            raise CurityError("The profile has no claim %s (used by %s). Create the claims first (for example with "
                              "devportal.dcr.curity_claim); nothing was changed." % (
                                  ", ".join(repr(c) for c in sorted(missing)),
                                  "; ".join("%r: scope %s" % (c, ", ".join(repr(s) for s in missing[c])) for c in sorted(missing))))


class ClaimList(KeyedList):
    """The claims of the profile (``claims/claim``, key ``name``) and their claims mapper membership."""

    CONTAINER = "claims"
    LIST = "claim"
    KEY = "name"
    FIELDS = (
        Field("description", ["description"], default=""),
        Field("value_provider", ["value-provided-by"], default=""),
        Field("attribute", ["transformation", "input-attribute-names"], SINGLE),
        Field("required", ["required"], default=False, type_=bool),
        Field("expose_in_metadata", ["expose-in-metadata"], default=True, type_=bool),
        MapperField("in_access_token", "access_token"),
        MapperField("in_id_token", "id_token"),
        MapperField("in_userinfo", "userinfo"),
    )
    # The claims container is read whole (claims, value providers, claims mappers: written back
    # whole when something is removed); the scopes container only when claims are deleted (the
    # scopes that still use them refuse the deletion).
    RELATED = "scopes"
    TOKENS = ("access_token", "id_token", "userinfo")

    def __init__(self, authorization_server, admin=None, mapper_of=None, default_mapper="default"):
        super(ClaimList, self).__init__(authorization_server, admin)
        self.mapper_of = mapper_of or {}
        self.default_mapper = default_mapper
        self.mapped = {}  # (mapper id, token) -> set of claim names, filled on first use

    def mapper_id(self, name):
        return self.mapper_of.get(name) or self.default_mapper

    def mappers(self, container=None):
        holder = object_of(self.data if container is None else container, "claims-mappers", self.where)
        return entries_of(holder, "claims-mapper", "the claims mappers", "id")

    def mapper(self, mapper_id, container=None):
        for entry in self.mappers(container):
            if member(entry, "id") == mapper_id:
                return entry
        return None

    def _read(self, field, name, entry):
        if isinstance(field, MapperField):
            token = (self.mapper_id(name), field.token)
            if token not in self.mapped:
                where = "claims mapper %r" % token[0]
                holder = object_of(self.mapper(token[0]), field.token, where)
                self.mapped[token] = set(strings_of(holder, "claim", "%s of %s" % (field.token, where)))
            return name in self.mapped[token]
        return field.read(entry, "claim %r" % name)

    def result(self, name, view):
        out = super(ClaimList, self).result(name, view)
        out["claims_mapper"] = self.mapper_id(name)
        return out

    def provider_ids(self):
        return [member(p, "id") for p in entries_of(self.data, "claims-value-provider", self.where, "id")]

    def users(self, name):
        """The scopes (and the scopes' default claims) that refer to claim ``name``."""
        scopes = self.related()
        out = ["scope %r" % member(s, "id") for s in entries_of(scopes, "scope", "the scopes of the profile", "id")
               if name in strings_of(s, "claims", "scope %r" % member(s, "id"))]
        if name in strings_of(scopes, "default-scope-claim", "the scopes of the profile"):
            out.append("the default scope claims")
        return out

    def check(self, desired, state):
        if state == "absent":
            return
        providers = set(self.provider_ids())
        problems = []
        for name, want in desired.items():
            provider = want.get("value_provider")
            if provider and provider not in providers:
                problems.append("claim %r: value provider %r does not exist (known: %s)"
                                % (name, provider, ", ".join(sorted(providers)) or "none"))
            mapped = [o for o in want if isinstance(self.fields[o], MapperField)]
            if mapped and self.mapper(self.mapper_id(name)) is None:
                problems.append("claim %r: claims mapper %r does not exist (needed by %s)"
                                % (name, self.mapper_id(name), ", ".join(sorted(mapped))))
        if problems:
            raise CurityError("Cannot apply the claims: %s. Nothing was changed." % "; ".join(problems))

    def check_plan(self, plan):
        used = []
        for change in plan.of(_engine.DELETE):
            users = self.users(change.key)
            if users:
                used.append("%r is used by %s" % (change.key, ", ".join(users)))
        if used:
            raise CurityError("Cannot delete claims still in use: %s. Remove them from those scopes first (for example "
                              "with devportal.dcr.curity_scope); nothing was changed." % "; ".join(used))

    def _mapper_lists(self, container, name):
        """(token container, claim list) of every mapper token that lists claim ``name``."""
        for mapper in self.mappers(container):
            for token in self.TOKENS:
                holder = object_of(mapper, token, "claims mapper %r" % member(mapper, "id"))
                if name in strings_of(holder, "claim", "%s of claims mapper %r" % (token, member(mapper, "id"))):
                    yield holder, member(holder, "claim")

    def deletes_alone(self, name):
        return next(self._mapper_lists(self.data, name), None) is None

    def _remove(self, container, name):
        super(ClaimList, self)._remove(container, name)
        for holder, claims in list(self._mapper_lists(container, name)):
            claims.remove(name)
            if not claims:
                set_member(holder, "claim", None)

    def _set(self, container, entry, name, option, value):
        field = self.fields[option]
        if not isinstance(field, MapperField):
            field.write(entry, value)
            return
        mapper_id = self.mapper_id(name)
        mapper = self.mapper(mapper_id, container)
        if mapper is None:
            if not value:
                return
            mapper = {"id": mapper_id}
            put_path(container, ("claims-mappers", "claims-mapper"), self.mappers(container) + [mapper])
        holder = member(mapper, field.token)
        claims = list(member(holder, "claim") or [])
        if value and name not in claims:
            claims.append(name)
        elif not value and name in claims:
            claims.remove(name)
        if holder is None and claims:
            holder = {}
            set_member(mapper, field.token, holder)
        if holder is not None:
            set_member(holder, "claim", claims or None)


def desired_items(params, options, list_option, key_option="name"):
    """``{name: {option: value}}`` from the single form (top-level options) or the list form.

    Only the options the user set are kept: the rest of the entry is not managed.
    """
    items = params[list_option] if params[list_option] is not None else [params]
    desired = {}
    for index, item in enumerate(items):
        values = _engine.user_set(item, (key_option,) + tuple(options))
        name = values.pop(key_option, None)
        where = "%s[%d]" % (list_option, index) if params[list_option] is not None else key_option
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise CurityError("%s: the %s must be a non-empty string without surrounding spaces, got %r."
                              % (where, key_option, name))
        if name in desired:
            raise CurityError("%s: %r is listed twice in %s; list each one once." % (where, name, list_option))
        desired[name] = values
    return desired


def converge(module, kind, desired, state, exclusive, **options):
    """Read once, plan once, write at most once, re-read once: returns (plan, end state).

    ``kind`` is a ``KeyedList`` subclass.  In check mode nothing is written and the end state
    is the predicted one; ``changed`` and the diff come from the same plan either way.
    """
    if exclusive and state == "absent":
        raise CurityError("exclusive applies to state=present only (it deletes what the task does not list).")
    admin = CurityAdmin.from_module(module)
    current = kind.read(admin, **options)
    current.check(desired, state)
    plan = _engine.plan_collection(current.views(desired), desired, state, exclusive)
    current.check_plan(plan)
    if not plan.changed or module.check_mode:
        return plan, current.predicted(desired, state)
    current.write(admin, plan)
    after = kind.read(admin, **options)
    if _engine.plan_collection(after.views(desired), desired, state, exclusive).changed:
        module.warn("The %s read back after the write still differ from the task; another client may have changed "
                    "them at the same time. Run the task again to converge." % kind.CONTAINER)
    return plan, after.end_state(desired, state)
