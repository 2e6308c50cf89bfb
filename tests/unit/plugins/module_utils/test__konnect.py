# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Konnect clients and input checks, tested against a scripted local HTTP server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import threading

import pytest

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.devportal.dcr.plugins.module_utils import _http
from ansible_collections.devportal.dcr.plugins.module_utils._konnect import (
    REQUIRED_PORTAL,
    DeveloperPortal,
    KonnectAdmin,
    KonnectError,
    KonnectForbidden,
    PagedClient,
    canonical_issuer,
    check_credentials_path,
    check_http_url,
    check_issuer,
    check_items,
    check_konnect_url,
    check_labels,
    check_length,
    check_redirect_uri,
    konnect_argument_spec,
    masked_settings,
    portal_argument_spec,
    publication_strategy_ids,
    registration_view,
    require_options,
    role_for,
    write_credentials_file,
)

UUID_A = "11111111-2222-4333-8444-555555555555"
UUID_B = "66666666-7777-4888-9999-aaaaaaaaaaaa"
STRATEGY = "22222222-3333-4444-8555-666666666666"
OTHER = "33333333-4444-4555-8666-777777777777"


# --------------------------------------------------------------------------- a scripted Konnect
class Routes:
    """``(method, path) -> handler(query, body, headers) -> (status, headers, body)``; every request recorded."""

    def __init__(self):
        self.table = {}
        self.seen = []
        self.lock = threading.Lock()

    def add(self, method, path, handler):
        self.table[(method, path)] = handler

    def answer(self, method, raw_path, body, headers):
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query))
        with self.lock:
            self.seen.append({"method": method, "path": parts.path, "query": query, "headers": headers,
                              "body": json.loads(body) if body else None})
        handler = self.table.get((method, parts.path))
        if handler is None:
            problem = {"status": 404, "title": "Not Found", "detail": "Not Found"}
            return 404, {"Content-Type": "application/problem+json"}, problem
        return handler(query, json.loads(body) if body else None, headers)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.routes.answer(self.command, self.path, body, dict(self.headers))
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        for key, value in headers.items():
            for item in value if isinstance(value, list) else [value]:
                self.send_header(key, item)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = Routes()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_of(server):
    return "http://127.0.0.1:%d" % server.server_port


def ok(payload, status=200, headers=None):
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return status, out, payload


def paged(items):
    """A list endpoint that honours page[size]/page[number] and filter[name][eq] like Konnect."""
    def handler(query, body, headers):
        name = query.get("filter[name][eq]")
        found = [i for i in items if name is None or i["name"] == name]
        size, number = int(query.get("page[size]", 10)), int(query.get("page[number]", 1))
        return ok({"data": found[(number - 1) * size:number * size],
                   "meta": {"page": {"number": number, "size": size, "total": len(found)}}})
    return handler


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = dict({"validate_certs": True, "ca_path": None, "timeout": 5, "portal_api": "auto"}, **params)
        self.check_mode = check_mode
        self.no_log_values = set()
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def client(server, auth=None):
    return PagedClient(_http.Transport(url_of(server), auth=auth, timeout=5, retries=0))


# --------------------------------------------------------------------------- argument specs
def test_admin_options_read_the_awx_environment_names_and_hide_the_token():
    spec = konnect_argument_spec()
    assert {k: v["fallback"][1] for k, v in spec.items()} == {
        "konnect_url": ["KONNECT_URL"], "konnect_token": ["KONNECT_TOKEN"], "validate_certs": ["KONNECT_VALIDATE_CERTS"],
        "ca_path": ["KONNECT_CA_PATH"], "timeout": ["KONNECT_TIMEOUT"]}
    assert spec["konnect_token"]["no_log"] is True
    assert spec["konnect_url"]["default"] == "https://us.api.konghq.com"
    assert spec["validate_certs"]["default"] is True and spec["timeout"]["default"] == 30


def test_portal_options_read_the_awx_environment_names_and_hide_the_password():
    spec = portal_argument_spec()
    assert spec["developer_password"]["no_log"] is True
    assert spec["developer_password"]["fallback"][1] == ["KONNECT_DEVELOPER_PASSWORD"]
    assert spec["portal_url"]["fallback"][1] == ["KONNECT_PORTAL_URL"]
    assert spec["developer_email"]["fallback"][1] == ["KONNECT_DEVELOPER_EMAIL"]
    assert spec["portal_api"]["choices"] == ["auto", "v3", "v2"] and spec["portal_api"]["default"] == "auto"


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("value", ["ftp://x.example", "example.com", "https://", "https://a b.example", "",
                                   "https://x.example/?q=1", "https://x.example/#f"])
def test_check_http_url_refuses_what_is_not_an_absolute_http_url(value):
    with pytest.raises(KonnectError, match="opt"):
        check_http_url(value, "opt")


@pytest.mark.parametrize("value", ["https://kuser:Url-Pw-3e9@eu.api.konghq.com", "https://:Url-Pw-3e9@eu.api.konghq.com",
                                   "https://kuser@eu.api.konghq.com", "https://kuser:Url-Pw-3e9@[bad/x"])
def test_check_http_url_refuses_credentials_without_showing_them(value):
    with pytest.raises(KonnectError) as err:
        check_http_url(value, "konnect_url")
    text = str(err.value)
    assert "konnect_url must not carry credentials" in text
    assert "Url-Pw-3e9" not in text and "kuser" not in text


@pytest.mark.parametrize("value", ["kuser:Url-Pw-3e9@eu.api.konghq.com", "ftp://kuser:Url-Pw-3e9@host/x?y#z"])
def test_other_url_errors_never_show_credentials(value):
    with pytest.raises(KonnectError) as err:
        check_konnect_url(value)
    assert "Url-Pw-3e9" not in str(err.value)


