"""The loaded knowledge base: every valid article, the search index, and what was wrong.

`build_library` takes (file name, text) pairs, so loading is pure: a bad file is reported by
name and skipped while the rest load; on a reload, a file that broke keeps its last good
version online so a typo while editing doesn't take an article away from learners.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.domain.knowledge.articles import Article, ArticleError, parse_article
from bot.domain.knowledge.search import KnowledgeIndex
from bot.domain.knowledge.text import name_key


class FileProblem(NamedTuple):
    filename: str
    message: str


@dataclass(frozen=True)
class Library:
    articles: Mapping[str, Article]  # by slug, in file-name order
    index: KnowledgeIndex
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # slug -> hash of its file

    def get(self, slug: str) -> Article | None:
        return self.articles.get(slug)

    def related(self, article: Article) -> list[Article]:
        """The article's related topics that exist, in the order the article lists them."""
        return [self.articles[s] for s in article.related if s in self.articles]

    def __len__(self) -> int:
        return len(self.articles)


@dataclass(frozen=True)
class LoadReport:
    library: Library
    errors: tuple[FileProblem, ...] = ()  # files skipped (or kept at their previous version)
    warnings: tuple[FileProblem, ...] = ()  # files loaded with something to fix
    kept: tuple[str, ...] = ()  # slugs whose broken file was replaced by the last good version


@dataclass(frozen=True)
class LibraryChanges:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: int

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.updated)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def empty_library() -> Library:
    return Library({}, KnowledgeIndex([]), {})


def _cross_check(articles: Mapping[str, Article]) -> list[FileProblem]:
    """Warnings that involve more than one file: dangling related links, shared names."""
    warnings: list[FileProblem] = []
    owners: dict[str, str] = {}
    for article in articles.values():
        for name in (article.title, article.slug.replace("-", " ")):
            owners.setdefault(name_key(name), article.slug)
    for article in articles.values():
        for slug in article.related:
            if slug not in articles:
                warnings.append(
                    FileProblem(article.filename, f"`related` names `{slug}`, which doesn't exist")
                )
        for alias in article.aliases:
            owner = owners.setdefault(name_key(alias), article.slug)
            if owner != article.slug:
                warnings.append(
                    FileProblem(article.filename, f"alias {alias!r} is also a name of `{owner}`")
                )
    return warnings


def build_library(files: Iterable[tuple[str, str]], previous: Library | None = None) -> LoadReport:
    """Parse and validate every file; build the index over the valid ones."""
    previous_by_file = {a.filename: a for a in previous.articles.values()} if previous else {}
    articles: dict[str, Article] = {}
    prints: dict[str, str] = {}
    errors: list[FileProblem] = []
    kept: list[str] = []
    for filename, text in sorted(files):
        try:
            article = parse_article(text, filename)
        except ArticleError as error:
            errors.extend(FileProblem(filename, problem) for problem in error.problems)
            old = previous_by_file.get(filename)
            if old is not None and old.slug not in articles and previous is not None:
                articles[old.slug] = old
                prints[old.slug] = previous.fingerprints.get(old.slug, "")
                kept.append(old.slug)
            continue
        if article.slug in articles:
            other = articles[article.slug].filename
            errors.append(
                FileProblem(filename, f"slug `{article.slug}` is already used by {other}")
            )
            continue
        articles[article.slug] = article
        prints[article.slug] = fingerprint(text)
    index = KnowledgeIndex(list(articles.values()))
    library = Library(articles, index, prints)
    return LoadReport(library, tuple(errors), tuple(_cross_check(articles)), tuple(kept))


def compare(old: Library, new: Library) -> LibraryChanges:
    """What a reload changed, by slug."""
    before, after = set(old.articles), set(new.articles)
    updated = sorted(
        slug for slug in before & after if old.fingerprints.get(slug) != new.fingerprints.get(slug)
    )
    return LibraryChanges(
        added=tuple(sorted(after - before)),
        removed=tuple(sorted(before - after)),
        updated=tuple(updated),
        unchanged=len(before & after) - len(updated),
    )
