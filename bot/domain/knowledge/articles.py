"""Knowledge-base articles: Markdown files with YAML front matter, parsed and validated.

A file looks like::

    ---
    title: Django
    slug: django
    category: Foundations
    aliases: [djnago, django orm]
    tags: [orm, migrations]
    related: [django-rest-framework]
    level: beginner
    sources:
      - {title: Django documentation, url: https://docs.djangoproject.com/}
    last_reviewed: 2026-11-22
    ---
    One or two sentences that sum the topic up.

    ## What it is
    ...

Parsing takes text, never a path, so it is pure and every rule is unit-tested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import frontmatter
import yaml

from bot.domain.knowledge.frontmatter import simple_front_matter

REQUIRED_FIELDS = (
    "title",
    "slug",
    "category",
    "aliases",
    "tags",
    "related",
    "level",
    "sources",
    "last_reviewed",
)
LEVELS = ("beginner", "intermediate", "advanced")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 48  # the slug travels in button custom_ids (100 characters in all)
MAX_TITLE = 90
MAX_NAME = 100
MAX_HEADING = 200
MAX_SUMMARY = 1000
_FENCE = re.compile(r"^\s*(```|~~~)")
# Every scalar is read as text (dates and numbers are validated here, and "yes" stays "yes"),
# by the fast reader for plain front matter, else by libyaml when available.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class ArticleError(ValueError):
    """A file that can't be used; `problems` lists every reason, for the curator."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        super().__init__(f"{filename}: " + "; ".join(problems))
        self.filename = filename
        self.problems = problems


class Source(NamedTuple):
    title: str
    url: str


class Section(NamedTuple):
    heading: str
    body: str


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    category: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    level: str
    sources: tuple[Source, ...]
    last_reviewed: date
    summary: str
    sections: tuple[Section, ...]
    filename: str = ""

    @property
    def body(self) -> str:
        """Everything after the front matter, as plain text for the full-text index."""
        parts = [self.summary]
        for section in self.sections:
            parts.append(section.heading)
            parts.append(section.body)
        return "\n".join(parts)


def split_sections(body: str) -> tuple[str, list[Section]]:
    """(summary before the first `## ` heading, sections); fenced code can't start a section."""
    if "```" not in body and "~~~" not in body:  # the quick way, when no code can get in it
        parts = re.split(r"^## ", body, flags=re.MULTILINE)
        found = []
        for part in parts[1:]:
            heading, _, text = part.partition("\n")
            found.append(Section(heading.strip(), text.strip()))
        return parts[0].strip(), found
    summary_lines: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            summary_lines.append(line)
    summary = "\n".join(summary_lines).strip()
    return summary, [Section(h, "\n".join(lines).strip()) for h, lines in sections]


def _string(meta: dict[str, Any], key: str, problems: list[str], limit: int) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"`{key}` must be a non-empty text")
        return ""
    if len(value.strip()) > limit:
        problems.append(f"`{key}` is longer than {limit} characters")
    return value.strip()


