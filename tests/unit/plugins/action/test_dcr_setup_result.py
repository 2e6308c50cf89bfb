# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dcr_setup's result is its last resort: built from whatever the steps hold, it never raises and never loses the
secrets a run received nor the record of what a teardown deleted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.devportal.dcr.plugins.action import dcr_setup
from ansible_collections.devportal.dcr.plugins.action.dcr_setup import Setup, Step, StepFailed
from ansible_collections.devportal.dcr.plugins.module_utils._setup import argument_spec


class FakeAction:
    """What Setup needs from the action plugin to build a result."""

    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.warnings = []
        self.executions = [("plan", "konnect_portal_dcr", 0.5, 0.1)]


def setup_of(state="present", check_mode=False, **params):
    validated = ArgumentSpecValidator(argument_spec()).validate(dict(params, state=state))
    assert not validated.error_messages, validated.error_messages
    return Setup(FakeAction(check_mode), validated.validated_parameters)


# Values a step's result may hold when a server answered something odd (the modules pass names and ids on).
ODD_VALUES = [None, 7, ["x", None], {"a": [None]}, [None], [{"name": None}], [[1, 2]], "", [""], True]


@pytest.mark.parametrize("odd", ODD_VALUES)
@pytest.mark.parametrize("check_mode", [True, False])
def test_a_teardown_keeps_the_record_of_what_it_deleted_whatever_the_names(odd, check_mode):
    setup = setup_of("absent", check_mode)
    dcr = setup.step("dcr", "konnect_portal_dcr", {"state": "absent"}, {})
    view = {"changed": True, "deleted_applications": [odd, "named-app"], "unpublished": odd,
            "published_without_auth": [odd], "provider_id": odd, "diff": {"before": {"x": odd}, "after": odd}}
    if check_mode:
        dcr.plan = view
    else:
        dcr.plan, dcr.result = {"changed": True}, view
    result = setup.outcome()
    assert result["steps"][0]["deleted_applications"] == [odd, "named-app"]
    line = result["summary"][0]
    assert line.startswith("Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): ")
    assert "applications deleted: " in line and "named-app" in line, line
    assert all(isinstance(text, str) for text in result["summary"])


def test_a_nameless_deleted_application_reads_as_one():
    setup = setup_of("absent")
    dcr = setup.step("dcr", "konnect_portal_dcr", {"state": "absent"}, {})
    dcr.plan = {"changed": True}
    dcr.result = {"changed": True, "deleted_applications": [None, "b"]}
    assert setup.outcome()["summary"][0].endswith("changed (applications deleted: (no name), b)")


@pytest.mark.parametrize("odd", ODD_VALUES)
def test_a_present_run_keeps_the_secrets_it_holds_whatever_the_steps_return(odd):
    setup = setup_of(applications=[{"name": "app"}], token={"client_id": "konnect-dcr"})
    setup.fresh = "Fresh-Dcr-Secret-0001"
    setup.token = setup.step("token", "curity_token", {}, {})
    setup.token.plan = {"changed": True, "diff": odd}
    setup.token.result = {"changed": True, "client_id": odd, "diff": {"before": odd, "after": odd}}
    app = setup.step("application", "portal_application", {"name": "app"}, {}, label="app")
    setup.apps.append(app)
    app.plan = {"changed": True, "pending": odd}
    app.result = {"changed": True, "client_id": odd, "registrations": odd, "client_secret": "App-Secret-0001",
                  "diff": odd}
    app.pending = odd
    request = Step("request", None, {})
    request.result = {"status": odd, "method": odd, "url": odd, "reason": odd, "msg": odd, "skipped": odd}
    setup.steps.append(request)
    for result in (setup.outcome(), setup.unexpected(TypeError("sequence item 0: expected str instance, NoneType "
                                                               "found"))):
        assert result["applications"]["app"]["client_secret"] == "App-Secret-0001"
        assert result["dcr_credential"]["client_secret"] == "Fresh-Dcr-Secret-0001"
        assert len(result["summary"]) == 3 and all(isinstance(text, str) for text in result["summary"])


