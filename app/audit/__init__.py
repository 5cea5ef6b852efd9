"""The audit log: who did what to which entity, appended in the writer's own transaction."""
