"""Alerts that say the monitoring itself is blind (group monitoring-alerts), because `noDataState: OK` and rules
that return nothing when their input is gone would otherwise leave every alert green forever.

- `MonitoringSeriesAbsent`: a series the alerts read has not been scraped for 15 minutes. Listed here are the
  series that exist whenever the platform runs (request and call counts, spend, the dcgm gauges). Error
  counters are left out: a labelled counter appears only with its first error, so its absence is good news.
  The lint rule `alert-presence` checks that every histogram and gauge the alerts read is in this list.
- `TargetDown`: a scrape target's `up` is 0.
- `PrometheusRuleEvaluationFailures` / `PrometheusRuleGroupMissedIterations`: the recording rules that every
  alert and panel read failed or were skipped.
- `Watchdog`: always fires. Route it to a dead man's switch (`alerting.receiver_watchdog`), which pages when
  the notifications stop: then it is the alerting pipeline that is down.
"""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert
from agentgrafana.context import Context
from agentgrafana.model import Alert
from agentgrafana.sources import parse_matchers

GROUP = "monitoring-alerts"
ABSENT_FOR = "15m"
WATCHED = (
    "agent_request_duration_seconds_count",
    "llm_inference_duration_seconds_count",
    "tool_execution_duration_seconds_count",
    "vector_search_duration_seconds_count",
    "llm_cost_dollars_total",
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_XID_ERRORS",
    "vllm:num_requests_waiting",
    "vllm:time_to_first_token_seconds_count",
)
REQUESTS = "agent_request_duration_seconds_count"
REQUEST = {"agent_name": "support-bot", "model": "gpt-4o", "tenant_id": "acme"}
PANEL = "Scrape targets up"


def alerts(ctx: Context) -> list[Alert]:
    return [absent(ctx), target_down(ctx), *rule_health(ctx), watchdog(ctx)]


def watched(ctx: Context) -> dict[str, str]:
    """Concept -> the series the build's sources read it from, for each watched concept they provide (a series
    once: errors and requests may share one; cost priced from tokens has no series of its own)."""
    out: dict[str, str] = {}
    priced = ctx.q.priced("llm_cost_dollars_total")  # then cost is read from the tokens: watch those
    for name in (*WATCHED, "llm_tokens_total") if priced else WATCHED:
        histogram = name.removesuffix("_count")
        # where a histogram's count is another family (LiteLLM's all-requests counter), watch both
        for series in (name, histogram + "_sum") if ctx.q.count_apart(histogram) else (name,):
            resolved = ctx.q.resolve(series)
            if resolved is not None and not resolved.priced and resolved.series not in out.values():
                out[series] = resolved.series
    return out


def absent(ctx: Context) -> Alert:
    names = watched(ctx)
    cluster = ctx.config.metrics.cluster_label
    if cluster:
        # absent_over_time() sees all clusters at once: one cluster's stopped family would hide behind another's.
        # Per cluster: clusters where a watched family reports now, less those where this one reported lately.
        scraped = f"group by ({cluster}) (" + " or ".join(ctx.q.raw(n, filtered=False) for n in names) + ")"
        gone = {
            n: f"{scraped} unless on ({cluster}) group by ({cluster}) "
            f"(present_over_time({ctx.q.raw(n, filtered=False)}[{ABSENT_FOR}]))"
            for n in names
        }
    else:
        gone = {name: f"absent_over_time({ctx.q.raw(name, filtered=False)}[{ABSENT_FOR}])" for name in names}
    expr = "\nor\n".join(f'label_replace({gone[n]}, "metric", "{series}", "", "")' for n, series in names.items())
    # the incident silences one watched family other than the requests (the seed's: vector search)
    quiet = next(
        (
            n
            for n in ("vector_search_duration_seconds_count", *names)
            if n in names and n != REQUESTS and not n.endswith("_sum")  # a _sum is the requests' histogram
        ),
        "",
    )
    others = tuple(names)
    # absent_over_time() returns the selector's equality matchers as labels (metrics.selector's job="..." too)
    scoped = {} if cluster else {k: v for k, op, v in parse_matchers(ctx.config.metrics.selector) if op == "="}
    return alert(
        ctx,
        "MonitoringSeriesAbsent",
        component="meta",
        key="monitoring-series-absent",
        group=GROUP,
        expr=expr,
        value=0,
        threshold_key=f"fixed: a watched series with no sample for {ABSENT_FOR}",
        unit="short",
        for_="0s",
        severity="warning",
        summary="Series {{ $labels.metric }} has not been scraped for 15 minutes: the alerts that read it are blind.",
        description=(
            "No sample of {{ $labels.metric }} for 15 minutes. Every alert and panel that reads it shows nothing, "
            "so they stay green whatever happens."
        ),
        dashboard="health",
        panel=PANEL,
        actions=(
            "Check the scrape target (**Monitoring Health** → *Scrape targets up*) and the exporter's pod.",
            (
                "If the target is up, the metric was renamed or its labels changed: compare `curl <target>/metrics` "
                "with `agentgrafana catalog`."
            ),
            "If the platform simply had no traffic since a restart, the alert ends with the first request.",
        ),
        incident=sc.Incident(
            sc.Absent(quiet.removesuffix("_count"), quiet, REQUEST, others),
            sc.labels(**scoped, metric=names.get(quiet, quiet)),
            breach=1,
            safe=0,
            extra=(
                sc.Case(
                    "MonitoringSeriesAbsent fires once the request metric has stopped for 15 minutes",
                    (
                        sc.InputSeries(sc.selector(REQUESTS, REQUEST), "0+10x10"),
                        *(sc.flat(n, REQUEST, 30) for n in others if n != REQUESTS),
                    ),
                    26,
                    ((sc.labels(**scoped, metric=names.get(REQUESTS, REQUESTS)), 1.0),),
                ),
                sc.Case(
                    "MonitoringSeriesAbsent waits 15 minutes: the request metric stopped 9 minutes ago",
                    (
                        sc.InputSeries(sc.selector(REQUESTS, REQUEST), "0+10x10"),
                        *(sc.flat(n, REQUEST, 30) for n in others if n != REQUESTS),
                    ),
                    19,
                ),
            ),
        ),
    )


