"""The HTTP client for Grafana: authentication, TLS, timeouts, retries and error messages in one place.

Retries use urllib3's `Retry` mounted on a `requests` adapter: exponential backoff with jitter on
connection errors, dropped connections and HTTP 429/502/503/504 (honouring `Retry-After`, capped),
for every method - our writes are idempotent (whole-group PUT, dashboard save by uid, delete by uid).
Other 4xx are never retried. A small subclass only adds a retry counter for the report and narrows
the statuses where `Retry-After` alone triggers a retry to 429 and 503 (urllib3 also includes 413,
which Grafana uses for "dashboard too large": retrying that cannot help).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from agentgrafana.grafana.settings import GrafanaSettings

log = logging.getLogger("agentgrafana.grafana")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_HINTS = {
    401: " (Grafana rejected the credentials: check GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD)",
    403: " (the credentials lack a permission this needs)",
    **{code: " (Grafana redirected: check --url, e.g. https:// or a sub-path)" for code in (301, 302, 307, 308)},
}
USER_AGENT = "agentgrafana"
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a 1,000-dashboard search is ~1 MB; far more is a broken or hostile server
_MESSAGE_CHARS = 200
T = TypeVar("T")
R = TypeVar("R")


class GrafanaError(Exception):
    """A Grafana request failed. The text names the object, the HTTP status and Grafana's message."""

    def __init__(self, text: str, *, status: int | None = None, grafana_message: str = "") -> None:
        super().__init__(text)
        self.status = status
        self.grafana_message = grafana_message


class GrafanaUnreachable(GrafanaError):
    """No HTTP answer at all: connection refused, timeout, TLS failure, dropped connections."""

    def __init__(self, text: str, *, reason: str = "") -> None:
        super().__init__(text)
        self.reason = reason or text


class GrafanaUnhealthy(GrafanaError):
    """Grafana answered /api/health but is not healthy (or is not Grafana)."""


class RequestStats:
    """Thread-safe counts of logical HTTP requests by method, and of retried attempts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_method: Counter[str] = Counter()
        self.retries = 0

    def count(self, method: str) -> None:
        with self._lock:
            self.by_method[method] += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        return sum(self.by_method.values())


class _CountingRetry(Retry):
    RETRY_AFTER_STATUS_CODES = frozenset({429, 503})

    def __init__(self, *args: Any, on_retry: Callable[[], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_retry = on_retry

    def new(self, **kw: Any) -> _CountingRetry:
        fresh = super().new(**kw)
        fresh.on_retry = self.on_retry
        return fresh

    def increment(self, *args: Any, **kwargs: Any) -> _CountingRetry:
        fresh = super().increment(*args, **kwargs)  # raises MaxRetryError when exhausted
        if self.on_retry:
            self.on_retry()
        return fresh


class _BearerToken(AuthBase):
    """Sends `Authorization: Bearer <token>`.

    As the session's auth (rather than a default header) it also stops requests from looking in
    ~/.netrc on every request: a netrc entry for the Grafana host would otherwise replace the token
    with basic auth, and the look-up costs two file-system calls per request.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerToken(***)"


def _grafana_message(response: requests.Response, content: bytes, scrub: Callable[[str], str]) -> str:
    """Grafana's own explanation from an error body ({"message": ...}), else a short text.

    Scrubbed before it is shortened: cutting first could leave the start of an echoed secret whole.
    """
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        text = scrub(" ".join(content.decode("utf-8", errors="replace").split()))
        return _shorten(text) or str(response.reason or "")
    if isinstance(body, dict) and body.get("message"):
        # a Kubernetes Status (the app-platform API) says why in `reason`; the legacy API in `status`
        status = body.get("reason") if body.get("kind") == "Status" else body.get("status")
        message = f"{body['message']} ({status})" if isinstance(status, str) and status else str(body["message"])
        return _shorten(scrub(" ".join(message.split())))
    return str(response.reason or "")


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "..."


