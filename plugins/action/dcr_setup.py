# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``devportal.dcr.dcr_setup``: plan every step with reads, then apply.

This is the one place where the collection's modules are composed into the whole procedure
(Curity claims, scopes and DCR credential; Konnect DCR provider, auth strategy and portal; the
developer applications; a request through the gateway).  A run goes in two passes:

1. *Plan*: every step runs in check mode, in dependency order.  Check mode only reads (the
   transport refuses writes), so a bad input on any of the three systems - a wrong password, an
   unknown portal or API, an invalid redirect URI - fails the run here, before the first write.
   A step that refers to an object an earlier step would create (a scope using a new claim, an
   application on a strategy the run creates) cannot be checked against it; it is planned as a
   change, with the checks that do not need that object.
2. *Apply* (not in check mode): only the steps whose plan changes something run again for real,
   in the same order, each with what the earlier steps produced (the issuer, the DCR credential's
   secret, the auth strategy).  A run that changes nothing therefore costs exactly the plan.

Plans whose input is known before the run starts (the claims, the scopes, the DCR credential, the
Konnect step's when the issuer is given, and for a teardown every step) are started side by side when
the modules run on the controller (local connection, no become), and so are the plans whose input an
earlier plan gives, as soon as it ends (the Konnect step's after the DCR credential's when the issuer
comes from that plan, the applications' after the Konnect step's, the scopes' after the claims' when
they use listed claims, which the claims step may create).  The
planner, in dependency order, takes a plan started ahead only for exactly the input it would send; one
that turns out not to match is discarded, never used in place of the one the planner wants.  The
apply pass, which writes, always runs one step after another.

The DCR credential's secret (Curity keeps only a hash of it, Konnect never returns it) follows one
rule: after every run both sides hold the same secret.  When the plan finds that the Konnect DCR
provider must be created and no secret was given, nothing can be using the credential's secret yet,
so a fresh one is chosen before any write and set on both sides; an interrupted first run is
finished by a plain re-run the same way.  Whenever the Curity step sets a secret (creation, drift of a
given secret, rotation), the Konnect step sends it in the same run (``update_secret: always``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextvars
import heapq
import itertools
import json
import os
import re
import secrets
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import urlsplit

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.devportal.dcr.plugins.module_utils import _http
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    RECORD_LIMIT,
    KonnectError,
    read_credentials_record,
)
from ansible_collections.devportal.dcr.plugins.module_utils._konnect_portal_dcr import open_publications_sentence
from ansible_collections.devportal.dcr.plugins.module_utils._module import STEP_OPTION
from ansible_collections.devportal.dcr.plugins.module_utils._progress import (
    PROGRESS_OPTION,
    TRACE_KEY,
    TRACE_OPTION,
    WARNINGS_KEY,
    ProgressFile,
    describe,
)
from ansible_collections.devportal.dcr.plugins.module_utils._secret_store import (
    BACKEND_FILE,
    OPTION as STORE_OPTION,
    SecretStoreError,
    application_path,
    dcr_credential_path,
    store_from_options,
)
from ansible_collections.devportal.dcr.plugins.module_utils._setup import argument_spec

display = Display()

CURITY_OPTIONS = ("admin_url", "admin_username", "admin_password", "profile_id", "validate_certs", "ca_path", "timeout")
KONNECT_OPTIONS = ("konnect_url", "konnect_token", "validate_certs", "ca_path", "timeout")
PORTAL_OPTIONS = ("portal_url", "developer_email", "developer_password", "portal_api")
# Application options whose empty value means "not set".
OPTIONAL_STRINGS = ("description", "redirect_uri", "auth_strategy", "credentials_file", "state")
# Stands for the DCR credential's secret in the plan only (check mode sends nothing to Konnect).
PLAN_SECRET = "planned-secret-never-sent"
# The module that runs every step's module code (one module payload per run; see plugins/modules/dcr_setup.py).
RUNNER = "devportal.dcr.dcr_setup"
# Step options that can hold thousands of entries: their module validates them (see validated_args).
BULK_OPTIONS = ("claims", "scopes")
# At most this many step plans run side by side, and one more than the controller has CPUs (at least two): a module
# run waits on the network part of its time, so one more keeps the CPUs busy while the longest path of plans runs.
PLAN_WORKERS = 4
TITLES = {
    "claims": "Curity claims (curity_claim)",
    "scopes": "Curity scopes (curity_scope)",
    "token": "Curity DCR credential and DCR settings (curity_token)",
    "dcr": "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr)",
    "application": "Dev Portal application %s (portal_application)",
    "request": "Request through the gateway",
}
# The step of each module (its title in TITLES).
STEP_OF = {"curity_claim": "claims", "curity_scope": "scopes", "curity_token": "token", "konnect_portal_dcr": "dcr",
           "portal_application": "application"}
# With -v, a module run that has said nothing for this many seconds is shown as still running, then every
# HEARTBEAT_EVERY seconds; its progress file is read every POLL_SECONDS.
HEARTBEAT_FIRST = 5
HEARTBEAT_EVERY = 10
POLL_SECONDS = 0.2


class StepFailed(Exception):
    def __init__(self, step, result):
        super(StepFailed, self).__init__(result.get("msg") or "no message")
        self.step = step
        self.result = result


class Step:
    """One module task of the procedure: its arguments, its plan and its real result."""

    def __init__(self, key, module, args, label=None):
        self.key = key
        self.module = module
        self.args = args
        self.label = label
        self.plan = None
        self.pending = None  # why the plan could not check the step against the server
        self.result = None
        self.takes_strategy = False  # an application on the auth strategy of the Konnect step

    @property
    def title(self):
        title = TITLES[self.key]
        return title % self.label if "%s" in title else title

    @property
    def changed(self):
        """Once applied, whether the step wrote (its module's result); before, what its plan predicts (a step whose
        plan waits for what the run creates is planned as a change)."""
        if isinstance(self.result, dict):
            return bool(self.result.get("changed"))
        return bool(self.pending) or bool(self.plan and self.plan.get("changed"))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context, *args, **kwargs):
        """ansible-core (2.19 and later) templates each task argument through this hook.  For the bulk step options
        the default finalizes every entry through Ansible's lazy containers, a large share of a run at N = 1000; here
        only what can hold a template is handed to the templar (see ``resolved``).  Should that raise anything (an
        undefined variable, an omitted value, an API that changed), the argument is templated the default way, so
        the result, and any error, is Ansible's own.  Arguments a later ansible-core may add go to the default."""
        default = super(ActionModule, cls).finalize_task_arg
        fast = name in BULK_OPTIONS and not args and not kwargs
        if fast and callable(getattr(templar, "resolve_to_container", None)):
            try:
                return resolved(value, templar)
            except Exception:  # pylint: disable=broad-except
                pass
        return default(name, value, templar, context, *args, **kwargs)

    def run(self, tmp=None, task_vars=None):
        super(ActionModule, self).run(tmp, task_vars)
        del tmp
        self._vars = task_vars or {}
        if "report" in self._task.args:
            return reported(self._task.args)
        try:
            params = self.validated_args()
        except AnsibleActionFail as exc:  # bad input: one sentence, before anything is sent
            msg = to_text(exc.message)
            return dict(failed=True, changed=False, msg=msg, report=dict(failed=True, changed=False, msg=msg))
        self._warnings = []
        self._warned = set()  # the texts of the warnings in self._warnings
        self._warnings_lock = threading.Lock()
        self.executions = []  # (pass, module, seconds, started) of every module run, for the result
        self._began = time.monotonic()
        self._build_lock = threading.Lock()
        self._run_local = threading.local()  # the name of the module run this thread makes
        self._run_numbers = itertools.count(1)
        self._pool = None
        self._progress = ProgressFile()  # the progress files of the module runs (-v, modules on the controller)
        setup = Setup(self, params)
        self._hidden = lambda: guarded(setup.hidden, set())
        try:
            return setup.run()
        except Exception as exc:  # pylint: disable=broad-except
            # No traceback, and what the run created (a secret shown once) stays in the result.
            return setup.unexpected(exc)
        finally:
            self.end_plans()
            setup.close_store()
            self._progress.close()
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def validated_args(self):
        """The task's options, validated.  The bulk step options (``claims``, ``scopes``: what can be thousands of
        entries) are checked for their type only: the step's module validates their content in the plan, and copying
        them for a validation here (as ``validate_argument_spec`` does) was a large share of a run at N = 1000."""
        args = dict(self._task.args)
        bulk = {}
        for key in BULK_OPTIONS:
            value = args.get(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                kind = "a string" if isinstance(value, str) else "a list" if isinstance(value, list) else \
                    "a %s" % type(value).__name__
                raise AnsibleActionFail("%s must be a dictionary (the arguments of the %s step's module), got %s."
                                        % (key, key, kind))
            bulk[key], args[key] = value, {}  # validated as an empty dictionary, then given back
        store = args.get(STORE_OPTION)
        if isinstance(store, dict):
            # An unset role variable arrives as None or "": left out, so that the option's default and its environment
            # variable (VAULT_ADDR, VAULT_TOKEN, ...) apply.
            args[STORE_OPTION] = dict((k, v) for k, v in store.items() if v is not None and v != "")
        result = ArgumentSpecValidator(argument_spec()).validate(args)
        if result.error_messages:
            msg = result.errors.msg
            if isinstance(result.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (RUNNER, msg)
            raise AnsibleActionFail(msg)
        params = dict(args, **result.validated_parameters)
        params.update(bulk)
        store = params.get(STORE_OPTION)
        if store and store["backend"] == BACKEND_FILE:
            raise AnsibleActionFail("%s.backend file keeps one record per file: give each application its own "
                                    "credentials_file instead (or use the vault backend)." % STORE_OPTION)
        if store and store.get("path"):
            raise AnsibleActionFail("%s.path cannot be set here: each record the run keeps goes to its documented path "
                                    "(%s, %s)." % (STORE_OPTION, application_path("<application name>"),
                                                   dcr_credential_path("<Curity client id>")))
        request = params.get("request")
        if request:
            problem = request_url_problem(request["url"])
            for option, least in (("timeout", 1), ("retries", 0), ("delay", 0)):
                if problem is None and request[option] < least:
                    problem = "request.%s must be at least %d, got %d." % (option, least, request[option])
            if problem:
                raise AnsibleActionFail(problem)
        return params

    # -- what Setup needs from Ansible ------------------------------------------------------------
    def _update_module_args(self, module_name, module_args, *args, **kwargs):
        super(ActionModule, self)._update_module_args(module_name, module_args, *args, **kwargs)
        if module_args.get(STEP_OPTION):
            # The step's module is the one the module run speaks as ("... for (devportal.dcr.curity_claim) module").
            module_args["_ansible_module_name"] = "devportal.dcr." + module_args[STEP_OPTION]

    def _configure_module(self, *args, **kwargs):
        # Building a module's payload parses Python sources (ast), which is not thread-safe in every
        # supported Python: one build at a time; the module processes themselves run side by side.
        with self._build_lock:
            built = super(ActionModule, self)._configure_module(*args, **kwargs)
        # The module file's name on the target comes from the last item (the module's path): each step's run gets a
        # file of its own, since runs side by side share the temporary folder and the runner module.
        run = getattr(self._run_local, "name", None)
        if run:
            built = tuple(built[:-1]) + ("%s-%s.py" % (os.path.splitext(built[-1])[0], run),)
        return built

    def start_plans(self):
        """Let check-mode runs go side by side, when it is safe: the modules run on the controller (local
        connection) without become, so running two at once is running two local processes.  True when they do."""
        if self._pool is not None:
            return True
        if not self.runs_here():
            return False
        if self._connection._shell.tmpdir is None and not self._is_pipelining_enabled("new"):
            self._make_tmp_path()  # one folder for every module file, made before the threads start
        # Check mode holds for the whole plan pass: a run started ahead never sees the apply pass's setting.
        self._saved_check_mode = self._task.check_mode
        self._task.check_mode = True
        # Each run goes in a copy of this thread's context (Ansible keeps templating state in context variables).
        self._context = contextvars.copy_context()
        self._pool = PlanPool(max(2, min(PLAN_WORKERS, (os.cpu_count() or 1) + 1)))
        return True

    def plan_ahead(self, module, args, urgent=False):
        """A check-mode run of ``module`` started on another thread as soon as one is free (``urgent``: before the
        others waiting), as a future of its result; None once the plan pass is over."""
        try:
            return self._pool.submit(urgent, self._context.copy().run, self.execute, module, args, True)
        except (AttributeError, RuntimeError):  # the pass ended (no pool, or shut down)
            return None

    def end_plans(self):
        """Wait for every run started ahead, then give the task back its check-mode setting."""
        if self._pool is None:
            return
        self._pool.shutdown(wait=True)
        self._pool = None
        self._task.check_mode = self._saved_check_mode

    def runs_here(self):
        """Whether the modules run on the controller as this process's user (local connection, no become)."""
        return self._connection.transport == "local" and not self._play_context.become

    def execute(self, module, args, check):
        """Run ``devportal.dcr.<module>``; ``check`` forces check mode (the plan).

        With -v the run is watched while it goes (see ``Watch``): its retries as they happen when the module runs on
        the controller (it appends them to a progress file made for this run), a heartbeat otherwise.  With -vvv it
        returns the requests it sent (``TRACE_KEY``), shown here and removed from its result."""
        stage = "plan" if check else "apply"
        title = guarded(lambda: title_of(module, args), "devportal.dcr.%s" % module)
        internal = {STEP_OPTION: module}
        path = watch = None
        if display.verbosity >= 1:
            if self.runs_here():
                path = guarded(self._progress.create, None)
                if path:
                    internal[PROGRESS_OPTION] = path
            watch = Watch(stage, title, path, self._hidden)
        if display.verbosity >= 3:
            internal[TRACE_OPTION] = True
        saved = self._task.check_mode
        self._task.check_mode = bool(check or saved)
        started = time.monotonic()
        self._run_local.name = "%s-%d" % (module, next(self._run_numbers))
        try:
            if watch is not None:
                watch.start()
            # Every step's module code runs through devportal.dcr.dcr_setup's module: one payload for the run.
            result = self._execute_module(module_name=RUNNER, module_args=dict(args, **internal), task_vars=self._vars)
        finally:
            self._task.check_mode = saved
            if watch is not None:
                watch.stop()
            if path:
                self._progress.remove(path)
        self.executions.append((stage, module, round(time.monotonic() - started, 3), round(started - self._began, 3)))
        show_trace(stage, title, result.pop(TRACE_KEY, None), self._hidden)
        # ansible-core 2.21 hands the action a module run's warnings with a later run's result (all the task's so far):
        # each is kept once for the task's own warnings, and shown with the step that issued it (its own list).
        with self._warnings_lock:
            warnings = [w for w in result.pop("warnings", None) or [] if warning_text(w) not in self._warned]
            self._warned.update(warning_text(w) for w in warnings)
        own = result.pop(WARNINGS_KEY, None)
        for text in own if isinstance(own, list) else [warning_text(w) for w in warnings]:
            text = text_of(text)
            if watch is not None and watch.retries_shown and text.startswith(_http.RETRY_WARNING):
                continue  # shown as it happened
            progress(stage, title, text)
        self._warnings.extend(warnings)
        result.pop("invocation", None)
        return result

    def read_credentials_file(self, path):
        """The JSON object in the credentials file ``path`` on the managed host (None when there is none), read as
        portal_application reads it: never through a symbolic link, only from a regular file of at most 64 KiB.
        Raises KonnectError or AnsibleError naming the problem.

        With the local connection the file is on this host and is read directly; otherwise a ``stat`` (not following
        links) comes first, then the connection fetches it.  No module run in the first case."""
        path = self._remote_expand_user(path)
        if self._connection.transport == "local":
            return read_credentials_record(path)
        found = self._execute_remote_stat(path, all_vars=self._vars, follow=False, checksum=False)
        if not found.get("exists"):
            return None
        check_record_stat(path, found)
        fd, local = tempfile.mkstemp(prefix=".dcr-setup-")
        os.close(fd)
        try:
            self._connection.fetch_file(path, local)
            return read_credentials_record(local)
        finally:
            os.unlink(local)

    @property
    def check_mode(self):
        return bool(self._task.check_mode)

    @property
    def warnings(self):
        return self._warnings


class Setup:
    """The plan and the apply pass over the steps of one run."""

    def __init__(self, action, params):
        self.action = action
        self.params = params
        self.phases = params["phases"]
        self.present = params["state"] == "present"
        self.curity = dict((k, v) for k, v in (params["curity"] or {}).items() if v is not None)
        self.konnect = dict((k, v) for k, v in (params["konnect"] or {}).items() if v is not None)
        self.portal = dict((k, v) for k, v in (params["portal"] or {}).items() if v is not None)
        self.secret = ((params["token"] or {}).get("secret")) or None  # the DCR credential's secret, when given
        self.fresh = None  # a secret this run chose for the DCR credential
        # The secret store the steps keep their records in (as validated here: unset options left out).
        self.store_options = dict((k, v) for k, v in (params.get(STORE_OPTION) or {}).items() if v is not None) or None
        self.store = None  # that store, as read from here (read only): the DCR credential's and applications' records
        self.store_secrets = set()  # the values it read
        self.notes = []
        self.steps = []
        self.claims = self.scopes = self.token = self.dcr = None
        self.apps = []
        self.ahead = {}  # plan input -> future of a plan started ahead (see start_ahead)
        self.asked = set()  # plan inputs the planner ran itself: never started ahead afterwards
        self.ahead_lock = threading.Lock()

    # -- building steps ----------------------------------------------------------------------------
    def step(self, key, module, args, connection, label=None):
        step = Step(key, module, merged(connection, args), label)
        self.steps.append(step)
        return step

    def in_phase(self, phase, option):
        return phase in self.phases and self.params[option] is not None

    def app_args(self, item):
        # An empty string stands for "not set" in role variables (as ``default(omit, true)`` treats it).
        args = dict((k, v) for k, v in item.items() if v is not None and not (v == "" and k in OPTIONAL_STRINGS))
        if args.get("name") in self.params["regenerate_secrets"]:
            args.setdefault("regenerate_secret", True)
        if args.get("approve_registrations"):
            for key, value in self.konnect.items():
                args.setdefault(key, value)
        if self.store_options and args.get("state", "present") == "present":
            args.setdefault(STORE_OPTION, self.store_options)
        return args

    # -- the secret store, read from here ----------------------------------------------------------
    def stored(self, options, path):
        """The record at ``path`` of the store ``options`` (None when there is none).  SecretStoreError naming the
        problem.  The store is reached from where Ansible runs, as the gateway request is."""
        if options is not self.store_options:
            return None  # an application with a store of its own: its module keeps it, this run does not read it
        if self.store is None:
            self.store = store_from_options(options, read_only=True, warn=self.action.warnings.append,
                                            register_secret=self.store_secrets.add)
        record = self.store.read(self.store.check_path(path))
        return record.data if record is not None and record.stored else None

    def close_store(self):
        if self.store is not None:
            guarded(self.store.close, None)

    # -- the run -----------------------------------------------------------------------------------
    def run(self):
        try:
            self.plan_present() if self.present else self.plan_absent()
        except StepFailed as exc:
            return self.failure(exc, planning=True)
        finally:
            self.action.end_plans()
            self.discard_ahead()
        if self.action.check_mode:
            self.note_store()
            return self.outcome()
        try:
            self.apply_present() if self.present else self.apply_absent()
            if self.present and "verify" in self.phases and self.params["request"]:
                self.request()
        except StepFailed as exc:
            self.note_store()
            return self.failure(exc, planning=False)
        self.note_store()
        return self.outcome()

    def note_store(self):
        """A note for each record of the secret store the run wrote (in check mode, would write): where, which version;
        never a value."""
        for step in ([self.token] if self.token is not None else []) + self.apps:
            view = guarded(lambda step=step: as_dict(as_dict(step.result or step.plan).get("secret_store")), {})
            if view.get("action") not in ("create", "update"):
                continue
            what = ("the DCR credential's secret" if step.key == "token"
                    else "the client id and secret of application %s" % text_of(step.label))
            if step.result is None:
                if not self.action.check_mode:
                    continue
                done = "would be written to"
            elif view.get("written_version") is None:
                continue
            else:
                done = "written to"
            version = " (version %s)" % text_of(view["written_version"]) if view.get("written_version") else ""
            self.notes.append("Secret store: %s %s %s%s." % (what, done, text_of(view.get("location")), version))

    # -- plans started ahead --------------------------------------------------------------------------
    def start_ahead(self, module, args, then=None, urgent=False):
        """Start the plan of a step whose input is already known, side by side with the others.  ``then`` maps that
        plan's result to the plans that can start once it is known, each (module, args) or (module, args, then),
        started before the plans still waiting (they are on the longest path)."""
        key = plan_key(module, args)
        # The plan gets its own copy of the input: it may start later, when the planner has changed its step's
        # arguments (a fresh secret for the DCR credential, an apply's wiring), which it only does by replacing
        # top-level values.
        args = dict(args)
        with self.ahead_lock:
            if key in self.ahead or key in self.asked or not self.action.start_plans():
                return
            future = self.action.plan_ahead(module, args, urgent)
            if future is None:
                return
            self.ahead[key] = future
        if then is not None:
            future.add_done_callback(lambda done: self.start_next(done, then))

    def start_next(self, done, then):
        try:
            plan = done.result()
            following = [] if plan.get("failed") else then(plan)
        except Exception:  # pylint: disable=broad-except
            return  # the planner meets the same failure when it asks for that plan
        for item in following:
            self.start_ahead(*item, urgent=True)

    def planned(self, module, args):
        """The plan of ``module`` for exactly ``args``: the one started ahead, or a run now."""
        key = plan_key(module, args)
        with self.ahead_lock:
            future = self.ahead.pop(key, None)
            self.asked.add(key)
        if future is not None:
            return future.result()
        return self.action.execute(module, args, check=True)

    def discard_ahead(self):
        """Plans started ahead that the planner did not ask for (their input turned out different)."""
        with self.ahead_lock:
            futures, self.ahead = list(self.ahead.values()), {}
        for future in futures:
            future.exception()  # waits; its result is not used

    def run_plan(self, step, plan_args=None):
        step.plan = self.planned(step.module, plan_args or step.args)
        self.planned_note(step)
        if step.plan.get("failed"):
            raise StepFailed(step, step.plan)
        return step.plan

    def planned_note(self, step):
        """The step's plan, shown as it is known (-v)."""
        if step.plan.get("failed"):
            verdict = "fails"
        else:
            verdict = "changes" if step.plan.get("changed") else "no change"
        progress("plan", step.title, verdict)

    def run_apply(self, step, **wiring):
        step.args.update(wiring)
        if PLAN_SECRET in step.args.values():
            raise AnsibleError("internal error: the plan's stand-in secret reached the %s step" % step.key)
        progress("apply", step.title, "writing")
        began = time.monotonic()
        step.result = self.action.execute(step.module, step.args, check=False)
        progress("apply", step.title, "%s (%.1f s)" % ("failed" if step.result.get("failed") else "done: %s"
                                                       % (", ".join(self.happened(step)) or "no change"),
                                                       time.monotonic() - began))
        if step.result.get("failed"):
            raise StepFailed(step, step.result)
        return step.result

    # -- state=present -----------------------------------------------------------------------------
    def plan_present(self):
        params = self.params
        if self.in_phase("curity", "claims"):
            self.claims = self.step("claims", "curity_claim", dict(params["claims"], state="present"), self.curity)
        if self.in_phase("curity", "scopes"):
            self.scopes = self.step("scopes", "curity_scope", dict(params["scopes"], state="present"), self.curity)
        if self.in_phase("curity", "token"):
            token = dict(params["token"], state="present")
            if self.store_options:
                token.setdefault(STORE_OPTION, self.store_options)
            self.token = self.step("token", "curity_token", token, self.curity)
        # Started ahead: these plans' input is what the planner sends when no earlier step creates what they use;
        # the Konnect step's once the DCR credential's plan gives the issuer, and the applications' once the Konnect
        # step's plan gives the auth strategy (or at once, without that step).
        if self.token is not None:
            following = self.dcr_ahead if self.in_phase("konnect", "dcr") else None
            if following is not None and self.issuer(None):
                # The issuer is given: the Konnect step's plan input is known now (the DCR credential's plan changes it
                # only when it sets a secret, and the planner then asks for a plan of its own), so it starts at once,
                # first, with the applications' after it: the longest path of the plans is one module run shorter.
                for item in self.dcr_ahead(None):
                    self.start_ahead(*item, urgent=True)
                following = None
            self.start_ahead(self.token.module, self.token.args, then=following)
        # The scopes' plan waits for the claims' when the scopes use claims the claims step may create.
        scopes_wait = bool(self.claims and self.scopes and self.scope_claims() & self.listed_claims())
        if self.claims is not None:
            self.start_ahead(self.claims.module, self.claims.args, then=self.scopes_ahead if scopes_wait else None)
        if self.scopes is not None and not scopes_wait:
            self.start_ahead(self.scopes.module, self.scopes.args)
        if not self.in_phase("konnect", "dcr"):
            for module, args in self.apps_ahead(None, None):
                self.start_ahead(module, args)
        if self.claims is not None:
            self.run_plan(self.claims)
        if self.scopes is not None:
            waiting = self.new_claims() & self.scope_claims()
            if waiting:
                # The module refuses scopes whose claims do not exist; these claims exist after the claims step.
                self.scopes.pending = ("uses claims this run creates (%s): planned as a change, checked when they exist"
                                       % ", ".join(sorted(waiting)))
            else:
                self.run_plan(self.scopes)
        if self.token is not None:
            self.plan_token()
        if self.in_phase("konnect", "dcr"):
            self.plan_dcr()
        self.plan_applications()

    def plan_token(self):
        """The token step's plan; scopes that the scopes step creates are left out of its check."""
        args, waiting = dict(self.token.args), set()
        for option in ("scopes", "dcr_scopes"):
            wanted = args.get(option)
            if wanted:
                waiting.update(set(wanted) & self.new_scopes())
                args[option] = [scope for scope in wanted if scope not in waiting]
                if not args[option] and option == "dcr_scopes":
                    del args[option]
        self.token.pending = ("uses scopes this run creates (%s): planned without them, checked when they exist"
                              % ", ".join(sorted(waiting))) if waiting else None
        self.run_plan(self.token, args)

    def new_scopes(self):
        if self.scopes is None:
            return set()
        if self.scopes.pending:
            return set(item.get("name") for item in entries(self.params["scopes"], "scopes"))
        return created(self.scopes.plan)

    def new_claims(self):
        return created(self.claims.plan) if self.claims is not None else set()

    def listed_claims(self):
        return set(item.get("name") for item in entries(self.params["claims"], "claims"))

    def scopes_ahead(self, claims_plan):
        """The scopes' plan, once the claims' plan shows that the claims they use exist (else the planner leaves it
        pending, and a plan started now would go unused)."""
        if created(claims_plan) & self.scope_claims():
            return []
        return [(self.scopes.module, self.scopes.args)]

    def scope_claims(self):
        return set(claim for item in entries(self.params["scopes"], "scopes") for claim in item.get("claims") or [])

    def issuer(self, token_plan):
        given = (self.params["dcr"] or {}).get("issuer") or (self.params["token"] or {}).get("issuer")
        return given or (token_plan or {}).get("issuer") or os.environ.get("CURITY_ISSUER")

    def dcr_args(self, token_plan):
        """The Konnect step's plan input, given the DCR credential's plan (None without the curity phase)."""
        args = merged(self.konnect, dict(self.params["dcr"], state="present"))
        args.setdefault("initial_client_id", (self.params["token"] or {}).get("client_id") or "konnect-dcr")
        args["issuer"] = self.issuer(token_plan)
        args["initial_client_secret"] = self.secret or PLAN_SECRET
        if (token_plan or {}).get("secret_changed"):
            args["update_secret"] = "always"
        return args

    def dcr_ahead(self, token_plan):
        args = self.dcr_args(token_plan)
        if not args["issuer"]:
            return []
        return [("konnect_portal_dcr", args, lambda dcr_plan: self.apps_ahead(dcr_plan, args))]

    def apps_ahead(self, dcr_plan, dcr_args):
        """The applications' plans the planner asks for after that Konnect plan (None: without the Konnect step)."""
        if "application" not in self.phases:
            return []
        return [("portal_application", inputs[2]) for inputs in self.app_inputs(dcr_plan, dcr_args)]

    def plan_dcr(self):
        params = self.params
        self.dcr = self.step("dcr", "konnect_portal_dcr", dict(params["dcr"], state="present"), self.konnect)
        self.dcr.args = self.dcr_args(self.token.plan if self.token else None)
        if not self.dcr.args["issuer"]:
            raise StepFailed(self.dcr, {"msg": "Curity's issuer is unknown: set the issuer (role: dcr_curity_issuer, or "
                                               "CURITY_ISSUER), or run the curity phase in the same run."})
        self.run_plan(self.dcr)
        if self.dcr.plan.get("provider_id") or self.secret:
            return
        # The DCR provider must be created and the DCR credential's secret is not known: nothing can use
        # that secret while the provider does not exist, so the run sets a fresh one on both sides.
        if self.token is None:
            raise StepFailed(self.dcr, {"msg": "The DCR provider must be created, and Konnect needs the DCR credential's "
                                               "secret, which Curity never returns: run the curity phase in the same run "
                                               "(it sets a fresh secret on both sides) or give the secret (role: "
                                               "dcr_curity_client_secret). Nothing was changed."})
        if self.read_back():
            return
        self.fresh = secrets.token_urlsafe(32)
        self.token.args.update(secret=self.fresh, update_secret="always")
        self.plan_token()
        self.notes.append("The DCR provider does not exist yet: this run sets a fresh secret on the DCR credential "
                          "%r and hands it to Konnect." % self.token.args.get("client_id", "konnect-dcr"))

    def read_back(self):
        """Before choosing a fresh secret: the DCR credential's secret a run before this one kept in the secret store
        (a first run interrupted after Curity's write), handed to both sides instead.  True when there is one."""
        options = self.token.args.get(STORE_OPTION)
        if not options or options is not self.store_options:
            return False
        client_id = self.token.args.get("client_id") or "konnect-dcr"
        try:
            record = self.stored(options, dcr_credential_path(client_id)) or {}
        except SecretStoreError as exc:
            raise StepFailed(self.token, {"msg": "The secret store cannot be read: %s" % exc})
        secret = record.get("client_secret")
        if not isinstance(secret, str) or not secret or record.get("client_id", client_id) != client_id:
            return False
        self.secret = secret
        # Curity is checked with it (a token request); without that check it is set again, which changes nothing.
        self.token.args.update(secret=secret)
        if self.token.args.get("verify") is False:
            self.token.args["update_secret"] = "always"
        self.plan_token()
        self.notes.append("The DCR provider does not exist yet: this run hands Konnect the secret of the DCR credential "
                          "%r kept in the secret store by an earlier run." % client_id)
        return True

    def plan_applications(self):
        if "application" not in self.phases:
            return
        dcr_plan, dcr_args = (self.dcr.plan, self.dcr.args) if self.dcr is not None else (None, None)
        for label, args, plan_args, waits, takes in self.app_inputs(dcr_plan, dcr_args):
            app = self.step("application", "portal_application", args, {}, label=label)
            self.apps.append(app)
            app.takes_strategy = takes
            app.plan = self.planned("portal_application", plan_args)
            self.planned_note(app)
            if app.plan.get("failed"):
                raise StepFailed(app, app.plan)
            if waits:
                app.pending = "waits for %s: planned as a change, checked when they exist" % " and ".join(waits)

    def app_inputs(self, dcr_plan, dcr_args):
        """What the planner sends for each application, given the Konnect step's plan and arguments (both None
        without that step): (label, arguments, plan input, what the plan waits for, whether it takes the run's
        strategy)."""
        # While the Konnect step creates the strategy, makes it the portal default or publishes APIs with it,
        # developers may not see the strategy (or those APIs) yet: that step checked them on the admin side.  Any
        # other change of that step (a display name, the DCR credential's secret) leaves what developers see as it is.
        dcr_changes = bool(dcr_plan and dcr_plan.get("changed"))
        strategy_waits = dcr_changes and (not dcr_plan.get("strategy_id") or dcr_plan.get("default_changed", True))
        published = set(dcr_plan.get("publishing", (self.params["dcr"] or {}).get("apis")) or []) if dcr_changes \
            else set()
        if dcr_args is None:
            ref = (self.params["dcr"] or {}).get("display_name") or None
        else:
            ref = (dcr_plan or {}).get("strategy_id") or dcr_args.get("display_name") or None
        out = []
        for item in self.params["applications"]:
            args = merged(self.portal, self.app_args(item))
            takes = takes_strategy(args)
            if takes and ref:
                args["auth_strategy"] = ref
            plan_args, waits = dict(args), []
            if strategy_waits and takes:
                plan_args.pop("auth_strategy", None)
                verb = "makes the portal's default" if dcr_plan.get("strategy_id") else "creates"
                waits.append("the auth strategy this run %s" % verb)
            if published and plan_args.get("registrations"):
                # APIs the Konnect step publishes are not yet visible to the developer: that step checked them.
                unpublished = [api for api in plan_args["registrations"] if api in published]
                if unpublished:
                    plan_args["registrations"] = [api for api in plan_args["registrations"] if api not in published]
                    waits.append("APIs this run publishes (%s)" % ", ".join(unpublished))
            out.append((args.get("name"), args, plan_args, waits, takes))
        return out

    def apply_present(self):
        for step in (self.claims, self.scopes):
            if step is not None and step.changed:
                self.run_apply(step)
        token_secret = None
        if self.token is not None and self.token.changed:
            result = self.run_apply(self.token)
            if result.get("secret_changed"):
                token_secret = result.get("client_secret") or self.token.args.get("secret")
        if self.dcr is not None and (self.dcr.changed or token_secret):
            wiring = dict(issuer=self.dcr.args["issuer"])
            wiring["initial_client_secret"] = token_secret or self.secret
            if token_secret:
                wiring["update_secret"] = "always"
            if not wiring["initial_client_secret"]:
                self.dcr.args.pop("initial_client_secret", None)
                del wiring["initial_client_secret"]
            self.run_apply(self.dcr, **wiring)
        strategy = (self.dcr.result or self.dcr.plan).get("strategy_id") if self.dcr is not None else None
        for app in self.apps:
            if app.changed:
                wiring = {}
                if strategy and app.takes_strategy:
                    wiring["auth_strategy"] = strategy  # created by this run: known by id only now
                self.run_apply(app, **wiring)

    # -- state=absent ------------------------------------------------------------------------------
    def plan_absent(self):
        params = self.params
        if "application" in self.phases:
            for item in params["applications"]:
                args = dict(name=item.get("name"), state="absent")
                if item.get("credentials_file"):
                    args["credentials_file"] = item["credentials_file"]  # removed with the application
                app = self.step("application", "portal_application", args, self.portal, label=item.get("name"))
                self.apps.append(app)
        if self.in_phase("konnect", "dcr"):
            args = dict(params["dcr"], state="absent")
            removed = [app.label for app in self.apps]
            if removed:
                args["ignore_applications"] = removed
            self.dcr = self.step("dcr", "konnect_portal_dcr", args, self.konnect)
        if self.in_phase("curity", "token"):
            token = dict((k, v) for k, v in params["token"].items() if k in ("client_id", "dcr", "issuer"))
            self.token = self.step("token", "curity_token", dict(token, state="absent"), self.curity)
        if self.in_phase("curity", "scopes"):
            self.scopes = self.step("scopes", "curity_scope", dict(params["scopes"], state="absent"), self.curity)
        if self.in_phase("curity", "claims"):
            self.claims = self.step("claims", "curity_claim", dict(params["claims"], state="absent"), self.curity)
        # A teardown's plan input is known from the start: every plan starts ahead, but the claims' when the scopes
        # step may remove scopes that use listed claims: that plan waits for the scopes' (it goes unused when they do).
        claims_wait = bool(self.claims and self.scopes)
        for step in self.apps + [self.dcr, self.token, self.scopes]:
            if step is not None:
                self.start_ahead(step.module, step.args, then=self.claims_ahead if claims_wait and step is self.scopes
                                 else None)
        if self.claims is not None and not claims_wait:
            self.start_ahead(self.claims.module, self.claims.args)
        for step in self.apps + [self.dcr, self.token, self.scopes]:
            if step is not None:
                self.run_plan(step)
        if self.claims is not None:
            waiting = removed_claims(self.scopes.plan if self.scopes else None) & self.listed_claims()
            if waiting:
                self.claims.pending = ("used by scopes this run removes (%s): planned as a change, checked once they are "
                                       "gone" % ", ".join(sorted(waiting)))
            else:
                self.run_plan(self.claims)

    def claims_ahead(self, scopes_plan):
        """A teardown's claims plan, once the scopes' plan shows that no scope it removes uses them."""
        if removed_claims(scopes_plan) & self.listed_claims():
            return []
        return [(self.claims.module, self.claims.args)]

    def apply_absent(self):
        for step in self.apps + [self.dcr, self.token, self.scopes, self.claims]:
            if step is not None and step.changed:
                self.run_apply(step)

    # -- the request through the gateway -----------------------------------------------------------
    def request(self):
        spec = self.params["request"]
        step = Step("request", None, {})
        self.steps.append(step)
        name = spec["application"] or (self.params["applications"][0]["name"] if self.params["applications"] else None)
        app = next((a for a in self.apps if a.label == name), None)
        try:
            credentials = self.credentials(app)
            problem = None
        except (KonnectError, AnsibleError) as exc:
            credentials, problem = None, text_of(exc)
        if not credentials:
            reason = problem or ("the client secret of application %s is returned only when it is created or "
                                 "regenerated; give the application a credentials_file to keep it." % name)
            step.result = {"changed": False, "skipped": True, "msg": "No request: %s" % reason}
            self.action.warnings.append(step.result["msg"])
            return
        step.result = gateway_request(spec, credentials, name, self.action.warnings.append)
        if step.result.get("failed"):
            raise StepFailed(step, step.result)

    def credentials(self, app):
        if app is None:
            return None
        record = as_dict(app.result)
        if not record.get("client_secret"):
            path = app.args.get("credentials_file")
            record = as_dict(self.action.read_credentials_file(path) if path else None)
        if not record.get("client_secret") and app.args.get(STORE_OPTION):
            try:
                record = as_dict(self.stored(app.args[STORE_OPTION], application_path(app.label)))
            except SecretStoreError as exc:
                raise KonnectError(str(exc))
        if all(isinstance(record.get(key), str) and record[key] for key in ("client_id", "client_secret")):
            return {"client_id": record["client_id"], "client_secret": record["client_secret"]}
        return None

    # -- results -----------------------------------------------------------------------------------
    # The result is also the last resort of an unexpected error: nothing here may raise.  Each part is built on its
    # own from whatever the steps hold (module results carry data read from servers), and a part that cannot be built
    # says so instead of taking the others with it - the secrets the run received, what a teardown deleted.
    def outcome(self):
        request = next((s for s in self.steps if s.key == "request"), None)
        result = dict(changed=guarded(lambda: any(s.changed for s in self.steps if s.key != "request"), True),
                      check_mode=self.action.check_mode,
                      steps=[guarded(lambda s=s: self.summary(s), dict(step=s.key, title=s.title)) for s in self.steps],
                      summary=[guarded(lambda s=s: self.line(s), "%s: (no summary: %s)" % (s.title, UNREADABLE))
                               for s in self.steps]
                      + guarded(self.open_routes, ["Gateway route after the teardown: %s" % UNREADABLE])
                      + [text_of(note) for note in self.notes],
                      diff=[entry for s in self.steps if s.key != "request" and guarded(lambda s=s: s.changed, True)
                            for entry in guarded(lambda s=s: self.object_diffs(s),
                                                 [dict(before="", after=UNREADABLE, before_header=s.title,
                                                       after_header=s.title)])],
                      notes=[text_of(note) for note in self.notes], applications=self.applications(),
                      warnings=self.action.warnings, module_executions=len(self.action.executions),
                      timings=guarded(lambda: [dict(zip(("pass", "module", "seconds", "started"), e)) for e in
                                               sorted(self.action.executions, key=lambda e: e[3])], []))
        result.update(guarded(self.credential, {}))
        if request is not None and request.result:
            result["request"] = guarded(lambda: dict((k, v) for k, v in as_dict(request.result).items()
                                                     if k != "failed"), {})
        result["report"] = guarded(lambda: self.report(result), dict(changed=result["changed"]))
        return result

    def summary(self, step):
        view = as_dict(step.result or step.plan)
        out = dict(step=step.key, title=step.title, changed=step.changed, applied=step.result is not None)
        if step.pending:
            out["pending"] = step.pending
        for key in ("portal_id", "provider_id", "strategy_id", "verified", "issuer", "token_endpoint",
                    "registration_endpoint", "client_id", "application_id", "pending", "registrations", "status",
                    "unpublished", "published_without_auth", "deleted_applications", "restored_default",
                    "open_publications", "open_publications_unchecked"):
            if key in view and key not in out:
                out[key] = view[key]
        return out

    def line(self, step):
        if step.key == "request":
            view = as_dict(step.result)
            if view.get("skipped") or view.get("status") is None:
                return "%s: %s" % (step.title, text_of(view.get("msg")))
            return "%s: Gateway answered %s to %s %s for application %s (client id %s): %s" % tuple(
                [step.title] + [text_of(view.get(key)) for key in ("status", "method", "url", "application", "client_id")]
                + [text_of(view.get("reason") or "no reason phrase")])
        if not step.changed:
            verdict = "unchanged"
        elif step.result is not None:
            verdict = "changed"
        else:
            verdict = "changes (check mode)" if self.action.check_mode else "planned change, not applied"
        view = as_dict(step.result or step.plan)
        ids = ", ".join("%s %s" % (k, text_of(view[k])) for k in ("client_id", "provider_id", "strategy_id")
                        if view.get(k))
        for key, what in (("unpublished", "unpublished"),
                          ("published_without_auth", "left published WITHOUT application auth"),
                          ("deleted_applications", "applications deleted")):
            if view.get(key):
                ids = "; ".join(x for x in (ids, "%s: %s" % (what, names_of(view[key]))) if x)
        if view.get("restored_default"):
            ids = "; ".join(x for x in (ids, "portal default back to %s" % text_of(view["restored_default"])) if x)
        what = guarded(lambda: self.happened(step), []) if step.changed else []
        return "%s: %s%s%s%s" % (step.title, verdict, " - %s" % "; ".join(what) if what else "",
                                 " (%s)" % ids if ids else "",
                                 "; %s" % text_of(step.pending) if step.pending and step.result is None else "")

    def open_routes(self):
        """After a teardown, one sentence: the other publications of the gateway services it took an API off, which
        keep their routes open (to anyone when they ask for no auth), or why they could not be checked."""
        step = next((s for s in self.steps if s.key == "dcr"), None)
        view = as_dict((step.result or step.plan) if step is not None else None)
        items = view.get("open_publications")
        unchecked = view.get("open_publications_unchecked")
        sentence = open_publications_sentence([as_dict(item) for item in items] if isinstance(items, list) else [],
                                              text_of(unchecked) if unchecked else None)
        return ["%s: %s" % (step.title, sentence)] if sentence else []

    def happened(self, step):
        """What the step did (before it is applied: would do), per object, in words."""
        view = as_dict(step.result or step.plan)
        diff = as_dict(view.get("diff"))
        before, after = as_dict(diff.get("before")), as_dict(diff.get("after"))
        out = []
        for key in sorted(set(before) | set(after), key=text_of):
            name, old, new = text_of(key), before.get(key), after.get(key)
            if key == "client_secret":
                out.append("client secret regenerated")
            elif key == "credentials_file" and isinstance(old, dict):
                out.append("credentials file %s removed" % text_of(old.get("path")))
            elif key not in before:
                out.append("%s created" % name)
            elif key not in after:
                out.append("%s deleted" % name)
            elif isinstance(old, dict) and isinstance(new, dict):
                fields = sorted((k for k in set(old) | set(new) if old.get(k) != new.get(k)), key=text_of)
                out.append("%s: %s changed" % (name, ", ".join(text_of(f) for f in fields)) if fields
                           else "%s changed" % name)
            else:
                out.append("%s changed" % name)
        if step.key == "token" and view.get("secret_changed"):
            out.append("secret set on Curity%s" % (" and handed to Konnect" if self.dcr is not None else ""))
        if step.key == "dcr" and view.get("verified") and step.changed:
            out.append("Konnect verified the DCR credential")
        if step.key == "application" and step.result is not None and view.get("client_secret"):
            out.append("secret written to %s" % text_of(view["credentials_file"]) if view.get("credentials_file")
                       else "secret in the result only (no credentials_file)")
        return out

    def object_diffs(self, step):
        """The step's diff as Ansible shows it: one entry per object that changes, before and after (an object
        created or deleted: empty on that side), headed by the step and the object."""
        view = as_dict(step.result or step.plan)
        diff = as_dict(view.get("diff"))
        before, after = diff.get("before"), diff.get("after")
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        out = []
        for key in sorted(set(before) | set(after), key=text_of):
            header = "%s: %s" % (step.title, text_of(key))
            out.append(dict(before=before.get(key, ""), after=after.get(key, ""), before_header=header,
                            after_header=header))
        if not out and step.pending and step.result is None:
            out.append(dict(before="", after="", before_header=step.title, after_header=step.title))
        return out

    def applications(self):
        out = {}
        for app in self.apps:
            view = as_dict(app.result or app.plan)
            entry = dict((k, view.get(k)) for k in ("application_id", "client_id", "auth_strategy_id", "registrations",
                                                    "pending", "credentials_file", "secret_store") if k in view)
            if view.get("client_secret"):
                entry["client_secret"] = view["client_secret"]
            out[text_of(app.label)] = entry
        return out

    def credential(self):
        if self.token is None:
            return {}
        view = as_dict(self.token.result or self.token.plan)
        out = dict(client_id=view.get("client_id"), changed=self.token.changed)
        if view.get("secret_store"):
            out["secret_store"] = view["secret_store"]
        # The fresh secret once the apply pass sent it to Curity (also when that step failed half-way).
        secret = view.get("client_secret") or (self.fresh if self.token.result is not None else None)
        if secret:
            out["client_secret"] = secret
        return {"dcr_credential": out}

    def report(self, result):
        """What the run did, without a secret: the result of the task that shows it (``report``).  The diff is
        Ansible's (one entry per object, before and after), the per-step detail is there for -v."""
        report = dict((k, result[k]) for k in ("changed", "check_mode", "summary", "notes", "steps", "diff")
                      if k in result)
        if result.get("request"):
            report["request"] = dict((k, v) for k, v in as_dict(result["request"]).items() if k != "client_secret")
        return report

    def failure(self, exc, planning):
        step = exc.step
        written = guarded(lambda: [s.title for s in self.steps if s.result is not None and as_dict(s.result).get("changed")],
                          [])
        msg = "%s failed%s: %s" % (step.title, " while planning (reads only)" if planning else "",
                                   guarded(lambda: self.in_role_words(text_of(exc)), text_of(exc)))
        if planning:
            msg += " Nothing was written to Curity or Konnect."
        elif written:
            msg += " Written before the failure: %s. Run again with the same input to finish." % "; ".join(written)
        # What the failed step created (a secret shown once) stays in the result.
        if not planning:
            step.result = dict((k, v) for k, v in as_dict(exc.result).items() if k not in ("failed", "msg"))
        result = self.outcome()
        result.update(failed=True, msg=msg, failed_step=step.key)
        result["changed"] = bool(written) or bool(as_dict(exc.result).get("changed"))
        result["report"].update(failed=True, msg=msg, changed=result["changed"], failed_step=step.key)
        return result

    def in_role_words(self, text):
        """``text`` naming the dcr_curity role's variables (and their environment variables) instead of the modules'
        options, when the role runs this task."""
        role = getattr(self.action._task, "_role", None)
        if role is None or not text_of(role.get_name()).endswith("dcr_curity"):
            return text
        named = set()

        def variable(match):
            option = match.group(0)
            name, env = ROLE_WORDS[option]
            if env and env not in text and option not in named:
                named.add(option)
                return "%s (or %s)" % (name, env)
            return name

        text = re.sub(r"\b(%s)\b" % "|".join(sorted(ROLE_WORDS, key=len, reverse=True)), variable, text)
        return re.sub(r"\b(dcr_curity_\w+)(: \w+)? \(role: \1\)", r"\1\2", text)

    def unexpected(self, exc):
        """The result of a run stopped by an unexpected error: what the steps did, and one sentence."""
        result = self.outcome()
        result.update(failed=True, msg=masked_text(
            "devportal.dcr.dcr_setup stopped on an unexpected error (%s: %s); what the steps before it did is in this "
            "result." % (type(exc).__name__, text_of(exc)), guarded(self.hidden, set())))
        result["report"].update(failed=True, msg=result["msg"])
        return result

    def hidden(self):
        """The secrets this run holds, in the forms a text could show them (raw, URL-encoded, HTTP Basic)."""
        found = set()
        values = [(self.params.get(group) or {}).get(key) for group, key in (
            ("curity", "admin_password"), ("konnect", "konnect_token"), ("portal", "developer_password"))]
        values += [self.secret, self.fresh] + [as_dict(app.result).get("client_secret") for app in self.apps]
        values += list(self.store_secrets) + [(self.store_options or {}).get(key) for key in ("token", "secret_id")]
        for value in values:
            if isinstance(value, str) and value:
                found |= _http.credential_forms(("", value))
        return found


# The modules' options as the dcr_curity role names them: (role variable, environment variable or None).
ROLE_WORDS = {
    "admin_url": ("dcr_curity_admin_url", "CURITY_ADMIN_URL"),
    "admin_username": ("dcr_curity_admin_username", "CURITY_ADMIN_USERNAME"),
    "admin_password": ("dcr_curity_admin_password", "CURITY_ADMIN_PASSWORD"),
    "profile_id": ("dcr_curity_profile_id", "CURITY_PROFILE_ID"),
    "konnect_url": ("dcr_curity_konnect_url", "KONNECT_URL"),
    "konnect_token": ("dcr_curity_konnect_token", "KONNECT_TOKEN"),
    "portal_url": ("dcr_curity_portal_url", "KONNECT_PORTAL_URL"),
    "developer_email": ("dcr_curity_developer_email", "KONNECT_DEVELOPER_EMAIL"),
    "developer_password": ("dcr_curity_developer_password", "KONNECT_DEVELOPER_PASSWORD"),
    "applications_in_use": ("dcr_curity_applications_in_use", None),
    "orphaned_publications": ("dcr_curity_orphaned_publications", None),
    "ignore_applications": ("dcr_curity_applications", None),
    "provider_name": ("dcr_curity_provider_name", None),
    "strategy_name": ("dcr_curity_strategy_name", None),
    "allow_duplicate": ("dcr_curity_allow_duplicate", None),
    "set_portal_default": ("dcr_curity_set_portal_default", None),
    "initial_client_id": ("dcr_curity_client_id", None),
    "initial_client_secret": ("dcr_curity_client_secret", None),
    "update_secret": ("dcr_curity_client_update_secret", None),
    "regenerate_secret": ("dcr_curity_regenerate_secrets", None),
    "approve_registrations": ("dcr_curity_applications[].approve_registrations", None),
    "credentials_file": ("dcr_curity_applications[].credentials_file", None),
}

# What a part of the result shows when it cannot be built from what the steps hold.
UNREADABLE = "could not be shown: a step returned data of an unexpected shape"


# What the task that shows a run's report returns (the report holds no secret).
REPORT_KEYS = ("changed", "failed", "msg", "diff", "summary", "notes", "steps", "check_mode", "request", "failed_step")


def reported(args):
    """The result of ``report``: the report of a run, given back as this task's own result, so that Ansible shows its
    diff, its change and its failure as it shows any module's.  On a failure, the per-step detail only with -v."""
    report = args.get("report")
    if not isinstance(report, dict):
        return dict(failed=True, changed=False, msg="report must be the report of a run of devportal.dcr.dcr_setup (its "
                                                    "result's report), got %s." % type(report).__name__)
    out = dict((k, report[k]) for k in REPORT_KEYS if k in report)
    out["changed"] = bool(out.get("changed"))
    if out.get("failed"):
        out["msg"] = text_of(out.get("msg") or "no message")
        if display.verbosity < 1:
            out = dict((k, v) for k, v in out.items() if k in ("changed", "failed", "msg", "diff"))
    else:
        out.pop("summary", None)  # shown by the task before (the role's debug of the run's summary)
    if not out.get("diff"):
        out.pop("diff", None)
    return out


def progress(stage, title, what):
    """One line of progress while the task runs (-v): ``stage`` (plan, apply, verify), the step, what it does."""
    display.v("dcr_setup %s | %s: %s" % (stage, title, what))


def title_of(module, args):
    """The title of the step ``module`` runs with ``args`` (an application's: with its name)."""
    title = TITLES[STEP_OF[module]]
    return title % text_of(args.get("name")) if "%s" in title else title


class Watch:
    """One module run watched while it goes (-v), on a thread of its own: the events of its progress file (``path``,
    None when the module runs elsewhere) shown as they arrive, and a heartbeat while it runs longer than
    ``HEARTBEAT_FIRST`` seconds without news.  ``hidden()`` gives the secrets of the run, masked in what it shows."""

    def __init__(self, stage, title, path, hidden):
        self.stage, self.title, self.path, self.hidden = stage, title, path, hidden
        self.offset = 0
        self.retries_shown = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="dcr-setup-watch")
        self.thread.daemon = True

    def start(self):
        self.thread.start()

    def stop(self):
        """The run ended: the events it wrote last are shown, the thread ends."""
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()
        self.read()

    def loop(self):
        began = time.monotonic()
        beat = began + HEARTBEAT_FIRST
        while not self.done.wait(POLL_SECONDS):
            now = time.monotonic()
            if self.read():
                beat = now + HEARTBEAT_EVERY
            elif now >= beat:
                doing = "planning" if self.stage == "plan" else "applying"
                display.v("dcr_setup %s | still %s %s: %d s" % (self.stage, doing, self.title, now - began))
                beat = now + HEARTBEAT_EVERY

    def read(self):
        """Show the events appended since the last read; True when there was one."""
        if not self.path:
            return False
        events, self.offset = ProgressFile.read(self.path, self.offset)
        shown = False
        for event in events:
            line = guarded(lambda event=event: describe(event), None)
            if line and event.get("event") == "retry":
                progress(self.stage, self.title, masked_text(line, self.hidden()))
                self.retries_shown += 1
                shown = True
        return shown


def show_trace(stage, title, trace, hidden):
    """The requests a module run sent (its ``TRACE_KEY``), one line each, with -vvv."""
    if not isinstance(trace, dict):
        return
    secrets = hidden()
    requests = trace.get("requests") if isinstance(trace.get("requests"), list) else []
    for entry in requests:
        line = guarded(lambda entry=entry: describe(entry), None)
        if line:
            display.vvv("dcr_setup %s | %s: %s" % (stage, title, masked_text(line, secrets)))
    dropped = trace.get("dropped")
    if isinstance(dropped, int) and dropped > 0:
        display.vvv("dcr_setup %s | %s: and %d more requests" % (stage, title, dropped))


def warning_text(warning):
    """A module's warning as its text: a string, or (ansible-core 2.19 and later) a summary of a warning event."""
    if isinstance(warning, str):
        return warning
    msg = getattr(getattr(warning, "event", None), "msg", None)
    if msg is None and isinstance(warning, dict):
        msg = warning.get("msg")
    return msg if isinstance(msg, str) else text_of(warning)


def guarded(build, fallback):
    """``build()``, or ``fallback`` when it raises."""
    try:
        return build()
    except Exception:  # pylint: disable=broad-except
        return fallback


def as_dict(value):
    return value if isinstance(value, dict) else {}


def text_of(value):
    """Any value as one short text, never raising (None: "none")."""
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    try:
        return to_text(value if isinstance(value, BaseException) else json.dumps(value, sort_keys=True, default=str),
                       errors="surrogate_or_replace")
    except Exception:  # pylint: disable=broad-except
        return "<%s>" % type(value).__name__


def names_of(values):
    """A list of names from a server, as one text: a missing name shows as "(no name)"."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    return ", ".join("(no name)" if value is None or value == "" else text_of(value) for value in values)


def masked_text(text, secrets):
    return guarded(lambda: _http.masked(text, secrets), text)


class PlanPool:
    """Threads for the plans started ahead: ``workers`` at a time, urgent ones first, then in the order given."""

    def __init__(self, workers):
        self.executor = ThreadPoolExecutor(max_workers=workers)
        self.lock = threading.Lock()
        self.waiting = []  # (urgent first, order, future, call)
        self.order = itertools.count()
        self.closed = False

    def submit(self, urgent, fn, *args):
        """A future of ``fn(*args)``; RuntimeError once the pool is shut down (nothing is queued then)."""
        future = Future()
        with self.lock:
            if self.closed:
                raise RuntimeError("the plan pass is over")
            heapq.heappush(self.waiting, (0 if urgent else 1, next(self.order), future, (fn, args)))
            # One thread run per plan queued: each takes the first plan waiting when it starts.
            self.executor.submit(self.run_next)
        return future

    def run_next(self):
        with self.lock:
            dummy, dummy, future, (fn, args) = heapq.heappop(self.waiting)
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # pylint: disable=broad-except
            future.set_exception(exc)

    def shutdown(self, wait=True):
        """Let every plan queued finish; no plan is queued afterwards."""
        with self.lock:
            self.closed = True
        self.executor.shutdown(wait=wait)


def resolved(value, templar):
    """``value`` with every template in it rendered, as ansible-core's default task argument templating renders it,
    without finalizing what cannot hold a template through the engine's lazy containers.

    A string that looks like a template goes to ``templar.resolve_to_container``, the engine's documented way to
    template an argument partially (ansible.builtin.assert uses it): a scalar result is final, a container result
    comes as it is, and its content is resolved the same way.  Strings without a template mark, plain scalars,
    lists and dictionaries are walked as they are; anything else (a vaulted value, a marker of an undefined value,
    an object of another type) goes to the templar whole.
    """
    if isinstance(value, str):
        if not _could_be_template(value):
            return value
        value = templar.resolve_to_container(value)
        if not isinstance(value, (dict, list, tuple)):
            return value
    if type(value) in PLAIN_SCALARS:
        return value
    if isinstance(value, dict):
        return dict((key, resolved(item, templar)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [resolved(item, templar) for item in value]
    return templar.template(value)


# Scalar types that templating never changes.
PLAIN_SCALARS = (bool, int, float, type(None))
# What starts a template (ansible-core's is_possibly_template looks for these, and for a Jinja override header).
TEMPLATE_MARKS = ("{{", "{%", "{#")


def _could_be_template(text):
    return text.startswith("#jinja2:") or any(mark in text for mark in TEMPLATE_MARKS)


def entries(step_args, list_option):
    """The entries a collection step's arguments name: those of its list option, or the step's own arguments when
    they name one entry (``name``)."""
    step_args = step_args or {}
    items = list(step_args.get(list_option) or []) + ([step_args] if step_args.get("name") else [])
    return [item for item in items if isinstance(item, dict)]


def removed_claims(plan):
    """The claims that the scopes a scopes step's plan removes use (from its diff's before)."""
    if not plan or not plan.get("changed"):
        return set()
    before = (plan.get("diff") or {}).get("before") or {}
    return set(c for scope in before.values() if isinstance(scope, dict) for c in scope.get("claims") or [])


def created(plan):
    """What a collection step's plan creates (the names in its diff's after and not in its before)."""
    if not plan or not plan.get("changed"):
        return set()
    diff = plan.get("diff") or {}
    return set((diff.get("after") or {}).keys()) - set((diff.get("before") or {}).keys())


def merged(connection, args):
    """A step's module arguments: its connection settings, then the arguments that are set."""
    out = dict(connection)
    out.update(dict((k, v) for k, v in args.items() if v is not None))
    return out


