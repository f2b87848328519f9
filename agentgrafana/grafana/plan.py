"""Compare a build with what a Grafana holds and decide, per object, what a push would do.

Ownership: every dashboard we push carries the tag `managed-by-agentgrafana`, every Grafana-managed
rule the label `managed_by: agentgrafana`. Pruning only considers owned objects inside the build's
folders (so two configurations pushing to different folders of one Grafana never prune each other);
a rule group counts as ours only if all its rules carry the label. Nothing unowned is written or
deleted without `--force`.

Conflict detection (dashboards): at push time we add a second tag, `agentgrafana-hash:<12 hex>`,
holding a hash of the normalised dashboard we sent (computed without that tag). Tags are a plain,
documented dashboard field that Grafana stores as given, returns from the API, keeps when the UI
saves, and that needs no state file outside Grafana (CI runners and laptops see the same truth).
On the next plan, hashing the live dashboard the same way tells whether someone changed it since
our last push: the recorded hash no longer matches its content (or the tags are gone). A live
dashboard that changed since our push AND differs from what we now generate is a conflict: reported
with a diff, not written without `--force`. Unowned dashboards that happen to share a generated uid
are conflicts too, and so are UI copies ("Save as" keeps our tags, but the recorded hash no longer
matches a copy's uid and title), which keeps prune away from them. The price: users see the hash tag
in the tag list. The write itself then carries the `version` we planned against with
`overwrite: false`, so an edit landing between plan and write is refused by Grafana (412) rather
than overwritten; `--force` sends `overwrite: true`.

Rule groups have no such marker (labels and annotations reach notifications); a generated group is
updated whenever its normalised form differs, and is a conflict only when it holds unowned rules,
which the whole-group PUT would delete.

Dashboards and folders are read and written through a `stores.Store`: the legacy API (below) or, from
Grafana 12 on, the app-platform API, where one paged listing brings every dashboard with its spec.

Reading what Grafana holds (legacy API) costs a handful of list requests plus one GET per object that exists:
one `GET /api/folders` (paged) says which of our folders exist; one search for owned dashboards in
our folders (needed for orphans anyway) and one search by uid for the generated dashboards it did not
find say which dashboards exist; one list of alert rules says which rule groups hold rules. Only
existing dashboards and rule groups are then read, in parallel (`--concurrency`), and only changed or
conflicting objects get a diff. Our folders are created at the top level, which is the level the folder
list shows; a folder of ours moved under another one looks missing, and its create then answers 409,
which the apply step reports as already existing. What is inside such a folder is still found: the
searches and the rule list are not limited to one level.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from agentgrafana.grafana.client import GrafanaClient
from agentgrafana.grafana.normalize import (
    OWNER_LABEL,
    OWNER_TAG,
    dashboard_content_hash,
    is_owned_dashboard,
    is_owned_rule,
    normalize_dashboard,
    normalize_rule_group,
    normalized_content_hash,
    owned_dashboard,
    pretty,
    recorded_hash,
    rule_fields,
    strip_hash_tags,
)
from agentgrafana.grafana.stores import AUTO, Hit, LegacyStore, Store, as_list, as_object
from agentgrafana.model import Build, DashboardOut, Folder, GrafanaRuleGroup

CREATE, UPDATE, UNCHANGED, DELETE, CONFLICT, ORPHANED = (
    "create",
    "update",
    "unchanged",
    "delete",
    "conflict",
    "orphaned",
)
FOLDER, DASHBOARD, RULE_GROUP = "folder", "dashboard", "rule-group"
DEFAULT_MESSAGE = "agentgrafana push"


@dataclass(frozen=True)
class PushOptions:
    """What a push may do. `message` is the dashboard version message (Grafana keeps 500 characters)."""

    dry_run: bool = False
    prune: bool = False
    force: bool = False
    disable_provenance: bool = False
    message: str = DEFAULT_MESSAGE
    api: str = AUTO  # grafana.api: auto | legacy | apps (see stores.store_for)
    namespace: str = "default"  # grafana.namespace: the app-platform namespace (stacks-<id> on Grafana Cloud)
    schema: str = "v1"  # grafana.dashboard_schema: v2 dashboards go through dashboard.grafana.app/v2beta1


@dataclass
class Change:
    """One object's planned action, with both normalised sides for a diff."""

    kind: str
    key: str  # folder uid, dashboard uid, or "<folderUid>/<group name>"
    title: str
    action: str
    folder_uid: str = ""
    reason: str = ""
    resolution: str = ""  # what --force does with a conflict: UPDATE or DELETE
    payload: dict[str, Any] | None = None  # the request body for create/update
    live: Any = None  # normalised live object
    desired: Any = None  # normalised generated object
    rule_uids: list[str] = field(default_factory=list)  # rules to delete when pruning a group

    def diff(self) -> str:
        """A unified diff from the live object to the generated one ('' when there is nothing to compare).

        Unchanged objects compare equal, so their diff is empty without pretty-printing anything.
        """
        if self.action == UNCHANGED or self.live is None or self.desired is None:
            return ""
        lines = difflib.unified_diff(
            pretty(_shown(self.live)).splitlines(),
            pretty(_shown(self.desired)).splitlines(),
            fromfile=f"grafana/{self.kind}/{self.key}",
            tofile=f"generated/{self.kind}/{self.key}",
            lineterm="",
        )
        return "\n".join(lines)


