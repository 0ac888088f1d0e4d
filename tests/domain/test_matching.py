from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.matching import (
    Candidate,
    Seeker,
    best_for_each,
    history,
    max_pairings,
    opposite,
    rank,
    score,
    waiting_text,
    why_not,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ZONES = ["Africa/Lagos", "Africa/Nairobi", "Africa/Cairo", "UTC", "UTC-5", "Asia/Tokyo"]


def learner(learner_id: int, role: str = "frontend", **kw: object) -> Candidate:
    fields: dict[str, object] = {
        "learner_id": learner_id,
        "name": f"l{learner_id}",
        "project_id": 1,
        "role": role,
        "timezone": "Africa/Lagos",
    }
    fields.update(kw)
    return Candidate(**fields)  # type: ignore[arg-type]


def seeker(**kw: object) -> Seeker:
    me = learner(0, "backend")
    return Seeker(me, **kw)  # type: ignore[arg-type]


def test_explanation_reads_like_a_sentence() -> None:
    waiting = learner(1, looking_since=NOW - timedelta(days=2, hours=3))
    [best] = rank(seeker(), [waiting], now=NOW)
    assert best.explanation == "same project · 4 h evening overlap · waiting 2 days"


def test_prefers_overlap_then_waiting_then_partner_left() -> None:
    tokyo = learner(1, timezone="Asia/Tokyo")
    lagos = learner(2)
    nairobi = learner(3, timezone="Africa/Nairobi")
    ranked = rank(seeker(), [tokyo, nairobi, lagos], now=NOW)
    assert [s.candidate.learner_id for s in ranked] == [2, 3, 1]

    long_wait = learner(4, looking_since=NOW - timedelta(days=3))
    left = learner(5, partner_left_at=NOW - timedelta(hours=1))
    ranked = rank(seeker(), [lagos, long_wait, left], now=NOW)
    assert [s.candidate.learner_id for s in ranked] == [5, 4, 2]
    assert "their partner left" in ranked[0].reasons


def test_pending_requests_spread_the_load() -> None:
    busy = learner(1, pending_invites=2)
    free = learner(2)
    ranked = rank(seeker(), [busy, free], now=NOW)
    assert [s.candidate.learner_id for s in ranked] == [2, 1]
    assert "2 requests pending" in ranked[1].reasons


def test_ties_go_to_longest_waiting_then_lowest_id() -> None:
    a, b = learner(7), learner(3)
    assert [s.candidate.learner_id for s in rank(seeker(), [a, b], now=NOW)] == [3, 7]


def test_hard_rules_each_exclude() -> None:
    me = seeker(past_partners=frozenset({4}), declined=frozenset({5}))
    assert why_not(me, learner(1, "backend"), 1) == "same-role"
    assert why_not(me, learner(2, project_id=9), 1) == "other-project"
    assert why_not(me, learner(3, partners=1), 1) == "full"
    assert why_not(me, learner(3, partners=1), 2) is None
    assert why_not(me, learner(4), 1) == "past-partner"
    assert why_not(me, learner(5), 1) == "declined"
    assert why_not(me, learner(6, active=False), 1) == "inactive"
    assert why_not(me, learner(0, "frontend"), 1) == "self"
    full_me = Seeker(learner(0, "backend", partners=1))
    assert why_not(full_me, learner(7), 1) == "seeker-full"


def test_waiting_text() -> None:
    assert waiting_text(None, NOW) == "just started looking"
    assert waiting_text(NOW - timedelta(minutes=10), NOW) == "just started looking"
    assert waiting_text(NOW - timedelta(hours=5), NOW) == "waiting 5 h"
    assert waiting_text(NOW - timedelta(hours=30), NOW) == "waiting 1 day"


def test_max_pairings() -> None:
    assert max_pairings(120, 80) == 80
    assert max_pairings(3, 1, 2) == 2
    assert max_pairings(3, 2, 2) == 4
    assert max_pairings(0, 5) == 0


candidates = st.builds(
    Candidate,
    learner_id=st.integers(1, 60),
    name=st.just("x"),
    project_id=st.sampled_from([1, 2, None]),
    role=st.sampled_from(["backend", "frontend", None]),
    timezone=st.sampled_from(ZONES),
    looking_since=st.none()
    | st.datetimes(
        min_value=datetime(2026, 11, 1), max_value=datetime(2026, 11, 23), timezones=st.just(UTC)
    ),
    partner_left_at=st.none() | st.just(NOW - timedelta(days=1)),
    partners=st.integers(0, 3),
    pending_invites=st.integers(0, 4),
    active=st.booleans(),
)
seekers = st.builds(
    Seeker,
    learner=st.builds(
        Candidate,
        learner_id=st.just(0),
        name=st.just("me"),
        project_id=st.sampled_from([1, 2]),
        role=st.sampled_from(["backend", "frontend"]),
        timezone=st.sampled_from(ZONES),
        partners=st.integers(0, 1),
    ),
    past_partners=st.frozensets(st.integers(1, 60), max_size=10),
    declined=st.frozensets(st.integers(1, 60), max_size=10),
)


def _unique(pool: list[Candidate]) -> list[Candidate]:
    return list({c.learner_id: c for c in pool}.values())


@settings(max_examples=300, deadline=None)
@given(seekers, st.lists(candidates, max_size=40), st.integers(1, 3))
def test_ranking_only_proposes_eligible_learners(
    me: Seeker, pool: list[Candidate], max_partners: int
) -> None:
    pool = _unique(pool)
    for suggestion in rank(me, pool, now=NOW, max_partners=max_partners, limit=50):
        other = suggestion.candidate
        assert other.role == opposite(me.learner.role or "")
        assert other.project_id == me.learner.project_id
        assert other.active
        assert other.partners < max_partners
        assert other.learner_id not in me.declined
        assert other.learner_id not in me.past_partners
    eligible = [c for c in pool if why_not(me, c, max_partners) is None]
    assert len(rank(me, pool, now=NOW, max_partners=max_partners, limit=50)) == len(eligible)


@settings(max_examples=200, deadline=None)
@given(seekers, st.lists(candidates, max_size=40), st.randoms(use_true_random=False))
def test_ranking_is_deterministic_whatever_the_input_order(
    me: Seeker, pool: list[Candidate], shuffler: random.Random
) -> None:
    pool = _unique(pool)
    first = rank(me, pool, now=NOW, max_partners=2)
    shuffled = list(pool)
    shuffler.shuffle(shuffled)
    assert rank(me, shuffled, now=NOW, max_partners=2) == first
    assert rank(me, pool, now=NOW, max_partners=2) == first


@settings(max_examples=100, deadline=None)
@given(seekers, st.lists(candidates, max_size=40), st.integers(1, 5))
def test_limit_returns_the_top_of_the_full_ranking(
    me: Seeker, pool: list[Candidate], limit: int
) -> None:
    pool = _unique(pool)
    full = rank(me, pool, now=NOW, max_partners=3, limit=100)
    assert rank(me, pool, now=NOW, max_partners=3, limit=limit) == full[:limit]
    scores = [s.score for s in full]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=200, deadline=None)
