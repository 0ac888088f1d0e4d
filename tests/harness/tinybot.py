"""A tiny discord.py bot used only to exercise the fake Discord in the harness self-tests.

Some commands misbehave on purpose (too slow, answering twice, oversized content) so the
fake's enforcement can be observed.
"""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

PROJECTS = ["django-api", "django-rest", "djangular", "react-shop", "vue-blog", "flask-auth"]


class ConfirmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicks = 0

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]
    ) -> None:
        self.clicks += 1
        button.disabled = True
        await interaction.response.edit_message(
            content=f"Confirmed by {interaction.user.name}", view=self
        )

    @discord.ui.select(
        custom_id="stack",
        placeholder="Pick a stack",
        options=[discord.SelectOption(label=s, value=s) for s in ("backend", "frontend")],
    )
    async def stack(
        self, interaction: discord.Interaction, select: discord.ui.Select[ConfirmView]
    ) -> None:
        await interaction.response.send_message(f"stack={select.values[0]}", ephemeral=True)

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="mentor", placeholder="Pick a mentor")
    async def mentor(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[ConfirmView]
    ) -> None:
        await interaction.response.send_message(f"mentor={select.values[0].name}", ephemeral=True)


class ProfileModal(discord.ui.Modal, title="Your profile"):
    github: discord.ui.TextInput[ProfileModal] = discord.ui.TextInput(
        label="GitHub handle", custom_id="github", max_length=39
    )
    bio: discord.ui.TextInput[ProfileModal] = discord.ui.TextInput(
        label="Bio", custom_id="bio", style=discord.TextStyle.paragraph, required=False
    )

    def __init__(self) -> None:
        super().__init__(custom_id="profile")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"saved {self.github.value} / {self.bio.value or '-'}", ephemeral=True
        )


class Nexus(app_commands.Group):
    def __init__(self) -> None:
        super().__init__(
            name="nexus",
            description="Nexus admin",
            default_permissions=discord.Permissions(manage_guild=True),
        )

    admin = app_commands.Group(name="admin", description="Admin tools")

    @app_commands.command(name="setup", description="Configure Nexus")
    async def setup(self, interaction: discord.Interaction, level: int = 1) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        allowed = interaction.permissions.manage_guild
        await interaction.followup.send(f"setup level {level} (manage_guild={allowed})")

    @admin.command(name="ping", description="Ping inside a group")
    async def admin_ping(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong from group", ephemeral=True)


class TinyBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            allowed_mentions=None,
        )
        self.view = ConfirmView()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every non-initial IDENTIFY; not useful against a fake.
        return None

    async def setup_hook(self) -> None:
        self.tree.add_command(Nexus())
        register(self.tree)
        await self.tree.sync()


def register(tree: app_commands.CommandTree[TinyBot]) -> None:
    @tree.command(name="echo", description="Echo with typed options")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        count: int = 1,
        loud: bool = False,
        ratio: float = 1.0,
        who: discord.Member | None = None,
        role: discord.Role | None = None,
        where: discord.TextChannel | None = None,
    ) -> None:
        out = (text.upper() if loud else text) * count
        extra = f" who={who.display_name}" if who else ""
        extra += f" role={role.name}" if role else ""
        extra += f" where={where.name}" if where else ""
        await interaction.response.send_message(f"{out} ratio={ratio}{extra}")

    @tree.command(name="secret", description="Ephemeral reply")
    async def secret(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Secret", description="only you").set_footer(text="shh")
        await interaction.response.send_message("psst", embed=embed, ephemeral=True)

    @tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await interaction.response.send_message("finally")
        except discord.NotFound:
            pass

    @tree.command(name="double", description="Answers twice (raw HTTP)")
    async def double(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        route = discord.http.Route(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=interaction.id,
            interaction_token=interaction.token,
        )
        try:
            await interaction.client.http.request(route, json={"type": 4, "data": {"content": "2"}})
        except discord.HTTPException as exc:
            await interaction.followup.send(f"second failed: {exc.code}")

    @tree.command(name="long", description="Too much content")
    async def long(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException:
            pass

    @tree.command(name="bigembed", description="Embeds over 6000 characters")
    async def bigembed(interaction: discord.Interaction) -> None:
        embeds = [discord.Embed(title=f"e{i}", description="y" * 2100) for i in range(3)]
        try:
            await interaction.response.send_message(embeds=embeds)
        except discord.HTTPException:
            pass

    @tree.command(name="buttons", description="A message with a view")
    async def buttons(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.client, TinyBot)
        view = ConfirmView()
        await interaction.response.send_message("Please confirm", view=view)

    @tree.command(name="form", description="Open a modal")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ProfileModal())

    @tree.command(name="announce", description="Announce a project")
    async def announce(interaction: discord.Interaction, project: str) -> None:
        await interaction.response.send_message(f"Announcing {project}")

    @announce.autocomplete("project")
    async def project_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=p, value=p) for p in PROJECTS if p.startswith(current)]

    @tree.command(name="dm", description="DM a member")
    async def dm(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            await member.send(f"hello {member.name}")
        except discord.Forbidden as exc:
            await interaction.followup.send(f"closed ({exc.code})", ephemeral=True)
        else:
            await interaction.followup.send("sent", ephemeral=True)

    @tree.command(name="spam", description="Send n messages to a channel")
    async def spam(interaction: discord.Interaction, n: int, channel: discord.TextChannel) -> None:
        await interaction.response.defer()
        for i in range(n):
            await channel.send(f"message {i}")
        await interaction.followup.send(f"sent {n}")

    @tree.command(name="thread", description="Open a private thread with a member")
    async def thread(interaction: discord.Interaction, member: discord.Member) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.response.defer(ephemeral=True)
        created = await interaction.channel.create_thread(
            name=f"pair-{member.name}", invitable=False, auto_archive_duration=1440
        )
        await created.add_user(member)
        await created.send(f"Welcome {member.mention}")
        await interaction.followup.send(f"thread {created.id}", ephemeral=True)

    @tree.command(name="grant", description="Give a role")
    async def grant(
        interaction: discord.Interaction, member: discord.Member, role: discord.Role
    ) -> None:
        try:
            await member.add_roles(role)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
        else:
            await interaction.response.send_message(f"granted {role.name}", ephemeral=True)

    @tree.command(name="shout", description="Mentions everyone, safely")
    async def shout(interaction: discord.Interaction, member: discord.Member) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.response.send_message("ok", ephemeral=True)
        await interaction.channel.send(
            f"@everyone {member.mention} look", allowed_mentions=discord.AllowedMentions.none()
        )
        await interaction.channel.send(f"hey {member.mention}")

    @tree.context_menu(name="Pair with")
    async def pair_with(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"pairing with {member.display_name}")

    @tree.command(name="upload", description="Send a file")
    async def upload(interaction: discord.Interaction) -> None:
        file = discord.File(fp=io.BytesIO(b"report-bytes"), filename="report.txt")
        await interaction.response.send_message("here", file=file)
