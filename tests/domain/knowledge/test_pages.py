from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.knowledge import Article, paginate, parse_article
from tests.fixtures.knowledge import FIXTURES, article_text


def _article(body: str, summary: str = "Summary.") -> Article:
    return parse_article(article_text("a", "A", body=body, summary=summary), "a.md")


def test_short_article_is_one_page_opening_with_the_summary() -> None:
    pages = paginate(parse_article(FIXTURES["django"], "django.md"))
    assert len(pages) == 1
    assert pages[0].text.startswith("Django in one sentence")
    assert pages[0].headings == ("What it is", "Key practices", "Common pitfalls")
    assert "### Key practices" in pages[0].text


def test_pages_break_at_section_boundaries() -> None:
    body = "\n\n".join(f"## Part {i}\n" + ("word " * 200) for i in range(4))
    pages = paginate(_article(body), budget=1800)
    assert len(pages) >= 2
    for page in pages:
        assert page.headings
        for heading in page.headings:
            assert f"### {heading}" in page.text
    assert [p.number for p in pages] == list(range(len(pages)))


def test_an_overlong_section_is_cut_between_paragraphs_and_marked_continued() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "x" * 900 for i in range(8))
    pages = paginate(_article(f"## Long\n{paragraphs}"), limit=3900)
    assert len(pages) >= 3
    assert all(len(p.text) <= 3900 for p in pages)
    assert any("Long (continued)" in h for p in pages for h in p.headings)
    assert all("Paragraph" in p.text for p in pages[1:])


def test_an_overlong_code_block_is_closed_and_reopened() -> None:
    code = "```python\n" + "\n".join(f"x_{i} = {i}  # " + "y" * 60 for i in range(120)) + "\n```"
    pages = paginate(_article(f"## Code\n{code}"), limit=3900)
    assert len(pages) >= 3
    for page in pages:
        assert len(page.text) <= 3900
        assert page.text.count("```") % 2 == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc xyz", min_size=1, max_size=40).filter(str.strip),
            st.lists(st.integers(min_value=1, max_value=2500), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_page_fits_and_no_text_is_lost(sections: list[tuple[str, list[int]]]) -> None:
    body = "\n\n".join(
        f"## {heading.strip()}\n" + "\n\n".join("w" * n for n in sizes)
        for heading, sizes in sections
    )
    article = _article(body)
    pages = paginate(article)
    assert all(len(p.text) <= 3900 for p in pages)
    joined = "".join(p.text for p in pages)
    expected = sum(n for _, sizes in sections for n in sizes)
    assert joined.count("w") == expected
