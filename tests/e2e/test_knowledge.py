"""/learn and /nexus learn reload, end to end against the fake Discord."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import LearnFeedback, LearnMiss
from bot.settings import DEFAULT_DATA_DIR
from tests.e2e.harness import Nexus
from tests.fakediscord import Message
from tests.fixtures.knowledge import article_text


def button(message: Message, prefix: str) -> str:
    """The custom_id of the component whose id starts with `prefix`."""
    ids = [c for c in message.custom_ids() if c.startswith(prefix)]
    assert ids, f"no component {prefix}* in {message.custom_ids()}"
    return ids[0]


def footer(message: Message) -> str:
    return str(message.embeds[0]["footer"]["text"])


@pytest.fixture
async def learn(nexus: Nexus) -> Nexus:
    assert nexus.bot is not None
    await nexus.bot.services.knowledge.ready()
    return nexus


async def test_commands_are_registered(learn: Nexus) -> None:
    commands = {c["name"]: c for c in learn.fake.commands()}
    topic = commands["learn"]["options"][0]
    assert topic["name"] == "topic" and topic["required"] and topic["autocomplete"]
    groups = {o["name"]: o for o in commands["nexus"]["options"]}
    assert [o["name"] for o in groups["learn"]["options"]] == ["reload"]
    assert learn.fake.violations == []


async def test_autocomplete_is_typo_tolerant_and_shows_aliases(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    choices = await learn.fake.autocomplete(wanjiku, "learn", focused="topic", value="djnago")
    assert choices[0] == {"name": "Django", "value": "django"}
    choices = await learn.fake.autocomplete(wanjiku, "learn", focused="topic", value="drf")
    assert choices[0] == {"name": "Django REST Framework (drf)", "value": "django-rest-framework"}
    choices = await learn.fake.autocomplete(
        wanjiku, "learn", focused="topic", value="how do i stop n+1 que"
    )
    assert choices[0]["value"] == "query-optimization"
    everything = await learn.fake.autocomplete(wanjiku, "learn", focused="topic", value="")
    assert len(everything) == 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in everything)


async def test_exact_topic_opens_a_private_paged_card(learn: Nexus) -> None:
    reply = await learn.invoke("wanjiku", "learn", topic="django")
    card = await reply.wait_final()
    assert reply.ephemeral
    assert card.embeds[0]["title"] == "Django"
    assert "page 1/" in footer(card)
    ids = card.custom_ids()
    assert any(i.startswith("nx:learn:prev:django:0:") for i in ids)
    assert any(i.startswith("nx:learn:next:django:1:") for i in ids)
    assert card.find_component(button(card, "nx:learn:prev:"))["disabled"] is True
    labels = {c.get("label") for row in card.components for c in row["components"]}
    assert {"Post to channel", "Helpful", "Not helpful"} <= labels
    related = card.find_component(button(card, "nx:learn:topic:"))
    assert "django-rest-framework" in [o["value"] for o in related["options"]]


async def test_misspelled_topic_is_shown_without_an_error(learn: Nexus) -> None:
    reply = await learn.invoke("wanjiku", "learn", topic="Celary")
    assert reply.ephemeral and reply.embeds[0]["title"] == "Celery & RabbitMQ"


async def test_invoker_pages_forward_and_back(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    reply = await learn.invoke(wanjiku, "learn", topic="django")
    card = await reply.wait_final()
    first = card.embeds[0]["description"]
    moved = await learn.fake.click(wanjiku, card, button(card, "nx:learn:next:"))
    assert moved.type == 7  # the card itself was updated
    assert "page 2/" in footer(card)
    assert card.embeds[0]["description"] != first
    await learn.fake.click(wanjiku, card, button(card, "nx:learn:prev:"))
    assert "page 1/" in footer(card) and card.embeds[0]["description"] == first


async def test_last_page_lists_the_official_sources(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    card = await (await learn.invoke(wanjiku, "learn", topic="docker")).wait_final()
    while not card.find_component(button(card, "nx:learn:next:")).get("disabled"):
        await learn.fake.click(wanjiku, card, button(card, "nx:learn:next:"))
    fields = {f["name"]: f["value"] for f in card.embeds[0].get("fields", [])}
    assert "https://docs.docker.com" in fields["Sources"]


async def test_post_to_channel_is_public_with_a_copy_for_everyone(learn: Nexus) -> None:
    wanjiku, tobi = learn.member("wanjiku"), learn.member("tobi")
    card = await (await learn.invoke(wanjiku, "learn", topic="django")).wait_final()
    await learn.fake.click(wanjiku, card, button(card, "nx:learn:next:"))
    posted = await learn.fake.click(wanjiku, card, button(card, "nx:learn:post:"))
    public = posted.message
    assert public is not None and not public.ephemeral
    assert public in learn.posts()
    assert public.embeds[0]["description"] == card.embeds[0]["description"]  # the page read
    assert "shared by wanjiku" in footer(public)
    assert public.pinged_users == [] and not public.pinged_everyone

    # a shared page shows only what works for everyone: 📖 a private copy
    assert [c for c in public.custom_ids()] == [button(public, "nx:learn:open:")]
    primary = card.find_component(button(card, "nx:learn:next:"))
    assert primary["style"] == 1  # navigation is the private card's primary button
    assert card.find_component(button(card, "nx:learn:post:"))["style"] == 2

    copy = await learn.fake.click(tobi, public, button(public, "nx:learn:open:"))
    assert copy.ephemeral and copy.embeds[0]["title"] == "Django"
    tobi_card = copy.message
    assert tobi_card is not None
    assert button(tobi_card, "nx:learn:next:").endswith(f":{tobi.id}")


async def test_related_topic_menu_opens_that_article(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    card = await (await learn.invoke(wanjiku, "learn", topic="django")).wait_final()
    chosen = await learn.fake.select(
        wanjiku, card, button(card, "nx:learn:topic:"), ["django-rest-framework"]
    )
    assert chosen.type == 7
    assert card.embeds[0]["title"] == "Django REST Framework" and "page 1/" in footer(card)


async def test_helpful_votes_are_recorded_last_one_wins(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    card = await (await learn.invoke(wanjiku, "learn", topic="graphql")).wait_final()
    await learn.fake.click(wanjiku, card, button(card, "nx:learn:vote:graphql:0:1:"))
    helpful = card.find_component(button(card, "nx:learn:vote:graphql:0:1:"))
    assert helpful["style"] == 3 and "✓" in helpful["label"]  # green, ticked
    await learn.fake.click(wanjiku, card, button(card, "nx:learn:vote:graphql:0:0:"))
    async with learn.session() as session:
        votes = (await session.scalars(select(LearnFeedback))).all()
    assert [(v.user_id, v.slug, v.helpful) for v in votes] == [(wanjiku.id, "graphql", False)]


async def test_a_miss_is_recorded_and_moderators_see_it(learn: Nexus) -> None:
    for who in ("wanjiku", "tobi"):
        reply = await learn.invoke(who, "learn", topic="Kubernetes  Helm")
        assert reply.ephemeral and "Nothing on that yet" in reply.text
        assert "noted it" in reply.text
        assert reply.components  # a menu to browse the topics instead
    async with learn.session() as session:
        misses = (await session.scalars(select(LearnMiss))).all()
    assert [(m.query, m.count) for m in misses] == [("kubernetes helm", 2)]
    stats = await learn.invoke("mod", "nexus stats")
    final = await stats.wait_final()
    assert final.ephemeral and "“kubernetes helm” × 2" in final.text


async def test_weak_query_offers_the_best_few(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    reply = await learn.invoke(wanjiku, "learn", topic="permissions")
    card = await reply.wait_final()
    assert reply.ephemeral and "Did you mean" in reply.text
    menu = card.find_component(button(card, "nx:learn:topic:"))
    values = [o["value"] for o in menu["options"]]
    assert "django-rest-framework" in values and len(values) <= 5
    summaries = card.embeds[0]["description"]
    assert summaries.count("`") % 2 == 0  # excerpts never end inside a code span
    await learn.fake.select(wanjiku, card, menu["custom_id"], ["authentication"])
    assert card.embeds[0]["title"].startswith("Authentication")
    async with learn.session() as session:  # it opened no article: worth a look by moderators
        misses = (await session.scalars(select(LearnMiss))).all()
    assert [(m.query, m.count) for m in misses] == [("permissions", 1)]


async def test_a_clear_question_opens_the_article_directly(learn: Nexus) -> None:
    reply = await learn.invoke("wanjiku", "learn", topic="how do I stop n+1 queries")
    card = await reply.wait_final()
    assert reply.ephemeral and "Did you mean" not in reply.text
    assert card.embeds[0]["title"] == "ORM Query Optimization"
    assert "page 1/" in footer(card)
    async with learn.session() as session:
        assert (await session.scalars(select(LearnMiss))).all() == []


async def test_learn_before_setup_says_what_to_do(bare_nexus: Nexus) -> None:
    reply = await bare_nexus.invoke("wanjiku", "learn", topic="django")
    assert reply.ephemeral and "/nexus setup" in reply.text


async def test_cards_keep_working_after_a_restart(learn: Nexus) -> None:
    wanjiku = learn.member("wanjiku")
    card = await (await learn.invoke(wanjiku, "learn", topic="testing")).wait_final()
    await learn.restart()
    moved = await learn.fake.click(wanjiku, card, button(card, "nx:learn:next:"))
    assert moved.type == 7 and "page 2/" in footer(card)


@pytest.fixture
def learnings(tmp_path: Path) -> Path:
    """A writable copy of the shipped data folder."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("*.db*"))
    return data