def _shown(compared: Any) -> Any:
    """A compared object as diffs show it: without our hash tag, which changes with any content change."""
    dashboard = compared.get("dashboard") if isinstance(compared, dict) else None
    if not isinstance(dashboard, dict) or "tags" not in dashboard:
        return compared
    return {**compared, "dashboard": {**dashboard, "tags": strip_hash_tags(dashboard["tags"])}}


@dataclass
class Plan:
    """Every object's change, in the order they are reported: folders, dashboards, rule groups, leftovers."""

    changes: list[Change]


def desired_dashboard(d: DashboardOut) -> dict[str, Any]:
    """The dashboard JSON we push: our uid, no server id/version, ownership and hash tags."""
    return _desired(d)[0]


def _desired(d: DashboardOut) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The dashboard JSON we push, its normalised form and its content hash (see `owned_dashboard`).

    The model is copied shallowly: only top-level keys change, and `d.model` itself is left as built.
    """
    model = {k: v for k, v in d.model.items() if k != "version"}
    model["id"] = None
    model["uid"] = d.uid
    model.setdefault("title", d.title)
    return owned_dashboard(model)


def desired_rule_group(g: GrafanaRuleGroup) -> dict[str, Any]:
    """The rule-group PUT body; every rule carries our ownership label and names its group."""
    rules = []
    for rule in g.rules:
        r = copy.deepcopy(rule)
        r["labels"] = {**(r.get("labels") or {}), OWNER_LABEL[0]: OWNER_LABEL[1]}
        r["folderUID"] = g.folder.uid
        r["ruleGroup"] = g.name
        rules.append(r)
    return {"title": g.name, "folderUid": g.folder.uid, "interval": g.interval_seconds, "rules": rules}


def rule_group_path(folder_uid: str, group: str) -> str:
    return f"/api/v1/provisioning/folder/{quote(folder_uid, safe='')}/rule-groups/{quote(group, safe='')}"


def compared_dashboard(model: dict[str, Any], folder_uid: str) -> dict[str, Any]:
    return {"folderUid": folder_uid, "dashboard": normalize_dashboard(model)}


def make_plan(client: GrafanaClient, build: Build, options: PushOptions, store: Store | None = None) -> Plan:
    """Read what Grafana holds for the build and classify every object. Raises GrafanaError on read failure.

    The project's scope is the build's folders plus every live folder of the exact form of a tenant folder
    of the build's main folder (`<uid>-<tenant>`, titled `<title>: <tenant>`): a tenant removed from the
    configuration leaves such a folder behind, and its owned dashboards and the folder are orphans.
    `store`: the API dashboards and folders go through (the legacy one by default).
    """
    store = store or LegacyStore(client)
    folder_uids = sorted({f.uid for f in build.folders})
    if not folder_uids:
        return Plan([])
    live_folders = store.folders()
    folders = [_plan_folder(f, live_folders.get(f.uid)) for f in build.folders]
    main = build.main_folder
    left_behind = sorted(
        uid
        for uid, title in live_folders.items()
        if uid not in folder_uids and main is not None and main.is_tenant_folder(uid, title)
    )
    scope = sorted(set(folder_uids) | set(left_behind))
    owned = store.owned(scope)
    owned_uids = {h.uid for h in owned}
    existing = owned_uids | store.existing([d.uid for d in build.dashboards if d.uid not in owned_uids])
    dashboards = client.map(lambda d: _plan_dashboard(store, d, options, d.uid in existing), build.dashboards)
    orphans = _plan_orphan_dashboards(client, store, build, options, owned)
    rules = as_list(
        client.request("GET", "/api/v1/provisioning/alert-rules", what="list of alert rules"), "list of alert rules"
    )
    with_rules = {(str(r.get("folderUID", "")), str(r.get("ruleGroup", ""))) for r in rules}
    groups = client.map(
        lambda g: _plan_rule_group(client, g, options, (g.folder.uid, g.name) in with_rules), build.grafana_rule_groups
    )
    orphan_groups = _plan_orphan_rule_groups(build, options, rules, set(scope))
    orphan_folders = [_plan_orphan_folder(uid, live_folders[uid], options) for uid in left_behind]
    return Plan(folders + dashboards + groups + orphan_groups + orphans + orphan_folders)


def _plan_orphan_folder(uid: str, title: str, options: PushOptions) -> Change:
    """A removed tenant's folder. Deleted with --prune only once nothing else is left in it (checked again
    right before the delete, which also refuses while alert rules remain)."""
    if not options.prune:
        return Change(FOLDER, uid, title, ORPHANED, reason="tenant no longer configured (use --prune)")
    return Change(FOLDER, uid, title, DELETE, reason="tenant no longer configured; deleted if nothing else is in it")


def _plan_folder(folder: Folder, live_title: str | None) -> Change:
    desired = {"uid": folder.uid, "title": folder.title}
    if live_title is None:
        return Change(FOLDER, folder.uid, folder.title, CREATE, payload=desired)
    reason = "" if live_title == folder.title else f'exists with the title "{live_title}" (left as is)'
    return Change(FOLDER, folder.uid, folder.title, UNCHANGED, reason=reason)


def _plan_dashboard(store: Store, d: DashboardOut, options: PushOptions, exists: bool) -> Change:
    """Classify one generated dashboard; it is read only when a listing said it `exists`."""
    model, normalized, content_hash = _desired(d)
    title = str(model.get("title", d.title))
    change = Change(DASHBOARD, d.uid, title, CREATE, folder_uid=d.folder.uid)
    change.desired = {"folderUid": d.folder.uid, "dashboard": normalized}
    # missing: it may have been deleted since the listing
    live = store.get(d.uid, f'dashboard "{title}" ({d.uid})') if exists else None
    if live is None:
        change.payload = _dashboard_body(model, d.folder.uid, None, options)
        return change
    live_model = live.model
    if live.folder_uid == d.folder.uid and _same_json(live_model, model):
        change.live, change.action = change.desired, UNCHANGED  # as sent: normalising it would give the same
        return change
    change.live = compared_dashboard(live_model, live.folder_uid)
    if change.live == change.desired:
        change.action = UNCHANGED
        return change
    change.payload = _dashboard_body(model, d.folder.uid, live.version, options)
    live_hash = normalized_content_hash(change.live["dashboard"])
    if not is_owned_dashboard(live_model):
        change.action, change.resolution = CONFLICT, UPDATE
        change.reason = f"exists in Grafana without the {OWNER_TAG} tag (not ours)"
    elif recorded_hash(live_model) != live_hash and live_hash != content_hash:
        change.action, change.resolution = CONFLICT, UPDATE
        change.reason = "edited in Grafana since the last push"
    else:
        change.action = UPDATE
    return change


def _same_json(live: dict[str, Any], ours: dict[str, Any]) -> bool:
    """Whether the live dashboard is exactly `ours` apart from the id and version Grafana adds (the usual no-op)."""
    ignored = ("id", "version")
    if len(live.keys() - ignored) != len(ours.keys() - ignored):
        return False
    return all(k in ignored or (k in live and live[k] == v) for k, v in ours.items())


def _dashboard_body(model: dict[str, Any], folder_uid: str, version: Any, options: PushOptions) -> dict[str, Any]:
    """What the store's save needs: the dashboard, its folder, the live version planned against, the message."""
    return {"dashboard": model, "folderUid": folder_uid, "version": version, "message": options.message[:500]}


