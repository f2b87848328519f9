"""`lint-exclusions.yaml`: findings silenced on purpose, each with the reason a reviewer reads.

    exclusions:
      - rule: panel-basics                    # a rule name (`agentgrafana lint --list`)
        object: dashboard legacy-*            # the finding's object; shell-style wildcards allowed
        location: 'panel "Old" (id 3)'        # optional: only findings at this location
        reason: imported from grafana.com; units come with the rewrite (TICKET-12)

A reason is required, a rule must exist, and an exclusion that silences nothing is reported (as a warning),
so exclusions cannot outlive what they were for.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..config import ConfigError, decode, parse_yaml

FILE = "lint-exclusions.yaml"
_KEYS = {"rule", "object", "location", "reason"}


@dataclass(frozen=True)
class Exclusion:
    rule: str
    object: str
    reason: str
    location: str = ""
    where: str = ""  # "lint-exclusions.yaml: exclusions[2]", for messages

    def matches(self, rule: str, obj: str, location: str) -> bool:
        return (
            rule == self.rule
            and fnmatchcase(obj, self.object)
            and (not self.location or fnmatchcase(location, self.location))
        )


def load(root: Path, known_rules: set[str]) -> list[Exclusion]:
    """The project's exclusions (none when the file is absent); ConfigError naming the entry when malformed."""
    path = root / FILE
    if not path.is_file():
        return []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    data = parse_yaml(decode(raw, path), path)
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) != {"exclusions"} or not isinstance(data["exclusions"], list):
        raise ConfigError(f"{path}: expected a mapping with one key, exclusions: a list of entries")
    return [_entry(item, f"{path}: exclusions[{i}]", known_rules) for i, item in enumerate(data["exclusions"])]


def _entry(item: Any, where: str, known_rules: set[str]) -> Exclusion:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with rule, object and reason")
    unknown = sorted(str(k) for k in item if k not in _KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(_KEYS))})")
    for key in ("rule", "object", "reason", "location"):
        if key in item and not isinstance(item[key], str):
            raise ConfigError(f"{where}.{key}: expected a string")
    if not str(item.get("reason", "")).strip():
        raise ConfigError(f"{where}.reason: every exclusion needs a reason (why the finding is acceptable)")
    if not str(item.get("object", "")).strip():
        raise ConfigError(f"{where}.object: name the object, e.g. 'dashboard agent-overview' or 'alert AgentDown'")
    rule = str(item.get("rule", ""))
    if rule not in known_rules:
        raise ConfigError(f"{where}.rule: unknown rule {rule!r} (see `agentgrafana lint --list`)")
    return Exclusion(rule, item["object"], item["reason"].strip(), item.get("location", ""), where)
