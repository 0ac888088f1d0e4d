"""The domain's escaping is discord.py's, without importing discord in the domain."""

from __future__ import annotations

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.text import escape_markdown, escape_mentions, truncate, user_text

SAMPLES = [
    "**bold** _it_ ~~s~~ `code` ||spoiler||",
    "> quote\n# heading\n - item",
    "[label](https://example.com/a_b) and https://example.com/x_y*z",
    "@everyone @here <@123456789012345678> @&123456789012345678",
    "back\\slash",
]
MARKDOWNISH = st.text(alphabet=st.sampled_from(list("ab _*~`|>#-[]()@!&:/\\\n 0123456789")))


def test_samples_escape_like_discord_py() -> None:
    for text in SAMPLES:
        assert escape_markdown(text) == discord.utils.escape_markdown(text)
        assert escape_mentions(text) == discord.utils.escape_mentions(text)


@given(MARKDOWNISH)
def test_any_text_escapes_like_discord_py(text: str) -> None:
    assert escape_markdown(text) == discord.utils.escape_markdown(text)
    assert escape_mentions(text) == discord.utils.escape_mentions(text)


def test_user_text_is_inert_and_bounded() -> None:
    assert user_text("@everyone **hi**") == "@\u200beveryone \\*\\*hi\\*\\*"
    assert len(user_text("x" * 500, 80)) == 80
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 4) == "abc"
