"""Custom actions: thin adapters from slots/entities to knowledge/ and back to answer cards."""
