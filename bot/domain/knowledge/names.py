"""Typo-tolerant matching of what someone typed against article names (titles, slugs, aliases).

Every name is also indexed by its word suffixes ("rest framework" in "Django REST Framework")
and the title's longer words, in two spellings (with and without spaces), so "restframework",
"rabbit" and "djnago" all land somewhere sensible. Fuzzy scoring is rapidfuzz's Indel ratio.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from enum import IntEnum
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.domain.knowledge.text import STOPWORDS, compact, name_key

FUZZY_CUTOFF = 60.0
PREFIX_SCAN = 150  # prefix matches examined per query (short prefixes match a lot)
FUZZY_LIMIT = 40
MIN_FUZZY_LENGTH = 4  # shorter queries are prefixes being typed, not misspellings


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


class NameEntry(NamedTuple):
    slug: str
    label: str  # the name as written, shown when it explains a match ("DRF")
    kind: NameKind
    penalty: float  # kind.penalty, stored: it is read for every candidate of every query


class NameHit(NamedTuple):
    slug: str
    score: float  # 0..100
    entry: NameEntry


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
        fuzzy: set[str] = set()
        penalties = {kind: kind.penalty for kind in NameKind}
        for slug, title, aliases in articles:
            for key, label, kind in _names(slug, title, aliases):
                entry = NameEntry(slug, label, kind, penalties[kind])
                if kind is not NameKind.SUFFIX:
                    fuzzy.add(key)
                for form in (key, key.replace(" ", "")) if " " in key else (key,):
                    current = by_string[form].get(slug)
                    if current is None or entry.penalty < current.penalty:
                        by_string[form][slug] = entry
        self._entries = {form: tuple(entries.values()) for form, entries in by_string.items()}
        self._sorted = sorted(self._entries)
        # Close spellings are looked for among whole names and title words, as written with
        # spaces: suffixes and compact forms serve exact and prefix lookups, and leaving them
        # out halves the fuzzy scan.
        self._fuzzy = sorted(fuzzy)

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

    def contained(self, text: str, *, longest: int = 4) -> dict[str, int]:
        """Articles one of whose whole names (title, slug, alias) appears in `text` as a run of
        whole words, with the length of the longest such name: "how do I stop n+1 queries"
        contains the alias "n+1 queries". Runs of stop words alone never count."""
        words = name_key(text).split()
        found: dict[str, int] = {}
        for size in range(1, min(longest, len(words)) + 1):
            for start in range(len(words) - size + 1):
                run = words[start : start + size]
                if all(word in STOPWORDS for word in run):
                    continue
                form = " ".join(run)
                for entry in self._entries.get(form, ()):
                    if entry.kind.whole and len(form) > found.get(entry.slug, 0):
                        found[entry.slug] = len(form)
        return found

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
        entries = self._entries
        best: dict[str, tuple[float, NameEntry]] = {}

        def offer(form: str, score: float) -> None:
            for entry in entries[form]:
                value = score - entry.penalty
                current = best.get(entry.slug)
                if current is None or value > current[0]:
                    best[entry.slug] = (value, entry)

        for form in forms:
            if form in entries:
                offer(form, 100.0)
            for candidate in self._prefixed(form):
                if candidate != form:
                    offer(candidate, 75.0 + 25.0 * len(form) / len(candidate))
        if len(key) >= MIN_FUZZY_LENGTH:
            for candidate, score, _ in process.extract(
                key, self._fuzzy, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=FUZZY_CUTOFF
            ):
                if score < 100.0:
                    offer(candidate, score)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1].kind, item[0]))
        return [NameHit(slug, score, entry) for slug, (score, entry) in ranked]
