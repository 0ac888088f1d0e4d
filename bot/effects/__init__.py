"""What Nexus does on Discord besides a command's own reply."""