def test_check_http_url_drops_a_trailing_slash():
    assert check_http_url("https://eu.api.konghq.com/", "konnect_url") == "https://eu.api.konghq.com"


def test_konnect_url_must_not_carry_the_api_version():
    with pytest.raises(KonnectError, match="without an API version"):
        check_konnect_url("https://eu.api.konghq.com/v2")
    assert check_konnect_url("https://proxy.example/konnect") == "https://proxy.example/konnect"


@pytest.mark.parametrize("value", ["https://app.example.com/cb", "http://localhost:8080/cb", "com.example.app:/callback",
                                   "urn:ietf:wg:oauth:2.0:oob"])
def test_redirect_uri_accepts_absolute_uris(value):
    assert check_redirect_uri(value) == value


@pytest.mark.parametrize("value", ["/callback", "app.example.com/cb", "https://app.example.com/cb#frag",
                                   "https://app.example.com/cb#", "https:///cb",
                                   "https://app.example.com/c b", "1http://x", ""])
def test_redirect_uri_refuses_relative_or_fragment_uris(value):
    with pytest.raises(KonnectError, match="redirect_uri"):
        check_redirect_uri(value)


@pytest.mark.parametrize("value", [
    "https://idsvr.example/oauth/v2/oauth-anonymous",
    "https://idsvr.example/oauth/v2/oauth-anonymous/",
    "https://idsvr.example/oauth/v2/oauth-anonymous/.well-known/openid-configuration",
    " https://idsvr.example/oauth/v2/oauth-anonymous/.well-known/openid-configuration/ "])
def test_both_issuer_forms_compare_equal(value):
    assert canonical_issuer(value) == "https://idsvr.example/oauth/v2/oauth-anonymous"


def test_check_issuer_keeps_the_form_given_without_trailing_slash():
    assert check_issuer("https://i.example/x/.well-known/openid-configuration/") == \
        "https://i.example/x/.well-known/openid-configuration"
    with pytest.raises(KonnectError, match="256"):
        check_issuer("https://i.example/" + "x" * 250)


def test_check_length_names_the_option_and_the_limit_never_the_value():
    assert check_length(None, "display_name", 256, 1) is None
    assert check_length("x" * 256, "provider_name", 256, 1) == "x" * 256
    assert check_length("", "initial_client_secret", 256) == ""
    with pytest.raises(KonnectError, match=r"provider_name must be 1 to 256 characters long .*got 0 characters"):
        check_length("", "provider_name", 256, 1)
    secret = "S" * 257
    with pytest.raises(KonnectError, match=r"initial_client_secret must be at most 256 characters long") as caught:
        check_length(secret, "initial_client_secret", 256)
    assert secret not in str(caught.value) and "got 257 characters" in str(caught.value)


def test_check_items_limits_the_count_and_the_length_of_each_item():
    assert check_items(None, "scopes", 50, 128) == []
    assert check_items(["a" * 128] * 50, "scopes", 50, 128) == ["a" * 128] * 50
    with pytest.raises(KonnectError, match=r"claims accepts at most 10 items in Konnect, got 11"):
        check_items(["sub"] * 11, "claims", 10, 128)
    with pytest.raises(KonnectError, match=r"auth_methods: item 2 .* is 65 characters long; Konnect accepts at most 64"):
        check_items(["bearer", "m" * 65], "auth_methods", 10, 64)


@pytest.mark.parametrize("labels, words", [
    ({"kong-x": "a"}, "must not start"), ({"_x": "a"}, "must not start"), ({"": "a"}, "1 to 63"),
    ({"env": "-bad"}, "value of 'env'"), ({"env": "a" * 64}, "value of 'env'"), ({"env": 3}, "value of 'env'"),
    (dict(("k%d" % i, "v") for i in range(51)), "at most 50")])
def test_labels_follow_konnect_rules(labels, words):
    with pytest.raises(KonnectError, match=words):
        check_labels(labels)


def test_good_labels_pass():
    assert check_labels({"env": "prod", "ANSIBLE-managed-by": "devportal.dcr"}) == {
        "env": "prod", "ANSIBLE-managed-by": "devportal.dcr"}


# --------------------------------------------------------------------------- lists and lookups
def test_list_all_reads_every_page_of_100(server):
    items = [{"id": str(i), "name": "item-%03d" % i} for i in range(250)]
    server.routes.add("GET", "/v2/things", paged(items))
    assert [i["id"] for i in client(server).list_all("/v2/things")] == [str(i) for i in range(250)]
    pages = [(r["query"]["page[size]"], r["query"]["page[number]"]) for r in server.routes.seen]
    assert pages == [("100", "1"), ("100", "2"), ("100", "3")]


def test_list_all_stops_on_an_empty_page_even_if_total_lies(server):
    def lying(query, body, headers):
        data = [{"id": "1"}] if query["page[number]"] == "1" else []
        return ok({"data": data, "meta": {"page": {"number": 1, "size": 1, "total": 99}}})

    server.routes.add("GET", "/v2/things", lying)
    assert len(client(server).list_all("/v2/things")) == 1
    assert len(server.routes.seen) == 2