def target_down(ctx: Context) -> Alert:
    return alert(
        ctx,
        "TargetDown",
        component="meta",
        key="target-down",
        group=GROUP,
        expr=ctx.q.aggregate("min", "up", ["job", "instance"], filtered=False),
        op="<",
        value=1,
        threshold_key="fixed: up is 1 when the last scrape succeeded",
        unit="short",
        for_="5m",
        severity="warning",
        summary="Target {{ $labels.instance }} of job {{ $labels.job }} cannot be scraped.",
        description=(
            "Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes: its "
            "series are stale and the alerts that read them are blind."
        ),
        dashboard="health",
        panel=PANEL,
        actions=(
            "Open the target in Prometheus (Status → Targets) for the scrape error.",
            "Check the pod: `kubectl get pods -A -o wide | grep <instance>` and its logs.",
        ),
        incident=sc.Incident(
            sc.Level("up", {"job": "agent-platform", "instance": "10.0.1.15:8000"}),
            sc.labels(instance="10.0.1.15:8000", job="agent-platform"),
            settle_minutes=0,
            breach=0,
        ),
    )


def rule_health(ctx: Context) -> list[Alert]:
    out = []
    for name, metric, what, key in (
        (
            "PrometheusRuleEvaluationFailures",
            "prometheus_rule_evaluation_failures_total",
            "failed",
            "rule-evaluation-failures",
        ),
        (
            "PrometheusRuleGroupMissedIterations",
            "prometheus_rule_group_iterations_missed_total",
            "were skipped (the previous run was still going)",
            "rule-group-missed-iterations",
        ),
    ):
        series = {"rule_group": "/etc/prometheus/rules/agent-recording.yaml;agent-recording"}
        out.append(
            alert(
                ctx,
                name,
                component="meta",
                key=key,
                group=GROUP,
                expr=ctx.q.increase(metric, ["rule_group"], "10m", filtered=False),
                value=0,
                threshold_key="fixed: any in 10 minutes",
                unit="short",
                for_="0s",
                severity="warning",
                summary=f"Rule group {{{{ $labels.rule_group }}}}: evaluations {what.split(' (')[0]}.",
                description=(
                    f"{{{{ $value | humanize }}}} evaluations of rule group {{{{ $labels.rule_group }}}} {what} in the "
                    "last 10 minutes: the recorded series that alerts and panels read are missing or late."
                ),
                dashboard="health",
                panel="Rule evaluation failures and missed iterations",
                actions=(
                    "Read the rule's error in Prometheus (Status → Rules) or in its log: "
                    '`level=warn msg="Evaluating rule failed"`.',
                    "A missed iteration means the group runs longer than its interval: find the costly rule "
                    "(`make bench`).",
                ),
                incident=sc.Incident(
                    sc.Rate(metric, series, per_seconds=600),
                    sc.labels(rule_group=series["rule_group"]),
                    settle_minutes=10,  # the 10-minute window full of the failing evaluations
                    breach=10,  # one a minute: whole numbers, as a real counter has
                    safe=0,
                ),
            )
        )
    return out


def watchdog(ctx: Context) -> Alert:
    return alert(
        ctx,
        "Watchdog",
        component="meta",
        key="watchdog",
        group=GROUP,
        expr="vector(1)",
        value=0,
        threshold_key="fixed: always true",
        unit="short",
        for_="0s",
        severity="info",
        summary="The alerting pipeline works: this alert always fires.",
        description=(
            "Always firing, on purpose ({{ $value | humanize }}). Route it to a dead man's switch; when its "
            "notifications stop, alerting itself is down."
        ),
        dashboard="health",
        panel=PANEL,
        actions=(
            "Nothing to do while it fires. If the dead man's switch pages, check Prometheus, Grafana and Alertmanager.",
        ),
        incident=sc.Incident(sc.Always(), ()),
    )