@given(seekers, st.lists(candidates, max_size=40))
def test_rank_orders_the_eligible_by_the_one_score(me: Seeker, pool: list[Candidate]) -> None:
    """`rank`'s fast loop gives exactly `score` for each eligible learner, best first, ties
    to the longest waiting, then the lowest id."""
    pool = _unique(pool)
    eligible = [c for c in pool if why_not(me, c, 2) is None]
    never = datetime.max.replace(tzinfo=UTC)
    by_score = sorted(
        (score(me, c, now=NOW) for c in eligible),
        key=lambda s: (
            -s.score,
            s.candidate.looking_since or never,
            s.candidate.learner_id,
        ),
    )
    assert rank(me, pool, now=NOW, max_partners=2, limit=100) == by_score


def test_history_is_symmetric() -> None:
    partners, declined = history([(1, 2), (1, 3)], [(4, 1)])
    assert partners == {1: {2, 3}, 2: {1}, 3: {1}}
    assert declined == {4: {1}, 1: {4}}


def test_best_for_each_ranks_every_seeker_like_rank() -> None:
    frontends = [learner(i, looking_since=NOW - timedelta(days=i)) for i in range(1, 8)]
    backends = [learner(10 + i, "backend") for i in range(3)]
    other_project = learner(20, project_id=2)
    pool = [*frontends, *backends, other_project]
    seekers = [
        Seeker(backends[0]),
        Seeker(backends[1], declined=frozenset({7})),
        Seeker(frontends[0]),
    ]
    best = best_for_each(seekers, pool, now=NOW, limit=3)
    for s in seekers:
        expected = rank(s, pool, now=NOW, limit=3)
        assert best[s.learner.learner_id] == expected
    assert [x.candidate.learner_id for x in best[10]] == [7, 6, 5]  # longest waiting first
    assert 7 not in [x.candidate.learner_id for x in best[11]]  # declined
    assert {x.candidate.role for x in best[1]} == {"backend"}