@pytest.mark.parametrize("body, words", [
    ({"data": [{"id": "1"}], "meta": {"page": {"number": 1, "size": 100, "total": "1"}}}, "not numbers"),
    ({"data": [{"id": "1"}], "meta": {"page": {"number": 1, "size": "100", "total": 1}}}, "not numbers"),
    ({"data": [{"id": "1"}], "meta": {"page": {"number": 1, "size": 100, "total": True}}}, "not numbers"),
    ({"data": {"id": "1"}, "meta": {"page": {"total": 1}}}, "not an array of objects"),
    ({"data": ["1"], "meta": {"page": {"total": 1}}}, "not an array of objects"),
    ([{"id": "1"}], "got a JSON array"),
    ("text", "got a JSON string"),
])
def test_list_all_refuses_what_is_not_a_page(server, body, words):
    server.routes.add("GET", "/v2/things", lambda query, payload, headers: ok(body))
    with pytest.raises(_http.HttpError) as err:
        client(server).list_all("/v2/things")
    assert words in str(err.value) and "GET" in str(err.value) and "/v2/things" in str(err.value)


def test_get_and_send_refuse_an_array_where_an_object_is_expected(server):
    server.routes.add("GET", "/v2/things/1", lambda query, payload, headers: ok([1, 2]))
    server.routes.add("POST", "/v2/things", lambda query, payload, headers: ok(["id"], 201))
    with pytest.raises(_http.HttpError, match="expected a JSON object but got a JSON array"):
        client(server).get("/v2/things/1")
    with pytest.raises(_http.HttpError, match="HTTP 201"):
        client(server).send("POST", "/v2/things", {"name": "a"}, expect=(201,))


def test_a_missing_ca_path_is_refused_before_any_request(tmp_path):
    module = FakeModule({"konnect_url": "https://eu.api.konghq.com", "konnect_token": "kpat_unit",
                         "ca_path": str(tmp_path / "no-ca.pem")})
    with pytest.raises(KonnectError, match="ca_path .* does not exist"):
        KonnectAdmin.from_module(module)


def test_find_by_name_filters_and_matches_exactly(server):
    # A server whose filter matches by substring must not fool the lookup.
    items = [{"id": "1", "name": "curity-test"}, {"id": "2", "name": "curity"}]
    server.routes.add("GET", "/v2/dcr-providers", lambda q, b, h: ok({"data": items, "meta": {"page": {
        "number": 1, "size": 100, "total": 2}}}))
    assert client(server).find_by_name("/v2/dcr-providers", "curity", "DCR providers")["id"] == "2"
    assert server.routes.seen[0]["query"]["filter[name][eq]"] == "curity"
    assert client(server).find_by_name("/v2/dcr-providers", "other", "DCR providers") is None


def test_find_by_name_fails_clearly_on_duplicates(server):
    server.routes.add("GET", "/v2/dcr-providers", paged([{"id": UUID_A, "name": "dup"}, {"id": UUID_B, "name": "dup"}]))
    with pytest.raises(KonnectError) as err:
        client(server).find_by_name("/v2/dcr-providers", "dup", "DCR providers")
    assert "2 DCR providers are named 'dup'" in str(err.value) and UUID_A in str(err.value) and UUID_B in str(err.value)


def test_get_maps_404_to_none_and_raises_other_errors(server):
    forbidden = {"status": 403, "title": "Forbidden", "detail": "no"}
    server.routes.add("GET", "/v3/x", lambda q, b, h: ok(forbidden, 403, {"Content-Type": "application/problem+json"}))
    assert client(server).get("/v3/missing") is None
    with pytest.raises(_http.HttpError) as err:
        client(server).get("/v3/x")
    assert err.value.status == 403


def test_find_api_by_name_version_and_id(server):
    apis = [{"id": UUID_A, "name": "orders", "version": "v1"}, {"id": UUID_B, "name": "orders", "version": "v2"},
            {"id": "3", "name": "users", "version": None}]
    server.routes.add("GET", "/v3/apis", paged(apis))
    server.routes.add("GET", "/v3/apis/" + UUID_B, lambda q, b, h: ok(apis[1]))
    api = client(server)
    assert api.find_api("/v3/apis", "users") == {"id": "3", "label": "users"}
    assert api.find_api("/v3/apis", "orders/v2") == {"id": UUID_B, "label": "orders/v2"}
    assert api.find_api("/v3/apis", UUID_B) == {"id": UUID_B, "label": "orders/v2"}
    with pytest.raises(KonnectError, match="Several APIs are named 'orders' .orders/v1, orders/v2."):
        api.find_api("/v3/apis", "orders")
    with pytest.raises(KonnectError, match="No API 'nope' found. APIs: orders/v1, orders/v2, users."):
        api.find_api("/v3/apis", "nope")


def test_find_product_version(server):
    server.routes.add("GET", "/v2/api-products", paged([{"id": "p1", "name": "shop"}, {"id": "p2", "name": "solo"}]))
    server.routes.add("GET", "/v2/api-products/p1/product-versions", paged([{"id": "v1", "name": "v1"}, {"id": "v2", "name": "v2"}]))
    server.routes.add("GET", "/v2/api-products/p2/product-versions", paged([{"id": "s1", "name": "1.0"}]))
    api = client(server)
    path = "/v2/api-products/%s/product-versions"
    assert api.find_product_version("/v2/api-products", path, "shop/v2") == {"id": "v2", "label": "shop/v2"}
    assert api.find_product_version("/v2/api-products", path, "solo") == {"id": "s1", "label": "solo/1.0"}
    assert api.find_product_version("/v2/api-products", path, UUID_A) == {"id": UUID_A, "label": UUID_A}
    with pytest.raises(KonnectError, match="has versions v1, v2: name one version as PRODUCT/VERSION"):
        api.find_product_version("/v2/api-products", path, "shop")
    with pytest.raises(KonnectError, match="has no version 'v9'"):
        api.find_product_version("/v2/api-products", path, "shop/v9")
    with pytest.raises(KonnectError, match="No API product 'x' found. API products: shop, solo."):
        api.find_product_version("/v2/api-products", path, "x")


