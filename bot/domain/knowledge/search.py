"""One search over names and content: autocomplete choices, and what `/learn <query>` shows.

Names (titles, slugs, aliases) are matched exactly, by prefix, or by close spelling; content is
ranked with BM25. `resolve` decides between showing one article (exact or confident), a short
list to pick from (weak), or nothing (a miss, recorded so a moderator can write it up).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from rapidfuzz import fuzz

from bot.domain.knowledge.articles import Article
from bot.domain.knowledge.fulltext import FullTextIndex, TextHit
from bot.domain.knowledge.names import NameHit, NameIndex, NameKind
from bot.domain.knowledge.text import fold, name_key, tokens

MAX_CHOICES = 25
CHOICE_LENGTH = 100
CONFIDENT_NAME = 80.0  # a name this close is taken as meant...
CONFIDENT_MARGIN = 5.0  # ...when no other article comes this close to it
CANDIDATE_NAME = 62.0  # names weaker than this are not offered as "did you mean"
# Full-text hits are scored into a band below strong name matches, lower still for one word
# (where a name prefix like "dj" -> "Django" should lead).
TEXT_BAND = (55.0, 85.0)
TEXT_BAND_ONE_WORD = (50.0, 76.0)
TEXT_LEAD = 2.0  # a phrase's best article is shown directly when it scores this many times
#                  the runner-up and contains every word of the query
MAX_CANDIDATES = 5
MISSPELLING = 75.0  # an alias this close to the title (or a word of it) is a spelling variant
MAX_QUERY = 100


class MatchKind(Enum):
    EXACT = "exact"
    CONFIDENT = "confident"
    WEAK = "weak"
    NONE = "none"


class Hit(NamedTuple):
    slug: str
    title: str
    score: float  # 0..100, comparable between name and text hits
    matched: str | None = None  # the alias that matched, when it explains the hit


@dataclass(frozen=True)
class Resolution:
    query: str
    kind: MatchKind
    hits: tuple[Hit, ...]  # the article first for exact/confident; candidates for weak

    @property
    def slug(self) -> str | None:
        if self.kind in (MatchKind.EXACT, MatchKind.CONFIDENT) and self.hits:
            return self.hits[0].slug
        return None


@dataclass(frozen=True)
class Choice:
    name: str
    value: str


def normalize_query(query: str) -> str:
    """How a query is stored when it found nothing: folded, single-spaced, at most 100 chars."""
    return " ".join(fold(query).split())[:MAX_QUERY]


def _explains(alias: str, title: str) -> bool:
    """Whether showing `alias` next to `title` tells the reader something: not when the title
    already says it, nor when it is one of the misspellings curators list ("djnago")."""
    alias_key, title_key = name_key(alias), name_key(title)
    if alias_key in title_key:
        return False
    words = [title_key, *title_key.split()]
    return all(fuzz.ratio(alias_key, word) < MISSPELLING for word in words)


def _choice_name(hit: Hit) -> str:
    name = hit.title
    if hit.matched and _explains(hit.matched, hit.title):
        name = f"{hit.title} ({hit.matched})"
    return name if len(name) <= CHOICE_LENGTH else name[: CHOICE_LENGTH - 1] + "…"


class KnowledgeIndex:
    """Built once from the loaded articles (off the event loop); queries are pure lookups."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self._titles = {a.slug: a.title for a in articles}
        self._alphabetical = sorted(articles, key=lambda a: fold(a.title))
        self._order = {a.slug: n for n, a in enumerate(self._alphabetical)}  # ties: A–Z
        self._names = NameIndex((a.slug, a.title, a.aliases) for a in articles)
        # The full-text index is most of the build: it is made by `warm` (in the background once
        # the index serves) or by the first query that needs it, whichever comes first.
        self._documents = [
            (
                a.slug,
                {
                    "title": a.title,
                    "aliases": " ".join(a.aliases),
                    "tags": " ".join(a.tags),
                    "body": a.body,
                },
            )
            for a in articles
        ]
        self._text_index: FullTextIndex | None = None
        self._text_lock = threading.Lock()

    @property
    def _text(self) -> FullTextIndex:
        index = self._text_index
        if index is None:
            with self._text_lock:
                if self._text_index is None:
                    self._text_index = FullTextIndex(self._documents)
                index = self._text_index
        return index

    def __len__(self) -> int:
        return len(self._titles)

    def warm(self) -> None:
        """Build and finish the full-text index (safe to run in a thread while queries are
        answered)."""
        self._text.warm()

    def _name_hit(self, hit: NameHit) -> Hit:
        matched = hit.entry.label if hit.entry.kind in (NameKind.ALIAS, NameKind.SUFFIX) else None
        return Hit(hit.slug, self._titles[hit.slug], hit.score, matched)

    def _text_hits(self, query: str, found: list[TextHit]) -> list[Hit]:
        """Full-text hits scored into their band relative to the best one."""
        if not found:
            return []
        top = found[0].score
        low, high = TEXT_BAND if len(tokens(query)) >= 2 else TEXT_BAND_ONE_WORD
        return [Hit(h.key, self._titles[h.key], low + (high - low) * h.score / top) for h in found]

    def _merge(self, names: list[NameHit], text: list[Hit], limit: int) -> list[Hit]:
        best: dict[str, Hit] = {}
        for name_hit in names[: limit + len(text)]:  # enough to fill `limit` whatever text adds
            if name_hit.score < CANDIDATE_NAME:
                break  # names come best first
            best[name_hit.slug] = self._name_hit(name_hit)
        for text_hit in text:
            if text_hit.slug not in best or best[text_hit.slug].score < text_hit.score:
                best[text_hit.slug] = text_hit
        ranked = sorted(best.values(), key=lambda h: (-h.score, self._order[h.slug]))
        return ranked[:limit]

    def search(self, query: str, *, limit: int = 10, prefix_last: bool = False) -> list[Hit]:
        """Names and content together, best first, one hit per article."""
        names = self._names.search(query)
        ceiling = (TEXT_BAND if len(tokens(query)) >= 2 else TEXT_BAND_ONE_WORD)[1]
        if len(names) >= limit and names[limit - 1].score >= ceiling:
            return self._merge(names, [], limit)  # no content hit could make the list
        found = self._text.search(query, limit=max(limit, 10), prefix_last=prefix_last)
        return self._merge(names, self._text_hits(query, found), limit)

    def autocomplete(self, query: str) -> list[Choice]:
        """At most 25 choices whose value is the slug; an empty query lists topics A–Z."""
        if not name_key(query):
            hits = [Hit(a.slug, a.title, 0.0) for a in self._alphabetical[:MAX_CHOICES]]
        else:
            hits = self.search(query, limit=MAX_CHOICES, prefix_last=True)
        return [Choice(_choice_name(hit), hit.slug) for hit in hits]

    def resolve(self, query: str) -> Resolution:
        """What `/learn` should show for `query` (a slug from autocomplete, a name, or words)."""
        query = query.strip()[:MAX_QUERY]
        if query in self._titles:
            return Resolution(query, MatchKind.EXACT, (Hit(query, self._titles[query], 100.0),))
        exact = self._names.exact(query)
        if len(exact) == 1:
            entry = exact[0]
            hit = Hit(entry.slug, self._titles[entry.slug], 100.0, entry.label)
            return Resolution(query, MatchKind.EXACT, (hit,))
        if len(exact) > 1:
            hits = tuple(Hit(e.slug, self._titles[e.slug], 100.0, e.label) for e in exact)
            return Resolution(query, MatchKind.WEAK, hits[:MAX_CANDIDATES])

        names = self._names.search(query)
        if names and names[0].score >= CONFIDENT_NAME:
            runner_up = names[1].score if len(names) > 1 else 0.0
            if names[0].score - runner_up >= CONFIDENT_MARGIN:
                return Resolution(query, MatchKind.CONFIDENT, (self._name_hit(names[0]),))

        text = self._text.search(query, limit=10)
        if text and len(tokens(query)) >= 2 and text[0].coverage == 1.0:
            runner_up = text[1].score if len(text) > 1 else 0.0
            if text[0].score >= TEXT_LEAD * runner_up:
                hit = Hit(text[0].key, self._titles[text[0].key], 100.0)
                return Resolution(query, MatchKind.CONFIDENT, (hit,))

        candidates = self._merge(names, self._text_hits(query, text), MAX_CANDIDATES)
        if not candidates:
            return Resolution(query, MatchKind.NONE, ())
        return Resolution(query, MatchKind.WEAK, tuple(candidates))
