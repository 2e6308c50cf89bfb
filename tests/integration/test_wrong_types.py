# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every read path fed JSON of the wrong type (Hypothesis): a clear failure, never a traceback, never a secret.

Each module runs once against the sandbox, in this process, and every HTTP exchange of that run is recorded where the
transport hands it to ``requests`` (``Session.request``).  Hypothesis then replays the run many times, each time with
one answer changed: a value somewhere in its JSON replaced with a value of another type, or a member removed.  The
module's own code runs unchanged (its ``main``, its client, the one transport); only the answers come from the
recording.  Each replay must end with the module's JSON result: a success, or a failure in one sentence that names
the field (or, when the changed answer made the module send a request the recorded run did not send, answered here
with an HTTP 418, a clear failure), with no traceback and no secret of the task.

The recorded runs cover every module, with the new Dev Portal and the classic one: a run that changes nothing, and
the dry run of a teardown (whose reads look for what still uses each object).  A value of the wrong type must also
never lead to a write.  Examples are derandomized (the same ones on every run) and bounded (``EXAMPLES`` per run).

The role's part runs ansible-playbook (devportal.dcr.dcr_setup) after a converged run, with a few answers of the
wrong type served by the sandbox (its ``body`` and ``echo`` faults), for real and in check mode.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import importlib
import io
import json
import os
import sys
from unittest import mock

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from konnect_helpers import Portal, admin_args, app_args, curity_args, dcr_args, prepare_portal

# Examples per module; WRONG_TYPES_EXAMPLES sets another number (a longer search, say 1000).
EXAMPLES = int(os.environ.get("WRONG_TYPES_EXAMPLES", "40"))
SCOPE = {"name": "kong-api", "description": "Konnect APIs", "claims": ["email"], "time_to_live": 3600}
CLAIM = {"name": "kong_app_name", "description": "Application name", "in_access_token": True}
ORIGINAL_REQUEST = requests.Session.request
DROPPED_HEADERS = ("content-length", "content-encoding", "transfer-encoding")
UNRECORDED_STATUS = 418


# --------------------------------------------------------------------------- recording and replay
def fake_response(exchange, body):
    response = requests.Response()
    response.status_code = exchange["status"]
    response.reason = exchange["reason"]
    response.headers = CaseInsensitiveDict((k, v) for k, v in exchange["headers"].items()
                                           if k.lower() not in DROPPED_HEADERS)
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(body)
    response.url = exchange["url"]
    return response


def request_key(method, url, kwargs):
    params = kwargs.get("params") or {}
    return method.upper(), url, tuple(sorted((str(k), str(v)) for k, v in params.items()))


class Recorder:
    """``Session.request`` that sends for real and keeps every exchange."""

    def __init__(self):
        self.exchanges = []

    def __call__(self, session, method, url, **kwargs):
        response = ORIGINAL_REQUEST(session, method, url, **kwargs)
        exchange = {"key": request_key(method, url, kwargs), "status": response.status_code,
                    "reason": response.reason, "headers": dict(response.headers), "body": response.content,
                    "url": url, "cookies": dict(response.cookies)}
        response.close()
        self.exchanges.append(exchange)
        return fake_response(exchange, exchange["body"])


class Replayer:
    """``Session.request`` that answers from a recording, one answer (``index``) replaced by ``body``.

    Answers to the same request come in recorded order (the last one repeats); a request the recording lacks gets
    an HTTP 418 and is noted in ``unrecorded``.
    """

    def __init__(self, exchanges, index, body):
        self.exchanges = exchanges
        self.index = index
        self.body = body
        self.queues = {}
        for number, exchange in enumerate(exchanges):
            self.queues.setdefault(exchange["key"], []).append(number)
        self.unrecorded = []

    def __call__(self, session, method, url, **kwargs):
        key = request_key(method, url, kwargs)
        queue = self.queues.get(key)
        if not queue:
            self.unrecorded.append(key)
            return fake_response({"status": UNRECORDED_STATUS, "reason": "I'm a teapot", "url": url,
                                  "headers": {"Content-Type": "application/json"}},
                                 b'{"message": "not in the recording"}')
        number = queue.pop(0) if len(queue) > 1 else queue[0]
        exchange = self.exchanges[number]
        for name, value in exchange["cookies"].items():
            session.cookies.set(name, value)
        return fake_response(exchange, self.body if number == self.index else exchange["body"])


