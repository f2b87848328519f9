"""Where a Grafana keeps dashboards and folders: its legacy HTTP API, or the app-platform API of Grafana 12+.

The plan and the apply step speak to a `Store`, so ownership, conflict detection, normalisation and reporting
are one piece of code whichever API carries the objects:

- `LegacyStore`: `/api/folders`, `/api/search`, `/api/dashboards/uid/...` and `POST /api/dashboards/db` with
  the dashboard `version` (412 when someone saved in between). Grafana 13 deprecates it; 11.x has nothing else.
- `AppsStore`: `/apis/dashboard.grafana.app/v1beta1/namespaces/<ns>/dashboards` and the folder API,
  Kubernetes-style objects. One paged list (`limit` + `continue`) gives every dashboard with its spec, so no
  per-dashboard read is needed; an update carries the `metadata.resourceVersion` read then (409 Conflict when
  stale), `--force` sends none. Grafana drops `spec.uid`, `spec.id` and `spec.version` on write: the uid is
  `metadata.name`, and the compared form is the same as the legacy one.

`store_for` picks one from `grafana.api` (auto: the app-platform API from Grafana 12 on, by `/api/health`).
Alert rules stay on the provisioning API (`/api/v1/provisioning/...`), which Grafana 13 still serves and
documents as the way to manage Grafana-managed rules; the app-platform alerting API is not stable yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

from agentgrafana.emit import schema_v2
from agentgrafana.grafana.client import GrafanaClient, GrafanaError
from agentgrafana.grafana.normalize import OWNER_TAG
from agentgrafana.model import json_kind

SEARCH_PAGE = 1000  # hits per search page (Grafana's default; it allows up to 5000)
FOLDER_PAGE = 1000  # folders per page of GET /api/folders (Grafana's default)
APPS_PAGE = 500  # objects per page of an app-platform list (Grafana's default is 50; pages stop near 2 MiB)
MAX_PAGES = 200  # far beyond any real Grafana; a server that never ends paging is stopped
QUERY_BUDGET = 6000  # characters of uid parameters per search URL: under the 8 KiB request line many proxies allow
FOLDER_ANNOTATION = "grafana.app/folder"
MESSAGE_ANNOTATION = "grafana.app/message"
MANAGER_LABEL = ("app.kubernetes.io/managed-by", "agentgrafana")
LEGACY, APPS, AUTO = "legacy", "apps", "auto"


@dataclass(frozen=True)
class LiveDashboard:
    """A dashboard as Grafana holds it: its JSON (with its uid), folder and the token an update must carry."""

    model: dict[str, Any]
    folder_uid: str
    version: Any  # legacy: the dashboard version (int); apps: metadata.resourceVersion (str)


@dataclass(frozen=True)
class Hit:
    """A dashboard found by a listing: enough to decide whether it is ours and where it is."""

    uid: str
    title: str
    folder_uid: str
    tags: tuple[str, ...] = ()


class Store(Protocol):
    """Folders and dashboards of one Grafana, read and written through one of its APIs."""

    name: str

    def folders(self) -> dict[str, str]:
        """Top-level folder uid -> title."""
        ...

    def owned(self, folder_uids: list[str]) -> list[Hit]:
        """Dashboards carrying our tag in these folders."""
        ...

    def existing(self, uids: list[str]) -> set[str]:
        """Which of these dashboard uids exist, owned or not, in any folder."""
        ...

    def get(self, uid: str, what: str) -> LiveDashboard | None:
        """The dashboard as the plan sees it (the apps store answers from its one listing)."""
        ...

    def fresh(self, uid: str, what: str) -> LiveDashboard | None:
        """The dashboard as it is now (one read)."""
        ...

    def create_folder(self, uid: str, title: str) -> str:
        """Create a folder; returns a note for the report ('already existed' when it did)."""
        ...

    def save(self, model: dict[str, Any], folder_uid: str, version: Any, message: str, force: bool) -> str:
        """Create or update a dashboard; `version` is the live token read at plan time (None: create)."""
        ...

    def delete(self, uid: str) -> None: ...

    def folder_contents(self, uid: str) -> list[str]:
        """Titles of the dashboards and folders still in a folder (before deleting it)."""
        ...

    def delete_folder(self, uid: str, what: str) -> None: ...


class Stale(GrafanaError):
    """The live object changed since it was read (legacy 412 version-mismatch, apps 409 Conflict)."""


# --- shapes of answers ---------------------------------------------------------------------------------------
def as_list(body: Any, what: str) -> list[dict[str, Any]]:
    """A JSON list of objects, or GrafanaError naming the endpoint (never a traceback on a wrong shape)."""
    if body is None:
        return []
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise GrafanaError(f"{what}: Grafana answered with {json_kind(body)} where a list of objects was expected")
    return body


def as_object(body: Any, what: str, *required: str) -> dict[str, Any]:
    """A JSON object whose `required` keys hold objects (e.g. a dashboard's "dashboard" and "meta")."""
    if not isinstance(body, dict) or any(not isinstance(body.get(key), dict) for key in required):
        wanted = "an object" + (f" with {', '.join(required)}" if required else "")
        raise GrafanaError(f"{what}: Grafana answered with {json_kind(body)} where {wanted} was expected")
    return body


def paged(
    client: GrafanaClient, path: str, params: list[tuple[str, Any]], page_size: int, what: str
) -> list[dict[str, Any]]:
    """Every item of a `limit`/`page` listing, with the paging bounded: a page that repeats the one before
    (a server ignoring `page`) or more than MAX_PAGES pages is an error, not an endless loop."""
    found: list[dict[str, Any]] = []
    previous: list[Any] | None = None
    for page in range(1, MAX_PAGES + 1):
        items = as_list(
            client.request("GET", path, params=[*params, ("limit", page_size), ("page", page)], what=what), what
        )
        keys = [item.get("uid", item.get("id")) for item in items]
        if items and keys == previous:
            raise GrafanaError(
                f"{what}: page {page} repeats page {page - 1}: this server ignores paging "
                f"(limit/page), so the listing cannot be read completely"
            )
        found.extend(items)
        if len(items) < page_size:
            return found
        previous = keys
    raise GrafanaError(f"{what}: more than {MAX_PAGES} pages of {page_size}: stopping (is this really Grafana?)")


def _batches(values: list[str], name: str) -> Iterator[list[tuple[str, str]]]:
    """`values` as repeated `name=value` query parameters, split so that no URL gets too long."""
    batch: list[tuple[str, str]] = []
    size = 0
    for value in values:
        cost = len(name) + len(quote_plus(value)) + 2  # with '&' and '=', as requests encodes it
        if batch and size + cost > QUERY_BUDGET:
            yield batch
            batch, size = [], 0
        batch.append((name, value))
        size += cost
    if batch:
        yield batch


def _tags(value: Any) -> tuple[str, ...]:
    return tuple(str(t) for t in value) if isinstance(value, list) else ()


# --- the legacy HTTP API -------------------------------------------------------------------------------------
def dashboard_path(uid: str) -> str:
    return f"/api/dashboards/uid/{quote(uid, safe='')}"


class LegacyStore:
    name = LEGACY

    def __init__(self, client: GrafanaClient) -> None:
        self.client = client

    def folders(self) -> dict[str, str]:
        """From `GET /api/folders`, paged (`limit`, `page` from 1: Grafana's public folder API docs)."""
        listed = paged(self.client, "/api/folders", [], FOLDER_PAGE, "list of folders")
        return {str(f.get("uid")): str(f.get("title", "")) for f in listed}

    def _search(self, filters: list[tuple[str, str]], what: str) -> list[dict[str, Any]]:
        return paged(self.client, "/api/search", [("type", "dash-db"), *filters], SEARCH_PAGE, what)

    def owned(self, folder_uids: list[str]) -> list[Hit]:
        by_uid: dict[str, Hit] = {}
        for batch in _batches(folder_uids, "folderUIDs"):
            for h in self._search([("tag", OWNER_TAG), *batch], "search for owned dashboards"):
                hit = Hit(
                    str(h.get("uid")), str(h.get("title", "")), str(h.get("folderUid") or ""), _tags(h.get("tags"))
                )
                by_uid.setdefault(hit.uid, hit)
        return list(by_uid.values())

    def existing(self, uids: list[str]) -> set[str]:
        found: set[str] = set()
        wanted = set(uids)
        for batch in _batches(uids, "dashboardUIDs"):
            hits = self._search(batch, "search for generated dashboards")
            found.update(str(h.get("uid")) for h in hits if h.get("uid") in wanted)
        return found

    def get(self, uid: str, what: str) -> LiveDashboard | None:
        live = self.client.request("GET", dashboard_path(uid), what=what, missing_ok=True)
        if live is None:
            return None
        live = as_object(live, what, "dashboard", "meta")
        model = live["dashboard"]
        return LiveDashboard(model, str(live["meta"].get("folderUid") or ""), model.get("version"))

    fresh = get

    def create_folder(self, uid: str, title: str) -> str:
        try:
            self.client.request("POST", "/api/folders", body={"uid": uid, "title": title})
        except GrafanaError as exc:
            # 409: it exists after all (an earlier attempt of this request landed before the connection dropped)
            path = f"/api/folders/{quote(uid, safe='')}"
            if exc.status == 409 and self.client.request("GET", path, missing_ok=True) is not None:
                return "already existed"
            raise
        return ""

    def save(self, model: dict[str, Any], folder_uid: str, version: Any, message: str, force: bool) -> str:
        dashboard = dict(model)
        if version is not None:
            dashboard["version"] = version  # Grafana refuses (412) if someone saved since we read it
        body = {"dashboard": dashboard, "folderUid": folder_uid, "message": message, "overwrite": force}
        try:
            saved = self.client.request("POST", "/api/dashboards/db", body=body) or {}
        except GrafanaError as exc:
            if exc.status == 412 and not force and "version-mismatch" in exc.grafana_message:
                raise Stale(str(exc), status=412) from None
            raise
        return f"version {saved.get('version')}"

    def delete(self, uid: str) -> None:
        self.client.request("DELETE", dashboard_path(uid), missing_ok=True)

    def folder_contents(self, uid: str) -> list[str]:
        hits = paged(self.client, "/api/search", [("folderUIDs", uid)], SEARCH_PAGE, f"contents of folder {uid}")
        return [str(h.get("title") or h.get("uid")) for h in hits]

    def delete_folder(self, uid: str, what: str) -> None:
        path = f"/api/folders/{quote(uid, safe='')}"
        self.client.request("DELETE", path, params=[("forceDeleteRules", "false")], what=what, missing_ok=True)


# --- the app-platform API (Grafana 12+) ----------------------------------------------------------------------
class AppsStore:
    name = APPS

    def __init__(
        self, client: GrafanaClient, namespace: str = "default", version: str = "v1beta1", schema_v2: bool = False
    ) -> None:
        """`schema_v2`: dashboards go as schema v2 specs through `v2beta1` (folders stay on `version`)."""
        self.client = client
        self.namespace = namespace
        self.version = version
        self.schema_v2 = schema_v2
        self.dashboard_version = "v2beta1" if schema_v2 else version
        self._dashboards: dict[str, dict[str, Any]] | None = None

    def _path(self, group: str, version: str, plural: str, name: str = "") -> str:
        base = f"/apis/{group}/{version}/namespaces/{quote(self.namespace, safe='')}/{plural}"
        return f"{base}/{quote(name, safe='')}" if name else base

    def _dashboard_path(self, name: str = "") -> str:
        return self._path("dashboard.grafana.app", self.dashboard_version, "dashboards", name)

    def _folder_path(self, name: str = "") -> str:
        return self._path("folder.grafana.app", self.version, "folders", name)

    def _list(self, path: str, what: str) -> list[dict[str, Any]]:
        """Every item of a Kubernetes-style list, following `metadata.continue` (bounded)."""
        items: list[dict[str, Any]] = []
        token = ""
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params: list[tuple[str, Any]] = [("limit", APPS_PAGE)] + ([("continue", token)] if token else [])
            body = as_object(self.client.request("GET", path, params=params, what=what), what)
            items.extend(as_list(body.get("items"), what))
            meta = _obj(body.get("metadata"))
            token = str(meta.get("continue") or "")
            if not token:
                return items
            if token in seen:
                raise GrafanaError(f"{what}: the continue token repeats: this server's paging never ends")
            seen.add(token)
        raise GrafanaError(f"{what}: more than {MAX_PAGES} pages of {APPS_PAGE}: stopping (is this really Grafana?)")

    def _all_dashboards(self) -> dict[str, dict[str, Any]]:
        """Every dashboard object by name, read once per push (the spec comes with the list)."""
        if self._dashboards is None:
            listed = self._list(self._dashboard_path(), "list of dashboards")
            self._dashboards = {_name(d): d for d in listed if _name(d)}
        return self._dashboards

    def folders(self) -> dict[str, str]:
        out = {}
        for f in self._list(self._folder_path(), "list of folders"):
            meta = _obj(f.get("metadata"))
            if (meta.get("annotations") or {}).get(FOLDER_ANNOTATION):
                continue  # a sub-folder: ours are top level
            spec = _obj(f.get("spec"))
            out[_name(f)] = str(spec.get("title", ""))
        return out

    def owned(self, folder_uids: list[str]) -> list[Hit]:
        scope = set(folder_uids)
        hits = [self._hit(d) for d in self._all_dashboards().values()]
        return [h for h in hits if h.folder_uid in scope and OWNER_TAG in h.tags]

    def existing(self, uids: list[str]) -> set[str]:
        return set(uids) & set(self._all_dashboards())

    @staticmethod
    def _hit(obj: dict[str, Any]) -> Hit:
        spec = _obj(obj.get("spec"))
        return Hit(_name(obj), str(spec.get("title", "")), _folder(obj), _tags(spec.get("tags")))

    def _live(self, obj: dict[str, Any], what: str) -> LiveDashboard:
        obj = as_object(obj, what, "metadata", "spec")
        if self.schema_v2:  # compared through the classic view, as the build's checks read it
            try:
                model = schema_v2.from_v2(obj["spec"], _name(obj))
            except (KeyError, TypeError, schema_v2.SchemaError) as exc:
                raise GrafanaError(f"{what}: not a schema v2 dashboard this push can read ({exc!r})") from None
        else:
            model = {**obj["spec"], "uid": _name(obj)}  # Grafana keeps the uid as the name only
        return LiveDashboard(model, _folder(obj), obj["metadata"].get("resourceVersion"))

    def get(self, uid: str, what: str) -> LiveDashboard | None:
        listed = self._all_dashboards().get(uid)
        return None if listed is None else self._live(listed, what)

    def fresh(self, uid: str, what: str) -> LiveDashboard | None:
        obj = self.client.request("GET", self._dashboard_path(uid), what=what, missing_ok=True)
        return None if obj is None else self._live(obj, what)

    def create_folder(self, uid: str, title: str) -> str:
        body = {
            "apiVersion": f"folder.grafana.app/{self.version}",
            "kind": "Folder",
            "metadata": {"name": uid, "labels": dict([MANAGER_LABEL])},
            "spec": {"title": title},
        }
        try:
            self.client.request("POST", self._folder_path(), body=body, expect=(200, 201))
        except GrafanaError as exc:
            if exc.status == 409 and self.client.request("GET", self._folder_path(uid), missing_ok=True) is not None:
                return "already existed"
            raise
        return ""

    def save(self, model: dict[str, Any], folder_uid: str, version: Any, message: str, force: bool) -> str:
        uid = str(model["uid"])
        if self.schema_v2:
            spec = schema_v2.to_v2(model)
        else:
            spec = {k: v for k, v in model.items() if k not in ("id", "uid", "version")}  # Grafana drops them anyway
        annotations = {MESSAGE_ANNOTATION: message, **({FOLDER_ANNOTATION: folder_uid} if folder_uid else {})}
        metadata: dict[str, Any] = {"name": uid, "annotations": annotations, "labels": dict([MANAGER_LABEL])}
        body = {
            "apiVersion": f"dashboard.grafana.app/{self.dashboard_version}",
            "kind": "Dashboard",
            "metadata": metadata,
            "spec": spec,
        }
        what = f"dashboard {uid}"
        try:
            if version is None:
                saved = self.client.request("POST", self._dashboard_path(), body=body, what=what, expect=(200, 201))
            else:
                if not force:
                    metadata["resourceVersion"] = str(version)  # 409 Conflict if it changed since we read it
                saved = self.client.request("PUT", self._dashboard_path(uid), body=body, what=what)
        except GrafanaError as exc:
            if exc.status == 409 and not force:
                raise Stale(str(exc), status=409) from None
            raise
        meta = _obj(saved.get("metadata")) if isinstance(saved, dict) else {}
        return f"generation {meta.get('generation')}" if meta.get("generation") is not None else ""

    def delete(self, uid: str) -> None:
        self.client.request("DELETE", self._dashboard_path(uid), missing_ok=True)

    def folder_contents(self, uid: str) -> list[str]:
        what = f"contents of folder {uid}"
        left = [
            h.title or h.uid for d in self._list(self._dashboard_path(), what) if (h := self._hit(d)).folder_uid == uid
        ]
        for f in self._list(self._folder_path(), what):
            meta = _obj(f.get("metadata"))
            if (meta.get("annotations") or {}).get(FOLDER_ANNOTATION) == uid:
                left.append(_name(f))
        rules = as_list(self.client.request("GET", "/api/v1/provisioning/alert-rules", what=what), what)
        left += [f"alert rule {r.get('title')}" for r in rules if r.get("folderUID") == uid]
        return left

    def delete_folder(self, uid: str, what: str) -> None:
        self.client.request("DELETE", self._folder_path(uid), what=what, missing_ok=True)


def _obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (a field of the wrong shape reads as absent)."""
    return value if isinstance(value, dict) else {}


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def _folder(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return str(annotations.get(FOLDER_ANNOTATION) or "") if isinstance(annotations, dict) else ""


VERSION_RE = re.compile(r"^v?(\d+)\.")


def major_version(health: dict[str, Any]) -> int | None:
    """Grafana's major version from /api/health; None when hidden (`hide_version`) or unreadable."""
    m = VERSION_RE.match(str(health.get("version") or ""))
    return int(m.group(1)) if m else None


def store_for(client: GrafanaClient, api: str, namespace: str, health: dict[str, Any], schema: str = "v1") -> Store:
    """The store `grafana.api` asks for; `auto` takes the app-platform API from Grafana 12 on, and the legacy
    API below 12 or when /api/health hides the version (which every Grafana still serves). Schema v2
    dashboards exist only on the app-platform API: with `auto` they take it whatever the version says."""
    v2 = schema == "v2"
    if api == LEGACY and v2:
        raise GrafanaError(
            "grafana.dashboard_schema v2 needs the app-platform API (Grafana 12+), not grafana.api: legacy"
        )
    if api == APPS or v2:
        return AppsStore(client, namespace, schema_v2=v2)
    if api == LEGACY:
        return LegacyStore(client)
    major = major_version(health)
    return AppsStore(client, namespace) if major is not None and major >= 12 else LegacyStore(client)
