"""What Nexus does on Discord besides answering a command: DMs with their channel fallback,
announcement posts, track roles, pair threads and reminder posts. Cogs call a service first,
then these; nothing here decides anything the database has not already decided."""
