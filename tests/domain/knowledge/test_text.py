from __future__ import annotations

import pytest

from bot.domain.knowledge.text import compact, name_key, stem, tokens


def test_technical_words_keep_their_shape() -> None:
    assert "n+1" in tokens("How do I stop N+1 queries?")
    words = tokens("use select_related() here")
    assert {"select_related", "selectrelated", "select"} <= set(words)
    assert {"ci/cd", "cicd", "ci", "cd"} <= set(tokens("CI/CD pipelines"))
    assert {"e-commerce", "ecommerce"} <= set(tokens("An E-Commerce backend"))


def test_stop_words_and_question_verbs_are_dropped() -> None:
    assert tokens("how do I stop the") == []
    assert tokens("what is a queue") == [stem("queue")]


def test_trailing_punctuation_is_not_part_of_a_word() -> None:
    assert tokens("Use Redis.") == tokens("use redis")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("queries", "query"),
        ("caching", "cache"),
        ("cached", "cache"),
        ("optimization", "optimize"),
        ("optimisation", "optimizing"),
        ("tests", "testing"),
        ("running", "run"),
    ],
)
def test_stems_meet(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stem_leaves_short_and_technical_words() -> None:
    assert stem("redis") == "redis"
    assert stem("class") == "class"
    assert stem("api") == "api"


def test_name_keys() -> None:
    assert name_key("Celery & RabbitMQ") == "celery rabbitmq"
    assert name_key("  CI/CD  ") == "ci cd"
    assert name_key("Café") == "cafe"
    assert compact(name_key("REST framework")) == "restframework"
    assert name_key("C++ & C#") == "c++ c#"
