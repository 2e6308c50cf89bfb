# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault matrix: every module's reads and writes under 429, 502, 503, reset connections and slow answers.

Faults come from the sandbox's control API and hit kinds of requests of the module under
test (the modules before it in the chain run without faults).  What must hold:

* a read and an idempotent write that each fail once are sent again, the module succeeds
  (each retry reported as a warning), a re-run changes nothing, and the setup is as desired;
* when every attempt fails, the module fails with one readable line that names the failure,
  without a Python traceback, after several attempts, and writes nothing after a failed read;
  a re-run then converges;
* a POST is never sent twice: the module fails (or recovers without a second create), a
  re-run converges, and exactly one Curity client, DCR provider, auth strategy and
  application exist.
"""

from __future__ import annotations

import re
import time

import pytest

from reliability_helpers import (
    TRACEBACK,
    Desired,
    Probe,
    assert_converged,
    chain_steps,
    describe,
    failures,
    read_credentials,
    run_chain,
    state_writes,
    wait_for_request,
    warning_texts,
)

AS = r"/settings/profile-oauth:authorization-server"
# (service, method, path regex) of kinds of requests of each module.
TARGETS = {
    "curity_claim": {"read": ("curity-admin", "GET", AS + "/claims$"), "write": ("curity-admin", "PATCH", AS + "/claims$")},
    "curity_scope": {"read": ("curity-admin", "GET", AS + "/scopes$"), "write": ("curity-admin", "PATCH", AS + "/scopes$")},
    # the first read of the DCR credential step is its client; its first write one PATCH of the datastore (the DCR
    # endpoint and its deployment on a service role in one transaction with the rest)
    "curity_token": {"read": ("curity-admin", "GET", AS + "/client-store/config-backed/client=[^/]+$"),
                     "write": ("curity-admin", "PATCH", r"/restconf/data$")},
    "konnect_portal_dcr": {"read": ("konnect", "GET", r"^/v2/dcr-providers$"),
                           "write": ("konnect", "PATCH", r"^/v3/portals/[^/]+$"),
                           "post": ("konnect", "POST", r"^/v2/dcr-providers$"),
                           "post2": ("konnect", "POST", r"^/v2/application-auth-strategies$")},
    "portal_application": {"read": ("portal", "GET", r"^/api/v3/applications$"),
                           "write": ("konnect", "PATCH", r"/applications/[^/]+/registrations/[^/]+$"),
                           "post": ("portal", "POST", r"^/api/v3/applications$")},
}
MODULES = list(TARGETS)
SLOW_TIMEOUT = 2
FAULTS = {
    "429": dict(status=429, retry_after=1),
    "502": dict(status=502),
    "503": dict(status=503, retry_after=1),
    "reset": dict(reset_connection=True),
    "slow": dict(delay_s=SLOW_TIMEOUT + 1.5),
}
# Words the failure message must contain for each fault (one of them).
MESSAGE = {
    "429": ("429",),
    "502": ("502",),
    "503": ("503",),
    "reset": ("reset", "aborted", "disconnected", "closed connection", "connection"),
    "slow": ("timed out", "timeout"),
}


def matches(target):
    service, method, regex = target
    pattern = re.compile(regex)
    return lambda e: e["service"] == service and e["method"] == method and bool(pattern.search(e["path"]))


def take_log(sandbox):
    """The request log so far, then an empty log."""
    entries = sandbox.requests()
    sandbox.clear_requests()
    return entries


def prepare(sandbox, runner, tmp_path, module, fault, timeout=SLOW_TIMEOUT):
    """Run the chain up to ``module`` without faults; return (desired, module step, log so far)."""
    desired = Desired(sandbox.info, str(tmp_path), tag="flt")
    overrides = {module: {"timeout": timeout}} if fault == "slow" else {}
    steps = chain_steps(desired, overrides)
    index = [step[0] for step in steps].index(module)
    done = run_chain(runner, steps[:index])
    assert not failures(done), failures(done)
    return desired, steps[index], take_log(sandbox)


def inject(sandbox, target, fault, count):
    service, method, regex = target
    sandbox.fault(service=service, method=method, path_regex=regex, count=count, **FAULTS[fault])


def wait_for_delayed(sandbox, target, fault):
    """A slow fault answers late: wait until the server has finished the delayed requests.

    A module gives up at its deadline while the server still holds its later attempts; each
    is logged when its delay ends, at most one delay after the first one.
    """
    if fault == "slow":
        hit = matches(target)
        wait_for_request(sandbox, lambda e: e.get("fault") and hit(e))
        time.sleep(FAULTS["slow"]["delay_s"])


def rerun_converges(sandbox, runner, desired, step, earlier_log, expect_change):
    """Run the module again without faults; it succeeds and the setup is as desired.

    ``earlier_log``: the requests of the scenario before this point (the log is empty now).
    """
    sandbox.clear_faults()
    result, text = runner.module(*step)
    assert not result.get("failed"), result.get("msg")
    assert TRACEBACK not in text
    log = take_log(sandbox)
    if not expect_change:
        assert result.get("changed") is False
        assert state_writes(log) == [], describe(state_writes(log))
    assert_converged(sandbox, desired, earlier_log + log, through=step[0])
    return result


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("module", MODULES)
def test_reads_and_idempotent_writes_recover(sandbox, runner, tmp_path, module, fault):
    desired, step, setup_log = prepare(sandbox, runner, tmp_path, module, fault)
    read, write = TARGETS[module]["read"], TARGETS[module]["write"]
    inject(sandbox, read, fault, count=1)
    inject(sandbox, write, fault, count=1)

    result, text = runner.module(*step)

    assert not result.get("failed"), result.get("msg")
    assert result.get("changed") is True
    assert TRACEBACK not in text
    wait_for_delayed(sandbox, read, fault)
    wait_for_delayed(sandbox, write, fault)
    log = take_log(sandbox)
    for target in (read, write):
        sent = [e for e in log if matches(target)(e)]
        assert len([e for e in sent if e.get("fault")]) == 1, describe(sent)
        assert len([e for e in sent if not e.get("fault")]) >= 1, describe(sent)
        assert any("Retrying %s" % target[1] in w for w in warning_texts(result)), warning_texts(result)
    rerun_converges(sandbox, runner, desired, step, setup_log + log, expect_change=False)


# Every module's reads, and a write, until the retries run out (503 with Retry-After: 1 s keeps it
# short); the other faults once each, with the back-off of status codes without Retry-After
# covered by the reset connection (same back-off) and the time-out by the slow answer.
EXHAUSTED = ([(module, "read", "503") for module in MODULES]
             + [("curity_claim", "read", fault) for fault in ("429", "reset", "slow")]
             + [("konnect_portal_dcr", "write", "503")])


@pytest.mark.parametrize("module,op,fault", EXHAUSTED)
def test_exhausted_retries_fail_clearly(sandbox, runner, tmp_path, module, op, fault):
    desired, step, setup_log = prepare(sandbox, runner, tmp_path, module, fault, timeout=1)
    target = TARGETS[module][op]
    inject(sandbox, target, fault, count=100)

    result, text = runner.module(*step)

    assert result.get("failed") is True
    msg = result.get("msg", "")
    assert TRACEBACK not in text
    assert any(word in msg.lower() for word in MESSAGE[fault]), msg
    assert target[1] in msg, msg
    assert "\n" not in msg.strip(), msg
    for value in desired.secrets().values():
        assert value not in text
    wait_for_delayed(sandbox, target, fault)
    log = take_log(sandbox)
    attempts = [e for e in log if matches(target)(e)]
    assert len(attempts) >= 3, describe(attempts)
    assert all(e.get("fault") for e in attempts), describe(attempts)
    if op == "read":
        assert state_writes(log) == [], describe(state_writes(log))
    rerun_converges(sandbox, runner, desired, step, setup_log + log, expect_change=True)


# Every fault on the DCR provider's POST; on the other creates, one answered fault (the others are
# answered before the server does anything, like it), a reset connection and a lost answer.
POSTS = ([("konnect_portal_dcr", "post", fault) for fault in FAULTS]
         + [("konnect_portal_dcr", "post2", fault) for fault in ("reset", "slow")]
         + [("portal_application", "post", fault) for fault in ("503", "reset", "slow")])


@pytest.mark.parametrize("module,op,fault", POSTS)
def test_post_is_never_duplicated(sandbox, runner, tmp_path, module, op, fault):
    desired, step, setup_log = prepare(sandbox, runner, tmp_path, module, fault)
    target = TARGETS[module][op]
    inject(sandbox, target, fault, count=1)

    result, text = runner.module(*step)

    assert TRACEBACK not in text
    wait_for_delayed(sandbox, target, fault)
    log = take_log(sandbox)
    posts = [e for e in log if matches(target)(e)]
    if result.get("failed"):
        # Not sent again: the first attempt may have reached the server.
        assert len(posts) == 1, describe(posts)
        assert any(word in result["msg"].lower() for word in MESSAGE[fault]), result["msg"]
    else:
        # Recovered: exactly one attempt was served (a faulted one is not, except a slow one).
        served = [e for e in posts if not e.get("fault") or fault == "slow"]
        assert len(served) == 1, describe(posts)

    again = rerun_converges if not (module == "portal_application" and fault == "slow") else None
    if again is not None:
        again(sandbox, runner, desired, step, setup_log + log, expect_change=bool(result.get("failed")))
        return
    # Konnect created the application, but its answer (the only copy of the secret) was lost:
    # the re-run finds the application, cannot know its secret, and regenerating gives one.
    sandbox.clear_faults()
    rerun = runner.module(*step)[0]
    assert not rerun.get("failed"), rerun.get("msg")
    assert rerun.get("client_secret") is None
    log += take_log(sandbox)
    name, args = step
    rerun_converges(sandbox, runner, desired, (name, dict(args, regenerate_secret=True)), setup_log + log,
                    expect_change=True)


# Answers no client expects: unusable Retry-After values, pages whose numbers are strings, arrays where
# objects belong, answers that trickle in.  Each must end in one clear sentence, without a traceback,
# within the module's timeout (2 s here: a request ends within four timeouts, retries included).
FAR_FUTURE = "Fri, 31 Dec 10000 23:59:59 GMT"
ODD = {
    "dcr-page-total-string": ("konnect_portal_dcr", ("konnect", "GET", r"^/v2/dcr-providers$"),
                              dict(body={"data": [], "meta": {"page": {"number": 1, "size": 100, "total": "0"}}}),
                              ("not a list page", "/v2/dcr-providers")),
    "dcr-array-for-object": ("konnect_portal_dcr", ("konnect", "GET", r"^/v3/portals$"), dict(body=[{"id": "x"}]),
                             ("JSON array", "/v3/portals")),
    "dcr-retry-after-year-10000": ("konnect_portal_dcr", TARGETS["konnect_portal_dcr"]["read"],
                                   dict(status=429, retry_after=FAR_FUTURE), ("429",)),
    "token-retry-after-5000-digits": ("curity_token", TARGETS["curity_token"]["read"],
                                      dict(status=503, retry_after="9" * 5000), ("503",)),
    "claim-array-for-object": ("curity_claim", TARGETS["curity_claim"]["read"], dict(body=["claims"]),
                               ("authorization-server",)),
    "app-trickled-read": ("portal_application", TARGETS["portal_application"]["read"], dict(trickle_s=0.5),
                          ("timed out",)),
    "token-trickled-read": ("curity_token", TARGETS["curity_token"]["read"], dict(trickle_s=0.2), ("timed out",)),
    # Larger than the transport reads of one answer (32 MiB): refused, never read whole.
    "claim-huge-read": ("curity_claim", TARGETS["curity_claim"]["read"], dict(body_bytes=40 * 1024 * 1024),
                        ("32 MiB", "GET")),
    "dcr-huge-read": ("konnect_portal_dcr", TARGETS["konnect_portal_dcr"]["read"], dict(body_bytes=40 * 1024 * 1024),
                      ("32 MiB", "/v2/dcr-providers")),
}


@pytest.mark.parametrize("case", list(ODD))
def test_odd_answers_fail_clearly(sandbox, runner, tmp_path, case):
    module, target, fault, words = ODD[case]
    desired, step, setup_log = prepare(sandbox, runner, tmp_path, module, "slow", timeout=SLOW_TIMEOUT)
    service, method, regex = target
    sandbox.fault(service=service, method=method, path_regex=regex, count=100, **fault)

    started = time.monotonic()
    result, text = runner.module(*step)
    elapsed = time.monotonic() - started

    assert result.get("failed") is True, result
    assert TRACEBACK not in text
    msg = result.get("msg", "")
    assert "\n" not in msg.strip() and all(word in msg for word in words), msg
    for value in desired.secrets().values():
        assert value not in text
    assert elapsed < 4 * SLOW_TIMEOUT + 10, elapsed
    sandbox.clear_faults()
    wait_for_delayed(sandbox, target, "slow" if fault.get("trickle_s") else "none")
    rerun_converges(sandbox, runner, desired, step, setup_log + take_log(sandbox), expect_change=True)


# After Konnect issued the application's secret, a later answer is odd: the secret must reach the
# result and the credentials file all the same, and work.
AFTER_SECRET = {
    "registration-answer-is-an-array": (("portal", "POST", r"^/api/v3/applications/[^/]+/registrations$"),
                                        dict(status=201, body=[])),
    "approval-retry-after-year-10000": (TARGETS["portal_application"]["write"], dict(status=429, retry_after=FAR_FUTURE)),
    "approval-trickles": (TARGETS["portal_application"]["write"], dict(trickle_s=0.5)),
}


@pytest.mark.parametrize("case", list(AFTER_SECRET))
def test_a_secret_issued_before_an_odd_answer_is_kept(sandbox, runner, tmp_path, case):
    target, fault = AFTER_SECRET[case]
    desired, step, dummy = prepare(sandbox, runner, tmp_path, "portal_application", "slow", timeout=SLOW_TIMEOUT)
    service, method, regex = target
    sandbox.fault(service=service, method=method, path_regex=regex, count=100, **fault)

    result, text = runner.module(*step)

    assert result.get("failed") is True, result
    assert TRACEBACK not in text
    assert "client_secret" in result.get("msg", "") and "\n" not in result["msg"].strip(), result.get("msg")
    assert result.get("changed") is True
    secret = result.get("client_secret")
    assert secret, result
    stored = read_credentials(desired.credentials_file)
    assert stored["client_secret"] == secret and stored["client_id"] == result["client_id"]
    sandbox.clear_faults()
    assert Probe(sandbox.info).token_status(stored["client_id"], secret) == 200
