"""A stateful double of Grafana's HTTP API for tests: a real HTTP server on 127.0.0.1.

It follows /work/shared/reference/grafana-http-api.md (the facts this project relies on); where that
page is silent the behaviour follows Grafana's public HTTP API docs, and a comment says so.
Besides the API it records every request, injects faults (scripted per path, or by probability with a
seeded RNG), adds latency, and lets tests act as a user in the UI (edit a dashboard, add unowned ones).
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
NO_DATA_STATES = {"NoData", "Alerting", "OK", "KeepLast"}
EXEC_ERR_STATES = {"Error", "Alerting", "OK", "KeepLast"}
FORBIDDEN = (
    "You'll need additional permissions to perform this action. "
    "Permissions needed: any of dashboards:create, dashboards:write"
)
_DURATION_UNITS = (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


@dataclass(frozen=True)
class Fault:
    """What to do instead of answering: an HTTP status, or `drop` the connection without a response.

    `drop` closes the socket before the request is processed; `drop-after` processes it first (the
    write lands, the client never hears), the case that makes retried writes interesting.
    """

    kind: str = "status"  # status | drop | drop-after
    status: int = 503
    retry_after: str | None = None

    @staticmethod
    def http(status: int, retry_after: str | None = None) -> Fault:
        return Fault("status", status, retry_after)


DROP = Fault("drop")
DROP_AFTER = Fault("drop-after")


@dataclass
class Recorded:
    """One request as the double saw it; `status` is 0 for a dropped connection."""

    method: str
    path: str
    query: dict[str, list[str]]
    org_id: str | None
    disable_provenance: bool
    auth: str  # bearer | basic | none
    status: int = 0
    body: Any = None  # the decoded JSON body of a write (None without one)


@dataclass
class StoredDashboard:
    id: int
    model: dict[str, Any]
    folder_uid: str
    version: int
    message: str = ""
    created: str = ""
    updated: str = ""
    resource_version: str = ""  # app-platform: changes on every write, whichever API made it
    generation: int = 1  # app-platform: changes only when the spec or the folder does
    labels: dict[str, str] = field(default_factory=dict)
    schema: str = "v1"  # v2: written through dashboard.grafana.app/v2beta1, `model` is the v2 spec


@dataclass
class _Script:
    method: str | None
    path: str
    faults: deque[Fault] = field(default_factory=deque)


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def format_duration(seconds: int) -> str:
    """Prometheus' model.Duration string, which Grafana's rule API returns for `for` ("5m", "1h30m", "0s")."""
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _DURATION_UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def parse_duration(text: str) -> int:
    if text == "0":
        return 0
    pos, total = 0, 0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos or m.group(2) == "ms":
            raise ValueError(text)
        total += int(m.group(1)) * dict(_DURATION_UNITS)[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(text)
    return total


class ApiError(Exception):
    def __init__(self, status: int, body: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class GrafanaDouble:
    """Grafana as far as agentgrafana talks to it. Use as a context manager; `url` is its base URL.

    `version` is what /api/health reports (None: hidden, as with `hide_version`). From 12 on the double also
    serves the app-platform API (`/apis/dashboard.grafana.app/v1beta1/...`, `/apis/folder.grafana.app/...`;
    13 adds `v1`), over the same objects as the legacy API, following the shared reference's "App-platform API
    details": Kubernetes objects and `Status` errors, resourceVersion conflicts, `limit` + `continue` paging.
    """

    def __init__(
        self,
        *,
        token: str | None = "double-token",
        read_only_token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        latency: float = 0.0,
        version: str | None = "11.6.0",
        namespace: str = "default",
    ) -> None:
        self.version = version
        self.namespace = namespace
        self._resource_version = 1000
        self.token = token
        self.read_only_token = read_only_token
        self.user = user
        self.password = password
        self.latency = latency
        self.healthy = True
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, StoredDashboard] = {}
        self.rules: dict[str, dict[str, Any]] = {}  # uid -> stored rule, in insertion order
        self.group_intervals: dict[tuple[str, str], int] = {}
        self.requests: list[Recorded] = []
        self.errors: list[str] = []  # exceptions inside the double (should stay empty)
        self.failing_dashboards: dict[str, int] = {}
        self.max_in_flight: Counter[tuple[str, str]] = Counter()  # by (method, path), and (method, "*") for any path
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self._scripts: list[_Script] = []
        self._random: tuple[float, list[Fault], random.Random, int] | None = None
        self._consecutive: Counter[tuple[str, str]] = Counter()
        self._random_count = 0
        self._next_id = 1
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> GrafanaDouble:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GrafanaDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- faults ----------------------------------------------------------------------------------

    def script_faults(self, faults: Iterable[Fault], *, path: str, method: str | None = None) -> None:
        """The next requests whose path starts with `path` (and method matches) get these faults, in order."""
        with self._lock:
            self._scripts.append(_Script(method, path, deque(faults)))

    def random_faults(
        self, probability: float, faults: Iterable[Fault], *, seed: int = 0, max_consecutive: int = 2
    ) -> None:
        """Each request is faulted with `probability` (seeded RNG); the faults are used in turn.

        No single request (method + path + query) is faulted more than `max_consecutive` times in a row, so a
        client with enough retries always gets through: the test is about retrying, not about dice.
        """
        with self._lock:
            self._random = (probability, list(faults), random.Random(seed), max_consecutive)

    def fail_dashboard(self, uid: str, status: int = 500) -> None:
        """Every save of this dashboard uid answers `status` (a permanent server error)."""
        with self._lock:
            self.failing_dashboards[uid] = status

    def clear_faults(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._random = None
            self.failing_dashboards.clear()

    def _pick_fault(self, method: str, path: str, key: str) -> Fault | None:
        with self._lock:
            for script in self._scripts:
                if script.faults and path.startswith(script.path) and script.method in (None, method):
                    return script.faults.popleft()
            if self._random is None:
                return None
            probability, faults, rng, limit = self._random
            if rng.random() < probability and self._consecutive[(method, key)] < limit:
                self._consecutive[(method, key)] += 1
                self._random_count += 1
                return faults[(self._random_count - 1) % len(faults)]  # in turn: every kind shows up
            self._consecutive[(method, key)] = 0
            return None

    # ---- what tests look at ----------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests, optionally filtered by method and path prefix."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method) and r.path.startswith(path)]

    def writes(self) -> list[Recorded]:
        """Every request that is not a GET (answered or not)."""
        with self._lock:
            return [r for r in self.requests if r.method != "GET"]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight.clear()

    def dashboard(self, uid: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self.dashboards.get(uid)
            return copy.deepcopy(stored.model) if stored else None

    def rule_group(self, folder_uid: str, group: str) -> dict[str, Any] | None:
        with self._lock:
            return self._group_body(folder_uid, group)

    # ---- acting as a user in the UI --------------------------------------------------------------

    def add_folder(self, uid: str, title: str) -> None:
        with self._lock:
            self._create_folder({"uid": uid, "title": title})

    def add_dashboard(self, model: dict[str, Any], folder_uid: str = "", message: str = "") -> int:
        """Save a dashboard as a user would (overwriting); returns its new version."""
        with self._lock:
            saved = self._save_dashboard(
                {"dashboard": copy.deepcopy(model), "folderUid": folder_uid, "overwrite": True, "message": message}
            )
            return int(saved["version"])

    def edit_dashboard(self, uid: str, mutate: Callable[[dict[str, Any]], None]) -> int:
        """Change a stored dashboard in place, as a UI save does (version + 1); returns the new version."""
        with self._lock:
            stored = self.dashboards[uid]
            model = copy.deepcopy(stored.model)
            mutate(model)
            stored.version += 1
            model["version"] = stored.version
            stored.generation += _spec(stored.model) != _spec(model)
            stored.model = model
            stored.updated = _now()
            stored.resource_version = self._next_resource_version()
            return stored.version

    def add_rule(
        self, folder_uid: str, group: str, rule: dict[str, Any], *, interval: int = 60, provenance: str = ""
    ) -> None:
        """Store one rule directly (as the UI would), joining or starting a group."""
        with self._lock:
            self.group_intervals.setdefault((folder_uid, group), interval)
            stored = self._store_rule(rule, folder_uid, group, provenance, org_id=1)
            self.rules[stored["uid"]] = stored

    # ---- HTTP plumbing ---------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        auth = handler.headers.get("Authorization", "")
        record = Recorded(
            method,
            path,
            query,
            handler.headers.get("X-Grafana-Org-Id"),
            handler.headers.get("X-Disable-Provenance") is not None,
            auth.split(" ", 1)[0].lower() if auth else "none",
        )
        if raw:
            try:
                record.body = json.loads(raw)
            except ValueError:
                record.body = None
        keys = ((method, path), (method, "*"))
        with self._lock:
            self.requests.append(record)
            for key in keys:
                self._in_flight[key] += 1
                self.max_in_flight[key] = max(self.max_in_flight[key], self._in_flight[key])
        try:
            if self.latency:
                time.sleep(self.latency)
            fault = self._pick_fault(method, path, handler.path)
            if fault and fault.kind == "drop":
                handler.close_connection = True  # close the socket, no response at all
                return
            if fault and fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                record.status = fault.status
                _send(handler, fault.status, {"message": f"injected fault {fault.status}"}, headers)
                return
            try:
                status, body = self._route(method, path, query, raw, handler)
            except ApiError as exc:
                status, body = exc.status, exc.body
            except Exception as exc:  # a bug in the double: answer 500 and keep it for the test to see
                with self._lock:
                    self.errors.append(f"{method} {path}: {exc!r}")
                status, body = 500, {"message": f"double error: {exc!r}"}
            if fault and fault.kind == "drop-after":
                handler.close_connection = True
                return
            record.status = status
            _send(handler, status, body)
        finally:
            with self._lock:
                for key in keys:
                    self._in_flight[key] -= 1

    def _authorize(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        header = handler.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer":
            if self.token and value == self.token:
                return
            if self.read_only_token and value == self.read_only_token:
                if method != "GET":
                    raise ApiError(403, {"message": FORBIDDEN})
                return
            raise ApiError(401, {"message": "Invalid API key", "messageId": "api-key.invalid", "statusCode": 401})
        if scheme == "Basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                user, password = "", ""
            if self.user and user == self.user and password == self.password:
                return
            # Body per Grafana's public docs for a failed basic login (not on the reference page).
            raise ApiError(401, {"message": "Invalid username or password", "statusCode": 401})
        raise ApiError(401, {"message": "Unauthorized"})  # Grafana's answer without credentials (public docs)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, handler: BaseHTTPRequestHandler
    ) -> tuple[int, Any]:
        if path == "/api/health" and method == "GET":
            body = {"commit": "0000000", "database": "ok" if self.healthy else "failing"}
            if self.version is not None:
                body["version"] = self.version
            return (200 if self.healthy else 503), body
        self._authorize(handler, method)
        try:
            org_id = int(handler.headers.get("X-Grafana-Org-Id") or 1)
        except ValueError:
            raise ApiError(400, {"message": "invalid X-Grafana-Org-Id"}) from None
        with self._lock:
            if path.startswith("/apis/") and self._major() >= 12:
                return self._apps(method, path, query, raw)
            if path == "/api/folders":
                if method == "GET":
                    return 200, self._list_folders(query)
                if method == "POST":
                    return 200, self._create_folder(_json(raw, {"message": "bad request data"}))
            if m := re.fullmatch(r"/api/folders/([^/]+)", path):
                if method == "GET":
                    return 200, self._get_folder(m.group(1))
                if method == "DELETE":
                    force = (query.get("forceDeleteRules") or ["false"])[0] == "true"
                    return 200, self._delete_folder(m.group(1), force)
            if path == "/api/dashboards/db" and method == "POST":
                return 200, self._save_dashboard(_json(raw, {"message": "bad request data"}))
            if m := re.fullmatch(r"/api/dashboards/uid/([^/]+)", path):
                if method == "GET":
                    return 200, self._get_dashboard(m.group(1))
                if method == "DELETE":
                    return 200, self._delete_dashboard(m.group(1))
            if path == "/api/search" and method == "GET":
                return 200, self._search(query)
            if m := re.fullmatch(r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", path):
                if method == "GET":
                    body = self._group_body(m.group(1), m.group(2))
                    if body is None:  # the reference gives no body; Grafana answers in the alerting shape
                        raise ApiError(404, {"message": "rule group does not exist", "traceID": ""})
                    return 200, body
                if method == "PUT":
                    disable = handler.headers.get("X-Disable-Provenance") is not None
                    body = _json(raw, {"message": "bad request data", "traceID": ""})
                    return 200, self._put_group(m.group(1), m.group(2), body, "" if disable else "api", org_id)
            if path == "/api/v1/provisioning/alert-rules" and method == "GET":
                return 200, [copy.deepcopy(r) for r in self.rules.values()]
            if m := re.fullmatch(r"/api/v1/provisioning/alert-rules/([^/]+)", path):
                if method == "DELETE":
                    disable = handler.headers.get("X-Disable-Provenance") is not None
                    self._delete_rule(m.group(1), "" if disable else "api")
                    return 204, None
        raise ApiError(404, {"message": "Not found"})

    # ---- app-platform API (Grafana 12+) ---------------------------------------------------------

    def _major(self) -> int:
        m = re.match(r"^(\d+)\.", self.version or "")
        return int(m.group(1)) if m else 12  # a hidden version: a current Grafana

    def _next_resource_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    def _apps(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> tuple[int, Any]:
        versions = "v1beta1|v1|v2beta1|v2" if self._major() >= 13 else "v1beta1|v2beta1"
        m = re.fullmatch(
            rf"/apis/(dashboard|folder)\.grafana\.app/({versions})/namespaces/([^/]+)/(\w+)(?:/([^/]+))?", path
        )
        if m is None or m.group(4) != f"{m.group(1)}s":
            raise ApiError(404, status(404, "NotFound", "the server could not find the requested resource"))
        group, version, namespace, _, name = m.groups()
        kind = group.capitalize()
        if namespace != self.namespace:  # e.g. stacks-<id> sent to an OSS instance
            raise ApiError(
                404, status(404, "NotFound", f'namespaces "{namespace}" not found', namespace, "", "namespaces")
            )
        # the double serves each dashboard in the schema it was written in (Grafana converts between them)
        api = {
            "group": f"{group}.grafana.app",
            "version": version,
            "schema": "v2" if version.startswith("v2") else "v1",
        }
        if name is None and method == "GET":
            return 200, self._apps_list(kind, api, query)
        if name is None and method == "POST":
            return 201, self._apps_write(kind, api, _json(raw, status(400, "BadRequest", "invalid JSON")), None)
        if name is not None and method == "GET":
            return 200, self._apps_get(kind, api, name)
        if name is not None and method == "PUT":
            body = _json(raw, status(400, "BadRequest", "invalid JSON"))
            existed = name in (self.dashboards if kind == "Dashboard" else self.folders)
            return (200 if existed else 201), self._apps_write(kind, api, body, name)
        if name is not None and method == "DELETE":
            return 200, self._apps_delete(kind, api, name)
        raise ApiError(405, status(405, "MethodNotAllowed", f"{method} is not supported"))

    def _apps_object(self, kind: str, api: dict[str, str], name: str) -> dict[str, Any]:
        if kind == "Folder":
            f = self.folders[name]
            annotations = {"grafana.app/folder": f["parentUid"]} if f.get("parentUid") else {}
            return {
                "apiVersion": f"{api['group']}/{api['version']}",
                "kind": "Folder",
                "metadata": {
                    "name": name,
                    "namespace": self.namespace,
                    "resourceVersion": f.get("resourceVersion", "1"),
                    "generation": f.get("version", 1),
                    "annotations": annotations,
                    "labels": dict(f.get("labels") or {}),
                },
                "spec": {"title": f["title"]},
            }
        d = self.dashboards[name]
        annotations = {
            "grafana.app/createdBy": "user:admin",
            "grafana.app/updatedBy": "user:admin",
            "grafana.app/updatedTimestamp": d.updated,
        }
        if d.folder_uid:
            annotations["grafana.app/folder"] = d.folder_uid
        if d.message:
            annotations["grafana.app/message"] = d.message
        # Grafana keeps the uid as the name and the id as a label, and drops them (and version) from the spec
        spec = d.model if d.schema == "v2" else {k: v for k, v in d.model.items() if k not in ("id", "uid", "version")}
        return {
            "apiVersion": f"{api['group']}/{api['version']}",
            "kind": "Dashboard",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "resourceVersion": d.resource_version,
                "generation": d.generation,
                "creationTimestamp": d.created,
                "annotations": annotations,
                "labels": {**d.labels, "grafana.app/deprecatedInternalID": str(d.id)},
            },
            "spec": copy.deepcopy(spec),
        }

    def _apps_list(self, kind: str, api: dict[str, str], query: dict[str, list[str]]) -> dict[str, Any]:
        if kind == "Dashboard":
            names = sorted(n for n, d in self.dashboards.items() if d.schema == api["schema"])
        else:
            names = sorted(self.folders)
        try:
            limit = int((query.get("limit") or ["50"])[0])
            start = int(base64.urlsafe_b64decode((query.get("continue") or [""])[0] or "MA==").decode())
        except ValueError:
            raise ApiError(400, status(400, "BadRequest", "invalid continue token or limit")) from None
        page = names[start : start + max(limit, 1)]
        meta: dict[str, Any] = {"resourceVersion": str(self._resource_version)}
        if start + len(page) < len(names):
            meta["continue"] = base64.urlsafe_b64encode(str(start + len(page)).encode()).decode()
        return {
            "apiVersion": f"{api['group']}/{api['version']}",
            "kind": f"{kind}List",
            "metadata": meta,
            "items": [self._apps_object(kind, api, n) for n in page],
        }

    def _apps_get(self, kind: str, api: dict[str, str], name: str) -> dict[str, Any]:
        store = self.dashboards if kind == "Dashboard" else self.folders
        if name not in store:
            plural = kind.lower() + "s"
            raise ApiError(
                404, status(404, "NotFound", f'{plural}.{api["group"]} "{name}" not found', name, api["group"], plural)
            )
        return self._apps_object(kind, api, name)

    def _apps_invalid(self, api: dict[str, str], kind: str, name: str, message: str, code: int = 400) -> ApiError:
        reason = {400: "BadRequest", 422: "Invalid"}.get(code, "Invalid")
        return ApiError(code, status(code, reason, message, name, api["group"], kind.lower() + "s"))

    def _apps_write(self, kind: str, api: dict[str, str], body: Any, path_name: str | None) -> dict[str, Any]:
        """Create (POST, or PUT to a missing name) or update (PUT) one object, as the app-platform does."""
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("metadata"), dict)
            or not isinstance(body.get("spec"), dict)
        ):
            raise self._apps_invalid(api, kind, path_name or "", "the object needs metadata and spec")
        if body.get("kind") != kind or body.get("apiVersion") != f"{api['group']}/{api['version']}":
            raise self._apps_invalid(
                api, kind, path_name or "", f"expected kind {kind}, apiVersion {api['group']}/{api['version']}"
            )
        meta, spec = body["metadata"], copy.deepcopy(body["spec"])
        name = str(meta.get("name") or "")
        if path_name is not None and name != path_name:
            raise self._apps_invalid(api, kind, name, "the name of the object does not match the name on the URL")
        if not UID_RE.match(name):
            raise self._apps_invalid(api, kind, name, "metadata.name: must be 1 to 40 letters, digits, '-' or '_'")
        if not str(spec.get("title") or "").strip():
            raise self._apps_invalid(api, kind, name, "spec.title: Required value")
        annotations = meta.get("annotations") or {}
        message = str(annotations.get("grafana.app/message") or "")
        if len(message) > 500:
            raise self._apps_invalid(api, kind, name, "grafana.app/message: must be at most 500 characters")
        folder_uid = str(annotations.get("grafana.app/folder") or "")
        if folder_uid and folder_uid not in self.folders:
            raise ApiError(
                404,
                status(
                    404,
                    "NotFound",
                    f'folders.folder.grafana.app "{folder_uid}" not found',
                    folder_uid,
                    "folder.grafana.app",
                    "folders",
                ),
            )
        store = self.dashboards if kind == "Dashboard" else self.folders
        existing = store.get(name)
        given = meta.get("resourceVersion")
        plural = kind.lower() + "s"
        if path_name is None:  # POST: a create
            if given:
                raise self._apps_invalid(api, kind, name, "resourceVersion should not be set on objects to be created")
            if existing is not None:
                raise ApiError(
                    409,
                    status(
                        409,
                        "AlreadyExists",
                        f'{plural}.{api["group"]} "{name}" already exists',
                        name,
                        api["group"],
                        plural,
                    ),
                )
        current = (
            None
            if existing is None
            else (existing.resource_version if kind == "Dashboard" else existing.get("resourceVersion"))
        )
        if existing is not None and given and str(given) != current:
            raise ApiError(
                409,
                status(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {plural}.{api["group"]} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    name,
                    api["group"],
                    plural,
                ),
            )
        if kind == "Folder":
            if existing is None:
                self._create_folder({"uid": name, "title": spec["title"], "parentUid": folder_uid})
            else:
                existing.update(title=spec["title"], version=existing["version"] + 1, updated=_now())
            folder = self.folders[name]
            folder["resourceVersion"] = self._next_resource_version()
            folder["labels"] = dict(meta.get("labels") or {})
            return self._apps_object(kind, api, name)
        if api["schema"] == "v1" and int(spec.get("schemaVersion") or 0) > 42:
            raise self._apps_invalid(
                api,
                kind,
                name,
                f"spec.schemaVersion {spec.get('schemaVersion')} is newer than this Grafana knows (42)",
                422,
            )
        if api["schema"] == "v2" and (not isinstance(spec.get("elements"), dict) or "layout" not in spec):
            raise self._apps_invalid(api, kind, name, "spec: a v2 dashboard needs elements and a layout")
        for key in ("id", "uid", "version"):
            spec.pop(key, None)
        version = existing.version + 1 if existing else 1
        dash_id = existing.id if existing else self._take_id()
        model = spec if api["schema"] == "v2" else {**spec, "id": dash_id, "uid": name, "version": version}
        changed = existing is None or _spec(existing.model) != spec or existing.folder_uid != folder_uid
        self.dashboards[name] = StoredDashboard(
            id=dash_id,
            model=model,
            folder_uid=folder_uid,
            version=version,
            message=message,
            created=existing.created if existing else _now(),
            updated=_now(),
            resource_version=self._next_resource_version(),
            generation=(existing.generation + changed) if existing else 1,
            labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
            schema=api["schema"],
        )
        return self._apps_object(kind, api, name)

    def _apps_delete(self, kind: str, api: dict[str, str], name: str) -> dict[str, Any]:
        self._apps_get(kind, api, name)  # 404 when missing
        if kind == "Folder":
            self._delete_folder(name, False)
        else:
            del self.dashboards[name]
        return status(200, "", "", name, api["group"], kind.lower() + "s")

    # ---- folders ---------------------------------------------------------------------------------

    def _folder_json(self, f: dict[str, Any]) -> dict[str, Any]:
        return {**f, "url": f"/dashboards/f/{f['uid']}/{slugify(f['title'])}"}

    def _list_folders(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        # The direct children of `parentUid` (top-level folders without it), paged by `limit` (default 1000)
        # and `page` (from 1): per Grafana's public folder API docs; the reference page gives no parameters.
        parent = (query.get("parentUid") or [""])[0]
        limit = int((query.get("limit") or ["1000"])[0])
        page = max(int((query.get("page") or ["1"])[0]), 1)
        folders = sorted(
            (f for f in self.folders.values() if f.get("parentUid", "") == parent),
            key=lambda f: (f["title"].lower(), f["uid"]),
        )
        return [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in folders][
            (page - 1) * limit : page * limit
        ]

    def _get_folder(self, uid: str) -> dict[str, Any]:
        if uid not in self.folders:
            raise ApiError(404, {"status": "not-found", "message": "folder not found"})
        return self._folder_json(self.folders[uid])

    def _create_folder(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not str(body.get("title") or "").strip():
            raise ApiError(400, {"message": "folder title cannot be empty"})
        uid = str(body.get("uid") or f"f{self._next_id:08d}")
        if not UID_RE.match(uid):
            raise ApiError(400, {"message": "uid contains illegal characters"})
        # 409 on an existing uid. Grafana up to 11.2 also refused an existing title; the project targets 11.6.
        if uid in self.folders:
            raise ApiError(409, {"message": "a folder with the same uid already exists"})
        folder = {
            "id": self._take_id(),
            "uid": uid,
            "title": body["title"],
            "version": 1,
            "created": _now(),
            "updated": _now(),
        }
        if body.get("parentUid"):
            folder["parentUid"] = body["parentUid"]
        self.folders[uid] = folder
        return self._folder_json(folder)

    def _delete_folder(self, uid: str, force_rules: bool) -> dict[str, Any]:
        # Per the reference: 400 while it holds alert rules unless forceDeleteRules=true. As Grafana does, the
        # folder's dashboards, rules and sub-folders go with it.
        if uid not in self.folders:
            raise ApiError(404, {"status": "not-found", "message": "folder not found"})
        doomed = {uid}
        while True:  # sub-folders, any depth
            more = {f["uid"] for f in self.folders.values() if f.get("parentUid") in doomed} - doomed
            if not more:
                break
            doomed |= more
        if not force_rules and any(r["folderUID"] in doomed for r in self.rules.values()):
            raise ApiError(400, {"message": "folder cannot be deleted: it contains alert rules"})
        folder = self.folders[uid]
        for f in doomed:
            self.folders.pop(f, None)
        for d in [d for d, stored in self.dashboards.items() if stored.folder_uid in doomed]:
            del self.dashboards[d]
        for r in [r for r, rule in self.rules.items() if rule["folderUID"] in doomed]:
            del self.rules[r]
        return {"message": "Folder deleted", "id": folder["id"]}

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    # ---- dashboards ------------------------------------------------------------------------------

    def _save_dashboard(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            raise ApiError(400, {"message": "bad request data"})
        dash = copy.deepcopy(body["dashboard"])
        title = str(dash.get("title") or "").strip()
        if not title:
            raise ApiError(400, {"status": "empty-name", "message": "Dashboard title cannot be empty"})
        uid = str(dash.get("uid") or f"d{self._next_id:08d}")
        if len(uid) > 40:  # message from Grafana's dashboards/errors.go as published
            raise ApiError(400, {"status": "uid-too-long", "message": "uid too long, max 40 characters"})
        if not UID_RE.match(uid):
            raise ApiError(400, {"status": "invalid-uid", "message": "uid contains illegal characters"})
        if len(str(body.get("message") or "")) > 500:  # limit from the reference; the error text is ours
            raise ApiError(400, {"message": "message too long, max 500 characters"})
        folder_uid = str(body.get("folderUid") or "")
        if folder_uid and folder_uid not in self.folders:
            raise ApiError(400, {"message": "Folder not found"})
        if uid in self.failing_dashboards:
            raise ApiError(self.failing_dashboards[uid], {"message": "Internal Server Error"})
        existing = self.dashboards.get(uid)
        overwrite = bool(body.get("overwrite"))
        if existing and not overwrite and dash.get("version") != existing.version:
            raise ApiError(
                412, {"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}
            )
        # Duplicate titles in a folder are allowed from 11.3 on, so no "name-exists" check (target: 11.6).
        version = existing.version + 1 if existing else 1
        dash_id = existing.id if existing else self._take_id()
        dash.update(id=dash_id, uid=uid, version=version)
        changed = existing is None or _spec(existing.model) != _spec(dash) or existing.folder_uid != folder_uid
        self.dashboards[uid] = StoredDashboard(
            id=dash_id,
            model=dash,
            folder_uid=folder_uid,
            version=version,
            message=str(body.get("message") or ""),
            created=existing.created if existing else _now(),
            updated=_now(),
            resource_version=self._next_resource_version(),
            generation=(existing.generation + changed) if existing else 1,
            labels=dict(existing.labels) if existing else {},
        )
        slug = slugify(title)
        return {
            "id": dash_id,
            "uid": uid,
            "url": f"/d/{uid}/{slug}",
            "status": "success",
            "version": version,
            "slug": slug,
        }

    def _get_dashboard(self, uid: str) -> dict[str, Any]:
        stored = self.dashboards.get(uid)
        if stored is None:
            raise ApiError(404, {"status": "not-found", "message": "Dashboard not found"})
        folder = self.folders.get(stored.folder_uid)
        slug = slugify(stored.model["title"])
        meta = {
            "type": "db",
            "canSave": True,
            "canEdit": True,
            "canAdmin": True,
            "canStar": True,
            "canDelete": True,
            "slug": slug,
            "url": f"/d/{uid}/{slug}",
            "expires": "0001-01-01T00:00:00Z",
            "created": stored.created,
            "updated": stored.updated,
            "updatedBy": "admin",
            "createdBy": "admin",
            "version": stored.version,
            "hasAcl": False,
            "isFolder": False,
            "folderId": folder["id"] if folder else 0,
            "folderUid": stored.folder_uid,
            "folderTitle": folder["title"] if folder else "General",
            "folderUrl": self._folder_json(folder)["url"] if folder else "",
            "provisioned": False,
            "provisionedExternalId": "",
        }
        return {"dashboard": copy.deepcopy(stored.model), "meta": meta}

    def _delete_dashboard(self, uid: str) -> dict[str, Any]:
        stored = self.dashboards.pop(uid, None)
        if stored is None:
            raise ApiError(404, {"status": "not-found", "message": "Dashboard not found"})
        title = stored.model["title"]
        return {"title": title, "message": f"Dashboard {title} deleted", "id": stored.id}

    def _search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        kind = (query.get("type") or [""])[0]
        text = (query.get("query") or [""])[0].lower()
        tags = set(query.get("tag", []))
        folder_uids = set(query.get("folderUIDs", []))
        dashboard_uids = set(query.get("dashboardUIDs", []))
        limit = min(int((query.get("limit") or ["1000"])[0]), 5000)
        page = max(int((query.get("page") or ["1"])[0]), 1)
        hits: list[dict[str, Any]] = []
        if kind in ("", "dash-folder") and not tags:  # folders carry no tags
            for f in self.folders.values():
                if (
                    (not text or text in f["title"].lower())
                    and (not dashboard_uids or f["uid"] in dashboard_uids)
                    and (not folder_uids or f.get("parentUid", "") in folder_uids)
                ):
                    hits.append(
                        {
                            "id": f["id"],
                            "uid": f["uid"],
                            "title": f["title"],
                            "url": self._folder_json(f)["url"],
                            "type": "dash-folder",
                            "tags": [],
                            "isStarred": False,
                            "slug": slugify(f["title"]),
                        }
                    )
        if kind in ("", "dash-db"):
            for uid, d in self.dashboards.items():
                dash_tags = list(d.model.get("tags") or [])
                if text and text not in d.model["title"].lower():
                    continue
                if not tags <= set(dash_tags):  # several tags: a dashboard must have all of them (public docs)
                    continue
                if folder_uids and d.folder_uid not in folder_uids:
                    continue
                if dashboard_uids and uid not in dashboard_uids:
                    continue
                hit = {
                    "id": d.id,
                    "uid": uid,
                    "title": d.model["title"],
                    "url": f"/d/{uid}/{slugify(d.model['title'])}",
                    "type": "dash-db",
                    "tags": dash_tags,
                    "isStarred": False,
                    "slug": slugify(d.model["title"]),
                }
                folder = self.folders.get(d.folder_uid)
                if folder:
                    hit.update(
                        folderUid=folder["uid"], folderTitle=folder["title"], folderUrl=self._folder_json(folder)["url"]
                    )
                hits.append(hit)
        hits.sort(key=lambda h: (h["title"].lower(), h["uid"]))
        return hits[(page - 1) * limit : page * limit]

    # ---- alert rules -----------------------------------------------------------------------------

    def _group_body(self, folder_uid: str, group: str) -> dict[str, Any] | None:
        rules = [
            copy.deepcopy(r) for r in self.rules.values() if r["folderUID"] == folder_uid and r["ruleGroup"] == group
        ]
        if not rules:
            return None
        return {
            "title": group,
            "folderUid": folder_uid,
            "interval": self.group_intervals[(folder_uid, group)],
            "rules": rules,
        }

    def _validate_rule(self, rule: Any) -> None:
        def bad(message: str) -> ApiError:
            return ApiError(400, {"message": f"invalid alert rule: {message}", "traceID": ""})

        if not isinstance(rule, dict):
            raise bad("not an object")
        title = rule.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 190:
            raise bad("title must be 1 to 190 characters")
        data = rule.get("data")
        if not isinstance(data, list) or not data:
            raise bad("no queries or expressions are found")
        ref_ids = [q.get("refId") for q in data if isinstance(q, dict)]
        if rule.get("condition") not in ref_ids:  # Grafana checks the condition names a query (public docs)
            raise bad(f"condition {rule.get('condition')!r} does not exist, must be one of {ref_ids}")
        if rule.get("noDataState") not in NO_DATA_STATES:
            raise bad(f"unknown noDataState {rule.get('noDataState')!r}")
        if rule.get("execErrState") not in EXEC_ERR_STATES:
            raise bad(f"unknown execErrState {rule.get('execErrState')!r}")
        duration = rule.get("for")
        try:
            if not isinstance(duration, str):  # Grafana decodes `for` as a duration string only
                raise ValueError(duration)
            parse_duration(duration)
        except ValueError:
            raise bad(f"cannot parse 'for' {duration!r}") from None
        if rule.get("uid") is not None and not UID_RE.match(str(rule["uid"])):
            raise bad("uid must be 1 to 40 letters, digits, '-' or '_'")

    def _check_provenance(self, stored: dict[str, Any], provenance: str) -> None:
        # A stored rule with a provenance can only be changed with that same provenance (newer Grafana: 403).
        if stored["provenance"] and stored["provenance"] != provenance:
            raise ApiError(
                403,
                {
                    "message": f"cannot change provenance from '{stored['provenance']}' to '{provenance}'",
                    "messageId": "alerting.notifications.invalidProvenance",
                    "traceID": "",
                },
            )

    def _store_rule(
        self, rule: dict[str, Any], folder_uid: str, group: str, provenance: str, org_id: int
    ) -> dict[str, Any]:
        uid = str(rule.get("uid") or f"r{self._next_id:08d}")
        previous = self.rules.get(uid)
        return {
            "id": previous["id"] if previous else self._take_id(),
            "uid": uid,
            "orgID": org_id,
            "folderUID": folder_uid,  # the path's folder and group win over the body
            "ruleGroup": group,
            "title": rule["title"],
            "condition": rule["condition"],
            "data": copy.deepcopy(rule["data"]),
            "updated": _now(),
            "noDataState": rule["noDataState"],
            "execErrState": rule["execErrState"],
            "for": format_duration(parse_duration(rule["for"])),
            "annotations": copy.deepcopy(rule.get("annotations") or {}),
            "labels": copy.deepcopy(rule.get("labels") or {}),
            "isPaused": bool(rule.get("isPaused", False)),
            "notification_settings": rule.get("notification_settings"),
            "record": rule.get("record"),
            "provenance": provenance,
        }

    def _put_group(self, folder_uid: str, group: str, body: Any, provenance: str, org_id: int) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, {"message": "bad request data", "traceID": ""})
        if folder_uid not in self.folders:  # status per Grafana's public docs; the text is ours
            raise ApiError(400, {"message": f"folder {folder_uid} does not exist", "traceID": ""})
        interval = body.get("interval")
        if not isinstance(interval, int) or isinstance(interval, bool) or interval <= 0 or interval % 10:
            raise ApiError(
                400, {"message": f"invalid interval {interval!r}: must be > 0 and a multiple of 10 s", "traceID": ""}
            )
        rules = body.get("rules")
        if not isinstance(rules, list):
            raise ApiError(400, {"message": "bad request data", "traceID": ""})
        for rule in rules:
            self._validate_rule(rule)
        current = {uid for uid, r in self.rules.items() if r["folderUID"] == folder_uid and r["ruleGroup"] == group}
        incoming = {str(r["uid"]) for r in rules if r.get("uid")}
        for uid in current | (incoming & set(self.rules)):
            self._check_provenance(self.rules[uid], provenance)
        for uid in current - incoming:  # the whole group is replaced: rules not in the body go
            del self.rules[uid]
        for rule in rules:
            stored = self._store_rule(rule, folder_uid, group, provenance, org_id)
            self.rules[stored["uid"]] = stored
        if rules:
            self.group_intervals[(folder_uid, group)] = interval
        return self._group_body(folder_uid, group) or {
            "title": group,
            "folderUid": folder_uid,
            "interval": interval,
            "rules": [],
        }

    def _delete_rule(self, uid: str, provenance: str) -> None:
        # 204 whether or not the rule existed: the reference documents only 204 for this endpoint.
        stored = self.rules.get(uid)
        if stored is not None:
            self._check_provenance(stored, provenance)
            del self.rules[uid]


def _spec(model: dict[str, Any]) -> dict[str, Any]:
    """A dashboard without the fields the server sets (what `generation` follows)."""
    return {k: v for k, v in model.items() if k not in ("id", "uid", "version")}


def status(code: int, reason: str, message: str, name: str = "", group: str = "", kind: str = "") -> dict[str, Any]:
    """A Kubernetes `Status` object, as the app-platform API answers errors (and deletes)."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success" if code < 400 else "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if name or group or kind:
        body["details"] = {"name": name, "group": group, "kind": kind}
    return body


def _json(raw: bytes, error: dict[str, Any]) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, error) from None


def _send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    handler.send_response(status)
    if data:
        handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if data:
        handler.wfile.write(data)


def _handler_for(double: GrafanaDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Grafana (and the connection pool) expect
        wbufsize = -1  # headers and body leave in one write (flushed after each request)
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            double._serve(self, "GET")

        def do_POST(self) -> None:
            double._serve(self, "POST")

        def do_PUT(self) -> None:
            double._serve(self, "PUT")

        def do_DELETE(self) -> None:
            double._serve(self, "DELETE")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
