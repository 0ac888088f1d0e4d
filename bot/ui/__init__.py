"""Rendering: embeds, views and modals. No SQL, no business rules."""
