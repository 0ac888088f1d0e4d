"""A fast reader for the plain front matter articles use, with YAML itself for anything else.

Even with libyaml, PyYAML builds every value in Python and was the largest single cost of
loading the knowledge base. Articles' front matter is nearly always the same simple shape::

    title: Caching with Redis
    aliases: [redis, cache]
    sources:
      - title: Django's cache framework
        url: https://docs.djangoproject.com/en/5.1/topics/cache/

`simple_front_matter` reads exactly that shape (top-level `key: plain text` or a quoted text
with nothing to unescape, flow lists of plain items, and block lists of plain items or of flat
`key: value` mappings) and returns what YAML's BaseLoader would (every scalar as text). For
anything else (escapes, comments, multi-line text, anchors, nesting) it returns None and the
caller uses YAML, so no file reads differently.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_UNSAFE_START = frozenset("'\"{}[]|>&*!%@`#,?:-")
_UNSAFE_IN_FLOW = frozenset("'\"{}[]#")


def _plain(value: str) -> str | None:
    """A plain one-line scalar (already stripped), or None if YAML could read it otherwise.

    A quoted one counts when nothing in it needs unescaping: no backslash, no inner quote."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return None if value[0] in inner or "\\" in inner else inner
    if not value or value[0] in _UNSAFE_START or value.endswith(":"):
        return None if value else ""
    if ": " in value or " #" in value or "\t" in value:
        return None
    return value


def _flow_list(value: str) -> list[str] | None:
    if not value.endswith("]"):
        return None
    inner = value[1:-1]
    if any(c in _UNSAFE_IN_FLOW for c in inner) or ": " in inner or inner.endswith(":"):
        return None
    if not inner.strip():
        return []
    items = [item.strip() for item in inner.split(",")]
    if any(not item or item[0] in _UNSAFE_START or item.endswith(":") for item in items):
        return None
    return items


def _value(value: str) -> str | list[str] | None:
    return _flow_list(value) if value.startswith("[") else _plain(value)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_list(lines: list[str], start: int) -> tuple[list[Any] | None, int]:
    """The block sequence starting at `lines[start]`; (None, _) when it isn't a simple one."""
    items: list[Any] = []
    i = start
    dash = _indent(lines[start])
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        indent = _indent(line)
        stripped = line[indent:]
        if indent < dash or (indent == dash and not stripped.startswith("- ")):
            break
        if indent != dash:
            return None, i
        entry = stripped[2:].strip()
        i += 1
        key, sep, rest = entry.partition(":")
        if sep and (rest == "" or rest.startswith(" ")) and _KEY.fullmatch(key):
            mapping: dict[str, Any] = {}
            first = _value(rest.strip())
            if first is None or not rest.strip():
                return None, i
            mapping[key] = first
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) == dash + 2:
                key, sep, rest = lines[i].strip().partition(":")
                if not sep or not _KEY.fullmatch(key) or key in mapping:
                    return None, i
                if rest and not rest.startswith(" "):
                    return None, i
                value = _value(rest.strip())
                if value is None or not rest.strip():
                    return None, i
                mapping[key] = value
                i += 1
            items.append(mapping)
        else:
            scalar = _plain(entry)
            if scalar is None or not entry:
                return None, i
            items.append(scalar)
    return items, i


def simple_front_matter(raw: str) -> dict[str, Any] | None:
    """The front matter as YAML's BaseLoader reads it, or None: let YAML read this one."""
    if "\t" in raw or "\r" in raw:
        return None
    lines = raw.split("\n")
    result: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line[0] == " ":
            return None
        key, sep, rest = line.partition(":")
        if not sep or not _KEY.fullmatch(key) or key in result:
            return None
        if rest and not rest.startswith(" "):
            return None
        i += 1
        value: Any
        if rest.strip():
            value = _value(rest.strip())
        else:
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i < len(lines) and lines[i].lstrip(" ").startswith("- "):
                value, i = _block_list(lines, i)
            elif i < len(lines) and lines[i].startswith(" "):
                return None  # a nested mapping or multi-line text
            else:
                value = ""
        if value is None:
            return None
        result[key] = value
    return result
