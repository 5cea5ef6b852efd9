"""The API-key routes: minting, listing and revoking keys (audited). Built on app.auth,
which authenticates the keys, and app.audit, which every write records to."""
