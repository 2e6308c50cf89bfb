# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AWX execution environment with this collection: ansible-builder's build context.

``ansible-builder create`` writes the build context of an execution environment (no container
engine is needed for that).  The collection is built with ``ansible-galaxy collection build``, as a
release would be, and added to the context the usual way for a local collection.  The context's
own ``introspect.py`` (the script the image build runs) then reads the collection's requirements
from meta/execution-environment.yml.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys
import tarfile

import yaml

from harness import REPO

BIN = os.path.dirname(sys.executable)
# What the collection needs at run time (meta/ee-requirements.txt, meta/ee-bindep.txt); hvac for the Vault secret store.
PYTHON_REQUIREMENTS = {"requests", "jmespath", "hvac"}
# Development files that must never reach an execution environment.
DEVELOPMENT = (".venv/", ".venv-ansible-", "build/", ".ansible/", ".pytest_cache/", "tests/output/", ".git/")


def run(args, cwd):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, "%s failed:\n%s%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc.stdout


def build_collection(tmp_path):
    dist = tmp_path / "dist"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), REPO],
        cwd=str(tmp_path))
    (tarball,) = glob.glob(str(dist / "devportal-dcr-*.tar.gz"))
    return tarball


def test_build_context_of_an_execution_environment_with_the_collection(tmp_path):
    tarball = build_collection(tmp_path)
    with tarfile.open(tarball) as archive:
        members = archive.getnames()
    for prefix in DEVELOPMENT:
        leaked = [m for m in members if m.startswith(prefix)]
        assert not leaked, "the collection artifact holds development files (galaxy.yml build_ignore): %s" % leaked[:5]
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt",
            "roles/dcr_curity/meta/argument_specs.yml", "playbooks/dcr_curity.yml"} <= set(members)

    name = os.path.basename(tarball)
    definition = {
        "version": 3,
        "images": {"base_image": {"name": "quay.io/ansible/awx-ee:latest"}},
        "dependencies": {
            "galaxy": {"collections": [{"name": "collections/" + name, "type": "file"}]},
            "python_interpreter": {"python_path": "/usr/bin/python3"},
        },
        "additional_build_files": [{"src": tarball, "dest": "collections"}],
    }
    ee_file = tmp_path / "execution-environment.yml"
    ee_file.write_text(yaml.safe_dump(definition))
    context = tmp_path / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "--file", str(ee_file), "--context", str(context),
         "--output-filename", "Containerfile"], cwd=str(tmp_path))

    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "introspect.py introspect" in containerfile
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["collections"] == [{"name": "collections/" + name, "type": "file"}]
    copied = context / "_build" / "collections" / name
    assert copied.is_file()

    # What the image build will install: run the context's introspection on the collection it holds.
    installed = tmp_path / "installed" / "ansible_collections" / "devportal" / "dcr"
    installed.mkdir(parents=True)
    with tarfile.open(copied) as archive:
        archive.extractall(installed, filter="data")
    out = run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect", "--sanitize",
               str(tmp_path / "installed")], cwd=str(tmp_path))
    found = yaml.safe_load(out)
    python = {line.split("#")[0].strip() for line in found["python"]}
    assert python == PYTHON_REQUIREMENTS, found
    assert all("from collection devportal.dcr" in line for line in found["python"])
    system = [line.split("#")[0].strip() for line in found["system"]]
    assert system == ["ca-certificates [platform:rpm platform:dpkg]"], found


def readme_commands(prefix):
    """The README's shell lines that start with ``prefix``, as written."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        lines = [line.strip() for line in handle]
    found = [line for line in lines if line.startswith(prefix)]
    assert found, "the README shows no %r command" % prefix
    return found


def test_the_example_definition_builds_exactly_as_the_readme_says(tmp_path):
    """``ansible-builder create -f extensions/ee/execution-environment.yml``, from a checkout, as documented."""
    checkout = tmp_path / "checkout"
    shutil.copytree(os.path.join(REPO, "extensions"), checkout / "extensions")
    shutil.copytree(os.path.join(REPO, "meta"), checkout / "meta")
    [command] = readme_commands("ansible-builder create")
    args = shlex.split(command)
    run([os.path.join(BIN, args[0])] + args[1:], cwd=str(checkout))

    context = checkout / "context"
    # Containerfile for podman, Dockerfile when ansible-builder picks docker.
    (written,) = [context / n for n in ("Containerfile", "Dockerfile") if (context / n).is_file()]
    containerfile = written.read_text()
    assert "EE_BASE_IMAGE=\"quay.io/ansible/awx-ee:latest\"" in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as handle:
        collections = yaml.safe_load(handle)["collections"]
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        repository = yaml.safe_load(handle)["repository"]
    assert collections == [{"name": repository + ".git", "type": "git", "version": "main"}]


def test_the_collection_installs_from_a_tarball_as_the_readme_says(tmp_path):
    tarball = build_collection(tmp_path)
    [command] = [c for c in readme_commands("ansible-galaxy collection install") if c.endswith(".tar.gz")]
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(tarball, folder)
    target = tmp_path / "collections"
    # As a shell runs it (the README names the tarball with a wildcard), into a private collections path.
    proc = subprocess.run(["bash", "-c", "%s -p %s" % (command, shlex.quote(str(target)))], cwd=str(folder),
                          env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", "")),
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "ansible_collections" / "devportal" / "dcr" / "plugins" / "modules" / "curity_scope_info.py").is_file()


def test_the_collection_installs_from_git_as_the_readme_says(tmp_path):
    """The README's git command, with a local clone of this commit standing for the repository."""
    [command] = [c for c in readme_commands("ansible-galaxy collection install git+") if c.endswith(",main")]
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        repository = yaml.safe_load(handle)["repository"] + ".git"
    assert "git+%s,main" % repository in command
    clone = tmp_path / "origin.git"
    run(["git", "clone", "--quiet", "--bare", REPO, str(clone)], cwd=str(tmp_path))
    head = run(["git", "rev-parse", "HEAD"], cwd=REPO).strip()
    run(["git", "--git-dir", str(clone), "branch", "--force", "main", head], cwd=str(tmp_path))
    target = tmp_path / "collections"
    args = shlex.split(command.replace(repository, "file://%s" % clone)) + ["-p", str(target)]
    run([os.path.join(BIN, args[0])] + args[1:], cwd=str(tmp_path))
    assert (target / "ansible_collections" / "devportal" / "dcr" / "meta" / "runtime.yml").is_file()
