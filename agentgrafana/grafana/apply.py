"""Carry out a plan against Grafana; `push` runs health check, plan and apply in one call.

Writes go folders first (dashboards and rule groups need them), then dashboards, then rule groups
(their rules may link to dashboards), then prunes. Folders, dashboards and dashboard deletes go in
parallel, bounded by the settings' concurrency (our folders are top level, so no folder waits for
another); rule groups go one at a time, as a rule moving between groups touches two of them.
One object failing does not stop the others; a lost connection or rejected credentials do, and what
was not attempted is reported as failed. Every write is safe to repeat, so a re-run finishes the job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from agentgrafana.grafana.client import GrafanaClient, GrafanaError, GrafanaUnreachable
from agentgrafana.grafana.plan import (
    CONFLICT,
    CREATE,
    DASHBOARD,
    DELETE,
    FOLDER,
    RULE_GROUP,
    UPDATE,
    Change,
    Plan,
    PushOptions,
    compared_dashboard,
    make_plan,
    rule_group_path,
)
from agentgrafana.grafana.report import ObjectResult, PushReport
from agentgrafana.grafana.settings import GrafanaSettings
from agentgrafana.grafana.stores import LegacyStore, Stale, Store, store_for
from agentgrafana.model import Build

OnResult = Callable[[ObjectResult], None]
_DONE = {CREATE: "created", UPDATE: "updated", DELETE: "deleted"}


class _Run:
    """Collects results (thread-safe), tells the caller about each, and remembers why to stop early."""

    def __init__(self, on_result: OnResult | None) -> None:
        self.results: list[ObjectResult] = []
        self.failed_folders: set[str] = set()
        self.abort_reason = ""
        self._on_result = on_result
        self._lock = threading.Lock()

    def emit(self, result: ObjectResult) -> None:
        with self._lock:
            self.results.append(result)
            if self._on_result:
                self._on_result(result)

    def failed(self, change: Change, exc: GrafanaError) -> None:
        """Remember what a failed write means for the rest of the run, then report it."""
        with self._lock:
            if isinstance(exc, GrafanaUnreachable) or exc.status == 401:
                self.abort_reason = self.abort_reason or "an earlier request failed: " + str(exc)
            if change.kind == FOLDER:
                self.failed_folders.add(change.key)
        self.emit(ObjectResult(change.kind, change.key, change.title, "failed", str(exc)))


def _planned_result(change: Change, options: PushOptions) -> ObjectResult:
    detail = change.reason
    if change.action == CONFLICT:
        detail += f" (--force would {change.resolution})" if options.force else " (use --force to overwrite)"
    return ObjectResult(change.kind, change.key, change.title, change.action, detail, change.diff())


def _execute(run: _Run, change: Change, action: str, write: Callable[[], str], note: str = "") -> None:
    """Do one write and report it; the write returns a detail for the report line."""
    if run.abort_reason:
        run.emit(ObjectResult(change.kind, change.key, change.title, "failed", f"not attempted: {run.abort_reason}"))
        return
    if action != DELETE and change.folder_uid in run.failed_folders:
        detail = f"not attempted: folder {change.folder_uid} could not be created"
        run.emit(ObjectResult(change.kind, change.key, change.title, "failed", detail))
        return
    try:
        detail = write()
    except _LeftAlone as exc:
        run.emit(ObjectResult(change.kind, change.key, change.title, "unchanged", str(exc)))
        return
    except GrafanaError as exc:
        run.failed(change, exc)
        return
    detail = "; ".join(part for part in (note, detail) if part)
    run.emit(ObjectResult(change.kind, change.key, change.title, _DONE[action], detail, change.diff()))


def _create_folder(store: Store, change: Change) -> str:
    return store.create_folder(change.key, change.title)


def _save_dashboard(store: Store, change: Change, force: bool) -> str:
    body = change.payload or {}
    try:
        return store.save(body["dashboard"], change.folder_uid, body.get("version"), body.get("message", ""), force)
    except Stale as exc:
        # The version we planned against is stale: an earlier attempt of this request landed, or someone saved.
        live = store.fresh(change.key, f"dashboard {change.key}")
        if live and compared_dashboard(live.model, live.folder_uid) == change.desired:
            return "already as generated"
        raise GrafanaError(
            f"{exc}; it changed in Grafana during this push: run again to re-plan", status=exc.status
        ) from None


def _provenance_headers(options: PushOptions) -> dict[str, str] | None:
    return {"X-Disable-Provenance": "true"} if options.disable_provenance else None


def _put_rule_group(client: GrafanaClient, change: Change, options: PushOptions) -> str:
    path = rule_group_path(change.folder_uid, change.title)
    client.request("PUT", path, body=change.payload, headers=_provenance_headers(options))
    return f"{len((change.payload or {}).get('rules', []))} rules"


def _delete_rule_group(client: GrafanaClient, change: Change, options: PushOptions) -> str:
    for uid in change.rule_uids:
        path = f"/api/v1/provisioning/alert-rules/{quote(uid, safe='')}"
        client.request("DELETE", path, expect=(200, 204), headers=_provenance_headers(options), missing_ok=True)
    return f"{len(change.rule_uids)} rules"


def _delete_dashboard(store: Store, change: Change) -> str:
    store.delete(change.key)
    return ""


class _LeftAlone(Exception):
    """A planned delete that must not happen after all (the folder is not empty)."""


def _delete_folder(store: Store, change: Change) -> str:
    """Delete a removed tenant's folder only when it is empty: Grafana deletes a folder's dashboards with it."""
    left = store.folder_contents(change.key)
    if left:
        raise _LeftAlone(
            f"left alone: it still holds {len(left)} item(s) not deleted by this push ({', '.join(sorted(left)[:3])})"
        )
    store.delete_folder(change.key, f"folder {change.key}")
    return "it was empty"


def _intent(change: Change, options: PushOptions) -> tuple[str, str] | None:
    """The write to do for a change and a note for the report, or None when nothing is written."""
    if change.action in (CREATE, UPDATE, DELETE):
        return change.action, ""
    if change.action == CONFLICT and options.force:
        return change.resolution, f"forced over a conflict: {change.reason}"
    return None


def _each(
    run: _Run,
    items: list[tuple[Change, str, str]],
    write: Callable[[Change], str],
    parallel: GrafanaClient | None = None,
) -> None:
    """Execute the writes, one at a time or on the `parallel` client's pool; unexpected exceptions propagate."""

    def one(item: tuple[Change, str, str]) -> None:
        change, action, note = item
        _execute(run, change, action, lambda: write(change), note)

    if parallel is None:
        for item in items:
            one(item)
    else:
        parallel.map(one, items)