def test_missing_ok_returns_none_for_what_does_not_exist_but_still_refuses_ambiguity(server):
    server.routes.add("GET", "/v3/apis", paged([{"id": UUID_A, "name": "orders", "version": "v1"},
                                                {"id": UUID_B, "name": "orders", "version": "v2"}]))
    server.routes.add("GET", "/v2/api-products", paged([{"id": "p1", "name": "shop"}]))
    server.routes.add("GET", "/v2/api-products/p1/product-versions", paged([{"id": "v1", "name": "v1"},
                                                                            {"id": "v2", "name": "v2"}]))
    api = client(server)
    path = "/v2/api-products/%s/product-versions"
    assert api.find_api("/v3/apis", "nope", missing_ok=True) is None
    assert api.find_api("/v3/apis", "orders/v9", missing_ok=True) is None
    assert api.find_api("/v3/apis", "orders/v1", missing_ok=True) == {"id": UUID_A, "label": "orders/v1"}
    with pytest.raises(KonnectError, match="Several APIs are named 'orders'"):
        api.find_api("/v3/apis", "orders", missing_ok=True)
    assert api.find_product_version("/v2/api-products", path, "nope", missing_ok=True) is None
    assert api.find_product_version("/v2/api-products", path, "shop/v9", missing_ok=True) is None
    with pytest.raises(KonnectError, match="has versions v1, v2"):
        api.find_product_version("/v2/api-products", path, "shop", missing_ok=True)


def test_publication_strategy_ids_reads_both_generations():
    assert publication_strategy_ids(None) is None
    assert publication_strategy_ids({"auth_strategy_ids": None}) == []
    assert publication_strategy_ids({"auth_strategy_ids": [STRATEGY]}) == [STRATEGY]
    assert publication_strategy_ids({"auth_strategies": [{"id": STRATEGY, "name": "x"}]}) == [STRATEGY]
    assert publication_strategy_ids({"auth_strategies": []}) == []


def unfiltered(items):
    """A list endpoint that ignores every filter (the lookups must match on their side too)."""
    return lambda q, b, h: ok({"data": items, "meta": {"page": {"number": 1, "size": 100, "total": len(items)}}})


def test_strategy_references_of_a_new_portal_use_the_filter_and_check_it(server):
    server.routes.add("GET", "/v3/portals/%s/api-publications" % UUID_A, unfiltered([
        {"api_id": "api-1", "portal_ids": [UUID_A], "auth_strategy_ids": [STRATEGY], "visibility": "public"},
        {"api_id": "api-2", "portal_ids": [UUID_A], "auth_strategy_ids": None, "visibility": "public"},
        {"api_id": "api-3", "portal_ids": [UUID_A], "auth_strategy_ids": [OTHER], "visibility": "private"}]))
    admin = KonnectAdmin.from_module(admin_module(server))
    found = admin.strategy_references("v3", UUID_A, STRATEGY)
    assert [(f["id"], f["current"]["visibility"]) for f in found] == [("api-1", "public")]
    assert server.routes.seen[0]["query"]["filter[auth_strategy_id][eq]"] == STRATEGY


def test_strategy_references_of_a_classic_portal(server):
    server.routes.add("GET", "/v2/portals/%s/product-versions" % UUID_B, unfiltered([
        {"id": "ppv-1", "product_version_id": "pv-1", "auth_strategies": [{"id": STRATEGY, "name": "Curity"}]},
        {"id": "ppv-2", "product_version_id": "pv-2", "auth_strategies": []}]))
    admin = KonnectAdmin.from_module(admin_module(server))
    assert [f["id"] for f in admin.strategy_references("v2", UUID_B, STRATEGY)] == ["pv-1"]
    assert not any(k.startswith("filter") for k in server.routes.seen[0]["query"])


def test_strategy_users_name_defaults_publications_and_product_versions_outside_a_portal(server):
    server.routes.add("GET", "/v3/portals", unfiltered([
        {"id": UUID_A, "name": "new", "default_application_auth_strategy_id": STRATEGY},
        {"id": "p-other", "name": "other", "default_application_auth_strategy_id": STRATEGY}]))
    server.routes.add("GET", "/v2/portals", unfiltered([
        {"id": UUID_B, "name": "classic", "default_application_auth_strategy_id": None}]))
    server.routes.add("GET", "/v2/portals/%s/product-versions" % UUID_B, unfiltered([
        {"id": "ppv-1", "product_version_id": "pv-1", "auth_strategies": [{"id": STRATEGY}]}]))
    server.routes.add("GET", "/v2/api-products", unfiltered([{"id": "prod", "name": "shop", "portal_ids": [UUID_B]}]))
    server.routes.add("GET", "/v2/api-products/prod/product-versions", unfiltered([{"id": "pv-1", "name": "v1"}]))
    server.routes.add("GET", "/v3/api-publications", unfiltered([
        {"api_id": UUID_A, "portal_id": UUID_A, "auth_strategy_ids": [STRATEGY]},
        {"api_id": UUID_B, "portal_id": "p-other", "auth_strategy_ids": [STRATEGY]},
        {"api_id": UUID_B, "portal_id": "p-other", "auth_strategy_ids": [OTHER]}]))
    server.routes.add("GET", "/v3/apis/" + UUID_B, lambda q, b, h: ok({"id": UUID_B, "name": "orders", "version": "v2"}))
    admin = KonnectAdmin.from_module(admin_module(server))
    assert admin.strategy_users(STRATEGY, skip_portal_id=UUID_A) == [
        "default of portal 'other'", "product version shop/v1 on classic portal 'classic'",
        "publication of API 'orders/v2' on portal 'other'"]
    everything = admin.strategy_users(STRATEGY)
    assert "default of portal 'new'" in everything and "publication of API '%s' on portal 'new'" % UUID_A in everything


