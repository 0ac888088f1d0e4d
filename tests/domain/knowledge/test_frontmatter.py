"""The fast front-matter reader reads every file exactly as YAML does, or leaves it to YAML."""

from __future__ import annotations

import random

import frontmatter
import pytest
import yaml

from bench.bench_knowledge import generated_article
from bot.domain.knowledge.frontmatter import simple_front_matter
from bot.settings import DEFAULT_DATA_DIR
from tests.fixtures.knowledge import FIXTURES

LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def front(text: str) -> str:
    raw, _body = frontmatter.YAMLHandler().split(text.strip())
    return raw


def texts() -> list[str]:
    shipped = [p.read_text(encoding="utf-8") for p in (DEFAULT_DATA_DIR / "learnings").glob("*.md")]
    rng = random.Random(5)
    return shipped + list(FIXTURES.values()) + [generated_article(n, rng)[1] for n in range(50)]


def test_every_shipped_and_generated_article_is_read_as_yaml_reads_it() -> None:
    fast = 0
    for text in texts():
        raw = front(text)
        ours = simple_front_matter(raw)
        if ours is not None:
            fast += 1
            assert ours == yaml.load(raw, Loader=LOADER), raw
    assert fast >= len(texts()) * 0.9  # plain front matter is the rule


@pytest.mark.parametrize(
    "raw",
    [
        "title: Plain words, with a comma\nslug: a-b",
        "aliases: [one, two words, three]\nempty: []",
        "sources:\n  - title: Docs\n    url: https://example.org/x?y=1\n  - title: B\n    url: u",
        "sources:\n- title: Docs\n  url: https://example.org\nlevel: beginner",
        "tags:\n  - one\n  - two\nnext: x",
        "blank:\nafter: y",
        "when: 2026-11-01\nyes_stays: yes\nnumber: 10",
        "url: https://example.org/a:b",
        'title: "Observability: Logging & Tracing"',
        "sources:\n  - title: 'GraphQL: Pagination'\n    url: https://graphql.org/learn/",
    ],
)
def test_plain_shapes_match_yaml(raw: str) -> None:
    assert simple_front_matter(raw) == yaml.load(raw, Loader=LOADER)


@pytest.mark.parametrize(
    "raw",
    [
        'title: "escaped \\" quote"',
        "title: 'it''s'",
        "title: text # a comment",
        "title: >\n  folded\n  text",
        "title: first line\n  continued",
        "aliases: [a, 'b, c']",
        "nested:\n  inner: value",
        "anchor: &a value\nalias: *a",
        "title: a: b",
        "sources:\n  - title: x\n    extra:\n      deep: y",
        "dup: a\ndup: b",
        "tags: [a, [b]]",
        "title:\tTabbed",
    ],
)
def test_anything_else_is_left_to_yaml(raw: str) -> None:
    assert simple_front_matter(raw) is None
