"""Bad configuration files: each exits 2 with one line naming the file and the key, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from badinput import assert_clean_failure, make_project, run, snapshot

BOMB = (
    "\n".join(
        [
            'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]',
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
            "thresholds: {agent_error_rate_alert: *f}",
        ]
    )
    + "\n"
)

# (case id, file content, substrings the message must contain)
CASES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("unknown-top-key", "grafanna: {}\n", ("grafanna: unknown key",)),
    ("unknown-nested-key", "grafana:\n  folderr: {}\n", ("grafana.folderr: unknown key",)),
    ("unknown-deep-key", "thresholds:\n  gpu:\n    temp: 1\n", ("thresholds.gpu.temp: unknown key",)),
    ("duplicate-section", "grafana: {}\nthresholds: {}\ngrafana: {}\n", ("line 3: duplicate key 'grafana'",)),
    (
        "duplicate-leaf",
        "thresholds:\n  agent_error_rate_alert: 0.1\n  agent_error_rate_alert: 0.2\n",
        ("duplicate key 'agent_error_rate_alert'", "first at line 2"),
    ),
    ("duplicate-tenant", "budgets:\n  tenants:\n    acme: 1\n    acme: 2\n", ("duplicate key 'acme'",)),
    ("duplicate-flow", "grafana: {refresh: 1m, refresh: 5m}\n", ("duplicate key 'refresh'",)),
    (
        "401-digit-number",
        "thresholds:\n  agent_error_rate_alert: 1" + "0" * 400 + "\n",
        ("thresholds.agent_error_rate_alert", "out of range"),
    ),
    ("5000-digit-number", "thresholds:\n  agent_error_rate_alert: 1" + "0" * 5000 + "\n", ("cannot be read",)),
    ("huge-float", "thresholds:\n  agent_error_rate_alert: 1e400\n", ("thresholds.agent_error_rate_alert",)),
    ("not-utf8", b"grafana:\n  folder: {title: Caf\xe9}\n", ("not UTF-8: byte 0xe9 on line 2",)),
    ("stray-ff-byte", b"\xffgrafana: {}\n", ("not UTF-8",)),
    ("broken-utf16", b"\xff\xfeg\x00r\x00\x00\xd8", ("not valid UTF-16",)),
    ("deep-flow-lists", "x: " + "[" * 20000 + "]" * 20000 + "\n", ("nested more than 20 levels",)),
    ("deep-mappings", "a: " + "{b: " * 40 + "1" + "}" * 40 + "\n", ("nested more than 20 levels",)),
    ("yaml-bomb-in-number", BOMB, ("expands to more than",)),
    (
        "alias-of-list-in-number",
        "grafana: {tags: &l [a, b]}\nthresholds: {agent_error_rate_alert: *l}\n",
        ("thresholds.agent_error_rate_alert: expected a number",),
    ),
    ("unclosed-list", "grafana: [unclosed\n", ("not valid YAML",)),
    ("tab-indent", "grafana:\n\trefresh: 1m\n", ("not valid YAML",)),
    ("top-level-list", "- grafana\n", ("<top level>: expected a mapping",)),
    ("top-level-scalar", "hello\n", ("<top level>: expected a mapping",)),
    ("null-section", "grafana:\n", ("grafana: expected a mapping, got nothing",)),
    ("unhashable-key", "? [a, b]\n: 1\n", ("mapping key",)),
    ("group-interval-0s", "alerting:\n  group_interval: 0s\n", ("alerting.group_interval", "10s to 24h")),
    ("group-interval-15s", "alerting:\n  group_interval: 15s\n", ("alerting.group_interval", "multiples of 10s")),
    ("group-interval-ms", "alerting:\n  group_interval: 500ms\n", ("alerting.group_interval",)),
    ("group-interval-2d", "alerting:\n  group_interval: 2d\n", ("alerting.group_interval",)),
    ("group-interval-words", "alerting:\n  group_interval: soon\n", ("alerting.group_interval",)),
    ("refresh-0s", "grafana:\n  refresh: 0s\n", ("grafana.refresh", "at least 5s")),
    ("refresh-1s", "grafana:\n  refresh: 1s\n", ("grafana.refresh",)),
    ("refresh-compound", "grafana:\n  refresh: 1h30m\n", ("grafana.refresh",)),
    ("refresh-number", "grafana:\n  refresh: 60\n", ("grafana.refresh: expected a string",)),
    ("time-from-yesterday", "grafana:\n  time_from: yesterday\n", ("grafana.time_from", "now-6h")),
    ("time-from-zero", "grafana:\n  time_from: now-0h\n", ("grafana.time_from",)),
    ("time-from-empty", "grafana:\n  time_from: ''\n", ("grafana.time_from",)),
    (
        "url-space-in-host",
        "alerting:\n  runbook_base_url: https://run books.example.com/x\n",
        ("alerting.runbook_base_url",),
    ),
    (
        "url-port-99999",
        "alerting:\n  runbook_base_url: https://runbooks.example.com:99999/x\n",
        ("alerting.runbook_base_url", "port"),
    ),
    ("url-port-0", "alerting:\n  runbook_base_url: https://runbooks.example.com:0/x\n", ("port",)),
    ("url-port-words", "alerting:\n  runbook_base_url: https://runbooks.example.com:http/x\n", ("port",)),
    ("url-ftp", "alerting:\n  runbook_base_url: ftp://runbooks.example.com\n", ("http(s) URL",)),
    ("url-no-host", "alerting:\n  runbook_base_url: 'https://'\n", ("alerting.runbook_base_url",)),
    ("url-bad-host", "alerting:\n  runbook_base_url: https://bad_host!.example.com\n", ("not a valid host name",)),
    (
        "url-credentials",
        "alerting:\n  runbook_base_url: https://u:p@runbooks.example.com\n",
        ("must not carry credentials",),
    ),
    (
        "trace-url-no-placeholder",
        "traces:\n  url_template: https://langfuse.example.com/trace/\n",
        ("traces.url_template", "{trace_id}"),
    ),
    (
        "trace-url-two-placeholders",
        "traces:\n  url_template: https://x.example.com/{trace_id}/{trace_id}\n",
        ("traces.url_template",),
    ),
    (
        "label-value-space",
        "kubernetes:\n  dashboard_label: {grafana_dashboard: 'has space'}\n",
        ("kubernetes.dashboard_label.grafana_dashboard", "Kubernetes label value"),
    ),
    (
        "label-value-64-chars",
        "kubernetes:\n  alert_label: {grafana_alert: '" + "a" * 64 + "'}\n",
        ("kubernetes.alert_label.grafana_alert",),
    ),
    ("label-value-trailing-dash", "kubernetes:\n  common_labels: {team: 'ai-'}\n", ("kubernetes.common_labels.team",)),
    ("label-key-bad", "kubernetes:\n  common_labels: {'-bad': 'x'}\n", ("not a valid Kubernetes label key",)),
    ("label-value-number", "kubernetes:\n  dashboard_label: {grafana_dashboard: 1}\n", ("quote numbers",)),
    (
        "release-label-bad",
        "alerting:\n  prometheusrule_release: Kube Prometheus\n",
        ("alerting.prometheusrule_release",),
    ),
    ("namespace-upper", "kubernetes:\n  namespace: Monitoring\n", ("kubernetes.namespace",)),
    ("annotation-key-bad", "kubernetes:\n  folder_annotation: 'grafana folder'\n", ("kubernetes.folder_annotation",)),
    ("folder-title-slash", "grafana:\n  folder: {title: AI/Agents}\n", ("grafana.folder.title", "'/'")),
    ("folder-title-empty", "grafana:\n  folder: {title: '  '}\n", ("grafana.folder.title",)),
    ("folder-uid-41", "grafana:\n  folder: {uid: " + "a" * 41 + "}\n", ("grafana.folder.uid",)),
    ("folder-uid-space", "grafana:\n  folder: {uid: 'a b'}\n", ("grafana.folder.uid",)),
    ("folder-uid-dotdot", "grafana:\n  folder: {uid: '../x'}\n", ("grafana.folder.uid",)),
    ("uid-prefix-17", "grafana:\n  uid_prefix: " + "p" * 17 + "\n", ("grafana.uid_prefix",)),
    ("uid-prefix-slash", "grafana:\n  uid_prefix: a/b\n", ("grafana.uid_prefix",)),
    (
        "datasource-uid-bad",
        "grafana:\n  datasources: {prometheus_uid: 'my prom'}\n",
        ("grafana.datasources.prometheus_uid",),
    ),
    ("tenant-empty", "budgets:\n  tenants: {'': 5}\n", ("budgets.tenants.", "tenant names")),
    ("tenant-space", "budgets:\n  tenants: {acme corp: 5}\n", ("budgets.tenants.acme corp",)),
    ("tenant-slash", "budgets:\n  tenants: {'../evil': 5}\n", ("budgets.tenants.../evil",)),
    ("tenant-number-key", "budgets:\n  tenants: {123: 5}\n", ("budgets.tenants: keys must be strings", "quote")),
    ("tenant-negative", "budgets:\n  tenants: {acme: -5}\n", ("budgets.tenants.acme", "greater than 0")),
    ("tenant-huge-budget", "budgets:\n  tenants: {acme: 1e308}\n", ("budgets.tenants.acme", "above")),
    ("tenant-budget-string", "budgets:\n  tenants: {acme: lots}\n", ("budgets.tenants.acme: expected a number",)),
    (
        "tenant-too-long-for-uid",
        "budgets:\n  tenants: {" + "t" * 35 + ": 5}\n  per_tenant_dashboards: true\n",
        ("budgets.tenants." + "t" * 35, "over Grafana's 40"),
    ),
    ("tenants-as-list", "budgets:\n  tenants: [acme, globex]\n", ("budgets.tenants: expected a mapping",)),
    ("default-budget-zero", "budgets:\n  daily_usd_default: 0\n", ("budgets.daily_usd_default",)),
    ("per-tenant-int", "budgets:\n  per_tenant_dashboards: 1\n", ("budgets.per_tenant_dashboards: expected true",)),
    (
        "gpu-bands-inverted",
        "thresholds:\n  gpu: {utilisation_low_percent: 80, utilisation_high_percent: 40}\n",
        ("thresholds.gpu.utilisation_low_percent", "must be below"),
    ),
    (
        "gpu-bands-equal",
        "thresholds:\n  gpu: {utilisation_low_percent: 50, utilisation_high_percent: 50}\n",
        ("thresholds.gpu.utilisation_low_percent",),
    ),
    (
        "gpu-percent-over-100",
        "thresholds:\n  gpu: {utilisation_high_percent: 120}\n",
        ("thresholds.gpu.utilisation_high_percent",),
    ),
    (
        "memory-ratio-1",
        "thresholds:\n  gpu: {memory_used_alert_ratio: 1}\n",
        ("thresholds.gpu.memory_used_alert_ratio", "never exceeds 1"),
    ),
    (
        "memory-ratio-0",
        "thresholds:\n  gpu: {memory_used_alert_ratio: 0}\n",
        ("thresholds.gpu.memory_used_alert_ratio",),
    ),
    (
        "temperature-1e308",
        "thresholds:\n  gpu: {temperature_alert_celsius: 1e308}\n",
        ("thresholds.gpu.temperature_alert_celsius", "never be reached"),
    ),
    (
        "temperature-negative",
        "thresholds:\n  gpu: {temperature_alert_celsius: -5}\n",
        ("thresholds.gpu.temperature_alert_celsius",),
    ),
    (
        "error-rate-1e-11",
        "thresholds:\n  agent_error_rate_alert: 1e-11\n",
        ("thresholds.agent_error_rate_alert", "0.0001"),
    ),
    ("error-rate-percent", "thresholds:\n  agent_error_rate_alert: 5\n", ("thresholds.agent_error_rate_alert",)),
    (
        "error-rate-nan",
        "thresholds:\n  agent_error_rate_alert: .nan\n",
        ("thresholds.agent_error_rate_alert", "finite"),
    ),
    ("error-rate-inf", "thresholds:\n  tool_error_rate_alert: .inf\n", ("thresholds.tool_error_rate_alert",)),
    (
        "latency-negative",
        "thresholds:\n  latency_seconds:\n    agent: {p99_alert: -1}\n",
        ("thresholds.latency_seconds.agent.p99_alert", "greater than 0"),
    ),
    (
        "latency-string",
        "thresholds:\n  latency_seconds:\n    llm: {p95_target: '3'}\n",
        ("thresholds.latency_seconds.llm.p95_target: expected a number",),
    ),
    (
        "latency-bool",
        "thresholds:\n  latency_seconds:\n    tool: {p99_alert: true}\n",
        ("thresholds.latency_seconds.tool.p99_alert",),
    ),
    (
        "latency-a-day",
        "thresholds:\n  latency_seconds:\n    agent: {p99_alert: 100000}\n",
        ("thresholds.latency_seconds.agent.p99_alert", "above 3600"),
    ),
    ("budget-alert-1000", "thresholds:\n  budget_utilisation_alert: 1000\n", ("thresholds.budget_utilisation_alert",)),
    (
        "rate-limit-zero",
        "thresholds:\n  rate_limit_errors_per_5m_alert: 0\n",
        ("thresholds.rate_limit_errors_per_5m_alert",),
    ),
    ("timeouts-huge", "thresholds:\n  timeouts_per_minute_alert: 1e12\n", ("thresholds.timeouts_per_minute_alert",)),
    ("slow-trace-zero", "thresholds:\n  slow_trace_seconds: 0\n", ("thresholds.slow_trace_seconds",)),
    ("provenance-yes", "grafana:\n  disable_provenance: 'yes'\n", ("grafana.disable_provenance: expected true",)),
    ("tags-empty-item", "grafana:\n  tags: ['']\n", ("grafana.tags",)),
    ("tags-string", "grafana:\n  tags: ai-agents\n", ("grafana.tags: expected a list",)),
    ("tags-too-long", "grafana:\n  tags: [" + "t" * 51 + "]\n", ("grafana.tags", "50 characters")),
    ("tags-number-item", "grafana:\n  tags: [1]\n", ("grafana.tags[0]",)),
    ("no-data-state-bad", "alerting:\n  no_data_state: Maybe\n", ("alerting.no_data_state",)),
    ("exec-err-state-bad", "alerting:\n  exec_err_state: Panic\n", ("alerting.exec_err_state",)),
    ("provider-unknown", "traces:\n  provider: jaeger\n", ("traces.provider",)),
    ("service-name-quote", "traces:\n  service_name: 'a\"b'\n", ("traces.service_name",)),
    ("string-newline", 'grafana:\n  folder: {title: "a\\nb"}\n', ("grafana.folder.title", "single line")),
    ("string-2000-chars", "grafana:\n  folder: {title: " + "x" * 2000 + "}\n", ("grafana.folder.title", "1000")),
    ("huge-file", "# " + "x" * (1024 * 1024 + 10) + "\n", ("larger than 1024 KiB",)),
    (
        "slo-objective-one",
        "slos:\n  availability: {objective: 1}\n",
        ("slos.availability.objective", "no error budget"),
    ),
    ("slo-objective-percent", "slos:\n  latency: {objective: 95}\n", ("slos.latency.objective", "0.5 to below 1")),
    ("slo-agents-list", "slos:\n  availability: {agents: [a]}\n", ("slos.availability.agents", "mapping")),
    ("slo-agent-quote", "slos:\n  availability: {agents: {'a\"b': 0.99}}\n", ("slos.availability.agents",)),
    ("slo-period-zero", "slos:\n  period_days: 0\n", ("slos.period_days", "greater than 0")),
    ("budget-warning-share-one", "thresholds:\n  budget_warning_share: 1\n", ("thresholds.budget_warning_share",)),
    ("grafana-url-bad", "alerting:\n  grafana_url: grafana\n", ("alerting.grafana_url",)),
    ("watchdog-receiver-empty", "alerting:\n  receiver_watchdog: ''\n", ("alerting.receiver_watchdog",)),
    # metric sources and pricing
    ("source-unknown", "metrics:\n  sources: [seed, otel]\n", ("metrics.sources[1]", "unknown source 'otel'")),
    ("source-twice", "metrics:\n  sources: [seed, seed]\n", ("metrics.sources[1]", "listed twice")),
    ("sources-empty", "metrics:\n  sources: []\n", ("metrics.sources", "at least one")),
    ("sources-string", "metrics:\n  sources: seed\n", ("metrics.sources", "expected a list")),
    ("selector-broken", "metrics:\n  selector: 'job='\n", ("metrics.selector", "label matchers")),
    ("selector-names-metric", "metrics:\n  selector: '__name__=\"up\"'\n", ("metrics.selector",)),
    ("selector-injection", "metrics:\n  selector: 'job=\"a\"}) or vector(1'\n", ("metrics.selector",)),
    ("cluster-label-bad", "metrics:\n  cluster_label: 'my-cluster'\n", ("metrics.cluster_label", "label name")),
    ("tenant-label-empty", "metrics:\n  tenant_label: ''\n", ("metrics.tenant_label", "label name")),
    ("price-negative", "pricing:\n  gpt-4o: {input: -1, output: 1}\n", ("pricing.gpt-4o.input", "from 0 to 1000")),
    ("price-text", "pricing:\n  gpt-4o: {input: cheap}\n", ("pricing.gpt-4o.input", "expected a number")),
    ("price-unknown-key", "pricing:\n  gpt-4o: {prompt: 1}\n", ("pricing.gpt-4o.prompt", "unknown key")),
    ("price-list", "pricing: [gpt-4o]\n", ("pricing", "expected a mapping")),
    (
        "preallocated-namespace-bad",
        "thresholds:\n  gpu: {memory_preallocated_namespaces: [Inference_NS]}\n",
        ("thresholds.gpu.memory_preallocated_namespaces", "namespace"),
    ),
    ("inference-queue-zero", "thresholds:\n  inference: {queue_waiting_alert: 0}\n", ("queue_waiting_alert",)),
    ("price-model-quote", "pricing:\n  'gpt\"4': {input: 1, output: 1}\n", ("pricing.gpt",)),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_project(tmp_path_factory.mktemp("badconfig"))


@pytest.mark.parametrize("case_id,content,names", CASES, ids=[c[0] for c in CASES])
def test_bad_configuration_exits_2_naming_file_and_key(project, tmp_path, case_id, content, names) -> None:
    root, out = project
    config = tmp_path / "monitoring.yaml"
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(out)
    ran = run("generate", "--root", str(root), "--config", str(config), "--out", str(out))
    assert_clean_failure(ran, 2, str(config), *names)
    assert len(ran.err) < 2000, "the message is bounded (never a repr of an expanded value)"
    assert snapshot(out) == before


@pytest.mark.parametrize("case_id,content,names", CASES[:12], ids=[c[0] for c in CASES[:12]])
def test_bad_configuration_in_json_is_json(project, tmp_path, case_id, content, names) -> None:
    import json

    root, _ = project
    config = tmp_path / "monitoring.yaml"
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    ran = run("validate", "--root", str(root), "--config", str(config), "--format", "json")
    report = json.loads(ran.out)
    assert ran.code == 2 and report["ok"] is False and report["error"]["kind"] == "configuration"
    assert names[0] in report["error"]["message"]


@pytest.mark.parametrize(
    "encoding,bom",
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
    ],
)
def test_utf16_and_utf32_with_a_byte_order_mark_are_read_as_yaml_allows(project, tmp_path, encoding, bom) -> None:
    root, _ = project
    config = tmp_path / "monitoring.yaml"
    config.write_bytes(bom + "grafana:\n  folder: {title: Agents é}\n".encode(encoding))
    ran = run("validate", "--root", str(root), "--config", str(config))
    assert ran.code == 0, ran.text


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_unreadable_configuration_path(project, tmp_path, what) -> None:
    root, out = project
    config = tmp_path / "cfg"
    if what == "directory":
        config.mkdir()
    before = snapshot(out)
    ran = run("generate", "--root", str(root), "--config", str(config), "--out", str(out))
    assert_clean_failure(ran, 2, str(config), "cannot read configuration")
    assert snapshot(out) == before
