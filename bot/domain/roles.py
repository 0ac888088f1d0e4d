"""The two tracks learners pair across."""

from __future__ import annotations

ROLES = ("backend", "frontend")


def opposite(role: str) -> str:
    """The track a learner pairs with (backend ↔ frontend)."""
    return "frontend" if role == "backend" else "backend"
