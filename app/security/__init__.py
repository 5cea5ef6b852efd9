"""Cross-cutting protections: request ids and structured logs, security headers, rate limits."""
