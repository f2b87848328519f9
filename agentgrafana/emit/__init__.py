"""Emitters: deterministic bytes for every output format. No I/O here; `writer` puts bytes on disk."""
from __future__ import annotations

import re
from typing import Any

import yaml

from .jsontext import dumps_indented
from .yamlfast import FastEmitMixin, dump_block


def json_bytes(data: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, no ASCII escaping, trailing newline."""
    return (dumps_indented(data) + "\n").encode("utf-8")


class _Dumper(FastEmitMixin, yaml.SafeDumper):
    """Block-style YAML; multi-line strings as literal blocks, so PromQL reads as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not re.search(r"[ \t]\n|\t|\r", value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def yaml_text(data: Any) -> str:
    """Stable YAML: keys in the order given (emitters build them in a fixed order), wide lines."""
    return dump_block(data, _Dumper, width=120)


def yaml_bytes(data: Any) -> bytes:
    return yaml_text(data).encode("utf-8")


def yaml_documents(docs: list[Any]) -> bytes:
    return "---\n".join(yaml_text(d) for d in docs).encode("utf-8")


def k8s_name(text: str) -> str:
    """A valid Kubernetes object name (DNS-1123 subdomain) derived from a uid or title."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return name[:253] or "unnamed"