def _string_list(meta: dict[str, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    value = meta.get(key)
    if not isinstance(value, list):
        problems.append(f"`{key}` must be a list (use [] for none)")
        return ()
    items: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            problems.append(f"`{key}` has an entry that is not text: {item!r}")
            continue
        text = str(item).strip()
        if not text:
            problems.append(f"`{key}` has an empty entry")
        elif len(text) > MAX_NAME:
            problems.append(f"`{key}` entry {text[:30]!r}… is longer than {MAX_NAME} characters")
        elif text not in items:
            items.append(text)
    return tuple(items)


def _sources(meta: dict[str, Any], problems: list[str]) -> tuple[Source, ...]:
    value = meta.get("sources")
    if not isinstance(value, list) or not value:
        problems.append("`sources` must be a non-empty list of {title, url}")
        return ()
    sources: list[Source] = []
    for item in value:
        if not isinstance(item, dict):
            problems.append(f"`sources` entry {item!r} must have `title` and `url`")
            continue
        title, url = item.get("title"), item.get("url")
        if not isinstance(title, str) or not title.strip():
            problems.append("a `sources` entry has no `title`")
            continue
        if not isinstance(url, str) or not re.match(r"^https://[^\s/]+\.[^\s]+$", url.strip()):
            problems.append(f"source {title!r} needs an https:// `url`")
            continue
        sources.append(Source(title.strip(), url.strip()))
    return tuple(sources)


def _reviewed(meta: dict[str, Any], problems: list[str]) -> date:
    value = meta.get("last_reviewed")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append("`last_reviewed` must be a date like 2026-01-31")
    return date.min


def _front_matter(text: str, filename: str) -> tuple[dict[str, Any], str]:
    handler = frontmatter.YAMLHandler()
    text = text.lstrip("\ufeff").strip()
    if not handler.detect(text):
        raise ArticleError(filename, ["no YAML front matter (the file must start with `---`)"])
    try:
        raw, body = handler.split(text)
        meta = simple_front_matter(raw)
        if meta is None:
            meta = yaml.load(raw, Loader=_YAML_LOADER)
    except ValueError as error:
        raise ArticleError(filename, ["the front matter is not closed with `---`"]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ArticleError(filename, [f"the front matter is not valid YAML{where}"]) from error
    if not isinstance(meta, dict):
        raise ArticleError(filename, ["the front matter must be a mapping of fields"])
    return meta, body


def parse_article(text: str, filename: str) -> Article:
    """One validated article from a file's text; `ArticleError` lists every problem found."""
    meta, body = _front_matter(text, filename)
    problems = [f"`{key}` is missing" for key in REQUIRED_FIELDS if key not in meta]
    present = {key for key in REQUIRED_FIELDS if key in meta}

    title = _string(meta, "title", problems, MAX_TITLE) if "title" in present else ""
    slug = _string(meta, "slug", problems, MAX_SLUG) if "slug" in present else ""
    if slug and not SLUG.match(slug):
        problems.append(f"`slug` {slug!r} must be lower-case words joined by hyphens")
    stem = filename.rsplit("/", 1)[-1].removesuffix(".md")
    if slug and stem != slug:
        problems.append(f"`slug` {slug!r} must match the file name ({stem}.md)")
    category = _string(meta, "category", problems, MAX_NAME) if "category" in present else ""
    aliases = _string_list(meta, "aliases", problems) if "aliases" in present else ()
    tags = _string_list(meta, "tags", problems) if "tags" in present else ()
    related = _string_list(meta, "related", problems) if "related" in present else ()
    if slug and slug in related:
        problems.append("`related` must not list the article itself")
    level = str(meta.get("level", "")).strip().lower()
    if "level" in present and level not in LEVELS:
        problems.append(f"`level` must be one of {', '.join(LEVELS)}")
    sources = _sources(meta, problems) if "sources" in present else ()
    reviewed = _reviewed(meta, problems) if "last_reviewed" in present else date.min

    summary, sections = split_sections(body)
    if not summary:
        problems.append("the text must start with a short summary before the first `## ` section")
    elif len(summary) > MAX_SUMMARY:
        problems.append(f"the summary is longer than {MAX_SUMMARY} characters")
    if not sections:
        problems.append("the text needs at least one `## ` section")
    for section in sections:
        if not section.heading or len(section.heading) > MAX_HEADING:
            problems.append(f"section heading {section.heading[:30]!r} is empty or too long")
        if not section.body:
            problems.append(f"section `{section.heading}` is empty")
    if problems:
        raise ArticleError(filename, problems)
    return Article(
        slug=slug,
        title=title,
        category=category,
        aliases=aliases,
        tags=tags,
        related=related,
        level=level,
        sources=sources,
        last_reviewed=reviewed,
        summary=summary,
        sections=tuple(sections),
        filename=filename,
    )
