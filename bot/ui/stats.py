"""Embeds and files for `/nexus stats` and `/nexus export`."""

from __future__ import annotations

import io
from datetime import datetime

import discord

from bot.domain.export import export_name
from bot.domain.stats import (
    NOT_TRACKED,
    PAIRED_BAR,
    WAITING_BAR,
    ExportFiles,
    Funnel,
    ProjectStats,
    StatsReport,
    chart,
)
from bot.domain.text import truncate, user_text
from bot.ui import embeds, limits

MAX_CHART_ROWS = 20
CHART_BUDGET = 3500  # leave room in the description for the legend and notes


def _plain(name: str) -> str:
    """A name safe inside a code block (a backtick would end it)."""
    return name.replace("`", "ˋ")


def _chart_block(rows: list[ProjectStats]) -> tuple[str, list[str]]:
    """(code block with the busiest projects, names of projects with nobody announced)."""
    busy = [r for r in rows if r.announced]
    empty = [r.project for r in rows if not r.announced]
    shown = busy[:MAX_CHART_ROWS]
    while True:
        renamed = [ProjectStats(_plain(r.project), r.roles) for r in shown]
        text = chart(renamed) if renamed else "Nobody has announced a project yet."
        if len(text) <= CHART_BUDGET or len(shown) <= 1:
            break
        shown = shown[:-1]
    if len(busy) > len(shown):
        text += f"\n… and {len(busy) - len(shown)} more projects"
    return f"```\n{text}\n```", empty


def _totals(report: StatsReport) -> str:
    total = report.total
    backend, frontend = total.roles["backend"], total.roles["frontend"]
    on_list = backend.on_list + frontend.on_list
    return (
        f"Announced: **{total.announced}** (backend {backend.announced} · "
        f"frontend {frontend.announced})\n"
        f"Paired: **{total.paired}** in **{report.active_pairings}** active pairs\n"
        f"Waiting: **{total.waiting}** — {on_list} looked for a partner, "
        f"{total.waiting - on_list} haven't looked yet"
    )


def funnel_text(funnel: Funnel) -> str:
    """The funnel's numbers, one stage a line (the chart's numbers, for screen readers)."""
    first = funnel.cohort
    lines = []
    for stage in funnel.stages:
        if stage.count is None:
            lines.append(f"{stage.label}: 0 ({NOT_TRACKED})")
        elif stage is funnel.stages[0] or not first:
            lines.append(f"{stage.label}: **{stage.count}**")
        else:
            lines.append(f"{stage.label}: **{stage.count}** ({round(100 * stage.count / first)}%)")
    return "\n".join(lines)


def stats_title(report: StatsReport) -> str:
    return "Nexus stats" if report.project is None else f"Nexus stats · {report.project}"


def stats_embed(report: StatsReport, image: str | None = None) -> discord.Embed:
    """The numbers as text; `image` names the attached chart (`attachment://…`) when there is
    one."""
    title = stats_title(report)
    block, empty = _chart_block(report.rows)
    legend = f"{PAIRED_BAR} paired · {WAITING_BAR} waiting (announced, no partner yet)"
    description = f"{legend}\n{block}"
    if empty and report.project is None:
        names = ", ".join(user_text(name) for name in empty)
        description += f"\nNo announcements yet: {names}"
    embed = embeds.info(truncate(title, limits.EMBED_TITLE))
    embed.description = truncate(description, limits.EMBED_DESCRIPTION)
    embed.add_field(name="Totals", value=_totals(report), inline=False)
    if report.funnel is not None:
        embed.add_field(name="This week's funnel", value=funnel_text(report.funnel), inline=False)
    if image is not None:
        embed.set_image(url=f"attachment://{image}")
    if report.project is None:
        if report.misses:
            lines = [f"“{user_text(m.query, 80)}” × {m.count}" for m in report.misses]
            value = truncate("\n".join(lines), limits.EMBED_FIELD_VALUE)
        else:
            value = "None recorded: every `/learn` search found something."
        embed.add_field(name="/learn searches that found nothing", value=value, inline=False)
    return embed


def export_message(
    files: ExportFiles, server: str, now: datetime
) -> tuple[str, list[discord.File]]:
    """The reply text and the CSV attachments (UTF-8 with BOM, so Excel reads accents), named
    after the server and the day."""
    day = now.date()
    attachments = [
        discord.File(io.BytesIO(text.encode("utf-8-sig")), filename=export_name(kind, server, day))
        for kind, text in (
            ("learners", files.learners_csv),
            ("pairings", files.pairings_csv),
            ("audit", files.audit_csv),
        )
    ]
    text = (
        f"📦 Exported **{files.learners}** learners, **{files.pairings}** pairings and "
        f"**{files.changes}** moderator changes. "
        "These files contain personal data: keep them private."
    )
    return text, attachments
