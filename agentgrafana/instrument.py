"""`agentgrafana.instrument`: emit exactly what the dashboards read, from an agent application (the `seed` dialect).

    from agentgrafana.instrument import AgentMetrics

    metrics = AgentMetrics(agents=["support-bot"], tenants=["acme"])
    metrics.serve(8000)                                    # /metrics, OpenMetrics with exemplars
    with metrics.session("support-bot", "acme", user="u-42"):
        metrics.record_llm_call("gpt-4o", "openai", 1.8, input_tokens=1200, output_tokens=300, tenant="acme")
        metrics.record_request("support-bot", "gpt-4o", "acme", 4.2, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")

Every metric of the catalog's seed dialect is created with the catalog's name, type, labels and buckets, so a
query that validates against the catalog finds its series. What the seed's example exporter got wrong is
fixed here:

- **First errors count.** A labelled counter appears with its first increment, so `rate()` and `increase()`
  see nothing of it (three tenants failing once each read as a 0 % error rate). The error, timeout,
  rate-limit and tool-error series of the agents, tenants, error types, models and tools named at
  construction start at 0; name them all.
- **Durations are measured, never 0**: every helper takes the seconds it observes; nothing is recorded from a
  cost tracker that does not know them.
- **The provider is a parameter**, not `openai` for every call.
- **Cost** comes from the same `pricing` table as the recording rules (USD per 1,000 tokens; the built-in
  table by default), or the `cost_usd` the provider billed when given. A model without a price records its
  tokens and no cost (the `LLMModelUnpriced` alert watches for that on priced builds).
- **Exemplars**: a `trace_id` attaches a trace-id exemplar to the observation (exposed as OpenMetrics), which
  the latency panels with exemplars link to the trace.

Tenants are labels of the counters (tokens, cost, errors) and, as the catalog defines them, of the agent
histograms: a histogram multiplies series by its buckets (9 here), so at hundreds of tenants it is the request
histogram that dominates a Prometheus' series count. Keep tenants to the ones that bill separately.

Needs `prometheus_client` (`pip install 'agentgrafana[instrument]'`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .catalog import COUNTER, GAUGE, HISTOGRAM, Metric
from .config import Config, Price
from .sources.builtin import CORE, SEED

# the seed's error types (its exporter's `error_type` values), and a self-hosted model server's CUDA OOM as
# the agent reports it (the inference dashboard's out-of-memory panel reads error_type=~".*oom|out.?of.?memory.*")
DEFAULT_ERROR_TYPES = ("timeout", "http_error", "llm_error", "validation", "out_of_memory")
MONTHLY_BUDGET = "tenant_monthly_budget_usd"
METRICS: tuple[Metric, ...] = (*SEED.metrics, *(m for m in CORE.metrics if m.name == MONTHLY_BUDGET))


class AgentMetrics:
    """The seed dialect's metrics in one prometheus_client registry, with helpers that record them right."""

    def __init__(
        self,
        registry: Any = None,
        pricing: Mapping[str, Price] | None = None,
        *,
        agents: Iterable[str] = (),
        tenants: Iterable[str] = (),
        error_types: Iterable[str] = DEFAULT_ERROR_TYPES,
        models: Iterable[tuple[str, str]] = (),
        tools: Iterable[tuple[str, str]] = (),
    ) -> None:
        """`agents`, `tenants`, `error_types`, `models` ((model, provider) pairs) and `tools` ((tool, agent)
        pairs): the error series of these start at 0, so their first error counts."""
        try:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError(
                "agentgrafana.instrument needs prometheus_client: pip install 'agentgrafana[instrument]'"
            ) from None
        self.registry = registry if registry is not None else CollectorRegistry()
        self.pricing = dict(pricing) if pricing is not None else dict(Config().pricing)  # the built-in table
        kinds: dict[str, Any] = {COUNTER: Counter, GAUGE: Gauge, HISTOGRAM: Histogram}
        self.metrics: dict[str, Any] = {}
        for m in METRICS:
            extra = {"buckets": m.buckets} if m.type == HISTOGRAM else {}
            self.metrics[m.name] = kinds[m.type](m.name, m.help, list(m.labels), registry=self.registry, **extra)
        self._users: dict[tuple[str, str], dict[str, int]] = {}
        self._lock = threading.Lock()
        agents, tenants, error_types = list(agents), list(tenants), list(error_types)
        for agent in agents:
            for tenant in tenants:
                self.metrics["agent_timeout_total"].labels(agent_name=agent, tenant_id=tenant)
                for error_type in error_types:
                    self.metrics["agent_errors_total"].labels(agent_name=agent, error_type=error_type, tenant_id=tenant)
        for model, provider in models:
            for tenant in tenants:
                self.metrics["llm_rate_limit_errors_total"].labels(model=model, provider=provider, tenant_id=tenant)
        for tool, agent in tools:
            for error_type in error_types:
                self.metrics["tool_execution_errors_total"].labels(
                    tool_name=tool, agent_name=agent, error_type=error_type
                )

    # --- recording ---------------------------------------------------------------------------------------
    @staticmethod
    def _exemplar(trace_id: str | None) -> dict[str, str] | None:
        return {"trace_id": trace_id} if trace_id else None

    def record_request(
        self,
        agent: str,
        model: str,
        tenant: str,
        seconds: float,
        *,
        error_type: str | None = None,
        timed_out: bool = False,
        trace_id: str | None = None,
        chain_length: int | None = None,
        tool_calls: int | None = None,
        iterations: int | None = None,
    ) -> None:
        """One agent request, successful or not (a failed one is a request too: errors / requests is the error
        rate); a timeout is an error of type `timeout` and a timeout."""
        labels = {"agent_name": agent, "model": model, "tenant_id": tenant}
        self.metrics["agent_request_duration_seconds"].labels(**labels).observe(
            _seconds(seconds), self._exemplar(trace_id)
        )
        if timed_out:
            error_type = error_type or "timeout"
            self.metrics["agent_timeout_total"].labels(agent_name=agent, tenant_id=tenant).inc()
        if error_type:
            self.metrics["agent_errors_total"].labels(agent_name=agent, error_type=error_type, tenant_id=tenant).inc()
        for name, value in (("agent_chain_length", chain_length), ("agent_tool_calls", tool_calls)):
            if value is not None:
                self.metrics[name].labels(**labels).observe(value)
        if iterations is not None:
            self.metrics["agent_iterations"].labels(**labels).observe(iterations)

    def record_llm_call(
        self,
        model: str,
        provider: str,
        seconds: float,
        *,
        input_tokens: int,
        output_tokens: int,
        tenant: str,
        cost_usd: float | None = None,
        trace_id: str | None = None,
    ) -> float | None:
        """One model call: duration, tokens by type, and cost (the provider's bill if given, else tokens x
        `pricing`); returns the cost recorded (None for a model without a price)."""
        self.metrics["llm_inference_duration_seconds"].labels(model=model, provider=provider).observe(
            _seconds(seconds), self._exemplar(trace_id)
        )
        tokens = self.metrics["llm_tokens_total"]
        tokens.labels(model=model, token_type="input", tenant_id=tenant).inc(max(input_tokens, 0))
        tokens.labels(model=model, token_type="output", tenant_id=tenant).inc(max(output_tokens, 0))
        if cost_usd is None:
            price = self.pricing.get(model)
            if price is None:
                return None
            cost_usd = input_tokens / 1000 * price.input + output_tokens / 1000 * price.output
        self.metrics["llm_cost_dollars_total"].labels(model=model, tenant_id=tenant).inc(max(cost_usd, 0.0))
        return cost_usd

    def record_rate_limit(self, model: str, provider: str, tenant: str) -> None:
        """A call the provider rejected with HTTP 429."""
        self.metrics["llm_rate_limit_errors_total"].labels(model=model, provider=provider, tenant_id=tenant).inc()

    def record_timeout(self, agent: str, tenant: str) -> None:
        """A timeout without a request record of its own (record_request(timed_out=True) counts both)."""
        self.metrics["agent_timeout_total"].labels(agent_name=agent, tenant_id=tenant).inc()

    def record_tool(
        self, tool: str, agent: str, seconds: float, *, error_type: str | None = None, trace_id: str | None = None
    ) -> None:
        self.metrics["tool_execution_duration_seconds"].labels(tool_name=tool, agent_name=agent).observe(
            _seconds(seconds), self._exemplar(trace_id)
        )
        if error_type:
            self.metrics["tool_execution_errors_total"].labels(
                tool_name=tool, agent_name=agent, error_type=error_type
            ).inc()

    def record_vector_search(self, collection: str, agent: str, seconds: float, *, trace_id: str | None = None) -> None:
        self.metrics["vector_search_duration_seconds"].labels(collection=collection, agent_name=agent).observe(
            _seconds(seconds), self._exemplar(trace_id)
        )

    def set_monthly_budget(self, tenant: str, usd: float) -> None:
        """The optional monthly budget gauge the cost dashboard's 30-day utilisation reads."""
        self.metrics[MONTHLY_BUDGET].labels(tenant_id=tenant).set(usd)

    @contextmanager
    def session(self, agent: str, tenant: str, user: str | None = None) -> Iterator[None]:
        """An open agent session (and, with `user`, a distinct user) for as long as the block runs."""
        key = (agent, tenant)
        sessions = self.metrics["agent_active_sessions"].labels(agent_name=agent, tenant_id=tenant)
        users = self.metrics["agent_active_users"].labels(agent_name=agent, tenant_id=tenant)
        with self._lock:
            sessions.inc()
            if user is not None:
                open_by_user = self._users.setdefault(key, {})
                open_by_user[user] = open_by_user.get(user, 0) + 1
                users.set(len(open_by_user))
        try:
            yield
        finally:
            with self._lock:
                sessions.dec()
                if user is not None:
                    open_by_user = self._users[key]
                    open_by_user[user] -= 1
                    if not open_by_user[user]:
                        del open_by_user[user]
                    users.set(len(open_by_user))

    # --- exposing ----------------------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The registry as OpenMetrics text (with exemplars), as a scrape that asks for it gets it."""
        from prometheus_client.openmetrics.exposition import generate_latest

        return bytes(generate_latest(self.registry))

    def serve(self, port: int, addr: str = "127.0.0.1") -> Any:
        """Serve /metrics on `addr:port` (loopback by default) from a daemon thread; returns the server."""
        from prometheus_client import start_http_server

        return start_http_server(port, addr, registry=self.registry)


def _seconds(value: float) -> float:
    if value < 0:
        raise ValueError(f"a duration cannot be negative: {value}")
    return float(value)
