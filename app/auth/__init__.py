"""API keys, principals and role checks."""
