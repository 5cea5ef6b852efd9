"""Idempotency-Key support for POSTs that start work or import data."""
