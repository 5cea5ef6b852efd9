"""GDPR: erasure of a person, and retention of preferences."""
