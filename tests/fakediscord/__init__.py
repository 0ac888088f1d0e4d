"""A fake Discord (REST v10 + gateway) that the real discord.py client can talk to.

Quick start::

    from tests.fakediscord import FakeDiscord

    async with FakeDiscord() as fake:
        guild = fake.add_guild("ALX ProDev")
        channel = guild.add_text_channel("prodevprojectnexus")
        member = guild.add_member("wanjiku", manage_guild=True)
        # point the bot at fake.api_base / fake.gateway_url, start it, then:
        await fake.wait_until_ready()
        result = await fake.invoke(member, "nexus setup", channel=channel)
        assert "done" in result.text
        fake.assert_clean()
"""

from . import limits, perms
from .api import FakeDiscord
from .faults import Fault, Faults
from .interactions import (
    FileUpload,
    InteractionRecord,
    InteractionResult,
    InteractionSetupError,
)
from .ratelimit import RateLimits
from .server import RecordedCall, UploadedFile
from .spec import SpecValidator
from .state import (
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Role,
    User,
    World,
)

__all__ = [
    "Attachment",
    "Channel",
    "ChannelType",
    "FakeDiscord",
    "Fault",
    "Faults",
    "FileUpload",
    "Guild",
    "InteractionRecord",
    "InteractionResult",
    "InteractionSetupError",
    "Member",
    "Message",
    "RateLimits",
    "RecordedCall",
    "Role",
    "SpecValidator",
    "UploadedFile",
    "User",
    "World",
    "limits",
    "perms",
]
