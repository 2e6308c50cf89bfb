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
* ``validate_certs``/``ca_path`` applied to every call, proxies from the environment;
* a real deadline: ``timeout`` bounds each attempt as a whole (connecting, sending and
  receiving the complete answer), not only the wait for each byte, so a server that trickles
  its answer cannot hold a task; all attempts of one request and the waits between them end
  within ``timeout + retry_budget`` seconds (by default four times ``timeout``);
* a cap on what it reads: an answer's body (after decompression) larger than ``MAX_RESPONSE_BYTES``
  (32 MiB) is not read further and fails the request as an unusable answer, so that no answer,
  however large, can exhaust the memory of the host running the task;
* retries through urllib3 ``Retry``: 429 (honouring ``Retry-After``, seconds or HTTP date,
  an unusable value counting as "later") and 502/503/504 for idempotent methods only; a POST
  is retried only when the connection failed before the request was sent.  Each retry is
  reported through the ``warn`` callback;
* an optional ``observer`` told of each retry as it is about to wait (how long, which attempt comes next) and of
  each request once it ends (status or error class, milliseconds, attempts), with the URL's path only, credentials
  masked: the live progress and the request trace of devportal.dcr.dcr_setup (see ``_progress``);
* one error type, ``HttpError``, rendered as one readable sentence with the server's own
  detail (RESTCONF ``ietf-restconf:errors``, RFC 7807 problem+json with ``invalid_parameters``,
  RFC 6749 OAuth errors), the method and the URL, and never a credential: the credentials the
  transport sends (raw, URL-encoded, and as HTTP Basic's base64) are masked in every error text,
  also when a server echoes them back;
* a safety net for check mode: a transport built ``read_only`` refuses to send a write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import random
import socket
import threading
import time
import traceback
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ansible.module_utils.basic import missing_required_lib

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import MaxRetryError, ResponseError
    from urllib3.poolmanager import PoolManager, ProxyManager
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
# Without an explicit retry budget, one request and its retries end within this many times
# ``timeout`` (two minutes with the default timeout of 30 seconds).
DEADLINE_FACTOR = 4
MAX_RETRY_AFTER = 60.0  # never sleep longer than this on one Retry-After
# The most the transport reads of one answer's body (after decompression).  The largest answers are Curity's
# RESTCONF reads of a profile's authorization server, which hold its claims and scopes: with 1000 claims and 1000
# scopes that answer is about 0.25 MiB (measured against the sandbox), so the cap leaves room for a profile of
# about a hundred times as many.  Konnect's lists come in pages of at most 100 objects.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
MASK = "********"
# How the warning of each retry begins (the text after it names the request, the reason and the retries left).
RETRY_WARNING = "Retrying "


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


def credential_forms(auth):
    """What a credential looks like in a text: the secret part of ``auth`` (a ``(user, password)`` pair, or an auth
    object of this module) raw and URL-encoded, and the pair as HTTP Basic's base64 (RFC 7617)."""
    found = set()
    if isinstance(auth, (tuple, list)) and len(auth) == 2:
        user, password = (_native(item) for item in auth)
        found.update((password, quote(password, safe="")))
        for pair in ("%s:%s" % (user, password), "%s:%s" % (quote(user, safe=""), quote(password, safe=""))):
            found.add(base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    for name in ("token", "header", "password"):
        value = getattr(auth, name, None)
        if value:
            value = _native(value)
            found.update((value, quote(value, safe="")))
            if name == "header" and "=" in value:  # a cookie: name=value
                found.add(value.split("=", 1)[1])
    if getattr(auth, "username", None) is not None and getattr(auth, "password", None) is not None:
        found.update(credential_forms((auth.username, auth.password)))
    return set(value for value in found if value and len(value) >= 4)


def _native(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def masked(text, secrets):
    """``text`` with every value of ``secrets`` replaced by a mask, longest first."""
    for value in sorted(secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


class TooLarge(Exception):
    """An answer's body larger than the transport reads."""


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
        """urllib3 Retry bounded by the request's deadline, with capped Retry-After and a warning per retry.

        ``deadline`` (a ``time.monotonic()`` value) is set by ``Transport.request`` before each
        request; no retry is started that could not begin before it.
        """

        def __init__(self, *args, **kwargs):
            self.warn = kwargs.pop("warn", None)
            self.deadline = kwargs.pop("deadline", None)
            self.watchdog = kwargs.pop("watchdog", None)
            self.on_retry = kwargs.pop("on_retry", None)
            self.retrying = None  # (method, url, why, attempt, attempts) of the retry this one was made for
            super(BoundedRetry, self).__init__(*args, **kwargs)

        def new(self, **kw):
            retry = super(BoundedRetry, self).new(**kw)
            retry.warn = self.warn
            retry.deadline = self.deadline
            retry.watchdog = self.watchdog
            retry.on_retry = self.on_retry
            return retry

        def _remaining(self):
            if self.deadline is None:
                return MAX_RETRY_AFTER
            return max(0.0, self.deadline - time.monotonic())

        def parse_retry_after(self, retry_after):
            """Seconds to wait for a ``Retry-After`` value; never raises.

            urllib3 raises on values it cannot use (a date after year 9999, more digits than
            Python converts, a malformed date): those mean "not now", so the longest wait
            allowed is used, still capped by the deadline.
            """
            try:
                return super(BoundedRetry, self).parse_retry_after(retry_after)
            except Exception:  # pylint: disable=broad-except
                return MAX_RETRY_AFTER

        def get_retry_after(self, response):
            try:
                value = super(BoundedRetry, self).get_retry_after(response)
            except Exception:  # pylint: disable=broad-except
                value = MAX_RETRY_AFTER
            if value is None:
                return None
            return min(value, MAX_RETRY_AFTER, self._remaining())

        def get_backoff_time(self):
            base = super(BoundedRetry, self).get_backoff_time()
            if base <= 0:
                return 0
            # Full jitter keeps many AWX jobs hitting one server from retrying in lock-step.
            return min(base * (0.5 + random.random() / 2), self._remaining())

        def _planned_wait(self, response):
            """The wait before the next attempt, before the deadline caps it."""
            if response is not None and self.respect_retry_after_header and response.status in self.RETRY_AFTER_STATUS_CODES:
                try:
                    after = super(BoundedRetry, self).get_retry_after(response)
                except Exception:  # pylint: disable=broad-except
                    after = MAX_RETRY_AFTER
                if after is not None:
                    return min(after, MAX_RETRY_AFTER)
            return super(BoundedRetry, self).get_backoff_time() / 2

        def sleep(self, response=None):
            """urllib3's wait between attempts (a usable ``Retry-After``, else the backoff), told to ``on_retry``
            with the retry it is for before it starts."""
            if self.watchdog is not None:
                self.watchdog.pause()  # waiting between attempts is not an attempt running late
            wait = None
            if self.respect_retry_after_header and response:
                wait = self.get_retry_after(response) or None
            if wait is None:
                wait = max(0.0, self.get_backoff_time())
            if self.on_retry is not None and self.retrying is not None:
                try:
                    self.on_retry(*(self.retrying + (wait,)))
                except Exception:  # pylint: disable=broad-except
                    pass  # telling about a retry never stops it
            if wait > 0:
                time.sleep(wait)

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise MaxRetryError(_pool, url, error or ResponseError("the request's deadline has passed"))
            retry = super(BoundedRetry, self).increment(method, url, response, error, _pool, _stacktrace)
            if retry.deadline is not None and time.monotonic() + retry._planned_wait(response) >= retry.deadline - 0.05:
                # No time left for another attempt: give up now, with the last answer or error.
                raise MaxRetryError(_pool, url, error or ResponseError("the request's deadline has passed"))
            if response is not None and response.status:
                why = "HTTP %d" % response.status
            else:
                why = type(error).__name__ if error is not None else "an error"
            attempt = len(retry.history) + 1
            retry.retrying = (method, url or "", why, attempt, attempt + (retry.total if retry.total is not None else 0))
            if self.warn is not None:
                where = ""
                if _pool is not None:
                    where = "%s://%s:%s" % (_pool.scheme, _pool.host, _pool.port)
                self.warn(RETRY_WARNING + "%s %s%s after %s (%d retries left)."
                          % (method, where, redact_url(url or ""), why, retry.total if retry.total is not None else -1))
            return retry

    class _Watchdog:
        """Ends an attempt that runs past its time by shutting its socket down.

        A socket timeout only bounds the wait for the next bytes; this bounds the attempt.
        ``arm`` is called by the connection pools at the start of every attempt (before the
        connection is made), the timer of the previous attempt being cancelled.
        """

        def __init__(self):
            self.lock = threading.Lock()
            self.timer = None
            self.attempt = None
            self.limit = None  # seconds an attempt may take, set by Transport.request
            self.deadline = None

        def arm(self, conn):
            with self.lock:
                self._cancel()
                if self.limit is None:
                    return
                seconds = self.limit
                if self.deadline is not None:
                    seconds = min(seconds, max(0.0, self.deadline - time.monotonic()))
                attempt = {"conn": conn, "sock": getattr(conn, "sock", None), "fired": False}
                self.attempt = attempt
                self.timer = threading.Timer(seconds, self._fire, (attempt,))
                self.timer.daemon = True
                self.timer.start()

        def _fire(self, attempt):
            with self.lock:
                if attempt is not self.attempt:
                    return
                attempt["fired"] = True
                # The connection object may have let go of its socket (an answer that closes the
                # connection) while the answer is still being read from it: use the one seen.
                sock = attempt["sock"] or getattr(attempt["conn"], "sock", None)
                if sock is None:  # still connecting (bounded by the connect timeout): look again soon
                    self.timer = threading.Timer(0.05, self._fire, (attempt,))
                    self.timer.daemon = True
                    self.timer.start()
                    return
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

        def _cancel(self):
            if self.timer is not None:
                self.timer.cancel()
            self.timer = None

        def connected(self, conn):
            """A connection of the running attempt has its socket."""
            with self.lock:
                if self.attempt is not None and self.attempt["conn"] is conn:
                    self.attempt["sock"] = getattr(conn, "sock", None)

        def pause(self):
            """Between attempts: no attempt is running."""
            with self.lock:
                self._cancel()
                self.attempt = None

        def disarm(self):
            """Stop watching; True when the last attempt ran out of time."""
            with self.lock:
                self._cancel()
                fired = bool(self.attempt and self.attempt["fired"])
                self.attempt = None
                return fired

    def _watched(pool_class, watchdog):
        class WatchedConnection(pool_class.ConnectionCls):
            def connect(self):
                super(WatchedConnection, self).connect()
                watchdog.connected(self)

        class WatchedPool(pool_class):
            ConnectionCls = WatchedConnection

            def _make_request(self, conn, *args, **kwargs):  # pylint: disable=arguments-differ
                watchdog.arm(conn)
                return super(WatchedPool, self)._make_request(conn, *args, **kwargs)

        return WatchedPool

    class _WatchedAdapter(HTTPAdapter):
        """An HTTPAdapter whose connection pools report each attempt to a ``_Watchdog``."""

        def __init__(self, watchdog, **kwargs):
            self.watchdog = watchdog
            super(_WatchedAdapter, self).__init__(**kwargs)

        def _watch(self, manager):
            # SOCKS proxy managers bring their own pools; they keep the per-read timeout only.
            if type(manager) in (PoolManager, ProxyManager):
                manager.pool_classes_by_scheme = {"http": _watched(HTTPConnectionPool, self.watchdog),
                                                  "https": _watched(HTTPSConnectionPool, self.watchdog)}
            return manager

        def init_poolmanager(self, *args, **kwargs):
            super(_WatchedAdapter, self).init_poolmanager(*args, **kwargs)
            self._watch(self.poolmanager)

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            return self._watch(super(_WatchedAdapter, self).proxy_manager_for(proxy, **proxy_kwargs))


class Transport:
    """One base URL, one session, one auth.  ``request()`` returns a ``Reply`` or raises.

    ``timeout`` bounds each attempt of a request as a whole; ``retry_budget`` (default
    ``(DEADLINE_FACTOR - 1) * timeout``) is the time retries may add, so that one request,
    its retries and the waits between them end within ``timeout + retry_budget`` seconds.
    """

    def __init__(self, base_url, auth=None, validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT,
                 warn=None, service="the server", read_only=False, retries=DEFAULT_RETRIES,
                 retry_budget=None, headers=None, backoff_factor=0.5, max_bytes=MAX_RESPONSE_BYTES, observer=None):
        self.base_url = base_url.rstrip("/")
        # Told of each retry before its wait and of each request once it ends (see ``_observe``).
        self.observer = observer
        self._attempts = 1
        self.max_bytes = max_bytes
        self.service = service
        self.read_only = read_only
        self.timeout = timeout
        self.retry_budget = (DEADLINE_FACTOR - 1) * timeout if retry_budget is None else retry_budget
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
        self.retry = BoundedRetry(
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
            on_retry=self._retried,
        )
        self.watchdog = self.retry.watchdog = _Watchdog()
        adapter = _WatchedAdapter(self.watchdog, max_retries=self.retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @property
    def deadline_seconds(self):
        """The most one request may take, retries included."""
        return self.timeout + self.retry_budget

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
        started = time.monotonic()
        deadline = started + self.deadline_seconds
        self.retry.deadline = deadline
        self.watchdog.limit, self.watchdog.deadline = self.timeout, deadline
        self._attempts = 1
        late, resp = False, None
        try:
            # The body is read here, under the attempt's watchdog, and no further than max_bytes.
            resp = self.session.request(method, url, data=body, params=params, headers=send_headers,
                                        timeout=self.timeout, allow_redirects=False, verify=self.verify, stream=True)
            try:
                content = self._content(resp)
            finally:
                resp.close()
        except TooLarge as exc:
            self.watchdog.disarm()
            self._observe_request(method, url, started, getattr(resp, "status_code", None), "TooLarge")
            raise HttpError(method, url, 0, "", str(exc), None, self.service)
        except Exception as exc:  # pylint: disable=broad-except
            late = self.watchdog.disarm()
            self._observe_request(method, url, started, None, "Timeout" if late else type(exc).__name__)
            raise self._failure(method, url, exc, late)
        finally:
            late = self.watchdog.disarm() or late
        if late:
            self._observe_request(method, url, started, None, "Timeout")
            raise self._failure(method, url, None, True)
        self._observe_request(method, url, started, resp.status_code, None)
        try:
            return self._reply(method, url, resp, content, expect, expect_json)
        except (HttpError, TransportError):
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise HttpError(method, url, 0, "", self.masked("%s: %s" % (type(exc).__name__, exc)), None, self.service)

    def masked(self, text):
        """``text`` without the credentials this transport sends, in any of their forms."""
        return masked(text, credential_forms(self.session.auth))

    def shown_path(self, url):
        """What an event shows of a URL: its path only (no scheme, host, user, password, query or fragment), with
        the credentials this transport sends masked, as sent and percent-decoded."""
        try:
            path = urlsplit(url).path or "/"
        except ValueError:
            return "<invalid URL>"
        return self.masked(unquote(self.masked(path)))

    def _retried(self, method, url, why, attempt, attempts, wait):
        """``BoundedRetry.on_retry``: a retry about to wait ``wait`` seconds before attempt ``attempt``."""
        self._attempts = attempt
        self._observe(dict(event="retry", method=method, path=self.shown_path(url), why=why, service=self.service,
                           wait=round(wait, 1), attempt=attempt, attempts=attempts))

    def _observe_request(self, method, url, started, status, error):
        self._observe(dict(event="request", method=method, path=self.shown_path(url), service=self.service,
                           status=status, error=error, ms=int((time.monotonic() - started) * 1000),
                           attempts=self._attempts))

    def _observe(self, event):
        """Give ``event`` to the observer, if any; an observer's failure never fails the request."""
        if self.observer is None:
            return
        try:
            self.observer(event)
        except Exception:  # pylint: disable=broad-except
            pass

    def _content(self, resp):
        """The answer's body (decoded as sent: gzip, deflate), at most ``max_bytes``; ``TooLarge`` beyond."""
        limit = self.max_bytes
        declared = resp.headers.get("Content-Length", "")
        if limit is not None and declared.strip().isdigit() and int(declared) > limit:
            raise TooLarge("its body is %s bytes long; the collection reads at most %s of one answer"
                           % (int(declared), _size(limit)))
        chunks, size = [], 0
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge("its body is longer than %s, the most the collection reads of one answer"
                               % _size(limit))
            chunks.append(chunk)
        return b"".join(chunks)

    def _failure(self, method, url, exc, late):
        """The ``TransportError`` for an exception of ``session.request`` (or for an attempt cut off in time)."""
        error = self._failure_of(method, url, exc, late)
        return TransportError(self.masked(str(error)), method, url)

    def _failure_of(self, method, url, exc, late):
        where = "%s %s" % (method, redact_url(url))
        limits = "timeout: %s seconds per attempt, %s seconds with retries" % (self.timeout, self.deadline_seconds)
        if self.retry.total == 0 or not self.retry_budget:
            limits = "timeout: %s seconds" % self.timeout
        not_idempotent = "" if method in IDEMPOTENT_METHODS else " and was not retried because it is not idempotent"
        if late:
            return TransportError(
                "%s: %s timed out: no complete answer within the time allowed (%s)%s."
                % (self.service, where, limits, not_idempotent), method, url)
        if isinstance(exc, requests.exceptions.Timeout):
            return TransportError("%s: %s timed out after %s seconds%s (%s)." % (
                self.service, where, self.timeout, not_idempotent, _root_cause(exc)), method, url)
        if isinstance(exc, requests.exceptions.SSLError):
            return TransportError(
                "%s: TLS error on %s: %s. Set ca_path to the CA that signed the server's certificate "
                "(or, for a test system only, validate_certs: false)." % (self.service, where, _root_cause(exc)),
                method, url)
        if isinstance(exc, requests.exceptions.RetryError):
            return TransportError("%s: %s still failing after retries: %s." % (self.service, where, _root_cause(exc)),
                                  method, url)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return TransportError("%s: cannot reach %s: %s%s." % (
                self.service, where, _root_cause(exc),
                "" if method in IDEMPOTENT_METHODS else
                " (not retried: the request may have reached the server; check its state before re-running)"),
                method, url)
        if isinstance(exc, requests.exceptions.RequestException):
            return TransportError("%s: %s failed: %s." % (self.service, where, _root_cause(exc)), method, url)
        if isinstance(exc, (IOError, OSError)) and getattr(exc, "filename", None) is None and "CA" in str(exc):
            return TransportError("%s: %s failed: %s. Check ca_path." % (self.service, where, exc), method, url)
        # Anything else (an exception of urllib3, of the standard library, of a proxy setting): one sentence.
        return TransportError("%s: %s failed: %s: %s." % (self.service, where, type(exc).__name__, _root_cause(exc)),
                              method, url)

    def _reply(self, method, url, resp, content, expect, expect_json):
        try:
            text = content.decode(resp.encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know: JSON is UTF-8 (RFC 8259)
            text = content.decode("utf-8", "replace")
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
            raise HttpError(method, url, resp.status_code, self.masked(resp.reason or ""), self.masked(detail), data,
                            self.service)
        if expect_json and resp.status_code != 204 and text.strip() and data is None:
            raise HttpError(method, url, 0, "", self.masked("expected a JSON body (HTTP %d) but got %s"
                                                            % (resp.status_code, _snippet(text, ctype) or "nothing")),
                            None, self.service)
        return Reply(resp.status_code, resp.headers, text, data)


def _size(count):
    return "%d MiB" % (count // (1024 * 1024)) if count >= 1024 * 1024 and not count % (1024 * 1024) else "%d bytes" % count


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