def _read_body(response: requests.Response, what: str) -> bytes:
    """The whole body, refusing (without reading on) one larger than MAX_RESPONSE_BYTES."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        response.close()
        raise GrafanaError(
            f"{what}: the answer is {int(declared):,} bytes, over the {MAX_RESPONSE_BYTES:,}-byte "
            "limit (is this really Grafana?)",
            status=response.status_code,
        )
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            response.close()
            raise GrafanaError(
                f"{what}: the answer is over the {MAX_RESPONSE_BYTES:,}-byte limit (is this really Grafana?)",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _transport_reason(exc: requests.RequestException) -> str:
    """A short, readable cause for a request that got no HTTP answer."""
    cause: Any = exc.args[0] if exc.args else exc
    if isinstance(cause, MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    text = re.sub(r"<[^>]* object at 0x[0-9a-f]+>:?\s*", "", str(cause))
    text = re.sub(r"^\w+Pool\(host=[^)]*\):\s*", "", text)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        text += " (pass --ca-bundle with the CA that signed Grafana's certificate)"
    return text


class GrafanaClient:
    """Talks JSON to one Grafana. Safe to use from several threads (one Session per thread).

    `map` runs requests in parallel on one pool of `settings.concurrency` threads that lives as long as
    the client, so every phase of a push reuses the same threads, sessions and kept-alive connections.
    """

    def __init__(self, settings: GrafanaSettings) -> None:
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        self.stats = RequestStats()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"GrafanaClient({self.base_url!r})"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._new_session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _new_session(self) -> requests.Session:
        s = self.settings
        retry = _CountingRetry(
            total=s.retries,
            connect=s.retries,
            read=s.retries,
            status=s.retries,
            other=0,
            redirect=0,
            allowed_methods=None,  # every method: our writes are idempotent
            status_forcelist=RETRY_STATUSES,
            backoff_factor=s.backoff_factor,
            backoff_jitter=s.backoff_jitter,
            backoff_max=s.backoff_max,
            retry_after_max=s.retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,  # hand back the last answer so its status and message can be reported
            on_retry=self.stats.count_retry,
        )
        session = requests.Session()
        session.trust_env = False  # proxies, CA bundle and credentials come from the checked settings only
        if s.proxy:
            session.proxies = {"http": s.proxy, "https": s.proxy}
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(s.concurrency, 1))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if s.token:
            session.auth = _BearerToken(s.token)
        elif s.user:
            session.auth = (s.user, s.password or "")
        if s.org_id is not None:
            session.headers["X-Grafana-Org-Id"] = str(s.org_id)
        return session

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`, at most `settings.concurrency` at a time; results in input order.

        The first exception (in input order) propagates; calls not yet started are then cancelled. Do not
        call `map` from inside `fn`: the pool is bounded, so nesting could wait on itself.
        """
        if self.settings.concurrency <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="agentgrafana")
            pool = self._pool
        return list(pool.map(fn, items))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def __enter__(self) -> GrafanaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str = "",
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: Iterable[int] = (200,),
        missing_ok: bool = False,
    ) -> Any:
        """Send one request; return the decoded JSON body (None when empty, or on 404 if `missing_ok`).

        Raise GrafanaUnreachable when no answer came, GrafanaError for any unexpected status.
        `what` names the object for error messages, e.g. 'dashboard "Agent Overview" (agent-overview)'.
        """
        what = what or f"{method} {path}"
        self.stats.count(method)
        response: requests.Response | None = None
        try:
            response = self._session().request(
                method,
                self.base_url + path,
                params=params,
                json=body,
                headers=headers,
                timeout=self.settings.timeout,
                verify=self.settings.verify,
                allow_redirects=False,
                stream=True,  # read by `_read_body`, which caps the size
            )
            content = _read_body(response, what) if not (missing_ok and response.status_code == 404) else b""
        except requests.RequestException as exc:
            reason = self.settings.scrub(_transport_reason(exc))
            raise GrafanaUnreachable(
                f"{what}: Grafana at {self.base_url} did not answer: {reason}", reason=reason
            ) from None
        finally:
            if response is not None:
                response.close()
        log.debug("%s %s -> %s", method, path, response.status_code)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code not in tuple(expect):
            message = _grafana_message(response, content, self.settings.scrub)
            hint = _HINTS.get(response.status_code, "")
            raise GrafanaError(
                f"{what}: HTTP {response.status_code}: {message}{hint}",
                status=response.status_code,
                grafana_message=message,
            )
        if not content:
            return None
        try:
            return orjson.loads(content)  # refuses nesting over 1,024 levels instead of recursing
        except orjson.JSONDecodeError:
            raise GrafanaError(
                f"{what}: HTTP {response.status_code} with a body that is not JSON (or nests too deeply) "
                f"(is {self.base_url} really Grafana?)",
                status=response.status_code,
            ) from None

    def health(self) -> dict[str, Any]:
        """GET /api/health (no auth needed); raise GrafanaUnreachable or GrafanaUnhealthy with a clear message."""
        try:
            body = self.request("GET", "/api/health", what="health check", expect=(200, 503))
        except GrafanaUnreachable as exc:
            raise GrafanaUnreachable(f"Grafana at {self.base_url} is unreachable: {exc.reason}") from None
        except GrafanaError as exc:
            if exc.status == 503:
                raise GrafanaUnhealthy(f"Grafana at {self.base_url} is unavailable (HTTP 503)", status=503) from None
            raise GrafanaUnhealthy(
                f"{self.base_url} does not look like Grafana: GET /api/health gave HTTP {exc.status} ({exc})",
                status=exc.status,
            ) from None
        database = body.get("database") if isinstance(body, dict) else None
        if database != "ok":
            raise GrafanaUnhealthy(
                f"Grafana at {self.base_url} is unhealthy: its database is {database or 'unknown'!s}"
            )
        return body