def forbidden(query, body, headers):
    return ok({"status": 403, "title": "Forbidden"}, 403, {"Content-Type": "application/problem+json"})


def test_strategy_users_is_best_effort(server):
    server.routes.add("GET", "/v3/portals", unfiltered([
        {"id": UUID_A, "name": "new", "default_application_auth_strategy_id": STRATEGY}]))
    server.routes.add("GET", "/v2/portals", forbidden)
    server.routes.add("GET", "/v3/api-publications", forbidden)
    admin = KonnectAdmin.from_module(admin_module(server))
    assert admin.strategy_users(STRATEGY) == ["default of portal 'new'"]


def test_provider_users_are_the_other_strategies_linked_to_it(server):
    server.routes.add("GET", "/v2/application-auth-strategies", unfiltered([
        {"id": STRATEGY, "name": "mine", "dcr_provider": {"id": UUID_A}},
        {"id": OTHER, "name": "theirs", "dcr_provider": {"id": UUID_A}},
        {"id": "s3", "name": "unrelated", "dcr_provider": {"id": UUID_B}},
        {"id": "s4", "name": "key-auth", "dcr_provider": None}]))
    admin = KonnectAdmin.from_module(admin_module(server))
    assert admin.provider_users(UUID_A, skip_strategy_id=STRATEGY) == ["application auth strategy 'theirs'"]
    assert server.routes.seen[0]["query"]["filter[dcr_provider_id][eq]"] == UUID_A


# --------------------------------------------------------------------------- admin client
def admin_module(server, **params):
    return FakeModule(dict({"konnect_url": url_of(server), "konnect_token": "kpat_unit"}, **params))


def test_admin_sends_the_token_as_bearer_and_warns_without_tls_checks(server):
    server.routes.add("GET", "/v3/portals", paged([{"id": UUID_A, "name": "p"}]))
    module = admin_module(server, validate_certs=False)
    admin = KonnectAdmin.from_module(module)
    assert admin.find_portal("p") == ("v3", {"id": UUID_A, "name": "p"})
    assert server.routes.seen[0]["headers"]["Authorization"] == "Bearer kpat_unit"
    assert any("validate_certs is false" in w for w in module.warnings)


def test_admin_transport_is_read_only_in_check_mode(server):
    module = admin_module(server)
    module.check_mode = True
    with pytest.raises(_http.TransportError, match="check mode"):
        KonnectAdmin.from_module(module).send("PATCH", "/v3/portals/x", {})
    assert server.routes.seen == []


def test_admin_needs_a_token(server):
    with pytest.raises(KonnectError, match="konnect_token is required"):
        KonnectAdmin.from_module(admin_module(server, konnect_token=None))


def forbidden(query, body, headers):
    return ok({"status": 403, "title": "Forbidden", "instance": "kong:trace:1",
               "detail": "You do not have permission to perform this action"}, status=403)


def test_a_403_names_the_konnect_role_the_request_needs(server):
    server.routes.add("POST", "/v2/dcr-providers", forbidden)
    admin = KonnectAdmin.from_module(admin_module(server))
    with pytest.raises(KonnectForbidden) as err:
        admin.send("POST", "/v2/dcr-providers", {"name": "curity"}, expect=(201,))
    assert isinstance(err.value, _http.HttpError) and err.value.status == 403
    text = str(err.value)
    assert "HTTP 403" in text and "You do not have permission" in text
    assert "give its user or system account the Konnect role DCR Provider Creator" in text


def test_a_refused_classic_portal_list_still_falls_back_in_auto_mode(server):
    server.routes.add("GET", "/v3/portals", paged([]))
    server.routes.add("GET", "/v2/portals", forbidden)
    with pytest.raises(KonnectError, match="No Dev Portal 'p' found"):
        KonnectAdmin.from_module(admin_module(server)).find_portal("p")


@pytest.mark.parametrize("method, path, role", [
    ("PATCH", "/v3/portals/p/applications/a/registrations/r", "API Registration Approver"),
    ("PATCH", "/v2/portals/p/applications/a/registrations/r", "API Registration Approver"),
    ("GET", "/v2/application-auth-strategies", "DCR Provider Creator"),
    ("PUT", "/v3/apis/a/publications/p", "API Publisher"),
    ("GET", "/v3/api-publications", "API Publisher"),
    ("PATCH", "/v2/portals/p/product-versions/v", "API Publisher"),
    ("GET", "/v2/api-products", "API Creator"),
    ("PATCH", "/v3/portals/p", "Portal Creator"),
])
def test_role_for_each_kind_of_request(method, path, role):
    assert role_for(method, path) == role


@pytest.mark.parametrize("item, generation, target", [
    ({"id": "r", "api_id": "a", "api_name": "orders", "status": "approved"}, "v3", "orders"),
    ({"id": "r", "api": {"id": "a", "name": "orders", "version": "v1"}, "status": "pending"}, "v3", "orders/v1"),
    ({"id": "r", "product_version_id": "a", "product_name": "orders", "product_version_name": "v1", "status": "approved"},
     "v2", "orders/v1"),
    ({"id": "r", "product_version": {"id": "a", "name": "v1"}, "product": {"name": "orders"}, "status": "approved"},
     "v2", "orders/v1"),
])
def test_registration_view_has_one_target_form_for_both_apis(item, generation, target):
    view = registration_view(item, generation)
    assert view == {"id": "r", "target": target, "target_id": "a", "status": item["status"]}
    assert registration_view(item, generation, {"a": "orders/v9"})["target"] == "orders/v9"