def takes_strategy(args):
    """Whether an application gets the run's auth strategy (present, and none of its own)."""
    return args.get("state", "present") == "present" and not args.get("auth_strategy")


def plan_key(module, args):
    """What identifies a plan: the module and exactly its input."""
    return module, json.dumps(args, sort_keys=True, default=str)


# Every status counts as an answer of the gateway: which ones are a success is the request option's status_code.
ANY_STATUS = range(100, 1000)
# The most characters of a text from elsewhere (a redirect's location, a transport error) that an outcome shows.
SHOWN_CHARACTERS = 300


def gateway_request(spec, credentials, name, warn=None):
    """Call the gateway with HTTP Basic client credentials, through the collection's transport: each attempt within
    ``timeout`` as a whole, the credentials never replaced by ``~/.netrc``, redirects never followed with them, the
    answer read no further than the transport's cap.  The outcome is the status and a description built by this
    collection (the standard reason phrase, the transport's error), never the body of the answer, which may echo the
    credentials (an upstream such as httpbin answers with the request's headers).

    Only an idempotent method is tried again (``retries``, ``delay`` seconds apart) while the answer is not a success:
    the whole check ends within ``(retries + 1) * timeout + retries * delay`` seconds."""
    method = spec["method"].upper()
    client_id, secret = credentials["client_id"], credentials["client_secret"]
    hidden = _http.credential_forms((client_id, secret))
    url = _http.redact_url(spec["url"])
    out = dict(status=None, reason=None, method=method, url=url, application=name, client_id=client_id, attempts=0)
    if not _http.HAS_REQUESTS:
        return dict(out, failed=True, msg="The request through the gateway needs the Python library requests where "
                                          "Ansible runs (the controller): python3 -m pip install requests.")
    # UTF-8 credentials (RFC 7617); requests would otherwise encode them as Latin-1.
    transport = _http.Transport(spec["url"], auth=(client_id.encode("utf-8"), secret.encode("utf-8")),
                                validate_certs=spec["validate_certs"], ca_path=spec["ca_path"], timeout=spec["timeout"],
                                retries=0, retry_budget=0, service="The gateway", warn=warn)
    attempts = spec["retries"] + 1 if method in _http.IDEMPOTENT_METHODS else 1
    error = None
    for attempt in range(attempts):
        if attempt:
            progress("verify", "Request through the gateway", "%s; trying again in %d s (attempt %d of %d)"
                     % (error or "answered %s %s" % (out["status"], out["reason"] or ""), spec["delay"], attempt + 1,
                        attempts))
            time.sleep(spec["delay"])
        out["attempts"] = attempt + 1
        try:
            reply = transport.request(method, spec["url"], headers={"Accept": "*/*"}, expect=ANY_STATUS,
                                      expect_json=False, write=False)
        except (_http.HttpError, _http.TransportError) as exc:
            out.update(status=None, reason=None)
            error = bounded(_http.masked(str(exc), hidden))
            continue
        error = None
        out.update(status=reply.status, reason=reason_phrase(reply.status))
        if reply.status in spec["status_code"]:
            return out
        if 300 <= reply.status < 400:
            location = reply.headers.get("Location")
            shown = bounded(_http.masked(_http.redact_url(location), hidden)) if location else "an unnamed location"
            return dict(out, failed=True, msg=(
                "The gateway answered %d to %s %s, a redirect to %s: not followed, because the request carries the "
                "credentials of application %s and a redirect could send them elsewhere. Call the final URL directly."
                % (reply.status, method, url, shown, name)))
    expected = ", ".join(str(code) for code in spec["status_code"])
    tries = "" if out["attempts"] == 1 else " (%d attempts)" % out["attempts"]
    if out["status"] is None:
        msg = ("No answer from the gateway to %s %s with the credentials of application %s (client id %s)%s: %s"
               % (method, url, name, client_id, tries, error))
    else:
        msg = ("The gateway answered %s%s to %s %s with the credentials of application %s (client id %s)%s, expected "
               "one of %s." % (out["status"], " %s" % out["reason"] if out["reason"] else "", method, url, name,
                               client_id, tries, expected))
        if method not in _http.IDEMPOTENT_METHODS:
            msg += " A %s is sent once (it is not idempotent): use a GET route to check the credentials." % method
    return dict(out, failed=True, msg=msg)