def run_in_process(module, args, transport_stub, check=False):
    """(result dict or None, exception or None, output) of the module's ``main`` with ``args``."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    from ansible.module_utils.common import warnings as ansible_warnings  # pylint: disable=import-outside-toplevel
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel

    main = importlib.import_module("ansible_collections.devportal.dcr.plugins.modules." + module).main
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=True)
    out = io.StringIO()
    error = None

    def request(session, method, url, **kwargs):
        return transport_stub(session, method, url, **kwargs)

    with patch_module_args(payload), mock.patch.object(requests.Session, "request", request), \
            mock.patch.object(basic.AnsibleModule, "_log_invocation", lambda self: None), \
            contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit:
            pass
        except Exception as exc:  # pylint: disable=broad-except
            error = exc
    # ansible-core keeps warnings process-wide: one run's must not show in the next.
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    ansible_warnings._global_deprecations.clear()  # pylint: disable=protected-access
    text = out.getvalue()
    try:
        result = json.loads(text)
    except ValueError:
        result = None
    return result, error, text


# --------------------------------------------------------------------------- the runs recorded
def scenarios(info, secret, portals):
    """{name: (module, args, check mode)}: a run of each module that changes nothing (or a dry run of a teardown),
    over every object the collection reads, with the new Dev Portal (v3) and the classic one (v2)."""
    out = {
        "curity_scope": ("curity_scope", connection_args(info, scopes=[SCOPE]), False),
        "curity_claim": ("curity_claim", connection_args(info, claims=[CLAIM]), False),
        "curity_token": ("curity_token", curity_args(info, secret=secret), False),
        "curity_scope_info": ("curity_scope_info", connection_args(info), False),
        "curity_claim_info": ("curity_claim_info", connection_args(info), False),
        "curity_token_info": ("curity_token_info", curity_args(info), False),
        "konnect_portal_dcr_info": ("konnect_portal_dcr_info", admin_args(info), False),
        # The reads of a teardown: what still uses each object, what a deletion leaves behind.
        "curity_scope-absent": ("curity_scope", connection_args(info, name=SCOPE["name"], state="absent"), True),
        "curity_claim-absent": ("curity_claim", connection_args(info, name=CLAIM["name"], state="absent"), True),
        "curity_token-absent": ("curity_token", curity_args(info, state="absent"), True),
    }
    for portal in portals:
        developer = {"portal_url": portal.url, "developer_email": info["developer_email"],
                     "developer_password": info["developer_password"]}
        teardown = dict(admin_args(info), portal=portal.name, state="absent", applications_in_use="delete",
                        orphaned_publications="keep_public", settle_timeout=0, **own_names(portal))
        admin = dict(admin_args(info), portal=portal.name)
        out.update({
            "konnect_portal_dcr-" + portal.generation: (
                "konnect_portal_dcr", dict(portal_dcr_args(info, portal, secret), settle_timeout=0), False),
            "portal_application-" + portal.generation: (
                "portal_application", dict(app_args(info, portal), settle_timeout=0), False),
            "portal_application_info-admin-" + portal.generation: ("portal_application_info", admin, False),
            "portal_application_info-developer-" + portal.generation: ("portal_application_info", developer, False),
            "konnect_portal_dcr-absent-" + portal.generation: ("konnect_portal_dcr", teardown, True),
            "portal_application-absent-" + portal.generation: (
                "portal_application", dict(app_args(info, portal), state="absent"), True),
        })
    assert sorted(out) == sorted(SCENARIOS)
    return out


# The scenarios' names (scenarios() builds them from the sandbox): those of Curity, then those of each portal.
CURITY_SCENARIOS = ("curity_scope", "curity_claim", "curity_token", "curity_scope_info", "curity_claim_info",
                    "curity_token_info", "konnect_portal_dcr_info", "curity_scope-absent", "curity_claim-absent",
                    "curity_token-absent")
PORTAL_SCENARIOS = ("konnect_portal_dcr", "portal_application", "portal_application_info-admin",
                    "portal_application_info-developer", "konnect_portal_dcr-absent", "portal_application-absent")
SCENARIOS = list(CURITY_SCENARIOS) + ["%s-%s" % (name, g) for g in ("v3", "v2") for name in PORTAL_SCENARIOS]


def own_names(portal):
    """The classic portal has a DCR provider and a strategy of its own, so that the teardown of either portal's
    settings is a plain one."""
    return {"provider_name": "curity-classic", "strategy_name": "curity-classic"} if portal.generation == "v2" else {}


def portal_dcr_args(info, portal, secret):
    return dcr_args(info, portal, secret, **own_names(portal))


def connection_args(info, **args):
    return dict({"admin_url": info["curity_admin_url"], "admin_password": info["curity_admin_password"]}, **args)


@pytest.fixture(scope="module")
def recordings(sandbox_process, runner):
    """Every scenario's exchanges, recorded in a run that changes nothing, after the set-up of the whole job."""
    sys.path.insert(0, runner.collections)
    box = sandbox_process
    box.reset()
    portals = [Portal(box.info, "v3"), Portal(box.info, "v2")]
    secret = prepare_portal(runner, box, portals[0])
    tasks = [("curity_scope", connection_args(box.info, scopes=[SCOPE])),
             ("curity_claim", connection_args(box.info, claims=[CLAIM])),
             ("konnect_portal_dcr", portal_dcr_args(box.info, portals[1], secret))]
    tasks += [("portal_application", app_args(box.info, portal)) for portal in portals]
    for module, args in tasks:
        result, text = runner.module(module, args)
        assert result.get("failed") is not True, text[-3000:]
    out = {}
    for name, (module, args, check) in scenarios(box.info, secret, portals).items():
        recorder = Recorder()
        result, error, text = run_in_process(module, args, recorder, check)
        assert error is None and result is not None and not result.get("failed"), (name, error, (result or {}).get("msg"))
        assert result.get("changed") is ("-absent" in name), (name, result)
        out[name] = (module, args, check, recorder.exchanges)
    yield out
    box.reset()