def apply_plan(
    client: GrafanaClient,
    plan: Plan,
    options: PushOptions,
    on_result: OnResult | None = None,
    store: Store | None = None,
) -> list[ObjectResult]:
    """Write what the plan says, in dependency order; report every object exactly once. `store`: the API
    dashboards and folders go through (the legacy one by default, as for `make_plan`)."""
    store = store or LegacyStore(client)
    run = _Run(on_result)
    writes: dict[str, list[tuple[Change, str, str]]] = {FOLDER: [], DASHBOARD: [], RULE_GROUP: []}
    deletes: list[tuple[Change, str, str]] = []
    for change in plan.changes:
        intent = _intent(change, options)
        if intent is None:
            run.emit(_planned_result(change, options))
        elif intent[0] == DELETE:
            deletes.append((change, *intent))
        else:
            writes[change.kind].append((change, *intent))

    _each(run, writes[FOLDER], lambda c: _create_folder(store, c), client)
    _each(run, writes[DASHBOARD], lambda c: _save_dashboard(store, c, options.force), client)
    _each(run, writes[RULE_GROUP], lambda c: _put_rule_group(client, c, options))
    _each(run, [d for d in deletes if d[0].kind == RULE_GROUP], lambda c: _delete_rule_group(client, c, options))
    _each(run, [d for d in deletes if d[0].kind == DASHBOARD], lambda c: _delete_dashboard(store, c), client)
    _each(run, [d for d in deletes if d[0].kind == FOLDER], lambda c: _delete_folder(store, c))
    return run.results


def push(
    build: Build,
    settings: GrafanaSettings,
    options: PushOptions | None = None,
    *,
    on_result: OnResult | None = None,
) -> PushReport:
    """Check Grafana's health, plan the build against it, and apply the plan (unless `options.dry_run`).

    Raises GrafanaError (GrafanaUnreachable, GrafanaUnhealthy, ...) when it cannot get as far as a plan;
    after that, failures are per object and reported in the returned PushReport.
    """
    options = options or PushOptions()
    started = time.monotonic()
    with GrafanaClient(settings) as client:
        health = client.health()
        store = store_for(client, options.api, options.namespace, health, options.schema)
        plan = make_plan(client, build, options, store)
        if options.dry_run:
            results = [_planned_result(c, options) for c in plan.changes]
            for result in results:
                if on_result:
                    on_result(result)
        else:
            results = apply_plan(client, plan, options, on_result, store)
        return PushReport(
            url=settings.url,
            dry_run=options.dry_run,
            force=options.force,
            results=results,
            requests=dict(client.stats.by_method),
            api=store.name,
            retries=client.stats.retries,
            seconds=time.monotonic() - started,
        )
