# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration test harness: the sandbox as a process, and the collection run for real.

* ``Sandbox`` starts ``tests/sandbox/serve`` and speaks its control API (request log, faults,
  reset).
* ``CollectionRunner`` runs a module exactly as Ansible would on localhost (the module file
  executed with its arguments in a file) or a whole playbook with ``ansible-playbook``; the
  collection is found through a private ``ansible_collections`` folder that links to this
  checkout, so tests always run the code as it is in the working tree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import requests

from konnect_operations import module_requests, operation_of

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVE = os.path.join(REPO, "tests", "sandbox", "serve")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def deprecations(output):
    """The deprecation warnings in the output of an Ansible run: Ansible's own (whatever they name, since a call the
    collection makes can be what ansible-core deprecates), and Python's raised in the collection's code."""
    lines = output.splitlines()
    return ([line for line in lines if "[DEPRECATION WARNING]" in line]
            + [line for line in lines if "DeprecationWarning" in line
               and ("ansible_collections/devportal/dcr/" in line or REPO + os.sep in line)])


def spec_dir():
    """Kong's OpenAPI files, or None (tests that need them skip with a message)."""
    for candidate in (os.environ.get("KONNECT_SPECS_DIR"), os.path.join(REPO, "..", "shared", "specs", "konnect")):
        if candidate and os.path.isdir(candidate):
            return os.path.abspath(candidate)
    return None