# --------------------------------------------------------------------------- the mutations
def json_paths(value, path=()):
    """Every path in a JSON value: tuples of member names and list indexes (the root is ``()``)."""
    yield path
    if isinstance(value, dict):
        for name, item in value.items():
            yield from json_paths(item, path + (name,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, path + (index,))


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


REMOVED = object()
OTHER_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=4), st.lists(st.one_of(st.integers(0, 2), st.text(max_size=2), st.none()), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(0, 2), st.text(max_size=2)), max_size=2),
    st.just(REMOVED))


def mutated(document, path, value):
    """A copy of ``document`` with the value at ``path`` replaced by ``value`` (removed for ``REMOVED``)."""
    if not path:
        return value
    out = copy.deepcopy(document)
    holder = out
    for step in path[:-1]:
        holder = holder[step]
    if value is REMOVED:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return out


def field_of(path):
    """The member that a mutation at ``path`` changed: the last member name on it, without a module prefix."""
    for step in reversed(path):
        if isinstance(step, str):
            return step.rpartition(":")[2]
    return None


def json_answers(exchanges):
    out = []
    for index, exchange in enumerate(exchanges):
        try:
            document = json.loads(exchange["body"].decode("utf-8"))
        except ValueError:
            continue
        out.append((index, document))
    return out


def secrets_of(args):
    """The task's secrets in every form a request carries them: raw, and as HTTP Basic's base64."""
    found = [args[k] for k in ("admin_password", "konnect_token", "developer_password", "secret",
                               "initial_client_secret") if args.get(k)]
    if args.get("admin_password"):
        found.append(base64.b64encode(("%s:%s" % (args.get("admin_username", "admin"),
                                                  args["admin_password"])).encode()).decode())
    return found


def check_replay(name, module, args, check, exchanges, index, path, value):
    document = json.loads(exchanges[index]["body"].decode("utf-8"))
    body = json.dumps(mutated(document, path, value)).encode("utf-8")
    replayer = Replayer(exchanges, index, body)
    result, error, text = run_in_process(module, args, replayer, check)
    method, url = exchanges[index]["key"][:2]
    where = "/".join(map(str, path)) or "the whole body"
    what = "%s: answer %d (%s %s), %s set to %s" % (name, index, method, url, where,
                                                    "nothing (removed)" if value is REMOVED else json.dumps(value))
    assert error is None, "%s: a traceback: %r" % (what, error)
    assert isinstance(result, dict), "%s: no JSON result: %r" % (what, text[-2000:])
    for secret in secrets_of(args):
        assert secret not in text, "%s: a secret of the task is in the output" % what
    typed = value is not None and value is not REMOVED and not (path == () and value == {})
    writes = [key for key in replayer.unrecorded if key[0] != "GET"]
    # A value of the wrong type is refused where it is read: it never leads to a write (an absent or null member
    # may: it can mean "not set").
    assert not (typed and writes), "%s: the module went on to write: %s" % (what, writes)
    if not result.get("failed"):
        return "passed"
    msg = result.get("msg")
    assert isinstance(msg, str) and msg.strip() and "\n" not in msg.strip() and "Traceback" not in text, (what, msg)
    if replayer.unrecorded:
        return "failed after a request the recording lacks"
    return named_field(what, path, value, msg)


