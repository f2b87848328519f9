"""Short value labels for the common Grafana units (enough for a preview, not Grafana's full formatter)."""
from __future__ import annotations

import math

_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BYTES = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


def format_value(value: float | None, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "percentunit":
        return f"{_num(value * 100)}%"
    if unit == "percent":
        return f"{_num(value)}%"
    if unit in ("s", "ms", "µs", "ns"):
        return _duration(value * {"s": 1, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit])
    if unit == "mbytes":  # mebibytes, as dcgm-exporter reports framebuffer memory
        return f"{_num(value / 1024)} GiB" if abs(value) >= 1024 else f"{_num(value)} MiB"
    if unit in ("bytes", "decbytes"):
        return next((f"{_num(value / f)} {name}" for f, name in _BYTES if abs(value) >= f), f"{_num(value)} B")
    if unit.startswith("currency"):
        symbol = {"currencyUSD": "$", "currencyEUR": "€", "currencyGBP": "£"}.get(unit, "")
        big = next(((f, p) for f, p in _SI if abs(value) >= f), None)
        if big:
            return f"{symbol}{_num(value / big[0])}{big[1]}"
        return f"{symbol}{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{symbol}{_num(value)}"
    suffix = {"reqps": " req/s", "ops": " ops/s", "rps": " rd/s", "wps": " wr/s", "celsius": " °C",
              "watt": " W", "hertz": " Hz", "dtdurations": " s"}.get(unit, "")
    return _scaled(value, _SI, suffix)


def _num(v: float) -> str:
    if v == 0:
        return "0"
    digits = max(0, 3 - int(math.floor(math.log10(abs(v)))) - 1)
    return f"{v:.{min(digits, 6)}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"


def _scaled(v: float, steps: tuple[tuple[float, str], ...], suffix: str) -> str:
    for factor, prefix in steps:
        if abs(v) >= factor:
            return f"{_num(v / factor)} {prefix}{suffix.strip()}".rstrip()
    return f"{_num(v)}{suffix}"


def _duration(seconds: float) -> str:
    a = abs(seconds)
    if a == 0:
        return "0 s"
    for limit, factor, name in ((1e-6, 1e9, "ns"), (1e-3, 1e6, "µs"), (1, 1e3, "ms"), (60, 1, "s"),
                                (3600, 1 / 60, "min"), (86400, 1 / 3600, "h")):
        if a < limit:
            return f"{_num(seconds * factor)} {name}"
    return f"{_num(seconds / 86400)} d"
