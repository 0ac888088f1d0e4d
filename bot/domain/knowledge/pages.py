"""Splitting an article into pages at section boundaries, each small enough for one embed.

Sections are packed together while they fit a reading budget; a section too long for one page
is cut between paragraphs (never inside a code block unless the block itself is too long, in
which case the fence is closed and reopened so every page renders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.knowledge.articles import Article, Section

READING_BUDGET = 1800  # characters a page aims for: a phone screen or two
HARD_LIMIT = 3900  # never more (Discord's embed description limit is 4096)
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Page:
    number: int  # 0-based
    text: str
    headings: tuple[str, ...]


def _blocks(body: str) -> list[str]:
    """Paragraphs, with each fenced code block kept whole."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _cut_block(block: str, limit: int) -> list[str]:
    """A single block longer than `limit`, cut at line ends (code fences closed and reopened)."""
    lines = block.splitlines()
    fence = lines[0].strip() if lines and _FENCE.match(lines[0]) else None
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    reserve = len(fence) + 8 if fence else 0
    for line in lines:
        while len(line) > limit - reserve:
            head, line = line[: limit - reserve], line[limit - reserve :]
            pieces.append("\n".join([*current, head]))
            current, size = [], 0
        if size + len(line) + 1 > limit - reserve and current:
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pieces.append("\n".join(current))
    if fence:
        opener = fence
        for i, piece in enumerate(pieces):
            if i > 0:
                piece = f"{opener}\n{piece}"
            if i < len(pieces) - 1:
                piece = f"{piece}\n```"
            pieces[i] = piece
    return pieces


def _render(label: str, parts: list[str]) -> str:
    return f"### {label}\n" + "\n\n".join(parts)


def _section_chunks(section: Section, limit: int) -> list[tuple[str, str]]:
    """(heading, text) chunks of one section, each within `limit` characters."""
    chunks: list[tuple[str, str]] = []
    label = section.heading
    parts: list[str] = []
    size = len(label) + 5
    for block in _blocks(section.body):
        pieces = [block] if len(block) <= limit - 200 else _cut_block(block, limit - 200)
        for piece in pieces:
            if parts and size + len(piece) + 2 > limit:
                chunks.append((label, _render(label, parts)))
                label = f"{section.heading} (continued)"
                parts, size = [], len(label) + 5
            parts.append(piece)
            size += len(piece) + 2
    chunks.append((label, _render(label, parts)))
    return chunks


def paginate(
    article: Article, *, budget: int = READING_BUDGET, limit: int = HARD_LIMIT
) -> tuple[Page, ...]:
    """The article's pages: the summary opens page 1, sections follow, packed up to `budget`."""
    pages: list[tuple[list[str], list[str]]] = [([article.summary], [])]
    for section in article.sections:
        for heading, text in _section_chunks(section, limit):
            texts, headings = pages[-1]
            size = sum(len(t) + 2 for t in texts)
            if texts and size + len(text) > budget:
                pages.append(([text], [heading]))
            else:
                texts.append(text)
                headings.append(heading)
    return tuple(
        Page(number, "\n\n".join(texts), tuple(headings))
        for number, (texts, headings) in enumerate(pages)
    )
