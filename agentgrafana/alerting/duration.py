"""Prometheus durations (`5m`, `1h30m`, `0s`) as seconds, and back."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_WHOLE = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$")


def seconds(text: str) -> float:
    """Seconds in a Prometheus duration; ValueError when it is not one."""
    if not _WHOLE.match(text or ""):
        raise ValueError(f"{text!r} is not a Prometheus duration such as 30s, 5m or 1h")
    return float(sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text)))


def is_duration(text: str) -> bool:
    return bool(_WHOLE.match(text or ""))


def minutes_text(minutes: int) -> str:
    return f"{minutes}m"
