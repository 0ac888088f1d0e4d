"""The knowledge base behind `/learn`: articles, validation, search and paging (pure)."""

from bot.domain.knowledge.articles import Article, ArticleError, Section, Source, parse_article
from bot.domain.knowledge.library import (
    FileProblem,
    Library,
    LibraryChanges,
    LoadReport,
    build_library,
    compare,
    empty_library,
)
from bot.domain.knowledge.pages import Page, paginate
from bot.domain.knowledge.search import (
    Choice,
    Hit,
    KnowledgeIndex,
    MatchKind,
    Resolution,
    normalize_query,
)

__all__ = [
    "Article",
    "ArticleError",
    "Choice",
    "FileProblem",
    "Hit",
    "KnowledgeIndex",
    "Library",
    "LibraryChanges",
    "LoadReport",
    "MatchKind",
    "Page",
    "Resolution",
    "Section",
    "Source",
    "build_library",
    "compare",
    "empty_library",
    "normalize_query",
    "paginate",
    "parse_article",
]
