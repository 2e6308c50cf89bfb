#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench: request counts and run times of the dcr_curity role on the sandbox.

A benchmark, not a test: it prints figures beside their targets and writes them to
build/bench/results.json; it asserts nothing.  A figure that misses its target is printed
with the reason the measurements show.

It runs the copy of the collection under build/ (``make tree``) against local sandboxes
(tests/sandbox/serve), with the playbooks of tests/bench:

* requests: for N = 10, 100 and 1000 claims and scopes, one converge (from the sandbox seed)
  and one no-op run with the bench_requests callback, which reads the sandbox request log
  before each task, so every request is attributed to the task (module) that sent it;
* floor: the role's no-op run against a playbook of as many ansible.builtin.debug tasks as
  the no-op run has tasks, alternated in one sequence of runs (median of 5 each);
* module floor: the no-op run against a playbook of its shape - as many ansible.builtin.ping
  tasks as it runs modules (devportal.dcr.dcr_setup reports its own) and as many debug tasks as
  it runs controller-side tasks - in the same alternated sequence; with a per-task profile.
  Both floors get the same extra variables as the role (the N claims and scopes): loading
  them is Ansible's cost of the user's input, the same for any playbook given it.  Every run
  gets the same inventory, whose hosts carry their sandbox's settings as values, as a user's
  inventory does (see ``inventory``);
* scale: converge time at N = 1000 over N = 10 (median of the converge runs, each from the seed);
* peer: tests/bench/uri_peer.yml (GET then PUT per claim and per scope with
  ansible.builtin.uri, and the rest of the configuration by hand) against the role at N = 100,
  alternated, each from the seed; its re-run against the role's no-op run as well;
* fleet: the role over 20 sandboxes as inventory hosts with 10 forks against one sandbox.

Only wall-clock times of whole ansible-playbook runs are compared, so Ansible's start-up is
in every figure.  Secrets never appear in the output: the sandbox's credentials and the
DCR credential's secret are masked in anything printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")
TREE = os.path.join(BUILD, "ansible_collections", "devportal", "dcr")
OUT = os.path.join(BUILD, "bench")


def use_build(folder):
    """Run the copy of the collection in ``folder`` (default build/) and write the results there."""
    global BUILD, TREE, OUT  # pylint: disable=global-statement
    BUILD = os.path.abspath(folder)
    TREE = os.path.join(BUILD, "ansible_collections", "devportal", "dcr")
    OUT = os.path.join(BUILD, "bench")


TARGETS = {
    "noop_independent_of_n": "no-op requests independent of N",
    "noop_over_floor": 1.3,
    "noop_over_module_floor": 1.3,
    "uri_peer_over_collection_n100": 20.0,
    "converge_1000_over_10": 2.0,
}
SECRET_KEYS = ("curity_admin_password", "konnect_token", "konnect_readonly_token", "developer_password")


class BenchError(Exception):
    """A run that failed: the figures it would give do not exist."""


class Secrets:
    """Every secret value the benchmark knows, masked in whatever it prints."""

    def __init__(self):
        self.values = set()

    def add(self, *values):
        self.values.update(v for v in values if isinstance(v, str) and len(v) >= 6)

    def mask(self, text):
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, "********")
        return text


SECRETS = Secrets()


def log(msg=""):
    print(SECRETS.mask(msg), flush=True)


# --------------------------------------------------------------------------------- sandboxes
def load_harness():
    """The integration harness of the tree copy (its Sandbox runs the copy's tests/sandbox/serve)."""
    sys.path.insert(0, os.path.join(TREE, "tests", "integration"))
    import harness  # pylint: disable=import-outside-toplevel,import-error

    return harness


class Env:
    """One sandbox environment: its process, its folder and its info file."""

    def __init__(self, harness, name):
        self.name = name
        self.dir = os.path.join(OUT, "envs", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.box = harness.Sandbox(workdir=self.dir)
        self.info_file = self.box.info_file
        SECRETS.add(*(self.box.info.get(k) for k in SECRET_KEYS))

    def reset(self):
        """Back to the seed, with no application credentials left over from a previous run."""
        self.box.reset()
        for name in os.listdir(self.dir):
            if name.endswith(".credentials.json") or ".credentials.json." in name:
                os.unlink(os.path.join(self.dir, name))

    def requests(self):
        return self.box.requests()

    def clear(self):
        self.box.clear_requests()

    def stop(self):
        self.box.stop()


def start_envs(harness, names):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda n: Env(harness, n), names))


