"""Mod-log lines for the audit trail: "who · what · old → new", pinging no one."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.audit import AuditRecord, user_ref
from bot.ui import limits

MARK = "📝"


def audit_line(record: AuditRecord) -> str:
    who = user_ref(record.actor_id) if record.actor_id is not None else "Nexus"
    return f"{MARK} {who} · {record.action} · {record.old} → {record.new}"


def audit_messages(records: Sequence[AuditRecord]) -> list[str]:
    """The lines packed into as few messages as Discord's content limit allows."""
    messages: list[str] = []
    current = ""
    for record in records:
        line = audit_line(record)[: limits.CONTENT]
        if current and len(current) + 1 + len(line) > limits.CONTENT:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages
