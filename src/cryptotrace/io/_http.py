"""HTTP with patience and limits: rate limit, retries, Retry-After, deadlines, size caps (private helper).

Used by the Esplora and Bitcoin Core clients. ``requests`` does the work;
this class decides when to wait and try again, when to stop, and what to
tell the user when it gives up. The servers may be hostile or broken, so
every try is bounded:

* **time**: ``timeout`` is a wall-clock deadline for one whole try (connect,
  headers and body), not only for each socket read. A watchdog shuts the
  try's socket at the deadline, so a server that drips one byte every half
  second cannot hold a notebook for minutes.
* **size**: the answer is read in pieces and decompressed here, counting the
  decoded bytes; reading stops at ``max_bytes`` (a 0.5 MB gzip "bomb" that
  inflates to 500 MB is refused after ``max_bytes``, not cached).
* **waiting**: each wait between tries is at most ``max_wait`` seconds and all
  waits of one request together at most ``max_total_wait``. A server asking
  (``Retry-After``) for longer than ``max_wait`` gets an error that says so and
  when to come back, rather than a frozen notebook.

Why not urllib3's ``Retry``: it cannot look into a body (Bitcoin Core says
"still starting" as JSON error -28, sometimes with HTTP 200 in a batch), its
``Retry-After`` waits are not capped, and its errors are not ones a trainee
can act on. The loop here is short and does all three.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import threading
import time
import zlib
from datetime import datetime, timezone

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import FetchError, FetchTimeoutError, ResponseTooLargeError

__all__ = [
    "Http",
    "RETRY_STATUSES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_MAX_TOTAL_WAIT",
    "rpc_warming_up",
]

#: Answers worth another try: too many requests, and the server or a proxy in trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Largest answer read (after decompression): 64 MiB. A block at verbosity 3 is a few MB.
DEFAULT_MAX_BYTES = 64 * 2**20
#: Longest single wait between two tries, in seconds.
DEFAULT_MAX_WAIT = 30.0
#: Longest total of the waits of one request, in seconds.
DEFAULT_MAX_TOTAL_WAIT = 60.0
_PIECE = 64 * 1024  # bytes read from the socket at a time (decoded output is bounded separately)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())


def rpc_warming_up(resp: requests.Response) -> str | None:
    """Bitcoin Core's "still starting" answer (RPC error -28, "Loading block index..."), else None.

    Core answers a single call with HTTP 500 and a batch with HTTP 200 and an
    error per call; both are worth another try once the node has started.
    """
    body = resp.content
    if b"-28" not in body:
        return None
    try:
        ans = json.loads(body)
    except ValueError:
        return None
    items = ans if isinstance(ans, list) else [ans]
    for a in items:
        err = a.get("error") if isinstance(a, dict) else None
        if isinstance(err, dict) and err.get("code") == -28:
            msg = str(err.get("message") or "")[:80]
            return f"the node is still starting (RPC error -28: {msg!r})"
    return None


# ---------------------------------------------------------------- the deadline watchdog
_current = threading.local()


def _shut(sock) -> None:
    try:  # the plain socket's shutdown: wakes a read blocked in another thread (also under TLS)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Watch:
    """The deadline of one try: at ``seconds`` it shuts the sockets the try uses.

    Sockets are remembered when seen, not looked up at the deadline: a
    connection that will close after this answer drops its ``sock`` attribute
    while the answer is still being read from it.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._conns: list = []
        self._socks: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def add(self, conn) -> None:
        with self._lock:
            if not any(c is conn for c in self._conns):
                self._conns.append(conn)
            sock = getattr(conn, "sock", None)
            if sock is not None and not any(s is sock for s in self._socks):
                self._socks.append(sock)
            if self.expired:
                self._shut_all()

    def _shut_all(self) -> None:
        socks = list(self._socks) + [getattr(c, "sock", None) for c in self._conns]
        for sock in socks:
            if sock is not None:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut_all()

    def __enter__(self):
        _current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        _current.watch = None
        return False


def _watched(conn) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.add(conn)


class _Watched:
    """Mixin for urllib3's connections: each request tells the current try's watchdog its connection."""

    def request(self, *args, **kwargs):
        _watched(self)
        return super().request(*args, **kwargs)

    def getresponse(self, *args, **kwargs):
        _watched(self)  # again: the socket exists by now
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections the deadline watchdog can shut."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # not SOCKS, which has its own connections
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


