"""PyYAML's block-style output without its event pipeline: same decisions, same text, several times faster.

`yaml.dump` turns data into nodes, nodes into events, and runs events through a state machine with
look-ahead, then analyses every scalar character by character and resolves its implicit tag with regular
expressions, twice. Generated rule and test files repeat the same scalars thousands of times.

`dump_block` walks plain data (dicts with string keys, lists, str/int/float/bool/None) once and makes the
calls PyYAML's block-style state machine would make on a dumper instance of the given class: the same
indentation and indicator writes, and PyYAML's own scalar writers with the same analysis and style choice.
The scalar analysis and tag resolution, which depend on nothing but the text, are remembered
(`FastEmitMixin`). Data outside that subset (other types, shared containers that PyYAML would anchor,
scalars PyYAML would tag explicitly) goes through `yaml.dump` unchanged.
"""
from __future__ import annotations

import io
from typing import Any

import yaml
from yaml.emitter import ScalarAnalysis
from yaml.nodes import ScalarNode

_LIMIT = 100_000  # entries per cache before it is emptied (bounds memory on unusual inputs)
_BREAKS = ("\n", "\x85", "\u2028", "\u2029")
_analyses: dict[tuple[str, bool], ScalarAnalysis] = {}
_tags: dict[tuple[type, str, Any], str] = {}
_SCALARS = frozenset({str, int, bool, float, type(None)})


class _Fallback(Exception):
    """The data needs something only the full PyYAML pipeline does."""


class FastEmitMixin:
    """Put before `yaml.SafeDumper` in the bases: remembered analyses and tags, plain scalars in one write."""

    allow_unicode: bool
    yaml_path_resolvers: dict[Any, Any]

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        key = (scalar, bool(self.allow_unicode))
        found = _analyses.get(key)
        if found is None:  # the analysis is read, never changed, by the emitter
            found = super().analyze_scalar(scalar)  # type: ignore[misc]
            if len(_analyses) >= _LIMIT:
                _analyses.clear()
            _analyses[key] = found
        return found

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is not ScalarNode or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        key = (type(self), value, implicit)  # without path resolvers a scalar's tag depends on these only
        found = _tags.get(key)
        if found is None:
            found = super().resolve(kind, value, implicit)  # type: ignore[misc]
            if len(_tags) >= _LIMIT:
                _tags.clear()
            _tags[key] = found
        return found

    def write_plain(self, text: str, split: bool = True) -> None:
        me: Any = self
        if (not text or any(b in text for b in _BREAKS)
                or (split and " " in text and me.column + 1 + len(text) > me.best_width)):
            super().write_plain(text, split)  # type: ignore[misc]
            return
        # Without line breaks, and without a space past the width, PyYAML's loop writes the text itself.
        if me.root_context:
            me.open_ended = True
        data = text if me.whitespace else " " + text
        me.whitespace = False
        me.indention = False
        me.column += len(data)
        me.stream.write(data.encode(me.encoding) if me.encoding else data)


def dump_block(data: Any, dumper: type, width: int) -> str:
    """`yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=width,
    default_flow_style=False)`, the same text. `dumper` must include `FastEmitMixin`."""
    try:
        return _Walker(dumper, width).dump(data)
    except _Fallback:
        return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=width,
                         default_flow_style=False)


