"""A small BM25 full-text index over weighted fields (title, aliases, tags, headings, body).

Term weights are computed once at build time, so a query is a handful of dictionary walks.
Query words missing from the vocabulary are corrected to the closest known word ("celary"),
and, for autocomplete, the last word may be a prefix still being typed ("pagin").
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.domain.knowledge.text import tokens

FIELD_WEIGHTS: Mapping[str, float] = {
    "title": 4.0,
    "aliases": 3.0,
    "tags": 2.0,
    "headings": 1.5,
    "body": 1.0,
}
K1 = 1.5
B = 0.75
TYPO_CUTOFF = 80.0  # rapidfuzz ratio for correcting a query word to a vocabulary word
MIN_TYPO_LENGTH = 4
PREFIX_EXPANSIONS = 12


@dataclass(frozen=True)
class TextHit:
    key: str
    score: float
    coverage: float  # share of the query's words found in the document (0..1)


class FullTextIndex:
    """BM25 over documents given as {field: text}; `search` returns the best keys first."""

    def __init__(self, documents: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self._keys = [key for key, _ in documents]
        weighted: list[dict[str, float]] = []
        lengths: list[float] = []
        for _, fields in documents:
            counts: dict[str, float] = defaultdict(float)
            length = 0.0
            for field, text in fields.items():
                weight = FIELD_WEIGHTS.get(field, 1.0)
                words = tokens(text)
                length += len(words)
                for word in words:
                    counts[word] += weight
            weighted.append(counts)
            lengths.append(length)
        count = len(documents)
        average = (sum(lengths) / count) if count else 1.0
        frequency: Counter[str] = Counter()
        for counts in weighted:
            frequency.update(counts.keys())
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, counts in enumerate(weighted):
            norm = K1 * (1 - B + B * lengths[doc] / (average or 1.0))
            for term, tf in counts.items():
                idf = math.log(1 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
                postings[term].append((doc, idf * tf * (K1 + 1) / (tf + norm)))
        self._postings = dict(postings)
        self._vocabulary = sorted(self._postings)
        self._typo_vocabulary = [t for t in self._vocabulary if len(t) >= MIN_TYPO_LENGTH - 1]

    @property
    def vocabulary_size(self) -> int:
        return len(self._vocabulary)

    def _expand(self, term: str, *, prefix: bool) -> list[tuple[str, float]]:
        """Vocabulary terms standing for a query term, each with a confidence factor."""
        if term in self._postings:
            found = [(term, 1.0)]
        else:
            found = []
        if prefix and len(term) >= 2:
            start = bisect_left(self._vocabulary, term)
            for candidate in self._vocabulary[start : start + PREFIX_EXPANSIONS]:
                if not candidate.startswith(term):
                    break
                if candidate != term:
                    found.append((candidate, 0.7))
        if not found and len(term) >= MIN_TYPO_LENGTH and term.isalpha():
            best = process.extractOne(
                term, self._typo_vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if best is not None:
                found.append((best[0], 0.8))
        return found

    def search(self, query: str, *, limit: int = 10, prefix_last: bool = False) -> list[TextHit]:
        """Documents matching at least half of the query's words, best BM25 score first."""
        terms = list(dict.fromkeys(tokens(query)))
        if not terms:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for position, term in enumerate(terms):
            prefix = prefix_last and position == len(terms) - 1
            best_for_doc: dict[int, float] = {}
            for vocabulary_term, factor in self._expand(term, prefix=prefix):
                for doc, weight in self._postings[vocabulary_term]:
                    value = weight * factor
                    if value > best_for_doc.get(doc, 0.0):
                        best_for_doc[doc] = value
            for doc, value in best_for_doc.items():
                scores[doc] += value
                matched[doc] += 1
        needed = len(terms) / 2
        hits = [
            TextHit(self._keys[doc], score, matched[doc] / len(terms))
            for doc, score in scores.items()
            if matched[doc] >= needed
        ]
        hits.sort(key=lambda hit: (-hit.score, hit.key))
        return hits[:limit]