# ---------------------------------------------------------------- bounded body reading
class _Inflater:
    """gzip or deflate, decoded here so that no step makes more than ``room`` bytes."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, room: int) -> list[bytes]:
        """Decoded pieces of ``data``; at most ``room`` bytes in all (more input may then be left unread)."""
        out, size = [], 0
        while data and size < room:
            try:
                piece = self._d.decompress(data, room - size)
            except zlib.error:
                if self._gzip or self._started:
                    raise
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw, as some servers do
                piece = self._d.decompress(data, room - size)
            self._started = True
            out.append(piece)
            size += len(piece)
            if self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            elif self._d.eof and self._d.unused_data and self._gzip:
                data = self._d.unused_data  # the next gzip member
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""
        return out


class _TooLarge(Exception):
    pass


def _read_body(resp: requests.Response, max_bytes: int) -> bytes:
    """The whole body of a streamed response, decompressed, refusing more than ``max_bytes``."""
    encodings = [e.strip().lower() for e in resp.headers.get("Content-Encoding", "").split(",")]
    encodings = [e for e in encodings if e and e != "identity"]
    if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FetchError(
            f"the server answered in the encoding {', '.join(encodings)!r}, which cryptotrace "
            "does not read (it asks for gzip or deflate)"
        )
    inflater = _Inflater(encodings[0]) if encodings else None
    length = resp.headers.get("Content-Length", "")
    if inflater is None and length.isdigit() and int(length) > max_bytes:
        raise _TooLarge(int(length))
    pieces, size = [], 0  # a list, not a growing bytearray: no copy of everything at each resize
    for raw in resp.raw.stream(_PIECE, decode_content=False):
        for data in inflater.feed(raw, max_bytes - size + 1) if inflater is not None else (raw,):
            size += len(data)
            if size > max_bytes:
                raise _TooLarge(None)
            pieces.append(data)
    return b"".join(pieces)


# ---------------------------------------------------------------- the client
class Http:
    """One ``requests.Session`` with a rate limit, retries and hard limits.

    Parameters
    ----------
    timeout : float
        Seconds one try may take from start to the last byte of the answer
        (a wall-clock deadline, enforced even against a server that keeps
        sending a byte now and then).
    max_retries : int
        How many times a failed request is tried again (429, 5xx, timeouts,
        dropped connections, and whatever ``retry_if`` names).
    backoff : float
        First wait between tries, in seconds; it doubles each time (plus a little jitter),
        unless the server says how long to wait (``Retry-After``).
    rate_limit : float or None
        Most requests per second; ``None`` for no limit.
    max_bytes : int, default 64 MiB
        Largest answer read, counted after decompression; a larger one raises
        :class:`~cryptotrace.errors.ResponseTooLargeError` (and is not retried).
    max_wait : float, default 30
        Longest wait between two tries. A server whose ``Retry-After`` asks for
        more gets an error saying so, instead of a wait of that length.
    max_total_wait : float, default 60
        Longest total of the waits of one request.
    retry_if : callable or None, default :func:`rpc_warming_up`
        ``retry_if(response) -> str or None``: a reason to try again an answer
        whose status alone says nothing (the default catches Bitcoin Core's
        "still starting", RPC error -28). ``None`` for none.
    """

    def __init__(
        self,
        *,
        timeout: float,
        max_retries: int,
        backoff: float,
        rate_limit: float | None,
        auth=None,
        retry_statuses=RETRY_STATUSES,
        user_agent: str = "cryptotrace",
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_total_wait: float = DEFAULT_MAX_TOTAL_WAIT,
        retry_if=rpc_warming_up,
    ):
        if timeout is None or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries!r}")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError(
                f"rate_limit must be a positive number of requests per second (or None), not {rate_limit!r}"
            )
        if not max_bytes > 0:
            raise ValueError(f"max_bytes must be a positive number of bytes, not {max_bytes!r}")
        if not (max_wait >= 0 and max_total_wait >= 0):
            raise ValueError(
                f"max_wait and max_total_wait must be 0 or more seconds, not {max_wait!r} and {max_total_wait!r}"
            )
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.rate_limit = rate_limit
        self.retry_statuses = frozenset(retry_statuses)
        self.max_bytes = int(max_bytes)
        self.max_wait = float(max_wait)
        self.max_total_wait = float(max_total_wait)
        self.retry_if = retry_if
        self.session = requests.Session()
        adapter = _WatchedAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"  # the encodings _read_body decodes
        if auth is not None:
            self.session.auth = auth
        self._last = 0.0
        self.n_requests = 0  #: requests actually sent (for tests and progress)
        self.waits: list[float] = []  #: seconds waited before each retry of the last request

    def _pace(self) -> None:
        if self.rate_limit:
            wait = self._last + 1.0 / self.rate_limit - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last = time.monotonic()

    def _next_wait(self, attempt: int, resp, url: str, what: str, problem: str) -> float:
        """Seconds to wait before the next try, or a FetchError when that would be too long."""
        told = _retry_after(resp.headers.get("Retry-After")) if resp is not None else None
        if told is not None and told > self.max_wait:
            try:
                until = datetime.fromtimestamp(time.time() + told, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            except (OverflowError, ValueError, OSError):  # "Retry-After: 1e30"
                until = "a long while"
            raise FetchError(
                f"{what}: {url} answered {problem} and asks to wait {told:,.0f} s before trying again "
                f"(Retry-After), longer than the {self.max_wait:g} s cryptotrace waits at most (max_wait=), so "
                f"it stops here instead of freezing. Try again after {until}, use another server, or work "
                "offline from a cache"
            )
        wait = (
            told if told is not None else min(self.max_wait, self.backoff * (2**attempt) * (1 + 0.25 * random.random()))
        )
        spent = sum(self.waits)
        if spent + wait > self.max_total_wait:
            raise FetchError(
                f"{what}: {url} still fails after {attempt + 1} tries ({problem}); waiting {wait:.0f} s more would "
                f"bring the waiting to more than {self.max_total_wait:g} s in all (max_total_wait=), so "
                "cryptotrace stops here. Try again later, or lower rate_limit= if the server says 429"
            )
        return wait

    def request(self, method: str, url: str, *, what: str, **kwargs) -> requests.Response:
        """Send a request, trying again on temporary failures; return the final response.

        The response's body is already read (``.content``, ``.text`` and ``.json()``
        work; the connection is free). A response with a status the caller must
        interpret (404, 401 ...) is returned as is. Raises :class:`FetchError`
        after the last try (:class:`FetchTimeoutError` when the last try ran out
        of time, :class:`ResponseTooLargeError` at once for an oversized answer).
        """
        last_problem, timed_out = "", False
        self.waits = []
        for attempt in range(self.max_retries + 1):
            self._pace()
            self.n_requests += 1
            resp, problem, timed_out = self._try(method, url, what, kwargs)
            if resp is not None:
                if resp.status_code in self.retry_statuses:
                    problem = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                    if resp.status_code == 429:
                        problem += " (too many requests: the server asks us to slow down)"
                elif self.retry_if is not None and (reason := self.retry_if(resp)):
                    problem = reason
                else:
                    return resp
            last_problem = problem
            if attempt < self.max_retries:
                wait = self._next_wait(attempt, resp, url, what, problem)
                self.waits.append(wait)
                time.sleep(wait)
        tries = self.max_retries + 1
        message = f"{what}: {url} failed after {tries} tr{'y' if tries == 1 else 'ies'}: {last_problem}. "
        if timed_out:
            raise FetchTimeoutError(
                message + f"The server is slow, overloaded or stuck: try again later, use another server, or "
                f"raise timeout= (now {self.timeout:g} s for each try, answer included)"
            )
        raise FetchError(
            message + "Check the network and the server address, try again later, or raise "
            "timeout=/max_retries= (a lower rate_limit= helps when the server says 429)"
        )

    def _try(self, method, url, what, kwargs):
        """One try: ``(response with its body read, "", False)`` or ``(None, what went wrong, timed out?)``."""
        resp = None
        with _Watch(self.timeout) as watch:
            try:
                resp = self.session.request(method, url, timeout=self.timeout, stream=True, **kwargs)
                body = _read_body(resp, self.max_bytes)
            except _TooLarge as big:
                resp.close()
                size = f" (it announces {big.args[0]:,} bytes)" if big.args[0] else ""
                raise ResponseTooLargeError(
                    f"{what}: the answer from {url} is larger than {self.max_bytes:,} bytes once decompressed"
                    f"{size}; cryptotrace stopped reading it and kept nothing. A public explorer never answers "
                    "that much for one request: check that the address is the API you meant (a file download? "
                    "a hostile server?). From your own node, ask for less at a time (a smaller batch_size=, "
                    "e.g. 5 blocks); only for a server you trust, raise max_bytes="
                ) from None
            except (requests.Timeout, urllib3.exceptions.ReadTimeoutError, socket.timeout):
                return self._failed(resp, watch, f"no answer within {self.timeout:g} s (timeout)")
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                urllib3.exceptions.HTTPError,
                zlib.error,
            ) as exc:
                return self._failed(resp, watch, exc)
            except FetchError as exc:  # an encoding we cannot read: not worth another try
                resp.close()
                raise FetchError(f"{what}: {url}: {exc}") from None
            except requests.RequestException as exc:  # invalid URL and the like: no point retrying
                # (before OSError: requests' exceptions are OSErrors too)
                raise FetchError(f"{what}: the request to {url} failed: {exc}. Check the URL") from None
            except OSError as exc:  # the socket itself, e.g. shut by the deadline
                return self._failed(resp, watch, exc)
        resp._content = body  # requests' own slot for a read body: .content/.text/.json() use it
        resp._content_consumed = True
        return resp, "", False

    def _failed(self, resp, watch, problem):
        """(None, what went wrong, timed out?) after a try that broke off; the connection is closed."""
        if resp is not None:
            resp.close()
        if watch.expired:
            return (
                None,
                (
                    f"the answer was not complete within {self.timeout:g} s (timeout; the server "
                    "sends too slowly or not at all)"
                ),
                True,
            )
        if isinstance(problem, str):
            return None, problem, "timeout" in problem
        if isinstance(problem, (zlib.error, requests.exceptions.ContentDecodingError)):
            return None, "the compressed answer is damaged", False
        return None, f"the connection was lost or refused ({type(problem).__name__})", False
