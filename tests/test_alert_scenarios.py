"""Building blocks of the generated promtool tests: template rendering like Prometheus, Grafana's template
form, and scenario series that drive an expression to the value asked for."""

from __future__ import annotations

import math

import pytest

from agentgrafana import scenario as sc
from agentgrafana.alerting import template
from agentgrafana.alerting.define import kebab
from agentgrafana.alerting.duration import seconds


@pytest.mark.parametrize(
    "fn,value,expected",
    [  # outputs of Prometheus' template functions
        (template.humanize, 0, "0"),
        (template.humanize, 11, "11"),
        (template.humanize, 1234567, "1.235M"),
        (template.humanize, 0.012345, "12.35m"),
        (template.humanize, 93.5, "93.5"),
        (template.humanize_duration, 0, "0s"),
        (template.humanize_duration, 0.55, "550ms"),
        (template.humanize_duration, 10.1, "10.1s"),
        (template.humanize_duration, 90, "1m 30s"),
        (template.humanize_duration, 3 * 86400 + 3661, "3d 1h 1m 1s"),
        (template.humanize_duration, 0.000012, "12us"),
        (template.humanize_percentage, 0.055, "5.5%"),
        (template.humanize_percentage, 1.1, "110%"),
        (template.humanize_percentage, 0.0495, "4.95%"),
    ],
)
def test_value_formatting_matches_prometheus(fn, value, expected) -> None:
    assert fn(value) == expected


def test_render_fills_labels_and_formats_the_value() -> None:
    text = 'Agent {{ $labels.agent_name }}: {{ $value | humanizePercentage }} ({{ printf "%.2f" $value }})'
    assert template.render(text, {"agent_name": "bot"}, 0.123) == "Agent bot: 12.3% (0.12)"
    assert template.labels_used(text) == {"agent_name"}
    assert template.problems(text) == []


def test_grafana_form_reads_the_reduce_step() -> None:
    text = '{{ $value | humanizeDuration }} / {{ printf "%.2f" $value }} on {{ $labels.host }}, $value text'
    assert template.for_grafana(text) == (
        "{{ $values.B.Value | humanizeDuration }} / "
        '{{ printf "%.2f" $values.B.Value }} on {{ $labels.host }}, $value text'
    )


def _quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' histogram_quantile over (upper bound, cumulative rate) pairs."""
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - below) / (cumulative - below)
        lower, below = upper, cumulative
    raise AssertionError("unreachable")


def _rates(series: list[sc.InputSeries]) -> list[tuple[float, float]]:
    out = []
    for s in series:
        if "_bucket" in s.series:
            le = s.series.split('le="')[1].split('"')[0]
            out.append((float(le.replace("+Inf", "inf")), float(s.values.split("+")[1].split("x")[0])))
    return sorted(out)


BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60)


@pytest.mark.parametrize("value", [0.0995, 0.3, 0.99, 4.95, 9.9, 11, 7, 6.93, 29.8, 59])
def test_histogram_scenario_hits_the_quantile(value: float) -> None:
    series = sc.histogram("agent_request_duration_seconds", {"agent_name": "a"}, BUCKETS, 0.99, value, 10)
    assert math.isclose(_quantile(0.99, _rates(series)), value, rel_tol=1e-9)
    assert series[-1].series == 'agent_request_duration_seconds_count{agent_name="a"}'


def test_histogram_scenario_refuses_values_the_buckets_cannot_express() -> None:
    with pytest.raises(ValueError, match="outside the buckets"):
        sc.histogram("m", {}, BUCKETS, 0.99, 61, 10)
    with pytest.raises(ValueError, match="too low"):
        sc.histogram("m", {}, BUCKETS, 0.99, 0.01, 10)


def test_series_notation() -> None:
    assert sc.counter("c_total", {"b": "2", "a": "1"}, 2.5, 10) == sc.InputSeries('c_total{a="1", b="2"}', "0+2.5x10")
    assert sc.gauge("g", {}, 85, 5) == sc.InputSeries("g", "85x5")
    assert sc.number(sc.DCGM_UNSUPPORTED) == "9.223372036854776e+18"
    assert sc.flat("c_total", {}, 3).values == "0x3"


def test_breach_and_safe_values_straddle_the_threshold() -> None:
    assert sc.breach_value(">", 10) == 11 and sc.safe_value(">", 10) == 9.9
    assert sc.breach_value("<", 10) == 9 and sc.safe_value("<", 10) == 10.1
    assert sc.breach_value(">", 0) == 1 and sc.safe_value(">", 0) == -1


def test_names_and_durations() -> None:
    assert kebab("LLMRateLimitErrors") == "llm-rate-limit-errors"
    assert seconds("1h30m") == 5400 and seconds("0s") == 0
    with pytest.raises(ValueError):
        seconds("5 minutes")
