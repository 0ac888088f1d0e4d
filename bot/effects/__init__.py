"""Discord side effects beyond a command's own reply."""