# --------------------------------------------------------------------------------- playbooks
def inventory(name, envs):
    """An inventory folder: one host per environment and the sandbox inventory's group_vars.

    Each host carries its sandbox's settings as values (``dcr_sandbox``, read from the info file here), as a user's
    inventory carries its own: the sandbox inventory's ``dcr_sandbox`` is a lookup of the info file, which Ansible
    reads and parses again at every reference to a setting - the demo's convenience, not the collection's cost, and
    one that the floors, which reference no setting, would not pay."""
    folder = os.path.join(OUT, "inventories", name)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(os.path.join(TREE, "playbooks", "inventories", "sandbox", "group_vars"),
                    os.path.join(folder, "group_vars"))
    hosts = {}
    for env in envs:
        with open(env.info_file, encoding="utf-8") as handle:
            settings = json.load(handle)
        hosts[env.name] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                           "dcr_sandbox_info_file": env.info_file, "dcr_sandbox": settings}
    path = os.path.join(folder, "hosts.json")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        json.dump({"all": {"hosts": hosts}}, handle, indent=1)
    return folder


def floor_playbook(tasks):
    """The Ansible floor: ``tasks`` ansible.builtin.debug tasks on the same hosts."""
    path = os.path.join(OUT, "floor-%d.yml" % tasks)
    lines = ["---", "- name: Ansible floor, %d debug tasks" % tasks, "  hosts: all", "  connection: local",
             "  gather_facts: false", "  tasks:"]
    for number in range(1, tasks + 1):
        lines += ["    - name: Floor task %d" % number, "      ansible.builtin.debug:", "        msg: floor"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def module_floor_playbook(modules, controller):
    """Ansible's cost of the no-op run's shape: ``modules`` ansible.builtin.ping tasks (a trivial module each)
    and ``controller`` ansible.builtin.debug tasks (run inside the controller)."""
    path = os.path.join(OUT, "module-floor-%d-%d.yml" % (modules, controller))
    lines = ["---", "- name: Module floor, %d ping and %d debug tasks" % (modules, controller), "  hosts: all",
             "  connection: local", "  gather_facts: false", "  tasks:"]
    for number in range(1, modules + 1):
        lines += ["    - name: Module task %d" % number, "      ansible.builtin.ping:"]
    for number in range(1, controller + 1):
        lines += ["    - name: Controller task %d" % number, "      ansible.builtin.debug:", "        msg: floor"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run_shape(tasks):
    """(module executions, controller-side tasks) of a counted run: the module floor's shape."""
    ran = [t for t in tasks if t["status"] != "skipped"]
    modules = sum(t.get("module_executions") or 0 for t in ran)
    controller = len([t for t in ran if not t.get("module_executions")])
    return modules, controller


def profile(tasks):
    """Per-task seconds of a counted run, slowest first, with the module runs inside dcr_setup."""
    rows = []
    for task in sorted(tasks, key=lambda t: -t.get("seconds", 0.0)):
        rows.append("    %6.2f s  %-9s %s (%s)" % (task.get("seconds", 0.0), task["status"], task["name"], task["action"]))
        for timing in task.get("module_timings") or []:
            rows.append("             %6.2f s  %s %s" % (timing["seconds"], timing["pass"], timing["module"]))
    return rows


def config_vars(size, client_secret):
    """N claims and N scopes (each scope issues one claim), for the role and for the peer."""
    claims = [{"name": "bench_claim_%04d" % i, "description": "Benchmark claim %d" % i,
               "value_provider": "account-manager-claims-provider"} for i in range(size)]
    scopes = [{"name": "bench-scope-%04d" % i, "description": "Benchmark scope %d" % i,
               "claims": ["bench_claim_%04d" % i]} for i in range(size)]
    data = {"dcr_curity_claims": claims, "dcr_curity_scopes": scopes, "dcr_curity_client_secret": client_secret,
            "peer_claims": claims, "peer_scopes": scopes, "peer_client_secret": client_secret}
    path = os.path.join(OUT, "vars-%d.json" % size)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(path, 0o600)
    return path


class Runner:
    """ansible-playbook with the tree copy as the only collection; returns wall-clock seconds."""

    def __init__(self):
        self.home = os.path.join(OUT, "ansible-home")
        os.makedirs(os.path.join(self.home, "tmp"), exist_ok=True)

    def env(self, extra=None):
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": BUILD,
            "ANSIBLE_HOME": self.home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.home, "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
        })
        # PYTHONDONTWRITEBYTECODE too: Python caches the bytecode of what it imports, as on a controller, where pip
        # byte-compiles ansible-core when it installs it and Python the collection's plugins on their first run.
        for name in ("DCR_SANDBOX_INFO", "ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_CONFIG",
                     "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        env.update(extra or {})
        return env

    def play(self, playbook, inventory_dir, extra_vars=None, forks=None, env=None, what=""):
        args = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-i", inventory_dir]
        if extra_vars:
            args += ["-e", "@" + extra_vars]
        if forks:
            args += ["-f", str(forks)]
        started = time.monotonic()
        # A session of its own: if the benchmark is interrupted, ansible-playbook and its forked
        # workers are stopped together.
        with subprocess.Popen(args, cwd=TREE, env=self.env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True) as proc:
            try:
                stdout, stderr = proc.communicate()
            except BaseException:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            tail = "\n".join((stdout + stderr).splitlines()[-25:])
            raise BenchError("%s failed (rc %d):\n%s" % (what or os.path.basename(playbook), proc.returncode,
                                                         SECRETS.mask(tail)))
        return seconds, stdout

    def counted(self, playbook, inventory_dir, extra_vars, env_, tag):
        """A run with the bench_requests callback: (seconds, per-task records, whole request log)."""
        out = os.path.join(OUT, "tasks-%s.json" % tag)
        env_.clear()
        seconds = self.play(playbook, inventory_dir, extra_vars, what=tag, env={
            "ANSIBLE_CALLBACKS_ENABLED": "bench_requests",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(TREE, "tests", "bench", "callback_plugins"),
            "DCR_BENCH_CONTROL_URL": env_.box.info["control_url"],
            "DCR_BENCH_REQUESTS_OUT": out,
        })[0]
        with open(out, encoding="utf-8") as handle:
            tasks = json.load(handle)
        return seconds, tasks, env_.requests()


# --------------------------------------------------------------------------------- figures
def median(values):
    return statistics.median(values) if values else None


def by_module(tasks):
    """Requests per module (task action), and per service within it."""
    out = {}
    for task in tasks:
        if not task.get("requests"):
            continue
        entry = out.setdefault(task["action"], {"total": 0, "by_service": {}})
        for req in task["requests"]:
            entry["total"] += 1
            entry["by_service"][req["service"]] = entry["by_service"].get(req["service"], 0) + 1
    return out


def task_seconds(tasks, key="action"):
    """Seconds per task action (or per task name) over the run."""
    out = {}
    for task in tasks:
        out[task[key]] = out.get(task[key], 0.0) + task.get("seconds", 0.0)
    return out


def fmt_ratio(value):
    return "n/a" if value is None else "%.2fx" % value


def fmt_s(value):
    return "n/a" if value is None else "%.2f s" % value


def verdict(ok):
    return "MET" if ok else "MISSED"


# --------------------------------------------------------------------------------- phases
def affordable(wanted, one_run, budget):
    """How many runs of ``one_run`` seconds fit in ``budget`` seconds (at least 1, at most ``wanted``)."""
    if one_run <= 0:
        return wanted
    return max(1, min(wanted, int(budget // one_run)))


def phase_sizes(runner, env, inv, sizes, repeats, converge_repeats, results, client_secret, budget):
    role = os.path.join(TREE, "tests", "bench", "role.yml")
    for size in sizes:
        log("\n== N = %d claims and %d scopes" % (size, size))
        vars_file = config_vars(size, client_secret)
        env.reset()
        conv_s, conv_tasks, conv_log = runner.counted(role, inv, vars_file, env, "converge-%d" % size)
        noop_s, noop_tasks, noop_log = runner.counted(role, inv, vars_file, env, "noop-%d" % size)
        for tasks, entries, kind in ((conv_tasks, conv_log, "converge"), (noop_tasks, noop_log, "noop")):
            attributed = sum(len(t.get("requests", [])) for t in tasks)
            if attributed != len(entries):
                log("  note: %d of %d %s requests attributed to tasks" % (attributed, len(entries), kind))
        task_count = len(noop_tasks)
        ran = len([t for t in noop_tasks if t["status"] != "skipped"])
        results["converge_requests"][str(size)] = len(conv_log)
        results["noop_requests"][str(size)] = len(noop_log)
        results["detail"]["converge_by_module"][str(size)] = by_module(conv_tasks)
        results["detail"]["noop_by_module"][str(size)] = by_module(noop_tasks)
        results["detail"]["noop_task_seconds"][str(size)] = task_seconds(noop_tasks)
        results["detail"]["converge_task_seconds"][str(size)] = task_seconds(conv_tasks)
        results["detail"].setdefault("noop_seconds_by_task", {})[str(size)] = task_seconds(noop_tasks, "name")
        results["detail"].setdefault("converge_seconds_by_task", {})[str(size)] = task_seconds(conv_tasks, "name")
        results["detail"]["noop_tasks"][str(size)] = {"tasks": task_count, "not_skipped": ran}
        log("  requests  converge %d, no-op %d" % (len(conv_log), len(noop_log)))
        modules = sorted(set(results["detail"]["converge_by_module"][str(size)])
                         | set(results["detail"]["noop_by_module"][str(size)]))
        for module in modules:
            conv = results["detail"]["converge_by_module"][str(size)].get(module, {"total": 0, "by_service": {}})
            noop = results["detail"]["noop_by_module"][str(size)].get(module, {"total": 0, "by_service": {}})
            log("    %-36s converge %4d  no-op %4d   (no-op by service: %s)" % (
                module, conv["total"], noop["total"],
                ", ".join("%s %d" % kv for kv in sorted(noop["by_service"].items())) or "-"))

        # floor and no-op, alternated in one sequence; when one no-op run takes longer than the
        # budget allows, the counting run is the only no-op sample, right before one floor run.
        floor = floor_playbook(task_count)
        modules, controller = run_shape(noop_tasks)
        module_floor = module_floor_playbook(modules, controller)
        results["noop_module_executions"][str(size)] = modules
        results["detail"]["noop_shape"][str(size)] = {"module_executions": modules, "controller_tasks": controller}
        results["detail"].setdefault("noop_profile", {})[str(size)] = profile(noop_tasks)
        floor_times, module_floor_times, noop_times = [], [], []
        pairs = affordable(repeats, noop_s, budget)
        if noop_s * 2 > budget:
            floor_times.append(runner.play(floor, inv, vars_file, what="floor")[0])
            module_floor_times.append(runner.play(module_floor, inv, vars_file, what="module floor")[0])
            noop_times.append(noop_s)
            how = "one run each: one no-op run takes %s, over half the %d s budget; the no-op sample is the counting run" % (
                fmt_s(noop_s), budget)
        else:
            for dummy in range(pairs):
                floor_times.append(runner.play(floor, inv, vars_file, what="floor")[0])
                module_floor_times.append(runner.play(module_floor, inv, vars_file, what="module floor")[0])
                noop_times.append(runner.play(role, inv, vars_file, what="no-op run N=%d" % size)[0])
            how = "medians of %d, alternated" % pairs
            if pairs < repeats:
                how += "; %d would not fit the %d s budget" % (repeats, budget)
        ratio = median(noop_times) / median(floor_times)
        module_ratio = median(noop_times) / median(module_floor_times)
        results["detail"]["noop_over_floor_by_n"][str(size)] = ratio
        results["detail"]["noop_over_module_floor_by_n"][str(size)] = module_ratio
        results["detail"]["timings"]["floor_%d" % size] = floor_times
        results["detail"]["timings"]["module_floor_%d" % size] = module_floor_times
        results["detail"]["timings"]["noop_%d" % size] = noop_times
        log("  no-op run %s vs floor (%d debug tasks, the same extra variables) %s: %s (%s)" % (
            fmt_s(median(noop_times)), task_count, fmt_s(median(floor_times)), fmt_ratio(ratio), how))
        log("  no-op run %s vs module floor (%d ping + %d debug tasks, the no-op run's %d module executions and %d "
            "controller-side tasks; the same extra variables) %s: %s" % (
                fmt_s(median(noop_times)), modules, controller, modules, controller,
                fmt_s(median(module_floor_times)), fmt_ratio(module_ratio)))

        # converge from the seed
        conv_times = [conv_s]
        for dummy in range(affordable(converge_repeats, conv_s, budget) - 1):
            env.reset()
            conv_times.append(runner.play(role, inv, vars_file, what="converge N=%d" % size)[0])
        results["detail"]["timings"]["converge_%d" % size] = conv_times
        log("  converge %s (median of %d, each from the seed; the first with the counting callback%s)" % (
            fmt_s(median(conv_times)), len(conv_times),
            "" if len(conv_times) == converge_repeats else "; %d would not fit the %d s budget" % (
                converge_repeats, budget)))


def phase_peer(runner, env, inv, size, repeats, results, client_secret, budget):
    log("\n== ansible.builtin.uri peer at N = %d" % size)
    role = os.path.join(TREE, "tests", "bench", "role.yml")
    peer = os.path.join(TREE, "tests", "bench", "uri_peer.yml")
    vars_file = config_vars(size, client_secret)
    times = {"peer": [], "peer_rerun": [], "collection": [], "collection_noop": []}
    counts = {}
    rounds = repeats
    for rep in range(repeats):
        if rep >= rounds:
            break
        env.reset()
        times["peer"].append(runner.play(peer, inv, vars_file, what="uri peer")[0])
        counts.setdefault("peer", len(env.requests()))
        if rep == 0 and times["peer"][0] * 2 <= budget:
            # The peer's second run costs as much as its first: measured once, when it is cheap.
            env.clear()
            times["peer_rerun"].append(runner.play(peer, inv, vars_file, what="uri peer re-run")[0])
            counts["peer_rerun"] = len(env.requests())
        env.reset()
        times["collection"].append(runner.play(role, inv, vars_file, what="converge N=%d" % size)[0])
        if rep == 0:
            times["collection_noop"].append(runner.play(role, inv, vars_file, what="no-op run N=%d" % size)[0])
            rounds = affordable(repeats, times["peer"][0] + times["collection"][0], budget)
    ratio = median(times["peer"]) / median(times["collection"])
    rerun_ratio = (median(times["peer_rerun"]) / median(times["collection_noop"])) if times["peer_rerun"] else None
    results["uri_peer_over_collection_n100"] = ratio
    results["detail"]["uri_peer_rerun_over_collection_noop_n100"] = rerun_ratio
    results["detail"]["uri_peer_requests"] = counts
    results["detail"]["timings"].update({"peer_%d" % size: times["peer"], "peer_rerun_%d" % size: times["peer_rerun"],
                                         "peer_collection_converge_%d" % size: times["collection"],
                                         "peer_collection_noop_%d" % size: times["collection_noop"]})
    log("  peer from the seed %s (%d requests) vs role converge %s: %s (medians of %d, alternated%s)" % (
        fmt_s(median(times["peer"])), counts["peer"], fmt_s(median(times["collection"])), fmt_ratio(ratio),
        len(times["peer"]), "" if len(times["peer"]) == repeats else "; %d would not fit the %d s budget" % (
            repeats, budget)))
    if times["peer_rerun"]:
        log("  peer re-run %s (%d requests) vs role no-op %s: %s (one run each)" % (
            fmt_s(median(times["peer_rerun"])), counts["peer_rerun"], fmt_s(median(times["collection_noop"])),
            fmt_ratio(rerun_ratio)))
    else:
        log("  peer re-run not measured: one peer run takes %s, over half the %d s budget (it sends as many "
            "requests as the first run, minus the creates)" % (fmt_s(times["peer"][0]), budget))


def phase_fleet(runner, harness, first, size, fleet, forks, repeats, results, client_secret, budget):
    log("\n== fleet: %d environments, forks %d, N = %d" % (fleet, forks, size))
    role = os.path.join(TREE, "tests", "bench", "role.yml")
    vars_file = config_vars(size, client_secret)
    started = time.monotonic()
    others = start_envs(harness, ["env%02d" % i for i in range(2, fleet + 1)])
    log("  %d more sandboxes started in %.1f s" % (len(others), time.monotonic() - started))
    envs = [first] + others
    try:
        one = inventory("one", [first])
        many = inventory("fleet", envs)
        times = {"one": [], "fleet": [], "one_noop": [], "fleet_noop": []}
        rounds = repeats
        for rep in range(repeats):
            if rep >= rounds:
                break
            first.reset()
            times["one"].append(runner.play(role, one, vars_file, forks=forks, what="converge, one environment")[0])
            times["one_noop"].append(runner.play(role, one, vars_file, forks=forks, what="no-op, one environment")[0])
            for env in envs:
                env.reset()
            times["fleet"].append(runner.play(role, many, vars_file, forks=forks, what="converge, fleet")[0])
            times["fleet_noop"].append(runner.play(role, many, vars_file, forks=forks, what="no-op, fleet")[0])
            if rep == 0:
                rounds = affordable(repeats, sum(series[0] for series in times.values()), budget)
    finally:
        for env in others:
            env.stop()
    ratio = median(times["fleet"]) / median(times["one"])
    noop_ratio = median(times["fleet_noop"]) / median(times["one_noop"])
    results["fleet_20_over_1"] = ratio
    results["detail"]["fleet_20_over_1_noop"] = noop_ratio
    results["detail"]["timings"].update({"fleet_converge": times["fleet"], "one_converge": times["one"],
                                         "fleet_noop": times["fleet_noop"], "one_noop": times["one_noop"]})
    log("  converge: %d environments %s vs one %s: %s" % (
        fleet, fmt_s(median(times["fleet"])), fmt_s(median(times["one"])), fmt_ratio(ratio)))
    log("  no-op:    %d environments %s vs one %s: %s (medians of %d, alternated%s)" % (
        fleet, fmt_s(median(times["fleet_noop"])), fmt_s(median(times["one_noop"])), fmt_ratio(noop_ratio),
        len(times["fleet"]), "" if len(times["fleet"]) == repeats else "; %d would not fit the %d s budget" % (
            repeats, budget)))


# --------------------------------------------------------------------------------- summary
def explain_noop_independence(results, sizes):
    counts = {n: results["noop_requests"][str(n)] for n in sizes}
    if len(set(counts.values())) == 1:
        return True, "%d requests at every N" % counts[sizes[0]]
    growing = []
    low, high = str(sizes[0]), str(sizes[-1])
    detail = results["detail"]["noop_by_module"]
    for module in sorted(set(detail[low]) | set(detail[high])):
        a = detail[low].get(module, {}).get("total", 0)
        b = detail[high].get(module, {}).get("total", 0)
        if a != b:
            growing.append("%s %d -> %d" % (module, a, b))
    return False, "%s; grows with N: %s" % (", ".join("N=%d: %d" % kv for kv in sorted(counts.items())),
                                            "; ".join(growing))


def explain_floor(results, size):
    """Why the no-op run costs more than the floor: where its task time goes."""
    seconds = results["detail"]["noop_task_seconds"][str(size)]
    modules = {a: s for a, s in seconds.items() if a.startswith("devportal.dcr.")}
    rest = sum(s for a, s in seconds.items() if not a.startswith("devportal.dcr."))
    parts = ", ".join("%s %.2f s" % (a.split(".")[-1], s) for a, s in sorted(modules.items(), key=lambda kv: -kv[1]))
    by_name = results["detail"]["noop_seconds_by_task"][str(size)]
    slowest = max(by_name.items(), key=lambda kv: kv[1])
    return ("the module tasks take %.2f s of the no-op run (%s), other tasks %.2f s (slowest task: '%s' %.2f s); "
            "a debug task runs inside the controller, while each module task ships and starts a Python process and "
            "talks HTTP" % (sum(modules.values()), parts, rest, slowest[0], slowest[1]))


def explain_module_floor(results, size):
    """What the no-op run spends beyond the module floor, from its counting run."""
    timings = results["detail"]["timings"]
    noop, floor = median(timings["noop_%s" % size]), median(timings["module_floor_%s" % size])
    shape = results["detail"]["noop_shape"][size]
    seconds = results["detail"]["noop_seconds_by_task"][size]
    top = sorted(seconds.items(), key=lambda kv: -kv[1])[:3]
    why = ("at N=%s the no-op run takes %s against %s for %d ping and %d debug tasks (%+.2f s); its slowest tasks "
           "(counting run): %s" % (size, fmt_s(noop), fmt_s(floor), shape["module_executions"],
                                   shape["controller_tasks"], noop - floor,
                                   "; ".join("'%s' %.2f s" % kv for kv in top)))
    sizes = sorted(results["detail"]["noop_seconds_by_task"], key=int)
    if sizes and sizes[0] != size:
        low = results["detail"]["noop_seconds_by_task"][sizes[0]]
        growth = sorted(((seconds.get(k, 0.0) - low.get(k, 0.0), k) for k in set(low) | set(seconds)), reverse=True)
        growth = [(d, k) for d, k in growth if d >= 0.05][:3]
        if growth:
            floor_low = median(timings.get("module_floor_%s" % sizes[0], []))
            why += "; what grows from N=%s to N=%s: %s (the module floor, given the same variables: %s)" % (
                sizes[0], size, "; ".join("'%s' %+.2f s" % (k, d) for d, k in growth),
                "%+.2f s" % (floor - floor_low) if floor_low is not None and floor is not None else "n/a")
    return why


def explain_scale(results, low, high):
    a = results["detail"]["converge_seconds_by_task"][str(low)]
    b = results["detail"]["converge_seconds_by_task"][str(high)]
    growth = sorted(((b.get(k, 0.0) - a.get(k, 0.0), k) for k in set(a) | set(b)), reverse=True)[:3]
    return "largest growth per task from N=%d to N=%d (counting runs): %s" % (
        low, high, "; ".join("'%s' +%.2f s" % (k, d) for d, k in growth))


def summary(results, sizes, peer_size):
    log("\n== Figures and targets")
    ok, why = explain_noop_independence(results, sizes)
    results["targets"]["noop_independent_of_n"] = {"met": ok, "detail": why}
    log("  no-op requests independent of N ........ %s  (%s)" % (verdict(ok), why))

    ratio = results.get("noop_over_floor")
    if ratio is not None:
        ok = ratio <= TARGETS["noop_over_floor"]
        worst = max(results["detail"]["noop_over_floor_by_n"].items(), key=lambda kv: kv[1])[0]
        by_n = sorted(results["detail"]["noop_over_floor_by_n"].items(), key=lambda kv: int(kv[0]))
        line = "  no-op run / Ansible floor ............... %s  target <= %.1fx  %s  (by N: %s)" % (
            fmt_ratio(ratio), TARGETS["noop_over_floor"], verdict(ok),
            ", ".join("%s: %s" % (n, fmt_ratio(r)) for n, r in by_n))
        log(line)
        why = explain_floor(results, int(worst))
        if not ok:
            log("      why: at N=%s %s" % (worst, why))
        results["targets"]["noop_over_floor"] = {"met": ok, "target": TARGETS["noop_over_floor"], "detail": why}

    ratio = results.get("noop_over_module_floor")
    if ratio is not None:
        ok = ratio <= TARGETS["noop_over_module_floor"]
        by_n = sorted(results["detail"]["noop_over_module_floor_by_n"].items(), key=lambda kv: int(kv[0]))
        log("  no-op run / module floor ............... %s  target <= %.1fx  %s  (by N: %s; module executions: %s)" % (
            fmt_ratio(ratio), TARGETS["noop_over_module_floor"], verdict(ok),
            ", ".join("%s: %s" % (n, fmt_ratio(r)) for n, r in by_n),
            ", ".join("%s: %d" % kv for kv in sorted(results["noop_module_executions"].items(), key=lambda kv: int(kv[0])))))
        worst = max(by_n, key=lambda kv: kv[1])[0]
        why = explain_module_floor(results, worst)
        log("      %s: %s" % ("why" if not ok else "where the rest goes", why))
        results["targets"]["noop_over_module_floor"] = {"met": ok, "target": TARGETS["noop_over_module_floor"],
                                                        "detail": why}
        largest = str(sizes[-1])
        log("  per-task profile of the no-op run at N=%s (counting run):" % largest)
        for row in results["detail"].get("noop_profile", {}).get(largest, []):
            log(row)

    ratio = results.get("uri_peer_over_collection_n100")
    if ratio is not None:
        ok = ratio >= TARGETS["uri_peer_over_collection_n100"]
        log("  uri peer / role at N=%d (converge) ..... %s  target >= %.0fx  %s  (re-run / no-op: %s)" % (
            peer_size, fmt_ratio(ratio), TARGETS["uri_peer_over_collection_n100"], verdict(ok),
            fmt_ratio(results["detail"].get("uri_peer_rerun_over_collection_noop_n100"))))
        counts = results["detail"].get("uri_peer_requests", {})
        timings = results["detail"]["timings"]
        peer_s = median(timings.get("peer_%d" % peer_size, []))
        role_s = median(timings.get("peer_collection_converge_%d" % peer_size, []))
        floor = median(timings.get("floor_%d" % peer_size, []))
        module_s = sum(s for a, s in results["detail"]["converge_task_seconds"].get(str(peer_size), {}).items()
                       if a.startswith("devportal.dcr."))
        why = ("the peer sends %s requests in %s, %.2f s per loop item (one module process each, %d items); the role "
               "sends %s in %s, of which about %s is Ansible's floor and %.2f s its five module tasks (counting run); "
               "the peer grows with N and the role barely does, so the ratio is set by the peer's per-item cost "
               "against the role's fixed cost at this N" % (
                   counts.get("peer"), fmt_s(peer_s), (peer_s or 0) / (4 * peer_size), 4 * peer_size,
                   results["converge_requests"].get(str(peer_size)), fmt_s(role_s), fmt_s(floor), module_s))
        if not ok:
            log("      why: %s" % why)
        results["targets"]["uri_peer_over_collection_n100"] = {"met": ok, "target": 20.0, "detail": why}

    ratio = results.get("converge_1000_over_10")
    if ratio is not None:
        ok = ratio <= TARGETS["converge_1000_over_10"]
        log("  converge N=%d / N=%d .................. %s  target <= %.1fx  %s" % (
            sizes[-1], sizes[0], fmt_ratio(ratio), TARGETS["converge_1000_over_10"], verdict(ok)))
        why = explain_scale(results, sizes[0], sizes[-1])
        if not ok:
            log("      why: %s" % why)
        results["targets"]["converge_1000_over_10"] = {"met": ok, "target": 2.0, "detail": why}

    ratio = results.get("fleet_20_over_1")
    if ratio is not None:
        fleet, forks, cores = results["settings"]["fleet"], results["settings"]["forks"], os.cpu_count() or 1
        log("  fleet: %d environments / one (converge)  %s  no target (no-op: %s; forks %d, %d cores)" % (
            fleet, fmt_ratio(ratio), fmt_ratio(results["detail"].get("fleet_20_over_1_noop")), forks, cores))
        log("      context: with idle cores %d forks would make it about %.0fx; a run that is CPU-bound on the "
            "controller (each module task is a Python process) is bounded by %d environments / %d cores = %.0fx"
            % (forks, fleet / float(min(forks, fleet)), fleet, cores, fleet / float(cores)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="numbers of claims and scopes (default 10,100,1000)")
    parser.add_argument("--repeats", type=int, default=5, help="floor/no-op pairs per N (default 5)")
    parser.add_argument("--converge-repeats", type=int, default=3, help="converge runs per N (default 3)")
    parser.add_argument("--peer-size", type=int, default=100, help="N of the uri peer comparison (default 100)")
    parser.add_argument("--peer-repeats", type=int, default=3, help="peer/role rounds (default 3; 0 skips)")
    parser.add_argument("--fleet", type=int, default=20, help="environments of the fleet run (default 20)")
    parser.add_argument("--forks", type=int, default=10, help="forks of the fleet run (default 10)")
    parser.add_argument("--fleet-size", type=int, default=10, help="N of the fleet run (default 10)")
    parser.add_argument("--fleet-repeats", type=int, default=3, help="fleet/one rounds (default 3; 0 skips)")
    parser.add_argument("--budget", type=int, default=240,
                        help="seconds each timed series may take; fewer repeats when one run is too slow (default 240)")
    parser.add_argument("--build", default=BUILD, help="folder holding ansible_collections/devportal/dcr (default build/)")
    args = parser.parse_args(argv)
    use_build(args.build)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())

    if not os.path.isdir(TREE):
        sys.exit("%s is missing: run 'make bench' (it builds the copy of the collection first)." % TREE)
    os.makedirs(OUT, exist_ok=True)
    client_secret = "bench-" + secrets.token_urlsafe(24)
    SECRETS.add(client_secret)
    results = {
        "noop_requests": {}, "converge_requests": {},
        "noop_over_floor": None, "noop_over_module_floor": None, "noop_module_executions": {},
        "uri_peer_over_collection_n100": None,
        "converge_1000_over_10": None, "fleet_20_over_1": None,
        "targets": {},
        "detail": {"converge_by_module": {}, "noop_by_module": {}, "noop_task_seconds": {}, "converge_task_seconds": {},
                   "noop_tasks": {}, "noop_over_floor_by_n": {}, "noop_over_module_floor_by_n": {}, "noop_shape": {},
                   "timings": {}},
        "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg(),
                    "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
        "settings": vars(args),
    }
    started = time.monotonic()
    harness = load_harness()
    runner = Runner()
    log("devportal.dcr benchmark: %d cores, load %.2f %.2f %.2f; figures are wall-clock medians" % (
        (os.cpu_count() or 0,) + os.getloadavg()))
    first = Env(harness, "env01")
    status = 0
    try:
        inv = inventory("one", [first])
        phase_sizes(runner, first, inv, sizes, args.repeats, args.converge_repeats, results, client_secret, args.budget)
        if results["detail"]["noop_over_floor_by_n"]:
            results["noop_over_floor"] = max(results["detail"]["noop_over_floor_by_n"].values())
            results["noop_over_module_floor"] = max(results["detail"]["noop_over_module_floor_by_n"].values())
        low, high = str(sizes[0]), str(sizes[-1])
        if low != high:
            results["converge_1000_over_10"] = (median(results["detail"]["timings"]["converge_" + high])
                                                / median(results["detail"]["timings"]["converge_" + low]))
        if args.peer_repeats > 0:
            phase_peer(runner, first, inv, args.peer_size, args.peer_repeats, results, client_secret, args.budget)
        if args.fleet_repeats > 0 and args.fleet > 1:
            phase_fleet(runner, harness, first, args.fleet_size, args.fleet, args.forks, args.fleet_repeats, results,
                        client_secret, args.budget)
    except BenchError as exc:
        log("\nbenchmark stopped: %s" % exc)
        results["error"] = SECRETS.mask(str(exc))
        status = 1
    finally:
        first.stop()
    results["machine"]["load_after"] = os.getloadavg()
    results["machine"]["seconds"] = round(time.monotonic() - started, 1)
    for name in os.listdir(OUT):
        if name.startswith("vars-") and name.endswith(".json"):
            os.unlink(os.path.join(OUT, name))  # they hold the DCR credential's secret
    if status == 0:
        summary(results, sizes, args.peer_size)
    path = os.path.join(OUT, "results.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(SECRETS.mask(json.dumps(results, indent=1, sort_keys=True)) + "\n")
    log("\nwrote %s in %.0f s (noop_over_floor is the largest of the per-N ratios)" % (
        os.path.relpath(path, REPO) if path.startswith(REPO + os.sep) else path, time.monotonic() - started))
    return status


if __name__ == "__main__":
    sys.exit(main())
