"""The schedule of the simulated traffic: a normal window, then the alerts' incidents.

Every alert declares its incident (`Alert.incident`: a signal on catalog metrics and the labels naming what
breaks). Alerts on the same condition at different limits (an error-rate warning and its burn-rate pages)
share one incident, acted out past the highest of their limits. Each incident gets a 25-minute window and a
subject picked from the simulated platform (an agent, a model, a tool, a collection, a GPU, a tenant);
incidents that shape the same metric never overlap. Every alert must be silent in the `normal` window and
fire for its subject in its incident's window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ..model import Alert
from ..scenario import ABSENT, SPEND, Incident, native
from .topology import Gpu, Topology

MINUTE = 60
NORMAL = "normal"
NORMAL_START, NORMAL_END = 20 * MINUTE, 75 * MINUTE  # after a 20-minute warm-up
FIRST_INCIDENT, SLOT, INCIDENT_LENGTH, SLOTS = 80 * MINUTE, 15 * MINUTE, 25 * MINUTE, 6
DURATION = 180 * MINUTE  # the simulated data spans at least 3 h
SPEND_BURST = 10 * MINUTE  # a budget incident overspends in its first 10 minutes


@dataclass(frozen=True)
class Window:
    """A stretch `[start, end)` in seconds from the start of the simulated data, and the incident acted in it."""

    name: str
    start: int
    end: int
    description: str
    alerts: tuple[str, ...] = ()  # the alerts that must fire here (none for the normal window)
    incident: Incident | None = None
    limits: tuple[float, ...] = ()  # the alerts' thresholds, in the quantity the signal shapes
    op: str = ">"
    subject: tuple[tuple[str, str], ...] = ()  # labels of what is broken: the alert must fire for it
    silent: tuple[tuple[str, str], ...] = ()  # (label, value) of series the alert must NOT return here

    def on_target(self, labels: dict[str, str]) -> bool | None:
        """Whether alert labels point at this incident's subject (None: they carry none of its labels)."""
        shared = [(k, v) for k, v in self.subject if k in labels]
        return None if not shared else all(labels[k] == v for k, v in shared)

    @property
    def limit(self) -> float:
        """The limit the incident must pass: the highest of its alerts' (the lowest for `<` comparisons)."""
        return max(self.limits) if self.op.startswith(">") else min(self.limits)

    @property
    def floor(self) -> float:
        """The limit normal traffic must stay short of: the lowest of its alerts' (the highest for `<`)."""
        return min(self.limits) if self.op.startswith(">") else max(self.limits)

    def contains(self, offset: float) -> bool:
        return self.start <= offset < self.end

    def hits(self, labels: dict[str, str]) -> bool:
        """Whether a simulated series (its labels, with `host` for GPUs) belongs to the subject."""
        return all(labels.get(k) == v for k, v in self.subject if k in labels) and any(
            k in labels for k, _ in self.subject
        )


def stable_index(text: str, n: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % n


def gpu_subject(gpu: Gpu) -> tuple[tuple[str, str], ...]:
    return (("host", gpu.host), (gpu.host_label, gpu.host), ("gpu", str(gpu.index)))


def pick_subject(alert: Alert, incident: Incident, topo: Topology) -> tuple[tuple[str, str], ...]:
    """A simulated entity for each label naming the subject, chosen by the alert's name (stable across runs)."""
    names = incident.subject
    if "gpu" in names or "host" in names:
        # a GPU where the alert can fire: one in the namespace its incident names, if it names one
        where = {k: v for k, v in getattr(incident.signal, "series", {}).items() if k in ("namespace", "container")}
        gpus = [g for g in topo.gpus if all(g.labels().get(k) == v for k, v in where.items())] or list(topo.gpus)
        return gpu_subject(gpus[stable_index(alert.name, len(gpus))])
    if incident.signal.kind == SPEND:
        return (("tenant_id", topo.overspender),)
    if incident.signal.kind == ABSENT or incident.newcomer:  # the family itself, or an entity new to the platform
        return incident.labels
    out = []
    for label in names:
        values = topo.values(label)
        if values:
            out.append((label, values[stable_index(f"{alert.name}|{label}", len(values))]))
    # labels the platform does not fill (a recording rule's budget_usd) do not name the subject; when none
    # is filled (a rule_group), the simulator writes "default" for them
    return tuple(out) or tuple((label, "default") for label in names)


def condition(alert: Alert) -> tuple[object, ...]:
    """Alerts with equal conditions (signal kind, metrics, subject labels, comparison, the value they must
    fire at when it is fixed, e.g. an XID code) share an incident."""
    incident = alert.incident
    assert incident is not None
    return (incident.signal.kind, incident.signal.metrics, incident.subject, alert.op, incident.breach)


def schedule(alerts: list[Alert], topo: Topology) -> tuple[Window, ...]:
    """The normal window, then each condition's incident in the first slot (round robin from its position)
    where no other incident shaping one of its metrics overlaps; slots start every 15 minutes from minute 80,
    and an incident lasts 25 minutes or the longest its alerts ask for."""
    shared: dict[tuple[object, ...], list[Alert]] = {}
    for alert in alerts:
        if alert.incident is not None:
            shared.setdefault(condition(alert), []).append(alert)
    windows = [Window(NORMAL, NORMAL_START, NORMAL_END, "normal traffic: every alert must be silent")]
    placed: list[tuple[int, int, frozenset[str]]] = []  # (start, end, metrics shaped)
    # a spend incident lasts to the end of the data (its 24 h window keeps it firing): it goes last
    conditions = [members for key, members in sorted(shared.items(), key=lambda kv: kv[0][0] == SPEND)]
    for position, members in enumerate(conditions):
        first = members[0]
        incident = first.incident
        assert incident is not None
        shaped = frozenset(incident.signal.metrics)
        length = max(INCIDENT_LENGTH, *(a.incident.minutes * MINUTE for a in members if a.incident))
        slot = position % SLOTS
        while any(
            s < FIRST_INCIDENT + slot * SLOT + length and FIRST_INCIDENT + slot * SLOT < e and shaped & m
            for s, e, m in placed
        ):
            slot += 1
        start = FIRST_INCIDENT + slot * SLOT
        placed.append((start, 10**9 if incident.signal.kind == SPEND else start + length, shaped))
        subject = pick_subject(first, incident, topo)
        spend = incident.signal.kind == SPEND
        silent = (("tenant_id", topo.rich_tenant),) if spend and topo.rich_tenant else ()
        what = ", ".join(f"{k}={v}" for k, v in subject if k not in ("Hostname", "hostname")) or "everything"
        names = tuple(a.name for a in members)
        windows.append(
            Window(
                first.name,
                start,
                start + length,
                f"{' / '.join(names)}: {incident.signal.kind} of {'/'.join(sorted(shaped))} past the limit for {what}",
                names,
                incident,
                tuple(native(a.incident.signal, a.threshold) for a in members if a.incident),
                first.op,
                subject,
                silent,
            )
        )
    end = max([DURATION] + [w.end for w in windows])
    # a spend incident lasts as long as its 24 h window: to the end of the data
    return tuple(replace(w, end=end) if w.incident and w.incident.signal.kind == SPEND else w for w in windows)


def window_for(alert: Alert, windows: tuple[Window, ...]) -> Window | None:
    return next((w for w in windows if alert.name in w.alerts), None)
