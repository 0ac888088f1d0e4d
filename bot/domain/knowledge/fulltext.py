"""A small BM25 full-text index over weighted fields (title, aliases, tags, body).

The build only counts each document's words; `warm` (run in the background once the index
serves) builds the inverted lists and BM25 weights, which until then are computed for a term
the first time it is searched. Either way a query is a handful of dictionary walks.
Query words missing from the vocabulary are corrected to the closest known word ("celary"),
and, for autocomplete, the last word may be a prefix still being typed ("pagin").
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.domain.knowledge.text import tokens, word_terms, words

FIELD_WEIGHTS: Mapping[str, int] = {
    "title": 4,
    "aliases": 3,
    "tags": 2,
    "body": 1,
}
K1 = 1.5
B = 0.75
TYPO_CUTOFF = 80.0  # rapidfuzz ratio for correcting a query word to a vocabulary word
MIN_TYPO_LENGTH = 4
PREFIX_EXPANSIONS = 8
MIN_PREFIX = 3  # a last word shorter than this is not expanded


class TextHit(NamedTuple):
    key: str
    score: float
    coverage: float  # share of the query's words found in the document (0..1)


class FullTextIndex:
    """BM25 over documents given as {field: text}; `search` returns the best keys first.

    Fields are the keys of FIELD_WEIGHTS; document length is the weighted word count."""

    def __init__(self, documents: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self._keys = [key for key, _ in documents]
        # Per document, how often each raw word occurs; a field of weight w counts each of its
        # words w times, so the counting is one C-level Counter per document. The inverted
        # lists are built by `warm` (in the background once the index is serving); until
        # then a term's documents are found by scanning these counts.
        self._counts: list[Counter[str]] = []
        lengths: list[int] = []
        for _, fields in documents:
            weighted = words(
                "\n".join(
                    text for field, text in fields.items() for _ in range(FIELD_WEIGHTS[field])
                )
            )
            self._counts.append(Counter(weighted))
            lengths.append(len(weighted))
        count = len(documents)
        average = (sum(lengths) / count) if count else 1.0
        self._count = count
        self._norms = [K1 * (1 - B + B * length / (average or 1.0)) for length in lengths]
        sources: dict[str, list[str]] = defaultdict(list)  # term -> raw words that give it
        for word in set().union(*self._counts):
            for term in word_terms(word):
                sources[term].append(word)
        self._sources = dict(sources)
        self._postings: dict[str, list[tuple[int, float]]] = {}  # BM25 weights, filled lazily
        self._inverted: dict[str, list[tuple[int, int]]] | None = None  # raw word -> (doc, n)
        self._vocabulary = sorted(self._sources)
        # Words by length: a word can only be TYPO_CUTOFF-close to one of similar length.
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for term in self._vocabulary:
            if term.isalpha():
                self._by_length[len(term)].append(term)
        self._windows: dict[int, list[str]] = {}  # filled on first use, per query length

    @property
    def vocabulary_size(self) -> int:
        return len(self._vocabulary)

    def warm(self) -> None:
        """Build the inverted lists in one pass, then every term's weights, so that no query
        scans every document or computes weights (meant for a background thread)."""
        inverted: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc, counts in enumerate(self._counts):
            for word, n in counts.items():
                inverted[word].append((doc, n))
        self._inverted = dict(inverted)
        for term in self._vocabulary:
            self._weights(term)

    def _documents(self, word: str) -> list[tuple[int, int]]:
        """(document, weighted count) of every document containing the raw `word`."""
        if self._inverted is not None:
            return self._inverted.get(word, [])
        return [(doc, counts[word]) for doc, counts in enumerate(self._counts) if word in counts]

    def _weights(self, term: str) -> list[tuple[int, float]]:
        """BM25 weight of `term` in each document containing it, computed on first use (most
        terms are never searched for, and this keeps the start-up build short)."""
        weights = self._postings.get(term)
        if weights is None:
            tfs: dict[int, int] = {}
            for word in self._sources[term]:
                for doc, n in self._documents(word):
                    tfs[doc] = tfs.get(doc, 0) + n
            idf = math.log(1 + (self._count - len(tfs) + 0.5) / (len(tfs) + 0.5))
            norms = self._norms
            weights = [(doc, idf * tf * (K1 + 1) / (tf + norms[doc])) for doc, tf in tfs.items()]
            self._postings[term] = weights
        return weights

    def _expand(self, term: str, *, prefix: bool) -> list[tuple[str, float]]:
        """Vocabulary terms standing for a query term, each with a confidence factor."""
        if term in self._sources:
            found = [(term, 1.0)]
        else:
            found = []
        if prefix and len(term) >= MIN_PREFIX:
            start = bisect_left(self._vocabulary, term)
            for candidate in self._vocabulary[start : start + PREFIX_EXPANSIONS]:
                if not candidate.startswith(term):
                    break
                if candidate != term:
                    found.append((candidate, 0.7))
        if not found and len(term) >= MIN_TYPO_LENGTH and term.isalpha():
            best = process.extractOne(
                term, self._similar_length(len(term)), scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if best is not None:
                found.append((best[0], 0.8))
        return found

    def _similar_length(self, length: int) -> list[str]:
        """Vocabulary words long enough and short enough to reach TYPO_CUTOFF against a word
        of `length` (the Indel ratio 2m/(a+b) caps it at 2a/(a+b) for lengths a <= b)."""
        window = self._windows.get(length)
        if window is None:
            stretch = 200 / TYPO_CUTOFF - 1  # b <= a * stretch
            low, high = math.ceil(length / stretch), math.floor(length * stretch)
            window = [t for n in range(low, high + 1) for t in self._by_length.get(n, ())]
            self._windows[length] = window
        return window

    def search(self, query: str, *, limit: int = 10, prefix_last: bool = False) -> list[TextHit]:
        """Documents matching at least half of the query's words, best BM25 score first."""
        terms = list(dict.fromkeys(tokens(query)))
        if not terms:
            return []
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        for position, term in enumerate(terms):
            prefix = prefix_last and position == len(terms) - 1
            expansions = self._expand(term, prefix=prefix)
            if len(expansions) == 1 and expansions[0][1] == 1.0:
                best_for_doc = dict(self._weights(expansions[0][0]))
            else:
                best_for_doc = {}
                for vocabulary_term, factor in expansions:
                    for doc, weight in self._weights(vocabulary_term):
                        value = weight * factor
                        if value > best_for_doc.get(doc, 0.0):
                            best_for_doc[doc] = value
            for doc, value in best_for_doc.items():
                scores[doc] = scores.get(doc, 0.0) + value
                matched[doc] = matched.get(doc, 0) + 1
        needed = len(terms) / 2
        if len(terms) > 1:
            scores = {doc: score for doc, score in scores.items() if matched[doc] >= needed}
        best = sorted(scores.items(), key=itemgetter(1), reverse=True)[:limit]
        hits = [TextHit(self._keys[doc], score, matched[doc] / len(terms)) for doc, score in best]
        hits.sort(key=lambda hit: (-hit.score, hit.key))  # ties in a stable, readable order
        return hits