def check_record_stat(path, found):
    """Raise KonnectError unless ``found`` (the stat module's result, links not followed) is that of a credentials
    file, as portal_application checks its own."""
    if found.get("islnk"):
        raise KonnectError("credentials_file %r is a symbolic link; give the path of the file itself." % path)
    if not found.get("isreg"):
        raise KonnectError("credentials_file %r is not a regular file." % path)
    if not isinstance(found.get("size"), int) or found["size"] > RECORD_LIMIT:
        raise KonnectError("credentials_file %r is %s bytes long: it is not a credentials file." % (path, found.get("size")))


def reason_phrase(status):
    """The standard reason phrase of ``status`` (RFC 9110), never the server's own words; '' when it has none."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def bounded(text, limit=SHOWN_CHARACTERS):
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(to_text(text, errors="surrogate_or_replace").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def request_url_problem(url):
    """Why ``url`` cannot be the gateway request's URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        # A port out of range raises ValueError only when it is read.
        parts.port  # pylint: disable=pointless-statement
    except ValueError:
        return "request.url is not a valid URL."
    if parts.username is not None or parts.password is not None:
        return ("request.url must not hold a user name or password (%s): the request authenticates with the client "
                "credentials of the application, and a password in a URL would be shown wherever the URL is."
                % _http.redact_url(url))
    if parts.scheme not in ("http", "https") or not host:
        return "request.url must be an http:// or https:// URL with a host (got %s)." % _http.redact_url(url)
    return None