def _plan_orphan_dashboards(
    client: GrafanaClient, store: Store, build: Build, options: PushOptions, owned: list[Hit]
) -> list[Change]:
    generated = {d.uid for d in build.dashboards}
    hits = sorted((h for h in owned if h.uid and h.uid not in generated), key=lambda h: h.uid)
    return client.map(lambda h: _plan_orphan_dashboard(store, h, options), hits)


def _plan_orphan_dashboard(store: Store, hit: Hit, options: PushOptions) -> Change:
    change = Change(DASHBOARD, hit.uid, hit.title, ORPHANED, folder_uid=hit.folder_uid)
    if not options.prune:
        change.reason = "no longer generated (use --prune)"
        return change
    live = store.get(hit.uid, f'dashboard "{hit.title}" ({hit.uid})')
    if live is None:  # deleted by someone else in the meantime
        change.action = UNCHANGED
        return change
    change.live = compared_dashboard(live.model, change.folder_uid)
    if not is_owned_dashboard(live.model):
        change.action, change.reason = UNCHANGED, "no longer carries our tag (left alone)"
    elif recorded_hash(live.model) != dashboard_content_hash(live.model):
        change.action, change.resolution = CONFLICT, DELETE
        change.reason = "no longer generated, but edited in Grafana since the last push"
    else:
        change.action, change.reason = DELETE, "no longer generated"
    return change


