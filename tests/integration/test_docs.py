# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``ansible-doc`` shows for every module: examples, return values, action groups, notes once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from harness import REPO

MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules"))
                 if name.endswith(".py") and not name.startswith("_"))


@pytest.fixture(scope="module")
def docs(runner):
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    proc = subprocess.run([ansible_doc, "-t", "module", "--json"] + ["devportal.dcr." + m for m in MODULES],
                          capture_output=True, text=True, env=runner.env(), check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    found = json.loads(proc.stdout)
    return dict((name.split(".")[-1], found[name]) for name in found)


@pytest.fixture(scope="module")
def action_groups():
    with open(os.path.join(REPO, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["action_groups"]


def test_every_module_renders_with_examples_and_return_values(docs):
    assert sorted(docs) == MODULES
    for name, doc in docs.items():
        assert yaml.safe_load(doc["examples"]), name
        assert doc["return"], name
        assert doc["doc"]["short_description"], name


def test_notes_are_shown_once(docs):
    for name, doc in docs.items():
        notes = doc["doc"].get("notes") or []
        assert len(notes) == len(set(notes)), (name, notes)


def test_action_group_attribute_matches_runtime(docs, action_groups):
    for name, doc in docs.items():
        groups = sorted(group for group, members in action_groups.items() if name in members)
        assert groups, "%s is in no action group" % name
        attribute = doc["doc"]["attributes"].get("action_group")
        assert attribute is not None, name
        assert attribute["membership"] == ["devportal.dcr.%s" % g for g in groups], name


def test_options_with_an_environment_fallback_are_not_shown_as_required(docs):
    for name, doc in docs.items():
        for option, spec in doc["doc"]["options"].items():
            text = " ".join(spec["description"] if isinstance(spec["description"], list) else [spec["description"]])
            if "environment variable is used" in text:
                assert not spec.get("required"), (name, option)


def test_every_module_documents_the_requests_it_sends(docs):
    for name, doc in docs.items():
        description = " ".join(doc["doc"]["description"])
        assert "Request budget" in description, name


def test_what_the_gateway_does_after_a_teardown_is_marked_confirmed_or_inferred(docs):
    """No public source says what the gateway does once an API is unpublished or left without a strategy: the
    documentation of konnect_portal_dcr says so wherever it speaks of it."""
    doc, returned = docs["konnect_portal_dcr"]["doc"], docs["konnect_portal_dcr"]["return"]
    texts = list(doc["options"]["orphaned_publications"]["description"])
    for key in ("unpublished", "published_without_auth"):
        texts += returned[key]["description"] if isinstance(returned[key]["description"], list) else [
            returned[key]["description"]]
    texts += [item for item in doc["description"] if "unpublish" in item or "without application auth" in item]
    about_the_gateway = [text for text in texts if "gateway" in text or "open to anyone" in text]
    assert len(about_the_gateway) >= 3, texts
    for text in about_the_gateway:
        assert "inferred" in text or "confirmed" in text, text


def test_the_readme_marks_each_konnect_behaviour_confirmed_or_inferred():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        section = handle.read().split("## What the collection relies on in Konnect", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Behaviour")]
    assert len(rows) >= 20
    for behaviour, status, dummy in rows:
        assert status.startswith(("confirmed", "inferred")), behaviour
        if "confirmed" in status:
            assert ":" in status or "(" in status, "a confirmed behaviour names its source: %s" % behaviour


# --------------------------------------------------------------------------- the published HTML documentation
def load_yaml(*path):
    with open(os.path.join(REPO, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def make_docs_output():
    """The folder ``make docs`` writes the HTML into: the last argument of its sphinx-build, as make would run it."""
    proc = subprocess.run(["make", "--no-print-directory", "-n", "docs"], cwd=REPO, capture_output=True, text=True,
                          check=True, timeout=120)
    builds = [line.split() for line in proc.stdout.splitlines() if "sphinx-build" in line and " -b html " in line]
    assert len(builds) == 1, proc.stdout
    return builds[0][-1]


def test_the_docs_workflow_publishes_what_make_docs_builds_where_galaxy_yml_says():
    workflow = load_yaml(".github", "workflows", "docs.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key on as true
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert all(re.match(r"^actions/[a-z-]+@v[0-9]+$", action) for action in uses), uses  # official, by major tag
    for action in ("configure-pages", "upload-pages-artifact", "deploy-pages"):
        assert any(u.startswith("actions/%s@" % action) for u in uses), action
    assert any((step.get("run") or "").split()[:2] == ["make", "docs"] for step in steps)
    uploaded = [step["with"]["path"] for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert uploaded == [make_docs_output()] == ["build/docs/html"]
    # GitHub Pages serves a project site at https://OWNER.github.io/REPOSITORY/ (the owner in lower case).
    galaxy = load_yaml("galaxy.yml")
    owner, repository = re.match(r"^https://github\.com/([^/]+)/([^/]+)$", galaxy["repository"]).groups()
    pages = "https://%s.github.io/%s/" % (owner.lower(), repository)
    assert galaxy["documentation"] == pages
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        assert pages in handle.read()
