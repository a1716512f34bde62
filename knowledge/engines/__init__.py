"""Rule engines: pure functions of the knowledge base and the user's facts (no Rasa, no I/O)."""