def test_settings_that_name_a_secret_are_masked():
    settings = {"openid-connect": {"client_secret": ["s3cr3t"], "cache_tokens": False, "Password": "pw",
                                   "nested": [{"jwt_private_key": "k", "scopes": ["a"]}], "client_auth": []}}
    assert masked_settings(settings) == {"openid-connect": {
        "client_secret": "********", "cache_tokens": False, "Password": "********",
        "nested": [{"jwt_private_key": "********", "scopes": ["a"]}], "client_auth": []}}


def test_portal_options_are_required_unless_their_variable_is_set():
    with pytest.raises(KonnectError) as err:
        require_options({"portal_url": "", "developer_email": None, "developer_password": "x"}, REQUIRED_PORTAL)
    assert str(err.value) == ("missing required arguments: portal_url (or KONNECT_PORTAL_URL in the environment), "
                              "developer_email (or KONNECT_DEVELOPER_EMAIL in the environment).")
    spec = portal_argument_spec()
    assert not any(spec[name].get("required") for name, _variable in REQUIRED_PORTAL)


def test_find_portal_auto_falls_back_to_the_classic_portal(server):
    server.routes.add("GET", "/v3/portals", paged([{"id": UUID_A, "name": "new"}]))
    server.routes.add("GET", "/v2/portals", paged([{"id": UUID_B, "name": "old"}]))
    server.routes.add("GET", "/v2/portals/" + UUID_B, lambda q, b, h: ok({"id": UUID_B, "name": "old"}))
    admin = KonnectAdmin.from_module(admin_module(server))
    assert admin.find_portal("old") == ("v2", {"id": UUID_B, "name": "old"})
    assert admin.find_portal(UUID_B, "auto")[0] == "v2"
    with pytest.raises(KonnectError) as err:
        admin.find_portal("old", "v3")
    assert "No Dev Portal 'old' found (looked at /v3/portals). Portals: new (v3)." == str(err.value)
    with pytest.raises(KonnectError, match=r"Portals: new \(v3\), old \(v2\)"):
        admin.find_portal("missing")


def test_portal_by_domain_tries_each_domain_field(server):
    server.routes.add("GET", "/v3/portals", lambda q, b, h: paged(
        [{"id": UUID_A, "name": "p", "default_domain": "abc.us.kongportals.com", "canonical_domain": "dev.example.com"}])(
        {}, b, h) if q.get("filter[default_domain][eq]") == "abc.us.kongportals.com" else paged([])(q, b, h))
    server.routes.add("GET", "/v2/portals", paged([]))
    admin = KonnectAdmin.from_module(admin_module(server))
    assert admin.portal_by_domain("v3", "abc.us.kongportals.com")["id"] == UUID_A
    assert [list(r["query"])[0] for r in server.routes.seen] == ["filter[canonical_domain][eq]", "filter[default_domain][eq]"]
    with pytest.raises(KonnectError, match="No classic Dev Portal serving 'x.example'"):
        admin.portal_by_domain("v2", "x.example")


# --------------------------------------------------------------------------- developer portal
def portal_module(server, **params):
    return FakeModule(dict({"portal_url": url_of(server), "developer_email": "dev@example.com",
                            "developer_password": "pw-unit"}, **params))


def login_ok(query, body, headers):
    return 204, {"Set-Cookie": ["portalaccesstoken=cookie-unit-value; Path=/; HttpOnly",
                                "portalrefreshtoken=refresh; Path=/api/v2/developer/refresh; HttpOnly"]}, None


def test_login_finds_the_classic_portal_and_uses_the_cookie_as_a_secret(server):
    server.routes.add("POST", "/api/v2/developer/authenticate", login_ok)
    server.routes.add("GET", "/api/v2/applications", paged([]))
    module = portal_module(server)
    portal = DeveloperPortal.from_module(module)
    assert portal.generation == "v2" and portal.base == "/api/v2"
    assert module.no_log_values == {"cookie-unit-value"}
    portal.list_all("/api/v2/applications")
    logins = [r for r in server.routes.seen if r["path"].endswith("/authenticate")]
    assert [r["path"] for r in logins] == ["/api/v3/developer/authenticate", "/api/v2/developer/authenticate"]
    assert logins[-1]["body"] == {"username": "dev@example.com", "password": "pw-unit"}
    assert server.routes.seen[-1]["headers"]["Cookie"] == "portalaccesstoken=cookie-unit-value"


def test_login_in_check_mode_is_allowed(server):
    server.routes.add("POST", "/api/v3/developer/authenticate", login_ok)
    module = portal_module(server)
    module.check_mode = True
    assert DeveloperPortal.from_module(module).generation == "v3"


@pytest.mark.parametrize("status, title, words", [
    (401, "Approval Required", "is not approved on this Dev Portal yet"),
    (401, "Invalid Credentials", "refused the login of dev@example.com: check developer_email and developer_password"),
    (400, "Bad Request", "login of dev@example.com failed")])
def test_login_errors_are_clear_and_never_show_the_password(server, status, title, words):
    server.routes.add("POST", "/api/v3/developer/authenticate", lambda q, b, h: ok(
        {"status": status, "title": title, "detail": title}, status, {"Content-Type": "application/problem+json"}))
    with pytest.raises(KonnectError) as err:
        DeveloperPortal.from_module(portal_module(server, portal_api="v3"))
    assert words in str(err.value) and "pw-unit" not in str(err.value)


