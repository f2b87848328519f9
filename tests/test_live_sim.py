"""The traffic simulator on its own: deterministic, complete OpenMetrics for every catalog metric."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

import pytest

from agentgrafana.catalog import CATALOG, COUNTER, HISTOGRAM
from agentgrafana.config import Config, LatencySet, LatencyThresholds
from agentgrafana.live.simulator import SimOptions, incident_shape, normal_shape, simulate

END = 1_790_000_000  # any fixed instant: the output depends on it only through the timestamps
SAMPLE_RE = re.compile(r"^([A-Za-z_:][\w:]*)(\{.*\})? (\S+) (\d+)$")


@pytest.fixture(scope="module")
def dataset(default_build):
    return simulate(Config(), END, alerts=default_build.alerts)


@pytest.fixture(scope="module")
def parsed(dataset) -> tuple[dict[tuple[str, str], list[tuple[int, float]]], list[str]]:
    """(samples by (name, labels), lines that are neither a comment nor a sample), in one pass over the text."""
    out: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    strange = []
    for line in dataset.text.decode().splitlines():
        m = SAMPLE_RE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")].append((int(m.group(4)), float(m.group(3))))
        elif not line.startswith("#"):
            strange.append(line)
    return out, strange


@pytest.fixture(scope="module")
def series(parsed) -> dict[tuple[str, str], list[tuple[int, float]]]:
    return parsed[0]


@pytest.mark.slow
def test_two_runs_are_byte_identical(dataset, default_build):
    again = simulate(Config(), END, alerts=default_build.alerts)
    assert again.text == dataset.text
    short = SimOptions(duration=900)
    assert simulate(Config(), END, SimOptions(seed=7, duration=900)).text != simulate(Config(), END, short).text


@pytest.mark.slow  # the full 3-hour dataset (3 s to simulate)
def test_openmetrics_shape(dataset, parsed):
    samples, strange = parsed
    assert dataset.text.endswith(b"\n# EOF\n") and not strange, strange[:3]
    stamps = {ts for points in samples.values() for ts, _ in points}
    assert min(stamps) == dataset.start and max(stamps) == dataset.end - dataset.step
    assert dataset.end - dataset.start >= 3 * 3600
    assert sum(len(points) for points in samples.values()) == dataset.samples


@pytest.mark.slow  # the full 3-hour dataset (3 s to simulate)
def test_every_catalog_metric_is_simulated_with_its_type(dataset, series):
    text = dataset.text.decode()
    names = {name for name, _ in series}
    for metric in CATALOG:
        family = metric.name.removesuffix("_total") if metric.type == COUNTER else metric.name
        assert f"# TYPE {family} {metric.type}\n" in text, metric.name
        for name in metric.series_names():
            assert name in names, name
        labelled = [labels for name, labels in series if name == metric.series_names()[0]]
        for label in metric.labels:
            if label in ("Hostname", "hostname", "GPU_I_PROFILE", "GPU_I_ID") or label.startswith("err_"):
                continue
            assert all(f'{label}="' in labels for labels in labelled), (metric.name, label)


@pytest.mark.slow  # the full 3-hour dataset (3 s to simulate)
def test_counters_only_grow_and_buckets_are_cumulative(series):
    by_name = {m.name: m for m in CATALOG}
    buckets: dict[str, dict[float, list[float]]] = defaultdict(dict)
    for (name, labels), points in series.items():
        values = [v for _, v in points]
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        metric = by_name.get(name) or by_name.get(base)
        if metric is None:
            continue
        if metric.type == COUNTER or (metric.type == HISTOGRAM and name != metric.name):
            assert values == sorted(values), (name, labels)
        if name.endswith("_bucket"):
            le = re.search(r'le="([^"]+)"', labels).group(1)
            buckets[name + re.sub(r',?le="[^"]+"', "", labels)][float(le)] = values
    assert buckets
    for key, by_le in buckets.items():
        ordered = [by_le[le] for le in sorted(by_le)]
        assert float("inf") in by_le, key
        for lower, upper in zip(ordered, ordered[1:]):
            assert all(a <= b for a, b in zip(lower, upper)), key


@pytest.mark.slow  # the full 3-hour dataset (3 s to simulate)
def test_le_is_written_like_prometheus_client(series):
    les = {re.search(r'le="([^"]+)"', labels).group(1) for name, labels in series if name.endswith("_bucket")}
    assert "1.0" in les and "+Inf" in les and "1" not in les


@pytest.mark.slow  # the full 3-hour dataset (3 s to simulate)
def test_gpus_use_both_host_label_spellings_and_xid_is_mostly_zero(series):
    temps = [labels for name, labels in series if name == "DCGM_FI_DEV_GPU_TEMP"]
    assert any('Hostname="' in labels for labels in temps)
    assert any('hostname="' in labels for labels in temps)
    xid = [v for (name, _), points in series.items() if name == "DCGM_FI_DEV_XID_ERRORS" for _, v in points]
    assert xid.count(0) > 0.9 * len(xid) and max(xid) > 0


def test_renames_break_exactly_what_they_name():
    options = SimOptions(
        label_renames={"tenant_id": "tenant"},
        series_renames={"agent_request_duration_seconds_bucket": "agent_request_duration_seconds_b"},
        value_renames={"token_type": {"input": "prompt"}},
        duration=900,
    )
    text = simulate(Config(), END, options).text.decode()
    assert 'tenant_id="' not in text and 'tenant="' in text
    assert "agent_request_duration_seconds_bucket{" not in text and "agent_request_duration_seconds_b{" in text
    assert 'token_type="input"' not in text and 'token_type="prompt"' in text


@pytest.mark.parametrize("kind", ["agent", "llm", "tool", "vector_search"])
def test_latency_shapes_follow_configured_thresholds(kind):
    buckets = CATALOG.metric(
        {
            "agent": "agent_request_duration_seconds",
            "llm": "llm_inference_duration_seconds",
            "tool": "tool_execution_duration_seconds",
            "vector_search": "vector_search_duration_seconds",
        }[kind]
    ).buckets
    for threshold in (0.3, 0.7, 2.5, 4, 9):
        normal = normal_shape(buckets, threshold)
        assert normal.cdf(threshold) == 1.0 or threshold <= min(buckets)
        assert incident_shape(threshold).cdf(threshold) < 0.05  # P99 (and P95) far above the threshold


def test_budget_tenants_come_from_the_configuration():
    config = Config()
    config = replace(
        config,
        budgets=replace(config.budgets, tenants={"acme": 400.0, "hooli": 30.0}),
        thresholds=replace(config.thresholds, latency_seconds=LatencySet(agent=LatencyThresholds(3, 6))),
    )
    d = simulate(config, END, SimOptions(duration=900))
    assert d.topology.rich_tenant == "acme"
    assert 'tenant_id="hooli"' in d.text.decode()
    assert d.topology.budgets["hooli"] == 30.0


def test_cli_reports_a_missing_prometheus(capsys):
    from agentgrafana.cli import main

    assert main(["verify-live", "--prometheus", "/nonexistent/prometheus"]) == 2
    assert "apt-get install -y prometheus" in capsys.readouterr().err


def test_the_live_package_names_no_catalog_metric():
    """The simulator and the schedule act out the alerts' declared incidents by signal kind: no branch (or
    constant) per metric, so adding an alert or a metric never needs a change under agentgrafana/live/."""
    from pathlib import Path

    import agentgrafana.live

    sources = {p.name: p.read_text() for p in Path(agentgrafana.live.__file__).parent.glob("*.py")}
    for metric in CATALOG:
        for name, text in sources.items():
            assert f'"{metric.name}' not in text, (name, metric.name)


def test_schedule_gives_every_alert_a_window_and_separates_incidents_on_one_metric(default_build):
    from agentgrafana.live.scenarios import INCIDENT_LENGTH, NORMAL, schedule
    from agentgrafana.live.topology import topology

    alerts = list(default_build.alerts)
    # eight more alerts on one histogram, each on another condition: they must queue one after the other
    twin = next(a for a in alerts if a.incident and a.incident.signal.metrics == ("agent_request_duration_seconds",))
    subjects = [
        ("tenant_id",),
        ("model",),
        ("agent_name", "tenant_id"),
        ("agent_name", "model"),
        ("model", "tenant_id"),
    ]
    subjects += [("agent_name", "model", "tenant_id"), ("tenant_id", "model")]
    alerts.append(replace(twin, name=f"{twin.name}Below", op="<"))
    alerts += [
        replace(twin, name=f"{twin.name}Other{i}", incident=replace(twin.incident, labels=tuple((k, "x") for k in s)))
        for i, s in enumerate(subjects)
    ]
    # and one on the same condition at another limit: it shares the incident
    alerts.append(replace(twin, name=f"{twin.name}Twin", threshold=twin.threshold * 2))
    windows = schedule(alerts, topology(Config()))
    normal = next(w for w in windows if w.name == NORMAL)
    by_alert = {name: w for w in windows for name in w.alerts}
    assert set(by_alert) == {a.name for a in alerts}
    for a in alerts:
        w = by_alert[a.name]
        assert w.start >= normal.end and w.end - w.start >= INCIDENT_LENGTH
        assert w.subject or a.incident.signal.kind == "always", a.name  # something the simulated platform has
    shaping = [w for w in by_alert.values() if "agent_request_duration_seconds" in w.incident.signal.metrics]
    unique = list({w.name: w for w in shaping}.values())
    from agentgrafana.live.scenarios import condition

    readers = [a for a in alerts if a.incident and "agent_request_duration_seconds" in a.incident.signal.metrics]
    assert len(shaping) == len(readers) and len({w.name for w in shaping}) == len({condition(a) for a in readers})
    assert len({w.name for w in shaping}) >= 9
    assert by_alert[f"{twin.name}Twin"] is by_alert[twin.name]
    assert by_alert[twin.name].limits == (twin.threshold, twin.threshold * 2)
    ordered = sorted(unique, key=lambda w: w.start)
    assert all(b.start >= a.end for a, b in zip(ordered, ordered[1:]))
