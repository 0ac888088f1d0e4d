"""Shared scene for the harness self-tests (kept out of conftest so tests can import it)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakediscord import Channel, FakeDiscord, Guild, Member, Role


@dataclass
class Scene:
    guild: Guild
    channel: Channel
    backend: Role
    admin: Member
    wanjiku: Member
    otieno: Member


def build_scene(fake: FakeDiscord) -> Scene:
    guild = fake.add_guild("ALX ProDev")
    channel = guild.add_text_channel("prodevprojectnexus")
    guild.add_text_channel("general")
    backend = guild.add_role("Backend", permissions=0, mentionable=True)
    admin = guild.add_member("amina", manage_guild=True)
    wanjiku = guild.add_member("wanjiku", roles=[backend])
    otieno = guild.add_member("otieno")
    return Scene(guild, channel, backend, admin, wanjiku, otieno)