def named_field(what, path, value, msg):
    field = field_of(path)
    if field is None or value is None or value is REMOVED:
        # An absent member (or a null one, read as absent) can be legitimate: the failure is then about what its
        # absence means (no claims mapper, no deployed endpoint), in the task's terms.
        return "failed"
    assert field in msg, "%s: the message does not name %r: %s" % (what, field, msg)
    return "failed"


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_read_fails_clearly_on_wrong_types(recordings, name):
    module, args, check, exchanges = recordings[name]
    answers = json_answers(exchanges)
    assert answers, "%s: the recorded run read no JSON" % name
    outcomes = {}

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def replay(data):
        index, document = data.draw(st.sampled_from(answers), label="answer")
        path = data.draw(st.sampled_from(list(json_paths(document))), label="path")
        current = document
        for step in path:
            current = current[step]
        value = data.draw(OTHER_VALUES.filter(lambda v: v is REMOVED or json_type(v) != json_type(current)),
                          label="value")
        if value is REMOVED and (not path or isinstance(path[-1], int)):
            value = None
        outcome = check_replay(name, module, args, check, exchanges, index, path, value)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    replay()  # pylint: disable=no-value-for-parameter
    # Not vacuous: changed answers made the module fail (the rest changed what it does not read).
    print("%s: %s" % (name, outcomes))
    assert outcomes.get("failed", 0) > 0, outcomes


# --------------------------------------------------------------------------- the role (devportal.dcr.dcr_setup)
ROLE_SERVER_PATH = "/data/base:profiles/profile=token-service,oauth-service/settings/profile-oauth:authorization-server"


def konnect_page(info, path):
    session = requests.Session()
    session.trust_env = False
    resp = session.get(info["konnect_url"] + path, headers={"Authorization": "Bearer " + info["konnect_token"]},
                       params={"page[size]": 100}, timeout=30)
    resp.raise_for_status()
    return resp.json()


def curity_body(info, path):
    session = requests.Session()
    session.trust_env = False
    resp = session.get(info["curity_admin_url"] + ROLE_SERVER_PATH + path, params={"content": "config"},
                       auth=(info["curity_admin_username"], info["curity_admin_password"]),
                       headers={"Accept": "application/yang-data+json"}, timeout=30)
    resp.raise_for_status()
    return resp.json()


def first_item(body, *names):
    """The first entry of the list at ``names`` in an answer (member names without their module prefix)."""
    node = body
    for name in names:
        node = next(value for key, value in node.items() if key.rpartition(":")[2] == name)
    return node[0]


def role_mutations(info):
    """(what, fault, words the failure names): answers of the wrong type at the role's reads, one at a time."""
    providers = konnect_page(info, "/v2/dcr-providers")
    del providers["data"][0]["name"]
    scopes = curity_body(info, "/scopes")
    first_item(scopes, "scopes", "scope")["id"] = ["demo-api"]
    return [
        ("a DCR provider without name", dict(service="konnect", method="GET", path_regex="^/v2/dcr-providers$",
                                             body=providers), ("DCR provider", "name is missing")),
        ("a scope whose key is a list", dict(service="curity-admin", method="GET", path_regex="/scopes$", body=scopes),
         ("a list for id",)),
        ("the DCR client echoed", dict(service="curity-admin", method="GET", path_regex="/client=konnect-dcr$", echo=True),
         ("without client",)),
        ("the applications echoed", dict(service="portal", method="GET", path_regex="^/api/v3/applications$", echo=True),
         ("/api/v3/applications", "not a list page")),
    ]


def role_secrets(sandbox, output_dir):
    info = sandbox.info
    found = [info["konnect_token"], info["curity_admin_password"], info["developer_password"]]
    path = os.path.join(output_dir, "demo-app.credentials.json")
    with open(path, encoding="utf-8") as handle:
        record = json.load(handle)
    pair = "%s:%s" % (record["client_id"], record["client_secret"])
    return found + [record["client_secret"], base64.b64encode(pair.encode()).decode()]


def test_the_role_fails_clearly_on_answers_of_the_wrong_type(play, sandbox):
    """After a converged run, each wrongly typed answer fails the role's plan (and its dry run) in one sentence that
    names the field, with no traceback, no secret (at -vvv) and nothing written anywhere."""
    rc, output = play()
    assert rc == 0, output[-6000:]
    secrets = role_secrets(sandbox, os.path.dirname(sandbox.info_file))
    for check, (what, fault, words) in zip((False, True) * 2, role_mutations(sandbox.info)):
        sandbox.clear_faults()
        sandbox.clear_requests()
        sandbox.fault(count=50, **fault)
        rc, output = play(check=check, diff=True, verbosity=3)
        assert rc != 0, (what, output[-4000:])
        assert "Traceback" not in output, (what, output[-6000:])
        for word in words:
            assert word in output, (what, word, output[-4000:])
        for secret in secrets:
            assert secret not in output, "%s: a secret is in the output" % what
        harmless = ("/developer/authenticate", "/verify", "/oauth-token")
        writes = [(e["service"], e["method"], e["path"]) for e in sandbox.writes()
                  if e["service"] != "gateway" and not e["path"].endswith(harmless)]
        assert writes == [], (what, writes)
