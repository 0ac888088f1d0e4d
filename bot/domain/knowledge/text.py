"""Text normalisation shared by the name index and full-text search.

Technical words keep their shape: "n+1", "select_related", "CI/CD" and "e-commerce" are one
token each (plus their joined form and, for underscores, slashes and hyphens, their parts), so
"n+1 queries", "select related" and "cicd" all find what they should.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A word, optionally joined to more words by _ / + - . # ("select_related", "ci/cd", "n+1").
_COMPOUND = re.compile(r"[a-z0-9][a-z0-9_/+\-.#]*")
_JOINERS = re.compile(r"[_/\-.]+")
_NAME_SEPARATORS = re.compile(r"[^a-z0-9+#]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Common words, plus the verbs questions are phrased with ("how do I stop/fix/avoid ..."),
# which say nothing about the topic.
STOPWORDS = frozenset(
    """
    a about an and are as at be by can do does for from how i if in into is it its me my of on
    or our should so that the their then there these this to use using was we what when where
    which while who why will with you your
    avoid best better fix get good handle help make need prevent stop want way ways
    """.split()
)


def fold(text: str) -> str:
    """Lower case without accents: "Café" -> "cafe"."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


def name_key(text: str) -> str:
    """A name reduced for comparison: "Celery & RabbitMQ" -> "celery rabbitmq"."""
    return " ".join(_NAME_SEPARATORS.split(fold(text).replace("&", " "))).strip()


def compact(key: str) -> str:
    """A name key without spaces, so "rest framework" and "restframework" compare equal."""
    return key.replace(" ", "")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix stripper: "queries"/"query", "caching"/"cache", "optimization"/"optimize"."""
    if not word.isalpha() or len(word) <= 3:
        return word
    stripped = ""
    for suffix, replacement in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("isation", "ize"),
        ("ations", "ate"),
        ("ation", "ate"),
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suffix)] + replacement
            stripped = suffix
            break
    if word.endswith("ise"):
        word = word[:-3] + "ize"
    if stripped in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] not in "lsz":
        word = word[:-1]  # "running" -> "runn" -> "run"
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # "cache"/"caching" -> "cach"
    return word


@lru_cache(maxsize=1 << 16)
def word_terms(found: str) -> tuple[str, ...]:
    """The search terms one matched word stands for (cached: vocabularies are small)."""
    raw = found.rstrip("_/-.")
    if not raw:
        return ()
    parts = [p for p in _JOINERS.split(raw) if p]
    if len(parts) == 1 and "+" not in raw and "#" not in raw:
        if raw in STOPWORDS or (len(raw) == 1 and not raw.isdigit()):
            return ()
        return (stem(raw),)
    terms = [raw]  # the compound itself: "select_related", "ci/cd", "n+1"
    joined = _JOINERS.sub("", raw)
    if joined != raw:
        terms.append(joined)  # "selectrelated", "cicd", "ecommerce"
    if "+" not in raw and "#" not in raw:
        terms.extend(stem(p) for p in parts if len(p) > 1 and p not in STOPWORDS)
    return tuple(terms)


def words(text: str) -> list[str]:
    """The raw words of a text (compounds whole), before stop words and stemming."""
    return _COMPOUND.findall(fold(text))


def tokens(text: str) -> list[str]:
    """Search terms for a text, in order, stop words dropped (duplicates kept for counting)."""
    return [term for found in words(text) for term in word_terms(found)]


_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def excerpt(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` on one line, at most `limit` characters, cut at a sentence end when one falls in
    the second half, else at a word end; never inside a `code span` or a [link](url)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = limit - len(ellipsis)
    safe = _safe_cuts(flat)
    sentences = [m.end() for m in _SENTENCE_END.finditer(flat, 0, room + 1) if m.end() in safe]
    if sentences and sentences[-1] >= limit // 2:
        return flat[: sentences[-1]]
    spaces = [i for i, char in enumerate(flat[: room + 1]) if char == " " and i in safe]
    if not spaces and len(flat) not in safe:  # unbalanced brackets: a word end outside code
        outside_code = _safe_cuts(flat, links=False)
        spaces = [i for i, c in enumerate(flat[: room + 1]) if c == " " and i in outside_code]
    cut = spaces[-1] if spaces else max((i for i in safe if i <= room), default=0)
    return flat[:cut].rstrip(" ,;:–-") + ellipsis


def _safe_cuts(text: str, *, links: bool = True) -> set[int]:
    """Positions where cutting leaves markdown balanced: outside code spans (and links)."""
    safe: set[int] = set()
    in_code = False
    link_depth = 0
    for index, char in enumerate(text):
        if not in_code and link_depth == 0:
            safe.add(index)
        if char == "`":
            in_code = not in_code
        elif not links or in_code:
            continue
        elif char == "]" and text[index + 1 : index + 2] == "(":
            continue  # "[label](" goes on into the url: still inside the link
        elif char == "(" and text[index - 1 : index] == "]":
            continue
        elif char in "[(":
            link_depth += 1
        elif char in "])" and link_depth:
            link_depth -= 1
    if not in_code and link_depth == 0:
        safe.add(len(text))
    return safe