def test_an_unexpected_error_is_one_sentence_without_the_secrets_it_may_quote():
    setup = setup_of(applications=[{"name": "app"}], curity={"admin_password": "Admin-Pass-0001"},
                     token={"client_id": "konnect-dcr", "secret": "Given-Dcr-Secret-0001"})
    app = setup.step("application", "portal_application", {"name": "app"}, {}, label="app")
    setup.apps.append(app)
    app.plan, app.result = {"changed": True}, {"changed": True, "client_id": "c1", "client_secret": "App-Secret/0001"}
    error = ValueError("bad answer near Admin-Pass-0001, Given-Dcr-Secret-0001, App-Secret%2F0001 and "
                       "OkFwcC1TZWNyZXQvMDAwMQ==")
    result = setup.unexpected(error)
    assert result["failed"] is True and result["msg"].startswith("devportal.dcr.dcr_setup stopped on an unexpected "
                                                                 "error (ValueError: bad answer near ")
    for secret in ("Admin-Pass-0001", "Given-Dcr-Secret-0001", "App-Secret%2F0001", "OkFwcC1TZWNyZXQvMDAwMQ=="):
        assert secret not in result["msg"]
    assert result["applications"]["app"]["client_secret"] == "App-Secret/0001"


def test_an_error_whose_text_cannot_be_read_still_gives_a_result():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no text")

    setup = setup_of()
    result = setup.unexpected(Unprintable())
    assert result["failed"] is True and "Unprintable" in result["msg"]


def test_a_failed_step_with_odd_data_still_gives_the_failure_and_the_secrets():
    setup = setup_of(applications=[{"name": "app"}])
    app = setup.step("application", "portal_application", {"name": "app"}, {}, label="app")
    setup.apps.append(app)
    app.plan = {"changed": True}
    failed = {"failed": True, "msg": "odd answer", "changed": True, "client_secret": "App-Secret-0002",
              "registrations": [None], "diff": ["not", "a", "dict"]}
    result = setup.failure(StepFailed(app, failed), planning=False)
    assert result["failed"] is True and result["msg"].startswith("Dev Portal application app (portal_application) "
                                                                 "failed: odd answer")
    assert result["applications"]["app"]["client_secret"] == "App-Secret-0002"


def test_text_of_never_raises():
    for value in ODD_VALUES + [object(), b"\xff", float("nan")]:
        assert isinstance(dcr_setup.text_of(value), str)


# ------------------------------------------------------------------------------ plans started ahead
class QueuedAction(FakeAction):
    """Plans started ahead wait in a queue until ``release``, as they do when every plan thread is busy."""

    def __init__(self):
        super(QueuedAction, self).__init__(check_mode=True)
        self.queued = []
        self.ran = []

    def start_plans(self):
        return True

    def plan_ahead(self, module, args, urgent=False):
        from concurrent.futures import Future

        future = Future()
        self.queued.append((future, module, args))
        return future

    def release(self):
        for future, module, args in self.queued:
            self.ran.append(dcr_setup.plan_key(module, args))  # what the module run is given, when it starts
            future.set_result({"changed": False})


def test_a_plan_started_ahead_runs_with_exactly_the_input_of_its_key():
    action = QueuedAction()
    setup = setup_of(token={"client_id": "konnect-dcr"})
    setup.action = action
    token = setup.step("token", "curity_token", {"client_id": "konnect-dcr", "state": "present"}, {})
    setup.start_ahead(token.module, token.args)
    # The planner then chooses a fresh secret for the DCR credential, in its step's arguments (plan_dcr does).
    token.args.update(secret="Fresh-Secret-0003", update_secret="always")
    action.release()
    keys = list(setup.ahead)
    assert len(keys) == 1 and action.ran == keys, "the plan ran with an input other than its key"
    assert "Fresh-Secret-0003" not in action.ran[0][1]


# ------------------------------------------------------------------------------ the credentials file of the request
class Connection:
    def __init__(self, transport, source=None):
        self.transport = transport
        self.source = source
        self.fetched = []

    def fetch_file(self, path, local):
        self.fetched.append(path)
        with open(self.source, "rb") as src, open(local, "wb") as dst:
            dst.write(src.read())