class Sandbox:
    """A running sandbox process and its control API."""

    def __init__(self, tls=False, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="dcr-it-")
        self.info_file = os.path.join(self.workdir, "sandbox%s.json" % ("-tls" if tls else ""))
        args = [sys.executable, SERVE, "--info-file", self.info_file]
        if tls:
            args.append("--tls")
        # The log file and the process live until stop(), so no context managers here.
        self._log = open(os.path.join(self.workdir, "sandbox.log"), "wb")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        self.info = self._wait_for_info()
        self.control = requests.Session()
        self.control.trust_env = False
        if self.info.get("ca_path"):
            self.control.verify = self.info["ca_path"]

    def _wait_for_info(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sandbox exited early:\n" + self.log_text())
            if os.path.exists(self.info_file):
                with open(self.info_file, encoding="utf-8") as handle:
                    return json.load(handle)
            time.sleep(0.05)
        raise RuntimeError("sandbox did not start in %ss:\n%s" % (timeout, self.log_text()))

    def log_text(self):
        self._log.flush()
        with open(os.path.join(self.workdir, "sandbox.log"), encoding="utf-8", errors="replace") as handle:
            return handle.read()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()

    # -- control API --------------------------------------------------------
    def _control(self, method, path, **kwargs):
        resp = self.control.request(method, self.info["control_url"] + path, timeout=30, **kwargs)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def reset(self):
        """Back to the seed, with an empty request log, no faults and no recorded violations."""
        self._control("POST", "/reset")
        self._control("DELETE", "/faults")
        self._control("DELETE", "/violations")
        self.clear_requests()

    def clear_requests(self):
        self._control("DELETE", "/requests")

    def requests(self, service=None, methods=None):
        entries = self._control("GET", "/requests")
        return [e for e in entries
                if (service is None or e["service"] == service) and (methods is None or e["method"] in methods)]

    def writes(self, service=None):
        return self.requests(service, WRITE_METHODS)

    def fault(self, **fault):
        self._control("POST", "/faults", json=fault)

    def clear_faults(self):
        self._control("DELETE", "/faults")

    def violations(self):
        return self._control("GET", "/violations")

    def gateway_delays(self, config_delay_s=0, credential_cache_s=0):
        """What reaches the gateway and when: Konnect's configuration push delay and the credential cache
        (``tests/sandbox/gateway_push.py``); both off after each reset."""
        return self._control("PUT", "/gateway", json={"config_delay_s": config_delay_s,
                                                      "credential_cache_s": credential_cache_s})

    def konnect_problems(self):
        """What is wrong with the Konnect traffic since the last reset (empty when all is well).

        Every request and response that does not match Kong's OpenAPI files (when the sandbox has them),
        and every request a module sent that ``konnect_operations.MODULE_OPERATIONS`` does not list.
        """
        problems = []
        if self.info.get("spec_dir"):
            problems += ["%(service)s %(kind)s %(method)s %(path)s: %(detail)s" % v for v in self.violations()]
        problems += ["%s %s: a module sent it, konnect_operations.MODULE_OPERATIONS does not list it" % request
                     for request in sorted({(e["method"], e["path"]) for e in module_requests(self.requests())
                                            if operation_of(e["method"], e["path"]) is None})]
        return problems


class CollectionRunner:
    """Runs the collection's modules and playbooks against a sandbox."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.collections = os.path.join(workdir, "collections")
        link = os.path.join(self.collections, "ansible_collections", "devportal", "dcr")
        if not os.path.exists(link):
            os.makedirs(os.path.dirname(link))
            os.symlink(REPO, link)

    def env(self, extra=None):
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "ansible-tmp"),
            "ANSIBLE_HOME": os.path.join(self.workdir, "ansible-home"),
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PYTHONPATH": self.collections,
        })
        env.update(extra or {})
        return env

    def module(self, name, args, check=False, diff=False, env=None, limits=None):
        """Run one module as Ansible does on localhost; return (result dict, stdout+stderr text).

        ``limits``: {resource.RLIMIT_*: bytes} for the process (a test of what could exhaust the machine)."""
        payload = dict(args)
        payload.update({"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_verbosity": 0,
                        "_ansible_no_log": False, "_ansible_debug": False})
        fd, path = tempfile.mkstemp(dir=self.workdir, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
        proc = subprocess.run([sys.executable, "-m", "ansible_collections.devportal.dcr.plugins.modules." + name, path],
                              capture_output=True, text=True, env=self.env(env), cwd=self.workdir, timeout=600,
                              check=False, preexec_fn=_limited(limits))
        os.unlink(path)
        text = proc.stdout + proc.stderr
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            result = {"failed": True, "msg": "module output was not JSON", "rc": proc.returncode}
        # No supported ansible-core deprecates anything the collection does.
        assert not (isinstance(result, dict) and result.get("deprecations")), result.get("deprecations")
        assert deprecations(text) == [], text[-6000:]
        return result, text

    def playbook(self, playbook, extra_vars=None, check=False, diff=False, verbosity=0, inventory=None,
                 env=None, tags=None, limits=None):
        """Run ansible-playbook; return (returncode, combined output).  ``limits``: as for ``module``."""
        args = self._playbook_args(playbook, extra_vars, check, diff, verbosity, inventory, tags)
        proc = subprocess.run(args, capture_output=True, text=True, env=self.env(env), cwd=REPO, timeout=1200,
                              check=False, preexec_fn=_limited(limits))
        output = proc.stdout + proc.stderr
        # No supported ansible-core deprecates anything the collection, its role or its playbooks do.
        assert deprecations(output) == [], output[-6000:]
        return proc.returncode, output

    def playbook_timed(self, playbook, extra_vars=None, check=False, diff=False, verbosity=0, inventory=None,
                       env=None, tags=None):
        """Run ansible-playbook; return (returncode, [(seconds since the start, line)] of its output, stdout and
        stderr together, each line stamped when it arrived): what a user watching the run sees, and when."""
        args = self._playbook_args(playbook, extra_vars, check, diff, verbosity, inventory, tags)
        began = time.monotonic()
        lines = []
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env(env),
                              cwd=REPO, bufsize=1) as proc:
            for line in proc.stdout:
                lines.append((time.monotonic() - began, line.rstrip("\n")))
            rc = proc.wait(timeout=1200)
        assert deprecations("\n".join(line for dummy, line in lines)) == []
        return rc, lines

    def _playbook_args(self, playbook, extra_vars, check, diff, verbosity, inventory, tags):
        args = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook,
                "-i", inventory or "localhost,", "-c", "local"]
        if extra_vars:
            fd, path = tempfile.mkstemp(dir=self.workdir, suffix=".json")
            with os.fdopen(fd, "w") as handle:
                json.dump(extra_vars, handle)
            args += ["-e", "@" + path]
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        if tags:
            args += ["--tags", tags]
        if verbosity:
            args.append("-" + "v" * verbosity)
        return args


def _limited(limits):
    """A preexec_fn setting the resource limits ``limits`` ({resource.RLIMIT_*: value}), or None."""
    if not limits:
        return None

    def apply():
        import resource  # pylint: disable=import-outside-toplevel

        for which, value in limits.items():
            resource.setrlimit(which, (value, value))

    return apply
