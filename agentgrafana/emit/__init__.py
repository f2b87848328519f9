"""Emitters: deterministic bytes for every output format. No I/O here; `writer` puts bytes on disk."""

from __future__ import annotations

import re
from typing import Any

import orjson
import yaml

_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
# libyaml's emitter (bundled with PyYAML's wheels) makes the same decisions as PyYAML's pure-Python one,
# ten times faster; the pure-Python emitter is the fallback where PyYAML was built without libyaml.
_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def json_bytes(data: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, UTF-8 without escapes, trailing newline.

    orjson writes the same text as `json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)` for
    dashboard JSON, an order of magnitude faster (Python's json has no C encoder for indented output).
    """
    return orjson.dumps(data, option=_JSON_OPTIONS) + b"\n"


def compact_json_bytes(data: Any) -> bytes:
    """The same JSON without indentation or a trailing newline (for ConfigMaps, where size counts)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


class _Dumper(_BaseDumper):
    """Block-style YAML; multi-line strings as literal blocks, so PromQL reads as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not re.search(r"[ \t]\n|\t|\r", value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def yaml_text(data: Any) -> str:
    """Stable YAML: keys in the order given (emitters build them in a fixed order), wide lines."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)


def yaml_bytes(data: Any) -> bytes:
    return yaml_text(data).encode("utf-8")


def yaml_documents(docs: list[Any]) -> bytes:
    return "---\n".join(yaml_text(d) for d in docs).encode("utf-8")


def k8s_name(text: str) -> str:
    """A valid Kubernetes object name (DNS-1123 subdomain) derived from a uid or title."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:253] or "unnamed"
