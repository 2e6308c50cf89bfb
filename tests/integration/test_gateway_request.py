# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request through the gateway (dcr_setup's ``request``, the role's verify phase), at the HTTP boundary.

It goes through the collection's one transport: each attempt within its timeout as a whole, the application's
credentials never replaced by a ``.netrc`` entry, no redirect followed, and its outcome is the status, never the body
of an answer, which may echo the credentials (as httpbin, the upstream of Kong's quickstarts, does: the sandbox's
``echo`` fault).  A password in the URL is refused before anything is sent.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from urllib.parse import quote

import pytest

from reliability_helpers import TRACEBACK

REQUEST = re.compile(r'"Request through the gateway: Gateway answered (\d+) to GET [^"]* for application demo-app '
                     r'\(client id [^)]+\): ')
# The outcome's last words: the status's reason phrase, nothing of the answer's body.
OUTCOME = re.compile(r'"Request through the gateway: Gateway answered 200 to GET [^"]*\): OK"')
# The application's phase and the request only: the rest of the setup is done once per test.
VERIFY = "application,verify"


def converge(play, sandbox):
    rc, output = play()
    assert rc == 0 and REQUEST.findall(output) == ["200"], output[-4000:]
    path = os.path.join(os.path.dirname(sandbox.info_file), "demo-app.credentials.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def secret_forms(client_id, secret):
    """The application's secret as it is, URL-encoded, and inside HTTP Basic credentials (base64 of id:secret)."""
    return {"client secret": secret, "client secret (URL-encoded)": quote(secret, safe=""),
            "HTTP Basic credentials": base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()}


def assert_no_secret(output, forms):
    shown = [what for what, value in forms.items() if value in output]
    assert not shown, "printed: %s" % ", ".join(shown)


def route(sandbox):
    return re.escape(sandbox.info["route_path"])


def test_an_echoing_upstream_shows_no_credential_in_the_outcome(play, sandbox):
    credentials = converge(play, sandbox)
    forms = secret_forms(credentials["client_id"], credentials["client_secret"])
    # The upstream answers with the request, its Authorization header included: a success ...
    sandbox.fault(service="gateway", path_regex=route(sandbox), echo=True, count=10)
    rc, output = play(tags=VERIFY, verbosity=4)
    assert_no_secret(output, forms)
    assert rc == 0 and REQUEST.findall(output) == ["200"], output[-4000:]
    assert '"Authorization' not in output and "headers" not in output  # nothing of the answer's body
    assert len(OUTCOME.findall(output)) == 1, output[-4000:]
    # ... and a refusal: the failure says what the gateway answered, not what its body holds.
    sandbox.clear_faults()
    sandbox.fault(service="gateway", path_regex=route(sandbox), echo=True, status=401, count=10)
    rc, output = play(tags=VERIFY, verbosity=4, extra_vars={"dcr_curity_request_retries": 1})
    assert_no_secret(output, forms)
    assert rc != 0 and "The gateway answered 401 Unauthorized to GET" in output, output[-4000:]
    assert "(2 attempts)" in output and TRACEBACK not in output
    assert '"Authorization' not in output and "headers" not in output


def test_each_attempt_ends_within_the_timeout_whatever_the_server_trickles(play, sandbox):
    converge(play, sandbox)
    # The gateway's answer (about 200 bytes) one byte every 0.5 s: a reader bounded per read only waits ~100 s.
    sandbox.fault(service="gateway", path_regex=route(sandbox), trickle_s=0.5, count=10)
    sandbox.clear_requests()
    started = time.monotonic()
    rc, output = play(tags=VERIFY, extra_vars={"dcr_curity_request_retries": 0, "dcr_curity_request_timeout": 2})
    elapsed = time.monotonic() - started
    assert rc != 0 and "No answer from the gateway to GET" in output and "timed out" in output, output[-4000:]
    assert "timeout: 2 seconds" in output and TRACEBACK not in output
    assert elapsed < 30, elapsed  # the plan of the application, then one attempt of at most 2 s
    assert len(sandbox.requests("gateway")) == 1


def test_a_netrc_entry_does_not_replace_the_application_credentials(play, sandbox, tmp_path):
    converge(play, sandbox)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1\n  login netrc-user\n  password Netrc-Password-Not-The-App\n")
    netrc.chmod(0o600)
    sandbox.clear_requests()
    rc, output = play(tags=VERIFY, env={"NETRC": str(netrc)}, extra_vars={"dcr_curity_request_retries": 0})
    # The gateway lets only the application's own client credentials through.
    assert rc == 0 and REQUEST.findall(output) == ["200"], output[-4000:]
    assert [e["status"] for e in sandbox.requests("gateway")] == [200]


@pytest.mark.parametrize("password", ["Url-Secret-8d1f", "Url p@ss/w:rd-8d1f"])
def test_a_password_in_the_request_url_is_refused_and_never_shown(play, sandbox, password):
    info = sandbox.info
    url = info["gateway_url"].replace("://", "://verifier:%s@" % quote(password, safe="")) + info["route_path"]
    sandbox.clear_requests()
    rc, output = play(verbosity=4, extra_vars={"dcr_curity_request_url": url})
    assert rc != 0 and "dcr_curity_request_url must be an http:// or https:// URL with a host, without a user name or " \
                       "password" in output, output[-4000:]
    for form in (password, quote(password, safe=""), quote(password)):
        assert form not in output
    assert sandbox.requests() == []


DIRECT = """---
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - devportal.dcr.dcr_setup:
        phases: [verify]
        request:
          url: "%s"
"""


@pytest.mark.parametrize("password", ["Url-Secret-8d1f", "Url p@ss/w:rd-8d1f"])
def test_dcr_setup_refuses_a_password_in_the_request_url_before_anything(runner, sandbox, tmp_path, password):
    info = sandbox.info
    url = info["gateway_url"].replace("://", "://verifier:%s@" % quote(password, safe="")) + info["route_path"]
    playbook = tmp_path / "direct.yml"
    playbook.write_text(DIRECT % url)
    sandbox.clear_requests()
    rc, output = runner.playbook(str(playbook), verbosity=4)
    assert rc != 0 and "request.url must not hold a user name or password" in output, output[-4000:]
    for form in (password, quote(password, safe=""), quote(password)):
        assert form not in output
    assert TRACEBACK not in output and sandbox.requests() == []


def test_a_redirect_location_with_a_password_is_shown_without_it(play, sandbox):
    converge(play, sandbox)
    # A password holding '@' (a server may send it unencoded): no part of it may remain.
    location = "http://collector:Loc-Secret@Part-2d9c@127.0.0.1:9/collect"
    sandbox.fault(service="gateway", path_regex=route(sandbox), status=302, headers={"Location": location}, count=10)
    rc, output = play(tags=VERIFY, verbosity=4)
    assert rc != 0 and "a redirect to http://127.0.0.1:9/collect: not followed" in output, output[-4000:]
    assert "Loc-Secret" not in output and "Part-2d9c" not in output
