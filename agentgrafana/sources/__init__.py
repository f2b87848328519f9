"""Metric sources: how each dialect of metrics provides the concepts the content is written against.

Content names *concepts* by their seed-dialect series (`agent_request_duration_seconds`, `agent_errors_total`,
`llm_tokens_total`, ...): the seed's names are the vocabulary, so a reader sees plain PromQL. A `Source` maps each
concept it can provide to one of its own series, with fixed matchers and renamed labels; `Dialect` is the set of
sources a build is configured for, and `queries.Queries` renders every query through it. What no configured
source provides is left out of the build, with the reason (see `pipeline`).

Built-in sources live in `builtin.py`; a project adds metrics and sources in its own `catalog.yaml` (`project.py`).
"""

from .base import TENANT, Mapping, Resolved, Source, parse_matchers, rename_matchers
from .dialect import Dialect, dialect

__all__ = ["TENANT", "Dialect", "Mapping", "Resolved", "Source", "dialect", "parse_matchers", "rename_matchers"]