async def test_reload_reports_changes_and_a_broken_file(learn: Nexus, learnings: Path) -> None:
    await learn.stop()
    await learn.start(data_dir=learnings)
    folder = learnings / "learnings"
    (folder / "docker.md").write_text("---\ntitle: Docker\nslug: [oops\n---\n", encoding="utf-8")
    (folder / "graphql.md").unlink()
    (folder / "websockets.md").write_text(
        article_text("websockets", "WebSockets & Django Channels", aliases=["channels"]),
        encoding="utf-8",
    )
    reply = await learn.invoke("mod", "nexus learn reload")
    assert reply.deferred
    final = await reply.wait_final()
    assert final.ephemeral
    text = reply.text
    assert "Added: `websockets`" in text and "Removed: `graphql`" in text
    assert "docker.md" in text and "not valid YAML" in text
    assert "Kept the last good version of: `docker`" in text

    found = await learn.invoke("wanjiku", "learn", topic="websockets")
    assert found.embeds[0]["title"] == "WebSockets & Django Channels"
    kept = await learn.invoke("wanjiku", "learn", topic="docker")
    assert kept.embeds[0]["title"] == "Docker & Docker Compose"
    gone = await learn.invoke("wanjiku", "learn", topic="graphql")
    assert gone.embeds[0]["title"] != "GraphQL"


async def test_reload_is_for_moderators_only(learn: Nexus) -> None:
    learn.fake.enforce_command_visibility = False
    reply = await learn.invoke("tobi", "nexus learn reload")
    assert reply.ephemeral and "Only moderators" in reply.text
