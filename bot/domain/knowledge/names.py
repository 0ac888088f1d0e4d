"""Typo-tolerant matching of what someone typed against article names (titles, slugs, aliases).

Every name is also indexed by its word suffixes ("rest framework" in "Django REST Framework")
and the title's longer words, in two spellings (with and without spaces), so "restframework",
"rabbit" and "djnago" all land somewhere sensible. Fuzzy scoring is rapidfuzz's Indel ratio.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from rapidfuzz import fuzz, process

from bot.domain.knowledge.text import STOPWORDS, compact, name_key

FUZZY_CUTOFF = 60.0
PREFIX_SCAN = 400  # prefix matches examined per query (short prefixes match a lot)
FUZZY_LIMIT = 80


class NameKind(IntEnum):
    """How an entry relates to its article; a lower kind is a stronger claim to the name."""

    TITLE = 0
    SLUG = 1
    ALIAS = 2
    SUFFIX = 3
    WORD = 4

    @property
    def penalty(self) -> float:
        return (0.0, 0.0, 1.0, 4.0, 6.0)[self]

    @property
    def whole(self) -> bool:
        return self <= NameKind.ALIAS


@dataclass(frozen=True)
class NameEntry:
    slug: str
    label: str  # the name as written, shown when it explains a match ("DRF")
    kind: NameKind


@dataclass(frozen=True)
class NameHit:
    slug: str
    score: float  # 0..100
    entry: NameEntry
    exact: bool


def _names(slug: str, title: str, aliases: Iterable[str]) -> Iterable[tuple[str, str, NameKind]]:
    """(key, label, kind) for every indexed form of one article's names."""
    written = [(title, NameKind.TITLE), (slug.replace("-", " "), NameKind.SLUG)]
    written += [(alias, NameKind.ALIAS) for alias in aliases]
    for label, kind in written:
        key = name_key(label)
        if not key:
            continue
        yield key, label, kind
        words = key.split()
        for start in range(1, len(words)):
            yield " ".join(words[start:]), label, NameKind.SUFFIX
        if kind is NameKind.TITLE:
            for word in words[:-1]:
                if len(word) >= 4 and word not in STOPWORDS:
                    yield word, label, NameKind.WORD


class NameIndex:
    """Exact, prefix and fuzzy lookup of article names, all answered from memory."""

    def __init__(self, articles: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        by_string: dict[str, dict[str, NameEntry]] = defaultdict(dict)
        for slug, title, aliases in articles:
            for key, label, kind in _names(slug, title, aliases):
                entry = NameEntry(slug, label, kind)
                for form in {key, compact(key)}:
                    current = by_string[form].get(slug)
                    if current is None or entry.kind < current.kind:
                        by_string[form][slug] = entry
        self._entries = {form: tuple(entries.values()) for form, entries in by_string.items()}
        self._sorted = sorted(self._entries)

    def exact(self, text: str) -> list[NameEntry]:
        """Articles whose title, slug or an alias is exactly `text` (case, spaces, punctuation
        ignored)."""
        key = name_key(text)
        found: dict[str, NameEntry] = {}
        for form in (key, compact(key)):
            for entry in self._entries.get(form, ()):
                if entry.kind.whole:
                    found.setdefault(entry.slug, entry)
        return list(found.values())

    def _prefixed(self, form: str) -> Iterable[str]:
        start = bisect_left(self._sorted, form)
        for candidate in self._sorted[start : start + PREFIX_SCAN]:
            if not candidate.startswith(form):
                break
            yield candidate

    def search(self, text: str) -> list[NameHit]:
        """Best hit per article, best first: exact names, then prefixes, then close spellings."""
        key = name_key(text)
        if not key:
            return []
        forms = {key, compact(key)}
        best: dict[str, NameHit] = {}

        def offer(form: str, score: float, exact: bool) -> None:
            for entry in self._entries[form]:
                value = score - entry.kind.penalty
                current = best.get(entry.slug)
                if current is None or value > current.score:
                    best[entry.slug] = NameHit(entry.slug, value, entry, exact and entry.kind.whole)

        for form in forms:
            if form in self._entries:
                offer(form, 100.0, True)
            for candidate in self._prefixed(form):
                if candidate != form:
                    offer(candidate, 75.0 + 25.0 * len(form) / len(candidate), False)
        for form in forms:
            for candidate, score, _ in process.extract(
                form,
                self._sorted,
                scorer=fuzz.ratio,
                limit=FUZZY_LIMIT,
                score_cutoff=FUZZY_CUTOFF,
            ):
                if score < 100.0:
                    offer(candidate, score, False)
        return sorted(best.values(), key=lambda hit: (-hit.score, hit.entry.kind, hit.slug))
