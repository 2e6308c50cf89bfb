# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# FOR INTERNAL COLLECTION USE ONLY.  The interfaces in this file are meant for use within the
# devportal.dcr collection and may not remain stable to outside uses.  Changes may be made in
# ANY release, even a bugfix release.
"""The one HTTP transport of the collection.

A ``requests`` session with:

* credentials passed as ``requests`` auth objects (never as a hand-set ``Authorization``
  header), so that a ``~/.netrc`` entry cannot replace them;
* ``validate_certs``/``ca_path``/``timeout`` applied to every call, proxies from the environment;
* retries through urllib3 ``Retry``: 429 (honouring ``Retry-After``, seconds or HTTP date)
  and 502/503/504 for idempotent methods only; a POST is retried only when the connection
  failed before the request was sent.  Retries are bounded in total time and each one is
  reported through the ``warn`` callback;
* one error type, ``HttpError``, rendered as one readable sentence with the server's own
  detail (RESTCONF ``ietf-restconf:errors``, RFC 7807 problem+json with ``invalid_parameters``,
  RFC 6749 OAuth errors), the method and the URL, and never a credential;
* a safety net for check mode: a transport built ``read_only`` refuses to send a write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import time
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"))
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
RETRY_STATUSES = frozenset((429, 502, 503, 504))

DEFAULT_TIMEOUT = 30
DEFAULT_RETRIES = 5
DEFAULT_RETRY_BUDGET = 120.0  # seconds, all retries of one request together
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After


def ensure_requests(module):
    """Fail the module with the standard message when ``requests`` is missing."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)