def test_login_on_something_that_is_not_a_portal(server):
    with pytest.raises(KonnectError, match="did not answer as a Konnect Dev Portal"):
        DeveloperPortal.from_module(portal_module(server))


def test_login_without_a_cookie_is_an_error(server):
    server.routes.add("POST", "/api/v3/developer/authenticate", lambda q, b, h: (204, {}, None))
    with pytest.raises(KonnectError, match="set no portalaccesstoken cookie"):
        DeveloperPortal.from_module(portal_module(server))


# --------------------------------------------------------------------------- credentials file
RECORD = {"application_id": "a", "client_id": "client-1", "client_secret": "s1", "portal_url": "https://p", "created_at": "t"}


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_credentials_file_is_written_0600(tmp_path):
    target = str(tmp_path / "creds.json")
    assert write_credentials_file(target, RECORD) is None
    assert json.load(open(target)) == RECORD and mode_of(target) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["creds.json"]  # no temporary file left


def test_the_same_client_is_replaced_without_backup(tmp_path):
    target = str(tmp_path / "creds.json")
    write_credentials_file(target, RECORD)
    assert write_credentials_file(target, dict(RECORD, client_secret="s2")) is None
    assert json.load(open(target))["client_secret"] == "s2"
    assert sorted(os.listdir(str(tmp_path))) == ["creds.json"]


@pytest.mark.parametrize("previous", [json.dumps(dict(RECORD, client_id="other")), "not json at all"])
def test_another_clients_file_is_backed_up_first(tmp_path, previous):
    target = tmp_path / "creds.json"
    target.write_text(previous)
    os.chmod(str(target), 0o600)
    backup = write_credentials_file(str(target), RECORD)
    assert backup.startswith(str(target) + ".") and open(backup).read() == previous and mode_of(backup) == 0o600
    assert json.load(open(str(target))) == RECORD
    second = write_credentials_file(str(target), dict(RECORD, client_id="third"))
    assert second != backup and json.load(open(second)) == RECORD  # an older backup is never overwritten


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = str(tmp_path / "creds.json")
    write_credentials_file(target, RECORD)

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_credentials_file(target, dict(RECORD, client_secret="s2"))
    assert json.load(open(target)) == RECORD and sorted(os.listdir(str(tmp_path))) == ["creds.json"]


