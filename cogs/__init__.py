"""Discord-facing commands, one module per capability. Every module here is loaded at start."""
