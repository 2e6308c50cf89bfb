#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run make targets one after another, timing each; every target runs, and any failure fails the whole.

    python tests/tools/phases.py sanity units pytest ...

What ``make -k`` does for ``make test``, plus how long each part took: a table at the end gives each target's
wall time and outcome, and the exit status is 1 when a target failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main(targets):
    make = os.environ.get("MAKE") or "make"
    results = []
    began = time.monotonic()
    for target in targets:
        print("\n=== make %s" % target, flush=True)
        started = time.monotonic()
        status = subprocess.call([make, "--no-print-directory", target])
        seconds = time.monotonic() - started
        results.append((target, status, seconds))
        outcome = "passed" if status == 0 else "FAILED (exit status %d)" % status
        print("=== make %s: %s in %s" % (target, outcome, minutes(seconds)), flush=True)
    total = time.monotonic() - began
    failed = [result[0] for result in results if result[1] != 0]
    width = max(len(target) for target in targets)
    print("\n=== make test: each part's wall time")
    for target, status, seconds in results:
        print("  %-*s  %8s  %s" % (width, target, minutes(seconds), "passed" if status == 0 else "FAILED"))
    print("  %-*s  %8s" % (width, "total", minutes(total)))
    if failed:
        print("=== make test FAILED: %s" % " ".join(failed))
        return 1
    print("=== make test passed")
    return 0


def minutes(seconds):
    return "%d:%02d" % divmod(int(round(seconds)), 60)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: phases.py TARGET...")
    sys.exit(main(sys.argv[1:]))