class _Walker:
    """Drives one dumper instance the way PyYAML's state machine does for block-style documents."""

    def __init__(self, dumper: type, width: int):
        self.stream = io.StringIO()
        self.d: Any = dumper(self.stream, default_flow_style=False, width=width, allow_unicode=True,
                             sort_keys=False)
        self.seen: set[int] = set()
        self.scalars: dict[tuple[type, Any], tuple[str, bool, bool, str | None]] = {}

    def dump(self, data: Any) -> str:
        d = self.d
        d.tag_prefixes = dict(d.DEFAULT_TAG_PREFIXES)
        self.node(data, root=True)
        d.write_indent()  # document end
        if d.open_ended:  # stream end after a plain or keep-chomped root scalar
            d.write_indicator("...", True)
            d.write_indent()
        return self.stream.getvalue()

    def node(self, value: Any, root: bool = False, sequence: bool = False, mapping: bool = False,
             simple_key: bool = False) -> None:
        d = self.d
        d.root_context, d.sequence_context = root, sequence
        d.mapping_context, d.simple_key_context = mapping, simple_key
        t = type(value)
        if t is dict:
            self.container(value)
            if not value:
                self.empty("{", "}")
            else:
                self.block_mapping(value)
        elif t is list:
            self.container(value)
            if not value:
                self.empty("[", "]")
            else:
                self.block_sequence(value)
        elif t in _SCALARS:
            self.scalar(value, simple_key)
        else:
            raise _Fallback

    def container(self, value: Any) -> None:
        key = id(value)
        if key in self.seen:  # PyYAML would write an anchor and an alias
            raise _Fallback
        self.seen.add(key)

    def empty(self, start: str, end: str) -> None:
        d = self.d
        d.write_indicator(start, True, whitespace=True)
        d.write_indicator(end, False)

    def block_mapping(self, mapping: dict[Any, Any]) -> None:
        d = self.d
        d.indents.append(d.indent)
        d.indent = 0 if d.indent is None else d.indent + d.best_indent
        for key, value in mapping.items():
            if type(key) is not str:
                raise _Fallback
            d.write_indent()
            text, implicit_plain, _, _ = self.represent(key)
            analysis = d.analyze_scalar(text)
            if len(text) + 5 < 128 and not analysis.empty and not analysis.multiline:  # 5 = len("!!str")
                self.node(key, mapping=True, simple_key=True)
                d.write_indicator(":", False)
            else:
                d.write_indicator("?", True, indention=True)
                self.node(key, mapping=True)
                d.write_indent()
                d.write_indicator(":", True, indention=True)
            self.node(value, mapping=True)
        d.indent = d.indents.pop()

    def block_sequence(self, items: list[Any]) -> None:
        d = self.d
        indentless = d.mapping_context and not d.indention
        d.indents.append(d.indent)
        if d.indent is None:
            d.indent = 0
        elif not indentless:
            d.indent += d.best_indent
        for item in items:
            d.write_indent()
            d.write_indicator("-", True, indention=True)
            self.node(item, sequence=True)
        d.indent = d.indents.pop()

    def represent(self, value: Any) -> tuple[str, bool, bool, str | None]:
        """(text, implicit as plain, implicit when quoted, style asked by the representer) of a scalar."""
        key = (type(value), value)
        cacheable = type(value) is not float  # -0.0 == 0.0 but they are written differently
        found = self.scalars.get(key) if cacheable else None
        if found is None:
            d = self.d
            node = d.yaml_representers[type(value)](d, value)
            found = (node.value, node.tag == d.resolve(ScalarNode, node.value, (True, False)),
                     node.tag == d.resolve(ScalarNode, node.value, (False, True)), node.style)
            if cacheable:
                self.scalars[key] = found
        return found

    def scalar(self, value: Any, simple_key: bool) -> None:
        d = self.d
        text, implicit_plain, implicit_quoted, requested = self.represent(value)
        a = d.analyze_scalar(text)
        style = _style(requested, implicit_plain, a, simple_key)
        if not ((style == "" and implicit_plain) or (style != "" and implicit_quoted)):
            raise _Fallback  # PyYAML would write an explicit tag
        d.indents.append(d.indent)
        d.indent = d.best_indent if d.indent is None else d.indent + d.best_indent
        split = not simple_key
        if style == "":
            d.write_plain(text, split)
        elif style == "'":
            d.write_single_quoted(text, split)
        elif style == '"':
            d.write_double_quoted(text, split)
        elif style == "|":
            d.write_literal(text)
        else:
            d.write_folded(text)
        d.indent = d.indents.pop()


def _style(requested: str | None, implicit_plain: bool, a: ScalarAnalysis, simple_key: bool) -> str:
    """PyYAML's `Emitter.choose_scalar_style` in block context, without canonical output."""
    if requested == '"':
        return '"'
    if not requested and implicit_plain:
        if not (simple_key and (a.empty or a.multiline)) and a.allow_block_plain:
            return ""
    if requested and requested in "|>":
        if not simple_key and a.allow_block:
            return requested
    if not requested or requested == "'":
        if a.allow_single_quoted and not (simple_key and a.multiline):
            return "'"
    return '"'
