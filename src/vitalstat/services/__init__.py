"""Use cases: each is one transaction holding the state change and its event."""
