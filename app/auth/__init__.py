"""Authentication: API keys and OIDC tokens to principals, and role checks."""