def redact_url(url):
    """The URL without any user:password part (query kept: it never carries credentials here)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class TransportError(Exception):
    """A request that got no usable HTTP answer (connection, TLS, timeout, check mode)."""

    def __init__(self, message, method=None, url=None):
        super(TransportError, self).__init__(message)
        self.method = method
        self.url = url


class HttpError(Exception):
    """An HTTP answer that was not the one expected.

    ``status`` is 0 when the body could not be used (for example not JSON).
    ``str(error)`` is one readable sentence; ``detail`` is the server's own words.
    """

    def __init__(self, method, url, status, reason="", detail="", body=None, service="the server"):
        self.method = method
        self.url = redact_url(url)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.body = body
        self.service = service
        super(HttpError, self).__init__(self.render())

    def render(self):
        head = "%s %s" % (self.method, self.url)
        if self.status:
            reason = " %s" % self.reason if self.reason else ""
            text = "%s: %s returned HTTP %d%s" % (self.service, head, self.status, reason)
        else:
            text = "%s: %s gave an unusable answer" % (self.service, head)
        if self.detail:
            text += ": %s" % self.detail.rstrip(".")
        return text + "."


def error_detail(body):
    """The server's own explanation from a parsed error body, as one line ('' if none).

    Understands RESTCONF (RFC 8040 section 7) ``ietf-restconf:errors``, RFC 7807 problem
    details (with Konnect's ``invalid_parameters``) and RFC 6749/7591 OAuth errors.
    """
    if not isinstance(body, dict):
        return ""
    errors = body.get("ietf-restconf:errors") or body.get("errors")
    if isinstance(errors, dict):
        items = errors.get("error") or []
        parts = []
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict):
                continue
            msg = item.get("error-message") or item.get("error-tag") or ""
            if item.get("error-path"):
                msg = "%s (at %s)" % (msg, item["error-path"])
            if msg:
                parts.append(msg)
        return "; ".join(parts)
    if "error" in body and isinstance(body.get("error"), str):
        desc = body.get("error_description")
        return "%s: %s" % (body["error"], desc) if desc else body["error"]
    parts = []
    title, detail = body.get("title"), body.get("detail")
    if detail and title and detail != title:
        parts.append("%s: %s" % (title, detail))
    elif detail or title:
        parts.append(detail or title)
    invalid = body.get("invalid_parameters")
    if isinstance(invalid, list) and invalid:
        fields = []
        for item in invalid:
            if isinstance(item, dict):
                field = item.get("field") or item.get("source") or "?"
                fields.append("%s: %s" % (field, item.get("reason") or item.get("rule") or "invalid"))
        if fields:
            parts.append("(%s)" % "; ".join(fields))
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return " ".join(parts)


class Reply:
    """A received answer: ``status``, ``headers``, ``json`` (parsed or None) and ``text``."""

    def __init__(self, status, headers, text, data):
        self.status = status
        self.headers = headers
        self.text = text
        self.json = data


if HAS_REQUESTS:

    class _NoNetrcAuth(requests.auth.AuthBase):
        """Auth that adds nothing; its presence stops requests from reading ~/.netrc."""

        def __call__(self, r):
            return r

    class BearerAuth(requests.auth.AuthBase):
        """``Authorization: Bearer <token>`` as an auth object (so .netrc cannot replace it)."""

        def __init__(self, token):
            self.token = token

        def __call__(self, r):
            r.headers["Authorization"] = "Bearer %s" % self.token
            return r

    class BoundedRetry(Retry):
        """urllib3 Retry with a total time budget, capped Retry-After and a warning per retry."""

        def __init__(self, *args, **kwargs):
            self.warn = kwargs.pop("warn", None)
            self.budget = kwargs.pop("budget", DEFAULT_RETRY_BUDGET)
            # Set on the first retry of a request: the budget runs from the first failure.
            self.deadline = None
            super(BoundedRetry, self).__init__(*args, **kwargs)

        def new(self, **kw):
            retry = super(BoundedRetry, self).new(**kw)
            retry.warn = self.warn
            retry.budget = self.budget
            retry.deadline = self.deadline
            return retry

        def _remaining(self):
            if self.deadline is None:
                return MAX_RETRY_AFTER
            return max(0.0, self.deadline - time.monotonic())

        def get_retry_after(self, response):
            value = super(BoundedRetry, self).get_retry_after(response)
            if value is None:
                return None
            return min(value, MAX_RETRY_AFTER, self._remaining())

        def get_backoff_time(self):
            base = super(BoundedRetry, self).get_backoff_time()
            if base <= 0:
                return 0
            # Full jitter keeps many AWX jobs hitting one server from retrying in lock-step.
            return min(base * (0.5 + random.random() / 2), self._remaining())

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise MaxRetryError(_pool, url, error or "retry time budget exhausted")
            retry = super(BoundedRetry, self).increment(method, url, response, error, _pool, _stacktrace)
            if retry.deadline is None:
                retry.deadline = time.monotonic() + self.budget
            if self.warn is not None:
                if response is not None and response.status:
                    why = "HTTP %d" % response.status
                else:
                    why = type(error).__name__ if error is not None else "an error"
                where = ""
                if _pool is not None:
                    where = "%s://%s:%s" % (_pool.scheme, _pool.host, _pool.port)
                self.warn("Retrying %s %s%s after %s (%d retries left)."
                          % (method, where, redact_url(url or ""), why, retry.total if retry.total is not None else -1))
            return retry


class Transport:
    """One base URL, one session, one auth.  ``request()`` returns a ``Reply`` or raises."""

    def __init__(self, base_url, auth=None, validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT,
                 warn=None, service="the server", read_only=False, retries=DEFAULT_RETRIES,
                 retry_budget=DEFAULT_RETRY_BUDGET, headers=None, backoff_factor=0.5):
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.read_only = read_only
        self.timeout = timeout
        self.warn = warn
        self.session = requests.Session()
        self.session.auth = auth if auth is not None else _NoNetrcAuth()
        self.session.headers["User-Agent"] = "devportal.dcr (Ansible collection)"
        if headers:
            self.session.headers.update(headers)
        # Passed on every call: a session-level value loses to REQUESTS_CA_BUNDLE in requests.
        self.verify = True
        if not validate_certs:
            self.verify = False
            try:
                import urllib3  # pylint: disable=import-outside-toplevel

                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            except (ImportError, AttributeError):
                pass
        elif ca_path:
            self.verify = ca_path
        self.requests_sent = 0
        retry = BoundedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            warn=warn,
            budget=retry_budget,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return "%s/%s" % (self.base_url, path.lstrip("/"))

    def request(self, method, path, json_body=None, data=None, params=None, headers=None,
                expect=(200, 201, 204), expect_json=True, write=None):
        """Send one request; return a ``Reply`` when the status is in ``expect``.

        ``write`` (default: any method but GET/HEAD/OPTIONS) marks a request that changes
        something; a read-only (check mode) transport refuses to send it.
        """
        method = method.upper()
        url = self.url(path)
        if write is None:
            write = method not in READ_METHODS
        if write and self.read_only:
            raise TransportError("refusing to send %s %s in check mode (this is a bug in the module)"
                                 % (method, redact_url(url)), method, url)
        send_headers = {"Accept": "application/json"}
        if headers:
            send_headers.update(headers)
        body = None
        if json_body is not None:
            body = json.dumps(json_body)
            send_headers.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = data
        self.requests_sent += 1
        try:
            resp = self.session.request(method, url, data=body, params=params, headers=send_headers,
                                        timeout=self.timeout, allow_redirects=False, verify=self.verify)
        except requests.exceptions.SSLError as exc:
            raise TransportError(
                "%s: TLS error on %s %s: %s. Set ca_path to the CA that signed the server's certificate "
                "(or, for a test system only, validate_certs: false)." % (self.service, method, redact_url(url),
                                                                          _root_cause(exc)), method, url)
        except requests.exceptions.Timeout as exc:
            raise TransportError("%s: %s %s timed out after %s seconds%s (%s)." % (
                self.service, method, redact_url(url), self.timeout,
                "" if method in IDEMPOTENT_METHODS else " and was not retried because it is not idempotent",
                _root_cause(exc)), method, url)
        except requests.exceptions.RetryError as exc:
            raise TransportError("%s: %s %s still failing after retries: %s." % (
                self.service, method, redact_url(url), _root_cause(exc)), method, url)
        except requests.exceptions.ConnectionError as exc:
            raise TransportError("%s: cannot reach %s %s: %s%s." % (
                self.service, method, redact_url(url), _root_cause(exc),
                "" if method in IDEMPOTENT_METHODS else
                " (not retried: the request may have reached the server; check its state before re-running)"),
                method, url)
        except requests.exceptions.RequestException as exc:
            raise TransportError("%s: %s %s failed: %s." % (self.service, method, redact_url(url), _root_cause(exc)),
                                 method, url)
        return self._reply(method, url, resp, expect, expect_json)

    def _reply(self, method, url, resp, expect, expect_json):
        text = resp.text or ""
        data = None
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        is_json = ctype == "application/json" or ctype.endswith("+json")
        if text.strip() and is_json:
            try:
                data = json.loads(text)
            except ValueError:
                data = None
        if resp.status_code not in expect:
            detail = error_detail(data) if data is not None else _snippet(text, ctype)
            if resp.status_code in RETRY_STATUSES and method not in IDEMPOTENT_METHODS:
                detail = (detail + "; " if detail else "") + "not retried because %s is not idempotent" % method
            elif resp.status_code in RETRY_STATUSES:
                detail = (detail + "; " if detail else "") + "gave up after retries"
            raise HttpError(method, url, resp.status_code, resp.reason or "", detail, data, self.service)
        if expect_json and resp.status_code != 204 and text.strip() and data is None:
            raise HttpError(method, url, 0, "", "expected a JSON body (HTTP %d) but got %s"
                            % (resp.status_code, _snippet(text, ctype) or "nothing"), None, self.service)
        return Reply(resp.status_code, resp.headers, text, data)


def _snippet(text, ctype):
    text = " ".join((text or "").split())
    if not text:
        return ""
    if len(text) > 120:
        text = text[:117] + "..."
    return "%s body %r" % (ctype or "untyped", text)


def _root_cause(exc):
    """The innermost readable reason of a requests/urllib3 exception chain."""
    seen = set()
    cur = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        nxt = getattr(cur, "reason", None)
        if isinstance(nxt, BaseException):
            cur = nxt
            continue
        args = getattr(cur, "args", ())
        if args and isinstance(args[0], BaseException):
            cur = args[0]
            continue
        break
    text = str(cur) if cur is not None else str(exc)
    # urllib3 messages embed the connection object's repr; keep the useful end.
    if "): " in text and "<urllib3" in text:
        text = text.split("): ", 1)[1]
    return text.strip() or type(cur).__name__
