"""Report formats: plain text for a terminal, Markdown for a pull-request comment, JSON for tools."""

from __future__ import annotations

import json
import re
from itertools import groupby

from .report import SECTIONS, Detail, Entry, Report

TITLE = "Monitoring changes"
LONG = 90  # before + after longer than this: on two lines
_SYMBOL = {"added": "+", "removed": "-", "changed": "~", "moved": ">", "retitled": "~"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<])")


def render(report: Report, fmt: str) -> str:
    return {"text": to_text, "markdown": to_markdown, "json": to_json}[fmt](report)


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _where(d: Detail, entry: Entry) -> str:
    if len(entry.where) > 1 and d.where and d.where != entry.where:
        return f" ({', '.join(d.where)} only)"
    return ""


def _entry_where(entry: Entry) -> str:
    return f" ({', '.join(entry.where)})" if entry.where else ""


def _groups(entry: Entry) -> list[tuple[str, list[Detail]]]:
    """Details of the same thing (one panel, one variable) together, in report order."""
    return [(what, list(ds)) for (_, what), ds in groupby(entry.details, key=lambda d: (d.ref, d.what))]


def _whole(details: list[Detail]) -> bool:
    """A thing added or removed as a whole (a panel, a variable): told in one line."""
    return (
        len(details) == 1
        and details[0].action in ("added", "removed")
        and not details[0].field.startswith(("query", "expression"))
    )


def _placed(d: Detail) -> str:
    """Where a panel was added (` at x 0, y 9, 24×8`) or was before it was removed."""
    if not d.field:
        return ""
    return f" at {d.field}" if d.action == "added" else f" (was at {d.field})"


def _label(d: Detail) -> str:
    return d.action if d.action in ("moved", "retitled") else d.field


# --- text -----------------------------------------------------------------------------------------


def to_text(report: Report) -> str:
    lines = [report.summary() if report.empty else f"{TITLE}: {report.summary()}"]
    for section in SECTIONS:
        entries = report.section(section)
        if not entries:
            continue
        lines += ["", section.capitalize()]
        for e in entries:
            head = f"  {_SYMBOL[e.status]} {e.title} ({e.key}) {e.status}{_entry_where(e)}"
            if e.title == e.key:
                head = f"  {_SYMBOL[e.status]} {e.title} {e.status}{_entry_where(e)}"
            lines.append(head + (f": {e.summary}" if e.summary else ""))
            lines += _indent(e.code, 8)
            for what, details in _groups(e):
                if what != "rule" and _whole(details):
                    d = details[0]
                    lines.append(f"      {_SYMBOL[d.action]} {what} {d.action}{_placed(d)}{_where(d, e)}")
                    lines += _indent(d.after if d.code else None, 10)
                    continue
                nested = what != "rule"
                if nested:
                    lines.append(f"      {_text_what(what, details)}")
                for d in details:
                    lines += _text_detail(d, e, 8 if nested else 6)
    if report.other_files:
        lines += ["", f"{len(report.other_files)} other generated file(s) changed:"]
        lines += [f"  {p}" for p in report.other_files]
    return "\n".join(lines) + "\n"


def _text_what(what: str, details: list[Detail]) -> str:
    actions = {d.action for d in details}
    symbol = _SYMBOL[actions.pop()] if len(actions) == 1 else "~"
    return f"{symbol} {what}"


def _text_detail(d: Detail, e: Entry, pad: int) -> list[str]:
    sp = " " * pad
    where = _where(d, e)
    if d.action in ("added", "removed") and not d.field.startswith(("query", "expression")):
        return [f"{sp}{d.action}{_placed(d)}{where}", *_indent(d.after if d.code else None, pad + 2)]
    if d.code:
        out = [f"{sp}{d.field} {d.action}{where}"]
        if d.before is not None:
            out += [f"{sp}  before:", *_indent(d.before, pad + 4)]
        if d.after is not None:
            out += [f"{sp}  after:", *_indent(d.after, pad + 4)]
        return out
    if d.before is None:
        return [f"{sp}{d.field} {d.action}: {d.after}{where}"]
    if len(d.before) + len(d.after or "") > LONG:
        return [f"{sp}{_label(d)} changed{where}", f"{sp}  before: {d.before}", f"{sp}  after:  {d.after}"]
    return [f"{sp}{_label(d)}: {d.before} → {d.after}{where}"]


def _indent(text: str | None, pad: int) -> list[str]:
    return [" " * pad + line for line in text.splitlines()] if text else []


# --- markdown -------------------------------------------------------------------------------------


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def to_markdown(report: Report) -> str:
    lines = [f"## {TITLE}", "", md_escape(report.summary())]
    for section in SECTIONS:
        entries = report.section(section)
        if not entries:
            continue
        lines += ["", f"### {section.capitalize()}", ""]
        for e in entries:
            name = f"**{md_escape(e.title)}**" + ("" if e.title == e.key else f" ({md_code(e.key)})")
            head = f"- {name}: {e.status}{md_escape(_entry_where(e))}"
            lines.append(head + (f" — {md_escape(e.summary)}" if e.summary else ""))
            lines += _fence(e.code, 2)
            for what, details in _groups(e):
                if what != "rule" and _whole(details):
                    d = details[0]
                    lines.append(
                        f"  - {md_escape(what)} **{d.action}**{md_escape(_placed(d))}{md_escape(_where(d, e))}"
                    )
                    lines += _fence(d.after if d.code else None, 4)
                    continue
                nested = what != "rule"
                if nested:
                    lines.append(f"  - {md_escape(what)}")
                for d in details:
                    lines += _md_detail(d, e, 4 if nested else 2)
    if report.other_files:
        lines += ["", f"<details><summary>{len(report.other_files)} other generated file(s) changed</summary>", ""]
        lines += [f"- {md_code(p)}" for p in report.other_files]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _md_detail(d: Detail, e: Entry, pad: int) -> list[str]:
    sp = " " * pad
    where = md_escape(_where(d, e))
    if d.action in ("added", "removed") and not d.field.startswith(("query", "expression")):
        return [f"{sp}- **{d.action}**{md_escape(_placed(d))}{where}", *_fence(d.after if d.code else None, pad + 2)]
    if d.code:
        out = [f"{sp}- {md_escape(d.field)} **{d.action}**{where}"]
        if d.before is not None:
            out += [f"{sp}  before:", *_fence(d.before, pad + 2)]
        if d.after is not None:
            out += [f"{sp}  after:", *_fence(d.after, pad + 2)]
        return out
    if d.before is None:
        return [f"{sp}- {md_escape(d.field)} **{d.action}**: {md_code(d.after or '')}{where}"]
    if len(d.before) + len(d.after or "") > LONG:
        return [
            f"{sp}- {md_escape(_label(d))} **changed**{where}",
            f"{sp}  - before: {md_code(d.before)}",
            f"{sp}  - after: {md_code(d.after or '')}",
        ]
    return [f"{sp}- {md_escape(_label(d))}: {md_code(d.before)} → {md_code(d.after or '')}{where}"]


def _fence(text: str | None, pad: int) -> list[str]:
    if not text:
        return []
    sp = " " * pad
    return [f"{sp}```promql", *(sp + line for line in text.splitlines()), f"{sp}```"]
