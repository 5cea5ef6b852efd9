"""flexben service: FastAPI app, persistence, jobs and CLI."""