def _provenance(rules: Iterable[dict[str, Any]]) -> str:
    seen = {str(r.get("provenance") or "") for r in rules}
    return seen.pop() if len(seen) == 1 else "mixed"


def _plan_rule_group(client: GrafanaClient, g: GrafanaRuleGroup, options: PushOptions, has_rules: bool) -> Change:
    """Classify one generated rule group; it is read only when the list of alert rules shows rules in it."""
    body = desired_rule_group(g)
    key = f"{g.folder.uid}/{g.name}"
    change = Change(RULE_GROUP, key, g.name, CREATE, folder_uid=g.folder.uid, payload=body)
    change.desired = normalize_rule_group(body)
    if body["rules"]:
        change.desired["provenance"] = "" if options.disable_provenance else "api"
    live = None
    if has_rules:
        live = client.request("GET", rule_group_path(g.folder.uid, g.name), what=f"rule group {key}", missing_ok=True)
        if live is not None:
            live = as_object(live, f"rule group {key}")
            live["rules"] = as_list(live.get("rules"), f"rule group {key}")
    if not live or not live.get("rules"):
        return change
    change.live = normalize_rule_group(live, keep=rule_fields(body["rules"]))
    change.live["provenance"] = _provenance(live["rules"])
    unowned = [str(r.get("title") or r.get("uid")) for r in live["rules"] if not is_owned_rule(r)]
    if change.live == change.desired:
        change.action = UNCHANGED
    elif unowned:
        change.action, change.resolution = CONFLICT, UPDATE
        change.reason = f"holds rules not managed by agentgrafana, which a push would delete: {', '.join(unowned)}"
    else:
        change.action = UPDATE
    return change


def _plan_orphan_rule_groups(
    build: Build, options: PushOptions, rules: list[dict[str, Any]], folder_uids: set[str]
) -> list[Change]:
    generated = {(g.folder.uid, g.name) for g in build.grafana_rule_groups}
    live_groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rule in rules:
        key = (str(rule.get("folderUID", "")), str(rule.get("ruleGroup", "")))
        if key[0] in folder_uids and key not in generated:
            live_groups.setdefault(key, []).append(rule)
    changes = []
    for (folder_uid, name), members in sorted(live_groups.items()):
        if not all(is_owned_rule(r) for r in members):
            continue  # not (entirely) ours: never touched
        change = Change(
            RULE_GROUP,
            f"{folder_uid}/{name}",
            name,
            DELETE if options.prune else ORPHANED,
            folder_uid=folder_uid,
            rule_uids=sorted(str(r.get("uid")) for r in members if r.get("uid")),
            reason="no longer generated" + ("" if options.prune else " (use --prune)"),
        )
        changes.append(change)
    return changes