def reader(connection, stat=None):
    action = dcr_setup.ActionModule.__new__(dcr_setup.ActionModule)
    action._connection = connection
    action._vars = {}
    action._remote_expand_user = lambda path: path
    action._execute_remote_stat = lambda path, all_vars, follow, checksum=True: dict(stat or {}, follow=follow)
    return action


@pytest.mark.parametrize("stat, problem", [
    ({"exists": True, "islnk": True, "isreg": False, "size": 9}, "is a symbolic link"),
    ({"exists": True, "islnk": False, "isreg": False, "size": 0}, "is not a regular file"),
    ({"exists": True, "islnk": False, "isreg": True, "size": 10 ** 9}, "1000000000 bytes long"),
])
def test_over_another_connection_the_file_is_checked_before_it_is_fetched(stat, problem):
    connection = Connection("ssh")
    with pytest.raises(dcr_setup.KonnectError) as err:
        reader(connection, stat).read_credentials_file("/srv/app.json")
    assert problem in str(err.value) and connection.fetched == []


def test_over_another_connection_a_regular_file_is_fetched_and_read(tmp_path):
    source = tmp_path / "app.json"
    source.write_text('{"client_id": "c1", "client_secret": "s1"}')
    connection = Connection("ssh", str(source))
    stat = {"exists": True, "islnk": False, "isreg": True, "size": source.stat().st_size}
    assert reader(connection, stat).read_credentials_file("/srv/app.json") == {"client_id": "c1", "client_secret": "s1"}
    assert connection.fetched == ["/srv/app.json"]
    assert reader(Connection("ssh"), {"exists": False}).read_credentials_file("/srv/none.json") is None


def test_with_the_local_connection_a_link_is_refused_without_being_read(tmp_path):
    link = tmp_path / "app.json"
    link.symlink_to("/dev/zero")
    connection = Connection("local")
    with pytest.raises(dcr_setup.KonnectError) as err:
        reader(connection).read_credentials_file(str(link))
    assert "is a symbolic link" in str(err.value) and connection.fetched == []


# ------------------------------------------------------------------------------ the gateway request
class Gateway:
    """A local server answering the statuses given, in order, and recording what it receives."""

    def __init__(self, statuses):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        gateway = self
        self.statuses, self.seen = list(statuses), []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                gateway.seen.append((self.command, self.headers.get("Authorization")))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                body = b'{"headers": {"Authorization": "%s"}}' % self.headers.get("Authorization", "").encode()
                self.send_response(status)
                self.send_header("Location", "http://elsewhere.example/x")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/route" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def request_spec(url, **extra):
    spec = dict(url=url, method="GET", status_code=[200], retries=2, delay=0, validate_certs=True, ca_path=None,
                timeout=5)
    spec.update(extra)
    return spec


CREDENTIALS = {"client_id": "c1", "client_secret": "Client-Secret-0004"}


@pytest.fixture
def gateway_of():
    servers = []

    def start(*statuses):
        servers.append(Gateway(statuses))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_an_idempotent_request_is_tried_again_until_a_success(gateway_of):
    gateway = gateway_of(401, 503, 200)
    out = dcr_setup.gateway_request(request_spec(gateway.url), CREDENTIALS, "app")
    assert "failed" not in out and out["status"] == 200 and out["reason"] == "OK" and out["attempts"] == 3
    assert [auth for method, auth in gateway.seen] == ["Basic YzE6Q2xpZW50LVNlY3JldC0wMDA0"] * 3
    assert "content" not in out and "Client-Secret" not in repr(out)


def test_a_post_is_sent_once(gateway_of):
    gateway = gateway_of(401, 200)
    out = dcr_setup.gateway_request(request_spec(gateway.url, method="post"), CREDENTIALS, "app")
    assert out["failed"] is True and out["status"] == 401 and [m for m, a in gateway.seen] == ["POST"]
    assert out["msg"].startswith("The gateway answered 401 Unauthorized to POST %s" % gateway.url)
    assert "A POST is sent once" in out["msg"] and "YzE6" not in out["msg"]


