"""A nested configuration key keeps its siblings' defaults: setting one LLM latency figure must not turn the
other into the generic 1 s (the LLM limits default to a 3 s P95 target and an 8 s P99 alert)."""

from __future__ import annotations

from agentgrafana import config as config_mod


def test_one_nested_key_keeps_the_parents_defaults_for_the_others() -> None:
    cfg = config_mod.from_mapping({"thresholds": {"latency_seconds": {"llm": {"p95_target": 4}}}})
    llm = cfg.thresholds.latency_seconds.llm
    assert (llm.p95_target, llm.p99_alert) == (4, 8)
    assert cfg.thresholds.latency_seconds.agent == config_mod.Config().thresholds.latency_seconds.agent


def test_overrides_alone_keep_the_default_limit() -> None:
    cfg = config_mod.from_mapping(
        {"thresholds": {"latency_seconds": {"agent": {"p99_alert_overrides": {"code-agent": 30}}}}}
    )
    agent = cfg.thresholds.latency_seconds.agent
    assert agent.p99_alert == 10 and agent.p99_alert_overrides == {"code-agent": 30}