def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch):
    target = str(tmp_path / "creds.json")
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.path.basename(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_credentials_file(target, RECORD)
    assert events == [("fsync", "file"), ("replace", "creds.json"), ("fsync", "folder")]


def test_a_folder_that_cannot_be_synced_does_not_fail_the_write(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = str(tmp_path / "creds.json")
    assert write_credentials_file(target, RECORD) is None and json.load(open(target)) == RECORD


def test_credentials_path_is_checked_before_any_request(tmp_path):
    assert check_credentials_path(str(tmp_path / "x.json"))
    # Missing folders are fine when they can be created in a writable folder (nothing is created yet).
    assert check_credentials_path(str(tmp_path / "missing" / "deeper" / "x.json"))
    assert not (tmp_path / "missing").exists()
    (tmp_path / "a-file").write_text("")
    with pytest.raises(KonnectError, match="cannot be created: .* is not a folder"):
        check_credentials_path(str(tmp_path / "a-file" / "sub" / "x.json"))
    with pytest.raises(KonnectError, match="is a directory"):
        check_credentials_path(str(tmp_path))


def test_missing_folders_of_the_credentials_file_are_created_with_mode_0700(tmp_path):
    path = tmp_path / "config" / "dcr" / "app.json"
    write_credentials_file(str(path), {"client_id": "c", "client_secret": "s"})
    assert json.loads(path.read_text())["client_secret"] == "s"
    for folder in (tmp_path / "config", tmp_path / "config" / "dcr"):
        assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------------------- answers of an unexpected shape
@pytest.mark.parametrize("path, kind", [
    ("/v2/dcr-providers", "DCR provider"), ("/v2/dcr-providers/%s" % UUID_A, "DCR provider"),
    ("/v2/dcr-providers/%s/verify" % UUID_A, "verification"),
    ("/v2/application-auth-strategies", "application auth strategy"),
    ("/v3/portals", "Dev Portal"), ("/v2/portals/%s" % UUID_A, "Dev Portal"),
    ("/v3/portals/%s/applications" % UUID_A, "application"),
    ("/v2/portals/%s/applications/%s/registrations" % (UUID_A, UUID_B), "registration"),
    ("/v2/portals/%s/product-versions" % UUID_A, "portal product version"),
    ("/v3/portals/%s/api-publications" % UUID_A, "API publication"), ("/v3/api-publications", "API publication"),
    ("/v3/apis/%s/publications/%s" % (UUID_A, UUID_B), "API publication"), ("/v3/apis", "API"), ("/api/v3/apis", "API"),
    ("/v2/api-products/%s/product-versions" % UUID_A, "API product version"), ("/api/v2/products", "API product"),
    ("/api/v2/applications/auth-strategies", "auth strategy"), ("/api/v3/application-auth-strategies", "auth strategy"),
    ("/api/v3/applications", "application"), ("/api/v2/applications/%s/refresh-token" % UUID_A, "new client secret"),
    ("/api/v3/applications/%s/registrations" % UUID_A, "registration"), ("/api/v3/developer/authenticate", None),
])
def test_each_konnect_path_answers_one_kind_of_object(path, kind):
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import answered_kind
    assert answered_kind(path) == kind


@pytest.mark.parametrize("kind, item, words", [
    ("DCR provider", {"id": UUID_A}, "in the DCR provider with id %s, name is missing (expected a string)" % UUID_A),
    ("DCR provider", {"id": UUID_A, "name": None}, "name is null (expected a string)"),
    ("application auth strategy", {"id": UUID_A, "name": "s", "configs": ["x"]},
     "in the application auth strategy 's' (id %s), configs is an array, not an object" % UUID_A),
    ("application auth strategy", {"id": UUID_A, "name": "s", "configs": {"openid-connect": "x"}},
     "configs.openid-connect is a string, not an object"),
    ("application", {"id": UUID_A, "name": "a", "auth_strategy": "curity"}, "auth_strategy is a string, not an object"),
    ("application", {"id": UUID_A, "name": ["a"]}, "in the application with id %s, name is an array, not a string" % UUID_A),
    ("API publication", {"auth_strategy_ids": [["x"]]}, "in the API publication, auth_strategy_ids holds an array"),
    ("portal product version", {"auth_strategies": [{"id": 1}]}, "auth_strategies[0].id is a number, not a string"),
    ("verification", {"status": "failed", "errors": "boom"}, "errors is a string, not an array of strings"),
])
def test_an_unexpected_field_is_named_with_its_object(kind, item, words):
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import conform
    assert words in conform(kind, item)


def test_fields_of_the_expected_types_and_unknown_fields_pass():
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import conform
    assert conform("application auth strategy", {"id": UUID_A, "name": "s", "display_name": None, "anything": [1],
                                                 "configs": {"key-auth": {"key_names": ["apikey"]}}}) is None
    assert conform("application", {"id": UUID_A, "name": "a", "auth_strategy": None, "credentials": {}}) is None


def test_a_list_item_or_an_object_of_an_unexpected_shape_is_an_http_error_naming_it(server):
    server.routes.add("GET", "/v2/dcr-providers", lambda query, payload, headers: ok({
        "data": [{"id": UUID_A, "name": "ok"}, {"provider_type": "curity"}], "meta": {"page": {"total": 2}}}))
    server.routes.add("GET", "/v2/dcr-providers/" + UUID_A, lambda query, payload, headers: ok({"id": UUID_A, "name": 7}))
    with pytest.raises(_http.HttpError, match="gave an unusable answer: in the 2nd DCR provider of the list, id is missing"):
        client(server).list_all("/v2/dcr-providers")
    with pytest.raises(_http.HttpError, match="in the DCR provider with id %s, name is a number, not a string" % UUID_A):
        client(server).get("/v2/dcr-providers/" + UUID_A)


# --------------------------------------------------------------------------- settle
class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def refusal(status):
    return _http.HttpError("POST", "https://k/x", status, "", "refused", None, "Konnect")


def test_settle_retries_a_passing_refusal_with_growing_waits():
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import Settle
    clock, answers = Clock(), [refusal(404), refusal(400), refusal(409), "done"]

    def attempt():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    settle = Settle(20, sleep=clock.sleep, clock=clock)
    assert settle.run(attempt) == "done" and clock.slept == [1, 2, 3] and settle.retried == 3


def test_settle_is_bounded_in_count_and_in_time():
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import SETTLE_ATTEMPTS, Settle
    calls = []

    def refuse():
        calls.append(1)
        raise refusal(404)

    clock = Clock()
    with pytest.raises(_http.HttpError):
        Settle(1000, sleep=clock.sleep, clock=clock).run(refuse)
    assert len(calls) == SETTLE_ATTEMPTS == 6 and clock.slept == [1, 2, 3, 5, 8]
    calls[:], clock = [], Clock()
    with pytest.raises(_http.HttpError):
        Settle(4, sleep=clock.sleep, clock=clock).run(refuse)
    assert len(calls) == 3 and clock.slept == [1, 2]  # a third wait (3 s) would pass the 4 seconds
    calls[:], clock = [], Clock()
    with pytest.raises(_http.HttpError):
        Settle(0, sleep=clock.sleep, clock=clock).run(refuse)
    assert len(calls) == 1 and clock.slept == []


@pytest.mark.parametrize("status", [401, 403, 422, 429, 500, 0])
def test_settle_does_not_retry_other_failures(status):
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import Settle
    clock, calls = Clock(), []

    def refuse():
        calls.append(1)
        raise refusal(status)

    with pytest.raises(_http.HttpError):
        Settle(20, sleep=clock.sleep, clock=clock).run(refuse)
    assert calls == [1]


def test_settle_create_posts_again_only_when_the_read_finds_nothing():
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import Settle
    clock, posts, reads = Clock(), [], []

    def post():
        posts.append(1)
        if len(posts) < 3:
            raise refusal(400)
        return {"id": "new"}

    assert Settle(20, sleep=clock.sleep, clock=clock).create(post, lambda: reads.append(1)) == ({"id": "new"}, None)
    assert len(posts) == 3 and len(reads) == 2

    posts[:] = []

    def refused():
        posts.append(1)
        raise refusal(400)

    found = {"id": "made-anyway"}
    assert Settle(20, sleep=clock.sleep, clock=clock).create(refused, lambda: found) == (None, found)
    assert len(posts) == 1  # the read found it: never a second POST


def test_a_negative_settle_timeout_is_refused():
    from ansible_collections.devportal.dcr.plugins.module_utils._konnect import Settle
    with pytest.raises(KonnectError, match="settle_timeout must be 0 or more seconds"):
        Settle(-1)
