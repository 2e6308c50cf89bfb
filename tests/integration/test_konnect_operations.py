# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every (method, path template) the modules send is an operation of Kong's official OpenAPI files.

``konnect_operations.MODULE_OPERATIONS`` names, for each operation, the file that defines it.  These tests
check that table against the files (each operation in the file named, and in no other) and that a full
cycle of the Konnect modules sends exactly the operations it lists.
"""

from __future__ import annotations

import glob
import os
from urllib.parse import urlsplit

import yaml

from konnect_helpers import GENERATIONS, Portal, admin_args, admin_send, app_args, dcr_args, prepare_curity
from konnect_operations import MODULE_OPERATIONS, module_requests, operation_of

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def operations_of_files(folder):
    """{(METHOD, full path template): [file names]} of every file in ``folder``."""
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            doc = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        base = urlsplit(((doc.get("servers") or [{}])[0]).get("url", "")).path.rstrip("/")
        for template, item in (doc.get("paths") or {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    found.setdefault((method.upper(), base + template), []).append(os.path.basename(path))
    return found


def test_each_operation_is_in_the_file_it_names_and_in_no_other(specs):
    files = operations_of_files(specs)
    wrong = {op: (named, files.get(op)) for op, named in MODULE_OPERATIONS.items() if files.get(op) != [named]}
    assert wrong == {}, "(method, template): (file named, files defining it): %s" % wrong


def test_the_api_publications_of_a_portal_belong_to_api_builder(specs):
    """A reminder of the trap: the portal-scoped list of API publications is not in Portal Management."""
    operation = ("GET", "/v3/portals/{portalId}/api-publications")
    assert MODULE_OPERATIONS[operation] == "api-builder-v3.yaml"
    assert operations_of_files(specs)[operation] == ["api-builder-v3.yaml"]


def test_a_full_cycle_of_the_modules_sends_exactly_the_listed_operations(sandbox, runner, tmp_path):
    """Present (by name and by id), re-run, update, applications with approval and rotation, then absent."""
    info = sandbox.info
    secret = prepare_curity(runner, sandbox)
    # A second version of the seeded API product, not yet on the classic portal: the module publishes it.
    extra_version = admin_send(info, "POST", "/v2/api-products/%s/product-versions" % info["api_product_id"], {
        "name": "v2", "gateway_service": {"id": info["gateway_service_id"], "control_plane_id": info["control_plane_id"]}})
    sandbox.clear_requests()
    sent = []

    def run(module, args):
        result, text = runner.module(module, args)
        assert not result.get("failed"), text
        sent.extend(module_requests(sandbox.requests()))
        sandbox.clear_requests()
        return result

    for generation in GENERATIONS:
        portal = Portal(info, generation)
        targets = [portal.target] + ([extra_version["id"]] if generation == "v2" else [])
        applied = run("konnect_portal_dcr", dcr_args(info, portal, secret, apis=targets))
        run("konnect_portal_dcr", dict(dcr_args(info, portal, secret, apis=[portal.target_id]), portal=portal.id))
        run("konnect_portal_dcr", dcr_args(info, portal, secret, update_secret="always", scopes=["openid"],
                                           allow_openid_scope=True, display_name="Curity DCR"))
        creds = str(tmp_path / ("creds-%s.json" % generation))
        run("portal_application", app_args(info, portal, credentials_file=creds))
        run("portal_application", app_args(info, portal, credentials_file=creds, description="changed",
                                           redirect_uri="https://app.example.com/cb", registrations=[portal.target_id],
                                           auth_strategy=applied["strategy_id"]))
        run("portal_application", app_args(info, portal, credentials_file=creds, regenerate_secret=True))
        # The admin side's view of the portal's applications (the info module).
        run("portal_application_info", dict(admin_args(info), portal=portal.id))
        run("portal_application", app_args(info, portal, state="absent"))
        # An application left on the strategy: the removal deletes it (admin API) and unpublishes the API it
        # leaves without application auth.
        run("portal_application", app_args(info, portal, name="left-behind", registrations=[],
                                           approve_registrations=False))
        run("konnect_portal_dcr", dict(dcr_args(info, portal, None, apis=targets), state="absent",
                                       applications_in_use="delete"))

    unlisted = sorted({(e["method"], e["path"]) for e in sent if operation_of(e["method"], e["path"]) is None})
    assert unlisted == [], "sent, but not in MODULE_OPERATIONS: %s" % unlisted
    reached = {operation_of(e["method"], e["path"]) for e in sent}
    assert sorted(set(MODULE_OPERATIONS) - reached) == [], "listed but never sent by the cycle"
