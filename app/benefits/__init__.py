"""The benefits catalogue and the eligibility rule language."""