def test_a_redirect_is_never_followed_but_may_be_the_success_expected(gateway_of):
    gateway = gateway_of(302, 302)
    out = dcr_setup.gateway_request(request_spec(gateway.url), CREDENTIALS, "app")
    assert out["failed"] is True and "a redirect to http://elsewhere.example/x: not followed" in out["msg"]
    out = dcr_setup.gateway_request(request_spec(gateway.url, status_code=[302]), CREDENTIALS, "app")
    assert "failed" not in out and out["status"] == 302 and len(gateway.seen) == 2


def test_no_answer_is_one_sentence():
    out = dcr_setup.gateway_request(request_spec("http://127.0.0.1:9/route", retries=1), CREDENTIALS, "app")
    assert out["failed"] is True and out["status"] is None and out["attempts"] == 2
    assert out["msg"].startswith("No answer from the gateway to GET http://127.0.0.1:9/route with the credentials of "
                                 "application app (client id c1) (2 attempts): ")


@pytest.mark.parametrize("url, problem", [
    ("https://u:p@gw.example.com/x", "must not hold a user name or password (https://gw.example.com/x)"),
    ("https://:p%40ss@gw.example.com", "must not hold a user name or password"),
    ("ftp://gw.example.com/x", "must be an http:// or https:// URL"),
    ("https:///x", "must be an http:// or https:// URL"),
    ("http://gw.example.com:99999/x", "is not a valid URL"),
])
def test_request_urls_that_are_refused(url, problem):
    found = dcr_setup.request_url_problem(url)
    assert found and problem in found and "p%40ss" not in found and ":p@" not in found


OPEN_CLASSIC = {"portal": "classic", "portal_id": "p2", "portal_api": "v2", "api_or_product": "orders", "version": "v1",
                "auth": "none", "auth_strategies": [], "gateway_service_id": "s1", "same_service_as": ["orders-api/v1"]}
OPEN_KEY_AUTH = {"portal": "partners", "portal_id": "p3", "portal_api": "v3", "api_or_product": "orders-api",
                 "version": None, "auth": "key-auth", "auth_strategies": ["key-auth"], "gateway_service_id": "s1",
                 "same_service_as": ["orders-api/v1"]}


@pytest.mark.parametrize("check_mode", [True, False])
def test_a_teardown_says_which_other_publications_keep_the_route_open(check_mode):
    setup = setup_of("absent", check_mode)
    dcr = setup.step("dcr", "konnect_portal_dcr", {"state": "absent"}, {})
    view = {"changed": True, "unpublished": ["orders-api/v1"], "open_publications": [OPEN_CLASSIC, OPEN_KEY_AUTH],
            "open_publications_unchecked": None}
    dcr.plan = view
    if not check_mode:
        dcr.result = view
    result = setup.outcome()
    assert result["summary"][1] == (
        "Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): The gateway route of orders-api/v1 stays "
        "open to anyone through classic portal 'classic', product version orders/v1 (no auth); and through portal "
        "'partners', API orders-api (auth: key-auth).")
    assert result["steps"][0]["open_publications"] == [OPEN_CLASSIC, OPEN_KEY_AUTH]


def test_a_teardown_says_what_it_could_not_check_and_nothing_when_nothing_is_open():
    setup = setup_of("absent")
    dcr = setup.step("dcr", "konnect_portal_dcr", {"state": "absent"}, {})
    dcr.plan = dcr.result = {"changed": True, "open_publications": [], "open_publications_unchecked": None}
    assert len(setup.outcome()["summary"]) == 1
    dcr.result = {"changed": True, "open_publications": [],
                  "open_publications_unchecked": "could not check other publications: on classic portals: HTTP 403"}
    assert setup.outcome()["summary"][1].endswith(": Could not check other publications: on classic portals: HTTP 403.")


@pytest.mark.parametrize("odd", ODD_VALUES)
def test_odd_open_publications_never_cost_the_summary(odd):
    setup = setup_of("absent")
    dcr = setup.step("dcr", "konnect_portal_dcr", {"state": "absent"}, {})
    dcr.plan = dcr.result = {"changed": True, "open_publications": odd, "open_publications_unchecked": odd}
    result = setup.outcome()
    assert result["summary"][0].startswith("Konnect DCR provider, auth strategy and portal (konnect_portal_dcr): ")
    assert all(isinstance(text, str) for text in result["summary"])
