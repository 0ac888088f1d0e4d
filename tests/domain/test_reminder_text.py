from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.first_week import CohortTally, ProjectTally
from bot.domain.reminder_text import (
    MAX_MENTIONS,
    carries_announce,
    check_template,
    dm_buttons,
    dm_template,
    fit,
    mentions,
    render,
    suggestion_line,
    summary_text,
)


def test_placeholders_depend_on_the_audience() -> None:
    assert check_template("{mentions} {project_list} {channel}", "everyone") is None
    assert check_template("{suggestions}", "not_paired") is None
    assert check_template("{summary} {cohort_size}", "moderators") is None
    assert "not a placeholder" in (check_template("{summary}", "everyone") or "")
    assert "not a placeholder" in (check_template("{0}", "everyone") or "")
    assert "braces" in (check_template("}", "everyone") or "")


def test_render_fills_placeholders_and_keeps_literal_braces() -> None:
    assert render("{{x}} {mentions}!", {"mentions": "<@1>"}) == "{x} <@1>!"


def test_suggestion_lines() -> None:
    line = suggestion_line(7, ["Ada", "Tobi"])
    assert line.startswith("<@7> → still looking on your project: **Ada**, **Tobi**.")
    assert "`/find-partner` sends a request" in line
    assert "press a button below" in suggestion_line(7, ["Ada"], buttons=True)
    alone = suggestion_line(7, [])
    assert "waiting list" in alone and "/find-partner" not in alone


def test_summary_stays_within_its_limit() -> None:
    projects = tuple(
        ProjectTally(f"Project {i} " + "x" * 40, 10, 4, tuple(f"name{j}" for j in range(6)))
        for i in range(60)
    )
    text = summary_text(CohortTally(600, 600, 240, 360, 0, projects), limit=1500)
    assert len(text) <= 1500
    assert text.endswith("more projects")
    assert "+1" in text.splitlines()[0]  # six alone, five shown
    empty = summary_text(CohortTally(3, 0, 0, 0, 3, ()))
    assert "Nobody" in empty


@given(
    available=st.integers(min_value=1, max_value=400),
    per_user=st.integers(min_value=1, max_value=300),
    header=st.integers(min_value=0, max_value=1900),
)
def test_fit_takes_the_most_that_fit(available: int, per_user: int, header: int) -> None:
    def render_for(k: int) -> str:
        return "h" * header + "u" * (per_user * k)

    k = fit(available, render_for, limit=2000)
    assert 1 <= k <= min(available, MAX_MENTIONS)
    if k > 1:
        assert len(render_for(k)) <= 2000
    if k < min(available, MAX_MENTIONS):
        assert len(render_for(k + 1)) > 2000


def test_fifty_mentions_fit_one_message() -> None:
    ids = [10**18 + i for i in range(120)]
    k = fit(len(ids), lambda n: f"Welcome {mentions(ids[:n])}!")
    assert k == MAX_MENTIONS


def test_a_dm_names_the_announce_button_instead_of_the_command() -> None:
    assert (
        dm_template("Run `/announce-project` in {channel} now.") == "Press **Announce** below now."
    )
    assert dm_template("1. `/announce-project` in {channel} tells") == (
        "1. **Announce** (the button below) tells"
    )
    assert dm_template("or run `/announce-project`.") == "or press **Announce** below."
    assert dm_template("2. `/learn` opens docs") == "2. **Learn** (the button below) opens docs"
    assert dm_template("No reminders? Use `/reminders`.") == (
        "No reminders? Press a **Reminders** button below."
    )
    assert dm_template("`/reminders off` stops them") == "the **Reminders** buttons stops them"
    assert carries_announce("not_announced") and not carries_announce("not_paired")


def test_a_dm_carries_a_button_for_each_server_command_it_names() -> None:
    welcome = "1. `/announce-project` in {channel}\n2. `/learn` opens…\nUse `/reminders`."
    assert dm_buttons(welcome, "not_announced") == ("announce", "learn", "reminders")
    assert dm_buttons("Still alone? {suggestions}", "not_paired") == ()
    assert dm_buttons("Hi", "not_announced") == ("announce",)
    assert dm_buttons("Read `/learn`", "everyone") == ("learn",)
